"""Configuration-independent benchmark plumbing: timing one call, peers' availability, size gates, paired ratios.

Timing rules (every benchmark that uses :func:`measure` follows them and prints them with its results): only the
call is timed, the clock started inside the timeout and warning guards; the call is repeated up to ``repeats``
times and the fastest run kept, fewer once a run exceeds :data:`LONG_RUN_SECONDS`, more for calls under
:data:`SHORT_RUN_SECONDS` (until they have run :data:`SHORT_RUN_TOTAL_SECONDS` in all, at most
:data:`SHORT_RUN_MAX_REPEATS` times, as timeit's autorange does). Pure-Python calls are interrupted at the cap with
``SIGALRM`` (:func:`time_limit`); compiled code that the alarm cannot interrupt runs in a forked child that is
killed at the cap (:func:`measure_in_child`). A failure (timeout, exception) is an :class:`Outcome` without
seconds, never a crash: a peer's failure is a result.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import math
import os
import pickle
import select
import signal
import statistics
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Repeats stop once a single run takes longer than this (its noise is small relative to its length).
LONG_RUN_SECONDS = 0.5
# Calls faster than this are repeated (as timeit's autorange does) until they have run this long in all, at most
# this many times: a few microseconds are otherwise at the mercy of cold caches and a shared machine.
SHORT_RUN_SECONDS, SHORT_RUN_TOTAL_SECONDS, SHORT_RUN_MAX_REPEATS = 1e-3, 0.01, 200

# Importable module and distribution name of each peer library (and equilibria itself).
LIBRARY_MODULES = {
    "equilibria": ("equilibria", "equilibria"),
    "quantecon": ("quantecon.game_theory", "quantecon"),
    "pygambit": ("pygambit", "pygambit"),
    "nashpy": ("nashpy", "nashpy"),
    "open_spiel": ("pyspiel", "open_spiel"),
    "cvxpy": ("cvxpy", "cvxpy"),
}


# ------------------------------------------------------------------------------------------------------------
# Libraries: availability and versions
# ------------------------------------------------------------------------------------------------------------


def library_available(name: str) -> bool:
    """Whether the library ``name`` (a key of :data:`LIBRARY_MODULES`) imports here."""
    module = LIBRARY_MODULES[name][0]
    try:
        importlib.import_module(module)
    except Exception:  # noqa: BLE001 - any import failure means "not usable here"
        return False
    return True


def distribution_version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


# ------------------------------------------------------------------------------------------------------------
# Timing one call
# ------------------------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """One library's answer on one game: fastest time, profiles (as floats), or why there are none."""

    seconds: float | None
    profiles: list[Any]
    error: str | None = None

    @property
    def timed_out(self) -> bool:
        return self.error is not None and self.error.startswith("timeout")


