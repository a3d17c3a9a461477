"""Nash equilibria of two-player general-sum game trees: sequence-form Lemke against pygambit's ``lcp_solve``.

Games: random two-player general-sum trees of growing size (``--sizes``, target node counts), ``--games`` per size,
built by :func:`random_general_sum_tree` from seeded streams: breadth-first, each inner node a chance node (15%,
dyadic probabilities so that Gambit reads them back as summing to exactly 1) or a decision node of a random player
with 2 or 3 actions; each player observes each move of the others and of chance with probability 1/2 (its own
always), and its information set is everything it has observed, so recall is perfect and unobserved moves merge
nodes into larger sets. Payoffs are uniform on [-10, 10], rounded to 3 decimals.

Methods: equilibria's :func:`equilibria.solvers.sequence_form_lemke.sequence_form_lemke_solve` (floats; and
``rational=True`` for the record) against ``pygambit.nash.lcp_solve(game, rational=False, use_strategic=False)``
(Lemke's algorithm on Gambit's sequence form) on the same tree, written with :func:`equilibria.games.io.efg.dumps_efg`
and read with ``pygambit.read_efg`` before the timer. Every answer is judged by one checker,
:func:`equilibria.metrics.exploitability.exploitability` (NashConv / 2) on our tree (pygambit's profile mapped by
information set and action labels).

Timing (as ``benchmarks/extensive_form.py``): the fastest of up to ``--repeats`` runs of the whole public call (our
time includes building the sequence form and the exploitability certificate); our "first call" is one call on a copy
of the tree freshly read from its ``.efg`` text, so nothing cached on the game object is warm: it is what a user who
solves a game once pays, and the speed-up target is judged on it. pygambit runs in a forked child killed
at ``--cap`` seconds, and once it times out on every game of a size the larger sizes skip it. The ratio is the
median over the games where both answered of pygambit's time over ours, game by game. ``OPENBLAS_NUM_THREADS`` is
set to 1 unless given (the machine is shared).

Usage::

    python benchmarks/general_sum_trees.py [--quick] [--games G] [--repeats R] [--cap S] [--write BENCHMARKS.md]
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy loads OpenBLAS

import io  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import deque  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from dataclasses import dataclass, field, replace  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

if __package__ in (None, ""):  # run as a script: make the sibling module importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._ef_lp import gambit_policy  # noqa: E402
from benchmarks._harness import Outcome, library_available, measure, measure_in_child  # noqa: E402
from benchmarks._publish import (  # noqa: E402
    benchmark_parser,
    command_line,
    fmt_seconds,
    log_to_stderr,
    machine_line,
    met,
    publish_section,
    table,
    utc_minute,
    versions_line,
)
from equilibria.games.extensive_form import Chance, Decision, ExtensiveFormGame, Node, Terminal  # noqa: E402
from equilibria.games.io.efg import dumps_efg, loads_efg  # noqa: E402
from equilibria.metrics.exploitability import exploitability  # noqa: E402
from equilibria.solvers.sequence_form_lemke import sequence_form_lemke_solve  # noqa: E402

MARKERS = ("<!-- general_sum_trees:begin -->", "<!-- general_sum_trees:end -->")
SPEEDUP_TARGET = 10.0  # pygambit lcp_solve time / equilibria's, at every size where pygambit answers
CERTIFIED = 1e-9  # exploitability of a certified answer (payoffs in [-10, 10])
_DYADIC = ((0.5, 0.5), (0.25, 0.75), (0.25, 0.25, 0.5), (0.125, 0.375, 0.5))


@dataclass(frozen=True)
class Config:
    sizes: tuple[int, ...] = (50, 100, 200, 350, 500, 1000, 2000, 5000)
    games: int = 5
    repeats: int = 3
    cap_seconds: float = 120.0  # per pygambit call
    seed: int = 0
    peers: bool = True
    label: str = "full"


FULL = Config()
QUICK = Config(sizes=(50, 100, 200, 500, 1000, 5000), games=3, repeats=1, cap_seconds=20.0, label="quick")
TINY = Config(sizes=(30, 60), games=1, repeats=1, cap_seconds=5.0, peers=False, label="tiny")


def random_general_sum_tree(n_nodes: int, seed: int, *, chance: float = 0.15,
                            observe: float = 0.5) -> ExtensiveFormGame:
    """A random two-player general-sum tree of about ``n_nodes`` nodes (module docstring)."""
    rng = np.random.default_rng([seed, n_nodes])
    arity: dict[tuple[int, tuple[Any, ...]], int] = {}
    labels: dict[tuple[int, tuple[Any, ...]], str] = {}
    slots: list[dict[str, Any]] = [{}]
    queue: deque[tuple[dict[str, Any], int, tuple[tuple[Any, ...], ...]]] = deque([(slots[0], 0, ((), ()))])
    count = 1
    while queue:
        slot, depth, seen = queue.popleft()
        if n_nodes - count < 3 or (depth > 1 and rng.random() < 0.1):
            slot["terminal"] = tuple(float(v) for v in np.round(rng.uniform(-10, 10, 2), 3))
            continue
        if depth > 0 and rng.random() < chance:
            probs = _DYADIC[int(rng.integers(len(_DYADIC)))]
            slot["chance"] = []
            for i, p in enumerate(probs):
                after = tuple(s + ((("chance", depth, i),) if rng.random() < observe else ()) for s in seen)
                child: dict[str, Any] = {}
                slot["chance"].append((p, f"c{i}", child))
                queue.append((child, depth + 1, after))
            count += len(probs)
            continue
        mover = int(rng.integers(2))
        key = (mover, seen[mover])
        if key not in arity:
            arity[key] = int(rng.integers(2, 4))
            labels[key] = f"P{mover}.{len(labels)}"
        slot["decision"] = (mover, labels[key], [])
        for a in range(arity[key]):
            after = tuple(s + (((labels[key], a),) if p == mover or rng.random() < observe else ())
                          for p, s in enumerate(seen))
            child = {}
            slot["decision"][2].append((f"a{a}", child))
            queue.append((child, depth + 1, after))
        count += arity[key]

    def build(slot: dict[str, Any]) -> Node:  # recursion as deep as the tree (a few dozen levels)
        if "terminal" in slot:
            return Terminal(slot["terminal"])
        if "chance" in slot:
            return Chance([(p, label, build(child)) for p, label, child in slot["chance"]])
        mover, label, moves = slot["decision"]
        return Decision(mover, label, [(action, build(child)) for action, child in moves])

    return ExtensiveFormGame.from_tree(build(slots[0]), n_players=2, name=f"random-general-sum-{n_nodes}-{seed}")


# -- one game ------------------------------------------------------------------------------------------------------


@dataclass
class GameRow:
    """One game: its size, our float and exact solves, pygambit's solve."""

    nodes: int
    sequences: int
    ours: float | None = None
    ours_first: float | None = None  # one call on a freshly read copy: no per-game cache warm
    certificate: float | None = None  # of which: the exploitability certificate (behaviour_result's)
    ours_exploitability: float | None = None
    pivots: int | None = None
    exact: float | None = None
    exact_verified: bool | None = None
    peer: float | None = None
    peer_exploitability: float | None = None
    peer_note: str = ""


