"""Solvers checked against each other on random and degenerate games.

Vertex enumeration (exact) is the reference set of extreme equilibria: every profile another solver returns must be
an equilibrium (certificate <= 1e-9); support enumeration must find exactly the vertex set on nondegenerate games;
`solve(..., all_equilibria=True)` is the vertex enumeration; the zero-sum LP's value is the value of every
equilibrium vertex enumeration finds.
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria import NormalFormGame
from equilibria.solvers import solve
from equilibria.solvers.lemke_howson import lemke_howson_solve
from equilibria.solvers.support_enumeration import support_enumeration_solve
from equilibria.solvers.vertex_enumeration import vertex_enumeration_solve
from equilibria.solvers.zero_sum_lp import zero_sum_lp_solve


def as_key(profile, digits=7):
    return tuple(tuple(round(float(p), digits) + 0.0 for p in s) for s in profile)


integer_games = st.tuples(st.integers(1, 5), st.integers(1, 5), st.integers(0, 2**32 - 1), st.integers(1, 4))


def make_integer_game(m, n, seed, spread):
    rng = np.random.default_rng(seed)
    return NormalFormGame.bimatrix(rng.integers(-spread, spread + 1, (m, n)), rng.integers(-spread, spread + 1, (m, n)))


@given(integer_games)
@settings(max_examples=120, deadline=None)
def test_all_solvers_certified_and_inside_the_exact_extreme_set(params):
    game = make_integer_game(*params)
    exact = vertex_enumeration_solve(game, rational=True)
    assert exact.converged and all(c == 0 for c in exact.certificate)
    reference = {as_key(p) for p in exact.equilibria}
    assert reference, "every finite game has an equilibrium"
    lh = lemke_howson_solve(game, all_labels=True)
    assert lh.converged and len(lh) >= 1
    assert max(lh.certificate) <= 1e-9
    # Lemke-Howson ends at vertices of the best-response polytopes: extreme equilibria.
    assert {as_key(p) for p in lh.equilibria} <= reference
    support = support_enumeration_solve(game)
    assert all(c <= 1e-9 for c in support.certificate)
    floats = vertex_enumeration_solve(game)
    assert {as_key(p) for p in floats.equilibria} == reference
    assert {as_key(p) for p in solve(game, all_equilibria=True).equilibria} == reference


@given(st.integers(2, 6), st.integers(2, 6), st.integers(0, 2**32 - 1))
@settings(max_examples=60, deadline=None)
def test_support_enumeration_complete_on_nondegenerate_games(m, n, seed):
    rng = np.random.default_rng(seed)
    game = NormalFormGame.bimatrix(rng.random((m, n)), rng.random((m, n)))  # generic: nondegenerate a.s.
    vertex = {as_key(p) for p in vertex_enumeration_solve(game).equilibria}
    support = {as_key(p) for p in support_enumeration_solve(game).equilibria}
    assert vertex == support
    assert len(vertex) % 2 == 1  # nondegenerate games have an odd number of equilibria


@given(st.integers(1, 6), st.integers(1, 6), st.integers(0, 2**32 - 1))
@settings(max_examples=60, deadline=None)
def test_zero_sum_value_is_unique_across_solvers(m, n, seed):
    rng = np.random.default_rng(seed)
    game = NormalFormGame.zero_sum(rng.integers(-3, 4, (m, n)))
    value = zero_sum_lp_solve(game, rational=True).values[0][0]
    for profile in vertex_enumeration_solve(game, rational=True).equilibria:
        assert game.expected_payoffs(profile)[0] == value  # exact: every equilibrium has the game's value
