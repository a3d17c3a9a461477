"""Small dense linear programs inside ``jax.jit`` / ``jax.vmap``: a fixed-size simplex tableau, and on it the value
of a zero-sum matrix game and a correlated equilibrium of a stage game.

Learners that solve a stage game at every step (minimax-Q, correlated-Q) need an LP solver that runs in a traced
JAX program, batched over seeds; HiGHS cannot. Sizes here are small (stage games up to about 5 actions a player),
so a dense tableau with static shapes is the right tool.

Conventions (written once, here):

- **The LP** is ``minimise c^T x  s.t.  a_ub x <= b_ub,  a_eq x = b_eq,  x >= 0`` with ``c: [n]``,
  ``a_ub: [m_ub, n]``, ``a_eq: [m_eq, n]`` (either block may have 0 rows). Every shape is static; a batch is
  ``jax.vmap`` outside.
- **The method** is the two-phase primal simplex (Dantzig) on one tableau ``[m + 1, n + m_ub + m + 1]``: the
  variables, one slack per inequality row, one artificial per row, the right-hand side; the last row holds the
  reduced costs. Rows with a negative right-hand side are negated so that the basis stays feasible. The first basis
  is the slack of each inequality row with ``b_ub >= 0`` and the artificial of every other row; phase 1 minimises
  the sum of the basic artificials, then the artificials still basic at level 0 are pivoted out where their row has
  a non-zero entry (a redundant row keeps its artificial, at 0 for good), and phase 2 minimises ``c``. Artificials
  never enter. **Pivot rules**: the lowest-index improving column enters (Bland); the ratio test ignores entries
  below a fraction (1e-5 in float32, 1e-9 in float64) of the column's largest, and among the rows tied in it the
  largest entry leaves (numerically stable on the degenerate rows the game LPs are full of); after half the pivot
  cap the lowest-index basic variable leaves instead (Bland's full rule, which cannot cycle), so degenerate LPs
  (ties, duplicate rows) end. After phase 2 the tableau of the final basis is rebuilt from the data (one dense
  solve, "reinversion") and phase 2 continues from it, which corrects the rounding accumulated over the pivots.
  Each phase is one ``lax.while_loop`` capped at ``max_iterations`` pivots.
- **Status** (``int32``): :data:`OPTIMAL` 0, :data:`INFEASIBLE` 1, :data:`UNBOUNDED` 2, :data:`ITERATION_CAP` 3
  (the cap was hit; ``x`` is the last basic feasible point, or the phase-1 point if phase 1 did not end);
  :func:`correlated_equilibrium_solve` adds :data:`INACCURATE` 4 (the LP ended, but its distribution misses the
  CE constraints by more than rounding allows: float32 on ill-conditioned games).
- **Precision** follows the inputs: float64 when ``jax_enable_x64`` is on and the inputs are float64 (or Python
  floats), float32 otherwise. Tolerances (pivot, optimality, feasibility) scale with the dtype's epsilon; callers
  scale their data to about unit size (both game solvers below do).
- **Duals**: ``ub_duals: [m_ub] >= 0`` are the multipliers of the inequality rows (``c + a_ub^T ub_duals -
  a_eq^T eq_duals >= 0`` on the variables, with equality on the basic ones).

Costs: a pivot is one rank-1 update of the tableau, ``O(m (n + m))``; the pivot count of a small LP is a few
times its row count. Under ``vmap`` a ``while_loop`` runs until every batch member has finished (the slowest sets
the pace).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from equilibria.core.errors import GameError

OPTIMAL = 0
INFEASIBLE = 1
UNBOUNDED = 2
ITERATION_CAP = 3
INACCURATE = 4
_RUNNING = -1
# Tolerances in units of the dtype's epsilon: a pivot entry must exceed the first, a reduced cost must be below
# minus the second to enter; phase 1 declares the LP infeasible when the artificials sum to more than the third.
_PIVOT_EPS = 64.0
_COST_EPS = 64.0
_FEASIBILITY_EPS = 4096.0
# The smallest pivot entry accepted, relative to the entering column's largest (float32, float64).
_PIVOT_RELATIVE = {False: 1e-5, True: 1e-9}
# The right-hand side perturbation of ``linprog(perturb=True)`` relative to the largest |b| (float32, float64).
_PERTURBATION = {False: 1e-4, True: 1e-7}
# A correlated equilibrium whose largest gain from a deviation (payoffs scaled to at most 1) exceeds this many
# epsilons is reported INACCURATE.
_CE_CHECK_EPS = 1024.0


class LPSolution(NamedTuple):
    """The simplex's answer (module docstring for the conventions).

    Attributes:
      x: ``[n]`` the primal point.
      objective: scalar ``c^T x``.
      status: int32, :data:`OPTIMAL`, :data:`INFEASIBLE`, :data:`UNBOUNDED` or :data:`ITERATION_CAP`.
      iterations: int32, pivots over both phases.
      ub_duals: ``[m_ub]`` the inequality rows' multipliers (``>= 0`` at an optimum).
      eq_duals: ``[m_eq]`` the equality rows' multipliers.
    """

    x: jax.Array
    objective: jax.Array
    status: jax.Array
    iterations: jax.Array
    ub_duals: jax.Array
    eq_duals: jax.Array


class MatrixGameValue(NamedTuple):
    """``value`` (scalar), ``row_strategy: [m]`` (the maximiser's), ``column_strategy: [n]`` (the minimiser's)."""

    value: jax.Array
    row_strategy: jax.Array
    column_strategy: jax.Array


def _float_dtype(*arrays: Any) -> Any:
    dtype = jnp.result_type(*arrays)
    return dtype if jnp.issubdtype(dtype, jnp.floating) else jnp.result_type(float)


def _pivot(tableau: jax.Array, row: jax.Array, column: jax.Array) -> jax.Array:
    """Gauss-Jordan step on ``tableau[row, column]`` (also updates the reduced-cost row)."""
    pivot_row = tableau[row] / tableau[row, column]
    factors = tableau[:, column].at[row].set(0.0)
    return (tableau - factors[:, None] * pivot_row[None, :]).at[row].set(pivot_row)


def _simplex_phase(tableau: jax.Array, basis: jax.Array, can_enter: jax.Array, max_iterations: int,
                   iterations: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    """Bland's-rule pivots until optimal, unbounded or the cap: ``(tableau, basis, status, iterations)``."""
    m = tableau.shape[0] - 1
    eps = jnp.finfo(tableau.dtype).eps
    columns = jnp.arange(tableau.shape[1] - 1)

    start_count = iterations

    def cond(carry: tuple) -> jax.Array:
        _, _, status, count = carry
        return (status == _RUNNING) & (count - start_count < max_iterations)

    def body(carry: tuple) -> tuple:
        table, base, _, count = carry
        costs = table[m, :-1]
        # An absolute threshold: callers scale their data to about unit size (a threshold relative to the
        # reduced costs themselves would grow with the tableau and hide improving columns).
        improving = can_enter & (costs < -_COST_EPS * eps)
        # Bland: the lowest-index improving column.
        column = jnp.argmin(jnp.where(improving, columns, columns.shape[0]))
        entries = table[:m, column]
        # Rounding can leave a right-hand side a hair below 0: treat it as 0 (a degenerate row), not as a
        # negative ratio that would move the point backwards.
        rhs = jnp.maximum(table[:m, -1], 0.0)
        # A pivot entry must be a fair fraction of the column's largest: pivoting on a tiny entry of a degenerate
        # row (ratio 0) blows the tableau up and can end phase 1 falsely "infeasible". A row skipped this way
        # moves by at most that fraction of the step (a Harris-style relaxation).
        positive = entries > _PIVOT_RELATIVE[entries.dtype.itemsize >= 8] * jnp.max(jnp.abs(entries))
        ratios = jnp.where(positive, rhs / jnp.where(positive, entries, 1.0), jnp.inf)
        best = jnp.min(ratios)
        tied = positive & (ratios <= best + _PIVOT_EPS * eps * (1.0 + jnp.abs(best)))
        # Bland: among the tied rows, the one whose basic variable has the lowest index leaves.
        # Among the tied rows (degenerate ones, ratio 0, above all) the largest pivot entry leaves, the stable
        # choice: Bland's lowest-index choice pivots on tiny entries of degenerate rows, and in float32 the tableau
        # then loses the optimum (measured on random 4 x 4 correlated-equilibrium LPs, with the reinversion:
        # 21 of 400 wrong against 0 of 400). That choice could cycle in theory, so after half the pivot cap the
        # full Bland rule takes over, and it cannot cycle.
        stable = jnp.argmax(jnp.where(tied, entries, -jnp.inf))
        bland = jnp.argmin(jnp.where(tied, base, jnp.iinfo(base.dtype).max))
        row = jnp.where(count - start_count < max_iterations // 2, stable, bland)
        optimal = ~jnp.any(improving)
        unbounded = ~optimal & ~jnp.any(positive)
        status = jnp.where(optimal, OPTIMAL, jnp.where(unbounded, UNBOUNDED, _RUNNING)).astype(jnp.int32)
        moves = status == _RUNNING
        table = jnp.where(moves, _pivot(table, row, column), table)
        base = jnp.where(moves, base.at[row].set(column.astype(base.dtype)), base)
        return table, base, status, count + moves.astype(count.dtype)

    start = (tableau, basis, jnp.asarray(_RUNNING, jnp.int32), iterations)
    table, base, status, count = lax.while_loop(cond, body, start)
    status = jnp.where(status == _RUNNING, ITERATION_CAP, status).astype(jnp.int32)
    return table, base, status, count


def _dual_simplex_phase(tableau: jax.Array, basis: jax.Array, can_enter: jax.Array, max_iterations: int,
                        iterations: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    """Dual simplex pivots from a dual-feasible basis (reduced costs ``>= 0``) until the point is feasible:
    ``(tableau, basis, status, iterations)``, status :data:`OPTIMAL`, :data:`INFEASIBLE` or the cap."""
    m = tableau.shape[0] - 1
    eps = jnp.finfo(tableau.dtype).eps
    start_count = iterations
    tolerance = _COST_EPS * eps * (1.0 + jnp.max(jnp.abs(tableau[:m, -1])))

    def cond(carry: tuple) -> jax.Array:
        _, _, status, count = carry
        return (status == _RUNNING) & (count - start_count < max_iterations)

    def body(carry: tuple) -> tuple:
        table, base, _, count = carry
        rhs = table[:m, -1]
        relative = _PIVOT_RELATIVE[table.dtype.itemsize >= 8]
        rows_negative = can_enter[None, :] & (table[:m, :-1] < -relative * jnp.max(jnp.abs(table[:m, :-1]), axis=1,
                                                                                   keepdims=True))
        # The most infeasible row that can pivot leaves; the entering column keeps every reduced cost >= 0 (the
        # dual ratio test). A row below 0 with no negative entry would prove the LP infeasible, but only when it is
        # below 0 by more than rounding.
        movable = jnp.any(rows_negative, axis=1)
        row = jnp.argmin(jnp.where(movable, rhs, jnp.inf))
        entries = table[row, :-1]
        negative = rows_negative[row]
        ratios = jnp.where(negative, jnp.maximum(table[m, :-1], 0.0) / jnp.where(negative, -entries, 1.0), jnp.inf)
        column = jnp.argmin(ratios)
        feasible = jnp.min(jnp.where(movable, rhs, jnp.inf)) >= -tolerance
        stuck = jnp.min(jnp.where(movable, jnp.inf, rhs)) < -_FEASIBILITY_EPS * eps * (1.0 + jnp.max(jnp.abs(rhs)))
        status = jnp.where(stuck, INFEASIBLE, jnp.where(feasible, OPTIMAL, _RUNNING)).astype(jnp.int32)
        moves = status == _RUNNING
        table = jnp.where(moves, _pivot(table, row, column), table)
        base = jnp.where(moves, base.at[row].set(column.astype(base.dtype)), base)
        return table, base, status, count + moves.astype(count.dtype)

    table, base, status, count = lax.while_loop(cond, body, (tableau, basis, jnp.asarray(_RUNNING, jnp.int32),
                                                             iterations))
    return table, base, jnp.where(status == _RUNNING, ITERATION_CAP, status).astype(jnp.int32), count


def _reduced_cost_row(tableau: jax.Array, basis: jax.Array, costs: jax.Array) -> jax.Array:
    """``[costs - c_B B^-1 A, -c_B B^-1 b]`` for the tableau's current basis (the rows are ``B^-1 [A | b]``)."""
    m = tableau.shape[0] - 1
    basic_costs = costs[basis]
    extended = jnp.concatenate([costs, jnp.zeros((1,), costs.dtype)])
    return extended - basic_costs @ tableau[:m]


def _reinverted(body: jax.Array, basis: jax.Array, costs: jax.Array) -> jax.Array:
    """The tableau ``[B^-1 [A | b]; reduced costs]`` of ``basis`` rebuilt from the original rows ``body``."""
    fresh = jnp.linalg.solve(body[:, basis], body)
    tableau = jnp.concatenate([fresh, jnp.zeros((1, body.shape[1]), body.dtype)], axis=0)
    return tableau.at[-1].set(_reduced_cost_row(tableau, basis, costs))


def _drive_out_artificials(tableau: jax.Array, basis: jax.Array, first_artificial: int) -> tuple[jax.Array,
                                                                                                  jax.Array]:
    """Pivot each artificial still basic (at level 0 after phase 1) out on any non-zero real entry of its row."""
    m = tableau.shape[0] - 1
    eps = jnp.finfo(tableau.dtype).eps
    real = jnp.arange(tableau.shape[1] - 1) < first_artificial

    def one_row(r: jax.Array, carry: tuple) -> tuple:
        table, base = carry
        entries = jnp.where(real, jnp.abs(table[r, :-1]), 0.0)
        column = jnp.argmax(entries)
        # The row's right-hand side is 0, so any sign of pivot keeps the basis feasible.
        moves = (base[r] >= first_artificial) & (entries[column] > _PIVOT_EPS * eps * (1.0 + jnp.max(entries)))
        table = jnp.where(moves, _pivot(table, r, column), table)
        base = jnp.where(moves, base.at[r].set(column.astype(base.dtype)), base)
        return table, base

    return lax.fori_loop(0, m, one_row, (tableau, basis))


def linprog(c: Any, a_ub: Any = None, b_ub: Any = None, a_eq: Any = None, b_eq: Any = None, *,
            max_iterations: int | None = None, feasible_start: bool = False, perturb: bool = False) -> LPSolution:
    """``minimise c^T x s.t. a_ub x <= b_ub, a_eq x = b_eq, x >= 0`` by the two-phase simplex (module docstring).

    Traceable: call it inside ``jit`` / ``vmap``. Shapes: ``c: [n]``, ``a_ub: [m_ub, n]``, ``b_ub: [m_ub]``,
    ``a_eq: [m_eq, n]``, ``b_eq: [m_eq]``; omitted blocks have 0 rows.

    Args:
      max_iterations: the pivot cap per phase (static); default ``50 + 10 * (rows + columns)``.
      feasible_start: the caller guarantees ``b_ub >= 0`` and no equality rows (static): the slack basis is
        feasible, phase 1 is skipped (a smaller program that compiles about twice as fast).
      perturb: solve phase 2 first with the inequality rows' right-hand sides raised by small distinct amounts
        (static; about ``1e-4`` in float32, ``1e-7`` in float64, relative to the largest ``|b|``), which removes
        the degenerate ties, then rebuild the final basis's tableau with the true right-hand sides and restore
        feasibility by the dual simplex (the perturbation method against cycling and stalling; for LPs whose
        every vertex is degenerate, like the correlated-equilibrium LP). Should the dual simplex fail (rounding),
        the status is :data:`INFEASIBLE` and ``x`` is the perturbed LP's optimum.
    """
    dtype = _float_dtype(*(a for a in (c, a_ub, b_ub, a_eq, b_eq) if a is not None))
    c = jnp.asarray(c, dtype)
    if c.ndim != 1:
        raise GameError(f"linprog(c): expected a vector [n], got shape {c.shape}")
    n = c.shape[0]
    a_ub = jnp.zeros((0, n), dtype) if a_ub is None else jnp.asarray(a_ub, dtype)
    b_ub = jnp.zeros((0,), dtype) if b_ub is None else jnp.asarray(b_ub, dtype)
    a_eq = jnp.zeros((0, n), dtype) if a_eq is None else jnp.asarray(a_eq, dtype)
    b_eq = jnp.zeros((0,), dtype) if b_eq is None else jnp.asarray(b_eq, dtype)
    for name, a, b in (("a_ub", a_ub, b_ub), ("a_eq", a_eq, b_eq)):
        if a.ndim != 2 or a.shape[1] != n or b.shape != (a.shape[0],):
            raise GameError(f"linprog({name}): expected [rows, {n}] with a right-hand side [rows], got {a.shape} "
                            f"and {b.shape}")
    m_ub, m_eq = a_ub.shape[0], a_eq.shape[0]
    m = m_ub + m_eq
    cap = 50 + 10 * (m + n) if max_iterations is None else int(max_iterations)
    first_artificial = n + m_ub
    width = first_artificial + m
    rows = jnp.concatenate([jnp.concatenate([a_ub, jnp.eye(m_ub, dtype=dtype)], axis=1),
                            jnp.concatenate([a_eq, jnp.zeros((m_eq, m_ub), dtype)], axis=1)], axis=0)
    rhs = jnp.concatenate([b_ub, b_eq])
    sign = jnp.where(rhs < 0, -1.0, 1.0).astype(dtype)
    body = jnp.concatenate([rows * sign[:, None], jnp.eye(m, dtype=dtype), (rhs * sign)[:, None]], axis=1)
    if perturb:
        # Distinct raises (a golden-ratio sequence in [1, 2) times the size): no two rows tie in a ratio test.
        size = _PERTURBATION[jnp.finfo(dtype).bits >= 64] * (1.0 + jnp.max(jnp.abs(rhs), initial=0.0))
        raises = jnp.where(jnp.arange(m) < m_ub, size * (1.0 + (np.arange(1, m + 1) * 0.6180339887498949) % 1.0),
                           0.0).astype(dtype)
        working = body.at[:, -1].add(raises)
    else:
        working = body
    is_ub = jnp.arange(m) < m_ub
    slack_basic = is_ub & (rhs >= 0)
    basis = jnp.where(slack_basic, n + jnp.arange(m), first_artificial + jnp.arange(m)).astype(jnp.int32)
    # A constraint row whose slack is basic keeps its artificial out (an artificial column of cost 1, non-basic).
    phase1_costs = jnp.concatenate([jnp.zeros(first_artificial, dtype), jnp.ones(m, dtype)])
    tableau = jnp.concatenate([working, jnp.zeros((1, width + 1), dtype)], axis=0)
    tableau = tableau.at[m].set(_reduced_cost_row(tableau, basis, phase1_costs))
    can_enter = jnp.arange(width) < first_artificial
    if feasible_start:
        if m_eq:
            raise GameError("linprog(feasible_start): needs no equality rows")
        status1, iterations, infeasible = (jnp.asarray(OPTIMAL, jnp.int32), jnp.asarray(0, jnp.int32),
                                           jnp.asarray(False))
    else:
        tableau, basis, status1, iterations = _simplex_phase(tableau, basis, can_enter, cap,
                                                             jnp.asarray(0, jnp.int32))
        eps = jnp.finfo(dtype).eps
        scale = 1.0 + jnp.max(jnp.abs(rhs), initial=0.0)
        infeasible = (status1 == OPTIMAL) & (-tableau[m, -1] > _FEASIBILITY_EPS * eps * scale)
        tableau, basis = _drive_out_artificials(tableau, basis, first_artificial)
    phase2_costs = jnp.concatenate([c, jnp.zeros(m_ub + m, dtype)])
    tableau = tableau.at[m].set(_reduced_cost_row(tableau, basis, phase2_costs))
    run_phase2 = (status1 == OPTIMAL) & ~infeasible
    # When phase 1 failed nothing may enter, so phase 2 ends at once (shapes stay static, no branch).
    tableau2, basis2, status2, iterations2 = _simplex_phase(tableau, basis, can_enter & run_phase2, cap,
                                                            iterations)
    # Reinversion: rebuild the tableau of the final basis from the data (one dense solve) and let phase 2 go on
    # from it. Rounding accumulated over the pivots can stop the simplex at a basis that only looks optimal
    # (float32 especially); the fresh tableau corrects its reduced costs and its point.
    fresh = _reinverted(working, basis2, phase2_costs)
    healthy = jnp.all(jnp.isfinite(fresh))
    tableau3, basis3, status3, iterations3 = _simplex_phase(
        jnp.where(healthy, fresh, tableau2), basis2, can_enter & run_phase2 & healthy & (status2 == OPTIMAL), cap,
        iterations2)
    status2 = jnp.where(status2 == OPTIMAL, status3, status2)
    tableau2, basis2, iterations2 = tableau3, basis3, iterations3
    if perturb:
        # The perturbed LP's optimal basis with the true right-hand sides: its reduced costs do not depend on b, so
        # it stays dual feasible, and the dual simplex restores primal feasibility (usually in a few pivots, none
        # when the point is already feasible): the true LP's optimum.
        true = _reinverted(body, basis2, phase2_costs)
        healthy = jnp.all(jnp.isfinite(true)) & (status2 == OPTIMAL)
        tableau4, basis4, status4, iterations4 = _dual_simplex_phase(
            jnp.where(healthy, true, tableau2), basis2, can_enter & healthy, cap, iterations2)
        status2 = jnp.where(healthy, status4, status2)
        # Where the dual simplex fails (rounding), the perturbed optimum is kept, with status INFEASIBLE: its
        # inequality rows hold only within the raises.
        kept = healthy & (status4 == OPTIMAL)
        tableau2 = jnp.where(kept, tableau4, tableau2)
        basis2 = jnp.where(kept, basis4, basis2)
        iterations2 = iterations4
    status = jnp.where(infeasible, INFEASIBLE, jnp.where(status1 != OPTIMAL, ITERATION_CAP, status2))
    x_full = jnp.zeros(width, dtype).at[basis2].set(tableau2[:m, -1])
    x = jnp.maximum(x_full[:n], 0.0)
    costs = tableau2[m, :-1]
    ub_duals = costs[n:first_artificial]
    eq_duals = -(sign * costs[first_artificial:])[m_ub:]
    return LPSolution(x, c @ x, status.astype(jnp.int32), iterations2, ub_duals, eq_duals)


def _normalised(weights: jax.Array, mask: jax.Array) -> jax.Array:
    """Clip to ``>= 0`` on the mask, renormalise (uniform on the mask when nothing is left)."""
    clipped = jnp.where(mask, jnp.maximum(weights, 0.0), 0.0)
    total = clipped.sum()
    uniform = jnp.where(mask, 1.0, 0.0) / jnp.maximum(mask.sum(), 1)
    return jnp.where(total > 0, clipped / jnp.where(total > 0, total, 1.0), uniform).astype(weights.dtype)


def matrix_game_solve(a: Any, row_mask: Any = None, column_mask: Any = None, *,
                      max_iterations: int | None = None) -> tuple[MatrixGameValue, jax.Array]:
    """:func:`matrix_game_value` with the LP's status (int32, module docstring) as a second output."""
    a = jnp.asarray(a, _float_dtype(a))
    if a.ndim != 2:
        raise GameError(f"matrix_game_value(a): expected a matrix [m, n], got shape {a.shape}")
    m, n = a.shape
    row_mask = jnp.ones(m, bool) if row_mask is None else jnp.asarray(row_mask, bool)
    column_mask = jnp.ones(n, bool) if column_mask is None else jnp.asarray(column_mask, bool)
    if row_mask.shape != (m,) or column_mask.shape != (n,):
        raise GameError(f"matrix_game_value(row_mask, column_mask): expected shapes ({m},) and ({n},), got "
                        f"{row_mask.shape} and {column_mask.shape}")
    cell = row_mask[:, None] & column_mask[None, :]
    low = jnp.min(jnp.where(cell, a, jnp.inf))
    high = jnp.max(jnp.where(cell, a, -jnp.inf))
    spread = jnp.where(high > low, high - low, 1.0)
    # Payoffs mapped into [1, 2] (module docstring of equilibria.solvers.zero_sum_lp): the value is positive, and
    # the simplex's tolerances are relative to the payoff range. The column player's LP
    # max 1^T w s.t. P w <= 1, w >= 0 starts feasible at w = 0 (no phase 1) and its duals give the row player.
    p = jnp.where(cell, (a - low) / spread + 1.0, 0.0)
    costs = -column_mask.astype(a.dtype)  # an absent column has cost 0 and a zero column: it never enters
    solution = linprog(costs, p, jnp.ones(m, a.dtype), max_iterations=max_iterations, feasible_start=True)
    total = solution.x.sum()
    scaled_value = 1.0 / jnp.where(total > 0, total, 1.0)
    value = (scaled_value - 1.0) * spread + low
    return (MatrixGameValue(value, _normalised(solution.ub_duals, row_mask), _normalised(solution.x, column_mask)),
            solution.status)


def matrix_game_value(a: Any, row_mask: Any = None, column_mask: Any = None, *,
                      max_iterations: int | None = None) -> MatrixGameValue:
    """The value and a minimax pair of the zero-sum matrix game ``a: [m, n]`` (row maximises, column minimises).

    Traceable (``jit``, ``vmap``). Padding: ``row_mask: [m]`` and ``column_mask: [n]`` (bool, default all) say
    which actions exist; absent actions get probability 0 and do not enter the value. The LP is always feasible
    and bounded, so the only failure is the pivot cap (see :func:`matrix_game_solve` for the status).

    Returns:
      ``(value, row_strategy [m], column_strategy [n])``.
    """
    return matrix_game_solve(a, row_mask, column_mask, max_iterations=max_iterations)[0]


def _ce_deviation_rows(shape: tuple[int, ...]) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """Per player ``(player, recommended [r], deviation [r])`` over the ordered pairs of distinct actions."""
    pairs = []
    for player, width in enumerate(shape):
        recommended, deviation = np.nonzero(~np.eye(width, dtype=bool))
        if recommended.size:  # a player with one action has no deviation
            pairs.append((player, recommended, deviation))
    return pairs


def correlated_equilibrium(payoffs: Any, available: Any = None, *, objective: Any = "utilitarian",
                           max_iterations: int | None = None) -> jax.Array:
    """A correlated equilibrium of the stage game ``payoffs: [n_players, *n_actions]`` maximising ``objective``.

    The LP (Aumann 1974; Gilboa and Zemel 1989): ``p >= 0`` over joint actions, ``sum p = 1``, and for every player
    ``i`` and ordered pair ``a_i != a_i'`` of its actions ``sum_{a_-i} p(a_i, a_-i) (u_i(a_i', a_-i) - u_i(a_i,
    a_-i)) <= 0``. Traceable (``jit``, ``vmap``); payoffs are scaled by their largest magnitude first.

    Args:
      payoffs: ``[n_players, *n_actions]``, at least two players.
      available: per player a bool mask ``[n_actions[i]]`` (default all): absent actions are never recommended
        and are no deviation.
      objective: ``"utilitarian"`` (maximise the sum of expected payoffs, uCE) or weights ``[n_players]``
        (maximise ``sum_i w_i E_p[u_i]``).
      max_iterations: the simplex's pivot cap per phase (static).

    Returns:
      ``[*n_actions]``, a distribution over joint actions (0 on absent ones). If the simplex stops on its cap the
      last point is returned, clipped and renormalised (use :func:`correlated_equilibrium_solve` for the status).
    """
    return correlated_equilibrium_solve(payoffs, available, objective=objective, max_iterations=max_iterations)[0]


def correlated_equilibrium_solve(payoffs: Any, available: Any = None, *, objective: Any = "utilitarian",
                                 max_iterations: int | None = None) -> tuple[jax.Array, jax.Array]:
    """:func:`correlated_equilibrium` with the LP's status (int32) as a second output."""
    payoffs = jnp.asarray(payoffs, _float_dtype(payoffs))
    n_players, shape = payoffs.shape[0], payoffs.shape[1:]
    if payoffs.ndim < 3 or len(shape) != n_players:
        raise GameError(f"correlated_equilibrium(payoffs): expected [n_players >= 2, *n_actions], got shape "
                        f"{payoffs.shape}")
    if available is None:
        available = tuple(jnp.ones(width, bool) for width in shape)
    available = tuple(jnp.asarray(mask, bool) for mask in available)
    if len(available) != n_players or any(mask.shape != (w,) for mask, w in zip(available, shape, strict=True)):
        raise GameError(f"correlated_equilibrium(available): expected {n_players} masks of shapes {shape}")
    if isinstance(objective, str):
        if objective != "utilitarian":
            raise GameError(f"correlated_equilibrium(objective): expected 'utilitarian' or weights [n_players], "
                            f"got {objective!r}")
        weights = jnp.ones(n_players, payoffs.dtype)
    else:
        weights = jnp.asarray(objective, payoffs.dtype)
        if weights.shape != (n_players,):
            raise GameError(f"correlated_equilibrium(objective): expected weights of shape ({n_players},), got "
                            f"{weights.shape}")
    joint_mask = available[0].reshape((-1,) + (1,) * (n_players - 1))
    for i in range(1, n_players):
        joint_mask = joint_mask & available[i].reshape((1,) * i + (-1,) + (1,) * (n_players - i - 1))
    scale = jnp.max(jnp.where(joint_mask, jnp.abs(payoffs), 0.0))
    u = jnp.where(joint_mask, payoffs / jnp.where(scale > 0, scale, 1.0), 0.0)
    blocks = []
    for player, recommended, deviation in _ce_deviation_rows(shape):
        own = jnp.moveaxis(u[player], player, 0)  # [n_i, *rest]
        gains = own[deviation] - own[recommended]  # [r, *rest]
        mask = jnp.moveaxis(joint_mask, player, 0)
        onehot = jnp.asarray(np.eye(shape[player])[recommended])  # [r, n_i]
        # Row (a, a') puts the gain on the joint actions whose own action is a: [r, n_i, *rest].
        rows = onehot.reshape(onehot.shape + (1,) * (n_players - 1)) * gains[:, None] * mask[None]
        rows = rows * (available[player][recommended] & available[player][deviation]).reshape(
            (-1,) + (1,) * n_players)
        blocks.append(jnp.moveaxis(rows, 1, player + 1).reshape(len(recommended), -1))
    flat_mask = joint_mask.reshape(-1)
    welfare = jnp.tensordot(weights, u, axes=1).reshape(-1)
    # The objective shifted to [1, 2] on the available joint actions: a constant shift changes no maximiser on the
    # simplex, and with every coefficient positive the constraint "sum p = 1" may be relaxed to "sum p <= 1" (the
    # optimum of a positive objective over the CE cone cut by it has sum 1). Then p = 0 with the slack basis is
    # feasible and the simplex needs no phase 1 (whose long degenerate runs are where rounding hurts).
    low = jnp.min(jnp.where(flat_mask, welfare, jnp.inf))
    high = jnp.max(jnp.where(flat_mask, welfare, -jnp.inf))
    shifted = jnp.where(flat_mask, (welfare - low) / jnp.where(high > low, high - low, 1.0) + 1.0, 0.0)
    constraints = [*blocks, flat_mask.astype(u.dtype)[None, :]]
    bounds = jnp.zeros(sum(b.shape[0] for b in blocks) + 1, u.dtype).at[-1].set(1.0)
    solution = linprog(-shifted, jnp.concatenate(constraints, axis=0), bounds, max_iterations=max_iterations,
                       feasible_start=True, perturb=True)
    flat = _normalised(solution.x, flat_mask)
    # Checked on the data, not on the tableau: in float32 an ill-conditioned final basis can give a point that
    # misses the CE constraints (measured: 3 of 1,000 random 5 x 5 games, gaps up to 1e-2 of the payoff scale).
    gain = jnp.max(jnp.concatenate(constraints[:-1], axis=0) @ flat, initial=0.0)
    status = jnp.where((solution.status == OPTIMAL) & (gain > _CE_CHECK_EPS * jnp.finfo(u.dtype).eps), INACCURATE,
                       solution.status)
    return flat.reshape(shape), status.astype(jnp.int32)


__all__ = ["INACCURATE", "INFEASIBLE", "ITERATION_CAP", "LPSolution", "MatrixGameValue", "OPTIMAL", "UNBOUNDED",
           "correlated_equilibrium", "correlated_equilibrium_solve", "linprog", "matrix_game_solve",
           "matrix_game_value"]
