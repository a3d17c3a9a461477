"""The zoo's facts: every known equilibrium is exactly an equilibrium (max regret 0 in rational arithmetic)."""

from fractions import Fraction

import numpy as np
import pytest

from equilibria.games import zoo
from equilibria.metrics import max_regret


@pytest.mark.parametrize("entry", zoo.ENTRIES, ids=lambda e: e.name)
def test_known_equilibria_are_exact_equilibria(entry):
    game = entry.game()
    assert game.name == entry.name
    assert entry.known_equilibria, "every zoo entry states its known equilibria"
    for known in entry.known_equilibria:
        profile = tuple(np.array(s, dtype=object) for s in known)
        assert max_regret(game, profile) == 0
        if entry.value is not None:
            assert game.expected_payoffs(profile)[0] == entry.value


def test_pure_equilibria_in_zoo_match_pure_solver():
    for entry in zoo.ENTRIES:
        game = entry.game()
        known_pure = {tuple(int(np.argmax(s)) for s in k) for k in entry.known_equilibria
                      if all(max(s) == 1 for s in k)}
        if entry.known_complete:
            assert set(game.pure_nash()) == known_pure, entry.name


def test_unknown_name_suggests_close_matches():
    with pytest.raises(KeyError, match="did you mean chicken"):
        zoo.get("chiken")
    assert zoo.entry("von-stengel-3x2").known_equilibria[1][0] == (Fraction(4, 5), Fraction(1, 5), Fraction(0))
