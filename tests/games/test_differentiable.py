"""DifferentiableGame: the gradient field, the game Jacobian and its parts, mixed extensions, the zoo."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jax.flatten_util import ravel_pytree

from equilibria import GameError, NormalFormGame
from equilibria.core.sets import Ball, Reals, Simplex
from equilibria.games.differentiable import DifferentiableGame, stack_games
from equilibria.games.zoo import differentiable as zoo
from equilibria.games.zoo import get as get_normal_form


def _flat(tree: object) -> np.ndarray:
    return np.asarray(ravel_pytree(tree)[0])


def test_bilinear_gradient_and_jacobian_are_the_textbook_ones() -> None:
    game = zoo.bilinear(2.0)
    params = (jnp.asarray(0.3), jnp.asarray(-0.7))
    xi = game.gradient(params)
    # min_x max_y 2xy: loss_0 = 2xy, loss_1 = -2xy, xi = (2y, -2x)
    np.testing.assert_allclose(_flat(xi), [2 * -0.7, -2 * 0.3], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(game.jacobian(params)), [[0, 2], [-2, 0]], atol=1e-6)
    np.testing.assert_allclose(np.asarray(game.symmetric_part(params)), np.zeros((2, 2)), atol=1e-6)
    np.testing.assert_allclose(np.asarray(game.antisymmetric_part(params)), [[0, 2], [-2, 0]], atol=1e-6)


@pytest.mark.parametrize("name", zoo.names())
def test_zoo_equilibria_are_stationary_with_the_known_spectrum(name: str) -> None:
    entry = zoo.entry(name)
    game = entry.build()
    equilibrium = entry.equilibrium()
    game.check_params(equilibrium)
    xi = _flat(game.gradient(equilibrium))
    if all(isinstance(c, Reals) for c in game.constraints):
        np.testing.assert_allclose(xi, 0, atol=1e-6)
    else:  # on the simplex: every action of a player earns the same at the equilibrium (xi is constant)
        for g in game.gradient(equilibrium):
            assert np.ptp(np.asarray(g)) < 1e-6
    eigenvalues = np.linalg.eigvals(np.asarray(game.jacobian(equilibrium), dtype=float))
    key = lambda z: (round(z.imag, 5), round(z.real, 5))  # noqa: E731
    np.testing.assert_allclose(sorted(eigenvalues, key=key), sorted(entry.jacobian_eigenvalues, key=key), atol=1e-5)


def test_dirac_gan_eigenvalues_are_plus_minus_i_over_2() -> None:
    game = zoo.dirac_gan()
    eigenvalues = np.linalg.eigvals(np.asarray(game.jacobian((jnp.asarray(0.0), jnp.asarray(0.0)))))
    np.testing.assert_allclose(sorted(eigenvalues.imag), [-0.5, 0.5], atol=1e-7)
    np.testing.assert_allclose(eigenvalues.real, 0, atol=1e-7)


def test_rps_field_eigenvalues() -> None:
    game = get_normal_form("rock-paper-scissors").mixed_extension()
    uniform = (jnp.full(3, 1 / 3), jnp.full(3, 1 / 3))
    eigenvalues = np.linalg.eigvals(np.asarray(game.jacobian(uniform)))
    np.testing.assert_allclose(np.sort(np.abs(eigenvalues.imag)), [0, 0] + [np.sqrt(3)] * 4, atol=1e-5)
    np.testing.assert_allclose(eigenvalues.real, 0, atol=1e-6)


def _random_profile(rng: np.random.Generator, n_actions: tuple[int, ...]) -> tuple[np.ndarray, ...]:
    return tuple(rng.dirichlet(np.ones(n)) for n in n_actions)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=2, max_size=3), st.integers(0, 2**32 - 1))
def test_mixed_extension_gradient_is_minus_action_values(n_actions: list[int], seed: int) -> None:
    rng = np.random.default_rng(seed)
    game = NormalFormGame(rng.normal(size=(len(n_actions), *n_actions)))
    profile = _random_profile(rng, tuple(n_actions))
    extension = game.mixed_extension()
    params = tuple(jnp.asarray(p, dtype=jnp.float32) for p in profile)
    np.testing.assert_allclose(np.asarray(extension.losses(params)), -game.expected_payoffs(profile),
                               rtol=1e-4, atol=1e-5)
    for i, g in enumerate(extension.gradient(params)):
        np.testing.assert_allclose(np.asarray(g), -game.action_values(profile, i), rtol=1e-4, atol=1e-5)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=2, max_size=3), st.integers(0, 2**32 - 1))
def test_closed_form_mixed_extension_gradient_equals_autodiff(n_actions: list[int], seed: int) -> None:
    rng = np.random.default_rng(seed)
    extension = NormalFormGame(rng.normal(size=(len(n_actions), *n_actions))).mixed_extension()
    params = tuple(jnp.asarray(p, dtype=jnp.float32) for p in _random_profile(rng, tuple(n_actions)))
    for i, closed_form in enumerate(extension.gradient(params)):
        autodiff = jax.grad(lambda own, i=i: extension.losses(params[:i] + (own,) + params[i + 1:])[i])(params[i])
        np.testing.assert_allclose(np.asarray(closed_form), np.asarray(autodiff), rtol=1e-5, atol=1e-6)


def test_softmax_parametrisation_plays_softmax_strategies() -> None:
    game = get_normal_form("zero-sum-2x2")
    extension = game.mixed_extension("softmax")
    assert all(isinstance(c, Reals) for c in extension.constraints)
    logits = (jnp.asarray([0.2, -0.1]), jnp.asarray([1.0, 0.5]))
    strategies = tuple(np.asarray(jax.nn.softmax(p)) for p in logits)
    np.testing.assert_allclose(np.asarray(extension.losses(logits)), -game.expected_payoffs(strategies), rtol=1e-5)
    with pytest.raises(GameError, match="parametrisation"):
        game.mixed_extension("polar")


def test_jvp_vjp_and_off_diagonal_blocks_agree_with_the_dense_jacobian() -> None:
    rng = np.random.default_rng(1)
    a = rng.normal(size=(3, 2))

    def losses(data: jax.Array, params: tuple[jax.Array, ...]) -> jax.Array:
        x, y = params
        return jnp.stack([x @ data @ y + jnp.sum(x**4), -(x @ data @ y) + jnp.sum(jnp.sin(y))])

    game = DifferentiableGame(losses, jnp.asarray(a), (Reals(), Reals()))
    params = (jnp.asarray(rng.normal(size=3)), jnp.asarray(rng.normal(size=2)))
    v = (jnp.asarray(rng.normal(size=3)), jnp.asarray(rng.normal(size=2)))
    jac = np.asarray(game.jacobian(params))
    flat_v = _flat(v)
    np.testing.assert_allclose(_flat(game.jvp(params, v)), jac @ flat_v, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(_flat(game.vjp(params, v)), jac.T @ flat_v, rtol=1e-4, atol=1e-5)
    off = jac.copy()
    off[:3, :3] = 0
    off[3:, 3:] = 0
    np.testing.assert_allclose(_flat(game.off_diagonal_jvp(params, v)), off @ flat_v, rtol=1e-4, atol=1e-5)
    # grad H = J^T xi
    grad_h = _flat(jax.grad(game.hamiltonian)(params))
    np.testing.assert_allclose(grad_h, jac.T @ _flat(game.gradient(params)), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(np.asarray(game.symmetric_part(params) + game.antisymmetric_part(params)), jac,
                               atol=1e-6)


def test_from_utilities_is_the_one_negation() -> None:
    def utilities(data: jax.Array, params: tuple[jax.Array, ...]) -> jax.Array:
        return jnp.stack([params[0] * data, params[1] * 2 * data])

    game = DifferentiableGame.from_utilities(utilities, jnp.asarray(3.0), (Reals(), Reals()))
    np.testing.assert_allclose(np.asarray(game.losses((jnp.asarray(1.0), jnp.asarray(1.0)))), [-3.0, -6.0])


def test_project_applies_each_players_set() -> None:
    game = DifferentiableGame(lambda d, p: jnp.stack([jnp.sum(p[0]), jnp.sum(p[1])]), jnp.zeros(()),
                              (Simplex(), Ball(radius=1.0)))
    x, y = game.project((jnp.asarray([2.0, 0.0]), jnp.asarray([3.0, 4.0])))
    np.testing.assert_allclose(np.asarray(x), [1.0, 0.0])
    np.testing.assert_allclose(np.asarray(y), [0.6, 0.8], rtol=1e-6)


def test_stacked_games_vmap_over_their_data() -> None:
    games = [zoo.bilinear(s) for s in (1.0, 2.0, 3.0)]
    batch = stack_games(games)
    params = (jnp.asarray(1.0), jnp.asarray(1.0))
    xi = jax.vmap(lambda g: g.gradient(params))(batch)
    np.testing.assert_allclose(np.asarray(xi[0]), [1.0, 2.0, 3.0])
    with pytest.raises(GameError, match="stack_games: game 1"):
        stack_games([zoo.bilinear(), zoo.dirac_gan()])
    with pytest.raises(GameError, match="empty"):
        stack_games([])


@pytest.mark.parametrize(("params", "message"), [
    ((jnp.asarray(1.0),), "one parameter pytree per player"),
    ((jnp.asarray(1.0), ()), "player 1 has no parameters"),
    ((jnp.asarray(1.0), jnp.asarray(np.nan)), "NaN or infinite"),
    ((jnp.asarray(1.0), jnp.asarray(1)), "parameters must be floats"),
    ((jnp.ones(2), jnp.ones(3)), "loss function rejects"),
])
def test_check_params_names_the_problem(params: tuple, message: str) -> None:
    game = zoo.matrix_bilinear(np.eye(2)) if message == "loss function rejects" else zoo.bilinear()
    with pytest.raises(GameError, match=message):
        game.check_params(params)


def test_loss_fn_must_return_one_loss_per_player() -> None:
    game = DifferentiableGame(lambda d, p: p[0] * p[1], jnp.zeros(()), (Reals(), Reals()))
    with pytest.raises(GameError, match="one loss per player"):
        game.check_params((jnp.asarray(1.0), jnp.asarray(1.0)))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"constraints": ()}, "at least one player"),
    ({"constraints": (Reals(), "simplex")}, r"constraints\[1\]"),
    ({"data": jnp.asarray([np.inf])}, "NaN or infinite"),
    ({"loss_fn": 3}, "expected a function"),
])
def test_constructor_rejects_bad_games(kwargs: dict, message: str) -> None:
    arguments = {"loss_fn": lambda d, p: jnp.zeros(2), "data": jnp.zeros(()), "constraints": (Reals(), Reals())}
    arguments.update(kwargs)
    with pytest.raises(GameError, match=message):
        DifferentiableGame(**arguments)


def test_zero_sum_needs_two_players_and_zoo_names_unknown_games() -> None:
    with pytest.raises(GameError, match="2 sets"):
        DifferentiableGame.zero_sum(lambda d, x, y: x * y, jnp.zeros(()), (Reals(),))
    with pytest.raises(GameError, match="unknown differentiable zoo game"):
        zoo.get("nope")
    with pytest.raises(GameError, match="matrix"):
        zoo.matrix_bilinear([1.0, 2.0])
