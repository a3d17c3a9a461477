"""Full-information Nash regret and local envy of position-auction bid profiles.

Known answers: EOS 2007's example of GSP's failure of truthfulness (CTRs 200 and 199, values 10, 4, 2: bidding 3
instead of 10 earns 1,592 instead of 1,200); with CTRs 200 and 100 truthful bidding is an equilibrium (no deviation
gains). Properties: VCG truthful bidding has zero regret and is individually rational; the exact regret is never
beaten by any sampled deviation and its reported best bid achieves it.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria.core.errors import GameError
from equilibria.games.auctions import PositionAuction, position_slots, utilities
from equilibria.metrics.position_auctions import envy_gap, local_envy, nash_regret

VALUES = np.array([10.0, 4.0, 2.0])


def test_eos_counterexample_to_truthful_gsp() -> None:
    auction = PositionAuction("gsp", (200, 199), 3)
    regret = nash_regret(auction, VALUES, VALUES)
    # bidder 0: truthful (10 - 4) * 200 = 1200; a bid in (2, 4) takes slot 1 at 2: (10 - 2) * 199 = 1592
    assert regret.max_gain == pytest.approx(392.0)
    np.testing.assert_allclose(regret.gains, [392.0, 0.0, 0.0])
    assert 2.0 < regret.best_bids[0] < 4.0 and regret.best_slots[0] == 1
    deviation = VALUES.copy()
    deviation[0] = regret.best_bids[0]
    assert utilities(auction, VALUES, deviation)[0] == pytest.approx(1592.0)


def test_truthful_gsp_with_ctrs_200_100_is_an_equilibrium() -> None:
    # the deviation that breaks truthfulness at (200, 199) earns (10 - 2) * 100 = 800 < 1200 here
    regret = nash_regret(PositionAuction("gsp", (200, 100), 3), VALUES, VALUES)
    assert regret.max_gain == 0.0
    np.testing.assert_array_equal(regret.best_slots, [0, 1, -1])


def test_a_profitable_upward_deviation() -> None:
    # bidder 1 (value 4) bids 1 and sits in slot 2 of 3 (CTRs 10, 9, 1); bidding above 3 takes slot 1 at 3
    auction = PositionAuction("gsp", (10, 9, 1), 3)
    values, bids = np.array([10.0, 4.0, 3.5]), np.array([10.0, 1.0, 3.0])
    regret = nash_regret(auction, values, bids)
    assert regret.gains[1] == pytest.approx(9 * (4 - 3) - 1 * (4 - 0))
    assert regret.best_slots[1] == 1 and 3.0 < regret.best_bids[1] < 10.0


def test_local_envy_of_the_eos_and_truthful_profiles() -> None:
    auction = PositionAuction("gsp", (200, 100), 3)
    assert envy_gap(auction, VALUES, np.array([10.0, 3.0, 2.0])) == 0.0
    np.testing.assert_allclose(local_envy(auction, VALUES, np.array([10.0, 3.0, 2.0])), [0, 0, 0])
    # bids (10, 2.5, 2): bidder 1 pays 200 in slot 1 and would take slot 0 at its payment 500: 800 - 500 - 200
    np.testing.assert_allclose(local_envy(auction, VALUES, np.array([10.0, 2.5, 2.0])), [0, 100, 0])


@st.composite
def _position_profiles(draw: st.DrawFn, rule: str) -> tuple[PositionAuction, np.ndarray]:
    n = draw(st.integers(1, 6))
    ctr = sorted(draw(st.lists(st.integers(0, 20), min_size=1, max_size=6)), reverse=True)  # ties occur
    quality = tuple(draw(st.lists(st.sampled_from([0.5, 1.0, 1.5, 2.0]), min_size=n, max_size=n))) \
        if draw(st.booleans()) else None
    reserve = draw(st.sampled_from([0.0, 0.0, 1.0, 2.5]))
    values = np.array(draw(st.lists(st.integers(0, 10), min_size=n, max_size=n)), dtype=float)
    return PositionAuction(rule, tuple(float(c) for c in ctr), n, quality, reserve), values


@settings(max_examples=120, deadline=None)
@given(_position_profiles("vcg"))
def test_vcg_truthful_bidding_has_no_regret_and_is_individually_rational(case: tuple[PositionAuction,
                                                                                    np.ndarray]) -> None:
    auction, values = case
    regret = nash_regret(auction, values, values)
    assert regret.max_gain <= 1e-9
    assert (utilities(auction, values, values) >= -1e-9).all()


@settings(max_examples=60, deadline=None)
@given(_position_profiles("gsp"), st.data())
def test_no_sampled_deviation_beats_the_exact_regret(case: tuple[PositionAuction, np.ndarray],
                                                     data: st.DataObject) -> None:
    auction, values = case
    n = auction.n_bidders
    bids = np.array(data.draw(st.lists(st.integers(0, 12), min_size=n, max_size=n)), dtype=float) / 2
    regret = nash_regret(auction, values, bids)
    current = utilities(auction, values, bids)
    grid = np.concatenate([np.linspace(0.0, 13.0, 261), bids, bids + 1e-7])
    for i in range(n):
        profiles = np.repeat(bids[None], grid.size, axis=0)
        profiles[:, i] = grid
        assert (utilities(auction, values, profiles)[:, i] - current[i] <= regret.gains[i] + 1e-9).all()
        best = bids.copy()
        best[i] = regret.best_bids[i]
        assert utilities(auction, values, best)[i] - current[i] == pytest.approx(regret.gains[i], abs=1e-9)
        assert position_slots(auction, best)[i] == regret.best_slots[i]


def test_errors() -> None:
    auction = PositionAuction("gsp", (2.0, 1.0), 3)
    with pytest.raises(GameError, match=r"shape \(3,\)"):
        nash_regret(auction, np.ones(2), np.ones(2))
    with pytest.raises(GameError, match="PositionAuction"):
        envy_gap("gsp", np.ones(3), np.ones(3))  # type: ignore[arg-type]
    with pytest.raises(GameError, match="NaN"):
        nash_regret(auction, np.ones(3), np.array([1.0, np.nan, 0.0]))
