"""Known facts of the non-concave zoo: Hessians, critical points, pure max-min/min-max, dynamics that cycle."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from equilibria.core.errors import GameError
from equilibria.dynamics.gradient import extragradient, gda, optimistic_gda
from equilibria.dynamics.run import distance_to, run
from equilibria.games.zoo import nonconcave as nc


def test_every_entry_builds_and_accepts_its_start() -> None:
    for name in nc.names():
        e = nc.entry(name)
        game = e.game()
        game.check_params(e.start())
        for point in e.points.values():
            game.check_params(point())
    with pytest.raises(GameError, match="unknown non-concave zoo game"):
        nc.get("nope")


def test_ridge_minimax_hessian_at_origin() -> None:
    with jax.enable_x64(True):
        hessian = jax.hessian(lambda v: nc._ridge_objective(None, v[0], v[1]))(jnp.zeros(2))
        assert np.allclose(hessian, nc.entry("ridge-minimax").facts["hessian_f"], atol=1e-12)
        game = nc.ridge_minimax()
        assert np.allclose(np.asarray(game.gradient(nc.entry("ridge-minimax").points["critical"]())), 0.0)


def test_forsaken_critical_point() -> None:
    with jax.enable_x64(True):
        game = nc.forsaken()
        point = nc.entry("forsaken").points["critical"]()
        assert np.max(np.abs(np.asarray(game.gradient(point)))) < 1e-12
        assert np.allclose(nc.FORSAKEN_CRITICAL, (0.0780267, 0.4119338), atol=1e-6)  # the digits


def test_squared_distance_has_no_pure_equilibrium() -> None:
    grid = np.linspace(-1, 1, 201)
    payoff = (grid[:, None] - grid[None, :]) ** 2  # player 0's utility, rows x0, columns x1
    assert payoff.min(axis=1).max() == 0.0  # max-min
    assert payoff.max(axis=0).min() == 1.0  # min-max, at x1 = 0
    facts = nc.entry("squared-distance").facts
    assert (facts["maxmin"], facts["minmax"], facts["value"]) == (0.0, 1.0, 1.0)


@pytest.mark.parametrize("method", [gda, extragradient, optimistic_gda])
def test_forsaken_dynamics_miss_the_critical_point(method) -> None:  # type: ignore[no-untyped-def]
    with jax.enable_x64(True):
        e = nc.entry("forsaken")
        game = e.build()
        dynamics = method(0.05)
        trajectory = run(dynamics, game, dynamics.init(game, e.start()), steps=4000, record_every=40,
                         metrics={"distance": distance_to(e.points["critical"]())})
        late = np.asarray(trajectory.metrics["distance"])[50:]
        assert not bool(trajectory.diverged)
        assert late.min() > 0.1  # attracted to the spurious limit cycle, never near the critical point


def test_guess_the_larger_number_payoffs() -> None:
    game = nc.guess_the_larger_number(3)
    assert np.array_equal(game.payoffs[0], [[0, -1, -1], [1, 0, -1], [1, 1, 0]])
    assert np.array_equal(game.payoffs[1], -game.payoffs[0])
    with pytest.raises(GameError, match="guess_the_larger_number"):
        nc.guess_the_larger_number(0)


def test_bad_arguments() -> None:
    with pytest.raises(GameError, match="forsaken"):
        nc.forsaken(-1.0)
    with pytest.raises(GameError, match="two_layer_gan"):
        nc.two_layer_gan(samples=1)
