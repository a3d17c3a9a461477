"""Running a multi-agent learner in a stochastic game, batched over seeds, with exact exploitability checkpoints.

:func:`run_learner` is the one loop every :class:`~equilibria.applications.marl.base.Learner` runs in:

- ``seeds`` independent streams (``jax.vmap``), each with its own key, learner state and episode: seed ``k`` uses
  ``jax.random.fold_in(key, k)`` (split again into the initialisation, the first state and the step stream), so a
  run is reproducible from ``key`` alone and seed ``k`` draws the same stream whatever ``seeds`` is.
- Each step is ``act -> step -> update -> continue_from`` (the protocol's order), one fresh key per step; the steps
  between two checkpoints are one ``lax.scan`` inside one ``jax.jit`` (compiled once per learner recipe, game shape,
  seed count and chunk length: at most two chunk lengths per run).
- At each checkpoint the learner's ``policy`` of every seed is brought to NumPy (float64, renormalised over the
  available actions: float32 rows sum to 1 within ~1e-7) and judged exactly, never by the learner's own numbers:
  :func:`equilibria.metrics.stochastic.exploitability` and the values from the initial distribution,
  ``profile_values(...) @ game.initial``.
- ``max_seconds`` is checked between chunks: a run past it stops there and returns what it measured
  (``completed=False``, ``stopped_because="max_seconds"``); it never hangs inside a chunk longer than one chunk's
  time (choose more ``checkpoints`` for finer stopping).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from equilibria.applications.marl.base import Learner, MarkovEnv, continue_from, env, reset, step
from equilibria.core.errors import GameError
from equilibria.games.stochastic import StationaryProfile, StochasticGame
from equilibria.metrics.stochastic import exploitability, profile_values


@dataclass(frozen=True, eq=False)
class MARLRun:
    """A learner's run, measured at checkpoints (module docstring).

    Attributes:
      game: the stochastic game.
      learner: the learner's name; hyperparameters: its ``(name, value)`` pairs.
      seeds: how many independent streams ran.
      steps: ``int64 [n_checkpoints]``, steps per seed done at each checkpoint.
      exploitability: ``[n_seeds, n_checkpoints]``, the exact exploitability of each seed's ``policy``.
      values: ``[n_seeds, n_checkpoints, n_players]``, each player's value of that profile from ``game.initial``
        (discounted, not normalised).
      policies: per player ``[n_seeds, n_states, max_actions[i]]``, the final ``policy`` of every seed (float64).
      state: the final learner states, batched over seeds (JAX arrays), to continue or inspect.
      seconds: wall time, compilation and evaluation included.
      completed: every step ran; stopped_because: ``None``, or ``"max_seconds"`` when the time budget cut it short.
      tolerance: the exploitability asked for (``None``: none asked); converged: ``None`` without a tolerance, else
        whether every seed's last exploitability is within it.
    """

    game: StochasticGame
    learner: str
    hyperparameters: tuple[tuple[str, Any], ...]
    seeds: int
    steps: np.ndarray
    exploitability: np.ndarray
    values: np.ndarray
    policies: tuple[np.ndarray, ...]
    state: Any
    seconds: float
    completed: bool
    stopped_because: str | None
    tolerance: float | None
    converged: bool | None

    def profile(self, seed: int = 0) -> StationaryProfile:
        """Seed ``seed``'s final profile: one ``[n_states, max_actions[i]]`` array per player."""
        return tuple(policy[seed] for policy in self.policies)

    @property
    def final_exploitability(self) -> np.ndarray:
        """``[n_seeds]``: the last checkpoint's exploitability per seed."""
        return self.exploitability[:, -1]


def _start(environment: MarkovEnv, keys: jax.Array, learner: Learner) -> tuple[Any, jax.Array, jax.Array]:
    """Every seed's ``(learner state, first state, step-stream key)`` from its key (``keys: [n_seeds, ...]``)."""

    def one(key: jax.Array) -> tuple[Any, jax.Array, jax.Array]:
        k_init, k_reset, k_stream = jax.random.split(key, 3)
        return learner.init(environment, k_init), reset(environment, k_reset), k_stream

    return jax.vmap(one)(keys)


