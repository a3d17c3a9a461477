"""Known revenue-optimal mechanisms, their exact revenues, and the same revenues estimated by simulating them.

Conventions: one bidder with additive values ``values: [..., m]`` (``m`` items) faces a *menu* of lotteries
(:class:`Menu`): entry ``k`` gives item ``j`` with probability ``allocations[k, j]`` in ``[0, 1]`` for the price
``prices[k]``; the zero option (nothing, for nothing) is always available and is not stored. The bidder takes the
entry of largest utility ``values @ allocations[k] - prices[k]``; ties go to the higher price (the seller's
favourite, the usual convention; ties have probability zero under continuous values, so revenues do not depend on
it). Any menu is incentive compatible: reporting a value only changes which entry the bidder is handed, and the
truthful report already hands over the best one.

The known answers (:data:`KNOWN`, values independent U[0, 1]):

- ``manelli_vincent``: one bidder, two items: each item at 2/3, the bundle at ``(4 - sqrt 2)/3`` (Manelli and
  Vincent 2006, optimal among all mechanisms). With ``c = (2 - sqrt 2)/3`` the bidder buys item 1 alone on
  ``[2/3, 1] x [0, c]`` (and item 2 symmetrically), the bundle above ``x + y = (4 - sqrt 2)/3`` elsewhere, so the
  revenue is ``4/9 + 2 sqrt 2 / 27`` (about 0.549201).
- ``pure_bundling``: the bundle alone at ``q``: sold with probability ``1 - q**2/2`` (``q <= 1``), revenue
  ``q - q**3/2``, largest at ``q = sqrt(2/3)``: ``(2/3) sqrt(2/3) = 2 sqrt 6 / 9`` (about 0.544331).
- ``separate_sale``: each item alone at its monopoly price 1/2: ``2 * 1/2 * 1/2 = 1/2``.
- ``myerson``: one item, two bidders: second price with reserve 1/2 (Myerson 1981; the virtual value ``2v - 1`` is
  non-negative from 1/2). Expected revenue ``E[max(second highest, 1/2); highest >= 1/2] = 5/12``.

Each entry's ``exact`` is a SymPy-readable expression of its revenue, and :func:`simulate_revenue` estimates the
same number by running the mechanism on sampled values (NumPy, an explicit seed), with its standard error.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from equilibria.core.errors import GameError

__all__ = [
    "KNOWN", "KnownOptimum", "Menu", "bundling_menu", "manelli_vincent_menu", "menu_choice", "menu_outcome",
    "myerson_outcome", "separate_sale_menu", "simulate_revenue",
]


def _finite_array(x: object, name: str, caller: str, *, ndim: int | None = None) -> np.ndarray:
    try:
        array = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise GameError(f"{caller}: {name} must be an array of numbers, got {type(x).__name__}") from None
    if ndim is not None and array.ndim != ndim:
        raise GameError(f"{caller}: {name} must have {ndim} dimension(s), got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise GameError(f"{caller}: {name} must be finite (no NaN or infinity)")
    return array


@dataclass(frozen=True, eq=False)
class Menu:
    """A menu of lotteries for one additive bidder (the zero option is implicit).

    Attributes:
      allocations: ``[K, m]`` probability of each item in each entry, in ``[0, 1]``.
      prices: ``[K]`` each entry's price.
    """

    allocations: np.ndarray
    prices: np.ndarray

    def __post_init__(self) -> None:
        allocations = _finite_array(self.allocations, "allocations", "Menu", ndim=2)
        prices = _finite_array(self.prices, "prices", "Menu", ndim=1)
        if allocations.shape[1] < 1:
            raise GameError("Menu: allocations must have at least one item (column), got 0")
        if allocations.shape[0] != prices.shape[0]:
            raise GameError(f"Menu: allocations has {allocations.shape[0]} entries but prices has {prices.shape[0]}")
        if np.any(allocations < 0) or np.any(allocations > 1):
            raise GameError("Menu: allocations must lie in [0, 1]")
        object.__setattr__(self, "allocations", allocations)
        object.__setattr__(self, "prices", prices)

    @property
    def n_items(self) -> int:
        return int(self.allocations.shape[1])


def _check_values(menu: Menu, values: object, caller: str) -> np.ndarray:
    array = _finite_array(values, "values", caller)
    if array.ndim < 1 or array.shape[-1] != menu.n_items:
        raise GameError(f"{caller}: values must have shape [..., {menu.n_items}], got {array.shape}")
    return array


def menu_choice(menu: Menu, values: object) -> np.ndarray:
    """``[...]`` the entry the bidder takes at ``values: [..., m]``: an index into the menu, ``-1`` for nothing."""
    v = _check_values(menu, values, "menu_choice")
    utility = v @ menu.allocations.T - menu.prices                          # [..., K]
    # Zero option first, then entries by decreasing price: argmax takes the first maximum, so ties go to the
    # higher price and an entry worth exactly 0 is bought (both favour the seller).
    order = np.argsort(-menu.prices, kind="stable")
    padded = np.concatenate([np.zeros(utility.shape[:-1] + (1,)), utility[..., order]], axis=-1)
    best = np.argmax(padded[..., ::-1], axis=-1)                              # entries first, then nothing
    index = padded.shape[-1] - 1 - best
    return np.where(index == 0, -1, order[np.maximum(index - 1, 0)])


def menu_outcome(menu: Menu, values: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(allocation [..., m], payment [...], utility [...])`` of the bidder at ``values: [..., m]``."""
    v = _check_values(menu, values, "menu_outcome")
    choice = menu_choice(menu, v)
    bought = choice >= 0
    allocation = np.where(bought[..., None], menu.allocations[np.maximum(choice, 0)], 0.0)
    payment = np.where(bought, menu.prices[np.maximum(choice, 0)], 0.0)
    return allocation, payment, np.sum(v * allocation, axis=-1) - payment


