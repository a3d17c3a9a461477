"""The `emergent-language` reproduction: its quick configuration, run through the registry, passes every check and
writes its figures; a run started again computes only the learners it had not checkpointed."""

from __future__ import annotations

import json

import equilibria.experiments.emergent_language as emergent_language  # registers the experiment
from equilibria.experiments import registry
from equilibria.experiments.runner import run_experiment


def test_quick_configuration_runs_through_the_registry_and_resumes(tmp_path) -> None:
    experiment = registry()["emergent-language"]
    assert experiment is emergent_language.EXPERIMENT
    outcome = run_experiment(experiment, tmp_path, quick=True, show_progress=False)
    result = outcome.result
    failed = [c for c in result.checks if not c.passed]
    assert len(result.checks) == 6 and not failed, failed
    json.dumps(result.to_json())
    assert len(result.figures) == 2
    for figure in result.figures:
        assert (tmp_path / "emergent-language" / figure.path).stat().st_size > 1000
    learners = result.summary["learners"]
    assert set(learners) == {"reinforce-factored", "reinforce-joint"}
    for summary in learners.values():  # every number is measured from the returned policies
        assert summary["success"]["initial"] == 0.25 or abs(summary["success"]["initial"] - 0.25) < 1e-6
        assert summary["success"]["final"] > summary["success"]["initial"]
        assert 0.0 < summary["group_p_value"] <= 1.0 and 0.0 <= summary["share_significant"] <= 1.0
    assert len(result.tables[0].rows) == 2

    # A killed run resumes: with the result and one learner's checkpoint gone, only that learner runs again.
    directory = tmp_path / "emergent-language"
    (directory / "result.json").unlink()
    cells = sorted((directory / "cells").glob("*.json"))
    assert len(cells) == 2
    cells[0].unlink()
    kept = {c.name: c.stat().st_mtime_ns for c in cells[1:]}
    again = run_experiment(experiment, tmp_path, quick=True, show_progress=False)
    assert again.units == (1, 2) and cells[0].exists()
    assert {c.name: c.stat().st_mtime_ns for c in cells[1:]} == kept
    for name, summary in again.result.summary["learners"].items():  # the same numbers, but for the time taken
        assert {k: v for k, v in summary.items() if k != "seconds"} == \
            {k: v for k, v in learners[name].items() if k != "seconds"}


def test_full_configuration_is_larger_than_the_quick_one() -> None:
    full, quick = emergent_language.EXPERIMENT.full, emergent_language.EXPERIMENT.quick
    assert (full.n_values, full.alphabet) == (quick.n_values, quick.alphabet) == (4, 4)
    assert quick.seeds * quick.steps * len(quick.learners) < full.seeds * full.steps * len(full.learners) / 10
    assert full.n_permutations >= 999
