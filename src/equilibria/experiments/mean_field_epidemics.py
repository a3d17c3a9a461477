"""Epidemic control as a mean-field game: SIS with social distancing, equilibrium against the social optimum.

The game is mfglib's ``susceptible_infected`` (Cui and Koeppl 2021; zoo ``susceptible-infected``, exactly mfglib's
specification: decisions at ``t = 0 .. 50``, 60% infected at first, a susceptible agent going out is infected with
probability ``0.81 x`` the infected share, an infected one recovers with probability 0.3, rewards ``-0.5`` for
distancing, ``-1`` per step infected). Each agent chooses whether to distance against the population's infection
rate (a mean-field Nash equilibrium); a planner chooses everyone's distancing to minimise the average cost
(mean-field control). The experiment

1. runs every equilibrium solver on the game and reports honestly what each reaches (the certificate is
   :func:`equilibria.metrics.mean_field.exploitability` of the policy returned): plain fictitious play and online
   mirror descent stall (Cui and Koeppl 2021; the transitions depend on the mean field and the game is not
   monotone), the undamped fixed-point iteration cycles, while the damped and annealed entropy-regularised
   (Boltzmann) iterations converge -- the latter is the equilibrium used below. The game has several equilibria:
   the damped fixed point certifies another one, with another welfare;
2. solves the social optimum by :func:`~equilibria.solvers.mean_field_control.mean_field_control_solve` (a local
   method, since the transitions depend on the flow) and cross-checks it against the best policy of the family
   "distance until time ``t*``, then go out" (every ``t*`` evaluated exactly);
3. compares the infection curves and the distancing of each: at the equilibrium susceptible agents distance only
   when the infection rate is high, so the epidemic persists; at the optimum they distance until the epidemic is
   almost extinct, which no agent would do alone (the optimum's exploitability is the gain of free-riding).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from equilibria.experiments.base import Check, Context, Experiment, ExperimentResult, Table, register  # noqa: E402

SUSCEPTIBLE, INFECTED = 0, 1
GO_OUT, DISTANCE = 0, 1
EQUILIBRIUM_SOLVER = "boltzmann-annealed"
STALLING = ("fictitious-play", "mirror-descent")


@dataclass(frozen=True)
class EpidemicsConfig:
    """Budgets and tolerances.

    ``iterations``: the budget of every equilibrium solver; ``tol``: the exploitability asked of the equilibrium
    (:data:`EQUILIBRIUM_SOLVER`); ``stall_floor``: fictitious play and mirror descent are said to stall when their
    final exploitability stays above it; ``control_iterations`` / ``control_tol``: mean-field control's budget and
    the stationarity gap asked of it; ``switch_tolerance``: how much more than the best "distance until ``t*``"
    policy the optimum found may cost. Boltzmann iteration: ``temperature * anneal**k`` floored at
    ``min_temperature``, damping ``damping``; the damped fixed point: ``fixed_point_damping``.
    """

    iterations: int = 5000
    tol: float = 1e-8
    stall_floor: float = 1e-2
    control_iterations: int = 2000
    control_tol: float = 1e-8
    switch_tolerance: float = 1e-6
    temperature: float = 1.0
    anneal: float = 0.98
    min_temperature: float = 1e-4
    damping: float = 0.2
    fixed_point_damping: float = 0.1


def _solvers(config: EpidemicsConfig) -> dict[str, tuple[str, Callable[..., Any], dict[str, Any]]]:
    """label -> (description, solve function, keyword arguments) of every equilibrium solver run."""
    from equilibria.solvers.mean_field_fictitious_play import mean_field_fictitious_play_solve
    from equilibria.solvers.mean_field_fixed_point import (
        boltzmann_iteration_solve,
        mean_field_fixed_point_solve,
        prior_descent_solve,
    )
    from equilibria.solvers.mean_field_mirror_descent import online_mirror_descent_solve

    return {
        "fictitious-play": ("fictitious play, weights 1/(k+2)", mean_field_fictitious_play_solve, {}),
        "mirror-descent": ("online mirror descent, learning rate 1", online_mirror_descent_solve, {}),
        "mirror-descent-0.1": ("online mirror descent, learning rate 0.1", online_mirror_descent_solve,
                               {"learning_rate": 0.1}),
        "fixed-point": ("fixed-point iteration (undamped)", mean_field_fixed_point_solve, {}),
        "damped-fixed-point": (f"fixed-point iteration, damping {config.fixed_point_damping:g}",
                               mean_field_fixed_point_solve, {"damping": config.fixed_point_damping}),
        "prior-descent": ("prior descent, temperature 1, prior renewed every 20", prior_descent_solve,
                          {"temperature": 1.0, "n_inner": 20}),
        EQUILIBRIUM_SOLVER: (f"Boltzmann iteration, temperature {config.temperature:g} x {config.anneal:g}^k "
                             f">= {config.min_temperature:g}, damping {config.damping:g}", boltzmann_iteration_solve,
                             {"temperature": config.temperature, "anneal": config.anneal,
                              "min_temperature": config.min_temperature, "damping": config.damping}),
    }


def switching_policies(game: Any) -> np.ndarray:
    """``[T + 1, T, S, A]``: for each ``t*`` in ``0 .. T`` the policy "susceptible agents distance at ``t < t*``
    and go out after; infected agents go out" (distancing does not help an infected agent and costs)."""
    T = game.horizon
    out = np.zeros((T + 1, T, game.n_states, game.n_actions))
    out[..., GO_OUT] = 1.0
    for switch in range(T + 1):
        out[switch, :switch, SUSCEPTIBLE] = (0.0, 1.0)
    return out


