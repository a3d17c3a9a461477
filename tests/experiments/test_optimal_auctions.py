"""The `optimal-auctions` reproduction: its quick configuration, run through the registry, passes every check
(RochetNet within 0.005 of Manelli-Vincent with exact IC; RegretNet's quick run marked approximate), writes its
figures and resumes from its checkpointed units; the checks fail where the numbers miss the literature's."""

from __future__ import annotations

import dataclasses
import json
import math

import equilibria.experiments.optimal_auctions as optimal_auctions  # registers the experiment
from equilibria.experiments import registry
from equilibria.experiments.runner import run_experiment

MV = 4 / 9 + 2 * math.sqrt(2) / 27


def test_quick_configuration_reproduces_the_paper_through_the_registry(tmp_path) -> None:
    experiment = registry()["optimal-auctions"]
    assert experiment is optimal_auctions.EXPERIMENT
    outcome = run_experiment(experiment, tmp_path, quick=True, show_progress=False)
    result = outcome.result
    failed = [c for c in result.checks if not c.passed]
    assert len(result.checks) == 6 and not failed, failed
    assert sum("approximate" in c.claim for c in result.checks) == 2          # the quick RegretNet run says so
    json.dumps(result.to_json())
    directory = tmp_path / "optimal-auctions"
    for figure in result.figures:
        assert (directory / figure.path).stat().st_size > 1000
    summary = result.summary
    rochet = summary["rochet_net"]["0"]
    assert abs(rochet["revenue"] - MV) <= 0.005 and rochet["ic_gain"] <= 1e-12
    regret = summary["regret_net"]["0"]
    assert max(regret["regret"]) < 2e-3 and abs(regret["revenue"] - 5 / 12) <= 0.03
    assert summary["known"]["manelli_vincent"]["exact"] > summary["known"]["pure_bundling"]["exact"] > 0.5

    # A killed run resumes: with the result and the benchmarks' unit gone, only that unit runs again.
    (directory / "result.json").unlink()
    cells = sorted((directory / "cells").glob("*.json"))
    assert len(cells) == 3
    benchmarks = next(c for c in cells if json.loads(c.read_text())["cell"]["kind"] == "benchmarks")
    benchmarks.unlink()
    kept = {c.name: c.stat().st_mtime_ns for c in cells if c != benchmarks}
    again = run_experiment(experiment, tmp_path, quick=True, show_progress=False)
    assert again.units == (2, 3) and benchmarks.exists()
    assert {c.name: c.stat().st_mtime_ns for c in cells if c != benchmarks} == kept
    assert again.result.summary == summary


def _known(revenue_error: float = 0.0) -> dict[str, dict[str, float]]:
    exact = {"manelli_vincent": MV, "pure_bundling": 2 * math.sqrt(6) / 9, "separate_sale": 0.5, "myerson": 5 / 12}
    return {k: {"exact": v, "simulated": v + revenue_error, "stderr": 1e-3} for k, v in exact.items()}


def test_checks_fail_where_the_numbers_miss() -> None:
    config = optimal_auctions.EXPERIMENT.full
    good_rochet = {"seed": 0, "revenue": MV - 0.002, "revenue_stderr": 5e-4, "ic_gain": 0.0, "ir_min_utility": 0.0}
    good_regret = {"seed": 0, "revenue": 5 / 12 + 0.01, "revenue_stderr": 7e-4, "regret": [3e-4, 3e-4],
                   "regret_stderr": [1e-5, 1e-5]}
    checks = optimal_auctions._checks(config, _known(), [good_rochet], [good_regret])
    assert all(c.passed for c in checks) and len(checks) == 6
    bad = optimal_auctions._checks(
        config, _known(0.01), [{**good_rochet, "revenue": 0.544}, {**good_rochet, "seed": 1, "ic_gain": 1e-6}],
        [{**good_regret, "regret": [2e-3, 1e-4], "revenue": 0.45}])
    assert [c.passed for c in bad] == [False, False, True, False, False, False]
    above = optimal_auctions._checks(config, _known(), [{**good_rochet, "revenue": MV + 0.003}], [good_regret])
    assert not above[2].passed                                                   # beats the optimum: impossible


def test_full_configuration_is_the_modules_full_run() -> None:
    from equilibria.applications.auctions import regret_net, rochet_net

    full, quick = optimal_auctions.EXPERIMENT.full, optimal_auctions.EXPERIMENT.quick
    module = regret_net.MYERSON_CONFIG
    assert (full.regret_steps, full.regret_lagrange_every, full.regret_rho, full.regret_rho_max) == (
        module.steps, module.lagrange_every, module.rho, module.rho_max)
    assert (full.regret_eval_samples, full.regret_eval_revenue_samples) == (module.eval_samples,
                                                                             module.eval_revenue_samples)
    default = rochet_net.RochetNetConfig()
    assert (full.rochet_steps, full.rochet_menu_size, full.rochet_eval_samples) == (
        default.steps, default.menu_size, default.eval_samples)
    assert (full.regret_below, full.mv_tolerance) == (1e-3, 0.005) and not full.approximate
    assert quick.approximate and dataclasses.replace(quick, approximate=False) != full
