"""STay-ON-the-Ridge (Daskalakis, Golowich, Skoulakis, Zampetakis 2023) on boxes: known answers, the path's
structure, degenerate inputs, budget and input checks."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria.core.errors import GameError, NotApplicableError
from equilibria.core.sets import Ball, Box, Reals
from equilibria.games.differentiable import DifferentiableGame
from equilibria.solvers.ridge import ridge_solve

TOL = 1e-6


def bilinear_shifted(_: None, x: jax.Array, y: jax.Array) -> jax.Array:
    return (x - 0.5) * (y - 0.5)


def f1(_: None, x: jax.Array, y: jax.Array) -> jax.Array:
    """The paper's first nonconvex-nonconcave example; the origin is a strict local minimax point."""
    return (4 * x**2 - (y - 3 * x + x**3 / 20) ** 2 - y**4 / 10) * jnp.exp(-(x**2 + y**2) / 100)


def phi(z: jax.Array) -> jax.Array:
    return z**2 / 4 - z**4 / 2 + z**6 / 6


def forsaken(_: None, x: jax.Array, y: jax.Array) -> jax.Array:
    """Hsieh, Mertikopoulos and Cevher (2021): gradient methods are drawn to a limit cycle, not the critical point."""
    return x * (y - 0.45) + phi(x) - phi(y)


def scalar_game(objective, x_box: Box, y_box: Box) -> DifferentiableGame:  # type: ignore[no-untyped-def]
    return DifferentiableGame.zero_sum(objective, None, (x_box, y_box))


