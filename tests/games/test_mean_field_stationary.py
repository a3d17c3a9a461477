"""StationaryMeanFieldGame, its operations and its certificate: the stationary distribution is a fixed point and a
probability vector (and which one the iteration picks when there are several), the best response is exact (against
every deterministic stationary policy), evaluation solves the Bellman equation, the soft response is the soft
Bellman fixed point, SIS's closed-form equilibrium is certified, a long finite horizon with the same data gives the
stationary answer, vmap over parameters equals separate calls, errors are one line, importing the zoo is light."""

from __future__ import annotations

import itertools
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria.core.errors import GameError
from equilibria.games import mean_field_stationary as msf
from equilibria.games.mean_field import flow
from equilibria.games.zoo.mean_field_stationary import (
    MEAN_FIELD_STATIONARY,
    stationary_beach_bar,
    stationary_susceptible_infected,
)
from equilibria.metrics import mean_field as finite_metrics
from equilibria.metrics.mean_field_stationary import certificate, exploitability, exploitability_jax, social_welfare


def table_transition(params, mu):
    """``softmax(logits + coupling * mu)`` over the next state: mean-field dependent, rows sum to 1."""
    return jax.nn.softmax(params["logits"] + params["coupling"] * mu[None, None, :], axis=-1)


def table_reward(params, mu):
    return params["R"] + jnp.einsum("sap,p->sa", params["C"], mu)


def random_game(seed: int, coupling: float = 1.0, discount: float = 0.8) -> msf.StationaryMeanFieldGame:
    rng = np.random.default_rng(seed)
    S, A = 3, 2  # one shape: every example reuses one compilation
    return msf.StationaryMeanFieldGame(
        name="random-table", n_states=S, n_actions=A, initial=rng.dirichlet(np.ones(S)),
        params={"logits": rng.normal(size=(S, A, S)), "R": rng.normal(size=(S, A)),
                "C": coupling * rng.normal(size=(S, A, S)), "coupling": coupling},
        transition=table_transition, reward=table_reward, discount=discount)


def sis_equilibrium(gamma=0.9, beta=0.81, r=0.3, d=0.5, c=1.0):
    """The closed form (zoo docstring): infected agents go out; susceptible ones are indifferent, which fixes the
    infected share ``I*``; the stationary condition ``r = beta p (1 - I*)`` fixes their going-out probability."""
    v_s = -d / (1 - gamma)  # indifferent: distancing forever is optimal too
    v_i = (-c + gamma * r * v_s) / (1 - gamma * (1 - r))
    infected = d / (gamma * beta * (v_s - v_i))
    p = r / (beta * (1 - infected))
    return np.array([[p, 1 - p], [1.0, 0.0]]), infected


@pytest.fixture(scope="module", autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


# -- the stationary distribution ------------------------------------------------------------------------------------
@settings(max_examples=8, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.0, 3.0))
def test_stationary_distribution_is_a_fixed_point_and_a_distribution(seed, coupling):
    game = random_game(seed, coupling)
    policy = np.random.default_rng(seed + 1).dirichlet(np.ones(2), size=3)
    result = msf.stationary_distribution(game, policy)
    mu = np.asarray(result.distribution)
    assert float(result.residual) <= 1e-13
    assert np.all(mu >= 0) and abs(mu.sum() - 1) < 1e-12
    kernel = np.asarray(table_transition({k: jnp.asarray(v) for k, v in game.params.items()}, jnp.asarray(mu)))
    np.testing.assert_allclose(np.einsum("s,sa,sap->p", mu, policy, kernel), mu, atol=1e-12)


