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

Float mode has two engines computing the same path. Games with at most ``_DENSE_MAX_ENTRIES`` payoff entries use
the classical dense compact tableau ``B^-1 [G_N | 1]`` (Gauss-Jordan pivots, ``O(rows cols)`` each). Larger games
use a revised form: a basis is the set ``J`` of basic structural variables and the set ``N`` of rows whose slack
is nonbasic (``|J| = |N| = k``), ``B^-1`` is determined by ``W = M[N, J]^-1`` (``M = A`` or ``B^T``), and a pivot
updates ``W`` by a bordering, Sherman-Morrison or deletion formula in ``O(rows k + k^2)``; on random games ``k``
(about the support size along the path) stays far below ``cols``, while the paths run to thousands or millions of
pivots. ``W`` is recomputed from the payoffs every ``_REFACTOR_EVERY`` pivots. Ratio tests use relative
tolerances. At the end the vertex is re-solved from its basis if it visibly misses its system. On badly
conditioned games (e.g. Savani and von Stengel's, from ``d = 10``) round-off can make a float path leave the exact
one; when it then leaves no pivot row, cycles (detected by hashing the bases, Brent's method) or ends at a vertex
that misses its system by more than ``_VERTEX_TOL``, that path is followed again in exact arithmetic (otherwise
its end is an equilibrium up to round-off, as its certificate shows). When numba is installed the pivoting loop is
compiled (an interpreted loop costs tens of microseconds a pivot); the few hot primitives then run as loops
instead of NumPy calls, computing the same numbers.

Exact mode (``rational=True``) scales the payoffs to integers (common denominator) and pivots on a dense integer
tableau with Bareiss' fraction-free update: every division is exact, the tableau holds ``det(B) B^-1 [G | 1]``.

``iterations`` in the result is the total number of pivots.
"""

from __future__ import annotations

import contextlib
import math
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
    numba = None  # type: ignore[assignment]

# Float mode tolerances. Payoffs are mapped into [1, 2], so the systems start at unit scale.
_PIVOT_TOL = 1e-10  # direction entries below this fraction of the largest one count as zero
_TIE_TOL = 1e-11  # ratios within this (relative, floor 1) of the minimum are ties for the lexicographic rule
_REFACTOR_EVERY = 100  # pivots between recomputations of W from the payoffs
_TIME_CHECK_EVERY = 256  # pivots between wall-clock checks when max_seconds is set
_DENSE_MAX_ENTRIES = 128 * 128  # games with at most this many payoff entries use the dense tableau
_POLISH_TOL = 1e-12  # a final vertex that misses its system by more is also recomputed from its basis
_VERTEX_TOL = 1e-10  # a final vertex that misses its system by more was spoilt by round-off (exact fallback)

# Path status: reached an equilibrium / budget chunk used up / round-off left no pivot row or made the path cycle /
# W is due for recomputation.
_DONE, _STOPPED, _STUCK, _REFACTOR = 0, 1, 2, 3


def _jit(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` compiled by numba (cached on disk) when numba is installed, else unchanged."""
    if numba is None:
        return function
    try:
        return numba.njit(cache=True)(function)
    except RuntimeError:  # no writable cache directory: compile in memory instead
        return numba.njit(function)


# -- float mode: revised pivoting ---------------------------------------------------------------------------


class _Polytope(NamedTuple):
    """Float state of one system ``s + M z = 1`` (P: ``M = B^T``; Q: ``M = A``), updated in place.

    Slack ``s_r`` has label ``state[1] + r``, structural ``z_c`` label ``state[2] + c``; ``size = min(rows, cols)``
    bounds ``k``. Every array the pivots multiply is kept C-contiguous, so BLAS runs on it without copies.
    """

    columns: np.ndarray  # [cols, rows]: M^T, so that each column of M is a contiguous row
    inverse: np.ndarray  # [size * size]: W = M[N, J]^-1, its k x k block stored first (rows follow J, columns N)
    basic_columns: np.ndarray  # [size, rows]: M[:, J]^T in the leading k rows
    structurals: np.ndarray  # [size] int: J, in W's row order
    nonbasic_rows: np.ndarray  # [size] int: N, in W's column order
    row_position: np.ndarray  # [rows] int: each row's position in N, -1 while its slack is basic
    column_position: np.ndarray  # [cols] int: each column's position in J, -1 while it is nonbasic
    structural_values: np.ndarray  # [cols]: the vertex's z (0 off J), moved along with each pivot
    slack_values: np.ndarray  # [rows]: the vertex's s (0 on N)
    state: np.ndarray  # [4] int: k, slack label offset, structural label offset, pivots since refactorising


def _new_polytope(matrix: np.ndarray, slack_label: int, structural_label: int) -> _Polytope:
    """The system at its artificial vertex ``z = 0``: every slack basic (``k = 0``)."""
    rows, cols = matrix.shape
    size = min(rows, cols)
    return _Polytope(
        columns=np.ascontiguousarray(matrix.T, dtype=float),
        inverse=np.zeros(size * size),
        basic_columns=np.zeros((size, rows)),
        structurals=np.zeros(size, dtype=np.int64),
        nonbasic_rows=np.zeros(size, dtype=np.int64),
        row_position=np.full(rows, -1, dtype=np.int64),
        column_position=np.full(cols, -1, dtype=np.int64),
        structural_values=np.zeros(cols),
        slack_values=np.ones(rows),
        state=np.array([0, slack_label, structural_label, 0], dtype=np.int64),
    )


@_jit
def _inverse(poly: _Polytope, k: int) -> np.ndarray:
    """``W`` as a ``[k, k]`` view."""
    return poly.inverse[: k * k].reshape((k, k))


# The hot primitives come in two versions computing the same numbers: NumPy calls for the interpreted loop, and
# plain loops for numba (faster there than BLAS calls on the small blocks, and free of temporary arrays).


def _inverse_times_numpy(poly: _Polytope, vector: np.ndarray) -> np.ndarray:
    """``W @ vector``: ``[k]``."""
    k = poly.state[0]
    return _inverse(poly, k) @ vector if k > 0 else np.zeros(0)


def _columns_times_numpy(poly: _Polytope, vector: np.ndarray) -> np.ndarray:
    """``M[:, J] @ vector``: ``[rows]``."""
    k = poly.state[0]
    return vector @ poly.basic_columns[:k] if k > 0 else np.zeros(poly.columns.shape[1])


def _row_times_inverse_numpy(poly: _Polytope, row: int) -> np.ndarray:
    """``M[row, J] @ W``: ``[k]``."""
    k = poly.state[0]
    return poly.basic_columns[:k, row] @ _inverse(poly, k) if k > 0 else np.zeros(0)


def _min_ratio_numpy(values: np.ndarray, direction: np.ndarray) -> tuple[int, np.ndarray]:
    """Minimum-ratio test over entries with ``direction > _PIVOT_TOL * max(direction)``.

    Returns ``(index, tied)``: the first minimising index (-1 when no entry is positive) and, when several ratios
    tie within ``_TIE_TOL``, their indices (else an empty array).
    """
    top = direction.max()
    if not top > 0.0:
        return -1, np.zeros(0, dtype=np.int64)
    ratios = np.where(direction > _PIVOT_TOL * top, values / direction, np.inf)
    best_index = int(np.argmin(ratios))
    best = ratios[best_index]
    tied = np.flatnonzero(ratios <= best + _TIE_TOL * max(1.0, abs(best)))
    return best_index, tied if tied.size > 1 else np.zeros(0, dtype=np.int64)


def _inverse_times_loops(poly: _Polytope, vector: np.ndarray) -> np.ndarray:
    k = poly.state[0]
    inverse = _inverse(poly, k)
    out = np.zeros(k)
    for r in range(k):
        total = 0.0
        for c in range(k):
            total += inverse[r, c] * vector[c]
        out[r] = total
    return out


def _columns_times_loops(poly: _Polytope, vector: np.ndarray) -> np.ndarray:
    rows = poly.columns.shape[1]
    out = np.zeros(rows)
    for c in range(poly.state[0]):
        weight, column = vector[c], poly.basic_columns[c]
        for r in range(rows):
            out[r] += weight * column[r]
    return out


def _row_times_inverse_loops(poly: _Polytope, row: int) -> np.ndarray:
    k = poly.state[0]
    inverse = _inverse(poly, k)
    out = np.zeros(k)
    for r in range(k):
        weight = poly.basic_columns[r, row]
        for c in range(k):
            out[c] += weight * inverse[r, c]
    return out


def _min_ratio_loops(values: np.ndarray, direction: np.ndarray) -> tuple[int, np.ndarray]:
    top = 0.0
    for d in direction:
        top = max(top, d)
    if not top > 0.0:
        return -1, np.zeros(0, dtype=np.int64)
    threshold = _PIVOT_TOL * top
    best, best_index = np.inf, -1
    for i in range(direction.size):
        if direction[i] > threshold and values[i] / direction[i] < best:
            best, best_index = values[i] / direction[i], i
    limit = best + _TIE_TOL * max(1.0, abs(best))
    count = 0
    for i in range(direction.size):
        if direction[i] > threshold and values[i] / direction[i] <= limit:
            count += 1
    tied = np.zeros(count if count > 1 else 0, dtype=np.int64)
    if count > 1:
        count = 0
        for i in range(direction.size):
            if direction[i] > threshold and values[i] / direction[i] <= limit:
                tied[count] = i
                count += 1
    return best_index, tied


if numba is None:
    _inverse_times, _columns_times = _inverse_times_numpy, _columns_times_numpy
    _row_times_inverse, _min_ratio = _row_times_inverse_numpy, _min_ratio_numpy
else:
    _inverse_times, _columns_times = _jit(_inverse_times_loops), _jit(_columns_times_loops)
    _row_times_inverse, _min_ratio = _jit(_row_times_inverse_loops), _jit(_min_ratio_loops)


@_jit
def _recompute_values(poly: _Polytope) -> None:
    """Set the vertex ``B^-1 1`` afresh from ``W``: ``z_J = W 1``, ``s = 1 - M[:, J] z_J`` (0 on N)."""
    k = poly.state[0]
    structural = _inverse(poly, k).sum(axis=1)
    poly.structural_values[:] = 0.0
    poly.structural_values[poly.structurals[:k]] = structural
    poly.slack_values[:] = 1.0 - _columns_times(poly, structural)
    poly.slack_values[poly.nonbasic_rows[:k]] = 0.0


@_jit
def _direction(poly: _Polytope, label: int) -> tuple[np.ndarray, np.ndarray]:
    """``B^-1`` times the entering variable's column: ``(structural part [k], slack part [rows])``."""
    k = poly.state[0]
    column = label - poly.state[2]
    if 0 <= column < poly.columns.shape[0]:
        entering = poly.columns[column]
        structural = _inverse_times(poly, entering[poly.nonbasic_rows[:k]])
        slack = entering - _columns_times(poly, structural)
    else:  # a nonbasic slack, whose column is a unit vector
        structural = _inverse(poly, k)[:, poly.row_position[label - poly.state[1]]].copy()
        slack = -_columns_times(poly, structural)
    slack[poly.nonbasic_rows[:k]] = 0.0
    return structural, slack


@_jit
def _ratio_ties(candidates: np.ndarray, ratios: np.ndarray) -> np.ndarray:
    """The candidates whose ratio ties the minimum (relative tolerance): one round of the lexicographic test."""
    best = ratios.min()
    return candidates[ratios <= best + _TIE_TOL * max(1.0, np.abs(ratios).max())]


@_jit
def _break_tie(poly: _Polytope, candidates: np.ndarray, direction: np.ndarray) -> int:
    """Lexicographic rule among ``candidates`` (positions in ``[J, rows]``) with equal ratios.

    Compares the candidates' rows of ``B^-1`` divided by ``direction``, column after column (slacks in row order).
    """
    k = poly.state[0]
    for row in range(poly.columns.shape[1]):
        position = poly.row_position[row]
        if position < 0:
            # A basic slack's column of B^-1 is a unit vector: only that slack's own entry has a positive ratio.
            candidates = candidates[candidates != k + row]
        else:
            structural = _inverse(poly, k)[:, position].copy()
            key = np.concatenate((structural, -_columns_times(poly, structural)))
            candidates = _ratio_ties(candidates, key[candidates] / direction[candidates])
        if candidates.size == 1:
            break
    return int(candidates[0])  # in exact arithmetic exactly one is left: B^-1 has full rank


@_jit
def _leaving_index(poly: _Polytope, values: np.ndarray, direction: np.ndarray) -> int:
    """Lexicographic minimum-ratio test: the leaving position in ``[J, rows]``.

    -1 when no direction entry is positive, which cannot happen in exact arithmetic (P and Q are bounded).
    """
    best_index, tied = _min_ratio(values, direction)
    return best_index if tied.size == 0 else _break_tie(poly, tied, direction)


@_jit
def _border(poly: _Polytope, row: int, column: int, structural: np.ndarray, pivot: float) -> None:
    """``z_column`` enters, the slack of ``row`` leaves: ``M[N, J]`` grows by that row and column."""
    k = poly.state[0]
    row_times_inverse = _row_times_inverse(poly, row)
    old = _inverse(poly, k).copy()
    grown = _inverse(poly, k + 1)  # the same storage, re-read as (k + 1) x (k + 1)
    grown[:k, :k] = old + np.outer(structural / pivot, row_times_inverse)
    grown[:k, k] = -structural / pivot
    grown[k, :k] = -row_times_inverse / pivot
    grown[k, k] = 1.0 / pivot
    poly.basic_columns[k] = poly.columns[column]
    poly.structurals[k], poly.nonbasic_rows[k] = column, row
    poly.column_position[column], poly.row_position[row] = k, k
    poly.state[0] = k + 1


@_jit
def _replace_column(poly: _Polytope, position: int, column: int, structural: np.ndarray) -> None:
    """``z_column`` enters, the structural at ``position`` of J leaves (Sherman-Morrison on a column)."""
    inverse = _inverse(poly, poly.state[0])
    change = structural / structural[position]
    change[position] -= 1.0 / structural[position]
    inverse -= np.outer(change, inverse[position].copy())
    poly.basic_columns[position] = poly.columns[column]
    poly.column_position[poly.structurals[position]] = -1
    poly.structurals[position] = column
    poly.column_position[column] = position


@_jit
def _replace_row(poly: _Polytope, position: int, row: int) -> None:
    """The slack at ``position`` of N enters, the slack of ``row`` leaves (Sherman-Morrison on a row)."""
    inverse = _inverse(poly, poly.state[0])
    change = _row_times_inverse(poly, row)
    pivot = change[position]
    change[position] -= 1.0
    inverse -= np.outer(inverse[:, position] / pivot, change)
    poly.row_position[poly.nonbasic_rows[position]] = -1
    poly.nonbasic_rows[position] = row
    poly.row_position[row] = position


@_jit
def _remove(poly: _Polytope, position: int, row_position: int) -> None:
    """The slack at ``row_position`` of N enters, the structural at ``position`` of J leaves: both go."""
    k = poly.state[0]
    inverse = _inverse(poly, k)
    shrunk = inverse - np.outer(inverse[:, row_position] / inverse[position, row_position], inverse[position])
    # Delete by moving the last row and column of W (and the matching J, N entries) into the freed slots.
    shrunk[position] = shrunk[k - 1]
    shrunk[:, row_position] = shrunk[:, k - 1]
    _inverse(poly, k - 1)[:, :] = shrunk[: k - 1, : k - 1]
    poly.basic_columns[position] = poly.basic_columns[k - 1]
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


def _refactorise(poly: _Polytope) -> None:
    """Recompute ``W = M[N, J]^-1`` from the payoffs, so that round-off cannot build up along long paths.

    Runs interpreted (the compiled walk returns to Python for it every ``_REFACTOR_EVERY`` pivots), which keeps
    LAPACK out of the compiled code.
    """
    k = int(poly.state[0])
    poly.state[3] = 0
    if k == 0:
        return
    block = poly.basic_columns[:k][:, poly.nonbasic_rows[:k]].T  # M[N, J]
    try:
        inverse = np.linalg.inv(block)
    except np.linalg.LinAlgError:
        return  # keep the updated inverse (a basis is never singular in exact arithmetic)
    poly.inverse[: k * k] = inverse.ravel()
    _recompute_values(poly)


@_jit
def _enter(poly: _Polytope, label: int) -> int:
    """Pivot the variable with ``label`` into the basis; returns the leaving variable's label (-1: no pivot)."""
    structural, slack = _direction(poly, label)
    k, slack_label, structural_label = poly.state[0], poly.state[1], poly.state[2]
    basis = poly.structurals[:k]
    values = np.concatenate((poly.structural_values[basis], poly.slack_values))
    direction = np.concatenate((structural, slack))
    index = _leaving_index(poly, values, direction)
    if index < 0:
        return -1
    # Move along the edge by the minimum ratio: the leaving variable drops to 0, the entering one rises to step.
    step = max(values[index] / direction[index], 0.0)
    poly.structural_values[basis] = poly.structural_values[basis] - step * structural
    poly.slack_values[:] = poly.slack_values - step * slack
    column = label - structural_label
    entering_structural = 0 <= column < poly.columns.shape[0]
    if entering_structural:
        poly.structural_values[column] = step
    else:
        poly.slack_values[label - slack_label] = step
    if index < k:
        leaving = structural_label + poly.structurals[index]
        poly.structural_values[poly.structurals[index]] = 0.0
        if entering_structural:
            _replace_column(poly, index, column, structural)
        else:
            _remove(poly, index, poly.row_position[label - slack_label])
    else:
        row = index - k
        leaving = slack_label + row
        poly.slack_values[row] = 0.0
        if entering_structural:
            _border(poly, row, column, structural, slack[row])
        else:
            _replace_row(poly, poly.row_position[label - slack_label], row)
    poly.state[3] += 1
    return int(leaving)


# -- float mode: dense compact tableau (small games) ---------------------------------------------------------


class _Tableau(NamedTuple):
    """Float dense compact tableau of one system ``s + M z = 1``, its variables indexed by their labels.

    ``values: [rows, cols + 1]`` holds ``B^-1 [G_N | 1]``: the nonbasic variables' columns and, last, the basic
    variables' values. Gauss-Jordan pivoting on it (the classical implementation) costs ``O(rows cols)`` a pivot
    and stays on the exact path longer than the revised form on badly conditioned games.
    """

    values: np.ndarray  # [rows, cols + 1]
    basic: np.ndarray  # [rows] int: the label of each row's basic variable
    nonbasic: np.ndarray  # [cols] int: the label of each column's nonbasic variable
    row_of: np.ndarray  # [rows + cols] int: a basic label's row, else -1
    col_of: np.ndarray  # [rows + cols] int: a nonbasic label's column, else -1
    slacks: np.ndarray  # [rows] int: the slack labels in order; their columns form B^-1 (ties)


def _new_tableau(matrix: np.ndarray, slack_label: int, structural_label: int) -> _Tableau:
    """The system at its artificial vertex: every slack basic."""
    rows, cols = matrix.shape
    basic = np.arange(slack_label, slack_label + rows, dtype=np.int64)
    nonbasic = np.arange(structural_label, structural_label + cols, dtype=np.int64)
    row_of = np.full(rows + cols, -1, dtype=np.int64)
    col_of = np.full(rows + cols, -1, dtype=np.int64)
    row_of[basic], col_of[nonbasic] = np.arange(rows), np.arange(cols)
    values = np.ascontiguousarray(np.hstack([matrix, np.ones((rows, 1))]), dtype=float)
    return _Tableau(values, basic, nonbasic, row_of, col_of, basic.copy())


def _subtract_outer_numpy(values: np.ndarray, left: np.ndarray, right: np.ndarray) -> None:
    """``values -= outer(left, right)`` in place."""
    values -= np.outer(left, right)


def _subtract_outer_loops(values: np.ndarray, left: np.ndarray, right: np.ndarray) -> None:
    for r in range(values.shape[0]):
        weight = left[r]
        if weight != 0.0:  # zero rows are common in degenerate and sparse games
            for c in range(values.shape[1]):
                values[r, c] -= weight * right[c]


_subtract_outer = _subtract_outer_numpy if numba is None else _jit(_subtract_outer_loops)


@_jit
def _dense_break_tie(tableau: _Tableau, candidates: np.ndarray, column: np.ndarray) -> int:
    """Lexicographic rule among rows ``candidates`` with equal ratios (columns of ``B^-1`` in slack order)."""
    for slack in tableau.slacks:
        row = tableau.row_of[slack]
        if row >= 0:
            # A basic slack's column of B^-1 is a unit vector: only its own row has a positive ratio.
            candidates = candidates[candidates != row]
        else:
            inverse_column = tableau.values[:, tableau.col_of[slack]]
            candidates = _ratio_ties(candidates, inverse_column[candidates] / column[candidates])
        if candidates.size == 1:
            break
    return int(candidates[0])  # in exact arithmetic exactly one is left: B^-1 has full rank


@_jit
def _dense_enter(tableau: _Tableau, label: int) -> int:
    """Pivot the variable with ``label`` into the basis; returns the leaving variable's label (-1: no pivot)."""
    values = tableau.values
    col = tableau.col_of[label]
    column = values[:, col].copy()
    row, tied = _min_ratio(values[:, -1], column)
    if row < 0:
        return -1
    if tied.size > 0:
        row = _dense_break_tie(tableau, tied, column)
    pivot = column[row]
    pivot_row = values[row] / pivot
    _subtract_outer(values, column, pivot_row)
    # The leaving variable takes over the entering one's column: its unit column e_row, transformed.
    values[:, col] = -column / pivot
    values[row] = pivot_row
    values[row, col] = 1.0 / pivot
    leaving = tableau.basic[row]
    tableau.basic[row], tableau.nonbasic[col] = label, leaving
    tableau.row_of[label], tableau.col_of[label] = row, -1
    tableau.row_of[leaving], tableau.col_of[leaving] = -1, col
    return int(leaving)


# -- float mode: the path -----------------------------------------------------------------------------------


@_jit
def _advance(walk: np.ndarray, keys: np.ndarray, entering: int, leaving: int, label: int) -> int:
    """Book-keeping after a pivot: ``_DONE``, ``_STUCK`` (the path cycles) or -1 (go on).

    ``walk = [entering label, side (0: P, 1: Q), pivots, basis hash, saved hash, saved entering, saved side,
    next checkpoint]``. The basis pair is hashed incrementally (Zobrist: XOR of a random key per basic label and
    side). An exact path never revisits a state, but float round-off can make the lexicographic rule cycle; Brent's
    method (save the state at pivots 1, 2, 4, ...; compare every later state with it) detects that in time
    proportional to the cycle's start plus its length.
    """
    side = walk[1]
    walk[2] += 1
    if leaving == label:
        return _DONE
    walk[3] ^= keys[side, entering] ^ keys[side, leaving]
    walk[0], walk[1] = leaving, 1 - side  # the label just picked up is carried twice: drop it in the other system
    if walk[3] == walk[4] and walk[0] == walk[5] and walk[1] == walk[6]:
        return _STUCK
    if walk[2] == walk[7]:
        walk[4], walk[5], walk[6], walk[7] = walk[3], walk[0], walk[1], 2 * walk[7]
    return -1


@_jit
def _walk_revised(p: _Polytope, q: _Polytope, walk: np.ndarray, keys: np.ndarray, label: int,
                  max_pivots: int) -> int:
    """Up to ``max_pivots`` pivots of the path dropping ``label`` (state in ``walk``, see :func:`_advance`).

    Returns ``_DONE``, ``_STOPPED`` (``max_pivots`` used up, resumable), ``_REFACTOR`` (a polytope is due for
    :func:`_refactorise`, resumable) or ``_STUCK`` (round-off left no pivot row, or made the path cycle).
    """
    for _ in range(max_pivots):
        entering = walk[0]
        poly = p if walk[1] == 0 else q
        leaving = _enter(poly, entering)
        if leaving < 0:
            return _STUCK
        status = _advance(walk, keys, entering, leaving, label)
        if status >= 0:
            return status
        if poly.state[3] >= _REFACTOR_EVERY:
            return _REFACTOR
    return _STOPPED


@_jit
def _walk_dense(p: _Tableau, q: _Tableau, walk: np.ndarray, keys: np.ndarray, label: int, max_pivots: int) -> int:
    """As :func:`_walk_revised`, on dense tableaux."""
    for _ in range(max_pivots):
        entering = walk[0]
        leaving = _dense_enter(p if walk[1] == 0 else q, entering)
        if leaving < 0:
            return _STUCK
        status = _advance(walk, keys, entering, leaving, label)
        if status >= 0:
            return status
    return _STOPPED


def _float_path(p: _Polytope | _Tableau, q: _Polytope | _Tableau, m: int, label: int, budget: Budget,
                spent: int) -> tuple[str, int]:
    """Run the path in chunks so that the budget is checked; returns ``(status, pivots)``."""
    walker = _walk_dense if isinstance(p, _Tableau) else _walk_revised
    n_labels = len(p.row_of) if isinstance(p, _Tableau) else p.columns.shape[0] + p.columns.shape[1]
    keys = np.random.default_rng(0).integers(np.iinfo(np.int64).min, np.iinfo(np.int64).max, size=(2, n_labels))
    walk = np.array([label, 0 if label < m else 1, 0, 0, 0, -1, -1, 1], dtype=np.int64)
    chunk = _TIME_CHECK_EVERY if budget.max_seconds is not None else 2**62
    while True:
        if budget.exhausted(spent + int(walk[2])):
            return "budget", int(walk[2])
        allowed = chunk
        if budget.max_iterations is not None:
            allowed = min(chunk, budget.max_iterations - spent - int(walk[2]))
        with np.errstate(divide="ignore", invalid="ignore"):  # ratios of ineligible rows are masked out
            status = walker(p, q, walk, keys, label, allowed)
        if status == _DONE:
            return "done", int(walk[2])
        if status == _STUCK:
            return "numerical", int(walk[2])
        if status == _REFACTOR:
            for poly in (p, q):
                if isinstance(poly, _Polytope) and poly.state[3] >= _REFACTOR_EVERY:
                    _refactorise(poly)


def _residual(matrix: np.ndarray, structural: np.ndarray, slack: np.ndarray) -> float:
    """How far a vertex ``(z, s)`` of ``s + M z = 1, z, s >= 0`` misses the equations or the signs."""
    miss = np.abs(matrix @ structural + slack - 1.0).max()
    return float(max(miss, -structural.min(initial=0.0), -slack.min(initial=0.0)))


def _float_strategy(system: _Polytope | _Tableau, matrix: np.ndarray, slack_label: int,
                    structural_label: int) -> np.ndarray | None:
    """``[cols]``: the final vertex's structural part, normalised to sum 1; None when round-off spoilt it.

    When the pivoted vertex visibly misses its system (more than ``_POLISH_TOL``), it is recomputed from the final
    basis by a fresh factorisation and the one with the smaller residual is kept (on badly conditioned games the
    pivoted values can be the better ones). Complementarity holds by construction, so a vertex that satisfies
    ``s + M z = 1, z, s >= 0`` to ``_VERTEX_TOL`` is an equilibrium; one that does not means the path went astray.
    """
    rows, cols = matrix.shape
    if isinstance(system, _Polytope):
        candidates = [(system.structural_values.copy(), system.slack_values.copy())]
    else:
        z = np.zeros(rows + cols)
        z[system.basic] = system.values[:, -1]
        candidates = [(z[structural_label: structural_label + cols], z[slack_label: slack_label + rows])]
    errors = [_residual(matrix, *candidates[0])]
    if errors[0] > _POLISH_TOL:
        if isinstance(system, _Polytope):
            _refactorise(system)
            candidates.append((system.structural_values.copy(), system.slack_values.copy()))
        else:
            full = np.zeros((rows, rows + cols))  # G, columns by label
            full[:, structural_label: structural_label + cols] = matrix
            full[:, slack_label: slack_label + rows] = np.eye(rows)
            with contextlib.suppress(np.linalg.LinAlgError):
                z = np.zeros(rows + cols)
                z[system.basic] = np.linalg.solve(full[:, system.basic], np.ones(rows))
                candidates.append((z[structural_label: structural_label + cols], z[slack_label: slack_label + rows]))
        errors += [_residual(matrix, *candidate) for candidate in candidates[1:]]
    if not min(errors) <= _VERTEX_TOL:
        return None
    structural = np.maximum(candidates[int(np.argmin(errors))][0], 0.0)
    total = structural.sum()
    return structural / total if total > 0 else None


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


def _positive_payoffs(game: NormalFormGame, rational: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(A, B)`` made positive: floats in ``[1, 2]``, or Python ints >= 1 for exact mode."""
    a, b = game.payoff_matrices()
    if rational:
        return _positive_integers(a), _positive_integers(b)
    return _positive_floats(a), _positive_floats(b)


def _exact_equilibrium(a: np.ndarray, b: np.ndarray, label: int, budget: Budget, spent: int
                       ) -> tuple[str, int, tuple[np.ndarray, np.ndarray] | None]:
    """The path dropping ``label`` on integer tableaux (``a, b``: Python ints >= 1): ``(status, pivots, profile)``."""
    m, n = a.shape
    p_values, q_values = np.empty((n, m + 1), dtype=object), np.empty((m, n + 1), dtype=object)
    p_values[:, :m], p_values[:, m] = b.T, 1
    q_values[:, :n], q_values[:, n] = a, 1
    x_labels, y_labels = range(m), range(m, m + n)
    p, q = _IntegerTableau(p_values, y_labels, x_labels), _IntegerTableau(q_values, x_labels, y_labels)
    status, pivots = _integer_path(p, q, m, label, budget, spent)
    if status != "done":
        return status, pivots, None
    return status, pivots, (p.structural_solution(x_labels), q.structural_solution(y_labels))


def _float_equilibrium(a: np.ndarray, b: np.ndarray, label: int, budget: Budget, spent: int
                       ) -> tuple[str, int, tuple[np.ndarray, np.ndarray] | None]:
    """The path dropping ``label`` in floats (``a, b`` in ``[1, 2]``): ``(status, pivots, profile)``."""
    m, n = a.shape
    engine = _new_tableau if m * n <= _DENSE_MAX_ENTRIES else _new_polytope
    p, q = engine(b.T, m, 0), engine(a, 0, m)
    status, pivots = _float_path(p, q, m, label, budget, spent)
    if status != "done":
        return status, pivots, None
    x, y = _float_strategy(p, b.T, m, 0), _float_strategy(q, a, 0, m)
    if x is None or y is None:
        return "numerical", pivots, None
    return status, pivots, (x, y)


def _one_path(game: NormalFormGame, payoffs: tuple[np.ndarray, np.ndarray], label: int, budget: Budget,
              spent: int, *, fallback: bool = True) -> tuple[str, int, tuple[np.ndarray, np.ndarray] | None]:
    """Follow the path that drops ``label``: ``(status, pivots, equilibrium or None)``.

    ``payoffs`` come from :func:`_positive_payoffs` (ints: exact mode). With ``fallback``, a float path stopped
    by round-off is followed again in exact arithmetic (its pivots are added, its profile converted to floats).
    """
    a, b = payoffs
    if a.dtype == object:
        return _exact_equilibrium(a, b, label, budget, spent)
    status, pivots, profile = _float_equilibrium(a, b, label, budget, spent)
    if status != "numerical" or not fallback:
        return status, pivots, profile
    status, more, profile = _exact_equilibrium(*_positive_payoffs(game, True), label, budget, spent + pivots)
    if profile is not None:
        profile = (np.asarray(profile[0], dtype=float), np.asarray(profile[1], dtype=float))
    return status, pivots + more, profile


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
      are returned, with ``converged=False``. A float path that round-off stops is redone in exact arithmetic
      (see the module docstring); for badly conditioned games prefer ``rational=True``.
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
    payoffs = _positive_payoffs(game, rational)
    found: list[tuple[np.ndarray, np.ndarray]] = []
    pivots, converged = 0, True
    for label in labels:
        status, used, profile = _one_path(game, payoffs, label, budget, pivots)
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

    In float mode a path that round-off stops (no pivot row, or a cycle) is counted in exact arithmetic; on badly
    conditioned games (e.g. Savani-von Stengel's, ``d >= 10``) the float path can also leave the exact path and
    end early or late, so count those with ``rational=True``.

    Raises:
      GameError: not a two-player game, or a label outside ``range(m + n)``.
    """
    caller = "lemke_howson_path_length"
    game = require_normal_form(game, f"{caller}(game)", players=2)
    label = _check_label(initial_label, sum(game.n_actions), caller)
    status, pivots, _ = _one_path(game, _positive_payoffs(game, rational), label, Budget(), 0, fallback=False)
    if status == "numerical":  # float round-off stopped the path: count it in exact arithmetic
        status, pivots, _ = _one_path(game, _positive_payoffs(game, True), label, Budget(), 0)
    return pivots
