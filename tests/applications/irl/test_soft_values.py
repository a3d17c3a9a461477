"""Tests of equilibria.applications.irl.soft_values: closed forms, limits, occupancy measures, Monte Carlo, and
differential checks against the ``imitation`` library."""

from __future__ import annotations

import math
from types import SimpleNamespace

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria.applications.irl import soft_values as sv
from equilibria.applications.irl.mdp import TabularMDP, make_mdp
from equilibria.applications.irl.worlds import gridworld, reasonable_pomdp
from equilibria.core.errors import GameError

R0, R1 = 0.0, 1.0


def _two_state(horizon: int | None, discount: float) -> TabularMDP:
    """State 0: action 0 stays, action 1 moves to the absorbing state 1 (both of whose actions stay)."""
    transitions = np.zeros((2, 2, 2))
    transitions[0, 0, 0] = transitions[0, 1, 1] = transitions[1, :, 1] = 1.0
    return make_mdp(transitions, np.eye(2), [R0, R1], [1.0, 0.0], horizon=horizon, discount=discount)


@pytest.mark.parametrize("tau", [1.0, 0.5])
def test_soft_vi_infinite_horizon_closed_form(tau: float) -> None:
    # V1 = r1 + gamma V1 + tau log 2. With gamma = 1/2, y = exp(V0 / (2 tau)) solves
    # y^2 = k (y + c), k = exp(r0 / tau), c = exp(V1 / (2 tau)): y = (k + sqrt(k^2 + 4 k c)) / 2.
    gamma = 0.5
    v1 = (R1 + tau * math.log(2)) / (1 - gamma)
    k, c = math.exp(R0 / tau), math.exp(v1 / (2 * tau))
    v0 = 2 * tau * math.log((k + math.sqrt(k * k + 4 * k * c)) / 2)
    leave = 1 / (1 + math.exp(gamma * (v0 - v1) / tau))  # pi(move | 0) = sigmoid(gamma (V1 - V0) / tau)
    with jax.enable_x64(True):
        soft = sv.soft_value_iteration(_two_state(None, gamma), np.array([R0, R1]), temperature=tau)
        np.testing.assert_allclose(soft.v, [v0, v1], rtol=0, atol=1e-9)
        np.testing.assert_allclose(soft.policy[0], [1 - leave, leave], atol=1e-9)
        np.testing.assert_allclose(soft.policy[1], [0.5, 0.5], atol=1e-12)
        np.testing.assert_allclose(soft.q[0], [R0 + gamma * v0, R0 + gamma * v1], atol=1e-9)


@pytest.mark.parametrize("gamma", [1.0, 0.7])
def test_soft_vi_finite_horizon_closed_form(gamma: float) -> None:
    horizon, tau = 4, 0.8
    # by hand, backward from V_{H+1} = 0: V_t(1) = r1 + tau log 2 + gamma V_{t+1}(1),
    # V_t(0) = r0 + tau log(exp(gamma V_{t+1}(0) / tau) + exp(gamma V_{t+1}(1) / tau))
    v = np.zeros((horizon + 2, 2))
    for t in range(horizon, -1, -1):
        v[t, 1] = R1 + tau * math.log(2) + gamma * v[t + 1, 1]
        v[t, 0] = R0 + tau * math.log(math.exp(gamma * v[t + 1, 0] / tau) + math.exp(gamma * v[t + 1, 1] / tau))
    leave = 1 / (1 + np.exp(gamma * (v[1:, 0] - v[1:, 1]) / tau))
    with jax.enable_x64(True):
        soft = sv.soft_value_iteration(_two_state(horizon, gamma), np.array([R0, R1]), temperature=tau)
        assert soft.q.shape == (horizon + 1, 2, 2) and soft.v.shape == (horizon + 1, 2)
        np.testing.assert_allclose(soft.v, v[:-1], atol=1e-12)
        np.testing.assert_allclose(soft.policy[:, 0, 1], leave, atol=1e-12)
        # the last decision has no consequence: uniform
        np.testing.assert_allclose(soft.policy[horizon], 0.5, atol=1e-12)


def _random_mdp(
    seed: int, n_states: int, n_actions: int, horizon: int | None, discount: float, deterministic: bool = False
) -> TabularMDP:
    rng = np.random.default_rng(seed)
    if deterministic:
        transitions = np.eye(n_states)[rng.integers(0, n_states, size=(n_states, n_actions))]
    else:
        transitions = rng.dirichlet(np.full(n_states, 0.5), size=(n_states, n_actions))
    initial = rng.dirichlet(np.ones(n_states))
    features = rng.normal(size=(n_states, 3))
    return make_mdp(transitions, features, rng.normal(size=n_states), initial, horizon=horizon, discount=discount)


