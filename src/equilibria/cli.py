"""The ``equilibria`` command line (the contract is in docs/design.md; scripts depend on it).

Exit codes: 0 ok, 2 bad input (one line on stderr, no traceback), 1 internal error. Set ``EQUILIBRIA_DEBUG=1`` to
see the traceback of an internal error.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import re
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from equilibria.core.errors import GameError
from equilibria.core.files import atomic_path
from equilibria.core.result import SolveResult
from equilibria.games.extensive_form import ExtensiveFormGame
from equilibria.games.normal_form import NormalFormGame

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2


def one_line(message: str) -> str:
    """``message`` on one line: line breaks and other control characters (a file name may hold them) escaped."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in message)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{one_line(f'{self.prog}: error: {message} (see --help)')}\n")


def load_game(spec: str) -> NormalFormGame | ExtensiveFormGame:
    """A zoo name (normal-form or extensive-form), or a path to a Gambit ``.nfg``/``.efg`` or ``.json`` file."""
    from equilibria.games import zoo
    from equilibria.games.zoo import extensive_form as tree_zoo
    from equilibria.games.zoo import general_sum_trees

    if not spec or "\0" in spec:
        raise GameError(f"no game named {spec!r}: give a zoo name (see `equilibria games`) or a game file")
    path = Path(spec)
    try:
        is_file = path.suffix.lower() in {".nfg", ".efg", ".json"} or path.exists()
    except OSError as exc:  # a name the file system refuses (too long, ...): not a zoo name either
        raise GameError(f"cannot look up {spec[:60]!r}: {exc.strerror or exc}") from None
    if is_file:
        from equilibria.games.io import load_game as load_file

        return load_file(path)
    if spec in tree_zoo.names():
        return tree_zoo.get(spec)
    if spec in general_sum_trees.names():
        return general_sum_trees.get(spec)
    try:
        return zoo.get(spec)
    except KeyError as exc:
        raise GameError(f"{exc.args[0]}, and no file of that name exists") from None


def load_normal_form(spec: str, caller: str) -> NormalFormGame:
    game = load_game(spec)
    if not isinstance(game, NormalFormGame):
        raise GameError(f"{caller}: {spec!r} is a game tree; this command needs a normal-form game")
    return game


# -- formatting ----------------------------------------------------------------------------------------------------


def _number(x: Any, exact: bool) -> str:
    if exact:
        return str(Fraction(x))
    return f"{float(x):.6g}"


def _json_number(x: Any, exact: bool = False) -> float | str:
    """A number for JSON: a float, or with ``exact`` the exact fraction as a string (``"5/9"``), so a script gets
    the exact answer (JSON numbers are floats to most readers)."""
    return str(Fraction(x)) if exact else float(x)


def _profile_rows(result: SolveResult) -> list[dict[str, Any]]:
    exact = result.rational
    entries = []
    for profile, values, certificate in zip(result.equilibria, result.values, result.certificate, strict=True):
        entry: dict[str, Any] = {}
        if result.certificate_name in {"ce_gap", "cce_gap"}:
            entry["distribution"] = [_json_number(x, exact) for x in profile.ravel()]
            entry["shape"] = list(profile.shape)
        else:
            entry["strategies"] = [[_json_number(x, exact) for x in s] for s in profile]
        entry["payoffs"] = [_json_number(v, exact) for v in values]
        entry[result.certificate_name] = _json_number(certificate, exact)
        entries.append(entry)
    return entries


def result_to_json_header(result: SolveResult, game_label: str) -> dict[str, Any]:
    """The fields every solve document shares; ``rational``: every number is an exact fraction string;
    ``complete``: whether the equilibria listed are proved to be all (null for single-equilibrium methods)."""
    return {
        "game": game_label,
        "method": result.method,
        "equilibria": [],
        "seconds": result.seconds,
        "converged": result.converged,
        # Why a run that did not converge stopped, as the table says it (null when it converged).
        "stopped_because": None if result.converged else _stop_reason(result),
        "complete": result.complete,
        "rational": result.rational,
        "iterations": result.iterations,
        "certificate": result.certificate_name,
    }


def result_to_json(result: SolveResult, game_label: str) -> dict[str, Any]:
    """The JSON document of ``equilibria solve --format json`` (shape fixed by docs/design.md)."""
    return {**result_to_json_header(result, game_label), "equilibria": _profile_rows(result)}


def _stop_reason(result: SolveResult) -> str:
    """Why a solver stopped before convergence, on one line: its own reason, else "stopped early"."""
    why = result.parameters.get("stopped_because") or result.parameters.get("message") or "stopped early"
    return one_line(str(why))


