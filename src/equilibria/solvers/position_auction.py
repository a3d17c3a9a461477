"""The lowest locally envy-free equilibrium of the generalized second-price auction (Edelman, Ostrovsky and Schwarz
2007; Varian 2007), with full information.

Bidders whose value reaches the reserve take part; they are ranked by score-value ``w_i = quality_i * v_i`` (ties
by the lower index, as the auction breaks ties), and ``alpha_k`` is the click-through rate of rank ``k`` (0 past
the last slot). In score units (bid times quality; with quality 1 these are bids) the lowest locally envy-free
bids solve, from the bottom up,

    s_k = s_(k+1) + (1 - alpha_k / alpha_(k-1)) * (w_k - s_(k+1)),   k = m-1, ..., 1,   s_m = reserve,

(``m`` participants; ``alpha_k / alpha_(k-1)`` read as 0 when ``alpha_(k-1) = 0``): each bidder is indifferent
between its slot and exchanging with the one above, so participants without a slot bid their values. Then every
slot's price equals its VCG price per click and the revenue equals VCG's (the theorem the tests check). With quality
scores the game in score units is the plain one with values ``w`` (a bidder's utility is
``alpha_k * (w_i - s_(k+1))``), so the same recursion holds there and bids are ``s / quality``; a reserve together
with quality scores breaks that reduction (the reserve is per click, on the bid) and is refused.

The top bidder's bid is not determined (any bid above the next one works): the convention here is its value
(``parameters["top_bid"] = "value"``). Bidders under the reserve bid their values and get no slot. Where the
recursion gives two bids that tie and the auction's tie-break (the lower index) would rank them against the value
order (equal click-through rates), the upper bid is raised by the least float step that ranks it above
(``parameters["tie_breaks"]`` counts them): the infimum is not attained there, and the certificate shows the cost.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from equilibria.core.errors import GameError, NotApplicableError
from equilibria.core.result import SolveResult
from equilibria.games.auctions import PositionAuction, outcome, revenue, utilities
from equilibria.metrics.position_auctions import envy_gap, nash_regret
from equilibria.solvers._common import DEFAULT_RTOL, Budget


def eos_solve(auction: PositionAuction, values: Any, *, tol: float | None = None, max_iterations: int | None = None,
              max_seconds: float | None = None) -> SolveResult:
    """The lowest locally envy-free Nash equilibrium of a GSP auction (module docstring), certified.

    Args:
      auction: a GSP :class:`PositionAuction` (``rule="gsp"``); quality scores allowed without a reserve.
      values: ``[n_bidders]`` per-click values, finite and >= 0, known to all bidders.
      tol: the largest Nash regret a certified result may show; None: ``1e-9`` times the largest utility any
        bidder could get (``max_i quality_i * v_i * ctr[0]``).
      max_iterations, max_seconds: accepted for the common solver signature; the recursion is one pass over the
        bidders (``iterations`` = n) and never needs them.

    Returns:
      ``equilibria=(bids [n],)``, ``values=(utilities [n],)`` from :func:`equilibria.games.auctions.utilities`,
      ``certificate=(Nash regret,)`` from :func:`equilibria.metrics.position_auctions.nash_regret`
      (``certificate_name="max_regret"``), ``parameters``: ``top_bid``, ``revenue``, ``vcg_revenue`` (VCG with
      truthful bids, same slots, quality and reserve), ``local_envy`` (:func:`~equilibria.metrics.position_auctions.
      envy_gap`), ``regret_per_bidder``, ``tie_breaks``, ``tol``.

    Raises:
      NotApplicableError: a VCG auction (bid values: it is truthful) or quality scores with a reserve.
      GameError: values of the wrong shape, negative, NaN or infinite.
    """
    started = time.perf_counter()
    Budget.checked(max_iterations, max_seconds, "eos_solve")
    if not isinstance(auction, PositionAuction):
        raise GameError(f"eos_solve: auction must be a PositionAuction, got {type(auction).__name__}")
    if auction.rule != "gsp":
        raise NotApplicableError("eos_solve: the EOS equilibrium is GSP's; in a VCG auction truthful bids "
                                 "(bids = values) are dominant")
    if auction.quality is not None and auction.reserve > 0:
        raise NotApplicableError("eos_solve: a per-click reserve with quality scores breaks the reduction to "
                                 "score units; use reserve=0 or quality=None")
    n = auction.n_bidders
    v = np.asarray(values, dtype=float)
    if v.shape != (n,) or not np.isfinite(v).all() or (v < 0).any():
        raise GameError(f"eos_solve: values must be {n} finite numbers >= 0 (one per bidder), got "
                        f"{np.asarray(values).tolist()!r}")
    if tol is not None and not (isinstance(tol, (int, float)) and tol >= 0):
        raise GameError(f"eos_solve: tol must be a number >= 0 or None, got {tol!r}")
    quality = np.ones(n) if auction.quality is None else np.asarray(auction.quality)
    bids, tie_breaks = _eos_bids(auction, v, quality)

    regret = nash_regret(auction, v, bids)
    scale = float((quality * v).max() * auction.ctr[0])
    tolerance = DEFAULT_RTOL * max(scale, 1.0) if tol is None else float(tol)
    result = outcome(auction, bids)
    vcg = PositionAuction("vcg", auction.ctr, n, auction.quality, auction.reserve)
    parameters = {
        "top_bid": "value", "tol": tolerance, "revenue": float(revenue(result)),
        "vcg_revenue": float(revenue(outcome(vcg, v))), "local_envy": envy_gap(auction, v, bids),
        "regret_per_bidder": regret.gains, "tie_breaks": tie_breaks, "max_iterations": max_iterations,
        "max_seconds": max_seconds,
    }
    converged = regret.max_gain <= tolerance
    if not converged:
        parameters["stopped_because"] = (f"the profile's Nash regret {regret.max_gain:.3g} exceeds tol "
                                         f"{tolerance:.3g} (float rounding)")
    return SolveResult(auction, "eos", (bids,), (np.asarray(utilities(auction, v, bids)),), (regret.max_gain,),
                       "max_regret", parameters, iterations=n, seconds=time.perf_counter() - started,
                       converged=converged)


def _eos_bids(auction: PositionAuction, v: np.ndarray, quality: np.ndarray) -> tuple[np.ndarray, int]:
    """The EOS bids ``[n]`` and how many ties were broken by a float step (module docstring)."""
    n = auction.n_bidders
    worth = quality * v
    taking_part = v >= auction.reserve
    index = np.arange(n)
    # participants first, by score-value descending, ties by the lower index (the auction's own tie-break)
    order = np.lexsort((index, -worth, ~taking_part))
    m = int(taking_part.sum())
    ranked = order[:m]
    alpha = np.asarray([auction.ctr[k] if k < auction.n_slots else 0.0 for k in range(max(m, 1))])
    scores = np.empty(m + 1)
    scores[m] = auction.reserve  # the last participant's price: quality is 1 whenever the reserve is positive
    for k in range(m - 1, 0, -1):
        ratio = alpha[k] / alpha[k - 1] if alpha[k - 1] > 0 else 0.0
        # s_(k+1) plus a share of the margin, so s_k >= s_(k+1) holds in floats too
        scores[k] = scores[k + 1] + (1.0 - ratio) * (worth[ranked[k]] - scores[k + 1])
    if m:
        scores[0] = worth[ranked[0]]
    bids = v.copy()  # non-participants bid their values (below the reserve)
    bids[ranked] = scores[:m] / quality[ranked]
    # the auction ranks by the float product bid * quality; keep the intended order where a tie would flip it
    tie_breaks = 0
    for k in range(m - 2, -1, -1):
        upper, lower = ranked[k], ranked[k + 1]
        while not _ranks_above(bids, quality, upper, lower):
            bids[upper] = np.nextafter(bids[upper], np.inf)
            tie_breaks += 1
    return bids, tie_breaks


def _ranks_above(bids: np.ndarray, quality: np.ndarray, i: int, j: int) -> bool:
    si, sj = bids[i] * quality[i], bids[j] * quality[j]
    return bool(si > sj or (si == sj and i < j))
