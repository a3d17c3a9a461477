"""Exact numbers kept from files and trees: `rational=True` solves the game that was written, not its floats."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria import GameError, NormalFormGame
from equilibria.games.extensive_form import Chance, Decision, ExtensiveFormGame, Terminal
from equilibria.games.io import dumps_efg, dumps_nfg, loads_efg, loads_nfg, read_nfg
from equilibria.games.sequence_form import sequence_payoffs
from equilibria.metrics.regret import max_regret
from equilibria.solvers import solve

DATA = Path(__file__).parent.parent / "data"


def test_fractional_nfg_payoffs_are_kept_exactly_and_floats_are_their_nearest():
    game = loads_nfg('NFG 1 R "t" { "a" "b" } { 2 2 }\n2/7 1 0 0.1 0 0 1 3/4\n')
    assert game.exact_payoffs is not None
    assert game.exact_payoffs[0, 0, 0] == Fraction(2, 7) and game.exact_payoffs[1, 1, 0] == Fraction(1, 10)
    np.testing.assert_array_equal(game.payoffs, np.asarray(game.exact_payoffs, dtype=float))


def test_files_of_integers_and_short_decimals_keep_no_copy():
    # Their floats read back to the numbers written: no second array for the common case.
    game = loads_nfg('NFG 1 R "t" { "a" "b" } { 2 2 }\n1 2 0.5 -3 0 0 1e3 7\n')
    assert game.exact_payoffs is None
    assert game.fraction_payoffs()[0, 1, 0] == Fraction(1, 2)


def test_outcome_version_fractions_are_kept_per_profile():
    game = loads_nfg('NFG 1 R "t" { "a" "b" } { { "x" "y" } { "u" "v" } } '
                     '{ { "" 2/7, 1 } { "" 1 1 } } 1 2 0 1')
    assert game.exact_payoffs is not None
    assert [str(v) for v in game.exact_payoffs[0].reshape(-1, order="F")] == ["2/7", "1", "0", "2/7"]


def test_writer_writes_the_exact_numbers_and_reading_them_back_is_identical():
    game = loads_nfg('NFG 1 R "t" { "a" "b" } { 2 2 }\n2/7 1 0 0.1 0 0 1 3/4\n')
    text = dumps_nfg(game)
    assert "2/7" in text
    again = loads_nfg(text)
    assert again.exact_payoffs is not None and np.array_equal(again.exact_payoffs, game.exact_payoffs)


def test_todd3_is_solved_exactly_as_written():
    # Gambit's contrib/games/todd3.nfg has payoffs 2/7, 3/19, 7/38; rounding them to floats first gave
    # 601503759398496/3157894736842105 where the file's game has 4/21.
    game = read_nfg(DATA / "todd3.nfg")
    result = solve(game, "vertex_enumeration", all_equilibria=True, rational=True)
    assert result.complete and len(result) == 3
    exact = game.fraction_payoffs()
    strategies = {tuple(str(p) for p in profile[1]) for profile in result.equilibria}
    assert ("4/21", "38/147", "2/7", "13/49") in strategies
    for profile, certificate in zip(result.equilibria, result.certificate, strict=True):
        assert certificate == 0
        # the certificate is computed on the file's fractions: check one indifference by hand
        values = np.tensordot(exact[0], profile[1], axes=([1], [0]))
        support = [i for i, p in enumerate(profile[0]) if p > 0]
        assert len({values[i] for i in support}) == 1 and max(values) == values[support[0]]


def test_lemke_howson_and_zero_sum_lp_use_the_exact_payoffs_too():
    thirds = NormalFormGame.from_fractions([[[Fraction(1, 3), 0], [0, Fraction(2, 3)]],
                                            [[Fraction(-1, 3), 0], [0, Fraction(-2, 3)]]])
    for method in ("lemke_howson", "zero_sum_lp"):
        result = solve(thirds, method, rational=True)
        assert [str(p) for p in result.equilibrium[0]] == ["2/3", "1/3"]
        assert result.certificate[0] == 0 and result.values[0][0] == Fraction(2, 9)


def test_exact_payoffs_must_agree_with_the_floats():
    with pytest.raises(GameError, match="nearest floats"):
        NormalFormGame(np.zeros((2, 1, 1)), exact_payoffs=[[[Fraction(1, 3)]], [[0]]])
    with pytest.raises(GameError, match="shape"):
        NormalFormGame(np.zeros((2, 1, 1)), exact_payoffs=[[0, 0]])
    with pytest.raises(GameError, match="exact numbers"):
        NormalFormGame.from_fractions([[[None]], [[0]]])


def test_restricting_a_game_keeps_its_exact_payoffs():
    game = NormalFormGame.from_fractions([[["1/3", 1], [0, 2]], [[0, 0], [1, "2/7"]]])
    sub = game.restrict([[0, 1], [0]])
    assert sub.exact_payoffs is not None and sub.exact_payoffs[0, 0, 0] == Fraction(1, 3)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.fractions(min_value=-10, max_value=10, max_denominator=50), min_size=8, max_size=8))
def test_hypothesis_fractions_survive_reading_and_writing(values):
    text = 'NFG 1 R "r" { "a" "b" } { 2 2 }\n' + " ".join(str(v) for v in values) + "\n"
    game = loads_nfg(text)
    per_profile = game.fraction_payoffs().transpose(0, 2, 1).reshape(2, -1).T.reshape(-1)
    assert list(per_profile) == values
    again = loads_nfg(dumps_nfg(game))
    assert list(again.fraction_payoffs().reshape(-1)) == list(game.fraction_payoffs().reshape(-1))
    # an exact profile's regret is computed on these fractions
    uniform = (np.array([Fraction(1, 2)] * 2, dtype=object),) * 2
    regret = max_regret(game, uniform)
    assert isinstance(regret, Fraction)


def test_efg_fractions_are_kept_and_written_back():
    text = ('EFG 2 R "x" { "A" "B" }\n""\n'
            'c "" 1 "" { "a" 1/3 "b" 2/3 } 0\n'
            't "" 1 "o1" { 2/7, 1 }\n'
            't "" 2 "o2" { 1/10, 1 }\n')
    game = loads_efg(text)
    assert game.exact_payoffs is not None and game.exact_payoffs[1, 0] == Fraction(2, 7)
    assert game.fraction_chance_prob()[1] == Fraction(1, 3)
    assert sequence_payoffs(game, exact=True).values[0, 0] == Fraction(2, 21) + Fraction(2, 30)
    again = loads_efg(dumps_efg(game))
    assert np.array_equal(again.exact_payoffs, game.exact_payoffs)


def test_efg_chance_written_as_rounded_decimals_is_read_as_the_fraction_meant():
    # 0.3333333333333333333333 beside 2/3 sums to 1 only within the reader's tolerance: the exact game reads the
    # decimal as the fraction its float stands for, so that the chance probabilities sum to exactly 1.
    text = ('EFG 2 R "x" { "A" "B" }\n""\n'
            'c "" 1 "" { "a" 0.3333333333333333333333 "b" 2/3 } 0\nt "" 1 "o1" { 1, 1 }\nt "" 2 "o2" { 0, 1 }\n')
    game = loads_efg(text)
    assert sum(game.fraction_chance_prob()[1:3]) == 1 and game.fraction_chance_prob()[1] == Fraction(1, 3)


def test_efg_chance_probabilities_that_floats_do_not_carry_are_kept():
    text = ('EFG 2 R "x" { "A" "B" }\n""\n'
            'c "" 1 "" { "a" 1/3000007 "b" 3000006/3000007 } 0\nt "" 1 "o1" { 1, 1 }\n'
            't "" 2 "o2" { 0, 1 }\n')
    game = loads_efg(text)  # a denominator above 10**6: the float alone would not give 1/3000007 back
    assert game.exact_chance_prob is not None and game.exact_chance_prob[1] == Fraction(1, 3000007)


def test_trees_built_with_fractions_keep_them():
    tree = Chance([(Fraction(1, 3000007), "a", Decision(0, "I", [("l", Terminal([Fraction(2, 7), 0])),
                                                                 ("r", Terminal([0, 1]))])),
                   (Fraction(3000006, 3000007), "b", Terminal([1, Fraction(1, 3)]))])
    game = ExtensiveFormGame.from_tree(tree)
    assert game.exact_payoffs is not None and game.exact_chance_prob is not None
    assert game.fraction_payoffs()[game.terminals][:, 0].tolist()[0] == Fraction(1)
    with pytest.raises(GameError, match="nearest floats"):
        ExtensiveFormGame(**{**{f: getattr(game, f) for f in (
            "n_players", "parent", "player", "first_child", "n_children", "chance_prob", "infoset", "payoffs",
            "infoset_player", "infoset_labels", "action_labels")}, "exact_payoffs": np.zeros_like(game.exact_payoffs)})


def test_reduced_normal_form_of_a_tree_with_chance_is_exact():
    # Kuhn poker deals with probability 1/6: the float sums are not their shortest decimals, the Fractions are.
    from equilibria.games.sequence_form import reduced_normal_form
    from equilibria.games.zoo import extensive_form as tree_zoo

    reduced = reduced_normal_form(tree_zoo.get("kuhn-poker"))
    assert reduced.game.exact_payoffs is not None
    assert all(v.denominator in (1, 2, 3, 6) for v in reduced.game.exact_payoffs.flat)
    result = solve(reduced.game, "zero_sum_lp", rational=True)
    assert result.values[0][0] == Fraction(-1, 18) and result.certificate[0] == 0
