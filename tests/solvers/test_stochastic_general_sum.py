"""Value iteration with a stage-equilibrium selector on general-sum stochastic games: certified where it works
(dominant strategies, zero-sum), and honest where it cycles (a game without a stationary deterministic
equilibrium)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from equilibria.core.errors import GameError
from equilibria.games.stochastic import StochasticGame
from equilibria.metrics.stochastic import exploitability
from equilibria.solvers.shapley import shapley_solve
from equilibria.solvers.stochastic_general_sum import stochastic_value_iteration_solve
from tests.solvers.test_shapley import big_match


def repeated_dilemma(n_players: int = 2, seed: int = 0, beta: float = 0.5) -> StochasticGame:
    """Three states, each a prisoner's dilemma with its own stakes (action 1 = defect strictly dominates), and
    transitions that do not depend on the actions: every player defecting everywhere is the unique stationary
    equilibrium."""
    rng = np.random.default_rng(seed)
    n_states = 3
    shape = (n_states,) + (2,) * n_players
    rewards = np.zeros((n_players, *shape))
    for i in range(n_players):
        defect = np.zeros((2,) * n_players)
        cooperators = np.zeros((2,) * n_players)
        for profile in itertools.product(range(2), repeat=n_players):
            defect[profile] = profile[i]
            cooperators[profile] = sum(1 - a for j, a in enumerate(profile) if j != i)
        for s in range(n_states):
            stake = 1.0 + s
            rewards[i, s] = stake * (2.0 * cooperators + 1.0 * defect)
    moves = rng.dirichlet(np.ones(n_states), n_states)
    transitions = np.broadcast_to(moves.reshape(n_states, *(1,) * n_players, n_states), (*shape, n_states))
    return StochasticGame.from_dense(rewards, transitions, beta)


@pytest.mark.parametrize("selector", ["nash", "correlated"])
def test_dominant_strategy_game_is_certified(selector: str) -> None:
    game = repeated_dilemma()
    result = stochastic_value_iteration_solve(game, selector=selector, tol=1e-8)
    assert result.converged and result.certificate[0] <= 1e-8
    for policy in result.equilibrium:
        assert policy[:, 1] == pytest.approx(np.ones(3), abs=1e-9)  # defect everywhere


def test_three_players_use_simplicial_subdivision() -> None:
    game = repeated_dilemma(n_players=3)
    result = stochastic_value_iteration_solve(game, tol=1e-7)
    assert result.converged and result.certificate[0] <= 1e-7
    assert all(policy[:, 1] == pytest.approx(np.ones(3), abs=1e-6) for policy in result.equilibrium)


def test_zero_sum_game_agrees_with_shapley() -> None:
    game = big_match(0.5)
    heuristic = stochastic_value_iteration_solve(game, tol=1e-8)
    exact = shapley_solve(game, tol=1e-8)
    assert heuristic.converged and heuristic.certificate[0] <= 1e-8
    assert heuristic.values[0] == pytest.approx(exact.values[0], abs=1e-7)


def cycling_game() -> StochasticGame:
    """Two states, turn-based (player s moves in state s): "stay" pays (2, 2) in state 0 and (1, 1) in state 1,
    "pass" pays (3, 0) and hands the move to the other state; discount 3/4. No stationary deterministic profile is
    an equilibrium (checked below), so value iteration, whose stage equilibria here are pure, cannot settle."""
    rewards = np.zeros((2, 2, 2, 2))
    transitions = np.zeros((2, 2, 2, 2))
    rewards[:, 0, 0, 0], transitions[0, 0, 0, 0] = (2.0, 2.0), 1.0
    rewards[:, 0, 1, 0], transitions[0, 1, 0, 1] = (3.0, 0.0), 1.0
    rewards[:, 1, 0, 0], transitions[1, 0, 0, 1] = (1.0, 1.0), 1.0
    rewards[:, 1, 0, 1], transitions[1, 0, 1, 0] = (3.0, 0.0), 1.0
    return StochasticGame.from_dense(rewards, transitions, 0.75, n_actions=[[2, 1], [1, 2]])


def test_value_iteration_cycles_and_says_so() -> None:
    game = cycling_game()
    for a, b in itertools.product(range(2), repeat=2):  # no deterministic stationary equilibrium
        x, y = np.zeros((2, 2)), np.zeros((2, 2))
        x[0, a] = x[1, 0] = y[0, 0] = y[1, b] = 1.0
        assert exploitability(game, (x, y)) >= 1.0
    result = stochastic_value_iteration_solve(game, max_iterations=200)
    assert not result.converged
    assert "max_iterations=200" in result.parameters["stopped_because"]
    assert result.parameters["cycle_period"] >= 2
    assert result.certificate[0] >= 1.0  # the reported certificate is the profile's real exploitability
    assert "cycle" in result.parameters["message"]


def test_budget_and_bad_input() -> None:
    timed = stochastic_value_iteration_solve(cycling_game(), max_iterations=None, max_seconds=0.1)
    assert not timed.converged and "max_seconds" in timed.parameters["stopped_because"]
    with pytest.raises(GameError, match="max_iterations or max_seconds"):
        stochastic_value_iteration_solve(cycling_game(), max_iterations=None)
    with pytest.raises(GameError, match="selector"):
        stochastic_value_iteration_solve(big_match(0.5), selector="stackelberg")
    with pytest.raises(GameError, match="tol"):
        stochastic_value_iteration_solve(big_match(0.5), tol=0)
    with pytest.raises(GameError, match="expected a StochasticGame"):
        stochastic_value_iteration_solve(None)  # type: ignore[arg-type]
