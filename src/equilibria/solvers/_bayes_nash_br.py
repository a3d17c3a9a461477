"""Best-response iteration on a value grid x bid grid (the ``best_response`` method of :mod:`.bayes_nash`).

One iteration, for each group's representative bidder ``i`` (:mod:`._bayes_nash_setup`):

1. Draw ``M`` value profiles by Latin hypercube sampling (fresh each iteration) and let the others bid their
   current strategies: one common sample for every value and bid of bidder ``i`` (common random numbers).
2. Interim utilities ``u_i(v, b)`` for ``v`` on the value grid and ``b`` on a bid grid of ``K`` points on
   ``[0, high_i]``. Risk-neutral: the interim expected allocation ``A(b)`` and payment ``P(b)`` are averaged once per
   bid and ``u_i(v, b) = v A(b) - P(b)`` (quasi-linear utility: ``v`` times the allocation, less the payment; for
   position auctions the allocation is the expected clicks and ``v`` a value per click); with ``risk != 1`` the
   mechanism's ``utilities`` is averaged for every ``(v, b)``.
3. The best bid on the grid, then ``refine`` points within two grid steps of it, where the vertex of a parabola
   fitted to the utilities is taken (:func:`_vertex`), then the largest maximiser on a window of one grid step
   around that vertex (which finds kinks the parabola misses);
   the responses are filtered by (1/4, 1/2, 1/4) over neighbouring values (:func:`_smooth`: noise that alternates
   between grid values would otherwise grow from one iteration to the next).
   The top of the value grid also tries each other bidder's top bid, exactly. Its best response is typically that
   kink (where winning becomes certain; the utility is flat to second order just below it), which the parabola
   leans away from and the narrow window need not reach: against the exact all-pay and Plum equilibria the top
   value answered 0.485 for 0.5 and 0.657 for 2/3. No best response ever bids above the others' top, so the common
   top bid can only fall; an answer biased low each sweep drags it below the equilibrium's for good, the values
   under it then bunch just below it and jump to it, and the utility loss gathers in the top quarter of values
   (all-pay 1.9e-3 at 200 sweeps). Only the top value gets the candidate: offered to every value, the values below
   the top bunch exactly on it (Plum: the strong bidder flat at 0.653, loss 3.5e-3).
4. Damped update ``beta <- (1 - a_t) beta + a_t BR`` with ``a_t = damping / (1 + t / 50)`` (fictitious-play style
   averaging of bid functions: constant steps while the strategy settles, then harmonic ones that average the
   sampling noise away). Full steps (``damping = 1``) cycle in all-pay auctions; ``0.1`` (the default) settles
   on the settings tested: the common top bid falls from truthful bidding towards the equilibrium's and, as it can
   never rise again (3.), the slower it falls the less it overshoots. Defaults otherwise, 200 sweeps, top bid and
   loss (all-pay: 0.5 exact; Plum U[0, 1] vs U[0, 2]: 2/3): step 0.2 without the top-value candidate 0.493, 1.9e-3
   and 0.653, 1.2e-3; step 0.1 without it 0.497, 9.6e-4 and 0.654, 1.0e-3; step 0.1 with it 0.502, 4.3e-4 and
   0.656, 8.7e-4. As the step shrinks the samples grow: sweep ``t`` uses ``M * min(1 + t // 50, 8)``
   draws (a loop over batches of ``M``, so one compilation serves every size), since a small step only helps when
   the best responses it averages are not dominated by their own sampling noise.
5. The solver returns the mean of the iterates over the last part of the run (:mod:`.bayes_nash`,
   ``average_from``): in all-pay auctions the iterate keeps oscillating around the equilibrium.

The expectation is Monte Carlo, not quadrature: exact in distribution only through the stratification of the
Latin hypercube. Each step also estimates each group's utility loss on its own draws (a diagnostic, never the
certificate).

Monotone: checked, not imposed during the iteration (a running maximum of noisy responses is biased upwards). The
largest maximisers of a utility with increasing differences in ``(v, b)`` are monotone (Topkis), so the iterate
is monotone up to sampling noise; the returned bid function is its running maximum over values, and the largest
correction that made is reported.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from equilibria.solvers._bayes_nash_setup import Setup, cached_key, interpolate_bids, latin_hypercube, with_column

_COMPILED: dict[Any, Callable[..., Any]] = {}
# The damped step a_t = damping / (1 + t / _HALF_LIFE): constant at first (best responses in all-pay auctions jump
# between bidding nothing and bidding high; small steps let the averaged strategy settle), then harmonic, so the
# sampling noise of each best response averages out.
_HALF_LIFE = 50.0
# The samples per sweep grow with the step's decay, n_samples * min(1 + t // _HALF_LIFE, _MAX_REPEATS): the damped
# average then weighs sweeps of fewer and fewer noisy best responses (all-pay, 120 sweeps: 2048 samples left a
# utility loss of 4.4e-3, 8192 samples 1.9e-3), and the cap bounds a sweep's cost.
_MAX_REPEATS = 8


def _interim(setup: Setup, bidder: int, values: jax.Array, candidates: jax.Array, others: jax.Array,
             other_bids: jax.Array, risk: float) -> jax.Array:
    """``[G, C]`` interim utility of ``bidder`` with value ``values[g]`` bidding ``candidates[g, c]`` (or
    ``candidates[c]``, the same bids for every value).

    ``others``/``other_bids``: ``[M, n]`` sampled values and the bids they make (bidder's own column ignored).
    """
    from equilibria.games import auctions

    mechanism = setup.mechanism

    if risk == 1.0:
        def means(bids: jax.Array) -> tuple[jax.Array, jax.Array]:  # bids [C] -> A [C], P [C]
            profile = with_column(other_bids[None, :, :], bidder, bids[:, None])  # [C, M, n]
            outcome = auctions.outcome(mechanism, profile)
            return (outcome.allocation[..., bidder].mean(axis=1), outcome.payments[..., bidder].mean(axis=1))

        if candidates.ndim == 1:
            allocation, payment = means(candidates)
        else:
            allocation, payment = jax.lax.map(means, candidates)  # [G, C] each
        return values[:, None] * allocation - payment

    if candidates.ndim == 1:
        candidates = jnp.broadcast_to(candidates, (values.shape[0], candidates.shape[0]))

    def row(args: tuple[jax.Array, jax.Array]) -> jax.Array:
        value, bids = args
        profile = with_column(other_bids[None, :, :], bidder, bids[:, None])  # [C, M, n]
        own_values = with_column(others[None, :, :], bidder, jnp.broadcast_to(value, bids.shape)[:, None])
        return auctions.utilities(mechanism, own_values, profile, risk=risk)[..., bidder].mean(axis=1)

    return jax.lax.map(row, (values, candidates))


def _vertex(bids: jax.Array, utility: jax.Array) -> jax.Array:
    """``[G]``: the maximiser of a parabola fitted by least squares to ``utility [G, R]`` at ``bids [G, R]``.

    Interim utilities estimated on samples are step functions of the bid (steps of ``1 / M``) around a flat
    maximum, so the raw grid argmax wanders by ``O(M^-1/2)``; the fitted vertex averages the window. Where the fit
    is not concave or its vertex leaves the window (a kink: bidding 0, the reserve), the largest grid maximiser.
    """
    centre = bids.mean(axis=1, keepdims=True)
    width = jnp.maximum(bids[:, -1:] - bids[:, :1], 1e-12)
    x = (bids - centre) / width
    design = jnp.stack([jnp.ones_like(x), x, x * x], axis=-1)  # [G, R, 3]
    normal = jnp.einsum("grk,grl->gkl", design, design)
    coefficients = jnp.linalg.solve(normal, jnp.einsum("grk,gr->gk", design, utility)[..., None])[..., 0]
    c1, c2 = coefficients[:, 1], coefficients[:, 2]
    vertex = centre[:, 0] - width[:, 0] * c1 / jnp.where(c2 < 0, 2.0 * c2, -1.0)
    r = bids.shape[1]
    grid_best = jnp.take_along_axis(bids, (r - 1 - jnp.argmax(utility[:, ::-1], axis=1))[:, None], axis=1)[:, 0]
    inside = (c2 < 0) & (vertex >= bids[:, 0]) & (vertex <= bids[:, -1])
    return jnp.where(inside, vertex, grid_best)


def _smooth(response: jax.Array) -> jax.Array:
    """``[G]``: the response filtered by ``(1/4, 1/2, 1/4)`` over neighbouring values (the ends kept).

    A bump in the others' bid function moves the best response to it by much more than the bump (the interim
    utility is flat at its maximum), so sampling noise that alternates from one grid value to the next grows from
    one iteration to the next; the filter removes that highest frequency and moves a smooth response by
    ``beta'' h^2 / 4`` only (``h`` the value step).
    """
    inner = 0.25 * response[:-2] + 0.5 * response[1:-1] + 0.25 * response[2:]
    return jnp.concatenate([response[:1], inner, response[-1:]])


def _step(setup: Setup, n_bids: int, refine: int, n_samples: int, risk: float, bids: jax.Array, key: jax.Array,
          step: jax.Array, damping: jax.Array) -> tuple[jax.Array, jax.Array]:
    """One damped best-response iteration: ``bids [n, G]`` -> (new bids ``[n, G]``, loss estimate ``[n_groups]``)."""
    knots = jnp.asarray(setup.knots, dtype=bids.dtype)
    rate = damping / (1.0 + step / _HALF_LIFE)
    # Samples grow as the step shrinks (module docstring, 4.): `repeats` batches of n_samples, drawn again from the
    # same keys by each of the three searches below, so every search sees the same draws (common random numbers).
    repeats = jnp.minimum(1 + step // _HALF_LIFE, _MAX_REPEATS).astype(jnp.int32)

    def interim(i: int, values: jax.Array, candidates: jax.Array) -> jax.Array:
        def add(r: jax.Array, total: jax.Array) -> jax.Array:
            others = latin_hypercube(setup.priors, jax.random.fold_in(key, r), n_samples)
            other_bids = interpolate_bids(knots, bids, others)
            # Under jax.enable_x64 the samples come in float64: the running total keeps the bids' dtype.
            return total + _interim(setup, i, values, candidates, others, other_bids, risk).astype(total.dtype)

        shape = (values.shape[0], candidates.shape[-1])
        return jax.lax.fori_loop(0, repeats, add, jnp.zeros(shape, dtype=bids.dtype)) / repeats

    group_bids, losses = [], []
    fractions = jnp.linspace(0.0, 1.0, refine)
    for i in setup.representatives:
        values = knots[i]
        high = float(setup.bid_high[i])
        grid = jnp.linspace(0.0, high, n_bids)
        coarse = interim(i, values, grid)  # [G, K]
        best = n_bids - 1 - jnp.argmax(coarse[:, ::-1], axis=1)  # the largest maximiser
        low = grid[jnp.maximum(best - 2, 0)]
        top = grid[jnp.minimum(best + 2, n_bids - 1)]
        fine = low[:, None] + (top - low)[:, None] * fractions  # [G, refine]
        candidates = jnp.concatenate([fine, bids[i][:, None]], axis=1)
        utility = interim(i, values, candidates)  # [G, refine + 1]
        first = _vertex(fine, utility[:, :refine])
        # Second pass: the largest maximiser on a window of one grid step around the first vertex. A parabola
        # fitted across a kink of the utility (the top of the others' bids, where winning becomes certain) leans
        # towards the flatter side, and that bias compounds from one iteration to the next (the top bid drifts
        # down); the argmax finds the kink, and within the narrow window its noise is bounded and averages out.
        step_size = high / (n_bids - 1)
        narrow = jnp.clip(first[:, None] + step_size * (fractions - 0.5), 0.0, high)  # [G, refine]
        # The top value also tries the others' top bids (module docstring, 3.): where winning becomes certain.
        tops = jnp.clip(jnp.stack([bids[j, -1] for j in range(setup.n) if j != i]), 0.0, high)
        top_row = (jnp.arange(narrow.shape[0]) == narrow.shape[0] - 1)[:, None]
        extra = jnp.where(top_row, jnp.broadcast_to(tops, (narrow.shape[0], tops.shape[0])), narrow[:, :1])
        narrow = jnp.concatenate([narrow, extra], axis=1)  # [G, refine + n - 1]
        close = interim(i, values, narrow)
        choice = narrow.shape[1] - 1 - jnp.argmax(close[:, ::-1], axis=1)
        response = _smooth(jnp.take_along_axis(narrow, choice[:, None], axis=1)[:, 0])
        best_utility = jnp.maximum(jnp.maximum(utility[:, :refine].max(axis=1), close.max(axis=1)),
                                   coarse.max(axis=1))
        weights = jnp.asarray(setup.weights[i], dtype=bids.dtype)
        losses.append(jnp.sum(weights * jnp.maximum(best_utility - utility[:, refine], 0.0)))
        group_bids.append((1.0 - rate) * bids[i] + rate * response)
    new = jnp.stack([group_bids[g] for g in setup.owner])
    return new, jnp.stack(losses)


def best_response_step(setup: Setup, *, n_bids: int, refine: int, n_samples: int,
                       risk: float) -> Callable[..., tuple[jax.Array, jax.Array]]:
    """The jitted iteration ``(bids [n, G], key, step, damping) -> (bids, loss estimate [n_groups])``, compiled once
    per mechanism, priors and sizes."""
    key = cached_key("br", setup.mechanism, setup.priors, setup.groups, setup.knots.shape, n_bids, refine, n_samples,
                     risk)
    compiled = _COMPILED.get(key) if key is not None else None
    if compiled is None:
        compiled = jax.jit(partial(_step, setup, n_bids, refine, n_samples, risk))
        if key is not None:
            _COMPILED[key] = compiled
    return compiled


def truthful_start(setup: Setup) -> np.ndarray:
    """``[n, G]``: every bidder bids its value (bnelearn's pretraining target too)."""
    return np.array(setup.knots, dtype=np.float32)
