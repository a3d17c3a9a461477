"""What the enumeration fast-path tests share: known games, comparing sets of profiles, switching the fast path off."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import numpy as np
import pytest

from equilibria.solvers import _enumeration_fast
from equilibria.solvers import _enumeration_kernels as kernels

needs_numba = pytest.mark.skipif(not kernels.AVAILABLE, reason="the fast path needs numba")

VON_STENGEL_A = [[3, 3], [2, 5], [0, 6]]
VON_STENGEL_B = [[3, 2], [2, 6], [3, 1]]
# B[0] = (3, 3): the column player is indifferent against the top row (degenerate, a segment of equilibria).
VON_STENGEL_DEGENERATE_B = [[3, 3], [2, 6], [3, 1]]


@contextmanager
def fast_path_off(name: str) -> Iterator[None]:
    """Switch one fast path off (``"fast_vertex_equilibria"`` or ``"fast_support_equilibria"``): the solvers look it
    up at every call, and None sends them down their complete path."""
    with mock.patch.object(_enumeration_fast, name, lambda *args, **kwargs: None):
        yield


def as_rows(result) -> list[np.ndarray]:
    """The profiles as rows ``[x | y]`` (floats)."""
    return [np.concatenate([np.asarray(x, dtype=float), np.asarray(y, dtype=float)]) for x, y in result.equilibria]


def same_sets(first, second, tol: float = 1e-9) -> bool:
    """The two results' profiles match one to one within ``tol`` (max norm)."""
    remaining = as_rows(second)
    for row in as_rows(first):
        hits = [i for i, other in enumerate(remaining) if float(np.abs(row - other).max()) <= tol]
        if len(hits) != 1:
            return False
        remaining.pop(hits[0])
    return not remaining
