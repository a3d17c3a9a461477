"""Certificates for bidding strategies in auctions: interim utilities, the utility loss, IC regret, L2 distance.

Conventions. ``n`` bidders with independent private values, bidder ``j``'s value drawn from ``priors[j]``
(:mod:`equilibria.games.auction_priors`); a strategy maps values ``v [...]`` to bids ``[...]``
(:mod:`equilibria.games.auctions`). Expectations over the other bidders' values are Monte Carlo means over
``n_samples`` draws of the whole value profile (``sample_values(priors, key, n_samples)``); the *same* draws serve
every value and bid on a grid (common random numbers), so differences between grid points carry much less noise
than the points themselves. A standard error is ``std / sqrt(n_samples)`` of the per-draw quantity it describes.
Values on a grid are the prior's quantiles at the midpoints ``(k + 1/2) / n_values``, so a plain average over the
grid is a quadrature of ``E_v[.]`` under the prior. The draws are JAX's (``key``), the strategies are evaluated on
them as NumPy arrays (no compilation per strategy), and the utilities on the grid are computed in float64 either by
one JAX program compiled per mechanism, bidder and risk exponent (``backend="jax"``, the default: for repeated
calls, as a solver makes, and accelerators) or by the same code in NumPy (``backend="numpy"``: no compilation, the
faster choice for one call on small grids; at the defaults JAX is several times faster, compile included).
Risk-neutral utility is ``v * allocation - payment``, so one outcome per grid bid serves every value; with
``risk != 1`` every value is evaluated (``games.auctions.utilities(risk=...)``).

What is computed (bnelearn's definitions: Bichler, Fichtl, Heidekrüger, Kohring and Sutterer 2021, "Learning
equilibria in symmetric auction games using artificial neural networks", *Nature Machine Intelligence* 3; Bichler,
Kohring and Heidekrüger 2023, "Learning equilibria in asymmetric auction games", *INFORMS J. Computing* 35):

- interim utility ``u_i(v, b) = E_{v_-i}[ U_i(v, (b, beta_-i(v_-i))) ]`` (:func:`interim_utility`).
- ex-interim utility loss at value ``v``: ``l_i(v) = max_{b in G ∪ {beta_i(v)}} u_i(v, b) - u_i(v, beta_i(v)) >= 0``
  over a grid ``G`` of ``n_bids`` alternative bids evenly spaced on ``bid_range`` (default ``[0, max_j high_j]``);
  ``per_bidder[i] = E_v[l_i(v)]`` (bnelearn's ``L``, the estimated ex-interim utility loss),
  ``per_bidder_max[i] = max_v l_i(v)`` (bnelearn's ``epsilon``),
  ``relative[i] = 1 - E_v[u_i(v, beta_i(v))] / E_v[max_b u_i(v, b)]`` (bnelearn's relative ex-ante loss ``ℒ``).
  The maximum is taken on the same draws the utilities come from (as bnelearn does), which biases the estimate up
  by a few standard errors of a *difference* of utilities; the grid biases it down (a best response between grid
  points is missed). ``stderr[i]`` is the standard error of ``per_bidder[i]`` for the chosen best bids.
  ``held_out[i]`` (beyond bnelearn) removes the upward bias: the best grid bid for each value is chosen on the first
  half of the draws and ``E_v[u_i(v, b*(v)) - u_i(v, beta_i(v))]`` is measured on the second half, an unbiased
  estimate of a number between 0 and the true loss (it may come out negative at an equilibrium), with
  ``held_out_stderr[i]``. At an equilibrium ``held_out`` is within sampling error of 0 or below it, while
  ``per_bidder`` is typically about 3 ``stderr`` above 0.
- IC regret of truthful bidding (others truthful): ``gain(v) = max_{m in M ∪ {v}} u(v, m) - u(v, v)``, the largest
  expected gain from misreporting over a grid ``M`` of misreports (:func:`ic_regret`).
- ``l2_distance(s, r, prior) = sqrt(E_v[(s(v) - r(v))**2])`` by midpoint quadrature in the prior's quantiles.
- :func:`ex_ante_utilities` and :func:`expected_revenue`: plain Monte Carlo means with their standard errors.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from equilibria.core.errors import GameError

Strategy = Callable[[Any], Any]


class InterimUtility(NamedTuple):
    """``mean[v, b]``: bidder's expected utility with value ``values[v]`` bidding ``bids[b]``; ``stderr[v, b]``."""

    mean: np.ndarray
    stderr: np.ndarray


