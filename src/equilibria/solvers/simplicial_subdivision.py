"""One Nash equilibrium of an n-player game by simplicial subdivision with restarts, refined by Newton's method.

Maths (van der Laan, Talman and van der Heyden 1987, "Simplicial variable dimension algorithms for solving the
nonlinear complementarity problem on a product of unit simplices using a general labelling"; van der Laan and
Talman 1982 for the product of simplices). Mixed profiles are points ``x`` of the product ``S`` of the players'
simplices (flat vectors ``[M]``, see :mod:`equilibria.solvers._n_player`). A path starts at ``v``. The actions
with probability zero at ``v`` form ``U`` (*unused*); each player's other actions form a cycle, and for such an
action ``h`` of player ``j``, ``q(j, h) = e(j, h) - e(j, h')`` with ``h'`` the action before ``h`` in the cycle.
For a set ``T`` of (player, action) pairs in use that leaves out at least one action of every cycle, the *region*

    A(T) = {v + sum_{(j, h) in T} lambda_jh q(j, h) : lambda >= 0}

is a cone of dimension ``|T|`` with apex ``v``; these cones partition the affine hull of the face of ``S`` where
``U`` has probability zero. Each is triangulated by the Freudenthal triangulation of its ``lambda`` coordinates
with mesh ``d``: a simplex is a base ``lambda = d a`` (``a`` a non-negative integer vector) and an order ``pi`` of
``T``; its vertices are ``y^0`` (the base) and ``y^{s+1} = y^s + d q(pi_s)``.

Labels: a vertex ``y`` in ``S`` is labelled ``(j, h)`` where ``j`` is the player with the largest regret at
``y`` and ``h`` its best action (first of each in index order); a vertex outside ``S`` (the cones leave it) is
labelled ``(j, h)`` with ``y_jh`` its most negative coordinate. A simplex of ``A(T)`` is *T-complete* when its
labels include ``T``; the actions of ``U`` count as labelled from the outset. From the 0-simplex ``{v}`` the path
moves through T-complete simplices: the vertex that repeats a label is replaced (a Freudenthal pivot); a new label
in use and outside ``T`` joins ``T`` (the simplex becomes a facet of a simplex of the larger region); a new label
in ``U`` (an unused action became a best reply) leaves ``U`` and joins both its player's cycle and ``T`` (it
splits the direction of the action after it, ``q_old = q_new + q(j, h)``, so the simplex lies on a hyperplane
``lambda_jh = lambda_after``, which is a face of the finer triangulation); a pivot that would make a ``lambda``
negative instead drops that pair from ``T`` (the facet is a simplex of the lower region). The path ends when a
label completes a player: ``T``, ``U`` and the new label hold every action of some player ``j``.

Why it ends, and where: labels outside ``S`` point back towards ``v`` (``y_jh < 0 <= v_jh``), while in each run
of consecutive actions of ``T_j`` in its cycle the last one, ``h``, has ``y_jh - v_jh = lambda_jh >= 0`` and so is
labelled only inside ``S``: every T-complete simplex touches ``S``, the path stays in a bounded set, never visits
a simplex twice, and ends. At the end every action of ``j`` is a best action of ``j`` (while ``j`` has the largest
regret) at a vertex in ``S``, or has a negative coordinate at a vertex, or is unused and worse than those best
actions; as ``d -> 0`` such simplices shrink to points where all of ``j``'s positive-probability actions are best,
so ``j``'s regret, the largest, is zero: a Nash equilibrium. Starting on a face (``U`` not empty) keeps the
dimension, and so the path, small near equilibria with small supports.

Stages and restarts (as Gambit's ``simpdiv``): the first stage has mesh ``_FIRST_MESH``; each next one starts at
the vertex with the lowest max regret seen so far (its probabilities below the new mesh set to zero, so that they
start in ``U``) with the mesh divided by ``_REFINE_FACTOR``. The supports that the best vertex suggests are
refined by Newton's method on the indifference conditions (:func:`equilibria.solvers._n_player.refine`, a local
search over supports: a heuristic, which the certificate judges) after each stage and whenever the best max regret
halved within a stage; the first solution with max regret at most ``tol`` ends the solve. A vertex whose max
regret is already within ``tol`` ends its stage at once. Below a mesh of ``_MIN_MESH`` a path gives up.

Starts. With ``start`` given there is one path, from there. Otherwise the game's pure equilibria are checked first
(one pass over the payoffs; the first in C order is returned), then the path starts from every player's best reply
to uniform play. Path lengths are heavy-tailed (a path can be drawn towards a point of small but non-zero regret
that no equilibrium is near, and must then be followed at a fine mesh), so after ``_HEAD_START`` label evaluations
per action that path is raced against ``_RACERS - 1`` others from starts drawn with ``seed`` (interior and pure
profiles alternately): in rounds, each round doubling the evaluations every path may have made, until one finds an
answer. This costs at most about ``2 _RACERS`` times the shortest path and is deterministic for a given seed.

The path is one compiled loop (numba, a leaf: it allocates nothing); its state lives in arrays, so paths can be
run in turns. A solve with ``max_seconds`` hands each compiled call the time left: the loop reads a compiled clock
(:func:`equilibria.core.compiled.leaf_clock`) every ``_CLOCK_EVERY`` label evaluations and before each Newton
iteration of a refinement (one iteration on a game with hundreds of actions takes a tenth of a second, a whole
refinement seconds), and returns when the time is up; calls also return every ``_CHUNK`` label evaluations so that
Python checks its own clock too. ``iterations`` in the result is the number of label evaluations (vertices
visited, over all stages and paths).

First use: the compiled loop is loaded from numba's disk cache, or compiled by another process within the time
budget (:func:`equilibria.core.compiled.ensure_compiled`). If it is not ready in time the solve returns without
it: the game's first pure equilibrium when it has one (the answer the compiled loop gives too, found by one
vectorised pass), else the start profile, ``converged=False``.

Why a solve stopped, when it did not converge, is in ``parameters["stopped_because"]``: the time or iteration
budget, every path's mesh below ``_MIN_MESH`` (the grid was refined to the floor without a profile within
``tol``), or the compiled code not being ready.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from equilibria.core.compiled import Compilation, ensure_compiled, interpreted_if, jit_leaf, leaf_clock
from equilibria.core.errors import GameError
from equilibria.core.result import SolveResult
from equilibria.games.normal_form import NormalFormGame
from equilibria.solvers._common import Budget, nash_result, require_normal_form
from equilibria.solvers._n_player import (
    MAX_SUPPORTS,
    action_values,
    best_replies_to_uniform,
    first_pure_equilibrium,
    flatten_profile,
    past,
    refine,
    regrets,
    set_up,
    split_profile,
)

_FIRST_MESH = 0.5  # mesh of the first stage
_REFINE_FACTOR = 2.0  # each restart divides the mesh by this
_MIN_MESH = 1e-12  # below this mesh (profiles are then at rounding level) the solve gives up
_CHUNK = 8192  # label evaluations per compiled call when max_seconds is set (Python checks its clock between)
_CLOCK_EVERY = 16  # label evaluations between two readings of the compiled clock (a reading costs ~30 ns)
_HEAD_START = 64  # label evaluations per action that the first path runs alone before the race starts
_RACERS = 6  # paths raced when the first one is slow (see the module docstring)
_EARLY = 0.5  # during a path, the supports are tried whenever the best max regret fell below this fraction

# istate entries, fstate entries and phases of the compiled loop.
_PHASE, _SIZE, _REMOVE, _NEW, _ITERATIONS, _STAGES, _TRIED = 0, 1, 2, 3, 4, 5, 6
_MESH, _BEST, _FOUND, _SCALE, _REFINED_AT = 0, 1, 2, 3, 4
_SET_UP, _START, _PIVOT, _HANDLE, _REFINE, _DONE, _EXHAUSTED = 0, 1, 2, 3, 4, 5, 6
_STATE = 8  # length of istate and fstate


def _buffers(n: int, size: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The loop's integer and float buffers (see :func:`_run` for their layout)."""
    ints = np.zeros(_STATE + 10 * size + 7 * n + 3 + MAX_SUPPORTS * size, dtype=np.int64)
    floats = np.zeros(_STATE + 9 * size + 3 * n + 2 + 2 * size * size + n * count)
    return ints, floats


