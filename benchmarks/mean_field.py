"""Mean-field games: equilibria's JAX solvers side by side with mfglib and OpenSpiel, same algorithm, same iterations.

**What is solved.** Every environment that equilibria shares with a peer, each built by equilibria's zoo to the
peer's specification (the factories' docstrings say how, and the zoo's tests check the peer's exploitability on the
same policies): with mfglib 0.3 (``mfglib.env.Environment``) left-right, beach bar, SIS (susceptible-infected),
linear-quadratic, rock-paper-scissors, building evacuation and equilibrium price, at mfglib's defaults; with
OpenSpiel (``open_spiel.python.mfg``) crowd modelling on the ring (``mfg_crowd_modelling``, size 10, horizon 10),
on the torus (``mfg_crowd_modelling_2d``, 10 x 10, horizon 10) and Braess's network as dynamic routing
(``python_mfg_dynamic_routing``, 100 steps of 0.05, the setting of OpenSpiel's own Braess test).

**Who solves it, how.** The same algorithm with the same iteration count, each called the way its user would:

- equilibria: ``mean_field_fictitious_play_solve``, ``online_mirror_descent_solve`` and
  ``mean_field_fixed_point_solve`` (``damping=1``) with ``max_iterations=K, tol=0``. The call includes validating
  the game, the exploitability of every iterate (the curve) and the certificate of the returned policy
  (``equilibria.metrics.mean_field.exploitability``), which is the number reported.
- mfglib: ``FictitiousPlay()`` (``alpha=0``: weight ``1 / (k + 2)``), ``OnlineMirrorDescent(alpha=lr)`` and
  ``FictitiousPlay(alpha=1.0)`` (its fixed-point iteration), ``.solve(env, max_iter=K, atol=None, rtol=None)``,
  which also scores every iterate with ``mfglib.scoring.exploitability_score``; its last score is reported. It runs
  in float64 (torch's default dtype set so, as equilibria's solvers run: in float32 the linear-quadratic
  transition, a rounding of the population mean, flips at ties under rounding noise) with one torch thread.
- OpenSpiel: ``FictitiousPlay(game)``, ``MirrorDescent(game, lr=lr)``, ``FixedPoint(game)``, ``K`` calls of
  ``iteration()``, then ``nash_conv.NashConv(game, solver.get_policy()).nash_conv()`` (timed: its user needs
  that number; it computes no per-iteration curve, unlike the other two).

Mirror descent uses the peer's default learning rate on both sides (mfglib 1.0, OpenSpiel 0.01). Every peer policy
is also **re-scored by equilibria's metric** (its last policy converted to a ``[T, S, A]`` table: mfglib's tensor
reshaped, OpenSpiel's read state by state at every decision node its own distribution visits), which checks that
both sides play the same game; the column says when a conversion is not possible.

**Timing.** equilibria's first call on a game includes JAX's compilation and is reported apart; then the median of
``repeats`` warm calls. A peer runs ``repeats`` times when one run takes under :data:`REPEAT_UNDER` seconds, else
once. The ratio is the peer's time over equilibria's warm time. Iterations: 100 where the peer takes milliseconds per
iteration, 20 or 10 where it takes 50 ms to seconds (linear-quadratic, building evacuation, the
torus, Braess). Target (issue 18): the same or lower exploitability (within :data:`SAME_REL` relative) in at least
10x less time than the peer on each shared environment: at equal iterations, or, where equal iterations leave
equilibria above the peer (OpenSpiel's mirror descent takes other iterates: footnote (a)), in a time-matched run of
as many iterations as fit in a tenth of the peer's time (footnote (c), a table of its own).

**Batches.** :func:`equilibria.solvers.mean_field_batch.solve_batch` runs 100 learning rates of mirror descent
(log-spaced) in one compiled call, against the peer running the same settings one after the other: mfglib's 100 runs
all timed, OpenSpiel's timed on 3 and extrapolated to 100 (the table says which).

Usage::

    python benchmarks/mean_field.py [--quick] [--repeats R] [--write BENCHMARKS.md]
"""

from __future__ import annotations