def _reached_distancing(policy: np.ndarray, flow: np.ndarray, state: int) -> float:
    """The largest ``P(distance | state)`` over the times the flow reaches ``state`` (mass above 1e-12)."""
    reached = flow[:-1, state] > 1e-12
    return float(np.max(policy[reached, state, DISTANCE], initial=0.0))


def _run(config: EpidemicsConfig) -> dict[str, Any]:
    from equilibria.games.mean_field import flow
    from equilibria.games.zoo.mean_field_applications import susceptible_infected
    from equilibria.metrics.mean_field import social_welfare
    from equilibria.solvers.mean_field_control import mean_field_control_solve

    game = susceptible_infected()
    results = {}
    for label, (description, solve, kwargs) in _solvers(config).items():
        tol = config.tol if label == EQUILIBRIUM_SOLVER or label == "damped-fixed-point" else 0.0
        results[label] = (description, solve(game, max_iterations=config.iterations, tol=tol, **kwargs))
    control = mean_field_control_solve(game, max_iterations=config.control_iterations, tol=config.control_tol)
    switches = [social_welfare(game, p) for p in switching_policies(game)]
    nobody = switching_policies(game)[0]
    return {"game": game, "results": results, "control": control, "switch_welfare": np.array(switches),
            "nobody_flow": np.asarray(flow(game, nobody), dtype=np.float64),
            "nobody_welfare": social_welfare(game, nobody)}


def _figure(game: Any, curves: Mapping[str, tuple[np.ndarray, np.ndarray | None]]) -> plt.Figure:
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 3.8))
    times = np.arange(game.horizon + 1)
    for label, (flow, policy) in curves.items():
        line = axes[0].plot(times, flow[:, INFECTED], label=label)[0]
        if policy is not None:
            axes[1].step(times[:-1], policy[:, SUSCEPTIBLE, DISTANCE], where="post", color=line.get_color(),
                         label=label)
    axes[0].set(xlabel="time t", ylabel="share infected", title="infection curve", ylim=(0, None))
    axes[1].set(xlabel="time t", ylabel="P(distance | susceptible)", title="protection chosen", ylim=(-0.05, 1.05))
    axes[0].legend(fontsize=7)
    fig.suptitle("SIS epidemics (mfglib's susceptible-infected): equilibrium against social optimum", fontsize=10)
    fig.tight_layout()
    return fig


