"""Tests of equilibria.applications.irl.metrics: EVD, EPIC, log-likelihood and the feature-expectation gap."""

from __future__ import annotations

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria.applications.irl import metrics
from equilibria.applications.irl import soft_values as sv
from equilibria.applications.irl.mdp import TabularMDP, make_mdp
from equilibria.applications.irl.worlds import cliff_world, gridworld
from equilibria.core.errors import GameError


def _random_mdp(seed: int, horizon: int | None = 6, discount: float = 0.9) -> TabularMDP:
    rng = np.random.default_rng(seed)
    transitions = rng.dirichlet(np.full(5, 0.5), size=(5, 3))
    return make_mdp(
        transitions, rng.normal(size=(5, 4)), rng.normal(size=5), rng.dirichlet(np.ones(5)),
        horizon=horizon, discount=discount,
    )


@pytest.mark.parametrize("horizon", [9, None])
def test_evd_zero_for_true_and_equivalent_rewards_positive_for_negated(horizon: int | None) -> None:
    mdp = cliff_world(horizon=9) if horizon is not None else gridworld(4, discount=0.9, seed=2)
    true = np.asarray(mdp.reward)
    assert metrics.expected_value_difference(mdp, true) == pytest.approx(0.0, abs=1e-9)
    # positive rescaling and a constant shift keep the optimal policy
    assert metrics.expected_value_difference(mdp, 3.0 * true + 1.0) == pytest.approx(0.0, abs=1e-9)
    negated = metrics.expected_value_difference(mdp, -true)
    assert negated > 0.1
    # EVD is the gap between the exact values of two policies, both computed here independently
    with jax.enable_x64(True):
        best = float(sv.policy_value(mdp, true, sv.optimal_policy(mdp, true)))
        worst = float(sv.policy_value(mdp, true, sv.optimal_policy(mdp, -true)))
    assert negated == pytest.approx(best - worst, abs=1e-12)


def test_evd_on_cliff_world_is_the_known_route_difference() -> None:
    # the optimum on the 7 x 4 cliff world with horizon 9, by hand: up, 6 x right, down reaches the goal at t = 8,
    # then "down" into the wall keeps it there at t = 9: start (-1), 7 cells above the cliff (-1 each), goal twice
    mdp = cliff_world(horizon=9)
    expected_best = -1 + 7 * -1 + 10 + 10
    with jax.enable_x64(True):
        best = float(sv.policy_value(mdp, mdp.reward, sv.optimal_policy(mdp, mdp.reward)))
    assert best == pytest.approx(expected_best, abs=1e-9)
    assert metrics.expected_value_difference(mdp, np.zeros(mdp.n_states)) > 0


def test_epic_invariances_and_negation() -> None:
    mdp = _random_mdp(0)
    rng = np.random.default_rng(1)
    reward = rng.normal(size=(5, 3, 5))
    potential = rng.normal(size=5)
    shaped = reward + mdp.discount * potential[None, None, :] - potential[:, None, None]
    assert metrics.epic_distance(reward, shaped, mdp) == pytest.approx(0.0, abs=1e-7)
    assert metrics.epic_distance(reward, 2.5 * reward + 4.0, mdp) == pytest.approx(0.0, abs=1e-7)
    assert metrics.epic_distance(reward, -reward, mdp) == pytest.approx(1.0, abs=1e-12)
    # a state reward is the transition reward R(s, a, s') = r(s); shaping turns it into a transition reward
    state = np.asarray(mdp.reward)
    state_shaped = np.broadcast_to(
        state[:, None, None] + mdp.discount * potential[None, None, :] - potential[:, None, None], (5, 3, 5)
    )
    assert metrics.epic_distance(state, state_shaped, mdp) == pytest.approx(0.0, abs=1e-7)
    # invariance holds for any coverage distributions
    d_s, d_a = rng.dirichlet(np.ones(5)), rng.dirichlet(np.ones(3))
    kwargs = {"state_distribution": d_s, "action_distribution": d_a}
    assert metrics.epic_distance(reward, shaped, mdp, **kwargs) == pytest.approx(0.0, abs=1e-7)
    # a constant reward is no reward: two of them coincide; against a real reward, no correlation
    assert metrics.epic_distance(np.ones(5), np.zeros(5), mdp) == 0.0
    assert metrics.epic_distance(np.ones(5), state, mdp) == pytest.approx(np.sqrt(0.5))


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    shape=st.sampled_from([(5,), (5, 3), (5, 3, 5)]),
    scale=st.floats(1e-3, 1e3),
    ties=st.booleans(),
)
def test_epic_is_a_pseudometric_in_unit_interval(seed: int, shape: tuple, scale: float, ties: bool) -> None:
    mdp = _random_mdp(3)
    rng = np.random.default_rng(seed)
    a = rng.normal(size=shape) * scale
    b = rng.normal(size=shape)
    if ties:  # degenerate: few distinct values
        a, b = np.round(a / scale), np.round(b)
    c = rng.normal(size=(5, 3, 5))
    ab, ba = metrics.epic_distance(a, b, mdp), metrics.epic_distance(b, a, mdp)
    assert 0.0 <= ab <= 1.0
    assert ab == pytest.approx(ba, abs=1e-12)
    # the triangle inequality of the Pearson distance
    assert ab <= metrics.epic_distance(a, c, mdp) + metrics.epic_distance(c, b, mdp) + 1e-9
    assert metrics.epic_distance(a, a, mdp) == pytest.approx(0.0, abs=1e-6)


