"""Compiled fast paths of vertex and support enumeration for nondegenerate bimatrix games (numba, optional).

Imported only inside the solvers' functions; its kernels compile on first use (:mod:`equilibria.core.compiled`).
Without numba :data:`AVAILABLE` is False and the solvers keep their NumPy paths, as they do for a small game
before numba is loaded (:func:`equilibria.core.compiled.prefer_interpreted`). Every kernel *refuses* rather than
guesses: at the first sign that the game is degenerate it stops with :data:`DEGENERATE` and the caller takes its
complete path. Kernels compile with reference counting (they grow their own arrays) and are cached on disk like
the package's other kernels.

**Vertices** (:func:`vertex_pairs`). The best-response polytopes in the equality form of
:mod:`equilibria.solvers.vertex_enumeration` (``M z = 1, z >= 0``, one variable per label, payoffs in ``[1, 2]``)
are searched breadth first from the slack basis. A queued basis carries its tableau in compact (dictionary)
form, ``basis^-1 [M_N | 1]`` over the nonbasic columns only (``[d + 1, k]``, column-major), made by one pivot
from its parent's (``k (d + 1)`` operations instead of a factorisation); bases are deduplicated by their bitmask
in an open-addressing hash set. Nondegeneracy is what makes this walk (plain minimum-ratio test, no lexicographic
rule) and the pairing below complete: then every vertex has exactly one basis, each with all basic values
positive, its neighbours are the d pivots of the ratio test, and two vertices are completely labelled exactly
when their label sets are complements. The kernel checks it at every basis: a basic value ``<= deg_tol`` or a
ratio test with two rows within ``deg_tol`` (relative) of the minimum stops it with :data:`DEGENERATE`. The ratio
test maximises ``column_i / rhs_i`` (one division per row, not per entry). Breadth first keeps every chain of
pivots from the start short (rounding does not build up). Pairs are found by sorting one polytope's masks and
binary-searching the complements of the other's.

**Supports** (:func:`support_equilibria`). All pairs of equal-size supports, rows then columns in lexicographic
order. The column player's indifference system for ``(I, J)`` (``(k + 1) x (k + 1)``, unknowns ``(v, y_J)``) has
its first ``k`` columns fixed by ``I`` and ``J`` less its last action, so those are LU-factored (partial pivoting)
once per prefix and each last action costs one forward and one back substitution (``O(k^2)``, not ``O(k^3)``);
its probability comes first and rejects most pairs before the back substitution. The cheap test (nonnegative
mixture) comes before the best-response test over all actions, and the row player's system (full elimination) is
solved only for pairs that pass. Signs of degeneracy stop it: a pivot below ``deg_tol`` (a singular or nearly
singular system), a support probability within ``deg_tol`` of zero, or an action outside the support within
``deg_tol`` of the best payoff on a candidate that passes every other test.

Status codes (the first value every kernel returns): :data:`DONE`, :data:`STOPPED` (the budget: ``max_steps``
bases or support pairs, or the monotonic clock past ``deadline_ns`` when that is positive), :data:`DEGENERATE`,
:data:`FULL` (the vertex search's queue of tableaux would pass ``max_bytes``), :data:`UNRESOLVED` (the game fails
:func:`~equilibria.solvers._common.float_resolves`, checked first with the same arithmetic: the caller's exact route).

Both entry points take the game's payoffs ``[2, m, n]`` as they are, do the solvers' affine scaling themselves (the
same expressions, so the same numbers) and end with the metrics layer's compiled evaluation
(:func:`equilibria.metrics.regret.bimatrix_evaluation`) of each returned profile on the original payoffs, in the same
call, for ``solvers._common.nash_result(evaluations=...)``: on small games a chain of NumPy calls per profile would
cost more than the enumeration.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from equilibria.core.compiled import NUMBA_INSTALLED, jit, leaf_clock
from equilibria.metrics.regret import PROFILE_TOL, bimatrix_kernel
from equilibria.solvers._common import RESOLUTION_TOLS

# Ordered: the kernels test ``status <= STOPPED`` (an answer) and ``status >= DEGENERATE`` (none).
DONE, STOPPED, DEGENERATE, FULL, UNRESOLVED = 0, 1, 2, 3, 4
# Pivot entries at most this (payoffs scaled to unit size) are zeros in the ratio test.
_PIVOT_EPS = 1e-11
# Support pairs / bases between two looks at the clock.
_CLOCK_EVERY = 1024


AVAILABLE = NUMBA_INSTALLED


def _jit(function: Callable[..., Any], inline: bool = False) -> Any:
    # error_model="numpy": divisions without Python's zero check (a branch in every inner loop); the kernels test
    # their divisors themselves.
    return jit(function, inline=inline, error_model="numpy")


_clock = leaf_clock()
_evaluate_bimatrix = bimatrix_kernel()


# -- shared steps ----------------------------------------------------------------------------------------------


def _resolves(matrix: np.ndarray, axis: int, tol: float) -> bool:
    """:func:`equilibria.solvers._common.float_resolves` for one matrix: two entries along ``axis`` (0: within a
    column) are equal or at least ``RESOLUTION_TOLS * tol`` times the matrix's range apart."""
    span = matrix.max() - matrix.min()
    lines, length = (matrix.shape[1], matrix.shape[0]) if axis == 0 else (matrix.shape[0], matrix.shape[1])
    if span == 0.0 or length < 2:
        return True
    limit = RESOLUTION_TOLS * tol * span
    line = np.empty(length)
    for c in range(lines):
        for r in range(length):
            line[r] = matrix[r, c] if axis == 0 else matrix[c, r]
        line.sort()
        for r in range(1, length):
            gap = line[r] - line[r - 1]
            if gap > 0 and gap < limit:
                return False
    return True


