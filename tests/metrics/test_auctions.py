"""The auction certificates on the known Bayes-Nash equilibria of the zoo: zero utility loss within sampling error,
clearly positive loss for a perturbed strategy, revenue equivalence, Myerson's reserve, IC regret."""

import functools

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria.core.errors import GameError
from equilibria.games.auction_priors import parse_prior
from equilibria.games.auctions import SingleItemAuction
from equilibria.games.zoo import auctions as zoo
from equilibria.metrics import auctions as metrics

KEY = jax.random.key(0)
SMALL = {"n_values": 32, "n_bids": 128, "n_samples": 2**13}


def _scaled(strategy, factor, v):  # type: ignore[no-untyped-def]
    return factor * strategy(v)


# (setting, parameters, bidders to check: one per role; the backend: JAX for a few, to compile only a few programs)
CLOSED_FORMS = [
    ("first-price", {"n_bidders": 2}, [0], "jax"),
    ("first-price", {"n_bidders": 4}, [0], "numpy"),
    ("second-price", {"n_bidders": 3}, [0], "numpy"),
    ("all-pay", {"n_bidders": 3}, [0], "numpy"),
    ("first-price-reserve", {"n_bidders": 2, "reserve": 0.5}, [0], "numpy"),
    ("asymmetric-first-price", {"low_high": 1.0, "high_high": 2.0}, [0, 1], "numpy"),
    ("risk-averse-first-price", {"n_bidders": 3, "risk": 0.5}, [0], "jax"),
    ("llg-vcg", {}, [0, 2], "numpy"),
    ("llg-nearest-vcg", {}, [0, 2], "jax"),
    ("llg-nearest-bid", {}, [0, 2], "numpy"),
    ("llg-proxy", {}, [0, 2], "numpy"),
]


@pytest.mark.parametrize(("name", "params", "bidders", "backend"), CLOSED_FORMS)
def test_closed_forms_have_zero_utility_loss_and_a_perturbation_does_not(name, params, bidders, backend) -> None:  # type: ignore[no-untyped-def]
    """The held-out loss (best bids chosen on half the draws, measured on the other half) estimates without bias a
    number that is <= 0 at an equilibrium; the in-sample loss (bnelearn's L) is >= 0 and biased up by taking the
    maximum on the draws it is measured on (about 3 standard errors here), which the 5 below allows."""
    setting = zoo.auction_setting(name, **params)
    loss = metrics.utility_loss(setting.mechanism, setting.priors, setting.strategies, key=KEY, risk=setting.risk,
                                bidders=bidders, backend=backend, **SMALL)
    for i in bidders:
        assert loss.held_out[i] < 3 * loss.held_out_stderr[i] + 1e-4, (name, i, loss.held_out[i])
        assert 0.0 <= loss.per_bidder[i] < 5 * loss.stderr[i] + 1e-4, (name, i, loss.per_bidder[i], loss.stderr[i])
        assert loss.per_bidder_max[i] >= loss.per_bidder[i]
        assert loss.relative[i] < 0.02
    # Bidder 0 bidding half the equilibrium bid (the others unchanged) loses clearly: > 5 standard errors.
    perturbed = list(setting.strategies)
    perturbed[0] = functools.partial(_scaled, setting.strategies[0], 0.5)
    worse = metrics.utility_loss(setting.mechanism, setting.priors, perturbed, key=KEY, risk=setting.risk,
                                 bidders=[0], backend=backend, **SMALL)
    assert worse.held_out[0] > max(5 * worse.held_out_stderr[0], 2e-3), (name, worse.held_out[0])
    assert worse.per_bidder[0] > max(5 * worse.stderr[0], 2e-3), (name, worse.per_bidder[0], worse.stderr[0])


@pytest.mark.parametrize("rule", ["first_price", "all_pay"])
def test_power_prior_closed_forms_are_best_responses(rule: str) -> None:
    """``F(v) = v**2`` on [0, 1], three bidders: ``known_equilibrium``'s bids (k = A (n - 1) = 4) have zero loss."""
    mechanism, priors = SingleItemAuction(rule, 3), [parse_prior("power:2")] * 3
    strategies = zoo.known_equilibrium(mechanism, priors)
    assert strategies is not None
    loss = metrics.utility_loss(mechanism, priors, strategies, key=KEY, bidders=[0], backend="numpy", **SMALL)
    assert loss.held_out[0] < 3 * loss.held_out_stderr[0] + 1e-4
    assert loss.per_bidder[0] < 5 * loss.stderr[0] + 1e-4


def test_numpy_and_jax_backends_agree() -> None:
    setting = zoo.auction_setting("all-pay", n_bidders=2)
    a, b = (metrics.utility_loss(setting.mechanism, setting.priors, setting.strategies, key=KEY, backend=backend,
                                 n_values=8, n_bids=32, n_samples=2**10) for backend in ("numpy", "jax"))
    for x, y in zip(a, b, strict=True):
        assert np.allclose(x, y, rtol=1e-9, atol=1e-12, equal_nan=True)


