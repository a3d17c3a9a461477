"""The `credit-assignment` reproduction: its quick configuration, run through the registry, passes every check and
writes its figures; a run started again computes only the units it had not checkpointed."""

from __future__ import annotations

import json

import equilibria.experiments.credit_assignment as credit_assignment  # registers the experiment
from equilibria.experiments import registry
from equilibria.experiments.runner import run_experiment


def test_quick_configuration_passes_its_checks_and_resumes(tmp_path) -> None:
    experiment = registry()["credit-assignment"]
    assert experiment is credit_assignment.EXPERIMENT
    outcome = run_experiment(experiment, tmp_path, quick=True, show_progress=False)
    result = outcome.result
    failed = [c for c in result.checks if not c.passed]
    assert len(result.checks) == 7 and not failed, failed
    json.dumps(result.to_json())
    directory = tmp_path / "credit-assignment"
    for figure in result.figures:
        assert (directory / figure.path).stat().st_size > 1000
    quick = experiment.quick
    assert result.summary["agents"] == list(quick.agents) and len(result.tables[0].rows) == len(quick.agents)
    variance = result.summary["variance"][str(max(quick.agents))]
    assert variance["coma"] < variance["difference"] < variance["reinforce"]

    # A killed run resumes: with the result and one unit's checkpoint gone, only that unit runs again.
    (directory / "result.json").unlink()
    cells = sorted((directory / "cells").glob("*.json"))
    assert len(cells) == len(quick.agents) + 2
    cells[0].unlink()
    kept = {c.name: c.stat().st_mtime_ns for c in cells[1:]}
    again = run_experiment(experiment, tmp_path, quick=True, show_progress=False)
    assert again.units == (len(cells) - 1, len(cells)) and cells[0].exists()
    assert {c.name: c.stat().st_mtime_ns for c in cells[1:]} == kept
    assert again.result.summary["success"] == result.summary["success"]
    assert again.result.summary["variance"] == result.summary["variance"]


def test_full_configuration_spans_two_to_a_hundred_agents() -> None:
    full, quick = credit_assignment.EXPERIMENT.full, credit_assignment.EXPERIMENT.quick
    assert full.agents[0] == 2 and full.agents[-1] == 100 and full.seeds >= 200
    assert quick.seeds * quick.steps * len(quick.agents) < full.seeds * full.steps * len(full.agents) / 50
