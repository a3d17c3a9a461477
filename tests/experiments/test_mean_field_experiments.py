"""The three mean-field reproductions of issue 18 (mean-field-routing, mean-field-epidemics, mean-field-solvers) on
small configurations: every check passes and the known numbers come out (prices of anarchy 15/14 and 4/3; SIS's
equilibrium certified, its optimum below every "distance until t*" policy); and their helpers on known flows.

Their --quick runs, with every figure, are tests/experiments/test_registry.py's (every registered reproduction)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from equilibria.experiments.base import Context, ExperimentResult


def _run(module: Any, config: Any, directory: Path) -> ExperimentResult:
    result: ExperimentResult = module.run_experiment(config, Context(directory))
    failed = [c for c in result.checks if not c.passed]
    assert result.checks and not failed, failed
    for figure in result.figures:
        assert (directory / figure.path).stat().st_size > 1000
    result.to_json()  # the report writes it: everything must be JSON-serialisable
    return result


@pytest.fixture(scope="module")
def routing(tmp_path_factory: pytest.TempPathFactory) -> ExperimentResult:
    from equilibria.experiments import mean_field_routing as module

    config = module.RoutingConfig(dynamic_horizon=20, time_step=0.25, mirror_iterations=300, control_iterations=300,
                                  pigou_iterations=1000, degrees=(1.0, 2.0), pigou_tol=1e-7, poa_tolerance=1e-3,
                                  dynamic_control=False)
    return _run(module, config, tmp_path_factory.mktemp("routing"))


def test_routing_prices_of_anarchy(routing: ExperimentResult) -> None:
    summary = routing.summary
    for network in ("braess_dynamic", "braess_static"):
        assert summary[network]["price_of_anarchy"] == pytest.approx(15 / 14, abs=1e-6)
        assert summary[network]["equilibrium_time"] == pytest.approx(3.75, abs=1e-6)
        assert summary[network]["optimum_time"] == pytest.approx(3.5, abs=1e-6)
    assert summary["braess_dynamic"]["equilibrium_exploitability"] <= 1e-9
    assert summary["braess_dynamic"]["optimum_exploitability"] == pytest.approx(0.75, abs=1e-9)
    pigou = {row["degree"]: row for row in summary["pigou"]}
    assert pigou[1.0]["price_of_anarchy"] == pytest.approx(4 / 3, abs=1e-3)
    assert pigou[1.0]["optimum_cost"] == pytest.approx(0.75, abs=1e-6)
    # degree 2: x = 3**(-1/2), cost 1 - 2 * 3**(-3/2)
    assert pigou[2.0]["optimum_cost"] == pytest.approx(1 - 2 * 3 ** -1.5, abs=1e-6)
    assert pigou[2.0]["price_of_anarchy"] == pytest.approx(1 / (1 - 2 * 3 ** -1.5), abs=1e-3)
    assert all(row["equilibrium_exploitability"] <= 1e-7 for row in summary["pigou"])


def test_pigou_price_of_anarchy_formula_matches_the_closed_form_optimum() -> None:
    from equilibria.experiments.mean_field_routing import pigou_price_of_anarchy
    from equilibria.games.zoo.mean_field_routing import pigou_social_optimum

    assert pigou_price_of_anarchy(1.0) == pytest.approx(4 / 3, rel=1e-15)
    for degree in (0.5, 1.0, 2.0, 3.0, 7.0):
        assert pigou_price_of_anarchy(degree) == pytest.approx(1 / pigou_social_optimum(degree)[1], rel=1e-12)
    # the bound grows without limit with the degree (Roughgarden and Tardos): ~ p / ln p
    assert pigou_price_of_anarchy(2.0) < pigou_price_of_anarchy(4.0) < pigou_price_of_anarchy(16.0)


def test_dynamic_braess_loads_and_route_shares_on_the_known_splits() -> None:
    from equilibria.experiments.mean_field_routing import dynamic_route_shares, link_loads
    from equilibria.games.mean_field import flow
    from equilibria.games.zoo.mean_field_routing import braess, braess_policy

    game = braess(horizon=20, time_step_length=0.25)
    for split, shares in (((0.75, 2 / 3), (0.25, 0.5, 0.25)), ((0.5, 0.0), (0.5, 0.0, 0.5)), ((1.0, 1.0), (0, 1, 0))):
        mu = np.asarray(flow(game, braess_policy(game, *split)), dtype=np.float64)
        links, loads = link_loads(game, mu)
        assert links == ["O->A", "A->B", "A->C", "B->C", "B->D", "C->D", "D->E"]
        np.testing.assert_allclose(loads.sum(axis=1) + mu[:, -1], 1.0, atol=1e-12)  # mass on links or arrived
        np.testing.assert_allclose(dynamic_route_shares(game, mu), shares, atol=1e-12)


@pytest.fixture(scope="module")
def epidemics(tmp_path_factory: pytest.TempPathFactory) -> ExperimentResult:
    from equilibria.experiments import mean_field_epidemics as module

    return _run(module, module.EXPERIMENT.quick, tmp_path_factory.mktemp("epidemics"))


def test_epidemics_equilibrium_against_optimum(epidemics: ExperimentResult) -> None:
    summary = epidemics.summary
    solvers = summary["solvers"]
    assert solvers["boltzmann-annealed"]["exploitability"] <= 1e-8
    # the claim: plain fictitious play and mirror descent stall on SIS; the plain fixed point cycles
    assert solvers["fictitious-play"]["exploitability"] >= 1e-2
    assert solvers["mirror-descent"]["exploitability"] >= 1e-2
    assert solvers["fixed-point"]["lowest"] >= 1.0
    assert summary["optimum_stationarity_gap"] <= 1e-8
    assert summary["optimum_cost"] < summary["equilibrium_cost"] < 32.0  # 32.05: nobody distances
    assert summary["price_of_anarchy"] > 1.0
    assert max(summary["optimum_infected"][10:40]) < min(summary["equilibrium_infected"][10:40])


def test_switching_policies() -> None:
    from equilibria.experiments.mean_field_epidemics import switching_policies
    from equilibria.games.mean_field import check_policy
    from equilibria.games.zoo.mean_field_applications import susceptible_infected

    game = susceptible_infected(horizon=4)
    policies = switching_policies(game)
    assert policies.shape == (game.horizon + 1, game.horizon, 2, 2)
    for switch, policy in enumerate(policies):
        check_policy(game, policy)
        assert policy[:, 0, 1].tolist() == [1.0] * switch + [0.0] * (game.horizon - switch)
        assert np.all(policy[:, 1, 0] == 1.0)  # infected agents go out


@pytest.fixture(scope="module")
def solvers(tmp_path_factory: pytest.TempPathFactory) -> ExperimentResult:
    from equilibria.experiments import mean_field_solvers as module

    config = module.SolversConfig(environments=("left-right",),
                                  solvers=("fixed-point", "fictitious-play", "mirror-descent"), iterations=60)
    return _run(module, config, tmp_path_factory.mktemp("solvers"))


def test_solvers_table_and_checks(solvers: ExperimentResult) -> None:
    claims = [c.claim for c in solvers.checks]
    assert [c for c in claims if c.startswith("left-right (monotone): ")] == [
        "left-right (monotone): fictitious play, weights 1/(k+2) lowers the exploitability",
        "left-right (monotone): online mirror descent, learning rate 1 lowers the exploitability"]
    assert "left-right: the plain fixed-point iteration cycles (best responses alternate)" in claims
    final = solvers.tables[0]
    assert final.columns == ("environment", "fixed-point", "fictitious-play", "mirror-descent")
    assert [row[0] for row in final.rows] == ["left-right"]
    assert len(solvers.figures) == 1
    runs = solvers.summary["left-right"]
    # left-right: the best responses alternate between the sides (exploitability 1, then 2 for ever); mirror
    # descent reaches the equilibrium (2/3 of the population left) within its tolerance in a few dozen iterations
    assert runs["fixed-point"]["exploitability"] == pytest.approx(2.0, abs=1e-12)
    assert runs["mirror-descent"]["exploitability"] <= 1e-12 and runs["mirror-descent"]["iterations"] < 60
    assert runs["fictitious-play"]["exploitability"] < 1e-2


def test_unknown_environment_and_solver_are_refused(tmp_path: Path) -> None:
    from equilibria.core.errors import GameError
    from equilibria.experiments import mean_field_solvers as module

    with pytest.raises(GameError, match="unknown mean-field environment 'nope'"):
        module.make_environment("nope")
    with pytest.raises(ValueError, match="unknown solver 'nope'"):
        module.run_experiment(module.SolversConfig(solvers=("nope",)), Context(tmp_path))
