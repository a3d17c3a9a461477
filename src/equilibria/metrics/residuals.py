"""Local equilibrium measures for differentiable (possibly non-concave) games over convex sets.

Conventions are those of :mod:`equilibria.games.differentiable`: player ``i`` minimises ``loss_i``; its utility is
``u_i = -loss_i``; its strategy set ``X_i`` is the product, over the leaves of its parameter pytree, of its
constraint set. "Player ``i``'s vector" is the flat vector of its leaves (``jax.flatten_util.ravel_pytree``).

- **First-order residual** (projected gradient mapping): ``r_i = ||x_i - Pi_{X_i}(x_i + eta grad_i u_i)|| / eta``.
  Zero exactly at a first-order local Nash point (each ``x_i`` satisfies the variational inequality of its own
  problem). :func:`first_order_residuals`.
- **Second-order classification** of a stationary point (:func:`classify_stationary_point`), for interior
  points: *strict local Nash* (differential Nash, Ratliff, Burden and Sastry 2013): every player's own-loss
  Hessian ``nabla^2_{ii} loss_i`` is positive definite. For a two-player zero-sum game ``min_x max_y f`` (player 0
  minimises ``f = loss_0``, ``loss_1 = -f``): *strict local minimax* (Jin, Netrapalli and Jordan 2020, "What is
  local optimality in nonconvex-nonconcave minimax optimization?", Proposition 20's sufficient condition):
  ``f_yy < 0`` and the Schur complement ``f_xx - f_xy f_yy^{-1} f_yx > 0``; *strict local maximin*: the same with
  the order swapped (``f_xx > 0`` and ``f_yy - f_yx f_xx^{-1} f_xy < 0``).
- **(eps, delta)-local Nash** (:func:`local_deviation_gains`): player ``i``'s largest gain
  ``max { u_i(x'_i, x_{-i}) - u_i(x) : x'_i in X_i, ||x'_i - x_i|| <= delta }``; the profile is an
  ``(eps, delta)``-local Nash equilibrium iff every gain is ``<= eps``. Two ways to maximise, reported by name:
  ``"grid"`` (players with one scalar parameter: the feasible interval ``[Pi(x_i - delta), Pi(x_i + delta)]``
  on a grid with both ends, then three rounds of refinement around the best point; exact up to the last
  spacing for Lipschitz utilities) and ``"ascent"`` (normalised gradient ascent from several starts inside
  ``ball ∩ X_i``, each step mapped back by ``Pi_ball o Pi_{X_i}``; the ball's centre lies in ``X_i``, so the map
  lands in the intersection, though it is not the exact projection onto it). Ascent returns the best point it
  found: a lower bound on the true maximum in non-concave problems.
- **Local CCE gaps** (:func:`local_cce_gaps`), after Cai, Daskalakis, Luo, Wei and Zheng (2024, "On tractable
  Phi-equilibria in non-concave games", NeurIPS 2024, arXiv:2403.08171; first version titled "Tractable local
  equilibria in non-concave games"). A distribution ``sigma`` over joint profiles (here: uniform over a finite
  support, e.g. the iterates of online gradient descent) is an ``(eps, Phi(delta))``-local coarse correlated
  equilibrium when no player gains more than ``eps`` in expectation by applying one fixed ``delta``-local
  strategy modification ``phi`` to its own recommended strategy:
  ``max_i max_{phi in Phi_i(delta)} E_{x ~ sigma}[u_i(phi(x_i), x_{-i}) - u_i(x)] <= eps``. Two families:

  * interpolation, ``Phi_Int(delta) = { x -> (1 - lam) x + lam x* : x* in X_i, 0 <= lam <= delta / D_i }``
    (``D_i`` the diameter of ``X_i``; every such move has length ``<= delta``);
  * projection, ``Phi_Proj(delta) = { x -> Pi_{X_i}(x - v) : ||v|| <= delta }`` (nonexpansive projection: length
    ``<= delta``).

  Each gain is maximised over the family's parameters by projected normalised gradient ascent from several
  starts, one of them the first-order optimum (``x*`` maximising the average utility gradient linearly, ``v``
  against it); the value found is a lower bound on the supremum. The search tool available when this was written
  showed only the paper's abstract, so the two definitions above are stated from the paper as we know it; the
  bound used by :func:`equilibria.solvers.local.local_cce_solve` is derived there in full.
- **Duality gap of a finitely supported mixed profile** in a two-player zero-sum game over intervals
  (:func:`continuous_duality_gap`): ``max_x E_y u_0(x, y) - min_y E_x u_0(x, y)`` with the pure best responses
  found by :func:`interval_best_response` (grid plus refinement).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from equilibria.core.errors import GameError
from equilibria.core.sets import Ball, Box, Reals, Simplex
from equilibria.games.differentiable import DifferentiableGame, Params, _replace

ConstraintSet = Reals | Simplex | Box | Ball
_REFINE_ROUNDS = 3
_REFINE_POINTS = 101


# -- argument checks ----------------------------------------------------------------------------------------------
def _check_game(game: Any, caller: str) -> DifferentiableGame:
    if not isinstance(game, DifferentiableGame):
        fix = "; for a NormalFormGame pass game.mixed_extension()" if hasattr(game, "mixed_extension") else ""
        raise GameError(f"{caller}: expected a DifferentiableGame, got {type(game).__name__}{fix}")
    return game


def _positive(value: Any, caller: str, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise GameError(f"{caller}: {name} must be a positive number, got {value!r}") from None
    if not (np.isfinite(number) and number > 0):
        raise GameError(f"{caller}: {name} must be a positive finite number, got {value!r}")
    return number


def _count(value: Any, caller: str, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise GameError(f"{caller}: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


# -- per-player flat views --------------------------------------------------------------------------------------
def _flat(tree: Any) -> tuple[jax.Array, Callable[[jax.Array], Any]]:
    flat, unravel = ravel_pytree(tree)
    return flat, unravel


def _project_flat(constraint: ConstraintSet, unravel: Callable[[jax.Array], Any]) -> Callable[[jax.Array], jax.Array]:
    """``Pi_{X_i}`` on player ``i``'s flat vector (the constraint acts leaf by leaf)."""

    def project(v: jax.Array) -> jax.Array:
        return ravel_pytree(jax.tree_util.tree_map(constraint.project, unravel(v)))[0]

    return project


