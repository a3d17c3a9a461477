"""`equilibria solve` output a script can trust: exact fractions with --rational, the full behaviour profile of a
tree, values computed from the returned profile, and whether an --all answer is complete."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from equilibria.cli import main
from equilibria.games.io import read_efg
from equilibria.games.zoo import extensive_form as tree_zoo
from equilibria.metrics.exploitability import exact_nash_conv, exploitability

DATA = Path(__file__).parent.parent / "data"


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    code = main([*argv, "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def test_rational_json_carries_every_number_as_an_exact_fraction_string(capsys):
    doc = run_json(capsys, "solve", "von-stengel-3x2", "--all", "--rational")
    assert doc["rational"] is True and doc["complete"] is True and doc["method"] == "vertex_enumeration"
    for entry in doc["equilibria"]:
        numbers = [*sum(entry["strategies"], []), *entry["payoffs"], entry["max_regret"]]
        assert all(isinstance(x, str) for x in numbers)
        assert entry["max_regret"] == "0"
        assert all(sum(Fraction(p) for p in s) == 1 for s in entry["strategies"])
    assert [["4/5", "1/5", "0"], ["2/3", "1/3"]] in [e["strategies"] for e in doc["equilibria"]]


def test_fractional_file_prints_the_equilibria_of_the_game_in_the_file(capsys):
    doc = run_json(capsys, "solve", str(DATA / "todd3.nfg"), "--all", "--rational")
    assert ["4/21", "38/147", "2/7", "13/49"] in [e["strategies"][1] for e in doc["equilibria"]]
    assert all(e["max_regret"] == "0" for e in doc["equilibria"])


def test_float_json_keeps_floats(capsys):
    doc = run_json(capsys, "solve", "von-stengel-3x2", "--all")
    assert doc["rational"] is False
    assert all(isinstance(x, float) for e in doc["equilibria"] for x in e["strategies"][0])


def test_support_enumeration_all_does_not_claim_completeness(capsys):
    doc = run_json(capsys, "solve", "von-stengel-3x2", "--all", "--method", "support")
    assert doc["complete"] is False
    code = main(["solve", "von-stengel-3x2", "--all", "--method", "support"])
    out, _ = capsys.readouterr()
    assert code == 0 and "NOT PROVEN COMPLETE" in out and "nondegenerate" in out


def test_single_equilibrium_methods_say_nothing_about_completeness(capsys):
    doc = run_json(capsys, "solve", "von-stengel-3x2")
    assert doc["complete"] is None


def test_tree_json_holds_every_information_set_and_can_be_checked_alone(capsys):
    doc = run_json(capsys, "solve", "kuhn-poker", "--rational")
    game = tree_zoo.get("kuhn-poker")
    (entry,) = doc["equilibria"]
    behaviour = entry["behaviour"]
    assert len(behaviour) == game.n_infosets  # off-path information sets included
    policy = np.array([Fraction(behaviour[game.infoset_labels[i]]["actions"][a])
                       for i in range(game.n_infosets) for a in game.action_labels[i]], dtype=object)
    # "reached" is what the profile reaches (which equilibrium of Kuhn's family the LP returns decides how many)
    reach = game.reach_probabilities(policy.astype(float))
    for i, label in enumerate(game.infoset_labels):
        assert behaviour[label]["reached"] == bool(reach[game.infoset == i].sum() > 0)
    assert not all(s["reached"] for s in behaviour.values())
    assert exact_nash_conv(game, policy) == 0  # the equilibrium verified from the printed output alone
    assert doc["value"] == "-1/18" and entry["payoffs"] == ["-1/18", "1/18"] and entry["exploitability"] == "0"


def test_tree_value_is_computed_from_the_returned_profile_not_the_lp_objective(capsys):
    # Payoffs up to 1e19: HiGHS's scaled objective rounds the value to 0; the profile earns (1, -1).
    doc = run_json(capsys, "solve", str(DATA / "large_payoff_game.efg"))
    game = read_efg(DATA / "large_payoff_game.efg")
    (entry,) = doc["equilibria"]
    assert doc["value"] == 1.0 and entry["payoffs"] == [1.0, -1.0]
    policy = np.array([behaviour["actions"][a] for i, behaviour in enumerate(entry["behaviour"].values())
                       for a in game.action_labels[i]])
    assert exploitability(game, policy) == entry["exploitability"] == 0.0
    code = main(["solve", str(DATA / "large_payoff_game.efg")])
    out, _ = capsys.readouterr()
    assert code == 0 and "value: 1 for player 1" in out
