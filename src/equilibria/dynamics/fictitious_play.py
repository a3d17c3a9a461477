"""Fictitious play and best-response dynamics in normal-form games (mixed extensions).

Conventions as in :mod:`equilibria.dynamics.no_regret`: ``params[i]: [n_actions[i]]`` is player ``i``'s mixed
strategy, ``u_i(s) = action_values(s)[i]`` the expected payoff of each of its pure actions against the other
players' strategies in ``s`` (in a mixed extension this does not depend on ``s_i``: utilities are multilinear),
all players move simultaneously, any number of players. ``BR(v)`` is the pure best response to action values
``v``, one-hot on the first maximiser (ties go to the lowest index, as ``argmax`` breaks them), and
``logit_tau(v) = softmax(v / tau)`` the smoothed (logit, quantal) best response.

- :func:`fictitious_play` (Brown 1951; simultaneous form): with ``xbar^t = (x^0 + ... + x^t) / (t + 1)`` the
  empirical average of the play so far, every player plays ``x_i^{t+1} = BR(u_i(xbar^t))``. In two-player
  zero-sum games the averages converge to the equilibria (Robinson 1951), at rate ``O(t^{-1/(n+m-2)})`` for an
  ``n x m`` game by Robinson's argument (Karlin's conjectured ``O(t^{-1/2})`` fails with adversarial tie-breaking:
  Daskalakis & Pan 2014); in 2x2 games they converge too (Miyasawa 1961); in Shapley's 3x3 game they cycle
  forever with growing periods and never converge (Shapley 1964).
- :func:`smooth_fictitious_play` (Fudenberg & Kreps 1993): ``x_i^{t+1} = logit_tau(u_i(xbar^t))``.
- :func:`best_response_dynamics`: ``x^{t+1} = (1 - s) x^t + s BR(u(x^t))``, the Euler discretisation of
  ``x' = BR(x) - x`` (Gilboa & Matsui 1991); ``s = 1`` is the simultaneous myopic best-response map.
- :func:`logit_dynamics`: ``x^{t+1} = (1 - s) x^t + s logit_tau(u(x^t))``, the discretised logit (perturbed
  best-response) dynamic whose rest points are the logit quantal response equilibria (McKelvey & Palfrey 1995).

For fictitious play the iterates ``params`` are the actions played (one-hot after the first round), and the runner's
time ``average`` is their empirical frequency; the state also keeps ``xbar``, which includes the current round.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from equilibria.dynamics.base import (
    Dynamics,
    IterateState,
    action_values,
    check_learning_rate,
    check_mixed_start,
    check_step_fraction,
    initial_step,
    state_dataclass,
)
from equilibria.games.differentiable import DifferentiableGame, Params

__all__ = [
    "FictitiousPlayState",
    "best_response",
    "best_response_dynamics",
    "fictitious_play",
    "logit_dynamics",
    "logit_response",
    "smooth_fictitious_play",
]


def best_response(values: jax.Array) -> jax.Array:
    """``[n]``: the pure best response to action values ``values: [n]``, one-hot on the lowest-index maximiser."""
    return jax.nn.one_hot(jnp.argmax(values), values.shape[-1], dtype=values.dtype)


def logit_response(values: jax.Array, temperature: Any) -> jax.Array:
    """``[n]``: ``softmax(values / temperature)``, the logit (smoothed) best response."""
    return jax.nn.softmax(values / temperature)


@state_dataclass
class FictitiousPlayState:
    """State of (smooth) fictitious play.

    Attributes:
      params: the strategies played this round (``x^0``, then one-hot best responses for plain FP).
      step: number of updates so far ``t``.
      beliefs: ``xbar^t``, every player's empirical average of the play ``x^0, ..., x^t``.
    """

    params: Params
    step: jax.Array
    beliefs: Params


def _fictitious(name: str, respond: Any, hyperparameters: tuple[tuple[str, Any], ...]) -> Dynamics:
    def init(game: DifferentiableGame, params: Params, *, key: jax.Array | None = None) -> FictitiousPlayState:
        params = check_mixed_start(game, params, name)
        return FictitiousPlayState(params, initial_step(), params)

    def update(game: DifferentiableGame, state: FictitiousPlayState) -> FictitiousPlayState:
        played = tuple(respond(v) for v in action_values(game, state.beliefs))
        rounds = (state.step + 2).astype(state.beliefs[0].dtype)  # x^0 .. x^{t+1}
        beliefs = tuple(b + (x - b) / rounds for b, x in zip(state.beliefs, played, strict=True))
        return FictitiousPlayState(played, state.step + 1, beliefs)

    return Dynamics(init, update, name, hyperparameters)


def fictitious_play() -> Dynamics:
    """Simultaneous fictitious play: every player best-responds (pure, lowest index on ties) to the others'
    empirical average of past play (see the module docstring)."""
    return _fictitious("fictitious_play", best_response, ())


def smooth_fictitious_play(temperature: float) -> Dynamics:
    """Smooth fictitious play: every player plays ``softmax(u_i(xbar) / temperature)`` against the averages.

    Args:
      temperature: ``tau > 0``; as ``tau -> 0`` the logit response tends to the best response.
    """
    tau = check_learning_rate(temperature, "smooth_fictitious_play", "temperature")
    return _fictitious("smooth_fictitious_play", lambda v: logit_response(v, tau), (("temperature", temperature),))


def _mixing(name: str, respond: Any, step_size: Any, hyperparameters: tuple[tuple[str, Any], ...]) -> Dynamics:
    def init(game: DifferentiableGame, params: Params, *, key: jax.Array | None = None) -> IterateState:
        return IterateState(check_mixed_start(game, params, name), initial_step())

    def update(game: DifferentiableGame, state: IterateState) -> IterateState:
        values = action_values(game, state.params)
        mixed = ((1 - step_size) * x + step_size * respond(v) for x, v in zip(state.params, values, strict=True))
        # The mixture is a distribution in exact arithmetic; dividing by its sum keeps float32 rounding from
        # accumulating off the simplex over many small steps (1.2e-6 after 40 steps of s = 0.001 without it).
        params = tuple(x / jnp.sum(x) for x in mixed)
        return IterateState(params, state.step + 1)

    return Dynamics(init, update, name, hyperparameters)


def best_response_dynamics(step_size: float = 1.0) -> Dynamics:
    """Discrete best-response dynamics ``x <- (1 - s) x + s BR(u(x))``.

    Args:
      step_size: ``s`` in ``(0, 1]``; ``1`` jumps to the best response (simultaneous myopic best replies).
    """
    s = check_step_fraction(step_size, "best_response_dynamics")
    return _mixing("best_response_dynamics", best_response, s, (("step_size", step_size),))


def logit_dynamics(step_size: float, temperature: float) -> Dynamics:
    """Discrete logit dynamics ``x <- (1 - s) x + s softmax(u(x) / tau)``.

    Args:
      step_size: ``s`` in ``(0, 1]``.
      temperature: ``tau > 0``; rest points are the logit QRE with precision ``1 / tau``.
    """
    s = check_step_fraction(step_size, "logit_dynamics")
    tau = check_learning_rate(temperature, "logit_dynamics", "temperature")
    return _mixing("logit_dynamics", lambda v: logit_response(v, tau), s,
                   (("step_size", step_size), ("temperature", temperature)))
