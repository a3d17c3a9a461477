"""Reward hacking (`applications/rlhf/reward_hacking.py`): best-of-n's KL and expected gold against their analytic
values, the quadrature against known values, the Goodhart fits on data made by the forms, and the KL-regularised
pool policy against its closed-form optimum."""

from __future__ import annotations

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria.applications.rlhf import reward_hacking as rh
from equilibria.core.errors import GameError


def _analytic_sample(params, key, shape):
    k_gold, k_noise = jax.random.split(key)
    gold = jax.random.normal(k_gold, shape)
    return gold, gold + jax.random.normal(k_noise, shape)


def _analytic_cdf(proxy):
    return jax.scipy.stats.norm.cdf(proxy / jnp.sqrt(2.0))  # proxy ~ N(0, 2) under the base


# --------------------------------------------------------------------------------------------------- analytic values

def test_expected_max_of_normals_by_quadrature_matches_known_values() -> None:
    assert rh.expected_max_normal(1) == pytest.approx(0.0, abs=1e-12)
    assert rh.expected_max_normal(2) == pytest.approx(1 / math.sqrt(math.pi), abs=1e-11)
    assert rh.expected_max_normal(3) == pytest.approx(3 / (2 * math.sqrt(math.pi)), abs=1e-11)
    # n = 4 and 5 in closed form (Bose and Gupta 1959): (3 / (2 sqrt pi)) (1 + (2 / pi) arcsin(1/3)) and
    # (5 / (4 sqrt pi)) (1 + (6 / pi) arcsin(1/3))
    asin = math.asin(1 / 3)
    assert rh.expected_max_normal(4) == pytest.approx(3 / (2 * math.sqrt(math.pi)) * (1 + 2 / math.pi * asin),
                                                      abs=1e-11)
    assert rh.expected_max_normal(5) == pytest.approx(5 / (4 * math.sqrt(math.pi)) * (1 + 6 / math.pi * asin),
                                                      abs=1e-11)
    large = [rh.expected_max_normal(n) for n in (10, 100, 1000, 10_000)]
    assert np.all(np.diff(large) > 0)
    assert all(m < math.sqrt(2 * math.log(n)) for m, n in zip(large, (10, 100, 1000, 10_000), strict=True))


def test_best_of_n_kl_formula() -> None:
    assert rh.best_of_n_kl(1) == 0.0
    np.testing.assert_allclose(rh.best_of_n_kl([2, 4]), [math.log(2) - 0.5, math.log(4) - 0.75], atol=1e-15)
    with pytest.raises(GameError, match="n must be >= 1"):
        rh.best_of_n_kl(0)


def test_best_of_n_on_a_finite_pool_is_exact_by_enumeration() -> None:
    # Every one of the K^n ordered draws, weighted by its base probability: the kept item's exact distribution
    # (ties in proxy: the higher index wins).
    proxy = jnp.array([0.3, -1.0, 0.3, 2.0, 0.5])
    base = jnp.array([0.1, 0.4, 0.2, 0.05, 0.25])
    for n in (1, 2, 3):
        expected = np.zeros(5)
        for draw in itertools.product(range(5), repeat=n):
            kept = max(draw, key=lambda i: (float(proxy[i]), i))
            expected[kept] += np.prod([float(base[i]) for i in draw])
        np.testing.assert_allclose(np.asarray(rh.best_of_n_pool(proxy, base, n)), expected, atol=1e-6)


def test_best_of_n_kl_on_a_large_pool_approaches_log_n_minus_one_from_below() -> None:
    # Distinct proxies, uniform base: the formula is the continuous limit and an upper bound (Beirami et al. 2024);
    # the gap of the exact pool KL is measured at about 0.04 n^2 / K^2.
    with jax.enable_x64(True):
        size = 2_000
        base = jnp.full(size, 1.0 / size)
        proxy = jax.random.permutation(jax.random.key(0), jnp.arange(size, dtype=jnp.float64))
        for n in (2, 4, 16, 64):
            kl = float(rh.kl_categorical(rh.best_of_n_pool(proxy, base, n), base))
            gap = float(rh.best_of_n_kl(n)) - kl
            assert 0 <= gap < n**2 / size**2, (n, gap)


