"""Smoke test of benchmarks/dynamics.py: a tiny run renders every part, and its figures are consistent."""

from __future__ import annotations

import numpy as np
from benchmarks import dynamics as bench


def test_tiny_run_renders_targets_and_both_parts() -> None:
    report = bench.run_benchmark(bench.TINY, "python benchmarks/dynamics.py (smoke test)")
    text = bench.render(report)
    assert text.startswith(bench.MARKERS[0]) and text.rstrip().endswith(bench.MARKERS[1])
    for heading in ("### Targets", "### 2. Regret matching", "payoffs as arguments", "recompiled"):
        assert heading in text
    ours, peer, baked = report.regret_matching
    assert ours.seconds is not None and ours.seconds > 0 and baked.seconds is not None
    # the timed calls, on a game other than the one the solver was compiled on, traced and compiled nothing
    assert ours.recompilations == 0
    # regret matching's average on a 5x5 game after 50 rounds: a valid profile with a finite NashConv, the same
    # whether the payoffs are an argument or baked into the program
    assert ours.nash_conv is not None and 0 <= ours.nash_conv < 10
    assert baked.nash_conv is not None and abs(baked.nash_conv - ours.nash_conv) <= 1e-5
    python_loop = next(r for r in report.bilinear if r.implementation.startswith("plain Python"))
    assert python_loop.rate > 0


def test_the_solver_reuses_its_compilation_for_a_new_game_and_counts_it() -> None:
    solve = bench.rm_solver(steps=30)
    config = bench.TINY
    first, second = bench.rm_game(config, stream=3), bench.rm_game(config)
    with bench.CompileCounter() as cold:
        solve(first)
    with bench.CompileCounter() as warm:
        answer = solve(second)
    assert cold.count >= 1 and warm.count == 0
    for strategy in answer:
        assert strategy.shape == (config.rm_actions,) and abs(float(np.sum(strategy)) - 1) <= 1e-5
    assert not np.allclose(answer[0], solve(first)[0])  # a different game, a different answer


def test_python_and_numpy_baselines_compute_the_same_gda() -> None:
    sigma, x0, y0 = np.array([0.7, 1.3]), np.array([1.0, -0.5]), np.array([0.2, 0.4])
    expected = bench.numpy_gda(sigma, x0, y0, steps=25, eta=0.01)
    total = bench.python_gda(sigma.tolist(), x0.tolist(), y0.tolist(), 25, 0.01)
    assert abs(total - float(expected.sum())) <= 1e-12
