"""Fixed-point iterations for mean-field games: damped best-response iteration, Boltzmann (entropy-regularised)
iteration with an annealed temperature, and prior descent.

A mean-field Nash equilibrium is a fixed point of ``pi -> BR(flow(pi))``. Each method below starts from the
uniform policy and, at iteration ``k`` with ``mu_k = flow(pi_k)``, computes a *response* ``sigma_k`` to the fixed
flow ``mu_k`` by backward induction, then (where a ``damping`` ``d`` in ``(0, 1]`` applies) keeps the share
``1 - d`` of the population on ``pi_k``: ``pi_{k+1} = flow_weighted_mix(pi_k, mu_k, sigma_k, flow(sigma_k), d)``
(:func:`equilibria.solvers._mean_field.flow_weighted_mix`; with transitions that do not depend on the mean field
this is ``mu_{k+1} = (1 - d) mu_k + d flow(sigma_k)``, damping in the space of distributions). ``d = 1`` is the
plain iteration ``pi_{k+1} = sigma_k``.

- **Fixed point** (:func:`mean_field_fixed_point_solve`): ``sigma_k = BR(mu_k)``, the exact, deterministic best
  response (ties to the lowest action). With ``d = 1`` it is OpenSpiel's ``FixedPoint`` and mfglib's fictitious
  play with ``alpha = 1``; a constant ``d < 1`` is mfglib's damped fictitious play. It is a *heuristic*: the map
  is not a contraction in general and the iteration cycles on games as simple as rock-paper-scissors (the best
  response jumps between vertices; a constant damping only shrinks the cycle).
- **Boltzmann iteration** (:func:`boltzmann_iteration_solve`; Cui and Koeppl 2021): ``sigma_k =
  softmax(Q*_{mu_k} / tau_k)`` with ``Q*`` the optimal Q-values against ``mu_k`` (OpenSpiel's ``FixedPoint`` with
  a temperature), or with ``regularised=True`` the entropy-regularised best response (soft backward induction,
  :func:`equilibria.games.mean_field.softmax_response`), whose fixed point is the regularised equilibrium. For
  a large enough temperature the map is a contraction (Cui and Koeppl 2021, Theorem 2) and the iteration converges,
  but to an equilibrium of the regularised game, whose exploitability grows with ``tau``; annealing,
  ``tau_k = max(temperature * anneal**k, min_temperature)``, tracks the regularised equilibria towards a Nash
  equilibrium. A heuristic too: no guarantee for the annealed schedule.
- **Prior descent** (:func:`prior_descent_solve`; Cui and Koeppl 2021, mfglib's ``PriorDescent``):
  ``pi_{k+1}(a | s) ∝ q_k(a | s) exp(Q*_{mu_k}(s, a) / tau)`` with a prior ``q`` (uniform at first) replaced by
  the current policy every ``n_inner`` iterations, exactly on mfglib's schedule (after the update of iteration
  ``k`` when ``(k + 2) % n_inner == 0``, ``k`` counted from 0; ``n_inner = 0``: never, mfglib's ``None``, which
  is Guo et al.'s GMF-V). With ``regularised=True``, ``pi_{k+1}`` is the KL-regularised best response to
  ``mu_k`` with the prior ``q_k`` (soft backward induction), the relative-entropy iteration of Cui and Koeppl.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from equilibria.core.errors import GameError
from equilibria.core.result import SolveResult
from equilibria.games.mean_field import MeanFieldGame
from equilibria.solvers._mean_field import (
    Method,
    check_budget,
    check_game,
    check_positive,
    flow_weighted_mix,
    game_dtype,
    solve_method,
    uniform,
)

Array = Any


class FixedPointState(NamedTuple):
    """``policy``: ``[T, S, A]``; ``iteration``: updates done (int scalar)."""

    policy: Array
    iteration: Array


class PriorDescentState(NamedTuple):
    """``policy``: ``[T, S, A]``; ``prior``: ``[T, S, A]``, the current prior ``q``; ``iteration``: updates done."""

    policy: Array
    prior: Array
    iteration: Array


def fixed_point_init(game: MeanFieldGame) -> FixedPointState:
    """The uniform policy, no iteration done (the fixed point's and Boltzmann iteration's state)."""
    import jax.numpy as jnp

    return FixedPointState(uniform(game, game_dtype(game)), jnp.asarray(0, jnp.int32))


def _damped(game: MeanFieldGame, state: FixedPointState, mu: Array, response: Array,
            damping: Array) -> FixedPointState:
    from equilibria.games.mean_field import flow

    policy = flow_weighted_mix(state.policy, mu, response, flow(game, response), damping)
    return FixedPointState(policy, state.iteration + 1)


def fixed_point_update(game: MeanFieldGame, state: FixedPointState, *, damping: Array = 1.0) -> FixedPointState:
    """``pi <- flow_weighted_mix(pi, mu, BR(mu), flow(BR(mu)), damping)`` with ``mu = flow(pi)``."""
    from equilibria.games.mean_field import best_response, flow

    mu = flow(game, state.policy)
    return _damped(game, state, mu, best_response(game, mu).policy, damping)


# The smallest temperature used (where anneal**k underflows, or a batch passes 0): below it the softmax is the
# best response to many digits anyway, and XLA's fused softmax of Q / tau returns NaN once |Q| / tau passes 1e40
# or so, even where Q ties.
_TEMPERATURE_FLOOR = 1e-10


def boltzmann_temperature(temperature: Array, anneal: Array, min_temperature: Array, iteration: Array) -> Array:
    """``tau_k = max(temperature * anneal**k, min_temperature)``: the temperature of iteration ``k`` (never below
    1e-10)."""
    import jax.numpy as jnp

    return jnp.maximum(jnp.maximum(temperature * anneal ** iteration, min_temperature), _TEMPERATURE_FLOOR)


def _softmax(q: Array, temperature: Array, log_prior: Array | None = None) -> Array:
    """``softmax(Q / tau + log prior)`` over actions, with the best Q subtracted before dividing (the logits stay
    finite for any temperature)."""
    import jax
    import jax.numpy as jnp

    logits = (q - jnp.max(q, axis=-1, keepdims=True)) / temperature
    return jax.nn.softmax(logits if log_prior is None else logits + log_prior, axis=-1)


def boltzmann_update(game: MeanFieldGame, state: FixedPointState, *, temperature: Array, damping: Array = 1.0,
                     anneal: Array = 1.0, min_temperature: Array = 0.0,
                     regularised: bool = False) -> FixedPointState:
    """One Boltzmann iteration (module docstring) at ``tau_k`` (:func:`boltzmann_temperature`)."""
    from equilibria.games.mean_field import flow, q_values, softmax_response

    mu = flow(game, state.policy)
    tau = boltzmann_temperature(temperature, anneal, min_temperature, state.iteration.astype(mu.dtype))
    response = softmax_response(game, mu, tau) if regularised else _softmax(q_values(game, None, mu), tau)
    return _damped(game, state, mu, response, damping)


def prior_descent_init(game: MeanFieldGame) -> PriorDescentState:
    """The uniform policy and prior."""
    import jax.numpy as jnp

    policy = uniform(game, game_dtype(game))
    return PriorDescentState(policy, policy, jnp.asarray(0, jnp.int32))


def prior_descent_update(game: MeanFieldGame, state: PriorDescentState, *, temperature: Array,
                         n_inner: Array = 0, regularised: bool = False) -> PriorDescentState:
    """One prior-descent iteration (module docstring): ``n_inner`` 0 keeps the prior for ever."""
    import jax.numpy as jnp

    from equilibria.games.mean_field import flow, q_values, softmax_response

    mu = flow(game, state.policy)
    temperature = jnp.maximum(temperature, _TEMPERATURE_FLOOR)
    if regularised:
        policy = softmax_response(game, mu, temperature, prior=state.prior)
    else:
        # prior * exp(Q / tau), normalised; log(0) = -inf keeps excluded actions at 0 without dividing by 0.
        log_prior = jnp.where(state.prior > 0, jnp.log(jnp.where(state.prior > 0, state.prior, 1.0)), -jnp.inf)
        policy = _softmax(q_values(game, None, mu), temperature, log_prior)
    period = jnp.maximum(jnp.round(jnp.asarray(n_inner)), 1.0)
    replace = (jnp.asarray(n_inner) >= 1) & (jnp.mod(state.iteration + 2.0, period) == 0)
    prior = jnp.where(replace, policy, state.prior)
    return PriorDescentState(policy, prior, state.iteration + 1)


# -- the Method table entries -----------------------------------------------------------------------------------
def _fp_init(game: MeanFieldGame, hyper: Mapping[str, Array]) -> FixedPointState:
    return fixed_point_init(game)


def _fp_update(game: MeanFieldGame, state: FixedPointState, hyper: Mapping[str, Array]) -> FixedPointState:
    return fixed_point_update(game, state, damping=hyper["damping"])


def _boltzmann_update(game: MeanFieldGame, state: FixedPointState, hyper: Mapping[str, Array]) -> FixedPointState:
    return boltzmann_update(game, state, temperature=hyper["temperature"], damping=hyper["damping"],
                            anneal=hyper["anneal"], min_temperature=hyper["min_temperature"])


def _boltzmann_soft_update(game: MeanFieldGame, state: FixedPointState,
                           hyper: Mapping[str, Array]) -> FixedPointState:
    return boltzmann_update(game, state, temperature=hyper["temperature"], damping=hyper["damping"],
                            anneal=hyper["anneal"], min_temperature=hyper["min_temperature"], regularised=True)


def _pd_init(game: MeanFieldGame, hyper: Mapping[str, Array]) -> PriorDescentState:
    return prior_descent_init(game)


def _pd_update(game: MeanFieldGame, state: PriorDescentState, hyper: Mapping[str, Array]) -> PriorDescentState:
    return prior_descent_update(game, state, temperature=hyper["temperature"], n_inner=hyper["n_inner"])


def _pd_soft_update(game: MeanFieldGame, state: PriorDescentState,
                    hyper: Mapping[str, Array]) -> PriorDescentState:
    return prior_descent_update(game, state, temperature=hyper["temperature"], n_inner=hyper["n_inner"],
                                regularised=True)


def _policy(state: Any) -> Array:
    return state.policy


_BOLTZMANN_DEFAULTS = (("temperature", 1.0), ("damping", 1.0), ("anneal", 1.0), ("min_temperature", 0.0))
FIXED_POINT = Method("fixed_point", _fp_init, _fp_update, _policy, (("damping", 1.0),))
BOLTZMANN = Method("boltzmann_iteration", _fp_init, _boltzmann_update, _policy, _BOLTZMANN_DEFAULTS)
BOLTZMANN_REGULARISED = Method("boltzmann_iteration_regularised", _fp_init, _boltzmann_soft_update, _policy,
                               _BOLTZMANN_DEFAULTS)
PRIOR_DESCENT = Method("prior_descent", _pd_init, _pd_update, _policy, (("temperature", 1.0), ("n_inner", 0.0)))
PRIOR_DESCENT_REGULARISED = Method("prior_descent_regularised", _pd_init, _pd_soft_update, _policy,
                                   (("temperature", 1.0), ("n_inner", 0.0)))


# -- solvers ----------------------------------------------------------------------------------------------------
def mean_field_fixed_point_solve(game: MeanFieldGame, *, damping: float = 1.0, max_iterations: int | None = 1000,
                                 max_seconds: float | None = None, tol: float = 1e-6) -> SolveResult:
    """Damped best-response iteration (module docstring). HEURISTIC: it may cycle and never converge (rock-paper-
    scissors); the certificate says how far the returned policy is from an equilibrium.

    Args:
      game: the mean-field game.
      damping: the share ``d`` in ``(0, 1]`` of the population moved to the best response each iteration
        (1: the plain fixed-point iteration).
      max_iterations, max_seconds: the budget (one of them required); ``tol``: stop at the first iterate whose
        exploitability is at most ``tol``.

    Returns:
      SolveResult with the last policy ``[T, S, A]``, its exploitability and ``parameters["exploitability_curve"]``.
    """
    caller = "mean_field_fixed_point_solve"
    game = check_game(game, caller)
    budget, tol = check_budget(max_iterations, max_seconds, tol, caller)
    damping = check_positive(damping, caller, "damping", upper=1.0)
    result, _ = solve_method(game, FIXED_POINT, {"damping": damping}, parameters={}, budget=budget, tol=tol)
    return result


def boltzmann_iteration_solve(game: MeanFieldGame, *, temperature: float = 1.0, regularised: bool = False,
                              damping: float = 1.0, anneal: float = 1.0, min_temperature: float = 0.0,
                              max_iterations: int | None = 1000, max_seconds: float | None = None,
                              tol: float = 1e-6) -> SolveResult:
    """Boltzmann / entropy-regularised iteration (Cui and Koeppl 2021; module docstring). HEURISTIC for the
    unregularised equilibrium: at a fixed temperature it converges (for a large enough one) to the regularised
    equilibrium, whose exploitability is not 0; annealing lowers it towards a Nash equilibrium without guarantee.

    Args:
      game: the mean-field game.
      temperature: ``tau_0 > 0``.
      regularised: False: ``softmax(Q* / tau)`` of the optimal Q-values (Boltzmann iteration, OpenSpiel's
        ``FixedPoint(temperature)``); True: the entropy-regularised best response (soft backward induction).
      damping: the share in ``(0, 1]`` of the population moved to the response each iteration.
      anneal: the temperature's factor per iteration, in ``(0, 1]`` (1: a fixed temperature).
      min_temperature: the floor of the annealed temperature (``>= 0``; with 0 and ``anneal < 1`` the response
        approaches the best response, and the iteration its cycling, over the iterations).
      max_iterations, max_seconds: the budget; ``tol``: stop at the first iterate whose exploitability is at most
        ``tol``.
    """
    caller = "boltzmann_iteration_solve"
    game = check_game(game, caller)
    budget, tol = check_budget(max_iterations, max_seconds, tol, caller)
    hyper = {"temperature": check_positive(temperature, caller, "temperature"),
             "damping": check_positive(damping, caller, "damping", upper=1.0),
             "anneal": check_positive(anneal, caller, "anneal", upper=1.0),
             "min_temperature": check_positive(min_temperature, caller, "min_temperature", allow_zero=True)}
    if not isinstance(regularised, bool):
        raise _invalid(caller, "regularised", regularised)
    method = BOLTZMANN_REGULARISED if regularised else BOLTZMANN
    result, _ = solve_method(game, method, hyper, parameters={"regularised": regularised}, budget=budget, tol=tol)
    return result


def prior_descent_solve(game: MeanFieldGame, *, temperature: float = 1.0, n_inner: int | None = None,
                        regularised: bool = False, max_iterations: int | None = 1000,
                        max_seconds: float | None = None, tol: float = 1e-6) -> SolveResult:
    """Prior descent (Cui and Koeppl 2021; mfglib's ``PriorDescent``; module docstring). HEURISTIC: no general
    convergence guarantee; the certificate says what was reached.

    Args:
      game: the mean-field game.
      temperature: ``tau > 0`` (mfglib's ``eta``).
      n_inner: the prior is replaced by the current policy every ``n_inner`` iterations (mfglib's schedule);
        None keeps the uniform prior (GMF-V).
      regularised: True: the KL-regularised best response to the prior (soft backward induction) instead of
        ``prior * exp(Q* / tau)``.
      max_iterations, max_seconds: the budget; ``tol``: stop at the first iterate whose exploitability is at most
        ``tol``.
    """
    caller = "prior_descent_solve"
    game = check_game(game, caller)
    budget, tol = check_budget(max_iterations, max_seconds, tol, caller)
    tau = check_positive(temperature, caller, "temperature")
    if n_inner is not None and (isinstance(n_inner, bool) or not isinstance(n_inner, int) or n_inner < 1):
        raise _invalid(caller, "n_inner", n_inner, "a positive integer or None")
    if not isinstance(regularised, bool):
        raise _invalid(caller, "regularised", regularised)
    method = PRIOR_DESCENT_REGULARISED if regularised else PRIOR_DESCENT
    result, _ = solve_method(game, method, {"temperature": tau, "n_inner": float(n_inner or 0)},
                             parameters={"n_inner": n_inner, "regularised": regularised}, budget=budget, tol=tol)
    return result


def _invalid(caller: str, name: str, value: Any, expected: str = "True or False") -> GameError:
    return GameError(f"{caller}: {name} must be {expected}, got {value!r}")


__all__ = [
    "BOLTZMANN",
    "BOLTZMANN_REGULARISED",
    "FIXED_POINT",
    "PRIOR_DESCENT",
    "PRIOR_DESCENT_REGULARISED",
    "FixedPointState",
    "PriorDescentState",
    "boltzmann_iteration_solve",
    "boltzmann_temperature",
    "boltzmann_update",
    "fixed_point_init",
    "fixed_point_update",
    "mean_field_fixed_point_solve",
    "prior_descent_init",
    "prior_descent_solve",
    "prior_descent_update",
]
