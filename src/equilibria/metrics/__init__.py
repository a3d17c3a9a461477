"""Equilibrium quality measures: regrets, NashConv, CE/CCE gaps (later: exploitability, local residuals)."""

from equilibria.metrics.regret import (
    cce_gap,
    cce_gaps,
    ce_gap,
    ce_gaps,
    joint_expected_payoffs,
    max_regret,
    nash_conv,
    product_distribution,
    regrets,
)

__all__ = [
    "cce_gap",
    "cce_gaps",
    "ce_gap",
    "ce_gaps",
    "joint_expected_payoffs",
    "max_regret",
    "nash_conv",
    "product_distribution",
    "regrets",
]
