"""Q-learning pricing algorithms learn to collude (Calvano, Calzolari, Denicolo and Pastorello, AER 2020).

Two Q-learning firms with one-period memory set prices on a 15-point grid in a logit Bertrand duopoly
(``a_i = 2, a_0 = 0, mu = 1/4, c = 1``, discount 0.95), explore with probability ``exp(-beta t)`` and learn with rate
``alpha`` until their greedy strategies are stable for 100,000 periods. The paper's baseline (``alpha = 0.15,
beta = 4e-6``, 1,000 sessions) ends with an average profit gain ``Delta = (pi - piN) / (piM - piN)`` of 0.849
(sd 0.112); its outcomes are constant symmetric prices in 27.7% of sessions, constant asymmetric prices in 36.6%,
2-cycles in 23.8% and longer cycles in 11.9%; a one-period deviation to the static best response is punished and
play returns to the pre-deviation prices within a few periods. Profit gains fall to about 0.16 with ``delta = 0.35``
and to about 0.64 with three firms.

The experiment reruns all of this with :mod:`equilibria.applications.pricing` and adds a small ``(alpha, beta)``
heat map (the paper's 100 x 100 grid is the separate experiment ``calvano-heatmap``, made for ``--backend ray``).
The full run is minutes on two cores; its units of work are checkpointed as they finish, so an interrupted run
resumes: every chunk of baseline sessions and each robustness variant under ``sessions/`` (a chunk stores its
sessions' convergence, periods, final greedy strategies and state; a variant its profit-gain statistics), every
heat-map cell under ``cells/``. Every session owns its random stream, so resumed chunks give the same sessions.
Statistical checks use ``max(stated tolerance, 3 standard errors)``, so a quick run with fewer sessions is judged by a
looser band, stated in each check.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from equilibria.applications.pricing import (  # noqa: E402
    OUTCOMES,
    LearningParameters,
    LogitDemand,
    PricingMarket,
    SessionAnalysis,
    Sessions,
    analyse_sessions,
    heatmap_cell,
    heatmap_cells,
    pricing_market,
    run_sessions,
)
from equilibria.applications.pricing.heatmap import HeatMap, assemble_heatmap  # noqa: E402
from equilibria.experiments.base import Check, Context, Experiment, ExperimentResult, Table, register  # noqa: E402

PAPER_MARKET = {"Nash price": 1.4729, "monopoly price": 1.9250, "Nash profit": 0.2229, "monopoly profit": 0.3375}
PAPER_DELTA, PAPER_DELTA_SD = 0.849, 0.112
PAPER_SHARES = dict(zip(OUTCOMES, (0.277, 0.366, 0.238, 0.119), strict=True))
PAPER_LOW_DISCOUNT_DELTA = 0.16  # delta = 0.35
PAPER_THREE_FIRMS_DELTA = 0.64
PAPER_RETURN_PERIODS = 7  # "back to the pre-deviation prices within about 5-7 periods"


@dataclass(frozen=True)
class CalvanoConfig:
    """Sessions per part and the paper's parameters; tolerances are for the mean profit gain."""

    sessions: int = 1000
    seed: int = 0
    alpha: float = 0.15
    beta: float = 4e-6
    discount: float = 0.95
    n_prices: int = 15
    xi: float = 0.1
    convergence_window: int = 100_000
    max_periods: int = 1_000_000_000
    delta_tolerance: float = 0.02
    low_discount: float = 0.35
    low_discount_sessions: int = 200
    three_firm_sessions: int = 100
    robustness_tolerance: float = 0.03
    heatmap_alphas: tuple[float, ...] = (0.05, 0.1, 0.15, 0.2, 0.25)
    heatmap_betas: tuple[float, ...] = (2e-6, 4e-6, 1e-5, 2e-5)
    heatmap_sessions: int = 50
    impulse_horizon: int = 15
    chunks: int = 10  # the baseline runs in this many units of work (checkpointed; the progress bar moves)

    def parameters(self, discount: float | None = None) -> LearningParameters:
        return LearningParameters(alpha=self.alpha, beta=self.beta,
                                  delta=self.discount if discount is None else discount,
                                  convergence_window=self.convergence_window, max_periods=self.max_periods)


def _tolerance(stated: float, sd: float, sessions: int) -> float:
    return max(stated, 3.0 * sd / math.sqrt(sessions))


def _market_checks(market: PricingMarket) -> list[Check]:
    computed = {"Nash price": market.nash_prices[0], "monopoly price": market.monopoly_prices[0],
                "Nash profit": market.nash_profits[0], "monopoly profit": market.monopoly_profits[0]}
    return [Check(f"baseline {name} (computed from the first-order conditions)", f"{PAPER_MARKET[name]:.4f}",
                  f"{value:.6f}", round(float(value), 4) == PAPER_MARKET[name]) for name, value in computed.items()]


