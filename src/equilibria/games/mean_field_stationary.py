"""Stationary discounted mean-field games: one representative agent against a time-invariant population.

Conventions (written once, here; the finite-horizon twin is :mod:`equilibria.games.mean_field`):

- **The game.** ``S`` states, ``A`` actions, a discount ``gamma`` in ``(0, 1)``, no horizon. An agent in state ``s``
  taking action ``a`` against the population distribution ``mu`` receives ``reward(params, mu)[s, a]`` and moves
  to ``s'`` with probability ``transition(params, mu)[s, a, s']``; its return is ``sum_{t >= 0} gamma**t r_t``
  against a *fixed* ``mu`` (the population is stationary). Rewards are utilities to maximise.
- **Shapes.** A policy is stationary, ``[S, A]`` (``policy[s, a] = pi(a | s)``); a distribution ``[S]``; values
  ``[S]``; Q-values ``[S, A]``.
- **The stationary distribution of a policy** ``mu^pi`` is a fixed point of ``mu -> mu P(pi, mu)``, where
  ``P(pi, mu)[s, s'] = sum_a pi(a | s) transition(params, mu)[s, a, s']``. :func:`stationary_distribution` finds
  it by the damped iteration ``mu_{k+1} = (1 - d) mu_k + d mu_k P(pi, mu_k)`` from ``mu_0 = initial`` (the
  damping ``d`` makes the chain lazy, which has the same fixed points and removes periodic oscillation), stopping
  at the first ``k`` with ``||mu_k P(pi, mu_k) - mu_k||_1 <= tol`` or at ``max_iterations``. It is **not unique**
  when the chain ``P(pi, mu)`` has several closed classes (then the limit is the one ``initial`` leads to: this
  is what ``initial`` is kept for) or when the mean-field dependence of the transitions creates several fixed
  points (SIS: the disease-free and the endemic state; the iteration returns the one that attracts ``initial``).
  With transitions that do not depend on ``mu`` and an irreducible chain it is unique and the iteration converges
  geometrically.
- **A mean-field equilibrium** (stationary, discounted: Guo, Hu, Xu and Zhang 2019; Anahtarci, Kariksiz and Saldi
  2023) is a policy ``pi`` optimal for the Markov decision process ``(transition(mu), reward(mu), gamma)`` with
  ``mu = mu^pi``. Against a fixed ``mu`` everything below is a plain discounted MDP: :func:`evaluate` and
  :func:`q_values` solve the Bellman equation ``V = r_pi + gamma P_pi V`` exactly (a linear solve),
  :func:`best_response` is policy iteration (exact: it stops when the greedy policy repeats, ties to the lowest
  action), :func:`softmax_response` the entropy/KL-regularised best response (soft policy iteration).
- **Pure JAX, pytree, import cost, precision, sparse kernels**: as in :mod:`equilibria.games.mean_field`
  (``transition`` may return a :class:`~equilibria.games.mean_field.SparseTransition`; the linear solves use the
  dense table). ``transition`` and ``reward`` must be module-level functions (or ``functools.partial`` of them).

:func:`to_finite_horizon` turns a stationary game into a :class:`~equilibria.games.mean_field.MeanFieldGame` with
the same data and a horizon (the consistency check between the two: a long horizon approaches the stationary
answer). The certificate lives in :mod:`equilibria.metrics.mean_field_stationary`.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from equilibria.core.errors import GameError
from equilibria.core.pytrees import register_pytree_when_jax_loads
from equilibria.games.mean_field import (
    MeanFieldGame,
    SparseTransition,
    _as_kernel,
    _check_data_fields,
    _check_step_outputs,
    _checked_policy,
    _concrete,
    _evaluated_at_initial,
    _expect,
    _MeanFieldData,
    _push,
    dense_kernel,
    first_best,
)

Array = Any

# Default caps of the inner iterations (each stops earlier at its tolerance).
STATIONARY_MAX_ITERATIONS = 20_000
POLICY_ITERATION_MAX = 500


@register_pytree_when_jax_loads
@dataclass(frozen=True, eq=False)
class StationaryMeanFieldGame(_MeanFieldData):
    """A stationary discounted mean-field game (conventions in the module docstring).

    Args:
      name: a label (the zoo name for zoo games).
      n_states: ``S >= 1``.
      n_actions: ``A >= 1``.
      initial: ``[S]``, ``mu_0``: where the stationary-distribution iteration starts (it selects the fixed point
        when there are several) and the weights of the ``"initial"`` value.
      params: the environment's numeric parameters, name -> float scalar/array (the pytree leaves, vmappable).
      transition: ``transition(params, mu) -> [S, A, S]`` (or a ``SparseTransition``), ``P(s' | s, a, mu)``.
      reward: ``reward(params, mu) -> [S, A]``, ``r(s, a, mu)``.
      discount: ``gamma`` in ``(0, 1)``.
      description: one paragraph for listings.
      state_names, action_names: labels for printing (``S`` and ``A`` of them).
    """

    name: str
    n_states: int
    n_actions: int
    initial: Array
    params: Mapping[str, Array]
    transition: Callable[..., Any]
    reward: Callable[..., Any]
    discount: float = 0.9
    description: str = ""
    state_names: tuple[str, ...] | None = None
    action_names: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise GameError(f"StationaryMeanFieldGame.name: expected a string, got {type(self.name).__name__}")
        where = f"StationaryMeanFieldGame({self.name!r})" if self.name else "StationaryMeanFieldGame"
        for field_name in ("n_states", "n_actions"):
            value = getattr(self, field_name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise GameError(f"{where}.{field_name}: expected an integer >= 1, got {value!r}")
            object.__setattr__(self, field_name, int(value))
        for field_name in ("transition", "reward"):
            if not callable(getattr(self, field_name)):
                raise GameError(f"{where}.{field_name}: expected a function (params, mu) -> array, "
                                f"got {type(getattr(self, field_name)).__name__}")
        discount = self.discount
        if isinstance(discount, bool) or not isinstance(discount, numbers.Real) or not 0 < float(discount) < 1:
            raise GameError(f"{where}.discount: expected a number in (0, 1) (a stationary game needs "
                            f"discounting), got {discount!r}")
        object.__setattr__(self, "discount", float(discount))
        _check_data_fields(self, where)

    # -- pytree protocol -------------------------------------------------------------------------------------
    _STATIC = ("name", "n_states", "n_actions", "transition", "reward", "discount", "description", "state_names",
               "action_names")

    def describe(self) -> str:
        label = f"{self.name}: " if self.name else ""
        return (f"{label}stationary mean-field game, {self.n_states} states, {self.n_actions} actions, "
                f"discount {self.discount:g}")


class BestResponse(NamedTuple):
    """A best response to a fixed distribution: ``policy`` ``[S, A]`` (deterministic, ties to the lowest action)
    and its optimal ``values`` ``[S]``."""

    policy: Array
    values: Array


class Stationary(NamedTuple):
    """What :func:`stationary_distribution` returns: the ``distribution`` ``[S]``, its ``residual``
    ``||mu P(pi, mu) - mu||_1`` (scalar; above ``tol`` when the cap stopped the iteration) and the ``iterations``
    done (int scalar)."""

    distribution: Array
    residual: Array
    iterations: Array


# -- validation ------------------------------------------------------------------------------------------------
def _step_at_initial(game: StationaryMeanFieldGame) -> dict[str, Any]:
    import jax.numpy as jnp

    dtype = _dtype(game.initial, game.params)
    mu = jnp.asarray(game.initial, dtype)
    params = _params(game, dtype)
    return {"transition at mu_0": dense_kernel(game.transition(params, mu), game.n_states, dtype),
            "reward at mu_0": game.reward(params, mu)}


@functools.cache
def _jitted_step_at_initial() -> Any:
    import jax

    return jax.jit(_step_at_initial)


def validate(game: StationaryMeanFieldGame) -> StationaryMeanFieldGame:
    """Evaluate ``transition`` and ``reward`` at ``mu_0`` and check them (float64); returns ``game``.

    Checks: ``transition`` ``[S, A, S]``, non-negative, rows summing to 1 (within 1e-6); ``reward`` ``[S, A]``;
    all finite. Raises :class:`GameError` (one line) otherwise; skipped inside JAX transformations.
    """
    if not isinstance(game, StationaryMeanFieldGame):
        raise GameError(f"game: expected a StationaryMeanFieldGame, got {type(game).__name__}")
    if not (_concrete(game.initial) and _concrete(game.params)):
        return game
    check_step_outputs(game, _evaluated_at_initial(game, _jitted_step_at_initial()))
    return game


def check_step_outputs(game: StationaryMeanFieldGame, outputs: Mapping[str, Any]) -> None:
    """Raise a one-line GameError when :func:`validate`'s evaluations have wrong shapes or values (the
    finite-horizon checks, which read only ``name``, ``n_states`` and ``n_actions``)."""
    _check_step_outputs(game, outputs)  # type: ignore[arg-type]


def check_policy(game: StationaryMeanFieldGame, policy: Any, caller: str = "policy") -> np.ndarray:
    """A stationary policy as a float64 NumPy ``[S, A]`` array of probabilities, or a one-line GameError."""
    return _checked_policy(policy, (game.n_states, game.n_actions), "[S, A]", "pi(. | s)", caller)


def uniform_policy(game: StationaryMeanFieldGame) -> np.ndarray:
    """The uniform policy ``[S, A]`` (float64 NumPy)."""
    return np.full((game.n_states, game.n_actions), 1.0 / game.n_actions)


# -- core operations (pure JAX) ---------------------------------------------------------------------------------
def _dtype(*arrays: Any) -> Any:
    import jax
    import jax.numpy as jnp

    return jnp.result_type(jnp.float32, *jax.tree_util.tree_leaves(arrays))


def _params(game: StationaryMeanFieldGame, dtype: Any) -> dict[str, Array]:
    """The parameters as JAX arrays of the working precision (floats cast, integers kept)."""
    import jax.numpy as jnp

    out = {}
    for key, value in game.params.items():
        arr = jnp.asarray(value)
        out[key] = arr.astype(dtype) if jnp.issubdtype(arr.dtype, jnp.floating) else arr
    return out


def _default_tol(dtype: Any, float64: float, float32: float) -> float:
    import jax.numpy as jnp

    return float64 if jnp.finfo(dtype).eps < 1e-10 else float32


def stationary_distribution(game: StationaryMeanFieldGame, policy: Array, *, damping: float = 0.5,
                            tol: float | None = None,
                            max_iterations: int = STATIONARY_MAX_ITERATIONS) -> Stationary:
    """The stationary distribution ``[S]`` of ``policy`` ``[S, A]`` played by the whole population (module
    docstring: a fixed point of ``mu -> mu P(pi, mu)``, found by the damped iteration from ``initial``).

    ``damping`` in ``(0, 1]``: the weight of the new step (1: the plain iteration, which oscillates on periodic
    chains). ``tol``: stop when ``||mu P(pi, mu) - mu||_1 <= tol`` (None: 1e-13 in float64, 1e-6 in float32);
    ``max_iterations``: the cap (the returned ``residual`` then says how far from a fixed point it is). Every
    iterate is a probability vector (mass is conserved exactly up to rounding). Pure JAX (a
    ``lax.while_loop``): jit- and vmap-safe.
    """
    return _compiled("stationary")(game, policy, damping, tol, max_iterations)


def _stationary(game: StationaryMeanFieldGame, policy: Array, damping: Any, tol: float | None,
                max_iterations: int) -> Stationary:
    import jax
    import jax.numpy as jnp

    dtype = _dtype(game.initial, game.params, policy)
    policy = jnp.asarray(policy, dtype)
    params = _params(game, dtype)
    d = jnp.asarray(damping, dtype)
    tol_ = jnp.asarray(_default_tol(dtype, 1e-13, 1e-6) if tol is None else tol, dtype)

    def push(mu: Array) -> Array:
        return _push(_as_kernel(game.transition(params, mu), dtype), mu[:, None] * policy)

    # The carry holds mu_k and mu_k P(pi, mu_k): the residual is the undamped one, of the iterate returned.
    def cond(carry: tuple[Array, Array, Array]) -> Array:
        mu, pushed, k = carry
        return (jnp.sum(jnp.abs(pushed - mu)) > tol_) & (k < max_iterations)

    def body(carry: tuple[Array, Array, Array]) -> tuple[Array, Array, Array]:
        mu, pushed, k = carry
        nxt = (1 - d) * mu + d * pushed
        return nxt, push(nxt), k + 1

    mu0 = jnp.asarray(game.initial, dtype)
    mu, pushed, k = jax.lax.while_loop(cond, body, (mu0, push(mu0), jnp.asarray(0, jnp.int32)))
    residual = jnp.sum(jnp.abs(pushed - mu))
    return Stationary(mu, residual, k)


def _kernel_and_reward(game: StationaryMeanFieldGame, mu: Array, dtype: Any) -> tuple[Array, Array]:
    """The dense ``[S, A, S]`` kernel and the ``[S, A]`` reward at the fixed ``mu``."""
    import jax.numpy as jnp

    params = _params(game, dtype)
    mu = jnp.asarray(mu, dtype)
    kernel = dense_kernel(game.transition(params, mu), game.n_states, dtype)
    return kernel, jnp.asarray(game.reward(params, mu), dtype)


def _policy_values(kernel: Array, reward: Array, policy: Array, discount: Any, bonus: Array | None = None) -> Array:
    """``[S]``: ``V = (I - gamma P_pi)^{-1} (r_pi + bonus)``, the exact discounted values of ``policy``."""
    import jax.numpy as jnp

    p_pi = jnp.einsum("sa,sap->sp", policy, kernel)
    r_pi = jnp.sum(policy * reward, axis=-1) + (0 if bonus is None else bonus)
    eye = jnp.eye(kernel.shape[0], dtype=kernel.dtype)
    return jnp.linalg.solve(eye - discount * p_pi, r_pi)


def _q(kernel: Array, reward: Array, values: Array, discount: Any) -> Array:
    return reward + discount * _expect(kernel, values)


def _policy_iteration(game: StationaryMeanFieldGame, mu: Array) -> tuple[Array, Array, Array]:
    """Howard's policy iteration against the fixed ``mu``: (policy ``[S, A]`` one-hot, values ``[S]``, Q ``[S, A]``).

    Starts from the greedy policy of the reward and stops when the greedy policy (ties to the lowest action up to
    rounding, :func:`~equilibria.games.mean_field.first_best`) repeats: then its values solve the Bellman
    optimality equation, so the answer is exact up to the linear solve's rounding. Each step improves the values,
    so it terminates (in practice in a handful of steps; capped at ``POLICY_ITERATION_MAX`` against rounding
    cycles between tied actions).
    """
    import jax
    import jax.numpy as jnp

    dtype = _dtype(game.initial, game.params, mu)
    kernel, reward = _kernel_and_reward(game, mu, dtype)
    discount = jnp.asarray(game.discount, dtype)
    A = game.n_actions

    def greedy(q: Array) -> Array:
        return jax.nn.one_hot(first_best(q), A, dtype=dtype)

    def cond(carry: tuple[Array, Array, Array, Array]) -> Array:
        _, _, changed, k = carry
        return changed & (k < POLICY_ITERATION_MAX)

    def body(carry: tuple[Array, Array, Array, Array]) -> tuple[Array, Array, Array, Array]:
        policy, _, _, k = carry
        values = _policy_values(kernel, reward, policy, discount)
        new = greedy(_q(kernel, reward, values, discount))
        return new, values, jnp.any(new != policy), k + 1

    start = (greedy(reward), jnp.zeros(game.n_states, dtype), jnp.asarray(True), jnp.asarray(0, jnp.int32))
    policy, _, _, _ = jax.lax.while_loop(cond, body, start)
    values = _policy_values(kernel, reward, policy, discount)
    return policy, values, _q(kernel, reward, values, discount)


def _evaluate(game: StationaryMeanFieldGame, policy: Array, mu: Array) -> tuple[Array, Array]:
    import jax.numpy as jnp

    dtype = _dtype(game.initial, game.params, policy, mu)
    kernel, reward = _kernel_and_reward(game, mu, dtype)
    discount = jnp.asarray(game.discount, dtype)
    values = _policy_values(kernel, reward, jnp.asarray(policy, dtype), discount)
    return values, _q(kernel, reward, values, discount)


def _soft_policy_iteration(game: StationaryMeanFieldGame, mu: Array, temperature: Array, prior: Array | None,
                           tol: float | None, max_iterations: int) -> Array:
    """The KL-regularised best response by soft policy iteration: evaluate ``pi`` with its bonus
    ``-tau KL(pi(. | s) || prior(. | s))`` exactly, then ``pi <- softmax(Q / tau + log prior)``; stops when the
    values move by at most ``tol`` in the max norm (the iteration is monotone and converges like Newton's)."""
    import jax
    import jax.numpy as jnp

    dtype = _dtype(game.initial, game.params, mu, temperature, prior)
    kernel, reward = _kernel_and_reward(game, mu, dtype)
    discount = jnp.asarray(game.discount, dtype)
    tau = jnp.asarray(temperature, dtype)
    S, A = game.n_states, game.n_actions
    if prior is None:
        log_prior = jnp.full((S, A), -math.log(A), dtype)
    else:
        prior = jnp.asarray(prior, dtype)
        # log 0 = -inf excludes an action; where() keeps the gradient finite.
        log_prior = jnp.where(prior > 0, jnp.log(jnp.where(prior > 0, prior, 1.0)), -jnp.inf)
    tol_ = jnp.asarray(_default_tol(dtype, 1e-12, 1e-5) if tol is None else tol, dtype)

    def improve(values: Array) -> Array:
        q = _q(kernel, reward, values, discount)
        return jax.nn.softmax((q - jnp.max(q, axis=-1, keepdims=True)) / tau + log_prior, axis=-1)

    def soft_values(policy: Array) -> Array:
        safe = jnp.where(policy > 0, policy, 1.0)
        kl = jnp.sum(jnp.where(policy > 0, policy * (jnp.log(safe) - jnp.where(policy > 0, log_prior, 0.0)), 0.0),
                     axis=-1)
        return _policy_values(kernel, reward, policy, discount, bonus=-tau * kl)

    def cond(carry: tuple[Array, Array, Array, Array]) -> Array:
        _, _, change, k = carry
        return (change > tol_) & (k < max_iterations)

    def body(carry: tuple[Array, Array, Array, Array]) -> tuple[Array, Array, Array, Array]:
        policy, values, _, k = carry
        new_values = soft_values(policy)
        return improve(new_values), new_values, jnp.max(jnp.abs(new_values - values)), k + 1

    # The first body evaluates the prior itself (values start at inf: the first change is never within tol).
    start = (jnp.exp(log_prior), jnp.full((S,), jnp.inf, dtype), jnp.asarray(jnp.inf, dtype),
             jnp.asarray(0, jnp.int32))
    policy, _, _, _ = jax.lax.while_loop(cond, body, start)
    return policy


@functools.cache
def _compiled(name: str) -> Any:
    """The jitted operations (the game an argument: its arrays traced, the rest static; compiled once per game
    structure in a Python loop, inlined inside a caller's jit/vmap)."""
    import jax

    table: dict[str, Any] = {
        "stationary": jax.jit(_stationary, static_argnums=(3, 4)),
        "best": jax.jit(_policy_iteration),
        "evaluate": jax.jit(_evaluate),
        "soft": jax.jit(_soft_policy_iteration, static_argnums=(4, 5)),
    }
    return table[name]


def q_values(game: StationaryMeanFieldGame, policy: Array | None, mu: Array) -> Array:
    """Q-values ``[S, A]`` of ``policy`` ``[S, A]`` against the fixed distribution ``mu`` ``[S]`` (of the best
    response when ``policy`` is None): ``Q(s, a) = r(s, a, mu) + gamma sum_s' P(s' | s, a, mu) V(s')``."""
    if policy is None:
        return _compiled("best")(game, mu)[2]
    return _compiled("evaluate")(game, policy, mu)[1]


def evaluate(game: StationaryMeanFieldGame, policy: Array, mu: Array) -> Array:
    """The values ``[S]`` of ``policy`` ``[S, A]`` against the fixed ``mu`` ``[S]``: the exact solution of
    ``V = r_pi + gamma P_pi V`` (a linear solve)."""
    return _compiled("evaluate")(game, policy, mu)[0]


def best_response(game: StationaryMeanFieldGame, mu: Array) -> BestResponse:
    """The exact best response to the fixed ``mu`` ``[S]`` by policy iteration (deterministic, ties to the lowest
    action) and its optimal values ``[S]``."""
    policy, values, _ = _compiled("best")(game, mu)
    return BestResponse(policy, values)


def softmax_response(game: StationaryMeanFieldGame, mu: Array, temperature: Array, prior: Array | None = None, *,
                     tol: float | None = None, max_iterations: int = POLICY_ITERATION_MAX) -> Array:
    """The regularised best response ``[S, A]`` to the fixed ``mu`` ``[S]``.

    It maximises ``E[sum_t gamma**t (r_t - temperature * KL(pi(. | s_t) || prior(. | s_t)))]`` (entropy
    regularisation when ``prior`` ``[S, A]`` is None, i.e. uniform): ``pi(a | s) ∝ prior(a | s) exp(Q(s, a) /
    temperature)`` at the soft Q-values' fixed point, found by soft policy iteration (stops when the values move
    by at most ``tol``, None: 1e-12 in float64, 1e-5 in float32, or after ``max_iterations``).
    """
    return _compiled("soft")(game, mu, temperature, prior, tol, max_iterations)


def returns(game: StationaryMeanFieldGame, policy: Array, mu: Array, weights: Array | None = None) -> Array:
    """``sum_s w(s) V^{pi, mu}(s)``: the expected discounted return of ``policy`` against the fixed ``mu`` for an
    agent whose state is drawn from ``weights`` ``[S]`` (None: ``mu`` itself, the stationary population)."""
    import jax.numpy as jnp

    values = evaluate(game, policy, mu)
    w = jnp.asarray(mu if weights is None else weights, values.dtype)
    return jnp.dot(w, values)


# -- the finite-horizon twin ----------------------------------------------------------------------------------
def _timeless(function: Callable[..., Any], params: Any, t: Any, mu: Any) -> Any:
    return function(params, mu)


def to_finite_horizon(game: StationaryMeanFieldGame, horizon: int, *,
                      initial: Any | None = None) -> MeanFieldGame:
    """The :class:`~equilibria.games.mean_field.MeanFieldGame` with ``game``'s data, the same discount and
    ``horizon`` decision times (no terminal reward), starting from ``initial`` (None: ``game.initial``).

    Started at a stationary distribution ``mu^pi`` with ``pi`` repeated at every time, its flow stays at ``mu^pi``
    and its values are the stationary ones truncated after ``horizon`` steps (off by at most
    ``gamma**horizon max|r| / (1 - gamma)``): the consistency check between the two classes.
    """
    if isinstance(horizon, bool) or not isinstance(horizon, numbers.Integral) or horizon < 1:
        raise GameError(f"to_finite_horizon: horizon must be an integer >= 1, got {horizon!r}")
    return MeanFieldGame(
        name=game.name, n_states=game.n_states, n_actions=game.n_actions, horizon=int(horizon),
        initial=game.initial if initial is None else initial, params=dict(game.params),
        transition=functools.partial(_timeless, game.transition),
        reward=functools.partial(_timeless, game.reward), discount=game.discount,
        description=game.description, state_names=game.state_names, action_names=game.action_names)


__all__ = [
    "BestResponse",
    "SparseTransition",
    "Stationary",
    "StationaryMeanFieldGame",
    "best_response",
    "check_policy",
    "check_step_outputs",
    "evaluate",
    "q_values",
    "returns",
    "softmax_response",
    "stationary_distribution",
    "to_finite_horizon",
    "uniform_policy",
    "validate",
]
