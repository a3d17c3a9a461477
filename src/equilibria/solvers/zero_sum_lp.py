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

Two ways to solve it, whichever measured faster (random uniform games, one core, median CPU seconds):

- games with fewer than 40,000 payoff entries go to HiGHS (``scipy.optimize.linprog``, dual simplex, no
  presolve), which returns ``w`` as the marginals of the inequality rows;
- larger games use a dense primal-dual interior-point method written here (Mehrotra 1992, predictor-corrector
  on the normal equations, one BLAS rank-k update and Cholesky factorisation per step) that ends in a
  crossover: once the supports it predicts have equal sizes, the strategies are re-derived from the
  equalities on them (below) and accepted when their duality gap is at rounding level. HiGHS, built for
  sparse LPs, is 4-7x slower on these dense ones (500x500: 0.10 s against 0.46 s; 2000x2000: 4.2 s against
  31 s for its interior point; its simplex is slower still). If the crossover fails (degenerate games, where
  the supports differ in size) or the iteration stalls, HiGHS solves the game instead.

Polishing. The LP solution is re-derived from the equalities on its supports ``S`` (rows) and ``J``
(columns): ``A[S, J]^T x_S = v 1, 1^T x_S = 1`` and ``A[S, J] y_J = v 1, 1^T y_J = 1`` (least squares when
not square). A re-derived strategy replaces the LP's only when it is a probability vector that guarantees more
(less) than the LP's, so polishing never makes the answer worse; it brings the duality gap to rounding level.

Exact mode (``rational=True``): the supports and the tight (best-response) sets of the float solution define
an exact linear system in :class:`fractions.Fraction` for ``(x_S, v)`` and ``(y_J, v)``; its unique solution
is verified exactly (non-negative, guarantees ``v`` against every pure reply): the certificate is exactly 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np
from scipy import linalg
from scipy.optimize import linprog

from equilibria.core.errors import GameError, NotApplicableError
from equilibria.core.rational import to_fraction_array
from equilibria.core.result import SolveResult
from equilibria.solvers._common import Budget, nash_result, require_normal_form

_METHOD = "zero_sum_lp"
# From this many payoff entries on the dense interior point beats HiGHS (and, as the fallback, HiGHS's
# interior point beats its dual simplex). Measured on random games, see the module docstring.
_INTERIOR_POINT_MIN_ENTRIES = 40_000
_INTERIOR_POINT_MAX_STEPS = 100
# Below this average complementarity the iterate has converged as far as doubles allow.
_INTERIOR_POINT_MIN_MU = 1e-15
# Fraction of the way to the boundary of the positive orthant taken in each step.
_STEP_TO_BOUNDARY = 0.99
# A duality gap (relative to the payoff range) at rounding level: the interior point's crossover is accepted
# below it, and polishing is skipped below it (nothing left to gain, and a least-squares solve costs time).
_ROUNDING_GAP = 1e-13
# Relative tolerances (to the payoff range) that decide which pure replies are tight in exact mode, tried in
# turn until one gives a verified exact equilibrium.
_TIGHT_TOLERANCES = (1e-9, 1e-6, 1e-12)


