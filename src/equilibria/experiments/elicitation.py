"""The gain from lying under each elicitation mechanism: scoring rules, median versus mean, peer prediction.

RLHF collects reports from people; whether the mechanism makes the truth a rater's best reply is measurable. This
reproduction computes, with :mod:`equilibria.applications.rlhf.elicitation`, the gain of the best misreport over
truth (exactly: closed forms, enumeration of kinks, per-signal best replies):

* **Scoring rules** over random beliefs (Dirichlet(1) on ``K`` outcomes): the logarithmic, quadratic (Brier) and
  spherical rules are strictly proper (gain 0; a numerical maximiser started from several reports confirms it to
  ``proper_tolerance`` on a subset of beliefs), the linear rule is not (gain ``max p - ||p||^2 > 0``).
* **Median versus mean** (report range ``[0, 1]``, ideal points uniform on it, ``n`` raters): the largest gain of a
  single rater's best report per profile. The median (odd ``n``), the lower median and Moulin's generalised median
  (phantoms ``0, 1/n, ..., 1``) are strategy-proof; the mean is manipulable, and so is NumPy's median for even ``n``
  (it averages the two middle reports).
* **Peer prediction** on a few symmetric signal structures: output agreement's truthful payoff is below the
  uninformative equilibria's (everyone reports one label, paid 1) and with a skewed prior truth is not even an
  equilibrium; the correlated agreement mechanism (Shnayder et al. 2016) makes truth a best reply paying the most of
  any strategy profile, while uninformative profiles pay 0.

Each of the three studies is one checkpointed unit (``cells/``). Tolerances: ``proper_tolerance`` for gains that are
0 in exact arithmetic from a numerical maximiser; ``exact_tolerance`` for closed forms and enumerations.
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

RULES = ("logarithmic", "quadratic", "spherical", "linear")
MECHANISMS = ("mean", "median", "lower_median", "generalised_median")


@dataclass(frozen=True)
class ElicitationConfig:
    """``beliefs`` random beliefs per number of outcomes in ``outcomes`` (``numerical_beliefs`` of them also checked
    by the numerical maximiser); ``profiles`` random ideal profiles per number of raters in ``raters``; ``seed``.
    ``proper_tolerance``: numerical gains of proper rules below it count as 0; ``exact_tolerance``: the same for
    exact computations (round-off)."""

    beliefs: int = 20_000
    numerical_beliefs: int = 100
    outcomes: tuple[int, ...] = (2, 3, 5, 10)
    profiles: int = 5_000
    raters: tuple[int, ...] = (2, 3, 4, 5, 10, 11, 25)
    seed: int = 0
    proper_tolerance: float = 1e-9
    exact_tolerance: float = 1e-12


def _signal_structures() -> dict[str, list[list[float]]]:
    from equilibria.applications.rlhf.elicitation import symmetric_joint

    return {
        "binary, uniform prior, agreement 0.6": symmetric_joint([0.5, 0.5], 0.6).tolist(),
        "binary, skewed prior (0.85, 0.15): [[0.75, 0.1], [0.1, 0.05]]": [[0.75, 0.1], [0.1, 0.05]],
        "binary, prior (0.8, 0.2), agreement 0.2": symmetric_joint([0.8, 0.2], 0.2).tolist(),
        "three labels, uniform prior, agreement 0.5": symmetric_joint([1 / 3, 1 / 3, 1 / 3], 0.5).tolist(),
        "three labels, prior (0.6, 0.3, 0.1), agreement 0.3": symmetric_joint([0.6, 0.3, 0.1], 0.3).tolist(),
    }


def scoring_cell(cell: Mapping[str, Any]) -> dict[str, Any]:
    """``{"beliefs", "numerical_beliefs", "outcomes", "seed"}`` -> per rule and ``K``: the exact gains' max and mean,
    the largest numerical gain and Frank-Wolfe gap on the first ``numerical_beliefs`` beliefs, and the linear
    rule's gains (for the histogram)."""
    from equilibria.applications.rlhf.elicitation import best_misreport

    rng = np.random.default_rng(int(cell["seed"]))
    rows = []
    for k in cell["outcomes"]:
        ps = rng.dirichlet(np.ones(int(k)), size=int(cell["beliefs"]))
        for rule in RULES:
            gains = np.array([best_misreport(rule, p).gain for p in ps])
            numerical = [best_misreport(rule, p, numerical=True, starts=1, seed=j)
                         for j, p in enumerate(ps[: int(cell["numerical_beliefs"])])]
            rows.append({"rule": rule, "outcomes": int(k), "max_gain": float(gains.max()),
                         "mean_gain": float(gains.mean()), "min_gain": float(gains.min()),
                         "numerical_max_gain": max(m.gain for m in numerical),
                         "numerical_max_exact_difference": float(max(abs(m.gain - g) for m, g in
                                                                     zip(numerical, gains, strict=False))),
                         "linear_gains": gains.tolist() if rule == "linear" else []})
    return {"rows": rows}


