"""Polynomial support enumeration: known answers (McKelvey-McLennan, Nau et al., van der Laan et al.), the
two-player cross-check against vertex enumeration, properties of random 2x2x2 games, the exact algebra, budgets.

The Gambit games below are copied from Gambit's example files (data, see tests/data/gambit/README.md).
"""

from __future__ import annotations

import functools
import io
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria import GameError, NormalFormGame
from equilibria.games.io import loads_nfg
from equilibria.metrics.regret import max_regret
from equilibria.solvers._polynomial_systems import affine_infeasible, simplest_between, solve_square_system
from equilibria.solvers.polynomial_enumeration import polynomial_enumeration_solve
from equilibria.solvers.pure import pure_solve
from equilibria.solvers.qre import qre_solve
from equilibria.solvers.vertex_enumeration import vertex_enumeration_solve

F = Fraction

# contrib/games/2x2x2.nfg
MCKELVEY_MCLENNAN = """NFG 1 R "2x2x2 Example from McKelvey-McLennan, with 9 Nash equilibria, 2 totally mixed"
{ "Player 1" "Player 2" "Player 3" } { { "1" "2" } { "1" "2" } { "1" "2" } } ""
{ { "" 9, 8, 12 } { "" 0, 0, 0 } { "" 0, 0, 0 } { "" 9, 8, 2 } { "" 0, 0, 0 } { "" 3, 4, 6 } { "" 3, 4, 6 }
{ "" 0, 0, 0 } } 1 2 3 4 5 6 7 8
"""
# catalog/journals/ijgt/nau2004/sec4.nfg: a unique Nash equilibrium, in irrational strategies.
NAU_SECTION_4 = """NFG 1 R "Three-player game with a unique Nash solution in irrational strategies"
{ "Player 1" "Player 2" "Player 3" } { { "Top" "Bottom" } { "Left" "Right" } { "1" "2" } } ""
{ { "" 3, 0, 2 } { "" 0, 1, 0 } { "" 0, 2, 0 } { "" 1, 0, 0 } { "" 1, 0, 0 } { "" 0, 3, 0 } { "" 0, 1, 0 }
{ "" 2, 0, 3 } } 1 2 3 4 5 6 7 8
"""
# catalog/journals/ijgt/nau2004/sec5.nfg: 3 pure equilibria and continua of mixed ones.
NAU_SECTION_5 = """NFG 1 R "Game with a continuum of completely mixed-strategy Nash equilibria"
{ "Player 1" "Player 2" "Player 3" } { { "Top" "Bottom" } { "Left" "Right" } { "1" "2" } } ""
{ { "" 0, 0, 2 } { "" 3, 0, 0 } { "" 0, 3, 0 } { "" 0, 0, 0 } { "" 1, 1, 0 } { "" 0, 0, 0 } { "" 0, 0, 0 }
{ "" 0, 0, 3 } } 1 2 3 4 5 6 7 8
"""
# contrib/games/g1.nfg: van der Laan et al., 2x2x2, no pure and one totally mixed equilibrium.
VAN_DER_LAAN_G1 = """NFG 1 D "van der Laan et al. Three person, 2x2x2 example with no pure, 1 totally mixed equilibria"
{ "Player 1" "Player 2" "Player 3" } { { "1" "2" } { "1" "2" } { "1" "2" } }
-1 -4 -4 -8 -2 -4 -8 -2 -1 -2 -1 -2 -2 -2 -8 -8 -1 -2 -5 -6 -8 -2 -3 -1
"""
# contrib/games/g3.nfg: van der Laan et al., 2x2x2x2, no pure and five mixed equilibria.
VAN_DER_LAAN_G3 = """NFG 1 D "van der Laan et al. Four person, 2x2x2x2 example with no pure, and five mixed equilibria"
{ "Player 1" "Player 2" "Player 3" "Player 4" } { { "1" "2" } { "1" "2" } { "1" "2" } { "1" "2" } }
-3 -4 -1 -6 -4 -5 -3 -3 -3 -5 -3 -5 -1 -8 -3 -3 -4 -2 -2 -3 -4 -3 -4 -2 -4 -7 -6 -1 -6 -3 -1 -2
-3 -6 -6 -2 -1 -3 -3 -4 -3 -2 -3 -5 -1 -6 -2 -1 -2 -4 -2 -6 -3 -6 -6 -7 -1 -4 -5 -3 -8 -5 -5 -5
"""
# contrib/games/2x2x2x2.nfg: four players, 3 Nash equilibria.
FOUR_PLAYER = """NFG 1 R "Four person, 2x2x2x2 game with 3 Nash equilibria" { "1" "2" "3" "4" }
{ { "1" "2" } { "1" "2" } { "1" "2" } { "1" "2" } } ""
{ { "" 1.131, 1.210, 2.426, 2.429 } { "" 4.225, 5.277, 4.837, 5.645 } { "" 4.452, 4.549, 1.655, 1.347 }
{ "" 7.566, 4.655, 7.076, 4.423 } { "" 1.223, 1.358, 2.234, 2.238 } { "" 4.483, 5.764, 4.995, 5.754 }
{ "" 4.564, 4.326, 1.762, 1.576 } { "" 7.247, 4.943, 7.362, 4.382 } { "" 2.326, 2.422, 3.222, 3.024 }
{ "" 1.478, 2.544, 1.973, 7.486 } { "" 2.747, 2.243, 3.518, 3.062 } { "" 1.759, 2.705, 1.735, 4.043 }
{ "" 5.255, 5.334, 2.643, 2.873 } { "" 4.383, 1.436, 4.864, 5.267 } { "" 5.634, 5.675, 2.455, 6.523 }
{ "" 4.642, 1.897, 4.042, 3.830 } } 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16
"""


