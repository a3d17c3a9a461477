"""Auctions as data plus pure allocation-and-payment functions: single-item, position (sponsored search) and LLG.

**Conventions (written once, here).** ``n`` bidders. Bids and values are arrays ``[..., n]``: the last axis is the
bidder, any leading axes are a batch (one profile, or millions evaluated in one call). Every mechanism function is
pure and picks its array module from its input: JAX arrays (tracers included) in, JAX arrays out (jit-, vmap- and
grad-safe: no Python control flow on values); anything else is converted to a float NumPy array and NumPy comes out,
so the command line needs no JAX (JAX is imported only when a JAX array is given). NumPy inputs are validated (NaN,
infinite or negative bids, NaN or infinite values, a wrong last dimension: one-line :class:`GameError`); JAX inputs
are checked for shape only, since their values may be traced.

Utility is risk-neutral and quasi-linear, ``value * allocation - payment``, unless ``risk`` is given (CRRA on the
surplus of a win, single-item rules only: :func:`utilities`).

- :class:`SingleItemAuction` (``first_price``, ``second_price``, ``all_pay``; a reserve): bids below the reserve lose;
  the highest bid at or above it wins, ties split the item equally (``allocation`` is the probability of winning, so
  no RNG). First price: the winner pays its bid. Second price: ``max(highest other bid at or above the reserve,
  reserve)``. All-pay: every bidder whose bid is at least the reserve pays it, win or lose (a bid below the reserve
  is staying out: no payment).
- :class:`PositionAuction` (``gsp``, ``vcg``): slot ``j`` has click-through rate ``ctr[j]`` (non-increasing).
  Bidders whose bid is at least the per-click reserve are ranked by score ``bid * quality`` (quality 1 when None),
  ties by the lower bidder index (a stable sort); the ``j``-th ranked gets slot ``j`` and ``quality_i * ctr[j]``
  expected clicks (``allocation``). The *threshold* of rank ``m`` for bidder ``i`` is the smallest per-click bid
  keeping it there: ``t_m = max(s_(m+1) / quality_i, reserve)``, ``s_(m+1)`` the score of the next eligible bidder
  below (0 when none). GSP charges ``t_k`` per click at its rank ``k``. VCG charges the externality prices (the
  ladder) ``sum_{m >= k} quality_i * (ctr[m] - ctr[m+1]) * t_m`` in total (``ctr`` padded with zeros), the
  Myerson payment of the click curve, which is the usual VCG ladder when the reserve is 0 and is truthful with it.
  ``payments`` are expected totals: price per click times clicks.
- :class:`LLGAuction`: bidders 0 and 1 (locals) want item A resp. B, bidder 2 (global) wants the bundle. The locals
  win when ``b0 + b1 > b2`` (the global wins ties); a winning global pays ``b0 + b1`` (``b2`` under first price).
  Winning locals pay as bnelearn defines the rules: ``vcg`` ``(b2 - b1)^+``, ``(b2 - b0)^+``; ``nearest_vcg`` VCG plus
  half the core deficit ``(b2 - p0 - p1) / 2`` each; ``nearest_bid`` ``b_i - (b0 + b1 - b2) / 2``, or ``(b2, 0)``
  when ``b2 < b0 - b1`` (and symmetrically); ``proxy`` (nearest-zero) ``b2 / 2`` each when both bid at least that,
  else the weaker pays its bid and the other ``b2`` minus it; ``first_price`` pays its bid. Every core-selecting rule
  meets ``p0 + p1 >= b2`` with equality and never charges more than a bid.

Strategies everywhere are callables ``v [...] -> b [...]`` (vectorised): a :class:`BidFunction`, a closed form, or
``truthful = lambda v: v``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from equilibria.core.errors import GameError, NotApplicableError
from equilibria.core.names import resolve
from equilibria.core.pytrees import register_pytree_when_jax_loads

Array = Any  # np.ndarray or jax.Array

SINGLE_ITEM_RULES = ("first_price", "second_price", "all_pay")
POSITION_RULES = ("gsp", "vcg")
LLG_RULES = ("vcg", "nearest_vcg", "nearest_bid", "proxy", "first_price")


def _is_jax(x: Any) -> bool:
    return type(x).__module__.startswith("jax")


def _xp(*arrays: Any) -> Any:
    """jax.numpy when any argument is a JAX array (or tracer), NumPy otherwise."""
    if any(_is_jax(a) for a in arrays):
        import jax.numpy as jnp

        return jnp
    return np


def _rule(rule: Any, known: tuple[str, ...], what: str) -> str:
    if not isinstance(rule, str):
        raise GameError(f"{what}: rule must be a string, got {rule!r}")
    return resolve(rule, known, aliases={"nearest_zero": "proxy", "pay_as_bid": "first_price"}, kind=f"{what} rule")


def _check_n_bidders(n: Any, what: str) -> None:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise GameError(f"{what}: n_bidders must be a positive integer, got {n!r}")


def _check_reserve(reserve: Any, what: str) -> float:
    if isinstance(reserve, bool) or not isinstance(reserve, (int, float, np.integer, np.floating)) or not (
            math.isfinite(reserve) and reserve >= 0):
        raise GameError(f"{what}: reserve must be a finite number >= 0, got {reserve!r}")
    return float(reserve)


def _register_static(cls: type) -> type:
    """A mechanism is static configuration: a pytree without leaves, so it passes through jit as it is."""
    cls.tree_flatten = lambda self: ((), self)  # type: ignore[attr-defined]
    cls.tree_unflatten = classmethod(lambda c, aux, children: aux)  # type: ignore[attr-defined]
    return register_pytree_when_jax_loads(cls)


@_register_static
@dataclass(frozen=True)
class SingleItemAuction:
    """One item, ``n_bidders`` bidders, a ``rule`` (``first_price``, ``second_price``, ``all_pay``; any spelling)
    and a ``reserve`` (bids below it lose; the module docstring has the payment rules)."""

    rule: str
    n_bidders: int
    reserve: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "rule", _rule(self.rule, SINGLE_ITEM_RULES, "SingleItemAuction"))
        _check_n_bidders(self.n_bidders, "SingleItemAuction")
        object.__setattr__(self, "n_bidders", int(self.n_bidders))
        object.__setattr__(self, "reserve", _check_reserve(self.reserve, "SingleItemAuction"))


@_register_static
@dataclass(frozen=True)
class PositionAuction:
    """Sponsored search: ``ctr: [n_slots]`` (>= 0, non-increasing), ``rule`` ``gsp`` or ``vcg``, optional
    ``quality: [n_bidders]`` (> 0: rank by ``bid * quality``, clicks ``quality_i * ctr[j]``), a per-click ``reserve``
    on the bid. Payment rules in the module docstring."""

    rule: str
    ctr: tuple[float, ...]
    n_bidders: int
    quality: tuple[float, ...] | None = None
    reserve: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "rule", _rule(self.rule, POSITION_RULES, "PositionAuction"))
        _check_n_bidders(self.n_bidders, "PositionAuction")
        object.__setattr__(self, "n_bidders", int(self.n_bidders))
        ctr = _float_tuple(self.ctr, "ctr")
        if not ctr:
            raise GameError("PositionAuction: ctr must hold at least one slot's click-through rate, got none")
        if any(c < 0 for c in ctr):
            raise GameError(f"PositionAuction: ctr must be >= 0, got {list(ctr)}")
        if any(later > earlier for earlier, later in zip(ctr[:-1], ctr[1:], strict=True)):
            raise GameError(f"PositionAuction: ctr must be non-increasing (slot 0 is the best), got {list(ctr)}")
        object.__setattr__(self, "ctr", ctr)
        if self.quality is not None:
            quality = _float_tuple(self.quality, "quality")
            if len(quality) != self.n_bidders or any(q <= 0 for q in quality):
                raise GameError(f"PositionAuction: quality must hold {self.n_bidders} numbers > 0 (one per "
                                f"bidder), got {list(quality)}")
            object.__setattr__(self, "quality", quality)
        object.__setattr__(self, "reserve", _check_reserve(self.reserve, "PositionAuction"))

    @property
    def n_slots(self) -> int:
        return len(self.ctr)


@_register_static
@dataclass(frozen=True)
class LLGAuction:
    """Local-local-global: bidders 0, 1 want items A, B; bidder 2 wants the bundle AB. ``rule``: ``vcg``,
    ``nearest_vcg``, ``nearest_bid``, ``proxy`` (alias ``nearest_zero``), ``first_price`` (module docstring)."""

    rule: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "rule", _rule(self.rule, LLG_RULES, "LLGAuction"))

    @property
    def n_bidders(self) -> int:
        return 3


Mechanism = SingleItemAuction | PositionAuction | LLGAuction


def _float_tuple(numbers: Any, name: str) -> tuple[float, ...]:
    try:
        out = tuple(float(c) for c in np.asarray(numbers, dtype=float).reshape(-1))
    except (TypeError, ValueError):
        raise GameError(f"PositionAuction: {name} must be a sequence of numbers, got {numbers!r}") from None
    if not all(math.isfinite(c) for c in out):
        raise GameError(f"PositionAuction: {name} must be finite, got {list(out)}")
    return out


class Outcome(NamedTuple):
    """``allocation: [..., n]`` (single item: probability of winning; position: expected clicks; LLG: 1 when the
    bidder's bundle is won) and ``payments: [..., n]`` (expected totals)."""

    allocation: Array
    payments: Array


# -- input checks ---------------------------------------------------------------------------------------------------


def _as_array(mechanism: Any, x: Any, name: str, caller: str, *, nonnegative: bool) -> tuple[Any, Array]:
    if not isinstance(mechanism, (SingleItemAuction, PositionAuction, LLGAuction)):
        raise GameError(f"{caller}: mechanism must be a SingleItemAuction, PositionAuction or LLGAuction, "
                        f"got {type(mechanism).__name__}")
    n = mechanism.n_bidders
    if _is_jax(x):
        import jax.numpy as jnp

        if x.ndim < 1 or x.shape[-1] != n:
            raise GameError(f"{caller}: {name} must have shape [..., {n}] (one per bidder), got {tuple(x.shape)}")
        if not jnp.issubdtype(x.dtype, jnp.floating):
            x = x.astype(jnp.result_type(float))
        return jnp, x
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise GameError(f"{caller}: {name} must be numbers, got {type(x).__name__}") from None
    if arr.ndim < 1 or arr.shape[-1] != n:
        raise GameError(f"{caller}: {name} must have shape [..., {n}] (one per bidder), got {arr.shape}")
    if not np.isfinite(arr).all():
        raise GameError(f"{caller}: {name} must be finite numbers (found NaN or inf)")
    if nonnegative and (arr < 0).any():
        raise GameError(f"{caller}: {name} must be >= 0, got a minimum of {arr.min():g}")
    return np, arr


# -- single item ----------------------------------------------------------------------------------------------------


def _single_item_parts(a: SingleItemAuction, b: Array, xp: Any) -> tuple[Array, Array, Array]:
    """(allocation, price paid on a win, payment on a loss), each ``[..., n]``."""
    eligible = b >= a.reserve
    masked = xp.where(eligible, b, -xp.inf)
    top = masked.max(axis=-1, keepdims=True)
    winners = eligible & (masked == top)
    count = winners.sum(axis=-1, keepdims=True)
    allocation = xp.where(winners, 1.0 / xp.maximum(count, 1), 0.0).astype(b.dtype)
    if a.rule == "first_price":
        return allocation, b, xp.zeros_like(b)
    if a.rule == "all_pay":
        return allocation, b, xp.where(eligible, b, 0.0)
    # second price: the highest *other* eligible bid (a tied winner's is its own bid), at least the reserve
    if b.shape[-1] >= 2:
        two = xp.sort(masked, axis=-1)[..., -2:]
        first, second = two[..., 1:], two[..., :1]
        others = xp.where(masked == first, second, first)
    else:
        others = xp.full_like(b, -xp.inf)
    price = xp.maximum(others, a.reserve)
    return allocation, xp.where(eligible, price, 0.0), xp.zeros_like(b)


# -- position auctions ----------------------------------------------------------------------------------------------


# Up to this many bidders ranks come from pairwise comparisons ([..., n, n] arrays), about 3x faster than two
# argsorts on a batch of a million 5-bidder profiles on a CPU; beyond, the sorts (memory [..., n]).
_PAIRWISE_MAX = 8


def _ranking(scores: Array, xp: Any) -> tuple[Array, Array]:
    """(rank of each bidder ``[..., n]``, ties by the lower index; ``below [..., n]``: the score at rank ``m + 1``,
    at least 0, and 0 past the last rank: what the holder of rank ``m`` must beat)."""
    n = scores.shape[-1]
    # Pairwise comparisons beat two sorts under XLA for a few bidders; NumPy's sort is the faster one (2.8x on
    # 10^6 x 5 profiles).
    if n <= _PAIRWISE_MAX and xp is not np:
        index = xp.arange(n)
        other, own = scores[..., None, :], scores[..., :, None]  # [..., i, j]: j is the other bidder
        above = (other > own) | ((other == own) & (index[None, :] < index[:, None]))
        ranks = above.sum(axis=-1)
        at_next = ranks[..., None, :] == (index + 1)[:, None]  # [..., m, j]: bidder j holds rank m + 1
        below = xp.sum(xp.where(at_next, xp.maximum(scores, 0.0)[..., None, :], 0.0), axis=-1)
        return ranks, below
    order = xp.argsort(-scores, axis=-1, stable=True)  # rank -> bidder
    sorted_scores = xp.take_along_axis(scores, order, axis=-1)
    below = xp.concatenate([sorted_scores[..., 1:], xp.zeros_like(sorted_scores[..., :1])], axis=-1)
    return xp.argsort(order, axis=-1), xp.maximum(below, 0.0)


def _position_parts(a: PositionAuction, b: Array, xp: Any) -> tuple[Array, Array, Array, Array]:
    """(slots, clicks, price per click, payments), each ``[..., n]`` (slots -1 for none)."""
    n = a.n_bidders
    ctr_list = list(a.ctr[:n]) + [0.0] * max(0, n - a.n_slots)  # slots beyond n are never filled
    ctr = xp.asarray(np.asarray(ctr_list), dtype=b.dtype)
    quality = xp.asarray(np.ones(n) if a.quality is None else np.asarray(a.quality), dtype=b.dtype)
    eligible = b >= a.reserve
    scores = xp.where(eligible, b * quality, -1.0)  # ineligible bidders rank last, below every score >= 0
    ranks, below = _ranking(scores, xp)
    has_slot = eligible & (ranks < a.n_slots)
    slots = xp.where(has_slot, ranks, -1)
    clicks = xp.where(has_slot, quality * xp.take(ctr, ranks), 0.0)
    own_below = xp.take_along_axis(below, ranks, axis=-1)
    if a.rule == "gsp":
        price = xp.where(has_slot, xp.maximum(own_below / quality, a.reserve), 0.0)
        return slots, clicks, price, price * clicks
    drops = ctr - xp.concatenate([ctr[1:], xp.zeros_like(ctr[:1])])  # ctr[m] - ctr[m+1] >= 0
    if a.quality is None:
        # thresholds do not depend on the bidder: the ladder is a reverse cumulative sum over ranks
        steps = drops * xp.maximum(below, a.reserve)
        ladder = xp.flip(xp.cumsum(xp.flip(steps, axis=-1), axis=-1), axis=-1)
        total = xp.take_along_axis(ladder, ranks, axis=-1)
    else:
        thresholds = xp.maximum(below[..., None, :] / quality[:, None], a.reserve)  # [..., bidder, rank]
        counted = xp.arange(n)[None, :] >= ranks[..., :, None]
        total = quality * xp.sum(xp.where(counted, drops * thresholds, 0.0), axis=-1)
    payments = xp.where(has_slot, total, 0.0)
    price = xp.where(clicks > 0, payments / xp.where(clicks > 0, clicks, 1.0), 0.0)
    return slots, clicks, price, payments


def position_slots(auction: PositionAuction, bids: Array) -> Array:
    """``[..., n]``: each bidder's slot (0 is the best), -1 for none."""
    xp, b = _position_input(auction, bids, "position_slots")
    return _position_parts(auction, b, xp)[0]


def prices_per_click(auction: PositionAuction, bids: Array) -> Array:
    """``[..., n]``: each bidder's price per click (0 without a slot, or in a slot without clicks)."""
    xp, b = _position_input(auction, bids, "prices_per_click")
    return _position_parts(auction, b, xp)[2]


def _position_input(auction: Any, bids: Array, caller: str) -> tuple[Any, Array]:
    if not isinstance(auction, PositionAuction):
        raise GameError(f"{caller}: auction must be a PositionAuction, got {type(auction).__name__}")
    return _as_array(auction, bids, "bids", caller, nonnegative=True)


# -- LLG ------------------------------------------------------------------------------------------------------------


def _llg(a: LLGAuction, b: Array, xp: Any) -> Outcome:
    b0, b1, bg = b[..., 0], b[..., 1], b[..., 2]
    locals_win = b0 + b1 > bg
    if a.rule == "first_price":
        p0, p1, pg = b0, b1, bg
    else:
        pg = b0 + b1
        if a.rule in ("vcg", "nearest_vcg"):
            p0, p1 = xp.maximum(bg - b1, 0.0), xp.maximum(bg - b0, 0.0)
            if a.rule == "nearest_vcg":
                half_deficit = 0.5 * (bg - p0 - p1)
                p0, p1 = p0 + half_deficit, p1 + half_deficit
        elif a.rule == "proxy":
            weak0, weak1 = 2 * b0 < bg, 2 * b1 < bg
            p0 = xp.where(weak0, b0, xp.where(weak1, bg - b1, 0.5 * bg))
            p1 = xp.where(weak0, bg - b0, xp.where(weak1, b1, 0.5 * bg))
        else:  # nearest_bid
            half_surplus = 0.5 * (b0 + b1 - bg)
            p0 = xp.where(bg < b0 - b1, bg, xp.where(bg < b1 - b0, 0.0, b0 - half_surplus))
            p1 = xp.where(bg < b0 - b1, 0.0, xp.where(bg < b1 - b0, bg, b1 - half_surplus))
    won = xp.stack([locals_win, locals_win, ~locals_win], axis=-1)
    allocation = won.astype(b.dtype)
    payments = xp.where(won, xp.stack([p0, p1, pg], axis=-1), 0.0)
    return Outcome(allocation, payments)


# -- the public functions -------------------------------------------------------------------------------------------


def outcome(mechanism: Mechanism, bids: Array) -> Outcome:
    """Allocation and expected payments of the bid profile(s) ``bids: [..., n]`` (module docstring's rules)."""
    xp, b = _as_array(mechanism, bids, "bids", "outcome", nonnegative=True)
    return _outcome(mechanism, b, xp)


def _outcome(mechanism: Mechanism, b: Array, xp: Any) -> Outcome:
    if isinstance(mechanism, SingleItemAuction):
        allocation, price, on_loss = _single_item_parts(mechanism, b, xp)
        return Outcome(allocation, allocation * price + (1.0 - allocation) * on_loss)
    if isinstance(mechanism, PositionAuction):
        _, clicks, _, payments = _position_parts(mechanism, b, xp)
        return Outcome(clicks, payments)
    return _llg(mechanism, b, xp)


def _crra(x: Array, risk: float, xp: Any) -> Array:
    """``x**risk`` for gains, ``-(-x)**risk`` for losses (bnelearn's extension to overbidding).

    The powers are taken of 1 where their branch is not used: ``0**risk`` has an infinite derivative for
    ``risk < 1``, and a masked infinity would still turn a gradient into NaN."""
    gain = xp.where(x > 0, x, 1.0) ** risk
    loss = xp.where(x < 0, -x, 1.0) ** risk
    return xp.where(x > 0, gain, 0.0) - xp.where(x < 0, loss, 0.0)


def utilities(mechanism: Mechanism, values: Array, bids: Array, *, risk: float = 1.0) -> Array:
    """``[..., n]``: each bidder's expected utility with ``values: [..., n]`` and ``bids: [..., n]``.

    ``risk`` 1: ``value * allocation - payment``. ``risk`` != 1 (single-item rules only, ``risk > 0``): CRRA
    ``u(x) = x**risk`` on the surplus of a win, ``allocation * u(value - price)``, plus for all-pay
    ``(1 - allocation) * u(-bid)`` (all-pay charges a loss too); negative surpluses get ``-(-x)**risk``.
    """
    if isinstance(risk, bool) or not isinstance(risk, (int, float)) or not (math.isfinite(risk) and risk > 0):
        raise GameError(f"utilities: risk must be a finite number > 0, got {risk!r}")
    xp_v, v = _as_array(mechanism, values, "values", "utilities", nonnegative=False)
    xp_b, b = _as_array(mechanism, bids, "bids", "utilities", nonnegative=True)
    xp = _xp(v, b)
    if xp is not np:
        v, b = xp.asarray(v), xp.asarray(b)
    if risk == 1.0:
        result = _outcome(mechanism, b, xp)
        return v * result.allocation - result.payments
    if not isinstance(mechanism, SingleItemAuction):
        raise NotApplicableError(f"utilities: risk={risk!r} is defined for single-item auctions only; use risk=1.0 "
                                 f"for {type(mechanism).__name__}")
    allocation, price, on_loss = _single_item_parts(mechanism, b, xp)
    return allocation * _crra(v - price, risk, xp) + (1.0 - allocation) * _crra(-on_loss, risk, xp)


def revenue(outcome: Outcome) -> Array:  # the argument is named as the shared API names it
    """``[...]``: the seller's expected revenue, the sum of payments."""
    return outcome.payments.sum(axis=-1)


def welfare(mechanism: Mechanism, values: Array, outcome: Outcome) -> Array:
    """``[...]``: the allocation's value, ``sum_i values_i * allocation_i`` (position auctions: values per click)."""
    _, v = _as_array(mechanism, values, "values", "welfare", nonnegative=False)
    return (v * outcome.allocation).sum(axis=-1)


# -- names ----------------------------------------------------------------------------------------------------------

MECHANISM_NAMES = ("first_price", "second_price", "all_pay", "gsp", "vcg", "llg_vcg", "llg_nearest_vcg",
                   "llg_nearest_bid", "llg_proxy", "llg_first_price")
MECHANISM_ALIASES = {"fpa": "first_price", "vickrey": "second_price", "spa": "second_price", "allpay": "all_pay",
                     "generalized_second_price": "gsp", "position_vcg": "vcg", "llg_nearest_zero": "llg_proxy"}


def mechanism_by_name(name: str, *, n_bidders: int | None = None, reserve: float = 0.0,
                      ctr: Any = None, quality: Any = None) -> Mechanism:
    """The mechanism a user names (any case, hyphens or underscores, aliases such as ``fpa``, ``vickrey``).

    Settings: ``n_bidders`` (single-item and position auctions; LLG has 3), ``reserve``, ``ctr`` and ``quality``
    (position auctions). A setting the mechanism does not take raises :class:`GameError`.
    """
    canonical = resolve(name, MECHANISM_NAMES, aliases=MECHANISM_ALIASES, kind="auction format")
    if canonical.startswith("llg_"):
        if (n_bidders not in (None, 3)) or reserve or ctr is not None or quality is not None:
            raise GameError(f"mechanism_by_name: {canonical} takes no settings (3 bidders, no reserve, no ctr)")
        return LLGAuction(canonical[4:])
    if n_bidders is None:
        raise GameError(f"mechanism_by_name: {canonical} needs n_bidders")
    if canonical in POSITION_RULES:
        if ctr is None:
            raise GameError(f"mechanism_by_name: {canonical} needs ctr (one click-through rate per slot)")
        return PositionAuction(canonical, tuple(np.asarray(ctr, dtype=float).reshape(-1)), n_bidders,
                               None if quality is None else tuple(np.asarray(quality, dtype=float).reshape(-1)),
                               reserve)
    if ctr is not None or quality is not None:
        raise GameError(f"mechanism_by_name: {canonical} is a single-item auction: it takes no ctr or quality")
    return SingleItemAuction(canonical, n_bidders, reserve)


# -- bid functions --------------------------------------------------------------------------------------------------


@register_pytree_when_jax_loads
@dataclass(frozen=True, eq=False)
class BidFunction:
    """A bid strategy on a grid: ``values: [G]`` increasing, ``bids: [G]``, evaluated by linear interpolation and
    clamped at the ends. Meant to be monotone (equilibrium bids are); that is not enforced, since a learner's
    intermediate iterates need not be. NumPy in, NumPy out; JAX in, JAX out (a pytree: jit takes it)."""

    values: Array
    bids: Array

    def __post_init__(self) -> None:
        if _is_jax(self.values) or _is_jax(self.bids):
            return  # possibly traced (a pytree rebuilt inside jit): shapes only
        values = np.asarray(self.values, dtype=float)
        bids = np.asarray(self.bids, dtype=float)
        if values.ndim != 1 or values.shape != bids.shape or values.size < 1:
            raise GameError(f"BidFunction: values and bids must be 1-d of one length >= 1, got shapes "
                            f"{values.shape} and {bids.shape}")
        if not (np.isfinite(values).all() and np.isfinite(bids).all()):
            raise GameError("BidFunction: values and bids must be finite")
        if (np.diff(values) <= 0).any():
            raise GameError("BidFunction: values must be strictly increasing")
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "bids", bids)

    def __call__(self, v: Array) -> Array:
        if _is_jax(v):
            import jax.numpy as jnp

            return jnp.interp(v, jnp.asarray(self.values, dtype=v.dtype), jnp.asarray(self.bids, dtype=v.dtype))
        return np.interp(np.asarray(v, dtype=float), np.asarray(self.values), np.asarray(self.bids))

    def tree_flatten(self) -> tuple[tuple[Array, Array], None]:
        return (self.values, self.bids), None

    @classmethod
    def tree_unflatten(cls, aux: None, children: tuple[Array, Array]) -> BidFunction:
        # JAX rebuilds pytrees with placeholders (None, tracers, axis specs): no validation here
        self = object.__new__(cls)
        object.__setattr__(self, "values", children[0])
        object.__setattr__(self, "bids", children[1])
        return self

    def __repr__(self) -> str:
        return f"BidFunction(G={np.shape(self.values)[0] if np.ndim(self.values) else '?'})"


def truthful(v: Array) -> Array:
    """The truthful strategy ``b(v) = v``."""
    return v


Strategy = Callable[[Array], Array]
