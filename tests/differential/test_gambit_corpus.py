"""Every Gambit example game (tests/data/gambit): loaded or refused in one line, and solved by the default method
with a certificate computed from the returned profile. Runs without pygambit; test_against_pygambit compares."""

from __future__ import annotations

import pytest

from equilibria import GameError
from equilibria.games.extensive_form import ExtensiveFormGame
from equilibria.games.io import load_game
from equilibria.solvers import choose_tree_method, solve
from tests.differential import gambit_corpus as corpus


def test_every_file_loads_or_is_refused_for_imperfect_recall():
    refused = []
    for path in corpus.FILES:
        try:
            load_game(path)
        except GameError as exc:
            assert "perfect recall" in str(exc) and "\n" not in str(exc)
            refused.append(corpus.name(path))
    assert len(corpus.FILES) == 234 and len(refused) == 27  # Gambit's imperfect-recall test games among them


@pytest.mark.parametrize("key", corpus.bimatrix())
def test_bimatrix_examples_all_extreme_equilibria_exactly(key):
    game = corpus.loaded()[key]
    result = solve(game, all_equilibria=True, rational=True)
    assert result.method == "vertex_enumeration" and result.complete and result.converged
    assert len(result) >= 1 and all(c == 0 for c in result.certificate)


@pytest.mark.parametrize("key", corpus.n_player_normal_form())
def test_n_player_examples_one_equilibrium_by_default(key):
    game = corpus.loaded()[key]
    result = solve(game, max_seconds=20)
    assert result.converged and result.certificate[0] <= 1e-9, (key, result)


@pytest.mark.parametrize("key", corpus.trees())
def test_every_tree_gets_a_nash_method_that_certifies(key):
    game = corpus.loaded()[key]
    assert isinstance(game, ExtensiveFormGame)
    method = choose_tree_method(game)
    assert not method.startswith(("cfr", "mccfr", "linear_cfr", "dcfr", "pcfr"))  # CFR reaches a CCE, not Nash
    result = solve(game, max_seconds=20)
    assert result.converged and result.certificate[0] <= 1e-9, (key, method, result)
