"""Soft (entropy-regularised) and hard value iteration, occupancy measures and demonstrations on a
:class:`~equilibria.applications.irl.mdp.TabularMDP`, as pure JAX functions.

Conventions (those of ``mdp``: state rewards ``r(s)``, a finite horizon ``H`` has decisions at ``t = 0 .. H``):

- Soft Bellman backup at temperature ``tau`` (``tau -> 0`` is hard value iteration)::

      Q_t(s, a) = r(s) + gamma * B[V_{t+1}](s, a),      V_t(s) = tau * logsumexp_a(Q_t(s, a) / tau),
      pi_t(a | s) = exp((Q_t(s, a) - V_t(s)) / tau),

  with ``B[V](s, a) = sum_s' T(s' | s, a) V(s')`` for maximum *causal* entropy (Ziebart 2010, ``causal=True``) and
  ``B[V](s, a) = tau * log sum_s' T(s' | s, a) exp(V(s') / tau)`` for Ziebart et al. (2008)'s partition function
  (``causal=False``: the agent is credited as if it chose the successor state too, so it is optimistic about
  stochastic transitions; the two coincide on deterministic MDPs). Both backups of ``V = 0`` are 0, so the last
  step ``Q_H = r`` is the same recursion started from ``V_{H+1} = 0``.
- Finite horizon: a backward ``lax.scan`` over ``t = H .. 0``; arrays carry a leading time axis ``[H+1, ...]``.
  Infinite horizon: the backup (a gamma-contraction) iterated in a ``lax.while_loop`` until the contraction bound
  ``gamma / (1 - gamma) * max|V_k - V_(k-1)|`` on the distance to the fixed point is below ``tol``, or the change
  per sweep is at the dtype's rounding level ``2 * eps * (1 + max|V|)`` (float32 cannot do better), or after
  ``max_iterations`` sweeps; arrays are stationary ``[S, ...]``.
- ``imitation``'s ``mce_partition_fh`` on horizon ``H`` gives no weight to the reward of the last state it visits:
  its ``H`` policies equal ours for horizon ``H - 1``, while its occupancy measure, like ours, covers ``t = 0 .. H``.
- A policy is ``[H+1, S, A]`` (time-dependent, finite horizon only) or ``[S, A]`` (stationary; in a finite horizon
  the same at every step). The occupancy measure is ``d(s) = sum_t gamma^t P(s_t = s)``: forward ``lax.scan`` over
  ``t = 0 .. H``, or the linear solve ``(I - gamma P_pi^T) d = initial`` for an infinite horizon.
- Everything computes in the default float dtype: float64 under ``jax.enable_x64(True)``, float32 otherwise.
  Randomness only from explicit ``jax.random`` keys.
"""

from __future__ import annotations

from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax
from jax.scipy.special import logsumexp

from equilibria.applications.irl.mdp import TabularMDP
from equilibria.core.errors import GameError

Array = jax.Array


class SoftPolicy(NamedTuple):
    """The result of :func:`soft_value_iteration`.

    q:      [H+1, S, A] finite horizon (time-dependent) or [S, A] infinite horizon
    v:      [H+1, S]    or [S]
    policy: same shape as q: pi(a | s) = exp((Q(s, a) - V(s)) / temperature)
    """

    q: Array
    v: Array
    policy: Array


class Demonstrations(NamedTuple):
    """Sampled trajectories.

    states:  [N, T] int
    actions: [N, T] int   (T = H + 1 for a finite horizon; infinite horizon: the length asked for)
    """

    states: Array
    actions: Array


def _float() -> Any:
    # float64 when the caller enabled x64, float32 otherwise
    return jax.dtypes.canonicalize_dtype(jnp.float64)


def _model(mdp: TabularMDP) -> tuple[Array, Array]:
    # the jitted kernels take the arrays they need and the discount as a traced scalar (only the horizon is
    # static), so that MDPs differing in reward, features or discount share one compilation
    dtype = _float()
    return jnp.asarray(mdp.transitions, dtype), jnp.asarray(mdp.initial, dtype)


def _check_reward(mdp: TabularMDP, reward: Any, where: str) -> Array:
    shape = jnp.shape(reward)
    if shape != (mdp.n_states,):
        raise GameError(f"{where}: reward must have shape [S] = ({mdp.n_states},), got {shape}")
    return jnp.asarray(reward, _float())


