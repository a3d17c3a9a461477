"""Training GANs through the dynamics engine: one ``lax.scan`` loop for every method, ``vmap`` over seeds.

A step samples a fresh minibatch with an explicit key (``fold_in(key, t)``), builds that step's game by replacing
the GAN game's ``data`` (:func:`~equilibria.applications.gan.losses.gan_game`), and applies the chosen method's
``Dynamics.update`` (:mod:`equilibria.dynamics.gradient`) on top of a per-player base optimizer (Adam or SGD; each
player keeps its own optimizer state, both use the same hyperparameters). :func:`equilibria.dynamics.run.run`
scans *fixed* games; the loop here is its minibatch twin, :func:`equilibria.dynamics.minibatch.run_minibatch` (shared
with the other training applications), with the same divergence rule: the first step whose new state is not finite
freezes that seed at its last finite state and records the step (``diverged``, ``diverged_at``); other seeds of the
same batch go on.

Methods (:data:`METHODS`): simultaneous and alternating GDA, optimistic GDA, extragradient, consensus optimisation
(``gamma``), symplectic gradient adjustment (``lam``, with alignment) and competitive gradient descent (its step is
the method, so it takes ``optimizer="sgd"`` only; conjugate gradients capped at ``cgd_iterations`` per step).

Seeds: seed ``s`` gives the key ``PRNGKey(s)``, split into the initialisation, the minibatch stream and the
evaluation latents; :func:`train` runs a list of seeds as one ``jax.vmap``-ed program and gives the same numbers
as one seed at a time (:func:`train_one`) up to rounding (batched matrix products round differently). GAN
training is chaotic: over thousands of steps those rounding differences grow until single runs differ visibly,
so compare seeds statistically, not bit for bit.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import optax

from equilibria.applications.gan.data import dataset
from equilibria.applications.gan.losses import check_loss, gan_game, sample_batch
from equilibria.applications.gan.players import Architecture, Players
from equilibria.core.errors import GameError
from equilibria.dynamics import gradient, minibatch
from equilibria.dynamics.base import Dynamics, state_dataclass

METHODS = ("gda", "alternating_gda", "optimistic_gda", "extragradient", "consensus", "sga", "cgd")
OPTIMIZERS = ("adam", "sgd")


@dataclass(frozen=True)
class TrainConfig:
    """One training configuration (hashable: the compiled program is cached per configuration).

    Attributes:
      dataset: ``"ring"`` or ``"grid"`` (:mod:`~equilibria.applications.gan.data`).
      method: one of :data:`METHODS`.
      loss: ``"minimax"``, ``"non_saturating"`` or ``"wgan_gp"``.
      optimizer: ``"adam"`` or ``"sgd"``, every player's base step.
      learning_rate, beta1, beta2: the base optimizer's hyperparameters (betas: Adam only).
      steps, record_every: training steps; generator samples and losses are recorded every ``record_every``.
      batch_size: real samples (and latents) per step.
      architecture: the MLP sizes.
      gamma: consensus optimisation's weight; lam: SGA's adjustment; cgd_iterations: CG cap per CGD step.
      eval_samples: generator samples drawn at the end for the metrics; snapshot_samples: per record (figures).
    """

    dataset: str = "ring"
    method: str = "gda"
    loss: str = "non_saturating"
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    beta1: float = 0.5
    beta2: float = 0.999
    steps: int = 20_000
    record_every: int = 5_000
    batch_size: int = 128
    architecture: Architecture = Architecture()
    gamma: float = 1.0
    lam: float = 1.0
    cgd_iterations: int = 10
    eval_samples: int = 2_500
    snapshot_samples: int = 512

    def __post_init__(self) -> None:
        dataset(self.dataset)
        check_loss(self.loss, "TrainConfig")
        if self.method not in METHODS:
            raise GameError(f"TrainConfig: unknown method {self.method!r}; known: {', '.join(METHODS)}")
        if self.optimizer not in OPTIMIZERS:
            raise GameError(f"TrainConfig: unknown optimizer {self.optimizer!r}; known: {', '.join(OPTIMIZERS)}")
        if self.method == "cgd" and self.optimizer != "sgd":
            raise GameError("TrainConfig: method 'cgd' takes its own step (no base optimizer); use optimizer='sgd'")
        for name in ("steps", "record_every", "batch_size", "cgd_iterations", "eval_samples", "snapshot_samples"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise GameError(f"TrainConfig: {name} must be a positive integer, got {value!r}")
        if self.steps % self.record_every:
            raise GameError(f"TrainConfig: steps ({self.steps}) must be a multiple of record_every "
                            f"({self.record_every})")
        if not isinstance(self.architecture, Architecture):
            raise GameError(f"TrainConfig: architecture must be an Architecture, got "
                            f"{type(self.architecture).__name__}")


def base_optimizer(config: TrainConfig) -> optax.GradientTransformation:
    if config.optimizer == "adam":
        return optax.adam(config.learning_rate, b1=config.beta1, b2=config.beta2)
    return optax.sgd(config.learning_rate)


def build_dynamics(config: TrainConfig) -> Dynamics:
    """The configuration's method on top of its base optimizer."""
    base = base_optimizer(config)
    builders: dict[str, Callable[[], Dynamics]] = {
        "gda": lambda: gradient.gda(optimizer=base),
        "alternating_gda": lambda: gradient.gda(alternating=True, optimizer=base),
        "optimistic_gda": lambda: gradient.optimistic_gda(optimizer=base),
        "extragradient": lambda: gradient.extragradient(optimizer=base),
        "consensus": lambda: gradient.consensus(gamma=config.gamma, optimizer=base),
        "sga": lambda: gradient.sga(lam=config.lam, optimizer=base),
        "cgd": lambda: gradient.cgd(config.learning_rate, maxiter=config.cgd_iterations),
    }
    return builders[config.method]()


