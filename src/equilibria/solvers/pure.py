"""Pure-strategy Nash equilibria of n-player games by exhaustive vectorised check of every pure profile."""

from __future__ import annotations

from typing import Any

from equilibria.core.result import SolveResult
from equilibria.solvers._common import Budget, nash_result, require_normal_form


def pure_solve(game: Any, *, tol: float = 0.0) -> SolveResult:
    """All pure Nash equilibria (``iterations`` = number of pure profiles checked).

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
    return nash_result(game, "pure", [game.pure_profile(a) for a in actions], parameters={"tol": tol},
                       iterations=size, budget=budget, complete=True)