@jit_leaf
def _vertex(previous: np.ndarray, v: np.ndarray, mesh: float, pairs: np.ndarray, base: np.ndarray,
            order: np.ndarray, size: int, index: int, shift: np.ndarray, y: np.ndarray) -> None:
    """``y[:] =`` vertex ``index`` of the current simplex: ``v + mesh * sum_s lambda_s q(pairs[s])``.

    ``pairs[:size]``: the flat indices of ``T``; ``base[:size]``: the integer base ``a``; ``order[:size]``:
    ``pi`` as positions in ``pairs``; ``previous[f]``: the action before ``f`` in its player's cycle of
    actions in use (``q(f) = e(f) - e(previous[f])``). ``shift: [M]``: scratch.
    """
    shift[:] = 0
    for rank in range(size):
        s = order[rank]
        c = base[s] + (1 if rank < index else 0)
        if c != 0:
            f = pairs[s]
            shift[f] += c
            shift[previous[f]] -= c
    for k in range(y.shape[0]):
        y[k] = v[k] + mesh * shift[k]


@jit_leaf
def _label(payoffs: np.ndarray, offsets: np.ndarray, strides: np.ndarray, y: np.ndarray, values: np.ndarray,
           gains: np.ndarray, best: np.ndarray, cursor: np.ndarray, prefix: np.ndarray) -> tuple[int, float]:
    """``(label, max regret)`` of a vertex: see the module docstring; the regret is ``inf`` outside ``S``."""
    lowest = 0.0
    arg = -1
    for k in range(y.shape[0]):
        if y[k] < lowest:
            lowest = y[k]
            arg = k
    if arg >= 0:
        return arg, math.inf
    action_values(payoffs, offsets, strides, y, values, cursor, prefix)
    worst = regrets(offsets, y, values, gains, best)
    j = 0
    for i in range(1, offsets.shape[0] - 1):
        if gains[i] > gains[j]:
            j = i
    return best[j], worst


