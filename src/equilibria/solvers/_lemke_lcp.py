"""Lemke's complementary pivoting for mixed linear complementarity problems, in floats or exact integers.

The problem (equality form). Variables ``z: [n_vars]``, equations ``M z = q`` with ``M: [n_rows, n_vars]``; some
variables are **free** (never leave the basis once in it), the others are nonnegative and come in
**complementary pairs** ``complement[j]``. A basis is ``n_rows`` variables whose columns of ``M`` are
independent; a basic solution sets the others to 0. The caller supplies a feasible starting basis, the variable
that **enters** first and a **stop** variable: pivoting runs until the stop variable leaves the basis. After
each pivot the complement of the variable that just left enters next (Lemke 1965), so every basis on the path is
complementary except for one pair. ``iterations``/``pivots`` count these path pivots.

Degeneracy: when the stop variable is among the rows of minimum ratio it leaves (the path has reached a
solution: every other pair is complementary and the stop variable is 0; without this rule a degenerate path can
pivot on for a long time at the very same point with the stop variable basic at 0). Otherwise the leaving
variable is chosen by the **lexicographic minimum-ratio test**. Among the rows that minimise ``value /
direction``, ties are broken by the rows of ``B^-1 B0`` (``B0``: the starting basis' columns, in the order
given), each divided by its direction entry, compared column by column. This is the perturbation
``q + B0 (eps, eps^2, ...)`` of the right-hand side: the starting basis is lexicographically feasible for it
(``B0^-1 B0 = I``), the lexicographic rule keeps every basis so, and the perturbed problem is nondegenerate,
so no basis repeats and the path cannot cycle (Eaves 1971), however degenerate the unperturbed problem is.

Three engines follow the same rule:

- :func:`lemke_float`: a revised method. The basis matrix is factorised (dense LU up to ``_DENSE_MAX_ROWS`` rows,
  sparse SuperLU above) and each pivot adds an eta vector (product form of the inverse); after
  ``_REFACTOR_EVERY`` pivots the basis is factorised afresh and its values re-solved, so round-off does not
  accumulate (the eta file is applied by compiled loops on large bases). A pivot costs one solve with the basis;
  a ratio tie a few more (:func:`_lexicographic_row`). Ties are decided with relative tolerances.
- :func:`lemke_dense`: for small systems (up to a few hundred rows), the whole tableau ``B^-1 [M | q]`` as one dense
  array, pivoted by compiled loops (numba): the starting basis is brought in by Gauss-Jordan pivots (its unit
  columns first, the others with partial pivoting), then every path pivot updates the tableau, whose columns of
  the starting variables are the columns of ``B^-1 B0`` the lexicographic rule reads. On the small systems where
  the fixed costs of factorising and of interpreted loops dominate, this is an order of magnitude quicker.
- :func:`lemke_exact`: a sparse integer tableau ``det(B) B^-1 [M_N | q]`` (rows as dictionaries, each with a
  lazily updated scale, see :class:`_SparseTableau`) updated by Bareiss' fraction-free rule, so every division is
  exact and ``det(B) > 0`` throughout (the starting basis is brought in by the same pivots from unit and
  artificial columns, negating a row where needed to keep the pivot positive). Rows of ``M`` and ``q``
  are scaled to integers first; a row's own unit column keeps coefficient 1 (rescaling that variable), which
  changes neither the path nor any other variable's value.

Both report a :class:`PathEnd`: how the path ended, the final basis and its values, and the pivot count.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import Any

import numpy as np
import scipy.sparse as sp

from equilibria.core.compiled import jit_leaf
from equilibria.solvers._common import Budget

# Float engine. The systems it is given are scaled to unit size (payoffs divided by their largest magnitude).
_PIVOT_TOL = 1e-9  # direction entries up to this fraction of the largest one count as zero
_TIE_TOL = 1e-9  # ratios within this (relative, floor 1) of the minimum are ties for the lexicographic rule
_KEY_TOL = 1e-9  # lexicographic keys within this (relative to the largest, floor 1) are equal
_REFACTOR_EVERY = 64  # eta vectors kept before the basis is factorised afresh
_DENSE_MAX_ROWS = 100  # bases up to this many rows use a dense LU (SuperLU is faster from about 200 rows on)
_COMPILED_MIN_ROWS = 1000  # bases from this many rows apply their eta file with compiled loops (numba)
_REFINE_STEPS = 2  # iterative refinement steps when the final basis is solved again
_FEW_TIED = 16  # ties up to this many rows read their keys off rows of B^-1 (transposed solves), larger ones
_MAX_BLOCK = 128  # solve for the key columns, in blocks growing up to this many columns

SOLVED, BUDGET, RAY, SINGULAR, STOPPED = "solved", "budget", "ray", "singular", "stopped"


class NotCompiled(Exception):  # noqa: N818 - a state, not a failure: the caller returns what it has
    """A compiled engine's code was not ready within the time budget; the message is the one-line stop reason."""


# Engines whose kernels are loaded for their (only) argument types: later budgeted calls skip the typing.
_LOADED: set[str] = set()


