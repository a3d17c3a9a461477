"""The Lemke-Howson algorithm for two-player (bimatrix) games, with lexicographic pivoting.

Maths (Lemke and Howson 1964; von Stengel, "Computing equilibria for two-person games", Handbook of Game Theory
vol. 3, 2002, sections 3 and 6). Map each player's payoffs affinely so that they are positive (equilibria do not
change under a positive affine map of one player's payoffs): ``A, B: [m, n]`` with entries in ``[1, 2]``. The
polytopes

    P = {x in R^m : x >= 0, B^T x <= 1}        Q = {y in R^n : A y <= 1, y >= 0}

carry labels ``0..m-1`` (the row player's actions) and ``m..m+n-1`` (the column player's): ``x`` has label
``i`` when ``x_i = 0`` and label ``m + j`` when ``(B^T x)_j = 1``; ``y`` has label ``i`` when ``(A y)_i = 1``
and label ``m + j`` when ``y_j = 0``. A pair ``(x, y) != (0, 0)`` that together carries every label is, once
each vector is normalised to sum 1, a Nash equilibrium. Starting from the artificial pair ``(0, 0)`` and
dropping label ``k``, complementary pivoting alternates between the two systems

    P:  B^T x + s = 1   (x_i has label i, s_j label m+j)        Q:  r + A y = 1   (r_i has label i, y_j label m+j)

entering, in one system, the variable whose label the previous pivot (in the other system) picked up, until
the variable that leaves carries label ``k``.

The leaving variable is chosen by the lexicographic minimum-ratio test on ``[B^-1 1 | B^-1]`` (ratio ties are
broken by the rows of ``B^-1``, slack columns in order). This is Lemke's perturbation ``1 + (eps, eps^2, ...)``
of the right-hand side: no basis repeats, so paths never cycle, degenerate games included.

Float mode keeps each system in revised form: a basis is the set ``J`` of basic structural variables and the
set ``N`` of rows whose slack is nonbasic (``|J| = |N| = k``), and ``B^-1`` is determined by
``W = M[N, J]^-1`` (``M = A`` or ``B^T``). A pivot updates ``W`` by a bordering, Sherman-Morrison or deletion
formula in ``O(rows k + k^2)`` instead of a dense tableau's ``O(rows cols)``; on random games ``k`` (about the
support size along the path) stays far below ``cols``. ``W`` is recomputed from the payoffs every
``_REFACTOR_EVERY`` pivots and at the end of a path, where the final basis' system is solved afresh. Ratio tests
use relative tolerances. When numba is installed the pivoting loop is compiled (the same code runs either way).

Exact mode (``rational=True``) scales the payoffs to integers (common denominator) and pivots on a dense integer
tableau with Bareiss' fraction-free update: every division is exact, the tableau holds ``det(B) B^-1 [G | 1]``.

``iterations`` in the result is the total number of pivots.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np

from equilibria.core.errors import GameError
from equilibria.core.rational import to_fraction_array
from equilibria.core.result import SolveResult
from equilibria.games.normal_form import NormalFormGame
from equilibria.solvers._common import Budget, deduplicate, nash_result, require_normal_form

try:  # optional: compiles the float pivoting loop (a sequential loop that NumPy cannot vectorise)
    import numba
except ImportError:  # pragma: no cover - depends on the environment
    numba = None

# Float mode tolerances. Payoffs are mapped into [1, 2], so the systems start at unit scale.
_PIVOT_TOL = 1e-10  # direction entries below this fraction of the largest one count as zero
_TIE_TOL = 1e-11  # ratios within this (relative, floor 1) of the minimum are ties for the lexicographic rule
_REFACTOR_EVERY = 100  # pivots between recomputations of W from the payoffs
_TIME_CHECK_EVERY = 256  # pivots between wall-clock checks when max_seconds is set

_DONE, _STOPPED, _STUCK = 0, 1, 2  # path status: reached an equilibrium / budget chunk used up / round-off


def _jit(function: Callable[..., Any]) -> Callable[..., Any]:
    return numba.njit(cache=True)(function) if numba is not None else function


# -- float mode: revised pivoting ---------------------------------------------------------------------------


class _Polytope(NamedTuple):
    """Float state of one system ``s + M z = 1`` (P: ``M = B^T``; Q: ``M = A``).

    Slack ``s_r`` has label ``state[1] + r`` and structural ``z_c`` label ``state[2] + c``. Arrays are updated in
    place; shapes use ``size = min(rows, cols)``, the largest possible ``k``.
    """

    matrix: np.ndarray  # [rows, cols], Fortran order so that entering columns are contiguous
    inverse: np.ndarray  # [size, size]: W = M[N, J]^-1 in the leading k x k block (rows follow J, columns N)
    basic_columns: np.ndarray  # [rows, size], Fortran order: M[:, J] in the leading k columns
    structurals: np.ndarray  # [size] int: J, in W's row order
    nonbasic_rows: np.ndarray  # [size] int: N, in W's column order
    row_position: np.ndarray  # [rows] int: each row's position in N, -1 while its slack is basic
    column_position: np.ndarray  # [cols] int: each column's position in J, -1 while it is nonbasic
    state: np.ndarray  # [4] int: k, slack label offset, structural label offset, pivots since refactorising


def _new_polytope(matrix: np.ndarray, slack_label: int, structural_label: int) -> _Polytope:
    """The system at its artificial vertex ``z = 0``: every slack basic (``k = 0``)."""
    rows, cols = matrix.shape
    size = min(rows, cols)
    return _Polytope(
        matrix=np.asfortranarray(matrix, dtype=float),
        inverse=np.zeros((size, size)),
        basic_columns=np.zeros((rows, size), order="F"),
        structurals=np.zeros(size, dtype=np.int64),
        nonbasic_rows=np.zeros(size, dtype=np.int64),
        row_position=np.full(rows, -1, dtype=np.int64),
        column_position=np.full(cols, -1, dtype=np.int64),
        state=np.array([0, slack_label, structural_label, 0], dtype=np.int64),
    )


# Four linear-algebra primitives on the leading blocks. NumPy calls when interpreted; when numba compiles the
# loop, plain loops (numba would copy the strided leading blocks before calling BLAS, at O(rows size) a pivot).
if numba is None:

    def _columns_times(poly: _Polytope, vector: np.ndarray) -> np.ndarray:
        """``M[:, J] @ vector``: ``[rows]``."""
        k = poly.state[0]
        return poly.basic_columns[:, :k] @ vector if k else np.zeros(poly.matrix.shape[0])

    def _inverse_times(poly: _Polytope, vector: np.ndarray) -> np.ndarray:
        """``W @ vector``: ``[k]``."""
        k = poly.state[0]
        return poly.inverse[:k, :k] @ vector  # type: ignore[no-any-return]

    def _row_times_inverse(poly: _Polytope, row: int) -> np.ndarray:
        """``M[row, J] @ W``: ``[k]``."""
        k = poly.state[0]
        return poly.basic_columns[row, :k] @ poly.inverse[:k, :k]  # type: ignore[no-any-return]

    def _add_outer(poly: _Polytope, left: np.ndarray, right: np.ndarray, scale: float) -> None:
        """``W += scale * outer(left, right)``."""
        k = poly.state[0]
        poly.inverse[:k, :k] += np.outer(left * scale, right)

else:

    @_jit
    def _columns_times(poly: _Polytope, vector: np.ndarray) -> np.ndarray:
        rows = poly.matrix.shape[0]
        out = np.zeros(rows)
        for c in range(poly.state[0]):
            for r in range(rows):
                out[r] += poly.basic_columns[r, c] * vector[c]
        return out

    @_jit
    def _inverse_times(poly: _Polytope, vector: np.ndarray) -> np.ndarray:
        k = poly.state[0]
        out = np.zeros(k)
        for r in range(k):
            total = 0.0
            for c in range(k):
                total += poly.inverse[r, c] * vector[c]
            out[r] = total
        return out

    @_jit
    def _row_times_inverse(poly: _Polytope, row: int) -> np.ndarray:
        k = poly.state[0]
        out = np.zeros(k)
        for r in range(k):
            weight = poly.basic_columns[row, r]
            for c in range(k):
                out[c] += weight * poly.inverse[r, c]
        return out

    @_jit
    def _add_outer(poly: _Polytope, left: np.ndarray, right: np.ndarray, scale: float) -> None:
        for r in range(poly.state[0]):
            weight = left[r] * scale
            for c in range(right.size):
                poly.inverse[r, c] += weight * right[c]


@_jit
def _basic_values(poly: _Polytope) -> tuple[np.ndarray, np.ndarray]:
    """``(z_J: [k], s: [rows])``, the vertex ``B^-1 1`` (nonbasic slacks are 0)."""
    k = poly.state[0]
    structural = _inverse_times(poly, np.ones(k))  # W 1
    slack = 1.0 - _columns_times(poly, structural)
    slack[poly.nonbasic_rows[:k]] = 0.0
    return structural, slack


@_jit
def _direction(poly: _Polytope, label: int) -> tuple[np.ndarray, np.ndarray]:
    """``B^-1`` times the entering variable's column: ``(structural part [k], slack part [rows])``."""
    k = poly.state[0]
    column = label - poly.state[2]
    if 0 <= column < poly.matrix.shape[1]:
        entering = poly.matrix[:, column]
        structural = _inverse_times(poly, entering[poly.nonbasic_rows[:k]])
        slack = entering - _columns_times(poly, structural)
    else:  # a nonbasic slack, whose column is a unit vector
        structural = poly.inverse[:k, poly.row_position[label - poly.state[1]]].copy()
        slack = -_columns_times(poly, structural)
    slack[poly.nonbasic_rows[:k]] = 0.0
    return structural, slack


