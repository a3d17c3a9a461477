"""Neural pseudo-gradient ascent on monotone bid functions (the ``gradient`` method of :mod:`.bayes_nash`).

Bichler, Fichtl, Heidekrüger, Kohring and Sutterer (2021), "Learning equilibria in symmetric auction games using
artificial neural networks", *Nature Machine Intelligence* 3 (NPGA): every bidder ascends its own expected utility
simultaneously, and since the ex-post utility is a step function of the bid, the gradient is estimated by evolution
strategies (ES): ``grad ~ sum_p (U(theta + sigma eps_p) - mean) eps_p / (P sigma)`` over ``P`` Gaussian
perturbations (here antithetic pairs ``+-eps``), each evaluated on the same batch of value profiles (common random
numbers), the others playing their current strategies; Adam (optax) takes the step. Symmetric bidders share one
parameter vector and the group's first bidder's pseudo-gradient, as bnelearn does.

The bid function is not bnelearn's MLP but a monotone piecewise-linear function on the value grid ``knots [G]``:
``b(knots[0]) = softplus(theta[0]) * (high - low)``, ``b(knots[k]) = b(knots[k-1]) + softplus(theta[k]) * step``,
interpolated between the knots and clamped at the ends; monotone by construction, and exactly the
:class:`~equilibria.games.auctions.BidFunction` returned. It starts at truthful bidding (bnelearn pretrains to it).
Iterations run in chunks of ``lax.scan`` inside one jitted call; perturbations are batched with ``vmap``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from equilibria.solvers._bayes_nash_setup import Setup, cached_key, interpolate_bids, latin_hypercube, with_column

_COMPILED: dict[Any, Callable[..., Any]] = {}
# The step size decays harmonically, lr / (1 + t / _HALF_LIFE) (Robbins-Monro: sum lr_t diverges, sum lr_t^2
# does not). Adam normalises each coordinate's step to about lr whatever the gradient's size, so where the mean
# gradient is nearly 0 (the increments of low values, flat utilities) the ES noise drives a random walk of size
# lr sqrt(t); under a constant (or cosine, which stays within 10% of lr for most of a run) rate, longer runs and
# larger rates ended further from the equilibrium (first price, n = 2, grid 33: 2000 steps 1.05e-3, 6000 steps 4.6e-3).
_HALF_LIFE = 100.0
_SMALLEST_FIRST_BID = 1e-3  # truthful start at a zero lowest value: softplus cannot reach 0, start just above it


def _scales(setup: Setup) -> tuple[np.ndarray, np.ndarray]:
    """``[n, G]`` multipliers of softplus(theta) per bidder: the support's width, then the knot spacing."""
    width = setup.knots[:, -1] - setup.knots[:, 0]
    spacing = np.diff(setup.knots, axis=1)
    return width, np.concatenate([width[:, None], spacing], axis=1)


def bids_of(theta: jax.Array, scale: jax.Array) -> jax.Array:
    """Bids on the knots ``[..., G]`` from parameters ``theta [..., G]`` (module docstring)."""
    return jnp.cumsum(jax.nn.softplus(theta) * scale, axis=-1)


def truthful_parameters(setup: Setup) -> np.ndarray:
    """``[n_groups, G]`` parameters of truthful bidding (the start)."""
    width, scale = _scales(setup)
    rows = []
    for i in setup.representatives:
        first = max(float(setup.knots[i, 0]), _SMALLEST_FIRST_BID * float(width[i])) / float(width[i])
        softplus = np.concatenate([[first], np.ones(scale.shape[1] - 1)])
        rows.append(np.log(np.expm1(softplus)))  # softplus^-1
    return np.stack(rows).astype(np.float32)


def knot_bids(setup: Setup, theta: jax.Array) -> jax.Array:
    """``[n, G]`` every bidder's bids on its knots from the groups' parameters ``[n_groups, G]``."""
    _, scale = _scales(setup)
    scales = jnp.asarray(scale, dtype=theta.dtype)
    return jnp.stack([bids_of(theta[g], scales[i]) for i, g in enumerate(setup.owner)])


