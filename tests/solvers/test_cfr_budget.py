"""CFR's time budget includes the exploitability certificate: time is kept for it, and a certificate that cannot be
computed in time is reported as such (inf, converged=False, a message) instead of being waited for."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from equilibria.games.zoo.extensive_form import get
from equilibria.metrics import exploitability as metrics
from equilibria.solvers import _extensive
from equilibria.solvers._common import Budget
from equilibria.solvers.cfr import cfr_solve
from tests.metrics.test_deep_trees import chain


@pytest.fixture(scope="module")
def deep():
    game = chain(20_000, seed=5)
    cfr_solve(chain(80), variant="cfr+", max_iterations=2)  # compiled kernels loaded before any timing
    return game


@pytest.mark.parametrize("variant", ["cfr+", "mccfr-external", "mccfr-outcome"])
def test_the_budget_covers_iterations_and_certificate(deep, variant: str) -> None:
    clock = time.perf_counter()
    result = cfr_solve(deep, variant=variant, max_seconds=0.5, seed=0)
    seconds = time.perf_counter() - clock
    assert seconds < 0.5 * 1.5 + 1.0  # the contract (solvers._extensive); in practice about 0.5 s
    assert result.iterations >= 1 and not result.converged and "message" not in result.parameters
    assert result.certificate[0] == pytest.approx(metrics.exploitability(deep, result.equilibrium), abs=1e-12)


def test_a_certificate_that_cannot_finish_in_time_is_reported(deep, monkeypatch) -> None:
    # No slack past max_seconds, and a clock check every 1024 nodes: set-up alone exceeds 1 ms on 40,001 nodes.
    monkeypatch.setattr(_extensive, "CERTIFICATE_SLACK", (0.0, 0.0))
    monkeypatch.setattr(metrics, "_BLOCK", 1024)
    result = cfr_solve(deep, variant="cfr+", max_seconds=1e-3)
    assert result.iterations == 1  # at least one iteration runs
    assert result.certificate == (math.inf,) and not result.converged
    assert result.parameters["message"] == _extensive.UNCERTIFIED
    assert np.all(np.isnan(result.values[0])) and len(result.equilibria) == 1


def test_bounded_evaluation_gives_up_at_its_deadline(deep, monkeypatch) -> None:
    monkeypatch.setattr(metrics, "_BLOCK", 1024)
    policy = deep.uniform_policy()
    assert metrics.payoffs_and_best_responses(deep, policy, deadline=time.perf_counter() - 1.0) is None
    values, best = metrics.payoffs_and_best_responses(deep, policy, deadline=time.perf_counter() + 60.0)
    unbounded = metrics.payoffs_and_best_responses(deep, policy)
    assert unbounded is not None
    np.testing.assert_array_equal(values, unbounded[0])
    np.testing.assert_array_equal(best, unbounded[1])


def test_the_certificate_deadline_follows_the_budget() -> None:
    assert _extensive.certificate_deadline(Budget()) is None
    budget = Budget(max_seconds=2.0, started=100.0)
    assert _extensive.certificate_deadline(budget) == 100.0 + 2.0 * 1.5 + 1.0


def test_small_games_keep_their_iterations(monkeypatch) -> None:
    # On Kuhn poker the time kept for the certificate is a couple of milliseconds: almost all of the budget
    # goes to iterations.
    kuhn = get("kuhn-poker")
    cfr_solve(kuhn, max_iterations=1)
    clock = time.perf_counter()
    result = cfr_solve(kuhn, variant="cfr", max_seconds=0.2)
    assert time.perf_counter() - clock < 0.2 * 1.5 + 1.0
    assert result.iterations > 20 and math.isfinite(result.certificate[0])


# -- time limits (issue 15) --------------------------------------------------------------------------------------


def test_item1_compiled_sweeps_not_ready_in_time_are_reported(monkeypatch) -> None:
    from equilibria.core import compiled
    from equilibria.core.compiled import Compilation
    from equilibria.solvers import _cfr_tree

    note = "numba is compiling _sweep_loops for the first time"
    monkeypatch.setattr(_cfr_tree, "_LOADED", [])
    monkeypatch.setattr(compiled, "ensure_compiled", lambda *args, timeout=None: Compilation(False, 0.0, True, note))
    result = cfr_solve(chain(80), variant="cfr+", max_seconds=1.0)
    assert not result.converged and len(result) == 0 and result.iterations == 0
    assert result.parameters["stopped_because"] == f"max_seconds=1 reached while compiling: {note}"


def test_item4_every_stop_says_why(deep) -> None:
    kuhn = get("kuhn-poker")
    counted = cfr_solve(kuhn, max_iterations=3)
    assert counted.parameters["stopped_because"].startswith("max_iterations=3 reached (no target_exploitability")
    missed = cfr_solve(kuhn, max_iterations=3, target_exploitability=1e-9)
    assert missed.parameters["stopped_because"] == "max_iterations=3 reached before exploitability 1e-09"
    timed = cfr_solve(deep, variant="cfr+", max_seconds=0.2)
    assert "max_seconds=0.2" in timed.parameters["stopped_because"]
    assert "stopped_because" not in cfr_solve(kuhn, max_iterations=5000, target_exploitability=0.05).parameters
