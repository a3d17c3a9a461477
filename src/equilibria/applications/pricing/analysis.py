"""What the learned strategies do: limit cycles, profit gains, outcome classes and impulse responses.

After a session the greedy strategies ``g_i(s)`` are deterministic, so play from the final state follows
``s -> s'(s, g(s))`` and enters a limit cycle within ``n_states`` periods. As in Calvano et al. (AER 2020):

- the session's profit gain is ``Delta = (pi - piN) / (piM - piN)`` averaged over the periods of the limit cycle and
  over the firms;
- its outcome is ``constant symmetric`` (a cycle of length 1, all firms at the same price), ``constant asymmetric``
  (length 1, different prices), ``2-cycle`` or ``longer cycle``;
- the impulse response: in period 0 play is on the cycle; in period 1 firm 0 deviates to its static best response
  (on its grid) to the rivals' period-0 prices while the rivals follow their greedy strategies; from period 2 on
  every firm follows its greedy strategy. The *return period* is the first period ``t >= 2`` after which the state
  lies on the pre-deviation cycle again (with memory 1: period ``t``'s prices are a cycle's prices); from then on play
  stays on the cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from equilibria.applications.pricing.demand import PricingMarket
from equilibria.applications.pricing.qlearning import Sessions
from equilibria.core.errors import GameError

OUTCOMES = ("constant symmetric", "constant asymmetric", "2-cycle", "longer cycle")


def next_state(state: int, joint: int, n_joint: int, n_states: int) -> int:
    """The state after joint action ``joint`` (the last ``k`` joint actions, oldest most significant)."""
    return (state * n_joint + joint) % n_states


def greedy_joint(greedy: np.ndarray, state: int, n_prices: int) -> int:
    """The joint action of greedy strategies ``greedy[i, s]`` in ``state``."""
    joint = 0
    for i in range(greedy.shape[0]):
        joint = joint * n_prices + int(greedy[i, state])
    return joint


def cycle_states(greedy: np.ndarray, state: int, n_prices: int) -> tuple[int, ...]:
    """States, in order, of the limit cycle reached from ``state`` by greedy strategies ``(n, S)``."""
    n, n_states = greedy.shape
    n_joint = n_prices**n
    if not 0 <= state < n_states:
        raise GameError(f"limit_cycle: state must be in [0, {n_states}), got {state}")
    seen: dict[int, int] = {}
    states: list[int] = []
    while state not in seen:
        seen[state] = len(states)
        states.append(state)
        state = next_state(state, greedy_joint(greedy, state, n_prices), n_joint, n_states)
    return tuple(states[seen[state]:])


def limit_cycle(greedy: np.ndarray, state: int, n_prices: int) -> tuple[int, ...]:
    """Joint actions played, in order, on the limit cycle reached from ``state`` by greedy strategies ``(n, S)``."""
    return tuple(greedy_joint(greedy, s, n_prices) for s in cycle_states(greedy, state, n_prices))


def classify(market: PricingMarket, cycle: tuple[int, ...]) -> str:
    """One of :data:`OUTCOMES` for a limit cycle of joint actions."""
    if len(cycle) == 1:
        prices = market.grid[np.arange(market.n_firms), market.actions_of(cycle[0])]
        return OUTCOMES[0] if np.allclose(prices, prices[0], rtol=0, atol=1e-12) else OUTCOMES[1]
    return OUTCOMES[2] if len(cycle) == 2 else OUTCOMES[3]


def cycle_profit_gain(market: PricingMarket, cycle: tuple[int, ...]) -> float:
    """Profit gain averaged over the cycle's periods and the firms."""
    profits = market.profits[:, list(cycle)].T  # (L, n)
    return float(np.mean(market.profit_gain(profits)))


def static_best_response(market: PricingMarket, firm: int, joint: int) -> int:
    """Firm's grid index maximising its one-period profit against the rivals' actions in ``joint`` (lowest on ties)."""
    actions = list(market.actions_of(joint))
    candidates = []
    for a in range(market.n_prices):
        actions[firm] = a
        candidates.append(market.profits[firm, market.joint_index(actions)])
    return int(np.argmax(candidates))


@dataclass(frozen=True)
class ImpulseResponse:
    """Prices ``(horizon + 1, n)`` for periods ``0..horizon`` (period 1 = deviation) and the return period."""

    prices: np.ndarray = field(repr=False)
    return_period: int | None


