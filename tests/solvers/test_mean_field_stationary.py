"""Solvers of stationary discounted mean-field games: online mirror descent and fictitious play decrease the
exploitability on the monotone beach bar (mirror descent to a certified equilibrium, symmetric about the bar),
mirror descent finds SIS's closed-form equilibrium, the undamped fixed point cycles there, Boltzmann iteration at a
fixed temperature settles on the regularised equilibrium, budgets hold, results follow the convention, errors are
one line."""

from __future__ import annotations

import time

import jax
import numpy as np
import pytest

from equilibria.core.errors import GameError
from equilibria.games.mean_field_stationary import softmax_response, stationary_distribution
from equilibria.games.zoo.mean_field_stationary import stationary_beach_bar, stationary_susceptible_infected
from equilibria.metrics.mean_field_stationary import exploitability
from equilibria.solvers.mean_field_stationary import (
    stationary_boltzmann_iteration_solve,
    stationary_fictitious_play_solve,
    stationary_fixed_point_solve,
    stationary_online_mirror_descent_solve,
)

# One game structure per environment across the file: each (method, structure) compiles once.
BEACH = stationary_beach_bar(n=7, bar_location=3)
SIS = stationary_susceptible_infected()


@pytest.fixture(scope="module", autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def sis_equilibrium(gamma=0.9, beta=0.81, r=0.3, d=0.5, c=1.0):
    """SIS's closed form (tests/games/test_mean_field_stationary.py): ``(policy, infected share)``."""
    v_s = -d / (1 - gamma)
    v_i = (-c + gamma * r * v_s) / (1 - gamma * (1 - r))
    infected = d / (gamma * beta * (v_s - v_i))
    p = r / (beta * (1 - infected))
    return np.array([[p, 1 - p], [1.0, 0.0]]), infected


def test_mirror_descent_reaches_a_certified_equilibrium_of_the_beach_bar():
    result = stationary_online_mirror_descent_solve(BEACH, learning_rate=1.0, max_iterations=1000, tol=1e-9)
    assert result.converged and result.certificate[0] <= 1e-9
    assert result.certificate[0] == pytest.approx(exploitability(BEACH, result.equilibria[0]), abs=1e-15)
    curve = np.array(result.parameters["exploitability_curve"])
    assert len(curve) == result.iterations and curve[-1] <= 1e-9
    # Monotone game: the last iterate's exploitability decreases (checked over blocks of ten iterations).
    blocks = curve[: len(curve) // 10 * 10].reshape(-1, 10).max(axis=1)
    assert np.all(np.diff(blocks) < 0)
    mu = result.parameters["distribution"]
    np.testing.assert_allclose(mu, mu[[6, 5, 4, 3, 2, 1, 0]], atol=1e-8)  # the reflection s -> 2 * bar - s
    assert np.argmax(mu) == 3 and mu.sum() == pytest.approx(1.0, abs=1e-12)
    assert result.parameters["worst_state_exploitability"] <= 1e-8
    assert result.parameters["stationary_residual"] <= 1e-12
    assert result.complete is None and result.certificate_name == "exploitability"
    assert result.values[0][0] == pytest.approx(float(mu @ _values(result)), abs=1e-9)


def _values(result):
    from equilibria.games.mean_field_stationary import evaluate

    return np.asarray(evaluate(result.game, result.equilibria[0], result.parameters["distribution"]))


def test_fictitious_play_decreases_the_exploitability_on_the_beach_bar():
    result = stationary_fictitious_play_solve(BEACH, max_iterations=200, tol=1e-12)
    curve = np.array(result.parameters["exploitability_curve"])
    assert not result.converged and result.iterations == 200
    assert "max_iterations=200" in result.parameters["stopped_because"]
    assert curve[-1] < curve[9] / 10 < curve[0] / 10  # O(1/k) on a monotone game
    assert result.certificate[0] == pytest.approx(curve[-1], rel=1e-9)


def test_mirror_descent_finds_the_closed_form_sis_equilibrium():
    policy, infected = sis_equilibrium()
    result = stationary_online_mirror_descent_solve(SIS, learning_rate=1.0, max_iterations=1000, tol=1e-10)
    assert result.converged
    np.testing.assert_allclose(result.equilibria[0], policy, atol=1e-5)
    np.testing.assert_allclose(result.parameters["distribution"], [1 - infected, infected], atol=1e-6)


def test_the_plain_fixed_point_cycles_on_sis_and_damping_does_not_cure_it():
    """The equilibrium mixes, so the pure best response jumps across it: all out (endemic, exploitability 0.445)
    and all distancing (exploitability 5) alternate; a constant damping shrinks but keeps the oscillation."""
    plain = stationary_fixed_point_solve(SIS, max_iterations=20, tol=1e-6)
    curve = np.array(plain.parameters["exploitability_curve"])
    assert not plain.converged and plain.parameters["stopped_because"]
    np.testing.assert_allclose(curve[2:][::2], curve[2], rtol=1e-9)
    np.testing.assert_allclose(curve[3:][::2], curve[3], rtol=1e-9)
    assert min(curve[2], curve[3]) > 0.4
    damped = stationary_fixed_point_solve(SIS, damping=0.2, max_iterations=200, tol=1e-6)
    assert not damped.converged and max(damped.parameters["exploitability_curve"][-50:]) > 1e-3


def test_boltzmann_iteration_settles_on_the_regularised_equilibrium():
    result = stationary_boltzmann_iteration_solve(SIS, temperature=1.0, regularised=True, max_iterations=200,
                                                  tol=1e-12)
    curve = result.parameters["exploitability_curve"]
    assert not result.converged and curve[-1] > 1e-3  # the regularised equilibrium is not a Nash equilibrium
    assert curve[-1] == pytest.approx(curve[-2], rel=1e-9)  # but the iteration has settled on it
    # It is a fixed point: the regularised response to its own stationary distribution.
    policy = result.equilibria[0]
    mu = np.asarray(stationary_distribution(SIS, policy).distribution)
    np.testing.assert_allclose(softmax_response(SIS, mu, 1.0), policy, atol=1e-8)
    # Annealing alone falls back into the best response's cycle at low temperatures; annealed and damped, it
    # settles much closer to the Nash equilibrium.
    annealed = stationary_boltzmann_iteration_solve(SIS, temperature=1.0, anneal=0.98, min_temperature=0.01,
                                                    damping=0.2, regularised=True, max_iterations=300, tol=1e-12)
    assert annealed.certificate[0] < result.certificate[0] / 10


def test_max_seconds_is_respected_and_the_result_says_why():
    start = time.perf_counter()
    result = stationary_fictitious_play_solve(BEACH, max_iterations=None, max_seconds=0.5, tol=0.0)
    assert time.perf_counter() - start < 1.5 * 0.5 + 1.0
    assert not result.converged and "max_seconds=0.5" in result.parameters["stopped_because"]
    assert result.iterations == len(result.parameters["exploitability_curve"]) >= 1


@pytest.mark.parametrize("call,match", [
    (lambda: stationary_fictitious_play_solve(object()), r"game must be a StationaryMeanFieldGame"),
    (lambda: stationary_fixed_point_solve(SIS, damping=1.5), r"damping must be a positive"),
    (lambda: stationary_online_mirror_descent_solve(SIS, learning_rate=0), r"learning_rate must be a positive"),
    (lambda: stationary_boltzmann_iteration_solve(SIS, temperature=-1), r"temperature must be a positive"),
    (lambda: stationary_boltzmann_iteration_solve(SIS, regularised=1), r"regularised must be True or False"),
    (lambda: stationary_fictitious_play_solve(SIS, max_iterations=None), r"give max_iterations or max_seconds"),
    (lambda: stationary_fictitious_play_solve(SIS, max_iterations=0), r"max_iterations must be a positive"),
    (lambda: stationary_fictitious_play_solve(SIS, weighting="mean"), r"weighting must be one of"),
])
def test_bad_arguments_are_one_line_errors(call, match):
    with pytest.raises(GameError, match=match) as info:
        call()
    assert "\n" not in str(info.value)
