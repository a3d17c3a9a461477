"""All equilibria of small n-player games: equilibria's ``polynomial_enumeration`` beside pygambit's ``enumpoly``.

Both enumerate support profiles and solve each support's polynomial system; pygambit's ``enumpoly_solve``
(C++, floating point, ``use_strategic=True``) against ours (exact rational algebra in Python with sympy). Games:
the Gambit example files with three or more players (from ``tests/data/gambit`` when present), and seeded
random games with integer payoffs in ``[-9, 9]`` of shapes 2x2x2, 3x3x3 and 2x2x2x2 (plus one 3x3x3 game with
standard normal float payoffs, the costly case for exact algebra: 17-digit rationals).

Every answer is judged by one checker, :func:`equilibria.metrics.regret.max_regret` (an equilibrium counts
when its max regret is <= 1e-6 times the payoff range). Per game: seconds of each solve call (ours in this
process after a warm-up call; pygambit's in a child process, timed inside it around the call alone, the child
killed at ``--cap``), how many equilibria each found, how many of pygambit's ours contains and how many
certified equilibria ours has that pygambit's list lacks, and whether ours is ``complete``. Random classes are
summarised by medians; the ratio is pygambit seconds / ours (below 1: ours is slower). Usage::

    python benchmarks/n_player_enumeration.py [--quick] [--seed S] [--cap SECONDS] [--games N] [--write BENCHMARKS.md]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make the sibling module importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._publish import benchmark_parser, publish_section  # noqa: E402
from equilibria.games.io import dumps_nfg, read_nfg  # noqa: E402
from equilibria.games.normal_form import NormalFormGame  # noqa: E402
from equilibria.metrics.regret import max_regret  # noqa: E402
from equilibria.solvers.polynomial_enumeration import polynomial_enumeration_solve  # noqa: E402

MARKERS = ("<!-- n_player_enumeration:begin -->", "<!-- n_player_enumeration:end -->")

GAMBIT_DIR = Path(__file__).resolve().parents[1] / "tests" / "data" / "gambit"
GAMBIT_FILES = ("contrib/games/2x2x2.nfg", "catalog/journals/ijgt/nau2004/sec4.nfg", "contrib/games/g1.nfg",
                "contrib/games/g2.nfg", "contrib/games/g3.nfg", "contrib/games/2x2x2x2.nfg",
                "contrib/games/3x3x3.nfg", "contrib/games/8x2x2.nfg", "contrib/games/coord333.nfg",
                "contrib/games/5x4x3.nfg", "contrib/games/2x2x2x2x2.nfg")
# The child that runs pygambit: reads an .nfg on stdin, prints the seconds of the call and the equilibria.
GAMBIT_CHILD = """
import io, json, sys, time
import pygambit as gbt
game = gbt.read_nfg(io.StringIO(sys.stdin.read()))
start = time.perf_counter()
result = gbt.nash.enumpoly_solve(game, use_strategic=True)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "equilibria": [[[float(eq[s]) for s in p.strategies] for p in game.players]
                                                      for eq in result.equilibria]}))
"""


@dataclass
class Row:
    game: str
    ours_seconds: float
    ours_found: int
    complete: bool | None
    gambit_seconds: float | None  # None: failed or timed out
    gambit_found: int | None
    common: int | None  # pygambit's equilibria that ours contains
    only_ours: int | None  # certified equilibria of ours missing from pygambit's list
    note: str = ""


def gambit_available() -> bool:
    try:
        import pygambit  # noqa: F401
    except ImportError:
        return False
    return True


def run_gambit(game: NormalFormGame, cap: float) -> tuple[float, list[list[np.ndarray]]] | str:
    """pygambit's enumpoly on ``game`` in a child process: (seconds, equilibria), or why not."""
    try:
        done = subprocess.run([sys.executable, "-c", GAMBIT_CHILD], input=dumps_nfg(game), capture_output=True,
                              text=True, timeout=cap + 10)
    except subprocess.TimeoutExpired:
        return f"timed out (> {cap:g} s)"
    if done.returncode != 0:
        return f"crashed (exit {done.returncode})"
    answer = json.loads(done.stdout)
    return answer["seconds"], [[np.asarray(s) for s in eq] for eq in answer["equilibria"]]


def is_equilibrium(game: NormalFormGame, profile: list[np.ndarray]) -> bool:
    scale = max(1.0, float(np.ptp(game.payoffs)))
    return float(max_regret(game, profile)) <= 1e-6 * scale


def same(p: list[np.ndarray] | tuple[np.ndarray, ...], q: list[np.ndarray] | tuple[np.ndarray, ...]) -> bool:
    return max(float(np.max(np.abs(np.asarray(a, float) - np.asarray(b, float)))) for a, b in zip(p, q, strict=True)
               ) <= 1e-5


def compare(name: str, game: NormalFormGame, cap: float, with_gambit: bool) -> Row:
    start = time.perf_counter()
    ours = polynomial_enumeration_solve(game, max_seconds=cap)
    seconds = time.perf_counter() - start
    assert all(is_equilibrium(game, list(p)) for p in ours.equilibria), name
    row = Row(name, seconds, len(ours), ours.complete, None, None, None, None,
              "" if ours.converged else f"ours stopped at {cap:g} s")
    if not with_gambit:
        return row
    answer = run_gambit(game, cap)
    if isinstance(answer, str):
        row.note = "; ".join(filter(None, [row.note, f"pygambit {answer}"]))
        return row
    row.gambit_seconds, theirs = answer
    valid = [p for p in theirs if is_equilibrium(game, p)]
    row.gambit_found = len(valid)
    row.common = sum(any(same(p, q) for q in ours.equilibria) for p in valid)
    row.only_ours = sum(not any(same(p, q) for q in valid) for p in ours.equilibria)
    if len(valid) < len(theirs):
        row.note = "; ".join(filter(None, [row.note, f"{len(theirs) - len(valid)} pygambit answers not equilibria"]))
    return row


