"""What Gambit's two text formats (``.nfg`` and ``.efg``) share: token kinds, tokens, numbers, quoted labels."""

from __future__ import annotations

import re
from typing import NamedTuple

LBRACE, RBRACE, COMMA, STRING, WORD, EOF = "{", "}", ",", "string", "word", "end of file"
# A number: an integer, a decimal (with optional exponent) or a fraction such as 1/3.
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?\d+/\d+")


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
