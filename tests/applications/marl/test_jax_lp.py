"""The jit/vmap simplex: hand-solved LPs and its statuses, matrix-game values and correlated equilibria against the
HiGHS-based solvers (certified by regrets and CE gaps), degenerate games, padding masks, and a batch of 1,000."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria.applications.marl._jax_lp import (
    INFEASIBLE,
    ITERATION_CAP,
    OPTIMAL,
    UNBOUNDED,
    correlated_equilibrium,
    correlated_equilibrium_solve,
    linprog,
    matrix_game_solve,
    matrix_game_value,
)
from equilibria.core.errors import GameError
from equilibria.games.normal_form import NormalFormGame
from equilibria.metrics import regret
from equilibria.solvers.correlated_lp import correlated_solve
from equilibria.solvers.zero_sum_lp import zero_sum_lp_solve

WIDTH = 5  # every matrix game is padded to 5 x 5 (one compilation per dtype; masks say which actions exist)
CE_WIDTH = 4


def _random_matrix(seed: int, kind: str) -> np.ndarray:
    """A ``[m, n]`` game, ``m, n`` in 1..5: normal entries, small integers (ties), or duplicated rows/columns."""
    rng = np.random.default_rng(seed)
    m, n = (int(k) for k in rng.integers(1, WIDTH + 1, 2))
    if kind == "normal":
        return rng.normal(size=(m, n))
    a = rng.integers(-1, 2, (m, n)).astype(float) if kind == "ties" else rng.integers(-3, 4, (m, n)).astype(float)
    if kind == "duplicates":
        a[-1] = a[0]
        a[:, -1] = a[:, 0]
    return a


def _padded(a: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    m, n = a.shape
    padded = np.full((width, width), 1e3)  # garbage on the padding: the masks must hide it
    padded[:m, :n] = a
    return padded, np.arange(width) < m, np.arange(width) < n


# One compilation per function and dtype for the whole module (a simplex compiles in a few seconds).
_MATRIX = {False: jax.jit(matrix_game_solve), True: jax.jit(matrix_game_solve)}
_CORRELATED = {False: jax.jit(correlated_equilibrium_solve), True: jax.jit(correlated_equilibrium_solve)}
_LINPROG = jax.jit(linprog, static_argnames="max_iterations")


def _solve_matrix(a: np.ndarray, x64: bool) -> tuple[float, np.ndarray, np.ndarray, int, np.dtype]:
    """``a: [m, n]`` padded to 5 x 5: ``(value, x [m], y [n], status, dtype)``; the padding must get 0."""
    padded, rows, columns = _padded(a, WIDTH)
    with jax.enable_x64(x64):
        (value, x, y), status = _MATRIX[x64](padded, rows, columns)
    x, y = np.asarray(x, float), np.asarray(y, float)
    assert np.all(x[~rows] == 0) and np.all(y[~columns] == 0)
    return float(value), x[: a.shape[0]], y[: a.shape[1]], int(status), value.dtype


def _check_matrix_game(a: np.ndarray, x64: bool, tol: float) -> None:
    value, x, y, status, dtype = _solve_matrix(a, x64)
    assert dtype == (jnp.float64 if x64 else jnp.float32)
    assert status == OPTIMAL
    game = NormalFormGame.zero_sum(a)
    reference = zero_sum_lp_solve(game)
    scale = max(1.0, float(np.abs(a).max()))
    assert abs(value - reference.values[0][0]) <= tol * scale
    assert float(regret.max_regret(game, [x / x.sum(), y / y.sum()])) <= 10 * tol * scale


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(["normal", "ties", "integers", "duplicates"]))
def test_matrix_game_float32_matches_highs(seed: int, kind: str) -> None:
    _check_matrix_game(_random_matrix(seed, kind), x64=False, tol=1e-5)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(["normal", "ties", "integers", "duplicates"]))
def test_matrix_game_float64_matches_highs(seed: int, kind: str) -> None:
    _check_matrix_game(_random_matrix(seed, kind), x64=True, tol=1e-9)


def test_matrix_game_known_answers() -> None:
    # Matching pennies: value 0, both players 1/2.
    value, x, y, _, _ = _solve_matrix(np.array([[1.0, -1.0], [-1.0, 1.0]]), x64=False)
    np.testing.assert_allclose([value, *x, *y], [0, 0.5, 0.5, 0.5, 0.5], atol=1e-6)
    # Row 0 dominates: the saddle point (0, 1) with value 2.
    value, x, y, _, _ = _solve_matrix(np.array([[3.0, 2.0], [1.0, 0.0]]), x64=False)
    np.testing.assert_allclose([value, *x, *y], [2, 1, 0, 0, 1], atol=1e-6)
    # [[2, -1], [-1, 1]]: x = (2/5, 3/5), y = (2/5, 3/5), value 1/5.
    value, x, y, _, _ = _solve_matrix(np.array([[2.0, -1.0], [-1.0, 1.0]]), x64=True)
    np.testing.assert_allclose([value, *x, *y], [0.2, 0.4, 0.6, 0.4, 0.6], atol=1e-12)
    # A constant game: the value is the constant (the LP's degenerate case, every strategy optimal).
    value, x, y, status, _ = _solve_matrix(np.full((3, 2), 4.0), x64=False)
    assert status == OPTIMAL and abs(value - 4.0) < 1e-6
    assert abs(x.sum() - 1) < 1e-6 and abs(y.sum() - 1) < 1e-6


def _lp(c: list, a_ub: list, b_ub: list, a_eq: list | None = None, b_eq: list | None = None,
        max_iterations: int | None = None):
    """Pad to 4 variables (extra ones cost 1, appear nowhere: they stay 0), 3 inequality rows (0 <= 1) and 1
    equality row (0 = 0, a redundant row whose artificial stays basic), float64: one compilation for all."""
    c_pad = np.ones(4)
    c_pad[: len(c)] = c
    a_pad, b_pad = np.zeros((3, 4)), np.ones(3)
    a_pad[: len(a_ub), : len(c)] = a_ub
    b_pad[: len(b_ub)] = b_ub
    e_pad, f_pad = np.zeros((1, 4)), np.zeros(1)
    if a_eq is not None:
        e_pad[:, : len(c)] = a_eq
        f_pad[:] = b_eq
    with jax.enable_x64(True):
        return _LINPROG(c_pad, a_pad, b_pad, e_pad, f_pad, max_iterations=max_iterations)


def test_linprog_known_answers_and_statuses() -> None:
    # max x + y s.t. x + 2y <= 4, 3x + y <= 6, x + y >= 1: optimum (8/5, 6/5), duals (2/5, 1/5, 0).
    solution = _lp([-1.0, -1.0], [[1.0, 2.0], [3.0, 1.0], [-1.0, -1.0]], [4.0, 6.0, -1.0])
    assert int(solution.status) == OPTIMAL
    np.testing.assert_allclose(solution.x, [1.6, 1.2, 0, 0], atol=1e-12)
    np.testing.assert_allclose(solution.ub_duals, [0.4, 0.2, 0.0], atol=1e-12)
    # An equality row with a negative right-hand side: min x + 2y s.t. -x - y = -3, x <= 1 -> (1, 2), 5.
    solution = _lp([1.0, 2.0], [[1.0, 0.0]], [1.0], [[-1.0, -1.0]], [-3.0])
    assert int(solution.status) == OPTIMAL
    np.testing.assert_allclose([*solution.x[:2], float(solution.objective)], [1, 2, 5], atol=1e-12)
    np.testing.assert_allclose(solution.eq_duals, [-2.0], atol=1e-12)  # c - a_eq^T mu >= 0, tight on y
    assert int(_lp([1.0, 1.0], [[1.0, 1.0]], [-1.0]).status) == INFEASIBLE
    assert int(_lp([1.0, 1.0], [[1.0, 1.0]], [4.0], [[1.0, 1.0]], [5.0]).status) == INFEASIBLE
    assert int(_lp([-1.0, 0.0], [[-1.0, 1.0]], [1.0]).status) == UNBOUNDED
    capped = _lp([-1.0, -1.0], [[1.0, 2.0], [3.0, 1.0]], [4.0, 6.0], max_iterations=1)
    assert int(capped.status) == ITERATION_CAP and int(capped.iterations) == 1


def test_bland_rule_ends_on_a_cycling_lp() -> None:
    # Beale's (1955) example, which cycles under Dantzig's largest-coefficient rule; Bland's rule ends at -1/20.
    solution = _lp([-0.75, 150.0, -0.02, 6.0], [[0.25, -60.0, -0.04, 9.0], [0.5, -90.0, -0.02, 3.0],
                                                [0.0, 0.0, 1.0, 0.0]], [0.0, 0.0, 1.0])
    assert int(solution.status) == OPTIMAL
    assert abs(float(solution.objective) + 0.05) < 1e-12
    np.testing.assert_allclose(solution.x, [0.04, 0, 1, 0], atol=1e-12)


def _ce_padded(payoffs: np.ndarray) -> np.ndarray:
    padded = np.full((payoffs.shape[0],) + (CE_WIDTH,) * payoffs.shape[0], 50.0)
    padded[(slice(None), *(slice(0, k) for k in payoffs.shape[1:]))] = payoffs
    return padded


def _ce_masks(shape: tuple[int, ...]) -> tuple[np.ndarray, ...]:
    return tuple(np.arange(CE_WIDTH) < k for k in shape)


def _check_correlated(payoffs: np.ndarray, x64: bool, tol: float) -> None:
    shape = payoffs.shape[1:]
    padded, masks = _ce_padded(payoffs), _ce_masks(shape)
    with jax.enable_x64(x64):
        joint, status = _CORRELATED[x64](padded, masks)
    assert int(status) == OPTIMAL
    joint = np.asarray(joint, float)
    inside = joint[tuple(slice(0, k) for k in shape)]
    assert abs(inside.sum() - 1) < tol and joint.sum() == pytest.approx(inside.sum())
    game = NormalFormGame(payoffs)
    reference = correlated_solve(game)
    scale = max(1.0, float(np.abs(payoffs).max()))
    welfare = float((inside * payoffs.sum(axis=0)).sum())
    reference_welfare = float((reference.equilibria[0] * payoffs.sum(axis=0)).sum())
    assert abs(welfare - reference_welfare) <= 10 * tol * scale
    assert float(regret.ce_gap(game, inside / inside.sum())) <= 10 * tol * scale


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), ties=st.booleans(), x64=st.booleans())
def test_correlated_equilibrium_matches_highs(seed: int, ties: bool, x64: bool) -> None:
    rng = np.random.default_rng(seed)
    shape = tuple(int(k) for k in rng.integers(1, CE_WIDTH + 1, 2))
    payoffs = rng.integers(-2, 3, (2, *shape)).astype(float) if ties else rng.normal(size=(2, *shape))
    _check_correlated(payoffs, x64, 1e-9 if x64 else 1e-5)


def test_correlated_equilibrium_known_answers() -> None:
    # Chicken (Aumann 1974): the utilitarian CE puts 1/3 on each of (D, C), (C, D), (C, C)... with payoffs
    # [[0, 7], [2, 6]] (D = 0, C = 1): welfare-max CE is 1/4, 1/4 off-diagonal and 1/2 on (C, C), welfare 10.5.
    row = np.array([[0.0, 7.0], [2.0, 6.0]])
    with jax.enable_x64(True):
        joint = np.asarray(_CORRELATED[True](_ce_padded(np.stack([row, row.T])), _ce_masks((2, 2)))[0], float)
    np.testing.assert_allclose(joint[:2, :2], [[0.0, 0.25], [0.25, 0.5]], atol=1e-12)
    # Three players (2 x 2 x 3), compared with HiGHS.
    rng = np.random.default_rng(7)
    _check_correlated(rng.normal(size=(3, 2, 2, 3)), x64=True, tol=1e-9)
    # Weights [1, 0]: player 0's best CE in a coordination game is its favourite pure equilibrium.
    battle = np.array([[[3.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 3.0]]])
    np.testing.assert_allclose(jax.jit(correlated_equilibrium)(battle, objective=np.array([1.0, 0.0])),
                               [[1, 0], [0, 0]], atol=1e-6)


def test_vmap_over_a_thousand_games() -> None:
    rng = np.random.default_rng(3)
    games = rng.normal(size=(1000, WIDTH, WIDTH)).astype(np.float32)
    masks = np.ones((1000, WIDTH), bool)
    (values, xs, ys), status = jax.jit(jax.vmap(matrix_game_solve))(games, masks, masks)
    assert np.all(np.asarray(status) == OPTIMAL)
    # Every strategy pair certifies its value: the row guarantees it and the column holds the row to it.
    guaranteed = np.einsum("bi,bij->bj", np.asarray(xs), games).min(axis=1)
    conceded = np.einsum("bij,bj->bi", games, np.asarray(ys)).max(axis=1)
    assert np.max(np.abs(guaranteed - np.asarray(values))) < 1e-5
    assert np.max(np.abs(conceded - np.asarray(values))) < 1e-5
    for k in range(0, 1000, 100):  # and a sample against HiGHS
        assert abs(float(values[k]) - zero_sum_lp_solve(NormalFormGame.zero_sum(games[k].astype(float))).values[0][0]
                   ) < 1e-5
    value, _, _, _, _ = _solve_matrix(games[5], x64=False)  # the same answer unbatched
    assert abs(value - float(values[5])) < 1e-6


def test_bad_input() -> None:
    with pytest.raises(GameError, match="matrix_game_value"):
        matrix_game_value(np.ones(3))
    with pytest.raises(GameError, match="row_mask"):
        matrix_game_value(np.ones((2, 2)), np.ones(3, bool))
    with pytest.raises(GameError, match="objective"):
        correlated_equilibrium(np.ones((2, 2, 2)), objective="egalitarian")
    with pytest.raises(GameError, match="payoffs"):
        correlated_equilibrium(np.ones((3, 2, 2)))
    with pytest.raises(GameError, match="a_ub"):
        linprog(np.ones(2), np.ones((1, 3)), np.ones(1))
