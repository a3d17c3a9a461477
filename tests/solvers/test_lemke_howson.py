"""Lemke-Howson: known answers (von Stengel 2002), degenerate games, random integer games, budgets, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria import GameError, NormalFormGame
from equilibria.games.generators import savani_von_stengel_game
from equilibria.metrics import max_regret
from equilibria.solvers import lemke_howson as lh
from equilibria.solvers.lemke_howson import lemke_howson_path_length, lemke_howson_solve

F = Fraction

# von Stengel (2002), "Computing equilibria for two-person games", the 3x2 example: exactly three equilibria.
VON_STENGEL_A = [[3, 3], [2, 5], [0, 6]]
VON_STENGEL_B = [[3, 2], [2, 6], [3, 1]]
VON_STENGEL_EQUILIBRIA = [
    ((F(1), F(0), F(0)), (F(1), F(0))),
    ((F(4, 5), F(1, 5), F(0)), (F(2, 3), F(1, 3))),
    ((F(0), F(1, 3), F(2, 3)), (F(1, 3), F(2, 3))),
]


def von_stengel() -> NormalFormGame:
    return NormalFormGame.bimatrix(VON_STENGEL_A, VON_STENGEL_B, name="von Stengel 3x2")


def as_tuple(profile: tuple[np.ndarray, ...]) -> tuple[tuple[Fraction, ...], ...]:
    return tuple(tuple(s) for s in profile)


def close_to(profile: tuple[np.ndarray, ...], exact: tuple[tuple[Fraction, ...], ...], tol: float = 1e-9) -> bool:
    return all(np.max(np.abs(np.asarray(s, dtype=float) - np.asarray(e, dtype=float))) <= tol
               for s, e in zip(profile, exact, strict=True))


def all_label_results(game: NormalFormGame, *, rational: bool) -> list:
    return [lemke_howson_solve(game, initial_label=k, rational=rational) for k in range(sum(game.n_actions))]


# Float mode picks the dense tableau for small games and the revised form for large ones; these tests run both.
ENGINES = {"dense": 10**12, "revised": 0}


def use_engine(monkeypatch: pytest.MonkeyPatch, engine: str) -> None:
    monkeypatch.setattr(lh, "_DENSE_MAX_ENTRIES", ENGINES[engine])


# -- known answers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("label", range(5))
def test_von_stengel_float_from_each_label(label: int) -> None:
    result = lemke_howson_solve(von_stengel(), initial_label=label)
    assert result.method == "lemke_howson" and result.converged and len(result) == 1
    assert any(close_to(result.equilibrium, eq) for eq in VON_STENGEL_EQUILIBRIA)
    assert result.certificate[0] <= 1e-9
    assert result.iterations == lemke_howson_path_length(von_stengel(), label)


@pytest.mark.parametrize("label", range(5))
def test_von_stengel_rational_from_each_label(label: int) -> None:
    result = lemke_howson_solve(von_stengel(), initial_label=label, rational=True)
    assert result.rational and result.converged
    assert as_tuple(result.equilibrium) in VON_STENGEL_EQUILIBRIA
    assert all(isinstance(p, Fraction) for s in result.equilibrium for p in s)
    assert result.certificate[0] == 0
    assert result.iterations == lemke_howson_path_length(von_stengel(), label, rational=True)


def test_von_stengel_all_labels_misses_the_middle_equilibrium() -> None:
    # The artificial equilibrium's paths end at equilibria of the opposite index; the middle equilibrium
    # ((4/5, 1/5, 0), (2/3, 1/3)) has the artificial one's index, so no label reaches it.
    result = lemke_howson_solve(von_stengel(), all_labels=True, rational=True)
    assert {as_tuple(p) for p in result} == {VON_STENGEL_EQUILIBRIA[0], VON_STENGEL_EQUILIBRIA[2]}
    assert result.iterations == sum(lemke_howson_path_length(von_stengel(), k) for k in range(5))
    floats = lemke_howson_solve(von_stengel(), all_labels=True)
    assert len(floats) == 2 and floats.iterations == result.iterations


@pytest.mark.parametrize("rational", [False, True])
def test_matching_pennies(rational: bool) -> None:
    game = NormalFormGame.zero_sum([[1, -1], [-1, 1]])
    for result in all_label_results(game, rational=rational):
        x, y = result.equilibrium
        if rational:
            assert list(x) == [F(1, 2)] * 2 and list(y) == [F(1, 2)] * 2 and result.certificate[0] == 0
        else:
            np.testing.assert_allclose(np.concatenate([x, y]), 0.5, atol=1e-12)


@pytest.mark.parametrize("rational", [False, True])
def test_rock_paper_scissors(rational: bool) -> None:
    game = NormalFormGame.zero_sum([[0, -1, 1], [1, 0, -1], [-1, 1, 0]])
    for result in all_label_results(game, rational=rational):
        x, y = result.equilibrium
        if rational:
            assert list(x) == [F(1, 3)] * 3 and list(y) == [F(1, 3)] * 3 and result.certificate[0] == 0
        else:
            np.testing.assert_allclose(np.concatenate([x, y]), 1 / 3, atol=1e-12)


def test_pure_dominant_equilibrium_prisoners_dilemma() -> None:
    game = NormalFormGame.bimatrix([[3, 0], [5, 1]], [[3, 5], [0, 1]])
    for result in all_label_results(game, rational=True):
        assert as_tuple(result.equilibrium) == ((F(0), F(1)), (F(0), F(1)))


def test_parameters_are_recorded() -> None:
    result = lemke_howson_solve(von_stengel(), initial_label=3, max_iterations=50, max_seconds=10.0)
    assert result.parameters == {"initial_label": 3, "all_labels": False, "rational": False,
                                 "max_iterations": 50, "max_seconds": 10.0}


# -- degenerate games ---------------------------------------------------------------------------------------

DEGENERATE_GAMES = {
    "von Stengel degenerate": ([[3, 3], [2, 5], [0, 6]], [[3, 3], [2, 6], [3, 1]]),
    "von Stengel degenerate, as row payoffs": ([[3, 3], [2, 6], [3, 1]], [[3, 2], [2, 6], [3, 1]]),
    "constant": (np.full((3, 4), 2.0), np.full((3, 4), -1.0)),
    "all zero": (np.zeros((4, 4)), np.zeros((4, 4))),
    "zero columns": ([[0, 1, 0], [0, 2, 0], [0, 0, 0]], [[0, 1, 0], [0, 0, 0], [0, 3, 0]]),
    "one row": ([[1, 1, 0, 1]], [[2, 2, 2, 1]]),
    "one column": ([[1], [3], [3]], [[0], [0], [5]]),
    "one by one": ([[7]], [[-3]]),
    "coordination with ties": ([[1, 1, 0], [1, 1, 0], [0, 0, 1]], [[1, 1, 0], [1, 1, 0], [0, 0, 1]]),
    "identical rows": ([[1, 2, 3], [1, 2, 3], [1, 2, 3]], [[3, 2, 1], [3, 2, 1], [3, 2, 1]]),
    "fractional payoffs": ([[0.1, 0.2], [0.3, 0.1], [0.2, 0.2]], [[0.5, 0.25], [0.25, 0.5], [0.5, 0.5]]),
}


@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize("name", sorted(DEGENERATE_GAMES))
def test_degenerate_games_terminate_from_every_label(name: str, engine: str, monkeypatch: pytest.MonkeyPatch
                                                     ) -> None:
    use_engine(monkeypatch, engine)
    a, b = DEGENERATE_GAMES[name]
    game = NormalFormGame.bimatrix(a, b, name=name)
    floats = all_label_results(game, rational=False)
    exact = all_label_results(game, rational=True)
    for f, e in zip(floats, exact, strict=True):
        assert f.converged and e.converged and len(f) == len(e) == 1
        assert f.certificate[0] <= 1e-9
        assert e.certificate[0] == 0
        # The float path follows the same lexicographic pivots as the exact one.
        assert f.iterations == e.iterations
        assert close_to(f.equilibrium, as_tuple(e.equilibrium))


# -- random games ------------------------------------------------------------------------------------------


@st.composite
def small_integer_games(draw: st.DrawFn) -> NormalFormGame:
    m, n = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    payoffs = st.lists(st.integers(-2, 2), min_size=m * n, max_size=m * n)
    a = np.array(draw(payoffs)).reshape(m, n)
    b = np.array(draw(payoffs)).reshape(m, n)
    return NormalFormGame.bimatrix(a, b)


@settings(max_examples=150, deadline=None)
@given(small_integer_games(), st.sampled_from(sorted(ENGINES)))
def test_random_integer_games_every_label(game: NormalFormGame, engine: str) -> None:
    """Small payoff ranges make ties and degeneracy common; every path must end at a certified equilibrium."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        use_engine(monkeypatch, engine)
        for label in range(sum(game.n_actions)):
            budget = 10_000  # far above any path here: hitting it would mean cycling
            f = lemke_howson_solve(game, initial_label=label, max_iterations=budget)
            e = lemke_howson_solve(game, initial_label=label, rational=True, max_iterations=budget)
            assert f.converged and e.converged
            assert f.certificate[0] <= 1e-9
            assert e.certificate[0] == 0
            # The float path takes the same lexicographic pivots as the exact one.
            assert f.iterations == e.iterations
            assert close_to(f.equilibrium, as_tuple(e.equilibrium))


