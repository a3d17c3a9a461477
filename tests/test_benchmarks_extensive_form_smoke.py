"""Smoke test of benchmarks/extensive_form.py: a tiny run on Kuhn poker renders every part, and equilibria's
figures in it are right (peers are used when installed and skipped otherwise)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from benchmarks import extensive_form as bench

KUHN_VALUE = float(Fraction(-1, 18))


@pytest.fixture(scope="module")
def tiny_report() -> bench.Report:
    return bench.run_benchmark(bench.TINY, "python benchmarks/extensive_form.py (smoke test)")


def test_tiny_run_renders_targets_and_every_part(tiny_report: bench.Report) -> None:
    text = bench.render(tiny_report)
    assert text.startswith(bench.MARKERS[0]) and text.rstrip().endswith(bench.MARKERS[1])
    for heading in ("### Targets", "### 1. Time to exploitability", "### 2. CFR+ seconds per iteration",
                    "### 3. Vanilla CFR", "### 4. Sequence-form LP"):
        assert heading in text
    assert "exact sequence-form LP value in under 10 s" in text


def test_tiny_run_reaches_both_targets_with_every_variant(tiny_report: bench.Report) -> None:
    ours = [r for r in tiny_report.targets if r.implementation.startswith("equilibria")]
    assert {(r.implementation, r.target) for r in ours} == {
        (f"equilibria cfr_solve({v!r})", t) for v in bench.TINY.variants for t in bench.TINY.targets}
    for row in ours:  # Kuhn reaches 1e-3 within milliseconds
        assert row.reached and row.seconds is not None and row.exploitability is not None
        assert row.exploitability <= row.target


def test_tiny_run_lp_rows_find_kuhns_value(tiny_report: bench.Report) -> None:
    assert [(r.game, r.implementation) for r in tiny_report.lp] == [  # side by side, floats then exact
        ("kuhn-poker", f"{library} {call}(rational={rational})") for rational in (False, True)
        for library, call in (("equilibria", "sequence_form_lp_solve"), ("pygambit", "nash.lp_solve"))]
    solved = [r for r in tiny_report.lp if r.seconds is not None]
    assert {r.implementation for r in solved} >= {"equilibria sequence_form_lp_solve(rational=False)",
                                                  "equilibria sequence_form_lp_solve(rational=True)"}
    for row in solved:  # every library's answer, judged by the one checker
        assert row.value is not None and abs(row.value - KUHN_VALUE) <= 1e-9
        assert row.exploitability is not None and row.exploitability <= 1e-9
    exact = next(r for r in solved if r.implementation.endswith("(rational=True)"))
    assert "exact value: -1/18; exact exploitability 0" in exact.note


def test_vanilla_cfr_agrees_with_openspiel_where_installed(tiny_report: bench.Report) -> None:
    ours = tiny_report.vanilla[0]
    assert ours.implementation.startswith("equilibria") and 0 < ours.exploitability < 0.5
    for peer in tiny_report.vanilla[1:]:  # OpenSpiel's CFRSolver runs the same algorithm on the same tree
        assert abs(peer.exploitability - ours.exploitability) <= 1e-12


def test_tiny_run_has_the_small_game_overhead_targets_where_peers_ran(tiny_report: bench.Report) -> None:
    """One row per overhead target on Kuhn poker (CFR+ per iteration and to each target against OpenSpiel's C++,
    the LP against pygambit's, floats and exact), each comparing two measured times."""
    claims = {row[0]: row for row in bench.small_game_rows(tiny_report)}
    expected = []
    if any("pyspiel.CFRPlusSolver" in r.implementation for r in tiny_report.per_iteration):
        expected.append("kuhn-poker CFR+ per iteration: no slower than OpenSpiel's C++ CFR+")
        expected += [f"kuhn-poker cfr_solve('cfr+') to exploitability {t:g} (checks every 10 included): no slower "
                     "than OpenSpiel's C++ CFR+ with its checks" for t in sorted(bench.TINY.targets, reverse=True)]
    if any(r.implementation.startswith("pygambit") and r.seconds is not None for r in tiny_report.lp):
        expected += [f"kuhn-poker sequence-form LP ({kind}): no slower than pygambit's lp_solve"
                     for kind in ("floats vs floats", "exact vs exact")]
    assert sorted(claims) == sorted(expected)
    for row in claims.values():
        assert row[2] in ("**met**", "**not met**") and " vs " in row[1]
    assert all(row in bench.target_rows(tiny_report) for row in claims.values())
