"""Independent and Q-value learners: independent Q-learning, friend-Q, and WoLF-PHC, as :class:`Learner` recipes.

Conventions (:mod:`equilibria.applications.marl.base` for the protocol; written once, here, for this module and the
learners that import its helpers):

- **Tables** live in a frozen dataclass registered as a JAX pytree; one array per player (a tuple), float32.
  Padding entries (actions a state does not offer) stay at their initial value and are never read: every max,
  argmax and distribution is masked by ``env.available``.
- **Schedules** count visits: the learning rate of an entry visited ``n`` times before is
  ``learning_rate / (1 + n) ** learning_rate_power`` (``power = 0``: constant; Q-learning's convergence conditions
  ask for ``1/2 < power <= 1``). Exploration decays per step ``t``: ``epsilon_t = max(epsilon_min, epsilon *
  epsilon_decay ** t)`` and ``temperature_t = max(temperature_min, temperature * temperature_decay ** t)``.
- **Exploration** is ``"epsilon"`` (with probability ``epsilon_t`` uniform over the available actions, else the
  greedy actions, ties split uniformly) or ``"boltzmann"`` (``softmax(values / temperature_t)`` over the available
  actions).
- **Greedy with ties split**: actions whose value is within ``TIE_TOL * (1 + |max|)`` of the best share the row
  equally (float32 tables; an all-equal table is the uniform policy, not the first action).
- Bootstrapping stops at ``done`` (a terminal state's value is 0), as the protocol says.

Learners (each constructor is cached: equal hyperparameters give the same :class:`Learner`, so ``jax.jit`` compiles
once per recipe):

- :func:`independent_q`: each agent runs Q-learning (Watkins 1989) on its own actions and rewards, blind to the
  others, who are part of its (non-stationary) environment. ``policy``: greedy, ties split.
- :func:`friend_q`: Littman's (2001) friend-Q: each agent learns ``Q_i`` over *joint* actions and values a state by
  the best joint action, ``V_i(s) = max_a Q_i(s, a)`` (everyone is a friend: coordination games). Each acts on its
  own component of its greedy joint actions (ties split). ``policy``: that marginal. Foe-Q (the minimax value of the
  stage game) needs a matrix-game LP per update and lives with minimax-Q, not here.
- :func:`wolf_phc`: Bowling and Veloso's (2002) WoLF policy hill climbing: Q-learning on the agent's own actions plus a
  mixed policy ``pi`` that moves by ``delta`` towards the greedy actions, with ``delta = delta_win`` when the agent
  is "winning" (``pi`` scores more than the average policy against ``Q``) and ``delta_lose > delta_win`` otherwise.
  ``policy``: the current ``pi`` (``average=False``) or the running average policy (``average=True``; named
  ``"wolf-phc-average"``), whose convergence to equilibrium in self-play is the result the paper shows.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import jax
import jax.numpy as jnp

from equilibria.applications.marl.base import Learner, MarkovEnv, Transition, masked_uniform
from equilibria.core.errors import GameError
from equilibria.dynamics.base import state_dataclass  # a frozen dataclass registered as a JAX pytree

# Relative tolerance under which two float32 table entries count as tied (greedy rows split them).
TIE_TOL = 1e-6
EXPLORATIONS = ("epsilon", "boltzmann")


# -- checks of hyperparameters (GameError, one line naming the argument) ------------------------------------------

def check_number(name: str, value: Any, low: float, high: float = float("inf"), *, low_open: bool = False) -> float:
    """``value`` as a float in ``[low, high]`` (``(low, high]`` with ``low_open``); GameError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise GameError(f"{name}: expected a number, got {value!r}")
    value = float(value)
    if not (value > low if low_open else value >= low) or not value <= high:
        bracket = "(" if low_open else "["
        raise GameError(f"{name}: expected a number in {bracket}{low:g}, {high:g}], got {value!r}")
    return value


def check_exploration(exploration: str) -> str:
    if exploration not in EXPLORATIONS:
        raise GameError(f"exploration: expected one of {', '.join(EXPLORATIONS)}, got {exploration!r}")
    return exploration


# -- shared pieces (also used by joint_action and policy_gradient) -------------------------------------------------

def greedy_rows(values: jax.Array, available: jax.Array) -> jax.Array:
    """Rows uniform over the best available entries: ``values, available: [..., width]`` -> distributions."""
    masked = jnp.where(available, values, -jnp.inf)
    best = masked.max(axis=-1, keepdims=True)
    tied = available & (masked >= best - TIE_TOL * (1.0 + jnp.abs(best)))
    return tied / tied.sum(axis=-1, keepdims=True)