def _baseline_checks(config: CalvanoConfig, sessions: Sessions, analysis: SessionAnalysis) -> list[Check]:
    gains, r = analysis.profit_gain, sessions.n_sessions
    tol = _tolerance(config.delta_tolerance, PAPER_DELTA_SD, r)
    checks = [
        Check("every session converges", f"{r} of {r}", f"{int(sessions.converged.sum())} of {r}",
              bool(sessions.converged.all())),
        Check(f"mean profit gain over {r} sessions", f"{PAPER_DELTA} +- {tol:.3f} (sd {PAPER_DELTA_SD})",
              f"{gains.mean():.3f} (sd {gains.std():.3f})", bool(abs(gains.mean() - PAPER_DELTA) <= tol)),
    ]
    shares = analysis.outcome_shares()
    for name in OUTCOMES:
        p = PAPER_SHARES[name]
        # two independent estimates (the paper's 1,000 sessions and ours): 3 standard errors of their difference
        band = 3.0 * math.sqrt(p * (1 - p) * (1 / 1000 + 1 / r))
        checks.append(Check(f"share of sessions ending in a {name}", f"{p:.3f} +- {band:.3f}",
                            f"{shares[name]:.3f}", bool(abs(shares[name] - p) <= band)))
    prices = analysis.impulse_prices
    returned = analysis.return_period[analysis.return_period >= 0]
    median_return = float(np.median(returned)) if returned.size else math.inf
    checks += [
        Check("a deviation is punished: the rival's average price the period after it", "below its pre-deviation "
              "price", f"{prices[:, 2, 1].mean():.4f} < {prices[:, 0, 1].mean():.4f}",
              bool(prices[:, 2, 1].mean() < prices[:, 0, 1].mean())),
        Check("play returns to the pre-deviation cycle (median period, deviation = period 1)",
              f"<= {PAPER_RETURN_PERIODS} (about 5-7 periods)",
              f"{median_return:g}; {returned.size} of {r} sessions return",
              bool(median_return <= PAPER_RETURN_PERIODS)),
    ]
    return checks


def _session_setting(config: CalvanoConfig, *, n_firms: int = 2, discount: float | None = None) -> dict[str, Any]:
    """The market and learning parameters of a sweep cell of sessions (every input but the sessions' range)."""
    return {"n_firms": n_firms, "n_prices": config.n_prices, "xi": config.xi, "alpha": config.alpha,
            "beta": config.beta, "delta": config.discount if discount is None else discount,
            "convergence_window": config.convergence_window, "max_periods": config.max_periods, "seed": config.seed}


def _market_and_parameters(cell: Mapping[str, Any]) -> tuple[PricingMarket, LearningParameters]:
    market = pricing_market(LogitDemand.symmetric(int(cell["n_firms"])), int(cell["n_prices"]), float(cell["xi"]))
    parameters = LearningParameters(alpha=float(cell["alpha"]), beta=float(cell["beta"]), delta=float(cell["delta"]),
                                    convergence_window=int(cell["convergence_window"]),
                                    max_periods=int(cell["max_periods"]))
    return market, parameters


def sessions_cell(cell: Mapping[str, Any]) -> dict[str, Any]:
    """A chunk of sessions as a sweep cell: :func:`_session_setting` plus ``first_session`` and ``sessions`` ->
    the sessions' ``converged``, ``periods``, ``greedy`` (``[R][n][n_states]``), ``final_state`` and ``seconds``."""
    market, parameters = _market_and_parameters(cell)
    sessions = run_sessions(market, parameters, sessions=int(cell["sessions"]), seed=int(cell["seed"]),
                            first_session=int(cell["first_session"]))
    return {"converged": sessions.converged.tolist(), "periods": sessions.periods.tolist(),
            "greedy": sessions.greedy.tolist(), "final_state": sessions.final_state.tolist(),
            "seconds": sessions.seconds}


def robustness_cell(cell: Mapping[str, Any]) -> dict[str, Any]:
    """A robustness variant as a sweep cell (:func:`_session_setting` plus ``sessions``) -> its profit-gain mean
    and sd, sessions converged, mean periods and seconds."""
    market, parameters = _market_and_parameters(cell)
    sessions = run_sessions(market, parameters, sessions=int(cell["sessions"]), seed=int(cell["seed"]))
    gains = analyse_sessions(sessions, horizon=2).profit_gain
    return {"gain_mean": float(gains.mean()), "gain_sd": float(gains.std()), "converged": int(sessions.converged.sum()),
            "periods_mean": float(sessions.periods.mean()), "seconds": sessions.seconds}


