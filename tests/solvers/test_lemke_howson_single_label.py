"""One given label (``initial_label=k``) on a dense game: the path and its certificate in one compiled call (issue
16). It must give what the general route (a path object followed by ``_follow``, certified by ``nash_result``) gives,
budgets included."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria import NormalFormGame
from equilibria.metrics import max_regret
from equilibria.solvers import lemke_howson as lh
from equilibria.solvers._common import Budget, nash_result
from equilibria.solvers.lemke_howson import lemke_howson_path_length, lemke_howson_solve


def general_route(game: NormalFormGame, label: int) -> tuple[int, tuple[np.ndarray, np.ndarray]]:
    """``(pivots, profile)`` of the path dropping ``label`` followed as a path object, as all_labels does."""
    end = lh._one_path(lh._Payoffs(game), label, Budget(), 0, rational=False)
    assert end.status == "done" and end.profile is not None
    return end.pivots, end.profile


@given(st.integers(1, 10), st.integers(1, 10), st.integers(0, 2**32 - 1), st.data())
@settings(max_examples=40, deadline=None)
def test_one_call_is_the_general_route(m: int, n: int, seed: int, data: st.DataObject) -> None:
    rng = np.random.default_rng(seed)
    game = NormalFormGame.bimatrix(rng.normal(size=(m, n)), rng.normal(size=(m, n)))
    label = data.draw(st.integers(0, m + n - 1))
    result = lemke_howson_solve(game, initial_label=label)
    pivots, profile = general_route(game, label)
    assert result.converged and result.iterations == pivots and len(result) == 1
    assert all(np.array_equal(r, p) for r, p in zip(result.equilibrium, profile, strict=True))
    reference = nash_result(game, "lemke_howson", [profile], parameters={}, iterations=pivots, budget=Budget(),
                            complete=False)
    assert result.certificate == reference.certificate and result.certificate[0] == max_regret(game, profile)
    assert np.array_equal(result.values[0], reference.values[0])
    assert result.complete is False and result.rational is False and result.parameters == {
        "initial_label": label, "all_labels": False, "rational": False, "max_iterations": None, "max_seconds": None}


def long_path_game() -> tuple[NormalFormGame, int]:
    """A 60 x 60 random game whose label-0 path is longer than the pivots between clock checks."""
    rng = np.random.default_rng(7)
    for _ in range(200):
        game = NormalFormGame.bimatrix(rng.random((60, 60)), rng.random((60, 60)))
        length = lemke_howson_path_length(game, 0)
        if length > lh._TIME_CHECK_EVERY:
            return game, length
    raise AssertionError("no 60 x 60 game with a label-0 path over 256 pivots among 200")


def test_a_leg_that_stops_goes_on_as_a_path() -> None:
    """With a time budget the first leg is 256 pivots; a longer path goes on from where it stopped, to the same end;
    an iteration budget stops it where the general route stops."""
    game, length = long_path_game()
    free = lemke_howson_solve(game, initial_label=0)
    timed = lemke_howson_solve(game, initial_label=0, max_seconds=60.0)
    assert free.iterations == timed.iterations == length
    assert all(np.array_equal(f, t) for f, t in zip(free.equilibrium, timed.equilibrium, strict=True))
    assert timed.certificate == free.certificate
    assert lemke_howson_solve(game, initial_label=0, max_iterations=length).iterations == length
    for budget in (1, lh._TIME_CHECK_EVERY, length - 1):
        stopped = lemke_howson_solve(game, initial_label=0, max_iterations=budget)
        assert not stopped.converged and len(stopped) == 0 and stopped.iterations == budget
        assert stopped.parameters["stopped_because"] == f"max_iterations={budget} reached"


def test_a_spent_time_budget_makes_no_pivot() -> None:
    game, _ = long_path_game()
    result = lemke_howson_solve(game, initial_label=0, max_seconds=1e-9)
    assert not result.converged and result.iterations == 0
    assert result.parameters["stopped_because"].startswith("max_seconds=")


@pytest.mark.parametrize("label", [0, 5, 19])
def test_a_dominant_equilibrium_ends_every_label(label: int) -> None:
    """Strictly dominant actions (row 3, column 6): the unique equilibrium is pure, and every path ends there."""
    a = np.zeros((12, 8))
    a[3] = 1.0  # row 3 dominates
    b = np.zeros((12, 8))
    b[:, 6] = 1.0  # column 6 dominates
    game = NormalFormGame.bimatrix(a + np.linspace(0, 0.1, 8), b + np.linspace(0, 0.1, 12)[:, None])
    x, y = lemke_howson_solve(game, initial_label=label).equilibrium
    assert x[3] == 1.0 and y[6] == 1.0