def random_games(seed: int, count: int, shape: tuple[int, ...], integer: bool = True
                 ) -> list[tuple[str, NormalFormGame]]:
    rng = np.random.default_rng([seed, *shape])
    games = []
    for k in range(count):
        payoffs = (rng.integers(-9, 10, size=(len(shape), *shape)).astype(float) if integer
                   else rng.normal(size=(len(shape), *shape)))
        games.append((f"random {'x'.join(map(str, shape))} #{k}", NormalFormGame(payoffs)))
    return games


def fmt(x: float | None, digits: int = 3) -> str:
    return "-" if x is None else f"{x:.{digits}g}"


def render(rows: list[Row], classes: dict[str, list[Row]], with_gambit: bool) -> str:
    lines = ["| game | ours s | pygambit s | pygambit / ours | ours eq. | pygambit eq. | pygambit's in ours |"
             " only ours | complete | notes |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
    for r in rows:
        ratio = None if r.gambit_seconds is None else r.gambit_seconds / r.ours_seconds
        lines.append(f"| {r.game} | {fmt(r.ours_seconds)} | {fmt(r.gambit_seconds)} | {fmt(ratio, 2)} | "
                     f"{r.ours_found} | {fmt(r.gambit_found)} | {fmt(r.common)} | {fmt(r.only_ours)} | "
                     f"{r.complete} | {r.note} |")
    for name, members in classes.items():
        ours = statistics.median(r.ours_seconds for r in members)
        timed = [r for r in members if r.gambit_seconds is not None]
        theirs = statistics.median(r.gambit_seconds for r in timed) if timed else None  # type: ignore[misc]
        ratios = [r.gambit_seconds / r.ours_seconds for r in timed]  # type: ignore[operator]
        found = sum(r.ours_found for r in members)
        gambit_found = sum(r.gambit_found or 0 for r in timed)
        common = sum(r.common or 0 for r in timed)
        only = sum(r.only_ours or 0 for r in timed)
        complete = sum(bool(r.complete) for r in members)
        lines.append(f"| **{name}** ({len(members)} games, medians) | {fmt(ours)} | {fmt(theirs)} | "
                     f"{fmt(statistics.median(ratios) if ratios else None, 2)} | {found} (total) | "
                     f"{gambit_found if with_gambit else '-'} | {common if with_gambit else '-'} | "
                     f"{only if with_gambit else '-'} | {complete}/{len(members)} | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = benchmark_parser(__doc__, "n_player_enumeration", "fewer and smaller games")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cap", type=float, default=120.0, help="seconds per solve, each library")
    parser.add_argument("--games", type=int, default=5, help="random games per shape")
    args = parser.parse_args(argv)
    publish_section("n_player_enumeration.py", argv, lambda command: run_benchmark(args, command),
                    lambda report: report, args.write, MARKERS)


def run_benchmark(args: argparse.Namespace, command: str) -> str:
    """Run the comparison and return its BENCHMARKS.md section (the rendered table under a header)."""
    with_gambit = gambit_available()
    polynomial_enumeration_solve(NormalFormGame(np.ones((3, 2, 2, 2))))  # warm-up: imports sympy
    count = 2 if args.quick else args.games
    shapes = [(2, 2, 2), (2, 2, 2, 2)] + ([] if args.quick else [(3, 3, 3)])
    rows: list[Row] = []
    classes: dict[str, list[Row]] = {}
    for shape in shapes:
        label = f"random {'x'.join(map(str, shape))}"
        for name, game in random_games(args.seed, count, shape):
            row = compare(name, game, args.cap, with_gambit)
            print(f"# {row}", file=sys.stderr, flush=True)
            classes.setdefault(label, []).append(row)
    if not args.quick:
        for name, game in random_games(args.seed, 1, (3, 3, 3), integer=False):
            rows.append(compare(name + " (normal floats)", game, args.cap, with_gambit))
            print(f"# {rows[-1]}", file=sys.stderr, flush=True)
    files = GAMBIT_FILES[:4] if args.quick else GAMBIT_FILES
    for path in files:
        if (GAMBIT_DIR / path).exists():
            rows.append(compare(path, read_nfg(GAMBIT_DIR / path), args.cap, with_gambit))
            print(f"# {rows[-1]}", file=sys.stderr, flush=True)
    return "\n".join([
        MARKERS[0], "## All equilibria of n-player games (benchmarks/n_player_enumeration.py)", "",
        f"Command: `{command}`.", "",
        f"pygambit: {'enumpoly_solve(use_strategic=True)' if with_gambit else 'not installed (skipped)'}; cap "
        f"{args.cap:g} s per solve, each library; seed {args.seed}. Seconds: one run each. Equilibria are matched "
        "within 1e-6; every profile either library returns is judged by equilibria's max regret.", "",
        render(rows, classes, with_gambit), "", MARKERS[1], ""])


if __name__ == "__main__":
    main()
