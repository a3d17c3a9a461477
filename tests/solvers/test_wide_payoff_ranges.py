"""Wide payoff ranges: a profile whose certificate fails is never returned as an equilibrium (issue 15, item 1).

The float enumerations normalise payoffs per player before pivoting, certify every profile on the original game
within rounding of the payoffs (``_common.rounding_rtol``, relative to each player's ``max |u_i|``), and fall back to
exact vertex enumeration when a profile fails or the payoffs are too close for floats. Known answers (the
prisoner's dilemma below has exactly one equilibrium) and the exact path (``rational=True``, and the brute-force
oracle of ``test_vertex_enumeration``) are the references.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria import NormalFormGame
from equilibria.cli import main
from equilibria.games.io import load_game
from equilibria.games.io.nfg import loads_nfg
from equilibria.metrics.regret import payoffs_and_regrets
from equilibria.solvers._common import (
    Budget,
    certificate_tolerances,
    evaluated_result,
    nash_result,
    payoff_scales,
    rounding_rtol,
)
from equilibria.solvers.support_enumeration import support_enumeration_solve
from equilibria.solvers.vertex_enumeration import vertex_enumeration_solve
from tests.solvers.test_vertex_enumeration import oracle_extreme_equilibria, oracle_is_nondegenerate

# Gambit's payoff order: (R1, C1), (R2, C1), (R1, C2), (R2, C2). A = [[3, 0], [1e12, 1]], B = [[3, 1e12], [0, 1]]:
# defecting (action 2) is strictly dominant for both, by 1e12 - 3 against cooperation and by 1 against defection.
PD1E12 = 'NFG 1 R "pd1e12" { "R" "C" } { 2 2 }\n3 3\n1e12 0\n0 1e12\n1 1\n'
DEFECT = ((Fraction(0), Fraction(1)), (Fraction(0), Fraction(1)))


def assert_certified(game: NormalFormGame, result) -> None:
    """Every profile's regrets, recomputed here by the metrics layer, are within rounding of the payoffs."""
    tolerances = certificate_tolerances(game, rtol=rounding_rtol(game))
    for profile in result.equilibria:
        _, gains = payoffs_and_regrets(game, tuple(np.asarray(s, dtype=float) for s in profile))
        assert all(g <= t for g, t in zip(gains, tolerances, strict=True)), (gains, tolerances)


def as_set(result, digits: int = 9) -> set:
    return {tuple(tuple(round(float(v), digits) for v in s) for s in p) for p in result.equilibria}


def exact_as_set(expected: set, digits: int = 9) -> set:
    return {tuple(tuple(round(float(v), digits) for v in s) for s in p) for p in expected}


