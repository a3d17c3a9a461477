"""Game files: Gambit .nfg (payoff and outcome versions) and JSON: round trips, profile order, errors."""

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria import GameError, NormalFormGame
from equilibria.games.generators import random_game
from equilibria.games.io import (
    dumps_json_game,
    dumps_nfg,
    load_game,
    loads_json_game,
    loads_nfg,
    read_json_game,
    read_nfg,
    save_game,
    write_json_game,
    write_nfg,
)

# Prisoner's dilemma, payoff version. Profiles in the file's order (first player's strategy fastest):
# (C,C): 3 3   (D,C): 5 0   (C,D): 0 5   (D,D): 1 1
PD_PAYOFF_VERSION = """NFG 1 R "Prisoner's dilemma" { "Row" "Column" } { 2 2 }

3 3 5 0 0 5 1 1
"""

# The same game, outcome version (as Gambit writes it), in the "D" variant, with a comment field, a '#'
# comment and the payoffs spelt as rationals, decimals and exponents.
PD_OUTCOME_VERSION = """NFG 1 D "Prisoner's dilemma" { "Row" "Column" }

{ { "Cooperate" "Defect" }
  { "Cooperate" "Defect" }
}
"a comment field"

{
{ "reward" 6/2, 3.0 }
{ "temptation" 5 0 }   # no comma: commas between outcome payoffs are optional
{ "sucker" 0, 5e0 }
{ "punishment" 1, .1e1 }
}
1 2 3 4
"""

PD_ROW = np.array([[3.0, 0.0], [5.0, 1.0]])
PD_COLUMN = np.array([[3.0, 5.0], [0.0, 1.0]])


def labelled(game: NormalFormGame, seed: int) -> NormalFormGame:
    """The game with awkward but legal labels: quotes, backslashes, braces, unicode, newlines, empty."""
    pool = ['a "quoted" name', "back\\slash\\", "{brace}", "ünïcødé ☃", "two\nlines", "", "plain",
            "# not a comment"]
    rng = np.random.default_rng(seed)
    actions = tuple(tuple(str(rng.choice(pool)) + f"{a}" for a in range(n)) for n in game.n_actions)
    players = tuple(str(rng.choice(pool)) for _ in range(game.n_players))
    name = str(rng.choice(pool))
    return NormalFormGame(game.payoffs, name=name, action_labels=actions, player_labels=players)


def assert_identical(a: NormalFormGame, b: NormalFormGame) -> None:
    assert a.payoffs.shape == b.payoffs.shape
    # Exact float equality: no payoff may move by even one ulp.
    assert np.array_equal(a.payoffs, b.payoffs)
    assert a.name == b.name
    assert a.player_labels == b.player_labels
    assert a.action_labels == b.action_labels


# -- reading known files ---------------------------------------------------------------------------------
def test_payoff_version_prisoners_dilemma_gives_the_right_tensor():
    game = loads_nfg(PD_PAYOFF_VERSION)
    assert game.n_actions == (2, 2)
    np.testing.assert_array_equal(game.payoffs[0], PD_ROW)
    np.testing.assert_array_equal(game.payoffs[1], PD_COLUMN)
    assert game.name == "Prisoner's dilemma"
    assert game.player_labels == ("Row", "Column")
    assert game.action_labels is None
    assert game.pure_nash() == [(1, 1)]


def test_outcome_version_with_names_comment_rationals_and_d_variant():
    game = loads_nfg(PD_OUTCOME_VERSION)
    np.testing.assert_array_equal(game.payoffs[0], PD_ROW)
    np.testing.assert_array_equal(game.payoffs[1], PD_COLUMN)
    assert game.action_labels == (("Cooperate", "Defect"), ("Cooperate", "Defect"))
    assert game.player_labels == ("Row", "Column")


