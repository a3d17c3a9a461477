"""RegretNet: a revenue-maximising auction for several additive bidders, learned against its ex-post regret.

Duetting, Feng, Narasimhan, Parkes and Ravindranath (2019), "Optimal Auctions through Deep Learning", section 4.
``n`` bidders with additive values ``v: [n, m]`` for ``m`` items, every entry independent U[low, high]; bids have
the same shape ``[B, n, m]`` for a batch of ``B`` profiles.

- Allocation network (equinox MLP on the flattened bids): logits ``[n + 1, m]``, a softmax over the bidders and a
  dummy bidder (the item stays unsold) for each item, so ``allocation: [B, n, m]`` is feasible by construction.
- Payment network: ``sigmoid -> [n]`` fractions; bidder ``i`` pays that fraction of the value its *bid* says it
  gets, ``payments[i] = frac_i * sum_j allocation[i, j] * bids[i, j]``, so truthful bidding is individually
  rational by construction.
- Ex-post regret of bidder ``i`` at ``v``: ``max_{v'_i} u_i(v; (v'_i, v_-i)) - u_i(v; v)`` with
  ``u_i(v; b) = v_i . allocation_i(b) - payments_i(b)``; ``rgt_i`` is its mean over ``v``. Misreports are found
  by projected gradient ascent on ``u_i`` (clipped to [low, high]). Training, as Duetting et al., keeps one
  misreport per bidder and training profile (a fixed training set) and improves it by a few ascent steps each time
  its minibatch comes round, so the search continues across steps at little cost per step.
- Training minimises ``-revenue + sum_i lambda_i rgt_i + rho/2 sum_i rgt_i**2`` (augmented Lagrangian) with Adam;
  every ``lagrange_every`` steps ``lambda_i += rho * rgt_i`` and ``rho`` grows by ``rho_growth`` (up to
  ``rho_max``). The misreports are held fixed while the networks take their step (``stop_gradient``).

The *certificate* is never the training estimate: :func:`certify` draws FRESH values (a separate key), and searches
misreports harder than training does: an exhaustive grid (where ``grid_points**m`` is small) plus more random
starts, each refined by more gradient-ascent steps. It reports revenue and every bidder's mean regret with standard
errors over the held-out profiles, and the largest single-profile regret. A regret found by any search is a lower
bound on the true regret; the stronger search makes that bound tight in the settings tested (one item: the grid
misses no better misreport by more than its spacing times the allocation's slope).

State is explicit (:class:`RegretState`); :func:`init` and :func:`update` are pure; :func:`train` scans ``chunk``
steps per compiled call and checks ``max_seconds`` between chunks, then certifies (also counted in ``seconds``).
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

from equilibria.applications.auctions._chunks import run_chunks
from equilibria.core.checks import positive_int, positive_number
from equilibria.core.errors import GameError
from equilibria.dynamics.base import state_dataclass

__all__ = [
    "MYERSON_CONFIG", "Certificate", "Networks", "RegretNetConfig", "RegretNetResult", "RegretState", "certify",
    "init", "myerson_run", "outcome", "train", "update",
]


@dataclass(frozen=True)
class RegretNetConfig:
    """A RegretNet setting and its hyperparameters (hashable: compiled programs are cached per config).

    Attributes:
      n_bidders, n_items: ``n`` and ``m`` (>= 1 each).
      low, high: every value is U[low, high], ``0 <= low < high``.
      hidden, depth: width and number of hidden layers of both networks (tanh).
      train_samples, batch_size: the fixed training set of value profiles and the minibatch per step (the set
        is cycled through in order).
      learning_rate: Adam's initial step size for the networks (cosine decay to a tenth over ``steps``).
      misreport_steps, misreport_lr: training's misreport search: ascent steps per visit of a minibatch, and
        the step size in units of ``high - low``.
      rho, rho_growth, rho_max, lagrange_every: the augmented Lagrangian's penalty, its growth, cap, and how
        many steps between multiplier updates.
      steps, chunk: training steps (the iteration cap) and steps per compiled call.
      eval_samples, eval_inits, eval_steps, grid_points: the certificate's held-out profiles, random starts,
        ascent steps and grid points per item (the grid is used when ``grid_points**m <= 4096``; its best point
        is one more start).
      eval_revenue_samples: held-out profiles for the revenue (forward passes only, so many more).
    """

    n_bidders: int = 2
    n_items: int = 1
    low: float = 0.0
    high: float = 1.0
    hidden: int = 64
    depth: int = 2
    train_samples: int = 2 ** 14
    batch_size: int = 256
    learning_rate: float = 2e-3
    misreport_steps: int = 5
    misreport_lr: float = 0.05
    rho: float = 10.0
    rho_growth: float = 1.2
    rho_max: float = 300.0
    lagrange_every: int = 100
    steps: int = 4000
    chunk: int = 200
    eval_samples: int = 4096
    eval_revenue_samples: int = 2 ** 17
    eval_inits: int = 4
    eval_steps: int = 100
    grid_points: int = 101

    def __post_init__(self) -> None:
        for name in ("n_bidders", "n_items", "hidden", "depth", "train_samples", "batch_size", "misreport_steps",
                     "lagrange_every", "steps", "chunk", "eval_samples", "eval_revenue_samples", "eval_inits",
                     "eval_steps"):
            positive_int(getattr(self, name), name, "RegretNetConfig")
        for name in ("learning_rate", "misreport_lr", "rho", "rho_growth", "rho_max"):
            positive_number(getattr(self, name), name, "RegretNetConfig")
        for name in ("low", "high"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise GameError(f"RegretNetConfig: {name} must be a finite number, got {value!r}")
        if not 0 <= self.low < self.high:
            raise GameError(f"RegretNetConfig: need 0 <= low < high, got low={self.low!r}, high={self.high!r}")
        if self.train_samples % self.batch_size:
            raise GameError(f"RegretNetConfig: train_samples ({self.train_samples}) must be a multiple of "
                            f"batch_size ({self.batch_size})")
        if isinstance(self.grid_points, bool) or not isinstance(self.grid_points, int) or self.grid_points < 0 \
                or self.grid_points == 1:
            raise GameError(f"RegretNetConfig: grid_points must be 0 (no grid) or an integer >= 2, "
                            f"got {self.grid_points!r}")


@dataclass(frozen=True)
class Networks:
    """The static halves (hashable) of the allocation and payment MLPs of a configuration; params are the arrays."""

    config: RegretNetConfig
    allocation_static: Any
    payment_static: Any

    @staticmethod
    def _build(config: RegretNetConfig, key: jax.Array) -> tuple[eqx.nn.MLP, eqx.nn.MLP]:
        a_key, p_key = jax.random.split(key)
        n, m = config.n_bidders, config.n_items
        allocation = eqx.nn.MLP(n * m, (n + 1) * m, config.hidden, config.depth, activation=jnp.tanh, key=a_key)
        payment = eqx.nn.MLP(n * m, n, config.hidden, config.depth, activation=jnp.tanh, key=p_key)
        return allocation, payment

    @classmethod
    def of(cls, config: RegretNetConfig) -> Networks:
        allocation, payment = cls._build(config, jax.random.PRNGKey(0))
        return cls(config, eqx.partition(allocation, eqx.is_array)[1], eqx.partition(payment, eqx.is_array)[1])

    def init(self, key: jax.Array) -> Any:
        allocation, payment = self._build(self.config, key)
        return eqx.partition(allocation, eqx.is_array)[0], eqx.partition(payment, eqx.is_array)[0]

    def apply(self, params: Any, bids: jax.Array) -> tuple[jax.Array, jax.Array]:
        """``(allocation [B, n, m], payments [B, n])`` at ``bids: [B, n, m]``."""
        c = self.config
        allocation_net = eqx.combine(params[0], self.allocation_static)
        payment_net = eqx.combine(params[1], self.payment_static)
        # Inputs centred on the value range: tanh layers start in their linear part whatever [low, high] is.
        x = ((bids - c.low) / (c.high - c.low) - 0.5).reshape(bids.shape[0], -1)
        logits = jax.vmap(allocation_net)(x).reshape(-1, c.n_bidders + 1, c.n_items)
        allocation = jax.nn.softmax(logits, axis=1)[:, :-1, :]
        fraction = jax.nn.sigmoid(jax.vmap(payment_net)(x))
        return allocation, fraction * jnp.sum(allocation * bids, axis=2)


def _utilities(networks: Networks, params: Any, values: jax.Array, bids: jax.Array) -> jax.Array:
    """``[B, n]`` every bidder's utility at true ``values`` when the bids are ``bids`` (both ``[B, n, m]``)."""
    allocation, payments = networks.apply(params, bids)
    return jnp.sum(values * allocation, axis=2) - payments


