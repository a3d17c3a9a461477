"""The reproduction runner: results, report, checkpoints that let a killed run resume, atomic files."""

import json
import os
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest

from equilibria.core.errors import GameError
from equilibria.core.files import write_atomic
from equilibria.experiments import Check, Experiment, ExperimentResult, Table
from equilibria.experiments.runner import OVERRIDES_VARIABLE, apply_overrides, check_output_dir, run_all


@dataclass(frozen=True)
class CountConfig:
    n: int


def make_experiment(calls: list, fail: bool = False) -> Experiment:
    def run(config, context):
        calls.append(config.n)
        total = 0
        for k in context.track(range(config.n), "counting"):
            total += k
        if fail:
            raise RuntimeError("killed mid-run")
        fig, ax = plt.subplots()
        ax.plot(range(config.n))
        figure = context.save_figure(fig, "line.png", "a line")
        return ExperimentResult({"total": total}, (Check("sum", "45", str(total), total == 45),),
                                (Table("t", ("k",), ((1,), (2,))),), (figure,))

    return Experiment("count", "Counting", "sums numbers", full=CountConfig(10), quick=CountConfig(3), run=run)


def test_run_writes_report_results_and_figures(tmp_path):
    calls = []
    outcomes = run_all([make_experiment(calls)], tmp_path, quick=False, show_progress=False)
    assert calls == [10] and outcomes[0].result.passed
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["experiments"]["count"]["summary"] == {"total": 45}
    html = (tmp_path / "index.html").read_text()
    assert "Counting" in html and "count/line.png" in html and "reproduced" in html
    assert (tmp_path / "count" / "line.png").stat().st_size > 0


def test_checkpoint_is_reused_and_invalidated_by_config(tmp_path):
    calls = []
    experiment = make_experiment(calls)
    run_all([experiment], tmp_path, quick=False, show_progress=False)
    again = run_all([experiment], tmp_path, quick=False, show_progress=False)
    assert calls == [10] and again[0].cached
    quick = run_all([experiment], tmp_path, quick=True, show_progress=False)  # other config: runs again
    assert calls == [10, 3] and not quick[0].cached and not quick[0].result.passed
    run_all([experiment], tmp_path, quick=False, show_progress=False, resume=False)
    assert calls == [10, 3, 10]


def test_a_killed_experiment_leaves_no_checkpoint_and_resumes(tmp_path):
    calls = []
    with pytest.raises(RuntimeError):
        run_all([make_experiment(calls, fail=True)], tmp_path, quick=False, show_progress=False)
    assert not (tmp_path / "count" / "result.json").exists()
    outcomes = run_all([make_experiment(calls)], tmp_path, quick=False, show_progress=False)
    assert not outcomes[0].cached and outcomes[0].result.passed


def test_write_atomic_never_leaves_partial_files(tmp_path):
    target = tmp_path / "a" / "b.txt"
    write_atomic(target, "hello", parents=True)
    assert target.read_text() == "hello"
    assert [p.name for p in target.parent.iterdir()] == ["b.txt"]


# -- one report for every experiment run into a folder ----------------------------------------------------------------
def named_experiment(name: str, calls: list, n: int = 10) -> Experiment:
    def run(config, context):
        calls.append((name, config.n))
        return ExperimentResult({"n": config.n}, (Check(f"{name} ran", "yes", "yes", True),),
                                (Table(f"{name} table", ("k",), ((config.n,),)),))

    return Experiment(name, f"Title of {name}", f"what {name} does", full=CountConfig(n), quick=CountConfig(1),
                      run=run)


