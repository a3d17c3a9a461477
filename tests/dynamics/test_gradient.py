"""Gradient dynamics: each update against its defining formula, optax equivalences, n players, bad input."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from jax.flatten_util import ravel_pytree

from equilibria.core.errors import GameError
from equilibria.core.sets import Reals, Simplex
from equilibria.dynamics.base import Dynamics
from equilibria.dynamics.gradient import (
    MomentumState,
    OptimisticState,
    OptimizerState,
    cgd,
    consensus,
    extragradient,
    gda,
    hamiltonian,
    lola,
    lookahead,
    negative_momentum,
    optimistic_gda,
    sga,
)
from equilibria.dynamics.run import run
from equilibria.games.differentiable import DifferentiableGame
from equilibria.games.zoo import differentiable as zoo
from equilibria.games.zoo.normal_form import get as normal_form

ETA = 0.1

# Every method, by a label, with the learning rate ETA.
METHODS: dict[str, Callable[[], Dynamics]] = {
    "gda": lambda: gda(ETA),
    "alternating_gda": lambda: gda(ETA, alternating=True),
    "optimistic_gda": lambda: optimistic_gda(ETA),
    "extragradient": lambda: extragradient(ETA),
    "consensus": lambda: consensus(ETA, 0.5),
    "sga": lambda: sga(ETA),
    "cgd": lambda: cgd(ETA),
    "negative_momentum": lambda: negative_momentum(ETA),
    "hamiltonian": lambda: hamiltonian(ETA),
    "lookahead": lambda: lookahead(ETA),
    "lola": lambda: lola(ETA),
}

# The constructors that take an optax optimizer as the base step.
WITH_OPTIMIZER: dict[str, Callable[..., Dynamics]] = {
    "gda": gda, "optimistic_gda": optimistic_gda, "extragradient": extragradient, "consensus": consensus,
    "sga": sga, "hamiltonian": hamiltonian,
    "lookahead": lambda **kw: lookahead(opponent_learning_rate=ETA, **kw),
    "lola": lambda **kw: lola(opponent_learning_rate=ETA, **kw),
}


@pytest.fixture
def x64() -> Iterator[None]:
    with jax.enable_x64(True):
        yield


def _flat(tree: Any) -> np.ndarray:
    return np.asarray(ravel_pytree(tree)[0])


def _scalars(*values: float) -> tuple[jax.Array, ...]:
    return tuple(jnp.asarray(v) for v in values)


def _one_step(dynamics: Dynamics, game: DifferentiableGame, params: Any) -> Any:
    # compiled: op-by-op dispatch of second-order updates is far slower than one compilation
    return jax.jit(lambda g, p: dynamics.update(g, dynamics.init(g, p)).params)(game, params)


def _iterates(dynamics: Dynamics, game: DifferentiableGame, start: Any, steps: int) -> Any:
    """The iterates ``x_1 .. x_steps`` (leading axis ``steps``), scanned without the runner's bookkeeping."""

    def body(state: Any, _: None) -> tuple[Any, Any]:
        state = dynamics.update(game, state)
        return state, state.params

    return jax.jit(lambda s: jax.lax.scan(body, s, None, length=steps)[1])(dynamics.init(game, start))


def _jacobian(game: DifferentiableGame, params: Any) -> np.ndarray:
    return np.asarray(jax.jit(type(game).jacobian)(game, params))


def _coupled_game() -> DifferentiableGame:
    """A general-sum two-player game with vector players and curved, coupled losses (dense Hessians)."""

    def losses(data: jax.Array, params: Any) -> jax.Array:
        x, y = params
        first = x @ data @ y + 0.5 * jnp.sum(x ** 2) * jnp.sum(y) + 0.25 * jnp.sum(x ** 4)
        second = jnp.sin(x @ y) + 0.5 * jnp.sum(y ** 2) - (x @ data.T @ x) * y[0]
        return jnp.stack([first, second])

    return DifferentiableGame(losses, jnp.asarray([[1.0, 2.0], [-0.5, 0.3]]), (Reals(), Reals()), "coupled")