import contextlib
import math
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a script: make the sibling modules importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._harness import library_available  # noqa: E402
from benchmarks._publish import (  # noqa: E402
    benchmark_parser,
    command_line,
    fmt_seconds,
    load_average,
    log_to_stderr,
    machine_line,
    met,
    publish_section,
    table,
    utc_minute,
    versions_line,
)
from equilibria.games.mean_field import MeanFieldGame  # noqa: E402
from equilibria.games.zoo import mean_field as zoo  # noqa: E402
from equilibria.games.zoo import mean_field_applications as apps  # noqa: E402
from equilibria.games.zoo import mean_field_routing as routing  # noqa: E402

MARKERS = ("<!-- mean-field:begin -->", "<!-- mean-field:end -->")
SPEEDUP_TARGET = 10.0  # fastest peer's time / equilibria's warm time
SAME_REL = 1e-3  # "the same exploitability": within this share (mfglib scores in float32; OpenSpiel's MD, see notes)
REPEAT_UNDER = 2.0  # peer runs shorter than this are repeated (median), longer ones run once
ALGORITHMS = ("fictitious play", "online mirror descent", "fixed point")
# Footnotes of the side-by-side table: why a peer's iterates differ from equilibria's on the same algorithm.
FOOTNOTES = {
    "(a)": "OpenSpiel's MirrorDescent reads its cumulative values through a live reference that the next evaluation "
           "pass updates while it traverses the tree, so from the 2nd iteration on its iterates differ slightly from "
           "the textbook update that equilibria runs (on the ring after 10 iterations: 2.27303 against the textbook "
           "2.27366, which OpenSpiel's own munchausen_mirror_descent_test gives).",
    "(b)": "mfglib's greedy best response spreads the probability evenly over tied actions; equilibria's (like "
           "OpenSpiel's) takes the lowest action index, so fictitious play and the fixed point take other iterates "
           "where best responses tie (building evacuation: many symmetric moves).",
}


@dataclass(frozen=True)
class Case:
    """One shared environment: ``ours()`` builds equilibria's game, ``peer`` names the library and ``spec`` its
    environment (an mfglib ``Environment`` factory name, or a pyspiel game name and its parameters)."""

    name: str
    peer: str  # "mfglib" or "OpenSpiel"
    ours: Callable[[], MeanFieldGame]
    spec: str
    spec_params: tuple[tuple[str, Any], ...] = ()
    iterations: int = 100
    algorithms: tuple[str, ...] = ALGORITHMS

    @property
    def learning_rate(self) -> float:  # the peer's default mirror descent step
        return 1.0 if self.peer == "mfglib" else 0.01


CASES = (
    Case("left-right", "mfglib", zoo.left_right, "left_right", iterations=100),
    Case("beach bar", "mfglib", zoo.beach_bar, "beach_bar", iterations=100),
    Case("rock-paper-scissors", "mfglib", zoo.rock_paper_scissors, "rock_paper_scissors", iterations=100),
    Case("SIS (susceptible-infected)", "mfglib", apps.susceptible_infected, "susceptible_infected", iterations=100),
    Case("linear-quadratic", "mfglib", zoo.linear_quadratic, "linear_quadratic", iterations=20),
    Case("building evacuation", "mfglib", apps.building_evacuation, "building_evacuation", iterations=20),
    Case("equilibrium price", "mfglib", apps.equilibrium_price, "equilibrium_price", iterations=100),
    Case("crowd modelling (ring)", "OpenSpiel", zoo.crowd_modelling, "mfg_crowd_modelling", iterations=100),
    Case("crowd modelling 2-D (torus)", "OpenSpiel", apps.crowd_motion, "mfg_crowd_modelling_2d", iterations=10),
    Case("Braess (dynamic routing)", "OpenSpiel", routing.braess, "python_mfg_dynamic_routing",
         (("max_num_time_step", 100), ("time_step_length", 0.05)), iterations=10),
)


@dataclass(frozen=True)
class BatchCase:
    """``size`` mirror descent learning rates (log-spaced in ``rates``) on one case, ``iterations`` each; the peer
    is timed on ``peer_runs`` of them (evenly spread) and, when fewer than ``size``, extrapolated to ``size``."""

    case: Case
    size: int = 100
    iterations: int = 100
    rates: tuple[float, float] = (0.01, 10.0)
    peer_runs: int = 100


