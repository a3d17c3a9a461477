"""Full-information certificates of bid profiles in position auctions (`games.auctions.PositionAuction`).

Values are known to every bidder (the complete-information game of Edelman, Ostrovsky and Schwarz 2007 and Varian
2007). ``values: [n]`` are per-click values, ``bids: [n]`` one bid profile.

- :func:`nash_regret`: each bidder's largest gain from a unilateral deviation, found exactly. A deviation matters
  only through the rank it lands in and the bidders below it: with the others' bids fixed, bidder ``i``'s slot and
  price (GSP's next bid, or VCG's ladder) are constant while its score ``bid * quality_i`` stays strictly between
  two consecutive distinct breakpoints (the others' eligible scores and ``quality_i * reserve``). So evaluating
  the mechanism at every breakpoint, at one point inside each gap, above the highest and at 0 (with the current bid)
  covers every outcome a deviation can reach; no grid, no tolerance.
- :func:`local_envy` / :func:`envy_gap`: EOS's local envy-freeness. The bidder in rank ``k >= 1`` (the first
  bidder without a slot included) would *exchange* positions and total payments with the bidder just above:
  ``quality_i * ctr[k-1] * v_i - P_(k-1) - u_i`` (positive: envy). A locally envy-free profile has ``envy_gap`` 0.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from equilibria.core.errors import GameError
from equilibria.games.auctions import PositionAuction, outcome, position_slots, utilities


class NashRegret(NamedTuple):
    """``gains [n]``: each bidder's best gain over every deviation (>= 0); ``best_bids [n]``: a bid achieving it
    (the current bid when no deviation gains); ``best_slots [n]``: the slot it lands in (-1: none);
    ``max_gain``: the largest gain (the profile's Nash regret)."""

    gains: np.ndarray
    best_bids: np.ndarray
    best_slots: np.ndarray
    max_gain: float


def _profile(auction: Any, values: Any, bids: Any, caller: str) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(auction, PositionAuction):
        raise GameError(f"{caller}: auction must be a PositionAuction, got {type(auction).__name__}")
    v = np.asarray(values, dtype=float)
    b = np.asarray(bids, dtype=float)
    n = auction.n_bidders
    if v.shape != (n,) or b.shape != (n,):
        raise GameError(f"{caller}: values and bids must have shape ({n},) (one profile), got {v.shape} and {b.shape}")
    utilities(auction, v, b)  # the mechanism's own checks: finite values, finite bids >= 0
    return v, b


def _candidate_scores(auction: PositionAuction, b: np.ndarray, quality: np.ndarray, i: int) -> np.ndarray:
    """Scores covering every (slot, price) bidder ``i`` can reach (module docstring), the current one first."""
    others = np.delete(b * quality, i)[np.delete(b, i) >= auction.reserve]
    points = np.unique(np.concatenate([others, [quality[i] * auction.reserve, 0.0]]))
    gaps = 0.5 * (points[1:] + points[:-1])
    above = 2.0 * points[-1] + 1.0
    # interior points before breakpoints: a reported best bid then sits inside its interval, not on a tie
    return np.concatenate([[b[i] * quality[i]], gaps, [above], points])


def nash_regret(auction: PositionAuction, values: Any, bids: Any) -> NashRegret:
    """Each bidder's exact best gain from a unilateral deviation of the bid profile (module docstring).

    Args:
      auction: a GSP or VCG position auction.
      values: ``[n]`` per-click values.
      bids: ``[n]`` the profile.
    """
    v, b = _profile(auction, values, bids, "nash_regret")
    n = auction.n_bidders
    quality = np.ones(n) if auction.quality is None else np.asarray(auction.quality)
    current = utilities(auction, v, b)
    gains, best_bids, best_slots = np.zeros(n), b.copy(), np.asarray(position_slots(auction, b)).copy()
    for i in range(n):
        candidates = _candidate_scores(auction, b, quality, i) / quality[i]
        profiles = np.repeat(b[None, :], candidates.size, axis=0)
        profiles[:, i] = candidates
        own = utilities(auction, v, profiles)[:, i]
        best = int(np.argmax(own))  # the current bid comes first: a tie keeps it
        gains[i] = max(own[best] - current[i], 0.0)
        best_bids[i] = candidates[best]
        best_slots[i] = position_slots(auction, profiles[best])[i]
    return NashRegret(gains, best_bids, best_slots, float(gains.max()))


def local_envy(auction: PositionAuction, values: Any, bids: Any) -> np.ndarray:
    """``[n]``: each bidder's envy of the position just above it (module docstring); 0 for the top bidder, bidders
    below the first without a slot, and bidders under the reserve."""
    v, b = _profile(auction, values, bids, "local_envy")
    n = auction.n_bidders
    quality = np.ones(n) if auction.quality is None else np.asarray(auction.quality)
    result = outcome(auction, b)
    u = v * result.allocation - result.payments
    eligible = b >= auction.reserve
    scores = np.where(eligible, b * quality, -1.0)
    order = np.argsort(-scores, kind="stable")  # rank -> bidder, as the mechanism ranks
    ctr = np.asarray(auction.ctr)
    envy = np.zeros(n)
    for k in range(1, min(n, auction.n_slots + 1)):
        i, above = order[k], order[k - 1]
        if eligible[i]:
            envy[i] = quality[i] * ctr[k - 1] * v[i] - result.payments[above] - u[i]
    return envy


def envy_gap(auction: PositionAuction, values: Any, bids: Any) -> float:
    """The largest local envy, at least 0 (0: locally envy-free, Edelman-Ostrovsky-Schwarz 2007)."""
    return float(max(local_envy(auction, values, bids).max(), 0.0))
