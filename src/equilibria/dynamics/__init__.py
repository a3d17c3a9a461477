"""Learning dynamics: (init, update) pairs, one lax.scan runner, spectral analysis."""

from equilibria.dynamics.base import Dynamics
from equilibria.dynamics.gradient import gda
from equilibria.dynamics.run import Trajectory, run

__all__ = ["Dynamics", "Trajectory", "gda", "run"]