def derivatives(objective, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    """Gradients ``[m, 2]`` and Hessians ``[m, 2, 2]`` of ``objective(None, x, y)`` at ``points: [m, 2]`` in
    float64, computed independently of the solver."""
    with jax.enable_x64(True):
        def f(v: jax.Array) -> jax.Array:
            return objective(None, v[0], v[1])

        at = jnp.asarray(np.atleast_2d(points), dtype=jnp.float64)
        return np.asarray(jax.jit(jax.vmap(jax.grad(f)))(at)), np.asarray(jax.jit(jax.vmap(jax.hessian(f)))(at))


def point_of(result) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    x, y = result.equilibrium
    return float(x), float(y)


# -- known answers ---------------------------------------------------------------------------------------------

def test_bilinear_on_the_unit_square_returns_the_centre() -> None:
    result = ridge_solve(scalar_game(bilinear_shifted, Box(0.0, 1.0), Box(0.0, 1.0)), tolerance=TOL)
    assert result.converged and result.method == "stonr"
    assert result.certificate_name == "first_order_residual" and result.certificate[0] <= TOL
    assert np.allclose(point_of(result), (0.5, 0.5), atol=TOL)
    assert np.allclose(result.values[0], [0.0, 0.0], atol=TOL)
    # the path: y is held at 0 (it wants to go down), x rises to 1/2, y joins the ridge and climbs to 1/2
    path = result.parameters["path"]
    assert path.shape[1] == 2 and np.allclose(path[0], [0.0, 0.0]) and np.allclose(path[-1], [0.5, 0.5])
    assert [e.split(" ")[0] for e in result.parameters["events"]] == ["face_of_i", "turns_inward", "satisfied"]


def test_f1_follows_the_ridge_to_the_strict_local_minimax_origin() -> None:
    game = scalar_game(f1, Box(-1.0, 1.0), Box(-2.0, 2.0))
    result = ridge_solve(game, tolerance=TOL)
    assert result.converged and result.certificate[0] <= TOL
    x, y = point_of(result)
    assert abs(x) <= TOL and abs(y) <= TOL
    # the origin is a strict local minimax: f_yy < 0 and the Schur complement f_xx - f_xy^2 / f_yy > 0
    _, (hess,) = derivatives(f1, np.array([x, y]))
    assert hess[1, 1] < 0 and hess[0, 0] - hess[0, 1] ** 2 / hess[1, 1] > 0
    # after y's epoch the path stays on the ridge df/dy = 0, where f_yy < 0, so x only moves forward
    path = result.parameters["path"]
    on_ridge = path[np.abs(path[:, 0] - path[0, 0]) > 0]
    grads, hessians = derivatives(f1, on_ridge)
    assert np.max(np.abs(grads[:, 1])) <= 1e-9 and np.all(hessians[:, 1, 1] < 0)
    assert np.all(np.diff(on_ridge[:, 0]) > 0)


def test_f1_on_the_square_stops_at_a_critical_corner() -> None:
    """On [-1, 1]^2 the starting corner is itself a min-max critical point: both players push out of the box."""
    result = ridge_solve(scalar_game(f1, Box(-1.0, 1.0), Box(-1.0, 1.0)), tolerance=TOL)
    assert result.converged and result.certificate[0] <= TOL
    assert point_of(result) == (-1.0, -1.0)
    (grad,), _ = derivatives(f1, np.array([-1.0, -1.0]))
    assert grad[0] > 0 and grad[1] < 0  # x wants to go below -1, y wants to go below -1


@pytest.mark.parametrize("bound", [1.0, 1.5])
def test_forsaken_reaches_the_critical_point_that_gradient_methods_cycle_around(bound: float) -> None:
    game = scalar_game(forsaken, Box(-bound, bound), Box(-bound, bound))
    result = ridge_solve(game, tolerance=TOL)
    assert result.converged and result.certificate[0] <= TOL
    x, y = point_of(result)
    assert np.allclose((x, y), (0.0780267, 0.4119339), atol=1e-6)
    (grad,), (hess,) = derivatives(forsaken, np.array([x, y]))
    assert np.max(np.abs(grad)) <= TOL
    # a first-order critical point, not a local max in y: the path reached it along the ridge's unstable branch
    assert hess[1, 1] > 0


def test_vector_players_on_a_matrix_game_reach_a_critical_point() -> None:
    def objective(matrix: jax.Array, x: jax.Array, y: jax.Array) -> jax.Array:
        return x @ matrix @ y + 0.1 * jnp.sum(jnp.sin(3 * x)) - 0.1 * jnp.sum(jnp.cos(2 * y))

    matrix = jnp.array([[1.0, -2.0, 0.5], [-1.0, 1.5, -0.5]])
    game = DifferentiableGame.zero_sum(objective, matrix, (Box(-1.0, 1.0), Box(-1.0, 1.0)))
    result = ridge_solve(game, (-np.ones(2), np.ones(3)), tolerance=TOL)
    assert result.converged and result.certificate[0] <= TOL
    x, y = result.equilibrium
    assert x.shape == (2,) and y.shape == (3,)
    assert result.parameters["path"].shape[1] == 5
    assert np.allclose(result.parameters["path"][0], [-1, -1, 1, 1, 1])


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 10_000), size=st.integers(1, 2))
def test_random_smooth_games_end_critical_or_say_why(seed: int, size: int) -> None:
    rng = np.random.default_rng(seed)
    data = tuple(jnp.asarray(rng.normal(size=(size, size)) * 2.0) for _ in range(3))

    def objective(data: tuple[jax.Array, ...], x: jax.Array, y: jax.Array) -> jax.Array:
        a, b, c = data
        return x @ a @ y + jnp.sum(jnp.sin(b @ x + c @ y))

    game = DifferentiableGame.zero_sum(objective, data, (Box(-1.0, 1.0), Box(-1.0, 1.0)))
    result = ridge_solve(game, (-np.ones(size), -np.ones(size)), tolerance=TOL, max_seconds=20)
    path = result.parameters["path"]
    assert np.all(np.abs(path) <= 1.0 + 1e-12)
    if result.converged:
        assert result.certificate[0] <= TOL
    else:
        assert result.parameters["stopped_because"]


# -- the path and the budget -----------------------------------------------------------------------------------

