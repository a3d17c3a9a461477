"""Vertex enumeration: known answers, degenerate games, and an independent exact brute-force oracle.

The oracle (:func:`oracle_extreme_equilibria`) finds the vertices of the best-response polytopes the naive way
— every choice of ``dim`` constraints made tight, solved exactly with Fractions, kept when feasible — so it
shares no code or algorithm (pivoting) with the solver, only the definition of a completely labelled vertex
pair.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria import GameError, NormalFormGame
from equilibria.solvers.support_enumeration import support_enumeration_solve
from equilibria.solvers.vertex_enumeration import vertex_enumeration_solve

F = Fraction
ExactProfile = tuple[tuple[Fraction, ...], tuple[Fraction, ...]]


# -- the exact brute-force oracle ----------------------------------------------------------------------------


def _solve_exact(matrix: list[list[Fraction]], rhs: list[Fraction]) -> list[Fraction] | None:
    """Gauss-Jordan elimination in Fractions; None when the square system is singular."""
    size = len(matrix)
    rows = [list(row) + [b] for row, b in zip(matrix, rhs, strict=True)]
    for c in range(size):
        pivot = next((r for r in range(c, size) if rows[r][c] != 0), None)
        if pivot is None:
            return None
        rows[c], rows[pivot] = rows[pivot], rows[c]
        for r in range(size):
            if r != c and rows[r][c] != 0:
                factor = rows[r][c] / rows[c][c]
                rows[r] = [v - factor * p for v, p in zip(rows[r], rows[c], strict=True)]
    return [rows[c][size] / rows[c][c] for c in range(size)]


def _polytope_vertices(constraints: list[list[Fraction]], bounds: list[Fraction],
                       dim: int) -> dict[tuple[Fraction, ...], frozenset[int]]:
    """Vertices of ``{z : constraints[l] . z <= bounds[l]}``, each with its labels (its tight constraints)."""
    vertices: dict[tuple[Fraction, ...], frozenset[int]] = {}
    for tight in itertools.combinations(range(len(constraints)), dim):
        z = _solve_exact([constraints[l] for l in tight], [bounds[l] for l in tight])
        if z is None:
            continue
        slack = [b - sum((c * v for c, v in zip(row, z, strict=True)), F(0))
                 for row, b in zip(constraints, bounds, strict=True)]
        if min(slack) >= 0:
            vertices[tuple(z)] = frozenset(l for l, s in enumerate(slack) if s == 0)
    return vertices


def _positive(matrix: np.ndarray) -> list[list[Fraction]]:
    entries = [[F(int(v)) if float(v).is_integer() else F(repr(float(v))) for v in row] for row in matrix]
    low = min(min(row) for row in entries)
    return [[v - low + 1 for v in row] for row in entries]


def _oracle_vertices(a: np.ndarray, b: np.ndarray) -> tuple[dict, dict]:
    """Vertices of P = {x >= 0, B^T x <= 1} and Q = {A y <= 1, y >= 0} with their labels (von Stengel's)."""
    m, n = a.shape
    a1, b1 = _positive(a), _positive(b)
    # P: label i is x_i >= 0 (written -x_i <= 0), label m + j is (B^T x)_j <= 1.
    p_rows = [[F(-1) if k == i else F(0) for k in range(m)] for i in range(m)]
    p_rows += [[b1[i][j] for i in range(m)] for j in range(n)]
    # Q: label i is (A y)_i <= 1, label m + j is y_j >= 0.
    q_rows = [list(a1[i]) for i in range(m)]
    q_rows += [[F(-1) if k == j else F(0) for k in range(n)] for j in range(n)]
    p = _polytope_vertices(p_rows, [F(0)] * m + [F(1)] * n, m)
    q = _polytope_vertices(q_rows, [F(1)] * m + [F(0)] * n, n)
    return p, q


def oracle_extreme_equilibria(a: np.ndarray, b: np.ndarray) -> set[ExactProfile]:
    """All completely labelled nonzero vertex pairs, normalised: the extreme equilibria, exactly."""
    m, n = a.shape
    p, q = _oracle_vertices(a, b)
    everything = frozenset(range(m + n))
    return {(tuple(v / sum(x) for v in x), tuple(v / sum(y) for v in y))
            for x, lx in p.items() for y, ly in q.items()
            if any(x) and any(y) and lx | ly == everything}


def oracle_is_nondegenerate(a: np.ndarray, b: np.ndarray) -> bool:
    """Nondegenerate iff no vertex of P has more than m labels, none of Q more than n (von Stengel 2007)."""
    m, n = a.shape
    p, q = _oracle_vertices(a, b)
    return all(len(labels) == m for labels in p.values()) and all(len(labels) == n for labels in q.values())


# -- helpers -------------------------------------------------------------------------------------------------


def exact_set(result) -> set[ExactProfile]:
    assert result.rational
    return {(tuple(x), tuple(y)) for x, y in result.equilibria}


def float_matches(result, expected: set[ExactProfile], tol: float = 1e-9) -> bool:
    """The float profiles are, one to one, within ``tol`` of the exact ones."""
    if len(result) != len(expected):
        return False
    remaining = [np.concatenate([np.array(x, dtype=float), np.array(y, dtype=float)]) for x, y in expected]
    for x, y in result.equilibria:
        flat = np.concatenate([x, y])
        hits = [i for i, e in enumerate(remaining) if np.max(np.abs(e - flat)) <= tol]
        if len(hits) != 1:
            return False
        remaining.pop(hits[0])
    return True


def check_both_modes(game: NormalFormGame, expected: set[ExactProfile]) -> None:
    exact = vertex_enumeration_solve(game, rational=True)
    assert exact_set(exact) == expected
    assert all(c == 0 for c in exact.certificate) and exact.converged
    approx = vertex_enumeration_solve(game)
    assert float_matches(approx, expected) and approx.converged
    assert max(approx.certificate) <= 1e-12


# -- known answers -------------------------------------------------------------------------------------------

VON_STENGEL_A = [[3, 3], [2, 5], [0, 6]]
VON_STENGEL_B = [[3, 2], [2, 6], [3, 1]]


def test_von_stengel_3x2_game_has_exactly_three_equilibria():
    """von Stengel (2007), Figure 3.3 game: equilibria ((1,0,0),(1,0)), ((4/5,1/5,0),(2/3,1/3)),
    ((0,1/3,2/3),(1/3,2/3))."""
    game = NormalFormGame.bimatrix(VON_STENGEL_A, VON_STENGEL_B)
    expected = {((F(1), F(0), F(0)), (F(1), F(0))),
                ((F(4, 5), F(1, 5), F(0)), (F(2, 3), F(1, 3))),
                ((F(0), F(1, 3), F(2, 3)), (F(1, 3), F(2, 3)))}
    check_both_modes(game, expected)
    assert oracle_extreme_equilibria(np.array(VON_STENGEL_A), np.array(VON_STENGEL_B)) == expected


def test_degenerate_variant_returns_the_extreme_points_of_its_components():
    """B[0] = (3, 3): against the top row the column player is indifferent, which makes the game degenerate.

    By hand. x = (1,0,0): the column player is indifferent, and the top row is a best response to y iff
    3 >= 2 y1 + 5 y2 and 3 >= 6 y2, i.e. y2 <= 1/3: a segment of equilibria with ends y = (1,0) and (2/3,1/3).
    Any x with x2 > 0 and x3 = 0 makes column 2 strictly better, but against y = (0,1) row 3 is the unique
    best response; any x with x3 > 0 and x2 = 0 makes column 1 strictly better, and then the top row is the
    unique best response. Support {2,3}: column indifference 2x2 + 3x3 = 6x2 + x3 gives x = (0,1/3,2/3), row
    indifference 2y1 + 5y2 = 6y2 gives y = (1/3,2/3), and the top row earns 3 < 4. Full support would need
    2 + 3y2 = 6y2 = 3. So the extreme equilibria are ((1,0,0),(1,0)), ((1,0,0),(2/3,1/3)) and
    ((0,1/3,2/3),(1/3,2/3)); the brute-force oracle agrees.
    """
    b = [[3, 3], [2, 6], [3, 1]]
    expected = {((F(1), F(0), F(0)), (F(1), F(0))),
                ((F(1), F(0), F(0)), (F(2, 3), F(1, 3))),
                ((F(0), F(1, 3), F(2, 3)), (F(1, 3), F(2, 3)))}
    assert oracle_extreme_equilibria(np.array(VON_STENGEL_A), np.array(b)) == expected
    check_both_modes(NormalFormGame.bimatrix(VON_STENGEL_A, b), expected)


def test_continuum_of_equilibria_returns_its_extreme_points():
    """Payoff pairs [[(1,1),(-1,0)], [(-1,0),(1,0)], [(0,0),(0,0)]].

    By hand. The column player gets x1 from column 1 and 0 from column 2. If x1 > 0, column 1 is the unique
    best response and then row 1 is (payoff 1 against -1 and 0), giving ((1,0,0),(1,0)). If x1 = 0 the column
    player is indifferent and the rows earn (2y1 - 1, 1 - 2y1, 0): x = (0,1,0) is a best response iff
    y1 <= 1/2, x = (0,0,1) iff y1 = 1/2, and mixtures of rows 2 and 3 iff y1 = 1/2. The equilibria are the
    point ((1,0,0),(1,0)), the segment (0,1,0) x {y1 in [0, 1/2]} and the segment {x1 = 0} x {(1/2,1/2)};
    their extreme points are the four below.
    """
    a, b = [[1, -1], [-1, 1], [0, 0]], [[1, 0], [0, 0], [0, 0]]
    half = F(1, 2)
    expected = {((F(1), F(0), F(0)), (F(1), F(0))),
                ((F(0), F(1), F(0)), (F(0), F(1))),
                ((F(0), F(1), F(0)), (half, half)),
                ((F(0), F(0), F(1)), (half, half))}
    assert oracle_extreme_equilibria(np.array(a), np.array(b)) == expected
    check_both_modes(NormalFormGame.bimatrix(a, b), expected)


def test_zero_sum_game_has_a_unique_mixed_equilibrium():
    game = NormalFormGame.zero_sum([[2, -1], [-1, 1]])
    check_both_modes(game, {((F(2, 5), F(3, 5)), (F(2, 5), F(3, 5)))})


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
def test_coordination_game_has_one_equilibrium_per_nonempty_support(n):
    """Identity payoffs for both: for each nonempty S, both uniform on S is an equilibrium, and no other."""
    game = NormalFormGame.bimatrix(np.eye(n), np.eye(n))
    expected = set()
    for size in range(1, n + 1):
        for support in itertools.combinations(range(n), size):
            s = tuple(F(1, size) if i in support else F(0) for i in range(n))
            expected.add((s, s))
    assert len(expected) == 2**n - 1
    check_both_modes(game, expected)


def test_one_action_players_and_constant_games():
    """One row: the column player's best responses are the equilibria. Constant payoffs: all pure pairs."""
    row_only = NormalFormGame.bimatrix([[0, 0, 0]], [[1, 3, 3]])
    check_both_modes(row_only, {((F(1),), (F(0), F(1), F(0))), ((F(1),), (F(0), F(0), F(1)))})
    constant = NormalFormGame.bimatrix(np.ones((2, 2)), np.ones((2, 2)))
    pure = {(tuple(F(int(i == r)) for i in range(2)), tuple(F(int(j == c)) for j in range(2)))
            for r in range(2) for c in range(2)}
    check_both_modes(constant, pure)


def test_random_float_games_agree_with_support_enumeration():
    """Uniform random games are nondegenerate with probability one, where both methods are complete.

    The 70 x 2 game has 72 labels, more than one 64-bit word of label mask.
    """
    rng = np.random.default_rng(7)
    for m, n in [(4, 4), (5, 3), (6, 6), (7, 5), (70, 2)]:
        game = NormalFormGame.bimatrix(rng.random((m, n)), rng.random((m, n)))
        vertex = vertex_enumeration_solve(game)
        support = support_enumeration_solve(game)
        assert len(vertex) == len(support) >= 1 and vertex.worst_certificate <= 1e-12
        for x, y in support.equilibria:
            assert any(np.allclose(x, u, atol=1e-9) and np.allclose(y, v, atol=1e-9)
                       for u, v in vertex.equilibria)


# -- property tests on small integer games, where degeneracy is common ---------------------------------------


@st.composite
def integer_games(draw, max_actions: int = 4, low: int = -2, high: int = 2) -> tuple[np.ndarray, np.ndarray]:
    m = draw(st.integers(2, max_actions))
    n = draw(st.integers(2, max_actions))
    cells = st.lists(st.integers(low, high), min_size=m * n, max_size=m * n)
    return np.array(draw(cells)).reshape(m, n), np.array(draw(cells)).reshape(m, n)


@settings(max_examples=60, deadline=None)
@given(integer_games())
def test_matches_the_brute_force_oracle_in_both_modes(payoffs):
    a, b = payoffs
    game = NormalFormGame.bimatrix(a, b)
    expected = oracle_extreme_equilibria(a, b)
    exact = vertex_enumeration_solve(game, rational=True)
    assert exact_set(exact) == expected
    assert all(c == 0 for c in exact.certificate)
    approx = vertex_enumeration_solve(game)
    assert float_matches(approx, expected)
    assert approx.worst_certificate <= 1e-9 or len(approx) == 0
    assert len(expected) >= 1  # every game has an equilibrium, hence an extreme one


@settings(max_examples=60, deadline=None)
@given(integer_games(max_actions=5, low=-3, high=3))
def test_contains_pure_equilibria_and_support_enumeration_on_nondegenerate_games(payoffs):
    a, b = payoffs
    game = NormalFormGame.bimatrix(a, b)
    vertex = vertex_enumeration_solve(game)
    assert vertex.converged and vertex.worst_certificate <= 1e-9
    found = [np.concatenate(p) for p in vertex.equilibria]
    for actions in game.pure_nash():
        pure = np.concatenate(game.pure_profile(actions))
        assert any(np.max(np.abs(pure - f)) <= 1e-9 for f in found)
    exact = vertex_enumeration_solve(game, rational=True)
    assert len(exact) == len(vertex) and all(c == 0 for c in exact.certificate)
    if min(a.shape) <= 4 and oracle_is_nondegenerate(a, b):
        support = support_enumeration_solve(game)
        assert len(support) == len(vertex)
        for x, y in support.equilibria:
            flat = np.concatenate([x, y])
            assert any(np.max(np.abs(flat - f)) <= 1e-9 for f in found)


# -- budget and bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize("rational", [False, True])
def test_budget_stops_early_and_returns_only_equilibria(rational):
    rng = np.random.default_rng(3)
    game = NormalFormGame.bimatrix(rng.integers(0, 9, (7, 7)), rng.integers(0, 9, (7, 7)))
    full = vertex_enumeration_solve(game, rational=rational)
    cut = vertex_enumeration_solve(game, rational=rational, max_iterations=40)
    assert full.converged and not cut.converged
    assert cut.iterations == 40 < full.iterations
    assert len(cut) <= len(full) and all(c <= 1e-9 for c in cut.certificate)
    timed = vertex_enumeration_solve(NormalFormGame.bimatrix(rng.random((11, 11)), rng.random((11, 11))),
                                     max_seconds=1e-4)
    assert not timed.converged


def test_bad_input_raises_game_error():
    three_players = NormalFormGame(np.zeros((3, 2, 2, 2)))
    with pytest.raises(GameError, match="vertex_enumeration_solve"):
        vertex_enumeration_solve(three_players)
    with pytest.raises(GameError, match="NormalFormGame"):
        vertex_enumeration_solve(np.eye(2))
    game = NormalFormGame.bimatrix(np.eye(2), np.eye(2))
    with pytest.raises(GameError, match="tol"):
        vertex_enumeration_solve(game, tol=-1.0)
    with pytest.raises(GameError, match="rational"):
        vertex_enumeration_solve(game, rational="yes")
    with pytest.raises(GameError, match="max_iterations"):
        vertex_enumeration_solve(game, max_iterations=0)
