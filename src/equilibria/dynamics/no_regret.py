"""No-regret learning in normal-form games: Hedge, optimistic Hedge and the regret-matching family.

Every learner here acts on a game over mixed strategies (``NormalFormGame.mixed_extension('simplex')``, or any
:class:`~equilibria.games.differentiable.DifferentiableGame` whose players all have ``Simplex()`` constraints):
``params[i]: [n_actions[i]]`` is player ``i``'s mixed strategy, and its *utility vector* at round ``t`` is
``u_i^t = action_values(params^t)[i] = -xi_i``, the expected payoff of each pure action against the others'
current strategies. All players update simultaneously from the same profile; any number of players.

With ``U_i^t = u_i^0 + ... + u_i^t`` the cumulative utility and ``r_i^t = u_i^t - <u_i^t, x_i^t> 1`` the
instantaneous regret vector (``eta`` the learning rate, ``x^0`` the starting profile):

- :func:`hedge` (multiplicative weights; Freund & Schapire 1997): ``x^{t+1} ∝ x^0 * exp(eta U^t)`` —
  follow-the-regularised-leader with the entropy (KL to ``x^0``) regulariser. The average regret against
  action ``a`` is at most ``ln(1 / x^0_a) / (eta T) + eta L^2 / 8`` for payoffs in an interval of length ``L``
  (uniform start: ``ln n``), so ``eta = sqrt(8 ln n / T) / L`` gives ``L sqrt(ln n / (2T))``.
- :func:`optimistic_hedge` (Rakhlin & Sridharan 2013; Syrgkanis, Agarwal, Luo & Schapire 2015):
  ``x^{t+1} ∝ x^0 * exp(eta (U^t + u^t))`` — the last utility is the prediction of the next one (equivalently
  ``x^{t+1} ∝ x^t exp(eta (2 u^t - u^{t-1}))``). For small ``eta`` its last iterate converges in two-player
  zero-sum games with a unique equilibrium (Daskalakis & Panageas 2019), where plain Hedge's last iterate
  spirals out to the boundary (Bailey & Piliouras 2018).
- :func:`regret_matching` (Hart & Mas-Colell 2000): ``R^t = r^0 + ... + r^t``, ``x^{t+1} ∝ [R^t]^+``.
- :func:`regret_matching_plus` (Tammelin 2014): ``Q^t = [Q^{t-1} + r^t]^+``, ``x^{t+1} ∝ Q^t``.
- :func:`predictive_regret_matching_plus` (Farina, Kroer & Sandholm 2021): ``Q^t`` as in RM+, and
  ``x^{t+1} ∝ [Q^t + r^t]^+`` (the last regret predicts the next one).

The regret-matching family plays uniform when no regret is positive and is parameter-free; the average regret
of RM and RM+ is at most ``L sqrt(n / T)`` (Blackwell approachability: ``||[R^T]^+||^2 <= sum_t ||r^t||^2``).
Where the average regret vanishes (regret matching; Hedge with ``eta ~ 1 / sqrt(T)``; a fixed ``eta`` leaves an
``O(eta)`` floor), the time average of the play (the runner's ``average``) converges to the set of Nash
equilibria in two-player zero-sum games, and in any game the empirical joint play (``run(..., joint=True)``)
converges to the set of coarse correlated equilibria: its CCE gap is exactly the largest average regret.

Softmaxes are computed stably (``jax.nn.softmax`` subtracts the maximum), and actions outside the support of
``x^0`` keep probability 0 (a multiplicative update cannot revive them).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from equilibria.dynamics.base import (
    Dynamics,
    action_values,
    check_learning_rate,
    check_mixed_start,
    initial_step,
    state_dataclass,
)
from equilibria.games.differentiable import DifferentiableGame, Params

__all__ = [
    "HedgeState",
    "RegretState",
    "hedge",
    "optimistic_hedge",
    "predictive_regret_matching_plus",
    "regret_matching",
    "regret_matching_plus",
]


# -- shared by the normal-form dynamics (no_regret, fictitious_play, replicator) -------------------------------
def prior_softmax(prior: jax.Array, logits: jax.Array) -> jax.Array:
    """``prior * exp(logits)``, normalised, stably: actions with zero prior probability get exactly 0."""
    support = prior > 0
    log_prior = jnp.log(jnp.where(support, prior, 1.0))
    return jax.nn.softmax(jnp.where(support, logits + log_prior, -jnp.inf))


def zeros_like_profile(params: Params) -> Params:
    return tuple(jnp.zeros_like(p) for p in params)


# -- Hedge -----------------------------------------------------------------------------------------------------
@state_dataclass
class HedgeState:
    """State of (optimistic) Hedge.

    Attributes:
      params: the strategies played this round, ``[n_actions[i]]`` per player.
      step: number of updates so far.
      prior: the starting profile ``x^0`` (the centre of the entropy regulariser).
      cumulative: ``U^t``, each player's sum of the utility vectors observed so far.
      last_values: ``u^t``, the utility vectors of the last round played (optimistic Hedge's prediction).
    """

    params: Params
    step: jax.Array
    prior: Params
    cumulative: Params
    last_values: Params


def _hedge_dynamics(learning_rate: Any, optimistic: bool) -> Dynamics:
    name = "optimistic_hedge" if optimistic else "hedge"
    eta = check_learning_rate(learning_rate, name, "learning_rate")

    def init(game: DifferentiableGame, params: Params, *, key: jax.Array | None = None) -> HedgeState:
        params = check_mixed_start(game, params, name)
        zeros = zeros_like_profile(params)
        return HedgeState(params, initial_step(), params, zeros, zeros)

    def update(game: DifferentiableGame, state: HedgeState) -> HedgeState:
        values = action_values(game, state.params)
        cumulative = tuple(c + v for c, v in zip(state.cumulative, values, strict=True))
        predicted = tuple(c + v for c, v in zip(cumulative, values, strict=True)) if optimistic else cumulative
        params = tuple(prior_softmax(x0, eta * s) for x0, s in zip(state.prior, predicted, strict=True))
        return HedgeState(params, state.step + 1, state.prior, cumulative, values)

    return Dynamics(init, update, name, (("learning_rate", learning_rate),))


def hedge(learning_rate: float) -> Dynamics:
    """Hedge / multiplicative weights: ``x_i^{t+1} ∝ x_i^0 * exp(eta * U_i^t)`` (see the module docstring).

    Args:
      learning_rate: ``eta > 0``; ``sqrt(8 ln n / T) / L`` minimises the regret bound over ``T`` rounds with
        payoffs in an interval of length ``L``.
    """
    return _hedge_dynamics(learning_rate, optimistic=False)


def optimistic_hedge(learning_rate: float) -> Dynamics:
    """Optimistic Hedge: ``x_i^{t+1} ∝ x_i^0 * exp(eta * (U_i^t + u_i^t))`` (see the module docstring).

    Args:
      learning_rate: ``eta > 0``; last-iterate convergence in zero-sum games needs it small relative to
        ``1 / max|payoff|``.
    """
    return _hedge_dynamics(learning_rate, optimistic=True)


# -- regret matching -------------------------------------------------------------------------------------------
@state_dataclass
class RegretState:
    """State of the regret-matching family.

    Attributes:
      params: the strategies played this round, ``[n_actions[i]]`` per player.
      step: number of updates so far.
      regrets: cumulative regrets ``R^t`` (RM) or their thresholded version ``Q^t >= 0`` (RM+, PRM+).
      last_regrets: ``r^t``, the instantaneous regret vectors of the last round played (PRM+'s prediction).
    """

    params: Params
    step: jax.Array
    regrets: Params
    last_regrets: Params


def regret_matching_strategy(regrets: jax.Array) -> jax.Array:
    """``[R]^+ / sum [R]^+``, or uniform when no entry is positive."""
    positive = jnp.maximum(regrets, 0.0)
    total = jnp.sum(positive)
    uniform = jnp.full_like(positive, 1.0 / positive.shape[-1])
    return jnp.where(total > 0, positive / jnp.where(total > 0, total, 1.0), uniform)


def instantaneous_regrets(game: DifferentiableGame, params: Params) -> Params:
    """``r_i = u_i - <u_i, x_i> 1`` for every player: the gain of each pure action over the strategy played."""
    return tuple(v - jnp.vdot(v, x) for v, x in zip(action_values(game, params), params, strict=True))


def _regret_dynamics(name: str, plus: bool, predictive: bool) -> Dynamics:
    def init(game: DifferentiableGame, params: Params, *, key: jax.Array | None = None) -> RegretState:
        params = check_mixed_start(game, params, name)
        zeros = zeros_like_profile(params)
        return RegretState(params, initial_step(), zeros, zeros)

    def update(game: DifferentiableGame, state: RegretState) -> RegretState:
        regrets_now = instantaneous_regrets(game, state.params)
        accumulated = tuple(q + r for q, r in zip(state.regrets, regrets_now, strict=True))
        if plus:
            accumulated = tuple(jnp.maximum(q, 0.0) for q in accumulated)
        target = tuple(q + r for q, r in zip(accumulated, regrets_now, strict=True)) if predictive else accumulated
        params = tuple(regret_matching_strategy(q) for q in target)
        return RegretState(params, state.step + 1, accumulated, regrets_now)

    return Dynamics(init, update, name, ())


def regret_matching() -> Dynamics:
    """Regret matching (Hart & Mas-Colell 2000): play in proportion to positive cumulative regret."""
    return _regret_dynamics("regret_matching", plus=False, predictive=False)


def regret_matching_plus() -> Dynamics:
    """Regret matching+ (Tammelin 2014): cumulative regrets are clipped at 0 after every round."""
    return _regret_dynamics("regret_matching_plus", plus=True, predictive=False)


def predictive_regret_matching_plus() -> Dynamics:
    """Predictive regret matching+ (Farina, Kroer & Sandholm 2021): RM+ with the last regret as a prediction."""
    return _regret_dynamics("predictive_regret_matching_plus", plus=True, predictive=True)