def _cyclic_matching_pennies() -> DifferentiableGame:
    """Jordan's three-player matching pennies as losses on the simplex (it is a polymatrix game): player 0 wants to
    match 1, 1 wants to match 2, 2 wants to mismatch 0."""

    def losses(match: jax.Array, params: Any) -> jax.Array:
        x, y, z = params
        return jnp.stack([-(x @ match @ y), -(y @ match @ z), z @ match @ x])

    return DifferentiableGame(losses, jnp.asarray([[1.0, -1.0], [-1.0, 1.0]]), (Simplex(),) * 3, "jordan")


def _curved_three_player_game() -> DifferentiableGame:
    """Three scalar players with curved, coupled losses: every block of the game Jacobian is non-zero."""

    def losses(c: jax.Array, params: Any) -> jax.Array:
        x, y, z = params
        return jnp.stack([x * y + 0.1 * x ** 4 + x * z, c * y * z + jnp.sin(x * y) + 0.5 * y ** 2,
                          z * x - y ** 2 * z + z ** 2])

    return DifferentiableGame(losses, jnp.asarray(2.0), (Reals(),) * 3, "curved")


# -- the updates against their formulas --------------------------------------------------------------------------
def test_gda_steps_against_the_gradient(x64: None) -> None:
    game = _coupled_game()
    params = (jnp.asarray([0.3, -0.7]), jnp.asarray([1.1, 0.4]))
    xi = game.gradient(params)
    np.testing.assert_allclose(_flat(_one_step(gda(ETA), game, params)), _flat(params) - ETA * _flat(xi), atol=1e-14)
    moved_x = params[0] - ETA * xi[0]
    moved_y = params[1] - ETA * game.player_gradient((moved_x, params[1]), 1)
    np.testing.assert_allclose(_flat(_one_step(gda(ETA, alternating=True), game, params)),
                               _flat((moved_x, moved_y)), atol=1e-14)


@pytest.mark.parametrize("game_name", ["bilinear", "rps-softmax"])
def test_optimistic_gda_equals_optax_step_for_step(x64: None, game_name: str) -> None:
    if game_name == "bilinear":
        game, start = zoo.bilinear(1.5), _scalars(1.0, -0.5)
    else:
        game = normal_form("rock-paper-scissors").mixed_extension("softmax")
        start = (jnp.asarray([0.3, -0.2, 0.1]), jnp.asarray([0.0, 0.5, -0.4]))
    ours = _iterates(optimistic_gda(ETA), game, start, 30)

    reference = optax.optimistic_gradient_descent(ETA)

    def optax_step(carry: Any, _: None) -> tuple[Any, Any]:
        params, state = carry
        updates, state = reference.update(game.gradient(params), state, params)
        params = optax.apply_updates(params, updates)
        return (params, state), params

    _, theirs = jax.lax.scan(optax_step, (start, reference.init(start)), None, length=30)
    np.testing.assert_allclose(_flat(ours), _flat(theirs), rtol=1e-13, atol=1e-15)


def test_extragradient_extrapolates_then_steps_from_the_start(x64: None) -> None:
    game = zoo.get("rps-mixed")
    params = zoo.entry("rps-mixed").start()
    half = game.project(tuple(p - ETA * g for p, g in zip(params, game.gradient(params), strict=True)))
    expected = game.project(tuple(p - ETA * g for p, g in zip(params, game.gradient(half), strict=True)))
    np.testing.assert_allclose(_flat(_one_step(extragradient(ETA), game, params)), _flat(expected), atol=1e-15)


