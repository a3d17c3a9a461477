"""Vertex enumeration's compiled fast path (``solvers._enumeration_kernels``) against its complete paths.

The fast path may answer only on nondegenerate games, and must give exactly the set of the complete float path
(the lexicographic NumPy search, forced here by switching the fast path off) and of the exact path
(``rational=True``); at any sign of degeneracy it must hand over to the complete path
(``parameters["fast_path"] == "degenerate"``), which then answers as before.
"""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria import NormalFormGame
from equilibria.solvers._common import float_resolves
from equilibria.solvers.vertex_enumeration import vertex_enumeration_solve
from tests.solvers._fast_path_helpers import (
    VON_STENGEL_A,
    VON_STENGEL_B,
    VON_STENGEL_DEGENERATE_B,
    fast_path_off,
    needs_numba,
    same_sets,
)

F = Fraction


def exact_set(result) -> set[tuple[tuple[Fraction, ...], tuple[Fraction, ...]]]:
    return {(tuple(x), tuple(y)) for x, y in result.equilibria}


# -- known answers ----------------------------------------------------------------------------------------------


@needs_numba
def test_von_stengel_nondegenerate_3x2_game_takes_the_fast_path():
    """von Stengel (2007), Figure 3.3: ((1,0,0),(1,0)), ((4/5,1/5,0),(2/3,1/3)), ((0,1/3,2/3),(1/3,2/3))."""
    game = NormalFormGame.bimatrix(VON_STENGEL_A, VON_STENGEL_B)
    result = vertex_enumeration_solve(game)
    assert result.parameters["fast_path"] == "compiled"
    assert result.converged and result.complete
    expected = {((F(1), F(0), F(0)), (F(1), F(0))),
                ((F(4, 5), F(1, 5), F(0)), (F(2, 3), F(1, 3))),
                ((F(0), F(1, 3), F(2, 3)), (F(1, 3), F(2, 3)))}
    assert exact_set(vertex_enumeration_solve(game, rational=True)) == expected
    assert len(result.equilibria) == 3
    for x, y in result.equilibria:
        assert any(np.allclose(x, np.array(ex, dtype=float), atol=1e-12)
                   and np.allclose(y, np.array(ey, dtype=float), atol=1e-12) for ex, ey in expected)
    assert max(result.certificate) <= 1e-12


@needs_numba
def test_von_stengel_degenerate_3x2_game_falls_back_and_keeps_its_three_extreme_equilibria():
    """The degenerate variant (B[0] = (3, 3)): extreme equilibria ((1,0,0),(1,0)), ((1,0,0),(2/3,1/3)),
    ((0,1/3,2/3),(1/3,2/3)) (derived by hand in test_vertex_enumeration.py)."""
    game = NormalFormGame.bimatrix(VON_STENGEL_A, VON_STENGEL_DEGENERATE_B)
    result = vertex_enumeration_solve(game)
    assert result.parameters["fast_path"] == "degenerate"
    assert result.converged and result.complete
    expected = {((F(1), F(0), F(0)), (F(1), F(0))),
                ((F(1), F(0), F(0)), (F(2, 3), F(1, 3))),
                ((F(0), F(1, 3), F(2, 3)), (F(1, 3), F(2, 3)))}
    assert exact_set(vertex_enumeration_solve(game, rational=True)) == expected
    assert len(result.equilibria) == 3 and max(result.certificate) <= 1e-12


@needs_numba
@pytest.mark.parametrize("n", [3, 4])
def test_coordination_game_with_ties_falls_back(n):
    """Both players get 1 on the diagonal and on the first column: ties in every row of that column."""
    payoff = np.eye(n)
    payoff[:, 0] = 1.0
    game = NormalFormGame.bimatrix(payoff, payoff)
    result = vertex_enumeration_solve(game)
    assert result.parameters["fast_path"] == "degenerate"
    assert result.complete and result.converged
    assert same_sets(result, vertex_enumeration_solve(game, rational=True))


