"""Hoffman and Karp (1966) policy iteration for two-player zero-sum stochastic games.

Maths. The maximiser (player 0) holds a stationary policy ``x``. The minimiser's exact best response to it is an
optimal policy of the Markov decision process ``x`` induces (:func:`equilibria.metrics.stochastic.best_response`,
policy iteration with exact linear solves), and ``V_x = min_y V(x, y)`` -- what ``x`` guarantees, a lower bound
on the value ``V*``. The improvement step solves every state's stage matrix game ``Q_s(V_x)`` (Shapley's
auxiliary game at ``V_x``, by the minimax LP, batched on the previous supports: :mod:`equilibria.solvers._stochastic`)
and plays its maximin strategy: ``V_x`` increases monotonically to ``V*`` and, since ``T V_x >= V_x`` with
``||V* - V_x|| <= ||T V_x - V_x|| / (1 - discount)``, the residual ``||T V_x - V_x||`` measures the distance left.
Where a state's stage value does not exceed ``V_x(s)`` by more than rounding the old strategy is kept (ties would
otherwise make the iteration wander).

Stopping rule: a residual at most ``tol (1 - discount) / 2`` (``tol / 2`` in an undiscounted stopping game); the
returned profile is the last stage games' minimax pair ``(x, y)``, certified by
:mod:`equilibria.metrics.stochastic`; a certificate above ``tol`` makes the iteration go on with a ten times
smaller threshold. In practice a handful of improvements, each costing a few linear solves of size ``n_states``
(the minimiser's policy iteration) and one sweep of stage games: far fewer sweeps than Shapley's value iteration,
each more expensive.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from equilibria.core.errors import GameError
from equilibria.core.result import SolveResult
from equilibria.games.stochastic import StochasticGame
from equilibria.solvers._common import Budget
from equilibria.solvers._stochastic import (
    StageSolution,
    check_tol,
    require_stochastic,
    row_continuation,
    solve_stage_games,
    stochastic_result,
)

_METHOD = "hoffman_karp"
# A stage value must beat the current guarantee by this (relative to the reward scale) to change a strategy.
_IMPROVEMENT_RTOL = 1e-12
_TIGHTEN = 10.0


def hoffman_karp_solve(game: StochasticGame, *, tol: float = 1e-9, max_iterations: int | None = None,
                       max_seconds: float | None = None) -> SolveResult:
    """A stationary minimax profile of a two-player zero-sum stochastic game by Hoffman-Karp policy iteration.

    ``iterations`` counts improvements of the maximiser's policy. ``parameters`` holds ``"state_values"`` (the
    metrics' values of the returned profile), ``"residual"`` (the last ``||T V_x - V_x||``), ``"lp_calls"`` and,
    when the budget stopped it, ``"stopped_because"``.

    Args:
      game: a two-player StochasticGame whose rewards add up to one constant (in a stopping game, every profile
        must stop with probability 1).
      tol: the exploitability asked for (payoff units).
      max_iterations: at most this many improvements (default: none).
      max_seconds: time limit, checked every improvement.

    Returns:
      A SolveResult with one profile ``(x: [n_states, max_actions[0]], y: [n_states, max_actions[1]])``.

    Raises:
      NotApplicableError: not a two-player zero-sum game (use stochastic_value_iteration_solve).
      GameError: bad arguments, or a stopping game with a profile that never stops.
    """
    from equilibria.metrics.stochastic import best_response, exploitability, profile_values

    caller = "hoffman_karp_solve"
    game = require_stochastic(game, f"{caller}(game)", zero_sum=True)
    tol = check_tol(tol, f"{caller}(tol)")
    budget = Budget.checked(max_iterations, max_seconds, caller)
    parameters: dict[str, Any] = {"tol": tol, "max_iterations": max_iterations, "max_seconds": max_seconds}
    beta = game.discount
    threshold = tol * (1.0 - beta) / 2.0 if beta < 1.0 else tol / 2.0
    scale = max(1.0, float(np.abs(game.rewards).max()))
    live = ~game.terminal
    rows, columns = game.n_actions[:, 0], game.n_actions[:, 1]
    x = game.uniform_policy()[0]
    stage: StageSolution | None = None
    iterations = lp_calls = 0
    residual = math.inf
    stopped: str | None = None
    while True:
        minimiser = best_response(game, (x, game.uniform_policy()[1]), 1, checked=True).policy
        guaranteed = np.where(live, profile_values(game, (x, minimiser), checked=True)[0], 0.0)
        stage = solve_stage_games(row_continuation(game, guaranteed), rows, columns, stage)
        lp_calls += stage.lp_calls
        improved = live & (stage.value > guaranteed + _IMPROVEMENT_RTOL * scale)
        residual = float(np.abs(np.where(live, stage.value - guaranteed, 0.0)).max())
        iterations += 1
        if residual <= threshold:
            profile = _profile(game, stage.x, stage.y)
            try:
                gap = exploitability(game, profile, checked=True)
            except GameError:
                gap = math.inf
            if gap <= tol:
                break
            threshold /= _TIGHTEN
        if not improved.any():  # nothing left to improve: the certificate decides
            break
        x = np.where(improved[:, None], stage.x, x)
        if budget.exhausted(iterations):
            stopped = budget.stop_reason(iterations)
            break
    parameters.update(residual=residual, lp_calls=lp_calls)
    if stopped:
        parameters["stopped_because"] = stopped
    return stochastic_result(game, _METHOD, [_profile(game, stage.x, stage.y)], parameters=parameters,
                             iterations=iterations, budget=budget, converged=stopped is None, tol=tol)


def _profile(game: StochasticGame, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The stationary profile of stage strategies (terminal states: the first action; rows summing to 1)."""
    out = []
    for policy in (x, y):
        policy = policy / policy.sum(axis=1, keepdims=True)
        policy[game.terminal] = 0.0
        policy[game.terminal, 0] = 1.0
        out.append(policy)
    return out[0], out[1]


__all__ = ["hoffman_karp_solve"]