@state_dataclass
class TrainResult:
    """What a training run produced; with :func:`train`, every field has a leading ``[S]`` seed axis.

    Attributes:
      params: the final ``(generator, discriminator)`` parameters (the last finite ones if the seed diverged).
      samples: ``[eval_samples, 2]`` generator samples at the end (fresh latents).
      record_steps: ``[R]`` steps of the records (``0, record_every, ..., steps``).
      snapshots: ``[R, snapshot_samples, 2]`` generator samples at each record (one fixed set of latents).
      losses: ``[R, 2]`` the players' losses at each record, on a fresh minibatch.
      diverged: ``[]`` whether a step produced non-finite parameters or optimizer state.
      diverged_at: ``[]`` the first such step, or -1.
    """

    params: Any
    samples: jax.Array
    record_steps: jax.Array
    snapshots: jax.Array
    losses: jax.Array
    diverged: jax.Array
    diverged_at: jax.Array


def _run_one(config: TrainConfig, players: Players, key: jax.Array) -> TrainResult:
    """One seed's run (pure; ``jax.vmap`` over ``key`` batches seeds)."""
    mixture = dataset(config.dataset)
    dynamics = build_dynamics(config)
    init_key, stream_key, eval_key, snapshot_key, record_key = jax.random.split(key, 5)
    template = gan_game(players, config.loss, sample_batch(players, mixture, stream_key, config.batch_size))
    snapshot_latent = players.latent(snapshot_key, config.snapshot_samples)

    def update(state: Any, t: jax.Array) -> Any:
        batch = sample_batch(players, mixture, minibatch.step_key(stream_key, t), config.batch_size)
        return dynamics.update(dataclasses.replace(template, data=batch), state)

    def observe(state: Any, t: jax.Array) -> tuple[jax.Array, jax.Array]:
        batch = sample_batch(players, mixture, minibatch.step_key(record_key, t), config.batch_size)
        losses = dataclasses.replace(template, data=batch).losses(state.params)
        return players.generate(state.params[0], snapshot_latent), losses

    state = dynamics.init(template, players.init(init_key))
    run = minibatch.run_minibatch(update, observe, state, steps=config.steps, record_every=config.record_every)
    snapshots, losses = run.records
    final_latent = players.latent(eval_key, config.eval_samples)
    return TrainResult(
        params=run.state.params,
        samples=players.generate(run.state.params[0], final_latent),
        record_steps=jnp.arange(config.steps // config.record_every + 1, dtype=jnp.int32) * config.record_every,
        snapshots=snapshots,
        losses=losses,
        diverged=run.diverged,
        diverged_at=run.diverged_at,
    )


@functools.lru_cache(maxsize=64)
def _compiled(config: TrainConfig, batched: bool) -> Callable[[jax.Array], TrainResult]:
    # the static halves of the networks are built here, outside the trace
    one = functools.partial(_run_one, config, Players.from_architecture(config.architecture))
    return jax.jit(jax.vmap(one) if batched else one)


def train(config: TrainConfig, seeds: Sequence[int]) -> TrainResult:
    """Train one configuration for every seed in ``seeds`` as one ``vmap``-ed, compiled program."""
    if not isinstance(config, TrainConfig):
        raise GameError(f"train: config must be a TrainConfig, got {type(config).__name__}")
    return _compiled(config, True)(minibatch.seed_keys(seeds, "train"))


def train_one(config: TrainConfig, seed: int) -> TrainResult:
    """One seed's run, compiled on its own (no seed axis); :func:`train` batches the same code."""
    if not isinstance(config, TrainConfig):
        raise GameError(f"train_one: config must be a TrainConfig, got {type(config).__name__}")
    return _compiled(config, False)(minibatch.seed_keys([seed], "train_one")[0])
