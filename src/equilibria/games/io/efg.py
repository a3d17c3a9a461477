"""Gambit's extensive-game file format (``.efg``): reader and writer.

The format (Gambit documentation, "The extensive game (.efg) file format") is a whitespace-separated token stream:
a prologue, then the nodes in *prefix order* (a node, then the subtrees of its children, first to last)::

    EFG 2 R "Matching pennies" { "Player 1" "Player 2" }
    "optional comment"
    p "" 1 1 "P1" { "H" "T" } 0                  <- player 1's node in its information set 1, actions H, T
    p "" 2 1 "P2" { "h" "t" } 0                  <- player 2's information set 1 (numbers are per player)
    t "" 1 "match" { 1, -1 }                     <- a leaf with outcome 1 and its payoffs
    t "" 2 "miss" { -1, 1 }
    p "" 2 1 0                                   <- information set 1 again (description omitted), no outcome
    t "" 2                                       <- outcome 2 again, payoffs omitted
    t "" 1

- ``p "node" player infoset ["infoset name" { "action" ... }] outcome [...]``: a decision node;
- ``c "node" event ["event name" { "outcome" probability ... }] outcome [...]``: a chance node; probabilities are
  integers, decimals (``0.25``, ``1e-1``) or fractions (``1/3``), read exactly, and must sum to 1 (up to 1e-9);
- ``t "node" outcome ["outcome name" { payoff, payoff ... }]``: a leaf. Commas between payoffs are optional.

Information sets are numbered per player (the same number may name sets of different players), chance events and
outcomes in their own ranges; the description of a set, event or outcome is given at its first appearance and may
be repeated later only verbatim. Outcome 0 is the null outcome (no name, no payoffs). Outcomes may sit at inner
nodes: a leaf's payoff is the sum of the outcomes on its path. ``EFG 2 D`` is accepted as well as ``EFG 2 R``; as
in the ``.nfg`` reader, ``#`` starts a comment that runs to the end of the line (outside quoted labels).

**Mapping to** :class:`ExtensiveFormGame`. Nodes are renumbered breadth-first; information sets are numbered in
the breadth-first order of their first node (the order :meth:`ExtensiveFormGame.from_tree` gives). The title is
``game.name``; player names ``game.player_labels`` (``None`` when all are empty); information set names
``game.infoset_labels``, except that an empty name becomes ``"(player,number)"`` and a name repeated within a
player gets ``" (player,number)"`` appended, so labels identify sets; action names ``game.action_labels``.
``game.node_labels[k]`` is the node's name, or, when that is empty, the name of the action or chance outcome that
leads to it (as ``from_tree`` labels nodes).

**Exact numbers.** Payoffs and probabilities are read as Fractions; the game keeps them
(``exact_payoffs``, ``exact_chance_prob``) when some number is not what its float reads back as, so exact solvers
solve the game in the file (see :mod:`equilibria.games.extensive_form`); the writer then writes those.

**Writer.** One line per node, the description of every information set and outcome repeated at each use,
payoffs only at leaves (one outcome per distinct payoff vector; all-zero payoffs are the null outcome). Numbers
are written exactly: integers as integers, other floats as the shorter of ``repr`` and a small fraction
(``1/3``) that reads back to the same float, so write-then-read returns a game with the same arrays and labels.
(Exceptions: an empty information set label comes back as ``"(player,number)"``; an empty node label below a
decision comes back as its action's name.)

**Errors** are :class:`equilibria.GameError` with the file, line and column: ``kuhn.efg:7:1: expected a node
type 'p', 'c' or 't', found 'x'``; ``game.efg:2:12: chance probabilities at node "deal" (chance event 1) sum to
0.999999, not 1 ...``; perfect-recall violations name the lines of the two nodes.

Writes are atomic (a temporary file in the same directory, then ``os.replace``).
"""

from __future__ import annotations

