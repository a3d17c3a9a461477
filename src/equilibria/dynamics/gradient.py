"""Gradient dynamics for differentiable games: gradient descent-ascent and its fixes.

Every player follows a *direction* built from the simultaneous gradient ``xi`` (see
:mod:`equilibria.games.differentiable`), turned into a step by a per-player base optimizer and projected onto
the player's constraint set:

    params_i <- project_i(params_i + base_optimizer(direction_i))

The base optimizer is any optax ``GradientTransformation`` (plain ``optax.sgd(learning_rate)`` by default), so
Adam-GDA or momentum-GDA are the same code with a different optimizer. Simultaneous updates move every player
from the same point; alternating (Gauss-Seidel) updates move player 0 first and let each later player see the
earlier players' new parameters.

Methods (``eta`` the learning rate; linear rates for ``f = sigma * x * y`` with ``a = eta * sigma`` in
:mod:`equilibria.dynamics.analysis`):

- :func:`gda`: ``direction = -xi`` (simultaneous or alternating).
"""

from __future__ import annotations

from typing import Any

import jax
import optax

from equilibria.core.errors import GameError
from equilibria.dynamics.base import Dynamics, check_learning_rate, initial_step, state_dataclass
from equilibria.games.differentiable import DifferentiableGame, Params, _replace


@state_dataclass
class OptimizerState:
    """Current iterate, step count and one optax state per player."""

    params: Params
    step: jax.Array
    optimizer_states: tuple[Any, ...]


def _base_optimizer(learning_rate: float | None, optimizer: optax.GradientTransformation | None,
                    caller: str) -> optax.GradientTransformation:
    if optimizer is not None:
        if learning_rate is not None:
            raise GameError(f"{caller}: give either learning_rate or optimizer, not both (the optimizer carries "
                            f"its own learning rate)")
        if not isinstance(optimizer, optax.GradientTransformation):
            raise GameError(f"{caller}: optimizer must be an optax GradientTransformation, got "
                            f"{type(optimizer).__name__}")
        return optimizer
    if learning_rate is None:
        raise GameError(f"{caller}: learning_rate is required (or pass an optax optimizer)")
    return optax.sgd(check_learning_rate(learning_rate, caller))


def _player_step(game: DifferentiableGame, optimizer: optax.GradientTransformation, player: int, params: Params,
                 gradient: Any, optimizer_state: Any) -> tuple[Any, Any]:
    """One base-optimizer step of ``player`` along ``-gradient`` (optax minimises), then projection."""
    updates, optimizer_state = optimizer.update(gradient, optimizer_state, params[player])
    moved = optax.apply_updates(params[player], updates)
    constraint = game.constraints[player]
    return jax.tree_util.tree_map(constraint.project, moved), optimizer_state


def gda(learning_rate: float | None = None, *, alternating: bool = False,
        optimizer: optax.GradientTransformation | None = None) -> Dynamics:
    """Gradient descent-ascent: every player descends its own loss, ``params_i -= eta * xi_i``.

    Args:
      learning_rate: ``eta`` of the default base optimizer ``optax.sgd``.
      alternating: Gauss-Seidel order (player 0 moves first, later players see the new parameters).
      optimizer: any optax transformation used as every player's base step instead of plain SGD.
    """
    base = _base_optimizer(learning_rate, optimizer, "gda")

    def init(game: DifferentiableGame, params: Params, *, key: jax.Array | None = None) -> OptimizerState:
        params = tuple(params)
        return OptimizerState(params, initial_step(), tuple(base.init(p) for p in params))

    def update(game: DifferentiableGame, state: OptimizerState) -> OptimizerState:
        params, opt_states = state.params, list(state.optimizer_states)
        xi = game.gradient(params) if not alternating else None
        moved = params
        for i in range(game.n_players):
            gradient = xi[i] if xi is not None else game.player_gradient(moved, i)
            new_i, opt_states[i] = _player_step(game, base, i, moved if alternating else params, gradient,
                                                opt_states[i])
            moved = _replace(moved, i, new_i)
        return OptimizerState(moved, state.step + 1, tuple(opt_states))

    hyper = (("learning_rate", learning_rate), ("alternating", alternating),
             ("optimizer", "custom" if optimizer is not None else "sgd"))
    return Dynamics(init, update, "alternating_gda" if alternating else "gda", hyper)