def test_periodic_chain_needs_the_damping():
    """A deterministic two-cycle: the plain iteration oscillates forever, the damped one finds (1/2, 1/2)."""
    game = msf.StationaryMeanFieldGame(
        name="swap", n_states=2, n_actions=1, initial=np.array([1.0, 0.0]),
        params={"P": np.array([[[0.0, 1.0]], [[1.0, 0.0]]]), "R": np.zeros((2, 1))},
        transition=lambda p, mu: p["P"], reward=lambda p, mu: p["R"], discount=0.5)
    pi = np.ones((2, 1))
    plain = msf.stationary_distribution(game, pi, damping=1.0, max_iterations=101)
    assert float(plain.residual) == 2.0 and int(plain.iterations) == 101
    damped = msf.stationary_distribution(game, pi)
    np.testing.assert_allclose(damped.distribution, [0.5, 0.5], atol=1e-13)


def test_sis_has_two_stationary_distributions_and_initial_selects():
    """Everybody going out: the disease-free and the endemic state are both fixed points (zoo docstring)."""
    out = np.array([[1.0, 0.0], [1.0, 0.0]])
    endemic = msf.stationary_distribution(stationary_susceptible_infected(), out).distribution
    np.testing.assert_allclose(endemic, [0.3 / 0.81, 1 - 0.3 / 0.81], atol=1e-12)
    free = msf.stationary_distribution(stationary_susceptible_infected(initial_infected=0.0), out).distribution
    np.testing.assert_allclose(free, [1.0, 0.0], atol=0)


# -- best response, evaluation, soft response -----------------------------------------------------------------------
@settings(max_examples=6, deadline=None)
@given(st.integers(0, 10_000))
def test_best_response_is_exact_against_every_deterministic_policy(seed):
    game = random_game(seed, discount=0.95)
    mu = np.random.default_rng(seed).dirichlet(np.ones(3))
    best = msf.best_response(game, mu)
    values = np.array([np.asarray(msf.evaluate(game, np.eye(2)[list(choice)], mu))
                       for choice in itertools.product(range(2), repeat=3)])  # all 8 policies, [8, S]
    np.testing.assert_allclose(best.values, values.max(axis=0), atol=1e-10)
    np.testing.assert_allclose(msf.evaluate(game, best.policy, mu), best.values, atol=1e-10)
    assert set(np.unique(best.policy)) <= {0.0, 1.0}
    np.testing.assert_allclose(np.max(msf.q_values(game, None, mu), axis=-1), best.values, atol=1e-10)


def test_evaluation_solves_the_bellman_equation_and_matches_a_long_finite_horizon():
    game = random_game(3, discount=0.7)
    mu = np.array([0.2, 0.3, 0.5])
    pi = np.array([[0.3, 0.7], [1.0, 0.0], [0.5, 0.5]])
    params = {k: jnp.asarray(v) for k, v in game.params.items()}
    P, R = np.asarray(table_transition(params, jnp.asarray(mu))), np.asarray(table_reward(params, jnp.asarray(mu)))
    v = np.asarray(msf.evaluate(game, pi, mu))
    np.testing.assert_allclose(v, (pi * R).sum(-1) + 0.7 * np.einsum("sa,sap,p->s", pi, P, v), atol=1e-12)
    q = np.asarray(msf.q_values(game, pi, mu))
    np.testing.assert_allclose(q, R + 0.7 * P @ v, atol=1e-12)
    assert float(msf.returns(game, pi, mu)) == pytest.approx(mu @ v, abs=1e-12)
    assert float(msf.returns(game, pi, mu, weights=game.initial)) == pytest.approx(game.initial @ v, abs=1e-12)


def test_softmax_response_is_the_soft_bellman_fixed_point_and_tends_to_the_best_response():
    game = stationary_beach_bar(n=7, bar_location=3)
    mu = np.array([0.05, 0.1, 0.15, 0.4, 0.15, 0.1, 0.05])
    tau = 0.7
    pi = np.asarray(msf.softmax_response(game, mu, tau))
    params = {k: jnp.asarray(v) for k, v in game.params.items()}
    P = np.asarray(game.transition(params, jnp.asarray(mu)))
    R = np.asarray(game.reward(params, jnp.asarray(mu)))
    # Soft values: V = tau log mean_a exp(Q / tau), Q = R + gamma P V; the response is softmax(Q / tau).
    entropy_bonus = -tau * np.sum(pi * np.log(pi * 3), axis=-1)
    v = np.linalg.solve(np.eye(7) - 0.9 * np.einsum("sa,sap->sp", pi, P), (pi * R).sum(-1) + entropy_bonus)
    q = R + 0.9 * P @ v
    np.testing.assert_allclose(v, tau * np.log(np.mean(np.exp(q / tau), axis=-1)), atol=1e-10)
    np.testing.assert_allclose(pi, np.exp(q / tau) / np.exp(q / tau).sum(-1, keepdims=True), atol=1e-10)
    cold = np.asarray(msf.softmax_response(game, mu, 1e-3))
    np.testing.assert_allclose(cold, msf.best_response(game, mu).policy, atol=1e-6)


