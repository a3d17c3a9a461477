"""Array kernels for the CFR family: a game's sequence trees and the sweeps every CFR iteration is made of.

Counterfactual values do not need a sweep over the whole game tree. For player ``p`` and a profile ``pi`` let
``x_q`` be player ``q``'s **realization plan** (``x_q(s)``: the product of ``q``'s own action probabilities along
sequence ``s``; Koller, Megiddo and von Stengel 1996). The counterfactual value of an infoset-action ``(I, a)``
(Zinkevich et al. 2007) is

    v(I, a) = sum over terminals z below (I, a) of  c(z) * prod_{q != p} x_q(seq_q(z)) * u_p(z) * pi_p(Ia -> z)

with ``c(z)`` the chance reach and ``pi_p(Ia -> z)`` ``p``'s own probability of the moves between ``(I, a)`` and
``z``. Grouping terminals by ``p``'s last sequence gives the **leaf values** ``g(s) = sum_{z: seq_p(z) = s} c(z)
prod_{q != p} x_q(seq_q(z)) u_p(z)`` (one ``bincount`` over the terminals), and then, bottom-up over ``p``'s own
information sets (deepest own depth first: perfect recall makes ``p``'s sets a forest hanging off its sequences),

    w(s) = g(s) + sum over p's sets J entered by s of  V(J),     V(J) = sum_a pi(J, a) w(J, a),

so ``v(I, a) = w(I, a)``, ``V(I)`` is the set's counterfactual value, ``w(empty)`` is ``p``'s expected utility,
and replacing the sum over actions by a max gives ``p``'s best-response value. Each sweep is one vectorised
operation per own depth (4 in Leduc poker) on ``p``'s infoset-actions, plus the terminal ``bincount``.

Within this module a player's infoset-actions are laid out **level by level** (own depth, then information set, then
action) so that every level is a contiguous slice; ``local`` sequence ``1 + j`` is the ``j``-th action of that
layout and ``0`` is the empty sequence. :class:`PlayerTree.actions` maps the layout back to the game's flat
infoset-action indices.

Deep trees (a player with more than ``_COMPILED_LEVELS`` own depths, e.g. a long chain of moves) would make the
sweeps one array operation per level; there they run as compiled loops (numba) over the same layout, set by set,
so an iteration stays linear in the tree's size. Shallow trees keep the array operations (whose order of summation
the figures above reproduce).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from equilibria.core.caches import per_game
from equilibria.core.compiled import Compilation, ensure_all_compiled, jit_leaf
from equilibria.games.extensive_form import _LEVEL_LOOP_MAX, CHANCE, ExtensiveFormGame, _path_products
from equilibria.solvers._cfr_fast import FastLayout, fast_layout

# Players with more own depths than this sweep with compiled loops (module docstring).
_COMPILED_LEVELS = 32


@dataclass(frozen=True, eq=False)
class Level:
    """One own depth of a player's sets: actions ``a0:a1`` and sets ``i0:i1`` of the level-order layout."""

    a0: int
    a1: int
    i0: int
    i1: int
    starts: np.ndarray  # [i1 - i0] first action of each set, relative to a0 (for reduceat)
    parents: np.ndarray  # unique local parent sequences of the level's sets
    parent_of_set: np.ndarray  # [i1 - i0] index into ``parents``


@dataclass(frozen=True, eq=False)
class PlayerTree:
    """Player ``player``'s information sets and sequences in level order (see the module docstring)."""

    player: int
    actions: np.ndarray  # [m] game infoset-action of each local action
    infosets: np.ndarray  # [k] game information set of each local set
    set_starts: np.ndarray  # [k] first local action of each set
    set_sizes: np.ndarray  # [k]
    action_set: np.ndarray  # [m] local set of each local action
    action_parent: np.ndarray  # [m] local sequence that leads to the action's set
    uniform: np.ndarray  # [m] 1 / number of actions of the set
    levels: tuple[Level, ...]  # empty when the sweeps are compiled (they read level_sets)
    padded: np.ndarray  # [k, max width] local actions of each set, padded with m (for vectorised sampling)
    level_sets: np.ndarray  # [n_levels + 1] the first local set of each level (then k)
    set_parent: np.ndarray  # [k] local sequence that leads to each set

    @property
    def compiled(self) -> bool:
        """Whether the sweeps run as compiled loops (module docstring)."""
        return self.level_sets.shape[0] - 1 > _COMPILED_LEVELS

    @property
    def n_actions(self) -> int:
        return int(self.actions.shape[0])

    @property
    def n_sets(self) -> int:
        return int(self.infosets.shape[0])


