"""Extensive-form (game-tree) games with chance and imperfect information, stored as flat arrays.

Conventions (written once, here):

- **Nodes** are numbered in breadth-first order: node 0 is the root, ``parent[k] < k``, and the children of a node are
  the contiguous block ``first_child[k] : first_child[k] + n_children[k]``, in action order. ``depth[k]`` is the
  number of moves from the root; :attr:`ExtensiveFormGame.levels` lists the nodes of each depth, so algorithms sweep
  the tree level by level with array operations (forward for reach probabilities, backward for values) instead of
  recursing in Python. Deep trees (more than ``_LEVEL_LOOP_MAX`` levels, e.g. a chain of 10**5 moves) would make
  that one array operation per level; forward passes there jump along the paths instead (pointer jumping: every
  node doubles the stretch of path it has covered, ``log2(depth)`` passes over all nodes), so every pass stays
  linear (times ``log2(depth)``) in the tree's size.
- **Who moves.** ``player[k]`` is the acting player ``0..n_players-1``, :data:`CHANCE` (-1) or :data:`TERMINAL` (-2).
  Chance nodes carry the probability of each outgoing edge in ``chance_prob[child]`` (1 for every other edge).
- **Payoffs are utilities to maximise** (as for normal-form games): ``payoffs[k, i]`` is player ``i``'s utility at
  terminal node ``k`` (0 at other nodes).
- **Information sets.** ``infoset[k]`` is the information set of a decision node (-1 otherwise). All nodes of an
  information set belong to one player and have the same number of actions; the game must have **perfect recall**
  (every node of an information set is reached by the same sequence of its player's own actions), which the
  constructor checks.
- **Infoset-actions** are numbered ``0..n_infoset_actions-1``: information set ``I``'s actions are
  ``infoset_action_offset[I] + a``. A **behaviour profile** (``policy``) is one flat array ``[n_infoset_actions]`` of
  action probabilities, summing to 1 within each information set; CFR's regrets and averages use the same indexing.
- **Sequences.** Player ``p``'s sequences are the empty sequence (index 0) and one sequence per infoset-action of
  ``p`` (index ``1 + rank`` of that infoset-action among ``p``'s). ``infoset_parent_sequence[I]`` is the sequence of
  its player that leads to ``I``; ``node_sequence[k, p]`` is player ``p``'s last sequence on the path to node ``k``.
  These are the index sets of the sequence form (Koller, Megiddo and von Stengel 1996; von Stengel 1996).

- **Exact numbers.** ``payoffs`` and ``chance_prob`` are floats. A game may also keep the exact values it was
  written with (``exact_payoffs: [n_nodes, n_players]``, ``exact_chance_prob: [n_nodes]``, Fractions; the ``.efg``
  reader and :meth:`ExtensiveFormGame.from_tree` keep them when a number is not its float's shortest decimal, e.g.
  ``1/3``). Exact solvers read :meth:`ExtensiveFormGame.fraction_payoffs` and
  :meth:`ExtensiveFormGame.fraction_chance_prob`: the kept values, else each float's shortest decimal (payoffs)
  or the simplest fraction with denominator up to 10**6 that rounds to it (chance probabilities, so a stored
  1/6 is read as 1/6).

Trees are written in Python with :class:`Terminal`, :class:`Chance` and :class:`Decision` and flattened by
:meth:`ExtensiveFormGame.from_tree`; validation raises :class:`equilibria.GameError` naming the node.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from typing import Any

import numpy as np

from equilibria.core.errors import GameError
from equilibria.core.rational import reads_back, to_fraction, to_fraction_array

CHANCE = -1
TERMINAL = -2
_PROBABILITY_TOL = 1e-9
# Largest denominator tried when reading a float chance probability as a fraction (see the module docstring).
_CHANCE_DENOMINATOR = 10**6


def exact_probability(p: float) -> Fraction:
    """The simplest fraction (denominator up to 10**6) that rounds to the float ``p``, else its shortest decimal."""
    simple = Fraction(p).limit_denominator(_CHANCE_DENOMINATOR)
    return simple if float(simple) == p else to_fraction(p)


# -- the nested description users write ------------------------------------------------------------------------
@dataclass(frozen=True)
class Terminal:
    """A leaf: one utility per player."""

    payoffs: Sequence[float]
    label: str = ""


@dataclass(frozen=True)
class Chance:
    """A chance node: ``outcomes`` are ``(probability, label, subtree)`` triples."""

    outcomes: Sequence[tuple[float, str, Any]]
    label: str = ""


@dataclass(frozen=True)
class Decision:
    """A decision node of ``player`` in information set ``infoset`` (a name shared by indistinguishable nodes):
    ``moves`` are ``(action label, subtree)`` pairs, in the same action order at every node of the set."""

    player: int
    infoset: str
    moves: Sequence[tuple[str, Any]]
    label: str = ""


Node = Terminal | Chance | Decision


# -- the flat game ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class ExtensiveFormGame:
    """A finite extensive-form game (see the module docstring for every array's meaning).

    Build one with :meth:`from_tree`; the constructor validates the arrays.
    """

    n_players: int
    parent: np.ndarray
    player: np.ndarray
    first_child: np.ndarray
    n_children: np.ndarray
    chance_prob: np.ndarray
    infoset: np.ndarray
    payoffs: np.ndarray
    infoset_player: np.ndarray
    infoset_labels: tuple[str, ...]
    action_labels: tuple[tuple[str, ...], ...]
    node_labels: tuple[str, ...] = ()
    player_labels: tuple[str, ...] | None = None
    name: str = ""
    exact_payoffs: np.ndarray | None = field(default=None, repr=False)
    exact_chance_prob: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        _validate(self)
        _validate_exact(self)

    # -- exact numbers (module docstring) ----------------------------------------------------------------------
    def fraction_payoffs(self) -> np.ndarray:
        """``[n_nodes, n_players]`` the payoffs as Fractions: the kept exact values, else shortest decimals."""
        if self.exact_payoffs is not None:
            return self.exact_payoffs
        return self._fraction_cache("_fraction_payoffs", lambda: to_fraction_array(self.payoffs))

    def fraction_chance_prob(self) -> np.ndarray:
        """``[n_nodes]`` the chance probabilities as Fractions (1 on edges that are not chance outcomes)."""
        if self.exact_chance_prob is not None:
            return self.exact_chance_prob
        return self._fraction_cache(
            "_fraction_chance", lambda: np.array([exact_probability(float(p)) for p in self.chance_prob], dtype=object))

    def _fraction_cache(self, key: str, build: Any) -> np.ndarray:
        cached = self.__dict__.get(key)
        if cached is None:  # not a field: the game stays as built
            cached = build()
            cached.setflags(write=False)
            object.__setattr__(self, key, cached)
        return cached

    # -- construction ------------------------------------------------------------------------------------------
    @classmethod
    def from_tree(cls, root: Node, *, n_players: int | None = None, name: str = "",
                  player_labels: Sequence[str] | None = None) -> ExtensiveFormGame:
        """Flatten a tree of :class:`Terminal`, :class:`Chance` and :class:`Decision` nodes (breadth-first)."""
        return _flatten(root, n_players, name, player_labels)

    # -- sizes -------------------------------------------------------------------------------------------------
    @property
    def n_nodes(self) -> int:
        return int(self.parent.shape[0])

    @property
    def n_infosets(self) -> int:
        return int(self.infoset_player.shape[0])

    @cached_property
    def infoset_n_actions(self) -> np.ndarray:
        """``[n_infosets]`` number of actions of each information set."""
        return np.array([len(a) for a in self.action_labels], dtype=np.int64)

    @cached_property
    def infoset_action_offset(self) -> np.ndarray:
        """``[n_infosets + 1]``: information set ``I``'s actions are ``offset[I] : offset[I + 1]``."""
        return np.concatenate([[0], np.cumsum(self.infoset_n_actions)]).astype(np.int64)

    @property
    def n_infoset_actions(self) -> int:
        return int(self.infoset_action_offset[-1])

    @cached_property
    def action_infoset(self) -> np.ndarray:
        """``[n_infoset_actions]`` the information set of each infoset-action."""
        return np.repeat(np.arange(self.n_infosets), self.infoset_n_actions)

    @cached_property
    def action_player(self) -> np.ndarray:
        """``[n_infoset_actions]`` the player of each infoset-action."""
        return self.infoset_player[self.action_infoset]

    @cached_property
    def levels(self) -> tuple[np.ndarray, ...]:
        """The nodes of each depth, root first (breadth-first numbering makes each a contiguous range)."""
        return tuple(np.arange(lo, hi) for lo, hi in self._bounds)

    @cached_property
    def _bounds(self) -> list[tuple[int, int]]:
        """``(start, stop)`` of each level (:attr:`levels` without an array per level)."""
        return _level_bounds(self.n_children)

    @cached_property
    def depth(self) -> np.ndarray:
        """``[n_nodes]`` moves from the root."""
        sizes = [hi - lo for lo, hi in self._bounds]
        return np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)

    @cached_property
    def parent_action(self) -> np.ndarray:
        """``[n_nodes]`` the index of the move that leads from ``parent[k]`` to ``k`` (-1 at the root)."""
        out = np.full(self.n_nodes, -1, dtype=np.int64)
        children = np.arange(1, self.n_nodes)
        out[1:] = children - self.first_child[self.parent[1:]]
        return out

    @cached_property
    def edge_action(self) -> np.ndarray:
        """``[n_nodes]`` the infoset-action on the edge into ``k`` (-1 below chance nodes and at the root)."""
        out = np.full(self.n_nodes, -1, dtype=np.int64)
        k = np.arange(1, self.n_nodes)
        parents = self.parent[k]
        decided = self.player[parents] >= 0
        out[k[decided]] = self.infoset_action_offset[self.infoset[parents[decided]]] + self.parent_action[k[decided]]
        return out

    @cached_property
    def terminals(self) -> np.ndarray:
        return np.flatnonzero(self.player == TERMINAL)

    # -- sequences (perfect recall is checked on construction) --------------------------------------------------
    @cached_property
    def sequence_of_action(self) -> np.ndarray:
        """``[n_infoset_actions]`` the sequence index (within its player's sequences) of each infoset-action."""
        out = np.zeros(self.n_infoset_actions, dtype=np.int64)
        for p in range(self.n_players):
            mine = np.flatnonzero(self.action_player == p)
            out[mine] = 1 + np.arange(mine.shape[0])
        return out

    @cached_property
    def n_sequences(self) -> tuple[int, ...]:
        """Per player: 1 (the empty sequence) + the number of its infoset-actions."""
        return tuple(1 + int(np.sum(self.action_player == p)) for p in range(self.n_players))

    @cached_property
    def node_sequence(self) -> np.ndarray:
        """``[n_nodes, n_players]`` each player's last sequence on the path from the root to the node."""
        return _node_sequences(self)

    @cached_property
    def infoset_parent_sequence(self) -> np.ndarray:
        """``[n_infosets]`` the sequence of the infoset's player that leads to it (0: the empty sequence)."""
        out = np.zeros(self.n_infosets, dtype=np.int64)
        decision = np.flatnonzero(self.infoset >= 0)
        sets = self.infoset[decision]
        out[sets] = self.node_sequence[decision, self.infoset_player[sets]]
        return out

    # -- policies ----------------------------------------------------------------------------------------------
    def uniform_policy(self) -> np.ndarray:
        """``[n_infoset_actions]`` every information set plays its actions uniformly."""
        return 1.0 / self.infoset_n_actions[self.action_infoset]

    def first_action_policy(self) -> np.ndarray:
        """``[n_infoset_actions]`` every information set plays its first action."""
        policy = np.zeros(self.n_infoset_actions)
        policy[self.infoset_action_offset[:-1]] = 1.0
        return policy

    def check_policy(self, policy: Any, caller: str = "policy", tol: float = 1e-6) -> np.ndarray:
        """Validate a behaviour profile: shape ``[n_infoset_actions]``, finite, nonnegative, summing to 1 per set."""
        arr = np.asarray(policy, dtype=float)
        if arr.shape == (self.n_infoset_actions,) and self.n_infosets and np.minimum.reduce(arr) >= -tol:
            # The usual case in two reductions (NaN fails the first test, an infinity the second): the checks below
            # only run to find what is wrong.
            totals = np.add.reduceat(arr, self.infoset_action_offset[:-1])
            if np.maximum.reduce(np.abs(totals - 1)) <= tol:
                return arr
        if arr.shape != (self.n_infoset_actions,):
            raise GameError(f"{caller}: expected a behaviour profile of shape ({self.n_infoset_actions},) (one "
                            f"probability per infoset-action), got {arr.shape}")
        if not np.all(np.isfinite(arr)) or np.any(arr < -tol):
            raise GameError(f"{caller}: probabilities must be finite and nonnegative")
        totals = np.add.reduceat(arr, self.infoset_action_offset[:-1]) if self.n_infosets else np.zeros(0)
        bad = np.flatnonzero(np.abs(totals - 1) > tol)
        if bad.size:
            i = int(bad[0])
            raise GameError(f"{caller}: probabilities at information set {self.infoset_labels[i]!r} sum to "
                            f"{totals[i]:.6g}, not 1")
        return arr

    def reach_probabilities(self, policy: np.ndarray) -> np.ndarray:
        """``[n_nodes]`` probability of reaching each node when everyone (and chance) plays ``policy``."""
        return _path_products(self, self.edge_probabilities(policy))

    def edge_probabilities(self, policy: np.ndarray) -> np.ndarray:
        """``[n_nodes]`` probability of the edge into each node (chance probability or the acting player's)."""
        prob = self.chance_prob.copy()
        decided = self.edge_action >= 0
        prob[decided] = policy[self.edge_action[decided]]
        return prob

    def expected_payoffs(self, policy: Any) -> np.ndarray:
        """``[n_players]`` each player's expected utility under the behaviour profile."""
        arr = self.check_policy(policy, "ExtensiveFormGame.expected_payoffs(policy)")
        return self.reach_probabilities(arr) @ self.payoffs

    # -- properties --------------------------------------------------------------------------------------------
    def is_zero_sum(self, tol: float = 1e-12) -> bool:
        total = self.payoffs[self.terminals].sum(axis=1)
        return bool(np.all(np.abs(total) <= tol * max(1.0, float(np.abs(self.payoffs).max()))))

    @property
    def has_chance(self) -> bool:
        return bool(np.any(self.player == CHANCE))

    @property
    def is_perfect_information(self) -> bool:
        decision = self.infoset[self.infoset >= 0]
        return bool(np.unique(decision).shape[0] == decision.shape[0])

    def infoset_nodes(self, infoset: int) -> np.ndarray:
        return np.flatnonzero(self.infoset == infoset)

    def describe(self) -> str:
        label = f"{self.name}: " if self.name else ""
        return (f"{label}{self.n_players}-player tree, {self.n_nodes} nodes, {self.n_infosets} information sets"
                f"{', chance' if self.has_chance else ''}")

    def __repr__(self) -> str:
        return f"ExtensiveFormGame({self.describe()})"