def _leaf_diameter(constraint: ConstraintSet, shape: tuple[int, ...]) -> float:
    if isinstance(constraint, Reals):
        return float("inf")
    if isinstance(constraint, Box):
        width = np.broadcast_to(np.asarray(constraint.upper, float) - np.asarray(constraint.lower, float), shape)
        return float(np.linalg.norm(width))
    if isinstance(constraint, Ball):
        return 2.0 * float(constraint.radius)
    rows = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
    return float(np.sqrt(2.0 * rows)) * float(constraint.total) if shape and shape[-1] > 1 else 0.0


def set_diameter(constraint: ConstraintSet, template: Any) -> float:
    """Diameter of a player's strategy set: the product, over the leaves of ``template``, of ``constraint``."""
    leaves = jax.tree_util.tree_leaves(template)
    return float(np.sqrt(sum(_leaf_diameter(constraint, tuple(np.shape(leaf))) ** 2 for leaf in leaves)))


def _linear_maximiser(constraint: ConstraintSet, unravel: Callable[[jax.Array], Any],
                      direction: jax.Array) -> jax.Array:
    """``argmax_{z in X_i} <direction, z>`` on the flat vector (bounded sets only)."""

    def leaf(g: jax.Array) -> jax.Array:
        if isinstance(constraint, Box):
            return jnp.where(g > 0, constraint.upper, constraint.lower) * jnp.ones_like(g)
        if isinstance(constraint, Ball):
            norm = jnp.sqrt(jnp.sum(g * g))
            return constraint.center + constraint.radius * g / jnp.maximum(norm, 1e-300)
        if isinstance(constraint, Simplex):
            return constraint.total * jax.nn.one_hot(jnp.argmax(g, axis=-1), g.shape[-1], dtype=g.dtype)
        return g

    return ravel_pytree(jax.tree_util.tree_map(leaf, unravel(direction)))[0]


def _ball_retract(center: jax.Array, radius: float | jax.Array) -> Callable[[jax.Array], jax.Array]:
    def retract(z: jax.Array) -> jax.Array:
        offset = z - center
        norm = jnp.sqrt(jnp.sum(offset * offset))
        return center + offset * jnp.minimum(1.0, radius / jnp.maximum(norm, 1e-300))

    return retract


def _normalised(g: jax.Array) -> jax.Array:
    return g / jnp.maximum(jnp.sqrt(jnp.sum(g * g)), 1e-300)


def _utility(game: DifferentiableGame, params: Params, player: int) -> jax.Array:
    return -game.losses(params)[player]


