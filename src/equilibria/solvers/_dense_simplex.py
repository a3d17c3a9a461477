"""A dense two-phase primal simplex method, compiled, for the tiny linear programs where HiGHS's set-up dominates.

Problem (standard form): ``min c^T v  s.t.  M v = b,  v >= 0`` with ``b >= 0``, given as a dense tableau whose
last ``n_artificial`` columns are artificial variables and whose initial basis (one column per row: a slack or an
artificial, each a unit column) is feasible. Phase 1 minimises the sum of the artificials; those still basic at
zero are pivoted out where their row has another non-zero entry (rows without one are redundant and keep theirs,
at zero); phase 2 minimises ``c^T v`` with the artificials barred from entering.

Pivoting follows Bland's rule (the lowest-indexed improving column enters; ties in the ratio test go to the
lowest-indexed basic variable), which cannot cycle on degenerate programs -- and sequence-form programs are very
degenerate (most plan entries are 0 at a vertex). Tolerances are absolute, for programs scaled to entries of
magnitude at most about 1. The answer is a basic (vertex) solution with its dual prices: the reduced cost of a
slack column is minus the dual price of its row.

On Kuhn poker's sequence-form program (20 rows, 40 columns) this takes microseconds where a HiGHS call through
scipy takes about 2 ms, most of it set-up. The caller checks the answer independently (the certificate) and falls
back to HiGHS on any doubt; larger programs go to HiGHS directly (a dense tableau grows as rows times columns and
Bland's rule takes many pivots).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from equilibria.core.compiled import ensure_compiled, interpreting, jit_leaf

# Outcomes (status[0]).
OPTIMAL, INFEASIBLE, UNBOUNDED, PIVOT_LIMIT = 0, 1, 2, 3
# A reduced cost below -_COST_TOL improves; a column entry above _PIVOT_TOL can be a pivot.
_COST_TOL = 1e-10
_PIVOT_TOL = 1e-9
# Ratios within this of each other tie (Bland's rule then picks the lowest-indexed basic variable).
_RATIO_TOL = 1e-12
# Phase 1 ends feasible when the artificials sum to at most this.
_FEASIBILITY_TOL = 1e-9


def solve(tableau: np.ndarray, basis: np.ndarray, cost: np.ndarray, n_artificial: int) -> tuple[int, int]:
    """Solve in place; returns ``(status, pivots)`` (status :data:`OPTIMAL`, :data:`INFEASIBLE`, :data:`UNBOUNDED`
    or :data:`PIVOT_LIMIT`).

    Args:
      tableau: ``[m + 1, n + 1]``: rows ``0..m-1`` are ``[M | b]`` in canonical form for ``basis``; row ``m`` is
        scratch. On return row ``m`` holds phase 2's reduced costs and, in its last entry, minus the objective;
        column ``n`` the basic variables' values.
      basis: ``[m]`` the basic column of each row (updated).
      cost: ``[n - n_artificial]`` the objective.
      n_artificial: how many of the last columns are artificial.
    """
    status = np.zeros(2, dtype=np.int64)
    _kernel()(tableau, basis, np.ascontiguousarray(cost, dtype=np.float64), n_artificial, status)
    if not _LOADED and not interpreting():
        _LOADED.append(True)
    return int(status[0]), int(status[1])


def prepare(tableau: np.ndarray, basis: np.ndarray, cost: np.ndarray, seconds_left: float | None) -> bool:
    """Whether :func:`solve` can run without compiling, for a solver with ``seconds_left`` (None: no limit, and
    then it compiles on first use). Loaded: yes; otherwise with at least :data:`_LOAD_SECONDS` left it is loaded
    from numba's disk cache when there, and when it is not, another process starts compiling it into the cache
    (:func:`equilibria.core.compiled.ensure_compiled`) and the answer is no, without waiting."""
    if _LOADED or seconds_left is None:
        return True
    if seconds_left < _LOAD_SECONDS:
        return False
    compilation = ensure_compiled(_kernel(), tableau, basis, np.ascontiguousarray(cost, dtype=np.float64), 0,
                                  np.zeros(2, dtype=np.int64), timeout=0.0)
    if compilation.loaded:
        _LOADED.append(True)
    return compilation.ready


# Loading the compiled simplex from the disk cache takes up to this long (measured: 0.05-0.2 s on two busy cores).
_LOAD_SECONDS = 0.5
_LOADED: list[bool] = []  # non-empty once the kernel is loaded (it has one argument signature)


def _kernel() -> Callable[..., None]:
    """The simplex compiled as a leaf (cached on disk, its steps inlined; see equilibria.core.compiled)."""
    return _simplex


def _pivot(tableau: np.ndarray, basis: np.ndarray, row: int, col: int) -> None:
    rows, width = tableau.shape
    inverse = 1.0 / tableau[row, col]
    for c in range(width):
        tableau[row, c] *= inverse
    tableau[row, col] = 1.0
    for r in range(rows):
        if r != row:
            factor = tableau[r, col]
            if factor != 0.0:
                for c in range(width):
                    tableau[r, c] -= factor * tableau[row, c]
                tableau[r, col] = 0.0
    basis[row] = col


def _run(tableau: np.ndarray, basis: np.ndarray, n_allowed: int, limit: int, pivots: int) -> tuple[int, int]:
    """Bland's-rule pivoting on the objective in the last row, over columns ``< n_allowed``: (status, pivots)."""
    m = tableau.shape[0] - 1
    rhs = tableau.shape[1] - 1
    while True:
        col = -1
        for j in range(n_allowed):
            if tableau[m, j] < -_COST_TOL:
                col = j
                break
        if col < 0:
            return OPTIMAL, pivots
        if pivots >= limit:
            return PIVOT_LIMIT, pivots
        row = -1
        best = 0.0
        for i in range(m):
            entry = tableau[i, col]
            if entry > _PIVOT_TOL:
                ratio = tableau[i, rhs] / entry
                if row < 0 or ratio < best - _RATIO_TOL or (ratio <= best + _RATIO_TOL and basis[i] < basis[row]):
                    row = i
                    best = ratio
        if row < 0:
            return UNBOUNDED, pivots
        _pivot_leaf(tableau, basis, row, col)
        pivots += 1


