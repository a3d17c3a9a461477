"""Smoke test of benchmarks/normal_form.py: a tiny run with equilibria only, and its markdown plumbing."""

from __future__ import annotations

import signal
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from benchmarks import _harness as harness
from benchmarks import _publish as publish
from benchmarks import normal_form as nf
from benchmarks._nf_common import TINY, games_per_size
from benchmarks._nf_enumeration import REFERENCE_METHOD, EnumRow, EnumStats, quantecon_targets
from benchmarks._nf_lemke_howson import same_as_ours


@pytest.fixture(scope="module")
def tiny_report() -> nf.Report:
    return nf.run(TINY, "python benchmarks/normal_form.py (smoke test)")


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
        "### 5. Lemke-Howson from one given label",
    ):
        assert heading in text
    for header in (
        "| n | library | valid | median | peer / equilibria | notes |",
        "| game | extreme eq. | equilibria vertex_enumeration |",
        "| n | method | valid | median | peer / equilibria | value gap | notes |",
        "| n | library | valid | median | peer / equilibria | same equilibrium | notes |",
    ):
        assert header in text


def test_tiny_run_equilibria_answers_are_valid(tiny_report: nf.Report) -> None:
    for row in tiny_report.lh:
        stat = row.stats["equilibria"]
        assert stat.games == row.planned and stat.valid == stat.games
    for enum_row in tiny_report.enum:
        stat = enum_row.stats[REFERENCE_METHOD]
        assert stat.valid == stat.games == enum_row.planned
    von_stengel = tiny_report.degenerate[0]
    assert von_stengel.game.name == "von Stengel degenerate 3x2"
    assert len(von_stengel.reference) == 3  # (1,0,0)x(1,0), (1,0,0)x(2/3,1/3), (0,1/3,2/3)x(1/3,2/3)
    assert von_stengel.counts(REFERENCE_METHOD) == (3, 0, 0)
    for zs_row in tiny_report.zero_sum:
        stat = zs_row.stats["equilibria zero_sum_lp_solve"]
        assert stat.valid == stat.games == zs_row.planned
    assert [row.n for row in tiny_report.label] == sorted(TINY.label_games)
    for label_row in tiny_report.label:
        stat = label_row.stats["equilibria"]
        assert stat.games == label_row.planned and stat.valid == stat.games
        assert label_row.same == {}  # no peer ran


def test_tiny_targets_table_has_every_line_in_part_order(tiny_report: nf.Report) -> None:
    claims = [t.claim for t in nf.evaluate_targets(tiny_report)]
    assert claims == [
        "Lemke-Howson: 100% valid through n=500",
        "Lemke-Howson: median no slower than quantecon at every n",
        "Lemke-Howson: >= 10x faster than pygambit lcp_solve at every n",
        "Lemke-Howson from one label: median no slower than quantecon at every n",
        "All equilibria at n=10: no slower than pygambit enummixed_solve",
        "vertex enumeration no slower than quantecon vertex_enumeration at every n (6..14)",
        "support enumeration no slower than quantecon support_enumeration at every n (6..14)",
        "All equilibria: complete on degenerate games where nashpy's/quantecon's support enumeration miss equilibria",
        "Zero-sum LP: 2000 x 2000 under 2 s",
    ]


def test_missing_peer_is_skipped_and_said_so() -> None:
    config = replace(TINY, lh_games={5: 1}, libraries=("equilibria", "nashpy"))
    rows = nf.run_lemke_howson(config, {"equilibria": True, "nashpy": False}, lambda _: None)
    assert rows[0].stats["nashpy"].skipped == "not installed"
    assert "| 5 | nashpy | - | - | - | not installed |" in "\n".join(nf.lh_markdown(rows))


def test_write_section_creates_then_replaces_atomically(tmp_path: Path, tiny_report: nf.Report) -> None:
    path = tmp_path / "BENCHMARKS.md"
    section = nf.render(tiny_report)
    publish.write_section(path, section, nf.MARKERS)
    first = path.read_text()
    assert first.startswith("# Benchmarks") and "shared" in first and section in first
    path.write_text(first + "\n## Another benchmark\nkept\n")
    publish.write_section(path, section.replace("Zero-sum LP", "Zero-sum LP (rerun)"), nf.MARKERS)
    second = path.read_text()
    assert second.count(nf.BEGIN_MARKER) == 1 and second.count(nf.END_MARKER) == 1
    assert "Zero-sum LP (rerun)" in second and second.endswith("## Another benchmark\nkept\n")
    assert [p.name for p in tmp_path.iterdir()] == ["BENCHMARKS.md"]  # no temporary file left behind


def test_pure_python_call_is_cut_off_at_the_cap() -> None:
    def spin() -> list[object]:
        while True:
            time.sleep(0.001)

    start = time.perf_counter()
    outcome = harness.measure(spin, repeats=1, cap=0.2)
    assert outcome.timed_out and outcome.seconds is None
    assert time.perf_counter() - start < 2.0


