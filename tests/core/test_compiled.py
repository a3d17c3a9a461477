"""jit_leaf: compiled without reference counting, or inlined into leaf callers; the same numbers either way.
ensure_compiled: a cold kernel is compiled by another process, within a time limit and open to Ctrl-C. leaf_clock:
a clock compiled code can read."""

import importlib
import os
import signal
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from equilibria.core.compiled import ensure_compiled, jit_leaf, leaf_clock, pending_compilations


def _scaled_sum(values: np.ndarray, scale: float) -> float:
    total = 0.0
    for value in values:
        total += value * scale
    return total


def _twice_scaled_sum(values: np.ndarray) -> float:
    return _inlined(values, 2.0)


_inlined = jit_leaf(_scaled_sum, inline=True)


def test_leaves_compute_what_python_computes() -> None:
    values = np.random.default_rng(0).random(17)
    expected = _scaled_sum(values, 2.0)
    assert jit_leaf(_scaled_sum)(values, 2.0) == expected
    assert jit_leaf(_twice_scaled_sum)(values) == expected


def test_a_leaf_that_allocates_does_not_compile() -> None:
    numba = pytest.importorskip("numba")
    leaf = jit_leaf(lambda size: np.zeros(size).sum())
    with pytest.raises(numba.core.errors.NumbaError):
        leaf(3)


# -- compiling ahead in another process, and the leaves' clock -----------------------------------------------------

_KERNEL_SOURCE = '''
from equilibria.core.compiled import jit_leaf


@jit_leaf
def weighted(values, scale):
    total = 0.0
    for value in values:
        total += value * scale
    return total
'''


def _fresh_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A leaf in a module of its own (a new name each time: its cache starts cold, beside its file)."""
    name = f"leaf_{uuid.uuid4().hex}"
    (tmp_path / f"{name}.py").write_text(_KERNEL_SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    return importlib.import_module(name).weighted


def test_plain_functions_are_ready() -> None:
    assert ensure_compiled(_scaled_sum, np.ones(2), 1.0).ready


def test_a_cold_kernel_is_compiled_by_another_process_and_loaded_from_the_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("numba")
    kernel = _fresh_kernel(tmp_path, monkeypatch)
    values = np.arange(4.0)
    first = ensure_compiled(kernel, values, 2.0)
    assert first.ready and first.compiled and first.seconds > 0
    assert kernel(values, 2.0) == 12.0
    # This process compiled nothing: it loaded what the other one wrote.
    assert not kernel.stats.cache_misses and sum(kernel.stats.cache_hits.values()) == 1
    again = ensure_compiled(kernel, values, 2.0)
    assert again.ready and not again.compiled


def test_a_kernel_not_ready_in_time_goes_on_compiling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("numba")
    kernel = _fresh_kernel(tmp_path, monkeypatch)
    started = time.perf_counter()
    late = ensure_compiled(kernel, np.ones(3), 1.0, timeout=0.05)
    assert time.perf_counter() - started < 0.5
    assert not late.ready and late.compiled and "compiling weighted" in late.note
    running = pending_compilations()
    assert any(name.endswith(".weighted") for name in running)
    done = ensure_compiled(kernel, np.ones(3), 1.0)  # waits for the same process
    assert done.ready and kernel(np.ones(3), 1.0) == 3.0 and not kernel.stats.cache_misses
    assert not any(name.endswith(".weighted") for name in pending_compilations())


def test_ctrl_c_stops_the_wait_at_once_and_ends_the_compiling_process(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("numba")
    kernel = _fresh_kernel(tmp_path, monkeypatch)
    # Python's own handler, also where this process was started with SIGINT ignored (a background job of a script).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    try:
        started = time.perf_counter()
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            ensure_compiled(kernel, np.ones(3), 1.0)
        assert time.perf_counter() - started < 1.0  # starting the other interpreter alone takes longer
    finally:
        timer.join()
        signal.signal(signal.SIGINT, previous)
    assert not any(name.endswith(".weighted") for name in pending_compilations())


def _spin(seconds: float) -> int:
    start = _clock()
    turns = 0
    while _clock() - start < seconds * 1e9:
        turns += 1
    return turns


_clock = leaf_clock()


def test_the_leaf_clock_measures_time_inside_compiled_code() -> None:
    spin = jit_leaf(_spin)
    spin(1e-3)  # compile
    started = time.perf_counter()
    assert spin(0.05) > 0
    elapsed = time.perf_counter() - started
    assert 0.05 <= elapsed < 0.5
