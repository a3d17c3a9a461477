"""Exact (Fraction) certificates and stage games for small stochastic games: the rational mode's arithmetic.

Conventions are :mod:`equilibria.games.stochastic`'s and :mod:`equilibria.metrics.stochastic`'s, in exact
arithmetic. The game's numbers are read as :func:`equilibria.core.rational.to_fraction` reads them (a float's
shortest decimal: a discount typed ``0.9`` is ``9/10``); each transition row is then rescaled to sum to exactly 1
(``0.3333333333333333`` three times becomes ``1/3`` each).

- **Values** of a stationary profile solve ``(I - discount P_pi) V = r_pi`` by Gauss-Jordan elimination in
  Fractions (on the non-terminal states of a stopping game; a singular system -- a profile that may never stop --
  raises :class:`GameError`).
- **Best responses** by policy iteration (Howard 1960) with exact comparisons: an action replaces the current one
  only when it gains strictly, so it ends, at an exact optimum.
- **Exploitability**: the largest ``V_i^*(s) - V_i^pi(s)``, a Fraction, exactly 0 at a stationary equilibrium.

Everything is dense and exact: meant for games of tens of states with a few actions.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from equilibria.core.errors import GameError
from equilibria.core.rational import to_fraction_array
from equilibria.games.stochastic import StochasticGame


def fractions(array: Any) -> np.ndarray:
    """An object array of Fractions (floats read as their shortest decimals)."""
    return to_fraction_array(array)


class ExactGame:
    """The game's numbers as Fractions (module docstring): ``rewards``, ``probabilities`` (rows summing to 1
    exactly), ``discount``; computed once per solve."""

    def __init__(self, game: StochasticGame) -> None:
        self.game = game
        self.rewards = fractions(game.rewards)
        probabilities = fractions(game.probabilities)
        totals = probabilities.sum(axis=-1)
        self.probabilities = probabilities / totals[..., None]
        self.discount = fractions(np.array(game.discount))[()]


def check_exact_profile(game: StochasticGame, profile: Sequence[Any], caller: str) -> tuple[np.ndarray, ...]:
    """``profile`` as Fraction object arrays, each row an exact distribution over the state's actions."""
    if len(profile) != game.n_players:
        raise GameError(f"{caller}: expected one policy per player ({game.n_players}), got {len(profile)}")
    checked = []
    for i, policy in enumerate(profile):
        array = fractions(policy)
        if array.shape != (game.n_states, game.max_actions[i]):
            raise GameError(f"{caller}: policy of player {i} must have shape ({game.n_states}, "
                            f"{game.max_actions[i]}), got {array.shape}")
        outside = np.arange(game.max_actions[i])[None, :] >= game.n_actions[:, i][:, None]
        if any(array[outside] != 0) or any(array.ravel() < 0) or any(array.sum(axis=1) != 1):
            raise GameError(f"{caller}: policy of player {i} is not an exact distribution over each state's actions")
        checked.append(array)
    return tuple(checked)


def solve_unique(matrix: Sequence[Sequence[Fraction]],
                 rhs: Sequence[Sequence[Fraction]]) -> list[list[Fraction]] | None:
    """The unique solution ``X`` of ``matrix X = rhs`` (Gauss-Jordan in Fractions; ``rhs`` has one row per
    equation and any number of columns), or None when it is singular or inconsistent. ``matrix`` may have more
    rows than columns."""
    rows = [list(a) + list(b) for a, b in zip(matrix, rhs, strict=True)]
    if not rows:
        return None
    n = len(matrix[0])
    for column in range(n):
        pivot = next((r for r in range(column, len(rows)) if rows[r][column] != 0), None)
        if pivot is None:
            return None
        rows[column], rows[pivot] = rows[pivot], rows[column]
        lead = rows[column][column]
        rows[column] = [entry / lead for entry in rows[column]]
        for r in range(len(rows)):
            factor = rows[r][column]
            if r != column and factor != 0:
                rows[r] = [entry - factor * p for entry, p in zip(rows[r], rows[column], strict=True)]
    if any(entry != 0 for row in rows[n:] for entry in row[n:]):
        return None
    return [row[n:] for row in rows[:n]]


def _joint(game: StochasticGame, profile: Sequence[np.ndarray]) -> np.ndarray:
    """``[n_states, *max_actions]`` object array: the probability of each joint action per state."""
    joint = np.full((game.n_states,) + (1,) * game.n_players, Fraction(1), dtype=object)
    for i, policy in enumerate(profile):
        shape = [game.n_states] + [1] * game.n_players
        shape[i + 1] = policy.shape[1]
        joint = joint * policy.reshape(shape)
    return joint


