"""Smoke test of benchmarks/irl.py: a tiny run renders every part; both IRL implementations reach the occupancy
error asked of them on a 3 x 3 gridworld, and the Bradley-Terry scores agree with choix."""

from __future__ import annotations

import pytest

pytest.importorskip("jax")
pytest.importorskip("imitation")
pytest.importorskip("choix")

from benchmarks import irl as bench  # noqa: E402


def test_tiny_run_renders_every_part() -> None:
    report = bench.run_benchmark(bench.TINY, "python benchmarks/irl.py (smoke test)")
    text = bench.render(report)
    assert text.startswith(bench.MARKERS[0]) and text.rstrip().endswith(bench.MARKERS[1])
    for heading in ("### Targets", "### (a) MCE IRL", "### (b) Bradley-Terry"):
        assert heading in text
    assert len(report.irl) == 2 * len(bench.TINY.grid_sizes)
    grid = [r for r in report.irl if r.mdp.startswith("gridworld")]
    assert all(r.linf <= bench.LINF_EPS and r.first_seconds > 0 and len(r.warm) == 1 for r in grid)
    ours = [r for r in report.irl if r.implementation.startswith("equilibria")]
    assert all(r.linf <= bench.LINF_EPS for r in ours)
    if report.bradley_terry:  # engineer B's module is there
        assert len(report.bradley_terry) == 3
        assert all(r.max_difference < bench.SCORE_TOLERANCE for r in report.bradley_terry)
    else:
        assert "not available" in report.bradley_terry_note
