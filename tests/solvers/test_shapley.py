"""Shapley value iteration on two-player zero-sum stochastic games: known answers (Big Match, matrix games,
stopping games), exact mode, budgets and bad input."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from equilibria.core.errors import GameError, NotApplicableError
from equilibria.games.normal_form import NormalFormGame
from equilibria.games.stochastic import StochasticGame
from equilibria.solvers.shapley import shapley_solve
from equilibria.solvers.zero_sum_lp import zero_sum_lp_solve


def big_match(beta: float, *, stopping: bool = False) -> StochasticGame:
    """Gillette's Big Match: state 0 is played (row: Top absorbs, Bottom stays; column: Left, Right); state 1 pays
    the row player 1 for ever, state 2 pays 0. ``stopping``: the undiscounted game that stops with probability
    ``1 - beta`` after every step (state 3 terminal), whose values are the discounted game's."""
    n = 4 if stopping else 3
    rewards = np.zeros((2, n, 2, 2))
    transitions = np.zeros((n, 2, 2, n))
    rewards[0, 0, 0, 0] = rewards[0, 0, 1, 1] = 1.0
    rewards[0, 1] = 1.0
    transitions[0, 0, 0, 1] = transitions[0, 0, 1, 2] = 1.0
    transitions[0, 1, :, 0] = 1.0
    transitions[1, :, :, 1] = transitions[2, :, :, 2] = 1.0
    rewards[1] = -rewards[0]
    if not stopping:
        return StochasticGame.from_dense(rewards, transitions, beta)
    transitions[:3] *= beta
    transitions[:3, :, :, 3] = 1.0 - beta
    transitions[3, :, :, 3] = 1.0
    return StochasticGame.from_dense(rewards, transitions, 1.0, terminal=[False, False, False, True])


@pytest.mark.parametrize("beta", [0.5, 0.8, 0.9])
def test_big_match_float(beta: float) -> None:
    result = shapley_solve(big_match(beta), tol=1e-9)
    x, y = result.equilibrium
    assert result.converged and result.certificate[0] <= 1e-9
    assert result.certificate_name == "exploitability"
    assert x[0, 0] == pytest.approx((1 - beta) / (2 - beta), abs=1e-9)
    assert y[0] == pytest.approx([0.5, 0.5], abs=1e-9)
    assert result.values[0] == pytest.approx([1 / (2 * (1 - beta)), -1 / (2 * (1 - beta))], abs=1e-8)
    assert (1 - beta) * result.parameters["state_values"][0, 0] == pytest.approx(0.5, abs=1e-9)


@pytest.mark.parametrize("beta", ["1/2", "4/5", "9/10"])
def test_big_match_rational(beta: str) -> None:
    b = Fraction(beta)
    result = shapley_solve(big_match(float(b)), rational=True)
    x, y = result.equilibrium
    assert result.rational and result.converged
    assert result.certificate[0] == 0
    assert x[0, 0] == (1 - b) / (2 - b) and isinstance(x[0, 0], Fraction)
    assert list(y[0]) == [Fraction(1, 2), Fraction(1, 2)]
    assert result.values[0][0] == 1 / (2 * (1 - b))
    assert result.parameters["state_values"][0][0] == 1 / (2 * (1 - b))


def test_stopping_game_equals_discounted() -> None:
    discounted = shapley_solve(big_match(0.8), tol=1e-9)
    stopping = shapley_solve(big_match(0.8, stopping=True), tol=1e-9, max_iterations=5000)
    assert stopping.converged and stopping.certificate[0] <= 1e-9
    assert stopping.values[0] == pytest.approx(discounted.values[0], abs=1e-8)
    assert stopping.equilibrium[0][0, 0] == pytest.approx(1 / 6, abs=1e-8)


