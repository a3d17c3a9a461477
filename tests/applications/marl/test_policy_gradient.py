"""Two-timescale independent policy gradient (applications/marl/policy_gradient.py): the simplex projection, and the
measured exploitability curve of the learned profile on matching pennies and on a Big Match with a stopping state."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria.applications.marl.base import env
from equilibria.applications.marl.policy_gradient import independent_pg, project_simplex
from equilibria.applications.marl.run import MARLRun, run_learner
from equilibria.core.errors import GameError, NotApplicableError
from equilibria.games.stochastic import StochasticGame
from equilibria.metrics.stochastic import best_response, profile_values

PENNIES = StochasticGame.from_dense(np.array([[[1.0, -1.0], [-1.0, 1.0]], [[-1.0, 1.0], [1.0, -1.0]]])[:, None],
                                    np.ones((1, 2, 2, 1)), 0.0)


def big_match(discount: float = 0.9) -> StochasticGame:
    """Gillette's Big Match with its absorbing states folded into one stopping move: Top-Left pays the discounted
    sum of 1 forever, ``1 / (1 - discount)``, and stops; Top-Right pays 0 and stops; Bottom pays 1 against Right, 0
    against Left, and play goes on. The value of state 0 is ``1 / (2 (1 - discount))`` (5 at 0.9), the row player's
    optimal P(Top) is ``(1 - discount) / (2 - discount)`` and the column's is 1/2 (the Big Match's known answer)."""
    rewards = np.zeros((2, 2, 2, 2))
    rewards[0, 0] = [[1 / (1 - discount), 0.0], [0.0, 1.0]]
    rewards[1] = -rewards[0]
    transitions = np.zeros((2, 2, 2, 2))
    transitions[0, 0, :, 1] = 1.0
    transitions[0, 1, :, 0] = 1.0
    transitions[1, 0, 0, 1] = 1.0
    return StochasticGame.from_dense(rewards, transitions, discount, n_actions=[[2, 2], [1, 1]],
                                     terminal=[False, True])


BIG_MATCH = big_match()


def test_big_match_test_game_has_the_known_answer() -> None:
    p_top = 0.1 / 1.1
    optimal = (np.array([[p_top, 1 - p_top], [1.0, 0.0]]), np.array([[0.5, 0.5], [1.0, 0.0]]))
    assert profile_values(BIG_MATCH, optimal)[0, 0] == pytest.approx(5.0)
    for player in range(2):  # nobody gains by deviating
        assert best_response(BIG_MATCH, optimal, player).values[0] == pytest.approx(
            profile_values(BIG_MATCH, optimal)[player, 0])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-5, 5), min_size=4, max_size=4), st.lists(st.booleans(), min_size=4, max_size=4),
       st.floats(0.0, 0.2))
def test_projection_lands_in_the_set_and_is_nearest(values: list[float], mask: list[bool], epsilon: float) -> None:
    available = np.array(mask)
    available[0] = True
    floor = epsilon / available.sum()
    x = np.asarray(project_simplex(jnp.array(values, jnp.float32), jnp.array(available), floor), dtype=np.float64)
    assert np.all(x[~available] == 0) and np.all(x[available] >= floor - 1e-6)
    assert x.sum() == pytest.approx(1.0, abs=1e-5)
    # no point of the set is nearer: compare with random feasible points
    rng = np.random.default_rng(0)
    v = np.array(values)[available]
    for _ in range(20):
        y = floor + (1 - available.sum() * floor) * rng.dirichlet(np.ones(available.sum()))
        assert np.linalg.norm(x[available] - v) <= np.linalg.norm(y - v) + 1e-4


@pytest.fixture(scope="module")
def pennies_run() -> MARLRun:
    return run_learner(PENNIES, independent_pg(), steps=100_000, seeds=16, key=0, checkpoints=5)


@pytest.fixture(scope="module")
def big_match_run() -> MARLRun:
    return run_learner(BIG_MATCH, independent_pg(), steps=200_000, seeds=8, key=0, checkpoints=4)


def test_exploitability_of_the_averaged_profile_falls_on_matching_pennies(pennies_run: MARLRun) -> None:
    curve = np.median(pennies_run.exploitability, axis=0)
    # measured: 0.029, 0.015, 0.012, 0.0076, 0.0062 at 20k, ..., 100k steps
    assert curve[-1] < 0.5 * curve[0] and curve[-1] < 0.015, curve
    assert np.all(np.diff(curve) < 0.005), curve  # falling, up to noise
    for policy in pennies_run.policies:
        np.testing.assert_allclose(policy[:, 0], 0.5, atol=0.03)


def test_exploitability_falls_on_the_big_match_and_the_row_player_learns_its_strategy(
        big_match_run: MARLRun) -> None:
    curve = np.median(big_match_run.exploitability, axis=0)
    # values are about 5 here (rewards up to 10): a fall to a few percent of the value; measured 0.31, 0.24, 0.20,
    # 0.17 at 50k, ..., 200k steps, P(Top) 0.097, the column's P(Left) 0.51, value 5.003
    assert curve[-1] < 0.7 * curve[0] and curve[-1] < 0.3, curve
    p_top = big_match_run.policies[0][:, 0, 0]
    np.testing.assert_allclose(np.median(p_top), 1 / 11, atol=0.03)
    np.testing.assert_allclose(np.median(big_match_run.policies[1][:, 0, 0]), 0.5, atol=0.06)
    np.testing.assert_allclose(np.median(big_match_run.values[:, -1, 0]), 5.0, atol=0.3)


def test_the_two_timescale_rule_and_two_players_are_required() -> None:
    with pytest.raises(GameError, match="eta_slow"):
        independent_pg(eta_slow=0.1, eta_fast=0.01)
    with pytest.raises(GameError, match="slow_player"):
        independent_pg(slow_player=2)
    three = StochasticGame.from_dense(np.zeros((3, 1, 2, 2, 2)), np.ones((1, 2, 2, 2, 1)), 0.5)
    with pytest.raises(NotApplicableError, match="two-player"):
        independent_pg().init(env(three), jax.random.PRNGKey(0))
    assert independent_pg(average=False).name == "independent-pg"
