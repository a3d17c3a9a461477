"""`equilibria auction`: the JSON contract of outcomes, the EOS equilibrium and Bayes-Nash bidding, every number
recomputed from the printed bids or bid functions, and one-line errors with exit code 2."""

from __future__ import annotations

import json

import numpy as np
import pytest

from equilibria.cli import main
from equilibria.games import auctions
from equilibria.metrics.position_auctions import nash_regret


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_eos_example_from_the_literature(capsys: pytest.CaptureFixture[str]) -> None:
    # Edelman, Ostrovsky and Schwarz (2007): CTRs (200, 100), values (10, 4, 2): the lowest locally envy-free
    # equilibrium bids (-, 3, 2) (the top bid is free above 3: printed as the value) and earns VCG's 800.
    code, out, _ = run(capsys, "auction", "gsp", "--ctr", "200,100", "--values", "10,4,2", "--equilibrium", "eos",
                       "--format", "json")
    document = json.loads(out)
    assert code == 0 and document["bids"][1:] == [3.0, 2.0] and document["bids"][0] == 10.0
    assert document["revenue"] == 800.0 == document["vcg_revenue"]
    assert document["slots"] == [0, 1, None] and document["prices_per_click"] == [3.0, 2.0, 0.0]
    auction = auctions.PositionAuction("gsp", (200.0, 100.0), 3)
    assert document["nash_regret"] == nash_regret(auction, [10, 4, 2], document["bids"]).max_gain == 0.0
    # Truthful GSP earns 1,000 here (and is an equilibrium too: bidder 0 would earn 800 < 1,200 one slot lower).
    code, out, _ = run(capsys, "auction", "gsp", "--ctr", "200,100", "--values", "10,4,2", "--format", "json")
    document = json.loads(out)
    assert document["truthful"] and document["revenue"] == 1000.0 and document["payments"] == [800.0, 200.0, 0.0]


def test_outcomes_of_single_item_and_llg_auctions(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "auction", "vickrey", "--values", "3,5,1", "--format", "json")
    document = json.loads(out)
    assert code == 0 and document["format"] == "second_price"
    assert document["allocation"] == [0.0, 1.0, 0.0] and document["payments"] == [0.0, 3.0, 0.0]
    assert document["utilities"] == [0.0, 2.0, 0.0] and document["revenue"] == 3.0 and document["welfare"] == 5.0
    # Ties split the item: two bids of 5 in a first-price auction with a reserve of 1.
    code, out, _ = run(capsys, "auction", "fpa", "--values", "6,6,2", "--bids", "5,5,2", "--reserve", "1",
                       "--format", "json")
    document = json.loads(out)
    assert document["allocation"] == [0.5, 0.5, 0.0] and document["payments"] == [2.5, 2.5, 0.0]
    assert document["utilities"] == [0.5, 0.5, 0.0] and document["revenue"] == 5.0
    # LLG, nearest-VCG: the locals win (0.5 + 0.6 > 0.9); VCG payments (0.3, 0.4) raised equally to the core.
    code, out, _ = run(capsys, "auction", "llg-nearest-vcg", "--values", "0.5,0.6,0.9", "--format", "json")
    document = json.loads(out)
    assert document["allocation"] == [1.0, 1.0, 0.0]
    np.testing.assert_allclose(document["payments"], [0.4, 0.5, 0.0], atol=1e-12)
    code, out, _ = run(capsys, "auction", "gsp", "--ctr", "200,100", "--values", "10,4,2")
    assert code == 0 and "revenue 1000" in out


