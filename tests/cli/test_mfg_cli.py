"""`equilibria mfg` and `equilibria solve` on mean-field games: the JSON contract, every number from the metrics
of the printed policy, the environment and solver names users type, --param and --option, and one-line errors with
exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from equilibria.cli import main
from equilibria.games.zoo import mean_field_index
from equilibria.metrics.mean_field import exploitability, social_welfare

# OpenSpiel's crowd modelling (ring of 10, horizon 10): fictitious play's NashConv after 10 iterations, computed by
# OpenSpiel (checked side by side in tests/solvers/test_mean_field_solvers.py).
OPENSPIEL_FP_10 = 0.9908032626911343


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_mfg_json_gives_the_policy_flow_value_and_curve(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    figure = tmp_path / "curve.png"
    code, out, _ = run(capsys, "mfg", "crowd-modelling", "--method", "fp", "--iterations", "10", "--format", "json",
                       "--plot", str(figure))
    assert code == 0 and figure.stat().st_size > 0
    document = json.loads(out)
    assert document["method"] == "fictitious_play" and document["certificate"] == "exploitability"
    assert len(document["exploitability_curve"]) == 10 and document["iterations"] == 10
    assert document["exploitability"] == pytest.approx(OPENSPIEL_FP_10, abs=1e-9)
    assert document["exploitability_curve"][-1] == pytest.approx(document["exploitability"], abs=1e-12)
    game = mean_field_index.get("crowd-modelling")
    policy, flow = np.array(document["policy"]), np.array(document["flow"])
    assert policy.shape == (game.horizon, game.n_states, game.n_actions)  # [t][state][action]
    assert flow.shape == (game.horizon + 1, game.n_states)
    np.testing.assert_allclose(flow.sum(axis=1), 1.0, atol=1e-12)
    # Every printed number is the metrics' reading of the printed policy.
    assert document["exploitability"] == pytest.approx(exploitability(game, policy), abs=1e-10)
    assert document["value"] == pytest.approx(social_welfare(game, policy), abs=1e-10)
    assert document["converged"] is False and "max_iterations" in document["stopped_because"]


def test_solve_accepts_environments_and_their_parameters(capsys: pytest.CaptureFixture[str]) -> None:
    # Pigou's network with cost x^2 on the variable road: everyone takes it at equilibrium, each paying 1.
    code, out, _ = run(capsys, "solve", "pigou", "--param", "degree=2", "--format", "json")
    document = json.loads(out)
    assert code == 0 and document["method"] == "online_mirror_descent"
    assert document["parameters"]["degree"] == 2.0
    assert document["converged"] and document["exploitability"] <= 1e-6
    # The population's cost from its own final split (states: origin, constant road, variable road).
    _, constant, variable = document["flow"][-1]
    assert variable >= 0.999
    assert document["value"] == pytest.approx(-(constant * 1.0 + variable * variable**2), abs=1e-12)
    code, out, _ = run(capsys, "solve", "pigou")
    assert code == 0 and "exploitability =" in out and "value J(pi, mu^pi)" in out


def test_stationary_games_print_a_stationary_policy_and_its_distribution(capsys: pytest.CaptureFixture[str]
                                                                          ) -> None:
    from equilibria.metrics import mean_field_stationary as stationary_metrics

    # Stationary SIS (mfglib's data, discounted): the closed-form equilibrium, I* = 0.5075445816, susceptible
    # agents go out with probability 0.7520891365 (tests/games/test_mean_field_stationary.py derives it).
    code, out, _ = run(capsys, "mfg", "stationary-sis", "--method", "omd", "--iterations", "400", "--tol", "1e-8",
                       "--option", "learning_rate=1", "--format", "json")
    document = json.loads(out)
    assert code == 0 and document["method"] == "stationary_online_mirror_descent" and document["converged"]
    game = mean_field_index.get("stationary-sis")
    policy, distribution = np.array(document["policy"]), np.array(document["distribution"])
    assert policy.shape == (game.n_states, game.n_actions) and distribution.shape == (game.n_states,)
    infected = game.state_names.index("infected")
    assert distribution[infected] == pytest.approx(0.5075445816, abs=1e-6)
    assert policy[1 - infected, 0] == pytest.approx(0.7520891365, abs=1e-5)
    assert document["exploitability"] == pytest.approx(stationary_metrics.exploitability(game, policy), abs=1e-10)
    assert document["exploitability"] <= 1e-8 and document["discount"] == game.discount
    assert len(document["exploitability_curve"]) == document["iterations"]
    code, out, _ = run(capsys, "mfg", "stationary-sis", "--iterations", "5", "--option", "weighting=initial",
                       "--format", "json")
    assert code == 0 and json.loads(out)["weighting"] == "initial"
    code, _, err = run(capsys, "mfg", "stationary-sis", "--option", "weighting=nope")
    assert code == 2 and err.count("\n") == 1 and "weighting must be one of" in err
    code, out, _ = run(capsys, "solve", "stationary-beach-bar", "--method", "fp", "--max-iterations", "20")
    assert code == 0 and "stationary mean-field game" in out and "stationary distribution" in out


def test_names_users_type(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "games")
    assert code == 0
    for name in ("crowd-modelling", "susceptible-infected", "braess", "pigou", "mean-field-rock-paper-scissors"):
        assert name in out
    # rock-paper-scissors is the matrix game for `solve`; `mfg` takes the mean-field one by its short names.
    code, out, _ = run(capsys, "solve", "rps", "--format", "json")
    assert code == 0 and json.loads(out)["certificate"] == "max_regret"
    code, out, _ = run(capsys, "mfg", "rps", "-m", "mirror-descent", "--iterations", "3", "--format", "json")
    assert code == 0 and json.loads(out)["method"] == "online_mirror_descent"
    assert mean_field_index.entry("SIS").name == "susceptible-infected"


def test_solver_options_reach_the_solver(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "mfg", "left-right", "-m", "omd", "--option", "learning_rate=0.5", "--iterations", "5",
                       "--format", "json")
    assert code == 0 and json.loads(out)["method"] == "online_mirror_descent"
    code, _, err = run(capsys, "mfg", "left-right", "-m", "omd", "--option", "learning_rate=nan")
    assert code == 2 and "finite" in err


@pytest.mark.parametrize(("argv", "message"), [
    (("mfg", "no-such-env"), "unknown mean-field game"),
    (("mfg", "pigou", "--param", "degree=abc"), "expects a number"),
    (("mfg", "pigou", "--param", "weight=1"), "unknown parameter"),
    (("mfg", "pigou", "--param", "degree"), "NAME=VALUE"),
    (("mfg", "beach-bar", "--param", "horizon=2.5"), "whole number"),
    (("mfg", "pigou", "--option", "foo=1"), "no option"),
    (("mfg", "pigou", "--method", "lemke-howson"), "unknown method"),
    (("mfg", "pigou", "--plot", "curve.txt"), ".png"),
    (("solve", "matching-pennies", "--param", "x=1"), "not a mean-field environment"),
    (("solve", "pigou", "--rational"), "not available for mean-field games"),
])
def test_bad_input_gives_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...],
                                            message: str) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1
