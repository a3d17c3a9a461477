"""One vocabulary: ``solve()`` takes the solvers' own keyword names (``all_equilibria``, ``max_iterations``,
``max_seconds``) and the command line spells them the same (``--all-equilibria``, ``--max-iterations``)."""

from __future__ import annotations

import inspect
import json

import pytest

from equilibria.cli import main
from equilibria.core.errors import GameError, NotApplicableError
from equilibria.games import zoo
from equilibria.games.zoo import extensive_form as tree_zoo
from equilibria.solvers import SOLVERS, solve


def test_the_iterative_flag_matches_every_solver_signature() -> None:
    # The table says which methods take max_iterations; the functions themselves are the truth.
    for spec in SOLVERS.values():
        parameters = inspect.signature(spec.load()).parameters
        assert spec.iterative == ("max_iterations" in parameters), spec.name


@pytest.mark.parametrize("method", ["lemke_howson", "support_enumeration", "vertex_enumeration",
                                    "polynomial_enumeration", "qre"])
def test_solve_passes_max_iterations_to_the_method(method: str) -> None:
    game = zoo.get("von-stengel-3x2")
    budgeted = solve(game, method, max_iterations=1)
    assert budgeted.iterations <= 1 or method == "qre"  # QRE counts the refinement's step too
    full = solve(game, method)
    assert full.converged
    # A budget of one step stops every enumeration or path early: said, never hidden.
    assert budgeted.iterations < full.iterations and not budgeted.converged


def test_max_iterations_reaches_cfr_on_trees() -> None:
    game = tree_zoo.get("kuhn-poker")
    result = solve(game, "cfr+", max_iterations=7)
    assert result.iterations == 7 and not result.converged


@pytest.mark.parametrize(("game", "method"), [("matching-pennies", "zero_sum_lp"), ("chicken", "pure"),
                                              ("chicken", "correlated"), ("kuhn-poker", "sequence_form_lp")])
def test_a_method_without_an_iteration_budget_refuses_it_and_names_those_with_one(game: str, method: str) -> None:
    g = tree_zoo.get(game) if game in tree_zoo.names() else zoo.get(game)
    with pytest.raises(NotApplicableError, match="has no iteration budget") as error:
        solve(g, method, max_iterations=10)
    assert "a method that takes one:" in str(error.value) and "\n" not in str(error.value)


def test_the_default_method_refusing_a_budget_says_it_was_the_default() -> None:
    with pytest.raises(NotApplicableError, match="the default method for this game, 'zero_sum_lp'"):
        solve(zoo.get("matching-pennies"), max_iterations=10)


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, 2**63, "10"])
def test_max_iterations_must_be_a_positive_int64(bad: object) -> None:
    with pytest.raises(GameError, match="max_iterations must be an integer in"):
        solve(zoo.get("chicken"), "lemke_howson", max_iterations=bad)  # type: ignore[arg-type]


def test_cli_all_equilibria_is_the_primary_spelling_and_all_its_alias(capsys: pytest.CaptureFixture[str]) -> None:
    documents = []
    for flag in ("--all-equilibria", "--all"):
        assert main(["solve", "von-stengel-3x2", flag, "--format", "json"]) == 0
        documents.append(json.loads(capsys.readouterr().out))
    assert len(documents[0]["equilibria"]) == 3 and documents[0]["complete"] is True
    for document in documents:
        document.pop("seconds")
    assert documents[0] == documents[1]
    main(["solve", "--help"])
    assert "--all-equilibria, --all" in capsys.readouterr().out


def test_cli_max_iterations_reaches_the_solver(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", "von-stengel-3x2", "--method", "lemke-howson", "--max-iterations", "1", "--format",
                 "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["iterations"] <= 1 and document["converged"] is False
    assert main(["solve", "matching-pennies", "--max-iterations", "5"]) == 2
    err = capsys.readouterr().err
    assert "has no iteration budget" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("text", ["0", "-3", "1.5", "nan", "1e40", "9223372036854775808", "0x10", ""])
def test_cli_max_iterations_bad_values_are_usage_errors(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", "chicken", "--method", "lh", "--max-iterations", text]) == 2
    err = capsys.readouterr().err
    assert "--max-iterations" in err and len(err.strip().splitlines()) == 1
