"""The N-player check (applications/mfg/n_player.py): the simulator against the mean field (law of large numbers,
exact binomial variances), the gain estimators against left-right's closed form, the rate, determinism, bad input.

Compilations dominate the cost (the binomial sampler's above all), so every test uses left-right and one repetition
count: one compiled simulation and one compiled scoring program serve them all."""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria.applications.mfg.n_player import (
    approximation_curve,
    fit_power_law,
    n_player_gain,
    simulate,
)
from equilibria.core.errors import GameError
from equilibria.games.mean_field import flow
from equilibria.games.zoo.mean_field import left_right

REPS = 2000
Z = 4.5  # standard errors allowed between a Monte Carlo mean and its exact value (dozens of comparisons per test)


def left_right_equilibrium() -> np.ndarray:
    """Left-right's unique equilibrium (2/3 go left at t = 0; nothing depends on the other choices)."""
    pi = np.full((2, 3, 2), 0.5)
    pi[0, 0] = [2 / 3, 1 / 3]
    return pi


def left_right_exact(n: int) -> tuple[float, float]:
    """(U_N, the best own-state deviation's gain 1/(3N)) by summing over K ~ Binomial(N - 1, 2/3) agents going left."""
    from scipy.stats import binom

    k = np.arange(n)
    w = binom.pmf(k, n - 1, 2 / 3)
    j_left, j_right = -(k + 1) / n, -2 * (n - k) / n
    mixed = 2 / 3 * j_left + 1 / 3 * j_right
    e_left, e_right = w @ j_left, w @ j_right
    return float(w @ (np.maximum(j_left, j_right) - mixed)), float(max(e_left, e_right) - (2 * e_left + e_right) / 3)


@pytest.fixture(scope="module")
def population() -> dict[str, object]:
    """Left-right under a policy that is not an equilibrium and mixes from two states at t = 1, simulated for
    N = 1, 10 and 10,000 ."""
    game = left_right()
    pi = np.empty((2, 3, 2))
    pi[0] = [[0.3, 0.7], [0.5, 0.5], [0.5, 0.5]]
    pi[1] = [[0.5, 0.5], [0.2, 0.8], [0.6, 0.4]]
    with jax.enable_x64(True):
        mu = np.asarray(flow(game, pi), dtype=np.float64)
    sims = {n: simulate(game, pi, n, repetitions=REPS, key=n) for n in (1, 10, 10_000)}
    return {"game": game, "policy": pi, "mu": mu, "sims": sims}


def test_counts_conserve_mass_and_are_integers(population: dict) -> None:
    for n, sim in population["sims"].items():
        assert sim.others.shape == (REPS, 3, 3) and sim.agent.shape == (REPS, 3) and sim.flow.shape == (REPS, 3, 3)
        assert np.all(sim.others >= 0) and np.array_equal(sim.others, np.round(sim.others))
        assert np.all(sim.others.sum(-1) == n - 1)
        np.testing.assert_allclose(sim.flow.sum(-1), 1.0, rtol=0, atol=1e-12)
        assert np.all((sim.agent >= 0) & (sim.agent < 3))


def test_empirical_flow_obeys_the_law_of_large_numbers(population: dict) -> None:
    # Left-right's moves do not depend on mu, so the N agents are i.i.d. and N mu^N_t(s) ~ Binomial(N, mu_t(s))
    # exactly: the mean is mu_t(s) and the variance mu (1 - mu) / N, each checked within its own standard error
    # (where mu_t(s) is 0 or 1 the empirical flow must equal it).
    mu = population["mu"]
    random = (mu > 1e-12) & (mu < 1 - 1e-12)
    assert random.sum() == 4  # t = 1 and t = 2, left and right
    rms = {}
    for n, sim in population["sims"].items():
        np.testing.assert_allclose(sim.flow[:, ~random], np.broadcast_to(mu[~random], (REPS, 5)), atol=1e-12)
        m, p = sim.flow[:, random], mu[random]
        var = p * (1 - p) / n
        z = (m.mean(0) - p) / np.sqrt(var / REPS)
        assert np.max(np.abs(z)) <= Z, (n, np.max(np.abs(z)))
        kurtosis = (1 - 6 * p * (1 - p)) / (n * p * (1 - p))  # the binomial proportion's excess kurtosis
        tolerance = Z * np.sqrt(2 / (REPS - 1) + kurtosis / REPS)
        assert np.all(np.abs(m.var(0, ddof=1) / var - 1) <= tolerance), n
        rms[n] = float(np.sqrt(np.mean((sim.flow - mu) ** 2)))
    # The law of large numbers at the 1/sqrt(N) rate: 1000 times the agents, about 1/31.6 the error.
    assert rms[10_000] < rms[10] / 25


