"""Mixed equilibria of continuous zero-sum games; a game without a value."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from equilibria.core.errors import GameError, NotApplicableError
from equilibria.core.sets import Box
from equilibria.games.differentiable import DifferentiableGame
from equilibria.games.zoo import nonconcave as nc
from equilibria.solvers.continuous import (
    discretized_zero_sum_solve,
    double_oracle_solve,
    guess_the_larger_number_table,
)


def test_double_oracle_finds_the_mixed_equilibrium_of_squared_distance() -> None:
    result = double_oracle_solve(nc.squared_distance(), tol=1e-9)
    assert result.converged and result.method == "double_oracle"
    x, y = result.equilibrium
    assert np.array_equal(np.sort(x.points), [-1.0, 1.0])
    assert np.allclose(x.weights, [0.5, 0.5], atol=1e-9)
    assert np.array_equal(y.points, [0.0]) and np.array_equal(y.weights, [1.0])
    assert result.values[0][0] == pytest.approx(1.0, abs=1e-12)
    assert result.certificate[0] <= 1e-9
    assert result.parameters["lower"] <= 1.0 <= result.parameters["upper"]


def test_discretisation_converges_in_value() -> None:
    gaps = []
    for size in (4, 8, 16):  # even sizes miss the minimiser's point 0: the value is approached from above
        result = discretized_zero_sum_solve(nc.squared_distance(), grid_size=size)
        value = result.values[0][0]
        assert value >= 1.0 - 1e-9
        gaps.append(value - 1.0)
    assert gaps[0] > gaps[1] > gaps[2] > 0
    assert discretized_zero_sum_solve(nc.squared_distance(), grid_size=21).values[0][0] == pytest.approx(1.0)


def test_double_oracle_on_a_concave_convex_game_finds_the_pure_saddle() -> None:
    game = DifferentiableGame.zero_sum(lambda _, x, y: (x - 0.3) ** 2 - (y + 0.2) ** 2, jnp.zeros(()),
                                       (Box(), Box()))  # player 0 minimises: u_0 = -f
    result = double_oracle_solve(game, tol=1e-8)
    x, y = result.equilibrium
    assert result.converged
    assert np.average(x.points, weights=x.weights) == pytest.approx(0.3, abs=1e-3)
    assert np.average(y.points, weights=y.weights) == pytest.approx(-0.2, abs=1e-3)


def test_guess_the_larger_number_gap_does_not_close() -> None:
    rows = guess_the_larger_number_table((1, 2, 5, 10, 40))
    for row in rows:
        assert row.value == 0.0
        assert row.support == (row.n,)
        assert (row.guaranteed, row.conceded, row.gap) == (-1.0, 1.0, 2.0)


def test_bad_input() -> None:
    general_sum = DifferentiableGame(lambda _, p: jnp.stack([p[0] * p[1], p[0] + p[1]]), jnp.zeros(()),
                                     (Box(), Box()))
    with pytest.raises(NotApplicableError, match="not a zero-sum game"):
        double_oracle_solve(general_sum)
    with pytest.raises(GameError, match="bounded interval"):
        double_oracle_solve(nc.forsaken())
    with pytest.raises(GameError, match="DifferentiableGame"):
        discretized_zero_sum_solve(nc.guess_the_larger_number(3))
    with pytest.raises(GameError, match="grid_size"):
        discretized_zero_sum_solve(nc.squared_distance(), grid_size=1)
    with pytest.raises(GameError, match="tol"):
        double_oracle_solve(nc.squared_distance(), tol=0.0)
    with pytest.raises(GameError, match="sizes"):
        guess_the_larger_number_table((0,))
    with jax.enable_x64(True):
        result = double_oracle_solve(nc.squared_distance(), max_iterations=2)
    assert not result.converged
