"""The `learning-bidders` reproduction: its quick configuration, run through the registry, passes every check and
writes its figures; a run started again computes only the treatments it had not checkpointed."""

from __future__ import annotations

import json

import equilibria.experiments.learning_bidders as learning_bidders  # registers the experiment
from equilibria.experiments import registry
from equilibria.experiments.runner import run_experiment


def test_quick_configuration_reproduces_the_paper_through_the_registry(tmp_path) -> None:
    experiment = registry()["learning-bidders"]
    assert experiment is learning_bidders.EXPERIMENT
    outcome = run_experiment(experiment, tmp_path, quick=True, show_progress=False)
    result = outcome.result
    failed = [c for c in result.checks if not c.passed]
    assert len(result.checks) == 9 and not failed, failed
    json.dumps(result.to_json())
    for figure in result.figures:
        assert (tmp_path / "learning-bidders" / figure.path).stat().st_size > 1000
    treatments = result.summary["treatments"]
    fp, sp = treatments["Q-learning, first-price"], treatments["Q-learning, second-price"]
    assert fp["revenue_mean"] < sp["revenue_mean"] and fp["collusion_mean"] > sp["collusion_mean"]
    assert len(result.tables[0].rows) == len(treatments) == 9

    # A killed run resumes: with the result and one treatment's checkpoint gone, only that treatment runs again
    # (the quickest one, so that the rerun costs little).
    directory = tmp_path / "learning-bidders"
    (directory / "result.json").unlink()
    cells = sorted((directory / "cells").glob("*.json"),
                   key=lambda c: json.loads(c.read_text())["result"]["seconds"])
    assert len(cells) == 9
    cells[0].unlink()
    kept = {c.name: c.stat().st_mtime_ns for c in cells[1:]}
    again = run_experiment(experiment, tmp_path, quick=True, show_progress=False)
    assert again.units == (8, 9) and cells[0].exists()
    assert {c.name: c.stat().st_mtime_ns for c in cells[1:]} == kept
    assert again.result.summary["treatments"].keys() == treatments.keys()
    for label, r in again.result.summary["treatments"].items():  # the same numbers, but for the time taken
        assert {k: v for k, v in r.items() if k != "seconds"} == {k: v for k, v in treatments[label].items()
                                                                  if k != "seconds"}


def test_full_configuration_is_the_papers_scale() -> None:
    full, quick = learning_bidders.EXPERIMENT.full, learning_bidders.EXPERIMENT.quick
    assert (full.seeds, full.periods, full.n_bids) == (1000, 1_000_000, 21)
    assert quick.seeds * quick.periods < full.seeds * full.periods / 100
