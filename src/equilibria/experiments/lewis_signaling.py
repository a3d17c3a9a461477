"""Lewis signaling games: how often evolution and learning end in partial pooling instead of a signaling system.

Huttegger, Skyrms, Smead and Zollman (2010), "Evolutionary dynamics of Lewis signaling games: signaling systems vs.
partial pooling" (Synthese 172), and Skyrms, "Signals" (2010), ch. 5: under two-population replicator dynamics from
random starts, the 2-state game with equiprobable states always reaches one of its two signaling systems, but from
3 states on a positive share of starts ends at partial pooling equilibria (some states share a signal), about 4.7%
for N = 3 with equiprobable states; the share grows with N, and unequal state probabilities raise it (for N = 2 a
skewed prior gives pooling a basin of its own).

This reproduction integrates the two-population replicator flow over pure strategies from uniform (Dirichlet(1))
starts on each population simplex, the setting that reproduces the 4.7%, and beside it the agent-form flow from
Dirichlet(1) starts on every row of the behaviour strategies (the same flow restricted to product populations, but
another start distribution: it pools more often, 5.49% for N = 3 and 11.62% +- 0.10% for N = 4 (11.20% partial
pooling, 0.42% unsettled at t = 500) in the full run's 100,000 starts; see
:mod:`equilibria.applications.marl.signaling_dynamics`), and classifies every end point by its payoff
and exact regrets (:func:`equilibria.applications.marl.signaling.classify_batch`, tolerance ``tol``). The share
depends on the horizon (starts that linger near a pooling component and leave it late: 4.77%, 4.68%, 4.675% partial
pooling among the full run's 20,000 pure-strategy starts for N = 3 at t = 300, 400, 500, and 0.30%, 0.14%, 0.035%
not yet settled); the papers' horizon was not found, t = 500 is used. It adds
Roth-Erev urn learners and REINFORCE agents on the same games, and draws the basins of attraction of the agent-form
flow on 2-D slices of starts for N = 2 and 3. Each (dynamic, N, prior) is one checkpointed unit of work (``cells/``).
Shares carry binomial standard errors; checks use ``max(stated margin, z standard errors)``, ``z = 2.58`` (99%).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402

from equilibria.experiments.base import Check, Context, Experiment, ExperimentResult, Table, register  # noqa: E402

PUBLISHED_N3_POOLING = 0.047  # Huttegger et al. 2010; Skyrms 2010: N = 3, equiprobable states
Z = 2.58  # two-sided 99%


@dataclass(frozen=True)
class LewisSignalingConfig:
    """Replicator starts per cell (``starts``: populations over pure strategies, the papers' setting, for each N in
    ``ns``; ``behaviour_starts``: Dirichlet(1) rows of the agent form, for ``behaviour_ns``), horizon ``t_final``
    and RK4 step ``dt``; the skewed prior ``prior[s] ∝ skew_ratio^s``; learners' seeds and rounds per cell
    (``learner_ns``: their N); REINFORCE's learning rate; ``tol`` (replicator end points) and ``learner_tol``
    (learners' noisy end points, whose strategies keep a mass of order N / rounds on every action);
    ``basin_resolution`` (grid points per side of the slices)."""

    starts: int = 20_000
    t_final: float = 500.0
    dt: float = 0.5
    ns: tuple[int, ...] = (2, 3, 4)
    skew_ratio: float = 0.5
    behaviour_starts: int = 100_000
    behaviour_ns: tuple[int, ...] = (2, 3, 4, 5)
    learner_ns: tuple[int, ...] = (2, 3, 4)
    learner_seeds: int = 1000
    learner_rounds: int = 100_000
    reinforce_learning_rate: float = 0.5
    tol: float = 1e-2
    learner_tol: float = 0.1
    basin_resolution: int = 101
    seed: int = 0


def _prior(n: int, kind: str, ratio: float) -> np.ndarray:
    from equilibria.applications.marl.signaling import geometric_prior, uniform_prior

    return uniform_prior(n) if kind == "uniform" else geometric_prior(n, ratio)


SETTLE_TIME = 100.0  # replicator starts at a signaling system by then are final (see _settled_flow)


def _settled_flow(flow: Callable[[np.ndarray, np.ndarray, float], tuple[np.ndarray, np.ndarray]],
                  behaviour: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]], prior: np.ndarray,
                  a: np.ndarray, b: np.ndarray, t_final: float, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """End points for classification at tolerance ``tol``, at a fraction of the cost: every start ``a, b: [K, ...]``
    runs to ``SETTLE_TIME``; those already at a signaling system (payoff >= ``1 - tol``) stop there, the rest run on
    to ``t_final``. The common payoff never decreases along a common-interest replicator flow (a Lyapunov function;
    tests/applications/marl/test_signaling.py checks it on the integrated flows), so a stopped start is classified a
    signaling system at ``t_final`` too: the outcome codes are those of integrating every start to ``t_final`` (the
    stopped starts' end points, hence the mean payoff, are earlier ones). The continuing starts are padded to
    ``K / 4`` (one more compiled shape per batch size) unless more go on. Returns behaviour strategies ``(sender,
    receiver)``, ``[K, N, N]`` each."""
    if t_final <= SETTLE_TIME:
        return behaviour(*flow(a, b, t_final))
    a, b = flow(a, b, SETTLE_TIME)
    sender, receiver = (np.array(x, dtype=float) for x in behaviour(a, b))
    going = np.flatnonzero(sg_payoff(prior, sender, receiver) < 1.0 - tol)
    if going.size:
        width = len(a) // 4 if going.size <= len(a) // 4 else len(a)
        padded = np.concatenate([going, np.full(width - going.size, going[0])])
        ends = behaviour(*flow(a[padded], b[padded], t_final - SETTLE_TIME))
        sender[going], receiver[going] = (np.asarray(x, dtype=float)[: going.size] for x in ends)
    return sender, receiver


def sg_payoff(prior: np.ndarray, sender: np.ndarray, receiver: np.ndarray) -> np.ndarray:
    """:func:`equilibria.applications.marl.signaling.payoff` (imported when a cell runs)."""
    from equilibria.applications.marl.signaling import payoff

    return np.asarray(payoff(prior, sender, receiver))


def outcome_cell(cell: Mapping[str, Any]) -> dict[str, Any]:
    """One (dynamic, N, prior) as a sweep cell: ``{"dynamic": "replicator" (pure strategies) | "behaviour" |
    "roth-erev" | "reinforce", "n", "prior": "uniform" | "skewed", "ratio", "runs", "t_final", "dt", "rounds",
    "learning_rate", "tol", "key"}`` -> the share of each outcome, the pooling share with its standard error, the
    mean payoff and the largest deviation of any row from the simplex."""
    import time

    import jax

    from equilibria.applications.marl import signaling as sg
    from equilibria.applications.marl import signaling_dynamics as sd

    n, runs, dynamic = int(cell["n"]), int(cell["runs"]), str(cell["dynamic"])
    prior = _prior(n, str(cell["prior"]), float(cell["ratio"]))
    key = jax.random.fold_in(jax.random.PRNGKey(int(cell["key"])), n)
    # the replicators' starts come from NumPy: JAX's Dirichlet sampler compiles once per shape (~1.5 s), longer
    # than a quick cell's integration
    rng = np.random.default_rng([int(cell["key"]), n])
    start = time.perf_counter()
    if dynamic == "behaviour":
        sender, receiver = _settled_flow(
            lambda a, b, t: sd.replicator_batch(prior, a, b, t, dt=float(cell["dt"])), lambda a, b: (a, b), prior,
            rng.dirichlet(np.ones(n), (runs, n)), rng.dirichlet(np.ones(n), (runs, n)), float(cell["t_final"]),
            float(cell["tol"]))
    elif dynamic == "replicator":
        width = n**n
        sender, receiver = _settled_flow(
            lambda a, b, t: sd.pure_replicator_batch(prior, a, b, t, dt=float(cell["dt"])),
            lambda a, b: (sg.behaviour_of(a, n), sg.behaviour_of(b, n)), prior,
            rng.dirichlet(np.ones(width), runs), rng.dirichlet(np.ones(width), runs), float(cell["t_final"]),
            float(cell["tol"]))
    elif dynamic == "roth-erev":
        sender, receiver = sd.roth_erev_batch(prior, int(cell["rounds"]), runs, key)
    else:
        sender, receiver = sd.reinforce_batch(prior, int(cell["rounds"]), runs, key,
                                              learning_rate=float(cell["learning_rate"]))
    seconds = time.perf_counter() - start
    sender, receiver = np.asarray(sender, dtype=float), np.asarray(receiver, dtype=float)
    codes = sg.classify_batch(prior, sender, receiver, float(cell["tol"]))
    shares = np.bincount(codes, minlength=len(sg.OUTCOMES)) / runs
    pooling = 1.0 - shares[0]  # every run that did not reach a signaling system
    simplex_error = max(float(np.abs(x.sum(axis=-1) - 1).max()) for x in (sender, receiver))
    simplex_error = max(simplex_error, float(-min(sender.min(), receiver.min(), 0.0)))
    return {"dynamic": dynamic, "n": n, "prior": cell["prior"], "prior_values": prior.tolist(), "runs": runs,
            "shares": dict(zip(sg.OUTCOMES, shares.tolist(), strict=True)), "pooling": float(pooling),
            "pooling_se": float(math.sqrt(max(pooling * (1 - pooling), 1e-300) / runs)),
            "mean_payoff": float(np.mean(sg.payoff(prior, sender, receiver))), "simplex_error": simplex_error,
            "seconds": seconds}


def _slice_starts(n: int, resolution: int, seed: int, prior: np.ndarray, t_final: float, dt: float
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 2-D slice of starts: for N = 2, ``(sender[0, 0], sender[1, 0])`` on a grid with the receiver fixed at
    ``((0.6, 0.4), (0.45, 0.55))``; for N = 3, sender row 0 over its simplex (barycentric grid) with every other
    row fixed at a Dirichlet(1) start that ends in partial pooling (the first such start of ``seed``'s draws).
    Returns the grid coordinates ``[G, 2]`` and the starts ``[G, N, N]`` each."""
    from equilibria.applications.marl import signaling as sg
    from equilibria.applications.marl import signaling_dynamics as sd

    grid = np.linspace(0.0, 1.0, resolution)
    if n == 2:
        mesh_u, mesh_v = np.meshgrid(grid, grid, indexing="xy")
        u, v = mesh_u.ravel(), mesh_v.ravel()
        sender = np.stack([np.stack([u, 1 - u], -1), np.stack([v, 1 - v], -1)], axis=1)
        receiver = np.broadcast_to(np.array([[0.6, 0.4], [0.45, 0.55]]), sender.shape).copy()
        return np.stack([u, v], -1), sender, receiver
    rng = np.random.default_rng([seed, n])
    s0, r0 = rng.dirichlet(np.ones(n), (512, n)), rng.dirichlet(np.ones(n), (512, n))
    ends = sd.replicator_batch(prior, s0, r0, t_final, dt=dt)
    pooled = np.flatnonzero(sg.classify_batch(prior, *ends, 1e-2) == 1)
    base = int(pooled[0]) if pooled.size else 0
    mesh_a, mesh_b = np.meshgrid(grid, grid, indexing="xy")
    a, b = mesh_a.ravel(), mesh_b.ravel()
    inside = a + b <= 1.0 + 1e-12
    a, b = a[inside], b[inside]
    row = np.stack([a, b, np.maximum(1.0 - a - b, 0.0)], -1)
    sender = np.broadcast_to(s0[base], (row.shape[0], n, n)).copy()
    sender[:, 0, :] = row
    receiver = np.broadcast_to(r0[base], sender.shape).copy()
    return np.stack([a, b], -1), sender, receiver


def basin_cell(cell: Mapping[str, Any]) -> dict[str, Any]:
    """A basin slice as a sweep cell: ``{"n", "prior", "ratio", "resolution", "t_final", "dt", "tol", "key"}`` ->
    grid coordinates and each start's outcome: the signaling system reached (its index in
    :func:`~equilibria.applications.marl.signaling.signaling_systems`), or -1 (partial or total pooling), -2
    (other)."""
    from equilibria.applications.marl import signaling as sg
    from equilibria.applications.marl import signaling_dynamics as sd

    n = int(cell["n"])
    prior = _prior(n, str(cell["prior"]), float(cell["ratio"]))
    coords, sender, receiver = _slice_starts(n, int(cell["resolution"]), int(cell["key"]), prior,
                                             float(cell["t_final"]), float(cell["dt"]))
    end_s, end_r = sd.replicator_batch(prior, sender, receiver, float(cell["t_final"]), dt=float(cell["dt"]))
    codes = sg.classify_batch(prior, end_s, end_r, float(cell["tol"]))
    systems = {tuple(int(i) for i in s.argmax(axis=1)): k for k, (s, _) in enumerate(sg.signaling_systems(n))}
    maps = sg.which_system(end_s, end_r)
    label = np.array([systems.get(tuple(int(i) for i in m), -2) for m in maps])
    label = np.where(codes == 0, label, np.where((codes == 1) | (codes == 2), -1, -2))
    return {"n": n, "prior": cell["prior"], "coords": coords.tolist(), "label": label.tolist(),
            "pooling_share": float(np.mean(label == -1))}


def _cells(config: LewisSignalingConfig) -> list[tuple[str, dict[str, Any]]]:
    common = {"ratio": config.skew_ratio, "t_final": config.t_final, "dt": config.dt, "rounds": config.learner_rounds,
              "learning_rate": config.reinforce_learning_rate, "key": config.seed}
    cells: list[tuple[str, dict[str, Any]]] = []
    for dynamic, ns, runs in (("replicator", config.ns, config.starts),
                              ("behaviour", config.behaviour_ns, config.behaviour_starts)):
        for prior in ("uniform", "skewed"):
            for n in ns:
                cells.append((f"{dynamic}, N={n}, {prior}", {"dynamic": dynamic, "n": n, "prior": prior,
                                                             "runs": runs, "tol": config.tol}))
    for dynamic in ("roth-erev", "reinforce"):
        for prior in ("uniform", "skewed"):
            for n in config.learner_ns:
                cells.append((f"{dynamic}, N={n}, {prior}", {"dynamic": dynamic, "n": n, "prior": prior,
                                                             "runs": config.learner_seeds,
                                                             "tol": config.learner_tol}))
    return [(label, {**common, **cell}) for label, cell in cells]


def _basin_cells(config: LewisSignalingConfig) -> list[dict[str, Any]]:
    common = {"ratio": config.skew_ratio, "resolution": config.basin_resolution, "t_final": config.t_final,
              "dt": config.dt, "tol": config.tol, "key": config.seed}
    return [{**common, "n": 2, "prior": "uniform"}, {**common, "n": 2, "prior": "skewed"},
            {**common, "n": 3, "prior": "uniform"}]


def _margin(stated: float, *standard_errors: float) -> float:
    return max(stated, Z * math.sqrt(sum(se**2 for se in standard_errors)))


def _basin_checks(basins: Sequence[Mapping[str, Any]]) -> list[Check]:
    """The N = 2 slices (receiver fixed): no pooling basin with equiprobable states, one with the skewed prior."""
    by = {(b["n"], b["prior"]): b for b in basins}
    uniform, skewed = by[(2, "uniform")], by[(2, "skewed")]
    return [
        Check("agent-form replicator basins, N = 2, equiprobable states: no start of the slice pools",
              "pooling share of the slice = 0", f"{uniform['pooling_share']:.4f} of {len(uniform['label'])} starts",
              uniform["pooling_share"] == 0.0, zero_below=0.5 / len(uniform["label"])),
        Check("agent-form replicator basins, N = 2, skewed prior: pooling has a basin of its own on the slice",
              "pooling share of the slice > 0", f"{skewed['pooling_share']:.4f} of {len(skewed['label'])} starts",
              skewed["pooling_share"] > 0.0),
    ]


def _checks(config: LewisSignalingConfig, by: Mapping[str, Mapping[str, Any]],
            basins: Sequence[Mapping[str, Any]]) -> list[Check]:
    def rep(n: int, prior: str = "uniform") -> Mapping[str, Any]:
        return by[f"replicator, N={n}, {prior}"]

    two, three = rep(2), rep(3)
    half_width = Z * math.sqrt(PUBLISHED_N3_POOLING * (1 - PUBLISHED_N3_POOLING) / three["runs"])
    checks = [
        Check("replicator, N = 2, equiprobable states: every start reaches a signaling system",
              f"no start pools (the 95% upper bound of the share is then 3 / {two['runs']})",
              f"pooling share {two['pooling']:.5f}; outcomes {two['shares']}", two["pooling"] == 0.0,
              zero_below=0.5 / two["runs"]),
        Check("replicator, N = 3, equiprobable states: partial pooling in about 4.7% of starts "
              "(Huttegger, Skyrms, Smead and Zollman 2010)",
              f"within the 99% interval {PUBLISHED_N3_POOLING:.3f} +- {half_width:.4f} of {three['runs']} starts",
              f"{three['shares']['partial pooling']:.4f} partial pooling (+ {three['shares']['other']:.4f} "
              f"unsettled at t = {config.t_final:g})",
              abs(three["shares"]["partial pooling"] - PUBLISHED_N3_POOLING) <= half_width),
    ]
    for dynamic, grid in (("replicator", config.ns), ("behaviour", config.behaviour_ns)):
        ns = sorted(grid)
        name = "replicator" if dynamic == "replicator" else "agent-form replicator (Dirichlet(1) rows)"
        for lo_n, hi_n in zip(ns, ns[1:], strict=False):
            lo, hi = by[f"{dynamic}, N={lo_n}, uniform"], by[f"{dynamic}, N={hi_n}, uniform"]
            gap = _margin(0.0, lo["pooling_se"], hi["pooling_se"])
            checks.append(Check(f"{name}, equiprobable states: the pooling share grows from N = {lo_n} to "
                                f"N = {hi_n}", f"rise > {gap:.4f} (99%)",
                                f"{lo['pooling']:.4f} -> {hi['pooling']:.4f}", hi["pooling"] - lo["pooling"] > gap))
        for n in ns:
            uni, skew = by[f"{dynamic}, N={n}, uniform"], by[f"{dynamic}, N={n}, skewed"]
            gap = _margin(0.0, uni["pooling_se"], skew["pooling_se"])
            checks.append(Check(f"{name}, N = {n}: a skewed prior (ratio {config.skew_ratio:g}) raises the "
                                "pooling share", f"rise > {gap:.4f} (99%)",
                                f"{uni['pooling']:.4f} -> {skew['pooling']:.4f}",
                                skew["pooling"] - uni["pooling"] > gap))
    checks += _basin_checks(basins)
    worst = max(r["simplex_error"] for r in by.values())
    checks.append(Check("every end point of every dynamic is row-stochastic (probabilities stay on the simplex)",
                        "largest row-sum or negativity error < 1e-5", f"{worst:.2e}", worst < 1e-5,
                        zero_below=1e-5))
    return checks


def _pooling_figure(config: LewisSignalingConfig, by: Mapping[str, Mapping[str, Any]]) -> plt.Figure:
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.8), sharey=True)
    for ax, (dynamic, ns, title) in zip(axes, (("replicator", config.ns, "replicator, pure-strategy populations"),
                                               ("behaviour", config.behaviour_ns, "agent-form replicator"),
                                               ("roth-erev", config.learner_ns, "Roth-Erev urns"),
                                               ("reinforce", config.learner_ns, "REINFORCE")), strict=True):
        for prior, style in (("uniform", "o-"), ("skewed", "s--")):
            rows = [by[f"{dynamic}, N={n}, {prior}"] for n in ns]
            ax.errorbar(list(ns), [r["pooling"] for r in rows], yerr=[Z * r["pooling_se"] for r in rows],
                        fmt=style, capsize=3, label=f"{prior} prior")
        if dynamic == "replicator":
            ax.axhline(PUBLISHED_N3_POOLING, color="grey", lw=0.8, ls=":", label="published N = 3 (4.7%)")
        ax.set(title=title, xlabel="N (states = signals = acts)", xticks=list(ns))
        ax.legend(fontsize=7)
    axes[0].set_ylabel("share not reaching a signaling system")
    fig.tight_layout()
    return fig


