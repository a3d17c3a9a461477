"""Reward models for inverse RL: a state reward ``r = model(features)`` computed from an MDP's state features.

A :class:`RewardModel` is two pure functions around an explicit parameter pytree, so that the IRL iteration
(:mod:`equilibria.applications.irl.maxent`) can hold the parameters in its state and ``jax.vmap`` over seeds/MDPs:

- ``init(features, key) -> params``: fresh parameters (``features: [S, F]``);
- ``apply(params, features) -> reward``: the state reward ``[S]``.

Two kinds:

- :func:`linear_reward`: ``reward = features @ theta``, ``params = theta: [F]`` (zeros at init, so the first
  policy is uniformly random). Its gradient with respect to ``theta`` is ``features^T`` times the gradient with
  respect to the reward, which is how max-ent IRL's "difference of feature expectations" arises.
- :func:`mlp_reward` / :func:`module_reward`: an equinox module applied to each state's feature vector
  (``[F] -> scalar``). Neural-network library: **equinox**, as in ``applications/gan/players.py``: the module is
  split into its arrays (the parameters) and its static rest (layer sizes, activation; closed over by ``apply``).

Neural rewards are not identifiable beyond what the demonstrations pin down (max-ent IRL fixes a state reward up to
the invariances of the soft-optimal policy: a constant shift, and on an infinite horizon potential shaping), and
their training objective is not concave; they are fitted by the same gradient (the occupancy difference pulled back
through the network by the chain rule), with no global-optimality claim.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp

from equilibria.core.errors import GameError


@dataclass(frozen=True)
class RewardModel:
    """A parametric state reward: ``init(features [S, F], key) -> params``, ``apply(params, features) -> [S]``.

    ``name``: ``"linear"``, ``"mlp"`` or ``"module"`` (reported in a result's parameters); ``linear``: True when
    ``apply`` is ``features @ params`` (then ``params`` is the weight vector ``theta [F]``).
    """

    name: str
    init: Callable[[jax.Array, jax.Array], Any]
    apply: Callable[[Any, jax.Array], jax.Array]
    linear: bool = False


def linear_reward() -> RewardModel:
    """``reward = features @ theta`` with ``theta: [F]``, initialised at zero."""

    def init(features: jax.Array, key: jax.Array) -> jax.Array:
        del key  # zero is the max-entropy start: the uniformly random policy
        return jnp.zeros(features.shape[-1], dtype=features.dtype)

    def apply(theta: jax.Array, features: jax.Array) -> jax.Array:
        return features @ theta

    return RewardModel("linear", init, apply, linear=True)


# One shared linear model: compiled fits are cached per model object (maxent._compiled).
LINEAR = linear_reward()


def module_reward(module: Any) -> RewardModel:
    """A reward from an equinox module mapping one state's features ``[F]`` to a scalar (or a one-element
    array); ``init`` returns the module's own arrays (the key is not used: the module is already initialised)."""
    import equinox as eqx

    if not callable(module):
        raise GameError(f"reward_model: expected 'linear', 'mlp' or an equinox module, got {type(module).__name__}")
    params, static = eqx.partition(module, eqx.is_inexact_array)

    def init(features: jax.Array, key: jax.Array) -> Any:
        del key
        return jax.tree_util.tree_map(lambda x: jnp.asarray(x, dtype=features.dtype), params)

    def apply(p: Any, features: jax.Array) -> jax.Array:
        model = eqx.combine(p, static)
        return jax.vmap(lambda phi: jnp.reshape(model(phi), ()))(features)

    return RewardModel("module", init, apply)


def mlp_reward(n_features: int, hidden: Sequence[int] = (32,), *, activation: Callable[..., Any] = jax.nn.tanh,
               key: Any = 0) -> RewardModel:
    """An MLP ``[F] -> scalar`` with the given hidden widths (all equal widths: equinox's ``MLP``; default one
    hidden layer of 32 tanh units), drawn from ``key`` (an int seed or a JAX key) at ``init``."""
    import equinox as eqx

    hidden = tuple(int(h) for h in hidden)
    if not hidden or any(h < 1 for h in hidden) or len(set(hidden)) != 1:
        raise GameError(f"mlp_reward: hidden must be one or more equal positive widths, got {hidden!r}")
    if isinstance(n_features, bool) or not isinstance(n_features, int) or n_features < 1:
        raise GameError(f"mlp_reward: n_features must be a positive integer, got {n_features!r}")
    template = eqx.nn.MLP(n_features, "scalar", hidden[0], len(hidden), activation=activation,
                          key=jax.random.key(0))
    _, static = eqx.partition(template, eqx.is_inexact_array)
    default_key = key

    def init(features: jax.Array, key: jax.Array | None = None) -> Any:
        k = _key(default_key if key is None else key)
        model = eqx.nn.MLP(n_features, "scalar", hidden[0], len(hidden), activation=activation, key=k)
        params, _ = eqx.partition(model, eqx.is_inexact_array)
        return jax.tree_util.tree_map(lambda x: jnp.asarray(x, dtype=features.dtype), params)

    def apply(p: Any, features: jax.Array) -> jax.Array:
        model = eqx.combine(p, static)
        return jax.vmap(model)(features)

    return RewardModel("mlp", init, apply)


def _key(key: Any) -> jax.Array:
    if isinstance(key, int) and not isinstance(key, bool):
        return jax.random.key(key)
    return key


def reward_model_from(spec: Any, n_features: int) -> RewardModel:
    """``"linear"``, ``"mlp"`` (one hidden layer of 32), a :class:`RewardModel`, or an equinox module."""
    if isinstance(spec, RewardModel):
        return spec
    if isinstance(spec, str):
        if spec == "linear":
            return LINEAR
        if spec == "mlp":
            return mlp_reward(n_features)
        raise GameError(f"reward_model: unknown model {spec!r} (known: linear, mlp, or an equinox module)")
    return module_reward(spec)
