"""The `elicitation` reproduction: its quick configuration, run through the registry, passes every check with the
numbers the theory gives, and writes its figures."""

from __future__ import annotations

import json

import pytest

import equilibria.experiments.elicitation as elicitation  # registers the experiment
from equilibria.experiments import registry
from equilibria.experiments.runner import run_experiment


def test_quick_configuration_passes_every_check_through_the_registry(tmp_path) -> None:
    experiment = registry()["elicitation"]
    assert experiment is elicitation.EXPERIMENT
    outcome = run_experiment(experiment, tmp_path, quick=True, show_progress=False)
    result = outcome.result
    failed = [c for c in result.checks if not c.passed]
    assert len(result.checks) == 10 and not failed, failed
    json.dumps(result.to_json())
    for figure in result.figures:
        assert (tmp_path / "elicitation" / figure.path).stat().st_size > 1000
    summary = result.summary
    quick = experiment.quick
    # Scoring rules: proper rules' exact gains are 0, the linear rule's maximum is below its bound 1 - 1/K
    # (max p - ||p||^2 <= 1/4 for K = 2).
    for r in summary["scoring"]:
        if r["rule"] == "linear":
            assert 0 < r["min_gain"] <= r["mean_gain"] <= r["max_gain"] < 1 - 1 / r["outcomes"]
        else:
            assert r["max_gain"] == 0.0 and r["numerical_max_gain"] < quick.proper_tolerance
    assert {r["outcomes"] for r in summary["scoring"]} == set(quick.outcomes)
    # Mean: one rater can move the mean by at most 1/n, so its gain is at most 1/n.
    for r in summary["manipulation"]:
        if r["mechanism"] == "mean":
            assert 0 < r["max_gain"] <= 1 / r["raters"] + 1e-12
    # Peer prediction, the hand-computed skewed binary structure.
    skewed = [r for r in summary["peer"] if r["structure"].startswith("binary, skewed")]
    oa, ca = sorted(skewed, key=lambda r: r["mechanism"] != "output_agreement")
    assert oa["truthful"] == pytest.approx(0.8) and oa["deviation_gain"] == pytest.approx(0.05)
    assert ca["truthful"] == pytest.approx(0.055) and ca["deviation_gain"] == 0.0
    assert len(result.tables) == 3 and len(result.tables[1].rows) == len(quick.raters) * 4


def test_full_configuration_is_larger_than_quick() -> None:
    full, quick = elicitation.EXPERIMENT.full, elicitation.EXPERIMENT.quick
    assert full.beliefs >= 10 * quick.beliefs and full.profiles >= 10 * quick.profiles
    assert set(quick.raters) <= set(full.raters) and set(quick.outcomes) <= set(full.outcomes)
