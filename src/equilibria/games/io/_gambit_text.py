"""What Gambit's two text formats (``.nfg`` and ``.efg``) share: token kinds, tokens, numbers, quoted labels, and
the cursor their recursive-descent parsers move over the tokens (with ``file:line:column`` error messages)."""

from __future__ import annotations

import re
from fractions import Fraction
from typing import NamedTuple

from equilibria.core.errors import GameError

LBRACE, RBRACE, COMMA, STRING, WORD, EOF = "{", "}", ",", "string", "word", "end of file"
# A number: an integer, a decimal (with optional exponent) or a fraction such as 1/3.
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?\d+/\d+")
_DECIMAL = re.compile(r"[+-]?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?")
# The most digits the exact value of one number may need (numerator or denominator). Python refuses to convert
# integers of more than 4300 digits from text, and ``Fraction("1e999999999")`` would expand a billion-digit
# power of ten (minutes, gigabytes); a payoff that needs this many digits is not a game's data.
MAX_EXACT_DIGITS = 4000
# Beyond this order of magnitude no float holds the number (the largest float is about 1.8e308).
_MAX_FLOAT_ORDER = 309


def exact_number(text: str) -> Fraction:
    """The exact value of ``text``, which must match :data:`NUMBER` (an integer, a decimal with an optional
    exponent, or ``p/q``), without ever expanding a huge power of ten.

    Raises:
      ValueError: ``text`` is not a NUMBER, or its value is beyond every float (the message says "is not a
        finite number representable as a float"), or its exact value needs more than :data:`MAX_EXACT_DIGITS`
        digits. ``ZeroDivisionError`` for ``p/0``.
    """
    if not NUMBER.fullmatch(text):
        raise ValueError("is not a number")
    if "/" in text:
        numerator, denominator = text.split("/")
        if len(numerator.lstrip("+-").lstrip("0")) - len(denominator.lstrip("0")) > _MAX_FLOAT_ORDER:
            raise ValueError("is not a finite number representable as a float")
        if max(len(numerator), len(denominator)) > MAX_EXACT_DIGITS:
            raise ValueError(f"needs more than {MAX_EXACT_DIGITS} digits to hold exactly")
        return Fraction(int(numerator), int(denominator))
    match = _DECIMAL.fullmatch(text)
    assert match is not None  # NUMBER matched, and every NUMBER without '/' is a _DECIMAL
    whole, fraction, exponent = match.group(1), match.group(2) or "", match.group(3) or "0"
    digits = (whole + fraction).lstrip("0")
    if not digits:
        return Fraction(0)
    if len(exponent.lstrip("+-")) > 12:  # an exponent of more than 12 digits: 0 or infinite for any mantissa
        if not exponent.startswith("-"):
            raise ValueError("is not a finite number representable as a float")
        raise ValueError(f"needs more than {MAX_EXACT_DIGITS} digits to hold exactly")
    scale = int(exponent) - len(fraction)  # value = int(whole + fraction) * 10^scale
    if len(digits) + scale > _MAX_FLOAT_ORDER:
        raise ValueError("is not a finite number representable as a float")
    if len(digits) + abs(scale) > MAX_EXACT_DIGITS:
        raise ValueError(f"needs more than {MAX_EXACT_DIGITS} digits to hold exactly")
    return Fraction(text)


def shown(text: str, limit: int = 40) -> str:
    """``text`` for an error message: at most ``limit`` characters (a 5000-digit number stays one short line)."""
    return text if len(text) <= limit else f"{text[:limit - 3]}... ({len(text)} characters)"


class Token(NamedTuple):
    """One token with its 1-based position (for ``file:line:column`` error messages)."""

    kind: str
    text: str
    line: int
    column: int

    def describe(self) -> str:
        if self.kind == EOF:
            return "end of file"
        if self.kind == STRING:
            return f"the label {quote(self.text)}"
        return f"'{self.text}'"

    @property
    def where(self) -> str:
        return f"{self.line}:{self.column}"


def quote(label: str) -> str:
    """A label as Gambit writes it: in double quotes, with quotes and backslashes escaped."""
    return '"' + label.replace("\\", "\\\\").replace('"', '\\"') + '"'


class TokenCursor:
    """A position in a token list (ending with an EOF token) and the checks both grammars make at it."""

    def __init__(self, tokens: list[Token], source: str) -> None:
        self.tokens = tokens
        self.source = source
        self.index = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def next(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != EOF:
            self.index += 1
        return token

    def error(self, token: Token, message: str) -> GameError:
        return GameError(f"{self.source}:{token.where}: {message}")

    def fail(self, expected: str, token: Token | None = None) -> GameError:
        token = token or self.current
        return self.error(token, f"expected {expected}, found {token.describe()}")

    def expect(self, kind: str, expected: str) -> Token:
        if self.current.kind != kind:
            raise self.fail(expected)
        return self.next()

    def expect_word(self, word: str, expected: str) -> None:
        if self.current.kind != WORD or self.current.text != word:
            raise self.fail(expected)
        self.next()