@dataclass(frozen=True, eq=False)
class SequenceTree:
    """Everything a CFR iteration needs from a game, computed once per game (see :func:`sequence_tree`).

    Attributes:
      players: one :class:`PlayerTree` per player.
      local_index: ``[n_infoset_actions]`` each infoset-action's position in its player's level-order layout.
      terminal_sequence: ``[n_players, n_terminals]`` each player's local sequence at each terminal.
      chance_payoff: ``[n_players, n_terminals]`` chance reach times the player's utility.
      payoff: ``[n_players, n_terminals]`` the players' utilities.
      terminal_chance_edges: ``[n_terminals, d]`` the chance edges (child node indices) on each terminal's path,
        padded with ``n_nodes``; None in deep trees (its size grows with the depth: sampled chance is propagated
        down the tree instead).
      chance_padded: ``[n_chance_nodes, max width]`` children of each chance node, padded with ``n_nodes``.
      chance_padded_prob: the matching chance probabilities (0 in the padding).
      fast: the packed layout of the compiled whole iteration (:mod:`equilibria.solvers._cfr_fast`), None where
        that does not apply.
    """

    game: ExtensiveFormGame
    players: tuple[PlayerTree, ...]
    local_index: np.ndarray
    terminal_sequence: np.ndarray
    chance_payoff: np.ndarray
    payoff: np.ndarray
    terminal_chance_edges: np.ndarray | None
    chance_padded: np.ndarray
    chance_padded_prob: np.ndarray
    fast: FastLayout | None = None


@per_game
def sequence_tree(game: ExtensiveFormGame) -> SequenceTree:
    """The :class:`SequenceTree` of ``game`` (once per game)."""
    return _build(game)


def _build(game: ExtensiveFormGame) -> SequenceTree:
    players = tuple(_player_tree(game, p) for p in range(game.n_players))
    terminals = game.terminals
    local = [_local_sequences(game, tree) for tree in players]
    terminal_sequence = np.stack([local[p][game.node_sequence[terminals, p]] for p in range(game.n_players)])
    chance_reach = _path_products(game, game.chance_prob)  # chance_prob is 1 on every edge a player chooses
    payoff = np.ascontiguousarray(game.payoffs[terminals].T)
    chance_nodes = np.flatnonzero(game.player == CHANCE)
    width = int(game.n_children[chance_nodes].max(initial=1))
    offsets = np.arange(width)
    chance_padded = game.first_child[chance_nodes][:, None] + offsets
    chance_padded = np.where(offsets < game.n_children[chance_nodes][:, None], chance_padded, game.n_nodes)
    probs = np.append(game.chance_prob, 0.0)
    local_index = np.zeros(game.n_infoset_actions, dtype=np.int64)
    for tree in players:
        local_index[tree.actions] = np.arange(tree.n_actions)
    chance_payoff = payoff * chance_reach[terminals]
    return SequenceTree(
        game=game, players=players, local_index=local_index, terminal_sequence=terminal_sequence,
        chance_payoff=chance_payoff, payoff=payoff, fast=fast_layout(players, terminal_sequence, chance_payoff),
        terminal_chance_edges=_chance_edges(game, terminals) if len(game.levels) <= _LEVEL_LOOP_MAX else None,
        chance_padded=chance_padded,
        chance_padded_prob=probs[chance_padded])


