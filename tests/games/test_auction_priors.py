"""Value distributions: cdf/quantile round trips, densities, means, sampling (within 4 standard errors), the text
form and its errors, SciPy and sample-based priors, NumPy against JAX."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria.core.errors import GameError
from equilibria.games.auction_priors import Prior, from_samples, from_scipy, parse_prior, sample_values

_TEXTS = ["uniform:0:1", "uniform:-1:3", "power:3", "power:0.5", "power:2:1:2", "normal:0.5:0.3:0:1",
          "normal:-3:1:0:1", "normal:4:0.5:0:1"]


@pytest.mark.parametrize("text", _TEXTS)
def test_cdf_and_quantile_are_inverse(text: str) -> None:
    prior = parse_prior(text)
    u = np.linspace(0.0, 1.0, 101)
    np.testing.assert_allclose(prior.cdf(prior.quantile(u)), u, atol=1e-9)
    x = np.linspace(prior.low, prior.high, 101)
    np.testing.assert_allclose(prior.quantile(prior.cdf(x)), x, atol=1e-7 * (prior.high - prior.low))
    assert prior.cdf(np.array([prior.low - 1]))[0] == 0 and prior.cdf(np.array([prior.high + 1]))[0] == 1


@pytest.mark.parametrize("text", _TEXTS)
def test_density_integrates_to_the_cdf_and_the_mean(text: str) -> None:
    prior = parse_prior(text)
    # midpoint rule on the quantile scale avoids the infinite density of power:0.5 at 0
    u = (np.arange(200_000) + 0.5) / 200_000
    assert prior.mean == pytest.approx(prior.quantile(u).mean(), rel=1e-6, abs=1e-9)
    x = np.linspace(prior.low, prior.high, 20_001)[1:-1]
    inside = slice(2_000, 18_000)
    derivative = np.gradient(prior.cdf(x), x)[inside]
    np.testing.assert_allclose(prior.pdf(x)[inside], derivative, rtol=1e-4)


def test_known_numbers() -> None:
    assert parse_prior("uniform:0:2").mean == 1.0
    assert parse_prior("power:3").mean == pytest.approx(0.75)
    assert parse_prior("power:3").cdf(np.array([0.5]))[0] == pytest.approx(0.125)
    scipy_stats = pytest.importorskip("scipy.stats")
    truncated = scipy_stats.truncnorm(-0.5 / 0.3, 0.5 / 0.3, loc=0.5, scale=0.3)
    prior = parse_prior("normal:0.5:0.3:0:1")
    x = np.linspace(0, 1, 11)
    np.testing.assert_allclose(prior.cdf(x), truncated.cdf(x), atol=1e-12)
    np.testing.assert_allclose(prior.pdf(x), truncated.pdf(x), rtol=1e-10)
    far = parse_prior("normal:-3:1:0:1")  # the interval lies in the right tail
    far_scipy = scipy_stats.truncnorm(3.0, 4.0, loc=-3.0, scale=1.0)
    assert far.mean == pytest.approx(far_scipy.mean(), rel=1e-9)
    np.testing.assert_allclose(far.quantile(np.array([0.1, 0.5, 0.9])), far_scipy.ppf([0.1, 0.5, 0.9]), rtol=1e-9)


@pytest.mark.parametrize("text", ["uniform:0:1", "power:2", "normal:0.5:0.3:0:1"])
def test_sample_means_within_four_standard_errors(text: str) -> None:
    prior = parse_prior(text)
    n = 40_000
    for draws in (np.asarray(prior.sample(jax.random.key(11), (n,))),
                  prior.sample_numpy(np.random.default_rng(11), n)):
        assert draws.shape == (n,)
        assert (draws >= prior.low).all() and (draws <= prior.high).all()
        assert abs(draws.mean() - prior.mean) < 4 * draws.std() / np.sqrt(n)


def test_sample_values_is_independent_per_bidder() -> None:
    priors = [parse_prior("uniform:0:1"), parse_prior("uniform:0:2")]
    values = np.asarray(sample_values(priors, jax.random.key(3), 50_000))
    assert values.shape == (50_000, 2)
    assert abs(np.corrcoef(values.T)[0, 1]) < 4 / np.sqrt(50_000)
    assert abs(values[:, 1].mean() - 1.0) < 4 * values[:, 1].std() / np.sqrt(50_000)
    with pytest.raises(GameError, match="n_samples"):
        sample_values(priors, jax.random.key(3), 0)


def test_numpy_and_jax_agree() -> None:
    x = np.linspace(-0.1, 1.1, 25)
    priors = [parse_prior(text) for text in _TEXTS]
    with jax.enable_x64(True):
        # one jitted call for every prior and method (eager JAX would compile each operation separately)
        got = jax.jit(lambda y: [(p.cdf(y), p.pdf(y), p.quantile(y)) for p in priors])(jnp.asarray(x))
        for prior, triple in zip(priors, got, strict=True):
            for method, value in zip((prior.cdf, prior.pdf, prior.quantile), triple, strict=True):
                assert isinstance(value, jax.Array)
                np.testing.assert_allclose(np.asarray(value), method(x), rtol=1e-12, atol=1e-12)


def test_text_round_trip() -> None:
    for text in _TEXTS:
        prior = parse_prior(text)
        again = parse_prior(prior.text)
        assert (again.kind, again.low, again.high, again.params) == (prior.kind, prior.low, prior.high, prior.params)
    assert parse_prior("power:3").text == "power:3"
    assert parse_prior(" Uniform : 0 : 0.5 ").text == "uniform:0:0.5"


@pytest.mark.parametrize(("text", "match"), [
    ("unif:0:1", "unknown kind 'unif'"), ("uniform:1:0", "low < high"), ("uniform:0", "expected uniform:LOW:HIGH"),
    ("uniform:a:1", "'a' is not a number"), ("power:-1", "A > 0"), ("power:inf", "not a finite number"),
    ("normal:0:1:0", "expected normal:MEAN:SD:LOW:HIGH"), ("normal:0:0:0:1", "sd > 0"), ("", "unknown kind")])
def test_parse_errors_are_one_line_naming_the_text(text: str, match: str) -> None:
    with pytest.raises(GameError, match=match) as info:
        parse_prior(text)
    assert "\n" not in str(info.value) and repr(text) in str(info.value)


def test_from_scipy_is_a_tabulated_quantile() -> None:
    scipy_stats = pytest.importorskip("scipy.stats")
    beta = scipy_stats.beta(2, 3)
    prior = from_scipy(beta)
    assert prior.kind == "tabulated" and (prior.low, prior.high) == (0.0, 1.0)
    x = np.linspace(0, 1, 41)
    np.testing.assert_allclose(prior.cdf(x), beta.cdf(x), atol=1e-6)
    assert prior.mean == pytest.approx(beta.mean(), abs=1e-6)
    u = np.linspace(0, 1, 33)
    np.testing.assert_allclose(prior.cdf(prior.quantile(u)), u, atol=1e-12)
    # an unbounded distribution, conditioned on the interval given
    expon = from_scipy(scipy_stats.expon(), high=2.0)
    assert (expon.low, expon.high) == (0.0, 2.0)
    assert expon.cdf(np.array([1.0]))[0] == pytest.approx((1 - np.exp(-1)) / (1 - np.exp(-2)), abs=1e-6)
    with pytest.raises(GameError, match="frozen"):
        from_scipy("beta")


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-5, 5, allow_nan=False), min_size=2, max_size=60).filter(lambda s: min(s) < max(s)))
def test_from_samples_interpolates_the_order_statistics(samples: list[float]) -> None:
    prior = from_samples(samples)
    ordered = np.sort(samples)
    assert (prior.low, prior.high) == (ordered[0], ordered[-1])
    np.testing.assert_allclose(prior.quantile(np.linspace(0, 1, len(samples))), ordered)
    u = np.linspace(0, 1, 17)
    assert (np.diff(prior.quantile(u)) >= 0).all()
    assert ordered[0] <= prior.mean <= ordered[-1]


def test_bad_priors() -> None:
    with pytest.raises(GameError, match="kind"):
        Prior("beta", 0, 1)
    with pytest.raises(GameError, match="not all equal"):
        from_samples([1.0, 1.0])
    with pytest.raises(GameError, match="Generator"):
        parse_prior("uniform:0:1").sample_numpy(3, 5)  # type: ignore[arg-type]
