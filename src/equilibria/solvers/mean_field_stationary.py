"""Solvers for stationary discounted mean-field games: damped fixed point, fictitious play, online mirror descent
and Boltzmann iteration, each ``*_solve(game, ...) -> SolveResult`` certified by exploitability.

The game is a :class:`~equilibria.games.mean_field_stationary.StationaryMeanFieldGame` (policies ``[S, A]``,
distributions ``[S]``). Every method starts from the uniform policy; at iteration ``k``, with ``pi_k`` the current
policy, ``mu_k = mu^{pi_k}`` its stationary distribution (from ``initial``):

- **Fixed point** (:func:`stationary_fixed_point_solve`): ``sigma_k = BR(mu_k)`` (exact, policy iteration) and
  ``pi_{k+1} = mix(pi_k, mu_k, sigma_k, mu^{sigma_k}, damping)``. ``damping = 1`` is the plain iteration
  ``pi_{k+1} = BR(mu^{pi_k})``, a *heuristic*: it cycles where the equilibrium mixes (SIS).
- **Fictitious play** (:func:`stationary_fictitious_play_solve`; Perrin et al. 2020, who treat the discounted
  case too): the same mixture with weight ``1 / (k + 2)`` (or a constant ``learning_rate``): the average policy.
- **Online mirror descent** (:func:`stationary_online_mirror_descent_solve`; Perolat et al. 2022):
  ``y_{k+1} = y_k + learning_rate * Q^{pi_k, mu_k}`` (``[S, A]``, the policy's own exact Q-values against
  ``mu_k``), ``pi_{k+1} = softmax(y_{k+1})``: the last iterate.
- **Boltzmann iteration** (:func:`stationary_boltzmann_iteration_solve`; Cui and Koeppl 2021, Guo et al. 2019's
  GMF with a Boltzmann policy): ``sigma_k = softmax(Q*_{mu_k} / tau_k)`` (or, ``regularised=True``, the
  entropy-regularised best response), mixed with ``damping``, ``tau_k = max(temperature * anneal**k,
  min_temperature)``. A heuristic: a fixed temperature converges (for ``tau`` large enough the map contracts) to
  a regularised equilibrium whose exploitability grows with ``tau``; annealing tracks it towards a Nash one.

``mix(pi, mu, sigma, nu, w)`` is the policy of a population in which a share ``1 - w`` plays ``pi`` (distributed
by ``mu``) and ``w`` plays ``sigma`` (by ``nu``): ``(1 - w) mu(s) pi(a | s) + w nu(s) sigma(a | s)``, normalised
state by state (uniform where neither reaches ``s``). When the transitions do not depend on the mean field and the
stationary distributions are unique, the mixture's stationary distribution is exactly ``(1 - w) mu + w nu``
(``rho P_mix = (1 - w) mu P_pi + w nu P_sigma = rho``): fictitious play and damping act on distributions.

**Runner**: as the finite-horizon solvers' (:mod:`equilibria.solvers._mean_field`): compiled chunks of iterations
(a ``lax.while_loop``), the clock read between chunks, every iterate's exploitability recorded
(:func:`equilibria.metrics.mean_field_stationary.exploitability_jax`), stop at the first iterate within ``tol``;
float64. **Result**: ``equilibria=(policy [S, A],)``, ``values=(array([J]),)`` with ``J = sum_s mu^pi(s)
V^pi(s)`` (the stationary population's average discounted return), ``certificate=(exploitability,)`` recomputed
by :mod:`equilibria.metrics.mean_field_stationary` from the returned policy (never the curve), ``parameters`` with
the options, ``"distribution"`` ``[S]`` (``mu^pi``), ``"exploitability_curve"``, ``"initial_value"`` (``sum_s
mu_0(s) V^pi(s)``), ``"worst_state_exploitability"``, ``"stationary_residual"``, ``"weighting"``, ``"tol"``,
``"stopped_because"``; ``converged`` only when the certificate is within ``tol``; ``complete=None``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np

from equilibria.core.errors import GameError
from equilibria.core.result import SolveResult
from equilibria.games.mean_field_stationary import StationaryMeanFieldGame, validate
from equilibria.solvers._common import Budget
from equilibria.solvers._mean_field import (
    as_float64,
    check_budget,
    check_positive,
    fictitious_play_weight,
    returned_policy,
)

Array = Any

_CAPACITY = 1024  # the longest compiled chunk (iterations per call), the length of its curve buffer
_CHUNK_SHARE = 1.0 / 50.0  # with max_seconds, a chunk doubles while it takes under this share of the budget
_TEMPERATURE_FLOOR = 1e-10  # below it a softmax is the best response to many digits anyway


class StationaryState(NamedTuple):
    """Every method's state: ``policy`` ``[S, A]``; ``cumulative`` ``[S, A]`` (mirror descent's ``y_k``, zeros
    for the others); ``iteration`` (int scalar)."""

    policy: Array
    cumulative: Array
    iteration: Array


class StationaryMethod(NamedTuple):
    """One iterative method: ``update(game, state, hyper) -> state`` over :class:`StationaryState` with ``hyper``
    a dict of float hyperparameters (JAX scalars: batchable), ``defaults`` their ``(name, default)``."""

    name: str
    update: Callable[[StationaryMeanFieldGame, StationaryState, Mapping[str, Array]], StationaryState]
    defaults: tuple[tuple[str, float], ...]


def _dtype(game: StationaryMeanFieldGame) -> Any:
    import jax
    import jax.numpy as jnp

    return jnp.result_type(jnp.float32, *jax.tree_util.tree_leaves((game.initial, game.params)))


def stationary_init(game: StationaryMeanFieldGame) -> StationaryState:
    """The uniform policy, ``y_0 = 0``, no iteration done."""
    import jax.numpy as jnp

    dtype = _dtype(game)
    policy = jnp.full((game.n_states, game.n_actions), 1.0 / game.n_actions, dtype)
    return StationaryState(policy, jnp.zeros_like(policy), jnp.asarray(0, jnp.int32))


def stationary_mix(policy: Array, mu: Array, other: Array, nu: Array, weight: Array) -> Array:
    """``[S, A]``: the policy of the population mixing ``policy`` (distributed by ``mu`` ``[S]``) with share
    ``1 - weight`` and ``other`` (by ``nu``) with share ``weight`` (module docstring)."""
    import jax.numpy as jnp

    a = (1.0 - weight) * mu[:, None]
    b = weight * nu[:, None]
    denominator = a + b
    safe = jnp.where(denominator > 0, denominator, 1.0)
    return jnp.where(denominator > 0, (a * policy + b * other) / safe, 1.0 / policy.shape[-1])


def _distribution(game: StationaryMeanFieldGame, policy: Array) -> Array:
    from equilibria.games.mean_field_stationary import stationary_distribution

    return stationary_distribution(game, policy).distribution


def _mixed_step(game: StationaryMeanFieldGame, state: StationaryState, mu: Array, response: Array,
                weight: Array) -> StationaryState:
    policy = stationary_mix(state.policy, mu, response, _distribution(game, response), weight)
    return StationaryState(policy, state.cumulative, state.iteration + 1)


def fixed_point_update(game: StationaryMeanFieldGame, state: StationaryState, *,
                       damping: Array = 1.0) -> StationaryState:
    """``pi <- mix(pi, mu, BR(mu), mu^{BR(mu)}, damping)`` with ``mu = mu^pi``."""
    from equilibria.games.mean_field_stationary import best_response

    mu = _distribution(game, state.policy)
    return _mixed_step(game, state, mu, best_response(game, mu).policy, damping)


def fictitious_play_update(game: StationaryMeanFieldGame, state: StationaryState, *,
                           learning_rate: Array | None = None) -> StationaryState:
    """The mixture with the best response's weight ``1 / (k + 2)`` (``learning_rate`` None or <= 0) or
    ``learning_rate``."""

    from equilibria.games.mean_field_stationary import best_response

    mu = _distribution(game, state.policy)
    weight = fictitious_play_weight(state.iteration, learning_rate, mu.dtype)
    return _mixed_step(game, state, mu, best_response(game, mu).policy, weight)


def online_mirror_descent_update(game: StationaryMeanFieldGame, state: StationaryState, *,
                                 learning_rate: Array = 1.0) -> StationaryState:
    """``y <- y + learning_rate * Q^{pi, mu^pi}``, ``pi <- softmax(y)``."""
    import jax

    from equilibria.games.mean_field_stationary import q_values

    q = q_values(game, state.policy, _distribution(game, state.policy))
    cumulative = state.cumulative + learning_rate * q
    return StationaryState(jax.nn.softmax(cumulative, axis=-1), cumulative, state.iteration + 1)


def boltzmann_update(game: StationaryMeanFieldGame, state: StationaryState, *, temperature: Array,
                     damping: Array = 1.0, anneal: Array = 1.0, min_temperature: Array = 0.0,
                     regularised: bool = False) -> StationaryState:
    """``pi <- mix(pi, mu, sigma, mu^sigma, damping)`` with ``sigma`` the Boltzmann (or, ``regularised``, the
    entropy-regularised) response to ``mu = mu^pi`` at ``tau_k = max(temperature * anneal**k, min_temperature)``."""
    import jax
    import jax.numpy as jnp

    from equilibria.games.mean_field_stationary import q_values, softmax_response

    mu = _distribution(game, state.policy)
    tau = jnp.maximum(jnp.maximum(temperature * anneal ** state.iteration, min_temperature), _TEMPERATURE_FLOOR)
    if regularised:
        response = softmax_response(game, mu, tau)
    else:
        q = q_values(game, None, mu)
        response = jax.nn.softmax((q - jnp.max(q, axis=-1, keepdims=True)) / tau, axis=-1)
    return _mixed_step(game, state, mu, response, jnp.asarray(damping, mu.dtype))


FIXED_POINT = StationaryMethod("stationary_fixed_point",
                               lambda g, s, h: fixed_point_update(g, s, damping=h["damping"]),
                               (("damping", 1.0),))
FICTITIOUS_PLAY = StationaryMethod("stationary_fictitious_play",
                                   lambda g, s, h: fictitious_play_update(g, s, learning_rate=h["learning_rate"]),
                                   (("learning_rate", 0.0),))
ONLINE_MIRROR_DESCENT = StationaryMethod(
    "stationary_online_mirror_descent",
    lambda g, s, h: online_mirror_descent_update(g, s, learning_rate=h["learning_rate"]),
    (("learning_rate", 0.5),))
_BOLTZMANN_DEFAULTS = (("temperature", 1.0), ("damping", 1.0), ("anneal", 1.0), ("min_temperature", 0.0))
BOLTZMANN = StationaryMethod(
    "stationary_boltzmann_iteration",
    lambda g, s, h: boltzmann_update(g, s, **{k: h[k] for k, _ in _BOLTZMANN_DEFAULTS}), _BOLTZMANN_DEFAULTS)
BOLTZMANN_REGULARISED = StationaryMethod(
    "stationary_boltzmann_iteration",
    lambda g, s, h: boltzmann_update(g, s, **{k: h[k] for k, _ in _BOLTZMANN_DEFAULTS}, regularised=True),
    _BOLTZMANN_DEFAULTS)


# -- the chunked runner -----------------------------------------------------------------------------------------
@functools.cache
def _advance_fn() -> Any:
    import jax
    import jax.numpy as jnp

    from equilibria.metrics.mean_field_stationary import exploitability_jax

    def advance(method: StationaryMethod, weighting: str, game: StationaryMeanFieldGame, state: StationaryState,
                hyper: Mapping[str, Array], n: Array, tol: Array) -> tuple[StationaryState, Array, Array]:
        dtype = _dtype(game)

        def cond(carry: tuple[Any, ...]) -> Array:
            i, _, _, last = carry
            return (i < n) & ~(last <= tol)

        def body(carry: tuple[Any, ...]) -> tuple[Any, ...]:
            i, current, curve, _ = carry
            current = method.update(game, current, hyper)
            gap = exploitability_jax(game, current.policy, weighting)
            return i + 1, current, curve.at[i].set(gap), jnp.asarray(gap, dtype)

        start = (jnp.asarray(0, jnp.int32), state, jnp.full((_CAPACITY,), jnp.nan, dtype),
                 jnp.asarray(jnp.inf, dtype))
        done, state, curve, _ = jax.lax.while_loop(cond, body, start)
        return state, curve, done

    return jax.jit(advance, static_argnums=(0, 1))


def _run(game: StationaryMeanFieldGame, method: StationaryMethod, hyper: Mapping[str, float], weighting: str,
         budget: Budget, tol: float) -> tuple[np.ndarray, list[float], int, str | None]:
    """Iterate from the uniform policy until an iterate's exploitability is within ``tol`` or the budget is spent:
    (last policy, curve, iterations, why it stopped or None)."""
    import jax
    import jax.numpy as jnp

    with jax.enable_x64(True):
        game = as_float64(game)
        hyper_arrays = {name: jnp.asarray(hyper[name], jnp.float64) for name, _ in method.defaults}
        state = stationary_init(game)
        tol_array = jnp.asarray(tol, jnp.float64)
        advance = _advance_fn()
        curve: list[float] = []
        done, first = 0, True
        chunk = _CAPACITY if budget.max_seconds is None else 1
        while True:
            # The first chunk always runs (it is where the iteration compiles).
            if not first and budget.exhausted(done):
                return np.asarray(state.policy), curve, done, budget.stop_reason(done)
            n = min(chunk, _CAPACITY) if budget.max_iterations is None else min(chunk, _CAPACITY,
                                                                                budget.max_iterations - done)
            tick = budget.elapsed()
            state, gaps, k = advance(method, weighting, game, state, hyper_arrays, jnp.asarray(n, jnp.int32),
                                     tol_array)
            k = int(jax.block_until_ready(k))
            curve.extend(float(x) for x in np.asarray(gaps)[:k])  # sliced on the host: one program for every k
            done += k
            if k < n or (k and curve[-1] <= tol):
                return np.asarray(state.policy), curve, done, None
            if budget.max_seconds is not None and (first or budget.elapsed() - tick < _CHUNK_SHARE
                                                   * budget.max_seconds):
                chunk *= 2
            first = False


def stationary_result(game: StationaryMeanFieldGame, method: str, policy: Array, *, parameters: Mapping[str, Any],
                      curve: list[float], iterations: int, budget: Budget, tol: float, weighting: str = "stationary",
                      stopped_because: str | None = None) -> SolveResult:
    """A SolveResult for a stationary policy ``[S, A]`` certified by
    :mod:`equilibria.metrics.mean_field_stationary` (module docstring); never ``converged`` above ``tol`` or when
    the population does not settle."""
    from equilibria.metrics.mean_field_stationary import RESIDUAL_LIMIT, certificate

    pi = returned_policy(policy, method)
    cert = certificate(game, pi, weighting=weighting)
    initial = certificate(game, pi, weighting="initial")
    settled = cert.residual <= RESIDUAL_LIMIT
    exploit = cert.exploitability if settled else float("inf")
    converged = bool(exploit <= tol)
    if not settled:
        reason = f"the stationary distribution did not settle (residual {cert.residual:.3g})"
        stopped_because = reason if stopped_because is None else f"{stopped_because}; {reason}"
    elif not converged and stopped_because is None:
        stopped_because = f"the certificate {exploit:.3g} exceeds tol={tol:g}"
    elif not converged:
        stopped_because = f"{stopped_because} (exploitability {exploit:.3g} > tol={tol:g})"
    params = dict(parameters)
    params.update(tol=tol, weighting=weighting, distribution=cert.distribution, exploitability_curve=list(curve),
                  initial_value=initial.value, worst_state_exploitability=cert.worst_state,
                  stationary_residual=cert.residual, stopped_because=None if converged else stopped_because)
    value = cert.value if weighting != "initial" else certificate(game, pi).value
    return SolveResult(game=game, method=method, equilibria=(pi,), values=(np.array([value]),),
                       certificate=(exploit,), certificate_name="exploitability", parameters=params,
                       iterations=iterations, seconds=budget.elapsed(), converged=converged, complete=None)


def _solve(game: Any, caller: str, method: StationaryMethod, hyper: Mapping[str, float],
           options: Mapping[str, Any], max_iterations: Any, max_seconds: Any, tol: Any,
           weighting: Any) -> SolveResult:
    from equilibria.metrics.mean_field_stationary import WEIGHTINGS

    if not isinstance(game, StationaryMeanFieldGame):
        raise GameError(f"{caller}: game must be a StationaryMeanFieldGame, got {type(game).__name__}")
    validate(game)
    budget, tol = check_budget(max_iterations, max_seconds, tol, caller)
    if weighting not in WEIGHTINGS:
        raise GameError(f"{caller}: weighting must be one of {', '.join(WEIGHTINGS)}, got {weighting!r}")
    policy, curve, iterations, stopped = _run(game, method, hyper, weighting, budget, tol)
    return stationary_result(game, method.name, policy, parameters={**hyper, **options}, curve=curve,
                             iterations=iterations, budget=budget, tol=tol, weighting=weighting,
                             stopped_because=stopped)


_BUDGET_DOC = """max_iterations, max_seconds: the budget (one of them required); ``tol``: stop at the first iterate
        whose exploitability is at most ``tol``; ``weighting``: the certificate's (``"stationary"``,
        ``"initial"`` or ``"worst_state"``, :mod:`equilibria.metrics.mean_field_stationary`)."""


def stationary_fixed_point_solve(game: StationaryMeanFieldGame, *, damping: float = 1.0,
                                 max_iterations: int | None = 1000, max_seconds: float | None = None,
                                 tol: float = 1e-6, weighting: str = "stationary") -> SolveResult:
    """Damped best-response iteration (module docstring; a heuristic: it may cycle). ``damping`` in ``(0, 1]``:
    the share of the population moved to the best response each iteration. Returns the last policy ``[S, A]``."""
    caller = "stationary_fixed_point_solve"
    rate = check_positive(damping, caller, "damping", upper=1.0)
    return _solve(game, caller, FIXED_POINT, {"damping": rate}, {}, max_iterations, max_seconds, tol, weighting)


def stationary_fictitious_play_solve(game: StationaryMeanFieldGame, *, learning_rate: float | None = None,
                                     max_iterations: int | None = 1000, max_seconds: float | None = None,
                                     tol: float = 1e-6, weighting: str = "stationary") -> SolveResult:
    """Fictitious play (Perrin et al. 2020; module docstring): the average policy ``[S, A]``. ``learning_rate``:
    a constant weight in ``(0, 1]`` for each best response; None: ``1 / (k + 2)``."""
    caller = "stationary_fictitious_play_solve"
    rate = 0.0 if learning_rate is None else check_positive(learning_rate, caller, "learning_rate", upper=1.0)
    return _solve(game, caller, FICTITIOUS_PLAY, {"learning_rate": rate},
                  {"learning_rate": None if learning_rate is None else rate}, max_iterations, max_seconds, tol,
                  weighting)


def stationary_online_mirror_descent_solve(game: StationaryMeanFieldGame, *, learning_rate: float = 0.5,
                                           max_iterations: int | None = 1000, max_seconds: float | None = None,
                                           tol: float = 1e-6, weighting: str = "stationary") -> SolveResult:
    """Online mirror descent (Perolat et al. 2022; module docstring): the last iterate ``[S, A]``.
    ``learning_rate > 0``: the step on the cumulative Q-values. Discounted values are ``O(max|r| / (1 - gamma))``,
    so the default is half the finite-horizon solvers' 1.0: on the default ``stationary-beach-bar`` (gamma 0.9) a
    step of 1.0 oscillates (exploitability 8.4 after 200 iterations) where 0.5 reaches 1e-4 in 1,000; on
    ``stationary-susceptible-infected`` both converge to 1e-10."""
    caller = "stationary_online_mirror_descent_solve"
    rate = check_positive(learning_rate, caller, "learning_rate")
    return _solve(game, caller, ONLINE_MIRROR_DESCENT, {"learning_rate": rate}, {}, max_iterations, max_seconds,
                  tol, weighting)


def stationary_boltzmann_iteration_solve(game: StationaryMeanFieldGame, *, temperature: float = 1.0,
                                         damping: float = 1.0, anneal: float = 1.0, min_temperature: float = 0.0,
                                         regularised: bool = False, max_iterations: int | None = 1000,
                                         max_seconds: float | None = None, tol: float = 1e-6,
                                         weighting: str = "stationary") -> SolveResult:
    """Boltzmann iteration (Cui and Koeppl 2021; module docstring; a heuristic). ``temperature > 0``,
    ``anneal`` in ``(0, 1]`` (the temperature's factor per iteration), ``min_temperature >= 0`` its floor,
    ``damping`` in ``(0, 1]``; ``regularised``: the entropy-regularised best response instead of
    ``softmax(Q* / tau)``. Returns the last policy ``[S, A]``."""
    caller = "stationary_boltzmann_iteration_solve"
    hyper = {"temperature": check_positive(temperature, caller, "temperature"),
             "damping": check_positive(damping, caller, "damping", upper=1.0),
             "anneal": check_positive(anneal, caller, "anneal", upper=1.0),
             "min_temperature": check_positive(min_temperature, caller, "min_temperature", allow_zero=True)}
    if not isinstance(regularised, bool):
        raise GameError(f"{caller}: regularised must be True or False, got {regularised!r}")
    method = BOLTZMANN_REGULARISED if regularised else BOLTZMANN
    return _solve(game, caller, method, hyper, {"regularised": regularised}, max_iterations, max_seconds, tol,
                  weighting)


for _solver in (stationary_fixed_point_solve, stationary_fictitious_play_solve,
                stationary_online_mirror_descent_solve, stationary_boltzmann_iteration_solve):
    _solver.__doc__ = f"{_solver.__doc__}\n\n    Args:\n      {_BUDGET_DOC}\n"

__all__ = [
    "BOLTZMANN",
    "BOLTZMANN_REGULARISED",
    "FICTITIOUS_PLAY",
    "FIXED_POINT",
    "ONLINE_MIRROR_DESCENT",
    "StationaryMethod",
    "StationaryState",
    "boltzmann_update",
    "fictitious_play_update",
    "fixed_point_update",
    "online_mirror_descent_update",
    "stationary_boltzmann_iteration_solve",
    "stationary_fictitious_play_solve",
    "stationary_fixed_point_solve",
    "stationary_init",
    "stationary_mix",
    "stationary_online_mirror_descent_solve",
    "stationary_result",
]
