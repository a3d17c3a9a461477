"""Leduc poker: exploitability of every CFR variant against iterations and against wall-clock seconds.

Leduc hold'em (Southey et al. 2005) as OpenSpiel's ``leduc_poker``: 9457 nodes, 936 information sets. Every variant
of :data:`equilibria.solvers.cfr.VARIANTS` (vanilla CFR, CFR+, linear CFR, DCFR, predictive CFR+, and external- and
outcome-sampling MCCFR) runs from :func:`~equilibria.solvers.cfr.cfr_init` through
:func:`~equilibria.solvers.cfr.cfr_update` with alternating updates; on a log-spaced grid of iterations the
average profile's exploitability (:func:`equilibria.metrics.exploitability.exploitability`, OpenSpiel's
convention NashConv / 2) is recorded together with the seconds spent in ``cfr_update`` so far (the evaluations are
not timed). The Monte Carlo variants' iterations are not much cheaper than full-width ones on a tree this small
(external sampling sweeps the whole sequence tree with a sampled profile; outcome sampling walks one path, but the
per-iteration bookkeeping of the flat arrays dominates), and they need many more iterations.

Each variant is one unit of work, checkpointed under ``cells/`` when it finishes (the full run takes about a minute
and a half on two cores, the external-sampling variant half of it), so a killed run resumes with the missing variants.

Checks: the first average is the uniform profile (exploitability ``4.7472.../2``, the zoo's NashConv fact);
vanilla CFR after 1000 iterations has exploitability 0.0118178 (OpenSpiel's figure, Lanctot et al. 2019; to 1e-6,
the round-off drift between two summation orders, see :mod:`equilibria.solvers.cfr`); the sequence-form LP's value
is -0.085606424078 (to 1e-9); every full-width variant ends below where it started, and the best reaches the
configured exploitability target.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from equilibria.experiments.base import Check, Context, Experiment, ExperimentResult, Table, register  # noqa: E402
from equilibria.experiments.kuhn_value import Curve, curve_cell, log_grid  # noqa: E402
from equilibria.games.zoo import extensive_form as zoo  # noqa: E402
from equilibria.solvers.cfr import VARIANTS  # noqa: E402
from equilibria.solvers.sequence_form_lp import sequence_form_lp_solve  # noqa: E402

VANILLA_ITERATIONS = 1000
OPENSPIEL_VANILLA_EXPLOITABILITY = 0.0118178  # OpenSpiel's CFRSolver on leduc_poker after 1000 iterations
VANILLA_TOLERANCE = 1e-6
LP_TOLERANCE = 1e-9
START_TOLERANCE = 1e-12
MILESTONES = (1e-3, 1e-4)  # the table reports when each curve first reaches these


@dataclass(frozen=True)
class LeducConfig:
    """Horizons of the full-width and sampling variants, the grid, the sampling seed and the best variant's target.

    ``full_width_iterations`` must be at least 1000: the vanilla-CFR check reads the curve at 1000 iterations.
    """

    full_width_iterations: int = 20_000
    sampled_iterations: int = 50_000
    grid_points: int = 40
    seed: int = 0
    best_target: float = 1e-4

    def __post_init__(self) -> None:
        if self.full_width_iterations < VANILLA_ITERATIONS:
            raise ValueError(f"LeducConfig(full_width_iterations): at least {VANILLA_ITERATIONS} needed for the "
                             f"vanilla CFR check, got {self.full_width_iterations}")


def _is_sampling(variant: str) -> bool:
    return VARIANTS[variant].sampling is not None


def _first_reaching(curve: Curve, target: float) -> tuple[str, str]:
    """The first grid point (iterations, seconds) at which ``curve`` is at or below ``target``, as text."""
    for iterations, seconds, value in zip(curve.iterations, curve.seconds, curve.exploitability, strict=True):
        if value <= target:
            return str(iterations), f"{seconds:.3f}"
    return "-", "-"


def _curves(config: LeducConfig, context: Context) -> list[Curve]:
    """One unit of work per variant (checkpointed as it finishes, so a killed run resumes with the missing ones)."""
    full_grid = log_grid(config.full_width_iterations, config.grid_points, include=(VANILLA_ITERATIONS,))
    sampled_grid = log_grid(config.sampled_iterations, config.grid_points)
    cells = [{"game": "leduc-poker", "variant": variant, "seed": config.seed,
              "grid": list(sampled_grid if _is_sampling(variant) else full_grid)} for variant in VARIANTS]
    return [Curve.from_dict(str(r["variant"]), r) for r in context.sweep(curve_cell, cells, "Leduc: CFR variants")]


def _checks(curves: list[Curve], lp_value: float, config: LeducConfig) -> list[Check]:
    entry = zoo.entry("leduc-poker")
    assert entry.value is not None and entry.uniform_nash_conv is not None
    uniform = float(entry.uniform_nash_conv) / 2
    by_name = {c.variant: c for c in curves}
    vanilla = by_name["cfr"]
    at_1000 = vanilla.exploitability[vanilla.iterations.index(VANILLA_ITERATIONS)]
    full_width = [c for c in curves if not _is_sampling(c.variant)]
    best = min(full_width, key=lambda c: c.exploitability[-1])
    starts = [c.exploitability[0] for c in curves]
    rising = [c.variant for c in full_width if not c.exploitability[-1] < c.exploitability[0]]
    return [
        Check("the first average profile is uniform (zoo: uniform NashConv / 2)", f"{uniform:.12g} for every variant",
              f"from {min(starts):.12g} to {max(starts):.12g}",
              all(abs(start - uniform) <= START_TOLERANCE for start in starts)),
        Check("vanilla CFR, alternating updates, 1000 iterations (OpenSpiel's CFRSolver)",
              f"{OPENSPIEL_VANILLA_EXPLOITABILITY} (to 1e-6)", f"{at_1000:.7f}",
              abs(at_1000 - OPENSPIEL_VANILLA_EXPLOITABILITY) <= VANILLA_TOLERANCE),
        Check("sequence-form LP value of Leduc poker", f"{float(entry.value):.12f} (to 1e-9)", f"{lp_value:.12f}",
              abs(lp_value - float(entry.value)) <= LP_TOLERANCE),
        Check("every full-width variant ends below its start", "final < initial exploitability",
              ", ".join(f"{c.variant} {c.exploitability[-1]:.2g}" for c in full_width),
              not rising),
        Check(f"the best full-width variant reaches {config.best_target:g}",
              f"<= {config.best_target:g} within {config.full_width_iterations} iterations",
              f"{best.variant}: {best.exploitability[-1]:.3g}", best.exploitability[-1] <= config.best_target),
    ]


def _table(curves: list[Curve]) -> Table:
    rows = []
    for c in curves:
        reached = [cell for target in MILESTONES for cell in _first_reaching(c, target)]
        rows.append((c.variant, "sampling" if _is_sampling(c.variant) else "full width", c.iterations[-1],
                     f"{c.seconds[-1]:.2f}", f"{1e3 * c.seconds[-1] / c.iterations[-1]:.3f}",
                     f"{c.exploitability[-1]:.3g}", *reached))
    columns = ("variant", "kind", "iterations", "seconds", "ms per iteration", "final exploitability",
               *(f"{label} to {target:g}" for target in MILESTONES for label in ("iterations", "seconds")))
    return Table("CFR variants on Leduc poker (alternating updates; milestones at the first grid point reaching "
                 "them, '-' = not reached)", columns, tuple(rows))


def _figure(curves: list[Curve]) -> plt.Figure:
    fig, (by_iteration, by_time) = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for k, c in enumerate(curves):
        style = {"color": f"C{k}", "ls": "--" if _is_sampling(c.variant) else "-", "label": c.variant}
        exploit = np.maximum(c.exploitability, 1e-16)
        by_iteration.loglog(c.iterations, exploit, **style)
        seconds = np.asarray(c.seconds)
        positive = seconds > 0  # a log axis cannot show the (sub-resolution) first timings
        by_time.loglog(seconds[positive], exploit[positive], **style)
    by_iteration.set(xlabel="iterations", ylabel="exploitability of the average profile", title="Leduc poker")
    by_time.set(xlabel="seconds in cfr_update", title="against wall-clock time")
    by_iteration.legend(fontsize=8)
    fig.tight_layout()
    return fig


def run_experiment(config: LeducConfig, context: Context) -> ExperimentResult:
    game = zoo.get("leduc-poker")
    lp_value = float(sequence_form_lp_solve(game).parameters["value"])
    curves = _curves(config, context)
    figure = context.save_figure(_figure(curves), "leduc_convergence.png",
                                 "Leduc poker: exploitability of the average profile of every CFR variant against "
                                 "iterations (left) and seconds spent iterating (right), log-log; dashed: Monte "
                                 "Carlo (sampling) variants.")
    summary = {"lp_value": lp_value, "curves": {c.variant: c.as_dict() for c in curves}}
    return ExperimentResult(summary, tuple(_checks(curves, lp_value, config)), (_table(curves),), (figure,))


EXPERIMENT = register(Experiment(
    name="leduc-convergence",
    title="Leduc poker: every CFR variant's exploitability against iterations and seconds",
    description="Vanilla CFR, CFR+, linear CFR, DCFR, predictive CFR+ and external/outcome-sampling MCCFR on Leduc "
                "hold'em: convergence curves, OpenSpiel's vanilla-CFR figure at 1000 iterations and the "
                "sequence-form LP value.",
    full=LeducConfig(),
    quick=LeducConfig(full_width_iterations=1000, sampled_iterations=500, grid_points=16, best_target=1e-3),
    run=run_experiment,
))
