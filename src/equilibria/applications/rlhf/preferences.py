"""Preference data from simulated evaluators: items with a private gold reward, pairs, and five evaluator models.

Conventions (written once here):

- An :class:`ItemSet` holds ``K`` items: ``features [K, F]`` (what a reward model sees), ``gold [K]`` (the true,
  private reward; no reward model reads it) and optionally ``length [K]``, a nuisance attribute a framing bias can
  latch onto (items from :func:`random_items` carry it as their last feature column, with gold weight 0, so that a
  linear reward model can put weight on it: the measured framing bias).
- A comparison shows item ``first`` then item ``second``; the label ``first_preferred`` is True when the evaluator
  prefers the first-shown item. :class:`Comparisons` holds ``M`` of them as arrays ``[M]``.
- An evaluator is a pure function ``(items, first, second, key) -> first_preferred [M] bool`` (JAX, an explicit
  ``jax.random`` key; jit- and vmap-able over keys). The constructors below check their parameters (one-line
  :class:`~equilibria.core.errors.GameError`) and return such a function. Every model is a logit choice on a
  utility difference ``D`` at a rationality ``temperature`` ``T > 0``: ``P(first preferred) = sigmoid(D / T)``.

The evaluator models:

- ``boltzmann_evaluator(T)``: Boltzmann-rational, i.e. Bradley-Terry with ``D = gold_first - gold_second``.
  ``T -> 0`` is a perfectly rational evaluator; a Bradley-Terry fit estimates ``gold / T`` (up to a constant).
- ``noisy_evaluator(T, flip)``: Boltzmann, then each label flipped independently with probability ``flip`` in
  ``[0, 1/2]`` (careless or adversarial clicks). ``P(first) = (1 - flip) sigmoid(D/T) + flip sigmoid(-D/T)``.
- ``intransitive_evaluator(criteria [C, F], T)``: ``C`` criteria, each a linear utility ``features @ criteria[c]``;
  each criterion votes by a logit choice at ``T`` and the label is the majority vote (a tie, possible for even
  ``C``, is a fair coin). With three criteria in "rock-paper-scissors" position, majorities cycle (Condorcet):
  no reward explains the labels. The gold reward is not read (the evaluator's own preference is the vote).
- ``framing_evaluator(T, length_bias=b, position_bias=p)``: context-sensitive. With probability ``p`` in
  ``[0, 1]`` the evaluator picks the first-shown item without looking (a primacy bias: the first item is chosen
  in a share ``p + (1 - p) P_rest`` of the pairs); otherwise a logit choice on
  ``D = gold_first - gold_second + b (length_first - length_second)``: ``b`` is the reward the evaluator
  wrongly credits per unit of length (needs ``items.length`` when ``b != 0``).
- ``strategic_evaluator(agenda [F], strength s, T)``: the evaluator knows its labels train a linear
  Bradley-Terry reward model and wants the learned weights to move toward its ``agenda`` (a direction in feature
  space, e.g. "longer answers" or a political slant). It reports the logit choice on the shaded utility
  ``D = (gold + s * features @ agenda)_first - (...)_second``: with a linear gold ``features @ theta`` the
  fitted weights estimate ``(theta + s * agenda) / T`` rather than ``theta / T`` (``s = 0``: truthful). It is a
  simple model of strategic shading, not a computed equilibrium of a labelling game.

:func:`sample_pairs` draws uniform ordered pairs of distinct items; :func:`label` samples pairs and labels them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array

from equilibria.core.checks import positive_number
from equilibria.core.errors import GameError

Evaluator = Callable[["ItemSet", Array, Array, Array], Array]


@dataclass(frozen=True)
class ItemSet:
    """The things an evaluator compares (responses, trajectories, ...).

    features: [K, F]  what a reward model sees
    gold:     [K]     the true, private reward (never read by a reward model)
    length:   [K] | None  a nuisance attribute (e.g. answer length) that a framing bias can latch onto
    """

    features: Array
    gold: Array
    length: Array | None = None

    @property
    def n_items(self) -> int:
        return int(self.features.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.features.shape[1])


# A pytree (arrays as leaves; ``length=None`` an empty subtree), so that evaluators jit and vmap over item sets.
jax.tree_util.register_dataclass(ItemSet, data_fields=["features", "gold", "length"], meta_fields=[])


class Comparisons(NamedTuple):
    """``M`` labelled comparisons: item indices shown ``first`` and ``second`` ``[M]`` int, ``first_preferred``
    ``[M]`` bool."""

    first: Array
    second: Array
    first_preferred: Array

    @property
    def winners(self) -> Array:
        """``[M]`` the preferred item of each comparison."""
        return jnp.where(self.first_preferred, self.first, self.second)

    @property
    def losers(self) -> Array:
        """``[M]`` the other item."""
        return jnp.where(self.first_preferred, self.second, self.first)


# -- checks ----------------------------------------------------------------------------------------------------------


def _probability(value: Any, name: str, caller: str, upper: float = 1.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not (0.0 <= value <= upper):
        raise GameError(f"{caller}: {name} must be a number in [0, {upper:g}], got {value!r}")
    return float(value)


def _finite_number(value: Any, name: str, caller: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise GameError(f"{caller}: {name} must be a finite number, got {value!r}")
    return float(value)


def _finite_array(value: Any, name: str, caller: str, ndim: int) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise GameError(f"{caller}: {name} must be a numeric array") from None
    if array.ndim != ndim:
        raise GameError(f"{caller}: {name} must have {ndim} dimension(s), got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise GameError(f"{caller}: {name} contains NaN or infinity")
    return array


def check_items(items: Any, caller: str) -> ItemSet:
    """``items`` if it is a well-formed :class:`ItemSet` with at least two items (one-line GameError otherwise)."""
    if not isinstance(items, ItemSet):
        raise GameError(f"{caller}: items must be an ItemSet, got {type(items).__name__}")
    features = _finite_array(items.features, "items.features", caller, 2)
    gold = _finite_array(items.gold, "items.gold", caller, 1)
    if features.shape[0] != gold.shape[0]:
        raise GameError(f"{caller}: items.gold has {gold.shape[0]} entries for {features.shape[0]} items")
    if features.shape[0] < 2:
        raise GameError(f"{caller}: items must hold at least 2 items, got {features.shape[0]}")
    if items.length is not None:
        length = _finite_array(items.length, "items.length", caller, 1)
        if length.shape[0] != features.shape[0]:
            raise GameError(f"{caller}: items.length has {length.shape[0]} entries for {features.shape[0]} items")
    return items


def _check_pair_indices(items: ItemSet, first: Any, second: Any, caller: str) -> None:
    f, s = np.asarray(first), np.asarray(second)
    if f.shape != s.shape or f.ndim != 1:
        raise GameError(f"{caller}: first and second must be 1-d index arrays of one length, got shapes "
                        f"{f.shape} and {s.shape}")
    if f.size and (f.min() < 0 or s.min() < 0 or f.max() >= items.n_items or s.max() >= items.n_items):
        raise GameError(f"{caller}: item indices must lie in [0, {items.n_items - 1}]")


# -- items and pairs -------------------------------------------------------------------------------------------------


def random_items(key: Array, n_items: int, n_features: int, *, gold: str = "linear", theta: Any = None,
                 with_length: bool = True, nonlinearity: float = 1.0) -> ItemSet:
    """``n_items`` items with standard normal features ``[K, F]`` and a gold reward.

    ``gold="linear"``: ``gold = features @ theta`` with ``theta`` a random unit vector (or the given one, ``[F]``);
    ``gold="nonlinear"``: ``features @ theta + nonlinearity * sin(2 features @ phi)`` with ``phi`` a second random
    unit vector (a reward no linear model represents). ``with_length``: the last feature column is the nuisance
    ``length`` (standardised), on which gold puts zero weight (``theta[-1] = 0``), so that a framing bias on
    length shows as the learned weight on that column.
    """
    caller = "random_items"
    if isinstance(n_items, bool) or not isinstance(n_items, int) or n_items < 2:
        raise GameError(f"{caller}: n_items must be an integer >= 2, got {n_items!r}")
    minimum = 2 if with_length else 1
    if isinstance(n_features, bool) or not isinstance(n_features, int) or n_features < minimum:
        raise GameError(f"{caller}: n_features must be an integer >= {minimum}, got {n_features!r}")
    if gold not in ("linear", "nonlinear"):
        raise GameError(f"{caller}: gold must be 'linear' or 'nonlinear', got {gold!r}")
    _finite_number(nonlinearity, "nonlinearity", caller)
    k_features, k_theta, k_phi = jax.random.split(key, 3)
    features = jax.random.normal(k_features, (n_items, n_features))
    if theta is None:
        direction = jax.random.normal(k_theta, (n_features,))
        if with_length:
            direction = direction.at[-1].set(0.0)
        theta_array = direction / jnp.linalg.norm(direction)
    else:
        theta_np = _finite_array(theta, "theta", caller, 1)
        if theta_np.shape[0] != n_features:
            raise GameError(f"{caller}: theta has {theta_np.shape[0]} entries for {n_features} features")
        theta_array = jnp.asarray(theta_np, dtype=features.dtype)
    reward = features @ theta_array
    if gold == "nonlinear":
        phi = jax.random.normal(k_phi, (n_features,))
        if with_length:
            phi = phi.at[-1].set(0.0)
        phi = phi / jnp.linalg.norm(phi)
        reward = reward + nonlinearity * jnp.sin(2.0 * features @ phi)
    return ItemSet(features=features, gold=reward, length=features[:, -1] if with_length else None)


def sample_pairs(items: ItemSet, key: Array, n_pairs: int) -> tuple[Array, Array]:
    """``n_pairs`` ordered pairs of distinct items, uniform over the ``K (K - 1)`` ordered pairs (so the order of
    display is random): ``(first [M], second [M])`` int."""
    check_items(items, "sample_pairs")
    if isinstance(n_pairs, bool) or not isinstance(n_pairs, int) or n_pairs < 1:
        raise GameError(f"sample_pairs: n_pairs must be a positive integer, got {n_pairs!r}")
    return _sample_pairs(items.n_items, key, n_pairs)


def _sample_pairs(n_items: int, key: Array, n_pairs: int) -> tuple[Array, Array]:
    k_first, k_offset = jax.random.split(key)
    first = jax.random.randint(k_first, (n_pairs,), 0, n_items)
    # A uniform non-zero offset modulo K makes the second item uniform over the other K - 1.
    second = (first + jax.random.randint(k_offset, (n_pairs,), 1, n_items)) % n_items
    return first, second


# -- evaluators ------------------------------------------------------------------------------------------------------


def _logit_choice(key: Array, difference: Array, temperature: float) -> Array:
    return jax.random.bernoulli(key, jax.nn.sigmoid(difference / temperature))


def boltzmann_evaluator(temperature: float) -> Evaluator:
    """Bradley-Terry: ``P(first preferred) = sigmoid((gold_first - gold_second) / temperature)``."""
    t = positive_number(temperature, "temperature", "boltzmann_evaluator")

    def evaluate(items: ItemSet, first: Array, second: Array, key: Array) -> Array:
        return _logit_choice(key, items.gold[first] - items.gold[second], t)

    return evaluate


def noisy_evaluator(temperature: float, flip: float) -> Evaluator:
    """Boltzmann at ``temperature``, then each label flipped independently with probability ``flip`` in
    ``[0, 1/2]``."""
    t = positive_number(temperature, "temperature", "noisy_evaluator")
    p = _probability(flip, "flip", "noisy_evaluator", upper=0.5)

    def evaluate(items: ItemSet, first: Array, second: Array, key: Array) -> Array:
        k_choice, k_flip = jax.random.split(key)
        honest = _logit_choice(k_choice, items.gold[first] - items.gold[second], t)
        return jnp.logical_xor(honest, jax.random.bernoulli(k_flip, p, honest.shape))

    return evaluate


def intransitive_evaluator(criteria: Any, temperature: float) -> Evaluator:
    """Majority vote of ``C`` linear criteria ``criteria [C, F]``, each a logit choice at ``temperature``
    (ties: a fair coin). Three criteria at 120 degrees make Condorcet cycles."""
    caller = "intransitive_evaluator"
    weights = jnp.asarray(_finite_array(criteria, "criteria", caller, 2))
    if weights.shape[0] < 1:
        raise GameError(f"{caller}: criteria must hold at least one criterion")
    t = positive_number(temperature, "temperature", caller)
    n_criteria = weights.shape[0]

    def evaluate(items: ItemSet, first: Array, second: Array, key: Array) -> Array:
        if items.features.shape[1] != weights.shape[1]:
            raise GameError(f"{caller}: criteria have {weights.shape[1]} features, the items "
                            f"{items.features.shape[1]}")
        k_votes, k_tie = jax.random.split(key)
        differences = (items.features[first] - items.features[second]) @ weights.T.astype(items.features.dtype)
        votes = jnp.sum(_logit_choice(k_votes, differences, t), axis=-1)  # [M] criteria preferring first
        coin = jax.random.bernoulli(k_tie, 0.5, votes.shape)
        return jnp.where(2 * votes == n_criteria, coin, 2 * votes > n_criteria)

    return evaluate


def framing_evaluator(temperature: float, *, length_bias: float = 0.0, position_bias: float = 0.0) -> Evaluator:
    """With probability ``position_bias`` picks the first-shown item unseen; otherwise a logit choice on
    ``gold + length_bias * length`` at ``temperature``."""
    caller = "framing_evaluator"
    t = positive_number(temperature, "temperature", caller)
    b = _finite_number(length_bias, "length_bias", caller)
    p = _probability(position_bias, "position_bias", caller)

    def evaluate(items: ItemSet, first: Array, second: Array, key: Array) -> Array:
        k_choice, k_position = jax.random.split(key)
        difference = items.gold[first] - items.gold[second]
        if b != 0.0:
            if items.length is None:
                raise GameError(f"{caller}: length_bias needs items with a length")
            difference = difference + b * (items.length[first] - items.length[second])
        looked = _logit_choice(k_choice, difference, t)
        return jnp.logical_or(jax.random.bernoulli(k_position, p, looked.shape), looked)

    return evaluate


def strategic_evaluator(agenda: Any, strength: float, temperature: float) -> Evaluator:
    """Logit choice at ``temperature`` on the shaded utility ``gold + strength * features @ agenda``: reports that
    push a linear reward model's weights toward ``agenda [F]`` (``strength >= 0``; 0 is truthful)."""
    caller = "strategic_evaluator"
    direction = jnp.asarray(_finite_array(agenda, "agenda", caller, 1))
    s = _finite_number(strength, "strength", caller)
    if s < 0:
        raise GameError(f"{caller}: strength must be >= 0, got {strength!r}")
    t = positive_number(temperature, "temperature", caller)

    def evaluate(items: ItemSet, first: Array, second: Array, key: Array) -> Array:
        if items.features.shape[1] != direction.shape[0]:
            raise GameError(f"{caller}: agenda has {direction.shape[0]} entries, the items "
                            f"{items.features.shape[1]} features")
        shaded = items.gold + s * (items.features @ direction.astype(items.features.dtype))
        return _logit_choice(key, shaded[first] - shaded[second], t)

    return evaluate


