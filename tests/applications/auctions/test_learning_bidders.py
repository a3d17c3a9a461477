"""Learning bidders in repeated auctions (Banchio and Skrzypacz 2022): stage tables from games/auctions, learners'
shapes and determinism per key, the paper's known answer on a shortened run, and the errors."""

from __future__ import annotations

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria.applications.auctions.learning_bidders import (
    AuctionTables,
    Exp3,
    Hedge,
    QLearning,
    RegretMatching,
    auction_tables,
    bid_grid,
    collusion_index,
    joint_profiles,
    run_bidders,
)
from equilibria.core.errors import GameError, NotApplicableError
from equilibria.games.auctions import SingleItemAuction

# Every compiled structure once (stateless bandit Q-learning is compiled by the tests below); ~2 s of compiling each.
LEARNERS = (QLearning(beta=1e-3, state="last_bids"), QLearning(feedback="winning_bid", state="last_bids"),
            QLearning(feedback="winning_bid"), Hedge(), Exp3(), RegretMatching(plus=True))


def test_tables_are_the_auction_rules_on_the_grid() -> None:
    """Bids (0, 0.5, 1), values 1: first price pays the own bid, second price the other bid, ties split the item."""
    grid = (0.0, 0.5, 1.0)
    first = auction_tables(SingleItemAuction("first_price", 2), (1.0, 1.0), grid)
    # joint index = 3 * a_0 + a_1; bidder 0's utility
    np.testing.assert_allclose(first.utility[0].reshape(3, 3), [[0.5, 0, 0], [0.5, 0.25, 0], [0, 0, 0]])
    np.testing.assert_allclose(first.revenue.reshape(3, 3), [[0, 0.5, 1], [0.5, 0.5, 1], [1, 1, 1]])
    second = auction_tables(SingleItemAuction("second_price", 2), (1.0, 1.0), grid)
    np.testing.assert_allclose(second.utility[0].reshape(3, 3), [[0.5, 0, 0], [1, 0.25, 0], [1, 0.5, 0]])
    np.testing.assert_allclose(second.revenue.reshape(3, 3), [[0, 0, 0], [0, 0.5, 0.5], [0, 0.5, 1]])
    reserve = auction_tables(SingleItemAuction("second_price", 2, 0.5), (1.0, 1.0), grid)
    np.testing.assert_allclose(reserve.revenue.reshape(3, 3), [[0, 0.5, 0.5], [0.5, 0.5, 0.5], [0.5, 0.5, 1]])
    assert first.competitive_revenue == 1.0 and first.n_bidders == 2 and first.n_bids == 3
    assert bid_grid() == tuple(round(0.05 * k, 12) for k in range(21))
    assert joint_profiles(2, 3).tolist()[3] == [1, 0]  # bidder 0 most significant


@pytest.mark.parametrize("learner", LEARNERS, ids=lambda x: f"{type(x).__name__}-{getattr(x, 'state', '')}"
                         f"{getattr(x, 'feedback', '')}{getattr(x, 'plus', '')}")
def test_shapes_strategies_and_determinism_per_key(learner) -> None:
    tables = auction_tables(SingleItemAuction("first_price", 2), (1.0, 1.0), bid_grid(5))
    run = run_bidders(tables, learner, periods=300, seeds=3, key=7, checkpoints=3)
    assert run.periods.tolist() == [100, 200, 300] and run.completed and run.stopped_because is None
    assert run.mean_bids.shape == (3, 3, 2) and run.strategy_bids.shape == (3, 3, 2)
    assert run.revenue.shape == (3, 3) and run.strategy_revenue.shape == (3, 3) and run.strategies.shape == (3, 2, 5)
    np.testing.assert_allclose(run.strategies.sum(axis=-1), 1.0, atol=1e-9)
    assert np.all((run.mean_bids >= 0) & (run.mean_bids <= 1)) and np.all((run.revenue >= 0) & (run.revenue <= 1))
    if isinstance(learner, QLearning):  # greedy bids: one-hot strategies, on the grid
        assert set(np.unique(run.strategies)) <= {0.0, 1.0}
    if isinstance(learner, Exp3):  # the exploration floor
        assert run.strategies.min() >= learner.exploration / 5 - 1e-6
    again = run_bidders(tables, learner, periods=300, seeds=3, key=7, checkpoints=3)
    np.testing.assert_array_equal(again.mean_bids, run.mean_bids)
    np.testing.assert_array_equal(again.strategies, run.strategies)
    other = run_bidders(tables, learner, periods=300, seeds=3, key=8, checkpoints=3)
    assert not np.array_equal(other.mean_bids, run.mean_bids)


def test_a_seed_is_the_same_alone_or_beside_others_and_keys_may_be_ints() -> None:
    """Seed k draws the same stream whatever the number of seeds beside it; an int key is ``PRNGKey(int)``."""
    tables = auction_tables(SingleItemAuction("second_price", 2), (1.0, 1.0), bid_grid(5))
    batch = run_bidders(tables, QLearning(beta=1e-3), periods=300, seeds=3, key=3, checkpoints=3)
    alone = run_bidders(tables, QLearning(beta=1e-3), periods=300, seeds=1, key=jax.random.PRNGKey(3), checkpoints=3)
    np.testing.assert_allclose(alone.mean_bids[0], batch.mean_bids[0], rtol=1e-6)
    np.testing.assert_array_equal(alone.strategies[0], batch.strategies[0])


