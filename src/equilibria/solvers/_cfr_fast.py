"""One whole full-width CFR iteration as a single compiled call, for small trees where numpy's per-call cost dominates.

On Kuhn poker (12 information sets) an iteration of :mod:`equilibria.solvers._cfr_tree`'s array sweeps is some 60
numpy calls on arrays of a dozen entries, so its time is the calls' overhead, not arithmetic. This module runs the
same iteration -- realization plans, leaf values, the bottom-up sweep, the average's accumulation, the regret update
and regret matching, for every player, alternating or simultaneous -- in one compiled leaf (numba, no allocation)
over one packed copy of the sequence trees (:class:`FastLayout`, built once per game).

**Same numbers, bit for bit.** The loops perform the array path's floating-point operations in the same order:
every product and quotient is the same single operation; ``np.bincount`` adds in index order from 0; and
``np.add.reduceat`` over a segment of at most 8 entries computes ``x_0 + (((0 + x_1) + x_2) + ...)`` (numpy
adds the tail of a reduction by its pairwise summation, which is sequential below 8 entries and pairwise above).
Trees with a set of more than 8 actions, and players swept by compiled loops of their own (deep trees), keep the
array path; so do the sampling variants. The tests compare both paths' states exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from equilibria.core.compiled import ensure_compiled, jit_leaf

if TYPE_CHECKING:
    from equilibria.solvers._cfr_tree import PlayerTree

# np.add.reduceat adds a segment's tail sequentially only below this many entries (module docstring).
_SEQUENTIAL_WIDTH = 8
# Rows of FastLayout.index.
_ACTIONS, _ACTION_PARENT, _SET_STARTS, _SET_SIZES, _SET_PARENT, _LEVEL_SETS, _COUNTS = range(7)


@dataclass(frozen=True, eq=False)
class FastLayout:
    """The sequence trees packed for the compiled iteration, and its scratch space.

    Attributes:
      index: ``[n_players, 7, width]`` per player: its game infoset-action of each local action, each action's
        parent sequence, each set's first action, size and parent sequence, the first set of each level, and
        ``(n_actions, n_sets, n_levels)`` (row 6).
      terminal_sequence, chance_payoff: :class:`SequenceTree`'s.
      work: ``[2 n_players + 4, columns]`` scratch: plans, instantaneous regrets, ``w``, set values, terminal
        contributions, per-parent sums (rewritten by every call; a call holds the GIL, so calls never overlap).
      mark: ``[width + 1]`` scratch flags, -1 between calls.
    """

    index: np.ndarray
    terminal_sequence: np.ndarray
    chance_payoff: np.ndarray
    work: np.ndarray
    mark: np.ndarray


def fast_layout(players: tuple[PlayerTree, ...], terminal_sequence: np.ndarray,
                chance_payoff: np.ndarray) -> FastLayout | None:
    """The packed layout of a game's sequence trees (``_cfr_tree.SequenceTree``'s fields), or None where the
    compiled iteration would not reproduce the array path."""
    if any(tree.compiled for tree in players) or any(
            tree.n_sets and int(tree.set_sizes.max()) > _SEQUENTIAL_WIDTH for tree in players):
        return None
    width = max(3, *(max(tree.n_actions, tree.n_sets, tree.level_sets.shape[0]) for tree in players))
    index = np.zeros((len(players), 7, width), dtype=np.int64)
    for p, tree in enumerate(players):
        index[p, _ACTIONS, :tree.n_actions] = tree.actions
        index[p, _ACTION_PARENT, :tree.n_actions] = tree.action_parent
        index[p, _SET_STARTS, :tree.n_sets] = tree.set_starts
        index[p, _SET_SIZES, :tree.n_sets] = tree.set_sizes
        index[p, _SET_PARENT, :tree.n_sets] = tree.set_parent
        index[p, _LEVEL_SETS, :tree.level_sets.shape[0]] = tree.level_sets
        index[p, _COUNTS, :3] = (tree.n_actions, tree.n_sets, tree.level_sets.shape[0] - 1)
    n_terminals = terminal_sequence.shape[1]
    work = np.zeros((2 * len(players) + 4, max(width + 1, n_terminals)))
    return FastLayout(index, np.ascontiguousarray(terminal_sequence), np.ascontiguousarray(chance_payoff),
                      work, np.full(width + 1, -1, dtype=np.int64))


def iterate(layout: FastLayout, regrets: np.ndarray, policy_sum: np.ndarray, policy: np.ndarray,
            prediction: np.ndarray, weight: float, discount: bool, positive_factor: float, negative_factor: float,
            floor: bool, predictive: bool, alternating: bool) -> None:
    """One iteration in place on the flat ``[n_infoset_actions]`` arrays (see ``cfr._apply`` for the rules); the
    first call in a process loads (or compiles) the kernel."""
    kernel = _kernel()
    kernel(layout.index, layout.terminal_sequence, layout.chance_payoff, layout.work, layout.mark, regrets, policy_sum,
           policy, prediction, weight, discount, positive_factor, negative_factor, floor, predictive, alternating)
    if not _LOADED:
        _LOADED.append(True)


def prepare(layout: FastLayout, seconds_left: float) -> bool:
    """Whether the compiled iteration can run now without compiling, for a solver with ``seconds_left``.

    Loaded already: yes. Otherwise, with at least :data:`_LOAD_SECONDS` left, it is loaded from numba's disk cache
    when there; when it is not, a separate process starts compiling it into the cache (for later runs; see
    :func:`equilibria.core.compiled.ensure_compiled`) and the answer is no, without waiting.
    """
    if _LOADED:
        return True
    if seconds_left < _LOAD_SECONDS:
        return False
    flat = np.zeros(int(layout.index[:, _COUNTS, 0].sum()))
    compilation = ensure_compiled(_kernel(), layout.index, layout.terminal_sequence, layout.chance_payoff,
                                  layout.work, layout.mark, flat, flat, flat, flat, 0.0, False, 1.0, 1.0, False,
                                  False, True, timeout=0.0)
    if compilation.loaded:
        _LOADED.append(True)
    return compilation.ready


# Loading the compiled iteration from the disk cache takes up to this long (measured: 0.05-0.2 s on two busy cores).
_LOAD_SECONDS = 0.5
_LOADED: list[bool] = []  # non-empty once the compiled iteration is loaded (it has one argument signature)


def _kernel() -> Callable[..., None]:
    """The iteration compiled as a leaf (cached on disk, its steps inlined; compiled on first use, see
    :mod:`equilibria.core.compiled`): the module global, which is the dispatcher itself once numba is loaded."""
    return _iteration


def _plan(index: np.ndarray, p: int, policy: np.ndarray, plan: np.ndarray) -> None:
    plan[0] = 1.0
    for j in range(index[p, _COUNTS, 0]):
        plan[1 + j] = plan[index[p, _ACTION_PARENT, j]] * policy[index[p, _ACTIONS, j]]


def _regrets(index: np.ndarray, terminal_sequence: np.ndarray, chance_payoff: np.ndarray, work: np.ndarray,
             mark: np.ndarray, p: int, policy: np.ndarray, policy_sum: np.ndarray, weight: float) -> None:
    """Player ``p``'s instantaneous regrets into ``work[n_players + p]``; accumulates its average policy."""
    n_players = index.shape[0]
    m, n_levels = index[p, _COUNTS, 0], index[p, _COUNTS, 2]
    w, values, contribution, acc = work[2 * n_players], work[2 * n_players + 1], work[2 * n_players + 2], \
        work[2 * n_players + 3]
    # leaf values: chance-weighted utility times the other players' plans, in player order, then a bincount
    for z in range(terminal_sequence.shape[1]):
        c = chance_payoff[p, z]
        for q in range(n_players):
            if q != p:
                c = c * work[q, terminal_sequence[q, z]]
        contribution[z] = c
    for s in range(m + 1):
        w[s] = 0.0
    for z in range(terminal_sequence.shape[1]):
        w[terminal_sequence[p, z]] += contribution[z]
    # bottom-up, one level at a time: set values (reduceat's order), then per-parent sums (bincount's) into w
    for level in range(n_levels - 1, -1, -1):
        i0, i1 = index[p, _LEVEL_SETS, level], index[p, _LEVEL_SETS, level + 1]
        for i in range(i0, i1):
            start, size = index[p, _SET_STARTS, i], index[p, _SET_SIZES, i]
            tail = 0.0
            for a in range(start + 1, start + size):
                tail += policy[index[p, _ACTIONS, a]] * w[1 + a]
            total = policy[index[p, _ACTIONS, start]] * w[1 + start] + tail
            values[i] = total
            parent = index[p, _SET_PARENT, i]
            if mark[parent] != level:
                mark[parent] = level
                acc[parent] = 0.0
            acc[parent] += total
        for i in range(i0, i1):
            parent = index[p, _SET_PARENT, i]
            if mark[parent] == level:
                w[parent] += acc[parent]
                mark[parent] = -1
    plan = work[p]
    r = work[n_players + p]
    for a in range(m):
        action = index[p, _ACTIONS, a]
        if weight != 0.0:
            policy_sum[action] += weight * plan[index[p, _ACTION_PARENT, a]] * policy[action]
    for i in range(index[p, _COUNTS, 1]):
        start = index[p, _SET_STARTS, i]
        for a in range(start, start + index[p, _SET_SIZES, i]):
            r[a] = w[1 + a] - values[i]


