"""Sequence-form Lemke tracing: known equilibria of classic general-sum trees (and of Gambit's example files, copied
below as data), exact mode, the zero-sum value against the sequence-form LP, random and degenerate trees, priors,
budgets and bad input."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria import GameError
from equilibria.core.errors import NotApplicableError
from equilibria.games.extensive_form import Chance, Decision, ExtensiveFormGame, Terminal
from equilibria.games.io import loads_efg
from equilibria.games.sequence_form import SequencePayoffs, reduced_normal_form, sequence_payoffs
from equilibria.games.zoo import general_sum_trees as trees
from equilibria.metrics.exploitability import exact_expected_payoffs
from equilibria.solvers import _lemke_lcp as lcp
from equilibria.solvers import sequence_form_lemke as module
from equilibria.solvers._common import Budget
from equilibria.solvers.sequence_form_lemke import sequence_form_lemke_solve
from equilibria.solvers.sequence_form_lp import sequence_form_lp_solve
from equilibria.solvers.vertex_enumeration import vertex_enumeration_solve
from tests.games.test_extensive_form import random_tree as nested_tree
from tests.games.test_sequence_form import random_policy, random_tree

seeds = st.integers(0, 2**32 - 1)

# Gambit's example files (data from the Gambit project's contrib/games and tests/test_games folders).
GAMBIT_E13 = """EFG 2 R "Two Stage Prisoners' Dilemma" { "Player 1" "Player 2" }
""
p "" 1 1 "(1,1)" { "C" "D" } 0
p "" 2 1 "(2,1)" { "C" "D" } 0
p "" 1 2 "(1,2)" { "C" "D" } 1 "Outcome 1" { 3, 3 }
p "" 2 2 "(2,2)" { "C" "D" } 0
t "" 1 "Outcome 1" { 3, 3 }
t "" 2 "Outcome 2" { 0, 4 }
p "" 2 2 "(2,2)" { "C" "D" } 0
t "" 3 "Outcome 3" { 4, 0 }
t "" 4 "Outcome 4" { 1, 1 }
p "" 1 3 "(1,3)" { "C" "D" } 2 "Outcome 2" { 0, 4 }
p "" 2 3 "(2,3)" { "C" "D" } 0
t "" 1 "Outcome 1" { 3, 3 }
t "" 2 "Outcome 2" { 0, 4 }
p "" 2 3 "(2,3)" { "C" "D" } 0
t "" 3 "Outcome 3" { 4, 0 }
t "" 4 "Outcome 4" { 1, 1 }
p "" 2 1 "(2,1)" { "C" "D" } 0
p "" 1 4 "(1,4)" { "C" "D" } 3 "Outcome 3" { 4, 0 }
p "" 2 4 "(2,4)" { "C" "D" } 0
t "" 1 "Outcome 1" { 3, 3 }
t "" 2 "Outcome 2" { 0, 4 }
p "" 2 4 "(2,4)" { "C" "D" } 0
t "" 3 "Outcome 3" { 4, 0 }
t "" 4 "Outcome 4" { 1, 1 }
p "" 1 5 "(1,5)" { "C" "D" } 4 "Outcome 4" { 1, 1 }
p "" 2 5 "(2,5)" { "C" "D" } 0
t "" 1 "Outcome 1" { 3, 3 }
t "" 2 "Outcome 2" { 0, 4 }
p "" 2 5 "(2,5)" { "C" "D" } 0
t "" 3 "Outcome 3" { 4, 0 }
t "" 4 "Outcome 4" { 1, 1 }
"""
GAMBIT_E17 = """EFG 2 R "Cho-Kreps (QJE 87) Fig 1, Beer-Quiche Game" { "Player 1" "Player 2" }
""
c "" 1 "(0,1)" { "wimp" 1/10 "surly" 9/10 } 0
p "" 1 1 "Infoset3" { "beer" "quiche" } 0
p "" 2 1 "(2,1)" { "duel" "don't" } 0
t "" 1 "Outcome 1" { 0, 1 }
t "" 2 "Outcome 2" { 2, 0 }
p "" 2 2 "(2,2)" { "duel" "don't" } 0
t "" 3 "Outcome 3" { 1, 1 }
t "" 4 "Outcome 4" { 3, 0 }
p "" 1 2 "(1,2):1" { "beer" "quiche" } 0
p "" 2 1 "(2,1)" { "duel" "don't" } 0
t "" 5 "Outcome 5" { 1, 0 }
t "" 6 "Outcome 6" { 3, 1 }
p "" 2 2 "(2,2)" { "duel" "don't" } 0
t "" 7 "Outcome 7" { 0, 0 }
t "" 8 "Outcome 8" { 2, 1 }
"""
# Kohlberg and Mertens (1986), Example 1: (2, 1) with payoffs (3, 3), and the component (1, player 2 plays 1 with
# probability <= 1/2) with payoffs (2, 2).
GAMBIT_KM1 = """EFG 2 R "Kohlberg Mertens, Example 1" { "Player 1" "Player 2" }
""
p "" 1 1 "(1,1)" { "1" "2" "3" } 0
t "" 1 "Outcome 1" { 2, 2 }
p "" 2 1 "(2,1)" { "1" "2" } 0
t "" 2 "Outcome 2" { 3, 3 }
t "" 3 "Outcome 3" { 1, 0 }
p "" 2 1 "(2,1)" { "1" "2" } 0
t "" 4 "Outcome 4" { 0, 0 }
t "" 5 "Outcome 5" { 1, 1 }
"""
# Gambit's precision test: payoffs 10**19 beside payoffs of size 1 (zero-sum, value 1).
GAMBIT_LARGE_PAYOFFS = """EFG 2 R "Large payoff game" { "1" "2" }
""
c "" 1 "" { "L" 1/2 "R" 1/2 } 0
p "" 1 1 "" { "A" "B" } 0
p "" 2 1 "" { "X" "Y" } 0
t "" 1 "large payoff" { 10000000000000000000, -10000000000000000000 }
t "" 2 "1" { 1, -1 }
p "" 2 2 "" { "X" "Y" } 0
t "" 3 "-1" { -1, 1 }
t "" 4 "0" { 0, 0 }
p "" 1 2 "" { "A" "B" } 0
p "" 2 1 "" { "X" "Y" } 0
t "" 3 "-1" { -1, 1 }
t "" 2 "1" { 1, -1 }
p "" 2 2 "" { "X" "Y" } 0
t "" 4 "0" { 0, 0 }
t "" 1 "large payoff" { 10000000000000000000, -10000000000000000000 }
"""


def degenerate(game: ExtensiveFormGame) -> ExtensiveFormGame:
    """The same tree with payoffs in {0, 1} (1 where the original is positive): ties everywhere."""
    return replace(game, payoffs=(game.payoffs > 0).astype(float))


def exact_values(result) -> tuple[Fraction, Fraction]:  # type: ignore[no-untyped-def]
    return tuple(Fraction(v) for v in exact_expected_payoffs(result.game, result.equilibrium))  # type: ignore


# -- known answers -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", trees.names())
def test_zoo_entries_list_exactly_the_equilibrium_payoffs_of_the_reduced_normal_form(name: str) -> None:
    entry = trees.entry(name)
    game = entry.game()
    for known, policy in zip(entry.equilibria, entry.policies(), strict=True):
        assert tuple(exact_expected_payoffs(game, policy)) == known.payoffs
    reduced = reduced_normal_form(game)
    extreme = vertex_enumeration_solve(reduced.game, rational=True)
    found = {tuple(exact_expected_payoffs(game, reduced.behaviour(p))) for p in extreme.equilibria}
    assert found == set(entry.payoff_set())  # every equilibrium component is listed (complete=True)
    assert entry.complete


@pytest.mark.parametrize("name", trees.names())
def test_zoo_trees_exact_answer_is_one_of_the_known_equilibria(name: str) -> None:
    entry = trees.entry(name)
    exact = sequence_form_lemke_solve(entry.game(), rational=True)
    assert exact.converged and exact.rational and exact.method == "sequence_form_lemke"
    assert exact.parameters["exact_nash_conv"] == 0 and exact.certificate[0] == 0
    assert all(isinstance(p, Fraction) for p in exact.equilibrium)
    assert exact_values(exact) in entry.payoff_set()
    floats = sequence_form_lemke_solve(entry.game())
    assert floats.converged and floats.certificate[0] <= 1e-12 and floats.certificate_name == "exploitability"
    np.testing.assert_allclose(floats.equilibrium, np.asarray(exact.equilibrium, dtype=float), atol=1e-12)


def test_entry_deterrence_tracing_finds_the_perfect_equilibrium_from_every_prior() -> None:
    game = trees.entry_deterrence()
    rng = np.random.default_rng(7)
    for _ in range(6):
        prior = rng.uniform(0.05, 0.95, 2)
        result = sequence_form_lemke_solve(game, prior=np.concatenate([[prior[0], 1 - prior[0]],
                                                                       [prior[1], 1 - prior[1]]]))
        # (in, accommodate): the only perfect equilibrium; the threat (out, fight) is weakly dominated
        np.testing.assert_array_equal(result.equilibrium, [0.0, 1.0, 0.0, 1.0])
        np.testing.assert_allclose(result.values[0], [1.0, 1.0])


def test_beer_quiche_answer_pools() -> None:
    game = trees.beer_quiche()
    result = sequence_form_lemke_solve(game, rational=True)
    policy = dict(zip(game.infoset_labels, np.split(result.equilibrium, game.infoset_action_offset[1:-1]),
                      strict=True))
    assert list(policy["wimp"]) == list(policy["surly"])  # both types eat the same breakfast: no separation
    assert exact_values(result) in {(Fraction(29, 10), Fraction(9, 10)), (Fraction(21, 10), Fraction(9, 10))}


def test_gambit_beer_quiche_file_agrees_with_the_zoo_tree() -> None:
    gambit = sequence_form_lemke_solve(loads_efg(GAMBIT_E17), rational=True)
    assert gambit.parameters["exact_nash_conv"] == 0
    assert exact_values(gambit) in trees.entry("beer-quiche").payoff_set()


def test_gambit_two_stage_prisoners_dilemma_defects_throughout() -> None:
    game = loads_efg(GAMBIT_E13)
    result = sequence_form_lemke_solve(game, rational=True)
    assert result.converged and result.parameters["exact_nash_conv"] == 0
    assert exact_values(result) == (2, 2)  # every Nash equilibrium defects on the path of play
    first_round = [game.infoset_labels.index(label) for label in ("(1,1)", "(2,1)")]
    for s in first_round:
        assert list(result.equilibrium[game.infoset_action_offset[s]:game.infoset_action_offset[s + 1]]) == [0, 1]
    assert exact_values(sequence_form_lemke_solve(trees.two_stage_prisoners_dilemma(), rational=True)) == (2, 2)


def test_gambit_kohlberg_mertens_example_1() -> None:
    result = sequence_form_lemke_solve(loads_efg(GAMBIT_KM1), rational=True)
    assert result.parameters["exact_nash_conv"] == 0
    assert exact_values(result) in {(3, 3), (2, 2)}


def test_huge_payoff_range_is_solved_exactly_when_floats_cannot() -> None:
    game = loads_efg(GAMBIT_LARGE_PAYOFFS)
    floats = sequence_form_lemke_solve(game)
    assert floats.converged and floats.certificate[0] == 0.0  # the float path mistakes 1 for 0; exactly it does not
    assert floats.parameters["engine"] == "exact"
    exact = sequence_form_lemke_solve(game, rational=True)
    assert exact.parameters["exact_nash_conv"] == 0 and exact_values(exact) == (1, -1)


# -- zero-sum games: the value of the sequence-form LP -------------------------------------------------------------


def test_kuhn_value_is_minus_one_eighteenth_exactly() -> None:
    from equilibria.games.zoo.extensive_form import get

    game = get("kuhn-poker")
    exact = sequence_form_lemke_solve(game, rational=True)
    assert exact.converged and exact_values(exact) == (Fraction(-1, 18), Fraction(1, 18))
    floats = sequence_form_lemke_solve(game)
    assert floats.certificate[0] <= 1e-15 and floats.values[0][0] == pytest.approx(-1 / 18, abs=1e-15)


@settings(max_examples=10, deadline=None)
@given(seeds)
def test_zero_sum_value_matches_the_sequence_form_lp(seed: int) -> None:
    game = random_tree(seed, max_depth=4)
    result = sequence_form_lemke_solve(game)
    assert result.converged and result.certificate[0] <= 1e-9
    assert result.values[0][0] == pytest.approx(sequence_form_lp_solve(game).parameters["value"], abs=1e-9)


# -- random and degenerate general-sum trees ------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(seeds, st.integers(2, 7), st.sampled_from([0.0, 0.5, 1.0]))
def test_random_general_sum_trees_are_certified(seed: int, depth: int, observe: float) -> None:
    # chance nodes, imperfect information (unobserved moves merge nodes into sets), perfect recall by construction
    game = random_tree(seed, zero_sum=False, max_depth=depth, payoff_range=10**6, observe=observe)
    result = sequence_form_lemke_solve(game)
    assert result.converged and result.parameters["engine"] == "float"
    assert result.certificate[0] <= 1e-9
    policy = result.equilibrium
    assert np.all(policy >= 0)
    np.testing.assert_allclose(np.add.reduceat(policy, game.infoset_action_offset[:-1]), 1.0, atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(seeds)
def test_degenerate_trees_follow_the_exact_lexicographic_path(seed: int) -> None:
    game = degenerate(random_tree(seed, zero_sum=False, max_depth=4, observe=0.3))
    floats = sequence_form_lemke_solve(game)
    exact = sequence_form_lemke_solve(game, rational=True)
    assert floats.converged and floats.certificate[0] <= 1e-9
    assert exact.converged and exact.parameters["exact_nash_conv"] == 0 and exact.parameters["engine"] == "exact"
    assert floats.iterations == exact.iterations  # the same path, pivot for pivot
    np.testing.assert_allclose(floats.equilibrium, np.asarray(exact.equilibrium, dtype=float), atol=1e-12)



@settings(max_examples=25, deadline=None)
@given(seeds, st.booleans())
def test_dense_engine_follows_the_general_float_engines_path(seed: int, ties: bool) -> None:
    # Small systems take the dense tableau (lemke_dense); the factorised engine follows the same lexicographic path.
    game = random_tree(seed, zero_sum=False, max_depth=5, observe=0.4)
    game = degenerate(game) if ties else game
    assert sum(game.n_sequences) + game.n_infosets + 3 <= module._DENSE_ROWS
    dense = sequence_form_lemke_solve(game)
    saved, module._DENSE_ROWS = module._DENSE_ROWS, 0
    try:
        general = sequence_form_lemke_solve(game)
    finally:
        module._DENSE_ROWS = saved
    assert dense.converged and general.converged and dense.iterations == general.iterations
    assert dense.certificate[0] <= 1e-9
    np.testing.assert_allclose(dense.equilibrium, general.equilibrium, atol=1e-9)
    np.testing.assert_allclose(dense.values[0], general.values[0], atol=1e-9)


def test_dense_engine_is_used_on_small_systems_and_reports_singular_bases(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("the factorised engine should not run on a small system")

    monkeypatch.setattr(module, "lemke_float", refuse)
    result = sequence_form_lemke_solve(trees.centipede())
    assert result.converged and result.values[0] == pytest.approx([0.4, 0.1])
    # Two equal starting columns: no basis to bring in.
    tableau = np.array([[1.0, 1.0, 0.0, 1.0], [0.0, 0.0, 1.0, 1.0]])
    end = lcp.lemke_dense(tableau, np.array([0, 1]), np.array([2, -1, 0]), np.zeros(3, dtype=bool), 2, 1, Budget())
    assert end.status == lcp.SINGULAR

@settings(max_examples=8, deadline=None)
@given(seeds)
def test_exact_pivoting_engine_agrees_with_the_float_path(seed: int) -> None:
    # The exact engine (the fallback when round-off spoils a float path) follows the same lexicographic path.
    game = degenerate(random_tree(seed, zero_sum=False, max_depth=4, observe=0.3))
    payoffs = sequence_payoffs(game, exact=True)
    exact_system, _, _ = module._system(game, payoffs, module._exact_prior(game.uniform_policy(), game), exact=True)
    scaled = SequencePayoffs(payoffs.sequences, np.asarray(payoffs.values, dtype=float))
    float_system, _, _ = module._system(game, scaled, game.uniform_policy(), exact=False)
    by_exact = lcp.lemke_exact(exact_system, Budget())
    by_float = lcp.lemke_float(float_system, Budget())
    assert by_exact.status == by_float.status == lcp.SOLVED and by_exact.pivots == by_float.pivots
    assert sorted(by_exact.basis.tolist()) == sorted(by_float.basis.tolist())
    np.testing.assert_allclose(np.asarray(by_exact.solution(exact_system.shape[1]), dtype=float),
                               by_float.solution(float_system.shape[1]), atol=1e-9)
    # Solving the float path's final basis exactly gives the exact path's end, value for value.
    exact_values_of_float_basis = lcp.solve_basis_exact(exact_system, by_float.basis, Budget())
    assert exact_values_of_float_basis is not None
    float_end = lcp.PathEnd(lcp.SOLVED, by_float.basis, exact_values_of_float_basis, by_float.pivots)
    assert list(float_end.solution(exact_system.shape[1])) == list(by_exact.solution(exact_system.shape[1]))


@settings(max_examples=15, deadline=None)
@given(seeds)
def test_irregular_trees_one_action_sets_and_irregular_chance(seed: int) -> None:
    game = ExtensiveFormGame.from_tree(nested_tree(seed, 2, max_depth=5, awkward=True), n_players=2)
    floats = sequence_form_lemke_solve(game)
    exact = sequence_form_lemke_solve(game, rational=True)
    assert floats.converged and floats.certificate[0] <= 1e-9
    assert exact.converged and exact.parameters["exact_nash_conv"] == 0 and exact.iterations == floats.iterations


def test_exact_mode_on_a_larger_tree_solves_the_float_paths_basis_exactly() -> None:
    game = random_tree(2, zero_sum=False, max_depth=9)
    assert sum(game.n_sequences) + game.n_infosets + 3 > module._EXACT_PATH_ROWS
    result = sequence_form_lemke_solve(game, rational=True)
    assert result.parameters["engine"] == "float path, exact basis"
    assert result.converged and result.parameters["exact_nash_conv"] == 0 and result.certificate[0] == 0


# -- priors -----------------------------------------------------------------------------------------------------------


@settings(max_examples=15, deadline=None)
@given(seeds)
def test_tracing_from_random_priors_returns_certified_equilibria(seed: int) -> None:
    game = random_tree(seed, zero_sum=False, max_depth=4)
    prior = 0.05 + random_policy(game, seed + 1)
    prior /= np.add.reduceat(prior, game.infoset_action_offset[:-1])[game.action_infoset]
    result = sequence_form_lemke_solve(game, prior=prior)
    assert result.converged and result.certificate[0] <= 1e-9
    np.testing.assert_array_equal(result.parameters["prior"], prior)
    exact = sequence_form_lemke_solve(game, prior=prior, rational=True)
    assert exact.converged and exact.parameters["exact_nash_conv"] == 0


def test_exact_prior_keeps_fractions() -> None:
    game = trees.job_market_signalling()
    prior = np.array([Fraction(1, 3), Fraction(2, 3)] * 4, dtype=object)
    result = sequence_form_lemke_solve(game, prior=prior, rational=True)
    assert result.converged and result.parameters["exact_nash_conv"] == 0
    assert exact_values(result) in trees.entry("job-market-signalling").payoff_set()
    assert sequence_form_lemke_solve(game, prior="uniform").parameters["prior"] == "uniform"


@pytest.mark.parametrize("prior, message", [
    ([0.5, 0.5, 0.5], "shape"),
    ([1.0, 0.0, 0.5, 0.5], "completely mixed"),
    ([0.7, 0.7, 0.5, 0.5], "sum to"),
    ([0.5, np.nan, 0.5, 0.5], "finite"),
    ("random", "uniform"),
    ([True, False, True, False], "shape"),
    (object(), "behaviour profile"),
])
def test_bad_priors_are_refused(prior: object, message: str) -> None:
    with pytest.raises(GameError, match=message):
        sequence_form_lemke_solve(trees.entry_deterrence(), prior=prior)


# -- budgets and bad input -------------------------------------------------------------------------------------------


def test_iteration_budget_returns_the_profile_reached_so_far() -> None:
    from equilibria.games.zoo.extensive_form import get

    game = get("kuhn-poker")
    assert sequence_form_lemke_solve(game).iterations > 1
    for rational in (False, True):
        result = sequence_form_lemke_solve(game, max_iterations=1, rational=rational)
        assert not result.converged and result.iterations == 1 and len(result.equilibria) == 1
        game.check_policy(np.asarray(result.equilibrium, dtype=float))  # a proper behaviour profile
        assert result.certificate[0] > 0


def test_time_budget_stops_without_raising() -> None:
    game = random_tree(3, zero_sum=False, max_depth=6)
    for rational in (False, True):
        result = sequence_form_lemke_solve(game, max_seconds=1e-9, rational=rational)
        assert not result.converged and result.parameters["max_seconds"] == 1e-9
    payoffs = sequence_payoffs(game, exact=True)
    system, _, _ = module._system(game, payoffs, module._exact_prior(game.uniform_policy(), game), exact=True)
    assert lcp.lemke_exact(system, Budget(max_seconds=1e-9)).status == lcp.STOPPED  # before the path even starts


def test_games_without_choices_for_a_player() -> None:
    coin = Chance([(0.5, "h", Terminal((1.0, 2.0))), (0.5, "t", Terminal((3.0, 0.0)))])
    only_chance = ExtensiveFormGame.from_tree(coin, n_players=2)
    result = sequence_form_lemke_solve(only_chance, rational=True)
    assert result.converged and result.equilibrium.shape == (0,) and exact_values(result) == (2, 1)
    one_player = ExtensiveFormGame.from_tree(Decision(0, "root", [("a", Terminal((1.0, 5.0))),
                                                                  ("b", Terminal((2.0, 0.0)))]), n_players=2)
    np.testing.assert_array_equal(sequence_form_lemke_solve(one_player).equilibrium, [0.0, 1.0])


def test_bad_input() -> None:
    with pytest.raises(NotApplicableError, match="two-player.*agent_qre_solve"):
        sequence_form_lemke_solve(random_tree(1, n_players=3, zero_sum=False))
    with pytest.raises(GameError, match="ExtensiveFormGame"):
        sequence_form_lemke_solve(np.zeros((2, 2, 2)))
    game = trees.entry_deterrence()
    with pytest.raises(GameError, match="rational"):
        sequence_form_lemke_solve(game, rational="yes")  # type: ignore[arg-type]
    for bad in (0, -1, 1.5, True):
        with pytest.raises(GameError, match="max_iterations"):
            sequence_form_lemke_solve(game, max_iterations=bad)  # type: ignore[arg-type]
    with pytest.raises(GameError, match="max_seconds"):
        sequence_form_lemke_solve(game, max_seconds=0)


def test_parameters_record_the_run() -> None:
    result = sequence_form_lemke_solve(trees.centipede(), max_iterations=100)
    assert result.parameters["prior"] == "uniform" and result.parameters["rational"] is False
    assert result.parameters["pivots"] == result.iterations and result.parameters["max_iterations"] == 100
    assert result.converged and result.values[0] == pytest.approx([0.4, 0.1])


# -- time limits (issue 15) --------------------------------------------------------------------------------------


def test_item1_compiled_loops_not_ready_in_time_are_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both the dense path's loops and lemke_dense's kernels go through ensure_compiled (in another process) before
    their first call under a time limit; not ready: no profile, and why."""
    from equilibria.core import compiled
    from equilibria.core.compiled import Compilation
    from equilibria.games.zoo.extensive_form import get

    note = "numba is compiling _plan_loops for the first time"
    monkeypatch.setattr(lcp, "_LOADED", set())
    monkeypatch.setattr(compiled, "ensure_compiled", lambda *args, timeout=None: Compilation(False, 0.0, True, note))
    result = sequence_form_lemke_solve(get("kuhn-poker"), max_seconds=1.0)
    assert not result.converged and len(result) == 0
    assert result.parameters["stopped_because"] == f"max_seconds=1 reached while compiling: {note}"
    monkeypatch.undo()
    assert sequence_form_lemke_solve(get("kuhn-poker"), max_seconds=1.0).converged


def test_item4_a_stopped_path_says_why() -> None:
    from equilibria.games.zoo.extensive_form import get

    stopped = sequence_form_lemke_solve(get("kuhn-poker"), max_iterations=1)
    assert not stopped.converged and stopped.parameters["stopped_because"] == "max_iterations=1 reached"
    timed = sequence_form_lemke_solve(get("leduc-poker"), max_seconds=1e-3)
    reason = timed.parameters["stopped_because"]
    assert not timed.converged and reason.startswith("max_seconds=0.001 reached") and timed.seconds >= 1e-3
    assert "stopped_because" not in sequence_form_lemke_solve(get("kuhn-poker"), max_seconds=5.0).parameters