def test_paper_known_answer_first_price_collusion_second_price_competition() -> None:
    """Banchio and Skrzypacz: first-price Q-learners end far below the value 1, second-price winners near it.

    Shortened run (measured: 32 seeds x 20,000 periods, exploration exp(-2e-4 t), i.e. 1.8% at the end): first-price
    mean winning bid 0.07 (none above 0.25), second-price winning bids all in [0.9, 1] (mean 0.99).
    """
    learner = QLearning(beta=2e-4)
    runs = {}
    for rule in ("first_price", "second_price"):
        tables = auction_tables(SingleItemAuction(rule, 2))
        runs[rule] = run_bidders(tables, learner, periods=20_000, seeds=32, key=1, checkpoints=2)
    fp_win = runs["first_price"].final_bids.max(axis=1)
    sp_win = runs["second_price"].final_bids.max(axis=1)
    assert fp_win.mean() < 0.3 and sp_win.mean() > 0.9 and np.quantile(sp_win, 0.1) >= 0.9
    fp_rev, sp_rev = runs["first_price"].final_revenue, runs["second_price"].final_revenue
    # first-price revenue is the winning bid; second-price revenue the losing bid
    np.testing.assert_allclose(fp_rev, fp_win, atol=1e-6)
    np.testing.assert_allclose(sp_rev, runs["second_price"].final_bids.min(axis=1), atol=1e-6)
    assert sp_rev.mean() - fp_rev.mean() > 0.3
    assert runs["first_price"].collusion.mean() > 0.7


def test_full_information_no_regret_bidders_compete_in_first_price() -> None:
    """Hedge and regret matching+ see every bid's reward. On the grid (0, 0.25, 0.5, 0.75, 1) with value 1 the
    first-price stage game's Nash equilibria are both bidding 0.5 or both 0.75: no seed ends below 0.5."""
    tables = auction_tables(SingleItemAuction("first_price", 2), (1.0, 1.0), bid_grid(5))
    for learner in (Hedge(learning_rate=0.5), RegretMatching(plus=True)):
        run = run_bidders(tables, learner, periods=3_000, seeds=3, key=0, checkpoints=30)  # the shapes above
        assert run.final_revenue.min() >= 0.5 - 1e-3, (learner, run.final_revenue)
        assert run.final_bids.max(axis=1).min() >= 0.5 - 1e-3


def test_collusion_index() -> None:
    np.testing.assert_allclose(collusion_index([1.0, 0.25, 0.0], 1.0), [0.0, 0.75, 1.0])
    with pytest.raises(GameError, match="competitive_revenue"):
        collusion_index(0.5, 0.0)


@settings(max_examples=6, deadline=None)
@given(st.lists(st.floats(-1, 1), min_size=50, max_size=50), st.lists(st.floats(0, 1), min_size=25, max_size=25))
def test_any_stage_table_gives_valid_strategies_and_revenue_in_range(utility, revenue) -> None:
    """Random stage games (2 bidders x 5 bids): strategies are distributions, expected revenue within the table's.
    (The shapes of the tests above, so nothing compiles again.)"""
    table = AuctionTables(np.array(bid_grid(5)), np.ones(2), np.array(utility).reshape(2, 25), np.array(revenue), 1.0,
                          None)
    for learner in (QLearning(beta=1e-2, state="last_bids"), RegretMatching(plus=True)):
        run = run_bidders(table, learner, periods=300, seeds=3, key=0, checkpoints=3)
        np.testing.assert_allclose(run.strategies.sum(axis=-1), 1.0, atol=1e-9)
        assert np.all(run.strategy_revenue >= min(revenue) - 1e-9)
        assert np.all(run.strategy_revenue <= max(revenue) + 1e-9)
        assert np.all((run.revenue >= min(revenue) - 1e-6) & (run.revenue <= max(revenue) + 1e-6))


def test_max_seconds_stops_between_checkpoints() -> None:
    tables = auction_tables(SingleItemAuction("first_price", 2), (1.0, 1.0), bid_grid(5))
    run = run_bidders(tables, QLearning(), periods=1_000, seeds=1, checkpoints=10, max_seconds=1e-9)
    assert not run.completed and run.stopped_because == "max_seconds" and run.periods.tolist() == [100]


def test_bad_input_is_one_line_naming_the_argument() -> None:
    tables = auction_tables(SingleItemAuction("first_price", 2), (1.0, 1.0), bid_grid(5))
    cases = [(QLearning(alpha=0.0), "alpha"), (QLearning(discount=1.0), "discount"), (QLearning(beta=-1.0), "beta"),
             (QLearning(state="history"), "state"), (Exp3(exploration=2.0), "exploration"),
             (Hedge(learning_rate=0.0), "learning_rate")]
    for learner, name in cases:
        with pytest.raises(GameError, match=name):
            run_bidders(tables, learner, periods=10)
    with pytest.raises(NotApplicableError, match="winning_bid"):
        run_bidders(tables, Hedge(feedback="bandit"), periods=10)
    with pytest.raises(NotApplicableError, match="winning_bid"):
        run_bidders(tables, RegretMatching(feedback="bandit"), periods=10)
    with pytest.raises(GameError, match="checkpoints"):
        run_bidders(tables, QLearning(), periods=5, checkpoints=6)
    with pytest.raises(GameError, match="periods"):
        run_bidders(tables, QLearning(), periods=0)
    with pytest.raises(GameError, match="max_seconds"):
        run_bidders(tables, QLearning(), periods=10, max_seconds=-1.0)
    with pytest.raises(GameError, match="tables"):
        run_bidders("first-price", QLearning(), periods=10)  # type: ignore[arg-type]
    with pytest.raises(GameError, match="values"):
        auction_tables(SingleItemAuction("first_price", 3), (1.0, 1.0))
    with pytest.raises(GameError, match="bids"):
        auction_tables(SingleItemAuction("first_price", 2), (1.0, 1.0), (0.5, 0.2))
    with pytest.raises(GameError, match="n_bids"):
        bid_grid(1)