def _stop_loops(steps: int, max_steps: int, deadline: int) -> bool:
    """Whether the loop returns before the next label evaluation: ``max_steps`` made, or the deadline passed."""
    return steps >= max_steps or (steps % _CLOCK_EVERY == 0 and past(deadline))


_stop = jit_leaf(_stop_loops, inline=True)
_clock = leaf_clock()


@jit_leaf
def _run(raw: np.ndarray, n_actions: np.ndarray, ints: np.ndarray, floats: np.ndarray, max_steps: int, tol: float,
         pure: bool, best_replies: bool, first_mesh: float, factor: float, min_mesh: float, allowance: int) -> None:
    """Run the solve (set-up, stages, restarts, refinements) for at most ``max_steps`` label evaluations and, when
    ``allowance > 0``, about ``allowance`` nanoseconds (checked every ``_CLOCK_EVERY`` label evaluations and
    inside refinements).

    ``raw: [N, P]``: the game's payoffs; ``n_actions: [N]``; ``tol`` in game units; ``pure``: return the first
    pure equilibrium if there is one; ``best_replies``: start at every player's best reply to uniform play (else
    at ``v`` as the caller wrote it). Buffers (:func:`_buffers`), in order. ``ints``: ``istate [8]`` (phase,
    ``|T|``, vertex to remove, vertex just labelled, label evaluations, stages), offsets, strides, player_of,
    the simplex (shift, ``pairs``, ``base``, ``order``, ``labels [M + 1]``), ``position`` (index in ``pairs`` or
    -1) and ``counts`` (``|T_j|``), then refinement work space. ``floats``: ``fstate [8]`` (mesh, best vertex's
    max regret, max regret of ``out``, payoff scale, best regret at the last refinement), ``v [M]`` (the
    stage's start: the caller writes the first), ``out [M]`` (the answer), ``point [M]`` (the best vertex so
    far), work space, the scaled payoffs. Ends with phase ``_DONE`` (``out`` within ``tol``), ``_EXHAUSTED``
    (mesh below ``min_mesh``; ``out`` the best found) or, with the budget used up, in the phase to resume from.
    """
    deadline = _clock() + allowance if allowance > 0 else 0
    n, count = raw.shape[0], raw.shape[1]
    size = 0
    for i in range(n):
        size += n_actions[i]
    istate = ints[:_STATE]
    at = _STATE
    offsets = ints[at:at + n + 1]
    at += n + 1
    strides = ints[at:at + n]
    at += n
    player_of = ints[at:at + size]
    at += size
    shift = ints[at:at + size]
    at += size
    pairs = ints[at:at + size]
    at += size
    base = ints[at:at + size]
    at += size
    order = ints[at:at + size]
    at += size
    labels = ints[at:at + size + 1]
    at += size + 1
    position = ints[at:at + size]
    at += size
    counts = ints[at:at + n]
    at += n
    best = ints[at:at + n]
    at += n
    cursor = ints[at:at + n]
    at += n
    support = ints[at:at + size]
    at += size
    starts = ints[at:at + n + 1]
    at += n + 1
    unused = ints[at:at + size]
    at += size
    previous = ints[at:at + size]
    at += size
    n_unused = ints[at:at + n]
    at += n
    masks = ints[at:at + MAX_SUPPORTS * size].reshape((MAX_SUPPORTS, size))
    fstate = floats[:_STATE]
    at = _STATE
    v = floats[at:at + size]
    at += size
    out = floats[at:at + size]
    at += size
    point = floats[at:at + size]
    at += size
    y = floats[at:at + size]
    at += size
    values = floats[at:at + size]
    at += size
    work = floats[at:at + size]
    at += size
    rhs = floats[at:at + size]
    at += size
    solved = floats[at:at + size]
    at += size
    trial = floats[at:at + size]
    at += size
    gains = floats[at:at + n]
    at += n
    prefix = floats[at:at + n + 1]
    at += n + 1
    suffix = floats[at:at + n + 1]
    at += n + 1
    jacobian = floats[at:at + size * size].reshape((size, size))
    at += size * size
    system = floats[at:at + size * size].reshape((size, size))
    at += size * size
    payoffs = floats[at:at + n * count].reshape((n, count))

    if istate[_PHASE] == _SET_UP:
        fstate[_SCALE] = set_up(raw, n_actions, payoffs, offsets, strides, player_of)
        fstate[_MESH] = first_mesh
        fstate[_BEST] = math.inf
        fstate[_FOUND] = math.inf
        fstate[_REFINED_AT] = math.inf
        if pure:
            p = first_pure_equilibrium(payoffs, offsets, strides, cursor)
            if p >= 0:
                for k in range(size):
                    out[k] = 0.0
                for i in range(n):
                    out[offsets[i] + (p // strides[i]) % n_actions[i]] = 1.0
                fstate[_FOUND] = 0.0
                istate[_PHASE] = _DONE
                return
        if best_replies:
            best_replies_to_uniform(payoffs, offsets, strides, v, values, cursor, prefix)
        for k in range(size):
            point[k] = v[k]
        istate[_PHASE] = _START
    tol = tol / fstate[_SCALE]
    steps = 0
    while True:
        phase = istate[_PHASE]
        if phase <= _HANDLE:  # _START, _PIVOT or _HANDLE: on the path
            t = istate[_SIZE]
            if phase == _START:
                if _stop(steps, max_steps, deadline):
                    return
                position[:] = -1
                counts[:] = 0
                t = 0
                # Actions with probability zero at the start are in U: labelled from the outset, without a
                # direction, until one becomes a best reply (below); the others form each player's cycle.
                for i in range(n):
                    n_unused[i] = 0
                    last = -1
                    for k in range(offsets[i], offsets[i + 1]):
                        unused[k] = 1 if v[k] <= 0.0 else 0
                        n_unused[i] += unused[k]
                        if not unused[k]:
                            last = k
                    for k in range(offsets[i], offsets[i + 1]):
                        if not unused[k]:
                            previous[k] = last
                            last = k
                istate[_SIZE] = 0
                for k in range(size):
                    y[k] = v[k]
                new = 0
            elif phase == _HANDLE:
                new = istate[_NEW]
                label = labels[new]
                if position[label] >= 0:  # a repeated label: replace the other vertex that carries it
                    for r in range(t + 1):
                        if r != new and labels[r] == label:
                            istate[_REMOVE] = r
                            break
                    istate[_PHASE] = _PIVOT
                    continue
                j = player_of[label]
                if not unused[label] and counts[j] + n_unused[j] + 1 == n_actions[j]:
                    istate[_PHASE] = _REFINE  # player j is complete: the stage ends
                    continue
                if _stop(steps, max_steps, deadline):
                    return
                # A new label: the simplex becomes a facet of a simplex of A(T + label), one vertex further. An
                # action in U first joins its player's cycle after the action in use before it, which splits
                # the next one's direction: q_old(after) = q(after) + q(label), so lambda_label = lambda_after
                # and the simplex lies on that hyperplane, a face of the triangulation; the new vertex is the
                # one where the label's probability is positive (label just before after in the order).
                rank = t
                pairs[t] = label
                base[t] = 0
                if unused[label]:
                    unused[label] = 0
                    n_unused[j] -= 1
                    after = label + 1 if label + 1 < offsets[j + 1] else offsets[j]
                    while unused[after]:
                        after = after + 1 if after + 1 < offsets[j + 1] else offsets[j]
                    previous[label] = previous[after]
                    previous[after] = label
                    if position[after] >= 0:
                        base[t] = base[position[after]]
                        for r in range(t):
                            if order[r] == position[after]:
                                rank = r
                                break
                for r in range(t, rank, -1):
                    order[r] = order[r - 1]
                order[rank] = t
                for r in range(t + 1, rank + 1, -1):
                    labels[r] = labels[r - 1]
                position[label] = t
                counts[j] += 1
                t += 1
                istate[_SIZE] = t
                new = rank + 1
                _vertex(previous, v, fstate[_MESH], pairs, base, order, t, new, shift, y)
            else:
                if _stop(steps, max_steps, deadline):
                    return
                r = istate[_REMOVE]
                if r == 0:
                    s = order[0]
                    base[s] += 1
                    for rank in range(t - 1):
                        order[rank] = order[rank + 1]
                    order[t - 1] = s
                    for rank in range(t):
                        labels[rank] = labels[rank + 1]
                    new = t
                elif r == t:
                    s = order[t - 1]
                    if base[s] == 0:
                        # The facet lies on lambda_s = 0: continue in A(T - pairs[s]) from it, replacing the
                        # vertex that carries the dropped label (every label of T is on the facet once).
                        dropped = pairs[s]
                        position[dropped] = -1
                        counts[player_of[dropped]] -= 1
                        last = t - 1
                        if s != last:
                            pairs[s] = pairs[last]
                            base[s] = base[last]
                            position[pairs[s]] = s
                            for rank in range(t - 1):
                                if order[rank] == last:
                                    order[rank] = s
                        t -= 1
                        istate[_SIZE] = t
                        if t == 0:  # back at the start: impossible in exact arithmetic; end the stage
                            istate[_PHASE] = _REFINE
                            continue
                        for r in range(t + 1):
                            if labels[r] == dropped:
                                istate[_REMOVE] = r
                                break
                        continue
                    base[s] -= 1
                    for rank in range(t - 1, 0, -1):
                        order[rank] = order[rank - 1]
                    order[0] = s
                    for rank in range(t, 0, -1):
                        labels[rank] = labels[rank - 1]
                    new = 0
                else:
                    order[r - 1], order[r] = order[r], order[r - 1]
                    new = r
                _vertex(previous, v, fstate[_MESH], pairs, base, order, t, new, shift, y)
            label, regret = _label(payoffs, offsets, strides, y, values, gains, best, cursor, prefix)
            steps += 1
            istate[_ITERATIONS] += 1
            if regret < fstate[_BEST]:
                if fstate[_BEST] == math.inf:  # the first vertex in S: the baseline for trying supports early
                    fstate[_REFINED_AT] = regret
                fstate[_BEST] = regret
                for k in range(size):
                    point[k] = y[k]
                if regret <= tol:  # an equilibrium on the grid (a pure one, say): no need to finish the path
                    istate[_PHASE] = _REFINE
                    continue
                if regret <= _EARLY * fstate[_REFINED_AT]:
                    # much better than where the supports were last tried: try them now (the path goes on)
                    fstate[_REFINED_AT] = regret
                    istate[_TRIED] = 1
                    found = refine(payoffs, offsets, strides, player_of, point, fstate[_MESH], tol, work, masks, y,
                                   solved, trial, values, jacobian, system, rhs, support, starts, gains, best, cursor,
                                   prefix, suffix, deadline)
                    if found < fstate[_FOUND]:
                        fstate[_FOUND] = found
                        for k in range(size):
                            out[k] = work[k]
                    if found <= tol:
                        istate[_PHASE] = _DONE
                        return
            labels[new] = label
            istate[_NEW] = new
            istate[_PHASE] = _HANDLE
        elif phase == _REFINE:
            mesh = fstate[_MESH]
            if istate[_TRIED] == 0 or fstate[_BEST] < fstate[_REFINED_AT]:  # new supports to try
                fstate[_REFINED_AT] = fstate[_BEST]
                istate[_TRIED] = 1
                found = refine(payoffs, offsets, strides, player_of, point, mesh, tol, work, masks, y, solved, trial,
                               values, jacobian, system, rhs, support, starts, gains, best, cursor, prefix, suffix,
                               deadline)
                if found < fstate[_FOUND]:
                    fstate[_FOUND] = found
                    for k in range(size):
                        out[k] = work[k]
                if fstate[_BEST] < fstate[_FOUND]:
                    fstate[_FOUND] = fstate[_BEST]
                    for k in range(size):
                        out[k] = point[k]
                if fstate[_FOUND] <= tol:
                    istate[_PHASE] = _DONE
                    return
            mesh /= factor
            if mesh < min_mesh:
                istate[_PHASE] = _EXHAUSTED
                return
            fstate[_MESH] = mesh
            for i in range(n):  # restart from the best vertex, its probabilities below the mesh set to zero
                total = 0.0
                for k in range(offsets[i], offsets[i + 1]):
                    v[k] = point[k] if point[k] >= mesh else 0.0
                    total += v[k]
                if total > 0.0:
                    for k in range(offsets[i], offsets[i + 1]):
                        v[k] /= total
                else:
                    for k in range(offsets[i], offsets[i + 1]):
                        v[k] = point[k]
            istate[_STAGES] += 1
            istate[_PHASE] = _START
        else:
            return


def _check_tol(tol: Any) -> float:
    try:
        number = float(tol)
    except (TypeError, ValueError):
        raise GameError(f"simplicial_subdivision_solve: tol must be a positive number, got {tol!r}") from None
    if not (number > 0 and math.isfinite(number)):
        raise GameError(f"simplicial_subdivision_solve: tol must be a positive finite number, got {tol!r}")
    return number


# Games with at most this many payoff entries per player are solved interpreted while numba is not loaded.
_INTERPRETED_MAX_ENTRIES = 16
_LOADED: set[tuple[str, bool, bool]] = set()  # payoff array types (dtype, C order, writable) _run is loaded for


class _Race:
    """The paths of one solve, each with its buffers, and the label evaluations spent on all of them."""

    def __init__(self, game: NormalFormGame, tol: float, budget: Budget, max_iterations: int | None,
                 max_seconds: float | None) -> None:
        self.n_actions = game.payoffs.shape[1:]
        self.size = sum(self.n_actions)
        self.raw = game.payoffs.reshape(len(self.n_actions), -1)
        self.shape = np.array(self.n_actions, dtype=np.int64)
        self.tol, self.budget = tol, budget
        self.max_iterations, self.max_seconds = max_iterations, max_seconds
        self.paths: list[tuple[np.ndarray, np.ndarray, bool]] = []  # ints, floats, start from best replies
        self.used = 0

    def add(self, start: np.ndarray | None) -> None:
        """A new path from ``start`` (flat); None: from the best replies to uniform play, after the pure check."""
        ints, floats = _buffers(len(self.n_actions), self.size, self.raw.shape[1])
        if start is not None:
            floats[_STATE:_STATE + self.size] = start
        self.paths.append((ints, floats, start is None))

    def compile(self) -> Compilation:
        """Load (or have compiled, within the time budget) the compiled loop for this game's argument types."""
        # Only the payoffs' array type varies between solves (the buffers are ours): looking it up here costs a
        # microsecond, ensure_compiled's typing of every argument 40 (a quarter of a small game's solve).
        key = (self.raw.dtype.str, self.raw.flags.c_contiguous, self.raw.flags.writeable)
        if key in _LOADED:
            return Compilation(True)
        ints, floats, first = self.paths[0]
        timeout = None if self.max_seconds is None else max(0.0, self.max_seconds - self.budget.elapsed())
        compilation = ensure_compiled(_run, self.raw, self.shape, ints, floats, 1, self.tol, first, first,
                                      _FIRST_MESH, _REFINE_FACTOR, _MIN_MESH, 1, timeout=timeout)
        if compilation.loaded:
            _LOADED.add(key)
        return compilation

    def advance(self, index: int, target: int) -> bool:
        """Run path ``index`` until it has made ``target`` label evaluations; True when it found an answer."""
        ints, floats, first = self.paths[index]
        while ints[_PHASE] < _DONE:
            steps = target - int(ints[_ITERATIONS])
            if self.max_iterations is not None:
                steps = min(steps, self.max_iterations - self.used)
            allowance = 0
            if self.max_seconds is not None:
                steps = min(steps, _CHUNK)
                # At least 1 ns: 0 would mean no deadline at all.
                allowance = max(1, int((self.max_seconds - self.budget.elapsed()) * 1e9))
            if steps <= 0:
                break
            before = int(ints[_ITERATIONS])
            _run(self.raw, self.shape, ints, floats, steps, self.tol, first, first, _FIRST_MESH, _REFINE_FACTOR,
                 _MIN_MESH, allowance)
            self.used += int(ints[_ITERATIONS]) - before
            if self.exhausted():
                break
        return bool(ints[_PHASE] == _DONE)

    def exhausted(self) -> bool:
        return self.budget.exhausted(self.used)

    def run(self, seed: int) -> int:
        """Race the paths; the index of the one that found an answer, or of the best one when none did."""
        racing = self.paths[0][2]  # no start was given: the first path may be raced against others
        if self.advance(0, _HEAD_START * self.size if racing else 2**62):
            return 0
        if racing and not self.exhausted():
            rng = np.random.default_rng(seed)
            for racer in range(1, _RACERS):
                if racer % 2:  # interior and pure starts alternate
                    self.add(np.concatenate([rng.dirichlet(np.ones(m)) for m in self.n_actions]))
                else:
                    self.add(np.concatenate([np.eye(m)[rng.integers(m)] for m in self.n_actions]))
            target = _HEAD_START * self.size
            while not self.exhausted() and any(ints[_PHASE] < _DONE for ints, *_ in self.paths):
                for index in range(len(self.paths)):
                    if self.advance(index, target):
                        return index
                target *= 2
        return min(range(len(self.paths)), key=lambda i: min(self.paths[i][1][_FOUND], self.paths[i][1][_BEST]))

    def answer(self, index: int) -> np.ndarray:
        """Path ``index``'s answer: its refined profile, else its best vertex, else its start."""
        floats, size = self.paths[index][1], self.size
        if floats[_FOUND] <= floats[_BEST] and math.isfinite(floats[_FOUND]):
            return floats[_STATE + size:_STATE + 2 * size]
        if math.isfinite(floats[_BEST]):
            return floats[_STATE + 2 * size:_STATE + 3 * size]
        return floats[_STATE:_STATE + size]

    def stopped_because(self, certificate: float) -> str:
        """Why no path found a profile within ``tol`` (the solve did not converge)."""
        if all(ints[_PHASE] == _EXHAUSTED for ints, *_ in self.paths):
            paths = "the path's" if len(self.paths) == 1 else f"each of the {len(self.paths)} paths'"
            return (f"{paths} mesh fell below {_MIN_MESH:g} (the grid was refined to its floor) without a profile "
                    f"within tol={self.tol:g}; the best has max regret {certificate:.3g}")
        if self.max_iterations is not None and self.used >= self.max_iterations:
            return f"max_iterations={self.max_iterations} label evaluations used up"
        if self.max_seconds is not None and self.budget.elapsed() >= self.max_seconds:
            return f"max_seconds={self.max_seconds:g} reached after {self.used} label evaluations"
        # The compiled loop judged its profile within tol in its scaled payoffs; the certificate, from the game's
        # own payoffs, is a rounding error above it.
        return (f"the compiled loop's profile was within tol={self.tol:g} in its scaled payoffs, but its certified "
                f"max regret is {certificate:.3g}")


def _without_compiled_code(game: NormalFormGame, start: np.ndarray | None, tol: float, parameters: dict[str, Any],
                           budget: Budget, compilation: Compilation) -> SolveResult:
    """The answer when the compiled loop is not ready in time: the first pure equilibrium (C order, as the loop's
    own check), else the start profile (uniform play without ``start``), certified."""
    pure = game.pure_nash() if start is None else []
    if pure:
        profile = game.pure_profile(pure[0])
    elif start is None:
        profile = tuple(np.full(m, 1.0 / m) for m in game.n_actions)
    else:
        profile = split_profile(start, game.n_actions)
    parameters.update(path=-1 if pure else None, stages=0, mesh=None)
    result = nash_result(game, "simplicial_subdivision", [profile], parameters=parameters, iterations=0,
                         budget=budget)
    if result.certificate[0] <= tol:
        return result
    reason = f"max_seconds={parameters['max_seconds']:g} reached while {compilation.note}"
    return dataclasses.replace(result, converged=False, parameters={**parameters, "stopped_because": reason})


def simplicial_subdivision_solve(game: Any, *, start: Any = None, tol: float = 1e-9, seed: int = 0,
                                 max_iterations: int | None = 10_000_000,
                                 max_seconds: float | None = 60.0) -> SolveResult:
    """One Nash equilibrium (max regret <= ``tol``) by simplicial subdivision with restarts, refined by Newton.

    See the module docstring for the algorithm. Deterministic: the same game, start and seed give the same
    answer (given time to finish).

    Args:
      game: a NormalFormGame with any number of players.
      start: a mixed profile (one probability vector per player) where the one path starts; None: the game's
        first pure equilibrium (C order of action profiles) if it has one, else the path from every player's best
        reply to uniform play, raced against paths from other starts if it is slow (see the module docstring).
      tol: max-regret tolerance (game units) for accepting a profile.
      seed: seeds the racers' starts (used only without ``start``, and only when the first path is slow).
      max_iterations: cap on label evaluations (vertices visited, all stages and paths together).
      max_seconds: wall-clock cap, first-use compilation included (module docstring). When either runs out, the
        lowest-regret profile found so far is returned, with ``converged=False`` unless its max regret is within
        ``tol``.

    ``parameters`` records ``tol``, ``seed``, ``max_iterations``, ``max_seconds``, ``start`` (``"given"`` or
    None), ``path`` (the path that gave the answer: 0 the first, 1 to ``_RACERS - 1`` the racers, -1 the pure
    check), ``stages`` (that path's stages), ``mesh`` (its last stage's), ``compile_seconds`` (time spent loading
    or waiting for the compiled loop) and, when ``converged`` is False, ``stopped_because``.
    """
    game = require_normal_form(game, "simplicial_subdivision_solve(game)")
    tol = _check_tol(tol)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise GameError(f"simplicial_subdivision_solve: seed must be a non-negative integer, got {seed!r}")
    budget = Budget.checked(max_iterations, max_seconds, "simplicial_subdivision_solve")
    # A tiny game runs interpreted while numba is not loaded: a millisecond or two (2 x 2 x 2 games; measured),
    # where loading numba and the compiled loop takes half a second (equilibria.core.compiled.prefer_interpreted).
    with interpreted_if(game.payoffs[0].size <= _INTERPRETED_MAX_ENTRIES):
        return _solve(game, start, tol, int(seed), budget, max_iterations, max_seconds)


def _solve(game: NormalFormGame, start: Any, tol: float, seed: int, budget: Budget, max_iterations: int | None,
           max_seconds: float | None) -> SolveResult:
    race = _Race(game, tol, budget, max_iterations, max_seconds)
    flat_start = None if start is None else flatten_profile(game.check_profile(start, "simplicial_subdivision_solve"
                                                                                      "(start)"))
    race.add(flat_start)
    compilation = race.compile()
    parameters: dict[str, Any] = {"tol": tol, "seed": seed, "max_iterations": max_iterations,
                                  "max_seconds": max_seconds, "start": None if start is None else "given",
                                  "compile_seconds": compilation.seconds}
    if not compilation.ready:
        return _without_compiled_code(game, flat_start, tol, parameters, budget, compilation)
    winner = race.run(seed)
    ints, floats = race.paths[winner][:2]
    pure = ints[_PHASE] == _DONE and floats[_FOUND] == 0.0 and ints[_ITERATIONS] == 0
    parameters.update(path=-1 if pure else winner, stages=int(ints[_STAGES]) + 1, mesh=float(floats[_MESH]))
    result = nash_result(game, "simplicial_subdivision", [split_profile(race.answer(winner), race.n_actions)],
                         parameters=parameters, iterations=race.used, budget=budget)
    if result.certificate[0] > tol:
        return dataclasses.replace(result, converged=False, parameters={
            **result.parameters, "stopped_because": race.stopped_because(float(result.certificate[0]))})
    return result


__all__ = ["simplicial_subdivision_solve"]