def manelli_vincent_menu() -> Menu:
    """Each of two items at 2/3, the bundle at ``(4 - sqrt 2)/3`` (optimal for two additive U[0, 1] items)."""
    return Menu(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]),
                np.array([2 / 3, 2 / 3, (4 - math.sqrt(2)) / 3]))


def bundling_menu(price: float = math.sqrt(2 / 3), n_items: int = 2) -> Menu:
    """All ``n_items`` items together at ``price`` (default: the optimal bundle price for two U[0, 1] items)."""
    if isinstance(n_items, bool) or not isinstance(n_items, int) or n_items < 1:
        raise GameError(f"bundling_menu: n_items must be a positive integer, got {n_items!r}")
    return Menu(np.ones((1, n_items)), np.array([price], dtype=float))


def separate_sale_menu(price: float = 0.5, n_items: int = 2) -> Menu:
    """Every item separately at ``price``: all ``2**n_items - 1`` non-empty sets, each at ``price`` per item."""
    if isinstance(n_items, bool) or not isinstance(n_items, int) or not 1 <= n_items <= 12:
        raise GameError(f"separate_sale_menu: n_items must be an integer from 1 to 12, got {n_items!r}")
    sets = np.array([[(s >> j) & 1 for j in range(n_items)] for s in range(1, 2 ** n_items)], dtype=float)
    return Menu(sets, price * sets.sum(axis=1))


def myerson_outcome(values: object, reserve: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Second price with a reserve on one item: ``(allocation [..., n], payments [..., n])`` at ``values: [..., n]``.

    The highest value at or above ``reserve`` wins (ties: the lowest index; probability zero here) and pays
    ``max(second highest value, reserve)``.
    """
    v = _finite_array(values, "values", "myerson_outcome")
    if v.ndim < 1 or v.shape[-1] < 1:
        raise GameError(f"myerson_outcome: values must have shape [..., n] with n >= 1, got {v.shape}")
    winner = np.argmax(v, axis=-1)
    top = np.take_along_axis(v, winner[..., None], axis=-1)[..., 0]
    others = np.where(np.arange(v.shape[-1]) == winner[..., None], -np.inf, v)
    second = np.max(others, axis=-1) if v.shape[-1] > 1 else np.full(top.shape, -np.inf)
    sold = top >= reserve
    allocation = (np.arange(v.shape[-1]) == winner[..., None]) & sold[..., None]
    payments = np.where(allocation, np.maximum(second, reserve)[..., None], 0.0)
    return allocation.astype(float), payments


@dataclass(frozen=True)
class KnownOptimum:
    """A known (optimal or benchmark) mechanism for independent U[0, 1] values.

    Attributes:
      name: the key in :data:`KNOWN`.
      n_bidders, n_items: the setting.
      revenue: the exact expected revenue as a float.
      exact: the same number as a SymPy-readable expression.
      optimal: whether the mechanism is revenue-optimal among all (Bayesian IC, IR) mechanisms of the setting.
      revenue_of: ``values [N, n_bidders * n_items] -> payments [N]`` (the mechanism run on sampled values).
    """

    name: str
    n_bidders: int
    n_items: int
    revenue: float
    exact: str
    optimal: bool
    revenue_of: Callable[[np.ndarray], np.ndarray] = field(repr=False, compare=False)


def _menu_revenue(menu: Menu) -> Callable[[np.ndarray], np.ndarray]:
    return lambda values: menu_outcome(menu, values)[1]


KNOWN: dict[str, KnownOptimum] = {
    "manelli_vincent": KnownOptimum("manelli_vincent", 1, 2, 4 / 9 + 2 * math.sqrt(2) / 27,
                                    "4/9 + 2*sqrt(2)/27", True, _menu_revenue(manelli_vincent_menu())),
    "pure_bundling": KnownOptimum("pure_bundling", 1, 2, 2 * math.sqrt(6) / 9, "2*sqrt(6)/9", False,
                                  _menu_revenue(bundling_menu())),
    "separate_sale": KnownOptimum("separate_sale", 1, 2, 0.5, "1/2", False, _menu_revenue(separate_sale_menu())),
    "myerson": KnownOptimum("myerson", 2, 1, 5 / 12, "5/12", True,
                            lambda values: myerson_outcome(values, 0.5)[1].sum(axis=-1)),
}


def simulate_revenue(known: KnownOptimum | str, *, n_samples: int = 2 ** 20, seed: int = 0) -> tuple[float, float]:
    """``(mean, standard error)`` of the revenue of ``known`` run on ``n_samples`` independent U[0, 1] draws."""
    if isinstance(known, str):
        if known not in KNOWN:
            raise GameError(f"simulate_revenue: unknown mechanism {known!r}; known: {', '.join(KNOWN)}")
        known = KNOWN[known]
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 2:
        raise GameError(f"simulate_revenue: n_samples must be an integer >= 2, got {n_samples!r}")
    values = np.random.default_rng(seed).random((n_samples, known.n_bidders * known.n_items))
    payments = known.revenue_of(values)
    return float(payments.mean()), float(payments.std(ddof=1) / math.sqrt(n_samples))
