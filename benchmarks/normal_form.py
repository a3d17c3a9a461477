"""Side-by-side benchmark of equilibria's normal-form Nash solvers against peer libraries.

One process runs every library on the same seeded games (payoffs drawn with ``np.random.default_rng``) and
judges every answer with ONE checker, :func:`equilibria.metrics.regret.max_regret`:

1. **Lemke-Howson**, one equilibrium of random uniform ``n x n`` games: equilibria, quantecon, pygambit
   (``lcp_solve``), nashpy. Share of valid answers, median seconds, peer time / equilibria time.
2. **All equilibria** of random uniform ``n x n`` games: equilibria's vertex and support enumeration,
   pygambit ``enummixed_solve``, nashpy and quantecon support (and vertex) enumeration.
3. **Degenerate games** on which support enumeration misses equilibria: how many of the extreme equilibria
   (from equilibria's exact vertex enumeration, cross-checked with pygambit's exact ``enummixed_solve``) each
   library finds.
4. **Zero-sum LP** on square random games up to 2000 x 2000.

Peers that are not installed are skipped (and the output says so), so the module imports and runs with
equilibria alone. Usage::

    python benchmarks/normal_form.py [--quick] [--write BENCHMARKS.md] [--seed S] [--repeats R]

Timing rules (also printed with the results): only the solve call is timed (game objects are built outside the
timer); each library gets one untimed warm-up call per part, and per size for the numba-compiled ones
(quantecon, and equilibria when numba is installed), so JIT compile time is excluded; each call is repeated
up to ``R`` times and the fastest run kept (fewer repeats once a run exceeds 0.5 s; calls under 1 ms repeat
until they have run 10 ms in all, at most 200 times, as timeit's autorange does); the clock runs inside the
timeout and warning guards. A peer is skipped at a size when its median at the previous size, scaled by a
growth law, predicts more than ``--cap`` seconds per call; pure-Python calls are interrupted at the cap with
``SIGALRM`` and pygambit's run in a forked child that is killed at the cap (both counted as failures).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib
import importlib.metadata
import math
import os
import pickle
import platform
import select
import signal
import statistics
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from equilibria.core.files import write_atomic
from equilibria.games.normal_form import NormalFormGame
from equilibria.metrics.regret import max_regret

T = TypeVar("T")

BEGIN_MARKER = "<!-- normal_form:begin -->"
END_MARKER = "<!-- normal_form:end -->"
INTRO = """# Benchmarks