def require_compiled(name: str, budget: Budget,
                     kernels: Callable[[], Sequence[tuple[Any, tuple[Any, ...]]]]) -> None:
    """Load the kernels of engine ``name`` before their first call, or have them compiled in other processes within
    what is left of ``budget``'s time (:func:`equilibria.core.compiled.ensure_compiled`); raises
    :class:`NotCompiled` when they are not ready in time. ``kernels()``: ``(kernel, arguments of a call)`` pairs,
    asked for only then. Without a time limit nothing is done: the first call compiles, as numba does."""
    if budget.max_seconds is None or name in _LOADED:
        return
    from equilibria.core.compiled import ensure_all_compiled

    compilation = ensure_all_compiled(kernels(), max(0.0, budget.max_seconds - budget.elapsed()))
    if not compilation.ready:
        raise NotCompiled(f"max_seconds={budget.max_seconds:g} reached while compiling: {compilation.note}")
    if compilation.loaded:
        _LOADED.add(name)


@dataclass(frozen=True)
class LCPSystem:
    """A mixed LCP ``M z = q`` with a starting basis (see the module docstring).

    Attributes:
      rows, cols, values: ``M`` as coordinate triplets (``values`` floats, or Fractions/ints for the exact engine).
      shape: ``(n_rows, n_vars)``.
      rhs: ``q: [n_rows]`` (floats or Fractions).
      complement: ``[n_vars]`` each variable's complement (-1 for free variables).
      free: ``[n_vars]`` True for free variables.
      basis: ``[n_rows]`` the starting basis (feasible: its basic solution is nonnegative where it must be).
      entering: the variable that enters first.
      stop: the variable whose leaving ends the path.
    """

    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray
    shape: tuple[int, int]
    rhs: np.ndarray
    complement: np.ndarray
    free: np.ndarray
    basis: np.ndarray
    entering: int
    stop: int

    @cached_property
    def matrix(self) -> sp.csc_matrix:
        """``M`` as a float sparse matrix (duplicate triplets are summed)."""
        return sp.csc_matrix((np.asarray(self.values, dtype=float), (self.rows, self.cols)), shape=self.shape)


@dataclass(frozen=True)
class PathEnd:
    """Where a path stopped.

    Attributes:
      status: ``"solved"`` (the stop variable left), ``"budget"`` (max_iterations/max_seconds), ``"ray"`` (no
        variable blocks the entering one, or the path came back to its start), ``"singular"`` (float engine: a
        basis could not be factorised), ``"stopped"`` (exact engine: the time ran out before the path started;
        no values).
      basis: ``[n_rows]`` the basic variables.
      values: ``[n_rows]`` their values (floats, or Fractions from the exact engine).
      pivots: path pivots made.
    """

    status: str
    basis: np.ndarray
    values: np.ndarray
    pivots: int

    def solution(self, n_vars: int) -> np.ndarray:
        """``z: [n_vars]`` with the basic values in place and zeros elsewhere (Fractions stay Fractions)."""
        exact = self.values.dtype == object
        out = np.array([Fraction(0)] * n_vars, dtype=object) if exact else np.zeros(n_vars)
        out[self.basis] = self.values
        return out


# -- float engine -------------------------------------------------------------------------------------------------


def _forward_numpy(x: np.ndarray, rows: np.ndarray, etas: np.ndarray, count: int) -> None:
    """Apply ``eta_1 .. eta_count`` to each row of ``x: [b, n]`` in place (``eta_k``: pivot row ``rows[k]``,
    column ``etas[k]``): ``x_r <- x_r / d_r``, then ``x_i <- x_i - d_i x_r`` elsewhere."""
    for k in range(count):
        r, d = rows[k], etas[k]
        pivot = x[:, r] / d[r]
        x -= pivot[:, None] * d[None, :]
        x[:, r] = pivot


def _backward_numpy(v: np.ndarray, rows: np.ndarray, etas: np.ndarray, count: int) -> None:
    """``v^T eta_count ... eta_1`` for each row ``v`` of ``v: [b, n]``, in place: ``(v^T eta)_r = (v_r (1 + d_r) -
    d^T v) / d_r``, the other entries unchanged."""
    for k in range(count - 1, -1, -1):
        r, d = rows[k], etas[k]
        v[:, r] = (v[:, r] * (1.0 + d[r]) - v @ d) / d[r]


def _forward_loops(x: np.ndarray, rows: np.ndarray, etas: np.ndarray, count: int) -> None:
    """:func:`_forward_numpy` as loops (compiled by numba)."""
    b, n = x.shape
    for k in range(count):
        r = rows[k]
        dr = etas[k, r]
        for j in range(b):
            pivot = x[j, r] / dr
            if pivot != 0.0:
                for i in range(n):
                    x[j, i] -= pivot * etas[k, i]
            x[j, r] = pivot


