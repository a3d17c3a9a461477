"""NormalFormGame: validation, evaluation of mixed profiles, pure equilibria, dominance, pytree behaviour."""

import itertools
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria import GameError, NormalFormGame
from equilibria.games import zoo


@pytest.mark.parametrize(
    ("payoffs", "message"),
    [
        ([[1.0, float("nan")], [0.0, 1.0]], "finite"),
        (np.full((2, 2, 2), np.inf), "finite"),
        ([], "empty"),
        ([[1, 2], [3]], "rectangular"),
        (np.zeros((3, 2, 2)), "number of players"),
        (np.zeros(3), "shape"),
        ("abc", "real numbers"),
    ],
)
def test_invalid_payoffs_raise_one_line_game_error(payoffs, message):
    with pytest.raises(GameError, match=message) as info:
        NormalFormGame(payoffs)
    assert "\n" not in str(info.value)


def test_bimatrix_shape_mismatch_and_labels_checked():
    with pytest.raises(GameError, match="same shape"):
        NormalFormGame.bimatrix([[1, 2]], [[1], [2]])
    with pytest.raises(GameError, match="action_labels"):
        NormalFormGame.bimatrix([[1, 2]], [[1, 2]], action_labels=(("a",), ("x",)))
    with pytest.raises(GameError, match="returned shape"):
        NormalFormGame.from_function(lambda a: [1.0], (2, 2))


def test_payoffs_are_immutable():
    game = zoo.get("prisoners-dilemma")
    with pytest.raises(ValueError):
        game.payoffs[0, 0, 0] = 10


def brute_force_expected(game, profile):
    total = np.zeros(game.n_players)
    for actions in itertools.product(*(range(n) for n in game.n_actions)):
        prob = np.prod([profile[i][a] for i, a in enumerate(actions)])
        total += prob * game.payoffs[(slice(None), *actions)]
    return total


shapes = st.lists(st.integers(1, 4), min_size=1, max_size=4)


@given(shapes, st.integers(0, 2**32 - 1))
@settings(max_examples=60, deadline=None)
def test_expected_payoffs_and_action_values_match_brute_force(shape, seed):
    rng = np.random.default_rng(seed)
    game = NormalFormGame(rng.normal(size=(len(shape), *shape)))
    profile = tuple(rng.dirichlet(np.ones(n)) for n in shape)
    np.testing.assert_allclose(game.expected_payoffs(profile), brute_force_expected(game, profile), atol=1e-12)
    for i in range(game.n_players):
        values = game.action_values(profile, i)
        for a in range(shape[i]):
            deviation = tuple(np.eye(shape[i])[a] if j == i else s for j, s in enumerate(profile))
            assert values[a] == pytest.approx(brute_force_expected(game, deviation)[i], abs=1e-12)


def test_exact_expected_payoffs_with_fractions():
    game = zoo.get("von-stengel-3x2")
    x = np.array([Fraction(4, 5), Fraction(1, 5), Fraction(0)], dtype=object)
    y = np.array([Fraction(2, 3), Fraction(1, 3)], dtype=object)
    assert list(game.expected_payoffs((x, y))) == [Fraction(3), Fraction(14, 5)]


@given(shapes, st.integers(0, 2**32 - 1))
@settings(max_examples=60, deadline=None)
def test_pure_nash_matches_definition(shape, seed):
    rng = np.random.default_rng(seed)
    game = NormalFormGame(rng.integers(-2, 3, size=(len(shape), *shape)).astype(float))
    expected = []
    for actions in itertools.product(*(range(n) for n in shape)):
        stable = all(
            game.payoffs[(i, *actions)] >= max(game.payoffs[(i, *actions[:i], b, *actions[i + 1:])]
                                               for b in range(shape[i]))
            for i in range(len(shape))
        )
        if stable:
            expected.append(actions)
    assert game.pure_nash() == expected


def test_strict_dominance_solves_prisoners_dilemma_and_public_goods():
    reduced, kept = zoo.get("prisoners-dilemma").eliminate_dominated()
    assert kept == ((1,), (1,)) and reduced.n_actions == (1, 1)
    reduced, kept = zoo.get("public-goods-3").eliminate_dominated()
    assert kept == ((0,), (0,), (0,))


