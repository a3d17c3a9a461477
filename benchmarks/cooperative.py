"""Throughput of the cooperative learners: batched JAX against a plain NumPy loop.

equilibria's learners run every seed as one ``jax.vmap``-ed stream and every update inside one ``lax.scan`` in one
compiled program: the credit-assignment learners (:mod:`equilibria.applications.marl.credit`), the Lewis signaling
learners (Roth-Erev urns and REINFORCE, :mod:`equilibria.applications.marl.signaling_dynamics`, N = 3) and one
emergent-language learner (REINFORCE with a factored sender, :mod:`equilibria.applications.marl.emergent_language`,
V = 4). The reference is the same learner written as a plain NumPy loop (one update at a time, one seed after
another, vectorised over the agents or the minibatch): the same policies, the same sampled choices, the same rewards,
advantages and steps (``tests/test_benchmarks_cooperative_smoke.py`` checks one update of each against equilibria's
on the same draws). For credit assignment the NumPy loop computes only the estimator being timed, while the compiled
program computes the four and keeps one (so one program serves a sweep over estimators): the comparison favours
NumPy.

Unit: agent-steps per second, ``n_agents x seeds x updates / seconds`` (in the box-lifting game an update is one
episode of ``horizon`` steps: ``n_agents x seeds x episodes x horizon``; a Lewis round is one step of each of the two
agents, sender and receiver; an emergent-language update is a minibatch of ``batch`` games, ``2 x batch``
agent-steps). equilibria's program is compiled ahead of time (``jit(...).lower(...).compile()``, the time reported
apart) and the compiled program timed ``repeats`` times (median); NumPy runs ``numpy_seeds`` seeds ``repeats`` times
(median).

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
import jax.numpy as jnp
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
from equilibria.applications.marl import cooperative, credit, signaling, signaling_dynamics  # noqa: E402
from equilibria.applications.marl import emergent_language as el  # noqa: E402
from equilibria.applications.marl.base import env  # noqa: E402

LEWIS_LEARNING_RATE, LEWIS_BASELINE_RATE = 0.5, 0.01  # reinforce_batch's defaults


@dataclass(frozen=True)
class Config:
    seeds: int = 1_000
    steps: int = 2_000
    numpy_seeds: int = 4
    numpy_steps: int = 500
    repeats: int = 3
    estimator: str = "coma"
    horizon: int = 4
    emergent_seeds: int = 100
    emergent_batch: int = 32
    seed: int = 0


FULL = Config()
QUICK = Config(seeds=500, steps=500, numpy_seeds=2, numpy_steps=200, repeats=2, emergent_seeds=50)
TINY = Config(seeds=8, steps=20, numpy_seeds=1, numpy_steps=10, repeats=1, emergent_seeds=2, emergent_batch=4)
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
    q, v = np.zeros((horizon, n_states, m, m)), np.zeros((horizon, n_states))  # critics indexed by the step
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
                q_taken, cf = numpy_counterfactuals((False, q[t, s_t]), u)
                adv = q_taken - (pi[:, s_t] * cf).sum(axis=1)
            else:
                adv = np.full(n, ret - (v[t, s_t] if estimator == "value" else 0.0))
            score = -pi[:, s_t]
            score[rows, u] += 1.0
            grad[:, s_t] += gamma**t * adv[:, None] * score
        for t, (s_t, u, _) in enumerate(trace):
            ret = (gamma ** np.arange(len(trace) - t)) @ rewards[t:]
            q[(t, s_t, *u)] += critic_rate * (ret - q[(t, s_t, *u)])
            v[t, s_t] += critic_rate * (ret - v[t, s_t])
        logits += learning_rate * grad
    return credit.softmax(logits)


def _draw(p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Indices drawn from rows ``p: [..., W]`` by inverse CDF with uniforms ``u: [...]`` (emergent_language's rule:
    ``#{w : cdf_w <= u cdf_W}``, clipped)."""
    cdf = np.cumsum(p, axis=-1)
    return np.minimum((cdf <= u[..., None] * cdf[..., -1:]).sum(axis=-1), p.shape[-1] - 1)


