"""Smoke test of benchmarks/auctions.py: a tiny run renders every part, and every mechanism implementation agrees
with the plain NumPy reference."""

from __future__ import annotations

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
