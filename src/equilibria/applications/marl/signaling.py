"""Lewis signaling games: the game, its profiles and their classification (Lewis 1969; Skyrms 2010).

Conventions (written once here; :mod:`~equilibria.applications.marl.signaling_dynamics` shares them):

- ``N`` states, ``N`` signals, ``N`` acts. Nature draws state ``s`` with probability ``prior[s]`` (``prior: [N]``,
  every entry positive); the sender sees it and sends signal ``m`` with probability ``sender[s, m]``
  (``sender: [N states, N signals]``, row-stochastic); the receiver sees only ``m`` and does act ``a`` with
  probability ``receiver[m, a]`` (``receiver: [N signals, N acts]``, row-stochastic). Both get 1 when the act
  matches the state (``a == s``) and 0 otherwise: common interest, so one number, the *expected payoff*
  ``payoff = sum_s prior[s] sum_m sender[s, m] receiver[m, s]``, the probability of the right act, is both players'.
- These are *behaviour* strategies. A *pure* strategy of the sender is a map states -> signals, coded as the tuple
  ``f`` with ``f[s]`` the signal in state ``s``; there are ``N^N`` of them, enumerated by ``itertools.product``
  (:func:`pure_strategies`); likewise the receiver's maps signals -> acts. A population (a mixed strategy over pure
  strategies) induces the behaviour strategy of its marginals (:func:`behaviour_of`); the expected payoff of two
  independent populations is the payoff of their induced behaviour strategies (it is linear and separable).
- *Signaling systems* are the profiles with payoff 1: the sender's map is a bijection and the receiver decodes it
  (``receiver = sender^T`` for a permutation matrix ``sender``); there are ``N!`` of them (:func:`signaling_systems`).
- Classification (:func:`classify`) of a profile (pure, or the end point of a dynamic) with a stated tolerance
  ``tol``: ``"signaling system"`` when ``payoff >= 1 - tol``; otherwise, when both players' regrets (the gain of
  the best response, computed exactly: the payoff is linear in each row) are at most ``tol``, ``"total pooling"``
  when the payoff is at most ``max(prior) + tol`` (no information is used: the receiver might as well ignore the
  signal) and ``"partial pooling"`` otherwise (an equilibrium that transmits some but not all information: some
  states share a signal); any other profile, not a ``tol``-equilibrium, is ``"other"`` (a run that has not settled).
  Regrets, not a dynamic's bookkeeping, decide: every label is computed from the strategies themselves.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from equilibria.core.errors import GameError

__all__ = ["OUTCOMES", "behaviour_of", "check_prior", "classify", "classify_batch", "geometric_prior",
           "payoff", "pure_payoff_matrix", "pure_strategies", "regrets", "signaling_systems", "uniform_prior",
           "which_system"]

#: the outcome labels of :func:`classify`, in the order :func:`classify_batch` codes them (0, 1, 2, 3)
OUTCOMES = ("signaling system", "partial pooling", "total pooling", "other")


def check_prior(prior: Any, caller: str = "signaling") -> np.ndarray:
    """``prior: [N]``, positive entries summing to 1 (within 1e-9; renormalised), N >= 2, or a one-line GameError."""
    try:
        p = np.asarray(prior, dtype=float)
    except (TypeError, ValueError):
        raise GameError(f"{caller}: prior must be a vector of probabilities, got {prior!r}") from None
    if p.ndim != 1 or p.shape[0] < 2:
        raise GameError(f"{caller}: prior must be a vector of at least 2 state probabilities, got shape {p.shape}")
    if not np.all(np.isfinite(p)) or np.any(p <= 0) or abs(p.sum() - 1.0) > 1e-9:
        raise GameError(f"{caller}: prior must have positive entries summing to 1, got {p.tolist()}")
    return p / p.sum()


def _check_n(n: Any, caller: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 2:
        raise GameError(f"{caller}: n (states = signals = acts) must be an integer >= 2, got {n!r}")
    return int(n)


def uniform_prior(n: int) -> np.ndarray:
    """Equiprobable states, ``[N]``."""
    return np.full(_check_n(n, "uniform_prior"), 1.0 / n)


def geometric_prior(n: int, ratio: float) -> np.ndarray:
    """A skewed prior ``prior[s] ∝ ratio^s``, ``[N]`` (``0 < ratio <= 1``; 1 is uniform, smaller is more skewed).

    For ``N = 2`` it is ``(1, ratio) / (1 + ratio)``: ``ratio = 3/7`` gives Huttegger et al.'s ``(0.7, 0.3)``.
    """
    n = _check_n(n, "geometric_prior")
    if isinstance(ratio, bool) or not isinstance(ratio, int | float) or not 0 < ratio <= 1:
        raise GameError(f"geometric_prior: ratio must lie in (0, 1], got {ratio!r}")
    weights = float(ratio) ** np.arange(n)
    return weights / weights.sum()


def _check_profile(prior: np.ndarray, sender: Any, receiver: Any, caller: str) -> tuple[np.ndarray, np.ndarray]:
    n = prior.shape[0]
    s, r = np.asarray(sender, dtype=float), np.asarray(receiver, dtype=float)
    for name, x in (("sender", s), ("receiver", r)):
        if x.shape[-2:] != (n, n):
            raise GameError(f"{caller}: {name} must be [..., {n}, {n}] for {n} states, got shape {x.shape}")
        if np.any(x < -1e-6) or np.any(np.abs(x.sum(axis=-1) - 1.0) > 1e-4):
            raise GameError(f"{caller}: {name} rows must be probability vectors (nonnegative, summing to 1)")
    return s, r


def payoff(prior: Any, sender: Any, receiver: Any) -> Any:
    """The expected payoff (probability of the right act) ``sum_s prior[s] sum_m sender[s, m] receiver[m, s]``.

    Pure array arithmetic on NumPy or JAX arrays, batched over leading axes: ``sender, receiver: [..., N, N]`` ->
    ``[...]``; jit/vmap-able (no checks: :func:`classify` checks its input).
    """
    # sum_m sender[s, m] receiver[m, s]: the diagonal of sender @ receiver, without forming the product
    return (sender * receiver.swapaxes(-1, -2)).sum(axis=-1) @ prior


def regrets(prior: Any, sender: Any, receiver: Any) -> tuple[np.ndarray, np.ndarray]:
    """Each player's regret (best-response payoff minus payoff), ``[...]`` each, exact.

    The payoff is linear in each row, so the best responses are pure and row by row: the sender's in state ``s``
    sends ``argmax_m receiver[m, s]``; the receiver's on signal ``m`` does ``argmax_a prior[a] sender[a, m]``.
    """
    p = check_prior(prior, "regrets")
    s, r = _check_profile(p, sender, receiver, "regrets")
    value = np.einsum("s,...sm,...ms->...", p, s, r)
    sender_best = np.einsum("s,...s->...", p, r.max(axis=-2))
    receiver_best = (p[:, None] * s).max(axis=-2).sum(axis=-1)
    return np.maximum(sender_best - value, 0.0), np.maximum(receiver_best - value, 0.0)


def classify_batch(prior: Any, sender: Any, receiver: Any, tol: float) -> np.ndarray:
    """Outcome codes (indices into :data:`OUTCOMES`) of profiles ``sender, receiver: [..., N, N]`` -> ``[...]``
    int; see the module docstring for the rule and ``tol``."""
    p = check_prior(prior, "classify")
    if isinstance(tol, bool) or not isinstance(tol, int | float) or not 0 <= tol < 0.5:
        raise GameError(f"classify: tol must lie in [0, 0.5), got {tol!r}")
    s, r = _check_profile(p, sender, receiver, "classify")
    value = np.einsum("s,...sm,...ms->...", p, s, r)
    sender_regret, receiver_regret = regrets(p, s, r)
    equilibrium = (sender_regret <= tol) & (receiver_regret <= tol)
    codes = np.full(value.shape, 3, dtype=np.int64)
    codes = np.where(equilibrium & (value <= p.max() + tol), 2, codes)
    codes = np.where(equilibrium & (value > p.max() + tol), 1, codes)
    return np.where(value >= 1.0 - tol, 0, codes)


def classify(prior: Any, sender: Any, receiver: Any, tol: float = 1e-6) -> str:
    """The outcome label (one of :data:`OUTCOMES`) of one profile ``sender, receiver: [N, N]``, within ``tol``."""
    return OUTCOMES[int(classify_batch(prior, sender, receiver, tol))]


def pure_strategies(n: int) -> np.ndarray:
    """Every map ``{0..N-1} -> {0..N-1}`` as rows ``f`` with ``f[s]`` the image of ``s``: ``[N^N, N]`` int."""
    n = _check_n(n, "pure_strategies")
    return np.array(list(itertools.product(range(n), repeat=n)), dtype=np.int64)


def _incidence(n: int) -> np.ndarray:
    """``[N^N, N, N]``: ``incidence[f, s, m] = 1`` iff pure strategy ``f`` maps ``s`` to ``m``."""
    maps = pure_strategies(n)
    return np.eye(n)[maps]


def behaviour_of(population: Any, n: int) -> np.ndarray:
    """The behaviour strategy ``[..., N, N]`` (rows: states or signals) induced by ``population: [..., N^N]``, a
    mixed strategy over :func:`pure_strategies` (the marginal of each row)."""
    x = np.asarray(population, dtype=float)
    return np.einsum("...f,fsm->...sm", x, _incidence(n))


def pure_payoff_matrix(prior: Any) -> np.ndarray:
    """The common payoff ``[N^N sender maps, N^N receiver maps]``: ``A[f, g] = sum_s prior[s] [g[f[s]] == s]``."""
    p = check_prior(prior, "pure_payoff_matrix")
    n = p.shape[0]
    maps = pure_strategies(n)
    decoded = maps[:, maps]  # [g, f, s] = g[f[s]]
    return np.einsum("gfs,s->fg", decoded == np.arange(n), p)


def signaling_systems(n: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The ``N!`` signaling systems ``(sender, receiver)``, ``[N, N]`` each: a permutation matrix and its inverse."""
    n = _check_n(n, "signaling_systems")
    if math.factorial(n) > 40_320:
        raise GameError(f"signaling_systems: n! profiles are listed, n must be at most 8, got {n}")
    eye = np.eye(n)
    return [(eye[list(perm)], eye[list(perm)].T) for perm in itertools.permutations(range(n))]


def which_system(sender: Any, receiver: Any) -> np.ndarray:
    """For profiles ``[..., N, N]``, the signal each state is most often sent as, ``[..., N]`` int (for a
    signaling system: its permutation; used to colour basins of attraction)."""
    del receiver  # a signaling system is determined by its sender
    return np.asarray(sender).argmax(axis=-1)

