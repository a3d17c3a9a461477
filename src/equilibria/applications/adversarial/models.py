"""Classifiers for adversarial training: logistic regression, an MLP and a small CNN (equinox).

Conventions: a :class:`Model` is the *static* half of an equinox network (hashable: layer shapes, activations) plus
how to apply its *parameters* (the array half, ``eqx.partition(network, eqx.is_array)``), the learner's variable
in the game. ``logits(params, x)`` takes ONE example ``x: [d]`` and returns ``[n_classes]`` logits; batches are
``jax.vmap`` outside (:meth:`Model.batch_logits`: ``[n, d] -> [n, n_classes]``). Binary tasks use two logits (a
linear model's margin is then ``(w_1 - w_0).x + b_1 - b_0``).

Every network is a flat sequence of layers of three kinds (``Model.kinds``): ``"affine"`` (an ``eqx.nn.Linear`` or
``eqx.nn.Conv2d``: the only parameters), ``"relu"`` and ``"reshape"`` (to ``(1, 8, 8)`` images before the first
convolution, flat before the last linear layer). That shape is what interval bound propagation needs
(:mod:`~equilibria.applications.adversarial.certify`): affine layers map intervals exactly through ``|W|``, ReLU is
monotone.

Architectures (:data:`ARCHITECTURES`): ``"linear"`` (multinomial logistic regression), ``"mlp"`` (``depth`` hidden
ReLU layers of ``width``), ``"cnn"`` (for 8x8 one-channel images: conv 3x3 to 8 channels, ReLU, conv 3x3 stride 2
to 16 channels, ReLU, linear to the classes).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from equilibria.core.checks import positive_int
from equilibria.core.errors import GameError

ARCHITECTURES = ("linear", "mlp", "cnn")


@dataclass(frozen=True)
class Architecture:
    """``kind``: one of :data:`ARCHITECTURES`; ``width``, ``depth``: the MLP's hidden layers; ``image_shape``: the
    CNN's input ``(h, w)`` (one channel, ``h * w = d``)."""

    kind: str = "mlp"
    width: int = 64
    depth: int = 1
    image_shape: tuple[int, int] = (8, 8)

    def __post_init__(self) -> None:
        if self.kind not in ARCHITECTURES:
            raise GameError(f"Architecture: unknown kind {self.kind!r}; known: {', '.join(ARCHITECTURES)}")
        positive_int(self.width, "width", "Architecture")
        positive_int(self.depth, "depth", "Architecture")