def _backward_loops(v: np.ndarray, rows: np.ndarray, etas: np.ndarray, count: int) -> None:
    """:func:`_backward_numpy` as loops (compiled by numba)."""
    b, n = v.shape
    for k in range(count - 1, -1, -1):
        r = rows[k]
        dr = etas[k, r]
        for j in range(b):
            total = 0.0
            for i in range(n):
                total += etas[k, i] * v[j, i]
            v[j, r] = (v[j, r] * (1.0 + dr) - total) / dr


@functools.cache
def _compiled_etas() -> tuple[Callable[..., None], Callable[..., None]] | None:
    """The eta loops compiled by numba (None without numba): an interpreted loop over the eta file costs a few
    microseconds per eta in NumPy calls, more than the arithmetic on the larger bases."""
    try:
        import numba  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the environment
        return None
    from equilibria.core.compiled import jit_leaf

    return jit_leaf(_forward_loops), jit_leaf(_backward_loops)


class _Factor:
    """A factorised basis ``B`` and the eta file of the pivots since: ``B_k^-1 = eta_k ... eta_1 B^-1``."""

    def __init__(self, basis_matrix: sp.csc_matrix) -> None:
        n = basis_matrix.shape[0]
        self.size = n
        self.dense = n <= _DENSE_MAX_ROWS
        if self.dense:
            from scipy.linalg import lu_factor

            dense = basis_matrix.toarray()
            self.lu: Any = lu_factor(dense, check_finite=False)
            if not np.all(np.isfinite(self.lu[0])) or np.min(np.abs(np.diag(self.lu[0])), initial=1.0) == 0.0:
                raise np.linalg.LinAlgError("singular basis")
        else:
            from scipy.sparse.linalg import splu

            try:
                self.lu = splu(basis_matrix.tocsc(), permc_spec="COLAMD")
            except RuntimeError as exc:  # SuperLU: "Factor is exactly singular"
                raise np.linalg.LinAlgError(str(exc)) from None
        self.rows = np.zeros(_REFACTOR_EVERY, dtype=np.int64)
        self.etas = np.empty((_REFACTOR_EVERY, n))
        self.count = 0
        compiled = _compiled_etas() if n >= _COMPILED_MIN_ROWS else None
        kernels: tuple[Callable[..., None], Callable[..., None]] = compiled or (_forward_numpy, _backward_numpy)
        self.forward, self.backward = kernels

    def _solve(self, rhs: np.ndarray, transpose: bool = False) -> np.ndarray:
        if self.dense:
            from scipy.linalg import lu_solve

            return np.asarray(lu_solve(self.lu, rhs, trans=1 if transpose else 0, check_finite=False))
        return np.asarray(self.lu.solve(rhs, trans="T" if transpose else "N"))

    def ftran(self, vectors: np.ndarray) -> np.ndarray:
        """``B_k^-1 vectors`` (``[n]`` or ``[n, b]``)."""
        out = self._solve(vectors)
        if self.count == 0:
            return out
        rows = np.ascontiguousarray(out.T if out.ndim == 2 else out[None, :])  # [b, n]
        self.forward(rows, self.rows, self.etas, self.count)
        return rows.T if out.ndim == 2 else rows[0]

    def btran_rows(self, rows: np.ndarray) -> np.ndarray:
        """``[len(rows), n]`` the given rows of ``B_k^-1`` (one transposed solve for all of them)."""
        unit = np.zeros((rows.shape[0], self.size))
        unit[np.arange(rows.shape[0]), rows] = 1.0
        self.backward(unit, self.rows, self.etas, self.count)
        return self._solve(unit.T, transpose=True).T

    def push(self, row: int, direction: np.ndarray) -> None:
        self.rows[self.count] = row
        self.etas[self.count] = direction
        self.count += 1


def _column(matrix: sp.csc_matrix, j: int, n: int) -> np.ndarray:
    out = np.zeros(n)
    lo, hi = matrix.indptr[j], matrix.indptr[j + 1]
    out[matrix.indices[lo:hi]] = matrix.data[lo:hi]
    return out