def _advance(environment: MarkovEnv, carry: tuple[Any, jax.Array, jax.Array], learner: Learner,
             length: int) -> tuple[Any, jax.Array, jax.Array]:
    """``length`` steps of every seed: ``act -> step -> update -> continue_from``."""

    def body(inner: tuple[Any, jax.Array, jax.Array], _: None) -> tuple[tuple[Any, jax.Array, jax.Array], None]:
        state, s, key = inner
        key, k_act, k_step, k_reset = jax.random.split(key, 4)
        actions = learner.act(environment, state, s, k_act)
        transition = step(environment, s, actions, k_step)
        state = learner.update(environment, state, transition)
        return (state, continue_from(environment, transition, k_reset), key), None

    def one(state: Any, s: jax.Array, key: jax.Array) -> tuple[Any, jax.Array, jax.Array]:
        out, _ = jax.lax.scan(body, (state, s, key), None, length=length)
        return out

    return jax.vmap(one)(*carry)


# The two compiled pieces, public for callers that time or drive the loop themselves (benchmarks/marl.py):
# ``start_streams(environment, keys, learner)`` and ``advance_streams(environment, carry, learner, length)``.
start_streams = jax.jit(_start, static_argnames=("learner",))
advance_streams = jax.jit(_advance, static_argnames=("learner", "length"))


def seed_keys(key: jax.Array, seeds: int) -> jax.Array:
    """``[seeds]`` keys, seed ``k``'s being ``fold_in(key, k)`` (the same stream whatever ``seeds`` is)."""
    return jax.vmap(jax.random.fold_in, in_axes=(None, 0))(key, jnp.arange(seeds, dtype=jnp.uint32))


@functools.partial(jax.jit, static_argnames=("learner",))
def _policies(environment: MarkovEnv, states: Any, learner: Learner) -> tuple[jax.Array, ...]:
    return jax.vmap(lambda state: learner.policy(environment, state))(states)


def _to_profiles(game: StochasticGame, batched: Sequence[Any]) -> tuple[np.ndarray, ...]:
    """float64 copies, zero on padding, rows renormalised (float32 rounding)."""
    out = []
    for i, policy in enumerate(batched):
        array = np.asarray(policy, dtype=np.float64)
        available = np.arange(game.max_actions[i])[None, :] < game.n_actions[:, i][:, None]
        array = np.where(available[None], np.clip(array, 0.0, None), 0.0)
        out.append(array / array.sum(axis=-1, keepdims=True))
    return tuple(out)


def as_profile(game: StochasticGame, profile: Sequence[Any]) -> StationaryProfile:
    """One learner profile (float32 JAX or NumPy rows) as float64 NumPy rows, zero on padding, renormalised."""
    return tuple(p[0] for p in _to_profiles(game, tuple(np.asarray(p)[None] for p in profile)))


def evaluate(game: StochasticGame, profile: Sequence[Any]) -> tuple[float, np.ndarray]:
    """The exact exploitability of ``profile`` (renormalised by :func:`as_profile`) and each player's value from
    ``game.initial`` (``[n_players]``)."""
    checked = game.check_policy(as_profile(game, profile), "run_learner(policy)")
    return (exploitability(game, checked, checked=True),
            profile_values(game, checked, checked=True) @ game.initial)