class UtilityLoss(NamedTuple):
    """The utility-loss certificate (module docstring); ``values``/``best_bids`` are ``[n, n_values]``."""

    per_bidder: np.ndarray
    per_bidder_max: np.ndarray
    relative: np.ndarray
    stderr: np.ndarray
    values: np.ndarray
    best_bids: np.ndarray
    held_out: np.ndarray
    held_out_stderr: np.ndarray


class ICRegret(NamedTuple):
    """IC regret of truthful bidding per value on the grid (``[V]`` each), its maximum and mean over values."""

    values: np.ndarray
    gain: np.ndarray
    best_misreport: np.ndarray
    stderr: np.ndarray
    max_gain: float
    mean_gain: float


# --- checks -----------------------------------------------------------------------------------------------------------

def _n_bidders(mechanism: Any) -> int:
    n = getattr(mechanism, "n_bidders", None)
    if n is None:
        n = 3 if type(mechanism).__name__ == "LLGAuction" else None
    if n is None:
        raise GameError(f"mechanism: expected an auction mechanism, got {type(mechanism).__name__}")
    return int(n)


def _check(mechanism: Any, priors: Sequence[Any], strategies: Sequence[Strategy] | None, n_samples: int,
           key: Any, bidder: int | None = None) -> int:
    n = _n_bidders(mechanism)
    if len(priors) != n:
        raise GameError(f"priors: expected one prior per bidder ({n}), got {len(priors)}")
    if strategies is not None and len(strategies) != n:
        raise GameError(f"strategies: expected one strategy per bidder ({n}), got {len(strategies)}")
    if int(n_samples) != n_samples or n_samples < 2:
        raise GameError(f"n_samples: expected a whole number >= 2, got {n_samples}")
    if key is None:
        raise GameError("key: expected a JAX PRNG key (jax.random.key(seed)), got None")
    if bidder is not None and not (int(bidder) == bidder and 0 <= bidder < n):
        raise GameError(f"bidder: expected an index in 0..{n - 1}, got {bidder}")
    return n


def _grid_count(name: str, count: int) -> int:
    if int(count) != count or count < 1:
        raise GameError(f"{name}: expected a whole number >= 1, got {count}")
    return int(count)


def _value_grid(prior: Any, n_values: int) -> np.ndarray:
    """The prior's quantiles at the midpoints ``(k + 1/2) / n_values`` (``[n_values]``)."""
    return np.asarray(prior.quantile((np.arange(n_values) + 0.5) / n_values), dtype=float)


def _bid_grid(priors: Sequence[Any], n_bids: int, bid_range: tuple[float, float] | None) -> np.ndarray:
    low, high = (0.0, max(float(p.high) for p in priors)) if bid_range is None else map(float, bid_range)
    if not (np.isfinite(low) and np.isfinite(high) and low <= high):
        raise GameError(f"bid_range: expected finite low <= high, got {bid_range}")
    return np.linspace(low, high, n_bids)


# --- kernels (one code for NumPy and JAX) -----------------------------------------------------------------------------

def _profile(xp: Any, others: Any, bidder: int, own: Any) -> Any:
    """``others [S, n]`` with column ``bidder`` replaced by ``own`` (``[..., 1]`` against the draws' axis)."""
    column = xp.arange(others.shape[-1]) == bidder
    return xp.where(column, own[..., None], others)