def test_consensus_and_hamiltonian_follow_the_dense_jacobian(x64: None) -> None:
    game = _coupled_game()
    params = (jnp.asarray([0.3, -0.7]), jnp.asarray([1.1, 0.4]))
    x, xi, jac = _flat(params), _flat(game.gradient(params)), _jacobian(game, params)
    np.testing.assert_allclose(_flat(_one_step(hamiltonian(ETA), game, params)), x - ETA * jac.T @ xi, atol=1e-13)
    np.testing.assert_allclose(_flat(_one_step(consensus(ETA, 0.7), game, params)),
                               x - ETA * (xi + 0.7 * jac.T @ xi), atol=1e-13)


def test_sga_adjusts_by_the_antisymmetric_part_with_the_aligned_sign(x64: None) -> None:
    game = _coupled_game()
    params = (jnp.asarray([0.3, -0.7]), jnp.asarray([1.1, 0.4]))
    x, xi, jac = _flat(params), _flat(game.gradient(params)), _jacobian(game, params)
    at_xi = 0.5 * (jac - jac.T).T @ xi
    grad_h = jac.T @ xi
    sign = np.sign(np.dot(xi, grad_h) * np.dot(at_xi, grad_h) / x.size + 0.1)
    np.testing.assert_allclose(_flat(_one_step(sga(ETA, lam=2.0), game, params)),
                               x - ETA * (xi + 2.0 * sign * at_xi), atol=1e-13)
    np.testing.assert_allclose(_flat(_one_step(sga(ETA, lam=2.0, align=False), game, params)),
                               x - ETA * (xi + 2.0 * at_xi), atol=1e-13)


def test_sga_alignment_flips_the_sign_near_an_unstable_point(x64: None) -> None:
    # f = -x^2/2 + 2xy + y^2/2 (x minimises, y maximises) is a local *maximum* for x: xi = J w with
    # J = [[-1, 2], [-2, -1]]. <xi, grad H> = w^T J^T J J w < 0 and <A^T xi, grad H> > 0, so lambda = -lam.
    game = DifferentiableGame.zero_sum(lambda _, x, y: -0.5 * x ** 2 + 2 * x * y + 0.5 * y ** 2, jnp.zeros(()))
    params = _scalars(1.0, 0.5)
    jac = _jacobian(game, params)
    xi = jac @ _flat(params)
    at_xi = 0.5 * (jac - jac.T).T @ xi
    assert np.dot(xi, jac.T @ xi) * np.dot(at_xi, jac.T @ xi) / 2 + 0.1 < 0
    np.testing.assert_allclose(_flat(_one_step(sga(ETA), game, params)), _flat(params) - ETA * (xi - at_xi),
                               atol=1e-14)


def test_cgd_is_schaefers_formula_for_two_players(x64: None) -> None:
    game = _coupled_game()
    x, y = jnp.asarray([0.3, -0.7]), jnp.asarray([1.1, 0.4])

    @jax.jit
    def blocks(x: jax.Array, y: jax.Array) -> tuple[jax.Array, ...]:
        f = lambda u, v: game.losses((u, v))[0]  # noqa: E731
        g = lambda u, v: game.losses((u, v))[1]  # noqa: E731
        return (jax.jacfwd(jax.grad(f, 0), 1)(x, y), jax.jacfwd(jax.grad(g, 1), 0)(x, y), jax.grad(f, 0)(x, y),
                jax.grad(g, 1)(x, y))

    d_xy_f, d_yx_g, grad_x_f, grad_y_g = (np.asarray(b) for b in blocks(x, y))
    # Schaefer and Anandkumar (2019), eq. (4): each player's CGD step.
    delta_x = -ETA * np.linalg.solve(np.eye(2) - ETA ** 2 * d_xy_f @ d_yx_g, grad_x_f - ETA * d_xy_f @ grad_y_g)
    delta_y = -ETA * np.linalg.solve(np.eye(2) - ETA ** 2 * d_yx_g @ d_xy_f, grad_y_g - ETA * d_yx_g @ grad_x_f)
    moved = _one_step(cgd(ETA, tol=1e-12), game, (x, y))
    np.testing.assert_allclose(np.asarray(moved[0]) - np.asarray(x), delta_x, atol=1e-12)
    np.testing.assert_allclose(np.asarray(moved[1]) - np.asarray(y), delta_y, atol=1e-12)


