"""Constraint sets: projections are exact Euclidean projections (checked against their optimality conditions)."""

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from equilibria.core import Ball, Box, GameError, Reals, Simplex

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
vectors = arrays(np.float64, st.integers(1, 12), elements=finite)


@given(vectors, st.floats(0.1, 10))
@settings(max_examples=200, deadline=None)
def test_simplex_projection_satisfies_kkt(x, total):
    z = Simplex(total).project(x)
    assert Simplex(total).contains(z, tol=1e-9 * max(1.0, np.abs(x).max()))
    # KKT of min ||z - x||^2 on the simplex: z = max(x - theta, 0) for one theta; on the support x - z is constant,
    # off the support x <= theta.
    support = z > 0
    theta = float(np.mean((x - z)[support]))
    scale = max(1.0, np.abs(x).max())
    assert np.allclose((x - z)[support], theta, atol=1e-9 * scale)
    assert np.all(x[~support] <= theta + 1e-9 * scale)


def test_simplex_projection_known_values():
    np.testing.assert_allclose(Simplex().project(np.array([0.5, 0.5])), [0.5, 0.5])
    np.testing.assert_allclose(Simplex().project(np.array([2.0, 0.0])), [1.0, 0.0])
    np.testing.assert_allclose(Simplex().project(np.array([1.0, 1.0, 1.0])), [1 / 3] * 3)
    np.testing.assert_allclose(Simplex().project(np.array([0.3, -2.0, 0.5])), [0.4, 0.0, 0.6])


def test_simplex_projection_batched_and_jax():
    x = np.array([[0.3, -2.0, 0.5], [2.0, 0.0, 0.0]])
    expected = np.array([[0.4, 0.0, 0.6], [1.0, 0.0, 0.0]])
    np.testing.assert_allclose(Simplex().project(x), expected, atol=1e-12)
    np.testing.assert_allclose(np.asarray(Simplex().project(jnp.asarray(x))), expected, atol=1e-6)


@given(vectors)
@settings(max_examples=100, deadline=None)
def test_box_and_ball_projections(x):
    z = Box(-1.0, 2.0).project(x)
    np.testing.assert_array_equal(z, np.clip(x, -1.0, 2.0))
    b = Ball(1.5).project(x)
    norm = np.linalg.norm(x)
    assert np.linalg.norm(b) <= 1.5 + 1e-9
    if norm <= 1.5:
        np.testing.assert_allclose(b, x)
    else:  # radial: parallel to x
        np.testing.assert_allclose(b, x * 1.5 / norm, rtol=1e-12)
    np.testing.assert_array_equal(Reals().project(x), x)


@pytest.mark.parametrize("make", [lambda: Simplex(0.0), lambda: Simplex(float("nan")), lambda: Box(1.0, 0.0),
                                  lambda: Ball(-1.0)])
def test_bad_parameters_raise(make):
    with pytest.raises(GameError):
        make()
