"""Import OpenSpiel games (Lanctot et al. 2019) as :class:`~equilibria.games.stochastic.StochasticGame`\\ s.

:func:`from_openspiel` explores the states reachable from the initial state, breadth-first, and makes each distinct
state a state of the stochastic game:

- **A state is its string**: two OpenSpiel states with the same ``str(state)`` are one state (for the
  perfect-information games this accepts, the string describes the position). What the string leaves out is
  dropped: ``markov_soccer``'s move limit (``horizon``), for one, so the imported game is stationary.
- **Simultaneous-move** states give every player its legal actions; in a **turn-based** state the player to move
  has its legal actions and every other player one action (``"-"``). A state's actions are numbered
  ``0..k-1`` in increasing OpenSpiel action id; ``action_names`` holds ``state.action_to_string``.
- **Chance** nodes are folded into the transitions: after a joint action, every chance outcome is followed (through
  successive chance nodes) to the next decision or terminal state, their probabilities multiplied. A chance node
  at the start becomes the initial distribution.
- **Rewards** of a (state, joint action) are the expected change of ``state.returns()`` from the state to the next
  decision or terminal state, so a terminal payoff lands on the move into the terminal state. **Terminal** states
  are ``terminal`` (absorbing, reward 0, one action each).
- OpenSpiel's games are undiscounted: ``discount=1`` (the default) makes a stopping game, whose values exist for
  the profiles that end with probability 1; a ``discount`` below 1 discounts the same game.

Refused, with a one-line :class:`~equilibria.core.errors.GameError`: games with hidden information (a state of a
stochastic game is public), sampled chance (no explicit ``chance_outcomes``), and games with more than
``max_states`` distinct states. ``pyspiel`` comes with the ``bench`` extra.
"""

from __future__ import annotations

from collections import deque
from itertools import product
from typing import Any

import numpy as np

from equilibria.core.errors import GameError
from equilibria.games.io.openspiel import _pyspiel  # the one import of OpenSpiel, with its install hint
from equilibria.games.stochastic import StochasticGame

__all__ = ["from_openspiel"]