def _basin_figure(basins: Sequence[Mapping[str, Any]]) -> plt.Figure:
    fig, axes = plt.subplots(1, len(basins), figsize=(4.2 * len(basins), 4))
    colours = ListedColormap(["#bbbbbb", "black", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                              "#8c564b"])
    for ax, b in zip(np.atleast_1d(axes), basins, strict=True):
        xy = np.asarray(b["coords"])
        label = np.asarray(b["label"]) + 2  # -2 other -> 0, -1 pooling -> 1, systems from 2
        side = max(int(round(math.sqrt(len(label)))), 1)  # points per side of the grid (the simplex: about half)
        ax.scatter(xy[:, 0], xy[:, 1], c=label, cmap=colours, vmin=0, vmax=7, s=(220 / side) ** 2, marker="s",
                   linewidths=0)
        if b["n"] == 2:
            ax.set(xlabel="sender P(signal 1 | state 1)", ylabel="sender P(signal 1 | state 2)")
        else:
            ax.set(xlabel="sender P(signal 1 | state 1)", ylabel="sender P(signal 2 | state 1)")
        ax.set_title(f"N = {b['n']}, {b['prior']} prior: pooling {b['pooling_share']:.1%}", fontsize=9)
        ax.set_aspect("equal")
    fig.suptitle("Basins of attraction of the agent-form (behaviour-strategy) replicator flow on a slice of starts "
                 "(black: pooling; colours: the signaling system reached)", fontsize=9)
    fig.tight_layout()
    return fig


