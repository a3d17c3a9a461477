"""Bounds on what one request to the web lab may ask for, so a request cannot exhaust the server.

Every bound is a field of :class:`Limits` with its default; a request beyond one gets a 4xx JSON error
``{"error": "one line"}`` naming the bound (413 for the body size, 400 for the rest).
"""

from __future__ import annotations

from dataclasses import dataclass

from equilibria.core.checks import positive_int, positive_number


@dataclass(frozen=True)
class Limits:
    """Request bounds of the web lab.

    Attributes:
      max_body_bytes: a request body larger than this is refused with 413 (default 1 MiB).
      max_payoff_entries: payoff entries of a game, summed over players (default 10,000).
      max_tree_nodes: nodes of a minimax tree or an uploaded game tree (default 2,000).
      max_tree_depth: depth of a generated minimax tree (default 6).
      max_branching: children per node of a generated minimax tree (default 6).
      max_steps: steps of one dynamics run (default 5,000).
      max_methods: dynamics methods compared in one request (default 6).
      max_points: recorded points of a trajectory sent back (default 400).
      max_seconds: wall-clock budget of one solver or dynamics run, passed to the library's ``max_seconds``
        (default 5 s); a run that hits it comes back marked not converged with ``stopped_because``.
      dynamics_seconds: wall-clock budget of one dynamics request, all its methods together, JAX's compilation
        included (default 20 s: compiling one method takes about a second); runs stopped by it come back marked
        not completed with ``stopped_because``.
    """

    max_body_bytes: int = 1 << 20
    max_payoff_entries: int = 10_000
    max_tree_nodes: int = 2_000
    max_tree_depth: int = 6
    max_branching: int = 6
    max_steps: int = 5_000
    max_methods: int = 6
    max_points: int = 400
    max_seconds: float = 5.0
    dynamics_seconds: float = 20.0

    def __post_init__(self) -> None:
        for name in ("max_body_bytes", "max_payoff_entries", "max_tree_nodes", "max_tree_depth", "max_branching",
                     "max_steps", "max_methods", "max_points"):
            positive_int(getattr(self, name), name, "Limits")
        positive_number(self.max_seconds, "max_seconds", "Limits")
        positive_number(self.dynamics_seconds, "dynamics_seconds", "Limits")
