"""Small games are solved interpreted while numba is not loaded (equilibria.core.compiled.prefer_interpreted): the
same answers as the compiled code, certified, without importing numba or scipy.optimize.

A fresh interpreter solves a set of random and degenerate small games (the interpreted route) and prints what it
found; this process, where the kernels are compiled, solves them again and compares: Lemke-Howson (every label and
the race: the same paths, so the same pivots and profiles), vertex and support enumeration (the same sets), the
zero-sum LP (the dense simplex against HiGHS: the same value), simplicial subdivision on 2 x 2 x 2 games and the
tree searches and sequence-form LP on small trees (certified, the known values)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from equilibria import NormalFormGame
from equilibria.core import compiled
from equilibria.games.zoo import extensive_form as trees
from equilibria.solvers import solve

pytest.importorskip("numba")

SEED = 16


def _games() -> list[tuple[str, np.ndarray]]:
    """``(kind, payoffs)`` pairs: general-sum (integer payoffs: many degenerate) and zero-sum, 1 x 1 to 5 x 5."""
    rng = np.random.default_rng(SEED)
    games = []
    for _ in range(40):
        m, n = (int(k) for k in rng.integers(1, 6, size=2))
        if m * n > 25:
            continue
        games.append(("general", rng.integers(-3, 4, (2, m, n)).astype(float)))
        games.append(("general", rng.random((2, m, n))))
        zero_sum = rng.integers(-4, 5, (m, n)).astype(float) if rng.random() < 0.5 else rng.normal(size=(m, n))
        games.append(("zero-sum", np.stack([zero_sum, -zero_sum])))
    return games


_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    from equilibria import NormalFormGame
    from equilibria.core import compiled
    from equilibria.games.zoo import extensive_form as trees
    from equilibria.solvers import solve
    from equilibria.solvers.lemke_howson import lemke_howson_solve

    compiled.INTERPRETED_ALLOWANCE_SECONDS = 1e9  # all of them interpreted, however long the list takes
    games = json.loads(sys.stdin.read())
    out = []
    for kind, payoffs in games:
        game = NormalFormGame(np.array(payoffs))
        m, n = game.n_actions
        row = {"labels": [], "vertex": None, "support": None, "lp": None}
        for label in range(m + n):
            r = lemke_howson_solve(game, initial_label=label)
            row["labels"].append([r.iterations, [np.concatenate(r.equilibrium).tolist()], float(r.certificate[0])])
        r = lemke_howson_solve(game)
        row["race"] = [r.iterations, r.parameters["winning_label"], np.concatenate(r.equilibrium).tolist()]
        for method in ("vertex", "support"):
            r = solve(game, method=method + "_enumeration")
            row[method] = [[np.concatenate(p).tolist() for p in r.equilibria], r.parameters.get("fast_path"),
                           max(r.certificate, default=0.0)]
        if kind == "zero-sum":
            r = solve(game, method="zero_sum_lp")
            row["lp"] = [r.values[0][0], float(r.certificate[0]), r.converged]
        out.append(row)
    three = []
    for payoffs in json.loads(sys.argv[1]):
        r = solve(NormalFormGame(np.array(payoffs)), method="simplicial_subdivision")
        three.append([r.converged, float(r.certificate[0])])
    lesson = trees.get("minimax-lesson")
    tree = {name: [r.parameters["value"][0], r.converged]
            for name in ("minimax", "alphabeta") for r in [solve(lesson, method=name)]}
    kuhn = solve(trees.get("kuhn-poker"), method="sequence_form_lp")
    tree["kuhn"] = [kuhn.parameters["value"], float(kuhn.certificate[0]), kuhn.parameters["lp_engine"]]
    heavy = [name for name in ("numba", "scipy.optimize", "scipy.linalg") if name in sys.modules]
    print(json.dumps({"games": out, "three": three, "tree": tree, "heavy": heavy}))
""")


