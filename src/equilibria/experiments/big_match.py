"""The Big Match: Shapley's value 1/2 across discounts, and what independent learners make of it.

Gillette's (1957) Big Match, solved by Blackwell and Ferguson (1968): in the playing state the row player (player
0) chooses Top, which absorbs the play for ever in a state paying 1 after (Top, Left) and 0 after (Top, Right), or
Bottom, which pays 1 after (Bottom, Right), 0 after (Bottom, Left), and plays again. With discount ``beta`` the
normalised value ``(1 - beta) V`` is 1/2 for every ``beta`` and the row player's optimal stationary strategy puts
``P(Top) = (1 - beta) / (2 - beta)`` on Top (the column player mixes 1/2-1/2).

The experiment

1. solves the game by Shapley value iteration for several discounts, in exact mode (``rational=True``; its answer
   is verified with exact exploitability 0) and in floats, and compares the normalised value and both strategies
   with the formulas;
2. runs independent two-timescale policy gradient (Daskalakis, Foster and Golowich 2020; averaged policies) on
   :func:`~equilibria.games.zoo.stochastic.big_match_episodic` (the absorption folded into one final payoff, so a
   learner's stream restarts; same values and optimal profile in the playing state, value 5 at ``beta = 0.9``) and
   independent Q-learning on the same game, recording each one's exact exploitability over seeds: the policy
   gradient's falls, the greedy Q-learners' stays large (a deterministic policy cannot be optimal here).

Each learner's run is one unit of work (:meth:`Context.sweep`), checkpointed on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from equilibria.experiments.base import Check, Context, Experiment, ExperimentResult, Table, register  # noqa: E402

# Measured thresholds (see the module's tests and the report): the policy gradient's median final exploitability
# over seeds, as a fraction of its first checkpoint's, and the gap independent Q keeps.
PG_FALL = 0.5
IQ_FLOOR = 5.0


@dataclass(frozen=True)
class BigMatchConfig:
    """Discounts for the exact solution; the learners' discount, horizon (steps per seed), seeds and checkpoints.

    ``pg_final_below``: the measured bound on the policy gradient's median final exploitability (payoff units).
    """

    discounts: tuple[float, ...] = (0.5, 0.75, 0.9, 0.95, 0.99)
    learner_discount: float = 0.9
    pg_steps: int = 400_000
    iq_steps: int = 100_000
    seeds: int = 16
    checkpoints: int = 16
    pg_final_below: float = 0.2


def learner_cell(cell: Mapping[str, Any]) -> dict[str, Any]:
    """One learner on ``big_match_episodic`` as a sweep cell: ``{"learner": "independent-pg" | "independent-q",
    "discount", "steps", "seeds", "checkpoints", "key"}`` -> steps, exploitability ``[seeds][checkpoints]``, the
    final row values and P(Top) per seed, seconds."""
    from equilibria.applications.marl.independent import independent_q
    from equilibria.applications.marl.policy_gradient import independent_pg
    from equilibria.applications.marl.run import run_learner
    from equilibria.games.zoo.stochastic import big_match_episodic

    learner = independent_pg() if cell["learner"] == "independent-pg" else independent_q(epsilon=0.2)
    run = run_learner(big_match_episodic(float(cell["discount"])), learner, steps=int(cell["steps"]),
                      seeds=int(cell["seeds"]), key=int(cell["key"]), checkpoints=int(cell["checkpoints"]))
    return {"learner": str(cell["learner"]), "name": run.learner, "steps": run.steps.tolist(),
            "exploitability": run.exploitability.tolist(), "value": run.values[:, -1, 0].tolist(),
            "p_top": run.policies[0][:, 0, 0].tolist(), "p_left": run.policies[1][:, 0, 0].tolist(),
            "seconds": run.seconds}


def _exact_rows(discounts: tuple[float, ...]) -> list[dict[str, Any]]:
    from equilibria.games.zoo.stochastic import big_match
    from equilibria.solvers import solve

    rows = []
    for beta in discounts:
        game = big_match(beta)
        exact = solve(game, "shapley", rational=True)
        floats = solve(game, "shapley")
        b = Fraction(beta).limit_denominator(10_000)
        rows.append({
            "discount": beta, "rational": isinstance(exact.values[0][0], Fraction),
            "value": exact.values[0][0], "normalised": (1 - b) * Fraction(exact.values[0][0])
            if isinstance(exact.values[0][0], Fraction) else None,
            "p_top": exact.equilibria[0][0][0, 0], "p_left": exact.equilibria[0][1][0, 0],
            "expected_top": (1 - b) / (2 - b), "certificate": exact.certificate[0],
            "float_normalised": (1 - beta) * float(floats.values[0][0]),
            "float_p_top": float(floats.equilibria[0][0][0, 0]),
            "float_certificate": float(floats.certificate[0]), "float_converged": bool(floats.converged),
        })
    return rows


def _figure(results: dict[str, dict[str, Any]], beta: float) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for name, result in results.items():
        steps = np.asarray(result["steps"])
        gaps = np.asarray(result["exploitability"])
        ax.plot(steps, np.median(gaps, axis=0), label=f"{result['name']} (median)")
        ax.fill_between(steps, np.quantile(gaps, 0.25, axis=0), np.quantile(gaps, 0.75, axis=0), alpha=0.25)
        del name
    ax.set_yscale("log")
    ax.set_xlabel("steps per seed")
    ax.set_ylabel("exploitability (exact)")
    ax.set_title(f"Big Match (episodic form, discount {beta:g}): independent learners", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def run_experiment(config: BigMatchConfig, context: Context) -> ExperimentResult:
    rows = _exact_rows(config.discounts)
    checks: list[Check] = []
    for r in rows:
        beta = r["discount"]
        checks.append(Check(f"discount {beta:g}: normalised value (1 - beta) V, exact", "1/2",
                            f"{r['normalised']}" if r["normalised"] is not None else "no exact answer",
                            r["rational"] and r["normalised"] == Fraction(1, 2)))
        checks.append(Check(f"discount {beta:g}: row's P(Top) = (1 - beta)/(2 - beta), column 1/2, exact",
                            f"{r['expected_top']}, 1/2", f"{r['p_top']}, {r['p_left']}",
                            r["rational"] and r["p_top"] == r["expected_top"] and r["p_left"] == Fraction(1, 2)))
        checks.append(Check(f"discount {beta:g}: float Shapley VI agrees and is certified",
                            "1/2, exploitability <= 1e-9",
                            f"{r['float_normalised']:.10f}, {r['float_certificate']:.1e}",
                            abs(r["float_normalised"] - 0.5) <= 1e-9 and r["float_certificate"] <= 1e-9
                            and abs(r["float_p_top"] - float(r["expected_top"])) <= 1e-6, zero_below=1e-9))
    cells = [{"learner": name, "discount": config.learner_discount, "steps": steps, "seeds": config.seeds,
              "checkpoints": config.checkpoints, "key": 0}
             for name, steps in (("independent-pg", config.pg_steps), ("independent-q", config.iq_steps))]
    results = {str(r["learner"]): dict(r) for r in context.sweep(learner_cell, cells, "independent learners",
                                                                  folder="learners")}
    pg, iq = results["independent-pg"], results["independent-q"]
    pg_curve = np.median(np.asarray(pg["exploitability"]), axis=0)
    iq_curve = np.median(np.asarray(iq["exploitability"]), axis=0)
    beta = config.learner_discount
    top = (1 - beta) / (2 - beta)
    pg_top, pg_value = float(np.median(pg["p_top"])), float(np.median(pg["value"]))
    checks += [
        Check("independent PG (averaged): median exploitability falls", f"final <= {PG_FALL} x first and <= "
              f"{config.pg_final_below}", f"{pg_curve[0]:.3f} -> {pg_curve[-1]:.3f}",
              pg_curve[-1] <= PG_FALL * pg_curve[0] and pg_curve[-1] <= config.pg_final_below),
        Check("independent PG: median row value and P(Top)", f"{0.5 / (1 - beta):g} +- 0.3, {top:.4f} +- 0.05",
              f"{pg_value:.3f}, {pg_top:.4f}", abs(pg_value - 0.5 / (1 - beta)) <= 0.3 and abs(pg_top - top) <= 0.05),
        Check("independent Q (greedy policies): stays exploited", f"median final >= {IQ_FLOOR}",
              f"{iq_curve[-1]:.3f}", iq_curve[-1] >= IQ_FLOOR),
    ]
    exact_table = Table("Shapley value iteration on the Big Match (exact mode, verified)",
                        ("discount", "V(play)", "(1 - beta) V", "P(Top)", "(1-beta)/(2-beta)", "P(Left)",
                         "exploitability", "float exploitability"),
                        tuple((r["discount"], str(r["value"]), str(r["normalised"]), str(r["p_top"]),
                               str(r["expected_top"]), str(r["p_left"]), str(r["certificate"]),
                               f"{r['float_certificate']:.1e}") for r in rows),
                        zero_below={"float exploitability": 1e-9})
    curve_table = Table("median exploitability over seeds at each checkpoint", ("learner", "steps", "exploitability"),
                        tuple((res["name"], s, f"{g:.4f}") for res, curve in ((pg, pg_curve), (iq, iq_curve))
                              for s, g in zip(res["steps"], curve, strict=True)))
    figure = context.save_figure(_figure(results, beta), "big_match_learners.png",
                                 "Exact exploitability of independent policy gradient (averaged) and independent "
                                 "Q-learning on the episodic Big Match: median over seeds, quartiles shaded.")
    summary = {"exact": [{k: (str(v) if isinstance(v, Fraction) else v) for k, v in r.items()} for r in rows],
               "learners": {name: {"steps": res["steps"], "median_exploitability": np.median(
                   np.asarray(res["exploitability"]), axis=0).tolist(), "seconds": res["seconds"]}
                   for name, res in results.items()},
               "pg_median_p_top": pg_top, "pg_median_value": pg_value}
    return ExperimentResult(summary, tuple(checks), (exact_table, curve_table), (figure,))


EXPERIMENT = register(Experiment(
    name="big-match",
    title="The Big Match: value 1/2 at every discount, and independent learners",
    description="Gillette's Big Match (Blackwell and Ferguson 1968): Shapley value iteration's exact value and "
                "optimal stationary strategy across discounts; the exploitability of independent policy gradient "
                "(Daskalakis et al. 2020) and of independent Q-learning.",
    full=BigMatchConfig(),
    quick=BigMatchConfig(discounts=(0.5, 0.9), pg_steps=50_000, iq_steps=10_000, seeds=8, checkpoints=8,
                         pg_final_below=0.4),
    run=run_experiment,
))
