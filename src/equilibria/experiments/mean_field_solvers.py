"""Every mean-field solver on every mean-field environment: exploitability against iterations and against seconds.

The solvers (:data:`SOLVERS`): the fixed-point iteration, plain and damped; fictitious play (Perrin et al. 2020);
online mirror descent (Perolat et al. 2022); annealed, damped Boltzmann iteration and prior descent (Cui and Koeppl
2021); and mean-field control, the social optimum, whose exploitability is not meant to vanish (it is the gain of
leaving the optimum) and which is therefore tabulated but not plotted. Each runs on each environment of the zoo
(:data:`~equilibria.games.zoo.mean_field.MEAN_FIELD_GAMES`,
:data:`~equilibria.games.zoo.mean_field_applications.MEAN_FIELD_APPLICATIONS` and
:data:`~equilibria.games.zoo.mean_field_routing.MEAN_FIELD_ROUTING`, default parameters) for a fixed budget;
the exploitability of the iterate after every iteration is the solver's recorded curve, and the final number is
:func:`equilibria.metrics.mean_field.exploitability` of the policy returned (a check compares the two).

Time: each solver runs twice with the same budget; the first run compiles its programs (its extra time over the
second is reported as "compile s"), the second is measured, and the seconds axis spreads its wall time evenly over
its iterations (every iteration of a method does the same work). The budget is a number of iterations, smaller on
the large environments (``iteration_caps``), so that both runs do the same work.

What theory promises (Perrin et al. 2020; Perolat et al. 2022): on *monotone* games -- rewards
``r(s, a) + f(s, mu)`` with ``f`` monotone (crowd aversion ``-log mu``, congestion costs increasing in the load) and
transitions that do not depend on the mean field (:data:`MONOTONE`) -- fictitious play's average and mirror
descent's last iterate converge to the equilibrium; the checks ask that their exploitability falls by a factor
(measured) over the run. Elsewhere nothing is promised: the plain fixed-point iteration cycles where best responses
jump between vertices (:data:`CYCLING`), and the table shows what each method reaches.

Each environment is one unit of work (:meth:`Context.sweep`), checkpointed on its own.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from equilibria.experiments.base import Check, Context, Experiment, ExperimentResult, Table, register  # noqa: E402

# label -> (module, function, keyword arguments, description). Mirror descent and Boltzmann iteration use the
# settings that converge on the most environments in a small sweep; the others are the methods' defaults.
SOLVERS: Mapping[str, tuple[str, str, Mapping[str, Any], str]] = {
    "fixed-point": ("equilibria.solvers.mean_field_fixed_point", "mean_field_fixed_point_solve", {},
                    "fixed-point iteration"),
    "damped-fixed-point": ("equilibria.solvers.mean_field_fixed_point", "mean_field_fixed_point_solve",
                           {"damping": 0.1}, "fixed-point iteration, damping 0.1"),
    "fictitious-play": ("equilibria.solvers.mean_field_fictitious_play", "mean_field_fictitious_play_solve", {},
                        "fictitious play, weights 1/(k+2)"),
    "mirror-descent": ("equilibria.solvers.mean_field_mirror_descent", "online_mirror_descent_solve", {},
                       "online mirror descent, learning rate 1"),
    "boltzmann-annealed": ("equilibria.solvers.mean_field_fixed_point", "boltzmann_iteration_solve",
                           {"temperature": 1.0, "anneal": 0.98, "min_temperature": 1e-4, "damping": 0.2},
                           "Boltzmann iteration, temperature 0.98^k >= 1e-4, damping 0.2"),
    "prior-descent": ("equilibria.solvers.mean_field_fixed_point", "prior_descent_solve",
                      {"temperature": 1.0, "n_inner": 20}, "prior descent, temperature 1, prior renewed every 20"),
    "mean-field-control": ("equilibria.solvers.mean_field_control", "mean_field_control_solve", {},
                           "mean-field control (social optimum; not an equilibrium solver)"),
}
NOT_PLOTTED = ("mean-field-control",)
# Monotone environments (module docstring): crowd aversion -log mu (beach-bar, crowd-modelling, crowd-motion,
# building-evacuation), a cost proportional to one's own crowd (left-right), increasing congestion costs (pigou,
# braess-static); none of their transitions depends on the mean field.
MONOTONE = ("left-right", "beach-bar", "crowd-modelling", "crowd-motion", "building-evacuation", "pigou",
            "braess-static")
# Where the plain fixed-point iteration's best responses alternate between two vertices (measured).
CYCLING = ("left-right", "rock-paper-scissors")
GUARANTEED = ("fictitious-play", "mirror-descent")
ALL_ENVIRONMENTS = ("left-right", "beach-bar", "crowd-modelling", "linear-quadratic", "rock-paper-scissors",
                    "susceptible-infected", "crowd-motion", "building-evacuation", "equilibrium-price", "braess",
                    "braess-static", "pigou")


@dataclass(frozen=True)
class SolversConfig:
    """The environments (zoo names), the solvers (keys of :data:`SOLVERS`), each run's budget (``iterations``, or
    the environment's entry of ``iteration_caps`` when smaller) and ``tol`` (a run stops once its iterate is within
    it); ``decrease_factor``: the least factor
    by which fictitious play and mirror descent must lower the exploitability from their first iterate to their last
    on the monotone environments (measured; theory promises convergence, not a rate for these budgets)."""

    environments: tuple[str, ...] = ALL_ENVIRONMENTS
    solvers: tuple[str, ...] = tuple(SOLVERS)
    iterations: int = 1000
    iteration_caps: tuple[tuple[str, int], ...] = (("braess", 40), ("building-evacuation", 100),
                                                   ("crowd-motion", 300))
    tol: float = 1e-12
    decrease_factor: float = 10.0


def make_environment(name: str) -> Any:
    """The zoo's mean-field environment called ``name`` with its default parameters."""
    from equilibria.games.zoo.mean_field import MEAN_FIELD_GAMES
    from equilibria.games.zoo.mean_field_applications import MEAN_FIELD_APPLICATIONS
    from equilibria.games.zoo.mean_field_routing import MEAN_FIELD_ROUTING

    factories = {**MEAN_FIELD_GAMES, **MEAN_FIELD_APPLICATIONS, **MEAN_FIELD_ROUTING}
    if name not in factories:
        from equilibria.core.errors import GameError

        raise GameError(f"environment: unknown mean-field environment {name!r} (known: {', '.join(sorted(factories))})")
    return factories[name]()