def test_first_players_strategy_varies_fastest_in_three_player_games():
    # Payoff k of the flat list is 100 + k, so the position of every payoff is recoverable from its value.
    shape = (2, 3, 2)
    flat = " ".join(str(100 + k) for k in range(3 * 12))
    game = loads_nfg(f'NFG 1 R "" {{ "1" "2" "3" }} {{ 2 3 2 }}\n{flat}\n')
    for a in range(2):
        for b in range(3):
            for c in range(2):
                profile_index = a + 2 * b + 6 * c  # player 1 least significant
                for i in range(3):
                    assert game.payoffs[i, a, b, c] == 100 + 3 * profile_index + i
    assert game.n_actions == shape


def test_outcome_zero_is_the_null_outcome_and_outcomes_repeat():
    text = """NFG 1 R "null" { "A" "B" } { { "x" "y" } { "u" "v" } }
    { { "win" 1, -1 } }
    1 0 0 1
    """
    game = loads_nfg(text)
    np.testing.assert_array_equal(game.payoffs[0], [[1, 0], [0, 1]])
    np.testing.assert_array_equal(game.payoffs[1], [[-1, 0], [0, -1]])


def test_numbers_in_every_spelling_are_read_exactly_then_rounded_once():
    text = 'NFG 1 R "n" { "a" } { 7 }\n3/2 -.5 +2 1e-3 1E+3 -7/4 0.1\n'
    game = loads_nfg(text)
    np.testing.assert_array_equal(game.payoffs[0], [1.5, -0.5, 2.0, 0.001, 1000.0, -1.75, 0.1])


def test_escaped_quotes_and_backslashes_in_labels():
    text = r'NFG 1 R "say \"hi\" \\ bye" { "P\"1" } { { "a\\b" "c" } } 1 2'
    game = loads_nfg(text)
    assert game.name == 'say "hi" \\ bye'
    assert game.player_labels == ('P"1',)
    assert game.action_labels == (("a\\b", "c"),)


def test_all_empty_player_names_mean_unnamed_players():
    game = loads_nfg('NFG 1 R "" { "" "" } { 1 1 } 4 5')
    assert game.player_labels is None
    np.testing.assert_array_equal(game.payoffs[:, 0, 0], [4, 5])


# -- round trips -----------------------------------------------------------------------------------------
SHAPES = [(2, 2), (3, 1), (1, 1), (2, 3, 2), (1, 4, 1), (2, 2, 2, 2), (1, 1, 3, 2)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("fmt", ["nfg", "json"])
def test_write_then_read_gives_an_identical_game(tmp_path, shape, fmt):
    plain = random_game(shape, seed=len(shape) * 10 + sum(shape), low=-1e6, high=1e6)
    for game in (plain, labelled(plain, seed=sum(shape))):
        path = tmp_path / f"game.{fmt}"
        save_game(game, path)
        assert_identical(load_game(path), game)
        write = write_nfg if fmt == "nfg" else write_json_game
        read = read_nfg if fmt == "nfg" else read_json_game
        write(game, str(path))
        assert_identical(read(str(path)), game)


def test_read_nfg_accepts_text_str_path_and_pathlib(tmp_path):
    path = tmp_path / "pd.nfg"
    path.write_text(PD_PAYOFF_VERSION, encoding="utf-8")
    for source in (PD_PAYOFF_VERSION, str(path), path):
        np.testing.assert_array_equal(read_nfg(source).payoffs[0], PD_ROW)


def test_writer_output_is_readable_text_in_gambit_layout():
    game = NormalFormGame.bimatrix(PD_ROW, PD_COLUMN, name="PD", player_labels=("Row", "Column"))
    text = dumps_nfg(game)
    assert text.splitlines()[0] == 'NFG 1 R "PD" { "Row" "Column" }'
    assert text.splitlines()[1] == "{ 2 2 }"
    # One profile per line, first player's strategy fastest.
    assert text.split("\n\n")[1].split("\n")[:4] == ["3 3", "5 0", "0 5", "1 1"]


finite_floats = st.floats(allow_nan=False, allow_infinity=False, width=64)
labels = st.text(max_size=6)


@st.composite
def games(draw):
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=4)))
    n = len(shape)
    values = draw(st.lists(finite_floats, min_size=n * int(np.prod(shape)), max_size=n * int(np.prod(shape))))
    payoffs = np.array(values).reshape((n, *shape))
    actions = draw(st.none() | st.tuples(*[st.tuples(*[labels] * k) for k in shape]))
    players = draw(st.none() | st.tuples(*[labels] * n).filter(lambda names: any(names)))
    return NormalFormGame(payoffs, name=draw(labels), action_labels=actions, player_labels=players)


