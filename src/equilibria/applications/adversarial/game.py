"""The game-dynamics view of adversarial training: learner and attacker as two players of the dynamics engine.

On a minibatch ``(x: [B, d], y: [B])`` the game is a :class:`~equilibria.games.differentiable.DifferentiableGame`
with two players (the loss convention of :mod:`equilibria.games.differentiable`: each player minimises its loss):

- player 0, the **attacker**: a :class:`Perturbation` ``delta`` constrained to the eps-ball (``core.sets.Box(-eps,
  eps)`` for L-inf on one ``[B, d]`` leaf; ``core.sets.Ball(eps)`` for L2, one ``[d]`` leaf per example, since a
  ``Ball`` projects a whole leaf); its loss is ``-L``;
- player 1, the **learner**: the network's parameters (unconstrained); its loss is ``w L`` with ``w`` the step's
  learner weight (below),

with ``L = mean_i CE(f_theta(clip(x_i + delta_i, lower, upper)), y_i)``. Clipping to the input box inside the loss
keeps every attacked point feasible (clipping moves each coordinate toward ``x``, so it stays in the ball).

The dynamics of :mod:`equilibria.dynamics.gradient` run it unchanged: ``gda`` (simultaneous), ``alternating_gda``
(Gauss-Seidel: the attacker moves first and the learner answers the moved attacker, Madry's order),
``optimistic_gda`` and ``extragradient``. The base optimizer is one optax transformation for both players that
dispatches on the parameter type (``optax.multi_transform``): the attacker takes signed (L-inf) or normalised (L2)
ascent steps of ``attacker_step_size``, the learner Adam (or SGD) steps of ``learning_rate``.

Inner steps: with ``attacker_steps = k`` each minibatch is played for ``k`` dynamics steps; the perturbation is reset
to a uniform random start in the ball at the first, and the learner moves only at the last (its weight ``w`` is 1
there and 0 before; its optimizer skips a step whose gradient is exactly zero, so Adam's moments do not drift).
``k = 1`` with simultaneous updates is plain GDA on the min-max game (the attacker gets one step per learner step);
large ``k`` with alternating updates approaches PGD adversarial training. The optimistic and extragradient
corrections act as published for ``k = 1``; for ``k > 1`` the learner's correction sees the zero gradients of the
steps it sat out.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from equilibria.applications.adversarial import attacks
from equilibria.applications.adversarial.data import Dataset
from equilibria.applications.adversarial.models import Architecture, Model, cross_entropy
from equilibria.applications.adversarial.training import TrainResult, TrainRun, clean_loss, epoch_order
from equilibria.core.checks import positive_int, positive_number
from equilibria.core.errors import GameError
from equilibria.core.sets import Ball, Box, Reals
from equilibria.dynamics import gradient, minibatch
from equilibria.dynamics.base import Dynamics, state_dataclass, tree_where
from equilibria.games.differentiable import DifferentiableGame

METHODS = ("gda", "alternating_gda", "optimistic_gda", "extragradient")


@state_dataclass
class Perturbation:
    """The attacker's variable: ``delta: [B, d]`` (L-inf) or a tuple of ``B`` rows ``[d]`` (L2)."""

    delta: Any


@state_dataclass
class GameBatch:
    """The game's data: ``x: [B, d]``, ``y: [B]`` and the learner's weight ``w: []`` (1 on its moves, else 0)."""

    x: jax.Array
    y: jax.Array
    learner_weight: jax.Array


@dataclass(frozen=True)
class GameConfig:
    """The game-dynamics run: ``method`` (:data:`METHODS`), the learner (``architecture``, ``learning_rate``,
    ``optimizer``), the attacker (``eps``, ``norm``, ``attacker_steps`` per learner step, ``attacker_step_size``:
    None = ``2.5 eps / attacker_steps``), ``epochs`` of learner steps over the training split, ``batch_size``."""

    method: str = "alternating_gda"
    architecture: Architecture = Architecture()
    eps: float = 0.1
    norm: str = "linf"
    attacker_steps: int = 5
    attacker_step_size: float | None = None
    learning_rate: float = 1e-3
    optimizer: str = "adam"
    epochs: int = 10
    batch_size: int = 64

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise GameError(f"GameConfig: unknown method {self.method!r}; known: {', '.join(METHODS)}")
        if self.optimizer not in ("adam", "sgd"):
            raise GameError(f"GameConfig: optimizer must be 'adam' or 'sgd', got {self.optimizer!r}")
        if not isinstance(self.architecture, Architecture):
            raise GameError(f"GameConfig: architecture must be an Architecture, got {type(self.architecture).__name__}")
        attacks.check_settings(self.eps, self.norm, self.attacker_step_size, "GameConfig", "attacker_step_size")
        for name in ("attacker_steps", "epochs", "batch_size"):
            positive_int(getattr(self, name), name, "GameConfig")
        positive_number(self.learning_rate, "learning_rate", "GameConfig")

    @property
    def step_size(self) -> float:
        return attacks.madry_step_size(self.eps, self.attacker_steps, self.attacker_step_size)


