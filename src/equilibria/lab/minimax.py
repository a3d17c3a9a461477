"""The minimax stepper's data: a uniform game tree (the lesson's, edited leaves, or random leaves) searched by
minimax and alpha-beta with their event traces (:mod:`equilibria.solvers.tree_search`).

A tree is described by ``branching`` (children per node at each depth, ``[3, 2, 2]`` for the lesson) and ``leaves``
(player MAX's payoff at each leaf, left to right; MIN gets its negative). MAX moves at even depths, MIN at odd
ones. Nodes and actions are labelled by their path as in the zoo's ``minimax-lesson`` (``root``, ``A``, ``A1``,
``A1a``: capitals, digits, small letters, digits, ...), so the lesson rebuilt from its leaves is the zoo's tree
label for label. Values, traces, principal variation and the certificate all come from the solvers; the lab only
builds the tree (game construction) and reads the results.
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from equilibria.games.extensive_form import TERMINAL, Decision, ExtensiveFormGame, Terminal
from equilibria.lab._requests import LabError, integer, items, number, short, text
from equilibria.lab.limits import Limits

if TYPE_CHECKING:
    from equilibria.solvers.tree_search import Ordering

_SYMBOLS = (string.ascii_uppercase, "123456789", string.ascii_lowercase, "123456789")
LEAF_RANGE = (-9, 9)  # random leaves are integers in this range (readable in a small circle)


@dataclass(frozen=True)
class TreeSpec:
    """A uniform tree: ``branching: [depth]`` children per node at each depth, ``leaves: [prod(branching)]``."""

    branching: tuple[int, ...]
    leaves: tuple[float, ...]
    source: str


def lesson_spec() -> TreeSpec:
    """The zoo's ``minimax-lesson`` tree as branching and leaves (read from the zoo game, breadth-first order)."""
    from equilibria.games.zoo import extensive_form as tree_zoo

    game = tree_zoo.get("minimax-lesson")
    branching = tuple(int(game.n_children[level[0]]) for level in game.levels[:-1])
    leaves = tuple(float(game.payoffs[k, 0]) for k in game.levels[-1])
    return TreeSpec(branching, leaves, "minimax-lesson")


def random_spec(depth: int, branching: int, seed: int) -> TreeSpec:
    """``branching ** depth`` integer leaves drawn uniformly from ``LEAF_RANGE`` with ``numpy``'s generator."""
    rng = np.random.default_rng(seed)
    leaves = rng.integers(LEAF_RANGE[0], LEAF_RANGE[1] + 1, size=branching**depth)
    return TreeSpec((branching,) * depth, tuple(float(v) for v in leaves), f"random (seed {seed})")


def _path_label(path: str, depth: int, index: int) -> str:
    return path + _SYMBOLS[depth % len(_SYMBOLS)][index]


def build_tree(spec: TreeSpec) -> ExtensiveFormGame:
    """The two-player zero-sum perfect-information game of ``spec`` (MAX = player 0 at even depths)."""
    leaves = iter(spec.leaves)

    def node(path: str, depth: int) -> Decision | Terminal:
        if depth == len(spec.branching):
            value = next(leaves)
            return Terminal((value, -value))
        moves = []
        for i in range(spec.branching[depth]):
            child = _path_label("" if depth == 0 else path, depth, i)
            moves.append((child, node(child, depth + 1)))
        return Decision(depth % 2, path, moves)

    return ExtensiveFormGame.from_tree(node("root", 0), n_players=2, name=spec.source, player_labels=("MAX", "MIN"))


def read_spec(body: dict[str, Any], limits: Limits) -> TreeSpec:
    """The tree a request asks for: ``{"tree": "lesson"}`` (default), ``{"tree": "random", "depth", "branching",
    "seed"}`` or ``{"tree": "custom", "branching": [...], "leaves": [...]}``."""
    kind = text(body, "tree", "lesson")
    if kind == "lesson":
        return lesson_spec()
    if kind == "random":
        depth = integer(body, "depth", 3, 1, limits.max_tree_depth)
        width = integer(body, "branching", 2, 2, limits.max_branching)
        _check_size((width,) * depth, limits)
        return random_spec(depth, width, integer(body, "seed", 0, 0, 2**32 - 1))
    if kind != "custom":
        raise LabError(f"tree must be 'lesson', 'random' or 'custom', got {short(kind)}")
    raw = items(body, "branching", limits.max_tree_depth)
    branching: list[int] = []
    for i, b in enumerate(raw):
        if isinstance(b, bool) or not isinstance(b, int) or not 1 <= b <= limits.max_branching:
            raise LabError(f"branching[{i}] must be an integer in [1, {limits.max_branching}], got {short(b)}")
        branching.append(b)
    _check_size(tuple(branching), limits)
    leaves = items(body, "leaves", limits.max_tree_nodes)
    expected = math.prod(branching)
    if len(leaves) != expected:
        raise LabError(f"leaves has {len(leaves)} values, the branching {branching} has {expected} leaves")
    return TreeSpec(tuple(branching), tuple(number(v, f"leaves[{i}]") for i, v in enumerate(leaves)), "custom")


