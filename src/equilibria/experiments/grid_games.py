"""Hu and Wellman's grid games: Nash-Q and correlated-Q, and which equilibrium each one's play selects.

Hu and Wellman (2003) ran Nash-Q on two general-sum 3 x 3 grid games (zoo ``grid-game-1``: distinct goals,
deterministic moves; ``grid-game-2``: a shared goal behind two barriers that let an agent through with probability
1/2), discount 0.99, reward 100 at the goal and -1 for a collision. Both games have several stationary equilibria
(in game 1, paths that avoid each other; in game 2, one agent goes through a barrier and the other around, or the
mirror image), and the learners' selection rule decides which one they end up near. Greenwald and Hall (2003) ran
correlated-Q (utilitarian) on the same games.

The experiment

1. solves each game with the two general-sum value iterations (``nash_value_iteration``: stage Nash equilibria,
   ``ce_value_iteration``: stage correlated equilibria; heuristics certified by the exact exploitability) and takes
   their certified profiles' values at the start as the reference equilibria;
2. runs Nash-Q and correlated-Q (epsilon-greedy self-play, learning rate decayed from 1 to 0.01 over the run) on
   several seeds and evaluates each seed's learned profile exactly: its values at the start, which reference
   equilibrium they match (within :data:`MATCH_TOLERANCE`), its exploitability over all states (greedy play in
   states the learners rarely visit is far from equilibrium, so this is large) and its regret at the start state.

Each (game, learner) run is one unit of work (:meth:`Context.sweep`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from equilibria.experiments.base import Check, Context, Experiment, ExperimentResult, Table, register

MATCH_TOLERANCE = 0.5  # payoff units: the values at the start are 100 x 0.99^k, distinct equilibria differ by >= 1
GAMES = ("grid-game-1", "grid-game-2")
LEARNERS = ("nash-q", "correlated-q")


@dataclass(frozen=True)
class GridConfig:
    """Games, steps per seed, seeds; ``min_matched``: the measured share of all learned profiles whose start values
    are an equilibrium's."""

    games: tuple[str, ...] = GAMES
    steps: int = 20_000
    seeds: int = 8
    epsilon: float = 0.2
    min_matched: float = 0.4


def _game(name: str) -> Any:
    from equilibria.games.zoo.stochastic import grid_game_1, grid_game_2

    return grid_game_1() if name == "grid-game-1" else grid_game_2()


def learner_cell(cell: Mapping[str, Any]) -> dict[str, Any]:
    """One learner on one grid game as a sweep cell: ``{"game", "learner", "steps", "seeds", "epsilon", "key"}``
    -> per seed the start values ``[seeds][2]``, exploitability, regret at the start, seconds."""
    from equilibria.applications.marl.run import run_learner
    from equilibria.applications.marl.stage_q import correlated_q, nash_q
    from equilibria.metrics.stochastic import regrets

    game = _game(str(cell["game"]))
    steps, epsilon = int(cell["steps"]), float(cell["epsilon"])
    build = nash_q if cell["learner"] == "nash-q" else correlated_q
    run = run_learner(game, build(epsilon=epsilon, decay=0.01 ** (1 / steps)), steps=steps, seeds=int(cell["seeds"]),
                      key=int(cell["key"]), checkpoints=1)
    start_regret = [float((regrets(game, run.profile(s)) @ game.initial).max()) for s in range(run.seeds)]
    return {"game": str(cell["game"]), "learner": str(cell["learner"]), "values": run.values[:, -1, :].tolist(),
            "exploitability": run.final_exploitability.tolist(), "start_regret": start_regret,
            "seconds": run.seconds}


def _equilibria(name: str) -> list[dict[str, Any]]:
    from equilibria.solvers import solve

    game = _game(name)
    found = []
    for method in ("nash_value_iteration", "ce_value_iteration"):
        result = solve(game, method)
        found.append({"method": method, "values": [float(v) for v in result.values[0]],
                      "exploitability": float(result.certificate[0]), "converged": bool(result.converged)})
    return found


def _match(values: Any, reference: list[dict[str, Any]]) -> str:
    for r in reference:
        if np.max(np.abs(np.asarray(values) - np.asarray(r["values"]))) <= MATCH_TOLERANCE:
            return "(" + ", ".join(f"{v:.2f}" for v in r["values"]) + ")"
    return "none"


def run_experiment(config: GridConfig, context: Context) -> ExperimentResult:
    references = {name: _equilibria(name) for name in config.games}
    cells = [{"game": g, "learner": learner, "steps": config.steps, "seeds": config.seeds, "epsilon": config.epsilon,
              "key": 0} for g in config.games for learner in LEARNERS]
    runs = context.sweep(learner_cell, cells, "grid-game learners", folder="learners")
    checks: list[Check] = []
    for name, found in references.items():
        checks.append(Check(f"{name}: both value iterations return certified equilibria", "exploitability <= 1e-6",
                            ", ".join(f"{f['exploitability']:.1e}" for f in found),
                            all(f["exploitability"] <= 1e-6 for f in found), zero_below=1e-6))
    if "grid-game-1" in references:
        got = [v for f in references["grid-game-1"] for v in f["values"]]
        checks.append(Check("grid-game-1: both agents reach their goals in 4 moves", "100 x 0.99^3 = 97.0299 each",
                            ", ".join(f"{v:.4f}" for v in got), all(abs(v - 97.0299) <= 1e-6 for v in got)))
    rows, matched = [], 0
    for run in runs:
        labels = [_match(v, references[str(run["game"])]) for v in run["values"]]
        matched += sum(label != "none" for label in labels)
        for seed, (values, label) in enumerate(zip(run["values"], labels, strict=True)):
            rows.append((run["game"], run["learner"], seed, f"({values[0]:.2f}, {values[1]:.2f})", label,
                         f"{run['start_regret'][seed]:.3f}", f"{run['exploitability'][seed]:.2f}"))
    total = sum(len(run["values"]) for run in runs)
    checks.append(Check("learned profiles whose start values are a reference equilibrium's (all games, learners)",
                        f">= {config.min_matched:.0%}", f"{matched}/{total}", matched >= config.min_matched * total))
    reference_table = Table("reference equilibria (certified value iterations): values at the start",
                            ("game", "method", "values", "exploitability"),
                            tuple((name, f["method"], "(" + ", ".join(f"{v:.4f}" for v in f["values"]) + ")",
                                   f"{f['exploitability']:.1e}") for name, found in references.items()
                                  for f in found), zero_below={"exploitability": 1e-6})
    learned_table = Table("learned profiles, evaluated exactly", ("game", "learner", "seed", "values at start",
                                                                  "equilibrium matched", "regret at start",
                                                                  "exploitability (all states)"), tuple(rows))
    summary = {"references": references, "runs": [dict(r) for r in runs], "matched": matched, "total": total}
    return ExperimentResult(summary, tuple(checks), (reference_table, learned_table))


EXPERIMENT = register(Experiment(
    name="grid-games",
    title="Hu and Wellman's grid games: Nash-Q and correlated-Q, and the equilibria they select",
    description="Nash-Q (Hu and Wellman 2003) and correlated-Q (Greenwald and Hall 2003) on grid games 1 and 2; "
                "each learned profile's values at the start compared with the equilibria that the general-sum "
                "value iterations find, and its exact exploitability.",
    full=GridConfig(),
    quick=GridConfig(games=("grid-game-1",), steps=4_000, seeds=4, min_matched=0.25),
    run=run_experiment,
))
