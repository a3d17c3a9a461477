"""Speed of the Calvano et al. (2020) Q-learning sessions: the compiled kernel beside two plain loops, in one run.

1. **equilibria's kernel** (:func:`equilibria.applications.pricing.run_sessions`): the paper's baseline (2 firms,
   15 prices, ``alpha = 0.15``, ``beta = 4e-6``, ``delta = 0.95``), ``sessions`` sessions to convergence (greedy
   strategies stable for 100,000 periods), ``prange`` over sessions on every core numba is allowed to use.
2. **plain reference loop** (:func:`equilibria.applications.pricing.reference_sessions`): a straightforward numba loop,
   a full ``argmax`` over the row every period, one thread, on the first ``reference_sessions`` sessions. It runs the
   same random streams, so its sessions must come out identical to the kernel's (checked); its time per period is
   extrapolated to the kernel's total number of periods.
3. **plain Python** (:func:`equilibria.applications.pricing.python_sessions`): the same algorithm in Python with NumPy
   Q tables, timed on ``python_steps`` periods of one session (microseconds per period).

The kernel is compiled by one untimed call first (numba caches the machine code on disk); then the median of
``repeats`` timed runs is reported. Usage::

    python benchmarks/pricing.py [--quick] [--write BENCHMARKS.md] [--repeats R]
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numba
import numpy as np

if __package__ in (None, ""):  # run as a script: make the sibling module importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._publish import (  # noqa: E402
    benchmark_parser,
    command_line,
    cpu_name,
    fmt_seconds,
    load_average,
    log_to_stderr,
    met,
    publish_section,
    table,
    thread_settings,
    utc_minute,
    versions_line,
)
from equilibria.applications.pricing import (  # noqa: E402
    LearningParameters,
    Sessions,
    pricing_market,
    python_sessions,
    reference_sessions,
    run_sessions,
    session_profit_gains,
)

MARKERS = ("<!-- pricing:begin -->", "<!-- pricing:end -->")
TARGET_SECONDS = 60.0  # 1,000 baseline sessions to convergence on 2 cores
STRAIGHTFORWARD_SECONDS = 116.0  # the figure for a straightforward compiled loop
PUBLIC_PYTHON_US_PER_STEP = 32.0  # the figure for the public Python replication


@dataclass(frozen=True)
class Config:
    sessions: int = 1000
    reference_sessions: int = 20
    python_steps: int = 20_000
    repeats: int = 3
    seed: int = 0
    beta: float = 4e-6
    convergence_window: int = 100_000
    label: str = "full"

    def parameters(self, max_periods: int = 1_000_000_000) -> LearningParameters:
        return LearningParameters(beta=self.beta, convergence_window=self.convergence_window, max_periods=max_periods)


FULL = Config()
QUICK = Config(sessions=200, reference_sessions=5, python_steps=5_000, repeats=1, label="quick")
TINY = Config(sessions=4, reference_sessions=2, python_steps=300, repeats=1, beta=2e-4, convergence_window=1_000,
              label="tiny")


@dataclass(frozen=True)
class Row:
    implementation: str
    sessions: int
    periods: int
    seconds: float  # measured
    note: str = ""

    @property
    def ns_per_period(self) -> float:
        return self.seconds / self.periods * 1e9


@dataclass
class Report:
    config: Config
    command: str
    started: str
    seconds: float
    threads: int
    load_before: str
    kernel: Row
    kernel_runs: list[float]
    compile_seconds: float
    reference: Row
    identical: bool
    python: Row
    delta_mean: float
    converged: int
    periods_mean: float

    @property
    def reference_extrapolated(self) -> float:
        """Seconds the plain reference loop would take for the kernel's sessions."""
        return self.reference.seconds / self.reference.periods * self.kernel.periods

    @property
    def python_extrapolated(self) -> float:
        return self.python.seconds / self.python.periods * self.kernel.periods


def same_sessions(a: Sessions, b: Sessions) -> bool:
    return all(np.array_equal(getattr(a, f), getattr(b, f)) for f in ("converged", "periods", "greedy",
                                                                       "final_state"))


