"""Pieces of the mean-field-approximation reproduction (its quick run, every check and figure, is
tests/experiments/test_registry.py's): left-right's closed form and the checks' verdicts on made-up results."""

from __future__ import annotations

import math

import pytest

from equilibria.experiments.mean_field_approximation import ApproximationConfig, _checks, left_right_exact


def test_left_right_closed_form() -> None:
    # N = 2: the other agent goes left with probability 2/3; only when it goes right (1/3) does agent 0 gain, by
    # max(-1/2, -2) - (2/3 (-1/2) + 1/3 (-2)) = 1/2.
    upper, lower = left_right_exact(2)
    assert upper == pytest.approx(1 / 6, abs=1e-15) and lower == pytest.approx(1 / 6, abs=1e-15)
    for n in (1, 7, 100, 5000):
        assert left_right_exact(n)[1] == pytest.approx(1 / (3 * n), rel=1e-9)
    assert left_right_exact(1)[0] == pytest.approx(1 / 3, abs=1e-15)
    # the normal limit of the binomial sum: U_N sqrt(N) -> 1 / sqrt(pi)
    assert left_right_exact(200_000)[0] * math.sqrt(200_000) == pytest.approx(1 / math.sqrt(math.pi), rel=2e-3)


def _result(slope: float, exploitability: float) -> dict:
    ns = [100, 1000, 10_000]
    upper = [left_right_exact(n)[0] for n in ns]
    return {"environment": "left-right", "ns": ns, "upper": upper, "upper_se": [u / 50 for u in upper],
            "lower": [1 / (3 * n) for n in ns], "lower_se": [1e-3] * 3,
            "equilibrium_return": [-(2 + 2 * n) / (3 * n) for n in ns], "equilibrium_return_se": [0.0] * 3,
            "mean_field_return": -2 / 3, "exploitability": exploitability,
            "fit": {"slope": slope, "slope_se": 0.01}}


def test_checks_pass_on_the_closed_form_and_fail_outside_the_band() -> None:
    config = ApproximationConfig()
    assert all(c.passed for c in _checks(_result(-0.5, 1e-12), config))
    verdicts = {c.claim.split(":")[1].strip()[:20]: c.passed for c in _checks(_result(-0.65, 1e-12), config)}
    assert verdicts["fitted slope of log "] is False
    uncertified = _checks(_result(-0.5, 1e-4), config)
    assert not uncertified[0].passed and all(c.passed for c in uncertified[1:])
