"""Duplicate removal in expected linear time, inside the solver's budget (issue 15, item 2).

``_common.distinct_indices_within`` hashes float profiles by grid cell and compares only within a cell and across
the boundaries a profile is within ``tol`` of; it must keep exactly what the quadratic definition keeps (the first
of profiles within ``tol`` in max norm of a kept one). The enumerations that produce thousands of equilibria
(coordination games have ``2^n - 1``) must finish, or stop within their budget marked not converged.
"""

from __future__ import annotations

import json
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria.cli import main
from equilibria.games.generators import coordination_game
from equilibria.games.io import save_game
from equilibria.solvers._common import _CELLS_PER_TOL, Budget, deduplicate, distinct_indices, distinct_indices_within
from equilibria.solvers.support_enumeration import support_enumeration_solve
from equilibria.solvers.vertex_enumeration import vertex_enumeration_solve


def quadratic_reference(profiles: list, tol: float) -> list[int]:
    """The definition: keep a profile unless it is within ``tol`` (max norm) of an earlier kept one."""
    kept: list[int] = []
    flats = [np.concatenate(p) for p in profiles]
    for i, flat in enumerate(flats):
        if not any(np.max(np.abs(flat - flats[j])) <= tol for j in kept):
            kept.append(i)
    return kept


def test_near_equal_profiles_across_a_cell_boundary_still_match() -> None:
    tol = 1e-6
    side = tol * _CELLS_PER_TOL
    boundary = (7 - 0.5) * side  # the grid is shifted by half a cell: this value is a cell boundary
    below = (np.array([boundary - tol / 3, 1 - boundary + tol / 3]), np.array([1.0]))
    above = (np.array([boundary + tol / 3, 1 - boundary - tol / 3]), np.array([1.0]))
    far = (np.array([boundary + 2 * tol, 1 - boundary - 2 * tol]), np.array([1.0]))
    assert distinct_indices([below, above, far], tol) == [0, 2]
    assert distinct_indices([above, below], tol) == [0]
    # Near two boundaries at once (two coordinates): the diagonal neighbour cell is looked at too.
    corner = (np.array([boundary - tol / 3, boundary - tol / 3]), np.array([1.0]))
    opposite = (np.array([boundary + tol / 3, boundary + tol / 3]), np.array([1.0]))
    assert distinct_indices([corner, opposite], tol) == [0]


def test_keeps_the_first_exact_fractions_and_mixed_lengths() -> None:
    a = (np.array([0.5, 0.5]), np.array([1.0, 0.0]))
    b = (np.array([0.5 + 1e-12, 0.5 - 1e-12]), np.array([1.0, 0.0]))
    c = (np.array([0.0, 1.0]), np.array([1.0, 0.0]))
    three = (np.array([0.5, 0.5]), np.array([1.0, 0.0, 0.0]))
    assert distinct_indices([a, b, c, a, three, three]) == [0, 2, 4]
    kept = deduplicate([a, b, c])
    assert kept[0][0] is a[0] and kept[1][0] is c[0]
    half = np.array([Fraction(1, 2), Fraction(1, 2)], dtype=object)
    other = np.array([Fraction(1, 3), Fraction(2, 3)], dtype=object)
    assert distinct_indices([(half, half), (half.copy(), half.copy()), (half, other)]) == [0, 2]
    assert distinct_indices([]) == [] and distinct_indices([a]) == [0]


@st.composite
def clustered_profiles(draw) -> tuple[list, float]:
    """A few distinct profiles, each repeated with perturbations around ``tol`` (some within, some not)."""
    tol = draw(st.sampled_from([1e-9, 1e-6, 1e-3]))
    m, n = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    centres = [(rng.dirichlet(np.ones(m)), rng.dirichlet(np.ones(n))) for _ in range(draw(st.integers(1, 6)))]
    if draw(st.booleans()):  # equilibria are often made of simple fractions: 0, 1/2, 1/3 ...
        centres = [tuple(np.round(s * 6) / max(np.round(s * 6).sum(), 1) for s in c) for c in centres]
    profiles = []
    for _ in range(draw(st.integers(1, 40))):
        x, y = centres[int(rng.integers(len(centres)))]
        scale = tol * float(rng.choice([0.0, 0.3, 0.9, 1.1, 3.0]))
        profiles.append((x + rng.uniform(-scale, scale, m), y + rng.uniform(-scale, scale, n)))
    return profiles, tol