@pytest.mark.parametrize("seed", range(4))
def test_one_state_reduces_to_matrix_game(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.integers(-5, 6, (3, 4)).astype(float)
    beta = 0.6
    game = StochasticGame.from_dense(np.stack([a, -a])[:, None], np.ones((1, 3, 4, 1)), beta)
    result = shapley_solve(game, tol=1e-9)
    matrix = zero_sum_lp_solve(NormalFormGame(np.stack([a, -a])))
    assert result.converged
    assert result.values[0][0] * (1 - beta) == pytest.approx(matrix.values[0][0], abs=1e-9)
    # every stationary equilibrium plays a minimax strategy of the matrix game in the one state
    x, y = result.equilibrium
    assert (x[0] @ a).min() == pytest.approx(matrix.values[0][0], abs=1e-9)
    assert (a @ y[0]).max() == pytest.approx(matrix.values[0][0], abs=1e-9)


def irrational_game(beta: float = 0.5) -> StochasticGame:
    """Value ``v`` with ``beta v^2 + (2 - beta) v - 1 = 0`` (irrational for beta = 1/2): state 0's stage game is
    ``[[1 + beta v, 0], [0, 1]]``, state 1 pays 0 for ever."""
    rewards = np.zeros((2, 2, 2, 2))
    rewards[0, 0, 0, 0] = rewards[0, 0, 1, 1] = 1.0
    rewards[1] = -rewards[0]
    transitions = np.zeros((2, 2, 2, 2))
    transitions[0, :, :, 1] = 1.0
    transitions[0, 0, 0] = [1.0, 0.0]
    transitions[1, :, :, 1] = 1.0
    return StochasticGame.from_dense(rewards, transitions, beta)


def test_rational_mode_falls_back_honestly_on_an_irrational_value() -> None:
    result = shapley_solve(irrational_game(), rational=True, tol=1e-10)
    expected = -1.5 + np.sqrt(4.25)
    assert not result.rational
    assert "rational_failed" in result.parameters
    assert result.converged and result.certificate[0] <= 1e-10
    assert result.values[0][0] == pytest.approx(expected, abs=1e-9)


def random_zero_sum(n_states: int, seed: int, beta: float = 0.9, actions: int = 3) -> StochasticGame:
    rng = np.random.default_rng(seed)
    r0 = rng.uniform(-1, 1, (n_states, actions, actions))
    successors = rng.integers(0, n_states, (n_states, actions, actions, 2))
    probabilities = rng.dirichlet(np.ones(2), (n_states, actions, actions))
    return StochasticGame(np.stack([r0, -r0]), successors, probabilities, beta)


def test_budgets_stop_without_hanging() -> None:
    game = random_zero_sum(30, 0, beta=0.99)
    result = shapley_solve(game, max_iterations=3)
    assert not result.converged and result.iterations == 3
    assert "max_iterations=3" in result.parameters["stopped_because"]
    assert result.certificate[0] > 1e-9  # three sweeps of a 0.99-discounted game are far from the value
    # Big Match's state 0 mixes slowly: at discount 0.9999 value iteration needs some 10^5 sweeps
    timed = shapley_solve(big_match(0.9999), max_seconds=0.2)
    assert not timed.converged and "max_seconds" in timed.parameters["stopped_because"]
    assert timed.seconds < 5.0


def test_constant_sum_and_batched_lp_counts() -> None:
    game = random_zero_sum(40, 2)
    shifted = StochasticGame(game.rewards + np.array([0.0, 3.0])[:, None, None, None], game.successors,
                             game.probabilities, game.discount)
    a, b = shapley_solve(game, tol=1e-9), shapley_solve(shifted, tol=1e-9)
    assert a.converged and b.converged
    assert b.values[0][0] == pytest.approx(a.values[0][0], abs=1e-8)
    # after the first sweep most stage games are re-solved on their old supports, without an LP
    assert a.parameters["lp_calls"] < 3 * game.n_states


def test_bad_input() -> None:
    with pytest.raises(GameError, match="expected a StochasticGame"):
        shapley_solve(NormalFormGame(np.zeros((2, 2, 2))))
    general = StochasticGame.from_dense(np.ones((2, 1, 2, 2)), np.ones((1, 2, 2, 1)), 0.5)
    general_rewards = general.rewards.copy()
    general_rewards[0, 0, 0, 0] = 3.0
    with pytest.raises(NotApplicableError, match="stochastic_value_iteration_solve"):
        shapley_solve(StochasticGame(general_rewards, general.successors, general.probabilities, 0.5))
    three = StochasticGame.from_dense(np.zeros((3, 1, 1, 1, 1)), np.ones((1, 1, 1, 1, 1)), 0.5)
    with pytest.raises(NotApplicableError, match="two-player"):
        shapley_solve(three)
    with pytest.raises(GameError, match="tol"):
        shapley_solve(big_match(0.5), tol=-1.0)
    with pytest.raises(GameError, match="rational"):
        shapley_solve(big_match(0.5), rational="yes")  # type: ignore[arg-type]
    with pytest.raises(GameError, match="max_iterations"):
        shapley_solve(big_match(0.5), max_iterations=0)
