"""GSP versus VCG in sponsored search: the EOS equilibrium, truthful GSP, VCG, and the IC regret of each.

Edelman, Ostrovsky and Schwarz (2007), "Internet Advertising and the Generalized Second-Price Auction", and Varian
(2007): with full information, GSP has a locally envy-free Nash equilibrium whose lowest member (EOS; computed by
:func:`equilibria.solvers.position_auction.eos_solve`) earns exactly the revenue of VCG with truthful bids, while
truthful bidding in GSP earns at least as much but is in general not an equilibrium. The paper's example: CTRs
(200, 100), values (10, 4, 2): EOS bids (-, 3, 2), revenue 800 = VCG; truthful GSP 1000. There truthful GSP happens
to be an equilibrium too; with CTRs (200, 199) the top bidder gains 199 (10 - 2) - 200 (10 - 4) = 392 by dropping to
the second slot.

Full information (one unit of work per family of profiles): the literature's two profiles, random profiles (random
CTRs, bidders, slots, values on [0, 10], quality scores on half of them, a per-click reserve on a third of the
others), and many bidders under geometric (``ctr_j = d**j``) and power-law (``ctr_j = (j + 1)**-a``) CTRs with
quality scores. For each profile: revenue and welfare of EOS, truthful GSP and VCG (truthful), and the exact Nash
regret of each bid profile (:func:`equilibria.metrics.position_auctions.nash_regret`: every reachable deviation
evaluated). Tolerances are relative to the profile's scale ``max_i quality_i v_i ctr_0`` (``eos_solve``'s own).

Bayesian (one unit per mechanism): independent U[0, 1] values, everyone else truthful; the IC regret of truthful
bidding per value, i.e. the largest expected gain over a grid of misreports, with the best misreport and its
standard error (:func:`equilibria.metrics.auctions.ic_regret`), for GSP and VCG on the same CTRs and for first- and
second-price single-item auctions with the same bidders. VCG and second price are dominant-strategy IC, so their
gain is 0 draw by draw; GSP and first price shade.
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


@dataclass(frozen=True)
class PositionAuctionsConfig:
    """Full-information profiles and the Bayesian IC-regret setting.

    ``random_profiles`` random profiles with bidders drawn from ``random_bidders``; ``many_bidders`` bidders and
    ``many_slots`` slots under each of ``geometric_decays`` and ``power_exponents``; ``seed`` for all of them.
    IC regret: ``ic_bidders`` bidders with U[0, 1] values, position CTRs ``ic_ctr``, ``ic_values`` values,
    ``ic_misreports`` misreports on [0, 1], ``ic_samples`` draws of the others' values. Check thresholds: ``rtol``
    (revenue equality and zero Nash regret, relative to a profile's scale), ``shading_gain_above`` (the smallest
    largest-IC-gain called clearly positive for GSP and first price).
    """

    seed: int = 0
    random_profiles: int = 200
    random_bidders: tuple[int, ...] = (2, 3, 4, 5, 8, 12)
    many_bidders: int = 40
    many_slots: int = 15
    geometric_decays: tuple[float, ...] = (0.5, 0.7, 0.9)
    power_exponents: tuple[float, ...] = (0.5, 1.0, 2.0)
    ic_bidders: int = 4
    ic_ctr: tuple[float, ...] = (1.0, 0.6, 0.3)
    ic_values: int = 64
    ic_misreports: int = 256
    ic_samples: int = 2 ** 15
    rtol: float = 1e-9
    shading_gain_above: float = 0.02


MECHANISMS = {"gsp": "GSP", "vcg": "VCG", "first_price": "first price", "second_price": "second price"}


# --------------------------------------------------------------------------------------------------- profiles

def _literature() -> list[dict[str, Any]]:
    return [{"name": "EOS example: CTR (200, 100), values (10, 4, 2)", "ctr": [200.0, 100.0],
             "values": [10.0, 4.0, 2.0], "quality": None, "reserve": 0.0},
            {"name": "CTR (200, 199), values (10, 4, 2)", "ctr": [200.0, 199.0], "values": [10.0, 4.0, 2.0],
             "quality": None, "reserve": 0.0}]


def _random_profiles(cell: Mapping[str, Any]) -> list[dict[str, Any]]:
    rng = np.random.default_rng([int(cell["seed"]), 1])
    profiles = []
    for k in range(int(cell["count"])):
        n = int(rng.choice(cell["bidders"]))
        slots = int(rng.integers(1, n + 1))
        ctr = np.sort(rng.random(slots))[::-1]
        values = rng.uniform(0.0, 10.0, n)
        quality = rng.uniform(0.5, 1.5, n).tolist() if k % 2 else None
        reserve = float(rng.uniform(0.0, 4.0)) if quality is None and k % 3 == 0 else 0.0
        profiles.append({"name": f"random {k}", "ctr": ctr.tolist(), "values": values.tolist(), "quality": quality,
                         "reserve": reserve})
    return profiles


def _shaped_profiles(cell: Mapping[str, Any]) -> list[dict[str, Any]]:
    rng = np.random.default_rng([int(cell["seed"]), 2])
    n, slots = int(cell["bidders"]), int(cell["slots"])
    j = np.arange(slots)
    profiles = []
    for parameter in cell["parameters"]:
        if cell["family"] == "geometric":
            ctr, name = float(parameter) ** j, f"geometric {parameter:g}"
        else:
            ctr, name = (j + 1.0) ** -float(parameter), f"power law {parameter:g}"
        profiles.append({"name": f"{name}, {n} bidders, {slots} slots", "ctr": ctr.tolist(),
                         "values": rng.uniform(0.0, 10.0, n).tolist(), "quality": rng.uniform(0.5, 1.5, n).tolist(),
                         "reserve": 0.0})
    return profiles


def _evaluate(profile: Mapping[str, Any]) -> dict[str, Any]:
    """EOS, truthful GSP and truthful VCG on one full-information profile: revenue, welfare, exact Nash regret."""
    from equilibria.games.auctions import PositionAuction, outcome, revenue, welfare
    from equilibria.metrics.position_auctions import nash_regret
    from equilibria.solvers.position_auction import eos_solve

    values = np.asarray(profile["values"], dtype=float)
    n = values.size
    quality = None if profile["quality"] is None else tuple(profile["quality"])
    ctr, reserve = tuple(profile["ctr"]), float(profile["reserve"])
    gsp = PositionAuction("gsp", ctr, n, quality, reserve)
    vcg = PositionAuction("vcg", ctr, n, quality, reserve)
    eos = eos_solve(gsp, values)
    eos_bids = np.asarray(eos.equilibria[0])
    row: dict[str, Any] = {**profile, "n_bidders": n, "n_slots": len(ctr), "eos_bids": eos_bids.tolist(),
                           "eos_converged": bool(eos.converged), "eos_local_envy": eos.parameters["local_envy"],
                           "scale": float(np.max(np.asarray(quality or np.ones(n)) * values) * ctr[0])}
    for label, mechanism, bids in (("eos", gsp, eos_bids), ("gsp_truthful", gsp, values), ("vcg", vcg, values)):
        result = outcome(mechanism, bids)
        regret = nash_regret(mechanism, values, bids)
        deviator = int(np.argmax(regret.gains))
        row[label] = {"revenue": float(revenue(result)), "welfare": float(welfare(mechanism, values, result)),
                      "nash_regret": regret.max_gain, "deviator": deviator,
                      "deviation_bid": float(regret.best_bids[deviator]),
                      "deviation_slot": int(regret.best_slots[deviator])}
    return row


# ------------------------------------------------------------------------------------------------ IC regret

def _ic_unit(cell: Mapping[str, Any]) -> dict[str, Any]:
    import jax

    from equilibria.games.auction_priors import parse_prior
    from equilibria.games.auctions import PositionAuction, SingleItemAuction
    from equilibria.metrics.auctions import ic_regret

    n, rule = int(cell["bidders"]), str(cell["mechanism"])
    mechanism: Any = (PositionAuction(rule, tuple(cell["ctr"]), n) if rule in ("gsp", "vcg")
                      else SingleItemAuction(rule, n))
    regret = ic_regret(mechanism, [parse_prior("uniform:0:1")] * n, n_values=int(cell["values"]),
                       misreports=int(cell["misreports"]), n_samples=int(cell["samples"]),
                       key=jax.random.key(int(cell["seed"])))
    worst = int(np.argmax(regret.gain))
    return {"mechanism": rule, "values": regret.values.tolist(), "gain": regret.gain.tolist(),
            "stderr": regret.stderr.tolist(), "best_misreport": regret.best_misreport.tolist(),
            "max_gain": regret.max_gain, "mean_gain": regret.mean_gain,
            "max_gain_stderr": float(regret.stderr[worst]), "max_stderr": float(np.max(regret.stderr)),
            "worst_value": float(regret.values[worst]), "worst_misreport": float(regret.best_misreport[worst])}


def unit(cell: Mapping[str, Any]) -> dict[str, Any]:
    """One unit of work: ``{"kind": "profiles", "family", ...}`` -> ``{"rows": [...]}`` (one per profile), or
    ``{"kind": "ic", "mechanism", ...}`` -> that mechanism's IC-regret curve."""
    if cell["kind"] == "ic":
        return _ic_unit(cell)
    family = cell["family"]
    profiles = (_literature() if family == "literature" else _random_profiles(cell) if family == "random"
                else _shaped_profiles(cell))
    return {"family": family, "rows": [_evaluate(p) for p in profiles]}


