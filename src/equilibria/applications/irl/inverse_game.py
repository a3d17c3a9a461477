"""Inverse game theory: payoffs from observed play, by maximum likelihood under logit quantal response.

Model. A normal-form game whose payoffs are linear in unknown parameters ``theta: [K]``,

    payoffs(theta) = base + sum_k theta[k] * basis[k]   base: [n_players, *n_actions], basis: [K, n_players, *n_actions]

(a fully unknown game is one basis element per payoff entry: :func:`unknown_payoffs_model`), is played at a logit
quantal response equilibrium (McKelvey and Palfrey 1995; :mod:`equilibria.solvers.qre`) at precision ``lambda``:
``s_i(a) ∝ exp(lambda * v_i(a; s_-i))`` with ``v_i`` player ``i``'s expected payoffs (the game's ``action_values``).
Data: each player's action counts ``counts[i]: [n_actions[i]]`` (non-negative numbers: counts, or frequencies times a
sample size; the sample size sets the standard errors). Joint-action counts ``[*n_actions]`` go through
:func:`marginal_counts`: players randomise independently at a QRE, so the joint likelihood is the product of the
marginals' and the marginals lose nothing. Every player needs a positive total. The log-likelihood is
``sum_i sum_a counts[i][a] * log s_i(a)`` (no multinomial constant, as Gambit's ``logit_estimate``).

Parameters. ``lambda`` is either fixed (``estimate_lambda=False``, the given ``lam``; the estimated vector is
``theta``) or estimated (the vector is ``(lambda, theta)``, ``lam`` its starting value). Results and unidentified
directions are always written in these coordinates.

Estimators.
- :func:`two_step_estimate` (pseudo-likelihood; Bajari, Hong and Ryan's two-step idea for games): the observed
  frequencies are plugged in as the opponents' strategies, so each player's choice is a plain multinomial logit
  whose index ``lambda * v_i(a; observed s_-i)`` is linear in ``theta`` (or in ``(lambda, lambda * theta)`` when
  lambda is estimated): the log-likelihood is concave there, maximised by Newton's method with the exact gradient and
  Hessian. Standard errors are a sandwich that accounts for the first step (the opponents' frequencies are estimates
  from the same data; Murphy and Topel 1985): ``H^-1 M H^-1`` with ``M`` the covariance of each observation's
  influence on the score, through its own choice and through its player's observed frequency.
- :func:`qre_maximum_likelihood` (full information): the predicted frequencies are a logit QRE of
  ``payoffs(theta)`` at ``lambda``. The gradient is exact, by implicit differentiation of the QRE equations in
  log-probabilities ``w`` (:mod:`~equilibria.applications.irl._logit_qre`); the steps are Fisher scoring with a
  backtracking line search.
  Standard errors come from the Fisher information ``sum_i N_i J_i^T (diag s_i - s_i s_i^T) J_i``, ``J_i = dw_i/dpsi``.

Which QRE. When several logit QREs exist at the estimate's precision, the one meant is the QRE *continued* from the
principal branch: at the start point (the two-step estimate unless ``start`` is given) the principal branch of
``lambda * payoffs(theta)`` is traced from the uniform profile by the QRE solver
(:func:`~equilibria.solvers.qre.logit_qre_path`, to precision 1) and polished by Newton's method; each later point is
the fixed point reached by Newton's method from the previous one; ``start_profile`` starts from another QRE instead.
At the end the principal branch of the estimated game is traced again and ``parameters["principal_branch"]`` says
whether the estimate's QRE lies on it (False: a likelihood maximum along another QRE of that game, said, not hidden).

Identifiability. Logit choice probabilities depend only on a player's payoff *differences between its own actions*
(scaled by lambda), so:
(a) adding to player ``i``'s payoffs any function of the opponents' actions alone changes nothing: a basis element
    (or combination) that does only this is not identified;
(b) lambda and the payoffs' scale are not separately identified (only ``lambda * payoffs``): with lambda estimated,
    a basis that can rescale the payoffs' differences (for instance ``base = 0``, or ``base`` itself among the basis
    elements) leaves the direction ``(lambda, -theta)`` (resp. its analogue) unidentified;
(c) one observed profile gives ``n_actions[i] - 1`` equations per player (``sum_i (n_actions[i] - 1)`` in all): more
    unknowns than that (after (a)) are not identified; a fully unknown game has ``n_players * prod(n_actions)``
    unknowns and identifies at most ``sum_i (n_actions[i] - 1)`` directions.
All three show as a rank-deficient information matrix. Both estimators compute its null space (the SVD of its
square root with each parameter's column scaled to unit length; directions with singular values below ``rank_tol``
times the largest) and, by default (``on_unidentified="raise"``), raise a one-line :class:`NotApplicableError` naming
the unidentified directions (e.g. ``0.707*theta[0] - 0.707*theta[3]``). With ``on_unidentified="report"`` they
return the maximiser reached by steps that never move along the unidentified directions (the pseudo-inverse cut at
``rank_tol``; for the two-step, whose index is linear, that is the maximiser closest to the start in its linear
coordinates; for the full ML the directions turn with the point), ``identified=False``, the orthonormal directions
in ``unidentified``, and NaN standard errors for every coordinate that loads on them.
A zero count of an action whose logit index depends on the parameters can put the maximum at infinity: the
iterations then run out and ``converged`` is False.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from equilibria.applications.irl import _logit_qre as lq
from equilibria.core.errors import GameError, NotApplicableError
from equilibria.games.normal_form import MixedProfile, NormalFormGame
from equilibria.solvers._common import Budget

# Singular values of the column-scaled information root below this fraction of the largest count as zero.
RANK_TOL = 1e-8
# Armijo constant of the line searches, and the smallest step fraction tried before giving up an iteration.
_ARMIJO = 1e-4
_MIN_STEP_FRACTION = 2.0 ** -30
# Two QREs whose probabilities differ by less than this are the same point (the principal-branch check).
_SAME_QRE = 1e-7

OnUnidentified = Literal["raise", "report"]


# -- the model ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class LinearPayoffModel:
    """Payoffs linear in parameters: ``payoffs(theta) = base + sum_k theta[k] * basis[k]``.

    Attributes:
      base: ``[n_players, *n_actions]`` the known part.
      basis: ``[K, n_players, *n_actions]`` one payoff tensor per unknown (``K`` may be 0: only lambda unknown).
      names: ``K`` parameter names used in messages (default ``theta[k]``).
    """

    base: np.ndarray
    basis: np.ndarray
    names: tuple[str, ...] = field(default=())

    @property
    def n_players(self) -> int:
        return int(self.base.shape[0])

    @property
    def n_actions(self) -> tuple[int, ...]:
        return tuple(int(m) for m in self.base.shape[1:])

    @property
    def n_parameters(self) -> int:
        return int(self.basis.shape[0])

    def payoffs(self, theta: Any) -> np.ndarray:
        """``[n_players, *n_actions]`` at ``theta: [K]``."""
        theta = np.asarray(theta, dtype=float)
        if theta.shape != (self.n_parameters,):
            raise GameError(f"LinearPayoffModel.payoffs: theta must have shape ({self.n_parameters},), got "
                            f"{theta.shape}")
        return self.base + np.tensordot(theta, self.basis, axes=1)

    def game(self, theta: Any) -> NormalFormGame:
        """The :class:`NormalFormGame` at ``theta``."""
        return NormalFormGame(self.payoffs(theta))


def linear_payoff_model(base: Any, basis: Any, *, names: Sequence[str] | None = None) -> LinearPayoffModel:
    """A validated :class:`LinearPayoffModel` (``base: [n_players, *n_actions]``, ``basis: [K, n_players,
    *n_actions]``; a ``basis`` of shape ``[0]`` or an empty list means ``K = 0``)."""
    base_arr = NormalFormGame(base).payoffs.copy()  # the game's own checks: finite, [n_players, *n_actions]
    try:
        basis_arr = np.array(basis, dtype=float)
    except (TypeError, ValueError) as exc:
        raise GameError(f"linear_payoff_model: basis must be an array of real numbers ({exc})") from None
    if basis_arr.size == 0:
        basis_arr = np.zeros((0, *base_arr.shape))
    if basis_arr.shape[1:] != base_arr.shape:
        raise GameError(f"linear_payoff_model: basis must have shape [K, *{base_arr.shape}], got {basis_arr.shape}")
    if not np.all(np.isfinite(basis_arr)):
        raise GameError("linear_payoff_model: basis must be finite")
    k = basis_arr.shape[0]
    labels = tuple(f"theta[{j}]" for j in range(k)) if names is None else tuple(str(n) for n in names)
    if len(labels) != k:
        raise GameError(f"linear_payoff_model: names must have {k} entries (one per basis element), got {len(labels)}")
    base_arr.setflags(write=False)
    basis_arr.setflags(write=False)
    return LinearPayoffModel(base_arr, basis_arr, labels)


def unknown_payoffs_model(n_actions: Sequence[int]) -> LinearPayoffModel:
    """Every payoff entry unknown: ``base = 0``, one basis element per entry (``theta`` is ``payoffs.ravel()``).

    Mostly unidentified by construction (module docstring, (a) and (c)); useful to measure what play reveals.
    """
    shape = (len(n_actions), *(int(m) for m in n_actions))
    if len(n_actions) < 1 or min(shape[1:]) < 1:
        raise GameError(f"unknown_payoffs_model: n_actions must be positive integers, got {tuple(n_actions)}")
    size = int(np.prod(shape))
    names = [f"u{index[0]}{list(index[1:])}" for index in np.ndindex(*shape)]
    return linear_payoff_model(np.zeros(shape), np.eye(size).reshape(size, *shape), names=names)


# -- data ---------------------------------------------------------------------------------------------------------


def marginal_counts(joint_counts: Any) -> tuple[np.ndarray, ...]:
    """Per-player counts ``[n_actions[i]]`` from joint-action counts ``[*n_actions]`` (sums over the others' axes)."""
    arr = np.asarray(joint_counts, dtype=float)
    if arr.ndim < 1 or arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise GameError("marginal_counts: joint_counts must be a non-empty array of finite non-negative numbers")
    return tuple(arr.sum(axis=tuple(j for j in range(arr.ndim) if j != i)) for i in range(arr.ndim))


def _check_counts(counts: Any, n_actions: tuple[int, ...], caller: str) -> tuple[np.ndarray, ...]:
    if isinstance(counts, np.ndarray) and counts.ndim == len(n_actions) and len(n_actions) > 1:
        raise GameError(f"{caller}: counts must be one array per player; pass joint counts through marginal_counts")
    try:
        out = tuple(np.asarray(c, dtype=float) for c in counts)
    except (TypeError, ValueError):
        raise GameError(f"{caller}: counts must be one array of numbers per player") from None
    if len(out) != len(n_actions):
        raise GameError(f"{caller}: counts must have one array per player ({len(n_actions)}), got {len(out)}")
    for i, (c, m) in enumerate(zip(out, n_actions, strict=True)):
        if c.shape != (m,):
            raise GameError(f"{caller}: counts[{i}] must have shape ({m},), got {c.shape}")
        if not np.all(np.isfinite(c)) or np.any(c < 0):
            raise GameError(f"{caller}: counts[{i}] must be finite and non-negative, got {c}")
        if not c.sum() > 0:
            raise GameError(f"{caller}: counts[{i}] sums to 0; every player needs observations")
    return out


def _check_lambda(lam: Any, caller: str) -> float:
    try:
        value = float(lam)
    except (TypeError, ValueError):
        raise GameError(f"{caller}: lam must be a positive number, got {lam!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise GameError(f"{caller}: lam must be a positive finite number, got {lam!r}")
    return value


def sample_counts(payoffs: Any, lam: float, n: int, *, seed: int | np.random.Generator = 0) -> tuple[np.ndarray, ...]:
    """``n`` independent plays of the principal-branch logit QRE of ``payoffs`` at ``lam``: per-player counts."""
    lam = _check_lambda(lam, "sample_counts")
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise GameError(f"sample_counts: n must be a positive integer, got {n!r}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    profile = logit_qre(payoffs, lam)
    return tuple(rng.multinomial(int(n), s / s.sum()).astype(float) for s in profile)


# -- logit QRE at fixed payoffs -----------------------------------------------------------------------------------


def logit_qre(payoffs: Any, lam: float, *, start: Any = None) -> MixedProfile:
    """The logit QRE at precision ``lam`` of ``payoffs: [n_players, *n_actions]`` (a NormalFormGame or an array),
    polished to residual ~1e-13: ``profile[i]: [n_actions[i]]``. The principal branch's, or with ``start`` (a mixed
    profile) the QRE that Newton's method reaches from it (another branch's, where several QREs exist)."""
    game = payoffs if isinstance(payoffs, NormalFormGame) else NormalFormGame(payoffs)
    lam = _check_lambda(lam, "logit_qre")
    if start is None:
        w = lq.principal_qre(lam * game.payoffs, None)
    else:
        profile = game.check_profile(start, "logit_qre(start)")
        w = lq.newton_qre(lam * game.payoffs, np.concatenate([np.log(np.maximum(s, 1e-300)) for s in profile]))
    if w is None:
        raise NotApplicableError(f"logit_qre: no QRE reached at lam={lam:g} ("
                                 + ("the principal branch was lost; try a smaller lam)" if start is None else
                                    "Newton's method from start failed; give a profile closer to a QRE)"))
    return lq.split(w, game.n_actions)


def qre_log_likelihood(payoffs: Any, counts: Any, lam: float) -> float:
    """``sum_i counts[i] . log s_i`` at the principal-branch logit QRE ``s`` of ``payoffs`` at ``lam``."""
    game = payoffs if isinstance(payoffs, NormalFormGame) else NormalFormGame(payoffs)
    observed = _check_counts(counts, game.n_actions, "qre_log_likelihood")
    profile = logit_qre(game, lam)
    return float(sum(c @ np.log(s) for c, s in zip(observed, profile, strict=True)))


def logit_response_log_likelihood(payoffs: Any, counts: Any, lam: float) -> float:
    """The two-step (pseudo) log-likelihood: each player's logit response at ``lam`` to the others' observed
    frequencies, scored on its own counts."""
    game = payoffs if isinstance(payoffs, NormalFormGame) else NormalFormGame(payoffs)
    observed = _check_counts(counts, game.n_actions, "logit_response_log_likelihood")
    lam = _check_lambda(lam, "logit_response_log_likelihood")
    freqs = [c / c.sum() for c in observed]
    total = 0.0
    for i, c in enumerate(observed):
        u = lam * lq.values(game.payoffs[None], freqs, i)[0]
        total += float(c @ (u - lq.logsumexp(u)))
    return total


# -- results and identification -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class InverseGameResult:
    """An estimate of a :class:`LinearPayoffModel`'s parameters from observed play.

    Attributes:
      method: ``"two_step"`` or ``"qre_ml"``.
      theta: ``[K]`` the estimate.
      lam: the precision (the estimate when ``lambda_estimated``, else the given value).
      lambda_estimated: whether lambda was estimated.
      standard_errors: ``[K]`` of ``theta`` (NaN along unidentified directions).
      lambda_standard_error: of ``lam`` when estimated, else None.
      covariance: ``[P, P]`` in the estimated coordinates (``theta``, or ``(lambda, theta)``).
      log_likelihood: the maximised one (two-step: the pseudo-likelihood; qre_ml: the QRE likelihood).
      predicted: the predicted profile (two-step: logit responses to the observed frequencies; qre_ml: the QRE).
      identified: False when the information matrix is rank deficient.
      unidentified: ``[r, P]`` orthonormal unidentified directions in the estimated coordinates.
      unidentified_names: one readable line per direction.
      converged, iterations, seconds: as :class:`~equilibria.core.result.SolveResult`'s.
      parameters: the options, ``"stopped_because"`` when not converged, ``"principal_branch"`` (qre_ml).
    """

    method: str
    theta: np.ndarray
    lam: float
    lambda_estimated: bool
    standard_errors: np.ndarray
    lambda_standard_error: float | None
    covariance: np.ndarray
    log_likelihood: float
    predicted: MixedProfile
    identified: bool
    unidentified: np.ndarray
    unidentified_names: tuple[str, ...]
    converged: bool
    iterations: int
    seconds: float
    parameters: dict[str, Any]


def _coordinate_names(model: LinearPayoffModel, estimate_lambda: bool) -> tuple[str, ...]:
    return (("lambda",) if estimate_lambda else ()) + model.names


def _describe(direction: np.ndarray, names: Sequence[str]) -> str:
    order = np.argsort(-np.abs(direction))
    terms = [(float(direction[k]), names[k]) for k in order[:4] if abs(direction[k]) > 1e-9]
    text = " ".join(f"{'-' if c < 0 else '+'} {abs(c):.3g}*{n}" for c, n in terms).lstrip("+ ")
    return text + (" + ..." if np.count_nonzero(np.abs(direction) > 1e-9) > 4 else "")


def _unidentified_error(caller: str, null: np.ndarray, names: Sequence[str]) -> NotApplicableError:
    shown = "; ".join(_describe(d, names) for d in null[:3]) + ("; ..." if len(null) > 3 else "")
    return NotApplicableError(
        f"{caller}: the parameters are not identified along {len(null)} direction(s): {shown} (logit play reveals "
        "only lambda times each player's payoff differences at the observed profile); fix or drop those parameters, "
        "or pass on_unidentified='report'")


def _standard_errors(covariance: np.ndarray, null: np.ndarray) -> np.ndarray:
    se = np.sqrt(np.maximum(np.diag(covariance), 0.0))
    if null.size:
        loads = np.abs(null).max(axis=0) > 1e-9
        se = np.where(loads, np.nan, se)
    return se


def _finish(method: str, model: LinearPayoffModel, psi: np.ndarray, estimate_lambda: bool, lam: float,
            covariance: np.ndarray, null: np.ndarray, log_likelihood: float, predicted: MixedProfile,
            converged: bool, iterations: int, started: float, parameters: dict[str, Any]) -> InverseGameResult:
    names = _coordinate_names(model, estimate_lambda)
    se = _standard_errors(covariance, null)
    offset = 1 if estimate_lambda else 0
    return InverseGameResult(
        method=method, theta=psi[offset:].copy(), lam=float(psi[0]) if estimate_lambda else lam,
        lambda_estimated=estimate_lambda, standard_errors=se[offset:],
        lambda_standard_error=float(se[0]) if estimate_lambda else None, covariance=covariance,
        log_likelihood=float(log_likelihood), predicted=tuple(np.asarray(s) for s in predicted),
        identified=null.shape[0] == 0, unidentified=null,
        unidentified_names=tuple(_describe(d, names) for d in null), converged=converged, iterations=iterations,
        seconds=time.perf_counter() - started, parameters=parameters)


def _common_checks(model: Any, counts: Any, lam: Any, on_unidentified: Any, rank_tol: Any, tol: Any,
                   caller: str) -> tuple[LinearPayoffModel, tuple[np.ndarray, ...], float, float, float]:
    if not isinstance(model, LinearPayoffModel):
        raise GameError(f"{caller}: model must be a LinearPayoffModel (see linear_payoff_model), got "
                        f"{type(model).__name__}")
    observed = _check_counts(counts, model.n_actions, caller)
    lam = _check_lambda(lam, caller)
    if on_unidentified not in ("raise", "report"):
        raise GameError(f"{caller}: on_unidentified must be 'raise' or 'report', got {on_unidentified!r}")
    numbers = []
    for name, value in (("rank_tol", rank_tol), ("tol", tol)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
            raise GameError(f"{caller}: {name} must be a number in (0, 1), got {value!r}")
        numbers.append(float(value))
    return model, observed, lam, numbers[0], numbers[1]


# -- the two-step estimator ---------------------------------------------------------------------------------------


def two_step_estimate(model: LinearPayoffModel, counts: Sequence[Any], *, lam: float = 1.0,
                      estimate_lambda: bool = False, on_unidentified: OnUnidentified = "raise",
                      rank_tol: float = RANK_TOL, tol: float = 1e-10, max_iterations: int | None = 100,
                      max_seconds: float | None = None) -> InverseGameResult:
    """The two-step (pseudo-likelihood) estimate: logit responses to the observed frequencies (module docstring).

    Newton's method on the concave pseudo-log-likelihood in the linear coordinates ``theta`` (lambda fixed) or
    ``(lambda, lambda * theta)`` (lambda estimated; the estimate and its covariance are then mapped to
    ``(lambda, theta)``, by the delta method for the covariance). Starts at ``theta = 0`` (and ``lambda = lam``);
    stops when the Newton step is below ``tol * (1 + |x|)`` (converged), or on the budget. ``iterations``: Newton
    steps. Standard errors: the first-step-corrected sandwich. Raises :class:`NotApplicableError` when some
    direction is not identified (unless ``on_unidentified="report"``); an estimated lambda <= 0 (play that favours
    lower payoffs) also raises it.
    """
    started = time.perf_counter()
    caller = "two_step_estimate"
    model, observed, lam, rank_tol, tol = _common_checks(model, counts, lam, on_unidentified, rank_tol, tol, caller)
    budget = Budget.checked(max_iterations, max_seconds, caller)
    freqs = [c / c.sum() for c in observed]
    totals = [float(c.sum()) for c in observed]
    n = model.n_players
    # Linear coordinates x: the logit index of player i is offset_i + X_i x.
    if estimate_lambda:
        offset_tensor = np.zeros_like(model.base)
        tensors = np.concatenate([model.base[None], model.basis])
        x = np.concatenate([[lam], np.zeros(model.n_parameters)])
    else:
        offset_tensor = lam * model.base
        tensors = lam * model.basis
        x = np.zeros(model.n_parameters)
    designs = [lq.values(tensors, freqs, i).T for i in range(n)]  # [m_i, P]
    offsets = [lq.values(offset_tensor[None], freqs, i)[0] for i in range(n)]

    def responses(x: np.ndarray) -> list[np.ndarray]:
        out = []
        for i in range(n):
            u = offsets[i] + designs[i] @ x
            e = np.exp(u - u.max())
            out.append(e / e.sum())
        return out

    def log_likelihood(x: np.ndarray) -> float:
        total = 0.0
        for i in range(n):
            u = offsets[i] + designs[i] @ x
            total += float(observed[i] @ (u - lq.logsumexp(u)))
        return total

    sigma = responses(x)
    # The null space of the pseudo-information does not depend on the point (the index is linear): check first.
    null_linear = lq.null_space(lq.information_root(list(zip(totals, sigma, designs, strict=True))), rank_tol)
    names = _coordinate_names(model, estimate_lambda)
    if null_linear.shape[0] and on_unidentified == "raise":
        raise _unidentified_error(caller, _to_theta_directions(null_linear, x, estimate_lambda), names)
    value = log_likelihood(x)
    iterations, converged, stopped = 0, False, ""
    while True:
        if budget.exhausted(iterations):
            stopped = budget.stop_reason(iterations)
            break
        grad = sum((designs[i].T @ (observed[i] - totals[i] * sigma[i]) for i in range(n)),
                   np.zeros(x.size))
        hess = lq.information_root(list(zip(totals, sigma, designs, strict=True)))
        step = lq.truncated_inverse(hess, rank_tol) @ grad
        iterations += 1
        fraction = 1.0
        while fraction >= _MIN_STEP_FRACTION:
            trial = x + fraction * step
            trial_value = log_likelihood(trial)
            if trial_value >= value + _ARMIJO * fraction * float(grad @ step) - 1e-12 * abs(value):
                break
            fraction /= 2
        else:
            stopped = "the line search failed (the maximum may lie at infinity)"
            break
        x, value = trial, trial_value
        sigma = responses(x)
        if float(np.abs(fraction * step).max(initial=0.0)) <= tol * (1.0 + float(np.abs(x).max(initial=0.0))):
            converged = True
            break
    if estimate_lambda and not x[0] > 0:
        raise NotApplicableError(f"{caller}: the estimated lambda is {x[0]:.3g} <= 0 (play favours lower payoffs "
                                 "under this model); fix lam or check base")
    root = lq.information_root(list(zip(totals, sigma, designs, strict=True)))
    covariance = lq.two_step_sandwich(tensors, offset_tensor, x, freqs, totals, observed, sigma, designs, root,
                                      rank_tol)
    psi = x.copy()
    if estimate_lambda:
        jac = _lambda_theta_jacobian(x)
        psi[1:] = x[1:] / x[0]
        covariance = jac @ covariance @ jac.T
    null = _to_theta_directions(null_linear, x, estimate_lambda)
    parameters: dict[str, Any] = {"lam": lam, "estimate_lambda": estimate_lambda, "tol": tol, "rank_tol": rank_tol,
                                  "max_iterations": max_iterations, "max_seconds": max_seconds}
    if not converged:
        parameters["stopped_because"] = stopped
    return _finish("two_step", model, psi, estimate_lambda, lam, covariance, null, value, tuple(sigma), converged,
                   iterations, started, parameters)


def _lambda_theta_jacobian(x: np.ndarray) -> np.ndarray:
    """``d (lambda, theta) / d (lambda, beta)`` at ``x = (lambda, beta)``, ``theta = beta / lambda``."""
    lam, beta = x[0], x[1:]
    jac = np.zeros((x.size, x.size))
    jac[0, 0] = 1.0
    jac[1:, 0] = -beta / lam ** 2
    jac[1:, 1:] = np.eye(beta.size) / lam
    return jac


def _to_theta_directions(null: np.ndarray, x: np.ndarray, estimate_lambda: bool) -> np.ndarray:
    if not estimate_lambda or null.shape[0] == 0 or not x[0] > 0:
        return null
    return lq.orthonormal_rows(_lambda_theta_jacobian(x) @ null.T)


# -- full maximum likelihood under the QRE ------------------------------------------------------------------------


def _scaled_and_tensors(model: LinearPayoffModel, psi: np.ndarray, lam: float,
                        estimate_lambda: bool) -> tuple[np.ndarray, np.ndarray]:
    """``lambda * payoffs(theta)`` and its derivative tensors ``[P, n, *n_actions]`` with respect to ``psi``."""
    if estimate_lambda:
        lam_now, theta = float(psi[0]), psi[1:]
        payoffs = model.base + np.tensordot(theta, model.basis, axes=1)
        return lam_now * payoffs, np.concatenate([payoffs[None], lam_now * model.basis])
    return lam * model.payoffs(psi), lam * model.basis


def qre_maximum_likelihood(model: LinearPayoffModel, counts: Sequence[Any], *, lam: float = 1.0,
                           estimate_lambda: bool = False, start: Any = None, start_profile: Any = None,
                           on_unidentified: OnUnidentified = "raise", rank_tol: float = RANK_TOL,
                           tol: float = 1e-9, max_iterations: int | None = 200,
                           max_seconds: float | None = 30.0) -> InverseGameResult:
    """Full maximum likelihood: the predicted frequencies are the logit QRE of ``payoffs(theta)`` at ``lambda``.

    Starts at ``start`` (``[K]``, or ``[K + 1]`` as ``(lambda, theta)`` when lambda is estimated) or at the
    two-step estimate; the QRE is the one continued from the principal branch at the start (module docstring), or,
    with ``start_profile`` (a mixed profile, e.g. the observed frequencies), the QRE that Newton's method reaches
    from it at the start: the way to fit play at a QRE off the principal branch.
    Fisher scoring with the exact gradient (implicit differentiation) and a backtracking line search; converged
    when a step is below ``tol * (1 + |psi|)``. ``iterations``: scoring steps. ``parameters["principal_branch"]``:
    whether the final QRE is the principal branch's at the estimate. Unidentified directions as in the module
    docstring (checked at the start and at the end).
    """
    started = time.perf_counter()
    caller = "qre_maximum_likelihood"
    model, observed, lam, rank_tol, tol = _common_checks(model, counts, lam, on_unidentified, rank_tol, tol, caller)
    budget = Budget.checked(max_iterations, max_seconds, caller)
    names = _coordinate_names(model, estimate_lambda)
    size = model.n_parameters + (1 if estimate_lambda else 0)
    if start is None:
        first = two_step_estimate(model, observed, lam=lam, estimate_lambda=estimate_lambda,
                                  on_unidentified=on_unidentified, rank_tol=rank_tol)
        psi = np.concatenate([[first.lam], first.theta]) if estimate_lambda else first.theta.copy()
    else:
        psi = np.asarray(start, dtype=float).copy()
        if psi.shape != (size,) or not np.all(np.isfinite(psi)):
            raise GameError(f"{caller}: start must be {size} finite numbers ({', '.join(names) or 'none'})")
        if estimate_lambda and not psi[0] > 0:
            raise GameError(f"{caller}: start's lambda must be positive, got {psi[0]!r}")
    totals = [float(c.sum()) for c in observed]
    n_actions = model.n_actions

    def remaining() -> float | None:
        return None if budget.max_seconds is None else max(budget.max_seconds - budget.elapsed(), 1e-3)

    parameters: dict[str, Any] = {"lam": lam, "estimate_lambda": estimate_lambda, "tol": tol, "rank_tol": rank_tol,
                                  "max_iterations": max_iterations, "max_seconds": max_seconds}
    scaled, tensors = _scaled_and_tensors(model, psi, lam, estimate_lambda)
    if start_profile is None:
        w = lq.principal_qre(scaled, remaining())
        if w is None:
            raise NotApplicableError(f"{caller}: the principal QRE branch at the start could not be traced (budget or "
                                     "a lost branch); raise max_seconds or give another start")
    else:
        profile = NormalFormGame(scaled).check_profile(start_profile, f"{caller}(start_profile)")
        w = lq.newton_qre(scaled, np.concatenate([np.log(np.maximum(s, 1e-300)) for s in profile]))
        if w is None:
            raise NotApplicableError(f"{caller}: Newton's method from start_profile reached no QRE at the start; "
                                     "give a profile closer to one (e.g. the observed frequencies)")

    def log_likelihood(w: np.ndarray) -> float:
        return float(sum(c @ wi for c, wi in zip(observed, lq.split_logs(w, n_actions), strict=True)))

    def information(w: np.ndarray, scaled: np.ndarray, tensors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        derivatives = lq.qre_derivatives(scaled, tensors, w)
        profile = lq.split(w, n_actions)
        grad = sum((d.T @ c for d, c in zip(derivatives, observed, strict=True)), np.zeros(size))
        return grad, lq.information_root(list(zip(totals, profile, derivatives, strict=True)))

    value = log_likelihood(w)
    grad, root = information(w, scaled, tensors)
    null = lq.null_space(root, rank_tol)
    if null.shape[0] and on_unidentified == "raise":
        raise _unidentified_error(caller, null, names)
    iterations, converged, stopped = 0, False, ""
    while True:
        if budget.exhausted(iterations):
            stopped = budget.stop_reason(iterations)
            break
        step = lq.truncated_inverse(root, rank_tol) @ grad
        iterations += 1
        fraction, accepted = 1.0, None
        while fraction >= _MIN_STEP_FRACTION:
            trial = psi + fraction * step
            if not estimate_lambda or trial[0] > 0:
                trial_scaled, trial_tensors = _scaled_and_tensors(model, trial, lam, estimate_lambda)
                trial_w = lq.newton_qre(trial_scaled, w)
                if trial_w is not None:
                    trial_value = log_likelihood(trial_w)
                    if trial_value >= value + _ARMIJO * fraction * float(grad @ step) - 1e-12 * abs(value):
                        accepted = (trial, trial_scaled, trial_tensors, trial_w, trial_value)
                        break
            fraction /= 2
        if accepted is None:
            stopped = "the line search failed (no step along the scoring direction raised the likelihood)"
            break
        psi, scaled, tensors, w, value = accepted
        grad, root = information(w, scaled, tensors)
        if float(np.abs(fraction * step).max(initial=0.0)) <= tol * (1.0 + float(np.abs(psi).max(initial=0.0))):
            converged = True
            break
    null = lq.null_space(root, rank_tol)
    if null.shape[0] and on_unidentified == "raise":
        raise _unidentified_error(caller, null, names)
    covariance = lq.truncated_inverse(root, rank_tol)
    principal = lq.principal_qre(scaled, remaining())
    parameters["principal_branch"] = (None if principal is None else
                                      bool(np.abs(np.exp(principal) - np.exp(w)).max() <= _SAME_QRE))
    if not converged:
        parameters["stopped_because"] = stopped
    return _finish("qre_ml", model, psi, estimate_lambda, lam, covariance, null, value, lq.split(w, n_actions),
                   converged, iterations, started, parameters)


__all__ = ["RANK_TOL", "InverseGameResult", "LinearPayoffModel", "linear_payoff_model", "logit_qre",
           "logit_response_log_likelihood", "marginal_counts", "qre_log_likelihood", "qre_maximum_likelihood",
           "sample_counts", "two_step_estimate", "unknown_payoffs_model"]
