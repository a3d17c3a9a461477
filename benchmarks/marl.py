"""Throughput of equilibria's batched tabular multi-agent learners, side by side with OpenSpiel's Python learners.

The unit is the **agent-step**: one agent choosing an action and learning from its outcome. equilibria runs
``seeds`` independent streams at once (``jax.vmap`` of a ``lax.scan``, one compiled program:
:func:`equilibria.applications.marl.run.advance_streams`), so a run of ``steps`` steps of a two-player game is
``2 * seeds * steps`` agent-steps. OpenSpiel's tabular agents (``tabular_qlearner.QLearner``,
``boltzmann_tabular_qlearner.BoltzmannQLearner``, ``wolf_phc.WoLFPHC``) play the same matrix game through
``rl_environment.Environment(pyspiel.create_matrix_game(...))``: one episode is one play of the game, each agent
acts once and learns once, so an episode is 2 agent-steps. equilibria plays the same game as a one-state stochastic
game with discount 0 (the same Q-targets: the reward). Both sides use the same hyperparameters (step size 0.1,
epsilon 0.1 or temperature 1); OpenSpiel's WoLF-PHC keeps its default step-size schedules (the same work per step).

Nash-Q and correlated-Q (equilibria's ``nash_q``, ``correlated_q``: a stage game solved at every update, batched in
JAX) face OpenSpiel's ``tabular_multiagent_qlearner.MultiagentQLearner`` with its ``TwoPlayerNashSolver`` (nashpy)
and ``CorrelatedEqSolver`` (cvxpy), each of the two agents a joint learner as in OpenSpiel's own tests; they solve a
stage game per update too, so they run ``joint_episodes`` episodes, on the 2 x 2 game only (on 8 x 8 nashpy's
support enumeration takes minutes per run, and ours, batched over 1,000 streams, more memory than the machine has).

Timing: equilibria's program is compiled once untimed (its compile time is reported apart) and timed ``repeats``
times (median); OpenSpiel runs ``episodes`` episodes ``repeats`` times (median). The learners without an OpenSpiel
counterpart here (friend-Q, joint-action learners, independent policy gradient) are timed on our side only.

Usage::

    python benchmarks/marl.py [--quick] [--seeds N] [--steps T] [--episodes E] [--repeats R] [--write BENCHMARKS.md]
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

from benchmarks._harness import library_available  # noqa: E402
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
from equilibria.applications.marl.base import Learner, env  # noqa: E402
from equilibria.applications.marl.independent import friend_q, independent_q, wolf_phc  # noqa: E402
from equilibria.applications.marl.joint_action import joint_action_learner  # noqa: E402
from equilibria.applications.marl.policy_gradient import independent_pg  # noqa: E402
from equilibria.applications.marl.run import advance_streams, seed_keys, start_streams  # noqa: E402
from equilibria.applications.marl.stage_q import correlated_q, nash_q  # noqa: E402
from equilibria.games.stochastic import StochasticGame  # noqa: E402

TARGET = 100.0  # equilibria agent-steps per second / OpenSpiel's


@dataclass(frozen=True)
class Config:
    seeds: int = 1_000
    steps: int = 5_000
    episodes: int = 20_000
    joint_episodes: int = 300
    repeats: int = 3
    seed: int = 0


FULL = Config()
QUICK = Config(seeds=1_000, steps=1_000, episodes=5_000, joint_episodes=100, repeats=2)
TINY = Config(seeds=10, steps=50, episodes=50, joint_episodes=10, repeats=1)
MARKERS = ("<!-- marl:begin -->", "<!-- marl:end -->")


@dataclass(frozen=True)
class Row:
    learner: str
    game: str
    ours: float  # agent-steps per second
    compile_seconds: float
    peer: float | None  # OpenSpiel agent-steps per second, None without a counterpart or without OpenSpiel
    peer_name: str

    @property
    def ratio(self) -> float | None:
        return None if self.peer is None else self.ours / self.peer


def matrix_games(seed: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """``(name, row payoffs, column payoffs)``: the prisoner's dilemma and a random 8 x 8 general-sum game."""
    rng = np.random.default_rng(seed)
    pd_row = np.array([[3.0, 0.0], [5.0, 1.0]])
    return [("prisoner's dilemma 2x2", pd_row, pd_row.T.copy()),
            ("random 8x8", rng.uniform(-1, 1, (8, 8)), rng.uniform(-1, 1, (8, 8)))]