def _cells(config: PositionAuctionsConfig) -> list[dict[str, Any]]:
    shaped = {"bidders": config.many_bidders, "slots": config.many_slots, "seed": config.seed}
    cells: list[dict[str, Any]] = [
        {"kind": "profiles", "family": "literature"},
        {"kind": "profiles", "family": "random", "count": config.random_profiles,
         "bidders": list(config.random_bidders), "seed": config.seed},
        {"kind": "profiles", "family": "geometric", "parameters": list(config.geometric_decays), **shaped},
        {"kind": "profiles", "family": "power_law", "parameters": list(config.power_exponents), **shaped},
    ]
    cells += [{"kind": "ic", "mechanism": rule, "bidders": config.ic_bidders, "ctr": list(config.ic_ctr),
               "values": config.ic_values, "misreports": config.ic_misreports, "samples": config.ic_samples,
               "seed": config.seed} for rule in MECHANISMS]
    return cells


# ------------------------------------------------------------------------------------------------- report

def _relative(x: float, scale: float) -> float:
    return abs(x) / max(scale, 1.0)


def _checks(config: PositionAuctionsConfig, rows: list[Mapping[str, Any]],
            ic: Mapping[str, Mapping[str, Any]]) -> list[Check]:
    example, tight = rows[0], rows[1]
    tol = config.rtol
    revenue_gap = max(_relative(r["eos"]["revenue"] - r["vcg"]["revenue"], r["vcg"]["revenue"]) for r in rows)
    eos_regret = max(r["eos"]["nash_regret"] / max(r["scale"], 1.0) for r in rows)
    vcg_regret = max(r["vcg"]["nash_regret"] / max(r["scale"], 1.0) for r in rows)
    gsp_above = min((r["gsp_truthful"]["revenue"] - r["vcg"]["revenue"]) / max(r["vcg"]["revenue"], 1.0)
                    for r in rows)
    welfare_gap = max(_relative(r[k]["welfare"] - r["vcg"]["welfare"], r["vcg"]["welfare"])
                      for r in rows for k in ("eos", "gsp_truthful"))
    not_equilibrium = sum(r["gsp_truthful"]["nash_regret"] > tol * max(r["scale"], 1.0) for r in rows)
    e = example
    checks = [
        Check("EOS example (CTR 200, 100; values 10, 4, 2): EOS bids (-, 3, 2), revenue 800 = VCG; truthful GSP 1000",
              "bids 3, 2; revenues 800, 800, 1000",
              f"bids {e['eos_bids'][1]:g}, {e['eos_bids'][2]:g}; EOS {e['eos']['revenue']:g}, VCG "
              f"{e['vcg']['revenue']:g}, truthful GSP {e['gsp_truthful']['revenue']:g}",
              bool(np.allclose(e["eos_bids"][1:], [3.0, 2.0], rtol=0, atol=tol * e["scale"])
                   and abs(e["eos"]["revenue"] - 800) <= tol * 800 and abs(e["vcg"]["revenue"] - 800) <= tol * 800
                   and abs(e["gsp_truthful"]["revenue"] - 1000) <= tol * 1000)),
        Check("truthful GSP is an equilibrium at CTRs (200, 100) but not at (200, 199): the top bidder gains "
              "199 (10 - 2) - 200 (10 - 4) = 392 in slot 2",
              "Nash regret 0 and 392", f"{e['gsp_truthful']['nash_regret']:g} and "
              f"{tight['gsp_truthful']['nash_regret']:g} (bidder {tight['gsp_truthful']['deviator']} to slot "
              f"{tight['gsp_truthful']['deviation_slot'] + 1})",
              bool(e["gsp_truthful"]["nash_regret"] <= tol * e["scale"]
                   and abs(tight["gsp_truthful"]["nash_regret"] - 392) <= tol * tight["scale"]
                   and tight["gsp_truthful"]["deviator"] == 0 and tight["gsp_truthful"]["deviation_slot"] == 1)),
        Check(f"EOS revenue equals VCG revenue on every profile ({len(rows)})",
              f"max |EOS - VCG| / max(1, VCG) <= {tol:g}", f"{revenue_gap:.3g}", revenue_gap <= tol, zero_below=tol),
        Check("EOS bids are a Nash equilibrium (exact Nash regret, every profile)",
              f"max regret / scale <= {tol:g}", f"{eos_regret:.3g}", eos_regret <= tol, zero_below=tol),
        Check("truthful bidding is a Nash equilibrium of VCG (exact Nash regret, every profile)",
              f"max regret / scale <= {tol:g}", f"{vcg_regret:.3g}", vcg_regret <= tol, zero_below=tol),
        Check("truthful GSP earns at least VCG's revenue on every profile (its price per click is the next score, "
              "VCG's a weighted average of the lower ones)", f"min (GSP - VCG) / max(1, VCG) >= -{tol:g}",
              f"{gsp_above:.3g} (truthful GSP not an equilibrium on {not_equilibrium} of {len(rows)})",
              gsp_above >= -tol),
        Check("EOS, truthful GSP and VCG all allocate efficiently: the same welfare",
              f"max |welfare - VCG's| / max(1, VCG's) <= {tol:g}", f"{welfare_gap:.3g}", welfare_gap <= tol,
              zero_below=tol),
    ]
    for rule in ("vcg", "second_price"):
        r = ic[rule]
        checks.append(Check(f"{MECHANISMS[rule]} is IC: truthful bidding has no profitable misreport (U[0, 1], "
                            f"{config.ic_bidders} bidders)", "max gain <= 3 standard errors",
                            f"{r['max_gain']:.3g} (largest standard error {r['max_stderr']:.3g})",
                            r["max_gain"] <= 3 * r["max_stderr"] + 1e-12, zero_below=1e-12))
    r, n = ic["first_price"], config.ic_bidders
    v, gain, se = (np.asarray(r[k]) for k in ("values", "gain", "stderr"))
    # Against truthful opponents u(v, m) = (v - m) m**(n-1) is maximised at m = (n-1)/n v; a misreport grid of
    # spacing h misses at most |u''| (h/2)**2 / 2 <= n (n-1) h**2 / 8 of it.
    closed = v ** n * (n - 1) ** (n - 1) / n ** n
    grid_error = n * (n - 1) / (8 * (config.ic_misreports - 1) ** 2)
    deviation = float(np.max(np.abs(gain - closed) - 4 * se))
    checks.append(Check("first price against truthful opponents: IC regret v**n (n-1)**(n-1) / n**n at the best "
                        "misreport (n-1)/n v", f"within 4 standard errors + {grid_error:.1g} (the misreport grid) at "
                        "every value", f"largest excess over 4 standard errors {deviation:.2g}",
                        deviation <= grid_error))
    for rule in ("gsp", "first_price"):
        r = ic[rule]
        bound = max(config.shading_gain_above, 5 * r["max_gain_stderr"])
        checks.append(Check(f"{MECHANISMS[rule]} is not IC: shading pays", f"max gain > {bound:.3g}",
                            f"{r['max_gain']:.4f} +- {r['max_gain_stderr']:.4f} at value {r['worst_value']:.3f} "
                            f"(best misreport {r['worst_misreport']:.3f})", r["max_gain"] > bound))
    return checks