@settings(max_examples=60, deadline=None)
@given(games())
def test_hypothesis_round_trip_nfg(game):
    assert_identical(loads_nfg(dumps_nfg(game)), game)


@settings(max_examples=60, deadline=None)
@given(games())
def test_hypothesis_round_trip_json(game):
    assert_identical(loads_json_game(dumps_json_game(game)), game)


# -- malformed .nfg input: one class of error each, with the line (and column) ---------------------------
MALFORMED_NFG = [
    ("", 1, "the file is empty"),
    ("   \n  # only a comment\n", 1, "the file is empty"),
    ('GAME 1 R "t" { "a" } { 1 } 0', 1, "expected 'NFG'"),
    ('NFG 2 R "t" { "a" } { 1 } 0', 1, "format version '1'"),
    ('NFG 1 X "t" { "a" } { 1 } 0', 1, "'R' or 'D'"),
    ('NFG 1 R t { "a" } { 1 } 0', 1, "game title"),
    ('NFG 1 R "t"\n\n foo { "a" } { 1 } 0', 3, "expected '{' to start the player list, found 'foo'"),
    ('NFG 1 R "t" { "a" 3 } { 1 } 0', 1, "player name or '}'"),
    ('NFG 1 R "t" { } { } ', 1, "at least one player"),
    ('NFG 1 R "t" { "a" "b" }\n{ 2 }\n1 2 3 4', 2, "strategies of player 2"),
    ('NFG 1 R "t" { "a" }\n{ 2 3 }\n1 2', 2, "'}' to end the strategy list"),
    ('NFG 1 R "t" { "a" }\n{ 0 }\n', 2, "positive integer"),
    ('NFG 1 R "t" { "a" }\n{ 2.5 }\n1 2', 2, "positive integer"),
    ('NFG 1 R "t" { "a" "b" }\n{ { "x" } }\n1 2', 2, "strategy names of player 2"),
    ('NFG 1 R "t" { "a" }\n{ { } }\n', 2, "at least one strategy"),
    ('NFG 1 R "t" { "a" "b" } { 2 2 }\n1 2 3 4\n5 6', 3, "payoff list ends after 6 of the 8"),
    ('NFG 1 R "t" { "a" "b" } { 2 2 }\n1 2 3 4\n5 6 7 8\n9', 4, "end of file after the last payoff"),
    ('NFG 1 R "t" { "a" } { 2 }\n1 abc', 2, "found 'abc'"),
    ('NFG 1 R "t" { "a" } { 2 }\n1 nan', 2, "found 'nan'"),
    ('NFG 1 R "t" { "a" } { 2 }\n1 inf', 2, "found 'inf'"),
    ('NFG 1 R "t" { "a" } { 2 }\n1\n1e400', 3, "not a finite number"),
    ('NFG 1 R "t" { "a" } { 2 }\n1 3/0', 2, "not a finite number"),
    ('NFG 1 R "t" { "a" } { 2 }\n1 1..2', 2, "found '1..2'"),
    ('NFG 1 R "t" { "a" } { 2 }\n1 "2"', 2, "expected a number"),
    ('NFG 1 R "t" { "a" } { 2 } "comment" }', 1, "payoff list or the '{' of an outcome list"),
    ('NFG 1 R "t" { "a" } { 1 }\n{ { "o" 1 2 } }\n1', 2, "'}' to close outcome 1"),
    ('NFG 1 R "t" { "a" } { 1 }\n{ { 1 } }\n1', 2, "quoted name of outcome 1"),
    ('NFG 1 R "t" { "a" } { 1 }\n{ { "o" x } }\n1', 2, "payoff of player 1 in outcome 1"),
    ('NFG 1 R "t" { "a" } { 2 }\n{ { "o" 1 } }\n1', 3, "outcome index list ends after 1 of the 2"),
    ('NFG 1 R "t" { "a" } { 2 }\n{ { "o" 1 } }\n1 2', 3, "outcome index 2 of profile 2 is out of range"),
    ('NFG 1 R "t" { "a" } { 2 }\n{ { "o" 1 } }\n1 -1', 3, "non-negative integer"),
    ('NFG 1 R "t" { "a" } { 1 }\n{ { "o" 1 } }\n1 1', 3, "end of file after the last outcome index"),
    ('NFG 1 R "t" { "a" } { 1 }\n{ { "o" 1 }\n', 3, "'{' to start another outcome or '}'"),
    ('NFG 1 R "t" { "a } { 1 } 0', 1, "unterminated label"),
    ('NFG 1 R "t" { "a" "b" } { 100000 100000 }', 1, "more than"),
]


