"""Named auction settings whose Bayes-Nash equilibria are known in closed form.

Each :class:`AuctionSetting` holds a mechanism (:mod:`equilibria.games.auctions`), one value prior per bidder
(:mod:`equilibria.games.auction_priors`), the equilibrium bid function of every bidder and what is known about the
equilibrium: the expected revenue and each bidder's ex-ante expected utility, where a closed form gives them (None
where none is recorded). Values are independent private values, utilities risk-neutral and quasi-linear unless the
setting says otherwise (``risk``: CRRA ``u(x) = x**risk`` on the surplus of a win). A bid function maps values
``v [...]`` to bids ``[...]``; it takes NumPy (returns NumPy) or JAX arrays (returns JAX, jit/vmap/grad-safe).
Below, ``F`` is a bidder's value distribution and ``n`` the number of bidders.

- ``first-price``: symmetric, ``U[0, 1]``: ``b(v) = (n - 1) / n v``; revenue ``(n - 1) / (n + 1)``, each bidder's
  utility ``1 / (n (n + 1))`` (Vickrey 1961; Krishna, *Auction Theory*, 2nd ed. 2010, ch. 2).
- ``second-price``: truthful bidding (weakly dominant); same revenue and utilities (revenue equivalence).
- ``all-pay``: ``U[0, 1]``: ``b(v) = (n - 1) / n v**n``; same revenue and utilities (Krishna, ch. 3).
- ``first-price-reserve``: ``U[0, 1]``, reserve ``r``: bidders with ``v < r`` stay out (bid 0); above it
  ``b(v) = v - int_r^v F^{n-1} / F^{n-1}(v) = (n - 1) / n v + r**n / (n v**(n-1))``; revenue
  ``2 n (1 - r**(n+1)) / (n + 1) - (1 - r**n)`` (at ``r = 1/2``, ``n = 2``: Myerson's 5/12), utility
  ``((1 - r**(n+1)) / (n + 1) - r**n (1 - r)) / n`` (Krishna, ch. 2.5).
- ``second-price-reserve``: truthful with reserve ``r``; the same revenue and utilities as ``first-price-reserve``.
- ``myerson``: two bidders ``U[0, 1]``, second price with Myerson's optimal reserve ``1/2`` (the virtual value
  ``2 v - 1`` vanishes there, for every ``n``); revenue ``5/12``, the most any mechanism earns (Myerson 1981).
- ``asymmetric-first-price``: two bidders, ``U[0, a]`` and ``U[0, b]``, first price: with
  ``k_i = 1 / w_i**2 - 1 / w_j**2`` (``w`` the upper bounds), ``b_i(v) = v / (1 + sqrt(1 - k_i v**2))``; both
  bid at most ``a b / (a + b)`` (Plum 1992; Krishna, ch. 4.3). Revenue by quadrature of the closed form.
- ``risk-averse-first-price``: symmetric ``U[0, 1]``, CRRA ``u(x) = x**rho``: ``b(v) = (n - 1) / (n - 1 + rho) v``;
  revenue ``n (n - 1) / ((n + 1) (n - 1 + rho))`` (Riley and Samuelson 1981; Krishna, ch. 4.1).
- ``llg-vcg``, ``llg-nearest-vcg``, ``llg-nearest-bid``, ``llg-proxy``: local-local-global, locals ``U[0, 1]``,
  global ``U[0, 2]``; the global bidder bids truthfully under every core-selecting rule; the locals' equilibria for
  the Bernoulli-weights correlation ``gamma`` (with probability ``gamma`` the two locals have the same value, else
  independent; ``gamma = 0``: independent) are Ausubel and Baranov (2020), "Core-selecting auctions with incomplete
  information", *Int. J. Game Theory* 49, as bnelearn states them (Bichler et al. 2021):
  VCG truthful; proxy (nearest-zero) ``max(0, 1 + log(gamma + (1 - gamma) v) / (1 - gamma))``; nearest-bid
  ``(log 2 - log(2 - (1 - gamma) v)) / (1 - gamma)``; nearest-VCG
  ``max(0, 2 / (2 + gamma) (v - (3 - sqrt(9 - (1 - gamma)**2)) / (1 - gamma)))``. At ``gamma = 1`` (a limit) they
  are ``v``, ``v``, ``v / 2`` and ``v / (2 - 1/2)``. Correlated values (``gamma > 0``) are recorded for reference:
  the priors of this package are independent, so :mod:`equilibria.metrics.auctions` checks ``gamma = 0`` only.

:func:`auction_setting` finds a setting by the name users type (any case, hyphens or underscores, the aliases in
:data:`AUCTION_ALIASES`) and builds it with keyword parameters. Importing this module imports neither JAX nor the
mechanisms: a setting is built when asked for.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from equilibria.core.errors import GameError
from equilibria.core.names import resolve

Strategy = Callable[[Any], Any]


@dataclass(frozen=True)
class AuctionSetting:
    """A named auction setting and its known Bayes-Nash equilibrium.

    Attributes:
      name: the canonical name (kebab-case).
      mechanism: the mechanism (``SingleItemAuction``, ``LLGAuction``, ...).
      priors: one value prior per bidder (``[n_bidders]``).
      prior_texts: the priors as text (``"uniform:0:1"``), as a ``SolveResult``'s ``parameters["priors"]`` holds them.
      strategies: the equilibrium bid function of each bidder (``[n_bidders]``).
      revenue: the expected revenue in the equilibrium, or None where no closed form is recorded.
      utilities: each bidder's ex-ante expected utility in the equilibrium, or None.
      risk: the CRRA exponent of the bidders' utility (1: risk-neutral).
      parameters: the settings the factory was called with.
      reference: where the closed form comes from.
    """

    name: str
    mechanism: Any
    priors: tuple[Any, ...]
    prior_texts: tuple[str, ...]
    strategies: tuple[Strategy, ...]
    revenue: float | None = None
    utilities: tuple[float, ...] | None = None
    risk: float = 1.0
    parameters: Mapping[str, float] = field(default_factory=dict)
    reference: str = ""

    @property
    def n_bidders(self) -> int:
        return len(self.priors)


# --- array helpers: the bid functions work on NumPy and on JAX arrays ------------------------------------------------

def _xp(v: Any) -> Any:
    """``jax.numpy`` for a JAX array (or tracer), else NumPy; JAX is imported only when given a JAX array."""
    if type(v).__module__.startswith(("jax", "jaxlib")):
        import jax.numpy as jnp

        return jnp
    return np


def _as_array(v: Any) -> Any:
    xp = _xp(v)
    return xp.asarray(v, dtype=float) if xp is np else v


def truthful(v: Any) -> Any:
    """Bid the value (a dominant strategy in second-price and VCG auctions)."""
    return _as_array(v) * 1.0


def linear_bid(v: Any, *, slope: float) -> Any:
    """``b(v) = slope * v``."""
    return _as_array(v) * slope


def all_pay_bid(v: Any, *, n_bidders: int) -> Any:
    """``b(v) = (n - 1) / n * v**n`` (all-pay, ``U[0, 1]``)."""
    v = _as_array(v)
    return (n_bidders - 1) / n_bidders * v**n_bidders


def first_price_reserve_bid(v: Any, *, n_bidders: int, reserve: float) -> Any:
    """``(n - 1) / n v + r**n / (n v**(n-1))`` for ``v >= r``, else 0 (stays out)."""
    v = _as_array(v)
    xp = _xp(v)
    n, r = n_bidders, reserve
    safe = xp.maximum(v, max(r, 1e-12))  # the formula's v**(n-1) divides; below r the bid is 0 anyway
    inside = (n - 1) / n * safe + r**n / (n * safe ** (n - 1))
    return xp.where(v >= r, inside, 0.0 * v)


def asymmetric_uniform_bid(v: Any, *, own_high: float, other_high: float) -> Any:
    """Plum's first-price bid for ``U[0, own_high]`` against ``U[0, other_high]``: ``v / (1 + sqrt(1 - k v**2))``,
    ``k = 1 / own_high**2 - 1 / other_high**2`` (values clamped to the support)."""
    v = _as_array(v)
    xp = _xp(v)
    k = 1.0 / own_high**2 - 1.0 / other_high**2
    clamped = xp.clip(v, 0.0, own_high)  # 1 - k v**2 >= 0 on the support; outside it the formula has no meaning
    return clamped / (1.0 + xp.sqrt(xp.maximum(1.0 - k * clamped**2, 0.0)))


def llg_local_bid(v: Any, *, rule: str, gamma: float) -> Any:
    """The local bidders' equilibrium in LLG (module docstring), for Bernoulli-weights correlation ``gamma``."""
    v = _as_array(v)
    xp = _xp(v)
    if rule == "vcg":
        return v * 1.0
    if gamma >= 1.0:  # the limit: the formulas below divide by 1 - gamma
        return v * {"proxy": 1.0, "nearest_bid": 0.5, "nearest_vcg": 1.0 / 1.5}[rule]
    g = gamma
    if rule == "proxy":
        # log of a positive argument only (the max with 0 takes over below v = (e^-(1-g) - g) / (1 - g))
        inside = 1.0 + xp.log(xp.maximum(g + (1.0 - g) * v, 1e-300)) / (1.0 - g)
        return xp.maximum(inside, 0.0 * v)
    if rule == "nearest_bid":
        return (math.log(2.0) - xp.log(2.0 - (1.0 - g) * v)) / (1.0 - g)
    if rule == "nearest_vcg":
        shift = (3.0 - math.sqrt(9.0 - (1.0 - g) ** 2)) / (1.0 - g)
        return xp.maximum(2.0 / (2.0 + g) * (v - shift), 0.0 * v)
    raise GameError(f"rule: no closed-form LLG equilibrium for {rule!r}")