# -- flattening ------------------------------------------------------------------------------------------------
def _flatten(root: Node, n_players: int | None, name: str, player_labels: Sequence[str] | None) -> ExtensiveFormGame:
    nodes: list[Node] = [root]
    parent, first_child, n_children, chance_prob, labels = [-1], [], [], [1.0], [getattr(root, "label", "")]
    raw_chance: list[Any] = [1]  # the probabilities as written (Fractions stay exact)
    k = 0
    while k < len(nodes):  # breadth-first: children are appended as one contiguous block
        node = nodes[k]
        children = _children(node, k, labels[k])
        first_child.append(len(nodes) if children else -1)
        n_children.append(len(children))
        for prob, label, child in children:
            nodes.append(child)
            parent.append(k)
            chance_prob.append(float(prob))
            raw_chance.append(prob)
            labels.append(label)
        k += 1
    players = sorted({n.player for n in nodes if isinstance(n, Decision)})
    count = n_players if n_players is not None else (max(players) + 1 if players else 1)
    terminal_nodes = [k for k, n in enumerate(nodes) if isinstance(n, Terminal)]
    written = [nodes[k].payoffs for k in terminal_nodes]  # type: ignore[union-attr]
    payoff_lengths = {_size(p) for p in written}
    if n_players is None and payoff_lengths:
        count = max(count, *payoff_lengths)
    infoset_index: dict[tuple[int, str], int] = {}
    infoset = np.full(len(nodes), -1, dtype=np.int64)
    player = np.full(len(nodes), TERMINAL, dtype=np.int64)
    payoffs = np.zeros((len(nodes), count))
    exact_payoffs = _exact_terminal_payoffs(nodes, count)
    checked = _checked_payoffs(written, count)  # all at once; None: some are wrong, checked one by one below
    action_labels: list[tuple[str, ...]] = []
    infoset_player: list[int] = []
    infoset_labels: list[str] = []
    for k, node in enumerate(nodes):
        if isinstance(node, Terminal):
            if checked is None:
                payoffs[k] = _terminal_payoffs(node, count, labels[k])
        elif isinstance(node, Chance):
            player[k] = CHANCE
        else:
            player[k] = node.player
            key = (node.player, str(node.infoset))
            moves = tuple(str(m[0]) for m in node.moves)
            if key not in infoset_index:
                infoset_index[key] = len(infoset_player)
                infoset_player.append(node.player)
                infoset_labels.append(str(node.infoset))
                action_labels.append(moves)
            elif action_labels[infoset_index[key]] != moves:
                raise GameError(f"ExtensiveFormGame: information set {node.infoset!r} has actions "
                                f"{action_labels[infoset_index[key]]} at one node and {moves} at node {labels[k]!r}; "
                                f"every node of an information set needs the same actions")
            infoset[k] = infoset_index[key]
    if checked is not None and terminal_nodes:
        payoffs[terminal_nodes] = checked
    return ExtensiveFormGame(
        n_players=count, parent=np.asarray(parent, dtype=np.int64), player=player,
        first_child=np.asarray(first_child, dtype=np.int64), n_children=np.asarray(n_children, dtype=np.int64),
        chance_prob=np.asarray(chance_prob, dtype=float), infoset=infoset, payoffs=payoffs,
        infoset_player=np.asarray(infoset_player, dtype=np.int64), infoset_labels=tuple(infoset_labels),
        action_labels=tuple(action_labels), node_labels=tuple(labels), name=name,
        player_labels=tuple(player_labels) if player_labels is not None else None,
        exact_payoffs=exact_payoffs, exact_chance_prob=_exact_chance(raw_chance))


