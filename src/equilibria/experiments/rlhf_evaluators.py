"""Reward models from imperfect evaluators: learned-reward quality under each evaluator model and label budget.

A reward model is fitted by Bradley-Terry maximum likelihood (linear in the item features,
:func:`equilibria.applications.rlhf.reward_models.fit_reward_model`) to pairwise labels from one simulated evaluator
(:mod:`equilibria.applications.rlhf.preferences`): Boltzmann-rational at several temperatures, with random flips,
intransitive (a majority of three criteria whose mean is the gold reward: Condorcet cycles), framed (a credit for
answer length and a bias toward the first-shown answer) and strategic (reports shaded toward an agenda). Items
have standard normal features; the last one is the nuisance "length", on which the gold reward ``features @ theta``
(``theta`` a unit vector) puts no weight; the agenda is a unit direction orthogonal to ``theta`` and to length.

Measured per evaluator, label budget and seed (mean +- standard error over seeds): held-out quality on fresh items
(accuracy of the learned reward's ordering against the gold ordering on random pairs, Pearson correlation with
gold), and the bias of the learned weights ``w``: the cosine to ``theta``, the length coefficient relative to the
gold coefficient ``w_length / (w . theta)`` (Bradley-Terry on the framed utility ``gold + b length`` estimates
``b``), the cosine to the agenda (the shaded utility ``gold + s agenda . x`` gives ``s / sqrt(1 + s^2)``), and the
scale ``T |w|`` (Bradley-Terry at temperature ``T`` estimates ``theta / T``: 1 for a rational evaluator, smaller
when flips or a position bias attenuate the labels). Each evaluator is one checkpointed unit of work (``cells/``);
a smaller label budget is a prefix of the same labels (weights 0 on the rest: one compiled shape). Checks use
``max(stated margin, 3 standard errors)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from equilibria.experiments.base import Check, Context, Experiment, ExperimentResult, Table, register  # noqa: E402


@dataclass(frozen=True)
class RlhfEvaluatorsConfig:
    """Items (``n_items`` to label, ``held_out_items`` fresh ones with ``held_out_pairs`` gold-ordered pairs),
    ``n_features`` (the last is length), label ``budgets``, ``seeds``; the evaluators: Boltzmann
    ``temperatures``, and at ``temperature`` the defective ones (``flips``, the intransitive criteria's
    ``intransitive_spread`` around gold, ``length_bias``, ``position_bias``, the agenda ``strength``); ``l2``
    of the fits (on the mean log-likelihood). Check thresholds: ``budget_gain`` (gold accuracy gained from the
    smallest to the largest budget), ``bias_tolerance`` (a measured bias against its model value),
    ``scale_tolerance`` (``T |w|`` against 1 for Boltzmann evaluators, relative)."""

    seeds: int = 20
    n_items: int = 500
    n_features: int = 8
    held_out_items: int = 2000
    held_out_pairs: int = 20_000
    budgets: tuple[int, ...] = (100, 300, 1000, 3000, 10_000, 30_000)
    temperatures: tuple[float, ...] = (0.25, 1.0, 4.0)
    temperature: float = 1.0
    flips: tuple[float, ...] = (0.1, 0.3)
    intransitive_spread: float = 3.0
    length_bias: float = 0.5
    position_bias: float = 0.3
    strength: float = 1.0
    l2: float = 1e-5
    seed: int = 0
    budget_gain: float = 0.05
    bias_tolerance: float = 0.1
    scale_tolerance: float = 0.15


def _label(spec: Mapping[str, Any]) -> str:
    kind = spec["kind"]
    if kind == "boltzmann":
        return f"Boltzmann, T = {spec['temperature']:g}"
    if kind == "noisy":
        return f"flips {spec['flip']:g}"
    if kind == "intransitive":
        return f"intransitive (3 criteria, spread {spec['spread']:g})"
    if kind == "framing":
        return f"framing (length bias {spec['length_bias']:g}, position bias {spec['position_bias']:g})"
    return f"strategic (agenda strength {spec['strength']:g})"


def _specs(config: RlhfEvaluatorsConfig) -> list[dict[str, Any]]:
    t = config.temperature
    specs: list[dict[str, Any]] = [{"kind": "boltzmann", "temperature": x} for x in config.temperatures]
    specs += [{"kind": "noisy", "temperature": t, "flip": f} for f in config.flips]
    specs += [{"kind": "intransitive", "temperature": t, "spread": config.intransitive_spread},
              {"kind": "framing", "temperature": t, "length_bias": config.length_bias,
               "position_bias": config.position_bias},
              {"kind": "strategic", "temperature": t, "strength": config.strength}]
    return specs


def _directions(rng: np.random.Generator, n_features: int) -> np.ndarray:
    """Orthonormal ``[3, F]``: gold ``theta``, then two directions ``u``, ``v``; all with 0 on length (last)."""
    basis = rng.normal(size=(3, n_features))
    basis[:, -1] = 0.0
    q, _ = np.linalg.qr(basis.T)
    return q.T[:3]


def _evaluator(spec: Mapping[str, Any], theta: np.ndarray, u: np.ndarray, v: np.ndarray) -> Any:
    from equilibria.applications.rlhf import preferences as P

    t = float(spec["temperature"])
    kind = spec["kind"]
    if kind == "boltzmann":
        return P.boltzmann_evaluator(t)
    if kind == "noisy":
        return P.noisy_evaluator(t, float(spec["flip"]))
    if kind == "intransitive":
        angles = 2 * math.pi * np.arange(3) / 3
        criteria = theta + float(spec["spread"]) * (np.cos(angles)[:, None] * u + np.sin(angles)[:, None] * v)
        return P.intransitive_evaluator(criteria, t)
    if kind == "framing":
        return P.framing_evaluator(t, length_bias=float(spec["length_bias"]),
                                   position_bias=float(spec["position_bias"]))
    return P.strategic_evaluator(u, float(spec["strength"]), t)  # the agenda is u


def _cycle_share(features: np.ndarray, theta: np.ndarray, u: np.ndarray, v: np.ndarray, spread: float,
                 rng: np.random.Generator, n: int = 20_000) -> float:
    """Share of random item triples whose noiseless majority relation (three criteria) is a cycle."""
    angles = 2 * math.pi * np.arange(3) / 3
    criteria = theta + spread * (np.cos(angles)[:, None] * u + np.sin(angles)[:, None] * v)
    triples = rng.integers(0, features.shape[0], (2 * n, 3))
    triples = triples[(triples[:, 0] != triples[:, 1]) & (triples[:, 1] != triples[:, 2])
                      & (triples[:, 0] != triples[:, 2])][:n]  # uniform over distinct triples (rejection)
    utility = features @ criteria.T  # [K, 3 criteria]

    def beats(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return (utility[a] > utility[b]).sum(axis=1) >= 2

    a, b, c = triples.T
    ab, bc, ca = beats(a, b), beats(b, c), beats(c, a)
    return float(np.mean((ab & bc & ca) | (~ab & ~bc & ~ca)))


def evaluator_cell(cell: Mapping[str, Any]) -> dict[str, Any]:
    """One evaluator as a sweep cell: ``{"spec", "n_items", "n_features", "held_out_items", "held_out_pairs",
    "budgets", "seeds", "key", "l2"}`` -> per budget, per seed: ``gold_accuracy``, ``pearson``, ``cosine_gold``,
    ``cosine_agenda``, ``length_ratio``, ``scale``, ``converged``; per seed the label error rate (labels against
    the gold order); for the intransitive evaluator the share of cyclic triples."""
    import jax

    from equilibria.applications.rlhf import preferences as P
    from equilibria.applications.rlhf.reward_models import fit_reward_model, reward_model_quality

    spec = dict(cell["spec"])
    budgets = [int(b) for b in cell["budgets"]]
    n_features, t = int(cell["n_features"]), float(spec["temperature"])
    metrics: dict[str, list[list[float]]] = {name: [[] for _ in budgets] for name in (
        "gold_accuracy", "pearson", "cosine_gold", "cosine_agenda", "length_ratio", "scale", "converged")}
    label_error: list[float] = []
    cycles: list[float] = []
    for seed in range(int(cell["seeds"])):
        rng = np.random.default_rng([int(cell["key"]), seed])
        theta, u, v = _directions(rng, n_features)
        keys = jax.random.split(jax.random.key(int(rng.integers(2**31))), 4)
        items = P.random_items(keys[0], int(cell["n_items"]), n_features, theta=theta)
        fresh = P.random_items(keys[1], int(cell["held_out_items"]), n_features, theta=theta)
        evaluator = _evaluator(spec, theta, u, v)
        comparisons = P.label(items, evaluator, keys[2], budgets[-1])
        first, second = P.sample_pairs(fresh, keys[3], int(cell["held_out_pairs"]))
        gold_pairs = P.Comparisons(first, second, fresh.gold[first] > fresh.gold[second])
        gold = np.asarray(items.gold)
        won = np.asarray(comparisons.winners)
        lost = np.asarray(comparisons.losers)
        label_error.append(float(np.mean(gold[won] < gold[lost])))
        if spec["kind"] == "intransitive":
            cycles.append(_cycle_share(np.asarray(items.features), theta, u, v, float(spec["spread"]), rng))
        for b, budget in enumerate(budgets):
            weights = (np.arange(budgets[-1]) < budget).astype(float)
            model = fit_reward_model(items, comparisons, l2=float(cell["l2"]), weights=weights, tol=1e-5)
            quality = reward_model_quality(model, fresh, gold_pairs)
            w = np.asarray(model.params, dtype=float)
            norm = float(np.linalg.norm(w))
            along = float(w @ theta)
            metrics["gold_accuracy"][b].append(quality["gold_accuracy"])
            metrics["pearson"][b].append(quality["pearson"])
            metrics["cosine_gold"][b].append(along / norm if norm > 0 else 0.0)
            metrics["cosine_agenda"][b].append(float(w @ u) / norm if norm > 0 else 0.0)
            metrics["length_ratio"][b].append(float(w[-1]) / along if along != 0 else math.nan)
            metrics["scale"][b].append(t * norm)
            metrics["converged"][b].append(float(model.converged))
    return {"spec": spec, "budgets": budgets, "metrics": metrics, "label_error": label_error,
            "cycle_share": cycles}


def _mean_se(values: list[float]) -> tuple[float, float]:
    x = np.asarray(values, dtype=float)
    se = float(x.std(ddof=1) / math.sqrt(x.size)) if x.size > 1 else 0.0
    return float(x.mean()), se


def _summary(run: Mapping[str, Any]) -> dict[str, Any]:
    per_budget = {name: [_mean_se(values) for values in lists] for name, lists in run["metrics"].items()}
    return {"budgets": run["budgets"], "label_error": _mean_se(run["label_error"]),
            "cycle_share": _mean_se(run["cycle_share"]) if run["cycle_share"] else None,
            **{name: [{"mean": m, "se": s} for m, s in values] for name, values in per_budget.items()}}


def _margin(stated: float, *standard_errors: float) -> float:
    return max(stated, 3.0 * math.sqrt(sum(se**2 for se in standard_errors)))


def _at(summary: Mapping[str, Any], name: str, index: int) -> tuple[float, float]:
    entry = summary[name][index]
    return entry["mean"], entry["se"]


def _checks(config: RlhfEvaluatorsConfig, by: Mapping[str, Mapping[str, Any]]) -> list[Check]:
    t = config.temperature
    rational = by[_label({"kind": "boltzmann", "temperature": t})] if t in config.temperatures else None
    checks: list[Check] = []
    if rational is not None:
        low, low_se = _at(rational, "gold_accuracy", 0)
        high, high_se = _at(rational, "gold_accuracy", -1)
        margin = _margin(config.budget_gain, low_se, high_se)
        checks.append(Check(
            f"a rational evaluator (Boltzmann, T = {t:g}): held-out gold accuracy grows with the label budget",
            f"accuracy at {config.budgets[-1]:,} labels - at {config.budgets[0]:,} > {margin:.3f}",
            f"{high:.3f} - {low:.3f} = {high - low:.3f}", high - low > margin))
    cold, hot = min(config.temperatures), max(config.temperatures)
    if cold < hot:
        a, a_se = _at(by[_label({"kind": "boltzmann", "temperature": cold})], "gold_accuracy", 0)
        b, b_se = _at(by[_label({"kind": "boltzmann", "temperature": hot})], "gold_accuracy", 0)
        margin = _margin(0.0, a_se, b_se)
        checks.append(Check(
            f"a less rational evaluator gives a worse reward at the same budget ({config.budgets[0]:,} labels)",
            f"gold accuracy at T = {cold:g} - at T = {hot:g} > {margin:.3f}", f"{a:.3f} - {b:.3f} = {a - b:.3f}",
            a - b > margin))
    scales = []
    for x in config.temperatures:
        s, s_se = _at(by[_label({"kind": "boltzmann", "temperature": x})], "scale", -1)
        scales.append((x, s, s_se))
    worst = max(abs(s - 1.0) for _, s, _ in scales)
    checks.append(Check(
        "Bradley-Terry on Boltzmann labels at temperature T estimates gold / T (largest budget)",
        f"|T |w| - 1| < {config.scale_tolerance:g} for every T",
        ", ".join(f"T = {x:g}: {s:.3f}" for x, s, _ in scales), worst < config.scale_tolerance))
    if rational is not None:
        base, base_se = _at(rational, "scale", -1)
        for flip in config.flips:
            r = by[_label({"kind": "noisy", "flip": flip})]
            s, s_se = _at(r, "scale", -1)
            c, _ = _at(r, "cosine_gold", -1)
            margin = _margin(0.0, base_se, s_se)
            checks.append(Check(
                f"flipped labels (flip {flip:g}) attenuate the learned reward's scale, not its direction",
                f"T |w| below the rational evaluator's by > {margin:.3f}; cosine to gold > "
                f"{1 - config.bias_tolerance:g}",
                f"{s:.3f} vs {base:.3f}; cosine {c:.3f}", base - s > margin and c > 1 - config.bias_tolerance))
        r = by[_label({"kind": "framing", "length_bias": config.length_bias, "position_bias": config.position_bias})]
        ratio, ratio_se = _at(r, "length_ratio", -1)
        base_ratio, _ = _at(rational, "length_ratio", -1)
        tolerance = _margin(config.bias_tolerance, ratio_se)
        checks.append(Check(
            f"a length bias {config.length_bias:g} puts weight on length in the learned reward (gold puts none)",
            f"w_length / (w . theta) within {tolerance:.3f} of {config.length_bias:g} (rational evaluator: 0)",
            f"{ratio:.3f} (rational: {base_ratio:.3f})", abs(ratio - config.length_bias) < tolerance))
        s, s_se = _at(r, "scale", -1)
        expected_scale = math.sqrt(1 + config.length_bias**2)  # |theta + b e_length| before the position bias
        margin = _margin(0.0, s_se)
        checks.append(Check(
            f"a position bias {config.position_bias:g} (first-shown answer picked unseen) attenuates the scale",
            f"T |w| < {expected_scale:.3f} (the unbiased framed utility's norm) by > {margin:.3f}",
            f"{s:.3f}", expected_scale - s > margin))
        r = by[_label({"kind": "strategic", "strength": config.strength})]
        cos, cos_se = _at(r, "cosine_agenda", -1)
        base_cos, _ = _at(rational, "cosine_agenda", -1)
        expected = config.strength / math.sqrt(1 + config.strength**2)
        tolerance = _margin(config.bias_tolerance, cos_se)
        checks.append(Check(
            f"a strategic evaluator (strength {config.strength:g}) moves the learned reward toward its agenda",
            f"cosine(w, agenda) within {tolerance:.3f} of s / sqrt(1 + s^2) = {expected:.3f} (rational: 0)",
            f"{cos:.3f} (rational: {base_cos:.3f})", abs(cos - expected) < tolerance))
        r = by[_label({"kind": "intransitive", "spread": config.intransitive_spread})]
        cycle, _ = r["cycle_share"]
        acc, acc_se = _at(r, "gold_accuracy", -1)
        base_acc, base_acc_se = _at(rational, "gold_accuracy", -1)
        margin = _margin(0.0, acc_se, base_acc_se)
        checks.append(Check(
            "intransitive (majority-of-criteria) labels cycle, and the learned reward is worse than a rational "
            "evaluator's at the largest budget",
            f"cyclic triples > 0; gold accuracy below the rational evaluator's by > {margin:.3f}",
            f"cyclic triples {cycle:.3f}; {acc:.3f} vs {base_acc:.3f}", cycle > 0 and base_acc - acc > margin))
    return checks


def _quality_figure(labels: list[str], summaries: Sequence[Mapping[str, Any]]) -> plt.Figure:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for label, s in zip(labels, summaries, strict=True):
        for ax, name in zip(axes, ("gold_accuracy", "pearson"), strict=True):
            means = [e["mean"] for e in s[name]]
            errors = [e["se"] for e in s[name]]
            ax.errorbar(s["budgets"], means, yerr=errors, marker="o", ms=3, capsize=2, label=label)
    axes[0].set(xscale="log", xlabel="labels", ylabel="held-out accuracy against the gold order",
                title="Reward-model quality by evaluator")
    axes[1].set(xscale="log", xlabel="labels", ylabel="Pearson correlation with gold (fresh items)")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def _bias_figure(labels: list[str], summaries: Sequence[Mapping[str, Any]]) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(9, 4))
    names = (("cosine_gold", "cosine to gold"), ("length_ratio", "length / gold weight"),
             ("cosine_agenda", "cosine to agenda"), ("scale", "T |w|"))
    width = 0.8 / len(names)
    x = np.arange(len(labels))
    for i, (name, title) in enumerate(names):
        means = [s[name][-1]["mean"] for s in summaries]
        errors = [s[name][-1]["se"] for s in summaries]
        ax.bar(x + (i - 1.5) * width, means, width, yerr=errors, capsize=2, label=title)
    ax.set_xticks(x, labels, rotation=30, ha="right", fontsize=7)
    ax.axhline(0, color="black", lw=0.5)
    ax.set(title="How each evaluator biases the learned reward (largest label budget)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def run_experiment(config: RlhfEvaluatorsConfig, context: Context) -> ExperimentResult:
    specs = _specs(config)
    labels = [_label(spec) for spec in specs]
    common = {"n_items": config.n_items, "n_features": config.n_features, "held_out_items": config.held_out_items,
              "held_out_pairs": config.held_out_pairs, "budgets": list(config.budgets), "seeds": config.seeds,
              "key": config.seed, "l2": config.l2}
    runs = context.sweep(evaluator_cell, [{"spec": spec, **common} for spec in specs], "rlhf evaluators")
    summaries = [_summary(r) for r in runs]
    by = dict(zip(labels, summaries, strict=True))
    checks = _checks(config, by)

    def cell(s: Mapping[str, Any], name: str, index: int) -> str:
        return f"{s[name][index]['mean']:.3f} +- {s[name][index]['se']:.3f}"

    quality_rows = tuple((label, *(cell(s, "gold_accuracy", b) for b in range(len(config.budgets))),
                          cell(s, "pearson", -1)) for label, s in zip(labels, summaries, strict=True))
    bias_rows = tuple((label, f"{s['label_error'][0]:.3f}", cell(s, "cosine_gold", -1), cell(s, "length_ratio", -1),
                       cell(s, "cosine_agenda", -1), cell(s, "scale", -1),
                       "" if s["cycle_share"] is None else f"{s['cycle_share'][0]:.3f}")
                      for label, s in zip(labels, summaries, strict=True))
    tables = (
        Table(f"Held-out accuracy of the learned reward against the gold order (fresh items), by label budget; "
              f"{config.seeds} seeds, {config.n_items} items, {config.n_features} features, mean +- se",
              ("evaluator", *(f"{b:,} labels" for b in config.budgets), "Pearson with gold (largest)"),
              quality_rows),
        Table(f"Bias of the learned weights w at {config.budgets[-1]:,} labels (gold: cosine 1, length ratio 0, "
              f"agenda cosine 0; T |w| = 1 for a rational evaluator)",
              ("evaluator", "label error rate", "cosine to gold", "w_length / (w . theta)", "cosine to agenda",
               "T |w|", "cyclic triples"), bias_rows),
    )
    figures = (
        context.save_figure(_quality_figure(labels, summaries), "quality_by_budget.png",
                            "Held-out gold accuracy and Pearson correlation with gold against the label budget, per "
                            "evaluator (mean +- se over seeds)."),
        context.save_figure(_bias_figure(labels, summaries), "bias_by_evaluator.png",
                            "The learned weights' cosine to gold, length coefficient (relative to gold's), cosine "
                            "to the strategic agenda and scale T |w|, per evaluator, at the largest budget."),
    )
    summary = {"evaluators": {label: s for label, s in zip(labels, summaries, strict=True)},
               "seeds": config.seeds, "budgets": list(config.budgets)}
    return ExperimentResult(summary, tuple(checks), tables, figures)


EXPERIMENT = register(Experiment(
    name="rlhf-evaluators",
    title="Reward models from imperfect evaluators: quality and bias under each evaluator model",
    description="Bradley-Terry reward models fitted to labels from Boltzmann-rational, noisy, intransitive, framed "
                "and strategic evaluators, over label budgets and seeds: held-out accuracy and correlation with the "
                "gold reward, and each defect's measured bias (length weight, agenda cosine, attenuated scale).",
    full=RlhfEvaluatorsConfig(),
    quick=RlhfEvaluatorsConfig(seeds=4, n_items=200, held_out_items=500, held_out_pairs=4000,
                               budgets=(100, 1000, 8000)),
    run=run_experiment,
))