# --- the settings ----------------------------------------------------------------------------------------------------

def _check_n(n_bidders: int) -> int:
    if int(n_bidders) != n_bidders or n_bidders < 2:
        raise GameError(f"n_bidders: expected a whole number >= 2, got {n_bidders}")
    return int(n_bidders)


def _check_unit(name: str, x: float, *, low: float = 0.0, high: float = 1.0, open_high: bool = False) -> float:
    x = float(x)
    if not (low <= x < high if open_high else low <= x <= high) or math.isnan(x):
        raise GameError(f"{name}: expected a number in [{low}, {high}{')' if open_high else ']'}, got {x}")
    return x


def _uniform_priors(texts: list[str]) -> tuple[Any, ...]:
    from equilibria.games.auction_priors import parse_prior

    return tuple(parse_prior(t) for t in texts)


def _single(rule: str, n: int, reserve: float = 0.0) -> Any:
    from equilibria.games.auctions import SingleItemAuction

    return SingleItemAuction(rule=rule, n_bidders=n, reserve=reserve)


def _symmetric(name: str, rule: str, n: int, strategy: Strategy, reference: str, *, reserve: float = 0.0,
               risk: float = 1.0, revenue: float | None = None, utility: float | None = None) -> AuctionSetting:
    texts = ["uniform:0:1"] * n
    return AuctionSetting(
        name=name, mechanism=_single(rule, n, reserve), priors=_uniform_priors(texts), prior_texts=tuple(texts),
        strategies=(strategy,) * n, revenue=revenue, utilities=None if utility is None else (utility,) * n,
        risk=risk, parameters={"n_bidders": n, "reserve": reserve, "risk": risk}, reference=reference)


