"""Minimax-Q, foe-Q, Nash-Q and correlated-Q: the learner protocol (masks, distributions, jit, vmap, determinism),
the stage solvers against the normal-form solvers, and learning measured by exact exploitability.

Every game here has the same array shapes (2 states, 3 x 3 action axes, 2 successors), so each learner compiles
once for the module: a one-state game gets a second, unreachable state with a 3 x 3 zero game.
"""

from __future__ import annotations

from functools import cache, partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria.applications.marl import base
from equilibria.applications.marl.stage_q import (
    LITTMAN_DECAY,
    correlated_q,
    foe_q,
    minimax_q,
    nash_q,
    stage_nash,
)
from equilibria.core.errors import GameError
from equilibria.games.normal_form import NormalFormGame
from equilibria.games.stochastic import StochasticGame
from equilibria.metrics import regret
from equilibria.metrics import stochastic as certificate

WIDTH = 3
DECAY = 0.01 ** (1 / 20_000)  # Littman's schedule (alpha from 1 to 0.01) over the 20,000 steps of the longest run
LEARNERS = {
    "minimax-q": minimax_q(decay=DECAY),
    "foe-q": foe_q(decay=DECAY),
    "nash-q": nash_q(decay=DECAY),
    "correlated-q": correlated_q(decay=DECAY),
}


def _game(rewards: np.ndarray, transitions: np.ndarray, n_actions: np.ndarray, discount: float) -> StochasticGame:
    """``rewards [2, 2, 3, 3]``, dense ``transitions [2, 3, 3, 2]``: a game whose successor axis is padded to 2."""
    dense = StochasticGame.from_dense(rewards, transitions, discount, n_actions=n_actions)
    k = dense.successors.shape[-1]
    pad = [(0, 0)] * (dense.successors.ndim - 1) + [(0, 2 - k)]
    return StochasticGame(dense.rewards, np.pad(dense.successors, pad), np.pad(dense.probabilities, pad), discount,
                          n_actions=n_actions)


def _one_state(row: np.ndarray, column: np.ndarray, discount: float = 0.9) -> StochasticGame:
    """A repeated stage game in state 0 (``[m, n]`` payoffs) and an unreachable 3 x 3 zero game in state 1."""
    m, n = row.shape
    rewards = np.zeros((2, 2, WIDTH, WIDTH))
    rewards[0, 0, :m, :n], rewards[1, 0, :m, :n] = row, column
    transitions = np.zeros((2, WIDTH, WIDTH, 2))
    transitions[0, ..., 0] = 1.0
    transitions[1, ..., 1] = 1.0
    return _game(rewards, transitions, np.array([[m, n], [WIDTH, WIDTH]]), discount)


def _two_state_zero_sum(seed: int) -> StochasticGame:
    """Random zero-sum rewards and transitions; state 0 is 2 x 3, state 1 is 3 x 2 (padding in both)."""
    rng = np.random.default_rng(seed)
    row = rng.uniform(-1, 1, (2, WIDTH, WIDTH))
    stay = rng.uniform(0.2, 0.8, (2, WIDTH, WIDTH))
    transitions = np.stack([stay, 1 - stay], axis=-1)
    transitions[1] = transitions[1][..., ::-1]
    return _game(np.stack([row, -row]), transitions, np.array([[2, 3], [3, 2]]), 0.8)


SEEDS = 8  # every batched run has this many seeds (one compilation)
CHUNK = 100  # steps between checkpoints: one compiled chunk per learner serves every run in the module


def _chunk(act, update, environment, carry, keys):
    """``keys.shape[0]`` interactions from ``carry = (learner state, current state)``; the new carry."""
    def one(carry, key):
        state, s = carry
        act_key, step_key, reset_key = jax.random.split(key, 3)
        actions = act(environment, state, s, act_key)
        transition = base.step(environment, s, actions, step_key)
        state = update(environment, state, transition)
        return (state, base.continue_from(environment, transition, reset_key)), None

    return jax.lax.scan(one, carry, keys)[0]


def _start(init, environment, key):
    init_key, reset_key = jax.random.split(key)
    return init(environment, init_key), base.reset(environment, reset_key)


@cache
def _compiled(init, act, update):
    """The batched start and chunk of a learner's functions (foe-q shares minimax-q's, so also its compilation)."""
    return (jax.jit(jax.vmap(partial(_start, init), in_axes=(None, 0))),
            jax.jit(jax.vmap(partial(_chunk, act, update), in_axes=(None, 0, 0))))


