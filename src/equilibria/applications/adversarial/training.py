"""The learner's side: standard, FGSM, PGD (Madry) and TRADES training as pure ``init``/``update`` pairs.

Adversarial training is the zero-sum game ``min_theta E[max_{x' in B(x)} loss(f_theta(x'), y)]`` with ``B(x)`` the
eps-ball intersected with the input box (:mod:`~equilibria.applications.adversarial.attacks`). The methods differ in
how hard the attacker's inner maximisation is played before each learner step:

- ``"standard"``: no attacker (``eps`` ignored): empirical risk on clean inputs.
- ``"fgsm"``: one signed step of ``1.25 eps`` from a uniform random start in the ball, projected (Wong, Rice and
  Kolter 2020, "Fast is better than free").
- ``"pgd"``: ``attack_steps`` projected steps of ``attack_step_size`` (default ``2.5 eps / attack_steps``) from a
  random start (Madry et al. 2018); the learner descends the loss at the last iterate.
- ``"trades"``: ``CE(f(x), y) + beta KL(p(x) || p(x'))`` with ``x'`` maximising the KL by PGD from ``x`` plus
  ``0.001`` Gaussian noise (Zhang et al. 2019); ``beta`` trades clean accuracy for robustness.

A :class:`Trainer` is ``init(key) -> TrainState`` and ``update(state, x: [B, d], y: [B], key) -> TrainState`` (one
optax step of the learner on one minibatch; ``key`` draws the attacker's random start). :func:`train` runs them
through the shared minibatch loop (:mod:`equilibria.dynamics.minibatch`): epochs of ``n // batch_size`` steps, each
epoch a fresh permutation from ``fold_in(key, epoch)`` (:func:`epoch_order`; the last partial batch dropped), seeds
``jax.vmap``-ed as one program, one compiled call per epoch and ``max_seconds`` checked between epochs.

Seeds: seed ``s`` gives ``PRNGKey(s)``, split into the initialisation, the batch stream and the attack stream.
"""

from __future__ import annotations

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
from equilibria.core.checks import positive_int, positive_number
from equilibria.core.errors import GameError
from equilibria.dynamics import minibatch
from equilibria.dynamics.base import state_dataclass

METHODS = ("standard", "fgsm", "pgd", "trades")
OPTIMIZERS = ("adam", "sgd")


@dataclass(frozen=True)
class TrainConfig:
    """One training configuration (hashable: compiled programs are cached per configuration).

    Attributes:
      method: one of :data:`METHODS`.
      architecture: the learner's network.
      eps, norm: the attacker's ball (``"linf"`` or ``"l2"``), in the data's units.
      epochs, batch_size: training length; learning_rate, optimizer: the learner's optax step (``adam``/``sgd``).
      attack_steps: PGD and TRADES inner steps; attack_step_size: their step (None: ``2.5 eps / attack_steps``).
      beta: TRADES's weight on the robustness term.
    """

    method: str = "pgd"
    architecture: Architecture = Architecture()
    eps: float = 0.1
    norm: str = "linf"
    epochs: int = 10
    batch_size: int = 64
    learning_rate: float = 1e-3
    optimizer: str = "adam"
    attack_steps: int = 7
    attack_step_size: float | None = None
    beta: float = 6.0

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise GameError(f"TrainConfig: unknown method {self.method!r}; known: {', '.join(METHODS)}")
        if self.optimizer not in OPTIMIZERS:
            raise GameError(f"TrainConfig: unknown optimizer {self.optimizer!r}; known: {', '.join(OPTIMIZERS)}")
        if not isinstance(self.architecture, Architecture):
            raise GameError(f"TrainConfig: architecture must be an Architecture, got "
                            f"{type(self.architecture).__name__}")
        attacks.check_settings(self.eps, self.norm, self.attack_step_size, "TrainConfig", "attack_step_size")
        for name in ("epochs", "batch_size", "attack_steps"):
            positive_int(getattr(self, name), name, "TrainConfig")
        positive_number(self.learning_rate, "learning_rate", "TrainConfig")
        positive_number(self.beta, "beta", "TrainConfig")

    @property
    def step_size(self) -> float:
        return attacks.madry_step_size(self.eps, self.attack_steps, self.attack_step_size)


@state_dataclass
class TrainState:
    """The learner's state: network ``params``, the optax state, the step count (int32)."""

    params: Any
    opt_state: Any
    step: jax.Array


