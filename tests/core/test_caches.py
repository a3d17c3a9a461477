"""per_game: computed once per game object, kept no longer than the game."""

from __future__ import annotations

import gc
import weakref

import numpy as np

from equilibria.core.caches import per_game
from equilibria.games.normal_form import NormalFormGame


def test_once_per_game_and_freed_with_it() -> None:
    calls: list[int] = []

    @per_game
    def total(game: NormalFormGame) -> float:
        calls.append(1)
        return float(np.sum(game.payoffs))

    first, second = NormalFormGame(np.ones((2, 2, 2))), NormalFormGame(np.ones((2, 2, 2)))
    assert total(first) == total(first) == total(second) == 8.0
    assert len(calls) == 2  # equal games are still two objects: one computation each
    alive = weakref.ref(first)
    del first
    gc.collect()
    assert alive() is None  # the cache does not keep a game alive
    assert total.__name__ == "total"
