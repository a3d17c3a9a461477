"""Learning dynamics: (init, update) pairs over explicit states, one lax.scan runner, spectral analysis.

- :mod:`~equilibria.dynamics.base`: the :class:`Dynamics` pair and the state conventions;
- :mod:`~equilibria.dynamics.gradient`: GDA and its fixes (optimistic, extragradient, consensus, SGA, CGD,
  negative momentum, Hamiltonian, LookAhead, LOLA), any optax optimizer as the base step;
- :mod:`~equilibria.dynamics.no_regret`, :mod:`~equilibria.dynamics.fictitious_play`,
  :mod:`~equilibria.dynamics.replicator`: learners over mixed strategies;
- :mod:`~equilibria.dynamics.run`: the runner, :class:`Trajectory` and metric callbacks;
- :mod:`~equilibria.dynamics.analysis`: the linearised update, its spectral radius, measured rates, run outcomes;
- :mod:`~equilibria.dynamics.report`: the verdict on one run (rest points, convergence against an unstable
  linearisation, settled by a perturbed start) and typed or seeded starts;
- :mod:`~equilibria.dynamics.methods`: the table of named methods used by the command line.
"""

from equilibria.dynamics.base import Dynamics
from equilibria.dynamics.fictitious_play import (
    best_response_dynamics,
    fictitious_play,
    logit_dynamics,
    smooth_fictitious_play,
)
from equilibria.dynamics.gradient import (
    cgd,
    consensus,
    extragradient,
    gda,
    hamiltonian,
    lola,
    lookahead,
    negative_momentum,
    optimistic_gda,
    sga,
)
from equilibria.dynamics.no_regret import (
    hedge,
    optimistic_hedge,
    predictive_regret_matching_plus,
    regret_matching,
    regret_matching_plus,
)
from equilibria.dynamics.replicator import integrate_replicator, replicator, replicator_ode
from equilibria.dynamics.run import Trajectory, run, steps_run

__all__ = [
    "Dynamics", "Trajectory", "best_response_dynamics", "cgd", "consensus", "extragradient", "fictitious_play", "gda",
    "hamiltonian", "hedge", "integrate_replicator", "logit_dynamics", "lola", "lookahead", "negative_momentum",
    "optimistic_gda", "optimistic_hedge", "predictive_regret_matching_plus", "regret_matching",
    "regret_matching_plus", "replicator", "replicator_ode", "run", "sga", "smooth_fictitious_play", "steps_run",
]
