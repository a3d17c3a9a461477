"""Replicator dynamics: the discrete map, the RK4 flow, conserved quantities and accuracy against SciPy.

What the conservation tests check (continuous time, RPS as a two-player zero-sum mixed extension):

- started at a symmetric profile ``x = y``, the two-population flow stays symmetric and is the single-population
  replicator ``x' = x (A x - x.A x)`` of RPS, which conserves ``x_1 x_2 x_3``;
- from any interior profile of a zero-sum game with interior equilibrium ``(p, q)`` the flow conserves
  ``sum_a p_a log x_a + sum_b q_b log y_b`` (for RPS: ``log(x_1 x_2 x_3) + log(y_1 y_2 y_3)``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from equilibria import GameError, NormalFormGame, NotApplicableError
from equilibria.dynamics import Dynamics, run
from equilibria.dynamics.replicator import integrate_replicator, replicator, replicator_ode
from equilibria.games.differentiable import DifferentiableGame
from equilibria.games.generators import random_game
from equilibria.games.zoo import differentiable as differentiable_zoo
from equilibria.games.zoo import get as get_normal_form

UNIFORM3 = (jnp.ones(3) / 3, jnp.ones(3) / 3)


def _scipy_replicator(game: NormalFormGame, start: list[np.ndarray], t_final: float) -> list[np.ndarray]:
    """The reference: ``x' = x (u - x.u)`` in the simplex coordinates, DOP853 at tight tolerances."""
    cuts = np.cumsum(game.n_actions)[:-1]

    def field(_: float, z: np.ndarray) -> np.ndarray:
        profile = np.split(z, cuts)
        return np.concatenate([x * (game.action_values(profile, i) - x @ game.action_values(profile, i))
                               for i, x in enumerate(profile)])

    solution = solve_ivp(field, (0.0, t_final), np.concatenate(start), method="DOP853", rtol=1e-13, atol=1e-14)
    return np.split(solution.y[:, -1], cuts)


# -- fixed points and the discrete map -------------------------------------------------------------------------
@pytest.mark.parametrize("dynamics", [replicator(0.1), replicator(10.0), replicator_ode(0.05)],
                         ids=["eta=0.1", "eta=10", "ode"])
def test_uniform_is_a_fixed_point_of_rps(dynamics: Dynamics) -> None:
    g = get_normal_form("rock-paper-scissors").mixed_extension()
    trajectory = run(dynamics, g, dynamics.init(g, UNIFORM3), steps=100, record_every=100)
    for x in trajectory.params:
        np.testing.assert_allclose(np.asarray(x[-1]), np.ones(3) / 3, atol=1e-6)
    np.testing.assert_allclose(np.concatenate([np.asarray(x) for x in integrate_replicator(g, UNIFORM3, 50.0)]),
                               np.ones(6) / 3, atol=1e-6)


def test_discrete_step_is_the_textbook_map_under_the_step_size_condition() -> None:
    with jax.enable_x64(True):
        game = get_normal_form("von-stengel-3x2")  # payoffs in [0, 6]: eta <= 1/6 never clips
        start = [np.array([0.5, 0.3, 0.2]), np.array([0.6, 0.4])]
        eta = 1 / 6
        dynamics = replicator(eta)
        g = game.mixed_extension()
        state = jax.jit(dynamics.update)(g, dynamics.init(g, tuple(start)))
        for i, x in enumerate(start):
            u = game.action_values(start, i)
            np.testing.assert_allclose(np.asarray(state.params[i]), x + eta * x * (u - x @ u), rtol=1e-14)


def test_a_step_beyond_the_condition_clips_and_renormalises() -> None:
    with jax.enable_x64(True):
        # prisoners' dilemma against a cooperator: cooperate earns 3, defect 5; from x = (0.5, 0.5),
        # x.u = 4 and eta = 2 gives the factors (1 - 2, 1 + 2) = (-1, 3): cooperation goes extinct
        g = get_normal_form("prisoners-dilemma").mixed_extension()
        dynamics = replicator(2.0)
        state = jax.jit(dynamics.update)(g, dynamics.init(g, (jnp.array([0.5, 0.5]), jnp.array([1.0, 0.0]))))
        np.testing.assert_allclose(np.asarray(state.params[0]), [0.0, 1.0])
        # the column player's only supported action stays at 1 whatever the payoffs
        np.testing.assert_allclose(np.asarray(state.params[1]), [1.0, 0.0])


