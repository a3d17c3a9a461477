"""Shared by the Lemke-Howson parts (see :mod:`equilibria.solvers.lemke_howson` for the maths): numba, the
float tolerances, the path statuses, the ratio test's primitives and the map of payoffs into ``[1, 2]``.

Conventions of every float part. Payoffs are mapped affinely into ``[1, 2]`` (:func:`_positive_floats`), so the
systems ``s + M z = 1`` start at unit scale and the tolerances below are relative to 1. When numba is installed the
pivoting loops are compiled (cached on disk): a compiled function reads the module constants it uses at compile
time. Hot primitives come in two versions computing the same numbers, ``*_numpy`` (NumPy calls, for the interpreted
loop without numba) and ``*_loops`` (plain loops, which numba compiles into code faster than BLAS calls on small
blocks and free of temporary arrays); the unsuffixed name is the one in use. A *leaf* (:func:`_jit_leaf`) runs
without numba's reference counting (:mod:`equilibria.core.compiled`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

# numba is optional: it compiles the float pivoting loop (a sequential loop that NumPy cannot vectorise).
from equilibria.core.compiled import NUMBA_INSTALLED, jit, jit_leaf

_PIVOT_TOL = 1e-10  # direction entries below this fraction of the largest one count as zero
_TIE_TOL = 1e-11  # ratios within this (relative, floor 1) of the minimum are ties for the lexicographic rule

# Path status: reached an equilibrium / budget chunk used up / round-off left no pivot row or made the path cycle /
# W is due for recomputation / W needs more room / the final vertex must be read out again from its basis.
_DONE, _STOPPED, _STUCK, _REFACTOR, _GROW, _POLISH = 0, 1, 2, 3, 4, 5


def _jit(function: Callable[..., Any], *, inline: bool = False) -> Callable[..., Any]:
    """``function`` compiled by numba (cached on disk, on first use) when numba is installed, else unchanged.

    ``inline``: compiled into each caller (numba IR inlining), for the small steps of the pivoting loops.
    """
    return jit(function, inline=inline)


def _jit_inline(function: Callable[..., Any]) -> Callable[..., Any]:
    return _jit(function, inline=True)


_jit_leaf = jit_leaf  # see equilibria.core.compiled: no reference counting, for loops that only index arrays


def _interpreted(function: Callable[..., Any]) -> Callable[..., Any]:
    """The Python function behind a compiled one (the function itself without numba)."""
    return getattr(function, "py_func", function)



# -- the minimum-ratio test ----------------------------------------------------------------------------------


def _min_ratio_numpy(values: np.ndarray, direction: np.ndarray, ratios: np.ndarray) -> tuple[int, int]:
    """Minimum-ratio test over entries with ``direction > _PIVOT_TOL * max(direction)``.

    Writes ``values / direction`` into ``ratios`` (``inf`` where ineligible) and returns ``(index, ties)``: the
    first minimising index (-1 when no entry is positive) and how many ratios are within ``_TIE_TOL`` of the
    minimum (:func:`_ties` lists them when there are several).
    """
    top = direction.max()
    if not top > 0.0:
        return -1, 0
    with np.errstate(divide="ignore", invalid="ignore"):  # the ratios of ineligible entries are masked out
        ratios[:] = np.where(direction > _PIVOT_TOL * top, values / direction, np.inf)
    best_index = int(np.argmin(ratios))
    return best_index, int(np.count_nonzero(ratios <= _tie_limit(ratios[best_index])))


def _ties_numpy(ratios: np.ndarray, best_index: int) -> np.ndarray:
    """The indices whose ratios (from :func:`_min_ratio`) tie with ``ratios[best_index]``, the minimum."""
    return np.flatnonzero(ratios <= _tie_limit(ratios[best_index]))


@_jit_inline
def _tie_limit(best: float) -> float:
    """Ratios up to this tie with the minimum ``best`` (relative tolerance, floor 1)."""
    return best + _TIE_TOL * max(1.0, abs(best))


def _min_ratio_loops(values: np.ndarray, direction: np.ndarray, ratios: np.ndarray) -> tuple[int, int]:
    top = 0.0
    for d in direction:
        top = max(top, d)
    if not top > 0.0:
        return -1, 0
    threshold = _PIVOT_TOL * top
    best, best_index = np.inf, -1
    for i in range(direction.size):
        ratio = values[i] / direction[i] if direction[i] > threshold else np.inf
        ratios[i] = ratio
        if ratio < best:
            best, best_index = ratio, i
    if best_index < 0:  # every eligible ratio is NaN: round-off has spoilt the path
        return -1, 0
    limit, count = _tie_limit(best), 0
    for ratio in ratios[: direction.size]:
        if ratio <= limit:
            count += 1
    return best_index, count


def _ties_loops(ratios: np.ndarray, best_index: int) -> np.ndarray:
    limit = _tie_limit(ratios[best_index])
    tied = np.zeros(ratios.size, dtype=np.int64)
    count = 0
    for i in range(ratios.size):
        if ratios[i] <= limit:
            tied[count] = i
            count += 1
    return tied[:count]



if not NUMBA_INSTALLED:
    _min_ratio, _ties = _min_ratio_numpy, _ties_numpy
else:
    _min_ratio, _ties = _jit_inline(_min_ratio_loops), _jit(_ties_loops)


# -- payoffs mapped into [1, 2] ------------------------------------------------------------------------------


@_jit_inline
def _scale(low: float, high: float) -> float:
    """The factor of the map ``v -> 1 + (v - low) scale`` of payoffs in ``[low, high]`` into ``[1, 2]``.

    A product per entry rather than a division (about four times cheaper). 0 for constant payoffs, so that all
    of them map to 1.
    """
    return 1.0 / (high - low) if high > low else 0.0



@_jit_inline
def _positive(value: float, low: float, scale: float) -> float:
    """One payoff mapped into ``[1, 2]`` as :func:`_positive_floats` maps it (``scale``: :func:`_scale`)."""
    return 1.0 + (value - low) * scale



def _positive_floats(matrix: np.ndarray) -> np.ndarray:
    """``matrix`` mapped affinely into ``[1, 2]`` (all ones when it is constant)."""
    low = float(matrix.min())
    return 1.0 + (matrix - low) * _scale(low, float(matrix.max()))