def _lexicographic_row(factor: _Factor, matrix: sp.csc_matrix, start: np.ndarray, start_index: np.ndarray,
                       basis: np.ndarray, tied: np.ndarray, direction: np.ndarray) -> int:
    """Among ``tied`` rows (equal ratios), the one whose row of ``B^-1 B0`` over its direction entry is
    lexicographically smallest (module docstring).

    Column ``k`` of ``B^-1 B0`` is ``B^-1`` times the ``k``-th starting basic column. While that variable is still
    basic, at row ``s``, the column is the unit vector ``e_s``: it only removes row ``s`` from the tie (its key is
    positive, the others' 0). The other columns, of the starting variables that have left the basis, are needed
    on the tied rows only: while few rows are tied, they are read off those rows of ``B^-1`` (one transposed solve
    per row, most ties are between two or three rows); while many are (degenerate games tie hundreds of rows),
    they are solved for in blocks of growing size, in order, until the tie is broken.
    """
    order = start_index[basis[tied]]  # each tied row's basic variable's place among the starting ones (or n)
    left = np.flatnonzero(~np.isin(start, basis))  # places of the starting variables that have left, ascending
    alive = np.ones(tied.shape[0], dtype=bool)
    first, block = 0, 1
    while first < left.shape[0]:
        rows = np.flatnonzero(alive)
        if rows.shape[0] <= _FEW_TIED:
            places = left[first:]
            inverse_rows = factor.btran_rows(tied[rows])  # [len(rows), n]
            keys = np.zeros((tied.shape[0], places.shape[0]))
            keys[rows] = np.asarray((matrix[:, start[places]].T @ inverse_rows.T).T)
        else:
            places = left[first:first + block]
            columns = factor.ftran(matrix[:, start[places]].toarray())  # [n, len(places)]
            keys = columns[tied]
            block = min(2 * block, _MAX_BLOCK)
        winner = _scan(keys / direction[tied][:, None], places, order, alive, basis.shape[0])
        if winner >= 0:
            return int(tied[winner])
        first += places.shape[0]
    winner = _scan(np.zeros((tied.shape[0], 0)), left[:0], order, alive, basis.shape[0])
    # -1: rows whose basic variables entered on the path and that no key separates in floats (in exact terms the
    # rows of B^-1 B0 differ): take the first.
    return int(tied[winner if winner >= 0 else int(np.flatnonzero(alive)[0])])


def _scan(keys: np.ndarray, places: np.ndarray, order: np.ndarray, alive: np.ndarray, end: int) -> int:
    """Apply key columns ``keys: [n_tied, len(places)]`` (at ``places`` among the starting variables) and the unit
    columns before them to the tie ``alive`` (updated in place); the index of the winner once one row is left,
    else -1. With no columns, the unit columns of every still-basic starting variable (``order < end``) are
    applied."""
    # Entries of B^-1 B0 are of unit size on scaled systems; exact zeros come out as round-off of that size.
    tol = _KEY_TOL * max(1.0, float(np.abs(keys[alive]).max(initial=0.0)))
    first = 0
    while True:
        sub = keys[alive, first:]
        differing = np.flatnonzero(sub.max(axis=0, initial=-np.inf) - sub.min(axis=0, initial=np.inf) > tol)
        if differing.size == 0:
            if places.shape[0]:
                return -1  # nothing here breaks the tie: the unit columns up to the next block come first
            place = end  # the end: every remaining unit column
        else:
            column = first + int(differing[0])
            place = int(places[column])
        removed = alive & (order < place)  # unit columns before that place remove their rows, in order
        if np.array_equal(removed, alive):
            survivor = np.flatnonzero(alive)[np.argmax(order[alive])]
            alive[:] = False
            alive[survivor] = True
            return int(survivor)
        alive &= ~removed
        if alive.sum() == 1:
            return int(np.flatnonzero(alive)[0])
        if differing.size == 0:
            return -1  # rows whose basic variables entered on the path and that no column separates
        values = keys[:, column]
        alive &= values <= values[alive].min() + tol
        if alive.sum() == 1:
            return int(np.flatnonzero(alive)[0])
        first = column + 1


def lemke_float(system: LCPSystem, budget: Budget) -> PathEnd:
    """Follow the path in floating point (module docstring); never raises on numerical trouble."""
    matrix = system.matrix
    n = system.shape[0]
    rhs = np.asarray(system.rhs, dtype=float)
    basis = np.asarray(system.basis, dtype=np.int64).copy()
    constrained = ~np.asarray(system.free, dtype=bool)
    complement = np.asarray(system.complement, dtype=np.int64)
    start = basis.copy()
    start_index = np.full(system.shape[1], n, dtype=np.int64)  # each variable's place in the starting basis
    start_index[start] = np.arange(n)
    compiled = _compiled_etas() if n >= _COMPILED_MIN_ROWS else None
    if compiled is not None:
        work = np.zeros((1, n))  # the eta loops' argument types: [b, n] and [_REFACTOR_EVERY, n] float64, int64 rows
        forward, backward = compiled
        require_compiled("etas", budget,
                         lambda: [(forward, (work, basis, work, 0)), (backward, (work, basis, work, 0))])
    try:
        factor = _Factor(matrix[:, start])
    except np.linalg.LinAlgError:
        return PathEnd(SINGULAR, basis, np.zeros(n), 0)
    values = factor.ftran(rhs)
    entering, pivots = int(system.entering), 0
    while True:
        if budget.exhausted(pivots):
            return PathEnd(BUDGET, basis, values, pivots)
        direction = factor.ftran(_column(matrix, entering, n))
        rows = np.flatnonzero(constrained[basis])
        d = direction[rows]
        largest = float(np.abs(d).max(initial=0.0))
        rows = rows[d > _PIVOT_TOL * max(largest, 1e-300)]
        if rows.size == 0:
            return PathEnd(RAY, basis, values, pivots)
        ratios = np.maximum(values[rows], 0.0) / direction[rows]
        best = float(ratios.min())
        tied = rows[ratios <= best + _TIE_TOL * max(1.0, best)]
        stopping = tied[basis[tied] == system.stop]
        if stopping.size:  # the stop variable reaches 0 with others: end here (the module docstring)
            row = int(stopping[0])
        else:
            row = (int(tied[0]) if tied.size == 1 else
                   _lexicographic_row(factor, matrix, start, start_index, basis, tied, direction))
        step = max(float(values[row]), 0.0) / direction[row]
        values -= step * direction
        values[row] = step
        leaving = int(basis[row])
        basis[row] = entering
        factor.push(row, direction)
        pivots += 1
        if factor.count >= _REFACTOR_EVERY:
            try:
                factor = _Factor(matrix[:, basis])
            except np.linalg.LinAlgError:
                return PathEnd(SINGULAR, basis, values, pivots)
            values = factor.ftran(rhs)
        if leaving == system.stop:
            return PathEnd(SOLVED, basis, values, pivots)
        if complement[leaving] < 0 or leaving == system.entering:
            return PathEnd(RAY, basis, values, pivots)  # the path came back to its start (impossible in theory)
        entering = int(complement[leaving])