def decayed(value: float, decay: float, floor: float, t: jax.Array) -> jax.Array:
    """``max(floor, value * decay ** t)`` (float32)."""
    return jnp.maximum(floor, value * jnp.power(jnp.float32(decay), t.astype(jnp.float32)))


def rate(base: float, power: float, visits: jax.Array) -> jax.Array:
    """The learning rate of an entry visited ``visits`` times before: ``base / (1 + visits) ** power``."""
    return base / jnp.power(1.0 + visits.astype(jnp.float32), power)


@dataclasses.dataclass(frozen=True)
class Exploration:
    """How an agent turns its action values into a behaviour row (module docstring)."""

    kind: str = "epsilon"
    epsilon: float = 0.1
    epsilon_decay: float = 1.0
    epsilon_min: float = 0.0
    temperature: float = 1.0
    temperature_decay: float = 1.0
    temperature_min: float = 0.01

    @staticmethod
    def checked(kind: str, epsilon: float, epsilon_decay: float, epsilon_min: float, temperature: float,
                temperature_decay: float, temperature_min: float) -> Exploration:
        return Exploration(check_exploration(kind), check_number("epsilon", epsilon, 0.0, 1.0),
                           check_number("epsilon_decay", epsilon_decay, 0.0, 1.0, low_open=True),
                           check_number("epsilon_min", epsilon_min, 0.0, 1.0),
                           check_number("temperature", temperature, 0.0, low_open=True),
                           check_number("temperature_decay", temperature_decay, 0.0, 1.0, low_open=True),
                           check_number("temperature_min", temperature_min, 0.0, low_open=True))

    def row(self, values: jax.Array, available: jax.Array, t: jax.Array) -> jax.Array:
        """The behaviour distribution for action values ``values: [width]`` at step ``t``."""
        if self.kind == "boltzmann":
            temperature = decayed(self.temperature, self.temperature_decay, self.temperature_min, t)
            logits = jnp.where(available, values / temperature, -jnp.inf)
            return jax.nn.softmax(logits)
        epsilon = decayed(self.epsilon, self.epsilon_decay, self.epsilon_min, t)
        return (1.0 - epsilon) * greedy_rows(values, available) + epsilon * masked_uniform(available)

    def items(self) -> tuple[tuple[str, Any], ...]:
        if self.kind == "boltzmann":
            return (("exploration", "boltzmann"), ("temperature", self.temperature),
                    ("temperature_decay", self.temperature_decay), ("temperature_min", self.temperature_min))
        return (("exploration", "epsilon"), ("epsilon", self.epsilon), ("epsilon_decay", self.epsilon_decay),
                ("epsilon_min", self.epsilon_min))


def draw(key: jax.Array, row: jax.Array) -> jax.Array:
    """One action from the distribution ``row: [width]`` (int32): the first index whose cumulative probability
    exceeds a uniform draw, which is never a zero-probability entry (cheaper to compile than ``random.choice``)."""
    cumulative = jnp.cumsum(row)
    u = jax.random.uniform(key, dtype=cumulative.dtype) * cumulative[-1]
    return jnp.argmax(cumulative > u).astype(jnp.int32)


def own_q_update(q: jax.Array, visits: jax.Array, environment: MarkovEnv, player: int, transition: Transition,
                 target_value: jax.Array, learning_rate: float, power: float) -> tuple[jax.Array, jax.Array]:
    """One TD step on ``q[s, a_player]`` towards ``r_player + discount * target_value`` (``target_value`` is the
    next state's value, ignored through ``done``); returns the new table and visit counts."""
    s, a = transition.state, transition.actions[player]
    target = transition.rewards[player] + environment.discount * jnp.where(transition.done, 0.0, target_value)
    alpha = rate(learning_rate, power, visits[s, a])
    return q.at[s, a].add(alpha * (target - q[s, a])), visits.at[s, a].add(1)


def max_available(values: jax.Array, available: jax.Array) -> jax.Array:
    """The largest available entry of ``values: [width]``."""
    return jnp.where(available, values, -jnp.inf).max()


# -- independent Q-learning -----------------------------------------------------------------------------------------