def manipulation_cell(cell: Mapping[str, Any]) -> dict[str, Any]:
    """``{"profiles", "raters", "seed"}`` -> per number of raters and mechanism: the largest single-rater gain per
    random ideal profile (max, mean, share of profiles above ``exact_tolerance``), and the mean's gains."""
    from equilibria.applications.rlhf.elicitation import generalised_median, max_manipulation_gain, uniform_phantoms

    rng = np.random.default_rng(int(cell["seed"]))
    rows = []
    for n in cell["raters"]:
        ideals = rng.uniform(0.0, 1.0, size=(int(cell["profiles"]), int(n)))
        mechanisms: dict[str, Any] = {"mean": "mean", "median": "median", "lower_median": "lower_median",
                                      "generalised_median": generalised_median(uniform_phantoms(int(n)))}
        for name, mechanism in mechanisms.items():
            gains = np.array([max_manipulation_gain(mechanism, x).gain for x in ideals])
            rows.append({"raters": int(n), "mechanism": name, "max_gain": float(gains.max()),
                         "mean_gain": float(gains.mean()),
                         "share_manipulable": float(np.mean(gains > float(cell["exact_tolerance"]))),
                         "gains": gains.tolist() if name == "mean" else []})
    return {"rows": rows}


def peer_cell(cell: Mapping[str, Any]) -> dict[str, Any]:
    """``{"structures": {label: joint}}`` -> each mechanism's exact payoffs on each structure."""
    from equilibria.applications.rlhf.elicitation import peer_prediction

    rows = []
    for label, joint in dict(cell["structures"]).items():
        for mechanism in ("output_agreement", "correlated_agreement"):
            r = peer_prediction(mechanism, np.asarray(joint))
            rows.append({"structure": label, "mechanism": mechanism, "truthful": r.truthful,
                         "uninformative_max": max(r.uninformative), "uninformative_min": min(r.uninformative),
                         "deviation_gain": r.deviation_gain, "best_reply": list(r.best_reply),
                         "uninformative_deviation_gain": r.uninformative_deviation_gain,
                         "best_profile": r.best_profile})
    return {"rows": rows}