def _deviation_utilities(networks: Networks, params: Any, values: jax.Array, misreports: jax.Array) -> jax.Array:
    """``[R, B, n]``: bidder ``i``'s utility when it alone bids ``misreports[r, b, i]`` and the others truthfully.

    ``values: [B, n, m]``, ``misreports: [R, B, n, m]``.
    """
    r, b, n, m = misreports.shape
    own = jnp.eye(n, dtype=bool)[None, None, :, :, None]                          # [1, 1, i, n, 1]
    profiles = jnp.where(own, misreports[:, :, :, None, :], values[None, :, None, :, :])   # [R, B, i, n, m]
    flat = profiles.reshape(r * b * n, n, m)
    truth = jnp.broadcast_to(values[None, :, None], profiles.shape).reshape(r * b * n, n, m)
    u = _utilities(networks, params, truth, flat).reshape(r, b, n, n)
    return jnp.diagonal(u, axis1=2, axis2=3)                                        # [R, B, n]: own utility


def _search(networks: Networks, params: Any, values: jax.Array, starts: jax.Array, steps: int,
            lr: float) -> jax.Array:
    """Projected gradient ascent on each deviator's utility from ``starts: [R, B, n, m]``; the final misreports."""
    c = networks.config

    def step(misreports: jax.Array, _: None) -> tuple[jax.Array, None]:
        # Each misreport only moves its own deviator's utility, so the gradient of the sum is every one's own.
        grad = jax.grad(lambda x: jnp.sum(_deviation_utilities(networks, params, values, x)))(misreports)
        return jnp.clip(misreports + lr * (c.high - c.low) * grad, c.low, c.high), None

    misreports, _ = jax.lax.scan(step, starts, None, length=steps)
    return misreports


