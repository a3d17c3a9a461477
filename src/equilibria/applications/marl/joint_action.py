"""Joint-action learners with fictitious-play opponent models (Claus and Boutilier 1998), and their test bed.

A joint-action learner (JAL) ``i`` observes the joint action and learns ``Q_i(s, a)`` over *joint* actions from its
own rewards; it also keeps, per state, the empirical frequencies of every other player's actions (fictitious play's
model: the others play independently, each by its past frequencies). It values its own actions by their expected
value against that model, ``EV_i(s, a_i) = sum_{a_-i} Q_i(s, a_i, a_-i) prod_{j != i} f_j(s, a_j)``, acts on ``EV``
(Boltzmann or epsilon-greedy, :mod:`~equilibria.applications.marl.independent`'s conventions) and bootstraps with
``V_i(s') = max_b EV_i(s', b)``. Claus and Boutilier compare JALs with independent learners (ILs,
:func:`~equilibria.applications.marl.independent.independent_q`) in repeated cooperative games; both tend to
settle on an equilibrium of the stage game, and in the *climbing game* they often miss the optimal one.

Conventions: counts start at ``prior`` on every available action (uniform beliefs); ``f_j(s) = counts_j(s) /
sum``. ``policy``: greedy on ``EV``, ties split uniformly (what the agent plays once exploration has decayed).

The test bed, :func:`climbing_game` and :func:`penalty_game` (Claus and Boutilier's Tables 3 and 4; common payoffs,
one state, discount 0 -- a repeated game), and :func:`outcome_fractions`, which classifies each seed's final
greedy joint action.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from equilibria.applications.marl.base import Learner, MarkovEnv, Transition
from equilibria.applications.marl.independent import Exploration, check_number, draw, greedy_rows, rate
from equilibria.core.errors import GameError
from equilibria.dynamics.base import state_dataclass
from equilibria.games.stochastic import StochasticGame

# The climbing game (Claus and Boutilier 1998, Table 3): both agents get the same payoff; (a, a) = 11 is optimal,
# but a's neighbours cost -30, so learners that explore start around (c, c) = 5 (not an equilibrium) and climb
# through (b, c) = 6 to the other pure equilibrium, (b, b) = 7, rarely further.
CLIMBING = ((11.0, -30.0, 0.0), (-30.0, 7.0, 6.0), (0.0, 0.0, 5.0))


def climbing_game() -> StochasticGame:
    """The climbing game as a one-state repeated game (discount 0), common payoffs ``CLIMBING``."""
    return _common_payoff_game(np.array(CLIMBING), "climbing game")


def penalty_game(k: float = -10.0) -> StochasticGame:
    """Claus and Boutilier's penalty game (Table 4): ``(a, a) = (c, c) = 10``, ``(a, c) = (c, a) = k <= 0`` (the
    penalty for miscoordinating between the two optima), ``(b, b) = 2``, every other cell 0."""
    if isinstance(k, bool) or not isinstance(k, int | float) or not k <= 0:
        raise GameError(f"penalty_game(k): expected a penalty k <= 0, got {k!r}")
    payoff = np.array([[10.0, 0.0, k], [0.0, 2.0, 0.0], [k, 0.0, 10.0]])
    return _common_payoff_game(payoff, f"penalty game (k={k:g})")


def _common_payoff_game(payoff: np.ndarray, name: str) -> StochasticGame:
    rewards = np.stack([payoff, payoff])[:, None]  # [2 players, 1 state, 3, 3]
    return StochasticGame.from_dense(rewards, np.ones((1, *payoff.shape, 1)), 0.0, name=name)


def outcome_fractions(profiles: tuple[np.ndarray, ...], state: int = 0) -> dict[tuple[int, ...], float]:
    """The fraction of seeds whose final policies in ``state`` are pure and play each joint action.

    ``profiles``: per player ``[n_seeds, n_states, max_actions[i]]`` (e.g. :attr:`MARLRun.policies`). Seeds whose
    policy in ``state`` is not pure (ties) count under the key ``()``.
    """
    rows = [np.asarray(p)[:, state] for p in profiles]
    n_seeds = rows[0].shape[0]
    counts: dict[tuple[int, ...], int] = {}
    for k in range(n_seeds):
        pure = all(np.isclose(row[k].max(), 1.0) for row in rows)
        outcome = tuple(int(row[k].argmax()) for row in rows) if pure else ()
        counts[outcome] = counts.get(outcome, 0) + 1
    return {outcome: count / n_seeds for outcome, count in sorted(counts.items())}


@state_dataclass
class JointActionState:
    """``q[i]: [n_states, *max_actions]`` per player (own rewards); ``counts[j]: [n_states, max_actions[j]]`` the
    observed actions of player ``j`` (shared: every JAL sees the joint action); ``visits``: int32 ``[n_states,
    *max_actions]``; ``t``: steps seen."""

    q: tuple[jax.Array, ...]
    counts: tuple[jax.Array, ...]
    visits: jax.Array
    t: jax.Array


def expected_values(q_s: jax.Array, beliefs: list[jax.Array], player: int) -> jax.Array:
    """``EV_player(a_player) = sum_{a_-i} q_s[a] prod_{j != player} beliefs[j][a_j]``: ``q_s: [*max_actions]``,
    ``beliefs[j]: [max_actions[j]]`` -> ``[max_actions[player]]``."""
    value = q_s
    for j in reversed(range(len(beliefs))):  # contract the last axes first, so earlier axis numbers stay valid
        if j != player:
            value = jnp.tensordot(value, beliefs[j], axes=([j], [0]))
    return value


@functools.lru_cache(maxsize=256)
def joint_action_learner(*, learning_rate: float = 0.1, learning_rate_power: float = 0.0,
                         exploration: str = "boltzmann", epsilon: float = 0.1, epsilon_decay: float = 1.0,
                         epsilon_min: float = 0.0, temperature: float = 1.0, temperature_decay: float = 1.0,
                         temperature_min: float = 0.01, prior: float = 1.0, initial_q: float = 0.0) -> Learner:
    """Claus and Boutilier's joint-action learners with fictitious-play beliefs (module docstring).

    ``prior > 0``: the pseudo-count every available action of every other player starts with.
    """
    check_number("learning_rate", learning_rate, 0.0, 1.0, low_open=True)
    check_number("learning_rate_power", learning_rate_power, 0.0, 1.0)
    check_number("prior", prior, 0.0, low_open=True)
    check_number("initial_q", initial_q, -float("inf"))
    explore = Exploration.checked(exploration, epsilon, epsilon_decay, epsilon_min, temperature, temperature_decay,
                                  temperature_min)

    def init(environment: MarkovEnv, key: jax.Array) -> JointActionState:
        del key
        shape = (environment.n_states, *environment.max_actions)
        return JointActionState(tuple(jnp.full(shape, initial_q, jnp.float32) for _ in range(environment.n_players)),
                                tuple(jnp.where(m, prior, 0.0).astype(jnp.float32) for m in environment.available),
                                jnp.zeros(shape, jnp.int32), jnp.zeros((), jnp.int32))

    def values_at(state: JointActionState, s: jax.Array) -> list[jax.Array]:
        beliefs = [c[s] / c[s].sum() for c in state.counts]
        return [expected_values(q[s], beliefs, i) for i, q in enumerate(state.q)]

    def act(environment: MarkovEnv, state: JointActionState, s: jax.Array, key: jax.Array) -> jax.Array:
        keys = jax.random.split(key, environment.n_players)
        return jnp.stack([draw(k, explore.row(ev, m[s], state.t)) for k, ev, m in
                          zip(keys, values_at(state, s), environment.available, strict=True)])

    def update(environment: MarkovEnv, state: JointActionState, transition: Transition) -> JointActionState:
        index = (transition.state, *transition.actions)
        nxt = transition.next_state
        alpha = rate(learning_rate, learning_rate_power, state.visits[index])
        next_values = values_at(state, nxt)
        q_new = []
        for i, q in enumerate(state.q):
            m = environment.available[i][nxt]
            value = jnp.where(transition.done, 0.0, jnp.where(m, next_values[i], -jnp.inf).max())
            target = transition.rewards[i] + environment.discount * value
            q_new.append(q.at[index].add(alpha * (target - q[index])))
        counts = tuple(c.at[transition.state, a].add(1.0) for c, a in zip(state.counts, transition.actions,
                                                                           strict=True))
        return JointActionState(tuple(q_new), counts, state.visits.at[index].add(1), state.t + 1)

    def policy(environment: MarkovEnv, state: JointActionState) -> tuple[jax.Array, ...]:
        per_state = jax.vmap(lambda s: tuple(values_at(state, s)))(jnp.arange(environment.n_states))
        return tuple(greedy_rows(ev, m) for ev, m in zip(per_state, environment.available, strict=True))

    return Learner(init, act, update, policy, "joint-action-learner",
                   (("learning_rate", learning_rate), ("learning_rate_power", learning_rate_power),
                    *explore.items(), ("prior", prior), ("initial_q", initial_q)))


__all__ = ["CLIMBING", "JointActionState", "climbing_game", "expected_values", "joint_action_learner",
           "outcome_fractions", "penalty_game"]