def _scaled(matrix: np.ndarray, low_value: float) -> np.ndarray:
    """``matrix`` mapped affinely onto ``[low_value, low_value + 1]`` as the solvers' NumPy paths do (the same
    expressions; ``low_value`` everywhere when constant)."""
    low, span = matrix.min(), matrix.max() - matrix.min()
    if span == 0.0:
        return np.full(matrix.shape, low_value)
    if low_value == 0.0:
        return (matrix - low) / span
    return low_value + (matrix - low) / span


def _evaluations(payoffs: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``[E, 5]``: the metrics layer's evaluation of each profile ``(x[e], y[e])`` on ``payoffs``."""
    out = np.empty((x.shape[0], 5))
    for e in range(x.shape[0]):
        _evaluate_bimatrix(payoffs, x[e], y[e], PROFILE_TOL, out[e])
    return out


# -- vertex enumeration ----------------------------------------------------------------------------------------


def _set_insert(table: np.ndarray, key: Any) -> bool:
    """Insert ``key`` (nonzero) into the open-addressing set ``table`` (power-of-two size, 0 = empty); True when
    it was not there."""
    mask = table.size - 1
    slot = (key * 0x5851F42D4C957F2D) >> 20 & mask
    while True:
        current = table[slot]
        if current == 0:
            table[slot] = key
            return True
        if current == key:
            return False
        slot = (slot + 1) & mask


def _grown_set(table: np.ndarray) -> np.ndarray:
    bigger = np.zeros(2 * table.size, dtype=np.int64)
    for key in table:
        if key != 0:
            _set_insert(bigger, key)
    return bigger


def _polytope_vertices(start: np.ndarray, basis0: np.ndarray, nonbasic0: np.ndarray, n_vars: int, lo: int, hi: int,
                       deg_tol: float, max_steps: int, deadline_ns: int,
                       max_bytes: float) -> tuple[int, np.ndarray, np.ndarray, int]:
    """Every vertex of ``{z >= 0 : M z = 1}`` (``n_vars`` variables) from a feasible basis: ``(status, label masks
    [V], values of variables lo..hi-1 [V, hi - lo], V)``.

    Tableaux are kept in compact (dictionary) form, column by column: ``start[c, i]`` is entry ``i`` of the
    column of nonbasic variable ``nonbasic0[c]`` in ``basis^-1 M`` (``[d + 1, k]``, the last column
    ``basis^-1 1``), ``basis0[i]`` the variable basic in row ``i``.
    """
    d_plus, k = start.shape
    d = d_plus - 1
    every = (np.int64(1) << n_vars) - 1
    q_cap = 64
    q_tab = np.empty((q_cap, d_plus, k))
    q_basis = np.empty((q_cap, k), dtype=np.int64)
    q_nonbasic = np.empty((q_cap, d), dtype=np.int64)
    q_tab[0] = start
    q_basis[0] = basis0
    q_nonbasic[0] = nonbasic0
    head, tail = 0, 1
    table = np.zeros(256, dtype=np.int64)
    key0 = np.int64(0)
    for i in range(k):
        key0 |= np.int64(1) << basis0[i]
    _set_insert(table, key0)
    n_keys = 1
    v_cap = 64
    masks = np.empty(v_cap, dtype=np.int64)
    values = np.zeros((v_cap, hi - lo))
    scores = np.empty(k)
    inverse_rhs = np.empty(k)
    count = 0
    status = DONE
    while head < tail:
        if count >= max_steps or (deadline_ns > 0 and count % _CLOCK_EVERY == 0 and _clock() > deadline_ns):
            status = STOPPED
            break
        if tail + d > q_cap:  # room for this basis's children: compact the queue, or grow it
            if head >= q_cap // 2:
                for slot in range(head, tail):
                    for j in range(d_plus):
                        for i in range(k):
                            q_tab[slot - head, j, i] = q_tab[slot, j, i]
                    for i in range(k):
                        q_basis[slot - head, i] = q_basis[slot, i]
                    for j in range(d):
                        q_nonbasic[slot - head, j] = q_nonbasic[slot, j]
                tail -= head
                head = 0
            else:
                if 16.0 * q_cap * d_plus * k > max_bytes:
                    status = FULL
                    break
                new_tab = np.empty((2 * q_cap, d_plus, k))
                new_tab[:q_cap] = q_tab
                new_basis = np.empty((2 * q_cap, k), dtype=np.int64)
                new_basis[:q_cap] = q_basis
                new_nonbasic = np.empty((2 * q_cap, d), dtype=np.int64)
                new_nonbasic[:q_cap] = q_nonbasic
                q_tab, q_basis, q_nonbasic, q_cap = new_tab, new_basis, new_nonbasic, 2 * q_cap
        if 2 * (n_keys + d) > table.size:
            table = _grown_set(table)
        # Plain indices below, no views: a view costs reference counting, more than a row's arithmetic.
        h = head
        head += 1
        key = np.int64(0)
        for i in range(k):
            if q_tab[h, d, i] <= deg_tol:  # a zero basic variable: a degenerate vertex
                return DEGENERATE, masks[:count], values[:count], count
            key |= np.int64(1) << q_basis[h, i]
        if count == v_cap:
            new_masks = np.empty(2 * v_cap, dtype=np.int64)
            new_masks[:v_cap] = masks
            new_values = np.zeros((2 * v_cap, hi - lo))
            new_values[:v_cap] = values
            masks, values, v_cap = new_masks, new_values, 2 * v_cap
        masks[count] = every ^ key
        for i in range(k):
            var = q_basis[h, i]
            if lo <= var < hi:
                values[count, var - lo] = q_tab[h, d, i]
        count += 1
        # The minimum ratio rhs_i / column_i over positive entries is the maximum of column_i / rhs_i (rhs > 0):
        # one division per row instead of one per entry.
        for i in range(k):
            inverse_rhs[i] = 1.0 / q_tab[h, d, i]
        for c in range(d):
            top = 0.0
            for i in range(k):  # branch-free, so that it vectorises
                entry = q_tab[h, c, i]
                score = entry * inverse_rhs[i] if entry > _PIVOT_EPS else 0.0
                scores[i] = score
                top = max(top, score)
            if top == 0.0:  # no pivot row (a bounded polytope always has one: rounding)
                return DEGENERATE, masks[:count], values[:count], count
            # rows whose ratio is within deg_tol (relative) of the minimum 1 / top: a tie, a degenerate neighbour
            best_ratio = 1.0 / top
            limit = best_ratio + deg_tol * (1.0 + best_ratio)
            best, ties = -1, 0
            for i in range(k):
                if scores[i] * limit >= 1.0:
                    best = i
                    ties += 1
            if ties != 1:
                return DEGENERATE, masks[:count], values[:count], count
            entering, leaving = q_nonbasic[h, c], q_basis[h, best]
            child = key ^ (np.int64(1) << entering) ^ (np.int64(1) << leaving)
            if not _set_insert(table, child):
                continue
            n_keys += 1
            t = tail
            tail += 1
            inverse = 1.0 / q_tab[h, c, best]
            for j in range(d_plus):
                if j == c:
                    continue
                factor = q_tab[h, j, best] * inverse
                for i in range(k):
                    q_tab[t, j, i] = q_tab[h, j, i] - q_tab[h, c, i] * factor
                q_tab[t, j, best] = factor
            for i in range(k):
                q_tab[t, c, i] = -q_tab[h, c, i] * inverse
            q_tab[t, c, best] = inverse
            for i in range(k):
                q_basis[t, i] = q_basis[h, i]
            q_basis[t, best] = entering
            for j in range(d):
                q_nonbasic[t, j] = q_nonbasic[h, j]
            q_nonbasic[t, c] = leaving
    return status, masks[:count], values[:count], count


def _vertex_pairs(payoffs: np.ndarray, tol: float, deg_tol: float, max_steps: int, deadline_ns: int,
                  max_bytes: float) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, int]:
    """``(status, x [E, m], y [E, n], evaluations [E, 5], bases visited)``: the equilibria of the nondegenerate
    game ``payoffs`` (``[2, m, n]``), one per completely labelled vertex pair, normalised."""
    m, n = payoffs.shape[1], payoffs.shape[2]
    if not (_resolves(payoffs[0], 0, tol) and _resolves(payoffs[1], 1, tol)):
        return UNRESOLVED, np.empty((0, m)), np.empty((0, n)), np.empty((0, 5)), 0
    a, b = _scaled(payoffs[0], 1.0), _scaled(payoffs[1], 1.0)
    n_vars = m + n
    # Compact tableaux at the slack bases: P's columns are x's (B^T's columns: the rows of b), Q's are y's.
    p_start = np.ones((m + 1, n))
    p_start[:m] = b
    q_start = np.ones((n + 1, m))
    q_start[:n] = a.T
    p_status, p_masks, x_values, p_count = _polytope_vertices(p_start, np.arange(m, n_vars), np.arange(m), n_vars,
                                                              0, m, deg_tol, max_steps, deadline_ns, max_bytes)
    status = p_status
    q_count = 0
    q_masks = np.empty(0, dtype=np.int64)
    y_values = np.empty((0, n))
    if p_status <= STOPPED:  # DONE or STOPPED: what was found so far counts
        q_status, q_masks, y_values, q_count = _polytope_vertices(q_start, np.arange(m), np.arange(m, n_vars),
                                                                  n_vars, m, n_vars, deg_tol,
                                                                  max(0, max_steps - p_count), deadline_ns,
                                                                  max_bytes)
        if q_status != DONE:
            status = q_status
    visited = p_count + q_count
    if status >= DEGENERATE:  # DEGENERATE or FULL
        return status, np.empty((0, m)), np.empty((0, n)), np.empty((0, 5)), visited
    order = np.argsort(q_masks)
    sorted_q = q_masks[order]
    every = (np.int64(1) << n_vars) - 1
    row_labels = (np.int64(1) << m) - 1
    column_labels = every ^ row_labels
    found = np.empty((p_count, 2), dtype=np.int64)
    n_found = 0
    for p in range(p_count):
        mask = p_masks[p]
        if mask & row_labels == row_labels:  # x = 0
            continue
        want = every ^ mask
        if want & column_labels == column_labels:  # y = 0
            continue
        at = np.searchsorted(sorted_q, want)
        if at < q_count and sorted_q[at] == want:
            found[n_found, 0] = p
            found[n_found, 1] = order[at]
            n_found += 1
    x = np.empty((n_found, m))
    y = np.empty((n_found, n))
    for f in range(n_found):
        x[f] = x_values[found[f, 0]] / x_values[found[f, 0]].sum()
        y[f] = y_values[found[f, 1]] / y_values[found[f, 1]].sum()
    return status, x, y, _evaluations(payoffs, x, y), visited