# -- the continuous flow ---------------------------------------------------------------------------------------
def test_rk4_matches_the_logistic_solution() -> None:
    with jax.enable_x64(True):
        # the row player's payoff does not depend on the column: u = (1, 0), so x_1' = x_1 (1 - x_1), the
        # logistic equation, x_1(t) = x_1(0) e^t / (1 - x_1(0) + x_1(0) e^t)
        game = NormalFormGame.bimatrix([[1.0, 1.0], [0.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]]).mixed_extension()
        start = (jnp.array([0.1, 0.9]), jnp.array([0.5, 0.5]))
        for t in (0.5, 2.0, 8.0):
            x = integrate_replicator(game, start, t, dt=0.01)
            exact = 0.1 * np.exp(t) / (0.9 + 0.1 * np.exp(t))
            np.testing.assert_allclose(float(x[0][0]), exact, rtol=1e-10)
            # the column's second action earns 1 more, the same logistic equation from 0.5
            np.testing.assert_allclose(float(x[1][1]), np.exp(t) / (1 + np.exp(t)), rtol=1e-10)


@pytest.mark.parametrize("game", [get_normal_form("rock-paper-scissors"),
                                  random_game((3, 3), seed=0, low=-1, high=1),
                                  random_game((2, 3, 2), seed=1, low=-1, high=1)], ids=["rps", "3x3", "2x3x2"])
def test_rk4_agrees_with_solve_ivp_to_fourth_order(game: NormalFormGame) -> None:
    with jax.enable_x64(True):
        rng = np.random.default_rng(0)
        start = [rng.dirichlet(np.ones(n)) for n in game.n_actions]
        reference = np.concatenate(_scipy_replicator(game, start, 10.0))
        g = game.mixed_extension()

        def error(dt: float) -> float:
            ours = integrate_replicator(g, tuple(jnp.asarray(s) for s in start), 10.0, dt=dt)
            return float(np.abs(np.concatenate([np.asarray(x) for x in ours]) - reference).max())

        # the stated accuracy: payoffs in [-1, 1], dt = 0.01, t = 10 -> error below 1e-10 (measured <= 3e-12)
        assert error(0.01) <= 1e-10
        ratio = error(0.1) / error(0.05)
        assert 12 <= ratio <= 20  # halving dt divides the global error by 2^4 = 16


def test_replicator_ode_steps_are_integrate_replicator() -> None:
    with jax.enable_x64(True):
        g = random_game((3, 2), seed=4).mixed_extension()
        start = (jnp.array([0.2, 0.3, 0.5]), jnp.array([0.9, 0.1]))
        dynamics = replicator_ode(0.02)
        trajectory = run(dynamics, g, dynamics.init(g, start), steps=150, record_every=150)
        final = integrate_replicator(g, start, 3.0, dt=0.02)
        for ours, theirs in zip(trajectory.final_state.params, final, strict=True):
            np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-12)
        # dt is a largest step: 3.0 / 0.07 -> 43 equal steps of 3/43 land exactly on t = 3
        coarse = integrate_replicator(g, start, 3.0, dt=0.07)
        np.testing.assert_allclose(np.asarray(coarse[0]), np.asarray(final[0]), atol=1e-7)


def _row_product(game: DifferentiableGame, params: tuple) -> jax.Array:
    return jnp.prod(params[0])


def test_single_population_rps_conserves_the_product_of_shares() -> None:
    with jax.enable_x64(True):
        g = get_normal_form("rock-paper-scissors").mixed_extension()
        x0 = jnp.array([0.6, 0.3, 0.1])
        dynamics = replicator_ode(0.01)
        trajectory = run(dynamics, g, dynamics.init(g, (x0, x0)), steps=2000, record_every=100,
                         metrics={"product": _row_product})
        np.testing.assert_array_equal(np.asarray(trajectory.params[0]), np.asarray(trajectory.params[1]))
        product = np.asarray(trajectory.metrics["product"])
        np.testing.assert_allclose(product, 0.018, rtol=1e-9)  # 0.6 * 0.3 * 0.1 up to t = 20 (measured 3e-12)
        # and it really moves: the shares rotate through rock, paper and scissors
        assert np.ptp(np.asarray(trajectory.params[0])[:, 0]) > 0.4


@pytest.mark.parametrize("name", ["rock-paper-scissors", "zero-sum-2x2"])
def test_two_population_zero_sum_flow_conserves_the_weighted_log_sum(name: str) -> None:
    with jax.enable_x64(True):
        entry_game = get_normal_form(name)
        g = entry_game.mixed_extension()
        p = q = jnp.ones(3) / 3 if name == "rock-paper-scissors" else jnp.array([0.4, 0.6])
        n = entry_game.n_actions[0]
        start = (jnp.asarray(np.random.default_rng(1).dirichlet(np.ones(n))), jnp.asarray(np.eye(n)[0] * 0.5 + 0.5 / n))

        def weighted_log_sum(game: DifferentiableGame, params: tuple) -> jax.Array:
            return jnp.vdot(p, jnp.log(params[0])) + jnp.vdot(q, jnp.log(params[1]))

        dynamics = replicator_ode(0.01)
        trajectory = run(dynamics, g, dynamics.init(g, start), steps=2000, record_every=100,
                         metrics={"h": weighted_log_sum})
        h = np.asarray(trajectory.metrics["h"])
        np.testing.assert_allclose(h, h[0], rtol=0, atol=1e-9)
        assert np.ptp(np.asarray(trajectory.params[0])[:, 0]) > 0.05  # it cycles rather than resting


