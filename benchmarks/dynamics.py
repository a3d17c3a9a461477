"""Throughput of equilibria's learning dynamics: batched game-steps per second, side by side with baselines.

1. **Batched bilinear games.** ``B`` games ``min_x max_y sigma_b x y`` (``sigma_b`` uniform in [0.5, 1.5]), each
   from its own start, run ``T`` steps of simultaneous GDA, optimistic GDA and extragradient through the public
   runner (``jax.vmap`` over stacked games and starts of :func:`equilibria.dynamics.run.run`, compiled once by
   ``jax.jit``). Throughput = ``B * T / seconds``. Baselines in the same run: a plain Python loop (one game at a
   time, float arithmetic) and the same update vectorised over the batch in NumPy.
2. **Regret matching on a 50 x 50 game**, ``10^4`` iterations, called the way a user calls it: equilibria's
   ``regret_matching`` through the public runner, in a function compiled once by ``jax.jit`` that takes the game
   (its payoff tensor) as an argument (:func:`rm_solver`); it is compiled on one random game and timed on another
   of the same shape, and the timed calls must neither trace nor compile (counted through ``jax.monitoring``).
   Against OpenSpiel's ``open_spiel.python.algorithms.regret_matching.regret_matching`` (pure Python and NumPy)
   on the same game; both answers judged by one checker, the NashConv of the average strategies
   (:func:`equilibria.metrics.regret.nash_conv`). A second equilibria row bakes the payoffs into the compiled
   function as constants (how this part measured before issue 16), for comparison only: a user's payoffs are data.

Timing: the compiled function is called once untimed (compilation is reported separately), then timed
``repeats`` times; medians are reported. Usage::

    python benchmarks/dynamics.py [--quick] [--write BENCHMARKS.md] [--repeats R]
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

if __package__ in (None, ""):  # run as a script: make the sibling module importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._harness import library_available  # noqa: E402
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
from equilibria.dynamics import gradient, regret_matching  # noqa: E402
from equilibria.dynamics.run import run  # noqa: E402
from equilibria.games.differentiable import DifferentiableGame  # noqa: E402
from equilibria.games.normal_form import NormalFormGame  # noqa: E402
from equilibria.games.zoo.differentiable import bilinear  # noqa: E402
from equilibria.metrics.regret import nash_conv  # noqa: E402

MARKERS = ("<!-- dynamics:begin -->", "<!-- dynamics:end -->")
BILINEAR_TARGET = 50e6  # game-steps per second
REGRET_MATCHING_TARGET = 10.0  # OpenSpiel time / equilibria time


@dataclass(frozen=True)
class Config:
    batch: int = 100_000
    steps: int = 1_000
    python_games: int = 20
    python_steps: int = 1_000
    rm_actions: int = 50
    rm_iterations: int = 10_000
    repeats: int = 5
    seed: int = 0
    methods: tuple[str, ...] = ("gda", "optimistic_gda", "extragradient")
    label: str = "full"


FULL = Config()
QUICK = Config(batch=20_000, steps=500, python_games=5, python_steps=500, rm_iterations=2_000, repeats=3,
               label="quick")
TINY = Config(batch=256, steps=20, python_games=2, python_steps=20, rm_actions=5, rm_iterations=50, repeats=1,
              methods=("gda",), label="tiny")


def median_seconds(call: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """``(first call seconds, median of repeats)``; the first call includes compilation."""
    start = time.perf_counter()
    jax.block_until_ready(call())
    first = time.perf_counter() - start
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(call())
        times.append(time.perf_counter() - start)
    return first, statistics.median(times)


# -- part 1: batched bilinear games --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThroughputRow:
    method: str
    implementation: str
    games: int
    steps: int
    seconds: float
    compile_seconds: float | None = None
    note: str = ""

    @property
    def rate(self) -> float:
        return self.games * self.steps / self.seconds


def bilinear_batch(config: Config) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng([config.seed, 1])
    sigma = rng.uniform(0.5, 1.5, config.batch)
    x0, y0 = rng.normal(size=(2, config.batch))
    return sigma, x0, y0


def equilibria_bilinear(method: str, config: Config, sigma: np.ndarray, x0: np.ndarray,
                        y0: np.ndarray) -> ThroughputRow:
    dynamics = getattr(gradient, method)(0.01)

    def one(s: jax.Array, x: jax.Array, y: jax.Array) -> jax.Array:
        game = bilinear(s)
        trajectory = run(dynamics, game, dynamics.init(game, (x, y)), steps=config.steps, record_every=config.steps)
        return trajectory.params[0][-1]

    batched = jax.jit(jax.vmap(one))
    xs, ys = jnp.asarray(x0, dtype=jnp.float32), jnp.asarray(y0, dtype=jnp.float32)
    sigmas = jnp.asarray(sigma, dtype=jnp.float32)
    first, seconds = median_seconds(lambda: batched(sigmas, xs, ys), config.repeats)
    return ThroughputRow(method, "equilibria (jit + vmap + lax.scan)", config.batch, config.steps, seconds,
                         compile_seconds=first - seconds)


def python_gda(sigma: Sequence[float], x0: Sequence[float], y0: Sequence[float], steps: int, eta: float) -> float:
    total = 0.0
    for s, x, y in zip(sigma, x0, y0, strict=True):
        for _ in range(steps):
            x, y = x - eta * s * y, y + eta * s * x
        total += x
    return total


def numpy_gda(sigma: np.ndarray, x: np.ndarray, y: np.ndarray, steps: int, eta: float) -> np.ndarray:
    a = eta * sigma
    for _ in range(steps):
        x, y = x - a * y, y + a * x
    return x


def run_bilinear(config: Config, log: Callable[[str], None]) -> list[ThroughputRow]:
    sigma, x0, y0 = bilinear_batch(config)
    rows = []
    for method in config.methods:
        log(f"bilinear: equilibria {method}")
        rows.append(equilibria_bilinear(method, config, sigma, x0, y0))
    log("bilinear: Python loop")
    k = config.python_games
    start = time.perf_counter()
    python_gda(sigma[:k].tolist(), x0[:k].tolist(), y0[:k].tolist(), config.python_steps, 0.01)
    rows.append(ThroughputRow("gda", "plain Python loop (one game at a time)", k, config.python_steps,
                              time.perf_counter() - start))
    log("bilinear: NumPy")
    _, seconds = median_seconds(lambda: numpy_gda(sigma, x0, y0, config.steps, 0.01), max(1, config.repeats // 2))
    rows.append(ThroughputRow("gda", "NumPy, vectorised over the batch", config.batch, config.steps, seconds))
    return rows


# -- part 2: regret matching on a 50 x 50 game ---------------------------------------------------------------------


@dataclass(frozen=True)
class RegretMatchingRow:
    implementation: str
    timed: str  # what one timed call does
    seconds: float | None
    nash_conv: float | None
    compile_seconds: float | None = None
    recompilations: int | None = None  # traces + XLA compilations during the timed calls (0: none)
    note: str = ""


def rm_game(config: Config, stream: int = 2) -> NormalFormGame:
    """The measured game (``stream`` 2) or the warm-up game the solver is compiled on (``stream`` 3): payoffs
    uniform in [-1, 1], general-sum, ``rm_actions`` actions each."""
    rng = np.random.default_rng([config.seed, stream])
    n = config.rm_actions
    return NormalFormGame(rng.uniform(-1, 1, size=(2, n, n)), name=f"random {n}x{n}")


Profile = tuple[np.ndarray, ...]


def rm_solver(steps: int) -> Callable[[NormalFormGame], Profile]:
    """``solve(game)``: the average strategies of ``steps`` rounds of regret matching from the uniform profile, as
    a user writes it: the public runner in a function compiled once by ``jax.jit`` whose argument is the game (a
    pytree whose leaves are the payoffs), so any game of the same shape reuses the compilation."""
    dynamics = regret_matching()

    @jax.jit
    def average_strategies(mixed: DifferentiableGame, start: tuple[jax.Array, ...]) -> tuple[jax.Array, ...]:
        trajectory = run(dynamics, mixed, dynamics.init(mixed, start), steps=steps, record_every=steps)
        return tuple(a[-1] for a in trajectory.average)

    def solve(game: NormalFormGame) -> Profile:
        start = tuple(np.full(n, 1.0 / n) for n in game.n_actions)
        return tuple(np.asarray(a) for a in average_strategies(game.mixed_extension(), start))

    return solve


def baked_rm_solver(game: NormalFormGame, steps: int) -> Callable[[], Profile]:
    """The same run with ``game``'s payoffs closed over: XLA folds them into the program as constants (and
    precomputes what depends on them alone), so a new game means a new compilation. For comparison only."""
    dynamics = regret_matching()
    mixed = game.mixed_extension()
    start = tuple(jnp.full(n, 1.0 / n) for n in game.n_actions)

    @jax.jit
    def average_strategies() -> tuple[jax.Array, ...]:
        trajectory = run(dynamics, mixed, dynamics.init(mixed, start), steps=steps, record_every=steps)
        return tuple(a[-1] for a in trajectory.average)

    return lambda: tuple(np.asarray(a) for a in average_strategies())


class CompileCounter:
    """Counts the jaxpr traces and XLA compilations JAX reports (``jax.monitoring``) while the block runs."""

    EVENTS = ("/jax/core/compile/jaxpr_trace_duration", "/jax/core/compile/backend_compile_duration")

    def __init__(self) -> None:
        self.count = 0

        def listen(event: str, duration_secs: float, **_: str | int) -> None:
            if event in self.EVENTS:
                self.count += 1

        self._listener = listen

    def __enter__(self) -> CompileCounter:
        jax.monitoring.register_event_duration_secs_listener(self._listener)
        return self

    def __exit__(self, *_: object) -> None:
        jax.monitoring.unregister_event_duration_listener(self._listener)


def average_nash_conv(game: NormalFormGame, average: Profile) -> float:
    return float(nash_conv(game, tuple(np.asarray(a, dtype=float) / np.sum(a) for a in average)))


def equilibria_regret_matching(game: NormalFormGame, warmup: NormalFormGame, config: Config) -> RegretMatchingRow:
    solve = rm_solver(config.rm_iterations)
    start = time.perf_counter()
    solve(warmup)  # compiles
    first = time.perf_counter() - start
    times = []
    with CompileCounter() as counter:
        for _ in range(config.repeats):
            start = time.perf_counter()
            average = solve(game)
            times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    return RegretMatchingRow("equilibria regret_matching (jit + lax.scan), payoffs as arguments",
                             "`solve(game)`: mixed extension, uniform start, the compiled run, averages to NumPy",
                             seconds, average_nash_conv(game, average), compile_seconds=first - seconds,
                             recompilations=counter.count)


def baked_regret_matching(game: NormalFormGame, config: Config) -> RegretMatchingRow:
    solve = baked_rm_solver(game, config.rm_iterations)
    first, seconds = median_seconds(solve, config.repeats)
    return RegretMatchingRow("equilibria, payoffs baked in as constants (for comparison)",
                             "the compiled run of this one game, averages to NumPy", seconds,
                             average_nash_conv(game, solve()), compile_seconds=first - seconds,
                             note="recompiles for every game; not in the target")


def open_spiel_regret_matching(game: NormalFormGame, config: Config) -> RegretMatchingRow:
    timed = "`regret_matching([A, B], iterations)` on float64 NumPy payoffs, to its averages"
    if not library_available("open_spiel"):
        return RegretMatchingRow("OpenSpiel regret_matching", timed, None, None, note="open_spiel not installed: "
                                 "skipped")
    from open_spiel.python.algorithms import regret_matching as os_rm

    tensors = [np.asarray(game.payoffs[0]), np.asarray(game.payoffs[1])]
    times, answer = [], None
    for _ in range(max(1, config.repeats // 2)):
        start = time.perf_counter()
        answer = os_rm.regret_matching(tensors, iterations=config.rm_iterations)
        times.append(time.perf_counter() - start)
    assert answer is not None
    return RegretMatchingRow("OpenSpiel regret_matching (NumPy)", timed, statistics.median(times),
                             average_nash_conv(game, tuple(answer)))


def run_regret_matching(config: Config, log: Callable[[str], None]) -> list[RegretMatchingRow]:
    game, warmup = rm_game(config), rm_game(config, stream=3)
    log("regret matching: equilibria, payoffs as arguments")
    rows = [equilibria_regret_matching(game, warmup, config)]
    log("regret matching: OpenSpiel")
    rows.append(open_spiel_regret_matching(game, config))
    log("regret matching: equilibria, payoffs baked in")
    rows.append(baked_regret_matching(game, config))
    return rows


# -- report --------------------------------------------------------------------------------------------------------


@dataclass
class Report:
    config: Config
    command: str
    started: str
    seconds: float
    bilinear: list[ThroughputRow] = field(default_factory=list)
    regret_matching: list[RegretMatchingRow] = field(default_factory=list)


def targets(report: Report) -> list[list[str]]:
    rows = []
    best = max((r for r in report.bilinear if r.implementation.startswith("equilibria")), key=lambda r: r.rate,
               default=None)
    gda = next((r for r in report.bilinear if r.method == "gda" and r.implementation.startswith("equilibria")), None)
    if gda is not None:
        ok = gda.rate >= BILINEAR_TARGET
        rows.append([f"bilinear games batched: >= {BILINEAR_TARGET / 1e6:.0f} million game-steps/s",
                     f"GDA {gda.rate / 1e6:.0f} M/s" + (f"; best {best.method} {best.rate / 1e6:.0f} M/s"
                                                        if best and best is not gda else ""),
                     met(ok)])
    ours, peer = report.regret_matching[0], report.regret_matching[1]
    if ours.seconds and peer.seconds:
        ratio = peer.seconds / ours.seconds
        c = report.config
        ok = ratio >= REGRET_MATCHING_TARGET and ours.recompilations == 0
        rows.append([f"regret matching {c.rm_actions}x{c.rm_actions}, {c.rm_iterations} iterations, payoffs as "
                     f"arguments: >= {REGRET_MATCHING_TARGET:.0f}x faster than OpenSpiel",
                     f"{ratio:.1f}x ({fmt_seconds(ours.seconds)} vs {fmt_seconds(peer.seconds)})",
                     met(ok)])
    return rows


def render(report: Report) -> str:
    c = report.config
    lines = [
        MARKERS[0],
        "## Learning dynamics: batched throughput",
        "",
        command_line(report.command, f"{c.label} configuration, seed {c.seed}, repeats {c.repeats}", report.started,
                     report.seconds),
        machine_line(f"JAX backend {jax.default_backend()}, {jax.device_count()} device(s)"),
        versions_line("jax", "optax", "numpy", "open_spiel"),
        "- Timing: one untimed call first (it compiles; its extra time is the *compile* column), then the median of "
        "the timed calls. Game-steps/s = games x steps / seconds.",
        "",
        "### Targets",
        "",
        *table(["target", "measured", "status"], targets(report)),
        "",
        f"### 1. Bilinear games min_x max_y sigma x y, learning rate 0.01, float32 ({c.batch} games x {c.steps} "
        f"steps batched)",
        "",
    ]
    gda_numpy = next((r for r in report.bilinear if r.implementation.startswith("NumPy")), None)
    body = []
    for r in report.bilinear:
        speedup = f"{r.rate / gda_numpy.rate:.1f}x" if gda_numpy else "-"
        body.append([r.method, r.implementation, f"{r.games} x {r.steps}", fmt_seconds(r.seconds),
                     f"{r.rate / 1e6:.2f} M", speedup,
                     fmt_seconds(r.compile_seconds) if r.compile_seconds is not None else "-"])
    lines += table(["method", "implementation", "games x steps", "median", "game-steps/s", "vs NumPy GDA",
                    "compile"], body)
    lines += ["", f"### 2. Regret matching, random {c.rm_actions}x{c.rm_actions} general-sum game, "
              f"{c.rm_iterations} iterations", "",
              "How it is called and what is timed. equilibria, as a user calls it: `solve(game)` builds "
              "`game.mixed_extension()` and the uniform start and calls `average_strategies(mixed, start)`, a "
              "function compiled once by `jax.jit` that runs `run(regret_matching(), mixed, "
              "regret_matching().init(mixed, start), steps=T, record_every=T)` and returns the last time average "
              "(`trajectory.average[-1]`, one vector per player); the averages are then copied to NumPy. The game, "
              "hence its payoff tensor, is an argument of the compiled function: it is compiled by one untimed call "
              "on another random game of the same shape (that call's time less the median is the *compile* "
              "column), and each timed call, on the measured game, is the whole of `solve(game)`; the "
              "*recompiled* column counts the jaxpr traces and XLA compilations JAX reported during the timed "
              "calls (0: the compiled function was reused). float32, JAX's default (the library does not enable "
              "x64). OpenSpiel: `regret_matching([A, B], iterations=T)` (its default 1e-6 exploration floor) on "
              "the same payoffs as float64 NumPy arrays, timed from the call to its average strategies. The last "
              "row closes the run over this one game, so XLA folds the payoffs into the program as constants; it "
              "recompiles for every game and is shown for comparison only.", "",
              "NashConv of the average strategies (equilibria's `metrics.regret.nash_conv`) says both ran the same "
              "algorithm to a comparable answer.", ""]
    peer = report.regret_matching[1]
    rm_body = []
    for row in report.regret_matching:
        ratio = f"{peer.seconds / row.seconds:.1f}" if (row.seconds and peer.seconds) else "-"
        rm_body.append([row.implementation, row.timed, fmt_seconds(row.seconds), ratio,
                        "-" if row.nash_conv is None else f"{row.nash_conv:.2e}",
                        fmt_seconds(row.compile_seconds) if row.compile_seconds is not None else "-",
                        "-" if row.recompilations is None else str(row.recompilations), row.note])
    lines += table(["implementation", "timed call", "median", "OpenSpiel / this", "NashConv of average", "compile",
                    "recompiled", "notes"], rm_body)
    lines += ["", MARKERS[1], ""]
    return "\n".join(lines)


def run_benchmark(config: Config, command: str, log: Callable[[str], None] = lambda _: None) -> Report:
    clock = time.perf_counter()
    report = Report(config, command, utc_minute(), 0.0)
    report.bilinear = run_bilinear(config, log)
    report.regret_matching = run_regret_matching(config, log)
    report.seconds = time.perf_counter() - clock
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = benchmark_parser(__doc__, "dynamics", "smaller batch and fewer iterations")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args(argv)
    config = QUICK if args.quick else FULL
    if args.repeats is not None:
        config = Config(**{**config.__dict__, "repeats": args.repeats})
    report = publish_section("dynamics.py", argv, lambda command: run_benchmark(config, command, log=log_to_stderr),
                             render, args.write, MARKERS)
    return 0 if not math.isnan(report.seconds) else 1


if __name__ == "__main__":
    sys.exit(main())