def _status_text(result: SolveResult, noun: str) -> str:
    """What the run established, for the table's header line: convergence (and why not) and completeness."""
    if not result.converged:
        return f"  [NOT CONVERGED: {_stop_reason(result)}, {noun}]"
    if result.complete is False:
        why = result.parameters.get("complete_if") or result.parameters.get("incomplete_reason")
        return "  [NOT PROVEN COMPLETE" + (f": complete only if {why}" if result.parameters.get("complete_if")
                                           else f": {why}" if why else "") + "]"
    if result.complete:
        return "  [complete]"
    return ""


def result_to_table(result: SolveResult, game: NormalFormGame, game_label: str) -> str:
    exact = result.rational
    lines = [
        game.describe() if game.name else f"{game_label}: {game.describe()}",
        f"method {result.method}: {len(result)} equilibri{'um' if len(result) == 1 else 'a'}, "
        f"{result.seconds * 1e3:.2f} ms, {result.iterations} iterations"
        + _status_text(result, "results incomplete"),
    ]
    for k, (profile, values, certificate) in enumerate(
        zip(result.equilibria, result.values, result.certificate, strict=True), start=1
    ):
        shown = _number(certificate, exact) if exact else f"{float(certificate):.2e}"
        payoffs = ", ".join(_number(v, exact) for v in values)
        lines.append(f"  #{k}  {result.certificate_name} = {shown}  payoffs ({payoffs})")
        if result.certificate_name in {"ce_gap", "cce_gap"}:
            for index in zip(*profile.nonzero(), strict=True):
                if float(profile[index]) > 1e-12:
                    names = [_action_name(game, i, a) for i, a in enumerate(index)]
                    lines.append(f"      P({', '.join(names)}) = {_number(profile[index], exact)}")
            continue
        for i, strategy in enumerate(profile):
            player = game.player_labels[i] if game.player_labels else f"player {i + 1}"
            mix = ", ".join(f"{_action_name(game, i, a)}: {_number(p, exact)}" for a, p in enumerate(strategy)
                            if (p != 0 if exact else abs(float(p)) > 1e-12))
            lines.append(f"      {player:<10} {mix}")
    return "\n".join(lines)


MAX_INFOSET_LINES = 60  # a tree's profile lists at most this many information sets (those reached first)


def _reached_infosets(game: ExtensiveFormGame, policy: np.ndarray) -> np.ndarray:
    """Information sets reached with positive probability under ``policy``, in breadth-first order."""
    reach = game.reach_probabilities(policy)
    nodes = np.flatnonzero((game.infoset >= 0) & (reach > 0))
    _, first = np.unique(game.infoset[nodes], return_index=True)
    return game.infoset[nodes[np.sort(first)]]


def _infoset_policy(game: ExtensiveFormGame, policy: Any, infoset: int) -> list[tuple[str, Any]]:
    lo, hi = game.infoset_action_offset[infoset], game.infoset_action_offset[infoset + 1]
    return list(zip(game.action_labels[infoset], policy[lo:hi], strict=True))


def tree_result_to_table(result: SolveResult, game: ExtensiveFormGame, game_label: str) -> str:
    exact = result.rational
    lines = [
        game.describe() if game.name else f"{game_label}: {game.describe()}",
        f"method {result.method}"
        + (f" ({result.parameters['variant']})" if "variant" in result.parameters else "")
        + f": {result.seconds * 1e3:.2f} ms, {result.iterations} iterations"
        + _status_text(result, "result is approximate"),
    ]
    if "value" in result.parameters and result.values:
        lines.append(f"  value: {_value_text(_shown_value(result, game), exact)}")
    for policy, values, certificate in zip(result.equilibria, result.values, result.certificate, strict=True):
        payoffs = ", ".join(_number(v, exact) for v in values)
        shown = _number(certificate, exact) if exact else f"{float(certificate):.3e}"
        lines.append(f"  {result.certificate_name} = {shown}  payoffs ({payoffs})")
        floats = np.asarray(policy, dtype=float)
        reached = _reached_infosets(game, floats)
        for infoset in reached[:MAX_INFOSET_LINES]:
            player = int(game.infoset_player[infoset])
            name = game.player_labels[player] if game.player_labels else f"player {player + 1}"
            mix = ", ".join(f"{a}: {_number(p, exact)}" for a, p in _infoset_policy(game, policy, infoset)
                            if (p != 0 if exact else abs(float(p)) > 1e-9))
            lines.append(f"      {name:<9} {game.infoset_labels[infoset]:<20} {mix}")
        hidden = game.n_infosets - min(reached.size, MAX_INFOSET_LINES)
        if hidden:
            lines.append(f"      ... {hidden} more information sets ({reached.size} reached in all; "
                         f"--format json lists every one)")
    return "\n".join(lines)


def _shown_value(result: SolveResult, game: ExtensiveFormGame) -> Any:
    """The value to print: the returned profile's payoffs (the metrics layer's, never a solver's objective);
    player 1's alone in a two-player zero-sum game."""
    values = result.values[0]
    return values[0] if game.n_players == 2 and game.is_zero_sum() else tuple(values)


