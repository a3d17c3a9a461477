"""The `reward-hacking` reproduction: its quick configuration, run through the registry, passes every check and
writes its figure; a run started again computes only the unit it had not checkpointed."""

from __future__ import annotations

import json

import equilibria.experiments.reward_hacking as reward_hacking  # registers the experiment
from equilibria.experiments import registry
from equilibria.experiments.runner import run_experiment


def test_quick_configuration_reproduces_the_goodhart_curves_through_the_registry(tmp_path) -> None:
    experiment = registry()["reward-hacking"]
    assert experiment is reward_hacking.EXPERIMENT
    outcome = run_experiment(experiment, tmp_path, quick=True, show_progress=False)
    result = outcome.result
    failed = [c for c in result.checks if not c.passed]
    assert len(result.checks) == 8 and not failed, failed
    json.dumps(result.to_json())
    (figure,) = result.figures
    assert (tmp_path / "reward-hacking" / figure.path).stat().st_size > 1000
    curves = result.summary["curves"]
    # Goodhart on the seed-averaged best-of-n curve: gold turns down, the proxy does not.
    gold, proxy = curves["best_of_n"]["gold"], curves["best_of_n"]["proxy"]
    assert max(gold) > gold[-1] and proxy == sorted(proxy)
    fits = {(row[0], row[1]): row for row in result.tables[0].rows}
    assert float(fits[("best-of-n", "d (alpha - beta d)")][4]) > 0.98  # lowest R^2 over seeds
    assert len(result.tables[1].rows) == len(reward_hacking.EXPERIMENT.quick.ns)

    # A killed run resumes: with the result and one unit's checkpoint gone, only that unit runs again (the analytic
    # unit, the cheapest: which unit is gone does not matter to the claim).
    directory = tmp_path / "reward-hacking"
    (directory / "result.json").unlink()
    cells = sorted((directory / "cells").glob("*.json"),
                   key=lambda c: json.loads(c.read_text(encoding="utf-8"))["cell"]["kind"] != "analytic")
    quick = reward_hacking.EXPERIMENT.quick
    assert len(cells) == quick.analytic_units + quick.seeds
    cells[0].unlink()
    kept = {c.name: c.stat().st_mtime_ns for c in cells[1:]}
    again = run_experiment(experiment, tmp_path, quick=True, show_progress=False)
    assert again.units == (len(cells) - 1, len(cells)) and cells[0].exists()
    assert {c.name: c.stat().st_mtime_ns for c in cells[1:]} == kept
    assert again.result.summary["curves"]["best_of_n"] == curves["best_of_n"]
    assert [c.measured for c in again.result.checks] == [c.measured for c in result.checks]


def test_full_configuration_is_larger_than_the_quick_one() -> None:
    full, quick = reward_hacking.EXPERIMENT.full, reward_hacking.EXPERIMENT.quick
    assert full.seeds > quick.seeds and max(full.ns) > max(quick.ns) and full.pool_size > quick.pool_size
    assert full.draws * full.bon_seeds * full.analytic_units > 4 * quick.draws * quick.bon_seeds * quick.analytic_units