def test_the_best_response_to_a_linear_first_price_bidder_is_half_the_value() -> None:
    """Against ``b(v) = c v`` (U[0, 1]) a bidder with value v wins with probability ``b / c``: the best bid is
    ``min(v / 2, c)``, whatever c is."""
    mechanism, priors = SingleItemAuction("first_price", 2), [parse_prior("uniform:0:1")] * 2
    for c in (0.3, 0.8):
        strategies = [lambda v: v, functools.partial(zoo.linear_bid, slope=c)]
        loss = metrics.utility_loss(mechanism, priors, strategies, key=KEY, bidders=[0], n_values=16, n_bids=201,
                                    n_samples=2**13, backend="numpy")
        expected = np.minimum(loss.values[0] / 2, c)
        assert np.max(np.abs(loss.best_bids[0] - expected)) < 0.03
        # truthful bidding earns nothing: the relative loss is total
        assert loss.relative[0] == pytest.approx(1.0, abs=1e-9)


def test_interim_utility_matches_the_first_price_formula_and_risk_enters_through_the_surplus() -> None:
    """Two bidders U[0, 1], the other bidding v/2: bidding ``b <= 1/2`` wins with probability ``2 b``."""
    setting = zoo.auction_setting("first-price")
    values, bids = np.array([0.3, 0.6, 0.9]), np.array([0.05, 0.15, 0.3, 0.45])
    result = metrics.interim_utility(setting.mechanism, setting.priors, setting.strategies, 0, values, bids,
                                     n_samples=2**14, key=KEY, backend="numpy")
    assert result.mean.shape == result.stderr.shape == (3, 4)
    surplus = values[:, None] - bids[None, :]  # negative where the bid exceeds the value: a win costs
    assert np.all(np.abs(result.mean - surplus * 2 * bids) < 4 * result.stderr + 1e-12)
    risky = metrics.interim_utility(setting.mechanism, setting.priors, setting.strategies, 0, values, bids,
                                    n_samples=2**14, key=KEY, risk=0.5, backend="numpy")
    crra = np.sign(surplus) * np.sqrt(np.abs(surplus))  # the mechanism's CRRA extends x**rho to losses oddly
    assert np.all(np.abs(risky.mean - crra * 2 * bids) < 4 * risky.stderr + 1e-12)


def test_revenue_equivalence_first_second_all_pay() -> None:
    n = 3
    estimates = {}
    for name in ("first-price", "second-price", "all-pay"):
        setting = zoo.auction_setting(name, n_bidders=n)
        mean, se = metrics.expected_revenue(setting.mechanism, setting.priors, setting.strategies,
                                            n_samples=2**17, key=jax.random.fold_in(KEY, len(estimates)))
        assert abs(mean - (n - 1) / (n + 1)) < 3 * se, (name, mean, se)
        estimates[name] = (mean, se)
        utilities, u_se = metrics.ex_ante_utilities(setting.mechanism, setting.priors, setting.strategies,
                                                    n_samples=2**15, key=KEY)
        assert np.all(np.abs(utilities - 1 / (n * (n + 1))) < 4 * u_se), (name, utilities)
    (a, sa), (b, sb) = estimates["first-price"], estimates["all-pay"]
    assert abs(a - b) < 3 * np.hypot(sa, sb)


def test_recorded_revenues_agree_with_simulation() -> None:
    for name, params in (("asymmetric-first-price", {}), ("risk-averse-first-price", {"n_bidders": 3}),
                         ("first-price-reserve", {"n_bidders": 3, "reserve": 0.3})):
        setting = zoo.auction_setting(name, **params)
        mean, se = metrics.expected_revenue(setting.mechanism, setting.priors, setting.strategies,
                                            n_samples=2**16, key=KEY)
        assert setting.revenue is not None and abs(mean - setting.revenue) < 4 * se, (name, mean, setting.revenue)


@pytest.mark.parametrize("name", ["llg-vcg", "llg-proxy", "llg-nearest-bid", "llg-nearest-vcg",
                                  "asymmetric-first-price", "first-price-reserve", "all-pay"])
def test_equilibrium_utilities_match_the_recorded_ones(name: str) -> None:
    """LLG: bnelearn's published high-precision utilities (and VCG's 5/24, 7/24 derived in the zoo); the others
    from their closed forms or quadrature."""
    setting = zoo.auction_setting(name)
    utilities, se = metrics.ex_ante_utilities(setting.mechanism, setting.priors, setting.strategies,
                                              n_samples=2**17, key=KEY)
    assert setting.utilities is not None
    assert np.all(np.abs(utilities - np.asarray(setting.utilities)) < 4 * se + 1e-5), (name, utilities)