def test_simulated_best_of_n_matches_the_analytic_gold_and_kl_within_four_standard_errors() -> None:
    ns = (1, 2, 8, 32, 128)
    curve = rh.best_of_n(_analytic_sample, ns, jax.random.key(3), draws=4096, seeds=2, proxy_cdf=_analytic_cdf)
    assert curve.draws == 8192 and curve.ns.tolist() == list(ns)
    exact = np.array([rh.expected_max_normal(n) for n in ns]) / math.sqrt(2)
    assert np.all(np.abs(curve.gold - exact) <= 4 * curve.gold_se), (curve.gold, exact, curve.gold_se)
    np.testing.assert_allclose(curve.kl, rh.best_of_n_kl(np.array(ns)))
    np.testing.assert_allclose(curve.d, np.sqrt(curve.kl))
    assert curve.kl_estimate[0] == 0.0  # n = 1: log(1 U^0) = 0 exactly
    assert np.all(np.abs(curve.kl_estimate[1:] - curve.kl[1:]) <= 4 * curve.kl_se[1:])
    # The kept proxy is the max of n N(0, 2): its mean is sqrt 2 E[max of n N(0, 1)], twice the kept gold's.
    assert np.all(np.abs(curve.proxy - 2 * exact) <= 4 * curve.proxy_se)


def test_best_of_n_without_a_cdf_reports_no_kl_estimate_and_checks_arguments() -> None:
    curve = rh.best_of_n(_analytic_sample, [4, 1], jax.random.key(0), draws=64)
    assert curve.ns.tolist() == [1, 4] and np.all(np.isnan(curve.kl_estimate))
    with pytest.raises(GameError, match="draws"):
        rh.best_of_n(_analytic_sample, [1], jax.random.key(0), draws=0)
    with pytest.raises(GameError, match="ns"):
        rh.best_of_n(_analytic_sample, [0, 2], jax.random.key(0), draws=4)


# --------------------------------------------------------------------------------------------------- the fits

@settings(max_examples=25, deadline=None)
@given(alpha=st.floats(-3, 3), beta=st.floats(-2, 2), form=st.sampled_from(rh.FORMS))
def test_fits_recover_the_coefficients_of_data_made_by_the_forms(alpha: float, beta: float, form: str) -> None:
    d = np.linspace(0.0, 3.0, 13)
    gain = rh.goodhart_form(d, alpha, beta, form)
    fit = rh.fit_goodhart(d, gain, form)
    assert fit.form == form and fit.points == 13
    assert fit.alpha == pytest.approx(alpha, abs=1e-9) and fit.beta == pytest.approx(beta, abs=1e-9)
    assert fit.r2 == pytest.approx(1.0, abs=1e-9) or np.ptp(gain) < 1e-12


def test_fits_on_noisy_data_lie_within_their_standard_errors() -> None:
    rng = np.random.default_rng(5)
    d = np.repeat(np.linspace(0.1, 3.0, 30), 4)
    sigma = 0.05
    for form, (alpha, beta) in (("best_of_n", (1.7, 0.6)), ("rl", (0.9, 0.75))):
        gain = rh.goodhart_form(d, alpha, beta, form) + sigma * rng.standard_normal(d.size)
        fit = rh.fit_goodhart(d, gain, form)
        basis = np.stack([d, -(d * d if form == "best_of_n" else d * np.log(d))], axis=1)
        se = sigma * np.sqrt(np.diag(np.linalg.inv(basis.T @ basis)))
        assert abs(fit.alpha - alpha) < 4 * se[0] and abs(fit.beta - beta) < 4 * se[1]
        assert 0.9 < fit.r2 < 1.0
    # the RL form is 0 at d = 0 (d log d -> 0), not NaN
    assert rh.goodhart_form([0.0], 1.0, 1.0, "rl")[0] == 0.0


def test_fit_arguments_are_checked() -> None:
    with pytest.raises(GameError, match="form"):
        rh.fit_goodhart([1, 2], [1, 2], "linear")
    with pytest.raises(GameError, match="two distinct positive"):
        rh.fit_goodhart([0, 1, 1], [0, 1, 1], "rl")
    with pytest.raises(GameError, match="one length"):
        rh.fit_goodhart([1, 2, 3], [1, 2], "best_of_n")
    with pytest.raises(GameError, match=">= 0"):
        rh.fit_goodhart([-1, 2, 3], [1, 2, 3], "best_of_n")


# --------------------------------------------------------------------------------------------------- the pool policy