def environment_cell(cell: Mapping[str, Any]) -> dict[str, Any]:
    """All the solvers on one environment as a sweep cell: ``{"environment", "solvers", "iterations", "tol"}`` -> per
    solver its exploitability curve, iterations, seconds (the second, measured run), compile seconds (the first
    run's extra time), final certificate and, for mean-field control, the stationarity gap."""
    game = make_environment(str(cell["environment"]))
    out: dict[str, Any] = {"environment": str(cell["environment"]), "describe": game.describe(), "runs": {}}
    for label in cell["solvers"]:
        module, function, kwargs, _ = SOLVERS[label]
        solve = getattr(importlib.import_module(module), function)
        # Without max_seconds the runner does one chunk: the second run repeats the first's programs exactly.
        warm = solve(game, max_iterations=int(cell["iterations"]), tol=float(cell["tol"]), **kwargs)
        result = solve(game, max_iterations=int(cell["iterations"]), tol=float(cell["tol"]), **kwargs)
        out["runs"][label] = {
            "curve": [float(x) for x in result.parameters["exploitability_curve"]],
            "iterations": int(result.iterations), "seconds": float(result.seconds),
            "compile_seconds": max(0.0, float(warm.seconds) - float(result.seconds)),
            "exploitability": float(result.certificate[0]),
            "stationarity_gap": (float(result.parameters["stationarity_gap"])
                                 if "stationarity_gap" in result.parameters else None),
        }
    return out


def _figure(cell: Mapping[str, Any]) -> plt.Figure:
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    for label, run in cell["runs"].items():
        if label in NOT_PLOTTED or not run["curve"]:
            continue
        curve = np.maximum(np.asarray(run["curve"]), 1e-16)  # 0 exactly is drawn at the floor of the log scale
        k = np.arange(1, len(curve) + 1)
        line = axes[0].loglog(k, curve, label=label, lw=1.2)[0]
        axes[1].loglog(k * run["seconds"] / max(len(curve), 1), curve, color=line.get_color(), lw=1.2)
    axes[0].set(xlabel="iteration", ylabel="exploitability")
    axes[1].set(xlabel="seconds (compiled run; the compile time is in the table)")
    axes[0].legend(fontsize=7)
    fig.suptitle(cell["describe"], fontsize=10)
    fig.tight_layout()
    return fig