def impulse_response(market: PricingMarket, greedy: np.ndarray, state: int, *, horizon: int = 15,
                     firm: int = 0) -> ImpulseResponse:
    """Firm ``firm`` deviates for one period to its static best response; see the module docstring."""
    if horizon < 2:
        raise GameError(f"impulse_response: horizon must be >= 2, got {horizon}")
    n, n_states = greedy.shape
    if not 0 <= firm < n:
        raise GameError(f"impulse_response: firm must be in [0, {n}), got {firm}")
    m, n_joint = market.n_prices, market.n_prices**n
    cycle = cycle_states(greedy, state, m)
    on_cycle = set(cycle)
    state = cycle[0]
    played = [greedy_joint(greedy, state, m)]
    state = next_state(state, played[0], n_joint, n_states)
    deviation = list(market.actions_of(greedy_joint(greedy, state, m)))
    deviation[firm] = static_best_response(market, firm, played[0])
    played.append(market.joint_index(deviation))
    state = next_state(state, played[-1], n_joint, n_states)
    returned: int | None = None
    # Play is back on the cycle once the state after a period is a cycle state; look past the horizon for that.
    t = 1
    while t < horizon or (returned is None and t <= horizon + n_states):
        t += 1
        joint = greedy_joint(greedy, state, m)
        played.append(joint)
        state = next_state(state, joint, n_joint, n_states)
        if returned is None and state in on_cycle:
            returned = t
    actions = np.array([market.actions_of(j) for j in played[:horizon + 1]])
    prices = market.grid[np.arange(n)[None, :], actions]
    return ImpulseResponse(prices, returned)


def session_profit_gains(sessions: Sessions) -> np.ndarray:
    """``(R,)`` profit gain of each session over its limit cycle (averaged over the firms)."""
    market = sessions.market
    return np.array([cycle_profit_gain(market, limit_cycle(sessions.greedy[r], int(sessions.final_state[r]),
                                                            market.n_prices))
                     for r in range(sessions.n_sessions)])


@dataclass(frozen=True)
class SessionAnalysis:
    """Per-session results, arrays of length ``R``.

    Attributes:
      profit_gain: Delta over the limit cycle and firms.
      outcome: index into :data:`OUTCOMES`.
      cycle_length: length of the limit cycle.
      impulse_prices: ``(R, horizon + 1, n)`` prices of the impulse response.
      return_period: first period ``>= 2`` back on the cycle (``-1``: never).
    """

    profit_gain: np.ndarray = field(repr=False)
    outcome: np.ndarray = field(repr=False)
    cycle_length: np.ndarray = field(repr=False)
    impulse_prices: np.ndarray = field(repr=False)
    return_period: np.ndarray = field(repr=False)

    def outcome_shares(self) -> dict[str, float]:
        counts = np.bincount(self.outcome, minlength=len(OUTCOMES))
        return {name: float(c) / max(1, len(self.outcome)) for name, c in zip(OUTCOMES, counts, strict=True)}

    def select(self, mask: Any) -> SessionAnalysis:
        """The sessions where ``mask`` (``(R,)`` bool) holds."""
        keep = np.asarray(mask, dtype=bool)
        if keep.shape != self.outcome.shape:
            raise GameError(f"SessionAnalysis.select: mask must have shape {self.outcome.shape}, got {keep.shape}")
        return SessionAnalysis(self.profit_gain[keep], self.outcome[keep], self.cycle_length[keep],
                               self.impulse_prices[keep], self.return_period[keep])

    def statistics(self) -> dict[str, Any] | None:
        """``{"sessions", "profit_gain_mean", "profit_gain_sd", "outcome_shares"}``, or None without sessions."""
        if not len(self.outcome):
            return None
        return {"sessions": int(len(self.outcome)), "profit_gain_mean": float(self.profit_gain.mean()),
                "profit_gain_sd": float(self.profit_gain.std()), "outcome_shares": self.outcome_shares()}


def convergence_split(sessions: Sessions, analysis: SessionAnalysis) -> tuple[dict[str, Any] | None,
                                                                             dict[str, Any] | None]:
    """Statistics that never mix learned and unlearned strategies: ``(converged, unconverged)``, each
    :meth:`SessionAnalysis.statistics` over those sessions (None when there are none). A session that stopped at
    ``max_periods`` still had changing greedy strategies: its limit cycle is a snapshot, not a learned outcome."""
    if analysis.outcome.shape != sessions.converged.shape:
        raise GameError(f"convergence_split: the analysis has {analysis.outcome.shape[0]} sessions, the run "
                        f"{sessions.n_sessions}")
    converged = np.asarray(sessions.converged, dtype=bool)
    return analysis.select(converged).statistics(), analysis.select(~converged).statistics()


def analyse_sessions(sessions: Sessions, *, horizon: int = 15) -> SessionAnalysis:
    """Limit cycle, profit gain, outcome and impulse response of every session."""
    market = sessions.market
    gains, outcomes, lengths, paths, returns = [], [], [], [], []
    for r in range(sessions.n_sessions):
        greedy, state = sessions.greedy[r], int(sessions.final_state[r])
        cycle = limit_cycle(greedy, state, market.n_prices)
        gains.append(cycle_profit_gain(market, cycle))
        outcomes.append(OUTCOMES.index(classify(market, cycle)))
        lengths.append(len(cycle))
        response = impulse_response(market, greedy, state, horizon=horizon)
        paths.append(response.prices)
        returns.append(-1 if response.return_period is None else response.return_period)
    return SessionAnalysis(np.array(gains), np.array(outcomes, dtype=np.int64), np.array(lengths, dtype=np.int64),
                           np.array(paths), np.array(returns, dtype=np.int64))