def test_myerson_reserve_half_earns_five_twelfths_and_beats_other_reserves() -> None:
    priors = [parse_prior("uniform:0:1")] * 2
    truthful = [zoo.truthful] * 2
    revenue = {r: metrics.expected_revenue(SingleItemAuction("second_price", 2, reserve=r), priors, truthful,
                                           n_samples=2**16, key=KEY) for r in (0.3, 0.5, 0.7)}
    mean, se = revenue[0.5]
    assert abs(mean - 5 / 12) < 3 * se
    # Common random numbers (one key): the comparison is far clearer than each estimate's own error.
    # Exact: R(0.3) = 0.3873, R(0.5) = 0.4167, R(0.7) = 0.3660 (zoo.reserve_revenue).
    assert revenue[0.5][0] - revenue[0.3][0] > 0.015
    assert revenue[0.5][0] - revenue[0.7][0] > 0.03
    setting = zoo.auction_setting("first-price-reserve", reserve=0.5)  # revenue equivalence holds with the reserve
    fp_mean, fp_se = metrics.expected_revenue(setting.mechanism, setting.priors, setting.strategies,
                                              n_samples=2**16, key=KEY)
    assert abs(fp_mean - 5 / 12) < 3 * fp_se


def test_ic_regret_vickrey_is_zero_and_first_price_shades_to_the_equilibrium() -> None:
    priors = [parse_prior("uniform:0:1")] * 3
    vickrey = metrics.ic_regret(SingleItemAuction("second_price", 3), priors, n_values=32, misreports=128,
                                n_samples=2**13, key=KEY, backend="numpy")
    assert vickrey.max_gain <= 3 * np.max(vickrey.stderr) + 1e-12
    n = 3
    first = metrics.ic_regret(SingleItemAuction("first_price", n), priors, n_values=32, misreports=128,
                              n_samples=2**13, key=KEY, backend="numpy")
    v = first.values
    # Against truthful opponents: u(v, m) = (v - m) m**(n-1), best m = (n-1)/n v, gain v**n (n-1)**(n-1) / n**n.
    assert first.max_gain > 0.05
    assert np.all(np.abs(first.gain - v**n * (n - 1) ** (n - 1) / n**n) < 4 * first.stderr + 2e-3)
    interior = v > 0.2
    assert np.max(np.abs(first.best_misreport[interior] - (n - 1) / n * v[interior])) < 0.05
    assert first.mean_gain == pytest.approx(float(np.mean(first.gain)))


def test_l2_distance_by_quadrature() -> None:
    prior = parse_prior("uniform:0:1")
    assert metrics.l2_distance(zoo.truthful, functools.partial(zoo.linear_bid, slope=0.5), prior) == pytest.approx(
        np.sqrt(1 / 12), rel=1e-5)
    assert metrics.l2_distance(zoo.truthful, zoo.truthful, prior) == 0.0


@settings(max_examples=6, deadline=None)
@given(st.floats(0.2, 1.0), st.integers(2, 4))
def test_loss_is_nonnegative_and_vanishes_only_near_the_equilibrium_slope(slope: float, n: int) -> None:
    """Everyone bidding ``slope * v`` in first price (U[0, 1]): the loss is >= 0, and it is within sampling error
    of 0 exactly when ``slope`` is near ``(n - 1) / n``."""
    mechanism, priors = SingleItemAuction("first_price", n), [parse_prior("uniform:0:1")] * n
    strategies = [functools.partial(zoo.linear_bid, slope=slope)] * n
    loss = metrics.utility_loss(mechanism, priors, strategies, key=KEY, bidders=[0], n_values=16, n_bids=128,
                                n_samples=2**12, backend="numpy")
    assert loss.per_bidder[0] >= 0.0 and loss.per_bidder_max[0] >= loss.per_bidder[0]
    if abs(slope - (n - 1) / n) > 0.15:
        assert loss.per_bidder[0] > 3 * loss.stderr[0]


def test_bad_input_is_a_one_line_game_error() -> None:
    setting = zoo.auction_setting("first-price")
    m, p, s = setting.mechanism, setting.priors, setting.strategies
    with pytest.raises(GameError, match="priors"):
        metrics.utility_loss(m, p[:1], s, key=KEY)
    with pytest.raises(GameError, match="strategies"):
        metrics.utility_loss(m, p, s[:1], key=KEY)
    with pytest.raises(GameError, match="bidder"):
        metrics.interim_utility(m, p, s, 2, [0.5], [0.2], key=KEY)
    with pytest.raises(GameError, match="n_samples"):
        metrics.ic_regret(m, p, n_samples=1, key=KEY)
    with pytest.raises(GameError, match="finite"):
        metrics.utility_loss(m, p, [lambda v: v * np.nan] * 2, key=KEY, n_values=4, n_bids=4, n_samples=16)
    with pytest.raises(GameError, match="key"):
        metrics.utility_loss(m, p, s, key=None)