def run_experiment(config: SolversConfig, context: Context) -> ExperimentResult:
    unknown = [s for s in config.solvers if s not in SOLVERS]
    if unknown:
        raise ValueError(f"SolversConfig.solvers: unknown solver {unknown[0]!r} (known: {', '.join(SOLVERS)})")
    caps = dict(config.iteration_caps)
    cells = [{"environment": env, "solvers": list(config.solvers), "iterations": min(config.iterations,
                                                                                   caps.get(env, config.iterations)),
              "tol": config.tol} for env in config.environments]
    done = {str(c["environment"]): dict(c) for c in context.sweep(environment_cell, cells, "mean-field solvers",
                                                                   folder="environments")}
    checks: list[Check] = []
    for env in config.environments:
        if env not in MONOTONE:
            continue
        for label in GUARANTEED:
            run = done[env]["runs"].get(label)
            if run is None or not run["curve"]:
                continue
            first, last = run["curve"][0], run["exploitability"]
            checks.append(Check(f"{env} (monotone): {SOLVERS[label][3]} lowers the exploitability",
                                f"last <= first / {config.decrease_factor:g}",
                                f"{first:.3g} -> {last:.3g} in {run['iterations']} iterations",
                                last <= first / config.decrease_factor or last <= config.tol,
                                zero_below=config.tol))
    for env in config.environments:
        run = done[env]["runs"].get("fixed-point")
        if env in CYCLING and run is not None:
            checks.append(Check(f"{env}: the plain fixed-point iteration cycles (best responses alternate)",
                                "no convergence: exploitability stays >= 0.1",
                                f"lowest {min(run['curve']):.3g}, final {run['exploitability']:.3g}",
                                min(run["curve"]) >= 0.1))
    worst, where = 0.0, "-"
    for env in config.environments:
        for label, run in done[env]["runs"].items():
            if run["curve"]:
                gap = abs(run["curve"][-1] - run["exploitability"])
                if gap >= worst:
                    worst, where = gap, f"{label} on {env}"
    checks.append(Check("every curve's last point is the certificate (metrics.mean_field.exploitability of the "
                        "policy returned)", "difference <= 1e-9", f"largest {worst:.1e} ({where})", worst <= 1e-9,
                        zero_below=1e-9))
    final = Table("Final exploitability (the certificate of the policy returned) per environment and solver"
                  + ("; mean-field-control's is the gain of leaving the social optimum, not meant to be 0"
                     if "mean-field-control" in config.solvers else ""),
                  ("environment", *config.solvers),
                  tuple((env, *(f"{done[env]['runs'][s]['exploitability']:.3g}" for s in config.solvers))
                        for env in config.environments),
                  zero_below={s: config.tol for s in config.solvers})
    detail_rows = []
    for env in config.environments:
        for label in config.solvers:
            run = done[env]["runs"][label]
            detail_rows.append((env, label, run["iterations"], f"{run['seconds']:.3f}", f"{run['compile_seconds']:.2f}",
                                f"{run['curve'][0]:.3g}" if run["curve"] else "-",
                                f"{min(run['curve']):.3g}" if run["curve"] else "-", f"{run['exploitability']:.3g}",
                                "-" if run["stationarity_gap"] is None else f"{run['stationarity_gap']:.2g}"))
    detail = Table(f"Every run: budget {config.iterations} iterations (fewer on "
                   f"{', '.join(f'{e}: {n}' for e, n in config.iteration_caps)}), stopping at exploitability <= "
                   f"{config.tol:g}",
                   ("environment", "solver", "iterations", "seconds", "compile s", "first", "lowest", "final",
                    "stationarity gap"), tuple(detail_rows), zero_below={"final": config.tol, "lowest": config.tol})
    figures = tuple(context.save_figure(
        _figure(done[env]), f"solvers_{env}.png",
        f"{done[env]['describe']}: exploitability of each solver's iterate against iterations (left) and seconds "
        "(right, the compiled run's time spread evenly over its iterations); 0 is drawn at 1e-16.")
        for env in config.environments)
    summary = {env: {label: {k: v for k, v in run.items() if k != "curve"} for label, run in done[env]["runs"].items()}
               for env in config.environments}
    return ExperimentResult(summary, tuple(checks), (final, detail), figures)


EXPERIMENT = register(Experiment(
    name="mean-field-solvers",
    title="Mean-field solvers on every environment: exploitability against iterations and seconds",
    description="Fixed-point iteration (plain and damped), fictitious play (Perrin et al. 2020), online mirror "
                "descent (Perolat et al. 2022), annealed Boltzmann iteration and prior descent (Cui and Koeppl "
                "2021) and mean-field control on every zoo mean-field environment; fictitious play and mirror "
                "descent lower the exploitability on the monotone ones.",
    full=SolversConfig(),
    quick=SolversConfig(environments=("left-right", "pigou"), solvers=tuple(s for s in SOLVERS if s not in
                                                                            NOT_PLOTTED), iterations=100),
    run=run_experiment,
))