def numpy_lewis_step(kind: str, sender: np.ndarray, receiver: np.ndarray, baseline: float, nature: int, signal: int,
                     act: int) -> tuple[np.ndarray, np.ndarray, float]:
    """One Lewis round after the draws ``(nature, signal, act)``, in place: Roth-Erev adds the reward to the two
    drawn balls (``sender``, ``receiver``: urn weights ``[N, N]``); REINFORCE (logits) ascends ``(r - b)`` times the
    softmax score of each choice and moves the baseline (``signaling_dynamics``' rules and default rates)."""
    reward = float(act == nature)
    if kind == "roth-erev":
        sender[nature, signal] += reward
        receiver[signal, act] += reward
        return sender, receiver, baseline
    advantage = reward - baseline
    for logits, row, choice in ((sender, nature, signal), (receiver, signal, act)):
        p = np.exp(logits[row] - logits[row].max())
        score = -p / p.sum()
        score[choice] += 1.0
        logits[row] += LEWIS_LEARNING_RATE * advantage * score
    return sender, receiver, baseline + LEWIS_BASELINE_RATE * (reward - baseline)


def lewis_policies(kind: str, sender: np.ndarray, receiver: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The row-stochastic strategies of urn weights or logits."""
    if kind == "roth-erev":
        return sender / sender.sum(axis=1, keepdims=True), receiver / receiver.sum(axis=1, keepdims=True)
    return credit.softmax(sender), credit.softmax(receiver)


def numpy_lewis(kind: str, prior: np.ndarray, rounds: int, rng: np.random.Generator
                ) -> tuple[np.ndarray, np.ndarray]:
    """One seed of ``roth_erev_batch`` or ``reinforce_batch``: the final strategies."""
    n = len(prior)
    sender, receiver = (np.ones((n, n)), np.ones((n, n))) if kind == "roth-erev" else (np.zeros((n, n)),
                                                                                          np.zeros((n, n)))
    baseline = 0.0
    for _ in range(rounds):
        s, r = lewis_policies(kind, sender, receiver)
        u = rng.random(3)
        nature = int(_draw(prior, u[0]))
        signal = int(_draw(s[nature], u[1]))
        act = int(_draw(r[signal], u[2]))
        sender, receiver, baseline = numpy_lewis_step(kind, sender, receiver, baseline, nature, signal, act)
    return lewis_policies(kind, sender, receiver)


def _ascend(logits: np.ndarray, rows: np.ndarray, choices: np.ndarray, advantages: np.ndarray, scale: float) -> None:
    """In place: ``logits[r] += scale * sum_b [r_b = r] adv_b (e_{choice_b} - p_r)`` (emergent_language's step
    without the entropy term, whose default weight is 0)."""
    z = logits[rows] - logits[rows].max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    step = -advantages[:, None] * p
    step[np.arange(len(rows)), choices] += advantages
    np.add.at(logits, rows, scale * step)


def numpy_emergent_step(game: el.CompositionalGame, sender: np.ndarray, receiver: np.ndarray, baseline: np.ndarray,
                        u: np.ndarray, baseline_rate: float = 0.05) -> None:
    """One minibatch of ``el.reinforce(sender="factored")`` (rates 1, no entropy), in place, from the uniforms
    ``u: [5, B]`` (state, the two symbols, the two guesses): ``sender`` logits ``[2, S, K]``, ``receiver`` logits
    ``[2, M, V]``, ``baseline: [3]``."""
    batch = u.shape[1]
    s = np.minimum((u[0] * game.n_states).astype(np.int64), game.n_states - 1)
    sender_p = np.exp(sender - sender.max(axis=-1, keepdims=True))
    sender_p /= sender_p.sum(axis=-1, keepdims=True)
    receiver_p = np.exp(receiver - receiver.max(axis=-1, keepdims=True))
    receiver_p /= receiver_p.sum(axis=-1, keepdims=True)
    choice = _draw(sender_p[:, s], u[1:3])  # [2, B]
    message = choice[0] * game.alphabet + choice[1]
    guesses = _draw(receiver_p[:, message], u[3:5])  # [2, B]
    right = (guesses == np.stack([s // game.n_values, s % game.n_values])).astype(np.float64)
    team = right.mean(axis=0)
    for j in range(2):
        _ascend(sender[j], s, choice[j], team - baseline[0], 1.0 / batch)
    for k in range(2):
        _ascend(receiver[k], message, guesses[k], right[k] - baseline[1 + k], 1.0 / batch)
    baseline += baseline_rate * (np.concatenate([[team.mean()], right.mean(axis=1)]) - baseline)


def numpy_emergent(game: el.CompositionalGame, steps: int, batch: int, rng: np.random.Generator
                   ) -> tuple[np.ndarray, np.ndarray]:
    """One seed of the factored REINFORCE learner: the final logits ``(sender [2, S, K], receiver [2, M, V])``."""
    sender = np.zeros((2, game.n_states, game.alphabet))
    receiver = np.zeros((2, game.n_messages, game.n_values))
    baseline = np.zeros(3)
    for _ in range(steps):
        numpy_emergent_step(game, sender, receiver, baseline, rng.random((5, batch)))
    return sender, receiver


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


def _compiled(lowered: Any) -> tuple[Any, float]:
    """``(executable, seconds)``: ``lowered.compile()`` timed on its own."""
    started = time.perf_counter()
    executable = lowered.compile()
    return executable, time.perf_counter() - started


def time_setting(name: str, game: Any, learning_rate: float, config: Config) -> Row:
    episodic = not isinstance(game, cooperative.MatrixTeamGame | cooperative.CountTeamGame)
    if episodic:
        learner = credit.episodic_policy_gradient(config.estimator, horizon=config.horizon, learning_rate=learning_rate)
        target, n_agents, per_update = env(game), game.n_players, config.horizon
    else:
        learner = credit.policy_gradient(config.estimator, learning_rate=learning_rate)
        target, n_agents, per_update = game, game.n_agents, 1
    keys = credit._seed_keys(config.seed, config.seeds, config.steps)
    index = jnp.asarray([credit.ESTIMATORS.index(config.estimator)], jnp.int32)
    executable, compile_seconds = _compiled(credit._train.lower(target, learner, keys, config.steps, index))
    seconds = _median_seconds(lambda: jax.block_until_ready(executable(target, keys, index)), config.repeats)

    def plain() -> None:
        for k in range(config.numpy_seeds):
            rng = np.random.default_rng([config.seed, k])
            if episodic:
                numpy_episodic(game, config.estimator, learning_rate, config.numpy_steps, config.horizon, rng)
            else:
                numpy_one_shot(game, config.estimator, learning_rate, config.numpy_steps, rng)

    numpy_seconds = _median_seconds(plain, config.repeats)
    numpy_work = n_agents * config.numpy_seeds * config.numpy_steps * per_update
    return Row(name, n_agents, n_agents * config.seeds * config.steps * per_update / seconds, compile_seconds,
               numpy_work / numpy_seconds)


def time_lewis(name: str, kind: str, config: Config, n: int = 3) -> Row:
    """A Lewis signaling learner (``kind``: ``"roth-erev"`` or ``"reinforce"``) at ``n`` states, uniform prior."""
    prior = jnp.asarray(signaling.uniform_prior(n), jnp.float32)
    keys = jax.random.split(jax.random.PRNGKey(config.seed), config.seeds)
    if kind == "roth-erev":
        executable, compile_seconds = _compiled(signaling_dynamics._roth_erev_run.lower(prior, keys, n, config.steps))
        args: tuple[Any, ...] = (prior, keys)
    else:
        rates = (jnp.asarray(LEWIS_LEARNING_RATE, jnp.float32), jnp.asarray(LEWIS_BASELINE_RATE, jnp.float32))
        executable, compile_seconds = _compiled(signaling_dynamics._reinforce_run.lower(prior, keys, n, config.steps,
                                                                                         *rates))
        args = (prior, keys, *rates)
    seconds = _median_seconds(lambda: jax.block_until_ready(executable(*args)), config.repeats)
    table_prior = np.asarray(signaling.uniform_prior(n))

    def plain() -> None:
        for k in range(config.numpy_seeds):
            numpy_lewis(kind, table_prior, config.numpy_steps, np.random.default_rng([config.seed, k]))

    numpy_seconds = _median_seconds(plain, config.repeats)
    return Row(name, 2, 2 * config.seeds * config.steps / seconds, compile_seconds,
               2 * config.numpy_seeds * config.numpy_steps / numpy_seconds)


def emergent_learner(config: Config) -> el.SignalingLearner:
    return el.reinforce(sender="factored", batch=config.emergent_batch)


def time_emergent(name: str, config: Config, n_values: int = 4) -> Row:
    """REINFORCE with a factored sender on the two-attribute game (``n_values`` values, as many symbols)."""
    game = el.compositional_game(n_values)
    learner = emergent_learner(config)
    key = jax.random.key(config.seed)
    lowered = el._train.lower(game, learner, key, config.emergent_seeds, 1, config.steps)
    executable, compile_seconds = _compiled(lowered)
    seconds = _median_seconds(lambda: jax.block_until_ready(executable(key)), config.repeats)

    def plain() -> None:
        for k in range(config.numpy_seeds):
            numpy_emergent(game, config.numpy_steps, config.emergent_batch, np.random.default_rng([config.seed, k]))

    numpy_seconds = _median_seconds(plain, config.repeats)
    per_update = 2 * config.emergent_batch
    return Row(name, 2, per_update * config.emergent_seeds * config.steps / seconds, compile_seconds,
               per_update * config.numpy_seeds * config.numpy_steps / numpy_seconds)


@dataclass(frozen=True)
class Report:
    rows: list[Row]
    config: Config
    command: str
    started: str
    seconds: float


def other_settings() -> list[str]:
    """The signaling and emergent-language rows, by name."""
    return ["Lewis N=3, Roth-Erev urns", "Lewis N=3, REINFORCE", "compositional V=4, REINFORCE (factored)"]


def run_benchmark(config: Config, *, log: Callable[[str], None] = lambda _: None) -> list[Row]:
    rows = []
    for name, game, learning_rate in settings():
        log(f"{name}")
        rows.append(time_setting(name, game, learning_rate, config))
    for name in other_settings():
        log(f"{name}")
        if name.startswith("Lewis"):
            rows.append(time_lewis(name, "roth-erev" if "Roth-Erev" in name else "reinforce", config))
        else:
            rows.append(time_emergent(name, config))
    return rows


def render(report: Report) -> str:
    config = report.config
    body = [[r.game, str(r.n_agents), f"{r.ours:,.0f}", f"{r.compile_seconds:.2f} s", f"{r.numpy:,.0f}",
             f"{r.ratio:,.0f}x"] for r in report.rows]
    return "\n".join([
        MARKERS[0], "## Cooperative learners (credit assignment, Lewis signaling, emergent language): batched JAX "
        "against a plain NumPy loop (benchmarks/cooperative.py)",
        "", command_line(report.command, f"estimator {config.estimator}; {config.seeds:,} seeds x {config.steps:,} "
                         f"updates (emergent language: {config.emergent_seeds:,} seeds, minibatches of "
                         f"{config.emergent_batch}); NumPy {config.numpy_seeds} seeds x {config.numpy_steps:,} updates;"
                         f" repeats {config.repeats}", report.started, report.seconds),
        machine_line(f"JAX backend {jax.default_backend()}"), versions_line("jax", "numpy"),
        "- Unit: agent-steps per second (module docstring): equilibria's seeds vmapped and scanned in one compiled "
        "program (compiled ahead of time, `jit(...).lower(...).compile()`, its time apart), the NumPy loop one update "
        "at a time, vectorised over agents (or the minibatch); median of the repeats. Box lifting: one update is an "
        f"episode of {config.horizon} steps; Lewis: a round is one step of the sender and one of the receiver; "
        f"emergent language: a minibatch of {config.emergent_batch} games.", "",
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