def ours(game: ExtensiveFormGame, row: GameRow, config: Config) -> None:
    outcome = measure(lambda: [sequence_form_lemke_solve(game)], config.repeats, 600.0)
    if outcome.profiles:
        result = outcome.profiles[0]
        row.ours, row.pivots = outcome.seconds, result.iterations
        row.ours_exploitability = exploitability(game, result.equilibrium)
        row.certificate = measure(lambda: [exploitability(game, result.equilibrium)], config.repeats, 600.0).seconds
    fresh = loads_efg(dumps_efg(game))  # read before the timer, as pygambit's copy is
    row.ours_first = measure(lambda: [sequence_form_lemke_solve(fresh)], 1, 600.0).seconds
    exact = measure(lambda: [sequence_form_lemke_solve(game, rational=True)], 1, 600.0)
    if exact.profiles:
        row.exact = exact.seconds
        row.exact_verified = exact.profiles[0].parameters.get("exact_nash_conv") == 0


def gambit(game: ExtensiveFormGame, row: GameRow, config: Config) -> None:
    import pygambit

    gambit_game = pygambit.read_efg(io.StringIO(dumps_efg(game)))  # built before the timer and the fork

    def solve() -> list[np.ndarray]:
        found = pygambit.nash.lcp_solve(gambit_game, rational=False, use_strategic=False)
        return [gambit_policy(game, gambit_game, eq) for eq in found.equilibria[:1]]

    outcome: Outcome = measure_in_child(solve, config.repeats, config.cap_seconds)
    if outcome.profiles:
        row.peer = outcome.seconds
        row.peer_exploitability = exploitability(game, outcome.profiles[0])
    else:
        row.peer_note = "timeout" if outcome.timed_out else (outcome.error or "no equilibrium")


