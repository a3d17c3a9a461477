"""Shared pieces of the n-player Nash solvers: compiled action values, pure check, support refinement by Newton.

Conventions (every compiled routine here and in the solvers that use them):

- A game with ``N`` players and ``n_actions = (m_0, ..., m_{N-1})`` reaches compiled code as
  ``payoffs: [N, P]`` (``P = prod(n_actions)``; joint profiles in C order, ``strides[i] = prod(m_{i+1:})``),
  divided by the game's payoff scale (the largest per-player payoff range), so that tolerances are relative to
  unit payoffs. ``offsets: [N + 1]``: ``offsets[i]`` is the first *flat* index of player ``i``'s actions,
  ``M = offsets[N] = sum(n_actions)``; ``player_of: [M]`` the player of each flat index.
- A mixed profile is one flat vector ``x: [M]`` (player ``i``'s strategy is ``x[offsets[i]:offsets[i + 1]]``);
  action values likewise ``values: [M]``, ``values[offsets[i] + a] = v_i(a; x_-i)``.
- Compiled routines are leaves (:mod:`equilibria.core.compiled`): they allocate nothing (every buffer is an
  argument), so they run without numba's reference counting; without numba they run as plain Python.
- ``deadline``: a value of :func:`equilibria.core.compiled.leaf_clock` (nanoseconds) after which the long
  routines (:func:`refine`, :func:`newton_on_support`) give up and return what they have; 0: no deadline.

Refinement (:func:`refine`): an approximate equilibrium ``x`` suggests supports; on a support the Nash
indifference conditions (per player: the support actions have equal values, the probabilities sum to one; a
polynomial system for three or more players, linear for two) are solved by Newton's method started at ``x``
(only the joint profiles inside the support enter: the others have probability zero). A solution with a negative
probability loses that action; a non-negative one that some player can improve on gains that player's best
reply; the lowest max regret wins. This is a local search over supports started from ``x``: it finds the
equilibrium ``x`` approximates once ``x`` is close enough, and is tried again from better ``x``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from equilibria.core.compiled import jit_leaf, leaf_clock
from equilibria.games.normal_form import MixedProfile

# Newton on the indifference system (payoffs at unit scale, so these are absolute).
NEWTON_ITERATIONS = 12
NEWTON_RESIDUAL = 1e-14
NEWTON_FLOOR = 1e-12  # ... or this, where a step no longer reduces the residual (rounding)
# Newton steps with a singular matrix are least-squares steps damped by this times the largest diagonal entry of
# J^T J (small enough to be a Gauss-Newton step in effect, large enough to keep the normal equations solvable).
LEAST_SQUARES_DAMPING = 1e-10
# A Newton iterate with an entry beyond this has left the neighbourhood of any profile: the support is wrong.
NEWTON_DIVERGED = 1e3
# A solved probability above -this is rounding noise and is clipped to zero.
NEGATIVE_NOISE = 1e-12
# A pivot below this fraction of the largest entry of the matrix makes the Newton matrix count as singular.
SINGULAR_PIVOT = 1e-13
# Supports tried per refinement (the rows of the mask buffer): first guesses and their repairs together.
MAX_SUPPORTS = 16
_RULES = 4  # first guesses (see refine)
_CHAIN = 4  # supports tried from one first guess (the guess and its repairs)

_clock = leaf_clock()


def split_profile(x: np.ndarray, n_actions: Sequence[int]) -> MixedProfile:
    """The per-player strategies (fresh arrays) of a flat profile ``x: [M]``."""
    out, start = [], 0
    for m in n_actions:
        out.append(x[start:start + m].copy())
        start += m
    return tuple(out)


def flatten_profile(profile: Sequence[np.ndarray]) -> np.ndarray:
    return np.concatenate([np.asarray(s, dtype=float) for s in profile])


def _past(deadline: int) -> bool:
    """Whether ``deadline`` (a :func:`~equilibria.core.compiled.leaf_clock` value, 0: none) has passed."""
    return deadline > 0 and _clock() > deadline


# --------------------------------------------------------------------------------------------------------------
# Compiled routines


past = jit_leaf(_past, inline=True)


@jit_leaf
def set_up(raw: np.ndarray, n_actions: np.ndarray, payoffs: np.ndarray, offsets: np.ndarray, strides: np.ndarray,
           player_of: np.ndarray) -> float:
    """Fill ``payoffs`` (``raw: [N, P]`` less each player's lowest payoff, divided by the scale), ``offsets``,
    ``strides``, ``player_of``; return the scale (the largest per-player payoff range, 1 when all are constant).

    Neither the shift (per player) nor the scale (common) changes regrets beyond dividing them by the scale; the
    shift keeps values near unit size, so that rounding stays at unit level whatever the payoffs' offset.
    """
    n, count = raw.shape[0], raw.shape[1]
    scale = 0.0
    for i in range(n):
        low = high = raw[i, 0]
        for p in range(count):
            low = min(low, raw[i, p])
            high = max(high, raw[i, p])
        scale = max(scale, high - low)
    if not scale > 0.0:
        scale = 1.0
    for i in range(n):
        low = raw[i, 0]
        for p in range(count):
            low = min(low, raw[i, p])
        for p in range(count):
            payoffs[i, p] = (raw[i, p] - low) / scale
    offsets[0] = 0
    for i in range(n):
        offsets[i + 1] = offsets[i] + n_actions[i]
        for k in range(offsets[i], offsets[i + 1]):
            player_of[k] = i
    strides[n - 1] = 1
    for i in range(n - 2, -1, -1):
        strides[i] = strides[i + 1] * n_actions[i + 1]
    return scale


@jit_leaf
def first_pure_equilibrium(payoffs: np.ndarray, offsets: np.ndarray, strides: np.ndarray,
                           actions: np.ndarray) -> int:
    """The C-order index of the first joint profile at which every player's payoff is a best one, or -1."""
    n = offsets.shape[0] - 1
    for i in range(n):
        actions[i] = 0
    for p in range(payoffs.shape[1]):
        equilibrium = True
        for i in range(n):
            own = payoffs[i, p]
            first = p - actions[i] * strides[i]
            for b in range(offsets[i + 1] - offsets[i]):
                if payoffs[i, first + b * strides[i]] > own:
                    equilibrium = False
                    break
            if not equilibrium:
                break
        if equilibrium:
            return p
        i = n - 1
        while i >= 0:
            actions[i] += 1
            if actions[i] < offsets[i + 1] - offsets[i]:
                break
            actions[i] = 0
            i -= 1
    return -1


@jit_leaf
def best_replies_to_uniform(payoffs: np.ndarray, offsets: np.ndarray, strides: np.ndarray, x: np.ndarray,
                            values: np.ndarray, cursor: np.ndarray, prefix: np.ndarray) -> None:
    """``x[:] =`` the pure profile of every player's first best reply to uniform play by the others.
    ``values: [M]``, ``cursor: [N]``, ``prefix: [N + 1]``: work space."""
    n = offsets.shape[0] - 1
    for i in range(n):
        m = offsets[i + 1] - offsets[i]
        for k in range(offsets[i], offsets[i + 1]):
            x[k] = 1.0 / m
    action_values(payoffs, offsets, strides, x, values, cursor, prefix)
    for i in range(n):
        top = offsets[i]
        for k in range(offsets[i], offsets[i + 1]):
            if values[k] > values[top]:
                top = k
        for k in range(offsets[i], offsets[i + 1]):
            x[k] = 1.0 if k == top else 0.0


@jit_leaf
def _next_positive(x: np.ndarray, first: int, last: int, k: int) -> int:
    """The first flat index ``>= k`` (and ``< last``) with positive probability, else ``last``."""
    while k < last and not x[k] > 0.0:
        k += 1
    return k


@jit_leaf
def action_values(payoffs: np.ndarray, offsets: np.ndarray, strides: np.ndarray, x: np.ndarray,
                  values: np.ndarray, actions: np.ndarray, prefix: np.ndarray) -> None:
    """``values[:] = v(x)``: every action's expected payoff against the other players' strategies in ``x``.

    For each player ``i`` an odometer runs over the others' actions *with positive probability* (so sparse
    profiles cost less), carrying the product of their probabilities as prefix products; each step adds that
    weight times the payoff row of ``i``'s actions. ``actions: [N]`` (flat indices), ``prefix: [N + 1]``:
    work space.
    """
    n = offsets.shape[0] - 1
    for k in range(offsets[n]):
        values[k] = 0.0
    for i in range(n):
        m_i, stride_i, row = offsets[i + 1] - offsets[i], strides[i], offsets[i]
        base = 0
        prefix[0] = 1.0
        empty = False
        for k in range(n):
            if k == i:
                actions[k] = offsets[k]
                prefix[k + 1] = prefix[k]
                continue
            actions[k] = _next_positive(x, offsets[k], offsets[k + 1], offsets[k])
            if actions[k] == offsets[k + 1]:  # no positive probability (not a profile): no weight anywhere
                empty = True
                break
            base += (actions[k] - offsets[k]) * strides[k]
            prefix[k + 1] = prefix[k] * x[actions[k]]
        while not empty:
            weight = prefix[n]
            if weight != 0.0:
                for a in range(m_i):
                    values[row + a] += weight * payoffs[i, base + a * stride_i]
            # advance the odometer over the other players, the last one fastest
            k = n - 1
            while k >= 0:
                if k != i:
                    old = actions[k]
                    actions[k] = _next_positive(x, offsets[k], offsets[k + 1], old + 1)
                    if actions[k] < offsets[k + 1]:
                        base += (actions[k] - old) * strides[k]
                        break
                    actions[k] = _next_positive(x, offsets[k], offsets[k + 1], offsets[k])
                    base += (actions[k] - old) * strides[k]
                k -= 1
            if k < 0:
                break
            for l in range(k, n):
                prefix[l + 1] = prefix[l] if l == i else prefix[l] * x[actions[l]]


@jit_leaf
def regrets(offsets: np.ndarray, x: np.ndarray, values: np.ndarray, out: np.ndarray, best: np.ndarray) -> float:
    """``out[i]``: player ``i``'s regret at ``x`` given the action values; ``best[i]``: its first best action
    (flat index). Returns the max regret."""
    n = offsets.shape[0] - 1
    worst = 0.0
    for i in range(n):
        top = values[offsets[i]]
        arg = offsets[i]
        current = 0.0
        for k in range(offsets[i], offsets[i + 1]):
            current += x[k] * values[k]
            if values[k] > top:
                top = values[k]
                arg = k
        out[i] = top - current
        best[i] = arg
        if out[i] > worst:
            worst = out[i]
    return worst


@jit_leaf
def support_jacobian(payoffs: np.ndarray, offsets: np.ndarray, strides: np.ndarray, player_of: np.ndarray,
                     support: np.ndarray, starts: np.ndarray, x: np.ndarray, values: np.ndarray,
                     jacobian: np.ndarray, cursor: np.ndarray, prefix: np.ndarray, suffix: np.ndarray) -> None:
    """Values and ``d values[k] / d x[l]`` for ``k``, ``l`` in the support, from the joint profiles inside it.

    ``support[starts[i]:starts[i + 1]]``: player ``i``'s support (flat indices); ``x`` is zero off the support,
    so only joint profiles inside it carry weight. For players ``i < j`` the product of everyone else's
    probabilities is ``prefix[i] * middle * suffix[j + 1]``. ``cursor: [N]`` (positions in ``support``),
    ``prefix, suffix: [N + 1]``: work space. Entries outside the support rows and columns are not touched.
    """
    n = offsets.shape[0] - 1
    length = starts[n]
    for r in range(length):
        values[support[r]] = 0.0
        for c in range(length):
            jacobian[support[r], support[c]] = 0.0
    p = 0
    for i in range(n):
        cursor[i] = starts[i]
        p += (support[starts[i]] - offsets[i]) * strides[i]
    prefix[0] = 1.0
    suffix[n] = 1.0
    while True:
        for i in range(n):
            prefix[i + 1] = prefix[i] * x[support[cursor[i]]]
        for i in range(n - 1, -1, -1):
            suffix[i] = suffix[i + 1] * x[support[cursor[i]]]
        for i in range(n):
            k = support[cursor[i]]
            values[k] += payoffs[i, p] * prefix[i] * suffix[i + 1]
            middle = 1.0
            for j in range(i + 1, n):
                l = support[cursor[j]]
                others = prefix[i] * middle * suffix[j + 1]
                jacobian[k, l] += payoffs[i, p] * others
                jacobian[l, k] += payoffs[j, p] * others
                middle *= x[l]
        i = n - 1
        while i >= 0:
            old = support[cursor[i]]
            cursor[i] += 1
            if cursor[i] < starts[i + 1]:
                p += (support[cursor[i]] - old) * strides[i]
                break
            cursor[i] = starts[i]
            p += (support[cursor[i]] - old) * strides[i]
            i -= 1
        if i < 0:
            return


@jit_leaf
def support_residual(payoffs: np.ndarray, offsets: np.ndarray, strides: np.ndarray, support: np.ndarray,
                     starts: np.ndarray, x: np.ndarray, values: np.ndarray, cursor: np.ndarray,
                     prefix: np.ndarray, suffix: np.ndarray) -> float:
    """The largest entry of the indifference system's residual at ``x`` (as :func:`support_jacobian`, values
    only): per player ``|sum - 1|`` and the value differences to the first support action."""
    n = offsets.shape[0] - 1
    for r in range(starts[n]):
        values[support[r]] = 0.0
    p = 0
    for i in range(n):
        cursor[i] = starts[i]
        p += (support[starts[i]] - offsets[i]) * strides[i]
    prefix[0] = 1.0
    suffix[n] = 1.0
    while True:
        for i in range(n):
            prefix[i + 1] = prefix[i] * x[support[cursor[i]]]
        for i in range(n - 1, -1, -1):
            suffix[i] = suffix[i + 1] * x[support[cursor[i]]]
        for i in range(n):
            values[support[cursor[i]]] += payoffs[i, p] * prefix[i] * suffix[i + 1]
        i = n - 1
        while i >= 0:
            old = support[cursor[i]]
            cursor[i] += 1
            if cursor[i] < starts[i + 1]:
                p += (support[cursor[i]] - old) * strides[i]
                break
            cursor[i] = starts[i]
            p += (support[cursor[i]] - old) * strides[i]
            i -= 1
        if i < 0:
            break
    residual = 0.0
    for i in range(n):
        total = -1.0
        first = values[support[starts[i]]]
        for r in range(starts[i], starts[i + 1]):
            total += x[support[r]]
            residual = max(residual, abs(values[support[r]] - first))
        residual = max(residual, abs(total))
    return residual


@jit_leaf
def solve_in_place(matrix: np.ndarray, rhs: np.ndarray, size: int) -> bool:
    """Gaussian elimination with partial pivoting on ``matrix[:size, :size] z = rhs[:size]``; ``rhs`` becomes
    ``z``. False when a pivot is below ``SINGULAR_PIVOT`` times the matrix's largest entry."""
    largest = 0.0
    for r in range(size):
        for c in range(size):
            largest = max(largest, abs(matrix[r, c]))
    if not largest > 0.0:
        return False
    for c in range(size):
        pivot = c
        for r in range(c + 1, size):
            if abs(matrix[r, c]) > abs(matrix[pivot, c]):
                pivot = r
        if not abs(matrix[pivot, c]) > SINGULAR_PIVOT * largest:
            return False
        if pivot != c:
            for k in range(c, size):
                matrix[c, k], matrix[pivot, k] = matrix[pivot, k], matrix[c, k]
            rhs[c], rhs[pivot] = rhs[pivot], rhs[c]
        for r in range(c + 1, size):
            factor = matrix[r, c] / matrix[c, c]
            if factor != 0.0:
                for k in range(c + 1, size):
                    matrix[r, k] -= factor * matrix[c, k]
                rhs[r] -= factor * rhs[c]
    for c in range(size - 1, -1, -1):
        total = rhs[c]
        for k in range(c + 1, size):
            total -= matrix[c, k] * rhs[k]
        rhs[c] = total / matrix[c, c]
    return True


@jit_leaf
def _least_squares_step(matrix: np.ndarray, target: np.ndarray, system: np.ndarray, step: np.ndarray,
                        size: int) -> bool:
    """``step[:size]`` minimising ``|matrix z - target|^2 + mu |z|^2`` (a Levenberg-Marquardt step, ``mu`` tiny
    next to ``matrix^T matrix``): for a singular Newton matrix, as at an equilibrium of a degenerate game that is
    not isolated, it moves to the nearest solution of the linearised system. ``system``: work space."""
    largest = 0.0
    for a in range(size):
        for b in range(size):
            total = 0.0
            for r in range(size):
                total += matrix[r, a] * matrix[r, b]
            system[a, b] = total
        largest = max(largest, system[a, a])
        total = 0.0
        for r in range(size):
            total += matrix[r, a] * target[r]
        step[a] = total
    for a in range(size):
        system[a, a] += LEAST_SQUARES_DAMPING * max(largest, 1.0)
    return solve_in_place(system, step, size)


@jit_leaf
def newton_on_support(payoffs: np.ndarray, offsets: np.ndarray, strides: np.ndarray, player_of: np.ndarray,
                      support: np.ndarray, starts: np.ndarray, x: np.ndarray, values: np.ndarray,
                      jacobian: np.ndarray, system: np.ndarray, rhs: np.ndarray, trial: np.ndarray,
                      cursor: np.ndarray, prefix: np.ndarray, suffix: np.ndarray, deadline: int) -> bool:
    """Newton's method on the indifference conditions of ``support`` (see :func:`support_jacobian`), from ``x``.

    ``x: [M]`` is the start (zero off the support) and becomes the solution. True when the residual fell below
    ``NEWTON_RESIDUAL`` (or below ``NEWTON_FLOOR`` where a step no longer reduces it); the solution may still
    have negative entries (the caller checks). Rows in support order: a player's first support action gives the
    sum row, each later one the difference of its value and the first one's. A step that does not reduce the
    residual's largest entry ends the search (a wrong support, or a start too far away: on random games this saves
    most of the time spent on supports that fail, and damping the step instead found no more solutions). Where the
    matrix is singular (the equilibria of a degenerate game need not be isolated) the step is a least-squares one
    (:func:`_least_squares_step`). ``system: [M, M]``, ``rhs, trial: [M]``: work space (``jacobian`` too). Past
    ``deadline`` it gives up (False) before the next iteration: one costs ``O(|support|^3)``, a second on large
    games.
    """
    n = offsets.shape[0] - 1
    size = starts[n]
    for _ in range(NEWTON_ITERATIONS):
        if past(deadline):
            return False
        support_jacobian(payoffs, offsets, strides, player_of, support, starts, x, values, jacobian, cursor, prefix,
                         suffix)
        residual = 0.0
        for i in range(n):
            first = support[starts[i]]
            total = -1.0
            for r in range(starts[i], starts[i + 1]):
                total += x[support[r]]
            rhs[starts[i]] = -total
            residual = max(residual, abs(total))
            for c in range(size):
                system[starts[i], c] = 1.0 if player_of[support[c]] == i else 0.0
            for r in range(starts[i] + 1, starts[i + 1]):
                k = support[r]
                rhs[r] = values[first] - values[k]
                residual = max(residual, abs(rhs[r]))
                for c in range(size):
                    l = support[c]
                    system[r, c] = jacobian[k, l] - jacobian[first, l]
        if residual <= NEWTON_RESIDUAL:
            return True
        for r in range(size):  # keep J and -H (jacobian's storage is rebuilt next iteration)
            trial[r] = rhs[r]
            for c in range(size):
                jacobian[r, c] = system[r, c]
        if not solve_in_place(system, rhs, size) and not _least_squares_step(jacobian, trial, system, rhs, size):
            return False
        for r in range(size):
            trial[support[r]] = x[support[r]] + rhs[r]
        if not support_residual(payoffs, offsets, strides, support, starts, trial, values, cursor, prefix,
                                suffix) < residual:  # NaN fails too
            return residual <= NEWTON_FLOOR  # at the rounding floor already: a solution; else a failure
        for r in range(size):
            x[support[r]] = trial[support[r]]
            if not abs(x[support[r]]) < NEWTON_DIVERGED:
                return False
    return False


@jit_leaf
def _solve_support(payoffs: np.ndarray, offsets: np.ndarray, strides: np.ndarray, player_of: np.ndarray,
                   start: np.ndarray, mesh: float, mask: np.ndarray, work: np.ndarray, values: np.ndarray,
                   jacobian: np.ndarray, system: np.ndarray, rhs: np.ndarray, trial: np.ndarray,
                   support: np.ndarray, starts: np.ndarray, cursor: np.ndarray, prefix: np.ndarray,
                   suffix: np.ndarray, deadline: int) -> int:
    """Newton on the support ``mask`` from ``start`` (restricted, renormalised; support actions below
    ``mesh / 4`` are raised to it). ``work`` holds the solution. Returns -1 when Newton failed, the flat index of
    the most negative probability when there is a real negative one, else ``M`` (``work`` is then a clean
    profile)."""
    n = offsets.shape[0] - 1
    size = offsets[n]
    length = 0
    for i in range(n):
        starts[i] = length
        total = 0.0
        for k in range(offsets[i], offsets[i + 1]):
            work[k] = 0.0
            if mask[k]:
                work[k] = max(start[k], 0.25 * mesh)
                total += work[k]
                support[length] = k
                length += 1
        for k in range(offsets[i], offsets[i + 1]):
            work[k] /= total
    starts[n] = length
    if not newton_on_support(payoffs, offsets, strides, player_of, support, starts, work, values, jacobian, system,
                             rhs, trial, cursor, prefix, suffix, deadline):
        return -1
    lowest = -NEGATIVE_NOISE
    arg = size
    for k in range(size):
        if work[k] < lowest:
            lowest = work[k]
            arg = k
    if arg < size:
        return arg
    for i in range(n):  # clip rounding-level negatives and renormalise
        total = 0.0
        for k in range(offsets[i], offsets[i + 1]):
            work[k] = max(work[k], 0.0)
            total += work[k]
        for k in range(offsets[i], offsets[i + 1]):
            work[k] /= total
    return size


@jit_leaf
def _repeated(masks: np.ndarray, count: int) -> bool:
    """Whether row ``count`` of ``masks`` equals an earlier row."""
    for other in range(count):
        same = True
        for k in range(masks.shape[1]):
            if masks[other, k] != masks[count, k]:
                same = False
                break
        if same:
            return True
    return False


@jit_leaf
def refine(payoffs: np.ndarray, offsets: np.ndarray, strides: np.ndarray, player_of: np.ndarray,
           point: np.ndarray, mesh: float, tol: float, out: np.ndarray, masks: np.ndarray, work: np.ndarray,
           last: np.ndarray, trial: np.ndarray, values: np.ndarray, jacobian: np.ndarray, system: np.ndarray,
           rhs: np.ndarray, support: np.ndarray, starts: np.ndarray, gains: np.ndarray, best: np.ndarray,
           cursor: np.ndarray, prefix: np.ndarray, suffix: np.ndarray, deadline: int) -> float:
    """Solve the indifference conditions on supports that ``point`` suggests; the best solution to ``out``.

    ``point: [M]``: an approximate equilibrium found at grid size ``mesh``. First guesses, per player: the
    actions with probability above ``mesh``; those whose value is within 4, then 16 times the point's max regret
    of the best; those above ``0.05``; an empty support becomes the best action. Each guess is repaired (see the
    module docstring; Newton starts from ``point``, and again from the previous solution when that fails) until
    a support repeats or ``_CHAIN`` supports were tried from it, ``MAX_SUPPORTS`` in all. Returns the lowest max
    regret of a non-negative solution (``out`` holds it) or ``inf`` (``out`` untouched); stops at the first within
    ``tol``, and past ``deadline`` (what it found by then stays). ``masks: [MAX_SUPPORTS, M]``, ``work, last,
    trial, values, rhs, support: [M]``, ``jacobian, system: [M, M]``, ``gains: [N]``, ``best, cursor: [N]``,
    ``starts, prefix, suffix: [N + 1]``: work space.
    """
    n = offsets.shape[0] - 1
    size = offsets[n]
    found = math.inf
    count = 0
    for rule in range(_RULES):
        if count == masks.shape[0]:
            break
        action_values(payoffs, offsets, strides, point, values, cursor, prefix)
        margin = regrets(offsets, point, values, gains, best)
        margin = max((4.0 if rule == 1 else 16.0) * margin, 1e-3 * mesh)
        for k in range(size):
            if rule == 0:
                keep = point[k] > mesh
            elif rule == 1 or rule == 2:
                keep = values[k] >= values[best[player_of[k]]] - margin
            else:
                keep = point[k] > 0.05
            masks[count, k] = 1 if keep else 0
        for i in range(n):
            empty = True
            for k in range(offsets[i], offsets[i + 1]):
                if masks[count, k]:
                    empty = False
            if empty:
                masks[count, best[i]] = 1
        repaired = False
        chain = count + _CHAIN
        while count < min(chain, masks.shape[0]) and not _repeated(masks, count):
            if past(deadline):
                return found
            count += 1
            current = count - 1
            outcome = _solve_support(payoffs, offsets, strides, player_of, point, mesh, masks[current], work, values,
                                     jacobian, system, rhs, trial, support, starts, cursor, prefix, suffix, deadline)
            if outcome < 0 and repaired:
                outcome = _solve_support(payoffs, offsets, strides, player_of, last, mesh, masks[current], work,
                                         values, jacobian, system, rhs, trial, support, starts, cursor, prefix,
                                         suffix, deadline)
            if outcome < 0:
                break
            for k in range(size):
                last[k] = work[k]
            if outcome == size:
                action_values(payoffs, offsets, strides, work, values, cursor, prefix)
                regret = regrets(offsets, work, values, gains, best)
                if regret < found:
                    found = regret
                    for k in range(size):
                        out[k] = work[k]
                if regret <= tol:
                    return found
            if count == min(chain, masks.shape[0]):
                break
            for k in range(size):
                masks[count, k] = masks[current, k]
            repaired = True
            if outcome < size:  # drop the most negative action, unless it is its player's last one
                masks[count, outcome] = 0
                i = player_of[outcome]
                remaining = 0
                for k in range(offsets[i], offsets[i + 1]):
                    remaining += masks[count, k]
                if remaining == 0:
                    break
            else:  # add the best reply of the player with the largest regret
                j = 0
                for i in range(1, n):
                    if gains[i] > gains[j]:
                        j = i
                masks[count, best[j]] = 1
    return found
