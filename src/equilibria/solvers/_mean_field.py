"""What every mean-field solver shares: the method table, the chunked runner, the result, and the batched call.

**Methods.** An iterative mean-field method is a :class:`Method`: pure functions ``init(game, hyper) -> state``,
``update(game, state, hyper) -> state`` and ``policy(state) -> [T, S, A]`` over an explicit state (a NamedTuple),
with ``hyper`` a dict of float hyperparameters (JAX scalars, so that a batch of them is a ``vmap``). Each solver
module also exposes them optax-style with keyword hyperparameters (``fictitious_play_init`` /
``fictitious_play_update``, ...).

**The runner** (:func:`run_method`) runs ``update`` in compiled chunks (a ``lax.while_loop`` whose trip count is
an argument, so one compilation serves every chunk) and reads the clock between chunks; without ``max_seconds`` a
chunk is as long as the iteration budget allows (at most :data:`_CAPACITY` iterations), with it a chunk starts at
one iteration and doubles while it takes under a fiftieth of ``max_seconds`` (and after the first, whose time is
mostly compilation). After every iteration it records the
exploitability of the iterate's policy (:func:`equilibria.metrics.mean_field.exploitability_jax`) and stops at the
first iterate whose stopping measure (the exploitability, or the method's own ``measure``) is within ``tol``.
Everything runs in float64 (``jax.enable_x64``).

**The result** (:func:`mean_field_result`) follows the convention of the mean-field solvers: ``equilibria=(policy,)``
(NumPy ``[T, S, A]`` float64), ``values=(array([J]),)`` with ``J = J(pi, mu^pi)`` and the certificate
``exploitability`` both from :mod:`equilibria.metrics.mean_field` applied to the returned policy (never the curve
the solver recorded), ``parameters`` holding the options plus ``"flow"`` ``[T+1, S]`` and
``"exploitability_curve"`` (per iteration), ``converged`` True only when the certificate is within ``tol``.

**Batches** (:func:`solve_batch`): one jitted, vmapped call runs a fixed number of iterations for ``B``
hyperparameter settings and/or ``B`` values of the game's parameters at once.
"""

from __future__ import annotations

import functools
import importlib
import math
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, TypeVar

import numpy as np

from equilibria.core.errors import GameError
from equilibria.core.result import SolveResult
from equilibria.games.mean_field import MeanFieldGame, validate
from equilibria.solvers._common import Budget

Array = Any
GameT = TypeVar("GameT")  # either kind of mean-field game (as_float64 keeps the type)

# The longest chunk (iterations per compiled call), the length of the chunk's curve buffer.
_CAPACITY = 1024
# With max_seconds, a chunk doubles while it takes under this share of the budget.
_CHUNK_SHARE = 1.0 / 50.0


class Method(NamedTuple):
    """One iterative mean-field method (module docstring).

    Attributes:
      name: the method's name (``SolveResult.method``, :func:`solve_batch`'s ``method``).
      init: ``init(game, hyper) -> state``.
      update: ``update(game, state, hyper) -> state``.
      policy: ``policy(state) -> [T, S, A]``, the policy the method returns.
      defaults: ``(name, default)`` for every hyperparameter ``hyper`` holds (floats; batchable).
      measure: None (stop on the exploitability) or ``measure(game, state) -> scalar``, the quantity compared with
        ``tol`` instead (mean-field control: its stationarity gap); it is recorded as a second curve.
    """

    name: str
    init: Callable[[MeanFieldGame, Mapping[str, Array]], Any]
    update: Callable[[MeanFieldGame, Any, Mapping[str, Array]], Any]
    policy: Callable[[Any], Array]
    defaults: tuple[tuple[str, float], ...]
    measure: Callable[[MeanFieldGame, Any], Array] | None = None


# name -> (module, attribute) of every Method, imported on first use (solve_batch by name).
METHODS: dict[str, tuple[str, str]] = {
    "fixed_point": ("equilibria.solvers.mean_field_fixed_point", "FIXED_POINT"),
    "boltzmann_iteration": ("equilibria.solvers.mean_field_fixed_point", "BOLTZMANN"),
    "boltzmann_iteration_regularised": ("equilibria.solvers.mean_field_fixed_point", "BOLTZMANN_REGULARISED"),
    "prior_descent": ("equilibria.solvers.mean_field_fixed_point", "PRIOR_DESCENT"),
    "prior_descent_regularised": ("equilibria.solvers.mean_field_fixed_point", "PRIOR_DESCENT_REGULARISED"),
    "fictitious_play": ("equilibria.solvers.mean_field_fictitious_play", "FICTITIOUS_PLAY"),
    "online_mirror_descent": ("equilibria.solvers.mean_field_mirror_descent", "ONLINE_MIRROR_DESCENT"),
    "mean_field_control": ("equilibria.solvers.mean_field_control", "MEAN_FIELD_CONTROL"),
}


