"""The zero-sum LP: known values, exact mode, certificates and an independent LP cross-check."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from equilibria import GameError, NormalFormGame, NotApplicableError
from equilibria.metrics.regret import max_regret
from equilibria.solvers._common import Budget
from equilibria.solvers.zero_sum_lp import _dense_interior_point, _polish, zero_sum_lp_solve

MATCHING_PENNIES = [[1, -1], [-1, 1]]
RPS = [[0, -1, 1], [1, 0, -1], [-1, 1, 0]]


def column_player_value(a: np.ndarray) -> float:
    """The game value from the column player's LP, a formulation independent of the solver's.

    min v  s.t.  A y <= v 1,  1^T y = 1,  y >= 0,  v free  (no shift, an equality row, a free variable).
    """
    m, n = a.shape
    res = linprog(np.r_[np.zeros(n), 1.0], A_ub=np.hstack([a, -np.ones((m, 1))]), b_ub=np.zeros(m),
                  A_eq=np.r_[np.ones(n), 0.0][None, :], b_eq=[1.0], bounds=[(0, None)] * n + [(None, None)],
                  method="highs-ds")
    assert res.status == 0
    return float(res.x[-1])


def two_by_two_value(a: np.ndarray) -> float:
    """Brute force for 2x2: a pure saddle point if there is one, else the classical mixed formula."""
    maximin, minimax = a.min(axis=1).max(), a.max(axis=0).min()
    if maximin == minimax:
        return float(maximin)
    return float((a[0, 0] * a[1, 1] - a[0, 1] * a[1, 0]) / (a[0, 0] + a[1, 1] - a[0, 1] - a[1, 0]))


def test_textbook_2x2_float():
    result = zero_sum_lp_solve(NormalFormGame.zero_sum([[2, -1], [-1, 1]]))
    x, y = result.equilibrium
    np.testing.assert_allclose(x, [0.4, 0.6], atol=1e-9)
    np.testing.assert_allclose(y, [0.4, 0.6], atol=1e-9)
    np.testing.assert_allclose(result.values[0], [0.2, -0.2], atol=1e-9)
    assert result.method == "zero_sum_lp" and result.converged and result.certificate[0] <= 1e-12


def test_textbook_2x2_exact():
    result = zero_sum_lp_solve(NormalFormGame.zero_sum([[2, -1], [-1, 1]]), rational=True)
    x, y = result.equilibrium
    assert list(x) == [Fraction(2, 5), Fraction(3, 5)] and list(y) == [Fraction(2, 5), Fraction(3, 5)]
    assert list(result.values[0]) == [Fraction(1, 5), Fraction(-1, 5)]
    assert result.rational and result.certificate[0] == 0


@pytest.mark.parametrize("matrix", [MATCHING_PENNIES, RPS], ids=["matching-pennies", "rock-paper-scissors"])
@pytest.mark.parametrize("rational", [False, True])
def test_symmetric_games_have_value_zero_and_uniform_strategies(matrix, rational):
    result = zero_sum_lp_solve(NormalFormGame.zero_sum(matrix), rational=rational)
    uniform = np.full(len(matrix), 1 / len(matrix))
    for strategy in result.equilibrium:
        np.testing.assert_allclose(np.asarray(strategy, dtype=float), uniform, atol=1e-12)
    assert result.values[0][0] == 0 if rational else abs(result.values[0][0]) <= 1e-12
    if rational:
        assert all(s == Fraction(1, len(matrix)) for strategy in result.equilibrium for s in strategy)


def test_constant_sum_game_is_solved_like_its_zero_sum_part():
    a = np.array([[3, 0, 2], [1, 2, 0]])
    game = NormalFormGame.bimatrix(a, 5 - a)
    exact = zero_sum_lp_solve(game, rational=True)
    reference = zero_sum_lp_solve(NormalFormGame.zero_sum(a), rational=True)
    assert [list(s) for s in exact.equilibrium] == [list(s) for s in reference.equilibrium]
    assert exact.values[0][0] + exact.values[0][1] == 5 and exact.certificate[0] == 0


def test_degenerate_games_exact():
    # Duplicate rows and columns, a dominated row, a constant matrix, a single row: the answer stays exact.
    for matrix in ([[1, 1], [1, 1]], [[1, 2, 2], [1, 2, 2], [0, 3, 3]], [[3, 1, 4, 1, 5]], [[2], [7], [7]],
                   [[0, 0, 1], [0, 0, -1], [1, -1, 0]]):
        result = zero_sum_lp_solve(NormalFormGame.zero_sum(matrix), rational=True)
        assert result.certificate[0] == 0, matrix
        value = Fraction(column_player_value(np.array(matrix, float))).limit_denominator(1000)
        assert result.values[0][0] == value


def test_general_sum_game_is_rejected_with_the_fix():
    with pytest.raises(NotApplicableError, match="lemke_howson_solve or vertex_enumeration_solve"):
        zero_sum_lp_solve(NormalFormGame.bimatrix([[3, 0], [5, 1]], [[3, 5], [0, 1]]))


def test_bad_input():
    with pytest.raises(NotApplicableError, match="two-player"):
        zero_sum_lp_solve(NormalFormGame(np.zeros((3, 2, 2, 2))))
    with pytest.raises(GameError, match=r"zero_sum_lp_solve\(game\)"):
        zero_sum_lp_solve([[1, -1], [-1, 1]])
    with pytest.raises(GameError, match=r"zero_sum_lp_solve\(rational\)"):
        zero_sum_lp_solve(NormalFormGame.zero_sum(MATCHING_PENNIES), rational="yes")
    with pytest.raises(GameError, match="max_seconds"):
        zero_sum_lp_solve(NormalFormGame.zero_sum(MATCHING_PENNIES), max_seconds=0)


def test_time_budget_stops_with_an_empty_unconverged_result():
    for size in (30, 300):  # HiGHS, then the dense interior point
        game = NormalFormGame.zero_sum(np.random.default_rng(size).uniform(size=(size, size)))
        result = zero_sum_lp_solve(game, max_seconds=1e-9)
        assert not result.converged and len(result) == 0


@st.composite
def zero_sum_matrices(draw):
    m, n = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if draw(st.booleans()):
        return rng.integers(-3, 4, (m, n)).astype(float)  # ties and degeneracy are common
    return rng.normal(scale=10.0 ** draw(st.integers(-3, 3)), size=(m, n))


@given(zero_sum_matrices())
@settings(max_examples=150, deadline=None)
def test_random_games_certified_and_value_matches_independent_lp(a):
    result = zero_sum_lp_solve(NormalFormGame.zero_sum(a))
    x, y = result.equilibrium
    scale = max(1e-300, float(np.ptp(a)))
    assert result.certificate[0] <= 1e-9 * scale
    # The duality gap (row's guarantee vs column's) is the sharper certificate in zero-sum games.
    assert (a @ y).max() - (x @ a).min() <= 1e-9 * scale
    value = result.values[0][0]
    assert value == pytest.approx(float(x @ a @ y), abs=1e-12 * max(1.0, np.abs(a).max()))
    assert value == pytest.approx(column_player_value(a), abs=1e-9 * max(scale, 1e-12))
    if a.shape == (2, 2):
        assert value == pytest.approx(two_by_two_value(a), abs=1e-9 * max(scale, 1e-12))


@given(st.integers(1, 6), st.integers(1, 6), st.integers(0, 2**32 - 1))
@settings(max_examples=80, deadline=None)
def test_random_integer_games_exact(m, n, seed):
    a = np.random.default_rng(seed).integers(-4, 5, (m, n))
    game = NormalFormGame.zero_sum(a)
    result = zero_sum_lp_solve(game, rational=True)
    x, y = result.equilibrium
    assert x.dtype == object and all(isinstance(p, Fraction) for p in (*x, *y))
    assert result.certificate[0] == 0 and max_regret(game, (x, y)) == 0
    assert sum(x) == 1 and sum(y) == 1 and min(x) >= 0 and min(y) >= 0
    assert float(result.values[0][0]) == pytest.approx(column_player_value(a.astype(float)), abs=1e-9)


@given(st.integers(1, 12), st.integers(1, 12), st.integers(0, 2**32 - 1), st.integers(-3, 3))
@settings(max_examples=150, deadline=None)
def test_dense_interior_point_crossover_on_generic_games(m, n, seed, exponent):
    # Continuous payoffs give a nondegenerate game (almost surely): the crossover succeeds at rounding level.
    a = np.random.default_rng(seed).normal(scale=10.0**exponent, size=(m, n))
    found = _dense_interior_point(a, Budget())
    assert found is not None
    x, y, _ = found
    assert x.min() >= 0 and y.min() >= 0 and x.sum() == pytest.approx(1.0) and y.sum() == pytest.approx(1.0)
    assert (a @ y).max() - (x @ a).min() <= 1e-13 * np.ptp(a)


@given(st.integers(1, 10), st.integers(1, 10), st.integers(0, 2**32 - 1))
@settings(max_examples=100, deadline=None)
def test_dense_interior_point_declines_or_is_right_on_degenerate_games(m, n, seed):
    a = np.random.default_rng(seed).integers(-2, 3, (m, n)).astype(float)
    if np.ptp(a) == 0:
        return
    found = _dense_interior_point(a, Budget())
    if found is not None:  # None hands the game to HiGHS
        x, y, _ = found
        assert (a @ y).max() - (x @ a).min() <= 1e-13 * np.ptp(a)


def test_large_games_use_the_interior_point_and_stay_accurate():
    rng = np.random.default_rng(7)
    a = rng.uniform(-1, 1, (260, 200))
    result = zero_sum_lp_solve(NormalFormGame.zero_sum(a))
    x, y = result.equilibrium
    assert result.iterations < 40  # interior-point steps, not simplex pivots
    assert (a @ y).max() - (x @ a).min() <= 1e-13 * np.ptp(a)
    # Duplicated rows and columns make the game degenerate: the crossover declines and HiGHS answers.
    degenerate = np.repeat(np.repeat(rng.uniform(-1, 1, (70, 60)), 3, axis=0), 4, axis=1)
    assert _dense_interior_point(degenerate, Budget()) is None
    result = zero_sum_lp_solve(NormalFormGame.zero_sum(degenerate))
    x, y = result.equilibrium
    assert (degenerate @ y).max() - (x @ degenerate).min() <= 1e-9 * np.ptp(degenerate)
    assert result.values[0][0] == pytest.approx(column_player_value(degenerate), abs=1e-9)


def test_polish_restores_rounding_level_accuracy():
    a = np.random.default_rng(11).normal(size=(7, 9))
    x, y = zero_sum_lp_solve(NormalFormGame.zero_sum(a)).equilibrium
    # Perturb within the supports, as a loose LP tolerance would, then polish back.
    rough_x = np.where(x > 0, x * (1 + 1e-6 * np.arange(7)), 0.0)
    rough_y = np.where(y > 0, y * (1 - 1e-6 * np.arange(9)), 0.0)
    rough_x, rough_y = rough_x / rough_x.sum(), rough_y / rough_y.sum()
    assert (a @ rough_y).max() - (rough_x @ a).min() > 1e-8
    px, py = _polish(a, rough_x, rough_y)
    assert (a @ py).max() - (px @ a).min() <= 1e-13 * np.ptp(a)
    np.testing.assert_allclose(px, x, atol=1e-12)
    np.testing.assert_allclose(py, y, atol=1e-12)


def test_mid_size_games_use_the_interior_point():
    # From 10,000 payoff entries on the dense interior point answers (HiGHS would take hundreds of pivots).
    a = np.random.default_rng(12).uniform(-1, 1, (120, 100))
    result = zero_sum_lp_solve(NormalFormGame.zero_sum(a))
    x, y = result.equilibrium
    assert result.iterations < 40
    assert result.certificate[0] <= 1e-13 * np.ptp(a) and (a @ y).max() - (x @ a).min() <= 1e-13 * np.ptp(a)
    assert result.values[0][0] == pytest.approx(column_player_value(a), abs=1e-9 * np.ptp(a))


def test_exact_mode_after_the_interior_point():
    # Integer payoffs with a drift towards high rows and low columns: small supports, found by the interior point.
    rng = np.random.default_rng(1)
    a = rng.integers(-1000, 1001, (100, 110)) + 20 * np.arange(100)[:, None] - 20 * np.arange(110)[None, :]
    game = NormalFormGame.zero_sum(a)
    result = zero_sum_lp_solve(game, rational=True)
    x, y = result.equilibrium
    assert result.iterations < 40 and result.rational
    assert result.certificate[0] == 0 and max_regret(game, (x, y)) == 0 and sum(x) == 1 and sum(y) == 1
    assert float(result.values[0][0]) == pytest.approx(column_player_value(a.astype(float)), abs=1e-9 * np.ptp(a))


def test_benchmark_like_game_certified_through_the_public_api():
    # The benchmark's uniform games (seeds [0, 4, n]), at a size the test suite can afford.
    a = np.random.default_rng([0, 4, 400]).random((400, 400))
    game = NormalFormGame.zero_sum(a)
    result = zero_sum_lp_solve(game, max_seconds=60)
    x, y = result.equilibrium
    assert result.converged and result.iterations < 40
    assert result.certificate[0] <= 1e-13 * np.ptp(a) and (a @ y).max() - (x @ a).min() <= 1e-13 * np.ptp(a)
    assert np.count_nonzero(x) == np.count_nonzero(y)  # the crossover's square supports