def _children(node: Any, index: int, label: str) -> list[tuple[float, str, Any]]:
    where = f"node {index}" + (f" ({label!r})" if label else "")
    if isinstance(node, Terminal):
        return []
    if isinstance(node, Chance):
        if not node.outcomes:
            raise GameError(f"ExtensiveFormGame: chance {where} has no outcomes")
        probs = []
        for outcome in node.outcomes:
            if not (isinstance(outcome, tuple | list) and len(outcome) == 3):
                raise GameError(f"ExtensiveFormGame: chance {where}: outcomes must be (probability, label, subtree)")
            try:
                probs.append(float(outcome[0]))
            except (TypeError, ValueError):
                raise GameError(f"ExtensiveFormGame: chance {where}: probability {outcome[0]!r} is not a "
                                f"number") from None
        arr = np.asarray(probs)
        if not np.all(np.isfinite(arr)) or np.any(arr < 0) or abs(arr.sum() - 1) > _PROBABILITY_TOL:
            raise GameError(f"ExtensiveFormGame: chance probabilities at {where} are {probs}; they must be "
                            f"nonnegative and sum to 1 (they sum to {arr.sum():.12g})")
        return [(p if isinstance(p, Fraction) else float(p), str(lab), sub) for p, lab, sub in node.outcomes]
    if isinstance(node, Decision):
        if isinstance(node.player, bool) or not isinstance(node.player, int | np.integer) or node.player < 0:
            raise GameError(f"ExtensiveFormGame: decision {where}: player must be an integer >= 0, "
                            f"got {node.player!r}")
        if not node.moves:
            raise GameError(f"ExtensiveFormGame: decision {where} has no moves")
        if not all(isinstance(m, tuple | list) and len(m) == 2 for m in node.moves):
            raise GameError(f"ExtensiveFormGame: decision {where}: moves must be (action label, subtree) pairs")
        return [(1.0, str(m[0]), m[1]) for m in node.moves]
    raise GameError(f"ExtensiveFormGame: {where} is a {type(node).__name__}; expected Terminal, Chance or Decision")