@pytest.fixture(scope="module")
def interpreted_run() -> tuple[list[tuple[str, np.ndarray]], list[np.ndarray], dict]:
    games = _games()
    three = [np.random.default_rng(SEED + k).random((3, 2, 2, 2)) for k in range(6)]
    three.append(np.random.default_rng(SEED).integers(-1, 2, (3, 2, 2, 2)).astype(float))  # degenerate
    done = subprocess.run([sys.executable, "-c", _SCRIPT, json.dumps([g.tolist() for g in three])],
                          input=json.dumps([[kind, g.tolist()] for kind, g in games]), capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    compiled.activate()  # this process: the compiled kernels
    return games, three, json.loads(done.stdout.strip().splitlines()[-1])


def test_small_games_import_neither_numba_nor_scipy_optimize(interpreted_run) -> None:
    assert interpreted_run[2]["heavy"] == []


def test_lemke_howson_follows_the_same_paths(interpreted_run) -> None:
    from equilibria.solvers.lemke_howson import lemke_howson_solve

    games, _, report = interpreted_run
    for (_, payoffs), row in zip(games, report["games"], strict=True):
        game = NormalFormGame(payoffs)
        for label, (pivots, profiles, regret) in enumerate(row["labels"]):
            r = lemke_howson_solve(game, initial_label=label)
            assert pivots == r.iterations
            np.testing.assert_allclose(profiles[0], np.concatenate(r.equilibrium), atol=1e-12)
            assert regret <= 1e-9 * max(1.0, float(np.abs(payoffs).max()))
        r = lemke_howson_solve(game)
        assert row["race"][:2] == [r.iterations, r.parameters["winning_label"]]
        np.testing.assert_allclose(row["race"][2], np.concatenate(r.equilibrium), atol=1e-12)


def _same_set(first: list[list[float]], second: list[np.ndarray]) -> bool:
    if len(first) != len(second):
        return False
    return all(any(np.abs(np.array(a) - b).max() <= 1e-9 for b in second) for a in first)


def test_enumeration_finds_the_same_sets(interpreted_run) -> None:
    games, _, report = interpreted_run
    for (_, payoffs), row in zip(games, report["games"], strict=True):
        game = NormalFormGame(payoffs)
        for method in ("vertex", "support"):
            profiles, fast_path, regret = row[method]
            assert fast_path in (None, "not loaded (a small game)")
            r = solve(game, method=method + "_enumeration")
            assert _same_set(profiles, [np.concatenate(p) for p in r.equilibria]), (method, payoffs.tolist())
            assert regret <= 1e-9 * max(1.0, float(np.abs(payoffs).max()))


def test_the_zero_sum_lp_by_the_dense_simplex_has_highs_value(interpreted_run) -> None:
    games, _, report = interpreted_run
    checked = 0
    for (kind, payoffs), row in zip(games, report["games"], strict=True):
        if kind != "zero-sum":
            continue
        value, regret, converged = row["lp"]
        r = solve(NormalFormGame(payoffs), method="zero_sum_lp")
        scale = max(1.0, float(np.abs(payoffs).max()))
        assert converged and regret <= 1e-9 * scale
        assert value == pytest.approx(r.values[0][0], abs=1e-9 * scale)
        checked += 1
    assert checked >= 30


def test_three_player_and_tree_solves_are_certified(interpreted_run) -> None:
    _, three, report = interpreted_run
    assert len(report["three"]) == len(three)
    assert all(converged and regret <= 1e-9 for converged, regret in report["three"])
    tree = report["tree"]
    assert tree["minimax"] == [7.0, True] and tree["alphabeta"] == [7.0, True]  # the lesson tree's value
    value, exploitability, engine = tree["kuhn"]
    assert value == pytest.approx(-1 / 18, abs=1e-12) and exploitability <= 1e-12 and engine == "dense simplex"
    assert solve(trees.get("kuhn-poker"), method="sequence_form_lp").parameters["value"] == pytest.approx(value)
