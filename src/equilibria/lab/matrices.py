"""Payoff matrices typed as text: rows by lines, numbers by blanks or commas, fractions allowed (``1/3``).

Shared by the solve page and the dynamics playground. Numbers are read exactly (:class:`fractions.Fraction`), so a
typed ``1/3`` reaches exact solvers as one third; NaN and infinities are refused (``Fraction`` refuses them).
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Any

from equilibria.games.normal_form import NormalFormGame
from equilibria.lab._requests import LabError, short

_SEPARATOR = re.compile(r"[\s,;]+")
# A typed number: a decimal with a short exponent, or a fraction p/q of bounded length (``Fraction("1e999999999")``
# would build a billion-digit integer: the exponent is bounded before it is read).
_NUMBER = re.compile(r"[+-]?(?:\d{1,60}(?:\.\d{0,60})?|\.\d{1,60})(?:[eE][+-]?\d{1,3})?|[+-]?\d{1,60}/\d{1,60}")


def parse_matrix(value: Any, name: str, max_entries: int) -> list[list[Fraction]]:
    """``value`` (text, or a list of lists of numbers/strings) as a rectangular matrix of exact numbers."""
    if isinstance(value, str):
        if len(value) > 40 * max_entries:
            raise LabError(f"{name} is {len(value)} characters long, too long for {max_entries} entries")
        rows: list[list[Any]] = [_SEPARATOR.split(line.strip()) for line in value.strip().splitlines()
                                 if line.strip()]
    elif isinstance(value, list) and all(isinstance(row, list) for row in value):
        rows = value
    else:
        raise LabError(f"{name} must be text (rows by lines) or a list of rows, got {short(value)}")
    if not rows or not rows[0]:
        raise LabError(f"{name} is empty: type one row per line, numbers separated by blanks or commas")
    if sum(len(row) for row in rows) > max_entries:
        raise LabError(f"{name} has more than {max_entries} entries, over the limit")
    matrix = [[_exact(x, f"{name} (line {i + 1}, entry {j + 1})") for j, x in enumerate(row)]
              for i, row in enumerate(rows)]
    widths = {len(row) for row in matrix}
    if len(widths) != 1:
        raise LabError(f"{name}: rows have different lengths {sorted(widths)}; every row needs the same number of "
                       "entries")
    return matrix


def _exact(value: Any, where: str) -> Fraction:
    if isinstance(value, bool):
        raise LabError(f"{where}: expected a number, got {short(value)}")
    if isinstance(value, float | int):
        value = str(value)  # a float: the shortest decimal it prints as, like a typed number
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        try:
            exact = Fraction(value.strip())
            if math.isfinite(float(exact)):
                return exact
        except (ValueError, ZeroDivisionError, OverflowError):
            pass
    raise LabError(f"{where}: expected a number such as 2, -0.5 or 1/3, got {short(value)}")


def bimatrix_game(body: dict[str, Any], max_entries: int) -> NormalFormGame:
    """``body["row"]`` (player 1's payoffs) and ``body["column"]`` (player 2's) as an exact bimatrix game."""
    row = parse_matrix(body.get("row"), "row", max_entries // 2)
    column = parse_matrix(body.get("column"), "column", max_entries // 2)
    if (len(row), len(row[0])) != (len(column), len(column[0])):
        raise LabError(f"row is {len(row)}x{len(row[0])} but column is {len(column)}x{len(column[0])}: both "
                       "players' matrices need the same shape")
    return NormalFormGame.from_fractions([row, column], name="typed bimatrix")
