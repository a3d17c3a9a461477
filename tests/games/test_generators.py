"""Game generators: shapes, seeds, distributions, and the structure claimed for the coordination and
Savani-von Stengel families, checked by small independent computations written here (support enumeration,
exact vertex enumeration, an exact Lemke-Howson pivot counter)."""

import importlib
import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria import GameError, NormalFormGame
from equilibria.games.generators import (
    coordination_game,
    covariance_game,
    morris_labels,
    random_game,
    random_integer_game,
    savani_von_stengel_game,
)
from equilibria.metrics.regret import max_regret

RANDOM_GENERATORS = [
    lambda shape, seed: random_game(shape, seed=seed),
    lambda shape, seed: random_integer_game(shape, seed=seed),
    lambda shape, seed: covariance_game(shape, rho=0.3, seed=seed) if len(shape) > 1 else random_game(shape,
                                                                                                      seed=seed),
]


# -- random families -------------------------------------------------------------------------------------
@pytest.mark.parametrize("generate", RANDOM_GENERATORS)
@pytest.mark.parametrize("shape", [(2, 2), (3, 1), (1, 4), (2, 3, 4), (2, 2, 2, 2), (5,)])
def test_shapes_and_seed_reproducibility(generate, shape):
    game = generate(shape, 7)
    assert isinstance(game, NormalFormGame)
    assert game.n_actions == shape and game.n_players == len(shape)
    np.testing.assert_array_equal(generate(shape, 7).payoffs, game.payoffs)
    np.testing.assert_array_equal(generate(shape, np.random.default_rng(7)).payoffs, game.payoffs)
    if math.prod(shape) * len(shape) >= 8:
        assert not np.array_equal(generate(shape, 8).payoffs, game.payoffs)


def test_a_shared_generator_advances_between_calls():
    rng = np.random.default_rng(0)
    first, second = random_game((3, 3), seed=rng), random_game((3, 3), seed=rng)
    assert not np.array_equal(first.payoffs, second.payoffs)


def test_uniform_game_respects_its_interval():
    payoffs = random_game((40, 50), seed=1, low=-2.0, high=3.0).payoffs
    assert payoffs.min() >= -2.0 and payoffs.max() < 3.0
    assert abs(payoffs.mean() - 0.5) < 0.1


def test_integer_game_is_integral_covers_both_ends_and_has_ties():
    payoffs = random_integer_game((30, 30), seed=2, low=-3, high=4).payoffs
    assert np.array_equal(payoffs, np.round(payoffs))
    assert set(np.unique(payoffs)) == set(range(-3, 5))
    # Degenerate on purpose: some column of the row player's matrix has a tied best response.
    row = payoffs[0]
    assert any(np.sum(row[:, j] == row[:, j].max()) > 1 for j in range(row.shape[1]))


def test_covariance_rho_one_gives_identical_payoffs():
    game = covariance_game((4, 3, 2), rho=1.0, seed=3)
    assert np.array_equal(game.payoffs[0], game.payoffs[1])
    assert np.array_equal(game.payoffs[1], game.payoffs[2])


def test_covariance_lowest_rho_gives_zero_sum_games():
    two = covariance_game((5, 6), rho=-1.0, seed=4)
    assert np.array_equal(two.payoffs[0], -two.payoffs[1])
    assert two.is_zero_sum(tol=0.0)
    three = covariance_game((3, 4, 5), rho=-0.5, seed=5)
    assert three.is_zero_sum(tol=0.0)
    assert np.all(three.payoffs.sum(axis=0) == 0.0)


@pytest.mark.parametrize(("shape", "rho"), [((150, 150), 0.5), ((150, 150), -0.6), ((30, 30, 30), 0.2),
                                             ((30, 30, 30), -0.4), ((12, 12, 12, 12), 0.0)])