@_jit
def _break_tie(poly: _Polytope, candidates: np.ndarray, direction: np.ndarray) -> int:
    """Lexicographic rule among ``candidates`` (positions in ``[J, rows]``) with equal ratios.

    Compares the candidates' rows of ``B^-1`` divided by ``direction``, column after column (slacks in row order).
    """
    k = poly.state[0]
    for row in range(poly.matrix.shape[0]):
        position = poly.row_position[row]
        if position < 0:
            # A basic slack's column of B^-1 is a unit vector: only that slack's own entry has a positive ratio.
            candidates = candidates[candidates != k + row]
        else:
            structural = poly.inverse[:k, position].copy()
            key = np.concatenate((structural, -_columns_times(poly, structural)))
            ratios = key[candidates] / direction[candidates]
            best = ratios.min()
            candidates = candidates[ratios <= best + _TIE_TOL * max(1.0, np.abs(ratios).max())]
        if candidates.size == 1:
            break
    return int(candidates[0])  # in exact arithmetic exactly one is left: B^-1 has full rank


@_jit
def _leaving_index(poly: _Polytope, values: np.ndarray, direction: np.ndarray) -> int:
    """Lexicographic minimum-ratio test: the leaving position in ``[J, rows]`` (-1 when none is positive)."""
    top = direction.max()
    if not top > 0.0:
        return -1  # cannot happen in exact arithmetic: P and Q are bounded
    candidates = np.flatnonzero(direction > _PIVOT_TOL * top)
    ratios = values[candidates] / direction[candidates]
    best_index = np.argmin(ratios)
    best = ratios[best_index]
    tied = ratios <= best + _TIE_TOL * max(1.0, abs(best))
    if np.count_nonzero(tied) == 1:
        return int(candidates[best_index])
    return _break_tie(poly, candidates[tied], direction)


