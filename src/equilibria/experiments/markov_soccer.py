"""Littman's soccer: minimax-Q against independent Q-learning, each policy facing a learned and an exact challenger.

Littman (1994) trained minimax-Q and independent Q-learners in self-play on his 4 x 5 soccer game (zoo
``markov-soccer``: 760 states, 5 x 5 actions, discount 0.9; values are discounted sums of +1 / -1 goals) and then
froze each learned policy and trained a Q-learning challenger against it: the minimax-Q policy kept a fair share of
its games, the Q-learned one lost every game. Here each learned policy of player A (player 0) is measured by its
value from the start distribution, ``initial @ V_A(x, y)``, against two challengers y:

- Littman's: a Q-learner trained against the frozen policy
  (:func:`equilibria.applications.marl.challenger.learned_challengers`, epsilon 0.2, learning rate 0.1), its greedy
  policy then evaluated exactly;
- the exact best response (:func:`equilibria.metrics.stochastic.best_response`, policy iteration), the strongest
  challenger there is: no policy's value against it exceeds Shapley's value at the start, 0 (the game is symmetric),
  and none is above its value against the learned challenger.

Both learners play both sides in self-play (epsilon 0.2, the learning rate decayed from 1 to 0.01 over the run for
minimax-Q as in Littman; a constant 0.1 for independent Q), several seeds each; the exploitability (max regret over
players and states) is recorded at checkpoints. Each learner's run is one unit of work (:meth:`Context.sweep`).

Measured (full configuration, 8 seeds): against the learned challenger Littman's finding reproduces -- seven of the
eight minimax-Q policies lose almost nothing from the start (-0.012; one seed -0.219; mean -0.038) while the
Q-learned ones are exploited (mean -0.418, from -0.000 to -0.811). Against the exact best response neither is
robust after 3 x 10^5 steps (means -0.502 and -0.566, which of the two fares worse varies with the seeds): many of
the 760 states are rarely visited and their Q-values are still wrong; an adaptive opponent with the same experience
does not find those states, an exact one does.
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
    """Steps per seed, seeds, checkpoints, the challenger's training steps; ``margin``: the least gap asked between
    the learners' mean values against the learned challenger; ``robust``: the least mean value asked of minimax-Q
    there (the game's value is 0)."""

    steps: int = 300_000
    seeds: int = 8
    checkpoints: int = 6
    epsilon: float = 0.2
    challenger_steps: int = 100_000
    margin: float = 0.05
    robust: float = -0.05


def learner_cell(cell: Mapping[str, Any]) -> dict[str, Any]:
    """One learner's self-play on soccer as a sweep cell: ``{"learner", "steps", "seeds", "checkpoints",
    "epsilon", "challenger_steps", "key"}`` -> steps, exploitability ``[seeds][checkpoints]``, and per seed the
    value of player A's final policy against the learned challenger (``challenged``) and against the exact best
    response (``worst_case``), seconds."""
    from equilibria.applications.marl.challenger import learned_challengers
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
    frozen = np.stack([run.profile(seed)[0] for seed in range(run.seeds)])
    learned = learned_challengers(game, frozen, steps=int(cell["challenger_steps"]), seed=int(cell["key"]))
    worst, challenged = [], []
    for seed in range(run.seeds):
        exact = best_response(game, run.profile(seed), 1).policy
        worst.append(float(game.initial @ profile_values(game, (frozen[seed], exact))[0]))
        challenged.append(float(game.initial @ profile_values(game, (frozen[seed], learned[seed]))[0]))
    return {"learner": str(cell["learner"]), "steps": run.steps.tolist(), "exploitability": run.exploitability.tolist(),
            "worst_case": worst, "challenged": challenged, "seconds": run.seconds}


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
              "epsilon": config.epsilon, "challenger_steps": config.challenger_steps, "key": 0} for name in LEARNERS]
    results = {str(r["learner"]): r for r in context.sweep(learner_cell, cells, "self-play learners",
                                                            folder="learners")}
    worst = {name: np.asarray(results[name]["worst_case"]) for name in LEARNERS}
    learned = {name: np.asarray(results[name]["challenged"]) for name in LEARNERS}
    mm, iq = learned["minimax-q"], learned["independent-q"]
    highest = max(w.max() for w in worst.values())
    checks = (
        Check("Shapley value at the start (symmetric game), certified", "0, exploitability <= 1e-9",
              f"{start_value:.1e}, {shapley.certificate[0]:.1e}",
              abs(start_value) <= 1e-9 and shapley.certificate[0] <= 1e-9, zero_below=1e-9),
        Check("no learned policy's value against the exact best response exceeds the game's value", "<= 0",
              f"max {highest:.3f}", highest <= start_value + 1e-9),
        Check("the exact best response does at least as well as the learned challenger, every seed",
              "worst case <= challenged",
              f"largest difference {max((worst[n] - learned[n]).max() for n in LEARNERS):.3f}",
              all(bool(np.all(worst[n] <= learned[n] + 1e-9)) for n in LEARNERS)),
        Check("Littman: against the learned challenger, minimax-Q above independent Q (mean value)",
              f"gap >= {config.margin}", f"{mm.mean():.3f} vs {iq.mean():.3f} (gap {mm.mean() - iq.mean():.3f})",
              mm.mean() - iq.mean() >= config.margin),
        Check("Littman: the minimax-Q policies are robust against the learned challenger (mean value)",
              f">= {config.robust}", f"{mm.mean():.3f}", mm.mean() >= config.robust),
    )
    table = Table("value of player A's learned policy from the start (the game's value is 0): against a learned "
                  f"Q-learning challenger ({config.challenger_steps:,} steps) and against the exact best response",
                  ("learner", "steps", "learned challenger: mean", "per seed", "exact best response: mean",
                   "per seed", "final exploitability (median)"),
                  tuple((name, config.steps, f"{learned[name].mean():.3f}",
                         " ".join(f"{w:.3f}" for w in learned[name]), f"{worst[name].mean():.3f}",
                         " ".join(f"{w:.3f}" for w in worst[name]),
                         f"{np.median(np.asarray(results[name]['exploitability'])[:, -1]):.3f}") for name in LEARNERS))
    figure = context.save_figure(_figure(results), "soccer_exploitability.png",
                                 "Exact exploitability (max regret over players and states) of the self-play "
                                 "profiles of minimax-Q and independent Q-learning on Littman's soccer.")
    summary = {"shapley_start_value": start_value, "shapley_exploitability": float(shapley.certificate[0]),
               "worst_case": {name: worst[name].tolist() for name in LEARNERS},
               "challenged": {name: learned[name].tolist() for name in LEARNERS},
               "exploitability": {name: results[name]["exploitability"] for name in LEARNERS},
               "steps": results["minimax-q"]["steps"],
               "seconds": {name: results[name]["seconds"] for name in LEARNERS}}
    return ExperimentResult(summary, tuple(checks), (table,), (figure,))


EXPERIMENT = register(Experiment(
    name="markov-soccer",
    title="Littman's soccer: minimax-Q holds against a learned challenger, independent Q-learning does not",
    description="Littman (1994): minimax-Q and independent Q-learning in self-play on the 4 x 5 soccer game; each "
                "learned policy's value against a Q-learning challenger trained against it (Littman's test) and "
                "against the exact best response, with Shapley's value as the reference.",
    full=SoccerConfig(),
    quick=SoccerConfig(steps=5_000, seeds=4, checkpoints=2, challenger_steps=5_000),
    run=run_experiment,
))
