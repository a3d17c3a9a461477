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

import gc
import math
import os
import re
from collections import deque
from collections.abc import Callable
from fractions import Fraction
from typing import Any, NamedTuple

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
from equilibria.games.io._gambit_text import exact_number, shown
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
_Expected = str | Callable[[], str]  # what a token should have been (a callable: formatted only for the error)


# -- tokens ------------------------------------------------------------------------------------------------------


def _tokenize(text: str, source: str) -> list[_Token]:
    """Every token with its line and column (for error messages; the parser reads :func:`_raw_tokens`)."""
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


# The same tokens as _TOKENS, as their raw text (labels with their quotes; "" at the end of the text): one C-level
# findall instead of a Python step per token, which is most of the time of reading a large file. Positions are
# only needed for error messages, and :func:`_tokenize` finds them when one is raised (token i is token i there).
_RAW_TOKENS = re.compile(r'\s*(?:#[^\n]*\s*)*("(?:[^"\\]|\\[\s\S])*"|[{},]|[^\s{},"#]+|"|\Z)')


def _raw_tokens(text: str, source: str) -> list[str]:
    raw = _RAW_TOKENS.findall(text)
    if '"' in raw:  # an opening quote without its closing one
        _tokenize(text, source)  # raises the error, with its position
    del raw[raw.index("") + 1:]  # the end of the text (matched once more after trailing blanks)
    return raw


# -- the parsed tree (prefix order, as in the file) --------------------------------------------------------------
class _Node:
    __slots__ = ("at", "children", "count", "kind", "name", "number", "outcome", "player")

    def __init__(self, kind: str, name: str, at: int) -> None:
        self.kind = kind  # "p", "c" or "t"
        self.name = name
        self.at = at  # the index of the node type letter's token, for error locations
        self.player = TERMINAL  # 0-based, CHANCE or TERMINAL
        self.number = 0  # information set (per player) or chance event
        self.outcome = 0
        self.count = 0  # the number of children its information set or chance event declares
        self.children: list[int] = []


class _Declaration(NamedTuple):
    """An information set's or event's description: its name, action names and (events) probabilities."""

    name: str
    actions: tuple[str, ...]
    probabilities: tuple[Fraction, ...]
    at: int  # the index of its first token


