"""Argument checks shared by the package's functions: one rule and one message for each kind of number.

Each raises :class:`~equilibria.core.errors.GameError` naming the caller and the argument, e.g.
``"RochetNetConfig: menu_size must be a positive integer, got 0"``. ``bool`` is not a number here.
"""

from __future__ import annotations

import math
from typing import Any

from equilibria.core.errors import GameError


def positive_int(value: Any, name: str, caller: str) -> int:
    """``value`` if it is an integer >= 1 (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise GameError(f"{caller}: {name} must be a positive integer, got {value!r}")
    return value


def positive_number(value: Any, name: str, caller: str) -> float:
    """``value`` as a float if it is a finite number > 0 (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise GameError(f"{caller}: {name} must be a positive finite number, got {value!r}")
    return float(value)