def _check_size(branching: tuple[int, ...], limits: Limits) -> None:
    nodes = sum(math.prod(branching[:d]) for d in range(len(branching) + 1))
    if nodes > limits.max_tree_nodes:
        raise LabError(f"the tree has {nodes} nodes, over the limit of {limits.max_tree_nodes}")


def _bound(x: Any) -> Any:
    """JSON has no infinity: alpha-beta's initial window (-inf, +inf) is written as text."""
    if isinstance(x, float) and not math.isfinite(x):
        return "inf" if x > 0 else "-inf"
    if isinstance(x, list | tuple):
        return [_bound(v) for v in x]
    return x


def _events(result: Any) -> list[dict[str, Any]]:
    return [{k: _bound(v) for k, v in event.as_dict().items()} for event in result.parameters["trace"]]


def _leaves_visited(game: ExtensiveFormGame, events: list[dict[str, Any]]) -> list[int]:
    return [e["node"] for e in events if e["kind"] == "visit" and game.player[e["node"]] == TERMINAL]


def _principal_variation(game: ExtensiveFormGame, policy: np.ndarray) -> list[int]:
    """The nodes from the root that the returned (pure) profile plays."""
    path, node = [0], 0
    while game.n_children[node]:
        lo = game.infoset_action_offset[game.infoset[node]]
        node = int(game.first_child[node] + np.argmax(policy[lo:lo + game.n_children[node]]))
        path.append(node)
    return path


def _nodes(game: ExtensiveFormGame) -> list[dict[str, Any]]:
    out = []
    for k in range(game.n_nodes):
        mover = int(game.player[k])
        out.append({"id": k, "parent": int(game.parent[k]), "depth": int(game.depth[k]),
                    "player": "leaf" if mover == TERMINAL else ("max" if mover == 0 else "min"),
                    "label": game.node_labels[k] or "root",
                    "value": float(game.payoffs[k, 0]) if mover == TERMINAL else None})
    return out


def stepper(body: dict[str, Any], limits: Limits) -> dict[str, Any]:
    """``POST /api/minimax``: the tree, minimax's and alpha-beta's traces, values, leaf counts, the principal
    variation and each result's certificate (exploitability of the returned profile)."""
    from equilibria.solvers.tree_search import alphabeta_solve, minimax_solve

    spec = read_spec(body, limits)
    ordering: Ordering = "none"
    typed = text(body, "ordering", "none")
    if typed not in ("none", "static"):
        raise LabError(f"ordering must be 'none' (left to right) or 'static', got {short(typed)}")
    if typed == "static":
        ordering = "static"
    game = build_tree(spec)
    full = minimax_solve(game, trace=True, max_seconds=limits.max_seconds)
    pruned = alphabeta_solve(game, ordering=ordering, trace=True, max_seconds=limits.max_seconds)
    if not (full.converged and pruned.converged):
        raise LabError(f"the search stopped at the time limit of {limits.max_seconds:g} s")
    searches: dict[str, Any] = {}
    for name, result in (("minimax", full), ("alphabeta", pruned)):
        events = _events(result)
        searches[name] = {"value": float(result.parameters["value"][0]), "nodes_visited": result.parameters[
            "nodes_visited"], "leaves_evaluated": len(_leaves_visited(game, events)), "events": events,
            "exploitability": float(result.certificate[0]), "principal_variation": _principal_variation(
                game, np.asarray(result.equilibria[0]))}
    leaves = [int(k) for k in game.levels[-1]]
    evaluated = set(_leaves_visited(game, searches["alphabeta"]["events"]))
    skipped = [k for k in leaves if k not in evaluated]
    searches["alphabeta"].update(cutoffs=pruned.parameters["cutoffs"], leaves_skipped=len(skipped),
                                 skipped_leaves=skipped, ordering=ordering)
    return {"source": spec.source, "branching": list(spec.branching), "leaves": list(spec.leaves),
            "nodes": _nodes(game), **searches}