import math
import os
import re
from collections import deque
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from equilibria.core.errors import GameError
from equilibria.core.files import write_atomic
from equilibria.core.rational import reads_back
from equilibria.games.extensive_form import CHANCE, TERMINAL, ExtensiveFormGame, exact_probability
from equilibria.games.io._gambit_text import COMMA as _COMMA
from equilibria.games.io._gambit_text import EOF as _EOF
from equilibria.games.io._gambit_text import LBRACE as _LBRACE
from equilibria.games.io._gambit_text import NUMBER as _NUMBER
from equilibria.games.io._gambit_text import RBRACE as _RBRACE
from equilibria.games.io._gambit_text import STRING as _STRING
from equilibria.games.io._gambit_text import WORD as _WORD
from equilibria.games.io._gambit_text import Token as _Token
from equilibria.games.io._gambit_text import TokenCursor
from equilibria.games.io._gambit_text import quote as _quote
from equilibria.games.io.nfg import read_path_or_text

__all__ = ["dumps_efg", "loads_efg", "read_efg", "write_efg"]

_PROBABILITY_TOL = Fraction(1, 10**9)  # the tolerance of ExtensiveFormGame's own check
_TOKENS = re.compile(  # blanks and '#' comments, then one token (or the end of the text)
    r'\s*(?:#[^\n]*\s*)*(?:"(?P<string>(?:[^"\\]|\\[\s\S])*)"|(?P<open>")|(?P<brace>[{},])'
    r'|(?P<word>[^\s{},"#]+)|(?P<end>\Z))')
_UNESCAPE = re.compile(r'\\(["\\])')
_COUNT = re.compile(r"\d+")
_MAX_DENOMINATOR = 10**6


# -- tokens ------------------------------------------------------------------------------------------------------


def _tokenize(text: str, source: str) -> list[_Token]:
    tokens: list[_Token] = []
    line, line_start, previous = 1, 0, 0  # line numbers advance by counting the newlines since the last token
    for match in _TOKENS.finditer(text):
        kind = match.lastgroup or "end"
        offset = match.start(kind) - (kind == "string")  # a label starts at its opening quote
        newlines = text.count("\n", previous, offset)
        if newlines:
            line += newlines
            line_start = text.rindex("\n", previous, offset) + 1
        previous = offset
        column = offset - line_start + 1
        if kind == "string":
            tokens.append(_Token(_STRING, _UNESCAPE.sub(r"\1", match.group(kind)), line, column))
        elif kind == "word":
            tokens.append(_Token(_WORD, match.group(kind), line, column))
        elif kind == "brace":
            tokens.append(_Token(match.group(kind), match.group(kind), line, column))
        elif kind == "open":
            raise GameError(f"{source}:{line}:{column}: unterminated label: the file ends before its closing '\"'")
        else:
            tokens.append(_Token(_EOF, "", line, column))
            return tokens
    raise AssertionError("the token pattern always matches the end of the text")


# -- the parsed tree (prefix order, as in the file) --------------------------------------------------------------
@dataclass
class _Node:
    kind: str  # "p", "c" or "t"
    name: str
    token: _Token  # the node type letter, for error locations
    player: int = TERMINAL  # 0-based, CHANCE or TERMINAL
    number: int = 0  # information set (per player) or chance event
    outcome: int = 0
    children: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class _Declaration:
    """An information set's or event's description: its name, action names and (events) probabilities."""

    name: str
    actions: tuple[str, ...]
    probabilities: tuple[Fraction, ...]
    token: _Token


