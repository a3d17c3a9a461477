"""STay-ON-the-Ridge (STON'R): a path-following method for local min-max critical points on boxes.

Daskalakis, Golowich, Skoulakis and Zampetakis (COLT 2023), "STay-ON-the-Ridge: Guaranteed Convergence to Local
Minimax Equilibrium in Nonconvex-Nonconcave Games" (arXiv 2210.09769).

**Problem.** ``min_x max_y f(x, y)`` over a box ``X x Y`` (a two-player zero-sum :class:`DifferentiableGame` whose
players both have :class:`~equilibria.core.sets.Box` constraints). The box is mapped affinely onto the unit cube
``[0, 1]^n`` (``n = dim x + dim y``), as the paper does. Write ``w`` for the cube coordinates and ``h(w) = f``; each
coordinate ``k`` has the direction its owner wants it to move, ``V_k = +dh/dw_k`` for the maximiser's coordinates
and ``V_k = -dh/dw_k`` for the minimiser's. Coordinate ``k`` is *satisfied* when ``0 < w_k < 1`` and ``V_k = 0``, or
``w_k = 0`` and ``V_k <= 0``, or ``w_k = 1`` and ``V_k >= 0``. A point where every coordinate is satisfied is a
**min-max critical point**: a solution of the variational inequality of ``(grad_x f, -grad_y f)`` on the box,
first-order stationary for both players (its first-order residual is 0). First order cannot tell a local minimax
point from a local maximin or a saddle of the wrong kind; :func:`equilibria.metrics.residuals.
classify_stationary_point` gives the second-order verdict.

**The method.** Coordinates are introduced one at a time, the maximiser's coordinates first, so that while the
minimiser's coordinates move, ``y`` stays first-order optimal for ``f(x, .)``: the path *stays on the ridge*
``{df/dy = 0}`` (with the box's complementarity for coordinates of ``y`` held at a face). The order is a free
choice of the method (any fixed order of the coordinates gives a path with the same guarantee, and the order decides
which critical point is reached); ours, maximiser first, follows the paper's two-dimensional picture, where ``y``
first climbs to a local maximum of ``f(x_0, .)`` and ``x`` then moves along the ridge. The state is an *epoch*
``(i, S)``: coordinate ``i`` moves; the coordinates ``j < i`` are satisfied, those in ``S`` in the interior with
``V_j = 0``, the others held at a face of the cube with ``V_j`` pointing out of the box; coordinates ``> i`` stay
at 0. Inside an epoch the path is the curve ``{V_S = 0}`` in the coordinates ``S + {i}``, followed along the
oriented unit null vector ``d`` of the ``|S| x (|S| + 1)`` Jacobian ``dV_S / dw_{S+{i}}``, the sign chosen so that
``sign det([dV_S/dw_{S+{i}}^T | d]) = (-1)^|S|`` (the topological orientation that makes the path unable to cycle;
with ``S`` empty ``d = +e_i``). An epoch ends when

- coordinate ``i`` becomes satisfied (``V_i`` reaches 0, or ``w_i`` reaches 1): *good exit*, ``i`` joins ``S``
  (interior) or the held coordinates (face) and the next coordinate starts from 0;
- ``w_i`` returns to 0: *bad exit*, the previous coordinate moves again (the path goes back a level). Our
  extension: coordinates held at face 0 are passed over (they sit at 0 like the coordinates above, and re-entering
  one would move it straight out of the box; see ``_Path.transition``);
- a coordinate of ``S`` reaches a face: it leaves ``S`` and is held there;
- a held coordinate's ``V_j`` turns into the box (*middling exit*): it joins ``S``.

The path starts at the corner ``w = 0`` (the lower corner of the box, or any corner given as ``start``) and ends
when the last coordinate is satisfied. The non-degeneracy assumptions are two: the Jacobian block that defines the
direction has a one-dimensional null space along the path, and exits happen one coordinate at a time. The paper
proves (under smoothness and these assumptions) that
this path does not cycle and reaches a min-max critical point; it is explicitly *not* the descent of a potential,
so there is no monotone quantity to check along the path.

**Numerics (our choices, not the paper's).** The paper's algorithm moves by fixed steps along ``d`` and tests the
exits with a tolerance ``epsilon``. Here each step is an Euler predictor along ``d`` of at
most ``step_size`` (cube units), followed by a Newton (minimum-norm) corrector back onto ``{V_S = 0}``; exits are
located by bisection along the step and the final point is polished by Newton on the square system
``V_{S+{i}} = 0``, so the returned point meets tight tolerances. A rank-deficient ``dV_S/dw_{S+{i}}`` (the paper's
non-degeneracy assumption failing, e.g. a ridge point where ``d^2 f / dy^2`` and ``d^2 f / dx dy`` both vanish),
an orientation that contradicts the analysis, or a chain of exits that makes no progress stop the solver with
``converged=False`` and ``parameters["stopped_because"]`` saying which.

**Certificate.** :func:`equilibria.metrics.residuals.first_order_residual` (step 1): ``max(r_x, r_y)`` with
``r_x = ||x - P_X(x - grad_x f)||`` and ``r_y = ||y - P_Y(y + grad_y f)||``, 0 exactly at min-max critical points.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from equilibria.core.errors import GameError, NotApplicableError
from equilibria.core.result import SolveResult
from equilibria.core.sets import Box
from equilibria.games.differentiable import DifferentiableGame, Params
from equilibria.metrics.residuals import first_order_residual
from equilibria.solvers._common import Budget

METHOD = "stonr"
CERTIFICATE_NAME = "first_order_residual"

_NEWTON_ITERATIONS = 8
_BISECTIONS = 60
_MIN_STEP_FRACTION = 1e-9  # below step_size * this the path is declared impossible to follow
_MAX_IDLE_TRANSITIONS_PER_COORDINATE = 3  # exits without movement before declaring a degenerate junction


# -- the problem on the unit cube ------------------------------------------------------------------------------

@dataclass(frozen=True)
class _CubeProblem:
    """The game seen on ``[0, 1]^n`` in the algorithm's coordinate order (maximiser's coordinates first).

    ``to_box(w) -> [n]`` box coordinates in the game's order (player 0's flat parameters, then player 1's);
    ``field_and_jacobian(w) -> (V [n], dV/dw [n, n])``.
    """

    n: int
    n_max: int  # the first n_max algorithm coordinates belong to the maximiser (player 1)
    to_box: Callable[[np.ndarray], np.ndarray]
    to_params: Callable[[np.ndarray], Params]
    field_and_jacobian: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
    gradient_scale: float


def _player_layout(box: Box, template: Any) -> tuple[np.ndarray, np.ndarray, Callable[[Any], Any]]:
    """Flat lower/upper bounds matching ``ravel_pytree(template)`` and its unravel function."""
    leaves = jax.tree_util.tree_leaves(template)
    lower = np.concatenate([np.broadcast_to(np.asarray(box.lower, dtype=float), np.shape(a)).ravel()
                            for a in leaves])
    upper = np.concatenate([np.broadcast_to(np.asarray(box.upper, dtype=float), np.shape(a)).ravel()
                            for a in leaves])
    _, unravel = ravel_pytree(template)
    return lower, upper, unravel


def _build_problem(game: DifferentiableGame, corner: Params) -> _CubeProblem:
    """Map the box onto the cube so that ``corner`` becomes ``w = 0`` (coordinates at an upper bound flip)."""
    lower_x, upper_x, unravel_x = _player_layout(game.constraints[0], corner[0])  # type: ignore[arg-type]
    lower_y, upper_y, unravel_y = _player_layout(game.constraints[1], corner[1])  # type: ignore[arg-type]
    n_min, n_max = lower_x.size, lower_y.size
    # algorithm order: y's coordinates, then x's
    lower = np.concatenate([lower_y, lower_x])
    width = np.concatenate([upper_y, upper_x]) - lower
    start = np.concatenate([np.asarray(ravel_pytree(corner[1])[0]), np.asarray(ravel_pytree(corner[0])[0])])
    flip = np.abs(start - (lower + width)) < np.abs(start - lower)
    owner = np.concatenate([np.ones(n_max), -np.ones(n_min)])  # +1: maximiser wants V = +dh/dw

    def box_coordinates(w: Any) -> Any:
        cube = jnp.where(flip, 1.0 - w, w)
        return lower + width * cube

    def params_of(w: Any) -> Params:
        z = box_coordinates(w)
        return unravel_x(z[n_max:]), unravel_y(z[:n_max])

    def objective(w: jax.Array) -> jax.Array:
        return game.losses(params_of(w))[0]

    grad = jax.grad(objective)

    @jax.jit
    def field_and_jacobian(w: jax.Array) -> tuple[jax.Array, jax.Array]:
        return owner * grad(w), owner[:, None] * jax.jacfwd(grad)(w)

    def evaluate(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        v, jac = field_and_jacobian(jnp.asarray(w))
        return np.asarray(v, dtype=float), np.asarray(jac, dtype=float)

    def to_box(w: np.ndarray) -> np.ndarray:
        z = np.asarray(box_coordinates(jnp.asarray(w)))
        return np.concatenate([z[n_max:], z[:n_max]])

    v0, _ = evaluate(np.zeros(n_min + n_max))
    if not np.all(np.isfinite(v0)):
        raise GameError("ridge_solve(game): the gradient at the starting corner is not finite")
    return _CubeProblem(n=n_min + n_max, n_max=n_max, to_box=to_box, to_params=params_of,
                        field_and_jacobian=evaluate, gradient_scale=max(1.0, float(np.max(np.abs(v0)))))


# -- input checks ------------------------------------------------------------------------------------------------

def _check_game(game: Any) -> DifferentiableGame:
    if not isinstance(game, DifferentiableGame):
        raise GameError(f"ridge_solve(game): expected a DifferentiableGame, got {type(game).__name__}")
    if game.n_players != 2:
        raise NotApplicableError(f"ridge_solve(game): STON'R needs a two-player zero-sum game, this one has "
                                 f"{game.n_players} players")
    for player, c in enumerate(game.constraints):
        if not isinstance(c, Box):
            raise NotApplicableError(f"ridge_solve(game): STON'R needs Box constraints on both players, player "
                                     f"{player} has {type(c).__name__}")
        lower, upper = np.asarray(c.lower, dtype=float), np.asarray(c.upper, dtype=float)
        if not (np.all(np.isfinite(lower)) and np.all(np.isfinite(upper)) and np.all(lower < upper)):
            raise NotApplicableError(f"ridge_solve(game): player {player}'s Box must be bounded with lower < upper "
                                     f"in every coordinate, got lower={c.lower!r}, upper={c.upper!r}")
    return game


def _lower_corner(game: DifferentiableGame) -> Params:
    corner = []
    for c in game.constraints:
        box: Box = c  # type: ignore[assignment]
        shape = np.broadcast_shapes(np.shape(box.lower), np.shape(box.upper))
        corner.append(np.broadcast_to(np.asarray(box.lower, dtype=np.float64), shape).copy())
    return tuple(corner)


def _check_corner(game: DifferentiableGame, start: Any) -> Params:
    params = game.check_params(start, "ridge_solve(start)")
    params = tuple(jax.tree_util.tree_map(lambda a: np.asarray(a, dtype=np.float64), p) for p in params)
    for player, (p, c) in enumerate(zip(params, game.constraints, strict=True)):
        box: Box = c  # type: ignore[assignment]
        for leaf in jax.tree_util.tree_leaves(p):
            lower = np.broadcast_to(np.asarray(box.lower, dtype=float), leaf.shape)
            upper = np.broadcast_to(np.asarray(box.upper, dtype=float), leaf.shape)
            slack = 1e-12 * (upper - lower)
            at_corner = (np.abs(leaf - lower) <= slack) | (np.abs(leaf - upper) <= slack)
            if not np.all(at_corner):
                raise GameError(f"ridge_solve(start): STON'R starts at a corner of the box; player {player}'s "
                                f"parameters are not all at a lower or upper bound")
    return params


def _check_zero_sum(game: DifferentiableGame, corner: Params, seed: int = 0) -> None:
    """Check ``loss_0 + loss_1 = 0`` at the corner, the centre and a few seeded points of the box."""
    rng = np.random.default_rng(seed)
    with jax.enable_x64(True):
        points = [corner, _box_point(game, corner, lambda shape: np.full(shape, 0.5))]
        points += [_box_point(game, corner, lambda shape: rng.uniform(size=shape)) for _ in range(3)]
        evaluate = jax.jit(game.losses)  # one compilation instead of op-by-op dispatch at every point
        for params in points:
            losses = np.asarray(evaluate(params), dtype=float)
            if not np.all(np.isfinite(losses)):
                raise GameError("ridge_solve(game): the losses are not finite inside the box")
            if abs(losses[0] + losses[1]) > 1e-9 * (1.0 + abs(losses[0]) + abs(losses[1])):
                raise NotApplicableError(f"ridge_solve(game): STON'R needs a zero-sum game (loss_0 + loss_1 = 0), "
                                         f"got losses {losses[0]:.6g} and {losses[1]:.6g}; use "
                                         f"DifferentiableGame.zero_sum")


def _box_point(game: DifferentiableGame, like: Params, fraction: Callable[[tuple[int, ...]], np.ndarray]) -> Params:
    out = []
    for p, c in zip(like, game.constraints, strict=True):
        box: Box = c  # type: ignore[assignment]

        def place(leaf: np.ndarray, box: Box = box) -> np.ndarray:
            lower = np.broadcast_to(np.asarray(box.lower, dtype=float), np.shape(leaf))
            upper = np.broadcast_to(np.asarray(box.upper, dtype=float), np.shape(leaf))
            return lower + (upper - lower) * fraction(np.shape(leaf))

        out.append(jax.tree_util.tree_map(place, p))
    return tuple(out)


# -- the path ----------------------------------------------------------------------------------------------------

class _Stop(Exception):
    """The path cannot be continued; the message says which assumption failed."""


@dataclass
class _Epoch:
    """STON'R's state: the moving coordinate ``i``, the interior-stationary set ``S``, the held faces."""

    i: int
    interior: list[int] = field(default_factory=list)  # S, kept sorted
    held: dict[int, int] = field(default_factory=dict)  # coordinate -> face (0 or 1)

    def free(self) -> list[int]:
        return [*self.interior, self.i]

    def describe(self) -> str:
        return f"(i={self.i}, S={self.interior}, held={dict(sorted(self.held.items()))})"


@dataclass(frozen=True)
class _Event:
    kind: str  # "satisfied", "face_of_i", "face_of_S", "turns_inward"
    coordinate: int
    face: int = 0


class _Path:
    """Follows STON'R's path on the cube with a predictor-corrector, locating every exit by bisection."""

    def __init__(self, problem: _CubeProblem, step_size: float, budget: Budget) -> None:
        self.problem = problem
        self.step_size = step_size
        self.budget = budget
        self.value_tol = 1e-12 * problem.gradient_scale
        self.event_tol = 1e-10 * problem.gradient_scale
        self.face_tol = 1e-12
        self.rank_tol = 1e-9
        self.w = np.zeros(problem.n)
        self.v, self.jac = problem.field_and_jacobian(self.w)
        self.points: list[np.ndarray] = [self.w.copy()]
        self.events: list[str] = []
        self.steps = 0
        self.transitions = 0

    @property
    def iterations(self) -> int:
        return self.steps + self.transitions

    # -- the direction field ------------------------------------------------------------------------------------
    def direction(self, epoch: _Epoch, jac: np.ndarray) -> np.ndarray:
        """The oriented unit null vector of ``dV_S/dw_{S+{i}}`` (``+e_i`` when ``S`` is empty)."""
        d = np.zeros(self.problem.n)
        if not epoch.interior:
            d[epoch.i] = 1.0
            return d
        free = epoch.free()
        block = jac[np.ix_(epoch.interior, free)]
        _, singular, vt = np.linalg.svd(block)
        if singular[-1] <= self.rank_tol * max(singular[0], self.problem.gradient_scale):
            raise _Stop(f"non-degeneracy assumption fails: dV_S/dw_(S+i) is rank-deficient at epoch "
                        f"{epoch.describe()} (a degenerate ridge point: the stationarity conditions do not cut out "
                        f"a curve)")
        null = vt[-1]
        orientation = np.linalg.det(np.column_stack([block.T, null]))
        if np.sign(orientation) != (-1) ** len(epoch.interior):
            null = -null
        d[free] = null
        return d

    # -- the corrector ------------------------------------------------------------------------------------------
    def correct(self, epoch: _Epoch, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Newton (minimum norm) onto ``{V_S = 0}`` moving only ``S + {i}``; None when it does not converge."""
        rows, free = epoch.interior, epoch.free()
        w = w.copy()
        for _ in range(_NEWTON_ITERATIONS):
            v, jac = self.problem.field_and_jacobian(w)
            if not rows or np.max(np.abs(v[rows])) <= self.value_tol:
                return w, v, jac
            delta, *_ = np.linalg.lstsq(jac[np.ix_(rows, free)], -v[rows], rcond=None)
            w[free] += delta
        v, jac = self.problem.field_and_jacobian(w)
        return (w, v, jac) if np.max(np.abs(v[rows])) <= 1e3 * self.value_tol else None

    # -- exits --------------------------------------------------------------------------------------------------
    def event_values(self, epoch: _Epoch, w: np.ndarray, v: np.ndarray) -> dict[_Event, float]:
        """Each exit as a function that is positive before it happens and reaches 0 when it does."""
        i = epoch.i
        values = {_Event("satisfied", i): v[i], _Event("face_of_i", i, 0): w[i], _Event("face_of_i", i, 1): 1 - w[i]}
        for j in epoch.interior:
            values[_Event("face_of_S", j, 0)] = w[j]
            values[_Event("face_of_S", j, 1)] = 1 - w[j]
        for j, face in epoch.held.items():
            # a held coordinate is satisfied while V_j points out of the box
            values[_Event("turns_inward", j, face)] = -v[j] if face == 0 else v[j]
        return values

    def rates(self, epoch: _Epoch, d: np.ndarray, jac: np.ndarray) -> dict[_Event, float]:
        """d/ds of every event function along the direction ``d``."""
        out = {}
        for event in self.event_values(epoch, self.w, self.v):
            j = event.coordinate
            if event.kind == "satisfied":
                out[event] = float(jac[j] @ d)
            elif event.kind in ("face_of_i", "face_of_S"):
                out[event] = d[j] if event.face == 0 else -d[j]
            else:
                out[event] = -float(jac[j] @ d) if event.face == 0 else float(jac[j] @ d)
        return out

    def immediate_event(self, epoch: _Epoch, d: np.ndarray, fresh: bool) -> _Event | None:
        """An exit that happens at the epoch's first point: an event function at 0 and decreasing along ``d``."""
        values = self.event_values(epoch, self.w, self.v)
        rates = self.rates(epoch, d, self.jac)
        satisfied = _Event("satisfied", epoch.i)
        if fresh and self.v[epoch.i] <= self.event_tol:
            return _Event("face_of_i", epoch.i, 0) if self.w[epoch.i] <= self.face_tol else satisfied
        if abs(values[satisfied]) <= self.event_tol and rates[satisfied] <= 0:
            raise _Stop(f"orientation assumption fails at epoch {epoch.describe()}: re-entering a level, the path "
                        f"would move with V_i <= 0 (degenerate junction)")
        for event, value in values.items():
            tol = self.event_tol if event.kind in ("satisfied", "turns_inward") else self.face_tol
            if event.kind != "satisfied" and value <= tol and rates[event] < 0:
                return event
        return None

    def fired(self, before: dict[_Event, float], w: np.ndarray, v: np.ndarray, epoch: _Epoch) -> list[_Event]:
        after = self.event_values(epoch, w, v)
        return [e for e, value in after.items() if value < 0 and before[e] >= -self.event_tol]

    # -- one epoch ----------------------------------------------------------------------------------------------
    def run_epoch(self, epoch: _Epoch, fresh: bool) -> _Event | None:
        """Follow the epoch's curve until an exit (returned) or the budget runs out (None)."""
        d = self.direction(epoch, self.jac)
        event = self.immediate_event(epoch, d, fresh)
        if event is not None:
            return event
        h = self.step_size
        while not self.budget.exhausted(self.iterations):
            before = self.event_values(epoch, self.w, self.v)
            trial = self.correct(epoch, self.w + h * d)
            d_new = self.direction(epoch, trial[2]) if trial is not None else None
            if trial is None or d_new is None or float(d_new @ d) < 0.9:
                h /= 2  # corrector failed or the curve turns sharply: shorten the step
                if h < _MIN_STEP_FRACTION * self.step_size:
                    raise _Stop(f"the path could not be followed at epoch {epoch.describe()} (step below "
                                f"{h:.1e}); likely a degenerate point of the ridge")
                continue
            w_new, v_new, jac_new = trial
            fired = self.fired(before, w_new, v_new, epoch)
            if fired:
                return self.locate(epoch, d, h, before)
            self.w, self.v, self.jac = w_new, v_new, jac_new
            self.points.append(w_new.copy())
            self.steps += 1
            d = d_new
            h = min(self.step_size, 2 * h)
        return None

    def locate(self, epoch: _Epoch, d: np.ndarray, h: float, before: dict[_Event, float]) -> _Event:
        """Bisection along the step for the first exit; moves the path to it."""
        lo, hi = 0.0, h
        found: tuple[np.ndarray, np.ndarray, np.ndarray, list[_Event]] | None = None
        for _ in range(_BISECTIONS):
            mid = 0.5 * (lo + hi)
            trial = self.correct(epoch, self.w + mid * d)
            if trial is None:
                lo = mid  # cannot happen for a step the corrector already handled; be safe
                continue
            fired = self.fired(before, trial[0], trial[1], epoch)
            if fired:
                hi, found = mid, (*trial, fired)
            else:
                lo = mid
            if hi - lo <= 1e-15 * max(1.0, h):
                break
        if found is None:
            trial = self.correct(epoch, self.w + hi * d)
            assert trial is not None
            found = (*trial, self.fired(before, trial[0], trial[1], epoch))
        w, v, jac, fired = found
        self.w, self.v, self.jac = w, v, jac
        self.points.append(w.copy())
        after = self.event_values(epoch, w, v)
        return min(fired, key=lambda e: after[e])  # the one furthest past its threshold is the first to happen

    # -- the whole path -----------------------------------------------------------------------------------------
    def spent(self) -> str:
        """Which budget stopped the path (it has just been found exhausted)."""
        limit = self.budget.max_iterations
        if limit is not None and self.iterations >= limit:
            return f"iteration budget spent (max_iterations={limit} path steps)"
        return f"time budget spent (max_seconds={self.budget.max_seconds:g}, {self.iterations} path steps)"

    def run(self) -> tuple[bool, str]:
        """Follow the path from the corner; returns (reached a critical point, why it stopped otherwise)."""
        n = self.problem.n
        epoch, fresh = _Epoch(0), True
        idle, last_length = 0, 0
        try:
            while epoch.i < n:
                if self.budget.exhausted(self.iterations):
                    return False, self.spent()
                event = self.run_epoch(epoch, fresh)
                if event is None:
                    return False, self.spent()
                self.transitions += 1
                idle = idle + 1 if len(self.points) == last_length else 0
                last_length = len(self.points)
                if idle > _MAX_IDLE_TRANSITIONS_PER_COORDINATE * n:
                    raise _Stop("assumption that exits happen one at a time fails: the exits cycle without the "
                                "path moving (degenerate junction)")
                epoch, fresh = self.transition(epoch, event)
        except _Stop as stop:
            return False, str(stop)
        self.polish(epoch)
        return True, ""

    def transition(self, epoch: _Epoch, event: _Event) -> tuple[_Epoch, bool]:
        i, j = epoch.i, event.coordinate
        interior, held = list(epoch.interior), dict(epoch.held)
        self.events.append(f"{event.kind} (coordinate {j}) at epoch {epoch.describe()}")
        if event.kind == "satisfied":  # good exit in the interior
            return _Epoch(i + 1, sorted([*interior, i]), held), True
        if event.kind == "face_of_i":
            self.w[i] = float(event.face)
            if event.face == 1 and self.v[i] < 0:  # moving up against V_i: the epoch's invariant is broken
                raise _Stop(f"coordinate {i} reached its upper face with V pointing into the box (a degenerate "
                            f"junction: the paper's non-degeneracy assumption fails)")
            if event.face == 1 or self.v[i] <= 0:  # good exit at a face: V_i points out of the box there
                held[i] = event.face
                return _Epoch(i + 1, interior, held), True
            # bad exit: w_i is back at 0, so the point solves the lower levels and the previous coordinate moves
            # again. Coordinates held at face 0 are skipped: they sit at 0 like every coordinate above the moving
            # one, and re-entering them would move them straight out of the box (their oriented direction has the
            # sign of d_i < 0), so the path continues at the first level that can move.
            previous = i - 1
            while previous >= 0 and held.get(previous) == 0:
                del held[previous]
                previous -= 1
            if previous < 0:
                raise _Stop("the path returned to the starting corner (impossible under the paper's assumptions)")
            interior = [k for k in interior if k != previous]
            held.pop(previous, None)
            return _Epoch(previous, interior, held), False
        if event.kind == "face_of_S":
            self.w[j] = float(event.face)
            interior.remove(j)
            held[j] = event.face
            return _Epoch(i, interior, held), False
        # turns_inward: a held coordinate's V points into the box, it becomes interior-stationary
        del held[j]
        return _Epoch(i, sorted([*interior, j]), held), False

    def polish(self, epoch: _Epoch) -> None:
        """Newton on the square system ``V_S = 0`` over ``S`` at the end (held coordinates stay at their faces)."""
        rows = epoch.interior
        if not rows:
            return
        w = self.w.copy()
        for _ in range(_NEWTON_ITERATIONS):
            v, jac = self.problem.field_and_jacobian(w)
            block = jac[np.ix_(rows, rows)]
            if np.linalg.cond(block) > 1e12:
                return
            w[rows] -= np.linalg.solve(block, v[rows])
        v, _ = self.problem.field_and_jacobian(w)
        v_old, _ = self.problem.field_and_jacobian(self.w)
        inside = np.all((w >= 0) & (w <= 1))
        if inside and np.max(np.abs(v[rows])) < np.max(np.abs(v_old[rows])):
            self.w = w
            self.points[-1] = w.copy()  # the polish refines the path's end point, it is not a step


