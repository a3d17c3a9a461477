"""The mean-field certificate: exploitability is non-negative, zero at equilibria, equal to an independent NumPy
computation and to brute force over deterministic deviations; the JAX form agrees, jits, vmaps; social welfare."""

from __future__ import annotations

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria.core.errors import GameError
from equilibria.games.mean_field import best_response, flow, returns, uniform_policy
from equilibria.metrics.mean_field import exploitability, exploitability_jax, social_welfare
from tests.games.test_mean_field import numpy_tables, random_game, random_policy

cases = st.tuples(st.integers(0, 2**31 - 1), st.sampled_from([(2, 2, 2), (3, 2, 3)]))


def numpy_exploitability(game, pi) -> tuple[float, float]:
    """(exploitability, J(pi, mu^pi)) of the random table game, by plain NumPy loops (an independent oracle)."""
    T, gamma = game.horizon, game.discount
    mu = [np.asarray(game.initial)]
    for t in range(T):
        P, _ = numpy_tables(game, t, mu[-1])
        mu.append(np.einsum("s,sa,sap->p", mu[-1], pi[t], P))
    terminal = np.asarray(game.params["g"]) - np.asarray(game.params["coupling"]) * mu[T]
    v_best, v_pi = terminal.copy(), terminal.copy()
    for t in reversed(range(T)):
        P, r = numpy_tables(game, t, mu[t])
        v_best = (r + gamma * P @ v_best).max(axis=1)
        v_pi = ((r + gamma * P @ v_pi) * pi[t]).sum(axis=1)
    j_pi = float(mu[0] @ v_pi)
    return float(mu[0] @ v_best) - j_pi, j_pi


@settings(max_examples=10, deadline=None)
@given(cases)
def test_exploitability_is_non_negative_and_matches_numpy(case):
    seed, (S, A, T) = case
    game = random_game(seed, S, A, T, discount=1.0 if S == 2 else 0.7)  # one compiled program per shape
    pi = random_policy(seed + 1, game)
    expected, welfare = numpy_exploitability(game, pi)
    got = exploitability(game, pi)
    assert got >= 0
    assert got == pytest.approx(expected, abs=1e-12)
    assert social_welfare(game, pi) == pytest.approx(welfare, abs=1e-12)


def test_exploitability_is_the_best_deterministic_deviation():
    # max over every deterministic Markov deviation pi' of J(pi', mu^pi) - J(pi, mu^pi), enumerated.
    game = random_game(21, 3, 2, 3)
    pi = random_policy(22, game)
    choices = np.array(list(itertools.product(range(2), repeat=9))).reshape(-1, 3, 3)
    with jax.enable_x64(True):
        mu = flow(game, jnp.asarray(pi))
        deviations = np.asarray(jax.jit(jax.vmap(returns, in_axes=(None, 0, None)))(
            game, jnp.asarray(np.eye(2)[choices]), mu))
        own = float(returns(game, jnp.asarray(pi), mu))
    assert exploitability(game, pi) == pytest.approx(float(np.max(deviations)) - own, abs=1e-12)


def test_a_best_response_is_an_equilibrium_when_the_mean_field_does_not_matter():
    # With rewards and transitions independent of mu, the best response to any flow is a mean-field equilibrium.
    game = random_game(5, 3, 2, 3, coupling=0.0)
    with jax.enable_x64(True):
        best = best_response(game, flow(game, jnp.asarray(uniform_policy(game))))
    assert exploitability(game, np.asarray(best.policy)) == pytest.approx(0.0, abs=1e-12)
    assert exploitability(game, uniform_policy(game)) > 0.1


def test_a_best_response_to_its_own_flow_is_not_an_equilibrium_in_general():
    # With mean-field coupling, responding to the uniform policy's flow changes the flow: exploitable.
    game = random_game(5, 3, 2, 3, coupling=3.0)
    with jax.enable_x64(True):
        best = best_response(game, flow(game, jnp.asarray(uniform_policy(game))))
    assert exploitability(game, np.asarray(best.policy)) > 1e-3


def test_the_jax_form_jits_vmaps_and_agrees():
    game = random_game(7, 3, 2, 3, discount=0.9)
    policies = np.stack([random_policy(s, game) for s in range(4)])
    with jax.enable_x64(True):
        batch = np.asarray(jax.jit(jax.vmap(exploitability_jax, in_axes=(None, 0)))(game, jnp.asarray(policies)))
    np.testing.assert_allclose(batch, [exploitability(game, p) for p in policies], atol=1e-13)


def test_vmap_over_parameters_equals_separate_calls():
    game = random_game(9, 3, 2, 3)
    pi = random_policy(10, game)
    couplings = np.array([0.0, 0.5, 2.0])
    with jax.enable_x64(True):
        batch = jax.jit(jax.vmap(lambda c: exploitability_jax(game.with_params(coupling=c), jnp.asarray(pi))))
        values = np.asarray(batch(jnp.asarray(couplings)))
    separate = [exploitability(game.with_params(coupling=c), pi) for c in couplings]
    np.testing.assert_allclose(values, separate, atol=1e-13)
    assert len(set(np.round(separate, 8))) == 3


def test_float32_agrees_with_float64():
    game = random_game(11, 3, 2, 3)
    pi = random_policy(12, game)
    with jax.enable_x64(False):
        x32 = jax.jit(exploitability_jax)(game, jnp.asarray(pi, jnp.float32))
    assert x32.dtype == jnp.float32
    assert float(x32) == pytest.approx(exploitability(game, pi), abs=1e-5)


def test_inputs_are_checked_with_one_line_errors():
    game = random_game(1, 2, 2, 2)
    for bad, match in [(np.full((2, 2, 2), 0.7), "must sum to 1"), (np.ones((2, 2)), r"expected shape \[T, S, A\]")]:
        for metric in (exploitability, social_welfare):
            with pytest.raises(GameError, match=match) as info:
                metric(game, bad)
            assert "\n" not in str(info.value)
    with pytest.raises(GameError, match="expected a MeanFieldGame"):
        exploitability("crowd-modelling", uniform_policy(game))  # type: ignore[arg-type]


@pytest.mark.parametrize(("S", "A", "T"), [(1, 1, 1), (3, 1, 2), (1, 3, 2)])
def test_degenerate_games(S, A, T):
    # One action: nothing to exploit. One state: a repeated choice against the population's own choices.
    game = random_game(S * 10 + A, S, A, T)
    pi = random_policy(1, game)
    value = exploitability(game, pi)
    if A == 1:
        assert value == pytest.approx(0.0, abs=1e-14)
    else:
        assert value == pytest.approx(numpy_exploitability(game, pi)[0], abs=1e-12) and value >= 0
