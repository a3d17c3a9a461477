"""Preference data and simulated evaluators: each evaluator's label statistics match its stated model (within 4
standard errors of the Monte Carlo estimate), pairs are uniform, parameters are checked."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from equilibria.applications.rlhf import preferences as P
from equilibria.core.errors import GameError

N = 20_000  # labels per rate estimate: standard error <= 0.0036


def _items(gold, features=None, length=None):
    gold = jnp.asarray(gold, dtype=jnp.float32)
    features = jnp.zeros((gold.shape[0], 1)) if features is None else jnp.asarray(features, dtype=jnp.float32)
    return P.ItemSet(features=features, gold=gold, length=None if length is None else jnp.asarray(length))


def _rate(items, evaluator, first, second, seed=0):
    f = jnp.full(N, first)
    s = jnp.full(N, second)
    labels = np.asarray(P.evaluate_pairs(items, evaluator, f, s, jax.random.key(seed)).first_preferred)
    return labels.mean()


def _within(rate, p, n=N):
    return abs(rate - p) <= 4 * math.sqrt(p * (1 - p) / n) + 1e-12


def test_sample_pairs_uniform_distinct_and_random_order():
    items = _items(np.arange(7.0))
    first, second = P.sample_pairs(items, jax.random.key(3), 70_000)
    first, second = np.asarray(first), np.asarray(second)
    assert np.all(first != second)
    counts = np.bincount(first * 7 + second, minlength=49).reshape(7, 7)
    expected = 70_000 / 42
    off = counts[~np.eye(7, dtype=bool)]
    assert np.all(np.abs(off - expected) <= 4 * math.sqrt(expected))
    assert np.all(np.diag(counts) == 0)


def test_boltzmann_rate_is_bradley_terry():
    items = _items([0.0, 0.7])
    for t in (0.5, 1.0, 2.0):
        rate = _rate(items, P.boltzmann_evaluator(t), 1, 0)
        assert _within(rate, 1 / (1 + math.exp(-0.7 / t)))


def test_noisy_flip_rate():
    # A nearly deterministic evaluator (gold gap 1 at temperature 0.01): labels disagree with gold at rate flip.
    items = _items([0.0, 1.0])
    for flip in (0.0, 0.1, 0.3, 0.5):
        rate = _rate(items, P.noisy_evaluator(0.01, flip), 0, 1, seed=1)
        assert _within(rate, flip)


def test_framing_position_and_length_bias():
    items = _items([0.0, 0.0], length=[2.0, 1.0])
    for p in (0.0, 0.2, 0.6):
        rate = _rate(items, P.framing_evaluator(1.0, position_bias=p), 1, 0, seed=2)
        assert _within(rate, p + (1 - p) * 0.5)
    # Equal gold, one unit longer first: P(first) = sigmoid(length_bias / T).
    rate = _rate(items, P.framing_evaluator(0.5, length_bias=0.8), 0, 1, seed=3)
    assert _within(rate, 1 / (1 + math.exp(-1.6)))
    rate = _rate(items, P.framing_evaluator(0.5, length_bias=0.8, position_bias=0.3), 1, 0, seed=4)
    assert _within(rate, 0.3 + 0.7 / (1 + math.exp(1.6)))


def test_strategic_shades_toward_agenda():
    features = [[0.0, 0.0], [0.0, 1.0]]
    items = _items([0.5, 0.0], features=features)
    agenda = [0.0, 1.0]
    rate = _rate(items, P.strategic_evaluator(agenda, 1.5, 1.0), 1, 0, seed=5)
    assert _within(rate, 1 / (1 + math.exp(-(-0.5 + 1.5))))
    # strength 0 is the Boltzmann evaluator, label for label (same key).
    key = jax.random.key(9)
    first, second = jnp.array([0, 1, 0]), jnp.array([1, 0, 1])
    a = P.evaluate_pairs(items, P.strategic_evaluator(agenda, 0.0, 0.7), first, second, key).first_preferred
    b = P.evaluate_pairs(items, P.boltzmann_evaluator(0.7), first, second, key).first_preferred
    assert np.array_equal(np.asarray(a), np.asarray(b))


def test_intransitive_majority_makes_a_condorcet_cycle():
    # Three criteria ranking a > b > c, b > c > a, c > a > b: majorities a > b, b > c, c > a.
    features = [[3.0, 1.0, 2.0], [2.0, 3.0, 1.0], [1.0, 2.0, 3.0]]
    items = _items([0.0, 0.0, 0.0], features=features)
    evaluator = P.intransitive_evaluator(np.eye(3), 1e-3)
    first, second = jnp.array([0, 1, 2, 1, 2, 0]), jnp.array([1, 2, 0, 0, 1, 2])
    labels = np.asarray(P.evaluate_pairs(items, evaluator, first, second, jax.random.key(0)).first_preferred)
    assert labels.tolist() == [True, True, True, False, False, False]
    # At a finite temperature the majority probability follows from independent criterion votes.
    evaluator = P.intransitive_evaluator(np.eye(3), 1.0)
    q = [1 / (1 + math.exp(-d)) for d in (1.0, -2.0, 1.0)]  # criteria prefer a over b with these probabilities
    p_majority = q[0] * q[1] + q[0] * q[2] + q[1] * q[2] - 2 * q[0] * q[1] * q[2]
    assert _within(_rate(items, evaluator, 0, 1, seed=6), p_majority)


def test_even_criteria_ties_are_fair_coins():
    items = _items([0.0, 0.0], features=[[1.0, 0.0], [0.0, 1.0]])
    rate = _rate(items, P.intransitive_evaluator(np.eye(2), 1e-3), 0, 1, seed=7)
    assert _within(rate, 0.5)


def test_label_shapes_and_winners():
    items = P.random_items(jax.random.key(0), 30, 4)
    c = P.label(items, P.boltzmann_evaluator(1.0), jax.random.key(1), 500)
    assert c.first.shape == c.second.shape == c.first_preferred.shape == (500,)
    assert c.first_preferred.dtype == jnp.bool_
    w, lo = np.asarray(c.winners), np.asarray(c.losers)
    assert np.all(w != lo)
    assert np.all(np.where(np.asarray(c.first_preferred), w == np.asarray(c.first), w == np.asarray(c.second)))


def test_evaluators_jit_and_vmap_over_keys():
    items = P.random_items(jax.random.key(0), 10, 3)
    first, second = P.sample_pairs(items, jax.random.key(1), 50)
    evaluator = P.noisy_evaluator(0.5, 0.1)
    keys = jax.random.split(jax.random.key(2), 4)
    batched = jax.jit(jax.vmap(lambda k: evaluator(items, first, second, k)))(keys)
    assert batched.shape == (4, 50)
    assert np.array_equal(np.asarray(batched[1]), np.asarray(evaluator(items, first, second, keys[1])))
    # ItemSet is a pytree: a batch of item sets (stacked leaves) vmaps too.
    stacked = jax.tree_util.tree_map(lambda *leaves: jnp.stack(leaves), items, items)
    assert stacked.features.shape == (2, 10, 3)
    pair = jax.vmap(lambda it, k: evaluator(it, first, second, k))(stacked, keys[:2])
    assert pair.shape == (2, 50) and np.array_equal(np.asarray(pair[0]), np.asarray(batched[0]))


def test_random_items_gold_and_length():
    items = P.random_items(jax.random.key(4), 100, 5)
    assert items.features.shape == (100, 5) and items.gold.shape == (100,)
    assert np.array_equal(np.asarray(items.length), np.asarray(items.features[:, -1]))
    # Linear gold with zero weight on the length column: least squares recovers a unit theta with theta[-1] = 0.
    theta, *_ = np.linalg.lstsq(np.asarray(items.features), np.asarray(items.gold), rcond=None)
    assert abs(theta[-1]) < 1e-5 and abs(np.linalg.norm(theta) - 1) < 1e-5
    given = P.random_items(jax.random.key(4), 20, 3, theta=[1.0, -2.0, 0.0])
    assert np.allclose(np.asarray(given.gold), np.asarray(given.features) @ np.array([1.0, -2.0, 0.0]), atol=1e-5)
    nonlinear = P.random_items(jax.random.key(4), 100, 5, gold="nonlinear")
    residual = np.asarray(nonlinear.gold) - np.asarray(nonlinear.features) @ theta
    assert np.std(residual) > 0.3  # the sine part is there


@pytest.mark.parametrize(("build", "message"), [
    (lambda: P.boltzmann_evaluator(0.0), "temperature"),
    (lambda: P.boltzmann_evaluator(float("nan")), "temperature"),
    (lambda: P.noisy_evaluator(1.0, 0.6), "flip"),
    (lambda: P.noisy_evaluator(1.0, -0.1), "flip"),
    (lambda: P.framing_evaluator(1.0, position_bias=1.5), "position_bias"),
    (lambda: P.framing_evaluator(1.0, length_bias=float("inf")), "length_bias"),
    (lambda: P.strategic_evaluator([1.0, float("nan")], 1.0, 1.0), "agenda"),
    (lambda: P.strategic_evaluator([1.0, 0.0], -1.0, 1.0), "strength"),
    (lambda: P.intransitive_evaluator([1.0, 0.0], 1.0), "criteria"),
    (lambda: P.random_items(jax.random.key(0), 1, 3), "n_items"),
    (lambda: P.random_items(jax.random.key(0), 5, 3, gold="cubic"), "gold"),
    (lambda: P.label(P.ItemSet(jnp.zeros((3, 2)), jnp.zeros(4)), P.boltzmann_evaluator(1.0), jax.random.key(0), 5),
     "items.gold"),
    (lambda: P.label(P.ItemSet(jnp.zeros((3, 2)), jnp.array([0.0, jnp.nan, 1.0])), P.boltzmann_evaluator(1.0),
                     jax.random.key(0), 5), "NaN"),
    (lambda: P.sample_pairs(P.ItemSet(jnp.zeros((3, 2)), jnp.zeros(3)), jax.random.key(0), 0), "n_pairs"),
])
def test_bad_parameters_are_one_line_errors(build, message):
    with pytest.raises(GameError, match=message) as info:
        build()
    assert "\n" not in str(info.value)


def test_shape_mismatches_at_labelling_time():
    items = P.random_items(jax.random.key(0), 10, 3)
    with pytest.raises(GameError, match="agenda"):
        P.label(items, P.strategic_evaluator([1.0, 0.0], 1.0, 1.0), jax.random.key(1), 5)
    with pytest.raises(GameError, match="criteria"):
        P.label(items, P.intransitive_evaluator(np.eye(2), 1.0), jax.random.key(1), 5)
    no_length = P.random_items(jax.random.key(0), 10, 3, with_length=False)
    with pytest.raises(GameError, match="length"):
        P.label(no_length, P.framing_evaluator(1.0, length_bias=1.0), jax.random.key(1), 5)
