"""Smoke test of benchmarks/stochastic.py: a tiny run renders its section with equilibria's Shapley value iteration
certified, beside the plain NumPy + scipy baseline."""

from __future__ import annotations

from dataclasses import replace

from benchmarks import stochastic as bench


def test_tiny_run_renders_the_section() -> None:
    config = replace(bench.QUICK, sizes=(20,), baseline_cap=10.0, label="smoke test")
    report = bench.run_benchmark(config, "python benchmarks/stochastic.py (smoke test)")
    text = bench.render(report)
    assert text.startswith(bench.MARKERS[0]) and text.rstrip().endswith(bench.MARKERS[1])
    assert "equilibria" in text