def test_pd1e12_wide_payoff_range_never_marked_converged_with_bad_certificate(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "pd1e12.nfg"
    path.write_text(PD1E12)
    game = load_game(path)
    assert game.payoffs[0].tolist() == [[3, 0], [1e12, 1]] and game.payoffs[1].tolist() == [[3, 1e12], [0, 1]]
    exact = vertex_enumeration_solve(game, rational=True)
    assert {tuple(map(tuple, p)) for p in exact.equilibria} == {DEFECT} and exact.certificate == (0,)
    for result in (vertex_enumeration_solve(game), support_enumeration_solve(game)):
        assert result.converged and len(result) == 1 and result.certificate == (0.0,)
        assert as_set(result) == exact_as_set({DEFECT})
        assert "exact_fallback" in result.parameters  # the float solve alone took 1 for 1 + 1e-12: ties
    assert vertex_enumeration_solve(game).complete is True
    assert main(["solve", str(path), "--all", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["converged"] is True and document["complete"] is True
    assert [(e["strategies"], e["max_regret"]) for e in document["equilibria"]] == [([[0.0, 1.0], [0.0, 1.0]], 0.0)]


def test_nash_result_never_says_converged_beside_a_failing_certificate() -> None:
    """The general rule, for every solver: a certificate beyond the tolerance makes the result not converged;
    kept and flagged by default, dropped (and counted) on request."""
    game = loads_nfg(PD1E12)
    spurious = (np.array([1.0, 0.0]), np.array([0.0, 1.0]))  # regret 1: the row player should defect
    good = (np.array([0.0, 1.0]), np.array([0.0, 1.0]))
    rtol = rounding_rtol(game)
    kept = nash_result(game, "t", [good, spurious], parameters={}, iterations=1, budget=Budget(), rtol=rtol)
    assert not kept.converged and len(kept) == 2 and kept.parameters["uncertified"] == 1
    assert "fail the certificate tolerance" in kept.parameters["message"]
    dropped = nash_result(game, "t", [good, spurious], parameters={}, iterations=1, budget=Budget(), rtol=rtol,
                          complete=True, drop_uncertified=True)
    assert not dropped.converged and dropped.complete is False and len(dropped) == 1
    assert dropped.parameters["uncertified_dropped"] == 1 and "dropped" in dropped.parameters["incomplete_reason"]
    assert nash_result(game, "t", [good], parameters={}, iterations=1, budget=Budget(), rtol=rtol).converged
    # The compiled solvers' shortcut takes the same rule.
    bimatrix = NormalFormGame.bimatrix([[3, 0], [5, 1]], [[3, 5], [0, 1]])
    x, y = np.array([0.25, 0.75]), np.array([0.5, 0.5])
    payoffs, gains = payoffs_and_regrets(bimatrix, (x, y))
    assert not evaluated_result(bimatrix, "t", (x, y), (payoffs, max(gains)), {}, 1, Budget()).converged


def test_the_tolerance_is_relative_to_each_players_payoff_scale() -> None:
    """A 1e15-scale game cannot meet an absolute 1e-9 in floats, and a 1e-12-scale game meets it with anything."""
    base = NormalFormGame.bimatrix([[2, -1], [-1, 1]], [[-2, 1], [1, -1]])  # equilibrium (2/5, 3/5) twice
    equilibrium = (np.array([0.4, 0.6]), np.array([0.4, 0.6]))
    wrong = (np.array([1.0, 0.0]), np.array([1.0, 0.0]))
    for scale in (1e-12, 1.0, 1e15):
        game = NormalFormGame(base.payoffs * scale)
        assert payoff_scales(game).tolist() == [2 * scale, 2 * scale]
        ok = nash_result(game, "t", [equilibrium], parameters={}, iterations=1, budget=Budget(),
                         rtol=rounding_rtol(game))
        bad = nash_result(game, "t", [wrong], parameters={}, iterations=1, budget=Budget())
        assert ok.converged and not bad.converged
    # Per player: the column player's tiny payoffs get a tiny tolerance beside the row player's huge ones.
    lopsided = NormalFormGame(np.stack([base.payoffs[0] * 1e15, base.payoffs[1] * 1e-12]))
    assert certificate_tolerances(lopsided, rtol=1e-9).tolist() == pytest.approx([2e6, 2e-21])
    assert not nash_result(lopsided, "t", [wrong], parameters={}, iterations=1, budget=Budget()).converged


# -- random games over payoff scales 1e-12 .. 1e15, uniform and mixed across entries -----------------------------


@st.composite
def scaled_games(draw, max_actions: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Small integer games times 10^k, with k per player, or per entry (mixed scales, like pd1e12)."""
    m = draw(st.integers(2, max_actions))
    n = draw(st.integers(2, max_actions))
    cells = st.lists(st.integers(-3, 3), min_size=2 * m * n, max_size=2 * m * n)
    integers = np.array(draw(cells), dtype=float).reshape(2, m, n)
    exponents = st.sampled_from([-12, -6, 0, 6, 12, 15])
    if draw(st.booleans()):
        scale = np.array([10.0 ** draw(exponents) for _ in range(2)])[:, None, None]
    else:
        scale = 10.0 ** np.array(draw(st.lists(exponents, min_size=2 * m * n, max_size=2 * m * n))).reshape(2, m, n)
    return integers[0] * scale[0], integers[1] * scale[1]


@settings(max_examples=120, deadline=None)
@given(scaled_games())
def test_every_profile_certified_and_agreeing_with_the_exact_path_over_payoff_scales(payoffs) -> None:
    a, b = payoffs
    game = NormalFormGame.bimatrix(a, b)
    exact = vertex_enumeration_solve(game, rational=True)
    expected = {(tuple(x), tuple(y)) for x, y in exact.equilibria}
    assert all(c == 0 for c in exact.certificate) and exact.converged
    vertex = vertex_enumeration_solve(game)
    assert vertex.converged and vertex.complete
    assert_certified(game, vertex)
    assert as_set(vertex) == exact_as_set(expected)
    if oracle_is_nondegenerate(a, b):
        assert oracle_extreme_equilibria(a, b) == expected
        support = support_enumeration_solve(game)
        assert support.converged
        assert_certified(game, support)
        assert as_set(support) == exact_as_set(expected)


# Games a longer random search (7,500 draws of the strategy above) found before the fixes: a spurious mixed
# equilibrium with regret 2e-3 beside payoffs of 3e15 (below any float certificate), equilibria lost to
# probabilities near ``tol`` (2e-9) or merged with a neighbour 3e-7 away, and a float search that found none.
FOUND_BY_SEARCH = [
    ([[3, -1e-12], [3, 3e15], [3e12, 1e12]], [[2e12, 2e-12], [2e6, 0], [2, 0]]),
    ([[3e15, -2e-12, -1e6], [-1, 3e6, 2e12]], [[2e6, 3, -1e-12], [0, 3e-6, -2]]),
    ([[0, 2e-12], [0, -3e12]], [[-3e6, -2e-12], [1e-12, -1]]),
    ([[0, 0], [3e15, -1e12]], [[3e6, -1e6], [-2e15, -3e12]]),
]


@pytest.mark.parametrize(("a", "b"), FOUND_BY_SEARCH)
def test_games_found_by_a_longer_search_agree_with_the_exact_path(a, b) -> None:
    a, b = np.array(a, dtype=float), np.array(b, dtype=float)
    game = NormalFormGame.bimatrix(a, b)
    expected = oracle_extreme_equilibria(a, b)
    exact = vertex_enumeration_solve(game, rational=True)
    assert {(tuple(x), tuple(y)) for x, y in exact.equilibria} == expected
    solvers = [vertex_enumeration_solve] + [support_enumeration_solve] * oracle_is_nondegenerate(a, b)
    for solve in solvers:
        result = solve(game)
        assert result.converged and as_set(result, 12) == exact_as_set(expected, 12)
        assert_certified(game, result)