def _size(payoffs: Any) -> int:
    """``np.size(payoffs)``, quicker for a flat tuple or list of numbers."""
    if type(payoffs) in (tuple, list) and all(type(v) in (int, float) for v in payoffs):
        return len(payoffs)
    return int(np.size(payoffs))


def _checked_payoffs(written: list[Any], count: int) -> np.ndarray | None:
    """``[n_terminals, count]`` every terminal's payoffs as floats when all are valid, else None."""
    try:
        arr = np.array(written, dtype=float)
    except (TypeError, ValueError):
        return None
    if arr.shape != (len(written), count) or not np.all(np.isfinite(arr)):
        return None
    return arr


def _terminal_payoffs(node: Terminal, count: int, label: str) -> np.ndarray:
    if np.ndim(node.payoffs) != 1:
        raise GameError(f"ExtensiveFormGame: terminal {label!r}: payoffs must be a sequence with one number per "
                        f"player, got {node.payoffs!r}")
    try:
        arr = np.asarray(node.payoffs, dtype=float)
    except (TypeError, ValueError):
        raise GameError(f"ExtensiveFormGame: terminal {label!r}: payoffs must be numbers, got "
                        f"{node.payoffs!r}") from None
    if arr.shape != (count,):
        raise GameError(f"ExtensiveFormGame: terminal {label!r} has {arr.size} payoffs, expected {count}")
    if not np.all(np.isfinite(arr)):
        raise GameError(f"ExtensiveFormGame: terminal {label!r} has a NaN or infinite payoff")
    return arr