def resolve_basis(system: LCPSystem, basis: np.ndarray) -> np.ndarray | None:
    """``[n_rows]`` the basic solution of ``basis`` solved afresh with iterative refinement (None: singular)."""
    matrix = system.matrix[:, basis]
    try:
        factor = _Factor(matrix)
    except np.linalg.LinAlgError:
        return None
    rhs = np.asarray(system.rhs, dtype=float)
    values = factor.ftran(rhs)
    for _ in range(_REFINE_STEPS):
        values += factor.ftran(rhs - matrix @ values)
    return values if np.all(np.isfinite(values)) else None


# -- exact engine -------------------------------------------------------------------------------------------------


def solve_basis_exact(system: LCPSystem, basis: np.ndarray, budget: Budget) -> np.ndarray | None:
    """``[n_rows]`` the basic solution of ``basis`` in exact arithmetic (Fractions; ``system`` holds exact
    values), or None when the basis is singular or the budget runs out. Sparse elimination with Markowitz
    pivoting in reduced fractions (:func:`equilibria.solvers.sequence_form_lp._solve_exact`)."""
    from equilibria.solvers.sequence_form_lp import _solve_exact

    position = {int(v): k for k, v in enumerate(basis)}
    rows: list[dict[int, Fraction]] = [{} for _ in range(system.shape[0])]
    for r, c, v in zip(system.rows.tolist(), system.cols.tolist(), system.values, strict=True):
        k = position.get(c)
        if k is not None and v != 0:
            rows[r][k] = rows[r].get(k, Fraction(0)) + Fraction(v)
    rhs = [Fraction(v) for v in system.rhs]
    solution = _solve_exact([{k: v for k, v in row.items() if v != 0} for row in rows], rhs, len(position), budget)
    return None if solution is None else np.array(solution, dtype=object)


_RHS = -1  # the key of the right-hand side in a sparse exact row


def _integer_rows(system: LCPSystem) -> tuple[list[dict[int, int]], dict[int, int]]:
    """``(rows, units)``: each row of ``[M | q]`` as ``{variable: int}`` (``q`` under the key ``-1``), scaled by the
    least common multiple of its denominators. ``units`` maps each variable whose column is a single 1 to its
    row's scale ``L``: that entry stays 1, i.e. the variable is rescaled to ``L z_j`` (module docstring), and its
    value is divided by ``L`` again at the end."""
    n, n_vars = system.shape
    entries: list[dict[int, Fraction]] = [{} for _ in range(n)]
    for r, c, v in zip(system.rows.tolist(), system.cols.tolist(), system.values, strict=True):
        row = entries[r]
        row[c] = row.get(c, Fraction(0)) + Fraction(v)
    count = np.bincount([c for row in entries for c, v in row.items() if v != 0], minlength=n_vars)
    rows: list[dict[int, int]] = []
    units: dict[int, int] = {}
    for r, row in enumerate(entries):
        rhs = Fraction(system.rhs[r])
        scale = math.lcm(rhs.denominator, *(v.denominator for v in row.values()))
        out = {c: int(v * scale) for c, v in row.items() if v != 0}
        for c, v in row.items():
            if v == 1 and count[c] == 1:
                out[c] = 1
                units[c] = scale
        if rhs != 0:
            out[_RHS] = int(rhs * scale)
        rows.append(out)
    return rows, units


