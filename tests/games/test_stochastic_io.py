"""The stochastic JSON format (round trips, the issue's dense form, bad files) and the OpenSpiel import."""

import json
from collections import deque

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria.core.errors import GameError
from equilibria.games.io.stochastic_json import (
    declares_stochastic,
    dumps_stochastic_json,
    loads_stochastic_json,
    read_stochastic_json,
    write_stochastic_json,
)
from equilibria.games.stochastic import StochasticGame
from equilibria.games.zoo import stochastic as zoo
from equilibria.metrics.stochastic import profile_values


def assert_same_game(read, game):
    """The same game; padding (joint actions outside a state's sets) is written as reward 0 and a self-loop."""
    mask = game.available_mask()
    np.testing.assert_array_equal(read.rewards, np.where(mask[None], game.rewards, 0.0))
    dense = read.dense_transitions()
    np.testing.assert_array_equal(dense[mask], game.dense_transitions()[mask])
    np.testing.assert_array_equal(dense[~mask], np.eye(game.n_states)[np.nonzero(~mask)[0]])
    for attribute in ("n_actions", "terminal", "initial"):
        np.testing.assert_array_equal(getattr(read, attribute), getattr(game, attribute))
    assert (read.discount, read.name, read.state_names, read.action_names) == (
        game.discount, game.name, game.state_names, game.action_names)


@pytest.mark.parametrize("name", ["big-match", "shapley-stopping", "nosde", "grid-game-2", "random-general-sum"])
@pytest.mark.parametrize("sparse", [None, True, False])
def test_zoo_games_round_trip_in_both_forms(name, sparse):
    game = zoo.get(name)
    text = dumps_stochastic_json(game, sparse=sparse)
    assert ('"successors"' in text) == (sparse is True or (sparse is None and name == "grid-game-2"))
    assert_same_game(loads_stochastic_json(text), game)


def test_file_round_trip_and_text_input(tmp_path):
    game = zoo.grid_game_1()
    path = tmp_path / "grid.json"
    write_stochastic_json(game, path)
    assert_same_game(read_stochastic_json(path), game)
    assert_same_game(read_stochastic_json(str(path)), game)
    soccer = zoo.markov_soccer()  # 760 states, sparse: the same arrays come back, slot for slot
    write_stochastic_json(soccer, path)
    read = read_stochastic_json(path)
    for attribute in ("rewards", "successors", "probabilities", "initial"):
        np.testing.assert_array_equal(getattr(read, attribute), getattr(soccer, attribute))
    assert read.state_names == soccer.state_names
    small = zoo.big_match(0.5)
    assert_same_game(read_stochastic_json(dumps_stochastic_json(small)), small)
    assert declares_stochastic(path.read_text()) and not declares_stochastic('{"format": "equilibria.normal_form"}')
    assert not declares_stochastic("[1, 2") and not declares_stochastic('["type", "stochastic"]')


BIG_MATCH_DENSE = {
    "type": "stochastic", "discount": 0.9,
    "rewards": [[[[1, 0], [0, 1]], [[1, 1], [1, 1]], [[0, 0], [0, 0]]],
                [[[-1, 0], [0, -1]], [[-1, -1], [-1, -1]], [[0, 0], [0, 0]]]],
    "transitions": [[[[0, 1, 0], [0, 0, 1]], [[1, 0, 0], [1, 0, 0]]],
                    [[[0, 1, 0], [0, 1, 0]], [[0, 1, 0], [0, 1, 0]]],
                    [[[0, 0, 1], [0, 0, 1]], [[0, 0, 1], [0, 0, 1]]]],
}


def test_the_issue_dense_form_reads_as_the_big_match_with_its_value():
    game = loads_stochastic_json(json.dumps(BIG_MATCH_DENSE))
    assert game.n_actions.tolist() == [[2, 2]] * 3 and game.discount == 0.9
    # Every action in the absorbing states does the same, so the zoo's known profile (first action there) applies.
    assert profile_values(game, zoo.big_match_profile(0.9))[0, 0] == pytest.approx(5.0, abs=1e-12)


