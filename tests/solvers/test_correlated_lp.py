"""Correlated and coarse correlated equilibrium LPs: Aumann's chicken, inclusions, certificates."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria import GameError, NormalFormGame
from equilibria.games import zoo
from equilibria.metrics.regret import cce_gap, ce_gap, product_distribution
from equilibria.solvers.correlated_lp import coarse_correlated_solve, correlated_solve

CHICKEN = NormalFormGame.bimatrix([[6, 2], [7, 0]], [[6, 7], [2, 0]])  # Aumann (1974); action 0 = swerve


def test_chicken_max_welfare_ce_derived_by_hand():
    # With p = [[a, b], [c, d]] the CE constraints are 2b >= a, c >= 2d (row) and 2c >= a, b >= 2d (column);
    # welfare 12a + 9b + 9c is maximised with d = 0, b = c = a / 2, so p = [[1/2, 1/4], [1/4, 0]] and welfare
    # 10.5 -- above Aumann's 1/3-1/3-1/3 CE (welfare 10) and every Nash equilibrium (9, 9 and 28/3).
    result = correlated_solve(CHICKEN)
    np.testing.assert_allclose(result.equilibrium, [[0.5, 0.25], [0.25, 0.0]], atol=1e-12)
    assert sum(result.values[0]) == pytest.approx(10.5, abs=1e-12)
    assert result.method == "correlated" and result.certificate_name == "ce_gap"
    assert result.certificate[0] <= 1e-12


def test_chicken_cce_equals_ce_with_two_actions():
    # With two actions each, "always play a'" is the single swap "told the other action, play a'": CCE == CE.
    result = coarse_correlated_solve(CHICKEN)
    assert result.method == "coarse_correlated" and result.certificate_name == "cce_gap"
    assert sum(result.values[0]) == pytest.approx(10.5, abs=1e-12)


def test_objectives_weights_and_tensor():
    # Player 0 alone: the best CE for the row player is the pure Nash (straight, swerve) paying 7, the
    # largest entry of A.
    row_only = correlated_solve(CHICKEN, objective=np.array([1.0, 0.0]))
    assert row_only.values[0][0] == pytest.approx(7.0, abs=1e-12)
    same = correlated_solve(CHICKEN, objective=CHICKEN.payoffs[0])
    assert same.values[0][0] == pytest.approx(7.0, abs=1e-12)
    # Most probability on (swerve, swerve): a <= 2b, a <= 2c with d = 0 gives 1/2.
    target = np.array([[1.0, 0.0], [0.0, 0.0]])
    assert correlated_solve(CHICKEN, objective=target).equilibrium[0, 0] == pytest.approx(0.5, abs=1e-12)


@pytest.mark.parametrize("name", ["battle-of-the-sexes", "von-stengel-3x2", "three-player-matching-pennies",
                                  "chicken"])
def test_nash_products_are_correlated_and_bound_the_optimum(name):
    entry = zoo.entry(name)
    game = entry.game()
    best_ce = sum(correlated_solve(game).values[0])
    best_cce = sum(coarse_correlated_solve(game).values[0])
    for known in entry.known_equilibria:
        joint = product_distribution(tuple(np.array(s, dtype=float) for s in known))
        assert ce_gap(game, joint) <= 1e-12 and cce_gap(game, joint) <= 1e-12
        welfare = float(np.sum(game.payoffs.sum(axis=0) * joint))
        assert best_ce >= welfare - 1e-9 * max(1.0, np.abs(game.payoffs).max())
    assert best_ce <= best_cce + 1e-9 * max(1.0, np.abs(game.payoffs).max())


def random_game(draw) -> NormalFormGame:
    shape = draw(st.lists(st.integers(1, 4), min_size=2, max_size=3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if draw(st.booleans()):
        return NormalFormGame(rng.integers(-3, 4, (len(shape), *shape)).astype(float))
    return NormalFormGame(rng.normal(scale=10.0 ** draw(st.integers(-3, 3)), size=(len(shape), *shape)))


@given(st.data())
@settings(max_examples=120, deadline=None)
def test_random_games_ce_and_cce_certified(data):
    game = random_game(data.draw)
    scale = float(np.abs(game.payoffs).max()) or 1.0
    ce = correlated_solve(game)
    cce = correlated_solve(game, coarse=True)
    for result, gap in ((ce, ce_gap), (cce, cce_gap)):
        joint = result.equilibrium
        assert result.converged and joint.shape == game.n_actions
        assert joint.min() >= 0 and joint.sum() == pytest.approx(1.0, abs=1e-12)
        assert gap(game, joint) <= 1e-9 * scale and result.certificate[0] <= 1e-9 * scale
    welfare_ce, welfare_cce = sum(ce.values[0]), sum(cce.values[0])
    # Every CE is a CCE, and every pure Nash equilibrium is a CE.
    assert welfare_ce <= welfare_cce + 1e-9 * scale
    for actions in game.pure_nash():
        assert welfare_ce >= game.payoffs[(slice(None), *actions)].sum() - 1e-9 * scale


def test_three_player_game_builds_sparse_constraints():
    game = NormalFormGame(np.random.default_rng(3).uniform(size=(3, 6, 6, 6)))
    result = correlated_solve(game)
    assert result.certificate[0] <= 1e-9
    # Maximising welfare over the larger CCE polytope can only help.
    assert sum(result.values[0]) <= sum(coarse_correlated_solve(game).values[0]) + 1e-9


def test_one_player_game_puts_all_mass_on_best_actions():
    result = correlated_solve(NormalFormGame(np.array([[1.0, 3.0, 2.0]])))
    np.testing.assert_allclose(result.equilibrium, [0.0, 1.0, 0.0], atol=1e-12)


def test_time_budget_stops_with_an_empty_unconverged_result():
    game = NormalFormGame(np.random.default_rng(0).uniform(size=(4, 6, 6, 6, 6)))
    result = correlated_solve(game, max_seconds=1e-9)
    assert not result.converged and len(result) == 0


def test_bad_input():
    with pytest.raises(GameError, match=r"correlated_solve\(game\)"):
        correlated_solve([[1, 2], [3, 4]])
    with pytest.raises(GameError, match=r"correlated_solve\(objective\).*'welfare'"):
        correlated_solve(CHICKEN, objective="utilitarian")
    with pytest.raises(GameError, match=r"objective\).*shape"):
        correlated_solve(CHICKEN, objective=np.ones(3))
    with pytest.raises(GameError, match=r"objective\).*finite"):
        correlated_solve(CHICKEN, objective=np.array([1.0, np.nan]))
    with pytest.raises(GameError, match=r"coarse_correlated_solve\(objective\)"):
        coarse_correlated_solve(CHICKEN, objective=[["a", "b"]])
    with pytest.raises(GameError, match=r"correlated_solve\(coarse\)"):
        correlated_solve(CHICKEN, coarse=1)
    with pytest.raises(GameError, match="max_seconds"):
        correlated_solve(CHICKEN, max_seconds=-1.0)


def _six_player_game():
    from equilibria.games.generators import random_game

    return random_game((6,) * 6, seed=0)  # 46,656 joint actions: 1.4 million constraint entries


@pytest.mark.parametrize("solve", [correlated_solve, coarse_correlated_solve])
def test_correlated_never_past_its_time_limit(solve):
    """Item 1 of issue 15: HiGHS cannot stop before its simplex starts (about a second on this LP), so a budget
    too short for that set-up is refused up front, with a true reason, instead of overrunning 1.5 T + 1 s."""
    import time

    game = _six_player_game()
    started = time.perf_counter()
    result = solve(game, max_seconds=0.5)
    wall = time.perf_counter() - started
    assert wall <= 1.5 * 0.5 + 1.0 and not result.converged and len(result) == 0
    reason = result.parameters["stopped_because"]
    assert "max_seconds=0.5" in reason and "too short" in reason and "\n" not in reason


def test_correlated_time_limit_inside_highs_is_reported(monkeypatch):
    """With the set-up estimate at 0 HiGHS starts and is stopped by its own time limit: the reason says so."""
    from equilibria.solvers import _common

    monkeypatch.setattr(_common, "HIGHS_START_SECONDS_PER_UNIT", 0.0)
    game = NormalFormGame(np.random.default_rng(0).uniform(size=(2, 60, 60)))  # about 700 iterations, 0.3 s
    result = correlated_solve(game, max_seconds=0.01)
    assert not result.converged and len(result) == 0
    assert "max_seconds=0.01" in result.parameters["stopped_because"] and result.seconds >= 0.01


def test_correlated_budget_large_enough_still_converges():
    result = correlated_solve(CHICKEN, max_seconds=5.0)
    np.testing.assert_allclose(result.equilibrium, [[0.5, 0.25], [0.25, 0.0]], atol=1e-12)
    assert result.converged and "stopped_because" not in result.parameters


def _ce_rows_by_definition(payoffs):
    """The CE constraint matrix written out entry by entry from the definition (dense, for small games)."""
    shape = payoffs.shape[1:]
    rows = []
    for player, n in enumerate(shape):
        for told in range(n):
            for play in range(n):
                if play == told:
                    continue
                row = np.zeros(shape)
                for joint in np.ndindex(*shape):
                    if joint[player] == told:
                        swapped = joint[:player] + (play,) + joint[player + 1:]
                        row[joint] = payoffs[player][swapped] - payoffs[player][joint]
                rows.append(row.ravel())
    return np.array(rows).reshape(-1, int(np.prod(shape)))


@given(st.lists(st.integers(1, 4), min_size=1, max_size=3), st.integers(0, 2**32 - 1))
@settings(max_examples=30, deadline=None)
def test_vectorised_ce_constraints_match_the_definition(shape, seed):
    from equilibria.solvers.correlated_lp import _ce_constraints

    payoffs = np.random.default_rng(seed).integers(-3, 4, size=(len(shape), *shape)).astype(float)
    matrix = _ce_constraints(payoffs)
    np.testing.assert_array_equal(matrix.toarray(), _ce_rows_by_definition(payoffs))
    assert matrix.has_sorted_indices
