"""``run_all(..., max_seconds=S)`` (``reproduce --max-seconds``): every registered reproduction returns within
1.5 S + 1 s with the experiment marked stopped, never passed; a stopped reproduction resumes from the units it
checkpointed and then equals an uninterrupted run."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from equilibria.core.errors import GameError
from equilibria.experiments import Context, Experiment, ExperimentResult, registry
from equilibria.experiments.runner import OVERRIDES_VARIABLE, run_all
from tests.experiments.test_resume import LONG_REPRODUCTIONS, _results, _units

SECONDS = 0.5


@pytest.mark.parametrize("name", sorted(registry()))
def test_every_reproduction_stops_within_its_time_limit(name: str, tmp_path: Path) -> None:
    started = time.perf_counter()
    (outcome,) = run_all([registry()[name]], tmp_path, quick=False, show_progress=False, max_seconds=SECONDS)
    wall = time.perf_counter() - started
    assert wall <= 1.5 * SECONDS + 1.0, wall
    # no full configuration finishes in half a second (the child process alone takes a good part of it)
    assert not outcome.complete and not outcome.result.passed
    assert outcome.stopped_because is not None
    assert outcome.stopped_because.startswith(f"stopped at max_seconds={SECONDS:g}: ")
    assert outcome.stopped_because.endswith("units checkpointed; rerun to resume")
    entry = json.loads((tmp_path / "results.json").read_text())["experiments"][name]
    assert entry["complete"] is False and entry["passed"] is False
    assert entry["stopped_because"] == outcome.stopped_because == entry["summary"]["stopped_because"]
    assert "rerun to resume" in (tmp_path / "index.html").read_text()
    assert not (tmp_path / name / "result.json").exists()  # a stopped experiment leaves no result to reuse


def test_a_reproduction_stopped_by_its_time_limit_resumes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    name = "leduc-convergence"
    overrides = {**LONG_REPRODUCTIONS[name][0], "full_width_iterations": 12000}  # units of about a second
    monkeypatch.setenv(OVERRIDES_VARIABLE, json.dumps({name: overrides}))
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    monkeypatch.setenv("NUMBA_NUM_THREADS", "1")
    experiment = registry()[name]
    stopped, reference = tmp_path / "stopped", tmp_path / "reference"
    budget = 2.0
    while True:  # the child's start-up (imports, compilation) is this machine's: double the budget until a unit is in
        started = time.perf_counter()
        (outcome,) = run_all([experiment], stopped, quick=False, show_progress=False, max_seconds=budget)
        assert time.perf_counter() - started <= 1.5 * budget + 1.0
        assert not outcome.complete, f"finished within {budget} s: make its units longer"
        saved, begun = outcome.units
        if saved:
            break
        assert budget < 30, "no unit checkpointed within 30 s"
        budget *= 2
    before = _units(stopped, name)
    assert len(before) == saved < begun
    assert outcome.stopped_because == (f"stopped at max_seconds={budget:g}: {saved} of {begun} units checkpointed; "
                                       "rerun to resume")
    entry: dict[str, Any] = json.loads((stopped / "results.json").read_text())["experiments"][name]
    assert entry["complete"] is False and not entry["passed"] and "rerun to resume" in entry["stopped_because"]

    (resumed,) = run_all([experiment], stopped, quick=False, show_progress=False)
    assert resumed.complete and resumed.units == (saved, begun)
    assert {path: _units(stopped, name)[path] for path in before} == before  # neither recomputed nor rewritten
    entry = json.loads((stopped / "results.json").read_text())["experiments"][name]
    assert entry["complete"] is True and "stopped_because" not in entry

    (uninterrupted,) = run_all([experiment], reference, quick=False, show_progress=False)
    assert uninterrupted.units == (0, begun)
    assert _results(stopped, name) == _results(reference, name)


def test_a_time_limit_that_leaves_room_changes_nothing(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    experiment = registry()["minimax-stepper"]  # quick: a fraction of a second
    (limited,) = run_all([experiment], tmp_path / "limited", quick=True, show_progress=True, max_seconds=120)
    assert "reproduce" in capfd.readouterr().err  # the child's progress bars reach the user's stderr
    (plain,) = run_all([experiment], tmp_path / "plain", quick=True, show_progress=False)
    assert limited.complete and not limited.cached and limited.result.passed
    assert limited.result.to_json() == json.loads(json.dumps(plain.result.to_json()))
    (again,) = run_all([experiment], tmp_path / "limited", quick=True, show_progress=False, max_seconds=120)
    assert again.cached and again.complete


@pytest.mark.parametrize("max_seconds", [0, -1.0, float("nan"), float("inf"), True])
def test_a_bad_time_limit_is_refused(max_seconds: Any, tmp_path: Path) -> None:
    with pytest.raises(GameError, match="--max-seconds"):
        run_all([registry()["rps-cycling"]], tmp_path, quick=True, show_progress=False, max_seconds=max_seconds)


def test_a_time_limit_needs_the_local_backend(tmp_path: Path) -> None:
    with pytest.raises(GameError, match="--backend local"):
        run_all([], tmp_path, quick=True, show_progress=False, max_seconds=1.0, executor=_NotLocal())


class _NotLocal:
    name = "ray"

    def map_unordered(self, fn: Any, cells: Any) -> Any:
        raise AssertionError("never called")

    def close(self) -> None:
        pass


def test_a_bad_override_is_an_error_of_the_caller(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(OVERRIDES_VARIABLE, json.dumps({"rps-cycling": {"no_such_field": 1}}))
    with pytest.raises(GameError, match="no_such_field"):
        run_all([registry()["rps-cycling"]], tmp_path, quick=True, show_progress=False, max_seconds=5.0)


@dataclass(frozen=True)
class _Nothing:
    pass


def _fail(config: _Nothing, context: Context) -> ExperimentResult:
    raise GameError("broken: a one-line message")


def test_an_error_in_the_child_is_raised_by_the_caller(tmp_path: Path) -> None:
    broken = Experiment("broken", "Broken", "raises", full=_Nothing(), quick=_Nothing(), run=_fail)
    started = time.perf_counter()
    with pytest.raises(GameError, match="broken: a one-line message"):
        run_all([broken], tmp_path, quick=True, show_progress=False, max_seconds=60)
    assert time.perf_counter() - started < 30  # not at the deadline: as soon as the child said so
    assert not (tmp_path / "results.json").exists()