def test_covariance_game_has_the_requested_moments(shape, rho):
    payoffs = covariance_game(shape, rho=rho, seed=6).payoffs.reshape(len(shape), -1)
    samples = payoffs.shape[1]
    tolerance = 5 / math.sqrt(samples)  # five standard errors of a sample correlation
    np.testing.assert_allclose(payoffs.mean(axis=1), 0.0, atol=tolerance)
    np.testing.assert_allclose(payoffs.var(axis=1), 1.0, atol=2 * tolerance)
    correlations = np.corrcoef(payoffs)
    for i, j in itertools.combinations(range(len(shape)), 2):
        assert abs(correlations[i, j] - rho) < tolerance


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: random_game((), seed=0), "non-empty sequence of positive integers"),
        (lambda: random_game((2, 0), seed=0), "positive integers"),
        (lambda: random_game(3, seed=0), "sequence of positive integers"),
        (lambda: random_game((2, 2.0), seed=0), "positive integers"),
        (lambda: random_game((2, 2), seed=0, low=1.0, high=1.0), "finite low < high"),
        (lambda: random_game((2, 2), seed=0, low=0.0, high=math.inf), "finite low < high"),
        (lambda: random_game((2, 2), seed=-1), "seed must be"),
        (lambda: random_game((2, 2), seed=1.5), "seed must be"),
        (lambda: random_game((2, 2), seed=None), "seed must be"),
        (lambda: random_integer_game((2, 2), seed=0, low=3, high=2), "low <= high"),
        (lambda: random_integer_game((2, 2), seed=0, low=0.5, high=2), "must be integers"),
        (lambda: covariance_game((2, 2), rho=-1.01, seed=0), r"\[-1, 1\]"),
        (lambda: covariance_game((2, 2, 2), rho=-0.6, seed=0), r"\[-0.5, 1\]"),
        (lambda: covariance_game((2, 2), rho=1.2, seed=0), "rho must lie"),
        (lambda: covariance_game((2, 2), rho=math.nan, seed=0), "rho must lie"),
        (lambda: covariance_game((2, 2), rho="0.5", seed=0), "rho must be a number"),
        (lambda: covariance_game((3,), rho=0.5, seed=0), "at least 2 players"),
        (lambda: coordination_game(0), "positive integer"),
        (lambda: savani_von_stengel_game(3), "even integer"),
        (lambda: savani_von_stengel_game(0), "even integer"),
        (lambda: savani_von_stengel_game(20), "even integer"),
        (lambda: morris_labels(5), "even integer"),
    ],
)
def test_bad_arguments_raise_one_line_game_error(call, message):
    with pytest.raises(GameError, match=message) as info:
        call()
    assert "\n" not in str(info.value)


@settings(max_examples=30, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4), seed=st.integers(0, 2**32))
def test_random_games_are_valid_and_reproducible(shape, seed):
    game = random_integer_game(shape, seed=seed, low=-2, high=2)
    assert game.n_actions == tuple(shape)
    assert game.payoffs.min() >= -2 and game.payoffs.max() <= 2
    np.testing.assert_array_equal(random_integer_game(shape, seed=seed, low=-2, high=2).payoffs, game.payoffs)


# -- coordination games ----------------------------------------------------------------------------------
def support_enumeration(game: NormalFormGame) -> list[tuple[np.ndarray, np.ndarray]]:
    """All equilibria of a nondegenerate bimatrix game: equal-size supports, indifference equations."""
    a, b = game.payoff_matrices()
    m, n = a.shape
    found = []
    for k in range(1, min(m, n) + 1):
        for rows in itertools.combinations(range(m), k):
            for cols in itertools.combinations(range(n), k):
                x = indifferent_mix(b[np.ix_(rows, cols)].T)  # x on rows makes the column player indifferent
                y = indifferent_mix(a[np.ix_(rows, cols)])
                if x is None or y is None:
                    continue
                full_x, full_y = np.zeros(m), np.zeros(n)
                full_x[list(rows)], full_y[list(cols)] = x, y
                if max_regret(game, (full_x, full_y)) <= 1e-12:
                    found.append((full_x, full_y))
    return found


