"""Pure-strategy Nash equilibria of n-player games by exhaustive vectorised check of every pure profile.

Memory is linear in the number of pure profiles (one boolean and one best-payoff tensor of the game's shape):
the returned profiles are built as one-hot vectors directly, never from identity matrices, so a player with
10^6 actions costs 8 MB a profile, not 8 TB.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from equilibria.core.result import SolveResult
from equilibria.solvers._common import Budget, nash_result, require_normal_form


def pure_solve(game: Any, *, tol: float = 0.0) -> SolveResult:
    """All pure Nash equilibria (``iterations`` = number of pure profiles checked).

    A pure equilibrium's certificate is its max regret, at most ``tol`` (absolute, in payoff units) by
    construction: ``tol`` is also the certificate tolerance handed to ``nash_result`` (``atol``).

    Args:
      game: a NormalFormGame with any number of players.
      tol: a profile counts when every player's payoff is within ``tol`` of their best reply payoff.
    """
    budget = Budget()
    game = require_normal_form(game, "pure_solve(game)")
    actions = game.pure_nash(tol=tol)
    size = 1
    for n in game.n_actions:
        size *= n
    return nash_result(game, "pure", [_one_hot_profile(game.n_actions, a) for a in actions],
                       parameters={"tol": tol}, iterations=size, budget=budget, complete=True, atol=tol)


def _one_hot_profile(n_actions: tuple[int, ...], actions: tuple[int, ...]) -> tuple[np.ndarray, ...]:
    """The mixed profile putting probability 1 on ``actions`` (``game.pure_profile`` without identity matrices)."""
    profile = []
    for n, a in zip(n_actions, actions, strict=True):
        strategy = np.zeros(n)
        strategy[a] = 1.0
        profile.append(strategy)
    return tuple(profile)
