"""`equilibria dynamics`: the JSON shape, plots, linear analysis and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from equilibria.cli import main
from tests.timing import first_within


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_reports_metrics_analysis_and_the_trajectory(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "dynamics", "bilinear", "--method", "gda", "--steps", "200", "--lr", "0.1",
                           "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["game"] == "bilinear" and doc["method"] == "gda" and doc["steps"] == 200
    assert doc["diverged"] is False and doc["diverged_at"] is None
    distance = doc["metrics"]["distance"]
    # sim-GDA grows the distance by sqrt(1 + 0.01) per step
    assert distance["last_iterate"] == pytest.approx(distance["start"] * 1.01 ** 100, rel=1e-9)
    assert doc["linear_analysis"]["spectral_radius"] == pytest.approx(1.01 ** 0.5, abs=1e-9)
    assert doc["linear_analysis"]["classification"] == "diverging"
    assert doc["trajectory"]["steps"][0] == 0 and doc["trajectory"]["steps"][-1] == 200
    assert len(doc["trajectory"]["params"]) == 2


def test_normal_form_games_run_through_their_mixed_extension(capsys: pytest.CaptureFixture[str],
                                                             tmp_path: Path) -> None:
    plot = tmp_path / "hedge.png"
    code, out, _ = run_cli(capsys, "dynamics", "rock-paper-scissors", "--method", "hedge", "--steps", "300",
                           "--lr", "0.1", "--plot", str(plot))
    assert code == 0
    assert "nash_conv" in out and "time average" in out
    assert plot.stat().st_size > 1000
    assert [p.name for p in tmp_path.iterdir()] == ["hedge.png"]  # no temporary file left behind


def test_phase_plane_plot_for_two_scalar_players(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    plot = tmp_path / "eg.svg"
    code, out, _ = run_cli(capsys, "dynamics", "dirac-gan", "--method", "extragradient", "--steps", "100",
                           "--plot", str(plot))
    assert code == 0 and plot.read_text().startswith("<?xml")
    assert "spectral radius" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["dynamics", "bilinear", "--method", "hedge"], "Simplex"),
    (["dynamics", "no-such-game", "--method", "gda"], "no-such-game"),
    (["dynamics", "bilinear", "--method", "gda", "--plot", "out.txt"], ".png, .pdf or .svg"),
    (["dynamics", "bilinear", "--method", "gda", "--plot", "/no/such/dir/x.png"], "does not exist"),
])
def test_bad_input_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str],
                                          message: str) -> None:
    code, out, err = run_cli(capsys, *argv)
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("argv", [
    ["dynamics", "bilinear", "--method", "nope"],
    ["dynamics", "bilinear", "--method", "gda", "--lr", "-1"],
    ["dynamics", "bilinear", "--method", "gda", "--steps", "0"],
])
def test_bad_options_are_usage_errors(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    assert main(argv) == 2  # main returns argparse's exit code instead of raising SystemExit
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_divergence_is_reported_not_hidden(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "dynamics", "bilinear", "--method", "gda", "--lr", "50", "--steps", "500",
                           "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["diverged"] is True and doc["diverged_at"] > 0
    assert "NaN" not in out and "Infinity" not in out


def test_record_every_divides_steps_and_bounds_the_records() -> None:
    from equilibria.dynamics.run import record_interval

    for steps in (1, 7, 500, 1000, 1013, 4096):
        k = record_interval(steps, 500)
        assert steps % k == 0 and steps // k <= 500 or k == steps


# -- issue 15: --max-seconds ----------------------------------------------------------------------------------------
def test_dynamics_max_seconds_stops_a_long_run_honestly(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["dynamics", "rock-paper-scissors", "--method", "gda", "--steps", "100000000", "--max-seconds", "0.5"]
    # Imports and compilations (which no time limit can interrupt) happen in a first call of the same command with
    # time to reach every program: with 0.5 s the linearisation's compile can spend the whole budget, leaving the
    # run's chunk and record programs to compile in the timed call (2.0 and 2.9 s in CI runs).
    main([*argv[:-1], "3", "--format", "json"])
    capsys.readouterr()
    wall, (code, out, _) = first_within(1.5 * 0.5 + 1.0, lambda: run_cli(capsys, *argv, "--format", "json"))
    assert wall <= 1.5 * 0.5 + 1.0
    report = json.loads(out)
    ran = report["steps_run"]
    assert code == 0 and 0 <= ran < 100_000_000 and not report["completed"]
    assert report["stopped_because"] == f"stopped at max_seconds=0.5 after {ran} of 100000000 steps"
    assert report["outcome"]["note"].startswith(report["stopped_because"])
    assert report["trajectory"]["steps"][-1] == ran
    code, out, _ = run_cli(capsys, *argv)
    assert code == 0 and "NOT COMPLETED: stopped at max_seconds=0.5 after " in out


def test_dynamics_without_max_seconds_is_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["dynamics", "bilinear", "--method", "extragradient", "--steps", "200", "--format", "json"]
    _, out, _ = run_cli(capsys, *argv)
    plain = json.loads(out)
    _, out, _ = run_cli(capsys, *argv, "--max-seconds", "600")
    timed = json.loads(out)
    assert plain["completed"] and plain["stopped_because"] is None and plain["steps_run"] == 200
    assert timed["completed"] and timed["trajectory"] == plain["trajectory"]
    assert timed["final"] == plain["final"]
