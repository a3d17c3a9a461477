"""Equilibrium quality measures for normal-form games, computed from the game and a profile alone.

For a mixed profile ``s`` and player ``i`` with action values ``v_i(a) = u_i(a, s_{-i})``:

- ``regret_i(s) = max_a v_i(a) - u_i(s)`` (>= 0): what player ``i`` gains by deviating to a best response;
- ``max_regret(s) = max_i regret_i(s)``: ``s`` is an ``eps``-Nash equilibrium iff ``max_regret(s) <= eps``;
- ``nash_conv(s) = sum_i regret_i(s)`` (OpenSpiel's NashConv; in two-player zero-sum games it is the duality gap,
  twice the exploitability).

For a joint distribution ``p`` over action profiles:

- CE gap: ``max_i max_{a, a'} sum_{a_{-i}} p(a, a_{-i}) [u_i(a', a_{-i}) - u_i(a, a_{-i})]`` — the largest gain from
  any swap "when told ``a``, play ``a'``"; ``p`` is a correlated equilibrium iff the gap is <= 0.
- CCE gap: ``max_i max_{a'} E_p[u_i(a', a_{-i})] - E_p[u_i(a)]`` — the gain from ignoring the recommendation.

All functions accept exact profiles (object arrays of Fractions) and then return exact values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from equilibria.core.compiled import jit_leaf
from equilibria.core.errors import GameError
from equilibria.games.normal_form import NormalFormGame

_FLOAT64 = np.dtype(np.float64)
PROFILE_TOL = 1e-6  # as NormalFormGame.check_profile: how far a strategy's entries and sum may stray


def _exact(profile: Sequence[Any]) -> bool:
    return any(np.asarray(s).dtype == object for s in profile)


def checked_profile(game: NormalFormGame, profile: Sequence[Any], caller: str) -> tuple[np.ndarray, ...]:
    """``game.check_profile(profile, caller)``: the same checks, errors and result (new float arrays).

    Profiles of float64 vectors of the right shapes take a quicker route (two reductions a player): a sum is
    finite exactly when every entry is, so ``min >= -tol`` and ``|sum - 1| <= tol`` are check_profile's tests.
    Anything else, and any profile that fails, goes through ``check_profile`` itself (which raises).
    """
    quick = _quick_float_profile(game, profile)
    if quick is None:
        return game.check_profile(profile, caller)
    return tuple([s.copy() for s in quick])


def _quick_float_profile(game: NormalFormGame, profile: Sequence[Any], tol: float = PROFILE_TOL
                         ) -> tuple[np.ndarray, ...] | None:
    """``profile`` itself when it is a valid profile of float64 vectors, else None (see :func:`checked_profile`)."""
    shape = game.payoffs.shape
    if not isinstance(profile, tuple | list) or len(profile) != shape[0]:
        return None
    for s, n in zip(profile, shape[1:], strict=True):
        if type(s) is not np.ndarray or s.dtype != _FLOAT64 or s.shape != (n,):
            return None
        if not (np.minimum.reduce(s) >= -tol and abs(np.add.reduce(s) - 1.0) <= tol):  # NaN fails too
            return None
    return tuple(profile)


def _checked(game: NormalFormGame, profile: Sequence[Any], caller: str) -> tuple[np.ndarray, ...]:
    """The profile validated as by ``check_profile``, without copying float64 vectors that pass."""
    quick = _quick_float_profile(game, profile)
    return game.check_profile(profile, caller) if quick is None else quick


def bimatrix_evaluation(payoffs: np.ndarray, x: np.ndarray, y: np.ndarray, tol: float, out: np.ndarray) -> None:
    """``out[:] = [u_row, u_column, regret_row, regret_column, max regret]`` of a float64 bimatrix profile.

    ``payoffs: [2, m, n]``, ``x: [m]``, ``y: [n]``, ``out: [5]``. All NaN when the profile fails
    check_profile's test (entries >= -tol, sums within tol of 1, NaN fails): the caller then takes the checked
    route, which raises the right error (a profile that passes gives finite numbers, as payoffs are finite). One
    pass of loops rather than BLAS: compiled (numba, when installed) this costs well under a microsecond on small
    games, where a chain of NumPy calls costs ten. Compiled as a leaf (:mod:`equilibria.core.compiled`), so that
    compiled solvers can certify the buffer they return in the same call (see ``solvers._common.nash_result``).
    """
    out[:] = np.nan
    total = 0.0
    for value in x:
        if not value >= -tol:
            return
        total += value
    if not abs(total - 1.0) <= tol:
        return
    total = 0.0
    for value in y:
        if not value >= -tol:
            return
        total += value
    if not abs(total - 1.0) <= tol:
        return
    out[0] = out[1] = 0.0
    m, n = x.shape[0], y.shape[0]
    best_row, best_column = -np.inf, -np.inf
    for i in range(m):
        value = 0.0
        for j in range(n):
            value += payoffs[0, i, j] * y[j]
        out[0] += x[i] * value
        best_row = max(best_row, value)
    for j in range(n):
        value = 0.0
        for i in range(m):
            value += x[i] * payoffs[1, i, j]
        out[1] += value * y[j]
        best_column = max(best_column, value)
    out[2], out[3] = best_row - out[0], best_column - out[1]
    out[4] = max(out[2], out[3])


def bimatrix_kernel() -> Any:
    """:func:`bimatrix_evaluation`, compiled as a leaf (cached on disk, on first use: importing the metrics imports no
    numba); itself when numba is not installed. The module global, the dispatcher itself once numba is loaded."""
    return _bimatrix_leaf


_bimatrix_leaf = jit_leaf(bimatrix_evaluation)


def _evaluate_bimatrix(game: NormalFormGame, x: np.ndarray, y: np.ndarray, tol: float) -> np.ndarray:
    out = np.empty(5)
    bimatrix_kernel()(game.payoffs, x, y, tol, out)
    return out


# Bimatrix games up to this many entries per player take the compiled loops; larger ones BLAS (strided loops lose).
KERNEL_MAX_ENTRIES = 64 * 64


def _kernel_applies(game: NormalFormGame, x: Any, y: Any) -> bool:
    """Whether :func:`bimatrix_evaluation` takes ``(x, y)``: float64 vectors of a small two-player game."""
    # ``is``: float64's descriptor is a singleton; an equal one that is not (rare) only takes the longer route.
    if type(x) is not np.ndarray or type(y) is not np.ndarray or x.dtype is not _FLOAT64 or y.dtype is not _FLOAT64:
        return False
    shape = game.payoffs.shape
    return (len(shape) == 3 and x.shape == (shape[1],) and y.shape == (shape[2],)
            and shape[1] * shape[2] <= KERNEL_MAX_ENTRIES)


def certified_bimatrix_profile(game: NormalFormGame, profile: Sequence[Any], tol: float = PROFILE_TOL
                               ) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray, np.float64] | None:
    """``(copied profile, payoffs [2], max regret)`` for a valid float64 two-player profile, else None.

    The quick route of :func:`checked_profile` + :func:`payoffs_and_regrets` + ``max`` for the profiles solvers
    return; anything it does not take (other types, shapes, an invalid profile) gives None, for the checked route.
    """
    if len(profile) != 2:
        return None
    x, y = profile
    if not _kernel_applies(game, x, y):
        return None
    numbers = _evaluate_bimatrix(game, x, y, tol)
    if math.isnan(numbers[4]):
        return None
    return (x.copy(), y.copy()), numbers[:2], numbers[4]


def _payoffs_and_regrets(game: NormalFormGame, profile: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
    """``(expected payoffs [n_players], regrets [n_players])`` of a checked profile, from one set of action values.

    Two players with float strategies: small games take the compiled loops of :func:`certified_bimatrix_profile`
    (so a solver's certificate is bit for bit this function's), larger ones the BLAS products ``A y`` and ``x B``
    that ``game.action_values`` (``tensordot``) ends in. Either way the numbers equal ``game.expected_payoffs`` up
    to the order of summation.
    """
    if len(profile) == 2 and _kernel_applies(game, *profile):
        numbers = _evaluate_bimatrix(game, profile[0], profile[1], np.inf)
        return numbers[:2], numbers[2:4]
    if len(profile) == 2 and profile[0].dtype == _FLOAT64 and profile[1].dtype == _FLOAT64:
        x, y = profile
        row_values, column_values = np.dot(game.payoffs[0], y), np.dot(x, game.payoffs[1])
        row, column = np.dot(row_values, x), np.dot(column_values, y)
        gains = (np.maximum.reduce(row_values) - row, np.maximum.reduce(column_values) - column)
        return np.array((row, column)), np.array(gains)
    exact = _exact(profile)
    payoffs, gains_list = [], []
    for i, strategy in enumerate(profile):
        values = game.action_values(profile, i)
        current = np.dot(values, strategy)
        payoffs.append(current)
        gains_list.append(max(values) - current)
    dtype = object if exact else float
    return np.array(payoffs, dtype=dtype), np.array(gains_list, dtype=dtype)


def payoffs_and_regrets(game: NormalFormGame, profile: Sequence[Any], *, checked: bool = False
                        ) -> tuple[np.ndarray, np.ndarray]:
    """``(game.expected_payoffs(profile), regrets(game, profile))`` from one set of action values.

    ``checked=True`` skips the profile checks, for a profile that :func:`checked_profile` returned.
    """
    if not checked:
        profile = _checked(game, profile, "payoffs_and_regrets(profile)")
    return _payoffs_and_regrets(game, tuple(profile))


def regrets(game: NormalFormGame, profile: Sequence[Any]) -> np.ndarray:
    """``[n_players]``: each player's gain from a best unilateral deviation (>= 0)."""
    return _payoffs_and_regrets(game, _checked(game, profile, "regrets(profile)"))[1]