def test_mixed_strict_dominance_needs_the_lp():
    # Row 2 is dominated by the 50/50 mix of rows 0 and 1 (payoff 1.5 > 1 in each column) but by no pure row.
    game = NormalFormGame.bimatrix([[3, 0], [0, 3], [1, 1]], [[1, 0], [0, 1], [0, 0]])
    _, kept_pure = game.eliminate_dominated(mixed=False)
    _, kept_mixed = game.eliminate_dominated(mixed=True)
    assert kept_pure == ((0, 1, 2), (0, 1))
    assert kept_mixed == ((0, 1), (0, 1))


def test_weak_dominance_iterates():
    # Column 1 is weakly dominated by column 0 (equal against row 0, better against row 1); after removing it,
    # row 1 is strictly dominated.
    game = NormalFormGame.bimatrix([[1, 1], [0, 2]], [[1, 1], [1, 0]])
    _, kept_strict = game.eliminate_dominated()
    _, kept_weak = game.eliminate_dominated(weak=True)
    assert kept_strict == ((0, 1), (0, 1))
    assert kept_weak == ((0,), (0,))


def test_constant_and_zero_sum_detection():
    assert zoo.get("rock-paper-scissors").is_zero_sum()
    assert not zoo.get("chicken").is_constant_sum()
    shifted = NormalFormGame.bimatrix([[1, 2], [3, 4]], [[4, 3], [2, 1]])
    assert shifted.is_constant_sum() and not shifted.is_zero_sum()


def test_game_is_a_jax_pytree():
    game = zoo.get("rock-paper-scissors")
    leaves, treedef = jax.tree_util.tree_flatten(game)
    assert len(leaves) == 1 and leaves[0].shape == (2, 3, 3)
    doubled = jax.tree_util.tree_map(lambda p: 2 * p, game)
    np.testing.assert_array_equal(doubled.payoffs, 2 * game.payoffs)

    @jax.jit
    def row_value(g, x, y):
        return x @ g.payoffs[0] @ y

    uniform = jnp.ones(3) / 3
    assert float(row_value(game, uniform, uniform)) == pytest.approx(0.0)


def test_check_profile_rejects_bad_strategies():
    game = zoo.get("matching-pennies")
    with pytest.raises(GameError, match="2 strategies"):
        game.check_profile([np.array([1.0, 0.0])])
    with pytest.raises(GameError, match="shape"):
        game.check_profile([np.array([1.0]), np.array([1.0, 0.0])])
    with pytest.raises(GameError, match="probability vector"):
        game.check_profile([np.array([0.7, 0.7]), np.array([1.0, 0.0])])


def test_pure_profile_builds_no_identity_matrix():
    """Item 3 of issue 15: a 10^6 x 2 game's pure profile is two one-hot vectors, not a 10^6 x 10^6 identity."""
    n = 10**6
    game = NormalFormGame(np.zeros((2, n, 2)))  # 32 MB of payoffs; np.eye(10**6) would need 7.28 TiB
    profile = game.pure_profile((n - 3, 1))
    assert [s.shape for s in profile] == [(n,), (2,)]
    assert profile[0][n - 3] == 1.0 and profile[0].sum() == 1.0 and profile[1].tolist() == [0.0, 1.0]
    assert [s.argmax() for s in game.pure_profile((-1, 0))] == [n - 1, 0]  # numpy's indexing, as before
    with pytest.raises(IndexError):
        game.pure_profile((n, 0))


@given(st.lists(st.integers(1, 5), min_size=1, max_size=4), st.data())
@settings(max_examples=25, deadline=None)
def test_pure_profile_equals_identity_rows(shape, data):
    game = NormalFormGame(np.zeros((len(shape), *shape)))
    actions = tuple(data.draw(st.integers(-n, n - 1)) for n in shape)
    for strategy, n, a in zip(game.pure_profile(actions), shape, actions, strict=True):
        np.testing.assert_array_equal(strategy, np.eye(n)[a])
