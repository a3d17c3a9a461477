"""Throughput of the credit-assignment learners: batched JAX policy gradient against a plain NumPy loop.

equilibria's learners (:mod:`equilibria.applications.marl.credit`) run every seed as one ``jax.vmap``-ed stream and
every update inside one ``lax.scan`` in one compiled program. The reference is the same learner written as a plain
NumPy loop (vectorised over the agents, one update at a time, one seed after another): the same softmax policies,
the same sampled joint action per update, the same team reward and counterfactual rewards, the same advantage and
logit step. The NumPy loop computes only the estimator being timed, while the compiled program computes the four and
keeps one (so one program serves a sweep over estimators): the comparison favours NumPy.

Unit: agent-steps per second, ``n_agents x seeds x updates / seconds`` (in the box-lifting game an update is one
episode of ``horizon`` steps: ``n_agents x seeds x episodes x horizon``). equilibria is compiled once untimed (its
compile time reported apart) and timed ``repeats`` times (median); NumPy runs ``numpy_seeds`` seeds ``repeats``
times (median).

Usage::

    python benchmarks/cooperative.py [--quick] [--seeds N] [--steps T] [--repeats R] [--write BENCHMARKS.md]
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import jax
import numpy as np

if __package__ in (None, ""):  # run as a script: make the sibling modules importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._publish import (  # noqa: E402
    benchmark_parser,
    command_line,
    log_to_stderr,
    machine_line,
    publish_section,
    table,
    utc_minute,
    versions_line,
)
from equilibria.applications.marl import cooperative, credit  # noqa: E402
from equilibria.applications.marl.base import env  # noqa: E402


@dataclass(frozen=True)
class Config:
    seeds: int = 1_000
    steps: int = 2_000
    numpy_seeds: int = 4
    numpy_steps: int = 500
    repeats: int = 3
    estimator: str = "coma"
    horizon: int = 4
    seed: int = 0


FULL = Config()
QUICK = Config(seeds=500, steps=500, numpy_seeds=2, numpy_steps=200, repeats=2)
TINY = Config(seeds=8, steps=20, numpy_seeds=1, numpy_steps=10, repeats=1)
MARKERS = ("<!-- cooperative:begin -->", "<!-- cooperative:end -->")


@dataclass(frozen=True)
class Row:
    game: str
    n_agents: int
    ours: float  # agent-steps per second
    compile_seconds: float
    numpy: float

    @property
    def ratio(self) -> float:
        return self.ours / self.numpy


# ------------------------------------------------------------------------------------------------------------
# The plain NumPy reference
# ------------------------------------------------------------------------------------------------------------


def numpy_table(game: cooperative.TeamGame) -> tuple[bool, np.ndarray]:
    """``(is a count game, its table)`` in NumPy float64: the count values or the dense payoff (converted once, so
    the loop never touches JAX arrays)."""
    if isinstance(game, cooperative.CountTeamGame):
        return True, np.asarray(game.values, np.float64)
    return False, np.asarray(game.payoff, np.float64)


def numpy_counterfactuals(table: tuple[bool, np.ndarray], actions: np.ndarray) -> tuple[float, np.ndarray]:
    """The team reward and ``[n_agents, n_actions]`` counterfactual rewards of ``actions`` (``table`` from
    :func:`numpy_table`), in NumPy."""
    count, values = table
    if count:
        others = actions.sum() - actions
        return float(values[actions.sum()]), np.stack([values[others], values[others + 1]], axis=1)
    rows = [np.moveaxis(values, i, -1)[tuple(np.delete(actions, i))] for i in range(values.ndim)]
    return float(values[tuple(actions)]), np.stack(rows)


def numpy_advantages(estimator: str, reward: float, counterfactual: np.ndarray, pi: np.ndarray, default: int,
                     baseline: float) -> np.ndarray:
    if estimator == "reinforce":
        return np.full(len(pi), reward)
    if estimator == "value":
        return np.full(len(pi), reward - baseline)
    if estimator == "difference":
        return reward - counterfactual[:, default]
    return reward - (pi * counterfactual).sum(axis=1)


def numpy_one_shot(game: cooperative.TeamGame, estimator: str, learning_rate: float, steps: int,
                   rng: np.random.Generator, baseline_rate: float = 0.05) -> np.ndarray:
    """One seed of :func:`~equilibria.applications.marl.credit.policy_gradient` (batch 1): final policies."""
    logits = np.zeros((game.n_agents, game.n_actions))
    baseline, default, tables = 0.0, int(game.default), numpy_table(game)
    rows = np.arange(game.n_agents)
    for _ in range(steps):
        pi = np.exp(logits - logits.max(axis=1, keepdims=True))
        pi /= pi.sum(axis=1, keepdims=True)
        # Inverse-CDF sampling of every agent's action at once.
        actions = np.minimum((rng.random((game.n_agents, 1)) > pi.cumsum(axis=1)).sum(axis=1), game.n_actions - 1)
        reward, counterfactual = numpy_counterfactuals(tables, actions)
        adv = numpy_advantages(estimator, reward, counterfactual, pi, default, baseline)
        score = -pi
        score[rows, actions] += 1.0
        logits += learning_rate * adv[:, None] * score
        baseline += baseline_rate * (reward - baseline)
    return credit.softmax(logits)


def numpy_episodic(game: Any, estimator: str, learning_rate: float, episodes: int, horizon: int,
                   rng: np.random.Generator, critic_rate: float = 0.1, default: int = 0) -> np.ndarray:
    """One seed of :func:`~equilibria.applications.marl.credit.episodic_policy_gradient`: final policies."""
    reward_table = np.asarray(game.rewards[0], np.float64)
    n, n_states, m = game.n_players, game.n_states, int(game.max_actions[0])
    logits = np.zeros((n, n_states, m))
    q, v = np.zeros((n_states, m, m)), np.zeros(n_states)
    rows = np.arange(n)
    gamma = game.discount
    for _ in range(episodes):
        pi = np.exp(logits - logits.max(axis=-1, keepdims=True))
        pi /= pi.sum(axis=-1, keepdims=True)
        s = int(rng.choice(n_states, p=game.initial))
        trace = []
        for _t in range(horizon):
            if game.terminal[s]:
                break
            u = np.minimum((rng.random((n, 1)) > pi[:, s].cumsum(axis=1)).sum(axis=1), m - 1)
            nxt = int(rng.choice(game.successors[(s, *u)], p=game.probabilities[(s, *u)]))
            trace.append((s, u, reward_table[(s, *u)]))
            s = nxt
        rewards = np.array([r for _, _, r in trace])
        grad = np.zeros_like(logits)
        for t, (s_t, u, _) in enumerate(trace):
            tail = gamma ** np.arange(len(trace) - t)
            ret = tail @ rewards[t:]
            if estimator == "difference":
                cf = np.array([numpy_counterfactuals((False, reward_table[s2]), u2)[1][:, default]
                               for s2, u2, _ in trace[t:]])
                adv = tail @ (rewards[t:, None] - cf)
            elif estimator == "coma":
                q_taken, cf = numpy_counterfactuals((False, q[s_t]), u)
                adv = q_taken - (pi[:, s_t] * cf).sum(axis=1)
            else:
                adv = np.full(n, ret - (v[s_t] if estimator == "value" else 0.0))
            score = -pi[:, s_t]
            score[rows, u] += 1.0
            grad[:, s_t] += gamma**t * adv[:, None] * score
        for t, (s_t, u, _) in enumerate(trace):
            ret = (gamma ** np.arange(len(trace) - t)) @ rewards[t:]
            q[(s_t, *u)] += critic_rate * (ret - q[(s_t, *u)])
            v[s_t] += critic_rate * (ret - v[s_t])
        logits += learning_rate * grad
    return credit.softmax(logits)


# ------------------------------------------------------------------------------------------------------------
# Timing
# ------------------------------------------------------------------------------------------------------------


def settings() -> list[tuple[str, Any, float]]:
    """``(name, game, learning rate)``: the coordination game at N = 10 and 100, the climbing game, box lifting."""
    return [("coordination, N=10", cooperative.coordination(10), 20.0),
            ("coordination, N=100", cooperative.coordination(100), 20.0),
            ("climbing", cooperative.climbing(), 0.1),
            ("box lifting (episodes)", cooperative.box_lifting(), 0.2)]


def _median_seconds(run: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def time_setting(name: str, game: Any, learning_rate: float, config: Config) -> Row:
    episodic = not isinstance(game, cooperative.MatrixTeamGame | cooperative.CountTeamGame)
    if episodic:
        learner = credit.episodic_policy_gradient(config.estimator, horizon=config.horizon, learning_rate=learning_rate)
        target, n_agents, per_update = env(game), game.n_players, config.horizon
    else:
        learner = credit.policy_gradient(config.estimator, learning_rate=learning_rate)
        target, n_agents, per_update = game, game.n_agents, 1

    def ours() -> None:
        credit.train(target, learner, config.seed, seeds=config.seeds, steps=config.steps)

    started = time.perf_counter()
    ours()  # compiles
    first = time.perf_counter() - started
    seconds = _median_seconds(ours, config.repeats)

    def plain() -> None:
        for k in range(config.numpy_seeds):
            rng = np.random.default_rng([config.seed, k])
            if episodic:
                numpy_episodic(game, config.estimator, learning_rate, config.numpy_steps, config.horizon, rng)
            else:
                numpy_one_shot(game, config.estimator, learning_rate, config.numpy_steps, rng)

    numpy_seconds = _median_seconds(plain, config.repeats)
    numpy_work = n_agents * config.numpy_seeds * config.numpy_steps * per_update
    return Row(name, n_agents, n_agents * config.seeds * config.steps * per_update / seconds,
               max(0.0, first - seconds), numpy_work / numpy_seconds)


@dataclass(frozen=True)
class Report:
    rows: list[Row]
    config: Config
    command: str
    started: str
    seconds: float


def run_benchmark(config: Config, *, log: Callable[[str], None] = lambda _: None) -> list[Row]:
    rows = []
    for name, game, learning_rate in settings():
        log(f"{name}")
        rows.append(time_setting(name, game, learning_rate, config))
    return rows


def render(report: Report) -> str:
    config = report.config
    body = [[r.game, str(r.n_agents), f"{r.ours:,.0f}", f"{r.compile_seconds:.2f} s", f"{r.numpy:,.0f}",
             f"{r.ratio:,.0f}x"] for r in report.rows]
    return "\n".join([
        MARKERS[0], "## Credit-assignment learners: batched JAX against a plain NumPy loop (benchmarks/cooperative.py)",
        "", command_line(report.command, f"estimator {config.estimator}; {config.seeds:,} seeds x {config.steps:,} "
                         f"updates; NumPy {config.numpy_seeds} seeds x {config.numpy_steps:,} updates; repeats "
                         f"{config.repeats}", report.started, report.seconds),
        machine_line(f"JAX backend {jax.default_backend()}"), versions_line("jax", "numpy"),
        "- Unit: agent-steps per second (module docstring): equilibria's seeds vmapped and scanned in one compiled "
        "program (compile time apart), the NumPy loop one update at a time, vectorised over agents; median of the "
        "repeats. Box lifting: one update is an episode of "
        f"{config.horizon} steps.", "",
        *table(["game", "agents", "equilibria agent-steps/s", "compile", "NumPy loop agent-steps/s", "ratio"], body),
        "", MARKERS[1], ""])


def main(argv: list[str] | None = None) -> None:
    parser = benchmark_parser(__doc__, "cooperative", "fewer seeds and updates")
    parser.add_argument("--seeds", type=int)
    parser.add_argument("--steps", type=int)
    parser.add_argument("--repeats", type=int)
    args = parser.parse_args(argv)
    config = QUICK if args.quick else FULL
    overrides = {k: v for k, v in (("seeds", args.seeds), ("steps", args.steps), ("repeats", args.repeats))
                 if v is not None}
    config = replace(config, **overrides)

    def run(command: str) -> Report:
        started, clock = utc_minute(), time.perf_counter()
        rows = run_benchmark(config, log=log_to_stderr)
        return Report(rows, config, command, started, time.perf_counter() - clock)

    publish_section("cooperative.py", argv, run, render, args.write, MARKERS)


if __name__ == "__main__":
    main()