@_jit
def _border(poly: _Polytope, row: int, column: int, structural: np.ndarray, pivot: float) -> None:
    """``z_column`` enters, the slack of ``row`` leaves: ``M[N, J]`` grows by that row and column."""
    k = poly.state[0]
    inverse = poly.inverse
    row_times_inverse = _row_times_inverse(poly, row)
    _add_outer(poly, structural, row_times_inverse, 1.0 / pivot)
    inverse[:k, k] = -structural / pivot
    inverse[k, :k] = -row_times_inverse / pivot
    inverse[k, k] = 1.0 / pivot
    poly.basic_columns[:, k] = poly.matrix[:, column]
    poly.structurals[k], poly.nonbasic_rows[k] = column, row
    poly.column_position[column], poly.row_position[row] = k, k
    poly.state[0] = k + 1


@_jit
def _replace_column(poly: _Polytope, position: int, column: int, structural: np.ndarray) -> None:
    """``z_column`` enters, the structural at ``position`` of J leaves (Sherman-Morrison on a column)."""
    k = poly.state[0]
    inverse = poly.inverse
    pivot_row = inverse[position, :k].copy()
    change = structural.copy()
    change[position] -= 1.0
    _add_outer(poly, change, pivot_row, -1.0 / structural[position])
    poly.basic_columns[:, position] = poly.matrix[:, column]
    poly.column_position[poly.structurals[position]] = -1
    poly.structurals[position] = column
    poly.column_position[column] = position


