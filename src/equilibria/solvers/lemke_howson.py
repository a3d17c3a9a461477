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
tableaux live in two flat buffers, so that set-up, pivoting and read-out of the equilibrium are one compiled call.
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
first path to finish. This is deterministic and costs at most about ``4 (m + n)`` times the shortest path.

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


def _jit_leaf(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` compiled without numba's reference counting: for hot loops that only index arrays.

    Every array a compiled call handles is reference counted with atomic operations, which on small tableaux
    cost more than the pivot's arithmetic; a leaf that allocates nothing needs none of it.
    """
    if numba is None:
        return function
    try:  # "_nrt" is numba's private switch for it: numba only checks options at the first call, so look first
        from numba.core.cpu import CPUTargetOptions
    except ImportError:  # pragma: no cover - depends on the numba version
        return _jit(function)
    if not hasattr(CPUTargetOptions, "_nrt"):  # pragma: no cover - depends on the numba version
        return _jit(function)
    options: dict[str, Any] = {"cache": True, "_nrt": False}
    try:
        return numba.njit(**options)(function)
    except RuntimeError:  # no writable cache directory: compile in memory instead
        return numba.njit(_nrt=False)(function)  # type: ignore[call-overload]


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


def _dense_sizes(m: int, n: int) -> tuple[int, int]:
    """Lengths of the float and int buffers of an ``m x n`` game's dense path (see :func:`_dense_views`)."""
    return n * (m + 1) + m * (n + 1) + 2 * (m + n) + 1, 8 + 7 * (m + n)


@_jit
def _tableau_view(values: np.ndarray, ints: np.ndarray, at: int, scratch: np.ndarray) -> _Tableau:
    rows, cols = values.shape[0], values.shape[1] - 1
    labels = rows + cols
    return _Tableau(values, ints[at: at + rows], ints[at + rows: at + labels], ints[at + labels: at + 2 * labels],
                    ints[at + 2 * labels: at + 3 * labels], ints[at + 3 * labels: at + 3 * labels + rows], scratch)


@_jit
def _dense_views(floats: np.ndarray, ints: np.ndarray, m: int, n: int) -> tuple[_Tableau, _Tableau, np.ndarray]:
    """``(P, Q, walk)`` as views of the buffers.

    floats: P's values (``M = B^T``), Q's values (``M = A``), the shared scratch row; ints: walk, then P's and
    Q's index arrays.
    """
    p_size, q_size = n * (m + 1), m * (n + 1)
    p_values = floats[:p_size].reshape((n, m + 1))
    q_values = floats[p_size: p_size + q_size].reshape((m, n + 1))
    scratch = floats[p_size + q_size:]
    p = _tableau_view(p_values, ints, 8, scratch)
    q = _tableau_view(q_values, ints, 8 + 3 * (m + n) + n, scratch)
    return p, q, ints[:8]


def _payoff_scales_numpy(payoffs: np.ndarray) -> np.ndarray:
    """``[low of A, high - low of A, low of B, high - low of B]`` (``payoffs: [2, m, n]``)."""
    lows, highs = payoffs.min(axis=(1, 2)), payoffs.max(axis=(1, 2))
    return np.array([lows[0], highs[0] - lows[0], lows[1], highs[1] - lows[1]])


def _payoff_scales_loops(payoffs: np.ndarray) -> np.ndarray:
    scales = np.zeros(4)
    for player in range(2):
        flat = payoffs[player].ravel()
        # Four independent minima and maxima: the loop is bound by their dependency chains, not by the loads.
        low0 = low1 = low2 = low3 = high0 = high1 = high2 = high3 = flat[0]
        end = flat.size - flat.size % 4
        for i in range(0, end, 4):
            low0, high0 = min(low0, flat[i]), max(high0, flat[i])
            low1, high1 = min(low1, flat[i + 1]), max(high1, flat[i + 1])
            low2, high2 = min(low2, flat[i + 2]), max(high2, flat[i + 2])
            low3, high3 = min(low3, flat[i + 3]), max(high3, flat[i + 3])
        for i in range(end, flat.size):
            low0, high0 = min(low0, flat[i]), max(high0, flat[i])
        low, high = min(min(low0, low1), min(low2, low3)), max(max(high0, high1), max(high2, high3))
        scales[2 * player], scales[2 * player + 1] = low, high - low
    return scales


_payoff_scales = _payoff_scales_numpy if numba is None else _jit(_payoff_scales_loops)


@_jit_inline
def _positive(value: float, low: float, span: float) -> float:
    """One payoff mapped into ``[1, 2]`` as :func:`_positive_floats` maps it (``span = high - low``)."""
    return 1.0 if span == 0.0 else 1.0 + (value - low) / span


@_jit
def _start_tableau(tableau: _Tableau, payoffs: np.ndarray, low: float, span: float, slack_label: int,
                   structural_label: int) -> None:
    """The artificial vertex (every slack basic) of ``s + M z = 1``; ``payoffs``: ``M`` before the map."""
    rows, cols = payoffs.shape
    values = tableau.values
    for r in range(rows):
        for c in range(cols):
            values[r, c] = _positive(payoffs[r, c], low, span)
        values[r, cols] = 1.0
    tableau.row_of[:] = -1
    tableau.col_of[:] = -1
    for r in range(rows):
        tableau.basic[r] = tableau.slacks[r] = slack_label + r
        tableau.row_of[slack_label + r] = r
    for c in range(cols):
        tableau.nonbasic[c] = structural_label + c
        tableau.col_of[structural_label + c] = c


@_jit
def _dense_start(p: _Tableau, q: _Tableau, walk: np.ndarray, payoffs: np.ndarray, scales: np.ndarray,
                 label: int) -> None:
    """The path dropping ``label`` at the artificial vertex (``payoffs``: the game's ``[2, m, n]``)."""
    m = payoffs.shape[1]
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
    pivot = column[row]
    pivot_row = values[row] / pivot
    values -= np.outer(column, pivot_row)
    # The leaving variable takes over the entering one's column: its unit column e_row, transformed.
    values[:, col] = -column / pivot
    values[row] = pivot_row
    values[row, col] = 1.0 / pivot


def _dense_pivot_loops(values: np.ndarray, row: int, col: int, scratch: np.ndarray) -> None:
    rows, width = values.shape
    pivot = scratch[row]
    for c in range(width):  # the pivot row, divided, goes to scratch[rows: rows + width]
        scratch[rows + c] = values[row, c] / pivot
    for r in range(rows):
        weight = scratch[r]
        if r != row and weight != 0.0:  # zero rows are common in degenerate and sparse games
            for c in range(width):
                values[r, c] -= weight * scratch[rows + c]
    for r in range(rows):
        values[r, col] = -scratch[r] / pivot
    for c in range(width):
        values[row, c] = scratch[rows + c]
    values[row, col] = 1.0 / pivot


if numba is None:
    _dense_ratio_test, _dense_pivot = _dense_ratio_test_numpy, _dense_pivot_numpy
else:
    _dense_ratio_test, _dense_pivot = _jit_leaf(_dense_ratio_test_loops), _jit_leaf(_dense_pivot_loops)


def _sum_numpy(vector: np.ndarray) -> float:
    return float(vector.sum())


def _sum_loops(vector: np.ndarray) -> float:
    """``vector.sum()`` as NumPy computes it, so that compiled read-outs match interpreted ones to the bit.

    NumPy sums pairwise: blocks of at most 128 entries with eight accumulators, halves (rounded to multiples of 8)
    added recursively. The recursion runs on an explicit stack here: numba's disk cache cannot hold recursive
    functions.
    """
    size = vector.size
    if size <= 128:
        return _block_sum(vector, 0, size)
    starts, counts = np.zeros(64, dtype=np.int64), np.zeros(64, dtype=np.int64)
    lefts, right_pending = np.zeros(64), np.zeros(64, dtype=np.bool_)
    starts[0], counts[0], depth, total = 0, size, 1, 0.0
    while depth > 0:
        top = depth - 1
        if counts[top] > 128:  # a fresh inner node: sum its left half first
            half = counts[top] // 2 - (counts[top] // 2) % 8
            starts[depth], counts[depth], right_pending[depth] = starts[top], half, False
            depth += 1
            continue
        total = _block_sum(vector, starts[top], counts[top])
        depth -= 1
        while depth > 0:  # hand the finished sum up: a left half starts its right half, a right half adds up
            parent = depth - 1
            if not right_pending[parent]:
                half = counts[parent] // 2 - (counts[parent] // 2) % 8
                lefts[parent], right_pending[parent] = total, True
                starts[depth], counts[depth], right_pending[depth] = starts[parent] + half, counts[parent] - half, False
                depth += 1
                break
            total = lefts[parent] + total
            depth -= 1
    return total


def _block_sum_loops(vector: np.ndarray, start: int, count: int) -> float:
    """NumPy's sum of at most 128 entries: in order below 8, else eight interleaved accumulators."""
    if count < 8:
        total = 0.0
        for i in range(start, start + count):
            total += vector[i]
        return total
    r0, r1, r2, r3 = vector[start], vector[start + 1], vector[start + 2], vector[start + 3]
    r4, r5, r6, r7 = vector[start + 4], vector[start + 5], vector[start + 6], vector[start + 7]
    end = start + count - count % 8
    for i in range(start + 8, end, 8):
        r0 += vector[i]
        r1 += vector[i + 1]
        r2 += vector[i + 2]
        r3 += vector[i + 3]
        r4 += vector[i + 4]
        r5 += vector[i + 5]
        r6 += vector[i + 6]
        r7 += vector[i + 7]
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for i in range(end, start + count):
        total += vector[i]
    return total


if numba is None:
    _sum, _block_sum = _sum_numpy, _block_sum_loops
else:
    _block_sum = _jit(_block_sum_loops)
    _sum = _jit(_sum_loops)


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


@_jit
def _dense_enter_tied(tableau: _Tableau, label: int) -> int:
    """:func:`_dense_enter` after it returned ``_TIED``: the lexicographic rule picks the row, then the pivot."""
    rows, col, scratch = tableau.values.shape[0], tableau.col_of[label], tableau.scratch
    tied = _ties(scratch[scratch.size - rows:], _ratio_argmin(scratch[scratch.size - rows:]))
    row = _dense_break_tie(tableau, tied, scratch[:rows].copy())
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


_dense_relabel = _jit_leaf(_dense_relabel)
_dense_enter = _jit_leaf(_dense_enter)


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


@_jit
def _walk_dense(p: _Tableau, q: _Tableau, walk: np.ndarray, keys: np.ndarray, label: int, max_pivots: int) -> int:
    """As :func:`_walk_revised`, on dense tableaux."""
    p_values, p_basic, p_nonbasic, p_row_of, p_col_of, _, scratch = p
    q_values, q_basic, q_nonbasic, q_row_of, q_col_of, _, _ = q
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


def _vertex_miss_numpy(payoffs: np.ndarray, low: float, span: float, structural: np.ndarray,
                       slack: np.ndarray) -> float:
    """:func:`_residual` of the vertex ``(z, s)``, ``M`` given before the map into ``[1, 2]`` (NaN: NaN)."""
    matrix = np.ones(payoffs.shape) if span == 0.0 else 1.0 + (payoffs - low) / span
    return _residual(matrix, structural, slack)


def _vertex_miss_loops(payoffs: np.ndarray, low: float, span: float, structural: np.ndarray,
                       slack: np.ndarray) -> float:
    rows, cols = payoffs.shape
    support = np.flatnonzero(structural)  # the zero terms add nothing: M z costs rows x |support| only
    miss = 0.0
    for r in range(rows):
        total = 0.0
        for c in support:
            total += _positive(payoffs[r, c], low, span) * structural[c]
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


_vertex_miss = _vertex_miss_numpy if numba is None else _jit(_vertex_miss_loops)


@_jit
def _dense_vertex(tableau: _Tableau, payoffs: np.ndarray, low: float, span: float, slack_label: int,
                  structural_label: int, accept: float) -> tuple[int, np.ndarray]:
    """The final vertex's structural part, normalised to sum 1, read from the tableau: ``(status, [cols])``.

    ``payoffs``: the system's ``M`` before the map into ``[1, 2]``. ``_DONE`` when the vertex satisfies
    ``s + M z = 1, z, s >= 0`` within ``accept``; ``_POLISH`` when it misses by more (NaN included):
    :func:`_float_strategy` then decides; ``_STUCK`` when ``z`` is 0.
    """
    rows, cols = payoffs.shape
    values = np.zeros(rows + cols)
    for r in range(rows):
        values[tableau.basic[r]] = tableau.values[r, cols]
    structural = values[structural_label: structural_label + cols]
    slack = values[slack_label: slack_label + rows]
    if not _vertex_miss(payoffs, low, span, structural, slack) <= accept:
        return _POLISH, structural
    structural = np.maximum(structural, 0.0)
    total = _sum(structural)
    if not total > 0.0:
        return _STUCK, structural
    return _DONE, structural / total


@_jit
def _dense_solve(floats: np.ndarray, ints: np.ndarray, keys: np.ndarray, payoffs: np.ndarray, scales: np.ndarray,
                 label: int, max_pivots: int, start: bool, accept: float) -> tuple[int, int, np.ndarray, np.ndarray]:
    """Up to ``max_pivots`` pivots of the dense path dropping ``label`` (set up first when ``start``).

    ``payoffs``: the game's ``[2, m, n]``, ``scales``: :func:`_payoff_scales` of them. Returns ``(status, pivots
    so far, x, y)``; ``x, y`` (normalised) only with ``_DONE``. ``_POLISH`` means the path ended but its vertex
    must be read out by :func:`_float_strategy`.
    """
    m, n = payoffs.shape[1], payoffs.shape[2]
    p, q, walk = _dense_views(floats, ints, m, n)
    if start:
        _dense_start(p, q, walk, payoffs, scales, label)
    status = _walk_dense(p, q, walk, keys, label, max_pivots)
    x, y = np.zeros(0), np.zeros(0)
    if status == _DONE:
        x_status, x = _dense_vertex(p, payoffs[1].T, scales[2], scales[3], m, 0, accept)
        y_status, y = _dense_vertex(q, payoffs[0], scales[0], scales[1], 0, m, accept)
        status = max(x_status, y_status)  # _DONE < _STUCK < _POLISH: re-reading the vertex comes first
    return status, walk[2], x, y


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
    """``matrix`` as exact fractions, scaled by their common denominator and shifted to minimum 1 (ints)."""
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

    check_every = _TIME_CHECK_EVERY

    def __init__(self, label: int) -> None:
        self.label = label
        self.pivots = 0
        self.profile: tuple[np.ndarray, np.ndarray] | None = None

    def advance(self, allowed: int) -> str:  # pragma: no cover - every engine overrides it
        raise NotImplementedError


class _DensePath(_Path):
    """Float path on dense tableaux kept in two flat buffers."""

    def __init__(self, payoffs: _Payoffs, label: int) -> None:
        self.label, self.pivots, self.profile = label, 0, None
        self.payoffs = payoffs
        m, n = payoffs.shape
        n_floats, n_ints = _dense_sizes(m, n)
        self.floats, self.ints = np.empty(n_floats), np.empty(n_ints, dtype=np.int64)
        self.keys = _zobrist_keys(m + n)
        self.started = False

    def advance(self, allowed: int) -> str:
        status, pivots, x, y = _dense_solve(self.floats, self.ints, self.keys, self.payoffs.game.payoffs,
                                            self.payoffs.scales(), self.label, allowed, not self.started,
                                            min(_POLISH_TOL, _VERTEX_TOL))
        self.started, self.pivots = True, int(pivots)
        if status == _STOPPED:
            return "stopped"
        if status == _POLISH:
            (m, n), (a, b) = self.payoffs.shape, self.payoffs.floats()
            p, q, _ = _dense_views(self.floats, self.ints, m, n)
            x, y = _float_strategy(p, b.T, m, 0), _float_strategy(q, a, 0, m)
            if x is None or y is None:
                return "numerical"
        elif status != _DONE:
            return "numerical"
        self.profile = (x, y)
        return "done"


class _RevisedPath(_Path):
    """Float path in revised form (``a, b`` in ``[1, 2]``; ``columns``: ``(B, A^T)`` C-contiguous, shared)."""

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
    low, high = float(matrix.min()), float(matrix.max())
    if high == low:
        return np.ones(matrix.shape)
    return 1.0 + (matrix - low) / (high - low)


class _Payoffs:
    """A game's payoff matrices made positive, each form computed on first use and kept for later paths."""

    def __init__(self, game: NormalFormGame) -> None:
        self.game = game
        self.shape: tuple[int, int] = game.payoffs.shape[1:]
        self._floats: tuple[np.ndarray, np.ndarray] | None = None
        self._integers: tuple[np.ndarray, np.ndarray] | None = None
        self._columns: tuple[np.ndarray, np.ndarray] | None = None
        self._scales: np.ndarray | None = None

    def scales(self) -> np.ndarray:
        """:func:`_payoff_scales` of the game (compiled loops for small games, NumPy's vector code for larger)."""
        if self._scales is None:
            payoffs = self.game.payoffs
            self._scales = (_payoff_scales if payoffs.size <= 8192 else _payoff_scales_numpy)(payoffs)
        return self._scales

    def floats(self) -> tuple[np.ndarray, np.ndarray]:
        """``(A, B)`` in ``[1, 2]``."""
        if self._floats is None:
            self._floats = (_positive_floats(self.game.payoffs[0]), _positive_floats(self.game.payoffs[1]))
        return self._floats

    def integers(self) -> tuple[np.ndarray, np.ndarray]:
        """``(A, B)`` as Python ints >= 1 (exact mode)."""
        if self._integers is None:
            self._integers = (_positive_integers(self.game.payoffs[0]), _positive_integers(self.game.payoffs[1]))
        return self._integers

    def new_path(self, label: int, rational: bool) -> _Path:
        """The path dropping ``label`` at its start, on the engine that suits the game."""
        if rational:
            return _ExactPath(*self.integers(), label)
        if self.shape[0] * self.shape[1] <= _DENSE_MAX_ENTRIES:
            return _DensePath(self, label)
        a, b = self.floats()
        if self._columns is None:  # M^T of P and Q, shared by every revised path of this game
            self._columns = (np.ascontiguousarray(b), np.ascontiguousarray(a.T))
        return _RevisedPath(a, b, label, self._columns)


def _as_floats(profile: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(profile[0], dtype=float), np.asarray(profile[1], dtype=float)


def _one_path(payoffs: _Payoffs, label: int, budget: Budget, spent: int, rational: bool, *, fallback: bool = True
              ) -> tuple[str, int, tuple[np.ndarray, np.ndarray] | None]:
    """Follow the path that drops ``label``: ``(status, pivots, equilibrium or None)``.

    With ``fallback``, a float path stopped by round-off is followed again in exact arithmetic (its pivots are
    added, its profile converted to floats).
    """
    path = payoffs.new_path(label, rational)
    status = _follow(path, budget, spent)
    if status != "numerical" or not fallback:
        return status, path.pivots, path.profile
    exact = payoffs.new_path(label, True)
    status = _follow(exact, budget, spent + path.pivots)
    profile = None if exact.profile is None else _as_floats(exact.profile)
    return status, path.pivots + exact.pivots, profile


def _race(payoffs: _Payoffs, budget: Budget, rational: bool, spent: int = 0) -> tuple[str, int, _Path | None]:
    """Follow the paths from every label side by side; the first to end wins: ``(status, pivots, winner)``.

    Label 0 first runs alone for ``_RACE_HEAD_START`` pivots per label (so that a short path from label 0, the
    usual case on small games, costs no more than following label 0 alone). Then round ``r = 0, 1, ...`` brings
    every unfinished path, in label order, to ``_RACE_FIRST * 2**r`` pivots. The total work is within a small
    factor of (number of labels) x (the shortest path), which avoids the heavy tail of single path lengths on
    random games. Float paths that round-off stops drop out; when all have, the race is run again exactly.
    """
    n_labels = sum(payoffs.shape)
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
    n_labels = game.payoffs.shape[1] + game.payoffs.shape[2]
    labels = None if initial_label is None else [_check_label(initial_label, n_labels, caller)]
    if all_labels:
        labels = list(range(n_labels))
    _check_budget(max_iterations, max_seconds, caller)
    budget = Budget(max_iterations=max_iterations, max_seconds=max_seconds)
    payoffs = _Payoffs(game)
    parameters: dict[str, Any] = {"initial_label": initial_label, "all_labels": all_labels, "rational": rational,
                                  "max_iterations": max_iterations, "max_seconds": max_seconds}
    found: list[tuple[np.ndarray, np.ndarray]] = []
    if labels is None:
        _, pivots, winner = _race(payoffs, budget, rational)
        converged = winner is not None
        if winner is not None and winner.profile is not None:
            end = winner.profile
            found.append(_as_floats(end) if isinstance(winner, _ExactPath) and not rational else end)
        parameters["winning_label"] = None if winner is None else winner.label
    else:
        pivots, converged = 0, True
        for label in labels:
            status, used, profile = _one_path(payoffs, label, budget, pivots, rational)
            pivots += used
            if profile is not None:
                found.append(profile)
                continue
            converged = False
            if status == "budget":
                break
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
    payoffs = _Payoffs(game)
    status, pivots, _ = _one_path(payoffs, label, Budget(), 0, rational, fallback=False)
    if status == "numerical":  # float round-off stopped the path: count it in exact arithmetic
        status, pivots, _ = _one_path(payoffs, label, Budget(), 0, True)
    return pivots
