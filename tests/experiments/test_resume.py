"""Kill-and-resume with a real SIGKILL: a reproduction killed as `python -m equilibria reproduce NAME --out DIR` once a
unit of work has been checkpointed resumes on the next run. Two reproductions stand for the rest (the checkpointing
is the runner's, the same for every experiment): calvano (numba kernels, two unit folders) and leduc-convergence.
Every reproduction with checkpointed units is also resumed in-process after losing a unit, in its quick
configuration (tests/experiments/test_registry.py).

The configurations are the full ones with fields replaced through ``EQUILIBRIA_REPRODUCE_OVERRIDES`` (the runner's
test hook), so the code path is the full run's on a problem small enough for a test. Each test asserts that

- the killed run left no report and no experiment checkpoint, only finished units;
- the rerun did not recompute them (their files are untouched: same bytes, same mtime) and said so (progress output,
  ``results.json``'s unit count);
- the final results equal an uninterrupted run's (timings aside: they are measurements of this machine).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from equilibria.experiments.runner import OVERRIDES_VARIABLE

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

# name -> (overrides of the full configuration, the folders its units are checkpointed in, in the order they fill)
LONG_REPRODUCTIONS: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {
    "calvano": ({"sessions": 24, "chunks": 4, "beta": 2e-5, "convergence_window": 10_000, "low_discount_sessions": 4,
                 "three_firm_sessions": 2, "heatmap_alphas": [0.1], "heatmap_betas": [2e-5, 4e-5],
                 "heatmap_sessions": 4, "impulse_horizon": 6}, ("sessions", "cells")),
    "leduc-convergence": ({"full_width_iterations": 1000, "sampled_iterations": 400, "grid_points": 6},
                          ("cells",)),
}


def _environment(name: str, tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env[OVERRIDES_VARIABLE] = json.dumps({name: LONG_REPRODUCTIONS[name][0]})
    # One thread per kernel: a session's result does not depend on the thread count (each owns its random stream),
    # and on a shared machine a parallel kernel waiting for a busy core costs more than it gains.
    env["OPENBLAS_NUM_THREADS"] = env["NUMBA_NUM_THREADS"] = env["OMP_NUM_THREADS"] = "1"
    # The three runs of a test compile the same XLA programs: share them through JAX's persistent cache, and let
    # XLA skip its expensive passes (the same flags in every run, so the three runs compute the same numbers).
    env["JAX_COMPILATION_CACHE_DIR"] = str(tmp_path / "jax-cache")
    env["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"
    env["JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES"] = "0"
    env["XLA_FLAGS"] = "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"
    return env


def _command(name: str, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "equilibria", "reproduce", name, "--out", str(out), *extra]


def _units(out: Path, name: str) -> dict[Path, tuple[int, bytes]]:
    """Finished unit files (temporary files of a write in progress start with a dot) -> (mtime, bytes)."""
    found = {}
    for folder in LONG_REPRODUCTIONS[name][1]:
        for path in sorted((out / name / folder).glob("[!.]*.json")):
            found[path] = (path.stat().st_mtime_ns, path.read_bytes())
    return found


def _kill_after_first_unit(name: str, out: Path, env: dict[str, str]) -> dict[Path, tuple[int, bytes]]:
    process = subprocess.Popen(_command(name, out, "--no-progress"), env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    try:
        while not _units(out, name):
            if process.poll() is not None:
                pytest.fail(f"{name} ended (rc {process.returncode}) before a unit was checkpointed: "
                            f"{process.stderr.read().decode()[-2000:] if process.stderr else ''}")
            if time.monotonic() > deadline:
                pytest.fail(f"{name}: no unit checkpointed within 240 s")
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.communicate()
    assert process.returncode == -signal.SIGKILL, f"{name} finished before it could be killed"
    return _units(out, name)


# a measurement of this machine's clock: "seconds", "ms per iteration", "compile s", "median ms", "wall time"
TIMING = re.compile(r"second|\bms\b|\bs$|wall")


def without_timings(value: Any) -> Any:
    """Results with the wall-clock measurements left out (keys and table columns that name seconds)."""
    if isinstance(value, dict):
        if "columns" in value and "rows" in value:
            keep = [i for i, c in enumerate(value["columns"]) if not TIMING.search(c)]
            return {**value, "columns": [value["columns"][i] for i in keep],
                    "rows": [[row[i] for i in keep] for row in value["rows"]]}
        return {k: without_timings(v) for k, v in value.items() if not TIMING.search(k)}
    if isinstance(value, list):
        return [without_timings(v) for v in value]
    return value


def _results(out: Path, name: str) -> dict[str, Any]:
    entry = json.loads((out / "results.json").read_text())["experiments"][name]
    return without_timings({key: entry[key] for key in ("summary", "checks", "tables", "figures")})


def _finished(process: subprocess.CompletedProcess[str], name: str) -> None:
    # 0: reproduced; 1: ran to the end but a tiny configuration need not reproduce the paper (no internal error)
    assert process.returncode in (0, 1) and "internal error" not in process.stderr, process.stderr[-3000:]


@pytest.mark.parametrize("name", sorted(LONG_REPRODUCTIONS))
def test_a_killed_reproduction_resumes_with_its_missing_units(name: str, tmp_path: Path) -> None:
    env = _environment(name, tmp_path)
    killed, reference = tmp_path / "killed", tmp_path / "reference"
    before = _kill_after_first_unit(name, killed, env)
    assert before, "the kill came after the first unit was written"
    assert not (killed / "results.json").exists() and not (killed / name / "result.json").exists()

    rerun = subprocess.run(_command(name, killed), env=env, capture_output=True, text=True, timeout=600)
    _finished(rerun, name)
    after = _units(killed, name)
    assert {path: after[path] for path in before} == before  # neither recomputed nor rewritten
    units = json.loads((killed / "results.json").read_text())["experiments"][name]["units"]
    assert units["resumed"] == len(before) and units["total"] == len(after) > len(before), units
    shown = dict(re.findall(r"([^\r\n:]+: [^\r\n(]+) \((\d+) of \d+ from checkpoint\)", rerun.stderr))
    assert sum(int(k) for k in shown.values()) == len(before), (shown, rerun.stderr[-2000:])  # progress says so

    uninterrupted = subprocess.run(_command(name, reference, "--no-progress"), env=env, capture_output=True,
                                   text=True, timeout=600)
    _finished(uninterrupted, name)
    assert json.loads((reference / "results.json").read_text())["experiments"][name]["units"]["resumed"] == 0
    assert _results(killed, name) == _results(reference, name)