@_jit
def _replace_row(poly: _Polytope, position: int, row: int) -> None:
    """The slack at ``position`` of N enters, the slack of ``row`` leaves (Sherman-Morrison on a row)."""
    k = poly.state[0]
    inverse = poly.inverse
    row_times_inverse = _row_times_inverse(poly, row)
    pivot = row_times_inverse[position]
    pivot_column = inverse[:k, position].copy()
    row_times_inverse[position] -= 1.0
    _add_outer(poly, pivot_column, row_times_inverse, -1.0 / pivot)
    poly.row_position[poly.nonbasic_rows[position]] = -1
    poly.nonbasic_rows[position] = row
    poly.row_position[row] = position


@_jit
def _remove(poly: _Polytope, position: int, row_position: int) -> None:
    """The slack at ``row_position`` of N enters, the structural at ``position`` of J leaves: both go."""
    k = poly.state[0]
    inverse = poly.inverse
    pivot = inverse[position, row_position]
    _add_outer(poly, inverse[:k, row_position].copy(), inverse[position, :k].copy(), -1.0 / pivot)
    # Delete by moving the last row and column of W (and the matching J, N entries) into the freed slots.
    inverse[position, :k] = inverse[k - 1, :k]
    inverse[:k, row_position] = inverse[:k, k - 1]
    poly.basic_columns[:, position] = poly.basic_columns[:, k - 1]
    poly.column_position[poly.structurals[position]] = -1
    poly.row_position[poly.nonbasic_rows[row_position]] = -1
    last_column, last_row = poly.structurals[k - 1], poly.nonbasic_rows[k - 1]
    if position < k - 1:
        poly.structurals[position] = last_column
        poly.column_position[last_column] = position
    if row_position < k - 1:
        poly.nonbasic_rows[row_position] = last_row
        poly.row_position[last_row] = row_position
    poly.state[0] = k - 1


@_jit
def _refactorise(poly: _Polytope) -> None:
    """Recompute ``W = M[N, J]^-1`` from the payoffs, so that round-off cannot build up along long paths."""
    k = poly.state[0]
    poly.state[3] = 0
    if k == 0:
        return
    block = np.ascontiguousarray(poly.basic_columns[poly.nonbasic_rows[:k], :k])
    try:
        poly.inverse[:k, :k] = np.linalg.inv(block)
    except Exception:  # noqa: BLE001 - numba raises a plain exception for singular matrices
        pass  # keep the updated inverse (a basis is never singular in exact arithmetic)


@_jit
def _enter(poly: _Polytope, label: int) -> int:
    """Pivot the variable with ``label`` into the basis; returns the leaving variable's label (-1: no pivot)."""
    structural, slack = _direction(poly, label)
    basic_structural, basic_slack = _basic_values(poly)
    values = np.concatenate((basic_structural, basic_slack))
    index = _leaving_index(poly, values, np.concatenate((structural, slack)))
    if index < 0:
        return -1
    k, slack_label, structural_label = poly.state[0], poly.state[1], poly.state[2]
    column = label - structural_label
    entering_structural = 0 <= column < poly.matrix.shape[1]
    if index < k:
        leaving = structural_label + poly.structurals[index]
        if entering_structural:
            _replace_column(poly, index, column, structural)
        else:
            _remove(poly, index, poly.row_position[label - slack_label])
    else:
        row = index - k
        leaving = slack_label + row
        if entering_structural:
            _border(poly, row, column, structural, slack[row])
        else:
            _replace_row(poly, poly.row_position[label - slack_label], row)
    poly.state[3] += 1
    if poly.state[3] >= _REFACTOR_EVERY:
        _refactorise(poly)
    return int(leaving)