class _Parser:
    """Recursive descent over the raw tokens, with an explicit stack for the tree (files can be deep). Tokens are
    read by index; :meth:`token` gives one with its position, for error messages."""

    def __init__(self, text: str, source: str) -> None:
        self.text, self.source = text, source
        self.raw = _raw_tokens(text, source)
        self.index = 0
        self._positioned: list[_Token] | None = None
        self.n_players = 0
        self.nodes: list[_Node] = []
        self.infosets: dict[tuple[int, int], _Declaration] = {}
        self.events: dict[int, _Declaration] = {}
        self.outcomes: dict[int, tuple[tuple[Fraction, ...], int]] = {}
        self.numbers: dict[str, Fraction] = {}  # each distinct number's text is read once

    # -- tokens ------------------------------------------------------------------------------------------------
    def token(self, index: int) -> _Token:
        """Token ``index`` with its kind, line and column."""
        if self._positioned is None:
            self._positioned = _tokenize(self.text, self.source)
        return self._positioned[index]

    def line(self, index: int) -> int:
        return self.token(index).line

    def error(self, index: int, message: str) -> GameError:
        return GameError(f"{self.source}:{self.token(index).where}: {message}")

    def fail(self, expected: _Expected, index: int | None = None) -> GameError:
        index = self.index if index is None else index
        text = expected if isinstance(expected, str) else expected()
        return self.error(index, f"expected {text}, found {self.token(index).describe()}")

    def is_string(self) -> bool:
        return self.raw[self.index][:1] == '"'

    def string(self, expected: str) -> str:
        raw = self.raw[self.index]
        if raw[:1] != '"':
            raise self.fail(expected)
        self.index += 1
        return _UNESCAPE.sub(r"\1", raw[1:-1]) if "\\" in raw else raw[1:-1]

    def brace(self, brace: str, expected: _Expected) -> None:
        if self.raw[self.index] != brace:
            raise self.fail(expected)
        self.index += 1

    def word(self, word: str, expected: str) -> None:
        if self.raw[self.index] != word:
            raise self.fail(expected)
        self.index += 1

    def integer(self, expected: _Expected, minimum: int) -> int:
        raw = self.raw[self.index]
        if not raw.isdecimal() or int(raw) < minimum:  # isdecimal: the digits \d matches
            raise self.fail(expected)
        self.index += 1
        return int(raw)

    def number(self, expected: _Expected, what: str) -> Fraction:
        raw = self.raw[self.index]
        value = self.numbers.get(raw)
        if value is None:
            if not _NUMBER.fullmatch(raw):
                raise self.fail(expected)
            try:
                value = exact_number(raw)  # never expands a huge power of ten (1e999999999)
            except ZeroDivisionError:
                raise self.error(self.index, f"'{shown(raw)}' divides by zero") from None
            except ValueError as exc:
                raise self.error(self.index, f"{what} '{shown(raw)}' {exc}") from None
            if not math.isfinite(_as_float(value)):
                raise self.error(self.index, f"{what} '{shown(raw)}' is not a finite number representable as a float")
            self.numbers[raw] = value
        self.index += 1
        return value

    # -- grammar -------------------------------------------------------------------------------------------------
    def prologue(self) -> tuple[str, list[str]]:
        if self.raw[0] == "":
            raise self.error(0, "the file is empty; expected a game starting with 'EFG 2 R'")
        self.word("EFG", "'EFG' at the start of the file")
        self.word("2", "the format version '2' after 'EFG'")
        if self.raw[self.index] not in ("R", "D"):
            raise self.fail("'R' or 'D' after 'EFG 2'")
        self.index += 1
        title = self.string('the game title in quotes, e.g. "My game"')
        self.brace(_LBRACE, "'{' to start the player list")
        players = []
        while self.is_string():
            players.append(self.string(""))
        closing = self.index
        self.brace(_RBRACE, "a quoted player name or '}' to end the player list")
        if not players:
            raise self.fail("at least one player in the player list", closing)
        self.n_players = len(players)
        if self.is_string():  # the optional comment
            self.index += 1
        return title, players

    def tree(self) -> None:
        nodes, raw, node = self.nodes, self.raw, self.node
        nodes.append(node())
        open_nodes = [nodes[0]] if nodes[0].count else []
        while open_nodes:  # prefix order: the next node is a child of the deepest node still missing children
            top = open_nodes[-1]
            if raw[self.index] == "":
                raise self.error(self.index, f"the file ends inside the tree: the node on line {self.line(top.at)} "
                                             f"has {len(top.children)} of its {top.count} children")
            top.children.append(len(nodes))
            child = node()
            nodes.append(child)
            if len(top.children) == top.count:
                open_nodes.pop()
            if child.count:
                open_nodes.append(child)
        if raw[self.index] != "":
            raise self.fail("end of file: the tree is complete (every node has all its children)")

    def node(self) -> _Node:
        at = self.index
        kind = self.raw[at]
        if kind not in ("p", "c", "t"):
            raise self.fail("a node type 'p', 'c' or 't'")
        self.index += 1
        node = _Node(kind, self.string("the node's name in quotes (may be \"\")"), at)
        if kind == "p":
            player = self.integer(lambda: f"a player number from 1 to {self.n_players}", 1)
            if player > self.n_players:
                raise self.error(self.index - 1, f"player {player} does not exist: the player list names "
                                                 f"{self.n_players}")
            node.player = player - 1
            node.number = self.integer(lambda: f"a positive information set number of player {player}", 1)
            node.count = self.declaration(self.infosets, (node.player, node.number),
                                          lambda: f"information set {node.number} of player {player}", node.name,
                                          chance=False)
        elif kind == "c":
            node.player = CHANCE
            node.number = self.integer("a positive chance event number", 1)
            node.count = self.declaration(self.events, node.number, lambda: f"chance event {node.number}",
                                          node.name, chance=True)
        node.outcome = self.outcome()
        return node

    def declaration(self, table: dict[Any, _Declaration], key: Any, describe: Callable[[], str], node_name: str,
                    *, chance: bool) -> int:
        """An information set's or chance event's description, required at its first appearance; returns its
        number of actions. ``describe()`` names it in error messages."""
        start = self.index
        if not self.is_string():
            if key not in table:
                raise self.fail(f"the name and action list of {describe()}, which appears here for the first time")
            return len(table[key].actions)
        name = self.string("")
        self.brace(_LBRACE, lambda: f"'{{' to start the action list of {describe()}")
        actions: list[str] = []
        probabilities: list[Fraction] = []
        while self.is_string():
            actions.append(self.string(""))
            if chance:
                probabilities.append(self.number(f"the probability of chance outcome {_quote(actions[-1])}",
                                                 "probability"))
                if probabilities[-1] < 0:
                    raise self.error(self.index - 1, f"the probability of chance outcome {_quote(actions[-1])} is "
                                                     f"negative")
        closing = self.index
        self.brace(_RBRACE, "a quoted action name or '}' to end the action list" if not chance else
                   "a quoted outcome name or '}' to end the chance outcomes")
        if not actions:
            raise self.fail(f"at least one action for {describe()}", closing)
        declared = _Declaration(name, tuple(actions), tuple(probabilities), start)
        if key in table:
            first = table[key]
            if (first.name, first.actions, first.probabilities) != (name, declared.actions, declared.probabilities):
                raise self.error(start, f"{describe()} is declared differently here than on line "
                                        f"{self.line(first.at)} ({_describe(first)} there, {_describe(declared)} "
                                        f"here); a repeated declaration must match the first")
            return len(actions)
        if chance:
            total = sum(probabilities, Fraction(0))
            if abs(total - 1) > _PROBABILITY_TOL:
                raise self.error(start, f"chance probabilities at node {_quote(node_name)} "
                                        f"({describe()}) sum to {float(total):.12g}, not 1 (exact fractions such as "
                                        f"1/3 avoid rounding)")
        table[key] = declared
        return len(actions)

    def outcome(self) -> int:
        number = self.integer("an outcome number (0 for none)", 0)
        at = self.index - 1
        if not self.is_string():
            if number and number not in self.outcomes:
                raise self.fail(lambda: f"the name and payoffs of outcome {number}, which appears here for the first "
                                    f"time")
            return number
        if number == 0:
            raise self.error(self.index, "outcome 0 is the null outcome: it takes no name and no payoffs")
        self.index += 1
        self.brace(_LBRACE, lambda: f"'{{' to start the payoffs of outcome {number}")
        payoffs = []
        for player in range(1, self.n_players + 1):
            payoffs.append(self.number(_payoff_expected(player, number, self.n_players), "payoff"))
            if self.raw[self.index] == _COMMA:
                self.index += 1
        self.brace(_RBRACE, lambda: f"'}}' to close outcome {number}, which has {self.n_players} payoffs (one per "
                                    f"player)")
        if number in self.outcomes and self.outcomes[number][0] != tuple(payoffs):
            first = self.outcomes[number][1]
            raise self.error(at, f"outcome {number} has different payoffs here than on line {self.line(first)}; a "
                                 f"repeated declaration must match the first")
        self.outcomes.setdefault(number, (tuple(payoffs), at))
        return number


