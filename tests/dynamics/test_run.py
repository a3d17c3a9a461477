"""The lax.scan runner: records, time averages, joint play, divergence flags, batching, resuming, metrics."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from equilibria import GameError, NotApplicableError
from equilibria.core.sets import Reals
from equilibria.dynamics import gda, run
from equilibria.dynamics.run import distance_to, duality_gap, gradient_norm, nash_conv, projected_residual
from equilibria.games.differentiable import DifferentiableGame
from equilibria.games.zoo import differentiable as zoo
from equilibria.games.zoo import get as get_normal_form


def _scalars(x: float, y: float) -> tuple[jax.Array, jax.Array]:
    return (jnp.asarray(x), jnp.asarray(y))


def test_records_every_k_steps_with_the_exact_gda_growth() -> None:
    with jax.enable_x64(True):
        game, dynamics = zoo.bilinear(), gda(0.1)
        start = _scalars(1.0, 1.0)
        trajectory = run(dynamics, game, dynamics.init(game, start), steps=50, record_every=10,
                         metrics={"distance": distance_to(_scalars(0.0, 0.0))})
        np.testing.assert_array_equal(np.asarray(trajectory.steps), [0, 10, 20, 30, 40, 50])
        assert trajectory.params[0].shape == (6,)
        # sim-GDA on x*y multiplies the distance by sqrt(1 + eta^2) every step, exactly
        expected = np.sqrt(2) * np.sqrt(1.01) ** np.arange(0, 51, 10)
        np.testing.assert_allclose(np.asarray(trajectory.metrics["distance"]), expected, rtol=1e-12)
        assert not bool(trajectory.diverged) and int(trajectory.diverged_at) == -1


def test_average_is_the_mean_of_the_played_iterates() -> None:
    with jax.enable_x64(True):
        game, dynamics = zoo.bilinear(), gda(0.3)
        state = dynamics.init(game, _scalars(0.5, -0.2))
        trajectory = run(dynamics, game, state, steps=6, record_every=3)
        played = [state.params]
        for _ in range(6):
            state = dynamics.update(game, state)
            played.append(state.params)
        xs = np.array([float(p[0]) for p in played])
        np.testing.assert_allclose(np.asarray(trajectory.average[0]), [xs[0], xs[:3].mean(), xs[:6].mean()])
        np.testing.assert_allclose(np.asarray(trajectory.params[0]), xs[[0, 3, 6]])
        np.testing.assert_allclose(float(trajectory.final_state.params[0]), xs[6])


def test_resuming_from_the_final_state_continues_the_same_run() -> None:
    game, dynamics = zoo.bilinear(), gda(0.1)
    state = dynamics.init(game, _scalars(1.0, 0.0))
    whole = run(dynamics, game, state, steps=40, record_every=40)
    half = run(dynamics, game, state, steps=20, record_every=20)
    rest = run(dynamics, game, half.final_state, steps=20, record_every=20)
    np.testing.assert_array_equal(np.asarray(rest.params[0][-1]), np.asarray(whole.params[0][-1]))
    assert int(rest.final_state.step) == 40


def _game_with_nan_gradient_after_x_passes_5() -> DifferentiableGame:
    # Player 0 walks right at unit speed; player 1's gradient is sqrt(5.5 - x): NaN once x > 5.5.
    def losses(data: jax.Array, params: tuple[jax.Array, ...]) -> jax.Array:
        x, y = params
        return jnp.stack([-x, y * jnp.sqrt(data - x)])

    return DifferentiableGame(losses, jnp.asarray(5.5), (Reals(), Reals()))


def test_a_non_finite_step_freezes_the_run_and_flags_it() -> None:
    game, dynamics = _game_with_nan_gradient_after_x_passes_5(), gda(1.0)
    trajectory = run(dynamics, game, dynamics.init(game, _scalars(0.0, 0.0)), steps=20, record_every=2)
    assert bool(trajectory.diverged)
    # x_t = t; the update at step 6 evaluates sqrt(5.5 - 6)
    assert int(trajectory.diverged_at) == 6
    assert all(np.all(np.isfinite(np.asarray(leaf))) for leaf in jax.tree_util.tree_leaves(trajectory))
    assert float(trajectory.final_state.params[0]) == 6.0
    # the average stops with the run too: the mean of x_0..x_5
    np.testing.assert_allclose(float(trajectory.average[0][-1]), np.mean(np.arange(6.0)))


def test_overflow_is_flagged_as_divergence() -> None:
    game, dynamics = zoo.bilinear(), gda(10.0)
    trajectory = run(dynamics, game, dynamics.init(game, _scalars(1.0, 1.0)), steps=1000, record_every=100)
    assert bool(trajectory.diverged) and int(trajectory.diverged_at) > 0
    assert np.all(np.isfinite(np.asarray(trajectory.params[0])))


def test_vmap_over_starting_points_equals_separate_runs() -> None:
    game, dynamics = zoo.bilinear(), gda(0.1)
    starts = jnp.linspace(-1.0, 1.0, 4)

    def final_x(x0: jax.Array) -> jax.Array:
        trajectory = run(dynamics, game, dynamics.init(game, (x0, -x0)), steps=30, record_every=30)
        return trajectory.params[0][-1]

    batched = jax.vmap(final_x)(starts)
    one_by_one = [float(final_x(x0)) for x0 in starts]
    np.testing.assert_allclose(np.asarray(batched), one_by_one, rtol=1e-6)


def test_joint_average_is_the_mean_product_distribution() -> None:
    game = get_normal_form("zero-sum-2x2").mixed_extension()
    dynamics = gda(0.05)
    state = dynamics.init(game, (jnp.asarray([1.0, 0.0]), jnp.asarray([0.0, 1.0])))
    trajectory = run(dynamics, game, state, steps=8, record_every=8, joint=True)
    products = []
    for _ in range(8):
        products.append(np.outer(*[np.asarray(p) for p in state.params]))
        state = dynamics.update(game, state)
    np.testing.assert_allclose(np.asarray(trajectory.joint_average), np.mean(products, axis=0), rtol=1e-5)
    with pytest.raises(NotApplicableError, match="Simplex"):
        run(gda(0.1), zoo.bilinear(), gda(0.1).init(zoo.bilinear(), _scalars(1.0, 1.0)), steps=1, joint=True)


def test_metric_factories_vanish_at_the_equilibrium() -> None:
    game = get_normal_form("zero-sum-2x2").mixed_extension()
    equilibrium = (jnp.asarray([0.4, 0.6]), jnp.asarray([0.4, 0.6]))
    for metric in (nash_conv, duality_gap, projected_residual):
        assert abs(float(metric(game, equilibrium))) < 1e-6
    x, y = np.array([1.0, 0.0]), np.array([0.5, 0.5])
    a = np.array([[2.0, -1.0], [-1.0, 1.0]])
    gap = (a @ y).max() - (x @ a).min()  # max_x' x'Ay - min_y' x A y'
    assert float(duality_gap(game, (jnp.asarray(x), jnp.asarray(y)))) == pytest.approx(gap, rel=1e-6)
    assert float(gradient_norm(zoo.bilinear(), _scalars(3.0, 4.0))) == pytest.approx(5.0)
    with pytest.raises(GameError, match="two-player"):
        duality_gap(get_normal_form("public-goods-3").mixed_extension(), (jnp.ones(2) / 2,) * 3)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"steps": 0}, "steps must be a positive integer"),
    ({"steps": 10, "record_every": 3}, "multiple of record_every"),
    ({"steps": 2.5}, "steps must be a positive integer"),
    ({"steps": 10, "metrics": {"bad": 3}}, "metric 'bad'"),
])
def test_bad_arguments_get_one_line_errors(kwargs: dict, message: str) -> None:
    game, dynamics = zoo.bilinear(), gda(0.1)
    with pytest.raises(GameError, match=message):
        run(dynamics, game, dynamics.init(game, _scalars(1.0, 1.0)), **kwargs)


def test_wrong_objects_are_named() -> None:
    game, dynamics = zoo.bilinear(), gda(0.1)
    state = dynamics.init(game, _scalars(1.0, 1.0))
    with pytest.raises(GameError, match="mixed_extension"):
        run(dynamics, get_normal_form("rock-paper-scissors"), state, steps=1)
    with pytest.raises(GameError, match="Dynamics"):
        run((dynamics.init, dynamics.update), game, state, steps=1)  # type: ignore[arg-type]
    with pytest.raises(GameError, match="dynamics.init"):
        run(dynamics, game, _scalars(1.0, 1.0), steps=1)
    bad = dynamics.init(game, (jnp.asarray(1.0), jnp.asarray(np.inf)))
    with pytest.raises(GameError, match="NaN or infinite"):
        run(dynamics, game, bad, steps=1)


def test_vmap_over_stacked_games_and_seeded_starts() -> None:
    from equilibria.games.differentiable import stack_games

    sigmas = (0.5, 1.0, 2.0)
    games = stack_games([zoo.bilinear(s) for s in sigmas])
    keys = jax.random.split(jax.random.key(0), len(sigmas))
    dynamics = gda(0.1)

    def final_distance(game: DifferentiableGame, key: jax.Array) -> jax.Array:
        x, y = jax.random.normal(key, (2,))
        trajectory = run(dynamics, game, dynamics.init(game, (x, y)), steps=10, record_every=10,
                         metrics={"distance": distance_to(_scalars(0.0, 0.0))})
        return trajectory.metrics["distance"][-1] / trajectory.metrics["distance"][0]

    growth = jax.vmap(final_distance)(games, keys)
    # sim-GDA on sigma*x*y grows the distance by (1 + (eta sigma)^2)^(steps/2), whatever the start
    np.testing.assert_allclose(np.asarray(growth), [(1 + (0.1 * s) ** 2) ** 5 for s in sigmas], rtol=1e-5)


# -- issue 15: a time limit ------------------------------------------------------------------------------------------
def _leaves_equal(a: object, b: object) -> bool:
    return all(np.array_equal(np.asarray(x), np.asarray(y))
               for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b), strict=True))


def test_run_max_seconds_none_or_ample_changes_nothing() -> None:
    import time

    from equilibria.dynamics.run import steps_run

    with jax.enable_x64(True):
        game, dynamics = get_normal_form("rock-paper-scissors").mixed_extension(), gda(0.1)
        state = dynamics.init(game, (jnp.asarray([0.2, 0.3, 0.5]), jnp.asarray([0.5, 0.3, 0.2])))
        metrics = {"nash_conv": nash_conv}
        plain = run(dynamics, game, state, steps=120, record_every=4, metrics=metrics, joint=True)
        started = time.perf_counter()
        timed = run(dynamics, game, state, steps=120, record_every=4, metrics=metrics, joint=True, max_seconds=60.0)
        assert time.perf_counter() - started < 60.0 and steps_run(timed) == 120
        # The steps are the same bit for bit; the average's metrics may differ in the last bit (module docstring).
        assert _leaves_equal((plain.steps, plain.params, plain.average, plain.metrics, plain.final_state),
                             (timed.steps, timed.params, timed.average, timed.metrics, timed.final_state))
        np.testing.assert_allclose(timed.average_metrics["nash_conv"], plain.average_metrics["nash_conv"],
                                   rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(timed.joint_average, plain.joint_average, rtol=1e-13, atol=1e-15)


def test_run_max_seconds_stops_a_long_run_with_an_exact_prefix() -> None:
    import time

    from equilibria.dynamics.run import steps_run

    game, dynamics = zoo.bilinear(), gda(0.001)  # spirals out slowly: no overflow within the steps a second allows
    state = dynamics.init(game, _scalars(0.1, 0.1))
    metrics = {"distance": distance_to(_scalars(0.0, 0.0))}
    started = time.perf_counter()
    timed = run(dynamics, game, state, steps=10**9, record_every=10**7, metrics=metrics, max_seconds=0.5)
    assert time.perf_counter() - started <= 1.5 * 0.5 + 1.0
    assert not bool(timed.diverged)
    k = steps_run(timed)
    assert 0 < k < 10**9 and int(timed.final_state.step) == k
    steps = np.asarray(timed.steps)
    assert steps[-1] == k and np.all(steps[:-1] == 10**7 * np.arange(len(steps) - 1))
    plain = run(dynamics, game, state, steps=k, record_every=k, metrics=metrics)  # the same k steps, unbudgeted
    assert _leaves_equal((plain.params[0][-1], plain.params[1][-1], plain.final_state, plain.metrics["distance"][-1]),
                         (timed.params[0][-1], timed.params[1][-1], timed.final_state, timed.metrics["distance"][-1]))


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), True, "1"])
def test_run_max_seconds_must_be_positive(bad: object) -> None:
    game, dynamics = zoo.bilinear(), gda(0.1)
    with pytest.raises(GameError, match="max_seconds"):
        run(dynamics, game, dynamics.init(game, _scalars(1.0, 1.0)), steps=2, max_seconds=bad)  # type: ignore[arg-type]
