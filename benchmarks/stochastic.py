"""Zero-sum stochastic games: Shapley value iteration, time to exploitability 1e-8, side by side with baselines.

**What is solved.** Random two-player zero-sum stochastic games with ``S`` states (100 and 1,000), 5 x 5 actions
in every state, rewards uniform in [-1, 1], discount 0.9 and sparse transitions (each joint action leads to 3
random states with Dirichlet(1) probabilities), built by :func:`random_game` from a seeded generator.

**Who solves it.**

- equilibria ``shapley_solve(game, tol=1e-8)``: Shapley value iteration whose stage games are re-solved in one
  batched linear solve on their previous supports, verified, with an LP (a compiled dense simplex, HiGHS as the
  fallback) only for the states whose supports changed; the time includes the certificate (exact best responses,
  dense linear solves), which the solver computes before returning.
- equilibria ``hoffman_karp_solve(game, tol=1e-8)``: policy iteration, for comparison.
- Baseline "NumPy + scipy linprog": the textbook Shapley iteration, one ``scipy.optimize.linprog`` (HiGHS) per
  state per sweep (max v s.t. A^T x >= v, sum x = 1), the minimiser's strategy read from the LP's dual, the same
  stopping rule (span of a sweep's change <= tol (1 - beta) / (2 beta), MacQueen's bounds); its answer is
  certified afterwards, untimed, by the same checker (:func:`equilibria.metrics.stochastic.exploitability`). It is
  capped (``baseline_cap`` seconds); a capped run reports its per-sweep time times the sweeps the same iteration
  needs (marked *estimated*: Shapley's iteration from V = 0 is the same sequence of values whoever computes it).
- OpenSpiel: ``open_spiel.python.algorithms.value_iteration.value_iteration`` solves two-player zero-sum games
  with terminal utilities only, undiscounted, by enumerating every state with ``get_all_states`` and solving each
  simultaneous node's matrix game with ``lp_solver`` (cvxpy with ECOS). The game is handed over as a
  pyspiel game (:func:`openspiel_game`) that stops with probability ``1 - beta`` after each step at a terminal
  paying ``r / (1 - beta)``, which has the same values. Its loop stops on the sup-norm change of an in-place sweep;
  below about 1e-7 it never stops (the interior-point LPs leave noise in the values), so it runs with threshold
  :data:`OPENSPIEL_THRESHOLD` and returns values only: its row reports the exploitability of the stage equilibria
  at those values (computed afterwards, untimed). It runs to its threshold up to ``openspiel_full_states`` states;
  larger games get one timed sweep (with its set-up) times the sweeps equilibria needed, an estimate that favours
  OpenSpiel. Without cvxpy and ecos (not in the ``bench`` extra at the time of writing) it is skipped.

Timing: one untimed warm-up solve of a 5-state game first (the compiled dense simplex is loaded from numba's disk
cache then); then the median of ``repeats`` timed solves. Usage::

    python benchmarks/stochastic.py [--quick] [--write BENCHMARKS.md] [--repeats R]
"""

from __future__ import annotations

import math
import statistics
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

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
from equilibria.core.result import SolveResult  # noqa: E402
from equilibria.games.stochastic import StochasticGame  # noqa: E402
from equilibria.metrics.stochastic import exploitability  # noqa: E402
from equilibria.solvers._stochastic import row_continuation, solve_stage_games  # noqa: E402
from equilibria.solvers.shapley import shapley_solve  # noqa: E402
from equilibria.solvers.stochastic_policy_iteration import hoffman_karp_solve  # noqa: E402

MARKERS = ("<!-- stochastic:begin -->", "<!-- stochastic:end -->")
# OpenSpiel's stage LPs (cvxpy, ECOS's interior point) leave noise of about 1e-9 in the values, so its loop never
# ends below about this threshold on the sup-norm change of a sweep.
OPENSPIEL_THRESHOLD = 1e-7
SPEEDUP_TARGET = 10.0  # fastest peer's time / equilibria's Shapley time


