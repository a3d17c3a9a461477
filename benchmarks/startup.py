"""Start-up of the command line: wall time of whole commands, beside ``python -c "import numpy"`` and ``import jax``.

What a user waits for between pressing return and the answer: a fresh process each time (the interpreter, the
imports, parsing, the work, printing), the ``equilibria`` console script of this environment run as a user runs
it. The commands are run round-robin, ``--repeats`` rounds, so a burst of load on the shared machine falls on all
of them alike; each cell is the median over the rounds, and the ratio is that median over the median of
``python -c "import numpy"`` from the same rounds. Targets (issue 16): ``--help`` and ``games`` within 2x of
importing NumPy, a 2x2 solve within 3x. Usage::

    python benchmarks/startup.py [--quick] [--repeats N] [--write BENCHMARKS.md]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the sibling module importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._publish import (  # noqa: E402
    benchmark_parser,
    command_line,
    fmt_seconds,
    machine_line,
    met,
    publish_section,
    table,
    utc_minute,
    versions_line,
)

MARKERS = ("<!-- startup:begin -->", "<!-- startup:end -->")
ROOT = Path(__file__).resolve().parent.parent
CONSOLE_SCRIPT = Path(sys.executable).with_name("equilibria")


@dataclass(frozen=True)
class Command:
    label: str
    argv: tuple[str, ...]
    target: float | None = None  # at most this many times `import numpy`'s median


def commands() -> list[Command]:
    python, equilibria = (sys.executable,), (str(CONSOLE_SCRIPT),)
    return [
        Command('python -c "import numpy"', (*python, "-c", "import numpy")),
        Command('python -c "import jax"', (*python, "-c", "import jax")),
        Command("equilibria --help", (*equilibria, "--help"), target=2.0),
        Command("equilibria games", (*equilibria, "games"), target=2.0),
        Command("equilibria solve battle-of-the-sexes (2x2, Lemke-Howson)",
                (*equilibria, "solve", "battle-of-the-sexes"), target=3.0),
        Command("equilibria solve matching-pennies (2x2 zero-sum, LP)", (*equilibria, "solve", "matching-pennies"),
                target=3.0),
        Command("equilibria solve prisoners-dilemma --all (2x2, vertex enumeration)",
                (*equilibria, "solve", "prisoners-dilemma", "--all"), target=3.0),
        Command("equilibria solve examples/three_player.nfg (3 players, default method)",
                (*equilibria, "solve", "examples/three_player.nfg")),
        Command("equilibria solve leduc-poker -m cfr+ --max-iterations 100",
                (*equilibria, "solve", "leduc-poker", "-m", "cfr+", "--max-iterations", "100")),
        Command("equilibria solve kuhn-poker (sequence-form LP)", (*equilibria, "solve", "kuhn-poker")),
        Command("equilibria solve minimax-lesson (minimax)", (*equilibria, "solve", "minimax-lesson")),
    ]


# The commands run as an installed package runs: with its bytecode cached (pip writes it at install time). A shell
# that sets PYTHONDONTWRITEBYTECODE (as some CI images do) would make every process compile the package's sources
# again: tens of milliseconds that no user pays.
_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def wall_time(argv: tuple[str, ...]) -> float:
    # A blocking wait: subprocess's wait(timeout=...) polls with sleeps of up to 50 ms, which would round every
    # measurement up to the next poll. The timer kills a command that hangs instead.
    start = time.perf_counter()
    process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_ENV)
    killer = threading.Timer(600, process.kill)
    killer.start()
    try:
        code = process.wait()
    finally:
        killer.cancel()
    elapsed = time.perf_counter() - start
    if code != 0:
        raise subprocess.CalledProcessError(code, argv)
    return elapsed


def measure(cases: list[Command], repeats: int) -> dict[str, list[float]]:
    """Wall times of every command, round-robin over ``repeats`` rounds, after one untimed round (it fills the
    operating system's file cache, the bytecode cache and numba's on-disk cache, as any earlier use of the
    installation would)."""
    for case in cases:
        wall_time(case.argv)
    times: dict[str, list[float]] = {case.label: [] for case in cases}
    for round_ in range(repeats):
        for case in cases:
            times[case.label].append(wall_time(case.argv))
        print(f"# round {round_ + 1}/{repeats}", file=sys.stderr, flush=True)
    return times


def render(cases: list[Command], times: dict[str, list[float]], command: str, started: str, seconds: float,
           repeats: int) -> str:
    numpy_median = statistics.median(times[cases[0].label])
    rows, targets = [], []
    for case in cases:
        median = statistics.median(times[case.label])
        ratio = median / numpy_median
        spread = f"{fmt_seconds(min(times[case.label]))} - {fmt_seconds(max(times[case.label]))}"
        goal = f"<= {case.target:g}x" if case.target is not None else ""
        rows.append([f"`{case.label}`", fmt_seconds(median), spread, f"{ratio:.2f}x", goal])
        if case.target is not None:
            targets.append([f"`{case.label}` within {case.target:g}x of importing NumPy", f"{ratio:.2f}x",
                            met(ratio <= case.target)])
    return "\n".join([
        MARKERS[0], "## Start-up of the command line (benchmarks/startup.py)", "",
        command_line(command, f"{repeats} rounds, round-robin", started, seconds), machine_line(),
        versions_line("numpy", "jax"),
        "- Timing: wall clock of a fresh process per command (the `equilibria` console script, as a user runs it), "
        "output discarded, bytecode cached (as installed); one untimed round first; median over the rounds. "
        'Ratio: the command\'s median over `python -c "import numpy"`\'s from the same rounds.', "",
        "### Targets", "", *table(["target", "measured", "status"], targets), "",
        "### Commands", "", *table(["command", "median", "range", "/ import numpy", "target"], rows), "",
        MARKERS[1], ""])


def _positive_int(text: str) -> int:
    value = int(text) if text.isdigit() else 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def main(argv: list[str] | None = None) -> None:
    parser = benchmark_parser(__doc__, "startup", "3 rounds")
    parser.add_argument("--repeats", type=_positive_int, default=10, help="rounds (default 10)")
    args = parser.parse_args(argv)
    publish_section("startup.py", argv, lambda command: run_benchmark(args, command), lambda section: section,
                    args.write, MARKERS)


def run_benchmark(args: argparse.Namespace, command: str) -> str:
    repeats = 3 if args.quick else args.repeats
    cases = commands()
    started, clock = utc_minute(), time.perf_counter()
    times = measure(cases, repeats)
    return render(cases, times, command, started, time.perf_counter() - clock, repeats)


if __name__ == "__main__":
    main()