@dataclass(frozen=True)
class AdversarialLosses:
    """``loss_fn(data, params) -> [attacker's -L, learner's w L]`` (hashable: a game's static half)."""

    model: Model
    lower: float
    upper: float

    def __call__(self, data: GameBatch, params: tuple[Perturbation, Any]) -> jax.Array:
        delta = _stacked(params[0].delta)
        attacked = jnp.clip(data.x + delta, self.lower, self.upper)
        loss = cross_entropy(self.model.batch_logits(params[1], attacked), data.y).mean()
        return jnp.stack([-loss, data.learner_weight * loss])


def _stacked(delta: Any) -> jax.Array:
    return jnp.stack(delta) if isinstance(delta, tuple) else delta


def _as_variable(delta: jax.Array, norm: str) -> Any:
    return tuple(delta[i] for i in range(delta.shape[0])) if norm == "l2" else delta


def adversarial_game(model: Model, batch: GameBatch, *, eps: float, norm: str, lower: float = -math.inf,
                     upper: float = math.inf) -> DifferentiableGame:
    """The two-player game on one minibatch (see the module docstring)."""
    constraint = Box(-eps, eps) if norm == "linf" else Ball(eps)
    return DifferentiableGame(AdversarialLosses(model, float(lower), float(upper)), batch, (constraint, Reals()),
                              name=f"adversarial training ({norm}, eps={eps:g})")


class _SkipState(NamedTuple):
    inner: Any


def skip_zero_gradients(inner: optax.GradientTransformation) -> optax.GradientTransformation:
    """``inner``, except that a step whose gradient is exactly zero everywhere leaves params and state as they are."""

    def init(params: Any) -> _SkipState:
        return _SkipState(inner.init(params))

    def update(updates: Any, state: _SkipState, params: Any = None) -> tuple[Any, _SkipState]:
        leaves = jax.tree_util.tree_leaves(updates)
        active = jnp.any(jnp.stack([jnp.any(u != 0) for u in leaves])) if leaves else jnp.asarray(False)
        moved, new_inner = inner.update(updates, state.inner, params)
        zero = jax.tree_util.tree_map(jnp.zeros_like, moved)
        return tree_where(active, moved, zero), _SkipState(tree_where(active, new_inner, state.inner))

    return optax.GradientTransformation(init, update)


def _attacker_step(step_size: float, norm: str) -> optax.GradientTransformation:
    """Signed (L-inf) or per-leaf normalised (L2) descent on the attacker's loss ``-L``."""

    def direction(updates: Any, state: optax.EmptyState, params: Any = None) -> tuple[Any, optax.EmptyState]:
        if norm == "linf":
            return jax.tree_util.tree_map(jnp.sign, updates), state
        return jax.tree_util.tree_map(lambda u: u / jnp.maximum(jnp.linalg.norm(u), 1e-12), updates), state

    return optax.chain(optax.GradientTransformation(lambda params: optax.EmptyState(), direction),
                       optax.scale(-step_size))


def _label(params: Any) -> Any:
    name = "attacker" if isinstance(params, Perturbation) else "learner"
    return jax.tree_util.tree_map(lambda _: name, params)


def base_optimizer(config: GameConfig) -> optax.GradientTransformation:
    learner = optax.adam(config.learning_rate) if config.optimizer == "adam" else optax.sgd(config.learning_rate)
    return optax.multi_transform({"attacker": _attacker_step(config.step_size, config.norm),
                                  "learner": skip_zero_gradients(learner)}, _label)


def build_dynamics(config: GameConfig) -> Dynamics:
    base = base_optimizer(config)
    builders: dict[str, Callable[[], Dynamics]] = {
        "gda": lambda: gradient.gda(optimizer=base),
        "alternating_gda": lambda: gradient.gda(alternating=True, optimizer=base),
        "optimistic_gda": lambda: gradient.optimistic_gda(optimizer=base),
        "extragradient": lambda: gradient.extragradient(optimizer=base),
    }
    return builders[config.method]()


