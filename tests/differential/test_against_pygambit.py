"""Differential tests against Gambit (pygambit, in the ``bench`` extra) on its own example games.

- two-player normal form: our exact vertex enumeration and Gambit's ``enummixed_solve(rational=True)`` return the
  same set of extreme equilibria, fraction for fraction;
- n-player normal form: our polynomial enumeration finds every equilibrium Gambit's ``enumpoly_solve`` reports
  (up to 1e-6), and every profile either library returns is checked with our certificate;
- two-player trees: the sets of equilibrium payoffs of the reduced strategic forms agree (Gambit's
  ``enummixed_solve`` on the tree, ours on ``reduced_normal_form``), and our sequence-form Lemke answer is an
  equilibrium; Gambit's own ``lcp_solve`` answer is certified by our metrics too.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from equilibria.games.sequence_form import count_reduced_strategies, reduced_normal_form
from equilibria.metrics.regret import max_regret
from equilibria.solvers import solve
from tests.differential import gambit_corpus as corpus

pytest.importorskip("pygambit")
# Gambit's enumerations can run for minutes (enumpoly on nau2004/sec6.nfg, enummixed on bcp2.efg's 695 extreme
# equilibria): each call runs in a worker process and a file whose call outlasts this is skipped, saying so.
GAMBIT_SECONDS = 20


def gambit_answers(key: str, method: str) -> dict[str, Any]:
    """In a worker: Gambit's equilibria of the file (strategy profiles as Fractions or floats, payoffs)."""
    import pygambit as gbt

    path = corpus.ROOT / key
    try:
        game = gbt.read_nfg(str(path)) if path.suffix == ".nfg" else gbt.read_efg(str(path))
    except ValueError as exc:  # pygambit 16 refuses some older files (repeated node or information set labels)
        return {"error": str(exc)}
    if method == "enummixed":
        equilibria, convert = gbt.nash.enummixed_solve(game, rational=True).equilibria, Fraction
    else:
        equilibria, convert = gbt.nash.enumpoly_solve(game, stop_after=None).equilibria, float
    return {"profiles": [tuple(tuple(convert(eq[s]) for s in player.strategies) for player in game.players)
                         for eq in equilibria],
            "payoffs": [tuple(convert(eq.payoff(player)) for player in game.players) for eq in equilibria]}


class _Gambit:
    """One spawned worker process; replaced when a call outlasts GAMBIT_SECONDS."""

    def __init__(self) -> None:
        self.pool = multiprocessing.get_context("spawn").Pool(1)

    def __call__(self, key: str, method: str) -> dict[str, Any]:
        pending = self.pool.apply_async(gambit_answers, (key, method))
        try:
            answers: dict[str, Any] = pending.get(timeout=GAMBIT_SECONDS)
        except multiprocessing.TimeoutError:
            self.pool.terminate()
            self.pool = multiprocessing.get_context("spawn").Pool(1)
            pytest.skip(f"Gambit's {method} did not finish {key} in {GAMBIT_SECONDS} s")
        if "error" in answers:
            pytest.skip(f"pygambit cannot read {key}: {answers['error']}")
        return answers


@pytest.fixture(scope="module")
def gambit() -> Iterator[_Gambit]:
    worker = _Gambit()
    yield worker
    worker.pool.terminate()


@pytest.mark.parametrize("key", corpus.bimatrix())
def test_bimatrix_extreme_equilibria_equal_gambits_exactly(key, gambit):
    ours = solve(corpus.loaded()[key], "vertex_enumeration", all_equilibria=True, rational=True)
    theirs = gambit(key, "enummixed")["profiles"]
    assert {tuple(tuple(s) for s in p) for p in ours.equilibria} == set(theirs)


@pytest.mark.parametrize("key", corpus.n_player_normal_form())
def test_n_player_enumeration_finds_every_equilibrium_gambit_finds(key, gambit):
    ours_game = corpus.loaded()[key]
    # Room for coord333 (4-9 s on two busy cores); speed is benchmarked in benchmarks/n_player_enumeration.py. The
    # 5-player all-mixed supports stay over any test budget, but every equilibrium Gambit finds comes before them.
    ours = solve(ours_game, "polynomial_enumeration", all_equilibria=True, max_seconds=15)
    assert all(c <= 1e-9 for c in ours.certificate)
    theirs = gambit(key, "enumpoly")["profiles"]
    ours_flat = [np.concatenate([np.asarray(s, dtype=float) for s in p]) for p in ours.equilibria]
    for profile in theirs:
        arrays = tuple(np.array(s) for s in profile)
        if max_regret(ours_game, arrays) > 1e-6:
            continue  # not an equilibrium of the game (Gambit's numerics); nothing to find
        flat = np.concatenate(arrays)
        assert any(np.max(np.abs(flat - o)) <= 1e-6 for o in ours_flat), (key, profile)


def _small_two_player_trees() -> list[str]:
    keys = []
    for key in corpus.trees(players=2):
        game = corpus.loaded()[key]
        counts = [count_reduced_strategies(game, p) for p in range(2)]
        if counts[0] * counts[1] <= 100:
            keys.append(key)
    return keys


@pytest.mark.parametrize("key", _small_two_player_trees())
def test_tree_equilibrium_payoffs_equal_gambits_and_lemke_is_certified(key, gambit):
    tree = corpus.loaded()[key]
    reduced = reduced_normal_form(tree)
    ours = solve(reduced.game, "vertex_enumeration", all_equilibria=True, rational=True)
    their_payoffs = set(gambit(key, "enummixed")["payoffs"])
    if their_payoffs:
        assert {tuple(v) for v in ours.values} == their_payoffs
    else:  # Gambit found nothing (large_payoff_game.efg, payoffs 1e19); every finite game has an equilibrium
        assert len(ours) >= 1 and all(c == 0 for c in ours.certificate)
    lemke = solve(tree, "sequence_form_lemke")
    assert lemke.converged and lemke.certificate[0] <= 1e-9
