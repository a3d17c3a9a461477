"""Fictitious play, smooth fictitious play, best-response and logit dynamics on mixed extensions."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria import GameError, NotApplicableError
from equilibria.dynamics import Dynamics, run
from equilibria.dynamics.base import action_values
from equilibria.dynamics.fictitious_play import (
    best_response_dynamics,
    fictitious_play,
    logit_dynamics,
    smooth_fictitious_play,
)
from equilibria.dynamics.run import nash_conv
from equilibria.games.differentiable import DifferentiableGame
from equilibria.games.generators import random_game
from equilibria.games.zoo import differentiable as differentiable_zoo
from equilibria.games.zoo import get as get_normal_form

E0, E1 = jnp.array([1.0, 0.0]), jnp.array([0.0, 1.0])


def _logit_residual(temperature: float) -> Callable[[DifferentiableGame, tuple], jax.Array]:
    """``sum_i ||x_i - softmax(u_i(x) / tau)||_1``: zero exactly at a logit QRE."""
    def metric(game: DifferentiableGame, params: tuple) -> jax.Array:
        values = action_values(game, params)
        return sum((jnp.sum(jnp.abs(x - jax.nn.softmax(v / temperature))) for x, v in zip(params, values,
                                                                                         strict=True)), jnp.zeros(()))
    return metric


# -- fictitious play -------------------------------------------------------------------------------------------
def test_fictitious_play_first_rounds_by_hand() -> None:
    # matching pennies, both start on heads; the row player wants to match, the column player to mismatch
    g = get_normal_form("matching-pennies").mixed_extension()
    dynamics = fictitious_play()
    step = jax.jit(dynamics.update)
    state = dynamics.init(g, (E0, E0))
    state = step(g, state)  # against heads: row heads, column tails
    np.testing.assert_array_equal(state.params[0], E0)
    np.testing.assert_array_equal(state.params[1], E1)
    np.testing.assert_allclose(state.beliefs[1], [0.5, 0.5])
    state = step(g, state)  # the column average is (1/2, 1/2): row is indifferent, the tie goes to heads
    np.testing.assert_array_equal(state.params[0], E0)
    np.testing.assert_array_equal(state.params[1], E1)
    np.testing.assert_allclose(state.beliefs[1], [1 / 3, 2 / 3], rtol=1e-6)
    state = step(g, state)  # against (1/3, 2/3) the row player switches to tails
    np.testing.assert_array_equal(state.params[0], E1)
    np.testing.assert_allclose(state.beliefs[0], [0.75, 0.25])
    assert int(state.step) == 3


@pytest.mark.parametrize("name", ["matching-pennies", "zero-sum-2x2"])
def test_fictitious_play_averages_converge_in_2x2_zero_sum_games(name: str) -> None:
    # Robinson (1951); for an n x m game her argument gives NashConv = O(t^{-1/(n+m-2)}), t^{-1/2} here.
    # The constant is not explicit: measured 1.45 (matching pennies) and 1.7 (zero-sum-2x2); asserted 2.5.
    g = get_normal_form(name).mixed_extension()
    dynamics = fictitious_play()
    trajectory = run(dynamics, g, dynamics.init(g, (E0, E0)), steps=20_000, record_every=2000,
                     metrics={"nash_conv": nash_conv})
    t = np.asarray(trajectory.steps)[1:]
    gaps = np.asarray(trajectory.average_metrics["nash_conv"])[1:]
    assert np.all(gaps <= 2.5 / np.sqrt(t))
    assert gaps[-1] < 0.02
    if name == "zero-sum-2x2":  # NashConv >= 2 (|x_1 - 0.4| + |y_1 - 0.4|) (see test_no_regret)
        x_bar, y_bar = (float(a[-1, 0]) for a in trajectory.average)
        assert abs(x_bar - 0.4) + abs(y_bar - 0.4) <= gaps[-1] / 2 + 1e-6


def test_fictitious_play_cycles_on_shapleys_game() -> None:
    # Shapley (1964): the play cycles through six profiles with geometrically growing runs; the averages
    # circle the equilibrium (uniform) without converging
    g = get_normal_form("shapley").mixed_extension()
    dynamics = fictitious_play()
    trajectory = run(dynamics, g, dynamics.init(g, (jnp.eye(3)[0], jnp.eye(3)[0])), steps=20_000, record_every=500,
                     metrics={"nash_conv": nash_conv})
    late = slice(20, None)  # t >= 10000
    gaps = np.asarray(trajectory.average_metrics["nash_conv"])[late]
    assert gaps.min() >= 0.2  # measured 0.28 throughout
    row_average = np.asarray(trajectory.average[0])[late]
    assert np.ptp(row_average, axis=0).max() >= 0.1  # the average keeps moving (measured swings of 0.25)


@pytest.mark.parametrize("name", ["zero-sum-2x2", "rock-paper-scissors"])
def test_smooth_fictitious_play_converges_to_the_logit_qre(name: str) -> None:
    # in zero-sum games the beliefs follow x' = (logit(x) - x) / t and converge to the unique logit QRE
    # (Hofbauer & Sandholm 2002); the residual of the played strategy decays like 1/t (measured)
    game = get_normal_form(name)
    n, tau = game.n_actions[0], 1.0
    g = game.mixed_extension()
    start = (0.8 * jnp.eye(n)[0] + 0.2 / n, 0.8 * jnp.eye(n)[1] + 0.2 / n)
    dynamics = smooth_fictitious_play(tau)
    trajectory = run(dynamics, g, dynamics.init(g, start), steps=4000, record_every=400,
                     metrics={"residual": _logit_residual(tau)})
    residual = np.asarray(trajectory.metrics["residual"])
    assert residual[-1] <= 0.2 * residual[1]  # 10x the rounds, at least 5x closer (measured 10x)
    assert residual[-1] <= 2e-3
    assert float(_logit_residual(tau)(g, trajectory.final_state.beliefs)) <= 2e-3


# -- best-response and logit dynamics --------------------------------------------------------------------------
def test_best_response_dynamics_moves_geometrically_to_a_dominant_strategy() -> None:
    # prisoners' dilemma: defect strictly dominates, so x_cooperate(t) = (1 - s)^t x_cooperate(0)
    g = get_normal_form("prisoners-dilemma").mixed_extension()
    dynamics = best_response_dynamics(0.5)
    trajectory = run(dynamics, g, dynamics.init(g, (jnp.array([0.9, 0.1]), E0)), steps=10)
    np.testing.assert_allclose(np.asarray(trajectory.params[0])[:, 0], 0.9 * 0.5 ** np.arange(11), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(trajectory.params[1])[:, 0], 0.5 ** np.arange(11), rtol=1e-6)


def test_simultaneous_best_replies_cycle_on_matching_pennies() -> None:
    g = get_normal_form("matching-pennies").mixed_extension()
    dynamics = best_response_dynamics(1.0)
    trajectory = run(dynamics, g, dynamics.init(g, (E0, E0)), steps=8)
    rows = np.asarray(trajectory.params[0])[:, 0]
    columns = np.asarray(trajectory.params[1])[:, 0]
    # (H, H) -> (H, T) -> (T, T) -> (T, H) -> (H, H): period 4
    np.testing.assert_array_equal(rows, [1, 1, 0, 0, 1, 1, 0, 0, 1])
    np.testing.assert_array_equal(columns, [1, 0, 0, 1, 1, 0, 0, 1, 1])


@pytest.mark.parametrize("name", ["zero-sum-2x2", "rock-paper-scissors"])
def test_logit_dynamics_rest_at_the_logit_qre(name: str) -> None:
    game = get_normal_form(name)
    n, tau = game.n_actions[0], 0.5
    g = game.mixed_extension()
    dynamics = logit_dynamics(0.1, tau)
    start = (0.8 * jnp.eye(n)[0] + 0.2 / n, 0.8 * jnp.eye(n)[1] + 0.2 / n)
    trajectory = run(dynamics, g, dynamics.init(g, start), steps=1000, record_every=1000,
                     metrics={"residual": _logit_residual(tau)})
    assert float(trajectory.metrics["residual"][-1]) <= 1e-5  # float32 rounding level
    if name == "rock-paper-scissors":  # the logit QRE of a symmetric zero-sum game like RPS is uniform
        np.testing.assert_allclose(np.asarray(trajectory.params[0][-1]), np.ones(3) / 3, atol=1e-6)


# -- every dynamic stays on the simplex ------------------------------------------------------------------------
_MAKERS: dict[str, Callable[[jax.Array, jax.Array], Dynamics]] = {
    "fictitious_play": lambda s, tau: fictitious_play(),
    "smooth_fictitious_play": lambda s, tau: smooth_fictitious_play(tau),
    "best_response_dynamics": lambda s, tau: best_response_dynamics(s),
    "logit_dynamics": logit_dynamics,
}


@partial(jax.jit, static_argnames=("method", "steps"))
def _all_iterates(method: str, step_size: jax.Array, temperature: jax.Array, game: DifferentiableGame,
                  start: tuple, steps: int) -> tuple:
    dynamics = _MAKERS[method](step_size, temperature)

    def body(state: object, _: None) -> tuple[object, tuple]:
        state = dynamics.update(game, state)
        return state, state.params

    _, iterates = jax.lax.scan(body, dynamics.init(game, start), None, length=steps)
    return iterates


@settings(max_examples=25, deadline=None)
@given(shape=st.sampled_from([(3, 2), (2, 2, 2)]), seed=st.integers(0, 2**31 - 1),
       scale=st.sampled_from([1e-3, 1.0, 1e3]), step_size=st.floats(1e-3, 1.0), temperature=st.floats(1e-3, 1e3),
       method=st.sampled_from(sorted(_MAKERS)))
def test_every_dynamic_stays_on_the_simplex(shape: tuple[int, ...], seed: int, scale: float, step_size: float,
                                            temperature: float, method: str) -> None:
    rng = np.random.default_rng(seed)
    game = random_game(shape, seed=rng, low=-scale, high=scale)
    start = tuple(jnp.asarray(rng.dirichlet(np.ones(n)), dtype=jnp.float32) for n in shape)
    iterates = _all_iterates(method, jnp.float32(step_size), jnp.float32(temperature), game.mixed_extension(),
                             start, 40)
    for x in iterates:
        x = np.asarray(x)
        assert np.all(np.isfinite(x)) and np.all(x >= 0)
        np.testing.assert_allclose(x.sum(axis=-1), 1, atol=1e-6)


# -- bad input -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", sorted(_MAKERS))
def test_games_without_simplices_are_not_applicable(method: str) -> None:
    dynamics = _MAKERS[method](0.5, 1.0)
    with pytest.raises(NotApplicableError, match="mixed_extension"):
        dynamics.init(get_normal_form("matching-pennies"), (E0, E0))
    with pytest.raises(NotApplicableError, match="Simplex"):
        dynamics.init(differentiable_zoo.bilinear(), (jnp.asarray(0.5), jnp.asarray(0.5)))
    with pytest.raises(GameError, match=r"\(params\)"):
        dynamics.init(get_normal_form("matching-pennies").mixed_extension(), (E0, jnp.array([0.5, 0.6])))


@pytest.mark.parametrize("step_size", [0, -0.5, 1.5, float("nan"), "big"])
def test_bad_step_sizes_are_rejected(step_size: object) -> None:
    with pytest.raises(GameError, match="best_response_dynamics: step_size"):
        best_response_dynamics(step_size)  # type: ignore[arg-type]
    with pytest.raises(GameError, match="logit_dynamics: step_size"):
        logit_dynamics(step_size, 1.0)  # type: ignore[arg-type]


@pytest.mark.parametrize("temperature", [0, -1.0, float("inf"), None])
def test_bad_temperatures_are_rejected(temperature: object) -> None:
    with pytest.raises(GameError, match="smooth_fictitious_play: temperature"):
        smooth_fictitious_play(temperature)  # type: ignore[arg-type]
    with pytest.raises(GameError, match="logit_dynamics: temperature"):
        logit_dynamics(0.5, temperature)  # type: ignore[arg-type]