def first_price(*, n_bidders: int = 2) -> AuctionSetting:
    """First price, ``n`` bidders ``U[0, 1]``: ``b(v) = (n - 1) / n v``."""
    n = _check_n(n_bidders)
    return _symmetric("first-price", "first_price", n, functools.partial(linear_bid, slope=(n - 1) / n),
                      "Vickrey (1961); Krishna, Auction Theory (2010), Prop. 2.2",
                      revenue=(n - 1) / (n + 1), utility=1.0 / (n * (n + 1)))


def second_price(*, n_bidders: int = 2) -> AuctionSetting:
    """Second price (Vickrey), ``n`` bidders ``U[0, 1]``: truthful bidding."""
    n = _check_n(n_bidders)
    return _symmetric("second-price", "second_price", n, truthful, "Vickrey (1961)",
                      revenue=(n - 1) / (n + 1), utility=1.0 / (n * (n + 1)))


def all_pay(*, n_bidders: int = 2) -> AuctionSetting:
    """All-pay, ``n`` bidders ``U[0, 1]``: ``b(v) = (n - 1) / n v**n``."""
    n = _check_n(n_bidders)
    return _symmetric("all-pay", "all_pay", n, functools.partial(all_pay_bid, n_bidders=n),
                      "Krishna, Auction Theory (2010), ch. 3.1",
                      revenue=(n - 1) / (n + 1), utility=1.0 / (n * (n + 1)))


