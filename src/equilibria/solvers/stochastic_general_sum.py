"""Value iteration with a stage-game equilibrium selector for general-sum stochastic games: a HEURISTIC.

Maths. Every player's continuation values ``V: [n_players, n_states]`` define in each state ``s`` the stage game
``Q_s(V)`` (:meth:`StochasticGame.stage_game`, all players' ``r_i(s, a) + discount E[V_i(s')]``). The iteration
replaces ``V(s)`` by the payoffs of an equilibrium of ``Q_s(V)`` picked by a selector:

- ``selector="nash"``: Lemke-Howson (:func:`equilibria.solvers.lemke_howson.lemke_howson_solve`, from its first
  label) for two players, simplicial subdivision (:func:`equilibria.solvers.simplicial_subdivision
  .simplicial_subdivision_solve`) for more; the state's stationary strategies are that equilibrium's.
- ``selector="correlated"``: the welfare-maximising correlated equilibrium (the CE LP,
  :func:`equilibria.solvers.correlated_lp.correlated_solve`, as in utilitarian CE-Q, Greenwald and Hall 2003); the
  players' values are the CE's expected ``Q``, and the returned stationary profile is the *product of the CE's
  marginals* -- which is not the CE and need not be an equilibrium of anything: its exploitability says how good it
  is.

A fixed point ``V`` whose selected stage equilibria reproduce ``V`` is a stationary (Markov perfect) equilibrium.
But stationary equilibria of general-sum stochastic games are PPAD-hard to find, and value-based methods need not
reach one: the selected equilibrium can jump between sweeps and the values cycle for ever (Zinkevich, Greenwald and
Littman 2005, whose NoSDE games make every Q-value-based method cycle). So this solver is a heuristic whose
answer is exactly as good as its certificate, the exploitability of the returned profile against exact best
responses (:mod:`equilibria.metrics.stochastic`).

Stopping rule: a sweep whose sup-norm change is at most ``tol (1 - discount) / (2 discount)`` (``tol / 2`` when
undiscounted). ``converged`` is True only when that rule was met AND the exploitability is at most ``tol``. When the
values do not settle within ``max_iterations`` the result says so (``converged=False``,
``parameters["stopped_because"]``), and when the last sweeps revisit earlier values ``parameters["cycle_period"]``
gives the period found.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from equilibria.core.errors import GameError
from equilibria.core.result import SolveResult
from equilibria.games.normal_form import NormalFormGame
from equilibria.games.stochastic import StochasticGame
from equilibria.solvers._common import Budget
from equilibria.solvers._stochastic import check_tol, require_stochastic, stochastic_result

# SolveResult.method, by selector: the names solvers.solve and the command line use.
_METHODS = {"nash": "nash_value_iteration", "correlated": "ce_value_iteration"}
_SELECTORS = ("nash", "correlated")
# Cycle detection: value vectors of this many recent sweeps are kept; a revisit within this (relative to the
# reward scale) is a cycle.
_HISTORY = 64
_CYCLE_RTOL = 1e-9


def stochastic_value_iteration_solve(game: StochasticGame, *, selector: str = "nash", tol: float = 1e-6,
                                     max_iterations: int | None = 1000,
                                     max_seconds: float | None = None) -> SolveResult:
    """A HEURISTIC for stationary equilibria of general-sum stochastic games (module docstring): value iteration
    with a stage-game equilibrium selector, certified by the exact best-response exploitability.

    ``iterations`` counts sweeps. ``parameters`` holds ``"state_values"`` (the metrics' values of the returned
    profile, not the iterate), ``"iterate_values"`` (the iteration's own ``V``), ``"last_change"``, and when it
    applies ``"stopped_because"``, ``"cycle_period"`` and ``"message"``.

    Args:
      game: a StochasticGame (any number of players; zero-sum games are better served by shapley_solve).
      selector: ``"nash"`` or ``"correlated"`` (module docstring).
      tol: the exploitability asked for (payoff units) and the scale of the stopping rule.
      max_iterations: at most this many sweeps (default 1000; value iteration may cycle). None needs a
        ``max_seconds``.
      max_seconds: time limit, checked every sweep.

    Returns:
      A SolveResult with one stationary profile, one ``[n_states, max_actions[i]]`` array per player.

    Raises:
      GameError: bad arguments.
    """
    caller = "stochastic_value_iteration_solve"
    game = require_stochastic(game, f"{caller}(game)")
    if selector not in _SELECTORS:
        raise GameError(f"{caller}(selector): expected one of {', '.join(map(repr, _SELECTORS))}, got {selector!r}")
    tol = check_tol(tol, f"{caller}(tol)")
    budget = Budget.checked(max_iterations, max_seconds, caller)
    if max_iterations is None and max_seconds is None:
        raise GameError(f"{caller}(max_iterations): give max_iterations or max_seconds (value iteration may cycle "
                        "for ever in general-sum games)")
    beta = game.discount
    threshold = tol * (1.0 - beta) / (2.0 * beta) if 0 < beta < 1 else tol / 2.0
    scale = max(1.0, float(np.abs(game.rewards).max()))
    values = np.zeros((game.n_players, game.n_states))
    history: list[np.ndarray] = []
    sweeps, change = 0, math.inf
    stopped: str | None = None
    period: int | None = None
    profile: tuple[np.ndarray, ...] | None = None
    while True:
        swept = _sweep(game, values, selector, budget)
        if swept is None:  # the time ran out inside a sweep: the last complete sweep's profile stands
            stopped = budget.stop_reason(sweeps)
            break
        new, profile = swept
        sweeps += 1
        change = float(np.abs(new - values).max())
        values = new
        if change <= threshold or beta == 0.0:
            break
        period = _revisit(history, values, _CYCLE_RTOL * scale) or period
        history = (history + [values])[-_HISTORY:]
        if budget.exhausted(sweeps):
            stopped = budget.stop_reason(sweeps)
            break
    parameters: dict[str, Any] = {"selector": selector, "tol": tol, "max_iterations": max_iterations,
                                  "max_seconds": max_seconds, "last_change": change, "iterate_values": values}
    if stopped:
        parameters["stopped_because"] = stopped
        parameters["message"] = (f"the values did not settle in {sweeps} sweeps (last change {change:.3g}); value "
                                 "iteration may cycle in general-sum games (Zinkevich, Greenwald and Littman 2005)")
    if period is not None and stopped:
        parameters["cycle_period"] = period
    return stochastic_result(game, _METHODS[selector], [] if profile is None else [profile], parameters=parameters,
                             iterations=sweeps, budget=budget, converged=stopped is None, tol=tol)


def _sweep(game: StochasticGame, values: np.ndarray, selector: str,
           budget: Budget) -> tuple[np.ndarray, tuple[np.ndarray, ...]] | None:
    """One sweep: ``(new values [n_players, n_states], the stationary profile of the selected stage equilibria)``;
    None when ``max_seconds`` runs out before every state's stage game is solved."""
    new = np.zeros_like(values)
    profile = tuple(np.zeros((game.n_states, width)) for width in game.max_actions)
    for s in range(game.n_states):
        if game.terminal[s]:
            for policy in profile:
                policy[s, 0] = 1.0
            continue
        if budget.max_seconds is not None and budget.elapsed() >= budget.max_seconds:
            return None
        q = game.continuation_at(s, values)  # [n_players, *n_actions[s]]
        selected = _select(NormalFormGame(q), q, selector, budget)
        if selected is None:
            return None
        strategies, payoffs = selected
        new[:, s] = payoffs
        for policy, strategy in zip(profile, strategies, strict=True):
            policy[s, :len(strategy)] = strategy
    return new, profile


def _select(stage: NormalFormGame, q: np.ndarray, selector: str,
            budget: Budget) -> tuple[list[np.ndarray], np.ndarray] | None:
    """The selected equilibrium of one stage game: ``(one strategy per player, the players' expected payoffs)``;
    None when the stage solver stopped at the time limit without one."""
    seconds = None if budget.max_seconds is None else max(1e-3, budget.max_seconds - budget.elapsed())
    if selector == "correlated":
        from equilibria.solvers.correlated_lp import correlated_solve

        found = correlated_solve(stage, max_seconds=seconds)
        if not found.equilibria:
            return None
        joint = np.asarray(found.equilibrium, dtype=float)
        joint = np.clip(joint, 0.0, None) / np.clip(joint, 0.0, None).sum()
        axes = range(joint.ndim)
        marginals = [joint.sum(axis=tuple(a for a in axes if a != i)) for i in axes]
        return marginals, (q * joint[None]).reshape(q.shape[0], -1).sum(axis=1)
    if stage.n_players == 2:
        from equilibria.solvers.lemke_howson import lemke_howson_solve

        result = lemke_howson_solve(stage, max_seconds=seconds)
    else:
        from equilibria.solvers.simplicial_subdivision import simplicial_subdivision_solve

        result = simplicial_subdivision_solve(stage, max_seconds=seconds or 60.0)
    if not result.equilibria:
        if budget.max_seconds is not None:
            return None
        raise GameError(f"stochastic_value_iteration_solve: the stage game's equilibrium search stopped without one "
                        f"({result.parameters.get('stopped_because', 'no reason given')})")
    strategies = [np.clip(np.asarray(p, dtype=float), 0.0, None) for p in result.equilibrium]
    strategies = [p / p.sum() for p in strategies]
    joint = strategies[0]
    for p in strategies[1:]:
        joint = np.multiply.outer(joint, p)
    return strategies, (q * joint[None]).reshape(q.shape[0], -1).sum(axis=1)


def _revisit(history: list[np.ndarray], values: np.ndarray, tol: float) -> int | None:
    """The period ``p`` when ``values`` is within ``tol`` of the vector ``p`` sweeps ago (latest first)."""
    for back, old in enumerate(reversed(history), start=1):
        if float(np.abs(old - values).max()) <= tol:
            return back
    return None


__all__ = ["stochastic_value_iteration_solve"]