@dataclass(frozen=True)
class Config:
    cases: tuple[Case, ...] = CASES
    batches: tuple[BatchCase, ...] = (BatchCase(CASES[1]),
                                      BatchCase(CASES[7], iterations=20, rates=(0.001, 1.0), peer_runs=3))
    repeats: int = 5
    label: str = "full"


FULL = Config()
QUICK = Config(cases=(replace(CASES[0], iterations=5), replace(CASES[1], iterations=5),
                      replace(CASES[7], iterations=3, algorithms=ALGORITHMS[:2])),
               batches=(BatchCase(replace(CASES[1], iterations=5), size=10, iterations=5, peer_runs=2),),
               repeats=1, label="quick")


@dataclass
class Row:
    case: str
    peer: str
    algorithm: str
    iterations: int
    ours_first: float
    ours_warm: float
    ours: float  # equilibria's certificate
    peer_seconds: float | None = None
    peer_own: float | None = None  # the peer's exploitability by its own scorer
    peer_rescored: float | None = None  # the peer's policy scored by equilibria's metric
    note: str = ""
    # Where equal iterations leave equilibria above the peer: equilibria run for as many iterations as fit in a
    # tenth of the peer's time (the target's literal reading: same or lower exploitability in 10x less time).
    matched_iterations: int | None = None
    matched_warm: float | None = None
    matched: float | None = None


@dataclass
class BatchRow:
    case: str
    peer: str
    size: int
    iterations: int
    ours_first: float
    ours_warm: float
    best: float  # the lowest final exploitability in the batch
    peer_seconds: float | None = None  # for all `size` settings (extrapolated)
    peer_measured: int = 0
    note: str = ""


@dataclass
class Report:
    config: Config
    command: str
    started: str
    seconds: float = 0.0
    load: str = ""  # the load average when the run started
    rows: list[Row] = field(default_factory=list)
    batches: list[BatchRow] = field(default_factory=list)
    peers: dict[str, str] = field(default_factory=dict)  # peer -> "" when usable, else why it was skipped


# -- availability -------------------------------------------------------------------------------------------------
def mfglib_status() -> str:
    """"" when mfglib (and torch) import, else the skip line."""
    try:
        import mfglib.alg  # noqa: F401  (mfglib.scoring imports mfglib.alg: importing it first avoids a cycle)
        import mfglib.scoring  # noqa: F401
        import torch  # noqa: F401
    except Exception as error:  # noqa: BLE001 - any import failure means "skipped"
        return (f"mfglib skipped: it does not import here ({type(error).__name__}: {error}); install it with "
                "`pip install torch --index-url https://download.pytorch.org/whl/cpu` then `pip install mfglib`")
    return ""


def openspiel_status() -> str:
    if not library_available("open_spiel"):
        return "OpenSpiel skipped: open_spiel is not installed (the bench extra)"
    try:
        from open_spiel.python.mfg import games  # noqa: F401  (registers the Python mean-field games)
        from open_spiel.python.mfg.algorithms import fictitious_play  # noqa: F401
    except Exception as error:  # noqa: BLE001
        return f"OpenSpiel skipped: open_spiel.python.mfg does not import ({type(error).__name__}: {error})"
    return ""


# -- equilibria ---------------------------------------------------------------------------------------------------
def our_solver(algorithm: str, learning_rate: float) -> Callable[[MeanFieldGame, int], Any]:
    from equilibria.solvers.mean_field_fictitious_play import mean_field_fictitious_play_solve
    from equilibria.solvers.mean_field_fixed_point import mean_field_fixed_point_solve
    from equilibria.solvers.mean_field_mirror_descent import online_mirror_descent_solve

    if algorithm == "fictitious play":
        return lambda game, k: mean_field_fictitious_play_solve(game, max_iterations=k, tol=0.0)
    if algorithm == "online mirror descent":
        return lambda game, k: online_mirror_descent_solve(game, learning_rate=learning_rate, max_iterations=k,
                                                            tol=0.0)
    return lambda game, k: mean_field_fixed_point_solve(game, damping=1.0, max_iterations=k, tol=0.0)


