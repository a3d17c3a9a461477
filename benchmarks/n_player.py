"""Side-by-side benchmark: one Nash equilibrium of n-player games, equilibria against pygambit.

Games: random games with payoffs drawn i.i.d. uniform on [0, 1) (``np.random.default_rng``), 3 players with 2, 3,
4, 5, 6 and 8 actions each, 4 players with 2, 3 and 4, 5 players with 2; at every size ``--games`` games *without*
a pure equilibrium and as many *with* one (drawn from one seeded stream and sorted by ``pure_nash``).

Methods: equilibria's ``simplicial_subdivision_solve`` and ``qre_solve``; pygambit's ``gnm_solve``,
``simpdiv_solve`` (from the profile of first strategies, Gambit's default; exact rational arithmetic, pygambit has
no float mode for it), ``ipa_solve`` and ``logit_solve`` (float), all on one pygambit ``Game`` built with
``Game.from_arrays`` from the same payoffs, outside the timer. Every answer (the first profile a method returns)
is judged by ONE checker, :func:`equilibria.metrics.regret.max_regret`: *certified* means max regret <= 1e-9
(payoffs are in [0, 1)). Gambit's own stopping rules are looser (``ipa`` and ``logit`` stop near 1e-7 to 1e-8),
so its answers are often approximate equilibria only, and the table says so.

Timing (the same rules as ``benchmarks/normal_form.py``): only the solve call is timed; each call is repeated up to
``--repeats`` times (more for calls under 1 ms, as timeit's autorange) and the fastest run kept; the table shows the
median over the games of a size and kind. equilibria gets one untimed warm-up call per size (numba loads its
compiled code from the on-disk cache on the first call of a process; that *cold* cost, and the cost of compiling
from scratch, are measured separately in fresh processes and printed under the table). pygambit runs in a forked
child that is killed at ``--cap`` seconds (its compiled code cannot be interrupted otherwise); a method that times
out on most games of a size is skipped at the larger sizes with as many players. ``OPENBLAS_NUM_THREADS`` is set
to 1 unless given (the machine is shared; medians over several games absorb most of its noise).

Usage::

    python benchmarks/n_player.py [--quick] [--games G] [--repeats R] [--cap S] [--seed S] [--write BENCHMARKS.md]
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy loads OpenBLAS

import math  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

if __package__ in (None, ""):  # run as a script: make the sibling module importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._harness import distribution_version, library_available, measure, measure_in_child  # noqa: E402
from benchmarks._publish import benchmark_parser, write_section  # noqa: E402
from equilibria.games.generators import random_game  # noqa: E402
from equilibria.games.normal_form import NormalFormGame  # noqa: E402
from equilibria.metrics.regret import max_regret  # noqa: E402

MARKERS = ("<!-- n_player:begin -->", "<!-- n_player:end -->")
CERTIFIED = 1e-9  # max regret of a certified answer (payoffs in [0, 1))
OURS = ("simplicial_subdivision", "qre")
PEERS = ("gnm", "simpdiv", "ipa", "logit")
KINDS = ("no pure", "pure")


@dataclass(frozen=True)
class Config:
    """What to run: ``sizes`` as (players, actions each); ``games`` per size and kind."""

    seed: int = 0
    games: int = 5
    repeats: int = 3
    cap_seconds: float = 5.0
    own_cap_seconds: float = 60.0
    sizes: tuple[tuple[int, int], ...] = ((3, 2), (3, 3), (3, 4), (3, 5), (3, 6), (3, 8), (4, 2), (4, 3), (4, 4),
                                          (5, 2))
    methods: tuple[str, ...] = OURS + PEERS
    cold: bool = True  # also time the first call in fresh processes (compiling from scratch takes ~20 s)
    label: str = "full"


FULL = Config()
QUICK = Config(games=3, repeats=1, cap_seconds=2.0, label="quick")
TINY = Config(games=1, repeats=1, cap_seconds=2.0, sizes=((3, 2), (3, 3), (4, 2)), methods=OURS, cold=False,
              label="tiny")


# ------------------------------------------------------------------------------------------------------------
# Games and calls
# ------------------------------------------------------------------------------------------------------------


def draw_games(players: int, actions: int, count: int, seed: int) -> dict[str, list[NormalFormGame]]:
    """``count`` random games without a pure equilibrium and ``count`` with one, from one seeded stream."""
    rng = np.random.default_rng([seed, players, actions])
    found: dict[str, list[NormalFormGame]] = {kind: [] for kind in KINDS}
    for _ in range(100 * count):
        game = random_game((actions,) * players, seed=rng)
        kind = "pure" if game.pure_nash() else "no pure"
        if len(found[kind]) < count:
            found[kind].append(game)
        if all(len(games) == count for games in found.values()):
            break
    return found


def our_call(method: str, game: NormalFormGame, cap: float) -> Callable[[], Any]:
    if method == "simplicial_subdivision":
        from equilibria.solvers.simplicial_subdivision import simplicial_subdivision_solve
        return lambda: simplicial_subdivision_solve(game, max_seconds=cap)
    from equilibria.solvers.qre import qre_solve
    return lambda: qre_solve(game, max_seconds=cap)


def peer_call(method: str, gambit_game: Any) -> Callable[[], Any]:
    import pygambit as gbt

    if method == "gnm":
        return lambda: gbt.nash.gnm_solve(gambit_game)
    if method == "ipa":
        return lambda: gbt.nash.ipa_solve(gambit_game)
    if method == "logit":
        return lambda: gbt.nash.logit_solve(gambit_game)

    def simpdiv() -> Any:  # the start is part of the call, as in Gambit's own default
        start = gambit_game.mixed_strategy_profile(rational=True)
        for player in gambit_game.players:
            for number, strategy in enumerate(player.strategies):
                start[strategy] = gbt.Rational(1 if number == 0 else 0)
        return gbt.nash.simpdiv_solve(start)
    return simpdiv


def gambit_profiles(gambit_game: Any, result: Any) -> list[list[np.ndarray]]:
    players = list(gambit_game.players)
    return [[np.array([float(eq[s]) for s in p.strategies]) for p in players] for eq in result.equilibria]


def regret_of(game: NormalFormGame, profile: Sequence[np.ndarray] | None) -> float:
    if profile is None:
        return math.inf
    try:
        return float(max_regret(game, profile))
    except Exception:  # noqa: BLE001 - not a mixed profile at all
        return math.inf


# ------------------------------------------------------------------------------------------------------------
# Running
# ------------------------------------------------------------------------------------------------------------


@dataclass
class Cell:
    """One method on the games of one size and kind: fastest time per game (None: no answer) and max regret."""

    seconds: list[float | None] = field(default_factory=list)
    regrets: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: bool = False

    @property
    def median(self) -> float:
        """Median time, a game without an answer counted as infinitely slow (inf when most have none)."""
        if self.skipped or not self.seconds:
            return math.inf
        return float(statistics.median(math.inf if s is None else s for s in self.seconds))

    @property
    def certified(self) -> int:
        return sum(r <= CERTIFIED for r in self.regrets)


@dataclass
class Row:
    players: int
    actions: int
    kind: str
    games: int
    cells: dict[str, Cell]

    def fastest_peer(self) -> tuple[str, float] | None:
        timed = [(self.cells[m].median, m) for m in PEERS if m in self.cells and math.isfinite(self.cells[m].median)]
        if not timed:
            return None
        seconds, method = min(timed)
        return method, seconds


@dataclass
class Report:
    config: Config
    rows: list[Row]
    cold: dict[str, float]
    versions: dict[str, str]
    command: str


def run_benchmark(config: Config, command: str, log: Callable[[str], None] = lambda _: None) -> Report:
    methods = [m for m in config.methods if m in OURS or library_available("pygambit")]
    rows: list[Row] = []
    skip: set[tuple[int, str]] = set()  # (players, method) skipped at larger sizes
    for players, actions in config.sizes:
        games = draw_games(players, actions, config.games, config.seed)
        for method in (m for m in methods if m in OURS):  # warm-up: load the compiled code, outside the timer
            our_call(method, games["no pure"][0] if games["no pure"] else games["pure"][0], config.own_cap_seconds)()
        timeouts: dict[str, int] = {m: 0 for m in methods}
        for kind in KINDS:
            cells = {m: Cell(skipped=(players, m) in skip) for m in methods}
            for game in games[kind]:
                gambit_game = None
                if any(m in PEERS for m in methods):
                    import pygambit as gbt
                    gambit_game = gbt.Game.from_arrays(*game.payoffs)
                for method, cell in cells.items():
                    if cell.skipped:
                        continue
                    if method in OURS:
                        outcome = measure(our_call(method, game, config.own_cap_seconds), config.repeats,
                                          config.own_cap_seconds)
                        profile = outcome.profiles.equilibria[0] if outcome.error is None else None
                    else:
                        def convert(result: Any, gambit_game: Any = gambit_game) -> Any:
                            return gambit_profiles(gambit_game, result)
                        outcome = measure_in_child(peer_call(method, gambit_game), config.repeats,
                                                   config.cap_seconds, convert)
                        profile = outcome.profiles[0] if outcome.error is None and outcome.profiles else None
                    cell.seconds.append(outcome.seconds if profile is not None else None)
                    cell.regrets.append(regret_of(game, profile))
                    if outcome.error is not None:
                        cell.errors.append(outcome.error)
                        timeouts[method] += outcome.timed_out
            row = Row(players, actions, kind, len(games[kind]), cells)
            rows.append(row)
            log(render_row(row))
        for method, count in timeouts.items():
            if method in PEERS and count > config.games:  # most of this size's games: skip the larger ones
                skip.add((players, method))
    return Report(config, rows, measure_cold() if config.cold else {}, versions(), command)


def measure_cold() -> dict[str, float]:
    """First-call seconds of simplicial_subdivision_solve in fresh processes: compiling from scratch (an empty
    numba cache directory), then loading that cache; and the import of the module."""
    script = ("import time; t = time.perf_counter();"
              "from equilibria.solvers.simplicial_subdivision import simplicial_subdivision_solve as s;"
              "from equilibria.games.generators import random_game; g = random_game((3, 3, 3), seed=1);"
              "u = time.perf_counter(); s(g); v = time.perf_counter(); s(g); w = time.perf_counter();"
              "print(u - t, v - u, w - v)")
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for label in ("compile", "cached"):
            try:
                done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                                      timeout=600, check=True)
            except (subprocess.SubprocessError, OSError):
                continue
            first_import, first, second = (float(x) for x in done.stdout.split())
            out[f"{label}: import"], out[f"{label}: first call"], out[f"{label}: second call"] = (
                first_import, first, second)
    return out


def versions() -> dict[str, str]:
    return {"python": platform.python_version(), "numpy": np.__version__,
            "numba": distribution_version("numba"), "pygambit": distribution_version("pygambit"),
            "equilibria": distribution_version("equilibria")}


# ------------------------------------------------------------------------------------------------------------
# Rendering
# ------------------------------------------------------------------------------------------------------------


def fmt_seconds(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    if seconds < 1.0:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds:.3g} s"


def render_cell(cell: Cell) -> str:
    if cell.skipped:
        return "skipped"
    if not cell.seconds:
        return "-"
    text = f"{fmt_seconds(cell.median)} ({cell.certified}/{len(cell.regrets)})"
    failed = sum(s is None for s in cell.seconds)
    return text + (f", {failed} failed" if failed else "")


def render_ratio(row: Row) -> str:
    ours = row.cells.get("simplicial_subdivision")
    peer = row.fastest_peer()
    if ours is None or peer is None or not math.isfinite(ours.median):
        return "-"
    method, seconds = peer
    return f"{method} {seconds / ours.median:.3g}x"


def header(methods: Sequence[str]) -> str:
    names = " | ".join(methods)
    return (f"| players x actions | pure eq. | games | {names} | fastest pygambit / ours |\n"
            "|" + " --- |" * (4 + len(methods)))


def render_row(row: Row) -> str:
    cells = " | ".join(render_cell(row.cells[m]) for m in row.cells)
    return f"| {row.players} x {row.actions} | {row.kind} | {row.games} | {cells} | {render_ratio(row)} |"


def target(rows: Sequence[Row]) -> tuple[bool, list[str]]:
    """The acceptance target: at every size and kind, simplicial_subdivision's median is no slower than the
    fastest pygambit method's, and every one of its answers is certified."""
    misses = []
    for row in rows:
        ours = row.cells.get("simplicial_subdivision")
        peer = row.fastest_peer()
        if ours is None:
            continue
        if ours.certified < len(ours.regrets):
            misses.append(f"{row.players}x{row.actions} {row.kind}: {len(ours.regrets) - ours.certified} uncertified")
        if peer is not None and ours.median > peer[1]:
            misses.append(f"{row.players}x{row.actions} {row.kind}: {fmt_seconds(ours.median)} vs {peer[0]} "
                          f"{fmt_seconds(peer[1])}")
    return not misses, misses


