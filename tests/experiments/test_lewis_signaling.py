"""The `lewis-signaling` reproduction: its quick configuration, run through the registry, passes every check and
writes its figures; a run started again computes only the cells it had not checkpointed."""

from __future__ import annotations

import json

import equilibria.experiments.lewis_signaling as lewis_signaling  # registers the experiment
from equilibria.experiments import registry
from equilibria.experiments.runner import run_experiment


def test_quick_configuration_reproduces_the_known_shares_through_the_registry(tmp_path) -> None:
    experiment = registry()["lewis-signaling"]
    assert experiment is lewis_signaling.EXPERIMENT
    outcome = run_experiment(experiment, tmp_path, quick=True, show_progress=False)
    result = outcome.result
    failed = [c for c in result.checks if not c.passed]
    assert result.checks and not failed, failed
    json.dumps(result.to_json())
    assert len(result.figures) == 2
    for figure in result.figures:
        assert (tmp_path / "lewis-signaling" / figure.path).stat().st_size > 1000
    cells = result.summary["cells"]
    assert cells["replicator, N=2, uniform"]["pooling"] == 0.0
    assert cells["replicator, N=3, uniform"]["pooling"] < cells["replicator, N=3, skewed"]["pooling"]
    # The agent form's growth with N is judged from N = 3 to N = 4 (both positive), not from N = 2's 0.
    claims = [c.claim for c in result.checks]
    assert any("grows from N = 3 to N = 4" in c and "agent-form" in c for c in claims), claims
    assert 0.0 < cells["behaviour, N=3, uniform"]["pooling"] < cells["behaviour, N=4, uniform"]["pooling"]
    basins = result.summary["basins"]
    assert basins["N=2, uniform"] == 0.0 < basins["N=2, skewed"]
    assert len(result.tables[0].rows) == len(cells)

    # A killed run resumes: with the result and one cell's checkpoint gone, only that cell runs again.
    directory = tmp_path / "lewis-signaling"
    (directory / "result.json").unlink()
    files = sorted((directory / "cells").glob("*.json"))
    assert len(files) == len(cells)
    files[0].unlink()
    kept = {c.name: c.stat().st_mtime_ns for c in files[1:]}
    again = run_experiment(experiment, tmp_path, quick=True, show_progress=False)
    assert files[0].exists()
    assert {c.name: c.stat().st_mtime_ns for c in files[1:]} == kept
    for label, r in again.result.summary["cells"].items():  # the same numbers (seeded)
        assert r == cells[label]


def test_full_configuration_is_larger_than_the_quick_one() -> None:
    full, quick = lewis_signaling.EXPERIMENT.full, lewis_signaling.EXPERIMENT.quick
    assert full.starts >= 10_000 and full.behaviour_starts >= 100_000 and 3 in quick.ns
    assert quick.starts < full.starts and quick.learner_rounds < full.learner_rounds
