"""The table of named learning dynamics (``equilibria dynamics --method``, the ``rps-cycling`` reproduction).

Each :class:`MethodSpec` builds a :class:`~equilibria.dynamics.base.Dynamics` from one step size, so a command
line or a sweep can treat every method alike. *Gradient* methods run on any differentiable game; *normal-form*
learners need mixed strategies (every player constrained to a simplex: ``NormalFormGame.mixed_extension()``).
Other hyperparameters keep their documented defaults here; call the constructors directly to change them.

Names are looked up as users type them (:mod:`equilibria.core.names`: any case, hyphens or underscores) with the
field's abbreviations in :data:`ALIASES` (``ogda``, ``eg``, ``rm``, ``rm+``, ``fp``, ...). The table imports no JAX:
a method's constructor module is imported when it is built, so the command line's parser can list the methods
without loading JAX.

A spec builds each step size once per process and hands back the same :class:`Dynamics` afterwards (a dynamic is an
immutable pair of pure functions, so sharing it is safe): JAX's compilation caches are keyed on function identity,
so a second run of the same method in one process (the lab's requests, a second command in the same interpreter)
reuses the programs the first compiled instead of compiling them again.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

from equilibria.core.names import resolve, with_aliases

if TYPE_CHECKING:
    from equilibria.dynamics.base import Dynamics


def _module(name: str) -> ModuleType:
    """A constructor module of this package (importing JAX): by its full name, since the package attribute of
    ``fictitious_play`` or ``replicator`` is the function of that name."""
    return importlib.import_module(f"equilibria.dynamics.{name}")


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
    return MethodSpec(name, family, description, functools.lru_cache(maxsize=32, typed=True)(build), uses_step_size)


METHODS: dict[str, MethodSpec] = {s.name: s for s in (
    _spec("gda", "gradient", "simultaneous gradient descent-ascent", lambda lr: _module("gradient").gda(lr)),
    _spec("alternating_gda", "gradient", "alternating (Gauss-Seidel) GDA",
          lambda lr: _module("gradient").gda(lr, alternating=True)),
    _spec("optimistic_gda", "gradient", "optimistic GDA (x - 2 eta xi_t + eta xi_{t-1})",
          lambda lr: _module("gradient").optimistic_gda(lr)),
    _spec("extragradient", "gradient", "extragradient (projected)", lambda lr: _module("gradient").extragradient(lr)),
    _spec("consensus", "gradient", "consensus optimisation, gamma = 1",
          lambda lr: _module("gradient").consensus(lr, 1.0)),
    _spec("sga", "gradient", "symplectic gradient adjustment with sign alignment",
          lambda lr: _module("gradient").sga(lr)),
    _spec("cgd", "gradient", "competitive gradient descent", lambda lr: _module("gradient").cgd(lr)),
    _spec("negative_momentum", "gradient", "alternating GDA with momentum -0.5",
          lambda lr: _module("gradient").negative_momentum(lr)),
    _spec("hamiltonian", "gradient", "Hamiltonian gradient descent (follows -J^T xi)",
          lambda lr: _module("gradient").hamiltonian(lr)),
    _spec("lookahead", "gradient", "look-ahead: anticipate the opponents' step",
          lambda lr: _module("gradient").lookahead(lr)),
    _spec("lola", "gradient", "LOLA: shape the opponents' step", lambda lr: _module("gradient").lola(lr)),
    _spec("hedge", "normal-form", "Hedge / multiplicative weights", lambda lr: _module("no_regret").hedge(lr)),
    _spec("optimistic_hedge", "normal-form", "optimistic Hedge", lambda lr: _module("no_regret").optimistic_hedge(lr)),
    _spec("regret_matching", "normal-form", "regret matching (parameter-free)",
          lambda lr: _module("no_regret").regret_matching(), uses_step_size=False),
    _spec("regret_matching_plus", "normal-form", "regret matching+ (parameter-free)",
          lambda lr: _module("no_regret").regret_matching_plus(), uses_step_size=False),
    _spec("predictive_regret_matching_plus", "normal-form", "predictive regret matching+ (parameter-free)",
          lambda lr: _module("no_regret").predictive_regret_matching_plus(), uses_step_size=False),
    _spec("fictitious_play", "normal-form", "fictitious play (best response to the empirical average)",
          lambda lr: _module("fictitious_play").fictitious_play(), uses_step_size=False),
    _spec("smooth_fictitious_play", "normal-form", "smooth fictitious play, temperature 0.1",
          lambda lr: _module("fictitious_play").smooth_fictitious_play(0.1), uses_step_size=False),
    _spec("best_response", "normal-form", "best-response dynamics x <- (1 - s) x + s BR(x)",
          lambda lr: _module("fictitious_play").best_response_dynamics(lr)),
    _spec("logit", "normal-form", "logit dynamics, temperature 0.1",
          lambda lr: _module("fictitious_play").logit_dynamics(lr, 0.1)),
    _spec("replicator", "normal-form", "discrete-time replicator dynamics",
          lambda lr: _module("replicator").replicator(lr)),
    _spec("replicator_ode", "normal-form", "continuous-time replicator dynamics, RK4 step dt",
          lambda lr: _module("replicator").replicator_ode(lr)),
)}


# The abbreviations users of the field type (hyphens and underscores are interchangeable in every name).
ALIASES: dict[str, str] = {
    "sim_gda": "gda", "simgda": "gda", "simultaneous_gda": "gda",
    "alt_gda": "alternating_gda", "altgda": "alternating_gda", "agda": "alternating_gda",
    "ogda": "optimistic_gda", "optimistic": "optimistic_gda", "omd": "optimistic_gda",
    "eg": "extragradient", "extra_gradient": "extragradient", "co": "consensus",
    "nm": "negative_momentum", "hgd": "hamiltonian", "hamiltonian_gd": "hamiltonian", "la": "lookahead",
    "mwu": "hedge", "mw": "hedge", "multiplicative_weights": "hedge",
    "omwu": "optimistic_hedge", "ohedge": "optimistic_hedge", "optimistic_mwu": "optimistic_hedge",
    "rm": "regret_matching", "rm+": "regret_matching_plus", "rmplus": "regret_matching_plus",
    "prm+": "predictive_regret_matching_plus", "predictive_rm+": "predictive_regret_matching_plus",
    "fp": "fictitious_play", "sfp": "smooth_fictitious_play", "br": "best_response",
    "best_response_dynamics": "best_response", "logit_dynamics": "logit", "rd": "replicator",
    "replicator_dynamics": "replicator",
}


def canonical_name(name: str) -> str:
    """The table's name for ``name`` (any spelling or alias); a one-line error suggesting close names."""
    return resolve(name, METHODS, aliases=ALIASES, kind="dynamics method",
                   listed_by="`equilibria dynamics --help`")


def method(name: str) -> MethodSpec:
    """The method called ``name`` (any spelling or alias), or a one-line error suggesting the closest ones."""
    return METHODS[canonical_name(name)]


def help_line(spec: MethodSpec) -> str:
    """``name [aliases] (family): description``, for ``--help``."""
    return f"{with_aliases(spec.name, ALIASES)} ({spec.family}): {spec.description}"