def _payoff_expected(player: int, number: int, n_players: int) -> Callable[[], str]:
    return lambda: (f"a number: the payoff of player {player} in outcome {number} (the player list names "
                    f"{n_players})")


def _describe(declaration: _Declaration) -> str:
    actions = " ".join(_quote(a) for a in declaration.actions)
    return f"{_quote(declaration.name)} {{ {actions} }}"


# -- building the game -------------------------------------------------------------------------------------------
def _build(parser: _Parser, title: str, players: list[str]) -> ExtensiveFormGame:
    nodes = parser.nodes
    order = _breadth_first(nodes)
    n = len(nodes)
    position = [0] * n
    for k, i in enumerate(order):
        position[i] = k
    parent = [-1] * n
    first_child = [-1] * n
    n_children = [0] * n
    chance_prob = [1.0] * n
    one = Fraction(1)
    exact_chance = [one] * n
    infoset = [-1] * n
    player = [nodes[i].player for i in order]
    zero: tuple[Fraction, ...] = (Fraction(0),) * parser.n_players
    accumulated: list[tuple[Fraction, ...]] = [zero] * n  # outcome sums from the root
    labels = [""] * n
    infoset_index: dict[tuple[int, int], int] = {}
    floats: dict[Fraction, float] = {}  # each distinct probability converted once
    for k, i in enumerate(order):
        node = nodes[i]
        if node.outcome:
            own = parser.outcomes[node.outcome][0]
            above = accumulated[parent[k]] if k else zero
            accumulated[k] = own if above is zero else tuple(a + b for a, b in zip(above, own, strict=True))
        elif k:
            accumulated[k] = accumulated[parent[k]]
        if node.name:
            labels[k] = node.name
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
                    probability = declared.probabilities[a]
                    if probability not in floats:
                        floats[probability] = float(probability)
                    chance_prob[c] = floats[probability]
                    exact_chance[c] = probability
        if node.kind == "p":
            infoset[k] = infoset_index.setdefault((node.player, node.number), len(infoset_index))
    keys = sorted(infoset_index, key=infoset_index.__getitem__)
    leaves = [k for k in range(n) if player[k] == TERMINAL]
    payoffs = np.zeros((n, parser.n_players))
    # Leaves mostly share their outcome's tuple of payoffs, and equal numbers in the file are one Fraction object
    # (Parser.numbers): each distinct object is converted once (by identity: hashing a Fraction costs more).
    vectors = {id(accumulated[k]): accumulated[k] for k in leaves}
    values = {id(v): v for vector in vectors.values() for v in vector}
    converted = {key: _as_float(v) for key, v in values.items()}
    if leaves:
        payoffs[leaves] = [[converted[id(v)] for v in accumulated[k]] for k in leaves]
    exact_payoffs = _exact_payoffs(accumulated, payoffs, leaves, list(values.values()))
    exact_chance_prob = _exact_chance(exact_chance, parent, player)
    arrays = {"parent": np.array(parent, dtype=np.int64), "player": np.array(player, dtype=np.int64),
              "infoset": np.array(infoset, dtype=np.int64)}
    try:
        return ExtensiveFormGame(
            n_players=parser.n_players, first_child=np.array(first_child, dtype=np.int64),
            n_children=np.array(n_children, dtype=np.int64), chance_prob=np.array(chance_prob), payoffs=payoffs,
            infoset_player=np.array([p for p, _ in keys], dtype=np.int64),
            infoset_labels=_infoset_labels(parser, keys),
            action_labels=tuple(parser.infosets[key].actions for key in keys), node_labels=tuple(labels),
            player_labels=None if all(p == "" for p in players) else tuple(players), name=title,
            exact_payoffs=exact_payoffs, exact_chance_prob=exact_chance_prob, **arrays)
    except GameError as exc:
        # The game checks perfect recall on arrays; the file's own check names the lines of the two nodes.
        _check_perfect_recall(parser, order, arrays["parent"], arrays["player"], arrays["infoset"], keys)
        raise GameError(f"{parser.source}: {exc}") from None