# -- first order --------------------------------------------------------------------------------------------------
def first_order_residuals(game: DifferentiableGame, params: Any, *, step_size: float = 1.0) -> np.ndarray:
    """``[n_players]``: ``||x_i - Pi_{X_i}(x_i + eta grad_i u_i)|| / eta`` per player (``eta = step_size``)."""
    game = _check_game(game, "first_order_residuals(game)")
    params = game.check_params(params, "first_order_residuals(params)")
    eta = _positive(step_size, "first_order_residuals", "step_size")
    return np.asarray(_first_order(game, tuple(params), eta), dtype=float)


@jax.jit
def _first_order(game: DifferentiableGame, params: Params, eta: jax.Array) -> jax.Array:
    out = []
    for i, (constraint, own) in enumerate(zip(game.constraints, params, strict=True)):
        gradient_u = jax.tree_util.tree_map(jnp.negative, game.player_gradient(params, i))
        stepped = jax.tree_util.tree_map(lambda x, g, c=constraint: c.project(x + eta * g), own, gradient_u)
        diff, _ = ravel_pytree(jax.tree_util.tree_map(jnp.subtract, own, stepped))
        out.append(jnp.linalg.norm(diff) / eta)
    return jnp.stack(out)


def first_order_residual(game: DifferentiableGame, params: Any, *, step_size: float = 1.0) -> float:
    """The largest per-player first-order residual (0 exactly at a first-order local Nash point)."""
    return float(np.max(first_order_residuals(game, params, step_size=step_size)))


# -- second order -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StationaryPointClass:
    """What :func:`classify_stationary_point` found.

    Attributes:
      label: ``"strict local Nash"``, ``"strict local minimax"``, ``"strict local maximin"``, ``"neither"``,
        ``"not stationary"`` or ``"boundary"`` (first-order stationary only because a constraint is active; the
        interior second-order test does not apply).
      residual: the largest first-order residual (step size 1).
      own_hessian_eigenvalues: per player, the eigenvalues of ``nabla^2_{ii} loss_i`` (ascending).
      strict_local_nash: every own-loss Hessian is positive definite.
      zero_sum: the game is two-player zero-sum to second order at the point.
      strict_local_minimax: ``f_yy < 0`` and ``f_xx - f_xy f_yy^{-1} f_yx > 0`` (None unless zero-sum).
      strict_local_maximin: ``f_xx > 0`` and ``f_yy - f_yx f_xx^{-1} f_xy < 0`` (None unless zero-sum).
      schur_eigenvalues: eigenvalues of ``f_xx - f_xy f_yy^{-1} f_yx`` (None unless zero-sum with invertible
        ``f_yy``).
    """

    label: str
    residual: float
    own_hessian_eigenvalues: tuple[np.ndarray, ...]
    strict_local_nash: bool
    zero_sum: bool
    strict_local_minimax: bool | None
    strict_local_maximin: bool | None
    schur_eigenvalues: np.ndarray | None


