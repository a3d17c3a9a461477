"""The JSON document of a solve: ``equilibria solve --format json`` and the web lab's ``/api/solve`` share it.

Shape fixed by docs/design.md ("The command line"). Every number comes from the returned result (payoffs and
certificates the metrics layer computed from the returned profile), never from a solver's internal objective; with
``result.rational`` every number is an exact fraction string (``"5/9"``), since JSON numbers are floats to most
readers. Plain data in, plain data out: no printing, no files.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from equilibria.core.errors import one_line
from equilibria.core.result import SolveResult

if TYPE_CHECKING:
    from equilibria.games.extensive_form import ExtensiveFormGame

__all__ = ["json_number", "one_line", "reached_infosets", "result_to_json", "result_to_json_header", "shown_value",
           "stop_reason", "tree_result_to_json"]


def json_number(x: Any, exact: bool = False) -> float | str:
    """A number for JSON: a float, or with ``exact`` the exact fraction as a string (``"5/9"``)."""
    return str(Fraction(x)) if exact else float(x)


def _profile_rows(result: SolveResult) -> list[dict[str, Any]]:
    exact = result.rational
    entries = []
    for profile, values, certificate in zip(result.equilibria, result.values, result.certificate, strict=True):
        entry: dict[str, Any] = {}
        if result.certificate_name in {"ce_gap", "cce_gap"}:
            entry["distribution"] = [json_number(x, exact) for x in profile.ravel()]
            entry["shape"] = list(profile.shape)
        else:
            entry["strategies"] = [[json_number(x, exact) for x in s] for s in profile]
        entry["payoffs"] = [json_number(v, exact) for v in values]
        entry[result.certificate_name] = json_number(certificate, exact)
        entries.append(entry)
    return entries


def stop_reason(result: SolveResult) -> str:
    """Why a solver stopped before convergence, on one line: its own reason, else "stopped early"."""
    why = result.parameters.get("stopped_because") or result.parameters.get("message") or "stopped early"
    return one_line(str(why))


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
        "stopped_because": None if result.converged else stop_reason(result),
        "complete": result.complete,
        "rational": result.rational,
        "iterations": result.iterations,
        "certificate": result.certificate_name,
    }


def result_to_json(result: SolveResult, game_label: str) -> dict[str, Any]:
    """The JSON document of a normal-form solve (shape fixed by docs/design.md)."""
    return {**result_to_json_header(result, game_label), "equilibria": _profile_rows(result)}


def reached_infosets(game: ExtensiveFormGame, policy: np.ndarray) -> np.ndarray:
    """Information sets reached with positive probability under ``policy``, in breadth-first order."""
    reach = game.reach_probabilities(policy)
    nodes = np.flatnonzero((game.infoset >= 0) & (reach > 0))
    _, first = np.unique(game.infoset[nodes], return_index=True)
    return game.infoset[nodes[np.sort(first)]]


def infoset_policy(game: ExtensiveFormGame, policy: Any, infoset: int) -> list[tuple[str, Any]]:
    """``(action label, probability)`` at ``infoset`` under the flat behaviour ``policy``."""
    lo, hi = game.infoset_action_offset[infoset], game.infoset_action_offset[infoset + 1]
    return list(zip(game.action_labels[infoset], policy[lo:hi], strict=True))


def shown_value(result: SolveResult, game: ExtensiveFormGame) -> Any:
    """The value to print: the returned profile's payoffs (the metrics layer's, never a solver's objective);
    player 1's alone in a two-player zero-sum game."""
    values = result.values[0]
    return values[0] if game.n_players == 2 and game.is_zero_sum() else tuple(values)


def _json_value(value: Any, exact: bool) -> Any:
    if isinstance(value, tuple | list | np.ndarray):
        return [json_number(v, exact) for v in value]
    return json_number(value, exact)


def _json_bound(x: Any) -> Any:
    """JSON has no infinity: alpha-beta's initial window (-inf, +inf) is written as text."""
    if isinstance(x, float) and not np.isfinite(x):
        return "inf" if x > 0 else "-inf"
    if isinstance(x, list | tuple):
        return [_json_bound(v) for v in x]
    return x


def tree_result_to_json(result: SolveResult, game: ExtensiveFormGame, game_label: str) -> dict[str, Any]:
    """The solve document of a game tree: the full behaviour profile, every information set (with ``reached``:
    whether the profile reaches it), so the equilibrium can be checked from the output alone."""
    exact = result.rational
    document = result_to_json_header(result, game_label)
    entries = []
    for policy, values, certificate in zip(result.equilibria, result.values, result.certificate, strict=True):
        reached = np.zeros(game.n_infosets, dtype=bool)
        reached[reached_infosets(game, np.asarray(policy, dtype=float))] = True
        strategies = {
            game.infoset_labels[i]: {
                "player": int(game.infoset_player[i]), "reached": bool(reached[i]),
                "actions": {a: json_number(p, exact) for a, p in infoset_policy(game, policy, i)}}
            for i in range(game.n_infosets)
        }
        entries.append({"behaviour": strategies, "payoffs": [json_number(v, exact) for v in values],
                        result.certificate_name: json_number(certificate, exact)})
    document["equilibria"] = entries
    if "value" in result.parameters and result.values:
        document["value"] = _json_value(shown_value(result, game), exact)
    if result.parameters.get("trace"):
        document["trace"] = [{k: _json_bound(v) for k, v in e.as_dict().items()} for e in result.parameters["trace"]]
    return document
