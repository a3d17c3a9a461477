"""Minimax equilibria of two-player zero-sum (and constant-sum) games by one linear program.

Maths (von Neumann 1928; the LP form is Dantzig 1951). For row payoffs ``A: [m, n]`` the row player's maximin
strategy ``x`` and the column player's minimax strategy ``y`` satisfy
``min_j (x^T A)_j = max_i (A y)_i = v``, the value of the game; every such pair is a Nash equilibrium and all
equilibria share the value ``v``. A constant-sum game (``A + B = c``) has the same equilibria as the zero-sum
game ``(A, -A)``, so only ``A`` is used.

Formulation. Map the payoffs to ``P = (A - min A) / (max A - min A) + 1``, whose entries lie in ``[1, 2]`` (a
positive affine map changes no equilibrium, makes the value positive, and makes HiGHS's absolute tolerances
relative to the payoff range). Then ``u = x / v_P`` solves

    min 1^T u   s.t.  P^T u >= 1,  u >= 0          (no free value variable, no equality row)

and its dual ``max 1^T w  s.t.  P w <= 1, w >= 0`` gives ``y = w / 1^T w``, so one LP yields both strategies.

Three ways to solve it, whichever measured faster (random uniform games, one core, median CPU seconds):

- games with at most 25 entries, while numba is not loaded in the process, go to the dense simplex of
  :mod:`equilibria.solvers._dense_simplex` run interpreted (a millisecond, where importing ``scipy.optimize``
  for HiGHS costs a few tenths of a second; see :func:`equilibria.core.compiled.prefer_interpreted`), with
  HiGHS as the fallback;
- games with fewer than 10,000 payoff entries go to HiGHS (``scipy.optimize.linprog``, dual simplex, no
  presolve), which returns ``w`` as the marginals of the inequality rows;
- larger games use the dense primal-dual interior point of :mod:`equilibria.solvers._matrix_game_ipm`
  (Mehrotra 1992 with a Gondzio corrector, a float32 normal matrix while it factors, a working subgame that
  sheds the strategies leaving the support and restores any the full game needs, and a crossover that re-derives
  both strategies from the equalities on the predicted supports and accepts them only when their duality gap on
  the full game is at rounding level). Against HiGHS's dual simplex: 100x100 4.4 ms against 4.7 ms, 200x200
  7 ms against 47 ms; 500x500 0.04 s, 2000x2000 1.3 s (HiGHS's interior point: 0.46 s and about 30 s). Degenerate
  games (supports of different sizes), stalls and the rare game the crossover cannot settle go to HiGHS
  (its interior point from 40,000 entries on, its dual simplex below), whose answer is then polished.

Polishing (the simplex answers; the interior point's crossover is one already). The LP solution is re-derived from
the equalities on its supports ``S`` (rows) and ``J`` (columns): ``A[S, J]^T x_S = v 1, 1^T x_S = 1`` and
``A[S, J] y_J = v 1, 1^T y_J = 1`` (least squares when not square). A re-derived strategy replaces the LP's only
when it is a probability vector that guarantees more (less) than the LP's, so polishing never makes the answer
worse; it brings the duality gap to rounding level.

Exact mode (``rational=True``): the supports and the tight (best-response) sets of the float solution define
an exact linear system in :class:`fractions.Fraction` for ``(x_S, v)`` and ``(y_J, v)``; its unique solution
is verified exactly (non-negative, guarantees ``v`` against every pure reply): the certificate is exactly 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from equilibria.core.compiled import interpreting
from equilibria.core.errors import GameError, NotApplicableError
from equilibria.core.result import SolveResult
from equilibria.solvers import _dense_simplex
from equilibria.solvers._common import Budget, nash_result, require_normal_form, small_game_interpreted

_METHOD = "zero_sum_lp"
# From this many payoff entries on the dense interior point beats HiGHS's dual simplex (measured on random games,
# see the module docstring).
_INTERIOR_POINT_MIN_ENTRIES = 10_000
# From this many payoff entries on, HiGHS's interior point beats its dual simplex (when HiGHS is the fallback).
_HIGHS_IPM_MIN_ENTRIES = 40_000
# A duality gap (relative to the payoff range) at rounding level: polishing is skipped below it (nothing left to
# gain, and a least-squares solve costs time).
_ROUNDING_GAP = 1e-13
# Relative tolerances (to the payoff range) that decide which pure replies are tight in exact mode, tried in
# turn until one gives a verified exact equilibrium.
_TIGHT_TOLERANCES = (1e-9, 1e-6, 1e-12)


def zero_sum_lp_solve(game: Any, *, rational: bool = False, max_seconds: float | None = None) -> SolveResult:
    """One minimax equilibrium ``(x, y)`` of a two-player constant-sum game.

    ``values`` holds the players' payoffs ``(v, c - v)`` with ``v`` the game value; ``iterations`` counts
    interior-point steps (large games) or simplex pivots (HiGHS's, or the dense simplex's on small games).

    Args:
      game: a two-player NormalFormGame whose payoffs add up to the same constant in every cell.
      rational: return exact Fraction strategies, verified exactly (certificate exactly 0).
      max_seconds: time limit (checked every interior-point step, handed to HiGHS); when it is hit the
        result is empty with ``converged=False``, and ``parameters["stopped_because"]`` says so (as it says
        why HiGHS stopped when it stops without an optimum).

    Returns:
      A SolveResult with one profile ``(x: [m], y: [n])``.

    Raises:
      NotApplicableError: the game is not a two-player constant-sum game.
      GameError: bad arguments.
    """
    budget = Budget(max_seconds=max_seconds)
    game = require_normal_form(game, "zero_sum_lp_solve(game)")
    if not isinstance(rational, bool):
        raise GameError(f"zero_sum_lp_solve(rational): expected True or False, got {rational!r}")
    _require_constant_sum(game)
    parameters = {"rational": rational, "max_seconds": max_seconds}
    a = np.asarray(game.payoffs[0], dtype=float)
    with small_game_interpreted(*a.shape):
        solution = _solve_lp(a, budget)
        if isinstance(solution, str):
            return nash_result(game, _METHOD, [], parameters={**parameters, "stopped_because": solution},
                               iterations=0, budget=budget, converged=False)
        x, y, iterations = solution
        profile: tuple[np.ndarray, ...] = (x, y)
        if rational:
            profile = _exact_profile(game.payoffs[0], game.fraction_payoffs()[0], *profile)
        return nash_result(game, _METHOD, [profile], parameters=parameters, iterations=iterations, budget=budget,
                           rational=rational)


def _require_constant_sum(game: Any) -> None:
    if game.n_players != 2:
        raise NotApplicableError(
            f"zero_sum_lp_solve(game): needs a two-player game, got {game.n_players} players; use qre_solve, "
            "pure_solve or correlated_solve for n-player games"
        )
    if not game.is_constant_sum():
        raise NotApplicableError(
            "zero_sum_lp_solve(game): the payoffs do not add up to a constant in every cell (not a zero-sum "
            "or constant-sum game); use lemke_howson_solve or vertex_enumeration_solve for general-sum games"
        )


# -- the LP -------------------------------------------------------------------------------------------------


def _solve_lp(a: np.ndarray, budget: Budget) -> tuple[np.ndarray, np.ndarray, int] | str:
    """``(x, y, iterations)``: the dense interior point for large games, the dense simplex for small ones while
    numba is not loaded, else (or if they fail) HiGHS, polished; why there is no answer otherwise."""
    if interpreting() and (found := _dense_simplex_solution(a)) is not None:
        return (*_polish(a, *found[:2]), found[2])
    if a.size >= _INTERIOR_POINT_MIN_ENTRIES:
        found = _dense_interior_point(a, budget)
        if found is not None:
            return found  # already verified at rounding level on the full game
    from scipy.optimize import linprog  # first, so that the import's few tenths of a second count in the budget

    remaining = None if budget.max_seconds is None else budget.max_seconds - budget.elapsed()
    if remaining is not None and remaining <= 0:
        return f"max_seconds={budget.max_seconds:g} reached"
    solved = _solve_highs(linprog, a, remaining)
    if isinstance(solved, str):
        return solved
    x, y, iterations = solved
    return (*_polish(a, x, y), iterations)


def _scaled(a: np.ndarray) -> np.ndarray:
    """``P = (A - min A) / (max A - min A) + 1``, entries in ``[1, 2]`` (all ones for a constant matrix)."""
    spread = float(np.ptp(a))
    return (a - a.min()) / spread + 1.0 if spread > 0 else np.ones_like(a)


def _dense_simplex_solution(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, int] | None:
    """``(x, y, pivots)`` from :mod:`equilibria.solvers._dense_simplex` on the LP of the module docstring, or None.

    For a small game before numba is loaded: it runs interpreted, and HiGHS would cost importing
    ``scipy.optimize`` (a few tenths of a second). Rows ``P^T u - s + r = 1`` with surplus ``s`` and artificials
    ``r`` (the starting basis); the reduced cost of surplus column ``j`` is the dual price ``w_j`` of its row.
    """
    m, n = a.shape
    tableau = np.zeros((n + 1, m + 2 * n + 1))
    tableau[:n, :m] = _scaled(a).T
    tableau[:n, m: m + n] = -np.eye(n)
    tableau[:n, m + n: m + 2 * n] = np.eye(n)
    tableau[:n, -1] = 1.0
    basis = np.arange(m + n, m + 2 * n)
    cost = np.concatenate([np.ones(m), np.zeros(n)])
    status, pivots = _dense_simplex.solve(tableau, basis, cost, n)
    if status != _dense_simplex.OPTIMAL:
        return None
    values = np.zeros(m + 2 * n)
    values[basis] = tableau[:n, -1]
    u = np.maximum(values[:m], 0.0)
    w = np.maximum(tableau[n, m: m + n], 0.0)
    if u.sum() <= 0 or w.sum() <= 0:
        return None
    return u / u.sum(), w / w.sum(), pivots


def _solve_highs(linprog: Any, a: np.ndarray, max_seconds: float | None) -> tuple[np.ndarray, np.ndarray, int] | str:
    """``(x, y, iterations)`` from one HiGHS solve (``scipy.optimize.linprog``, imported by the caller: not on the
    small games' path), or why HiGHS stopped without an optimum."""
    m, n = a.shape
    p = _scaled(a)
    method = "highs-ipm" if a.size >= _HIGHS_IPM_MIN_ENTRIES else "highs-ds"
    # Presolve finds nothing to remove in a dense game and costs time.
    options: dict[str, Any] = {"presolve": False}
    if max_seconds is not None:
        options["time_limit"] = float(max_seconds)
    res = linprog(np.ones(m), A_ub=-p.T, b_ub=-np.ones(n), bounds=(0, None), method=method, options=options)
    if res.status == 1 and max_seconds is not None:  # 1: an iteration or time limit; only time is set
        return f"max_seconds={max_seconds:g} (what was left of it) reached inside HiGHS ({res.message})"
    if res.status != 0 or res.x is None:
        return f"HiGHS stopped without an optimum (status {res.status}: {res.message})"
    u = np.maximum(res.x, 0.0)
    w = np.maximum(-np.asarray(res.ineqlin.marginals), 0.0)  # d(objective)/d(b_ub) <= 0 for a minimisation
    if u.sum() <= 0 or w.sum() <= 0:
        return "HiGHS returned a zero solution (no strategy can be read from it)"
    return u / u.sum(), w / w.sum(), int(res.nit)


def _dense_interior_point(a: np.ndarray, budget: Budget) -> tuple[np.ndarray, np.ndarray, int] | None:
    """``(x, y, iterations)`` from the shrinking dense interior point, or None to hand over to HiGHS.

    See :mod:`equilibria.solvers._matrix_game_ipm`: the pair is verified on the full game (duality gap at
    rounding level) before it is returned; degenerate games, stalls and an exhausted budget give None.
    """
    from equilibria.solvers._matrix_game_ipm import solve_matrix_game  # imports scipy.linalg

    found = solve_matrix_game(a, budget)
    return None if found is None else (found.x, found.y, found.iterations)


def _polish(a: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Re-derive ``x`` and ``y`` from the equalities on their supports when that is better (see module)."""
    spread = max(float(np.ptp(a)), np.finfo(float).tiny)
    if (a @ y).max() - (x @ a).min() <= _ROUNDING_GAP * spread:
        return x, y
    rows, columns = np.flatnonzero(x > 0), np.flatnonzero(y > 0)
    block = a[np.ix_(rows, columns)]
    candidate_x = _equalising_strategy(block, rows, a.shape[0])
    candidate_y = _equalising_strategy(block.T, columns, a.shape[1])
    if candidate_x is not None and (candidate_x @ a).min() > (x @ a).min():
        x = candidate_x
    if candidate_y is not None and (a @ candidate_y).max() < (a @ y).max():
        y = candidate_y
    return x, y


def _equalising_strategy(block: np.ndarray, support: np.ndarray, size: int) -> np.ndarray | None:
    """The strategy on ``support`` making every column of ``block`` pay the same, if it is a distribution.

    Solves ``block^T s = v 1, 1^T s = 1`` for ``(s, v)`` (``block: [len(support), k]``): directly when square,
    by least squares otherwise. Returns ``[size]`` with zeros off the support, or None.
    """
    k_support, k_other = block.shape
    system = np.zeros((k_other + 1, k_support + 1))
    system[:k_other, :k_support] = block.T
    system[:k_other, k_support] = -1.0
    system[k_other, :k_support] = 1.0
    rhs = np.zeros(k_other + 1)
    rhs[k_other] = 1.0
    try:
        solution = np.linalg.solve(system, rhs) if k_support == k_other else None
    except np.linalg.LinAlgError:
        solution = None
    if solution is None:
        solution = np.linalg.lstsq(system, rhs, rcond=None)[0]
    weights = solution[:k_support]
    if not np.all(np.isfinite(weights)) or weights.min() < 0 or weights.sum() <= 0:
        return None
    strategy = np.zeros(size)
    strategy[support] = weights / weights.sum()
    return strategy


# -- exact mode ---------------------------------------------------------------------------------------------


def _exact_profile(payoffs: np.ndarray, exact: np.ndarray, x: np.ndarray, y: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Exact Fraction strategies with the supports of ``(x, y)``, verified to be minimax (see module).

    ``payoffs``: the row player's float matrix; ``exact``: the same as Fractions (the game's own).
    """
    a = np.asarray(payoffs, dtype=float)
    spread = max(float(np.ptp(a)), np.finfo(float).tiny)
    value = float(x @ a @ y)
    for tol in _TIGHT_TOLERANCES:
        tight_columns = np.flatnonzero(x @ a <= value + tol * spread)
        tight_rows = np.flatnonzero(a @ y >= value - tol * spread)
        row = _exact_guarantee(exact, np.flatnonzero(x > 0), tight_columns)
        column = _exact_guarantee(-exact.T, np.flatnonzero(y > 0), tight_rows)
        if row is not None and column is not None and row[1] == -column[1]:
            return row[0], column[0]
    raise RuntimeError(
        "zero_sum_lp_solve(rational=True): could not rebuild an exact equilibrium from the LP's supports; "
        "use vertex_enumeration_solve(game, rational=True) for an exact answer"
    )


def _exact_guarantee(
    exact: np.ndarray, support: np.ndarray, tight: np.ndarray
) -> tuple[np.ndarray, Fraction] | None:
    """The maximiser's exact strategy on ``support`` equalising the ``tight`` replies, and its exact value.

    ``exact: [k, l]`` are the maximiser's payoffs (Fractions). Returns ``(s: [k], v)`` only when the system
    ``exact[support, tight]^T s = v, 1^T s = 1`` has a unique solution with ``s >= 0`` and ``s`` guarantees
    ``v`` against every reply (``min_j (s^T exact)_j == v``); None otherwise.
    """
    if len(support) == 0:
        return None
    k = len(support)
    matrix = [[exact[i, j] for i in support] + [Fraction(-1)] for j in tight]
    matrix.append([Fraction(1)] * k + [Fraction(0)])
    rhs = [Fraction(0)] * len(tight) + [Fraction(1)]
    solution = _solve_unique(matrix, rhs)
    if solution is None or min(solution[:k]) < 0:
        return None
    strategy = np.array([Fraction(0)] * exact.shape[0], dtype=object)
    strategy[support] = solution[:k]
    value = solution[k]
    if min(strategy @ exact) != value:
        return None
    return strategy, value


def _solve_unique(matrix: Sequence[Sequence[Fraction]], rhs: Sequence[Fraction]) -> list[Fraction] | None:
    """The unique solution of a consistent exact linear system (Gauss-Jordan), or None.

    ``matrix`` may have more rows than columns; None when the system is inconsistent or underdetermined.
    """
    from equilibria.solvers._stochastic_exact import solve_unique

    solution = solve_unique(matrix, [[b] for b in rhs]) if matrix else None
    return None if solution is None else [row[0] for row in solution]