def _check_policy(mdp: TabularMDP, policy: Any, where: str) -> Array:
    shape = jnp.shape(policy)
    stationary = (mdp.n_states, mdp.n_actions)
    if shape == stationary:
        return jnp.asarray(policy, _float())
    if mdp.horizon is not None and shape == (mdp.horizon + 1, *stationary):
        return jnp.asarray(policy, _float())
    allowed = f"[S, A] = {stationary}" + (
        f" or [H+1, S, A] = {(mdp.horizon + 1, *stationary)}" if mdp.horizon is not None else ""
    )
    raise GameError(f"{where}: policy must have shape {allowed}, got {shape}")


def _check_temperature(temperature: Any) -> None:
    if isinstance(temperature, (int, float)) and not temperature > 0:
        raise GameError(f"soft_value_iteration: temperature must be > 0, got {temperature!r}")


def _backup(transitions: Array, value: Array, temperature: Array, causal: bool) -> Array:
    """B[V](s, a): [S, A] from V [S] (module docstring)."""
    if causal:
        return transitions @ value
    # b=transitions weights the successors; zero-probability successors drop out of the sum
    return temperature * logsumexp(jnp.broadcast_to(value / temperature, transitions.shape), axis=-1, b=transitions)


def _stop_tolerance(tol: Array, value: Array, gamma: Array) -> Array:
    """The largest change per sweep at which to stop (module docstring)."""
    eps = jnp.finfo(value.dtype).eps
    # change <= tol (1 - gamma) / gamma bounds the error by tol; gamma = 0 converges in one sweep
    per_sweep = jnp.where(gamma > 0, tol * (1 - gamma) / jnp.maximum(gamma, eps), jnp.inf)
    return jnp.maximum(per_sweep, 2 * eps * (1 + jnp.max(jnp.abs(value))))


@partial(jax.jit, static_argnames=("horizon", "causal", "max_iterations"))
def _soft_vi(
    transitions: Array,
    gamma: Array,
    reward: Array,
    temperature: Array,
    tol: Array,
    horizon: int | None,
    causal: bool,
    max_iterations: int,
) -> SoftPolicy:
    gamma = jnp.asarray(gamma, reward.dtype)
    temperature = jnp.asarray(temperature, reward.dtype)

    def q_of(v_next: Array) -> Array:
        return reward[:, None] + gamma * _backup(transitions, v_next, temperature, causal)

    def v_of(q: Array) -> Array:
        return temperature * logsumexp(q / temperature, axis=-1)

    zero = jnp.zeros_like(reward)
    if horizon is not None:

        def step(v_next: Array, _: None) -> tuple[Array, tuple[Array, Array]]:
            q = q_of(v_next)
            v = v_of(q)
            return v, (q, v)

        _, (q, v) = lax.scan(step, zero, None, length=horizon + 1, reverse=True)
    else:

        def cond(carry: tuple[Array, Array, Array]) -> Array:
            v, delta, it = carry
            return (it < max_iterations) & (delta > _stop_tolerance(tol, v, gamma))

        def body(carry: tuple[Array, Array, Array]) -> tuple[Array, Array, Array]:
            v, _, it = carry
            new = v_of(q_of(v))
            return new, jnp.max(jnp.abs(new - v)), it + 1

        inf = jnp.asarray(jnp.inf, reward.dtype)
        v_final, _, _ = lax.while_loop(cond, body, (zero, inf, jnp.asarray(0)))
        q = q_of(v_final)
        v = v_of(q)
    policy = jnp.exp((q - v[..., None]) / temperature)
    return SoftPolicy(q, v, policy)


def soft_value_iteration(
    mdp: TabularMDP,
    reward: Any,
    *,
    temperature: float = 1.0,
    causal: bool = True,
    tol: float = 1e-10,
    max_iterations: int = 10_000,
) -> SoftPolicy:
    """The Boltzmann-rational (soft-optimal) policy for ``reward`` [S] (a learned or the true reward).

    ``causal=True``: maximum causal entropy (Ziebart 2010); ``causal=False``: Ziebart et al. (2008)'s partition
    function backward pass; the recursions, shapes and the infinite-horizon stopping rule are in the module
    docstring. Jit-able (one MDP per call; ``jax.vmap`` over stacked MDPs). Differentiable in ``reward``: reverse mode
    (``jax.grad``) for a finite horizon only, since the infinite horizon's ``lax.while_loop`` supports forward mode
    (``jax.jvp``) alone; max-ent IRL needs neither (its gradient is a difference of feature expectations)."""
    _check_temperature(temperature)
    r = _check_reward(mdp, reward, "soft_value_iteration")
    transitions, _ = _model(mdp)
    return _soft_vi(transitions, mdp.discount, r, temperature, tol, mdp.horizon, bool(causal), int(max_iterations))