@pytest.mark.parametrize(("text", "line", "message"), MALFORMED_NFG)
def test_malformed_nfg_raises_one_line_game_error_with_location(text, line, message):
    with pytest.raises(GameError) as info:
        loads_nfg(text, source="model.nfg")
    text_of_error = str(info.value)
    assert "\n" not in text_of_error
    assert re.match(rf"model\.nfg:{line}:\d+: ", text_of_error), text_of_error
    assert message in text_of_error, text_of_error


def test_error_column_points_at_the_offending_token():
    expected = r"^model\.nfg:2:3: expected '\{' to start the player list, found 'foo'$"
    with pytest.raises(GameError, match=expected):
        loads_nfg('NFG 1 R "t"\n  foo', source="model.nfg")


def test_file_errors_name_the_file(tmp_path):
    with pytest.raises(GameError, match="no such file"):
        read_nfg(tmp_path / "missing.nfg")
    with pytest.raises(GameError, match="is a directory"):
        read_nfg(tmp_path)
    bad = tmp_path / "latin1.nfg"
    bad.write_bytes('NFG 1 R "caf\xe9" { "a" } { 1 } 0'.encode("latin-1"))
    with pytest.raises(GameError, match=r"latin1\.nfg:1: the file is not UTF-8"):
        read_nfg(bad)
    broken = tmp_path / "broken.nfg"
    broken.write_text('NFG 1 R "t" { "a" } { 2 }\n1\n', encoding="utf-8")
    expected = rf"^{re.escape(str(broken))}:3:1: the payoff list ends after 1 of the 2"
    with pytest.raises(GameError, match=expected):
        read_nfg(broken)


def test_byte_order_mark_is_ignored(tmp_path):
    path = tmp_path / "bom.nfg"
    path.write_bytes(b"\xef\xbb\xbf" + PD_PAYOFF_VERSION.encode("utf-8"))
    np.testing.assert_array_equal(read_nfg(path).payoffs[1], PD_COLUMN)


# -- JSON ------------------------------------------------------------------------------------------------
def pd_document(**changes):
    document = {
        "format": "equilibria.normal_form",
        "version": 1,
        "name": "PD",
        "players": ["Row", "Column"],
        "actions": [["C", "D"], ["C", "D"]],
        "payoffs": [[[3, 0], [5, 1]], [[3, 5], [0, 1]]],
    }
    document.update(changes)
    return {k: v for k, v in document.items() if v is not None}


def test_json_reads_the_documented_example():
    game = loads_json_game(json.dumps(pd_document()))
    np.testing.assert_array_equal(game.payoffs[0], PD_ROW)
    np.testing.assert_array_equal(game.payoffs[1], PD_COLUMN)
    assert game.player_labels == ("Row", "Column")
    assert game.action_labels == (("C", "D"), ("C", "D"))


