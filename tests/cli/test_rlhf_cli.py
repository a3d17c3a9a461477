"""`equilibria rlhf bradley-terry`: the JSON contract (keys, mean-zero scores, the likelihood equations at the
printed scores), the table, `--l2`, and one-line errors with exit code 2 naming the row; no JAX imported."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from equilibria.cli import main

# docs/design.md's contract for `equilibria rlhf bradley-terry --format json`, exactly (the 3 keys in it)
DOCUMENTED_KEYS = {"scores", "log_likelihood", "accuracy", "n_items", "n_comparisons", "l2", "converged"}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _csv(tmp_path, text: str, name: str = "comparisons.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_json_contract_on_a_hand_solved_file(capsys, tmp_path) -> None:
    # a beats b twice, b beats a once, b beats c twice, c beats b once: scores (log 2, 0, -log 2).
    path = _csv(tmp_path, "rater,loser,winner\n1,b,a\n2,b,a\n3,a,b\n4,c,b\n5,c,b\n6,b,c\n")
    code, out, err = run(capsys, "rlhf", "bradley-terry", path, "--format", "json")
    document = json.loads(out)
    assert code == 0 and err == ""
    assert set(document) == DOCUMENTED_KEYS
    assert list(document["scores"]) == ["a", "b", "c"]
    scores = document["scores"]
    assert scores["a"] == pytest.approx(math.log(2), abs=1e-12) and scores["c"] == pytest.approx(-math.log(2))
    assert abs(sum(scores.values())) < 1e-12
    assert document["log_likelihood"] == pytest.approx(2 * (2 * math.log(2 / 3) + math.log(1 / 3)))
    assert document["accuracy"] == pytest.approx(4 / 6)
    assert document["n_comparisons"] == 6 and document["converged"] is True


def test_likelihood_equations_hold_at_the_printed_scores(capsys, tmp_path) -> None:
    rng = np.random.default_rng(0)
    names = [f"item {i}" for i in range(8)]
    rows = ["winner,loser"]
    pairs = []
    for _ in range(300):
        i, j = rng.choice(8, 2, replace=False)
        if rng.random() < 1 / (1 + math.exp(j - i)):  # higher index wins more often
            i, j = j, i
        rows.append(f"{names[i]},{names[j]}")
        pairs.append((names[i], names[j]))
    code, out, _ = run(capsys, "rlhf", "bradley-terry", _csv(tmp_path, "\n".join(rows) + "\n"), "--format", "json")
    scores = json.loads(out)["scores"]
    assert code == 0
    gradient = dict.fromkeys(names, 0.0)
    for w, lo in pairs:
        q = 1 / (1 + math.exp(scores[w] - scores[lo]))
        gradient[w] += q
        gradient[lo] -= q
    assert max(abs(g) for g in gradient.values()) < 1e-7
    assert abs(sum(scores.values())) < 1e-10


def test_table_format_and_l2(capsys, tmp_path) -> None:
    path = _csv(tmp_path, "winner,loser\nx,y\nx,z\ny,z\n")  # x never loses: the MLE needs --l2
    code, out, err = run(capsys, "rlhf", "bradley-terry", path)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "x never lose" in err and "--l2" in err
    code, out, _ = run(capsys, "rlhf", "bradley-terry", path, "--l2", "0.5")
    assert code == 0
    lines = out.splitlines()
    assert "rank" in lines[1] and lines[2].split()[1] == "x" and lines[-1].startswith("log-likelihood")
    code, out, _ = run(capsys, "rlhf", "bradley-terry", path, "--l2", "0.5", "--format", "json")
    document = json.loads(out)
    assert document["l2"] == 0.5 and document["scores"]["x"] > document["scores"]["y"] > document["scores"]["z"]


@pytest.mark.parametrize(("text", "message"), [
    ("winner,loser\na,b\nb,\n", "row 3: empty loser"),
    ("winner,loser\na,b\nb,a,extra\n", "row 3: 3 fields"),
    ("winner,loser\na,b\n\nc,c\n", "row 4: the winner and the loser are the same"),
    ("winner,loser\na,b\nb\n", "row 3: 1 field, the header has 2"),
    ("first,loser\na,b\n", "no 'winner' column"),
    ("winner,loser,winner\na,b,c\n", "more than one 'winner'"),
    ("winner,loser\n", "no comparisons"),
    ("", "empty file"),
])
def test_malformed_files_exit_2_with_one_line(capsys, tmp_path, text, message) -> None:
    code, out, err = run(capsys, "rlhf", "bradley-terry", _csv(tmp_path, text), "--format", "json")
    assert code == 2 and out == "" and message in err and err.count("\n") == 1


def test_missing_and_non_utf8_files(capsys, tmp_path) -> None:
    code, _, err = run(capsys, "rlhf", "bradley-terry", str(tmp_path / "nope.csv"))
    assert code == 2 and "no such file" in err
    path = tmp_path / "latin1.csv"
    path.write_bytes("winner,loser\ncaf\xe9,b\nb,caf\xe9\n".encode("latin-1"))
    code, _, err = run(capsys, "rlhf", "bradley-terry", str(path))
    assert code == 2 and "not UTF-8" in err
    code, _, err = run(capsys, "rlhf", "bradley-terry", str(tmp_path / "nope.csv"), "--l2", "-1")
    assert code == 2


def test_the_command_imports_no_jax(tmp_path) -> None:
    path = _csv(tmp_path, "winner,loser\na,b\nb,a\n")
    program = ("import json, sys\n"
               "from equilibria.cli.rlhf import bradley_terry_document\n"
               f"document = bradley_terry_document({path!r})\n"
               "print(json.dumps([sorted(document), 'jax' in sys.modules, 'matplotlib' in sys.modules]))\n")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=True)
    keys, jax_loaded, matplotlib_loaded = json.loads(done.stdout)
    assert set(keys) == DOCUMENTED_KEYS and not jax_loaded and not matplotlib_loaded


@pytest.mark.parametrize("typed", ["bradley_terry", "bt"])
def test_the_subcommand_as_users_type_it(capsys, tmp_path, typed: str) -> None:
    path = _csv(tmp_path, "winner,loser\na,b\nb,a\na,b\n")
    code, out, _ = run(capsys, "rlhf", typed, path, "--format", "json")
    assert code == 0 and json.loads(out)["scores"]["a"] == pytest.approx(math.log(2) / 2, abs=1e-12)
