"""Lemke-Howson in exact arithmetic: a fraction-free integer tableau (Bareiss), for ``rational=True`` and for
float paths that round-off spoilt.

The payoffs are scaled to integers (common denominator) and shifted to minimum 1; the tableau of one system
``G z = 1`` holds ``det(B) B^-1 [G | 1]`` in Python ints, so every division of Bareiss' update is exact. Variables
are indexed by their labels (see :mod:`equilibria.solvers.lemke_howson`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from equilibria.core.rational import to_fraction_array


class _IntegerTableau:
    """One system ``G z = 1`` as a dense compact integer tableau, its variables indexed by their labels.

    ``values: [rows, nonbasic + 1]`` (object array of Python ints) holds ``det B^-1 [G_N | 1]`` with
    ``det = |det B| > 0``. Each entry is a minor of ``[G | 1]``, so Bareiss' update divides exactly. The
    slacks start basic; their columns, in that order, are the columns of ``det B^-1`` that break ratio ties.
    """

    def __init__(self, values: np.ndarray, basic: Sequence[int], nonbasic: Sequence[int]) -> None:
        self.values = values
        self.det = 1
        self.basic = list(basic)
        self.nonbasic = list(nonbasic)
        self.slacks = list(basic)
        n_labels = len(self.basic) + len(self.nonbasic)
        self.row_of = [-1] * n_labels
        self.col_of = [-1] * n_labels
        for row, label in enumerate(self.basic):
            self.row_of[label] = row
        for col, label in enumerate(self.nonbasic):
            self.col_of[label] = col

    def enter(self, label: int) -> int:
        """Pivot the variable with ``label`` into the basis; returns the leaving variable's label."""
        col = self.col_of[label]
        column = self.values[:, col]
        rows = [r for r in range(len(column)) if column[r] > 0]  # never empty: P and Q are bounded
        rows = self._narrow(rows, self.values.shape[1] - 1, col)
        row = rows[0] if len(rows) == 1 else self._break_tie(rows, col)
        leaving = self.basic[row]
        self._pivot(row, col)
        self.basic[row], self.nonbasic[col] = label, leaving
        self.row_of[label], self.col_of[label] = row, -1
        self.row_of[leaving], self.col_of[leaving] = -1, col
        return leaving

    def _break_tie(self, rows: list[int], col: int) -> int:
        """Among ``rows`` (equal ratios), the lexicographically smallest row of ``B^-1`` over the pivot column."""
        for slack in self.slacks:
            basic_row = self.row_of[slack]
            if basic_row >= 0:
                # A basic slack's column of B^-1 is a unit vector: only its own row has a positive ratio.
                rows = [r for r in rows if r != basic_row]
            else:
                rows = self._narrow(rows, self.col_of[slack], col)
            if len(rows) == 1:
                break
        return rows[0]  # exactly one is left: B^-1 has full rank

    def _narrow(self, rows: list[int], key: int, col: int) -> list[int]:
        """The rows with the smallest ratio ``values[row, key] / values[row, col]``."""
        ratios = [Fraction(int(self.values[r, key]), int(self.values[r, col])) for r in rows]
        best = min(ratios)
        return [r for r, ratio in zip(rows, ratios, strict=True) if ratio == best]

    def _pivot(self, row: int, col: int) -> None:
        values = self.values
        pivot = values[row, col]
        column = values[:, col].copy()
        pivot_row = values[row].copy()
        updated = (values * pivot - np.outer(column, pivot_row)) // self.det  # exact (Bareiss)
        updated[row] = pivot_row
        # The leaving variable takes over the entering one's column: its column det e_row, transformed.
        updated[:, col] = -column
        updated[row, col] = self.det
        self.values = updated
        self.det = pivot

    def structural_solution(self, labels: range) -> np.ndarray:
        """The normalised values of the variables with ``labels`` (Fractions summing to 1)."""
        values = [0] * len(labels)
        for row, label in enumerate(self.basic):
            if label in labels:
                values[label - labels.start] = int(self.values[row, -1])
        total = sum(values)
        return np.array([Fraction(v, total) for v in values], dtype=object)


def _positive_integers(matrix: np.ndarray) -> np.ndarray:
    """``matrix`` (Fractions) scaled by their common denominator and shifted to minimum 1 (ints)."""
    exact = to_fraction_array(matrix)
    shifted = exact - min(exact.flat)
    scale = math.lcm(*(value.denominator for value in shifted.flat))
    out = np.empty(matrix.shape, dtype=object)
    for index, value in np.ndenumerate(shifted):
        out[index] = int(value * scale) + 1
    return out
