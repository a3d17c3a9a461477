"""equilibria: game theory for machine learning.

Write a game down, compute its equilibria with a certificate, run the learning dynamics that training uses.
See docs/design.md for the map of the package.
"""

from equilibria.core import GameError, NotApplicableError, SolveResult
from equilibria.games import NormalFormGame

__version__ = "0.1.0"

__all__ = ["GameError", "NormalFormGame", "NotApplicableError", "SolveResult", "__version__"]