def zero_sum_lp_solve(game: Any, *, rational: bool = False, max_seconds: float | None = None) -> SolveResult:
    """One minimax equilibrium ``(x, y)`` of a two-player constant-sum game.

    ``values`` holds the players' payoffs ``(v, c - v)`` with ``v`` the game value; ``iterations`` counts
    interior-point steps (large games) or HiGHS's iterations (simplex pivots).

    Args:
      game: a two-player NormalFormGame whose payoffs add up to the same constant in every cell.
      rational: return exact Fraction strategies, verified exactly (certificate exactly 0).
      max_seconds: time limit (checked every interior-point step, handed to HiGHS); when it is hit the
        result is empty with ``converged=False``.

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
    solution = _solve_lp(a, budget)
    if solution is None:
        return nash_result(game, _METHOD, [], parameters=parameters, iterations=0, budget=budget,
                           converged=False)
    x, y, iterations = solution
    profile: tuple[np.ndarray, ...] = _polish(a, x, y)
    if rational:
        profile = _exact_profile(game.payoffs[0], *profile)
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


def _solve_lp(a: np.ndarray, budget: Budget) -> tuple[np.ndarray, np.ndarray, int] | None:
    """``(x, y, iterations)``: the dense interior point for large games, else (or if it fails) HiGHS."""
    if a.size >= _INTERIOR_POINT_MIN_ENTRIES and np.ptp(a) > 0:
        found = _dense_interior_point(a, budget)
        if found is not None:
            return found
    remaining = None if budget.max_seconds is None else budget.max_seconds - budget.elapsed()
    if remaining is not None and remaining <= 0:
        return None
    return _solve_highs(a, remaining)


def _scaled(a: np.ndarray) -> np.ndarray:
    """``P = (A - min A) / (max A - min A) + 1``, entries in ``[1, 2]`` (all ones for a constant matrix)."""
    spread = float(np.ptp(a))
    return (a - a.min()) / spread + 1.0 if spread > 0 else np.ones_like(a)


def _solve_highs(a: np.ndarray, max_seconds: float | None) -> tuple[np.ndarray, np.ndarray, int] | None:
    """``(x, y, iterations)`` from one HiGHS solve, or None when HiGHS stopped without an optimum."""
    m, n = a.shape
    p = _scaled(a)
    method = "highs-ipm" if a.size >= _INTERIOR_POINT_MIN_ENTRIES else "highs-ds"
    # Presolve finds nothing to remove in a dense game and costs time.
    options: dict[str, Any] = {"presolve": False}
    if max_seconds is not None:
        options["time_limit"] = float(max_seconds)
    res = linprog(np.ones(m), A_ub=-p.T, b_ub=-np.ones(n), bounds=(0, None), method=method, options=options)
    if res.status != 0 or res.x is None:
        return None
    u = np.maximum(res.x, 0.0)
    w = np.maximum(-np.asarray(res.ineqlin.marginals), 0.0)  # d(objective)/d(b_ub) <= 0 for a minimisation
    if u.sum() <= 0 or w.sum() <= 0:
        return None
    return u / u.sum(), w / w.sum(), int(res.nit)


def _dense_interior_point(a: np.ndarray, budget: Budget) -> tuple[np.ndarray, np.ndarray, int] | None:
    """``(x, y, iterations)`` by Mehrotra's predictor-corrector method, or None to hand over to HiGHS.

    The LP of the module docstring with surplus ``s = P^T u - 1`` and dual slack ``z = 1 - P w``: each step
    solves the normal equations ``(P^T diag(u / z) P + diag(s / w)) dw = r`` with one dense symmetric rank-k
    update and a Cholesky factorisation (BLAS/LAPACK; the columns' side is the smaller one). The start
    ``u = 2 / m``, ``w = 1 / (4 n)`` is strictly feasible because the entries of ``P`` lie in ``[1, 2]``.
    Whenever the supports that the iterate predicts (``u_i > z_i``, ``w_j > s_j``) change and have equal
    sizes, both strategies are re-derived from the equalities on them (a crossover); the first pair whose
    duality gap is at rounding level is returned. Degenerate games (supports of different sizes) return None.
    """
    if a.shape[1] > a.shape[0]:  # the column player's LP has the smaller normal equations
        found = _dense_interior_point(-a.T, budget)
        return None if found is None else (found[1], found[0], found[2])
    m, n = a.shape
    spread = float(np.ptp(a))
    p = _scaled(a)
    u, w = np.full(m, 2.0 / m), np.full(n, 1.0 / (4 * n))
    s, z = p.T @ u - 1.0, 1.0 - p @ w
    tried = b""
    for iteration in range(_INTERIOR_POINT_MAX_STEPS):
        rows, columns = np.flatnonzero(u > z), np.flatnonzero(w > s)
        supports = rows.tobytes() + b"|" + columns.tobytes()
        if supports != tried and len(rows) == len(columns) > 0:
            tried = supports
            block = a[np.ix_(rows, columns)]
            x, y = _equalising_strategy(block, rows, m), _equalising_strategy(block.T, columns, n)
            if x is not None and y is not None and (a @ y).max() - (x @ a).min() <= _ROUNDING_GAP * spread:
                return x, y, iteration
        mu = (u @ z + s @ w) / (m + n)
        if mu < _INTERIOR_POINT_MIN_MU or budget.exhausted(iteration):
            return None
        primal, dual = 1.0 - (p.T @ u - s), 1.0 - p @ w - z  # residuals: rounding drift only
        normal = linalg.blas.dsyrk(1.0, np.sqrt(u / z)[:, None] * p, trans=1, lower=0)
        normal[np.diag_indices(n)] += s / w
        try:
            factor = linalg.cho_factor(normal, lower=False, overwrite_a=True, check_finite=False)
        except np.linalg.LinAlgError:
            return None
        point = (u, s, w, z)
        # Predictor: the affine-scaling direction (all products to 0).
        du, ds, dw, dz = _newton(p, factor, point, primal, dual, -u * z, -s * w)
        primal_step, dual_step = _max_step((u, du), (s, ds)), _max_step((w, dw), (z, dz))
        mu_affine = ((u + primal_step * du) @ (z + dual_step * dz)
                     + (s + primal_step * ds) @ (w + dual_step * dw)) / (m + n)
        centre = (mu_affine / mu) ** 3 * mu  # Mehrotra's centring heuristic
        # Corrector: aim at the centre and cancel the predictor's second-order term.
        du, ds, dw, dz = _newton(p, factor, point, primal, dual,
                                 centre - u * z - du * dz, centre - s * w - ds * dw)
        primal_step = _STEP_TO_BOUNDARY * _max_step((u, du), (s, ds))
        dual_step = _STEP_TO_BOUNDARY * _max_step((w, dw), (z, dz))
        u, s = u + primal_step * du, s + primal_step * ds
        w, z = w + dual_step * dw, z + dual_step * dz
    return None


def _newton(
    p: np.ndarray,
    factor: tuple[np.ndarray, bool],
    point: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    primal: np.ndarray,
    dual: np.ndarray,
    target_uz: np.ndarray,
    target_sw: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The Newton step ``(du, ds, dw, dz)`` that moves ``u z`` by ``target_uz`` and ``s w`` by ``target_sw``.

    ``factor`` is the Cholesky factor of the normal equations at ``point = (u, s, w, z)``; ``primal`` and
    ``dual`` are the residuals of ``P^T u - s = 1`` and ``P w + z = 1``, which the step also removes.
    """
    u, s, w, z = point
    rhs = primal - p.T @ ((target_uz - u * dual) / z) + target_sw / w
    dw = linalg.cho_solve(factor, rhs, check_finite=False)
    dz = dual - p @ dw
    return (target_uz - u * dz) / z, (target_sw - s * dw) / w, dw, dz


def _max_step(*pairs: tuple[np.ndarray, np.ndarray]) -> float:
    """The largest ``t <= 1`` keeping every ``v + t dv`` non-negative."""
    step = 1.0
    for v, dv in pairs:
        falling = dv < 0
        if falling.any():
            step = min(step, float((-v[falling] / dv[falling]).min()))
    return step


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


def _exact_profile(payoffs: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact Fraction strategies with the supports of ``(x, y)``, verified to be minimax (see module)."""
    exact = to_fraction_array(payoffs)
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
    rows = [list(r) + [b] for r, b in zip(matrix, rhs, strict=True)]
    n_unknowns = len(rows[0]) - 1
    for column in range(n_unknowns):
        pivot = next((r for r in range(column, len(rows)) if rows[r][column] != 0), None)
        if pivot is None:
            return None
        rows[column], rows[pivot] = rows[pivot], rows[column]
        lead = rows[column][column]
        rows[column] = [entry / lead for entry in rows[column]]
        for r in range(len(rows)):
            factor = rows[r][column]
            if r != column and factor != 0:
                rows[r] = [entry - factor * p for entry, p in zip(rows[r], rows[column], strict=True)]
    if any(row[-1] != 0 for row in rows[n_unknowns:]):
        return None
    return [rows[i][-1] for i in range(n_unknowns)]
