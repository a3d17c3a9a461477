"""Import OpenSpiel games (Lanctot et al. 2019) as :class:`ExtensiveFormGame` trees.

:func:`from_openspiel` walks the game tree of a ``pyspiel`` game breadth-first from its initial state, so the node
numbering is the one :class:`ExtensiveFormGame` uses (children in OpenSpiel's action order):

- a **chance** state becomes a chance node whose edges are ``state.chance_outcomes()`` (in that order);
- a **decision** state becomes a node of ``state.current_player()`` with ``state.legal_actions()`` (increasing
  action ids); its information set is the pair (player, ``state.information_state_string()``), labelled by the
  string, and its action labels are ``state.action_to_string(player, action)``;
- a **terminal** state's payoffs are ``state.returns()``.

Node labels are the labels of the edges into the nodes (``action_to_string`` of the move or chance outcome; the
root's is empty), as :meth:`ExtensiveFormGame.from_tree` labels them. Simultaneous-move games are first made
sequential with ``pyspiel.convert_to_turn_based`` (each player moves in turn without seeing the others' moves of
the same round). Information sets are numbered in order of first appearance, so a policy's entries line up with
OpenSpiel's own tabular policies only through the labels.

``pyspiel`` comes with the ``bench`` extra (``pip install equilibria[bench]``, package ``open_spiel``); without it
:func:`from_openspiel` raises a :class:`equilibria.GameError` saying so.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any

import numpy as np

from equilibria.core.errors import GameError
from equilibria.games.extensive_form import CHANCE, TERMINAL, ExtensiveFormGame

__all__ = ["from_openspiel"]

_DEFAULT_MAX_NODES = 2_000_000


def _pyspiel() -> Any:
    try:
        import pyspiel
    except ImportError:
        raise GameError("from_openspiel: OpenSpiel is not installed; install the bench extra "
                        "(pip install 'equilibria[bench]', which provides the open_spiel package)") from None
    return pyspiel


def from_openspiel(game_or_name: Any, params: Mapping[str, Any] | None = None, *,
                   max_nodes: int = _DEFAULT_MAX_NODES, name: str | None = None) -> ExtensiveFormGame:
    """The full game tree of an OpenSpiel game as an :class:`ExtensiveFormGame`.

    Args:
      game_or_name: a ``pyspiel.Game``, or a name for ``pyspiel.load_game`` (``"kuhn_poker"``, or with parameters
        ``"goofspiel(num_cards=4,imp_info=True)"``).
      params: game parameters for ``pyspiel.load_game(name, params)`` (only with a name), e.g.
        ``{"num_cards": 4}``. (A mapping rather than keyword arguments, so they cannot clash with this function's
        own options.)
      max_nodes: stop with a :class:`GameError` when the tree has more nodes than this (chess would never end).
      name: the game's name; default: the OpenSpiel game's string, e.g. ``"leduc_poker()"``.

    Returns:
      the game, breadth-first; decision nodes' information sets come from ``information_state_string``.
    """
    pyspiel = _pyspiel()
    game = _load(pyspiel, game_or_name, params)
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise GameError(f"from_openspiel(max_nodes): expected a positive integer, got {max_nodes!r}")
    game_type = game.get_type()
    if game_type.dynamics == pyspiel.GameType.Dynamics.SIMULTANEOUS:
        game = pyspiel.convert_to_turn_based(game)
        game_type = game.get_type()
    if not game_type.provides_information_state_string:
        raise GameError(f"from_openspiel: {game} does not provide information_state_string, which defines the "
                        f"information sets")
    if game_type.chance_mode == pyspiel.GameType.ChanceMode.SAMPLED_STOCHASTIC:
        raise GameError(f"from_openspiel: {game} has sampled chance (no explicit chance_outcomes)")
    return _walk(game, max_nodes, str(game) if name is None else name)


def _load(pyspiel: Any, game_or_name: Any, params: Mapping[str, Any] | None) -> Any:
    if isinstance(game_or_name, str):
        try:
            return pyspiel.load_game(game_or_name, dict(params)) if params else pyspiel.load_game(game_or_name)
        except (pyspiel.SpielError, RuntimeError, TypeError, ValueError) as exc:
            reason = " ".join(str(exc).split())
            raise GameError(f"from_openspiel(game_or_name): OpenSpiel cannot load {game_or_name!r}: "
                            f"{reason}") from None
    if params:
        raise GameError("from_openspiel(params): parameters go with a game name, not with a loaded pyspiel game")
    if not isinstance(game_or_name, pyspiel.Game):
        raise GameError(f"from_openspiel(game_or_name): expected a pyspiel.Game or a game name, got "
                        f"{type(game_or_name).__name__}")
    return game_or_name


def _walk(game: Any, max_nodes: int, name: str) -> ExtensiveFormGame:
    n_players = game.num_players()
    parent: list[int] = [-1]
    player: list[int] = []
    first_child: list[int] = []
    n_children: list[int] = []
    chance_prob: list[float] = [1.0]
    infoset: list[int] = []
    payoffs: dict[int, list[float]] = {}
    edge_labels: list[str] = [""]
    infoset_index: dict[tuple[int, str], int] = {}
    infoset_player: list[int] = []
    infoset_labels: list[str] = []
    action_labels: list[tuple[str, ...]] = []
    queue = deque([game.new_initial_state()])
    k = 0
    while queue:
        state = queue.popleft()
        if state.is_terminal():
            player.append(TERMINAL)
            infoset.append(-1)
            payoffs[k] = list(state.returns())
            children: list[tuple[int, float]] = []
        elif state.is_chance_node():
            player.append(CHANCE)
            infoset.append(-1)
            children = list(state.chance_outcomes())
        else:
            mover = state.current_player()
            player.append(mover)
            children = [(a, 1.0) for a in state.legal_actions()]
            labels = tuple(state.action_to_string(mover, a) for a, _ in children)
            key = (mover, state.information_state_string())
            if key not in infoset_index:
                infoset_index[key] = len(infoset_player)
                infoset_player.append(mover)
                infoset_labels.append(key[1])
                action_labels.append(labels)
            infoset.append(infoset_index[key])
        first_child.append(len(parent) if children else -1)
        n_children.append(len(children))
        if len(parent) + len(children) > max_nodes:
            raise GameError(f"from_openspiel: {game} has more than {max_nodes} nodes (max_nodes); its tree is too "
                            f"large to build")
        acting = player[-1]
        for action, probability in children:
            queue.append(state.child(action))
            parent.append(k)
            chance_prob.append(float(probability))
            edge_labels.append(state.action_to_string(acting if acting >= 0 else -1, action))
        k += 1
    table = np.zeros((len(parent), n_players))
    for node, values in payoffs.items():
        table[node] = values
    try:
        return ExtensiveFormGame(
            n_players=n_players, parent=np.asarray(parent, dtype=np.int64), player=np.asarray(player, dtype=np.int64),
            first_child=np.asarray(first_child, dtype=np.int64), n_children=np.asarray(n_children, dtype=np.int64),
            chance_prob=np.asarray(chance_prob), infoset=np.asarray(infoset, dtype=np.int64), payoffs=table,
            infoset_player=np.asarray(infoset_player, dtype=np.int64), infoset_labels=tuple(infoset_labels),
            action_labels=tuple(action_labels), node_labels=tuple(edge_labels), name=name)
    except GameError as exc:  # e.g. an OpenSpiel game whose information states forget (imperfect recall)
        raise GameError(f"from_openspiel: {game}: {exc}") from None
