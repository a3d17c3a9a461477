"""The difference reward and the VCG externality: the Clarke-pivot mechanism over a finite outcome set, and the
outcome sets that make an agent's VCG utility its difference reward (:mod:`.credit` re-exports both; its module
docstring holds the conventions)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from equilibria.core.errors import GameError


class VCGOutcome(NamedTuple):
    """``outcome`` (its index), ``payments: [n_agents]`` (Clarke pivot), ``utilities: [n_agents]`` (value minus
    payment)."""

    outcome: int
    payments: np.ndarray
    utilities: np.ndarray


def clarke_pivot(valuations: np.ndarray, without: np.ndarray, outcome: int | None = None) -> VCGOutcome:
    """The VCG mechanism with the Clarke pivot rule over a finite outcome set.

    ``valuations: [n_agents, n_outcomes]``; ``without: [n_agents, n_outcomes]`` bool, the outcomes the mechanism may
    choose with agent ``i`` absent. The outcome is ``outcome`` when given, else the welfare maximiser; agent ``i``
    pays ``max_{o in without[i]} sum_{j != i} v_j(o) - sum_{j != i} v_j(outcome)`` (the welfare its presence costs
    the others: its externality).

    The link to difference rewards (tested): in a team game whose reward is the welfare ``r(u) = sum_j v_j(u)`` and
    where an abstaining agent values the outcome at 0, hold the others' actions: ``without[i] = {(u_-i, abstain)}``.
    Then agent ``i``'s VCG utility is ``r(u) - r(u_-i, abstain)``, its difference reward with the default action
    "abstain". When the mechanism may instead re-optimise the others' actions without ``i`` (``without[i]`` = every
    joint action in which ``i`` abstains), at the welfare-maximising ``u*`` the utility is at most the difference
    reward, with equality when ``u*_-i`` stays optimal for the others.
    """
    v = np.asarray(valuations, np.float64)
    allowed = np.asarray(without, bool)
    if v.ndim != 2 or allowed.shape != v.shape or not allowed.any(axis=1).all():
        raise GameError(f"without: expected a bool array {v.shape} with an outcome for every agent, got "
                        f"{allowed.shape}")
    welfare = v.sum(axis=0)
    chosen = int(np.argmax(welfare)) if outcome is None else int(outcome)
    others = welfare[None, :] - v  # [n, O]
    pivot = np.where(allowed, others, -np.inf).max(axis=1)
    payments = pivot - others[:, chosen]
    return VCGOutcome(chosen, payments, v[:, chosen] - payments)


def abstention_outcomes(n_agents: int, n_actions: int, null: int = 0,
                        held: np.ndarray | None = None) -> np.ndarray:
    """``[n_agents, n_actions ** n_agents]`` bool over the joint actions (C order): agent ``i``'s row marks those in
    which ``i`` plays ``null``, and, given ``held: [n_agents]``, the others play ``held`` (their actions held)."""
    joint = np.indices((n_actions,) * n_agents).reshape(n_agents, -1)
    rows = []
    for i in range(n_agents):
        row = joint[i] == null
        if held is not None:
            row &= np.all(np.delete(joint, i, axis=0) == np.delete(np.asarray(held), i)[:, None], axis=0)
        rows.append(row)
    return np.stack(rows)


__all__ = ["VCGOutcome", "abstention_outcomes", "clarke_pivot"]