def _loss_hessians(game: DifferentiableGame, params: Params) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Per-player Hessians of ``loss_i`` on the flat profile, the player offsets, and the gradient of the sum."""
    sizes = [int(ravel_pytree(p)[0].size) for p in params]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    hessians, total_gradient = _hessians_and_total_gradient(game, tuple(params))
    return [np.asarray(h, dtype=float) for h in hessians], offsets, np.asarray(total_gradient, dtype=float)


@jax.jit
def _hessians_and_total_gradient(game: DifferentiableGame, params: Params) -> tuple[jax.Array, jax.Array]:
    flat, unravel = _flat(params)
    hessians = jnp.stack([jax.hessian(lambda v, i=i: game.losses(unravel(v))[i])(flat)
                          for i in range(game.n_players)])
    return hessians, jax.grad(lambda v: jnp.sum(game.losses(unravel(v))))(flat)


def _is_zero_sum(hessians: list[np.ndarray], total_gradient: np.ndarray, tol: float) -> bool:
    if len(hessians) != 2:
        return False
    scale = max(1.0, float(np.max(np.abs(hessians[0]))))
    return bool(np.max(np.abs(hessians[0] + hessians[1])) <= tol * scale
                and np.max(np.abs(total_gradient), initial=0.0) <= tol * scale)


def _schur(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray | None:
    """``a - b d^{-1} c`` or None when ``d`` is singular."""
    try:
        return a - b @ np.linalg.solve(d, c)
    except np.linalg.LinAlgError:
        return None


def classify_stationary_point(game: DifferentiableGame, params: Any, *, tol: float = 1e-6) -> StationaryPointClass:
    """Second-order classification of ``params`` (see the module docstring; ``tol`` is the threshold for zero).

    Run it in float64 (``with jax.enable_x64(True):``) for tolerances below about 1e-5.
    """
    game = _check_game(game, "classify_stationary_point(game)")
    params = game.check_params(params, "classify_stationary_point(params)")
    tol = _positive(tol, "classify_stationary_point", "tol")
    residual = first_order_residual(game, params)
    hessians, offsets, total_gradient = _loss_hessians(game, params)
    own = [hessians[i][offsets[i]:offsets[i + 1], offsets[i]:offsets[i + 1]] for i in range(game.n_players)]
    own_eigs = tuple(np.linalg.eigvalsh(0.5 * (h + h.T)) for h in own)
    strict_nash = all(float(e[0]) > tol for e in own_eigs)
    zero_sum = _is_zero_sum(hessians, total_gradient, tol)
    minimax = maximin = None
    schur_eigs = None
    if zero_sum:
        f = 0.5 * (hessians[0] + hessians[0].T)
        n0 = int(offsets[1])
        fxx, fxy, fyx, fyy = f[:n0, :n0], f[:n0, n0:], f[n0:, :n0], f[n0:, n0:]
        schur_x = _schur(fxx, fxy, fyx, fyy)
        schur_y = _schur(fyy, fyx, fxy, fxx)
        eig_yy, eig_xx = np.linalg.eigvalsh(fyy), np.linalg.eigvalsh(fxx)
        schur_eigs = None if schur_x is None else np.linalg.eigvalsh(0.5 * (schur_x + schur_x.T))
        minimax = bool(eig_yy[-1] < -tol and schur_eigs is not None and schur_eigs[0] > tol)
        maximin = bool(eig_xx[0] > tol and schur_y is not None
                       and np.linalg.eigvalsh(0.5 * (schur_y + schur_y.T))[-1] < -tol)
    gradient_norm = float(np.linalg.norm(np.asarray(ravel_pytree(game.gradient(params))[0])))
    if residual > tol:
        label = "not stationary"
    elif gradient_norm > tol:
        label = "boundary"
    elif strict_nash:
        label = "strict local Nash"
    elif minimax:
        label = "strict local minimax"
    elif maximin:
        label = "strict local maximin"
    else:
        label = "neither"
    return StationaryPointClass(label, residual, own_eigs, strict_nash, zero_sum, minimax, maximin, schur_eigs)


# -- (eps, delta)-local Nash ----------------------------------------------------------------------------------------
def _grid_gain(game: DifferentiableGame, params: Params, player: int, delta: float, grid_size: int) -> float:
    """Exact-up-to-spacing maximum gain of a player with one scalar parameter."""
    own = params[player]
    constraint = game.constraints[player]
    x = jnp.reshape(jnp.asarray(own), ())
    low = float(jnp.reshape(constraint.project(jnp.reshape(x - delta, jnp.shape(own))), ()))
    high = float(jnp.reshape(constraint.project(jnp.reshape(x + delta, jnp.shape(own))), ()))

    def batch(points: jax.Array) -> jax.Array:
        return _scalar_utilities(game, params, player, points)

    grid = jnp.linspace(low, high, grid_size)
    best = float(jnp.max(batch(grid)))
    for _ in range(_REFINE_ROUNDS):
        values = batch(grid)
        k = int(jnp.argmax(values))
        best = max(best, float(values[k]))
        lo, hi = grid[max(k - 1, 0)], grid[min(k + 1, grid.shape[0] - 1)]
        grid = jnp.linspace(lo, hi, _REFINE_POINTS)
    best = max(best, float(jnp.max(batch(grid))))
    return max(0.0, best - float(_utility(game, params, player)))


@partial(jax.jit, static_argnames=("player",))
def _scalar_utilities(game: DifferentiableGame, params: Params, player: int, points: jax.Array) -> jax.Array:
    """``[k]``: player ``player``'s utility with its one scalar parameter set to each of ``points``."""
    shape, dtype = jnp.shape(params[player]), jnp.asarray(params[player]).dtype

    def utility(z: jax.Array) -> jax.Array:
        return _utility(game, _replace(params, player, jnp.reshape(z, shape).astype(dtype)), player)

    return jax.vmap(utility)(points)


