"""Certificates of stationary profiles in stochastic games: values, exact best responses, regrets, exploitability.

Conventions are :mod:`equilibria.games.stochastic`'s (values are discounted sums, not normalised).

- **Values of a profile** ``V_i^pi`` solve the linear system ``(I - discount P_pi) V_i = r_i^pi`` exactly (one
  dense solve for all players; ``P_pi: [n_states, n_states]`` is the state chain the profile induces). In a
  stopping game (``discount == 1``) the system is solved on the non-terminal states, whose values are 0; a profile
  that does not reach a terminal state with probability 1 has no value and raises :class:`GameError`.
- **A best response** of player ``i`` to the others' stationary policies is an optimal policy of the Markov decision
  process they induce: solved by policy iteration (Howard 1960), which ends after finitely many improvements at an
  exact optimum (each evaluation is a linear solve); the improvement step keeps the current action on ties, so it
  cannot cycle. Among optimal policies the one returned is deterministic.
- **Regret** of player ``i`` in state ``s``: ``V_i^*(s) - V_i^pi(s) >= 0`` (the best response's value minus the
  profile's). A profile is a stationary (Markov perfect) equilibrium exactly when every regret is 0.
  ``exploitability(game, profile)`` is the largest regret over players and states, the certificate stochastic
  solvers report (in the game's payoff units, not normalised by ``1 - discount``); :func:`regrets` gives the
  ``[n_players, n_states]`` table and :func:`nash_conv` the sum over players of each one's regret at the initial
  distribution.

Costs: one ``n_states x n_states`` solve per evaluation, dense; fine to a few thousand states.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from equilibria.core.errors import GameError
from equilibria.games.stochastic import StationaryProfile, StochasticGame

# Policy iteration improves an action only when it gains more than this (relative to the reward scale): ties and
# rounding never make it switch, so it ends.
_IMPROVEMENT_TOL = 1e-12


@dataclass(frozen=True)
class BestResponse:
    """Player ``player``'s exact best response to the others' stationary policies.

    Attributes:
      player: who responds.
      policy: ``[n_states, max_actions[player]]``, deterministic (one 1 per row).
      values: ``[n_states]``, the best response's value per state (the induced MDP's optimal values).
      improvements: policy-iteration steps taken.
    """

    player: int
    policy: np.ndarray
    values: np.ndarray
    improvements: int


def joint_policy(game: StochasticGame, profile: StationaryProfile) -> np.ndarray:
    """``[n_states, *max_actions]``: the probability of each joint action per state (product of the policies)."""
    joint = np.ones((game.n_states,) + (1,) * game.n_players)
    for i, policy in enumerate(profile):
        shape = [game.n_states] + [1] * game.n_players
        shape[i + 1] = policy.shape[1]
        joint = joint * policy.reshape(shape)
    return joint


def _chain(game: StochasticGame, joint: np.ndarray) -> np.ndarray:
    """``P_pi: [n_states, n_states]`` for a joint policy ``[n_states, *max_actions]``."""
    weights = (joint[..., None] * game.probabilities).reshape(game.n_states, -1)
    chain = np.zeros((game.n_states, game.n_states))
    rows = np.repeat(np.arange(game.n_states), weights.shape[1])
    np.add.at(chain, (rows, game.successors.reshape(game.n_states, -1).reshape(-1)), weights.reshape(-1))
    return chain


def _solve_values(game: StochasticGame, chain: np.ndarray, rewards: np.ndarray, caller: str) -> np.ndarray:
    """``V`` with ``(I - discount chain) V = rewards`` (``rewards: [n_states, k]``, solved for all columns)."""
    n = game.n_states
    if game.discount < 1.0:
        return np.linalg.solve(np.eye(n) - game.discount * chain, rewards)
    if not _stops_everywhere(game, chain):
        raise GameError(f"{caller}: the profile does not reach a terminal state with probability 1 from every "
                        "state, so an undiscounted (stopping) game has no value for it")
    live = ~game.terminal
    values = np.zeros_like(rewards, dtype=float)
    values[live] = np.linalg.solve(np.eye(int(live.sum())) - chain[np.ix_(live, live)], rewards[live])
    return values


def _stops_everywhere(game: StochasticGame, chain: np.ndarray) -> bool:
    """Whether every state reaches a terminal one with positive probability under ``chain`` (then, the chain being
    finite, with probability 1, and ``I - chain`` on the live states is invertible): a backward search from the
    terminal states (a condition number would cost a full SVD: minutes on tic-tac-toe's 5,478 states)."""
    reached = game.terminal.copy()
    frontier = np.flatnonzero(reached)
    incoming = chain > 0
    while frontier.size:
        new = np.flatnonzero(incoming[:, frontier].any(axis=1) & ~reached)
        reached[new] = True
        frontier = new
    return bool(reached.all())


def profile_values(game: StochasticGame, profile: Sequence[Any], *, checked: bool = False) -> np.ndarray:
    """``[n_players, n_states]``: each player's value of the stationary ``profile`` from each state (exact solve).

    ``checked``: the profile is already validated float64 (skips :meth:`StochasticGame.check_policy`).
    """
    pi = tuple(profile) if checked else game.check_policy(profile, "profile_values(profile)")
    joint = joint_policy(game, pi)
    rewards = (game.rewards * joint[None]).reshape(game.n_players, game.n_states, -1).sum(axis=2)
    return _solve_values(game, _chain(game, joint), rewards.T, "profile_values").T


def best_response(game: StochasticGame, profile: Sequence[Any], player: int, *, checked: bool = False,
                  max_improvements: int = 10_000, deadline: float | None = None) -> BestResponse:
    """Player ``player``'s exact best response to the others' policies in ``profile`` (module docstring).

    Starts from the player's greedy reply to the profile's own values, so a near-equilibrium needs few steps.
    Raises GameError if ``max_improvements`` steps do not end it (policy iteration ends in at most as many steps as
    there are deterministic policies; in practice a handful), and TimeoutError once ``time.perf_counter()`` passes
    ``deadline`` (checked at every improvement: a solver's certificate counts against its time limit).
    """
    pi = tuple(profile) if checked else game.check_policy(profile, "best_response(profile)")
    if isinstance(player, bool) or not isinstance(player, int | np.integer) or not 0 <= player < game.n_players:
        raise GameError(f"best_response(player): expected a player in range({game.n_players}), got {player!r}")
    player = int(player)
    # The others' joint policy, with the player's axis left as is: action values of the player per state.
    others = list(pi)
    width = game.max_actions[player]
    others[player] = np.ones((game.n_states, width))
    weights = joint_policy(game, tuple(others))  # [n_states, *max_actions], 1 along the player's own axis
    rewards = _player_axis_sum(game, game.rewards[player] * weights, player)  # [n_states, width]
    available = np.arange(width)[None, :] < game.n_actions[:, player][:, None]
    scale = max(1.0, float(np.abs(game.rewards[player]).max()))
    values = profile_values(game, pi, checked=True)[player]
    choice = np.full(game.n_states, -1)
    for step in range(max_improvements + 1):
        if deadline is not None and time.perf_counter() > deadline:
            raise TimeoutError(f"the best response of player {player} was not found by the deadline ({step} "
                               "policy-iteration steps)")
        q = rewards + game.discount * _player_axis_sum(game, weights[..., None] * game.probabilities
                                                       * values[game.successors], player, extra=1)
        q = np.where(available, q, -np.inf)
        best = q.argmax(axis=1)
        if step > 0:  # keep the current action unless another gains more than rounding
            current = q[np.arange(game.n_states), choice]
            best = np.where(q[np.arange(game.n_states), best] > current + _IMPROVEMENT_TOL * scale, best, choice)
            if np.array_equal(best, choice):
                policy = np.zeros((game.n_states, width))
                policy[np.arange(game.n_states), choice] = 1.0
                policy[game.terminal] = 0.0
                policy[game.terminal, 0] = 1.0
                return BestResponse(player, policy, values, step)
        choice = best
        policy = np.zeros((game.n_states, width))
        policy[np.arange(game.n_states), choice] = 1.0
        pure = list(pi)
        pure[player] = policy
        values = profile_values(game, tuple(pure), checked=True)[player]
    raise GameError(f"best_response: policy iteration did not end in {max_improvements} improvements")


def _player_axis_sum(game: StochasticGame, array: np.ndarray, player: int, extra: int = 0) -> np.ndarray:
    """Sum ``array: [n_states, *max_actions, (k)]`` over every action axis but ``player``'s (and the trailing
    ``extra`` axes): ``[n_states, max_actions[player]]``."""
    axes = tuple(1 + j for j in range(game.n_players) if j != player) + tuple(
        range(1 + game.n_players, 1 + game.n_players + extra))
    return array.sum(axis=axes)


def regrets(game: StochasticGame, profile: Sequence[Any], *, checked: bool = False,
            deadline: float | None = None) -> np.ndarray:
    """``[n_players, n_states]``: each player's best-response value minus the profile's value, per state
    (``>= 0`` up to rounding). ``deadline``: as :func:`best_response`'s."""
    pi = tuple(profile) if checked else game.check_policy(profile, "regrets(profile)")
    values = profile_values(game, pi, checked=True)
    best = np.stack([best_response(game, pi, i, checked=True, deadline=deadline).values
                     for i in range(game.n_players)])
    return best - values


def exploitability(game: StochasticGame, profile: Sequence[Any], *, checked: bool = False) -> float:
    """The largest regret over players and states (module docstring): 0 exactly at a stationary equilibrium."""
    return float(regrets(game, profile, checked=checked).max())


def nash_conv(game: StochasticGame, profile: Sequence[Any], *, checked: bool = False) -> float:
    """Sum over players of the regret at the initial distribution (OpenSpiel's NashConv, from ``initial``)."""
    return float((regrets(game, profile, checked=checked) @ game.initial).sum())


__all__ = ["BestResponse", "best_response", "exploitability", "joint_policy", "nash_conv", "profile_values",
           "regrets"]
