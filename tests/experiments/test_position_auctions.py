"""The `position-auctions` reproduction: its quick configuration, run through the registry, passes every check with
the literature's numbers (EOS 800 = VCG 800, truthful GSP 1000, the deviation gain 392 at CTRs (200, 199)), writes
its figures and resumes from its checkpointed units; the profile evaluation on random and degenerate profiles."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import equilibria.experiments.position_auctions as position_auctions  # registers the experiment
from equilibria.experiments import registry
from equilibria.experiments.runner import run_experiment


def test_quick_configuration_reproduces_the_paper_through_the_registry(tmp_path) -> None:
    experiment = registry()["position-auctions"]
    assert experiment is position_auctions.EXPERIMENT
    outcome = run_experiment(experiment, tmp_path, quick=True, show_progress=False)
    result = outcome.result
    failed = [c for c in result.checks if not c.passed]
    assert len(result.checks) == 12 and not failed, failed
    json.dumps(result.to_json())
    directory = tmp_path / "position-auctions"
    for figure in result.figures:
        assert (directory / figure.path).stat().st_size > 1000
    summary = result.summary
    assert summary["example"] == {"eos": 800.0, "vcg": 800.0, "gsp_truthful": 1000.0}
    assert summary["example_eos_bids"][1:] == [3.0, 2.0]
    assert summary["deviation_gain_200_199"] == 392.0
    quick = experiment.quick
    assert summary["profiles"] == 2 + quick.random_profiles + len(quick.geometric_decays) + len(
        quick.power_exponents)
    assert summary["max_revenue_gap"] <= 1e-9 and summary["truthful_gsp_not_equilibrium"] > 0
    ic = summary["ic_regret"]
    assert ic["vcg"]["max_gain"] == ic["second_price"]["max_gain"] == 0.0   # dominant strategies: draw by draw
    assert ic["gsp"]["max_gain"] > 10 * ic["gsp"]["max_gain_stderr"]
    assert ic["gsp"]["worst_misreport"] < ic["gsp"]["worst_value"]          # the best misreport shades

    # A killed run resumes: with the result and the literature's unit gone, only that unit runs again.
    (directory / "result.json").unlink()
    cells = sorted((directory / "cells").glob("*.json"))
    assert len(cells) == 8
    literature = next(c for c in cells if json.loads(c.read_text())["cell"].get("family") == "literature")
    literature.unlink()
    kept = {c.name: c.stat().st_mtime_ns for c in cells if c != literature}
    again = run_experiment(experiment, tmp_path, quick=True, show_progress=False)
    assert again.units == (7, 8) and literature.exists()
    assert {c.name: c.stat().st_mtime_ns for c in cells if c != literature} == kept
    assert again.result.summary == summary


def test_full_configuration_is_larger() -> None:
    full, quick = position_auctions.EXPERIMENT.full, position_auctions.EXPERIMENT.quick
    assert full.random_profiles > quick.random_profiles and full.many_bidders > quick.many_bidders
    assert full.ic_samples > quick.ic_samples and full.rtol == quick.rtol == 1e-9


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 7), st.integers(1, 7), st.integers(0, 2 ** 32 - 1), st.sampled_from(["plain", "ties", "zeros"]),
       st.booleans())
def test_profile_evaluation_on_random_and_degenerate_profiles(n: int, slots: int, seed: int, kind: str,
                                                              with_quality: bool) -> None:
    """EOS earns VCG's revenue, EOS and truthful VCG have zero Nash regret, truthful GSP earns at least VCG's, and
    all three have the same (efficient) welfare, also with tied values, equal CTRs and zero CTRs or values."""
    rng = np.random.default_rng(seed)
    ctr = np.sort(rng.random(slots))[::-1]
    values = rng.uniform(0, 10, n)
    if kind == "ties":
        ctr[:] = ctr[0]
        values = np.round(values / 5) * 5
    elif kind == "zeros":
        ctr[slots // 2:] = 0.0
        values[: n // 2] = 0.0
    profile = {"name": "p", "ctr": ctr.tolist(), "values": values.tolist(),
               "quality": rng.uniform(0.5, 1.5, n).tolist() if with_quality else None, "reserve": 0.0}
    row = position_auctions._evaluate(profile)
    scale = max(row["scale"], 1.0)
    assert abs(row["eos"]["revenue"] - row["vcg"]["revenue"]) <= 1e-9 * max(abs(row["vcg"]["revenue"]), 1.0)
    assert row["eos"]["nash_regret"] <= 1e-9 * scale and row["vcg"]["nash_regret"] <= 1e-9 * scale
    assert row["gsp_truthful"]["revenue"] >= row["vcg"]["revenue"] - 1e-9 * scale
    for key in ("eos", "gsp_truthful"):
        assert abs(row[key]["welfare"] - row["vcg"]["welfare"]) <= 1e-9 * scale
    assert row["eos_local_envy"] <= 1e-9 * scale