def _chunk(setup: Setup, optimizer: optax.GradientTransformation, learning_rate: float, batch: int, population: int,
           sigma: float, risk: float, length: int, state: tuple[Any, ...], todo: jax.Array,
           horizon: jax.Array, average_from: jax.Array) -> tuple[tuple[Any, ...], jax.Array]:
    """``length`` NPGA iterations (the first ``todo`` applied); returns the state and the mean utilities.

    ``state``: ``(theta [n_groups, G], Adam state, key, step, average [n, G], count)``: ``average`` is the running
    mean of the knot bids over the steps from ``horizon * average_from`` on (Polyak-Ruppert tail averaging:
    Adam's normalised steps keep every increment jittering by about the step size even where the mean gradient is
    0, and the bids, cumulative sums of the increments, wander like a random walk across the knots; the mean of the
    last iterates cancels that jitter, while the iterate itself does not settle). The step size decays harmonically
    (:data:`_HALF_LIFE`); ``horizon`` and ``average_from`` are arguments, not constants, so a new budget reuses the
    compiled chunk."""
    from equilibria.games import auctions

    mechanism = setup.mechanism
    _, scale_np = _scales(setup)
    knots = jnp.asarray(setup.knots, dtype=jnp.float32)
    scale = jnp.asarray(scale_np, dtype=jnp.float32)

    def iteration(carry: tuple[Any, ...], t: jax.Array) -> tuple[tuple[Any, ...], jax.Array]:
        theta, opt_state, key, step, average, count = carry
        key, value_key, noise_key = jax.random.split(key, 3)
        values = latin_hypercube(setup.priors, value_key, batch)  # [B, n]
        current = interpolate_bids(knots, knot_bids(setup, theta), values)  # [B, n]
        grads, means = [], []
        for g, i in enumerate(setup.representatives):
            half = jax.random.normal(jax.random.fold_in(noise_key, g), (population // 2, theta.shape[1]))
            eps = jnp.concatenate([half, -half])  # [P, G] antithetic

            def utility(perturbation: jax.Array, i: int = i, g: int = g) -> jax.Array:
                own = jnp.interp(values[:, i], knots[i], bids_of(theta[g] + sigma * perturbation, scale[i]))
                profile = with_column(current, i, own)
                return auctions.utilities(mechanism, values, profile, risk=risk)[:, i].mean()

            u = jax.vmap(utility)(eps)  # [P]
            grads.append(jnp.mean((u - u.mean())[:, None] * eps, axis=0) / sigma)
            means.append(u.mean())
        direction, new_opt = optimizer.update(jnp.stack(grads), opt_state, theta)  # Adam's step for ascent
        rate = learning_rate / (1.0 + step / _HALF_LIFE)
        new_theta = theta + rate * direction
        active = t < todo
        # The carry keeps its dtypes whether or not the caller runs under jax.enable_x64 (the samples and the
        # schedule then come in float64; the parameters stay float32).
        theta = jnp.where(active, new_theta, theta).astype(theta.dtype)
        opt_state = jax.tree_util.tree_map(lambda new, old: jnp.where(active, new, old).astype(old.dtype), new_opt,
                                           opt_state)
        averaging = active & (step >= average_from * horizon)
        new_count = count + averaging
        bids = knot_bids(setup, theta)
        average = jnp.where(averaging, average + (bids - average) / jnp.maximum(new_count, 1.0), average)
        return (theta, opt_state, key, step + active, average.astype(theta.dtype), new_count), jnp.stack(means)

    state, utilities = jax.lax.scan(iteration, state, jnp.arange(length))
    return state, utilities


def npga_chunk(setup: Setup, *, learning_rate: float, batch: int, population: int, sigma: float, risk: float,
               length: int) -> tuple[optax.GradientTransformation, Callable[..., Any]]:
    """Adam's direction (optax ``scale_by_adam``) and the jitted chunk ``(state, todo, horizon) -> (state,
    utilities [length, n_groups])`` (:func:`_chunk`; ``(state, todo, horizon, average_from)``), compiled once per
    mechanism, priors and sizes."""
    optimizer = optax.scale_by_adam()
    key = cached_key("npga", setup.mechanism, setup.priors, setup.groups, setup.knots.shape, learning_rate, batch,
                     population, sigma, risk, length)
    compiled = _COMPILED.get(key) if key is not None else None
    if compiled is None:
        compiled = jax.jit(partial(_chunk, setup, optimizer, learning_rate, batch, population, sigma, risk, length))
        if key is not None:
            _COMPILED[key] = compiled
    return optimizer, compiled
