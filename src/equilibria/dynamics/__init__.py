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

The package imports its members when first used (PEP 562), so importing ``equilibria.dynamics.methods`` (the
command line's table of names) does not load JAX; ``from equilibria.dynamics import gda`` works as usual.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

# Public name -> the submodule that defines it.
_MEMBERS = {
    "Dynamics": "base",
    "best_response_dynamics": "fictitious_play", "fictitious_play": "fictitious_play",
    "logit_dynamics": "fictitious_play", "smooth_fictitious_play": "fictitious_play",
    "cgd": "gradient", "consensus": "gradient", "extragradient": "gradient", "gda": "gradient",
    "hamiltonian": "gradient", "lola": "gradient", "lookahead": "gradient", "negative_momentum": "gradient",
    "optimistic_gda": "gradient", "sga": "gradient",
    "hedge": "no_regret", "optimistic_hedge": "no_regret", "predictive_regret_matching_plus": "no_regret",
    "regret_matching": "no_regret", "regret_matching_plus": "no_regret",
    "integrate_replicator": "replicator", "replicator": "replicator", "replicator_ode": "replicator",
    "Trajectory": "run", "run": "run", "steps_run": "run",
}

__all__ = [
    "Dynamics", "Trajectory", "best_response_dynamics", "cgd", "consensus", "extragradient", "fictitious_play", "gda",
    "hamiltonian", "hedge", "integrate_replicator", "logit_dynamics", "lola", "lookahead", "negative_momentum",
    "optimistic_gda", "optimistic_hedge", "predictive_regret_matching_plus", "regret_matching",
    "regret_matching_plus", "replicator", "replicator_ode", "run", "sga", "smooth_fictitious_play", "steps_run",
]


def __getattr__(name: str) -> Any:
    module = _MEMBERS.get(name)
    if module is None:
        raise AttributeError(f"module 'equilibria.dynamics' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"equilibria.dynamics.{module}"), name)
    globals()[name] = value
    return value


class _Package(types.ModuleType):
    """Three members share their submodule's name (``fictitious_play``, ``replicator``, ``run``). Importing a
    submodule sets it as an attribute of the package; the package name must keep meaning the function, as it did
    when this package imported its members eagerly, so that attribute is the member instead."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _MEMBERS.get(name) == name and hasattr(value, name):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

if TYPE_CHECKING:
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
