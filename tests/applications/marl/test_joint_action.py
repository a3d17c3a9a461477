"""Joint-action learners (applications/marl/joint_action.py) and Claus and Boutilier's (1998) qualitative result on
the climbing and penalty games, measured over many seeds (fractions, with margins well outside the seed noise)."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from equilibria.applications.marl.independent import independent_q
from equilibria.applications.marl.joint_action import (
    CLIMBING,
    climbing_game,
    expected_values,
    joint_action_learner,
    outcome_fractions,
    penalty_game,
)
from equilibria.applications.marl.run import MARLRun, run_learner
from equilibria.core.errors import GameError
from equilibria.metrics.stochastic import exploitability

# Boltzmann exploration from a high temperature, decaying per step to a near-greedy floor (Claus and Boutilier
# use Boltzmann exploration with a decaying temperature).
EXPLORE = {"exploration": "boltzmann", "temperature": 16.0, "temperature_decay": 0.998, "temperature_min": 0.05,
           "learning_rate": 0.1}
SEEDS = 100
OPTIMUM, SAFE, LOW = (0, 0), (1, 1), (2, 2)


@pytest.fixture(scope="module")
def climbing_runs() -> dict[str, MARLRun]:
    game = climbing_game()
    return {"IL": run_learner(game, independent_q(**EXPLORE), steps=6_000, seeds=SEEDS, key=0, checkpoints=1),
            # JALs' fictitious-play beliefs remember the exploration phase, so they climb more slowly
            "JAL": run_learner(game, joint_action_learner(**EXPLORE), steps=30_000, seeds=SEEDS, key=0,
                               checkpoints=1)}


def test_the_climbing_game_is_claus_and_boutiliers() -> None:
    game = climbing_game()
    assert game.rewards.shape == (2, 1, 3, 3) and np.array_equal(game.rewards[0, 0], game.rewards[1, 0])
    np.testing.assert_array_equal(game.rewards[0, 0], np.array(CLIMBING))
    pure = [tuple(np.eye(3)[[a]] for a in cell) for cell in (OPTIMUM, SAFE, LOW, (1, 2))]
    # (a, a) and (b, b) are the pure equilibria; from (c, c) and (b, c) the row player gains 1 by playing b
    assert [exploitability(game, profile) for profile in pure] == [0.0, 0.0, 1.0, 1.0]


def test_independent_learners_miscoordinate_on_the_climbing_game(climbing_runs: dict[str, MARLRun]) -> None:
    fractions = outcome_fractions(climbing_runs["IL"].policies)
    # measured with these settings: (a, a) 12%, (b, b) 87%, (b, c) 1% of these 100 seeds (1,000 seeds: 12.5%,
    # 84.6%, 2.7%, (c, c) 0.2%)
    assert fractions.get(OPTIMUM, 0.0) < 0.35
    assert fractions.get(SAFE, 0.0) > 0.55  # the suboptimal equilibrium
    assert np.mean(climbing_runs["IL"].final_exploitability == 0.0) > 0.8  # mostly at some equilibrium


def test_joint_action_learners_climb_to_the_suboptimal_equilibrium(climbing_runs: dict[str, MARLRun]) -> None:
    run = climbing_runs["JAL"]
    fractions = outcome_fractions(run.policies)
    # measured: none at (a, a), 67% at (b, b), the rest still on the way from (c, c) through (b, c) (1,000 seeds:
    # 0.2%, 68.9%, 30.9%)
    assert fractions.get(OPTIMUM, 0.0) < 0.1
    assert fractions.get(SAFE, 0.0) > 0.4
    assert set(fractions) <= {OPTIMUM, SAFE, LOW, (1, 2), (2, 1), ()}


def test_the_penalty_game_drives_joint_action_learners_to_the_safe_action() -> None:
    safe = {}
    for k in (0.0, -100.0):
        run = run_learner(penalty_game(k), joint_action_learner(**EXPLORE), steps=4_000, seeds=SEEDS, key=1,
                          checkpoints=1)
        fractions = outcome_fractions(run.policies)
        safe[k] = fractions.get(SAFE, 0.0)
        if k == 0.0:  # no penalty: the learners coordinate on one of the two optima, an equilibrium
            assert fractions.get(OPTIMUM, 0.0) + fractions.get(LOW, 0.0) > 0.9
            assert np.all(run.final_exploitability == 0.0)
    # measured: 0% at k = 0, 84% at k = -100 (1,000 seeds: 0%, 78%)
    assert safe[0.0] < 0.1 and safe[-100.0] > 0.4


def test_expected_values_against_the_fictitious_play_model() -> None:
    rng = np.random.default_rng(3)
    q = rng.normal(size=(2, 3, 4))
    beliefs = [rng.dirichlet(np.ones(n)) for n in q.shape]
    for player in range(3):
        others = [j for j in range(3) if j != player]
        weights = np.ones(q.shape)
        for j in others:
            shape = [1, 1, 1]
            shape[j] = q.shape[j]
            weights = weights * beliefs[j].reshape(shape)
        expected = (q * weights).sum(axis=tuple(others))
        got = expected_values(jnp.asarray(q), [jnp.asarray(b) for b in beliefs], player)
        np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-5)


def test_outcome_fractions_classify_pure_and_mixed_seeds() -> None:
    row = np.array([[[1.0, 0.0]], [[0.0, 1.0]], [[0.5, 0.5]], [[1.0, 0.0]]])
    column = np.array([[[1.0, 0.0]], [[0.0, 1.0]], [[1.0, 0.0]], [[1.0, 0.0]]])
    assert outcome_fractions((row, column)) == {(): 0.25, (0, 0): 0.5, (1, 1): 0.25}


def test_penalty_must_be_a_penalty() -> None:
    with pytest.raises(GameError, match="k"):
        penalty_game(5.0)
    with pytest.raises(GameError, match="prior"):
        joint_action_learner(prior=0.0)
