"""What both Bayes-Nash methods share: the bidders, their value grids, symmetry, sampling and bid interpolation.

A strategy is held, while a method runs, as bids on a value grid: ``knots[i]: [G]`` equally spaced on bidder
``i``'s prior support ``[low_i, high_i]`` and ``bids[i]: [G]``, evaluated by linear interpolation clamped at the
ends (what :class:`equilibria.games.auctions.BidFunction` does with the same two arrays, which is what the solver
returns). Bidders that the mechanism treats alike and that have equal priors form a *group* and share one strategy
(as bnelearn shares parameters between symmetric bidders): single-item auctions group equal priors, position
auctions equal priors and quality scores, LLG the two local bidders when their priors are equal.

Others' values are drawn by Latin hypercube sampling: each bidder's quantile levels are a random permutation of
``(k + U[0, 1)) / M`` for ``k = 0..M-1``, independent across bidders. Every marginal is then stratified (for two
bidders the one other value is stratified sampling of its quantile, within ``O(1 / M)`` of quadrature), and the
estimate stays unbiased.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from equilibria.core.errors import GameError, NotApplicableError


def prior_key(prior: Any) -> Any:
    """What identifies a prior's distribution: kind, support and parameters; the object itself for tabulated kinds
    (their tables are arrays)."""
    if getattr(prior, "probabilities", None) is not None:
        return prior
    return (prior.kind, prior.low, prior.high, tuple(prior.params))


def _same(a: Any, b: Any) -> bool:
    return a is b or prior_key(a) == prior_key(b)


def n_bidders(mechanism: Any, caller: str) -> int:
    """The number of bidders of a mechanism of :mod:`equilibria.games.auctions`."""
    from equilibria.games import auctions

    if isinstance(mechanism, auctions.LLGAuction):
        return 3
    if isinstance(mechanism, auctions.SingleItemAuction | auctions.PositionAuction):
        return int(mechanism.n_bidders)
    raise GameError(f"{caller}(mechanism): expected a SingleItemAuction, PositionAuction or LLGAuction, got "
                    f"{type(mechanism).__name__}")


def symmetry_groups(mechanism: Any, priors: Sequence[Any]) -> tuple[tuple[int, ...], ...]:
    """Bidders the mechanism treats alike and whose priors are equal, in order of their first member."""
    from equilibria.games import auctions

    n = len(priors)
    if isinstance(mechanism, auctions.LLGAuction):
        return ((0, 1), (2,)) if _same(priors[0], priors[1]) else ((0,), (1,), (2,))
    if isinstance(mechanism, auctions.PositionAuction):
        quality = mechanism.quality or (1.0,) * n
        keys = [(priors[i], quality[i]) for i in range(n)]
    else:
        keys = [(priors[i], 0.0) for i in range(n)]
    groups: list[list[int]] = []
    for i in range(n):
        for group in groups:
            j = group[0]
            if _same(keys[i][0], keys[j][0]) and keys[i][1] == keys[j][1]:
                group.append(i)
                break
        else:
            groups.append([i])
    return tuple(tuple(g) for g in groups)


def check_priors(priors: Any, n: int, caller: str) -> tuple[Any, ...]:
    """One prior per bidder: a ``Prior``, its text form (``"uniform:0:1"``), or a sequence of them (one for all)."""
    from equilibria.games import auction_priors

    items = [priors] if isinstance(priors, str) or not isinstance(priors, Sequence) else list(priors)
    parsed = [auction_priors.parse_prior(p) if isinstance(p, str) else p for p in items]
    if len(parsed) == 1:
        parsed = parsed * n
    if len(parsed) != n:
        raise GameError(f"{caller}(priors): expected 1 or {n} priors (one per bidder), got {len(parsed)}")
    for i, prior in enumerate(parsed):
        if not isinstance(prior, auction_priors.Prior):
            raise GameError(f"{caller}(priors): entry {i} is a {type(prior).__name__}, expected a Prior or its text "
                            f"form such as 'uniform:0:1'")
        if not (np.isfinite(prior.low) and np.isfinite(prior.high) and prior.high > prior.low):
            raise NotApplicableError(f"{caller}(priors): prior {i} must have a bounded support low < high, got "
                                     f"[{prior.low}, {prior.high}]; truncate it (e.g. normal:MEAN:SD:LOW:HIGH)")
    return tuple(parsed)


@dataclass(frozen=True, eq=False)
class Setup:
    """The bidders of one solve (see the module docstring).

    Attributes:
      mechanism, priors: as given (``priors[i]`` for bidder ``i``).
      groups: bidders sharing one strategy; ``owner[i]`` is bidder ``i``'s group.
      knots: ``[n, G]`` value grid of each bidder.
      weights: ``[n, G]`` prior weights of the grid points (the density, normalised to sum 1).
      bid_high: ``[n]`` the largest bid searched for each bidder: its largest value.
    """

    mechanism: Any
    priors: tuple[Any, ...]
    groups: tuple[tuple[int, ...], ...]
    owner: tuple[int, ...]
    knots: np.ndarray
    weights: np.ndarray
    bid_high: np.ndarray

    @property
    def n(self) -> int:
        return len(self.priors)

    @property
    def representatives(self) -> tuple[int, ...]:
        """The first bidder of each group: the one whose deviations are evaluated for the group."""
        return tuple(g[0] for g in self.groups)


def make_setup(mechanism: Any, priors: tuple[Any, ...], grid: int, *, share: bool) -> Setup:
    groups = symmetry_groups(mechanism, priors) if share else tuple((i,) for i in range(len(priors)))
    owner = [0] * len(priors)
    for g, members in enumerate(groups):
        for i in members:
            owner[i] = g
    knots = np.stack([np.linspace(p.low, p.high, grid) for p in priors])
    density = np.stack([np.asarray(p.pdf(k), dtype=float) for p, k in zip(priors, knots, strict=True)])
    # The density may be infinite at an end (power priors with A < 1): cap it by the largest finite value.
    finite = np.where(np.isfinite(density), density, 0.0)
    density = np.where(np.isfinite(density), density, finite.max(axis=1, keepdims=True))
    weights = density / np.maximum(density.sum(axis=1, keepdims=True), np.finfo(float).tiny)
    bid_high = np.array([p.high for p in priors], dtype=float)
    return Setup(mechanism, priors, groups, tuple(owner), knots, weights, bid_high)


def latin_hypercube(priors: Sequence[Any], key: jax.Array, n_samples: int) -> jax.Array:
    """``[n_samples, n]`` independent values, one column per prior, by Latin hypercube sampling (module docstring)."""
    n = len(priors)
    permute_key, jitter_key = jax.random.split(key)
    ranks = jax.vmap(lambda k: jax.random.permutation(k, n_samples))(jax.random.split(permute_key, n))
    levels = (ranks + jax.random.uniform(jitter_key, (n, n_samples))) / n_samples
    levels = jnp.clip(levels, 0.0, 1.0)
    return jnp.stack([jnp.asarray(prior.quantile(levels[j]), dtype=levels.dtype) for j, prior in enumerate(priors)],
                     axis=-1)


def interpolate_bids(knots: jax.Array, bids: jax.Array, values: jax.Array) -> jax.Array:
    """``[..., n]`` bids of every bidder at ``values [..., n]``: bidder ``j`` plays ``interp(knots[j], bids[j])``."""
    columns = [jnp.interp(values[..., j], knots[j], bids[j]) for j in range(knots.shape[0])]
    return jnp.stack(columns, axis=-1)


def with_column(profile: jax.Array, bidder: int, column: jax.Array) -> jax.Array:
    """``profile`` (broadcast against ``column[..., None]``) with bidder ``bidder``'s entry replaced by ``column``."""
    n = profile.shape[-1]
    mask = jnp.arange(n) == bidder
    return jnp.where(mask, column[..., None], profile)


def cached_key(*parts: Any) -> Any:
    """A dictionary key for compiled functions, or None when a part is not hashable."""
    parts = tuple(tuple(prior_key(p) for p in part) if isinstance(part, tuple) and part and hasattr(part[0], "kind")
                  else part for part in parts)
    try:
        hash(parts)
    except TypeError:
        return None
    return parts