def test_cgd_solves_the_n_player_system(x64: None) -> None:
    game = _curved_three_player_game()
    params = _scalars(0.4, -0.3, 0.7)
    jac = _jacobian(game, params)
    off_diagonal = jac - np.diag(np.diag(jac))  # scalar players: the own blocks are the diagonal
    eta = 0.8
    delta = _flat(_one_step(cgd(eta, tol=1e-13), game, params)) - _flat(params)
    residual = (np.eye(3) + eta * off_diagonal) @ delta + eta * _flat(game.gradient(params))
    assert np.max(np.abs(residual)) < 1e-12
    assert np.min(np.abs(np.diag(jac))) > 0.1 and np.min(np.abs(off_diagonal + np.eye(3))) > 0.1


def test_lookahead_and_lola_on_bilinear(x64: None) -> None:
    # f = s x y: LookAhead anticipates y + alpha s x and x - alpha s y, so its direction is xi + alpha s^2 w;
    # LOLA differentiates through the anticipated step as well, which doubles the correction: xi + 2 alpha s^2 w.
    sigma, alpha = 1.5, 0.3
    game, params = zoo.bilinear(sigma), _scalars(0.7, -0.4)
    w, xi = _flat(params), _flat(game.gradient(params))
    np.testing.assert_allclose(_flat(_one_step(lookahead(ETA, alpha), game, params)),
                               w - ETA * (xi + alpha * sigma ** 2 * w), atol=1e-14)
    np.testing.assert_allclose(_flat(_one_step(lola(ETA, alpha), game, params)),
                               w - ETA * (xi + 2 * alpha * sigma ** 2 * w), atol=1e-14)


def test_lookahead_and_lola_differ_on_a_curved_game(x64: None) -> None:
    game = _coupled_game()
    params = (jnp.asarray([0.3, -0.7]), jnp.asarray([1.1, 0.4]))

    @jax.jit
    def references(params: Any) -> tuple[jax.Array, jax.Array]:
        xi = game.gradient(params)
        lookahead_x = params[0] - ETA * game.player_gradient((params[0], params[1] - 0.3 * xi[1]), 0)

        def shaped(own: jax.Array) -> jax.Array:  # x's loss after y's step, which depends on x
            return game.losses((own, params[1] - 0.3 * game.player_gradient((own, params[1]), 1)))[0]

        return lookahead_x, params[0] - ETA * jax.grad(shaped)(params[0])

    expected_lookahead, expected_lola = (np.asarray(r) for r in references(params))
    np.testing.assert_allclose(np.asarray(_one_step(lookahead(ETA, 0.3), game, params)[0]), expected_lookahead,
                               atol=1e-14)
    np.testing.assert_allclose(np.asarray(_one_step(lola(ETA, 0.3), game, params)[0]), expected_lola, atol=1e-14)
    assert not np.allclose(expected_lookahead, expected_lola)


@pytest.mark.parametrize("alternating", [True, False])
def test_negative_momentum_is_heavy_ball_sgd_when_unconstrained(x64: None, alternating: bool) -> None:
    game = zoo.matrix_bilinear([[2.0, 1.0], [1.0, 1.0]])
    start = (jnp.asarray([1.0, -0.5]), jnp.asarray([0.3, 0.8]))
    ours = _iterates(negative_momentum(ETA, -0.5, alternating=alternating), game, start, 40)
    theirs = _iterates(gda(alternating=alternating, optimizer=optax.sgd(ETA, momentum=-0.5)), game, start, 40)
    np.testing.assert_allclose(_flat(ours), _flat(theirs), rtol=1e-12, atol=1e-14)


