"""Simplicial subdivision with restarts, refined by Newton (van der Laan, Talman and van der Heyden 1987).

Known answers (three-player pennies games with a unique mixed equilibrium, McKelvey and McLennan's 2x2x2 game with
nine equilibria, a game whose unique equilibrium is irrational), certificates on random and degenerate games, the
compiled action values against the game's own, budgets and bad input.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from equilibria import GameError, NormalFormGame
from equilibria.games.generators import random_game
from equilibria.games.io import read_nfg
from equilibria.metrics.regret import max_regret
from equilibria.solvers import _n_player
from equilibria.solvers.simplicial_subdivision import simplicial_subdivision_solve

F = Fraction


def distance(profile: tuple[np.ndarray, ...], target: tuple[tuple[float | Fraction, ...], ...]) -> float:
    return max(float(np.max(np.abs(np.asarray(s, dtype=float) - np.array([float(t) for t in row]))))
               for s, row in zip(profile, target, strict=True))


def exact(profile: tuple[tuple[Fraction | int, ...], ...]) -> tuple[np.ndarray, ...]:
    return tuple(np.array([F(p) for p in s], dtype=object) for s in profile)


def three_player(difference: callable) -> NormalFormGame:  # type: ignore[valid-type]
    """A 2x2x2 game from each player's payoff gain of action 0 over action 1 (action 1 pays 0).

    ``difference(i, a0, a1, a2)`` is player ``i``'s payoff for action 0 when the others play as given (the
    player's own entry is ignored).
    """
    payoffs = np.zeros((3, 2, 2, 2))
    for a in itertools.product((0, 1), repeat=3):
        for i in range(3):
            zero = list(a)
            zero[i] = 0
            payoffs[(i, *zero)] = difference(i, *a)
    return NormalFormGame(payoffs)


def jordan_pennies() -> NormalFormGame:
    """Three-player matching pennies (Jordan 1993): 0 matches 1, 1 matches 2, 2 mismatches 0; the unique
    equilibrium is uniform."""
    def gain(i: int, a0: int, a1: int, a2: int) -> float:
        other = (a1, a2, a0)[i]  # the player that i reacts to
        if i < 2:
            return 1.0 if other == 0 else -1.0
        return -1.0 if other == 0 else 1.0
    return three_player(gain)


def cyclic_pennies() -> NormalFormGame:
    """As in the QRE tests: 0 matches 1 (3 for (0, 0), 1 for (1, 1)), 1 matches 2 (1 and 2), 2 mismatches 0
    (2 for (0, 1), 1 for (1, 0)); the unique equilibrium is fully mixed and not uniform."""
    match_0 = np.array([[3, 0], [0, 1]])
    match_1 = np.array([[1, 0], [0, 2]])
    mismatch_2 = np.array([[0, 2], [1, 0]])
    ones = np.ones((2, 2, 2))
    return NormalFormGame(np.stack([match_0[:, :, None] * ones, match_1[None, :, :] * ones,
                                    mismatch_2.T[:, None, :] * ones]))


CYCLIC_EQUILIBRIUM = ((F(2, 3), F(1, 3)), (F(1, 4), F(3, 4)), (F(2, 3), F(1, 3)))
UNIFORM = ((F(1, 2), F(1, 2)),) * 3


def irrational_game() -> NormalFormGame:
    """A 2x2x2 game (integer payoffs) whose unique equilibrium is irrational.

    With ``x, y, z`` the probabilities of action 0, the players' gains of action 0 over action 1 are
    ``(5 - 10 y z)``, ``10 (x - z) - 1`` and ``10 (y - x) + 1``: every equilibrium is fully mixed (a pure choice by
    anyone forces the others round a cycle with no fixed point), and indifference of all three gives
    ``y z = 1/2``, ``z = x - 1/10``, ``y = x - 1/10``, so ``y = z = sqrt(2) / 2`` and ``x = 1/10 + sqrt(2) / 2``.
    (Uniqueness checked by solving the indifference equations on all 27 support combinations exactly.)
    """
    def gain(i: int, a0: int, a1: int, a2: int) -> float:
        x, y, z = (a0 == 0), (a1 == 0), (a2 == 0)
        return (5.0 - 10.0 * y * z, 10.0 * (x - z) - 1.0, 10.0 * (y - x) + 1.0)[i]
    return three_player(gain)


ROOT = math.sqrt(2) / 2
IRRATIONAL_EQUILIBRIUM = ((0.1 + ROOT, 0.9 - ROOT), (ROOT, 1 - ROOT), (ROOT, 1 - ROOT))

# Gambit's contrib/games/2x2x2.nfg: McKelvey and McLennan's example with nine equilibria, two of them fully mixed.
MCKELVEY_MCLENNAN_NFG = """NFG 1 R "2x2x2 Example from McKelvey-McLennan, with 9 Nash equilibria, 2 totally mixed"
{ "Player 1" "Player 2" "Player 3" } { 2 2 2 }
9 8 12 0 0 0 0 0 0 9 8 2 0 0 0 3 4 6 3 4 6 0 0 0
"""
# Its nine equilibria as probabilities of action 0 (from the indifference equations on every support).
MCKELVEY_MCLENNAN_EQUILIBRIA = [
    (1, 1, 1), (1, 0, 0), (0, 1, 0), (0, 0, 1), (0, F(1, 4), F(1, 3)), (F(1, 3), 1, F(1, 4)),
    (F(1, 2), F(1, 2), 1), (F(2, 5), F(1, 2), F(1, 3)), (F(1, 2), F(2, 5), F(1, 4)),
]


def mckelvey_mclennan() -> NormalFormGame:
    return read_nfg(MCKELVEY_MCLENNAN_NFG)


def as_profile(first: tuple[Fraction | int, ...]) -> tuple[tuple[Fraction, Fraction], ...]:
    return tuple((F(p), 1 - F(p)) for p in first)


# -- known answers -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("game", "answer"), [(jordan_pennies(), UNIFORM), (cyclic_pennies(), CYCLIC_EQUILIBRIUM)],
                         ids=["jordan", "cyclic"])
def test_three_player_pennies_have_their_unique_mixed_equilibrium(game: NormalFormGame, answer) -> None:
    assert game.pure_nash() == []
    assert max_regret(game, exact(answer)) == 0
    result = simplicial_subdivision_solve(game)
    assert result.method == "simplicial_subdivision"
    assert result.converged
    assert result.certificate[0] <= 1e-12
    assert distance(result.equilibrium, answer) <= 1e-12
    assert result.iterations > 0


def test_irrational_equilibrium_to_twelve_digits() -> None:
    game = irrational_game()
    assert game.pure_nash() == []
    result = simplicial_subdivision_solve(game)
    assert result.converged
    assert distance(result.equilibrium, IRRATIONAL_EQUILIBRIUM) <= 1e-12
    assert result.certificate[0] <= 1e-12


def test_mckelvey_mclennan_answers_are_among_its_nine_equilibria() -> None:
    game = mckelvey_mclennan()
    nine = [as_profile(e) for e in MCKELVEY_MCLENNAN_EQUILIBRIA]
    for eq in nine:  # the listed answers are equilibria
        assert max_regret(game, exact(eq)) == 0
    first = simplicial_subdivision_solve(game)  # the pure check: its first pure equilibrium
    assert first.parameters["path"] == -1 and first.iterations == 0
    assert distance(first.equilibrium, as_profile((1, 1, 1))) == 0
    rng = np.random.default_rng(7)
    starts = [tuple(np.full(2, 0.5) for _ in range(3))] + [tuple(rng.dirichlet(np.ones(2)) for _ in range(3))
                                                            for _ in range(8)]
    reached = set()
    for start in starts:
        result = simplicial_subdivision_solve(game, start=start)
        assert result.converged and result.certificate[0] <= 1e-9
        gaps = [distance(result.equilibrium, eq) for eq in nine]
        assert min(gaps) <= 1e-9
        reached.add(int(np.argmin(gaps)))
    assert len(reached) >= 2  # different starts lead to different equilibria


def test_two_player_games() -> None:
    pennies = NormalFormGame.zero_sum([[1, -1], [-1, 1]])
    result = simplicial_subdivision_solve(pennies)
    assert distance(result.equilibrium, ((0.5, 0.5), (0.5, 0.5))) <= 1e-12
    # von Stengel (2002), the 3x2 example: one of its three equilibria.
    game = NormalFormGame.bimatrix([[3, 3], [2, 5], [0, 6]], [[3, 2], [2, 6], [3, 1]])
    equilibria = [((1, 0, 0), (1, 0)), ((F(4, 5), F(1, 5), 0), (F(2, 3), F(1, 3))),
                  ((0, F(1, 3), F(2, 3)), (F(1, 3), F(2, 3)))]
    for start in (None, (np.full(3, 1 / 3), np.full(2, 0.5)), (np.array([0.0, 0.0, 1.0]), np.array([0.0, 1.0]))):
        result = simplicial_subdivision_solve(game, start=start)
        assert result.converged
        assert min(distance(result.equilibrium, eq) for eq in equilibria) <= 1e-12


def test_start_at_an_equilibrium_stays_there() -> None:
    game = cyclic_pennies()
    start = tuple(np.array([float(p) for p in s]) for s in CYCLIC_EQUILIBRIUM)
    result = simplicial_subdivision_solve(game, start=start)
    assert result.converged and result.parameters["start"] == "given"
    assert distance(result.equilibrium, CYCLIC_EQUILIBRIUM) <= 1e-12
    assert result.iterations <= 3


def test_degenerate_shapes() -> None:
    single = NormalFormGame(np.array([[1.0, 3.0, 2.0]]))  # one player: the best action
    np.testing.assert_array_equal(simplicial_subdivision_solve(single).equilibrium[0], [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(
        simplicial_subdivision_solve(single, start=(np.full(3, 1 / 3),)).equilibrium[0], [0.0, 1.0, 0.0])
    forced = NormalFormGame.bimatrix([[1.0, 2.0]], [[0.0, 1.0]])  # the row player has one action
    np.testing.assert_array_equal(simplicial_subdivision_solve(forced).equilibrium[1], [0.0, 1.0])
    constant = NormalFormGame(np.zeros((3, 2, 2, 2)))  # every profile is an equilibrium
    for start in (None, tuple(np.full(2, 0.5) for _ in range(3))):
        result = simplicial_subdivision_solve(constant, start=start)
        assert result.converged and result.certificate[0] == 0.0


def test_non_isolated_equilibria_of_a_degenerate_game() -> None:
    # Players 0 and 1 play matching pennies; player 2 gets nothing whatever happens, so every strategy of player 2
    # completes the equilibrium: the Newton matrix is singular there and the steps are least-squares ones, which
    # keep player 2 where the start put it.
    pennies = np.array([[1.0, -1.0], [-1.0, 1.0]])
    payoffs = np.zeros((3, 2, 2, 3))
    payoffs[0], payoffs[1] = pennies[:, :, None], -pennies[:, :, None]
    game = NormalFormGame(payoffs)
    assert game.pure_nash() == []
    start = (np.array([0.9, 0.1]), np.array([0.2, 0.8]), np.array([0.2, 0.3, 0.5]))
    for first in (None, start):
        result = simplicial_subdivision_solve(game, start=first)
        assert result.converged and result.certificate[0] <= 1e-12
        np.testing.assert_allclose(result.equilibrium[0], [0.5, 0.5], atol=1e-12)
        np.testing.assert_allclose(result.equilibrium[1], [0.5, 0.5], atol=1e-12)
    np.testing.assert_allclose(result.equilibrium[2], start[2], atol=1e-12)


def test_answer_does_not_depend_on_payoff_unit() -> None:
    game = next(g for g in (random_game((3, 3, 2), seed=s) for s in range(100)) if g.pure_nash() == [])
    scaled = NormalFormGame(1e4 * game.payoffs - 3.0)
    first, second = simplicial_subdivision_solve(game), simplicial_subdivision_solve(scaled)
    assert second.converged and second.certificate[0] <= 1e-9 * 1e4
    assert distance(first.equilibrium, tuple(tuple(s) for s in second.equilibrium)) <= 1e-9


def test_deterministic_and_parameters_recorded() -> None:
    game = random_game((4, 4, 4), seed=5)
    first, second = simplicial_subdivision_solve(game), simplicial_subdivision_solve(game)
    for a, b in zip(first.equilibrium, second.equilibrium, strict=True):
        np.testing.assert_array_equal(a, b)
    assert first.iterations == second.iterations
    params = first.parameters
    assert params["tol"] == 1e-9 and params["start"] is None and params["max_iterations"] == 10_000_000
    assert params["path"] >= 0 and params["stages"] >= 1 and 0 < params["mesh"] <= 0.5


def test_race_is_deterministic_for_a_seed() -> None:
    # A game on which the first path is slow enough for the race to start, and another path wins.
    raced = [g for g in (random_game((6, 6, 6), seed=s) for s in range(60))
             if simplicial_subdivision_solve(g).parameters["path"] > 0]
    assert raced
    game = raced[0]
    first, again = simplicial_subdivision_solve(game, seed=0), simplicial_subdivision_solve(game, seed=0)
    assert first.converged and first.parameters["path"] > 0
    for a, b in zip(first.equilibrium, again.equilibrium, strict=True):
        np.testing.assert_array_equal(a, b)
    other = simplicial_subdivision_solve(game, seed=1)
    assert other.converged and other.certificate[0] <= 1e-9 and other.parameters["seed"] == 1


# -- budgets -------------------------------------------------------------------------------------------------

def test_iteration_budget_stops_early_without_raising() -> None:
    game = cyclic_pennies()
    stopped = simplicial_subdivision_solve(game, max_iterations=1)
    assert not stopped.converged and stopped.iterations == 1
    assert stopped.certificate[0] == max_regret(game, stopped.equilibrium) > 1e-9
    assert simplicial_subdivision_solve(game, max_iterations=None, max_seconds=None).converged


def test_time_budget_returns_a_profile() -> None:
    game = random_game((6, 6, 6), seed=3)
    result = simplicial_subdivision_solve(game, max_seconds=1e-9)
    assert len(result.equilibria) == 1
    assert result.converged == (result.certificate[0] <= 1e-9)


# -- bad input -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("options", [
    {"tol": 0.0}, {"tol": -1e-9}, {"tol": float("nan")}, {"tol": "small"}, {"max_iterations": 0},
    {"max_iterations": 1.5}, {"max_iterations": True}, {"max_seconds": 0.0}, {"max_seconds": -1.0}, {"seed": -1},
    {"seed": 1.5}, {"seed": True},
])
def test_bad_parameters_raise(options: dict[str, object]) -> None:
    with pytest.raises(GameError, match="simplicial_subdivision_solve"):
        simplicial_subdivision_solve(cyclic_pennies(), **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("start", [
    (np.full(2, 0.5), np.full(2, 0.5)),  # two strategies for three players
    (np.full(3, 1 / 3), np.full(2, 0.5), np.full(2, 0.5)),  # wrong length
    (np.array([1.5, -0.5]), np.full(2, 0.5), np.full(2, 0.5)),  # not a probability vector
])
def test_bad_start_raises(start: tuple[np.ndarray, ...]) -> None:
    with pytest.raises(GameError, match="simplicial_subdivision_solve"):
        simplicial_subdivision_solve(cyclic_pennies(), start=start)


def test_not_a_game_raises() -> None:
    with pytest.raises(GameError, match="simplicial_subdivision_solve"):
        simplicial_subdivision_solve([[1, 2], [3, 4]])


# -- properties ----------------------------------------------------------------------------------------------

@st.composite
def small_games(draw: st.DrawFn, integer: bool) -> NormalFormGame:
    n = draw(st.integers(3, 4))
    shape = tuple(draw(st.lists(st.integers(2, 3), min_size=n, max_size=n)))
    if integer:  # many ties: degenerate games
        payoffs = draw(arrays(np.int64, (n, *shape), elements=st.integers(-3, 3))).astype(float)
    else:
        payoffs = draw(arrays(np.float64, (n, *shape), elements=st.floats(-1, 1, allow_subnormal=False)))
    return NormalFormGame(payoffs)


@settings(max_examples=40, deadline=None)
@given(small_games(integer=False))
def test_random_games_are_solved_and_certified(game: NormalFormGame) -> None:
    result = simplicial_subdivision_solve(game, max_seconds=5.0)
    assert result.converged
    assert result.certificate[0] <= 1e-9
    assert result.certificate[0] == max_regret(game, result.equilibrium)


@settings(max_examples=40, deadline=None)
@given(small_games(integer=True))
def test_degenerate_integer_games_are_solved_and_certified(game: NormalFormGame) -> None:
    result = simplicial_subdivision_solve(game, start=tuple(np.full(m, 1 / m) for m in game.n_actions),
                                          max_seconds=5.0)
    assert result.converged
    assert result.certificate[0] <= 1e-9


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([(2, 2, 2), (3, 3, 3), (2, 3, 4), (2, 2, 2, 2), (3, 2, 3, 2)]))
def test_games_without_pure_equilibria(seed: int, shape: tuple[int, ...]) -> None:
    game = random_game(shape, seed=seed)
    assume(game.pure_nash() == [])
    result = simplicial_subdivision_solve(game, max_seconds=5.0)
    assert result.converged and result.certificate[0] <= 1e-9
    assert result.parameters["path"] >= 0


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([(2, 3), (3, 2, 2), (2, 3, 2, 2)]), st.integers(0, 3))
def test_compiled_action_values_match_the_game(seed: int, shape: tuple[int, ...], zeros: int) -> None:
    rng = np.random.default_rng(seed)
    game = NormalFormGame(rng.normal(size=(len(shape), *shape)))
    profile = [rng.dirichlet(np.ones(m)) for m in shape]
    for _ in range(zeros):  # sparse profiles take the odometer over positive probabilities only
        i = int(rng.integers(len(shape)))
        if np.count_nonzero(profile[i]) > 1:
            profile[i][int(np.argmax(profile[i]))] = 0.0
            profile[i] /= profile[i].sum()
    n = len(shape)
    offsets = np.concatenate([[0], np.cumsum(shape)]).astype(np.int64)
    strides = np.array([int(np.prod(shape[i + 1:])) for i in range(n)], dtype=np.int64)
    values = np.empty(int(offsets[-1]))
    _n_player.action_values(game.payoffs.reshape(n, -1), offsets, strides, np.concatenate(profile), values,
                            np.empty(n, dtype=np.int64), np.empty(n + 1))
    expected = np.concatenate([game.action_values(profile, i) for i in range(n)])
    np.testing.assert_allclose(values, expected, rtol=1e-12, atol=1e-12)