@_jit
def _walk(p: _Polytope, q: _Polytope, walk: np.ndarray, label: int, max_pivots: int) -> int:
    """Up to ``max_pivots`` pivots of the path dropping ``label``; ``walk = [entering label, 0 (P) / 1 (Q), pivots]``.

    Returns ``_DONE``, ``_STOPPED`` (``max_pivots`` used up, resumable) or ``_STUCK`` (round-off: no pivot row).
    """
    for _ in range(max_pivots):
        leaving = _enter(p if walk[1] == 0 else q, walk[0])
        if leaving < 0:
            return _STUCK
        walk[2] += 1
        if leaving == label:
            return _DONE
        # The label just picked up is now carried twice: drop it in the other system.
        walk[0], walk[1] = leaving, 1 - walk[1]
    return _STOPPED


def _float_path(p: _Polytope, q: _Polytope, m: int, label: int, budget: Budget, spent: int) -> tuple[str, int]:
    """Run the path in chunks so that the budget is checked; returns ``(status, pivots)``."""
    walk = np.array([label, 0 if label < m else 1, 0], dtype=np.int64)
    chunk = _TIME_CHECK_EVERY if budget.max_seconds is not None else 2**62
    while True:
        if budget.exhausted(spent + int(walk[2])):
            return "budget", int(walk[2])
        allowed = chunk
        if budget.max_iterations is not None:
            allowed = min(chunk, budget.max_iterations - spent - int(walk[2]))
        with warnings.catch_warnings():
            # numba notes at compile time that '@' on W's leading block (a strided view) is not contiguous.
            warnings.filterwarnings("ignore", message=".*contiguous.*")
            status = _walk(p, q, walk, label, allowed)
        if status == _DONE:
            return "done", int(walk[2])
        if status == _STUCK:
            return "numerical", int(walk[2])


def _float_solution(poly: _Polytope) -> np.ndarray:
    """``[cols]``: the structural part of the final vertex, from the final basis' system solved afresh."""
    _refactorise(poly)
    structural, _ = _basic_values(poly)
    z = np.zeros(poly.matrix.shape[1])
    z[poly.structurals[: poly.state[0]]] = structural
    return np.maximum(z, 0.0)


# -- exact mode: fraction-free integer tableau ------------------------------------------------------------


class _IntegerTableau:
    """One system ``G z = 1`` as a dense compact integer tableau, its variables indexed by their labels.

    ``values: [rows, nonbasic + 1]`` (object array of Python ints) holds ``det B^-1 [G_N | 1]`` with
    ``det = |det B| > 0``. Each entry is a minor of ``[G | 1]``, so Bareiss' update divides exactly. The
    slacks start basic; their columns, in that order, are the columns of ``det B^-1`` that break ratio ties.
    """

    def __init__(self, values: np.ndarray, basic: Sequence[int], nonbasic: Sequence[int]) -> None:
        self.values = values
        self.det = 1
        self.basic = list(basic)
        self.nonbasic = list(nonbasic)
        self.slacks = list(basic)
        n_labels = len(self.basic) + len(self.nonbasic)
        self.row_of = [-1] * n_labels
        self.col_of = [-1] * n_labels
        for row, label in enumerate(self.basic):
            self.row_of[label] = row
        for col, label in enumerate(self.nonbasic):
            self.col_of[label] = col

    def enter(self, label: int) -> int:
        """Pivot the variable with ``label`` into the basis; returns the leaving variable's label."""
        col = self.col_of[label]
        column = self.values[:, col]
        rows = [r for r in range(len(column)) if column[r] > 0]  # never empty: P and Q are bounded
        rows = self._narrow(rows, self.values.shape[1] - 1, col)
        row = rows[0] if len(rows) == 1 else self._break_tie(rows, col)
        leaving = self.basic[row]
        self._pivot(row, col)
        self.basic[row], self.nonbasic[col] = label, leaving
        self.row_of[label], self.col_of[label] = row, -1
        self.row_of[leaving], self.col_of[leaving] = -1, col
        return leaving

    def _break_tie(self, rows: list[int], col: int) -> int:
        """Among ``rows`` (equal ratios), the lexicographically smallest row of ``B^-1`` over the pivot column."""
        for slack in self.slacks:
            basic_row = self.row_of[slack]
            if basic_row >= 0:
                # A basic slack's column of B^-1 is a unit vector: only its own row has a positive ratio.
                rows = [r for r in rows if r != basic_row]
            else:
                rows = self._narrow(rows, self.col_of[slack], col)
            if len(rows) == 1:
                break
        return rows[0]  # exactly one is left: B^-1 has full rank

    def _narrow(self, rows: list[int], key: int, col: int) -> list[int]:
        """The rows with the smallest ratio ``values[row, key] / values[row, col]``."""
        ratios = [Fraction(int(self.values[r, key]), int(self.values[r, col])) for r in rows]
        best = min(ratios)
        return [r for r, ratio in zip(rows, ratios, strict=True) if ratio == best]

    def _pivot(self, row: int, col: int) -> None:
        values = self.values
        pivot = values[row, col]
        column = values[:, col].copy()
        pivot_row = values[row].copy()
        updated = (values * pivot - np.outer(column, pivot_row)) // self.det  # exact (Bareiss)
        updated[row] = pivot_row
        # The leaving variable takes over the entering one's column: its column det e_row, transformed.
        updated[:, col] = -column
        updated[row, col] = self.det
        self.values = updated
        self.det = pivot

    def structural_solution(self, labels: range) -> np.ndarray:
        """The normalised values of the variables with ``labels`` (Fractions summing to 1)."""
        values = [0] * len(labels)
        for row, label in enumerate(self.basic):
            if label in labels:
                values[label - labels.start] = int(self.values[row, -1])
        total = sum(values)
        return np.array([Fraction(v, total) for v in values], dtype=object)