@settings(max_examples=20, deadline=None)
@given(small_integer_games())
def test_all_labels_returns_distinct_certified_equilibria(game: NormalFormGame) -> None:
    result = lemke_howson_solve(game, all_labels=True, rational=True)
    profiles = [as_tuple(p) for p in result]
    assert result.converged and 1 <= len(profiles) <= sum(game.n_actions)
    assert len(set(profiles)) == len(profiles)
    assert all(c == 0 for c in result.certificate)


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_larger_random_games_long_paths(engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Paths longer than the refactorisation interval stay accurate; float and exact paths agree."""
    use_engine(monkeypatch, engine)
    rng = np.random.default_rng(7)
    longest = 0
    for size in (12, 30, 60):
        game = NormalFormGame.bimatrix(rng.random((size, size + 3)), rng.random((size, size + 3)))
        for label in (0, size + 1):
            result = lemke_howson_solve(game, initial_label=label)
            assert result.converged and result.certificate[0] <= 1e-9
            longest = max(longest, result.iterations)
    assert longest > 100
    game = NormalFormGame.bimatrix(rng.integers(0, 9, (15, 15)), rng.integers(0, 9, (15, 15)))
    f, e = lemke_howson_solve(game), lemke_howson_solve(game, rational=True)
    assert f.iterations == e.iterations and close_to(f.equilibrium, as_tuple(e.equilibrium))


def test_loop_primitives_match_numpy_primitives() -> None:
    """The loops that numba compiles (when installed) compute what the NumPy versions compute."""
    rng = np.random.default_rng(11)
    a = lh._positive_floats(rng.random((9, 12)))
    p = lh._new_polytope(a.T, slack_label=9, structural_label=0)
    q = lh._new_polytope(a, slack_label=0, structural_label=9)
    walk = np.array([0, 0, 0, 0, 0, -1, -1, 1], dtype=np.int64)
    keys = np.random.default_rng(0).integers(-2**62, 2**62, size=(2, 21))
    with np.errstate(divide="ignore", invalid="ignore"):
        lh._walk_revised(p, q, walk, keys, 0, 6)
    for poly in (p, q):
        k = int(poly.state[0])
        assert k > 0
        vector = rng.random(k)
        np.testing.assert_allclose(lh._inverse_times_loops(poly, vector), lh._inverse_times_numpy(poly, vector))
        np.testing.assert_allclose(lh._columns_times_loops(poly, vector), lh._columns_times_numpy(poly, vector))
        np.testing.assert_allclose(lh._row_times_inverse_loops(poly, 2), lh._row_times_inverse_numpy(poly, 2))
    values = np.array([0.0, 1.0, 2.0, 1.0, 3.0, 0.5])
    for direction in ([0.0, 1.0, 4.0, 1.0, -1.0, 0.25], [1.0, 1.0, 1.0, 1.0, 1.0, 1.0], [0.0, -1, 0, 0, 0, 0],
                      [1e-12, 2.0, 2.0, 1.0, 3.0, 0.5], [0.0, 2.0, 4.0, 2.0, 6.0, 1.0]):
        ratios, loop_ratios = np.zeros(6), np.zeros(6)
        index, ties = lh._min_ratio_numpy(values, np.asarray(direction), ratios)
        loop_index, loop_ties = lh._min_ratio_loops(values, np.asarray(direction), loop_ratios)
        assert (index, ties) == (loop_index, loop_ties)
        if index >= 0:
            np.testing.assert_array_equal(ratios, loop_ratios)
            assert list(lh._ties_numpy(ratios, index)) == list(lh._ties_loops(loop_ratios, index))
    ratios = np.zeros(6)
    assert lh._min_ratio_loops(values, np.array([0.0, 2.0, 4.0, 2.0, 6.0, 1.0]), ratios) == (1, 5)
    assert list(lh._ties_loops(ratios, 1)) == [1, 2, 3, 4, 5]


def test_dense_loop_primitives_match_numpy_primitives() -> None:
    """The dense engine's loops (ratio test, pivot, NumPy's pairwise sum, payoff scales, vertex miss) as in NumPy."""
    rng = np.random.default_rng(12)
    for rows, cols in ((1, 1), (3, 5), (9, 4), (20, 20)):
        values = rng.random((rows, cols + 1)) - 0.3
        values[:, -1] = rng.random(rows)
        for col in range(cols):
            scratch, loop_scratch = np.zeros(2 * (rows + cols) + 1), np.zeros(2 * (rows + cols) + 1)
            row = lh._dense_ratio_test_numpy(values, col, scratch)
            assert row == lh._dense_ratio_test_loops(values, col, loop_scratch)
            np.testing.assert_array_equal(scratch[:rows], loop_scratch[:rows])
            if row[0] < 0:
                continue
            pivoted, loop_pivoted = values.copy(), values.copy()
            lh._dense_pivot_numpy(pivoted, row[0], col, scratch)
            lh._dense_pivot_loops(loop_pivoted, row[0], col, loop_scratch)
            np.testing.assert_allclose(pivoted, loop_pivoted, rtol=1e-14, atol=1e-14)
    ties = np.array([[1.0, 2.0], [2.0, 4.0], [0.5, 1.0]])  # equal ratios 2, 2, 2 in column 0
    assert lh._dense_ratio_test_loops(ties, 0, np.zeros(9)) == (0, 3)
    assert lh._dense_ratio_test_numpy(ties, 0, np.zeros(9)) == (0, 3)
    for size in (0, 1, 7, 8, 9, 100, 128, 129, 1000, 4099, 40000):
        vector = rng.random(size) * rng.random(size) ** 5
        if size <= 128:  # bit for bit: NumPy's order up to 128 entries
            assert lh._sum_loops(vector) == vector.sum()
        else:
            assert lh._sum_loops(vector) == pytest.approx(vector.sum(), rel=1e-14)
    for payoffs in (rng.normal(size=(2, 4, 7)), np.stack([np.full((3, 3), 2.0), rng.random((3, 3))])):
        loop_scales, numpy_scales = np.zeros(4), np.zeros(4)
        lh._payoff_scales_loops(payoffs, loop_scales)
        lh._payoff_scales_numpy(payoffs, numpy_scales)
        np.testing.assert_array_equal(loop_scales, numpy_scales)
    for scale in (0.0, 1.7):
        payoffs, structural, slack = rng.random((5, 6)), rng.random(6) - 0.1, rng.random(5)
        support = np.flatnonzero(structural)
        assert lh._vertex_miss_loops(payoffs, 0.2, scale, structural, slack, support) == pytest.approx(
            lh._vertex_miss_numpy(payoffs, 0.2, scale, structural, slack, support), rel=1e-14)
    nan = np.array([np.nan, 0.0])
    assert np.isnan(lh._vertex_miss_loops(np.ones((2, 2)), 0.0, 1.0, nan, np.zeros(2), np.array([0])))


def test_savani_von_stengel_paths_float_equals_exact() -> None:
    """On the hard games (unique equilibrium, long paths from every label) float and exact pivoting agree for d=6."""

    game = savani_von_stengel_game(6)
    for label in range(12):
        f = lemke_howson_solve(game, initial_label=label)
        e = lemke_howson_solve(game, initial_label=label, rational=True)
        assert f.iterations == e.iterations >= 16 and e.certificate[0] == 0
        assert close_to(f.equilibrium, as_tuple(e.equilibrium))
    assert len(lemke_howson_solve(game, all_labels=True, rational=True)) == 1


def test_engines_follow_the_same_path_on_a_large_game() -> None:
    rng = np.random.default_rng(5)
    game = NormalFormGame.bimatrix(rng.random((130, 127)), rng.random((130, 127)))  # revised form by default
    revised = lemke_howson_solve(game, initial_label=3)
    with pytest.MonkeyPatch.context() as monkeypatch:
        use_engine(monkeypatch, "dense")
        dense = lemke_howson_solve(game, initial_label=3)
    assert revised.iterations == dense.iterations > 10
    assert close_to(revised.equilibrium, as_tuple(dense.equilibrium), tol=1e-12)
    assert revised.certificate[0] <= 1e-12


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_spoilt_float_paths_are_redone_exactly(engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A float path whose end misses its system falls back to exact pivoting (its pivots are counted too)."""
    use_engine(monkeypatch, engine)
    monkeypatch.setattr(lh, "_VERTEX_TOL", -1.0)  # every float vertex now counts as spoilt
    game = von_stengel()
    for label in range(5):
        result = lemke_howson_solve(game, initial_label=label)
        exact = lemke_howson_solve(game, initial_label=label, rational=True)
        assert result.converged and not result.rational and result.equilibrium[0].dtype == float
        assert close_to(result.equilibrium, as_tuple(exact.equilibrium), tol=0.0)
        assert result.iterations == 2 * exact.iterations
        assert lemke_howson_path_length(game, label) == exact.iterations


