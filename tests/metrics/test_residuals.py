"""Local residuals: first-order stationarity, second-order classification, (eps, delta)-local Nash, local CCE gaps."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria.core.errors import GameError
from equilibria.core.sets import Box
from equilibria.games.differentiable import DifferentiableGame
from equilibria.games.zoo import nonconcave as nc
from equilibria.metrics import residuals as r


def _scalars(*values: float) -> tuple[jax.Array, ...]:
    return tuple(jnp.asarray(float(v)) for v in values)


def _saddle() -> DifferentiableGame:
    """``min_x max_y x^2 - y^2`` on [-1, 1]^2: the origin is a strict local (indeed global) Nash equilibrium."""
    return DifferentiableGame.zero_sum(lambda _, x, y: x**2 - y**2, jnp.zeros(()), (Box(), Box()))


@settings(max_examples=30, deadline=None)
# No subnormals: XLA on CPU flushes them to zero, so |a - b| of about 1e-313 is a residual of 0 there.
@given(st.floats(-1, 1, allow_subnormal=False), st.floats(-1, 1, allow_subnormal=False))
def test_first_order_stationary_set_is_the_diagonal(a: float, b: float) -> None:
    with jax.enable_x64(True):
        residual = r.first_order_residual(nc.squared_distance(), _scalars(a, b))
    # player 1's residual is at least |x_0 - x_1| (it steps toward x_0, which lies inside the box)
    assert residual >= abs(a - b) * (1 - 1e-12)
    if a == b:
        assert residual == 0.0


@settings(max_examples=15, deadline=None)
@given(st.floats(-1, 1), st.floats(0.01, 0.5))
def test_diagonal_point_is_local_nash_iff_eps_at_least_delta_squared(a: float, delta: float) -> None:
    with jax.enable_x64(True):
        game, point = nc.squared_distance(), _scalars(a, a)
        gains = r.local_deviation_gains(game, point, delta, method="grid")
        assert gains[0] == pytest.approx(delta**2, rel=1e-12)
        assert gains[1] == 0.0
        assert r.is_local_nash(game, point, delta**2 * (1 + 1e-9), delta)
        assert not r.is_local_nash(game, point, delta**2 * (1 - 1e-6), delta)


def test_ascent_agrees_with_the_grid_on_scalar_players() -> None:
    with jax.enable_x64(True):
        gains = r.local_deviation_gains(nc.squared_distance(), _scalars(0.3, 0.3), 0.1, method="ascent")
    assert gains[0] == pytest.approx(0.01, rel=1e-9)
    assert gains[1] == 0.0


def test_classification_of_the_zoo_points() -> None:
    with jax.enable_x64(True):
        ridge = r.classify_stationary_point(nc.ridge_minimax(), _scalars(0.0, 0.0))
        assert ridge.label == "strict local minimax"
        assert not ridge.strict_local_nash and ridge.zero_sum
        assert np.allclose(ridge.schur_eigenvalues, [8.0])
        assert np.allclose(ridge.own_hessian_eigenvalues[0], [-10.0])  # the minimiser is at a local max of f
        e = nc.entry("forsaken")
        forsaken = r.classify_stationary_point(e.build(), e.points["critical"]())
        assert forsaken.label == "strict local maximin"
        assert forsaken.strict_local_minimax is False and not forsaken.strict_local_nash
        assert forsaken.own_hessian_eigenvalues[1][0] < 0  # the maximiser sits at a local minimum of f in y
        assert r.classify_stationary_point(_saddle(), _scalars(0.0, 0.0)).label == "strict local Nash"
        assert r.classify_stationary_point(nc.squared_distance(), _scalars(0.2, 0.2)).label == "neither"
        assert r.classify_stationary_point(nc.squared_distance(), _scalars(0.2, 0.5)).label == "not stationary"
        assert r.classify_stationary_point(nc.squared_distance(), _scalars(1.0, 1.0)).label == "neither"
        boundary = DifferentiableGame.zero_sum(lambda _, x, y: x - y**2, jnp.zeros(()), (Box(), Box()))
        assert r.classify_stationary_point(boundary, _scalars(-1.0, 0.0)).label == "boundary"


def test_continuous_duality_gap_of_the_mixed_equilibrium() -> None:
    equilibrium = [r.MixedStrategy(np.array([-1.0, 1.0]), np.array([0.5, 0.5])),
                   r.MixedStrategy(np.array([0.0]), np.array([1.0]))]
    assert r.continuous_duality_gap(nc.squared_distance(), equilibrium) == (1.0, 1.0)
    pure = [r.MixedStrategy(np.array([1.0]), np.array([1.0])), r.MixedStrategy(np.array([0.0]), np.array([1.0]))]
    assert r.continuous_duality_gap(nc.squared_distance(), pure) == (0.0, 1.0)  # max-min 0, min-max 1


def test_local_cce_gaps_at_a_strict_local_nash_point_are_second_order() -> None:
    with jax.enable_x64(True):
        support = (jnp.zeros((3,)), jnp.zeros((3,)))
        gaps = r.local_cce_gaps(_saddle(), support, 0.1)
    assert np.all(gaps.interpolation == 0.0) and np.all(gaps.projection == 0.0)
    assert gaps.gap == 0.0


def test_set_diameter() -> None:
    from equilibria.core.sets import Ball, Reals, Simplex
    assert r.set_diameter(Box(-1.0, 1.0), jnp.zeros(4)) == pytest.approx(4.0)
    assert r.set_diameter(Ball(2.0), (jnp.zeros(3), jnp.zeros(2))) == pytest.approx(4 * np.sqrt(2))
    assert r.set_diameter(Simplex(), jnp.zeros(3)) == pytest.approx(np.sqrt(2))
    assert r.set_diameter(Reals(), jnp.zeros(())) == float("inf")


def test_bad_input_is_one_line() -> None:
    game, point = nc.squared_distance(), _scalars(0.0, 0.0)
    cases = [
        (lambda: r.first_order_residuals("game", point), "expected a DifferentiableGame"),
        (lambda: r.first_order_residuals(game, point, step_size=0.0), "step_size"),
        (lambda: r.local_deviation_gains(game, point, -1.0), "delta"),
        (lambda: r.local_deviation_gains(game, point, 0.1, method="newton"), "method"),
        (lambda: r.local_deviation_gains(nc.two_layer_gan(), nc.two_layer_gan_start(), 0.1, method="grid"),
         "more than one parameter"),
        (lambda: r.is_local_nash(game, point, -1.0, 0.1), "eps"),
        (lambda: r.local_cce_gaps(game, (jnp.zeros(3), jnp.zeros(2)), 0.1), "leading axis"),
        (lambda: r.classify_stationary_point(game, (point[0],)), "one parameter pytree per player"),
        (lambda: r.continuous_duality_gap(nc.forsaken(), [r.MixedStrategy(np.zeros(1), np.ones(1))] * 2),
         "bounded interval"),
    ]
    for call, message in cases:
        with pytest.raises(GameError, match=message) as info:
            call()
        assert "\n" not in str(info.value)