# -- support enumeration ---------------------------------------------------------------------------------------


def _solve_mixture(payoff: np.ndarray, own: np.ndarray, other: np.ndarray, k: int, work: np.ndarray,
                   out: np.ndarray, deg_tol: float) -> int:
    """Solve ``payoff[own, other] z - v 1 = 0, 1^T z = 1`` for ``(z [k], v)`` into ``out[:k + 1]``, by Gaussian
    elimination with partial pivoting on ``work`` (``[>= k + 1, >= k + 2]``): 1 solved, 0 singular (a pivot
    below ``deg_tol``)."""
    size = k + 1
    for r in range(k):
        for c in range(k):
            work[r, c] = payoff[own[r], other[c]]
        work[r, k] = -1.0
        work[r, size] = 0.0
    for c in range(k):
        work[k, c] = 1.0
    work[k, k] = 0.0
    work[k, size] = 1.0
    for c in range(size):
        pivot_row, largest = c, abs(work[c, c])
        for r in range(c + 1, size):
            if abs(work[r, c]) > largest:
                pivot_row, largest = r, abs(work[r, c])
        if largest <= deg_tol:
            return 0
        if pivot_row != c:
            for j in range(c, size + 1):
                work[c, j], work[pivot_row, j] = work[pivot_row, j], work[c, j]
        for r in range(c + 1, size):
            factor = work[r, c] / work[c, c]
            if factor != 0.0:
                for j in range(c + 1, size + 1):
                    work[r, j] -= factor * work[c, j]
    for c in range(size - 1, -1, -1):
        total = work[c, size]
        for j in range(c + 1, size):
            total -= work[c, j] * out[j]
        out[c] = total / work[c, c]
    return 1