def test_interpreted_numpy_engines_without_numba() -> None:
    """With numba unavailable the same code runs interpreted on the NumPy primitives; it must give the same paths."""
    script = textwrap.dedent("""
        import json
        import sys
        sys.modules["numba"] = None  # makes "import numba" fail
        import numpy as np
        from equilibria import NormalFormGame
        from equilibria.solvers import lemke_howson as lh
        assert not lh.NUMBA_INSTALLED and lh._columns_times is lh._columns_times_numpy
        rng = np.random.default_rng(3)
        for engine_limit in (10**12, 0):
            lh._DENSE_MAX_ENTRIES = engine_limit
            for _ in range(15):
                m, n = rng.integers(1, 7, size=2)
                game = NormalFormGame.bimatrix(rng.integers(-2, 3, (m, n)), rng.integers(-2, 3, (m, n)))
                for label in range(m + n):
                    f = lh.lemke_howson_solve(game, initial_label=label)
                    e = lh.lemke_howson_solve(game, initial_label=label, rational=True)
                    assert f.converged and f.certificate[0] <= 1e-9 and f.iterations == e.iterations
        lh._DENSE_MAX_ENTRIES = 128 * 128
        rng = np.random.default_rng(30)
        game = NormalFormGame.bimatrix(rng.random((30, 30)), rng.random((30, 30)))
        raced = [lh.lemke_howson_solve(game, initial_label=k) for k in (0, 41)] + [lh.lemke_howson_solve(game)]
        print(json.dumps([[r.iterations, r.parameters.get("winning_label"), np.concatenate(r.equilibrium).tolist()]
                          for r in raced]))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    rng = np.random.default_rng(30)
    game = NormalFormGame.bimatrix(rng.random((30, 30)), rng.random((30, 30)))
    compiled = [lemke_howson_solve(game, initial_label=k) for k in (0, 41)] + [lemke_howson_solve(game)]
    for (pivots, winner, profile), result in zip(json.loads(done.stdout), compiled, strict=True):
        assert pivots == result.iterations and winner == result.parameters.get("winning_label")
        np.testing.assert_allclose(profile, np.concatenate(result.equilibrium), rtol=0, atol=1e-12)


def test_cycle_detection() -> None:
    """Brent's method on the hashed bases stops a walk that revisits a state (as round-off could make it)."""
    keys = np.random.default_rng(0).integers(-2**62, 2**62, size=(2, 6))
    walk = np.array([1, 0, 0, 0, 0, -1, -1, 1], dtype=np.int64)
    statuses = []
    for _ in range(40):  # P: 1 in, 2 out; Q: 2 in, 1 out; ... every 4 pivots the same state comes back
        entering = int(walk[0])
        statuses.append(lh._advance(walk, keys, entering, 2 if entering == 1 else 1, label=5))
        if statuses[-1] >= 0:
            break
    assert statuses[-1] == lh._STUCK and len(statuses) < 40
    keys = np.random.default_rng(0).integers(-2**62, 2**62, size=(2, 32))
    walk = np.array([1, 0, 0, 0, 0, -1, -1, 1], dtype=np.int64)
    for step in range(1, 30):  # a walk whose states are all different is not stopped
        assert lh._advance(walk, keys, step, step + 1, label=31) == -1


# -- budgets and bad input ----------------------------------------------------------------------------------


def test_iteration_budget_returns_unconverged() -> None:
    game = NormalFormGame.zero_sum([[0, -1, 1], [1, 0, -1], [-1, 1, 0]])
    assert lemke_howson_path_length(game, 0) > 1
    for rational in (False, True):
        result = lemke_howson_solve(game, max_iterations=1, rational=rational)
        assert not result.converged and len(result) == 0 and result.iterations == 1


def test_budget_keeps_the_paths_already_completed() -> None:
    game = von_stengel()
    first = lemke_howson_path_length(game, 0)
    result = lemke_howson_solve(game, all_labels=True, max_iterations=first + 1)
    assert not result.converged and len(result) == 1 and result.iterations == first + 1


def test_time_budget_returns_unconverged() -> None:
    rng = np.random.default_rng(3)
    game = NormalFormGame.bimatrix(rng.random((40, 40)), rng.random((40, 40)))
    result = lemke_howson_solve(game, max_seconds=1e-9)
    assert not result.converged and len(result) == 0


def test_bad_input() -> None:
    game = von_stengel()
    three_players = NormalFormGame(np.zeros((3, 2, 2, 2)))
    with pytest.raises(GameError, match="lemke_howson_solve"):
        lemke_howson_solve(three_players)
    with pytest.raises(GameError, match="NormalFormGame"):
        lemke_howson_solve([[1, 2], [3, 4]])
    for label in (-1, 5, 1.0, True, "0"):
        with pytest.raises(GameError, match="initial_label"):
            lemke_howson_solve(game, initial_label=label)  # type: ignore[arg-type]
    with pytest.raises(GameError, match="max_iterations"):
        lemke_howson_solve(game, max_iterations=0)
    with pytest.raises(GameError, match="max_seconds"):
        lemke_howson_solve(game, max_seconds=-1.0)
    with pytest.raises(GameError, match="lemke_howson_path_length"):
        lemke_howson_path_length(game, 5)
    with pytest.raises(GameError, match="lemke_howson_path_length"):
        lemke_howson_path_length(three_players, 0)
    assert len(lemke_howson_solve(game, initial_label=None, all_labels=True)) == 2
    with pytest.raises(GameError, match="initial_label"):
        lemke_howson_solve(game, initial_label=5, all_labels=True)


# -- racing (initial_label=None, the default) ----------------------------------------------------------------


def race_bound(game: NormalFormGame, shortest: int) -> int:
    """Pivots racing can use at most: label 0's head start, then rounds of doubling targets over every label
    until the round whose target reaches the shortest path (each round at most doubles what came before)."""
    n_labels = sum(game.n_actions)
    target = lh._RACE_FIRST
    total = lh._RACE_HEAD_START * n_labels
    while True:
        total += n_labels * target
        if target >= shortest:
            return total
        target *= 2


def long_label_zero_game(n: int, seed: int) -> NormalFormGame:
    """A random n x n game whose label-0 path is longer than racing's head start (so that the race runs)."""
    rng = np.random.default_rng(seed)
    for _ in range(100):
        game = NormalFormGame.bimatrix(rng.random((n, n)), rng.random((n, n)))
        if lemke_howson_path_length(game, 0) > lh._RACE_HEAD_START * 2 * n:
            return game
    raise AssertionError(f"no {n} x {n} game with a long label-0 path among the first 100 of seed {seed}")


@pytest.mark.parametrize("d", [6, 8])
@pytest.mark.parametrize("rational", [False, True])
def test_racing_ends_on_savani_von_stengel_games(d: int, rational: bool) -> None:
    """Every label's path is long on these games; the race ends with the shortest, at the unique equilibrium."""

    game = savani_von_stengel_game(d)
    lengths = [lemke_howson_path_length(game, k, rational=True) for k in range(2 * d)]
    assert min(lengths) >= 2 ** (d // 2)
    result = lemke_howson_solve(game, rational=rational)
    winner = result.parameters["winning_label"]
    assert result.converged and len(result) == 1 and result.parameters["initial_label"] is None
    assert result.certificate[0] == 0 if rational else result.certificate[0] <= 1e-9
    # The winner's path is one that ends first in the schedule: the equilibrium is that path's end.
    alone = lemke_howson_solve(game, initial_label=winner, rational=rational)
    assert all(np.array_equal(r, a) for r, a in zip(result.equilibrium, alone.equilibrium, strict=True))
    assert lengths[winner] == min(lengths) or lengths[winner] <= lh._RACE_HEAD_START * 2 * d
    assert result.iterations <= race_bound(game, min(lengths))


def test_racing_is_label_zero_when_its_path_is_short() -> None:
    """On small games label 0's path usually ends within its head start: racing then is that path, bit for bit."""
    rng = np.random.default_rng(21)
    compared = 0
    for _ in range(30):
        game = NormalFormGame.bimatrix(rng.random((8, 6)), rng.random((8, 6)))
        if lemke_howson_path_length(game, 0) > lh._RACE_HEAD_START * 14:
            continue
        raced, alone = lemke_howson_solve(game), lemke_howson_solve(game, initial_label=0)
        assert raced.parameters["winning_label"] == 0 and raced.iterations == alone.iterations
        assert all(np.array_equal(r, a) for r, a in zip(raced.equilibrium, alone.equilibrium, strict=True))
        assert raced.certificate == alone.certificate
        compared += 1
    assert compared >= 20


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_racing_runs_the_rounds_deterministically(engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A game whose label-0 path outlasts the head start: the rounds pick the same winner every time, and the
    winner's own path ends at the returned equilibrium; both engines agree."""
    game = long_label_zero_game(40, seed=1)
    reference = lemke_howson_solve(game)
    use_engine(monkeypatch, engine)
    first, second = lemke_howson_solve(game), lemke_howson_solve(game)
    for result in (first, second):
        assert result.converged and result.certificate[0] <= 1e-9
        assert result.iterations == reference.iterations
        assert result.parameters["winning_label"] == reference.parameters["winning_label"] != 0
        assert close_to(result.equilibrium, as_tuple(reference.equilibrium), tol=1e-12)
    assert all(np.array_equal(a, b) for a, b in zip(first.equilibrium, second.equilibrium, strict=True))
    winner = first.parameters["winning_label"]
    alone = lemke_howson_solve(game, initial_label=winner)
    assert close_to(first.equilibrium, as_tuple(alone.equilibrium), tol=1e-12)
    assert first.iterations <= race_bound(game, min(lemke_howson_path_length(game, k) for k in range(80)))


def test_racing_respects_the_budgets() -> None:

    game = savani_von_stengel_game(8)  # label 0's path (80 pivots) outlasts its head start: the rounds run
    needed = lemke_howson_solve(game).iterations
    for budget in (1, 5, needed // 2, needed - 1):
        for rational in (False, True):
            result = lemke_howson_solve(game, max_iterations=budget, rational=rational)
            assert not result.converged and len(result) == 0 and result.iterations == budget
            assert result.parameters["winning_label"] is None
    assert lemke_howson_solve(game, max_iterations=needed).converged
    assert not lemke_howson_solve(long_label_zero_game(40, seed=1), max_seconds=1e-9).converged


def test_racing_falls_back_to_exact_when_every_float_path_fails(monkeypatch: pytest.MonkeyPatch) -> None:

    monkeypatch.setattr(lh, "_VERTEX_TOL", -1.0)  # every float vertex now counts as spoilt
    game = savani_von_stengel_game(8)  # label 0's path outlasts its head start: every label runs
    result = lemke_howson_solve(game)
    exact = lemke_howson_solve(game, rational=True)
    assert result.converged and not result.rational and result.equilibrium[0].dtype == float
    assert close_to(result.equilibrium, as_tuple(exact.equilibrium), tol=0.0)
    assert result.parameters["winning_label"] == exact.parameters["winning_label"]
    assert result.iterations > exact.iterations  # the failed float paths' pivots count too


def test_racing_on_a_large_random_game() -> None:
    """Single paths on random games have heavy-tailed lengths (label 0 can take minutes at 500 x 500); the race
    ends quickly at a certified equilibrium (revised engine, growing W)."""
    rng = np.random.default_rng([0, 1, 300, 0])
    game = NormalFormGame.bimatrix(rng.random((300, 300)), rng.random((300, 300)))
    result = lemke_howson_solve(game, max_seconds=60.0)
    assert result.converged and result.certificate[0] <= 1e-9
    assert result.iterations < 20 * 600


def test_revised_form_grows_its_storage(monkeypatch: pytest.MonkeyPatch) -> None:
    """W starts small and doubles; starting from room for one basic structural changes nothing."""
    use_engine(monkeypatch, "revised")
    rng = np.random.default_rng(8)
    game = NormalFormGame.bimatrix(rng.random((30, 25)), rng.random((30, 25)))
    reference = [lemke_howson_solve(game, initial_label=k) for k in (0, 7, 40)]
    monkeypatch.setattr(lh, "_FIRST_CAPACITY", 1)
    for k, expected in zip((0, 7, 40), reference, strict=True):
        result = lemke_howson_solve(game, initial_label=k)
        assert result.iterations == expected.iterations
        assert all(np.array_equal(r, e) for r, e in zip(result.equilibrium, expected.equilibrium, strict=True))
    path = lh._Payoffs(game).new_path(0, rational=False)
    assert isinstance(path, lh._RevisedPath) and path.advance(10**6) == "done"
    assert path.p.structurals.size > 1 and path.q.structurals.size > 1


# (m, n, label, pivots, sum_i (i + 1) x_i + sum_j (j + 1) y_j) from the solver before racing, the single compiled
# dense call and the growing revised form were added (games from default_rng(2024), drawn in this order).
EXPLICIT_LABEL_RESULTS = [
    (10, 10, 0, 3, 12.0), (10, 10, 5, 17, 11.562749028012853), (10, 10, 13, 13, 12.0),
    (7, 13, 0, 15, 15.290896392803752), (7, 13, 5, 2, 16.0), (7, 13, 10, 2, 7.0),
    (40, 40, 0, 73, 50.29637509078046), (40, 40, 5, 4, 8.99755706115969), (40, 40, 43, 2, 43.0),
    (150, 130, 0, 81, 125.46244576955814), (150, 130, 5, 103, 195.17800135064783),
    (150, 130, 153, 3334, 144.2647680822883),
]


def test_explicit_labels_give_the_results_they_gave_before() -> None:
    rng = np.random.default_rng(2024)
    games = {}
    for m, n, label, pivots, fingerprint in EXPLICIT_LABEL_RESULTS:
        if (m, n) not in games:
            games[m, n] = NormalFormGame.bimatrix(rng.random((m, n)), rng.random((m, n)))
        result = lemke_howson_solve(games[m, n], initial_label=label)
        x, y = result.equilibrium
        assert result.parameters == {"initial_label": label, "all_labels": False, "rational": False,
                                     "max_iterations": None, "max_seconds": None}
        assert result.iterations == pivots
        assert x @ np.arange(1, m + 1) + y @ np.arange(1, n + 1) == pytest.approx(fingerprint, rel=1e-12)


# -- certificates made in the compiled call, the head start's own route --------------------------------------


@given(st.integers(1, 12), st.integers(1, 12), st.integers(0, 2**32 - 1), st.sampled_from(sorted(ENGINES)))
@settings(max_examples=40, deadline=None)
def test_certificates_are_the_metrics_on_every_route(m: int, n: int, seed: int, engine: str) -> None:
    """Default race (the head start's one compiled call), one label, every label: the metrics' own numbers."""
    rng = np.random.default_rng(seed)
    game = NormalFormGame.bimatrix(rng.normal(size=(m, n)), rng.normal(size=(m, n)))
    with pytest.MonkeyPatch.context() as monkeypatch:
        use_engine(monkeypatch, engine)
        results = [lemke_howson_solve(game), lemke_howson_solve(game, max_seconds=60.0),
                   lemke_howson_solve(game, initial_label=int(rng.integers(m + n))),
                   lemke_howson_solve(game, all_labels=True)]
        # The default call's route and the general race (a budget takes it) give the same answer, to the bit.
        general = lemke_howson_solve(game, max_iterations=10**9)
    for result in results:
        assert result.converged
        for equilibrium, values, certificate in zip(result.equilibria, result.values, result.certificate,
                                                    strict=True):
            assert certificate == max_regret(game, equilibrium) <= 1e-9
            assert values == pytest.approx(game.expected_payoffs(equilibrium), rel=1e-12, abs=1e-12)
            assert all(s.dtype == np.float64 and s.shape == (k,) for s, k in zip(equilibrium, (m, n), strict=True))
    assert results[0].parameters["winning_label"] == general.parameters["winning_label"]
    assert results[0].iterations == general.iterations and results[0].certificate == general.certificate
    assert all(np.array_equal(s, t) for s, t in zip(results[0].equilibrium, general.equilibrium, strict=True))


def test_results_do_not_share_buffers() -> None:
    rng = np.random.default_rng(8)
    game = NormalFormGame.bimatrix(rng.random((6, 6)), rng.random((6, 6)))
    first, second = lemke_howson_solve(game), lemke_howson_solve(game)
    x, y = first.equilibrium
    assert not np.shares_memory(x, second.equilibrium[0]) and not np.shares_memory(first.values[0], second.values[0])
    assert x.base is not None and x.base.size == 6 + 6 + 5  # the path's own small buffer, not its tableaux


def test_polished_dense_vertices_are_certified_by_nash_result(monkeypatch: pytest.MonkeyPatch) -> None:
    """A vertex read out again from its basis carries no compiled evaluation: nash_result certifies it."""
    rng = np.random.default_rng(9)
    game = NormalFormGame.bimatrix(rng.random((7, 5)), rng.random((7, 5)))
    plain = lemke_howson_solve(game)
    monkeypatch.setattr(lh, "_POLISH_TOL", -1.0)  # every dense vertex is re-read by _float_strategy
    for result in (lemke_howson_solve(game), lemke_howson_solve(game, initial_label=3)):
        assert result.converged and result.certificate[0] == max_regret(game, result.equilibrium) <= 1e-12
    assert close_to(lemke_howson_solve(game).equilibrium, plain.equilibrium, tol=1e-12)


def test_head_start_that_stops_goes_on_in_the_race() -> None:
    game = savani_von_stengel_game(8)  # label 0's path (80 pivots) outlasts its head start of 64
    fast, general = lemke_howson_solve(game), lemke_howson_solve(game, max_iterations=10**9)
    assert fast.converged and fast.iterations == general.iterations > 4 * 16
    assert fast.parameters["winning_label"] == general.parameters["winning_label"]
    assert close_to(fast.equilibrium, general.equilibrium, tol=0.0)
