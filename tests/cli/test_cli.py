"""The command-line contract of docs/design.md: outputs, JSON shape, exit codes, one-line errors."""

import json
import subprocess
import sys

import numpy as np
import pytest

from equilibria.cli import main
from equilibria.games import zoo
from equilibria.games.zoo import differentiable as differentiable_zoo
from equilibria.games.zoo import extensive_form as tree_zoo
from equilibria.games.zoo import general_sum_trees, mean_field_index
from equilibria.games.zoo import stochastic as stochastic_zoo


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_games_lists_every_zoo_entry(capsys):
    code, out, _ = run_cli(capsys, "games")
    assert code == 0
    for name in zoo.names():
        assert name in out
    code, out, _ = run_cli(capsys, "games", "--format", "json")
    expected = (set(zoo.names()) | set(differentiable_zoo.names()) | set(tree_zoo.names())
                | set(general_sum_trees.names()) | set(stochastic_zoo.names()) | set(mean_field_index.names()))
    assert {g["name"] for g in json.loads(out)} == expected


def test_solve_json_has_the_contract_shape(capsys):
    code, out, _ = run_cli(capsys, "solve", "von-stengel-3x2", "--all", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert set(doc) >= {"game", "method", "equilibria", "seconds"}
    assert doc["game"] == "von-stengel-3x2" and doc["method"] == "vertex_enumeration"
    assert len(doc["equilibria"]) == 3
    for eq in doc["equilibria"]:
        assert set(eq) >= {"strategies", "payoffs", "max_regret"}
        assert len(eq["strategies"]) == 2 and eq["max_regret"] <= 1e-9
    found = sorted(tuple(round(p, 9) for p in eq["strategies"][0]) for eq in doc["equilibria"])
    assert found == sorted([(0.0, 0.333333333, 0.666666667), (0.8, 0.2, 0.0), (1.0, 0.0, 0.0)])


def test_solve_rational_table_prints_fractions(capsys):
    code, out, _ = run_cli(capsys, "solve", "von-stengel-3x2", "--all", "--rational")
    assert code == 0
    assert "4/5" in out and "2/3" in out and "max_regret = 0" in out


def test_default_methods(capsys):
    _, out, _ = run_cli(capsys, "solve", "zero-sum-2x2", "--format", "json")
    doc = json.loads(out)
    assert doc["method"] == "zero_sum_lp"
    np.testing.assert_allclose(doc["equilibria"][0]["strategies"], [[0.4, 0.6], [0.4, 0.6]], atol=1e-9)
    np.testing.assert_allclose(doc["equilibria"][0]["payoffs"], [0.2, -0.2], atol=1e-9)
    _, out, _ = run_cli(capsys, "solve", "battle-of-the-sexes", "--format", "json")
    assert json.loads(out)["method"] == "lemke_howson"
    _, out, _ = run_cli(capsys, "solve", "three-player-matching-pennies", "--format", "json")
    doc = json.loads(out)
    assert doc["method"] == "simplicial_subdivision"
    np.testing.assert_allclose(doc["equilibria"][0]["strategies"], [[0.5, 0.5]] * 3, atol=1e-8)


def test_correlated_output(capsys):
    code, out, _ = run_cli(capsys, "solve", "chicken", "--method", "ce", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["method"] == "correlated" and doc["equilibria"][0]["ce_gap"] <= 1e-9
    assert sum(doc["equilibria"][0]["payoffs"]) >= 10 - 1e-9  # at least Aumann's CE welfare


def test_solve_reads_files(capsys, tmp_path):
    from equilibria.games.io import save_game

    path = tmp_path / "g.nfg"
    save_game(zoo.get("stag-hunt"), path)
    code, out, _ = run_cli(capsys, "solve", str(path), "--all", "--format", "json")
    assert code == 0 and len(json.loads(out)["equilibria"]) == 3


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["solve", "no-such-game"], "unknown zoo game"),
        (["solve", "chicken", "--method", "nonsense"], "unknown method"),
        (["solve", "three-player-matching-pennies", "--method", "lemke-howson"], "two-player"),
        (["solve", "chicken", "--method", "zero-sum-lp"], "zero-sum"),
        (["solve", "chicken", "--method", "qre", "--rational"], "no exact mode"),
        (["solve", "three-player-matching-pennies", "--all", "--method", "qre"], "finds one equilibrium"),
        (["solve", "chicken", "--max-seconds", "-1"], "positive"),
        (["solve"], "required"),
        (["frobnicate"], "invalid choice"),
        (["reproduce", "no-such-experiment", "--out", "OUT"], "unknown experiment"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path, argv, message):
    argv = [str(tmp_path / "out") if a == "OUT" else a for a in argv]
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse errors exit directly
        code = exit_.code
    _, err = capsys.readouterr()
    assert code == 2, err
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_malformed_files_exit_2(capsys, tmp_path):
    bad_nfg = tmp_path / "bad.nfg"
    bad_nfg.write_text('NFG 1 R "x" { "a" "b" } { 2 2 }\n1 2 3\n')
    nan_json = tmp_path / "nan.json"
    nan_json.write_text('{"format": "equilibria.normal_form", "version": 1, "payoffs": [[[NaN]], [[1]]]}')
    for path in (bad_nfg, nan_json, tmp_path / "missing.nfg"):
        code, out, err = run_cli(capsys, "solve", str(path))
        assert code == 2 and len(err.strip().splitlines()) == 1 and not out, (path, err)


def test_module_entry_point_runs():
    proc = subprocess.run([sys.executable, "-m", "equilibria", "solve", "prisoners-dilemma", "--format", "json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["equilibria"][0]["strategies"] == [[0.0, 1.0], [0.0, 1.0]]


def test_reproduce_quick_writes_report(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "reproduce", "zoo-atlas", "--quick", "--out", str(tmp_path), "--no-progress")
    assert code == 0, out
    assert "zoo-atlas: reproduced" in out
    assert (tmp_path / "index.html").exists() and (tmp_path / "zoo-atlas" / "best_responses.png").exists()
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["experiments"]["zoo-atlas"]["passed"]


# -- issue 15: true stop reasons, the reproduce output folder ---------------------------------------------------------
@pytest.mark.parametrize(("parameters", "why"), [
    ({"stopped_because": "max_seconds=0.5 reached after 7 pivots"}, "max_seconds=0.5 reached after 7 pivots"),
    ({"message": "line search failed\nat step 3"}, "line search failed\\nat step 3"),
    ({}, "stopped early"),
])
def test_status_text_and_json_header_give_the_true_stop_reason(parameters: dict[str, str], why: str) -> None:
    from equilibria.cli.solve import _status_text, result_to_json_header
    from equilibria.core.result import SolveResult

    game = zoo.get("matching-pennies")
    result = SolveResult(game, "test", (), (), (), parameters=parameters, converged=False)
    assert _status_text(result, "results incomplete") == f"  [NOT CONVERGED: {why}, results incomplete]"
    assert result_to_json_header(result, "mp")["stopped_because"] == why
    done = SolveResult(game, "test", (), (), (), parameters=parameters, converged=True)
    assert result_to_json_header(done, "mp")["stopped_because"] is None


def test_solve_json_says_why_a_solver_stopped(capsys) -> None:
    code, out, _ = run_cli(capsys, "solve", "kuhn-poker", "--method", "cfr",
                           "--max-iterations", "3", "--format", "json")
    document = json.loads(out)
    assert code == 0 and not document["converged"] and document["stopped_because"]
    assert "\n" not in document["stopped_because"]


def test_reproduce_out_is_checked_before_any_work(capsys, tmp_path) -> None:
    target = tmp_path / "a-file"
    target.write_text("")
    code, out, err = run_cli(capsys, "reproduce", "zoo-atlas", "--quick", "--out", str(target), "--no-progress")
    assert code == 2 and "--out" in err and "not a directory" in err and out == ""
    from equilibria.cli import build_parser

    reproduce = build_parser()._subparsers._group_actions[0].choices["reproduce"]  # type: ignore[union-attr]
    fresh = next(a for a in reproduce._actions if "--fresh" in a.option_strings)
    assert fresh.help == "ignore checkpoints (experiments and their units of work) and run everything again"
