"""Maximum-entropy IRL (Ziebart et al. 2008) and maximum causal entropy IRL (Ziebart 2010) on tabular MDPs.

The demonstrator is modelled as Boltzmann-rational: ``pi(a | s) = exp((Q(s, a) - V(s)) / temperature)`` for the
soft values of an unknown state reward ``r = model(features)`` (:mod:`~equilibria.applications.irl.soft_values`).
Fitting maximises the dual (the expected log-likelihood of the demonstrations under that model)::

    L(r) = (r . mu_D - initial . V_0(r)) / temperature

where ``mu_D: [S]`` is the demonstrations' (discounted) state occupancy and ``V_0`` the soft value at time 0.
Its gradient with respect to the reward is exactly ``(mu_D - mu_pi(r)) / temperature``, with ``mu_pi`` the
occupancy of the soft policy, computed by the backward (soft values) and forward (occupancy) passes; for the linear
reward ``features @ theta`` the gradient in ``theta`` is the difference of feature expectations
``features^T (mu_D - mu_pi) / temperature``; for a neural reward it is that reward-space gradient pulled back
through the network (the chain rule, ``jax.vjp``). ``causal=True`` (MCE IRL) uses the soft Bellman backup
``V = T logsumexp(Q / T)``, ``Q = r + gamma E V'``, for which ``L`` is the causal log-likelihood in expectation over
the transitions (and exactly so with deterministic dynamics). ``causal=False`` (MaxEnt IRL, 2008) uses the
partition-function backward pass and the paper's forward pass with the true dynamics (its Algorithm 1): exact for
deterministic dynamics, the paper's approximation for stochastic ones.

The iteration is an optax-style pure pair over an explicit state (:func:`maxent_dynamics`: ``init``/``update``),
so seeds and MDPs of one shape batch with ``jax.vmap``. Steps: L-BFGS with a backtracking (Armijo) line search on
``-L`` by default (the linear problem is concave; the line search needs ``L`` itself, one soft value iteration per
trial), or Adam with a given ``learning_rate``. ``l2`` adds ``l2/2 ||params||^2`` to the loss. :func:`maxent_irl`
drives it in float64, in jitted chunks between which it checks its budget, and builds the :class:`SolveResult`:
the certificate (the feature-expectation gap), the log-likelihood, EVD and EPIC are computed by
:mod:`equilibria.applications.irl.metrics` from the returned reward alone.

Convergence: the optimality condition of the regularised problem is ``features^T (mu_D - mu_pi) = T l2 theta``
(in general: the loss's gradient in the parameters vanishes); the *residual* is the largest entry of
``T * grad(loss)`` (for the linear model with ``l2 = 0``: the feature-expectation gap itself), recomputed from the
returned reward. ``converged`` is True only when it is below ``tol``. With one-hot features and finitely many
demonstrations the unregularised optimum is often at infinity (a state never visited gets reward -> -inf): give
``l2 > 0`` there.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from equilibria.applications.irl.rewards import RewardModel, reward_model_from
from equilibria.core.errors import GameError
from equilibria.core.result import SolveResult

# Updates per jitted call between two checks of the budget (the residual is checked after every update).
CHUNK = 25
DEFAULT_MAX_ITERATIONS = 1000
# causal=False without a learning rate: Adam at this rate (see maxent_irl).
DEFAULT_NONCAUSAL_LEARNING_RATE = 0.2
# Armijo backtracking: at most this many halvings (factor 0.5) per L-BFGS step.
_MAX_BACKTRACKING = 40


class MaxEntState(NamedTuple):
    """The explicit state of the iteration.

    params:      the reward model's parameters (``theta: [F]`` for the linear model)
    opt_state:   the optax state
    loss:        ``-L + l2/2 ||params||^2`` at ``params`` (before the step that produced the next params)
    residual:    largest entry of ``temperature * grad(loss)`` at ``params`` (see the module docstring)
    iteration:   updates applied
    temperature: the Boltzmann temperature (an array, so that fits at several temperatures batch with vmap)
    l2:          the L2 penalty (likewise)
    tol:         an update at params whose residual is below ``tol`` keeps them (so ``residual`` is always that of
                 ``params`` once it is below ``tol``)
    """

    params: Any
    opt_state: Any
    loss: jax.Array
    residual: jax.Array
    iteration: jax.Array
    temperature: jax.Array
    l2: jax.Array
    tol: jax.Array


def dual_objective(mdp: Any, reward: jax.Array, target: jax.Array, *, temperature: Any = 1.0,
                   causal: bool = True) -> tuple[jax.Array, jax.Array, jax.Array]:
    """``(L, dL/dr, mu_pi)`` for the state reward ``reward: [S]`` and the demonstrations' occupancy
    ``target: [S]``: the dual (expected log-likelihood, see the module docstring), its exact gradient
    ``(target - mu_pi) / temperature`` and the soft policy's occupancy ``mu_pi: [S]``. Pure JAX, jit-able."""
    from equilibria.applications.irl.soft_values import occupancy, soft_value_iteration

    soft = soft_value_iteration(mdp, reward, temperature=temperature, causal=causal)
    v0 = soft.v[0] if mdp.horizon is not None else soft.v
    initial = jnp.asarray(mdp.initial, dtype=reward.dtype)
    visits = occupancy(mdp, soft.policy)
    value = (reward @ target - initial @ v0) / temperature
    return value, (target - visits) / temperature, visits


