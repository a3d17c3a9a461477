"""Sequence-form LP: known values (Kuhn -1/18 exactly, Leduc), certificates, and a differential test against the
reduced normal form solved by the normal-form zero-sum LP."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria import GameError
from equilibria.core.errors import NotApplicableError
from equilibria.core.rational import to_fraction_array
from equilibria.games.sequence_form import best_response_value, realization_plans, reduced_normal_form
from equilibria.solvers.sequence_form_lp import sequence_form_lp_solve
from equilibria.solvers.zero_sum_lp import zero_sum_lp_solve
from tests.games.test_sequence_form import random_tree


def zoo(name: str):  # type: ignore[no-untyped-def]
    from equilibria.games.zoo.extensive_form import entry

    return entry(name)


def test_kuhn_value_is_minus_one_eighteenth_exactly() -> None:
    game = zoo("kuhn-poker").game()
    result = sequence_form_lp_solve(game, rational=True)
    assert result.rational and result.converged
    assert result.parameters["value"] == Fraction(-1, 18)
    assert result.parameters["exact_exploitability"] == 0
    policy = result.equilibrium
    assert policy.dtype == object and all(isinstance(p, Fraction) for p in policy)
    assert result.certificate[0] == 0 and isinstance(result.certificate[0], Fraction)  # exact, from metrics
    assert list(result.values[0]) == [Fraction(-1, 18), Fraction(1, 18)]
    # Player 0 plays in Kuhn's family: bets K three times as often as J, never bets Q first.
    by_label = {label: policy[game.infoset_action_offset[i]:game.infoset_action_offset[i + 1]]
                for i, label in enumerate(game.infoset_labels)}
    assert by_label["K"][1] == 3 * by_label["J"][1] and by_label["Q"][1] == 0
    assert by_label["Q:check,bet"][1] == by_label["J"][1] + Fraction(1, 3)
    # Player 1's equilibrium strategy is unique: calls a bet with Q a third of the time, bets J after a check 1/3.
    assert by_label["Q:bet"][1] == Fraction(1, 3) and by_label["J:check"][1] == Fraction(1, 3)


def test_kuhn_float_solution_is_certified() -> None:
    game = zoo("kuhn-poker").game()
    result = sequence_form_lp_solve(game)
    assert result.parameters["value"] == pytest.approx(-1 / 18, abs=1e-12)
    assert result.certificate[0] == pytest.approx(0.0, abs=1e-12)
    assert result.certificate_name == "exploitability"


def test_matching_pennies_tree_is_one_half_each_value_zero() -> None:
    game = zoo("matching-pennies-tree").game()
    result = sequence_form_lp_solve(game, rational=True)
    assert result.parameters["value"] == 0
    assert list(result.equilibrium) == [Fraction(1, 2)] * 4


def test_leduc_value_in_well_under_ten_seconds() -> None:
    entry = zoo("leduc-poker")
    game = entry.game()
    result = sequence_form_lp_solve(game)
    assert result.seconds < 10.0  # the target (pygambit had not finished in 115 s)
    assert result.parameters["value"] == pytest.approx(entry.value, abs=1e-10)
    assert result.certificate[0] == pytest.approx(0.0, abs=1e-9)
    exact = sequence_form_lp_solve(game, rational=True)
    assert exact.parameters["exact_exploitability"] == 0
    assert float(exact.parameters["value"]) == pytest.approx(entry.value, abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([0.0, 0.5]))
def test_value_equals_the_reduced_normal_form_value(seed: int, observe: float) -> None:
    game = random_tree(seed, max_depth=3, observe=observe)
    reduced = reduced_normal_form(game)
    normal = zero_sum_lp_solve(reduced.game, rational=True)
    x, y = normal.equilibrium
    normal_value = x @ to_fraction_array(reduced.game.payoffs[0]) @ y  # exact: chance is dyadic in random_tree
    exact = sequence_form_lp_solve(game, rational=True)
    assert exact.parameters["value"] == normal_value
    assert exact.parameters["exact_exploitability"] == 0
    floating = sequence_form_lp_solve(game)
    assert floating.parameters["value"] == pytest.approx(float(normal_value), abs=1e-9)
    assert floating.certificate[0] == pytest.approx(0.0, abs=1e-9)


def assert_exact_equilibrium(game, result) -> None:  # type: ignore[no-untyped-def]
    """Both players' exact guarantees equal the reported value (recomputed over sequences, independently)."""
    assert result.parameters["exact_exploitability"] == 0
    x, y = realization_plans(game, result.equilibrium)
    assert best_response_value(game, [None, y], 0) == result.parameters["value"]
    assert -best_response_value(game, [x, None], 1) == result.parameters["value"]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([(4, 10**6, 0.0), (5, 10**6, 0.0), (4, 10, 0.0), (5, 3, 0.5)]))