Side-by-side comparisons of `equilibria` with peer libraries, produced by the scripts in `benchmarks/`.
The machine these numbers come from is shared with other work and noisy: read medians and ratios, not
single timings, and rerun a script before drawing conclusions from small differences. On such a machine
multi-threaded OpenBLAS can be far slower than one thread (a 1000 x 1000 Cholesky factorisation measured
0.6-1.3 s with 2 threads against 16 ms with 1 while other jobs ran), so the recorded runs set
`OPENBLAS_NUM_THREADS=1` for every library alike; the command line of each section says so.
"""

# A returned profile is valid when its max regret is at most this, relative to the payoff range.
VALID_REGRET = 1e-6
# Two profiles are the same equilibrium when they differ by at most this (max norm over both strategies).
SAME_PROFILE = 1e-6
# Libraries that compile code on first use (numba): warmed up at every size, not only once per part.
JIT_LIBRARIES = frozenset({"equilibria", "quantecon"})
# Libraries whose calls run in a forked child that is killed at the cap (compiled code that can hang).
ISOLATED_LIBRARIES = frozenset({"pygambit"})
# Repeats stop once a single run takes longer than this (its noise is small relative to its length).
LONG_RUN_SECONDS = 0.5
# Calls faster than this are repeated (as timeit's autorange does) until they have run this long in all, at most
# this many times: a few microseconds are otherwise at the mercy of cold caches and a shared machine.
SHORT_RUN_SECONDS, SHORT_RUN_TOTAL_SECONDS, SHORT_RUN_MAX_REPEATS = 1e-3, 0.01, 200

FloatProfile = tuple[np.ndarray, np.ndarray]


# ------------------------------------------------------------------------------------------------------------
# Configuration
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    """What to run. ``*_games`` map a size to the number of games of that size."""

    seed: int = 0
    repeats: int = 3
    cap_seconds: float = 10.0
    own_cap_seconds: float = 120.0
    lh_games: dict[int, int] = field(default_factory=lambda: {10: 20, 20: 20, 50: 20, 100: 10, 200: 5, 500: 3})
    enum_games: dict[int, int] = field(default_factory=lambda: {6: 10, 8: 10, 10: 5})
    integer_sizes: tuple[int, ...] = (3, 4, 5, 6)
    integer_games_per_size: int = 5
    tie_sizes: tuple[int, ...] = (3, 4, 5)
    zero_sum_games: dict[int, int] = field(default_factory=lambda: {50: 5, 500: 3, 2000: 3})
    libraries: tuple[str, ...] = ("equilibria", "quantecon", "pygambit", "nashpy", "open_spiel")
    label: str = "full"


FULL = Config()
QUICK = Config(
    repeats=1,
    lh_games={10: 5, 50: 3, 200: 2},
    enum_games={6: 3, 8: 2},
    integer_sizes=(3, 4),
    integer_games_per_size=3,
    tie_sizes=(3, 4),
    zero_sum_games={50: 2, 500: 1, 2000: 1},
    label="quick",
)
TINY = Config(
    repeats=1,
    cap_seconds=5.0,
    own_cap_seconds=30.0,
    lh_games={6: 2, 10: 1},
    enum_games={4: 2},
    integer_sizes=(3,),
    integer_games_per_size=2,
    tie_sizes=(3,),
    zero_sum_games={20: 1},
    libraries=("equilibria",),
    label="tiny",
)


# ------------------------------------------------------------------------------------------------------------
# Libraries: availability, versions, timing
# ------------------------------------------------------------------------------------------------------------

# Importable module and distribution name of each library.
LIBRARY_MODULES = {
    "equilibria": ("equilibria", "equilibria"),
    "quantecon": ("quantecon.game_theory", "quantecon"),
    "pygambit": ("pygambit", "pygambit"),
    "nashpy": ("nashpy", "nashpy"),
    "open_spiel": ("pyspiel", "open_spiel"),
}


def library_available(name: str) -> bool:
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
                     convert: Callable[[Any], Any] | None = None) -> Outcome:
    """:func:`measure` in a forked child that is killed at the cap.

    For compiled peers (pygambit's C++) that SIGALRM cannot interrupt and that can run for many minutes on some
    games. The timing is taken inside the child, so the fork itself is not timed; the game object was built
    before the fork. ``convert``: applied to the answer in the child, outside the timer (for answers that do not
    pickle, such as pygambit's objects). Falls back to :func:`measure` where there is no ``fork``.
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
            payload = pickle.dumps(_converted(measure(call, repeats, cap), convert))
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(payload)
        except BaseException:  # noqa: BLE001 - the parent reports an empty answer as an error
            status_code = 1
        finally:
            os._exit(status_code)
    os.close(write_end)
    # Repeats stop after one run longer than LONG_RUN_SECONDS, so the child needs at most about this long.
    deadline = time.monotonic() + cap + max(1, repeats) * LONG_RUN_SECONDS + 1.0
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


def measure_method(method: str, call: Callable[[], list[Any]], repeats: int, cap: float) -> Outcome:
    """pygambit runs in a killable child (see :func:`measure_in_child`); everything else in this process."""
    if method_library(method) in ISOLATED_LIBRARIES:
        return measure_in_child(call, repeats, cap)
    return measure(call, repeats, cap)


def float_profile(x: Any, y: Any) -> FloatProfile:
    return np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()


def regret_of(game: NormalFormGame, profile: FloatProfile) -> float:
    """Max regret with equilibria's checker; ``inf`` when the profile is not even a mixed profile."""
    try:
        return float(max_regret(game, profile))
    except Exception:  # noqa: BLE001 - wrong shape, NaN, negative probabilities ...
        return math.inf


def is_valid(game: NormalFormGame, profile: FloatProfile) -> bool:
    scale = max(float(np.ptp(game.payoffs)), 1e-300)
    return regret_of(game, profile) <= VALID_REGRET * scale


def same_profile(p: FloatProfile, q: FloatProfile, tol: float = SAME_PROFILE) -> bool:
    a, b = np.concatenate(p), np.concatenate(q)
    return a.shape == b.shape and bool(np.max(np.abs(a - b)) <= tol)


def count_matches(reference: Sequence[FloatProfile], found: Sequence[FloatProfile]) -> tuple[int, int]:
    """``(how many reference profiles appear in found, how many found profiles are not in reference)``."""
    hits = sum(any(same_profile(r, f) for f in found) for r in reference)
    extra = sum(not any(same_profile(f, r) for r in reference) for f in found)
    return hits, extra


def same_set(reference: Sequence[FloatProfile], found: Sequence[FloatProfile]) -> bool:
    hits, extra = count_matches(reference, found)
    return hits == len(reference) and extra == 0


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


class SizeGate:
    """Skips a library at a size when its previous median, grown by ``growth(n_prev, n)``, exceeds the cap."""

    def __init__(self, cap: float, growth: Callable[[int, int], float]) -> None:
        self.cap = cap
        self.growth = growth
        self.last: dict[str, tuple[int, float]] = {}
        self.stopped: dict[str, str] = {}
        self.warmed: set[str] = set()

    def skip_reason(self, library: str, n: int) -> str | None:
        if library in self.stopped:
            return self.stopped[library]
        if library not in self.last:
            return None
        n_prev, seconds = self.last[library]
        predicted = seconds * self.growth(n_prev, n)
        if predicted > self.cap:
            reason = f"skipped: > {self.cap:g} s (predicted {predicted:.3g} s from n={n_prev})"
            self.stopped[library] = f"skipped: > {self.cap:g} s"
            return reason
        return None

    def record(self, library: str, n: int, seconds: Sequence[float], timed_out: bool) -> None:
        if seconds:
            self.last[library] = (n, statistics.median(seconds))
        if timed_out and not seconds:
            self.stopped[library] = f"skipped: > {self.cap:g} s"


def cubic_growth(n_prev: int, n: int) -> float:
    return (n / n_prev) ** 3


def exponential_growth(n_prev: int, n: int) -> float:
    # Support pairs of an n x n game: about 4^n / sqrt(n).
    return 4.0 ** (n - n_prev) * math.sqrt(n_prev / n)


def lp_growth(n_prev: int, n: int) -> float:
    return (n / n_prev) ** 2.5


def uniform_bimatrix(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    return rng.random((n, n)), rng.random((n, n))


def game_rng(seed: int, part: int, n: int, extra: int = 0) -> np.random.Generator:
    """Games of a part and size depend only on the seed, never on which libraries run."""
    return np.random.default_rng([seed, part, n, extra])


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


def converged_profiles(result: Any) -> list[FloatProfile]:
    """equilibria's profiles as floats; a result with ``converged=False`` is a failure (like a peer's timeout)."""
    if not result.converged:
        raise RuntimeError(
            f"converged=False after {result.iterations} iterations and {result.seconds:.3g} s "
            f"({len(result.equilibria)} profiles)"
        )
    return [float_profile(*p) for p in result.equilibria]


def cap_for(config: Config, method: str) -> float:
    """equilibria (the subject) gets its own, longer cap; peers get the per-call cap."""
    return config.own_cap_seconds if method_library(method) == "equilibria" else config.cap_seconds


def method_library(method: str) -> str:
    return method.split()[0]


def time_at_size(
    method: str,
    n: int,
    makers: Sequence[Callable[[], Callable[[], list[Any]]]],
    config: Config,
    gate: SizeGate,
    stat: LibraryStats,
) -> list[Outcome]:
    """Time ``method`` on every game of one size; ``makers[k]()`` builds game k's call outside the timer.

    Returns the outcomes of the games run (all of them, or a prefix when a peer stops early). The first game is
    solved once untimed before the timed runs (warm-up: imports, caches, numba's JIT compile): once per part,
    and at every size for the JIT-compiled libraries, whose compiled code may depend on the size. Peers are
    skipped when the gate predicts more than the cap, and stop at a size after spending 4 caps on it;
    equilibria always runs (bounded by its own ``max_seconds``).
    """
    ours = method_library(method) == "equilibria"
    cap = cap_for(config, method)
    # equilibria gets max_seconds=cap and returns converged=False itself; the alarm is only a backstop.
    limit = cap * 1.1 + 1.0 if ours else cap
    if not ours and (reason := gate.skip_reason(method, n)):
        stat.skipped = reason
        return []
    if makers and (method not in gate.warmed or method_library(method) in JIT_LIBRARIES):
        gate.warmed.add(method)
        with contextlib.suppress(Exception):  # a failing maker is reported by the timed loop below
            measure_method(method, makers[0](), 1, limit)
    spent = 0.0
    outcomes: list[Outcome] = []
    for make in makers:
        if not ours and spent > 4 * cap:
            stat.stopped_early = True
            break
        try:
            call = make()
        except Exception as exc:  # noqa: BLE001 - e.g. a solver module that does not import
            outcome = Outcome(None, [], f"{type(exc).__name__}: {str(exc)[:120]}")
        else:
            outcome = measure_method(method, call, config.repeats, limit)
        stat.games += 1
        spent += outcome.seconds if outcome.seconds is not None else cap
        if outcome.seconds is None:
            stat.timeouts += outcome.timed_out
            if not outcome.timed_out:
                stat.errors.append(outcome.error or "")
        else:
            stat.seconds.append(outcome.seconds)
        stat.per_game.append(outcome.seconds)
        outcomes.append(outcome)
    gate.record(method, n, stat.seconds, stat.timeouts > 0)
    return outcomes


# ------------------------------------------------------------------------------------------------------------
# Part 1: Lemke-Howson
# ------------------------------------------------------------------------------------------------------------

LH_LIBRARIES = ("equilibria", "quantecon", "pygambit", "nashpy")
LH_DESCRIPTION = {
    "equilibria": "`lemke_howson_solve(game)` (default: every starting label raced, first path to end wins)",
    "quantecon": "`game_theory.lemke_howson(g, init_pivot=0)` (numba; compile time excluded by the warm-up)",
    "pygambit": "`nash.lcp_solve(Game.from_arrays(A, B), rational=False, stop_after=1)` (one equilibrium)",
    "nashpy": "`Game(A, B).lemke_howson(initial_dropped_label=0)`",
}


def lh_solver(library: str, a: np.ndarray, b: np.ndarray, cap: float) -> Callable[[], list[FloatProfile]]:
    """A zero-argument call returning ``[profile]``; the game object is built here, outside the timer."""
    if library == "equilibria":
        from equilibria.solvers.lemke_howson import lemke_howson_solve

        game = NormalFormGame.bimatrix(a, b)

        def solve_equilibria() -> list[FloatProfile]:
            return converged_profiles(lemke_howson_solve(game, max_seconds=cap))[:1]

        return solve_equilibria
    if library == "quantecon":
        import quantecon.game_theory as gt

        qgame = gt.NormalFormGame((gt.Player(a), gt.Player(b.T)))
        return lambda: [float_profile(*gt.lemke_howson(qgame, init_pivot=0))]
    if library == "pygambit":
        import pygambit as gbt

        ggame = gbt.Game.from_arrays(a, b)

        def solve_gambit() -> list[FloatProfile]:
            found = gbt.nash.lcp_solve(ggame, rational=False, stop_after=1).equilibria
            return [gambit_profile(ggame, eq) for eq in found[:1]]

        return solve_gambit
    if library == "nashpy":
        import nashpy

        ngame = nashpy.Game(a, b)
        return lambda: [float_profile(*ngame.lemke_howson(initial_dropped_label=0))]
    raise ValueError(f"lh_solver: unknown library {library!r}")


def gambit_profile(ggame: Any, eq: Any, exact: bool = False) -> Any:
    """A pygambit mixed strategy profile as ``(x, y)`` (floats, or Fractions when ``exact``)."""
    convert: Callable[[Any], Any] = Fraction if exact else float
    x, y = ([convert(eq[s]) for s in player.strategies] for player in ggame.players)
    if exact:
        return np.array(x, dtype=object), np.array(y, dtype=object)
    return float_profile(x, y)


@dataclass
class LHRow:
    n: int
    planned: int
    stats: dict[str, LibraryStats]


def run_lemke_howson(config: Config, available: dict[str, bool], log: Callable[[str], None]) -> list[LHRow]:
    libraries = [lib for lib in LH_LIBRARIES if lib in config.libraries]
    gate = SizeGate(config.cap_seconds, cubic_growth)
    rows = []
    for n, count in sorted(config.lh_games.items()):
        rng = game_rng(config.seed, 1, n)
        games = [uniform_bimatrix(rng, n) for _ in range(count)]
        stats = {}
        for lib in libraries:
            stat = LibraryStats(lib)
            stats[lib] = stat
            if not available[lib]:
                stat.skipped = "not installed"
                continue

            cap = cap_for(config, lib)
            makers = [partial(lh_solver, lib, a, b, cap) for a, b in games]
            for (a, b), outcome in zip(games, time_at_size(lib, n, makers, config, gate, stat), strict=False):
                if outcome.profiles:
                    stat.valid += is_valid(NormalFormGame.bimatrix(a, b), outcome.profiles[0])
            log(
                f"LH n={n} {lib}: {stat.valid}/{stat.games} valid, median {fmt_seconds(stat.median)} "
                f"{failure_note(stat)}"
            )
        rows.append(LHRow(n, count, stats))
    return rows


# ------------------------------------------------------------------------------------------------------------
# Part 2: all equilibria of random games
# ------------------------------------------------------------------------------------------------------------

ENUM_METHODS = (
    "equilibria vertex_enumeration",
    "equilibria support_enumeration",
    "pygambit enummixed_solve",
    "nashpy support_enumeration",
    "nashpy support_enumeration(non_degenerate=True)",
    "nashpy vertex_enumeration",
    "quantecon support_enumeration",
    "quantecon vertex_enumeration",
)
REFERENCE_METHOD = "equilibria vertex_enumeration"


def enum_solver(method: str, a: np.ndarray, b: np.ndarray, cap: float) -> Callable[[], list[FloatProfile]]:
    """A zero-argument call returning every equilibrium the method finds (float profiles).

    nashpy's ``support_enumeration()`` (its default) tries every pair of supports, of any sizes;
    ``non_degenerate=True`` only pairs of equal size, like the other support enumerations.
    """
    if method == "equilibria vertex_enumeration":
        from equilibria.solvers.vertex_enumeration import vertex_enumeration_solve

        game = NormalFormGame.bimatrix(a, b)
        return lambda: converged_profiles(vertex_enumeration_solve(game, max_seconds=cap))
    if method == "equilibria support_enumeration":
        from equilibria.solvers.support_enumeration import support_enumeration_solve

        game = NormalFormGame.bimatrix(a, b)
        return lambda: converged_profiles(support_enumeration_solve(game, max_seconds=cap))
    if method == "pygambit enummixed_solve":
        import pygambit as gbt

        ggame = gbt.Game.from_arrays(a, b)
        return lambda: [gambit_profile(ggame, eq) for eq in gbt.nash.enummixed_solve(ggame, rational=False).equilibria]
    if method.startswith("nashpy"):
        import nashpy

        ngame = nashpy.Game(a, b)
        if method == "nashpy support_enumeration":
            return lambda: [float_profile(*p) for p in ngame.support_enumeration()]
        if method == "nashpy support_enumeration(non_degenerate=True)":
            return lambda: [float_profile(*p) for p in ngame.support_enumeration(non_degenerate=True)]
        return lambda: [float_profile(*p) for p in ngame.vertex_enumeration()]
    if method.startswith("quantecon"):
        import quantecon.game_theory as gt

        qgame = gt.NormalFormGame((gt.Player(a), gt.Player(b.T)))
        if method == "quantecon support_enumeration":
            return lambda: [float_profile(*p) for p in gt.support_enumeration(qgame)]
        return lambda: [float_profile(*p) for p in gt.vertex_enumeration(qgame)]
    raise ValueError(f"enum_solver: unknown method {method!r}")


@dataclass
class EnumStats(LibraryStats):
    found: int = 0
    agree: int = 0
    compared: int = 0


@dataclass
class EnumRow:
    n: int
    planned: int
    stats: dict[str, EnumStats]


def run_all_equilibria(config: Config, available: dict[str, bool], log: Callable[[str], None]) -> list[EnumRow]:
    methods = [m for m in ENUM_METHODS if method_library(m) in config.libraries]
    gate = SizeGate(config.cap_seconds, exponential_growth)
    rows = []
    for n, count in sorted(config.enum_games.items()):
        rng = game_rng(config.seed, 2, n)
        games = [uniform_bimatrix(rng, n) for _ in range(count)]
        found: dict[str, list[list[FloatProfile] | None]] = {}
        stats = {}
        for method in methods:
            stat = EnumStats(method)
            stats[method] = stat
            if not available[method_library(method)]:
                stat.skipped = "not installed"
                continue
            found[method] = [None] * count
            cap = cap_for(config, method)
            makers = [partial(enum_solver, method, a, b, cap) for a, b in games]
            outcomes = time_at_size(method, n, makers, config, gate, stat)
            for index, outcome in enumerate(outcomes):
                if outcome.seconds is None:
                    continue
                stat.found += len(outcome.profiles)
                game = NormalFormGame.bimatrix(*games[index])
                stat.valid += all(is_valid(game, p) for p in outcome.profiles)
                found[method][index] = outcome.profiles
        compare_sets(found, stats)
        for method, stat in stats.items():
            log(
                f"ALL n={n} {method}: {stat.found} eq, agree {stat.agree}/{stat.compared}, "
                f"median {fmt_seconds(stat.median)} {failure_note(stat)}"
            )
        rows.append(EnumRow(n, count, stats))
    return rows


def compare_sets(found: dict[str, list[list[FloatProfile] | None]], stats: dict[str, EnumStats]) -> None:
    """Agreement with equilibria's vertex enumeration (which itself is compared with pygambit)."""
    reference = found.get(REFERENCE_METHOD)
    if reference is None:
        return
    for method, sets in found.items():
        other = found.get("pygambit enummixed_solve") if method == REFERENCE_METHOD else reference
        if other is None:
            continue
        for mine, theirs in zip(sets, other, strict=False):
            if mine is None or theirs is None:
                continue
            stats[method].compared += 1
            stats[method].agree += same_set(theirs, mine)


# ------------------------------------------------------------------------------------------------------------
# Part 3: degenerate games
# ------------------------------------------------------------------------------------------------------------

DEGENERATE_METHODS = (
    "equilibria vertex_enumeration",
    "equilibria support_enumeration",
    "pygambit enummixed_solve",
    "nashpy support_enumeration",
    "nashpy vertex_enumeration",
    "quantecon support_enumeration",
    "quantecon vertex_enumeration",
)


@dataclass(frozen=True)
class NamedGame:
    name: str
    family: str
    a: np.ndarray
    b: np.ndarray


def degenerate_games(config: Config) -> list[NamedGame]:
    games = [
        NamedGame(
            "von Stengel degenerate 3x2",
            "von Stengel degenerate 3x2",
            np.array([[3, 3], [2, 5], [0, 6]]),
            np.array([[3, 3], [2, 6], [3, 1]]),
        ),
        NamedGame(
            "continuum 3x2",
            "continuum 3x2",
            np.array([[1, -1], [-1, 1], [0, 0]]),
            np.array([[1, 0], [0, 0], [0, 0]]),
        ),
    ]
    for n in config.tie_sizes:
        games.extend(coordination_with_ties(n))
    for n in config.integer_sizes:
        rng = game_rng(config.seed, 3, n)
        for k in range(config.integer_games_per_size):
            a, b = rng.integers(0, 3, size=(n, n)), rng.integers(0, 3, size=(n, n))
            games.append(NamedGame(f"integer {n}x{n} #{k}", f"random payoffs in {{0,1,2}}, {n}x{n}", a, b))
    return games


def coordination_with_ties(n: int) -> list[NamedGame]:
    """Common-payoff coordination games made degenerate by ties.

    ``duplicate``: identity payoffs with the last action of each player a copy of the first (a line of
    equilibria between the copies). ``tied``: identity payoffs where the pair (0, 1) also pays 1, so action 0
    of the row player has two best replies.
    """
    eye = np.eye(n, dtype=int)
    duplicate = eye.copy()
    duplicate[-1, :] = duplicate[0, :]
    duplicate[:, -1] = duplicate[:, 0]
    tied = eye.copy()
    tied[0, 1] = 1
    family = "coordination with ties"
    return [
        NamedGame(f"coordination {n}x{n}, duplicated action", family, duplicate, duplicate.copy()),
        NamedGame(f"coordination {n}x{n}, tied pair", family, tied, tied.copy()),
    ]


def exact_vertex_enumeration(a: np.ndarray, b: np.ndarray) -> list[tuple[Fraction, ...]]:
    from equilibria.solvers.vertex_enumeration import vertex_enumeration_solve

    result = vertex_enumeration_solve(NormalFormGame.bimatrix(a, b), rational=True)
    return sorted(tuple(Fraction(v) for v in np.concatenate(p)) for p in result.equilibria)


def exact_gambit_enummixed(a: np.ndarray, b: np.ndarray) -> list[tuple[Fraction, ...]]:
    import pygambit as gbt

    ggame = gbt.Game.from_arrays(a.astype(int).tolist(), b.astype(int).tolist())
    out = []
    for eq in gbt.nash.enummixed_solve(ggame, rational=True).equilibria:
        x, y = gambit_profile(ggame, eq, exact=True)
        out.append(tuple(np.concatenate([x, y])))
    return sorted(out)


@dataclass
class DegenerateResult:
    game: NamedGame
    reference: list[FloatProfile]
    outcomes: dict[str, Outcome | str]  # str: why the method did not run
    gambit_exact: list[tuple[Fraction, ...]] | None
    equilibria_exact: list[tuple[Fraction, ...]]

    @property
    def gambit_agrees(self) -> bool:
        """Whether pygambit's exact set equals equilibria's (as sets: pygambit may list a profile twice)."""
        return self.gambit_exact is not None and set(self.gambit_exact) == set(self.equilibria_exact)

    def counts(self, method: str) -> tuple[int, int, int] | None:
        """``(extreme equilibria found, other valid profiles, invalid ones)``; None when it did not run."""
        outcome = self.outcomes[method]
        if isinstance(outcome, str) or outcome.seconds is None:
            return None
        hits, _ = count_matches(self.reference, outcome.profiles)
        game = NormalFormGame.bimatrix(self.game.a, self.game.b)
        others = [p for p in outcome.profiles if not any(same_profile(p, r) for r in self.reference)]
        valid_others = sum(is_valid(game, p) for p in others)
        return hits, valid_others, len(others) - valid_others


def run_degenerate(config: Config, available: dict[str, bool], log: Callable[[str], None]) -> list[DegenerateResult]:
    methods = [m for m in DEGENERATE_METHODS if method_library(m) in config.libraries]
    results = []
    for named in degenerate_games(config):
        exact = exact_vertex_enumeration(named.a, named.b)
        reference = [
            (np.array(p[: len(named.a)], dtype=float), np.array(p[len(named.a) :], dtype=float)) for p in exact
        ]
        gambit_exact = None
        if "pygambit" in config.libraries and available["pygambit"]:
            gambit_exact = exact_gambit_enummixed(named.a, named.b)
        outcomes: dict[str, Outcome | str] = {}
        for method in methods:
            if not available[method_library(method)]:
                outcomes[method] = "not installed"
                continue
            a, b = named.a.astype(float), named.b.astype(float)
            cap = cap_for(config, method)
            outcomes[method] = measure_method(method, enum_solver(method, a, b, cap), 1, cap)
        result = DegenerateResult(named, reference, outcomes, gambit_exact, exact)
        log(f"DEGENERATE {named.name}: {len(exact)} extreme; " + ", ".join(f"{m}={result.counts(m)}" for m in methods))
        results.append(result)
    return results


# ------------------------------------------------------------------------------------------------------------
# Part 4: zero-sum LP
# ------------------------------------------------------------------------------------------------------------

ZERO_SUM_METHODS = ("equilibria zero_sum_lp_solve", "nashpy linear_program", "open_spiel lp_solver")


def open_spiel_lp_problem() -> str | None:
    """Why open_spiel's zero-sum LP cannot run here (None when it can)."""
    try:
        importlib.import_module("open_spiel.python.algorithms.lp_solver")
    except Exception as exc:  # noqa: BLE001
        return f"open_spiel `lp_solver` does not import ({type(exc).__name__}: {exc}; it needs cvxopt/cvxpy)"
    return None


def zero_sum_solver(method: str, a: np.ndarray, cap: float) -> Callable[[], list[FloatProfile]]:
    if method == "equilibria zero_sum_lp_solve":
        from equilibria.solvers.zero_sum_lp import zero_sum_lp_solve

        game = NormalFormGame.zero_sum(a)
        return lambda: converged_profiles(zero_sum_lp_solve(game, max_seconds=cap))[:1]
    if method == "nashpy linear_program":
        import nashpy

        ngame = nashpy.Game(a, -a)
        return lambda: [float_profile(*ngame.linear_program())]
    if method == "open_spiel lp_solver":
        import pyspiel
        from open_spiel.python.algorithms import lp_solver

        sgame = pyspiel.create_matrix_game(a.tolist(), (-a).tolist())

        def solve_open_spiel() -> list[FloatProfile]:
            x, y, _, _ = lp_solver.solve_zero_sum_matrix_game(sgame)
            return [float_profile(x, y)]

        return solve_open_spiel
    raise ValueError(f"zero_sum_solver: unknown method {method!r}")


@dataclass
class ZeroSumStats(LibraryStats):
    value_gap: float = 0.0  # max |value - equilibria's value| over games, relative to the payoff range


@dataclass
class ZeroSumRow:
    n: int
    planned: int
    stats: dict[str, ZeroSumStats]


def run_zero_sum(config: Config, available: dict[str, bool], log: Callable[[str], None]) -> list[ZeroSumRow]:
    methods = [m for m in ZERO_SUM_METHODS if method_library(m) in config.libraries]
    open_spiel_problem = open_spiel_lp_problem() if "open_spiel" in config.libraries else None
    gate = SizeGate(config.cap_seconds, lp_growth)
    rows = []
    for n, count in sorted(config.zero_sum_games.items()):
        rng = game_rng(config.seed, 4, n)
        matrices = [rng.random((n, n)) for _ in range(count)]
        values: dict[str, list[float | None]] = {}
        stats = {}
        for method in methods:
            stat = ZeroSumStats(method)
            stats[method] = stat
            if not available[method_library(method)]:
                stat.skipped = "not installed"
                continue
            if method == "open_spiel lp_solver" and open_spiel_problem:
                stat.skipped = "skipped: lp_solver needs cvxopt/cvxpy"
                continue
            values[method] = [None] * count
            cap = cap_for(config, method)
            makers = [partial(zero_sum_solver, method, a, cap) for a in matrices]
            for index, outcome in enumerate(time_at_size(method, n, makers, config, gate, stat)):
                if not outcome.profiles:
                    continue
                a = matrices[index]
                x, y = outcome.profiles[0]
                stat.valid += is_valid(NormalFormGame.zero_sum(a), (x, y))
                values[method][index] = float(x @ a @ y)
        reference = values.get(methods[0]) if methods else None
        for method, vals in values.items():
            gaps = [
                abs(v - r) / max(float(np.ptp(a)), 1e-300)
                for v, r, a in zip(vals, reference or [], matrices, strict=False)
                if v is not None and r is not None
            ]
            stats[method].value_gap = max(gaps) if gaps else math.nan
            log(
                f"ZERO-SUM n={n} {method}: median {fmt_seconds(stats[method].median)}, value gap "
                f"{stats[method].value_gap:.2g} {failure_note(stats[method])}"
            )
        rows.append(ZeroSumRow(n, count, stats))
    return rows


# ------------------------------------------------------------------------------------------------------------
# Targets
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    claim: str
    measured: str
    status: str  # "met", "not met", "not measured"


def status(ok: bool | None) -> str:
    return "not measured" if ok is None else ("met" if ok else "not met")


def evaluate_targets(
    lh: list[LHRow],
    enum: list[EnumRow],
    degenerate: list[DegenerateResult],
    zero_sum: list[ZeroSumRow],
    config: Config,
) -> list[Target]:
    targets = [*lh_targets(lh, config), *enumeration_targets(enum, degenerate), zero_sum_target(zero_sum)]
    return targets


def lh_targets(rows: list[LHRow], config: Config) -> list[Target]:
    ours = [(r.n, r.stats["equilibria"]) for r in rows if "equilibria" in r.stats]
    biggest = max(FULL.lh_games)
    covered = bool(ours) and max(n for n, _ in ours) >= biggest
    all_valid = all(s.games > 0 and s.valid == s.games for _, s in ours)
    shares = ", ".join(f"n={n}: {s.valid}/{s.games}" for n, s in ours)
    claim = f"Lemke-Howson: 100% valid through n={biggest}"
    if not ours:
        validity = Target(claim, "-", "not measured")
    elif not all_valid:
        validity = Target(claim, shares, "not met")
    else:
        validity = Target(claim, shares, "met" if covered else f"not measured (largest n run: {ours[-1][0]})")

    def ratio_claim(peer: str, need: float, claim: str) -> Target:
        ratios = []
        for r in rows:
            paired = paired_ratio(r.stats.get(peer), r.stats.get("equilibria"))
            if paired is not None:
                ratios.append((r.n, paired[0]))
        if not ratios:
            return Target(claim, "peer not measured", "not measured")
        text = ", ".join(f"n={n}: {ratio:.3g}x" for n, ratio in ratios)
        return Target(claim, f"peer/equilibria median time {text}", status(all(x >= need for _, x in ratios)))

    return [
        validity,
        ratio_claim("quantecon", 1.0, "Lemke-Howson: median no slower than quantecon at every n"),
        ratio_claim("pygambit", 10.0, "Lemke-Howson: >= 10x faster than pygambit lcp_solve at every n"),
    ]


def enumeration_targets(rows: list[EnumRow], degenerate: list[DegenerateResult]) -> list[Target]:
    speed = Target("All equilibria at n=10: no slower than pygambit enummixed_solve", "n=10 not run", "not measured")
    for row in rows:
        if row.n != 10:
            continue
        ours, theirs = row.stats.get(REFERENCE_METHOD), row.stats.get("pygambit enummixed_solve")
        paired = paired_ratio(theirs, ours)
        if ours and theirs and paired is not None:
            se = row.stats.get("equilibria support_enumeration")
            se_text = (
                f"; support_enumeration {fmt_seconds(se.median)}" if se is not None and se.median is not None else ""
            )
            speed = replace(
                speed,
                measured=f"vertex_enumeration {fmt_seconds(ours.median)} vs pygambit "
                f"{fmt_seconds(theirs.median)} (pygambit/equilibria {paired[0]:.3g}x){se_text}",
                status=status(paired[0] >= 1.0),
            )
    # Games on which a peer's support enumeration misses an extreme equilibrium.
    missed = [
        d
        for d in degenerate
        if any(
            (c := d.counts(m)) is not None and c[0] < len(d.reference)
            for m in ("nashpy support_enumeration", "quantecon support_enumeration")
            if m in d.outcomes
        )
    ]
    complete = [d for d in missed if (c := d.counts(REFERENCE_METHOD)) is not None and c[0] == len(d.reference)]
    agree_gambit = [d for d in missed if d.gambit_exact is None or d.gambit_agrees]
    if missed:
        measured = (
            f"vertex_enumeration complete on {len(complete)}/{len(missed)} games where a peer's support "
            f"enumeration misses equilibria; exact set equals pygambit's on {len(agree_gambit)}/{len(missed)}"
        )
        ok: bool | None = len(complete) == len(missed) and len(agree_gambit) == len(missed)
    else:
        measured, ok = "no peer support enumeration ran (or none missed an equilibrium)", None
    return [
        speed,
        Target(
            "All equilibria: complete on degenerate games where nashpy's/quantecon's support "
            "enumeration miss equilibria",
            measured,
            status(ok),
        ),
    ]


def zero_sum_target(rows: list[ZeroSumRow]) -> Target:
    claim = "Zero-sum LP: 2000 x 2000 under 2 s"
    for row in rows:
        stat = row.stats.get("equilibria zero_sum_lp_solve")
        if row.n == 2000 and stat is not None and stat.median is not None:
            return Target(
                claim,
                f"median {fmt_seconds(stat.median)}, valid {stat.valid}/{stat.games}",
                status(stat.median < 2.0 and stat.valid == stat.games),
            )
    return Target(claim, "2000 x 2000 not run", "not measured")


# ------------------------------------------------------------------------------------------------------------
# Markdown
# ------------------------------------------------------------------------------------------------------------


def fmt_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} µs"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines.extend("| " + " | ".join(str(c) for c in row) + " |" for row in rows)
    return lines


def failure_note(stat: LibraryStats) -> str:
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


def lh_markdown(rows: list[LHRow]) -> list[str]:
    out = ["### 1. Lemke-Howson: one equilibrium of random uniform n x n games", ""]
    out += [f"- {lib}: {desc}" for lib, desc in LH_DESCRIPTION.items()]
    out += [
        "- valid: max regret (equilibria's `metrics.max_regret`) <= 1e-6 x payoff range; a timeout or error "
        "counts as not valid. Median over the calls that returned. Ratio (here and below): peer median / "
        "equilibria median over the games on which both returned (above 1: equilibria is faster).",
        "",
    ]
    body = []
    for row in rows:
        ours = row.stats.get("equilibria")
        for lib, stat in row.stats.items():
            if stat.skipped:
                body.append([str(row.n), lib, "-", "-", "-", stat.skipped])
                continue
            ratio = ratio_text(stat, ours)
            body.append(
                [
                    str(row.n),
                    lib,
                    f"{stat.valid}/{stat.games}",
                    fmt_seconds(stat.median),
                    ratio,
                    failure_note(stat),
                ]
            )
    return out + table(["n", "library", "valid", "median", "peer / equilibria", "notes"], body)


def enum_markdown(rows: list[EnumRow]) -> list[str]:
    out = [
        "### 2. All equilibria of random uniform n x n games",
        "",
        "Random games are nondegenerate with probability 1, so every complete method should return the same "
        "set. *agree*: games on which the method's set equals equilibria's vertex enumeration (within 1e-6); "
        "for equilibria's vertex enumeration itself, equals pygambit's `enummixed_solve`. nashpy's "
        "`support_enumeration()` (default) tries all pairs of supports of any sizes; with "
        "`non_degenerate=True` only equal sizes, like the others (and then its tolerance is forced to 0). "
        "pygambit uses `rational=False`. *valid*: games on which every returned profile is valid.",
        "",
    ]
    body = []
    for row in rows:
        ours = row.stats.get(REFERENCE_METHOD)
        for method, stat in row.stats.items():
            if stat.skipped:
                body.append([str(row.n), method, "-", "-", "-", "-", "-", stat.skipped])
                continue
            agree = f"{stat.agree}/{stat.compared}" if stat.compared else "-"
            body.append(
                [
                    str(row.n),
                    method,
                    fmt_seconds(stat.median),
                    ratio_text(stat, ours),
                    str(stat.found),
                    agree,
                    f"{stat.valid}/{stat.games}",
                    failure_note(stat),
                ]
            )
    return out + table(
        [
            "n",
            "method",
            "median",
            "/ equilibria VE",
            "equilibria found (all games)",
            "agree",
            "valid",
            "notes",
        ],
        body,
    )


def degenerate_markdown(results: list[DegenerateResult]) -> list[str]:
    methods = list(results[0].outcomes) if results else []
    out = [
        "### 3. Degenerate games (support enumeration is not complete there)",
        "",
        "Reference: the extreme equilibria from equilibria's exact "
        "`vertex_enumeration_solve(rational=True)`. A cell `k/K` says the method returned k of the K extreme "
        "equilibria (within 1e-6); `+v` counts other "
        "valid profiles it returned (non-extreme points of a continuum, or duplicates), `!i` invalid ones; "
        "✓ = complete. Peers run in their degenerate-capable mode where they have one (nashpy "
        "`support_enumeration()` with its default `non_degenerate=False`: all support pairs, any sizes).",
        "",
    ]
    body = []
    families: dict[str, list[DegenerateResult]] = {}
    for res in results:
        families.setdefault(res.game.family, []).append(res)
    for family, members in families.items():
        if len(members) == 1:
            res = members[0]
            body.append([res.game.name, str(len(res.reference)), *[degenerate_cell(res, m) for m in methods]])
            continue
        body.append(
            [
                f"{family} ({len(members)} games)",
                str(sum(len(r.reference) for r in members)),
                *[family_cell(members, m) for m in methods],
            ]
        )
    out += table(["game", "extreme eq.", *methods], body)
    out += ["", *gambit_cross_check(results)]
    return out


def degenerate_cell(res: DegenerateResult, method: str) -> str:
    outcome = res.outcomes[method]
    if isinstance(outcome, str):
        return outcome
    counts = res.counts(method)
    if counts is None:
        return f"error: {outcome.error}"
    hits, valid_other, invalid = counts
    text = f"{hits}/{len(res.reference)}" + (" ✓" if hits == len(res.reference) else "")
    if valid_other:
        text += f" +{valid_other}"
    if invalid:
        text += f" !{invalid}"
    return text


def family_cell(members: list[DegenerateResult], method: str) -> str:
    first = members[0].outcomes[method]
    if isinstance(first, str):
        return first
    counts = [m.counts(method) for m in members]
    ran = [(c, m) for c, m in zip(counts, members, strict=True) if c is not None]
    errors = len(members) - len(ran)
    hits = sum(c[0] for c, _ in ran)
    total = sum(len(m.reference) for m in members)
    complete = sum(c[0] == len(m.reference) for c, m in ran)
    text = f"{hits}/{total}, complete in {complete}/{len(members)}"
    valid_other = sum(c[1] for c, _ in ran)
    invalid = sum(c[2] for c, _ in ran)
    if valid_other:
        text += f" +{valid_other}"
    if invalid:
        text += f" !{invalid}"
    if errors:
        text += f", {errors} errors"
    return text


def gambit_cross_check(results: list[DegenerateResult]) -> list[str]:
    checked = [r for r in results if r.gambit_exact is not None]
    if not checked:
        return [
            "Cross-check with pygambit's exact `enummixed_solve`: not run (pygambit not installed or not selected)."
        ]
    differ = [r for r in checked if not r.gambit_agrees]
    repeated = [r for r in checked if len(set(r.gambit_exact or [])) < len(r.gambit_exact or [])]
    lines = [
        f"Cross-check: equilibria's exact vertex enumeration and pygambit's exact `enummixed_solve"
        f"(rational=True)` return identical sets of extreme equilibria on {len(checked) - len(differ)}/"
        f"{len(checked)} games."
    ]
    if repeated:
        lines[0] += (
            f" (pygambit lists some extreme equilibria more than once on {len(repeated)} games: "
            + ", ".join(r.game.name for r in repeated)
            + "; the sets are compared without the repeats.)"
        )
    for r in differ:
        only_ours = [p for p in r.equilibria_exact if p not in (r.gambit_exact or [])]
        only_gambit = [p for p in (r.gambit_exact or []) if p not in r.equilibria_exact]
        lines.append(
            f"- **{r.game.name}** differs: only equilibria {fractions_text(only_ours)}; "
            f"only pygambit {fractions_text(only_gambit)}"
        )
    return lines


def fractions_text(profiles: list[tuple[Fraction, ...]]) -> str:
    if not profiles:
        return "none"
    return "; ".join("(" + ", ".join(str(v) for v in p) + ")" for p in profiles)


def zero_sum_markdown(rows: list[ZeroSumRow], config: Config) -> list[str]:
    out = [
        "### 4. Zero-sum LP on square random games (payoffs uniform in [0, 1))",
        "",
        "*value gap*: largest |value - equilibria's value| over the games, relative to the payoff range "
        "(value = x^T A y of the returned profile). quantecon has no zero-sum solver.",
        "",
    ]
    if "open_spiel" in config.libraries and library_available("open_spiel"):
        problem = open_spiel_lp_problem()
        if problem:
            out += [f"open_spiel: {problem}.", ""]
    body = []
    for row in rows:
        ours = row.stats.get("equilibria zero_sum_lp_solve")
        for method, stat in row.stats.items():
            if stat.skipped:
                body.append([str(row.n), method, "-", "-", "-", "-", stat.skipped])
                continue
            gap = "-" if math.isnan(stat.value_gap) else f"{stat.value_gap:.1e}"
            body.append(
                [
                    str(row.n),
                    method,
                    f"{stat.valid}/{stat.games}",
                    fmt_seconds(stat.median),
                    ratio_text(stat, ours),
                    gap,
                    failure_note(stat),
                ]
            )
    return out + table(["n", "method", "valid", "median", "peer / equilibria", "value gap", "notes"], body)


def targets_markdown(targets: list[Target]) -> list[str]:
    return [
        "### Targets",
        "",
        *table(["target", "measured", "status"], [[t.claim, t.measured, f"**{t.status}**"] for t in targets]),
    ]


def cpu_name() -> str:
    cpu = platform.processor() or "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return cpu


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"


def machine_info(config: Config, available: dict[str, bool]) -> list[str]:
    cpu = cpu_name()
    load = load_average()
    versions = [
        f"equilibria {distribution_version('equilibria')} ({git_revision()})",
        f"numpy {distribution_version('numpy')} ({blas_name()})",
        f"scipy {distribution_version('scipy')}",
    ]
    for lib in ("quantecon", "pygambit", "nashpy", "open_spiel"):
        if lib not in config.libraries:
            continue
        text = f"{lib} {distribution_version(LIBRARY_MODULES[lib][1])}"
        versions.append(text if available.get(lib) else f"{lib}: not installed, skipped")
    # equilibria's Lemke-Howson compiles its pivoting loop with numba when numba is importable.
    versions.append(f"numba {distribution_version('numba')} (used by quantecon, and by equilibria when present)")
    return [
        f"- Machine: {cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; "
        f"load average at the end {load}; thread settings: {' '.join(thread_settings()) or 'library defaults'}",
        f"- Python {platform.python_version()}; " + "; ".join(versions),
    ]


THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


def thread_settings() -> list[str]:
    """The thread-count environment variables that are set, as ``NAME=value`` (part of the command line)."""
    return [f"{name}={os.environ[name]}" for name in THREAD_VARIABLES if name in os.environ]


def blas_name() -> str:
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    except (TypeError, KeyError):
        return "BLAS unknown"
    return f"{blas.get('name', 'BLAS')} {blas.get('version', '')}".strip()


def git_revision() -> str:
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "git revision unknown"
    return f"git {head}" + (" + uncommitted changes" if dirty else "")


@dataclass
class Report:
    config: Config
    command: str
    started: datetime.datetime
    seconds: float
    available: dict[str, bool]
    lh: list[LHRow]
    enum: list[EnumRow]
    degenerate: list[DegenerateResult]
    zero_sum: list[ZeroSumRow]


def render(report: Report) -> str:
    config = report.config
    missing = [lib for lib in config.libraries if not report.available.get(lib)]
    lines = [
        BEGIN_MARKER,
        "## Normal-form Nash solvers: equilibria vs peer libraries",
        "",
        f"- Command: `{report.command}` ({config.label} configuration, seed {config.seed}, repeats "
        f"{config.repeats}, per-call cap {config.cap_seconds:g} s for peers, "
        f"{config.own_cap_seconds:g} s for equilibria); run on "
        f"{report.started.strftime('%Y-%m-%d %H:%M UTC')}, took {report.seconds:.0f} s",
        *machine_info(config, report.available),
        "- Timing: one process, same seeded games for every library; only the solve call is timed (game "
        "objects built outside the timer); one untimed warm-up call per library and part, and per size for "
        "the numba-compiled ones (quantecon; equilibria's Lemke-Howson when numba is installed), so JIT "
        "compile time is excluded; best of up to `repeats` runs per game (a single run once one exceeds "
        f"{LONG_RUN_SECONDS:g} s; calls under {SHORT_RUN_SECONDS * 1e3:g} ms repeat until they have run "
        f"{SHORT_RUN_TOTAL_SECONDS * 1e3:g} ms in all, at most {SHORT_RUN_MAX_REPEATS} times), the clock started "
        "inside the timeout and warning guards; medians over games. A peer is skipped at a size when its median at the "
        "previous size, scaled by n^3 (Lemke-Howson), 4^n (enumeration) or n^2.5 (LP), predicts more than "
        "the "
        "cap; pure-Python calls are interrupted at the cap (SIGALRM) and pygambit's run in a forked child "
        "that is killed at the cap (timed inside the child); both count as failures. equilibria is never "
        "skipped: it runs with `max_seconds` = its own cap and a `converged=False` result counts as a failure.",
    ]
    if missing:
        lines.append(f"- Not installed, skipped: {', '.join(missing)}")
    lines += [
        "",
        *targets_markdown(evaluate_targets(report.lh, report.enum, report.degenerate, report.zero_sum, config)),
        "",
        *lh_markdown(report.lh),
        "",
        *enum_markdown(report.enum),
        "",
        *degenerate_markdown(report.degenerate),
        "",
        *zero_sum_markdown(report.zero_sum, config),
        "",
        END_MARKER,
    ]
    return "\n".join(lines) + "\n"


def replace_section(existing: str, section: str, markers: tuple[str, str] = (BEGIN_MARKER, END_MARKER)) -> str:
    """``existing`` with the marked section replaced by ``section`` (appended when there is none)."""
    begin_marker, end_marker = markers
    start, end = existing.find(begin_marker), existing.find(end_marker)
    if start != -1 and end > start:
        return existing[:start] + section.rstrip("\n") + existing[end + len(end_marker) :]
    return existing.rstrip("\n") + "\n\n" + section


def write_section(path: Path, section: str, markers: tuple[str, str] = (BEGIN_MARKER, END_MARKER)) -> None:
    """Replace the marked section of ``path`` (created with the intro if missing), atomically."""
    existing = path.read_text() if path.exists() else INTRO
    write_atomic(path, replace_section(existing, section, markers))


def publish_section(script: str, argv: Sequence[str] | None, run: Callable[[str], T], render: Callable[[T], str],
                    write: Path | None, markers: tuple[str, str]) -> T:
    """Run a benchmark under the command line that reproduces it (thread settings included), print its section
    and, with ``write``, replace that section of the file. Returns the benchmark's report."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    report = run(" ".join([*thread_settings(), "python", f"benchmarks/{script}", *arguments]))
    section = render(report)
    print(section)
    if write is not None:
        write_section(write, section, markers)
        print(f"wrote {write}", file=sys.stderr)
    return report


# ------------------------------------------------------------------------------------------------------------
# Driver
# ------------------------------------------------------------------------------------------------------------


def run(config: Config, command: str, log: Callable[[str], None] = lambda _: None) -> Report:
    started = datetime.datetime.now(datetime.UTC)
    clock = time.perf_counter()
    available = {lib: library_available(lib) for lib in config.libraries}
    for lib, ok in available.items():
        if not ok:
            log(f"{lib} is not installed: skipped")
    lh = run_lemke_howson(config, available, log)
    enum = run_all_equilibria(config, available, log)
    degenerate = run_degenerate(config, available, log)
    zero_sum = run_zero_sum(config, available, log)
    return Report(config, command, started, time.perf_counter() - clock, available, lh, enum, degenerate, zero_sum)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer sizes and games (a minute or two)")
    parser.add_argument("--write", type=Path, help="replace the normal_form section of this markdown file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, help="runs per call, fastest kept (default 3, quick 1)")
    parser.add_argument("--cap", type=float, help="seconds per call before a peer is cut off or skipped")
    parser.add_argument("--only", help="comma-separated libraries to run (default: all installed)")
    return parser.parse_args(argv)


def config_from_args(args: argparse.Namespace) -> Config:
    config = QUICK if args.quick else FULL
    config = replace(config, seed=args.seed)
    if args.repeats is not None:
        config = replace(config, repeats=args.repeats)
    if args.cap is not None:
        config = replace(config, cap_seconds=args.cap)
    if args.only:
        wanted = tuple(lib.strip() for lib in args.only.split(","))
        unknown = [lib for lib in wanted if lib not in LIBRARY_MODULES]
        if unknown:
            raise SystemExit(
                f"normal_form.py: --only: unknown libraries {unknown}; choose from {list(LIBRARY_MODULES)}"
            )
        config = replace(config, libraries=tuple(dict.fromkeys(("equilibria", *wanted))))
    return config


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    config = config_from_args(args)
    publish_section("normal_form.py", argv, lambda command: run(config, command, log=log_to_stderr), render,
                    args.write, (BEGIN_MARKER, END_MARKER))
    return 0


def log_to_stderr(message: str) -> None:
    """The progress log every benchmark prints while it runs."""
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