def _optimizer(learning_rate: float | None) -> Any:
    import optax

    if learning_rate is None:
        return optax.lbfgs(linesearch=optax.scale_by_backtracking_linesearch(
            max_backtracking_steps=_MAX_BACKTRACKING, decrease_factor=0.5, store_grad=False))
    return optax.adam(learning_rate)


def maxent_dynamics(model: RewardModel, *, causal: bool = True, learning_rate: float | None = None
                    ) -> tuple[Callable[..., MaxEntState], Callable[..., MaxEntState]]:
    """The pure pair ``(init, update)`` of max-ent IRL with this reward model and these settings.

    ``init(mdp, target, params, temperature=1.0, l2=0.0, tol=0.0) -> MaxEntState`` and ``update(mdp, target, state) ->
    MaxEntState`` with ``target: [S]`` the demonstrations' occupancy; both jit-able and vmap-able over MDPs of one
    shape, targets, parameters, temperatures and penalties. ``learning_rate=None``: L-BFGS with a backtracking line
    search; a number: Adam. An update at a state whose residual is below ``tol`` (or 0) leaves it as it is: the
    residual then belongs to the parameters held, and no step is divided by a zero gradient.
    """
    import optax

    optimizer = _optimizer(learning_rate)
    uses_line_search = learning_rate is None

    def loss_and_grad(mdp: Any, target: jax.Array, params: Any, temperature: jax.Array, l2: jax.Array
                      ) -> tuple[jax.Array, Any]:
        features = jnp.asarray(mdp.features, dtype=target.dtype)
        reward, pullback = jax.vjp(lambda p: model.apply(p, features), params)
        value, grad_reward, _ = dual_objective(mdp, reward, target, temperature=temperature, causal=causal)
        (grad_params,) = pullback(-grad_reward)
        penalty = 0.5 * l2 * sum(jnp.sum(x * x) for x in jax.tree_util.tree_leaves(params))
        grad = jax.tree_util.tree_map(lambda g, p: g + l2 * p, grad_params, params)
        return -value + penalty, grad

    def residual_of(grad: Any, temperature: jax.Array) -> jax.Array:
        return temperature * jnp.max(jnp.stack([jnp.max(jnp.abs(g)) for g in jax.tree_util.tree_leaves(grad)]))

    def init(mdp: Any, target: jax.Array, params: Any, temperature: Any = 1.0, l2: Any = 0.0,
             tol: Any = 0.0) -> MaxEntState:
        temperature = jnp.asarray(temperature, dtype=target.dtype)
        l2 = jnp.asarray(l2, dtype=target.dtype)
        loss, grad = loss_and_grad(mdp, target, params, temperature, l2)
        # optax leaves some counters weakly typed at init; the updated state is strongly typed, and a jitted
        # loop would compile twice if the two differed
        opt_state = jax.tree_util.tree_map(lambda x: jax.lax.convert_element_type(x, x.dtype),
                                           optimizer.init(params))
        return MaxEntState(params, opt_state, loss, residual_of(grad, temperature), jnp.zeros((), jnp.int32),
                           temperature, l2, jnp.asarray(tol, dtype=target.dtype))

    def update(mdp: Any, target: jax.Array, state: MaxEntState) -> MaxEntState:
        temperature, l2 = state.temperature, state.l2
        loss, grad = loss_and_grad(mdp, target, state.params, temperature, l2)
        if uses_line_search:
            updates, opt_state = optimizer.update(
                grad, state.opt_state, state.params, value=loss, grad=grad,
                value_fn=lambda p: loss_and_grad(mdp, target, p, temperature, l2)[0])
        else:
            updates, opt_state = optimizer.update(grad, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        residual = residual_of(grad, temperature)
        # A solved state stays put (and L-BFGS would form 0/0 curvature pairs at a stationary point).
        done = (residual <= state.tol) | (residual == 0)
        keep = functools.partial(jax.tree_util.tree_map, lambda old, new: jnp.where(done, old, new))
        return MaxEntState(keep(state.params, params), keep(state.opt_state, opt_state), loss, residual,
                           state.iteration + jnp.where(done, 0, 1), temperature, l2, state.tol)

    return init, update


@functools.lru_cache(maxsize=32)
def _compiled(model: RewardModel, causal: bool, learning_rate: float | None
              ) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """``(init, advance)`` jitted: ``advance(mdp, target, state, steps)`` applies up to ``steps`` updates (a
    ``lax.while_loop``), stopping early once the residual is at most ``state.tol``."""
    init, update = maxent_dynamics(model, causal=causal, learning_rate=learning_rate)

    def advance(mdp: Any, target: jax.Array, state: MaxEntState, steps: jax.Array) -> MaxEntState:
        last = state.iteration + steps

        def running(s: MaxEntState) -> jax.Array:
            return (s.iteration < last) & (s.residual > s.tol) & jnp.isfinite(s.loss)

        return jax.lax.while_loop(running, functools.partial(update, mdp, target), state)

    return jax.jit(init), jax.jit(advance)


def _check_number(value: Any, name: str, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(float(value)) or float(value) < 0 or (positive and float(value) == 0):
        kind = "a positive" if positive else "a non-negative"
        raise GameError(f"maxent_irl: {name} must be {kind} finite number, got {value!r}")
    return float(value)


def _target(mdp: Any, demonstrations: Any) -> np.ndarray:
    """The demonstrations' occupancy ``[S]``: from :class:`Demonstrations` or given directly as an array."""
    from equilibria.applications.irl.soft_values import empirical_occupancy

    if hasattr(demonstrations, "states") and hasattr(demonstrations, "actions"):
        states = np.asarray(demonstrations.states)
        if states.ndim != 2 or states.shape[0] == 0 or states.shape[1] == 0:
            raise GameError(f"maxent_irl: demonstrations.states must be [N, T] with N, T >= 1, got {states.shape}")
        if states.min() < 0 or states.max() >= mdp.n_states:
            raise GameError(f"maxent_irl: demonstrations hold a state outside 0..{mdp.n_states - 1}")
        return np.asarray(empirical_occupancy(mdp, demonstrations), dtype=np.float64)
    try:
        target = np.asarray(demonstrations, dtype=np.float64)
    except (TypeError, ValueError):
        raise GameError("maxent_irl: demonstrations must be Demonstrations or an occupancy array [S]") from None
    if target.shape != (mdp.n_states,) or not np.all(np.isfinite(target)) or np.any(target < 0):
        raise GameError(f"maxent_irl: an occupancy given as demonstrations must be [S] = [{mdp.n_states}], finite "
                        f"and non-negative, got shape {target.shape}")
    return target


def maxent_irl(mdp: Any, demonstrations: Any, *, causal: bool = True, reward_model: Any = "linear",
               temperature: float = 1.0, learning_rate: float | None = None, l2: float = 0.0, tol: float = 1e-6,
               max_iterations: int | None = DEFAULT_MAX_ITERATIONS, max_seconds: float | None = None,
               key: Any = None) -> SolveResult:
    """Fit a state reward to demonstrations by max-ent IRL (``causal=False``) or MCE IRL (``causal=True``).

    ``mdp``: a :class:`~equilibria.applications.irl.mdp.TabularMDP` (its ``reward`` is never read by the fit, only
    by the reported metrics). ``demonstrations``: :class:`~equilibria.applications.irl.soft_values.Demonstrations`
    (``states, actions: [N, T]``) or a state occupancy ``[S]`` (then no log-likelihood: ``values`` holds NaN).
    ``reward_model``: ``"linear"`` (``features @ theta``), ``"mlp"``, a
    :class:`~equilibria.applications.irl.rewards.RewardModel`, or an equinox module ``[F] -> scalar``.
    ``learning_rate``: None for L-BFGS with a line search (``causal=False`` on stochastic dynamics: Adam at
    :data:`DEFAULT_NONCAUSAL_LEARNING_RATE`, since the paper's forward pass is not the gradient of its partition
    function there), else Adam's rate. ``key``: int or JAX key for a
    neural model's initial weights (default 0). Runs in float64.

    Returns a :class:`SolveResult`: ``method`` ``"mce_irl"`` or ``"maxent_irl"``, ``equilibria = (reward [S],)``,
    ``values = (array([mean log-likelihood per trajectory]),)``, ``certificate = (feature_expectation_gap,)``,
    ``parameters``: the options, ``"evd"``, ``"epic"`` (against ``mdp.reward``), ``"residual"``, ``"theta"``
    (linear model), ``"stopped_because"`` when not converged. ``iterations``: updates applied. ``converged``: the
    optimality residual of the penalised problem, ``max|F^T (mu_D - mu_pi) - temperature * l2 * theta|`` recomputed
    from the returned reward, is at most ``tol`` (with ``l2 > 0`` the certificate, the unpenalised gap, stays
    positive at the penalised optimum: it measures what the penalty costs).
    """
    from equilibria.applications.irl import metrics
    from equilibria.applications.irl.soft_values import soft_value_iteration
    from equilibria.solvers._common import Budget

    budget = Budget.checked(max_iterations, max_seconds, "maxent_irl")
    temperature = _check_number(temperature, "temperature", positive=True)
    l2 = _check_number(l2, "l2")
    tol = _check_number(tol, "tol", positive=True)
    if learning_rate is not None:
        learning_rate = _check_number(learning_rate, "learning_rate", positive=True)
    if not isinstance(causal, bool):
        raise GameError(f"maxent_irl: causal must be True or False, got {causal!r}")
    model = reward_model_from(reward_model, mdp.n_features)
    transitions = np.asarray(mdp.transitions)
    if learning_rate is None and not causal and not np.all((transitions == 0) | (transitions == 1)):
        # Ziebart (2008)'s forward pass is not the gradient of its partition function under stochastic dynamics,
        # so a line search on that function can stall: plain Adam steps follow the paper's update instead.
        learning_rate = DEFAULT_NONCAUSAL_LEARNING_RATE
    init, advance = _compiled(model, causal, learning_rate)
    with jax.enable_x64(True):
        target_np = _target(mdp, demonstrations)
        target = jnp.asarray(target_np, dtype=jnp.float64)
        features = jnp.asarray(mdp.features, dtype=jnp.float64)
        seed = key if isinstance(key, jax.Array) else jax.random.key(0 if key is None else int(key))
        state = init(mdp, target, model.init(features, seed), temperature, l2, tol)
        iterations, stopped = 0, None
        while True:
            if float(state.residual) <= tol:
                break
            if budget.exhausted(iterations):
                stopped = budget.stop_reason(iterations)
                break
            steps = CHUNK if budget.max_iterations is None else min(CHUNK, budget.max_iterations - iterations)
            state = advance(mdp, target, state, jnp.asarray(steps, jnp.int32))
            iterations = int(state.iteration)
            if not bool(jnp.isfinite(state.loss)):
                stopped = "the loss is not finite (lower the learning rate or add l2)"
                break
        params = state.params
        reward = np.asarray(model.apply(params, features), dtype=np.float64)
        # Everything reported is recomputed from the returned reward, not read from the optimiser's state.
        residual = float(init(mdp, target, params, temperature, l2).residual)
        policy = soft_value_iteration(mdp, jnp.asarray(reward), temperature=temperature, causal=causal).policy
        has_trajectories = hasattr(demonstrations, "states")
        if has_trajectories:
            gap = float(metrics.feature_expectation_gap(mdp, reward, demonstrations, temperature=temperature,
                                                        causal=causal))
            log_likelihood = float(metrics.demonstration_log_likelihood(mdp, policy, demonstrations))
        else:
            from equilibria.applications.irl.soft_values import feature_expectations, occupancy

            visits = occupancy(mdp, policy)
            gap = float(jnp.max(jnp.abs(feature_expectations(mdp, visits) - feature_expectations(mdp, target))))
            log_likelihood = math.nan
        evd = float(metrics.expected_value_difference(mdp, reward))
        epic = float(metrics.epic_distance(reward, np.asarray(mdp.reward, dtype=np.float64), mdp))
    converged = stopped is None and residual <= tol
    if stopped is None and not converged:
        stopped = f"the residual {residual:.3g} recomputed from the returned reward is not below tol={tol:g}"
    parameters: dict[str, Any] = {
        "causal": causal, "reward_model": model.name, "temperature": temperature, "learning_rate": learning_rate,
        "optimizer": "lbfgs" if learning_rate is None else "adam", "l2": l2, "tol": tol,
        "max_iterations": max_iterations, "max_seconds": max_seconds, "evd": evd, "epic": epic,
        "residual": residual, "log_likelihood": log_likelihood}
    if model.linear:
        parameters["theta"] = np.asarray(params, dtype=np.float64)
    if not converged:
        parameters["stopped_because"] = stopped
    return SolveResult(mdp, "mce_irl" if causal else "maxent_irl", (reward,), (np.array([log_likelihood]),),
                       (gap,), certificate_name="feature_expectation_gap", parameters=parameters,
                       iterations=iterations, seconds=budget.elapsed(), converged=converged)
