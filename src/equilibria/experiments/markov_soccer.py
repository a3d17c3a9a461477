"""Littman's soccer: minimax-Q against independent Q-learning, each policy facing an exact best-response challenger.

Littman (1994) trained minimax-Q and independent Q-learners in self-play on his 4 x 5 soccer game (zoo
``markov-soccer``: 760 states, 5 x 5 actions, discount 0.9; values are discounted sums of +1 / -1 goals) and then
let a challenger learn a best response to each fixed policy: the minimax-Q policy kept winning a good share of its
games, the Q-learned one lost every game. Here the challenger is exact (:func:`equilibria.metrics.stochastic.
best_response`, policy iteration), so each learned policy of player A (player 0) is measured by its *worst-case
value* from the start distribution, ``initial @ V_A(x, BR(x))``; the game is symmetric, so Shapley's value at the
start is 0 and no policy's worst case exceeds it. Both learners play both sides in self-play (epsilon 0.2, the
learning rate decayed from 1 to 0.01 over the run for minimax-Q as in Littman; a constant 0.1 for independent Q),
several seeds each; the exploitability (max regret over players and states) is recorded at checkpoints.

Measured (see the catalogue): the minimax-Q policies' mean worst-case value is above the independent Q-learners'
at every horizon tried, and the gap is largest for short runs; with the exact challenger (far stronger than
Littman's learned one) neither policy is close to the value 0 after 3 x 10^5 steps. Each learner's run is one unit
of work (:meth:`Context.sweep`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from equilibria.experiments.base import Check, Context, Experiment, ExperimentResult, Table, register  # noqa: E402

LEARNERS = ("minimax-q", "independent-q")


@dataclass(frozen=True)
class SoccerConfig:
    """Steps per seed, seeds, checkpoints; ``margin``: the measured gap between the mean worst-case values."""

    steps: int = 300_000
    seeds: int = 8
    checkpoints: int = 6
    epsilon: float = 0.2
    margin: float = 0.03


def learner_cell(cell: Mapping[str, Any]) -> dict[str, Any]:
    """One learner's self-play on soccer as a sweep cell: ``{"learner", "steps", "seeds", "checkpoints",
    "epsilon", "key"}`` -> steps, exploitability ``[seeds][checkpoints]``, each seed's worst-case value of player
    A's final policy against the exact best response, seconds."""
    from equilibria.applications.marl.independent import independent_q
    from equilibria.applications.marl.run import run_learner
    from equilibria.applications.marl.stage_q import minimax_q
    from equilibria.games.zoo.stochastic import markov_soccer
    from equilibria.metrics.stochastic import best_response, profile_values

    game = markov_soccer()
    steps, epsilon = int(cell["steps"]), float(cell["epsilon"])
    learner = (minimax_q(epsilon=epsilon, decay=0.01 ** (1 / steps)) if cell["learner"] == "minimax-q"
               else independent_q(epsilon=epsilon))
    run = run_learner(game, learner, steps=steps, seeds=int(cell["seeds"]), key=int(cell["key"]),
                      checkpoints=int(cell["checkpoints"]))
    worst = []
    for seed in range(run.seeds):
        profile = run.profile(seed)
        challenger = best_response(game, profile, 1).policy
        worst.append(float(game.initial @ profile_values(game, (profile[0], challenger))[0]))
    return {"learner": str(cell["learner"]), "steps": run.steps.tolist(), "exploitability": run.exploitability.tolist(),
            "worst_case": worst, "seconds": run.seconds}


