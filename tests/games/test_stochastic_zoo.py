"""The stochastic zoo: sizes, zero-sum flags and each game's known answer, certified by metrics.stochastic."""

import itertools

import numpy as np
import pytest

from equilibria.core.errors import GameError
from equilibria.games.zoo import stochastic as zoo
from equilibria.metrics.stochastic import best_response, exploitability, profile_values, regrets


@pytest.mark.parametrize("entry", zoo.ENTRIES, ids=lambda e: e.name)
def test_every_entry_builds_under_its_name(entry):
    game = entry.game()
    assert game.name == entry.name
    assert entry.description and entry.reference
    assert zoo.entry(entry.name.replace("-", "_").upper()) is entry


def test_the_episodic_big_match_has_the_big_match_answer():
    # The absorption folded into a final payoff: the same value and optimal strategy in the playing state.
    for beta in (0.5, 0.9, 0.99):
        game = zoo.big_match_episodic(beta)
        row, column = zoo.big_match_profile(beta)
        profile = (row[:2], column[:2])
        assert exploitability(game, profile) <= 1e-9
        assert profile_values(game, profile)[0, 0] == pytest.approx(1 / (2 * (1 - beta)), rel=1e-12)


def test_sizes_and_zero_sum_flags():
    expected = {"big-match": (3, (2, 2), True), "big-match-episodic": (2, (2, 2), True),
                "shapley-stopping": (3, (2, 2), True),
                "markov-soccer": (760, (5, 5), True), "grid-game-1": (58, (4, 4), False),
                "grid-game-2": (57, (4, 4), False), "nosde": (2, (2, 2), False),
                "random-zero-sum": (5, (3, 3), True), "random-general-sum": (5, (3, 3), False)}
    assert set(expected) == set(zoo.names())
    for name, (n_states, actions, zero_sum) in expected.items():
        game = zoo.get(name)
        assert (game.n_states, game.max_actions, game.is_zero_sum(1e-12)) == (n_states, actions, zero_sum), name


def test_unknown_name_suggests_close_names():
    with pytest.raises(KeyError, match="did you mean big-match"):
        zoo.get("big-mach")


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9, 0.99, 0.999])
def test_big_match_known_strategy_is_optimal_with_value_one_half_normalised(beta):
    game = zoo.big_match(beta)
    profile = zoo.big_match_profile(beta)
    assert profile[0][0, 0] == pytest.approx((1 - beta) / (2 - beta), abs=0)
    assert exploitability(game, profile) < 1e-9 * max(1.0, 1 / (1 - beta))
    values = profile_values(game, profile)
    assert (1 - beta) * values[0, 0] == pytest.approx(0.5, abs=1e-12)
    assert values[0, 0] == pytest.approx(1 / (2 * (1 - beta)), rel=1e-12)
    np.testing.assert_allclose(values[1], -values[0], atol=1e-12)
    assert values[0, 1] == pytest.approx(1 / (1 - beta)) and values[0, 2] == 0.0


def test_big_match_at_discount_09_matches_the_common_facts():
    assert zoo.entry("big-match").known_value == 5.0
    game = zoo.get("big-match")
    profile = zoo.big_match_profile(0.9)
    assert profile[0][0, 0] == pytest.approx(1 / 11)
    assert profile_values(game, profile)[0] @ game.initial == pytest.approx(5.0, abs=1e-12)
    # Any other P(Top) is exploited by the column player (the optimal stationary strategy is unique).
    for top in (0.0, 0.05, 0.2, 1.0):
        row = profile[0].copy()
        row[0] = [top, 1 - top]
        assert regrets(game, (row, profile[1]))[1, 0] > 1e-3


def test_big_match_refuses_a_discount_outside_zero_one():
    with pytest.raises(GameError, match=r"big_match\(discount\)"):
        zoo.big_match(1.0)


def test_shapley_example_value_is_the_irrational_root_and_the_stage_optima_certify_it():
    game = zoo.shapley_stopping()
    assert game.discount == 1.0 and game.terminal.tolist() == [False, False, True]
    v0, v1 = zoo.shapley_stopping_value()
    assert 5 * v0**2 + 32 * v0 - 52 == pytest.approx(0.0, abs=1e-12)
    # The optimal stage strategies of Shapley's auxiliary game at the value: 2 x 2 without a saddle point.
    q = game.continuation_at(0, np.array([[v0, v1, 0.0], [-v0, -v1, 0.0]]))[0]
    denominator = q[0, 0] + q[1, 1] - q[0, 1] - q[1, 0]
    p_top = (q[1, 1] - q[1, 0]) / denominator
    p_left = (q[1, 1] - q[0, 1]) / denominator
    assert 0 < p_top < 1 and 0 < p_left < 1
    profile = (np.array([[p_top, 1 - p_top], [1, 0], [1, 0]]), np.array([[p_left, 1 - p_left], [1, 0], [1, 0]]))
    assert exploitability(game, profile) < 1e-12
    values = profile_values(game, profile)
    np.testing.assert_allclose(values[0], [v0, v1, 0.0], atol=1e-12)
    assert zoo.entry("shapley-stopping").known_value == pytest.approx(v0)