def _value_text(value: Any, exact: bool) -> str:
    """A search's value (one payoff per player) or an LP's value (player 1's), as text."""
    if isinstance(value, tuple | list | np.ndarray):
        return "(" + ", ".join(_number(v, exact) for v in value) + ") for players 1..n"
    return f"{_number(value, exact)} for player 1"


def _json_value(value: Any, exact: bool) -> Any:
    if isinstance(value, tuple | list | np.ndarray):
        return [_json_number(v, exact) for v in value]
    return _json_number(value, exact)


def _json_bound(x: Any) -> Any:
    if isinstance(x, float) and not np.isfinite(x):
        return "inf" if x > 0 else "-inf"
    if isinstance(x, list | tuple):
        return [_json_bound(v) for v in x]
    return x


def tree_result_to_json(result: SolveResult, game: ExtensiveFormGame, game_label: str) -> dict[str, Any]:
    """``equilibria solve --format json`` for a game tree: the full behaviour profile, every information set (with
    ``reached``: whether the profile reaches it), so the equilibrium can be checked from the output alone."""
    exact = result.rational
    document = result_to_json_header(result, game_label)
    entries = []
    for policy, values, certificate in zip(result.equilibria, result.values, result.certificate, strict=True):
        reached = np.zeros(game.n_infosets, dtype=bool)
        reached[_reached_infosets(game, np.asarray(policy, dtype=float))] = True
        strategies = {
            game.infoset_labels[i]: {
                "player": int(game.infoset_player[i]), "reached": bool(reached[i]),
                "actions": {a: _json_number(p, exact) for a, p in _infoset_policy(game, policy, i)}}
            for i in range(game.n_infosets)
        }
        entries.append({"behaviour": strategies, "payoffs": [_json_number(v, exact) for v in values],
                        result.certificate_name: _json_number(certificate, exact)})
    document["equilibria"] = entries
    if "value" in result.parameters and result.values:
        document["value"] = _json_value(_shown_value(result, game), exact)
    if result.parameters.get("trace"):
        document["trace"] = [{k: _json_bound(v) for k, v in e.as_dict().items()} for e in result.parameters["trace"]]
    return document


def _action_name(game: NormalFormGame, player: int, action: int) -> str:
    return game.action_labels[player][action] if game.action_labels else str(action)


# -- commands ------------------------------------------------------------------------------------------------------


def cmd_games(args: argparse.Namespace) -> int:
    from equilibria.games import zoo
    from equilibria.games.zoo import differentiable, general_sum_trees
    from equilibria.games.zoo import extensive_form as tree_zoo

    rows = [(e.name, e.game().describe().split(": ", 1)[-1], e.description) for e in zoo.ENTRIES]
    rows += [(e.name, f"differentiable, {e.game().n_players} players", e.description) for e in differentiable.ENTRIES]
    rows += [(e.name, "game tree", e.description) for e in tree_zoo.ENTRIES]
    rows += [(e.name, "game tree, general-sum", e.description) for e in general_sum_trees.ENTRIES]
    if args.format == "json":
        print(json.dumps([{"name": n, "shape": s, "description": d} for n, s, d in rows], indent=1))
        return EXIT_OK
    width = max(len(n) for n, _, _ in rows)
    for name, shape, description in rows:
        print(f"{name:<{width}}  {shape:<26}  {description}")
    return EXIT_OK


def cmd_solve(args: argparse.Namespace) -> int:
    from equilibria.solvers import solve

    game = load_game(args.game)
    result = solve(game, args.method, all_equilibria=args.all_equilibria, rational=args.rational,
                   max_iterations=args.max_iterations, max_seconds=args.max_seconds, trace=args.trace)
    label = game.name or args.game
    if isinstance(game, ExtensiveFormGame):
        if args.format == "json":
            print(json.dumps(tree_result_to_json(result, game, label), indent=1))
            return EXIT_OK
        if args.trace:
            from equilibria.solvers.tree_search import format_trace

            print("\n".join(format_trace(result.parameters["trace"], game)))
        print(tree_result_to_table(result, game, label))
        return EXIT_OK
    if args.format == "json":
        print(json.dumps(result_to_json(result, label), indent=1))
    else:
        print(result_to_table(result, game, label))
    return EXIT_OK


