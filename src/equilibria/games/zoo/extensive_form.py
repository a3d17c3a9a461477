"""Named extensive-form games whose facts are known, each with its source.

Every entry is an :class:`ExtensiveZooEntry`: a constructor plus the facts a test, a solver or a report can check:
the game value for player 0 (two-player zero-sum games), the NashConv of the uniform and of the first-action
behaviour profiles (OpenSpiel's conventions, :mod:`equilibria.metrics.exploitability`), a known equilibrium where
the literature gives one, and the OpenSpiel game it reproduces.

Games that mirror OpenSpiel (Lanctot et al. 2019) reproduce its tree exactly: the same chance nodes in the same
order (cards are dealt one at a time, in increasing card order), the same legal actions in OpenSpiel's action order,
the same information partition, and OpenSpiel's ``returns()`` as payoffs. So
``equilibria.games.io.openspiel.from_openspiel(entry.openspiel)`` gives the same arrays (only the labels differ),
and policies index the same infoset-actions in both.

- **kuhn-poker** (Kuhn 1950): 3 cards J < Q < K, ante 1, one bet of 1. Actions ``check``/``bet`` with no bet
  to answer, ``fold``/``call`` facing a bet (OpenSpiel's pass/bet). Value -1/18.
- **leduc-poker** (Southey et al. 2005; OpenSpiel ``leduc_poker``): 6 cards, two suits of J, Q, K; ante 1;
  raises of 2 in round 1 and 4 in round 2, at most 2 per round; one public card is dealt between the rounds;
  player 0 acts first in both rounds. Actions in OpenSpiel's order ``fold, call, raise``; ``fold`` is legal only
  facing a raise and ``call`` with nothing to call is a check, so the first-action profile checks when it can
  and folds otherwise (NashConv 2). A private card pairing the public card beats any other hand, then the higher
  rank wins; equal ranks split the pot. Information sets: the player's own card (with its suit, as OpenSpiel
  with ``suit_isomorphism=False``), the public card and the betting so far: 936 sets, 9457 nodes.
- **minimax-lesson**: a 3-level perfect-information tree (MAX, MIN, MAX, then 12 leaves) for teaching minimax and
  alpha-beta pruning; its :class:`SearchFacts` record the minimax value and the leaves alpha-beta never visits.
- **tic-tac-toe**: the full game tree, 549946 nodes (255168 complete games: 131184 won by X, 77904 by O, 46080
  drawn), value 0. Built level by level with array operations (about 2 s, most of it the constructor's
  perfect-recall check) and cached: :func:`get` returns the same immutable game each time.
- **goofspiel-4**: OpenSpiel's ``goofspiel`` with ``num_cards=4, imp_info=True`` and its defaults for everything
  else: the prize cards come in *random* order (a chance node before each turn), payoffs are *win/loss* (+1 to the
  player with more points, -1 to the other, 0 each on a tie), and the simultaneous bids are sequentialised as
  ``pyspiel.convert_to_turn_based`` does (player 0 bids, then player 1 bids without seeing it). Each player sees
  the prize cards, its own bids and who won each turn (not the opponent's bids); a tied bid discards the prize.
  The last turn plays itself (one card left in every hand). Value 0 by symmetry.
- **matching-pennies-tree**: matching pennies as a tree in which player 1 does not see player 0's coin; value 0,
  unique equilibrium (1/2, 1/2) for both.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction as F

import numpy as np

from equilibria.core.errors import GameError
from equilibria.games.extensive_form import (
    TERMINAL,
    Chance,
    Decision,
    ExtensiveFormGame,
    Node,
    Terminal,
)
from equilibria.games.zoo._lookup import find
from equilibria.games.zoo.n_player_trees import jordan_pennies, selten_horse

__all__ = [
    "ENTRIES",
    "ExtensiveZooEntry",
    "SearchFacts",
    "entry",
    "get",
    "goofspiel",
    "known_policy",
    "kuhn_poker",
    "leduc_poker",
    "matching_pennies_tree",
    "minimax_lesson",
    "names",
    "tic_tac_toe",
]


@dataclass(frozen=True)
class SearchFacts:
    """What a perfect-information search should find (children searched in action order, left to right).

    Attributes:
      value: the minimax value for player 0 (MAX).
      principal_variation: the action labels from the root along the minimax line (first best action at ties).
      pruned_leaves: node labels of the leaves that alpha-beta (fail-hard, cut when ``alpha >= beta``) never
        evaluates.
      evaluated_leaves: how many leaves alpha-beta evaluates.
    """

    value: F
    principal_variation: tuple[str, ...]
    pruned_leaves: tuple[str, ...]
    evaluated_leaves: int


@dataclass(frozen=True)
class ExtensiveZooEntry:
    """A named extensive-form game and what is known about it.

    Attributes:
      name: the zoo key (kebab-case), used on the command line.
      description: one line for ``equilibria games``.
      build: returns the game.
      value: player 0's equilibrium value, for two-player zero-sum games.
      uniform_nash_conv: NashConv of the profile playing every information set uniformly.
      first_action_nash_conv: NashConv of the profile playing every information set's first action.
      known_equilibrium: a Nash equilibrium as ``(information set label, action probabilities)`` pairs, one per
        information set (see :func:`known_policy`).
      n_nodes, n_infosets: the size of the tree.
      openspiel: the ``pyspiel.load_game`` string of the game this entry reproduces node for node.
      search: facts for perfect-information search (minimax, alpha-beta).
      reference: where the facts come from.
    """

    name: str
    description: str
    build: Callable[[], ExtensiveFormGame]
    value: F | float | None = None
    uniform_nash_conv: F | float | None = None
    first_action_nash_conv: F | float | None = None
    known_equilibrium: tuple[tuple[str, tuple[F, ...]], ...] | None = None
    n_nodes: int | None = None
    n_infosets: int | None = None
    openspiel: str | None = None
    search: SearchFacts | None = None
    reference: str = ""

    def game(self) -> ExtensiveFormGame:
        return self.build()


def known_policy(game: ExtensiveFormGame, by_label: Sequence[tuple[str, Sequence[F | float]]]) -> np.ndarray:
    """``[n_infoset_actions]`` the behaviour profile given as (information set label, probabilities) pairs.

    Every information set of ``game`` must be listed exactly once (labels must be unique in the game).
    """
    index = {label: i for i, label in enumerate(game.infoset_labels)}
    if len(index) != game.n_infosets:
        raise GameError("known_policy(game): information set labels are not unique, so they cannot name sets")
    policy = np.full(game.n_infoset_actions, np.nan)
    for label, probabilities in by_label:
        if label not in index:
            raise GameError(f"known_policy(by_label): the game has no information set {label!r}")
        i = index[label]
        lo, hi = game.infoset_action_offset[i], game.infoset_action_offset[i + 1]
        if len(probabilities) != hi - lo:
            raise GameError(f"known_policy(by_label): information set {label!r} has {hi - lo} actions, got "
                            f"{len(probabilities)} probabilities")
        policy[lo:hi] = [float(p) for p in probabilities]
    missing = np.flatnonzero(np.isnan(policy[game.infoset_action_offset[:-1]]))
    if missing.size:
        raise GameError(f"known_policy(by_label): no probabilities for information set "
                        f"{game.infoset_labels[int(missing[0])]!r}")
    return game.check_policy(policy, "known_policy(by_label)")


# -- Kuhn poker ------------------------------------------------------------------------------------------------
_KUHN_CARDS = "JQK"


def kuhn_poker() -> ExtensiveFormGame:
    """Kuhn poker, dealt as OpenSpiel deals it: player 0's card, then player 1's from the two left.

    Information sets are labelled by the card and the betting so far: ``"Q"``, ``"K:check"``, ``"J:check,bet"``.
    """

    def showdown(cards: tuple[int, int], stake: float) -> Terminal:
        won = stake if cards[0] > cards[1] else -stake
        return Terminal((won, -won))

    def betting(cards: tuple[int, int]) -> Decision:
        mine, yours = _KUHN_CARDS[cards[0]], _KUHN_CARDS[cards[1]]
        after_check = Decision(1, f"{yours}:check", [
            ("check", showdown(cards, 1.0)),
            ("bet", Decision(0, f"{mine}:check,bet", [("fold", Terminal((-1.0, 1.0))),
                                                       ("call", showdown(cards, 2.0))])),
        ])
        after_bet = Decision(1, f"{yours}:bet", [("fold", Terminal((1.0, -1.0))), ("call", showdown(cards, 2.0))])
        return Decision(0, mine, [("check", after_check), ("bet", after_bet)])

    deal = Chance([
        (1 / 3, _KUHN_CARDS[first], Chance([
            (1 / 2, _KUHN_CARDS[second], betting((first, second))) for second in range(3) if second != first
        ])) for first in range(3)
    ])
    return ExtensiveFormGame.from_tree(deal, n_players=2, name="kuhn-poker")


def _kuhn_equilibrium(alpha: F) -> tuple[tuple[str, tuple[F, ...]], ...]:
    """Kuhn's equilibrium family (player 0 bets J with probability alpha in [0, 1/3]); value -1/18 for every alpha."""
    third = F(1, 3)

    def mix(p: F) -> tuple[F, F]:  # probability of the second action (bet / call)
        return (1 - p, p)

    return (
        ("J", mix(alpha)), ("Q", mix(F(0))), ("K", mix(3 * alpha)),
        ("J:check,bet", mix(F(0))), ("Q:check,bet", mix(alpha + third)), ("K:check,bet", mix(F(1))),
        ("J:check", mix(third)), ("Q:check", mix(F(0))), ("K:check", mix(F(1))),
        ("J:bet", mix(F(0))), ("Q:bet", mix(third)), ("K:bet", mix(F(1))),
    )