def _revenue_figure(rows: list[Mapping[str, Any]]) -> plt.Figure:
    shown = rows[:2] + [r for r in rows[2:] if not r["name"].startswith("random")] + [
        r for r in rows if r["name"].startswith("random")][:6]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), gridspec_kw={"width_ratios": [2, 1]})
    x = np.arange(len(shown))
    width = 0.27
    for shift, key, label in ((-width, "eos", "EOS equilibrium"), (0.0, "vcg", "VCG (truthful)"),
                              (width, "gsp_truthful", "GSP, truthful bids")):
        axes[0].bar(x + shift, [r[key]["revenue"] / r["vcg"]["revenue"] if r["vcg"]["revenue"] else 1.0
                                for r in shown], width, label=label)
    axes[0].set_xticks(x, [r["name"].split(":")[0] if r["name"].startswith("EOS") else r["name"] for r in shown],
                       rotation=60, ha="right", fontsize=7)
    axes[0].set(ylabel="revenue / VCG revenue", title="Revenue by mechanism across CTR profiles")
    axes[0].legend(fontsize=8)
    excess = np.array([(r["gsp_truthful"]["revenue"] - r["vcg"]["revenue"]) / r["vcg"]["welfare"]
                       for r in rows if r["vcg"]["welfare"] > 0])
    regret = np.array([r["gsp_truthful"]["nash_regret"] / r["vcg"]["welfare"] for r in rows
                       if r["vcg"]["welfare"] > 0])
    axes[1].scatter(excess, regret, s=10)
    axes[1].set(xlabel="(truthful GSP - VCG revenue) / welfare", ylabel="Nash regret of truthful GSP / welfare",
                title=f"All {len(rows)} profiles")
    fig.tight_layout()
    return fig


