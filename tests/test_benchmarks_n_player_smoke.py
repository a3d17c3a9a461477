"""benchmarks/n_player.py runs end to end on a tiny configuration and renders a certified table."""

from __future__ import annotations

from benchmarks import n_player as bench


def test_tiny_run_renders_a_certified_table() -> None:
    report = bench.run_benchmark(bench.TINY, "python benchmarks/n_player.py (smoke test)")
    text = bench.render(report)
    assert text.startswith(bench.MARKERS[0]) and text.rstrip().endswith(bench.MARKERS[1])
    for row in report.rows:
        ours = row.cells["simplicial_subdivision"]
        assert ours.certified == len(ours.regrets) > 0