def _best_ascent(objective: Callable[[jax.Array], jax.Array], feasible: Callable[[jax.Array], jax.Array],
                 initial: jax.Array, first_step: jax.Array, steps: int) -> jax.Array:
    """The largest ``objective`` value seen by normalised projected ascent from each row of ``initial``
    (step ``first_step * 0.97^k``, kept feasible by ``feasible``), over all starts."""
    value_and_grad = jax.value_and_grad(objective)

    def climb(z0: jax.Array) -> jax.Array:
        def step(carry: tuple[jax.Array, jax.Array], k: jax.Array) -> tuple[tuple[jax.Array, jax.Array], None]:
            z, best = carry
            value, g = value_and_grad(z)
            best = jnp.maximum(best, value)
            size = first_step * 0.97 ** k.astype(z.dtype)
            return (feasible(z + size * _normalised(g)), best), None

        (z, best), _ = jax.lax.scan(step, (z0, objective(z0)), jnp.arange(steps))
        return jnp.maximum(best, objective(z))

    return jnp.max(jax.vmap(climb)(initial))


def _ascent_gain(game: DifferentiableGame, params: Params, player: int, delta: float, starts: int, steps: int,
                 key: jax.Array) -> float:
    return max(0.0, float(_ascent_search(game, params, player, delta, starts, steps, key)))


@partial(jax.jit, static_argnames=("player", "starts", "steps"))
def _ascent_search(game: DifferentiableGame, params: Params, player: int, delta: jax.Array, starts: int, steps: int,
                   key: jax.Array) -> jax.Array:
    flat, unravel = _flat(params[player])
    project = _project_flat(game.constraints[player], unravel)
    retract = _ball_retract(flat, delta)

    def feasible(z: jax.Array) -> jax.Array:
        return retract(project(z))

    def utility(z: jax.Array) -> jax.Array:
        return _utility(game, _replace(params, player, unravel(z)), player)

    base = utility(flat)
    ascent = _normalised(jax.grad(utility)(flat))
    noise = jax.random.normal(key, (max(starts - 2, 0), flat.size), dtype=flat.dtype)
    random_starts = flat + delta * noise / jnp.sqrt(jnp.asarray(flat.size, dtype=flat.dtype))
    initial = jnp.concatenate([flat[None], (flat + delta * ascent)[None], random_starts])[:starts]
    initial = jax.vmap(feasible)(initial)

    return _best_ascent(utility, feasible, initial, 0.5 * delta, steps) - base


def _is_scalar_player(own: Any) -> bool:
    leaves = jax.tree_util.tree_leaves(own)
    return len(leaves) == 1 and int(np.size(leaves[0])) == 1


def local_deviation_gains(game: DifferentiableGame, params: Any, delta: float, *, method: str = "auto",
                          grid_size: int = 2001, starts: int = 8, steps: int = 200, seed: int = 0) -> np.ndarray:
    """``[n_players]``: each player's largest utility gain from a move of length ``<= delta`` inside its set.

    Args:
      game, params: the game and the profile to test.
      delta: the radius of the deviation ball.
      method: ``"grid"`` (players with one scalar parameter only), ``"ascent"``, or ``"auto"`` (grid for scalar
        players, ascent otherwise). See the module docstring for what each guarantees.
      grid_size: points of the first grid (``"grid"``).
      starts, steps, seed: starts (the point itself, one step up the gradient, the rest random in the ball),
        ascent steps per start, and the seed of the random starts (``"ascent"``).
    """
    caller = "local_deviation_gains"
    game = _check_game(game, f"{caller}(game)")
    params = game.check_params(params, f"{caller}(params)")
    delta = _positive(delta, caller, "delta")
    if method not in ("auto", "grid", "ascent"):
        raise GameError(f"{caller}(method): expected 'auto', 'grid' or 'ascent', got {method!r}")
    grid_size = _count(grid_size, caller, "grid_size", 2)
    starts, steps = _count(starts, caller, "starts"), _count(steps, caller, "steps")
    keys = jax.random.split(jax.random.PRNGKey(seed), game.n_players)
    gains = []
    for i in range(game.n_players):
        scalar = _is_scalar_player(params[i])
        if method == "grid" and not scalar:
            raise GameError(f"{caller}(method='grid'): player {i} has more than one parameter; use 'ascent'")
        if scalar and method != "ascent":
            gains.append(_grid_gain(game, tuple(params), i, delta, grid_size))
        else:
            gains.append(_ascent_gain(game, tuple(params), i, delta, starts, steps, keys[i]))
    return np.asarray(gains)