def _checks(config: ElicitationConfig, scoring: list[dict[str, Any]], manipulation: list[dict[str, Any]],
            peer: list[dict[str, Any]]) -> list[Check]:
    tol, exact = config.proper_tolerance, config.exact_tolerance
    proper = [r for r in scoring if r["rule"] != "linear"]
    linear = [r for r in scoring if r["rule"] == "linear"]
    proper_numerical = max(r["numerical_max_gain"] for r in proper)
    agreement = max(r["numerical_max_exact_difference"] for r in scoring)
    sp = [r for r in manipulation if r["mechanism"] in ("lower_median", "generalised_median")
          or (r["mechanism"] == "median" and r["raters"] % 2 == 1)]
    mean = [r for r in manipulation if r["mechanism"] == "mean"]
    even_median = [r for r in manipulation if r["mechanism"] == "median" and r["raters"] % 2 == 0]
    oa = [r for r in peer if r["mechanism"] == "output_agreement"]
    ca = [r for r in peer if r["mechanism"] == "correlated_agreement"]
    sp_max = max(r["max_gain"] for r in sp)
    checks = [
        Check("logarithmic, quadratic and spherical rules are proper: a numerical maximiser from several reports "
              "finds no report better than truth", f"largest gain < {tol:g}", f"{proper_numerical:.2e}",
              proper_numerical < tol, zero_below=tol),
        Check("the numerical maximiser agrees with the exact best misreports (all four rules)",
              f"largest |numerical - exact| < {tol:g}", f"{agreement:.2e}", agreement < tol, zero_below=tol),
        Check("the linear rule is improper: misreporting gains on every random belief (max p - ||p||^2)",
              "smallest gain > 0 for every K",
              ", ".join(f"K={r['outcomes']}: min {r['min_gain']:.2e}, mean {r['mean_gain']:.3f}" for r in linear),
              all(r["min_gain"] > 0 for r in linear)),
        Check("median (odd n), lower median and generalised median (phantoms) are strategy-proof",
              f"largest gain < {exact:g}", f"{sp_max:.2e}", sp_max < exact, zero_below=exact),
        Check("the mean is manipulable: a single rater gains on almost every random profile (n >= 2)",
              "share of profiles with gain > 0 is > 0.9 for every n",
              ", ".join(f"n={r['raters']}: {r['share_manipulable']:.3f}" for r in mean),
              all(r["share_manipulable"] > 0.9 for r in mean)),
        Check("NumPy's median (average of the two middle reports) is manipulable for even n",
              "max gain > 0 for every even n",
              ", ".join(f"n={r['raters']}: {r['max_gain']:.3f}" for r in even_median) or "(no even n)",
              all(r["max_gain"] > exact for r in even_median)),
        Check("output agreement: the uninformative equilibria (all report one label, paid 1) pay more than truth",
              "uninformative > truthful on every structure",
              ", ".join(f"{r['truthful']:.3f} < {r['uninformative_min']:.3f}" for r in oa),
              all(r["uninformative_min"] > r["truthful"] for r in oa)),
        Check("output agreement: with a skewed prior truth is not an equilibrium (minority signal reports the "
              "majority label)", "deviation gain > 0 on some structure",
              ", ".join(f"{r['deviation_gain']:.3f}" for r in oa),
              any(r["deviation_gain"] > exact for r in oa)),
        Check("correlated agreement: truth is an equilibrium, paying the most of any strategy profile",
              f"deviation gain < {exact:g} and best profile - truthful < {exact:g}",
              f"{max(r['deviation_gain'] for r in ca):.2e}, "
              f"{max(r['best_profile'] - r['truthful'] for r in ca):.2e}",
              all(r["deviation_gain"] < exact and r["best_profile"] - r["truthful"] < exact for r in ca),
              zero_below=exact),
        Check("correlated agreement: uninformative profiles pay 0 < truthful",
              f"|uninformative| < {exact:g} and truthful > 0",
              ", ".join(f"{r['uninformative_max']:.1e} vs {r['truthful']:.3f}" for r in ca),
              all(abs(r["uninformative_max"]) < exact and abs(r["uninformative_min"]) < exact and r["truthful"] > 0
                  for r in ca), zero_below=exact),
    ]
    return checks


