"""benchmarks/general_sum_trees.py runs end to end on a tiny configuration (without pygambit) and certifies."""

from __future__ import annotations

from benchmarks import general_sum_trees as bench


def test_tiny_run_renders_a_certified_table() -> None:
    report = bench.run_benchmark(bench.TINY, "python benchmarks/general_sum_trees.py (smoke test)")
    text = bench.render(report)
    assert text.startswith(bench.MARKERS[0]) and text.rstrip().endswith(bench.MARKERS[1])
    assert "### Targets" in text and "Random general-sum trees" in text
    worst = max((s.worst("ours_exploitability") or 0.0 for s in report.sizes), default=0.0)
    assert report.sizes and worst <= 1e-9