def is_local_nash(game: DifferentiableGame, params: Any, eps: float, delta: float, *, method: str = "auto") -> bool:
    """Whether ``params`` is an ``(eps, delta)``-local Nash equilibrium (every deviation gain ``<= eps``)."""
    if not (isinstance(eps, int | float) and np.isfinite(eps) and eps >= 0):
        raise GameError(f"is_local_nash(eps): must be a finite number >= 0, got {eps!r}")
    return bool(np.max(local_deviation_gains(game, params, delta, method=method)) <= eps)


# -- local CCE ------------------------------------------------------------------------------------------------------
class LocalCCEGaps(NamedTuple):
    """Per-player largest expected gains ``[n_players]`` over ``Phi_Int(delta)`` and ``Phi_Proj(delta)``.

    ``interpolation[i]`` is NaN when player ``i``'s set is unbounded (the family needs a finite diameter).
    """

    interpolation: np.ndarray
    projection: np.ndarray

    @property
    def gap(self) -> float:
        """The certificate: the largest gain over both families and all players (NaN entries ignored)."""
        return float(np.nanmax(np.concatenate([self.interpolation, self.projection])))


def check_support(game: DifferentiableGame, support: Any, caller: str) -> tuple[Params, int]:
    """A support (one stacked pytree per player, leading axis ``[T]`` on every leaf) and its size ``T``."""
    if not isinstance(support, tuple | list) or len(support) != game.n_players:
        raise GameError(f"{caller}: support must be a tuple with one stacked parameter pytree per player")
    sizes = {int(np.shape(leaf)[0]) if np.ndim(leaf) else -1 for leaf in jax.tree_util.tree_leaves(tuple(support))}
    if len(sizes) != 1 or min(sizes) < 1:
        raise GameError(f"{caller}: every leaf of the support needs the same leading axis [T] with T >= 1")
    first = jax.tree_util.tree_map(lambda a: jnp.asarray(a)[0], tuple(support))
    game.check_params(first, caller)
    return tuple(jax.tree_util.tree_map(jnp.asarray, tuple(support))), sizes.pop()


def _interpolation_gain(game: DifferentiableGame, support: Params, player: int, delta: float, starts: int,
                        steps: int, key: jax.Array) -> float:
    template = jax.tree_util.tree_map(lambda a: a[0], support[player])
    diameter = set_diameter(game.constraints[player], template)
    if not np.isfinite(diameter):
        return float("nan")
    if diameter == 0.0:
        return 0.0
    return max(0.0, float(_interpolation_search(game, support, player, delta, diameter, starts, steps, key)))


@partial(jax.jit, static_argnames=("player", "starts", "steps"))
def _interpolation_search(game: DifferentiableGame, support: Params, player: int, delta: jax.Array,
                          diameter: jax.Array, starts: int, steps: int, key: jax.Array) -> jax.Array:
    """Best gain found over ``Phi_Int(delta)`` (jitted: the game is a pytree with static functions and sets)."""
    constraint = game.constraints[player]
    flat_support, unravel, mean_gradient, base = _player_support(game, support, player)
    project = _project_flat(constraint, unravel)
    lam_max = delta / diameter

    def value(target: jax.Array, lam: jax.Array) -> jax.Array:
        def one(profile: Params, x: jax.Array) -> jax.Array:
            return _utility(game, _replace(profile, player, unravel(x + lam * (target - x))), player)

        return jnp.mean(jax.vmap(one)(support, flat_support))

    centre = jnp.mean(flat_support, axis=0)
    noise = jax.random.normal(key, (max(starts - 1, 0), centre.size), dtype=centre.dtype)
    random_targets = jax.vmap(project)(centre + diameter * noise / jnp.sqrt(jnp.asarray(centre.size, centre.dtype)))
    first = _linear_maximiser(constraint, unravel, mean_gradient)
    targets = jnp.concatenate([first[None], random_targets])[:starts]
    grad = jax.value_and_grad(value, argnums=(0, 1))

    def climb(target0: jax.Array) -> jax.Array:
        def step(carry: tuple[jax.Array, jax.Array, jax.Array], k: jax.Array) -> tuple[Any, None]:
            target, lam, best = carry
            v, (g_target, g_lam) = grad(target, lam)
            best = jnp.maximum(best, v)
            size = 0.2 * 0.97 ** k.astype(target.dtype)
            target = project(target + size * diameter * _normalised(g_target))
            lam = jnp.clip(lam + size * lam_max * jnp.sign(g_lam), 0.0, lam_max)
            return (target, lam, best), None

        lam0 = jnp.asarray(lam_max, dtype=target0.dtype)
        (target, lam, best), _ = jax.lax.scan(step, (target0, lam0, value(target0, lam0)), jnp.arange(steps))
        return jnp.maximum(best, value(target, lam))

    return jnp.max(jax.vmap(climb)(targets)) - base