def one_state_game(row: np.ndarray, column: np.ndarray) -> StochasticGame:
    rewards = np.stack([row, column])[:, None]
    return StochasticGame.from_dense(rewards, np.ones((1, *row.shape, 1)), 0.0)


def time_ours(game: StochasticGame, learner: Learner, config: Config) -> tuple[float, float]:
    """(agent-steps per second, compile seconds) of ``seeds`` streams for ``steps`` steps."""
    environment = env(game)
    carry = start_streams(environment, seed_keys(jax.random.PRNGKey(config.seed), config.seeds), learner)
    jax.block_until_ready(carry)
    started = time.perf_counter()
    jax.block_until_ready(advance_streams(environment, carry, learner, config.steps))  # compiles
    compile_seconds = time.perf_counter() - started
    times = []
    for _ in range(config.repeats):
        started = time.perf_counter()
        jax.block_until_ready(advance_streams(environment, carry, learner, config.steps))
        times.append(time.perf_counter() - started)
    agent_steps = game.n_players * config.seeds * config.steps
    return agent_steps / statistics.median(times), max(0.0, compile_seconds - statistics.median(times))


def time_openspiel(row: np.ndarray, column: np.ndarray, make_agent: Callable[[int, int], Any],
                   config: Config, joint: bool = False) -> float:
    """OpenSpiel agent-steps per second: ``episodes`` plays of the matrix game by two fresh agents (``joint``: its
    multi-agent Q-learners, which are told the joint action and run ``joint_episodes``)."""
    import pyspiel
    from open_spiel.python import rl_environment

    n_rows, n_cols = row.shape
    game = pyspiel.create_matrix_game("bench", "bench", [f"r{i}" for i in range(n_rows)],
                                      [f"c{j}" for j in range(n_cols)], row.tolist(), column.tolist())
    episodes = config.joint_episodes if joint else config.episodes
    times = []
    for _ in range(config.repeats):
        environment = rl_environment.Environment(game, seed=config.seed)
        agents = [make_agent(0, n_rows), make_agent(1, n_cols)]
        started = time.perf_counter()
        actions = [0, 0]
        for _ in range(episodes):
            time_step = environment.reset()
            actions = [(agent.step(time_step, actions) if joint else agent.step(time_step)).action
                       for agent in agents]
            time_step = environment.step(actions)
            for agent in agents:
                agent.step(time_step, actions) if joint else agent.step(time_step)
        times.append(time.perf_counter() - started)
    return 2 * episodes / statistics.median(times)


def openspiel_agents() -> dict[str, tuple[str, Callable[[int, int], Any]]]:
    """Our learner name -> (OpenSpiel class, factory(player, n_actions)) with the same hyperparameters."""
    from open_spiel.python import rl_tools
    from open_spiel.python.algorithms import boltzmann_tabular_qlearner, tabular_qlearner
    from open_spiel.python.algorithms import tabular_multiagent_qlearner as joint
    from open_spiel.python.algorithms import wolf_phc as os_wolf

    def joint_agent(solver: Any) -> Callable[[int, int], Any]:
        # Both players' action counts: the benchmark's games are square.
        return lambda p, n: joint.MultiagentQLearner(p, 2, [n, n], solver, step_size=0.1, discount_factor=0.0,
                                                      epsilon_schedule=rl_tools.ConstantSchedule(0.1))

    return {
        "nash-q": ("MultiagentQLearner(TwoPlayerNashSolver)", joint_agent(joint.TwoPlayerNashSolver())),
        "correlated-q": ("MultiagentQLearner(CorrelatedEqSolver)", joint_agent(joint.CorrelatedEqSolver())),
        "independent-q (epsilon 0.1)": ("tabular_qlearner.QLearner", lambda p, n: tabular_qlearner.QLearner(
            p, n, step_size=0.1, epsilon_schedule=rl_tools.ConstantSchedule(0.1), discount_factor=0.0)),
        "independent-q (Boltzmann T=1)": ("boltzmann_tabular_qlearner.BoltzmannQLearner",
                                          lambda p, n: boltzmann_tabular_qlearner.BoltzmannQLearner(
                                              p, n, step_size=0.1, discount_factor=0.0,
                                              temperature_schedule=rl_tools.ConstantSchedule(1.0))),
        "wolf-phc": ("wolf_phc.WoLFPHC", lambda p, n: os_wolf.WoLFPHC(
            p, n, epsilon_schedule=rl_tools.ConstantSchedule(0.05), discount_factor=0.0)),
    }