@partial(jax.jit, static_argnames=("horizon", "max_iterations"))
def _hard_vi(
    transitions: Array, gamma: Array, reward: Array, tol: Array, horizon: int | None, max_iterations: int
) -> Array:
    gamma = jnp.asarray(gamma, reward.dtype)

    def q_of(v_next: Array) -> Array:
        return reward[:, None] + gamma * (transitions @ v_next)

    zero = jnp.zeros_like(reward)
    if horizon is not None:

        def step(v_next: Array, _: None) -> tuple[Array, Array]:
            q = q_of(v_next)
            return jnp.max(q, axis=-1), q

        _, q = lax.scan(step, zero, None, length=horizon + 1, reverse=True)
    else:

        def cond(carry: tuple[Array, Array, Array]) -> Array:
            v, delta, it = carry
            return (it < max_iterations) & (delta > _stop_tolerance(tol, v, gamma))

        def body(carry: tuple[Array, Array, Array]) -> tuple[Array, Array, Array]:
            v, _, it = carry
            new = jnp.max(q_of(v), axis=-1)
            return new, jnp.max(jnp.abs(new - v)), it + 1

        inf = jnp.asarray(jnp.inf, reward.dtype)
        v_final, _, _ = lax.while_loop(cond, body, (zero, inf, jnp.asarray(0)))
        q = q_of(v_final)
    best = jnp.max(q, axis=-1, keepdims=True)
    # actions within rounding of the best count as ties, so that equal values computed along different float
    # paths still resolve to the lowest index
    slack = 64 * jnp.finfo(q.dtype).eps * (1 + jnp.abs(best))
    choice = jnp.argmax(q >= best - slack, axis=-1)
    return jax.nn.one_hot(choice, q.shape[-1], dtype=q.dtype)


def optimal_policy(mdp: TabularMDP, reward: Any, *, tol: float = 1e-10, max_iterations: int = 100_000) -> Array:
    """The greedy deterministic policy of hard value iteration for ``reward`` [S]: one-hot ``[H+1, S, A]`` (finite
    horizon) or ``[S, A]`` (infinite; iterated to ``tol`` as in the module docstring). Ties (within rounding): the
    lowest action index."""
    r = _check_reward(mdp, reward, "optimal_policy")
    transitions, _ = _model(mdp)
    return _hard_vi(transitions, mdp.discount, r, tol, mdp.horizon, int(max_iterations))


@partial(jax.jit, static_argnames=("horizon",))
def _occupancy_by_time(transitions: Array, initial: Array, policy: Array, horizon: int) -> Array:
    steps = horizon
    policies = policy if policy.ndim == 3 else jnp.broadcast_to(policy, (steps + 1, *policy.shape))

    def step(d: Array, pi: Array) -> tuple[Array, Array]:
        nxt = jnp.einsum("s,sa,sat->t", d, pi, transitions)
        return nxt, nxt

    # only the policies of t = 0 .. H-1 move the state; the decision at H has no successor
    _, later = lax.scan(step, initial, policies[:steps])
    return jnp.concatenate([initial[None], later], axis=0)


@partial(jax.jit, static_argnames=("horizon",))
def _occupancy(transitions: Array, initial: Array, gamma: Array, policy: Array, horizon: int | None) -> Array:
    gamma = jnp.asarray(gamma, initial.dtype)
    if horizon is not None:
        by_time = _occupancy_by_time(transitions, initial, policy, horizon)
        weights = gamma ** jnp.arange(horizon + 1, dtype=initial.dtype)
        return weights @ by_time
    chain = jnp.einsum("sa,sat->st", policy, transitions)
    n = initial.shape[0]
    return jnp.linalg.solve(jnp.eye(n, dtype=initial.dtype) - gamma * chain.T, initial)


def occupancy(mdp: TabularMDP, policy: Any) -> Array:
    """The discounted state occupancy measure [S]: ``sum_t gamma^t P(s_t = s)`` over ``t = 0 .. H`` (or to infinity
    by a linear solve). It sums to ``H + 1`` (gamma = 1) or ``(1 - gamma^(H+1)) / (1 - gamma)``; ``1 / (1 - gamma)``
    for an infinite horizon. ``policy``: [H+1, S, A] or [S, A]."""
    pi = _check_policy(mdp, policy, "occupancy")
    if mdp.horizon is None and pi.ndim == 3:
        raise GameError("occupancy: an infinite-horizon MDP needs a stationary policy [S, A]")
    transitions, initial = _model(mdp)
    return _occupancy(transitions, initial, mdp.discount, pi, mdp.horizon)


def occupancy_by_time(mdp: TabularMDP, policy: Any) -> Array:
    """The undiscounted state marginals ``P(s_t = s)``: [H+1, S] (finite horizon only)."""
    if mdp.horizon is None:
        raise GameError("occupancy_by_time: needs a finite horizon (mdp.horizon is None); use occupancy")
    pi = _check_policy(mdp, policy, "occupancy_by_time")
    transitions, initial = _model(mdp)
    return _occupancy_by_time(transitions, initial, pi, mdp.horizon)