def _regret(networks: Networks, params: Any, values: jax.Array, misreports: jax.Array) -> jax.Array:
    """``[B, n]`` each profile's regret: the best gain over the misreports, 0 when none gains."""
    gains = _deviation_utilities(networks, params, values, misreports) - _utilities(networks, params, values, values)
    return jnp.maximum(jnp.max(gains, axis=0), 0.0)


@state_dataclass
class RegretState:
    """Training state: network params, Adam state, multipliers ``lambdas [n]``, penalty ``rho []``, ``step []``,
    the training set ``values [N, n, m]`` and each profile's current misreports ``misreports [N, n, m]``."""

    params: Any
    opt_state: Any
    lambdas: jax.Array
    rho: jax.Array
    step: jax.Array
    values: jax.Array
    misreports: jax.Array


def _optimizer(config: RegretNetConfig) -> optax.GradientTransformation:
    # Cosine decay to a tenth: late steps must not undo the small regret the multipliers have bought.
    return optax.adam(optax.cosine_decay_schedule(config.learning_rate, config.steps, alpha=0.1))


def init(networks: Networks, key: jax.Array) -> RegretState:
    """Fresh networks, the training set, and random misreports for it (all from ``key``)."""
    c = networks.config
    net_key, value_key, misreport_key = jax.random.split(key, 3)
    params = networks.init(net_key)
    return RegretState(params, _optimizer(c).init(params), jnp.zeros(c.n_bidders), jnp.asarray(c.rho, jnp.float32),
                       jnp.asarray(0, jnp.int32), _sample(c, value_key, c.train_samples),
                       _sample(c, misreport_key, c.train_samples))


