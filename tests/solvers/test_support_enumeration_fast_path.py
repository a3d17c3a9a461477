"""Support enumeration's compiled fast path (``solvers._enumeration_kernels``) against its NumPy path.

On nondegenerate games the fast path must return exactly the set of the NumPy enumeration (forced here by
switching the fast path off) and of vertex enumeration; at any sign of degeneracy (a singular system, a zero
probability, a tie with an action outside the support) it hands over to the NumPy path, whose answer is then
the one it always gave.
"""

from __future__ import annotations

from math import comb

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria import NormalFormGame
from equilibria.solvers.support_enumeration import support_enumeration_solve
from equilibria.solvers.vertex_enumeration import vertex_enumeration_solve
from tests.solvers._fast_path_helpers import (
    VON_STENGEL_A,
    VON_STENGEL_B,
    VON_STENGEL_DEGENERATE_B,
    fast_path_off,
    needs_numba,
    same_sets,
)


@needs_numba
def test_von_stengel_3x2_game_on_the_fast_path():
    """von Stengel (2007), Figure 3.3: three equilibria, supports of sizes 1, 2, 2."""
    game = NormalFormGame.bimatrix(VON_STENGEL_A, VON_STENGEL_B)
    result = support_enumeration_solve(game)
    assert result.parameters["fast_path"] == "compiled"
    expected = [((1, 0, 0), (1, 0)), ((0.8, 0.2, 0), (2 / 3, 1 / 3)), ((0, 1 / 3, 2 / 3), (1 / 3, 2 / 3))]
    assert len(result.equilibria) == 3
    for ex, ey in expected:
        assert any(np.allclose(x, ex, atol=1e-12) and np.allclose(y, ey, atol=1e-12) for x, y in result.equilibria)
    assert result.iterations == 3 * 2 + 3 * 1  # supports of size 1 and 2
    assert max(result.certificate) <= 1e-12 and result.converged


@needs_numba
def test_degenerate_von_stengel_game_falls_back_to_the_numpy_path():
    """B[0] = (3, 3): the pure profile (top, left) ties columns; the fast path declines, the answer is as before
    (support enumeration is not complete there: ((1,0,0),(2/3,1/3)) has supports of sizes 1 and 2)."""
    game = NormalFormGame.bimatrix(VON_STENGEL_A, VON_STENGEL_DEGENERATE_B)
    result = support_enumeration_solve(game)
    assert result.parameters["fast_path"] == "degenerate"
    with fast_path_off("fast_support_equilibria"):
        before = support_enumeration_solve(game)
    assert same_sets(result, before)
    assert result.complete is False


@needs_numba
@settings(max_examples=25, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_fast_path_equals_numpy_path_and_vertex_enumeration_on_random_games(m, n, seed):
    game = NormalFormGame.bimatrix(*np.random.default_rng(seed).random((2, m, n)))
    fast = support_enumeration_solve(game)
    assert fast.parameters["fast_path"] == "compiled"
    assert fast.converged and fast.complete is False  # completeness is not claimed (nondegeneracy unchecked)
    assert fast.iterations == sum(comb(m, k) * comb(n, k) for k in range(1, min(m, n) + 1))
    with fast_path_off("fast_support_equilibria"):
        slow = support_enumeration_solve(game)
    assert same_sets(fast, slow)
    assert same_sets(fast, vertex_enumeration_solve(game))


@needs_numba
@settings(max_examples=25, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_small_integer_games_give_the_numpy_paths_answer_whichever_path_answers(m, n, seed):
    game = NormalFormGame.bimatrix(*np.random.default_rng(seed).integers(0, 3, size=(2, m, n)))
    result = support_enumeration_solve(game)
    assert result.parameters["fast_path"] in ("compiled", "degenerate")
    with fast_path_off("fast_support_equilibria"):
        slow = support_enumeration_solve(game)
    assert same_sets(result, slow)


@needs_numba
def test_iteration_budget_is_honoured_exactly():
    game = NormalFormGame.bimatrix(*np.random.default_rng(4).random((2, 7, 7)))
    stopped = support_enumeration_solve(game, max_iterations=100)
    assert stopped.parameters["fast_path"] == "compiled"
    assert stopped.iterations == 100 and not stopped.converged
    assert "stopped_because" in stopped.parameters
    assert all(c <= 1e-12 for c in stopped.certificate)


@needs_numba
def test_time_budget_stops_the_compiled_enumeration():
    """About 3.4e6 support pairs at 12 x 12 (seconds); a 0.05 s budget stops inside the kernel."""
    game = NormalFormGame.bimatrix(*np.random.default_rng(5).random((2, 12, 12)))
    support_enumeration_solve(game, max_iterations=10)  # the compiled code loaded before the clock starts
    result = support_enumeration_solve(game, max_seconds=0.05)
    assert result.parameters["fast_path"] == "compiled"
    assert not result.converged and "stopped_because" in result.parameters
    assert 0 < result.iterations < sum(comb(12, k) ** 2 for k in range(1, 13))
    assert result.seconds < 1.0
