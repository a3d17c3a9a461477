"""No-regret learners: Hedge, optimistic Hedge, RM, RM+, PRM+ on mixed extensions.

Tolerances come from the regret bounds (``Reg_T / T`` is each player's average regret over ``T`` rounds, ``L``
the payoff range, ``n`` the number of actions):

- Hedge with ``eta = sqrt(8 ln n / T) / L``: ``Reg_T / T <= L sqrt(ln n / (2T))`` (Freund & Schapire 1997);
- optimistic Hedge with ``eta = sqrt(ln n / T) / L``: ``Reg_T / T <= 2 L sqrt(ln n / T)`` (Syrgkanis et al. 2015,
  with ``||u^t - u^{t-1}||_inf <= L``);
- RM and RM+: ``Reg_T / T <= L sqrt(n / T)`` (Blackwell approachability: ``||R_T^+||^2 <= sum_t ||r^t||^2``).

In a two-player zero-sum game the NashConv of the time averages is at most ``(Reg_T^1 + Reg_T^2) / T``, and the
CCE gap of the empirical joint play is exactly the largest average regret.
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

from equilibria import GameError, NormalFormGame, NotApplicableError
from equilibria.dynamics import Dynamics, run
from equilibria.dynamics.no_regret import (
    hedge,
    optimistic_hedge,
    predictive_regret_matching_plus,
    regret_matching,
    regret_matching_plus,
)
from equilibria.dynamics.run import distance_to, nash_conv
from equilibria.games.differentiable import DifferentiableGame, stack_games
from equilibria.games.generators import random_game
from equilibria.games.zoo import differentiable as differentiable_zoo
from equilibria.games.zoo import get as get_normal_form
from equilibria.metrics.regret import cce_gap


def _uniform(game: NormalFormGame) -> tuple[jax.Array, ...]:
    return tuple(jnp.ones(n) / n for n in game.n_actions)


def _payoff_range(game: NormalFormGame) -> float:
    return float(game.payoffs.max() - game.payoffs.min())


def _hedge_rate(n: int, steps: int, payoff_range: float) -> float:
    return float(np.sqrt(8 * np.log(n) / steps) / payoff_range)


def _hedge_bound(n: int, steps: int, payoff_range: float) -> float:
    return float(payoff_range * np.sqrt(np.log(n) / (2 * steps)))


def _rm_bound(n: int, steps: int, payoff_range: float) -> float:
    return float(payoff_range * np.sqrt(n / steps))


# -- the definitions, step by step -----------------------------------------------------------------------------
def test_first_steps_follow_the_definitions() -> None:
    with jax.enable_x64(True):
        game = get_normal_form("von-stengel-3x2")
        g = game.mixed_extension("simplex")
        start = (jnp.array([0.5, 0.3, 0.2]), jnp.array([0.6, 0.4]))
        eta = 0.3

        def values(profile: tuple) -> list[np.ndarray]:
            return [game.action_values([np.asarray(s) for s in profile], i) for i in range(2)]

        def normalise(w: np.ndarray) -> np.ndarray:
            return w / w.sum()

        u0 = values(start)
        state = jax.jit(hedge(eta).update)(g, hedge(eta).init(g, start))
        for i in range(2):
            np.testing.assert_allclose(state.params[i], normalise(np.asarray(start[i]) * np.exp(eta * u0[i])))

        opt = optimistic_hedge(eta)
        step = jax.jit(opt.update)
        s1 = step(g, opt.init(g, start))
        u1 = values(s1.params)
        s2 = step(g, s1)
        for i in range(2):
            x0 = np.asarray(start[i])
            np.testing.assert_allclose(s1.params[i], normalise(x0 * np.exp(2 * eta * u0[i])))
            np.testing.assert_allclose(s2.params[i], normalise(x0 * np.exp(eta * (u0[i] + 2 * u1[i]))))

        def regret_vectors(profile: tuple) -> list[np.ndarray]:
            return [u - u @ np.asarray(x) for u, x in zip(values(profile), profile, strict=True)]

        r0 = regret_vectors(start)
        rm = regret_matching()
        s1 = jax.jit(rm.update)(g, rm.init(g, start))
        for i in range(2):
            np.testing.assert_allclose(s1.params[i], normalise(np.maximum(r0[i], 0)))
            np.testing.assert_allclose(s1.regrets[i], r0[i])

        # PRM+: Q^0 = [r^0]^+, x^1 ∝ [Q^0 + r^0]^+ = 2 [r^0]^+; Q^1 = [Q^0 + r^1]^+, x^2 ∝ [Q^1 + r^1]^+
        prm = predictive_regret_matching_plus()
        step = jax.jit(prm.update)
        p1 = step(g, prm.init(g, start))
        r1 = regret_vectors(p1.params)
        p2 = step(g, p1)
        for i in range(2):
            np.testing.assert_allclose(p1.params[i], normalise(np.maximum(r0[i], 0)))
            q1 = np.maximum(np.maximum(r0[i], 0) + r1[i], 0)
            np.testing.assert_allclose(p2.regrets[i], q1)
            np.testing.assert_allclose(p2.params[i], normalise(np.maximum(q1 + r1[i], 0)))


def test_regret_matching_plays_uniform_without_positive_regret() -> None:
    # at the equilibrium of RPS every regret is 0
    g = get_normal_form("rock-paper-scissors").mixed_extension("simplex")
    for dynamics in (regret_matching(), regret_matching_plus(), predictive_regret_matching_plus()):
        state = dynamics.update(g, dynamics.init(g, (jnp.array([1.0, 0, 0]), jnp.array([1.0, 0, 0]))))
        # (rock, rock): paper has regret 1, scissors -1 -> all weight on paper
        np.testing.assert_allclose(state.params[0], [0, 1, 0])
        state = dynamics.update(g, dynamics.init(g, (jnp.ones(3) / 3, jnp.ones(3) / 3)))
        np.testing.assert_allclose(state.params[0], np.ones(3) / 3, atol=1e-7)


def test_hedge_keeps_actions_outside_the_starting_support_at_zero() -> None:
    g = get_normal_form("rock-paper-scissors").mixed_extension("simplex")
    dynamics = hedge(0.5)
    trajectory = run(dynamics, g, dynamics.init(g, (jnp.array([0.5, 0.5, 0.0]), jnp.ones(3) / 3)), steps=50)
    assert np.all(np.asarray(trajectory.params[0])[:, 2] == 0)
    assert np.all(np.isfinite(np.asarray(trajectory.params[0])))


# -- convergence of the time average ---------------------------------------------------------------------------
_STEPS_2X2 = 10_000
_L_2X2 = 3.0  # payoffs of zero-sum-2x2 lie in [-1, 2]


@pytest.mark.parametrize(("dynamics", "bound"), [
    (hedge(_hedge_rate(2, _STEPS_2X2, _L_2X2)), _hedge_bound(2, _STEPS_2X2, _L_2X2)),
    (optimistic_hedge(float(np.sqrt(np.log(2) / _STEPS_2X2) / _L_2X2)),
     2 * _L_2X2 * float(np.sqrt(np.log(2) / _STEPS_2X2))),
    (regret_matching(), _rm_bound(2, _STEPS_2X2, _L_2X2)),
    (regret_matching_plus(), _rm_bound(2, _STEPS_2X2, _L_2X2)),
], ids=lambda v: v.name if isinstance(v, Dynamics) else "")
def test_time_average_converges_on_the_zero_sum_2x2(dynamics: Dynamics, bound: float) -> None:
    # A = [[2, -1], [-1, 1]]: x* = y* = (0.4, 0.6). NashConv(xbar, ybar) >= 2 (|xbar_1 - 0.4| + |ybar_1 - 0.4|)
    # (the value v(x) = min(3 x_1 - 1, 1 - 2 x_1) drops by at least 2|x_1 - 0.4|, likewise for y), and
    # NashConv <= (Reg^1 + Reg^2) / T <= 2 * bound.
    g = get_normal_form("zero-sum-2x2").mixed_extension("simplex")
    trajectory = run(dynamics, g, dynamics.init(g, (jnp.ones(2) / 2, jnp.ones(2) / 2)), steps=_STEPS_2X2,
                     record_every=_STEPS_2X2, metrics={"nash_conv": nash_conv})
    x_bar, y_bar = (np.asarray(a[-1]) for a in trajectory.average)
    assert float(trajectory.average_metrics["nash_conv"][-1]) <= 2 * bound
    assert abs(x_bar[0] - 0.4) + abs(y_bar[0] - 0.4) <= bound
    np.testing.assert_allclose(x_bar.sum(), 1, atol=1e-5)


def _kl_to_uniform(game: DifferentiableGame, params: tuple) -> jax.Array:
    return sum((-jnp.log(3.0) - jnp.mean(jnp.log(x)) for x in params), jnp.zeros(()))


def test_hedge_on_rps_average_converges_while_the_last_iterate_spirals_out() -> None:
    steps = 4000
    g = get_normal_form("rock-paper-scissors").mixed_extension("simplex")
    dynamics = hedge(_hedge_rate(3, steps, 2.0))
    start = (jnp.array([0.5, 0.3, 0.2]), jnp.array([0.2, 0.5, 0.3]))
    uniform = (jnp.ones(3) / 3, jnp.ones(3) / 3)
    trajectory = run(dynamics, g, dynamics.init(g, start), steps=steps, record_every=400,
                     metrics={"nash_conv": nash_conv, "distance": distance_to(uniform), "kl": _kl_to_uniform})
    assert float(trajectory.average_metrics["nash_conv"][-1]) <= 2 * _hedge_bound(3, steps, 2.0)
    # MWU in a zero-sum game with an interior equilibrium: KL(x* || x^t) strictly increases (Bailey & Piliouras
    # 2018): the last iterate never enters the KL ball it started on, so its distance stays bounded below
    kl = np.asarray(trajectory.metrics["kl"])
    assert np.all(np.diff(kl) > 0)
    distance = np.asarray(trajectory.metrics["distance"])
    assert distance.min() >= 0.9 * distance[0] and distance[-1] > distance[0]
    assert float(trajectory.metrics["nash_conv"][-1]) > float(trajectory.metrics["nash_conv"][0])


def test_optimistic_hedge_last_iterate_converges_on_rps() -> None:
    # Daskalakis & Panageas (2019): OMWU with a small step converges (linearly) to the unique equilibrium
    g = get_normal_form("rock-paper-scissors").mixed_extension("simplex")
    dynamics = optimistic_hedge(0.1)
    uniform = (jnp.ones(3) / 3, jnp.ones(3) / 3)
    start = (jnp.array([0.5, 0.3, 0.2]), jnp.array([0.2, 0.5, 0.3]))
    trajectory = run(dynamics, g, dynamics.init(g, start), steps=5000, record_every=1000,
                     metrics={"distance": distance_to(uniform)})
    distance = np.asarray(trajectory.metrics["distance"])
    assert np.all(np.diff(distance) < 0)
    assert distance[-1] <= 1e-3
    assert distance[-1] <= 0.1 * distance[-3]  # the linear rate: a factor 10 in 2000 steps (measured ~27)


# -- coarse correlated equilibria ------------------------------------------------------------------------------
@pytest.mark.parametrize(("game", "method"), [(get_normal_form("chicken"), "hedge"),
                                              (get_normal_form("chicken"), "regret_matching"),
                                              (random_game((2, 3, 2), seed=1), "regret_matching")],
                         ids=["chicken-hedge", "chicken-rm", "random-2x3x2-rm"])
def test_empirical_joint_play_approaches_the_cce_set(game: NormalFormGame, method: str) -> None:
    n, span = max(game.n_actions), _payoff_range(game)
    gaps = []
    with jax.enable_x64(True):
        g = game.mixed_extension("simplex")
        for steps in (400, 3600):
            if method == "hedge":
                dynamics, bound = hedge(_hedge_rate(n, steps, span)), _hedge_bound(n, steps, span)
            else:
                dynamics, bound = regret_matching(), _rm_bound(n, steps, span)
            trajectory = run(dynamics, g, dynamics.init(g, _uniform(game)), steps=steps, record_every=steps,
                             joint=True)
            joint = np.asarray(trajectory.joint_average)
            np.testing.assert_allclose(joint.sum(), 1, atol=1e-12)
            gap = float(cce_gap(game, joint))
            assert gap <= bound
            if method == "regret_matching":
                # the CCE gap of the empirical play is the largest average regret, which RM keeps in its state
                largest = max(float(jnp.max(r)) for r in trajectory.final_state.regrets) / steps
                np.testing.assert_allclose(gap, max(largest, 0.0), atol=1e-12)
            gaps.append(gap)
    # the bounds shrink by 3 from T = 400 to 3600, and so do the gaps (measured: by 1.7 to 16)
    assert gaps[1] < gaps[0]


# -- RM+ and PRM+ against RM -----------------------------------------------------------------------------------
def test_rm_plus_and_predictive_rm_plus_beat_rm_on_random_zero_sum_games() -> None:
    steps, size = 2000, 5
    games = [NormalFormGame.zero_sum(np.random.default_rng(seed).uniform(-1, 1, (size, size))).mixed_extension()
             for seed in range(12)]
    batch = stack_games(games)
    start = (jnp.ones(size) / size, jnp.ones(size) / size)

    def final_nash_conv(dynamics: Dynamics) -> np.ndarray:
        state = dynamics.init(games[0], start)
        one = partial(run, dynamics, state=state, steps=steps, record_every=steps, metrics={"nc": nash_conv})
        return np.asarray(jax.vmap(lambda g: one(g).average_metrics["nc"][-1])(batch))

    rm, rm_plus, prm_plus = (final_nash_conv(d) for d in (regret_matching(), regret_matching_plus(),
                                                              predictive_regret_matching_plus()))
    assert np.all(rm <= 2 * _rm_bound(size, steps, 2.0))
    # game by game, and by a clear factor on average (geometric means measured: RM+ 0.52x RM, PRM+ 0.10x RM)
    assert np.all(rm_plus < rm) and np.all(prm_plus < rm_plus)
    assert np.exp(np.mean(np.log(rm_plus / rm))) < 0.7
    assert np.exp(np.mean(np.log(prm_plus / rm))) < 0.2


# -- batching over hyperparameters -----------------------------------------------------------------------------
def test_a_learning_rate_sweep_is_a_vmap() -> None:
    g = get_normal_form("zero-sum-2x2").mixed_extension("simplex")
    start = (jnp.array([0.9, 0.1]), jnp.array([0.3, 0.7]))
    rates = jnp.array([0.01, 0.1, 1.0])

    def final(rate: jax.Array) -> jax.Array:
        dynamics = hedge(rate)
        state = dynamics.init(g, start)
        for _ in range(3):
            state = dynamics.update(g, state)
        return state.params[0]

    batched = np.asarray(jax.jit(jax.vmap(final))(rates))
    one = jax.jit(final)
    for k, rate in enumerate([0.01, 0.1, 1.0]):
        np.testing.assert_allclose(batched[k], np.asarray(one(jnp.asarray(rate))), rtol=1e-5)
    assert not np.allclose(batched[0], batched[2])


# -- every learner stays on the simplex ------------------------------------------------------------------------
_MAKERS: dict[str, Callable[[jax.Array], Dynamics]] = {
    "hedge": hedge,
    "optimistic_hedge": optimistic_hedge,
    "regret_matching": lambda _: regret_matching(),
    "regret_matching_plus": lambda _: regret_matching_plus(),
    "predictive_regret_matching_plus": lambda _: predictive_regret_matching_plus(),
}
_SHAPES = [(3, 2), (2, 2, 2)]


@partial(jax.jit, static_argnames=("method", "steps"))
def _all_iterates(method: str, rate: jax.Array, game: DifferentiableGame, start: tuple, steps: int) -> tuple:
    dynamics = _MAKERS[method](rate)

    def body(state: object, _: None) -> tuple[object, tuple]:
        state = dynamics.update(game, state)
        return state, state.params

    _, iterates = jax.lax.scan(body, dynamics.init(game, start), None, length=steps)
    return iterates


@settings(max_examples=25, deadline=None)
@given(shape=st.sampled_from(_SHAPES), seed=st.integers(0, 2**31 - 1), scale=st.sampled_from([1e-3, 1.0, 1e3]),
       rate=st.floats(1e-3, 1e3), method=st.sampled_from(sorted(_MAKERS)), sparse=st.booleans())
def test_every_learner_stays_on_the_simplex(shape: tuple[int, ...], seed: int, scale: float, rate: float,
                                            method: str, sparse: bool) -> None:
    rng = np.random.default_rng(seed)
    game = random_game(shape, seed=rng, low=-scale, high=scale)
    start = [rng.dirichlet(np.ones(n)) for n in shape]
    if sparse:  # a pure start: the others' support is one action
        start = [np.eye(n)[rng.integers(n)] for n in shape]
    iterates = _all_iterates(method, jnp.asarray(rate, dtype=jnp.float32), game.mixed_extension(),
                             tuple(jnp.asarray(s, dtype=jnp.float32) for s in start), 40)
    for x in iterates:
        x = np.asarray(x)
        assert np.all(np.isfinite(x)) and np.all(x >= 0)
        np.testing.assert_allclose(x.sum(axis=-1), 1, atol=1e-6)


# -- bad input -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("make", list(_MAKERS.values()), ids=list(_MAKERS))
def test_games_without_simplices_are_not_applicable(make: Callable[[float], Dynamics]) -> None:
    dynamics = make(0.1)
    normal_form = get_normal_form("matching-pennies")
    with pytest.raises(NotApplicableError, match="mixed_extension"):
        dynamics.init(normal_form, (jnp.ones(2) / 2, jnp.ones(2) / 2))
    with pytest.raises(NotApplicableError, match="Simplex"):
        dynamics.init(normal_form.mixed_extension("softmax"), (jnp.zeros(2), jnp.zeros(2)))
    with pytest.raises(NotApplicableError, match="Simplex"):
        dynamics.init(differentiable_zoo.bilinear(), (jnp.asarray(0.5), jnp.asarray(0.5)))


@pytest.mark.parametrize("start", [(jnp.array([0.7, 0.7]), jnp.ones(2) / 2), (jnp.array([1.5, -0.5]), jnp.ones(2) / 2),
                                   (jnp.ones(3) / 3, jnp.ones(2) / 2), (jnp.ones(2) / 2,)])
def test_a_start_off_the_simplex_is_rejected(start: tuple) -> None:
    g = get_normal_form("matching-pennies").mixed_extension()
    for make in _MAKERS.values():
        with pytest.raises(GameError, match=r"\(params\)"):
            make(0.1).init(g, start)


def test_a_start_within_rounding_of_the_simplex_is_put_on_it() -> None:
    with jax.enable_x64(True):
        g = get_normal_form("matching-pennies").mixed_extension()
        state = hedge(0.1).init(g, (jnp.array([1 + 5e-7, -5e-7]), jnp.array([0.5, 0.5 + 1e-7])))
        np.testing.assert_array_equal(np.asarray(state.params[0]), [1.0, 0.0])
        np.testing.assert_allclose(np.asarray(state.params[1]).sum(), 1.0, rtol=1e-15)


@pytest.mark.parametrize("rate", [0, -0.1, float("nan"), float("inf"), "fast", None])
@pytest.mark.parametrize("make", [hedge, optimistic_hedge])
def test_bad_learning_rates_are_rejected(make: Callable[[object], Dynamics], rate: object) -> None:
    with pytest.raises(GameError, match=f"{make.__name__}: learning_rate"):
        make(rate)