@needs_numba
def test_coordination_game_without_ties_is_nondegenerate_and_fast():
    """Identity payoffs: one equilibrium per nonempty support (2^n - 1), uniform on it for both players."""
    n = 5
    game = NormalFormGame.bimatrix(np.eye(n), np.eye(n))
    result = vertex_enumeration_solve(game)
    assert result.parameters["fast_path"] == "compiled"
    assert len(result.equilibria) == 2**n - 1
    for x, y in result.equilibria:
        support = x > 0
        assert np.array_equal(support, y > 0)
        assert np.allclose(x[support], 1.0 / support.sum(), atol=1e-12)


@needs_numba
def test_payoffs_closer_than_float_resolution_take_the_exact_route():
    """1 and 0 in one column beside 1e12 (as in tests/solvers/test_wide_payoff_ranges.py): the fast path
    declines, and the solver's exact route answers."""
    a = np.array([[1e12, 0.0], [1.0, 1e12], [0.0, 1.0]])
    game = NormalFormGame.bimatrix(a, np.array([[2.0, 0.0], [0.0, 1.0], [1.0, 3.0]]))
    assert not float_resolves(game, 1e-9)
    result = vertex_enumeration_solve(game)
    assert result.parameters["fast_path"] == "unresolved"
    assert "exact_fallback" in result.parameters
    assert same_sets(result, vertex_enumeration_solve(game, rational=True))


# -- random games: the same set as the complete paths -----------------------------------------------------------


@needs_numba
@settings(max_examples=25, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_fast_path_equals_complete_and_exact_paths_on_random_games(m, n, seed):
    game = NormalFormGame.bimatrix(*np.random.default_rng(seed).random((2, m, n)))
    fast = vertex_enumeration_solve(game)
    assert fast.parameters["fast_path"] == "compiled"  # uniform random games are nondegenerate (almost surely)
    assert fast.converged and fast.complete
    with fast_path_off("fast_vertex_equilibria"):
        complete = vertex_enumeration_solve(game)
    assert "fast_path" not in complete.parameters
    assert same_sets(fast, complete)
    assert same_sets(fast, vertex_enumeration_solve(game, rational=True))


@needs_numba
@settings(max_examples=25, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_small_integer_games_agree_with_the_exact_path_whichever_path_answers(m, n, seed):
    """Payoffs in {0, 1, 2}: often degenerate (ties); the answer must be the exact extreme equilibria."""
    payoffs = np.random.default_rng(seed).integers(0, 3, size=(2, m, n))
    game = NormalFormGame.bimatrix(*payoffs)
    result = vertex_enumeration_solve(game)
    assert result.parameters["fast_path"] in ("compiled", "degenerate")
    assert result.converged and result.complete
    assert same_sets(result, vertex_enumeration_solve(game, rational=True))


@needs_numba
def test_degenerate_share_of_small_integer_games_takes_the_complete_path():
    """Not vacuous: among small integer games, both paths are exercised."""
    paths = set()
    rng = np.random.default_rng(7)
    for _ in range(40):
        game = NormalFormGame.bimatrix(*rng.integers(0, 3, size=(2, 3, 3)))
        paths.add(vertex_enumeration_solve(game).parameters["fast_path"])
    assert paths == {"compiled", "degenerate"}


# -- budgets and imports ----------------------------------------------------------------------------------------


@needs_numba
def test_iteration_budget_stops_the_fast_path_with_certified_profiles_only():
    game = NormalFormGame.bimatrix(*np.random.default_rng(3).random((2, 9, 9)))
    full = vertex_enumeration_solve(game)
    stopped = vertex_enumeration_solve(game, max_iterations=50)
    assert stopped.parameters["fast_path"] == "compiled"
    assert not stopped.converged and not stopped.complete
    assert stopped.iterations <= 50 < full.iterations
    assert "stopped_because" in stopped.parameters
    assert all(c <= 1e-12 for c in stopped.certificate)
    assert len(stopped.equilibria) <= len(full.equilibria)


def test_importing_the_solvers_does_not_import_numba():
    code = ("import sys, equilibria, equilibria.solvers.vertex_enumeration, equilibria.solvers.support_enumeration; "
            "sys.exit('numba' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