def _best_reply_check(payoff: np.ndarray, own: np.ndarray, other: np.ndarray, k: int, z: np.ndarray,
                      flags: np.ndarray, tol: float, deg_tol: float) -> int:
    """Whether the actions ``own`` are best replies to the mixture ``z`` on ``other``: 1 yes, 0 no, -1 yes but an
    action outside ``own`` ties with them within ``deg_tol`` (degenerate). ``flags`` marks ``own`` (set here)."""
    n_own = payoff.shape[0]
    flags[:] = 0
    for r in range(k):
        flags[own[r]] = 1
    low = np.inf
    for r in range(k):
        value = 0.0
        for c in range(k):
            value += payoff[own[r], other[c]] * z[c]
        low = min(low, value)
    verdict = 1
    for i in range(n_own):
        if flags[i]:
            continue
        value = 0.0
        for c in range(k):
            value += payoff[i, other[c]] * z[c]
        if value > low + tol:
            return 0
        if value >= low - deg_tol:
            verdict = -1
    return verdict


def _next_combination(index: np.ndarray, k: int, n: int) -> int:
    """Advance ``index[:k]`` to the next k-subset of ``range(n)`` in lexicographic order: the first position that
    changed, or -1 after the last subset."""
    i = k - 1
    while i >= 0 and index[i] == n - k + i:
        i -= 1
    if i < 0:
        return -1
    index[i] += 1
    for j in range(i + 1, k):
        index[j] = index[j - 1] + 1
    return i