def _layers(architecture: Architecture, dim: int, n_classes: int, key: jax.Array) -> tuple[tuple[Any, ...],
                                                                                          tuple[str, ...]]:
    a = architecture
    if a.kind == "linear":
        return (eqx.nn.Linear(dim, n_classes, key=key),), ("affine",)
    if a.kind == "mlp":
        keys = jax.random.split(key, a.depth + 1)
        sizes = [dim] + [a.width] * a.depth
        layers: list[Any] = []
        kinds: list[str] = []
        for i in range(a.depth):
            layers += [eqx.nn.Linear(sizes[i], sizes[i + 1], key=keys[i]), None]
            kinds += ["affine", "relu"]
        return tuple(layers) + (eqx.nn.Linear(sizes[-1], n_classes, key=keys[-1]),), tuple(kinds) + ("affine",)
    h, w = a.image_shape
    if h * w != dim:
        raise GameError(f"Architecture: image_shape {a.image_shape} does not hold d = {dim} inputs")
    k1, k2, k3 = jax.random.split(key, 3)
    flat = 16 * ((h + 1) // 2) * ((w + 1) // 2)
    layers_cnn = (None, eqx.nn.Conv2d(1, 8, 3, padding=1, key=k1), None, eqx.nn.Conv2d(8, 16, 3, stride=2, padding=1,
                  key=k2), None, None, eqx.nn.Linear(flat, n_classes, key=k3))
    return layers_cnn, ("reshape", "affine", "relu", "affine", "relu", "reshape", "affine")


class Network(eqx.Module):
    """A flat sequence of layers (see the module docstring); ``shapes[i]``: the shape layer ``i`` reshapes to."""

    layers: tuple[Any, ...]
    kinds: tuple[str, ...] = eqx.field(static=True)
    shapes: tuple[tuple[int, ...] | None, ...] = eqx.field(static=True)

    def __call__(self, x: jax.Array) -> jax.Array:
        return forward(self, x, lambda layer, h: layer(h))


def forward(network: Network, x: Any, affine: Callable[[Any, Any], Any],
            relu: Callable[[Any], Any] = jax.nn.relu) -> Any:
    """Run ``network`` on ``x`` with the given affine and ReLU maps (interval propagation passes its own)."""
    h = x
    for layer, kind, shape in zip(network.layers, network.kinds, network.shapes, strict=True):
        if kind == "affine":
            h = affine(layer, h)
        elif kind == "relu":
            h = relu(h)
        else:
            h = jax.tree_util.tree_map(lambda a, s=shape: a.reshape(s), h)
    return h


def _network(architecture: Architecture, dim: int, n_classes: int, key: jax.Array) -> Network:
    layers, kinds = _layers(architecture, dim, n_classes, key)
    h, w = architecture.image_shape
    shapes: list[tuple[int, ...] | None] = []
    for i, kind in enumerate(kinds):
        shapes.append(None if kind != "reshape" else ((1, h, w) if i == 0 else (-1,)))
    return Network(layers, kinds, tuple(shapes))


def _fan_in_limits(network: Network) -> tuple[float, ...]:
    """Per parameter leaf (in ``eqx.is_array`` leaf order), equinox's default init bound ``1 / sqrt(fan_in)``."""
    limits: list[float] = []
    for layer in network.layers:
        if layer is None:
            continue
        weight = layer.weight
        fan_in = int(np.prod(weight.shape[1:]))
        limits += [1.0 / math.sqrt(fan_in)] * (1 if layer.bias is None else 2)
    return tuple(limits)


@dataclass(frozen=True)
class Model:
    """The static half of a network and how to apply its parameters (build with :meth:`build`).

    ``treedef``, ``shapes`` and ``limits`` describe the parameter leaves: :meth:`init` draws them all from one
    uniform draw (equinox's default distribution, ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` for weights and biases),
    which compiles far faster than equinox's layer-by-layer initialisation (one random-bit kernel, not two per layer).
    """

    architecture: Architecture
    dim: int
    n_classes: int
    static: Any
    treedef: Any
    shapes: tuple[tuple[int, ...], ...]
    limits: tuple[float, ...]

    @classmethod
    def build(cls, architecture: Architecture, dim: int, n_classes: int) -> Model:
        if not isinstance(architecture, Architecture):
            raise GameError(f"Model.build: architecture must be an Architecture, got {type(architecture).__name__}")
        positive_int(dim, "dim", "Model.build")
        if isinstance(n_classes, bool) or not isinstance(n_classes, int) or n_classes < 2:
            raise GameError(f"Model.build: n_classes must be an integer >= 2, got {n_classes!r}")
        network = _network(architecture, dim, n_classes, jax.random.PRNGKey(0))
        arrays, static = eqx.partition(network, eqx.is_array)
        leaves, treedef = jax.tree_util.tree_flatten(arrays)
        limits = _fan_in_limits(network)
        if len(limits) != len(leaves):  # the leaf order is the layers' (weight, bias) order
            raise AssertionError("Model.build: parameter leaves and layers disagree")
        return cls(architecture, dim, n_classes, static, treedef, tuple(tuple(a.shape) for a in leaves), limits)

    def init(self, key: jax.Array) -> Any:
        """Fresh parameters (see the class docstring); works under ``jax.vmap`` over keys."""
        sizes = [int(np.prod(shape)) for shape in self.shapes]
        draw = jax.random.uniform(key, (sum(sizes),), minval=-1.0, maxval=1.0)
        offsets = np.cumsum([0] + sizes)
        leaves = [limit * draw[a:b].reshape(shape)
                  for limit, a, b, shape in zip(self.limits, offsets[:-1], offsets[1:], self.shapes, strict=True)]
        return jax.tree_util.tree_unflatten(self.treedef, leaves)

    def network(self, params: Any) -> Network:
        return eqx.combine(params, self.static)

    def logits(self, params: Any, x: jax.Array) -> jax.Array:
        """``[n_classes]`` logits of one example ``x: [d]``."""
        return self.network(params)(x)

    def __call__(self, params: Any, x: jax.Array) -> jax.Array:
        """:meth:`logits`; a model compares and hashes by value, so an attack compiled for it (``apply=model``) is
        reused by an equal model (a bound method compares by identity and would compile again)."""
        return self.network(params)(x)

    def batch_logits(self, params: Any, x: ArrayLike) -> jax.Array:
        """``[n, n_classes]`` logits of ``x: [n, d]``."""
        network = self.network(params)
        return jax.vmap(network)(jnp.asarray(x))


def margins(logits: jax.Array, y: jax.Array) -> jax.Array:
    """``[n]``: ``z_y - max_{j != y} z_j`` of ``logits: [n, K]``; an example counts as correct iff its margin > 0."""
    true = jnp.take_along_axis(logits, y[:, None], axis=1)[:, 0]
    others = jnp.where(jax.nn.one_hot(y, logits.shape[1], dtype=bool), -jnp.inf, logits)
    return true - others.max(axis=1)


def cross_entropy(logits: jax.Array, y: jax.Array) -> jax.Array:
    """``[n]`` per-example cross-entropy (softmax) of ``logits: [n, K]`` at labels ``y: [n]``."""
    return -jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], axis=1)[:, 0]


def accuracy(model: Model, params: Any, x: Any, y: Any) -> float:
    """Share of ``x: [n, d]`` with margin > 0 at labels ``y: [n]``."""
    return float((margins(model.batch_logits(params, jnp.asarray(x)), jnp.asarray(y)) > 0).mean())