def reserve_revenue(n_bidders: int, reserve: float) -> float:
    """Expected revenue of a standard auction with reserve ``r``, ``n`` bidders ``U[0, 1]``:
    ``n int_r^1 (2 v - 1) v**(n-1) dv = 2 n (1 - r**(n+1)) / (n + 1) - (1 - r**n)``."""
    n, r = n_bidders, reserve
    return 2.0 * n * (1.0 - r ** (n + 1)) / (n + 1) - (1.0 - r**n)


def reserve_utility(n_bidders: int, reserve: float) -> float:
    """A bidder's ex-ante utility there: ``int_r^1 (v**n - r**n) / n dv``."""
    n, r = n_bidders, reserve
    return ((1.0 - r ** (n + 1)) / (n + 1) - r**n * (1.0 - r)) / n


def first_price_reserve(*, n_bidders: int = 2, reserve: float = 0.5) -> AuctionSetting:
    """First price with reserve ``r``, ``n`` bidders ``U[0, 1]``: ``(n - 1) / n v + r**n / (n v**(n-1))`` above
    ``r``."""
    n, r = _check_n(n_bidders), _check_unit("reserve", reserve)
    return _symmetric("first-price-reserve", "first_price", n,
                      functools.partial(first_price_reserve_bid, n_bidders=n, reserve=r),
                      "Krishna, Auction Theory (2010), ch. 2.5", reserve=r,
                      revenue=reserve_revenue(n, r), utility=reserve_utility(n, r))


def second_price_reserve(*, n_bidders: int = 2, reserve: float = 0.5) -> AuctionSetting:
    """Second price with reserve ``r``, ``n`` bidders ``U[0, 1]``: truthful bidding."""
    n, r = _check_n(n_bidders), _check_unit("reserve", reserve)
    return _symmetric("second-price-reserve", "second_price", n, truthful,
                      "Krishna, Auction Theory (2010), ch. 2.5", reserve=r,
                      revenue=reserve_revenue(n, r), utility=reserve_utility(n, r))


def myerson(*, n_bidders: int = 2) -> AuctionSetting:
    """Myerson's optimal auction for ``U[0, 1]``: second price with reserve 1/2 (revenue 5/12 for two bidders)."""
    n = _check_n(n_bidders)
    setting = second_price_reserve(n_bidders=n, reserve=0.5)
    return dataclasses.replace(setting, name="myerson",
                               reference="Myerson (1981), Optimal auction design, Math. Oper. Res. 6")