# -- the solver ----------------------------------------------------------------------------------------------------

def ridge_solve(
    game: Any,
    start: Any = None,
    *,
    tolerance: float = 1e-6,
    step_size: float = 1e-2,
    max_iterations: int = 100_000,
    max_seconds: float | None = None,
) -> SolveResult:
    """A local min-max critical point of ``min_x max_y f`` on a box by STay-ON-the-Ridge (method ``"stonr"``).

    Args:
      game: a two-player zero-sum :class:`DifferentiableGame` (player 0 minimises ``f = loss_0``, player 1
        maximises it; ``loss_1 = -loss_0`` is checked at a few points) with :class:`Box` constraints on both
        players.
      start: a corner of the box to start from (a params tuple whose every coordinate is at a bound); None starts
        at the lower corner, as the paper does. The parameter shapes are those of ``start``, or of the Box bounds
        (scalars for scalar bounds) when ``start`` is None.
      tolerance: the returned point counts as converged when its first-order residual is at most this.
      step_size: the largest predictor step along the path, in unit-cube coordinates.
      max_iterations: the most path steps plus exits.
      max_seconds: wall-clock limit.

    Returns:
      A SolveResult with one profile ``(x, y)``; ``certificate`` is its first-order residual
      (``certificate_name="first_order_residual"``), ``values`` the losses ``(f, -f)``, ``iterations`` the path
      steps plus exits; ``parameters["path"]: [steps, dim x + dim y]`` the visited points (player 0's flat
      parameters, then player 1's), ``parameters["events"]`` the exits in order, and, when ``converged`` is False,
      ``parameters["stopped_because"]`` (budget, a failed non-degeneracy assumption, or a residual above
      ``tolerance``).

    Raises:
      GameError: not a DifferentiableGame, ``start`` not a corner, bad tolerances or budget.
      NotApplicableError: not two players, not zero-sum, or not bounded Box constraints.
    """
    budget = Budget(max_iterations, max_seconds)
    if not (np.isfinite(tolerance) and tolerance > 0):
        raise GameError(f"ridge_solve(tolerance): must be a positive number, got {tolerance!r}")
    if not (np.isfinite(step_size) and 0 < step_size <= 1):
        raise GameError(f"ridge_solve(step_size): must be in (0, 1] (unit-cube coordinates), got {step_size!r}")
    game = _check_game(game)
    with jax.enable_x64(True):
        corner = _lower_corner(game) if start is None else _check_corner(game, start)
        game.check_params(corner, "ridge_solve(start)")
        _check_zero_sum(game, corner)
        problem = _build_problem(game, corner)
        path = _Path(problem, step_size, budget)
        reached, stopped_because = path.run()
        params = tuple(jax.tree_util.tree_map(np.asarray, p) for p in problem.to_params(path.w))
        values = np.asarray(game.losses(params), dtype=float)
        trajectory = np.stack([problem.to_box(w) for w in path.points])
    with jax.enable_x64(True):  # the certificate in float64, like the path
        residual = first_order_residual(game, params)
    converged = reached and residual <= tolerance
    if reached and not converged:
        stopped_because = f"the path ended with first-order residual {residual:.3g} above tolerance {tolerance:g}"
    parameters: dict[str, Any] = {
        "tolerance": tolerance, "step_size": step_size, "max_iterations": max_iterations,
        "max_seconds": max_seconds, "start": "lower corner" if start is None else "given corner",
        "path": trajectory, "events": tuple(path.events),
    }
    if not converged:
        parameters["stopped_because"] = stopped_because
    return SolveResult(
        game=game,
        method=METHOD,
        equilibria=(params,),
        values=(values,),
        certificate=(residual,),
        certificate_name=CERTIFICATE_NAME,
        parameters=parameters,
        iterations=path.iterations,
        seconds=budget.elapsed(),
        converged=converged,
    )


__all__ = ["ridge_solve"]
