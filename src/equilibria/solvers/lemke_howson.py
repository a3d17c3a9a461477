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
the classical dense compact tableau ``B^-1 [G_N | 1]`` (Gauss-Jordan pivots, ``O(rows cols)`` each); a path's
tableaux live in one flat work buffer, so that set-up, pivoting, read-out of the equilibrium and (up to
``_EVALUATE_MAX_ENTRIES`` entries) the metrics layer's evaluation of it are one compiled call, which allocates
nothing and so runs without numba's reference counting (:mod:`equilibria.core.compiled`).
Larger games use a revised form: a basis is the set ``J`` of basic structural variables and the set ``N`` of rows
whose slack is nonbasic (``|J| = |N| = k``), ``B^-1`` is determined by ``W = M[N, J]^-1`` (``M = A`` or ``B^T``),
and a pivot updates ``W`` by a bordering, Sherman-Morrison or deletion formula in ``O(rows k + k^2)``; on random
games ``k`` (about the support size along the path) stays far below ``cols`` (its storage starts small and
doubles), while the paths run to thousands or millions of pivots. ``W`` is recomputed from the payoffs every
``_REFACTOR_EVERY`` pivots. Ratio tests use relative tolerances. At the end the vertex is re-solved from its basis
if it visibly misses its system. On badly conditioned games (e.g. Savani and von Stengel's, from ``d = 10``)
round-off can make a float path leave the exact one; when it then leaves no pivot row, cycles (detected by hashing
the bases, Brent's method) or ends at a vertex that misses its system by more than ``_VERTEX_TOL``, that path is
followed again in exact arithmetic (otherwise its end is an equilibrium up to round-off, as its certificate
shows). When numba is installed the pivoting loop is compiled (an interpreted loop costs tens of microseconds a
pivot); the few hot primitives then run as loops instead of NumPy calls, computing the same numbers.

Racing (no ``initial_label``, the default). On random games the length of one path is heavy-tailed: at 500 x 500
the path from label 0 can take millions of pivots while, among the ``m + n`` labels, some path ends within a few.
The solver therefore gives label 0 a head start of ``_RACE_HEAD_START`` pivots per label (so that on small games,
where label 0's path is short, racing is that path), then runs every label's path in rounds, in label order, each
round doubling the pivots a path may have reached (``_RACE_FIRST``, twice that, ...), and returns the end of the
first path to finish. This is deterministic and costs at most about ``4 (m + n)`` times the shortest path. On a
dense game (without an iteration budget, and with a time budget only when the head start fits between two clock
checks) the head start is that one compiled call with no path object around it: on small games it usually ends
there, and the Python around it is then most of the time spent.

Exact mode (``rational=True``) scales the payoffs to integers (common denominator) and pivots on a dense integer
tableau with Bareiss' fraction-free update: every division is exact, the tableau holds ``det(B) B^-1 [G | 1]``.

``iterations`` in the result is the total number of pivots (over every path followed).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np

from equilibria.core.compiled import Compilation, ensure_all_compiled, jit_leaf
from equilibria.core.errors import GameError
from equilibria.core.rational import to_fraction_array
from equilibria.core.result import SolveResult
from equilibria.games.normal_form import NormalFormGame
from equilibria.metrics.regret import KERNEL_MAX_ENTRIES, PROFILE_TOL, bimatrix_kernel
from equilibria.solvers._common import Budget, distinct_indices, evaluated_result, nash_result, require_normal_form

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
_EVALUATE_MAX_ENTRIES = KERNEL_MAX_ENTRIES  # dense paths certify in the compiled call up to this many entries
_FIRST_CAPACITY = 4  # the revised form's W starts with room for this many basic structurals, doubling as needed
_RACE_FIRST = 4  # racing: pivots per path in the first round; the rounds double it
_RACE_HEAD_START = _RACE_FIRST  # racing: label 0 first gets this many pivots per label of the game, on its own

# Path status: reached an equilibrium / budget chunk used up / round-off left no pivot row or made the path cycle /
# W is due for recomputation / W needs more room / the final vertex must be read out again from its basis.
_DONE, _STOPPED, _STUCK, _REFACTOR, _GROW, _POLISH = 0, 1, 2, 3, 4, 5
_TIED = -2  # a dense pivot step found several rows with the minimum ratio (see _dense_enter)


def _jit(function: Callable[..., Any], *, inline: bool = False) -> Callable[..., Any]:
    """``function`` compiled by numba (cached on disk) when numba is installed, else unchanged.

    ``inline``: compiled into each caller (numba IR inlining), for the small steps of the pivoting loops.
    """
    if numba is None:
        return function
    try:
        return numba.njit(cache=True, inline="always" if inline else "never")(function)
    except RuntimeError:  # no writable cache directory: compile in memory instead
        return numba.njit(inline="always" if inline else "never")(function)


def _jit_inline(function: Callable[..., Any]) -> Callable[..., Any]:
    return _jit(function, inline=True)


_jit_leaf = jit_leaf  # see equilibria.core.compiled: no reference counting, for loops that only index arrays


# -- float mode: revised pivoting ---------------------------------------------------------------------------


class _Polytope(NamedTuple):
    """Float state of one system ``s + M z = 1`` (P: ``M = B^T``; Q: ``M = A``), updated in place.

    Slack ``s_r`` has label ``state[1] + r``, structural ``z_c`` label ``state[2] + c``. ``k`` is at most
    ``min(rows, cols)``; the arrays sized by it have room for ``capacity`` (grown by :func:`_grown` when ``k``
    reaches it), so that many paths of one large game can be kept at once. Every array the pivots multiply is
    kept C-contiguous, so BLAS runs on it without copies; ``columns`` is only read, and racing paths share it.
    """

    columns: np.ndarray  # [cols, rows]: M^T, so that each column of M is a contiguous row
    inverse: np.ndarray  # [capacity^2]: W = M[N, J]^-1, its k x k block stored first (rows follow J, columns N)
    basic_columns: np.ndarray  # [capacity, rows]: M[:, J]^T in the leading k rows
    structurals: np.ndarray  # [capacity] int: J, in W's row order
    nonbasic_rows: np.ndarray  # [capacity] int: N, in W's column order
    row_position: np.ndarray  # [rows] int: each row's position in N, -1 while its slack is basic
    column_position: np.ndarray  # [cols] int: each column's position in J, -1 while it is nonbasic
    structural_values: np.ndarray  # [cols]: the vertex's z (0 off J), moved along with each pivot
    slack_values: np.ndarray  # [rows]: the vertex's s (0 on N)
    state: np.ndarray  # [4] int: k, slack label offset, structural label offset, pivots since refactorising


def _new_polytope(matrix: np.ndarray, slack_label: int, structural_label: int, *,
                  columns: np.ndarray | None = None) -> _Polytope:
    """The system at its artificial vertex ``z = 0``: every slack basic (``k = 0``).

    ``columns``: ``M^T`` as a C-contiguous array, when it is already at hand (shared between paths).
    """
    rows, cols = matrix.shape
    capacity = min(rows, cols, _FIRST_CAPACITY)
    return _Polytope(
        columns=np.ascontiguousarray(matrix.T, dtype=float) if columns is None else columns,
        inverse=np.zeros(capacity * capacity),
        basic_columns=np.zeros((capacity, rows)),
        structurals=np.zeros(capacity, dtype=np.int64),
        nonbasic_rows=np.zeros(capacity, dtype=np.int64),
        row_position=np.full(rows, -1, dtype=np.int64),
        column_position=np.full(cols, -1, dtype=np.int64),
        structural_values=np.zeros(cols),
        slack_values=np.ones(rows),
        state=np.array([0, slack_label, structural_label, 0], dtype=np.int64),
    )


def _grown(poly: _Polytope) -> _Polytope:
    """``poly`` with twice the room for ``k`` (at most ``min(rows, cols)``), its contents copied."""
    cols, rows = poly.columns.shape
    k, capacity = int(poly.state[0]), min(rows, cols, 2 * poly.structurals.size)
    inverse, basic_columns = np.zeros(capacity * capacity), np.zeros((capacity, rows))
    structurals, nonbasic_rows = np.zeros(capacity, dtype=np.int64), np.zeros(capacity, dtype=np.int64)
    inverse[: k * k] = poly.inverse[: k * k]
    basic_columns[:k] = poly.basic_columns[:k]
    structurals[:k], nonbasic_rows[:k] = poly.structurals[:k], poly.nonbasic_rows[:k]
    return poly._replace(inverse=inverse, basic_columns=basic_columns, structurals=structurals,
                         nonbasic_rows=nonbasic_rows)


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


def _min_ratio_numpy(values: np.ndarray, direction: np.ndarray, ratios: np.ndarray) -> tuple[int, int]:
    """Minimum-ratio test over entries with ``direction > _PIVOT_TOL * max(direction)``.

    Writes ``values / direction`` into ``ratios`` (``inf`` where ineligible) and returns ``(index, ties)``: the
    first minimising index (-1 when no entry is positive) and how many ratios are within ``_TIE_TOL`` of the
    minimum (:func:`_ties` lists them when there are several).
    """
    top = direction.max()
    if not top > 0.0:
        return -1, 0
    with np.errstate(divide="ignore", invalid="ignore"):  # the ratios of ineligible entries are masked out
        ratios[:] = np.where(direction > _PIVOT_TOL * top, values / direction, np.inf)
    best_index = int(np.argmin(ratios))
    return best_index, int(np.count_nonzero(ratios <= _tie_limit(ratios[best_index])))


def _ties_numpy(ratios: np.ndarray, best_index: int) -> np.ndarray:
    """The indices whose ratios (from :func:`_min_ratio`) tie with ``ratios[best_index]``, the minimum."""
    return np.flatnonzero(ratios <= _tie_limit(ratios[best_index]))


@_jit_inline
def _tie_limit(best: float) -> float:
    """Ratios up to this tie with the minimum ``best`` (relative tolerance, floor 1)."""
    return best + _TIE_TOL * max(1.0, abs(best))


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


def _min_ratio_loops(values: np.ndarray, direction: np.ndarray, ratios: np.ndarray) -> tuple[int, int]:
    top = 0.0
    for d in direction:
        top = max(top, d)
    if not top > 0.0:
        return -1, 0
    threshold = _PIVOT_TOL * top
    best, best_index = np.inf, -1
    for i in range(direction.size):
        ratio = values[i] / direction[i] if direction[i] > threshold else np.inf
        ratios[i] = ratio
        if ratio < best:
            best, best_index = ratio, i
    if best_index < 0:  # every eligible ratio is NaN: round-off has spoilt the path
        return -1, 0
    limit, count = _tie_limit(best), 0
    for ratio in ratios[: direction.size]:
        if ratio <= limit:
            count += 1
    return best_index, count


def _ties_loops(ratios: np.ndarray, best_index: int) -> np.ndarray:
    limit = _tie_limit(ratios[best_index])
    tied = np.zeros(ratios.size, dtype=np.int64)
    count = 0
    for i in range(ratios.size):
        if ratios[i] <= limit:
            tied[count] = i
            count += 1
    return tied[:count]


if numba is None:
    _inverse_times, _columns_times = _inverse_times_numpy, _columns_times_numpy
    _row_times_inverse, _min_ratio, _ties = _row_times_inverse_numpy, _min_ratio_numpy, _ties_numpy
else:
    _inverse_times, _columns_times = _jit(_inverse_times_loops), _jit(_columns_times_loops)
    _row_times_inverse, _ties = _jit(_row_times_inverse_loops), _jit(_ties_loops)
    _min_ratio = _jit_inline(_min_ratio_loops)


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
    ratios = np.empty(values.size)
    best_index, ties = _min_ratio(values, direction, ratios)
    return best_index if ties <= 1 else _break_tie(poly, _ties(ratios, best_index), direction)


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
    and stays on the exact path longer than the revised form on badly conditioned games. A path's two tableaux
    and its walk state are views of two flat buffers (:func:`_dense_views`), so that the whole path, set-up and
    read-out included, runs in one compiled call, and a stopped path resumes from the buffers.
    """

    values: np.ndarray  # [rows, cols + 1]
    basic: np.ndarray  # [rows] int: the label of each row's basic variable
    nonbasic: np.ndarray  # [cols] int: the label of each column's nonbasic variable
    row_of: np.ndarray  # [rows + cols] int: a basic label's row, else -1
    col_of: np.ndarray  # [rows + cols] int: a nonbasic label's column, else -1
    slacks: np.ndarray  # [rows] int: the slack labels in order; their columns form B^-1 (ties)
    scratch: np.ndarray  # [2 (rows + cols) + 1]: room for a pivot's column, row and ratios (shared by P and Q)
    candidates: np.ndarray  # [max(m, n)] int: room for the rows tied in a ratio test (shared by P and Q)


@_jit_inline
def _dense_layout(m: int, n: int) -> tuple[int, int]:
    """``(floats, length)`` of an ``m x n`` game's dense path's work buffer (float64; see :func:`_dense_views`)."""
    n_floats = 4 + n * (m + 1) + m * (n + 1) + 2 * (m + n) + 1
    return n_floats, n_floats + 8 + 7 * (m + n) + (m if m > n else n)


@_jit_leaf
def _dense_views(work: np.ndarray, m: int, n: int) -> tuple[_Tableau, _Tableau, np.ndarray, np.ndarray]:
    """``(P, Q, walk, scales)`` as views of a path's work buffer: one allocation per path.

    The floats: the payoff scales (:func:`_payoff_scales`), P's values (``M = B^T``), Q's values (``M = A``), the
    shared scratch row. Then the ints, stored as int64 in the float64 buffer: walk, P's and Q's index arrays
    (basic, nonbasic, row_of, col_of, slacks), the shared tied rows. Compiled as a leaf, it returns views that
    are not reference counted: call it from leaf code only, and from Python through :func:`_interpreted`.
    """
    p_size, q_size, n_floats = n * (m + 1), m * (n + 1), _dense_layout(m, n)[0]
    p_values = work[4: 4 + p_size].reshape((n, m + 1))
    q_values = work[4 + p_size: 4 + p_size + q_size].reshape((m, n + 1))
    scratch = work[4 + p_size + q_size: n_floats]
    ints = work[n_floats:].view(np.int64)
    labels = m + n
    candidates = ints[8 + 7 * labels:]
    at = 8  # P: n rows, m columns
    p = _Tableau(p_values, ints[at: at + n], ints[at + n: at + labels], ints[at + labels: at + 2 * labels],
                 ints[at + 2 * labels: at + 3 * labels], ints[at + 3 * labels: at + 3 * labels + n], scratch,
                 candidates)
    at += 3 * labels + n  # Q: m rows, n columns
    q = _Tableau(q_values, ints[at: at + m], ints[at + m: at + labels], ints[at + labels: at + 2 * labels],
                 ints[at + 2 * labels: at + 3 * labels], ints[at + 3 * labels: at + 3 * labels + m], scratch,
                 candidates)
    return p, q, ints[:8], work[:4]


def _interpreted(function: Callable[..., Any]) -> Callable[..., Any]:
    """The Python function behind a compiled one (the function itself without numba)."""
    return getattr(function, "py_func", function)


_layout = _interpreted(_dense_layout)


@_jit_inline
def _scale(low: float, high: float) -> float:
    """The factor of the map ``v -> 1 + (v - low) scale`` of payoffs in ``[low, high]`` into ``[1, 2]``.

    A product per entry rather than a division (about four times cheaper). 0 for constant payoffs, so that all
    of them map to 1.
    """
    return 1.0 / (high - low) if high > low else 0.0


def _payoff_scales_numpy(payoffs: np.ndarray, scales: np.ndarray) -> None:
    """``scales[:] = [low of A, scale of A, low of B, scale of B]`` (``payoffs: [2, m, n]``; see :func:`_scale`)."""
    lows, highs = payoffs.min(axis=(1, 2)), payoffs.max(axis=(1, 2))
    scales[:] = lows[0], _scale(lows[0], highs[0]), lows[1], _scale(lows[1], highs[1])


def _payoff_scales_loops(payoffs: np.ndarray, scales: np.ndarray) -> None:
    for player in range(2):
        matrix = payoffs[player]
        cols = matrix.shape[1]
        end = cols - cols % 4
        # Four minima and maxima per row: the loop is bound by their dependency chains, not by the loads.
        low0 = low1 = low2 = low3 = high0 = high1 = high2 = high3 = matrix[0, 0]
        for r in range(matrix.shape[0]):
            for c in range(0, end, 4):
                low0, high0 = min(low0, matrix[r, c]), max(high0, matrix[r, c])
                low1, high1 = min(low1, matrix[r, c + 1]), max(high1, matrix[r, c + 1])
                low2, high2 = min(low2, matrix[r, c + 2]), max(high2, matrix[r, c + 2])
                low3, high3 = min(low3, matrix[r, c + 3]), max(high3, matrix[r, c + 3])
            for c in range(end, cols):
                low0, high0 = min(low0, matrix[r, c]), max(high0, matrix[r, c])
        low, high = min(min(low0, low1), min(low2, low3)), max(max(high0, high1), max(high2, high3))
        scales[2 * player], scales[2 * player + 1] = low, _scale(low, high)


_payoff_scales = _payoff_scales_numpy if numba is None else _jit_leaf(_payoff_scales_loops)


@_jit_inline
def _positive(value: float, low: float, scale: float) -> float:
    """One payoff mapped into ``[1, 2]`` as :func:`_positive_floats` maps it (``scale``: :func:`_scale`)."""
    return 1.0 + (value - low) * scale


@_jit_leaf
def _start_tableau(tableau: _Tableau, payoffs: np.ndarray, low: float, scale: float, slack_label: int,
                   structural_label: int) -> None:
    """The artificial vertex (every slack basic) of ``s + M z = 1``; ``payoffs``: ``M`` before the map."""
    rows, cols = payoffs.shape
    values = tableau.values
    for r in range(rows):
        for c in range(cols):
            values[r, c] = _positive(payoffs[r, c], low, scale)
        values[r, cols] = 1.0
    tableau.row_of[:] = -1
    tableau.col_of[:] = -1
    for r in range(rows):
        tableau.basic[r] = tableau.slacks[r] = slack_label + r
        tableau.row_of[slack_label + r] = r
    for c in range(cols):
        tableau.nonbasic[c] = structural_label + c
        tableau.col_of[structural_label + c] = c


@_jit_leaf
def _dense_start(p: _Tableau, q: _Tableau, walk: np.ndarray, payoffs: np.ndarray, scales: np.ndarray,
                 label: int) -> None:
    """The path dropping ``label`` at the artificial vertex (``payoffs``: the game's ``[2, m, n]``).

    Each path computes the scales again: one pass over the payoffs, the cost of a single pivot.
    """
    m = payoffs.shape[1]
    _payoff_scales(payoffs, scales)
    _start_tableau(p, payoffs[1].T, scales[2], scales[3], m, 0)
    _start_tableau(q, payoffs[0], scales[0], scales[1], 0, m)
    walk[:] = 0
    walk[0], walk[1], walk[5], walk[6], walk[7] = label, 0 if label < m else 1, -1, -1, 1


def _dense_ratio_test_numpy(values: np.ndarray, col: int, scratch: np.ndarray) -> tuple[int, int]:
    """:func:`_min_ratio` of the last column over column ``col``: ``(row, ties)``.

    Leaves column ``col`` in ``scratch[:rows]`` and the ratios in ``scratch[-rows:]`` (the loop version indexes
    them there directly: views would cost reference counting at every pivot).
    """
    rows = values.shape[0]
    column = scratch[:rows]
    column[:] = values[:, col]
    return _min_ratio_numpy(values[:, -1], column, scratch[scratch.size - rows:])


def _dense_ratio_test_loops(values: np.ndarray, col: int, scratch: np.ndarray) -> tuple[int, int]:
    rows, last, at = values.shape[0], values.shape[1] - 1, scratch.size - values.shape[0]
    top = 0.0
    for r in range(rows):
        scratch[r] = values[r, col]
        top = max(top, scratch[r])
    if not top > 0.0:
        return -1, 0
    threshold = _PIVOT_TOL * top
    best, best_row = np.inf, -1
    for r in range(rows):
        ratio = values[r, last] / scratch[r] if scratch[r] > threshold else np.inf
        scratch[at + r] = ratio
        if ratio < best:
            best, best_row = ratio, r
    if best_row < 0:  # every eligible ratio is NaN: round-off has spoilt the path
        return -1, 0
    limit, count = _tie_limit(best), 0
    for r in range(rows):
        if scratch[at + r] <= limit:
            count += 1
    return best_row, count


def _dense_pivot_numpy(values: np.ndarray, row: int, col: int, scratch: np.ndarray) -> None:
    """Gauss-Jordan pivot on ``values[row, col]``; ``scratch[:rows]`` holds column ``col`` before the pivot."""
    column = scratch[: values.shape[0]]
    inverse = 1.0 / column[row]  # products by it, not divisions: a division costs four times as much
    pivot_row = values[row] * inverse
    values -= np.outer(column, pivot_row)
    # The leaving variable takes over the entering one's column: its unit column e_row, transformed.
    values[:, col] = -column * inverse
    values[row] = pivot_row
    values[row, col] = inverse


def _dense_pivot_loops(values: np.ndarray, row: int, col: int, scratch: np.ndarray) -> None:
    rows, width = values.shape
    inverse = 1.0 / scratch[row]
    pivot_row = scratch[rows: rows + width]  # the pivot row, divided
    for c in range(width):
        pivot_row[c] = values[row, c] * inverse
    for r in range(rows):
        weight = scratch[r]
        if r != row and weight != 0.0:  # zero rows are common in degenerate and sparse games
            target = values[r]  # a row view: the inner loop then vectorises with fewer checks
            for c in range(width):
                target[c] -= weight * pivot_row[c]
    for r in range(rows):
        values[r, col] = -scratch[r] * inverse
    for c in range(width):
        values[row, c] = pivot_row[c]
    values[row, col] = inverse


if numba is None:
    _dense_ratio_test, _dense_pivot = _dense_ratio_test_numpy, _dense_pivot_numpy
else:
    _dense_ratio_test = _jit_leaf(_dense_ratio_test_loops, inline=True)
    _dense_pivot = _jit_leaf(_dense_pivot_loops, inline=True)


def _sum_numpy(vector: np.ndarray) -> float:
    return float(vector.sum())


def _sum_loops(vector: np.ndarray) -> float:
    """``vector.sum()``: in order below 8 entries, else eight interleaved accumulators.

    That is NumPy's own order up to 128 entries, so compiled read-outs of small games match interpreted ones to
    the bit; beyond, NumPy adds blocks of 128 pairwise, and the two agree to rounding.
    """
    size = vector.size
    if size < 8:
        total = 0.0
        for i in range(size):
            total += vector[i]
        return total
    r0, r1, r2, r3 = vector[0], vector[1], vector[2], vector[3]
    r4, r5, r6, r7 = vector[4], vector[5], vector[6], vector[7]
    end = size - size % 8
    for i in range(8, end, 8):
        r0 += vector[i]
        r1 += vector[i + 1]
        r2 += vector[i + 2]
        r3 += vector[i + 3]
        r4 += vector[i + 4]
        r5 += vector[i + 5]
        r6 += vector[i + 6]
        r7 += vector[i + 7]
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for i in range(end, size):
        total += vector[i]
    return total


_sum = _sum_numpy if numba is None else _jit_leaf(_sum_loops)


@_jit_leaf
def _dense_break_tie(tableau: _Tableau, column: np.ndarray, ratios: np.ndarray) -> int:
    """Lexicographic rule among the rows tied in the ratio test (columns of ``B^-1`` in slack order): the row.

    ``column``: the entering column, ``ratios``: the ratio test's. As :func:`_break_tie` with
    :func:`_ratio_ties`, the candidates kept in ``tableau.candidates`` (allocates nothing). -1 when round-off
    leaves no candidate.
    """
    candidates = tableau.candidates
    limit, count = _tie_limit(ratios[_ratio_argmin(ratios)]), 0
    for r in range(ratios.size):
        if ratios[r] <= limit:
            candidates[count] = r
            count += 1
    for slack in tableau.slacks:
        if count <= 1:
            break
        row = tableau.row_of[slack]
        if row >= 0:
            # A basic slack's column of B^-1 is a unit vector: only its own row has a positive ratio.
            kept = 0
            for i in range(count):
                if candidates[i] != row:
                    candidates[kept] = candidates[i]
                    kept += 1
            count = kept
        else:
            count = _keep_ratio_ties(candidates, count, tableau.values[:, tableau.col_of[slack]], column)
    return candidates[0] if count > 0 else -1  # in exact arithmetic exactly one is left: B^-1 has full rank


@_jit_inline
def _keep_ratio_ties(candidates: np.ndarray, count: int, key: np.ndarray, column: np.ndarray) -> int:
    """:func:`_ratio_ties` in place: keeps the first ``count`` candidates whose ratio ties the minimum; how many."""
    best, top = np.inf, 0.0
    for i in range(count):
        ratio = key[candidates[i]] / column[candidates[i]]
        best, top = min(best, ratio), max(top, abs(ratio))
    limit, kept = best + _TIE_TOL * max(1.0, top), 0
    for i in range(count):
        if key[candidates[i]] / column[candidates[i]] <= limit:
            candidates[kept] = candidates[i]
            kept += 1
    return kept


def _dense_enter(values: np.ndarray, basic: np.ndarray, nonbasic: np.ndarray, row_of: np.ndarray,
                 col_of: np.ndarray, scratch: np.ndarray, label: int) -> int:
    """Pivot the variable with ``label`` into the basis; returns the leaving variable's label.

    -1: no pivot row; ``_TIED``: several rows tie in the ratio test (nothing changed yet; the ratio test's column
    and ratios are left in ``scratch`` for :func:`_dense_enter_tied`). Takes the tableau's arrays one by one and
    allocates nothing, so that the compiled version runs without reference counting (see :func:`_jit_leaf`).
    """
    col = col_of[label]
    row, ties = _dense_ratio_test(values, col, scratch)
    if row < 0:
        return -1
    if ties > 1:
        return _TIED
    _dense_pivot(values, row, col, scratch)
    return _dense_relabel(basic, nonbasic, row_of, col_of, row, col, label)


def _dense_relabel(basic: np.ndarray, nonbasic: np.ndarray, row_of: np.ndarray, col_of: np.ndarray, row: int,
                   col: int, label: int) -> int:
    """After the pivot on ``(row, col)``: ``label`` is basic in ``row``, the leaving variable (returned) nonbasic."""
    leaving = basic[row]
    basic[row], nonbasic[col] = label, leaving
    row_of[label], col_of[label] = row, -1
    row_of[leaving], col_of[leaving] = -1, col
    return int(leaving)


@_jit_leaf
def _dense_enter_tied(tableau: _Tableau, label: int) -> int:
    """:func:`_dense_enter` after it returned ``_TIED``: the lexicographic rule picks the row, then the pivot."""
    rows, col, scratch = tableau.values.shape[0], tableau.col_of[label], tableau.scratch
    row = _dense_break_tie(tableau, scratch[:rows], scratch[scratch.size - rows:])
    if row < 0:
        return -1
    _dense_pivot(tableau.values, row, col, scratch)
    return _dense_relabel(tableau.basic, tableau.nonbasic, tableau.row_of, tableau.col_of, row, col, label)


@_jit_inline
def _ratio_argmin(ratios: np.ndarray) -> int:
    """The first index of the smallest ratio (the ratio test's row)."""
    best, index = np.inf, -1
    for i in range(ratios.size):
        if ratios[i] < best:
            best, index = ratios[i], i
    return index


# Inlined into the walk: a call per step, with every array passed by value, costs more than the step on small games.
_dense_relabel = _jit_leaf(_dense_relabel, inline=True)
_dense_enter = _jit_leaf(_dense_enter, inline=True)


# -- float mode: the path -----------------------------------------------------------------------------------


@_jit_inline
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
    :func:`_refactorise`, resumable), ``_GROW`` (the next polytope to pivot needs :func:`_grown`, resumable) or
    ``_STUCK`` (round-off left no pivot row, or made the path cycle).
    """
    for _ in range(max_pivots):
        entering = walk[0]
        poly = p if walk[1] == 0 else q
        capacity = poly.structurals.size
        if poly.state[0] == capacity and capacity < min(poly.columns.shape[0], poly.columns.shape[1]):
            return _GROW  # the pivot may border W
        leaving = _enter(poly, entering)
        if leaving < 0:
            return _STUCK
        status = _advance(walk, keys, entering, leaving, label)
        if status >= 0:
            return status
        if poly.state[3] >= _REFACTOR_EVERY:
            return _REFACTOR
    return _STOPPED


@_jit_leaf
def _walk_dense(p: _Tableau, q: _Tableau, walk: np.ndarray, keys: np.ndarray, label: int, max_pivots: int) -> int:
    """As :func:`_walk_revised`, on dense tableaux."""
    p_values, p_basic, p_nonbasic, p_row_of, p_col_of, _, scratch, _ = p
    q_values, q_basic, q_nonbasic, q_row_of, q_col_of, _, _, _ = q
    for _ in range(max_pivots):
        entering = walk[0]
        if walk[1] == 0:
            leaving = _dense_enter(p_values, p_basic, p_nonbasic, p_row_of, p_col_of, scratch, entering)
            if leaving == _TIED:
                leaving = _dense_enter_tied(p, entering)
        else:
            leaving = _dense_enter(q_values, q_basic, q_nonbasic, q_row_of, q_col_of, scratch, entering)
            if leaving == _TIED:
                leaving = _dense_enter_tied(q, entering)
        if leaving < 0:
            return _STUCK
        status = _advance(walk, keys, entering, leaving, label)
        if status >= 0:
            return status
    return _STOPPED


def _vertex_miss_numpy(payoffs: np.ndarray, low: float, scale: float, structural: np.ndarray,
                       slack: np.ndarray, support: np.ndarray) -> float:
    """:func:`_residual` of the vertex ``(z, s)``, ``M`` given before the map into ``[1, 2]`` (NaN: NaN).

    ``support``: the columns where ``z`` may be nonzero (the basic ones); the loops visit only these.
    """
    matrix = 1.0 + (payoffs - low) * scale
    return _residual(matrix, structural, slack)


def _vertex_miss_loops(payoffs: np.ndarray, low: float, scale: float, structural: np.ndarray,
                       slack: np.ndarray, support: np.ndarray) -> float:
    miss = 0.0
    for r in range(payoffs.shape[0]):
        total = 0.0
        for c in support:
            total += _positive(payoffs[r, c], low, scale) * structural[c]
        row_miss = abs(total + slack[r] - 1.0)
        if np.isnan(row_miss):
            return np.nan
        miss = max(miss, row_miss)
    for values in (structural, slack):
        for value in values:
            if np.isnan(value):
                return np.nan
            miss = max(miss, -value)
    return miss


_vertex_miss = _vertex_miss_numpy if numba is None else _jit_leaf(_vertex_miss_loops)


@_jit_leaf
def _dense_vertex(tableau: _Tableau, payoffs: np.ndarray, low: float, scale: float, slack_label: int,
                  structural_label: int, accept: float, out: np.ndarray) -> int:
    """Reads the final vertex's structural part into ``out: [cols]``, normalised to sum 1; returns a status.

    ``payoffs``: the system's ``M`` before the map into ``[1, 2]``. ``_DONE`` when the vertex satisfies
    ``s + M z = 1, z, s >= 0`` within ``accept``; ``_POLISH`` when it misses by more (NaN included):
    :func:`_float_strategy` then decides; ``_STUCK`` when ``z`` is 0. The slack part goes to the scratch row,
    the basic structurals' columns to the candidates.
    """
    rows, cols = payoffs.shape
    slack, support, count = tableau.scratch[:rows], tableau.candidates, 0
    out[:] = 0.0
    slack[:] = 0.0
    for r in range(rows):
        label = tableau.basic[r]
        if structural_label <= label < structural_label + cols:
            out[label - structural_label] = tableau.values[r, cols]
            support[count] = label - structural_label
            count += 1
        else:
            slack[label - slack_label] = tableau.values[r, cols]
    if not _vertex_miss(payoffs, low, scale, out, slack, support[:count]) <= accept:
        return _POLISH
    for c in range(cols):
        out[c] = max(out[c], 0.0)
    total = _sum(out)
    if not total > 0.0:
        return _STUCK
    for c in range(cols):
        out[c] /= total
    return _DONE


@_jit_leaf
def _dense_solve(work: np.ndarray, keys: np.ndarray, payoffs: np.ndarray, label: int,
                 max_pivots: int, start: bool, accept: float, out: np.ndarray) -> tuple[int, int]:
    """Up to ``max_pivots`` pivots of the dense path dropping ``label`` (set up first when ``start``).

    ``payoffs``: the game's ``[2, m, n]``. Returns the status and the pivots so far.
    With ``_DONE``, ``out[:m + n]`` holds the equilibrium ``(x, y)``, each normalised, and when ``out`` has room
    for five more numbers, the metrics layer's evaluation of exactly those arrays follows
    (:func:`equilibria.metrics.regret.bimatrix_evaluation`: payoffs, regrets, max regret; the certificate, in the
    same call). ``_POLISH`` means the path ended but its vertex (which misses its system by more than ``accept``)
    must be read out by :func:`_float_strategy`.
    """
    m, n = payoffs.shape[1], payoffs.shape[2]
    p, q, walk, scales = _dense_views(work, m, n)
    if start:
        _dense_start(p, q, walk, payoffs, scales, label)
    status = _walk_dense(p, q, walk, keys, label, max_pivots)
    if status == _DONE:
        x, y = out[:m], out[m: m + n]
        x_status = _dense_vertex(p, payoffs[1].T, scales[2], scales[3], m, 0, accept, x)
        y_status = _dense_vertex(q, payoffs[0], scales[0], scales[1], 0, m, accept, y)
        status = max(x_status, y_status)  # _DONE < _STUCK < _POLISH: re-reading the vertex comes first
        if status == _DONE and out.size == m + n + 5:
            _evaluate_bimatrix(payoffs, x, y, PROFILE_TOL, out[m + n:])
    return status, int(walk[2])


_evaluate_bimatrix = bimatrix_kernel()


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


def _positive_integers(matrix: np.ndarray) -> np.ndarray:
    """``matrix`` (Fractions) scaled by their common denominator and shifted to minimum 1 (ints)."""
    exact = to_fraction_array(matrix)
    shifted = exact - min(exact.flat)
    scale = math.lcm(*(value.denominator for value in shifted.flat))
    out = np.empty(matrix.shape, dtype=object)
    for index, value in np.ndenumerate(shifted):
        out[index] = int(value * scale) + 1
    return out


# -- paths: one resumable interface for the three engines ----------------------------------------------------


class _Path:
    """A Lemke-Howson path in progress: ``advance`` pivots on, ``pivots`` counts, ``profile`` is set when it ends.

    ``advance(allowed)`` makes at most ``allowed`` pivots and returns ``"done"`` (``profile`` is the equilibrium),
    ``"stopped"`` (resumable) or ``"numerical"`` (round-off stopped a float path: no pivot row, a cycle, or a
    final vertex that misses its system). ``check_every`` is how many pivots to make between clock checks.
    """

    __slots__ = ("label", "pivots", "profile", "evaluation")
    check_every = _TIME_CHECK_EVERY

    def __init__(self, label: int) -> None:
        self.label = label
        self.pivots = 0
        self.profile: tuple[np.ndarray, np.ndarray] | None = None
        # The metrics layer's evaluation of ``profile``, when the path made one along with it: (payoffs, max regret)
        self.evaluation: tuple[np.ndarray, np.float64] | None = None

    def advance(self, allowed: int) -> str:  # pragma: no cover - every engine overrides it
        raise NotImplementedError


def _dense_buffers(m: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(work, keys, out)`` for a dense path of an ``m x n`` game (see :func:`_dense_solve`)."""
    work_size, keys, out_size = _dense_setup(m, n)
    return np.empty(work_size), keys, np.empty(out_size)


@functools.lru_cache(maxsize=64)
def _dense_setup(m: int, n: int) -> tuple[int, np.ndarray, int]:
    """``(work buffer length, Zobrist keys, out length)`` of an ``m x n`` game's dense paths, computed once.

    ``out`` has room for the metrics layer's numbers where its compiled loops apply (up to
    ``_EVALUATE_MAX_ENTRIES`` entries).
    """
    return _layout(m, n)[1], _zobrist_keys(m + n), m + n + 5 if m * n <= _EVALUATE_MAX_ENTRIES else m + n


def _dense_end(out: np.ndarray, m: int, n: int
               ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.float64] | None]:
    """``((x, y), evaluation)`` as :func:`_dense_solve` left them in ``out`` after ``_DONE``.

    The strategies are views of the path's own small buffer, which the result keeps; the evaluation
    ``(payoffs [2], max regret)`` is None where the call made none.
    """
    return (out[:m], out[m: m + n]), ((out[m + n: m + n + 2], out[m + n + 4]) if out.size > m + n else None)


class _DensePath(_Path):
    """Float path on dense tableaux kept in one flat work buffer."""

    __slots__ = ("payoffs", "work", "keys", "out")

    def __init__(self, payoffs: np.ndarray, label: int,
                 buffers: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None, pivots: int = 0) -> None:
        """``payoffs``: the game's ``[2, m, n]`` float64 payoffs, as given (the path maps them itself).

        ``buffers``, ``pivots``: those of a path that :func:`_dense_solve` stopped, to go on with it.
        """
        self.label, self.pivots, self.profile, self.evaluation = label, pivots, None, None
        self.payoffs = payoffs
        self.work, self.keys, self.out = _dense_buffers(*payoffs.shape[1:]) if buffers is None else buffers

    def advance(self, allowed: int) -> str:
        status, self.pivots = _dense_solve(self.work, self.keys, self.payoffs, self.label, allowed, self.pivots == 0,
                                           min(_POLISH_TOL, _VERTEX_TOL), self.out)
        if status == _STOPPED:
            return "stopped"
        _, m, n = self.payoffs.shape
        x: np.ndarray | None
        y: np.ndarray | None
        if status == _DONE:
            (x, y), self.evaluation = _dense_end(self.out, m, n)
        elif status == _POLISH:
            a, b = _positive_floats(self.payoffs[0]), _positive_floats(self.payoffs[1])
            p, q, _, _ = _interpreted(_dense_views)(self.work, m, n)
            x, y = _float_strategy(p, b.T, m, 0), _float_strategy(q, a, 0, m)
            if x is None or y is None:
                return "numerical"
        else:
            return "numerical"
        self.profile = (x, y)
        return "done"


class _RevisedPath(_Path):
    """Float path in revised form (``a, b`` in ``[1, 2]``; ``columns``: ``(B, A^T)`` C-contiguous, shared)."""

    __slots__ = ("a", "b", "p", "q", "walk", "keys")

    def __init__(self, a: np.ndarray, b: np.ndarray, label: int, columns: tuple[np.ndarray, np.ndarray]) -> None:
        super().__init__(label)
        m = a.shape[0]
        self.a, self.b = a, b
        self.p = _new_polytope(b.T, m, 0, columns=columns[0])
        self.q = _new_polytope(a, 0, m, columns=columns[1])
        self.walk = np.array([label, 0 if label < m else 1, 0, 0, 0, -1, -1, 1], dtype=np.int64)
        self.keys = _zobrist_keys(sum(a.shape))

    def advance(self, allowed: int) -> str:
        target = self.pivots + allowed
        while True:
            status = _walk_revised(self.p, self.q, self.walk, self.keys, self.label, target - self.pivots)
            self.pivots = int(self.walk[2])
            if status == _DONE:
                m = self.a.shape[0]
                x, y = _float_strategy(self.p, self.b.T, m, 0), _float_strategy(self.q, self.a, 0, m)
                if x is None or y is None:
                    return "numerical"
                self.profile = (x, y)
                return "done"
            if status == _STUCK:
                return "numerical"
            if status == _STOPPED:
                return "stopped"
            if status == _GROW:
                side = "p" if self.walk[1] == 0 else "q"
                setattr(self, side, _grown(getattr(self, side)))
            for poly in (self.p, self.q):  # _REFACTOR
                if poly.state[3] >= _REFACTOR_EVERY:
                    _refactorise(poly)


class _ExactPath(_Path):
    """Exact path on fraction-free integer tableaux (``a, b``: Python ints >= 1)."""

    __slots__ = ("x_labels", "y_labels", "p", "q", "entering", "tableau", "other")
    check_every = 1  # an exact pivot can take long: check the clock at every one

    def __init__(self, a: np.ndarray, b: np.ndarray, label: int) -> None:
        super().__init__(label)
        m, n = a.shape
        p_values, q_values = np.empty((n, m + 1), dtype=object), np.empty((m, n + 1), dtype=object)
        p_values[:, :m], p_values[:, m] = b.T, 1
        q_values[:, :n], q_values[:, n] = a, 1
        self.x_labels, self.y_labels = range(m), range(m, m + n)
        self.p = _IntegerTableau(p_values, self.y_labels, self.x_labels)
        self.q = _IntegerTableau(q_values, self.x_labels, self.y_labels)
        self.entering = label
        self.tableau, self.other = (self.p, self.q) if label < m else (self.q, self.p)

    def advance(self, allowed: int) -> str:
        for _ in range(allowed):
            leaving = self.tableau.enter(self.entering)
            self.pivots += 1
            if leaving == self.label:
                self.profile = (self.p.structural_solution(self.x_labels), self.q.structural_solution(self.y_labels))
                return "done"
            self.entering, self.tableau, self.other = leaving, self.other, self.tableau
        return "stopped"


@functools.lru_cache(maxsize=16)
def _zobrist_keys(n_labels: int) -> np.ndarray:
    """``[2, n_labels]`` fixed random keys hashing a basis pair (see :func:`_advance`); read-only, shared."""
    keys = np.random.default_rng(0).integers(np.iinfo(np.int64).min, np.iinfo(np.int64).max, size=(2, n_labels))
    keys.setflags(write=False)
    return keys


def _follow(path: _Path, budget: Budget, spent: int, target: int | None = None) -> str:
    """Advance ``path`` until it ends or has ``target`` pivots (``"stopped"``) or ``budget`` runs out (``"budget"``).

    ``spent``: the pivots of other paths, which count against ``max_iterations`` too.
    """
    if budget.max_iterations is None and budget.max_seconds is None and target is not None:  # one call
        return path.advance(target - path.pivots) if path.pivots < target else "stopped"
    chunk = path.check_every if budget.max_seconds is not None else 2**62
    while target is None or path.pivots < target:
        if budget.exhausted(spent + path.pivots):
            return "budget"
        allowed = chunk if target is None else min(chunk, target - path.pivots)
        if budget.max_iterations is not None:
            allowed = min(allowed, budget.max_iterations - spent - path.pivots)
        status = path.advance(allowed)
        if status != "stopped":
            return status
    return "stopped"


# -- driver -------------------------------------------------------------------------------------------------


def _positive_floats(matrix: np.ndarray) -> np.ndarray:
    """``matrix`` mapped affinely into ``[1, 2]`` (all ones when it is constant)."""
    low = float(matrix.min())
    return 1.0 + (matrix - low) * _scale(low, float(matrix.max()))


class _Payoffs:
    """A game's payoff matrices made positive, each form computed on first use and kept for later paths."""

    __slots__ = ("game", "shape", "_floats", "_integers", "_columns")

    def __init__(self, game: NormalFormGame) -> None:
        self.game = game
        self.shape: tuple[int, int] = game.payoffs.shape[1:]
        self._floats: tuple[np.ndarray, np.ndarray] | None = None
        self._integers: tuple[np.ndarray, np.ndarray] | None = None
        self._columns: tuple[np.ndarray, np.ndarray] | None = None

    def floats(self) -> tuple[np.ndarray, np.ndarray]:
        """``(A, B)`` in ``[1, 2]``."""
        if self._floats is None:
            self._floats = (_positive_floats(self.game.payoffs[0]), _positive_floats(self.game.payoffs[1]))
        return self._floats

    def integers(self) -> tuple[np.ndarray, np.ndarray]:
        """``(A, B)`` as Python ints >= 1 (exact mode)."""
        if self._integers is None:
            exact = self.game.fraction_payoffs()
            self._integers = (_positive_integers(exact[0]), _positive_integers(exact[1]))
        return self._integers

    def new_path(self, label: int, rational: bool) -> _Path:
        """The path dropping ``label`` at its start, on the engine that suits the game."""
        if rational:
            return _ExactPath(*self.integers(), label)
        if _is_dense(*self.shape):
            return _DensePath(self.game.payoffs, label)
        a, b = self.floats()
        if self._columns is None:  # M^T of P and Q, shared by every revised path of this game
            self._columns = (np.ascontiguousarray(b), np.ascontiguousarray(a.T))
        return _RevisedPath(a, b, label, self._columns)


def _is_dense(m: int, n: int) -> bool:
    """Whether float paths of an ``m x n`` game run on the dense tableau rather than the revised form."""
    return m * n <= _DENSE_MAX_ENTRIES


def _as_floats(profile: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(profile[0], dtype=float), np.asarray(profile[1], dtype=float)


class _PathEnd(NamedTuple):
    """How one followed path (with its exact fallback) ended."""

    status: str  # as _follow's
    pivots: int  # over both attempts
    profile: tuple[np.ndarray, np.ndarray] | None  # the equilibrium, floats unless exact was asked for
    evaluation: tuple[np.ndarray, np.float64] | None  # see _Path.evaluation


def _one_path(payoffs: _Payoffs, label: int, budget: Budget, spent: int, rational: bool, *, fallback: bool = True
              ) -> _PathEnd:
    """Follow the path that drops ``label``.

    With ``fallback``, a float path stopped by round-off is followed again in exact arithmetic (its pivots are
    added, its profile converted to floats).
    """
    path = payoffs.new_path(label, rational)
    status = _follow(path, budget, spent)
    if status != "numerical" or not fallback:
        return _PathEnd(status, path.pivots, path.profile, path.evaluation)
    exact = payoffs.new_path(label, True)
    status = _follow(exact, budget, spent + path.pivots)
    profile = None if exact.profile is None else _as_floats(exact.profile)
    return _PathEnd(status, path.pivots + exact.pivots, profile, None)


def _race(payoffs: _Payoffs, budget: Budget, rational: bool, spent: int = 0, first: _Path | None = None
          ) -> tuple[str, int, _Path | None]:
    """Follow the paths from every label side by side; the first to end wins: ``(status, pivots, winner)``.

    Label 0 first runs alone for ``_RACE_HEAD_START`` pivots per label (so that a short path from label 0, the
    usual case on small games, costs no more than following label 0 alone). Then round ``r = 0, 1, ...`` brings
    every unfinished path, in label order, to ``_RACE_FIRST * 2**r`` pivots. The total work is within a small
    factor of (number of labels) x (the shortest path), which avoids the heavy tail of single path lengths on
    random games. Float paths that round-off stops drop out; when all have, the race is run again exactly.
    ``first``: label 0's path, when it was already started.
    """
    n_labels = sum(payoffs.shape)
    if first is None:
        first = payoffs.new_path(0, rational)
    status = _follow(first, budget, spent, _RACE_HEAD_START * n_labels)
    total = spent + first.pivots
    if status in ("done", "budget"):
        return status, total, first if status == "done" else None
    paths: dict[int, _Path] = {} if status == "numerical" else {0: first}
    dropped = {0} if status == "numerical" else set()
    for round_ in itertools.count():
        target = _RACE_FIRST << round_
        for label in range(n_labels):
            if label in dropped:
                continue
            path = paths.get(label)
            if path is None:
                path = paths[label] = payoffs.new_path(label, rational)
            if path.pivots >= target:
                continue
            before = path.pivots
            status = _follow(path, budget, total - before, target)
            total += path.pivots - before
            if status == "done":
                return status, total, path
            if status == "budget":
                return status, total, None
            if status == "numerical":
                dropped.add(label)
                del paths[label]
        if len(dropped) == n_labels:  # round-off stopped every float path
            return _race(payoffs, budget, True, total)
    raise AssertionError("unreachable")  # pragma: no cover


# Engines whose compiled code is known to be loaded, by (dense engine, payoffs C-contiguous): a small solve then pays
# a set lookup instead of ensure_compiled's typing of every argument (a tenth of a 10 x 10 solve). A game's payoffs
# are read-only float64 (NormalFormGame), so their layout is all that varies.
_LOADED: set[tuple[bool, bool]] = set()


def _compiled(game: NormalFormGame, budget: Budget) -> Compilation:
    """Load (or have compiled, within what is left of the time budget) the float engine's kernels for ``game``.

    The first compilation of the pivoting loops takes tens of seconds, which a compiled call cannot interrupt:
    :func:`equilibria.core.compiled.ensure_compiled` has another process compile them while this one waits.
    """
    payoffs = game.payoffs
    m, n = payoffs.shape[1:]
    dense = _is_dense(m, n)
    key = (dense, bool(payoffs.flags.c_contiguous))
    if key in _LOADED or numba is None:
        return Compilation(True)
    kernels: list[tuple[Any, tuple[Any, ...]]]
    if dense:
        work, keys, out = _dense_buffers(m, n)
        kernels = [(_dense_solve, (work, keys, payoffs, 0, 1, True, _POLISH_TOL, out))]
    else:  # the walk, and what the Python around it calls (the payoffs' scaling, refactorisation)
        poly = _new_polytope(np.ones((1, 1)), 0, 1)
        kernels = [(_walk_revised, (poly, poly, np.zeros(8, dtype=np.int64), _zobrist_keys(2), 0, 1)),
                   (_scale, (0.0, 1.0)), (_recompute_values, (poly,))]
    timeout = None if budget.max_seconds is None else max(0.0, budget.max_seconds - budget.elapsed())
    compilation = ensure_all_compiled(kernels, timeout)
    if compilation.ready:
        _LOADED.add(key)
    return compilation


def _check_label(label: Any, n_labels: int, caller: str) -> int:
    if isinstance(label, bool) or not isinstance(label, int | np.integer) or not 0 <= label < n_labels:
        raise GameError(f"{caller}: initial_label must be an integer in range({n_labels}), got {label!r}")
    return int(label)


def lemke_howson_solve(
    game: Any,
    *,
    initial_label: int | None = None,
    all_labels: bool = False,
    rational: bool = False,
    max_iterations: int | None = None,
    max_seconds: float | None = None,
) -> SolveResult:
    """One Nash equilibrium of a bimatrix game per Lemke-Howson path (lexicographic pivoting, never cycles).

    Args:
      game: a two-player NormalFormGame with ``m`` row and ``n`` column actions.
      initial_label: the label dropped at the start, in ``range(m + n)``: ``i < m`` is the row player's action
        ``i``, ``m + j`` the column player's action ``j``. None (the default): race the paths from every label and
        return the end of the first to finish (label 0 gets a head start, see :func:`_race`); the result's
        ``parameters["winning_label"]`` says which label it was. Ignored with ``all_labels``.
      all_labels: follow the path from every label (``m + n`` paths) and return the distinct equilibria found.
      rational: exact integer pivoting; profiles are Fractions and certificates exact.
      max_iterations: budget on the total number of pivots (over all paths).
      max_seconds: wall-clock budget.

    Returns:
      A SolveResult (method ``"lemke_howson"``, ``iterations`` = total pivots, profiles ``(x: [m], y: [n])``).
      When the budget runs out the path in progress is abandoned: the equilibria of the paths already completed
      are returned, with ``converged=False``. A float path that round-off stops is redone in exact arithmetic
      (racing: it drops out, and only when every path has, the race is run exactly; see the module docstring);
      for badly conditioned games prefer ``rational=True``.
    """
    caller = "lemke_howson_solve"
    game = require_normal_form(game, "lemke_howson_solve(game)", players=2)
    _, m, n = game.payoffs.shape
    n_labels = m + n
    labels = None if initial_label is None else [_check_label(initial_label, n_labels, caller)]
    if all_labels:
        labels = list(range(n_labels))
    budget = Budget.checked(max_iterations, max_seconds, caller)
    parameters: dict[str, Any] = {"initial_label": initial_label, "all_labels": all_labels, "rational": rational,
                                  "max_iterations": max_iterations, "max_seconds": max_seconds}
    if not rational and (m * n <= _DENSE_MAX_ENTRIES, game.payoffs.flags.c_contiguous) not in _LOADED:
        compilation = _compiled(game, budget)
        if not compilation.ready:  # only with a time budget: the compiled loops are not ready within it
            parameters["stopped_because"] = f"max_seconds={max_seconds:g} reached while compiling: {compilation.note}"
            return nash_result(game, "lemke_howson", [], parameters=parameters, iterations=0, budget=budget,
                               converged=False, rational=rational, complete=False if all_labels else None)
    first, head_start = None, _RACE_HEAD_START * n_labels
    if (labels is None and not rational and max_iterations is None and _is_dense(m, n)
            and (max_seconds is None or head_start <= _TIME_CHECK_EVERY)):
        # The usual end on small games: label 0's head start reaches an equilibrium. It is one compiled call (set-up,
        # pivots, read-out, the metrics layer's evaluation) with no path object around it: on a 10 x 10 game that
        # object's upkeep costs a tenth of the solve. With a time budget, only when the head start is no longer
        # than the pivots between clock checks. A stopped head start goes on in the race; one that round-off
        # spoilt is left to the race (which follows label 0 again and drops or redoes it exactly).
        work, keys, out = buffers = _dense_buffers(m, n)
        status, pivots = _dense_solve(work, keys, game.payoffs, 0, head_start, True, min(_POLISH_TOL, _VERTEX_TOL),
                                      out)
        if status == _DONE:
            parameters["winning_label"] = 0
            return evaluated_result(game, "lemke_howson", *_dense_end(out, m, n), parameters, pivots, budget)
        if status == _STOPPED:
            first = _DensePath(game.payoffs, 0, buffers, pivots)
    payoffs = _Payoffs(game)
    if labels is None:
        _, pivots, winner = _race(payoffs, budget, rational, first=first)
        parameters["winning_label"] = None if winner is None else winner.label
        if winner is None or winner.profile is None:
            parameters["stopped_because"] = budget.stop_reason(pivots)
            return nash_result(game, "lemke_howson", [], parameters=parameters, iterations=pivots, budget=budget,
                               converged=False, rational=rational)
        end = winner.profile
        if isinstance(winner, _ExactPath) and not rational:
            end = _as_floats(end)
        return nash_result(game, "lemke_howson", [end], parameters=parameters, iterations=pivots, budget=budget,
                           rational=rational, evaluations=[winner.evaluation])
    found: list[tuple[np.ndarray, np.ndarray]] = []
    evaluations: list[tuple[np.ndarray, np.float64] | None] = []
    pivots, converged = 0, True
    for label in labels:
        path_end = _one_path(payoffs, label, budget, pivots, rational)
        pivots += path_end.pivots
        if path_end.profile is not None:
            found.append(path_end.profile)
            evaluations.append(path_end.evaluation)
            continue
        converged = False
        if path_end.status == "budget":
            parameters["stopped_because"] = budget.stop_reason(pivots)
            break
        parameters["stopped_because"] = f"the path from label {label} ended without an equilibrium (round-off)"
    distinct = distinct_indices(found)
    return nash_result(game, "lemke_howson", [found[i] for i in distinct], parameters=parameters, iterations=pivots,
                       budget=budget, converged=converged, rational=rational,
                       evaluations=[evaluations[i] for i in distinct], complete=False)


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
    payoffs = _Payoffs(game)
    end = _one_path(payoffs, label, Budget(), 0, rational, fallback=False)
    if end.status == "numerical":  # float round-off stopped the path: count it in exact arithmetic
        end = _one_path(payoffs, label, Budget(), 0, True)
    return end.pivots