def risk_averse_first_price(*, n_bidders: int = 2, risk: float = 0.5) -> AuctionSetting:
    """First price, ``n`` bidders ``U[0, 1]``, CRRA ``u(x) = x**rho``: ``b(v) = (n - 1) / (n - 1 + rho) v``."""
    n = _check_n(n_bidders)
    rho = float(risk)
    if not 0.0 < rho <= 1.0:
        raise GameError(f"risk: expected a CRRA exponent in (0, 1], got {risk}")
    slope = (n - 1) / (n - 1 + rho)
    return _symmetric("risk-averse-first-price", "first_price", n, functools.partial(linear_bid, slope=slope),
                      "Riley and Samuelson (1981); Krishna, Auction Theory (2010), ch. 4.1", risk=rho,
                      revenue=slope * n / (n + 1))


def _plum_revenue(a: float, b: float, points: int = 20001) -> tuple[float, tuple[float, float]]:
    """Revenue and utilities of Plum's equilibrium by quadrature over both values (the closed form gives bids,
    the expectations are integrals of them). The product grid is midpoints: error O(1/points**2) away from ties."""
    va = (np.arange(points) + 0.5) / points * a
    vb = (np.arange(points) + 0.5) / points * b
    ba = asymmetric_uniform_bid(va, own_high=a, other_high=b)
    bb = asymmetric_uniform_bid(vb, own_high=b, other_high=a)
    # P(bidder b bids below x): bids are increasing in value, so it is the share of vb's grid below x
    sorted_bb = np.sort(bb)
    p_a_wins = np.searchsorted(sorted_bb, ba) / points
    sorted_ba = np.sort(ba)
    p_b_wins = np.searchsorted(sorted_ba, bb, side="right") / points
    u_a = float(np.mean((va - ba) * p_a_wins))
    u_b = float(np.mean((vb - bb) * p_b_wins))
    revenue = float(np.mean(ba * p_a_wins) + np.mean(bb * p_b_wins))
    return revenue, (u_a, u_b)


def asymmetric_first_price(*, low_high: float = 1.0, high_high: float = 2.0) -> AuctionSetting:
    """First price, two bidders ``U[0, a]`` and ``U[0, b]``: Plum's closed form."""
    a, b = float(low_high), float(high_high)
    if not (a > 0.0 and b > 0.0 and math.isfinite(a) and math.isfinite(b)):
        raise GameError(f"low_high, high_high: expected positive upper bounds, got {low_high}, {high_high}")
    texts = [f"uniform:0:{a:g}", f"uniform:0:{b:g}"]
    revenue, utilities = _plum_revenue(a, b)
    return AuctionSetting(
        name="asymmetric-first-price", mechanism=_single("first_price", 2), priors=_uniform_priors(texts),
        prior_texts=tuple(texts),
        strategies=(functools.partial(asymmetric_uniform_bid, own_high=a, other_high=b),
                    functools.partial(asymmetric_uniform_bid, own_high=b, other_high=a)),
        revenue=revenue, utilities=utilities, parameters={"low_high": a, "high_high": b},
        reference="Plum (1992), Int. J. Game Theory 20; Krishna, Auction Theory (2010), ch. 4.3")


# Ex-ante utilities in the LLG equilibria with independent values (gamma = 0). VCG: derived here (global:
# E[(v_g - v_0 - v_1)^+] = 7/24; a local: E[(v_0 - (v_g - v_1)^+)^+] = 1/8 + 1/12 = 5/24). The core-selecting rules:
# bnelearn's high-precision estimates (2**34 Monte Carlo draws; notebooks/"High Precision BNE-Utility.ipynb" of
# github.com/heidekrueger/bnelearn), about 1e-5 accurate; nearest-bid's are 1/8 and 1/2 to that accuracy.
LLG_UTILITIES: Mapping[str, tuple[float, float, float]] = {
    "vcg": (5 / 24, 5 / 24, 7 / 24),
    "proxy": (0.133993, 0.133993, 0.464034),
    "nearest_bid": (0.125000, 0.125000, 0.499997),
    "nearest_vcg": (0.133167, 0.133167, 0.467341),
}


