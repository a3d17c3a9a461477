"""Local coarse correlated equilibria of non-concave games by projected online gradient descent.

Cai, Daskalakis, Luo, Wei and Zheng (2024), "On tractable Phi-equilibria in non-concave games" (NeurIPS 2024,
arXiv:2403.08171; first version "Tractable local equilibria in non-concave games"): in a game whose utilities are
smooth but not concave in the own strategy, Nash equilibria may not exist and local Nash equilibria are
intractable, but *local* coarse correlated equilibria are learned by every player running projected online
gradient descent on its own loss. The output distribution is the uniform distribution over the joint iterates
``x_1, ..., x_T``; it is an ``(eps, Phi(delta))``-local CCE for the interpolation family ``Phi_Int(delta)``
(``x -> (1 - lam) x + lam x*``, ``x* in X_i``, ``lam <= delta / D_i``) and the projection family
``Phi_Proj(delta)`` (``x -> Pi_{X_i}(x - v)``, ``||v|| <= delta``), defined in
:mod:`equilibria.metrics.residuals`, which also measures the certificate: the largest expected gain of any player
over both families, maximised over the deviations.

The bounds reported (plain OGD with step ``eta``; our derivations, stated here in full because the paper's
theorems could not be checked against its text). Let ``loss_i`` have an ``L_i``-Lipschitz gradient in the own
strategy, ``g_t = grad loss_i(x_t)``, ``D_i`` the diameter of ``X_i`` and ``G_t = sum_t ||g_t||^2``. For a
deviation ``phi`` with ``||phi(x) - x|| <= delta``, smoothness gives the per-step gain
``loss_i(x_t) - loss_i(phi(x_t)) <= <g_t, x_t - phi(x_t)> + L_i delta^2 / 2``; what remains is the linear part.

- ``Phi_Int(delta)``: ``x_t - phi(x_t) = lam (x_t - x*)`` with ``lam <= delta / D_i``, so the linear part is
  ``lam`` times OGD's regret against the fixed comparator ``x*``, at most ``D_i^2 / (2 eta) + eta G_t / 2``
  (Zinkevich 2003):

      B_int_i = (delta / D_i) (D_i^2 / (2 eta) + eta G_t / 2) / T + L_i delta^2 / 2,

  which with ``eta = D_i / (G sqrt T)`` and ``||g_t|| <= G`` is ``delta G / sqrt T + L_i delta^2 / 2``.
- ``Phi_Proj(delta)``: ``x - phi(x) = x - Pi(x - v)`` is the gradient of ``Psi(x) = <x, v> - ||v||^2 / 2 +
  dist(x - v, X_i)^2 / 2``, which is convex and 1-smooth (``Pi`` is the gradient of the convex Moreau function
  ``||z||^2 / 2 - dist(z, X_i)^2 / 2`` and 1-Lipschitz). With ``x_{t+1} = Pi(x_t - eta g_t)``, ``n_t = (x_t -
  eta g_t) - x_{t+1}`` in the normal cone at ``x_{t+1}`` and ``phi(x_t) in X_i``: ``-<x_t - phi(x_t), n_t> <=
  <x_{t+1} - x_t, n_t> <= eta^2 ||g_t||^2``, and 1-smoothness of ``Psi`` turns ``eta <g_t, grad Psi(x_t)>`` into
  ``Psi(x_t) - Psi(x_{t+1}) + (3 / 2) eta^2 ||g_t||^2``. ``Psi`` varies by at most ``delta D_i + delta^2 / 2`` on
  ``X_i``, so

      B_proj_i = (delta D_i + delta^2 / 2) / (eta T) + 3 eta G_t / (2 T) + L_i delta^2 / 2,

  ``O((delta + D_i) G / sqrt T) + L_i delta^2 / 2`` with ``eta = D_i / (G sqrt T)``: the same ``1 / sqrt T`` rate,
  a larger constant than the interpolation family's.

``parameters["bound"]`` is the largest ``max(B_int_i, B_proj_i)``: a bound on the certificate (the measured gains
are lower bounds on the true supremum, so ``certificate <= bound`` must hold). ``G_t`` is measured a posteriori;
``L_i`` is the ``smoothness`` argument or, when None, an estimate (the largest spectral norm of the own-loss Hessian
over up to 32 iterates, ``parameters["smoothness_estimated"] = True``), which makes the bounds heuristic: a sample of
Hessians is not a Lipschitz constant. With ``optimistic=True`` (optimistic GDA) no bound is reported.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from equilibria.core.errors import GameError
from equilibria.core.result import SolveResult
from equilibria.dynamics.gradient import gda, optimistic_gda
from equilibria.dynamics.run import run
from equilibria.games.differentiable import DifferentiableGame, Params, _replace
from equilibria.metrics.residuals import local_cce_gaps, set_diameter
from equilibria.solvers._common import Budget

_METHOD = "local_cce"
_HESSIAN_SAMPLES = 32


def _check_number(value: Any, caller: str, name: str, *, allow_none: bool = False) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise GameError(f"{caller}({name}): must be a positive number, got {value!r}")
    if not (np.isfinite(value) and value > 0):
        raise GameError(f"{caller}({name}): must be a positive finite number, got {value!r}")
    return float(value)


def _check_count(value: Any, caller: str, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise GameError(f"{caller}({name}): must be a positive integer, got {value!r}")
    return int(value)


@jax.jit
def _own_gradients(game: DifferentiableGame, support: Params) -> jax.Array:
    """``[T, n_players]`` norms of every player's own-loss gradient at every iterate."""
    return jax.vmap(lambda p: jnp.stack([jnp.linalg.norm(ravel_pytree(g)[0]) for g in game.gradient(p)]))(support)


