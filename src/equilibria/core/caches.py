"""Values derived from a game once per game object: games are immutable, so what a solver or a metric builds from
one (index arrays, sparse matrices, compiled layouts) stays valid for as long as the game lives, and is dropped with
it (a weak-keyed cache: a cache entry never keeps a game alive)."""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from typing import TypeVar

G = TypeVar("G")
T = TypeVar("T")


def per_game(build: Callable[[G], T]) -> Callable[[G], T]:
    """``build(game)``, computed on the first call for each game object and remembered until the game is freed."""
    cache: weakref.WeakKeyDictionary[G, T] = weakref.WeakKeyDictionary()

    @functools.wraps(build)
    def cached(game: G) -> T:
        try:
            return cache[game]
        except KeyError:
            value = cache[game] = build(game)
            return value

    return cached