def test_json_accepts_exact_strings_and_optional_keys():
    document = pd_document(players=None, actions=None, name=None,
                           payoffs=[[["3/2", "-0.5"], [" 2 ", 1e-3]], [[0, 0], [0, 0]]])
    game = loads_json_game(json.dumps(document))
    np.testing.assert_array_equal(game.payoffs[0], [[1.5, -0.5], [2.0, 0.001]])
    assert game.name == "" and game.player_labels is None and game.action_labels is None


def test_json_writer_emits_integers_for_integral_payoffs():
    game = NormalFormGame.bimatrix(PD_ROW, PD_COLUMN / 4)
    document = json.loads(dumps_json_game(game))
    assert document["payoffs"] == [[[3, 0], [5, 1]], [[0.75, 1.25], [0, 0.25]]]
    assert "players" not in document and "actions" not in document


MALFORMED_JSON = [
    ('{"format": "equilibria.normal_form",\n "version": 1\n "payoffs": []}', r"game\.json:3:2: invalid JSON"),
    ("", r"game\.json:1:1: invalid JSON"),
    ("[1, 2]", "expected a JSON object"),
    (pd_document(format=None), "missing required key 'format'"),
    (pd_document(version=None), "missing required key 'version'"),
    (pd_document(payoffs=None), "missing required key 'payoffs'"),
    (pd_document(format="gambit"), "'format' must be"),
    (pd_document(version=2), "'version' must be 1"),
    (pd_document(version=True), "'version' must be 1"),
    (pd_document(payoff=[1]), r"unknown key\(s\) \['payoff'\]"),
    (pd_document(name=3), "'name' must be a string"),
    (pd_document(payoffs=5), "'payoffs' must be a nested list"),
    (pd_document(payoffs=[]), "empty list"),
    (pd_document(payoffs=[[[]], [[]]]), r"payoffs\[0\]\[0\] is an empty list"),
    (pd_document(payoffs=[[3, 0], [5, 1]]), "player slice"),
    (pd_document(payoffs=[[[3, 0], [5, 1]], [[3, 5], [0]]]), r"payoffs\[1\]\[1\] has 1 entries"),
    (pd_document(payoffs=[[[3, 0], [5, 1]], [[3, 5], 0]]), r"payoffs\[1\]\[1\] must be a list .*ragged"),
    (pd_document(payoffs=[[[3, 0], [5, [1]]], [[3, 5], [0, 1]]]), r"payoffs\[0\]\[1\]\[1\] must be a number"),
    (pd_document(payoffs=[[[3, 0], [5, 1]], [[3, 5], [0, "abc"]]]), r"payoffs\[1\]\[1\]\[1\] = \"abc\""),
    (pd_document(payoffs=[[[3, 0], [5, 1]], [[3, 5], [0, "1/0"]]]), "is not a number"),
    (pd_document(payoffs=[[[3, 0], [5, 1]], [[3, 5], [0, "inf"]]]), "is not a number"),
    (pd_document(payoffs=[[[3, 0], [5, 1]], [[3, 5], [0, True]]]), "must be a number"),
    (pd_document(payoffs=[[[3, 0], [5, 1]], [[3, 5], [0, 1e308 * 10]]]), "finite"),
    ('{"format": "equilibria.normal_form", "version": 1, "payoffs": [[NaN]]}', "NaN is not allowed"),
    ('{"format": "equilibria.normal_form", "version": 1, "payoffs": [[Infinity]]}', "Infinity is not"),
    ('{"format": "equilibria.normal_form", "version": 1, "payoffs": [[1e999]]}', "not a finite number"),
    ('{"format": "equilibria.normal_form", "version": 1, "payoffs": [[' + "9" * 400 + "]]}", "not a finite"),
    (pd_document(payoffs=[[[3, 0], [5, 1]], [[3, 5], [0, "9" * 400]]]), "not a finite number"),
    (pd_document(players=["Row"]), "'players' names 1 player"),
    (pd_document(players="Row"), "'players' must be a list"),
    (pd_document(actions=[["C", "D"]]), "one list of names per player"),
    (pd_document(actions=[["C", "D"], ["C"]]), r"actions\[1\] names 1 action"),
    (pd_document(actions=[["C", "D"], ["C", 2]]), r"actions\[1\] must be a list of strings"),
]