# -- sizes ---------------------------------------------------------------------------------------------------------


@dataclass
class SizeRow:
    target: int
    games: list[GameRow] = field(default_factory=list)
    peer_skipped: str = ""

    def median(self, attribute: str) -> float | None:
        values = [getattr(g, attribute) for g in self.games if getattr(g, attribute) is not None]
        return statistics.median(values) if values else None

    def worst(self, attribute: str) -> float | None:
        values = [getattr(g, attribute) for g in self.games if getattr(g, attribute) is not None]
        return max(values) if values else None

    def ratio(self, cap: float, attribute: str = "ours") -> tuple[float, int, int] | None:
        """``(median, games, timeouts)`` of pygambit's time / ours (``attribute``: ``ours`` or ``ours_first``) over
        the games pygambit was run on; a game on which it timed out counts with the lower bound ``cap / ours``, so
        the median is then a lower bound too."""
        times = [(g, getattr(g, attribute)) for g in self.games]
        pairs = [g.peer / t for g, t in times if g.peer is not None and t]
        bounds = [cap / t for g, t in times if g.peer_note == "timeout" and t]
        values = pairs + bounds
        return (statistics.median(values), len(values), len(bounds)) if values else None


@dataclass
class Report:
    config: Config
    command: str
    started: str
    seconds: float = 0.0
    peer_available: bool = False
    sizes: list[SizeRow] = field(default_factory=list)


def run_benchmark(config: Config, command: str, log: Callable[[str], None] = lambda _: None) -> Report:
    clock = time.perf_counter()
    report = Report(config, command, utc_minute())
    report.peer_available = config.peers and library_available("pygambit")
    if config.peers and not report.peer_available:
        log("pygambit is not installed: skipped")
    peer_stopped = ""
    sequence_form_lemke_solve(random_general_sum_tree(30, config.seed))  # warm-up (imports)
    for target in config.sizes:
        size = SizeRow(target)
        for k in range(config.games):
            game = random_general_sum_tree(target, config.seed * 1_000 + k)
            row = GameRow(game.n_nodes, sum(game.n_sequences))
            log(f"n={target} game {k}: {game.n_nodes} nodes, {row.sequences} sequences")
            ours(game, row, config)
            if report.peer_available and not peer_stopped:
                gambit(game, row, config)
            size.games.append(row)
        if report.peer_available:
            size.peer_skipped = peer_stopped
            if not peer_stopped and all(g.peer is None for g in size.games):
                peer_stopped = f"skipped: no answer within {config.cap_seconds:g} s at n={target}"
        report.sizes.append(size)
    report.seconds = time.perf_counter() - clock
    return report


# -- report --------------------------------------------------------------------------------------------------------


def fmt_error(value: float | None) -> str:
    return "-" if value is None else f"{value:.1e}"


def fmt_ratio(ratio: tuple[float, int, int] | None) -> str:
    if ratio is None:
        return "-"
    median, games, timeouts = ratio
    bound = ">= " if timeouts else ""
    timed_out = f", {timeouts} timed out" if timeouts else ""
    return f"{bound}{median:.3g}x ({games} games{timed_out})"


