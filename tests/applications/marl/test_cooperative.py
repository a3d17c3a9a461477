"""The cooperative games of credit assignment: Claus and Boutilier's tables, the N-agent coordination game's single
optimal count, the counterfactual tables every estimator uses, and the box-lifting game's stated optimum."""

from __future__ import annotations

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria.applications.marl import cooperative
from equilibria.applications.marl.joint_action import CLIMBING, penalty_game
from equilibria.core.errors import GameError


def test_claus_and_boutilier_tables_and_optima() -> None:
    climbing, penalty = cooperative.climbing(), cooperative.penalty(-10.0)
    assert np.array_equal(climbing.table(), np.array(CLIMBING)) and climbing.optimum == 11.0
    assert np.array_equal(penalty.table(), penalty_game(-10.0).rewards[0, 0]) and penalty.optimum == 10.0
    assert (climbing.n_agents, climbing.n_actions, int(climbing.default), int(penalty.default)) == (2, 3, 2, 1)
    assert cooperative.is_optimal(climbing, np.array([[0, 0], [1, 1], [2, 2]])).tolist() == [True, False, False]
    assert cooperative.is_optimal(penalty, np.array([[0, 0], [2, 2], [0, 2]])).tolist() == [True, True, False]


@pytest.mark.parametrize(("n_agents", "target"), [(2, 1), (10, 3), (100, 25), (100, 60)])
def test_the_coordination_reward_has_one_optimal_count(n_agents: int, target: int) -> None:
    values = cooperative.bar_reward(n_agents, target)
    assert values[0] == 0.0 and values[target] == pytest.approx(1.0)
    assert np.flatnonzero(values >= values.max() - 1e-12).tolist() == [target]  # a single optimal count
    assert np.all(np.diff(values[: target + 1]) > 0) and np.all(np.diff(values[target:]) < 0)  # unimodal
    game = cooperative.coordination(n_agents, target)
    assert (game.n_agents, game.n_actions, int(game.default)) == (n_agents, 2, 0)
    assert game.optimum == pytest.approx(1.0)
    assert cooperative.coordination(n_agents).values.argmax() == max(1, n_agents // 4)


@jax.jit
def _reward_and_counterfactuals(game: cooperative.TeamGame, actions: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Both methods in one compiled program per game type and size (not one compilation per operation)."""
    return game.reward(actions), game.counterfactuals(actions)


@settings(max_examples=12, deadline=None)
@given(st.integers(2, 6), st.data())
def test_counterfactual_tables_replace_one_action(n_agents: int, data: st.DataObject) -> None:
    """Entry [i, v] is the team reward with agent i's action set to v, in both representations of a count game
    (its count values, and its dense table as a matrix game)."""
    target = data.draw(st.integers(1, n_agents))
    actions = np.array(data.draw(st.lists(st.integers(0, 1), min_size=n_agents, max_size=n_agents)))
    count_game = cooperative.coordination(n_agents, target)
    dense = cooperative.matrix_team_game(count_game.table(), 0)
    table = dense.table()
    expected = np.array([[table[tuple(np.where(np.arange(n_agents) == i, v, actions))] for v in (0, 1)]
                         for i in range(n_agents)])
    for game in (count_game, dense):
        reward, cf = (np.asarray(x) for x in _reward_and_counterfactuals(game, jnp.asarray(actions)))
        assert np.allclose(cf, expected, atol=1e-6)
        assert float(reward) == pytest.approx(table[tuple(actions)], abs=1e-6)
        assert np.allclose(cf[np.arange(n_agents), actions], table[tuple(actions)], atol=1e-6)


def test_box_lifting_states_its_optimum() -> None:
    game = cooperative.box_lifting()
    assert (game.n_players, game.n_states, tuple(game.max_actions)) == (2, 3, (2, 2))
    assert np.array_equal(game.rewards[0], game.rewards[1])  # a team game
    assert game.terminal.tolist() == [False, False, True] and game.initial.tolist() == [1.0, 0.0, 0.0]
    assert cooperative.box_lifting_optimum(game) == pytest.approx(2 * 0.95)
    # Deterministic transitions: lift together -> lifted, carry together -> done; miscoordination stays.
    assert game.successors[0, 1, 1, 0] == 1 and game.successors[1, 1, 1, 0] == 2
    assert game.successors[0, 0, 1, 0] == 0 and game.successors[1, 1, 0, 0] == 1


def test_bad_input_is_a_one_line_game_error() -> None:
    for call in (lambda: cooperative.coordination(1), lambda: cooperative.coordination(10, 11),
                 lambda: cooperative.matrix_team_game(np.zeros((2, 3))), lambda: cooperative.climbing(default=3),
                 lambda: cooperative.penalty(5.0), lambda: cooperative.box_lifting(discount=0.0),
                 lambda: cooperative.coordination(20).table()):
        with pytest.raises(GameError) as error:
            call()
        assert "\n" not in str(error.value)


def test_dense_table_of_a_count_game() -> None:
    game = cooperative.coordination(4, 2)
    table = game.table()
    for actions in itertools.product((0, 1), repeat=4):
        assert table[actions] == pytest.approx(cooperative.bar_reward(4, 2)[sum(actions)])
