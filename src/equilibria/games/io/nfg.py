"""Gambit's strategic-game file format (``.nfg``): reader and writer.

The format (Gambit documentation, "The strategic game (.nfg) file format", payoff and outcome versions) is a
whitespace-separated token stream::

    NFG 1 R "title" { "P1" "P2" } { 3 2 }          <- prologue: players, then strategy counts ...
    "optional comment"
    1 1 0 2 0 2 1 1 0 3 2 0                         <- payoff version body

    NFG 1 R "title" { "P1" "P2" }
    { { "T" "M" "B" } { "L" "R" } }                 <- ... or nested strategy names
    { { "o1" 1, 1 } { "o2" 0, 2 } }                 <- outcome version: outcome list (payoff commas optional)
    1 2 2 1 0 0                                     <- an outcome index per profile; 0 = null outcome

**Profile order.** Profiles are enumerated with the *first* player's strategy varying fastest (like counting,
with player 1 the least significant digit). The payoff version lists, for each profile in that order, every
player's payoff. In terms of the tensor ``payoffs[i, a_1, ..., a_n]`` of :class:`NormalFormGame`, the body is
``payoffs.transpose(reversed axes)`` flattened in C order: flat entry ``k`` belongs to player ``k % n`` and
profile ``k // n``.

**Accepted variants.** ``NFG 1 D`` as well as ``NFG 1 R``; numbers as integers, decimals (``-.5``,
``1e-3``) or rationals (``3/2``), all read exactly: the game stores the nearest floats and, when some number is
not its float's shortest decimal (``2/7``), every payoff exactly (``NormalFormGame.exact_payoffs``, so
``rational=True`` solves the game in the file); the strategy list as
counts ``{ 3 2 }`` or as nested names; the optional comment string; ``\\"`` and ``\\\\`` escapes inside
quoted labels.
As an extension, ``#`` starts a comment that runs to the end of the line (outside quoted labels).

**Labels.** The title becomes ``game.name``, player names ``game.player_labels`` (``None`` when every name is
empty) and strategy names ``game.action_labels`` (``None`` when the file gives counts). The writer inverts
this exactly: unnamed players are written as ``""`` and unlabelled strategies as counts, so write-then-read
returns an identical game (every payoff the same float, via ``repr``; only ``-0.0`` comes back as ``0.0``).

**Errors** are :class:`equilibria.GameError` with a compiler-style location, e.g.
``model.nfg:3:7: expected '{' to start the player list, found 'foo'``.

Writers never leave a partial file: they write a temporary file in the target directory and ``os.replace`` it.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import TypeVar

import numpy as np

from equilibria.core.errors import GameError
from equilibria.core.files import write_atomic
from equilibria.core.rational import reads_back, to_fraction_array
from equilibria.games.io._gambit_text import COMMA as _COMMA
from equilibria.games.io._gambit_text import EOF as _EOF
from equilibria.games.io._gambit_text import LBRACE as _LBRACE
from equilibria.games.io._gambit_text import NUMBER as _NUMBER
from equilibria.games.io._gambit_text import RBRACE as _RBRACE
from equilibria.games.io._gambit_text import STRING as _STRING
from equilibria.games.io._gambit_text import WORD as _WORD
from equilibria.games.io._gambit_text import Token as _Token
from equilibria.games.io._gambit_text import TokenCursor, exact_number, shown
from equilibria.games.io._gambit_text import quote as _quote
from equilibria.games.normal_form import NormalFormGame

T = TypeVar("T")

__all__ = ["dumps_nfg", "loads_nfg", "read_nfg", "read_path_or_text", "read_text_file", "write_nfg"]

# Tokens of the format. WORD is any run of characters that are not whitespace, braces, commas, quotes or '#':
# numbers and the header symbols (NFG, 1, R) are WORDs, so one rule reports every non-numeric payoff.
_DELIMITERS = frozenset('{},"#')
_MAX_PROFILES = 10**8  # a typo in a strategy count should not try to allocate the universe




class _Lexer:
    """Splits the text into tokens, tracking 1-based line and column numbers for error messages."""

    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.pos = 0
        self.line = 1
        self.column = 1

    def _advance(self) -> str:
        char = self.text[self.pos]
        self.pos += 1
        if char == "\n":
            self.line += 1
            self.column = 1
        else:
            self.column += 1
        return char

    def error(self, line: int, column: int, message: str) -> GameError:
        return GameError(f"{self.source}:{line}:{column}: {message}")

    def tokens(self) -> list[_Token]:
        out: list[_Token] = []
        while True:
            self._skip_space_and_comments()
            line, column = self.line, self.column
            if self.pos >= len(self.text):
                out.append(_Token(_EOF, "", line, column))
                return out
            char = self.text[self.pos]
            if char in "{},":
                self._advance()
                out.append(_Token(char, char, line, column))
            elif char == '"':
                out.append(_Token(_STRING, self._read_string(line, column), line, column))
            else:
                start = self.pos
                while (self.pos < len(self.text) and not self.text[self.pos].isspace()
                       and self.text[self.pos] not in _DELIMITERS):
                    self._advance()
                out.append(_Token(_WORD, self.text[start:self.pos], line, column))

    def _skip_space_and_comments(self) -> None:
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char.isspace():
                self._advance()
            elif char == "#":
                while self.pos < len(self.text) and self.text[self.pos] != "\n":
                    self._advance()
            else:
                return

    def _read_string(self, line: int, column: int) -> str:
        self._advance()  # the opening quote
        chars: list[str] = []
        while self.pos < len(self.text):
            char = self._advance()
            if char == '"':
                return "".join(chars)
            if char == "\\" and self.pos < len(self.text) and self.text[self.pos] in '"\\':
                chars.append(self._advance())
            else:
                chars.append(char)
        raise self.error(line, column, "unterminated label: the file ends before its closing '\"'")


class _Parser(TokenCursor):
    """Recursive-descent parser over the token list; every ``expect`` names what the grammar wanted."""

    def __init__(self, text: str, source: str) -> None:
        self.lexer = _Lexer(text, source)
        super().__init__(self.lexer.tokens(), source)
        self.outcomes_read = False
        # The exact value of the last number read, when its float does not carry it (see ``number``).
        self.last_exact: Fraction | None = None
        # Flat positions (payoff version) or (outcome, player) pairs whose numbers are not their floats' decimals.
        self.inexact: dict[int, Fraction] = {}

    # -- grammar ---------------------------------------------------------------------------------------------
    def game(self) -> NormalFormGame:
        if self.current.kind == _EOF:
            raise self.lexer.error(1, 1, "the file is empty; expected a game starting with 'NFG 1 R'")
        self.expect_word("NFG", "'NFG' at the start of the file")
        self.expect_word("1", "the format version '1' after 'NFG'")
        if self.current.kind != _WORD or self.current.text not in ("R", "D"):
            raise self.fail("'R' or 'D' after 'NFG 1'")
        self.next()
        title = self.expect(_STRING, 'the game title in quotes, e.g. "My game"').text
        players = self.player_names()
        strategies = self.strategies(len(players))
        if self.current.kind == _STRING:  # the optional comment
            self.next()
        shape = tuple(len(s) if isinstance(s, tuple) else s for s in strategies)
        _check_size(shape, self)
        if self.current.kind == _LBRACE:
            payoffs = self.outcome_body(shape)
        elif self.current.kind == _WORD:
            payoffs = self.payoff_body(shape)
        else:
            raise self.fail("the payoff list or the '{' of an outcome list")
        self.expect(_EOF, f"end of file after the last {'outcome index' if self.outcomes_read else 'payoff'}")
        return _build_game(payoffs, shape, title, players, strategies, self.inexact)

    def player_names(self) -> list[str]:
        self.expect(_LBRACE, "'{' to start the player list")
        names = []
        while self.current.kind == _STRING:
            names.append(self.next().text)
        self.expect(_RBRACE, "a quoted player name or '}' to end the player list")
        if not names:
            raise self.fail("at least one player in the player list", self.tokens[self.index - 1])
        return names

    def strategies(self, n_players: int) -> list[int | tuple[str, ...]]:
        """Either counts ``{ 3 2 }`` or nested names ``{ { "a" "b" "c" } { "x" "y" } }``, one per player."""
        self.expect(_LBRACE, "'{' to start the strategy list")
        out: list[int | tuple[str, ...]] = []
        named = self.current.kind == _LBRACE
        for player in range(1, n_players + 1):
            if named:
                self.expect(_LBRACE, f"'{{' to start the strategy names of player {player}")
                names = []
                while self.current.kind == _STRING:
                    names.append(self.next().text)
                self.expect(_RBRACE, f"a quoted strategy name or '}}' to end player {player}'s strategies")
                if not names:
                    raise self.fail(f"at least one strategy for player {player}", self.tokens[self.index - 1])
                out.append(tuple(names))
            else:
                token = self.current
                digits = token.text.lstrip("0") or "0"
                if token.kind != _WORD or not re.fullmatch(r"\d+", digits) or digits == "0":
                    raise self.fail(f"a positive integer: the number of strategies of player {player} "
                                    f"(the player list names {n_players})")
                # Python will not convert an integer of more than 4300 digits from text; a count this long is
                # beyond the size limit anyway.
                if len(digits) > 18:
                    raise self.error(token, f"player {player}'s strategy count {shown(token.text)} exceeds the "
                                            f"{_MAX_PROFILES} profiles this reader accepts")
                self.next()
                out.append(int(digits))
        self.expect(_RBRACE, f"'}}' to end the strategy list (the player list names {n_players})")
        return out

    def number(self, what: str) -> float:
        """The next payoff token as the nearest float; the exact value is kept (:meth:`exact_value`) when the
        float's shortest decimal is not the number written (``2/7``, or more digits than a float holds)."""
        token = self.current
        if token.kind != _WORD or not _NUMBER.fullmatch(token.text):
            raise self.fail(what)
        self.next()
        try:
            value = exact_number(token.text)
            result = float(value)
        except (ZeroDivisionError, OverflowError):
            result = math.inf
        except ValueError as exc:
            raise self.error(token, f"payoff '{shown(token.text)}' {exc}") from None
        if not math.isfinite(result):
            raise self.error(token,
                             f"payoff '{shown(token.text)}' is not a finite number representable as a float")
        self.last_exact = None if reads_back(value, result) else value
        return result

    def payoff_body(self, shape: tuple[int, ...]) -> np.ndarray:
        n_players = len(shape)
        n_profiles = math.prod(shape)
        flat = np.empty(n_players * n_profiles)
        for k in range(flat.size):
            profile, player = divmod(k, n_players)
            if self.current.kind == _EOF:
                raise self.error(self.current,
                                 f"the payoff list ends after {k} of the {flat.size} payoffs expected "
                                 f"({n_players} players x {n_profiles} profiles)")
            flat[k] = self.number(f"a number: payoff {k + 1} of {flat.size} (player {player + 1}, profile "
                                  f"{profile + 1})")
            if self.last_exact is not None:
                self.inexact[k] = self.last_exact
        return flat.reshape(n_profiles, n_players)

    def outcome_body(self, shape: tuple[int, ...]) -> np.ndarray:
        n_players = len(shape)
        outcomes = [np.zeros(n_players)]  # index 0: the null outcome
        exact_outcomes: dict[tuple[int, int], Fraction] = {}
        self.expect(_LBRACE, "'{' to start the outcome list")
        while self.current.kind == _LBRACE:
            self.next()
            number = len(outcomes)
            self.expect(_STRING, f'the quoted name of outcome {number} (may be "")')
            values = np.empty(n_players)
            for player in range(n_players):
                values[player] = self.number(f"a number: payoff of player {player + 1} in outcome {number}")
                if self.last_exact is not None:
                    exact_outcomes[(number, player)] = self.last_exact
                if self.current.kind == _COMMA:
                    self.next()
            self.expect(_RBRACE, f"'}}' to close outcome {number}, which has {n_players} payoffs "
                                 f"(one per player)")
            outcomes.append(values)
        self.expect(_RBRACE, "'{' to start another outcome or '}' to end the outcome list")
        self.outcomes_read = True
        table = np.stack(outcomes)
        n_profiles = math.prod(shape)
        indices = np.empty(n_profiles, dtype=np.int64)
        for k in range(n_profiles):
            token = self.current
            if token.kind == _EOF:
                raise self.error(token,
                                 f"the outcome index list ends after {k} of the {n_profiles} indices "
                                 f"expected (one per profile)")
            if token.kind != _WORD or not re.fullmatch(r"\d+", token.text):
                raise self.fail(f"a non-negative integer: the outcome index of profile {k + 1} of "
                                f"{n_profiles}")
            if len(token.text.lstrip("0")) > 18 or int(token.text.lstrip("0") or "0") >= len(outcomes):
                raise self.error(token,
                                 f"outcome index {shown(token.text)} of profile {k + 1} is out of range: "
                                 f"the file defines outcomes 1..{len(outcomes) - 1} (0 = null outcome)")
            indices[k] = int(token.text.lstrip("0") or "0")
            self.next()
        if exact_outcomes:  # the profiles (flat, as the payoff version) whose outcome holds an inexact number
            for profile in np.flatnonzero(np.isin(indices, [o for o, _ in exact_outcomes])).tolist():
                for player in range(n_players):
                    if (int(indices[profile]), player) in exact_outcomes:
                        self.inexact[profile * n_players + player] = exact_outcomes[(int(indices[profile]), player)]
        return table[indices]


