"""``equilibria pricing``: Q-learning pricing sessions in a logit market (Calvano et al. 2020)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from typing import Any

from equilibria.cli._common import EXIT_OK
from equilibria.core.errors import GameError

# The library's parameter names (ParameterError.parameter) as `equilibria pricing` spells them.
_PRICING_FLAGS = {"n": "--firms", "n_firms": "--firms", "n_prices": "--prices", "xi": "--xi", "quality": "--quality",
                  "cost": "--cost", "outside": "--outside", "mu": "--mu", "alpha": "--alpha", "beta": "--beta",
                  "delta": "--discount", "memory": "--memory", "convergence_window": "--window",
                  "max_periods": "--max-periods", "sessions": "--sessions", "seed": "--seed",
                  "max_seconds": "--max-seconds"}
_PRICING_HORIZON = 2  # impulse responses are not reported here: the shortest horizon the analysis allows


def cmd_pricing(args: argparse.Namespace) -> int:
    """Q-learning pricing sessions (Calvano et al. 2020) on a logit market: profit gain, outcomes, convergence."""
    from equilibria.applications.pricing import ParameterError

    started = time.perf_counter()  # --max-seconds counts from here
    try:
        return _run_pricing(args, started)
    except ParameterError as exc:  # name the flag, not the library's argument
        raise GameError(f"pricing {_PRICING_FLAGS.get(exc.parameter, exc.parameter)}: {exc}") from None


def _run_pricing(args: argparse.Namespace, started: float) -> int:

    from tqdm import tqdm

    from equilibria.applications.pricing import (
        OUTCOMES,
        LearningParameters,
        LogitDemand,
        analyse_sessions,
        check_sessions_memory,
        check_table_sizes,
        convergence_split,
        pricing_market,
        run_sessions_in_chunks,
    )

    # Every size and range before anything is built: a refusal costs nothing and names its flag.
    check_table_sizes(args.firms, args.prices, args.memory, "the Q tables")
    parameters = LearningParameters(alpha=args.alpha, beta=args.beta, delta=args.discount, memory=args.memory,
                                    convergence_window=args.window, max_periods=args.max_periods)
    check_sessions_memory(args.firms, args.prices, args.memory, args.sessions, "",
                          analysis_horizon=_PRICING_HORIZON)
    demand = LogitDemand.symmetric(args.firms, quality=args.quality, cost=args.cost, outside=args.outside, mu=args.mu)
    market = pricing_market(demand, n_prices=args.prices, xi=args.xi)

    def progress(items: Any, description: str) -> Any:
        return tqdm(items, desc=description, disable=args.no_progress, leave=False, file=sys.stderr)

    # With --max-seconds the sessions get what is left but a reserve for the analysis and the report.
    left = None if args.max_seconds is None else max(1e-3, 0.8 * (started + args.max_seconds - time.perf_counter()))
    ran = run_sessions_in_chunks(market, parameters, sessions=args.sessions, seed=args.seed,
                                 chunks=max(1, min(20, args.sessions // 8)), progress=progress, max_seconds=left)
    stopped = None
    if ran.stopped_because is not None:  # in the command's terms: its --max-seconds, counted from its start
        stopped = (f"stopped at max_seconds={args.max_seconds:g}: {ran.n_finished} of {ran.n_sessions} sessions "
                   f"finished" + (f" ({ran.stopped_because.partition(' (')[2]}" if " (" in ran.stopped_because
                                  else ""))
    sessions = ran.finished_only()  # the report is over the sessions that finished
    converged: dict[str, Any] | None = None
    unconverged: dict[str, Any] | None = None
    if sessions.n_sessions:
        analysis = analyse_sessions(sessions, horizon=_PRICING_HORIZON)
        converged, unconverged = convergence_split(sessions, analysis)
    n_converged = int(sessions.converged.sum())
    warning = (_pricing_warning(n_converged, sessions.n_sessions, args.window, args.max_periods)
               if sessions.n_sessions else None)
    report = {
        "market": {"nash_price": float(market.nash_prices[0]), "monopoly_price": float(market.monopoly_prices[0]),
                   "nash_profit": float(market.nash_profits[0]), "monopoly_profit": float(market.monopoly_profits[0]),
                   "grid": [float(p) for p in market.grid[0]]},
        "parameters": dataclasses.asdict(parameters), "sessions": args.sessions, "seed": args.seed,
        # Sessions that ran to convergence or --max-periods; fewer than "sessions" when --max-seconds stopped the
        # others ("stopped_because" says so). Every figure below is over these.
        "finished": sessions.n_sessions,
        "completed": stopped is None,
        "stopped_because": stopped,
        "converged": n_converged,
        # Over the converged sessions only; null when none converged (an unconverged session's greedy strategies
        # are a snapshot of learning in progress, not a learned outcome: they are reported apart, labelled).
        "profit_gain_mean": None if converged is None else converged["profit_gain_mean"],
        "profit_gain_sd": None if converged is None else converged["profit_gain_sd"],
        "outcome_shares": None if converged is None else converged["outcome_shares"],
        "unconverged": unconverged,
        "warning": warning,
        "periods_mean": float(sessions.periods.mean()) if sessions.n_sessions else None, "seconds": ran.seconds,
    }
    if warning:
        print(f"equilibria: warning: {warning}", file=sys.stderr)
    if args.format == "json":
        print(json.dumps(report, indent=1))
        return EXIT_OK
    m = {k: v for k, v in report["market"].items() if k != "grid"}
    low, high = (_price(p) for p in (report["market"]["grid"][0], report["market"]["grid"][-1]))
    print(f"logit market, {args.firms} firms, {args.prices} prices on [{low}, {high}]: "
          f"Nash price {_price(m['nash_price'])} (profit {_price(m['nash_profit'])}), monopoly price "
          f"{_price(m['monopoly_price'])} (profit {_price(m['monopoly_profit'])})")
    periods = "none run" if report["periods_mean"] is None else f"{report['periods_mean']:,.0f}"
    print(f"{sessions.n_sessions} sessions (alpha {args.alpha:g}, beta {args.beta:g}, discount {args.discount:g}): "
          f"{n_converged} converged, mean periods {periods}, {ran.seconds:.1f} s")
    if stopped:
        print(f"NOT COMPLETED: {stopped}")
    if warning:
        print(f"WARNING: {warning}")
    for label, statistics in (("", converged), (" [UNCONVERGED sessions, not learned outcomes]", unconverged)):
        if statistics is None:
            continue
        shares = statistics["outcome_shares"]
        print(f"profit gain Delta{label}: mean {statistics['profit_gain_mean']:.3f}, sd "
              f"{statistics['profit_gain_sd']:.3f} over {statistics['sessions']} sessions")
        print(f"outcomes{label}: " + ", ".join(f"{name} {shares[name]:.3f}" for name in OUTCOMES))
    return EXIT_OK


def _price(x: float) -> str:
    """Four decimals at ordinary scales (the paper's 1.4729), six significant digits far from them (the model is
    scale-free: mu = 1e29 gives prices near 1e29)."""
    return f"{x:.4f}" if 1e-3 <= abs(x) < 1e6 else f"{x:.6g}"


def _pricing_warning(converged: int, sessions: int, window: int, max_periods: int) -> str | None:
    if converged == sessions:
        return None
    why = (f"within --max-periods {max_periods:,} (convergence needs --window {window:,} periods without a change "
           f"of greedy strategy)")
    if converged == 0:
        return (f"no session converged {why}: profit gain and outcome shares are withheld; the unconverged "
                f"sessions' figures are shown apart, labelled")
    return (f"{sessions - converged} of {sessions} sessions did not converge {why}: profit gain and outcome shares "
            f"are over the {converged} converged sessions; the others are shown apart, labelled")