def _checked_count(name: str, value: Any, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or int(value) < low:
        raise GameError(f"{name}: expected an integer >= {low}, got {value!r}")
    return int(value)


def _chunks(steps: int, checkpoints: int) -> list[int]:
    """``checkpoints`` chunk lengths summing to ``steps``, as equal as possible (at most two distinct lengths)."""
    base, extra = divmod(steps, checkpoints)
    return [base + 1] * extra + [base] * (checkpoints - extra)


def run_learner(game: StochasticGame, learner: Learner, *, steps: int, seeds: int = 1,
                key: jax.Array | int | None = None, checkpoints: int = 10, max_seconds: float | None = None,
                tolerance: float | None = None, progress: Callable[[int, int], None] | None = None) -> MARLRun:
    """Run ``learner`` for ``steps`` steps on each of ``seeds`` streams (module docstring), measuring the exact
    exploitability of its ``policy`` at ``checkpoints`` evenly spaced checkpoints (the last one at ``steps``).

    ``key``: a JAX key, an int seed, or ``None`` (``PRNGKey(0)``). ``progress(done, steps)`` is called after each
    checkpoint. ``tolerance``: report ``converged`` as every seed's final exploitability ``<= tolerance``.
    """
    if not isinstance(game, StochasticGame):
        raise GameError(f"run_learner(game): expected a StochasticGame, got {type(game).__name__}")
    if not isinstance(learner, Learner):
        raise GameError(f"run_learner(learner): expected a Learner, got {type(learner).__name__}")
    steps = _checked_count("run_learner(steps)", steps)
    seeds = _checked_count("run_learner(seeds)", seeds)
    checkpoints = _checked_count("run_learner(checkpoints)", checkpoints)
    if checkpoints > steps:
        raise GameError(f"run_learner(checkpoints): at most steps = {steps} checkpoints, got {checkpoints}")
    if max_seconds is not None and (isinstance(max_seconds, bool) or not isinstance(max_seconds, int | float)
                                    or not max_seconds > 0):
        raise GameError(f"run_learner(max_seconds): expected a positive number or None, got {max_seconds!r}")
    if tolerance is not None and (isinstance(tolerance, bool) or not isinstance(tolerance, int | float)
                                  or not tolerance >= 0):
        raise GameError(f"run_learner(tolerance): expected a number >= 0 or None, got {tolerance!r}")
    if key is None:
        key = jax.random.PRNGKey(0)
    elif isinstance(key, int | np.integer) and not isinstance(key, bool):
        key = jax.random.PRNGKey(int(key))
    elif not isinstance(key, jax.Array):
        raise GameError(f"run_learner(key): expected a JAX key, an int or None, got {type(key).__name__}")

    started = time.perf_counter()
    environment = env(game)
    carry = start_streams(environment, seed_keys(key, seeds), learner)
    done = 0
    marks: list[int] = []
    gaps: list[list[float]] = []
    values: list[list[np.ndarray]] = []
    stopped_because: str | None = None
    batched: tuple[jax.Array, ...] = ()
    for length in _chunks(steps, checkpoints):
        if max_seconds is not None and marks and time.perf_counter() - started >= max_seconds:
            stopped_because = "max_seconds"
            break
        carry = advance_streams(environment, carry, learner, length)
        done += length
        batched = _policies(environment, carry[0], learner)
        profiles = _to_profiles(game, batched)
        measured = [evaluate(game, tuple(p[k] for p in profiles)) for k in range(seeds)]
        marks.append(done)
        gaps.append([m[0] for m in measured])
        values.append([m[1] for m in measured])
        if progress is not None:
            progress(done, steps)
    final = _to_profiles(game, batched)
    exploit = np.array(gaps, dtype=np.float64).T  # [n_seeds, n_checkpoints]
    converged = None if tolerance is None else bool(np.all(exploit[:, -1] <= tolerance))
    return MARLRun(game, learner.name, learner.hyperparameters, seeds, np.array(marks, dtype=np.int64), exploit,
                   np.array(values, dtype=np.float64).transpose(1, 0, 2), final, carry[0],
                   time.perf_counter() - started, stopped_because is None, stopped_because,
                   None if tolerance is None else float(tolerance), converged)


__all__ = ["MARLRun", "advance_streams", "as_profile", "evaluate", "run_learner", "seed_keys", "start_streams"]
