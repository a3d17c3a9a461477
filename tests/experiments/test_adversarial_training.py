"""The `adversarial-training` reproduction: its quick configuration, run through the registry, passes every check and
writes its figures; a run started again computes only the units it had not checkpointed."""

from __future__ import annotations

import json

import equilibria.experiments.adversarial_training as adversarial_training  # registers the experiment
from equilibria.experiments import registry
from equilibria.experiments.runner import run_experiment


def test_quick_configuration_passes_its_checks_and_resumes(tmp_path) -> None:
    experiment = registry()["adversarial-training"]
    assert experiment is adversarial_training.EXPERIMENT
    outcome = run_experiment(experiment, tmp_path, quick=True, show_progress=False)
    result = outcome.result
    failed = [c for c in result.checks if not c.passed]
    assert len(result.checks) == 5 + len(experiment.quick.datasets) and not failed, failed
    json.dumps(result.to_json())
    directory = tmp_path / "adversarial-training"
    for figure in result.figures:
        assert (directory / figure.path).stat().st_size > 1000
    quick = experiment.quick
    accuracy = result.summary["accuracy"]
    assert set(accuracy) == {f"{d}/{m}" for d in quick.datasets for m in quick.methods}
    for entry in accuracy.values():  # the bracket, as summarised
        assert all(c <= a <= entry["clean"] for c, a in zip(entry["certified"], entry["attacked"], strict=True))

    # A killed run resumes: with the result and one unit's checkpoint gone, only that unit runs again.
    (directory / "result.json").unlink()
    cells = sorted((directory / "cells").glob("*.json"))
    assert len(cells) == len(quick.datasets) * len(quick.methods) + 1
    lost = next(c for c in cells if json.loads(c.read_text())["cell"].get("method") == "pgd")  # a cheap unit
    lost.unlink()
    kept = {c.name: c.stat().st_mtime_ns for c in cells if c != lost}
    again = run_experiment(experiment, tmp_path, quick=True, show_progress=False)
    assert again.units == (len(cells) - 1, len(cells)) and lost.exists()
    assert {c.name: c.stat().st_mtime_ns for c in cells if c != lost} == kept
    assert again.result.summary["moons"] == result.summary["moons"]


def test_full_configuration_runs_every_method_on_both_data_sets() -> None:
    full, quick = adversarial_training.EXPERIMENT.full, adversarial_training.EXPERIMENT.quick
    assert set(full.methods) == {"standard", "fgsm", "pgd", "trades"}
    assert full.datasets == ("digits", "breast_cancer") and full.seeds >= 3 and "pgd" in full.moons_methods
    assert quick.seeds * quick.epochs * len(quick.methods) < full.seeds * full.epochs * len(full.methods) / 10