def _half_mean(xp: Any, u: Any) -> Any:
    """``[2, ...]``: the mean over each half of the draws (last axis; the halves serve the held-out estimate and
    average to the full mean)."""
    return xp.moveaxis(xp.mean(u.reshape(*u.shape[:-1], 2, u.shape[-1] // 2), axis=-1), -1, 0)


def _sample_utilities(xp: Any, mechanism: Any, bidder: int, risk: float, value: Any, bids: Any, values: Any,
                      others_bids: Any) -> Any:
    """``[..., K, S]``: the bidder's utility on every draw with value ``value [...]`` bidding ``bids [..., K]``."""
    from equilibria.games import auctions

    profile_bids = _profile(xp, others_bids, bidder, bids[..., None])
    profile_values = _profile(xp, values, bidder, value[..., None, None])
    return auctions.utilities(mechanism, profile_values, profile_bids, risk=risk)[..., bidder]


def _grid_moments_kernel(xp: Any, mechanism: Any, bidder: int, risk: float, grid_values: Any, bids: Any,
                         values: Any, others_bids: Any) -> tuple[Any, Any]:
    """Mean and mean square of the utility per half of the draws, ``[2, V, B]`` each, for a shared grid
    ``bids [B]``. Risk-neutral utility is ``v * allocation - payment``: one outcome per grid bid serves every value
    (``B x S`` profiles); otherwise one value at a time (``V x B x S`` utilities, memory ``B x S``)."""
    from equilibria.games import auctions

    if risk == 1.0:
        result = auctions.outcome(mechanism, _profile(xp, others_bids, bidder, bids[:, None]))
        a, p = result.allocation[..., bidder], result.payments[..., bidder]
        ea, eaa, ep, epp, eap = (_half_mean(xp, x)[:, None, :] for x in (a, a * a, p, p * p, a * p))
        v = grid_values[None, :, None]
        return v * ea - ep, v * v * eaa - 2.0 * v * eap + epp

    def one(value: Any) -> Any:
        u = _sample_utilities(xp, mechanism, bidder, risk, value, bids, values, others_bids)
        return _half_mean(xp, u), _half_mean(xp, u * u)

    if xp is np:
        m1, m2 = (np.stack(parts, axis=1) for parts in zip(*(one(v) for v in grid_values), strict=True))
        return m1, m2
    import jax

    m1, m2 = jax.lax.map(one, grid_values)
    return xp.moveaxis(m1, 0, 1), xp.moveaxis(m2, 0, 1)


def _deviation_kernel(xp: Any, mechanism: Any, bidder: int, risk: float, grid_values: Any, own: Any, grid: Any,
                      values: Any, others_bids: Any) -> tuple[Any, Any]:
    """The candidates ``[V, 3]`` (the best grid bid on all draws, the best grid bid on the first half of the draws,
    the own bid ``own [V]``) and their per-draw utilities ``[V, 3, S]``: one program, one compile."""
    m1, _ = _grid_moments_kernel(xp, mechanism, bidder, risk, grid_values, grid, values, others_bids)
    best_full = grid[xp.argmax(xp.mean(m1, axis=0), axis=1)]
    best_half = grid[xp.argmax(m1[0], axis=1)]
    candidates = xp.stack([best_full, best_half, own], axis=1)
    return candidates, _sample_utilities(xp, mechanism, bidder, risk, grid_values, candidates, values, others_bids)


@functools.cache
def _jitted(kernel: Callable[..., Any], mechanism: Any, bidder: int, risk: float) -> Callable[..., Any]:
    """``kernel`` compiled for one mechanism, bidder and risk exponent (another structure compiles anew)."""
    import jax
    import jax.numpy as jnp

    return jax.jit(functools.partial(kernel, jnp, mechanism, bidder, risk))


def _run(kernel: Callable[..., Any], backend: str, mechanism: Any, bidder: int, risk: float,
         *arrays: Any) -> tuple[np.ndarray, ...]:
    if backend == "numpy":
        out = kernel(np, mechanism, bidder, risk, *(np.asarray(a, dtype=np.float64) for a in arrays))
    else:
        import jax.numpy as jnp

        out = _jitted(kernel, mechanism, bidder, float(risk))(*(jnp.asarray(a, jnp.float64) for a in arrays))
    return tuple(np.asarray(x) for x in out)


def _draws(priors: Sequence[Any], strategies: Sequence[Strategy], key: Any, n_samples: int,
           bidder: int) -> tuple[np.ndarray, np.ndarray]:
    """Value profiles ``[S, n]`` and the bids the strategies make there (bidder ``bidder``'s key is folded in;
    ``S`` is rounded up to an even number, for the two halves)."""
    import jax

    from equilibria.games.auction_priors import sample_values

    n_samples += n_samples % 2
    values = np.asarray(sample_values(priors, jax.random.fold_in(key, bidder), n_samples), dtype=np.float64)
    # The strategies see NumPy: a closed form or a BidFunction is evaluated at once, without compiling anything.
    bids = np.stack([np.asarray(s(values[:, j]), dtype=np.float64) for j, s in enumerate(strategies)], axis=-1)
    if bids.shape != values.shape or not np.all(np.isfinite(bids)):
        raise GameError("strategies: expected finite bids, one per value")
    return values, bids


# --- public metrics ---------------------------------------------------------------------------------------------------

def _stderr(m1: np.ndarray, m2: np.ndarray, count: int) -> np.ndarray:
    var = np.maximum(m2 - m1**2, 0.0) * count / (count - 1)
    return np.sqrt(var / count)


def interim_utility(mechanism: Any, priors: Sequence[Any], strategies: Sequence[Strategy], bidder: int, values: Any,
                    bids: Any, *, n_samples: int = 2**14, key: Any, risk: float = 1.0,
                    backend: str = "jax") -> InterimUtility:
    """Bidder ``bidder``'s expected utility with value ``values[v]`` bidding ``bids[b]`` (``mean, stderr [V, B]``),
    the others bidding ``strategies[j](v_j)`` with ``v_j ~ priors[j]`` (``strategies[bidder]`` is not used)."""
    import jax

    _check(mechanism, priors, strategies, n_samples, key, bidder)
    grid_values = np.atleast_1d(np.asarray(values, dtype=float))
    grid_bids = np.atleast_1d(np.asarray(bids, dtype=float))
    if grid_values.ndim != 1 or grid_bids.ndim != 1:
        raise GameError("values, bids: expected 1-D grids")
    if not (np.all(np.isfinite(grid_values)) and np.all(np.isfinite(grid_bids))):
        raise GameError("values, bids: expected finite numbers")
    with jax.enable_x64(True):
        draws, others = _draws(priors, strategies, key, int(n_samples), bidder)
        m1, m2 = _run(_grid_moments_kernel, _backend(backend), mechanism, bidder, risk, grid_values, grid_bids,
                      draws, others)
    m1, m2 = m1.mean(axis=0), m2.mean(axis=0)
    return InterimUtility(m1, _stderr(m1, m2, int(draws.shape[0])))


class _Deviation(NamedTuple):
    """One bidder's best grid deviation from ``own`` bids (:func:`_best_deviation`)."""

    loss: np.ndarray  # [V] in-sample loss per value, >= 0
    best: np.ndarray  # [V] the best bid (own where no grid bid is better)
    u_own: np.ndarray  # [V]
    stderr: float  # of the in-sample mean loss over values, for the chosen bids
    stderr_per_value: np.ndarray  # [V] of each value's loss
    held_out: float  # mean over values of u(best on half A) - u(own), measured on half B
    held_out_stderr: float


def _best_deviation(backend: str, mechanism: Any, bidder: int, risk: float, values: np.ndarray, own: np.ndarray,
                    grid: np.ndarray, draws: np.ndarray, others: np.ndarray) -> _Deviation:
    candidates, samples = _run(_deviation_kernel, backend, mechanism, bidder, risk, values, own, grid, draws, others)
    u_best, u_own = samples[:, 0].mean(axis=-1), samples[:, 2].mean(axis=-1)
    better = u_best > u_own  # the own bid is a candidate: the in-sample loss is never negative
    chosen = np.where(better[:, None], samples[:, 0], samples[:, 2])
    differences = np.mean(chosen - samples[:, 2], axis=0)  # [S]: the loss averaged over values, per draw
    half = samples.shape[-1] // 2
    held = np.mean(samples[:, 1, half:] - samples[:, 2, half:], axis=0)  # [S/2]: chosen on A, measured on B
    root_s = np.sqrt(samples.shape[-1])
    return _Deviation(np.where(better, u_best - u_own, 0.0), np.where(better, candidates[:, 0], own), u_own,
                      float(np.std(differences, ddof=1) / root_s),
                      np.std(chosen - samples[:, 2], axis=-1, ddof=1) / root_s, float(np.mean(held)),
                      float(np.std(held, ddof=1) / np.sqrt(held.size)))


def _backend(backend: str) -> str:
    if backend not in ("jax", "numpy"):
        raise GameError(f"backend: expected 'jax' or 'numpy', got {backend!r}")
    return backend


def utility_loss(mechanism: Any, priors: Sequence[Any], strategies: Sequence[Strategy], *, n_values: int = 64,
                 n_bids: int = 256, n_samples: int = 2**14, key: Any, risk: float = 1.0,
                 bid_range: tuple[float, float] | None = None, bidders: Sequence[int] | None = None,
                 backend: str = "jax") -> UtilityLoss:
    """The ex-interim utility loss of every bidder (module docstring): ``per_bidder``, ``per_bidder_max``,
    ``relative``, ``stderr``, ``held_out``, ``held_out_stderr`` (``[n]`` each), the value grid and the best bids
    (``[n, n_values]``).

    ``bidders`` restricts the work to some bidders (the others' entries are NaN), e.g. one of a symmetric setting.
    ``backend``: ``"jax"`` (compiled once per mechanism, bidder and risk) or ``"numpy"`` (no compilation: faster
    for one call on small grids).
    """
    import jax

    n = _check(mechanism, priors, strategies, n_samples, key)
    n_values, n_bids = _grid_count("n_values", n_values), _grid_count("n_bids", n_bids)
    grid = _bid_grid(priors, n_bids, bid_range)
    chosen = range(n) if bidders is None else [int(i) for i in bidders]
    for i in chosen:
        if not 0 <= i < n:
            raise GameError(f"bidders: expected indices in 0..{n - 1}, got {i}")
    out = {name: np.full(n, np.nan) for name in UtilityLoss._fields[:4] + UtilityLoss._fields[6:]}
    all_values, all_best = np.full((n, n_values), np.nan), np.full((n, n_values), np.nan)
    with jax.enable_x64(True):
        for i in chosen:
            values = _value_grid(priors[i], n_values)
            own = np.asarray(strategies[i](values), dtype=float)
            if own.shape != values.shape or not np.all(np.isfinite(own)):
                raise GameError(f"strategies[{i}]: expected finite bids of the values' shape")
            draws, others = _draws(priors, strategies, key, int(n_samples), i)
            d = _best_deviation(_backend(backend), mechanism, i, risk, values, own, grid, draws, others)
            out["per_bidder"][i], out["per_bidder_max"][i] = float(np.mean(d.loss)), float(np.max(d.loss))
            out["stderr"][i] = d.stderr
            best_response = float(np.mean(d.u_own + d.loss))
            out["relative"][i] = 1.0 - float(np.mean(d.u_own)) / best_response if best_response > 0 else 0.0
            out["held_out"][i], out["held_out_stderr"][i] = d.held_out, d.held_out_stderr
            all_values[i], all_best[i] = values, d.best
    return UtilityLoss(out["per_bidder"], out["per_bidder_max"], out["relative"], out["stderr"], all_values,
                       all_best, out["held_out"], out["held_out_stderr"])


def ic_regret(mechanism: Any, priors: Sequence[Any], *, bidder: int = 0, n_values: int = 64,
              misreports: int | Any = 256, n_samples: int = 2**14, key: Any, backend: str = "jax") -> ICRegret:
    """The empirical IC regret of truthful bidding for bidder ``bidder``, everyone else truthful.

    ``misreports``: the number of evenly spaced misreports on ``[0, max_j high_j]``, or the misreports themselves.
    """
    import jax

    n = _check(mechanism, priors, None, n_samples, key, bidder)
    n_values = _grid_count("n_values", n_values)
    if np.ndim(misreports) == 0:
        grid = _bid_grid(priors, _grid_count("misreports", int(misreports)), None)
    else:
        grid = np.asarray(misreports, dtype=float).ravel()
        if grid.size == 0 or not np.all(np.isfinite(grid)):
            raise GameError("misreports: expected a non-empty grid of finite numbers")
    values = _value_grid(priors[bidder], n_values)
    with jax.enable_x64(True):
        draws, others = _draws(priors, [_identity] * n, key, int(n_samples), bidder)
        d = _best_deviation(_backend(backend), mechanism, bidder, 1.0, values, values, grid, draws, others)
    return ICRegret(values, d.loss, d.best, d.stderr_per_value, float(np.max(d.loss)), float(np.mean(d.loss)))


def _identity(v: Any) -> Any:
    return v


def l2_distance(strategy: Strategy, reference: Strategy, prior: Any, *, n_points: int = 1024) -> float:
    """``sqrt(E_v[(strategy(v) - reference(v))**2])``, ``v ~ prior``, by midpoint quadrature in the quantiles."""
    values = _value_grid(prior, _grid_count("n_points", n_points))
    difference = np.asarray(strategy(values), dtype=float) - np.asarray(reference(values), dtype=float)
    if difference.shape != values.shape or not np.all(np.isfinite(difference)):
        raise GameError("strategy, reference: expected finite bids of the values' shape")
    return float(np.sqrt(np.mean(difference**2)))


def ex_ante_utilities(mechanism: Any, priors: Sequence[Any], strategies: Sequence[Strategy], *,
                      n_samples: int = 2**16, key: Any, risk: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Each bidder's expected utility ``E_v[U_i(v, beta(v))]`` and its standard error (``[n]`` each)."""
    import jax

    from equilibria.games import auctions

    _check(mechanism, priors, strategies, n_samples, key)
    with jax.enable_x64(True):
        values, bids = _draws(priors, strategies, key, int(n_samples), 0)
    u = np.asarray(auctions.utilities(mechanism, values, bids, risk=risk))  # NumPy in, NumPy out: no compiling
    return u.mean(axis=0), u.std(axis=0, ddof=1) / np.sqrt(u.shape[0])


def expected_revenue(mechanism: Any, priors: Sequence[Any], strategies: Sequence[Strategy], *,
                     n_samples: int = 2**16, key: Any) -> tuple[float, float]:
    """The auctioneer's expected revenue under ``strategies`` and its standard error."""
    import jax

    from equilibria.games import auctions

    _check(mechanism, priors, strategies, n_samples, key)
    with jax.enable_x64(True):
        _, bids = _draws(priors, strategies, key, int(n_samples), 0)
    r = np.asarray(auctions.revenue(auctions.outcome(mechanism, bids)))
    return float(r.mean()), float(r.std(ddof=1) / np.sqrt(r.size))