@dataclass(frozen=True)
class Config:
    sizes: tuple[int, ...] = (100, 1000)
    actions: int = 5
    successors: int = 3
    discount: float = 0.9
    tol: float = 1e-8
    repeats: int = 3
    baseline_cap: float = 120.0
    openspiel_full_states: int = 100  # OpenSpiel runs to its threshold up to this size, else is estimated
    seed: int = 0
    label: str = "full"


FULL = Config()
QUICK = Config(sizes=(100,), repeats=1, baseline_cap=30.0, openspiel_full_states=0, label="quick")


@dataclass
class Row:
    states: int
    implementation: str
    seconds: float | None
    sweeps: int
    exploitability: float | None
    note: str = ""


@dataclass
class Report:
    config: Config
    command: str
    started: str
    seconds: float
    rows: list[Row] = field(default_factory=list)
    openspiel: str = ""


def random_game(n_states: int, actions: int, successors: int, discount: float, seed: int) -> StochasticGame:
    """A random zero-sum game (module docstring): rewards ``[2, S, a, a]``, ``successors`` next states each."""
    rng = np.random.default_rng([seed, n_states])
    r0 = rng.uniform(-1.0, 1.0, (n_states, actions, actions))
    nexts = rng.integers(0, n_states, (n_states, actions, actions, successors))
    probabilities = rng.dirichlet(np.ones(successors), (n_states, actions, actions))
    return StochasticGame(np.stack([r0, -r0]), nexts, probabilities, discount, name=f"random-{n_states}")


def timed(call: Callable[[], SolveResult], repeats: int) -> tuple[float, SolveResult]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


# -- the baseline ------------------------------------------------------------------------------------------------


def linprog_shapley(game: StochasticGame, tol: float, cap: float) -> tuple[float, int, tuple[np.ndarray, ...], bool]:
    """Textbook Shapley value iteration, one scipy ``linprog`` per state per sweep: ``(seconds, sweeps, profile,
    finished)``; stops after ``cap`` seconds with ``finished=False``."""
    from scipy.optimize import linprog

    start = time.perf_counter()
    n, m, k = game.n_states, game.max_actions[0], game.max_actions[1]
    beta = game.discount
    threshold = tol * (1 - beta) / (2 * beta)
    v = np.zeros(n)
    x, y = np.zeros((n, m)), np.zeros((n, k))
    cost = np.zeros(m + 1)
    cost[-1] = -1.0
    a_eq = np.concatenate([np.ones(m), [0.0]])[None]
    bounds = [(0, None)] * m + [(None, None)]
    sweeps = 0
    while True:
        q = game.rewards[0] + beta * np.einsum("sabk,sabk->sab", game.probabilities, v[game.successors])
        new = np.empty(n)
        for s in range(n):
            a_ub = np.hstack([-q[s].T, np.ones((k, 1))])
            res = linprog(cost, A_ub=a_ub, b_ub=np.zeros(k), A_eq=a_eq, b_eq=[1.0], bounds=bounds, method="highs")
            x[s] = np.clip(res.x[:m], 0, None)
            y[s] = np.clip(-res.ineqlin.marginals, 0, None)
            new[s] = res.x[m]
        sweeps += 1
        change = float(np.ptp(new - v))  # the span rule of shapley_solve (MacQueen's bounds)
        v = new
        if change <= threshold:
            finished = True
            break
        if time.perf_counter() - start >= cap:
            finished = False
            break
    seconds = time.perf_counter() - start
    profile = (x / x.sum(axis=1, keepdims=True), y / y.sum(axis=1, keepdims=True))
    return seconds, sweeps, profile, finished


