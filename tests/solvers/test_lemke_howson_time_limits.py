"""Lemke-Howson's time limit (issue 15): compiled code not ready within the budget, and a budget that does not starve
a solve that fits in it."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from equilibria.core import compiled
from equilibria.core.compiled import Compilation
from equilibria.games.generators import random_game
from equilibria.games.io import save_game
from equilibria.games.normal_form import NormalFormGame
from equilibria.metrics import max_regret
from equilibria.solvers import lemke_howson as lh
from equilibria.solvers.lemke_howson import lemke_howson_solve


def _without_pure_equilibrium(n: int) -> NormalFormGame:
    """As tests/test_time_limits.py's generator: the first random n x n game (seeds 0, 1, ...) with no pure
    equilibrium."""
    return next(game for game in (random_game((n, n), seed=seed) for seed in range(100)) if not game.pure_nash())


@pytest.mark.parametrize("n", [10, 200])
def test_item1_not_compiled_in_time_returns_at_once_with_the_reason(n: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both engines (dense 10 x 10, revised 200 x 200) ask ensure_compiled first; not ready: nothing, and why."""
    note = "numba is compiling _kernel for the first time (process 1, into the disk cache; the next run will not wait)"
    asked = []

    def not_ready(kernel: object, *args: object, timeout: float | None = None) -> Compilation:
        asked.append(timeout)
        time.sleep(timeout or 0.0)
        return Compilation(False, timeout or 0.0, True, note)

    monkeypatch.setattr(lh, "_LOADED", set())
    monkeypatch.setattr(compiled, "ensure_compiled", not_ready)  # what ensure_all_compiled calls
    game = random_game((n, n), seed=0)
    result = lemke_howson_solve(game, max_seconds=0.05)
    assert not result.converged and result.equilibria == () and result.iterations == 0
    assert result.parameters["stopped_because"] == f"max_seconds=0.05 reached while compiling: {note}"
    assert 0.05 <= result.seconds < 0.5
    assert asked and all(timeout is not None and timeout <= 0.05 for timeout in asked)
    # Exact mode runs no compiled code: it does not wait.
    assert lemke_howson_solve(random_game((3, 3), seed=1), rational=True, max_seconds=5.0).converged


def test_item1_loaded_kernels_cost_a_set_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    game = random_game((10, 10), seed=3)
    assert lemke_howson_solve(game).converged  # loads the dense engine

    def fail(*args: object, **options: object) -> Compilation:
        raise AssertionError("ensure_compiled called for a loaded engine")

    monkeypatch.setattr(compiled, "ensure_compiled", fail)
    assert lemke_howson_solve(game, max_seconds=5.0).converged


def test_item1_cold_cache_keeps_the_time_limit(tmp_path: Path) -> None:
    """A fresh process with an empty numba cache: the solve returns within 1.5 max_seconds + 1 s, not converged,
    saying that numba is compiling (it took 39.7 s before; the compiling processes it leaves are ended here)."""
    path = tmp_path / "game.json"
    save_game(random_game((200, 200), seed=0), path)
    child = (
        "import json, sys, time\n"
        "from equilibria.core.compiled import pending_compilations\n"
        "from equilibria.games.io import load_game\n"
        "from equilibria.solvers.lemke_howson import lemke_howson_solve\n"
        "game = load_game(sys.argv[1])\n"
        "started = time.perf_counter()\n"
        "result = lemke_howson_solve(game, max_seconds=1.0)\n"
        "print(json.dumps({'wall': time.perf_counter() - started, 'converged': result.converged,\n"
        "                  'reason': result.parameters.get('stopped_because'),\n"
        "                  'pending': list(pending_compilations().values())}))\n")
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "empty-cache"), OPENBLAS_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    process = subprocess.run([sys.executable, "-c", child, str(path)], env=env, capture_output=True, text=True,
                             timeout=60)
    assert process.returncode == 0, process.stderr[-2000:]
    out = json.loads(process.stdout.strip().splitlines()[-1])
    for pid in out["pending"]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert out["wall"] <= 2.5
    assert not out["converged"]
    assert out["reason"].startswith("max_seconds=1 reached while compiling: numba is compiling"), out["reason"]


def test_item2_a_budget_does_not_starve_a_solve_that_fits_in_it() -> None:
    """400 x 400 (the test_time_limits generator): 3904 pivots, a few hundredths of a second once the revised
    engine's code is loaded; with max_seconds=0.5 the same path, to the pivot (the race is deterministic and the
    clock is read every 256 pivots)."""
    lemke_howson_solve(_without_pure_equilibrium(130))  # loads the revised engine (130 x 130 is past the dense one)
    game = _without_pure_equilibrium(400)
    free = lemke_howson_solve(game)
    budgeted = lemke_howson_solve(game, max_seconds=0.5)
    assert free.converged and budgeted.converged, budgeted.parameters.get("stopped_because")
    assert budgeted.iterations == free.iterations
    assert budgeted.parameters["winning_label"] == free.parameters["winning_label"]
    np.testing.assert_array_equal(budgeted.equilibria[0][0], free.equilibria[0][0])
    assert max_regret(game, budgeted.equilibria[0]) <= 1e-9


def test_item4_every_stop_names_its_reason() -> None:
    game = _without_pure_equilibrium(30)
    raced = lemke_howson_solve(game, max_iterations=3)
    assert not raced.converged and raced.parameters["stopped_because"] == "max_iterations=3 reached"
    every = lemke_howson_solve(game, all_labels=True, max_iterations=5)
    assert not every.converged and every.parameters["stopped_because"] == "max_iterations=5 reached"
    timed = lemke_howson_solve(_without_pure_equilibrium(400), max_seconds=1e-4)
    reason = timed.parameters["stopped_because"]
    assert not timed.converged and reason.startswith("max_seconds=0.0001 reached") and "\n" not in reason
    assert timed.seconds >= 1e-4
    assert "stopped_because" not in lemke_howson_solve(game).parameters
