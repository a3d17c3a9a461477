"""Online mirror descent for mean-field games (Perolat, Perrin, Elie, Lauriere, Piliouras, Geist, Tuyls and
Pietquin 2022, "Scaling up mean field games with online mirror descent").

Start from the uniform policy and ``y_0 = 0``. At iteration ``k``:

1. ``mu_k = flow(pi_k)``; ``Q_k`` = the Q-values ``[T, S, A]`` of ``pi_k`` itself against the fixed ``mu_k``
   (policy evaluation by backward induction, not the best response's);
2. ``y_{k+1} = y_k + learning_rate * Q_k`` and ``pi_{k+1} = softmax(y_{k+1})`` over actions, state by state and
   time by time.

These are OpenSpiel's conventions (``open_spiel.python.mfg.algorithms.mirror_descent``: the cumulative values are
``sum_k lr * V_k`` of the state after each action, which differ from ``sum_k lr * Q_k`` by the reward already
received in the state, the same for every action, so the softmax is the same) and mfglib's
(``OnlineMirrorDescent``). OpenSpiel's default learning rate is 0.01 (its test: NashConv 2.2730324915546056 on
crowd modelling after 10 iterations); mfglib's and this module's is 1.0. This module gives 2.2736633463512526 there:
OpenSpiel's policy reads its cumulative values through a live reference that the evaluation pass updates while it
traverses the tree, so from the second iteration on its iterates are not the update above; frozen with
``to_tabular``, OpenSpiel's own algorithm gives this module's number (tests/solvers/test_mean_field_solvers.py).

Guarantee (Perolat et al. 2022): on monotone games the continuous-time dynamics converge to the mean-field Nash
equilibrium, the *last iterate* (no averaging); the discrete iteration does so for small enough learning rates.
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
    game_dtype,
    solve_method,
    uniform,
)

Array = Any


class MirrorDescentState(NamedTuple):
    """``policy``: ``[T, S, A]``, ``softmax(cumulative_q)``; ``cumulative_q``: ``[T, S, A]``, ``y_k``;
    ``iteration``: updates done (int scalar)."""

    policy: Array
    cumulative_q: Array
    iteration: Array


def online_mirror_descent_init(game: MeanFieldGame) -> MirrorDescentState:
    """The uniform policy, ``y_0 = 0``."""
    import jax.numpy as jnp

    dtype = game_dtype(game)
    policy = uniform(game, dtype)
    return MirrorDescentState(policy, jnp.zeros_like(policy), jnp.asarray(0, jnp.int32))


def online_mirror_descent_update(game: MeanFieldGame, state: MirrorDescentState, *,
                                 learning_rate: Array = 1.0) -> MirrorDescentState:
    """One iteration (module docstring) with step ``learning_rate > 0``."""
    import jax

    from equilibria.games.mean_field import flow, q_values

    mu = flow(game, state.policy)
    q = q_values(game, state.policy, mu)
    cumulative = state.cumulative_q + learning_rate * q
    return MirrorDescentState(jax.nn.softmax(cumulative, axis=-1), cumulative, state.iteration + 1)


def _init(game: MeanFieldGame, hyper: Mapping[str, Array]) -> MirrorDescentState:
    return online_mirror_descent_init(game)


def _update(game: MeanFieldGame, state: MirrorDescentState, hyper: Mapping[str, Array]) -> MirrorDescentState:
    return online_mirror_descent_update(game, state, learning_rate=hyper["learning_rate"])


def _policy(state: MirrorDescentState) -> Array:
    return state.policy


ONLINE_MIRROR_DESCENT = Method("online_mirror_descent", _init, _update, _policy, (("learning_rate", 1.0),))


def online_mirror_descent_solve(game: MeanFieldGame, *, learning_rate: float = 1.0,
                                max_iterations: int | None = 1000, max_seconds: float | None = None,
                                tol: float = 1e-6) -> SolveResult:
    """Online mirror descent (Perolat et al. 2022; module docstring): the last iterate's policy.

    Args:
      game: the mean-field game.
      learning_rate: the step on the cumulative Q-values (OpenSpiel's default is 0.01, mfglib's 1.0).
      max_iterations, max_seconds: the budget (one of them required); ``tol``: stop at the first iterate whose
        exploitability is at most ``tol``.

    Returns:
      SolveResult with the policy ``[T, S, A]``, its exploitability (``metrics.mean_field``) and
      ``parameters["exploitability_curve"]``. ``converged`` only within ``tol``.
    """
    caller = "online_mirror_descent_solve"
    game = check_game(game, caller)
    budget, tol = check_budget(max_iterations, max_seconds, tol, caller)
    rate = check_positive(learning_rate, caller, "learning_rate")
    result, _ = solve_method(game, ONLINE_MIRROR_DESCENT, {"learning_rate": rate}, parameters={},
                             budget=budget, tol=tol)
    return result


__all__ = [
    "ONLINE_MIRROR_DESCENT",
    "MirrorDescentState",
    "online_mirror_descent_init",
    "online_mirror_descent_solve",
    "online_mirror_descent_update",
]