def openspiel_game(game: StochasticGame) -> Any:
    """``game`` as a pyspiel game that OpenSpiel's value iteration can take: simultaneous decision nodes ``s{i}``,
    then a chance node that stops with probability ``1 - beta`` at a terminal node paying ``r / (1 - beta)`` (so
    the expected payoff of a step is ``r``) and otherwise moves on with probability ``beta P(s' | s, a)``."""
    import pyspiel

    beta, k = game.discount, game.successors.shape[-1]
    bound = float(np.abs(game.rewards).max()) / (1.0 - beta)
    game_type = pyspiel.GameType(
        short_name="equilibria_stochastic", long_name="equilibria stochastic game",
        dynamics=pyspiel.GameType.Dynamics.SIMULTANEOUS,
        chance_mode=pyspiel.GameType.ChanceMode.EXPLICIT_STOCHASTIC,
        information=pyspiel.GameType.Information.PERFECT_INFORMATION,
        utility=pyspiel.GameType.Utility.ZERO_SUM, reward_model=pyspiel.GameType.RewardModel.TERMINAL,
        max_num_players=2, min_num_players=2, provides_information_state_string=False,
        provides_information_state_tensor=False, provides_observation_string=False,
        provides_observation_tensor=False, provides_factored_observation_string=False, parameter_specification={})

    class State(pyspiel.State):
        def __init__(self, owner: Any) -> None:
            super().__init__(owner)
            self.state, self.a, self.b, self.moved, self.stopped = 0, 0, 0, False, False

        def current_player(self) -> int:
            if self.stopped:
                return int(pyspiel.PlayerId.TERMINAL)
            return int(pyspiel.PlayerId.CHANCE if self.moved else pyspiel.PlayerId.SIMULTANEOUS)

        def _legal_actions(self, player: int) -> list[int]:
            return list(range(game.max_actions[player]))

        def chance_outcomes(self) -> list[tuple[int, float]]:
            p = game.probabilities[self.state, self.a, self.b]
            return [(j, beta * float(p[j])) for j in range(k) if p[j] > 0] + [(k, 1.0 - beta)]

        def _apply_actions(self, actions: list[int]) -> None:
            self.a, self.b, self.moved = int(actions[0]), int(actions[1]), True

        def _apply_action(self, outcome: int) -> None:
            if outcome == k:
                self.stopped = True
            else:
                self.state = int(game.successors[self.state, self.a, self.b, outcome])
                self.moved = False

        def is_terminal(self) -> bool:
            return self.stopped

        def returns(self) -> list[float]:
            if not self.stopped:
                return [0.0, 0.0]
            payoff = float(game.rewards[0, self.state, self.a, self.b]) / (1.0 - beta)
            return [payoff, -payoff]

        def __str__(self) -> str:
            if self.stopped:
                return f"T{self.state},{self.a},{self.b}"
            return f"c{self.state},{self.a},{self.b}" if self.moved else f"s{self.state}"

    class Game(pyspiel.Game):
        def __init__(self) -> None:
            super().__init__(game_type, pyspiel.GameInfo(
                num_distinct_actions=max(game.max_actions), max_chance_outcomes=k + 1, num_players=2,
                min_utility=-bound, max_utility=bound, utility_sum=0.0, max_game_length=10**9), {})

        def new_initial_state(self) -> State:
            return State(self)

    return Game()


