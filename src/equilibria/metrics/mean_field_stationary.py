"""The stationary mean-field certificate: exploitability of a stationary policy, and the population's welfare.

With ``mu = mu^pi`` the stationary distribution the population reaches when everyone plays ``pi``
(:func:`equilibria.games.mean_field_stationary.stationary_distribution`, from ``initial``), ``V^{pi, mu}`` the
exact discounted values of ``pi`` against the fixed ``mu`` and ``V^{*, mu}`` the optimal ones (policy iteration),

    ``exploitability(pi) = sum_s w(s) (V^{*, mu}(s) - V^{pi, mu}(s))``  with the weights ``w``:

- ``"stationary"`` (the default): ``w = mu^pi``. The population *is* at ``mu^pi``, so an agent's state is
  distributed by it at any time: this is the deviation gain of a typical agent, the stationary form of the
  finite-horizon ``max_pi' J(pi', mu) - J(pi, mu)`` (in the stationary equilibria of Anahtarci, Kariksiz and Saldi
  2023 the agent's initial state is drawn from the stationary distribution). Zero exactly when ``pi`` is optimal
  on the support of ``mu^pi``, which is all a population at ``mu^pi`` ever visits.
- ``"initial"``: ``w = mu_0`` (``game.initial``): an agent entering at ``mu_0`` into a population already at
  ``mu^pi`` (Perrin et al. 2020 write the discounted case's values from an initial distribution).
- ``"worst_state"``: ``max_s (V^* - V^pi)(s)``: optimality at every state, as Guo, Hu, Xu and Zhang (2019) ask of
  a stationary mean-field equilibrium (states the population never visits included). The strictest of the three.

``V^* >= V^pi`` state by state, so every form is non-negative (up to the rounding of the linear solves, about
``1e-13 max|r| / (1 - gamma)`` in float64). The stationary distribution is itself an iteration: its residual
``||mu P(pi, mu) - mu||_1`` is part of the certificate (:func:`certificate` returns it; :func:`exploitability`
answers ``inf`` when it exceeds ``1e-8``, a population that has not settled). Computed from the game and the policy
alone, independently of every solver, in float64; :func:`exploitability_jax` is the pure JAX form (jit/vmap, the
precision of its inputs) for curves and batches.
"""

from __future__ import annotations

import functools
import math
from typing import Any, NamedTuple

from equilibria.core.errors import GameError
from equilibria.games.mean_field_stationary import (
    StationaryMeanFieldGame,
    _step_at_initial,
    best_response,
    check_policy,
    check_step_outputs,
    evaluate,
    stationary_distribution,
    validate,
)

WEIGHTINGS = ("stationary", "initial", "worst_state")
# The largest residual ||mu P - mu||_1 of the stationary distribution the float64 certificate accepts.
RESIDUAL_LIMIT = 1e-8


class Certificate(NamedTuple):
    """The certificate's parts (float64 floats, except ``distribution``, a NumPy ``[S]``): ``exploitability``
    (the chosen weighting), ``value`` (``sum_s w(s) V^pi(s)``, the same weights; ``mu^pi`` for
    ``"worst_state"``), ``distribution`` ``mu^pi``,
    ``residual`` (its fixed-point residual) and ``worst_state`` (``max_s (V^* - V^pi)(s)``)."""

    exploitability: float
    value: float
    distribution: Any
    residual: float
    worst_state: float


def _parts(game: StationaryMeanFieldGame, policy: Any) -> tuple[Any, ...]:
    """(``mu^pi`` ``[S]``, its residual, ``V^pi`` ``[S]``, ``V^* - V^pi`` ``[S]``): every weighting's inputs."""
    stationary = stationary_distribution(game, policy)
    mu = stationary.distribution
    values = evaluate(game, policy, mu)
    return mu, stationary.residual, values, best_response(game, mu).values - values


def _weighted(game: StationaryMeanFieldGame, mu: Any, gap: Any, weighting: str) -> Any:
    import jax.numpy as jnp

    if weighting == "worst_state":
        return jnp.max(gap)
    weights = jnp.asarray(game.initial, gap.dtype) if weighting == "initial" else mu
    return jnp.dot(weights, gap)


def exploitability_jax(game: StationaryMeanFieldGame, policy: Any, weighting: str = "stationary") -> Any:
    """The exploitability (module docstring) of ``policy`` ``[S, A]`` as a JAX scalar (pure: jit- and vmap-safe;
    no input checks; ``weighting`` static)."""
    mu, _, _, gap = _parts(game, policy)
    return _weighted(game, mu, gap, weighting)


def _with_checks(game: StationaryMeanFieldGame, policy: Any) -> tuple[Any, Any]:
    return _parts(game, policy), _step_at_initial(game)


@functools.cache
def _jitted() -> Any:
    import jax

    # Every weighting from one program: the weighting is applied on the host, so switching it compiles nothing.
    return jax.jit(_with_checks)


def certificate(game: StationaryMeanFieldGame, policy: Any, *, weighting: str = "stationary") -> Certificate:
    """Every part of the certificate of ``policy`` ``[S, A]`` in float64 (:class:`Certificate`); validates the game
    and the policy (one-line :class:`~equilibria.core.errors.GameError`)."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    if not isinstance(game, StationaryMeanFieldGame):
        raise GameError(f"game: expected a StationaryMeanFieldGame, got {type(game).__name__}")
    if weighting not in WEIGHTINGS:
        raise GameError(f"weighting: expected one of {', '.join(WEIGHTINGS)}, got {weighting!r}")
    pi = check_policy(game, policy)
    try:
        with jax.enable_x64(True):
            parts, outputs = _jitted()(game, jnp.asarray(pi, jnp.float64))
    except Exception:
        validate(game)  # a malformed game fails here with a one-line GameError
        raise
    check_step_outputs(game, outputs)
    mu, residual, values, gap = (np.asarray(x, dtype=np.float64) for x in parts)
    weights = np.asarray(game.initial, dtype=np.float64) if weighting == "initial" else mu
    exploit = float(gap.max()) if weighting == "worst_state" else float(weights @ gap)
    return Certificate(exploit, float(weights @ values), mu, float(residual), float(gap.max()))


def exploitability(game: StationaryMeanFieldGame, policy: Any, *, weighting: str = "stationary") -> float:
    """The exploitability of ``policy`` ``[S, A]`` (module docstring) in float64; 0 at a stationary mean-field
    equilibrium; ``inf`` when the population does not settle (the stationary iteration's residual above
    :data:`RESIDUAL_LIMIT`: there is no fixed point to certify against). Raises GameError on a malformed game or
    policy."""
    cert = certificate(game, policy, weighting=weighting)
    return cert.exploitability if cert.residual <= RESIDUAL_LIMIT else math.inf


def social_welfare(game: StationaryMeanFieldGame, policy: Any, *, weighting: str = "stationary") -> float:
    """``sum_s w(s) V^{pi, mu^pi}(s)``: the population's average discounted return when everyone plays ``policy``
    ``[S, A]`` (``w = mu^pi`` by default, ``mu_0`` with ``weighting="initial"``); float64."""
    return certificate(game, policy, weighting="stationary" if weighting == "worst_state" else weighting).value


__all__ = ["RESIDUAL_LIMIT", "WEIGHTINGS", "Certificate", "certificate", "exploitability", "exploitability_jax",
           "social_welfare"]