def _factor_prefix(payoff: np.ndarray, own: np.ndarray, other: np.ndarray, k: int, lu: np.ndarray,
                   order: np.ndarray, rhs: np.ndarray, deg_tol: float) -> int:
    """LU-factor (partial pivoting) the first ``k`` columns of the ``(k + 1) x (k + 1)`` indifference system whose
    unknowns are ``(v, z_0, ..., z_{k-1})`` (the value, then the mixture on ``other[:k]``), those fixed by the
    prefix ``other[:k - 1]``: multipliers below the diagonal of ``lu``, U on and above it, the row order in
    ``order``, ``rhs`` = the transformed right-hand side ``e_k``. 1 done, 0 a pivot below ``deg_tol``."""
    for r in range(k + 1):
        order[r] = r
        rhs[r] = 0.0
        lu[r, 0] = -1.0 if r < k else 0.0
        for t in range(1, k):
            lu[r, t] = payoff[own[r], other[t - 1]] if r < k else 1.0
    rhs[k] = 1.0
    for t in range(k):
        pivot_row, largest = t, abs(lu[t, t])
        for r in range(t + 1, k + 1):
            if abs(lu[r, t]) > largest:
                pivot_row, largest = r, abs(lu[r, t])
        if largest <= deg_tol:
            return 0
        if pivot_row != t:
            for u in range(k):
                lu[t, u], lu[pivot_row, u] = lu[pivot_row, u], lu[t, u]
            rhs[t], rhs[pivot_row] = rhs[pivot_row], rhs[t]
            order[t], order[pivot_row] = order[pivot_row], order[t]
        for r in range(t + 1, k + 1):
            factor = lu[r, t] / lu[t, t]
            lu[r, t] = factor
            for u in range(t + 1, k):
                lu[r, u] -= factor * lu[t, u]
            rhs[r] -= factor * rhs[t]
    return 1


