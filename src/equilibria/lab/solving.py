"""The solve page's data: a game (typed bimatrix, or the text of a .nfg / .efg / JSON file) solved by the
library's ``solve`` within the lab's time limit, printed as ``equilibria solve --format json`` prints it
(:mod:`equilibria.report.solve_json`: every payoff and certificate computed from the returned profile by the
metrics layer), plus the best-response picture of a game where one player has two actions.

Files are parsed from their text (``loads_nfg``, ``loads_efg``, ``loads_json_game``): nothing is written.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from equilibria.games.extensive_form import ExtensiveFormGame
from equilibria.games.normal_form import NormalFormGame
from equilibria.lab._requests import LabError, flag, short, text
from equilibria.lab.limits import Limits
from equilibria.lab.matrices import bimatrix_game

INPUTS = ("bimatrix", "nfg", "efg", "json")
GRID = 101  # samples of the mixing player's probability in the best-response picture


def read_game(body: dict[str, Any], limits: Limits) -> NormalFormGame | ExtensiveFormGame:
    """``input``: ``"bimatrix"`` (``row`` and ``column``) or a file format with the file's ``text``."""
    kind = text(body, "input", "bimatrix")
    if kind == "bimatrix":
        return bimatrix_game(body, limits.max_payoff_entries)
    if kind not in INPUTS:
        raise LabError(f"input must be one of {', '.join(INPUTS)}, got {short(kind)}")
    content = text(body, "text")
    from equilibria.games.io import loads_efg, loads_json_game, loads_nfg
    from equilibria.games.io.stochastic_json import declares_stochastic

    source = f"<uploaded .{kind}>"
    if kind == "json" and declares_stochastic(content):
        raise LabError("this JSON holds a stochastic game; the lab solves normal-form and extensive-form games "
                       "(use `equilibria solve FILE` for stochastic games)")
    game: NormalFormGame | ExtensiveFormGame
    if kind == "efg":
        game = loads_efg(content, source=source)
    else:
        game = (loads_nfg if kind == "nfg" else loads_json_game)(content, source=source)
    if isinstance(game, ExtensiveFormGame):
        if game.n_nodes > limits.max_tree_nodes:
            raise LabError(f"the game tree has {game.n_nodes} nodes, over the limit of {limits.max_tree_nodes}")
    elif game.payoffs.size > limits.max_payoff_entries:
        raise LabError(f"the game has {game.payoffs.size} payoff entries, over the limit of "
                       f"{limits.max_payoff_entries}")
    return game


def solve_request(body: dict[str, Any], limits: Limits) -> dict[str, Any]:
    """``POST /api/solve``: the solve document, the game's shape and labels, and the best-response picture."""
    from equilibria.report.solve_json import result_to_json, tree_result_to_json
    from equilibria.solvers import solve

    game = read_game(body, limits)
    method = body.get("method") or None
    if method is not None and not isinstance(method, str):
        raise LabError(f"method must be a solver name or null, got {short(method)}")
    is_tree = isinstance(game, ExtensiveFormGame)
    everything = flag(body, "all", not is_tree)
    result = solve(game, method, all_equilibria=everything, rational=flag(body, "rational"),
                   max_seconds=limits.max_seconds)
    label = game.name or "typed bimatrix"
    if isinstance(game, ExtensiveFormGame):
        return {**tree_result_to_json(result, game, label), "kind": "extensive_form",
                "players": list(game.player_labels or [f"player {i + 1}" for i in range(game.n_players)]),
                "best_response": None}
    return {**result_to_json(result, label), "kind": "normal_form", "shape": list(game.n_actions),
            "players": list(game.player_labels or [f"player {i + 1}" for i in range(game.n_players)]),
            "action_labels": [_labels(game, i) for i in range(game.n_players)],
            "best_response": best_response_picture(game, result.equilibria)}


def _labels(game: NormalFormGame, player: int) -> list[str]:
    """The game's action labels, else rows ``r1, r2, ...``, columns ``c1, ...`` (``a1, ...`` beyond two players)."""
    if game.action_labels:
        return list(game.action_labels[player])
    prefix = "rc"[player] if game.n_players == 2 else "a"
    return [f"{prefix}{a + 1}" for a in range(game.n_actions[player])]


def _sweep(game: NormalFormGame, mixer: int, grid: np.ndarray) -> dict[str, Any]:
    """The other player's payoff of each action, and its best responses, as ``mixer`` plays its first action with
    each probability of ``grid`` (the library's ``action_values`` and ``best_responses``)."""
    other = 1 - mixer
    payoffs, best = [], []
    for p in grid:
        profile: list[Any] = [None, None]
        profile[mixer] = np.array([p, 1.0 - p])
        profile[other] = np.full(game.n_actions[other], 1.0 / game.n_actions[other])  # not read: own strategy
        payoffs.append(game.action_values(profile, other).astype(float).tolist())
        best.append([int(a) for a in game.best_responses(profile, other)])
    return {"mixer": mixer, "responder": other, "x": grid.tolist(), "x_action": _labels(game, mixer)[0],
            "actions": _labels(game, other), "payoffs": payoffs, "best": best}


def best_response_picture(game: NormalFormGame, equilibria: Any) -> dict[str, Any] | None:
    """For a two-player game where a player has two actions (2x2, 2xn, nx2): the other player's payoff lines and
    best responses against its mixture; for 2x2 both best-response correspondences. The equilibria's
    probabilities are added to the grid, so the kinks (where a player is indifferent) are sampled exactly."""
    if game.n_players != 2 or 2 not in game.n_actions:
        return None
    mixer = 0 if game.n_actions[0] == 2 else 1
    found = [float(np.asarray(e[mixer], dtype=float)[0]) for e in equilibria]
    picture: dict[str, Any] = {"lines": _sweep(game, mixer, _grid(found)),
                               "equilibria": [[float(np.asarray(s, dtype=float)[0]) for s in e] for e in equilibria]}
    if game.n_actions == (2, 2):
        other_found = [float(np.asarray(e[1], dtype=float)[0]) for e in equilibria]
        picture["correspondence"] = {"player2": _sweep(game, 0, _grid(found)),
                                     "player1": _sweep(game, 1, _grid(other_found))}
    return picture


def _grid(extra: list[float]) -> np.ndarray:
    return np.unique(np.concatenate([np.linspace(0.0, 1.0, GRID), np.clip(extra, 0.0, 1.0)]))