def _ic_figure(ic: Mapping[str, Mapping[str, Any]], config: PositionAuctionsConfig) -> plt.Figure:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    # The IC mechanisms' curves coincide (0, truthful): dashes keep both visible.
    styles = {"gsp": "-", "vcg": "-", "first_price": "-", "second_price": (0, (4, 4))}
    for rule, r in ic.items():
        v, gain, se = (np.asarray(r[k]) for k in ("values", "gain", "stderr"))
        line, = axes[0].plot(v, gain, ls=styles.get(rule, "-"), label=MECHANISMS[rule])
        axes[0].fill_between(v, gain - 2 * se, gain + 2 * se, color=line.get_color(), alpha=0.2)
        axes[1].plot(v, r["best_misreport"], ls=styles.get(rule, "-"), color=line.get_color(),
                     label=MECHANISMS[rule])
    axes[1].plot([0, 1], [0, 1], "k:", lw=0.8, label="truthful")
    axes[0].set(xlabel="value", ylabel="IC regret (expected gain of the best misreport)",
                title=f"IC regret of truthful bidding ({config.ic_bidders} bidders U[0, 1], others truthful)")
    axes[1].set(xlabel="value", ylabel="best misreport", title="Best misreport per value")
    axes[0].legend(fontsize=8)
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    return fig


