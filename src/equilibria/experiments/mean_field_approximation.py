"""The N-player check: a mean-field equilibrium is an O(1/sqrt(N))-equilibrium of the N-agent game.

A mean-field Nash equilibrium ``pi`` approximates the finite game ``G_N`` in which N agents play against their
empirical distribution (:mod:`equilibria.applications.mfg.n_player` states the game and the estimators). Under
Lipschitz rewards and transitions, ``pi`` played by everyone is an ``eps_N``-Nash equilibrium of ``G_N`` with
``eps_N = O(1/sqrt(N))`` (Huang, Malhame and Caines 2006; Saldi, Basar and Raginsky 2018): the empirical flow is
off the mean field by ``O(N^(-1/2))`` (law of large numbers, central limit theorem).

For each environment the experiment

1. solves the mean-field game by online mirror descent (Perolat et al. 2022) to an exploitability far below the
   gains it will measure (the certificate of :mod:`equilibria.metrics.mean_field`);
2. simulates ``G_N`` for N from 10 to 100,000 with every agent playing ``pi`` (exact count process, Monte Carlo
   repetitions batched with ``vmap``) and estimates, with standard errors, ``U_N``: the expected gain of one agent
   best-responding to the realised empirical flow (an upper bound on what any deviation gains), and ``L_N``: the
   gain of one fixed deviation chosen on independent repetitions (a lower bound);
3. fits ``log U_N = a + b log N`` over ``N >= fit_from`` (the asymptotic range: below it the O(1/N) terms of
   small populations still bend the curve) and checks that ``b`` is within ``slope_band`` of ``-1/2``.

On left-right the upper bound has a closed form (a sum over the binomial number of agents going left), which the
Monte Carlo estimate must match within its standard error. The lower bound falls like ``1/N`` (left-right: exactly
``1/(3N)`` for the best deviation), so it is resolved only at the smaller N; its slope is reported, not checked.
Each environment is one unit of work (:meth:`Context.sweep`).

Measured (full configuration, 2,000 repetitions per N): slopes over ``N >= 100`` of -0.496 ± 0.004 (left-right;
``U_N sqrt(N)`` tends to ``1/sqrt(pi) = 0.564``, the normal limit of the binomial sum), -0.580 ± 0.004 (beach bar)
and -0.496 ± 0.003 (crowd modelling, whose equilibrium mixes everywhere); the lower bounds fall with slopes
-0.97 to -1.01 where resolved (N <= 300). Beach bar approaches -1/2 slowly: besides its exact ties it has a near
tie (a Q-gap of 0.0025 at ``t = 1``, state 3) that the realised flow's fluctuations still overturn up to
``N ~ 10^5``; the local slope is -0.56 to -0.61 from ``N = 100`` to ``10^5`` and -0.51 from ``10^5`` to ``10^6``.
Over all N (down to 10, where a population of ten on ten crowd-modelling cells is far from its limit) the points
are not one power law (reduced chi2 up to ~950): the table gives those fits too. The rate needs ties: on
susceptible-infected, whose equilibrium (annealed Boltzmann iteration, exploitability 9e-11) is strict, the
realised flow's fluctuations soon stop overturning any choice and ``U_N`` falls much faster (0.43, 0.031, 0.0017 at
N = 100, 1000, 10,000, about 0 at 100,000), so it is not among the environments here.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from equilibria.experiments.base import Check, Context, Experiment, ExperimentResult, Table, register  # noqa: E402

# How many standard errors a Monte Carlo estimate may be from an exact number (a two-sided 4-sigma test: with a dozen
# comparisons per run a false alarm has probability about 1e-3).
Z_TOLERANCE = 4.0


@dataclass(frozen=True)
class ApproximationConfig:
    """Environments (zoo names, default parameters), population sizes, Monte Carlo repetitions per size, the solver's
    iteration budget; ``fit_from``: the smallest N in the slope's fit; ``slope_band``: the check's half-width
    around -1/2; ``max_exploitability``: the largest mean-field exploitability accepted for the solved policy (it
    must also be under 1% of the smallest gain measured)."""

    environments: tuple[str, ...] = ("left-right", "beach-bar", "crowd-modelling")
    ns: tuple[int, ...] = (10, 30, 100, 300, 1000, 3000, 10_000, 30_000, 100_000)
    repetitions: int = 2000
    solver_iterations: int = 3000
    fit_from: int = 100
    slope_band: float = 0.1
    max_exploitability: float = 1e-5
    key: int = 0


def left_right_exact(n_agents: int, left_cost: float = 1.0, right_cost: float = 2.0) -> tuple[float, float]:
    """Left-right's ``(U_N, best own-state deviation gain)`` in closed form at its equilibrium.

    Everyone starts at the center and goes left with probability ``p = right_cost / (left_cost + right_cost)``; the
    others going left are ``K ~ Binomial(N - 1, p)``. Agent 0's return is ``J_L = -left_cost (K + 1) / N`` going left,
    ``J_R = -right_cost (N - K) / N`` going right (nothing else is paid). ``U_N = E[max(J_L, J_R) - p J_L -
    (1 - p) J_R]``; the deviation that does not see ``K`` gains ``max(E J_L, E J_R) - p E J_L - (1 - p) E J_R``.
    """
    from scipy.stats import binom

    p = right_cost / (left_cost + right_cost)
    k = np.arange(n_agents)
    weights = binom.pmf(k, n_agents - 1, p)
    j_left, j_right = -left_cost * (k + 1) / n_agents, -right_cost * (n_agents - k) / n_agents
    mixed = p * j_left + (1 - p) * j_right
    upper = float(np.sum(weights * (np.maximum(j_left, j_right) - mixed)))
    e_left, e_right = float(weights @ j_left), float(weights @ j_right)
    return upper, max(e_left, e_right) - (p * e_left + (1 - p) * e_right)


def environment_cell(cell: Mapping[str, Any]) -> dict[str, Any]:
    """One environment as a sweep cell: ``{"environment", "ns", "repetitions", "solver_iterations", "key"}`` ->
    the solved policy's exploitability and iterations, per N the gains with standard errors and the returns, the two
    fits (over ``N >= fit_from`` and over every N), seconds."""
    from equilibria.applications.mfg.n_player import approximation_curve, fit_power_law
    from equilibria.games.zoo.mean_field import MEAN_FIELD_GAMES
    from equilibria.solvers.mean_field_mirror_descent import online_mirror_descent_solve

    started = time.perf_counter()
    game = MEAN_FIELD_GAMES[str(cell["environment"])]()
    solved = online_mirror_descent_solve(game, max_iterations=int(cell["solver_iterations"]), tol=1e-12)
    policy = solved.equilibria[0]
    ns = [int(n) for n in cell["ns"]]
    curve = approximation_curve(game, policy, ns, repetitions=int(cell["repetitions"]), key=int(cell["key"]))
    means = np.array([g.mean for g in curve.gains])
    errors = np.array([g.standard_error for g in curve.gains])
    tail = np.array(ns) >= int(cell["fit_from"])
    tail_fit = fit_power_law(np.array(ns)[tail], means[tail], errors[tail])

    def fit_json(fit: Any) -> dict[str, float]:
        return {"slope": fit.slope, "slope_se": fit.slope_standard_error, "intercept": fit.intercept,
                "reduced_chi2": fit.reduced_chi2}

    return {
        "environment": str(cell["environment"]), "exploitability": float(solved.certificate[0]),
        "solver_iterations": int(solved.iterations), "ns": ns,
        "upper": means.tolist(), "upper_se": errors.tolist(),
        "lower": [g.lower_mean for g in curve.gains], "lower_se": [g.lower_standard_error for g in curve.gains],
        "equilibrium_return": [g.equilibrium_return for g in curve.gains],
        "equilibrium_return_se": [g.equilibrium_return_standard_error for g in curve.gains],
        "mean_field_return": curve.gains[0].mean_field_return,
        "fit": fit_json(tail_fit), "fit_all": fit_json(curve.fit), "lower_fit": fit_json(curve.lower_fit),
        "lower_fit_ns": [n for n, used in zip(ns, curve.lower_fit.used, strict=True) if used],
        "seconds": time.perf_counter() - started,
    }


def _figure(results: Sequence[Mapping[str, Any]], fit_from: int) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(6.8, 4.4))
    for index, r in enumerate(results):
        color = f"C{index}"
        ns = np.asarray(r["ns"], dtype=float)
        upper, upper_se = np.asarray(r["upper"]), np.asarray(r["upper_se"])
        ax.errorbar(ns, upper, yerr=2 * upper_se, fmt="o", color=color, ms=4, capsize=2,
                    label=f"{r['environment']}: slope {r['fit']['slope']:.3f} ± {r['fit']['slope_se']:.3f}")
        grid = ns[ns >= fit_from]
        if grid.size and math.isfinite(r["fit"]["slope"]):
            ax.plot(grid, np.exp(r["fit"]["intercept"]) * grid ** r["fit"]["slope"], "-", color=color, lw=1)
        lower, lower_se = np.asarray(r["lower"]), np.asarray(r["lower_se"])
        resolved = lower >= 2 * lower_se
        if resolved.any():
            ax.plot(ns[resolved], lower[resolved], "v", mfc="none", color=color, ms=5)
    ns_all = np.asarray(sorted({n for r in results for n in r["ns"]}), dtype=float)
    anchor = max(r["upper"][0] for r in results)
    ax.plot(ns_all, 1.6 * anchor * (ns_all / ns_all[0]) ** -0.5, "k--", lw=0.8, label="N^(-1/2)")
    ax.plot(ns_all, 0.3 * anchor * (ns_all / ns_all[0]) ** -1.0, "k:", lw=0.8, label="N^(-1)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("number of agents N")
    ax.set_ylabel("one agent's best-response gain")
    ax.set_title("Mean-field equilibrium in the N-player game: filled, best response to the realised flow "
                 "(upper bound);\nhollow, a fixed deviation (lower bound, where resolved); bars: 2 standard errors",
                 fontsize=8)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def _checks(r: Mapping[str, Any], config: ApproximationConfig) -> list[Check]:
    name = r["environment"]
    ns = np.asarray(r["ns"])
    upper, upper_se = np.asarray(r["upper"]), np.asarray(r["upper_se"])
    lower, lower_se = np.asarray(r["lower"]), np.asarray(r["lower_se"])
    floor = min(config.max_exploitability, 0.01 * float(upper.min()))
    slope, slope_se = r["fit"]["slope"], r["fit"]["slope_se"]
    gap = np.abs(np.asarray(r["equilibrium_return"]) - r["mean_field_return"])
    checks = [
        Check(f"{name}: online mirror descent's policy is a mean-field equilibrium (certificate)",
              f"exploitability <= {floor:.2g} (and < 1% of every gain)", f"{r['exploitability']:.2e}",
              r["exploitability"] <= floor, zero_below=floor),
        Check(f"{name}: the upper bound U_N shrinks at every step of N", "strictly decreasing",
              " > ".join(f"{u:.3g}" for u in upper), bool(np.all(np.diff(upper) < 0))),
        Check(f"{name}: fitted slope of log U_N on log N over N >= {config.fit_from}",
              f"-0.5 ± {config.slope_band:g}", f"{slope:.3f} ± {slope_se:.3f} (MC standard error)",
              bool(abs(slope + 0.5) <= config.slope_band)),
        Check(f"{name}: lower bound <= upper bound at every N (within {Z_TOLERANCE:g} standard errors)",
              "L_N <= U_N", f"max (L_N - U_N)/se = {np.max((lower - upper) / np.hypot(lower_se, upper_se)):.2f}",
              bool(np.all(lower - upper <= Z_TOLERANCE * np.hypot(lower_se, upper_se)))),
        Check(f"{name}: the N-player equilibrium return tends to the mean-field return J(pi, mu^pi)",
              "gap at the largest N <= gap at the smallest / 10 + 4 se",
              f"{gap[0]:.3g} -> {gap[-1]:.3g} (se {r['equilibrium_return_se'][-1]:.1g})",
              bool(gap[-1] <= gap[0] / 10 + Z_TOLERANCE * r["equilibrium_return_se"][-1])),
    ]
    if name == "left-right":
        exact = np.array([left_right_exact(int(n)) for n in ns])
        z_upper = np.abs(upper - exact[:, 0]) / np.maximum(upper_se, 1e-15)
        excess = (lower - exact[:, 1]) / np.maximum(lower_se, 1e-15)
        checks += [
            Check("left-right: U_N equals its closed form (binomial sum) at every N", f"|z| <= {Z_TOLERANCE:g}",
                  f"max |z| = {z_upper.max():.2f}; e.g. N = {ns[-1]}: {upper[-1]:.5f} vs {exact[-1, 0]:.5f}",
                  bool(z_upper.max() <= Z_TOLERANCE)),
            Check("left-right: the fixed deviation gains no more than the best one, 1/(3N)",
                  f"(L_N - 1/(3N))/se <= {Z_TOLERANCE:g}", f"max {excess.max():.2f}; N = {ns[0]}: "
                  f"{lower[0]:.5f} vs {exact[0, 1]:.5f}", bool(excess.max() <= Z_TOLERANCE)),
        ]
    return checks


def run_experiment(config: ApproximationConfig, context: Context) -> ExperimentResult:
    cells = [{"environment": env, "ns": list(config.ns), "repetitions": config.repetitions,
              "solver_iterations": config.solver_iterations, "fit_from": config.fit_from, "key": config.key}
             for env in config.environments]
    results = [dict(r) for r in context.sweep(environment_cell, cells, "environments", folder="environments")]
    checks = [c for r in results for c in _checks(r, config)]
    gains = Table(
        "one agent's best-response gain in the N-player game (Monte Carlo mean ± standard error)",
        ("environment", "N", "U_N (realised flow)", "U_N sqrt(N)", "L_N (fixed deviation)", "return in G_N",
         "mean-field return"),
        tuple((r["environment"], n, f"{u:.3e} ± {use:.1e}", f"{u * math.sqrt(n):.4f}", f"{lo:.2e} ± {lse:.1e}",
               f"{ret:.5f} ± {rse:.1e}", f"{r['mean_field_return']:.5f}")
              for r in results for n, u, use, lo, lse, ret, rse in zip(
                  r["ns"], r["upper"], r["upper_se"], r["lower"], r["lower_se"], r["equilibrium_return"],
                  r["equilibrium_return_se"], strict=True)))
    fits = Table(
        "fitted rates: log gain = a + slope log N (weighted least squares; slope ± its standard error)",
        ("environment", "exploitability", "solver iterations", f"slope U_N (N >= {config.fit_from})",
         "slope U_N (all N)", "reduced chi2 (all N)", "slope L_N (resolved N)", "seconds"),
        tuple((r["environment"], f"{r['exploitability']:.1e}", r["solver_iterations"],
               f"{r['fit']['slope']:.3f} ± {r['fit']['slope_se']:.3f}",
               f"{r['fit_all']['slope']:.3f} ± {r['fit_all']['slope_se']:.3f}", f"{r['fit_all']['reduced_chi2']:.1f}",
               (f"{r['lower_fit']['slope']:.2f} ± {r['lower_fit']['slope_se']:.2f} "
                f"(N in {r['lower_fit_ns']})") if math.isfinite(r["lower_fit"]["slope"]) else "unresolved",
               f"{r['seconds']:.1f}") for r in results))
    figure = context.save_figure(_figure(results, config.fit_from), "mean_field_approximation.png",
                                 "One agent's best-response gain against N, everyone else playing the mean-field "
                                 "equilibrium; lines: the fitted power laws over N >= "
                                 f"{config.fit_from}; dashed: slope -1/2, dotted: slope -1.")
    summary = {"environments": {r["environment"]: {k: v for k, v in r.items() if k != "environment"}
                                for r in results}}
    return ExperimentResult(summary, tuple(checks), (gains, fits), (figure,))


EXPERIMENT = register(Experiment(
    name="mean-field-approximation",
    title="The N-player check: a mean-field equilibrium's deviation gain shrinks like 1/sqrt(N)",
    description="Every agent of an N-player game plays the mean-field equilibrium (online mirror descent, certified "
                "by its exploitability); one agent's best-response gain, estimated by Monte Carlo with standard "
                "errors for N = 10 to 100,000, falls like N^(-1/2) (Huang, Malhame and Caines 2006; Saldi, Basar "
                "and Raginsky 2018): the fitted slope of log gain on log N is about -1/2.",
    full=ApproximationConfig(),
    # --quick: left-right alone (its closed form checks the estimator; each environment costs a compilation of the
    # sampler, several seconds).
    quick=ApproximationConfig(environments=("left-right",), ns=(10, 100, 1000, 10_000), repetitions=1000,
                              solver_iterations=1000),
    run=run_experiment,
))