def _llg(rule: str, gamma: float) -> AuctionSetting:
    from equilibria.games.auctions import LLGAuction

    g = _check_unit("gamma", gamma)
    texts = ["uniform:0:1", "uniform:0:1", "uniform:0:2"]
    local = functools.partial(llg_local_bid, rule=rule, gamma=g)
    return AuctionSetting(
        name=f"llg-{rule.replace('_', '-')}", mechanism=LLGAuction(rule=rule), priors=_uniform_priors(texts),
        prior_texts=tuple(texts), strategies=(local, local, truthful), parameters={"gamma": g},
        utilities=LLG_UTILITIES[rule] if g == 0.0 else None,
        reference="Ausubel and Baranov (2020), Int. J. Game Theory 49; Bichler et al. (2021), Nat. Mach. Intell. 3")


def llg_vcg(*, gamma: float = 0.0) -> AuctionSetting:
    """LLG with VCG payments: everyone truthful."""
    return _llg("vcg", gamma)


def llg_nearest_vcg(*, gamma: float = 0.0) -> AuctionSetting:
    """LLG, nearest-VCG core payments: locals ``max(0, v - (3 - sqrt 8))`` at ``gamma = 0``, global truthful."""
    return _llg("nearest_vcg", gamma)


def llg_nearest_bid(*, gamma: float = 0.0) -> AuctionSetting:
    """LLG, nearest-bid core payments: locals ``log 2 - log(2 - v)`` at ``gamma = 0``, global truthful."""
    return _llg("nearest_bid", gamma)


def llg_proxy(*, gamma: float = 0.0) -> AuctionSetting:
    """LLG, proxy (nearest-zero) core payments: locals ``max(0, 1 + log v)`` at ``gamma = 0``, global truthful."""
    return _llg("proxy", gamma)


def power_first_price_bid(v: Any, *, exponent: float, n_bidders: int) -> Any:
    """Symmetric first price with ``F(v) = (v / h)**A``: ``b(v) = v - int_0^v F^{n-1} / F^{n-1}(v)
    = A (n - 1) / (A (n - 1) + 1) v`` (any ``h``)."""
    k = exponent * (n_bidders - 1)
    return _as_array(v) * (k / (k + 1.0))


def power_all_pay_bid(v: Any, *, exponent: float, n_bidders: int, high: float = 1.0) -> Any:
    """Symmetric all-pay with ``F(v) = (v / high)**A``: ``b(v) = int_0^v x dF^{n-1}(x) = k / (k + 1) v**(k+1) /
    high**k``, ``k = A (n - 1)`` (uniform: ``A = 1``)."""
    k = exponent * (n_bidders - 1)
    v = _as_array(v)
    return k / (k + 1.0) * v ** (k + 1.0) / high**k


def _power_exponent(prior: Any) -> float | None:
    """``A`` when the prior is ``F(v) = (v / high)**A`` on ``[0, high]`` (uniform: 1), else None."""
    if prior.low != 0.0:
        return None
    if prior.kind == "uniform":
        return 1.0
    if prior.kind == "power":
        return float(prior.params[0])
    return None