def cmd_reproduce(args: argparse.Namespace) -> int:
    started = time.perf_counter()  # --max-seconds counts from here: loading the experiments is part of it
    from equilibria.distributed import BACKENDS, make_executor
    from equilibria.experiments import registry, resolve
    from equilibria.experiments.runner import check_output_dir, run_all

    if args.all and args.names:
        raise GameError("reproduce: give experiment names or --all, not both")
    names = sorted(registry()) if args.all or not args.names else args.names
    experiments = resolve(names)
    out = check_output_dir(args.out)
    if args.backend not in BACKENDS:
        raise GameError(f"reproduce --backend: unknown backend {args.backend!r}; choose one of {', '.join(BACKENDS)}")
    if args.ray_address is not None and args.backend != "ray":
        raise GameError("reproduce --ray-address: only used with --backend ray")
    executor = make_executor(args.backend, address=args.ray_address)
    left = None if args.max_seconds is None else max(1e-3, started + args.max_seconds - time.perf_counter())
    try:
        outcomes = run_all(experiments, out, quick=args.quick, show_progress=not args.no_progress,
                           resume=not args.fresh, executor=executor, max_seconds=left)
    finally:
        executor.close()
    for o in outcomes:
        if o.stopped_because is not None:  # a time limit is not a failure: said so, and exit 0 if nothing else failed
            print(f"{o.experiment.name}: {o.stopped_because}")
            continue
        verdict = "reproduced" if o.result.passed else "NOT reproduced"
        timing = "checkpoint" if o.cached else f"{o.seconds:.1f} s"
        print(f"{o.experiment.name}: {verdict} ({sum(c.passed for c in o.result.checks)}/"
              f"{len(o.result.checks)} checks, {timing})")
    print(f"report: {(out / 'index.html').resolve()}")
    return EXIT_OK if all(o.result.passed for o in outcomes if o.complete) else EXIT_INTERNAL


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


@dataclass(frozen=True)
class _DynamicsProblem:
    """A game for ``equilibria dynamics``: the differentiable game, where to start, the known equilibrium."""

    game: Any
    label: str
    start: tuple[Any, ...]
    equilibrium: tuple[Any, ...] | None
    action_labels: tuple[tuple[str, ...], ...] | None = None


def _default_start(n_actions: Sequence[int]) -> tuple[np.ndarray, ...]:
    """An interior, non-uniform profile: weights 1..n for even players, n..1 for odd ones (deterministic)."""
    start = []
    for i, n in enumerate(n_actions):
        weights = np.arange(1.0, n + 1.0)[:: 1 if i % 2 == 0 else -1]
        start.append(weights / weights.sum())
    return tuple(start)


def load_dynamics_problem(spec: str) -> _DynamicsProblem:
    """A differentiable zoo name, else a normal-form game (zoo name or file) through its mixed extension."""
    import jax.numpy as jnp

    from equilibria.games.zoo import differentiable as differentiable_zoo
    from equilibria.games.zoo import normal_form as normal_form_zoo

    if spec in differentiable_zoo.names():
        entry = differentiable_zoo.entry(spec)
        return _DynamicsProblem(entry.build(), spec, entry.start(), entry.equilibrium())
    game = load_normal_form(spec, "dynamics")
    equilibrium = None
    if spec in normal_form_zoo.names():
        known = normal_form_zoo.entry(spec)
        if known.known_complete and len(known.known_equilibria) == 1:
            equilibrium = tuple(jnp.asarray([float(p) for p in s]) for s in known.known_equilibria[0])
    start = tuple(jnp.asarray(s) for s in _default_start(game.n_actions))
    return _DynamicsProblem(game.mixed_extension(), game.name or spec, start, equilibrium, game.action_labels)


