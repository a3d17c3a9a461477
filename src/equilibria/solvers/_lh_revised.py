"""Lemke-Howson's float pivoting in revised form, for large games (conventions: :mod:`._lh_common`).

A basis of one system ``s + M z = 1`` (P: ``M = B^T``; Q: ``M = A``) is the set ``J`` of basic structural
variables and the set ``N`` of rows whose slack is nonbasic (``|J| = |N| = k``); ``B^-1`` is determined by
``W = M[N, J]^-1``, and a pivot updates ``W`` by a bordering, Sherman-Morrison or deletion formula in
``O(rows k + k^2)``. On random games ``k`` (about the support size along the path) stays far below ``cols``: ``W``'s
storage starts with room for ``_FIRST_CAPACITY`` and doubles. ``W`` is recomputed from the payoffs every
``_REFACTOR_EVERY`` pivots. Shapes: ``rows, cols`` are ``M``'s; positions in ``[J, rows]`` index the basic
structurals then the slacks.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from equilibria.solvers._lh_common import (
    _TIE_TOL,
    NUMBA_INSTALLED,
    _jit,
    _min_ratio,
    _ties,
)

_REFACTOR_EVERY = 100  # pivots between recomputations of W from the payoffs

_FIRST_CAPACITY = 4  # the revised form's W starts with room for this many basic structurals, doubling as needed


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


if not NUMBA_INSTALLED:
    _inverse_times, _columns_times, _row_times_inverse = (_inverse_times_numpy, _columns_times_numpy,
                                                         _row_times_inverse_numpy)
else:
    _inverse_times, _columns_times = _jit(_inverse_times_loops), _jit(_columns_times_loops)
    _row_times_inverse = _jit(_row_times_inverse_loops)


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