@functools.cache
def _solved(text: str, rational: bool = False):  # noqa: ANN202 - shared by the known-answer and pygambit tests
    return polynomial_enumeration_solve(loads_nfg(text), rational=rational)


def _exact(profile: tuple[np.ndarray, ...]) -> tuple[tuple[Fraction, ...], ...]:
    return tuple(tuple(F(v) for v in s) for s in profile)


def _flat(profile: tuple[np.ndarray, ...]) -> np.ndarray:
    return np.concatenate([np.asarray(s, dtype=float) for s in profile])


def _contains(profiles: tuple, target: tuple, tol: float = 1e-7) -> bool:
    return any(np.max(np.abs(_flat(p) - _flat(target))) <= tol for p in profiles)


# -- known answers -------------------------------------------------------------------------------------------


def test_mckelvey_mclennan_game_has_its_nine_equilibria_exactly() -> None:
    result = _solved(MCKELVEY_MCLENNAN, True)
    h, t, q = F(1, 2), F(1, 3), F(1, 4)
    # McKelvey and McLennan (1997): 4 pure, 3 partly mixed, 2 totally mixed (the file's title and Gambit's list).
    expected = {
        ((1, 0), (1, 0), (1, 0)), ((1, 0), (0, 1), (0, 1)), ((0, 1), (1, 0), (0, 1)), ((0, 1), (0, 1), (1, 0)),
        ((h, h), (h, h), (1, 0)), ((t, 1 - t), (1, 0), (q, 1 - q)), ((0, 1), (q, 1 - q), (t, 1 - t)),
        ((h, h), (F(2, 5), F(3, 5)), (q, 1 - q)), ((F(2, 5), F(3, 5)), (h, h), (t, 1 - t)),
    }
    assert {_exact(p) for p in result.equilibria} == expected
    assert len(result) == 9
    assert result.certificate == (0,) * 9  # exact max regret of exact profiles
    assert result.complete is True and result.converged and result.rational
    assert result.method == "polynomial_enumeration"
    assert result.parameters["irrational"] == () and result.parameters["incomplete_supports"] == ()