def _record_every(steps: int, max_records: int = 500) -> int:
    """The smallest divisor of ``steps`` that keeps the number of records at most ``max_records`` (the runner
    records every k steps, k dividing the steps); divisors are found in O(sqrt(steps))."""
    lower = max(1, -(-steps // max_records))
    divisors: set[int] = set()
    for d in range(1, math.isqrt(steps) + 1):
        if steps % d == 0:
            divisors.update((d, steps // d))
    return min(d for d in divisors if d >= lower)


def _dynamics_metrics(problem: _DynamicsProblem) -> dict[str, Any]:
    from equilibria.core.sets import Reals, Simplex
    from equilibria.dynamics.run import distance_to, gradient_norm, nash_conv, projected_residual

    metrics: dict[str, Any] = {}
    if problem.equilibrium is not None:
        metrics["distance"] = distance_to(problem.equilibrium)
    if all(isinstance(c, Simplex) for c in problem.game.constraints):
        metrics["nash_conv"] = nash_conv
    elif all(isinstance(c, Reals) for c in problem.game.constraints):
        metrics["gradient_norm"] = gradient_norm
    else:
        metrics["projected_residual"] = projected_residual
    return metrics


def _linear_analysis(spec: Any, dynamics: Any, problem: _DynamicsProblem) -> dict[str, Any] | None:
    """Spectral radius of the linearised update at the known equilibrium (gradient methods only)."""
    if problem.equilibrium is None or spec.family != "gradient":
        return None
    from equilibria.dynamics.analysis import classify, spectral_radius

    radius = float(spectral_radius(dynamics, problem.game, dynamics.init(problem.game, problem.equilibrium)))
    return {"at": "known equilibrium", "spectral_radius": radius, "classification": classify(radius)}


def _finite_or_none(x: Any) -> float | None:
    """JSON has no infinity: a metric that overflowed (a diverged run) is reported as null."""
    value = float(x)
    return value if np.isfinite(value) else None


def _tolist(x: Any) -> Any:
    return np.asarray(x, dtype=float).tolist()


def cmd_dynamics(args: argparse.Namespace) -> int:

    started = time.perf_counter()  # --max-seconds counts from here: importing JAX and compiling are part of it
    import jax

    with jax.enable_x64(True):  # the command line reports figures to many digits
        return _run_dynamics(args, started)


def _dynamics_start(args: argparse.Namespace, problem: _DynamicsProblem) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The starting profile (--start, --seed or the default) and how it was chosen, for the report."""
    import jax

    from equilibria.dynamics.report import parse_profile, random_start

    if args.start is not None:
        try:
            start = parse_profile(args.start, problem.game, problem.start)
        except GameError as exc:
            raise GameError(f"dynamics --start: {exc}") from None
        return start, {"from": "--start", "seed": None}
    if args.seed is not None:
        if not 0 <= args.seed <= _MAX_DYNAMICS_SEED:
            raise GameError(f"dynamics --seed: expected an integer in [0, 2^63 - 1], got {args.seed}")
        start = random_start(problem.game, problem.start, key=jax.random.key(args.seed))
        return start, {"from": "--seed", "seed": args.seed}
    return problem.start, {"from": "default", "seed": None}


_MAX_DYNAMICS_SEED = 2**63 - 1  # jax.random.key takes a 64-bit signed seed (with x64 enabled)


# With --max-seconds, the share of the time left that the run itself may take: the verdict after it may repeat it
# from a perturbed start (run_verdict) and needs its own compile.
_DYNAMICS_RUN_SHARE = 0.5


def _run_dynamics(args: argparse.Namespace, started: float) -> int:

    import jax

    from equilibria.dynamics.methods import method
    from equilibria.dynamics.report import run_verdict
    from equilibria.dynamics.run import run, steps_run

    plot = _plot_target(args.plot) if args.plot else None  # refuse an unwritable target before the run
    problem = load_dynamics_problem(args.game)
    spec = method(args.method)
    try:
        dynamics = spec.build(args.lr)
    except GameError as exc:  # a step size outside the method's range (best response needs (0, 1])
        raise GameError(f"dynamics --lr: {exc}") from None
    start, start_info = _dynamics_start(args, problem)
    state = dynamics.init(problem.game, start)
    record_every = _record_every(args.steps)
    metrics = _dynamics_metrics(problem)
    deadline = None if args.max_seconds is None else started + args.max_seconds

    def left(share: float = 1.0) -> float | None:
        return None if deadline is None else max(1e-3, share * (deadline - time.perf_counter()))

    analysis = _linear_analysis(spec, dynamics, problem)  # before the run, which gets a share of what is left
    trajectory = run(dynamics, problem.game, state, steps=args.steps, record_every=record_every, metrics=metrics,
                     max_seconds=left(_DYNAMICS_RUN_SHARE))
    ran = steps_run(trajectory)
    # A diverged run's state stops counting at the overflow: fewer steps then is the divergence, reported as such.
    stopped = (None if ran == args.steps or args.max_seconds is None or bool(trajectory.diverged)
               else f"stopped at max_seconds={args.max_seconds:g} after {ran} of {args.steps} steps")
    judged = "distance" if "distance" in metrics else next(iter(metrics))
    key = jax.random.fold_in(jax.random.key(0 if args.seed is None else args.seed), 1)
    verdict = run_verdict(dynamics, problem.game, state, trajectory, metric=judged, metrics=metrics,
                          linear_radius=None if analysis is None else analysis["spectral_radius"],
                          record_every=record_every, key=key, max_seconds=left(), stopped_because=stopped)
    if plot is not None:
        _save_plot(plot, trajectory, problem, f"{spec.name} on {problem.label}")
    report = {
        "game": problem.label,
        "method": spec.name,
        "hyperparameters": {k: v for k, v in dynamics.hyperparameters if isinstance(v, int | float | str | bool)},
        "steps": args.steps,
        "steps_run": ran,
        # Whether every step ran (false: --max-seconds stopped the run; "stopped_because" says where).
        "completed": stopped is None,
        "stopped_because": stopped,
        "start": {**start_info, "profile": [_tolist(p) for p in start]},
        # diverged: a step overflowed (not finite) and the run stopped there; "outcome" says what the run did.
        "diverged": bool(trajectory.diverged),
        "diverged_at": int(trajectory.diverged_at) if bool(trajectory.diverged) else None,
        "outcome": verdict.as_dict(),
        "final": {"last_iterate": [_tolist(p[-1]) for p in trajectory.params],
                  "time_average": [_tolist(a[-1]) for a in trajectory.average]},
        "metrics": {name: {"start": _finite_or_none(values[0]), "last_iterate": _finite_or_none(values[-1]),
                           "time_average": _finite_or_none(trajectory.average_metrics[name][-1])}
                    for name, values in trajectory.metrics.items()},
        "linear_analysis": analysis,
        "trajectory": {"steps": _tolist(trajectory.steps), "params": [_tolist(p) for p in trajectory.params]},
    }
    if args.format == "json":
        print(json.dumps(report, indent=1))
    else:
        print(_dynamics_table(report))
    return EXIT_OK


def _dynamics_table(report: dict[str, Any]) -> str:
    hyper = ", ".join(f"{k}={v}" for k, v in report["hyperparameters"].items())
    lines = [f"{report['method']} on {report['game']}, {report['steps']} steps ({hyper})"]
    start = report["start"]
    how = {"default": "default", "--start": "given", "--seed": f"random, seed {start['seed']}"}[start["from"]]
    lines.append(f"  {'start':<14} {_profile_text(start['profile'])} ({how})")
    if report["stopped_because"]:
        lines.append(f"NOT COMPLETED: {report['stopped_because']}")
    if report["diverged"]:
        lines.append(f"DIVERGED: the update at step {report['diverged_at']} overflowed (not finite); stopped there")
    for name, values in report["metrics"].items():
        first, last, average = (_format_metric(values[k]) for k in ("start", "last_iterate", "time_average"))
        lines.append(f"  {name:<14} start {first}  last iterate {last}  time average {average}")
    for key, label in (("last_iterate", "last iterate"), ("time_average", "time average")):
        lines.append(f"  {label:<14} {_profile_text(report['final'][key])}")
    if report["linear_analysis"]:
        a = report["linear_analysis"]
        lines.append(f"  linearised update at the equilibrium: spectral radius {a['spectral_radius']:.6f} "
                     f"(predicts {a['classification']})")
    outcome = report["outcome"]
    values = f"{outcome['metric']} {_format_metric(outcome['start_value'])} -> {_format_metric(outcome['last_value'])}"
    lines.append(f"  {'outcome':<14} last iterate {outcome['last_iterate']} ({values})")
    if outcome["note"]:
        lines.append(f"  NOTE: {outcome['note']}")
    return "\n".join(lines)


def _profile_text(profile: Any) -> str:
    return "; ".join(", ".join(f"{v:.4g}" for v in np.ravel(p)) for p in profile)


def _format_metric(value: float | None) -> str:
    return "overflow" if value is None else f"{value:.6g}"


def _plot_target(path_text: str) -> Path:
    """The --plot file, checked before the run: a known image suffix, an existing directory we can write in (a
    probe file is created there and removed: permissions, read-only and virtual file systems all show), and not a
    directory itself."""
    import tempfile

    path = Path(path_text)
    if path.suffix.lower() not in {".png", ".pdf", ".svg"}:
        raise GameError(f"dynamics --plot: expected a .png, .pdf or .svg file name, got {path_text!r}")
    try:
        if not path.parent.is_dir():
            raise GameError(f"dynamics --plot: directory {path.parent} does not exist")
        if path.is_dir():
            raise GameError(f"dynamics --plot: {path} is a directory")
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".equilibria-probe-", suffix=path.suffix):
            pass
    except OSError as exc:
        raise GameError(f"dynamics --plot: cannot write in {path.parent}: {exc.strerror or exc}") from None
    return path


def _save_plot(path: Path, trajectory: Any, problem: _DynamicsProblem, title: str) -> None:
    """Write the figure atomically (a temporary file beside the target, then a rename)."""
    from equilibria.report.trajectories import plot_trajectory

    figure = plot_trajectory(trajectory, problem.game, title=title, equilibrium=problem.equilibrium,
                             action_labels=problem.action_labels)
    try:
        with atomic_path(path, caller="dynamics --plot") as partial:
            figure.savefig(partial, dpi=120)
    finally:
        import matplotlib.pyplot as plt

        plt.close(figure)


# -- numbers on the command line -----------------------------------------------------------------------------------
# One strict grammar for every numeric flag: ASCII decimal, optional exponent. Python's own float() and int() also
# take "nan", "inf", "1_000", surrounding blanks and non-ASCII digits ("١٢"), none of which a script means.
_DECIMAL_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_MAX_INTEGER_DIGITS = 30  # an integer flag never needs more; beyond, the text is refused before it is expanded


def _decimal(text: str, kind: str) -> Decimal:
    if not (text.isascii() and _DECIMAL_TEXT.fullmatch(text)):
        raise argparse.ArgumentTypeError(f"expected {kind} (ASCII digits, e.g. 0.25 or 1e-3), got {one_line(text)!r}")
    try:
        return Decimal(text)
    except InvalidOperation:  # an exponent beyond even Decimal's range (about 1e18 digits)
        raise argparse.ArgumentTypeError(f"expected {kind}, got {text[:40]!r}: its exponent is out of range") from None


def _finite_float(text: str) -> float:
    value = float(_decimal(text, "a finite number"))
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r} (beyond the float range)")
    return value


def _positive_float(text: str) -> float:
    value = _finite_float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive finite number, got {text!r}")
    return value


def _integer(text: str) -> int:
    """An integer, also written with an exponent (``1e9``) when its value is whole."""
    number = _decimal(text, "an integer")
    if number.adjusted() >= _MAX_INTEGER_DIGITS:
        raise argparse.ArgumentTypeError(f"expected an integer of at most {_MAX_INTEGER_DIGITS} digits, got {text!r}")
    if number != number.to_integral_value():
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}")
    return int(number)


def _positive_int(text: str) -> int:
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _steps(text: str) -> int:
    from equilibria.dynamics.report import MAX_STEPS

    value = _positive_int(text)
    if value > MAX_STEPS:
        raise argparse.ArgumentTypeError(f"expected at most {MAX_STEPS} steps (the step counter is an int32), got "
                                         f"{text!r}")
    return value


def _iterations(text: str) -> int:
    from equilibria.solvers import MAX_ITERATIONS

    value = _positive_int(text)
    if value > MAX_ITERATIONS:
        raise argparse.ArgumentTypeError(f"expected at most 2^63 - 1 iterations, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    from equilibria import __version__
    from equilibria.solvers import SOLVERS

    parser = _Parser(prog="equilibria", description="Game theory for machine learning: games, certified "
                     "equilibria, learning dynamics, reproductions.")
    parser.add_argument("--version", action="version", version=f"equilibria {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    games = commands.add_parser("games", help="list the zoo of named games")
    games.add_argument("--format", choices=("table", "json"), default="table")
    games.set_defaults(handler=cmd_games)

    solve = commands.add_parser("solve", help="compute equilibria of a game with a certificate",
                                description="GAME is a zoo name (see `equilibria games`) or a .nfg/.json file. "
                                "Methods: " + "; ".join(f"{s.name}: {s.description}" for s in SOLVERS.values()))
    solve.add_argument("game", metavar="GAME")
    solve.add_argument("--method", "-m", default=None, help="solver (default: chosen from the game)")
    solve.add_argument("--all-equilibria", "--all", dest="all_equilibria", action="store_true",
                       help="all (extreme) equilibria (solve(..., all_equilibria=True); --all is the short alias)")
    solve.add_argument("--rational", action="store_true", help="exact fractions (exact solvers only)")
    solve.add_argument("--max-iterations", type=_iterations, default=None, metavar="N",
                       help="the method's iteration budget (pivots, supports, path steps, CFR iterations); methods "
                            "without one refuse it")
    solve.add_argument("--max-seconds", type=_positive_float, default=None,
                       help="stop after this long and return what was found, marked not converged")
    solve.add_argument("--trace", action="store_true",
                       help="print the search's events (alphabeta, minimax, backward_induction on game trees)")
    solve.add_argument("--format", choices=("table", "json"), default="table")
    solve.set_defaults(handler=cmd_solve)

    from equilibria.dynamics.methods import METHODS

    dynamics = commands.add_parser(
        "dynamics", help="run a learning dynamic on a game, with metrics, linear analysis and a plot",
        description="GAME is a differentiable zoo game (bilinear, matrix-bilinear, dirac-gan, rps-mixed) or a "
        "normal-form game (zoo name or .nfg/.json file; its mixed extension is used). Methods: "
        + "; ".join(f"{m.name} ({m.family}): {m.description}" for m in METHODS.values()))
    dynamics.add_argument("game", metavar="GAME")
    dynamics.add_argument("--method", "-m", required=True, choices=sorted(METHODS), metavar="M",
                          help="the dynamic (see above)")
    dynamics.add_argument("--steps", type=_steps, default=1000)
    dynamics.add_argument("--lr", type=_positive_float, default=0.1, help="learning rate / step size (default 0.1)")
    starts = dynamics.add_mutually_exclusive_group()
    starts.add_argument("--start", default=None, metavar="PROFILE",
                        help="starting profile: players separated by ';', a player's numbers by ',' (mixed "
                             "strategies: probabilities, e.g. '0.2,0.8;0.5,0.5;1/3,2/3'); default: a fixed interior "
                             "profile")
    starts.add_argument("--seed", type=_integer, default=None, metavar="S",
                        help="random start from this seed (uniform on each simplex; elsewhere the default start "
                             "plus a standard normal step), an integer in [0, 2^63 - 1]")
    dynamics.add_argument("--max-seconds", type=_positive_float, default=None,
                          help="stop the run after this long (counting from the start of the command) and report "
                               "the steps made, marked not completed")
    dynamics.add_argument("--plot", default=None, metavar="FILE", help="write a trajectory figure (.png/.pdf/.svg)")
    dynamics.add_argument("--format", choices=("table", "json"), default="table")
    dynamics.set_defaults(handler=cmd_dynamics)

    pricing = commands.add_parser(
        "pricing", help="Q-learning pricing algorithms in a logit market (Calvano et al. 2020): do they collude?",
        description="Runs independent sessions of Q-learning firms to convergence and reports the profit gain "
        "Delta = (pi - piN) / (piM - piN) over each session's limit cycle and the shares of outcomes. The defaults "
        "are the paper's baseline.")
    pricing.add_argument("--firms", type=_positive_int, default=2)
    pricing.add_argument("--prices", type=_positive_int, default=15, help="grid points (default 15)")
    pricing.add_argument("--xi", type=_finite_float, default=0.1,
                         help="grid margin beyond Nash and monopoly (default 0.1)")
    pricing.add_argument("--quality", type=_finite_float, default=2.0, help="a_i (default 2)")
    pricing.add_argument("--cost", type=_finite_float, default=1.0, help="marginal cost c (default 1)")
    pricing.add_argument("--outside", type=_finite_float, default=0.0, help="a_0 (default 0)")
    pricing.add_argument("--mu", type=_finite_float, default=0.25, help="horizontal differentiation (default 0.25)")
    pricing.add_argument("--alpha", type=_finite_float, default=0.15, help="learning rate (default 0.15)")
    pricing.add_argument("--beta", type=_finite_float, default=4e-6, help="exploration decay, eps_t = exp(-beta t)")
    pricing.add_argument("--discount", type=_finite_float, default=0.95, help="discount factor delta (default 0.95)")
    pricing.add_argument("--memory", type=_positive_int, default=1, help="periods remembered (default 1)")
    pricing.add_argument("--window", type=_positive_int, default=100_000,
                         help="periods of unchanged greedy strategies that count as convergence (default 100000)")
    pricing.add_argument("--max-periods", type=_positive_int, default=10**9, help="cap per session (default 1e9)")
    pricing.add_argument("--sessions", type=_positive_int, default=100)
    pricing.add_argument("--seed", type=_integer, default=0, help="an integer in [0, 2^64 - 1] (default 0)")
    pricing.add_argument("--max-seconds", type=_positive_float, default=None,
                         help="stop the sessions still running after this long (counting from the start of the "
                              "command) and report over those that finished, marked not completed")
    pricing.add_argument("--format", choices=("table", "json"), default="table")
    pricing.add_argument("--no-progress", action="store_true", help="no progress bar")
    pricing.set_defaults(handler=cmd_pricing)

    reproduce = commands.add_parser("reproduce", help="run registered reproductions and write an HTML report")
    reproduce.add_argument("names", nargs="*", metavar="NAME", help="experiments to run (default: all)")
    reproduce.add_argument("--all", action="store_true", help="run every registered experiment")
    reproduce.add_argument("--quick", action="store_true", help="small configurations that run in seconds")
    reproduce.add_argument("--out", default="report", help="output directory (default: ./report)")
    reproduce.add_argument("--backend", default="local",
                           help="where sweeps run: local (default) or ray (a local Ray instance, or --ray-address)")
    reproduce.add_argument("--ray-address", default=None, metavar="ADDRESS",
                           help="a running Ray cluster for --backend ray: host:port, ray://host:port or auto")
    reproduce.add_argument("--fresh", action="store_true",
                           help="ignore checkpoints (experiments and their units of work) and run everything again")
    reproduce.add_argument("--max-seconds", type=_positive_float, default=None,
                           help="stop after this many seconds (the running experiment's finished units are kept: "
                                "rerun to resume); stopped experiments are marked so in the report")
    reproduce.add_argument("--no-progress", action="store_true", help="no progress bars")
    reproduce.set_defaults(handler=cmd_reproduce)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line on ``argv`` (default ``sys.argv[1:]``) and return the exit code (usage errors, --help
    and --version included: argparse's exits become return values)."""
    parser = build_parser()
    try:
        try:
            args = parser.parse_args(argv)
        except SystemExit as exit_:
            return exit_.code if isinstance(exit_.code, int) else EXIT_OK if exit_.code is None else EXIT_BAD_INPUT
        return int(args.handler(args))
    except GameError as exc:
        print(one_line(f"equilibria: error: {exc}"), file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("equilibria: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`equilibria ... | head`): not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line unless debugging
        if os.environ.get("EQUILIBRIA_DEBUG"):
            traceback.print_exc()
        print(one_line(f"equilibria: internal error: {type(exc).__name__}: {exc} (set EQUILIBRIA_DEBUG=1 for the "
                       f"traceback)"), file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