@pytest.mark.parametrize("horizon", [6, None])
def test_temperature_to_zero_approaches_hard_value_iteration(horizon: int | None) -> None:
    mdp = _random_mdp(1, 6, 3, horizon, 0.9)
    tau = 1e-3
    with jax.enable_x64(True):
        hard = sv.optimal_policy(mdp, mdp.reward)
        soft = sv.soft_value_iteration(mdp, mdp.reward, temperature=tau)
        v_hard = float(sv.policy_value(mdp, mdp.reward, hard))
        v_soft_policy = float(sv.policy_value(mdp, mdp.reward, soft.policy))
        # the soft value exceeds the hard one by at most tau log A per (discounted) step
        steps = (1 - 0.9 ** (horizon + 1)) / 0.1 if horizon is not None else 1 / 0.1
        v_soft = float(np.asarray(soft.v)[0] @ mdp.initial) if horizon is not None else float(soft.v @ mdp.initial)
        assert v_hard - 1e-9 <= v_soft <= v_hard + tau * math.log(3) * steps + 1e-9
        # and the soft policy loses at most as much (its entropy bonus is at most tau log A per step)
        assert v_hard - tau * math.log(3) * steps - 1e-9 <= v_soft_policy <= v_hard + 1e-9
        np.testing.assert_array_equal(np.argmax(soft.policy, -1), np.argmax(hard, -1))


def test_causal_and_noncausal_coincide_on_deterministic_and_differ_on_stochastic() -> None:
    with jax.enable_x64(True):
        for horizon in (5, None):
            mdp = _random_mdp(2, 5, 3, horizon, 0.9, deterministic=True)
            causal = sv.soft_value_iteration(mdp, mdp.reward)
            joint = sv.soft_value_iteration(mdp, mdp.reward, causal=False)
            np.testing.assert_allclose(causal.v, joint.v, atol=1e-9)
            np.testing.assert_allclose(causal.policy, joint.policy, atol=1e-9)
        mdp = reasonable_pomdp()
        causal = sv.soft_value_iteration(mdp, mdp.reward)
        joint = sv.soft_value_iteration(mdp, mdp.reward, causal=False)
        # the partition function is optimistic about chance (log E exp >= E, Jensen)
        assert np.all(np.asarray(joint.v) >= np.asarray(causal.v) - 1e-12)
        assert float(np.max(np.abs(joint.policy - causal.policy))) > 1e-3


def test_soft_vi_runs_in_float32_and_rejects_bad_input() -> None:
    gamma = 0.95
    mdp = gridworld(4, discount=gamma)
    soft = sv.soft_value_iteration(mdp, mdp.reward)
    assert soft.v.dtype == np.float32
    np.testing.assert_allclose(np.asarray(soft.policy).sum(-1), 1.0, atol=1e-5)
    with jax.enable_x64(True):
        exact = sv.soft_value_iteration(mdp, mdp.reward)
        assert exact.v.dtype == np.float64
    # float32 rounding of each sweep accumulates over the 1 / (1 - gamma) effective steps
    eps32 = float(np.finfo(np.float32).eps)
    np.testing.assert_allclose(np.asarray(soft.v), np.asarray(exact.v), rtol=10 * eps32 / (1 - gamma))
    with pytest.raises(GameError, match=r"soft_value_iteration: reward must have shape \[S\]"):
        sv.soft_value_iteration(mdp, np.zeros(3))
    with pytest.raises(GameError, match="temperature must be > 0"):
        sv.soft_value_iteration(mdp, mdp.reward, temperature=0.0)
    with pytest.raises(GameError, match=r"occupancy: policy must have shape \[S, A\]"):
        sv.occupancy(mdp, np.ones((3, 16, 5)) / 5)
    with pytest.raises(GameError, match="length is required"):
        sv.sample_demonstrations(mdp, exact.policy, jax.random.key(0), 3)
    with pytest.raises(GameError, match="occupancy_by_time: needs a finite horizon"):
        sv.occupancy_by_time(mdp, exact.policy)


# few shapes and horizons: each distinct (shape, horizon, discount) costs a compilation
@settings(max_examples=6, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    n_states=st.sampled_from([1, 4]),
    n_actions=st.sampled_from([1, 3]),
    horizon=st.sampled_from([0, 5]),
    discount=st.sampled_from([0.0, 0.9, 1.0]),
    deterministic=st.booleans(),
)
def test_occupancy_sums_to_imitations_answer(
    seed: int, n_states: int, n_actions: int, horizon: int, discount: float, deterministic: bool
) -> None:
    mdp = _random_mdp(seed, n_states, n_actions, horizon, discount, deterministic)
    expected = horizon + 1.0 if discount == 1.0 else (1 - discount ** (horizon + 1)) / (1 - discount)
    # any policy, time-dependent, with the degenerate one-state and one-action cases among them
    policy = np.random.default_rng(seed).dirichlet(np.ones(n_actions), size=(horizon + 1, n_states))
    with jax.enable_x64(True):
        occ = np.asarray(sv.occupancy(mdp, policy))
        by_time = np.asarray(sv.occupancy_by_time(mdp, policy))
        assert occ.sum() == pytest.approx(expected, abs=1e-9)
        np.testing.assert_allclose(by_time.sum(-1), 1.0, atol=1e-12)
        np.testing.assert_allclose(by_time[0], mdp.initial, atol=1e-15)
        assert np.all(occ >= -1e-15)


