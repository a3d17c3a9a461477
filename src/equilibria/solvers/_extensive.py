"""Shared plumbing for extensive-form solvers: input checks and the exploitability certificate.

Solvers never certify their own answers: :func:`behaviour_result` evaluates each returned behaviour profile with
:mod:`equilibria.metrics.exploitability` (NashConv / n_players, OpenSpiel's convention; one evaluation gives the
expected payoffs and the best-response values).

**The certificate counts against the time budget.** It is linear in the tree's size, so a solver that reserves
time for it (as :func:`equilibria.solvers.cfr.cfr_solve` does) returns within ``max_seconds``; should it still
run long (a tree of many millions of nodes with little time left), it stops at ``1.5 * max_seconds + 1`` seconds
from the solver's start: the profile is returned with certificate ``inf``, ``converged=False`` and
``parameters["message"]`` saying so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from equilibria.core.errors import GameError, NotApplicableError
from equilibria.core.result import SolveResult
from equilibria.games.extensive_form import ExtensiveFormGame
from equilibria.metrics.exploitability import exact_expected_payoffs, exact_exploitability, payoffs_and_best_responses
from equilibria.solvers._common import Budget

# How far past max_seconds a certificate may run: CERTIFICATE_SLACK[0] * max_seconds + CERTIFICATE_SLACK[1] seconds.
CERTIFICATE_SLACK = (0.5, 1.0)
UNCERTIFIED = ("the time budget ran out before the certificate was computed: exploitability unknown (inf); give "
               "more max_seconds for a certified answer")


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


def certificate_deadline(budget: Budget) -> float | None:
    """The ``time.perf_counter()`` reading after which a certificate gives up (None: no time limit)."""
    if budget.max_seconds is None:
        return None
    return budget.started + budget.max_seconds * (1 + CERTIFICATE_SLACK[0]) + CERTIFICATE_SLACK[1]


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
    evaluations: Sequence[tuple[np.ndarray, np.ndarray] | None] | None = None,
) -> SolveResult:
    """A SolveResult for behaviour profiles (flat ``[n_infoset_actions]``), certified by their exploitability.

    With ``rational=True`` the profiles hold Fractions and are certified exactly: values and exploitability are
    Fractions computed with the game's exact numbers (:func:`equilibria.metrics.exploitability.exact_nash_conv`).
    Float certificates stop at :func:`certificate_deadline` (module docstring).

    ``evaluations``: per profile, None or ``(values, best)``, what
    :func:`equilibria.metrics.exploitability.payoffs_and_best_responses` returned for exactly that float64 array
    (which the result then holds): a solver that checked its answer with the metrics layer hands that evaluation
    over instead of having it computed twice (as ``solvers._common.nash_result(evaluations=...)`` for normal-form
    games). The numbers are still the metrics layer's, from the game and the returned array alone.
    """
    checked = tuple(game.check_policy(np.asarray(p, dtype=float), f"{method}: returned profile") for p in policies)
    certificate: tuple[Any, ...]
    parameters = dict(parameters)
    if rational:
        values = tuple(exact_expected_payoffs(game, p) for p in policies)
        certificate = tuple(exact_exploitability(game, p) for p in policies)
    else:
        deadline = certificate_deadline(budget)
        given = list(evaluations) if evaluations is not None else [None] * len(checked)
        evaluated = [e if e is not None and p is original else
                     payoffs_and_best_responses(game, p, deadline=deadline, checked=True)
                     for p, original, e in zip(checked, policies, given, strict=True)]
        values = tuple(np.full(game.n_players, np.nan) if e is None else e[0] for e in evaluated)
        # NashConv >= 0; -1e-17 is rounding
        certificate = tuple(math.inf if e is None else max(0.0, float(np.sum(e[1] - e[0]))) / game.n_players
                            for e in evaluated)
        if any(e is None for e in evaluated):
            converged = False
            parameters["message"] = UNCERTIFIED
    return SolveResult(
        game=game,
        method=method,
        equilibria=tuple(policies) if rational else checked,
        values=values,
        certificate=certificate,
        certificate_name="exploitability",
        parameters=parameters,
        iterations=int(iterations),
        seconds=budget.elapsed(),
        converged=converged,
        rational=rational,
    )