def run_experiment(config: LewisSignalingConfig, context: Context) -> ExperimentResult:
    labelled = _cells(config)
    labels = [label for label, _ in labelled]
    runs = context.sweep(outcome_cell, [cell for _, cell in labelled], "lewis signaling")
    by = dict(zip(labels, runs, strict=True))
    basins = context.sweep(basin_cell, _basin_cells(config), "basins of attraction", folder="basins")
    checks = _checks(config, by, basins)
    rows = tuple((label, f"{r['prior_values'][0]:.3f}", r["runs"], f"{r['shares']['signaling system']:.4f}",
                  f"{r['shares']['partial pooling']:.4f}", f"{r['shares']['total pooling']:.4f}",
                  f"{r['shares']['other']:.4f}", f"{r['pooling']:.4f} +- {r['pooling_se']:.4f}",
                  f"{r['mean_payoff']:.4f}", f"{r['seconds']:.1f}") for label, r in zip(labels, runs, strict=True))
    tables = (Table(f"Outcomes per dynamic, N and prior (replicator: t = {config.t_final:g}, RK4 dt = {config.dt:g}, "
                    f"tol {config.tol:g}; learners: {config.learner_rounds:,} rounds, tol {config.learner_tol:g}; "
                    "pooling = 1 - share of signaling systems, +- one standard error; replicator mean payoffs: starts "
                    f"at a signaling system by t = {SETTLE_TIME:g} stopped there)",
                    ("dynamic, N, prior", "prior[0]", "runs", "signaling system", "partial pooling",
                     "total pooling", "other", "pooling (+- se)", "mean payoff", "seconds"), rows),)
    figures = (
        context.save_figure(_pooling_figure(config, by), "pooling_share.png",
                            "Share of runs that do not reach a signaling system against N, for equiprobable and "
                            "skewed priors, per dynamic (bars: 99% intervals)."),
        context.save_figure(_basin_figure(basins), "basins.png",
                            "Basins of attraction of the agent-form (behaviour-strategy) replicator flow, the one "
                            "integrated row by row, on 2-D slices of starts: N = 2 (receiver "
                            "fixed; equiprobable and skewed prior) and N = 3 (sender row 1 over its simplex, other "
                            "rows fixed at a start that pools)."),
    )
    summary = {"cells": {label: {k: r[k] for k in ("runs", "shares", "pooling", "pooling_se", "mean_payoff",
                                                   "simplex_error")} for label, r in zip(labels, runs, strict=True)},
               "basins": {f"N={b['n']}, {b['prior']}": b["pooling_share"] for b in basins},
               "published_n3_pooling": PUBLISHED_N3_POOLING}
    return ExperimentResult(summary, tuple(checks), tables, figures)


EXPERIMENT = register(Experiment(
    name="lewis-signaling",
    title="Lewis signaling games: signaling systems vs. partial pooling (Huttegger, Skyrms, Smead and Zollman 2010)",
    description="Two-population replicator dynamics from Dirichlet(1) starts, Roth-Erev urns and REINFORCE on "
                "Lewis signaling games with N states, signals and acts: the share of runs ending in partial pooling "
                "against N and the prior (4.7% for N = 3 with equiprobable states), and basins of attraction for "
                "N = 2 and 3.",
    full=LewisSignalingConfig(),
    # The quick agent-form cells are N = 3 and 4 (N = 2 never pools: the unit tests and the pure-strategy cells show
    # it), so the quick run's "grows with N" is a rise from a positive share (measured with 2,000 starts: about 5.3%
    # -> 12.3%, a gap of about 8 standard errors), not from N = 2's 0.
    quick=LewisSignalingConfig(starts=2000, ns=(2, 3), behaviour_starts=2000, behaviour_ns=(3, 4),
                               learner_ns=(2, 3), learner_seeds=64, learner_rounds=3000, basin_resolution=25),
    run=run_experiment,
))
