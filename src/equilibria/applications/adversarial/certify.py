"""Certificates of robustness: a verified lower bound (interval bound propagation) and an attacked upper bound.

Robust accuracy at ``eps`` (the share of test points whose every point of the feasible set, the eps-ball
intersected with the input box, is classified correctly, i.e. has margin > 0) cannot be computed exactly for a
network, so it is bracketed:

- **certified** (a lower bound): interval bound propagation (Gowal et al. 2018). The input interval is ``[max(x -
  eps, lower), min(x + eps, upper)]`` (the L-inf ball, which also holds the L2 ball of the same radius); an affine
  layer maps the interval's centre ``c`` and radius ``r`` to ``W c + b`` and ``|W| r`` (exact for the interval),
  ReLU is monotone. The last layer is folded into the margins (``z_y - z_j`` bounded through ``W_y - W_j``,
  "elision"), which is exact for linear models under L-inf without a box. An example is certified when every
  margin's lower bound is > 0. Works for every :class:`~equilibria.applications.adversarial.models.Model`
  (convolutions are affine too).
- **attacked** (an upper bound): an example counts as robust only if it is correct and survives *every* attack run
  (:func:`robust_accuracy`: PGD with restarts, and the Square attack as the gradient-free check).

Soundness makes ``certified <= attacked <= clean`` hold exactly: a certified example has margin > 0 at every
feasible point, the attacks' points included, and the attacks keep the clean point as a candidate.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from equilibria.applications.adversarial import attacks
from equilibria.applications.adversarial.models import Model, Network, forward, margins
from equilibria.core.checks import positive_int
from equilibria.core.errors import GameError


class Interval(NamedTuple):
    """An axis-aligned box given by its ``center`` and ``radius`` (same shapes, ``radius >= 0``)."""

    center: jax.Array
    radius: jax.Array


def _abs_affine(layer: Any, radius: jax.Array) -> jax.Array:
    """``|W| r`` for an equinox Linear or Conv2d ``layer`` (the bias does not widen an interval)."""
    weight_abs = jnp.abs(layer.weight)
    if hasattr(layer, "in_features"):
        return weight_abs @ radius
    return _with(layer, weight_abs)(radius)


def _with(layer: Any, weight: jax.Array) -> Any:
    import equinox as eqx

    layer = eqx.tree_at(lambda m: m.weight, layer, weight)
    return eqx.tree_at(lambda m: m.bias, layer, None if layer.bias is None else jnp.zeros_like(layer.bias))


def _interval_affine(layer: Any, box: Interval) -> Interval:
    return Interval(layer(box.center), _abs_affine(layer, box.radius))


def _interval_relu(box: Interval) -> Interval:
    low, high = jax.nn.relu(box.center - box.radius), jax.nn.relu(box.center + box.radius)
    return Interval((low + high) / 2, (high - low) / 2)


def _input_interval(x_i: jax.Array, eps: jax.Array, lower: float, upper: float) -> Interval:
    low, high = jnp.maximum(x_i - eps, lower), jnp.minimum(x_i + eps, upper)
    return Interval((low + high) / 2, (high - low) / 2)


def without_last(network: Network) -> Network:
    """The network without its last (affine) layer."""
    return Network(network.layers[:-1], network.kinds[:-1], network.shapes[:-1])


@functools.partial(jax.jit, static_argnums=(0, 5, 6))
def _margin_bounds(model: Model, params: Any, x: jax.Array, y: jax.Array, eps: jax.Array, lower: float,
                   upper: float) -> jax.Array:
    network = model.network(params)
    hidden, last = without_last(network), network.layers[-1]

    def one(x_i: jax.Array, y_i: jax.Array) -> jax.Array:
        box = forward(hidden, _input_interval(x_i, eps, lower, upper), _interval_affine, _interval_relu)
        diff_w = last.weight[y_i][None, :] - last.weight  # [K, h]: W_y - W_j
        diff_b = last.bias[y_i] - last.bias
        bound = diff_w @ box.center + diff_b - jnp.abs(diff_w) @ box.radius
        return jnp.where(jnp.arange(model.n_classes) == y_i, jnp.inf, bound).min()

    return jax.vmap(one)(x, y)


def margin_lower_bounds(model: Model, params: Any, x: Any, y: Any, *, eps: float, lower: float = -math.inf,
                        upper: float = math.inf) -> jax.Array:
    """``[n]``: a lower bound on ``min_{x' feasible} (z_y(x') - max_{j != y} z_j(x'))`` for each row of ``x``."""
    eps = attacks.check_eps(eps, "margin_lower_bounds")
    return _margin_bounds(model, params, jnp.asarray(x), jnp.asarray(y), jnp.asarray(eps, jnp.float32),
                          float(lower), float(upper))


@functools.partial(jax.jit, static_argnums=(0, 4, 5))
def _output_bounds(model: Model, params: Any, x: jax.Array, eps: jax.Array, lower: float, upper: float) -> Interval:
    network = model.network(params)

    def one(x_i: jax.Array) -> Interval:
        return forward(network, _input_interval(x_i, eps, lower, upper), _interval_affine, _interval_relu)

    return jax.vmap(one)(x)


def output_bounds(model: Model, params: Any, x: Any, *, eps: float, lower: float = -math.inf,
                  upper: float = math.inf) -> tuple[jax.Array, jax.Array]:
    """``([n, K], [n, K])``: lower and upper bounds of every logit over the feasible set of each row of ``x``."""
    eps = attacks.check_eps(eps, "output_bounds")
    box = _output_bounds(model, params, jnp.asarray(x), jnp.asarray(eps, jnp.float32), float(lower), float(upper))
    return box.center - box.radius, box.center + box.radius


def certified_accuracy(model: Model, params: Any, x: Any, y: Any, *, eps: float, lower: float = -math.inf,
                       upper: float = math.inf) -> float:
    """Share of rows certified robust by interval bound propagation (a lower bound on robust accuracy)."""
    bounds = margin_lower_bounds(model, params, jnp.asarray(x), jnp.asarray(y), eps=eps, lower=lower, upper=upper)
    return float((bounds > 0).mean())


@dataclass(frozen=True)
class AttackBudget:
    """What :func:`robust_accuracy` runs: PGD (``pgd_steps``, ``pgd_restarts``, cross-entropy and margin losses
    alternating over restarts) and Square (``square_iterations``; L-inf only; 0 skips it)."""

    pgd_steps: int = 50
    pgd_restarts: int = 2
    square_iterations: int = 1000

    def __post_init__(self) -> None:
        positive_int(self.pgd_steps, "pgd_steps", "AttackBudget")
        positive_int(self.pgd_restarts, "pgd_restarts", "AttackBudget")
        if isinstance(self.square_iterations, bool) or not isinstance(self.square_iterations, int) or \
                self.square_iterations < 0:
            raise GameError(f"AttackBudget: square_iterations must be an integer >= 0, got {self.square_iterations!r}")


@dataclass(frozen=True)
class Robustness:
    """The bracket at one ``eps``: ``certified <= attacked <= clean`` (``certified`` None when not computed).

    ``per_attack``: each attack's own robust accuracy; ``attacked`` is the share that survives all of them (at most
    the smallest of them). ``x_adv: [n, d]``: the worst point found per example.
    """

    eps: float
    norm: str
    clean: float
    attacked: float
    certified: float | None
    per_attack: Mapping[str, float] = field(default_factory=dict)
    x_adv: np.ndarray | None = field(default=None, repr=False, compare=False)


def robust_accuracy(model: Model, params: Any, x: Any, y: Any, *, eps: float, norm: str = "linf",
                    lower: float = -math.inf, upper: float = math.inf, budget: AttackBudget = AttackBudget(),
                    certify: bool = True, image_shape: tuple[int, int] | None = None, key: jax.Array) -> Robustness:
    """Clean accuracy, robust accuracy under the strongest attacks run (per example: robust only if it survives
    every attack), and (``certify``) the IBP-certified accuracy, at ``eps`` in ``norm``."""
    attacks.check_eps(eps, "robust_accuracy")
    attacks.check_norm(norm, "robust_accuracy")
    x, y = jnp.asarray(x), jnp.asarray(y)
    clean_margins = margins(model.batch_logits(params, x), y)
    worst = attacks.Attack(x, clean_margins)
    per_attack: dict[str, float] = {}
    keys = jax.random.split(key, budget.pgd_restarts + 1)
    for r in range(budget.pgd_restarts):
        loss = "ce" if r % 2 == 0 else "margin"
        found = attacks.pgd(model, params, x, y, eps=eps, norm=norm, steps=budget.pgd_steps, restarts=1,
                            lower=lower, upper=upper, loss=loss, key=keys[r])
        per_attack[f"pgd-{loss}-{r}"] = float((found.margins > 0).mean())
        worst = attacks.keep_worse(worst, found)
    if norm == "linf" and budget.square_iterations > 0:
        found = attacks.square(model, params, x, y, eps=eps, iterations=budget.square_iterations,
                               lower=lower, upper=upper, image_shape=image_shape, key=keys[-1])
        per_attack["square"] = float((found.margins > 0).mean())
        worst = attacks.keep_worse(worst, found)
    certified = certified_accuracy(model, params, x, y, eps=eps, lower=lower, upper=upper) if certify else None
    return Robustness(float(eps), norm, float((clean_margins > 0).mean()), float((worst.margins > 0).mean()),
                      certified, per_attack, np.asarray(worst.x_adv))
