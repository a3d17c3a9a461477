"""Exact arithmetic helpers for solvers that offer ``rational=True``.

A float payoff becomes the fraction of its shortest round-trip decimal (``Fraction(repr(x))``): integers stay
integers and a payoff typed as ``0.1`` is read as 1/10, the number the user meant, rather than the binary float's
expansion. Solvers that claim exactness verify every returned profile with exact arithmetic on these fractions.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np


def to_fraction(x: Any) -> Fraction:
    """One number as a Fraction (floats via their shortest decimal representation)."""
    if isinstance(x, Fraction):
        return x
    if isinstance(x, int | np.integer):
        return Fraction(int(x))
    return Fraction(repr(float(x)))


def to_fraction_array(a: Any) -> np.ndarray:
    """An array of Fractions (``dtype=object``) with the same shape."""
    arr = np.asarray(a)
    out = np.empty(arr.shape, dtype=object)
    for index, value in np.ndenumerate(arr):
        out[index] = to_fraction(value)
    return out


def reads_back(value: Fraction, nearest: float) -> bool:
    """Whether ``nearest`` (``value``'s nearest float) converts back to ``value`` by :func:`to_fraction`: then a game
    need not keep ``value`` beside its float (integers and short decimals; not ``2/7`` or 20-digit decimals)."""
    if value.denominator == 1 and abs(value) < 2**53:
        return True
    return to_fraction(nearest) == value


def is_exact(a: np.ndarray) -> bool:
    """Whether an array holds exact numbers (object dtype of Fractions/ints)."""
    return a.dtype == object


def fractions_to_floats(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype=float)
