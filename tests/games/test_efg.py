"""Gambit .efg files: reading hand-written files (Kuhn poker), round trips (zoo and random trees), load_game /
save_game dispatch, atomic writes, and one-line errors that name the file, line and column."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria import GameError, NormalFormGame
from equilibria.games.extensive_form import CHANCE, TERMINAL, Chance, ExtensiveFormGame, Terminal
from equilibria.games.io import dumps_efg, load_game, loads_efg, read_efg, save_game, write_efg
from equilibria.games.zoo import extensive_form as zoo
from equilibria.metrics.exploitability import nash_conv
from tests.games.test_extensive_form import random_tree

# Kuhn poker written by hand the way Gambit files usually look: the six deals at one chance node, empty node
# names, information sets and outcomes described at their first use only, payoffs with and without commas.
KUHN_EFG = """EFG 2 R "Kuhn poker, by hand" { "Alice" "Bob" }
"one chance move deals both cards"

c "deal" 1 "" { "JQ" 1/6 "JK" 1/6 "QJ" 1/6 "QK" 0.1666666666666666666667 "KJ" 1/6 "KQ" 1/6 } 0
p "" 1 1 "J" { "check" "bet" } 0
p "" 2 1 "Q:check" { "check" "bet" } 0
t "" 1 "Bob wins 1" { -1, 1 }
p "" 1 2 "J:check,bet" { "fold" "call" } 0
t "" 1
t "" 2 "Bob wins 2" { -2 2 }
p "" 2 2 "Q:bet" { "fold" "call" } 0
t "" 3 "Alice wins 1" { 1, -1 }
t "" 2
p "" 1 1 0                       # J again, facing the K this time
p "" 2 3 "K:check" { "check" "bet" } 0
t "" 1
p "" 1 2 0
t "" 1
t "" 2
p "" 2 4 "K:bet" { "fold" "call" } 0
t "" 3
t "" 2
p "" 1 3 "Q" { "check" "bet" } 0
p "" 2 5 "J:check" { "check" "bet" } 0
t "" 3
p "" 1 4 "Q:check,bet" { "fold" "call" } 0
t "" 1
t "" 4 "Alice wins 2" { 2, -2 }
p "" 2 6 "J:bet" { "fold" "call" } 0
t "" 3
t "" 4
p "" 1 3 0
p "" 2 3 0
t "" 1
p "" 1 4 0
t "" 1
t "" 2
p "" 2 4 0
t "" 3
t "" 2
p "" 1 5 "K" { "check" "bet" } 0
p "" 2 5 0
t "" 3
p "" 1 6 "K:check,bet" { "fold" "call" } 0
t "" 1
t "" 4
p "" 2 6 0
t "" 3
t "" 4
p "" 1 5 0
p "" 2 1 0
t "" 3
p "" 1 6 0
t "" 1
t "" 4
p "" 2 2 0
t "" 3
t "" 4
"""

# Outcomes at inner nodes add up along the path; chance event 1 is reused without its description.
STAGED_EFG = """EFG 2 D "staged" { "" "" }
c "root" 1 "coin" { "heads" 1/2 "tails" .5 } 1 "entry fee" { -1, -1 }
p "" 1 7 "" { "stop" "go" } 0
t "" 2 "bonus" { 10 0 }
c "" 1 0
t "" 0
t "" 3 "prize" { 0, 5e0 }
p "" 1 7 0
t "" 0
c "again" 1 0
t "" 2
t "" 3
"""

ARRAYS = ("parent", "player", "first_child", "n_children", "chance_prob", "infoset", "payoffs", "infoset_player")


def assert_same_game(a: ExtensiveFormGame, b: ExtensiveFormGame) -> None:
    assert a.n_players == b.n_players
    for name in ARRAYS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.shape == y.shape and np.array_equal(x, y), name  # exact: not one ulp may move
    assert (a.infoset_labels, a.action_labels, a.node_labels) == (b.infoset_labels, b.action_labels, b.node_labels)
    assert (a.name, a.player_labels) == (b.name, b.player_labels)


# -- reading -----------------------------------------------------------------------------------------------------
def test_hand_written_kuhn_poker():
    game = loads_efg(KUHN_EFG)
    assert game.name == "Kuhn poker, by hand" and game.player_labels == ("Alice", "Bob")
    assert game.n_nodes == 55 and game.n_infosets == 12 and game.player[0] == CHANCE
    assert np.allclose(game.chance_prob[1:7], 1 / 6)
    assert game.node_labels[:3] == ("deal", "JQ", "JK")
    assert game.infoset_labels[:3] == ("J", "Q", "K")  # numbered breadth-first, not in file order
    assert game.action_labels[game.infoset_labels.index("Q:bet")] == ("fold", "call")
    # The same game as the zoo's (dealt there one card at a time, as OpenSpiel does).
    ours = zoo.kuhn_poker()
    assert nash_conv(game, game.uniform_policy()) == pytest.approx(11 / 12, rel=1e-14)
    assert nash_conv(game, game.first_action_policy()) == pytest.approx(2, rel=1e-14)
    assert game.expected_payoffs(game.uniform_policy()) == pytest.approx(ours.expected_payoffs(ours.uniform_policy()))
    equilibrium = zoo.known_policy(game, zoo.entry("kuhn-poker").known_equilibrium)
    assert nash_conv(game, equilibrium) == pytest.approx(0, abs=1e-12)
    assert game.expected_payoffs(equilibrium)[0] == pytest.approx(-1 / 18, abs=1e-15)


def test_outcomes_at_inner_nodes_add_up_and_events_are_shared():
    game = loads_efg(STAGED_EFG)
    assert game.player_labels is None and game.infoset_labels == ("(1,7)",)
    assert game.terminals.size == 6
    # heads: stop -> fee + bonus; go -> the coin again: heads (fee only) or tails (fee + prize)
    heads, tails = 1, 2
    stop = game.first_child[heads]
    assert game.payoffs[stop].tolist() == [9.0, -1.0]
    go = stop + 1
    assert game.player[go] == CHANCE and game.node_labels[go] == "go"
    kids = game.first_child[go] + np.arange(2)
    assert game.payoffs[kids].tolist() == [[-1.0, -1.0], [-1.0, 4.0]]
    assert np.array_equal(game.chance_prob[kids], [0.5, 0.5])
    again = game.first_child[tails] + 1
    assert game.node_labels[again] == "again"  # a node's own name wins over its action's
    assert game.payoffs[game.first_child[again] + np.arange(2)].tolist() == [[9.0, -1.0], [-1.0, 4.0]]


def test_awkward_labels_and_comments():
    text = ('EFG 2 R "a \\"quoted\\" title # not a comment" { "P\\\\1" }  # a comment\n'
            'p "n\\"ode" 1 1 "set {1}" { "x, y" "ü" } 0\n'
            't "" 1 "" { 1 }\n'
            't "" 2 "" { 2/3 }\n')
    game = loads_efg(text)
    assert game.name == 'a "quoted" title # not a comment' and game.player_labels == ("P\\1",)
    assert game.node_labels == ('n"ode', "x, y", "ü") and game.infoset_labels == ("set {1}",)
    assert game.payoffs[2, 0] == 2 / 3


def test_repeated_names_are_made_unique_within_a_player():
    text = ('EFG 2 R "" { "" "" }\n'
            'c "" 1 "" { "a" 1/2 "b" 1/2 } 0\n'
            'p "" 1 1 "same" { "x" } 0\nt "" 0\n'
            'p "" 1 2 "same" { "x" } 0\nt "" 0\n')
    assert loads_efg(text).infoset_labels == ("same (1,1)", "same (1,2)")


# -- round trips -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["kuhn-poker", "leduc-poker", "minimax-lesson", "matching-pennies-tree"])
def test_zoo_round_trip(name):
    game = zoo.get(name)
    text = dumps_efg(game)
    assert text.startswith(f'EFG 2 R "{name}" {{')
    assert_same_game(loads_efg(text), game)


def test_written_kuhn_reads_back_with_fractions():
    text = dumps_efg(zoo.kuhn_poker())
    assert 'c "" 1 "" { "J" 1/3 "Q" 1/3 "K" 1/3 } 0' in text.splitlines()
    assert 'p "" 1 1 "J" { "check" "bet" } 0' in text.splitlines()
    assert_same_game(loads_efg(dumps_efg(loads_efg(KUHN_EFG))), loads_efg(KUHN_EFG))


@given(seed=st.integers(0, 2**32 - 1), n_players=st.integers(1, 3))
@settings(max_examples=80, deadline=None)
def test_random_trees_round_trip_exactly(seed, n_players):
    game = ExtensiveFormGame.from_tree(random_tree(seed, n_players, awkward=True), n_players=n_players,
                                       name=f"random {seed}", player_labels=[f'p"{i}' for i in range(n_players)])
    assert_same_game(loads_efg(dumps_efg(game)), game)


def test_numbers_are_written_exactly_and_briefly():
    game = ExtensiveFormGame.from_tree(Chance([(0.1, "a", Terminal((1 / 3,))), (0.9, "b", Terminal((0.1 + 0.2,)))]))
    text = dumps_efg(game)
    assert '{ "a" 0.1 "b" 0.9 }' in text and "{ 1/3 }" in text and "{ 0.30000000000000004 }" in text
    assert_same_game(loads_efg(text), game)


# -- files, dispatch, atomic writes ------------------------------------------------------------------------------
def test_load_and_save_dispatch_on_the_efg_suffix(tmp_path):
    game = zoo.kuhn_poker()
    save_game(game, tmp_path / "kuhn.EFG")
    assert (tmp_path / "kuhn.EFG").read_text(encoding="utf-8").startswith("EFG 2 R")
    assert_same_game(load_game(tmp_path / "kuhn.EFG"), game)
    write_efg(game, str(tmp_path / "again.efg"))
    assert_same_game(read_efg(tmp_path / "again.efg"), game)
    assert_same_game(read_efg(KUHN_EFG), loads_efg(KUHN_EFG))  # text is recognised as text


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda p: save_game(zoo.kuhn_poker(), p / "kuhn.nfg"), r"save_game\(path\): unknown file type for an "
                                                                r"ExtensiveFormGame.*expected \.efg"),
        (lambda p: save_game(NormalFormGame.zero_sum([[1]]), p / "x.efg"), r"save_game\(path\): unknown file type "
                                                                           r"for a NormalFormGame"),
        (lambda p: read_efg(p / "missing.efg"), r"read_efg\(path\): no such file"),
        (lambda p: read_efg(3.5), "expected a path or the file's text"),
        (lambda p: loads_efg(b"EFG"), r"loads_efg\(text\): expected a str"),
        (lambda p: dumps_efg(NormalFormGame.zero_sum([[1]])), r"dumps_efg\(game\): expected an ExtensiveFormGame"),
        (lambda p: write_efg(zoo.kuhn_poker(), p / "no" / "dir.efg"), r"write_efg\(path\): cannot write"),
    ],
)
def test_dispatch_and_argument_errors(tmp_path, call, message):
    with pytest.raises(GameError, match=message) as info:
        call(tmp_path)
    assert "\n" not in str(info.value)


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "game.efg"
    path.write_text("old content", encoding="utf-8")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(GameError, match=r"cannot write .*No space left on device"):
        save_game(zoo.kuhn_poker(), path)
    assert path.read_text(encoding="utf-8") == "old content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["game.efg"]


# -- errors ------------------------------------------------------------------------------------------------------
HEAD = 'EFG 2 R "g" { "A" "B" }\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "g.efg:1:1: the file is empty"),
        ('NFG 1 R "g" { "A" }', r"g.efg:1:1: expected 'EFG' at the start of the file, found 'NFG'"),
        ('EFG 3 R "g" { "A" }', "g.efg:1:5: expected the format version '2'"),
        ('EFG 2 X "g" { "A" }', "g.efg:1:7: expected 'R' or 'D' after 'EFG 2'"),
        ("EFG 2 R { }", "g.efg:1:9: expected the game title in quotes"),
        ('EFG 2 R "g" { }', "g.efg:1:15: expected at least one player"),
        ('EFG 2 R "g" { "A" ', "g.efg:1:19: expected a quoted player name or '}'"),
        (HEAD + 'x "" 1 1 "" { "a" } 0', "g.efg:2:1: expected a node type 'p', 'c' or 't', found 'x'"),
        (HEAD + 'p "" 3 1 "" { "a" } 0', "g.efg:2:6: player 3 does not exist: the player list names 2"),
        (HEAD + 'p "" 0 1 "" { "a" } 0', "g.efg:2:6: expected a player number from 1 to 2, found '0'"),
        (HEAD + 'p "" 1 1 0', "g.efg:2:10: expected the name and action list of information set 1 of player 1, "
                              "which appears here for the first time"),
        (HEAD + 'p "" 1 1 "" { } 0', "g.efg:2:15: expected at least one action for information set 1 of player 1"),
        (HEAD + 'c "deal" 1 "" { "a" 1/2 "b" 0.4 } 0\nt "" 0\nt "" 0',
         r'g.efg:2:12: chance probabilities at node "deal" \(chance event 1\) sum to 0.9, not 1'),
        (HEAD + 'c "" 1 "" { "a" 3/2 "b" -1/2 } 0', "g.efg:2:25: the probability of chance outcome \"b\" is "
                                                    "negative"),
        (HEAD + 'c "" 1 "" { "a" 1/0 } 0', "g.efg:2:17: '1/0' divides by zero"),
        (HEAD + 'c "" 1 "" { "a" half } 0', "g.efg:2:17: expected the probability of chance outcome \"a\""),
        (HEAD + 'p "" 1 1 "I" { "a" "b" } 0\np "" 2 1 "J" { "x" } 0\nt "" 0\np "" 2 1 "J" { "x" "y" } 0',
         r'g.efg:5:10: information set 1 of player 2 is declared differently here than on line 3 \("J" \{ "x" \} '
         r'there, "J" \{ "x" "y" \} here\)'),
        (HEAD + 't "" 0 "null" { 1 2 }', "g.efg:2:8: outcome 0 is the null outcome"),
        (HEAD + 't "" 4', "g.efg:2:7: expected the name and payoffs of outcome 4, which appears here for the "
                          "first time"),
        (HEAD + 't "" 1 "" { 1 }', r"g.efg:2:15: expected a number: the payoff of player 2 in outcome 1 \(the "
                                   r"player list names 2\), found '}'"),
        (HEAD + 't "" 1 "" { 1 2 3 }', "g.efg:2:17: expected '}' to close outcome 1, which has 2 payoffs"),
        (HEAD + 'p "" 1 1 "" { "a" "b" } 1 "o" { 1 1 }\nt "" 1 "o" { 1 2 }',
         "g.efg:3:6: outcome 1 has different payoffs here than on line 2"),
        (HEAD + 'p "" 1 1 "" { "a" "b" } 0\nt "" 0', r"g.efg:3:7: the file ends inside the tree: the node on line 2 "
                                                       r"has 1 of its 2 children"),
        (HEAD + 't "" 0\nt "" 0', r"g.efg:3:1: expected end of file: the tree is complete"),
        (HEAD + 't "unterminated 0', "g.efg:2:3: unterminated label"),
        (HEAD + 't "" 1 "" { 1e999 0 }', "g.efg:2:13: payoff '1e999' is not a finite number representable as a float"),
        (HEAD + 'p "" 1 1 "" { "a" "b" } 0\np "" 1 2 "" { "x" } 0\nt "" 0\np "" 1 2 0\nt "" 0',
         r"g.efg:5: information set 2 of player 1 violates perfect recall: its nodes on lines 3 and 5 follow "
         r"different moves of player 1"),
        (HEAD + 'p "" 1 1 "" { "exit" "go" } 0\nt "" 0\np "" 1 1 0\nt "" 0\nt "" 0',
         "g.efg:4: information set 1 of player 1 violates perfect recall"),
    ],
)
def test_syntax_errors_name_the_file_line_and_column(text, message):
    with pytest.raises(GameError, match=message) as info:
        loads_efg(text, source="g.efg")
    assert "\n" not in str(info.value)


def test_errors_from_the_game_constructor_name_the_file(tmp_path):
    # Each payoff is a float, but their sum along the path is not: the constructor's message gets the file's name.
    path = tmp_path / "huge.efg"
    path.write_text(HEAD + 'p "" 1 1 "" { "a" } 1 "" { 1e308 0 }\nt "" 2 "" { 1e308 0 }', encoding="utf-8")
    with pytest.raises(GameError, match="ExtensiveFormGame.payoffs: contains NaN or infinite") as info:
        read_efg(path)
    assert str(info.value).startswith(f"{path}: ")


def test_leaf_root_and_single_player():
    game = loads_efg('EFG 2 R "" { "solo" }\nt "end" 1 "" { 3 }\n')
    assert game.n_nodes == 1 and game.player[0] == TERMINAL and game.payoffs.tolist() == [[3.0]]
    assert game.node_labels == ("end",)
    assert_same_game(loads_efg(dumps_efg(game)), game)