@state_dataclass
class QTables:
    """Per player: ``q[i]: [n_states, max_actions[i]]`` and ``visits[i]`` (int32, same shape); ``t``: steps seen."""

    q: tuple[jax.Array, ...]
    visits: tuple[jax.Array, ...]
    t: jax.Array


@functools.lru_cache(maxsize=256)
def independent_q(*, learning_rate: float = 0.1, learning_rate_power: float = 0.0, exploration: str = "epsilon",
                  epsilon: float = 0.1, epsilon_decay: float = 1.0, epsilon_min: float = 0.0,
                  temperature: float = 1.0, temperature_decay: float = 1.0, temperature_min: float = 0.01,
                  initial_q: float = 0.0) -> Learner:
    """Independent Q-learners (module docstring): each agent's own ``Q_i(s, a_i)``, its own rewards, max-backup.

    ``policy``: greedy in every state, ties split uniformly.
    """
    check_number("learning_rate", learning_rate, 0.0, 1.0, low_open=True)
    check_number("learning_rate_power", learning_rate_power, 0.0, 1.0)
    check_number("initial_q", initial_q, -float("inf"))
    explore = Exploration.checked(exploration, epsilon, epsilon_decay, epsilon_min, temperature, temperature_decay,
                                  temperature_min)

    def init(environment: MarkovEnv, key: jax.Array) -> QTables:
        del key  # deterministic start
        q = tuple(jnp.full(m.shape, initial_q, jnp.float32) for m in environment.available)
        return QTables(q, tuple(jnp.zeros(m.shape, jnp.int32) for m in environment.available),
                       jnp.zeros((), jnp.int32))

    def act(environment: MarkovEnv, state: QTables, s: jax.Array, key: jax.Array) -> jax.Array:
        keys = jax.random.split(key, len(state.q))
        return jnp.stack([draw(k, explore.row(q[s], m[s], state.t))
                          for k, q, m in zip(keys, state.q, environment.available, strict=True)])

    def update(environment: MarkovEnv, state: QTables, transition: Transition) -> QTables:
        q_new, visits_new = [], []
        for i, (q, visits, m) in enumerate(zip(state.q, state.visits, environment.available, strict=True)):
            nxt = transition.next_state
            qi, vi = own_q_update(q, visits, environment, i, transition, max_available(q[nxt], m[nxt]),
                                  learning_rate, learning_rate_power)
            q_new.append(qi)
            visits_new.append(vi)
        return QTables(tuple(q_new), tuple(visits_new), state.t + 1)

    def policy(environment: MarkovEnv, state: QTables) -> tuple[jax.Array, ...]:
        return tuple(greedy_rows(q, m) for q, m in zip(state.q, environment.available, strict=True))

    return Learner(init, act, update, policy, "independent-q",
                   (("learning_rate", learning_rate), ("learning_rate_power", learning_rate_power),
                    *explore.items(), ("initial_q", initial_q)))


# -- friend-Q ----------------------------------------------------------------------------------------------------

def joint_available(environment: MarkovEnv) -> jax.Array:
    """``[n_states, *max_actions]`` bool: the joint actions each state offers."""
    n = environment.n_players
    mask = jnp.ones((environment.n_states, *environment.max_actions), dtype=bool)
    for i, m in enumerate(environment.available):
        shape = [environment.n_states] + [1] * n
        shape[i + 1] = m.shape[1]
        mask = mask & m.reshape(shape)
    return mask


def marginal(joint: jax.Array, player: int) -> jax.Array:
    """``joint: [*max_actions]`` summed over every axis but ``player``'s: ``[max_actions[player]]``."""
    return joint.sum(axis=tuple(j for j in range(joint.ndim) if j != player))


@state_dataclass
class JointTables:
    """Per player ``q[i]: [n_states, *max_actions]`` over joint actions; ``visits``: int32 ``[n_states,
    *max_actions]`` (shared: every agent sees the joint action); ``t``: steps seen."""

    q: tuple[jax.Array, ...]
    visits: jax.Array
    t: jax.Array


def _friend_rows(q_s: jax.Array, mask_s: jax.Array, player: int) -> jax.Array:
    """Player ``player``'s component of the greedy joint actions of ``q_s: [*max_actions]``, ties split."""
    flat = greedy_rows(q_s.reshape(-1), mask_s.reshape(-1)).reshape(q_s.shape)
    return marginal(flat, player)