# -- the certificate ------------------------------------------------------------------------------------------------
def test_sis_closed_form_equilibrium_is_certified():
    game = stationary_susceptible_infected()
    pi, infected = sis_equilibrium()
    assert infected == pytest.approx(0.5075445816186555, abs=1e-15)
    cert = certificate(game, pi)
    np.testing.assert_allclose(cert.distribution, [1 - infected, infected], atol=1e-12)
    assert abs(cert.exploitability) < 1e-11 and abs(cert.worst_state) < 1e-11
    assert abs(exploitability(game, pi, weighting="initial")) < 1e-11
    assert social_welfare(game, pi) == pytest.approx((1 - infected) * -5.0 + infected * (-1 + 0.27 * -5) / 0.37)
    # Moving the susceptible agents off the indifference point is exploitable; so is the uniform policy.
    assert exploitability(game, pi + np.array([[0.05, -0.05], [0, 0]])) > 1e-3
    assert exploitability(game, msf.uniform_policy(game)) > 0.1


def test_weightings_are_ordered_and_nonnegative():
    game = random_game(7)
    pi = msf.uniform_policy(game)
    stationary = exploitability(game, pi)
    initial = exploitability(game, pi, weighting="initial")
    worst = exploitability(game, pi, weighting="worst_state")
    assert 0 <= stationary <= worst + 1e-12 and 0 <= initial <= worst + 1e-12


@pytest.mark.parametrize("factory,kwargs", [(stationary_beach_bar, {"n": 7, "bar_location": 3}),
                                            (stationary_susceptible_infected, {})])
def test_a_long_finite_horizon_with_the_same_data_gives_the_stationary_answer(factory, kwargs):
    """Started at ``mu^pi`` and repeating ``pi``, the finite game's flow stays put and its exploitability is the
    stationary one up to ``gamma**T`` (module docstring of games.mean_field_stationary)."""
    game = factory(**kwargs)
    rng = np.random.default_rng(0)
    pi = rng.dirichlet(np.ones(game.n_actions), size=game.n_states)
    cert = certificate(game, pi)
    horizon = 300  # 0.9**300 * (max reward / (1 - gamma)) < 1e-11
    finite = msf.to_finite_horizon(game, horizon, initial=cert.distribution)
    tiled = np.broadcast_to(pi, (horizon, *pi.shape))
    np.testing.assert_allclose(flow(finite, tiled), np.broadcast_to(cert.distribution, (horizon + 1, game.n_states)),
                               atol=1e-10)
    assert finite_metrics.exploitability(finite, tiled) == pytest.approx(cert.exploitability, abs=1e-9)
    assert finite_metrics.social_welfare(finite, tiled) == pytest.approx(cert.value, abs=1e-9)


def test_exploitability_jax_vmaps_over_parameters():
    game = stationary_beach_bar(n=7, bar_location=3)
    pi = msf.uniform_policy(game)
    values = jnp.array([0.3, 0.9])
    batched = jax.jit(jax.vmap(lambda p: exploitability_jax(game.with_params(p_still=p), pi)))(values)
    separate = [exploitability(game.with_params(p_still=float(p)), pi) for p in values]
    np.testing.assert_allclose(batched, separate, rtol=1e-10)