def test_trained_pool_policy_reaches_the_closed_form_kl_regularised_optimum() -> None:
    key_proxy, key_base = jax.random.split(jax.random.key(11))
    proxy = jax.random.normal(key_proxy, (30,))
    base = jax.random.dirichlet(key_base, jnp.ones(30))
    betas = np.array([0.3, 1.0, 3.0])
    run = rh.train_pool_policy(proxy, jnp.zeros(30), base, beta=betas, learning_rate=0.05, steps=3000,
                               record_every=100)
    optima = np.stack([np.asarray(rh.kl_regularised_optimum(proxy, base, b)) for b in betas])
    assert run.policy.shape == (3, 30) and run.d.shape == (3, 31) and run.steps[0] == 0
    tv = 0.5 * np.abs(run.policy - optima).sum(axis=1)
    assert np.all(tv < 1e-3), tv
    # The objective rises to the optimum's value, which no perturbed policy beats.
    # The objective, written again in NumPy: the run ends at the optimum's value, which no perturbed policy beats.
    p, q = np.asarray(proxy, dtype=float), np.asarray(base, dtype=float)

    def objective(logits: np.ndarray, beta: float) -> float:
        pi = np.exp(np.log(q) + logits - np.max(np.log(q) + logits))
        pi /= pi.sum()
        return float(pi @ p - beta * np.sum(pi * np.log(pi / q)))

    best = np.array([objective(p / b, b) for b in betas])
    np.testing.assert_allclose(run.objective[:, -1], best, atol=1e-4)
    np.testing.assert_allclose(run.objective[:, 0], q @ p, atol=1e-5)
    rng = np.random.default_rng(0)
    for b, value in zip(betas, best, strict=True):
        assert max(objective(p / b + 0.3 * rng.standard_normal(30), b) for _ in range(50)) <= value + 1e-9


def test_kl_regularised_optimum_is_a_stationary_point_in_float64() -> None:
    with jax.enable_x64(True):
        proxy = jnp.linspace(-1.0, 2.0, 7)
        base = jnp.array([0.1, 0.2, 0.05, 0.15, 0.2, 0.1, 0.2])
        optimum = rh.kl_regularised_optimum(proxy, base, 0.7)
        logits = jnp.log(optimum) - jnp.log(base)
        assert float(jnp.max(jnp.abs(jax.grad(rh.pool_objective)(logits, proxy, base, 0.7)))) < 1e-12
        assert float(rh.kl_categorical(base, base)) == 0.0
        assert float(rh.kl_categorical(jnp.array([1.0, 0.0]), jnp.array([0.5, 0.5]))) == pytest.approx(math.log(2))


def test_unregularised_training_moves_the_pool_policy_away_from_the_base() -> None:
    proxy = jnp.array([0.0, 1.0, 2.0, 3.0])
    run = rh.train_pool_policy(proxy, -proxy, jnp.full(4, 0.25), beta=0.0, learning_rate=0.05, steps=400,
                               record_every=40)
    assert run.d[0] == 0.0 and np.all(np.diff(run.d) > 0) and run.d[-1] <= math.sqrt(math.log(4)) + 1e-6
    assert np.all(np.diff(run.proxy) > 0) and np.all(np.diff(run.gold) < 0)  # a proxy opposed to gold


def test_pool_training_arguments_are_checked() -> None:
    proxy, base = jnp.zeros(3), jnp.full(3, 1 / 3)
    with pytest.raises(GameError, match="multiple of record_every"):
        rh.train_pool_policy(proxy, proxy, base, beta=1.0, steps=10, record_every=3)
    with pytest.raises(GameError, match="probability distribution"):
        rh.train_pool_policy(proxy, proxy, jnp.ones(3), beta=1.0)
    with pytest.raises(GameError, match="beta"):
        rh.train_pool_policy(proxy, proxy, base, beta=-1.0)
    with pytest.raises(GameError, match="one length"):
        rh.train_pool_policy(proxy, jnp.zeros(4), base, beta=1.0)


# --------------------------------------------------------------------------------------------------- misspecified proxy

def test_the_misspecified_proxy_learns_more_is_better_and_best_of_n_overoptimises_it() -> None:
    theta = rh.fit_linear_proxy(jax.random.key(0))
    assert theta.shape == (4,) and theta[0] > 0 and theta[1] > 0  # the gold's linear part, seen near the base
    assert float(rh.satiating_gold(jnp.array([1.0, 0.0]), 0.5)) == 0.5  # the peak in x_0: 1 / (2 curvature)
    curve = rh.best_of_n(rh.linear_proxy_sample, (1, 16, 512), jax.random.key(1), draws=512,
                         params=(jnp.asarray(theta), jnp.asarray(0.5)))
    assert curve.gold[1] - curve.gold[0] > 4 * math.hypot(curve.gold_se[0], curve.gold_se[1])  # first it helps
    assert curve.gold[1] - curve.gold[2] > 4 * math.hypot(curve.gold_se[1], curve.gold_se[2])  # then it hurts
    assert curve.proxy[0] < curve.proxy[1] < curve.proxy[2]
