"""Decentralized independent policy gradient with two timescales for two-player zero-sum stochastic games.

Daskalakis, Foster and Golowich (2020), "Independent policy gradient methods for competitive reinforcement learning"
(NeurIPS): each player sees only the state, its own action and its own reward; both run projected policy gradient
on the *direct* parametrisation (a policy is its table of probabilities), restricted to the epsilon-greedy simplex
``Delta_eps = {x : x_a >= eps / n_actions}`` so every action keeps being tried; the learning rates follow a
two-timescale rule, the min player's ``eta_x`` much smaller than the max player's ``eta_y``. What the paper proves
(its main theorem, as we read it; stated for games that stop with probability at least ``zeta`` per step, the
analogue of discount ``1 - zeta``): with ``eta_x`` polynomially smaller than ``eta_y`` and polynomially many
episodes, the *slow* player's iterates are ``epsilon``-min-max on average, ``E[(1/N) sum_i max_y V(x_i, y)] -
min_x max_y V <= epsilon``. The guarantee is one-sided (the fast player tracks a best response and need not itself
be optimal), and the paper argues that equal learning rates can fail (the two timescales are necessary).

**The variant implemented here** (this module's choice, written down so nobody mistakes it for the paper's exact
algorithm): a streaming actor-critic form that fits the one-transition-at-a-time :class:`Learner` protocol.

- *Critic*: each player ``i`` keeps ``Q_i(s, a_i)`` over its *own* actions, learned from its own rewards by
  expected SARSA on its own policy: ``Q_i(s, a_i) += beta (r_i + discount * sum_b pi_i(b|s') Q_i(s', b) -
  Q_i(s, a_i))`` (no bootstrap through ``done``). The opponent's play is inside the samples: ``Q_i`` estimates the
  gradient ``dV_i / dpi_i(s, .)`` up to the state-visitation weight, which visiting ``s`` supplies. The paper
  estimates the same gradient from whole episodes with importance weights instead.
- *Actor*: after each transition in state ``s`` each player ascends its own value:
  ``pi_i(s) <- Proj_{Delta_eps}(pi_i(s) + eta_i Q_i(s, .))`` (Euclidean projection, available actions only).
  The slow player (``slow_player``, default 0) uses ``eta_slow``, the other ``eta_fast``; the paper's rule is
  ``eta_slow << eta_fast`` (checked: ``eta_slow < eta_fast``), the slow player being the one whose min-max guarantee
  the theorem gives (the paper's min player ``x``). In our convention both players maximise their own rewards, so in
  a zero-sum game the slow player is the paper's ``x`` whichever sign its payoff has.
- *The profile reported* (``policy``): the current policies (``average=False``, name ``"independent-pg"``), or
  both players' running averages of their iterates per state (``average=True``, ``"independent-pg-average"``).
  The averages are what settles: the fast player's current policy keeps flipping between near-best responses to the
  slow one, and its average is what balances the slow player (measured in the tests on matching pennies and a
  two-state zero-sum game).

Step sizes (defaults, chosen for small games and checked in the tests, not the paper's worst-case constants):
``eta_slow = 0.0002``, ``eta_fast = 0.005``, critic ``beta = 0.05``, ``eps = 0.05``.
The theory needs a zero-sum game of two players; :func:`independent_pg` raises ``NotApplicableError`` on other
player counts, and on a general-sum two-player game it runs but nothing is promised.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from equilibria.applications.marl.base import Learner, MarkovEnv, Transition, masked_uniform
from equilibria.applications.marl.independent import check_number, draw, rate
from equilibria.core.errors import GameError, NotApplicableError
from equilibria.dynamics.base import state_dataclass


def project_simplex(values: jax.Array, available: jax.Array, floor: jax.Array | float = 0.0) -> jax.Array:
    """The Euclidean projection of ``values: [width]`` onto ``{x : x_a >= floor on available actions, 0 elsewhere,
    sum 1}`` (sort-based, Held et al. / Duchi et al.), with ``floor * n_available <= 1``.

    The set is ``floor + (1 - n floor) Delta``, so project ``(values - floor) / (1 - n floor)`` onto the simplex and
    map back.
    """
    n = available.sum()
    scale = 1.0 - n * floor
    shifted = jnp.where(available, (values - floor) / jnp.maximum(scale, 1e-12), -jnp.inf)
    ordered = -jnp.sort(-shifted)  # descending, padding (-inf) last
    finite = jnp.isfinite(ordered)
    cumulative = jnp.cumsum(jnp.where(finite, ordered, 0.0))
    index = jnp.arange(1, values.shape[0] + 1, dtype=values.dtype)
    support = finite & (ordered - (cumulative - 1.0) / index > 0)
    rho = jnp.max(jnp.where(support, index, 1.0))
    theta = (jnp.sum(jnp.where(index <= rho, jnp.where(finite, ordered, 0.0), 0.0)) - 1.0) / rho
    simplex = jnp.where(available, jnp.maximum(shifted - theta, 0.0), 0.0)
    return jnp.where(available, floor + scale * simplex, 0.0)


@state_dataclass
class PolicyGradientState:
    """Per player ``i``: ``pi[i]`` (current policy), ``average[i]`` (running average of ``pi`` per state),
    ``q[i]`` (critic over its own actions), ``visits[i]`` int32, all ``[n_states, max_actions[i]]``;
    ``counts[i]`` int32 ``[n_states]`` (actor updates per state); ``t``: steps seen."""

    pi: tuple[jax.Array, ...]
    average: tuple[jax.Array, ...]
    q: tuple[jax.Array, ...]
    visits: tuple[jax.Array, ...]
    counts: tuple[jax.Array, ...]
    t: jax.Array


@functools.lru_cache(maxsize=256)
def independent_pg(*, eta_slow: float = 0.0002, eta_fast: float = 0.005, slow_player: int = 0,
                   critic_rate: float = 0.05, critic_rate_power: float = 0.0, epsilon: float = 0.05,
                   average: bool = True) -> Learner:
    """Two-timescale independent policy gradient (module docstring for the variant, step sizes and theory).

    Args:
      eta_slow, eta_fast: the actor step sizes, ``0 < eta_slow < eta_fast``.
      slow_player: 0 or 1, the player on the slow timescale (the paper's min player ``x``).
      critic_rate, critic_rate_power: the critic's learning rate ``critic_rate / (1 + n) ** power`` after ``n``
        visits of the (state, own action).
      epsilon: the greedy floor: every available action keeps probability ``>= epsilon / n_actions``.
      average: report the running averages (``True``) or the current policies.
    """
    check_number("eta_slow", eta_slow, 0.0, low_open=True)
    check_number("eta_fast", eta_fast, 0.0, low_open=True)
    if not eta_slow < eta_fast:
        raise GameError(f"eta_slow: the two-timescale rule needs eta_slow < eta_fast = {eta_fast}, got {eta_slow}")
    if slow_player not in (0, 1) or isinstance(slow_player, bool):
        raise GameError(f"slow_player: expected 0 or 1, got {slow_player!r}")
    check_number("critic_rate", critic_rate, 0.0, 1.0, low_open=True)
    check_number("critic_rate_power", critic_rate_power, 0.0, 1.0)
    check_number("epsilon", epsilon, 0.0, 1.0)
    if not isinstance(average, bool):
        raise GameError(f"average: expected True or False, got {average!r}")
    etas = (eta_slow, eta_fast) if slow_player == 0 else (eta_fast, eta_slow)

    def floors(environment: MarkovEnv, player: int) -> jax.Array:
        """``[n_states]``: ``epsilon / n_actions`` per state."""
        return epsilon / environment.available[player].sum(axis=1)

    def init(environment: MarkovEnv, key: jax.Array) -> PolicyGradientState:
        del key
        if environment.n_players != 2:
            raise NotApplicableError(f"independent_pg: two-player zero-sum games only, this game has "
                                     f"{environment.n_players} players; use independent_q or wolf_phc")
        uniform = tuple(masked_uniform(m) for m in environment.available)
        zeros = tuple(jnp.zeros(m.shape, jnp.float32) for m in environment.available)
        return PolicyGradientState(uniform, uniform, zeros, tuple(jnp.zeros(m.shape, jnp.int32)
                                                                  for m in environment.available),
                                   tuple(jnp.zeros(environment.n_states, jnp.int32) for _ in range(2)),
                                   jnp.zeros((), jnp.int32))

    def act(environment: MarkovEnv, state: PolicyGradientState, s: jax.Array, key: jax.Array) -> jax.Array:
        keys = jax.random.split(key, 2)
        return jnp.stack([draw(k, pi[s]) for k, pi in zip(keys, state.pi, strict=True)])

    def update(environment: MarkovEnv, state: PolicyGradientState, transition: Transition) -> PolicyGradientState:
        s, nxt = transition.state, transition.next_state
        out: list[list[jax.Array]] = [[], [], [], [], []]
        for i in range(2):
            pi, q, visits, m = state.pi[i], state.q[i], state.visits[i], environment.available[i]
            a = transition.actions[i]
            expected_next = jnp.where(transition.done, 0.0, jnp.dot(pi[nxt], jnp.where(m[nxt], q[nxt], 0.0)))
            target = transition.rewards[i] + environment.discount * expected_next
            q = q.at[s, a].add(rate(critic_rate, critic_rate_power, visits[s, a]) * (target - q[s, a]))
            row = project_simplex(pi[s] + etas[i] * q[s], m[s], floors(environment, i)[s])
            count = state.counts[i][s] + 1
            avg = state.average[i][s] + (row - state.average[i][s]) / count
            for field, value in zip(out, (pi.at[s].set(row), state.average[i].at[s].set(avg), q,
                                          visits.at[s, a].add(1), state.counts[i].at[s].set(count)), strict=True):
                field.append(value)
        pi_t, avg_t, q_t, visits_t, counts_t = (tuple(f) for f in out)
        return PolicyGradientState(pi_t, avg_t, q_t, visits_t, counts_t, state.t + 1)

    def policy(environment: MarkovEnv, state: PolicyGradientState) -> tuple[jax.Array, ...]:
        return state.average if average else state.pi

    return Learner(init, act, update, policy, "independent-pg-average" if average else "independent-pg",
                   (("eta_slow", eta_slow), ("eta_fast", eta_fast), ("slow_player", slow_player),
                    ("critic_rate", critic_rate), ("critic_rate_power", critic_rate_power), ("epsilon", epsilon),
                    ("average", average)))


__all__ = ["PolicyGradientState", "independent_pg", "project_simplex"]