@settings(max_examples=200, deadline=None)
@given(clustered_profiles())
def test_keeps_exactly_what_the_quadratic_definition_keeps(data) -> None:
    profiles, tol = data
    assert distinct_indices(profiles, tol) == quadratic_reference(profiles, tol)


def test_many_distinct_profiles_in_linear_time_and_the_budget_stops_it() -> None:
    rng = np.random.default_rng(0)
    profiles = [(rng.dirichlet(np.ones(20)), rng.dirichlet(np.ones(20))) for _ in range(20_000)]
    profiles += profiles[:5_000]
    started = time.perf_counter()
    kept, finished = distinct_indices_within(profiles, 1e-6)
    assert finished and kept == list(range(20_000))
    assert time.perf_counter() - started < 2.0  # the quadratic version took minutes
    spent = Budget(max_seconds=1e-3, started=time.perf_counter() - 10.0)  # long past its allowance
    kept, finished = distinct_indices_within(profiles, 1e-6, spent)
    assert not finished and kept == list(range(4096))


# -- the enumerations on games with thousands of equilibria --------------------------------------------------------


def test_12x12_coordination_game_all_4095_equilibria_through_the_cli(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """Before: 34.6 s with --max-seconds 5, 31 s of it removing duplicates outside the clock, marked converged."""
    path = tmp_path / "coordination12.nfg"
    save_game(coordination_game(12), path)
    started = time.perf_counter()
    assert main(["solve", str(path), "--all", "--max-seconds", "5", "--format", "json"]) == 0
    wall = time.perf_counter() - started
    document = json.loads(capsys.readouterr().out)
    assert document["converged"] is True and document["complete"] is True and wall < 5.0
    assert len(document["equilibria"]) == 2**12 - 1
    supports = {tuple(int(p > 0) for p in e["strategies"][0]) for e in document["equilibria"]}
    assert len(supports) == 2**12 - 1 and all(e["max_regret"] <= 1e-12 for e in document["equilibria"])
    for e in document["equilibria"]:  # both players uniform on the same support, payoff 1/|support| each
        x, y = (np.array(s) for s in e["strategies"])
        assert np.allclose(x, y) and np.allclose(e["payoffs"], 1 / np.count_nonzero(x))


@pytest.mark.parametrize(("solver", "n", "seconds"), [
    (vertex_enumeration_solve, 20, 2.0), (support_enumeration_solve, 20, 2.0),
    (vertex_enumeration_solve, 14, 0.5), (support_enumeration_solve, 14, 1.0)])
def test_identity_games_return_within_the_budget_marked_not_converged(solver, n: int, seconds: float) -> None:
    """Before: 14 x 14 and 20 x 20 gave nothing after 10 minutes (vertex) or took 7 times the budget (support)."""
    solver(coordination_game(3), max_seconds=1.0)  # imports and compilation, once per process
    started = time.perf_counter()
    result = solver(coordination_game(n), max_seconds=seconds)
    wall = time.perf_counter() - started
    assert wall <= 1.5 * seconds + 1.0, wall
    if result.converged:  # a quiet machine may finish 14 x 14 in its finishing allowance: then all of it
        assert result.complete and len(result) == 2**n - 1
    else:
        assert result.complete is False and len(result) >= n
    assert all(c <= 1e-12 for c in result.certificate)
    assert len(deduplicate(list(result.equilibria), 1e-9)) == len(result)