def _player_support(game: DifferentiableGame, support: Params,
                    player: int) -> tuple[jax.Array, Callable[[jax.Array], Any], jax.Array, jax.Array]:
    """Player ``i``'s flat support ``[T, d]``, its unravel, the mean utility gradient ``[d]``, the mean utility."""
    template = jax.tree_util.tree_map(lambda a: a[0], support[player])
    _, unravel = _flat(template)
    flat_support = jax.vmap(lambda p: ravel_pytree(p)[0])(support[player])

    def utility_at(profile: Params, x: jax.Array) -> jax.Array:
        return _utility(game, _replace(profile, player, unravel(x)), player)

    values, gradients = jax.vmap(jax.value_and_grad(utility_at, argnums=1))(support, flat_support)
    return flat_support, unravel, jnp.mean(gradients, axis=0), jnp.mean(values)


def _projection_gain(game: DifferentiableGame, support: Params, player: int, delta: float, starts: int, steps: int,
                     key: jax.Array) -> float:
    return max(0.0, float(_projection_search(game, support, player, delta, starts, steps, key)))


@partial(jax.jit, static_argnames=("player", "starts", "steps"))
def _projection_search(game: DifferentiableGame, support: Params, player: int, delta: jax.Array, starts: int,
                       steps: int, key: jax.Array) -> jax.Array:
    """Best gain found over ``Phi_Proj(delta)`` (jitted like :func:`_interpolation_search`)."""
    flat_support, unravel, mean_gradient, base = _player_support(game, support, player)
    project = _project_flat(game.constraints[player], unravel)
    shrink = _ball_retract(jnp.zeros_like(mean_gradient), delta)

    def value(v: jax.Array) -> jax.Array:
        def one(profile: Params, x: jax.Array) -> jax.Array:
            return _utility(game, _replace(profile, player, unravel(project(x - v))), player)

        return jnp.mean(jax.vmap(one)(support, flat_support))

    d = mean_gradient.size
    noise = jax.random.normal(key, (max(starts - 1, 0), d), dtype=mean_gradient.dtype)
    random_shifts = jax.vmap(shrink)(delta * noise / jnp.sqrt(jnp.asarray(d, mean_gradient.dtype)))
    initial = jnp.concatenate([(-delta * _normalised(mean_gradient))[None], random_shifts])[:starts]
    return _best_ascent(value, shrink, initial, 0.2 * delta, steps) - base


def local_cce_gaps(game: DifferentiableGame, support: Any, delta: float, *, starts: int = 4, steps: int = 100,
                   seed: int = 0) -> LocalCCEGaps:
    """The largest expected gains over ``Phi_Int(delta)`` and ``Phi_Proj(delta)`` of the uniform distribution over
    ``support`` (see the module docstring).

    Args:
      game: the game.
      support: one stacked pytree per player, every leaf with leading axis ``[T]`` (e.g. a trajectory's iterates).
      delta: the locality radius.
      starts, steps, seed: ascent starts per family and player (the first one is the first-order optimum),
        ascent steps, and the seed of the other starts.
    """
    caller = "local_cce_gaps"
    game = _check_game(game, f"{caller}(game)")
    support, _ = check_support(game, support, f"{caller}(support)")
    delta = _positive(delta, caller, "delta")
    starts, steps = _count(starts, caller, "starts"), _count(steps, caller, "steps")
    keys = jax.random.split(jax.random.PRNGKey(seed), 2 * game.n_players)
    interpolation = [_interpolation_gain(game, support, i, delta, starts, steps, keys[2 * i])
                     for i in range(game.n_players)]
    projection = [_projection_gain(game, support, i, delta, starts, steps, keys[2 * i + 1])
                  for i in range(game.n_players)]
    return LocalCCEGaps(np.asarray(interpolation), np.asarray(projection))


# -- zero-sum games over intervals ---------------------------------------------------------------------------------
class MixedStrategy(NamedTuple):
    """A finitely supported mixed strategy over a player's scalar strategies: ``points: [k]``, ``weights: [k]``."""

    points: np.ndarray
    weights: np.ndarray