def _exact_terminal_payoffs(nodes: list[Node], count: int) -> np.ndarray | None:
    """``[n_nodes, count]`` Fractions when some terminal's payoffs were written as Fractions that their floats do
    not carry, else None (the floats' shortest decimals say the same)."""
    written = [(k, n.payoffs) for k, n in enumerate(nodes) if isinstance(n, Terminal)]
    if not any(isinstance(v, Fraction) and not reads_back(v, float(v))
               for _, payoffs in written if type(payoffs) in (tuple, list) or np.ndim(payoffs) == 1
               for v in payoffs):
        return None
    out = np.array([[Fraction(0)] * count for _ in nodes], dtype=object).reshape(len(nodes), count)
    for k, payoffs in written:
        out[k] = [v if isinstance(v, Fraction) else to_fraction(v) for v in payoffs]
    return out


def _exact_chance(raw: list[Any]) -> np.ndarray | None:
    """``[n_nodes]`` Fractions when some chance probability was written as a Fraction that the float-to-fraction
    reading (:func:`exact_probability`) would not recover, else None."""
    if not any(isinstance(p, Fraction) and exact_probability(float(p)) != p for p in raw):
        return None
    return np.array([p if isinstance(p, Fraction) else exact_probability(float(p)) for p in raw], dtype=object)


