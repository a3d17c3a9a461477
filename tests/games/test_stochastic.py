"""StochasticGame: validation (one-line errors), the dense/sparse forms, continuation values and stage games."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from equilibria.core.errors import GameError
from equilibria.games.stochastic import StochasticGame
from equilibria.games.zoo.stochastic import big_match, random_stochastic_game


def _two_state_game(**changes):
    """Two players, two states, 2 x 2 actions; every joint action moves to the other state."""
    arguments = {
        "rewards": np.arange(16, dtype=float).reshape(2, 2, 2, 2),
        "successors": np.array([np.ones((2, 2, 1)), np.zeros((2, 2, 1))], dtype=np.int64),
        "probabilities": np.ones((2, 2, 2, 1)),
        "discount": 0.5,
    }
    arguments.update(changes)
    return StochasticGame(**arguments)


def _raises_one_line(match, **changes):
    with pytest.raises(GameError, match=match) as info:
        _two_state_game(**changes)
    assert "\n" not in str(info.value)
    return str(info.value)


def test_a_valid_game_has_its_sizes_and_read_only_arrays():
    game = _two_state_game()
    assert (game.n_players, game.n_states, game.max_actions) == (2, 2, (2, 2))
    assert game.n_actions.tolist() == [[2, 2], [2, 2]]
    assert game.initial.tolist() == [1.0, 0.0] and not game.terminal.any()
    with pytest.raises(ValueError):
        game.rewards[0, 0, 0, 0] = 1.0
    assert not game.is_zero_sum()
    assert "2 states" in repr(game)


def test_rows_not_summing_to_one_are_refused():
    probabilities = np.ones((2, 2, 2, 1))
    probabilities[1, 0, 1, 0] = 0.9
    message = _raises_one_line("sum to 1", probabilities=probabilities)
    assert "StochasticGame.probabilities" in message and "(1, 0, 1)" in message


def test_negative_probabilities_are_refused():
    successors = np.zeros((2, 2, 2, 2), dtype=np.int64)
    successors[..., 1] = 1
    probabilities = np.full((2, 2, 2, 2), 0.5)
    probabilities[0, 1, 1] = [1.5, -0.5]
    _raises_one_line(r"must lie in \[0, 1\]", successors=successors, probabilities=probabilities)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_numbers_are_refused(bad):
    rewards = np.zeros((2, 2, 2, 2))
    rewards[1, 0, 1, 0] = bad
    _raises_one_line("StochasticGame.rewards: entries must be finite", rewards=rewards)
    probabilities = np.ones((2, 2, 2, 1))
    probabilities[0, 0, 0, 0] = bad
    _raises_one_line("StochasticGame.probabilities: entries must be finite", probabilities=probabilities)


@pytest.mark.parametrize(("changes", "match"), [
    ({"rewards": np.zeros((2, 2))}, "expected \\[n_players, n_states"),
    ({"rewards": np.zeros((2, 2, 2))}, "2 players need 2 action axes"),
    ({"rewards": np.zeros((2, 0, 2, 2))}, "at least one state"),
    ({"successors": np.zeros((2, 2, 3, 1), dtype=np.int64)}, "StochasticGame.successors: expected shape"),
    ({"probabilities": np.ones((2, 2, 2))}, "StochasticGame.probabilities: expected shape"),
    ({"successors": np.zeros((2, 2, 2, 2), dtype=np.int64)}, "must have the same shape"),
    ({"successors": np.full((2, 2, 2, 1), 2, dtype=np.int64)}, "states are 0..1"),
    ({"n_actions": [[2, 2]]}, "n_actions: expected shape"),
    ({"n_actions": [[0, 2], [2, 2]]}, "every count must be in"),
    ({"n_actions": [[1, 2], [1, 2]]}, "largest count per player"),
    ({"initial": [0.5, 0.6]}, "StochasticGame.initial"),
    ({"initial": [1.0, 0.0, 0.0]}, "expected 2 probabilities"),
    ({"terminal": [True]}, "StochasticGame.terminal"),
    ({"state_names": ("only-one",)}, "state_names: expected 2"),
])
def test_shape_and_argument_mismatches_are_refused(changes, match):
    _raises_one_line(match, **changes)


@pytest.mark.parametrize("discount", [-0.1, 1.5, True, "0.9", None, np.nan])
def test_bad_discounts_are_refused(discount):
    _raises_one_line("StochasticGame.discount", discount=discount)


def test_discount_one_needs_an_absorbing_zero_reward_terminal_state():
    _raises_one_line("needs at least one terminal state", discount=1.0)
    # State 1 terminal, but it pays and it leaves: both refused.
    _raises_one_line("terminal state 1 must have reward 0", discount=1.0, terminal=[False, True])
    rewards = np.zeros((2, 2, 2, 2))
    _raises_one_line("terminal state 1 must be absorbing", rewards=rewards, discount=1.0, terminal=[False, True])
    successors = np.array([np.ones((2, 2, 1)), np.ones((2, 2, 1))], dtype=np.int64)
    game = _two_state_game(rewards=rewards, successors=successors, discount=1, terminal=[0, 1])
    assert game.discount == 1.0 and game.terminal.tolist() == [False, True]


def test_from_dense_and_dense_transitions_round_trip():
    rng = np.random.default_rng(4)
    dense = rng.dirichlet(np.ones(3), size=(3, 2, 4))
    dense[dense < 0.2] = 0.0
    dense /= dense.sum(axis=-1, keepdims=True)
    rewards = rng.normal(size=(2, 3, 2, 4))
    game = StochasticGame.from_dense(rewards, dense, 0.8)
    np.testing.assert_array_equal(game.dense_transitions(), dense)
    assert game.successors.shape[-1] == np.count_nonzero(dense, axis=-1).max()
    with pytest.raises(GameError, match="transitions: expected shape"):
        StochasticGame.from_dense(rewards, dense[..., :2], 0.8)


def test_from_dense_turns_padding_rows_into_self_loops():
    rewards = np.zeros((2, 2, 2, 2))
    dense = np.zeros((2, 2, 2, 2))
    dense[0, :, :, 1] = 1.0  # state 0: every joint action to state 1
    dense[1, 0, 0, 0] = 1.0  # state 1: one action each, back to state 0
    game = StochasticGame.from_dense(rewards, dense, 0.9, n_actions=[[2, 2], [1, 1]])
    expected = dense.copy()
    expected[1, 0, 1, 1] = expected[1, 1, 0, 1] = expected[1, 1, 1, 1] = 1.0  # padding: self-loops on state 1
    np.testing.assert_array_equal(game.dense_transitions(), expected)
    assert game.available_mask()[1].tolist() == [[True, False], [False, False]]


def test_from_dense_refuses_an_all_zero_row_of_an_available_action():
    dense = np.zeros((1, 2, 2, 1))
    dense[0, 0, 0, 0] = dense[0, 0, 1, 0] = dense[0, 1, 0, 0] = 1.0  # (1, 1) has no successor at all
    with pytest.raises(GameError, match="sum to 1"):
        StochasticGame.from_dense(np.zeros((2, 1, 2, 2)), dense, 0.9)


def test_continuation_and_stage_game_match_a_hand_computation():
    game = big_match(0.9)
    values = np.array([[5.0, 10.0, 0.0], [-5.0, -10.0, 0.0]])
    q = game.continuation(values)
    # (Top, Left): 1 + 0.9 * 10; (Top, Right): 0 + 0.9 * 0; (Bottom, Left): 0 + 0.9 * 5; (Bottom, Right): 1 + 0.9 * 5.
    np.testing.assert_allclose(q[0, 0], [[10.0, 0.0], [4.5, 5.5]], atol=1e-12)
    np.testing.assert_allclose(q[1, 0], -q[0, 0], atol=1e-12)
    np.testing.assert_allclose(q[0, 1, 0, 0], 1.0 + 0.9 * 10.0)
    stage = game.stage_game(0, values)
    np.testing.assert_allclose(stage.payoffs, q[:, 0], atol=1e-12)
    absorbed = game.stage_game(1, values)
    assert absorbed.payoffs.shape == (2, 1, 1) and absorbed.payoffs[0, 0, 0] == pytest.approx(10.0)
    np.testing.assert_allclose(game.continuation_at(0, values), q[:, 0])


def test_policies_uniform_and_checked():
    game = big_match(0.9)
    row, column = game.uniform_policy()
    assert row.tolist() == [[0.5, 0.5], [1.0, 0.0], [1.0, 0.0]] and column.shape == (3, 2)
    with pytest.raises(GameError, match="expected one policy per player"):
        game.check_policy((row,), "caller")
    with pytest.raises(GameError, match="an action a state does not have"):
        game.check_policy((np.full((3, 2), 0.5), column), "caller")
    with pytest.raises(GameError, match=r"must have shape \(3, 2\)"):
        game.check_policy((row[:2], column), "caller")
    bad = row.copy()
    bad[0] = [0.7, 0.7]
    with pytest.raises(GameError, match="caller: policy of player 0: the probabilities of a state must sum to 1"):
        game.check_policy((bad, column), "caller")
    assert game.is_zero_sum()


def test_labels_default_and_given():
    game = big_match(0.9)
    assert game.state_label(0) == "play" and game.action_label(0, 1, 1) == "Right"
    plain = _two_state_game()
    assert plain.state_label(1) == "s1" and plain.action_label(1, 0, 1) == "a2"


@st.composite
def _dense_games(draw):
    n_players = draw(st.integers(1, 3))
    n_states = draw(st.integers(1, 4))
    actions = tuple(draw(st.lists(st.integers(1, 3), min_size=n_players, max_size=n_players)))
    rewards = draw(hnp.arrays(float, (n_players, n_states, *actions),
                              elements=st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)))
    weights = draw(hnp.arrays(float, (n_states, *actions, n_states), elements=st.sampled_from([0.0, 0.5, 1.0, 3.0])))
    weights[..., 0] += weights.sum(axis=-1) == 0  # no empty row (those would be padding)
    return rewards, weights / weights.sum(axis=-1, keepdims=True), draw(st.floats(0.0, 0.99))


@settings(max_examples=40, deadline=None)
@given(_dense_games())
def test_hypothesis_dense_round_trip_and_continuation(data):
    rewards, dense, discount = data
    game = StochasticGame.from_dense(rewards, dense, discount)
    np.testing.assert_allclose(game.dense_transitions(), dense, atol=1e-15)
    values = np.linspace(-1.0, 1.0, game.n_players * game.n_states).reshape(game.n_players, game.n_states)
    expected = rewards + discount * np.einsum("...t,it->i...", dense, values)
    np.testing.assert_allclose(game.continuation(values), expected, rtol=1e-12, atol=1e-9)
    assert game.available_mask().all()


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 6), st.integers(1, 3), st.integers(0, 2**31), st.booleans(),
       st.one_of(st.none(), st.integers(1, 6)))
def test_hypothesis_random_games_are_valid(n_states, n_actions, seed, zero_sum, n_successors):
    k = None if n_successors is None else min(n_successors, n_states)
    game = random_stochastic_game(n_states, n_actions, seed=seed, zero_sum=zero_sum, n_successors=k)
    again = random_stochastic_game(n_states, n_actions, seed=seed, zero_sum=zero_sum, n_successors=k)
    np.testing.assert_array_equal(game.rewards, again.rewards)
    np.testing.assert_array_equal(game.dense_transitions(), again.dense_transitions())
    if zero_sum:
        assert game.is_zero_sum(1e-12)
    elif n_states * n_actions**2 > 1:  # one cell is trivially constant-sum
        assert not game.is_zero_sum(1e-12)
    support = np.count_nonzero(game.dense_transitions(), axis=-1)
    assert support.max() <= (n_states if k is None else k)
    rebuilt = StochasticGame.from_dense(game.rewards, game.dense_transitions(), game.discount)
    np.testing.assert_allclose(rebuilt.continuation(np.ones((2, n_states))), game.continuation(np.ones((2, n_states))))
