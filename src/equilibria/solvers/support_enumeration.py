"""All Nash equilibria of a nondegenerate bimatrix game by support enumeration.

Maths (von Stengel 2007, "Equilibrium computation for two-player games in strategic and extensive form",
Algorithmic Game Theory, ch. 3, section 3.3). In a *nondegenerate* ``m x n`` game ``(A, B)`` (no mixed
strategy with support of size ``k`` has more than ``k`` pure best responses) every equilibrium ``(x, y)`` has
supports ``I = supp(x)``, ``J = supp(y)`` of equal size ``k``, and is the unique solution of the two
indifference systems

    sum_{j in J} A[i, j] y_j = v  (i in I),   sum_{j in J} y_j = 1;
    sum_{i in I} x_i B[i, j] = u  (j in J),   sum_{i in I} x_i = 1,

that is also feasible (``x, y >= 0``) and a best response (``(A y)_i <= v`` and ``(x^T B)_j <= u`` for every
action). Enumerating all pairs of equal-size supports therefore finds every equilibrium of a nondegenerate
game.

**Degenerate games.** Equilibria of a degenerate game may have supports of unequal sizes or come in continua
(the indifference systems are then singular or underdetermined); support enumeration can miss them. It still
only returns genuine equilibria (every candidate is checked), but it is *not* complete there:
:func:`equilibria.solvers.vertex_enumeration.vertex_enumeration_solve` is the complete method (all extreme
equilibria of any bimatrix game).

Numerics: each payoff matrix is mapped affinely onto ``[0, 1]`` (no equilibrium changes), so ``tol`` is
relative to the payoff range; no test is an exact float equality. All support pairs of one size are solved
together with stacked ``np.linalg.solve`` calls, a block at a time; the row player's mixture ``x`` is solved
for only on the pairs whose column mixture ``y`` passed its checks. ``iterations`` counts the support pairs
examined. A block holds at most ``_BLOCK`` pairs, fewer on games with many actions, so that its arrays (every
action's payoff against every pair's mixture) stay within ``_WORK_BYTES``: the working memory does not grow
with the number of support pairs, and a budget stop comes within one block.

**Fast path.** First a compiled enumeration (:mod:`equilibria.solvers._enumeration_fast`, numba; one LU factoring
per support prefix, see :mod:`equilibria.solvers._enumeration_kernels`) runs; at the first sign of degeneracy (a
singular system, a probability within ``tol`` of zero, a tie with an action outside the support), on games that
are not ``float_resolves``, or without compiled code it declines and the NumPy enumeration below runs as before
(``parameters["fast_path"]`` says which).

**Never a wrong answer.** Every float profile found is certified on the original game within rounding of the
payoffs, as in :mod:`equilibria.solvers.vertex_enumeration` (whose ``certified_or_exact`` this module shares):
a profile that fails is re-solved exactly on its supports, and if that fails too, or the game has payoffs
closer than ``16 tol`` times their range (``float_resolves``), or nothing was found, the answer is the game's
extreme equilibria found by exact vertex enumeration, returned as floats (every equilibrium support enumeration
can find is one of them: its indifference systems are nonsingular, so both mixtures are vertices).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import combinations, islice
from math import comb
from typing import Any

import numpy as np

from equilibria.core.errors import GameError
from equilibria.core.result import SolveResult
from equilibria.games.normal_form import NormalFormGame
from equilibria.solvers._common import (
    Budget,
    distinct_indices_within,
    float_resolves,
    memory_limit,
    require_normal_form,
    small_game_interpreted,
)
from equilibria.solvers.vertex_enumeration import certified_or_exact, memory_needed

_METHOD = "support_enumeration"
# Support pairs solved per stacked call: amortises NumPy's per-call cost while keeping memory small.
_BLOCK = 32_768
# Float profiles this close (max norm) are one equilibrium (as in vertex_enumeration).
_SAME = 1e-9
# Bytes a block's arrays may take; on games with many actions this, not _BLOCK, sets the block.
_WORK_BYTES = 64 * 2**20


def support_enumeration_solve(
    game: Any,
    *,
    tol: float = 1e-9,
    max_seconds: float | None = None,
    max_iterations: int | None = None,
) -> SolveResult:
    """All Nash equilibria of a nondegenerate two-player game (may miss some in degenerate games).

    Every returned profile is a genuine equilibrium (certified by ``nash_result`` within rounding of the
    payoffs). For degenerate games, whose equilibria can have unequal support sizes or form continua, use
    ``vertex_enumeration_solve``, which is complete.

    Args:
      game: a two-player NormalFormGame with payoffs ``[2, m, n]``.
      tol: tolerance relative to each player's payoff range, for probabilities ``>= -tol`` and best responses.
      max_seconds: wall-clock budget.
      max_iterations: budget on the number of support pairs examined.

    Returns:
      A SolveResult with profiles ``(x: [m], y: [n])``; ``iterations`` = support pairs examined;
      ``complete=False`` always: the enumeration is complete only for nondegenerate games, which it does not check.
    """
    budget = Budget(max_iterations=max_iterations, max_seconds=max_seconds)
    game = require_normal_form(game, "support_enumeration_solve(game)", players=2)
    if not (isinstance(tol, float | int) and np.isfinite(tol) and 0 < tol < 1e-3):
        raise GameError(f"support_enumeration_solve(tol): expected a number in (0, 1e-3), got {tol!r}")
    parameters: dict[str, Any] = {"tol": tol, "max_seconds": max_seconds, "max_iterations": max_iterations,
                                  "complete_if": "the game is nondegenerate (not checked)"}
    m, n = game.n_actions
    with small_game_interpreted(m, n):
        return _float_support_enumeration(game, tol, budget, parameters)


def _float_support_enumeration(game: NormalFormGame, tol: float, budget: Budget, parameters: dict[str, Any]
                               ) -> SolveResult:
    from equilibria.solvers._enumeration_fast import fast_support_equilibria

    m, n = game.n_actions
    max_iterations = budget.max_iterations

    # The compiled enumeration; None at any sign of degeneracy (then the NumPy enumeration below, as before).
    if (fast := fast_support_equilibria(game, tol, budget, parameters)) is not None:
        found, evaluations, pairs, finished = fast
        if not finished:
            parameters["stopped_because"] = budget.stop_reason(pairs)
        return certified_or_exact(game, _METHOD, found, parameters=parameters, iterations=pairs, budget=budget,
                                  converged=finished, complete=False, exact_complete=False,
                                  candidate_evaluations=evaluations)
    if not float_resolves(game, tol) and memory_needed(m, n, True) <= memory_limit():
        return certified_or_exact(game, _METHOD, [], parameters=parameters, iterations=0, budget=budget,
                                  converged=True, complete=False, unresolved=True, exact_complete=False)
    a, b = (_unit_range(game.payoffs[i]) for i in range(2))
    profiles: list[tuple[np.ndarray, np.ndarray]] = []
    iterations, converged = 0, True
    for size in range(1, min(m, n) + 1):
        # Per pair: the system, its LU factors and solution (about 3 (size + 1)^2 numbers) and every action's
        # payoff against its mixture (a few arrays of max(m, n) numbers).
        per_pair = 8 * (3 * (size + 1) ** 2 + 6 * (max(m, n) + 1))
        block = int(max(1, min(_BLOCK, _WORK_BYTES // per_pair)))
        for rows, cols in _support_pairs(m, n, size, block):
            if budget.exhausted(iterations):
                converged = False
                break
            if max_iterations is not None:  # honour the iteration budget exactly, not block by block
                rows, cols = rows[: max_iterations - iterations], cols[: max_iterations - iterations]
            iterations += len(rows)
            profiles.extend(_equilibria_on_supports(a, b, rows, cols, tol))
        if not converged:
            parameters["stopped_because"] = budget.stop_reason(iterations)
            break
    keep, deduplicated = distinct_indices_within(profiles, _SAME, budget)
    # Complete only for nondegenerate games, which is not checked: the result never claims completeness.
    return certified_or_exact(game, _METHOD, [profiles[i] for i in keep], parameters=parameters,
                              iterations=iterations, budget=budget, converged=converged and deduplicated,
                              complete=False, exact_complete=False)


def _unit_range(payoff: np.ndarray) -> np.ndarray:
    """The payoff matrix mapped affinely onto ``[0, 1]`` (all zeros when constant)."""
    span = np.ptp(payoff)
    return np.zeros_like(payoff) if span == 0 else (payoff - payoff.min()) / span


def _chunks(items: Iterable[tuple[int, ...]], size: int) -> Iterator[np.ndarray]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield np.array(chunk, dtype=int)


def _support_pairs(m: int, n: int, size: int, block: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Blocks of at most ``block`` pairs of supports of ``size`` actions: ``(rows [P, size], cols [P, size])``,
    lazily."""
    col_chunk = min(comb(n, size), block)
    row_chunk = max(1, block // col_chunk)
    for rows in _chunks(combinations(range(m), size), row_chunk):
        for cols in _chunks(combinations(range(n), size), col_chunk):
            yield np.repeat(rows, len(cols), axis=0), np.tile(cols, (len(rows), 1))


def _equilibria_on_supports(a: np.ndarray, b: np.ndarray, rows: np.ndarray, cols: np.ndarray,
                            tol: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """The equilibria with supports ``(rows[p], cols[p])`` for a block of pairs ``p``."""
    y = _indifferent_mixtures(a, rows, cols, tol)  # column player's mix making rows[p] indifferent and best
    keep = np.flatnonzero(~np.isnan(y[:, 0]))
    if len(keep) == 0:
        return []
    x = _indifferent_mixtures(b.T, cols[keep], rows[keep], tol)
    found = np.flatnonzero(~np.isnan(x[:, 0]))
    return [(x[f], y[keep[f]]) for f in found]


def _indifferent_mixtures(payoff: np.ndarray, own: np.ndarray, other: np.ndarray, tol: float) -> np.ndarray:
    """``[P, payoff.shape[1]]``: for each pair, the opponent's mixture on ``other[p]`` that makes the player
    with utilities ``payoff[own_action, other_action]`` indifferent among ``own[p]`` with those actions best
    responses.

    Rows that fail (singular system, a negative probability, a better action outside ``own[p]``) are NaN.
    """
    n_pairs, size = own.shape
    system = np.empty((n_pairs, size + 1, size + 1))
    system[:, :size, :size] = payoff[own[:, :, None], other[:, None, :]]
    system[:, :size, size] = -1.0  # sum_j payoff[i, j] z_j - value = 0
    system[:, size, :size] = 1.0  # sum_j z_j = 1
    system[:, size, size] = 0.0
    solved, solution = _solve_for_last_unit_vector(system)
    # Cheap filter first (most candidates have a negative probability), then the best-response check, which
    # recomputes the payoffs from the mixture and never trusts the solve.
    nonnegative = solution[:, :size].min(axis=1) >= -tol
    solved, solution = solved[nonnegative], solution[nonnegative, :size]
    mixture = np.zeros((len(solved), payoff.shape[1]))
    np.put_along_axis(mixture, other[solved], solution, axis=1)
    with np.errstate(all="ignore"):  # a nearly singular system may overflow; its row then fails the check
        values = mixture @ payoff.T  # [R, n_own]: the player's payoff of every action against the mixture
        support_values = np.take_along_axis(values, own[solved], axis=1)
        best = np.isfinite(values).all(axis=1) & (values.max(axis=1) <= support_values.min(axis=1) + tol)
    good = np.maximum(mixture[best], 0.0)
    out = np.full((n_pairs, payoff.shape[1]), np.nan)
    out[solved[best]] = good / good.sum(axis=1, keepdims=True)
    return out


def _solve_for_last_unit_vector(system: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``system[p] z = e_last`` for every nonsingular ``p``: ``(indices [R], solutions [R, size + 1])``.

    One stacked LU solve; only when some system is exactly singular (LAPACK's zero pivot, common in integer
    games) are those found with a determinant (the same LU, so the same zero pivot) and left out. Nearly
    singular systems are solved and left to the caller's explicit checks.
    """
    rhs = np.zeros((*system.shape[:2], 1))
    rhs[:, -1, 0] = 1.0
    indices = np.arange(len(system))
    try:
        with np.errstate(all="ignore"):
            return indices, np.linalg.solve(system, rhs)[:, :, 0]
    except np.linalg.LinAlgError:
        indices = np.flatnonzero(np.linalg.det(system) != 0)
        with np.errstate(all="ignore"):
            return indices, np.linalg.solve(system[indices], rhs[indices])[:, :, 0]
