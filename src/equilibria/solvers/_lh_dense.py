"""Lemke-Howson's float pivoting on the dense compact tableau, for small games (conventions: :mod:`._lh_common`).

A system ``s + M z = 1`` is held as ``B^-1 [G_N | 1]``: the nonbasic variables' columns and, last, the basic
variables' values; its variables are indexed by their labels. Gauss-Jordan pivoting on it (the classical
implementation) costs ``O(rows cols)`` a pivot and stays on the exact path longer than the revised form on badly
conditioned games. A path's two tableaux and its walk state are views of one flat work buffer
(:func:`_dense_views`), so that set-up, pivoting and read-out run in one compiled call that allocates nothing and
so runs as a leaf, without numba's reference counting. Everything here is a leaf or inlined into one.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from equilibria.solvers._lh_common import (
    _PIVOT_TOL,
    _TIE_TOL,
    NUMBA_INSTALLED,
    _interpreted,
    _jit_inline,
    _jit_leaf,
    _min_ratio_numpy,
    _positive,
    _scale,
    _tie_limit,
)

_TIED = -2  # a dense pivot step found several rows with the minimum ratio (see _dense_enter)


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



_layout = _interpreted(_dense_layout)


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


_payoff_scales = _payoff_scales_numpy if not NUMBA_INSTALLED else _jit_leaf(_payoff_scales_loops)


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


if not NUMBA_INSTALLED:
    _dense_ratio_test, _dense_pivot = _dense_ratio_test_numpy, _dense_pivot_numpy
else:
    _dense_ratio_test = _jit_leaf(_dense_ratio_test_loops, inline=True)
    _dense_pivot = _jit_leaf(_dense_pivot_loops, inline=True)



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