@pytest.mark.parametrize("horizon", [7, None])
def test_exact_occupancy_matches_monte_carlo(horizon: int | None) -> None:
    mdp = _random_mdp(3, 6, 3, horizon, 0.9)
    n, length = 4000, (None if horizon is not None else 120)
    with jax.enable_x64(True):
        policy = sv.soft_value_iteration(mdp, mdp.reward).policy
        exact = np.asarray(sv.occupancy(mdp, policy))
        demos = sv.sample_demonstrations(mdp, policy, jax.random.key(11), n, length=length)
        empirical = np.asarray(sv.empirical_occupancy(mdp, demos))
        exact_features = np.asarray(sv.feature_expectations(mdp, exact))
    states = np.asarray(demos.states)
    assert states.shape == (n, 8 if horizon is not None else 120)
    # per-trajectory discounted visit counts give the standard error of each state's mean
    weights = 0.9 ** np.arange(states.shape[1])
    counts = np.zeros((n, mdp.n_states))
    np.add.at(counts, (np.repeat(np.arange(n), states.shape[1]), states.ravel()), np.tile(weights, n))
    np.testing.assert_allclose(counts.mean(0), empirical, atol=1e-12)
    # infinite horizon: the truncation at 120 steps misses at most 0.9^120 / 0.1 < 1e-4 of mass
    truncation = 0.0 if horizon is not None else 0.9**120 / 0.1
    standard_error = counts.std(0, ddof=1) / math.sqrt(n)
    assert np.all(np.abs(empirical - exact) <= 4 * standard_error + truncation + 1e-12)
    np.testing.assert_allclose(exact_features, exact @ mdp.features, atol=1e-12)
    expected_total = (1 - 0.9**8) / 0.1 if horizon is not None else 1 / 0.1
    assert exact.sum() == pytest.approx(expected_total, rel=1e-12)
    per_trajectory = counts @ mdp.features
    feature_error = per_trajectory.std(0, ddof=1) / math.sqrt(n)
    assert np.all(np.abs(per_trajectory.mean(0) - exact_features) <= 4 * feature_error + 10 * truncation)


def test_demonstrations_are_seeded_and_follow_the_dynamics() -> None:
    # the shapes of test_exact_occupancy_matches_monte_carlo[7], to share its compilation
    mdp = _random_mdp(4, 6, 3, 7, 0.9, deterministic=True)
    with jax.enable_x64(True):
        policy = sv.soft_value_iteration(mdp, mdp.reward).policy
        a = sv.sample_demonstrations(mdp, policy, jax.random.key(1), 4000)
        b = sv.sample_demonstrations(mdp, policy, jax.random.key(1), 4000)
        c = sv.sample_demonstrations(mdp, policy, jax.random.key(2), 4000)
    np.testing.assert_array_equal(a.states, b.states)
    assert not np.array_equal(a.actions, c.actions)
    states, actions = np.asarray(a.states), np.asarray(a.actions)
    successor = np.argmax(mdp.transitions, axis=-1)
    np.testing.assert_array_equal(states[:, 1:], successor[states[:, :-1], actions[:, :-1]])
    assert np.all(mdp.initial[states[:, 0]] > 0)


def _imitation_env(mdp: TabularMDP) -> SimpleNamespace:
    # the attributes imitation's tabular functions read from a seals TabularModelPOMDP
    return SimpleNamespace(
        horizon=mdp.horizon,
        state_dim=mdp.n_states,
        action_dim=mdp.n_actions,
        transition_matrix=mdp.transitions,
        reward_matrix=mdp.reward,
        initial_state_dist=mdp.initial,
    )


@pytest.mark.parametrize("which", ["reasonable", "random"])
@pytest.mark.parametrize("discount", [0.0, 0.99, 1.0])
def test_matches_imitations_mce_partition_and_occupancy(which: str, discount: float) -> None:
    mce_irl = pytest.importorskip("imitation.algorithms.mce_irl")
    mdp = reasonable_pomdp(discount=discount) if which == "reasonable" else _random_mdp(5, 7, 3, 10, discount)
    horizon = mdp.horizon
    assert horizon is not None
    _, _, their_pi = mce_irl.mce_partition_fh(_imitation_env(mdp), discount=discount)
    their_dt, their_d = mce_irl.mce_occupancy_measures(_imitation_env(mdp), pi=their_pi, discount=discount)
    with jax.enable_x64(True):
        # imitation's H policies are ours for horizon H - 1 (module docstring of soft_values)
        shorter = mdp.replace(horizon=horizon - 1)
        ours = np.asarray(sv.soft_value_iteration(shorter, shorter.reward).policy)
        np.testing.assert_allclose(ours, their_pi, atol=1e-6)
        # on the full horizon, our occupancy of their policies (any last decision) equals theirs
        policy = np.concatenate([ours, np.full((1, mdp.n_states, mdp.n_actions), 1 / mdp.n_actions)])
        np.testing.assert_allclose(sv.occupancy_by_time(mdp, policy), their_dt, atol=1e-6)
        np.testing.assert_allclose(sv.occupancy(mdp, policy), their_d, atol=1e-6)