def test_faces_of_the_simplex_are_invariant() -> None:
    g = get_normal_form("rock-paper-scissors").mixed_extension()
    start = (jnp.array([0.5, 0.5, 0.0]), jnp.array([0.2, 0.3, 0.5]))
    for dynamics in (replicator(0.3), replicator_ode(0.1)):
        trajectory = run(dynamics, g, dynamics.init(g, start), steps=200, record_every=200)
        assert float(trajectory.final_state.params[0][2]) == 0.0
    assert float(integrate_replicator(g, start, 5.0)[0][2]) == 0.0


# -- the simplex for every step --------------------------------------------------------------------------------
_MAKERS: dict[str, Callable[[jax.Array], Dynamics]] = {"replicator": replicator, "replicator_ode": replicator_ode}


@partial(jax.jit, static_argnames=("method", "steps"))
def _all_iterates(method: str, rate: jax.Array, game: DifferentiableGame, start: tuple, steps: int) -> tuple:
    dynamics = _MAKERS[method](rate)

    def body(state: object, _: None) -> tuple[object, tuple]:
        state = dynamics.update(game, state)
        return state, state.params

    _, iterates = jax.lax.scan(body, dynamics.init(game, start), None, length=steps)
    return iterates


@settings(max_examples=25, deadline=None)
@given(shape=st.sampled_from([(3, 2), (2, 2, 2)]), seed=st.integers(0, 2**31 - 1),
       scale=st.sampled_from([1e-3, 1.0, 1e3]), rate=st.floats(1e-3, 1e3), method=st.sampled_from(sorted(_MAKERS)),
       sparse=st.booleans())
def test_every_step_stays_on_the_simplex(shape: tuple[int, ...], seed: int, scale: float, rate: float, method: str,
                                         sparse: bool) -> None:
    rng = np.random.default_rng(seed)
    game = random_game(shape, seed=rng, low=-scale, high=scale)
    start = [rng.dirichlet(np.ones(n)) for n in shape]
    if sparse:  # one action of every player starts extinct
        start = [np.where(np.arange(n) == rng.integers(n), 0.0, s) for n, s in zip(shape, start, strict=True)]
        start = [s / s.sum() for s in start]
    iterates = _all_iterates(method, jnp.float32(rate), game.mixed_extension(),
                             tuple(jnp.asarray(s, dtype=jnp.float32) for s in start), 40)
    for x, s in zip(iterates, start, strict=True):
        x = np.asarray(x)
        assert np.all(np.isfinite(x)) and np.all(x >= 0)
        np.testing.assert_allclose(x.sum(axis=-1), 1, atol=1e-6)
        assert np.all(x[:, s == 0] == 0)  # extinct actions stay extinct


# -- bad input -------------------------------------------------------------------------------------------------
def test_games_without_simplices_are_not_applicable() -> None:
    for dynamics in (replicator(0.1), replicator_ode(0.1)):
        with pytest.raises(NotApplicableError, match="mixed_extension"):
            dynamics.init(get_normal_form("rock-paper-scissors"), UNIFORM3)
        with pytest.raises(NotApplicableError, match="Simplex"):
            dynamics.init(differentiable_zoo.bilinear(), (jnp.asarray(0.5), jnp.asarray(0.5)))
    with pytest.raises(NotApplicableError, match="Simplex"):
        integrate_replicator(get_normal_form("rock-paper-scissors").mixed_extension("softmax"), UNIFORM3, 1.0)


@pytest.mark.parametrize("value", [0, -0.1, float("nan"), float("inf"), "slow"])
def test_bad_hyperparameters_are_rejected(value: object) -> None:
    g = get_normal_form("rock-paper-scissors").mixed_extension()
    with pytest.raises(GameError, match="replicator: learning_rate"):
        replicator(value)  # type: ignore[arg-type]
    with pytest.raises(GameError, match="replicator_ode: dt"):
        replicator_ode(value)  # type: ignore[arg-type]
    with pytest.raises(GameError, match="integrate_replicator: dt"):
        integrate_replicator(g, UNIFORM3, 1.0, dt=value)  # type: ignore[arg-type]


@pytest.mark.parametrize("t_final", [-1.0, float("inf"), float("nan"), "later"])
def test_bad_horizons_are_rejected(t_final: object) -> None:
    g = get_normal_form("rock-paper-scissors").mixed_extension()
    with pytest.raises(GameError, match="integrate_replicator: t_final"):
        integrate_replicator(g, UNIFORM3, t_final)  # type: ignore[arg-type]
    with pytest.raises(GameError, match=r"integrate_replicator\(params\)"):
        integrate_replicator(g, (jnp.ones(3), jnp.ones(3) / 3), 1.0)