def load_method(name: str) -> Method:
    """The :class:`Method` called ``name`` (a key of :data:`METHODS`); GameError naming the known ones."""
    if not isinstance(name, str) or name not in METHODS:
        raise GameError(f"method: unknown mean-field method {name!r} (known: {', '.join(sorted(METHODS))})")
    module, attribute = METHODS[name]
    method: Method = getattr(importlib.import_module(module), attribute)
    return method


# -- shared pieces of the updates -------------------------------------------------------------------------------
def uniform(game: MeanFieldGame, dtype: Any) -> Array:
    """The uniform policy ``[T, S, A]`` as a JAX array of ``dtype``."""
    import jax.numpy as jnp

    return jnp.full((game.horizon, game.n_states, game.n_actions), 1.0 / game.n_actions, dtype)


def game_dtype(game: MeanFieldGame) -> Any:
    """The floating dtype the game's leaves compute in (float64 under ``jax.enable_x64``)."""
    import jax
    import jax.numpy as jnp

    return jnp.result_type(jnp.float32, *jax.tree_util.tree_leaves((game.initial, game.params)))


def flow_weighted_mix(policy: Array, flow: Array, other: Array, other_flow: Array, weight: Array) -> Array:
    """The policy whose population is ``(1 - weight)`` playing ``policy`` and ``weight`` playing ``other``.

    ``policy``, ``other``: ``[T, S, A]``; ``flow``, ``other_flow``: ``[T + 1, S]``, each the flow of its policy.
    ``pi_t(a | s) = ((1 - w) mu_t(s) pi_t(a | s) + w nu_t(s) sigma_t(a | s)) / ((1 - w) mu_t(s) + w nu_t(s))``,
    uniform where neither population reaches ``s`` (OpenSpiel's ``MergedPolicy``, mfglib's fictitious play).
    Weighting by the flows, not mixing the policies state by state, is what makes the mixed policy's flow the
    mixture of the two flows when transitions do not depend on the mean field (Perrin et al. 2020).
    """
    import jax.numpy as jnp

    horizon = policy.shape[0]
    mu = (1.0 - weight) * flow[:horizon, :, None]
    nu = weight * other_flow[:horizon, :, None]
    numerator = mu * policy + nu * other
    denominator = mu + nu
    safe = jnp.where(denominator > 0, denominator, 1.0)
    return jnp.where(denominator > 0, numerator / safe, 1.0 / policy.shape[-1])


# -- the chunked runner -----------------------------------------------------------------------------------------
@functools.cache
def _advance_fn() -> Any:
    import jax
    import jax.numpy as jnp

    from equilibria.metrics.mean_field import exploitability_jax

    def advance(method: Method, capacity: int, game: MeanFieldGame, state: Any, hyper: Mapping[str, Array],
                n: Array, tol: Array) -> tuple[Any, Array, Array, Array]:
        dtype = game_dtype(game)
        buffers = jnp.full((2, capacity), jnp.nan, dtype)

        def cond(carry: tuple[Any, ...]) -> Array:
            i, _, _, last = carry
            return (i < n) & ~(last <= tol)

        def body(carry: tuple[Any, ...]) -> tuple[Any, ...]:
            i, current, curves, _ = carry
            current = method.update(game, current, hyper)
            gap = exploitability_jax(game, method.policy(current))
            measured = gap if method.measure is None else method.measure(game, current)
            curves = curves.at[0, i].set(gap).at[1, i].set(measured)
            return i + 1, current, curves, jnp.asarray(measured, dtype)

        start = (jnp.asarray(0, jnp.int32), state, buffers, jnp.asarray(jnp.inf, dtype))
        done, state, buffers, _ = jax.lax.while_loop(cond, body, start)
        return state, buffers[0], buffers[1], done

    return jax.jit(advance, static_argnums=(0, 1))