def render(report: Report) -> str:
    methods = list(report.rows[0].cells) if report.rows else list(report.config.methods)
    held, misses = target(report.rows)
    lines = [MARKERS[0], "## One Nash equilibrium of n-player games (benchmarks/n_player.py)", "",
             f"Command: `{report.command}` ({report.config.label} run, seed {report.config.seed}, "
             f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}).",
             "Versions: " + ", ".join(f"{k} {v}" for k, v in report.versions.items()) + ".", "",
             "Random games, payoffs uniform on [0, 1). Cells: median over the games of the fastest of "
             f"{report.config.repeats} run(s), then (answers with max regret <= {CERTIFIED:g} / games), by "
             "equilibria's checker. pygambit's simpdiv is exact (rational); gnm's answer is the first of those it "
             f"returns. pygambit calls are killed at {report.config.cap_seconds:g} s (counted as failed).", "",
             header(methods)]
    lines += [render_row(row) for row in report.rows]
    lines += ["", f"Target (simplicial_subdivision no slower than the fastest pygambit method at every size and "
                  f"kind, every answer certified): {'holds' if held else 'missed'}"
              + ("" if held else " - " + "; ".join(misses)) + "."]
    if report.cold:
        lines += ["", "Cold start of simplicial_subdivision_solve (fresh processes, a 3x3x3 game): "
                  + ", ".join(f"{k} {fmt_seconds(v)}" for k, v in report.cold.items()) + "."]
    lines.append(MARKERS[1])
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    parser = benchmark_parser(__doc__, "n_player", "3 games per size and kind, one repeat")
    parser.add_argument("--games", type=int, help="games per size and kind")
    parser.add_argument("--repeats", type=int, help="timed runs per call (the fastest is kept)")
    parser.add_argument("--cap", type=float, help="seconds after which a pygambit call is killed")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    config = QUICK if args.quick else FULL
    changes: dict[str, Any] = {"seed": args.seed}
    for name, value in (("games", args.games), ("repeats", args.repeats), ("cap_seconds", args.cap)):
        if value is not None:
            changes[name] = value
    config = Config(**{**config.__dict__, **changes})
    command = "python benchmarks/n_player.py " + " ".join(sys.argv[1:] if argv is None else argv)
    print(header([m for m in config.methods if m in OURS or library_available("pygambit")]), flush=True)
    report = run_benchmark(config, command.strip(), log=lambda line: print(line, flush=True))
    text = render(report)
    print()
    print(text)
    if args.write is not None:
        write_section(args.write, text, MARKERS)


if __name__ == "__main__":
    main()