def _values(exact: ExactGame, joint: np.ndarray, rewards: np.ndarray) -> np.ndarray:
    """``V: [n_states, k]`` with ``(I - discount P) V = rewards`` for the chain of ``joint`` (``rewards:
    [n_states, k]``)."""
    game = exact.game
    n = game.n_states
    chain = [[Fraction(0)] * n for _ in range(n)]
    weights = joint[..., None] * exact.probabilities
    for index in zip(*np.nonzero(weights != 0), strict=True):
        chain[index[0]][int(game.successors[index])] += weights[index]
    live = [s for s in range(n) if not game.terminal[s]]
    system = [[(Fraction(1) if s == t else Fraction(0)) - exact.discount * chain[s][t] for t in live] for s in live]
    solution = solve_unique(system, [list(rewards[s]) for s in live])
    if solution is None:
        raise GameError("the profile does not reach a terminal state with probability 1 from every state, so an "
                        "undiscounted (stopping) game has no value for it")
    values = np.full(rewards.shape, Fraction(0), dtype=object)
    for row, s in zip(solution, live, strict=True):
        values[s] = row
    return values


def profile_values(exact: ExactGame, profile: Sequence[np.ndarray]) -> np.ndarray:
    """``[n_players, n_states]`` exact values of a checked exact profile."""
    game = exact.game
    joint = _joint(game, profile)
    axes = tuple(range(1, game.n_players + 1))
    rewards = np.stack([(exact.rewards[i] * joint).sum(axis=axes) for i in range(game.n_players)], axis=1)
    return _values(exact, joint, rewards).T


def best_response_values(exact: ExactGame, profile: Sequence[np.ndarray], player: int,
                         values: np.ndarray) -> np.ndarray:
    """``[n_states]``: player ``player``'s exact best-response values against the others (policy iteration from
    the greedy reply to ``values``, the profile's own values of that player)."""
    game = exact.game
    width = game.max_actions[player]
    others = list(profile)
    others[player] = np.full((game.n_states, width), Fraction(1), dtype=object)
    weights = _joint(game, others)
    other_axes = tuple(1 + j for j in range(game.n_players) if j != player)
    rewards = (exact.rewards[player] * weights).sum(axis=other_axes)  # [n_states, width]
    flow = weights[..., None] * exact.probabilities  # [n_states, *max_actions, k]
    choice: list[int] | None = None
    while True:
        continuation = (flow * values[game.successors]).sum(axis=-1).sum(axis=other_axes)
        q = rewards + exact.discount * continuation
        new = []
        for s in range(game.n_states):
            row = list(q[s, :int(game.n_actions[s, player])])
            best = row.index(max(row))
            keep = choice is not None and q[s, best] <= q[s, choice[s]]
            new.append(choice[s] if keep and choice is not None else best)
        if new == choice:
            return values
        choice = new
        policy = np.full((game.n_states, width), Fraction(0), dtype=object)
        policy[np.arange(game.n_states), choice] = Fraction(1)
        pure = list(profile)
        pure[player] = policy
        values = profile_values(exact, pure)[player]


def certificate(game: StochasticGame, profile: Sequence[Any],
                exact: ExactGame | None = None) -> tuple[np.ndarray, Fraction]:
    """``(state_values [n_players, n_states], exploitability)`` of an exact profile, both exact."""
    exact = ExactGame(game) if exact is None else exact
    pi = check_exact_profile(game, profile, "stochastic certificate")
    values = profile_values(exact, pi)
    gap = max(max(best - own for best, own in zip(best_response_values(exact, pi, i, values[i]), values[i],
                                                      strict=True))
              for i in range(game.n_players))
    return values, gap


def exact_minimax(q: np.ndarray, support_x: np.ndarray, tight_x: np.ndarray, support_y: np.ndarray,
                  tight_y: np.ndarray) -> tuple[np.ndarray, np.ndarray, Fraction] | None:
    """Exact minimax strategies of the matrix game ``q: [m, n]`` (Fractions, row maximises) with the given supports,
    equalising the given tight replies, verified exactly; None when they are not an equilibrium."""
    row = _equaliser(q.T, support_x, tight_x)
    column = _equaliser(-q, support_y, tight_y)
    if row is None or column is None or row[1] != -column[1]:
        return None
    return row[0], column[0], row[1]


def _equaliser(payoffs: np.ndarray, support: np.ndarray, tight: np.ndarray) -> tuple[np.ndarray, Fraction] | None:
    """``payoffs: [n, m]`` (the maximiser's payoff of its action ``i`` against reply ``j`` at ``[j, i]``): the
    strategy on ``support`` paying the same ``v`` against every ``tight`` reply, if it guarantees ``v``."""
    k = len(support)
    if k == 0:
        return None
    matrix = [[payoffs[j, i] for i in support] + [Fraction(-1)] for j in tight]
    matrix.append([Fraction(1)] * k + [Fraction(0)])
    rhs = [[Fraction(0)] for _ in tight] + [[Fraction(1)]]
    solution = solve_unique(matrix, rhs)
    if solution is None or min(row[0] for row in solution[:k]) < 0:
        return None
    strategy = np.full(payoffs.shape[1], Fraction(0), dtype=object)
    strategy[support] = [row[0] for row in solution[:k]]
    value = solution[k][0]
    if min(payoffs @ strategy) != value:
        return None
    return strategy, value


__all__ = ["ExactGame", "best_response_values", "certificate", "check_exact_profile", "exact_minimax", "fractions",
           "profile_values", "solve_unique"]
