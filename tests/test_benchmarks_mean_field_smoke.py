"""Smoke test of benchmarks/mean_field.py: a tiny run (left-right, two iterations, a batch of four learning rates)
renders its section, with the peer (mfglib) side by side when installed and a skip line when not."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from benchmarks import mean_field as bench


def test_tiny_run_renders_the_section() -> None:
    case = replace(bench.CASES[0], iterations=2, algorithms=("online mirror descent",))
    config = bench.Config(cases=(case,), batches=(bench.BatchCase(case, size=4, iterations=2, peer_runs=1),),
                          repeats=1, label="smoke test")
    report = bench.run_benchmark(config, "python benchmarks/mean_field.py (smoke test)")
    text = bench.render(report)
    assert text.startswith(bench.MARKERS[0]) and text.rstrip().endswith(bench.MARKERS[1])
    assert "### Targets" in text and "### Side by side" in text and "`solve_batch`" in text

    (row,) = report.rows
    assert (row.case, row.algorithm, row.iterations) == ("left-right", "online mirror descent", 2)
    assert row.ours_first > 0 and row.ours_warm > 0 and math.isfinite(row.ours) and row.ours >= 0
    (batch,) = report.batches
    assert batch.size == 4 and math.isfinite(batch.best)
    if report.peers["mfglib"]:  # not installed: said so, and no peer numbers
        assert report.peers["mfglib"] in text and row.peer_seconds is None
    else:  # the same algorithm on the same game: mfglib's own score, and ours of its policy, equal ours
        assert row.peer_seconds is not None and row.peer_own is not None and row.peer_rescored is not None
        assert row.peer_own == pytest.approx(row.ours, abs=1e-9)
        assert row.peer_rescored == pytest.approx(row.ours, abs=1e-9)
        assert batch.peer_seconds is not None and "extrapolated" in batch.note