def test_payoffs_are_the_files_fractions() -> None:
    # The McKelvey-McLennan game with every payoff divided by 3 in the file (8/3, 2/3, 4/3 have no exact float):
    # the same nine equilibria, exactly, with exact certificates 0 against the file's numbers.
    thirds = (MCKELVEY_MCLENNAN.replace("9, 8, 12", "3, 8/3, 4").replace("9, 8, 2", "3, 8/3, 2/3")
              .replace("3, 4, 6", "1, 4/3, 2"))
    result = polynomial_enumeration_solve(loads_nfg(thirds), rational=True)
    assert {_exact(p) for p in result.equilibria} == {_exact(p) for p in _solved(MCKELVEY_MCLENNAN, True).equilibria}
    assert result.certificate == (0,) * 9 and result.complete is True


def test_nau_game_has_one_irrational_equilibrium_matching_the_closed_form() -> None:
    # By hand, with p = P(Top), q = P(Left), r = P(1): the indifferences are q(1 + 2r) = (1 - q)(2 - r),
    # (1 - p)(3 - 2r) = p(1 + r) and 2pq = 3(1 - p)(1 - q); so q = (2 - r)/(3 + r), p = (3 - 2r)/(4 - r) and
    # 2(3 - 2r)(2 - r) = 3(1 + r)(1 + 2r), i.e. 2r^2 + 23r - 9 = 0: r = (sqrt(601) - 23) / 4.
    r = (math.sqrt(601) - 23) / 4
    p, q = (3 - 2 * r) / (4 - r), (2 - r) / (3 + r)
    result = _solved(NAU_SECTION_4)
    assert len(result) == 1 and result.complete is True
    (x, y, z) = result.equilibrium
    np.testing.assert_allclose([x[0], y[0], z[0]], [p, q, r], atol=1e-12, rtol=0)
    assert result.parameters["irrational"] == (0,)
    assert result.certificate[0] <= 1e-11


def test_irrational_equilibrium_as_fractions_within_precision() -> None:
    game = loads_nfg(NAU_SECTION_4)
    result = polynomial_enumeration_solve(game, rational=True, precision=1e-30)
    (x, y, z) = result.equilibrium
    assert all(isinstance(v, Fraction) for s in (x, y, z) for v in s)
    assert all(sum(s) == 1 for s in (x, y, z))
    # r = (sqrt(601) - 23) / 4 to 40 digits, with integer square roots.
    scale = 10**40
    r_low = Fraction(math.isqrt(601 * scale**2) - 23 * scale, 4 * scale)
    assert abs(z[0] - r_low) <= F(1, 10**30) + F(1, scale)
    assert 2 * z[0] ** 2 + 23 * z[0] - 9 != 0  # not the exact (irrational) root ...
    assert abs(2 * z[0] ** 2 + 23 * z[0] - 9) < F(1, 10**28)  # ... but within precision of it
    certificate = result.certificate[0]
    assert isinstance(certificate, Fraction) and 0 < certificate < F(1, 10**28)
    assert result.parameters["irrational"] == (0,)


def test_continuum_of_equilibria_makes_the_result_incomplete() -> None:
    game = loads_nfg(NAU_SECTION_5)
    result = polynomial_enumeration_solve(game, rational=True)
    assert result.complete is False and result.converged
    # By hand: against (Top, Right) player 3 is indifferent, player 1 too, and Right is a best reply when
    # P(1) >= 1/4: (Top, Right, (r, 1 - r)) is an equilibrium for every r in [1/4, 1).
    supports = [support for support, reason in result.parameters["incomplete_supports"]]
    assert ((0,), (1,), (0, 1)) in supports
    assert all(reason == "positive-dimensional" for _, reason in result.parameters["incomplete_supports"])
    pure = {_exact(p) for p in pure_solve(game).equilibria}
    assert len(pure) == 3 and pure <= {_exact(p) for p in result.equilibria}
    assert all(c == 0 for c in result.certificate)
    continuum_point = (np.array([F(1), F(0)], dtype=object), np.array([F(0), F(1)], dtype=object),
                       np.array([F(1, 2), F(1, 2)], dtype=object))
    assert max_regret(game, continuum_point) == 0


