"""One runner for every learning dynamic: ``jax.lax.scan`` over ``update``, recording every ``k`` steps.

``run(dynamics, game, state, steps=T, record_every=k)`` applies ``dynamics.update`` ``T`` times and returns a
:class:`Trajectory` with ``T // k + 1`` records (step 0, k, 2k, ..., T) of

- the last iterate ``params``;
- the time average of the iterates *played* so far, ``(x_0 + ... + x_{t-1}) / t`` (``x_0`` at step 0): the
  quantity no-regret learning guarantees, and the one that converges where the last iterate cycles;
- with ``joint=True`` (mixed strategies only), the average of the product distributions played, the empirical
  joint play that no-regret learners drive to the set of coarse correlated equilibria;
- any metrics, each a function ``metric(game, params) -> scalar`` evaluated on both the last iterate and the
  average (factories below: distance to a known equilibrium, NashConv, duality gap, gradient norm, projected
  residual).

Divergence is never silent: after each step the new state is checked for NaN or infinity; the first such step
freezes the run at the last finite state and sets ``diverged`` and ``diverged_at``.

The runner is a pure function of arrays, so ``jax.vmap`` over starting states, seeds or (stacked) games batches
whole runs, and ``jax.jit`` compiles it (pass ``dynamics`` and the integers as static arguments). The game is an
argument like any other: a jitted function of the game runs every game of the same shapes without recompiling.
The work of a step that depends on the game alone (slicing each player's payoffs out of the stacked tensor) is
done once, before the loop (:func:`_hoist_invariants`), with the same numbers bit for bit.

Time limit. ``run(..., max_seconds=S)`` runs the same updates in compiled chunks (a loop whose length is an argument,
so one compilation serves every chunk, and every later budgeted run of the same dynamic on games of the same
shapes), reading the clock between chunks: a chunk starts at one step and doubles
while it takes under a fiftieth of ``S``, so no chunk overruns the limit by much; the first chunk's time includes
its compilation. At the limit the run stops and records where it stopped, at step ``k`` (a multiple of
``record_every`` or not): the records before are those of the unbudgeted run, the last one and ``final_state``
those of an unbudgeted run of ``k`` steps, and :func:`steps_run` gives ``k``. The steps are the unbudgeted run's
bit for bit; a metric of the average may differ from it in the last bit (XLA fuses the division into it
differently in the two programs). Such a run is not traced (no ``jax.jit`` or
``jax.vmap`` over it): it reads a clock.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from equilibria.core.errors import GameError
from equilibria.dynamics.base import (
    Dynamics,
    action_values,
    require_simplex_game,
    state_dataclass,
    tree_add,
    tree_scale,
    tree_where,
)
from equilibria.games.differentiable import DifferentiableGame, Params, is_concrete

Metric = Callable[[DifferentiableGame, Params], jax.Array]


@state_dataclass
class Trajectory:
    """What :func:`run` recorded. ``R = steps // record_every + 1`` records.

    Attributes:
      steps: ``[R]`` step index of each record.
      params: the last iterate at each record, shaped like the profile with a leading ``[R]`` axis.
      average: the time average of the played iterates at each record (same shape as ``params``).
      metrics: ``name -> [R]`` metric values of the last iterate.
      average_metrics: ``name -> [R]`` metric values of the average.
      joint_average: ``[*n_actions]`` average product distribution over the whole run (``joint=True``), else None.
      final_state: the dynamic's state after the last step (resume by passing it back to :func:`run`).
      diverged: ``[]`` bool, whether a step produced a non-finite state (the run then stopped there).
      diverged_at: ``[]`` int, the first step whose update was non-finite, or -1.
    """

    steps: jax.Array
    params: Any
    average: Any
    metrics: dict[str, jax.Array]
    average_metrics: dict[str, jax.Array]
    joint_average: jax.Array | None
    final_state: Any
    diverged: jax.Array
    diverged_at: jax.Array


@state_dataclass
class _Carry:
    state: Any
    total: Any  # sum of played iterates
    joint_total: Any
    count: jax.Array
    diverged: jax.Array
    diverged_at: jax.Array


def _check_arguments(dynamics: Any, game: Any, state: Any, steps: Any, record_every: Any,
                     metrics: Mapping[str, Metric]) -> None:
    if not isinstance(dynamics, Dynamics):
        raise GameError(f"run: dynamics must be a Dynamics (init, update) pair, got {type(dynamics).__name__}")
    if not isinstance(game, DifferentiableGame):
        fix = "; for a NormalFormGame pass game.mixed_extension()" if hasattr(game, "mixed_extension") else ""
        raise GameError(f"run: game must be a DifferentiableGame, got {type(game).__name__}{fix}")
    if not hasattr(state, "params") or not hasattr(state, "step"):
        raise GameError(f"run: state must come from dynamics.init (with .params and .step), got "
                        f"{type(state).__name__}")
    for name, value in (("steps", steps), ("record_every", record_every)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise GameError(f"run: {name} must be a positive integer, got {value!r}")
    if steps % record_every:
        raise GameError(f"run: steps ({steps}) must be a multiple of record_every ({record_every})")
    for name, metric in metrics.items():
        if not callable(metric):
            raise GameError(f"run: metric {name!r} must be a function (game, params) -> scalar")
    if is_concrete(state.params):
        game.check_params(state.params, "run: state.params")


def _product_distribution(params: Params) -> jax.Array:
    joint = params[0]
    for s in params[1:]:
        joint = jnp.multiply.outer(joint, s)
    return joint


def run(dynamics: Dynamics, game: DifferentiableGame, state: Any, *, steps: int, record_every: int = 1,
        metrics: Mapping[str, Metric] | None = None, joint: bool = False,
        max_seconds: float | None = None) -> Trajectory:
    """Run ``dynamics`` for ``steps`` updates from ``state`` (from ``dynamics.init``), recording every
    ``record_every`` steps. See the module docstring for what is recorded.

    ``max_seconds``: stop at the last record reached by then (module docstring, "Time limit"); None runs every
    step in one ``jax.lax.scan``.
    """
    metrics = dict(metrics or {})
    _check_arguments(dynamics, game, state, steps, record_every, metrics)
    if max_seconds is not None and (isinstance(max_seconds, bool) or not isinstance(max_seconds, int | float)
                                    or not max_seconds > 0 or not np.isfinite(max_seconds)):
        raise GameError(f"run: max_seconds must be a positive number of seconds, got {max_seconds!r}")
    started = time.perf_counter()
    if joint:
        require_simplex_game(game, "run(joint=True)")

    def measure(params: Params) -> dict[str, jax.Array]:
        return {name: jnp.asarray(metric(game, params)) for name, metric in metrics.items()}

    one_step = functools.partial(_one_step, dynamics, joint)

    def average(carry: _Carry) -> Params:
        safe = jnp.maximum(carry.count, 1)
        mean = tree_scale(1.0 / safe, carry.total)
        return tree_where(carry.count > 0, mean, carry.state.params)

    def one_record(carry: _Carry, _: None) -> tuple[_Carry, tuple[Any, ...]]:
        carry, _ = jax.lax.scan(lambda c, _: (step(c), None), carry, None, length=record_every)
        avg = average(carry)
        return carry, (carry.state.step, carry.state.params, avg, measure(carry.state.params), measure(avg))

    params0 = state.params
    carry0 = _Carry(
        state=state,
        total=jax.tree_util.tree_map(jnp.zeros_like, params0),
        joint_total=jnp.zeros(tuple(jnp.shape(p)[-1] for p in params0)) if joint else jnp.zeros(()),
        count=jnp.zeros((), dtype=jnp.int32),
        diverged=jnp.asarray(False),
        diverged_at=jnp.asarray(-1, dtype=jnp.int32),
    )
    first = (state.step, params0, params0, measure(params0), measure(params0))
    if max_seconds is None:
        step = _hoist_invariants(one_step, game, carry0)
        final, records = jax.lax.scan(one_record, carry0, None, length=steps // record_every)
        step_r, params_r, avg_r, metrics_r, avg_metrics_r = jax.tree_util.tree_map(
            lambda a, b: jnp.concatenate([jnp.asarray(a)[None], b]), first, records)
    else:
        def record(carry: _Carry) -> tuple[Any, ...]:
            avg = average(carry)
            return carry.state.step, carry.state.params, avg, measure(carry.state.params), measure(avg)

        advance = _advance_program(dynamics, joint)
        final, kept = _run_timed(lambda carry, n: advance(game, carry, n), jax.jit(record), carry0,
                                 steps // record_every, record_every, started + max_seconds, max_seconds / 50)
        # Stacked on the host: jnp.stack would compile a program for each number of records a deadline leaves.
        step_r, params_r, avg_r, metrics_r, avg_metrics_r = jax.tree_util.tree_map(
            lambda *leaves: jnp.asarray(np.stack([np.asarray(leaf) for leaf in leaves])), first, *kept)
    joint_average = final.joint_total / jnp.maximum(final.count, 1) if joint else None
    return Trajectory(steps=step_r, params=params_r, average=avg_r, metrics=metrics_r, average_metrics=avg_metrics_r,
                      joint_average=joint_average, final_state=final.state, diverged=final.diverged,
                      diverged_at=final.diverged_at)


def _one_step(dynamics: Dynamics, joint: bool, game: DifferentiableGame, carry: _Carry) -> _Carry:
    """One update inside the runner: the played iterate added to the running totals, a non-finite update frozen
    (the run stops counting there and records where it diverged)."""
    played = carry.state.params
    new_state = dynamics.update(game, carry.state)
    stop = carry.diverged | ~_all_finite(new_state)
    first = stop & ~carry.diverged
    live = ~stop
    total = tree_where(live, tree_add(carry.total, played), carry.total)
    joint_total = carry.joint_total
    if joint:
        joint_total = jnp.where(live, joint_total + _product_distribution(played), joint_total)
    return _Carry(
        state=tree_where(stop, carry.state, new_state),
        total=total,
        joint_total=joint_total,
        count=carry.count + live.astype(carry.count.dtype),
        diverged=stop,
        diverged_at=jnp.where(first, carry.state.step, carry.diverged_at),
    )


def _advance(dynamics: Dynamics, joint: bool, game: DifferentiableGame, carry: _Carry, n: jax.Array) -> _Carry:
    return jax.lax.fori_loop(0, n, lambda _, c: _one_step(dynamics, joint, game, c), carry)


_advance_jit = jax.jit(_advance, static_argnums=(0, 1))


def _advance_program(dynamics: Dynamics, joint: bool) -> Callable[[DifferentiableGame, _Carry, jax.Array], _Carry]:
    """``advance(game, carry, n)``: ``n`` steps, compiled once per dynamic (a static argument of one module-level
    jit, so a second budgeted run of the same dynamic, on any game of the same shapes, reuses the program); a
    dynamic that cannot be hashed (an array among its hyperparameters) gets a program of its own."""
    try:
        hash(dynamics)
    except TypeError:
        return jax.jit(functools.partial(_advance, dynamics, joint))
    return functools.partial(_advance_jit, dynamics, joint)


def _all_finite(tree: Any) -> jax.Array:
    """Whether every float leaf of ``tree`` is finite (integer leaves are skipped): one reduction per dtype over
    the concatenated leaves, where a check leaf by leaf costs the loop a reduction kernel per leaf per step."""
    groups: dict[Any, list[jax.Array]] = {}
    for leaf in jax.tree_util.tree_leaves(tree):
        leaf = jnp.asarray(leaf)
        if jnp.issubdtype(leaf.dtype, jnp.inexact):
            groups.setdefault(leaf.dtype, []).append(jnp.ravel(leaf))
    checks = [jnp.all(jnp.isfinite(jnp.concatenate(leaves))) for leaves in groups.values()]
    return functools.reduce(jnp.logical_and, checks, jnp.asarray(True))


def _hoist_invariants(step: Callable[[DifferentiableGame, Any], Any], game: DifferentiableGame,
                      carry: Any) -> Callable[[Any], Any]:
    """``step(game, carry)`` as a function of ``carry`` alone, with the work that depends only on the game done
    once, here, instead of on every step of the loop (loop-invariant code motion).

    XLA leaves a slice of a loop-invariant array inside a while loop (it deems slices too cheap to hoist), and on
    CPU the slice is a copy: a normal-form learner that takes each player's payoff matrix out of the stacked
    ``[n_players, *n_actions]`` tensor copied every matrix on every step (a third of regret matching's time on a
    50 x 50 game). So ``step`` is traced once to a jaxpr; its top-level operations whose inputs are only the
    game's data, constants and closed-over values (and that have no side effects) are evaluated now; the loop
    replays the rest with their results as inputs. The operations and their order are unchanged, so are the
    numbers. An operation whose output has more elements than the game's largest array stays in the loop
    (hoisted, it would keep a large intermediate alive that XLA might have fused away).
    """
    from jax.extend import core as jex

    game_leaves, game_tree = jax.tree_util.tree_flatten(game)
    carry_leaves, carry_tree = jax.tree_util.tree_flatten(carry)
    n_game = len(game_leaves)

    def flat_step(*leaves: Any) -> list[Any]:
        g = jax.tree_util.tree_unflatten(game_tree, leaves[:n_game])
        return jax.tree_util.tree_leaves(step(g, jax.tree_util.tree_unflatten(carry_tree, leaves[n_game:])))

    closed = jax.make_jaxpr(flat_step)(*game_leaves, *carry_leaves)
    jaxpr = closed.jaxpr
    invariant = {*jaxpr.constvars, *jaxpr.invars[:n_game]}
    limit = max((int(np.size(leaf)) for leaf in game_leaves), default=0)
    hoisted, kept = [], []
    for eqn in jaxpr.eqns:
        movable = (not eqn.effects
                   and all(isinstance(v, jex.Literal) or v in invariant for v in eqn.invars)
                   and all(hasattr(v.aval, "shape") and int(np.prod(v.aval.shape)) <= limit for v in eqn.outvars))
        if movable:
            hoisted.append(eqn)
            invariant.update(eqn.outvars)
        else:
            kept.append(eqn)
    if not hoisted:
        return lambda c: step(game, c)
    needed = [v for e in kept for v in e.invars] + list(jaxpr.outvars)
    residual_vars = list(dict.fromkeys(v for v in needed if not isinstance(v, jex.Literal) and v in invariant))

    def info(part: str, inputs: list[str], n_outputs: int) -> Any:
        return jex.DebugInfo(f"run ({part})", "equilibria.dynamics.run", tuple(inputs),
                             tuple(f"[{i}]" for i in range(n_outputs)))

    game_names = [f"game[{i}]" for i in range(n_game)]
    residual_names = [f"residual[{i}]" for i in range(len(residual_vars))]
    carry_names = [f"carry[{i}]" for i in range(len(carry_leaves))]
    before = jex.Jaxpr(jaxpr.constvars, jaxpr.invars[:n_game], residual_vars, hoisted,
                       debug_info=info("loop invariants", game_names, len(residual_vars)))
    residuals = jex.jaxpr_as_fun(jex.ClosedJaxpr(before, closed.consts))(*game_leaves)
    loop = jex.jaxpr_as_fun(jex.ClosedJaxpr(
        jex.Jaxpr([], [*residual_vars, *jaxpr.invars[n_game:]], jaxpr.outvars, kept, jaxpr.effects,
                  debug_info=info("step", residual_names + carry_names, len(jaxpr.outvars))), []))

    def body(c: Any) -> Any:
        return jax.tree_util.tree_unflatten(carry_tree, loop(*residuals, *jax.tree_util.tree_leaves(c)))

    return body


def _run_timed(advance: Callable[[_Carry, jax.Array], _Carry], record: Callable[[_Carry], tuple[Any, ...]],
               carry: _Carry, n_records: int, record_every: int, deadline: float,
               target: float) -> tuple[_Carry, list[tuple[Any, ...]]]:
    """Records until ``deadline`` (``time.perf_counter``): ``advance(carry, n)`` makes ``n`` steps, a chunk grows
    from one step by doubling while it takes under ``target`` seconds. Returns the last carry and the records (at
    the deadline, the steps made since the last record are recorded too)."""
    kept: list[tuple[Any, ...]] = []
    chunk = 1
    for _ in range(n_records):
        current, done = carry, 0
        while done < record_every:
            if time.perf_counter() >= deadline:
                if done:  # the steps made since the last record: a last, shorter record
                    kept.append(jax.block_until_ready(record(current)))
                    return current, kept
                return carry, kept
            n = min(chunk, record_every - done)
            tick = time.perf_counter()
            current = advance(current, jnp.asarray(n, dtype=jnp.int32))
            jax.block_until_ready(current)
            if time.perf_counter() - tick < target / 2:
                chunk *= 2
            done += n
        carry = current
        kept.append(jax.block_until_ready(record(carry)))
    return carry, kept


def record_interval(steps: int, max_records: int) -> int:
    """The smallest divisor of ``steps`` that keeps the number of records at most ``max_records`` (:func:`run`
    records every ``k`` steps, ``k`` dividing ``steps``); divisors are found in ``O(sqrt(steps))``."""
    lower = max(1, -(-steps // max_records))
    return min(d for k in range(1, math.isqrt(steps) + 1) if steps % k == 0 for d in (k, steps // k) if d >= lower)


def steps_run(trajectory: Trajectory) -> int:
    """How many steps ``trajectory``'s state advanced: all that were asked, or fewer when ``max_seconds`` stopped
    the run or a step overflowed (``diverged``: the state is frozen there)."""
    steps = np.asarray(trajectory.steps)
    return int(steps[-1] - steps[0])


# -- metric factories ------------------------------------------------------------------------------------------
def distance_to(target: Params) -> Metric:
    """Euclidean distance of the flat profile to ``target`` (a known equilibrium)."""
    flat_target, _ = ravel_pytree(tuple(target))

    def metric(game: DifferentiableGame, params: Params) -> jax.Array:
        flat, _ = ravel_pytree(tuple(params))
        return jnp.linalg.norm(flat - flat_target)

    return metric


def nash_conv(game: DifferentiableGame, params: Params) -> jax.Array:
    """Sum over players of the best pure deviation's gain (mixed strategies only): 0 exactly at a Nash equilibrium."""
    values = action_values(game, params)
    return sum((jnp.max(v) - jnp.vdot(v, x) for v, x in zip(values, params, strict=True)), jnp.zeros(()))


