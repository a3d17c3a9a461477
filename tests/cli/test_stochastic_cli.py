"""`equilibria solve` on stochastic games and `equilibria marl`: the JSON contract, the certificate printed from the
metrics, the names users type, and one-line errors with exit code 2."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

from equilibria.applications.marl.registry import ALIASES, LEARNERS, canonical_learner
from equilibria.cli import main
from equilibria.core.errors import GameError, NotApplicableError
from equilibria.games.zoo import stochastic as zoo
from equilibria.metrics.stochastic import exploitability, profile_values
from equilibria.solvers import choose_stochastic_method, solve


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_solve_json_gives_values_policies_and_the_certificate(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "solve", "big-match", "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert document["method"] == "shapley" and document["certificate"] == "exploitability"
    assert document["values_are"].startswith("discounted sums")
    game = zoo.big_match()
    assert np.array(document["values"]).shape == (2, game.n_states)  # [player][state]
    assert document["values"][0][0] == pytest.approx(5.0, abs=1e-8)
    top, bottom = document["policies"][0][0]  # [state][player][action]
    assert top == pytest.approx(1 / 11, abs=1e-8) and bottom == pytest.approx(10 / 11, abs=1e-8)
    assert document["policies"][1] == [[1.0], [1.0]]  # an absorbing state's single actions
    # The printed certificate is the metrics' exploitability of the printed profile.
    profile = tuple(np.array([row[i] + [0.0] * (2 - len(row[i])) for row in document["policies"]])
                    for i in range(2))
    assert document["exploitability"] == pytest.approx(exploitability(game, profile), abs=1e-12)
    assert document["exploitability"] <= 1e-9
    np.testing.assert_allclose(document["values"], profile_values(game, profile), atol=1e-9)


def test_rational_solve_prints_exact_fractions(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "solve", "big-match", "--rational", "--format", "json")
    document = json.loads(out)
    assert code == 0 and document["rational"] is True
    assert document["policies"][0][0] == ["1/11", "10/11"] and document["exploitability"] == "0"
    assert Fraction(document["values"][0][0]) == 5


def test_general_sum_games_get_the_heuristic_and_say_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert choose_stochastic_method(zoo.nosde()) == "nash_value_iteration"
    code, out, _ = run(capsys, "solve", "nosde", "--max-iterations", "200")
    assert code == 0 and "NOT CONVERGED" in out  # NoSDE: value iteration cycles, never reported as converged
    result = solve(zoo.grid_game_1(), "nash-vi")
    assert result.method == "nash_value_iteration" and result.converged and result.certificate[0] <= 1e-6


def test_stochastic_method_names_and_refusals() -> None:
    game = zoo.big_match()
    assert solve(game, "vi").method == "shapley" and solve(game, "policy-iteration").method == "hoffman_karp"
    with pytest.raises(GameError, match="is a method for normal-form games"):
        solve(game, "lemke_howson")
    with pytest.raises(NotApplicableError, match="zero-sum"):
        solve(zoo.grid_game_1(), "shapley")
    with pytest.raises(NotApplicableError, match="all equilibria"):
        solve(game, all_equilibria=True)


def test_bad_stochastic_files_are_one_line_errors(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"type": "stochastic", "discount": 0.9, "rewards": [[[1.0]], [[-1.0]]],
                               "transitions": [[[0.5]]]}))
    code, out, err = run(capsys, "solve", str(bad))
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "bad.json" in err


def test_every_learner_is_registered_under_its_own_name() -> None:
    for name, spec in LEARNERS.items():
        assert canonical_learner(name.replace("-", "_").upper()) == name
        assert spec.build().name == name
    assert all(target in LEARNERS for target in ALIASES.values())
    with pytest.raises(GameError, match="did you mean"):
        canonical_learner("minimx-q")


def test_marl_reports_the_exact_exploitability_curve(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "marl", "big-match-episodic", "-m", "minimax", "--steps", "20000", "--seeds", "2",
                       "--checkpoints", "2", "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert document["method"] == "minimax-q" and document["steps"] == [10000, 20000]
    assert np.array(document["exploitability"]).shape == (2, 2) and document["completed"]
    # Minimax-Q learns the Big Match's value 5 and P(Top) = 1/11 (measured: exploitability ~1e-5, float32).
    assert max(document["exploitability"][0][-1], document["exploitability"][1][-1]) < 1e-3


def test_marl_refuses_what_does_not_apply(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "marl", "grid-game-1", "-m", "minimax-q", "--steps", "10")
    assert code == 2 and "zero-sum" in err
    code, _, err = run(capsys, "marl", "prisoners-dilemma", "-m", "iql", "--steps", "10")
    assert code == 2 and "not a stochastic game" in err
