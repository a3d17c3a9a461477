"""The logit QRE model's numerics for :mod:`equilibria.applications.irl.inverse_game` (private).

Conventions. Payoffs enter as ``scaled = lambda * payoffs: [n_players, *n_actions]`` (the QRE at precision 1 of the
scaled game is the QRE at ``lambda`` of the game); a profile is carried as stacked log-probabilities
``w: [sum(n_actions)]``, player ``i``'s block at ``action_offsets(n_actions)[i]``. Parameter derivatives enter as
tensors ``[P, n_players, *n_actions]`` (``d scaled / d psi_k``).

- The QRE equations (those of :mod:`equilibria.solvers.qre` at precision 1): ``H[i, 0] = sum_a exp(w_i(a)) - 1``,
  ``H[i, a] = w_i(a) - w_i(0) - (v_i(a) - v_i(0))`` for ``a >= 1``, with their Jacobian ``H_w``; Newton's method on
  them; the principal branch by the QRE solver's tracer, polished by Newton.
- Implicit derivatives: ``H(w, psi) = 0 => dw/dpsi = -H_w^-1 H_psi``.
- The logit Fisher information ``sum_i N_i X_i^T (diag s_i - s_i s_i^T) X_i`` (``X_i: [n_actions[i], P]`` the
  derivative of player ``i``'s logit index, or of ``w_i``), kept as a square root ``A`` (``A^T A`` is it); its null
  space and the pseudo-inverse restricted to the identified directions, both with each parameter's column scaled to
  unit length (so scale-free) and singular values below ``rank_tol`` times the largest counted as zero; and the
  two-step estimator's first-step-corrected sandwich covariance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from equilibria.games.normal_form import MixedProfile, NormalFormGame

# Newton on the QRE equations at fixed parameters: residual target and iteration cap.
QRE_RESIDUAL = 1e-13
QRE_NEWTON_ITERATIONS = 30


def action_offsets(n_actions: tuple[int, ...]) -> np.ndarray:
    """``[n_players + 1]``: where each player's block starts in a stacked vector ``[sum(n_actions)]``."""
    return np.concatenate([[0], np.cumsum(n_actions)]).astype(int)


def split(w: np.ndarray, n_actions: tuple[int, ...]) -> MixedProfile:
    """The mixed profile of stacked log-probabilities ``w: [sum(n_actions)]``."""
    offsets = action_offsets(n_actions)
    return tuple(np.exp(w[offsets[i]:offsets[i + 1]]) for i in range(len(n_actions)))


def split_logs(w: np.ndarray, n_actions: tuple[int, ...]) -> list[np.ndarray]:
    """Per-player slices ``[n_actions[i]]`` of ``w: [sum(n_actions)]``."""
    offsets = action_offsets(n_actions)
    return [w[offsets[i]:offsets[i + 1]] for i in range(len(n_actions))]


def logsumexp(u: np.ndarray) -> float:
    """``log sum exp(u)`` without overflow."""
    top = float(u.max())
    return top + math.log(float(np.exp(u - top).sum()))


def contract(tensors: np.ndarray, profile: Sequence[np.ndarray], keep: tuple[int, ...]) -> np.ndarray:
    """``tensors: [T, *n_actions]`` contracted with every player's strategy except those in ``keep`` (sorted):
    ``[T, *n_actions[keep]]``."""
    out = tensors
    for j in range(len(profile) - 1, -1, -1):  # from the last axis so the earlier axis numbers stay valid
        if j not in keep:
            out = np.tensordot(out, profile[j], axes=([j + 1], [0]))
    return out


def values(tensors: np.ndarray, profile: Sequence[np.ndarray], i: int) -> np.ndarray:
    """``[T, n_actions[i]]``: player ``i``'s expected payoff of each action, for each tensor ``[T, n, *n_actions]``."""
    return contract(tensors[:, i], profile, (i,))


def pair(tensors: np.ndarray, profile: Sequence[np.ndarray], i: int, j: int) -> np.ndarray:
    """``[T, n_actions[i], n_actions[j]]``: ``d v_i(a) / d s_j(b)`` for each tensor ``[T, n, *n_actions]``."""
    table = contract(tensors[:, i], profile, (min(i, j), max(i, j)))
    return table if i < j else np.swapaxes(table, 1, 2)