def test_van_der_laan_games_have_their_documented_equilibria() -> None:
    three = _solved(VAN_DER_LAAN_G1, True)
    assert len(three) == 1 and three.complete is True and three.certificate == (0,)
    assert all(0 < v < 1 for s in three.equilibrium for v in s)  # totally mixed
    four = _solved(VAN_DER_LAAN_G3)
    assert four.complete is True
    assert len(four) == 5  # "no pure, and five mixed equilibria" (the file's title)
    assert not any(all(np.max(s) == 1 for s in p) for p in four.equilibria)  # none of them pure
    assert max(four.certificate) <= 1e-10
    assert not pure_solve(loads_nfg(VAN_DER_LAAN_G3)).equilibria


def test_four_player_gambit_game_has_three_equilibria() -> None:
    result = _solved(FOUR_PLAYER)
    assert len(result) == 3 and result.complete is True
    assert max(result.certificate) <= 1e-12


def test_matches_pygambit_enumpoly_on_gambit_games() -> None:
    gbt = pytest.importorskip("pygambit")
    for text, rational in ((MCKELVEY_MCLENNAN, True), (NAU_SECTION_4, False), (VAN_DER_LAAN_G1, True),
                           (VAN_DER_LAAN_G3, False), (FOUR_PLAYER, False)):
        peer = gbt.read_nfg(io.StringIO(text))
        theirs = gbt.nash.enumpoly_solve(peer, use_strategic=True)
        ours = _solved(text, rational)
        assert ours.complete is True
        for equilibrium in theirs.equilibria:
            profile = tuple(np.array([float(equilibrium[s]) for s in player.strategies]) for player in peer.players)
            assert _contains(ours.equilibria, profile, tol=1e-5), (text.splitlines()[0], profile)
        # Gambit's enumpoly misses one of the five equilibria of g3 (its list has four); ours are certified.
        assert len(ours) >= len(theirs.equilibria)
        assert max(float(c) for c in ours.certificate) <= 1e-10


# -- two players: the same set as vertex enumeration ---------------------------------------------------------


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_two_player_generic_games_match_vertex_enumeration(m: int, n: int, seed: int) -> None:
    game = NormalFormGame(np.random.default_rng(seed).normal(size=(2, m, n)))
    ours = polynomial_enumeration_solve(game)
    theirs = vertex_enumeration_solve(game)
    assert ours.complete is True
    assert len(ours) == len(theirs)
    assert all(_contains(ours.equilibria, p, tol=1e-9) for p in theirs.equilibria)
    assert max(ours.certificate) <= 1e-12


def test_two_player_exact_matches_exact_vertex_enumeration() -> None:
    game = NormalFormGame.bimatrix([[3, 0, 2], [0, 2, 1], [1, 1, 0]], [[2, 1, 0], [0, 3, 1], [2, 0, 1]])
    ours = polynomial_enumeration_solve(game, rational=True)
    theirs = vertex_enumeration_solve(game, rational=True)
    assert {_exact(p) for p in ours.equilibria} == {_exact(p) for p in theirs.equilibria}
    assert ours.complete is True and all(c == 0 for c in ours.certificate)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.lists(st.integers(-1, 1), min_size=18, max_size=18))
def test_two_player_degenerate_games_within_vertex_enumeration(m: int, n: int, entries: list[int]) -> None:
    payoffs = np.array(entries[: 2 * m * n], dtype=float).reshape(2, m, n)
    result = polynomial_enumeration_solve(NormalFormGame(payoffs), rational=True)
    ours = {_exact(p) for p in result.equilibria}
    extreme = {_exact(p) for p in vertex_enumeration_solve(NormalFormGame(payoffs), rational=True).equilibria}
    # An equilibrium isolated in its support's system is a vertex of the polytopes, so an extreme equilibrium;
    # complete means there are finitely many equilibria, all of them extreme.
    assert ours <= extreme
    if result.complete:
        assert ours == extreme