def _baseline(config: CalvanoConfig, market: PricingMarket, context: Context) -> Sessions:
    """The baseline sessions in ``config.chunks`` units of work (the split of ``run_sessions_in_chunks``)."""
    bounds = np.linspace(0, config.sessions, min(config.chunks, config.sessions) + 1).astype(int).tolist()
    cells = [{**_session_setting(config), "first_session": lo, "sessions": hi - lo}
             for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]
    parts = context.sweep(sessions_cell, cells, "Q-learning sessions", folder="sessions")
    return Sessions(market, config.parameters(), int(config.seed), 0,
                    np.concatenate([np.asarray(p["converged"], dtype=bool) for p in parts]),
                    np.concatenate([np.asarray(p["periods"], dtype=np.int64) for p in parts]),
                    np.concatenate([np.asarray(p["greedy"], dtype=np.int16) for p in parts]),
                    np.concatenate([np.asarray(p["final_state"], dtype=np.int64) for p in parts]),
                    float(sum(p["seconds"] for p in parts)))


def _robustness(config: CalvanoConfig, context: Context) -> tuple[list[Check], list[tuple[str, ...]], dict[str, float]]:
    runs = (("discount 0.35", _session_setting(config, discount=config.low_discount), config.low_discount_sessions,
             PAPER_LOW_DISCOUNT_DELTA),
            ("three firms", _session_setting(config, n_firms=3), config.three_firm_sessions, PAPER_THREE_FIRMS_DELTA))
    results = context.sweep(robustness_cell, [{**setting, "sessions": count} for _, setting, count, _ in runs],
                            "robustness", folder="sessions")
    checks: list[Check] = []
    rows: list[tuple[str, ...]] = []
    summary: dict[str, float] = {}
    for (label, _, count, paper), r in zip(runs, results, strict=True):
        tol = _tolerance(config.robustness_tolerance, float(r["gain_sd"]), count)
        checks.append(Check(f"{label}: mean profit gain over {count} sessions", f"about {paper} (+- {tol:.3f})",
                            f"{r['gain_mean']:.3f} (sd {r['gain_sd']:.3f}; {r['converged']} converged)",
                            bool(abs(r["gain_mean"] - paper) <= tol)))
        rows.append((label, str(count), f"{paper}", f"{r['gain_mean']:.3f}", f"{r['gain_sd']:.3f}",
                     f"{r['periods_mean']:,.0f}", f"{r['seconds']:.1f}"))
        summary[label] = float(r["gain_mean"])
    return checks, rows, summary


def _impulse_figure(market: PricingMarket, analysis: SessionAnalysis) -> plt.Figure:
    prices = analysis.impulse_prices.mean(axis=0)  # (horizon + 1, n)
    periods = np.arange(prices.shape[0])
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(periods, prices[:, 0], "o-", label="firm 0 (deviates in period 1)")
    ax.plot(periods, prices[:, 1], "s--", label="firm 1")
    ax.axhline(market.nash_prices[0], color="grey", ls=":", label="Nash price")
    ax.axhline(market.monopoly_prices[0], color="black", ls=":", label="monopoly price")
    ax.set(xlabel="period (0: before the deviation)", ylabel="average price over sessions",
           title="Impulse response to a one-period deviation to the static best response")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _gain_histogram(analysis: SessionAnalysis) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist(analysis.profit_gain, bins=30, color="tab:blue", alpha=0.8)
    ax.axvline(PAPER_DELTA, color="black", ls="--", label=f"paper's mean {PAPER_DELTA}")
    ax.axvline(float(analysis.profit_gain.mean()), color="tab:red", label="this run's mean")
    ax.set(xlabel="profit gain Delta (limit cycle, both firms)", ylabel="sessions")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def heatmap_table(heat: HeatMap, sessions: int) -> Table:
    return Table(f"Average profit gain over (alpha, beta), {sessions} sessions per cell",
                 ("alpha \\ beta", *(f"{b:g}" for b in heat.betas)),
                 tuple((f"{a:g}", *(f"{v:.3f}" for v in row)) for a, row in zip(heat.alphas, heat.delta_mean,
                                                                                 strict=True)))


def heatmap_figure(heat: HeatMap) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(6, 4))
    image = ax.imshow(heat.delta_mean, origin="lower", aspect="auto", cmap="viridis", vmin=0, vmax=1)
    xs = np.unique(np.linspace(0, len(heat.betas) - 1, min(len(heat.betas), 8)).round().astype(int))
    ys = np.unique(np.linspace(0, len(heat.alphas) - 1, min(len(heat.alphas), 10)).round().astype(int))
    ax.set_xticks(xs, [f"{heat.betas[j]:.1e}" for j in xs], rotation=30)
    ax.set_yticks(ys, [f"{heat.alphas[i]:.3g}" for i in ys])
    if heat.delta_mean.size <= 100:  # label the cells of a small grid
        for (i, j), value in np.ndenumerate(heat.delta_mean):
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", color="white", fontsize=8)
    ax.set(xlabel="beta (exploration decay)", ylabel="alpha (learning rate)", title="Average profit gain")
    fig.colorbar(image, ax=ax)
    fig.tight_layout()
    return fig


