"""Level-k and cognitive hierarchy: hand-computed paths (the climbing game, a 2 x 2 game), the p-beauty contest's
known level-k guesses and limit, cognitive hierarchy's step numbers, and the finite contest's equilibrium."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria.applications.marl.level_k import (
    beauty_contest_cognitive_hierarchy,
    beauty_contest_level_k,
    cognitive_hierarchy,
    level_k,
    level_k_path,
    p_beauty_contest,
    poisson_frequencies,
)
from equilibria.core.errors import GameError
from equilibria.games.normal_form import NormalFormGame
from equilibria.metrics import regret

# Claus and Boutilier's (1998) climbing game (common payoffs).
CLIMBING = np.array([[11.0, -30.0, 0.0], [-30.0, 7.0, 6.0], [0.0, 0.0, 5.0]])


def test_climbing_game_level_k_path() -> None:
    # By hand. Level 1 against uniform: row values (-19, -17, 5) / 3 -> c; column values (-19, -23, 11) / 3 -> c.
    # Level 2: the row answers column c with (0, 6, 5) -> b; the column answers row c with (0, 0, 5) -> c.
    # Level 3: the row answers c -> b; the column answers b with (-30, 7, 6) -> b. Level 4 on: (b, b), a Nash
    # equilibrium worth 7, not the optimum 11.
    game = NormalFormGame.bimatrix(CLIMBING, CLIMBING)
    path = level_k_path(game, 5)
    expected = [((1 / 3,) * 3, (1 / 3,) * 3), ((0, 0, 1), (0, 0, 1)), ((0, 1, 0), (0, 0, 1)),
                ((0, 1, 0), (0, 1, 0)), ((0, 1, 0), (0, 1, 0)), ((0, 1, 0), (0, 1, 0))]
    for level, (row, column) in zip(path, expected, strict=True):
        np.testing.assert_allclose(level[0], row)
        np.testing.assert_allclose(level[1], column)
    assert float(regret.max_regret(game, path[-1])) == 0.0
    np.testing.assert_allclose(level_k(game, 3)[0], path[3][0])


def test_two_by_two_ties_and_level0() -> None:
    # Row: (T, B) against (L, R) pays [[1, 0], [0, 1]]; the column is indifferent (all 0): it always mixes 1/2.
    game = NormalFormGame.bimatrix(np.array([[1.0, 0.0], [0.0, 1.0]]), np.zeros((2, 2)))
    np.testing.assert_allclose(level_k(game, 1), [[0.5, 0.5], [0.5, 0.5]])  # the row's tie split uniformly
    # A given level 0 (column plays L): level 1's row plays T.
    path = level_k_path(game, 2, level0=([0.0, 1.0], [1.0, 0.0]))
    np.testing.assert_allclose(path[1][0], [1, 0])
    np.testing.assert_allclose(path[1][1], [0.5, 0.5])
    np.testing.assert_allclose(path[2][0], [0.5, 0.5])


def test_beauty_contest_level_k_guesses() -> None:
    # Nagel (1995): level 0 means 50, level k names 50 (2/3)^k, which tends to 0 (the unique equilibrium).
    guesses = beauty_contest_level_k(2 / 3, 40)
    np.testing.assert_allclose(guesses, 50 * (2 / 3) ** np.arange(41))
    np.testing.assert_allclose(guesses[:4], [50, 100 / 3, 200 / 9, 400 / 27])
    assert guesses[-1] < 1e-5 and np.all(np.diff(guesses) < 0)
    # Over [0, 100] with p = 1.5 the guesses climb to the cap (the other equilibrium side).
    assert beauty_contest_level_k(1.5, 5)[-1] == 100.0


def test_beauty_contest_cognitive_hierarchy() -> None:
    # By hand with tau = 1.5: f = e^-1.5 (1, 1.5, 1.125, ...). Step 1: 2/3 * 50. Step 2 believes 0 and 1 in
    # proportion 1 : 1.5: mean 0.4 * 50 + 0.6 * 100/3 = 40, names 80/3. Step 3: proportions 1 : 1.5 : 1.125, mean
    # (50 + 50 + 30) / 3.625, names 2/3 of it.
    guesses, frequencies, mean = beauty_contest_cognitive_hierarchy(2 / 3, 1.5, 20)
    np.testing.assert_allclose(guesses[:4], [50, 100 / 3, 80 / 3, 2 / 3 * 130 / 3.625])
    poisson = np.array([math.exp(-1.5) * 1.5**k / math.factorial(k) for k in range(21)])
    np.testing.assert_allclose(frequencies, poisson / poisson.sum())
    assert mean == pytest.approx(float(frequencies @ guesses))
    # Higher steps name lower numbers, above 0: they expect lower steps in the population.
    assert np.all(np.diff(guesses) < 0) and guesses[-1] > 0
    # More thinking lowers the population's mean, towards the equilibrium 0.
    means = [beauty_contest_cognitive_hierarchy(2 / 3, tau, 30)[2] for tau in (0.5, 1.5, 3.0, 10.0)]
    assert all(a > b for a, b in zip(means, means[1:], strict=False))


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), tau=st.floats(0.1, 5.0))
def test_cognitive_hierarchy_levels_best_respond(seed: int, tau: float) -> None:
    rng = np.random.default_rng(seed)
    game = NormalFormGame(rng.integers(-2, 3, (2, 3, 2)).astype(float))
    hierarchy = cognitive_hierarchy(game, tau, max_level=4)
    f = poisson_frequencies(tau, 4)
    np.testing.assert_allclose(hierarchy.frequencies, f)
    for k in range(1, 5):
        weights = f[:k] / f[:k].sum()
        belief = [sum(w * level[i] for w, level in zip(weights, hierarchy.levels, strict=False)) for i in range(2)]
        for i in range(2):
            # Only best responses get weight, split uniformly.
            values = game.action_values(belief, i)
            strategy = hierarchy.levels[k][i]
            support = strategy > 0
            assert np.all(values[support] >= values.max() - 1e-9)
            np.testing.assert_allclose(strategy[support], 1 / support.sum())
    for i in range(2):
        np.testing.assert_allclose(hierarchy.aggregate[i].sum(), 1.0)
    # With a single level kept, cognitive hierarchy is level 0; its level 1 is level-k's level 1.
    assert np.allclose(cognitive_hierarchy(game, tau, max_level=1).levels[1][0], level_k(game, 1)[0])


def test_finite_beauty_contest() -> None:
    game = p_beauty_contest(3, 6, 2 / 3)
    assert game.n_actions == (6, 6, 6)
    # Everyone naming 0 is the only pure equilibrium. (Everyone naming 1 is not: with three players a deviation to
    # 0 moves the target to 4/9 and wins alone.)
    assert game.pure_nash() == [(0, 0, 0)]
    # A player alone closest to the target takes the whole prize: (1, 4, 5) has target 20/9 -> player 0 wins.
    np.testing.assert_allclose(game.payoffs[:, 1, 4, 5], [1, 0, 0])
    # Level-k in the finite game: level 1 names 1 (others uniform on 0..5), level 2 on names 0, the equilibrium.
    path = level_k_path(game, 4)
    np.testing.assert_allclose(path[1][0], np.eye(6)[1])
    for level in path[2:]:
        np.testing.assert_allclose(level[2], np.eye(6)[0])
    np.testing.assert_allclose(game.payoffs[:, 2, 2, 2], [1 / 3] * 3)
    # Two players with p < 1: the lower number always wins, so level 1 against uniform names 0.
    two = p_beauty_contest(2, 11, 2 / 3)
    np.testing.assert_allclose(level_k(two, 1)[0], np.eye(11)[0])


def test_bad_input() -> None:
    with pytest.raises(GameError, match="k"):
        level_k(NormalFormGame.bimatrix(CLIMBING, CLIMBING), -1)
    with pytest.raises(GameError, match="game"):
        level_k(CLIMBING, 1)
    with pytest.raises(GameError, match="tau"):
        cognitive_hierarchy(NormalFormGame.bimatrix(CLIMBING, CLIMBING), 0.0, max_level=2)
    with pytest.raises(GameError, match="n_numbers"):
        p_beauty_contest(5, 101, 2 / 3)
    with pytest.raises(GameError, match="level0"):
        level_k(NormalFormGame.bimatrix(CLIMBING, CLIMBING), 1, level0=([1.0, 0.0], [1.0, 0.0, 0.0]))