def _integer_path(p: _IntegerTableau, q: _IntegerTableau, m: int, label: int, budget: Budget,
                  spent: int) -> tuple[str, int]:
    """Complementary pivoting dropping ``label``; returns ``(status, pivots)``."""
    tableau, other = (p, q) if label < m else (q, p)
    entering, pivots = label, 0
    while True:
        if budget.exhausted(spent + pivots):
            return "budget", pivots
        leaving = tableau.enter(entering)
        pivots += 1
        if leaving == label:
            return "done", pivots
        entering, tableau, other = leaving, other, tableau


def _positive_integers(matrix: np.ndarray) -> np.ndarray:
    """``matrix`` as exact fractions, scaled by their common denominator and shifted to minimum 1 (ints)."""
    exact = to_fraction_array(matrix)
    shifted = exact - min(exact.flat)
    scale = math.lcm(*(value.denominator for value in shifted.flat))
    out = np.empty(matrix.shape, dtype=object)
    for index, value in np.ndenumerate(shifted):
        out[index] = int(value * scale) + 1
    return out


# -- driver -------------------------------------------------------------------------------------------------


def _positive_floats(matrix: np.ndarray) -> np.ndarray:
    """``matrix`` mapped affinely into ``[1, 2]`` (all ones when it is constant)."""
    low, high = float(matrix.min()), float(matrix.max())
    if high == low:
        return np.ones(matrix.shape)
    return 1.0 + (matrix - low) / (high - low)


def _one_path(game: NormalFormGame, label: int, rational: bool, budget: Budget, spent: int
              ) -> tuple[str, int, tuple[np.ndarray, np.ndarray] | None]:
    """Follow the path that drops ``label``: ``(status, pivots, equilibrium or None)``."""
    a, b = game.payoff_matrices()
    m, n = a.shape
    if rational:
        a_int, b_int = _positive_integers(a), _positive_integers(b)
        p_values, q_values = np.empty((n, m + 1), dtype=object), np.empty((m, n + 1), dtype=object)
        p_values[:, :m], p_values[:, m] = b_int.T, 1
        q_values[:, :n], q_values[:, n] = a_int, 1
        x_labels, y_labels = range(m), range(m, m + n)
        p, q = _IntegerTableau(p_values, y_labels, x_labels), _IntegerTableau(q_values, x_labels, y_labels)
        status, pivots = _integer_path(p, q, m, label, budget, spent)
        if status != "done":
            return status, pivots, None
        return status, pivots, (p.structural_solution(x_labels), q.structural_solution(y_labels))
    p_float = _new_polytope(_positive_floats(b).T, slack_label=m, structural_label=0)
    q_float = _new_polytope(_positive_floats(a), slack_label=0, structural_label=m)
    status, pivots = _float_path(p_float, q_float, m, label, budget, spent)
    if status != "done":
        return status, pivots, None
    x, y = _float_solution(p_float), _float_solution(q_float)
    if not (x.sum() > 0 and y.sum() > 0):
        return "numerical", pivots, None
    return status, pivots, (x / x.sum(), y / y.sum())