def test_float32_inputs_work():
    game = stationary_susceptible_infected()
    pi, infected = sis_equilibrium()
    with jax.enable_x64(False):
        mu = msf.stationary_distribution(game.with_params(infection_rate=np.float32(0.81)), jnp.asarray(pi,
                                                                                                    jnp.float32))
    assert mu.distribution.dtype == jnp.float32
    np.testing.assert_allclose(mu.distribution, [1 - infected, infected], atol=1e-4)


# -- validation and the zoo -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("change,match", [
    ({"discount": 1.0}, r"discount: expected a number in \(0, 1\)"),
    ({"discount": 0.0}, r"discount"),
    ({"initial": np.array([0.5, 0.6])}, r"initial: probabilities must sum to 1"),
    ({"initial": np.array([1.0])}, r"initial: expected shape \[2\]"),
    ({"initial": np.array([-0.5, 1.5])}, r"non-negative"),
    ({"n_states": 0}, r"n_states: expected an integer >= 1"),
    ({"reward": 3}, r"reward: expected a function"),
    ({"params": {"infection_rate": np.nan}}, r"NaN"),
])
def test_bad_games_are_one_line_errors(change, match):
    game = stationary_susceptible_infected()
    fields = {f: getattr(game, f) for f in ("name", "n_states", "n_actions", "initial", "params", "transition",
                                            "reward", "discount")}
    with pytest.raises(GameError, match=match) as info:
        msf.StationaryMeanFieldGame(**{**fields, **change})
    assert "\n" not in str(info.value)


def test_validate_reads_the_functions_outputs():
    game = msf.StationaryMeanFieldGame(
        name="bad", n_states=2, n_actions=1, initial=np.array([0.5, 0.5]),
        params={"P": np.array([[[0.5, 0.6]], [[1.0, 0.0]]]), "R": np.zeros((2, 1))},
        transition=lambda p, mu: p["P"], reward=lambda p, mu: p["R"])
    with pytest.raises(GameError, match=r"bad.transition at mu_0: rows .* must sum to 1") as info:
        msf.validate(game)
    assert "\n" not in str(info.value)
    with pytest.raises(GameError, match=r"reward at mu_0: expected shape \[2, 1\]"):
        msf.validate(msf.StationaryMeanFieldGame(**{**game.__dict__, "params": {**game.params, "P": np.array(
            [[[0.5, 0.5]], [[1.0, 0.0]]]), "R": np.zeros(2)}}))


def test_bad_policies_and_arguments_are_one_line_errors():
    game = stationary_susceptible_infected()
    for policy, match in ((np.ones((3, 2)) / 2, r"expected shape \[S, A\] = \[2, 2\]"),
                          (np.array([[0.5, 0.6], [1, 0]]), r"must sum to 1"),
                          (np.array([[np.nan, 1], [1, 0]]), r"NaN")):
        with pytest.raises(GameError, match=match):
            exploitability(game, policy)
    with pytest.raises(GameError, match=r"weighting: expected one of"):
        exploitability(game, np.eye(2), weighting="max")
    with pytest.raises(GameError, match=r"unknown parameter 'rate'"):
        game.with_params(rate=0.5)
    with pytest.raises(GameError, match=r"horizon must be an integer >= 1"):
        msf.to_finite_horizon(game, 0)
    with pytest.raises(GameError, match=r"stationary_beach_bar\(bar_location\): expected 0 \.\. 4"):
        stationary_beach_bar(n=5, bar_location=5)
    with pytest.raises(GameError, match=r"discount\): expected a number in \(0, 1\)"):
        stationary_susceptible_infected(discount=1.0)


def test_zoo_entries_build_and_validate():
    for name, factory in MEAN_FIELD_STATIONARY.items():
        game = msf.validate(factory())
        assert game.name == name and 0 < game.discount < 1


def test_importing_the_zoo_does_not_import_jax():
    code = ("import sys, equilibria.games.zoo.mean_field_stationary as z; z.stationary_beach_bar(); "
            "z.stationary_susceptible_infected(); print('jax' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