def test_rerunning_one_experiment_merges_it_into_the_existing_report(tmp_path):
    calls = []
    first, second = named_experiment("first", calls), named_experiment("second", calls)
    run_all([first, second], tmp_path, quick=False, show_progress=False)
    before = json.loads((tmp_path / "results.json").read_text())["experiments"]
    run_all([named_experiment("first", calls, n=7)], tmp_path, quick=False, show_progress=False)  # changed config
    after = json.loads((tmp_path / "results.json").read_text())["experiments"]
    assert list(after) == ["first", "second"]  # order kept, the rerun replaced its own entry in place
    assert after["second"] == before["second"]
    assert after["first"]["summary"] == {"n": 7} and before["first"]["summary"] == {"n": 10}
    html = (tmp_path / "index.html").read_text()
    assert 'id="first"' in html and 'id="second"' in html and "Title of second" in html
    assert "<td>7</td>" in html and "<td>10</td>" in html  # second's table kept, first's replaced
    run_all([named_experiment("third", calls)], tmp_path, quick=True, show_progress=False)
    merged = json.loads((tmp_path / "results.json").read_text())["experiments"]
    assert list(merged) == ["first", "second", "third"] and merged["third"]["quick"]
    assert calls == [("first", 10), ("second", 10), ("first", 7), ("third", 1)]


def test_a_damaged_results_file_is_replaced(tmp_path):
    (tmp_path / "results.json").write_text("{not json")
    run_all([named_experiment("first", [])], tmp_path, quick=False, show_progress=False)
    assert list(json.loads((tmp_path / "results.json").read_text())["experiments"]) == ["first"]