class _Parser(TokenCursor):
    """Recursive descent over the token list, with an explicit stack for the tree (files can be deep)."""

    def __init__(self, text: str, source: str) -> None:
        super().__init__(_tokenize(text, source), source)
        self.n_players = 0
        self.nodes: list[_Node] = []
        self.infosets: dict[tuple[int, int], _Declaration] = {}
        self.events: dict[int, _Declaration] = {}
        self.outcomes: dict[int, tuple[tuple[Fraction, ...], _Token]] = {}

    def integer(self, expected: str, minimum: int) -> int:
        token = self.current
        if token.kind != _WORD or not _COUNT.fullmatch(token.text) or int(token.text) < minimum:
            raise self.fail(expected)
        self.next()
        return int(token.text)

    def number(self, expected: str, what: str) -> Fraction:
        token = self.current
        if token.kind != _WORD or not _NUMBER.fullmatch(token.text):
            raise self.fail(expected)
        self.next()
        try:
            value = Fraction(token.text)
        except ZeroDivisionError:
            raise self.error(token, f"'{token.text}' divides by zero") from None
        if not math.isfinite(_as_float(value)):
            raise self.error(token, f"{what} '{token.text}' is not a finite number representable as a float")
        return value

    # -- grammar -------------------------------------------------------------------------------------------------
    def prologue(self) -> tuple[str, list[str]]:
        if self.current.kind == _EOF:
            raise self.error(self.current, "the file is empty; expected a game starting with 'EFG 2 R'")
        self.expect_word("EFG", "'EFG' at the start of the file")
        self.expect_word("2", "the format version '2' after 'EFG'")
        if self.current.kind != _WORD or self.current.text not in ("R", "D"):
            raise self.fail("'R' or 'D' after 'EFG 2'")
        self.next()
        title = self.expect(_STRING, 'the game title in quotes, e.g. "My game"').text
        self.expect(_LBRACE, "'{' to start the player list")
        players = []
        while self.current.kind == _STRING:
            players.append(self.next().text)
        closing = self.expect(_RBRACE, "a quoted player name or '}' to end the player list")
        if not players:
            raise self.fail("at least one player in the player list", closing)
        self.n_players = len(players)
        if self.current.kind == _STRING:  # the optional comment
            self.next()
        return title, players

    def tree(self) -> None:
        self.nodes.append(self.node())
        open_nodes = [0] if self.n_children(self.nodes[0]) else []
        while open_nodes:  # prefix order: the next node is a child of the deepest node still missing children
            top = self.nodes[open_nodes[-1]]
            if self.current.kind == _EOF:
                raise self.error(self.current, f"the file ends inside the tree: the node on line {top.token.line} "
                                               f"has {len(top.children)} of its {self.n_children(top)} children")
            child = len(self.nodes)
            self.nodes.append(self.node())
            top.children.append(child)
            if len(top.children) == self.n_children(top):
                open_nodes.pop()
            if self.n_children(self.nodes[child]):
                open_nodes.append(child)
        if self.current.kind != _EOF:
            raise self.fail("end of file: the tree is complete (every node has all its children)")

    def n_children(self, node: _Node) -> int:
        if node.kind == "p":
            return len(self.infosets[(node.player, node.number)].actions)
        if node.kind == "c":
            return len(self.events[node.number].actions)
        return 0

    def node(self) -> _Node:
        token = self.current
        if token.kind != _WORD or token.text not in ("p", "c", "t"):
            raise self.fail("a node type 'p', 'c' or 't'")
        self.next()
        node = _Node(token.text, self.expect(_STRING, "the node's name in quotes (may be \"\")").text, token)
        if node.kind == "p":
            player = self.integer(f"a player number from 1 to {self.n_players}", 1)
            if player > self.n_players:
                raise self.error(self.tokens[self.index - 1], f"player {player} does not exist: the player list "
                                                              f"names {self.n_players}")
            node.player = player - 1
            node.number = self.integer(f"a positive information set number of player {player}", 1)
            self.declaration(self.infosets, (node.player, node.number),
                             f"information set {node.number} of player {player}", node.name, chance=False)
        elif node.kind == "c":
            node.player = CHANCE
            node.number = self.integer("a positive chance event number", 1)
            self.declaration(self.events, node.number, f"chance event {node.number}", node.name, chance=True)
        node.outcome = self.outcome()
        return node

    def declaration(self, table: dict[Any, _Declaration], key: Any, what: str, node_name: str, *,
                    chance: bool) -> None:
        """An information set's or chance event's description, required at its first appearance."""
        start = self.current
        if start.kind != _STRING:
            if key not in table:
                raise self.fail(f"the name and action list of {what}, which appears here for the first time")
            return
        name = self.next().text
        self.expect(_LBRACE, f"'{{' to start the action list of {what}")
        actions: list[str] = []
        probabilities: list[Fraction] = []
        while self.current.kind == _STRING:
            actions.append(self.next().text)
            if chance:
                probabilities.append(self.number(f"the probability of chance outcome {_quote(actions[-1])}",
                                                 "probability"))
                if probabilities[-1] < 0:
                    raise self.error(self.tokens[self.index - 1], f"the probability of chance outcome "
                                                                  f"{_quote(actions[-1])} is negative")
        closing = self.expect(_RBRACE, "a quoted action name or '}' to end the action list" if not chance else
                              "a quoted outcome name or '}' to end the chance outcomes")
        if not actions:
            raise self.fail(f"at least one action for {what}", closing)
        declared = _Declaration(name, tuple(actions), tuple(probabilities), start)
        if key in table:
            first = table[key]
            if (first.name, first.actions, first.probabilities) != (name, declared.actions, declared.probabilities):
                raise self.error(start, f"{what} is declared differently here than on line {first.token.line} "
                                        f"({_describe(first)} there, {_describe(declared)} here); a repeated "
                                        f"declaration must match the first")
            return
        if chance:
            total = sum(probabilities, Fraction(0))
            if abs(total - 1) > _PROBABILITY_TOL:
                raise self.error(start, f"chance probabilities at node {_quote(node_name)} "
                                        f"({what}) sum to {float(total):.12g}, not 1 (exact fractions such as 1/3 "
                                        f"avoid rounding)")
        table[key] = declared

    def outcome(self) -> int:
        number = self.integer("an outcome number (0 for none)", 0)
        token = self.tokens[self.index - 1]
        if self.current.kind != _STRING:
            if number and number not in self.outcomes:
                raise self.fail(f"the name and payoffs of outcome {number}, which appears here for the first time")
            return number
        if number == 0:
            raise self.error(self.current, "outcome 0 is the null outcome: it takes no name and no payoffs")
        self.next()
        self.expect(_LBRACE, f"'{{' to start the payoffs of outcome {number}")
        payoffs = []
        for player in range(1, self.n_players + 1):
            payoffs.append(self.number(f"a number: the payoff of player {player} in outcome {number} (the player "
                                       f"list names {self.n_players})", "payoff"))
            if self.current.kind == _COMMA:
                self.next()
        self.expect(_RBRACE, f"'}}' to close outcome {number}, which has {self.n_players} payoffs (one per player)")
        if number in self.outcomes and self.outcomes[number][0] != tuple(payoffs):
            first = self.outcomes[number][1]
            raise self.error(token, f"outcome {number} has different payoffs here than on line {first.line}; a "
                                    f"repeated declaration must match the first")
        self.outcomes.setdefault(number, (tuple(payoffs), token))
        return number


