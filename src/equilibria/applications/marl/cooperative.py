"""Cooperative games with a shared (team) reward, the test beds of credit assignment (:mod:`.credit`).

Conventions (written once, here):

- Every agent receives the same reward ``r(u)`` for the joint action ``u: int32 [n_agents]``; agents are indexed
  ``0..n_agents-1`` and actions ``0..n_actions-1`` (every agent has the same number of actions).
- Each one-shot game has a **default action** ``default`` (the counterfactual of difference rewards, Wolpert and
  Tumer): the null action "abstain" where the game has one (the N-agent game's action 0), a stated action otherwise.
- A one-shot game is a JAX pytree with three methods usable inside ``jax.jit``: ``reward(u) -> []``,
  ``counterfactuals(u) -> [n_agents, n_actions]`` (entry ``[i, v]``: the team reward had agent ``i`` played ``v``
  and everyone else ``u``), and ``table()`` (NumPy, the dense reward table, only for small games); ``optimum`` is the
  best team reward.

The games:

- :func:`climbing` and :func:`penalty`: Claus and Boutilier's two-agent games (the tables of
  :mod:`~equilibria.applications.marl.joint_action`), as :class:`MatrixTeamGame`.
- :func:`coordination`: ``N`` agents (2..100 and more) each choose to abstain (0) or take part (1); the team reward
  depends on the number ``k`` of participants only, ``r(k) = (k / c) exp(1 - k / c)`` (a one-night "bar problem"
  reward, Wolpert and Tumer): 0 when nobody takes part, maximal (1) at exactly ``k = c`` participants (``c`` =
  ``target``; ``r`` is strictly unimodal in ``k``, so every optimal joint action has exactly ``c`` participants),
  falling off as the task is crowded. A :class:`CountTeamGame`.
- :func:`box_lifting`: a small cooperative stochastic game (a :class:`~equilibria.games.stochastic.StochasticGame`
  with equal rewards): two agents must lift a box together (state 0) and then carry it together (state 1) to earn
  ``carry_reward = 2`` at the terminal state 2; in state 0 both agents taking the small prize ends the episode with
  0.5, and every miscoordination costs -1 and leaves the state unchanged; putting the box down together (state 1)
  returns to state 0 with reward 0. Optimum from state 0 (any horizon >= 2): lift, then carry, value ``2 * discount``
  (1.9 at the default discount 0.95); taking the prize together (0.5) is a suboptimal equilibrium that a deviator
  is punished from.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from equilibria.applications.marl.joint_action import CLIMBING, penalty_game
from equilibria.core.errors import GameError
from equilibria.games.stochastic import StochasticGame


class MatrixTeamGame(NamedTuple):
    """A one-shot team game given by its dense reward table (module docstring for the conventions).

    Attributes:
      payoff: ``[n_actions] * n_agents`` float32, the team reward of each joint action.
      default: int32 scalar, the default action of difference rewards.
    """

    payoff: jax.Array
    default: jax.Array

    @property
    def n_agents(self) -> int:
        return int(self.payoff.ndim)

    @property
    def n_actions(self) -> int:
        return int(self.payoff.shape[0])

    @property
    def optimum(self) -> float:
        return float(np.max(np.asarray(self.payoff)))

    def reward(self, actions: jax.Array) -> jax.Array:
        return self.payoff[tuple(actions)]

    def counterfactuals(self, actions: jax.Array) -> jax.Array:
        rows = []
        for i in range(self.n_agents):
            # Agent i's axis last, everyone else's action fixed: the row of rewards over agent i's actions.
            others = tuple(actions[j] for j in range(self.n_agents) if j != i)
            rows.append(jnp.moveaxis(self.payoff, i, -1)[others])
        return jnp.stack(rows)

    def table(self) -> np.ndarray:
        return np.asarray(self.payoff, dtype=np.float64)


class CountTeamGame(NamedTuple):
    """A one-shot team game of ``n_agents`` two-action agents whose reward depends on the number of agents that play
    action 1 only (module docstring).

    Attributes:
      values: ``[n_agents + 1]`` float32, ``values[k]`` the team reward when ``k`` agents play 1.
      default: int32 scalar, the default action of difference rewards (0: abstain).
    """

    values: jax.Array
    default: jax.Array

    @property
    def n_agents(self) -> int:
        return int(self.values.shape[0]) - 1

    @property
    def n_actions(self) -> int:
        return 2

    @property
    def optimum(self) -> float:
        return float(np.max(np.asarray(self.values)))

    def reward(self, actions: jax.Array) -> jax.Array:
        return self.values[actions.sum()]

    def counterfactuals(self, actions: jax.Array) -> jax.Array:
        others = actions.sum() - actions  # [n_agents]: participants other than i
        return jnp.stack([self.values[others], self.values[others + 1]], axis=1)

    def table(self) -> np.ndarray:
        if self.n_agents > 16:
            raise GameError(f"CountTeamGame.table: {self.n_agents} agents give 2^{self.n_agents} joint actions; "
                            f"use the count values instead")
        grid = np.indices((2,) * self.n_agents).sum(axis=0)
        return np.asarray(self.values, dtype=np.float64)[grid]


TeamGame = MatrixTeamGame | CountTeamGame


def _checked_default(default: int, n_actions: int) -> jax.Array:
    if isinstance(default, bool) or not isinstance(default, int | np.integer) or not 0 <= default < n_actions:
        raise GameError(f"default: expected an action index in 0..{n_actions - 1}, got {default!r}")
    return jnp.asarray(default, jnp.int32)


def matrix_team_game(payoff: np.ndarray, default: int = 0) -> MatrixTeamGame:
    """A :class:`MatrixTeamGame` from a dense table ``payoff: [n_actions] * n_agents`` (every agent the same number
    of actions, at least two agents)."""
    table = np.asarray(payoff, dtype=np.float64)
    if table.ndim < 2 or len(set(table.shape)) != 1 or table.shape[0] < 2 or not np.isfinite(table).all():
        raise GameError(f"payoff: expected a finite table [n_actions] * n_agents with n_agents >= 2 and "
                        f"n_actions >= 2, got shape {table.shape}")
    return MatrixTeamGame(jnp.asarray(table, jnp.float32), _checked_default(default, table.shape[0]))


def climbing(default: int = 2) -> MatrixTeamGame:
    """Claus and Boutilier's climbing game (``CLIMBING``; optimum ``(a, a) = 11``); the default action is ``c``
    (index 2, the safe action: no -30 next to it)."""
    return matrix_team_game(np.array(CLIMBING), default)


def penalty(k: float = -10.0, default: int = 1) -> MatrixTeamGame:
    """Claus and Boutilier's penalty game (optima ``(a, a) = (c, c) = 10``, ``k`` for miscoordination); the default
    action is ``b`` (index 1, the safe action)."""
    return matrix_team_game(penalty_game(k).rewards[0, 0], default)


def bar_reward(n_agents: int, target: int) -> np.ndarray:
    """``r(k) = (k / c) exp(1 - k / c)`` for ``k = 0..n_agents`` (``c = target``): ``[n_agents + 1]`` float64,
    maximal (1) at ``k = c`` only."""
    k = np.arange(n_agents + 1, dtype=np.float64)
    return (k / target) * np.exp(1.0 - k / target)


def coordination(n_agents: int, target: int | None = None) -> CountTeamGame:
    """The N-agent coordination game (module docstring): ``target`` participants are optimal (default
    ``max(1, n_agents // 4)``); the default action is abstaining (0)."""
    if isinstance(n_agents, bool) or not isinstance(n_agents, int | np.integer) or n_agents < 2:
        raise GameError(f"n_agents: expected an integer >= 2, got {n_agents!r}")
    target = max(1, n_agents // 4) if target is None else target
    if isinstance(target, bool) or not isinstance(target, int | np.integer) or not 1 <= target <= n_agents:
        raise GameError(f"target: expected an integer in 1..{n_agents}, got {target!r}")
    return CountTeamGame(jnp.asarray(bar_reward(int(n_agents), int(target)), jnp.float32), jnp.asarray(0, jnp.int32))


def is_optimal(game: TeamGame, actions: np.ndarray) -> np.ndarray:
    """Whether each joint action in ``actions: [..., n_agents]`` reaches the game's optimum (float32 tolerance)."""
    actions = np.asarray(actions)
    if isinstance(game, CountTeamGame):
        rewards = np.asarray(game.values)[actions.sum(axis=-1)]
    else:
        rewards = np.asarray(game.payoff)[tuple(np.moveaxis(actions, -1, 0))]
    return np.asarray(rewards >= game.optimum - 1e-6)


# ------------------------------------------------------------------------------------------------------------
# The cooperative stochastic game
# ------------------------------------------------------------------------------------------------------------

BOX_STATES = ("start", "lifted", "done")


def box_lifting(discount: float = 0.95, carry_reward: float = 2.0, prize: float = 0.5,
                miscoordination: float = -1.0) -> StochasticGame:
    """The box-lifting game (module docstring): 3 states, 2 agents with 2 actions each (state 0: 0 = take the
    prize, 1 = lift; state 1: 0 = put down, 1 = carry), equal rewards, terminal state 2, start in state 0.

    Optimal value from the start: ``carry_reward * discount`` (when ``carry_reward * discount > prize``).
    """
    if not 0.0 < discount <= 1.0:
        raise GameError(f"discount: expected a number in (0, 1], got {discount!r}")
    reward = np.zeros((3, 2, 2))
    moves = np.zeros((3, 2, 2, 3))
    reward[0] = [[prize, miscoordination], [miscoordination, 0.0]]
    moves[0, 0, 0, 2] = moves[0, 1, 1, 1] = moves[0, 0, 1, 0] = moves[0, 1, 0, 0] = 1.0
    reward[1] = [[0.0, miscoordination], [miscoordination, carry_reward]]
    moves[1, 0, 0, 0] = moves[1, 1, 1, 2] = moves[1, 0, 1, 1] = moves[1, 1, 0, 1] = 1.0
    moves[2, :, :, 2] = 1.0
    initial = np.array([1.0, 0.0, 0.0])
    return StochasticGame.from_dense(np.stack([reward, reward]), moves, discount, terminal=[False, False, True],
                                     initial=initial, name="box lifting")


def box_lifting_optimum(game: StochasticGame) -> float:
    """The optimal team value from the start of :func:`box_lifting` (lift, then carry)."""
    return float(max(game.rewards[0, 1, 1, 1] * game.discount, game.rewards[0, 0, 0, 0]))


__all__ = ["BOX_STATES", "CountTeamGame", "MatrixTeamGame", "TeamGame", "bar_reward", "box_lifting",
           "box_lifting_optimum", "climbing", "coordination", "is_optimal", "matrix_team_game", "penalty"]