def _player_tree(game: ExtensiveFormGame, player: int) -> PlayerTree:
    mine = np.flatnonzero(game.infoset_player == player)
    own_depth = np.zeros(game.n_infosets, dtype=np.int64)
    action_of_sequence = np.flatnonzero(game.action_player == player)  # sequence s >= 1 is action [s - 1]
    parent_set = np.full(game.n_infosets, -1, dtype=np.int64)  # the set of each set's parent sequence
    has_parent = game.infoset_parent_sequence[mine] > 0
    parent_set[mine[has_parent]] = game.action_infoset[action_of_sequence[game.infoset_parent_sequence[
        mine[has_parent]] - 1]]
    first = np.full(game.n_infosets, game.n_nodes, dtype=np.int64)  # each set's first node
    decision = np.flatnonzero(game.infoset >= 0)
    np.minimum.at(first, game.infoset[decision], decision)
    depth_list, parent_list = own_depth.tolist(), parent_set.tolist()
    for s in mine[np.argsort(first[mine], kind="stable")].tolist():  # a set's parent set comes first (its nodes
        if parent_list[s] >= 0:  # descend from the parent set's)
            depth_list[s] = depth_list[parent_list[s]] + 1
    own_depth = np.asarray(depth_list, dtype=np.int64)
    order = mine[np.argsort(own_depth[mine], kind="stable")]
    sizes = game.infoset_n_actions[order]
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    action_set = np.repeat(np.arange(order.shape[0]), sizes)
    within = np.arange(int(sizes.sum())) - starts[action_set]
    actions = game.infoset_action_offset[order][action_set] + within
    local = np.zeros(game.n_sequences[player], dtype=np.int64)
    local[game.sequence_of_action[actions]] = 1 + np.arange(actions.shape[0])
    set_parent = local[game.infoset_parent_sequence[order]]
    depths = own_depth[order]
    n_levels = int(depths.max(initial=-1)) + 1
    level_sets = np.searchsorted(depths, np.arange(n_levels + 1)).astype(np.int64)
    level_actions = np.append(starts, actions.shape[0])[level_sets]
    # Each level's distinct parent sequences, for all levels at once: unique (level, parent) pairs, in order.
    pairs, inverse = np.unique(depths * (game.n_sequences[player] + 1) + set_parent, return_inverse=True)
    first_pair = np.searchsorted(pairs, np.arange(n_levels + 1) * (game.n_sequences[player] + 1))
    parents_of_pairs = pairs % (game.n_sequences[player] + 1)
    levels = []
    for d in range(n_levels if n_levels <= _COMPILED_LEVELS else 0):
        i0, i1, a0, a1 = (int(v) for v in (level_sets[d], level_sets[d + 1], level_actions[d], level_actions[d + 1]))
        p0, p1 = int(first_pair[d]), int(first_pair[d + 1])
        levels.append(Level(a0, a1, i0, i1, starts[i0:i1] - a0, parents_of_pairs[p0:p1],
                            inverse.ravel()[i0:i1] - p0))
    width = int(sizes.max(initial=1))
    padded = starts[:, None] + np.arange(width)
    padded = np.where(np.arange(width) < sizes[:, None], padded, actions.shape[0])
    return PlayerTree(
        player=player, actions=actions, infosets=order, set_starts=starts, set_sizes=sizes, action_set=action_set,
        action_parent=set_parent[action_set], uniform=1.0 / sizes[action_set], levels=tuple(levels), padded=padded,
        level_sets=level_sets, set_parent=set_parent)


def _local_sequences(game: ExtensiveFormGame, tree: PlayerTree) -> np.ndarray:
    """``[n_sequences[p]]`` the local sequence of each of the game's sequences of player ``p``."""
    local = np.zeros(game.n_sequences[tree.player], dtype=np.int64)
    local[game.sequence_of_action[tree.actions]] = 1 + np.arange(tree.n_actions)
    return local


def _chance_edges(game: ExtensiveFormGame, terminals: np.ndarray) -> np.ndarray:
    """``[n_terminals, d]`` the chance edges on each terminal's path (their child nodes), padded with ``n_nodes``."""
    columns = []
    node = terminals.copy()
    while np.any(node > 0):
        parent = np.where(node > 0, game.parent[np.maximum(node, 1)], -1)
        by_chance = (node > 0) & (game.player[np.maximum(parent, 0)] == CHANCE)
        if np.any(by_chance):
            columns.append(np.where(by_chance, node, game.n_nodes))
        node = np.maximum(parent, 0)
    if not columns:
        return np.full((terminals.shape[0], 1), game.n_nodes, dtype=np.int64)
    return np.stack(columns, axis=1)


# -- the sweeps ------------------------------------------------------------------------------------------------
def realization_plan(tree: PlayerTree, policy: np.ndarray) -> np.ndarray:
    """``[1 + m]`` the realization plan of ``policy`` (``[m]``, level-order layout), top-down by own depth."""
    plan = np.empty(tree.n_actions + 1)
    plan[0] = 1.0
    if tree.compiled:
        _kernels()[0](tree.action_parent, np.ascontiguousarray(policy, dtype=np.float64), plan)
        return plan
    for lv in tree.levels:
        plan[1 + lv.a0:1 + lv.a1] = plan[tree.action_parent[lv.a0:lv.a1]] * policy[lv.a0:lv.a1]
    return plan