def _describe(declaration: _Declaration) -> str:
    actions = " ".join(_quote(a) for a in declaration.actions)
    return f"{_quote(declaration.name)} {{ {actions} }}"


# -- building the game -------------------------------------------------------------------------------------------
def _build(parser: _Parser, title: str, players: list[str]) -> ExtensiveFormGame:
    nodes = parser.nodes
    order = _breadth_first(nodes)
    position = np.empty(len(nodes), dtype=np.int64)
    position[order] = np.arange(len(nodes))
    n = len(nodes)
    parent = np.full(n, -1, dtype=np.int64)
    first_child = np.full(n, -1, dtype=np.int64)
    n_children = np.zeros(n, dtype=np.int64)
    chance_prob = np.ones(n)
    exact_chance = [Fraction(1)] * n
    infoset = np.full(n, -1, dtype=np.int64)
    player = np.array([nodes[i].player for i in order], dtype=np.int64)
    accumulated: list[tuple[Fraction, ...]] = [(Fraction(0),) * parser.n_players] * n  # outcome sums from the root
    labels = [""] * n
    infoset_index: dict[tuple[int, int], int] = {}
    for k, i in enumerate(order):
        node = nodes[i]
        own = parser.outcomes[node.outcome][0] if node.outcome else None
        above = accumulated[parent[k]] if k else (Fraction(0),) * parser.n_players
        accumulated[k] = tuple(a + b for a, b in zip(above, own, strict=True)) if own else above
        labels[k] = node.name or labels[k]
        if node.children:
            first_child[k] = position[node.children[0]]
            n_children[k] = len(node.children)
            declared = (parser.infosets[(node.player, node.number)] if node.kind == "p"
                        else parser.events[node.number])
            for a, child in enumerate(node.children):
                c = position[child]
                parent[c] = k
                labels[c] = declared.actions[a]  # the edge label, unless the child has a name of its own
                if node.kind == "c":
                    chance_prob[c] = float(declared.probabilities[a])
                    exact_chance[c] = declared.probabilities[a]
        if node.kind == "p":
            infoset[k] = infoset_index.setdefault((node.player, node.number), len(infoset_index))
    keys = sorted(infoset_index, key=infoset_index.__getitem__)
    _check_perfect_recall(parser, order, parent, player, infoset, keys)
    payoffs = np.zeros((n, parser.n_players))
    leaves = np.flatnonzero(player == TERMINAL)
    payoffs[leaves] = [[_as_float(v) for v in accumulated[k]] for k in leaves]
    exact_payoffs, exact_chance_prob = _exact_numbers(accumulated, payoffs, leaves, exact_chance, parent, player)
    try:
        return ExtensiveFormGame(
            n_players=parser.n_players, parent=parent, player=player, first_child=first_child,
            n_children=n_children, chance_prob=chance_prob, infoset=infoset, payoffs=payoffs,
            infoset_player=np.array([p for p, _ in keys], dtype=np.int64),
            infoset_labels=_infoset_labels(parser, keys),
            action_labels=tuple(parser.infosets[key].actions for key in keys), node_labels=tuple(labels),
            player_labels=None if all(p == "" for p in players) else tuple(players), name=title,
            exact_payoffs=exact_payoffs, exact_chance_prob=exact_chance_prob)
    except GameError as exc:
        raise GameError(f"{parser.source}: {exc}") from None


