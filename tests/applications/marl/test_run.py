"""The MARL runner (applications/marl/run.py) and the Learner protocol's conformance for every learner."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from equilibria.applications.marl.base import Learner, continue_from, env, reset, step
from equilibria.applications.marl.independent import friend_q, independent_q, wolf_phc
from equilibria.applications.marl.joint_action import joint_action_learner
from equilibria.applications.marl.policy_gradient import independent_pg
from equilibria.applications.marl.run import MARLRun, evaluate, run_learner
from equilibria.core.errors import GameError
from equilibria.games.stochastic import StochasticGame
from equilibria.metrics.stochastic import exploitability


def padded_game() -> StochasticGame:
    """Three states with per-state action sets (padding everywhere but state 0's column player), state 2
    terminal; zero-sum, random rewards and transitions (seeded)."""
    rng = np.random.default_rng(7)
    n_actions = np.array([[2, 3], [3, 1], [1, 1]])
    rewards = np.zeros((2, 3, 3, 3))
    transitions = np.zeros((3, 3, 3, 3))
    for s in range(2):
        for a in range(n_actions[s, 0]):
            for b in range(n_actions[s, 1]):
                rewards[0, s, a, b] = rng.uniform(-1, 1)
                transitions[s, a, b] = rng.dirichlet(np.ones(3))
    rewards[1] = -rewards[0]
    transitions[2, 0, 0, 2] = 1.0
    return StochasticGame.from_dense(rewards, transitions, 0.9, n_actions=n_actions, terminal=[False, False, True])


GAME = padded_game()
# One learner per code path (the average/current flags change only ``policy``; exploration kinds are shared code).
LEARNERS = [independent_q(), friend_q(), wolf_phc(average=True), joint_action_learner(exploration="boltzmann"),
            independent_pg(average=False)]


@pytest.mark.parametrize("learner", LEARNERS, ids=lambda learner: learner.name)
def test_every_learner_follows_the_protocol(learner: Learner) -> None:
    environment = env(GAME)
    mask = GAME.available_mask()

    @jax.jit
    def play(keys: jax.Array) -> tuple[object, jax.Array, jax.Array, tuple[jax.Array, ...]]:
        """60 steps per key (vmapped): the states and joint actions seen, the final state and its policy."""

        def one(key: jax.Array) -> tuple[object, jax.Array, jax.Array, tuple[jax.Array, ...]]:
            def body(carry: tuple[object, jax.Array], t: jax.Array) -> tuple[tuple[object, jax.Array], tuple]:
                state, s = carry
                k_act, k_step, k_reset = jax.random.split(jax.random.fold_in(key, t), 3)
                actions = learner.act(environment, state, s, k_act)
                transition = step(environment, s, actions, k_step)
                state = learner.update(environment, state, transition)
                return (state, continue_from(environment, transition, k_reset)), (s, actions)

            start = (learner.init(environment, key), reset(environment, key))
            (state, _), (states, actions) = jax.lax.scan(body, start, jnp.arange(60))
            return state, states, actions, learner.policy(environment, state)

        return jax.vmap(one)(keys)

    keys = jnp.stack([jax.random.PRNGKey(1), jax.random.PRNGKey(1), jax.random.PRNGKey(2)])
    final, states, actions, profile = play(keys)
    assert actions.dtype == jnp.int32 and actions.shape == (3, 60, 2)
    states, actions = np.asarray(states), np.asarray(actions)
    assert mask[states, actions[..., 0], actions[..., 1]].all(), "an unavailable action was taken"
    assert set(states[0].tolist()) >= {0, 1}  # both live states were played
    for i, rows in enumerate(profile):
        rows = np.asarray(rows, dtype=np.float64)
        assert rows.shape == (3, GAME.n_states, GAME.max_actions[i])
        available = np.arange(GAME.max_actions[i])[None, :] < GAME.n_actions[:, i][:, None]
        assert np.all(rows >= 0) and np.all(rows[:, ~available] == 0)
        np.testing.assert_allclose(rows.sum(axis=2), 1.0, atol=1e-6)
    # the profile is judged by the exact certificate without complaint
    gap, values = evaluate(GAME, tuple(p[0] for p in profile))
    assert gap >= -1e-9 and values.shape == (2,)
    # same key, same history and tables bit for bit; another key, another history
    np.testing.assert_array_equal(actions[0], actions[1])
    for leaf in jax.tree_util.tree_leaves(final):
        np.testing.assert_array_equal(np.asarray(leaf[0]), np.asarray(leaf[1]))
    assert not np.array_equal(actions[0], actions[2])


@pytest.fixture(scope="module")
def prisoners() -> StochasticGame:
    rewards = np.array([[[3.0, 0.0], [5.0, 1.0]], [[3.0, 5.0], [0.0, 1.0]]])[:, None]
    return StochasticGame.from_dense(rewards, np.ones((1, 2, 2, 1)), 0.0, name="prisoner's dilemma")


@pytest.fixture(scope="module")
def base_run(prisoners: StochasticGame) -> MARLRun:
    # 601 steps in 3 chunks: 201, 200, 200 (two chunk lengths, two compilations shared by the tests below)
    return run_learner(prisoners, independent_q(), steps=601, seeds=4, key=jax.random.PRNGKey(3), checkpoints=3)


def test_run_shapes_checkpoints_and_certificates(prisoners: StochasticGame, base_run: MARLRun) -> None:
    run = base_run
    assert run.learner == "independent-q" and dict(run.hyperparameters)["epsilon"] == 0.1
    assert run.steps.tolist() == [201, 401, 601]
    assert run.exploitability.shape == (4, 3) and run.values.shape == (4, 3, 2)
    assert run.completed and run.stopped_because is None and run.converged is None
    assert [p.shape for p in run.policies] == [(4, 1, 2), (4, 1, 2)]
    for k in range(4):  # the recorded numbers are the metrics' own on the final profiles
        assert run.exploitability[k, -1] == pytest.approx(exploitability(prisoners, run.profile(k)), abs=1e-12)
    # the dominant action is learned: defect, values (1, 1), nothing to gain
    assert np.all(run.final_exploitability == 0.0)
    np.testing.assert_allclose(run.values[:, -1], 1.0)


def test_same_key_same_run_and_seeds_are_independent_of_the_batch(prisoners: StochasticGame,
                                                                  base_run: MARLRun) -> None:
    again = run_learner(prisoners, independent_q(), steps=601, seeds=4, key=jax.random.PRNGKey(3), checkpoints=3)
    np.testing.assert_array_equal(again.exploitability, base_run.exploitability)
    for a, b in zip(jax.tree_util.tree_leaves(again.state), jax.tree_util.tree_leaves(base_run.state), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    other = run_learner(prisoners, independent_q(), steps=601, seeds=4, key=jax.random.PRNGKey(4), checkpoints=3)
    assert not np.array_equal(np.asarray(other.state.q[0]), np.asarray(base_run.state.q[0]))
    # seed k's stream is fold_in(key, k), and chunking does not touch it: the first seed of a batch of one, run
    # in one chunk, is the same seed
    alone = run_learner(prisoners, independent_q(), steps=601, seeds=1, key=jax.random.PRNGKey(3), checkpoints=1)
    np.testing.assert_allclose(np.asarray(alone.state.q[0][0]), np.asarray(base_run.state.q[0][0]), rtol=1e-6)


def test_uneven_chunks_progress_tolerance_and_time_budget(prisoners: StochasticGame) -> None:
    calls: list[tuple[int, int]] = []
    run = run_learner(prisoners, independent_q(), steps=601, seeds=4, key=3, checkpoints=3, tolerance=1e-9,
                      progress=lambda done, total: calls.append((done, total)))
    assert run.steps.tolist() == [201, 401, 601] and calls == [(201, 601), (401, 601), (601, 601)]
    assert run.converged is True
    cut = run_learner(prisoners, independent_q(), steps=601, seeds=4, checkpoints=3, max_seconds=1e-9)
    assert not cut.completed and cut.stopped_because == "max_seconds"
    assert cut.steps.tolist() == [201] and cut.exploitability.shape == (4, 1)


@pytest.mark.parametrize(("options", "argument"), [
    ({"steps": 0}, "steps"), ({"steps": 10, "seeds": 0}, "seeds"), ({"steps": 10, "checkpoints": 11}, "checkpoints"),
    ({"steps": 10, "max_seconds": -1}, "max_seconds"), ({"steps": 10, "tolerance": -1.0}, "tolerance"),
    ({"steps": 10, "key": "k"}, "key"), ({"steps": 2.5}, "steps")])
def test_bad_arguments_name_themselves(prisoners: StochasticGame, options: dict, argument: str) -> None:
    with pytest.raises(GameError, match=argument):
        run_learner(prisoners, independent_q(), **options)


def test_bad_game_and_learner(prisoners: StochasticGame) -> None:
    with pytest.raises(GameError, match="game"):
        run_learner("pd", independent_q(), steps=10)  # type: ignore[arg-type]
    with pytest.raises(GameError, match="learner"):
        run_learner(prisoners, object(), steps=10)  # type: ignore[arg-type]


def test_constructors_are_cached_recipes_and_check_their_hyperparameters() -> None:
    assert independent_q(epsilon=0.2) is independent_q(epsilon=0.2)
    with pytest.raises(GameError, match="epsilon"):
        independent_q(epsilon=1.5)
    with pytest.raises(GameError, match="exploration"):
        independent_q(exploration="greedy")
    with pytest.raises(GameError, match="learning_rate"):
        joint_action_learner(learning_rate=0.0)
