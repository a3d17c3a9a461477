"""What the parts of the normal-form benchmark share: its configuration, its games, how one method is timed on
every game of one size (warm-up, caps, gates), and a line of its targets table.

Methods are named ``"<library> <method>"`` (or just ``"<library>"`` where a part has one method per library); the
first word decides the library: its cap (equilibria, the subject, gets ``own_cap_seconds``; a peer gets
``cap_seconds`` unless ``peer_caps`` names the method), whether it is warmed up at every size (numba-compiled
libraries) and whether its calls run in a forked child killed at the cap (pygambit's compiled code).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from benchmarks._harness import LibraryStats, Outcome, SizeGate, measure, measure_in_child

# Code compiled on first use (numba): warmed up at every size, not only once per part. Every quantecon method,
# and equilibria's Lemke-Howson, which parts 1 and 5 name by the library alone (its enumerations are not compiled).
JIT_LIBRARIES = frozenset({"quantecon"})
JIT_METHODS = frozenset({"equilibria"})
# The warm-up of a JIT library may run this long whatever the cap: an alarm inside numba's compiler is ignored
# there (it arrives in a ctypes callback) and a short cap (--quick) would otherwise cut compiles short.
JIT_WARM_UP_SECONDS = 60.0
# Libraries whose calls run in a forked child that is killed at the cap (compiled code that can hang).
ISOLATED_LIBRARIES = frozenset({"pygambit"})


@dataclass(frozen=True)
class Config:
    """What to run. ``*_games`` map a size to the number of games of that size; ``peer_caps`` give named peer
    methods a per-call cap of their own (instead of ``cap_seconds``)."""

    seed: int = 0
    repeats: int = 3
    cap_seconds: float = 10.0
    own_cap_seconds: float = 120.0
    lh_games: dict[int, int] = field(default_factory=lambda: {10: 20, 20: 20, 50: 20, 100: 10, 200: 5, 500: 3})
    label_games: dict[int, int] = field(default_factory=lambda: {10: 20, 20: 20, 50: 20, 100: 10, 200: 5, 500: 3})
    # Support pairs grow about 4^n: 5 games from n=10 on (n=14 costs ~2 minutes on an idle machine).
    enum_games: dict[int, int] = field(default_factory=lambda: {6: 10, 8: 10, 10: 5, 12: 5, 14: 5})
    integer_sizes: tuple[int, ...] = (3, 4, 5, 6)
    integer_games_per_size: int = 5
    tie_sizes: tuple[int, ...] = (3, 4, 5)
    zero_sum_games: dict[int, int] = field(default_factory=lambda: {50: 5, 500: 3, 2000: 3})
    libraries: tuple[str, ...] = ("equilibria", "quantecon", "pygambit", "nashpy", "open_spiel")
    # quantecon's support enumeration is the peer of a target at every n through 14, where it takes 10-20 s per game
    # on an idle 2-core machine: past the common cap. 30 s (4 caps, 2 minutes, per size at most) keeps it measured
    # there without letting a loaded machine stretch the full run much past 20 minutes.
    peer_caps: dict[str, float] = field(default_factory=lambda: {"quantecon support_enumeration": 30.0})
    label: str = "full"


FULL = Config()
QUICK = Config(
    repeats=1,
    cap_seconds=2.0,
    lh_games={10: 5, 50: 3, 200: 2},
    label_games={10: 3, 50: 2, 200: 2},
    enum_games={6: 3, 8: 2},
    integer_sizes=(3, 4),
    integer_games_per_size=3,
    tie_sizes=(3, 4),
    zero_sum_games={50: 2, 500: 1, 2000: 1},
    peer_caps={},
    label="quick",
)
TINY = Config(
    repeats=1,
    cap_seconds=5.0,
    own_cap_seconds=30.0,
    lh_games={6: 2, 10: 1},
    label_games={6: 2, 10: 1},
    enum_games={4: 2},
    integer_sizes=(3,),
    integer_games_per_size=2,
    tie_sizes=(3,),
    zero_sum_games={20: 1},
    libraries=("equilibria",),
    peer_caps={},
    label="tiny",
)


def games_per_size(games: dict[int, int]) -> str:
    """``"10 games at n=6, 8; 5 at n=10, 12, 14"``: how many games each size of a part ran on."""
    groups: dict[int, list[int]] = {}
    for n, count in sorted(games.items()):
        groups.setdefault(count, []).append(n)
    parts = [f"{count} at n={', '.join(map(str, sizes))}" for count, sizes in groups.items()]
    if not parts:
        return "no games"
    first_count = next(iter(groups))
    first = parts[0].replace(" at", " game at" if first_count == 1 else " games at", 1)
    return first + "".join(f"; {p}" for p in parts[1:])


# ------------------------------------------------------------------------------------------------------------
# Games
# ------------------------------------------------------------------------------------------------------------


def uniform_bimatrix(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    return rng.random((n, n)), rng.random((n, n))


def game_rng(seed: int, part: int, n: int, extra: int = 0) -> np.random.Generator:
    """Games of a part and size depend only on the seed, never on which libraries run."""
    return np.random.default_rng([seed, part, n, extra])


# ------------------------------------------------------------------------------------------------------------
# Timing one method on every game of one size
# ------------------------------------------------------------------------------------------------------------


def method_library(method: str) -> str:
    return method.split()[0]


def cap_for(config: Config, method: str) -> float:
    """equilibria (the subject) gets its own, longer cap; peers get the per-call cap (or their own)."""
    if method_library(method) == "equilibria":
        return config.own_cap_seconds
    return config.peer_caps.get(method, config.cap_seconds)


def size_gate(config: Config, growth: Callable[[int, int], float]) -> SizeGate:
    """A part's gate: skips a peer predicted past its cap at the next size (``growth``: the part's cost law)."""
    return SizeGate(config.cap_seconds, growth, config.peer_caps)


def measure_method(method: str, call: Callable[[], list[Any]], repeats: int, cap: float, isolated: bool = False
                   ) -> Outcome:
    """pygambit runs in a killable child (see :func:`measure_in_child`), and so does any method with
    ``isolated``, after an untimed call in that child; everything else in this process."""
    if isolated:
        return measure_in_child(call, repeats, cap, warm_up=True)
    if method_library(method) in ISOLATED_LIBRARIES:
        return measure_in_child(call, repeats, cap)
    return measure(call, repeats, cap)


def time_at_size(
    method: str,
    n: int,
    makers: Sequence[Callable[[], Callable[[], list[Any]]]],
    config: Config,
    gate: SizeGate,
    stat: LibraryStats,
    cap: float | None = None,
    isolated: bool = False,
) -> list[Outcome]:
    """Time ``method`` on every game of one size; ``makers[k]()`` builds game k's call outside the timer.

    Returns the outcomes of the games run (all of them, or a prefix when a peer stops early). The first game is
    solved once untimed before the timed runs (warm-up: imports, caches, numba's JIT compile): once per part,
    and at every size for the JIT-compiled methods (quantecon's, equilibria's Lemke-Howson), whose compiled code
    and caches may depend on the size. Peers are
    skipped when the gate predicts more than the cap, and stop at a size after spending 4 caps on it;
    equilibria always runs (bounded by its own ``max_seconds``). ``cap``: instead of :func:`cap_for`'s (the
    caller then gives equilibria the same ``max_seconds``); ``isolated``: run in a child killed at the cap.
    """
    ours = method_library(method) == "equilibria"
    cap = cap_for(config, method) if cap is None else cap
    # equilibria gets max_seconds=cap and returns converged=False itself; the alarm is only a backstop.
    limit = cap * 1.1 + 1.0 if ours else cap
    if not ours and (reason := gate.skip_reason(method, n)):
        stat.skipped = reason
        return []
    jit = method_library(method) in JIT_LIBRARIES or method in JIT_METHODS
    if makers and (method not in gate.warmed or (jit and not isolated)):
        gate.warmed.add(method)
        # A JIT warm-up runs in this process even for an isolated method: its compiled code must outlive the call
        # (the forked children inherit it). Only once per part for an isolated one (each child warms up itself),
        # so an uninterruptible long first game cannot stall this process at the larger sizes.
        with contextlib.suppress(Exception):  # a failing maker is reported by the timed loop below
            measure_method(method, makers[0](), 1, max(limit, JIT_WARM_UP_SECONDS) if jit else limit,
                           isolated and not jit)
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
            outcome = measure_method(method, call, config.repeats, limit, isolated)
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
# Targets
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    claim: str
    measured: str
    status: str  # "met", "not met", "not measured"


def status(ok: bool | None) -> str:
    return "not measured" if ok is None else ("met" if ok else "not met")