def policy_value(mdp: TabularMDP, reward: Any, policy: Any) -> Array:
    """The exact expected (discounted) return ``occupancy(policy) @ reward`` from ``mdp.initial``: a scalar."""
    r = _check_reward(mdp, reward, "policy_value")
    return occupancy(mdp, policy) @ r


def _draw(cdf: Array, u: Array) -> Array:
    """Inverse-CDF sampling: the first index whose cumulative probability exceeds ``u * total``, rows of ``cdf``
    [N, K] against ``u`` [N] uniform in [0, 1). Scaling by the total (not 1) means rounding in the cumulative sum
    can never select an index of probability 0."""
    return jnp.sum(cdf <= (u * cdf[:, -1])[:, None], axis=-1)


@partial(jax.jit, static_argnames=("n", "length"))
def _sample(transitions: Array, initial: Array, policy: Array, key: Array, n: int, length: int) -> Demonstrations:
    policies = policy if policy.ndim == 3 else jnp.broadcast_to(policy, (length, *policy.shape))
    # all uniforms up front: one random-bits call compiles much faster than one per step
    key_start, key_steps = jax.random.split(key)
    start = _draw(jnp.broadcast_to(jnp.cumsum(initial), (n, initial.shape[0])), jax.random.uniform(key_start, (n,)))
    uniforms = jax.random.uniform(key_steps, (length, 2, n))

    def step(state: Array, inputs: tuple[Array, Array]) -> tuple[Array, tuple[Array, Array]]:
        pi, u = inputs
        action = _draw(jnp.cumsum(pi[state], axis=-1), u[0])
        nxt = _draw(jnp.cumsum(transitions[state, action], axis=-1), u[1])
        return nxt, (state, action)

    _, (states, actions) = lax.scan(step, start, (policies[:length], uniforms))
    return Demonstrations(states.T, actions.T)


def sample_demonstrations(
    mdp: TabularMDP, policy: Any, key: Array, n: int, *, length: int | None = None
) -> Demonstrations:
    """``n`` trajectories of ``policy`` ([H+1, S, A] or [S, A]) from ``mdp.initial``, seeded by the JAX ``key``.

    ``length``: the number of (state, action) steps; a finite horizon defaults to (and allows at most) ``H + 1``,
    an infinite horizon requires it."""
    pi = _check_policy(mdp, policy, "sample_demonstrations")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise GameError(f"sample_demonstrations: n must be a positive int, got {n!r}")
    if mdp.horizon is None:
        if pi.ndim == 3:
            raise GameError("sample_demonstrations: an infinite-horizon MDP needs a stationary policy [S, A]")
        if length is None:
            raise GameError("sample_demonstrations: length is required for an infinite-horizon MDP")
    elif length is None:
        length = mdp.horizon + 1
    elif length > mdp.horizon + 1:
        raise GameError(f"sample_demonstrations: length must be <= H + 1 = {mdp.horizon + 1}, got {length}")
    if isinstance(length, bool) or not isinstance(length, int) or length < 1:
        raise GameError(f"sample_demonstrations: length must be a positive int, got {length!r}")
    transitions, initial = _model(mdp)
    return _sample(transitions, initial, pi, key, n, length)


def empirical_occupancy(mdp: TabularMDP, demonstrations: Demonstrations) -> Array:
    """The discounted visitation ``sum_t gamma^t [s_t = s]`` [S], averaged over the trajectories."""
    states = jnp.asarray(demonstrations.states)
    if states.ndim != 2:
        raise GameError(f"empirical_occupancy: demonstrations.states must be [N, T], got shape {states.shape}")
    dtype = _float()
    weights = jnp.asarray(mdp.discount, dtype) ** jnp.arange(states.shape[1], dtype=dtype)
    counts = jnp.zeros(mdp.n_states, dtype).at[states.ravel()].add(jnp.broadcast_to(weights, states.shape).ravel())
    return counts / states.shape[0]


def feature_expectations(mdp: TabularMDP, occupancy: Any) -> Array:
    """``occupancy @ features``: [F] from an occupancy measure [S]."""
    if jnp.shape(occupancy) != (mdp.n_states,):
        shape = jnp.shape(occupancy)
        raise GameError(f"feature_expectations: occupancy must have shape ({mdp.n_states},), got {shape}")
    dtype = _float()
    return jnp.asarray(occupancy, dtype) @ jnp.asarray(mdp.features, dtype)