def max_regret(game: NormalFormGame, profile: Sequence[Any]) -> Any:
    """The largest regret of any player: ``profile`` is an eps-Nash equilibrium iff this is <= eps."""
    return max(regrets(game, profile))


def nash_conv(game: NormalFormGame, profile: Sequence[Any]) -> Any:
    """The sum of the players' regrets (OpenSpiel's NashConv)."""
    return sum(regrets(game, profile))


def _check_joint(game: NormalFormGame, joint: Any, caller: str) -> np.ndarray:
    arr = np.asarray(joint)
    if arr.shape != game.n_actions:
        raise GameError(f"{caller}: joint distribution must have shape {game.n_actions}, got {arr.shape}")
    return arr


def _payoffs_like(game: NormalFormGame, joint: np.ndarray) -> np.ndarray:
    return game.fraction_payoffs() if joint.dtype == object else game.payoffs


def _per_player_views(game: NormalFormGame, joint: Any, caller: str) -> tuple[np.ndarray, list[tuple]]:
    """The checked joint and, per player ``i``, ``(u, p)``: utilities and probabilities as ``[a_i, a_-i]`` matrices."""
    joint = _check_joint(game, joint, caller)
    payoffs = _payoffs_like(game, joint)
    views = []
    for i in range(game.n_players):
        u = np.moveaxis(payoffs[i], i, 0).reshape(game.n_actions[i], -1)
        p = np.moveaxis(joint, i, 0).reshape(game.n_actions[i], -1)
        views.append((u, p))
    return joint, views


