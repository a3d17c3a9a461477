"""A learned challenger: Q-learning against a fixed stationary policy, Littman's (1994) test of robustness.

Littman judged a policy learned on soccer by freezing it and training a fresh Q-learner against it, then playing the
two: the minimax-Q policy kept a fair share of its games, the Q-learned one lost them all. The exact best response
(:func:`equilibria.metrics.stochastic.best_response`) is the strongest such challenger; a learned one is what an
adaptive opponent with the same experience budget finds, which is the question Littman asked.

The challenger controls one player (``challenger``) of a two-player stochastic game; the other plays the frozen
stationary ``policy``. Each step the frozen player's action is drawn from ``policy[s]``, the challenger's by
epsilon-greedy exploration of its table ``Q[s, b]`` (ties split uniformly), the next state from the game's
transitions and the reward is the challenger's own; the update is Watkins' ``Q[s, b] += alpha (r + discount
max_b' Q[s', b'] - Q[s, b])`` with a constant ``alpha`` (bootstrapping stops at a terminal state, and play then
restarts from the initial distribution, as it also does at the start). Several frozen policies are challenged in one
call (``vmap`` over policies and keys). The result is the challenger's greedy policy (ties split), ready for the
exact evaluation :func:`equilibria.metrics.stochastic.profile_values`.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from equilibria.core.errors import GameError
from equilibria.games.stochastic import StochasticGame

# Relative tolerance under which two float32 table entries count as tied (the greedy row splits them).
TIE_TOL = 1e-6


def learned_challengers(game: StochasticGame, policies: Any, *, challenger: int = 1, steps: int = 100_000,
                        epsilon: float = 0.2, learning_rate: float = 0.1, seed: int = 0) -> np.ndarray:
    """Train one Q-learning challenger against each frozen policy (module docstring).

    Args:
      game: a two-player stochastic game.
      policies: ``[n_policies, n_states, max_actions[other]]``, the frozen player's stationary policies (rows on its
        available actions).
      challenger: the player the challenger controls (0 or 1).
      steps: Q-learning steps per challenger; epsilon: its exploration probability; learning_rate: its constant
        step size; seed: the key of the first challenger (challenger ``k`` uses ``fold_in(key, k)``).

    Returns:
      ``[n_policies, n_states, max_actions[challenger]]`` float64: each challenger's greedy policy (ties split).
    """
    if game.n_players != 2 or challenger not in (0, 1):
        raise GameError(f"learned_challengers: needs a two-player game and challenger 0 or 1, got "
                        f"{game.n_players} players and challenger {challenger!r}")
    if not (isinstance(steps, int) and steps >= 1) or not 0.0 <= epsilon <= 1.0 or not 0.0 < learning_rate <= 1.0:
        raise GameError(f"learned_challengers: expected steps >= 1, epsilon in [0, 1] and learning_rate in (0, 1], "
                        f"got {steps!r}, {epsilon!r}, {learning_rate!r}")
    other = 1 - challenger
    frozen = np.asarray(policies, dtype=float)
    if frozen.ndim != 3 or frozen.shape[1:] != (game.n_states, game.max_actions[other]):
        raise GameError(f"learned_challengers(policies): expected [n_policies, {game.n_states}, "
                        f"{game.max_actions[other]}], got shape {frozen.shape}")
    uniform = game.uniform_policy()
    for policy in frozen:  # validated as part of a profile (the challenger's part is any valid policy)
        game.check_policy(tuple(policy if i == other else uniform[i] for i in range(2)),
                          "learned_challengers(policies)")
    import jax
    import jax.numpy as jnp

    run = _trainer(steps, challenger)
    tables = jax.jit(jax.vmap(run, in_axes=(0, 0, None, None, None, None, None, None, None, None, None)))(
        jnp.asarray(frozen, jnp.float32), jax.vmap(lambda k: jax.random.fold_in(jax.random.key(seed), k))(
            jnp.arange(frozen.shape[0])),
        jnp.asarray(game.rewards[challenger], jnp.float32), jnp.asarray(game.successors, jnp.int32),
        jnp.asarray(game.probabilities, jnp.float32), jnp.asarray(game.initial, jnp.float32),
        jnp.asarray(_terminal_mask(game)), jnp.asarray(_available(game, challenger)),
        jnp.float32(game.discount), jnp.float32(epsilon), jnp.float32(learning_rate))
    return _greedy(np.asarray(tables, dtype=float), _available(game, challenger))


def _terminal_mask(game: StochasticGame) -> np.ndarray:
    return np.zeros(game.n_states, dtype=bool) if game.terminal is None else np.asarray(game.terminal, dtype=bool)


def _available(game: StochasticGame, player: int) -> np.ndarray:
    """``[n_states, max_actions[player]]`` bool: the player's actions in each state."""
    return np.arange(game.max_actions[player])[None, :] < game.n_actions[:, player][:, None]


def _greedy(tables: np.ndarray, available: np.ndarray) -> np.ndarray:
    masked = np.where(available, tables, -np.inf)
    best = masked.max(axis=-1, keepdims=True)
    ties = available & (masked >= best - TIE_TOL * (1.0 + np.abs(best)))
    return ties / ties.sum(axis=-1, keepdims=True)


@functools.lru_cache(maxsize=8)
def _trainer(steps: int, challenger: int) -> Any:
    import jax
    import jax.numpy as jnp

    def run(frozen: Any, key: Any, rewards: Any, successors: Any, probabilities: Any, initial: Any, terminal: Any,
            available: Any, discount: Any, epsilon: Any, learning_rate: Any) -> Any:
        def joint(own: Any, theirs: Any) -> tuple[Any, Any]:
            return (theirs, own) if challenger == 1 else (own, theirs)

        def step(carry: tuple[Any, Any, Any], _: None) -> tuple[tuple[Any, Any, Any], None]:
            q, s, key = carry
            key, k_other, k_explore, k_random, k_greedy, k_next, k_restart = jax.random.split(key, 7)
            theirs = jax.random.choice(k_other, frozen.shape[1], p=frozen[s])
            row = jnp.where(available[s], q[s], -jnp.inf)
            ties = available[s] & (row >= row.max() - TIE_TOL * (1.0 + jnp.abs(row.max())))
            greedy = jax.random.choice(k_greedy, q.shape[1], p=ties / ties.sum())
            uniform = jax.random.choice(k_random, q.shape[1], p=available[s] / available[s].sum())
            own = jnp.where(jax.random.uniform(k_explore) < epsilon, uniform, greedy)
            a, b = joint(own, theirs)
            outcome = jax.random.choice(k_next, successors.shape[-1], p=probabilities[s, a, b])
            nxt = successors[s, a, b, outcome]
            done = terminal[nxt]
            future = jnp.where(done, 0.0, jnp.max(jnp.where(available[nxt], q[nxt], -jnp.inf)))
            target = rewards[s, a, b] + discount * future
            q = q.at[s, own].add(learning_rate * (target - q[s, own]))
            restart = jax.random.choice(k_restart, initial.shape[0], p=initial)
            return (q, jnp.where(done, restart, nxt), key), None

        key, k_start = jax.random.split(key)
        q = jnp.zeros(available.shape, jnp.float32)
        start = jax.random.choice(k_start, initial.shape[0], p=initial)
        (q, _, _), _ = jax.lax.scan(step, (q, start, key), None, length=steps)
        return q

    return run


__all__ = ["learned_challengers"]
