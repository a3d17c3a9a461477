"""Selfish routing as a mean-field game: Braess's paradox and Pigou's network, equilibrium against social optimum.

Each driver best-responds to the congestion the whole population makes (a mean-field Nash equilibrium); a planner
instead minimises the average travel time (mean-field control). The ratio of the two average costs is the price of
anarchy: ``3.75 / 3.5 = 15/14`` on Braess's network (Braess 1968; OpenSpiel's ``python_mfg_dynamic_routing`` test
setting) and ``4/3`` on Pigou's (Pigou 1920; Roughgarden and Tardos 2002), ``1 / (1 - p (p + 1)**(-(p + 1)/p))``
when the congestible road costs ``x**p``. The experiment

1. solves the **dynamic** Braess game (zoo ``braess``: vehicles on links with waiting times, travel times rounded to
   whole time steps) by online mirror descent and certifies the equilibrium by its exploitability; its travel time
   is 3.75, as at the known split (1/4 ``A-B-D``, 1/2 ``A-B-C-D``, 1/4 ``A-C-D``; the rounding makes every split
   near it an equilibrium too, so the shares found differ a little), and the social optimum there is the known
   split ``(0.5, 0)`` (travel time 3.5, exploitability 0.75). Mean-field control
   cannot find it on this game: rounding makes the welfare piecewise constant in the policy, so its gradient is 0
   almost everywhere (the full run shows what it reaches);
2. solves the **static** route choice on the same network (zoo ``braess-static``, smooth in the policy) by online
   mirror descent (the equilibrium) and by :func:`~equilibria.solvers.mean_field_control.mean_field_control_solve`
   (the optimum; a global optimum there: the transitions do not depend on the flow and the congestion costs
   increase), each cross-checked against the closed-form split;
3. does the same on **Pigou's** network for several degrees ``p`` against
   :func:`~equilibria.games.zoo.mean_field_routing.pigou_social_optimum`.

Every equilibrium's certificate is :func:`equilibria.metrics.mean_field.exploitability` of the policy returned,
never a solver's own number. Figures: the link loads over time on the dynamic network at the equilibrium and at the
optimum, the route shares of the static networks, and the price of anarchy against the degree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from equilibria.experiments.base import Check, Context, Experiment, ExperimentResult, Table, register  # noqa: E402

EQUILIBRIUM_SPLIT = (0.75, 2.0 / 3.0)  # P(A->B at A), P(B->C at B): routes ABD, ABCD, ACD in shares 1/4, 1/2, 1/4
OPTIMUM_SPLIT = (0.5, 0.0)  # routes ABD, ACD in shares 1/2, 1/2
BRAESS_EQUILIBRIUM_TIME = 3.75
BRAESS_OPTIMUM_TIME = 3.5
ROUTES = ("A-B-D", "A-B-C-D", "A-C-D")


@dataclass(frozen=True)
class RoutingConfig:
    """Budgets and tolerances.

    ``dynamic_horizon`` / ``time_step``: the dynamic Braess game (OpenSpiel's test setting: 100 steps of 0.05; 20
    steps of 0.25 give the same 3.75 and 3.5 with 57 states instead of 281).
    ``mirror_iterations``: online mirror descent on the Braess games (learning rate ``mirror_learning_rate``);
    ``control_iterations``: mean-field control; ``pigou_iterations`` with ``pigou_learning_rate``: mirror descent
    on Pigou's network (its equilibrium is at the boundary, everyone on the congestible road, approached at rate
    ``1/k``: a large step helps). ``tol``: the exploitability (and stationarity gap) asked of the Braess solutions;
    ``pigou_tol``: the exploitability asked on Pigou (a share ``e`` left on the constant road costs about ``p e**2``
    in exploitability and ``p e`` in average cost, so the cost is known to about ``sqrt(p * pigou_tol)``);
    ``poa_tolerance``: how close each price of anarchy must be.
    ``degrees``: the Pigou degrees ``p``. ``dynamic_control``: also run mean-field control on the dynamic game.
    """

    dynamic_horizon: int = 100
    time_step: float = 0.05
    mirror_learning_rate: float = 1.0
    mirror_iterations: int = 1000
    control_iterations: int = 1000
    pigou_learning_rate: float = 10.0
    pigou_iterations: int = 50_000
    degrees: tuple[float, ...] = (1.0, 2.0, 3.0, 4.0)
    tol: float = 1e-9
    pigou_tol: float = 1e-11
    poa_tolerance: float = 1e-4
    dynamic_control: bool = True


def pigou_price_of_anarchy(degree: float) -> float:
    """Roughgarden and Tardos's bound ``1 / (1 - p (p + 1)**(-(p + 1)/p))``, attained by Pigou's network of degree
    ``p`` (equilibrium cost 1)."""
    return 1.0 / (1.0 - degree * (degree + 1.0) ** (-(degree + 1.0) / degree))


def _link_names(game: Any) -> list[str]:
    """The links of the dynamic Braess game, in state order (its state names are ``"<link> <slot>"``)."""
    links: list[str] = []
    for name in game.state_names[:-1]:
        link = name.split(" ")[0]
        if link not in links:
            links.append(link)
    return links


def link_loads(game: Any, flow: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Link names and the population share on each link at each time, ``[T + 1, n_links]``, from a flow of the
    dynamic Braess game (the states are ``(link, waiting slot)`` blocks, then ``arrived``)."""
    links = _link_names(game)
    slots = (game.n_states - 1) // len(links)
    return links, flow[:, :-1].reshape(flow.shape[0], len(links), slots).sum(axis=2)