def test_log_likelihood_of_generating_policy_beats_uniform() -> None:
    # the shapes of test_feature_expectation_gap_from_demonstrations_shrinks_with_data, to share its compilation
    mdp = _random_mdp(7)
    with jax.enable_x64(True):
        policy = np.asarray(sv.soft_value_iteration(mdp, 3 * np.asarray(mdp.reward)).policy)
        demos = sv.sample_demonstrations(mdp, policy, jax.random.key(0), 5000)
    uniform = np.full((mdp.n_states, mdp.n_actions), 1 / 3)
    own = metrics.demonstration_log_likelihood(mdp, policy, demos)
    assert metrics.demonstration_log_likelihood(mdp, uniform, demos) == pytest.approx(7 * np.log(1 / 3))
    assert own > metrics.demonstration_log_likelihood(mdp, uniform, demos)
    # by hand
    s, a = np.asarray(demos.states), np.asarray(demos.actions)
    by_hand = np.mean(np.sum(np.log(policy[np.arange(7)[None, :], s, a]), axis=1))
    assert own == pytest.approx(by_hand, rel=1e-12)
    # a demonstrated action of probability 0
    greedy = np.asarray(sv.optimal_policy(mdp, mdp.reward))
    assert metrics.demonstration_log_likelihood(mdp, greedy, demos) == -np.inf


@pytest.mark.parametrize("horizon", [8, None])
def test_feature_expectation_gap_is_zero_at_the_truth(horizon: int | None) -> None:
    mdp = _random_mdp(4, horizon=horizon)
    with jax.enable_x64(True):
        policy = sv.soft_value_iteration(mdp, mdp.reward, temperature=0.5).policy
        exact = np.asarray(sv.occupancy(mdp, policy))
    assert metrics.feature_expectation_gap(mdp, mdp.reward, exact, temperature=0.5) == pytest.approx(0.0, abs=1e-9)
    # the wrong temperature, the wrong model or the wrong reward leave a gap
    assert metrics.feature_expectation_gap(mdp, mdp.reward, exact, temperature=2.0) > 1e-3
    assert metrics.feature_expectation_gap(mdp, mdp.reward, exact, temperature=0.5, causal=False) > 1e-3
    assert metrics.feature_expectation_gap(mdp, -np.asarray(mdp.reward), exact, temperature=0.5) > 1e-3


def test_feature_expectation_gap_from_demonstrations_shrinks_with_data() -> None:
    mdp = _random_mdp(5)
    with jax.enable_x64(True):
        policy = sv.soft_value_iteration(mdp, mdp.reward).policy
        many = sv.sample_demonstrations(mdp, policy, jax.random.key(0), 5000)
    few = sv.Demonstrations(many.states[:20], many.actions[:20])
    gap_few = metrics.feature_expectation_gap(mdp, mdp.reward, few)
    gap_many = metrics.feature_expectation_gap(mdp, mdp.reward, many)
    assert gap_many < gap_few
    # the Monte Carlo error of the mean visit counts is O(1 / sqrt(N)); 7 steps, features ~ N(0, 1)
    assert gap_many < 4 * 7 * np.abs(mdp.features).max() / np.sqrt(5000)


def test_metrics_reject_bad_input_in_one_line() -> None:
    mdp = _random_mdp(6)
    demos = sv.Demonstrations(np.zeros((2, 7), int), np.zeros((2, 7), int))
    bad = [
        (lambda: metrics.expected_value_difference(mdp, np.zeros(4)), "learned_reward must have shape"),
        (lambda: metrics.expected_value_difference(mdp, np.full(5, np.nan)), "learned_reward contains NaN"),
        (lambda: metrics.epic_distance(np.zeros(4), np.zeros(5), mdp), "reward_a must have shape"),
        (lambda: metrics.epic_distance(np.zeros(5), np.zeros(5), mdp, state_distribution=np.ones(5)),
         "state_distribution must be a probability vector"),
        (lambda: metrics.demonstration_log_likelihood(mdp, np.ones((4, 3)), demos), "policy must have shape"),
        (lambda: metrics.demonstration_log_likelihood(
            mdp, np.ones((5, 3)) / 3, sv.Demonstrations(np.full((2, 7), 9), np.zeros((2, 7), int))),
         "demonstrations.states must lie in"),
        (lambda: metrics.feature_expectation_gap(mdp, mdp.reward, np.ones(3)), "occupancy"),
    ]
    for call, match in bad:
        with pytest.raises(GameError, match=match) as info:
            call()
        assert "\n" not in str(info.value)