# -- Leduc poker -----------------------------------------------------------------------------------------------
_LEDUC_RAISE = {1: 2.0, 2: 4.0}
_LEDUC_MAX_RAISES = 2


def _leduc_card(card: int) -> str:
    """OpenSpiel's card ``c`` has rank ``c // 2`` (J, Q, K) and suit ``c % 2`` (written s, h)."""
    return "JQK"[card // 2] + "sh"[card % 2]


@dataclass(frozen=True)
class _LeducState:
    cards: tuple[int, int]
    public: int | None
    history: tuple[str, ...]  # one betting string per round so far, the current one last
    contributions: tuple[float, float]
    raises: int

    @property
    def round(self) -> int:
        return len(self.history)

    @property
    def to_move(self) -> int:
        return len(self.history[-1]) % 2  # player 0 opens both rounds, then the players alternate

    def infoset(self) -> str:
        player = self.to_move
        label = f"{_leduc_card(self.cards[player])}:{self.history[0]}"
        if self.public is not None:
            label += f"/{_leduc_card(self.public)}:{self.history[1]}"
        return label


def _leduc_node(state: _LeducState) -> Node:
    player = state.to_move
    facing = state.contributions[1 - player] > state.contributions[player]
    moves: list[tuple[str, Node]] = []
    if facing:
        folded = state.contributions[player]
        moves.append(("fold", Terminal((-folded, folded) if player == 0 else (folded, -folded))))
    moves.append(("call", _leduc_after_call(state)))
    if state.raises < _LEDUC_MAX_RAISES:
        contributions = list(state.contributions)
        contributions[player] = contributions[1 - player] + _LEDUC_RAISE[state.round]
        moves.append(("raise", _leduc_node(_LeducState(
            state.cards, state.public, (*state.history[:-1], state.history[-1] + "r"),
            (contributions[0], contributions[1]), state.raises + 1))))
    return Decision(player, state.infoset(), moves)


def _leduc_after_call(state: _LeducState) -> Node:
    stake = max(state.contributions)
    history = (*state.history[:-1], state.history[-1] + "c")
    if not state.history[-1]:  # an opening check: the other player still acts
        return _leduc_node(_LeducState(state.cards, state.public, history, (stake, stake), state.raises))
    if state.round == 1:  # the round is over: deal the public card from the four left
        left = [c for c in range(6) if c not in state.cards]
        return Chance([(1 / 4, _leduc_card(c), _leduc_node(_LeducState(state.cards, c, (*history, ""),
                                                                        (stake, stake), 0))) for c in left])
    assert state.public is not None
    return _leduc_showdown(state.cards, state.public, stake)


def _leduc_showdown(cards: tuple[int, int], public: int, stake: float) -> Terminal:
    def strength(card: int) -> tuple[bool, int]:
        return (card // 2 == public // 2, card // 2)  # a pair beats any high card; then the higher rank

    first, second = strength(cards[0]), strength(cards[1])
    won = stake if first > second else -stake if first < second else 0.0
    return Terminal((won, -won))


def leduc_poker() -> ExtensiveFormGame:
    """Leduc hold'em as OpenSpiel's ``leduc_poker`` with default parameters (see the module docstring).

    Information sets are labelled ``card:round-1 betting[/public card:round-2 betting]`` with ``c`` for a call
    (or check) and ``r`` for a raise, e.g. ``"Qh:rc/Ks:cr"``.
    """
    deal = Chance([
        (1 / 6, _leduc_card(first), Chance([
            (1 / 5, _leduc_card(second), _leduc_node(_LeducState((first, second), None, ("",), (1.0, 1.0), 0)))
            for second in range(6) if second != first
        ])) for first in range(6)
    ])
    return ExtensiveFormGame.from_tree(deal, n_players=2, name="leduc-poker")


# -- the minimax lesson ----------------------------------------------------------------------------------------
# Leaves left to right: MAX picks among A, B, C; MIN among X1, X2; MAX among X1a, X1b.
_LESSON_LEAVES = {"A1": (3, 5), "A2": (6, 9), "B1": (1, 2), "B2": (0, -1), "C1": (7, 4), "C2": (8, 6)}


def minimax_lesson() -> ExtensiveFormGame:
    """MAX (player 0) at the root and at depth 2, MIN (player 1) at depth 1, twelve leaves at depth 3.

    Every node is its own information set, labelled by its path (``"root"``, ``"A"``, ``"A1"``); actions and leaves
    are labelled by the path too (``"A1b"``), so node labels name leaves. Minimax values: A1=5, A2=9, A=5; B1=2,
    B2=0, B=0; C1=7, C2=8, C=7; root 7 by playing C. Alpha-beta from the left never evaluates A2b (A2 is worth
    at least 6 > 5 = A1 to MAX, so MIN avoids it), B2a and B2b (B is worth at most 2 < 5 already secured by A) and
    C2b (C2 is worth at least 8 > 7 = C1).
    """

    def max_node(path: str) -> Decision:
        leaves = _LESSON_LEAVES[path]
        return Decision(0, path, [(path + "ab"[i], Terminal((float(v), -float(v)))) for i, v in enumerate(leaves)])

    def min_node(path: str) -> Decision:
        return Decision(1, path, [(path + str(i), max_node(path + str(i))) for i in (1, 2)])

    root = Decision(0, "root", [(branch, min_node(branch)) for branch in "ABC"])
    return ExtensiveFormGame.from_tree(root, n_players=2, name="minimax-lesson", player_labels=("MAX", "MIN"))


# -- tic-tac-toe -----------------------------------------------------------------------------------------------
_LINES = np.array([(0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6)])
_CELLS = tuple(str(c) for c in range(9))


def _winner(boards: np.ndarray) -> np.ndarray:
    """``[m]`` 1 if X (player 0) has a line, 2 if O has, else 0; ``boards[m, 9]`` holds 0 (empty), 1 (X), 2 (O)."""
    lines = boards[:, _LINES]  # [m, 8, 3]
    full = (lines[:, :, 0] != 0) & (lines[:, :, 0] == lines[:, :, 1]) & (lines[:, :, 1] == lines[:, :, 2])
    return np.where(full.any(axis=1), np.max(np.where(full, lines[:, :, 0], 0), axis=1), 0)


@functools.cache
def tic_tac_toe() -> ExtensiveFormGame:
    """The full tic-tac-toe tree: X (player 0) moves first; +1 to the winner, -1 to the loser, 0 for a draw.

    Actions are the empty cells ``"0"``..``"8"`` (row by row) in increasing order, as in OpenSpiel. Every decision
    node is its own information set, labelled by the moves so far (``"4,0,8"``; the empty board is ``"start"``).
    Built breadth-first with one array operation per level; the result is cached and its arrays are read-only.
    """
    boards = np.zeros((1, 9), dtype=np.int8)
    histories = ["start"]
    parent_blocks, player_blocks, first_child_blocks, n_children_blocks, payoff_blocks = [], [], [], [], []
    edge_labels: list[str] = [""]
    infoset_labels: list[str] = []
    action_labels: list[tuple[str, ...]] = []
    actions_by_empties: dict[bytes, tuple[str, ...]] = {}
    parents = np.array([-1])
    start = 0  # number of the first node of the current level
    for depth in range(10):
        count = boards.shape[0]
        winner = _winner(boards)
        moving = (winner == 0) & np.any(boards == 0, axis=1)
        rows, cells = np.nonzero(boards[moving] == 0)  # children of each moving node, cells in increasing order
        movers = np.flatnonzero(moving)
        per_node = np.zeros(count, dtype=np.int64)
        per_node[movers] = np.bincount(rows, minlength=movers.size)
        level_end = start + count
        first_child = np.where(per_node > 0, level_end + np.cumsum(per_node) - per_node, -1)
        payoffs = np.zeros((count, 2))
        payoffs[winner == 1] = (1.0, -1.0)
        payoffs[winner == 2] = (-1.0, 1.0)
        parent_blocks.append(parents)
        player_blocks.append(np.where(moving, depth % 2, TERMINAL))
        first_child_blocks.append(first_child)
        n_children_blocks.append(per_node)
        payoff_blocks.append(payoffs)
        for m in movers:
            empties = (boards[m] == 0).tobytes()
            if empties not in actions_by_empties:
                actions_by_empties[empties] = tuple(_CELLS[c] for c in np.flatnonzero(boards[m] == 0))
            action_labels.append(actions_by_empties[empties])
            infoset_labels.append(histories[m])
        children = boards[movers[rows]].copy()
        children[np.arange(rows.size), cells] = 1 + depth % 2
        histories = [_CELLS[c] if histories[m] == "start" else f"{histories[m]},{_CELLS[c]}"
                     for m, c in zip(movers[rows].tolist(), cells.tolist(), strict=True)]
        edge_labels.extend(_CELLS[c] for c in cells.tolist())
        parents = start + movers[rows]
        boards = children
        start = level_end
        if boards.shape[0] == 0:
            break
    player = np.concatenate(player_blocks)
    infoset = np.full(player.shape[0], -1, dtype=np.int64)
    infoset[player >= 0] = np.arange(int(np.sum(player >= 0)))
    arrays = {
        "parent": np.concatenate(parent_blocks), "player": player, "first_child": np.concatenate(first_child_blocks),
        "n_children": np.concatenate(n_children_blocks), "chance_prob": np.ones(player.shape[0]),
        "infoset": infoset, "payoffs": np.concatenate(payoff_blocks),
        "infoset_player": player[player >= 0].astype(np.int64),
    }
    for array in arrays.values():
        array.flags.writeable = False  # the cached game is shared: nobody may change it under another caller
    return ExtensiveFormGame(
        n_players=2, infoset_labels=tuple(infoset_labels), action_labels=tuple(action_labels),
        node_labels=tuple(edge_labels), player_labels=("X", "O"), name="tic-tac-toe", **arrays)


# -- Goofspiel -------------------------------------------------------------------------------------------------
def goofspiel(num_cards: int = 4) -> ExtensiveFormGame:
    """Imperfect-information Goofspiel as OpenSpiel's ``goofspiel(num_cards=n, imp_info=True)`` turned turn-based.

    Prize cards are drawn uniformly at random (chance outcomes ``"prize k"`` in increasing k), player 0 bids a card
    (``"bid k"``, in increasing k), then player 1 bids without seeing that bid; the higher bid wins the prize's
    points, a tie discards it. With one card left in every hand the last turn plays itself. Payoffs are win/loss:
    +1 / -1 by total points, 0 each on a tie. A player's information set is labelled by what it has seen:
    ``"P1 prizes=4,2 bids=3 wins=0"`` (the prizes so far, its own bids, and each finished turn's winner: 0 or 1,
    ``-`` for a tie).
    """
    if isinstance(num_cards, bool) or not isinstance(num_cards, int) or not 2 <= num_cards <= 6:
        raise GameError(f"goofspiel(num_cards): expected an integer from 2 to 6, got {num_cards!r}")
    cards = tuple(range(1, num_cards + 1))

    def points_to_payoffs(points: tuple[int, int]) -> Terminal:
        sign = float(np.sign(points[0] - points[1]))
        return Terminal((sign, -sign))

    def resolve(prize: int, bids: tuple[int, int], points: tuple[int, int]) -> tuple[str, tuple[int, int]]:
        if bids[0] == bids[1]:
            return "-", points
        winner = 0 if bids[0] > bids[1] else 1
        scored = (points[0] + prize * (winner == 0), points[1] + prize * (winner == 1))
        return str(winner), scored

    def label(player: int, prizes: tuple[int, ...], bids: tuple[int, ...], wins: tuple[str, ...]) -> str:
        return (f"P{player} prizes={','.join(map(str, prizes))} bids={','.join(map(str, bids))} "
                f"wins={','.join(wins)}")

    def turn(prizes_left: tuple[int, ...], hands: tuple[tuple[int, ...], tuple[int, ...]],
             prizes: tuple[int, ...], bids: tuple[tuple[int, ...], tuple[int, ...]], wins: tuple[str, ...],
             points: tuple[int, int]) -> Node:
        if len(prizes_left) == 1:  # the last turn plays itself
            _, final = resolve(prizes_left[0], (hands[0][0], hands[1][0]), points)
            return points_to_payoffs(final)
        outcomes: list[tuple[float, str, Node]] = []
        for prize in prizes_left:
            seen = (*prizes, prize)

            def second_bid(first: int, prize: int = prize, seen: tuple[int, ...] = seen) -> Decision:
                moves: list[tuple[str, Node]] = []
                for bid in hands[1]:
                    outcome, scored = resolve(prize, (first, bid), points)
                    moves.append((f"bid {bid}", turn(
                        tuple(p for p in prizes_left if p != prize),
                        (tuple(c for c in hands[0] if c != first), tuple(c for c in hands[1] if c != bid)),
                        seen, ((*bids[0], first), (*bids[1], bid)), (*wins, outcome), scored)))
                return Decision(1, label(1, seen, bids[1], wins), moves)

            first_bid = Decision(0, label(0, seen, bids[0], wins),
                                 [(f"bid {bid}", second_bid(bid)) for bid in hands[0]])
            outcomes.append((1 / len(prizes_left), f"prize {prize}", first_bid))
        return Chance(outcomes)

    root = turn(cards, (cards, cards), (), ((), ()), (), (0, 0))
    return ExtensiveFormGame.from_tree(root, n_players=2, name=f"goofspiel-{num_cards}")


# -- matching pennies ------------------------------------------------------------------------------------------
def matching_pennies_tree() -> ExtensiveFormGame:
    """Player 0 shows heads or tails; player 1, not seeing it, does too; player 0 wins 1 on a match, loses 1 else."""
    coins = ("heads", "tails")

    def second(first: int) -> Decision:
        return Decision(1, "P1", [(c, Terminal((1.0, -1.0) if first == i else (-1.0, 1.0)))
                                  for i, c in enumerate(coins)])

    root = Decision(0, "P0", [(c, second(i)) for i, c in enumerate(coins)])
    return ExtensiveFormGame.from_tree(root, n_players=2, name="matching-pennies-tree")


_HALF = (F(1, 2), F(1, 2))

ENTRIES: tuple[ExtensiveZooEntry, ...] = (
    ExtensiveZooEntry(
        "kuhn-poker", "Kuhn poker: 3 cards, ante 1, one bet; value -1/18 for the first player",
        kuhn_poker, value=F(-1, 18), uniform_nash_conv=F(11, 12), first_action_nash_conv=F(2),
        known_equilibrium=_kuhn_equilibrium(F(0)), n_nodes=58, n_infosets=12, openspiel="kuhn_poker",
        reference="Kuhn (1950), A simplified two-person poker; equilibrium family as in Hoehn et al. (2005); "
                  "NashConv figures from OpenSpiel (Lanctot et al. 2019)"),
    ExtensiveZooEntry(
        "leduc-poker", "Leduc hold'em (OpenSpiel leduc_poker): 6 cards, 2 rounds, public card; value -0.0856",
        leduc_poker, value=-0.085606424078, uniform_nash_conv=4.747222222222222, first_action_nash_conv=F(2),
        n_nodes=9457, n_infosets=936, openspiel="leduc_poker",
        reference="Southey et al. (2005), Bayes' bluff; rules and figures as OpenSpiel's leduc_poker (Lanctot et "
                  "al. 2019)"),
    ExtensiveZooEntry(
        "minimax-lesson", "3-level perfect-information lesson tree (MAX, MIN, MAX, 12 leaves): value 7, alpha-beta "
                          "skips 4 leaves",
        minimax_lesson, value=F(7), uniform_nash_conv=F(9, 2), first_action_nash_conv=F(4), n_nodes=22, n_infosets=10,
        search=SearchFacts(value=F(7), principal_variation=("C", "C1", "C1a"),
                           pruned_leaves=("A2b", "B2a", "B2b", "C2b"), evaluated_leaves=8),
        reference="constructed for this library in the style of Russell and Norvig, Artificial Intelligence: A "
                  "Modern Approach, sections 5.2-5.3; every fact is recomputed by the tests"),
    ExtensiveZooEntry(
        "tic-tac-toe", "tic-tac-toe, the full tree (549946 nodes, built lazily and cached): value 0",
        tic_tac_toe, value=F(0), n_nodes=549946, n_infosets=294778, openspiel="tic_tac_toe",
        reference="255168 complete games (131184 X wins, 77904 O wins, 46080 draws); OpenSpiel tic_tac_toe"),
    ExtensiveZooEntry(
        "goofspiel-4", "imperfect-information Goofspiel, 4 cards, random prize order, win/loss payoffs: value 0",
        goofspiel, value=F(0), uniform_nash_conv=F(17, 12), first_action_nash_conv=F(2), n_nodes=26773,
        n_infosets=3608, openspiel="turn_based_simultaneous_game(game=goofspiel(num_cards=4,imp_info=True))",
        reference="Ross (1971), Goofspiel -- the game of pure strategy; OpenSpiel goofspiel with num_cards=4, "
                  "imp_info=True and default points_order=random, returns_type=win_loss"),
    ExtensiveZooEntry(
        "matching-pennies-tree", "matching pennies as a tree, player 1 does not see player 0's coin: value 0",
        matching_pennies_tree, value=F(0), uniform_nash_conv=F(0), first_action_nash_conv=F(2),
        known_equilibrium=(("P0", _HALF), ("P1", _HALF)), n_nodes=7, n_infosets=2, reference="textbook"),
    ExtensiveZooEntry(
        "selten-horse", "Selten's horse: 3 players, no proper subgame; Nash components (across, across, left <= 1/4) "
                        "(perfect) and (down, down <= 2/3, left)",
        selten_horse, uniform_nash_conv=F(5, 8), first_action_nash_conv=F(5),
        known_equilibrium=(("P1", (F(1), F(0))), ("P2", (F(1), F(0))), ("P3", (F(0), F(1)))), n_nodes=9,
        n_infosets=3, reference="Selten (1975), Reexamination of the perfectness concept for equilibrium points in "
                                "extensive games, IJGT 4, Figure 1; Gambit catalog/journals/ijgt/selten1975/fig1.efg"),
    ExtensiveZooEntry(
        "jordan-pennies", "Jordan's three-player matching pennies as a tree: unique equilibrium, all mix 1/2",
        jordan_pennies, uniform_nash_conv=F(0), first_action_nash_conv=F(1),
        known_equilibrium=(("P1", _HALF), ("P2", _HALF), ("P3", _HALF)), n_nodes=15, n_infosets=3,
        reference="Jordan (1993), Three problems in learning mixed-strategy Nash equilibria, GEB 5"),
)

_BY_NAME = {e.name: e for e in ENTRIES}


def names() -> tuple[str, ...]:
    return tuple(_BY_NAME)


def entry(name: str) -> ExtensiveZooEntry:
    """The zoo entry called ``name``; ``KeyError`` lists close names when unknown."""
    return find(_BY_NAME, name, "extensive-form zoo")


def get(name: str) -> ExtensiveFormGame:
    """Build the extensive-form zoo game called ``name``."""
    return entry(name).game()

