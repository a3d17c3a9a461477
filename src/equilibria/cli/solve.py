"""``equilibria games`` and ``equilibria solve``: the zoo listing, and equilibria printed with their certificates.

Every number printed comes from the returned profile through the metrics layer (payoffs, max regret,
exploitability), never from a solver's internal objective; ``--rational`` prints exact fractions.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from equilibria.cli._common import EXIT_OK, load_game
from equilibria.core.names import aliases_of, with_aliases
from equilibria.core.result import SolveResult
from equilibria.games.normal_form import NormalFormGame
from equilibria.games.zoo._lookup import GAME_ALIASES

# The solve document lives in report/solve_json.py (the web lab serves it too); cli/mfg.py, cli/stochastic.py and
# the tests import result_to_json_header from here.
from equilibria.report.solve_json import (
    infoset_policy,
    reached_infosets,
    result_to_json,
    result_to_json_header,
    shown_value,
    stop_reason,
    tree_result_to_json,
)

if TYPE_CHECKING:
    from equilibria.games.extensive_form import ExtensiveFormGame

__all__ = ["cmd_games", "cmd_solve", "result_to_json", "result_to_json_header", "result_to_table", "solver_help",
           "tree_result_to_json", "tree_result_to_table"]


def _number(x: Any, exact: bool) -> str:
    if exact:
        return str(Fraction(x))
    return f"{float(x):.6g}"


def _status_text(result: SolveResult, noun: str) -> str:
    """What the run established, for the table's header line: convergence (and why not) and completeness."""
    if not result.converged:
        return f"  [NOT CONVERGED: {stop_reason(result)}, {noun}]"
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
        lines.append(f"  value: {_value_text(shown_value(result, game), exact)}")
    for policy, values, certificate in zip(result.equilibria, result.values, result.certificate, strict=True):
        payoffs = ", ".join(_number(v, exact) for v in values)
        shown = _number(certificate, exact) if exact else f"{float(certificate):.3e}"
        lines.append(f"  {result.certificate_name} = {shown}  payoffs ({payoffs})")
        floats = np.asarray(policy, dtype=float)
        reached = reached_infosets(game, floats)
        for infoset in reached[:MAX_INFOSET_LINES]:
            player = int(game.infoset_player[infoset])
            name = game.player_labels[player] if game.player_labels else f"player {player + 1}"
            mix = ", ".join(f"{a}: {_number(p, exact)}" for a, p in infoset_policy(game, policy, infoset)
                            if (p != 0 if exact else abs(float(p)) > 1e-9))
            lines.append(f"      {name:<9} {game.infoset_labels[infoset]:<20} {mix}")
        hidden = game.n_infosets - min(reached.size, MAX_INFOSET_LINES)
        if hidden:
            lines.append(f"      ... {hidden} more information sets ({reached.size} reached in all; "
                         f"--format json lists every one)")
    return "\n".join(lines)


def _value_text(value: Any, exact: bool) -> str:
    """A search's value (one payoff per player) or an LP's value (player 1's), as text."""
    if isinstance(value, tuple | list | np.ndarray):
        return "(" + ", ".join(_number(v, exact) for v in value) + ") for players 1..n"
    return f"{_number(value, exact)} for player 1"


def _action_name(game: NormalFormGame, player: int, action: int) -> str:
    return game.action_labels[player][action] if game.action_labels else str(action)


# -- commands ------------------------------------------------------------------------------------------------------


def cmd_games(args: argparse.Namespace) -> int:
    from equilibria.games import zoo
    from equilibria.games.zoo import differentiable, general_sum_trees, mean_field_index
    from equilibria.games.zoo import extensive_form as tree_zoo
    from equilibria.games.zoo import stochastic as stochastic_zoo

    rows = [(e.name, e.game().describe().split(": ", 1)[-1], e.description) for e in zoo.ENTRIES]
    rows += [(e.name, f"differentiable, {e.n_players} players", e.description) for e in differentiable.ENTRIES]
    rows += [(e.name, "game tree", e.description) for e in tree_zoo.ENTRIES]
    rows += [(e.name, "game tree, general-sum", e.description) for e in general_sum_trees.ENTRIES]
    rows += [(e.name, "stochastic game", e.description) for e in stochastic_zoo.ENTRIES]
    rows += [(e.name, "mean-field game", e.description) for e in mean_field_index.entries()]
    if args.format == "json":
        print(json.dumps([{"name": n, "shape": s, "description": d, "aliases": aliases_of(n, GAME_ALIASES)}
                          for n, s, d in rows], indent=1))
        return EXIT_OK
    width = max(len(n) for n, _, _ in rows)
    for name, shape, description in rows:
        also = aliases_of(name, GAME_ALIASES)
        print(f"{name:<{width}}  {shape:<26}  {description}" + (f" [also: {', '.join(also)}]" if also else ""))
    return EXIT_OK


def solver_help() -> str:
    """Every solver as ``name [aliases]: description``, for ``equilibria solve --help``."""
    from equilibria.solvers import ALIASES_BY_KIND, SOLVERS

    return "; ".join(f"{with_aliases(s.name, ALIASES_BY_KIND[s.game_kind])}: {s.description}"
                     for s in SOLVERS.values())


def mean_field_solver_help() -> str:
    """The mean-field solvers as ``name [aliases]: description``, for ``equilibria mfg --help``."""
    from equilibria.solvers import MEAN_FIELD, MEAN_FIELD_ALIASES, SOLVERS

    return "; ".join(f"{with_aliases(s.name, MEAN_FIELD_ALIASES)}: {s.description}" for s in SOLVERS.values()
                     if s.game_kind == MEAN_FIELD) + ("; on stationary discounted games (stationary-beach-bar, "
                                                      "stationary-sis) the same names run their stationary "
                                                      "versions")


def _kind_printers(game: Any) -> tuple[Callable[..., dict[str, Any]], Callable[..., str]] | None:
    """The JSON and table printers of a stochastic or mean-field game (they live with their command family)."""
    from equilibria.games.mean_field import MeanFieldGame
    from equilibria.games.mean_field_stationary import StationaryMeanFieldGame
    from equilibria.games.stochastic import StochasticGame

    if isinstance(game, MeanFieldGame):
        from equilibria.cli.mfg import mean_field_result_to_json, mean_field_result_to_table

        return mean_field_result_to_json, mean_field_result_to_table
    if isinstance(game, StationaryMeanFieldGame):
        from equilibria.cli.mfg import stationary_result_to_json, stationary_result_to_table

        return stationary_result_to_json, stationary_result_to_table
    if isinstance(game, StochasticGame):
        from equilibria.cli.stochastic import stochastic_result_to_json, stochastic_result_to_table

        return stochastic_result_to_json, stochastic_result_to_table
    return None


def cmd_solve(args: argparse.Namespace) -> int:
    from equilibria.cli.mfg import parse_assignments
    from equilibria.solvers import solve

    game = load_game(args.game, parse_assignments(args.param, "--param"))
    result = solve(game, args.method, all_equilibria=args.all_equilibria, rational=args.rational,
                   max_iterations=args.max_iterations, max_seconds=args.max_seconds, trace=args.trace)
    label = game.name or args.game
    from equilibria.games.extensive_form import ExtensiveFormGame

    printers = _kind_printers(game)
    if printers is not None:
        to_json, to_table = printers
        print(json.dumps(to_json(result, game, label), indent=1) if args.format == "json"
              else to_table(result, game, label))
        return EXIT_OK
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