def _gains_figure(scoring: list[dict[str, Any]], manipulation: list[dict[str, Any]]) -> plt.Figure:
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    for r in scoring:
        if r["rule"] == "linear":
            left.hist(r["linear_gains"], bins=50, histtype="step", density=True, label=f"K = {r['outcomes']}")
    left.set(xlabel="gain of the best misreport (linear rule)", ylabel="density",
             title="Linear scoring rule over random beliefs\n(proper rules: 0)")
    left.legend(fontsize=8)
    for r in manipulation:
        if r["mechanism"] == "mean":
            right.hist(r["gains"], bins=50, histtype="step", density=True, label=f"n = {r['raters']}")
    right.set(xlabel="largest single-rater manipulation gain (mean)", ylabel="density",
              title="Mean over random ideal profiles on [0, 1]\n(median, odd n: 0)")
    right.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _peer_figure(peer: list[dict[str, Any]]) -> plt.Figure:
    labels = list(dict.fromkeys(r["structure"] for r in peer))
    fig, ax = plt.subplots(figsize=(9, 4))
    xs = np.arange(len(labels))
    width = 0.2
    series = [("output_agreement", "truthful"), ("output_agreement", "uninformative_max"),
              ("correlated_agreement", "truthful"), ("correlated_agreement", "uninformative_max")]
    for j, (mechanism, key) in enumerate(series):
        values = [next(r[key] for r in peer if r["structure"] == s and r["mechanism"] == mechanism) for s in labels]
        ax.bar(xs + (j - 1.5) * width, values, width, label=f"{mechanism.replace('_', ' ')}: {key.split('_')[0]}")
    ax.set_xticks(xs, [s.split(":")[0] for s in labels], rotation=15, ha="right", fontsize=7)
    ax.set(ylabel="expected payment", title="Peer prediction: truthful versus uninformative equilibria")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def run_experiment(config: ElicitationConfig, context: Context) -> ExperimentResult:
    cells: list[dict[str, Any]] = [
        {"study": "scoring", "beliefs": config.beliefs, "numerical_beliefs": config.numerical_beliefs,
         "outcomes": list(config.outcomes), "seed": config.seed},
        {"study": "manipulation", "profiles": config.profiles, "raters": list(config.raters),
         "seed": config.seed + 1, "exact_tolerance": config.exact_tolerance},
        {"study": "peer", "structures": _signal_structures()},
    ]
    out = context.sweep(_study_cell, cells, "elicitation")
    scoring, manipulation, peer = (list(o["rows"]) for o in out)
    checks = _checks(config, scoring, manipulation, peer)
    exact = config.exact_tolerance
    tables = (
        Table(f"Scoring rules: gain of the best misreport over {config.beliefs:,} Dirichlet(1) beliefs per K "
              f"(numerical maximiser on the first {config.numerical_beliefs})",
              ("rule", "K", "max gain", "mean gain", "numerical max gain"),
              tuple((r["rule"], r["outcomes"], f"{r['max_gain']:.3g}", f"{r['mean_gain']:.3g}",
                     f"{r['numerical_max_gain']:.3g}") for r in scoring),
              zero_below={"max gain": exact, "mean gain": exact, "numerical max gain": config.proper_tolerance}),
        Table(f"Single-rater manipulation gain over {config.profiles:,} uniform ideal profiles on [0, 1] "
              "(report range [0, 1])", ("raters", "mechanism", "max gain", "mean gain", "share manipulable"),
              tuple((r["raters"], r["mechanism"].replace("_", " "), f"{r['max_gain']:.3g}", f"{r['mean_gain']:.3g}",
                     f"{r['share_manipulable']:.3f}") for r in manipulation),
              zero_below={"max gain": exact, "mean gain": exact}),
        Table("Peer prediction: exact expected payments (truthful, uninformative: everyone reports one label)",
              ("signal structure", "mechanism", "truthful", "uninformative", "best deviation gain from truth",
               "best reply", "best profile"),
              tuple((r["structure"], r["mechanism"].replace("_", " "), f"{r['truthful']:.4f}",
                     f"{r['uninformative_max']:.4g}", f"{r['deviation_gain']:.4g}", str(r["best_reply"]),
                     f"{r['best_profile']:.4f}") for r in peer),
              zero_below={"uninformative": exact, "best deviation gain from truth": exact}),
    )
    figures = (
        context.save_figure(_gains_figure(scoring, manipulation), "misreport_gains.png",
                            "Distribution of the best misreport's gain: the linear scoring rule over random "
                            "beliefs, the mean over random ideal profiles (the proper rules' and the median's are 0)."),
        context.save_figure(_peer_figure(peer), "peer_prediction.png",
                            "Expected payments of truthful and uninformative play under output agreement and "
                            "correlated agreement."),
    )
    strip = ("linear_gains", "gains")
    summary = {"scoring": [{k: v for k, v in r.items() if k not in strip} for r in scoring],
               "manipulation": [{k: v for k, v in r.items() if k not in strip} for r in manipulation],
               "peer": peer}
    return ExperimentResult(summary, tuple(checks), tables, figures)


def _study_cell(cell: Mapping[str, Any]) -> dict[str, Any]:
    study = {"scoring": scoring_cell, "manipulation": manipulation_cell, "peer": peer_cell}[str(cell["study"])]
    return study(cell)


EXPERIMENT = register(Experiment(
    name="elicitation",
    title="Incentive compatibility of elicitation: scoring rules, median versus mean, peer prediction",
    description="The gain from lying, computed exactly: proper (logarithmic, Brier, spherical) versus linear "
                "scoring rules over random beliefs; median, generalised median and mean over random single-peaked "
                "rater profiles; output agreement versus correlated agreement (Shnayder et al. 2016) peer "
                "prediction, truthful and uninformative equilibria.",
    full=ElicitationConfig(),
    quick=ElicitationConfig(beliefs=400, numerical_beliefs=4, outcomes=(2, 3, 5), profiles=150,
                            raters=(2, 3, 4, 5, 11)),
    run=run_experiment,
))
