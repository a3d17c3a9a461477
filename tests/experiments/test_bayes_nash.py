"""The `bayes-nash` reproduction: its quick configuration, run through the registry, passes every check (learned bid
functions within the L2 bound of the closed forms, the LLG locals' utility at bnelearn's published number, revenue
equivalence), writes its figure and resumes from its checkpointed units."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("jax")

import equilibria.experiments.bayes_nash as bayes_nash  # noqa: E402  (registers the experiment)
from equilibria.experiments import registry  # noqa: E402
from equilibria.experiments.runner import run_experiment  # noqa: E402


def test_quick_configuration_through_the_registry_and_resume(tmp_path) -> None:
    experiment = registry()["bayes-nash"]
    assert experiment is bayes_nash.EXPERIMENT
    outcome = run_experiment(experiment, tmp_path, quick=True, show_progress=False)
    result = outcome.result
    failed = [c for c in result.checks if not c.passed]
    assert not failed, failed
    quick = experiment.quick
    settings = len(quick.first_price_bidders) + 2 + len(quick.llg_rules)
    # one L2 check per setting, two utility checks per LLG rule, one revenue-equivalence check
    assert len(result.checks) == settings + 2 * len(quick.llg_rules) + 1
    json.dumps(result.to_json())
    directory = tmp_path / "bayes-nash"
    assert (directory / result.figures[0].path).stat().st_size > 1000
    summary = result.summary
    first = summary["settings"]["first-price-2"]
    assert max(first["l2"]) < quick.l2_bound and first["certificate"] > 0
    equivalence = summary["revenue_equivalence"]
    assert set(equivalence["formats"]) == {"first-price", "second-price", "all-pay"}
    assert equivalence["expected"] == pytest.approx((quick.revenue_bidders - 1) / (quick.revenue_bidders + 1))

    # A killed run resumes: with the result and one unit gone, only that unit runs again.
    (directory / "result.json").unlink()
    cells = sorted((directory / "cells").glob("*.json"))
    assert len(cells) == settings + 1
    revenue = next(c for c in cells if json.loads(c.read_text())["cell"].get("kind") == "revenue")
    revenue.unlink()
    again = run_experiment(experiment, tmp_path, quick=True, show_progress=False)
    assert again.units == (settings, settings + 1) and revenue.exists()
    assert again.result.summary["settings"] == summary["settings"]


def test_full_configuration_is_larger() -> None:
    full, quick = bayes_nash.EXPERIMENT.full, bayes_nash.EXPERIMENT.quick
    assert set(quick.first_price_bidders) < set(full.first_price_bidders) == {2, 3, 4, 5}
    assert set(full.llg_rules) == {"vcg", "nearest_vcg", "nearest_bid", "proxy"}
    assert full.sweeps > quick.sweeps and full.certificate_samples > quick.certificate_samples
    assert full.l2_bound == quick.l2_bound