def duality_gap(game: DifferentiableGame, params: Params) -> jax.Array:
    """``max_y f(x, y) - min_x f(x, y)`` of a two-player zero-sum game over mixed strategies.

    In a zero-sum game this equals :func:`nash_conv` (the two players' deviation gains add up to the gap).
    """
    if game.n_players != 2:
        raise GameError(f"duality_gap: needs a two-player game, got {game.n_players} players")
    return nash_conv(game, params)


def gradient_norm(game: DifferentiableGame, params: Params) -> jax.Array:
    """``||xi(params)||``: zero at a stationary point of an unconstrained game."""
    flat, _ = ravel_pytree(game.gradient(params))
    return jnp.linalg.norm(flat)


def projected_residual(game: DifferentiableGame, params: Params) -> jax.Array:
    """``||params - project(params - xi)||``: zero exactly at a first-order stationary point of a constrained game."""
    params = tuple(params)
    stepped = game.project(jax.tree_util.tree_map(jnp.subtract, params, game.gradient(params)))
    flat, _ = ravel_pytree(jax.tree_util.tree_map(jnp.subtract, params, stepped))
    return jnp.linalg.norm(flat)


STANDARD_METRICS: dict[str, Metric] = {"gradient_norm": gradient_norm, "projected_residual": projected_residual}
