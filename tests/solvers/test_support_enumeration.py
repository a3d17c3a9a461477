"""Support enumeration: known answers, certificates on degenerate games, its documented gaps, budgets."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria import GameError, NormalFormGame
from equilibria.core.rational import to_fraction_array
from equilibria.metrics.regret import max_regret
from equilibria.solvers.support_enumeration import support_enumeration_solve
from equilibria.solvers.vertex_enumeration import vertex_enumeration_solve


def same_profiles(first, second, tol: float = 1e-9) -> bool:
    """The two results' profiles correspond one to one within ``tol`` (max norm)."""
    if len(first) != len(second):
        return False
    flat = [np.concatenate(q) for q in second.equilibria]
    return all(sum(np.max(np.abs(np.concatenate(p) - q)) <= tol for q in flat) == 1 for p in first.equilibria)


def contains(result, x, y, tol: float = 1e-12) -> bool:
    target = np.concatenate([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])
    return any(np.max(np.abs(np.concatenate(p) - target)) <= tol for p in result.equilibria)


def test_von_stengel_3x2_game_has_exactly_three_equilibria():
    """von Stengel (2007), Figure 3.3: ((1,0,0),(1,0)), ((4/5,1/5,0),(2/3,1/3)), ((0,1/3,2/3),(1/3,2/3))."""
    game = NormalFormGame.bimatrix([[3, 3], [2, 5], [0, 6]], [[3, 2], [2, 6], [3, 1]])
    result = support_enumeration_solve(game)
    assert len(result) == 3 and result.converged and result.method == "support_enumeration"
    assert contains(result, [1, 0, 0], [1, 0])
    assert contains(result, [4 / 5, 1 / 5, 0], [2 / 3, 1 / 3])
    assert contains(result, [0, 1 / 3, 2 / 3], [1 / 3, 2 / 3])
    assert result.worst_certificate <= 1e-12
    assert result.iterations == 3 * 2 + 3 * 1  # support pairs of sizes 1 and 2


def test_zero_sum_game_has_a_unique_mixed_equilibrium():
    result = support_enumeration_solve(NormalFormGame.zero_sum([[2, -1], [-1, 1]]))
    assert len(result) == 1 and contains(result, [0.4, 0.6], [0.4, 0.6])
    assert np.allclose(result.values[0], [0.2, -0.2], atol=1e-12)


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
def test_coordination_game_has_one_equilibrium_per_nonempty_support(n):
    result = support_enumeration_solve(NormalFormGame.bimatrix(np.eye(n), np.eye(n)))
    assert len(result) == 2**n - 1 and result.worst_certificate <= 1e-12
    for size in range(1, n + 1):
        for support in itertools.combinations(range(n), size):
            s = np.isin(np.arange(n), support) / size
            assert contains(result, s, s)


def test_misses_an_equilibrium_with_unequal_supports_in_a_degenerate_game():
    """At x = (0, 1/2, 1/2) all three columns earn -1/2, and against y = (0, 0, 1) rows 2 and 3 both earn 1
    (row 1 earns -1): an equilibrium whose supports have sizes 2 and 1. Support enumeration only tries equal
    sizes; the size-2 systems that contain it are singular, so it is missed. Vertex enumeration (complete)
    finds it."""
    a = [[1, 1, -1], [-1, 1, 1], [-1, -1, 1]]
    b = [[0, -1, 1], [-1, 0, 0], [0, -1, -1]]
    game = NormalFormGame.bimatrix(a, b)
    x, y = np.array([0, 0.5, 0.5]), np.array([0.0, 0.0, 1.0])
    assert max_regret(game, (to_fraction_array(x), to_fraction_array(y))) == 0
    support = support_enumeration_solve(game)
    assert not contains(support, x, y) and support.worst_certificate <= 1e-12
    assert contains(vertex_enumeration_solve(game), x, y)


def test_agrees_with_vertex_enumeration_on_random_float_games():
    """Uniform random games are nondegenerate with probability one, where both methods are complete."""
    rng = np.random.default_rng(11)
    for m, n in [(3, 3), (5, 4), (6, 6), (8, 7)]:
        game = NormalFormGame.bimatrix(rng.normal(size=(m, n)), 100 * rng.random((m, n)))
        support = support_enumeration_solve(game)
        assert same_profiles(support, vertex_enumeration_solve(game))
        assert support.worst_certificate <= 1e-9 and len(support) % 2 == 1  # nondegenerate: an odd number


@st.composite
def integer_games(draw, max_actions: int = 5, low: int = -2, high: int = 2) -> NormalFormGame:
    m = draw(st.integers(1, max_actions))
    n = draw(st.integers(1, max_actions))
    cells = st.lists(st.integers(low, high), min_size=m * n, max_size=m * n)
    return NormalFormGame.bimatrix(np.array(draw(cells)).reshape(m, n), np.array(draw(cells)).reshape(m, n))


@settings(max_examples=80, deadline=None)
@given(integer_games())
def test_returns_only_equilibria_even_in_degenerate_games(game):
    result = support_enumeration_solve(game)
    assert result.converged
    assert all(c <= 1e-9 for c in result.certificate)
    assert same_profiles(result, result)  # no duplicates
    # Every pure equilibrium is a support pair of size one, so it is never missed.
    for actions in game.pure_nash():
        assert contains(result, *game.pure_profile(actions), tol=1e-9)


def test_payoff_scale_does_not_change_the_answer():
    rng = np.random.default_rng(5)
    a, b = rng.random((5, 5)), rng.random((5, 5))
    small = support_enumeration_solve(NormalFormGame.bimatrix(a, b))
    large = support_enumeration_solve(NormalFormGame.bimatrix(1e6 * a - 3e5, 1e-3 * b + 7))
    assert len(small) >= 1 and same_profiles(small, large)


def test_budget_stops_early_and_returns_only_equilibria():
    rng = np.random.default_rng(2)
    game = NormalFormGame.bimatrix(rng.random((6, 6)), rng.random((6, 6)))
    cut = support_enumeration_solve(game, max_iterations=10)
    assert not cut.converged and cut.iterations == 10 and all(c <= 1e-9 for c in cut.certificate)
    full = support_enumeration_solve(game)
    assert full.converged and full.iterations == sum(len(list(itertools.combinations(range(6), k))) ** 2
                                                     for k in range(1, 7))
    timed = support_enumeration_solve(NormalFormGame.bimatrix(rng.random((14, 14)), rng.random((14, 14))),
                                      max_seconds=1e-3)
    assert not timed.converged


def test_bad_input_raises_game_error():
    with pytest.raises(GameError, match="support_enumeration_solve"):
        support_enumeration_solve(NormalFormGame(np.zeros((3, 2, 2, 2))))
    with pytest.raises(GameError, match="NormalFormGame"):
        support_enumeration_solve([[1, 0], [0, 1]])
    game = NormalFormGame.bimatrix(np.eye(2), np.eye(2))
    with pytest.raises(GameError, match="tol"):
        support_enumeration_solve(game, tol=float("nan"))
    with pytest.raises(GameError, match="max_seconds"):
        support_enumeration_solve(game, max_seconds=0)
