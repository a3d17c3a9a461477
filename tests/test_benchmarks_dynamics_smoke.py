"""Smoke test of benchmarks/dynamics.py: a tiny run renders every part, and its figures are consistent."""

from __future__ import annotations

from benchmarks import dynamics as bench


def test_tiny_run_renders_targets_and_both_parts() -> None:
    report = bench.run_benchmark(bench.TINY, "python benchmarks/dynamics.py (smoke test)")
    text = bench.render(report)
    assert text.startswith(bench.MARKERS[0]) and text.rstrip().endswith(bench.MARKERS[1])
    for heading in ("### Targets", "### 1. Bilinear games", "### 2. Regret matching"):
        assert heading in text
    ours = report.regret_matching[0]
    assert ours.seconds is not None and ours.seconds > 0
    # regret matching's average on a 5x5 game after 50 rounds: a valid profile with a finite NashConv
    assert ours.nash_conv is not None and 0 <= ours.nash_conv < 10
    python_loop = next(r for r in report.bilinear if r.implementation.startswith("plain Python"))
    assert python_loop.rate > 0


def test_python_and_numpy_baselines_compute_the_same_gda() -> None:
    import numpy as np

    sigma, x0, y0 = np.array([0.7, 1.3]), np.array([1.0, -0.5]), np.array([0.2, 0.4])
    expected = bench.numpy_gda(sigma, x0, y0, steps=25, eta=0.01)
    total = bench.python_gda(sigma.tolist(), x0.tolist(), y0.tolist(), 25, 0.01)
    assert abs(total - float(expected.sum())) <= 1e-12