@functools.lru_cache(maxsize=256)
def friend_q(*, learning_rate: float = 0.1, learning_rate_power: float = 0.0, epsilon: float = 0.1,
             epsilon_decay: float = 1.0, epsilon_min: float = 0.0, initial_q: float = 0.0) -> Learner:
    """Littman's (2001) friend-Q (module docstring): ``Q_i`` over joint actions, ``V_i(s) = max_a Q_i(s, a)``.

    Acting: epsilon-greedy on the agent's component of its greedy joint actions. ``policy``: that component (ties
    among greedy joint actions split uniformly, so two friends with several optimal joint actions may miscoordinate:
    Littman's caveat, measured by the exploitability).
    """
    check_number("learning_rate", learning_rate, 0.0, 1.0, low_open=True)
    check_number("learning_rate_power", learning_rate_power, 0.0, 1.0)
    check_number("initial_q", initial_q, -float("inf"))
    explore = Exploration.checked("epsilon", epsilon, epsilon_decay, epsilon_min, 1.0, 1.0, 0.01)

    def init(environment: MarkovEnv, key: jax.Array) -> JointTables:
        del key
        shape = (environment.n_states, *environment.max_actions)
        return JointTables(tuple(jnp.full(shape, initial_q, jnp.float32) for _ in range(environment.n_players)),
                           jnp.zeros(shape, jnp.int32), jnp.zeros((), jnp.int32))

    def rows(environment: MarkovEnv, state: JointTables, s: jax.Array) -> list[jax.Array]:
        mask = joint_available(environment)[s]
        return [_friend_rows(q[s], mask, i) for i, q in enumerate(state.q)]

    def act(environment: MarkovEnv, state: JointTables, s: jax.Array, key: jax.Array) -> jax.Array:
        keys = jax.random.split(key, environment.n_players)
        epsilon = decayed(explore.epsilon, explore.epsilon_decay, explore.epsilon_min, state.t)
        return jnp.stack([draw(k, (1 - epsilon) * row + epsilon * masked_uniform(m[s])) for k, row, m in
                          zip(keys, rows(environment, state, s), environment.available, strict=True)])

    def update(environment: MarkovEnv, state: JointTables, transition: Transition) -> JointTables:
        index = (transition.state, *transition.actions)
        nxt = transition.next_state
        mask_next = joint_available(environment)[nxt]
        alpha = rate(learning_rate, learning_rate_power, state.visits[index])
        q_new = []
        for i, q in enumerate(state.q):
            value = jnp.where(transition.done, 0.0, jnp.where(mask_next, q[nxt], -jnp.inf).max())
            target = transition.rewards[i] + environment.discount * value
            q_new.append(q.at[index].add(alpha * (target - q[index])))
        return JointTables(tuple(q_new), state.visits.at[index].add(1), state.t + 1)

    def policy(environment: MarkovEnv, state: JointTables) -> tuple[jax.Array, ...]:
        mask = joint_available(environment)
        return tuple(jax.vmap(lambda q_s, m_s, i=i: _friend_rows(q_s, m_s, i))(q, mask)
                     for i, q in enumerate(state.q))

    return Learner(init, act, update, policy, "friend-q",
                   (("learning_rate", learning_rate), ("learning_rate_power", learning_rate_power),
                    *explore.items(), ("initial_q", initial_q)))


# -- WoLF-PHC ------------------------------------------------------------------------------------------------------

@state_dataclass
class WolfState:
    """Per player: ``q[i]``, ``pi[i]`` (current mixed policy), ``average[i]`` (running average of ``pi``), all
    ``[n_states, max_actions[i]]``; ``visits[i]`` int32 per (state, action), ``counts[i]`` int32 ``[n_states]``
    (policy updates per state); ``t``: steps seen."""

    q: tuple[jax.Array, ...]
    pi: tuple[jax.Array, ...]
    average: tuple[jax.Array, ...]
    visits: tuple[jax.Array, ...]
    counts: tuple[jax.Array, ...]
    t: jax.Array


def _hill_climb(pi: jax.Array, q: jax.Array, available: jax.Array, delta: jax.Array) -> jax.Array:
    """Move the row ``pi`` by ``delta`` towards the greedy actions of ``q`` (Bowling and Veloso's step, with the
    gain split over tied greedy actions): every other available action loses ``min(pi_a, delta / (n - 1))``."""
    greedy = greedy_rows(q, available) > 0
    n = available.sum()
    loss = jnp.where(available & ~greedy, jnp.minimum(pi, delta / jnp.maximum(n - 1, 1)), 0.0)
    gain = loss.sum() / greedy.sum()
    moved = jnp.where(greedy, pi + gain, pi - loss)
    return moved / moved.sum()  # float32 rounding would otherwise drift the row's sum over many steps