def qre_equations(scaled: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """``H(w)`` and ``H_w`` of the logit QRE at precision 1 of ``scaled = lambda * payoffs``, and the profile.

    ``H[i, 0] = sum_a exp(w_i(a)) - 1``; ``H[i, a] = w_i(a) - w_i(0) - (v_i(a) - v_i(0))`` for ``a >= 1``.
    """
    n_actions = scaled.shape[1:]
    offsets = action_offsets(n_actions)
    profile = [np.exp(w[offsets[i]:offsets[i + 1]]) for i in range(len(n_actions))]
    stacked = scaled[None]
    size = int(offsets[-1])
    residual = np.empty(size)
    jac = np.zeros((size, size))
    for i, m in enumerate(n_actions):
        o = offsets[i]
        s, wi = profile[i], w[o:o + m]
        residual[o] = s.sum() - 1.0
        jac[o, o:o + m] = s
        if m == 1:
            continue
        v = values(stacked, profile, i)[0]
        rows = slice(o + 1, o + m)
        residual[rows] = wi[1:] - wi[0] - (v[1:] - v[0])
        jac[rows, o + 1:o + m] = np.eye(m - 1)
        jac[rows, o] = -1.0
        for j in range(len(n_actions)):
            if j != i:
                table = pair(stacked, profile, i, j)[0]
                jac[rows, offsets[j]:offsets[j + 1]] = -(table[1:] - table[0]) * profile[j]
    return residual, jac, profile


def newton_qre(scaled: np.ndarray, w: np.ndarray) -> np.ndarray | None:
    """The QRE of ``scaled`` reached by Newton's method from log-probabilities ``w``; None when it does not converge."""
    w = w.copy()
    for _ in range(QRE_NEWTON_ITERATIONS):
        residual, jac, _ = qre_equations(scaled, w)
        if not np.all(np.isfinite(residual)):
            return None
        if np.abs(residual).max() <= QRE_RESIDUAL:
            return w
        try:
            delta = np.linalg.solve(jac, -residual)
        except np.linalg.LinAlgError:
            return None
        # A full step can overshoot a log-probability far past 0 (exp overflows); such a step is not Newton's regime.
        if not np.all(np.isfinite(delta)) or np.abs(delta).max() > 10.0:
            return None
        w = w + delta
    residual, _, _ = qre_equations(scaled, w)
    return w if np.abs(residual).max() <= 1e3 * QRE_RESIDUAL else None


def principal_qre(scaled: np.ndarray, max_seconds: float | None) -> np.ndarray | None:
    """Log-probabilities ``[sum(n_actions)]`` of the principal-branch QRE of ``scaled`` at precision 1: the QRE
    solver's arclength trace (:func:`~equilibria.solvers.qre.logit_qre_path` to ``max_lambda=1``), polished by
    Newton's method. None when the trace does not complete (budget, or a lost branch)."""
    from equilibria.solvers.qre import logit_qre_path  # path tracing needs scipy: only when used

    path = logit_qre_path(NormalFormGame(scaled), max_lambda=1.0, max_seconds=max_seconds)
    if not path.complete:
        return None
    return newton_qre(scaled, np.concatenate([np.log(np.maximum(s, 1e-300)) for s in path.profiles[-1]]))


def qre_derivatives(scaled: np.ndarray, tensors: np.ndarray, w: np.ndarray) -> list[np.ndarray]:
    """``dw_i / dpsi: [n_actions[i], P]`` per player, by implicit differentiation of ``H(w, psi) = 0``."""
    n_actions = scaled.shape[1:]
    offsets = action_offsets(n_actions)
    _, jac, profile = qre_equations(scaled, w)
    h_psi = np.zeros((int(offsets[-1]), tensors.shape[0]))
    for i, m in enumerate(n_actions):
        if m > 1:
            v = values(tensors, profile, i)  # [P, m]
            h_psi[offsets[i] + 1:offsets[i + 1]] = -(v[:, 1:] - v[:, :1]).T
    dw = -np.linalg.solve(jac, h_psi)
    return [dw[offsets[i]:offsets[i + 1]] for i in range(len(n_actions))]


def information_root(blocks: Sequence[tuple[float, np.ndarray, np.ndarray]]) -> np.ndarray:
    """``A`` with ``A^T A = sum_i N_i X_i^T (diag s_i - s_i s_i^T) X_i`` from blocks ``(N_i, s_i, X_i [m_i, P])``."""
    rows = []
    for total, s, x in blocks:
        centred = x - s @ x  # the index up to a constant per column: only differences between actions count
        # A column that is constant up to rounding (an opponent-only term) is exactly zero, not unit-scaled noise.
        flat = np.linalg.norm(centred, axis=0) <= 1e-12 * np.linalg.norm(x, axis=0)
        centred[:, flat] = 0.0
        rows.append(math.sqrt(total) * np.sqrt(s)[:, None] * centred)
    return np.vstack(rows)


def truncated_inverse(root: np.ndarray, rank_tol: float) -> np.ndarray:
    """The pseudo-inverse ``[P, P]`` of ``root^T root`` on the identified directions only (the same column scaling
    and cut as :func:`null_space`), so that steps and covariances never move along the unidentified ones."""
    p = root.shape[1]
    if p == 0:
        return np.zeros((0, 0))
    norms = np.linalg.norm(root, axis=0)
    scale = np.where(norms > 0, norms, 1.0)
    _, sv, vt = np.linalg.svd(root / scale, full_matrices=False)
    keep = sv > rank_tol * max(float(sv.max(initial=0.0)), 1e-300)
    inner = (vt[keep].T / sv[keep] ** 2) @ vt[keep]
    return inner / np.outer(scale, scale)


def null_space(root: np.ndarray, rank_tol: float) -> np.ndarray:
    """Orthonormal ``[r, P]`` basis of the directions the information ``root^T root`` does not see (scale-free)."""
    p = root.shape[1]
    if p == 0:
        return np.zeros((0, 0))
    norms = np.linalg.norm(root, axis=0)
    scale = np.where(norms > 0, norms, 1.0)
    _, sv, vt = np.linalg.svd(root / scale, full_matrices=True)
    sv_full = np.zeros(p)
    sv_full[:sv.size] = sv
    top = float(sv_full.max()) if sv_full.size else 0.0
    null = vt[sv_full <= rank_tol * max(top, 1e-300)]
    return orthonormal_rows((null / scale).T)


def orthonormal_rows(columns: np.ndarray) -> np.ndarray:
    """Orthonormal rows spanning the columns of ``columns: [P, r]``, tidied: tiny entries zeroed, the largest
    entry of each row positive."""
    if columns.shape[1] == 0:
        return np.zeros((0, columns.shape[0]))
    q, _ = np.linalg.qr(columns)
    rows = q.T.copy()
    rows[np.abs(rows) < 1e-12] = 0.0
    for row in rows:
        if row[np.argmax(np.abs(row))] < 0:
            row *= -1.0
    return rows


def two_step_sandwich(tensors: np.ndarray, offset_tensor: np.ndarray, x: np.ndarray,
                      freqs: list[np.ndarray], totals: list[float], observed: tuple[np.ndarray, ...],
                      sigma: list[np.ndarray], designs: list[np.ndarray], root: np.ndarray,
                      rank_tol: float) -> np.ndarray:
    """``H^+ M H^+``: the two-step covariance with the first step (the plugged-in frequencies) accounted for
    (Murphy and Topel 1985). The logit index of player ``i`` is ``offset_tensor + x . tensors`` (``tensors: [P, n,
    *n_actions]``) evaluated at the observed frequencies ``freqs``; ``designs[i]: [n_actions[i], P]`` its derivative,
    ``sigma[i]`` the fitted responses, ``root`` the information root at ``x``.

    An observation of player ``j`` choosing ``a`` moves the score ``S = sum_i X_i^T (n_i - N_i s_i)`` through its
    own term, ``X_j^T (e_a - s_j)``, and through ``p_j`` (the frequency the others respond to), ``G_j (e_a - p_j) /
    N_j`` with ``G_j = dS/dp_j``; ``M`` sums ``N_j`` times the covariance of that influence over ``a ~ p_j``.
    """
    n, p = len(freqs), x.size
    fitted = (offset_tensor + np.tensordot(x, tensors, axes=1))[None]  # the fitted index tensor, [1, n, *n_actions]
    residuals = [observed[i] - totals[i] * sigma[i] for i in range(n)]
    middle = np.zeros((p, p))
    for j in range(n):
        g = np.zeros((p, freqs[j].size))
        for i in range(n):
            if i == j:
                continue
            weight = totals[i] * (np.diag(sigma[i]) - np.outer(sigma[i], sigma[i]))
            g += np.einsum("kab,a->kb", pair(tensors, freqs, i, j), residuals[i])
            g -= designs[i].T @ weight @ pair(fitted, freqs, i, j)[0]
        m = freqs[j].size
        influence = designs[j].T @ (np.eye(m) - np.outer(sigma[j], np.ones(m))) \
            + g @ (np.eye(m) - np.outer(freqs[j], np.ones(m))) / totals[j]  # [P, m]
        mean = influence @ freqs[j]
        middle += totals[j] * ((influence * freqs[j]) @ influence.T - np.outer(mean, mean))
    hess_inv = truncated_inverse(root, rank_tol)
    return hess_inv @ middle @ hess_inv


__all__ = ["QRE_NEWTON_ITERATIONS", "QRE_RESIDUAL", "action_offsets", "contract", "information_root", "logsumexp",
           "newton_qre", "null_space", "orthonormal_rows", "pair", "principal_qre", "qre_derivatives",
           "qre_equations", "split", "split_logs", "truncated_inverse", "two_step_sandwich", "values"]
