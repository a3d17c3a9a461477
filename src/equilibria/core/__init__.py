"""Core types shared by every layer: errors, the result type, constraint sets, exact arithmetic."""

from equilibria.core.errors import GameError, NotApplicableError
from equilibria.core.result import SolveResult
from equilibria.core.sets import Ball, Box, ConstraintSet, Reals, Simplex

__all__ = ["Ball", "Box", "ConstraintSet", "GameError", "NotApplicableError", "Reals", "Simplex", "SolveResult"]