def dynamic_route_shares(game: Any, flow: np.ndarray) -> np.ndarray:
    """The shares ``[3]`` of routes ``A-B-D``, ``A-B-C-D``, ``A-C-D`` from a dynamic Braess flow: every vehicle that
    enters a link spends exactly one step in its "entering" slot, so the mass entering ``B->D``, ``B->C``, ``A->C``
    over time is the share of each route."""
    links = _link_names(game)
    slots = (game.n_states - 1) // len(links)
    entered = {link: float(flow[:, i * slots].sum()) for i, link in enumerate(links)}
    return np.array([entered["B->D"], entered["B->C"], entered["A->C"]])


def _static_shares(game: Any, flow: np.ndarray) -> np.ndarray:
    """Route shares ``[3]`` of ``braess-static`` (states 3, 4, 5 after the two decisions) or road shares ``[2]`` of
    ``pigou`` (states 1, 2 after its one decision)."""
    return flow[-1, 3:6] if game.name == "braess-static" else flow[-1, 1:3]


def _solve_all(config: RoutingConfig) -> dict[str, Any]:
    from equilibria.games.mean_field import flow
    from equilibria.games.zoo.mean_field_routing import (
        braess,
        braess_policy,
        braess_static,
        pigou,
        pigou_social_optimum,
    )
    from equilibria.metrics.mean_field import exploitability, social_welfare
    from equilibria.solvers.mean_field_control import mean_field_control_solve
    from equilibria.solvers.mean_field_mirror_descent import online_mirror_descent_solve

    out: dict[str, Any] = {}
    dynamic = braess(horizon=config.dynamic_horizon, time_step_length=config.time_step)
    eq = online_mirror_descent_solve(dynamic, learning_rate=config.mirror_learning_rate,
                                     max_iterations=config.mirror_iterations, tol=config.tol)
    known_eq, known_opt = braess_policy(dynamic, *EQUILIBRIUM_SPLIT), braess_policy(dynamic, *OPTIMUM_SPLIT)
    opt_flow = np.asarray(flow(dynamic, known_opt), dtype=np.float64)
    out["dynamic"] = {
        "game": dynamic, "equilibrium": eq, "eq_flow": np.asarray(eq.parameters["flow"]),
        "eq_time": -float(eq.values[0][0]), "eq_shares": dynamic_route_shares(dynamic, eq.parameters["flow"]),
        "known_eq_time": -social_welfare(dynamic, known_eq), "known_eq_exploitability": exploitability(dynamic,
                                                                                                     known_eq),
        "opt_flow": opt_flow, "opt_time": -social_welfare(dynamic, known_opt),
        "opt_exploitability": exploitability(dynamic, known_opt),
        "opt_shares": dynamic_route_shares(dynamic, opt_flow),
    }
    if config.dynamic_control:
        control = mean_field_control_solve(dynamic, max_iterations=config.control_iterations, tol=config.tol)
        out["dynamic"]["control"] = control
    static = braess_static()
    s_eq = online_mirror_descent_solve(static, learning_rate=config.mirror_learning_rate,
                                       max_iterations=config.mirror_iterations, tol=config.tol)
    s_opt = mean_field_control_solve(static, max_iterations=config.control_iterations, tol=config.tol)
    closed_opt = braess_policy(static, *OPTIMUM_SPLIT)
    out["static"] = {
        "game": static, "equilibrium": s_eq, "optimum": s_opt,
        "eq_shares": _static_shares(static, np.asarray(s_eq.parameters["flow"])),
        "opt_shares": _static_shares(static, np.asarray(s_opt.parameters["flow"])),
        "closed_opt_time": -social_welfare(static, closed_opt),
        "closed_opt_exploitability": exploitability(static, closed_opt),
        "closed_eq_time": -social_welfare(static, braess_policy(static, *EQUILIBRIUM_SPLIT)),
    }
    out["pigou"] = []
    base = pigou()
    for degree in config.degrees:
        game = base.with_params(degree=degree)  # same structure: the compiled solvers are reused
        p_eq = online_mirror_descent_solve(game, learning_rate=config.pigou_learning_rate,
                                           max_iterations=config.pigou_iterations, tol=config.pigou_tol)
        p_opt = mean_field_control_solve(game, max_iterations=config.control_iterations, tol=config.tol)
        share, cost = pigou_social_optimum(degree)
        out["pigou"].append({
            "degree": degree, "game": game, "equilibrium": p_eq, "optimum": p_opt,
            "eq_cost": -float(p_eq.values[0][0]), "opt_cost": -float(p_opt.values[0][0]),
            "eq_shares": _static_shares(game, np.asarray(p_eq.parameters["flow"])),
            "opt_shares": _static_shares(game, np.asarray(p_opt.parameters["flow"])),
            "closed_share": share, "closed_cost": cost, "closed_poa": pigou_price_of_anarchy(degree),
        })
    return out


