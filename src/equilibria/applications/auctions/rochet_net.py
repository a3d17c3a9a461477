"""RochetNet: the revenue-optimal menu of lotteries for one additive bidder, learned by gradient ascent.

Duetting, Feng, Narasimhan, Parkes and Ravindranath (2019), "Optimal Auctions through Deep Learning", section 3.
One bidder with additive values ``v: [m]`` for ``m`` items, independent U[low, high]. The mechanism is a menu of
``K`` lotteries (:class:`~equilibria.applications.auctions.menus.Menu`): entry ``k`` has allocation
``sigmoid(logits[k]): [m]`` and price ``prices[k]``, plus the zero option. The bidder takes the entry of largest
utility, so the mechanism is incentive compatible and individually rational *by construction* (Rochet 1987: any
menu is; the bidder's utility is a max of affine functions of ``v``, convex, its gradient the allocation).

Training maximises the expected price paid with a *soft* choice: ``softmax(utilities / temperature)`` over the
entries and the zero option (the argmax has no useful gradient); the evaluation uses the hard choice (ties to the
higher price, :func:`~equilibria.applications.auctions.menus.menu_choice`) on fresh samples, so the reported
revenue is that of the IC mechanism actually returned, never the soft training objective.

State is explicit (:class:`RochetState`: parameters, optax Adam state, step); :func:`init` and :func:`update` are
pure; :func:`train` runs ``lax.scan`` over ``chunk`` steps at a time (one compiled call each) and checks
``max_seconds`` between chunks, so it never hangs: stopped early it returns the menu it has (``completed=False``
and ``stopped_because`` say so). Keys are explicit: step ``t`` draws its batch with ``fold_in(key, t)``.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from equilibria.applications.auctions._chunks import run_chunks
from equilibria.applications.auctions.menus import Menu, menu_outcome
from equilibria.core.checks import positive_int, positive_number
from equilibria.core.errors import GameError
from equilibria.dynamics.base import state_dataclass

__all__ = ["RochetNetConfig", "RochetNetResult", "RochetState", "evaluate", "init", "train", "update"]


@dataclass(frozen=True)
class RochetNetConfig:
    """One RochetNet setting and its training hyperparameters (hashable: compiled programs are cached per config).

    Attributes:
      n_items: ``m``, the number of items (>= 1).
      low, high: every item's value is U[low, high], ``0 <= low < high``.
      menu_size: ``K``, the number of menu entries besides the zero option.
      batch_size: values sampled per step.
      learning_rate: Adam's initial step size (cosine decay to a tenth of it over ``steps``).
      temperature: the soft choice's temperature (utilities are divided by it); smaller is closer to the argmax.
      steps: training steps (the iteration cap).
      chunk: steps per compiled ``lax.scan`` call (``max_seconds`` is checked between chunks).
      eval_samples: fresh samples for the reported revenue.
    """

    n_items: int = 2
    low: float = 0.0
    high: float = 1.0
    menu_size: int = 32
    batch_size: int = 2 ** 11
    learning_rate: float = 2e-2
    temperature: float = 1e-2
    steps: int = 2000
    chunk: int = 250
    eval_samples: int = 2 ** 19

    def __post_init__(self) -> None:
        for name in ("n_items", "menu_size", "batch_size", "steps", "chunk", "eval_samples"):
            positive_int(getattr(self, name), name, "RochetNetConfig")
        for name in ("learning_rate", "temperature"):
            positive_number(getattr(self, name), name, "RochetNetConfig")
        for name in ("low", "high"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise GameError(f"RochetNetConfig: {name} must be a finite number, got {value!r}")
        if not 0 <= self.low < self.high:
            raise GameError(f"RochetNetConfig: need 0 <= low < high, got low={self.low!r}, high={self.high!r}")


@state_dataclass
class RochetState:
    """Training state: ``params = (logits [K, m], prices [K])``, Adam's state, the step count ``[]``."""

    params: Any
    opt_state: Any
    step: jax.Array


def _optimizer(config: RochetNetConfig) -> optax.GradientTransformation:
    # Cosine decay to a tenth: large early steps sort the entries out, small late ones settle the prices.
    return optax.adam(optax.cosine_decay_schedule(config.learning_rate, config.steps, alpha=0.1))


def init(config: RochetNetConfig, key: jax.Array) -> RochetState:
    """Random logits (N(0, 1)) and prices spread over what a bundle of everything could fetch."""
    logit_key, price_key = jax.random.split(key)
    logits = jax.random.normal(logit_key, (config.menu_size, config.n_items))
    prices = jax.random.uniform(price_key, (config.menu_size,), minval=0.0, maxval=config.n_items * config.high)
    params = (logits, prices)
    return RochetState(params, _optimizer(config).init(params), jnp.asarray(0, dtype=jnp.int32))


def _sample(config: RochetNetConfig, key: jax.Array, n: int) -> jax.Array:
    return jax.random.uniform(key, (n, config.n_items), minval=config.low, maxval=config.high)