def time_ours(call: Callable[[], Any], repeats: int) -> tuple[float, float, Any]:
    """(first call's seconds, median of ``repeats`` warm calls, the last result)."""
    start = time.perf_counter()
    result = call()
    first = time.perf_counter() - start
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    return first, statistics.median(times), result


def time_peer(call: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median seconds of ``call`` (repeated only while a run takes under :data:`REPEAT_UNDER`) and its result."""
    times: list[float] = []
    result = None
    while len(times) < max(repeats, 1):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
        if times[-1] >= REPEAT_UNDER:
            break
    return statistics.median(times), result


def failure(error: Exception) -> str:
    """A peer's exception in one line: its type and the start of its message."""
    if isinstance(error, KeyError):
        return "KeyError: a state missing from its tabular policy"
    message = " ".join(str(error).split())
    return f"{type(error).__name__}: {message[:80]}{'...' if len(message) > 80 else ''}"


def rescore(game: MeanFieldGame, policy: np.ndarray) -> float:
    """equilibria's exploitability of a peer's ``[T, S, A]`` policy (renormalised: float32 rows sum to 1 +- 1e-7)."""
    from equilibria.metrics.mean_field import exploitability

    pi = np.clip(np.asarray(policy, dtype=np.float64), 0.0, None)
    pi /= pi.sum(axis=-1, keepdims=True)
    return float(exploitability(game, pi))


# -- mfglib -------------------------------------------------------------------------------------------------------
@contextlib.contextmanager
def mfglib_settings() -> Iterator[None]:
    """One torch thread and float64 tensors while mfglib runs (restored after)."""
    import torch

    threads, dtype = torch.get_num_threads(), torch.get_default_dtype()
    torch.set_num_threads(1)  # tiny tensors: a second thread only adds contention on a shared 2-core machine
    # float64 like equilibria's solvers: in float32 the linear-quadratic transition (a rounding of m_t) flips at
    # ties under rounding noise, and mfglib's own scores there differ from the float64 ones by up to 0.3.
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        torch.set_default_dtype(dtype)


def mfglib_algorithm(algorithm: str, learning_rate: float) -> Any:
    from mfglib.alg import FictitiousPlay, OnlineMirrorDescent

    if algorithm == "fictitious play":
        return FictitiousPlay()
    if algorithm == "online mirror descent":
        return OnlineMirrorDescent(alpha=learning_rate)
    return FictitiousPlay(alpha=1.0)  # mfglib's fixed-point iteration


def mfglib_policy(case: Case, game: MeanFieldGame, pi: Any) -> tuple[np.ndarray | None, str]:
    """mfglib's policy tensor ``[T + 1, *S, *A]`` as equilibria's ``[T, S, A]`` (None and why when it is not)."""
    table = pi.detach().double().numpy()
    table = table.reshape(table.shape[0], -1, game.n_actions)
    if case.spec == "equilibrium_price":
        # equilibria's states record the decision just taken (the reward is paid a step later): read mfglib's
        # policy at the inventory each state is at now, as the zoo's side-by-side test does.
        successors = np.asarray(apps._price_tables(3, 2, 2)[0])
        n_inventory = table.shape[1]
        now = (successors[:, 0] - n_inventory) // game.n_actions
        table = table[:, now, :]
    if table.shape != (game.horizon, game.n_states, game.n_actions):
        return None, f"mfglib's policy has shape {table.shape}, not equilibria's"
    return table, ""


def run_mfglib(case: Case, game: MeanFieldGame, algorithm: str, iterations: int, repeats: int,
               learning_rate: float | None = None) -> tuple[float | None, float | None, float | None, str]:
    """(seconds, own exploitability, re-scored exploitability, note) of mfglib's ``algorithm``."""
    from mfglib.env import Environment

    solver = mfglib_algorithm(algorithm, case.learning_rate if learning_rate is None else learning_rate)

    try:
        with mfglib_settings():
            env = getattr(Environment, case.spec)()  # its tables in the default dtype, float64 here
            seconds, (pis, expls, _) = time_peer(
                lambda: solver.solve(env, max_iter=iterations, atol=None, rtol=None, verbose=False), repeats)
    except Exception as error:  # noqa: BLE001 - a peer's failure is a result
        return None, None, None, f"mfglib {solver} fails: {failure(error)}"
    policy, note = mfglib_policy(case, game, pis[-1])
    return seconds, float(expls[-1]), None if policy is None else rescore(game, policy), note


# -- OpenSpiel ----------------------------------------------------------------------------------------------------
def openspiel_solver(game: Any, algorithm: str, learning_rate: float) -> Any:
    from open_spiel.python.mfg.algorithms import fictitious_play, fixed_point, mirror_descent

    if algorithm == "fictitious play":
        return fictitious_play.FictitiousPlay(game)
    if algorithm == "online mirror descent":
        return mirror_descent.MirrorDescent(game, lr=learning_rate)
    return fixed_point.FixedPoint(game)


def openspiel_policy(case: Case, game: MeanFieldGame, spiel: Any, policy: Any) -> np.ndarray:
    """OpenSpiel's ``policy`` as equilibria's ``[T, S, A]``: read at every decision node that OpenSpiel's own
    distribution of the policy visits (the rows of states it never visits do not enter the exploitability)."""
    from open_spiel.python import policy as policy_lib
    from open_spiel.python.mfg.algorithms import distribution

    table = np.full((game.horizon, game.n_states, game.n_actions), 1.0 / game.n_actions)
    names = game.state_names or ()
    slots = (game.n_states - 1) // 7 if case.spec == "python_mfg_dynamic_routing" else 0

    def record(state: Any, probabilities: dict[int, float]) -> None:
        text = str(state)
        row = np.zeros(game.n_actions)
        if case.spec == "mfg_crowd_modelling":
            x, t = (int(v) for v in re.findall(r"-?\d+", text)[:2])
            cells: Sequence[int] = (x,)
            row[list(probabilities)] = list(probabilities.values())
        elif case.spec == "mfg_crowd_modelling_2d":
            x, y, t = (int(v) for v in re.findall(r"-?\d+", text)[:3])
            cells = (x * int(math.isqrt(game.n_states)) + y,)
            row[list(probabilities)] = list(probabilities.values())
        else:  # dynamic routing: only the choices at A (on O->A) and at B (on A->B) matter
            location = re.search(r"Location=([^,]+),", text)
            found = re.search(r"t=(\d+)", text)
            legal = sorted(probabilities)
            if location is None or found is None or len(legal) != 2:
                return
            t = int(found.group(1))
            # equilibria's states (link, waiting slot): the choice made at the end of a link is its row in every
            # slot of that link (the action matters only in the slot that moves on)
            start = [n.split(" ")[0] for n in names].index(location.group(1))
            cells = range(start, start + slots)
            row[:] = [probabilities[legal[0]], probabilities[legal[1]]]
        if 0 <= t < game.horizon:
            for cell in cells:
                table[t, cell] = row

    class Recorder(policy_lib.Policy):
        def __init__(self) -> None:
            super().__init__(spiel, list(range(spiel.num_players())))

        def action_probabilities(self, state: Any, player_id: int | None = None) -> dict[int, float]:
            probabilities = dict(policy.action_probabilities(state))
            record(state, probabilities)
            return probabilities

    distribution.DistributionPolicy(spiel, Recorder())
    return table


def run_openspiel(case: Case, game: MeanFieldGame, algorithm: str, iterations: int, repeats: int,
                  learning_rate: float | None = None) -> tuple[float | None, float | None, float | None, str]:
    """(seconds, own NashConv, re-scored exploitability, note) of OpenSpiel's ``algorithm``."""
    import pyspiel
    from open_spiel.python.mfg import games  # noqa: F401  (registers the Python mean-field games)
    from open_spiel.python.mfg.algorithms import nash_conv

    spiel = pyspiel.load_game(case.spec, dict(case.spec_params))
    rate = case.learning_rate if learning_rate is None else learning_rate

    def call() -> tuple[Any, float]:
        solver = openspiel_solver(spiel, algorithm, rate)
        for _ in range(iterations):
            solver.iteration()
        policy = solver.get_policy()
        return policy, float(nash_conv.NashConv(spiel, policy).nash_conv())

    try:
        seconds, (policy, value) = time_peer(call, repeats)
    except Exception as error:  # noqa: BLE001 - a peer's failure is a result
        return None, None, None, f"OpenSpiel {algorithm} fails: {failure(error)}"
    return seconds, value, rescore(game, openspiel_policy(case, game, spiel, policy)), ""


# -- the run ------------------------------------------------------------------------------------------------------
def run_case(case: Case, report: Report, log: Callable[[str], None]) -> None:
    game = case.ours()
    usable = report.peers.get(case.peer, "") == ""
    for algorithm in case.algorithms:
        solve = our_solver(algorithm, case.learning_rate)
        first, warm, result = time_ours(partial(solve, game, case.iterations), report.config.repeats)
        row = Row(case.name, case.peer, algorithm, case.iterations, first, warm, float(result.certificate[0]))
        if result.iterations != case.iterations:
            row.note = f"equilibria stopped after {result.iterations} iterations (exploitability 0)"
        if usable:
            runner = run_mfglib if case.peer == "mfglib" else run_openspiel
            row.peer_seconds, row.peer_own, row.peer_rescored, note = runner(
                case, game, algorithm, case.iterations, report.config.repeats)
            if case.peer == "OpenSpiel" and algorithm == "online mirror descent" and row.peer_seconds is not None:
                note = "iterates differ: (a)"
            elif (case.peer == "mfglib" and algorithm != "online mirror descent" and row.peer_rescored is not None
                  and abs(row.peer_rescored - row.ours) > 1e-6 * (1.0 + abs(row.ours))):
                note = "iterates differ: (b)"
            row.note = "; ".join(n for n in (row.note, note) if n)
            if row.peer_seconds is not None and not same_or_lower(row.ours, peer_reference(row)):
                time_matched(row, solve, game, report.config.repeats)
        report.rows.append(row)
        log(f"{case.name}, {algorithm}: equilibria {fmt_seconds(warm)} (first {fmt_seconds(first)}) "
            f"{row.ours:.4g}; {case.peer} {fmt_seconds(row.peer_seconds)} {row.peer_own}")


def time_matched(row: Row, solve: Callable[[MeanFieldGame, int], Any], game: MeanFieldGame, repeats: int) -> None:
    """Run equilibria for the iterations that fit in a tenth of the peer's time (at its warm time per iteration,
    at most 100 times the row's count) and record that run's exploitability and warm time."""
    assert row.peer_seconds is not None
    per_iteration = row.ours_warm / row.iterations
    iterations = int(min(100 * row.iterations, row.peer_seconds / SPEEDUP_TARGET / per_iteration))
    if iterations <= row.iterations:
        return
    _, warm, result = time_ours(partial(solve, game, iterations), repeats)
    row.matched_iterations, row.matched_warm, row.matched = iterations, warm, float(result.certificate[0])
    row.note = "; ".join(n for n in (row.note, "time-matched run: (c)") if n)


def run_batch(batch: BatchCase, report: Report, log: Callable[[str], None]) -> None:
    from equilibria.solvers.mean_field_batch import solve_batch

    case = batch.case
    game = case.ours()
    rates = np.geomspace(batch.rates[0], batch.rates[1], batch.size)
    first, warm, result = time_ours(
        lambda: solve_batch(game, "online_mirror_descent", {"learning_rate": rates}, batch.iterations),
        report.config.repeats)
    row = BatchRow(case.name, case.peer, batch.size, batch.iterations, first, warm,
                   float(np.nanmin(result.exploitabilities[:, -1])))
    if report.peers.get(case.peer, "") == "":
        runner = run_mfglib if case.peer == "mfglib" else run_openspiel
        picks = np.linspace(0, batch.size - 1, batch.peer_runs).round().astype(int)
        times = []
        for i in picks:
            seconds, *_, note = runner(case, game, "online mirror descent", batch.iterations, 1,
                                       learning_rate=float(rates[i]))
            if seconds is None:
                row.note = note
                break
            times.append(seconds)
        if times:
            row.peer_seconds = statistics.mean(times) * batch.size
            row.peer_measured = len(times)
            row.note = f"{len(times)} runs timed, one after the other"
            if len(times) < batch.size:
                row.note = (f"*extrapolated*: mean of {len(times)} timed runs (learning rates "
                            f"{', '.join(f'{rates[i]:.3g}' for i in picks[:len(times)])}) x {batch.size}")
    report.batches.append(row)
    log(f"batch {case.name}: equilibria {fmt_seconds(warm)} (first {fmt_seconds(first)}); "
        f"{case.peer} {fmt_seconds(row.peer_seconds)}")


def run_benchmark(config: Config, command: str, log: Callable[[str], None] = lambda _: None) -> Report:
    clock = time.perf_counter()
    report = Report(config, command, utc_minute(), load=load_average())
    report.peers = {"mfglib": mfglib_status(), "OpenSpiel": openspiel_status()}
    for status in report.peers.values():
        if status:
            log(status)
    for case in config.cases:
        run_case(case, report, log)
    for batch in config.batches:
        run_batch(batch, report, log)
    report.seconds = time.perf_counter() - clock
    return report


# -- the section --------------------------------------------------------------------------------------------------
def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _ratio(peer: float | None, ours: float) -> str:
    if peer is None:
        return "-"
    ratio = peer / ours
    return f"{ratio:.0f}x" if ratio >= 10 else f"{ratio:.2g}x"


def peer_reference(row: Row) -> float | None:
    """The peer's exploitability to compare with: re-scored by equilibria's metric when converted, else its own."""
    return row.peer_rescored if row.peer_rescored is not None else row.peer_own


def same_or_lower(ours: float, theirs: float | None) -> bool | None:
    return None if theirs is None else ours <= theirs + SAME_REL * abs(theirs) + 1e-9


def row_met(row: Row) -> bool:
    """At least 10x faster with the same or lower exploitability: at equal iterations, or in the time-matched run
    (its warm time within a tenth of the peer's)."""
    assert row.peer_seconds is not None
    if row.peer_seconds / row.ours_warm >= SPEEDUP_TARGET and same_or_lower(row.ours, peer_reference(row)):
        return True
    return (row.matched is not None and row.matched_warm is not None
            and row.peer_seconds / row.matched_warm >= SPEEDUP_TARGET
            and bool(same_or_lower(row.matched, peer_reference(row))))


def target_cell(row: Row) -> str:
    return met(None if row.peer_seconds is None else row_met(row))


def targets(report: Report) -> list[list[str]]:
    out = []
    for name in dict.fromkeys(r.case for r in report.rows):
        rows = [r for r in report.rows if r.case == name and r.peer_seconds is not None]
        if not rows:
            out.append([name, "peer skipped or failing", met(None)])
            continue
        ratios = [r.peer_seconds / r.ours_warm for r in rows if r.peer_seconds is not None]
        same = [bool(same_or_lower(r.ours, peer_reference(r))) for r in rows]
        matched = sum(1 for r, s in zip(rows, same, strict=True) if not s and row_met(r))
        out.append([f"{name} ({rows[0].peer}): >= {SPEEDUP_TARGET:.0f}x faster, same or lower exploitability",
                    f"{_ratio(min(ratios), 1.0)} to {_ratio(max(ratios), 1.0)}; exploitability same or lower in "
                    f"{sum(same)} of {len(same)} algorithms at equal iterations"
                    + (f", in {matched} more within a tenth of the peer's time (c)" if matched else ""),
                    met(all(row_met(r) for r in rows))])
    for b in report.batches:
        ratio = None if b.peer_seconds is None else b.peer_seconds / b.ours_warm
        out.append([f"batch of {b.size} mirror descent learning rates on {b.case} in one call, >= "
                    f"{SPEEDUP_TARGET:.0f}x faster than {b.size} {b.peer} runs",
                    "-" if b.peer_seconds is None else f"{_ratio(b.peer_seconds, b.ours_warm)} (warm), "
                    f"{_ratio(b.peer_seconds, b.ours_first)} (first call)",
                    met(None if ratio is None else ratio >= SPEEDUP_TARGET)])
    return out


def render(report: Report) -> str:
    c = report.config
    skipped = [s for s in report.peers.values() if s]
    lines = [
        MARKERS[0],
        "## Mean-field games: equilibria against mfglib and OpenSpiel (benchmarks/mean_field.py)",
        "",
        command_line(report.command, f"{c.label} configuration, repeats {c.repeats}", report.started,
                     report.seconds),
        machine_line(f"load average at the start {report.load}; {_jax_backend()}"),
        versions_line("jax", "mfglib", "torch", "open_spiel"),
        "- Method (module docstring): the same algorithm and iteration count on each environment both libraries "
        "ship, called as a user would; exploitability of the returned policy (equilibria: its certificate; peers: "
        "their own scorer, and their policy re-scored by `equilibria.metrics.mean_field`); equilibria's time: "
        "first call (with JAX compilation) and the median of warm calls; peers: median of repeats (one run when "
        f"it takes over {REPEAT_UNDER:g} s). Mirror descent at the peer's default step (mfglib 1.0, OpenSpiel "
        f"0.01). \"Same\" exploitability: within {SAME_REL:g} relative.",
        *(f"- {s}" for s in skipped),
        "",
        "### Targets",
        "",
        *table(["target", "measured", "status"], targets(report)),
        "",
        "### Side by side",
        "",
    ]
    body = []
    for r in report.rows:
        body.append([r.case, r.peer, r.algorithm, str(r.iterations), fmt_seconds(r.ours_warm),
                     fmt_seconds(r.ours_first), f"{r.ours:.4g}", fmt_seconds(r.peer_seconds), _num(r.peer_own),
                     _num(r.peer_rescored), _ratio(r.peer_seconds, r.ours_warm),
                     _ratio(r.peer_seconds, r.ours_first), target_cell(r), r.note])
    lines += table(["environment", "peer", "algorithm", "iterations", "equilibria (warm)", "equilibria (first call)",
                    "equilibria exploitability", "peer time", "peer exploitability (its scorer)",
                    "peer policy, equilibria's scorer", "peer / equilibria (warm)", "peer / equilibria (first call)",
                    "target", "notes"], body)
    used = [key for key in FOOTNOTES if any(key in r.note for r in report.rows)]
    if used:
        lines += ["", *(f"{key} {FOOTNOTES[key]}" for key in used)]
    matched_rows = [r for r in report.rows if r.matched is not None]
    if matched_rows:
        lines += ["", "(c) Time-matched runs: where equal iterations leave equilibria above the peer, equilibria "
                  "runs as many iterations as fit in a tenth of the peer's time:", ""]
        lines += table(["environment", "algorithm", "iterations", "equilibria (warm)", "equilibria exploitability",
                        "peer time", "peer exploitability", "peer / equilibria (warm)"],
                       [[r.case, r.algorithm, str(r.matched_iterations), fmt_seconds(r.matched_warm),
                         f"{r.matched:.4g}", fmt_seconds(r.peer_seconds), _num(peer_reference(r)),
                         _ratio(r.peer_seconds, r.matched_warm or 1.0)] for r in matched_rows])
    if report.batches:
        lines += ["", "### A batch of hyperparameters in one call (`solve_batch`)", ""]
        batch_body = []
        for b in report.batches:
            batch_body.append([b.case, f"{b.size} learning rates x {b.iterations} iterations",
                               fmt_seconds(b.ours_warm), fmt_seconds(b.ours_first), f"{b.best:.4g}",
                               f"{b.peer} x {b.size}", fmt_seconds(b.peer_seconds),
                               _ratio(b.peer_seconds, b.ours_warm), _ratio(b.peer_seconds, b.ours_first), b.note])
        lines += table(["environment", "batch", "equilibria (warm)", "equilibria (first call)",
                        "best final exploitability", "peer", "peer time", "peer / equilibria (warm)",
                        "peer / equilibria (first call)", "notes"], batch_body)
    lines += ["", MARKERS[1], ""]
    return "\n".join(lines)


def _jax_backend() -> str:
    import jax

    return f"JAX backend {jax.default_backend()}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = benchmark_parser(__doc__, "mean-field", "three environments, a few iterations, one repeat, batch of 10")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args(argv)
    config = QUICK if args.quick else FULL
    if args.repeats is not None:
        config = replace(config, repeats=args.repeats)
    report = publish_section("mean_field.py", argv, lambda command: run_benchmark(config, command, log=log_to_stderr),
                             render, args.write, MARKERS)
    return 0 if report.rows else 1


if __name__ == "__main__":
    sys.exit(main())