def indifferent_mix(matrix: np.ndarray) -> np.ndarray | None:
    """The probability vector p with matrix @ p constant, or None if it is not unique and positive."""
    k = matrix.shape[0]
    system = np.block([[matrix, -np.ones((k, 1))], [np.ones((1, k)), np.zeros((1, 1))]])
    if abs(np.linalg.det(system)) < 1e-12:
        return None
    solution = np.linalg.solve(system, np.r_[np.zeros(k), 1.0])[:k]
    return solution if np.all(solution > 1e-12) else None


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_coordination_game_has_one_equilibrium_per_nonempty_support(n):
    game = coordination_game(n)
    np.testing.assert_array_equal(game.payoffs[0], np.eye(n))
    np.testing.assert_array_equal(game.payoffs[1], np.eye(n))
    # The identity game is nondegenerate (against x, player 2's best responses are argmax x, inside x's
    # support), so equilibria have equal-size supports and support enumeration finds all of them.
    equilibria = support_enumeration(game)
    assert len(equilibria) == 2**n - 1
    supports = {tuple(np.flatnonzero(x)) for x, _ in equilibria}
    assert supports == {s for k in range(1, n + 1) for s in itertools.combinations(range(n), k)}
    for x, y in equilibria:
        np.testing.assert_allclose(x, y)
        np.testing.assert_allclose(x[x > 0], 1 / np.count_nonzero(x))


# -- Savani-von Stengel / Morris -------------------------------------------------------------------------
def test_morris_labels_match_the_literature():
    # Morris's example for d = 6, with the two repeated neighbours (6 6 and the cyclic 1 ... 1) merged, is
    # the label string 1234564523.
    assert morris_labels(6) == (1, 2, 3, 4, 5, 6, 6, 4, 5, 2, 3, 1)
    assert morris_labels(4) == (1, 2, 3, 4, 4, 2, 3, 1)
    assert morris_labels(2) == (1, 2, 2, 1)
    for d in range(2, 19, 2):
        assert sorted(morris_labels(d)[d:]) == list(range(1, d + 1))


@pytest.mark.parametrize("d", [2, 4, 8, 18])
def test_svs_game_shape_and_integer_payoffs(d):
    game = savani_von_stengel_game(d)
    assert game.n_actions == (d, d)
    a, b = game.payoff_matrices()
    assert np.array_equal(a.sum(axis=0), np.ones(d)) and np.array_equal(a.sum(axis=1), np.ones(d))
    assert np.all(b > 0) and np.array_equal(b, np.round(b)) and b.max() < 2**53
    for j in range(d):
        assert a[morris_labels(d)[d + j] - 1, j] == 1


def gale_strings(d: int) -> set[tuple[int, ...]]:
    """Bit strings of length 2d with d ones whose interior runs of ones all have even length (d even, so the
    string can be read cyclically): the facets of the cyclic polytope, i.e. the vertices of its dual."""
    out = set()
    for ones in itertools.combinations(range(2 * d), d):
        bits = [1 if k in ones else 0 for k in range(2 * d)]
        start = bits.index(0)
        rotated = bits[start:] + bits[:start] + [0]
        runs, run = [], 0
        for bit in rotated:
            if bit:
                run += 1
            else:
                runs.append(run)
                run = 0
        if all(r % 2 == 0 for r in runs):
            out.add(tuple(bits))
    return out


def solve_exact(matrix: list[list[Fraction]], rhs: list[Fraction]) -> list[Fraction] | None:
    """Gaussian elimination over the rationals; None when singular."""
    n = len(matrix)
    rows = [list(r) + [v] for r, v in zip(matrix, rhs, strict=True)]
    for col in range(n):
        pivot = next((r for r in range(col, n) if rows[r][col] != 0), None)
        if pivot is None:
            return None
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(n):
            if r != col and rows[r][col] != 0:
                factor = rows[r][col] / rows[col][col]
                rows[r] = [u - factor * v for u, v in zip(rows[r], rows[col], strict=True)]
    return [rows[i][n] / rows[i][i] for i in range(n)]