# -- validation ------------------------------------------------------------------------------------------------
def _validate_exact(game: ExtensiveFormGame) -> None:
    """The kept exact values agree with the float arrays (their nearest floats) and form a valid game."""
    n = game.parent.shape[0]
    for name, floats, shape in (("exact_payoffs", game.payoffs, (n, game.n_players)),
                                ("exact_chance_prob", game.chance_prob, (n,))):
        exact = getattr(game, name)
        if exact is None:
            continue
        arr = np.asarray(exact, dtype=object)
        if arr.shape != shape or not all(isinstance(v, Fraction | int) for v in arr.flat):
            raise GameError(f"ExtensiveFormGame.{name}: expected Fractions of shape {shape}, got {arr.shape}")
        arr = np.vectorize(Fraction, otypes=[object])(arr) if arr.size else arr
        if not np.array_equal(np.asarray(arr, dtype=float), floats):
            raise GameError(f"ExtensiveFormGame.{name}: the float array must hold the nearest floats of the exact "
                            f"values")
        arr.setflags(write=False)
        object.__setattr__(game, name, arr)
    if game.exact_chance_prob is not None:
        for node in np.flatnonzero(game.player == CHANCE):
            start, count = game.first_child[node], game.n_children[node]
            if sum(game.exact_chance_prob[start:start + count]) != 1:
                raise GameError(f"ExtensiveFormGame: exact chance probabilities at node {_name(game, int(node))} do "
                                f"not sum to 1")


def _validate(game: ExtensiveFormGame) -> None:
    n = game.parent.shape[0]
    for name in ("player", "first_child", "n_children", "chance_prob", "infoset"):
        if getattr(game, name).shape != (n,):
            raise GameError(f"ExtensiveFormGame.{name}: expected shape ({n},), got {getattr(game, name).shape}")
    if game.payoffs.shape != (n, game.n_players):
        raise GameError(f"ExtensiveFormGame.payoffs: expected shape ({n}, {game.n_players}), got "
                        f"{game.payoffs.shape}")
    if not np.all(np.isfinite(game.payoffs)):
        raise GameError("ExtensiveFormGame.payoffs: contains NaN or infinite values")
    if n == 0 or game.parent[0] != -1 or np.any(game.parent[1:] >= np.arange(1, n)) or np.any(game.parent[1:] < 0):
        raise GameError("ExtensiveFormGame.parent: nodes must be numbered so that the root is 0 and parent[k] < k")
    _check_structure(game, n)
    bad_player = (game.player >= game.n_players) | (game.player < TERMINAL)
    if np.any(bad_player):
        k = int(np.flatnonzero(bad_player)[0])
        raise GameError(f"ExtensiveFormGame: node {_name(game, k)} has player {game.player[k]}, but the game has "
                        f"{game.n_players} players")
    below = 1 + np.flatnonzero(game.player[game.parent[1:]] == CHANCE)  # the chance edges (their child nodes)
    if below.size:
        totals = np.bincount(game.parent[below], game.chance_prob[below], minlength=n)
        negative = np.zeros(n, dtype=bool)
        negative[game.parent[below[game.chance_prob[below] < 0]]] = True
        bad = np.flatnonzero((game.player == CHANCE) & ((np.abs(totals - 1) > _PROBABILITY_TOL) | negative))
        if bad.size:
            node = int(bad[0])
            raise GameError(f"ExtensiveFormGame: chance probabilities at node {_name(game, node)} sum to "
                            f"{totals[node]:.12g}; they must be nonnegative and sum to 1")
    decision = np.flatnonzero(game.player >= 0)
    sets = game.infoset[decision]
    if np.any(sets < 0) or np.any(sets >= len(game.infoset_labels)):
        raise GameError("ExtensiveFormGame.infoset: every decision node needs an information set index")
    mixed = game.infoset_player[sets] != game.player[decision]
    if np.any(mixed):
        k = int(decision[np.flatnonzero(mixed)[0]])
        raise GameError(f"ExtensiveFormGame: information set {game.infoset_labels[game.infoset[k]]!r} mixes players "
                        f"(node {_name(game, k)} belongs to player {game.player[k]})")
    counts = np.array([len(a) for a in game.action_labels], dtype=np.int64)
    wrong = counts[sets] != game.n_children[decision]
    if np.any(wrong):
        k = int(decision[np.flatnonzero(wrong)[0]])
        raise GameError(f"ExtensiveFormGame: node {_name(game, k)} has {game.n_children[k]} actions but its "
                        f"information set {game.infoset_labels[game.infoset[k]]!r} has {counts[game.infoset[k]]}")
    _check_perfect_recall(game)