def _loads_figure(dyn: dict[str, Any], time_step: float) -> plt.Figure:
    game = dyn["game"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    for ax, key, title in ((axes[0], "eq_flow", f"equilibrium (travel time {dyn['eq_time']:.4g})"),
                           (axes[1], "opt_flow", f"social optimum (travel time {dyn['opt_time']:.4g})")):
        links, loads = link_loads(game, dyn[key])
        times = np.arange(loads.shape[0]) * time_step
        arrived = dyn[key][:, -1]
        # draw until a few steps after everyone has arrived
        last = len(times) - 1
        if arrived[-1] >= 1.0 - 1e-12:
            last = min(last, int(np.argmax(arrived >= 1.0 - 1e-12)) + 5)
        for i, link in enumerate(links):
            ax.plot(times[: last + 1], loads[: last + 1, i], label=link)
        ax.plot(times[: last + 1], arrived[: last + 1], "k--", label="arrived")
        ax.set(xlabel="time", title=title)
    axes[0].set_ylabel("share of the population on the link")
    axes[1].legend(fontsize=7, ncol=2)
    fig.suptitle("Braess's network, dynamic routing (OpenSpiel's game): link loads over time", fontsize=10)
    fig.tight_layout()
    return fig


def _shares_figure(static: dict[str, Any], pigou_row: dict[str, Any]) -> plt.Figure:
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    width = 0.38
    for ax, labels, eq, opt, title in (
            (axes[0], ROUTES, static["eq_shares"], static["opt_shares"],
             "Braess (static route choice): route shares"),
            (axes[1], ("constant road", "congestible road"), pigou_row["eq_shares"], pigou_row["opt_shares"],
             f"Pigou (degree {pigou_row['degree']:g}): road shares")):
        x = np.arange(len(labels))
        ax.bar(x - width / 2, eq, width, label="equilibrium (mirror descent)")
        ax.bar(x + width / 2, opt, width, label="social optimum (mean-field control)")
        ax.set_xticks(x, labels)
        ax.set(ylim=(0, 1.05), ylabel="share of the population", title=title)
        ax.title.set_fontsize(9)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def _poa_figure(rows: list[dict[str, Any]]) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(5.2, 3.6))
    grid = np.linspace(min(r["degree"] for r in rows) * 0.8, max(r["degree"] for r in rows) * 1.1, 200)
    ax.plot(grid, [pigou_price_of_anarchy(p) for p in grid], "k-", label="1 / (1 - p (p+1)^(-(p+1)/p))")
    ax.plot([r["degree"] for r in rows], [r["eq_cost"] / r["opt_cost"] for r in rows], "o",
            label="measured: mirror descent / mean-field control")
    ax.set(xlabel="degree p of the congestible road's cost x^p", ylabel="price of anarchy",
           title="Pigou's network")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def run_experiment(config: RoutingConfig, context: Context) -> ExperimentResult:
    solved = _solve_all(config)
    dyn, static, pig = solved["dynamic"], solved["static"], solved["pigou"]
    tol, poa_tol = config.tol, config.poa_tolerance
    eq, s_eq, s_opt = dyn["equilibrium"], static["equilibrium"], static["optimum"]
    expected_shares = np.array([0.25, 0.5, 0.25])
    s_eq_time, s_opt_time = -float(s_eq.values[0][0]), -float(s_opt.values[0][0])
    poa_static, poa_dynamic = s_eq_time / s_opt_time, dyn["eq_time"] / dyn["opt_time"]
    poa_braess = BRAESS_EQUILIBRIUM_TIME / BRAESS_OPTIMUM_TIME  # 15/14
    checks = [
        Check("dynamic Braess: online mirror descent reaches a mean-field equilibrium (certified)",
              f"exploitability <= {tol:g}", f"{eq.certificate[0]:.2e} after {eq.iterations} iterations",
              eq.certificate[0] <= tol, zero_below=tol),
        Check("dynamic Braess: equilibrium travel time (its route shares, A-B-D, A-B-C-D, A-C-D, need not be the "
              "static 1/4, 1/2, 1/4: rounding to whole steps leaves a set of equilibria)", "3.75",
              f"{dyn['eq_time']:.10g} (shares " + ", ".join(f"{x:.4f}" for x in dyn["eq_shares"]) + ")",
              abs(dyn["eq_time"] - BRAESS_EQUILIBRIUM_TIME) <= 1e-9),
        Check("dynamic Braess: the known equilibrium split (0.75, 2/3) is certified and takes 3.75",
              "exploitability 0, 3.75", f"{dyn['known_eq_exploitability']:.1e}, {dyn['known_eq_time']:.10g}",
              dyn["known_eq_exploitability"] <= tol and abs(dyn["known_eq_time"] - 3.75) <= 1e-9, zero_below=tol),
        Check("dynamic Braess: social optimum (the split (0.5, 0)) and a deviator's gain from it",
              "travel time 3.5, exploitability 0.75",
              f"{dyn['opt_time']:.10g}, {dyn['opt_exploitability']:.10g}",
              abs(dyn["opt_time"] - BRAESS_OPTIMUM_TIME) <= 1e-9 and abs(dyn["opt_exploitability"] - 0.75) <= 1e-9),
        Check("dynamic Braess: price of anarchy", "15/14 = 1.0714286", f"{poa_dynamic:.7f}",
              abs(poa_dynamic - poa_braess) <= poa_tol),
        Check("static Braess: online mirror descent's equilibrium (certified), travel time and route shares",
              f"exploitability <= {tol:g}; 3.75; 1/4, 1/2, 1/4",
              f"{s_eq.certificate[0]:.1e}; {s_eq_time:.10g}; " + ", ".join(f"{x:.6f}" for x in
                                                                           static["eq_shares"]),
              s_eq.certificate[0] <= tol and abs(s_eq_time - 3.75) <= 1e-6
              and bool(np.allclose(static["eq_shares"], expected_shares, atol=1e-4)), zero_below=tol),
        Check("static Braess: mean-field control's optimum (stationary) against the closed-form split (0.5, 0)",
              f"3.5 (closed form {static['closed_opt_time']:.10g}), gap <= {tol:g}; shares 1/2, 0, 1/2",
              f"{s_opt_time:.10g}, gap {s_opt.parameters['stationarity_gap']:.1e}; "
              + ", ".join(f"{x:.6f}" for x in static["opt_shares"]),
              abs(s_opt_time - 3.5) <= 1e-6 and abs(static["closed_opt_time"] - 3.5) <= 1e-12
              and bool(s_opt.converged) and bool(np.allclose(static["opt_shares"], [0.5, 0.0, 0.5], atol=1e-4))),
        Check("static Braess: a deviator's gain at the optimum (route A-B-C-D takes 3.25)", "0.25",
              f"{s_opt.certificate[0]:.8f} (closed-form split {static['closed_opt_exploitability']:.8f})",
              abs(s_opt.certificate[0] - 0.25) <= 1e-6 and abs(static["closed_opt_exploitability"] - 0.25) <= 1e-12),
        Check("static Braess: price of anarchy", "15/14 = 1.0714286", f"{poa_static:.7f}",
              abs(poa_static - poa_braess) <= poa_tol),
    ]
    for row in pig:
        p_eq, p_opt = row["equilibrium"], row["optimum"]
        poa = row["eq_cost"] / row["opt_cost"]
        checks.append(Check(
            f"Pigou (degree {row['degree']:g}): equilibrium (certified) cost 1, optimum (stationary) against the "
            "closed form", f"exploitability <= {config.pigou_tol:g}, cost 1; optimum x = {row['closed_share']:.6f}, "
            f"cost {row['closed_cost']:.6f}",
            f"{p_eq.certificate[0]:.1e}, {row['eq_cost']:.6f}; x = {row['opt_shares'][1]:.6f}, "
            f"{row['opt_cost']:.6f}",
            p_eq.certificate[0] <= config.pigou_tol and abs(row["eq_cost"] - 1.0) <= poa_tol
            and bool(p_opt.converged) and abs(row["opt_cost"] - row["closed_cost"]) <= 1e-6
            and abs(row["opt_shares"][1] - row["closed_share"]) <= 1e-4, zero_below=config.pigou_tol))
        expected = "4/3 = 1.3333333" if row["degree"] == 1 else f"{row['closed_poa']:.7f}"
        checks.append(Check(f"Pigou (degree {row['degree']:g}): price of anarchy", expected, f"{poa:.7f}",
                            abs(poa - row["closed_poa"]) <= poa_tol))
    control = dyn.get("control")
    rows = [
        ("Braess, dynamic", "equilibrium", f"online mirror descent ({eq.iterations} it.)", f"{dyn['eq_time']:.6f}",
         ", ".join(f"{x:.4f}" for x in dyn["eq_shares"]), f"{eq.certificate[0]:.2e}"),
        ("Braess, dynamic", "optimum", "closed form (0.5, 0)", f"{dyn['opt_time']:.6f}",
         ", ".join(f"{x:.4f}" for x in dyn["opt_shares"]), f"{dyn['opt_exploitability']:.2e}"),
    ]
    if control is not None:
        control_shares = dynamic_route_shares(dyn["game"], np.asarray(control.parameters["flow"]))
        rows.append(("Braess, dynamic", "mean-field control (gradient 0 a.e.: rounding)",
                     f"mean_field_control_solve ({control.iterations} it.)", f"{-float(control.values[0][0]):.6f}",
                     ", ".join(f"{x:.4f}" for x in control_shares), f"{control.certificate[0]:.2e}"))
        checks.append(Check("dynamic Braess: mean-field control cannot beat the optimum (it stalls: the rounded "
                            "travel times make the welfare piecewise constant)", ">= 3.5",
                            f"{-float(control.values[0][0]):.6f}", -float(control.values[0][0]) >= 3.5 - 1e-9))
    rows += [
        ("Braess, static", "equilibrium", f"online mirror descent ({s_eq.iterations} it.)", f"{s_eq_time:.6f}",
         ", ".join(f"{x:.4f}" for x in static["eq_shares"]), f"{s_eq.certificate[0]:.2e}"),
        ("Braess, static", "optimum", f"mean-field control ({s_opt.iterations} it.)", f"{s_opt_time:.6f}",
         ", ".join(f"{x:.4f}" for x in static["opt_shares"]), f"{s_opt.certificate[0]:.2e}"),
    ]
    for row in pig:
        rows += [(f"Pigou, degree {row['degree']:g}", "equilibrium",
                  f"online mirror descent ({row['equilibrium'].iterations} it.)", f"{row['eq_cost']:.6f}",
                  ", ".join(f"{x:.4f}" for x in row["eq_shares"]), f"{row['equilibrium'].certificate[0]:.2e}"),
                 (f"Pigou, degree {row['degree']:g}", "optimum",
                  f"mean-field control ({row['optimum'].iterations} it.)", f"{row['opt_cost']:.6f}",
                  ", ".join(f"{x:.4f}" for x in row["opt_shares"]), f"{row['optimum'].certificate[0]:.2e}")]
    table = Table("Average travel cost at the equilibrium and at the social optimum (routes A-B-D, A-B-C-D, A-C-D; "
                  "Pigou: constant road, congestible road)",
                  ("network", "profile", "solved by", "average cost", "shares", "exploitability"), tuple(rows),
                  zero_below={"exploitability": tol})
    poa_table = Table("Price of anarchy", ("network", "equilibrium cost", "optimum cost", "measured", "expected"),
                      (("Braess, dynamic", f"{dyn['eq_time']:.6f}", f"{dyn['opt_time']:.6f}", f"{poa_dynamic:.7f}",
                        "15/14 = 1.0714286"),
                       ("Braess, static", f"{s_eq_time:.6f}", f"{s_opt_time:.6f}", f"{poa_static:.7f}",
                        "15/14 = 1.0714286"))
                      + tuple((f"Pigou, degree {r['degree']:g}", f"{r['eq_cost']:.6f}", f"{r['opt_cost']:.6f}",
                               f"{r['eq_cost'] / r['opt_cost']:.7f}", f"{r['closed_poa']:.7f}") for r in pig))
    figures = [
        context.save_figure(_loads_figure(dyn, config.time_step), "braess_link_loads.png",
                            "Dynamic Braess game: the share of the population on each link over time, at the "
                            "certified equilibrium found by online mirror descent (left) and at the social "
                            "optimum split (0.5, 0) (right); dashed: the share arrived."),
        context.save_figure(_shares_figure(static, pig[0]), "route_shares.png",
                            "Route shares at the equilibrium (online mirror descent) and at the social optimum "
                            "(mean-field control): Braess's static route choice and Pigou's network."),
        context.save_figure(_poa_figure(pig), "pigou_price_of_anarchy.png",
                            "Pigou's network with a congestible road costing x^p: measured price of anarchy "
                            "against Roughgarden and Tardos's closed form."),
    ]
    summary = {
        "braess_dynamic": {"equilibrium_time": dyn["eq_time"], "equilibrium_exploitability": eq.certificate[0],
                           "equilibrium_route_shares": dyn["eq_shares"].tolist(), "optimum_time": dyn["opt_time"],
                           "optimum_exploitability": dyn["opt_exploitability"], "price_of_anarchy": poa_dynamic,
                           "control_time": None if control is None else -float(control.values[0][0])},
        "braess_static": {"equilibrium_time": s_eq_time, "equilibrium_exploitability": s_eq.certificate[0],
                          "optimum_time": s_opt_time, "optimum_stationarity_gap":
                              s_opt.parameters["stationarity_gap"], "price_of_anarchy": poa_static},
        "pigou": [{"degree": r["degree"], "equilibrium_cost": r["eq_cost"], "optimum_cost": r["opt_cost"],
                   "equilibrium_exploitability": r["equilibrium"].certificate[0],
                   "price_of_anarchy": r["eq_cost"] / r["opt_cost"], "expected": r["closed_poa"]} for r in pig],
    }
    return ExperimentResult(summary, tuple(checks), (table, poa_table), tuple(figures))


EXPERIMENT = register(Experiment(
    name="mean-field-routing",
    title="Selfish routing as a mean-field game: Braess's paradox and Pigou's network",
    description="Mean-field equilibria (online mirror descent, certified by exploitability) against social optima "
                "(mean-field control and closed forms) on Braess's network, dynamic (OpenSpiel's game) and static, "
                "and on Pigou's network: prices of anarchy 15/14 and 4/3 (Braess 1968; Roughgarden and Tardos "
                "2002).",
    full=RoutingConfig(),
    quick=RoutingConfig(dynamic_horizon=20, time_step=0.25, mirror_iterations=300, control_iterations=300,
                        pigou_iterations=1000, degrees=(1.0, 2.0), pigou_tol=1e-7, poa_tolerance=1e-3,
                        dynamic_control=False),
    run=run_experiment,
))