def _soccer_symmetry(game):
    """The state map of Littman's soccer under 180-degree rotation with the players' roles swapped."""
    index = {name: s for s, name in enumerate(game.state_names)}
    mapping = np.empty(game.n_states, dtype=int)
    for s, (a, b, holder) in enumerate(zoo._soccer_states()):
        rotate = 19 - b, 19 - a  # cell r*5+c -> (3-r)*5+(4-c) = 19 - cell; A takes B's place
        names = f"A{divmod(rotate[0], 5)} B{divmod(rotate[1], 5)} ball:{'BA'[holder]}"
        mapping[s] = index[names]
    return mapping


def test_markov_soccer_structure_and_symmetry():
    game = zoo.markov_soccer()
    assert game.discount == 0.9 and game.is_zero_sum(0.0)
    assert game.action_names[0][0] == ("N", "S", "W", "E", "stand")
    start = np.flatnonzero(game.initial)
    assert [game.state_names[s] for s in start] == ["A(2, 1) B(1, 3) ball:A", "A(2, 1) B(1, 3) ball:B"]
    mapping = _soccer_symmetry(game)
    assert sorted(mapping) == list(range(game.n_states))
    flip = np.array([1, 0, 3, 2, 4])  # N<->S, W<->E under the rotation
    # r_A(s, a, b) = r_B(sigma s, flip b, flip a), and the same transition probabilities to mapped states.
    swapped = game.rewards[1][mapping][:, flip][:, :, flip].transpose(0, 2, 1)
    np.testing.assert_array_equal(game.rewards[0], swapped)
    # Rows compared as (successor, probability) lists sorted by successor (unused slots last).
    def rows(successors, probabilities):
        keyed = np.where(probabilities > 0, successors, game.n_states)
        order = np.argsort(keyed, axis=-1)
        return np.take_along_axis(keyed, order, -1), np.take_along_axis(probabilities, order, -1)

    def swap(array):
        return array[mapping][:, flip][:, :, flip].transpose(0, 2, 1, 3)

    here = rows(np.where(game.probabilities > 0, mapping[game.successors], 0), game.probabilities)
    there = rows(swap(game.successors), swap(game.probabilities))
    np.testing.assert_array_equal(here[0], there[0])
    np.testing.assert_array_equal(here[1], there[1])
    # Hence the value from the start is 0; any symmetric profile (uniform) has value exactly 0 there.
    assert abs(profile_values(game, game.uniform_policy())[0] @ game.initial) < 1e-12


def test_markov_soccer_rules_on_chosen_states():
    game = zoo.markov_soccer()
    index = {name: s for s, name in enumerate(game.state_names)}
    n, s_, w, e, stand = range(5)
    # A holds the ball next to B's goal line in row 1 and moves E: a goal, +1 to A, then a restart.
    s = index["A(1, 4) B(0, 0) ball:A"]
    assert game.rewards[0, s, e, stand] == 1.0 and game.rewards[1, s, e, stand] == -1.0
    assert sorted(game.successors[s, e, stand][game.probabilities[s, e, stand] > 0]) == sorted(
        np.flatnonzero(game.initial))
    # In row 0 the edge is no goal: nothing happens.
    s = index["A(0, 4) B(2, 0) ball:A"]
    assert game.rewards[0, s, e, stand] == 0.0 and game.dense_transitions()[s, e, stand, s] == 1.0
    # A (with the ball) moves into B, who stands: the ball goes to B and A stays.
    s = index["A(2, 2) B(2, 3) ball:A"]
    assert game.dense_transitions()[s, e, stand, index["A(2, 2) B(2, 3) ball:B"]] == 1.0
    # Both move into the same empty cell: whoever moves first gets there; the second bumps into it.
    s = index["A(2, 1) B(2, 3) ball:B"]
    row = game.dense_transitions()[s, e, w]
    assert row[index["A(2, 2) B(2, 3) ball:A"]] == 0.5  # A first; then B (holder) runs into A: ball to A
    assert row[index["A(2, 1) B(2, 2) ball:B"]] == 0.5  # B first; A then bumps into B without effect


def _best_response_dynamics(game, profile, rounds=20):
    """Alternate exact best responses until neither player gains (a pure stationary equilibrium), or give up."""
    profile = list(profile)
    for _ in range(rounds):
        changed = False
        for i in range(game.n_players):
            response = best_response(game, tuple(profile), i)
            if np.max(response.values - profile_values(game, tuple(profile))[i]) > 1e-9:
                profile[i], changed = response.policy, True
        if not changed:
            return tuple(profile)
    raise AssertionError("best-response dynamics did not settle")


def _pure(game, action):
    policies = []
    for i in range(game.n_players):
        policy = np.zeros((game.n_states, game.max_actions[i]))
        policy[:, action[i]] = 1.0
        policy[game.terminal] = np.eye(game.max_actions[i])[0]
        policies.append(policy)
    return tuple(policies)


