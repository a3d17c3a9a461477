"""No-regret learners compiled the way a user compiles them: the game is an argument of the jitted function.

The runner moves the work of a step that depends on the game alone (slicing each player's payoff matrix out of the
stacked tensor) out of the loop (issue 16). These tests check that this changes no number (against a NumPy
transcription of the definitions, and bit for bit against the runner's unhoisted time-limited loop), that a new
game of the same shape reuses the compilation, and that the hoisted program still batches and differentiates.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from equilibria import NormalFormGame
from equilibria.core.sets import Reals
from equilibria.dynamics import run
from equilibria.dynamics.gradient import gda
from equilibria.dynamics.no_regret import hedge, predictive_regret_matching_plus, regret_matching
from equilibria.dynamics.run import _all_finite, _hoist_invariants
from equilibria.games.differentiable import DifferentiableGame


def _random_game(shape: tuple[int, ...], seed: int) -> NormalFormGame:
    rng = np.random.default_rng(seed)
    return NormalFormGame(rng.uniform(-1, 1, size=(len(shape), *shape)))


def _uniform(shape: tuple[int, ...]) -> tuple[jax.Array, ...]:
    return tuple(jnp.full(n, 1.0 / n) for n in shape)


def _numpy_regret_matching(payoffs: np.ndarray, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Two-player regret matching transcribed from the module docstring, in float64: the time averages of the
    strategies played at steps 0..steps-1, from the uniform profile."""
    a, b = payoffs
    x, y = np.full(a.shape[0], 1 / a.shape[0]), np.full(a.shape[1], 1 / a.shape[1])
    regret_x, regret_y = np.zeros_like(x), np.zeros_like(y)
    total_x, total_y = np.zeros_like(x), np.zeros_like(y)

    def matched(regret: np.ndarray) -> np.ndarray:
        positive = np.maximum(regret, 0)
        return positive / positive.sum() if positive.sum() > 0 else np.full(len(regret), 1 / len(regret))

    for _ in range(steps):
        total_x, total_y = total_x + x, total_y + y
        u, v = a @ y, x @ b
        regret_x, regret_y = regret_x + u - u @ x, regret_y + v - v @ y
        x, y = matched(regret_x), matched(regret_y)
    return total_x / steps, total_y / steps


def test_a_jitted_solver_takes_the_game_as_data_and_compiles_once() -> None:
    steps, traces = 200, []
    dynamics = regret_matching()

    @jax.jit
    def average(mixed: DifferentiableGame, start: tuple[jax.Array, ...]) -> tuple[jax.Array, ...]:
        traces.append(1)  # runs only while jax traces the function
        trajectory = run(dynamics, mixed, dynamics.init(mixed, start), steps=steps, record_every=steps)
        return tuple(a[-1] for a in trajectory.average)

    with jax.enable_x64(True):
        games = [_random_game((6, 5), seed) for seed in (1, 2)]
        answers = [average(g.mixed_extension(), _uniform(g.n_actions)) for g in games]
        assert len(traces) == 1  # the second game, other payoffs of the same shape, reused the compilation
        for game, answer in zip(games, answers, strict=True):
            expected = _numpy_regret_matching(game.payoffs, steps)
            for got, want in zip(answer, expected, strict=True):
                np.testing.assert_allclose(np.asarray(got), want, rtol=1e-10, atol=1e-12)
        assert not np.allclose(np.asarray(answers[0][0]), np.asarray(answers[1][0]))


def test_the_hoisted_loop_makes_the_unhoisted_steps_bit_for_bit() -> None:
    # The time-limited runner (max_seconds) runs one_step unhoisted in a fori_loop: the same steps, bit for bit.
    # PRM+ exercises the whole regret-matching update (clipping and prediction); Hedge is checked in test_run.py.
    dynamics = predictive_regret_matching_plus()
    with jax.enable_x64(True):
        game = _random_game((4, 3, 5), seed=7).mixed_extension()  # three players: every contraction is hoisted
        state = dynamics.init(game, _uniform((4, 3, 5)))
        plain = run(dynamics, game, state, steps=40, record_every=20)
        timed = run(dynamics, game, state, steps=40, record_every=20, max_seconds=60.0)
        for a, b in zip(jax.tree_util.tree_leaves((plain.params, plain.average, plain.final_state)),
                        jax.tree_util.tree_leaves((timed.params, timed.average, timed.final_state)), strict=True):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def _primitives(jaxpr: object) -> list[str]:
    return [eqn.primitive.name for eqn in jaxpr.jaxpr.eqns]  # type: ignore[attr-defined]


