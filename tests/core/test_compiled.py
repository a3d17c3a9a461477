"""jit_leaf: compiled without reference counting, or inlined into leaf callers; the same numbers either way.
ensure_compiled: a cold kernel is compiled by another process, within a time limit and open to Ctrl-C. leaf_clock:
a clock compiled code can read. Kernels: nothing of numba is imported until the first compiled call; interpreted()
runs them as Python until then, for as long as the allowance lasts."""

import importlib
import json
import os
import signal
import subprocess
import sys
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


# -- kernels compile on first use; small problems may run them interpreted (each case in a fresh interpreter) -------

_LAZY_SCRIPT = '''
import json, sys
import numpy as np
from equilibria.core import compiled
sys.path.insert(0, {directory!r})
import lazy_kernels as module

values = np.arange(5.0)
report = {{"kernel_before": type(module.twice).__name__, "numba_at_import": "numba" in sys.modules}}
with compiled.interpreted():
    report["interpreted"] = module.twice(values)
    report["interpreting"] = compiled.interpreting()
    report["clock_is_python"] = module.clock() > 0
report["numba_after_interpreted"] = "numba" in sys.modules
report["prefer_before"] = compiled.prefer_interpreted()
report["compiled"] = module.twice(values)  # outside interpreted(): numba is loaded and the kernels compile
report["numba_after_call"] = "numba" in sys.modules
report["global_after"] = type(module.twice).__name__
report["callee_after"] = type(module._scaled).__name__
report["prefer_after"] = compiled.prefer_interpreted()
with compiled.interpreted():
    report["interpreting_when_active"] = compiled.interpreting()
print(json.dumps(report))
'''

_LAZY_MODULE = '''
from equilibria.core.compiled import jit_leaf, leaf_clock


def _scaled_loops(values, scale):
    total = 0.0
    for value in values:
        total += value * scale
    return total


def _twice(values):
    return _scaled(values, 2.0)


_scaled = jit_leaf(_scaled_loops, inline=True)
twice = jit_leaf(_twice)
clock = leaf_clock()
'''


def test_kernels_wait_for_their_first_compiled_call(tmp_path: Path) -> None:
    """A kernel is a plain object until a call outside interpreted() loads numba; then the module's globals (the
    caller's and its inlined callee's) are numba dispatchers, and interpreted() no longer changes anything."""
    pytest.importorskip("numba")
    (tmp_path / "lazy_kernels.py").write_text(_LAZY_MODULE)
    script = _LAZY_SCRIPT.format(directory=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["kernel_before"] == "Kernel" and not report["numba_at_import"]
    assert report["interpreted"] == report["compiled"] == 20.0
    assert report["interpreting"] and report["clock_is_python"]
    assert not report["numba_after_interpreted"] and report["prefer_before"]
    assert report["numba_after_call"]
    assert report["global_after"] == report["callee_after"] == "CPUDispatcher"
    assert not report["prefer_after"] and not report["interpreting_when_active"]


def test_a_process_stops_interpreting_once_it_has_spent_the_allowance(monkeypatch: pytest.MonkeyPatch) -> None:
    from equilibria.core import compiled

    monkeypatch.setattr(compiled, "_ACTIVE", False)
    monkeypatch.setattr(compiled, "_INTERPRETED_SECONDS", [0.0])
    monkeypatch.setattr(compiled, "INTERPRETED_ALLOWANCE_SECONDS", 0.02)
    assert compiled.prefer_interpreted() == compiled.NUMBA_INSTALLED
    with compiled.interpreted_if(True):
        time.sleep(0.03)
    assert not compiled.prefer_interpreted()
    with compiled.interpreted_if(True):  # a no-op block now
        assert not compiled.interpreting()
