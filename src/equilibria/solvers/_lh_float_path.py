"""A float Lemke-Howson path on either engine: the walks, their cycle check, and reading out the final vertex
(conventions: :mod:`._lh_common`).

A walk's state is ``walk: [8] int`` (see :func:`_advance`): the label to enter, the side to pivot (0: P, 1: Q),
the pivots so far and the basis hashes of Brent's cycle check. Both walks return a path status (``_DONE``,
``_STOPPED``, ...). A final vertex ``(z, s)`` of ``s + M z = 1, z, s >= 0`` is accepted when it misses that system
by at most ``_POLISH_TOL``; else it is recomputed from its basis, and one that still misses it by more than
``_VERTEX_TOL`` was spoilt by round-off (the caller then follows the path in exact arithmetic). A strategy is the
vertex's structural part normalised to sum 1.
"""

from __future__ import annotations

import contextlib

import numpy as np

from equilibria.metrics.regret import PROFILE_TOL, bimatrix_kernel
from equilibria.solvers._lh_common import (
    _DONE,
    _GROW,
    _POLISH,
    _REFACTOR,
    _STOPPED,
    _STUCK,
    NUMBA_INSTALLED,
    _jit,
    _jit_inline,
    _jit_leaf,
    _positive,
)
from equilibria.solvers._lh_dense import (
    _TIED,
    _dense_enter,
    _dense_enter_tied,
    _dense_start,
    _dense_views,
    _Tableau,
)
from equilibria.solvers._lh_revised import _REFACTOR_EVERY, _enter, _Polytope, _refactorise

_POLISH_TOL = 1e-12  # a final vertex that misses its system by more is also recomputed from its basis
_VERTEX_TOL = 1e-10  # a final vertex that misses its system by more was spoilt by round-off (exact fallback)


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


_sum = _sum_numpy if not NUMBA_INSTALLED else _jit_leaf(_sum_loops)


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


_vertex_miss = _vertex_miss_numpy if not NUMBA_INSTALLED else _jit_leaf(_vertex_miss_loops)


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
