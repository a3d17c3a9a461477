"""Smoke test of benchmarks/normal_form.py: a tiny run with equilibria only, and its markdown plumbing."""

from __future__ import annotations

import signal
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from benchmarks import normal_form as nf


@pytest.fixture(scope="module")
def tiny_report() -> nf.Report:
    return nf.run(nf.TINY, "python benchmarks/normal_form.py (smoke test)")


def test_tiny_run_renders_every_part(tiny_report: nf.Report) -> None:
    text = nf.render(tiny_report)
    assert text.startswith(nf.BEGIN_MARKER)
    assert text.rstrip().endswith(nf.END_MARKER)
    for heading in (
        "### Targets",
        "### 1. Lemke-Howson",
        "### 2. All equilibria",
        "### 3. Degenerate games",
        "### 4. Zero-sum LP",
    ):
        assert heading in text
    for header in (
        "| n | library | valid | median | peer / equilibria | notes |",
        "| game | extreme eq. | equilibria vertex_enumeration |",
        "| n | method | valid | median | peer / equilibria | value gap | notes |",
    ):
        assert header in text


def test_tiny_run_equilibria_answers_are_valid(tiny_report: nf.Report) -> None:
    for row in tiny_report.lh:
        stat = row.stats["equilibria"]
        assert stat.games == row.planned and stat.valid == stat.games
    for enum_row in tiny_report.enum:
        stat = enum_row.stats[nf.REFERENCE_METHOD]
        assert stat.valid == stat.games == enum_row.planned
    von_stengel = tiny_report.degenerate[0]
    assert von_stengel.game.name == "von Stengel degenerate 3x2"
    assert len(von_stengel.reference) == 3  # (1,0,0)x(1,0), (1,0,0)x(2/3,1/3), (0,1/3,2/3)x(1/3,2/3)
    assert von_stengel.counts(nf.REFERENCE_METHOD) == (3, 0, 0)
    for zs_row in tiny_report.zero_sum:
        stat = zs_row.stats["equilibria zero_sum_lp_solve"]
        assert stat.valid == stat.games == zs_row.planned


def test_missing_peer_is_skipped_and_said_so() -> None:
    config = replace(nf.TINY, lh_games={5: 1}, libraries=("equilibria", "nashpy"))
    rows = nf.run_lemke_howson(config, {"equilibria": True, "nashpy": False}, lambda _: None)
    assert rows[0].stats["nashpy"].skipped == "not installed"
    assert "| 5 | nashpy | - | - | - | not installed |" in "\n".join(nf.lh_markdown(rows))


def test_write_section_creates_then_replaces_atomically(tmp_path: Path, tiny_report: nf.Report) -> None:
    path = tmp_path / "BENCHMARKS.md"
    section = nf.render(tiny_report)
    nf.write_section(path, section)
    first = path.read_text()
    assert first.startswith("# Benchmarks") and "shared" in first and section in first
    path.write_text(first + "\n## Another benchmark\nkept\n")
    nf.write_section(path, section.replace("Zero-sum LP", "Zero-sum LP (rerun)"))
    second = path.read_text()
    assert second.count(nf.BEGIN_MARKER) == 1 and second.count(nf.END_MARKER) == 1
    assert "Zero-sum LP (rerun)" in second and second.endswith("## Another benchmark\nkept\n")
    assert [p.name for p in tmp_path.iterdir()] == ["BENCHMARKS.md"]  # no temporary file left behind


def test_pure_python_call_is_cut_off_at_the_cap() -> None:
    def spin() -> list[object]:
        while True:
            time.sleep(0.001)

    start = time.perf_counter()
    outcome = nf.measure(spin, repeats=1, cap=0.2)
    assert outcome.timed_out and outcome.seconds is None
    assert time.perf_counter() - start < 2.0


def test_isolated_call_returns_its_answer_or_is_killed_at_the_cap() -> None:
    answer = nf.measure_in_child(lambda: [(np.ones(2) / 2, np.ones(3) / 3)], repeats=2, cap=5.0)
    assert answer.error is None and answer.seconds is not None
    np.testing.assert_array_equal(answer.profiles[0][1], np.ones(3) / 3)

    def blocked() -> list[object]:
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])  # like compiled code: no interruption
        time.sleep(30)
        return []

    start = time.perf_counter()
    outcome = nf.measure_in_child(blocked, repeats=1, cap=0.2)
    assert outcome.timed_out and "killed" in (outcome.error or "")
    assert time.perf_counter() - start < 5.0


def test_size_gate_skips_a_peer_predicted_past_the_cap() -> None:
    gate = nf.SizeGate(10.0, nf.cubic_growth)
    gate.record("pygambit", 100, [1.5, 2.0, 2.5], timed_out=False)
    assert gate.skip_reason("pygambit", 150) is None  # 2 s * 1.5^3 = 6.75 s
    assert gate.skip_reason("pygambit", 200) is not None  # 2 s * 8 = 16 s
    assert gate.skip_reason("pygambit", 500) == "skipped: > 10 s"


def test_ratio_pairs_games_so_failures_do_not_skew_it() -> None:
    ours = nf.LibraryStats("equilibria", per_game=[0.01, 40.0, 50.0], seconds=[0.01, 40.0, 50.0])
    peer = nf.LibraryStats("quantecon", per_game=[0.05, None, None], seconds=[0.05])
    assert nf.paired_ratio(peer, ours) == (5.0, 1)  # not 0.05 / 40 from medians over different games
    assert nf.ratio_text(peer, ours) == "5 (1 common games)"
    assert nf.ratio_text(ours, ours) == "1"
