"""The auction zoo: names, parameters and the closed forms' own identities (the certificates are in
tests/metrics/test_auctions.py)."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria.core.errors import GameError
from equilibria.games.zoo import auctions as zoo


def test_every_setting_builds_with_one_prior_and_strategy_per_bidder() -> None:
    for name in zoo.names():
        setting = zoo.auction_setting(name)
        assert setting.name == name
        assert len(setting.priors) == len(setting.strategies) == len(setting.prior_texts) == setting.n_bidders
        if setting.utilities is not None:
            assert len(setting.utilities) == setting.n_bidders


@pytest.mark.parametrize(("typed", "canonical"), [
    ("FPA", "first-price"), ("vickrey", "second-price"), ("Second_Price", "second-price"), ("all pay", "all-pay"),
    ("plum", "asymmetric-first-price"), ("llg_nearest_zero", "llg-proxy"), ("optimal-auction", "myerson"),
])
def test_names_as_users_type_them(typed: str, canonical: str) -> None:
    assert zoo.auction_setting(typed).name == canonical


def test_unknown_names_and_parameters_are_one_line_errors() -> None:
    with pytest.raises(GameError, match="did you mean first-price"):
        zoo.auction_setting("first-prize")
    with pytest.raises(GameError, match="unknown parameter 'bidders'"):
        zoo.auction_setting("first-price", bidders=3)
    with pytest.raises(GameError, match="n_bidders"):
        zoo.auction_setting("all-pay", n_bidders=1)
    with pytest.raises(GameError, match="reserve"):
        zoo.auction_setting("first-price-reserve", reserve=1.5)
    with pytest.raises(GameError, match="gamma"):
        zoo.auction_setting("llg-proxy", gamma=-0.1)
    with pytest.raises(GameError, match="risk"):
        zoo.auction_setting("risk-averse-first-price", risk=0.0)


def test_parameters_reach_the_mechanism() -> None:
    setting = zoo.auction_setting("first-price-reserve", n_bidders=3, reserve=0.25)
    assert setting.mechanism.n_bidders == 3 and setting.mechanism.reserve == 0.25
    assert setting.mechanism.rule == "first_price"
    assert zoo.auction_setting("myerson").mechanism.reserve == 0.5
    assert zoo.auction_setting("llg-nearest-vcg").mechanism.rule == "nearest_vcg"


def test_myerson_revenue_is_five_twelfths_and_the_reserve_half_is_optimal() -> None:
    assert zoo.reserve_revenue(2, 0.5) == pytest.approx(5 / 12, abs=1e-15)
    assert zoo.auction_setting("myerson").revenue == pytest.approx(5 / 12, abs=1e-15)
    reserves = np.linspace(0.0, 1.0, 10001)
    for n in (2, 3, 5):
        assert reserves[np.argmax([zoo.reserve_revenue(n, r) for r in reserves])] == pytest.approx(0.5, abs=1e-4)
        assert zoo.reserve_revenue(n, 0.0) == pytest.approx((n - 1) / (n + 1), abs=1e-15)  # no reserve


def test_reserve_utility_is_the_integral_of_the_surplus() -> None:
    """``int_r^1 (v**n - r**n) / n dv`` (the expected surplus ``(v - b(v)) F^{n-1}(v)``) by quadrature."""
    for n, r in ((2, 0.5), (3, 0.2)):
        v = r + (np.arange(200000) + 0.5) / 200000 * (1 - r)
        b = zoo.first_price_reserve_bid(v, n_bidders=n, reserve=r)
        assert np.mean((v - b) * v ** (n - 1)) * (1 - r) == pytest.approx(zoo.reserve_utility(n, r), abs=1e-9)


def test_first_price_reserve_bid_is_continuous_at_the_reserve_and_reduces_without_one() -> None:
    for n, r in ((2, 0.5), (4, 0.3)):
        assert zoo.first_price_reserve_bid(np.array([r]), n_bidders=n, reserve=r)[0] == pytest.approx(r)
        assert zoo.first_price_reserve_bid(np.array([r - 1e-9]), n_bidders=n, reserve=r)[0] == 0.0
    v = np.linspace(0, 1, 11)
    assert np.allclose(zoo.first_price_reserve_bid(v, n_bidders=3, reserve=0.0), 2 / 3 * v)


def test_plum_reduces_to_the_symmetric_bid_and_both_bidders_top_out_at_ab_over_a_plus_b() -> None:
    v = np.linspace(0, 1, 11)
    assert np.allclose(zoo.asymmetric_uniform_bid(v, own_high=1.0, other_high=1.0), v / 2)
    a, b = 1.0, 2.0
    top = a * b / (a + b)
    assert zoo.asymmetric_uniform_bid(np.array(a), own_high=a, other_high=b) == pytest.approx(top)
    assert zoo.asymmetric_uniform_bid(np.array(b), own_high=b, other_high=a) == pytest.approx(top)
    # The weak bidder bids more aggressively than the strong one at the same value (Maskin and Riley 2000).
    x = np.linspace(0.05, 1.0, 20)
    assert np.all(zoo.asymmetric_uniform_bid(x, own_high=a, other_high=b)
                  > zoo.asymmetric_uniform_bid(x, own_high=b, other_high=a))


def test_plum_quadrature_matches_the_symmetric_case() -> None:
    revenue, utilities = zoo._plum_revenue(1.0, 1.0, points=4001)
    assert revenue == pytest.approx(1 / 3, abs=1e-4)
    assert utilities == pytest.approx((1 / 6, 1 / 6), abs=1e-4)


def test_llg_closed_forms_at_gamma_zero_and_their_limit_at_gamma_one() -> None:
    v = np.linspace(0, 1, 101)
    assert np.allclose(zoo.llg_local_bid(v, rule="proxy", gamma=0.0), np.maximum(0, 1 + np.log(np.maximum(v, 1e-300))))
    assert np.allclose(zoo.llg_local_bid(v, rule="nearest_bid", gamma=0.0), np.log(2) - np.log(2 - v))
    assert np.allclose(zoo.llg_local_bid(v, rule="nearest_vcg", gamma=0.0), np.maximum(0, v - (3 - math.sqrt(8))))
    for rule in ("proxy", "nearest_bid", "nearest_vcg", "vcg"):
        limit = zoo.llg_local_bid(v, rule=rule, gamma=1.0)
        assert np.allclose(zoo.llg_local_bid(v, rule=rule, gamma=1 - 1e-6), limit, atol=1e-5), rule
        bids = zoo.llg_local_bid(v, rule=rule, gamma=0.5)
        assert np.all(np.diff(bids) >= 0) and np.all(bids <= v + 1e-12), rule  # monotone, no overbidding


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(zoo.names()), st.lists(st.floats(0, 2), min_size=8, max_size=8))  # one shape: no recompiles
def test_strategies_take_numpy_and_jax_alike_and_are_monotone(name: str, points: list[float]) -> None:
    setting = zoo.auction_setting(name)
    for prior, strategy in zip(setting.priors, setting.strategies, strict=True):
        v = np.clip(np.sort(np.asarray(points)), prior.low, prior.high)
        numpy_bids = strategy(v)
        assert isinstance(numpy_bids, np.ndarray)
        with jax.enable_x64(True):
            jax_bids = strategy(jnp.asarray(v))
            assert isinstance(jax_bids, jax.Array)
            assert np.allclose(np.asarray(jax_bids), numpy_bids, atol=1e-12)
        assert np.all(np.diff(numpy_bids) >= -1e-12)


def test_the_closed_forms_are_differentiable_and_jit_in_jax() -> None:
    setting = zoo.auction_setting("all-pay", n_bidders=3)
    slope = jax.grad(lambda x: setting.strategies[0](x))(0.5)
    assert float(slope) == pytest.approx(2 / 3 * 3 * 0.25)
    reserve = zoo.auction_setting("first-price-reserve")
    v = jnp.linspace(0.0, 1.0, 5)
    assert np.allclose(np.asarray(jax.jit(reserve.strategies[0])(v)), reserve.strategies[0](np.asarray(v)))


def test_known_equilibrium_finds_every_setting_closed_form() -> None:
    for name in zoo.names():
        setting = zoo.auction_setting(name)
        known = zoo.known_equilibrium(setting.mechanism, setting.priors, risk=setting.risk)
        assert known is not None, name
        for prior, found, recorded in zip(setting.priors, known, setting.strategies, strict=True):
            v = np.linspace(prior.low, prior.high, 33)
            assert np.allclose(found(v), recorded(v), atol=1e-12), name


def test_known_equilibrium_scales_and_says_none_where_nothing_is_known() -> None:
    from equilibria.games.auction_priors import parse_prior
    from equilibria.games.auctions import LLGAuction, SingleItemAuction

    v = np.linspace(0, 2, 9)
    fpa = zoo.known_equilibrium(SingleItemAuction("first_price", 3), [parse_prior("uniform:0:2")] * 3)
    assert fpa is not None and np.allclose(fpa[0](v), 2 / 3 * v)
    apa = zoo.known_equilibrium(SingleItemAuction("all_pay", 2), [parse_prior("uniform:0:2")] * 2)
    assert apa is not None and np.allclose(apa[0](v), v**2 / 4)  # (n-1)/n v**n / h**(n-1)
    power = zoo.known_equilibrium(SingleItemAuction("first_price", 2), [parse_prior("power:2")] * 2)
    assert power is not None and np.allclose(power[0](v), 2 / 3 * v)
    assert zoo.known_equilibrium(LLGAuction("first_price"), zoo.auction_setting("llg-vcg").priors) is None
    assert zoo.known_equilibrium(SingleItemAuction("first_price", 2), [parse_prior("normal:0.5:0.2:0:1")] * 2) is None
    assert zoo.known_equilibrium(SingleItemAuction("all_pay", 2, reserve=0.2), [parse_prior("uniform:0:1")] * 2) is None
    assert zoo.known_equilibrium(SingleItemAuction("first_price", 2),
                                 [parse_prior("uniform:0:1"), parse_prior("power:2")]) is None