def _sample(config: RegretNetConfig, key: jax.Array, n: int) -> jax.Array:
    return jax.random.uniform(key, (n, config.n_bidders, config.n_items), minval=config.low, maxval=config.high)


def update(networks: Networks, state: RegretState) -> tuple[RegretState, jax.Array]:
    """One step on the next minibatch of the training set: its stored misreports improved by ``misreport_steps``
    of ascent (and stored back: the search goes on where it stopped, as in Duetting et al.), an Adam step on the
    augmented Lagrangian, the multiplier update when due.

    Returns the new state and ``[revenue, mean regret over bidders]`` of the batch (training estimates).
    """
    c = networks.config
    start = (state.step % (c.train_samples // c.batch_size)) * c.batch_size
    values = jax.lax.dynamic_slice_in_dim(state.values, start, c.batch_size)
    stored = jax.lax.dynamic_slice_in_dim(state.misreports, start, c.batch_size)
    searched = _search(networks, state.params, values, stored[None], c.misreport_steps, c.misreport_lr)
    misreports = jax.lax.stop_gradient(searched)

    def loss(params: Any) -> tuple[jax.Array, tuple[jax.Array, jax.Array]]:
        revenue = jnp.mean(jnp.sum(networks.apply(params, values)[1], axis=1))
        regret = jnp.mean(_regret(networks, params, values, misreports), axis=0)           # [n]
        return -revenue + state.lambdas @ regret + 0.5 * state.rho * jnp.sum(regret ** 2), (revenue, regret)

    grads, (revenue, regret) = jax.grad(loss, has_aux=True)(state.params)
    updates, opt_state = _optimizer(c).update(grads, state.opt_state, state.params)
    due = (state.step + 1) % c.lagrange_every == 0
    lambdas = jnp.where(due, state.lambdas + state.rho * regret, state.lambdas)
    rho = jnp.where(due, jnp.minimum(state.rho * c.rho_growth, c.rho_max), state.rho)
    new = RegretState(optax.apply_updates(state.params, updates), opt_state, lambdas, rho, state.step + 1,
                      state.values, jax.lax.dynamic_update_slice_in_dim(state.misreports, misreports[0], start, 0))
    return new, jnp.stack([revenue, jnp.mean(regret)])


@functools.lru_cache(maxsize=16)
def _chunk_runner(networks: Networks, length: int) -> Callable[[RegretState], Any]:
    def run(state: RegretState) -> tuple[RegretState, jax.Array]:
        return jax.lax.scan(lambda s, _: update(networks, s), state, None, length=length)
    return jax.jit(run)


@dataclass(frozen=True)
class Certificate:
    """Revenue and regret of a trained RegretNet on held-out profiles, misreports from the strong search.

    Attributes:
      revenue, revenue_stderr: mean total payment and its standard error (``eval_revenue_samples`` profiles).
      regret: ``[n]`` each bidder's mean ex-post regret (``rgt_i``); regret_stderr: ``[n]``; regret_max: ``[n]``
        the largest over the profiles.
      n_samples: held-out profiles of the regret (the revenue has ``eval_revenue_samples``).
      n_misreports: starts per profile and bidder (grid and random).
    """

    revenue: float
    revenue_stderr: float
    regret: np.ndarray
    regret_stderr: np.ndarray
    regret_max: np.ndarray
    n_samples: int
    n_misreports: int


def _grid_starts(config: RegretNetConfig) -> np.ndarray | None:
    g, m = config.grid_points, config.n_items
    if g == 0 or g ** m > 4096:
        return None
    axis = np.linspace(config.low, config.high, g)
    return np.stack(np.meshgrid(*([axis] * m), indexing="ij"), axis=-1).reshape(-1, m)     # [g**m, m]


@functools.lru_cache(maxsize=16)
def _certifier(networks: Networks) -> Callable[..., Any]:
    c = networks.config

    def run(params: Any, values: jax.Array, starts: jax.Array, grid: jax.Array) -> jax.Array:
        # The grid, forward only: each bidder's best grid point is one more start of the ascent.
        def grid_gain(point: jax.Array) -> jax.Array:                                     # point: [m]
            tiled = jnp.broadcast_to(point, values.shape)[None]
            return _deviation_utilities(networks, params, values, tiled)[0]               # [B, n]
        gains = jax.lax.map(grid_gain, grid)                                              # [G, B, n]
        best = grid[jnp.argmax(gains, axis=0)]                                            # [B, n, m]
        starts = jnp.concatenate([starts, best[None]])
        misreports = _search(networks, params, values, starts, c.eval_steps, c.misreport_lr)
        truthful = _utilities(networks, params, values, values)
        # Keep the grid's own gain too: ascent from its best point may only wander off a kink.
        regret = jnp.maximum(_regret(networks, params, values, misreports),
                             jnp.maximum(jnp.max(gains, axis=0) - truthful, 0.0))
        return regret
    return jax.jit(run)


@functools.lru_cache(maxsize=16)
def _payments(networks: Networks) -> Callable[[Any, jax.Array], jax.Array]:
    return jax.jit(lambda params, values: jnp.sum(networks.apply(params, values)[1], axis=1))


def certify(networks: Networks, params: Any, key: jax.Array, *, batch: int = 256) -> Certificate:
    """Revenue (on ``eval_revenue_samples``) and regret (on ``eval_samples``) of ``params`` at fresh profiles drawn
    with ``key`` (held out from training)."""
    c = networks.config
    value_key, start_key, revenue_key = jax.random.split(key, 3)
    values = _sample(c, value_key, c.eval_samples)
    # Without a grid, one random point stands in for it (the code path stays the same).
    grid = jnp.asarray(_grid_starts(c) if _grid_starts(c) is not None else
                       np.random.default_rng(0).uniform(c.low, c.high, (1, c.n_items)), dtype=values.dtype)
    regrets = []
    for i in range(0, c.eval_samples, batch):
        v = values[i:i + batch]
        starts = jax.random.uniform(jax.random.fold_in(start_key, i), (c.eval_inits,) + v.shape, minval=c.low,
                                    maxval=c.high)
        rgt = _certifier(networks)(params, v, starts, grid)
        regrets.append(np.asarray(rgt, dtype=float))
    rgt_all = np.concatenate(regrets)
    revenue_values = _sample(c, revenue_key, c.eval_revenue_samples)
    apply = _payments(networks)
    pay_all = np.concatenate([np.asarray(apply(params, revenue_values[i:i + 2 ** 14]), dtype=float)
                              for i in range(0, c.eval_revenue_samples, 2 ** 14)])
    return Certificate(float(pay_all.mean()), float(pay_all.std(ddof=1) / math.sqrt(len(pay_all))),
                       rgt_all.mean(axis=0), rgt_all.std(axis=0, ddof=1) / math.sqrt(len(rgt_all)),
                       rgt_all.max(axis=0), len(rgt_all),
                       c.eval_inits + 1 + (0 if _grid_starts(c) is None else len(grid)))


def outcome(networks: Networks, params: Any, bids: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(allocation [B, n, m], payments [B, n])`` (NumPy) of a trained mechanism at ``bids: [B, n, m]``."""
    c = networks.config
    array = np.asarray(bids, dtype=float)
    if array.ndim != 3 or array.shape[1:] != (c.n_bidders, c.n_items):
        raise GameError(f"regret_net.outcome: bids must have shape [B, {c.n_bidders}, {c.n_items}], "
                        f"got {array.shape}")
    if not np.all(np.isfinite(array)):
        raise GameError("regret_net.outcome: bids must be finite (no NaN or infinity)")
    allocation, payments = networks.apply(params, jnp.asarray(array, dtype=jnp.float32))
    return np.asarray(allocation, dtype=float), np.asarray(payments, dtype=float)


@dataclass(frozen=True)
class RegretNetResult:
    """What :func:`train` returns.

    Attributes:
      networks, params: the trained mechanism (apply with :func:`outcome`).
      certificate: revenue and regret on held-out profiles from the strong search (the numbers to report).
      history_steps: ``[C]`` the step after each chunk; history: ``[C, 2]`` that chunk's mean training revenue and
        mean training regret (the weak search's estimate: progress only, never a certificate).
      lambdas, rho: the final multipliers ``[n]`` and penalty.
      steps, seconds: steps run and wall time (certification included).
      completed: all ``config.steps`` ran; stopped_because: why not (one line) or None.
    """

    networks: Networks
    params: Any
    certificate: Certificate
    history_steps: np.ndarray
    history: np.ndarray
    lambdas: np.ndarray
    rho: float
    steps: int
    seconds: float
    completed: bool
    stopped_because: str | None


def train(config: RegretNetConfig = RegretNetConfig(), *, key: jax.Array | int = 0,
          max_seconds: float | None = None) -> RegretNetResult:
    """Train a RegretNet for ``config``; ``key``: a JAX key or an integer seed; ``max_seconds``: wall limit.

    The first chunk always runs (it compiles); certification runs after training, on a key training never used.
    """
    started = time.perf_counter()
    if not isinstance(config, RegretNetConfig):
        raise GameError(f"regret_net.train: config must be a RegretNetConfig, got {type(config).__name__}")
    if max_seconds is not None:
        positive_number(max_seconds, "max_seconds", "regret_net.train")
    if isinstance(key, int) and not isinstance(key, bool):
        key = jax.random.PRNGKey(key)
    networks = Networks.of(config)
    init_key, eval_key = jax.random.split(key)

    def advance(state: Any, length: int) -> tuple[Any, np.ndarray]:
        state, records = _chunk_runner(networks, length)(state)
        return state, np.asarray(jnp.mean(records, axis=0), dtype=float)

    run = run_chunks(init(networks, init_key), advance, config.steps, config.chunk, max_seconds, started)
    state = run.state
    certificate = certify(networks, state.params, eval_key)
    return RegretNetResult(networks, state.params, certificate, np.asarray(run.history_steps),
                           np.asarray(run.records), np.asarray(state.lambdas, dtype=float), float(state.rho),
                           run.steps_done, time.perf_counter() - started, run.stopped_because is None,
                           run.stopped_because)


MYERSON_CONFIG = RegretNetConfig(n_bidders=2, n_items=1, steps=10_000)
"""The full run for one item, two bidders U[0, 1] (Myerson: 5/12 with reserve 1/2): for benchmarks/experiments."""


def myerson_run(*, key: jax.Array | int = 0, max_seconds: float | None = None,
                config: RegretNetConfig = MYERSON_CONFIG) -> RegretNetResult:
    """RegretNet on one item and two U[0, 1] bidders, to be compared with Myerson's 5/12 and zero regret."""
    if config.n_bidders != 2 or config.n_items != 1 or (config.low, config.high) != (0.0, 1.0):
        raise GameError("myerson_run: config must be two bidders, one item, values U[0, 1]")
    return train(config, key=key, max_seconds=max_seconds)
