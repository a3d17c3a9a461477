"""Algorithmic pricing collusion: Q-learning firms in a logit Bertrand oligopoly (Calvano et al., AER 2020).

- :mod:`~equilibria.applications.pricing.demand`: logit demand, Nash and monopoly prices, the price grid and the
  profit table;
- :mod:`~equilibria.applications.pricing.qlearning`: the compiled sessions of Q-learning run to convergence;
- :mod:`~equilibria.applications.pricing.analysis`: limit cycles, profit gains, outcome classes, impulse responses;
- :mod:`~equilibria.applications.pricing.heatmap`: the profit gain over an ``(alpha, beta)`` grid, one sweep cell each.
"""

from equilibria.applications.pricing.analysis import (
    OUTCOMES,
    ImpulseResponse,
    SessionAnalysis,
    analyse_sessions,
    classify,
    convergence_split,
    cycle_profit_gain,
    cycle_states,
    impulse_response,
    limit_cycle,
    session_profit_gains,
    static_best_response,
)
from equilibria.applications.pricing.demand import (
    LogitDemand,
    ParameterError,
    PricingMarket,
    price_grid,
    pricing_market,
    profit_table,
)
from equilibria.applications.pricing.heatmap import (
    HeatMap,
    heatmap_cell,
    heatmap_cells,
    paper_grid,
    profit_gain_heatmap,
)
from equilibria.applications.pricing.qlearning import (
    LearningParameters,
    Sessions,
    check_sessions_memory,
    check_table_sizes,
    initial_q,
    python_sessions,
    reference_sessions,
    run_sessions,
    run_sessions_in_chunks,
    sessions_memory,
)

__all__ = [
    "OUTCOMES",
    "HeatMap",
    "ImpulseResponse",
    "LearningParameters",
    "LogitDemand",
    "ParameterError",
    "PricingMarket",
    "SessionAnalysis",
    "Sessions",
    "analyse_sessions",
    "check_sessions_memory",
    "check_table_sizes",
    "classify",
    "convergence_split",
    "cycle_profit_gain",
    "cycle_states",
    "heatmap_cell",
    "heatmap_cells",
    "impulse_response",
    "initial_q",
    "limit_cycle",
    "paper_grid",
    "price_grid",
    "pricing_market",
    "profit_gain_heatmap",
    "profit_table",
    "python_sessions",
    "reference_sessions",
    "run_sessions",
    "run_sessions_in_chunks",
    "session_profit_gains",
    "sessions_memory",
    "static_best_response",
]