def run_openspiel(game: StochasticGame, tol: float, ours_sweeps: int, full: bool) -> Row:
    """OpenSpiel's value iteration on :func:`openspiel_game`: run to its threshold (sup-norm change of an in-place
    sweep) when ``full``; otherwise one sweep (a threshold no change exceeds) timed and multiplied by the sweeps
    equilibria's iteration needed (an estimate that favours OpenSpiel: a sup-norm rule needs more sweeps than the
    span rule). OpenSpiel returns values only: the profile certified is the stage equilibria at its values,
    computed afterwards (untimed) by equilibria's stage solver."""
    from open_spiel.python.algorithms.get_all_states import get_all_states
    from open_spiel.python.algorithms.value_iteration import _initialize_maps, value_iteration

    spiel = openspiel_game(game)
    beta = game.discount
    # Not full: a threshold above any change (values are at most max |r| / (1 - beta)) ends it after one sweep.
    bound = float(np.abs(game.rewards).max()) / (1.0 - beta)
    threshold = 4.0 * bound + 1.0 if not full else max(tol * (1 - beta) / (2 * beta), OPENSPIEL_THRESHOLD)
    # get_all_states explores depth-first, one recursion level per step of play: a deep stack and recursion limit.
    found: dict[str, Any] = {}
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 50 * game.n_states + 1000))
    threading.stack_size(1 << 29)

    def setup() -> None:  # what value_iteration does before its first sweep
        _initialize_maps(get_all_states(spiel, -1, True, False, to_string=str, stop_if_encountered=True), {}, {})

    def solve() -> None:
        found.update(values=value_iteration(spiel, -1, threshold, cyclic_game=True))

    def in_thread(target: Callable[[], None]) -> float:
        worker = threading.Thread(target=target)
        clock = time.perf_counter()
        worker.start()
        worker.join()
        return time.perf_counter() - clock

    try:
        if not full:
            set_up = in_thread(setup)
            sweep = max(in_thread(solve) - set_up, 0.0)  # the set-up again, then one sweep
            return Row(game.n_states, "OpenSpiel value_iteration", set_up + sweep * ours_sweeps, 0, None,
                       f"*estimated*: set-up {fmt_seconds(set_up)} + one sweep {fmt_seconds(sweep)} x {ours_sweeps} "
                       "sweeps")
        seconds = in_thread(solve)
    finally:
        threading.stack_size(0)
        sys.setrecursionlimit(limit)
    values = found["values"]
    v = np.array([values.get(f"s{s}", 0.0) for s in range(game.n_states)])
    stage = solve_stage_games(row_continuation(game, v), game.n_actions[:, 0], game.n_actions[:, 1], None)
    gap = exploitability(game, (stage.x / stage.x.sum(1, keepdims=True), stage.y / stage.y.sum(1, keepdims=True)))
    return Row(game.n_states, "OpenSpiel value_iteration", seconds, 0, gap,
               "ran to its threshold; stage LPs by cvxpy (ECOS); exploitability of the stage equilibria at "
               "its values")


def openspiel_usable() -> bool:
    """OpenSpiel's value iteration imports (it needs cvxpy) and its LP solver, ECOS, is installed."""
    if not library_available("open_spiel"):
        return False
    try:
        import cvxpy
        from open_spiel.python.algorithms import value_iteration  # noqa: F401
    except ImportError:
        return False
    return "ECOS" in cvxpy.installed_solvers()


def openspiel_status() -> str:
    if openspiel_usable():
        return ("OpenSpiel's value_iteration takes games with terminal utilities only, undiscounted; the random "
                "games are handed to it as pyspiel games that stop with probability 1 - beta after every step at "
                "a terminal paying r / (1 - beta) (the same values). It is run with a sup-norm threshold of "
                f"{OPENSPIEL_THRESHOLD:g} on its in-place sweeps (its cvxpy/ECOS stage LPs leave about 1e-9 of noise "
                "in the values, and its loop never ends below that); it returns values only, so the exploitability "
                "shown is that of the stage equilibria at its values.")
    return ("OpenSpiel's value_iteration could not run here: it needs open_spiel, cvxpy and ecos "
            "(not all in the bench extra). Compared with the NumPy + scipy linprog baseline instead.")


# -- the run -----------------------------------------------------------------------------------------------------


def run_size(config: Config, n_states: int, log: Callable[[str], None]) -> list[Row]:
    game = random_game(n_states, config.actions, config.successors, config.discount, config.seed)
    rows = []
    solvers: tuple[tuple[str, Callable[..., SolveResult]], ...] = (
        ("equilibria shapley_solve", shapley_solve), ("equilibria hoffman_karp_solve", hoffman_karp_solve))
    for name, solver in solvers:
        seconds, result = timed(partial(solver, game, tol=config.tol), config.repeats)
        rows.append(Row(n_states, name, seconds, result.iterations, float(result.certificate[0]),
                        f"converged={result.converged}, LP calls {result.parameters['lp_calls']}"))
        log(f"{n_states} states: {name} {fmt_seconds(seconds)}")
    ours_sweeps = rows[0].sweeps
    seconds, sweeps, profile, finished = linprog_shapley(game, config.tol, config.baseline_cap)
    gap = exploitability(game, profile)
    if finished:
        rows.append(Row(n_states, "NumPy + scipy linprog", seconds, sweeps, gap, "ran to the stopping rule"))
    else:
        estimate = seconds / sweeps * ours_sweeps
        rows.append(Row(n_states, "NumPy + scipy linprog", estimate, sweeps, None,
                        f"*estimated*: capped at {config.baseline_cap:g} s after {sweeps} sweeps "
                        f"({fmt_seconds(seconds / sweeps)} per sweep) x {ours_sweeps} sweeps"))
    log(f"{n_states} states: baseline {fmt_seconds(rows[-1].seconds)}")
    if openspiel_usable():
        rows.append(run_openspiel(game, config.tol, ours_sweeps, n_states <= config.openspiel_full_states))
        log(f"{n_states} states: OpenSpiel {fmt_seconds(rows[-1].seconds)}")
    return rows