def _solve_last(payoff: np.ndarray, own: np.ndarray, other: np.ndarray, k: int, lu: np.ndarray,
                order: np.ndarray, rhs: np.ndarray, w: np.ndarray, z: np.ndarray, out: np.ndarray, tol: float,
                deg_tol: float) -> int:
    """Complete the system of :func:`_factor_prefix` with the last column (action ``other[k - 1]``) and solve it
    into ``out`` (``out[:k]`` the mixture on ``other[:k]``, ``out[k]`` the value): 1 solved, 0 singular (last
    pivot below ``deg_tol``), 2 rejected early (the last action's probability is below ``-tol``)."""
    last = other[k - 1]
    for r in range(k + 1):
        w[r] = 1.0 if order[r] == k else payoff[own[order[r]], last]
    for t in range(k):
        for r in range(t + 1, k + 1):
            w[r] -= lu[r, t] * w[t]
    if abs(w[k]) <= deg_tol:
        return 0
    z_last = rhs[k] / w[k]
    if z_last < -tol:
        return 2
    for t in range(k - 1, -1, -1):
        total = rhs[t] - w[t] * z_last
        for u in range(t + 1, k):
            total -= lu[t, u] * z[u]
        z[t] = total / lu[t, t]
    for t in range(1, k):
        out[t - 1] = z[t]
    out[k - 1] = z_last
    out[k] = z[0]
    return 1


