"""The social optimum of a mean-field game (mean-field control): maximise the population's welfare
``W(pi) = J(pi, flow(pi))`` over policies, for prices of anarchy.

Unlike the equilibrium, the optimum accounts for each agent's effect on the flow (the externality). The method is
policy mirror ascent on softmax logits ``theta`` ``[T, S, A]``, ``pi = softmax(theta)``, with the gradient taken
through the flow by ``jax.grad``: ``dW / dpi_t(a | s) = mu_t(s) Qc_t(s, a)``, where ``Qc`` is the mean-field
control Q-function (the agent's own Q-values plus the marginal effect of its mass on everyone's rewards and
transitions). Each iteration moves ``theta += learning_rate * Qc`` at the states the flow reaches (the analogue
of online mirror descent for the control problem; on a game without mean-field dependence it is softmax policy
mirror ascent on an MDP, which converges linearly). Where ``mu_t(s) = 0`` the welfare does not depend on
``pi_t(. | s)`` and ``theta`` stays.

What is established: a *first-order stationary point* of ``W`` over the product of simplices, measured by the
Frank-Wolfe gap ``sum_{t, s} mu_t(s) (max_a Qc_t(s, a) - sum_a pi_t(a | s) Qc_t(s, a))`` (the largest first-order
gain of any policy; ``parameters["stationarity_gap"]``, and ``converged`` means it is within ``tol``). ``W`` is not
concave in ``pi`` in general, so that point is a local optimum at best. It is the global optimum when the
transitions do not depend on the mean field and the welfare is concave in the state-action occupation measure
``d_t(s, a) = mu_t(s) pi_t(a | s)`` (then ``W`` is a concave function of ``d`` over a polytope, every
first-order stationary ``d`` is a maximum, and ``pi`` maps onto ``d`` on the reached states): e.g. routing games
with non-decreasing congestion costs (Pigou, Braess), where ``W = -sum d c(d)`` with ``d c(d)`` convex. The
softmax reaches deterministic optima only in the limit, so the gap decreases without reaching 0 exactly.

The result's certificate is still the exploitability (``metrics.mean_field``) of the optimal policy: the
incentive each agent has to leave the social optimum.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from equilibria.core.result import SolveResult
from equilibria.games.mean_field import MeanFieldGame
from equilibria.solvers._mean_field import (
    Method,
    as_float64,
    check_budget,
    check_game,
    check_positive,
    game_dtype,
    mean_field_result,
    run_method,
)

Array = Any


class ControlState(NamedTuple):
    """``policy``: ``[T, S, A]``, the last policy evaluated (the one returned and measured); ``gradient``:
    ``[T, S, A]``, ``dW / dpi`` at ``policy`` (zeros before the first iteration); ``logits``: ``[T, S, A]``, the
    next policy's ``theta`` (one step past ``policy``); ``iteration``: updates done.

    Each update differentiates once: it evaluates ``softmax(logits)`` and its gradient, which give both its
    stationarity gap and the next step. So after ``k`` updates the policy returned is ``k - 1`` steps from the
    uniform policy, and every number recorded (exploitability, gap) is of that policy.
    """

    policy: Array
    gradient: Array
    logits: Array
    iteration: Array


def welfare(game: MeanFieldGame, policy: Array) -> Array:
    """``W(pi) = J(pi, flow(pi))`` (a JAX scalar, differentiable in ``policy`` ``[T, S, A]``)."""
    from equilibria.games.mean_field import flow, returns

    return returns(game, policy, flow(game, policy))


def welfare_gradient(game: MeanFieldGame, policy: Array) -> Array:
    """``dW / dpi`` ``[T, S, A]`` at ``policy`` (through the flow, by ``jax.grad``)."""
    import jax

    gradient: Array = jax.grad(welfare, argnums=1)(game, policy)
    return gradient


def control_q_values(game: MeanFieldGame, policy: Array, gradient: Array | None = None) -> Array:
    """``Qc`` ``[T, S, A]``: the mean-field control Q-function ``(dW / dpi_t(a | s)) / mu_t(s)`` (module docstring;
    0 where the flow does not reach). ``gradient``: ``dW / dpi`` at ``policy`` when already known."""
    import jax.numpy as jnp

    from equilibria.games.mean_field import flow

    if gradient is None:
        gradient = welfare_gradient(game, policy)
    reach = flow(game, policy)[: game.horizon, :, None]
    q: Array = jnp.where(reach > 0, gradient / jnp.where(reach > 0, reach, 1.0), 0.0)
    return q


def stationarity_gap(game: MeanFieldGame, policy: Array, gradient: Array | None = None) -> Array:
    """The Frank-Wolfe gap of ``W`` at ``policy``: ``max_sigma <grad W(pi), sigma - pi>`` over policies ``sigma``
    (0 exactly at a first-order stationary point; module docstring)."""
    import jax.numpy as jnp

    if gradient is None:
        gradient = welfare_gradient(game, policy)
    return jnp.sum(jnp.max(gradient, axis=-1) - jnp.sum(gradient * policy, axis=-1))


def mean_field_control_init(game: MeanFieldGame) -> ControlState:
    """Zero logits: the uniform policy, not yet evaluated."""
    import jax.numpy as jnp

    logits = jnp.zeros((game.horizon, game.n_states, game.n_actions), game_dtype(game))
    return ControlState(logits + 1.0 / game.n_actions, logits, logits, jnp.asarray(0, jnp.int32))


def mean_field_control_update(game: MeanFieldGame, state: ControlState, *,
                              learning_rate: Array = 1.0) -> ControlState:
    """Evaluate ``pi = softmax(theta)`` and its gradient, then ``theta += learning_rate * Qc(pi)`` (module
    docstring; :class:`ControlState` says which policy the state holds)."""
    import jax

    policy = jax.nn.softmax(state.logits, axis=-1)
    gradient = welfare_gradient(game, policy)
    q = control_q_values(game, policy, gradient)
    return ControlState(policy, gradient, state.logits + learning_rate * q, state.iteration + 1)


def _init(game: MeanFieldGame, hyper: Mapping[str, Array]) -> ControlState:
    return mean_field_control_init(game)


def _update(game: MeanFieldGame, state: ControlState, hyper: Mapping[str, Array]) -> ControlState:
    return mean_field_control_update(game, state, learning_rate=hyper["learning_rate"])


def _policy(state: ControlState) -> Array:
    return state.policy


def _measure(game: MeanFieldGame, state: ControlState) -> Array:
    return stationarity_gap(game, state.policy, state.gradient)


MEAN_FIELD_CONTROL = Method("mean_field_control", _init, _update, _policy, (("learning_rate", 1.0),), _measure)


def mean_field_control_solve(game: MeanFieldGame, *, learning_rate: float = 1.0, max_iterations: int | None = 1000,
                             max_seconds: float | None = None, tol: float = 1e-6) -> SolveResult:
    """The social optimum (mean-field control) by policy mirror ascent through the flow (module docstring).

    A local method: it establishes first-order stationarity (``parameters["stationarity_gap"]`` within ``tol``
    makes ``converged``), a global optimum only where the module docstring says so.

    Args:
      game: the mean-field game.
      learning_rate: the step on the logits.
      max_iterations, max_seconds: the budget (one of them required); ``tol``: stop at the first iterate whose
        stationarity gap is at most ``tol``.

    Returns:
      SolveResult with the policy ``[T, S, A]``, ``values`` its welfare ``J(pi, mu^pi)`` (also
      ``parameters["social_welfare"]``), the certificate its exploitability (``certificate_name
      "exploitability"``: the incentive to deviate from the optimum), ``parameters["stationarity_gap"]`` and
      ``parameters["stationarity_curve"]`` (per iteration) beside ``"exploitability_curve"``.
    """
    import jax

    caller = "mean_field_control_solve"
    game = check_game(game, caller)
    budget, tol = check_budget(max_iterations, max_seconds, tol, caller)
    rate = check_positive(learning_rate, caller, "learning_rate")
    with jax.enable_x64(True):
        game64 = as_float64(game)
        run = run_method(game64, MEAN_FIELD_CONTROL, {"learning_rate": rate}, budget=budget, tol=tol)
        policy = np.array(run.state.policy, dtype=np.float64)
        # the state keeps dW/dpi at its policy: the gap needs no second differentiation
        gradient = np.asarray(run.state.gradient, dtype=np.float64)
    gap = float(np.sum(gradient.max(axis=-1) - np.sum(gradient * policy, axis=-1)))
    stationary = gap <= tol
    result = mean_field_result(game, MEAN_FIELD_CONTROL.name, policy,
                               parameters={"learning_rate": rate, "stationarity_curve": list(run.measures)},
                               curve=run.curve, iterations=run.iterations, budget=budget, tol=np.inf,
                               stopped_because=None)
    parameters = dict(result.parameters)
    stopped = None if stationary else (run.stopped_because or f"the stationarity gap {gap:.3g} exceeds tol={tol:g}")
    parameters.update(tol=tol, social_welfare=float(result.values[0][0]), stationarity_gap=gap,
                      stopped_because=stopped)
    return SolveResult(game=game, method=result.method, equilibria=result.equilibria, values=result.values,
                       certificate=result.certificate, certificate_name="exploitability", parameters=parameters,
                       iterations=result.iterations, seconds=budget.elapsed(), converged=stationary, complete=None)


__all__ = [
    "MEAN_FIELD_CONTROL",
    "ControlState",
    "control_q_values",
    "welfare_gradient",
    "mean_field_control_init",
    "mean_field_control_solve",
    "mean_field_control_update",
    "stationarity_gap",
    "welfare",
]
