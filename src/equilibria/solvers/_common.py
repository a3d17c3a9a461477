"""Shared plumbing for solvers: certificates from :mod:`equilibria.metrics`, time and iteration budgets.

Solvers never compute their own certificate: they hand the profiles they found to :func:`nash_result` (or
:func:`correlated_result`), which evaluates them against the game with the metrics layer. One exception in form,
not in substance: a compiled solver may run the metrics layer's compiled kernel
(:func:`equilibria.metrics.regret.bimatrix_evaluation`) on the very buffer it returns, in the same compiled call,
and hand over that evaluation with the profile (:func:`evaluated_result`, ``nash_result(evaluations=...)``). The
numbers are still the metrics layer's, from the game's payoffs and the returned arrays alone; what is saved is a
second compiled call, a fifth of a small game's solve.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from equilibria.core.errors import GameError
from equilibria.core.result import SolveResult
from equilibria.games.normal_form import NormalFormGame
from equilibria.metrics import regret as metrics
from equilibria.metrics.regret import certified_bimatrix_profile


class Budget:
    """Stops a long computation: ``exhausted(iterations)`` is True once either limit is reached.

    ``started``: the clock (``time.perf_counter``) at the start; now by default.
    """

    __slots__ = ("max_iterations", "max_seconds", "started")

    def __init__(self, max_iterations: int | None = None, max_seconds: float | None = None,
                 started: float | None = None) -> None:
        if max_iterations is not None and max_iterations < 1:
            raise GameError(f"max_iterations must be a positive integer, got {max_iterations!r}")
        if max_seconds is not None and not max_seconds > 0:
            raise GameError(f"max_seconds must be a positive number, got {max_seconds!r}")
        self.max_iterations, self.max_seconds = max_iterations, max_seconds
        self.started = time.perf_counter() if started is None else started

    @classmethod
    def checked(cls, max_iterations: Any, max_seconds: Any, caller: str) -> Budget:
        """A budget from a solver's arguments, after checking their types: errors name ``caller``.

        ``max_iterations``: None or a positive integer (not a bool); ``max_seconds``: None or a positive number.
        """
        if max_iterations is not None and (isinstance(max_iterations, bool)
                                           or not isinstance(max_iterations, int | np.integer) or max_iterations < 1):
            raise GameError(f"{caller}: max_iterations must be a positive integer or None, got {max_iterations!r}")
        if max_seconds is not None and (isinstance(max_seconds, bool) or not isinstance(max_seconds, int | float)
                                        or not max_seconds > 0):
            raise GameError(f"{caller}: max_seconds must be a positive number or None, got {max_seconds!r}")
        return cls(None if max_iterations is None else int(max_iterations), max_seconds)

    def exhausted(self, iterations: int) -> bool:
        if self.max_iterations is not None and iterations >= self.max_iterations:
            return True
        return self.max_seconds is not None and self.elapsed() >= self.max_seconds

    def elapsed(self) -> float:
        return time.perf_counter() - self.started


def nash_result(
    game: NormalFormGame,
    method: str,
    profiles: Sequence[Sequence[Any]],
    *,
    parameters: Mapping[str, Any],
    iterations: int,
    budget: Budget,
    converged: bool = True,
    rational: bool = False,
    evaluations: Sequence[tuple[np.ndarray, Any] | None] | None = None,
    complete: bool | None = None,
) -> SolveResult:
    """A SolveResult for mixed Nash profiles, each certified by its max regret.

    ``complete``: what an enumeration established (:class:`SolveResult`); None for single-equilibrium methods.

    The values and regrets come from one evaluation of each checked profile against the game
    (:func:`equilibria.metrics.regret.payoffs_and_regrets`, or its compiled quick route for small float bimatrix
    profiles): the certificate is ``metrics.max_regret`` bit for bit, the values ``game.expected_payoffs`` up to
    the order of summation. The result holds its own copies of the profiles.

    ``evaluations``: per profile, None or ``(payoffs [2], max regret)``: the metrics layer's evaluation of exactly
    those arrays, as :func:`equilibria.metrics.regret.bimatrix_evaluation` wrote it (``out[:2]``, ``out[4]``). A
    compiled solver that runs that kernel on the buffer it returns, in the same call, saves a second compiled call
    on small games; the profile's arrays are then taken as they are (the solver hands over a buffer of its own). A
    NaN regret (the kernel's verdict on an invalid profile) is ignored.
    """
    checked: list[tuple[np.ndarray, ...]] = []
    values, certificate = [], []
    for profile, evaluation in zip(profiles, evaluations or (None,) * len(profiles), strict=True):
        if evaluation is not None and evaluation[1] == evaluation[1]:  # NaN: the kernel found no valid profile
            strategies, (payoffs, regret) = tuple(profile), evaluation
        elif (quick := None if rational else certified_bimatrix_profile(game, profile)) is not None:
            strategies, payoffs, regret = quick
        else:
            strategies = metrics.checked_profile(game, profile, f"{method}: returned profile")
            payoffs, gains = metrics.payoffs_and_regrets(game, strategies, checked=True)
            regret = max(gains)
        checked.append(strategies)
        values.append(payoffs)
        certificate.append(regret)
    # Positional: keyword passing costs a third of the construction, a visible share of a small game's solve.
    return SolveResult(game, method, tuple(checked), tuple(values), tuple(certificate), "max_regret", dict(parameters),
                       int(iterations), budget.elapsed(), converged, rational, complete)


def evaluated_result(game: NormalFormGame, method: str, profile: tuple[np.ndarray, np.ndarray],
                     evaluation: tuple[np.ndarray, Any] | None, parameters: dict[str, Any], iterations: int,
                     budget: Budget) -> SolveResult:
    """``nash_result(game, method, [profile], evaluations=[evaluation], ...)`` for one converged float profile.

    The same result, built without the general loop: for a compiled solver's usual end on a small game, where
    that loop is a tenth of the whole solve. ``parameters`` becomes the result's own (pass a fresh dict).
    """
    if evaluation is None or evaluation[1] != evaluation[1]:  # no evaluation, or NaN: the general route
        return nash_result(game, method, [profile], parameters=parameters, iterations=iterations, budget=budget)
    return SolveResult(game, method, (profile,), (evaluation[0],), (evaluation[1],), "max_regret", parameters,
                       iterations, budget.elapsed(), True, False)


def correlated_result(
    game: NormalFormGame,
    method: str,
    joints: Sequence[np.ndarray],
    *,
    coarse: bool,
    parameters: Mapping[str, Any],
    iterations: int,
    budget: Budget,
    converged: bool = True,
) -> SolveResult:
    """A SolveResult for joint distributions, certified by the CE or CCE gap (clipped below at 0)."""
    gap = metrics.cce_gap if coarse else metrics.ce_gap
    return SolveResult(
        game=game,
        method=method,
        equilibria=tuple(joints),
        values=tuple(metrics.joint_expected_payoffs(game, j) for j in joints),
        certificate=tuple(max(0.0, float(gap(game, j))) for j in joints),
        certificate_name="cce_gap" if coarse else "ce_gap",
        parameters=dict(parameters),
        iterations=int(iterations),
        seconds=budget.elapsed(),
        converged=converged,
    )


def require_normal_form(game: Any, caller: str, *, players: int | None = None) -> NormalFormGame:
    """Check the solver's input is a NormalFormGame (with ``players`` players when given)."""
    if not isinstance(game, NormalFormGame):
        raise GameError(f"{caller}: expected a NormalFormGame, got {type(game).__name__}")
    if players is not None and game.payoffs.shape[0] != players:
        game.require_players(players, caller)  # raises
    return game


def deduplicate(profiles: Sequence[Sequence[np.ndarray]], tol: float = 1e-9) -> list[tuple[np.ndarray, ...]]:
    """Drop profiles equal (within ``tol`` in max norm, or exactly for Fractions) to an earlier one."""
    return [tuple(profiles[i]) for i in distinct_indices(profiles, tol)]


def distinct_indices(profiles: Sequence[Sequence[np.ndarray]], tol: float = 1e-9) -> list[int]:
    """The indices of the profiles :func:`deduplicate` keeps, in order."""
    if len(profiles) <= 1:
        return list(range(len(profiles)))
    kept: list[int] = []
    flats: list[np.ndarray] = []
    for index, p in enumerate(profiles):
        flat = np.concatenate([np.asarray(s) for s in p])
        if flat.dtype == object:
            duplicate = any(bool(np.all(flat == other)) for other in flats)
        else:
            duplicate = any(bool(np.max(np.abs(flat - other)) <= tol) for other in flats)
        if not duplicate:
            kept.append(index)
            flats.append(flat)
    return kept