def test_isolated_call_returns_its_answer_or_is_killed_at_the_cap() -> None:
    answer = harness.measure_in_child(lambda: [(np.ones(2) / 2, np.ones(3) / 3)], repeats=2, cap=5.0)
    assert answer.error is None and answer.seconds is not None
    np.testing.assert_array_equal(answer.profiles[0][1], np.ones(3) / 3)

    def blocked() -> list[object]:
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])  # like compiled code: no interruption
        time.sleep(30)
        return []

    start = time.perf_counter()
    outcome = harness.measure_in_child(blocked, repeats=1, cap=0.2)
    assert outcome.timed_out and "killed" in (outcome.error or "")
    assert time.perf_counter() - start < 5.0


def test_size_gate_skips_a_peer_predicted_past_the_cap() -> None:
    gate = harness.SizeGate(10.0, harness.cubic_growth)
    gate.record("pygambit", 100, [1.5, 2.0, 2.5], timed_out=False)
    assert gate.skip_reason("pygambit", 150) is None  # 2 s * 1.5^3 = 6.75 s
    assert gate.skip_reason("pygambit", 200) is not None  # 2 s * 8 = 16 s
    assert gate.skip_reason("pygambit", 500) == "skipped: > 10 s"


def test_ratio_pairs_games_so_failures_do_not_skew_it() -> None:
    ours = harness.LibraryStats("equilibria", per_game=[0.01, 40.0, 50.0], seconds=[0.01, 40.0, 50.0])
    peer = harness.LibraryStats("quantecon", per_game=[0.05, None, None], seconds=[0.05])
    assert harness.paired_ratio(peer, ours) == (5.0, 1)  # not 0.05 / 40 from medians over different games
    assert harness.ratio_text(peer, ours) == "5 (1 common games)"
    assert harness.ratio_text(ours, ours) == "1"


def test_size_gate_gives_a_named_peer_its_own_cap() -> None:
    gate = harness.SizeGate(10.0, harness.exponential_growth, {"quantecon support_enumeration": 60.0})
    for method in ("quantecon support_enumeration", "pygambit enummixed_solve"):
        gate.record(method, 12, [2.0], timed_out=False)
    # 2 s * 16 * sqrt(12/14) = 29.6 s: past the common cap, within the named peer's.
    assert gate.skip_reason("quantecon support_enumeration", 14) is None
    assert gate.skip_reason("pygambit enummixed_solve", 14) == "skipped: > 10 s (predicted 29.6 s from n=12)"


def test_same_equilibrium_counts_only_games_both_answered() -> None:
    p = (np.array([1.0, 0.0]), np.array([0.5, 0.5]))
    q = (np.array([0.0, 1.0]), np.array([0.5, 0.5]))
    near_p = (p[0] + 1e-9, p[1])
    answers = {"equilibria": [p, p, None, q], "quantecon": [near_p, q, p, None]}
    assert same_as_ours(answers) == {"quantecon": (1, 2)}


def test_quantecon_targets_say_where_quantecon_was_not_measured() -> None:
    def row(n: int, ours: float, peer: float | None, skipped: str | None = None) -> EnumRow:
        stats = {}
        for method in ("equilibria vertex_enumeration", "equilibria support_enumeration"):
            stats[method] = EnumStats(method, per_game=[ours], seconds=[ours])
        for method in ("quantecon vertex_enumeration", "quantecon support_enumeration"):
            stats[method] = EnumStats(method, per_game=[] if peer is None else [peer],
                                      seconds=[] if peer is None else [peer], skipped=skipped)
        return EnumRow(n, 1, stats)

    rows = [row(6, 1.0, 2.0), row(8, 1.0, 1.5), row(10, 1.0, None, "skipped: > 60 s")]
    vertex, support = quantecon_targets(rows, (6, 8, 10))
    assert support.status == vertex.status == "met where measured (not at n=10)"
    assert "n=6: 2x" in support.measured and "n=10: skipped: > 60 s" in support.measured
    _, slower = quantecon_targets([row(6, 1.0, 0.5)], (6,))
    assert slower.status == "not met"
    _, everywhere = quantecon_targets([row(6, 1.0, 2.0)], (6,))
    assert everywhere.status == "met"


def test_games_per_size_groups_sizes_by_count() -> None:
    assert games_per_size({6: 10, 8: 10, 10: 5, 12: 5, 14: 5}) == "10 games at n=6, 8; 5 at n=10, 12, 14"
    assert games_per_size({4: 2}) == "2 games at n=4"
    assert games_per_size({12: 1, 14: 1}) == "1 game at n=12, 14"


def test_one_label_part_follows_quantecons_path_in_a_killable_child() -> None:
    pytest.importorskip("quantecon")
    config = replace(TINY, label_games={6: 2}, libraries=("equilibria", "quantecon"))
    rows = nf.run_lemke_howson_from_label(config, {"equilibria": True, "quantecon": True}, lambda _: None)
    stats = rows[0].stats
    assert stats["equilibria"].valid == stats["quantecon"].valid == 2
    assert rows[0].same == {"quantecon": (2, 2)}  # label 0 on a nondegenerate game: one path, one end
    assert "| 6 | quantecon | 2/2 |" in "\n".join(nf.label_markdown(rows, config.cap_seconds))
