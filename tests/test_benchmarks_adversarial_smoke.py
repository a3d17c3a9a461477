"""Smoke test of benchmarks/adversarial.py: a tiny run against foolbox renders its section (skipped without foolbox)."""

from __future__ import annotations

import pytest

pytest.importorskip("foolbox")

from benchmarks import adversarial as bench  # noqa: E402


def test_tiny_run_renders_the_section(monkeypatch) -> None:
    # the epoch timing compiles a second training program (seconds): its own code is the training tests' code
    monkeypatch.setattr(bench, "epoch_time", lambda dataset, config: (0.5, 1.0))
    rows, clean, per_epoch, compile_seconds = bench.run_benchmark(bench.TINY)
    assert [r.attack for r in rows] == ["PGD", "FGSM"] and 0.0 <= clean <= 1.0
    for row in rows:
        assert row.ours_seconds > 0 and row.peer_seconds > 0
        assert all(0.0 <= a <= 1.0 for a in row.ours_accuracy + row.peer_accuracy)
    fgsm = rows[1]  # no random start: the same single step, the same answer up to ties in the sign
    assert abs(fgsm.ours_accuracy[0] - fgsm.peer_accuracy[0]) <= 1 / 32
    assert per_epoch > 0
    report = bench.Report(rows, clean, per_epoch, compile_seconds, bench.TINY,
                          "python benchmarks/adversarial.py (smoke test)", "now", 1.0)
    text = bench.render(report)
    assert text.startswith(bench.MARKERS[0]) and text.rstrip().endswith(bench.MARKERS[1])