def test_negative_momentum_projects_the_heavy_ball_step(x64: None) -> None:
    game = zoo.get("rps-mixed")
    dynamics = negative_momentum(ETA, -0.5)
    state = dynamics.update(game, dynamics.init(game, zoo.entry("rps-mixed").start()))
    x, prev = state.params, state.previous_params
    expected_x = Simplex().project(x[0] - ETA * game.player_gradient(x, 0) - 0.5 * (x[0] - prev[0]))
    np.testing.assert_allclose(np.asarray(dynamics.update(game, state).params[0]), np.asarray(expected_x),
                               atol=1e-15)


# -- every method: n players, constraints, jit ------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(METHODS))
def test_every_method_runs_on_three_players_within_the_simplex(name: str) -> None:
    game = _cyclic_matching_pennies()
    dynamics = METHODS[name]()
    start = (jnp.asarray([0.9, 0.1]), jnp.asarray([0.3, 0.7]), jnp.asarray([0.6, 0.4]))
    state = jax.jit(dynamics.update)(game, dynamics.init(game, start))
    assert int(state.step) == 1
    for strategy in state.params:
        assert Simplex().contains(np.asarray(strategy), tol=1e-6)
    assert not np.allclose(_flat(state.params), _flat(start))


@pytest.mark.parametrize("name", sorted(WITH_OPTIMIZER))
def test_any_optax_optimizer_is_a_base_step(name: str) -> None:
    game = zoo.bilinear()
    dynamics = WITH_OPTIMIZER[name](optimizer=optax.adam(1e-2))
    trajectory = run(dynamics, game, dynamics.init(game, _scalars(1.0, 1.0)), steps=20)
    assert not bool(trajectory.diverged)
    assert np.all(np.isfinite(_flat(trajectory.params)))
    adam_counts = [int(leaf) for leaf in jax.tree_util.tree_leaves(trajectory.final_state.optimizer_states)
                   if jnp.issubdtype(jnp.asarray(leaf).dtype, jnp.integer)]
    assert adam_counts and all(c in (20, 40) for c in adam_counts)  # extragradient steps its optimizer twice
    assert dict(dynamics.hyperparameters)["optimizer"] == "custom"


def test_runs_batch_with_vmap_over_starts() -> None:
    game = zoo.bilinear()
    dynamics = optimistic_gda(ETA)
    starts = (jnp.asarray([1.0, 0.5, -2.0]), jnp.asarray([0.0, 1.0, 0.3]))
    batched = jax.vmap(lambda x, y: run(dynamics, game, dynamics.init(game, (x, y)), steps=10).params)(*starts)
    # OGDA is linear on the bilinear game: w_{t+1} = w_t - eta J (2 w_t - w_{t-1}), w_{-1} = w_0.
    jac = np.array([[0.0, 1.0], [-1.0, 0.0]])
    for k in range(3):
        previous = current = np.array([starts[0][k], starts[1][k]], dtype=float)
        for _ in range(10):
            previous, current = current, current - ETA * jac @ (2 * current - previous)
        np.testing.assert_allclose([batched[0][k, -1], batched[1][k, -1]], current, rtol=1e-5)


# -- divergence and bad input ------------------------------------------------------------------------------------
def _runaway_game() -> DifferentiableGame:
    """Each player's loss ``-||w_i||^2`` is unbounded below: every method's iterates overflow."""
    return DifferentiableGame(lambda _, p: jnp.stack([-jnp.sum(p[0] ** 2), -jnp.sum(p[1] ** 2)]), jnp.zeros(()),
                              (Reals(), Reals()), "runaway")


def _with_rate(name: str, rate: float) -> Dynamics:
    return {"gda": lambda: gda(rate), "alternating_gda": lambda: gda(rate, alternating=True),
            "optimistic_gda": lambda: optimistic_gda(rate), "extragradient": lambda: extragradient(rate),
            "consensus": lambda: consensus(rate, 0.1), "sga": lambda: sga(rate), "cgd": lambda: cgd(rate),
            "negative_momentum": lambda: negative_momentum(rate), "hamiltonian": lambda: hamiltonian(rate),
            "lookahead": lambda: lookahead(rate), "lola": lambda: lola(rate)}[name]()