@functools.cache
def _init_fn() -> Any:
    import jax

    def init(method: Method, game: MeanFieldGame, hyper: Mapping[str, Array]) -> Any:
        return method.init(game, hyper)

    return jax.jit(init, static_argnums=(0,))


@functools.cache
def _flow_fn() -> Any:
    import jax

    from equilibria.games.mean_field import flow

    return jax.jit(flow)


def as_float64(game: GameT) -> GameT:
    """``game`` (either kind of mean-field game) with its floating leaves as float64 JAX arrays (call under
    ``jax.enable_x64(True)``)."""
    import jax
    import jax.numpy as jnp

    def cast(leaf: Any) -> Any:
        array = jnp.asarray(leaf)
        return array.astype(jnp.float64) if jnp.issubdtype(array.dtype, jnp.floating) else array

    cast_game: GameT = jax.tree_util.tree_map(cast, game)
    return cast_game


def check_game(game: Any, caller: str) -> MeanFieldGame:
    if not isinstance(game, MeanFieldGame):
        raise GameError(f"{caller}: game must be a MeanFieldGame, got {type(game).__name__}")
    return validate(game)


def check_positive(value: Any, caller: str, name: str, *, upper: float | None = None,
                   allow_zero: bool = False) -> float:
    """A positive finite float (at most ``upper`` when given), or a one-line GameError naming ``name``."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    number = float(value) if ok else math.nan
    if not (math.isfinite(number) and (number >= 0 if allow_zero else number > 0)
            and (upper is None or number <= upper)):
        bounds = ("non-negative" if allow_zero else "positive") + ("" if upper is None else f" and at most {upper:g}")
        raise GameError(f"{caller}: {name} must be a {bounds} number, got {value!r}")
    return number


def check_budget(max_iterations: Any, max_seconds: Any, tol: Any, caller: str) -> tuple[Budget, float]:
    """The budget and tolerance of an iterative solver; one of the two limits is required (never hangs)."""
    budget = Budget.checked(max_iterations, max_seconds, caller)
    if budget.max_iterations is None and budget.max_seconds is None:
        raise GameError(f"{caller}: give max_iterations or max_seconds (both None would run forever)")
    tol = check_positive(tol, caller, "tol", allow_zero=True)
    return budget, tol


class Run(NamedTuple):
    """What :func:`run_method` returns: the last ``state``, the per-iteration ``curve`` of exploitabilities (and
    ``measures``, the stopping measure: the same unless the method has its own), ``iterations`` done, and
    ``stopped_because`` (None when the stopping measure reached ``tol``)."""

    state: Any
    curve: list[float]
    measures: list[float]
    iterations: int
    stopped_because: str | None


def run_method(game: MeanFieldGame, method: Method, hyper: Mapping[str, float], *, budget: Budget,
               tol: float) -> Run:
    """Iterate ``method`` from its ``init`` until an iterate's stopping measure is within ``tol`` or the budget is
    spent (module docstring). Call under ``jax.enable_x64(True)`` with a float64 game (:func:`as_float64`)."""
    import jax
    import jax.numpy as jnp

    dtype = game_dtype(game)
    hyper_arrays = {name: jnp.asarray(hyper[name], dtype) for name, _ in method.defaults}
    # One buffer length for every budget: a solve with another max_iterations reuses the compiled chunk (a
    # time-limited call after a short warm-up one compiles nothing).
    capacity = _CAPACITY
    advance = _advance_fn()
    state = _init_fn()(method, game, hyper_arrays)
    tol_array = jnp.asarray(tol, dtype)
    curve: list[float] = []
    measures: list[float] = []
    done = 0
    chunk = capacity if budget.max_seconds is None else 1
    first = True
    while True:
        # The first chunk (one iteration under a time limit) always runs: it is where the iteration compiles, so a
        # short warm-up call leaves nothing to compile for the next one.
        if not first and budget.exhausted(done):
            return Run(state, curve, measures, done, budget.stop_reason(done))
        n = min(chunk, capacity) if budget.max_iterations is None else min(chunk, capacity,
                                                                          budget.max_iterations - done)
        tick = budget.elapsed()
        state, gaps, measured, k = advance(method, capacity, game, state, hyper_arrays,
                                           jnp.asarray(n, jnp.int32), tol_array)
        k = int(jax.block_until_ready(k))
        # Sliced on the host: slicing the device array compiles a program for every distinct k.
        curve.extend(float(x) for x in np.asarray(gaps)[:k])
        measures.extend(float(x) for x in np.asarray(measured)[:k])
        done += k
        if k < n or (k and measures[-1] <= tol):
            return Run(state, curve, measures, done, None)
        # The first chunk's time is mostly compilation: it says nothing of an iteration's cost.
        if budget.max_seconds is not None and (first or budget.elapsed() - tick < _CHUNK_SHARE * budget.max_seconds):
            chunk *= 2
        first = False


# -- the result -------------------------------------------------------------------------------------------------
def returned_policy(policy: Array, method: str) -> np.ndarray:
    """A solver's last iterate as the float64 policy its result returns (either kind of mean-field game): refused
    on one line when it overflowed, else renormalised. The softmax and mixing steps leave rows summing to 1 up to
    rounding; renormalising keeps the certificate's input checks from refusing an iterate for an error of 1e-16."""
    pi = np.asarray(policy, dtype=np.float64)
    if not np.all(np.isfinite(pi)):
        raise GameError(f"{method}: the iterates overflowed to NaN or infinity (a learning rate or inverse "
                        f"temperature too large for this game's rewards?)")
    pi = np.clip(pi, 0.0, None)
    pi /= pi.sum(axis=-1, keepdims=True)
    return pi