def _support_equilibria(payoffs: np.ndarray, tol: float, deg_tol: float, max_steps: int,
                        deadline_ns: int) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, int]:
    """``(status, x [E, m], y [E, n], evaluations [E, 5], support pairs examined)`` for the game ``payoffs``
    (``[2, m, n]``): every equilibrium with supports of equal size."""
    m, n = payoffs.shape[1], payoffs.shape[2]
    if not (_resolves(payoffs[0], 0, tol) and _resolves(payoffs[1], 1, tol)):
        return UNRESOLVED, np.empty((0, m)), np.empty((0, n)), np.empty((0, 5)), 0
    a = _scaled(payoffs[0], 0.0)
    b_t = np.ascontiguousarray(_scaled(payoffs[1], 0.0).T)
    top = max(m, n) + 2
    work = np.empty((top, top + 1))
    y_sol = np.empty(top)
    x_sol = np.empty(top)
    flags = np.empty(max(m, n), dtype=np.int64)
    rows = np.empty(max(m, n), dtype=np.int64)
    cols = np.empty(max(m, n), dtype=np.int64)
    cap = 16
    xs = np.zeros((cap, m))
    ys = np.zeros((cap, n))
    count = 0
    pairs = 0
    lu = np.empty((top, top))
    order = np.empty(top, dtype=np.int64)
    rhs = np.empty(top)
    w = np.empty(top)
    z = np.empty(top)
    for k in range(1, min(m, n) + 1):
        for i in range(k):
            rows[i] = i
        more_rows = True
        while more_rows:
            for j in range(k):
                cols[j] = j
            changed = -1  # factor the first prefix
            while True:
                if pairs >= max_steps or (deadline_ns > 0 and pairs % _CLOCK_EVERY == 0
                                          and _clock() > deadline_ns):
                    return STOPPED, xs[:count], ys[:count], _evaluations(payoffs, xs[:count], ys[:count]), pairs
                pairs += 1
                # The column player's mixture: the system's first k columns depend on cols[:k - 1] only.
                if changed < k - 1 and not _factor_prefix(a, rows, cols, k, lu, order, rhs, deg_tol):
                    return DEGENERATE, xs[:0], ys[:0], np.empty((0, 5)), pairs
                verdict = _solve_last(a, rows, cols, k, lu, order, rhs, w, z, y_sol, tol, deg_tol)
                if verdict == 0:
                    return DEGENERATE, xs[:0], ys[:0], np.empty((0, 5)), pairs
                low = y_sol[:k].min() if verdict == 1 else -np.inf
                if low >= -tol:
                    if low <= deg_tol:
                        return DEGENERATE, xs[:0], ys[:0], np.empty((0, 5)), pairs
                    y_verdict = _best_reply_check(a, rows, cols, k, y_sol, flags, tol, deg_tol)
                    if y_verdict != 0:
                        if not _solve_mixture(b_t, cols, rows, k, work, x_sol, deg_tol):
                            return DEGENERATE, xs[:0], ys[:0], np.empty((0, 5)), pairs
                        low = x_sol[:k].min()
                        if low >= -tol:
                            if low <= deg_tol:
                                return DEGENERATE, xs[:0], ys[:0], np.empty((0, 5)), pairs
                            x_verdict = _best_reply_check(b_t, cols, rows, k, x_sol, flags, tol, deg_tol)
                            if x_verdict != 0:
                                if x_verdict < 0 or y_verdict < 0:
                                    return DEGENERATE, xs[:0], ys[:0], np.empty((0, 5)), pairs
                                if count == cap:
                                    new_xs = np.zeros((2 * cap, m))
                                    new_xs[:cap] = xs
                                    new_ys = np.zeros((2 * cap, n))
                                    new_ys[:cap] = ys
                                    xs, ys, cap = new_xs, new_ys, 2 * cap
                                x_total, y_total = x_sol[:k].sum(), y_sol[:k].sum()
                                for i in range(k):
                                    xs[count, rows[i]] = x_sol[i] / x_total
                                    ys[count, cols[i]] = y_sol[i] / y_total
                                count += 1
                changed = _next_combination(cols, k, n)
                if changed < 0:
                    break
            more_rows = _next_combination(rows, k, m) >= 0
    return DONE, xs[:count], ys[:count], _evaluations(payoffs, xs[:count], ys[:count]), pairs


_resolves = _jit(_resolves)
_scaled = _jit(_scaled)
_evaluations = _jit(_evaluations)
_set_insert = _jit(_set_insert, inline=True)
_grown_set = _jit(_grown_set)
_polytope_vertices = _jit(_polytope_vertices)
_solve_mixture = _jit(_solve_mixture, inline=True)
_best_reply_check = _jit(_best_reply_check, inline=True)
_next_combination = _jit(_next_combination, inline=True)
_factor_prefix = _jit(_factor_prefix, inline=True)
_solve_last = _jit(_solve_last, inline=True)
vertex_pairs = _jit(_vertex_pairs)
support_equilibria = _jit(_support_equilibria)