def from_openspiel(game_or_name: Any, *, discount: float = 1.0, max_states: int = 100_000,
                   name: str | None = None) -> StochasticGame:
    """The states reachable in an OpenSpiel game as a :class:`StochasticGame` (module docstring for the rules).

    Args:
      game_or_name: a ``pyspiel.Game`` or a name for ``pyspiel.load_game`` (``"markov_soccer"``,
        ``"tic_tac_toe"``, ``"markov_soccer(horizon=20)"``).
      discount: 1 (OpenSpiel's undiscounted episodes; the game needs a terminal state) or a number in [0, 1).
      max_states: stop with a GameError when more distinct states than this are reachable.
      name: the game's name; default the OpenSpiel game's string.
    """
    pyspiel = _pyspiel()
    if isinstance(max_states, bool) or not isinstance(max_states, int) or max_states < 1:
        raise GameError(f"from_openspiel(max_states): expected a positive integer, got {max_states!r}")
    if isinstance(discount, bool) or not isinstance(discount, int | float) or not 0.0 <= discount <= 1.0:
        raise GameError(f"from_openspiel(discount): expected a number in [0, 1], got {discount!r}")
    if isinstance(game_or_name, str):
        try:
            game = pyspiel.load_game(game_or_name)
        except Exception as exc:  # pyspiel raises its own error types
            raise GameError(f"from_openspiel(game_or_name): OpenSpiel cannot load {game_or_name!r}: "
                            f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    elif hasattr(game_or_name, "new_initial_state") and hasattr(game_or_name, "get_type"):
        game = game_or_name
    else:
        raise GameError(f"from_openspiel(game_or_name): expected a pyspiel.Game or a game name, got "
                        f"{type(game_or_name).__name__}")
    game_type = game.get_type()
    if game_type.information == pyspiel.GameType.Information.IMPERFECT_INFORMATION:
        raise GameError(f"from_openspiel: {game} has hidden information; a stochastic game's state is public "
                        "(use equilibria.games.io.openspiel.from_openspiel for the game tree)")
    if game_type.chance_mode == pyspiel.GameType.ChanceMode.SAMPLED_STOCHASTIC:
        raise GameError(f"from_openspiel: {game} has sampled chance (no explicit chance_outcomes)")
    return _Explorer(game, max_states).build(float(discount), str(game) if name is None else name)


class _Explorer:
    """Breadth-first exploration of the distinct states, with the outcome tables of every joint action."""

    def __init__(self, game: Any, max_states: int) -> None:
        self.game = game
        self.n_players = game.num_players()
        self.max_states = max_states
        self.index: dict[str, int] = {}
        self.states: list[Any] = []
        self.queue: deque[int] = deque()

    def key(self, state: Any) -> int:
        text = str(state)
        found = self.index.get(text)
        if found is None:
            if len(self.states) >= self.max_states:
                raise GameError(f"from_openspiel: {self.game} has more than max_states={self.max_states} reachable "
                                "states; raise max_states if it fits in memory")
            found = self.index[text] = len(self.states)
            self.states.append(state)
            self.queue.append(found)
        return found

    def settle(self, state: Any, probability: float, base: np.ndarray,
               into: dict[int, list[float]]) -> None:
        """Follow chance nodes from ``state`` to decision/terminal states: ``into[next] = [probability,
        *probability x reward]`` accumulated (rewards relative to ``base``, the returns before the move)."""
        if state.is_chance_node():
            for outcome, p in state.chance_outcomes():
                self.settle(state.child(outcome), probability * p, base, into)
            return
        target = self.key(state)
        reward = np.asarray(state.returns(), dtype=float) - base
        entry = into.setdefault(target, [0.0] * (1 + self.n_players))
        entry[0] += probability
        for i in range(self.n_players):
            entry[1 + i] += probability * reward[i]

    def legal(self, state: Any) -> list[list[int]]:
        if state.is_terminal():
            return [[-1]] * self.n_players
        if state.is_simultaneous_node():
            return [sorted(state.legal_actions(p)) for p in range(self.n_players)]
        mover = state.current_player()
        return [sorted(state.legal_actions(mover)) if p == mover else [-1] for p in range(self.n_players)]

    def build(self, discount: float, name: str) -> StochasticGame:
        root = self.game.new_initial_state()
        start: dict[int, list[float]] = {}
        self.settle(root, 1.0, np.asarray(root.returns(), dtype=float), start)
        tables: dict[int, dict[tuple[int, ...], dict[int, list[float]]]] = {}
        actions: dict[int, list[list[int]]] = {}
        while self.queue:
            s = self.queue.popleft()
            state = self.states[s]
            legal = actions[s] = self.legal(state)
            table = tables[s] = {}
            if state.is_terminal():
                continue
            base = np.asarray(state.returns(), dtype=float)
            for joint in product(*(range(len(options)) for options in legal)):
                child = state.clone()
                if state.is_simultaneous_node():
                    child.apply_actions([legal[p][a] for p, a in enumerate(joint)])
                else:
                    mover = state.current_player()
                    child.apply_action(legal[mover][joint[mover]])
                into: dict[int, list[float]] = {}
                self.settle(child, 1.0, base, into)
                table[joint] = into
        return self.assemble(tables, actions, start, discount, name)

    def assemble(self, tables: dict[int, dict[tuple[int, ...], dict[int, list[float]]]],
                 actions: dict[int, list[list[int]]], start: dict[int, list[float]], discount: float,
                 name: str) -> StochasticGame:
        n = len(self.states)
        counts = np.array([[len(actions[s][p]) for p in range(self.n_players)] for s in range(n)], dtype=np.int64)
        max_actions = tuple(int(k) for k in counts.max(axis=0))
        k = max(1, max((len(into) for table in tables.values() for into in table.values()), default=1))
        rewards = np.zeros((self.n_players, n, *max_actions))
        successors = np.zeros((n, *max_actions, k), dtype=np.int64)
        probabilities = np.zeros((n, *max_actions, k))
        successors[..., 0] = np.arange(n).reshape((n,) + (1,) * len(max_actions))
        probabilities[..., 0] = 1.0  # padding and terminal states: self-loops
        for s, table in tables.items():
            for joint, into in table.items():
                cell = (s, *joint)
                successors[cell] = 0
                probabilities[cell] = 0.0
                for slot, (target, (p, *weighted)) in enumerate(sorted(into.items())):
                    successors[(*cell, slot)] = target
                    probabilities[(*cell, slot)] = p
                    every_player: Any = (slice(None), *cell)
                    rewards[every_player] += weighted
        terminal = np.array([state.is_terminal() for state in self.states])
        initial = np.zeros(n)
        for target, (p, *_) in start.items():
            initial[target] += p
        action_names = tuple(
            tuple(tuple("-" if a < 0 else state.action_to_string(p, a) for a in actions[s][p])
                  for p in range(self.n_players)) for s, state in enumerate(self.states))
        return StochasticGame(rewards, successors, probabilities, discount, n_actions=counts, terminal=terminal,
                              initial=initial, name=name, state_names=tuple(str(st) for st in self.states),
                              action_names=action_names)
