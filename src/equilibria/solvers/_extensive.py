"""Shared plumbing for extensive-form solvers: input checks and the exploitability certificate.

Solvers never certify their own answers: :func:`behaviour_result` evaluates each returned behaviour profile with
:mod:`equilibria.metrics.exploitability` (NashConv / n_players, OpenSpiel's convention) and the game's expected
payoffs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from equilibria.core.errors import GameError, NotApplicableError
from equilibria.core.result import SolveResult
from equilibria.games.extensive_form import ExtensiveFormGame
from equilibria.metrics.exploitability import exact_expected_payoffs, exact_exploitability, exploitability
from equilibria.solvers._common import Budget


def require_extensive_form(game: Any, caller: str, *, players: int | None = None,
                           zero_sum: bool = False) -> ExtensiveFormGame:
    """Check the solver's input is an ExtensiveFormGame with the properties the solver needs."""
    if not isinstance(game, ExtensiveFormGame):
        raise GameError(f"{caller}: expected an ExtensiveFormGame, got {type(game).__name__}")
    if players is not None and game.n_players != players:
        raise NotApplicableError(f"{caller}: needs a {players}-player game, got {game.n_players} players "
                                 f"({game.describe()})")
    if zero_sum and not game.is_zero_sum():
        raise NotApplicableError(f"{caller}: needs a zero-sum game (payoffs summing to 0 at every terminal); for "
                                 f"general-sum games use CFR (average strategies approach a coarse correlated "
                                 f"equilibrium) or the reduced normal form")
    return game


def behaviour_result(
    game: ExtensiveFormGame,
    method: str,
    policies: Sequence[np.ndarray],
    *,
    parameters: Mapping[str, Any],
    iterations: int,
    budget: Budget,
    converged: bool = True,
    rational: bool = False,
) -> SolveResult:
    """A SolveResult for behaviour profiles (flat ``[n_infoset_actions]``), certified by their exploitability.

    With ``rational=True`` the profiles hold Fractions and are certified exactly: values and exploitability are
    Fractions computed with the game's exact numbers (:func:`equilibria.metrics.exploitability.exact_nash_conv`).
    """
    checked = tuple(game.check_policy(np.asarray(p, dtype=float), f"{method}: returned profile") for p in policies)
    certificate: tuple[Any, ...]
    if rational:
        values = tuple(exact_expected_payoffs(game, p) for p in policies)
        certificate = tuple(exact_exploitability(game, p) for p in policies)
    else:
        values = tuple(game.reach_probabilities(p) @ game.payoffs for p in checked)
        certificate = tuple(max(0.0, exploitability(game, p)) for p in checked)  # NashConv >= 0; -1e-17: rounding
    return SolveResult(
        game=game,
        method=method,
        equilibria=tuple(policies) if rational else checked,
        values=values,
        certificate=certificate,
        certificate_name="exploitability",
        parameters=dict(parameters),
        iterations=int(iterations),
        seconds=budget.elapsed(),
        converged=converged,
        rational=rational,
    )