class _SparseTableau:
    """The tableau ``det(B) B^-1 [M_N | q]`` row by row as ``{nonbasic variable: int}`` (``q`` under ``-1``).

    Bareiss' fraction-free update keeps every entry an integer (a minor of ``[M | q]``, divisions exact). Row
    ``i`` is stored at the determinant ``scale[i]`` of the basis it was last updated with: a pivot changes only the
    rows with an entry in the pivot column (the others' true values do not change), and a row is brought to the
    current determinant (an exact division) only when a pivot touches it. Ratios within a row do not depend on
    its scale, and every determinant is positive, so the ratio tests read the stored rows directly.
    """

    def __init__(self, rows: list[dict[int, int]], basis: list[int]) -> None:
        self.rows = rows
        self.basis = basis
        self.scale = [1] * len(rows)
        self.det = 1
        self.row_of = {v: r for r, v in enumerate(basis)}
        self.rows_with: dict[int, set[int]] = {}
        for r, row in enumerate(rows):
            for c in row:
                if c != _RHS:
                    self.rows_with.setdefault(c, set()).add(r)

    def _current(self, r: int) -> dict[int, int]:
        """Row ``r`` at the current determinant."""
        if self.scale[r] != self.det:
            factor, old = self.det, self.scale[r]
            self.rows[r] = {c: v * factor // old for c, v in self.rows[r].items()}
            self.scale[r] = self.det
        return self.rows[r]

    def pivot(self, r: int, variable: int) -> int:
        """Bring the nonbasic ``variable`` into the basis at row ``r``; returns the variable that left, which takes
        over the entering one's column."""
        leaving = self.basis[r]
        pivot_row = self._current(r)
        if pivot_row[variable] < 0:  # only while the starting basis is brought in: keeps det(B) > 0
            pivot_row = self.rows[r] = {c: -v for c, v in pivot_row.items()}
        p, det = pivot_row[variable], self.det
        touched = self.rows_with.pop(variable)
        touched.discard(r)
        for c in pivot_row:
            if c != _RHS and c != variable:
                self.rows_with[c].discard(r)
        for i in touched:
            row = self._current(i)
            f = row.pop(variable)
            for c in row:
                if c != _RHS:
                    self.rows_with[c].discard(i)
            updated = {c: v * p for c, v in row.items()}
            for c, v in pivot_row.items():
                if c != variable:
                    updated[c] = updated.get(c, 0) - f * v
            new = {c: v // det for c, v in updated.items() if v}
            new[leaving] = -f
            self.rows[i] = new
            for c in new:
                if c != _RHS:
                    self.rows_with.setdefault(c, set()).add(i)
        new_pivot_row = {c: v for c, v in pivot_row.items() if c != variable}
        new_pivot_row[leaving] = det
        self.rows[r] = new_pivot_row
        for c in new_pivot_row:
            if c != _RHS:
                self.rows_with.setdefault(c, set()).add(r)
        self.scale[r] = p
        for i in touched:
            self.scale[i] = p
        self.det = p
        del self.row_of[leaving]
        self.basis[r] = variable
        self.row_of[variable] = r
        return leaving

    def drop(self, variable: int) -> None:
        """Remove a nonbasic variable's column for good (an artificial variable that has left)."""
        for r in self.rows_with.pop(variable, set()):
            del self.rows[r][variable]

    def value(self, r: int) -> Fraction:
        return Fraction(self.rows[r].get(_RHS, 0), self.scale[r])


def _narrowest(rows: list[int], numerators: list[int], denominators: list[int]) -> list[int]:
    ratios = [Fraction(a, b) for a, b in zip(numerators, denominators, strict=True)]
    best = min(ratios)
    return [r for r, ratio in zip(rows, ratios, strict=True) if ratio == best]


def lemke_exact(system: LCPSystem, budget: Budget) -> PathEnd:
    """Follow the path in exact integer arithmetic (module docstring). The starting basis is brought in first
    (from the unit columns of ``M`` plus artificial columns, which are dropped as they leave); those pivots are
    not counted."""
    rows, units = _integer_rows(system)
    n, n_vars = system.shape
    start = [int(v) for v in system.basis]
    in_start = set(start)
    # A first basis: a unit column for each row where the starting basis has one, an artificial elsewhere.
    first: list[int] = [-1] * n
    holder = {c: r for r, row in enumerate(rows) for c in row if c in units}
    for j, r in holder.items():
        if j in in_start and first[r] < 0:
            first[r] = j
    artificial = n_vars
    for r in range(n):
        if first[r] < 0:
            rows[r][artificial] = 1
            first[r] = artificial
            artificial += 1
    tableau = _SparseTableau(rows, first)
    # Gauss-Jordan: each remaining starting variable takes a row still held by an artificial (the sparsest).
    for count, variable in enumerate(start):
        if count % 64 == 0 and budget.exhausted(0):
            return PathEnd(STOPPED, np.asarray(system.basis, dtype=np.int64), np.zeros(0, dtype=object), 0)
        if variable in tableau.row_of:
            continue
        candidates = [r for r in tableau.rows_with.get(variable, ()) if tableau.basis[r] >= n_vars]
        row = min(candidates, key=lambda r: (len(tableau.rows[r]), r))
        tableau.drop(tableau.pivot(row, variable))
    constrained = ~np.asarray(system.free, dtype=bool)
    complement = np.asarray(system.complement, dtype=np.int64)
    entering, pivots = int(system.entering), 0
    while True:
        if budget.exhausted(pivots):
            return _exact_end(BUDGET, tableau, pivots, units)
        candidates = sorted(r for r in tableau.rows_with.get(entering, ())
                            if constrained[tableau.basis[r]] and tableau.rows[r][entering] > 0)  # det(B) > 0
        if not candidates:
            return _exact_end(RAY, tableau, pivots, units)
        directions = [tableau.rows[r][entering] for r in candidates]
        tied = _narrowest(candidates, [tableau.rows[r].get(_RHS, 0) for r in candidates], directions)
        tied = [r for r in tied if tableau.basis[r] == system.stop] or tied  # the stop variable ends ties
        for variable in start:
            if len(tied) == 1:
                break
            if variable in tableau.row_of:  # a basic variable's column is a unit: it removes its own row
                tied = [r for r in tied if r != tableau.row_of[variable]] if len(tied) > 1 else tied
            else:
                tied = _narrowest(tied, [tableau.rows[r].get(variable, 0) for r in tied],
                                  [tableau.rows[r][entering] for r in tied])
        leaving = tableau.pivot(tied[0], entering)
        pivots += 1
        if leaving == system.stop:
            return _exact_end(SOLVED, tableau, pivots, units)
        if complement[leaving] < 0 or leaving == system.entering:
            return _exact_end(RAY, tableau, pivots, units)
        entering = int(complement[leaving])


def _exact_end(status: str, tableau: _SparseTableau, pivots: int, units: dict[int, int]) -> PathEnd:
    values = np.array([tableau.value(r) / units.get(b, 1) for r, b in enumerate(tableau.basis)], dtype=object)
    return PathEnd(status, np.array(tableau.basis, dtype=np.int64), values, pivots)


# -- dense engine ---------------------------------------------------------------------------------------------------


def lemke_dense(tableau: np.ndarray, start: np.ndarray, complement: np.ndarray, free: np.ndarray, entering: int,
                stop: int, budget: Budget) -> PathEnd:
    """Follow the path on the dense tableau ``[M | q]`` (``[n_rows, n_vars + 1]`` float64, C order; overwritten),
    the other arguments as in :class:`LCPSystem` (module docstring). ``"singular"`` when the starting basis could not
    be brought in."""
    n = tableau.shape[0]
    bring_in, follow = _dense_kernels()
    basis = np.full(n, -1, dtype=np.int64)
    row_of = np.full(tableau.shape[1] - 1, -1, dtype=np.int64)
    columns = np.empty(tableau.shape[1], dtype=np.int64)  # work buffers
    tied = np.empty(n, dtype=np.int64)
    start = np.ascontiguousarray(start, dtype=np.int64)
    constrained = np.ascontiguousarray(~np.asarray(free, dtype=bool))
    complement = np.ascontiguousarray(complement, dtype=np.int64)
    state = np.array([entering, 0, _RUNNING], dtype=np.int64)  # entering variable, pivots, status
    require_compiled("dense", budget, lambda: [
        (bring_in, (tableau, start, basis, row_of, columns)),
        (follow, (tableau, basis, row_of, start, constrained, complement, stop, entering, state, 0, tied, columns))])
    if bring_in(tableau, start, basis, row_of, columns) != 0:
        return PathEnd(SINGULAR, basis, np.zeros(n), 0)
    while True:
        pivots = int(state[1])
        if budget.exhausted(pivots):
            return PathEnd(BUDGET, basis, tableau[:, -1].copy(), pivots)
        limit = _DENSE_CHUNK if budget.max_iterations is None else min(_DENSE_CHUNK,
                                                                       budget.max_iterations - pivots)
        follow(tableau, basis, row_of, start, constrained, complement, stop, entering, state, limit, tied, columns)
        if state[2] != _RUNNING:
            status = SOLVED if state[2] == _DONE else RAY
            return PathEnd(status, basis, tableau[:, -1].copy(), int(state[1]))


def dense_engine_calls() -> list[tuple[Any, tuple[Any, ...]]]:
    """:func:`lemke_dense`'s kernels with arguments of its calls' types, for :func:`require_compiled` ahead of it
    (a solver that needs other kernels first can have them all compiled at once)."""
    bring_in, follow = _dense_kernels()
    tableau, ints, flags = np.zeros((1, 2)), np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.bool_)
    return [(bring_in, (tableau, ints, ints, ints, ints)),
            (follow, (tableau, ints, ints, ints, flags, ints, 0, 0, ints, 0, ints, ints))]


_RUNNING, _DONE, _NO_ROW = 0, 1, 2  # lemke_dense's kernel states: pivot limit reached, stop variable left, ray
_DENSE_CHUNK = 256  # path pivots per compiled call (the budget is checked in between)
_SINGULAR_PIVOT = 1e-11  # bringing in the starting basis: a largest pivot candidate below this is singular


def _dense_pivot(tableau: np.ndarray, row: int, column: int, nonzero: np.ndarray) -> None:
    """Gauss-Jordan pivot on ``(row, column)``: the column becomes the unit vector of ``row``. ``nonzero``: a work
    buffer (the pivot row's nonzero columns, which are all an update touches)."""
    n, width = tableau.shape
    pivot = tableau[row, column]
    count = 0
    for c in range(width):
        if tableau[row, c] != 0.0:
            tableau[row, c] /= pivot
            nonzero[count] = c
            count += 1
    tableau[row, column] = 1.0
    for i in range(n):
        if i != row:
            factor = tableau[i, column]
            if factor != 0.0:
                for k in range(count):
                    c = nonzero[k]
                    tableau[i, c] -= factor * tableau[row, c]
                tableau[i, column] = 0.0


def _dense_bring_in(tableau: np.ndarray, start: np.ndarray, basis: np.ndarray, row_of: np.ndarray,
                    nonzero: np.ndarray) -> int:
    """Pivot the starting basis in (module docstring): unit columns take their rows, then each other starting
    variable the free row with its largest entry. 0 when done, 1 when the basis is singular."""
    n = tableau.shape[0]
    for k in range(start.shape[0]):
        j = start[k]
        row, unit = -1, True
        for i in range(n):
            value = tableau[i, j]
            if value != 0.0:
                if value == 1.0 and row < 0:
                    row = i
                else:
                    unit = False
                    break
        if unit and row >= 0 and basis[row] < 0:
            basis[row] = j
            row_of[j] = row
    for k in range(start.shape[0]):
        j = start[k]
        if row_of[j] >= 0:
            continue
        row, largest = -1, 0.0
        for i in range(n):
            if basis[i] < 0 and abs(tableau[i, j]) > largest:
                row, largest = i, abs(tableau[i, j])
        if row < 0 or largest < _SINGULAR_PIVOT:
            return 1
        _dense_pivot_leaf(tableau, row, j, nonzero)
        basis[row] = j
        row_of[j] = row
    return 0


def _dense_follow(tableau: np.ndarray, basis: np.ndarray, row_of: np.ndarray, start: np.ndarray,
                  constrained: np.ndarray, complement: np.ndarray, stop: int, first: int, state: np.ndarray,
                  limit: int, tied: np.ndarray, nonzero: np.ndarray) -> None:
    """Up to ``limit`` path pivots from ``state = [entering, pivots, status]`` (updated): the ratio test with
    :func:`lemke_float`'s tolerances, the stop variable first among ties, else the lexicographic rule on the
    columns of the starting variables; ``first`` is the variable that entered first."""
    n, width = tableau.shape
    rhs = width - 1
    entering = state[0]
    for _ in range(limit):
        largest = 0.0
        for i in range(n):
            if constrained[basis[i]]:
                largest = max(largest, abs(tableau[i, entering]))
        threshold = _PIVOT_TOL * max(largest, 1e-300)
        best = np.inf
        for i in range(n):
            d = tableau[i, entering]
            if constrained[basis[i]] and d > threshold:
                best = min(best, max(tableau[i, rhs], 0.0) / d)
        if best == np.inf:
            state[0], state[2] = entering, _NO_ROW
            return
        bound = best + _TIE_TOL * max(1.0, best)
        count, row = 0, -1
        for i in range(n):
            d = tableau[i, entering]
            if constrained[basis[i]] and d > threshold and max(tableau[i, rhs], 0.0) / d <= bound:
                tied[count] = i
                count += 1
                if basis[i] == stop:
                    row = i
        if row < 0:
            row = tied[0]
            k = 0
            while count > 1 and k < start.shape[0]:  # columns of B^-1 B0, in order, until one row is left
                column = start[k]
                low, size = np.inf, 0.0
                for t in range(count):
                    key = tableau[tied[t], column] / tableau[tied[t], entering]
                    low = min(low, key)
                    size = max(size, abs(key))
                cut = low + _KEY_TOL * max(1.0, size)
                kept = 0
                for t in range(count):
                    if tableau[tied[t], column] / tableau[tied[t], entering] <= cut:
                        tied[kept] = tied[t]
                        kept += 1
                count = kept
                k += 1
            row = tied[0]
        _dense_pivot_leaf(tableau, row, entering, nonzero)
        leaving = basis[row]
        basis[row] = entering
        row_of[entering] = row
        row_of[leaving] = -1
        state[1] += 1
        if leaving == stop:
            state[0], state[2] = entering, _DONE
            return
        if complement[leaving] < 0 or leaving == first:
            state[0], state[2] = entering, _NO_ROW
            return
        entering = complement[leaving]
    state[0] = entering


# Compiled inline into the dense loops (a module global: compiled code finds its callees there).
_dense_pivot_leaf = jit_leaf(_dense_pivot, inline=True)
_dense_bring_in_leaf, _dense_follow_leaf = jit_leaf(_dense_bring_in), jit_leaf(_dense_follow)


def _dense_kernels() -> tuple[Callable[..., int], Callable[..., None]]:
    """The dense engine's loops compiled as leaves (numba, cached on disk, on first use; the pivot inlined); plain
    Python without numba. The module globals, which are the dispatchers themselves once numba is loaded."""
    return _dense_bring_in_leaf, _dense_follow_leaf


__all__ = ["BUDGET", "RAY", "SINGULAR", "SOLVED", "STOPPED", "LCPSystem", "NotCompiled", "PathEnd",
           "dense_engine_calls", "lemke_dense", "lemke_exact", "lemke_float", "require_compiled", "resolve_basis",
           "solve_basis_exact"]
