"""The shrinking interior point for large matrix games: answers certified on the full game, whatever it guessed."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import linalg
from scipy.optimize import linprog

from equilibria.solvers import _matrix_game_ipm as ipm
from equilibria.solvers._common import Budget
from equilibria.solvers._matrix_game_ipm import (
    _cholesky,
    _NormalEquations,
    _ShrinkingInteriorPoint,
    equalising_pair,
    solve_matrix_game,
)


def game_value(a: np.ndarray) -> float:
    """The value from the column player's LP with a free value variable (a formulation independent of the solver's)."""
    m, n = a.shape
    res = linprog(np.r_[np.zeros(n), 1.0], A_ub=np.hstack([a, -np.ones((m, 1))]), b_ub=np.zeros(m),
                  A_eq=np.r_[np.ones(n), 0.0][None, :], b_eq=[1.0], bounds=[(0, None)] * n + [(None, None)],
                  method="highs-ds")
    assert res.status == 0
    return float(res.x[-1])


def assert_minimax(a: np.ndarray, found: ipm.MatrixGameSolution) -> None:
    """A pair of distributions with the duality gap at rounding level on the FULL game, and the right value."""
    x, y = found.x, found.y
    assert x.shape == (a.shape[0],) and y.shape == (a.shape[1],)
    assert x.min() >= 0 and y.min() >= 0 and x.sum() == pytest.approx(1.0) and y.sum() == pytest.approx(1.0)
    assert (a @ y).max() - (x @ a).min() <= 1e-13 * np.ptp(a)
    assert float(x @ a @ y) == pytest.approx(game_value(a), abs=1e-9 * np.ptp(a))


@pytest.fixture
def constants(monkeypatch):
    """Set module constants of the interior point for one test."""

    def set_constants(**values: float) -> None:
        for name, value in values.items():
            monkeypatch.setattr(ipm, name, value)

    return set_constants


def test_shrinking_works_on_a_much_smaller_subgame_and_is_certified_on_the_full_game():
    a = np.random.default_rng(3).uniform(size=(300, 300))
    found = solve_matrix_game(a, Budget())
    assert found is not None
    assert_minimax(a, found)
    rows, columns = found.smallest_subgame
    assert rows < 200 and columns < 200  # the supports have about 150 strategies each
    plain = solve_matrix_game(a, Budget(), shrink=False)
    assert plain is not None and plain.smallest_subgame == (300, 300) and plain.restored == 0
    # A random game has one equilibrium: both ways find it.
    np.testing.assert_allclose(found.x, plain.x, atol=1e-12)
    np.testing.assert_allclose(found.y, plain.y, atol=1e-12)


def test_strategies_dropped_by_mistake_are_restored(constants):
    # Dropping half of each side at every step removes support strategies: they must come back.
    constants(_DROP_LEVEL=3.0, _DROP_BELOW_MEDIAN=0.0)
    a = np.random.default_rng(3).uniform(size=(300, 300))
    found = solve_matrix_game(a, Budget())
    assert found is not None and found.restored > 0 and found.smallest_subgame[0] < 100
    assert_minimax(a, found)


def test_late_restores_resume_from_a_snapshot_and_too_many_end_shrinking(constants):
    # Every restore counts as late: the iteration resumes from a snapshot ...
    constants(_DROP_LEVEL=3.0, _DROP_BELOW_MEDIAN=0.0, _LATE_RATIO=1.0)
    a = np.random.default_rng(3).uniform(size=(300, 300))
    found = solve_matrix_game(a, Budget())
    assert found is not None and found.restarts > 0
    assert_minimax(a, found)
    # ... and once the restarts are used up, the working set is the full game and stays so.
    constants(_MAX_RESTARTS=0)
    solver = _ShrinkingInteriorPoint(a, Budget(), shrink=True)
    found = solver.run()
    assert found is not None and found.restarts == 1
    assert not solver.shrinking and len(solver.point.rows) == len(solver.point.columns) == 300
    assert_minimax(a, found)


@pytest.mark.parametrize("shape", [(400, 120), (120, 400)], ids=["tall", "wide"])
def test_rectangular_games(shape):
    a = np.random.default_rng(5).normal(size=shape)
    found = solve_matrix_game(a, Budget())
    assert found is not None
    assert_minimax(a, found)
    assert found.smallest_subgame[0] <= shape[0] and found.smallest_subgame[1] <= shape[1]


def test_float32_solves_are_refined_and_flagged_when_their_forward_error_is_large():
    rng = np.random.default_rng(0)
    p = 1 + rng.uniform(size=(40, 12))
    rhs = rng.normal(size=12)
    weights, diagonal = np.ones(40), np.full(12, 1e-9)
    for closeness, accurate in ((1e-1, True), (1e-2, False)):  # two nearly equal columns: condition 1e5, 1e7
        q = p.copy()
        q[:, 1] = q[:, 0] + closeness * np.linspace(0, 1, 40)
        matrix = q.T @ q + np.diag(diagonal)
        normal = linalg.blas.ssyrk(1.0, q.T.astype(np.float32), trans=0, lower=0)
        single = _cholesky(normal, diagonal.astype(np.float32))
        assert single is not None  # float32 factors it either way ...
        equations = _NormalEquations(q, single, weights, diagonal)
        dw = equations.solve(rhs)
        assert equations.accurate == accurate  # ... but only the first is accurate enough to steer by
        if accurate:  # float32 digits, refined once: a relative forward error near 1e-6
            exact = np.linalg.solve(matrix, rhs)
            assert np.abs(dw - exact).max() <= 1e-5 * np.abs(exact).max()
        double = _NormalEquations(q, linalg.cho_factor(matrix), weights, diagonal)
        double.solve(rhs)
        assert double.accurate  # float64 is never second-guessed


def test_game_that_unrefined_float32_steps_got_wrong():
    # Regression: float32 directions without refinement or check led this game to a face without a support row of
    # weight 5e-4; the crossover then never passed.
    a = np.random.default_rng(145027465).normal(size=(11, 11))
    solver = _ShrinkingInteriorPoint(a, Budget(), shrink=True)
    assert solver._step() and solver.single_precision  # the first steps are float32
    found = solver.run()
    assert found is not None and not solver.single_precision
    assert_minimax(a, found)
    assert np.count_nonzero(found.x) == np.count_nonzero(found.y) == 5


def test_degenerate_games_are_declined_or_certified():
    rng = np.random.default_rng(8)
    duplicated = np.repeat(np.repeat(rng.uniform(size=(60, 50)), 2, axis=0), 3, axis=1)
    assert solve_matrix_game(duplicated, Budget()) is None  # supports of different sizes: HiGHS's job
    for a in (rng.integers(-2, 3, (150, 150)).astype(float), np.add.outer(rng.uniform(size=120), np.zeros(90))):
        found = solve_matrix_game(a, Budget())
        if found is not None:
            assert_minimax(a, found)


def test_constant_matrix_any_pair_is_minimax():
    found = solve_matrix_game(np.full((3, 4), 2.5), Budget())
    assert found is not None and found.iterations == 0
    np.testing.assert_allclose(found.x, 1 / 3)
    np.testing.assert_allclose(found.y, 1 / 4)


def test_budget_stops_the_iteration():
    a = np.random.default_rng(4).uniform(size=(300, 300))
    assert solve_matrix_game(a, Budget(max_iterations=2)) is None
    assert solve_matrix_game(a, Budget(max_seconds=1e-9)) is None
    found = solve_matrix_game(a, Budget(max_iterations=60))
    assert found is not None and found.iterations < 60


def test_equalising_pair_on_known_games():
    # Row payoffs [[2, -1], [-1, 1]] shifted to positive: x = y = (2/5, 3/5).
    p = np.array([[2.0, -1.0], [-1.0, 1.0]]) + 2.0
    x, y = equalising_pair(p, np.array([0, 1]), np.array([0, 1]))
    np.testing.assert_allclose(x, [0.4, 0.6], atol=1e-15)
    np.testing.assert_allclose(y, [0.4, 0.6], atol=1e-15)
    # A dominated row in the guessed support needs a negative weight: no pair.
    q = np.array([[3.0, 1.0], [2.0, 0.5]])
    assert equalising_pair(q, np.array([0, 1]), np.array([0, 1])) is None
    # A singular block: no pair, no warning.
    assert equalising_pair(np.ones((3, 3)), np.arange(2), np.arange(2)) is None


@given(st.integers(50, 130), st.integers(50, 130), st.integers(0, 2**32 - 1), st.booleans())
@settings(max_examples=20, deadline=None)
def test_random_games_shrinking_answers_are_certified(m, n, seed, continuous):
    rng = np.random.default_rng(seed)
    a = rng.uniform(size=(m, n)) if continuous else rng.integers(-5, 6, (m, n)).astype(float)
    found = solve_matrix_game(a, Budget())
    if continuous:  # nondegenerate (almost surely): the crossover succeeds
        assert found is not None
    if found is not None:
        assert_minimax(a, found)
