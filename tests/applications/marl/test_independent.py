"""Independent Q-learning, friend-Q and WoLF-PHC (applications/marl/independent.py): learning outcomes on one-state
games built here, measured by the exact exploitability; the protocol's conformance is in test_run.py."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from equilibria.applications.marl.base import env
from equilibria.applications.marl.independent import _hill_climb, friend_q, greedy_rows, independent_q, wolf_phc
from equilibria.applications.marl.run import MARLRun, evaluate, run_learner
from equilibria.core.errors import GameError
from equilibria.games.stochastic import StochasticGame


def one_state(row: list[list[float]], column: list[list[float]], discount: float = 0.0) -> StochasticGame:
    rewards = np.stack([np.array(row, float), np.array(column, float)])[:, None]
    return StochasticGame.from_dense(rewards, np.ones((1, *rewards.shape[2:], 1)), discount)


PRISONERS = one_state([[3, 0], [5, 1]], [[3, 5], [0, 1]])
PENNIES = one_state([[1, -1], [-1, 1]], [[-1, 1], [1, -1]])
# WoLF-PHC with constant step sizes (Bowling and Veloso use decaying ones; constants keep the test short).
WOLF = {"delta_win": 0.001, "delta_lose": 0.004, "learning_rate": 0.1, "epsilon": 0.05}


@pytest.fixture(scope="module")
def wolf_run() -> MARLRun:
    """8 seeds reporting the average policy (the current one, ``state.pi``, is judged from the same run)."""
    return run_learner(PENNIES, wolf_phc(average=True, **WOLF), steps=60_000, seeds=8, key=11, checkpoints=6)


def test_independent_q_learns_the_dominant_action_of_the_prisoners_dilemma() -> None:
    run = run_learner(PRISONERS, independent_q(learning_rate=0.2, epsilon=0.2), steps=1_500, seeds=32, key=0,
                      checkpoints=1)
    defect = np.array([0.0, 1.0])
    assert all(np.array_equal(run.profile(k)[i][0], defect) for k in range(32) for i in range(2))
    assert np.all(run.final_exploitability == 0.0)
    np.testing.assert_allclose(run.values[:, -1], 1.0)  # (D, D) pays 1 each
    # the Q-values are the expected rewards against an opponent who defects 90% of the time (epsilon 0.2)
    q = np.asarray(run.state.q[0]).mean(axis=0)[0]
    assert q[1] > q[0] and q[1] == pytest.approx(0.9 * 1 + 0.1 * 5, abs=0.4)


def test_wolf_phc_average_policy_approaches_the_mixed_equilibrium_of_matching_pennies(wolf_run: MARLRun) -> None:
    curve = np.median(wolf_run.exploitability, axis=0)
    # measured (median of the 8 seeds): 0.037 at 10k steps, 0.024, 0.021, 0.019, 0.017, 0.017 at 60k
    assert curve[-1] < 0.6 * curve[0] and curve[-1] < 0.025, curve
    for policy in wolf_run.policies:
        np.testing.assert_allclose(policy[:, 0], 0.5, atol=0.03)
    # the current policy keeps circling the equilibrium: the average is the better certificate
    current = [evaluate(PENNIES, tuple(pi[k] for pi in wolf_run.state.pi))[0]
               for k in range(8)]
    assert np.median(current) > 2 * np.median(wolf_run.final_exploitability)  # measured 0.075 against 0.017


def test_friend_q_coordinates_on_the_best_joint_action() -> None:
    # a common-payoff game with two pure equilibria, (0, 0) paying 10 and (1, 1) paying 5
    coordination = one_state([[10, 0], [0, 5]], [[10, 0], [0, 5]], discount=0.5)
    run = run_learner(coordination, friend_q(learning_rate=0.2, epsilon=0.2), steps=3_000, seeds=16, key=0,
                      checkpoints=1)
    for k in range(16):
        assert [p[0].tolist() for p in run.profile(k)] == [[1.0, 0.0], [1.0, 0.0]]
    assert np.all(run.final_exploitability == 0.0)
    np.testing.assert_allclose(run.values[:, -1], 10 / (1 - 0.5))
    # friend-Q backs up the best joint action: Q(0, 0) -> 10 + 0.5 * 20
    q = np.asarray(run.state.q[0]).mean(axis=0)[0]
    assert q[0, 0] == pytest.approx(20.0, rel=1e-3)


def test_greedy_rows_split_ties_and_skip_padding() -> None:
    values = jnp.array([[1.0, 1.0, 5.0], [0.0, 0.0, 0.0], [2.0, 2.0, 0.5]])
    available = jnp.array([[True, True, False], [True, True, True], [True, True, True]])
    np.testing.assert_allclose(np.asarray(greedy_rows(values, available)),
                               [[0.5, 0.5, 0.0], [1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0.0]])


def test_hill_climb_moves_delta_towards_the_greedy_action_and_keeps_a_distribution() -> None:
    pi = jnp.array([0.2, 0.5, 0.3, 0.0])
    available = jnp.array([True, True, True, False])
    moved = np.asarray(_hill_climb(pi, jnp.array([1.0, 0.0, 0.0, 9.0]), available, jnp.float32(0.1)))
    np.testing.assert_allclose(moved, [0.3, 0.45, 0.25, 0.0], atol=1e-7)
    # a probability never goes below 0: the loss is capped by what the action has
    capped = np.asarray(_hill_climb(jnp.array([0.98, 0.01, 0.01, 0.0]), jnp.array([1.0, 0.0, 0.0, 0.0]),
                                    available, jnp.float32(0.5)))
    np.testing.assert_allclose(capped, [1.0, 0.0, 0.0, 0.0], atol=1e-7)


def test_wolf_phc_needs_delta_lose_above_delta_win_and_names_its_learners() -> None:
    with pytest.raises(GameError, match="delta_lose"):
        wolf_phc(delta_win=0.1, delta_lose=0.05)
    assert wolf_phc().name == "wolf-phc" and wolf_phc(average=True).name == "wolf-phc-average"
    assert dict(independent_q(exploration="boltzmann").hyperparameters)["exploration"] == "boltzmann"


def test_learners_start_from_the_documented_tables() -> None:
    environment = env(PRISONERS)
    state = wolf_phc().init(environment, jax.random.PRNGKey(0))
    np.testing.assert_allclose(np.asarray(state.pi[0]), [[0.5, 0.5]])
    state = independent_q(initial_q=2.0).init(environment, jax.random.PRNGKey(0))
    np.testing.assert_allclose(np.asarray(state.q[1]), [[2.0, 2.0]])
