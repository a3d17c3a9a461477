"""Differentiable games: n players, each minimising its own smooth loss over its own parameters.

Conventions (written once, here):

- **Losses, as ML states them.** Player ``i`` chooses parameters ``params[i]`` (any pytree of float arrays: a
  scalar, a vector, a neural network's weights) from its constraint set ``constraints[i]`` and *minimises* its
  loss ``loss_i(params)``. A game is one function ``loss_fn(data, params) -> losses: [n_players]`` of a data
  pytree (the game's own numbers: a payoff matrix, a dataset) and the joint profile ``params`` (a tuple with one
  pytree per player). Games written with *utilities* to maximise (normal-form games, economics) come in through
  :meth:`DifferentiableGame.from_utilities`, the one place where ``loss = -utility``. A two-player zero-sum game
  ``min_x max_y f(x, y)`` is :meth:`DifferentiableGame.zero_sum`: losses ``(f, -f)``.
- **The simultaneous gradient** (Balduzzi et al. 2018, "The mechanics of n-player differentiable games") is
  ``xi(params) = (grad_{params[0]} loss_0, ..., grad_{params[n-1]} loss_{n-1})``, a pytree shaped like
  ``params``; every gradient dynamic follows ``-xi``. Its Jacobian ``J = d xi / d params`` (the *game
  Jacobian*) splits into a symmetric part ``S = (J + J^T) / 2`` (the potential component) and an antisymmetric
  part ``A = (J - J^T) / 2`` (the Hamiltonian component, the source of cycling). Dense matrices act on the
  flat vector ``ravel_pytree(params)`` (player 0's leaves first); for players with many parameters use the
  matrix-free :meth:`~DifferentiableGame.jvp` and :meth:`~DifferentiableGame.vjp` instead.
- **Constraints.** ``constraints[i]`` is a set from :mod:`equilibria.core.sets` applied to every leaf of
  ``params[i]`` by :meth:`~DifferentiableGame.project` (``Simplex`` for mixed strategies, ``Reals`` when
  unconstrained).
- **Batching.** A game is an immutable JAX pytree whose only leaves are ``data``; ``loss_fn``, the constraints
  and the name are static. Batches of games are one game with a stacked ``data`` (:func:`stack_games`), mapped
  over with ``jax.vmap``.

All methods are pure JAX functions of ``params`` and can be used inside ``jax.jit``, ``jax.vmap`` and
``jax.lax.scan``. :meth:`~DifferentiableGame.check_params` validates a profile outside those transformations.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from equilibria.core.errors import GameError
from equilibria.core.sets import Ball, Box, Reals, Simplex

Params = tuple[Any, ...]
LossFn = Callable[[Any, Params], jax.Array]
ConstraintSet = Reals | Simplex | Box | Ball


def is_concrete(tree: Any) -> bool:
    """Whether no leaf of ``tree`` is a JAX tracer (validation that reads values only runs on concrete inputs)."""
    return not any(isinstance(x, jax.core.Tracer) for x in jax.tree_util.tree_leaves(tree))


def _replace(params: Params, player: int, value: Any) -> Params:
    return params[:player] + (value,) + params[player + 1:]


@jax.tree_util.register_pytree_node_class
@dataclass(frozen=True, eq=False)
class DifferentiableGame:
    """An n-player game of per-player losses (see the module docstring for the conventions).

    Args:
      loss_fn: ``loss_fn(data, params) -> [n_players]``, player ``i``'s loss at the joint profile ``params``.
      data: a pytree of arrays the losses depend on (the game's numbers); the game's only pytree leaves.
      constraints: one constraint set per player (``Reals()`` when unconstrained).
      name: a label used in reports.
    """

    loss_fn: LossFn
    data: Any
    constraints: tuple[ConstraintSet, ...]
    name: str = ""
    _validated: bool = field(default=True, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self._validated:  # pytree unflattening inside jax transformations
            return
        if not callable(self.loss_fn):
            raise GameError(f"DifferentiableGame.loss_fn: expected a function (data, params) -> losses, "
                            f"got {type(self.loss_fn).__name__}")
        constraints = tuple(self.constraints)
        if not constraints:
            raise GameError("DifferentiableGame.constraints: a game needs at least one player (one constraint set "
                            "per player; use Reals() for an unconstrained player)")
        for i, c in enumerate(constraints):
            if not isinstance(c, Reals | Simplex | Box | Ball):
                raise GameError(f"DifferentiableGame.constraints[{i}]: expected a set from equilibria.core.sets "
                                f"(Reals, Simplex, Box, Ball), got {type(c).__name__}")
        object.__setattr__(self, "constraints", constraints)
        leaves = jax.tree_util.tree_leaves(self.data) if is_concrete(self.data) else []
        for leaf in leaves:
            arr = np.asarray(leaf)
            if arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
                raise GameError("DifferentiableGame.data: contains NaN or infinite values")

    # -- pytree protocol -------------------------------------------------------------------------------------
    def tree_flatten(self) -> tuple[tuple[Any], tuple[Any, ...]]:
        return (self.data,), (self.loss_fn, self.constraints, self.name)

    @classmethod
    def tree_unflatten(cls, aux: tuple[Any, ...], children: tuple[Any]) -> DifferentiableGame:
        loss_fn, constraints, name = aux
        return cls(loss_fn, children[0], constraints, name, _validated=False)

    # -- constructors ----------------------------------------------------------------------------------------
    @classmethod
    def from_utilities(cls, utility_fn: LossFn, data: Any, constraints: Sequence[ConstraintSet], *,
                       name: str = "") -> DifferentiableGame:
        """A game stated with utilities to maximise, ``utility_fn(data, params) -> [n_players]``.

        This is the one place where utilities become losses: ``loss_i = -utility_i``.
        """
        return cls(_NegatedUtilities(utility_fn), data, tuple(constraints), name)

    @classmethod
    def zero_sum(cls, objective: Callable[[Any, Any, Any], jax.Array], data: Any,
                 constraints: Sequence[ConstraintSet] = (Reals(), Reals()), *, name: str = "") -> DifferentiableGame:
        """``min_x max_y objective(data, x, y)``: player 0 minimises the objective, player 1 maximises it."""
        if len(constraints) != 2:
            raise GameError(f"DifferentiableGame.zero_sum: constraints must name 2 sets, got {len(constraints)}")
        return cls(_ZeroSumLosses(objective), data, tuple(constraints), name)

    # -- shape and validation --------------------------------------------------------------------------------
    @property
    def n_players(self) -> int:
        return len(self.constraints)

    def describe(self) -> str:
        label = f"{self.name}: " if self.name else ""
        sets = ", ".join(type(c).__name__ for c in self.constraints)
        return f"{label}differentiable game, {self.n_players} players ({sets})"

    def check_params(self, params: Any, caller: str = "params") -> Params:
        """Validate a joint profile (outside jit): one non-empty pytree of finite floats per player."""
        if not isinstance(params, tuple | list) or len(params) != self.n_players:
            got = len(params) if isinstance(params, tuple | list) else type(params).__name__
            raise GameError(f"{caller}: expected a tuple with one parameter pytree per player "
                            f"({self.n_players} players), got {got}")
        out = []
        for i, p in enumerate(params):
            leaves = jax.tree_util.tree_leaves(p)
            if not leaves:
                raise GameError(f"{caller}: player {i} has no parameters (an empty pytree); every player needs "
                                f"at least one array to move")
            for leaf in leaves:
                arr = np.asarray(leaf)
                if arr.dtype.kind not in "fc":
                    raise GameError(f"{caller}: player {i} has a {arr.dtype} leaf; parameters must be floats "
                                    f"(gradients are taken with respect to them)")
                if not np.all(np.isfinite(arr)):
                    raise GameError(f"{caller}: player {i}'s parameters contain NaN or infinite values")
            out.append(p)
        try:
            losses = jax.eval_shape(self.loss_fn, self.data, tuple(out))
        except (TypeError, ValueError) as exc:
            raise GameError(f"{caller}: the game's loss function rejects these parameters: "
                            f"{str(exc).splitlines()[0]}") from None
        if getattr(losses, "shape", None) != (self.n_players,):
            raise GameError(f"{caller}: loss_fn must return one loss per player, shape ({self.n_players},), "
                            f"got {getattr(losses, 'shape', type(losses).__name__)}")
        return tuple(out)

    # -- values and the gradient field -----------------------------------------------------------------------
    def losses(self, params: Params) -> jax.Array:
        """``[n_players]``: every player's loss at ``params``."""
        return self.loss_fn(self.data, tuple(params))

    def player_loss(self, params: Params, player: int) -> jax.Array:
        return self.losses(params)[player]

    def gradient(self, params: Params) -> Params:
        """The simultaneous gradient ``xi``: player ``i``'s gradient of its own loss, shaped like ``params``."""
        params = tuple(params)
        return tuple(self.player_gradient(params, i) for i in range(self.n_players))

    def hamiltonian(self, params: Params) -> jax.Array:
        """``H = ||xi||^2 / 2``; its gradient is ``J^T xi`` (Hamiltonian gradient descent follows ``-J^T xi``)."""
        flat, _ = ravel_pytree(self.gradient(params))
        return 0.5 * jnp.vdot(flat, flat)

    # -- the game Jacobian -----------------------------------------------------------------------------------
    def jvp(self, params: Params, tangent: Params) -> Params:
        """``J v``: the game Jacobian times a tangent ``v`` shaped like ``params`` (forward mode)."""
        return jax.jvp(self.gradient, (tuple(params),), (tuple(tangent),))[1]

    def vjp(self, params: Params, cotangent: Params) -> Params:
        """``J^T u`` for a cotangent ``u`` shaped like ``params`` (reverse mode)."""
        _, pullback = jax.vjp(self.gradient, tuple(params))
        return pullback(tuple(cotangent))[0]

    def off_diagonal_jvp(self, params: Params, tangent: Params) -> Params:
        """``J_o v``: the Jacobian's off-diagonal blocks (``d xi_i / d params[j]``, ``j != i``) times ``v``.

        These are the interaction terms competitive gradient descent and LOLA use; one forward pass per player.
        """
        params, tangent = tuple(params), tuple(tangent)
        out = []
        for i in range(self.n_players):
            others = _replace(tangent, i, jax.tree_util.tree_map(jnp.zeros_like, tangent[i]))
            _, d_xi = jax.jvp(lambda p, i=i: self.player_gradient(p, i), (params,), (others,))
            out.append(d_xi)
        return tuple(out)

    def player_gradient(self, params: Params, player: int) -> Any:
        """``xi_i``: player ``player``'s gradient of its own loss (one backward pass).

        A loss function may supply the closed form as a method ``player_gradient(data, params, player)``
        (returning None where it has none); mixed extensions do, which saves the contraction of every other
        player's payoffs that autodiff of the stacked losses would do.
        """
        closed_form = getattr(self.loss_fn, "player_gradient", None)
        if closed_form is not None:
            gradient = closed_form(self.data, tuple(params), player)
            if gradient is not None:
                return gradient
        return jax.grad(lambda own: self.player_loss(_replace(params, player, own), player))(params[player])

    def jacobian(self, params: Params) -> jax.Array:
        """``[d, d]``: the dense game Jacobian on the flat parameter vector (small games only)."""
        flat, unravel = ravel_pytree(tuple(params))
        return jax.jacfwd(lambda v: ravel_pytree(self.gradient(unravel(v)))[0])(flat)

    def symmetric_part(self, params: Params) -> jax.Array:
        """``[d, d]``: ``S = (J + J^T) / 2``, the potential part of the game Jacobian."""
        jac = self.jacobian(params)
        return 0.5 * (jac + jac.T)

    def antisymmetric_part(self, params: Params) -> jax.Array:
        """``[d, d]``: ``A = (J - J^T) / 2``, the Hamiltonian (rotational) part of the game Jacobian."""
        jac = self.jacobian(params)
        return 0.5 * (jac - jac.T)

    # -- constraints -----------------------------------------------------------------------------------------
    def project(self, params: Params) -> Params:
        """Euclidean projection of every player's parameters onto its constraint set."""
        return tuple(
            jax.tree_util.tree_map(c.project, p) for c, p in zip(self.constraints, tuple(params), strict=True)
        )

    def __repr__(self) -> str:
        return f"DifferentiableGame({self.describe()})"


@dataclass(frozen=True)
class _NegatedUtilities:
    """``loss = -utility``: the single conversion between the two conventions."""

    utility_fn: LossFn

    def __call__(self, data: Any, params: Params) -> jax.Array:
        return -jnp.asarray(self.utility_fn(data, params))

    def player_gradient(self, data: Any, params: Params, player: int) -> Any:
        closed_form = getattr(self.utility_fn, "player_gradient", None)
        gradient = closed_form(data, params, player) if closed_form is not None else None
        return None if gradient is None else jax.tree_util.tree_map(jnp.negative, gradient)


@dataclass(frozen=True)
class _ZeroSumLosses:
    objective: Callable[[Any, Any, Any], jax.Array]

    def __call__(self, data: Any, params: Params) -> jax.Array:
        value = self.objective(data, params[0], params[1])
        return jnp.stack([value, -value])


def stack_games(games: Sequence[DifferentiableGame]) -> DifferentiableGame:
    """One game whose ``data`` leaves carry a leading batch axis, for ``jax.vmap`` over games.

    All games must share the loss function and constraints (they differ only in their numbers).
    """
    if not games:
        raise GameError("stack_games: games is empty")
    first = games[0]
    for k, g in enumerate(games[1:], start=1):
        if g.loss_fn != first.loss_fn or g.constraints != first.constraints:
            raise GameError(f"stack_games: game {k} has a different loss function or constraints than game 0; "
                            f"only games that differ in their data can be batched")
    data = jax.tree_util.tree_map(lambda *leaves: jnp.stack(leaves), *(g.data for g in games))
    return DifferentiableGame(first.loss_fn, data, first.constraints, first.name, _validated=False)
