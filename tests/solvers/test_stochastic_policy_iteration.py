"""Hoffman-Karp policy iteration: agrees with Shapley value iteration on random zero-sum stochastic games
(Hypothesis), known answers, budgets and bad input."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria.core.errors import GameError, NotApplicableError
from equilibria.games.stochastic import StochasticGame
from equilibria.metrics.stochastic import exploitability
from equilibria.solvers.shapley import shapley_solve
from equilibria.solvers.stochastic_policy_iteration import hoffman_karp_solve
from tests.solvers.test_shapley import big_match, random_zero_sum


def random_game(seed: int, n_states: int, beta: float, degenerate: bool) -> StochasticGame:
    """Random two-player zero-sum game with per-state action counts 1..3, 1..3 successors, and, when
    ``degenerate``, integer rewards in {-1, 0, 1} (ties, dominated and duplicate actions)."""
    rng = np.random.default_rng(seed)
    n_actions = rng.integers(1, 4, (n_states, 2))
    n_actions[0] = 3  # the largest count per player must be the width of the arrays
    k = int(rng.integers(1, 4))
    r0 = rng.integers(-1, 2, (n_states, 3, 3)).astype(float) if degenerate else rng.normal(size=(n_states, 3, 3))
    successors = rng.integers(0, n_states, (n_states, 3, 3, k))
    probabilities = rng.dirichlet(np.ones(k), (n_states, 3, 3))
    mask = (np.arange(3)[None, :, None] < n_actions[:, 0, None, None]) & (
        np.arange(3)[None, None, :] < n_actions[:, 1, None, None])
    r0 = np.where(mask, r0, 0.0)
    return StochasticGame(np.stack([r0, -r0]), successors, probabilities, beta, n_actions=n_actions)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_states=st.integers(1, 5), beta=st.sampled_from([0.3, 0.8, 0.95]),
       degenerate=st.booleans())
def test_value_and_policy_iteration_agree(seed: int, n_states: int, beta: float, degenerate: bool) -> None:
    game = random_game(seed, n_states, beta, degenerate)
    tol = 1e-8
    vi, pi = shapley_solve(game, tol=tol), hoffman_karp_solve(game, tol=tol)
    assert vi.converged and pi.converged
    assert vi.certificate[0] <= tol and pi.certificate[0] <= tol
    # the value is unique: both profiles' values agree within what their certificates allow
    assert np.abs(vi.parameters["state_values"] - pi.parameters["state_values"]).max() <= 2 * tol
    # certificates are the metrics' own numbers
    assert pi.certificate[0] == pytest.approx(exploitability(game, pi.equilibrium), abs=1e-15)


@pytest.mark.parametrize("beta", [0.5, 0.9, 0.99])
def test_big_match(beta: float) -> None:
    result = hoffman_karp_solve(big_match(beta))
    assert result.converged and result.certificate[0] <= 1e-9
    assert result.equilibrium[0][0, 0] == pytest.approx((1 - beta) / (2 - beta), abs=1e-9)
    assert result.values[0][0] == pytest.approx(1 / (2 * (1 - beta)), abs=1e-7)
    assert result.iterations < 50  # policy iteration: few improvements even where value iteration needs thousands


def test_stopping_game() -> None:
    result = hoffman_karp_solve(big_match(0.8, stopping=True))
    assert result.converged and result.certificate[0] <= 1e-9
    assert result.values[0][0] == pytest.approx(2.5, abs=1e-8)  # 1 / (2 (1 - 0.8)), as discounted


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_states=st.integers(1, 3))
def test_rational_mode_is_exact_or_says_why_not(seed: int, n_states: int) -> None:
    game = random_game(seed, n_states, 0.5, degenerate=True)
    result = shapley_solve(game, rational=True)
    if result.rational:
        assert result.certificate[0] == 0 and isinstance(result.certificate[0], Fraction)
        assert all(p.dtype == object for p in result.equilibrium)
        float_values = shapley_solve(game).parameters["state_values"]
        assert np.abs(np.array(result.parameters["state_values"], dtype=float) - float_values).max() <= 1e-8
    else:
        assert "rational_failed" in result.parameters and result.certificate[0] <= 1e-9


def test_budgets() -> None:
    game = random_zero_sum(60, 3, beta=0.99)
    result = hoffman_karp_solve(game, max_iterations=1)
    assert not result.converged and "max_iterations=1" in result.parameters["stopped_because"]
    assert result.iterations == 1


def test_bad_input() -> None:
    rewards = np.ones((2, 1, 2, 2))
    rewards[0, 0, 0, 0] = 3.0
    with pytest.raises(NotApplicableError, match="not zero-sum"):
        hoffman_karp_solve(StochasticGame.from_dense(rewards, np.ones((1, 2, 2, 1)), 0.5))
    with pytest.raises(GameError, match="expected a StochasticGame"):
        hoffman_karp_solve("big-match")  # type: ignore[arg-type]
    with pytest.raises(GameError, match="max_seconds"):
        hoffman_karp_solve(big_match(0.5), max_seconds=-1)
