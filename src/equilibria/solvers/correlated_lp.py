"""Correlated and coarse correlated equilibria of n-player games by one sparse linear program (HiGHS).

Maths (Aumann 1974; Hannan 1957 and Moulin & Vial 1978 for the coarse notion). A distribution ``p`` over joint
actions ``[*n_actions]`` is a **correlated equilibrium** (CE) when no player gains by a swap "when told ``a``,
play ``a'``":

    for every player i and ordered pair a != a':   sum_{a_-i} p(a, a_-i) (u_i(a', a_-i) - u_i(a, a_-i)) <= 0,

and a **coarse correlated equilibrium** (CCE) when no player gains by ignoring the recommendation altogether:

    for every player i and action a':   sum_a p(a) (u_i(a', a_-i) - u_i(a)) <= 0.

Both sets are polytopes (every CE is a CCE) holding every Nash equilibrium's product distribution, so the LP

    max  c^T p   s.t.  the constraints above,  1^T p = 1,  p >= 0

is always feasible and bounded. The objective ``c`` is the welfare ``sum_i u_i`` by default, a weighted
welfare ``sum_i w_i u_i`` for weights ``[n_players]``, or any tensor ``[*n_actions]``.

Sizes: with ``N = prod(n_actions)`` joint actions the CE LP has ``sum_i n_i (n_i - 1)`` rows holding
``N * sum_i (n_i - 1)`` non-zeros and the CCE LP ``sum_i n_i`` dense rows; both are built as scipy.sparse
matrices. Payoffs are divided by their largest magnitude first so HiGHS's absolute feasibility tolerance is
relative to the payoff scale. The optimal vertex is cleaned (tiny negatives clipped, renormalised) and
certified by the CE/CCE gap computed in :mod:`equilibria.metrics`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from equilibria.core.errors import GameError
from equilibria.core.result import SolveResult
from equilibria.games.normal_form import NormalFormGame
from equilibria.solvers._common import Budget, correlated_result, require_normal_form

# Feasibility tolerance for HiGHS on the scaled payoffs (its default, 1e-7, would allow CE gaps of that size).
_FEASIBILITY_TOL = 1e-10


def correlated_solve(
    game: Any,
    *,
    coarse: bool = False,
    objective: str | np.ndarray = "welfare",
    max_seconds: float | None = None,
) -> SolveResult:
    """One correlated (``coarse=False``) or coarse correlated equilibrium maximising ``objective``.

    ``iterations`` is HiGHS's simplex iteration count; ``method`` is ``"correlated"`` or
    ``"coarse_correlated"``.

    Args:
      game: a NormalFormGame with any number of players.
      coarse: find a coarse correlated equilibrium instead of a correlated one.
      objective: ``"welfare"`` (the sum of expected payoffs), weights ``[n_players]`` (maximise
        ``sum_i w_i E_p[u_i]``) or a tensor ``[*n_actions]`` (maximise ``sum_a p(a) objective[a]``).
      max_seconds: time limit handed to HiGHS; when it is hit the result is empty with ``converged=False``.

    Returns:
      A SolveResult with one joint distribution ``[*n_actions]``, certified by its CE or CCE gap.
    """
    budget = Budget(max_seconds=max_seconds)
    caller = "coarse_correlated_solve" if coarse else "correlated_solve"
    game = require_normal_form(game, f"{caller}(game)")
    if not isinstance(coarse, bool):
        raise GameError(f"correlated_solve(coarse): expected True or False, got {coarse!r}")
    method = "coarse_correlated" if coarse else "correlated"
    weights = _objective_tensor(game, objective, caller)
    parameters = {"coarse": coarse, "objective": objective if isinstance(objective, str) else "custom",
                  "max_seconds": max_seconds}
    scale = max(float(np.abs(game.payoffs).max()), np.finfo(float).tiny)
    payoffs = game.payoffs / scale
    constraints = _cce_constraints(payoffs) if coarse else _ce_constraints(payoffs)
    joint, iterations = _solve_lp(weights / max(float(np.abs(weights).max()), np.finfo(float).tiny),
                                  constraints, max_seconds)
    if joint is None:
        return correlated_result(game, method, [], coarse=coarse, parameters=parameters,
                                 iterations=iterations, budget=budget, converged=False)
    return correlated_result(game, method, [joint.reshape(game.n_actions)], coarse=coarse,
                             parameters=parameters, iterations=iterations, budget=budget)


def coarse_correlated_solve(
    game: Any, *, objective: str | np.ndarray = "welfare", max_seconds: float | None = None
) -> SolveResult:
    """The same as ``correlated_solve(game, coarse=True, ...)``.

    Registered as the method ``"coarse_correlated"``.
    """
    return correlated_solve(game, coarse=True, objective=objective, max_seconds=max_seconds)


def _objective_tensor(game: NormalFormGame, objective: Any, caller: str) -> np.ndarray:
    """The objective as a tensor ``[*n_actions]`` to maximise against ``p``."""
    if isinstance(objective, str):
        if objective != "welfare":
            raise GameError(f"{caller}(objective): expected 'welfare' or an array, got {objective!r}")
        return np.asarray(game.payoffs.sum(axis=0), dtype=float)
    try:
        array = np.asarray(objective, dtype=float)
    except (TypeError, ValueError):
        raise GameError(
            f"{caller}(objective): expected 'welfare' or an array of numbers, got {objective!r}"
        ) from None
    if not np.all(np.isfinite(array)):
        raise GameError(f"{caller}(objective): must be finite")
    if array.shape == game.n_actions:
        return array
    if array.shape == (game.n_players,):
        return np.tensordot(array, game.payoffs, axes=(0, 0))
    raise GameError(
        f"{caller}(objective): expected shape ({game.n_players},) (player weights) or {game.n_actions} "
        f"(one number per joint action), got {array.shape}"
    )


def _player_view(payoffs: np.ndarray, player: int) -> tuple[np.ndarray, np.ndarray]:
    """``(u, index)``, both ``[n_i, N / n_i]``: player's payoffs and flat joint indices, own action first."""
    shape = payoffs.shape[1:]
    u = np.moveaxis(payoffs[player], player, 0).reshape(shape[player], -1)
    index = np.moveaxis(np.arange(int(np.prod(shape))).reshape(shape), player, 0).reshape(shape[player], -1)
    return u, index