@pytest.mark.parametrize("name", sorted(METHODS))
def test_overflow_mid_run_is_reported_as_divergence(name: str) -> None:
    dynamics = _with_rate(name, 10.0)
    game = _runaway_game()
    trajectory = run(dynamics, game, dynamics.init(game, _scalars(1.0, -1.0)), steps=200)
    assert bool(trajectory.diverged)
    assert 0 < int(trajectory.diverged_at) < 200
    assert np.all(np.isfinite(_flat(trajectory.params)))


@pytest.mark.parametrize("name", ["gda", "extragradient"])
def test_nan_gradient_mid_run_freezes_the_run(name: str) -> None:
    # loss_0 = sqrt(x) + x y pushes x down through 0, where the gradient 1 / (2 sqrt x) becomes NaN.
    game = DifferentiableGame(
        lambda _, p: jnp.stack([jnp.sqrt(p[0]) + p[0] * p[1], -p[0] * p[1]]), jnp.zeros(()), (Reals(), Reals()))
    dynamics = _with_rate(name, ETA)
    trajectory = run(dynamics, game, dynamics.init(game, _scalars(1.0, 0.0)), steps=100)
    assert bool(trajectory.diverged)
    assert int(trajectory.diverged_at) > 1
    assert np.all(np.isfinite(_flat(trajectory.params)))


@pytest.mark.parametrize("name", sorted(WITH_OPTIMIZER))
def test_learning_rate_and_optimizer_are_exclusive(name: str) -> None:
    constructor = WITH_OPTIMIZER[name]
    with pytest.raises(GameError, match="not both"):
        constructor(learning_rate=ETA, optimizer=optax.sgd(ETA))
    with pytest.raises(GameError, match="learning_rate is required"):
        constructor()
    with pytest.raises(GameError, match="optax GradientTransformation"):
        constructor(optimizer="adam")


@pytest.mark.parametrize("build", [
    lambda: gda(-0.1), lambda: optimistic_gda(0.0), lambda: extragradient(float("nan")), lambda: cgd(-1.0),
    lambda: hamiltonian(float("inf")), lambda: negative_momentum(-0.1), lambda: lookahead(ETA, -0.1),
    lambda: lola(-0.1), lambda: sga(-0.1), lambda: consensus(-0.1), lambda: gda("fast"),
])
def test_non_positive_or_non_finite_rates_are_rejected(build: Callable[[], Dynamics]) -> None:
    with pytest.raises(GameError, match="learning_rate must be a positive"):
        build()


@pytest.mark.parametrize(("build", "argument"), [
    (lambda: consensus(ETA, gamma=-1.0), "gamma"),
    (lambda: sga(ETA, lam=0.0), "lam"),
    (lambda: sga(ETA, epsilon=float("nan")), "epsilon"),
    (lambda: negative_momentum(ETA, momentum=1.0), "momentum"),
    (lambda: negative_momentum(ETA, momentum=-1.5), "momentum"),
    (lambda: cgd(ETA, tol=0.0), "tol"),
    (lambda: cgd(ETA, maxiter=0), "maxiter"),
    (lambda: lookahead(optimizer=optax.sgd(ETA)), "opponent_learning_rate"),
    (lambda: lola(ETA, opponent_learning_rate=0.0), "opponent_learning_rate"),
])
def test_bad_hyperparameters_name_the_argument(build: Callable[[], Dynamics], argument: str) -> None:
    with pytest.raises(GameError, match=argument) as caught:
        build()
    assert "\n" not in str(caught.value)


def test_states_and_names() -> None:
    game = zoo.bilinear()
    for name, build in METHODS.items():
        dynamics = build()
        assert dynamics.name == name
        state = dynamics.init(game, _scalars(1.0, 1.0))
        assert int(state.step) == 0
        expected = {"optimistic_gda": OptimisticState, "negative_momentum": MomentumState}.get(name, OptimizerState)
        assert isinstance(state, expected)