class _CallTimeout(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt Python-level code after ``seconds`` (SIGALRM; a no-op off the main thread or on Windows).

    Compiled code (numba, C++) is only interrupted when it returns to the interpreter; the caller then still
    sees a timeout because the call outlived the cap.
    """
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def _raise(signum: int, frame: Any) -> None:
        raise _CallTimeout

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def measure(call: Callable[[], list[Any]], repeats: int, cap: float) -> Outcome:
    """Fastest of up to ``repeats`` runs of ``call`` (which returns the profiles found); more for short calls.

    A call faster than ``SHORT_RUN_SECONDS`` runs on until the runs add up to ``SHORT_RUN_TOTAL_SECONDS`` (at
    most ``SHORT_RUN_MAX_REPEATS`` runs), for every library alike.
    """
    best, spent, runs = math.inf, 0.0, 0
    profiles: list[Any] = []
    while runs < max(1, repeats) or (
            best < SHORT_RUN_SECONDS and spent < SHORT_RUN_TOTAL_SECONDS and runs < SHORT_RUN_MAX_REPEATS):
        runs += 1
        try:
            with time_limit(cap), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # The clock runs inside the guards: arming the alarm and the warning filters costs about 10 us,
                # more than a small game's whole solve.
                start = time.perf_counter()
                profiles = call()
                elapsed = time.perf_counter() - start
        except _CallTimeout:
            return Outcome(None, [], f"timeout > {cap:g} s")
        except Exception as exc:  # noqa: BLE001 - a peer's failure is a result, not a crash
            return Outcome(None, [], f"{type(exc).__name__}: {str(exc)[:120]}")
        if elapsed > cap:  # compiled code that the alarm could not interrupt
            return Outcome(None, [], f"timeout > {cap:g} s")
        best, spent = min(best, elapsed), spent + elapsed
        if elapsed > LONG_RUN_SECONDS:
            break
    return Outcome(best, profiles)


def measure_in_child(call: Callable[[], list[Any]], repeats: int, cap: float,
                     convert: Callable[[Any], Any] | None = None, warm_up: bool = False) -> Outcome:
    """:func:`measure` in a forked child that is killed at the cap.

    For compiled peers (pygambit's C++, numba loops) that SIGALRM cannot interrupt and that can run for many
    minutes on some games. The timing is taken inside the child, so the fork itself is not timed; the game object
    was built before the fork. ``convert``: applied to the answer in the child, outside the timer (for answers that
    do not pickle, such as pygambit's objects). ``warm_up``: call once untimed in the child first, for code whose
    first call in a fresh child pays for touching the parent's pages (a microsecond numba call measured ~5 ms
    there); the child then gets up to two caps. Falls back to :func:`measure` where there is no ``fork``.
    """
    if not hasattr(os, "fork"):
        return _converted(measure(call, repeats, cap), convert)
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # JAX warns on fork; the child never touches JAX
        pid = os.fork()
    if pid == 0:  # child: measure, send the pickled outcome, exit without running the parent's cleanup
        status_code = 0
        try:
            os.close(read_end)
            if warm_up:
                with contextlib.suppress(Exception):  # the timed runs below report any failure
                    measure(call, 1, cap)
            payload = pickle.dumps(_converted(measure(call, repeats, cap), convert))
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(payload)
        except BaseException:  # noqa: BLE001 - the parent reports an empty answer as an error
            status_code = 1
        finally:
            os._exit(status_code)
    os.close(write_end)
    # Repeats stop after one run longer than LONG_RUN_SECONDS, so the child needs at most about this long.
    deadline = time.monotonic() + (2 if warm_up else 1) * cap + max(1, repeats) * LONG_RUN_SECONDS + 1.0
    chunks = []
    with os.fdopen(read_end, "rb") as pipe:
        while True:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([pipe], [], [], max(left, 0.0))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return Outcome(None, [], f"timeout > {cap:g} s (killed)")
            chunk = os.read(pipe.fileno(), 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    os.waitpid(pid, 0)
    if not chunks:
        return Outcome(None, [], "error: the child process returned nothing")
    outcome: Outcome = pickle.loads(b"".join(chunks))
    return outcome


def _converted(outcome: Outcome, convert: Callable[[Any], Any] | None) -> Outcome:
    if convert is None or outcome.error is not None:
        return outcome
    return Outcome(outcome.seconds, convert(outcome.profiles))


# ------------------------------------------------------------------------------------------------------------
# Sizes: when to stop a slow peer
# ------------------------------------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


class SizeGate:
    """Skips a library at a size when its previous median, grown by ``growth(n_prev, n)``, exceeds its cap.

    ``caps``: per-library caps that replace ``cap`` (a peer given longer than the others); keys as passed to
    :meth:`skip_reason`.
    """

    def __init__(self, cap: float, growth: Callable[[int, int], float], caps: Mapping[str, float] | None = None
                 ) -> None:
        self.cap = cap
        self.caps = dict(caps or {})
        self.growth = growth
        self.last: dict[str, tuple[int, float]] = {}
        self.stopped: dict[str, str] = {}
        self.warmed: set[str] = set()

    def cap_of(self, library: str) -> float:
        return self.caps.get(library, self.cap)

    def skip_reason(self, library: str, n: int) -> str | None:
        if library in self.stopped:
            return self.stopped[library]
        if library not in self.last:
            return None
        n_prev, seconds = self.last[library]
        predicted = seconds * self.growth(n_prev, n)
        cap = self.cap_of(library)
        if predicted > cap:
            reason = f"skipped: > {cap:g} s (predicted {predicted:.3g} s from n={n_prev})"
            self.stopped[library] = f"skipped: > {cap:g} s"
            return reason
        return None

    def record(self, library: str, n: int, seconds: Sequence[float], timed_out: bool) -> None:
        if seconds:
            self.last[library] = (n, statistics.median(seconds))
        if timed_out and not seconds:
            self.stopped[library] = f"skipped: > {self.cap_of(library):g} s"


def cubic_growth(n_prev: int, n: int) -> float:
    return (n / n_prev) ** 3


def exponential_growth(n_prev: int, n: int) -> float:
    # Support pairs of an n x n game: about 4^n / sqrt(n).
    return 4.0 ** (n - n_prev) * math.sqrt(n_prev / n)


def lp_growth(n_prev: int, n: int) -> float:
    return (n / n_prev) ** 2.5


# ------------------------------------------------------------------------------------------------------------
# One library at one size, and ratios between libraries
# ------------------------------------------------------------------------------------------------------------


@dataclass
class LibraryStats:
    """One library at one size: validity, timings, failures, or why it was skipped."""

    library: str
    games: int = 0
    valid: int = 0
    seconds: list[float] = field(default_factory=list)
    timeouts: int = 0
    errors: list[str] = field(default_factory=list)
    skipped: str | None = None
    stopped_early: bool = False
    per_game: list[float | None] = field(default_factory=list)  # seconds, None when the call failed

    @property
    def median(self) -> float | None:
        return median(self.seconds)


def paired_ratio(peer: LibraryStats | None, ours: LibraryStats | None) -> tuple[float, int] | None:
    """``(peer median / equilibria median, games)`` over the games on which both calls returned.

    Pairing keeps the ratio honest when one side fails on the slow games: medians over different sets of games
    would compare easy games with hard ones.
    """
    if peer is None or ours is None:
        return None
    common = [(p, o) for p, o in zip(peer.per_game, ours.per_game, strict=False) if p is not None and o is not None]
    if not common:
        return None
    ours_median = statistics.median(o for _, o in common)
    if ours_median <= 0:
        return None
    return statistics.median(p for p, _ in common) / ours_median, len(common)


def ratio_text(peer: LibraryStats, ours: LibraryStats | None) -> str:
    """The paired ratio, with the number of games behind it when some games are missing on either side."""
    if peer is ours:
        return "1"
    paired = paired_ratio(peer, ours)
    if paired is None:
        return "-"
    ratio, games = paired
    everywhere = games == len(peer.per_game) == (len(ours.per_game) if ours else 0)
    return f"{ratio:.3g}" if everywhere else f"{ratio:.3g} ({games} common games)"


def failure_note(stat: LibraryStats) -> str:
    """Why some of a library's calls at one size gave no valid answer (empty when all did)."""
    parts = []
    if stat.skipped:
        return stat.skipped
    if stat.timeouts:
        parts.append(f"{stat.timeouts} timed out")
    if stat.errors:
        parts.append(f"{len(stat.errors)} errors ({stat.errors[0]})")
    invalid = stat.games - stat.valid - stat.timeouts - len(stat.errors)
    if invalid > 0:
        parts.append(f"{invalid} invalid answers")
    if stat.stopped_early:
        parts.append("stopped early (time budget per size)")
    return "; ".join(parts)