def test_per_state_action_sets_in_the_padded_and_the_own_shape_forms():
    own = {
        "type": "stochastic", "discount": 0.9, "n_actions": [[2, 2], [1, 1], [1, 1]],
        "rewards": [[[[1, 0], [0, 1]], [[1]], [[0]]], [[[-1, 0], [0, -1]], [[-1]], [[0]]]],
        "transitions": [[[[0, 1, 0], [0, 0, 1]], [[1, 0, 0], [1, 0, 0]]], [[[0, 1, 0]]], [[[0, 0, 1]]]],
        "states": ["play", "absorbed-1", "absorbed-0"],
        "actions": [[["Top", "Bottom"], ["Left", "Right"]], [["-"], ["-"]], [["-"], ["-"]]],
    }
    game = loads_stochastic_json(json.dumps(own))
    reference = zoo.big_match(0.9)
    np.testing.assert_array_equal(game.rewards, reference.rewards)
    np.testing.assert_array_equal(game.dense_transitions(), reference.dense_transitions())
    padded = dict(own, rewards=BIG_MATCH_DENSE["rewards"], transitions=BIG_MATCH_DENSE["transitions"])
    game = loads_stochastic_json(json.dumps(padded))  # entries outside a state's actions are ignored
    np.testing.assert_array_equal(game.rewards, reference.rewards)
    sparse = dict(own, successors=[[[[1], [2]], [[0], [0]]], [[[1]]], [[[2]]]],
                  probabilities=[[[["1"], [1.0]], [[1], [1]]], [[[1]]], [[[1]]]])
    del sparse["transitions"]
    np.testing.assert_array_equal(loads_stochastic_json(json.dumps(sparse)).dense_transitions(),
                                  reference.dense_transitions())


def test_exact_number_strings_and_stopping_games():
    text = json.dumps({
        "type": "stochastic", "discount": 1, "terminal": [False, True], "initial": ["1/2", "1/2"],
        "rewards": [[[[2]], [[0]]], [[[-2]], [[0]]]],
        "transitions": [[[["2/3", "1/3"]]], [[[0, 1]]]]})
    game = loads_stochastic_json(text)
    assert game.initial.tolist() == [0.5, 0.5] and game.dense_transitions()[0, 0, 0, 0] == 2 / 3
    # V = 2 + 2/3 V  ->  V = 6 in state 0; the terminal state is worth 0.
    np.testing.assert_allclose(profile_values(game, game.uniform_policy())[0], [6.0, 0.0])


def _edited(**changes):
    document = json.loads(json.dumps(BIG_MATCH_DENSE))
    for key, value in changes.items():
        if value is None:
            del document[key]
        else:
            document[key] = value
    return json.dumps(document)


def _bad_rows():
    rows = json.loads(json.dumps(BIG_MATCH_DENSE["transitions"]))
    rows[0][1][0] = [0.5, 0, 0.4]
    return rows


def _negative_rows():
    rows = json.loads(json.dumps(BIG_MATCH_DENSE["transitions"]))
    rows[0][0][0] = [-0.5, 1.5, 0]
    return rows


