"""Named stochastic (Markov) games with known answers, and a seeded random generator.

Every entry is a :class:`StochasticZooEntry`: a builder plus what is known (``known_value``: player 0's discounted
value from the initial distribution where the literature or a hand computation gives one). Conventions are
:mod:`equilibria.games.stochastic`'s: rewards are utilities, values are discounted sums (not normalised).

- ``big-match``: Gillette's (1957) Big Match, discounted (Blackwell and Ferguson 1968): value ``1 / (2 (1 - beta))``
  in the playing state (normalised value 1/2 for every discount); the row player's optimal stationary strategy plays
  Top with probability ``(1 - beta) / (2 - beta)``, the column player mixes 1/2-1/2 (:func:`big_match_profile`).
- ``shapley-stopping``: a two-position zero-sum game *in the setting of* Shapley (1953), "Stochastic games", PNAS 39:
  every move stops the play with a positive probability (here 1/2), so the total payoff is finite without a
  discount. The numbers are this module's own (the paper's text was not available to check its example against);
  the value of position 0 is the irrational ``(2 sqrt(129) - 16) / 5`` although every datum is rational
  (:func:`shapley_stopping_value`, derived in the builder's docstring).
- ``markov-soccer``: Littman's (1994) soccer, 4 x 5 grid, ball possession, moves in random order.
- ``grid-game-1``, ``grid-game-2``: Hu and Wellman's (2003) 3 x 3 grid games (distinct goals; a shared goal behind
  two probabilistic barriers). The paper's text could not be consulted here: cells, starts, goals, the rewards
  (100, -1), the barrier's 1/2 and the discount 0.99 follow its usual description; what a move off the grid does
  and what counts as a collision are this module's reading (see the builders).
- ``nosde``: a general-sum game with no stationary deterministic equilibrium, in the form of Zinkevich, Greenwald and
  Littman (2005) (two states, one mover per state choosing keep or send); numbers chosen here, the property checked
  by brute force in the tests, its mixed stationary equilibrium derived in :func:`nosde_profile`.
- ``random-zero-sum``, ``random-general-sum``: :func:`random_stochastic_game` with small defaults.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any

import numpy as np

from equilibria.core.errors import GameError
from equilibria.games.stochastic import StationaryProfile, StochasticGame
from equilibria.games.zoo._lookup import find

__all__ = ["ENTRIES", "StochasticZooEntry", "big_match", "big_match_episodic", "big_match_profile", "entry", "get",
           "grid_game_1", "grid_game_2", "markov_soccer", "names", "nosde", "nosde_profile", "random_stochastic_game",
           "shapley_stopping", "shapley_stopping_value"]

# outcomes[s][joint action] = {next state: probability}; rewards filled beside it.
_Outcomes = dict[tuple[int, ...], dict[int, float]]


def _sparse_game(rewards: np.ndarray, outcomes: Sequence[_Outcomes], discount: float, *, n_actions: Any = None,
                 terminal: Any = None, initial: Any = None, name: str, state_names: tuple[str, ...] = (),
                 action_names: tuple[tuple[tuple[str, ...], ...], ...] = ()) -> StochasticGame:
    """A game from per-state outcome tables; joint actions missing from a table are padding (self-loops)."""
    n_states = rewards.shape[1]
    k = max(1, max((len(dist) for table in outcomes for dist in table.values()), default=1))
    shape = (*rewards.shape[1:], k)
    successors = np.zeros(shape, dtype=np.int64)
    probabilities = np.zeros(shape)
    for s in range(n_states):
        successors[s, ..., 0] = s
        probabilities[s, ..., 0] = 1.0
        for joint, dist in outcomes[s].items():
            successors[(s, *joint)] = 0
            probabilities[(s, *joint)] = 0.0
            for slot, (nxt, p) in enumerate(sorted(dist.items())):
                successors[(s, *joint, slot)] = nxt
                probabilities[(s, *joint, slot)] = p
    return StochasticGame(rewards, successors, probabilities, discount, n_actions=n_actions, terminal=terminal,
                          initial=initial, name=name, state_names=state_names, action_names=action_names)


def _checked_discount(discount: float, caller: str) -> float:
    if isinstance(discount, bool) or not isinstance(discount, int | float) or not 0.0 <= float(discount) < 1.0:
        raise GameError(f"{caller}(discount): expected a number in [0, 1), got {discount!r}")
    return float(discount)


# -- Big Match --------------------------------------------------------------------------------------------------
def big_match(discount: float = 0.9) -> StochasticGame:
    """Gillette's Big Match, discounted by ``discount``.

    State 0 is played: the row player (player 0, maximiser) chooses Top or Bottom, the column player Left or Right.
    Top absorbs: (Top, Left) pays 1 and moves to state 1, which pays 1 forever; (Top, Right) pays 0 and moves to
    state 2, which pays 0 forever. Bottom keeps the play in state 0 and pays 1 on (Bottom, Right), 0 on
    (Bottom, Left). Zero-sum: the column player's reward is minus the row player's. States 1 and 2 have one action
    per player.
    """
    beta = _checked_discount(discount, "big_match")
    rewards = np.zeros((2, 3, 2, 2))
    rewards[0, 0] = [[1.0, 0.0], [0.0, 1.0]]
    rewards[0, 1, 0, 0] = 1.0
    rewards[1] = -rewards[0]
    outcomes: list[_Outcomes] = [
        {(0, 0): {1: 1.0}, (0, 1): {2: 1.0}, (1, 0): {0: 1.0}, (1, 1): {0: 1.0}}, {(0, 0): {1: 1.0}},
        {(0, 0): {2: 1.0}}]
    return _sparse_game(rewards, outcomes, beta, n_actions=[[2, 2], [1, 1], [1, 1]], name="big-match",
                        state_names=("play", "absorbed-1", "absorbed-0"),
                        action_names=((("Top", "Bottom"), ("Left", "Right")), (("-",), ("-",)), (("-",), ("-",))))


def big_match_episodic(discount: float = 0.9) -> StochasticGame:
    """:func:`big_match` with its absorption folded into one final payoff, for learners that need episodes.

    (Top, Left) pays the discounted sum of 1 forever, ``1 / (1 - beta)``, and ends the episode (a terminal state);
    (Top, Right) pays 0 and ends it; Bottom is as in the Big Match. Every stationary profile has the same values in
    the playing state as in :func:`big_match` (so the same optimal profile, :func:`big_match_profile`'s first rows),
    but a learner's stream starts a new episode after Top instead of staying absorbed forever.
    """
    beta = _checked_discount(discount, "big_match_episodic")
    rewards = np.zeros((2, 2, 2, 2))
    rewards[0, 0] = [[1.0 / (1.0 - beta), 0.0], [0.0, 1.0]]
    rewards[1] = -rewards[0]
    outcomes: list[_Outcomes] = [{(0, 0): {1: 1.0}, (0, 1): {1: 1.0}, (1, 0): {0: 1.0}, (1, 1): {0: 1.0}},
                                 {(0, 0): {1: 1.0}}]
    return _sparse_game(rewards, outcomes, beta, n_actions=[[2, 2], [1, 1]], terminal=[False, True],
                        name="big-match-episodic", state_names=("play", "over"),
                        action_names=((("Top", "Bottom"), ("Left", "Right")), (("-",), ("-",))))


def big_match_profile(discount: float = 0.9) -> StationaryProfile:
    """The optimal stationary profile of :func:`big_match`: P(Top) = (1 - beta) / (2 - beta), column 1/2-1/2."""
    beta = _checked_discount(discount, "big_match_profile")
    top = (1.0 - beta) / (2.0 - beta)
    row = np.array([[top, 1.0 - top], [1.0, 0.0], [1.0, 0.0]])
    column = np.array([[0.5, 0.5], [1.0, 0.0], [1.0, 0.0]])
    return row, column


# -- Shapley's setting --------------------------------------------------------------------------------------------
_SHAPLEY_A0 = ((3.0, 0.0), (-1.0, 1.0))


def shapley_stopping() -> StochasticGame:
    """A zero-sum stopping game with two positions (Shapley's 1953 setting; the numbers are this module's).

    Position 0: a 2 x 2 game paying ``A0 = [[3, 0], [-1, 1]]`` to player 0; each cell stops the play with
    probability 1/2 (state 2, terminal), else the diagonal cells stay in position 0 and the off-diagonal ones move
    to position 1. Position 1: no choice, pays 1, stops with probability 1/2, else returns to position 0.
    Undiscounted (``discount = 1``).

    Hand computation: ``V1 = 1 + V0 / 2`` and ``V0 = val(Q0)`` with
    ``Q0 = [[3 + V0/2, V1/2], [-1 + V1/2, 1 + V0/2]]``, which has no saddle point, so
    ``V0 (Q00 + Q11 - Q01 - Q10) = Q00 Q11 - Q01 Q10``, i.e. ``5 V0^2 + 32 V0 - 52 = 0`` with root
    ``V0 = (2 sqrt(129) - 16) / 5 = 1.3431...`` (the other root, -7.74, lies outside Shapley's bound
    ``max |a| / s = 6`` on any total payoff).
    """
    rewards = np.zeros((2, 3, 2, 2))
    rewards[0, 0] = _SHAPLEY_A0
    rewards[0, 1, 0, 0] = 1.0
    rewards[1] = -rewards[0]
    outcomes: list[_Outcomes] = [
        {(0, 0): {0: 0.5, 2: 0.5}, (1, 1): {0: 0.5, 2: 0.5}, (0, 1): {1: 0.5, 2: 0.5}, (1, 0): {1: 0.5, 2: 0.5}},
        {(0, 0): {0: 0.5, 2: 0.5}}, {(0, 0): {2: 1.0}}]
    return _sparse_game(rewards, outcomes, 1.0, n_actions=[[2, 2], [1, 1], [1, 1]], terminal=[False, False, True],
                        name="shapley-stopping", state_names=("position-0", "position-1", "stopped"))


def shapley_stopping_value() -> tuple[float, float]:
    """``(V0, V1)``, the values of positions 0 and 1 of :func:`shapley_stopping` for player 0 (closed form)."""
    v0 = (2.0 * math.sqrt(129.0) - 16.0) / 5.0
    return v0, 1.0 + v0 / 2.0


# -- Littman's soccer -----------------------------------------------------------------------------------------------
_SOCCER_ROWS, _SOCCER_COLS = 4, 5
_SOCCER_MOVES = ((-1, 0), (1, 0), (0, -1), (0, 1), (0, 0))  # N, S, W, E, stand (OpenSpiel's action order)
_SOCCER_ACTIONS = ("N", "S", "W", "E", "stand")
SOCCER_START = ((2, 1), (1, 3))  # A's and B's starting cells (row from the top, column from the left)


def _soccer_states() -> list[tuple[int, int, int]]:
    cells = _SOCCER_ROWS * _SOCCER_COLS
    return [(a, b, holder) for holder in (0, 1) for a in range(cells) for b in range(cells) if a != b]


def _soccer_step(positions: list[int], holder: int, player: int, action: int) -> tuple[int, int | None]:
    """One player's move (in place on ``positions``): returns the holder after it and the scorer (or None)."""
    row, col = divmod(positions[player], _SOCCER_COLS)
    d_row, d_col = _SOCCER_MOVES[action]
    new_row, new_col = row + d_row, col + d_col
    if not (0 <= new_row < _SOCCER_ROWS and 0 <= new_col < _SOCCER_COLS):
        attacking = _SOCCER_COLS if player == 0 else -1
        if player == holder and new_col == attacking and new_row in (1, 2):
            return holder, player
        return holder, None  # off the grid elsewhere: the move does not happen
    target = new_row * _SOCCER_COLS + new_col
    if (d_row, d_col) == (0, 0):
        return holder, None
    if target == positions[1 - player]:  # into the other player: the ball goes to the stationary one, no move
        return 1 - player, None
    positions[player] = target
    return holder, None


def markov_soccer(discount: float = 0.9) -> StochasticGame:
    """Littman's (1994) soccer: a zero-sum 4 x 5 grid game with 760 states and 5 x 5 actions.

    A state is (A's cell, B's cell, who holds the ball), the cells distinct. Actions N, S, W, E, stand (in this
    order, OpenSpiel's). The two moves are executed in random order (each first with probability 1/2). A move off
    the grid does nothing, except that the ball holder moving off its attacking edge in one of the two middle rows
    scores; a move into the other player's cell does not happen and the ball goes to the player standing there.
    A goal pays +1 to the scorer and -1 to the other (zero-sum) and the play restarts: the next state is drawn
    from the initial distribution (A at row 2, column 1, B at row 1, column 3, counting from the top left from 0,
    the ball to either with probability 1/2), so the game goes on forever and ``discount`` (Littman's 0.9) makes
    values finite. Orientation and starting cells follow OpenSpiel's default ``markov_soccer`` grid (A attacks the
    right edge, B the left one); a mirror image of the field changes no value. OpenSpiel's own game differs: the ball
    starts loose on the field and a goal ends the episode (import it with
    :func:`equilibria.games.io.openspiel_stochastic.from_openspiel`).
    """
    beta = _checked_discount(discount, "markov_soccer")
    states = _soccer_states()
    index = {state: i for i, state in enumerate(states)}
    start_a, start_b = (r * _SOCCER_COLS + c for r, c in SOCCER_START)
    restart = {index[(start_a, start_b, 0)]: 0.5, index[(start_a, start_b, 1)]: 0.5}
    n = len(states)
    rewards = np.zeros((2, n, 5, 5))
    outcomes: list[_Outcomes] = []
    for s, (a, b, holder) in enumerate(states):
        table: _Outcomes = {}
        for joint in product(range(5), repeat=2):
            dist: dict[int, float] = {}
            for first in (0, 1):
                positions, owner, scorer = [a, b], holder, None
                for player in (first, 1 - first):
                    owner, scorer = _soccer_step(positions, owner, player, joint[player])
                    if scorer is not None:
                        break
                if scorer is not None:
                    rewards[scorer, s, joint[0], joint[1]] += 0.5
                    rewards[1 - scorer, s, joint[0], joint[1]] -= 0.5
                    for nxt, p in restart.items():
                        dist[nxt] = dist.get(nxt, 0.0) + 0.5 * p
                else:
                    nxt = index[(positions[0], positions[1], owner)]
                    dist[nxt] = dist.get(nxt, 0.0) + 0.5
            table[joint] = dist
        outcomes.append(table)
    initial = np.zeros(n)
    for nxt, p in restart.items():
        initial[nxt] = p
    names = tuple(f"A{divmod(a, _SOCCER_COLS)} B{divmod(b, _SOCCER_COLS)} ball:{'AB'[h]}" for a, b, h in states)
    return _sparse_game(rewards, outcomes, beta, initial=initial, name="markov-soccer", state_names=names,
                        action_names=((_SOCCER_ACTIONS, _SOCCER_ACTIONS),) * n)


# -- Hu and Wellman's grid games ----------------------------------------------------------------------------------
_GRID_ACTIONS = ("left", "right", "up", "down")
_GRID_MOVES = ((0, -1), (0, 1), (1, 0), (-1, 0))  # (d_row, d_col), rows counted from the bottom
GRID_REWARD, GRID_COLLISION = 100.0, -1.0


def _grid_moves(cell: int, action: int, barriers: frozenset[int]) -> list[tuple[int, float]]:
    """Where an agent in ``cell`` (0..8, row-major from the bottom left) ends up after ``action``, with odds."""
    row, col = divmod(cell, 3)
    d_row, d_col = _GRID_MOVES[action]
    new_row, new_col = row + d_row, col + d_col
    if not (0 <= new_row < 3 and 0 <= new_col < 3):
        return [(cell, 1.0)]  # off the grid: stays
    target = new_row * 3 + new_col
    if action == 2 and cell in barriers:  # up through a barrier: passes with probability 1/2
        return [(target, 0.5), (cell, 0.5)]
    return [(target, 1.0)]


def _grid_game(goals: tuple[int, int], barriers: frozenset[int], discount: float, name: str) -> StochasticGame:
    live = [(l1, l2) for l1 in range(9) for l2 in range(9)
            if l1 != l2 and l1 != goals[0] and l2 != goals[1]]
    index = {state: i for i, state in enumerate(live)}
    end = len(live)
    n = end + 1
    rewards = np.zeros((2, n, 4, 4))
    outcomes: list[_Outcomes] = []
    for s, (l1, l2) in enumerate(live):
        table: _Outcomes = {}
        for joint in product(range(4), repeat=2):
            dist: dict[int, float] = {}
            for (m1, p1), (m2, p2) in product(_grid_moves(l1, joint[0], barriers),
                                              _grid_moves(l2, joint[1], barriers)):
                p = p1 * p2
                reached = (m1 == goals[0], m2 == goals[1])
                if any(reached):  # the game ends; each agent in its goal cell earns the reward
                    for i in (0, 1):
                        rewards[i, s, joint[0], joint[1]] += p * GRID_REWARD * reached[i]
                    nxt = end
                elif m1 == m2:  # both would share a cell: bounced back, each pays the collision
                    rewards[:, s, joint[0], joint[1]] += p * GRID_COLLISION
                    nxt = s
                else:
                    nxt = index[(m1, m2)]
                dist[nxt] = dist.get(nxt, 0.0) + p
            table[joint] = dist
        outcomes.append(table)
    outcomes.append({(0, 0): {end: 1.0}})
    n_actions = np.full((n, 2), 4)
    n_actions[end] = 1
    terminal = np.zeros(n, dtype=bool)
    terminal[end] = True
    initial = np.zeros(n)
    initial[index[(0, 2)]] = 1.0
    names = tuple(f"({l1}, {l2})" for l1, l2 in live) + ("end",)
    actions = tuple((_GRID_ACTIONS, _GRID_ACTIONS) for _ in live) + ((("-",), ("-",)),)
    return _sparse_game(rewards, outcomes, _checked_discount(discount, name.replace("-", "_")), n_actions=n_actions,
                        terminal=terminal, initial=initial, name=name, state_names=names, action_names=actions)


def grid_game_1(discount: float = 0.99) -> StochasticGame:
    """Hu and Wellman's (2003) grid game 1: distinct goals, deterministic moves.

    Cells ``0..8`` row by row from the bottom left (0 1 2 the bottom row, 6 7 8 the top), as the paper numbers
    them; a state is ``(l1, l2)``, the two agents' cells. Agent 1 starts in 0 with its goal in 8, agent 2 in 2 with
    its goal in 6 (initial state ``(0, 2)``). Actions left, right, up, down. Reaching one's goal pays 100 and ends
    the game (both rewarded if both arrive together): every state with an agent in its goal is the one terminal
    state ``end``. Two agents that would end in the same (non-goal) cell are bounced back to their cells and each
    pays 1 (reward -1). A move off the grid leaves the agent where it is (the paper does not use such moves; this
    module allows them, reward 0). Discount 0.99 as in the paper. 57 live states and ``end``.
    """
    return _grid_game((8, 6), frozenset(), discount, "grid-game-1")


def grid_game_2(discount: float = 0.99) -> StochasticGame:
    """Hu and Wellman's (2003) grid game 2: a shared goal (cell 7, top middle) and two barriers.

    As :func:`grid_game_1` (cells, start ``(0, 2)``, rewards, collisions, discount), except that both agents' goal
    is cell 7 (both may enter it together, both earn 100) and moving up from cell 0 or cell 2 passes the barrier
    with probability 1/2 (else the agent stays). 56 live states and ``end``. Besides its mixed equilibria it has
    two pure ones in which one agent takes the centre and the other tries the barrier.
    """
    return _grid_game((7, 7), frozenset({0, 2}), discount, "grid-game-2")


# -- NoSDE ---------------------------------------------------------------------------------------------------------
_NOSDE_DISCOUNT = 0.75
# (reward to player 0, reward to player 1) for keep / send in state 0 (player 0 moves) and state 1 (player 1 moves).
_NOSDE_REWARDS = {(0, "keep"): (1.0, 0.0), (0, "send"): (0.0, 3.0), (1, "keep"): (3.0, 1.0), (1, "send"): (0.0, 2.0)}


def nosde() -> StochasticGame:
    """A two-state general-sum game with no stationary deterministic equilibrium (discount 3/4).

    In state 0 player 0 moves: keep pays (1, 0) and stays, send pays (0, 3) and moves to state 1. In state 1 player
    1 moves: keep pays (3, 1) and stays, send pays (0, 2) and moves to state 0. The other player has one action.
    Best responses cycle: if player 1 keeps, player 0 sends (to collect 3 per step in state 1); then player 1
    sends back; then player 0 keeps; then player 1 keeps. The unique stationary equilibrium mixes
    (:func:`nosde_profile`). The structure is Zinkevich, Greenwald and Littman's (2005); the numbers are this
    module's.
    """
    rewards = np.zeros((2, 2, 2, 2))
    outcomes: list[_Outcomes] = [{}, {}]
    for i, action in enumerate(("keep", "send")):
        rewards[:, 0, i, 0] = _NOSDE_REWARDS[(0, action)]
        rewards[:, 1, 0, i] = _NOSDE_REWARDS[(1, action)]
        outcomes[0][(i, 0)] = {0 if action == "keep" else 1: 1.0}
        outcomes[1][(0, i)] = {1 if action == "keep" else 0: 1.0}
    return _sparse_game(rewards, outcomes, _NOSDE_DISCOUNT, n_actions=[[2, 1], [1, 2]], name="nosde",
                        state_names=("player-0-moves", "player-1-moves"),
                        action_names=((("keep", "send"), ("-",)), (("-",), ("keep", "send"))))


def nosde_profile() -> StationaryProfile:
    """The stationary equilibrium of :func:`nosde`: player 0 keeps with probability 5/6, player 1 with 7/12.

    Derivation: player 0 indifferent in state 0 means ``V0(0) = 1 + 3/4 V0(0) = 4`` and ``3/4 V0(1) = 4``, so
    ``V0(1) = 16/3 = y (3 + 3/4 V0(1)) + (1 - y) (3/4 V0(0)) = 3 + 4 y``, ``y = 7/12``; player 1 indifferent in state
    1 means ``V1(1) = 1 / (1 - 3/4) = 4`` and ``2 + 3/4 V1(0) = 4``, ``V1(0) = 8/3 = x (3/4 V1(0)) + (1 - x)(3 + 3/4
    V1(1)) = 6 - 4 x``, ``x = 5/6``.
    """
    return (np.array([[5 / 6, 1 / 6], [1.0, 0.0]]), np.array([[1.0, 0.0], [7 / 12, 5 / 12]]))


# -- random games --------------------------------------------------------------------------------------------------
def random_stochastic_game(n_states: int, n_actions: int | Sequence[int], *, seed: int, zero_sum: bool = False,
                           n_successors: int | None = None, discount: float = 0.9,
                           name: str | None = None) -> StochasticGame:
    """A random stochastic game drawn with ``numpy.random.default_rng(seed)``.

    Args:
      n_states: number of states (>= 1).
      n_actions: actions per player in every state: an int (two players) or one count per player.
      seed: the generator's seed (same seed, same game).
      zero_sum: two players with ``rewards[1] = -rewards[0]`` (needs two players).
      n_successors: each (state, joint action) leads to this many distinct random states, with Dirichlet(1)
        probabilities; None: to every state (dense rows, ``[n_states, *n_actions, n_states]`` floats).
      discount: in [0, 1).
      name: the game's name (default: the sizes and the seed).

    Rewards are uniform on [-1, 1], drawn first (``[n_players, n_states, *n_actions]``), then the successors and
    their probabilities.
    """
    caller = "random_stochastic_game"
    if isinstance(n_states, bool) or not isinstance(n_states, int) or n_states < 1:
        raise GameError(f"{caller}(n_states): expected a positive integer, got {n_states!r}")
    counts = (n_actions, n_actions) if isinstance(n_actions, int) and not isinstance(n_actions, bool) else n_actions
    if isinstance(counts, str) or not isinstance(counts, Sequence) or not counts or any(
            isinstance(k, bool) or not isinstance(k, int) or k < 1 for k in counts):
        raise GameError(f"{caller}(n_actions): expected a positive integer or one per player, got {n_actions!r}")
    counts = tuple(int(k) for k in counts)
    if zero_sum and len(counts) != 2:
        raise GameError(f"{caller}(zero_sum): a zero-sum game has two players, got {len(counts)}")
    if n_successors is not None and (isinstance(n_successors, bool) or not isinstance(n_successors, int)
                                     or not 1 <= n_successors <= n_states):
        raise GameError(f"{caller}(n_successors): expected an integer in 1..{n_states} or None, got "
                        f"{n_successors!r}")
    beta = _checked_discount(discount, caller)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise GameError(f"{caller}(seed): expected an integer, got {seed!r}")
    rng = np.random.default_rng(seed)
    rewards = rng.uniform(-1.0, 1.0, (len(counts), n_states, *counts))
    if zero_sum:
        rewards[1] = -rewards[0]
    rows = n_states * math.prod(counts)
    k = n_states if n_successors is None else n_successors
    if n_successors is None:
        successors = np.broadcast_to(np.arange(n_states), (rows, n_states)).copy()
    else:
        successors = np.stack([rng.choice(n_states, size=k, replace=False) for _ in range(rows)])
    probabilities = rng.dirichlet(np.ones(k), size=rows)
    shape = (n_states, *counts, k)
    kind = "zero-sum" if zero_sum else "general-sum"
    label = f"random-{kind}({n_states}, {counts}, seed={seed})" if name is None else name
    return StochasticGame(rewards, successors.reshape(shape), probabilities.reshape(shape), beta, name=label)


# -- the table -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StochasticZooEntry:
    """A named stochastic game and what is known about it.

    Attributes:
      name: the zoo key (kebab-case), used on the command line.
      description: one line for ``equilibria games``.
      build: returns the game (default parameters).
      known_value: player 0's discounted value from the initial distribution, where known (zero-sum games).
      reference: where the game and its facts come from.
    """

    name: str
    description: str
    build: Callable[[], StochasticGame]
    known_value: float | None = None
    reference: str = ""

    def game(self) -> StochasticGame:
        return self.build()


ENTRIES: tuple[StochasticZooEntry, ...] = (
    StochasticZooEntry("big-match", "Gillette's Big Match, discount 0.9: value 5 (normalised 1/2), P(Top) = 1/11",
                       big_match, 5.0, "Gillette (1957); Blackwell and Ferguson (1968)"),
    StochasticZooEntry("big-match-episodic", "the Big Match with absorption as a final payoff (episodes, for "
                       "learners): value 5, P(Top) = 1/11", big_match_episodic, 5.0,
                       "Gillette (1957); the absorbing states folded into a terminal payoff"),
    StochasticZooEntry("shapley-stopping", "zero-sum stopping game (stop prob. 1/2), 2 positions: value "
                       "(2 sqrt 129 - 16)/5", shapley_stopping, shapley_stopping_value()[0],
                       "the setting of Shapley (1953), Stochastic games, PNAS 39; numbers this module's"),
    StochasticZooEntry("markov-soccer", "Littman's soccer: zero-sum, 4x5 grid, 760 states, 5x5 actions, discount 0.9",
                       markov_soccer, 0.0, "Littman (1994), Markov games as a framework for multi-agent RL; "
                       "value 0 from the start by the game's symmetry"),
    StochasticZooEntry("grid-game-1", "Hu-Wellman grid game 1: general-sum 3x3 grid, distinct goals, 58 states",
                       grid_game_1, None, "Hu and Wellman (2003), Nash Q-learning, JMLR 4"),
    StochasticZooEntry("grid-game-2", "Hu-Wellman grid game 2: shared goal behind barriers (pass 1/2), 57 states",
                       grid_game_2, None, "Hu and Wellman (2003), Nash Q-learning, JMLR 4"),
    StochasticZooEntry("nosde", "general-sum, 2 states: no stationary deterministic equilibrium (value iteration "
                       "cycles)", nosde, None, "the structure of Zinkevich, Greenwald and Littman (2005); numbers "
                       "this module's"),
    StochasticZooEntry("random-zero-sum", "random zero-sum game: 5 states, 3x3 actions, dense, seed 0",
                       lambda: random_stochastic_game(5, 3, seed=0, zero_sum=True, name="random-zero-sum"), None,
                       "generated"),
    StochasticZooEntry("random-general-sum", "random general-sum game: 5 states, 3x3 actions, dense, seed 0",
                       lambda: random_stochastic_game(5, 3, seed=0, name="random-general-sum"), None, "generated"),
)

_BY_NAME = {e.name: e for e in ENTRIES}


def names() -> tuple[str, ...]:
    return tuple(_BY_NAME)


def entry(name: str) -> StochasticZooEntry:
    """The stochastic zoo entry called ``name`` (any case, hyphens or underscores); ``KeyError`` lists close names."""
    return find(_BY_NAME, name, "stochastic")


def get(name: str) -> StochasticGame:
    """Build the stochastic zoo game called ``name``."""
    return entry(name).game()
