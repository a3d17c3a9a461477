"""Exact pivoting for :mod:`equilibria.solvers.vertex_enumeration` (``rational=True`` and the exact fallback).

The breadth-first search over lexicographically feasible bases of that module, on an integer matrix with
fraction-free integer pivoting: the tableau holds ``det(basis) * basis^-1 [M | 1]`` in Python integers, and a
pivot on ``(r, e)`` replaces every other row ``i`` by ``(T_i * T_re - T_ie * T_r) / det`` (an exact division) and
the determinant by ``T_re``. Vertices come out as lists of Fractions; label sets are integer bitmasks
(:func:`_bits`).
"""

from __future__ import annotations

from collections import deque
from fractions import Fraction
from math import lcm
from typing import Any

import numpy as np

# Exact bases expanded per step of a search (each costs far more than a float one: Python integers).
_EXACT_BLOCK = 8


def _bits(indices: Any) -> int:
    return sum(1 << int(i) for i in indices)


def _integer_positive(payoff: np.ndarray) -> np.ndarray:
    """An exact payoff matrix shifted to entries ``>= 1`` and scaled to integers (object array of ints)."""
    shifted = payoff - min(payoff.ravel()) + 1
    scale = lcm(*(f.denominator for f in shifted.ravel()))
    return np.array([[int(f * scale) for f in row] for row in shifted], dtype=object)


class _ExactBasisSearch:
    """Exact twin of :class:`_FloatBasisSearch` on an integer matrix, with fraction-free integer pivoting.

    The tableau holds ``det(basis) * basis^-1 [M | 1]`` in Python integers; a pivot on ``(r, e)`` replaces
    every other row ``i`` by ``(T_i * T_re - T_ie * T_r) / det`` (an exact division) and the determinant by
    ``T_re``. Vertices come out as lists of Fractions.
    """

    def __init__(self, matrix: np.ndarray, initial: list[int]) -> None:
        self.n_vars = matrix.shape[1]
        self.initial = initial
        self.block = _EXACT_BLOCK
        self.seen = {_bits(initial)}
        start = ([[int(v) for v in row] + [1] for row in matrix], list(initial), 1)
        self.queue: deque[tuple[list[list[int]], list[int], int]] = deque([start])

    @property
    def done(self) -> bool:
        return not self.queue

    def advance(self, limit: int) -> tuple[int, list[tuple[int, Any]]]:
        """Expand up to ``limit`` queued bases: how many, and ``(label mask, z)`` of each."""
        count = min(limit, len(self.queue))
        found = []
        for _ in range(count):
            tableau, basic, det = self.queue.popleft()
            values = [Fraction(0)] * self.n_vars
            for i, var in enumerate(basic):
                values[var] = Fraction(tableau[i][-1], det)
            found.append((_bits(v for v in range(self.n_vars) if values[v] == 0), values))
            key = _bits(basic)
            for e in range(self.n_vars):
                if (key >> e) & 1:
                    continue
                r = _exact_lexmin_row(tableau, e, self.initial)
                if r < 0:
                    continue
                child_key = key ^ (1 << e) ^ (1 << basic[r])
                if child_key not in self.seen:
                    self.seen.add(child_key)
                    self.queue.append(_integer_pivot(tableau, basic, det, r, e))
        return count, found


def _exact_lexmin_row(tableau: list[list[int]], e: int, inverse_columns: list[int]) -> int:
    """Lexicographic minimum-ratio row for entering column ``e`` by integer cross-multiplication; -1: none."""
    best = -1
    for i, row in enumerate(tableau):
        if row[e] <= 0:
            continue
        if best < 0:
            best = i
            continue
        other = tableau[best]
        for c in (-1, *inverse_columns):
            lhs, rhs = row[c] * other[e], other[c] * row[e]  # compare row[c]/row[e] with other[c]/other[e]
            if lhs != rhs:
                if lhs < rhs:
                    best = i
                break
    return best


def _integer_pivot(tableau: list[list[int]], basic: list[int], det: int, r: int,
                   e: int) -> tuple[list[list[int]], list[int], int]:
    pivot_row = tableau[r]
    pivot = pivot_row[e]
    new = [pivot_row if i == r
           else [(v * pivot - row[e] * p) // det for v, p in zip(row, pivot_row, strict=True)]
           for i, row in enumerate(tableau)]
    child = list(basic)
    child[r] = e
    return new, child, pivot