class Trainer(NamedTuple):
    """``init(key) -> TrainState`` and ``update(state, x: [B, d], y: [B], key) -> TrainState`` (pure)."""

    init: Callable[[jax.Array], TrainState]
    update: Callable[[TrainState, jax.Array, jax.Array, jax.Array], TrainState]


def learner_optimizer(config: TrainConfig) -> optax.GradientTransformation:
    return optax.adam(config.learning_rate) if config.optimizer == "adam" else optax.sgd(config.learning_rate)


def _kl(p_logits: jax.Array, q_logits: jax.Array) -> jax.Array:
    """``[n]``: ``KL(softmax(p) || softmax(q))`` per row."""
    log_p, log_q = jax.nn.log_softmax(p_logits), jax.nn.log_softmax(q_logits)
    return (jnp.exp(log_p) * (log_p - log_q)).sum(-1)


def adversarial_loss(config: TrainConfig, model: Model, lower: float, upper: float, params: Any, x: jax.Array,
                     y: jax.Array, key: jax.Array) -> jax.Array:
    """The learner's minibatch loss after the attacker's move (the attacked points carry no gradient)."""
    logits_fn = functools.partial(model.logits, jax.lax.stop_gradient(params))
    if config.method == "standard":
        return cross_entropy(model.batch_logits(params, x), y).mean()
    if config.method == "trades":
        clean_logits = jax.lax.stop_gradient(model.batch_logits(params, x))
        start = attacks.project(x + 0.001 * jax.random.normal(key, x.shape), x, config.eps, config.norm, lower, upper)

        def kl_sum(x_adv: jax.Array) -> jax.Array:
            return _kl(clean_logits, jax.vmap(logits_fn)(x_adv)).sum()

        x_adv = jax.lax.stop_gradient(attacks.ascend(kl_sum, x, start, eps=config.eps, norm=config.norm,
                                                     steps=config.attack_steps, step_size=config.step_size,
                                                     lower=lower, upper=upper))
        logits = model.batch_logits(params, x)
        return (cross_entropy(logits, y) + config.beta * _kl(logits, model.batch_logits(params, x_adv))).mean()
    start = attacks.random_start(key, x, config.eps, config.norm, lower, upper)
    steps, size = (1, 1.25 * config.eps) if config.method == "fgsm" else (config.attack_steps, config.step_size)
    x_adv = attacks.ascend(attacks.batch_cross_entropy(logits_fn, y), x, start, eps=config.eps, norm=config.norm,
                           steps=steps, step_size=size, lower=lower, upper=upper)
    return cross_entropy(model.batch_logits(params, jax.lax.stop_gradient(x_adv)), y).mean()


def trainer(config: TrainConfig, model: Model, lower: float = -math.inf, upper: float = math.inf) -> Trainer:
    """The configuration's ``init``/``update`` pair for ``model`` on inputs in the box ``[lower, upper]``."""
    optimizer = learner_optimizer(config)
    loss = functools.partial(adversarial_loss, config, model, float(lower), float(upper))

    def init(key: jax.Array) -> TrainState:
        params = model.init(key)
        return TrainState(params, optimizer.init(params), jnp.zeros((), jnp.int32))

    def update(state: TrainState, x: jax.Array, y: jax.Array, key: jax.Array) -> TrainState:
        grads = jax.grad(loss)(state.params, x, y, key)
        updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
        return TrainState(optax.apply_updates(state.params, updates), opt_state, state.step + 1)

    return Trainer(init, update)


def epoch_order(stream_key: jax.Array, epoch_index: jax.Array, n: int) -> jax.Array:
    """``[n]``: epoch ``epoch_index``'s permutation of the training points, from ``fold_in(stream_key, epoch)``;
    step ``t`` of the epoch takes the slice ``[t * batch_size, (t + 1) * batch_size)`` (the last partial batch is
    dropped)."""
    return jax.random.permutation(minibatch.step_key(stream_key, epoch_index), n)


@state_dataclass
class TrainResult:
    """A training run; with several seeds every array field has a leading ``[S]`` axis.

    Attributes:
      params: the final network parameters (the last finite ones if a seed diverged).
      losses: ``[epochs_run + 1]`` the clean cross-entropy on the first (up to) 512 training points, before
        training and after each epoch (:func:`clean_loss`).
      diverged, diverged_at: the divergence flags of :mod:`equilibria.dynamics.minibatch`.
    """

    params: Any
    losses: jax.Array
    diverged: jax.Array
    diverged_at: jax.Array


