"""Bayes-Nash equilibria of auctions computed numerically, next to the closed forms and bnelearn's published numbers.

One unit of work per setting (checkpointed, :meth:`Context.sweep`): the numerical solver
(:func:`equilibria.solvers.bayes_nash.bayes_nash_solve`, damped best responses) on a setting of
:mod:`equilibria.games.zoo.auctions` whose equilibrium is known in closed form, then

- the learned bid functions on their grids beside the closed forms (the figures), the L2 distance
  ``sqrt(E_v[(s(v) - s*(v))^2])`` per bidder (:func:`~equilibria.metrics.auctions.l2_distance`);
- the certificate: the in-sample utility loss (bnelearn's ``L``, biased upwards by a few standard errors) with its
  standard error, and the held-out estimate beside it (:func:`~equilibria.metrics.auctions.utility_loss`); the same
  certificate of the closed form, measured on the same draws, is the floor the estimator reads at an exact
  equilibrium;
- ex-ante utilities and revenue by simulation, with standard errors, beside the closed forms' and, for LLG,
  bnelearn's high-precision utilities (Bichler et al. 2021, *Nature Machine Intelligence* 3; recorded in
  :data:`equilibria.games.zoo.auctions.LLG_UTILITIES`).

Settings: symmetric first price ``U[0, 1]`` for ``n = 2..5`` (``b = (n - 1) / n v``), all-pay (``(n - 1) / n v^n``),
Plum's asymmetric bidders ``U[0, 1]``/``U[0, 2]``, and LLG (locals ``U[0, 1]``, global ``U[0, 2]``) under VCG,
nearest-VCG, nearest-bid and proxy payments (Ausubel and Baranov 2020). One more unit checks revenue equivalence:
first-, second-price and all-pay revenues of the closed-form equilibria (``n`` bidders ``U[0, 1]``) by simulation,
each within its confidence interval of ``(n - 1) / (n + 1)``.

Checks: every learned bid function within ``l2_bound`` of its closed form; every learned LLG local's utility within
``utility_tol`` (plus three standard errors) of bnelearn's; the simulated closed-form LLG utilities within three
standard errors plus 1e-5 (bnelearn's own accuracy) of bnelearn's; revenue equivalence within three standard
errors. The certificates are reported, not checked against ``tol``: at the solver's defaults (200 sweeps, grid 33,
2048 draws, first step 0.1) all-pay and Plum's bidders read 4.3e-4 and 8.7e-4 (seed 0), Plum with little room.
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

LLG_RULES = ("vcg", "nearest_vcg", "nearest_bid", "proxy")


@dataclass(frozen=True)
class BayesNashConfig:
    """``first_price_bidders``: the ``n`` of the symmetric first-price settings; ``llg_rules``: LLG payment rules;
    ``sweeps``, ``grid``, ``n_samples``, ``damping``: the solver's best-response sweeps, value grid, draws per sweep
    and first step (the solver's 0.1 settles lower over 200 sweeps; the quick run's 40 sweeps need 0.2);
    ``certificate_values``/``certificate_bids``/``certificate_samples``: the certificate's grids and draws;
    ``simulation_samples``: draws for utilities and revenues; ``revenue_bidders``: bidders of the revenue-equivalence
    unit. Check thresholds: ``l2_bound`` (learned vs closed form), ``utility_tol`` (LLG utilities vs bnelearn's)."""

    seed: int = 0
    first_price_bidders: tuple[int, ...] = (2, 3, 4, 5)
    include_all_pay: bool = True
    include_asymmetric: bool = True
    llg_rules: tuple[str, ...] = LLG_RULES
    sweeps: int = 200
    grid: int = 33
    n_samples: int = 2048
    damping: float = 0.1
    certificate_values: int = 64
    certificate_bids: int = 256
    certificate_samples: int = 2**14
    simulation_samples: int = 2**18
    revenue_bidders: int = 3
    l2_bound: float = 0.03
    utility_tol: float = 5e-3


def _setting_cells(config: BayesNashConfig) -> list[dict[str, Any]]:
    common = {"seed": config.seed, "sweeps": config.sweeps, "grid": config.grid, "n_samples": config.n_samples,
              "damping": config.damping,
              "certificate_values": config.certificate_values, "certificate_bids": config.certificate_bids,
              "certificate_samples": config.certificate_samples, "simulation_samples": config.simulation_samples}
    cells = [{"kind": "setting", "name": "first-price", "params": {"n_bidders": n}, **common}
             for n in config.first_price_bidders]
    if config.include_all_pay:
        cells.append({"kind": "setting", "name": "all-pay", "params": {}, **common})
    if config.include_asymmetric:
        cells.append({"kind": "setting", "name": "asymmetric-first-price", "params": {}, **common})
    cells += [{"kind": "setting", "name": f"llg-{rule.replace('_', '-')}", "params": {}, **common}
              for rule in config.llg_rules]
    cells.append({"kind": "revenue", "n_bidders": config.revenue_bidders, "seed": config.seed,
                  "simulation_samples": config.simulation_samples})
    return cells


def _solve_setting(cell: Mapping[str, Any]) -> dict[str, Any]:
    import jax

    from equilibria.games.zoo.auctions import auction_setting
    from equilibria.metrics.auctions import ex_ante_utilities, utility_loss
    from equilibria.solvers.bayes_nash import bayes_nash_solve

    s = auction_setting(str(cell["name"]), **dict(cell["params"]))
    key = jax.random.key(int(cell["seed"]))
    result = bayes_nash_solve(s.mechanism, s.priors, method="best_response", grid=int(cell["grid"]),
                              n_samples=int(cell["n_samples"]), max_iterations=int(cell["sweeps"]), key=key,
                              damping=float(cell["damping"]),
                              known_equilibrium=s.strategies, certificate_values=int(cell["certificate_values"]),
                              certificate_bids=int(cell["certificate_bids"]),
                              certificate_samples=int(cell["certificate_samples"]))
    learned = result.equilibria[0]
    # The certificate of the closed form itself, on the certificate's own grids and draws: the estimator's floor.
    exact = utility_loss(s.mechanism, s.priors, s.strategies, n_values=int(cell["certificate_values"]),
                         n_bids=int(cell["certificate_bids"]), n_samples=int(cell["certificate_samples"]),
                         key=jax.random.split(key, 3)[1])
    simulation_key = jax.random.key(int(cell["seed"]) + 1)
    closed_utilities, closed_stderr = ex_ante_utilities(s.mechanism, s.priors, s.strategies,
                                                        n_samples=int(cell["simulation_samples"]), key=simulation_key)
    learned_utilities, learned_stderr = ex_ante_utilities(s.mechanism, s.priors, learned,
                                                          n_samples=int(cell["simulation_samples"]),
                                                          key=simulation_key)
    return {
        "kind": "setting", "name": s.name, "n_bidders": len(s.priors), "priors": list(s.prior_texts),
        "reference": s.reference, "iterations": int(result.iterations), "seconds": float(result.seconds),
        "knots": [np.asarray(f.values).tolist() for f in learned],
        "bids": [np.asarray(f.bids).tolist() for f in learned],
        "closed_form": [np.asarray(g(np.asarray(f.values)), dtype=float).tolist()
                        for f, g in zip(learned, s.strategies, strict=True)],
        "l2": [float(x) for x in result.parameters["l2_to_analytic"]],
        "loss": list(result.parameters["utility_loss"]), "loss_stderr": list(result.parameters["stderr"]),
        "held_out": list(result.parameters["utility_loss_held_out"]),
        "held_out_stderr": list(result.parameters["held_out_stderr"]),
        "certificate": float(result.certificate[0]),
        "exact_loss": [float(x) for x in exact.per_bidder], "exact_held_out": [float(x) for x in exact.held_out],
        "utilities": learned_utilities.tolist(), "utilities_stderr": learned_stderr.tolist(),
        "closed_utilities": closed_utilities.tolist(), "closed_utilities_stderr": closed_stderr.tolist(),
        "known_utilities": None if s.utilities is None else list(s.utilities),
        "revenue": float(result.parameters["revenue"]), "revenue_stderr": float(result.parameters["revenue_stderr"]),
        "known_revenue": s.revenue,
    }


def _revenue_unit(cell: Mapping[str, Any]) -> dict[str, Any]:
    import jax

    from equilibria.games.zoo.auctions import auction_setting
    from equilibria.metrics.auctions import expected_revenue

    n = int(cell["n_bidders"])
    rows = {}
    for k, name in enumerate(("first-price", "second-price", "all-pay")):
        s = auction_setting(name, n_bidders=n)
        revenue, stderr = expected_revenue(s.mechanism, s.priors, s.strategies,
                                           n_samples=int(cell["simulation_samples"]),
                                           key=jax.random.key(int(cell["seed"]) + 10 + k))
        rows[name] = {"revenue": revenue, "stderr": stderr}
    return {"kind": "revenue", "n_bidders": n, "expected": (n - 1) / (n + 1), "formats": rows}


def unit(cell: Mapping[str, Any]) -> dict[str, Any]:
    """One unit of work: ``{"kind": "setting", "name", ...}`` -> that setting's solve and measurements, or
    ``{"kind": "revenue", ...}`` -> revenue equivalence of the closed forms."""
    return _solve_setting(cell) if cell["kind"] == "setting" else _revenue_unit(cell)


# ------------------------------------------------------------------------------------------------- report


def _checks(config: BayesNashConfig, settings: list[Mapping[str, Any]], revenue: Mapping[str, Any]) -> list[Check]:
    checks = []
    for r in settings:
        # LLG: the global bidder's truthful bid is weakly dominant only (not pinned above the locals' largest sum),
        # so only the locals' bid functions are compared.
        bidders = range(2) if r["name"].startswith("llg") else range(r["n_bidders"])
        worst = max(r["l2"][i] for i in bidders)
        checks.append(Check(f"{r['name']} ({r['n_bidders']} bidders): the learned bid functions are the closed form's",
                            f"L2 distance <= {config.l2_bound:g}", f"{worst:.4f} (certificate {r['certificate']:.2e}, "
                            f"closed form's {max(r['exact_loss']):.2e})", worst <= config.l2_bound))
    for r in settings:
        if not r["name"].startswith("llg") or r["known_utilities"] is None:
            continue
        known = r["known_utilities"][0]
        gap = abs(r["utilities"][0] - known)
        bound = config.utility_tol + 3 * r["utilities_stderr"][0]
        checks.append(Check(f"{r['name']}: the learned locals' utility is bnelearn's published {known:.6f}",
                            f"|difference| <= {bound:.2g}", f"{r['utilities'][0]:.6f} (difference {gap:.2g})",
                            gap <= bound))
        closed_gap = max(abs(r["closed_utilities"][i] - r["known_utilities"][i]) - 3 * r["closed_utilities_stderr"][i]
                         for i in range(3))
        checks.append(Check(f"{r['name']}: the closed form's simulated utilities are bnelearn's (all three bidders)",
                            "within 3 standard errors + 1e-5", f"largest excess {closed_gap:.2g}",
                            closed_gap <= 1e-5, zero_below=1e-5))
    formats = revenue["formats"]
    worst = max(abs(v["revenue"] - revenue["expected"]) / v["stderr"] for v in formats.values())
    checks.append(Check(f"revenue equivalence ({revenue['n_bidders']} bidders U[0, 1]): first-price, second-price and "
                        f"all-pay equilibria earn (n - 1) / (n + 1) = {revenue['expected']:.4f}",
                        "each within 3 standard errors", ", ".join(f"{k} {v['revenue']:.4f} +- {v['stderr']:.4f}"
                                                                   for k, v in formats.items())
                        + f" (largest {worst:.2f} standard errors)", worst <= 3.0))
    return checks


def _figure(settings: list[Mapping[str, Any]]) -> plt.Figure:
    count = len(settings)
    columns = min(4, count)
    rows = (count + columns - 1) // columns
    fig, axes = plt.subplots(rows, columns, figsize=(3.6 * columns, 3.2 * rows), squeeze=False)
    for ax, r in zip(axes.flat, settings, strict=False):
        shown = range(2) if r["name"].startswith("llg") else range(len(r["knots"]))
        for i in shown:
            if i > 0 and r["priors"][i] == r["priors"][0] and r["bids"][i] == r["bids"][0]:
                continue  # a shared strategy: drawn once
            line, = ax.plot(r["knots"][i], r["bids"][i], "o", ms=3, label=f"learned, bidder {i}")
            ax.plot(r["knots"][i], r["closed_form"][i], "-", color=line.get_color(), lw=1, label="closed form")
        ax.set(title=f"{r['name']} (n = {r['n_bidders']})", xlabel="value", ylabel="bid")
        ax.legend(fontsize=6)
    for ax in list(axes.flat)[count:]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def run_experiment(config: BayesNashConfig, context: Context) -> ExperimentResult:
    results = context.sweep(unit, _setting_cells(config), "Bayes-Nash settings")
    settings = [r for r in results if r["kind"] == "setting"]
    revenue = next(r for r in results if r["kind"] == "revenue")
    checks = _checks(config, settings, revenue)
    rows = tuple(
        (r["name"], r["n_bidders"], r["iterations"], f"{r['certificate']:.2e}",
         ", ".join(f"{x:.1e}" for x in r["loss_stderr"]), ", ".join(f"{x:.1e}" for x in r["held_out"]),
         ", ".join(f"{x:.1e}" for x in r["exact_loss"]), ", ".join(f"{x:.4f}" for x in r["l2"]),
         ", ".join(f"{x:.4f}" for x in r["utilities"]),
         "-" if r["known_utilities"] is None else ", ".join(f"{x:.4f}" for x in r["known_utilities"]),
         f"{r['revenue']:.4f} +- {r['revenue_stderr']:.4f}",
         "-" if r["known_revenue"] is None else f"{r['known_revenue']:.4f}", "yes" if r["certificate"] < 1e-3 else "no")
        for r in settings)
    columns = ("setting", "bidders", "sweeps", "certificate (in-sample max L)", "its standard errors",
               "held-out L per bidder", "closed form's in-sample L", "L2 to closed form", "utilities (learned)",
               "utilities (closed form / bnelearn)", "revenue (learned)", "revenue (closed form)", "below 1e-3")
    revenue_rows = tuple((k, f"{v['revenue']:.5f}", f"{v['stderr']:.5f}", f"{revenue['expected']:.5f}")
                         for k, v in revenue["formats"].items())
    tables = (
        Table(f"Learned versus closed-form equilibria (best responses, {config.sweeps} sweeps, grid {config.grid}; "
              f"certificate {config.certificate_values} values x {config.certificate_bids} bids x "
              f"{config.certificate_samples} draws)", columns, rows),
        Table(f"Revenue equivalence ({revenue['n_bidders']} bidders U[0, 1], closed-form equilibria, "
              f"{config.simulation_samples} draws)", ("format", "revenue", "standard error", "(n - 1) / (n + 1)"),
              revenue_rows),
    )
    figures = (context.save_figure(_figure(settings), "bid_functions.png",
                                   "Learned bid functions (dots, on the solver's value grid) beside the closed forms "
                                   "(lines); LLG: the local bidders."),)
    summary = {
        "settings": {r["name"] + (f"-{r['n_bidders']}" if r["name"] == "first-price" else ""): {
            k: r[k] for k in ("certificate", "held_out", "exact_loss", "l2", "utilities", "known_utilities",
                              "revenue", "revenue_stderr", "known_revenue", "iterations")} for r in settings},
        "revenue_equivalence": revenue,
    }
    return ExperimentResult(summary, tuple(checks), tables, figures)


EXPERIMENT = register(Experiment(
    name="bayes-nash",
    title="Bayes-Nash equilibria of auctions computed by best responses, next to the closed forms and bnelearn",
    description="Learned bid functions beside the analytic ones for first price (n = 2..5), all-pay and Plum's "
                "asymmetric bidders with the utility-loss certificate and the L2 distance; the LLG core-selecting "
                "rules (VCG, nearest-VCG, nearest-bid, proxy) beside bnelearn's published utilities and the closed "
                "forms; revenue equivalence of first-price, second-price and all-pay auctions by simulation.",
    full=BayesNashConfig(),
    quick=BayesNashConfig(first_price_bidders=(2, 3), llg_rules=("nearest_vcg",), sweeps=40, grid=17,
                          n_samples=1024, damping=0.2, certificate_values=32, certificate_bids=128,
                          certificate_samples=2**12, simulation_samples=2**15),
    run=run_experiment,
))