def test_simulation_is_deterministic_given_the_key(population: dict) -> None:
    game, pi = population["game"], population["policy"]
    again = simulate(game, pi, 10, repetitions=REPS, key=10)
    typed = simulate(game, pi, 10, repetitions=REPS, key=jax.random.key(10))
    other = simulate(game, pi, 10, repetitions=REPS, key=11)
    assert np.array_equal(again.others, population["sims"][10].others) and np.array_equal(again.agent, typed.agent)
    assert np.array_equal(typed.others, again.others)
    assert not np.array_equal(other.others, again.others)


def test_left_right_gains_match_their_closed_form() -> None:
    game, pi = left_right(), left_right_equilibrium()
    for n in (1, 10, 100):
        gain = n_player_gain(game, pi, n, repetitions=REPS, key=n)
        upper, lower = left_right_exact(n)
        assert gain.values.shape == gain.lower_values.shape == (REPS,) and np.all(gain.values >= 0)
        assert abs(gain.mean - upper) <= Z * gain.standard_error + 1e-12, (n, gain.mean, upper)
        # the cross-fitted deviation can only do worse than the best one (and equals it once its sign is clear)
        assert gain.lower_mean <= lower + Z * gain.lower_standard_error + 1e-12
        assert gain.lower_mean <= gain.mean + 1e-12
        # everyone's equilibrium return is -(2 + 2N)/(3N) whatever the others do: no variance at all
        assert gain.equilibrium_return == pytest.approx(-(2 + 2 * n) / (3 * n), abs=1e-12)
        assert gain.mean_field_return == pytest.approx(-2 / 3, abs=1e-12) and gain.exploitability <= 1e-12
    alone = n_player_gain(game, pi, 1, repetitions=REPS, key=0)  # N = 1: nobody else, the gain is 1/3 exactly
    assert alone.mean == pytest.approx(1 / 3, abs=1e-12) and alone.lower_mean == pytest.approx(1 / 3, abs=1e-12)
    small = n_player_gain(game, pi, 10, repetitions=REPS, key=10)
    assert abs(small.lower_mean - 1 / 30) <= Z * small.lower_standard_error  # resolved at N = 10: 1/(3N)


def test_left_right_gain_falls_like_one_over_sqrt_n() -> None:
    game, pi = left_right(), left_right_equilibrium()
    ns = [100, 1000, 10_000]
    curve = approximation_curve(game, pi, ns, repetitions=REPS, key=0)
    exact = [left_right_exact(n)[0] for n in ns]
    exact_fit = fit_power_law(ns, exact, [g.standard_error for g in curve.gains])
    assert abs(curve.fit.slope - exact_fit.slope) <= Z * curve.fit.slope_standard_error
    assert abs(curve.fit.slope + 0.5) <= 0.05 and curve.fit.slope_standard_error < 0.02
    assert np.all(curve.fit.used) and curve.n_agents.tolist() == ns
    # U_N sqrt(N) tends to 1/sqrt(pi) (a normal approximation of the binomial sum)
    assert exact[-1] * math.sqrt(ns[-1]) == pytest.approx(1 / math.sqrt(math.pi), rel=0.01)