def _check_label(label: Any, n_labels: int, caller: str) -> int:
    if isinstance(label, bool) or not isinstance(label, int | np.integer) or not 0 <= label < n_labels:
        raise GameError(f"{caller}: initial_label must be an integer in range({n_labels}), got {label!r}")
    return int(label)


def _check_budget(max_iterations: Any, max_seconds: Any, caller: str) -> None:
    if max_iterations is not None and (
        isinstance(max_iterations, bool) or not isinstance(max_iterations, int | np.integer) or max_iterations < 1
    ):
        raise GameError(f"{caller}: max_iterations must be a positive integer, got {max_iterations!r}")
    if max_seconds is not None and (
        isinstance(max_seconds, bool) or not isinstance(max_seconds, int | float) or not max_seconds > 0
    ):
        raise GameError(f"{caller}: max_seconds must be a positive number, got {max_seconds!r}")


def lemke_howson_solve(
    game: Any,
    *,
    initial_label: int | None = 0,
    all_labels: bool = False,
    rational: bool = False,
    max_iterations: int | None = None,
    max_seconds: float | None = None,
) -> SolveResult:
    """One Nash equilibrium of a bimatrix game per Lemke-Howson path (lexicographic pivoting, never cycles).

    Args:
      game: a two-player NormalFormGame with ``m`` row and ``n`` column actions.
      initial_label: the label dropped at the start, in ``range(m + n)``: ``i < m`` is the row player's action
        ``i``, ``m + j`` the column player's action ``j``. Ignored with ``all_labels`` (None allowed only then).
      all_labels: follow the path from every label (``m + n`` paths) and return the distinct equilibria found.
      rational: exact integer pivoting; profiles are Fractions and certificates exact.
      max_iterations: budget on the total number of pivots.
      max_seconds: wall-clock budget.

    Returns:
      A SolveResult (method ``"lemke_howson"``, ``iterations`` = total pivots, profiles ``(x: [m], y: [n])``).
      When the budget runs out the path in progress is abandoned: the equilibria of the paths already completed
      are returned, with ``converged=False``.
    """
    caller = "lemke_howson_solve"
    game = require_normal_form(game, f"{caller}(game)", players=2)
    m, n = game.n_actions
    if all_labels:
        if initial_label is not None:
            _check_label(initial_label, m + n, caller)
        labels = list(range(m + n))
    elif initial_label is None:
        raise GameError(f"{caller}: initial_label=None needs all_labels=True; give a label in range({m + n})")
    else:
        labels = [_check_label(initial_label, m + n, caller)]
    _check_budget(max_iterations, max_seconds, caller)
    budget = Budget(max_iterations=max_iterations, max_seconds=max_seconds)
    found: list[tuple[np.ndarray, np.ndarray]] = []
    pivots, converged = 0, True
    for label in labels:
        status, used, profile = _one_path(game, label, rational, budget, pivots)
        pivots += used
        if profile is not None:
            found.append(profile)
            continue
        converged = False
        if status == "budget":
            break
    parameters = {"initial_label": initial_label, "all_labels": all_labels, "rational": rational,
                  "max_iterations": max_iterations, "max_seconds": max_seconds}
    return nash_result(game, "lemke_howson", deduplicate(found), parameters=parameters, iterations=pivots,
                       budget=budget, converged=converged, rational=rational)


def lemke_howson_path_length(game: Any, initial_label: int, *, rational: bool = False) -> int:
    """The number of pivots of the Lemke-Howson path that drops ``initial_label`` (as in lemke_howson_solve).

    Raises:
      GameError: not a two-player game, or a label outside ``range(m + n)``.
      ArithmeticError: float round-off stopped the path (use ``rational=True``).
    """
    caller = "lemke_howson_path_length"
    game = require_normal_form(game, f"{caller}(game)", players=2)
    label = _check_label(initial_label, sum(game.n_actions), caller)
    status, pivots, _ = _one_path(game, label, rational, Budget(), 0)
    if status != "done":
        raise ArithmeticError(f"{caller}: float round-off stopped the path after {pivots} pivots; use rational=True")
    return pivots