@functools.lru_cache(maxsize=256)
def wolf_phc(*, delta_win: float = 0.01, delta_lose: float = 0.04, learning_rate: float = 0.1,
             learning_rate_power: float = 0.0, epsilon: float = 0.05, epsilon_decay: float = 1.0,
             epsilon_min: float = 0.0, average: bool = False) -> Learner:
    """WoLF-PHC (Bowling and Veloso 2002; module docstring), ``0 < delta_win < delta_lose <= 1``.

    Acting: ``pi`` mixed with ``epsilon_t`` uniform exploration. ``policy``: ``pi`` (``average=False``, name
    ``"wolf-phc"``) or the average policy (``average=True``, ``"wolf-phc-average"``).
    """
    check_number("delta_win", delta_win, 0.0, 1.0, low_open=True)
    check_number("delta_lose", delta_lose, 0.0, 1.0, low_open=True)
    if not delta_win < delta_lose:
        raise GameError(f"delta_lose: WoLF learns fast when losing, so it must exceed delta_win = {delta_win}, got "
                        f"{delta_lose}")
    check_number("learning_rate", learning_rate, 0.0, 1.0, low_open=True)
    check_number("learning_rate_power", learning_rate_power, 0.0, 1.0)
    explore = Exploration.checked("epsilon", epsilon, epsilon_decay, epsilon_min, 1.0, 1.0, 0.01)
    if not isinstance(average, bool):
        raise GameError(f"average: expected True or False, got {average!r}")

    def init(environment: MarkovEnv, key: jax.Array) -> WolfState:
        del key
        zeros = tuple(jnp.zeros(m.shape, jnp.float32) for m in environment.available)
        uniform = tuple(masked_uniform(m) for m in environment.available)
        return WolfState(zeros, uniform, uniform, tuple(jnp.zeros(m.shape, jnp.int32) for m in environment.available),
                         tuple(jnp.zeros(environment.n_states, jnp.int32) for _ in environment.available),
                         jnp.zeros((), jnp.int32))

    def act(environment: MarkovEnv, state: WolfState, s: jax.Array, key: jax.Array) -> jax.Array:
        keys = jax.random.split(key, environment.n_players)
        eps = decayed(explore.epsilon, explore.epsilon_decay, explore.epsilon_min, state.t)
        return jnp.stack([draw(k, (1 - eps) * pi[s] + eps * masked_uniform(m[s]))
                          for k, pi, m in zip(keys, state.pi, environment.available, strict=True)])

    def update(environment: MarkovEnv, state: WolfState, transition: Transition) -> WolfState:
        s, nxt = transition.state, transition.next_state
        fields: list[list[jax.Array]] = [[], [], [], [], []]
        for i, m in enumerate(environment.available):
            q, visits = own_q_update(state.q[i], state.visits[i], environment, i, transition,
                                     max_available(state.q[i][nxt], m[nxt]), learning_rate, learning_rate_power)
            count = state.counts[i][s] + 1
            avg_row = state.average[i][s] + (state.pi[i][s] - state.average[i][s]) / count
            winning = jnp.dot(state.pi[i][s], q[s]) > jnp.dot(avg_row, q[s])
            delta = jnp.where(winning, delta_win, delta_lose)
            pi_row = _hill_climb(state.pi[i][s], q[s], m[s], delta)
            for field, value in zip(fields, (q, state.pi[i].at[s].set(pi_row), state.average[i].at[s].set(avg_row),
                                              visits, state.counts[i].at[s].set(count)), strict=True):
                field.append(value)
        q_t, pi_t, avg_t, visits_t, counts_t = (tuple(f) for f in fields)
        return WolfState(q_t, pi_t, avg_t, visits_t, counts_t, state.t + 1)

    def policy(environment: MarkovEnv, state: WolfState) -> tuple[jax.Array, ...]:
        return state.average if average else state.pi

    return Learner(init, act, update, policy, "wolf-phc-average" if average else "wolf-phc",
                   (("delta_win", delta_win), ("delta_lose", delta_lose), ("learning_rate", learning_rate),
                    ("learning_rate_power", learning_rate_power), *explore.items(), ("average", average)))


__all__ = ["EXPLORATIONS", "JointTables", "QTables", "WolfState", "friend_q", "independent_q", "wolf_phc"]