def run_benchmark(config: Config, command: str, log: Callable[[str], None] = lambda _: None) -> Report:
    started = utc_minute()
    clock = time.perf_counter()
    load_before = load_average()
    market = pricing_market()
    parameters = config.parameters()
    log("kernel: compile")
    first = time.perf_counter()
    run_sessions(market, config.parameters(max_periods=1_000), sessions=2, seed=config.seed)
    compile_seconds = time.perf_counter() - first
    runs, result = [], None
    for repeat in range(config.repeats):
        log(f"kernel: {config.sessions} sessions, run {repeat + 1} of {config.repeats}")
        result = run_sessions(market, parameters, sessions=config.sessions, seed=config.seed)
        runs.append(result.seconds)
    assert result is not None
    periods = int(result.periods.sum())
    kernel = Row(f"equilibria run_sessions (numba prange, {numba.get_num_threads()} threads)", config.sessions,
                 periods, statistics.median(runs))
    log(f"reference: {config.reference_sessions} sessions")
    reference_sessions(market, config.parameters(max_periods=1_000), sessions=1, seed=config.seed)  # compile
    plain = reference_sessions(market, parameters, sessions=config.reference_sessions, seed=config.seed)
    identical = same_sessions(plain, Sessions(market, parameters, config.seed, 0,
                                              *(getattr(result, f)[:config.reference_sessions]
                                                for f in ("converged", "periods", "greedy", "final_state"))))
    reference = Row("plain reference loop (numba, full argmax every period, 1 thread)", config.reference_sessions,
                    int(plain.periods.sum()), plain.seconds,
                    note=f"first {config.reference_sessions} sessions, extrapolated per period")
    log(f"python: {config.python_steps} periods")
    python_runs = []
    for _ in range(max(1, config.repeats)):
        py = python_sessions(market, replace(config, convergence_window=10**9).parameters(config.python_steps),
                             sessions=1, seed=config.seed)
        python_runs.append(py.seconds)
    python = Row("plain Python (NumPy Q tables)", 1, config.python_steps, statistics.median(python_runs),
                 note=f"{config.python_steps} periods of session 0, extrapolated per period")
    gains = session_profit_gains(result)
    return Report(config, command, started, time.perf_counter() - clock,
                  numba.get_num_threads(), load_before, kernel, runs, compile_seconds, reference, identical, python,
                  float(gains.mean()), int(result.converged.sum()), float(result.periods.mean()))


def targets(report: Report) -> list[list[str]]:
    c, k = report.config, report.kernel
    rows = []
    if c.sessions == 1000 and c.beta == 4e-6:
        rows.append([f"1,000 baseline sessions to convergence in < {TARGET_SECONDS:.0f} s on 2 cores",
                     f"{k.seconds:.1f} s (median of {len(report.kernel_runs)}) on {report.threads} threads",
                     met(k.seconds < TARGET_SECONDS)])
    rows.append(["faster than the plain reference loop (same sessions, same results)",
                 f"{report.reference_extrapolated / k.seconds:.1f}x ({fmt_seconds(report.reference_extrapolated)} "
                 f"extrapolated); results identical: {'yes' if report.identical else 'NO'}",
                 met(report.identical and report.reference_extrapolated > k.seconds)])
    return rows


def render(report: Report) -> str:
    c, k = report.config, report.kernel
    lines = [
        MARKERS[0],
        "## Algorithmic pricing: Q-learning sessions to convergence (Calvano et al. 2020)",
        "",
        command_line(report.command, f"{c.label} configuration, seed {c.seed}, repeats {c.repeats}", report.started,
                     report.seconds),
        f"- Machine: {cpu_name()}, {os.cpu_count()} cores (shared with other jobs); load average at the start "
        f"{report.load_before}, at the end {load_average()}; numba threads {report.threads} (threading layer "
        f"{numba.threading_layer()}); thread settings: {' '.join(thread_settings()) or 'library defaults'}",
        versions_line("numba", "numpy"),
        f"- Workload: the paper's baseline (2 firms, 15 prices, alpha 0.15, beta {c.beta:g}, delta 0.95, convergence "
        f"after {c.convergence_window:,} stable periods), {c.sessions} sessions: {k.periods:,} periods in all "
        f"(mean {report.periods_mean:,.0f} per session), {report.converged} converged, mean profit gain "
        f"{report.delta_mean:.3f}.",
        f"- Timing: one untimed compile call first ({fmt_seconds(report.compile_seconds)}, from numba's disk cache "
        f"when warm); the kernel's time is the median of {len(report.kernel_runs)} runs "
        f"({', '.join(f'{s:.1f} s' for s in report.kernel_runs)}). The two plain loops run a subset and are "
        "extrapolated by their time per period to the kernel's total periods.",
        "",
        "### Targets",
        "",
        *table(["target", "measured", "status"], targets(report)),
        "",
        "### Side by side",
        "",
    ]
    body = []
    for row, total in ((k, k.seconds), (report.reference, report.reference_extrapolated),
                       (report.python, report.python_extrapolated)):
        body.append([row.implementation, f"{row.sessions} sessions, {row.periods:,} periods", fmt_seconds(row.seconds),
                     f"{row.ns_per_period:.1f} ns", fmt_seconds(total), f"{total / k.seconds:.1f}x", row.note])
    lines += table(["implementation", "measured on", "measured time", "per period", f"{c.sessions} sessions",
                    "vs kernel", "notes"], body)
    lines += ["", f"For scale, the issue quotes about {STRAIGHTFORWARD_SECONDS:.0f} s for a straightforward compiled "
              f"loop and about {PUBLIC_PYTHON_US_PER_STEP:.0f} µs per period for the public Python replication "
              f"(this run's plain Python: {report.python.ns_per_period / 1e3:.1f} µs per period).", "", MARKERS[1], ""]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = benchmark_parser(__doc__, "pricing", "200 sessions, one repeat")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args(argv)
    config = QUICK if args.quick else FULL
    if args.repeats is not None:
        config = replace(config, repeats=args.repeats)
    publish_section("pricing.py", argv, lambda command: run_benchmark(config, command, log=log_to_stderr),
                    render, args.write, MARKERS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