# -- random three-player games -------------------------------------------------------------------------------


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_generic_2x2x2_games_contain_pure_and_logit_equilibria(seed: int) -> None:
    game = NormalFormGame(np.random.default_rng(seed).normal(size=(3, 2, 2, 2)))
    result = polynomial_enumeration_solve(game)
    assert result.complete is True and len(result) >= 1
    assert max(result.certificate) <= 1e-9
    assert all(_contains(result.equilibria, p) for p in pure_solve(game).equilibria)
    logit = qre_solve(game)
    if logit.converged:
        assert _contains(result.equilibria, logit.equilibrium, tol=1e-6)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(-1, 1), min_size=24, max_size=24))
def test_degenerate_2x2x2_games_return_only_equilibria_and_every_pure_one(entries: list[int]) -> None:
    game = NormalFormGame(np.array(entries, dtype=float).reshape(3, 2, 2, 2))
    result = polynomial_enumeration_solve(game, rational=True)
    assert all(c <= F(1, 10**11) for c in result.certificate)
    # Pure supports have no unknowns: they are always solved, whatever the degeneracy.
    assert {_exact(p) for p in pure_solve(game).equilibria} <= {_exact(p) for p in result.equilibria}
    if result.complete:
        assert result.parameters["incomplete_supports"] == ()


def test_generic_3x3x3_game_with_float_payoffs_is_solved_completely() -> None:
    # 17-digit rational payoffs: the linear relaxation rules out every support with three mixing players here,
    # so no Groebner basis has to be computed over them.
    game = NormalFormGame(np.random.default_rng(0).normal(size=(3, 3, 3, 3)))
    result = polynomial_enumeration_solve(game)
    assert result.complete is True and len(result) >= 1
    assert max(result.certificate) <= 1e-12
    assert all(_contains(result.equilibria, p) for p in pure_solve(game).equilibria)


def test_degenerate_coordination_game_is_solved_completely() -> None:
    # Three players, payoff 1 to all when all three choose the same action: by hand, the two pure coordinations
    # and (1/2, 1/2) for everyone are the equilibria (with one or two players mixing, a mixing player is only
    # indifferent when the pure ones disagree, and a pure one then gains by switching).
    same = np.zeros((2, 2, 2))
    same[0, 0, 0] = same[1, 1, 1] = 1
    game = NormalFormGame(np.stack([same] * 3))
    result = polynomial_enumeration_solve(game, rational=True)
    assert result.complete is True
    half = (F(1, 2), F(1, 2))
    assert {_exact(p) for p in result.equilibria} == {((1, 0),) * 3, ((0, 1),) * 3, (half,) * 3}


def test_same_game_same_list() -> None:
    game = NormalFormGame(np.random.default_rng(3).integers(-5, 6, size=(3, 3, 2, 2)).astype(float))
    first, second = (polynomial_enumeration_solve(game, rational=True) for _ in range(2))
    assert [_exact(p) for p in first.equilibria] == [_exact(p) for p in second.equilibria]
    assert len({_exact(p) for p in first.equilibria}) == len(first)  # no duplicates


def test_one_player_and_constant_games() -> None:
    single = polynomial_enumeration_solve(NormalFormGame(np.array([[1.0, 3.0, 2.0]])))
    assert len(single) == 1 and single.complete is True
    np.testing.assert_array_equal(single.equilibrium[0], [0.0, 1.0, 0.0])
    constant = polynomial_enumeration_solve(NormalFormGame(np.zeros((3, 2, 2, 2))))
    assert len(constant) == 8 and constant.complete is False  # every profile is an equilibrium: a continuum


# -- budgets and inputs --------------------------------------------------------------------------------------


def test_budget_returns_what_it_has() -> None:
    game = NormalFormGame(np.random.default_rng(0).integers(-9, 10, size=(3, 3, 3, 3)).astype(float))
    by_time = polynomial_enumeration_solve(game, max_seconds=0.02)
    assert by_time.converged is False and by_time.complete is False
    assert by_time.parameters["stopped_by_budget"] is True
    assert by_time.seconds < 5
    by_count = polynomial_enumeration_solve(game, max_iterations=3)
    assert by_count.iterations == 3 and by_count.converged is False and by_count.complete is False
    assert all(c <= 1e-9 for c in by_count.certificate)