@pytest.mark.parametrize("d", [2, 4, 6])
def test_svs_best_response_polytope_is_dual_cyclic_with_a_unique_equilibrium(d):
    b = savani_von_stengel_game(d).payoffs[1].astype(int)
    labels = morris_labels(d)
    # Facets of P = {x >= 0, B^T x <= 1}: k < d is x_k >= 0, k >= d is column k - d. Exact vertex enumeration.
    vertices = {}
    for tight in itertools.combinations(range(2 * d), d):
        matrix = [[Fraction(int(k == i)) for i in range(d)] if k < d else [Fraction(int(b[i, k - d]))
                                                                           for i in range(d)] for k in tight]
        rhs = [Fraction(0 if k < d else 1) for k in tight]
        x = solve_exact(matrix, rhs)
        if x is None or min(x) < 0 or any(sum(b[i, j] * x[i] for i in range(d)) > 1 for j in range(d)):
            continue
        on = tuple(int((k < d and x[k] == 0) or (k >= d and sum(b[i, k - d] * x[i] for i in range(d)) == 1))
                   for k in range(2 * d))
        assert sum(on) == d  # simple polytope: no vertex lies on more than d facets
        vertices[on] = x
    assert set(vertices) == gale_strings(d)
    # The cyclic polytope with 2d vertices in dimension d has (4/3) C(3d/2, d/2) facets.
    assert 3 * len(vertices) == 4 * math.comb(3 * d // 2, d // 2)
    complete = [on for on in vertices
                if sorted(labels[k] for k in range(2 * d) if on[k]) == list(range(1, d + 1))]
    assert sorted(complete) == sorted([(1,) * d + (0,) * d, (0,) * d + (1,) * d])


def lemke_howson(a: np.ndarray, b: np.ndarray, missing: int) -> tuple[int, np.ndarray, np.ndarray]:
    """Exact Lemke-Howson from the artificial equilibrium with ``missing`` label (0..m-1: player 1's
    strategies, m..m+n-1: player 2's), by integer pivoting on the tableaux of Q = {y >= 0, A y <= 1} and
    P = {x >= 0, B^T x <= 1}. Returns (number of pivots in both tableaux, x, y) with x, y of Fractions.
    Requires integer payoffs; fails on a ratio-test tie (degenerate game)."""
    m, n = a.shape
    # Positive payoffs (same best responses, bounded polytopes) as Python ints, which do not overflow.
    shifted_a = [[int(v) for v in row] for row in a - a.min() + 1]
    shifted_b = [[int(v) for v in column] for column in (b - b.min() + 1).T]
    # Tableau rows are [coefficients | identity for slacks | rhs]; variable index = column.
    q_table = [shifted_a[i] + [int(i == k) for k in range(m)] + [1] for i in range(m)]
    p_table = [shifted_b[j] + [int(j == k) for k in range(n)] + [1] for j in range(n)]
    q = {"table": q_table, "basis": [n + i for i in range(m)], "det": 1}
    p = {"table": p_table, "basis": [m + j for j in range(n)], "det": 1}
    # Labels: in Q, y_j (column j) has label m + j and slack r_i (column n + i) label i;
    # in P, x_i (column i) has label i and slack s_j (column m + j) label m + j.
    q_label = lambda col: m + col if col < n else col - n  # noqa: E731
    q_column = lambda label: label - m if label >= m else n + label  # noqa: E731

    def pivot(side: dict, col: int) -> int:
        table = side["table"]
        best = None
        for r, row in enumerate(table):
            if row[col] > 0 and (best is None or row[-1] * table[best][col] < table[best][-1] * row[col]):
                best = r
        ties = [r for r, row in enumerate(table)
                if row[col] > 0 and row[-1] * table[best][col] == table[best][-1] * row[col]]
        assert ties == [best], "degenerate ratio test"
        pivot_row = table[best]
        element = pivot_row[col]
        for r, row in enumerate(table):
            if r != best:
                factor, det = row[col], side["det"]
                table[r] = [(v * element - factor * w) // det for v, w in zip(row, pivot_row, strict=True)]
        side["det"] = element
        leaving, side["basis"][best] = side["basis"][best], col
        return leaving

    pivots = 0
    side, column = ("P", missing) if missing < m else ("Q", q_column(missing))
    while True:
        pivots += 1
        if side == "P":
            label = pivot(p, column)  # P's column index is its label
            if label == missing:
                break
            side, column = "Q", q_column(label)
        else:
            label = q_label(pivot(q, column))
            if label == missing:
                break
            side, column = "P", label
    x = [Fraction(0)] * m
    for r, var in enumerate(p["basis"]):
        if var < m:
            x[var] = Fraction(p["table"][r][-1], p["table"][r][var])
    y = [Fraction(0)] * n
    for r, var in enumerate(q["basis"]):
        if var < n:
            y[var] = Fraction(q["table"][r][-1], q["table"][r][var])
    x_mixed = np.array([v / sum(x) for v in x], dtype=object)
    return pivots, x_mixed, np.array([v / sum(y) for v in y], dtype=object)


def test_lemke_howson_counter_on_a_known_game():
    # The 3x2 example of von Stengel (Handbook of Game Theory vol. 3, 2002, ch. 45) has exactly the three
    # equilibria below; from missing label 0 the path is one pivot in each polytope to the pure one.
    game = NormalFormGame.bimatrix([[3, 3], [2, 5], [0, 6]], [[3, 2], [2, 6], [3, 1]])
    third = Fraction(1, 3)
    known = [((1, 0, 0), (1, 0)), ((Fraction(4, 5), Fraction(1, 5), 0), (2 * third, third)),
             ((0, third, 2 * third), (third, 2 * third))]
    for label in range(5):
        _, x, y = lemke_howson(game.payoffs[0], game.payoffs[1], label)
        assert (tuple(x), tuple(y)) in known
        assert max_regret(game, (x, y)) == 0
    pivots, x, y = lemke_howson(game.payoffs[0], game.payoffs[1], 0)
    assert (pivots, tuple(x), tuple(y)) == (2, (1, 0, 0), (1, 0))


SHORTEST_PATHS = {2: 4, 4: 8, 6: 16, 8: 24, 10: 44}


def test_every_lemke_howson_path_is_exponentially_long_and_ends_at_the_unique_equilibrium():
    shortest = {}
    for d in SHORTEST_PATHS:
        game = savani_von_stengel_game(d)
        a, b = game.payoff_matrices()
        lengths = []
        for label in range(2 * d):
            pivots, x, y = lemke_howson(a, b, label)
            lengths.append(pivots)
            assert max_regret(game, (x, y)) == 0  # exact certificate
            assert all(v == Fraction(1, d) for v in y) and all(v > 0 for v in x)
        shortest[d] = min(lengths)
    assert shortest == SHORTEST_PATHS
    # Exponential growth: at least a factor 2.5 (about golden ratio squared) every time d grows by 4.
    for d in (2, 4, 6):
        assert shortest[d + 4] >= 2.5 * shortest[d]


def test_the_project_lemke_howson_solver_counts_the_same_pivots_when_available():
    try:
        module = importlib.import_module("equilibria.solvers.lemke_howson")
    except ImportError:
        pytest.skip("equilibria.solvers.lemke_howson is not there yet")
    path_length = getattr(module, "lemke_howson_path_length", None)
    if path_length is None:
        pytest.skip("lemke_howson_path_length is not exposed")
    for d in (2, 4, 6, 8):
        game = savani_von_stengel_game(d)
        a, b = game.payoff_matrices()
        assert [path_length(game, label) for label in range(2 * d)] == [
            lemke_howson(a, b, label)[0] for label in range(2 * d)
        ]
