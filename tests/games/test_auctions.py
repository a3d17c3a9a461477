"""Auction mechanisms: single-item (first/second price, all-pay, reserves), position auctions (GSP, VCG), LLG.

Known answers by hand and from the literature (the EOS example: CTRs 200, 100, values 10, 4, 2), properties
(Vickrey truthful and individually rational, core constraints of LLG, payments within bids), NumPy against JAX,
and a batch of a million profiles in one jitted call.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria.core.errors import GameError, NotApplicableError
from equilibria.games.auctions import (
    BidFunction,
    LLGAuction,
    PositionAuction,
    SingleItemAuction,
    mechanism_by_name,
    outcome,
    position_slots,
    prices_per_click,
    revenue,
    truthful,
    utilities,
    welfare,
)

_values = st.floats(0.0, 10.0, allow_nan=False, width=64)


# -- single item ----------------------------------------------------------------------------------------------------


def test_first_price_winner_pays_its_bid_and_ties_split() -> None:
    a = SingleItemAuction("first_price", 3)
    result = outcome(a, np.array([[0.5, 0.7, 0.2], [0.6, 0.6, 0.1]]))
    np.testing.assert_array_equal(result.allocation, [[0, 1, 0], [0.5, 0.5, 0]])
    np.testing.assert_allclose(result.payments, [[0, 0.7, 0], [0.3, 0.3, 0]])
    np.testing.assert_allclose(revenue(result), [0.7, 0.6])


def test_second_price_with_reserve() -> None:
    a = SingleItemAuction("second-price", 3, reserve=0.5)
    bids = np.array([[0.9, 0.7, 0.2], [0.9, 0.3, 0.2], [0.4, 0.3, 0.2], [0.8, 0.8, 0.1]])
    result = outcome(a, bids)
    np.testing.assert_allclose(result.allocation, [[1, 0, 0], [1, 0, 0], [0, 0, 0], [0.5, 0.5, 0]])
    # the price is the highest other bid, at least the reserve; a tie pays the tied bid
    np.testing.assert_allclose(result.payments, [[0.7, 0, 0], [0.5, 0, 0], [0, 0, 0], [0.4, 0.4, 0]])
    assert a.rule == "second_price"


def test_all_pay_charges_losers_above_the_reserve() -> None:
    a = SingleItemAuction("all_pay", 3, reserve=0.25)
    result = outcome(a, np.array([0.5, 0.3, 0.2]))
    np.testing.assert_allclose(result.allocation, [1, 0, 0])
    np.testing.assert_allclose(result.payments, [0.5, 0.3, 0.0])
    np.testing.assert_allclose(utilities(a, np.array([1.0, 1.0, 1.0]), np.array([0.5, 0.3, 0.2])), [0.5, -0.3, 0])


def test_one_bidder_pays_the_reserve_in_second_price() -> None:
    a = SingleItemAuction("second_price", 1, reserve=0.3)
    np.testing.assert_allclose(outcome(a, np.array([0.8])).payments, [0.3])
    np.testing.assert_allclose(outcome(a, np.array([0.2])).payments, [0.0])


def test_crra_utilities() -> None:
    fpa = SingleItemAuction("first_price", 2)
    np.testing.assert_allclose(utilities(fpa, np.array([1.0, 0.5]), np.array([0.75, 0.2]), risk=0.5), [0.5, 0])
    allpay = SingleItemAuction("all_pay", 2)
    np.testing.assert_allclose(utilities(allpay, np.array([1.0, 1.0]), np.array([0.36, 0.64]), risk=0.5),
                               [-0.6, 0.6])
    with pytest.raises(NotApplicableError, match="single-item"):
        utilities(LLGAuction("vcg"), np.ones(3), np.ones(3), risk=0.5)
    with pytest.raises(GameError, match="risk"):
        utilities(fpa, np.ones(2), np.ones(2), risk=0.0)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 5), st.floats(0.0, 1.0), st.data())
def test_vickrey_is_truthful_and_individually_rational(n: int, reserve: float, data: st.DataObject) -> None:
    a = SingleItemAuction("second_price", n, reserve)
    values = np.array(data.draw(st.lists(_values, min_size=n, max_size=n)))
    others = np.array(data.draw(st.lists(_values, min_size=n, max_size=n)))
    deviations = np.array(data.draw(st.lists(_values, min_size=1, max_size=8)) + [0.0])
    for i in range(n):
        honest = others.copy()
        honest[i] = values[i]
        u_truthful = utilities(a, values, honest)[i]
        assert u_truthful >= -1e-12  # individually rational
        profiles = np.repeat(honest[None], deviations.size, axis=0)
        profiles[:, i] = deviations
        assert (utilities(a, values, profiles)[:, i] <= u_truthful + 1e-12).all()


# -- position auctions ----------------------------------------------------------------------------------------------


def test_eos_example_gsp_and_vcg_prices() -> None:
    values = np.array([10.0, 4.0, 2.0])
    gsp = PositionAuction("gsp", (200, 100), 3)
    vcg = PositionAuction("vcg", (200, 100), 3)
    np.testing.assert_array_equal(position_slots(gsp, values), [0, 1, -1])
    # truthful GSP: next bid per click, 4 * 200 + 2 * 100 = 1000
    np.testing.assert_allclose(prices_per_click(gsp, values), [4, 2, 0])
    assert revenue(outcome(gsp, values)) == 1000
    # VCG ladder: slot 1 pays 2 * 100; slot 0 pays (200 - 100) * 4 + 200 = 600
    np.testing.assert_allclose(outcome(vcg, values).payments, [600, 200, 0])
    np.testing.assert_allclose(prices_per_click(vcg, values), [3, 2, 0])
    np.testing.assert_allclose(welfare(vcg, values, outcome(vcg, values)), 2400)


def test_quality_scores_rank_and_price() -> None:
    # scores 2 * 1 = 2, 1.5 * 2 = 3, 1 * 1 = 1: bidder 1 first, then 0, then 2
    a = PositionAuction("gsp", (10, 5), 3, quality=(1.0, 2.0, 1.0))
    bids = np.array([2.0, 1.5, 1.0])
    np.testing.assert_array_equal(position_slots(a, bids), [1, 0, -1])
    # bidder 1 pays per click the next score over its quality: 2 / 2; bidder 0 pays 1 / 1
    np.testing.assert_allclose(prices_per_click(a, bids), [1.0, 1.0, 0])
    np.testing.assert_allclose(outcome(a, bids).allocation, [5.0, 20.0, 0])


def test_reserve_and_ties_in_position_auctions() -> None:
    a = PositionAuction("gsp", (3, 2, 1), 4, reserve=1.0)
    bids = np.array([2.0, 2.0, 0.5, 3.0])
    # bidder 2 is under the reserve; 0 and 1 tie and the lower index ranks first
    np.testing.assert_array_equal(position_slots(a, bids), [1, 2, -1, 0])
    np.testing.assert_allclose(prices_per_click(a, bids), [2.0, 1.0, 0.0, 2.0])
    vcg = PositionAuction("vcg", (3, 2, 1), 4, reserve=1.0)
    # ladder with the reserve at the bottom: slot 2 pays 1 * 1; slot 1 (2 - 1) * 2 + 1; slot 0 (3 - 2) * 2 + 3
    np.testing.assert_allclose(outcome(vcg, bids).payments, [3.0, 1.0, 0.0, 5.0])


def test_more_slots_than_bidders() -> None:
    a = PositionAuction("vcg", (5, 4, 3, 2), 2)
    np.testing.assert_allclose(outcome(a, np.array([1.0, 2.0])).payments, [0.0, 1.0])
    np.testing.assert_array_equal(position_slots(a, np.array([1.0, 2.0])), [1, 0])


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.lists(st.floats(0.0, 10.0), min_size=1, max_size=5), st.booleans(), st.data())
def test_vcg_ladder_equals_the_externality_on_the_others(n: int, ctr: list[float], weighted: bool,
                                                           data: st.DataObject) -> None:
    ctr_t = tuple(sorted(ctr, reverse=True))
    quality = tuple(data.draw(st.lists(st.floats(0.1, 3.0), min_size=n, max_size=n))) if weighted else None
    a = PositionAuction("vcg", ctr_t, n, quality=quality)
    bids = np.array(data.draw(st.lists(_values, min_size=n, max_size=n)))
    q = np.ones(n) if quality is None else np.array(quality)
    result = outcome(a, bids)

    def others_welfare(without: int | None) -> np.ndarray:
        order = sorted((i for i in range(n) if i != without), key=lambda i: (-bids[i] * q[i], i))
        w = np.zeros(n)
        for slot, i in enumerate(order[: len(ctr_t)]):
            w[i] = bids[i] * q[i] * ctr_t[slot]
        return w

    with_all = others_welfare(None)
    for i in range(n):
        without_i = others_welfare(i)
        externality = without_i.sum() - (with_all.sum() - with_all[i])
        assert result.payments[i] == pytest.approx(externality, rel=1e-9, abs=1e-9)
        assert result.payments[i] <= bids[i] * result.allocation[i] + 1e-9  # never above the bid


# -- LLG ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("rule", "payments"), [
    ("vcg", [0.2, 0.0, 0.0]), ("nearest_vcg", [0.35, 0.15, 0.0]), ("nearest_bid", [0.4, 0.1, 0.0]),
    ("proxy", [0.25, 0.25, 0.0]), ("first_price", [0.6, 0.3, 0.0])])
def test_llg_payment_rules_by_hand(rule: str, payments: list[float]) -> None:
    np.testing.assert_allclose(outcome(LLGAuction(rule), np.array([0.6, 0.3, 0.5])).payments, payments)


def test_llg_weak_local_and_global_win() -> None:
    bids = np.array([[0.9, 0.1, 0.5], [0.3, 0.3, 0.6], [0.3, 0.3, 0.7]])
    np.testing.assert_allclose(outcome(LLGAuction("proxy"), bids).payments, [[0.4, 0.1, 0], [0, 0, 0.6],
                                                                              [0, 0, 0.6]])
    np.testing.assert_allclose(outcome(LLGAuction("nearest_bid"), bids).payments[0], [0.5, 0.0, 0.0])
    np.testing.assert_allclose(outcome(LLGAuction("first_price"), bids).payments[2], [0, 0, 0.7])
    np.testing.assert_array_equal(outcome(LLGAuction("vcg"), bids).allocation, [[1, 1, 0], [0, 0, 1], [0, 0, 1]])
    assert LLGAuction("nearest-zero").rule == "proxy"


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(0.0, 2.0), min_size=3, max_size=3))
def test_llg_core_constraint_and_payments_within_bids(bids_list: list[float]) -> None:
    bids = np.array(bids_list)
    locals_win = bids[0] + bids[1] > bids[2]
    for rule in ("vcg", "nearest_vcg", "nearest_bid", "proxy", "first_price"):
        p = outcome(LLGAuction(rule), bids).payments
        assert (p >= -1e-12).all() and (p <= bids + 1e-12).all()
        if locals_win and rule != "vcg":
            assert p[0] + p[1] >= bids[2] - 1e-12  # core: the global bidder cannot block
        if locals_win and rule in ("nearest_vcg", "nearest_bid", "proxy"):
            assert p[0] + p[1] == pytest.approx(bids[2], abs=1e-12)  # minimal core: on the core's edge
        if not locals_win and rule != "first_price":
            assert p[2] == pytest.approx(bids[0] + bids[1])


# -- input errors ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("build", "match"), [
    (lambda: SingleItemAuction("first_price", 0), "n_bidders"),
    (lambda: SingleItemAuction("frist_price", 2), "did you mean first_price"),
    (lambda: SingleItemAuction("first_price", 2, reserve=-1), "reserve"),
    (lambda: PositionAuction("gsp", (), 2), "at least one slot"),
    (lambda: PositionAuction("gsp", (1.0, -0.5), 2), ">= 0"),
    (lambda: PositionAuction("gsp", (1.0, 2.0), 2), "non-increasing"),
    (lambda: PositionAuction("gps", (1.0,), 2), "did you mean gsp"),
    (lambda: PositionAuction("gsp", (1.0,), 2, quality=(1.0, 0.0)), "quality"),
    (lambda: LLGAuction("nearest_vgc"), "nearest_vcg"),
    (lambda: outcome(SingleItemAuction("first_price", 2), np.array([0.1, np.nan])), "NaN"),
    (lambda: outcome(SingleItemAuction("first_price", 2), np.array([0.1, 0.2, 0.3])), r"\[\.\.\., 2\]"),
    (lambda: outcome(SingleItemAuction("first_price", 2), np.array([0.1, -0.2])), ">= 0"),
    (lambda: utilities(SingleItemAuction("first_price", 2), np.array([np.inf, 1]), np.ones(2)), "values"),
    (lambda: mechanism_by_name("gsp", n_bidders=2), "ctr"),
    (lambda: mechanism_by_name("first-price"), "n_bidders"),
])
def test_errors_are_one_line(build, match: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(GameError, match=match) as info:
        build()
    assert "\n" not in str(info.value)


def test_mechanism_names() -> None:
    assert mechanism_by_name("Vickrey", n_bidders=2) == SingleItemAuction("second_price", 2)
    assert mechanism_by_name("fpa", n_bidders=3, reserve=0.5) == SingleItemAuction("first_price", 3, 0.5)
    assert mechanism_by_name("ALL-PAY", n_bidders=2).rule == "all_pay"
    assert mechanism_by_name("llg-nearest-vcg") == LLGAuction("nearest_vcg")
    assert mechanism_by_name("LLG_First_Price") == LLGAuction("first_price")
    assert mechanism_by_name("gsp", n_bidders=3, ctr=[2, 1]) == PositionAuction("gsp", (2.0, 1.0), 3)
    with pytest.raises(GameError, match="did you mean"):
        mechanism_by_name("vickery", n_bidders=2)


# -- bid functions --------------------------------------------------------------------------------------------------


def test_bid_function_interpolates_and_clamps() -> None:
    f = BidFunction(np.array([0.0, 0.5, 1.0]), np.array([0.0, 0.25, 0.5]))
    np.testing.assert_allclose(f(np.array([-1.0, 0.2, 0.75, 3.0])), [0.0, 0.1, 0.375, 0.5])
    out = jax.jit(lambda g, v: g(v))(f, jnp.array([0.2, 0.75]))
    assert isinstance(out, jax.Array)
    np.testing.assert_allclose(np.asarray(out), [0.1, 0.375], rtol=1e-6)
    assert truthful(0.3) == 0.3
    with pytest.raises(GameError, match="increasing"):
        BidFunction(np.array([0.0, 0.0]), np.array([0.0, 1.0]))


# -- NumPy and JAX ---------------------------------------------------------------------------------------------------

_MECHANISMS = [
    SingleItemAuction("first_price", 4, 0.2), SingleItemAuction("second_price", 4, 0.2),
    SingleItemAuction("all_pay", 4, 0.2), PositionAuction("gsp", (3.0, 2.0, 0.5), 4, reserve=0.1),
    PositionAuction("vcg", (3.0, 2.0, 0.5), 4, reserve=0.1),
    PositionAuction("gsp", (3.0, 2.0), 4, quality=(1.0, 0.5, 2.0, 1.5)),
    PositionAuction("vcg", (3.0, 2.0), 4, quality=(1.0, 0.5, 2.0, 1.5)),
    *[LLGAuction(rule) for rule in ("vcg", "nearest_vcg", "nearest_bid", "proxy", "first_price")],
    PositionAuction("vcg", (3.0, 2.0, 1.0), 10, reserve=0.1),  # past _PAIRWISE_MAX: ranks from sorts
    PositionAuction("gsp", (3.0, 2.0, 1.0), 10, quality=tuple(np.linspace(0.5, 2.0, 10))),
]


@pytest.mark.parametrize("mechanism", _MECHANISMS, ids=lambda m: f"{type(m).__name__}-{m.rule}")
def test_numpy_and_jax_agree(mechanism: object) -> None:
    rng = np.random.default_rng(7)
    n = mechanism.n_bidders  # type: ignore[attr-defined]
    bids = np.round(rng.random((256, n)), 1)  # rounded: ties and reserve boundaries occur
    values = rng.random((256, n))
    expected = outcome(mechanism, bids)  # type: ignore[arg-type]
    with jax.enable_x64(True):
        # one jitted call: eager JAX would compile every operation on its own
        got, u = jax.jit(lambda b, v: (outcome(mechanism, b), utilities(mechanism, v, b)))(  # type: ignore
            jnp.asarray(bids), jnp.asarray(values))
        assert isinstance(got.payments, jax.Array)
        np.testing.assert_allclose(np.asarray(got.allocation), expected.allocation, atol=1e-12)
        np.testing.assert_allclose(np.asarray(got.payments), expected.payments, atol=1e-12)
        np.testing.assert_allclose(np.asarray(u), utilities(mechanism, values, bids), atol=1e-12)  # type: ignore


def test_gradients_flow_through_first_price() -> None:
    a = SingleItemAuction("first_price", 2)
    grad = jax.jit(jax.grad(lambda b: utilities(a, jnp.array([1.0, 0.5]), b)[0]))(jnp.array([0.6, 0.4]))
    np.testing.assert_allclose(np.asarray(grad), [-1.0, 0.0])
    # risk-averse: d/db (1 - b)**0.5 = -0.5 / sqrt(0.4); the loser's zero surplus gives 0, not NaN
    grad = jax.jit(jax.grad(lambda b: utilities(a, jnp.array([1.0, 0.5]), b, risk=0.5).sum()))(
        jnp.array([0.6, 0.4]))
    np.testing.assert_allclose(np.asarray(grad), [-0.5 / np.sqrt(0.4), 0.0], rtol=1e-6)


def test_a_mechanism_is_a_jit_argument() -> None:
    run = jax.jit(lambda m, b: outcome(m, b).payments)
    np.testing.assert_allclose(np.asarray(run(LLGAuction("proxy"), jnp.array([0.6, 0.3, 0.5]))), [0.25, 0.25, 0])
    np.testing.assert_allclose(np.asarray(run(SingleItemAuction("second_price", 2), jnp.array([0.6, 0.3]))),
                               [0.3, 0.0], rtol=1e-6)


def test_a_million_profiles_in_one_jitted_call() -> None:
    a = PositionAuction("gsp", (3.0, 2.0, 1.0), 5)
    bids = jax.random.uniform(jax.random.key(0), (1_000_000, 5))
    total = jax.jit(lambda b: revenue(outcome(a, b)).mean())(bids)
    # expected GSP revenue, truthful U[0,1] bids: sum_j ctr_j E[(j+2)-th highest of 5] = (3*4 + 2*3 + 1*2) / 6
    assert float(total) == pytest.approx(20 / 6, rel=5e-3)


@pytest.mark.parametrize("rule", ["gsp", "vcg"])
@pytest.mark.parametrize("quality", [None, (1.0, 0.5, 2.0, 1.5, 1.0)])
def test_pairwise_and_sorted_rankings_agree(rule: str, quality: tuple[float, ...] | None,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from equilibria.games import auctions

    a = PositionAuction(rule, (3.0, 2.0, 1.0), 5, quality=quality, reserve=0.2)
    bids = np.round(np.random.default_rng(3).random((500, 5)), 1)  # many ties
    pairwise = outcome(a, bids), position_slots(a, bids)
    monkeypatch.setattr(auctions, "_PAIRWISE_MAX", 0)
    np.testing.assert_array_equal(position_slots(a, bids), pairwise[1])
    np.testing.assert_allclose(outcome(a, bids).payments, pairwise[0].payments, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(outcome(a, bids).allocation, pairwise[0].allocation, rtol=1e-13, atol=1e-13)
