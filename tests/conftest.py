"""Shared fixtures."""

from __future__ import annotations

import atexit
import gc
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

# One JAX compilation cache for the whole run: the two xdist workers and the commands tests start in subprocesses
# compile many of the same XLA programs (a warm cache cuts a JAX-heavy test file's CPU time by about three quarters).
# The controller creates it before the workers start, they inherit the variable, and it goes when the run ends. A
# cached executable is the one a fresh compile would build from the same program, so no number changes.
if "JAX_COMPILATION_CACHE_DIR" not in os.environ:
    _jax_cache = tempfile.mkdtemp(prefix="equilibria-tests-jax-cache-")
    os.environ["JAX_COMPILATION_CACHE_DIR"] = _jax_cache
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.2")
    atexit.register(shutil.rmtree, _jax_cache, ignore_errors=True)

# XLA's CPU backend at LLVM optimisation level 1 instead of its default: compiling, which dominates most JAX tests,
# takes about half the time (GAN training program: 10 CPU s instead of 20-23) while the compiled programs run as fast
# (measured on the same program: 5.5 s at both levels; level 0 compiles in 6 s but runs 3x slower). It changes code
# generation only, not the HLO program or floating-point semantics. Users get XLA's default.
os.environ.setdefault("XLA_FLAGS", "--xla_backend_optimization_level=1")

# Ray starts its processes with fork + exec (subprocess); JAX warns about any fork in a process that has loaded it,
# but exec replaces the child at once, so the deadlock it warns about cannot happen there.
RAY_FORK_WARNING = "ignore:os.fork\\(\\) was called:RuntimeWarning"


# A worker that keeps every program of every module it ran grew to 5.5 GB by the end of a run (JAX holds each
# compiled executable for as long as its function lives); past this size they are let go between modules.
JAX_CACHE_LIMIT_BYTES = 2 * 2**30


def _resident_bytes() -> int | None:
    """This process's resident memory now (Linux), or None where /proc is not there."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


@pytest.fixture(autouse=True, scope="module")
def _release_compiled_programs() -> Iterator[None]:
    """After a test module, JAX's in-memory caches (traced functions, compiled executables) are emptied once the
    worker holds more than JAX_CACHE_LIMIT_BYTES; a later module that needs one of those programs again reads it
    from the run's disk cache above instead of compiling it."""
    yield
    jax = sys.modules.get("jax")
    resident = _resident_bytes()
    if jax is not None and (resident is None or resident > JAX_CACHE_LIMIT_BYTES):
        jax.clear_caches()
        gc.collect()


@pytest.fixture(scope="session")
def ray_instance() -> Iterator[Any]:
    """A local Ray instance (2 CPUs) for the tests of the Ray backend; skipped when Ray is not installed."""
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say plainly when the web lab's browser tests were skipped, and why (no Chromium, no Playwright): ``make
    test`` must not pass them silently (tests/lab/conftest.py skips them with a reason starting like this)."""
    reasons = set()
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = getattr(report, "longrepr", None)
        reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
        if "browser tests skipped:" in reason:
            reasons.add(reason.removeprefix("Skipped: "))
    for reason in sorted(reasons):
        terminalreporter.write_line(f"NOTE: the web lab's {reason}", yellow=True, bold=True)