def _check_size(shape: tuple[int, ...], parser: _Parser) -> None:
    if math.prod(shape) > _MAX_PROFILES:
        counts = shown(str(list(shape)), 60)
        total = math.prod(shape)
        profiles = str(total) if total < 10**18 else f"about 10^{int(sum(math.log10(c) for c in shape))}"
        raise parser.error(parser.current,
                           f"the strategy counts {counts} give {profiles} profiles, more "
                           f"than the {_MAX_PROFILES} this reader accepts")


def _build_game(per_profile: np.ndarray, shape: tuple[int, ...], title: str, players: list[str],
                strategies: list[int | tuple[str, ...]], inexact: dict[int, Fraction]) -> NormalFormGame:
    """``per_profile[k, i]``: player i's payoff at the k-th profile, first player's strategy fastest.

    ``inexact``: flat positions ``k * n + i`` whose number is not its float's shortest decimal; when there are any,
    the game keeps every payoff exactly (``exact_payoffs``).
    """
    n = len(shape)
    # Fortran order makes the first axis vary fastest, which is the file's profile order.
    tensor = np.stack([per_profile[:, i].reshape(shape, order="F") for i in range(n)])
    exact = None
    if inexact:
        flat = to_fraction_array(per_profile).reshape(-1)
        for position, value in inexact.items():
            flat[position] = value
        per_exact = flat.reshape(per_profile.shape)
        exact = np.stack([per_exact[:, i].reshape(shape, order="F") for i in range(n)])
    names = tuple(s for s in strategies if isinstance(s, tuple))
    return NormalFormGame(
        tensor,
        name=title,
        player_labels=None if all(p == "" for p in players) else tuple(players),
        action_labels=names if len(names) == n else None,
        exact_payoffs=exact,
    )