def _estimated_smoothness(game: DifferentiableGame, support: Params, size: int) -> list[float]:
    """Largest spectral norm of each player's own-loss Hessian over up to 32 evenly spaced iterates."""
    picks = np.unique(np.linspace(0, size - 1, min(size, _HESSIAN_SAMPLES)).astype(int))
    sample = jax.tree_util.tree_map(lambda a: a[picks], support)
    return [float(np.max([_hessian_norm(game, jax.tree_util.tree_map(lambda a, k=k: a[k], sample), i)
                          for k in range(picks.size)])) for i in range(game.n_players)]


@partial(jax.jit, static_argnames=("player",))
def _hessian_norm(game: DifferentiableGame, profile: Params, player: int) -> jax.Array:
    flat, unravel = ravel_pytree(profile[player])
    h = jax.hessian(lambda v: game.losses(_replace(profile, player, unravel(v)))[player])(flat)
    return jnp.max(jnp.abs(jnp.linalg.eigvalsh(0.5 * (h + h.T))))


def local_cce_solve(game: DifferentiableGame, start: Any, *, steps: int = 1000, delta: float = 0.01,
                    learning_rate: float | None = None, optimistic: bool = False, smoothness: float | None = None,
                    starts: int = 4, ascent_steps: int = 100, seed: int = 0) -> SolveResult:
    """An ``(eps, Phi(delta))``-local CCE: the uniform distribution over ``steps`` iterates of projected OGD.

    Args:
      game: a DifferentiableGame whose every player has a bounded set (Box, Ball or Simplex).
      start: the first iterate (projected onto the sets).
      steps: ``T``, the number of iterates in the support.
      delta: the locality radius of the deviation families.
      learning_rate: the common OGD step ``eta``; default ``min_i D_i / sqrt(T)`` (the textbook step for
        gradients of norm about 1).
      optimistic: run optimistic GDA instead of plain OGD (no bound is then reported).
      smoothness: ``L``, a bound on every player's own-strategy gradient Lipschitz constant (None: estimated, and
        the bounds are then heuristic).
      starts, ascent_steps, seed: the certificate's deviation search (:func:`equilibria.metrics.residuals.
        local_cce_gaps`).

    Returns:
      SolveResult with one "equilibrium", the support: a tuple with one stacked pytree per player (leading axis
      ``[T]``, NumPy); ``values`` the players' mean utilities over it; ``certificate`` the largest measured
      deviation gain (``"local_cce_gap"``); ``parameters`` with ``delta``, ``T``, ``learning_rate``, ``bound``
      (None when optimistic), per-player ``bounds`` (the larger of ``interpolation_bounds`` and
      ``projection_bounds``), ``interpolation_gains``, ``projection_gains``,
      ``gradient_bound`` (largest own-gradient norm met), ``smoothness``, ``smoothness_estimated`` and
      ``diameters``. ``converged`` is False when the run diverged (the support then ends at the last finite
      iterate; ``parameters["stopped_because"]`` says where).
    """
    caller = "local_cce_solve"
    budget = Budget()
    if not isinstance(game, DifferentiableGame):
        raise GameError(f"{caller}(game): expected a DifferentiableGame, got {type(game).__name__}")
    start = game.project(game.check_params(start, f"{caller}(start)"))
    steps = _check_count(steps, caller, "steps")
    delta_value = _check_number(delta, caller, "delta")
    assert delta_value is not None
    rate = _check_number(learning_rate, caller, "learning_rate", allow_none=True)
    lipschitz = _check_number(smoothness, caller, "smoothness", allow_none=True)
    if not isinstance(optimistic, bool):
        raise GameError(f"{caller}(optimistic): expected True or False, got {optimistic!r}")
    diameters = [set_diameter(c, p) for c, p in zip(game.constraints, start, strict=True)]
    for i, d in enumerate(diameters):
        if not np.isfinite(d):
            raise GameError(f"{caller}(game): player {i}'s strategy set is unbounded; local CCE needs compact sets "
                            f"(give it a Box or Ball constraint)")
    positive = [d for d in diameters if d > 0]
    if not positive:
        raise GameError(f"{caller}(game): every player's strategy set is a single point")
    eta = rate if rate is not None else min(positive) / float(np.sqrt(steps))
    dynamics = optimistic_gda(eta) if optimistic else gda(eta)
    trajectory = run(dynamics, game, dynamics.init(game, start), steps=steps)
    played = int(trajectory.diverged_at) if bool(trajectory.diverged) else steps
    played = max(played, 1)
    support = jax.tree_util.tree_map(lambda a: a[:played], trajectory.params)

    gaps = local_cce_gaps(game, support, delta_value, starts=starts, steps=ascent_steps, seed=seed)
    norms = np.asarray(_own_gradients(game, support), dtype=float)
    gradient_norms = [norms[:, i] for i in range(game.n_players)]
    smooth = [lipschitz] * game.n_players if lipschitz is not None else _estimated_smoothness(game, support, played)
    interpolation_bounds: list[float | None] = []
    projection_bounds: list[float | None] = []
    for i, d in enumerate(diameters):
        squares = float(np.sum(gradient_norms[i] ** 2))
        curvature = smooth[i] * delta_value**2 / 2
        if optimistic:
            interpolation_bounds.append(None)
            projection_bounds.append(None)
        elif d == 0:
            interpolation_bounds.append(0.0)
            projection_bounds.append(0.0)
        else:
            interpolation_bounds.append(delta_value / d * (d**2 / (2 * eta) + 0.5 * eta * squares) / played
                                        + curvature)
            projection_bounds.append(((delta_value * d + delta_value**2 / 2) / eta + 1.5 * eta * squares) / played
                                     + curvature)
    bounds = [None if a is None or b is None else max(a, b)
              for a, b in zip(interpolation_bounds, projection_bounds, strict=True)]
    utilities = jax.vmap(lambda p: -game.losses(p))(support)
    parameters: dict[str, Any] = {
        "delta": delta_value, "T": played, "learning_rate": eta, "optimistic": optimistic,
        "bound": None if optimistic else max(b for b in bounds if b is not None),
        "bounds": tuple(bounds), "interpolation_bounds": tuple(interpolation_bounds),
        "projection_bounds": tuple(projection_bounds),
        "interpolation_gains": tuple(float(g) for g in gaps.interpolation),
        "projection_gains": tuple(float(g) for g in gaps.projection),
        "gradient_bound": max(float(np.max(g)) for g in gradient_norms), "smoothness": tuple(smooth),
        "smoothness_estimated": lipschitz is None, "diameters": tuple(diameters),
    }
    if bool(trajectory.diverged):
        parameters["stopped_because"] = (f"the gradient play diverged at step {played} (an iterate was not finite); "
                                         "the support ends at the last finite one")
    return SolveResult(
        game=game, method=_METHOD,
        equilibria=(jax.tree_util.tree_map(np.asarray, support),),
        values=(np.asarray(jnp.mean(utilities, axis=0), dtype=float),),
        certificate=(gaps.gap,), certificate_name="local_cce_gap", parameters=parameters, iterations=played,
        seconds=budget.elapsed(), converged=not bool(trajectory.diverged),
    )
