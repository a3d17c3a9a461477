"""Errors raised by equilibria.

Every error a user can cause is a :class:`GameError` (a ``ValueError``) whose message names the function or
argument at fault and what was expected, in one line, so the command line can print it as is (exit code 2).
"""

from __future__ import annotations


class GameError(ValueError):
    """Bad input: a malformed game, file, argument or parameter. The message is one line."""


class NotApplicableError(GameError):
    """A solver was asked to solve a game outside its class (e.g. the zero-sum LP on a general-sum game)."""


def one_line(message: str) -> str:
    """``message`` on one line: line breaks and other control characters (a file name may hold them) escaped."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in message)
