"""The sequence-form LP's dense simplex engine (solvers/_dense_simplex.py): optimal values against HiGHS on random
(degenerate, infeasible, unbounded) programs, the same game values as HiGHS's engine on random trees, certified by
the metrics layer, and the fall-backs to HiGHS (no optimum, a doubtful answer, no compiled code under a time
limit)."""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from unittest import mock

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

import equilibria.solvers.sequence_form_lp as lp_module
from equilibria.games.zoo.extensive_form import entry
from equilibria.metrics.exploitability import exploitability
from equilibria.solvers import _dense_simplex
from equilibria.solvers.sequence_form_lp import sequence_form_lp_solve
from tests.games.test_sequence_form import random_tree


def dense_solve(matrix: np.ndarray, rhs: np.ndarray, cost: np.ndarray) -> tuple[int, float, np.ndarray]:
    """``min cost @ v, matrix @ v = rhs, v >= 0`` through the dense simplex with one artificial per row."""
    m, n = matrix.shape
    sign = np.where(rhs < 0, -1.0, 1.0)[:, None]  # b >= 0, as the kernel needs
    tableau = np.zeros((m + 1, n + m + 1))
    tableau[:m, :n] = sign * matrix
    tableau[:m, n:n + m] = np.eye(m)
    tableau[:m, -1] = (sign * rhs[:, None])[:, 0]
    basis = np.arange(n, n + m, dtype=np.int64)
    status, _ = _dense_simplex.solve(tableau, basis, cost, m)
    v = np.zeros(n + m)
    v[basis] = tableau[:m, -1]
    return status, -float(tableau[-1, -1]), v[:n]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(1, 6), columns=st.integers(1, 9),
       sparsity=st.sampled_from([0.0, 0.5, 0.8]), feasible=st.booleans())
def test_random_programs_agree_with_highs(seed: int, rows: int, columns: int, sparsity: float,
                                          feasible: bool) -> None:
    """Small integer programs, many with degenerate vertices (a feasible point with zeros), some infeasible, some
    unbounded: the status agrees with HiGHS, and at an optimum the value does and the point is feasible."""
    rng = np.random.default_rng(seed)
    matrix = rng.integers(-3, 4, (rows, columns)).astype(float)
    matrix[rng.random((rows, columns)) < sparsity] = 0.0
    point = rng.integers(0, 3, columns).astype(float)
    rhs = matrix @ point if feasible else rng.integers(-5, 6, rows).astype(float)
    cost = rng.integers(-3, 4, columns).astype(float)
    status, value, v = dense_solve(matrix, rhs, cost)
    reference = linprog(cost, A_eq=matrix, b_eq=rhs, bounds=(0, None), method="highs")
    if reference.status == 0:
        assert status == _dense_simplex.OPTIMAL
        assert value == pytest.approx(reference.fun, abs=1e-9 * (1 + abs(reference.fun)))
        assert np.all(v >= -1e-12)
        np.testing.assert_allclose(matrix @ v, rhs, atol=1e-9)
        assert cost @ v == pytest.approx(value, abs=1e-9)
    elif reference.status == 2:
        assert status == _dense_simplex.INFEASIBLE
    else:
        assert reference.status == 3 and status == _dense_simplex.UNBOUNDED


def test_a_classic_cycling_example_terminates() -> None:
    """Beale's program (degenerate at the start) cycles under Dantzig's rule with a careless ratio test; Bland's
    rule reaches the optimum, -5/4 (x = (1, 0, 1, 0)), as HiGHS does."""
    matrix = np.array([[0.25, -8.0, -1.0, 9.0], [0.5, -12.0, -0.5, 3.0], [0.0, 0.0, 1.0, 0.0]])
    cost = np.array([-0.75, 20.0, -0.5, 6.0])
    slack = np.hstack([matrix, np.eye(3)])
    status, value, v = dense_solve(slack, np.array([0.0, 0.0, 1.0]), np.concatenate([cost, np.zeros(3)]))
    reference = linprog(cost, A_ub=matrix, b_ub=[0.0, 0.0, 1.0], method="highs")
    assert status == _dense_simplex.OPTIMAL and value == pytest.approx(reference.fun, abs=1e-12)
    assert value == pytest.approx(-1.25, abs=1e-12) and v[:4] == pytest.approx([1.0, 0.0, 1.0, 0.0], abs=1e-12)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), depth=st.integers(2, 4), payoffs=st.sampled_from([1, 5, 10**6]))
def test_random_trees_dense_and_highs_agree_and_are_certified(seed: int, depth: int, payoffs: int) -> None:
    first = random_tree(seed, max_depth=depth, payoff_range=payoffs)
    assume(lp_module._program(first).tableau is not None)  # a tiny LP (most of these trees)
    dense = sequence_form_lp_solve(first)
    game = random_tree(seed, max_depth=depth, payoff_range=payoffs)
    without_dense = dataclasses.replace(lp_module._program(game), tableau=None)  # this game's LP, no dense form
    with mock.patch.object(lp_module, "_program", lambda g: without_dense):
        highs = sequence_form_lp_solve(game)
    assert dense.parameters["lp_engine"] == "dense simplex" and highs.parameters["lp_engine"] == "highs"
    scale = float(np.abs(game.payoffs).max()) or 1.0
    assert dense.parameters["value"] == pytest.approx(highs.parameters["value"], abs=1e-9 * scale)
    assert dense.certificate[0] <= 1e-9 * scale
    assert dense.certificate[0] == exploitability(game, dense.equilibrium)  # the metrics layer's number


def test_kuhn_by_the_dense_engine() -> None:
    game = entry("kuhn-poker").build()
    result = sequence_form_lp_solve(game)
    assert result.parameters["lp_engine"] == "dense simplex" and result.converged
    assert result.parameters["value"] == pytest.approx(-1 / 18, abs=1e-12)
    assert result.parameters["lp_objective"] == pytest.approx(-1 / 18, abs=1e-12)
    assert result.certificate[0] <= 1e-12 and result.iterations > 0
    exact = sequence_form_lp_solve(game, rational=True)
    assert exact.parameters["value"] == Fraction(-1, 18) and exact.certificate[0] == 0


def test_no_optimum_from_the_dense_simplex_falls_back_to_highs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_dense_simplex, "solve", lambda *args: (_dense_simplex.PIVOT_LIMIT, 0))
    result = sequence_form_lp_solve(entry("kuhn-poker").build())
    assert result.parameters["lp_engine"] == "highs"
    assert result.parameters["value"] == pytest.approx(-1 / 18, abs=1e-12)


def test_a_doubtful_dense_answer_falls_back_to_highs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wrong 'optimal' basis (here: the starting one) fails the metrics layer's check: HiGHS answers."""
    monkeypatch.setattr(_dense_simplex, "solve", lambda *args: (_dense_simplex.OPTIMAL, 0))
    result = sequence_form_lp_solve(entry("kuhn-poker").build())
    assert result.parameters["lp_engine"] == "highs" and result.certificate[0] <= 1e-12


def test_under_a_time_limit_an_unloaded_simplex_is_not_waited_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_dense_simplex, "_LOADED", [])
    monkeypatch.setattr(_dense_simplex, "_LOAD_SECONDS", 1e9)
    result = sequence_form_lp_solve(entry("kuhn-poker").build(), max_seconds=30.0)
    assert result.parameters["lp_engine"] == "highs" and result.converged
