"""The N-player check: how much one of N agents gains by leaving a mean-field equilibrium policy.

A mean-field equilibrium approximates a finite game. Conventions (written once, here; game conventions are
:mod:`equilibria.games.mean_field`'s):

- **The N-player game** ``G_N``. Agents ``i = 0 .. N-1`` start in i.i.d. states drawn from ``mu_0``. The empirical
  distribution ``mu^N_t = (1/N) sum_i delta(s^i_t)`` counts all N agents. Agent ``i`` in state ``s`` taking action
  ``a`` at time ``t`` receives ``reward(params, t, mu^N_t)[s, a]`` and moves to ``s'`` with probability
  ``transition(params, t, mu^N_t)[s, a, s']``, independently of the others given ``mu^N_t``; at ``T`` it receives
  ``terminal_reward(params, mu^N_T)[s]``. This is the finite game whose limit ``N -> infinity`` is the mean-field game.
- **Simulation** (:func:`simulate`). Agent 0 (the one that may deviate) is tracked by its state; the other ``N - 1``
  by their count vector ``c_t`` ``[S]``: agents are exchangeable and only their states enter rewards and moves, so
  given ``(c_t, s^0_t)`` the others leaving ``s`` land as ``Multinomial(c_t(s), K_t(s, .))`` with the kernel
  ``K_t(s, s') = sum_a pi_t(a | s) P(s' | s, a, mu^N_t)``. This is exact in law and costs ``O(T S^2 A)`` per
  repetition whatever N (N = 100,000 costs what N = 10 does); the counts sum to ``N - 1`` exactly. Monte Carlo
  repetitions are a ``vmap``, time a ``lax.scan``, and every random number comes from the ``key`` passed in (a JAX
  key or an int seed).
- **What agent 0 sees.** In state ``s`` at ``t`` the distribution is ``m_{t,s} = (c_t + e_s) / N`` (the others
  plus itself). ``J_N(sigma; c)`` is agent 0's expected return with the Markov policy ``sigma`` ``[T, S, A]`` when
  the others' path ``c = (c_0 .. c_T)`` is given: backward induction with rewards ``reward(params, t,
  m_{t,s})[s, a]`` and transitions ``transition(params, t, m_{t,s})[s, a, :]``, its initial state drawn from
  ``mu_0``.
- **The estimates** (:func:`n_player_gain`), everyone else playing the equilibrium policy ``pi``, over ``R``
  repetitions ``c^1 .. c^R`` of the others' path (each mean with its Monte Carlo standard error ``sd / sqrt(R)``):

  * ``gain`` (an upper bound): ``U_N = E_c[max_sigma J_N(sigma; c) - J_N(pi; c)]``, the expected gain of a
    deviator that best-responds to the *realised* empirical flow (it foresees the population's path). Every
    repetition's value is ``>= 0``.
  * ``lower`` (a lower bound): ``L_N = E_c[J_N(pi_hat; c) - J_N(pi; c)]``, the gain of one fixed deviation
    ``pi_hat``: the best response to the average reward and transition tables of the *other* half of the
    repetitions (cross-fitting, so that ``pi_hat`` is independent of the paths it is scored on and the estimate is
    unbiased; it may come out negative by chance).
  * ``equilibrium_return``: ``E_c[J_N(pi; c)]``, agent 0's return when nobody deviates.

- **Soundness.** When the transitions do not depend on ``mu`` (left-right, rock-paper-scissors, beach bar, crowd
  modelling), the others' path is independent of agent 0's, so ``equilibrium_return`` is exactly agent 0's return
  in ``G_N``, ``L_N`` is exactly the gain of the deviation ``pi_hat`` in ``G_N``, and no deviation whatever
  (not even one that watches the whole population as it goes) gains more than ``U_N``: the true best-response gain
  ``eps_N`` of ``G_N`` (the most agent 0 can gain in expectation by any deviation) satisfies
  ``L_N <= eps_N <= U_N``. When the transitions depend on ``mu`` (epidemics,
  routing) the others' path is simulated with agent 0 playing ``pi`` and then held fixed: both bounds ignore the
  deviator's own ``O(1/N)`` influence on the others' moves.
- **Rates.** ``U_N`` shrinks like ``N^(-1/2)`` at an equilibrium where actions tie (a mixed equilibrium): the
  realised flow is off the mean field by ``O(N^(-1/2))`` and a clairvoyant deviator takes whichever side that
  favours (left-right: ``U_N sqrt(N) -> 1 / sqrt(pi)``, the normal limit of a binomial sum). A deviator that cannot
  see the population gains only ``O(1/N)`` in smooth games (left-right: exactly ``1 / (3N)``), so ``L_N`` falls
  faster. Both tend to the mean-field exploitability of ``pi`` as ``N -> infinity``: use a policy whose
  exploitability is far below the gains measured. :func:`approximation_curve` fits ``log gain = intercept + slope *
  log N`` (:func:`fit_power_law`).
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from equilibria.core.errors import GameError
from equilibria.games.mean_field import MeanFieldGame, check_policy, dense_kernel, first_best, validate

Array = Any


class EmpiricalFlows(NamedTuple):
    """Simulated N-player paths when every agent plays the policy (module docstring).

    Attributes:
      n_agents: ``N``.
      others: ``[R, T + 1, S]`` counts of the ``N - 1`` agents other than agent 0 (integers stored as float64;
        each row sums to ``N - 1``).
      agent: ``[R, T + 1]`` agent 0's state (int).
      flow: ``[R, T + 1, S]`` the empirical distribution ``mu^N_t`` of all N agents (rows sum to 1).
    """

    n_agents: int
    others: np.ndarray
    agent: np.ndarray
    flow: np.ndarray


class NPlayerGain(NamedTuple):
    """One agent's deviation gains in the N-player game (module docstring for each quantity).

    Attributes:
      n_agents, repetitions: ``N`` and ``R``.
      mean, standard_error, values: ``U_N`` (the gain of the best response to the realised empirical flow, an upper
        bound), its Monte Carlo standard error and its ``[R]`` per-repetition values (all ``>= 0``).
      lower_mean, lower_standard_error, lower_values: ``L_N`` (the cross-fitted gain of one fixed deviation, a
        lower bound), likewise (``[R]``).
      equilibrium_return, equilibrium_return_standard_error: agent 0's return in ``G_N`` when nobody deviates.
      mean_field_return: ``J(pi, mu^pi)``, the same return in the mean-field limit.
      exploitability: the mean-field exploitability of ``pi`` (the limit of both gains as ``N`` grows).
    """

    n_agents: int
    repetitions: int
    mean: float
    standard_error: float
    values: np.ndarray
    lower_mean: float
    lower_standard_error: float
    lower_values: np.ndarray
    equilibrium_return: float
    equilibrium_return_standard_error: float
    mean_field_return: float
    exploitability: float


class PowerLawFit(NamedTuple):
    """``log y = intercept + slope * log N`` by weighted least squares (:func:`fit_power_law`).

    Attributes:
      slope, slope_standard_error: the fitted exponent and its standard error (Monte Carlo error propagated, inflated
        by ``sqrt(reduced_chi2)`` when the points scatter more than their errors say).
      intercept: ``log y`` at ``N = 1``.
      reduced_chi2: the weighted residual sum of squares over ``points - 2`` (nan with two points).
      used: ``[K]`` bool, the points fitted (those whose mean is positive and at least ``min_z`` standard errors).
    """

    slope: float
    slope_standard_error: float
    intercept: float
    reduced_chi2: float
    used: np.ndarray


class ApproximationCurve(NamedTuple):
    """:func:`n_player_gain` over several N with the fitted rates.

    Attributes:
      n_agents: ``[K]``.
      gains: the K :class:`NPlayerGain`.
      fit: the power law of the upper bound ``U_N`` (expected slope about ``-1/2``).
      lower_fit: the power law of the lower bound ``L_N`` over the N where it is resolved (at least 2 standard
        errors above 0); slope nan when fewer than two are.
    """

    n_agents: np.ndarray
    gains: tuple[NPlayerGain, ...]
    fit: PowerLawFit
    lower_fit: PowerLawFit


# -- input checks ------------------------------------------------------------------------------------------------
def _positive_int(value: Any, caller: str, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise GameError(f"{caller}: {name} must be an integer >= {low}, got {value!r}")
    return int(value)


def _check(game: Any, policy: Any, caller: str) -> tuple[MeanFieldGame, np.ndarray]:
    if not isinstance(game, MeanFieldGame):
        raise GameError(f"{caller}: game must be a MeanFieldGame, got {type(game).__name__}")
    validate(game)
    return game, check_policy(game, policy, caller=f"{caller}: policy")


def _key(key: Any, caller: str) -> Any:
    import jax

    if isinstance(key, numbers.Integral) and not isinstance(key, bool):
        return jax.random.key(int(key))
    if isinstance(key, jax.Array) and (jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key)
                                       or (key.dtype == np.uint32 and key.shape == (2,))):
        return key
    raise GameError(f"{caller}: key must be a JAX PRNG key or an int seed, got {type(key).__name__}")


# -- simulation (pure JAX) ---------------------------------------------------------------------------------------
def _multinomial(key: Array, n: Array, p: Array) -> Array:
    """Counts ``[..., K]`` of ``n`` ``[...]`` draws with probabilities ``p`` ``[..., K]`` by conditional binomials.

    The last category takes the remainder, so the counts sum to ``n`` exactly (mass is conserved by construction;
    ``jax.random.multinomial`` relies on the last ratio rounding to exactly 1).
    """
    import jax
    import jax.numpy as jnp

    p = jnp.clip(p, 0.0, None)
    tail = jnp.cumsum(p[..., ::-1], axis=-1)[..., ::-1]  # tail[k] = sum_{j >= k} p_j
    ratios = jnp.clip(p / jnp.where(tail > 0, tail, 1.0), 0.0, 1.0)
    ratios = jnp.moveaxis(ratios, -1, 0)[:-1]
    keys = jax.random.split(key, ratios.shape[0])

    def draw(remaining: Array, xs: tuple[Array, Array]) -> tuple[Array, Array]:
        ratio, k = xs
        count = jax.random.binomial(k, remaining, ratio, dtype=remaining.dtype)
        count = jnp.minimum(count, remaining)  # never more than are left, whatever the rounding
        return remaining - count, count

    remaining, counts = jax.lax.scan(draw, n, (ratios, keys))
    return jnp.concatenate([jnp.moveaxis(counts, 0, -1), remaining[..., None]], axis=-1)


def _params(game: MeanFieldGame, dtype: Any) -> dict[str, Array]:
    import jax.numpy as jnp

    out = {}
    for name, value in game.params.items():
        arr = jnp.asarray(value)
        out[name] = arr.astype(dtype) if jnp.issubdtype(arr.dtype, jnp.floating) else arr
    return out


def _simulate_one(game: MeanFieldGame, policy: Array, n_agents: Array, key: Array) -> tuple[Array, Array]:
    """One repetition: the others' counts ``[T + 1, S]`` and agent 0's states ``[T + 1]``.

    Only states matter to the others' rewards and moves, so the others in ``s`` move by the action-marginal kernel
    ``K_t(s, s') = sum_a pi_t(a | s) P(s' | s, a, mu^N_t)``: ``Multinomial(c_t(s), K_t(s, .))``, exact in law. The
    initial draw is one more step of the same scan (from everyone in state 0, with every row of the kernel
    ``mu_0``), so the program holds a single binomial sampler, whose compilation dominates the cost.
    """
    import jax
    import jax.numpy as jnp

    S, T = game.n_states, game.horizon
    dtype = policy.dtype
    params = _params(game, dtype)
    initial = jnp.asarray(game.initial, dtype)

    def step(carry: tuple[Array, Array], xs: tuple[Array, Array]) -> tuple[Any, tuple[Array, Array]]:
        c, s = carry
        t, k = xs
        time = jnp.maximum(t, 0)
        mu = (c + jax.nn.one_hot(s, S, dtype=dtype)) / n_agents
        P = dense_kernel(game.transition(params, time, mu), S, dtype)
        kernel = jnp.einsum("sa,sap->sp", policy[time], P)
        kernel = jnp.where(t < 0, jnp.broadcast_to(initial, (S, S)), kernel)
        k_others, k_agent = jax.random.split(k)
        c_next = jnp.sum(_multinomial(k_others, c, kernel), axis=0)
        s_next = jax.random.categorical(k_agent, jnp.log(jnp.clip(kernel[s], 0.0, None))).astype(jnp.int32)
        return (c_next, s_next), (c_next, s_next)

    start = (jnp.zeros((S,), dtype).at[0].set(n_agents - 1), jnp.asarray(0, jnp.int32))
    _, (counts, states) = jax.lax.scan(step, start, (jnp.arange(-1, T), jax.random.split(key, T + 1)))
    return counts, states


def _tables(game: MeanFieldGame, counts: Array, n_agents: Array) -> tuple[Array, Array, Array]:
    """What agent 0 faces against the others' path ``counts`` ``[T + 1, S]``: rewards ``[T, S, A]``, transitions
    ``[T, S, A, S]`` and terminal rewards ``[S]``, each state's row evaluated at ``m_{t,s} = (c_t + e_s) / N``.

    The game's functions return whole tables, so this costs ``S`` evaluations (``O(S^3 A)`` numbers) per step and
    repetition: the scoring is meant for environments of up to a few dozen states.
    """
    import jax
    import jax.numpy as jnp

    S, T = game.n_states, game.horizon
    dtype = counts.dtype
    params = _params(game, dtype)
    eye = jnp.eye(S, dtype=dtype)
    diag = jnp.arange(S)

    def at(t: Array, c: Array) -> tuple[Array, Array]:
        seen = (c[None, :] + eye) / n_agents  # [S, S]: row s is what an agent in s sees
        r = jax.vmap(lambda mu: jnp.asarray(game.reward(params, t, mu), dtype))(seen)  # [S, S, A]
        P = jax.vmap(lambda mu: jnp.asarray(game.transition(params, t, mu), dtype))(seen)  # [S, S, A, S]
        return r[diag, diag], P[diag, diag]

    # One time step at a time (lax.map, not vmap): the S evaluations per step hold S^3 A numbers each.
    rewards, transitions = jax.lax.map(lambda xs: at(*xs), (jnp.arange(T), counts[:T]))
    final = game.terminal_reward
    if final is None:
        terminal = jnp.zeros((S,), dtype)
    else:
        seen = (counts[T][None, :] + eye) / n_agents
        terminal = jax.vmap(lambda mu: jnp.asarray(final(params, mu), dtype))(seen)[diag, diag]
    return rewards, transitions, terminal


def _backward(rewards: Array, transitions: Array, terminal: Array, discount: float,
              policy: Array | None) -> tuple[Array, Array]:
    """Backward induction on tables: (values at t = 0 ``[S]``, the policy followed ``[T, S, A]``); ``policy`` None
    is the best response (ties to the lowest action)."""
    import jax
    import jax.numpy as jnp

    A = rewards.shape[-1]
    pol = jnp.zeros_like(rewards) if policy is None else policy

    def step(v_next: Array, xs: tuple[Array, Array, Array]) -> tuple[Array, Array]:
        r, P, pi_t = xs
        q = r + discount * (P.reshape(-1, P.shape[-1]) @ v_next).reshape(r.shape)
        if policy is None:
            return jnp.max(q, axis=-1), jax.nn.one_hot(first_best(q), A, dtype=q.dtype)
        return jnp.sum(pi_t * q, axis=-1), pi_t

    v0, chosen = jax.lax.scan(step, terminal, (rewards, transitions, pol), reverse=True)
    return v0, chosen


def _simulate_batch(game: MeanFieldGame, policy: Array, n_agents: Array, key: Array,
                    repetitions: int) -> tuple[Array, Array]:
    import jax

    keys = jax.random.split(key, repetitions)
    return jax.vmap(lambda k: _simulate_one(game, policy, n_agents, k))(keys)


def _gains(game: MeanFieldGame, policy: Array, n_agents: Array, counts: Array) -> tuple[Array, Array, Array]:
    """Per repetition ``[R]`` of the others' paths ``counts`` ``[R, T + 1, S]``: the upper-bound gain, the
    cross-fitted lower-bound gain, the equilibrium return."""
    import jax
    import jax.numpy as jnp

    repetitions = counts.shape[0]
    rewards, transitions, terminal = jax.vmap(lambda c: _tables(game, c, n_agents))(counts)
    initial = jnp.asarray(game.initial, policy.dtype)
    discount = game.discount

    def returns_of(sigma: Array | None, r: Array, P: Array, v: Array) -> Array:
        return jnp.dot(initial, _backward(r, P, v, discount, sigma)[0])

    equilibrium = jax.vmap(lambda r, P, v: returns_of(policy, r, P, v))(rewards, transitions, terminal)
    best = jax.vmap(lambda r, P, v: returns_of(None, r, P, v))(rewards, transitions, terminal)
    # Cross-fitting: the deviation scored on each half is the best response to the other half's average tables.
    half = repetitions // 2
    first, second = slice(0, half), slice(half, repetitions)

    def fitted(part: slice) -> Array:
        return _backward(rewards[part].mean(0), transitions[part].mean(0), terminal[part].mean(0), discount,
                         None)[1]

    deviation = jnp.concatenate([jnp.broadcast_to(fitted(second), (half, *policy.shape)),
                                 jnp.broadcast_to(fitted(first), (repetitions - half, *policy.shape))])
    deviated = jax.vmap(returns_of)(deviation, rewards, transitions, terminal)
    return best - equilibrium, deviated - equilibrium, equilibrium


@functools.cache
def _compiled(name: str) -> Any:
    """The jitted programs; N is traced (one compilation serves every N). Simulation and scoring are separate
    programs so that the costly sampler is compiled once for both :func:`simulate` and :func:`n_player_gain`."""
    import jax

    if name == "simulate":
        return jax.jit(_simulate_batch, static_argnames=("repetitions",))
    return jax.jit(_gains)


# -- public functions --------------------------------------------------------------------------------------------
def simulate(game: MeanFieldGame, policy: Any, n_agents: int, *, repetitions: int, key: Any) -> EmpiricalFlows:
    """Simulate ``G_N`` with every agent playing ``policy`` ``[T, S, A]`` (module docstring), ``repetitions`` times.

    Returns :class:`EmpiricalFlows` (others' counts ``[R, T + 1, S]``, agent 0's states ``[R, T + 1]``, the
    empirical flow ``[R, T + 1, S]`` of all N agents). Deterministic given ``key`` (a JAX key or an int seed).
    Raises :class:`GameError` on ``n_agents < 1``, ``repetitions < 1`` or a malformed game or policy.
    """
    import jax
    import jax.numpy as jnp

    caller = "simulate"
    game, pi = _check(game, policy, caller)
    n = _positive_int(n_agents, caller, "n_agents", 1)
    reps = _positive_int(repetitions, caller, "repetitions", 1)
    k = _key(key, caller)
    with jax.enable_x64(True):
        counts, states = _compiled("simulate")(game, jnp.asarray(pi), jnp.asarray(float(n)), k, repetitions=reps)
        counts, states = np.asarray(counts, dtype=np.float64), np.asarray(states)
    flow = counts.copy()
    np.add.at(flow, (np.arange(reps)[:, None], np.arange(game.horizon + 1)[None, :], states), 1.0)
    return EmpiricalFlows(n, counts, states, flow / n)


def _mean_and_error(values: np.ndarray) -> tuple[float, float]:
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(values.size))


def n_player_gain(game: MeanFieldGame, policy: Any, n_agents: int, *, repetitions: int = 1000,
                  key: Any) -> NPlayerGain:
    """One agent's deviation gains in the N-player game where every other agent plays ``policy`` ``[T, S, A]``.

    ``mean`` estimates ``U_N`` (best response to the realised empirical flow; an upper bound on the gain of any
    deviation), ``lower_mean`` ``L_N`` (a cross-fitted fixed deviation; a lower bound), each with its Monte Carlo
    standard error over ``repetitions >= 2`` simulated paths; the module docstring states both precisely and when
    they are exact. Deterministic given ``key`` (a JAX key or an int seed). Raises :class:`GameError` (one line) on
    ``n_agents < 1``, ``repetitions < 2``, a malformed game or a policy of the wrong shape.
    """
    import jax
    import jax.numpy as jnp

    from equilibria.metrics.mean_field import exploitability, social_welfare

    caller = "n_player_gain"
    game, pi = _check(game, policy, caller)
    n = _positive_int(n_agents, caller, "n_agents", 1)
    reps = _positive_int(repetitions, caller, "repetitions", 2)
    k = _key(key, caller)
    with jax.enable_x64(True):
        policy_, size = jnp.asarray(pi), jnp.asarray(float(n))
        counts, _ = _compiled("simulate")(game, policy_, size, k, repetitions=reps)
        upper, lower, equilibrium = (np.asarray(x, dtype=np.float64)
                                     for x in _compiled("gains")(game, policy_, size, counts))
    # Round-off can leave a best response a hair below the policy it dominates; the true value is >= 0.
    upper = np.maximum(upper, 0.0)
    mean, error = _mean_and_error(upper)
    low, low_error = _mean_and_error(lower)
    ret, ret_error = _mean_and_error(equilibrium)
    return NPlayerGain(n, reps, mean, error, upper, low, low_error, lower, ret, ret_error,
                       social_welfare(game, pi), exploitability(game, pi))


def fit_power_law(n_agents: Sequence[float] | np.ndarray, means: Sequence[float] | np.ndarray,
                  standard_errors: Sequence[float] | np.ndarray, *,
                  min_z: float = 0.0) -> PowerLawFit:
    """Fit ``log mean = intercept + slope * log N`` by weighted least squares.

    Args:
      n_agents, means, standard_errors: ``[K]`` each; a point's weight is ``(mean / standard_error)**2`` (the
        delta method: ``sd(log mean) = standard_error / mean``).
      min_z: fit only points with ``mean > 0`` and ``mean >= min_z * standard_error``.

    Returns:
      :class:`PowerLawFit`; slope nan when fewer than two points qualify. The slope's standard error propagates the
      Monte Carlo errors and is multiplied by ``sqrt(reduced_chi2)`` when that exceeds 1 (points scattered beyond
      their errors: the power law is only approximate over the range).
    """
    ns = np.asarray(n_agents, dtype=np.float64)
    ys = np.asarray(means, dtype=np.float64)
    ses = np.asarray(standard_errors, dtype=np.float64)
    if not ns.shape == ys.shape == ses.shape or ns.ndim != 1:
        raise GameError(f"fit_power_law: n_agents, means and standard_errors must be [K] arrays of one length, "
                        f"got {list(ns.shape)}, {list(ys.shape)}, {list(ses.shape)}")
    used = (ys > 0) & (ys >= min_z * ses) & (ns > 0)
    if used.sum() < 2:
        return PowerLawFit(math.nan, math.nan, math.nan, math.nan, used)
    x, y = np.log(ns[used]), np.log(ys[used])
    rel = ses[used] / ys[used]
    # A point known exactly (zero error) would take all the weight: floor the relative error at 1e-12.
    w = 1.0 / np.maximum(rel, 1e-12) ** 2
    X = np.stack([np.ones_like(x), x], axis=1)
    cov = np.linalg.inv(X.T @ (w[:, None] * X))
    coef = cov @ (X.T @ (w * y))
    dof = int(used.sum()) - 2
    chi2 = float(np.sum(w * (y - X @ coef) ** 2) / dof) if dof > 0 else math.nan
    scale = math.sqrt(max(1.0, chi2)) if dof > 0 else 1.0
    return PowerLawFit(float(coef[1]), float(math.sqrt(cov[1, 1]) * scale), float(coef[0]), chi2, used)


def approximation_curve(game: MeanFieldGame, policy: Any, ns: Sequence[int], *, repetitions: int = 1000,
                        key: Any) -> ApproximationCurve:
    """:func:`n_player_gain` at every ``N`` in ``ns`` (independent keys folded from ``key``) and the fitted rates.

    ``ns``: ``[K]`` integers ``>= 1`` (``K >= 2``). The upper bound's fit uses every N with a positive gain; the
    lower bound's only those where it is at least 2 standard errors above 0.
    """
    import jax

    caller = "approximation_curve"
    game, pi = _check(game, policy, caller)
    try:
        sizes = [int(_positive_int(n, caller, "ns[]", 1)) for n in ns]
    except TypeError:
        raise GameError(f"{caller}: ns must be a sequence of integers >= 1, got {type(ns).__name__}") from None
    if len(sizes) < 2:
        raise GameError(f"{caller}: ns must hold at least 2 sizes, got {len(sizes)}")
    k = _key(key, caller)
    gains = tuple(n_player_gain(game, pi, n, repetitions=repetitions, key=jax.random.fold_in(k, i))
                  for i, n in enumerate(sizes))
    fit = fit_power_law(sizes, [g.mean for g in gains], [g.standard_error for g in gains])
    lower_fit = fit_power_law(sizes, [g.lower_mean for g in gains], [g.lower_standard_error for g in gains], min_z=2.0)
    return ApproximationCurve(np.asarray(sizes), gains, fit, lower_fit)


__all__ = ["ApproximationCurve", "EmpiricalFlows", "NPlayerGain", "PowerLawFit", "approximation_curve",
           "fit_power_law", "n_player_gain", "simulate"]