def _curve_figure(results: Mapping[str, tuple[str, Any]]) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for label, (_, result) in results.items():
        curve = np.maximum(np.asarray(result.parameters["exploitability_curve"]), 1e-16)
        ax.semilogy(np.arange(1, len(curve) + 1), curve, label=label, lw=1)
    ax.set(xlabel="iteration", ylabel="exploitability", title="SIS epidemics: every equilibrium solver")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def run_experiment(config: EpidemicsConfig, context: Context) -> ExperimentResult:
    solved = _run(config)
    game, results, control = solved["game"], solved["results"], solved["control"]
    eq = results[EQUILIBRIUM_SOLVER][1]
    eq_policy, eq_flow = eq.equilibria[0], np.asarray(eq.parameters["flow"])
    opt_policy, opt_flow = control.equilibria[0], np.asarray(control.parameters["flow"])
    eq_cost, opt_cost = -float(eq.values[0][0]), -float(control.values[0][0])
    switch = solved["switch_welfare"]
    best_switch = int(np.argmax(switch))
    checks = [
        Check(f"{results[EQUILIBRIUM_SOLVER][0]} reaches a mean-field equilibrium (certified)",
              f"exploitability <= {config.tol:g}", f"{eq.certificate[0]:.2e} after {eq.iterations} iterations",
              eq.certificate[0] <= config.tol, zero_below=config.tol),
    ]
    for label in STALLING:
        description, result = results[label]
        curve = result.parameters["exploitability_curve"]
        checks.append(Check(f"{description} stalls on SIS (Cui and Koeppl 2021)",
                            f"exploitability stays >= {config.stall_floor:g} after {config.iterations} iterations",
                            f"final {result.certificate[0]:.4f} (lowest on the way {min(curve):.4f})",
                            result.certificate[0] >= config.stall_floor))
    fixed = results["fixed-point"][1]
    checks.append(Check("the undamped fixed-point iteration cycles", "no convergence: exploitability stays >= 1",
                        f"final {fixed.certificate[0]:.4f}, lowest {min(fixed.parameters['exploitability_curve']):.4f}",
                        min(fixed.parameters["exploitability_curve"]) >= 1.0))
    checks += [
        Check("mean-field control reaches a stationary point (Frank-Wolfe gap)", f"gap <= {config.control_tol:g}",
              f"{control.parameters['stationarity_gap']:.1e} after {control.iterations} iterations",
              bool(control.converged), zero_below=config.control_tol),
        Check("the optimum is at least as good as the best 'distance until t*' policy (all t* evaluated; the "
              "softmax reaches a deterministic policy only in the limit)",
              f"average cost <= {-switch[best_switch]:.9f} (t* = {best_switch}) + {config.switch_tolerance:g}",
              f"{opt_cost:.9f}", opt_cost <= -switch[best_switch] + config.switch_tolerance),
        Check("the optimum costs less than the equilibrium; agents would leave it (free-riding)",
              "cost(optimum) < cost(equilibrium); exploitability of the optimum > 0",
              f"{opt_cost:.4f} < {eq_cost:.4f}; {control.certificate[0]:.4f}",
              opt_cost < eq_cost and control.certificate[0] > config.tol),
        Check("infected agents never distance (it costs and does not help), at the equilibrium and the optimum",
              "P(distance | infected) = 0 wherever the flow reaches",
              f"max {_reached_distancing(eq_policy, eq_flow, INFECTED):.1e}, "
              f"{_reached_distancing(opt_policy, opt_flow, INFECTED):.1e}",
              max(_reached_distancing(eq_policy, eq_flow, INFECTED),
                  _reached_distancing(opt_policy, opt_flow, INFECTED)) <= 1e-6, zero_below=1e-6),
        Check("the optimum infects fewer: mean infected share over time", "optimum < equilibrium",
              f"{opt_flow[:, INFECTED].mean():.4f} < {eq_flow[:, INFECTED].mean():.4f}",
              opt_flow[:, INFECTED].mean() < eq_flow[:, INFECTED].mean()),
    ]
    rows = []
    for description, result in results.values():
        curve = result.parameters["exploitability_curve"]
        rows.append((description, result.iterations, f"{result.certificate[0]:.3e}", f"{min(curve):.3e}",
                     f"{-float(result.values[0][0]):.4f}", f"{np.asarray(result.parameters['flow'])[-1, 1]:.4f}"))
    rows.append(("mean-field control (social optimum), learning rate 1", control.iterations,
                 f"{control.certificate[0]:.3e}", "-", f"{opt_cost:.4f}", f"{opt_flow[-1, INFECTED]:.4f}"))
    solver_table = Table(f"SIS: what every solver reaches within {config.iterations} iterations (the certificate is "
                         "the exploitability of the policy returned)",
                         ("solver", "iterations", "final exploitability", "lowest on the way", "average cost",
                          "infected at the end"), tuple(rows), zero_below={"final exploitability": config.tol})
    damped = results["damped-fixed-point"][1]
    compare = Table("Equilibrium against social optimum",
                    ("profile", "average cost", "mean share infected", "mean P(distance | susceptible)",
                     "exploitability"),
                    (("equilibrium (annealed Boltzmann)", f"{eq_cost:.4f}", f"{eq_flow[:, 1].mean():.4f}",
                      f"{eq_policy[:, 0, 1].mean():.4f}", f"{eq.certificate[0]:.2e}"),
                     ("equilibrium (damped fixed point)", f"{-float(damped.values[0][0]):.4f}",
                      f"{np.asarray(damped.parameters['flow'])[:, 1].mean():.4f}",
                      f"{damped.equilibria[0][:, 0, 1].mean():.4f}", f"{damped.certificate[0]:.2e}"),
                     ("social optimum (mean-field control)", f"{opt_cost:.4f}", f"{opt_flow[:, 1].mean():.4f}",
                      f"{opt_policy[:, 0, 1].mean():.4f}", f"{control.certificate[0]:.2e}"),
                     (f"best 'distance until t*' (t* = {best_switch})", f"{-switch[best_switch]:.4f}", "-", "-", "-"),
                     ("nobody distances", f"{-solved['nobody_welfare']:.4f}",
                      f"{solved['nobody_flow'][:, 1].mean():.4f}", "0", "-")),
                    zero_below={"exploitability": config.tol})
    curves: dict[str, tuple[np.ndarray, np.ndarray | None]] = {
        "equilibrium (annealed Boltzmann)": (eq_flow, eq_policy)}
    if damped.certificate[0] <= config.tol:
        curves["equilibrium (damped fixed point)"] = (np.asarray(damped.parameters["flow"]), damped.equilibria[0])
    curves["social optimum (mean-field control)"] = (opt_flow, opt_policy)
    curves["nobody distances"] = (solved["nobody_flow"], None)
    figures = (
        context.save_figure(_figure(game, curves), "sis_infection_curves.png",
                            "SIS epidemics: the infected share over time (left) and the probability that a "
                            "susceptible agent distances (right) at the certified equilibria, at the social "
                            "optimum and when nobody distances."),
        context.save_figure(_curve_figure(results), "sis_solvers.png",
                            "Exploitability of each equilibrium solver's iterate on SIS: fictitious play and mirror "
                            "descent stall, the plain fixed point cycles, the damped and annealed iterations "
                            "converge."),
    )
    summary = {
        "solvers": {label: {"description": d, "iterations": r.iterations, "exploitability": r.certificate[0],
                            "lowest": min(r.parameters["exploitability_curve"]), "cost": -float(r.values[0][0])}
                    for label, (d, r) in results.items()},
        "equilibrium_cost": eq_cost, "optimum_cost": opt_cost, "price_of_anarchy": eq_cost / opt_cost,
        "optimum_stationarity_gap": control.parameters["stationarity_gap"],
        "optimum_exploitability": control.certificate[0], "best_switch_time": best_switch,
        "equilibrium_infected": eq_flow[:, 1].tolist(), "optimum_infected": opt_flow[:, 1].tolist(),
    }
    return ExperimentResult(summary, tuple(checks), (solver_table, compare), figures)


EXPERIMENT = register(Experiment(
    name="mean-field-epidemics",
    title="Epidemic control as a mean-field game: SIS with social distancing, equilibrium against optimum",
    description="mfglib's SIS game (Cui and Koeppl 2021): what every mean-field solver reaches (fictitious play "
                "and mirror descent stall; damped and annealed Boltzmann iteration converge, certified by "
                "exploitability), the socially optimal distancing (mean-field control), and the infection curve "
                "of each.",
    full=EpidemicsConfig(),
    quick=EpidemicsConfig(iterations=1000, control_iterations=1000),
    run=run_experiment,
))
