"""Finite tabular Markov decision processes as data, the common input of the inverse RL code.

Conventions (written once here, used by ``soft_values``, ``metrics`` and ``worlds``):

- Rewards are *state* rewards ``r(s)`` (Ziebart's and the ``imitation`` library's convention): the agent collects
  ``r(s_t)`` on entering state ``s_t``; the return is ``sum_t discount**t * r(s_t)``.
- Finite horizon ``H``: states ``s_0 .. s_H`` are visited and a decision is taken at each of the ``H + 1`` time steps
  ``t = 0 .. H`` (the last one has no consequence); the occupancy measure therefore sums to ``H + 1`` when
  ``discount == 1`` (``imitation``'s test answer). ``horizon=None`` is an infinite horizon and needs ``discount < 1``.
- Arrays are stored as NumPy float64 so that one MDP serves both precisions: the JAX functions convert them on entry,
  to float64 under ``jax.enable_x64(True)`` and to float32 otherwise.

:class:`TabularMDP` is a JAX pytree (the arrays are leaves, ``horizon`` and ``discount`` static auxiliary data), so
MDPs of one shape stack and ``jax.vmap`` over them; its constructor does not validate (JAX rebuilds it with tracers),
:func:`make_mdp` does.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np

from equilibria.core.errors import GameError

# Rows of ``transitions`` and ``initial`` must sum to 1 within this (absolute) tolerance.
_SUM_TOLERANCE = 1e-6


@dataclass(frozen=True, eq=False)
class TabularMDP:
    """A finite MDP with state rewards (Ziebart's and imitation's convention).

    transitions: [S, A, S]  rows sum to 1: ``transitions[s, a, s'] = P(s' | s, a)``
    features:    [S, F]     state features (the "observation matrix"); a linear reward is ``features @ theta``
    reward:      [S]        the true reward (the demonstrator's; IRL never reads it, metrics do)
    initial:     [S]        initial state distribution
    horizon:     int | None finite horizon H: time steps t = 0..H (H + 1 decisions, imitation's convention);
                            None: infinite horizon (then discount < 1)
    discount:    float      gamma in [0, 1]

    Build it with :func:`make_mdp` (which validates); ``eq=False`` because arrays have no truth value.
    """

    transitions: Any
    features: Any
    reward: Any
    initial: Any
    horizon: int | None
    discount: float

    @property
    def n_states(self) -> int:
        return int(np.shape(self.transitions)[-3])

    @property
    def n_actions(self) -> int:
        return int(np.shape(self.transitions)[-2])

    @property
    def n_features(self) -> int:
        return int(np.shape(self.features)[-1])

    @property
    def finite(self) -> bool:
        """Whether the horizon is finite."""
        return self.horizon is not None

    def replace(self, **changes: Any) -> TabularMDP:
        """A copy with some fields changed, validated again by :func:`make_mdp`."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        fields.update(changes)
        return make_mdp(
            fields["transitions"],
            fields["features"],
            fields["reward"],
            fields["initial"],
            horizon=fields["horizon"],
            discount=fields["discount"],
        )


def _flatten(mdp: TabularMDP) -> tuple[tuple[Any, ...], tuple[int | None, float]]:
    return (mdp.transitions, mdp.features, mdp.reward, mdp.initial), (mdp.horizon, mdp.discount)


def _unflatten(aux: tuple[int | None, float], leaves: Any) -> TabularMDP:
    transitions, features, reward, initial = leaves
    return TabularMDP(transitions, features, reward, initial, aux[0], aux[1])


jax.tree_util.register_pytree_node(TabularMDP, _flatten, _unflatten)


def _finite_array(value: Any, name: str, ndim: int) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise GameError(f"make_mdp: {name} must be a numeric array") from None
    if array.ndim != ndim:
        raise GameError(f"make_mdp: {name} must have {ndim} dimensions, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise GameError(f"make_mdp: {name} contains NaN or inf")
    return array


def _check_distribution(array: np.ndarray, name: str) -> None:
    if np.any(array < 0):
        index = tuple(int(i) for i in np.argwhere(array < 0)[0])
        raise GameError(f"make_mdp: {name} has a negative probability at index {index}")
    sums = array.sum(axis=-1)
    bad = np.abs(sums - 1.0) > _SUM_TOLERANCE
    if np.any(bad):
        index = tuple(int(i) for i in np.argwhere(bad)[0]) if sums.ndim else ()
        raise GameError(
            f"make_mdp: {name} must sum to 1 along the last axis, sums to {float(np.asarray(sums)[index]):.9g}"
            + (f" at index {index}" if index else "")
        )


def make_mdp(
    transitions: Any,
    features: Any,
    reward: Any,
    initial: Any,
    *,
    horizon: int | None,
    discount: float,
) -> TabularMDP:
    """Validate and build a :class:`TabularMDP` (shapes in its docstring).

    Raises a one-line :class:`GameError` naming the argument for: NaN/inf, wrong number of dimensions, shape
    mismatch, a negative probability, rows of ``transitions`` or ``initial`` not summing to 1 within 1e-6,
    ``horizon < 0`` or not an integer, ``discount`` outside [0, 1], ``discount == 1`` with ``horizon=None``, no
    states or no actions.
    """
    t = _finite_array(transitions, "transitions", 3)
    f = _finite_array(features, "features", 2)
    r = _finite_array(reward, "reward", 1)
    d0 = _finite_array(initial, "initial", 1)
    n_states, n_actions, n_next = t.shape
    if n_states == 0 or n_actions == 0:
        raise GameError(f"make_mdp: transitions must have at least one state and one action, got shape {t.shape}")
    if n_next != n_states:
        raise GameError(f"make_mdp: transitions must have shape [S, A, S], got {t.shape}")
    for name, array in (("features", f), ("reward", r), ("initial", d0)):
        if array.shape[0] != n_states:
            raise GameError(f"make_mdp: {name} has {array.shape[0]} states, transitions has {n_states}")
    _check_distribution(t, "transitions")
    _check_distribution(d0, "initial")
    if horizon is not None:
        if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)):
            raise GameError(f"make_mdp: horizon must be an int or None, got {horizon!r}")
        if horizon < 0:
            raise GameError(f"make_mdp: horizon must be >= 0, got {horizon}")
        horizon = int(horizon)
    try:
        gamma = float(discount)
    except (TypeError, ValueError):
        raise GameError(f"make_mdp: discount must be a number in [0, 1], got {discount!r}") from None
    if not 0.0 <= gamma <= 1.0:
        raise GameError(f"make_mdp: discount must be in [0, 1], got {discount!r}")
    if horizon is None and gamma >= 1.0:
        raise GameError("make_mdp: discount must be < 1 with an infinite horizon (horizon=None)")
    return TabularMDP(t, f, r, d0, horizon, gamma)
