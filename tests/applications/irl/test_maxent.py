"""Max-ent IRL and MCE IRL (applications/irl/maxent.py): known answers and certificates.

- the gradient is exactly the difference of feature expectations: against ``jax.grad`` of the dual, and on
  deterministic dynamics against ``jax.grad`` of the demonstrations' own log-likelihood (Hypothesis over random MDPs);
- fitted to the exact occupancy of the true reward's soft policy, the linear one-hot reward is recovered up to its
  one invariance here (a constant: finite horizon, every state a possible start), to 1e-5;
- imitation's test answer: MCE IRL on its "reasonable POMDP" (horizon 20) matches the occupancy measure within 1e-3
  for gamma in {0, 0.99, 1}, with the linear reward and with an MLP reward;
- with sampled demonstrations EVD falls with their number and is below 0.1 (rewards in [0, 1), 9 steps) at 3,000;
- budgets return ``converged=False`` with the reason; bad input raises one-line GameErrors; init/update vmap.
"""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")
pytest.importorskip("optax")
pytest.importorskip("equinox")

import jax.numpy as jnp  # noqa: E402
from hypothesis import Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from equilibria.applications.irl import maxent, worlds  # noqa: E402
from equilibria.applications.irl import soft_values as sv  # noqa: E402
from equilibria.applications.irl.mdp import make_mdp  # noqa: E402
from equilibria.applications.irl.rewards import LINEAR, mlp_reward  # noqa: E402
from equilibria.core.errors import GameError  # noqa: E402


def _expert(mdp, n=None, seed=0):
    """The exact occupancy of the true reward's soft policy, or ``n`` demonstrations sampled from it."""
    with jax.enable_x64(True):
        policy = sv.soft_value_iteration(mdp, mdp.reward).policy
        if n is None:
            return np.asarray(sv.occupancy(mdp, policy))
        return sv.sample_demonstrations(mdp, policy, jax.random.key(seed), n)


@pytest.fixture(scope="module")
def grid():
    return worlds.gridworld(3, horizon=8, discount=1.0, seed=0)


def test_gradient_is_the_feature_expectation_difference(grid) -> None:
    """The returned reward-space gradient, pulled back to theta, equals jax.grad of the dual L(theta)."""
    rng = np.random.default_rng(0)

    @jax.jit
    def gradients(mdp, target, theta):
        features = jnp.asarray(mdp.features)
        out = []
        for causal, temperature in ((True, 0.5), (False, 1.0)):
            _, grad_r, visits = maxent.dual_objective(mdp, features @ theta, target, temperature=temperature,
                                                      causal=causal)
            out.append((features.T @ grad_r, features.T @ (target - visits) / temperature))
        # MCE: it is the exact gradient of L (on stochastic dynamics the 2008 forward pass is the paper's
        # approximation, checked on deterministic dynamics below)
        autodiff = jax.grad(lambda t: maxent.dual_objective(mdp, features @ t, target, temperature=0.5)[0])(theta)
        return out, autodiff

    with jax.enable_x64(True):
        theta = jnp.asarray(rng.normal(size=grid.n_features))
        pairs, autodiff = gradients(grid, jnp.asarray(_expert(grid)), theta)
    for returned, empirical_minus_expected in pairs:
        np.testing.assert_allclose(returned, empirical_minus_expected, atol=1e-12)
    np.testing.assert_allclose(autodiff, pairs[0][0], atol=1e-10)


@jax.jit
def _likelihood_gradients(mdp, features, theta, states, actions, target):
    """jax.grad of the demonstrations' discounted causal log-likelihood, and the dual's gradient (both backups)."""
    steps = jnp.arange(states.shape[1])
    weights = mdp.discount ** steps  # the discounted causal entropy's weights (0**0 = 1)

    def log_likelihood(t):
        q = sv.soft_value_iteration(mdp, features @ t).q
        log_pi = q - jax.scipy.special.logsumexp(q, axis=-1, keepdims=True)
        return jnp.mean(jnp.sum(weights * log_pi[steps, states, actions], axis=1))

    duals = [features.T @ maxent.dual_objective(mdp, features @ theta, target, causal=c)[1] for c in (True, False)]
    return jax.grad(log_likelihood)(theta), duals


@settings(max_examples=5, deadline=None, phases=(Phase.explicit, Phase.reuse, Phase.generate))
@given(seed=st.integers(0, 2**31 - 1), discount=st.sampled_from([0.7, 1.0]))
def test_gradient_is_that_of_the_log_likelihood_on_deterministic_mdps(seed, discount) -> None:
    """Deterministic dynamics: jax.grad of the demonstrations' causal log-likelihood, sum_t log pi_t(a_t | s_t)
    (the mean over trajectories, pi the soft policy of features @ theta), is the feature-expectation difference,
    the expected features taken from the demonstrations' own start states (the likelihood conditions on them).
    Random dynamics, features and weights on 4 states, 2 actions, horizon 3 (fixed shapes: each new shape or
    discount compiles, so the examples vary what is traced, and nothing is shrunk)."""
    rng = np.random.default_rng(seed)
    n_states, n_actions, horizon = 4, 2, 3
    transitions = np.eye(n_states)[rng.integers(0, n_states, size=(n_states, n_actions))]
    features = rng.normal(size=(n_states, 3))
    initial = rng.dirichlet(np.ones(n_states))
    mdp = make_mdp(transitions, features, rng.normal(size=n_states), initial, horizon=horizon, discount=discount)
    demos = _expert(mdp, n=7, seed=seed % 1000)
    starts = np.bincount(np.asarray(demos.states)[:, 0], minlength=n_states) / 7.0
    mdp = mdp.replace(initial=starts)
    with jax.enable_x64(True):
        autodiff, duals = _likelihood_gradients(mdp, jnp.asarray(features), jnp.asarray(rng.normal(size=3)),
                                                jnp.asarray(demos.states), jnp.asarray(demos.actions),
                                                sv.empirical_occupancy(mdp, demos))
    for dual in duals:  # the two backups coincide on deterministic dynamics
        np.testing.assert_allclose(autodiff, dual, atol=1e-9)