def test_grid_game_1_structure_and_an_equilibrium_on_shortest_paths():
    game = zoo.grid_game_1()
    assert game.discount == 0.99 and game.terminal.sum() == 1 and game.state_names[-1] == "end"
    assert game.state_names[int(np.argmax(game.initial))] == "(0, 2)"
    index = {name: s for s, name in enumerate(game.state_names)}
    left, right, up, down = range(4)
    # Both move into cell 1: bounced back, -1 each. Agent 1 up from 5 reaches its goal 8: +100, the game ends.
    s = index["(0, 2)"]
    assert game.rewards[:, s, right, left].tolist() == [-1.0, -1.0] and game.dense_transitions()[s, right, left, s] == 1
    s = index["(5, 3)"]
    assert game.rewards[:, s, up, up].tolist() == [100.0, 100.0]  # agent 2 reaches 6 at the same move
    assert game.rewards[:, s, up, right].tolist() == [100.0, 0.0]
    # Every agent needs 4 moves, so 100 * 0.99^3 is the most either can get; an equilibrium gives both that.
    profile = _best_response_dynamics(game, _pure(game, (up, up)))
    assert exploitability(game, profile) < 1e-9
    np.testing.assert_allclose(profile_values(game, profile) @ game.initial, [100 * 0.99**3] * 2, rtol=1e-12)


def test_grid_game_2_has_the_two_asymmetric_pure_equilibria():
    game = zoo.grid_game_2()
    index = {name: s for s, name in enumerate(game.state_names)}
    left, right, up, down = range(4)
    s = index["(0, 2)"]
    row = game.dense_transitions()[s, up, up]  # both try their barriers: each passes with probability 1/2
    assert [row[index[f"({a}, {b})"]] for a, b in [(3, 5), (0, 5), (3, 2)]] == [0.25, 0.25, 0.25]
    assert row[s] == 0.25
    # Agent 1 through the centre, agent 2 through its barrier: (100 0.99^2, 1/2 100 0.99^2) -- and the mirror image.
    found = set()
    for start in [(up, up), (right, left)]:
        profile = _best_response_dynamics(game, _pure(game, start))
        assert exploitability(game, profile) < 1e-9
        found.add(tuple(np.round(profile_values(game, profile) @ game.initial, 9)))
    mirror = _best_response_dynamics(game, (_pure(game, (up, up))[0], _pure(game, (left, left))[1]))
    assert exploitability(game, mirror) < 1e-9
    found.add(tuple(np.round(profile_values(game, mirror) @ game.initial, 9)))
    centre, barrier = round(100 * 0.99**2, 9), round(50 * 0.99**2, 9)
    assert {(centre, barrier), (barrier, centre)} <= found


def test_nosde_has_no_stationary_deterministic_equilibrium():
    game = zoo.nosde()
    assert game.n_actions.tolist() == [[2, 1], [1, 2]] and game.discount == 0.75
    gaps = []
    for keep_0, keep_1 in itertools.product((0, 1), repeat=2):
        profile = (np.array([np.eye(2)[keep_0], [1.0, 0.0]]), np.array([[1.0, 0.0], np.eye(2)[keep_1]]))
        gaps.append(exploitability(game, profile))
    assert min(gaps) > 0.1  # each of the 4 deterministic profiles is exploited by some player
    assert exploitability(game, zoo.nosde_profile()) < 1e-12
    np.testing.assert_allclose(profile_values(game, zoo.nosde_profile()), [[4, 16 / 3], [8 / 3, 4]], atol=1e-12)


def test_random_generator_seeded_sparse_and_checked():
    game = zoo.random_stochastic_game(50, (2, 3), seed=7, n_successors=3, discount=0.5)
    assert game.max_actions == (2, 3) and game.successors.shape == (50, 2, 3, 3) and game.discount == 0.5
    assert all(len(set(row)) == 3 for row in game.successors.reshape(-1, 3).tolist())  # distinct successors
    assert np.all(np.abs(game.rewards) <= 1)
    np.testing.assert_array_equal(game.rewards, zoo.random_stochastic_game(50, (2, 3), seed=7, n_successors=3,
                                                                            discount=0.5).rewards)
    assert not np.array_equal(game.rewards, zoo.random_stochastic_game(50, (2, 3), seed=8, n_successors=3).rewards)
    three = zoo.random_stochastic_game(2, (2, 2, 2), seed=0)
    assert three.n_players == 3 and three.successors.shape[-1] == 2
    for arguments, match in [((0, 2), "n_states"), ((2, 0), "n_actions"), ((2, (2, 2, 2)), "zero_sum"),
                             ((3, 2), "n_successors")]:
        options = {"seed": 1, "zero_sum": match == "zero_sum", "n_successors": 4 if match == "n_successors" else None}
        with pytest.raises(GameError, match=f"random_stochastic_game\\({match}\\)"):
            zoo.random_stochastic_game(*arguments, **options)
