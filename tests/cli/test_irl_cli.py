"""``equilibria irl maxent``: the JSON contract (the issue's keys), the table, one-line errors with exit 2 on bad
``--mdp`` text and sizes, and a budget reported as not converged.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

pytest.importorskip("jax")
pytest.importorskip("optax")

from equilibria.cli import main  # noqa: E402
from equilibria.cli._common import EXIT_BAD_INPUT  # noqa: E402
from equilibria.cli.irl import parse_world  # noqa: E402
from equilibria.core.errors import GameError  # noqa: E402

# docs/design.md's contract for `equilibria irl maxent --format json`, exactly (the four keys among them)
DOCUMENTED_KEYS = {"evd", "log_likelihood", "reward", "true_reward", "epic", "feature_expectation_gap", "converged",
                   "stopped_because", "iterations", "seconds", "method", "mdp", "states", "horizon", "discount",
                   "demonstrations", "seed", "reward_model", "l2"}


def _run(argv: Sequence[str]) -> int:
    return main(list(argv))


def test_json_contract_on_a_small_gridworld(capsys: pytest.CaptureFixture[str]) -> None:
    code = _run(["irl", "maxent", "--mdp", "gridworld:3", "--demonstrations", "200", "--seed", "1",
                 "--format", "json"])
    assert code == 0
    document = json.loads(capsys.readouterr().out)
    assert set(document) == DOCUMENTED_KEYS | {"theta"}  # theta: the linear model's weights
    assert len(document["reward"]) == len(document["true_reward"]) == 9
    assert document["converged"] and document["stopped_because"] is None
    assert 0 <= document["evd"] < 0.5 and document["log_likelihood"] < 0
    assert document["method"] == "mce_irl" and document["mdp"] == "gridworld:3"


def test_table_and_maxent_method_on_objectworld(capsys: pytest.CaptureFixture[str]) -> None:
    code = _run(["irl", "maxent", "--mdp", "objectworld:4", "-n", "20", "--method", "maxent", "--iterations", "30"])
    out = capsys.readouterr().out
    assert code == 0 and "maxent_irl" in out and "EVD" in out and "true reward" in out


@pytest.mark.parametrize("spec", ["gridworld", "gridworld:", "grid:5", "gridworld:1", "gridworld:99",
                                  "objectworld:-3", "gridworld:5:5"])
def test_bad_mdp_is_one_line_and_exit_2(spec: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = _run(["irl", "maxent", "--mdp", spec, "--format", "json"])
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT and err.count("\n") == 1 and "--mdp" in err


def test_bad_numbers_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    for extra in (["--demonstrations", "0"], ["--discount", "1.5"], ["--slip", "-0.1"], ["--horizon", "-1"],
                  ["--seed", "-1"]):
        code = _run(["irl", "maxent", "--mdp", "gridworld:3", *extra])
        assert code == EXIT_BAD_INPUT, extra
        assert capsys.readouterr().err.count("\n") == 1


def test_budget_reports_not_converged(capsys: pytest.CaptureFixture[str]) -> None:
    # the contract test's world and demonstration count: the sampling's compilation is shared
    code = _run(["irl", "maxent", "--mdp", "gridworld:3", "-n", "200", "--iterations", "1", "--l2", "0",
                 "--format", "json"])
    document = json.loads(capsys.readouterr().out)
    assert code == 0 and not document["converged"] and "max_iterations" in document["stopped_because"]


def test_parse_world() -> None:
    assert parse_world("gridworld:5") == ("gridworld", 5)
    assert parse_world(" Object-World : 6 ") == ("objectworld", 6)
    with pytest.raises(GameError, match="--mdp"):
        parse_world("cliff:5")


def test_the_subcommand_as_users_type_it(capsys: pytest.CaptureFixture[str]) -> None:
    # the 3 x 3 gridworld and 200 demonstrations of the tests above: the sampling's and the fit's compilations are
    # shared, only the spelling is new
    assert _run(["irl", "max-ent", "--mdp", "grid-world:3", "-n", "200", "--iterations", "5", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["method"] == "mce_irl" and document["mdp"] == "gridworld:3"
