"""Certificates for inverse RL: numbers computed from a returned reward (or policy), never a solver's own.

Every metric runs in float64 (``jax.enable_x64`` around the JAX calls, NumPy otherwise) and returns a Python
``float``. Conventions of ``mdp`` and ``soft_values``: state rewards [S]; policies [H+1, S, A] or [S, A].

- :func:`expected_value_difference` (Levine et al. 2011's EVD): the true value of the true-optimal policy minus the
  true value of the policy that is optimal for the learned reward; >= 0 up to rounding, 0 when the learned reward
  induces an optimal policy. Invariant to anything that keeps the optimal policy (shaping, positive scaling).
- :func:`epic_distance` (Gleave et al. 2021): rewards are canonically shaped,
  ``C(R)(s,a,s') = R(s,a,s') + gamma E[R(s',A,S')] - E[R(s,A,S')] - gamma E[R(S,A,S')]`` with ``S, S' ~ D_S`` and
  ``A ~ D_A`` independent, which removes potential shaping; the distance is the Pearson distance
  ``sqrt((1 - rho) / 2)`` of the two canonical rewards over the coverage distribution ``D_S x D_A x D_S``.
  A state reward ``r(s)`` is the transition reward ``R(s, a, s') = r(s)``.
- :func:`demonstration_log_likelihood`: the mean over trajectories of ``sum_t log pi_t(a_t | s_t)`` (the dynamics'
  terms do not depend on the policy and are left out).
- :func:`feature_expectation_gap`: the max-ent IRL optimality condition, ``|| features^T (d_soft - d_demo) ||_inf``.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from equilibria.applications.irl.mdp import TabularMDP
from equilibria.applications.irl.soft_values import (
    Demonstrations,
    empirical_occupancy,
    occupancy,
    optimal_policy,
    policy_value,
    soft_value_iteration,
)
from equilibria.core.errors import GameError

# A canonical reward whose standard deviation is below this (relative to its scale) counts as constant.
_CONSTANT = 1e-12


def _state_reward(mdp: TabularMDP, reward: Any, name: str, where: str) -> np.ndarray:
    r = np.asarray(reward, dtype=np.float64)
    if r.shape != (mdp.n_states,):
        raise GameError(f"{where}: {name} must have shape [S] = ({mdp.n_states},), got {r.shape}")
    if not np.all(np.isfinite(r)):
        raise GameError(f"{where}: {name} contains NaN or inf")
    return r


def expected_value_difference(mdp: TabularMDP, learned_reward: Any) -> float:
    """EVD: value under ``mdp.reward`` of the optimal policy for ``mdp.reward`` minus that of the optimal policy
    for ``learned_reward`` [S] (ties broken toward the lowest action in both); >= 0 up to rounding."""
    learned = _state_reward(mdp, learned_reward, "learned_reward", "expected_value_difference")
    true = np.asarray(mdp.reward, dtype=np.float64)
    with jax.enable_x64(True):
        best = policy_value(mdp, true, optimal_policy(mdp, true))
        induced = policy_value(mdp, true, optimal_policy(mdp, learned))
        return float(best - induced)


def _transition_reward(reward: Any, n_states: int, n_actions: int, name: str) -> np.ndarray:
    r = np.asarray(reward, dtype=np.float64)
    if not np.all(np.isfinite(r)):
        raise GameError(f"epic_distance: {name} contains NaN or inf")
    if r.shape == (n_states,):
        return np.broadcast_to(r[:, None, None], (n_states, n_actions, n_states))
    if r.shape == (n_states, n_actions):
        return np.broadcast_to(r[:, :, None], (n_states, n_actions, n_states))
    if r.shape == (n_states, n_actions, n_states):
        return r
    raise GameError(
        f"epic_distance: {name} must have shape [S], [S, A] or [S, A, S] with S = {n_states}, A = {n_actions},"
        f" got {r.shape}"
    )


def _distribution(value: Any, size: int, name: str) -> np.ndarray:
    if value is None:
        return np.full(size, 1.0 / size)
    p = np.asarray(value, dtype=np.float64)
    if p.shape != (size,) or not np.all(np.isfinite(p)) or np.any(p < 0) or abs(p.sum() - 1.0) > 1e-6:
        raise GameError(f"epic_distance: {name} must be a probability vector of length {size}")
    return p


def epic_distance(
    reward_a: Any,
    reward_b: Any,
    mdp: TabularMDP,
    *,
    state_distribution: Any = None,
    action_distribution: Any = None,
) -> float:
    """The EPIC pseudometric in [0, 1] between two rewards (module docstring), each [S], [S, A] or [S, A, S].

    0 under potential shaping and positive rescaling, 1 under negation. The discount is ``mdp.discount``; the
    coverage distributions default to uniform. A reward that is constant after canonicalisation (equivalent to no
    reward) has no correlation: two such rewards are at distance 0, one such and one not at ``sqrt(1/2)``.
    """
    n_s, n_a = mdp.n_states, mdp.n_actions
    d_s = _distribution(state_distribution, n_s, "state_distribution")
    d_a = _distribution(action_distribution, n_a, "action_distribution")
    gamma = float(mdp.discount)
    weight = d_s[:, None, None] * d_a[None, :, None] * d_s[None, None, :]

    def canonical(r: np.ndarray) -> np.ndarray:
        from_state = np.einsum("xas,a,s->x", r, d_a, d_s)  # E[R(x, A, S')]
        overall = d_s @ from_state  # E[R(S, A, S')]
        return r + gamma * from_state[None, None, :] - from_state[:, None, None] - gamma * overall

    def centred(r: np.ndarray) -> tuple[np.ndarray, float]:
        c = r - np.sum(weight * r)
        std = float(np.sqrt(np.sum(weight * c * c)))
        scale = float(np.max(np.abs(r))) if r.size else 0.0
        return c, (0.0 if std <= _CONSTANT * max(scale, 1.0) else std)

    ca, sa = centred(canonical(_transition_reward(reward_a, n_s, n_a, "reward_a")))
    cb, sb = centred(canonical(_transition_reward(reward_b, n_s, n_a, "reward_b")))
    if sa == 0.0 and sb == 0.0:
        return 0.0
    rho = 0.0 if sa == 0.0 or sb == 0.0 else float(np.sum(weight * ca * cb)) / (sa * sb)
    return float(np.sqrt(max(0.0, (1.0 - min(1.0, max(-1.0, rho))) / 2.0)))


def _check_demonstrations(mdp: TabularMDP, demonstrations: Demonstrations, where: str) -> tuple[np.ndarray, ...]:
    states = np.asarray(demonstrations.states)
    actions = np.asarray(demonstrations.actions)
    if states.ndim != 2 or states.shape != actions.shape:
        raise GameError(
            f"{where}: demonstrations.states and .actions must both be [N, T], got {states.shape} and {actions.shape}"
        )
    if states.size and (states.min() < 0 or states.max() >= mdp.n_states):
        raise GameError(f"{where}: demonstrations.states must lie in 0 .. {mdp.n_states - 1}")
    if actions.size and (actions.min() < 0 or actions.max() >= mdp.n_actions):
        raise GameError(f"{where}: demonstrations.actions must lie in 0 .. {mdp.n_actions - 1}")
    return states, actions


def demonstration_log_likelihood(mdp: TabularMDP, policy: Any, demonstrations: Demonstrations) -> float:
    """Mean over trajectories of ``sum_t log pi_t(a_t | s_t)``; ``policy`` [H+1, S, A] or [S, A]; ``-inf`` when a
    demonstrated action has probability 0."""
    where = "demonstration_log_likelihood"
    states, actions = _check_demonstrations(mdp, demonstrations, where)
    pi = np.asarray(policy, dtype=np.float64)
    n_steps = states.shape[1]
    if pi.shape == (mdp.n_states, mdp.n_actions):
        probs = pi[states, actions]
    elif pi.ndim == 3 and pi.shape[1:] == (mdp.n_states, mdp.n_actions) and pi.shape[0] >= n_steps:
        probs = pi[np.arange(n_steps)[None, :], states, actions]
    else:
        raise GameError(
            f"{where}: policy must have shape [S, A] or [T' >= {n_steps}, S, A] with S = {mdp.n_states},"
            f" A = {mdp.n_actions}, got {pi.shape}"
        )
    with np.errstate(divide="ignore"):
        return float(np.mean(np.sum(np.log(probs), axis=1)))


def feature_expectation_gap(
    mdp: TabularMDP,
    reward: Any,
    demonstrations: Demonstrations | Any,
    *,
    temperature: float = 1.0,
    causal: bool = True,
) -> float:
    """``|| features^T (occupancy(soft policy of reward) - empirical occupancy) ||_inf``: 0 at a max-ent IRL optimum.

    ``demonstrations``: :class:`Demonstrations` (their discounted empirical occupancy; infinite-horizon trajectories
    are truncated at their length, which leaves a floor of about ``gamma^T / (1 - gamma) * max|features|``), or an
    occupancy measure [S] directly (e.g. the exact one of the demonstrator).
    """
    r = _state_reward(mdp, reward, "reward", "feature_expectation_gap")
    with jax.enable_x64(True):
        if isinstance(demonstrations, Demonstrations):
            _check_demonstrations(mdp, demonstrations, "feature_expectation_gap")
            target = np.asarray(empirical_occupancy(mdp, demonstrations), dtype=np.float64)
        else:
            target = np.asarray(demonstrations, dtype=np.float64)
            if target.shape != (mdp.n_states,):
                raise GameError(
                    f"feature_expectation_gap: demonstrations must be Demonstrations or an occupancy [S] ="
                    f" ({mdp.n_states},), got shape {target.shape}"
                )
        soft = soft_value_iteration(mdp, r, temperature=temperature, causal=causal)
        model = np.asarray(occupancy(mdp, soft.policy), dtype=np.float64)
    features = np.asarray(mdp.features, dtype=np.float64)
    return float(np.max(np.abs(features.T @ (model - target)))) if features.shape[1] else 0.0
