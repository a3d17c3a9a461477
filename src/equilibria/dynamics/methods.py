"""The table of named learning dynamics (``equilibria dynamics --method``, the ``rps-cycling`` reproduction).

Each :class:`MethodSpec` builds a :class:`~equilibria.dynamics.base.Dynamics` from one step size, so a command
line or a sweep can treat every method alike. *Gradient* methods run on any differentiable game; *normal-form*
learners need mixed strategies (every player constrained to a simplex: ``NormalFormGame.mixed_extension()``).
Other hyperparameters keep their documented defaults here; call the constructors directly to change them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from equilibria.core.errors import GameError
from equilibria.dynamics import gradient, no_regret
from equilibria.dynamics.base import Dynamics
from equilibria.dynamics.fictitious_play import (
    best_response_dynamics,
    fictitious_play,
    logit_dynamics,
    smooth_fictitious_play,
)
from equilibria.dynamics.replicator import replicator, replicator_ode


@dataclass(frozen=True)
class MethodSpec:
    """A named dynamic: ``build(step_size) -> Dynamics``.

    Attributes:
      name: the key used on the command line.
      family: ``"gradient"`` (any differentiable game) or ``"normal-form"`` (mixed strategies only).
      description: one line for ``--help``.
      build: the constructor, from one step size (ignored by parameter-free methods).
      uses_step_size: whether ``build`` reads its argument.
    """

    name: str
    family: str
    description: str
    build: Callable[[float], Dynamics]
    uses_step_size: bool = True


def _spec(name: str, family: str, description: str, build: Callable[[float], Dynamics],
          uses_step_size: bool = True) -> MethodSpec:
    return MethodSpec(name, family, description, build, uses_step_size)


METHODS: dict[str, MethodSpec] = {s.name: s for s in (
    _spec("gda", "gradient", "simultaneous gradient descent-ascent", lambda lr: gradient.gda(lr)),
    _spec("alternating_gda", "gradient", "alternating (Gauss-Seidel) GDA",
          lambda lr: gradient.gda(lr, alternating=True)),
    _spec("optimistic_gda", "gradient", "optimistic GDA (x - 2 eta xi_t + eta xi_{t-1})",
          lambda lr: gradient.optimistic_gda(lr)),
    _spec("extragradient", "gradient", "extragradient (projected)", lambda lr: gradient.extragradient(lr)),
    _spec("consensus", "gradient", "consensus optimisation, gamma = 1", lambda lr: gradient.consensus(lr, 1.0)),
    _spec("sga", "gradient", "symplectic gradient adjustment with sign alignment", lambda lr: gradient.sga(lr)),
    _spec("cgd", "gradient", "competitive gradient descent", lambda lr: gradient.cgd(lr)),
    _spec("negative_momentum", "gradient", "alternating GDA with momentum -0.5",
          lambda lr: gradient.negative_momentum(lr)),
    _spec("hamiltonian", "gradient", "Hamiltonian gradient descent (follows -J^T xi)",
          lambda lr: gradient.hamiltonian(lr)),
    _spec("lookahead", "gradient", "look-ahead: anticipate the opponents' step", lambda lr: gradient.lookahead(lr)),
    _spec("lola", "gradient", "LOLA: shape the opponents' step", lambda lr: gradient.lola(lr)),
    _spec("hedge", "normal-form", "Hedge / multiplicative weights", lambda lr: no_regret.hedge(lr)),
    _spec("optimistic_hedge", "normal-form", "optimistic Hedge", lambda lr: no_regret.optimistic_hedge(lr)),
    _spec("regret_matching", "normal-form", "regret matching (parameter-free)",
          lambda lr: no_regret.regret_matching(), uses_step_size=False),
    _spec("regret_matching_plus", "normal-form", "regret matching+ (parameter-free)",
          lambda lr: no_regret.regret_matching_plus(), uses_step_size=False),
    _spec("predictive_regret_matching_plus", "normal-form", "predictive regret matching+ (parameter-free)",
          lambda lr: no_regret.predictive_regret_matching_plus(), uses_step_size=False),
    _spec("fictitious_play", "normal-form", "fictitious play (best response to the empirical average)",
          lambda lr: fictitious_play(), uses_step_size=False),
    _spec("smooth_fictitious_play", "normal-form", "smooth fictitious play, temperature 0.1",
          lambda lr: smooth_fictitious_play(0.1), uses_step_size=False),
    _spec("best_response", "normal-form", "best-response dynamics x <- (1 - s) x + s BR(x)",
          lambda lr: best_response_dynamics(lr)),
    _spec("logit", "normal-form", "logit dynamics, temperature 0.1",
          lambda lr: logit_dynamics(lr, 0.1)),
    _spec("replicator", "normal-form", "discrete-time replicator dynamics", lambda lr: replicator(lr)),
    _spec("replicator_ode", "normal-form", "continuous-time replicator dynamics, RK4 step dt",
          lambda lr: replicator_ode(lr)),
)}


def method(name: str) -> MethodSpec:
    """The method called ``name``, or a one-line error listing the known ones."""
    try:
        return METHODS[name]
    except KeyError:
        raise GameError(f"unknown dynamics method {name!r}; known: {', '.join(METHODS)}") from None