def known_equilibrium(mechanism: Any, priors: Any, *, risk: float = 1.0) -> tuple[Strategy, ...] | None:
    """The closed-form Bayes-Nash equilibrium (one bid function per bidder) of ``mechanism`` with these
    independent ``priors``, where this module knows one; else None.

    Known: second price (truthful, any priors and reserve, risk-neutral or not); symmetric first price and all-pay
    with ``F(v) = (v / h)**A`` on ``[0, h]`` (uniform: ``A = 1``) and no reserve, risk-neutral (first price also
    CRRA with uniform values: ``(n - 1) / (n - 1 + rho) v``); symmetric uniform ``[0, h]`` first price with a
    reserve; two uniform ``[0, a]``, ``[0, b]`` bidders in first price (Plum); LLG with locals ``U[0, 1]`` and the
    global ``U[0, 2]`` under VCG and the core-selecting rules (independent values).
    """
    from equilibria.games.auctions import LLGAuction, SingleItemAuction

    priors = tuple(priors)
    if isinstance(mechanism, LLGAuction):
        texts = [(p.kind, p.low, p.high) for p in priors]
        if risk != 1.0 or mechanism.rule == "first_price" or texts != [
                ("uniform", 0.0, 1.0), ("uniform", 0.0, 1.0), ("uniform", 0.0, 2.0)]:
            return None
        local = functools.partial(llg_local_bid, rule=mechanism.rule, gamma=0.0)
        return (local, local, truthful)
    if not isinstance(mechanism, SingleItemAuction) or len(priors) != mechanism.n_bidders:
        return None
    n, r, rule = mechanism.n_bidders, mechanism.reserve, mechanism.rule
    if rule == "second_price":
        return (truthful,) * n
    exponents = [_power_exponent(p) for p in priors]
    symmetric = len({(p.kind, p.low, p.high, p.params) for p in priors}) == 1
    if n == 1 or any(a is None for a in exponents):
        return None
    a, high = float(exponents[0] or 1.0), priors[0].high
    if rule == "first_price" and symmetric and r == 0.0 and (risk == 1.0 or a == 1.0):
        if a == 1.0:
            return (functools.partial(linear_bid, slope=(n - 1) / (n - 1 + risk)),) * n
        return (functools.partial(power_first_price_bid, exponent=a, n_bidders=n),) * n
    if risk != 1.0:
        return None
    if rule == "first_price" and symmetric and a == 1.0 and r <= high:
        return (functools.partial(first_price_reserve_bid, n_bidders=n, reserve=r),) * n
    if rule == "first_price" and n == 2 and r == 0.0 and all(e == 1.0 for e in exponents):
        h0, h1 = priors[0].high, priors[1].high
        return (functools.partial(asymmetric_uniform_bid, own_high=h0, other_high=h1),
                functools.partial(asymmetric_uniform_bid, own_high=h1, other_high=h0))
    if rule == "all_pay" and symmetric and r == 0.0:
        return (functools.partial(power_all_pay_bid, exponent=a, n_bidders=n, high=high),) * n
    return None


AUCTION_SETTINGS: Mapping[str, Callable[..., AuctionSetting]] = {
    "first-price": first_price,
    "second-price": second_price,
    "all-pay": all_pay,
    "first-price-reserve": first_price_reserve,
    "second-price-reserve": second_price_reserve,
    "myerson": myerson,
    "asymmetric-first-price": asymmetric_first_price,
    "risk-averse-first-price": risk_averse_first_price,
    "llg-vcg": llg_vcg,
    "llg-nearest-vcg": llg_nearest_vcg,
    "llg-nearest-bid": llg_nearest_bid,
    "llg-proxy": llg_proxy,
}

AUCTION_ALIASES: Mapping[str, str] = {
    "fpa": "first-price", "first-price-uniform": "first-price", "fpsb": "first-price",
    "spa": "second-price", "vickrey": "second-price", "second-price-uniform": "second-price",
    "all-pay-uniform": "all-pay", "apa": "all-pay",
    "optimal-auction": "myerson", "myerson-reserve": "myerson",
    "plum": "asymmetric-first-price", "asymmetric-uniform": "asymmetric-first-price",
    "crra-first-price": "risk-averse-first-price", "risk-averse": "risk-averse-first-price",
    "llg-nearest-zero": "llg-proxy",
}


def names() -> tuple[str, ...]:
    return tuple(AUCTION_SETTINGS)


def auction_setting(name: str, **params: float) -> AuctionSetting:
    """The setting called ``name`` (any case, hyphens or underscores, :data:`AUCTION_ALIASES`) built with ``params``
    (the factory's keyword arguments). An unknown name or parameter: a one-line GameError."""
    canonical = resolve(name, AUCTION_SETTINGS, aliases=AUCTION_ALIASES, kind="auction setting")
    factory = AUCTION_SETTINGS[canonical]
    known = [p for p in inspect.signature(factory).parameters]
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise GameError(f"{canonical}: unknown parameter {unknown[0]!r} (parameters: {', '.join(known) or 'none'})")
    return factory(**params)