def _run(name: str, environment: base.MarkovEnv, seeds: int, n_chunks: int, seed: int = 17):
    """``seeds`` runs of ``n_chunks * CHUNK`` steps: the final learner states and the policies after each chunk."""
    learner = LEARNERS[name]
    start, chunk = _compiled(learner.init, learner.act, learner.update)
    keys = jax.random.split(jax.random.key(seed), seeds + 1)
    carry = start(environment, keys[1:])
    checkpoints = []
    for c in range(n_chunks):
        step_keys = jax.random.split(jax.random.fold_in(keys[0], c), seeds * CHUNK).reshape(seeds, CHUNK)
        carry = chunk(environment, carry, step_keys)
        checkpoints.append(learner.policy(environment, carry[0]))
    policies = tuple(jnp.stack([p[i] for p in checkpoints], axis=1) for i in range(len(checkpoints[0])))
    return carry[0], policies


def _profile(policies: tuple, index: tuple) -> tuple[np.ndarray, ...]:
    """One checkpoint's profile in float64, rows renormalised (float32 rows sum to 1 only within 1e-7)."""
    out = []
    for policy in policies:
        rows = np.asarray(policy[index], float)
        out.append(rows / rows.sum(axis=-1, keepdims=True))
    return tuple(out)


def _curves(name: str, game: StochasticGame, seeds: int, n_chunks: int, every: int = 1):
    """:func:`_run` and the exact exploitability of every ``every``-th checkpoint (and the last),
    ``[seeds, checkpoints]``."""
    state, policies = _run(name, base.env(game), seeds, n_chunks)
    checkpoints = sorted({*range(0, n_chunks, every), n_chunks - 1})
    curves = np.array([[certificate.exploitability(game, _profile(policies, (k, c))) for c in checkpoints]
                       for k in range(seeds)])
    return state, policies, curves


@pytest.fixture(scope="module")
def pennies_runs():
    pennies = np.array([[1.0, -1.0], [-1.0, 1.0]])
    game = _one_state(pennies, -pennies)
    return game, {name: _curves(name, game, SEEDS, 20) for name in ("minimax-q", "foe-q")}


@pytest.fixture(scope="module")
def coordination_runs():
    payoffs = np.array([[2.0, 0.0], [0.0, 1.0]])
    game = _one_state(payoffs, payoffs)
    return game, {name: _curves(name, game, SEEDS, 20) for name in ("nash-q", "correlated-q")}


def test_minimax_q_matching_pennies(pennies_runs) -> None:
    game, runs = pennies_runs
    for name, (_, policies, curves) in runs.items():
        # Measured: a few hundred steps in, the stage game of Q has the pennies' structure and the maximin is 1/2.
        final = _profile(policies, (slice(None), -1))
        np.testing.assert_allclose(final[0][:, 0, :2], 0.5, atol=1e-5, err_msg=name)
        np.testing.assert_allclose(final[1][:, 0, :2], 0.5, atol=1e-5, err_msg=name)
        assert np.all(final[0][:, 0, 2] == 0) and np.all(final[1][:, 0, 2] == 0)  # padding
        assert curves[:, -1].max() < 1e-4
        # Decreasing: the first checkpoint (100 steps) is exploitable, the last is not.
        assert np.all(curves[:, 0] > 10 * curves[:, -1])


def test_minimax_q_two_state_zero_sum() -> None:
    # 20,000 steps with Littman's schedule. Measured on this game over 32 seeds (4 batches of 8): final
    # exploitability median 0.026, max 0.089 (values are of order 1 to 5); after the first 100 steps the median is
    # 0.28. The bounds below leave a margin of about 1.7 over the worst seed measured.
    game = _two_state_zero_sum(5)
    _, _, curves = _curves("minimax-q", game, SEEDS, 200, every=40)
    assert curves[:, -1].max() < 0.15
    assert np.median(curves[:, -1]) < 0.05
    assert np.median(curves[:, -1]) < np.median(curves[:, 0]) / 5