def ce_gaps(game: NormalFormGame, joint: Any) -> np.ndarray:
    """``[n_players]``: each player's best swap gain under the joint distribution (<= 0 at a CE)."""
    joint, views = _per_player_views(game, joint, "ce_gaps(joint)")
    # gain[a, a'] = sum_{a_-i} p(a, a_-i) (u(a', a_-i) - u(a, a_-i))
    gaps = [max((p @ u.T - np.sum(p * u, axis=1)[:, None]).ravel()) for u, p in views]
    return np.array(gaps, dtype=object if joint.dtype == object else float)


def ce_gap(game: NormalFormGame, joint: Any) -> Any:
    """Max over players of the best swap gain; ``joint`` is a correlated equilibrium iff this is <= 0."""
    return max(ce_gaps(game, joint))


def cce_gaps(game: NormalFormGame, joint: Any) -> np.ndarray:
    """``[n_players]``: each player's gain from committing to the best fixed action instead of following ``joint``."""
    joint, views = _per_player_views(game, joint, "cce_gaps(joint)")
    gaps = [max(u @ p.sum(axis=0)) - np.sum(p * u) for u, p in views]
    return np.array(gaps, dtype=object if joint.dtype == object else float)


def cce_gap(game: NormalFormGame, joint: Any) -> Any:
    """Max over players of the deviation gain; ``joint`` is a coarse correlated equilibrium iff this is <= 0."""
    return max(cce_gaps(game, joint))


def joint_expected_payoffs(game: NormalFormGame, joint: Any) -> np.ndarray:
    """``[n_players]``: expected payoffs under a joint distribution."""
    joint = _check_joint(game, joint, "joint_expected_payoffs(joint)")
    payoffs = _payoffs_like(game, joint)
    return np.array([np.sum(payoffs[i] * joint) for i in range(game.n_players)],
                    dtype=object if joint.dtype == object else float)


def product_distribution(profile: Sequence[Any]) -> np.ndarray:
    """The joint distribution ``[*n_actions]`` of independent mixed strategies (outer product)."""
    joint = np.asarray(profile[0])
    for s in profile[1:]:
        joint = np.multiply.outer(joint, np.asarray(s))
    return joint
