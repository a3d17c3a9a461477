"""Logit demand oligopoly of Calvano, Calzolari, Denicolo and Pastorello (AER 2020): prices, profits, the price grid.

Firm ``i`` of ``n`` sells one differentiated good at price ``p_i`` and marginal cost ``c_i``; with product qualities
``a_i``, an outside good of quality ``a_0`` and horizontal differentiation ``mu > 0``, its market share is

    q_i(p) = exp((a_i - p_i) / mu) / (sum_j exp((a_j - p_j) / mu) + exp(a_0 / mu))

and its per-period profit ``pi_i(p) = (p_i - c_i) q_i(p)``. Since ``dq_i/dp_i = -q_i (1 - q_i) / mu``:

- the static Bertrand-Nash prices solve the fixed point ``p_i = c_i + mu / (1 - q_i(p))`` (one equation per firm,
  solved with ``scipy.optimize.root``; a symmetric market reduces to one scalar equation, solved with ``brentq``);
- the joint-monopoly prices (maximising ``sum_i pi_i``) share one markup ``M = p_i - c_i`` that solves
  ``M (1 - sum_j q_j(c + M)) = mu`` (a scalar root, ``brentq``).

The learning algorithms choose from a grid of ``m`` prices per firm, equally spaced on
``[pN_i - xi (pM_i - pN_i), pM_i + xi (pM_i - pN_i)]`` (Nash and monopoly prices of that firm). Joint actions are
indexed in mixed radix with firm 0 most significant: ``joint = sum_i a_i m^(n-1-i)``; :func:`profit_table` returns
``profits[i, joint]``, shape ``(n, m^n)``. The profit gain of profits ``pi`` is ``(pi - piN) / (piM - piN)``.

The paper's baseline (``n = 2, a_i = 2, a_0 = 0, mu = 1/4, c = 1``) has ``pN = 1.4729``, ``pM = 1.9250``,
``piN = 0.2229``, ``piM = 0.3375``; the tests recompute them from these formulas.

**Where the model is computable.** Demand depends on prices only through ``(a_i - p_i) / mu``: in units of ``mu``
the market is fixed by the firms' net qualities ``(a_i - c_i - a_0) / mu``, and markups are ``mu`` times numbers
of order 1 to ``(a_i - c_i - a_0) / mu``. Floats then bound the domain (checks raise :class:`ParameterError`,
naming the parameter):

- scale: every ``|a_i|``, ``c_i`` and ``|a_0|`` is at most ``MAX_SCALE = 1e9`` times ``mu``. The exponents
  ``(a_i - p_i) / mu`` carry an absolute rounding error of about ``2e-16`` times that ratio, and it becomes a
  relative error of the shares: beyond ``1e9`` profit gains lose their sixth digit (and at ``1e16``, with
  ``mu = 1e-300`` say, ``c + mu == c`` and the Nash markup cannot be represented at all);
- range: ``MU_RANGE = [1e-200, 1e200]``, so that prices (up to about ``2e9 mu``), profits and Q values (profits
  over ``1 - delta >= 1e-16``) stay far from the ends of the float range;
- resolution (:func:`pricing_market`): Nash and monopoly prices and profits must differ in their ninth digit.
  They coincide when the goods are far worse than the outside good (net quality below about ``-9 mu`` for two
  firms, ``-10 mu`` for five: the shares, of order ``exp(net quality / mu)``, are then too small for collusion to
  gain a relative ``1e-9``), and the profit gain ``(pi - piN) / (piM - piN)`` would divide rounding noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import optimize

from equilibria.core.errors import GameError

MAX_JOINT_ACTIONS = 10**7  # the profit table holds n * m^n floats
MAX_SCALE = 1e9  # largest |a_i|, c_i, |a_0| as a multiple of mu (module docstring)
MU_RANGE = (1e-200, 1e200)
MAX_FIRMS = 10**6  # a demand system holds a few tuples of n floats; markets are limited by MAX_JOINT_ACTIONS
_RESOLUTION = 1e-9  # Nash and monopoly prices and profits must differ by this much, relatively
_ORDINARY_LEVEL = 1e3  # levels up to this size are ordinary: a scale error is then blamed on a small mu


class ParameterError(GameError):
    """A :class:`GameError` that names the parameter at fault (``parameter``, the argument's name), so that a
    front end can name its own spelling of it (the command line's flag)."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


def _finite(name: str, value: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ParameterError(name, f"LogitDemand: {name} must be a finite number, got {value!r}") from None
    if not math.isfinite(number):
        raise ParameterError(name, f"LogitDemand: {name} must be finite, got {value!r}")
    return number


def _check_scale(quality: tuple[float, ...], cost: tuple[float, ...], outside: float, mu: float) -> None:
    """The domain of the module docstring: ``mu`` in ``MU_RANGE``, every level at most ``MAX_SCALE * mu``."""
    for name, values in (("quality", quality), ("cost", cost), ("outside", (outside,))):
        largest = max(abs(v) for v in values)
        if largest > MAX_SCALE * mu:
            culprit = "mu" if largest <= _ORDINARY_LEVEL else name
            ratio = largest / mu
            times = f"{ratio:.3g} times" if math.isfinite(ratio) else "more than 1e308 times"
            raise ParameterError(culprit, f"LogitDemand: {name} {largest:g} is {times} mu = {mu:g}, more than "
                                          f"{MAX_SCALE:g}: demand changes over price steps of size mu, which floats "
                                          f"cannot resolve at that scale (raise mu or bring {name} closer to 0)")
    low, high = MU_RANGE
    if not low <= mu <= high:
        raise ParameterError("mu", f"LogitDemand: mu = {mu:g} is outside [{low:g}, {high:g}], where prices, profits "
                                   f"and Q values (profits / (1 - delta)) stay inside the float range")



@dataclass(frozen=True)
class LogitDemand:
    """Logit demand with qualities ``a_i``, outside quality ``a_0``, differentiation ``mu`` and costs ``c_i``.

    ``quality`` and ``cost`` have one entry per firm (``n = len(quality) >= 2``).
    """

    quality: tuple[float, ...]
    cost: tuple[float, ...]
    outside: float = 0.0
    mu: float = 0.25

    def __post_init__(self) -> None:
        quality = tuple(_finite("quality", a) for a in self.quality)
        cost = tuple(_finite("cost", c) for c in self.cost)
        if len(quality) < 2:
            raise ParameterError("quality", f"LogitDemand: quality needs one entry per firm and at least 2 firms, "
                                            f"got {len(quality)}")
        if len(cost) != len(quality):
            raise ParameterError("cost", f"LogitDemand: cost has {len(cost)} entries, quality has {len(quality)}")
        if any(c < 0 for c in cost):
            shown = cost[0] if len(set(cost)) == 1 else cost
            raise ParameterError("cost", f"LogitDemand: cost must be >= 0, got {shown}")
        mu = _finite("mu", self.mu)
        if not mu > 0:
            raise ParameterError("mu", f"LogitDemand: mu must be > 0, got {self.mu!r}")
        outside = _finite("outside", self.outside)
        _check_scale(quality, cost, outside, mu)
        object.__setattr__(self, "quality", quality)
        object.__setattr__(self, "cost", cost)
        object.__setattr__(self, "outside", outside)
        object.__setattr__(self, "mu", mu)

    @classmethod
    def symmetric(cls, n: int = 2, *, quality: float = 2.0, cost: float = 1.0, outside: float = 0.0,
                  mu: float = 0.25) -> LogitDemand:
        """``n`` identical firms; the defaults are the paper's baseline."""
        if isinstance(n, bool) or not isinstance(n, int | np.integer):
            raise ParameterError("n", f"LogitDemand.symmetric: n must be an integer >= 2, got {n!r}")
        if n < 2:
            raise ParameterError("n", f"LogitDemand.symmetric: n must be >= 2, got {n}")
        if n > MAX_FIRMS:
            raise ParameterError("n", f"LogitDemand.symmetric: n = {n} firms is more than {MAX_FIRMS}")
        return cls((quality,) * int(n), (cost,) * int(n), outside, mu)

    @property
    def n_firms(self) -> int:
        return len(self.quality)

    @property
    def is_symmetric(self) -> bool:
        return len(set(self.quality)) == 1 and len(set(self.cost)) == 1

    def shares(self, prices: Any) -> np.ndarray:
        """Market shares ``q[..., i]`` of prices ``[..., n]`` (any leading batch shape)."""
        p = self._check_prices(prices, "shares")
        a, mu = np.asarray(self.quality), self.mu
        # Subtract the largest exponent before exp so that small mu never overflows.
        exponents = (a - p) / mu
        top = np.maximum(exponents.max(axis=-1, keepdims=True), self.outside / mu)
        weights = np.exp(exponents - top)
        return weights / (weights.sum(axis=-1, keepdims=True) + np.exp(self.outside / mu - top))

    def profits(self, prices: Any) -> np.ndarray:
        """Per-period profits ``pi[..., i] = (p_i - c_i) q_i`` of prices ``[..., n]``."""
        p = self._check_prices(prices, "profits")
        return (p - np.asarray(self.cost)) * self.shares(p)

    def nash_prices(self) -> np.ndarray:
        """Static Bertrand-Nash prices, shape ``(n,)``: the root of ``p_i - c_i - mu / (1 - q_i(p))``.

        Solved for the markups in units of mu, ``x_i = (p_i - c_i) / mu``, where the equations are free of the
        scale: the same tolerances hold for any mu, and the bracket cannot round away when c is much larger than mu.
        """
        c, mu = np.asarray(self.cost), self.mu
        if self.is_symmetric:
            def symmetric_gap(x: float) -> float:
                return x - 1.0 / (1.0 - float(self.shares(np.full(self.n_firms, c[0] + mu * x))[0]))
            # x = 1 / (1 - q) lies in [1, n / (n - 1)] (an end when a share rounds to 0 or to 1/n, so an end may
            # be the root itself).
            low, high = 1.0, float(self.n_firms)
            if symmetric_gap(low) >= 0:
                x = low
            elif symmetric_gap(high) <= 0:
                x = high
            else:
                x = optimize.brentq(symmetric_gap, low, high, xtol=1e-15, rtol=1e-15)
            return np.full(self.n_firms, c[0] + mu * float(x))

        def gap(x: np.ndarray) -> np.ndarray:
            return x - 1.0 / (1.0 - self.shares(c + mu * x))

        solution = optimize.root(gap, np.ones(self.n_firms), method="hybr", options={"xtol": 1e-13})
        # hybr may report "no further improvement" at machine precision: judge the residual, not the flag.
        if not np.max(np.abs(gap(solution.x))) <= 1e-10:
            raise GameError(f"LogitDemand.nash_prices: the first-order conditions did not solve ({solution.message})")
        return c + mu * np.asarray(solution.x, dtype=float)

    def monopoly_prices(self) -> np.ndarray:
        """Joint-profit-maximising prices, shape ``(n,)``: common markup ``M`` with ``M (1 - sum_j q_j) = mu``,
        solved for ``x = M / mu`` (scale-free, as in :meth:`nash_prices`)."""
        c, mu = np.asarray(self.cost), self.mu

        def gap(x: float) -> float:
            return x * (1.0 - float(self.shares(c + mu * x).sum())) - 1.0

        upper = 1.0
        while gap(upper) <= 0:  # the gap grows without bound in the markup: double until it is positive
            upper *= 2.0
        x = optimize.brentq(gap, 0.0, upper, xtol=1e-15, rtol=1e-15)
        return c + mu * float(x)

    def _check_prices(self, prices: Any, where: str) -> np.ndarray:
        p = np.asarray(prices, dtype=float)
        if p.ndim == 0 or p.shape[-1] != self.n_firms:
            raise GameError(f"LogitDemand.{where}: prices need a last axis of {self.n_firms} firms, got {p.shape}")
        if not np.all(np.isfinite(p)) or np.any(p < 0):
            raise GameError(f"LogitDemand.{where}: prices must be finite and >= 0")
        return p


@dataclass(frozen=True)
class PricingMarket:
    """A logit market discretised for the learning algorithms.

    Attributes:
      demand: the demand system.
      n_prices: ``m``, grid points per firm.
      xi: how far the grid extends beyond the Nash and monopoly prices (as a share of ``pM - pN``).
      grid: ``(n, m)`` prices available to each firm.
      profits: ``(n, m^n)`` profit of each firm at each joint action (mixed radix, firm 0 most significant).
      nash_prices, monopoly_prices, nash_profits, monopoly_profits: ``(n,)`` each, from the continuous model.
    """

    demand: LogitDemand
    n_prices: int
    xi: float
    grid: np.ndarray = field(repr=False)
    profits: np.ndarray = field(repr=False)
    nash_prices: np.ndarray = field(repr=False)
    monopoly_prices: np.ndarray = field(repr=False)
    nash_profits: np.ndarray = field(repr=False)
    monopoly_profits: np.ndarray = field(repr=False)

    @property
    def n_firms(self) -> int:
        return self.demand.n_firms

    def profit_gain(self, profits: Any) -> np.ndarray:
        """``(pi - piN) / (piM - piN)`` per firm, for profits ``[..., n]``."""
        return (np.asarray(profits, dtype=float) - self.nash_profits) / (self.monopoly_profits - self.nash_profits)

    def joint_index(self, actions: Any) -> int:
        """The joint-action index of one grid index per firm."""
        index = 0
        for a in actions:
            index = index * self.n_prices + int(a)
        return index

    def actions_of(self, joint: int) -> tuple[int, ...]:
        """Inverse of :meth:`joint_index`."""
        actions = []
        for _ in range(self.n_firms):
            joint, a = divmod(int(joint), self.n_prices)
            actions.append(a)
        return tuple(reversed(actions))


def price_grid(demand: LogitDemand, n_prices: int = 15, xi: float = 0.1) -> np.ndarray:
    """``(n, m)`` grid: ``m`` equally spaced prices per firm on ``[pN - xi (pM - pN), pM + xi (pM - pN)]``."""
    _check_grid(n_prices, xi, "price_grid")
    nash, monopoly = demand.nash_prices(), demand.monopoly_prices()
    width = monopoly - nash
    low, high = nash - xi * width, monopoly + xi * width
    if np.any(low < 0):
        raise ParameterError("xi", f"price_grid: xi = {xi} puts the lowest grid price below 0")
    if not np.all(np.isfinite(high)):
        raise ParameterError("xi", f"price_grid: xi = {xi} puts the highest grid price beyond the float range")
    return low[:, None] + (high - low)[:, None] * np.linspace(0.0, 1.0, n_prices)[None, :]


def profit_table(demand: LogitDemand, grid: Any) -> np.ndarray:
    """``profits[i, joint]`` over every joint action of the ``(n, m)`` grid, shape ``(n, m^n)``."""
    g = np.asarray(grid, dtype=float)
    n, m = demand.n_firms, g.shape[-1] if g.ndim == 2 else 0
    if g.shape != (n, m) or m < 2:
        raise GameError(f"profit_table: grid must have shape (n_firms={n}, m >= 2), got {g.shape}")
    if n * math.log10(m) > math.log10(MAX_JOINT_ACTIONS) + 1e-12 and m**n > MAX_JOINT_ACTIONS:
        raise ParameterError("n_prices", f"profit_table: m^n = {m}^{n} joint actions exceed {MAX_JOINT_ACTIONS}")
    # indexing="ij" with firm 0 first gives the mixed-radix order of joint_index after reshape.
    profiles = np.stack(np.meshgrid(*g, indexing="ij"), axis=-1).reshape(-1, n)
    return np.ascontiguousarray(demand.profits(profiles).T)


def pricing_market(demand: LogitDemand | None = None, n_prices: int = 15, xi: float = 0.1) -> PricingMarket:
    """The discretised market; defaults are the paper's baseline (2 firms, 15 prices, xi = 0.1)."""
    demand = LogitDemand.symmetric() if demand is None else demand
    _check_grid(n_prices, xi, "pricing_market")
    if demand.n_firms * math.log10(n_prices) > math.log10(MAX_JOINT_ACTIONS) + 1e-12:  # before any m^n exists
        raise ParameterError("n_prices" if demand.n_firms == 2 else "n",
                             f"pricing_market: m^n = {n_prices}^{demand.n_firms} joint actions exceed "
                             f"{MAX_JOINT_ACTIONS}")
    nash, monopoly = demand.nash_prices(), demand.monopoly_prices()
    nash_profits, monopoly_profits = demand.profits(nash), demand.profits(monopoly)
    _check_resolution(demand, nash, monopoly, nash_profits, monopoly_profits)
    grid = price_grid(demand, n_prices, xi)
    return PricingMarket(demand, n_prices, float(xi), grid, profit_table(demand, grid), nash, monopoly,
                         nash_profits, monopoly_profits)


def _check_resolution(demand: LogitDemand, nash: np.ndarray, monopoly: np.ndarray, nash_profits: np.ndarray,
                      monopoly_profits: np.ndarray) -> None:
    """Nash and monopoly must differ in their ninth digit (module docstring), every figure finite."""
    figures = np.concatenate([nash, monopoly, nash_profits, monopoly_profits])
    if not np.all(np.isfinite(figures)):
        raise ParameterError("mu", f"pricing_market: the Nash or monopoly prices or profits are not finite "
                                   f"(mu = {demand.mu:g}); the model is outside the float range")
    # Differences against scaled tolerances, not ratios: a monopoly profit of exactly 0 has no resolution (no 0/0).
    prices_apart = np.min(monopoly - nash) > _RESOLUTION * np.max(np.abs(monopoly))
    profits_apart = np.min(monopoly_profits - nash_profits) > _RESOLUTION * np.max(np.abs(monopoly_profits))
    if prices_apart and profits_apart:
        return
    net = float(np.min((np.asarray(demand.quality) - np.asarray(demand.cost) - demand.outside) / demand.mu))
    raise ParameterError("quality", f"pricing_market: Nash and monopoly {'profits' if prices_apart else 'prices'} "
                                    f"agree to {round(-math.log10(_RESOLUTION))} digits: the goods' net quality "
                                    f"(quality - cost - outside) / mu = {net:.3g} leaves shares too small for "
                                    f"collusion to gain anything a float resolves, and profit gains (pi - piN) / "
                                    f"(piM - piN) would divide rounding noise (raise quality or mu, or lower cost "
                                    f"or outside)")


def _check_grid(n_prices: int, xi: float, where: str) -> None:
    if isinstance(n_prices, bool) or not isinstance(n_prices, int | np.integer) or n_prices < 2:
        raise ParameterError("n_prices", f"{where}: n_prices must be an integer >= 2, got {n_prices!r}")
    try:
        finite = math.isfinite(xi)
    except TypeError:
        finite = False
    if not finite or xi < 0:
        raise ParameterError("xi", f"{where}: xi must be finite and >= 0, got {xi!r}")