def _ce_constraints(payoffs: np.ndarray) -> sp.csr_array:
    """CE rows ``[sum_i n_i (n_i - 1), N]``: the gain of each player's swap ``a -> a'`` (``a != a'``)."""
    size = int(np.prod(payoffs.shape[1:]))
    rows, columns, values = [], [], []
    n_rows = 0
    for player in range(payoffs.shape[0]):
        u, index = _player_view(payoffs, player)
        n = u.shape[0]
        told, play = (arr.ravel() for arr in np.nonzero(~np.eye(n, dtype=bool)))
        # Row (told, play) touches the joint actions where player plays ``told``, with gain u[play] - u[told].
        gains = u[play] - u[told]  # [n (n - 1), N / n]
        rows.append(np.repeat(n_rows + np.arange(len(told)), u.shape[1]))
        columns.append(index[told].ravel())
        values.append(gains.ravel())
        n_rows += len(told)
    return sp.csr_array((np.concatenate(values), (np.concatenate(rows), np.concatenate(columns))),
                        shape=(n_rows, size))


def _cce_constraints(payoffs: np.ndarray) -> sp.csr_array:
    """CCE rows ``[sum_i n_i, N]``: the gain of always playing ``a'`` instead of following ``p``."""
    blocks = []
    for player in range(payoffs.shape[0]):
        u, index = _player_view(payoffs, player)
        # gain[a', a_i, a_-i] = u[a', a_-i] - u[a_i, a_-i], placed at the flat index of (a_i, a_-i).
        gain = u[:, None, :] - u[None, :, :]
        row = np.empty((u.shape[0], index.size))
        row[:, index.ravel()] = gain.reshape(u.shape[0], -1)
        blocks.append(row)
    return sp.csr_array(np.vstack(blocks))


def _solve_lp(
    objective: np.ndarray, constraints: sp.csr_array, max_seconds: float | None
) -> tuple[np.ndarray | None, int]:
    """``(p, iterations)`` with ``p`` maximising ``objective . p`` subject to ``constraints @ p <= 0``."""
    size = objective.size
    options: dict[str, Any] = {"primal_feasibility_tolerance": _FEASIBILITY_TOL,
                               "dual_feasibility_tolerance": _FEASIBILITY_TOL}
    if max_seconds is not None:
        options["time_limit"] = float(max_seconds)
    res = linprog(-objective.ravel(), A_ub=constraints, b_ub=np.zeros(constraints.shape[0]),
                  A_eq=sp.csr_array(np.ones((1, size))), b_eq=[1.0], bounds=(0, None), method="highs-ds",
                  options=options)
    iterations = int(getattr(res, "nit", 0) or 0)
    if res.status != 0 or res.x is None:
        return None, iterations
    joint = np.maximum(res.x, 0.0)  # HiGHS may leave -1e-17 on a variable at its bound
    return joint / joint.sum(), iterations
