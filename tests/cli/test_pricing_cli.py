"""`equilibria pricing`: Q-learning pricing sessions from the command line."""

from __future__ import annotations

import json

import pytest

from equilibria.cli import main

FAST = ["--prices", "5", "--beta", "2e-4", "--window", "500", "--sessions", "4", "--no-progress"]


def test_json_report_has_the_market_and_the_sessions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pricing", *FAST, "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    market = report["market"]
    assert round(market["nash_price"], 4) == 1.4729 and round(market["monopoly_price"], 4) == 1.925
    assert len(market["grid"]) == 5 and report["sessions"] == 4
    assert report["converged"] == 4 and sum(report["outcome_shares"].values()) == pytest.approx(1.0)
    assert report["parameters"]["beta"] == 2e-4 and report["parameters"]["convergence_window"] == 500


def test_same_seed_same_report_and_table_output(capsys: pytest.CaptureFixture[str]) -> None:
    main(["pricing", *FAST, "--format", "json"])
    first = json.loads(capsys.readouterr().out)
    main(["pricing", *FAST, "--format", "json"])
    second = json.loads(capsys.readouterr().out)
    first.pop("seconds"), second.pop("seconds")
    assert first == second
    assert main(["pricing", *FAST]) == 0
    out = capsys.readouterr().out
    assert "profit gain Delta: mean" in out and "Nash price 1.4729" in out


@pytest.mark.parametrize(("arguments", "message"), [
    (["--cost", "-1"], "cost must be >= 0"),
    (["--prices", "1"], "n_prices must be an integer >= 2"),
    (["--beta", "0"], "beta must be > 0"),
    (["--beta=-1e-6"], "beta must be > 0"),
    (["--alpha", "1.5"], "alpha must be in (0, 1]"),
    (["--discount", "1"], "delta must be in [0, 1)"),
    (["--seed", "-3"], "seed must be an integer >= 0"),
    (["--firms", "1"], "n must be >= 2"),
    (["--mu", "nan"], "argument --mu: expected a finite number"),
])
def test_bad_input_exits_2_with_one_line(arguments: list[str], message: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pricing", "--no-progress", *arguments]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and len(captured.err.strip().splitlines()) == 1 and captured.out == ""


# -- issue 15: --max-seconds ----------------------------------------------------------------------------------------
def test_pricing_max_seconds_reports_the_finished_sessions(capsys: pytest.CaptureFixture[str]) -> None:
    import time

    # Imports and compilation, waited for: on a cold numba cache (a fresh clone) compiling takes longer than any
    # short limit, and the timed call below must find the compiled sessions.
    main(["pricing", *FAST, "--format", "json"])
    capsys.readouterr()
    argv = ["pricing", "--sessions", "100000", "--no-progress", "--max-seconds", "0.5"]
    started = time.perf_counter()
    assert main([*argv, "--format", "json"]) == 0
    assert time.perf_counter() - started <= 1.5 * 0.5 + 1.0
    report = json.loads(capsys.readouterr().out)
    finished = report["finished"]
    assert report["sessions"] == 100_000 and 0 <= finished < 100_000 and not report["completed"]
    assert report["stopped_because"] == f"stopped at max_seconds=0.5: {finished} of 100000 sessions finished"
    assert report["converged"] <= finished
    if report["converged"]:
        assert sum(report["outcome_shares"].values()) == pytest.approx(1.0)
    assert main(argv) == 0
    assert "NOT COMPLETED: stopped at max_seconds=0.5: " in capsys.readouterr().out


def test_pricing_ample_max_seconds_changes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    main(["pricing", *FAST, "--format", "json"])
    plain = json.loads(capsys.readouterr().out)
    main(["pricing", *FAST, "--max-seconds", "600", "--format", "json"])
    timed = json.loads(capsys.readouterr().out)
    for report in (plain, timed):
        report.pop("seconds")
    assert plain == timed and plain["completed"] and plain["stopped_because"] is None and plain["finished"] == 4