def _heatmap(config: CalvanoConfig, context: Context) -> HeatMap:
    cells = heatmap_cells(config.heatmap_alphas, config.heatmap_betas, sessions=config.heatmap_sessions,
                          seed=config.seed, extra=market_extra(config))
    return assemble_heatmap(config.heatmap_alphas, config.heatmap_betas,
                            context.sweep(heatmap_cell, cells, "heat map"))


def market_extra(config: CalvanoConfig) -> dict[str, float | int]:
    """The cell keys beyond (alpha, beta, sessions, seed) that a heat-map cell needs from the config."""
    return {"delta": config.discount, "n_prices": config.n_prices, "convergence_window": config.convergence_window,
            "max_periods": config.max_periods}


def run_experiment(config: CalvanoConfig, context: Context) -> ExperimentResult:
    market = pricing_market(n_prices=config.n_prices, xi=config.xi)
    sessions = _baseline(config, market, context)
    analysis = analyse_sessions(sessions, horizon=config.impulse_horizon)
    checks = _market_checks(market) + _baseline_checks(config, sessions, analysis)
    robustness_checks, robustness_rows, robustness_summary = _robustness(config, context)
    checks += robustness_checks

    heat = _heatmap(config, context)

    shares = analysis.outcome_shares()
    periods = sessions.periods
    tables = (
        Table("Outcomes of the baseline sessions", ("outcome", "paper", "this run"),
              tuple((name, f"{PAPER_SHARES[name]:.3f}", f"{shares[name]:.3f}") for name in OUTCOMES)),
        Table("Periods to convergence (baseline)", ("mean", "median", "min", "max", "kernel seconds"),
              ((f"{periods.mean():,.0f}", f"{np.median(periods):,.0f}", f"{periods.min():,}", f"{periods.max():,}",
                f"{sessions.seconds:.1f}"),)),
        Table("Robustness", ("variant", "sessions", "paper", "mean Delta", "sd", "mean periods", "seconds"),
              tuple(robustness_rows)),
        heatmap_table(heat, config.heatmap_sessions),
    )
    figures = (
        context.save_figure(_impulse_figure(market, analysis), "impulse_response.png",
                            "Average prices over all baseline sessions: firm 0 deviates in period 1 to its static "
                            "best response; the rival punishes and both return to the pre-deviation prices."),
        context.save_figure(_gain_histogram(analysis), "profit_gain_distribution.png",
                            "Distribution of the per-session profit gain over the limit cycle."),
        context.save_figure(heatmap_figure(heat), "profit_gain_heatmap.png",
                            f"Average profit gain on a {len(heat.alphas)} x {len(heat.betas)} (alpha, beta) grid "
                            "(the paper's Figure 1 is 100 x 100)."),
    )
    summary = {
        "sessions": sessions.n_sessions,
        "delta_mean": float(analysis.profit_gain.mean()),
        "delta_sd": float(analysis.profit_gain.std()),
        "outcome_shares": shares,
        "converged_share": float(sessions.converged.mean()),
        "periods_mean": float(periods.mean()),
        "periods_median": float(np.median(periods)),
        "kernel_seconds": sessions.seconds,
        "impulse_response_mean_prices": analysis.impulse_prices.mean(axis=0).tolist(),
        "robustness": robustness_summary,
        "heatmap": {"alphas": heat.alphas.tolist(), "betas": heat.betas.tolist(),
                    "delta_mean": heat.delta_mean.tolist(), "converged_share": heat.converged_share.tolist()},
    }
    return ExperimentResult(summary, tuple(checks), tables, figures)


EXPERIMENT = register(Experiment(
    name="calvano",
    title="Q-learning pricing algorithms learn to collude (Calvano et al. 2020)",
    description="1,000 sessions of two Q-learning firms in a logit duopoly: profit gain, outcome shares, impulse "
                "response to a deviation, robustness to the discount factor and the number of firms, and a profit-gain "
                "heat map over (alpha, beta).",
    full=CalvanoConfig(),
    quick=CalvanoConfig(sessions=100, low_discount_sessions=50, three_firm_sessions=20, heatmap_alphas=(0.1, 0.2),
                        heatmap_betas=(4e-6, 1e-5), heatmap_sessions=10),
    run=run_experiment,
))
