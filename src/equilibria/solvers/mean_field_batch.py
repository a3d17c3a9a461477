"""Mean-field solvers batched: one jitted, vmapped call runs a method on many hyperparameter settings and/or game
parameters at once (a sweep of 100 learning rates or infection rates is one compiled program).

Each batch entry runs the method's ``init``/``update`` pair (:mod:`equilibria.solvers._mean_field`'s ``Method``
table, the same functions the ``*_solve`` functions iterate) for a fixed number of iterations under ``lax.scan``,
recording :func:`equilibria.metrics.mean_field.exploitability_jax` after every update; entries are ``vmap``-ped.
Runs in float64. There is no time limit inside the call (it is one program): size the batch and the iterations.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from equilibria.core.errors import GameError
from equilibria.games.mean_field import MeanFieldGame
from equilibria.solvers._mean_field import Method, as_float64, check_game, load_method

Array = Any


class BatchResult(NamedTuple):
    """What :func:`solve_batch` returns: ``exploitabilities`` ``[B, iterations]`` (after each iteration) and the
    final ``policies`` ``[B, T, S, A]`` (NumPy float64)."""

    exploitabilities: np.ndarray
    policies: np.ndarray


@functools.cache
def _batch_fn() -> Any:
    import jax

    from equilibria.metrics.mean_field import exploitability_jax

    def run_batch(method: Method, iterations: int, game: MeanFieldGame, batched_params: Mapping[str, Array],
                  hyper: Mapping[str, Array]) -> tuple[Array, Array]:
        leaves, aux = game.tree_flatten()

        def one(params: Mapping[str, Array], h: Mapping[str, Array]) -> tuple[Array, Array]:
            # The game with this batch entry's parameters, rebuilt without validation (the leaves are tracers).
            g = MeanFieldGame.tree_unflatten(aux, (leaves[0], {**leaves[1], **params}))
            state = method.init(g, h)

            def body(current: Any, _: Any) -> tuple[Any, Array]:
                current = method.update(g, current, h)
                return current, exploitability_jax(g, method.policy(current))

            state, curve = jax.lax.scan(body, state, None, length=iterations)
            return curve, method.policy(state)

        out: tuple[Array, Array] = jax.vmap(one)(batched_params, hyper)
        return out

    return jax.jit(run_batch, static_argnums=(0, 1))


def solve_batch(game: MeanFieldGame, method: str, hyperparameters: Mapping[str, Any] | None = None,
                iterations: int = 100, *, game_params: Mapping[str, Any] | None = None) -> BatchResult:
    """Run ``method`` for ``iterations`` iterations on ``B`` settings at once: one jitted, vmapped call (float64).

    Args:
      game: the mean-field game.
      method: a method's name, as ``solve`` spells it (``"fictitious_play"``, ``"online_mirror_descent"``,
        ``"fixed_point"``, ``"boltzmann_iteration"``, ``"boltzmann_iteration_regularised"``, ``"prior_descent"``,
        ``"prior_descent_regularised"``, ``"mean_field_control"``).
      hyperparameters: name -> ``[B]`` array (or a scalar, shared by the batch); names as the method's solver
        takes them (``learning_rate``, ``temperature``, ``damping``, ...); the others keep their defaults. A
        fictitious play ``learning_rate`` of 0 means Perrin et al.'s ``1 / (k + 2)``.
      iterations: updates per run (no time limit: the call is one compiled program).
      game_params: name -> ``[B, *shape]`` array of the game's own parameters (``game.params``), vmapped.

    Returns:
      :class:`BatchResult`: ``exploitabilities`` ``[B, iterations]`` (each from
      :func:`equilibria.metrics.mean_field.exploitability_jax` after each update) and ``policies``
      ``[B, T, S, A]``.
    """
    import jax
    import jax.numpy as jnp

    caller = "solve_batch"
    game = check_game(game, caller)
    spec = load_method(method)
    if isinstance(iterations, bool) or not isinstance(iterations, (int, np.integer)) or iterations < 1:
        raise GameError(f"{caller}: iterations must be a positive integer, got {iterations!r}")
    hyperparameters = dict(hyperparameters or {})
    game_params = dict(game_params or {})
    defaults = dict(spec.defaults)
    unknown = sorted(set(hyperparameters) - set(defaults))
    if unknown:
        raise GameError(f"{caller}: {method} has no hyperparameter {unknown[0]!r} "
                        f"(it takes: {', '.join(defaults) or 'none'})")
    unknown = sorted(set(game_params) - set(game.params))
    if unknown:
        raise GameError(f"{caller}: {game.name or 'the game'} has no parameter {unknown[0]!r} "
                        f"(parameters: {', '.join(sorted(game.params)) or 'none'})")
    for name, value in game_params.items():
        if np.ndim(value) != np.ndim(game.params[name]) + 1:
            raise GameError(f"{caller}: game_params[{name!r}] must have a leading batch axis over the parameter's "
                            f"shape {list(np.shape(game.params[name]))}, got shape {list(np.shape(value))}")
    sizes = {int(np.shape(v)[0]) for v in (*hyperparameters.values(), *game_params.values()) if np.ndim(v) >= 1}
    if len(sizes) > 1:
        raise GameError(f"{caller}: the batched arrays disagree on the batch size: {sorted(sizes)}")
    if not sizes:
        raise GameError(f"{caller}: nothing to batch: give a [B] array in hyperparameters or game_params")
    batch = sizes.pop()
    with jax.enable_x64(True):
        game64 = as_float64(game)
        hyper = {}
        for name, default in spec.defaults:
            value = jnp.asarray(hyperparameters.get(name, default), jnp.float64)
            if value.ndim > 1 or (value.ndim == 1 and value.shape[0] != batch):
                raise GameError(f"{caller}: hyperparameters[{name!r}] must be a scalar or a [B] array, "
                                f"got shape {list(value.shape)}")
            hyper[name] = jnp.broadcast_to(value, (batch,))
        # floating parameters in float64 like the rest of the run; integer ones (index tables) keep their type
        batched = {name: jnp.asarray(value, jnp.float64 if jnp.issubdtype(jnp.asarray(game.params[name]).dtype,
                                                                          jnp.floating) else None)
                   for name, value in game_params.items()}
        curves, policies = _batch_fn()(spec, int(iterations), game64, batched, hyper)
        return BatchResult(np.asarray(curves, dtype=np.float64), np.asarray(policies, dtype=np.float64))


__all__ = ["BatchResult", "solve_batch"]