def label(items: ItemSet, evaluator: Evaluator, key: Array, n_pairs: int) -> Comparisons:
    """``n_pairs`` uniform pairs (:func:`sample_pairs`) labelled by ``evaluator``."""
    check_items(items, "label")
    if not callable(evaluator):
        raise GameError(f"label: evaluator must be a function (items, first, second, key) -> labels, got "
                        f"{type(evaluator).__name__}")
    if isinstance(n_pairs, bool) or not isinstance(n_pairs, int) or n_pairs < 1:
        raise GameError(f"label: n_pairs must be a positive integer, got {n_pairs!r}")
    k_pairs, k_labels = jax.random.split(key)
    first, second = _sample_pairs(items.n_items, k_pairs, n_pairs)
    return Comparisons(first, second, jnp.asarray(evaluator(items, first, second, k_labels), dtype=bool))


def evaluate_pairs(items: ItemSet, evaluator: Evaluator, first: Any, second: Any, key: Array) -> Comparisons:
    """Given pairs labelled by ``evaluator`` (e.g. the same pairs under two evaluators)."""
    check_items(items, "evaluate_pairs")
    _check_pair_indices(items, first, second, "evaluate_pairs")
    f, s = jnp.asarray(first), jnp.asarray(second)
    return Comparisons(f, s, jnp.asarray(evaluator(items, f, s, key), dtype=bool))