def test_nash_q_and_correlated_q_coordination(coordination_runs) -> None:
    game, runs = coordination_runs
    for name, (_, policies, curves) in runs.items():
        final = _profile(policies, (slice(None), -1))
        assert curves[:, -1].max() < 1e-6, name
        # Utilitarian selection: the payoff-dominant equilibrium (0, 0), worth 2 to each.
        np.testing.assert_allclose(final[0][:, 0], [[1, 0, 0]] * SEEDS, atol=1e-6, err_msg=name)
        np.testing.assert_allclose(final[1][:, 0], [[1, 0, 0]] * SEEDS, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("name", sorted(LEARNERS))
def test_protocol_conformance(name: str) -> None:
    learner = LEARNERS[name]
    game = _two_state_zero_sum(3)
    environment = base.env(game)
    state, policies = _run(name, environment, SEEDS, 2, seed=0)
    again, _ = _run(name, environment, SEEDS, 2, seed=0)
    assert np.array_equal(np.asarray(state.q), np.asarray(again.q))  # deterministic given the key
    assert not np.array_equal(np.asarray(state.q[0]), np.asarray(state.q[1]))  # seeds differ
    assert state.q.shape == (SEEDS, 2, 2, WIDTH, WIDTH) and int(state.steps[0]) == 2 * CHUNK
    np.testing.assert_allclose(state.alpha, DECAY ** (2 * CHUNK), rtol=1e-4)
    for i, policy in enumerate(policies):
        policy = np.asarray(policy)
        assert policy.shape == (SEEDS, 2, 2, WIDTH)
        np.testing.assert_allclose(policy.sum(axis=-1), 1.0, atol=1e-5)
        assert np.all(policy >= 0)
        available = np.arange(WIDTH)[None, :] < game.n_actions[:, i][:, None]
        assert np.all(policy[..., ~available] == 0)
    # act samples only available actions, under jit and vmap.
    one = learner.init(environment, jax.random.key(1))
    act = jax.jit(jax.vmap(learner.act, in_axes=(None, None, None, 0)))
    for s in range(2):
        keys = jax.random.split(jax.random.key(s), 500)
        actions = np.asarray(act(environment, one, jnp.asarray(s, jnp.int32), keys))
        assert actions.dtype == np.int32 and actions.shape == (500, 2)
        assert np.all(actions < game.n_actions[s][None, :]) and np.all(actions >= 0)
        assert len({tuple(a) for a in actions}) == int(np.prod(game.n_actions[s]))  # all explored
    assert learner.name == name and dict(learner.hyperparameters)["decay"] == DECAY


def test_foe_q_is_minimax_q_by_another_name(pennies_runs) -> None:
    _, runs = pennies_runs
    np.testing.assert_array_equal(runs["minimax-q"][0].q, runs["foe-q"][0].q)
    foe, minimax = LEARNERS["foe-q"], LEARNERS["minimax-q"]
    assert foe.name == "foe-q" and foe.update is minimax.update and foe.hyperparameters == minimax.hyperparameters
    assert minimax_q().hyperparameters[2] == ("decay", LITTMAN_DECAY)


_STAGE_NASH = jax.jit(stage_nash, static_argnames="selection")


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), ties=st.booleans())
def test_stage_nash_is_an_equilibrium(seed: int, ties: bool) -> None:
    rng = np.random.default_rng(seed)
    m, n = (int(k) for k in rng.integers(1, 4, 2))
    a = rng.integers(-2, 3, (m, n)).astype(float) if ties else rng.normal(size=(m, n))
    b = rng.integers(-2, 3, (m, n)).astype(float) if ties else rng.normal(size=(m, n))
    padded = np.full((2, WIDTH, WIDTH), 9.0)
    padded[0, :m, :n], padded[1, :m, :n] = a, b
    answer = _STAGE_NASH(padded[0], padded[1], jnp.arange(WIDTH) < m, jnp.arange(WIDTH) < n)
    x, y = np.asarray(answer.row, float), np.asarray(answer.column, float)
    assert np.all(x[m:] == 0) and np.all(y[n:] == 0)
    game = NormalFormGame.bimatrix(a, b)
    gap = float(regret.max_regret(game, [x[:m] / x.sum(), y[:n] / y.sum()]))
    if bool(answer.found):
        assert gap < 1e-4
        np.testing.assert_allclose(answer.values, game.expected_payoffs([x[:m], y[:n]]), atol=1e-4)
    else:  # only degenerate games may need the fallback, and it is no worse than the best pure profile
        assert ties
        pure = min(float(regret.max_regret(game, game.pure_profile((i, j)))) for i in range(m) for j in range(n))
        assert gap <= pure + 1e-5


def test_stage_nash_selection_rules() -> None:
    # Battle of the sexes with pure equilibria (0, 0) worth (3, 1) and (1, 1) worth (2, 3): the utilitarian choice
    # is (1, 1); "first" takes the lowest pure one, (0, 0).
    a = jnp.array([[3.0, 0.0], [0.0, 2.0]])
    b = jnp.array([[1.0, 0.0], [0.0, 3.0]])
    masks = jnp.ones(2, bool)
    best = _STAGE_NASH(a, b, masks, masks)
    first = _STAGE_NASH(a, b, masks, masks, selection="first")
    np.testing.assert_allclose([*best.row, *best.column], [0, 1, 0, 1])
    np.testing.assert_allclose([*first.row, *first.column], [1, 0, 1, 0])
    # Matching pennies: the mixed equilibrium only.
    pennies = _STAGE_NASH(jnp.array([[1.0, -1.0], [-1.0, 1.0]]), jnp.array([[-1.0, 1.0], [1.0, -1.0]]), masks,
                          masks)
    np.testing.assert_allclose([*pennies.row, *pennies.column], [0.5] * 4, atol=1e-6)
    assert bool(pennies.found)


def test_bad_input() -> None:
    with pytest.raises(GameError, match="epsilon"):
        minimax_q(epsilon=1.5)
    with pytest.raises(GameError, match="selection"):
        nash_q(selection="best")
    three = StochasticGame.from_dense(np.zeros((3, 1, 2, 2, 2)), np.ones((1, 2, 2, 2, 1)), 0.9)
    with pytest.raises(GameError, match="2-player"):
        minimax_q().init(base.env(three), jax.random.key(0))
