"""jit_leaf: compiled without reference counting, or inlined into leaf callers; the same numbers either way."""

import numpy as np
import pytest

from equilibria.core.compiled import jit_leaf


def _scaled_sum(values: np.ndarray, scale: float) -> float:
    total = 0.0
    for value in values:
        total += value * scale
    return total


def _twice_scaled_sum(values: np.ndarray) -> float:
    return _inlined(values, 2.0)


_inlined = jit_leaf(_scaled_sum, inline=True)


def test_leaves_compute_what_python_computes() -> None:
    values = np.random.default_rng(0).random(17)
    expected = _scaled_sum(values, 2.0)
    assert jit_leaf(_scaled_sum)(values, 2.0) == expected
    assert jit_leaf(_twice_scaled_sum)(values) == expected


def test_a_leaf_that_allocates_does_not_compile() -> None:
    numba = pytest.importorskip("numba")
    leaf = jit_leaf(lambda size: np.zeros(size).sum())
    with pytest.raises(numba.core.errors.NumbaError):
        leaf(3)
