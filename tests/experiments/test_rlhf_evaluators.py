"""The `rlhf-evaluators` reproduction: its quick configuration passes every check (quality grows with the label
budget; each evaluator defect lowers quality or biases the learned reward in its model's direction), writes its
figures, and a run started again computes only the evaluators it had not checkpointed."""

from __future__ import annotations

import json

import equilibria.experiments.rlhf_evaluators as rlhf_evaluators
from equilibria.experiments.runner import run_experiment


def test_quick_configuration_passes_its_checks_and_resumes(tmp_path) -> None:
    experiment = rlhf_evaluators.EXPERIMENT
    outcome = run_experiment(experiment, tmp_path, quick=True, show_progress=False)
    result = outcome.result
    failed = [c for c in result.checks if not c.passed]
    assert len(result.checks) == 9 and not failed, failed
    json.dumps(result.to_json())
    for figure in result.figures:
        assert (tmp_path / "rlhf-evaluators" / figure.path).stat().st_size > 1000
    evaluators = result.summary["evaluators"]
    assert len(evaluators) == len(result.tables[0].rows) == 8
    framing = next(v for k, v in evaluators.items() if k.startswith("framing"))
    rational = evaluators["Boltzmann, T = 1"]
    # The framed evaluator's reward weighs length (gold does not); the rational one's does not.
    assert framing["length_ratio"][-1]["mean"] > 0.3 > abs(rational["length_ratio"][-1]["mean"])

    directory = tmp_path / "rlhf-evaluators"
    (directory / "result.json").unlink()
    cells = sorted((directory / "cells").glob("*.json"))
    assert len(cells) == 8
    cells[0].unlink()
    kept = {c.name: c.stat().st_mtime_ns for c in cells[1:]}
    again = run_experiment(experiment, tmp_path, quick=True, show_progress=False)
    assert again.units == (7, 8) and cells[0].exists()
    assert {c.name: c.stat().st_mtime_ns for c in cells[1:]} == kept
    assert again.result.summary == result.summary  # seeded: the recomputed evaluator gives the same numbers


def test_full_configuration_is_larger() -> None:
    full, quick = rlhf_evaluators.EXPERIMENT.full, rlhf_evaluators.EXPERIMENT.quick
    assert full.seeds >= 20 and max(full.budgets) >= 30_000
    assert quick.seeds * max(quick.budgets) < full.seeds * max(full.budgets) / 10
