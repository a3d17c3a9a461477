"""Compiling hot loops with numba, which is optional: without it the same Python functions run interpreted.

A *leaf* is a function compiled without numba's reference counting (NRT). Every array a compiled call handles is
otherwise reference counted with atomic operations, which on small games cost more than the arithmetic. A leaf
must allocate nothing, must not return arrays to non-leaf compiled code or to Python (its views are not counted),
and may call only other leaves or inlined functions; numba refuses to compile one that allocates.

Kernels wait for their first compiled call. :func:`jit_leaf` and :func:`jit` return a :class:`Kernel`, and nothing
of numba is imported (importing numba and loading a solver's cached code takes half a second, more than most
small solves). The first call outside :func:`interpreted` -- or :func:`ensure_compiled` -- runs :func:`activate`:
numba is imported, every kernel made so far gets its dispatcher, and the module globals naming a Kernel are
rebound to the dispatcher, because compiled code finds the functions it calls in its module's globals at compile
time (a kernel must be reached from compiled code through a module global). Kernels made afterwards are
dispatchers at once. A module that compiles with ``numba.njit`` itself (parallel loops, say) and calls kernels
calls :func:`activate` before taking them, so that numba finds dispatchers, not Kernels, when it types its code
(numba inlines what it finds, and a Kernel activated in the middle of that fails to inline the clock).
Inside :func:`interpreted` a Kernel runs its Python function (or the ``interpreted`` alternative it was given),
so a solver can solve a small problem without loading compiled code at all; it asks
:func:`prefer_interpreted` first, which says yes only until the process has spent
:data:`INTERPRETED_ALLOWANCE_SECONDS` interpreting (then loading the compiled code pays: a process solving many
small games pays at most about twice what the better choice would have cost, the ski-rental bound). The same
Python functions run either way, so interpreted and compiled answers agree (tested side by side).

First use. Compiled code is cached on disk (numba's ``cache=True``), so it is compiled once per installation and
argument types; later processes load it (a few tenths of a second). Where the cache lives is numba's choice, which
already copes with a read-only installation (checked with a package on a read-only mount): ``NUMBA_CACHE_DIR`` if
set and usable, else the ``__pycache__`` beside the source file, else a user-wide directory,
``$XDG_CACHE_HOME/numba`` or ``~/.cache/numba``. Only where none of these is writable is code compiled in memory
for the process alone (:func:`jit_leaf`).

The first compilation of a large kernel takes tens of seconds (the n-player solver's: 13-23 s on two busy cores,
Lemke-Howson's 25-40 s), and inside numba it is neither reliably interruptible nor bounded. A Ctrl-C raises
``KeyboardInterrupt`` wherever Python code runs next, and during a compile that is often a callback: llvmlite's
object-cache notification (a ctypes callback, run for every module LLVM emits) or JAX's garbage-collector callback,
where Python prints "Exception ignored" and drops the exception (measured: 3 interrupts in 6 were lost that way, and
the compile and the solve went on for 19-26 s more). And a ``max_seconds`` checked between compiled calls cannot
stop the call that compiles.

Options weighed: excluding compile time from the budget breaks the promise a user reads in ``--max-seconds 5``;
compiling in a thread of the same process still loses the compile when the process exits on its time limit (so every
short run would start again), and numba's compiler holds the GIL through most of the work; a warm-up command must be
remembered. Chosen: :func:`ensure_compiled` -- a solver calls it with the arguments of its first compiled call
before making it. When the code is in memory or in the disk cache it is loaded and the solver goes on. Otherwise a
**separate Python process** compiles it into the disk cache while this one waits for it, polling, so that Ctrl-C
stops the wait at once (and kills that process) and the wait ends at the solver's time limit. A solver whose code is
not ready by then returns what it can compute without it, ``converged=False``, and says so; the compiling process
goes on by itself (in its own session, so a later Ctrl-C in the terminal does not kill it) and the next run finds
the code in the cache. Without a time limit the solver simply waits for it. A compile that fails in that process is
repeated in this one, so that its error is raised where the kernel is called.

In-kernel deadlines. A compiled call cannot read Python's clock; :func:`leaf_clock` gives leaves a monotonic
clock (``clock_gettime`` compiled in) so that a long call can stop itself at a deadline its caller passes in.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import pickle
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

NUMBA_INSTALLED: bool = importlib.util.find_spec("numba") is not None


class Kernel:
    """A function numba compiles the first time it is called outside :func:`interpreted` (module docstring).

    Until then nothing of numba is imported; inside :func:`interpreted` it runs ``interpreted`` (its Python
    function unless another was given). Once :func:`activate` has run, ``compiled`` is its numba dispatcher and
    module globals that named the kernel name the dispatcher instead (calls from Python then go straight to it).
    """

    def __init__(self, function: Callable[..., Any], options: dict[str, Any],
                 interpreted: Callable[..., Any] | None = None) -> None:
        functools.update_wrapper(self, function)
        self.py_func = function
        self.options = options
        self.interpreted = function if interpreted is None else interpreted
        self.compiled: Any = None

    def __call__(self, *args: Any) -> Any:
        compiled = self.compiled
        if compiled is None:
            if getattr(_STATE, "depth", 0):
                return self.interpreted(*args)
            activate()
            compiled = self.compiled
        return compiled(*args)

    def __getattr__(self, name: str) -> Any:
        """What the dispatcher has (``stats``, ``signatures``, ...), for code that holds the Kernel itself."""
        if name.startswith("__") or name in _KERNEL_FIELDS or not NUMBA_INSTALLED:
            raise AttributeError(name)
        activate()
        return getattr(self.compiled, name)

    def __repr__(self) -> str:
        return f"<Kernel {self.py_func.__module__}.{self.py_func.__qualname__}>"


_KERNEL_FIELDS = frozenset({"py_func", "options", "interpreted", "compiled"})


def jit_leaf(function: Callable[..., Any], *, inline: bool = False,
             interpreted: Callable[..., Any] | None = None) -> Callable[..., Any]:
    """``function`` compiled as a leaf (cached on disk) when numba is installed, else ``function`` itself.

    ``inline``: compiled into each (leaf) caller instead, for the small steps of hot loops. ``interpreted``: what
    runs inside :func:`interpreted` instead of ``function`` (a NumPy version of a loop, say). Before
    :func:`activate` the result is a :class:`Kernel` (nothing of numba imported yet), after it numba's dispatcher.
    """
    return _kernel(function, {"leaf": True, "inline": inline}, interpreted)


def jit(function: Callable[..., Any], *, inline: bool = False, error_model: str | None = None,
        interpreted: Callable[..., Any] | None = None) -> Callable[..., Any]:
    """As :func:`jit_leaf` for a kernel compiled with reference counting (one that allocates or returns arrays).

    ``error_model="numpy"``: divisions without Python's zero check (the kernel tests its divisors itself).
    """
    return _kernel(function, {"leaf": False, "inline": inline, "error_model": error_model}, interpreted)


def _kernel(function: Callable[..., Any], options: dict[str, Any],
            interpreted: Callable[..., Any] | None) -> Callable[..., Any]:
    if not NUMBA_INSTALLED:
        return function if interpreted is None else interpreted
    with _LOCK:
        if _ACTIVE:
            return _dispatcher(function, options)
        kernel = Kernel(function, options, interpreted)
        _KERNELS.append(kernel)
        return kernel


def _dispatcher(function: Callable[..., Any], options: dict[str, Any]) -> Any:
    import numba

    numba_options: dict[str, Any] = {"inline": "always" if options["inline"] else "never"}
    if options.get("error_model"):
        numba_options["error_model"] = options["error_model"]
    if options["leaf"] and _HAS_NRT_OPTION[0]:
        numba_options["_nrt"] = False
    try:
        return numba.njit(cache=True, **numba_options)(function)
    except RuntimeError:  # no writable cache directory anywhere: compile in memory instead
        return numba.njit(**numba_options)(function)


_LOCK = threading.RLock()
_STATE = threading.local()  # .depth: how many interpreted() blocks this thread is inside
_KERNELS: list[Kernel] = []  # made before activate(), to turn into dispatchers there
_ACTIVE = False
# "_nrt" is numba's private switch for reference counting; numba only checks options at the first call, so look
# first, and compile leaves with reference counting on a numba without it (slower, same numbers). Set in activate().
_HAS_NRT_OPTION = [False]


def activate() -> None:
    """Compile from now on: import numba, make every kernel's dispatcher, and point module globals at them.

    Compiled code finds the kernels it calls in its module's globals at compile time, so every global naming a
    :class:`Kernel` (in the package's modules and in each kernel's own module) is rebound to the dispatcher; a
    kernel reached any other way (a closure, a container) still works from Python, through the Kernel.
    Idempotent; called by the first kernel call outside :func:`interpreted` and by :func:`ensure_compiled`.
    """
    global _ACTIVE
    if _ACTIVE or not NUMBA_INSTALLED:
        return
    with _LOCK:
        if _ACTIVE:
            return
        try:
            from numba.core.cpu import CPUTargetOptions
            _HAS_NRT_OPTION[0] = hasattr(CPUTargetOptions, "_nrt")
        except ImportError:  # pragma: no cover - depends on the numba version
            _HAS_NRT_OPTION[0] = False
        _prepare_clock()
        for kernel in _KERNELS:
            kernel.compiled = _dispatcher(kernel.py_func, kernel.options)
        _ACTIVE = True
        _rebind()


def _rebind() -> None:
    owners = {kernel.py_func.__module__ for kernel in _KERNELS}
    for name, module in list(sys.modules.items()):
        if module is None or not (name in owners or name == "equilibria" or name.startswith("equilibria.")):
            continue
        namespace = vars(module)
        for key, value in list(namespace.items()):
            if type(value) is Kernel and value.compiled is not None:
                namespace[key] = value.compiled  # the dict itself: some modules' __setattr__ forwards assignments
    _KERNELS.clear()


def active() -> bool:
    """Whether kernels compile (:func:`activate` has run) rather than wait in :class:`Kernel` objects."""
    return _ACTIVE


# Loading numba and a solver's kernels from the disk cache costs about this many seconds (0.5-0.8 s measured on
# the CI machine's kind): a process runs tiny problems interpreted until it has spent that long doing so, and then
# loads the compiled code, so it never pays much more than twice the better of the two choices (ski rental).
INTERPRETED_ALLOWANCE_SECONDS = 0.5
_INTERPRETED_SECONDS = [0.0]


def prefer_interpreted() -> bool:
    """Whether a solver should run a tiny problem's kernels interpreted (inside :func:`interpreted`) rather than
    load compiled code: numba is installed but not active, and this process has not yet spent
    :data:`INTERPRETED_ALLOWANCE_SECONDS` interpreting. (Without numba everything runs interpreted anyway.)"""
    return NUMBA_INSTALLED and not _ACTIVE and _INTERPRETED_SECONDS[0] < INTERPRETED_ALLOWANCE_SECONDS


def interpreting() -> bool:
    """Whether kernels called now (in this thread) run interpreted: inside :func:`interpreted`, numba not active."""
    return not _ACTIVE and getattr(_STATE, "depth", 0) > 0


def interpreted_if(small: bool) -> contextlib.AbstractContextManager[None]:
    """:func:`interpreted` when the problem is ``small`` and :func:`prefer_interpreted` says so, else nothing."""
    return interpreted() if small and prefer_interpreted() else contextlib.nullcontext()


@contextlib.contextmanager
def interpreted() -> Iterator[None]:
    """Within this block (in this thread) kernels not yet compiled run as Python; the time is counted for
    :func:`prefer_interpreted`. Kernels already compiled stay compiled."""
    depth = getattr(_STATE, "depth", 0)
    _STATE.depth = depth + 1
    started = time.perf_counter()
    try:
        yield
    finally:
        _STATE.depth = depth
        if depth == 0:
            _INTERPRETED_SECONDS[0] += time.perf_counter() - started


# -- compiling ahead, in another process -------------------------------------------------------------------------


@dataclass(frozen=True)
class Compilation:
    """What :func:`ensure_compiled` found.

    Attributes:
      ready: calling the kernel with those arguments runs compiled code without compiling (or there is nothing to
        compile: numba is not installed, or the kernel is a plain function).
      seconds: wall time spent here, loading code or waiting for the compiling process.
      compiled: a compiling process was started (or was already running) for this kernel: the cache was cold.
      note: when not ready, one line saying so, for a result's ``stopped_because``.
      interpreted: ready because the kernel runs interpreted (inside :func:`interpreted`): nothing was loaded.
    """

    ready: bool
    seconds: float = 0.0
    compiled: bool = False
    note: str = ""
    interpreted: bool = False

    @property
    def loaded(self) -> bool:
        """Ready with compiled code: a caller may remember that the kernel needs no more checks."""
        return self.ready and not self.interpreted


_READY = Compilation(True)
_INTERPRETED = Compilation(True, interpreted=True)
# Compiling processes started by this process, by (module, qualified name, argument types); kept while running so
# that later calls wait for the same process instead of starting another.
_COMPILING: dict[tuple[str, str, Any], subprocess.Popen[bytes]] = {}
# How often a wait checks the compiling process (and so how soon a Ctrl-C ends the wait at most).
_POLL_SECONDS = 0.05
# The compiling process's program: the job is pickled twice, so that sys.path (plain data) is in place before
# anything of the package (or numba's types in the signature) is unpickled.
_CHILD = ("import pickle, sys; outer = pickle.load(sys.stdin.buffer); sys.path[:] = outer['path']; "
          "from equilibria.core.compiled import _compile_job; _compile_job(pickle.loads(outer['job']))")


def ensure_compiled(kernel: Any, *args: Any, timeout: float | None = None) -> Compilation:
    """Make sure that ``kernel(*args)`` will not compile, within ``timeout`` seconds (None: as long as it takes).

    ``kernel``: a :class:`Kernel` (this activates compiling, :func:`activate`) or a numba dispatcher (anything
    else is returned as ready; so is everything inside :func:`interpreted`, where the kernel runs as Python and
    the result says ``interpreted``). Code already in memory costs the argument
    types' lookup (microseconds); code in the disk cache is loaded here. Otherwise a separate process compiles it
    into the cache (module docstring) and this call waits for it, at most ``timeout`` seconds; Ctrl-C during the
    wait kills that process and raises ``KeyboardInterrupt``. Not ready in time: ``Compilation(ready=False)``, the
    process goes on and a later call (in this process or another) finds the code.

    Kernels that another process cannot import (defined in ``__main__`` or inside a function) and kernels without
    a disk cache are reported ready: their first call compiles in this process, as numba does.
    """
    started = time.perf_counter()
    if interpreting():
        return _INTERPRETED
    if type(kernel) is Kernel:
        activate()
        kernel = kernel.compiled
    if "numba" not in sys.modules:  # then ``kernel`` cannot be a dispatcher
        return _READY
    from numba.core.dispatcher import Dispatcher

    if not isinstance(kernel, Dispatcher):
        return _READY
    import numba

    signature = tuple(numba.typeof(value) for value in args)
    if signature in kernel.overloads:
        return _READY
    state = _disk_state(kernel, signature)
    if state == "cached":
        kernel.compile(signature)
        return Compilation(True, time.perf_counter() - started)
    function = kernel.py_func
    if state == "unknown" or function.__module__ == "__main__" or "<locals>" in function.__qualname__:
        return _READY
    key = (function.__module__, function.__qualname__, signature)
    process = _COMPILING.get(key)
    if process is None:
        process = _start_compiling(kernel, signature)
        _COMPILING[key] = process
    remaining = None if timeout is None else timeout - (time.perf_counter() - started)
    try:
        finished = _wait(process, remaining)
    except KeyboardInterrupt:
        process.kill()
        process.wait()
        del _COMPILING[key]
        raise
    if not finished:
        return Compilation(False, time.perf_counter() - started, True,
                           f"numba is compiling {function.__name__} for the first time (process {process.pid}, "
                           "into the disk cache; the next run will not wait)")
    del _COMPILING[key]
    # Loaded from the cache the process wrote; if it failed, this compiles here (and raises numba's error).
    kernel.compile(signature)
    return Compilation(True, time.perf_counter() - started, True)


def ensure_all_compiled(calls: Sequence[tuple[Any, tuple[Any, ...]]], timeout: float | None = None) -> Compilation:
    """:func:`ensure_compiled` for several ``(kernel, arguments)`` pairs within one ``timeout``.

    With a timeout, every missing compilation is started first, so that they run side by side (a cold cache then
    costs one wait, not one run per kernel); then each is waited for with what is left. Returns the first pair's
    :class:`Compilation` that is not ready, else a ready one with the seconds spent.
    """
    started = time.perf_counter()
    if interpreting():
        return _INTERPRETED
    if timeout is not None and len(calls) > 1:
        for kernel, args in calls:
            ensure_compiled(kernel, *args, timeout=0.0)
    for kernel, args in calls:
        left = None if timeout is None else max(0.0, timeout - (time.perf_counter() - started))
        compilation = ensure_compiled(kernel, *args, timeout=left)
        if not compilation.ready:
            return compilation
    return Compilation(True, time.perf_counter() - started)


def pending_compilations() -> dict[str, int]:
    """Compiling processes this process started that are still running: ``{"module.function": pid}``."""
    running = {}
    for (module, name, _), process in list(_COMPILING.items()):
        if process.poll() is None:
            running[f"{module}.{name}"] = process.pid
    return running


def _disk_state(kernel: Any, signature: tuple[Any, ...]) -> str:
    """``"cached"``, ``"missing"``, or ``"unknown"`` (no disk cache, or numba's private cache API changed).

    numba offers no public way to ask whether a signature is in the disk cache without compiling on a miss; this
    reads the cache's index the way ``Dispatcher.compile`` does (numba 0.59 to 0.68).
    """
    try:
        cache = kernel._cache
        if not hasattr(cache, "_cache_file"):  # numba's NullCache: nothing is cached on disk
            return "unknown"
        index = cache._cache_file._load_index()
        key = cache._index_key(signature, kernel.targetctx.codegen())
    except Exception:  # noqa: BLE001 - any change inside numba: fall back to compiling as numba does
        return "unknown"
    return "cached" if key in index else "missing"


def _start_compiling(kernel: Any, signature: tuple[Any, ...]) -> subprocess.Popen[bytes]:
    function = kernel.py_func
    options = {name: value for name, value in kernel.targetoptions.items() if name != "nopython"}
    job = {"module": function.__module__, "qualname": function.__qualname__, "options": options,
           "signature": signature}
    payload = pickle.dumps({"path": list(sys.path), "job": pickle.dumps(job)})
    # Its own session: a Ctrl-C typed in the terminal reaches this process only, which decides (ensure_compiled).
    process = subprocess.Popen([sys.executable, "-c", _CHILD], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    assert process.stdin is not None
    process.stdin.write(payload)
    process.stdin.close()
    return process


def _wait(process: subprocess.Popen[bytes], seconds: float | None) -> bool:
    """Wait for ``process`` at most ``seconds`` (None: until it ends), in short polls; True when it ended."""
    end = None if seconds is None else time.perf_counter() + seconds
    while True:
        step = _POLL_SECONDS if end is None else min(_POLL_SECONDS, end - time.perf_counter())
        if step <= 0:
            return process.poll() is not None
        try:
            process.wait(timeout=step)
            return True
        except subprocess.TimeoutExpired:
            continue


def _compile_job(job: dict[str, Any]) -> None:
    """In the compiling process: compile one kernel for one signature into the disk cache."""
    import importlib

    import numba
    from numba.core.dispatcher import Dispatcher

    target: Any = importlib.import_module(job["module"])
    activate()
    for part in job["qualname"].split("."):
        target = getattr(target, part)
    if not isinstance(target, Dispatcher):  # a kernel its module builds on first use (the Python function's name)
        target = numba.njit(cache=True, **job["options"])(getattr(target, "py_func", target))
    target.compile(job["signature"])


# -- a clock for leaves ------------------------------------------------------------------------------------------

# CLOCK_MONOTONIC's number, where ``struct timespec`` is two 64-bit integers (64-bit Linux and macOS).
_MONOTONIC_CLOCK_IDS = {"linux": 1, "darwin": 6}
_monotonic_ns: Any = None  # the numba intrinsic, made by leaf_clock()


def _no_clock() -> int:
    return 0


def _clock_ns() -> int:
    return int(_monotonic_ns())


def leaf_clock() -> Callable[[], int]:
    """A monotonic clock in nanoseconds that leaves may call: ``deadline = clock() + allowance`` at the start of a
    call, ``clock() > deadline`` within it. Only differences of its values mean anything.

    Compiled, it reads ``clock_gettime(CLOCK_MONOTONIC)`` (tens of nanoseconds; compiled into the caller, which
    stays cacheable); on a platform where that is not known to be available it always returns 0, so that
    in-kernel deadlines never expire and only the caller's checks between calls stop a computation. Interpreted
    (and without numba) it is :func:`time.perf_counter_ns`.
    """
    clock = _clock_kernel()
    # Once compiling is active, the dispatcher itself: numba inlines a callee it finds in a module global only when
    # that global is the dispatcher (a module imported after activate() is not rebound).
    return getattr(clock, "compiled", None) or clock


@functools.cache
def _clock_kernel() -> Callable[[], int]:
    return jit_leaf(_clock_ns, inline=True, interpreted=time.perf_counter_ns)


def _prepare_clock() -> None:
    """Make the intrinsic :func:`_clock_ns` calls (in :func:`activate`, before anything compiles)."""
    global _monotonic_ns
    from llvmlite import ir
    from numba.core import cgutils, config, types
    from numba.extending import intrinsic

    if getattr(config, "DISABLE_JIT", False):  # leaves run as Python (NUMBA_DISABLE_JIT=1); an intrinsic cannot
        _monotonic_ns = time.perf_counter_ns
        return
    clock_id = next((number for name, number in _MONOTONIC_CLOCK_IDS.items() if sys.platform.startswith(name)),
                    None)
    if clock_id is None or struct.calcsize("P") != 8:  # pragma: no cover - depends on the platform
        _monotonic_ns = _dispatcher(_no_clock, {"leaf": True, "inline": True})
        return

    @intrinsic
    def monotonic_ns(typing_context: Any) -> Any:
        def codegen(context: Any, builder: Any, signature: Any, arguments: Any) -> Any:
            i32, i64 = ir.IntType(32), ir.IntType(64)
            timespec = ir.LiteralStructType([i64, i64])
            function_type = ir.FunctionType(i32, [i32, timespec.as_pointer()])
            function = cgutils.get_or_insert_function(builder.module, function_type, "clock_gettime")
            spec = cgutils.alloca_once(builder, timespec)
            builder.call(function, [ir.Constant(i32, clock_id), spec])
            seconds = builder.load(cgutils.gep_inbounds(builder, spec, 0, 0))
            nanoseconds = builder.load(cgutils.gep_inbounds(builder, spec, 0, 1))
            return builder.add(builder.mul(seconds, ir.Constant(i64, 1_000_000_000)), nanoseconds)

        return types.int64(), codegen

    _monotonic_ns = monotonic_ns


__all__ = ["NUMBA_INSTALLED", "Compilation", "Kernel", "activate", "active", "ensure_all_compiled",
           "ensure_compiled", "interpreted", "interpreted_if", "interpreting", "jit", "jit_leaf", "leaf_clock",
           "pending_compilations", "prefer_interpreted"]