def _figure(results: Mapping[str, Mapping[str, Any]]) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for name, result in results.items():
        steps = np.asarray(result["steps"])
        gaps = np.asarray(result["exploitability"])
        ax.plot(steps, np.median(gaps, axis=0), marker="o", label=f"{name} (median)")
        ax.fill_between(steps, gaps.min(axis=0), gaps.max(axis=0), alpha=0.2)
    ax.set_xlabel("steps per seed (self-play)")
    ax.set_ylabel("exploitability (exact, all states)")
    ax.set_title("Littman's soccer: exploitability of the learned profiles (range over seeds shaded)", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def run_experiment(config: SoccerConfig, context: Context) -> ExperimentResult:
    from equilibria.games.zoo.stochastic import markov_soccer
    from equilibria.solvers import solve

    game = markov_soccer()
    shapley = solve(game, "shapley")
    start_value = float(shapley.values[0][0])
    cells = [{"learner": name, "steps": config.steps, "seeds": config.seeds, "checkpoints": config.checkpoints,
              "epsilon": config.epsilon, "key": 0} for name in LEARNERS]
    results = {str(r["learner"]): r for r in context.sweep(learner_cell, cells, "self-play learners",
                                                            folder="learners")}
    worst = {name: np.asarray(results[name]["worst_case"]) for name in LEARNERS}
    mm, iq = worst["minimax-q"], worst["independent-q"]
    checks = (
        Check("Shapley value at the start (symmetric game), certified", "0, exploitability <= 1e-9",
              f"{start_value:.1e}, {shapley.certificate[0]:.1e}",
              abs(start_value) <= 1e-9 and shapley.certificate[0] <= 1e-9, zero_below=1e-9),
        Check("no learned policy's worst case exceeds the value", "<= 0",
              f"max {max(mm.max(), iq.max()):.3f}", max(mm.max(), iq.max()) <= start_value + 1e-9),
        Check("robustness: mean worst-case value, minimax-Q above independent Q", f"gap >= {config.margin}",
              f"{mm.mean():.3f} vs {iq.mean():.3f} (gap {mm.mean() - iq.mean():.3f})",
              mm.mean() - iq.mean() >= config.margin),
        Check("robustness: minimax-Q's worst seed above independent Q's worst seed", "min minimax-Q > min Q",
              f"{mm.min():.3f} vs {iq.min():.3f}", mm.min() > iq.min()),
    )
    table = Table("worst-case value of player A's learned policy against the exact best response (from the start)",
                  ("learner", "steps", "mean", "min", "max", "per seed", "final exploitability (median)"),
                  tuple((name, config.steps, f"{worst[name].mean():.3f}", f"{worst[name].min():.3f}",
                         f"{worst[name].max():.3f}", " ".join(f"{w:.3f}" for w in worst[name]),
                         f"{np.median(np.asarray(results[name]['exploitability'])[:, -1]):.3f}") for name in LEARNERS))
    figure = context.save_figure(_figure(results), "soccer_exploitability.png",
                                 "Exact exploitability (max regret over players and states) of the self-play "
                                 "profiles of minimax-Q and independent Q-learning on Littman's soccer.")
    summary = {"shapley_start_value": start_value, "shapley_exploitability": float(shapley.certificate[0]),
               "worst_case": {name: worst[name].tolist() for name in LEARNERS},
               "exploitability": {name: results[name]["exploitability"] for name in LEARNERS},
               "steps": results["minimax-q"]["steps"],
               "seconds": {name: results[name]["seconds"] for name in LEARNERS}}
    # numpy comparisons give numpy bools, which JSON cannot write
    written = tuple(Check(c.claim, c.expected, c.measured, bool(c.passed), c.zero_below) for c in checks)
    return ExperimentResult(summary, written, (table,), (figure,))


EXPERIMENT = register(Experiment(
    name="markov-soccer",
    title="Littman's soccer: minimax-Q is harder to exploit than independent Q-learning",
    description="Littman (1994): minimax-Q and independent Q-learning in self-play on the 4 x 5 soccer game; each "
                "learned policy's worst-case value against an exact best-response challenger, with Shapley's value "
                "as the reference.",
    full=SoccerConfig(),
    quick=SoccerConfig(steps=5_000, seeds=4, checkpoints=2, margin=0.15),
    run=run_experiment,
))