BAD_FILES = [
    ("not json", "invalid JSON"),
    ('{"type": "stochastic", "discount": NaN}', "JSON constant NaN is not allowed"),
    (_edited(discount=None), "missing required key 'discount'"),
    (_edited(transitions=None), "missing key 'transitions'"),
    (_edited(successors=[[]]), "either 'transitions'"),
    (_edited(extra=1), r"unknown key\(s\) \['extra'\]"),
    (_edited(type="normal_form"), "'type' must be \"stochastic\""),
    (_edited(version=2), "'version' must be 1"),
    (_edited(discount=1.5), "'discount' must be a number in"),
    (_edited(discount=True), "'discount' must be a number in"),
    (_edited(discount=1), "needs at least one terminal state"),
    (_edited(rewards=[[1, 2]]), "'rewards' has 1 player slice"),
    (_edited(rewards=[]), "'rewards' must be a nested list"),
    (_edited(rewards=[BIG_MATCH_DENSE["rewards"][0], BIG_MATCH_DENSE["rewards"][1][:2]]),
     r"rewards\[1\] must be a list with one entry per state \(3\)"),
    (_edited(rewards=[BIG_MATCH_DENSE["rewards"][0], [[[1, 0], [0]], [[0, 0], [0, 0]], [[0, 0], [0, 0]]]]),
     r"rewards\[1\]\[0\]\[1\] must be a list of 2 entries"),
    (_edited(rewards=[BIG_MATCH_DENSE["rewards"][0], [[[1, "x"], [0, 1]], [[0, 0], [0, 0]], [[0, 0], [0, 0]]]]),
     r"rewards\[1\]\[0\]\[0\]\[1\] = \"x\" is not a number"),
    (_edited(rewards=[BIG_MATCH_DENSE["rewards"][0], [[[1, "1e999"], [0, 1]], [[0, 0], [0, 0]], [[0, 0], [0, 0]]]]),
     "not a finite number"),
    (_edited(rewards=[BIG_MATCH_DENSE["rewards"][0], [[[1, True], [0, 1]], [[0, 0], [0, 0]], [[0, 0], [0, 0]]]]),
     "must be a number, got true"),
    (_edited(transitions=_bad_rows()), r"transitions\[0\]\[1\]\[0\]: the probabilities sum to 0.9, not 1"),
    (_edited(transitions=_negative_rows()), r"transitions\[0\]\[0\]\[0\]\[0\] = -0.5 is not a probability"),
    (_edited(transitions=BIG_MATCH_DENSE["transitions"][:2]), "one entry per state"),
    (_edited(transitions=[[[[1, 0], [0, 1]], [[1, 0], [1, 0]]]] * 3), r"transitions\[0\]\[0\]\[0\] must be a list "
     "of 3 entries"),
    (_edited(n_actions=[[2, 2], [1, 1]]), r"n_actions\[2\] must be a list|n_actions must be a list of 3"),
    (_edited(n_actions=[[2, 2], [0, 1], [1, 1]]), "every count must be at least 1"),
    (_edited(terminal=[False, "no", False]), "'terminal' must be a list of 3 booleans"),
    (_edited(initial=[0.5, 0.2, 0.2]), "StochasticGame.initial"),
    (_edited(states=["a"]), "'states' must be a list of 3 strings"),
    (_edited(actions=[[["T", "B"], ["L"]]] * 3), r"actions\[0\]\[1\] must be 2 strings"),
    (_edited(name=3), "'name' must be a string"),
    ('[1, 2]', "expected a JSON object"),
]


@pytest.mark.parametrize(("text", "match"), BAD_FILES, ids=[m for _, m in BAD_FILES])
def test_bad_files_give_one_line_errors_naming_the_problem(text, match):
    with pytest.raises(GameError, match=match) as info:
        loads_stochastic_json(text, source="game.json")
    assert "\n" not in str(info.value) and str(info.value).startswith("game.json")


def test_bad_sparse_files():
    base = {"type": "stochastic", "discount": 0.5, "rewards": [[[[0]], [[0]]], [[[0]], [[0]]]]}
    cases = [({"successors": [[[[1]]], [[[0, 1]]]], "probabilities": [[[[1]]], [[[1]]]]}, "equal length"),
             ({"successors": [[[[2]]], [[[0]]]], "probabilities": [[[[1]]], [[[1]]]]}, r"states are 0..1"),
             ({"successors": [[[[1]]], [[[0]]]], "probabilities": [[[[0.5]]], [[[1]]]]}, "sum to 0.5"),
             ({"successors": [[[[1.5]]], [[[0]]]], "probabilities": [[[[1]]], [[[1]]]]}, "must be an integer"),
             ({"successors": [[[[1]]], [[[0]]]]}, "missing key 'probabilities'")]
    for extra, match in cases:
        with pytest.raises(GameError, match=match):
            loads_stochastic_json(json.dumps({**base, **extra}))