@settings(max_examples=15, deadline=None)
@given(st.sampled_from([0.0, 1.0, 0.5, 0.1, 0.97]) | st.floats(0.0, 1.0), st.integers(1, 60), st.integers(0, 2**31))
def test_gains_on_any_left_right_policy(p: float, n: int, seed: int) -> None:
    # Random and degenerate policies (p = 0 or 1: nobody, or everybody, goes left). The others going left are
    # K ~ Binomial(N - 1, p), so agent 0's return under the common policy has a closed-form mean.
    pi = np.full((2, 3, 2), 0.5)
    pi[0, 0] = [p, 1 - p]
    gain = n_player_gain(left_right(), pi, n, repetitions=REPS, key=seed)
    expected = -p * (1 + (n - 1) * p) / n - 2 * (1 - p) * (1 + (n - 1) * (1 - p)) / n
    # Agent 0's return given K is linear in K, slope (2 - 3p) / n: its exact standard error over the repetitions.
    # (The sample's own can be 0 where p is tiny and no repetition drew a rare K; Hypothesis found p = 1e-6.)
    exact_se = abs(2 - 3 * p) / n * math.sqrt((n - 1) * p * (1 - p) / REPS)
    tolerance = Z * max(exact_se, gain.equilibrium_return_standard_error) + 1e-12
    assert abs(gain.equilibrium_return - expected) <= tolerance
    assert np.all(gain.values >= 0) and np.all(np.isfinite(gain.lower_values))
    assert gain.lower_mean <= gain.mean + Z * math.hypot(gain.standard_error, gain.lower_standard_error) + 1e-12
    if p in (0.0, 1.0):  # a pure policy: the flow is deterministic, so foresight is worth nothing beyond L_N
        assert gain.standard_error <= 1e-12 and gain.mean == pytest.approx(gain.lower_mean, abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.floats(-2.0, 0.0), st.floats(-3.0, 3.0), st.lists(st.integers(1, 10**6), min_size=2, max_size=6,
                                                             unique=True))
def test_power_law_fit_recovers_an_exact_power_law(slope: float, intercept: float, ns: list[int]) -> None:
    means = np.exp(intercept) * np.asarray(ns, dtype=float) ** slope
    fit = fit_power_law(ns, means, 0.01 * means)
    assert fit.slope == pytest.approx(slope, abs=1e-8) and fit.intercept == pytest.approx(intercept, abs=1e-7)
    if len(ns) > 2:
        assert fit.reduced_chi2 <= 1e-12
    assert fit.slope_standard_error > 0


def test_power_law_fit_skips_unresolved_points() -> None:
    fit = fit_power_law([10, 100, 1000], [1.0, 0.1, -0.01], [0.01, 0.01, 0.01], min_z=2.0)
    assert fit.used.tolist() == [True, True, False] and fit.slope == pytest.approx(-1.0)
    assert math.isnan(fit_power_law([10, 100], [1.0, 0.0], [0.1, 0.1]).slope)


@pytest.mark.parametrize(("call", "match"), [
    (lambda g, p: n_player_gain(g, p, 0, repetitions=REPS, key=0), "n_agents must be an integer >= 1, got 0"),
    (lambda g, p: n_player_gain(g, p, 2.5, repetitions=REPS, key=0), "n_agents"),
    (lambda g, p: n_player_gain(g, p, True, repetitions=REPS, key=0), "n_agents"),
    (lambda g, p: n_player_gain(g, p[:, :, :1], 10, repetitions=REPS, key=0), r"policy: expected shape \[T, S, A\]"),
    (lambda g, p: n_player_gain(g, p * 2, 10, repetitions=REPS, key=0), "policy: each pi_t"),
    (lambda g, p: n_player_gain(g, p, 10, repetitions=1, key=0), "repetitions must be an integer >= 2"),
    (lambda g, p: n_player_gain(g, p, 10, repetitions=REPS, key="seed"), "key must be a JAX PRNG key"),
    (lambda g, p: n_player_gain("left-right", p, 10, key=0), "game must be a MeanFieldGame"),
    (lambda g, p: simulate(g, p, -3, repetitions=REPS, key=0), "simulate: n_agents"),
    (lambda g, p: approximation_curve(g, p, [10], repetitions=REPS, key=0), "at least 2 sizes"),
    (lambda g, p: approximation_curve(g, p, [10, 0], repetitions=REPS, key=0), r"ns\[\]"),
    (lambda g, p: fit_power_law([1, 2], [1.0], [0.1, 0.1]), "fit_power_law"),
])
def test_bad_input_is_a_one_line_game_error(call, match) -> None:
    with pytest.raises(GameError, match=match) as info:
        call(left_right(), left_right_equilibrium())
    assert "\n" not in str(info.value)
