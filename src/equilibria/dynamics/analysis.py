"""Local linear analysis of learning dynamics: update operators, spectral radii, measured rates, closed forms.

Near a fixed point ``s*`` of a dynamic's update ``s <- F(s)`` the error evolves as ``s_t - s* ~ DF^t (s_0 - s*)``,
so the iterates converge linearly at rate ``rho(DF)`` (the spectral radius) when ``rho < 1``, spiral out when
``rho > 1`` and neither (cycle, or drift polynomially) when ``rho = 1``. :func:`update_operator` builds ``DF`` by
differentiating ``dynamics.update`` with respect to *every* float leaf of the state, so a method's memory (optimistic
GDA's previous gradient, a momentum buffer, an optimizer's moments) is part of the linearisation; integer leaves
(step counters) are held fixed. :func:`measured_rate` reads the same rate off a trajectory, so a test can set the
prediction against what the runner actually did. :func:`is_rest_point`, :func:`run_outcome` and
:func:`perturbed_start` say what one run did, for reports that must not contradict the linearisation silently
(:mod:`equilibria.dynamics.report`).

Closed forms on ``f(x, y) = sigma * x * y`` (``J = [[0, sigma], [-sigma, 0]]``, eigenvalues ``+-i sigma``), with
``a = eta * sigma`` (see :func:`predicted_bilinear_radius`):

- simultaneous GDA: ``sqrt(1 + a^2)`` (diverges for every ``eta``);
- alternating GDA: ``1`` for ``a <= 2`` (the iterates conserve ``x^2 + y^2 - a x y``; Bailey, Gidel and Piliouras
  2020, "Finite regret and cycles with fixed step-size via alternating gradient descent-ascent");
- extragradient: ``sqrt(1 - a^2 + a^4)``;
- optimistic GDA: ``sqrt((1 + sqrt(1 - 4 a^2)) / 2)`` for ``a <= 1/2`` (in general the larger root modulus of
  ``l^2 - (1 - 2 i a) l - i a``; converges iff ``a < 1/sqrt(3)``); Gidel et al. 2019, Mokhtari, Ozdaglar and
  Pattathil 2020;
- competitive gradient descent: ``1 / sqrt(1 + a^2)`` (Schaefer and Anandkumar 2019);
- Hamiltonian gradient descent: ``|1 - eta sigma^2|`` (Loizou et al. 2020);
- consensus optimization: ``sqrt((1 - eta gamma sigma^2)^2 + a^2)`` (Mescheder et al. 2017).
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any, Literal

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from equilibria.core.errors import GameError
from equilibria.core.sets import Simplex
from equilibria.dynamics.base import Dynamics
from equilibria.dynamics.run import Trajectory
from equilibria.games.differentiable import DifferentiableGame, Params

Classification = Literal["converging", "cycling", "diverging"]


def _is_float_leaf(leaf: Any) -> bool:
    return bool(jnp.issubdtype(jnp.asarray(leaf).dtype, jnp.floating))


def update_operator(dynamics: Dynamics, game: DifferentiableGame, state: Any) -> jax.Array:
    """``[d, d]``: the Jacobian of ``dynamics.update(game, .)`` at ``state``.

    ``d`` counts every float entry of the state (the iterate first, then the method's memory, in pytree order);
    integer leaves such as step counters are held at their values. Pure JAX: works under ``jit`` and ``vmap``.
    """
    if not isinstance(dynamics, Dynamics):
        raise GameError(f"update_operator: dynamics must be a Dynamics (init, update) pair, got "
                        f"{type(dynamics).__name__}")
    if not isinstance(game, DifferentiableGame):
        raise GameError(f"update_operator: game must be a DifferentiableGame, got {type(game).__name__}")
    # One compilation instead of op-by-op dispatch of a second-order computation (inside a caller's jit or vmap
    # this jit is simply inlined). The dynamic is a static argument of one module-level jit, so the same dynamic
    # (methods.MethodSpec builds each step size once) linearised again reuses the compiled program.
    try:
        hash(dynamics)
    except TypeError:  # a hyperparameter that is an array: compile for this call only
        return jax.jit(partial(_linearise, dynamics))(game, state)
    return _linearise_jit(dynamics, game, state)


def _linearise(dynamics: Dynamics, game: DifferentiableGame, state: Any) -> jax.Array:
    leaves, treedef = jax.tree_util.tree_flatten(state)
    is_float = [_is_float_leaf(leaf) for leaf in leaves]
    if not any(is_float):
        raise GameError("update_operator: the state has no float leaves to linearise")
    flat, unravel = ravel_pytree([leaf for leaf, f in zip(leaves, is_float, strict=True) if f])

    def float_part(tree: Any) -> jax.Array:
        return ravel_pytree([leaf for leaf in jax.tree_util.tree_leaves(tree) if _is_float_leaf(leaf)])[0]

    def step(vector: jax.Array) -> jax.Array:
        floats = iter(unravel(vector))
        rebuilt = [next(floats) if f else leaf for leaf, f in zip(leaves, is_float, strict=True)]
        return float_part(dynamics.update(game, jax.tree_util.tree_unflatten(treedef, rebuilt)))

    out_shape = jax.eval_shape(step, flat)
    if out_shape.shape != flat.shape:
        raise GameError(f"update_operator: {dynamics.name}'s update changes the state's float size "
                        f"({flat.size} -> {out_shape.shape[0]}); the update is not a map of the state to itself")
    return jax.jacfwd(step)(flat)


_linearise_jit = jax.jit(_linearise, static_argnums=0)


def _eigenvalues(matrix: Any, caller: str) -> np.ndarray:
    array = np.asarray(matrix, dtype=np.float64)
    if not np.all(np.isfinite(array)):
        raise GameError(f"{caller}: the matrix has NaN or infinite entries (the dynamic is not differentiable "
                        f"at this state, or its step overflowed)")
    return np.linalg.eigvals(array)


def spectral_radius(dynamics: Dynamics, game: DifferentiableGame, state: Any) -> float:
    """The largest eigenvalue modulus of :func:`update_operator` at ``state`` (float64 eigenvalues)."""
    operator = update_operator(dynamics, game, state)
    return float(np.max(np.abs(_eigenvalues(operator, "spectral_radius"))))


def classify(radius: float, tol: float = 1e-6) -> Classification:
    """``"converging"`` if ``radius < 1 - tol``, ``"diverging"`` if ``radius > 1 + tol``, else ``"cycling"``."""
    value = float(radius)
    if math.isnan(value) or value < 0:
        raise GameError(f"classify: radius must be a number >= 0, got {radius!r}")
    if not (math.isfinite(float(tol)) and tol >= 0):
        raise GameError(f"classify: tol must be a finite number >= 0, got {tol!r}")
    if value < 1 - tol:
        return "converging"
    if value > 1 + tol:
        return "diverging"
    return "cycling"


def observed_behaviour(distances: Any, *, rel_tol: float = 0.01) -> Classification:
    """What a trajectory did, from its distances to the equilibrium (one per record, oldest first).

    Compares the envelope (the largest distance) over the last quarter of the records with the quarter before the
    midpoint, so a bounded orbit that is not a circle (alternating GDA's ellipses) reads as cycling rather than
    as a single ratio's wobble: ``"converging"`` if the envelope shrank by more than ``rel_tol``, ``"diverging"``
    if it grew by more, else ``"cycling"``. The quarters should each span at least one rotation of the orbit.
    """
    values = np.asarray(distances, dtype=np.float64)
    if values.ndim != 1 or values.shape[0] < 8:
        raise GameError(f"observed_behaviour: expected at least 8 distances in a 1-D array, got shape {values.shape}")
    quarter = values.shape[0] // 4
    early, late = np.max(values[quarter:2 * quarter]), np.max(values[-quarter:])
    if not np.isfinite(late) or late > (1 + rel_tol) * early:
        return "diverging"
    if late < (1 - rel_tol) * early:
        return "converging"
    return "cycling"


def measured_rate(distances: Trajectory | Any, *, window: int | None = None, metric: str = "distance",
                  steps_between_records: int = 1) -> float:
    """The per-step contraction factor at the end of a run, ``(d_T / d_{T-k})^(1 / k)``.

    Args:
      distances: a :class:`~equilibria.dynamics.run.Trajectory` whose ``metrics[metric]`` holds distances to the
        equilibrium (e.g. from ``run.distance_to``), or a 1-D array of distances, one per record.
      window: how many records back ``d_{T-k}`` lies (default: half the records).
      metric: the metric's name in a trajectory.
      steps_between_records: for an array, the number of steps between consecutive records (a trajectory carries
        its own step indices).

    Returns:
      The measured factor per step (compare with :func:`spectral_radius`); ``inf`` for a trajectory that diverged
      (its recorded values stop at the last finite state).
    """
    if isinstance(distances, Trajectory):
        if metric not in distances.metrics:
            known = ", ".join(sorted(distances.metrics)) or "none"
            raise GameError(f"measured_rate: the trajectory has no metric {metric!r} (recorded: {known}); run with "
                            f"metrics={{{metric!r}: distance_to(equilibrium)}}")
        if bool(np.any(np.asarray(distances.diverged))):
            return math.inf
        values = np.asarray(distances.metrics[metric], dtype=np.float64)
        steps = np.asarray(distances.steps, dtype=np.float64)
    else:
        every = steps_between_records
        if isinstance(every, bool) or not isinstance(every, int | np.integer) or every < 1:
            raise GameError(f"measured_rate: steps_between_records must be a positive integer, got {every!r}")
        values = np.asarray(distances, dtype=np.float64)
        steps = every * np.arange(values.shape[0], dtype=np.float64) if values.ndim == 1 else np.zeros(0)
    if values.ndim != 1 or values.shape[0] < 2:
        raise GameError(f"measured_rate: expected at least two distances in a 1-D array, got shape {values.shape}")
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise GameError("measured_rate: distances must be finite and >= 0")
    k = values.shape[0] // 2 if window is None else window
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= k < values.shape[0]:
        raise GameError(f"measured_rate: window must be an integer in [1, {values.shape[0] - 1}], got {window!r}")
    start, end = values[-1 - k], values[-1]
    span = steps[-1] - steps[-1 - k]
    if start == 0:
        return 0.0 if end == 0 else math.inf
    return float((end / start) ** (1.0 / span))


def field_eigenvalues(game: DifferentiableGame, params: Params) -> np.ndarray:
    """``[d]`` complex: the eigenvalues of the game Jacobian at ``params`` (float64), sorted by real part, then
    imaginary part (values equal to 1e-9 relative are tied, so rounding noise does not reorder them)."""
    if not isinstance(game, DifferentiableGame):
        raise GameError(f"field_eigenvalues: game must be a DifferentiableGame, got {type(game).__name__}")
    values = _eigenvalues(jax.jit(DifferentiableGame.jacobian)(game, tuple(params)), "field_eigenvalues")
    scale = max(1.0, float(np.max(np.abs(values)))) if values.size else 1.0
    quantum = 1e-9 * scale
    order = np.lexsort((np.round(values.imag / quantum), np.round(values.real / quantum)))
    return values[order]


_BILINEAR_METHODS = ("gda", "alternating_gda", "extragradient", "optimistic_gda", "cgd", "hamiltonian", "consensus")


def _positive(value: Any, caller: str, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise GameError(f"{caller}: {name} must be a positive finite number, got {value!r}") from None
    if not (math.isfinite(number) and number > 0):
        raise GameError(f"{caller}: {name} must be a positive finite number, got {value!r}")
    return number


def _largest_root_modulus(coefficients: list[complex]) -> float:
    return float(np.max(np.abs(np.roots(np.asarray(coefficients, dtype=complex)))))


def predicted_bilinear_radius(method: str, a: float, *, sigma: float | None = None, gamma: float = 1.0,
                              learning_rate: float | None = None) -> float:
    """The spectral radius of ``method`` on ``f = sigma * x * y`` with step ``eta = a / sigma`` (module docstring).

    Args:
      method: a dynamic's name: ``gda``, ``alternating_gda``, ``extragradient``, ``optimistic_gda``, ``cgd``,
        ``hamiltonian`` or ``consensus``.
      a: ``eta * sigma > 0``.
      sigma: the coupling (only Hamiltonian GD and consensus depend on it beyond ``a``); default 1, or
        ``a / learning_rate`` when that is given.
      gamma: consensus optimization's weight.
      learning_rate: ``eta``, another way to fix ``sigma``; given with ``sigma``, ``eta * sigma`` must equal ``a``.
    """
    caller = "predicted_bilinear_radius"
    if method not in _BILINEAR_METHODS:
        raise GameError(f"{caller}: unknown method {method!r}; known: {', '.join(_BILINEAR_METHODS)}")
    a = _positive(a, caller, "a")
    if learning_rate is None:
        sigma = 1.0 if sigma is None else _positive(sigma, caller, "sigma")
    else:
        eta = _positive(learning_rate, caller, "learning_rate")
        if sigma is None:
            sigma = a / eta
        elif not math.isclose(eta * _positive(sigma, caller, "sigma"), a, rel_tol=1e-12):
            raise GameError(f"{caller}: a must equal learning_rate * sigma, got a={a!r}, learning_rate={eta!r}, "
                            f"sigma={sigma!r}")
    if method == "gda":
        return math.sqrt(1 + a * a)
    if method == "alternating_gda":  # iteration matrix [[1, -a], [a, 1 - a^2]]: det 1, trace 2 - a^2
        return _largest_root_modulus([1, -(2 - a * a), 1]) if a > 2 else 1.0
    if method == "extragradient":
        return math.sqrt(1 - a * a + a ** 4)
    if method == "optimistic_gda":
        if a <= 0.5:
            return math.sqrt((1 + math.sqrt(1 - 4 * a * a)) / 2)
        # beyond 1/2 the roots of l^2 = (1 - 2 j eta) l + j eta, j = i sigma an eigenvalue of J, are complex
        return _largest_root_modulus([1, -(1 - 2j * a), -1j * a])
    if method == "cgd":
        return 1 / math.sqrt(1 + a * a)
    if method == "hamiltonian":
        return abs(1 - a * sigma)
    weight = float(gamma)
    if not (math.isfinite(weight) and weight >= 0):
        raise GameError(f"{caller}: gamma must be a finite number >= 0, got {gamma!r}")
    return math.hypot(1 - a * weight * sigma, a)  # consensus


# -- what a run did ----------------------------------------------------------------------------------------------
# A run's verdict and the linearisation's must not contradict each other silently: a start at a rest point never
# moves (so "converged" there says nothing), and a start on the stable subspace of an unstable equilibrium
# converges although almost every nearby start diverges. The command line reports both, and settles the question
# with a perturbed start (perturbed_start).
Outcome = Literal["converged", "converging", "cycling", "diverging"]


def is_rest_point(dynamics: Dynamics, game: DifferentiableGame, state: Any, *, atol: float = 1e-12) -> bool:
    """Whether one update leaves the iterate where it is: ``max |params' - params| <= atol * max(1, max |params|)``
    over every float entry of ``state.params``. A run from a rest point never moves, so it shows nothing about
    the rest point's stability."""
    if not isinstance(dynamics, Dynamics):
        raise GameError(f"is_rest_point: dynamics must be a Dynamics (init, update) pair, got "
                        f"{type(dynamics).__name__}")
    before = np.asarray(ravel_pytree(tuple(state.params))[0], dtype=np.float64)
    after = np.asarray(ravel_pytree(tuple(jax.jit(dynamics.update)(game, state).params))[0], dtype=np.float64)
    if not (np.all(np.isfinite(before)) and np.all(np.isfinite(after))):
        return False
    scale = max(1.0, float(np.max(np.abs(before)))) if before.size else 1.0
    return bool(np.max(np.abs(after - before), initial=0.0) <= atol * scale)


def run_outcome(values: Any, *, atol: float = 1e-9, rel_tol: float = 0.01) -> Outcome:
    """What a run did, from a metric that is 0 exactly at its target (a distance to the equilibrium, NashConv, a
    stationarity residual), one value per record, oldest first.

    ``"converged"`` when the last value is at most ``atol * max(1, first value)`` (the target reached up to
    rounding); otherwise :func:`observed_behaviour` on the records (the trend of the late envelope). A late orbit
    that is steady but entirely farther from the target than the start (beyond ``rel_tol``; a dynamic on a
    simplex that spiralled out to the boundary and circles there) is ``"diverging"``, one entirely nearer is
    ``"converging"``. With fewer than 8 records, the last value against the first. A non-finite value (an
    overflow) is ``"diverging"``.
    """
    series = np.asarray(values, dtype=np.float64)
    if series.ndim != 1 or series.shape[0] < 1:
        raise GameError(f"run_outcome: expected a non-empty 1-D array of metric values, got shape {series.shape}")
    if not np.all(np.isfinite(series)):
        return "diverging"
    first = float(series[0])
    if series[-1] <= atol * max(1.0, first):
        return "converged"
    late = series[-max(1, series.shape[0] // 4):]
    trend = observed_behaviour(series, rel_tol=rel_tol) if series.shape[0] >= 8 else "cycling"
    if trend != "cycling":
        return trend
    if np.min(late) > (1 + rel_tol) * first:
        return "diverging"
    return "converging" if np.max(late) < (1 - rel_tol) * first else "cycling"


def perturbed_start(game: DifferentiableGame, params: Params, *, key: jax.Array, scale: float = 1e-6) -> Params:
    """``params`` moved by about ``scale`` (Euclidean norm over the whole profile) in a random direction that keeps
    every player inside its constraint set: on a simplex the direction is tangent (it keeps the sum), and every
    player's point is projected onto its set afterwards (which may shorten the move at a boundary).

    Args:
      game: the game, for its constraint sets.
      params: the profile, one array per player.
      key: a ``jax.random`` key (the direction is a function of it alone).
      scale: the size of the move, a positive finite number.
    """
    size = _positive(scale, "perturbed_start", "scale")
    points = [np.asarray(p, dtype=np.float64) for p in params]
    if len(points) != game.n_players:
        raise GameError(f"perturbed_start: expected one array per player ({game.n_players}), got {len(points)}")
    # One draw for the whole profile, then NumPy: a handful of tiny JAX ops would each compile.
    flat = np.asarray(jax.random.normal(key, (sum(p.size for p in points),)), dtype=np.float64)
    directions = []
    for p, constraint in zip(points, game.constraints, strict=True):
        d, flat = flat[:p.size].reshape(p.shape), flat[p.size:]
        directions.append(d - d.mean() if isinstance(constraint, Simplex) else d)
    norm = float(np.sqrt(sum(float(np.sum(d * d)) for d in directions)))
    factor = size / norm if norm > 0 else 0.0
    return tuple(jnp.asarray(constraint.project(p + factor * d), dtype=jnp.asarray(original).dtype)
                 for p, d, constraint, original in zip(points, directions, game.constraints, params, strict=True))
