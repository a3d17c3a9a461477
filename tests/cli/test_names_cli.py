"""The command line takes names as users type them (issue 16) and lists the abbreviations in its help."""

from __future__ import annotations

import json

import pytest

from equilibria.cli import main


def _json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    assert main([*argv, "--format", "json"]) == 0, capsys.readouterr().err
    document: dict[str, object] = json.loads(capsys.readouterr().out)
    return document


@pytest.mark.parametrize(("typed", "game"), [("PD", "prisoners-dilemma"), ("prisoners_dilemma", "prisoners-dilemma"),
                                             ("rps", "rock-paper-scissors"), ("Kuhn", "kuhn-poker")])
def test_solve_takes_game_abbreviations(typed: str, game: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert _json(["solve", typed], capsys)["game"] == game


@pytest.mark.parametrize(("typed", "method"), [("LH", "lemke_howson"), ("Vertex-Enumeration", "vertex_enumeration"),
                                               ("support", "support_enumeration")])
def test_solve_takes_method_spellings(typed: str, method: str, capsys: pytest.CaptureFixture[str]) -> None:
    document = _json(["solve", "battle-of-the-sexes", "-m", typed], capsys)
    assert document["method"] == method
    assert document["converged"] is True


@pytest.mark.parametrize(("typed", "method"), [("ogda", "optimistic_gda"), ("EG", "extragradient"),
                                               ("rm+", "regret_matching_plus"), ("fp", "fictitious_play")])
def test_dynamics_takes_method_abbreviations(typed: str, method: str, capsys: pytest.CaptureFixture[str]) -> None:
    document = _json(["dynamics", "rps", "-m", typed, "--steps", "20"], capsys)
    assert document["method"] == method
    assert document["game"] == "rock-paper-scissors"


@pytest.mark.parametrize(("argv", "suggestion"), [
    (["solve", "rock-paper-sissors"], "did you mean rock-paper-scissors"),
    (["solve", "chicken", "-m", "lemkehowson"], "did you mean lemke_howson?"),
    (["dynamics", "rps", "-m", "extragradiant"], "did you mean extragradient?"),
    (["reproduce", "calvno", "--out", "OUT"], "did you mean calvano?"),
])
def test_unknown_names_suggest_the_closest(argv: list[str], suggestion: str, capsys: pytest.CaptureFixture[str],
                                           tmp_path: object) -> None:
    argv = [str(tmp_path) if a == "OUT" else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert suggestion in err
    assert len(err.strip().splitlines()) == 1


def test_help_lists_the_abbreviations(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dynamics", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for fragment in ("optimistic_gda [ogda", "extragradient [eg", "regret_matching [rm]", "regret_matching_plus [rm+",
                     "fictitious_play [fp]"):
        assert fragment in text
    assert main(["solve", "--help"]) == 0
    assert "lemke_howson [lh" in " ".join(capsys.readouterr().out.split())
    assert main(["games"]) == 0
    out = capsys.readouterr().out
    assert "[also: rps" in out and "[also: pd" in out
