"""Fictitious play for mean-field games (Perrin, Perolat, Lauriere, Geist, Elie and Pietquin 2020).

Start from the uniform policy. At iteration ``k = 0, 1, ...``, with ``pi_k`` the current (average) policy:

1. ``mu_k = flow(pi_k)``; ``beta_k`` = the exact best response to ``mu_k`` (backward induction) and
   ``nu_k = flow(beta_k)``;
2. ``pi_{k+1}`` = the policy of the population in which a share ``1 - w_k`` plays ``pi_k`` and ``w_k`` plays
   ``beta_k``, mixed *by flows* (:func:`equilibria.solvers._mean_field.flow_weighted_mix`):
   ``pi_{k+1, t}(a | s) ∝ (1 - w_k) mu_{k, t}(s) pi_{k, t}(a | s) + w_k nu_{k, t}(s) beta_{k, t}(a | s)``, with
   ``w_k = 1 / (k + 2)`` (or a constant ``learning_rate``).

When the transitions do not depend on the mean field, the flow of ``pi_{k+1}`` is then exactly
``(1 - w_k) mu_k + w_k nu_k``: the average flow is the running mean of the flows of the uniform policy and the best
responses, which is fictitious play in the space of distributions. These are OpenSpiel's conventions
(``open_spiel.python.mfg.algorithms.fictitious_play``, ``MergedPolicy``) and mfglib's (``FictitiousPlay``,
``alpha = 0``): uniform start, weight ``1 / (k + 2)`` at the ``(k+1)``-th iteration, uniform where neither
population reaches a state.

Guarantee (Perrin et al. 2020): on monotone games (Lasry-Lions monotone rewards, mean-field-independent
transitions) the exploitability of the average goes to 0, at rate ``O(1/k)`` in continuous time; the discrete
iteration's exploitability is not monotone (OpenSpiel's crowd modelling: 4.22, 2.41, 2.64, 1.72, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from equilibria.core.result import SolveResult
from equilibria.games.mean_field import MeanFieldGame
from equilibria.solvers._mean_field import (
    Method,
    check_budget,
    check_game,
    check_positive,
    fictitious_play_weight,
    flow_weighted_mix,
    game_dtype,
    solve_method,
    uniform,
)

Array = Any


class FictitiousPlayState(NamedTuple):
    """``policy``: ``[T, S, A]``, the average policy; ``iteration``: updates done (int scalar)."""

    policy: Array
    iteration: Array


def fictitious_play_init(game: MeanFieldGame) -> FictitiousPlayState:
    """The uniform policy, no iteration done."""
    import jax.numpy as jnp

    return FictitiousPlayState(uniform(game, game_dtype(game)), jnp.asarray(0, jnp.int32))


def fictitious_play_update(game: MeanFieldGame, state: FictitiousPlayState, *,
                           learning_rate: Array | None = None) -> FictitiousPlayState:
    """One iteration (module docstring). ``learning_rate``: the best response's weight; None (or a value <= 0,
    for batches) is ``1 / (k + 2)`` at iteration ``k`` (``state.iteration``)."""
    from equilibria.games.mean_field import best_response, flow

    mu = flow(game, state.policy)
    response = best_response(game, mu).policy
    nu = flow(game, response)
    weight = fictitious_play_weight(state.iteration, learning_rate, mu.dtype)
    policy = flow_weighted_mix(state.policy, mu, response, nu, weight)
    return FictitiousPlayState(policy, state.iteration + 1)


def _init(game: MeanFieldGame, hyper: Mapping[str, Array]) -> FictitiousPlayState:
    return fictitious_play_init(game)


def _update(game: MeanFieldGame, state: FictitiousPlayState, hyper: Mapping[str, Array]) -> FictitiousPlayState:
    return fictitious_play_update(game, state, learning_rate=hyper["learning_rate"])


def _policy(state: FictitiousPlayState) -> Array:
    return state.policy


# learning_rate 0 stands for the 1 / (k + 2) schedule (a float, so that batches may mix the two).
FICTITIOUS_PLAY = Method("fictitious_play", _init, _update, _policy, (("learning_rate", 0.0),))


def mean_field_fictitious_play_solve(game: MeanFieldGame, *, learning_rate: float | None = None,
                                     max_iterations: int | None = 1000, max_seconds: float | None = None,
                                     tol: float = 1e-6) -> SolveResult:
    """Fictitious play (Perrin et al. 2020; module docstring): the average policy after the iterations.

    Args:
      game: the mean-field game.
      learning_rate: a constant weight in ``(0, 1]`` for each new best response (mfglib's damped fictitious
        play); None: ``1 / (k + 2)``.
      max_iterations, max_seconds: the budget (one of them required); ``tol``: stop at the first iterate whose
        exploitability is at most ``tol``.

    Returns:
      SolveResult with the policy ``[T, S, A]``, its exploitability (``metrics.mean_field``) and
      ``parameters["exploitability_curve"]`` (one value per iteration). ``converged`` only within ``tol``.
    """
    caller = "mean_field_fictitious_play_solve"
    game = check_game(game, caller)
    budget, tol = check_budget(max_iterations, max_seconds, tol, caller)
    rate = 0.0 if learning_rate is None else check_positive(learning_rate, caller, "learning_rate", upper=1.0)
    result, _ = solve_method(game, FICTITIOUS_PLAY, {"learning_rate": rate},
                             parameters={"learning_rate": None if learning_rate is None else rate},
                             budget=budget, tol=tol)
    return result


__all__ = [
    "FICTITIOUS_PLAY",
    "FictitiousPlayState",
    "fictitious_play_init",
    "fictitious_play_update",
    "mean_field_fictitious_play_solve",
]