def test_time_budget_interrupts_a_long_groebner_basis() -> None:
    # Five players with two actions: systems with four or five mixing players take seconds to minutes each (up
    # to 44 complex solutions); the budget stops the one in progress.
    game = NormalFormGame(np.random.default_rng(0).normal(size=(5, 2, 2, 2, 2, 2)))
    result = polynomial_enumeration_solve(game, max_seconds=1.0)
    assert result.seconds < 2.5
    assert result.converged is False and result.complete is False
    assert result.parameters["incomplete_supports"][-1][1] == "budget"
    assert all(c <= 1e-9 for c in result.certificate)


@pytest.mark.parametrize("kwargs", [{"rational": 1}, {"precision": 0.0}, {"precision": 0.5}, {"precision": True},
                                    {"max_seconds": -1.0}, {"max_iterations": 0}])
def test_bad_arguments_raise(kwargs: dict) -> None:
    with pytest.raises(GameError):
        polynomial_enumeration_solve(NormalFormGame(np.zeros((2, 2, 2))), **kwargs)


def test_not_a_game_raises() -> None:
    with pytest.raises(GameError, match="polynomial_enumeration_solve"):
        polynomial_enumeration_solve(np.zeros((2, 2, 2)))


# -- the exact algebra ---------------------------------------------------------------------------------------


def _ring(n: int) -> tuple:
    from sympy import QQ
    from sympy.polys.orderings import grevlex
    from sympy.polys.rings import ring

    made = ring([f"x{k}" for k in range(n)], QQ, grevlex)
    return made[0], made[1:]


def test_system_whose_last_coordinate_does_not_separate_the_solutions() -> None:
    _, (x, y) = _ring(2)
    # x^2 = 2, y^2 = y: four real solutions, two of them on each value of y (a linear form separates them).
    solution = solve_square_system([x**2 - 2, y**2 - y], 2)
    assert solution.incomplete is None and len(solution.points) == 4
    values = sorted((float(np.mean(_enclose(px))), float(np.mean(_enclose(py)))) for px, py in solution.points)
    np.testing.assert_allclose(values, [(-math.sqrt(2), 0), (-math.sqrt(2), 1), (math.sqrt(2), 0),
                                        (math.sqrt(2), 1)], atol=1e-12)


def _enclose(value: object) -> tuple[Fraction, Fraction]:
    from equilibria.solvers._polynomial_systems import approximation

    return approximation(value, F(1, 10**15))


def test_system_with_a_double_root_and_complex_roots() -> None:
    _, (x, y) = _ring(2)
    double = solve_square_system([x**2, y - 1], 2)  # a double root: solved through the radical
    assert double.incomplete is None and double.points == [(F(0), F(1))]
    complex_only = solve_square_system([x**2 + 1, y], 2)
    assert complex_only.incomplete is None and complex_only.points == []
    curve = solve_square_system([x * y, 2 * x * y], 2)
    assert curve.incomplete == "positive-dimensional" and curve.points == []
    assert solve_square_system([x + 0 * y, y], 2).points == [(F(0), F(0))]


def test_fourier_motzkin_and_simplest_fractions() -> None:
    assert affine_infeasible([([F(1)], F(0), True), ([F(-1)], F(0), True)], 1) is True  # z > 0 and z < 0
    assert affine_infeasible([([F(1)], F(0), False), ([F(-1)], F(0), False)], 1) is False  # z = 0
    assert affine_infeasible([([F(1), F(1)], F(-1), False), ([F(-1), F(0)], F(0), True),
                              ([F(0), F(-1)], F(0), True)], 2) is True  # x + y >= 1, x < 0, y < 0
    assert simplest_between(F(1, 3) - F(1, 100), F(1, 3) + F(1, 100)) == F(1, 3)
    assert simplest_between(F(314, 100), F(315, 100)) == F(22, 7)
    assert simplest_between(F(3), F(3)) == 3
