"""Smoke test of benchmarks/marl.py: a tiny run renders its section, with OpenSpiel's learners beside ours when the
bench extra is installed (its Nash-Q / CE-Q joint learners need nashpy and cvxpy)."""

from __future__ import annotations

from benchmarks import marl as bench
from benchmarks._harness import library_available


def test_tiny_run_renders_the_section(monkeypatch) -> None:
    # Two learners on the 2x2 game: each learner is one compilation, a few seconds.
    games = bench.matrix_games(0)[:1]
    monkeypatch.setattr(bench, "matrix_games", lambda seed: games)
    monkeypatch.setattr(bench, "learners", lambda: [
        ("independent-q (epsilon 0.1)", bench.independent_q(learning_rate=0.1, epsilon=0.1)),
        ("nash-q", bench.nash_q())])
    rows = bench.run_benchmark(bench.TINY)
    report = bench.Report(rows, bench.TINY, "python benchmarks/marl.py (smoke test)", "now", 1.0)
    text = bench.render(report)
    assert text.startswith(bench.MARKERS[0]) and text.rstrip().endswith(bench.MARKERS[1])
    assert all(row.ours > 0 for row in rows)
    if library_available("open_spiel") and library_available("cvxpy"):
        assert all(row.peer is not None and row.peer > 0 for row in rows)