# -- reading -------------------------------------------------------------------------------------------------
def loads_nfg(text: str, *, source: str = "<nfg text>") -> NormalFormGame:
    """Parse the text of an ``.nfg`` file; ``source`` names it in error messages."""
    if not isinstance(text, str):
        raise GameError(f"loads_nfg(text): expected a str, got {type(text).__name__}")
    return _Parser(text, source).game()


def read_nfg(path_or_text: str | os.PathLike[str]) -> NormalFormGame:
    """Read a game from an ``.nfg`` file, or from the file's text itself.

    A ``str`` that starts with ``NFG`` (after blanks) or spans several lines is taken as the text; anything
    else is a path.
    """
    return read_path_or_text(path_or_text, "NFG", loads_nfg, "read_nfg")


def read_path_or_text(path_or_text: str | os.PathLike[str], header: str, loads: Callable[..., T],
                      caller: str) -> T:
    """``loads(text)`` of a file's text given directly (a ``str`` that starts with ``header`` after blanks, or spans
    several lines) or read from a path (``loads(text, source=path)``)."""
    if isinstance(path_or_text, str) and ("\n" in path_or_text
                                          or re.match(rf"{header}\s", path_or_text.lstrip()) is not None):
        return loads(path_or_text)
    if not isinstance(path_or_text, str | os.PathLike):
        raise GameError(f"{caller}(path_or_text): expected a path or the file's text, "
                        f"got {type(path_or_text).__name__}")
    path = Path(path_or_text)
    return loads(read_text_file(path, caller), source=str(path))


