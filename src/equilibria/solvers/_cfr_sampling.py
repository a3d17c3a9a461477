"""Outcome-sampling Monte Carlo CFR (Lanctot, Waugh, Zinkevich and Bowling 2009): one sampled history per update.

The updating player ``p`` samples its actions from ``exploration * uniform + (1 - exploration) * pi``; chance and the
other players sample on-policy. With ``z`` the sampled terminal, ``q(z)`` its sampling probability and ``pi_{-p}(z)``
the reach of chance and the other players, the sampled counterfactual value of the sampled action ``a*`` at a set
``I`` of ``p`` on the path is ``v(I, a*) = u_p(z) pi_{-p}(z) pi_p(I a* -> z) / q(z)`` (0 for the other actions), an
unbiased estimate of the counterfactual value; the instantaneous regrets are ``v(I, a) - pi(I, a*) v(I, a*)``.
The updating player's average policy is updated at its sets on the path with weight ``pi_p(h) / q(h)``
("stochastically weighted averaging"), an unbiased estimate of the own-reach weighting (it also works in
one-player games, where there is no other player to update).

The walk follows a single path, so it is a short Python loop (one step per move, about ten in Leduc poker); the
tree's flat arrays are read through cached Python lists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from equilibria.core.caches import per_game
from equilibria.games.extensive_form import CHANCE, TERMINAL, ExtensiveFormGame
from equilibria.solvers._cfr_tree import SequenceTree


@dataclass(frozen=True)
class _Nodes:
    player: list[int]
    first_child: list[int]
    n_children: list[int]
    infoset: list[int]
    offset: list[int]
    chance_prob: list[float]
    max_depth: int


@per_game
def _nodes(game: ExtensiveFormGame) -> _Nodes:
    return _Nodes(game.player.tolist(), game.first_child.tolist(), game.n_children.tolist(),
                  game.infoset.tolist(), game.infoset_action_offset.tolist(),
                  game.chance_prob.tolist(), int(game.depth.max()))


def _draw(probs: list[float], uniform: float) -> int:
    """Index drawn from ``probs`` (nonnegative, positive total): never a zero-probability entry."""
    target, total, last = uniform * sum(probs), 0.0, 0
    for i, p in enumerate(probs):  # a handful of actions: plain floats beat numpy calls here
        if p > 0:
            total += p
            last = i
            if total > target:
                return i
    return last


def outcome_sampling_regrets(seq: SequenceTree, player: int, policy: np.ndarray, policy_sum: np.ndarray,
                             weight: float, exploration: float, rng: np.random.Generator) -> np.ndarray:
    """``[m]`` sampled instantaneous regrets of ``player`` (level-order layout) from one sampled history; adds its
    stochastically weighted average contributions (times ``weight``) to ``policy_sum``."""
    nodes = _nodes(seq.game)
    uniforms = rng.random(nodes.max_depth + 1).tolist()
    own_reach = [1.0] * seq.game.n_players
    chance_reach = sample_reach = 1.0
    visits: list[tuple[int, int, list[float], int, float, float]] = []  # (mover, offset, pi, action, reaches)
    node, step = 0, 0
    while nodes.player[node] != TERMINAL:
        first, count, mover = nodes.first_child[node], nodes.n_children[node], nodes.player[node]
        if mover == CHANCE:
            probs = nodes.chance_prob[first:first + count]
            a = _draw(probs, uniforms[step])
            chance_reach *= probs[a]
            sample_reach *= probs[a]
        else:
            lo = nodes.offset[nodes.infoset[node]]
            sigma = policy[lo:lo + count].tolist()
            sampling = [exploration / count + (1 - exploration) * x for x in sigma] if mover == player else sigma
            a = _draw(sampling, uniforms[step])
            visits.append((mover, lo, sigma, a, own_reach[mover], sample_reach))
            own_reach[mover] *= sigma[a]
            sample_reach *= sampling[a]
        node, step = first + a, step + 1
    others = chance_reach * math.prod(r for q, r in enumerate(own_reach) if q != player)
    scale = float(seq.game.payoffs[node, player]) * others / sample_reach
    regrets = np.zeros(seq.players[player].n_actions)
    tail = 1.0  # the updating player's own probability of its moves after the current one
    for mover, lo, sigma, a, reach, reach_sampled in reversed(visits):
        if mover == player:
            value = scale * tail  # sampled counterfactual value of the sampled action
            where = seq.local_index[lo:lo + len(sigma)]
            regrets[where] -= value * sigma[a]
            regrets[where[a]] += value
            tail *= sigma[a]
            if weight:
                policy_sum[lo:lo + len(sigma)] += (weight * reach / reach_sampled) * np.asarray(sigma)
    return regrets