def leaf_values(seq: SequenceTree, player: int, plans: Sequence[np.ndarray],
                weights: np.ndarray | None = None) -> np.ndarray:
    """``[1 + m]`` the leaf values ``g`` of ``player``: terminals grouped by its local sequence.

    ``plans[q]`` is player ``q``'s realization plan (``plans[player]`` is not used); ``weights`` (``[n_terminals]``,
    default: chance reach times utility) replaces ``c(z) u_p(z)``, e.g. by a sampled chance outcome's utility.
    """
    contribution = seq.chance_payoff[player] if weights is None else weights
    for q, plan in enumerate(plans):
        if q != player:
            contribution = contribution * plan[seq.terminal_sequence[q]]
    return np.bincount(seq.terminal_sequence[player], contribution, minlength=seq.players[player].n_actions + 1)


def counterfactual_values(tree: PlayerTree, policy: np.ndarray,
                          leaves: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bottom-up sweep: ``(w, V)`` with ``w`` (``[1 + m]``) the counterfactual value of each local sequence
    (``w[0]``: the player's expected utility) and ``V`` (``[k]``) each set's counterfactual value under
    ``policy``. ``leaves`` is overwritten."""
    w = leaves
    values = np.empty(tree.n_sets)
    if tree.compiled:
        _kernels()[1](tree.level_sets, tree.set_starts, tree.set_sizes, tree.set_parent,
                      np.ascontiguousarray(policy, dtype=np.float64), w, values, False)
        return w, values
    for lv in reversed(tree.levels):
        weighted = policy[lv.a0:lv.a1] * w[1 + lv.a0:1 + lv.a1]
        values[lv.i0:lv.i1] = np.add.reduceat(weighted, lv.starts)
        w[lv.parents] += np.bincount(lv.parent_of_set, values[lv.i0:lv.i1], minlength=lv.parents.shape[0])
    return w, values


def best_response_value(tree: PlayerTree, leaves: np.ndarray) -> float:
    """The player's best-response value given its leaf values (``leaves`` is overwritten)."""
    w = leaves
    if tree.compiled:
        _kernels()[1](tree.level_sets, tree.set_starts, tree.set_sizes, tree.set_parent, tree.uniform, w,
                      np.empty(tree.n_sets), True)
        return float(w[0])
    for lv in reversed(tree.levels):
        best = np.maximum.reduceat(w[1 + lv.a0:1 + lv.a1], lv.starts)
        w[lv.parents] += np.bincount(lv.parent_of_set, best, minlength=lv.parents.shape[0])
    return float(w[0])


def _plan_loops(action_parent: np.ndarray, policy: np.ndarray, plan: np.ndarray) -> None:
    """:func:`realization_plan` action by action (the layout puts every parent sequence first)."""
    for j in range(policy.shape[0]):
        plan[1 + j] = plan[action_parent[j]] * policy[j]


def _sweep_loops(level_sets: np.ndarray, set_starts: np.ndarray, set_sizes: np.ndarray, set_parent: np.ndarray,
                 policy: np.ndarray, w: np.ndarray, values: np.ndarray, maximum: bool) -> None:
    """:func:`counterfactual_values` (``maximum``: :func:`best_response_value`) set by set, deepest level first."""
    for level in range(level_sets.shape[0] - 2, -1, -1):
        for i in range(level_sets[level], level_sets[level + 1]):
            start = set_starts[i]
            if maximum:
                total = w[1 + start]
                for a in range(start + 1, start + set_sizes[i]):
                    total = max(total, w[1 + a])
            else:
                total = 0.0
                for a in range(start, start + set_sizes[i]):
                    total += policy[a] * w[1 + a]
            values[i] = total
            w[set_parent[i]] += total


def ensure_kernels(seq: SequenceTree, timeout: float | None) -> Compilation:
    """Load the compiled sweeps before their first call where ``seq`` uses them, or have them compiled in another
    process within ``timeout`` seconds (:func:`equilibria.core.compiled.ensure_compiled`): a first compilation
    takes seconds, which a solver's time limit must cover. Ready at once when no player's sweeps are compiled."""
    tree = next((player for player in seq.players if player.compiled), None)
    if tree is None or _LOADED:
        return Compilation(True)
    plan, sweep = _kernels()
    policy, w = np.zeros(tree.n_actions), np.zeros(tree.n_actions + 1)
    kernels = ((plan, (tree.action_parent, policy, w)),
               (sweep, (tree.level_sets, tree.set_starts, tree.set_sizes, tree.set_parent, policy, w,
                        np.zeros(tree.n_sets), False)),
               (sweep, (tree.level_sets, tree.set_starts, tree.set_sizes, tree.set_parent, tree.uniform, w,
                        np.zeros(tree.n_sets), True)))
    compilation = ensure_all_compiled(kernels, timeout)
    if compilation.loaded:
        _LOADED.append(True)
    return compilation


_LOADED: list[bool] = []  # non-empty once the sweeps are loaded for their argument types


@functools.cache
def _kernels() -> tuple[Callable[..., None], Callable[..., None]]:
    """The compiled sweeps for deep trees (leaves, cached on disk), built on first use."""
    return jit_leaf(_plan_loops), jit_leaf(_sweep_loops)


def regret_matching(tree: PlayerTree, regrets: np.ndarray) -> np.ndarray:
    """``[m]`` each set plays in proportion to its positive regrets (uniformly when none is positive)."""
    return normalise(tree, np.maximum(regrets, 0.0))


def normalise(tree: PlayerTree, weights: np.ndarray) -> np.ndarray:
    """``[m]`` nonnegative ``weights`` divided by their set's total (uniform where the total is 0)."""
    if tree.n_actions == 0:
        return weights.copy()
    totals = np.add.reduceat(weights, tree.set_starts)[tree.action_set]
    positive = totals > 0
    return np.where(positive, weights / np.where(positive, totals, 1.0), tree.uniform)


def sample_pure(tree: PlayerTree, policy: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """``[m]`` a pure strategy (0/1 per local action) drawn set by set from ``policy`` with ``uniforms`` (``[k]``)."""
    choice = _inverse_cdf(np.append(policy, 0.0)[tree.padded], uniforms, tree.set_sizes)
    pure = np.zeros(tree.n_actions)
    pure[tree.set_starts + choice] = 1.0
    return pure


def sample_chance(seq: SequenceTree, uniforms: np.ndarray) -> np.ndarray:
    """``[n_terminals]`` 1 where every chance edge on the path was drawn (one outcome per chance node), else 0."""
    game = seq.game
    n_nodes = game.n_nodes
    drawn = np.zeros(n_nodes + 1, dtype=bool)
    drawn[n_nodes] = True  # the padding of terminal_chance_edges
    if seq.chance_padded.shape[0]:
        sizes = np.sum(seq.chance_padded < n_nodes, axis=1)
        choice = _inverse_cdf(seq.chance_padded_prob, uniforms, sizes)
        drawn[seq.chance_padded[np.arange(choice.shape[0]), choice]] = True
    if seq.terminal_chance_edges is None:  # deep trees: the product of the drawn indicators down the paths
        below_chance = np.zeros(n_nodes, dtype=bool)
        below_chance[1:] = game.player[game.parent[1:]] == CHANCE
        edge = np.where(below_chance & ~drawn[:n_nodes], 0.0, 1.0)
        return _path_products(game, edge)[game.terminals]
    return np.all(drawn[seq.terminal_chance_edges], axis=1).astype(float)


def _inverse_cdf(probs: np.ndarray, uniforms: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Row-wise draw from ``probs`` (``[rows, width]``, zero-padded): the first entry whose cumulative sum exceeds
    ``uniform * total``; exact within each row, so zero-probability entries are never drawn."""
    cumulative = np.cumsum(probs, axis=1)
    below = cumulative <= (uniforms * cumulative[:, -1])[:, None]
    return np.minimum(np.sum(below, axis=1), sizes - 1)


def profile_values(seq: SequenceTree, plans: Sequence[np.ndarray]) -> np.ndarray:
    """``[n_players]`` expected utilities under the realization plans."""
    reach = np.ones(seq.terminal_sequence.shape[1])
    for q, plan in enumerate(plans):
        reach = reach * plan[seq.terminal_sequence[q]]
    return seq.chance_payoff @ reach


def nash_conv(seq: SequenceTree, policies: Sequence[np.ndarray]) -> float:
    """``sum_p (BR_p - u_p)`` for per-player level-order ``policies`` (the fast check :func:`cfr_solve` stops on;
    the certificate itself comes from :mod:`equilibria.metrics.exploitability`)."""
    plans = [realization_plan(tree, pol) for tree, pol in zip(seq.players, policies, strict=True)]
    values = profile_values(seq, plans)
    return float(sum(best_response_value(tree, leaf_values(seq, tree.player, plans)) - values[tree.player]
                     for tree in seq.players))