@functools.lru_cache(maxsize=32)
def _programs(config: GameConfig, model: Model, n: int, lower: float, upper: float) -> tuple[Callable[..., Any], ...]:
    dynamics = build_dynamics(config)
    k, per_epoch = config.attacker_steps, n // config.batch_size

    def game(batch: GameBatch) -> DifferentiableGame:
        return adversarial_game(model, batch, eps=config.eps, norm=config.norm, lower=lower, upper=upper)

    def start(key: jax.Array, x: jax.Array, y: jax.Array) -> tuple[minibatch.LoopCarry, jax.Array]:
        init_key = jax.random.split(key, 4)[0]
        delta = _as_variable(jnp.zeros((config.batch_size, x.shape[1]), x.dtype), config.norm)
        template = game(GameBatch(x[:config.batch_size], y[:config.batch_size], jnp.asarray(1.0)))
        state = dynamics.init(template, (Perturbation(delta), model.init(init_key)))
        return minibatch.start(state), clean_loss(model, state.params[1], x, y)

    def epoch(carry: minibatch.LoopCarry, key: jax.Array, epoch_index: jax.Array, x: jax.Array,
              y: jax.Array) -> tuple[minibatch.LoopCarry, jax.Array]:
        _, stream_key, start_key, _ = jax.random.split(key, 4)
        order = epoch_order(stream_key, epoch_index, n)

        def update(state: Any, t: jax.Array) -> Any:
            learner_step = t // k
            idx = jax.lax.dynamic_slice(order, ((learner_step % per_epoch) * config.batch_size,), (config.batch_size,))
            x_b, y_b = x[idx], y[idx]
            fresh = attacks.random_start(minibatch.step_key(start_key, learner_step), x_b, config.eps, config.norm,
                                         lower, upper) - x_b
            delta = jnp.where(t % k == 0, fresh, _stacked(state.params[0].delta))
            state = dataclasses.replace(state, params=(Perturbation(_as_variable(delta, config.norm)),
                                                       state.params[1]))
            weight = (t % k == k - 1).astype(x.dtype)
            return dynamics.update(game(GameBatch(x_b, y_b, weight)), state)

        carry = minibatch.scan_steps(update, carry, epoch_index * per_epoch * k, per_epoch * k)
        return carry, clean_loss(model, carry.state.params[1], x, y)

    return (jax.jit(jax.vmap(start, in_axes=(0, None, None))),
            jax.jit(jax.vmap(epoch, in_axes=(0, 0, None, None, None))))


def train_game(config: GameConfig, data: Dataset, seeds: Sequence[int], *,
               max_seconds: float | None = None) -> TrainRun:
    """Play the game on ``data``'s training split for every seed (``vmap``-ed; one compiled call per epoch of
    learner steps, ``max_seconds`` checked between them). ``result.params`` are the learner's; ``result.losses``
    ``[S, epochs_run + 1]`` the clean cross-entropy on a training subset (:func:`~.training.clean_loss`)."""
    if not isinstance(config, GameConfig):
        raise GameError(f"train_game: config must be a GameConfig, got {type(config).__name__}")
    if max_seconds is not None:
        positive_number(max_seconds, "max_seconds", "train_game")
    if data.x_train.shape[0] < config.batch_size:
        raise GameError(f"train_game: batch_size {config.batch_size} exceeds the {data.x_train.shape[0]} training "
                        f"points")
    keys = minibatch.seed_keys(seeds, "train_game")
    started = time.perf_counter()
    model = Model.build(config.architecture, data.dim, data.n_classes)
    first, epoch = _programs(config, model, int(data.x_train.shape[0]), data.lower, data.upper)
    x, y = jnp.asarray(data.x_train), jnp.asarray(data.y_train)
    carry, loss0 = first(keys, x, y)
    losses, stopped = [loss0], None
    for e in range(config.epochs):
        if max_seconds is not None and time.perf_counter() - started > max_seconds:
            stopped = f"max_seconds={max_seconds:g} reached after {e} of {config.epochs} epochs"
            break
        carry, loss = epoch(carry, keys, jnp.asarray(e, jnp.int32), x, y)
        losses.append(loss)
    result = TrainResult(carry.state.params[1], jnp.stack(losses, axis=1), carry.diverged, carry.diverged_at)
    return TrainRun(result, model, len(losses) - 1, stopped is None, stopped, time.perf_counter() - started)