def _bne(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    code, out, _ = run(capsys, "auction", *argv, "--bne", "--max-seconds", "0.5", "--format", "json")
    document = json.loads(out)
    assert code == 0 and document["certificate"] == "utility_loss"
    n = len(document["priors"])
    assert len(document["bid_functions"]) == n and len(document["utility_loss"]) == n
    assert len(document["utility_loss_held_out"]) == n and len(document["utility_loss_held_out_stderr"]) == n
    for function in document["bid_functions"]:
        values, bids = np.array(function["values"]), np.array(function["bids"])
        assert values.shape == bids.shape and np.all(np.diff(values) > 0) and np.all(np.diff(bids) >= 0)
    # A short run (each format compiles its first sweep, which a budget cannot interrupt): a stopped run says so.
    assert document["converged"] is (document["stopped_because"] is None)
    assert document["converged"] or "max_seconds=0.5" in document["stopped_because"]
    return document


# One in-process call per format, each with a 0.5 s budget: the contract, not the equilibrium (the solver's tests
# certify those). Every number read back is checked against the bids printed.
def test_bayes_nash_first_price_with_a_reserve(capsys: pytest.CaptureFixture[str]) -> None:
    document = _bne(capsys, "first-price", "--priors", "uniform:0:1", "--bidders", "2", "--reserve", "0.25")
    assert document["priors"] == ["uniform:0:1"] * 2
    for function in document["bid_functions"]:
        values, bids = np.array(function["values"]), np.array(function["bids"])
        # truthful start, damped best responses below it (under the reserve any bid loses: no claim there)
        assert np.all((bids <= values + 1e-12)[values >= 0.25])
    assert len(document["l2_to_analytic"]) == 2  # the closed form with a reserve is known here


def test_bayes_nash_second_price_and_all_pay(capsys: pytest.CaptureFixture[str]) -> None:
    document = _bne(capsys, "second-price", "--priors", "uniform:0:1,uniform:0:2")
    # Truthful bidding is dominant and the run starts there; one damped sweep moves it only where the sampled
    # utility is flat (the largest of several maximisers), so the loss stays near 0, far below the tolerance.
    assert max(document["utility_loss"]) < 1e-4 and document["converged"]
    # bidder 1 (values up to 2) wins with any bid above bidder 0's top bid 1: there its bid is free (no L2 claim)
    assert document["l2_to_analytic"][0] < 0.02 and len(document["l2_to_analytic"]) == 2
    document = _bne(capsys, "all-pay", "--priors", "uniform:0:1", "--bidders", "2")
    assert len(document["l2_to_analytic"]) == 2 and all(d >= 0 for d in document["l2_to_analytic"])
    assert document["revenue"] > 0


@pytest.mark.parametrize(("argv", "message"), [
    (("gsp", "--values", "10,4,2"), "--ctr"),
    (("gsp", "--values", "10,4,2", "--ctr", "100,200"), "non-increasing"),
    (("first-price", "--values", "1,2", "--ctr", "1"), "not a position auction"),
    (("first-price", "--values", "1,2", "--bids", "1"), "one bid per bidder"),
    (("vcg", "--values", "1,2", "--ctr", "2,1", "--equilibrium", "eos"), "not gsp"),
    (("frist-price", "--values", "1"), "first_price"),
    (("llg-nearest-vcg", "--values", "0.5,0.6"), "3 bidders"),
    (("first-price", "--values", "1,nan"), "finite number"),
    (("gsp", "--values", "1,-2", "--ctr", "1"), ">= 0"),
    (("first-price", "--bne"), "--priors"),
    (("first-price", "--bne", "--priors", "uniform:1:0"), "uniform"),
    (("first-price", "--bne", "--priors", "uniform:0:1,uniform:0:1", "--bidders", "3"), "one prior"),
    (("gsp", "--bne", "--priors", "uniform:0:1", "--bidders", "2", "--ctr", "1"), "single-item"),
    (("first-price", "--priors", "uniform:0:1", "--values", "1"), "--bne"),
])
def test_bad_input_gives_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...],
                                             message: str) -> None:
    code, out, err = run(capsys, "auction", *argv)
    assert code == 2 and not out
    assert err.count("\n") == 1 and message in err, err