def targets(report: Report) -> list[list[str]]:
    out = []
    for n in report.config.sizes:
        ours = next(r for r in report.rows if r.states == n and r.implementation == "equilibria shapley_solve")
        peers = [r for r in report.rows if r.states == n and not r.implementation.startswith("equilibria")]
        fastest = min(peers, key=lambda r: r.seconds or math.inf)
        ratio = (fastest.seconds or math.nan) / (ours.seconds or math.nan)
        certified = ours.exploitability is not None and ours.exploitability <= report.config.tol
        out.append([f"Shapley VI, {n} states, 5x5: >= {SPEEDUP_TARGET:.0f}x faster than the fastest peer, "
                    f"exploitability <= {report.config.tol:g}",
                    f"{ratio:.1f}x vs {fastest.implementation}, exploitability {ours.exploitability:.1e}",
                    met(ratio >= SPEEDUP_TARGET and certified)])
    return out


def render(report: Report) -> str:
    c = report.config
    lines = [
        MARKERS[0],
        "## Zero-sum stochastic games: Shapley value iteration",
        "",
        command_line(report.command, f"{c.label} configuration, seed {c.seed}, repeats {c.repeats}", report.started,
                     report.seconds),
        machine_line(),
        versions_line("numpy", "scipy", "open_spiel"),
        f"- Games: random zero-sum, {c.actions}x{c.actions} actions per state, {c.successors} successors per joint "
        f"action, discount {c.discount}; time to exploitability {c.tol:g} (payoff units), median of {c.repeats}.",
        "",
        "### Targets",
        "",
        *table(["target", "measured", "status"], targets(report)),
        "",
        "### Times",
        "",
    ]
    body = []
    for r in report.rows:
        ours = next(o for o in report.rows if o.states == r.states and o.implementation == "equilibria shapley_solve")
        ratio = f"{r.seconds / ours.seconds:.1f}" if (r.seconds and ours.seconds) else "-"
        body.append([str(r.states), r.implementation, fmt_seconds(r.seconds), str(r.sweeps) if r.sweeps else "-",
                     "-" if r.exploitability is None else f"{r.exploitability:.1e}", ratio, r.note])
    lines += table(["states", "implementation", "time", "sweeps / improvements (- : not reported)", "exploitability",
                    "this / equilibria Shapley", "notes"], body)
    lines += ["", f"OpenSpiel: {report.openspiel}", "", MARKERS[1], ""]
    return "\n".join(lines)


def run_benchmark(config: Config, command: str, log: Callable[[str], None] = lambda _: None) -> Report:
    clock = time.perf_counter()
    report = Report(config, command, utc_minute(), 0.0)
    shapley_solve(random_game(5, config.actions, config.successors, config.discount, config.seed))  # warm-up
    for n in config.sizes:
        report.rows += run_size(config, n, log)
    report.openspiel = openspiel_status()
    report.seconds = time.perf_counter() - clock
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = benchmark_parser(__doc__, "stochastic", "100 states only, one repeat, baseline capped at 30 s")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args(argv)
    config = QUICK if args.quick else FULL
    if args.repeats is not None:
        config = Config(**{**config.__dict__, "repeats": args.repeats})
    report = publish_section("stochastic.py", argv, lambda command: run_benchmark(config, command, log=log_to_stderr),
                             render, args.write, MARKERS)
    return 0 if not math.isnan(report.seconds) else 1


if __name__ == "__main__":
    sys.exit(main())