def test_exact_mode_on_games_with_large_denominators(seed: int, shape: tuple[int, int, float]) -> None:
    # Payoffs up to 10**6 and players who observe nothing give mixed equilibria whose denominators defeat rounding;
    # small payoff ranges give degenerate games (ties, optimal faces that are not vertices).
    depth, payoff_range, observe = shape
    game = random_tree(seed, max_depth=depth, payoff_range=payoff_range, observe=observe)
    assert_exact_equilibrium(game, sequence_form_lp_solve(game, rational=True))


def test_an_underdetermined_support_system_is_completed_through_the_lp_answer(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Seed 214's player-1 support system, from HiGHS's answer, has rank 11 in 12 unknowns (a degenerate optimal
    face); it used to make the exact mode give up. Completed through the LP's answer it gives the exact
    equilibrium, value -42401. (The dense simplex's vertex rounds directly: HiGHS is forced for this path.)"""
    import equilibria.solvers.sequence_form_lp as module

    game = random_tree(214, max_depth=4, payoff_range=10**6, observe=0.0)
    with monkeypatch.context() as patch:
        patch.setattr(module, "_DENSE_CELLS", 0)
        result = sequence_form_lp_solve(game, rational=True)
    assert result.parameters["lp_engine"] == "highs"
    assert_exact_equilibrium(game, result)
    assert result.parameters["value"] == -42401 and result.parameters["exact_from"][1] == "support"
    dense = sequence_form_lp_solve(random_tree(214, max_depth=4, payoff_range=10**6, observe=0.0), rational=True)
    assert dense.parameters["lp_engine"] == "dense simplex" and dense.parameters["value"] == -42401


def test_exact_mode_uses_the_support_system_when_rounding_fails() -> None:
    sources = []
    for seed in range(40):
        game = random_tree(seed, max_depth=4, payoff_range=10**6, observe=0.0)
        result = sequence_form_lp_solve(game, rational=True)
        assert_exact_equilibrium(game, result)
        sources.extend(result.parameters["exact_from"])
    assert "support" in sources and "rounded" in sources


def test_bad_input() -> None:
    kuhn = zoo("kuhn-poker").game()
    with pytest.raises(GameError, match="ExtensiveFormGame"):
        sequence_form_lp_solve("kuhn")
    with pytest.raises(GameError, match="rational"):
        sequence_form_lp_solve(kuhn, rational="yes")  # type: ignore[arg-type]
    with pytest.raises(GameError, match="max_seconds"):
        sequence_form_lp_solve(kuhn, max_seconds=0)
    with pytest.raises(NotApplicableError, match="2-player"):
        sequence_form_lp_solve(random_tree(1, n_players=3, zero_sum=False))
    with pytest.raises(NotApplicableError, match="zero-sum"):
        sequence_form_lp_solve(random_tree(1, zero_sum=False))


def test_time_limit_returns_unconverged_empty_result() -> None:
    result = sequence_form_lp_solve(zoo("kuhn-poker").game(), max_seconds=1e-9)
    assert not result.converged and len(result) == 0


def test_sequence_form_lp_never_past_its_time_limit() -> None:
    """Item 2 of issue 15: tic-tac-toe's LP (1.9 million rows, columns and non-zeros) takes HiGHS about 1.7 s to
    set up before it checks the time; a 0.5 s budget is refused up front with a true reason, not overrun."""
    import time

    from equilibria.games.zoo.extensive_form import tic_tac_toe

    game = tic_tac_toe()
    started = time.perf_counter()
    result = sequence_form_lp_solve(game, max_seconds=0.5)
    wall = time.perf_counter() - started
    assert wall <= 1.5 * 0.5 + 1.0 and not result.converged and len(result) == 0
    reason = result.parameters["stopped_because"]
    assert "max_seconds=0.5" in reason and "too short" in reason and "\n" not in reason


def test_sequence_form_lp_time_limit_inside_highs_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the set-up estimate at 0, HiGHS starts on Leduc (which it solves in about 1.5 s) and its own time limit
    stops it: the reason says so. 0.05 s, so that building the LP fits in the share of the budget HiGHS may start in
    (0.7 of it) on a loaded machine too: with 0.005 s a CI run once took 4.5 ms to build it and did not start."""
    from equilibria.solvers import _common

    monkeypatch.setattr(_common, "HIGHS_START_SECONDS_PER_UNIT", 0.0)
    result = sequence_form_lp_solve(zoo("leduc-poker").game(), max_seconds=0.05)
    assert not result.converged and len(result) == 0
    reason = result.parameters["stopped_because"]
    assert reason.startswith("max_seconds=0.05 reached inside HiGHS") and result.seconds >= 0.05, reason


def test_sequence_form_lp_with_a_budget_still_solves_kuhn() -> None:
    result = sequence_form_lp_solve(zoo("kuhn-poker").game(), max_seconds=5.0)
    assert result.converged and "stopped_because" not in result.parameters
    assert result.parameters["value"] == pytest.approx(-1 / 18, abs=1e-9)
