"""The profit gain of Q-learning pricing over the paper's (alpha, beta) grid (Calvano et al., AER 2020, Figure 1).

The paper's Figure 1 averages the profit gain ``Delta`` over 1,000 sessions at each of 100 x 100 points, ``alpha`` in
[0.025, 0.25] and ``beta`` in (0, 2e-5] (:func:`~equilibria.applications.pricing.heatmap.paper_grid`): "a few days on a
40-core workstation" for the authors, about 2 x 10^13 Q-learning periods (measured here: 1.8 million periods per session
on average, 26 ns each, about 120 core-hours; see ``experiments/catalogue.py``). The full configuration is that grid and
is meant for a cluster, ``equilibria reproduce calvano-heatmap --backend ray --ray-address ADDRESS``: each cell is one
Ray task, checkpointed under ``cells/`` as it finishes (with the configuration it belongs to: a changed configuration
computes its cells anew), so a run that is stopped and started again computes only the missing cells and gives the same
map (every cell uses the same seed, so its sessions do not depend on where or when it runs). The quick configuration is
a 4 x 4 grid over the same ranges.

Checks: every session of every cell converges, and ``Delta > 0`` in every cell (prices above the competitive level over
the whole grid, the paper's finding that collusion does not hinge on a fine-tuned ``(alpha, beta)``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from equilibria.applications.pricing import heatmap_cell, heatmap_cells, paper_grid
from equilibria.applications.pricing.heatmap import assemble_heatmap
from equilibria.experiments.base import Check, Context, Experiment, ExperimentResult, register
from equilibria.experiments.calvano import CalvanoConfig, heatmap_figure, heatmap_table, market_extra


@dataclass(frozen=True)
class HeatmapConfig:
    """``points`` x ``points`` cells of the paper's grid with ``sessions`` each; the market is the baseline's."""

    points: int = 100
    sessions: int = 1000
    seed: int = 0
    market: CalvanoConfig = CalvanoConfig()


def run_experiment(config: HeatmapConfig, context: Context) -> ExperimentResult:
    alphas, betas = (tuple(float(v) for v in axis) for axis in paper_grid(config.points))
    cells = heatmap_cells(alphas, betas, sessions=config.sessions, seed=config.seed,
                          extra=market_extra(config.market))
    heat = assemble_heatmap(alphas, betas, context.sweep(heatmap_cell, cells, f"{len(cells)} grid cells"))
    converged = float(heat.converged_share.min())
    lowest = float(heat.delta_mean.min())
    checks = (
        Check("every session of every cell converges", "1.0 in every cell", f"lowest share {converged:.3f}",
              converged == 1.0),
        Check("prices are supra-competitive over the whole grid", "Delta > 0 in every cell",
              f"Delta from {lowest:.3f} to {float(heat.delta_mean.max()):.3f}", lowest > 0.0),
    )
    figure = context.save_figure(heatmap_figure(heat), "profit_gain_heatmap.png",
                                 f"Average profit gain over {config.sessions} sessions per cell on a {config.points} x "
                                 f"{config.points} grid of the paper's ranges (its Figure 1 is 100 x 100).")
    summary = {"alphas": list(alphas), "betas": list(betas), "sessions_per_cell": config.sessions,
               "delta_mean": heat.delta_mean.tolist(), "converged_share": heat.converged_share.tolist(),
               "periods_mean": heat.periods_mean.tolist(), "delta_grid_mean": float(np.mean(heat.delta_mean))}
    return ExperimentResult(summary, checks, (heatmap_table(heat, config.sessions),), (figure,))


EXPERIMENT = register(Experiment(
    name="calvano-heatmap",
    title="Profit gain of Q-learning pricing over the (alpha, beta) grid (Calvano et al. 2020, Figure 1)",
    description="The paper's 100 x 100 grid with 1,000 sessions per cell (full; run it with --backend ray), or a "
                "4 x 4 grid (quick); every cell is checkpointed, so a stopped sweep resumes.",
    full=HeatmapConfig(),
    quick=HeatmapConfig(points=4, sessions=10),
    run=run_experiment,
))