def _exact_numbers(accumulated: list[tuple[Fraction, ...]], payoffs: np.ndarray, leaves: np.ndarray,
                   exact_chance: list[Fraction], parent: np.ndarray, player: np.ndarray
                   ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The file's exact payoffs ``[n, n_players]`` and chance probabilities ``[n]``, each kept only when some number
    is not what its float reads back as (``ExtensiveFormGame``'s module docstring), else None.

    Probabilities written as rounded decimals (``0.1666666666666666666667`` beside five ``1/6``) sum to 1 only
    within the reader's tolerance; the exact game then reads each float as the fraction it stands for instead.
    """
    exact_payoffs = None
    if any(not reads_back(v, float(f)) for k in leaves for v, f in zip(accumulated[k], payoffs[k], strict=True)
           if math.isfinite(f)):
        exact_payoffs = np.empty(payoffs.shape, dtype=object)
        exact_payoffs[:] = Fraction(0)
        for k in leaves:
            exact_payoffs[k] = list(accumulated[k])
    exact_chance_prob = None
    if any(exact_probability(float(p)) != p for p in exact_chance):
        totals: dict[int, Fraction] = {}
        for k in np.flatnonzero(player[np.maximum(parent, 0)] == CHANCE):
            if k:
                totals[int(parent[k])] = totals.get(int(parent[k]), Fraction(0)) + exact_chance[k]
        if all(total == 1 for total in totals.values()):
            exact_chance_prob = np.array(exact_chance, dtype=object)
    return exact_payoffs, exact_chance_prob


def _as_float(value: Fraction) -> float:
    """The nearest float; beyond the float range, an infinity (which the game's constructor then reports)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _breadth_first(nodes: list[_Node]) -> list[int]:
    order, queue = [], deque([0])
    while queue:
        i = queue.popleft()
        order.append(i)
        queue.extend(nodes[i].children)
    return order


def _infoset_labels(parser: _Parser, keys: list[tuple[int, int]]) -> tuple[str, ...]:
    """Information set names, made unique within each player (Gambit files often leave them empty)."""
    names = [parser.infosets[key].name for key in keys]
    counts: dict[tuple[int, str], int] = {}
    for (p, _), name in zip(keys, names, strict=True):
        counts[(p, name)] = counts.get((p, name), 0) + 1
    labels = []
    for (p, number), name in zip(keys, names, strict=True):
        tag = f"({p + 1},{number})"
        labels.append(tag if not name else name if counts[(p, name)] == 1 else f"{name} {tag}")
    return tuple(labels)


def _check_perfect_recall(parser: _Parser, order: list[int], parent: np.ndarray, player: np.ndarray,
                          infoset: np.ndarray, keys: list[tuple[int, int]]) -> None:
    """Every node of an information set must follow the same last move of its player (naming the file's lines)."""
    n = len(order)
    last_own: list[dict[int, tuple[int, int]]] = [{}] * n  # per node: player -> (infoset, action) of its last move
    action_of: dict[int, int] = {}  # the action index that leads to each (file-order) node
    for node in parser.nodes:
        for a, child in enumerate(node.children):
            action_of[child] = a
    seen: dict[int, tuple[tuple[int, int] | None, int]] = {}
    for k, i in enumerate(order):
        if k:
            up = int(parent[k])
            mover = int(player[up])
            last_own[k] = last_own[up]
            if mover >= 0:
                last_own[k] = {**last_own[up], mover: (int(infoset[up]), action_of[i])}
        if player[k] < 0:
            continue
        s = int(infoset[k])
        own = last_own[k].get(int(player[k]))
        if s in seen and seen[s][0] != own:
            p, number = keys[s]
            other = parser.nodes[order[seen[s][1]]].token.line
            raise GameError(f"{parser.source}:{parser.nodes[i].token.line}: information set {number} of player "
                            f"{p + 1} violates perfect recall: its nodes on lines {other} and "
                            f"{parser.nodes[i].token.line} follow different moves of player {p + 1}")
        seen.setdefault(s, (own, k))


# -- reading -----------------------------------------------------------------------------------------------------
def loads_efg(text: str, *, source: str = "<efg text>") -> ExtensiveFormGame:
    """Parse the text of an ``.efg`` file; ``source`` names it in error messages."""
    if not isinstance(text, str):
        raise GameError(f"loads_efg(text): expected a str, got {type(text).__name__}")
    parser = _Parser(text, source)
    title, players = parser.prologue()
    parser.tree()
    return _build(parser, title, players)


def read_efg(path_or_text: str | os.PathLike[str]) -> ExtensiveFormGame:
    """Read a game from an ``.efg`` file, or from the file's text itself.

    A ``str`` that starts with ``EFG`` (after blanks) or spans several lines is taken as the text; anything else is
    a path.
    """
    return read_path_or_text(path_or_text, "EFG", loads_efg, "read_efg")


# -- writing -----------------------------------------------------------------------------------------------------
def dumps_efg(game: ExtensiveFormGame) -> str:
    """The ``.efg`` text of ``game``: one line per node in prefix order, payoffs at the leaves."""
    if not isinstance(game, ExtensiveFormGame):
        raise GameError(f"dumps_efg(game): expected an ExtensiveFormGame, got {type(game).__name__}")
    players = game.player_labels if game.player_labels is not None else ("",) * game.n_players
    node_labels = game.node_labels if len(game.node_labels) == game.n_nodes else ("",) * game.n_nodes
    per_player_number = np.zeros(game.n_infosets, dtype=np.int64)  # Gambit numbers sets within each player
    for p in range(game.n_players):
        mine = np.flatnonzero(game.infoset_player == p)
        per_player_number[mine] = 1 + np.arange(mine.size)
    outcome_numbers: dict[tuple[Any, ...], int] = {}
    lines = [f"EFG 2 R {_quote(game.name)} {{ {' '.join(_quote(p) for p in players)} }}", '""', ""]
    events = 0
    stack = [0]
    while stack:  # prefix order: a node, then its children's subtrees first to last
        k = stack.pop()
        children = range(game.first_child[k], game.first_child[k] + game.n_children[k])
        stack.extend(reversed(children))
        name = node_labels[k] if k == 0 or node_labels[k] != _edge_label(game, node_labels, k) else ""
        mover = int(game.player[k])
        if mover == TERMINAL:
            values = game.exact_payoffs[k] if game.exact_payoffs is not None else game.payoffs[k]
            lines.append(f"t {_quote(name)} {_outcome(values, outcome_numbers)}")
        elif mover == CHANCE:
            events += 1
            probabilities = game.exact_chance_prob if game.exact_chance_prob is not None else game.chance_prob
            outcomes = " ".join(f"{_quote(node_labels[c])} {_exact(probabilities[c])}" for c in children)
            lines.append(f'c {_quote(name)} {events} "" {{ {outcomes} }} 0')
        else:
            s = int(game.infoset[k])
            actions = " ".join(_quote(a) for a in game.action_labels[s])
            lines.append(f"p {_quote(name)} {mover + 1} {per_player_number[s]} {_quote(game.infoset_labels[s])} "
                         f"{{ {actions} }} 0")
    return "\n".join(lines) + "\n"


def _edge_label(game: ExtensiveFormGame, node_labels: tuple[str, ...], k: int) -> str:
    """The label the reader gives a nameless node ``k``: its action's name (chance: the outcome, i.e. its label)."""
    up = int(game.parent[k])
    if game.player[up] == CHANCE:
        return node_labels[k]
    return game.action_labels[int(game.infoset[up])][k - int(game.first_child[up])]


def _outcome(payoffs: np.ndarray, numbers: dict[tuple[Any, ...], int]) -> str:
    """A leaf's outcome: ``payoffs`` floats or (a game's kept exact values) Fractions."""
    key = tuple(payoffs)
    if not any(key):
        return "0"
    number = numbers.setdefault(key, len(numbers) + 1)
    return f'{number} "" {{ {", ".join(_exact(v) for v in key)} }}'


def _exact(value: float | Fraction) -> str:
    """The shortest text that reads back (exactly, as a fraction) to ``value``: an integer, ``repr`` or ``p/q``;
    a Fraction exactly as ``p/q``."""
    if isinstance(value, Fraction):
        return str(value)
    value = float(value)
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    text = repr(value)
    small = Fraction(value).limit_denominator(_MAX_DENOMINATOR)
    if float(small) == value and len(f"{small.numerator}/{small.denominator}") < len(text):
        return f"{small.numerator}/{small.denominator}"
    return text




def write_efg(game: ExtensiveFormGame, path: str | os.PathLike[str]) -> None:
    """Write ``game`` to ``path`` in the ``.efg`` format, atomically."""
    text = dumps_efg(game)
    if not isinstance(path, str | os.PathLike):
        raise GameError(f"write_efg(path): expected a file path, got {type(path).__name__}")
    write_atomic(path, text, caller="write_efg")