def fictitious_play_weight(iteration: Array, learning_rate: Array | None, dtype: Any) -> Array:
    """The best response's weight in fictitious play's mixture at ``iteration`` (from 0): ``1 / (k + 2)``, or
    ``learning_rate`` when one > 0 is given (either kind of mean-field game; traced values allowed)."""
    import jax.numpy as jnp

    schedule = 1.0 / (iteration + 2.0)
    if learning_rate is None:
        return jnp.asarray(schedule, dtype)
    rate = jnp.asarray(learning_rate, dtype)
    return jnp.where(rate > 0, rate, schedule).astype(dtype)


def mean_field_result(game: MeanFieldGame, method: str, policy: Array, *, parameters: Mapping[str, Any],
                      curve: list[float], iterations: int, budget: Budget, tol: float,
                      stopped_because: str | None) -> SolveResult:
    """A SolveResult for a mean-field policy ``[T, S, A]``, certified by :mod:`equilibria.metrics.mean_field`
    (module docstring). ``stopped_because``: why the run stopped when it did not reach ``tol`` (None otherwise);
    a certificate above ``tol`` is never ``converged``, whatever the run's own curve said."""
    import jax
    import jax.numpy as jnp

    from equilibria.metrics.mean_field import exploitability, social_welfare

    pi = returned_policy(policy, method)
    certificate = exploitability(game, pi)
    welfare = social_welfare(game, pi)
    with jax.enable_x64(True):
        population = np.asarray(_flow_fn()(as_float64(game), jnp.asarray(pi)), dtype=np.float64)
    converged = bool(certificate <= tol)
    if not converged and stopped_because is None:
        stopped_because = f"the certificate {certificate:.3g} exceeds tol={tol:g}"
    elif not converged:
        stopped_because = f"{stopped_because} (exploitability {certificate:.3g} > tol={tol:g})"
    params = dict(parameters)
    params.update(tol=tol, flow=population, exploitability_curve=list(curve),
                  stopped_because=None if converged else stopped_because)
    return SolveResult(game=game, method=method, equilibria=(pi,), values=(np.array([welfare]),),
                       certificate=(certificate,), certificate_name="exploitability", parameters=params,
                       iterations=iterations, seconds=budget.elapsed(), converged=converged, complete=None)


def solve_method(game: MeanFieldGame, method: Method, hyper: Mapping[str, float], *, parameters: Mapping[str, Any],
                 budget: Budget, tol: float) -> tuple[SolveResult, Run]:
    """Run ``method`` (:func:`run_method`) and certify its last policy (:func:`mean_field_result`)."""
    import jax

    with jax.enable_x64(True):
        run = run_method(as_float64(game), method, hyper, budget=budget, tol=tol)
        policy = np.asarray(method.policy(run.state), dtype=np.float64)
    result = mean_field_result(game, method.name, policy, parameters={**hyper, **parameters}, curve=run.curve,
                               iterations=run.iterations, budget=budget, tol=tol,
                               stopped_because=run.stopped_because)
    return result, run


__all__ = [
    "METHODS",
    "Method",
    "Run",
    "flow_weighted_mix",
    "load_method",
    "mean_field_result",
    "run_method",
    "solve_method",
]
