"""Claus and Boutilier's coordination games, and level-k / cognitive hierarchy on the p-beauty contest.

Claus and Boutilier (1998) compared independent learners (ILs: Q over one's own actions) with joint-action learners
(JALs: Q over joint actions plus fictitious-play models of the other agent) in two common-payoff 3 x 3 games:

- the climbing game (``a`` row/column first): ``[[11, -30, 0], [-30, 7, 6], [0, 0, 5]]``; the optimum (a, a) is
  guarded by -30 penalties, so both kinds of learner climb from (c, c) to the suboptimal equilibrium (b, b);
- the penalty game: ``[[10, 0, k], [0, 2, 0], [k, 0, 10]]``; with no penalty (``k = 0``) the learners coordinate on
  one of the two optima; with a large penalty (``k = -100``) many settle on the safe (b, b).

Both learners use Boltzmann exploration from temperature 16, decaying per step to a 0.05 floor (the settings of the
module's tests); the experiment reports, over many seeds, the fraction of seeds whose final greedy joint action is
each outcome (:func:`~equilibria.applications.marl.joint_action.outcome_fractions`).

Level-k (Nagel 1995; Stahl and Wilson 1995) and cognitive hierarchy (Camerer, Ho and Chong 2004) on the p-beauty
contest with ``p = 2/3``: level k names ``50 (2/3)^k`` in the large-population model, whose limit is the unique
equilibrium 0; on the finite 3-player contest over ``0..n-1`` the level-k best responses are computed exactly from
the game's payoffs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from equilibria.experiments.base import Check, Context, Experiment, ExperimentResult, Table, register

EXPLORE = {"exploration": "boltzmann", "temperature": 16.0, "temperature_decay": 0.998, "temperature_min": 0.05,
           "learning_rate": 0.1}
OPTIMUM, SAFE, LOW = (0, 0), (1, 1), (2, 2)
P = 2 / 3


@dataclass(frozen=True)
class LearnersConfig:
    """Seeds and steps of each kind of learner; penalties ``k`` of the penalty game; beauty-contest levels.

    Thresholds (measured): ``il_climbing_safe_above`` the ILs' share of (b, b) on the climbing game,
    ``optimum_below`` the share of (a, a) of either learner there, ``penalty_safe_above`` the JALs' share of (b, b)
    at the largest penalty.
    """

    seeds: int = 1_000
    il_steps: int = 6_000
    jal_steps: int = 30_000
    penalty_steps: int = 4_000
    penalties: tuple[float, ...] = (0.0, -10.0, -100.0)
    levels: int = 12
    tau: float = 1.5
    contest_numbers: int = 31
    il_climbing_safe_above: float = 0.55
    optimum_below: float = 0.35
    penalty_safe_above: float = 0.4


def learners_cell(cell: Mapping[str, Any]) -> dict[str, Any]:
    """One (game, learner) as a sweep cell: ``{"game": "climbing" | "penalty", "k", "learner": "IL" | "JAL",
    "steps", "seeds", "key"}`` -> the outcome fractions (``"a,b"`` keys; ``""`` for a tie) and the share of seeds
    at an equilibrium (exploitability 0)."""
    from equilibria.applications.marl.independent import independent_q
    from equilibria.applications.marl.joint_action import (
        climbing_game,
        joint_action_learner,
        outcome_fractions,
        penalty_game,
    )
    from equilibria.applications.marl.run import run_learner

    game = climbing_game() if cell["game"] == "climbing" else penalty_game(float(cell["k"]))
    learner = independent_q(**EXPLORE) if cell["learner"] == "IL" else joint_action_learner(**EXPLORE)
    run = run_learner(game, learner, steps=int(cell["steps"]), seeds=int(cell["seeds"]), key=int(cell["key"]),
                      checkpoints=1)
    fractions = outcome_fractions(run.policies)
    return {**{k: cell[k] for k in ("game", "k", "learner", "steps")},
            "fractions": {",".join(map(str, o)): f for o, f in fractions.items()},
            "at_equilibrium": float(np.mean(run.final_exploitability == 0.0)), "seconds": run.seconds}


def _share(run: Mapping[str, Any], outcome: tuple[int, int]) -> float:
    return float(run["fractions"].get(",".join(map(str, outcome)), 0.0))


def _contest(config: LearnersConfig) -> dict[str, Any]:
    from equilibria.applications.marl.level_k import (
        beauty_contest_cognitive_hierarchy,
        beauty_contest_level_k,
        level_k_path,
        p_beauty_contest,
    )

    guesses = beauty_contest_level_k(P, config.levels)
    ch_guesses, frequencies, ch_mean = beauty_contest_cognitive_hierarchy(P, config.tau, config.levels)
    game = p_beauty_contest(3, config.contest_numbers, P)
    path = level_k_path(game, 8)
    # Each level's expected number for player 0 (its strategy may split ties between numbers).
    finite = [float(level[0] @ np.arange(config.contest_numbers)) for level in path]
    return {"level_k": guesses.tolist(), "ch": ch_guesses.tolist(), "ch_frequencies": frequencies.tolist(),
            "ch_mean": ch_mean, "finite_level_k": finite}


def run_experiment(config: LearnersConfig, context: Context) -> ExperimentResult:
    cells = [{"game": "climbing", "k": 0.0, "learner": "IL", "steps": config.il_steps},
             {"game": "climbing", "k": 0.0, "learner": "JAL", "steps": config.jal_steps}]
    cells += [{"game": "penalty", "k": k, "learner": learner, "steps": config.penalty_steps}
              for k in config.penalties for learner in ("IL", "JAL")]
    runs = context.sweep(learners_cell, [{**c, "seeds": config.seeds, "key": 0} for c in cells],
                         "coordination games", folder="learners")
    by = {(r["game"], float(r["k"]), r["learner"]): r for r in runs}
    il, jal = by[("climbing", 0.0, "IL")], by[("climbing", 0.0, "JAL")]
    k_max = min(config.penalties)
    contest = _contest(config)
    expected = [50 * P ** k for k in range(config.levels + 1)]
    checks = [
        Check("climbing game, ILs: most seeds settle on the suboptimal (b, b)",
              f"> {config.il_climbing_safe_above:.0%}", f"{_share(il, SAFE):.1%}",
              _share(il, SAFE) > config.il_climbing_safe_above),
        Check("climbing game: few seeds of either learner reach the optimum (a, a)",
              f"< {config.optimum_below:.0%}", f"IL {_share(il, OPTIMUM):.1%}, JAL {_share(jal, OPTIMUM):.1%}",
              max(_share(il, OPTIMUM), _share(jal, OPTIMUM)) < config.optimum_below),
        Check("penalty game k = 0, JALs: coordinate on an optimum, at equilibrium", "> 90%, every seed",
              f"{_share(by[('penalty', 0.0, 'JAL')], OPTIMUM) + _share(by[('penalty', 0.0, 'JAL')], LOW):.1%}, "
              f"{by[('penalty', 0.0, 'JAL')]['at_equilibrium']:.1%}",
              _share(by[("penalty", 0.0, "JAL")], OPTIMUM) + _share(by[("penalty", 0.0, "JAL")], LOW) > 0.9
              and by[("penalty", 0.0, "JAL")]["at_equilibrium"] == 1.0) if 0.0 in config.penalties else None,
        Check(f"penalty game k = {k_max:g}, JALs: many seeds at the safe (b, b)",
              f"> {config.penalty_safe_above:.0%}", f"{_share(by[('penalty', k_max, 'JAL')], SAFE):.1%}",
              _share(by[("penalty", k_max, "JAL")], SAFE) > config.penalty_safe_above),
        Check("p-beauty contest (p = 2/3): level k names 50 (2/3)^k", "50, 33.33, 22.22, ...",
              ", ".join(f"{g:.2f}" for g in contest["level_k"][:4]) + ", ...",
              bool(np.allclose(contest["level_k"], expected, rtol=1e-12, atol=0))),
        Check(f"level {config.levels}'s guess approaches the equilibrium 0", f"50 (2/3)^{config.levels}",
              f"{contest['level_k'][-1]:.4f}", abs(contest["level_k"][-1] - expected[-1]) <= 1e-12
              and contest["level_k"][-1] < 0.5),
        Check(f"cognitive hierarchy (tau {config.tau:g}): each step guesses lower, the mean between level-1 and 50",
              f"decreasing, mean in ({contest['level_k'][1]:.2f}, 50)",
              f"mean {contest['ch_mean']:.2f}", bool(np.all(np.diff(contest["ch"]) < 0))
              and contest["level_k"][1] < contest["ch_mean"] < 50),
        Check(f"finite 3-player contest (0..{config.contest_numbers - 1}): level-k guesses fall towards 0",
              "non-increasing, level 8 <= 2", ", ".join(f"{g:.2f}" for g in contest["finite_level_k"]),
              bool(np.all(np.diff(contest["finite_level_k"][1:]) <= 1e-12)) and contest["finite_level_k"][-1] <= 2),
    ]
    outcome_rows = []
    for r in runs:
        label = {"": "tie"}
        outcome_rows.append((r["game"] if r["game"] == "climbing" else f"penalty k={float(r['k']):g}", r["learner"],
                             r["steps"], ", ".join(f"{label.get(o, '(' + o + ')')} {f:.1%}"
                                                   for o, f in sorted(r["fractions"].items())),
                             f"{r['at_equilibrium']:.1%}"))
    tables = (Table(f"final greedy joint actions over {config.seeds} seeds (actions 0, 1, 2 = a, b, c)",
                    ("game", "learner", "steps", "outcomes", "at an equilibrium"), tuple(outcome_rows)),
              Table("p-beauty contest, p = 2/3: each level's number", ("level", "level-k", "cognitive hierarchy",
                                                                       "CH frequency"),
                    tuple((k, f"{contest['level_k'][k]:.4f}", f"{contest['ch'][k]:.4f}",
                           f"{contest['ch_frequencies'][k]:.4f}") for k in range(config.levels + 1))))
    summary = {"runs": [dict(r) for r in runs], "contest": contest}
    return ExperimentResult(summary, tuple(c for c in checks if c is not None), tables)


EXPERIMENT = register(Experiment(
    name="independent-learners",
    title="Independent versus joint-action learners (Claus and Boutilier), and level-k on the beauty contest",
    description="Claus and Boutilier (1998): independent and joint-action Q-learners on the climbing and penalty "
                "games, the fraction of seeds at each joint action; level-k and cognitive hierarchy (Camerer, Ho "
                "and Chong 2004) on the 2/3-beauty contest.",
    full=LearnersConfig(),
    quick=LearnersConfig(seeds=100, penalties=(-100.0,), contest_numbers=21),
    run=run_experiment,
))