def test_path_is_continuous_starts_at_the_given_corner_and_stays_in_the_box() -> None:
    game = scalar_game(forsaken, Box(-1.5, 1.5), Box(-1.5, 1.5))
    step = 0.02
    result = ridge_solve(game, (np.float64(-1.5), np.float64(1.5)), step_size=step)
    path = result.parameters["path"]
    assert np.allclose(path[0], [-1.5, 1.5])
    assert np.all(np.abs(path) <= 1.5 + 1e-12)
    # steps are at most step_size in unit-cube coordinates (the box has width 3) plus the corrector's move
    jumps = np.linalg.norm(np.diff(path, axis=0), axis=1) / 3.0
    assert np.max(jumps) <= 1.5 * step
    assert np.allclose(path[-1], point_of(result))


def test_max_iterations_is_respected() -> None:
    result = ridge_solve(scalar_game(forsaken, Box(-1.5, 1.5), Box(-1.5, 1.5)), max_iterations=5)
    assert not result.converged and result.iterations <= 5
    assert "budget" in result.parameters["stopped_because"]
    assert len(result.parameters["path"]) <= 6


def test_max_seconds_is_respected() -> None:
    result = ridge_solve(scalar_game(forsaken, Box(-1.5, 1.5), Box(-1.5, 1.5)), max_seconds=1e-9)
    assert not result.converged and "budget" in result.parameters["stopped_because"]


def test_a_ridge_crossing_violates_non_degeneracy_and_is_reported() -> None:
    """V_y = (y + 1/2)(x - 1/2) vanishes on two crossing lines; at the crossing d^2f/dy^2 = d^2f/dxdy = 0."""

    def crossing(_: None, x: jax.Array, y: jax.Array) -> jax.Array:
        return (y + 0.5) ** 2 * (x - 0.5) / 2 - x / 4

    result = ridge_solve(scalar_game(crossing, Box(0.0, 1.0), Box(-1.0, 1.0)))
    assert not result.converged
    reason = result.parameters["stopped_because"]
    assert "non-degeneracy" in reason and "\n" not in reason
    x, y = point_of(result)
    assert abs(y + 0.5) <= 1e-9 and x < 0.5  # it stopped on the ridge y = -1/2, before the crossing


# -- bad input ---------------------------------------------------------------------------------------------------

def three_player_losses(_: None, params: tuple[jax.Array, ...]) -> jax.Array:
    x, y, z = params
    return jnp.stack([x * y, y * z, -x * y - y * z])


def general_sum_losses(_: None, params: tuple[jax.Array, ...]) -> jax.Array:
    x, y = params
    return jnp.stack([x * y, x * y])


@pytest.mark.parametrize(
    ("game", "error", "words"),
    [
        (DifferentiableGame(three_player_losses, None, (Box(), Box(), Box())), NotApplicableError, "3 players"),
        (DifferentiableGame.zero_sum(bilinear_shifted, None, (Box(), Ball())), NotApplicableError, "Ball"),
        (DifferentiableGame.zero_sum(bilinear_shifted, None, (Reals(), Box())), NotApplicableError, "Reals"),
        (DifferentiableGame.zero_sum(bilinear_shifted, None, (Box(-np.inf, 1.0), Box())), NotApplicableError,
         "bounded"),
        (DifferentiableGame(general_sum_losses, None, (Box(), Box())), NotApplicableError, "zero-sum"),
        ("not a game", GameError, "DifferentiableGame"),
    ],
)
def test_bad_games_are_rejected_in_one_line(game: object, error: type[Exception], words: str) -> None:
    with pytest.raises(error) as info:
        ridge_solve(game)
    message = str(info.value)
    assert message.startswith("ridge_solve") and words in message and "\n" not in message


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"start": (np.float64(0.3), np.float64(0.0))}, "corner"),
        ({"tolerance": 0.0}, "tolerance"),
        ({"step_size": 2.0}, "step_size"),
        ({"max_iterations": 0}, "max_iterations"),
    ],
)
def test_bad_options_are_rejected_in_one_line(options: dict[str, object], words: str) -> None:
    game = scalar_game(bilinear_shifted, Box(0.0, 1.0), Box(0.0, 1.0))
    with pytest.raises(GameError) as info:
        ridge_solve(game, **options)  # type: ignore[arg-type]
    assert words in str(info.value) and "\n" not in str(info.value)
