"""Certificates: interval bounds are sound, and certified <= attacked <= clean on random small MLPs."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria.applications.adversarial import certify
from equilibria.applications.adversarial.models import Architecture, Model, margins

MLP = Model.build(Architecture("mlp", width=6, depth=2), 3, 3)
BUDGET = certify.AttackBudget(pgd_steps=10, pgd_restarts=2, square_iterations=30)


def _instance(seed: int, scale: float):
    params = MLP.init(jax.random.PRNGKey(seed))
    params = jax.tree_util.tree_map(lambda a: scale * a, params)  # sharper or flatter networks
    x = jax.random.uniform(jax.random.PRNGKey(seed + 1), (24, 3))
    y = jnp.argmax(MLP.batch_logits(params, x), axis=1)
    y = jnp.where(jnp.arange(24) % 4 == 0, (y + 1) % 3, y)  # a few misclassified points too
    return params, x, y


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**16), scale=st.floats(0.5, 3.0), eps=st.floats(0.0, 0.5), boxed=st.booleans())
def test_interval_bounds_hold_at_points_sampled_in_the_ball_and_the_box(seed, scale, eps, boxed):
    params, x, y = _instance(seed, scale)
    lower, upper = (0.0, 1.0) if boxed else (-np.inf, np.inf)
    low, high = certify.output_bounds(MLP, params, x, eps=eps, lower=lower, upper=upper)
    bound = certify.margin_lower_bounds(MLP, params, x, y, eps=eps, lower=lower, upper=upper)
    rng = np.random.default_rng(seed)
    a = np.maximum(np.asarray(x) - eps, lower)
    b = np.minimum(np.asarray(x) + eps, upper)
    samples = a[None] + rng.uniform(size=(64, *x.shape)) * (b - a)[None]  # inside the ball and the box
    samples[:8] = np.where(rng.uniform(size=(8, *x.shape)) < 0.5, a, b)  # corners too
    z = MLP.batch_logits(params, jnp.asarray(samples.reshape(-1, 3), jnp.float32))
    assert np.all(np.asarray(z).reshape(64, 24, 3) >= np.asarray(low)[None] - 1e-5)
    assert np.all(np.asarray(z).reshape(64, 24, 3) <= np.asarray(high)[None] + 1e-5)
    sampled_margins = np.asarray(margins(z, jnp.tile(y, 64))).reshape(64, 24)
    assert np.all(sampled_margins >= np.asarray(bound)[None] - 1e-5)


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**16), scale=st.floats(0.5, 3.0), eps=st.floats(0.0, 0.5), boxed=st.booleans())
def test_certified_never_exceeds_attacked_never_exceeds_clean(seed, scale, eps, boxed):
    params, x, y = _instance(seed, scale)
    lower, upper = (0.0, 1.0) if boxed else (-np.inf, np.inf)
    result = certify.robust_accuracy(MLP, params, x, y, eps=eps, lower=lower, upper=upper, budget=BUDGET,
                                     key=jax.random.PRNGKey(seed))
    assert result.certified is not None
    assert result.certified <= result.attacked <= result.clean
    assert result.attacked <= min(result.per_attack.values())
    # per example: a certified point survives every attack
    certified = np.asarray(certify.margin_lower_bounds(MLP, params, x, y, eps=eps, lower=lower, upper=upper)) > 0
    attacked = np.asarray(margins(MLP.batch_logits(params, jnp.asarray(result.x_adv)), y)) > 0
    assert np.all(attacked[certified])
    if eps == 0.0:  # no room to move: every bound is tight
        assert result.certified == result.attacked == result.clean