def read_text_file(path: Path, caller: str) -> str:
    """The file's UTF-8 text (a byte-order mark is dropped), or a one-line GameError saying why not."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise GameError(f"{caller}(path): no such file '{path}'") from None
    except IsADirectoryError:
        raise GameError(f"{caller}(path): '{path}' is a directory, not a game file") from None
    except OSError as exc:
        raise GameError(f"{caller}(path): cannot read '{path}': {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise GameError(f"{path}:{line}: the file is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
                        f"{exc.start})") from None


# -- writing -------------------------------------------------------------------------------------------------
def dumps_nfg(game: NormalFormGame) -> str:
    """The ``.nfg`` text of ``game``, payoff version (with strategy names when the game has them)."""
    if not isinstance(game, NormalFormGame):
        raise GameError(f"dumps_nfg(game): expected a NormalFormGame, got {type(game).__name__}")
    players = game.player_labels if game.player_labels is not None else ("",) * game.n_players
    lines = [f"NFG 1 R {_quote(game.name)} {{ {' '.join(_quote(p) for p in players)} }}"]
    if game.action_labels is None:
        lines.append(f"{{ {' '.join(str(n) for n in game.n_actions)} }}")
    else:
        lines.append("{")
        lines.extend(f"  {{ {' '.join(_quote(a) for a in actions)} }}" for actions in game.action_labels)
        lines.append("}")
    lines.append("")
    # One line per profile (first player's strategy fastest): all players' payoffs at that profile.
    source = game.exact_payoffs if game.exact_payoffs is not None else game.payoffs
    per_profile = np.stack([source[i].reshape(-1, order="F") for i in range(game.n_players)], axis=1)
    lines.extend(" ".join(_format_number(v) for v in row) for row in per_profile)
    return "\n".join(lines) + "\n"


def write_nfg(game: NormalFormGame, path: str | os.PathLike[str]) -> None:
    """Write ``game`` to ``path`` in the payoff version of the format, atomically."""
    text = dumps_nfg(game)
    write_atomic(path, text, caller="write_nfg")




def _format_number(value: float | Fraction) -> str:
    """Integers without a decimal point; Fractions as ``p/q``; other floats as ``repr``, the shortest text that
    reads back."""
    if isinstance(value, Fraction):
        return str(value)
    value = float(value)
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(value)