def _exact_payoffs(accumulated: list[tuple[Fraction, ...]], payoffs: np.ndarray, leaves: list[int],
                   values: list[Fraction]) -> np.ndarray | None:
    """The file's exact payoffs ``[n, n_players]``, kept only when some number is not what its float reads back as
    (``ExtensiveFormGame``'s module docstring), else None. ``values``: the leaves' payoffs, each number once."""
    if all(reads_back(v, _as_float(v)) for v in values if math.isfinite(_as_float(v))):
        return None
    exact_payoffs = np.empty(payoffs.shape, dtype=object)
    exact_payoffs[:] = Fraction(0)
    for k in leaves:
        exact_payoffs[k] = list(accumulated[k])
    return exact_payoffs


def _exact_chance(exact_chance: list[Fraction], parent: list[int], player: list[int]) -> np.ndarray | None:
    """The file's exact chance probabilities ``[n]``, kept only when some is not what its float reads back as, else
    None.

    Probabilities written as rounded decimals (``0.1666666666666666666667`` beside five ``1/6``) sum to 1 only
    within the reader's tolerance; the exact game then reads each float as the fraction it stands for instead.
    """
    if all(exact_probability(float(p)) == p for p in {id(p): p for p in exact_chance}.values()):
        return None
    totals: dict[int, Fraction] = {}
    for k in range(1, len(parent)):
        if player[parent[k]] == CHANCE:
            totals[parent[k]] = totals.get(parent[k], Fraction(0)) + exact_chance[k]
    if all(total == 1 for total in totals.values()):
        return np.array(exact_chance, dtype=object)
    return None


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
            other, line = parser.line(parser.nodes[order[seen[s][1]]].at), parser.line(parser.nodes[i].at)
            raise GameError(f"{parser.source}:{line}: information set {number} of player {p + 1} violates perfect "
                            f"recall: its nodes on lines {other} and {line} follow different moves of player "
                            f"{p + 1}")
        seen.setdefault(s, (own, k))


# -- reading -----------------------------------------------------------------------------------------------------
def loads_efg(text: str, *, source: str = "<efg text>") -> ExtensiveFormGame:
    """Parse the text of an ``.efg`` file; ``source`` names it in error messages."""
    if not isinstance(text, str):
        raise GameError(f"loads_efg(text): expected a str, got {type(text).__name__}")
    # The parser allocates a few objects per node, all alive until the end: the cyclic garbage collector would
    # traverse them again and again (a third of a large file's reading) to find nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        parser = _Parser(text, source)
        title, players = parser.prologue()
        parser.tree()
        return _build(parser, title, players)
    finally:
        if collecting:
            gc.enable()


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