def _apply(index: np.ndarray, work: np.ndarray, p: int, regrets: np.ndarray, policy: np.ndarray,
           prediction: np.ndarray, discount: bool, positive_factor: float, negative_factor: float, floor: bool,
           predictive: bool) -> None:
    """Add player ``p``'s regrets under the rules, regret-match its next policy, refresh its plan."""
    n_players = index.shape[0]
    r = work[n_players + p]
    matched = work[2 * n_players + 2]  # the contributions' row is free again
    for a in range(index[p, _COUNTS, 0]):
        action = index[p, _ACTIONS, a]
        cumulative = regrets[action] + r[a]
        if discount:
            cumulative *= positive_factor if cumulative > 0 else negative_factor
        if floor and not (cumulative >= 0.0 or cumulative != cumulative):  # np.maximum(x, 0.0)
            cumulative = 0.0
        regrets[action] = cumulative
        if predictive:
            prediction[action] = r[a]
            cumulative = cumulative + r[a]
        matched[a] = cumulative if (cumulative >= 0.0 or cumulative != cumulative) else 0.0
    for i in range(index[p, _COUNTS, 1]):
        start, size = index[p, _SET_STARTS, i], index[p, _SET_SIZES, i]
        tail = 0.0
        for a in range(start + 1, start + size):
            tail += matched[a]
        total = matched[start] + tail
        for a in range(start, start + size):
            policy[index[p, _ACTIONS, a]] = matched[a] / total if total > 0 else 1.0 / size
    _plan_leaf(index, p, policy, work[p])