def soft_revenue(config: RochetNetConfig, params: Any, values: jax.Array) -> jax.Array:
    """The training objective ``[]``: mean price under ``softmax(utility / temperature)`` at ``values: [B, m]``."""
    logits, prices = params
    utility = values @ jax.nn.sigmoid(logits).T - prices                           # [B, K]
    utility = jnp.concatenate([utility, jnp.zeros((values.shape[0], 1))], axis=1)   # the zero option
    weights = jax.nn.softmax(utility / config.temperature, axis=1)
    return jnp.mean(weights[:, :-1] @ prices)


def update(config: RochetNetConfig, state: RochetState, key: jax.Array) -> tuple[RochetState, jax.Array]:
    """One Adam step on ``-soft_revenue`` over a fresh batch (``fold_in(key, step)``); also the batch's revenue."""
    values = _sample(config, jax.random.fold_in(key, state.step), config.batch_size)
    revenue, grads = jax.value_and_grad(lambda p: soft_revenue(config, p, values))(state.params)
    updates, opt_state = _optimizer(config).update(jax.tree_util.tree_map(jnp.negative, grads), state.opt_state,
                                                   state.params)
    return RochetState(optax.apply_updates(state.params, updates), opt_state, state.step + 1), revenue


@functools.lru_cache(maxsize=32)
def _chunk_runner(config: RochetNetConfig, length: int) -> Callable[[RochetState, jax.Array], Any]:
    def run(state: RochetState, key: jax.Array) -> tuple[RochetState, jax.Array]:
        def body(s: RochetState, _: None) -> tuple[RochetState, jax.Array]:
            return update(config, s, key)
        return jax.lax.scan(body, state, None, length=length)
    return jax.jit(run)


def menu_of(params: Any) -> Menu:
    """The :class:`Menu` (NumPy) of parameters ``(logits, prices)``."""
    logits, prices = params
    return Menu(np.asarray(jax.nn.sigmoid(logits), dtype=float), np.asarray(prices, dtype=float))


def evaluate(menu: Menu, values: Any, *, batch: int = 2 ** 16) -> tuple[float, float]:
    """``(mean, standard error)`` of the hard-choice revenue of ``menu`` at ``values: [N, m]`` (NumPy, in batches)."""
    values = np.asarray(values, dtype=float)
    payments = np.concatenate([menu_outcome(menu, values[i:i + batch])[1] for i in range(0, len(values), batch)])
    return float(payments.mean()), float(payments.std(ddof=1) / math.sqrt(len(payments)))


@dataclass(frozen=True)
class RochetNetResult:
    """What :func:`train` returns.

    Attributes:
      menu: the learned menu (NumPy; entries never taken included); IC and IR by construction.
      revenue, revenue_stderr: hard-choice revenue on ``eval_samples`` fresh values, with its standard error.
      history_steps: ``[C]`` the step after each chunk; history_revenue: ``[C]`` the chunk's mean soft revenue.
      steps, seconds: training steps run and wall time (evaluation included).
      completed: all ``config.steps`` ran; stopped_because: why not (one line) or None.
      config: the configuration.
    """

    menu: Menu
    revenue: float
    revenue_stderr: float
    history_steps: np.ndarray
    history_revenue: np.ndarray
    steps: int
    seconds: float
    completed: bool
    stopped_because: str | None
    config: RochetNetConfig


def train(config: RochetNetConfig = RochetNetConfig(), *, key: jax.Array | int = 0,
          max_seconds: float | None = None) -> RochetNetResult:
    """Learn a menu for ``config``'s setting; ``key``: a JAX key or an integer seed; ``max_seconds``: wall limit.

    The first chunk always runs (it compiles); later chunks run while time is left.
    """
    started = time.perf_counter()
    if not isinstance(config, RochetNetConfig):
        raise GameError(f"rochet_net.train: config must be a RochetNetConfig, got {type(config).__name__}")
    if max_seconds is not None:
        positive_number(max_seconds, "max_seconds", "rochet_net.train")
    if isinstance(key, int) and not isinstance(key, bool):
        key = jax.random.PRNGKey(key)
    init_key, train_key, eval_key = jax.random.split(key, 3)

    def advance(state: RochetState, length: int) -> tuple[RochetState, float]:
        state, revenues = _chunk_runner(config, length)(state, train_key)
        return state, float(jnp.mean(revenues))

    run = run_chunks(init(config, init_key), advance, config.steps, config.chunk, max_seconds, started)
    menu = menu_of(run.state.params)
    revenue, stderr = evaluate(menu, np.asarray(_sample(config, eval_key, config.eval_samples), dtype=float))
    return RochetNetResult(menu, revenue, stderr, np.asarray(run.history_steps), np.asarray(run.records),
                           run.steps_done, time.perf_counter() - started, run.stopped_because is None,
                           run.stopped_because, config)