def run_experiment(config: PositionAuctionsConfig, context: Context) -> ExperimentResult:
    results = context.sweep(unit, _cells(config), "position auctions")
    rows = [row for r in results if "rows" in r for row in r["rows"]]
    ic = {r["mechanism"]: r for r in results if "mechanism" in r}
    checks = _checks(config, rows, ic)
    tol = config.rtol
    table_rows = tuple(
        (r["name"], r["n_bidders"], r["n_slots"], "yes" if r["quality"] else "no", f"{r['reserve']:.3g}",
         f"{r['eos']['revenue']:.6g}", f"{r['vcg']['revenue']:.6g}", f"{r['gsp_truthful']['revenue']:.6g}",
         f"{r['vcg']['welfare']:.6g}", f"{r['eos']['nash_regret']:.3g}", f"{r['vcg']['nash_regret']:.3g}",
         f"{r['gsp_truthful']['nash_regret']:.4g}", f"{r['eos_local_envy']:.3g}")
        for r in rows if not r["name"].startswith("random") or int(r["name"].split()[1]) < 12)
    columns = ("profile", "bidders", "slots", "quality", "reserve", "EOS revenue", "VCG revenue",
               "truthful GSP revenue", "welfare", "EOS Nash regret", "VCG Nash regret", "truthful GSP Nash regret",
               "EOS local envy")
    zero = {c: tol for c in ("EOS Nash regret", "VCG Nash regret", "EOS local envy")}
    ic_rows = tuple((MECHANISMS[rule], f"{r['max_gain']:.4f}", f"{r['max_gain_stderr']:.2g}", f"{r['mean_gain']:.4f}",
                     f"{r['worst_value']:.3f}", f"{r['worst_misreport']:.3f}") for rule, r in ic.items())
    tables = (
        Table(f"Full information: EOS, VCG and truthful GSP ({len(rows)} profiles; the literature's, the first 12 "
              "random ones and the many-bidder ones shown; Nash regrets exact)", columns, table_rows, zero),
        Table(f"IC regret of truthful bidding, others truthful ({config.ic_bidders} bidders U[0, 1]; position CTRs "
              f"{config.ic_ctr}; {config.ic_values} values, {config.ic_misreports} misreports, {config.ic_samples} "
              "draws)", ("mechanism", "max gain", "its standard error", "mean gain over values", "at value",
                         "best misreport"), ic_rows, {"max gain": 1e-12, "mean gain over values": 1e-12}),
    )
    figures = (
        context.save_figure(_revenue_figure(rows), "revenue_by_mechanism.png",
                            "Left: revenue of EOS, VCG and truthful GSP relative to VCG's, per profile (EOS = VCG "
                            "everywhere). Right: truthful GSP's extra revenue against its Nash regret (both per unit "
                            "of welfare): where it earns more, it is not an equilibrium."),
        context.save_figure(_ic_figure(ic, config), "ic_regret.png",
                            "IC regret of truthful bidding per value (bands: 2 standard errors) and the best "
                            "misreport: VCG and second price are IC (0), GSP and first price shade."),
    )
    summary = {
        "profiles": len(rows),
        "example": {k: rows[0][k]["revenue"] for k in ("eos", "vcg", "gsp_truthful")},
        "example_eos_bids": rows[0]["eos_bids"],
        "deviation_gain_200_199": rows[1]["gsp_truthful"]["nash_regret"],
        "max_revenue_gap": max(_relative(r["eos"]["revenue"] - r["vcg"]["revenue"], r["vcg"]["revenue"])
                               for r in rows),
        "truthful_gsp_not_equilibrium": sum(r["gsp_truthful"]["nash_regret"] > tol * max(r["scale"], 1.0)
                                            for r in rows),
        "ic_regret": {rule: {k: r[k] for k in ("max_gain", "max_gain_stderr", "mean_gain", "worst_value",
                                                "worst_misreport")} for rule, r in ic.items()},
    }
    return ExperimentResult(summary, tuple(checks), tables, figures)


EXPERIMENT = register(Experiment(
    name="position-auctions",
    title="GSP versus VCG: the EOS equilibrium earns VCG's revenue; truthful GSP is neither IC nor an equilibrium "
          "(Edelman, Ostrovsky and Schwarz 2007)",
    description="Revenue and welfare of the EOS equilibrium of GSP, truthful GSP and VCG across CTR profiles (the "
                "paper's example, random, geometric and power-law CTRs, many bidders, quality scores), the exact "
                "Nash regret of each bid profile, and the Bayesian IC regret of truthful bidding in GSP, VCG, first- "
                "and second-price auctions with the best misreport per value.",
    full=PositionAuctionsConfig(),
    quick=PositionAuctionsConfig(random_profiles=40, many_bidders=20, many_slots=8, ic_values=32, ic_misreports=128,
                                 ic_samples=2 ** 13),
    run=run_experiment,
))
