"""Why gradient descent-ascent cycles, and what fixes it: bilinear games and rock-paper-scissors.

The central story of learning in games (Mescheder et al. 2017; Balduzzi et al. 2018; Gidel et al. 2019; Daskalakis
et al. 2018; Mertikopoulos et al. 2018). On ``min_x max_y sigma x y`` the game Jacobian is a rotation
generator (eigenvalues ``+-i sigma``), so simultaneous GDA's update ``I - eta J`` has spectral radius
``sqrt(1 + a^2) > 1`` (``a = eta sigma``): it spirals out. Alternating GDA stays on a closed orbit (radius 1),
while optimistic GDA, extragradient, consensus optimisation, competitive gradient descent, Hamiltonian gradient
descent and negative momentum contract. The experiment

1. measures every method's per-step contraction on the bilinear game from its trajectory, computes the spectral
   radius of its linearised update (:mod:`equilibria.dynamics.analysis`) and compares both with the closed forms
   from the literature;
2. runs every gradient method and every normal-form learner on rock-paper-scissors (field Jacobian eigenvalues
   ``+-i sqrt 3`` twice and ``0``): GDA spirals out to the simplex's boundary, OGDA and extragradient converge in
   the last iterate, and Hedge's time average converges to uniform while its last iterate keeps cycling.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from equilibria.dynamics import analysis  # noqa: E402
from equilibria.dynamics.methods import METHODS  # noqa: E402
from equilibria.dynamics.run import Trajectory, distance_to, run  # noqa: E402
from equilibria.experiments.base import Check, Context, Experiment, ExperimentResult, Table, register  # noqa: E402
from equilibria.games.zoo import differentiable as zoo  # noqa: E402
from equilibria.report.trajectories import plot_trajectory  # noqa: E402

# Methods with a closed-form rate on the bilinear game, and their names in analysis.predicted_bilinear_radius.
BILINEAR_CLOSED_FORMS = ("gda", "alternating_gda", "extragradient", "optimistic_gda", "cgd", "hamiltonian",
                         "consensus")
RPS_METHODS = ("gda", "optimistic_gda", "extragradient", "consensus", "hedge", "optimistic_hedge", "regret_matching",
               "regret_matching_plus", "fictitious_play", "replicator")


@dataclass(frozen=True)
class CyclingConfig:
    """Step size and horizon on each game; the bilinear coupling is ``sigma``."""

    sigma: float = 1.0
    bilinear_learning_rate: float = 0.1
    bilinear_steps: int = 2000
    rps_learning_rate: float = 0.05
    rps_steps: int = 4000
    tolerance: float = 1e-6


def _bilinear_run(name: str, config: CyclingConfig) -> tuple[Trajectory, float, float]:
    """Trajectory, linearised spectral radius at the equilibrium, and measured per-step rate."""
    game = zoo.bilinear(config.sigma)
    dynamics = METHODS[name].build(config.bilinear_learning_rate)
    origin = (jnp.zeros(()), jnp.zeros(()))
    radius = float(analysis.spectral_radius(dynamics, game, dynamics.init(game, origin)))
    start = (jnp.ones(()), jnp.ones(()))
    trajectory = run(dynamics, game, dynamics.init(game, start), steps=config.bilinear_steps,
                     record_every=config.bilinear_steps // 100, metrics={"distance": distance_to(origin)})
    measured = analysis.measured_rate(np.asarray(trajectory.metrics["distance"]),
                                      steps_between_records=config.bilinear_steps // 100)
    return trajectory, radius, measured


def _bilinear_part(config: CyclingConfig, context: Context) -> tuple[list[Check], Table, dict[str, Trajectory]]:
    a = config.bilinear_learning_rate * config.sigma
    checks, rows, trajectories = [], [], {}
    gradient_methods = [m for m in METHODS.values() if m.family == "gradient"]
    for spec in context.track(gradient_methods, "bilinear game"):
        trajectory, radius, measured = _bilinear_run(spec.name, config)
        trajectories[spec.name] = trajectory
        predicted = (analysis.predicted_bilinear_radius(spec.name, a, sigma=config.sigma,
                                                        learning_rate=config.bilinear_learning_rate)
                     if spec.name in BILINEAR_CLOSED_FORMS else None)
        behaviour = analysis.observed_behaviour(np.asarray(trajectory.metrics["distance"]))
        classification = analysis.classify(radius, tol=config.tolerance)
        rows.append((spec.name, "-" if predicted is None else f"{predicted:.6f}", f"{radius:.6f}",
                     f"{measured:.6f}", classification, behaviour))
        if predicted is not None and spec.name != "alternating_gda":
            ok = abs(radius - predicted) <= config.tolerance and abs(measured - predicted) <= config.tolerance
            checks.append(Check(f"{spec.name}: spectral radius on sigma*x*y, a = {a:g}",
                                f"{predicted:.6f} (closed form)",
                                f"linearised {radius:.6f}, measured {measured:.6f}", ok))
        checks.append(Check(f"{spec.name}: the analysis predicts what the trajectory does", behaviour,
                            f"{classification} (radius {radius:.6f})", classification == behaviour))
    table = Table(f"Bilinear sigma*x*y, sigma = {config.sigma:g}, eta = {config.bilinear_learning_rate:g}: "
                  "spectral radius per step", ("method", "closed form", "linearised update", "measured",
                                               "classification", "trajectory"), tuple(rows))
    return checks, table, trajectories


def _rps_part(config: CyclingConfig, context: Context) -> tuple[list[Check], Table, dict[str, Trajectory]]:
    entry = zoo.entry("rps-mixed")
    game, uniform = entry.build(), entry.equilibrium()
    eigenvalues = analysis.field_eigenvalues(game, uniform)
    expected = np.array(sorted(entry.jacobian_eigenvalues, key=lambda z: (z.imag, z.real)))
    found = np.array(sorted(eigenvalues, key=lambda z: (round(z.imag, 9), round(z.real, 9))))
    checks = [Check("RPS field Jacobian eigenvalues", "+-i sqrt3 (twice), 0 (twice)",
                    ", ".join(f"{z.real:+.3g}{z.imag:+.6f}i" for z in found),
                    bool(np.allclose(found, expected, atol=1e-9)), zero_below=1e-9)]
    rows, trajectories = [], {}
    for name in context.track(RPS_METHODS, "rock-paper-scissors"):
        dynamics = METHODS[name].build(config.rps_learning_rate)
        trajectory = run(dynamics, game, dynamics.init(game, entry.start()), steps=config.rps_steps,
                         record_every=config.rps_steps // 200, metrics={"distance": distance_to(uniform)})
        trajectories[name] = trajectory
        last = np.asarray(trajectory.metrics["distance"])
        average = np.asarray(trajectory.average_metrics["distance"])
        rows.append((name, f"{last[0]:.4f}", f"{last[-1]:.4f}", f"{average[-1]:.4f}"))
    distance = {name: (float(t.metrics["distance"][0]), float(t.metrics["distance"][-1]),
                       float(t.average_metrics["distance"][-1])) for name, t in trajectories.items()}
    start = distance["gda"][0]
    checks += [
        Check("RPS: simultaneous GDA spirals out", "last-iterate distance grows",
              f"{start:.4f} -> {distance['gda'][1]:.4f}", distance["gda"][1] > 1.5 * start),
        Check("RPS: optimistic GDA converges in the last iterate", "distance -> 0",
              f"{start:.4f} -> {distance['optimistic_gda'][1]:.2e}", distance["optimistic_gda"][1] < 1e-2 * start),
        Check("RPS: extragradient converges in the last iterate", "distance -> 0",
              f"{start:.4f} -> {distance['extragradient'][1]:.2e}", distance["extragradient"][1] < 1e-2 * start),
        Check("RPS: Hedge's time average converges to uniform, its last iterate does not",
              "average -> 0, last iterate stays away",
              f"average {distance['hedge'][2]:.3f}, last {distance['hedge'][1]:.3f}",
              distance["hedge"][2] < 0.1 * start and distance["hedge"][1] > 0.5 * start),
    ]
    table = Table(f"Rock-paper-scissors, step size {config.rps_learning_rate:g}, {config.rps_steps} steps: distance "
                  "to the uniform equilibrium", ("method", "start", "last iterate", "time average"), tuple(rows))
    return checks, table, trajectories


def _distance_figure(trajectories: dict[str, Trajectory], title: str) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, trajectory in trajectories.items():
        ax.semilogy(np.asarray(trajectory.steps), np.maximum(np.asarray(trajectory.metrics["distance"]), 1e-16),
                    label=name)
    ax.set(xlabel="step", ylabel="distance to the equilibrium (last iterate)", title=title)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def run_experiment(config: CyclingConfig, context: Context) -> ExperimentResult:
    with jax.enable_x64(True):  # rates are compared to 1e-6: float64 throughout
        bilinear_checks, bilinear_table, bilinear = _bilinear_part(config, context)
        rps_checks, rps_table, rps = _rps_part(config, context)
        figures = [
            context.save_figure(_distance_figure(bilinear, "min_x max_y x*y"), "bilinear_distance.png",
                                "Bilinear game: distance to the equilibrium per step for every gradient method "
                                "(log scale): only simultaneous GDA grows."),
            context.save_figure(_distance_figure(rps, "rock-paper-scissors"), "rps_distance.png",
                                "Rock-paper-scissors: last-iterate distance to the uniform equilibrium."),
        ]
        rps_game = zoo.get("rps-mixed")
        for name in ("gda", "optimistic_gda", "hedge"):
            figure = plot_trajectory(rps[name], rps_game, title=f"{name} on rock-paper-scissors",
                                     action_labels=(("R", "P", "S"),) * 2)
            figures.append(context.save_figure(figure, f"rps_{name}.png",
                                               f"{name} on rock-paper-scissors: both players' strategies on the "
                                               "simplex (solid: last iterate; dashed: time average)."))
    summary = {"bilinear": [dict(zip(bilinear_table.columns, row, strict=True)) for row in bilinear_table.rows],
               "rps": [dict(zip(rps_table.columns, row, strict=True)) for row in rps_table.rows]}
    return ExperimentResult(summary, tuple(bilinear_checks + rps_checks), (bilinear_table, rps_table),
                            tuple(figures))


EXPERIMENT = register(Experiment(
    name="rps-cycling",
    title="GDA cycles on bilinear games and rock-paper-scissors; its fixes converge",
    description="Spectral radii of every gradient method on sigma*x*y from the closed forms, the linearised update "
                "and the trajectory; trajectories of gradient methods and no-regret learners on rock-paper-scissors.",
    full=CyclingConfig(),
    quick=CyclingConfig(bilinear_steps=500, rps_steps=2000),
    run=run_experiment,
))