# -- the output folder is checked before any work ---------------------------------------------------------------------
@pytest.mark.parametrize("where", ["file", "below a file", "/proc", "/proc/equilibria-report", "/sys/equilibria"])
def test_an_unwritable_output_folder_fails_before_any_work(tmp_path, where):
    if where.startswith("/") and not Path("/proc/self").exists():
        pytest.skip("needs Linux's /proc and /sys")
    (tmp_path / "file").write_text("x")
    out = {"file": tmp_path / "file", "below a file": tmp_path / "file" / "report"}.get(where, Path(where))
    calls = []
    with pytest.raises(GameError, match=r"^reproduce --out: ") as error:
        run_all([make_experiment(calls)], out, quick=True, show_progress=False)
    assert calls == [] and "\n" not in str(error.value)
    with pytest.raises(GameError):
        check_output_dir(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_a_read_only_folder_fails_before_any_work(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        with pytest.raises(GameError, match="reproduce --out: cannot write to .*locked"):
            check_output_dir(locked / "report")
        assert not (locked / "report").exists()
    finally:
        locked.chmod(0o755)


def test_a_missing_output_folder_is_created_and_left_clean(tmp_path):
    out = check_output_dir(tmp_path / "a" / "b")
    assert out.is_dir() and list(out.iterdir()) == []  # the probe file is gone
    assert check_output_dir(out) == out  # an existing, writable folder is fine


@pytest.mark.parametrize("where", ["file", "/proc", "/proc/equilibria-report"])
def test_cli_refuses_an_unwritable_output_folder_with_exit_2(tmp_path, capsys, monkeypatch, where):
    from equilibria.cli import main
    from equilibria.experiments import runner

    ran = []
    monkeypatch.setattr(runner, "run_experiment", lambda *args, **kwargs: ran.append(args))
    if where.startswith("/") and not Path("/proc/self").exists():
        pytest.skip("needs Linux's /proc")
    (tmp_path / "file").write_text("x")
    out = str(tmp_path / "file") if where == "file" else where
    assert main(["reproduce", "minimax-stepper", "--quick", "--no-progress", "--out", out]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("equilibria: error: reproduce --out: ") and len(error.splitlines()) == 1
    assert ran == []  # refused before any experiment ran


# -- configuration overrides (the tests' way to run the full code path on a small problem) --------------------------
@dataclass(frozen=True)
class Inner:
    width: int = 3


@dataclass(frozen=True)
class Outer:
    n: int = 10
    names: tuple[str, ...] = ("a",)
    pairs: tuple[tuple[str, int], ...] = ()
    inner: Inner = Inner()


def test_overrides_replace_fields_nested_and_as_tuples():
    config = apply_overrides(Outer(), {"n": 2, "names": ["x", "y"], "pairs": [["p", 1]], "inner": {"width": 5}})
    assert config == Outer(2, ("x", "y"), (("p", 1),), Inner(5))
    with pytest.raises(GameError, match="Outer has no field 'm'; fields: inner, n, names, pairs"):
        apply_overrides(Outer(), {"m": 1})
    with pytest.raises(GameError, match=r"config.inner: Inner has no field 'depth'"):
        apply_overrides(Outer(), {"inner": {"depth": 1}})


def test_overrides_come_from_the_environment_and_mark_the_run(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setenv(OVERRIDES_VARIABLE, json.dumps({"count": {"n": 4}, "elsewhere": {"x": 1}}))
    outcome, = run_all([make_experiment(calls)], tmp_path, quick=False, show_progress=False)
    assert calls == [4] and outcome.overrides == {"n": 4}
    entry = json.loads((tmp_path / "results.json").read_text())["experiments"]["count"]
    assert entry["overrides"] == {"n": 4} and entry["summary"] == {"total": 6}
    assert "configuration overridden: n=4" in (tmp_path / "index.html").read_text()
    monkeypatch.setenv(OVERRIDES_VARIABLE, "{not json")
    with pytest.raises(GameError, match=f"{OVERRIDES_VARIABLE}: not JSON"):
        run_all([make_experiment(calls)], tmp_path, quick=False, show_progress=False)
    monkeypatch.setenv(OVERRIDES_VARIABLE, json.dumps({"count": {"nope": 1}}))
    with pytest.raises(GameError, match="CountConfig has no field 'nope'"):
        run_all([make_experiment(calls)], tmp_path, quick=False, show_progress=False)


# -- units of work ------------------------------------------------------------------------------------------------
def square_cell(cell):
    return {"square": cell["x"] ** 2}


def sweeping_experiment(calls: list) -> Experiment:
    def run(config, context):
        calls.append(config.n)
        results = context.sweep(square_cell, [{"x": x} for x in range(config.n)], "squares")
        total = sum(r["square"] for r in results)
        return ExperimentResult({"total": total}, (Check("sum of squares", "", str(total), True),))

    return Experiment("sweeping", "Sweeping", "squares numbers", full=CountConfig(4), quick=CountConfig(2), run=run)


def test_units_are_checkpointed_with_their_configuration_and_counted(tmp_path):
    calls = []
    experiment = sweeping_experiment(calls)
    first, = run_all([experiment], tmp_path, quick=False, show_progress=False)
    assert first.units == (0, 4)
    units = sorted((tmp_path / "sweeping" / "cells").glob("*.json"))
    assert len(units) == 4
    stamp = json.loads(units[0].read_text())["stamp"]
    assert stamp["experiment"] == "sweeping" and '"n": 4' in stamp["config"] and "version" in stamp
    units[0].unlink()
    (tmp_path / "sweeping" / "result.json").unlink()  # as if killed after three units
    resumed, = run_all([experiment], tmp_path, quick=False, show_progress=False)
    assert resumed.units == (3, 4) and resumed.result.summary == first.result.summary
    entry = json.loads((tmp_path / "results.json").read_text())["experiments"]["sweeping"]
    assert entry["units"] == {"resumed": 3, "total": 4}
    assert "3 of 4 units of work resumed from checkpoints" in (tmp_path / "index.html").read_text()
    quick, = run_all([experiment], tmp_path, quick=True, show_progress=False)  # another config: nothing reused
    assert quick.units == (0, 2)
    fresh, = run_all([experiment], tmp_path, quick=False, show_progress=False, resume=False)  # --fresh
    assert fresh.units == (0, 4) and not fresh.cached
    assert calls == [4, 4, 2, 4]


def test_a_check_built_from_a_numpy_comparison_is_written_as_json() -> None:
    import numpy as np

    check = Check("claim", "expected", "measured", np.float64(1.0) < 2.0)
    assert type(check.passed) is bool and json.loads(json.dumps({"passed": check.passed})) == {"passed": True}
