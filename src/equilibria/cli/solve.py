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

from equilibria.cli._common import EXIT_OK, load_game, one_line
from equilibria.core.names import aliases_of, with_aliases
from equilibria.core.result import SolveResult
from equilibria.games.normal_form import NormalFormGame
from equilibria.games.zoo._lookup import GAME_ALIASES

if TYPE_CHECKING:
    from equilibria.games.extensive_form import ExtensiveFormGame


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