def test_exact_occupancy_recovers_the_reward_up_to_a_constant(grid) -> None:
    result = maxent.maxent_irl(grid, _expert(grid), tol=1e-7)
    assert result.converged and result.method == "mce_irl" and result.certificate_name == "feature_expectation_gap"
    difference = result.equilibria[0] - grid.reward
    assert np.std(difference) < 1e-5  # one-hot features: theta is the reward, up to the constant shift
    assert result.certificate[0] < 1e-6 and result.parameters["evd"] < 1e-9 and result.parameters["epic"] < 1e-4
    np.testing.assert_allclose(result.parameters["theta"], result.equilibria[0])
    assert np.isnan(result.values[0][0])  # no trajectories, no log-likelihood


@pytest.mark.parametrize("discount", [0.0, 0.99, 1.0])
def test_imitation_reasonable_pomdp_occupancy_within_1e_3(discount: float) -> None:
    mdp = worlds.reasonable_pomdp(discount=discount)
    target = _expert(mdp)
    assert target.sum() == pytest.approx(21.0 if discount == 1 else (1 - discount**21) / (1 - discount))
    result = maxent.maxent_irl(mdp, target, tol=1e-4)
    with jax.enable_x64(True):
        fitted = np.asarray(sv.occupancy(mdp, sv.soft_value_iteration(mdp, result.equilibria[0]).policy))
    assert result.converged
    np.testing.assert_allclose(fitted, target, atol=1e-3, rtol=1e-3)


def test_mlp_reward_on_the_reasonable_pomdp() -> None:
    mdp = worlds.reasonable_pomdp(discount=0.99)
    target = _expert(mdp)
    result = maxent.maxent_irl(mdp, target, reward_model=mlp_reward(mdp.n_features, (16,)), tol=1e-4, key=3,
                               max_iterations=500)
    with jax.enable_x64(True):
        fitted = np.asarray(sv.occupancy(mdp, sv.soft_value_iteration(mdp, result.equilibria[0]).policy))
    assert result.converged and result.parameters["reward_model"] == "mlp" and "theta" not in result.parameters
    np.testing.assert_allclose(fitted, target, atol=1e-3, rtol=1e-3)


def test_evd_falls_with_more_demonstrations(grid) -> None:
    evd = []
    for n in (10, 3000):
        l2 = 1e-3
        result = maxent.maxent_irl(grid, _expert(grid, n=n), l2=l2)
        # the regularised optimum: features^T (mu_D - mu_pi) = l2 theta, so the gap is l2 max|theta|
        bound = l2 * np.max(np.abs(result.parameters["theta"])) + 1e-6
        assert result.converged and result.values[0][0] < 0 and result.certificate[0] <= bound
        evd.append(result.parameters["evd"])
    assert evd[1] < evd[0] and evd[1] < 0.1


def test_maxent_2008_on_deterministic_dynamics_matches_mce() -> None:
    mdp = worlds.gridworld(3, slip=0.0, horizon=8, discount=1.0, seed=2)  # the shapes of `grid`: compiled once
    target = _expert(mdp)
    a = maxent.maxent_irl(mdp, target, causal=True, tol=1e-6)
    b = maxent.maxent_irl(mdp, target, causal=False, tol=1e-6)
    assert a.converged and b.converged and b.method == "maxent_irl"
    assert np.std(a.equilibria[0] - b.equilibria[0]) < 1e-4


def test_budgets_return_what_they_have(grid) -> None:
    demos = _expert(grid, n=20)
    result = maxent.maxent_irl(grid, demos, max_iterations=2)
    assert not result.converged and result.iterations == 2
    assert "max_iterations=2" in result.parameters["stopped_because"]
    assert np.all(np.isfinite(result.equilibria[0])) and result.certificate[0] > 0
    timed = maxent.maxent_irl(grid, demos, max_iterations=None, max_seconds=1e-3)
    assert not timed.converged and "max_seconds" in timed.parameters["stopped_because"]


def test_bad_input_is_a_one_line_game_error(grid) -> None:
    target = _expert(grid)
    for options, name in (({"temperature": 0.0}, "temperature"), ({"l2": -1.0}, "l2"), ({"tol": 0}, "tol"),
                          ({"max_iterations": 0}, "max_iterations"), ({"reward_model": "cubic"}, "reward_model"),
                          ({"learning_rate": float("nan")}, "learning_rate")):
        with pytest.raises(GameError, match=name):
            maxent.maxent_irl(grid, target, **options)
    with pytest.raises(GameError, match="demonstrations"):
        maxent.maxent_irl(grid, target[:-1])


def test_init_update_vmap_over_targets(grid) -> None:
    init, update = maxent.maxent_dynamics(LINEAR)

    @jax.jit
    def two_steps(target, theta):
        return update(grid, target, update(grid, target, init(grid, target, theta, 1.0, 1e-3)))

    with jax.enable_x64(True):
        targets = jnp.stack([jnp.asarray(_expert(grid)), sv.empirical_occupancy(grid, _expert(grid, n=50))])
        theta = jnp.zeros((2, grid.n_features))
        batched = jax.vmap(two_steps)(targets, theta)
        for k in range(2):
            np.testing.assert_allclose(batched.params[k], two_steps(targets[k], theta[k]).params, atol=1e-10)
        assert np.all(np.asarray(batched.iteration) == 2)