def _check_structure(game: ExtensiveFormGame, n: int) -> None:
    """Breadth-first numbering with contiguous children, payoffs only at leaves, label tuples of the right size."""
    terminal = game.player == TERMINAL
    if np.any(game.n_children[terminal] != 0) or np.any(game.n_children[~terminal] < 1):
        k = int(np.flatnonzero((terminal & (game.n_children != 0)) | (~terminal & (game.n_children < 1)))[0])
        raise GameError(f"ExtensiveFormGame: node {_name(game, k)} is "
                        f"{'a terminal with children' if terminal[k] else 'an inner node without children'}")
    if not np.array_equal(np.bincount(game.parent[1:], minlength=n), game.n_children):
        raise GameError("ExtensiveFormGame.n_children: does not match the number of nodes naming each node as parent")
    inner = np.flatnonzero(~terminal)
    block = np.repeat(game.first_child[inner], game.n_children[inner]) + _ranks(game.n_children[inner])
    if block.size and (np.any(block < 1) or np.any(block >= n) or
                       np.any(game.parent[np.clip(block, 0, n - 1)] != np.repeat(inner, game.n_children[inner]))):
        raise GameError("ExtensiveFormGame.first_child: the children of a node must be the contiguous block "
                        "first_child[k] : first_child[k] + n_children[k]")
    bounds = _level_bounds(game.n_children)
    if sum(hi - lo for lo, hi in bounds) != n or np.any(np.diff(game.parent[1:]) < 0):
        raise GameError("ExtensiveFormGame: nodes must be numbered breadth-first (each depth a contiguous block, "
                        "children in the order of their parents); build trees with ExtensiveFormGame.from_tree")
    game.__dict__["_bounds"] = bounds  # the cached property's value: computed once
    if np.any(game.payoffs[~terminal] != 0):
        k = int(inner[np.flatnonzero(np.any(game.payoffs[inner] != 0, axis=1))[0]])
        raise GameError(f"ExtensiveFormGame.payoffs: inner node {_name(game, k)} has nonzero payoffs; utilities "
                        f"belong to terminal nodes only")
    n_sets = game.infoset_player.shape[0]
    if len(game.action_labels) != n_sets or len(game.infoset_labels) != n_sets:
        raise GameError(f"ExtensiveFormGame: {n_sets} information sets but {len(game.action_labels)} action label "
                        f"tuples and {len(game.infoset_labels)} information-set labels")
    if len(game.node_labels) not in (0, n):
        raise GameError(f"ExtensiveFormGame.node_labels: expected {n} labels (or none), got {len(game.node_labels)}")


def _ranks(counts: np.ndarray) -> np.ndarray:
    """``0..c-1`` for each count ``c``, concatenated."""
    total = int(counts.sum())
    return np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)


def _name(game: ExtensiveFormGame, k: int) -> str:
    label = game.node_labels[k] if k < len(game.node_labels) and game.node_labels[k] else ""
    return f"{k}" + (f" ({label!r})" if label else "")


def _level_bounds(n_children: np.ndarray) -> list[tuple[int, int]]:
    """``(start, stop)`` of each depth's block of nodes: the children of a level form the next block.

    With breadth-first numbering the children of nodes ``0..k`` are the nodes ``1 .. 1 + sum(n_children[:k + 1])``,
    so each level's end follows from the cumulative child counts: one scalar step per level, whatever its width.
    """
    ends = (1 + np.cumsum(n_children)).tolist()
    bounds, lo, hi = [], 0, 1
    while lo < hi:
        bounds.append((lo, hi))
        lo, hi = hi, ends[hi - 1]
    return bounds


