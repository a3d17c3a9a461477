"""Smoke test of benchmarks/auctions.py: a tiny run renders every part, and every mechanism implementation agrees
with the plain NumPy reference; where bnelearn is installed, a tiny bnelearn run is judged by our certificate."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

pytest.importorskip("jax")

from benchmarks import auctions as bench  # noqa: E402


def test_tiny_run_renders_every_part() -> None:
    report = bench.run_benchmark(bench.TINY, "python benchmarks/auctions.py (smoke test)")
    text = bench.render(report)
    assert text.startswith(bench.MARKERS[0]) and text.rstrip().endswith(bench.MARKERS[1])
    for heading in ("### Targets", "### (a)", "### (b)", "### (c)"):
        assert heading in text
    assert {(r.setting, r.implementation.split()[0]) for r in report.races} == {
        (s, who) for s in bench.SETTINGS for who in ("equilibria", "plain")}
    for r in report.races:
        assert r.first_seconds > 0 and len(r.certificates) == 1 + bench.TINY.repeats
        assert all(0 <= x < 1 for x in r.certificates) and all(1 <= s <= bench.TINY.max_iterations for s in r.sweeps)
    assert report.peer == [] and "Skipped: not run in the tiny configuration" in text  # part (c) is off
    assert len(report.throughput) == 3 * len(bench.MECHANISMS)
    for t in report.throughput:
        assert t.warm_seconds > 0 and t.max_difference < 1e-9  # the same allocations and payments


def test_plain_best_response_reaches_the_certificate_on_first_price() -> None:
    """The baseline is a working solver, not a straw man: ten sweeps certify first price below the target."""
    config = bench.Config("test", repeats=0, profiles=10, max_iterations=10, check_every=10, n_samples=512,
                          certificate_samples=2**12)
    s = bench.auction_setting("first-price")
    sweeps, certificate = bench.plain_best_response(s.mechanism, s.priors, config, seed=0)
    assert sweeps == 10 and 0 < certificate < config.tol


def test_bnelearn_missing_says_why_in_one_line() -> None:
    why = bench.bnelearn_missing()
    assert why == "" or ("bnelearn" in why and "\n" not in why)


def test_a_tiny_bnelearn_run_is_judged_by_our_certificate() -> None:
    """bnelearn's NPGA for two epochs on a tiny batch (when it is installed): the time, epochs, our certificate and
    its own estimate come back consistent with each other."""
    pytest.importorskip("torch")
    if bench.bnelearn_missing():
        pytest.skip(bench.bnelearn_missing())
    peer = bench.PeerConfig(batch_size=2**8, repeats=0, max_seconds=60.0, check_every=1, pretrain_iters=20,
                            max_epochs=2, own_observations=2**4, own_opponents=2**6, own_grid=2**4)
    config = replace(bench.TINY, peer=peer)
    seconds, epochs, certificate, own, reached = bench.bnelearn_run("first-price", config, seed=0)
    assert seconds > 0 and 1 <= epochs <= 2
    assert 0 <= certificate < 1 and math.isfinite(own) and own >= 0
    assert reached == (certificate < config.tol)
