"""Regret, NashConv, CE and CCE gaps against hand-computed values and their defining properties."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria import GameError, NormalFormGame
from equilibria.games import zoo
from equilibria.metrics import (
    cce_gap,
    ce_gap,
    ce_gaps,
    joint_expected_payoffs,
    max_regret,
    nash_conv,
    product_distribution,
    regrets,
)


def test_regrets_hand_computed():
    game = zoo.get("prisoners-dilemma")
    cooperate = (np.array([1.0, 0.0]), np.array([1.0, 0.0]))
    # Each player gains 5 - 3 = 2 by defecting.
    np.testing.assert_allclose(regrets(game, cooperate), [2.0, 2.0])
    assert nash_conv(game, cooperate) == pytest.approx(4.0)
    rps = zoo.get("rock-paper-scissors")
    rock = (np.array([1.0, 0, 0]), np.array([1.0, 0, 0]))
    assert max_regret(rps, rock) == pytest.approx(1.0)


def test_exact_regret_is_a_fraction():
    game = zoo.get("zero-sum-2x2")
    x = np.array([Fraction(1, 2), Fraction(1, 2)], dtype=object)
    regret = max_regret(game, (x, x))
    # A y = (1/2, 0) and x^T A y = 1/4: the row player gains 1/4 by playing the first action; so does the column.
    assert isinstance(regret, Fraction) and regret == Fraction(1, 4)


def test_aumann_chicken_correlated_equilibrium():
    game = zoo.get("chicken")
    # Aumann (1974): 1/3 on each of (swerve, swerve), (swerve, straight), (straight, swerve) is a CE with welfare 10.
    joint = np.array([[Fraction(1, 3), Fraction(1, 3)], [Fraction(1, 3), Fraction(0)]], dtype=object)
    assert ce_gap(game, joint) == 0
    assert sum(joint_expected_payoffs(game, joint)) == 10
    # Putting all mass on (swerve, swerve) is not: the row player gains 1 by going straight.
    assert ce_gap(game, np.array([[1.0, 0.0], [0.0, 0.0]])) == pytest.approx(1.0)


@given(st.lists(st.integers(1, 4), min_size=2, max_size=3), st.integers(0, 2**32 - 1))
@settings(max_examples=80, deadline=None)
def test_ce_gap_of_product_distribution_bounds_and_cce_below_ce(shape, seed):
    rng = np.random.default_rng(seed)
    game = NormalFormGame(rng.normal(size=(len(shape), *shape)))
    profile = tuple(rng.dirichlet(np.ones(n)) for n in shape)
    joint = product_distribution(profile)
    # For a product distribution the CCE gap per player equals that player's Nash regret.
    from equilibria.metrics import cce_gaps

    np.testing.assert_allclose(cce_gaps(game, joint), regrets(game, profile), atol=1e-12)
    # Every CCE deviation is a sum of CE swaps, so the CCE gap is bounded by n_actions times the CE gap (if > 0).
    assert cce_gap(game, joint) <= max(shape) * max(ce_gap(game, joint), 0.0) + 1e-12
    # The swap "a -> a" gains nothing, so the CE gap is never negative.
    assert min(ce_gaps(game, joint)) >= -1e-12


def test_nash_equilibria_are_correlated_equilibria():
    for name in ("battle-of-the-sexes", "von-stengel-3x2", "three-player-matching-pennies"):
        entry = zoo.entry(name)
        game = entry.game()
        for known in entry.known_equilibria:
            joint = product_distribution(tuple(np.array(s, dtype=object) for s in known))
            assert ce_gap(game, joint) == 0
            assert cce_gap(game, joint) == 0


def test_joint_shape_is_checked():
    with pytest.raises(GameError, match="shape"):
        ce_gap(zoo.get("chicken"), np.ones((3, 2)) / 6)
