"""The `maxent-irl` reproduction: its quick configuration passes every check and writes its figures; a run started
again computes only the (world, demonstrations) units it had not checkpointed."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("jax")
pytest.importorskip("optax")

import equilibria.experiments.maxent_irl as maxent_irl  # noqa: E402  (registers the experiment)
from equilibria.experiments.runner import run_experiment  # noqa: E402


@pytest.mark.slow
def test_quick_configuration_passes_and_resumes(tmp_path) -> None:
    experiment = maxent_irl.EXPERIMENT
    outcome = run_experiment(experiment, tmp_path, quick=True, show_progress=False)
    result = outcome.result
    failed = [c for c in result.checks if not c.passed]
    assert len(result.checks) == 7 and not failed, failed  # per world: EVD falls, EVD small, EPIC small; certificates
    assert sum("EPIC distance" in c.expected for c in result.checks) == 2
    json.dumps(result.to_json())
    for figure in result.figures:
        assert (tmp_path / "maxent-irl" / figure.path).stat().st_size > 1000
    cells = result.summary["cells"]
    quick = experiment.quick
    assert len(cells) == 2 * len(quick.demonstrations) == len(result.tables[0].rows)
    for world in maxent_irl.WORLDS:  # EVD falls monotonically along the quick configuration's counts
        evd = [cells[f"{world}:{n}"]["evd_mean"] for n in quick.demonstrations]
        assert evd == sorted(evd, reverse=True), (world, evd)

    directory = tmp_path / "maxent-irl"
    (directory / "result.json").unlink()
    units = sorted((directory / "cells").glob("*.json"))
    assert len(units) == len(cells)
    units[0].unlink()
    again = run_experiment(experiment, tmp_path, quick=True, show_progress=False)
    assert again.units == (len(cells) - 1, len(cells)) and units[0].exists()
    assert again.result.summary["cells"] == cells


def test_full_configuration_is_larger() -> None:
    full, quick = maxent_irl.EXPERIMENT.full, maxent_irl.EXPERIMENT.quick
    assert full.grid_size > quick.grid_size and full.seeds > quick.seeds
    assert len(full.demonstrations) > len(quick.demonstrations) and full.evd_tol <= quick.evd_tol
    # the EPIC bounds were stated before the full run was measured; objectworld's is looser (not representable)
    assert full.epic_tol <= quick.epic_tol and full.epic_tol < full.epic_tol_objectworld