def test_the_payoff_slices_leave_the_loop_and_the_step_is_unchanged() -> None:
    game = _random_game((5, 4), seed=3).mixed_extension()
    dynamics = regret_matching()
    state = dynamics.init(game, _uniform((5, 4)))
    assert "slice" in _primitives(jax.make_jaxpr(dynamics.update)(game, state))
    body = _hoist_invariants(dynamics.update, game, state)
    looped = _primitives(jax.make_jaxpr(body)(state))
    assert "slice" not in looped and looped.count("dot_general") >= 2  # the mat-vecs stay, on hoisted matrices
    hoisted, direct = jax.jit(body)(state), jax.jit(dynamics.update)(game, state)
    for a, b in zip(jax.tree_util.tree_leaves(hoisted), jax.tree_util.tree_leaves(direct), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_an_invariant_larger_than_the_game_data_stays_in_the_loop() -> None:
    # outer(-a, a) depends on the game alone but has n^2 elements against the data's n: hoisting it would keep a
    # large intermediate alive (XLA may fuse it away inside the loop), so it stays in the loop.
    n = 6
    game = DifferentiableGame.zero_sum(lambda a, x, y: x @ jnp.outer(-a, a) @ y, jnp.linspace(0.5, 1.0, n),
                                       (Reals(), Reals()))
    dynamics = gda(0.1)
    state = dynamics.init(game, (jnp.ones(n), jnp.ones(n)))
    assert any(v.aval.shape == (n, n) for eqn in jax.make_jaxpr(dynamics.update)(game, state).jaxpr.eqns
               for v in eqn.outvars)
    body = _hoist_invariants(dynamics.update, game, state)
    assert any(v.aval.shape == (n, n) for eqn in jax.make_jaxpr(body)(state).jaxpr.eqns for v in eqn.outvars)
    hoisted, direct = jax.jit(body)(state), jax.jit(dynamics.update)(game, state)
    for a, b in zip(jax.tree_util.tree_leaves(hoisted), jax.tree_util.tree_leaves(direct), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6)


def test_hoisted_runs_batch_over_games_and_differentiate_through_the_payoffs() -> None:
    with jax.enable_x64(True):
        games = [_random_game((3, 3), seed) for seed in (4, 5)]
        dynamics = hedge(0.2)
        start = _uniform((3, 3))

        @jax.jit
        def final_average(payoffs: jax.Array) -> jax.Array:
            mixed = NormalFormGame(np.zeros((2, 3, 3))).mixed_extension()
            mixed = jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(mixed), [payoffs])
            trajectory = run(dynamics, mixed, dynamics.init(mixed, start), steps=20, record_every=20)
            return trajectory.average[0][-1]

        stacked = jnp.stack([jnp.asarray(g.payoffs) for g in games])
        batched = jax.vmap(final_average)(stacked)
        for k, game in enumerate(games):
            np.testing.assert_allclose(np.asarray(batched[k]), np.asarray(final_average(jnp.asarray(game.payoffs))),
                                       rtol=1e-12)
        # d (player 0's average probability of action 0) / d payoffs, against central differences
        def weight(p: jax.Array) -> jax.Array:
            return final_average(p)[0]

        payoffs = jnp.asarray(games[0].payoffs)
        grad = np.asarray(jax.grad(weight)(payoffs))
        eps, index = 1e-6, (0, 1, 2)
        bump = jnp.zeros_like(payoffs).at[index].set(eps)
        numeric = (float(weight(payoffs + bump)) - float(weight(payoffs - bump))) / (2 * eps)
        assert grad[index] != 0
        np.testing.assert_allclose(grad[index], numeric, rtol=1e-6)


@pytest.mark.parametrize(("tree", "finite"), [
    ((np.ones(3, np.float32), np.ones(2, np.float64), np.int32(7)), True),
    ((np.ones(3, np.float32), np.array([1.0, np.inf])), False),
    ((np.array([np.nan], np.float32), np.ones(2)), False),
    ((np.float32(-np.inf),), False),
    ((np.ones(2, np.float32), np.array([1.0 + 0j, complex(0, np.inf)])), False),
    ((np.int32(3), np.zeros((0,), np.float32)), True),
    ((), True),
])
def test_the_finiteness_check_reads_every_float_leaf(tree: tuple, finite: bool) -> None:
    with jax.enable_x64(True):
        assert bool(_all_finite(tree)) is finite