class TrainRun(NamedTuple):
    """:func:`train`'s answer: ``result`` (seed axis first), the ``model``, ``epochs_run``, ``completed``,
    ``stopped_because`` (None when completed) and wall ``seconds``."""

    result: TrainResult
    model: Model
    epochs_run: int
    completed: bool
    stopped_because: str | None
    seconds: float


@functools.lru_cache(maxsize=32)
def _programs(config: TrainConfig, model: Model, n: int, lower: float, upper: float) -> tuple[Callable[..., Any], ...]:
    pair = trainer(config, model, lower, upper)
    per_epoch = n // config.batch_size

    def start(key: jax.Array, x: jax.Array, y: jax.Array) -> tuple[minibatch.LoopCarry, jax.Array]:
        state = pair.init(jax.random.split(key, 3)[0])
        return minibatch.start(state), clean_loss(model, state.params, x, y)

    def epoch(carry: minibatch.LoopCarry, key: jax.Array, epoch_index: jax.Array, x: jax.Array,
              y: jax.Array) -> tuple[minibatch.LoopCarry, jax.Array]:
        _, stream_key, attack_key = jax.random.split(key, 3)
        order = epoch_order(stream_key, epoch_index, n)

        def update(state: TrainState, t: jax.Array) -> TrainState:
            idx = jax.lax.dynamic_slice(order, ((t % per_epoch) * config.batch_size,), (config.batch_size,))
            return pair.update(state, x[idx], y[idx], minibatch.step_key(attack_key, t))

        carry = minibatch.scan_steps(update, carry, epoch_index * per_epoch, per_epoch)
        return carry, clean_loss(model, carry.state.params, x, y)

    return (jax.jit(jax.vmap(start, in_axes=(0, None, None))),
            jax.jit(jax.vmap(epoch, in_axes=(0, 0, None, None, None))))


def clean_loss(model: Model, params: Any, x: jax.Array, y: jax.Array) -> jax.Array:
    """The mean clean cross-entropy on the first (up to) 512 training points: the record of a run."""
    return cross_entropy(model.batch_logits(params, x[:512]), y[:512]).mean()


def train(config: TrainConfig, data: Dataset, seeds: Sequence[int], *, max_seconds: float | None = None) -> TrainRun:
    """Train ``config`` on ``data``'s training split for every seed (one ``vmap``-ed program, one call per epoch).

    With ``max_seconds`` the run stops between epochs once the budget is spent and says so (``completed`` False,
    ``stopped_because``); the parameters are those of the last finished epoch.
    """
    if not isinstance(config, TrainConfig):
        raise GameError(f"train: config must be a TrainConfig, got {type(config).__name__}")
    if max_seconds is not None:
        positive_number(max_seconds, "max_seconds", "train")
    if data.x_train.shape[0] < config.batch_size:
        raise GameError(f"train: batch_size {config.batch_size} exceeds the {data.x_train.shape[0]} training points")
    keys = minibatch.seed_keys(seeds, "train")
    started = time.perf_counter()
    model = Model.build(config.architecture, data.dim, data.n_classes)
    first, epoch = _programs(config, model, int(data.x_train.shape[0]), data.lower, data.upper)
    x, y = jnp.asarray(data.x_train), jnp.asarray(data.y_train)
    carry, loss0 = first(keys, x, y)
    losses = [loss0]
    stopped = None
    for e in range(config.epochs):
        if max_seconds is not None and time.perf_counter() - started > max_seconds:
            stopped = f"max_seconds={max_seconds:g} reached after {e} of {config.epochs} epochs"
            break
        carry, loss = epoch(carry, keys, jnp.asarray(e, jnp.int32), x, y)
        losses.append(loss)
    result = TrainResult(carry.state.params, jnp.stack(losses, axis=1), carry.diverged, carry.diverged_at)
    return TrainRun(result, model, len(losses) - 1, stopped is None, stopped, time.perf_counter() - started)


def seed_params(result: TrainResult, seed_index: int) -> Any:
    """One seed's parameters out of a batched :class:`TrainResult`."""
    return jax.tree_util.tree_map(lambda a: a[seed_index], result.params)
