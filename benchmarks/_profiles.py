"""Judging two-player answers with ONE checker, whichever library returned them.

Every library's answer is converted to a float profile ``(x: [m], y: [n])`` and judged by equilibria's
:func:`equilibria.metrics.regret.max_regret`: a profile is *valid* when its max regret is at most
:data:`VALID_REGRET` times the game's payoff range. Two profiles are the *same* equilibrium when they differ by at
most :data:`SAME_PROFILE` (max norm over both strategies); sets of equilibria are compared as sets.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from equilibria.games.normal_form import NormalFormGame
from equilibria.metrics.regret import max_regret

# A returned profile is valid when its max regret is at most this, relative to the payoff range.
VALID_REGRET = 1e-6
# Two profiles are the same equilibrium when they differ by at most this (max norm over both strategies).
SAME_PROFILE = 1e-6

FloatProfile = tuple[np.ndarray, np.ndarray]


def float_profile(x: Any, y: Any) -> FloatProfile:
    return np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()


def regret_of(game: NormalFormGame, profile: FloatProfile) -> float:
    """Max regret with equilibria's checker; ``inf`` when the profile is not even a mixed profile."""
    try:
        return float(max_regret(game, profile))
    except Exception:  # noqa: BLE001 - wrong shape, NaN, negative probabilities ...
        return math.inf


def is_valid(game: NormalFormGame, profile: FloatProfile) -> bool:
    scale = max(float(np.ptp(game.payoffs)), 1e-300)
    return regret_of(game, profile) <= VALID_REGRET * scale


def same_profile(p: FloatProfile, q: FloatProfile, tol: float = SAME_PROFILE) -> bool:
    a, b = np.concatenate(p), np.concatenate(q)
    return a.shape == b.shape and bool(np.max(np.abs(a - b)) <= tol)


def count_matches(reference: Sequence[FloatProfile], found: Sequence[FloatProfile]) -> tuple[int, int]:
    """``(how many reference profiles appear in found, how many found profiles are not in reference)``."""
    hits = sum(any(same_profile(r, f) for f in found) for r in reference)
    extra = sum(not any(same_profile(f, r) for r in reference) for f in found)
    return hits, extra


def same_set(reference: Sequence[FloatProfile], found: Sequence[FloatProfile]) -> bool:
    hits, extra = count_matches(reference, found)
    return hits == len(reference) and extra == 0


def converged_profiles(result: Any) -> list[FloatProfile]:
    """equilibria's profiles as floats; a result with ``converged=False`` is a failure (like a peer's timeout)."""
    if not result.converged:
        raise RuntimeError(
            f"converged=False after {result.iterations} iterations and {result.seconds:.3g} s "
            f"({len(result.equilibria)} profiles)"
        )
    return [float_profile(*p) for p in result.equilibria]


def gambit_profile(ggame: Any, eq: Any, exact: bool = False) -> Any:
    """A pygambit mixed strategy profile as ``(x, y)`` (floats, or Fractions when ``exact``)."""
    convert: Callable[[Any], Any] = Fraction if exact else float
    x, y = ([convert(eq[s]) for s in player.strategies] for player in ggame.players)
    if exact:
        return np.array(x, dtype=object), np.array(y, dtype=object)
    return float_profile(x, y)