def target_rows(report: Report) -> list[list[str]]:
    rows = []
    cap = report.config.cap_seconds
    compared = [(s.target, r) for s in report.sizes if (r := s.ratio(cap, "ours_first")) is not None]
    if compared:
        failing = [f"n={t}: {fmt_ratio(r)}" for t, r in compared if r[0] < SPEEDUP_TARGET]
        rows.append([f">= {SPEEDUP_TARGET:.0f}x faster than pygambit lcp_solve (median ratio, our first call on a "
                     f"freshly read tree) at every size it was run on ({', '.join(str(t) for t, _ in compared)})",
                     "below at " + "; ".join(failing) if failing else "every size", met(not failing)])
    worst = max((s.worst("ours_exploitability") or 0.0 for s in report.sizes), default=0.0)
    rows.append([f"every float answer certified (exploitability <= {CERTIFIED:g})", f"worst {worst:.1e}",
                 met(worst <= CERTIFIED)])
    exact = [g.exact_verified for s in report.sizes for g in s.games]
    rows.append(["every exact answer (rational=True) verified with exact NashConv 0",
                 f"{sum(bool(v) for v in exact)} of {len(exact)}", met(all(exact))])
    return rows


def render(report: Report) -> str:
    c = report.config
    lines = [
        MARKERS[0],
        "## Two-player general-sum trees: sequence-form Lemke against pygambit",
        "",
        command_line(report.command, f"{c.label} configuration: sizes {', '.join(map(str, c.sizes))} nodes, "
                     f"{c.games} games each, repeats {c.repeats}, pygambit cap {c.cap_seconds:g} s", report.started,
                     report.seconds),
        machine_line(),
        versions_line("numpy", "scipy", "pygambit"),
        "- Exploitability (NashConv / 2) of every answer by `equilibria.metrics.exploitability` on the same tree; "
        "times are the fastest of the repeats, medians over the games of a size.",
        "",
        "### Targets",
        "",
        *table(["target", "measured", "status"], target_rows(report)),
        "",
        "### Random general-sum trees",
        "",
    ]
    body = []
    for s in report.sizes:
        ratio = s.ratio(c.cap_seconds)
        peer = fmt_seconds(s.median("peer")) if s.median("peer") is not None else (
            s.peer_skipped or ("not installed" if not report.peer_available else "no answer"))
        timeouts = sum(g.peer_note == "timeout" for g in s.games)
        notes = sorted({g.peer_note for g in s.games if g.peer_note and g.peer_note != "timeout"})
        if timeouts:
            notes.insert(0, f"pygambit timed out ({c.cap_seconds:g} s) on {timeouts} of {len(s.games)}")
        body.append([
            str(s.target), f"{s.median('nodes'):.0f}", f"{s.median('sequences'):.0f}", f"{s.median('pivots'):.0f}",
            fmt_seconds(s.median("ours")), fmt_seconds(s.median("ours_first")), fmt_seconds(s.median("certificate")),
            fmt_error(s.worst("ours_exploitability")),
            fmt_seconds(s.median("exact")),
            peer, fmt_error(s.worst("peer_exploitability")),
            fmt_ratio(ratio), fmt_ratio(s.ratio(c.cap_seconds, "ours_first")), ", ".join(notes)])
    lines += table(["n (target)", "nodes", "sequences", "pivots", "equilibria", "equilibria first call",
                    "of which certificate", "worst exploitability",
                    "equilibria exact", "pygambit lcp_solve", "pygambit worst exploitability", "pygambit / equilibria",
                    "pygambit / first call", "notes"], body)
    lines += ["", MARKERS[1], ""]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = benchmark_parser(__doc__, "general_sum_trees", "fewer sizes and games, shorter cap")
    parser.add_argument("--games", type=int, help="games per size")
    parser.add_argument("--repeats", type=int, help="runs per call (fastest kept)")
    parser.add_argument("--cap", type=float, help="seconds per pygambit call before it is killed")
    parser.add_argument("--sizes", type=str, help="comma-separated target node counts")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    config = QUICK if args.quick else FULL
    config = replace(config, seed=args.seed)
    if args.games is not None:
        config = replace(config, games=args.games)
    if args.repeats is not None:
        config = replace(config, repeats=args.repeats)
    if args.cap is not None:
        config = replace(config, cap_seconds=args.cap)
    if args.sizes:
        config = replace(config, sizes=tuple(int(s) for s in args.sizes.split(",")))
    publish_section("general_sum_trees.py", argv, lambda command: run_benchmark(config, command, log=log_to_stderr),
                    render, args.write, MARKERS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