# Trees with at most this many levels are swept level by level (one array operation per level); deeper ones by
# pointer jumping (module docstring), which costs log2(depth) passes over all nodes.
_LEVEL_LOOP_MAX = 64


def _path_products(game: ExtensiveFormGame, edge: np.ndarray) -> np.ndarray:
    """``[n_nodes]`` the product of ``edge[j]`` over the edges ``j`` on the path from the root to each node (the
    root's own entry is ignored: its product is 1). Floats, or Fractions in an object array (exact)."""
    bounds = game._bounds
    exact = edge.dtype == object
    if len(bounds) <= _LEVEL_LOOP_MAX:
        reach = np.array([Fraction(1)] * game.n_nodes, dtype=object) if exact else np.ones(game.n_nodes)
        for lo, hi in bounds[1:]:
            reach[lo:hi] = reach[game.parent[lo:hi]] * edge[lo:hi]
        return reach
    product = edge.copy()
    product[0] = Fraction(1) if exact else 1.0
    up = game.parent.copy()
    todo = np.flatnonzero(up > 0)  # nodes whose product does not reach the root yet
    while todo.size:
        target = up[todo]
        product[todo] = product[todo] * product[target]  # the right side is read before anything is written
        up[todo] = up[target]
        todo = todo[up[todo] > 0]
    return product


def _nearest_marked(game: ExtensiveFormGame, values: np.ndarray, marked: np.ndarray) -> np.ndarray:
    """``[n_nodes]`` ``values`` at each node's nearest marked ancestor-or-self (0 when none, the root unmarked)."""
    bounds = game._bounds
    out = np.where(marked, values, 0)
    if len(bounds) <= _LEVEL_LOOP_MAX:
        for lo, hi in bounds[1:]:
            keep = ~marked[lo:hi]
            out[lo:hi][keep] = out[game.parent[lo:hi][keep]]
        return out
    done = marked.copy()
    done[0] = True
    up = game.parent.copy()
    todo = np.flatnonzero(~done)
    while todo.size:
        target = up[todo]
        out[todo], reached, up[todo] = out[target], done[target], up[target]
        done[todo] = reached
        todo = todo[~reached]
    return out


def _node_sequences(game: ExtensiveFormGame) -> np.ndarray:
    counts = np.array([len(a) for a in game.action_labels], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    action_player = np.repeat(game.infoset_player, counts)
    sequence_of_action = np.zeros(offsets[-1], dtype=np.int64)
    for p in range(game.n_players):
        mine = np.flatnonzero(action_player == p)
        sequence_of_action[mine] = 1 + np.arange(mine.shape[0])
    mover = np.full(game.parent.shape[0], TERMINAL, dtype=np.int64)  # who chose the edge into each node
    sequence = np.zeros(game.parent.shape[0], dtype=np.int64)  # the sequence that edge extends to
    k = np.arange(1, game.parent.shape[0])
    parents = game.parent[1:]
    moved = game.player[parents] >= 0
    k, p_node = k[moved], parents[moved]
    mover[k] = game.player[p_node]
    sequence[k] = sequence_of_action[offsets[game.infoset[p_node]] + (k - game.first_child[p_node])]
    out = np.zeros((game.parent.shape[0], game.n_players), dtype=np.int64)
    for p in range(game.n_players):
        out[:, p] = _nearest_marked(game, sequence, mover == p)
    return out


def _check_perfect_recall(game: ExtensiveFormGame) -> None:
    sequences = _node_sequences(game)
    game.__dict__["node_sequence"] = sequences  # the cached property's value: computed once
    nodes = np.flatnonzero(game.player >= 0)
    if nodes.size == 0:
        return
    sets = game.infoset[nodes]
    own = sequences[nodes, game.player[nodes]]
    first = np.full(len(game.infoset_labels), -1, dtype=np.int64)
    first[sets[::-1]] = nodes[::-1]  # the first node of each set (fancy assignment keeps the last write)
    reference = sequences[first[sets], game.player[nodes]]
    bad = np.flatnonzero(own != reference)
    if bad.size:
        k, s = int(nodes[bad[0]]), int(sets[bad[0]])
        raise GameError(f"ExtensiveFormGame: information set {game.infoset_labels[s]!r} violates perfect recall: "
                        f"nodes {_name(game, int(first[s]))} and {_name(game, k)} are reached by different "
                        f"sequences of player {game.player[k]}'s own moves")