@pytest.mark.parametrize(("document", "message"), MALFORMED_JSON)
def test_malformed_json_raises_one_line_game_error(document, message):
    text = document if isinstance(document, str) else json.dumps(document)
    with pytest.raises(GameError) as info:
        loads_json_game(text, source="game.json")
    assert "\n" not in str(info.value)
    assert str(info.value).startswith("game.json:")
    assert re.search(message, str(info.value)), str(info.value)


def test_json_file_errors(tmp_path):
    with pytest.raises(GameError, match="no such file"):
        read_json_game(tmp_path / "nope.json")
    path = tmp_path / "bad.json"
    path.write_text('{\n  "format": 1,\n}', encoding="utf-8")
    with pytest.raises(GameError, match=rf"^{re.escape(str(path))}:3:1: invalid JSON"):
        read_json_game(path)


# -- dispatch and atomic writes --------------------------------------------------------------------------
def test_load_and_save_dispatch_on_suffix_case_insensitively(tmp_path):
    game = NormalFormGame.bimatrix(PD_ROW, PD_COLUMN, name="PD")
    save_game(game, tmp_path / "pd.NFG")
    assert (tmp_path / "pd.NFG").read_text(encoding="utf-8").startswith("NFG 1 R")
    save_game(game, tmp_path / "pd.Json")
    written = json.loads((tmp_path / "pd.Json").read_text(encoding="utf-8"))
    assert written["format"] == "equilibria.normal_form"
    for name in ("pd.NFG", "pd.Json"):
        assert_identical(load_game(tmp_path / name), game)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda p: load_game(p / "game.txt"), r"load_game\(path\): unknown game file type \('\.txt'\)"),
        (lambda p: load_game(p / "game"), r"unknown game file type \(no suffix\)"),
        (lambda p: load_game(p / "missing.nfg"), r"load_game\(path\): no such file"),
        (lambda p: load_game(p / "folder.json"), "is a directory"),
        (lambda p: load_game(42), "expected a file path"),
        (lambda p: save_game(NormalFormGame.zero_sum([[1]]), p / "x.efg"), r"save_game\(path\): unknown"),
        (lambda p: save_game("not a game", p / "x.nfg"), r"save_game\(game\): expected a NormalFormGame"),
        (lambda p: save_game(NormalFormGame.zero_sum([[1]]), p / "no" / "dir.nfg"), "cannot write"),
        (lambda p: read_nfg(3.5), "expected a path or the file's text"),
        (lambda p: loads_nfg(b"NFG"), "expected a str"),
        (lambda p: dumps_nfg("game"), "expected a NormalFormGame"),
        (lambda p: dumps_json_game(None), "expected a NormalFormGame"),
    ],
)
def test_dispatch_and_argument_errors(tmp_path, call, message):
    (tmp_path / "folder.json").mkdir()
    with pytest.raises(GameError, match=message) as info:
        call(tmp_path)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("fmt", ["nfg", "json"])
def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch, fmt):
    path = tmp_path / f"game.{fmt}"
    path.write_text("old content", encoding="utf-8")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    game = random_game((3, 3), seed=0)
    with pytest.raises(GameError, match=r"cannot write .*No space left on device"):
        save_game(game, path)
    assert path.read_text(encoding="utf-8") == "old content"
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"game.{fmt}"]


def test_interrupted_write_cleans_up_and_reraises(tmp_path, monkeypatch):
    path = tmp_path / "game.nfg"

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_nfg(random_game((2, 2), seed=1), path)
    assert list(tmp_path.iterdir()) == []


def test_written_file_has_ordinary_permissions(tmp_path):
    path = tmp_path / "game.json"
    write_json_game(random_game((2, 2), seed=2), path)
    umask = os.umask(0)
    os.umask(umask)
    assert Path(path).stat().st_mode & 0o777 == 0o666 & ~umask
