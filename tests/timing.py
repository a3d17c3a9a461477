"""Wall-clock checks of time limits on a shared machine.

``make test`` runs two pytest workers on two cores, beside the subprocesses some tests start, so a call's wall time
is its own plus whatever else got the core at that moment: hoffman_karp with ``max_seconds=0.5`` took 0.82 s alone
and 1.84 s beside a busy worker (BLAS threads unpinned). A limit is therefore checked on the first of a few runs
that keeps it, with the limit itself unchanged: a call that hangs, or really overruns its budget, fails every run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def first_within(limit: float, call: Callable[[], T], attempts: int = 3) -> tuple[float, T]:
    """``(wall seconds, result)`` of the first of ``attempts`` calls that returned within ``limit`` seconds, or of
    the last call when none did (the caller's assertion then reports that one)."""
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts}")
    for _ in range(attempts):
        started = time.perf_counter()
        result = call()
        wall = time.perf_counter() - started
        if wall <= limit:
            break
    return wall, result
