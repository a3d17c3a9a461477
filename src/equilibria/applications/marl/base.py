"""Multi-agent reinforcement learning in stochastic games: the environment and the learner protocol, in JAX.

Conventions (written once, here; every learner in :mod:`equilibria.applications.marl` follows them):

- **The environment** is a :class:`~equilibria.games.stochastic.StochasticGame` as a JAX pytree, :class:`MarkovEnv`
  (``env(game)``): the same arrays (rewards, successors, probabilities, action masks, discount, initial
  distribution, terminal states). :func:`reset` draws a first state from ``initial``; :func:`step` takes a joint
  action ``int32 [n_players]`` in a state and returns the rewards ``[n_players]``, the next state and ``done``.
  After a terminal state (``done``) the next step starts afresh from ``initial``; learners must not bootstrap
  through ``done`` (the terminal state's value is 0). Keys are passed explicitly; one episode stream per call,
  batching over seeds is ``jax.vmap`` outside.
- **A learner** is :class:`Learner`, pure functions over one explicit state pytree holding *every* agent's tables
  (independent learners are a product, joint learners share): ``init(env, key) -> state``;
  ``act(env, state, s, key) -> int32 [n_players]`` (exploration included); ``update(env, state, transition) ->
  state`` (one observed :class:`Transition`); ``policy(env, state) -> tuple`` of ``[n_states, max_actions[i]]``
  float arrays, the stationary profile the learner stands for now (greedy, its mixed strategy, or its average, as
  the learner documents), rows distributions over each state's actions. Hyperparameters are closed over by the
  constructor, so a ``Learner`` is a hashable recipe ``jax.jit`` takes as a static argument.
- **Evaluation** is never the learner's own estimate: the exploitability of ``policy(...)`` is computed exactly by
  :func:`equilibria.metrics.stochastic.exploitability` (best responses by policy iteration), at checkpoints.
- Actions outside a state's action set are never taken: ``act`` samples only available actions (masks from
  :class:`MarkovEnv`), and tables keep ``-inf``/0 on padding as each learner documents.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from equilibria.games.stochastic import StochasticGame


class MarkovEnv(NamedTuple):
    """A stochastic game's arrays for JAX (see :mod:`equilibria.games.stochastic` for the shapes).

    Attributes:
      rewards: ``[n_players, n_states, *max_actions]`` float32.
      successors: ``[n_states, *max_actions, k]`` int32.
      probabilities: ``[n_states, *max_actions, k]`` float32.
      available: per player ``[n_states, max_actions[i]]`` bool, the actions each state offers.
      discount: float32 scalar.
      initial: ``[n_states]`` float32.
      terminal: ``[n_states]`` bool.
    """

    rewards: jax.Array
    successors: jax.Array
    probabilities: jax.Array
    available: tuple[jax.Array, ...]
    discount: jax.Array
    initial: jax.Array
    terminal: jax.Array

    @property
    def n_players(self) -> int:
        return int(self.rewards.shape[0])

    @property
    def n_states(self) -> int:
        return int(self.rewards.shape[1])

    @property
    def max_actions(self) -> tuple[int, ...]:
        return tuple(int(k) for k in self.rewards.shape[2:])


def env(game: StochasticGame) -> MarkovEnv:
    """The game's arrays as a :class:`MarkovEnv` (float32 / int32 on the default device)."""
    available = tuple(jnp.asarray(np.arange(width)[None, :] < game.n_actions[:, i][:, None])
                      for i, width in enumerate(game.max_actions))
    return MarkovEnv(jnp.asarray(game.rewards, jnp.float32), jnp.asarray(game.successors, jnp.int32),
                     jnp.asarray(game.probabilities, jnp.float32), available,
                     jnp.asarray(game.discount, jnp.float32), jnp.asarray(game.initial, jnp.float32),
                     jnp.asarray(game.terminal))


class Transition(NamedTuple):
    """One observed step: ``state`` (int32 scalar), ``actions`` (int32 ``[n_players]``), ``rewards`` (float32
    ``[n_players]``), ``next_state`` (int32 scalar), ``done`` (bool scalar: ``next_state`` is terminal)."""

    state: jax.Array
    actions: jax.Array
    rewards: jax.Array
    next_state: jax.Array
    done: jax.Array


def reset(environment: MarkovEnv, key: jax.Array) -> jax.Array:
    """A first state drawn from ``initial`` (int32 scalar)."""
    return jax.random.choice(key, environment.n_states, p=environment.initial).astype(jnp.int32)


def step(environment: MarkovEnv, state: jax.Array, actions: jax.Array, key: jax.Array) -> Transition:
    """Play ``actions`` (int32 ``[n_players]``) in ``state``: the rewards, a next state drawn from the transition, and
    whether it is terminal."""
    index = (state, *actions)
    rewards = environment.rewards[(slice(None), *index)]
    next_state = jax.random.choice(key, environment.successors[index],
                                   p=environment.probabilities[index]).astype(jnp.int32)
    return Transition(state, actions, rewards, next_state, environment.terminal[next_state])


def continue_from(environment: MarkovEnv, transition: Transition, key: jax.Array) -> jax.Array:
    """The state the next step starts from: ``next_state``, or a fresh first state after a terminal one."""
    return jnp.where(transition.done, reset(environment, key), transition.next_state)


class Learner(NamedTuple):
    """A multi-agent learner (module docstring): four pure functions, a name and its hyperparameters.

    Attributes:
      init: ``init(env, key) -> state``.
      act: ``act(env, state, s, key) -> int32 [n_players]``.
      update: ``update(env, state, transition) -> state``.
      policy: ``policy(env, state) -> tuple of [n_states, max_actions[i]]`` (the profile to evaluate).
      name: e.g. ``"minimax-q"``.
      hyperparameters: ``(name, value)`` pairs, recorded with results.
    """

    init: Callable[[MarkovEnv, jax.Array], Any]
    act: Callable[[MarkovEnv, Any, jax.Array, jax.Array], jax.Array]
    update: Callable[[MarkovEnv, Any, Transition], Any]
    policy: Callable[[MarkovEnv, Any], tuple[jax.Array, ...]]
    name: str
    hyperparameters: tuple[tuple[str, Any], ...] = ()


def masked_uniform(available: jax.Array) -> jax.Array:
    """Rows uniform over the available actions: ``[..., width]`` bool -> float32 distributions."""
    counts = available.sum(axis=-1, keepdims=True)
    return jnp.where(available, 1.0 / counts, 0.0).astype(jnp.float32)


def sample_actions(policies: tuple[jax.Array, ...], state: jax.Array, key: jax.Array) -> jax.Array:
    """One action per player drawn from each row ``policies[i][state]`` (independently): int32 ``[n_players]``."""
    keys = jax.random.split(key, len(policies))
    return jnp.stack([jax.random.choice(k, policy.shape[1], p=policy[state]) for k, policy in
                      zip(keys, policies, strict=True)]).astype(jnp.int32)


__all__ = ["Learner", "MarkovEnv", "Transition", "continue_from", "env", "masked_uniform", "reset",
           "sample_actions", "step"]
