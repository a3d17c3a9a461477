"""The minibatch training loop shared by the applications: per-step batches, a divergence freeze, chunked records.

:func:`equilibria.dynamics.run.run` scans *fixed* games; ML training changes the game at every step (a fresh
minibatch, so a fresh ``data``). The loop here is its minibatch twin. Conventions:

- ``update(state, t) -> state``: one training step at step index ``t`` (an int32 scalar). The caller draws that
  step's minibatch inside ``update`` from an explicit key, ``jax.random.fold_in(stream_key, t)`` (:func:`step_key`),
  so a run is a pure function of its keys and a resumed or chunked run sees the same batches.
- Divergence: the first step whose new state is not finite (any leaf NaN or infinite) freezes the run at its last
  finite state and records that step (``diverged``, ``diverged_at``); under ``jax.vmap`` over seeds, other seeds
  of the same batch go on.
- Records: ``observe(state, t) -> record`` (any pytree) is called at ``t = 0`` and after every ``record_every``
  steps; :func:`run_minibatch` stacks them with a leading ``[R + 1]`` axis. :func:`scan_steps` runs one chunk of
  steps for callers that loop over compiled chunks themselves (to check a ``max_seconds`` budget between them).

Everything is pure JAX: the functions run inside ``jax.jit``, ``jax.vmap`` and ``jax.lax.scan``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from equilibria.core.errors import GameError
from equilibria.dynamics.base import state_dataclass, tree_all_finite, tree_where

Update = Callable[[Any, jax.Array], Any]
Observe = Callable[[Any, jax.Array], Any]


@state_dataclass
class LoopCarry:
    """The loop's state: the training ``state`` and the divergence flags (``diverged: []`` bool,
    ``diverged_at: []`` int32, -1 while finite)."""

    state: Any
    diverged: jax.Array
    diverged_at: jax.Array


@state_dataclass
class LoopResult:
    """What :func:`run_minibatch` returns: the final ``state``, ``records`` (the ``observe`` pytree with a leading
    ``[R + 1]`` axis: step 0, then every ``record_every`` steps) and the divergence flags."""

    state: Any
    records: Any
    diverged: jax.Array
    diverged_at: jax.Array


def step_key(stream_key: jax.Array, t: jax.Array) -> jax.Array:
    """The key of step ``t``'s minibatch: ``fold_in(stream_key, t)`` (the same batch however the run is chunked)."""
    return jax.random.fold_in(stream_key, t)


def start(state: Any) -> LoopCarry:
    """The carry at a run's start (finite, not diverged)."""
    return LoopCarry(state, jnp.asarray(False), jnp.asarray(-1, dtype=jnp.int32))


def guarded_step(update: Update, carry: LoopCarry, t: jax.Array) -> LoopCarry:
    """One step of ``update`` with the divergence freeze: a non-finite new state keeps the last finite one."""
    new_state = update(carry.state, t)
    stop = carry.diverged | ~tree_all_finite(new_state)
    first = stop & ~carry.diverged
    return LoopCarry(tree_where(stop, carry.state, new_state), stop, jnp.where(first, t, carry.diverged_at))


def scan_steps(update: Update, carry: LoopCarry, first_step: jax.Array | int, n_steps: int) -> LoopCarry:
    """Steps ``first_step, ..., first_step + n_steps - 1`` of ``update`` (guarded) in one ``lax.scan``."""

    def body(c: LoopCarry, t: jax.Array) -> tuple[LoopCarry, None]:
        return guarded_step(update, c, t), None

    steps = jnp.asarray(first_step, dtype=jnp.int32) + jnp.arange(n_steps, dtype=jnp.int32)
    carry, _ = jax.lax.scan(body, carry, steps)
    return carry


def run_minibatch(update: Update, observe: Observe, state: Any, *, steps: int, record_every: int) -> LoopResult:
    """``steps`` guarded steps of ``update`` from ``state``, observed at 0 and every ``record_every`` steps.

    ``steps`` must be a multiple of ``record_every`` (the caller validates its configuration; both are static).
    """
    carry = start(state)
    first_record = observe(carry.state, jnp.asarray(0, dtype=jnp.int32))

    def record(c: LoopCarry, r: jax.Array) -> tuple[LoopCarry, Any]:
        begin = r * record_every
        c = scan_steps(update, c, begin, record_every)
        return c, observe(c.state, begin + record_every)

    carry, records = jax.lax.scan(record, carry, jnp.arange(steps // record_every, dtype=jnp.int32))
    stacked = jax.tree_util.tree_map(lambda a, b: jnp.concatenate([a[None], b]), first_record, records)
    return LoopResult(carry.state, stacked, carry.diverged, carry.diverged_at)


def seed_keys(seeds: Sequence[int], caller: str) -> jax.Array:
    """``[S, 2]`` keys ``PRNGKey(s)`` for a list of non-negative integer seeds (a batch of runs ``jax.vmap``-ed over
    its leading axis), or a one-line GameError naming ``caller``."""
    seeds = list(seeds)
    if not seeds:
        raise GameError(f"{caller}: seeds is empty")
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, int | np.integer) or s < 0:
            raise GameError(f"{caller}: seeds must be non-negative integers, got {s!r}")
    return jnp.stack([jax.random.PRNGKey(int(s)) for s in seeds])