def learners() -> list[tuple[str, Learner]]:
    return [
        ("independent-q (epsilon 0.1)", independent_q(learning_rate=0.1, epsilon=0.1)),
        ("independent-q (Boltzmann T=1)", independent_q(learning_rate=0.1, exploration="boltzmann",
                                                        temperature=1.0)),
        ("wolf-phc", wolf_phc()),
        ("friend-q", friend_q()),
        ("joint-action-learner", joint_action_learner()),
        ("independent-pg", independent_pg()),
        ("nash-q", nash_q()),
        ("correlated-q", correlated_q()),
    ]


JOINT = ("nash-q", "correlated-q")


@dataclass(frozen=True)
class Report:
    rows: list[Row]
    config: Config
    command: str
    started: str
    seconds: float


def run_benchmark(config: Config, *, log: Callable[[str], None] = lambda _: None) -> list[Row]:
    peers = openspiel_agents() if library_available("open_spiel") and library_available("cvxpy") else {}
    rows = []
    for game_name, row, column in matrix_games(config.seed):
        game = one_state_game(row, column)
        for name, learner in learners():
            if name in JOINT and row.size > 4:
                # Both sides solve a stage game at every update: nashpy enumerates supports in Python (minutes on
                # 8 x 8), and our batched enumeration holds all 12,870 support pairs of each of the 1,000 streams
                # at once (more memory than this machine has). Timed on the 2 x 2 game only.
                continue
            log(f"{name} on {game_name}")
            ours, compile_seconds = time_ours(game, learner, config)
            peer_name, make = peers.get(name, ("-", None))
            peer = None if make is None else time_openspiel(row, column, make, config, joint=name in JOINT)
            rows.append(Row(name, game_name, ours, compile_seconds, peer, peer_name))
    return rows


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def render(report: Report) -> str:
    config = report.config
    body = []
    for r in report.rows:
        ratio = r.ratio
        met = "-" if ratio is None else ("**met**" if ratio >= TARGET else "not met")
        body.append([r.learner, r.game, _rate(r.ours), f"{r.compile_seconds:.2f} s", r.peer_name, _rate(r.peer),
                     "-" if ratio is None else f"{ratio:,.0f}x", met])
    return "\n".join([
        MARKERS[0], "## Multi-agent learners: batched tabular learners against OpenSpiel (benchmarks/marl.py)", "",
        command_line(report.command, f"{config.seeds:,} seeds x {config.steps:,} steps; OpenSpiel {config.episodes:,} "
                     f"episodes, its joint learners {config.joint_episodes:,}; repeats {config.repeats}",
                     report.started, report.seconds),
        machine_line(f"JAX backend {jax.default_backend()}"), versions_line("jax", "open_spiel", "nashpy", "cvxpy"),
        "- Unit: agent-steps per second (module docstring): equilibria's seeds vmapped and scanned in one compiled "
        "program (compile time apart), OpenSpiel's Python agents playing the same matrix game episode by episode; "
        "median of the repeats. Target (issue 17): >= 100x OpenSpiel's Python learners.", "",
        *table(["learner", "game", "equilibria agent-steps/s", "compile", "OpenSpiel learner",
                "OpenSpiel agent-steps/s", "ratio", f">= {TARGET:g}x"], body), "",
        MARKERS[1], ""])


def main(argv: list[str] | None = None) -> None:
    parser = benchmark_parser(__doc__, "marl", "fewer steps and episodes")
    parser.add_argument("--seeds", type=int)
    parser.add_argument("--steps", type=int)
    parser.add_argument("--episodes", type=int)
    parser.add_argument("--repeats", type=int)
    args = parser.parse_args(argv)
    config = QUICK if args.quick else FULL
    overrides = {k: v for k, v in (("seeds", args.seeds), ("steps", args.steps), ("episodes", args.episodes),
                                   ("repeats", args.repeats)) if v is not None}
    config = replace(config, **overrides)

    def run(command: str) -> Report:
        started, clock = utc_minute(), time.perf_counter()
        rows = run_benchmark(config, log=log_to_stderr)
        return Report(rows, config, command, started, time.perf_counter() - clock)

    publish_section("marl.py", argv, run, render, args.write, MARKERS)


if __name__ == "__main__":
    main()
