"""Where the logit pricing model is computable (demand's module docstring), and what is refused outside it.

The model depends on prices only through ``(a - p) / mu``: scaling every level and mu by ``k`` scales every price
and profit by ``k`` and leaves profit gains unchanged. That invariance is the test of the domain's inside; its
edges are the float range (mu in [1e-200, 1e200]), resolution (levels at most 1e9 mu) and Nash and monopoly
coinciding (net quality below about -9 mu).
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria.applications.pricing import (
    LearningParameters,
    LogitDemand,
    ParameterError,
    analyse_sessions,
    check_sessions_memory,
    check_table_sizes,
    convergence_split,
    pricing_market,
    run_sessions,
    sessions_memory,
)
from equilibria.applications.pricing.qlearning import MAX_SESSIONS_BYTES

BASE = pricing_market(LogitDemand.symmetric(), n_prices=5)


@settings(max_examples=20, deadline=None)
@given(exponent=st.floats(-150, 150), n=st.integers(2, 3))
def test_scaling_levels_and_mu_scales_prices_and_keeps_profit_gains(exponent: float, n: int) -> None:
    k = 10.0 ** exponent
    base = pricing_market(LogitDemand.symmetric(n), n_prices=4)
    scaled = pricing_market(LogitDemand.symmetric(n, quality=2 * k, cost=k, outside=0.0, mu=0.25 * k), n_prices=4)
    np.testing.assert_allclose(scaled.nash_prices / k, base.nash_prices, rtol=1e-12)
    np.testing.assert_allclose(scaled.monopoly_prices / k, base.monopoly_prices, rtol=1e-12)
    np.testing.assert_allclose(scaled.grid / k, base.grid, rtol=1e-12)
    np.testing.assert_allclose(scaled.profit_gain(scaled.profits.T), base.profit_gain(base.profits.T),
                               rtol=1e-8, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(mu=st.sampled_from([1e-300, 1e-200, 1e-9, 0.25, 1e3, 1e200, 1e300]),
       quality=st.sampled_from([-1e308, -1e10, -3.0, 0.0, 1e-300, 2.0, 1e6, 1e10, 1e308]),
       cost=st.sampled_from([0.0, 1e-300, 1.0, 1e10, 1e300]), outside=st.sampled_from([-1e10, -1.0, 0.0, 1.0, 1e10]),
       n=st.integers(2, 3))
def test_every_accepted_market_is_finite_and_resolved_and_every_refusal_names_a_parameter(
        mu: float, quality: float, cost: float, outside: float, n: int) -> None:
    try:
        market = pricing_market(LogitDemand.symmetric(n, quality=quality, cost=cost, outside=outside, mu=mu), 5, 0.1)
    except ParameterError as refusal:
        assert refusal.parameter in {"mu", "quality", "cost", "outside", "xi"}
        assert "\n" not in str(refusal)
        return
    gains = market.profit_gain(market.profits.T)
    assert np.all(np.isfinite(market.grid)) and np.all(np.diff(market.grid, axis=1) > 0)
    assert np.all(np.isfinite(market.profits)) and np.all(np.isfinite(gains))
    assert np.all(market.monopoly_profits > market.nash_profits)


@pytest.mark.parametrize(("kwargs", "parameter", "message"), [
    ({"mu": 1e-300}, "mu", "quality 2 is 2e+300 times mu = 1e-300"),
    ({"quality": 1e308}, "quality", "quality 1e+308 is more than 1e308 times mu"),
    ({"quality": 0.0, "cost": 0.0, "mu": 1e-250}, "mu", "mu = 1e-250 is outside [1e-200, 1e+200]"),
    ({"outside": -1e12}, "outside", "outside 1e+12 is 4e+12 times mu"),
    ({"quality": -5.0}, "quality", "Nash and monopoly prices agree to 9 digits"),
    ({"cost": -1.0}, "cost", "cost must be >= 0"),
])
def test_outside_the_domain_the_parameter_is_named(kwargs: dict[str, float], parameter: str, message: str) -> None:
    with pytest.raises(ParameterError) as error:
        pricing_market(LogitDemand.symmetric(2, **kwargs), 5)
    assert error.value.parameter == parameter and message in str(error.value)


def test_prices_solve_at_the_edge_of_the_scale_domain() -> None:
    # Regression: the price-space bracket [c + mu, c + n mu] rounded when c / mu neared 1e9 (brentq: "f(a) and f(b)
    # must have different signs"); markups are now solved in units of mu. Prices near 1 resolve markups of 2e-9
    # to about 1e-7 relative (the float spacing at 1 over mu), which is what the check allows.
    mu = 2e-9
    demand = LogitDemand.symmetric(2, quality=1.0 + 3 * mu, cost=1.0, mu=mu)
    nash, monopoly = demand.nash_prices(), demand.monopoly_prices()
    x_nash, x_monopoly = (nash - 1.0) / mu, (monopoly - 1.0) / mu
    assert x_nash == pytest.approx(1 / (1 - demand.shares(nash)), rel=1e-6)
    assert x_monopoly * (1 - demand.shares(monopoly).sum()) == pytest.approx(1.0, rel=1e-6)
    reference = LogitDemand.symmetric(2, quality=3.0, cost=0.0, mu=1.0)  # the same market in units of mu
    np.testing.assert_allclose(x_nash, reference.nash_prices(), rtol=1e-6)


def test_beta_below_float_resolution_is_refused() -> None:
    with pytest.raises(ParameterError, match="exp\\(-beta\\) rounds to 1") as error:
        LearningParameters(beta=1e-300)
    assert error.value.parameter == "beta"
    LearningParameters(beta=2e-16)  # exp(-2e-16) < 1: decays, slowly


@pytest.mark.parametrize(("name", "value"), [("max_periods", 2**63), ("convergence_window", 2**70)])
def test_counters_must_fit_int64(name: str, value: int) -> None:
    with pytest.raises(ParameterError, match="at most 2\\^63 - 1") as error:
        LearningParameters(**{name: value})
    assert error.value.parameter == name


def test_table_sizes_are_checked_on_logarithms_without_building_the_power() -> None:
    started = time.perf_counter()
    for firms, prices, memory, blamed in ((2, 15, 10**9, "memory"), (10**18, 15, 1, "n_firms"),
                                          (2, 10**5, 1, "n_prices")):
        with pytest.raises(ParameterError) as error:
            check_table_sizes(firms, prices, memory, "test")
        assert error.value.parameter == blamed and "exceed 20000000" in str(error.value)
    assert time.perf_counter() - started < 1.0  # 15^(2e9) would take minutes and gigabytes
    assert check_table_sizes(2, 15, 1, "test") == 225


def test_sessions_memory_counts_the_greedy_tables_and_refuses_a_billion_sessions() -> None:
    one = sessions_memory(2, 15, 1, 1, threads=1)
    thousand = sessions_memory(2, 15, 1, 1000, threads=1)
    assert thousand - one == 999 * 2 * (2 * 225 * 2 + 17)  # int16 greedy actions and three scalars, held twice
    with pytest.raises(ParameterError, match="more than the limit of 4.0 GiB") as error:
        check_sessions_memory(2, 15, 1, 10**9, "test")
    assert error.value.parameter == "sessions"
    needed = sessions_memory(2, 15, 1, 10**9)
    assert needed > MAX_SESSIONS_BYTES and f"{needed / 2**30:,.1f} GiB" in str(error.value)
    with pytest.raises(ParameterError, match="sessions"):
        run_sessions(BASE, sessions=10**9)  # refused up front, never allocated


@pytest.mark.parametrize(("kwargs", "message"), [({"seed": 2**64}, "seed must be at most 2^64 - 1"),
                                                 ({"seed": -1}, "seed must be an integer >= 0"),
                                                 ({"first_session": 2**63}, "first_session must be at most")])
def test_run_arguments_fit_the_kernels_integers(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ParameterError, match=None) as error:
        run_sessions(BASE, sessions=1, **kwargs)
    assert message in str(error.value)


def test_statistics_never_mix_converged_and_unconverged_sessions() -> None:
    stopped = run_sessions(BASE, LearningParameters(beta=2e-3, convergence_window=200, max_periods=1), sessions=3)
    converged, unconverged = convergence_split(stopped, analyse_sessions(stopped, horizon=2))
    assert converged is None and unconverged is not None and unconverged["sessions"] == 3
    assert math.isclose(sum(unconverged["outcome_shares"].values()), 1.0)
    mixed = run_sessions(BASE, LearningParameters(beta=2e-3, convergence_window=200, max_periods=3_000),
                         sessions=6, seed=1)
    analysis = analyse_sessions(mixed, horizon=2)
    converged, unconverged = convergence_split(mixed, analysis)
    n_converged = int(mixed.converged.sum())
    assert converged is not None and converged["sessions"] == n_converged
    assert converged["profit_gain_mean"] == pytest.approx(float(analysis.profit_gain[mixed.converged].mean()))
    assert (unconverged is None) == (n_converged == 6)