def test_reader_and_writer_argument_errors(tmp_path):
    with pytest.raises(GameError, match="no such file"):
        read_stochastic_json(tmp_path / "missing.json")
    with pytest.raises(GameError, match="expected a path or JSON text"):
        read_stochastic_json(3)
    with pytest.raises(GameError, match="expected a str"):
        loads_stochastic_json(b"{}")
    with pytest.raises(GameError, match="expected a StochasticGame"):
        dumps_stochastic_json("game")
    with pytest.raises(GameError, match="sparse"):
        dumps_stochastic_json(zoo.nosde(), sparse="yes")


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 5), st.lists(st.integers(1, 3), min_size=1, max_size=3), st.integers(0, 2**31),
       st.booleans(), st.data())
def test_hypothesis_round_trip_with_per_state_action_sets(n_states, actions, seed, sparse, data):
    random = zoo.random_stochastic_game(n_states, actions, seed=seed, n_successors=min(2, n_states),
                                        discount=data.draw(st.floats(0, 0.99)))
    counts = np.array([[data.draw(st.integers(1, k)) for k in actions] for _ in range(n_states)])
    counts[0] = actions  # the largest counts must appear
    game = StochasticGame(random.rewards * _mask(counts, tuple(actions)), random.successors, random.probabilities,
                          random.discount, n_actions=counts, name="h")
    assert_same_game(loads_stochastic_json(dumps_stochastic_json(game, sparse=sparse)), game)


def _mask(counts, actions):
    mask = np.ones((counts.shape[0], *actions), dtype=bool)
    for i, width in enumerate(actions):
        shape = [1] * (len(actions) + 1)
        shape[0], shape[i + 1] = counts.shape[0], width
        mask &= (np.arange(width)[None, :] < counts[:, i][:, None]).reshape(shape)
    return mask[None]


# -- OpenSpiel ----------------------------------------------------------------------------------------------------


def _reachable(pyspiel_game):
    """The distinct states reachable in an OpenSpiel game (decision and terminal), string -> a state, found by flat
    joint actions and chance outcomes through ``State.child`` (not the importer's route)."""
    seen, queue = {}, deque([pyspiel_game.new_initial_state()])
    while queue:
        state = queue.popleft()
        if state.is_chance_node():
            queue.extend(state.child(outcome) for outcome, _ in state.chance_outcomes())
            continue
        if str(state) in seen:
            continue
        seen[str(state)] = state
        if not state.is_terminal():
            queue.extend(state.child(action) for action in state.legal_actions())
    return seen


def test_openspiel_markov_soccer_sizes_and_sampled_transitions():
    pyspiel = pytest.importorskip("pyspiel")
    from equilibria.games.io.openspiel_stochastic import from_openspiel

    os_game = pyspiel.load_game("markov_soccer")
    game = from_openspiel(os_game, discount=0.9)
    reachable = _reachable(os_game)
    assert game.n_states == len(reachable) and set(game.state_names) == set(reachable)
    assert game.max_actions == (5, 5) and game.is_zero_sum(0.0) and game.discount == 0.9
    assert sorted(game.initial[game.initial > 0]) == [0.5, 0.5]  # the ball's two spawn points
    index = {name: s for s, name in enumerate(game.state_names)}
    assert game.terminal.sum() > 0 and all(game.rewards[:, game.terminal].ravel() == 0)
    rng = np.random.default_rng(0)
    dense = game.dense_transitions()
    for s in rng.choice(np.flatnonzero(~game.terminal), size=25, replace=False):
        state = reachable[game.state_names[s]]
        for a, b in [(0, 4), (3, 2), (1, 1), (4, 4)]:
            expected = np.zeros(game.n_states)
            reward = np.zeros(2)
            child = state.clone()
            child.apply_actions([a, b])
            for outcome, p in child.chance_outcomes():
                after = child.child(outcome)
                expected[index[str(after)]] += p
                reward += p * np.array(after.returns())
            np.testing.assert_allclose(dense[s, a, b], expected, atol=1e-15)
            np.testing.assert_allclose(game.rewards[:, s, a, b], reward, atol=1e-15)
    # The game is symmetric (the grid rotated, the roles swapped), so the uniform profile is worth 0 at the start.
    assert abs(profile_values(game, game.uniform_policy())[0] @ game.initial) < 1e-12


