"""`equilibria solve` on game trees: behaviour strategies, exploitability, traces, .efg files, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from equilibria.cli import main
from equilibria.games.io.efg import write_efg
from equilibria.games.zoo import extensive_form as tree_zoo


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_kuhn_exact_value_and_behaviour_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "solve", "kuhn-poker", "--rational")
    assert code == 0
    assert "method sequence_form_lp" in out and "-1/18 for player 1" in out
    assert "exploitability = 0  payoffs (-1/18, 1/18)" in out  # exact, from the returned profile
    assert "Q:check,bet" in out  # reached in every equilibrium of Kuhn's family, with its action probabilities


def test_tree_json_lists_behaviour_per_information_set(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "solve", "matching-pennies-tree", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["certificate"] == "exploitability" and doc["method"] == "sequence_form_lp"
    (equilibrium,) = doc["equilibria"]
    assert equilibrium["exploitability"] <= 1e-12
    for infoset in equilibrium["behaviour"].values():
        assert sorted(infoset["actions"].values()) == pytest.approx([0.5, 0.5])


def test_alphabeta_trace_prints_events_then_the_result(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "solve", "minimax-lesson", "--method", "alphabeta", "--trace")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("visit node 0")
    assert any("cutoff" in line for line in lines)
    assert "value: 7 for player 1" in out
    code, out, _ = run_cli(capsys, "solve", "minimax-lesson", "--method", "alphabeta", "--trace", "--format", "json")
    trace = json.loads(out)["trace"]
    assert trace[0]["kind"] == "visit" and trace[0]["alpha"] == "-inf"


def test_minimax_means_tree_search_on_trees(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "solve", "minimax-lesson", "--method", "minimax")
    assert code == 0 and "method minimax" in out


def test_cfr_runs_within_its_budget(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "solve", "kuhn-poker", "--method", "cfr+", "--max-seconds", "0.5")
    assert code == 0 and "(cfr+)" in out and "exploitability" in out


def test_efg_files_solve(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "kuhn.efg"
    write_efg(tree_zoo.get("kuhn-poker"), path)
    code, out, _ = run_cli(capsys, "solve", str(path), "--format", "json")
    assert code == 0
    assert json.loads(out)["value"] == pytest.approx(-1 / 18)


@pytest.mark.parametrize(("argv", "message"), [
    (["solve", "kuhn-poker", "--method", "alphabeta"], "needs perfect information"),
    (["solve", "kuhn-poker", "--method", "cfr+", "--trace"], "no trace"),
    (["solve", "kuhn-poker", "--method", "lemke_howson"], "normal-form games"),
    (["solve", "kuhn-poker", "--all"], "reduced_normal_form"),
    (["dynamics", "kuhn-poker", "--method", "gda"], "game tree"),
])
def test_tree_misuse_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str],
                                            message: str) -> None:
    code, out, err = run_cli(capsys, *argv)
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1


def test_malformed_efg_names_the_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "bad.efg"
    path.write_text('EFG 2 R "t" { "A" "B" }\n""\nc "deal" 1 "" { "x" 0.5 "y" 0.499 } 0\n'
                    't "" 1 "a" { 1, -1 }\nt "" 2 "b" { -1, 1 }\n')
    code, _, err = run_cli(capsys, "solve", str(path))
    assert code == 2
    assert "bad.efg:3:" in err and "sum to 0.999" in err