def interval(constraint: ConstraintSet, caller: str, player: int) -> tuple[float, float]:
    """The interval ``[a, b]`` of a scalar player's set (Box or Ball); GameError for unbounded sets."""
    if isinstance(constraint, Box):
        low, high = np.asarray(constraint.lower, float), np.asarray(constraint.upper, float)
        if low.size == 1 and high.size == 1 and np.isfinite(low) and np.isfinite(high):
            return float(low), float(high)
    if isinstance(constraint, Ball):
        return float(constraint.center) - float(constraint.radius), float(constraint.center) + float(constraint.radius)
    raise GameError(f"{caller}: player {player}'s strategy set must be a bounded interval (Box or Ball with "
                    f"finite scalar bounds), got {type(constraint).__name__}")


def row_payoff(game: DifferentiableGame) -> Callable[[Any, Any], np.ndarray]:
    """``(x: [a], y: [b]) -> [a, b]`` (NumPy): player 0's utility ``u_0 = -loss_0`` at every scalar pair."""

    def one(x: jax.Array, y: jax.Array) -> jax.Array:
        return -game.losses((x, y))[0]

    table = jax.jit(jax.vmap(jax.vmap(one, in_axes=(None, 0)), in_axes=(0, None)))

    def evaluate(x: Any, y: Any) -> np.ndarray:
        # Pad both axes to a power of two (repeating the last point) so that growing supports compile a few
        # shapes only, not one per size; everything outside the jitted table stays in NumPy for the same reason.
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        return np.asarray(table(_padded(x), _padded(y)), dtype=float)[:x.size, :y.size]

    return evaluate


def _padded(v: np.ndarray) -> np.ndarray:
    size = 1 << max(v.size - 1, 0).bit_length()
    return np.concatenate([v, np.full(size - v.size, v[-1])])


def interval_best_response(payoff: Callable[[np.ndarray], np.ndarray], low: float, high: float, *, grid_size: int,
                           maximise: bool) -> tuple[float, float]:
    """``(point, value)``: the best pure strategy in ``[low, high]`` against ``payoff: [k] points -> [k] values``.

    A grid of ``grid_size`` points (both ends included), then three rounds of 101-point refinement around the best
    point: global up to the grid spacing for Lipschitz payoffs.
    """
    sign = 1.0 if maximise else -1.0
    grid = np.linspace(low, high, grid_size)
    best_point, best_value = low, -np.inf
    for _ in range(_REFINE_ROUNDS + 1):
        values = sign * np.asarray(payoff(grid), dtype=float)
        k = int(np.argmax(values))
        if values[k] > best_value:
            best_point, best_value = float(grid[k]), float(values[k])
        grid = np.linspace(grid[max(k - 1, 0)], grid[min(k + 1, grid.size - 1)], _REFINE_POINTS)
    return best_point, sign * best_value


def continuous_duality_gap(game: DifferentiableGame, strategies: Sequence[MixedStrategy], *,
                           grid_size: int = 2001) -> tuple[float, float]:
    """``(lower, upper)`` of a finitely supported mixed profile in a zero-sum game over intervals.

    ``lower = min_y E_{x ~ strategies[0]} u_0(x, y)`` (what player 0's mixture guarantees) and
    ``upper = max_x E_{y ~ strategies[1]} u_0(x, y)`` (what player 1's mixture concedes); the profile is an
    ``(upper - lower)``-equilibrium and the game's value lies in ``[lower, upper]``. Evaluated in float64.
    """
    caller = "continuous_duality_gap"
    game = _check_game(game, f"{caller}(game)")
    if game.n_players != 2 or len(strategies) != 2:
        raise GameError(f"{caller}: needs a two-player game and one mixed strategy per player")
    grid_size = _count(grid_size, caller, "grid_size", 2)
    bounds = [interval(c, f"{caller}(game)", i) for i, c in enumerate(game.constraints)]
    with jax.enable_x64(True):
        payoff = row_payoff(game)
        xs, px = (np.asarray(a, float) for a in strategies[0])
        ys, py = (np.asarray(a, float) for a in strategies[1])
        for name, pts, w in (("strategies[0]", xs, px), ("strategies[1]", ys, py)):
            if pts.ndim != 1 or pts.shape != w.shape or pts.size == 0 or np.any(w < -1e-12) or abs(w.sum() - 1) > 1e-9:
                raise GameError(f"{caller}({name}): points and weights must be 1-D of one length, weights a "
                                f"probability vector")
        _, upper = interval_best_response(lambda grid: payoff(grid, ys) @ py,
                                          *bounds[0], grid_size=grid_size, maximise=True)
        _, lower = interval_best_response(lambda grid: px @ payoff(xs, grid),
                                          *bounds[1], grid_size=grid_size, maximise=False)
    return lower, upper