def test_openspiel_tic_tac_toe_is_turn_based_with_the_known_position_counts():
    pytest.importorskip("pyspiel")
    from equilibria.games.io.openspiel_stochastic import from_openspiel

    game = from_openspiel("tic_tac_toe")
    # 5,478 legal positions, 958 of them terminal (wins, losses and full boards).
    assert (game.n_states, int(game.terminal.sum())) == (5478, 958)
    assert game.discount == 1.0 and game.is_zero_sum(0.0)
    start = int(np.argmax(game.initial))
    assert game.n_actions[start].tolist() == [9, 1] and game.action_names[start][1] == ("-",)
    # The player not to move has one action; X's win on the move into a terminal state pays +1 / -1.
    assert set(map(tuple, game.n_actions[~game.terminal].tolist())) <= {(k, 1) for k in range(1, 10)} | {
        (1, k) for k in range(1, 10)}
    index = {name: s for s, name in enumerate(game.state_names)}
    s = index["xx.\noo.\n..."]
    top_right = game.action_names[s][0].index("x(0,2)")  # actions are numbered in the state's legal order
    assert game.rewards[:, s, top_right, 0].tolist() == [1.0, -1.0]  # X completes the top row
    assert game.terminal[game.successors[s, top_right, 0, 0]] and game.probabilities[s, top_right, 0, 0] == 1


def test_openspiel_pig_value_matches_monte_carlo():
    pyspiel = pytest.importorskip("pyspiel")
    from equilibria.games.io.openspiel_stochastic import from_openspiel

    os_game = pyspiel.load_game("pig(winscore=6)")
    game = from_openspiel(os_game)  # turn-based, dice as chance, cycles (a 1 passes the turn with nothing)
    roll = 0.7
    profile = []
    for i in range(2):
        policy = np.zeros((game.n_states, game.max_actions[i]))
        for s in range(game.n_states):
            names = game.action_names[s][i]
            policy[s, : len(names)] = [roll if n == "roll" else 1 - roll if n == "stop" else 1.0 for n in names]
            policy[s] /= policy[s].sum()
        profile.append(policy)
    exact = profile_values(game, tuple(profile))[0] @ game.initial
    rng = np.random.default_rng(1)
    returns = []
    for _ in range(10_000):
        state = os_game.new_initial_state()
        while not state.is_terminal():
            if state.is_chance_node():
                outcomes, probabilities = zip(*state.chance_outcomes(), strict=True)
                state.apply_action(outcomes[rng.choice(len(outcomes), p=probabilities)])
            else:
                legal = state.legal_actions()
                weights = np.array([roll if state.action_to_string(a) == "roll" else 1 - roll for a in legal])
                state.apply_action(legal[rng.choice(len(legal), p=weights / weights.sum())])
        returns.append(state.returns()[0])
    error = np.std(returns) / np.sqrt(len(returns))
    assert abs(np.mean(returns) - exact) < 4 * error
    assert abs(exact) > 10 * error / 4  # a value far from 0: the check is not vacuous


def test_openspiel_refusals():
    pytest.importorskip("pyspiel")
    from equilibria.games.io.openspiel_stochastic import from_openspiel

    for call, match in [(lambda: from_openspiel("kuhn_poker"), "hidden information"),
                        (lambda: from_openspiel("tic_tac_toe", max_states=100), "more than max_states=100"),
                        (lambda: from_openspiel("no_such_game_xyz"), "cannot load"),
                        (lambda: from_openspiel(3), "expected a pyspiel.Game"),
                        (lambda: from_openspiel("tic_tac_toe", discount=2), "discount")]:
        with pytest.raises(GameError, match=match):
            call()