def _simplex_loops(tableau: np.ndarray, basis: np.ndarray, cost: np.ndarray, n_artificial: int,
                   status: np.ndarray) -> None:
    """Both phases (module docstring); ``status`` receives ``(outcome, pivots)``."""
    m = tableau.shape[0] - 1
    n = tableau.shape[1] - 1
    n_real = n - n_artificial
    limit = 50 * (m + n) + 100
    # phase 1: minimise the artificials' sum, reduced against the basis
    for c in range(n + 1):
        tableau[m, c] = 0.0
    for j in range(n_real, n):
        tableau[m, j] = 1.0
    for i in range(m):
        if basis[i] >= n_real:
            for c in range(n + 1):
                tableau[m, c] -= tableau[i, c]
    outcome, pivots = _run_leaf(tableau, basis, n, limit, 0)
    if outcome != OPTIMAL or -tableau[m, n] > _FEASIBILITY_TOL:
        status[0] = INFEASIBLE if outcome == OPTIMAL else outcome
        status[1] = pivots
        return
    for i in range(m):  # artificials still basic (at zero): pivot them out where the row allows
        if basis[i] >= n_real:
            best, col = _PIVOT_TOL, -1
            for j in range(n_real):
                if abs(tableau[i, j]) > best:
                    best, col = abs(tableau[i, j]), j
            if col >= 0:
                _pivot_leaf(tableau, basis, i, col)
                pivots += 1
    # phase 2: the real objective, reduced against the basis
    for c in range(n + 1):
        tableau[m, c] = cost[c] if c < n_real else 0.0
    for i in range(m):
        if basis[i] < n_real and cost[basis[i]] != 0.0:
            factor = cost[basis[i]]
            for c in range(n + 1):
                tableau[m, c] -= factor * tableau[i, c]
    outcome, pivots = _run_leaf(tableau, basis, n_real, limit, pivots)
    status[0] = outcome
    status[1] = pivots


# The steps, compiled inline into the kernel.
_pivot_leaf, _run_leaf = jit_leaf(_pivot, inline=True), jit_leaf(_run, inline=True)
_simplex = jit_leaf(_simplex_loops)