def _iteration_loops(index: np.ndarray, terminal_sequence: np.ndarray, chance_payoff: np.ndarray, work: np.ndarray,
                     mark: np.ndarray, regrets: np.ndarray, policy_sum: np.ndarray, policy: np.ndarray,
                     prediction: np.ndarray, weight: float, discount: bool, positive_factor: float,
                     negative_factor: float, floor: bool, predictive: bool, alternating: bool) -> None:
    """One CFR iteration over every player (``cfr.cfr_update``'s order: alternating or simultaneous)."""
    n_players = index.shape[0]
    for p in range(n_players):
        _plan_leaf(index, p, policy, work[p])
    for p in range(n_players):
        if index[p, _COUNTS, 0] == 0:
            continue
        _regrets_leaf(index, terminal_sequence, chance_payoff, work, mark, p, policy, policy_sum, weight)
        if alternating:
            _apply_leaf(index, work, p, regrets, policy, prediction, discount, positive_factor, negative_factor, floor,
                   predictive)
    if not alternating:
        for p in range(n_players):
            if index[p, _COUNTS, 0] != 0:
                _apply_leaf(index, work, p, regrets, policy, prediction, discount, positive_factor, negative_factor,
                       floor, predictive)


# The steps, compiled inline into the kernel (module globals: compiled code finds its callees there).
_plan_leaf, _regrets_leaf, _apply_leaf = (jit_leaf(_plan, inline=True), jit_leaf(_regrets, inline=True),
                                          jit_leaf(_apply, inline=True))
_iteration = jit_leaf(_iteration_loops)
