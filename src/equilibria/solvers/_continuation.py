"""Arclength predictor-corrector continuation of a curve ``H(x) = 0``, ``x = (u, lambda)``, from ``lambda = 0``.

Shared by the logit QRE tracers (:mod:`equilibria.solvers.qre` on normal forms, :mod:`equilibria.solvers.agent_qre`
on game trees). A *system* (:class:`HomotopySystem`) supplies ``H: [N]`` and its Jacobian ``[N, N + 1]`` at a point
``x: [N + 1]`` whose last entry is the homotopy parameter ``lambda``, and the start point at ``lambda = 0``.

The method is Allgower & Georg's ("Introduction to Numerical Continuation Methods"): the tangent is the null vector
of the Jacobian (from a QR factorisation of its transpose); Newton's corrector uses the Moore-Penrose pseudo-inverse;
the step shrinks when the corrector struggles (first correction, contraction rate or tangent angle above nominal
values) and grows, up to doubling, when it does not. The trace ends at exactly ``lambda_max`` (tangent predictor,
then Newton at fixed ``lambda``), on the budget, or where the branch is lost (the step falls below rounding, or
``lambda`` turns negative); :meth:`PathTracer.stopped_because` says which.

Orientation and branch jumping. The tangent's direction is fixed by the sign of ``det [J; t^T]`` (A&G, section 2.1),
not by its dot product with the previous tangent: that sign is constant along a regular branch, turning points
included (``J`` keeps full rank there), so ``lambda`` may decrease through them. A large step can carry the
predictor past a sharp bend to within the corrector's reach of a *neighbouring* branch; Newton then converges
there, and where the neighbour runs the other way in this orientation (a solution curve that comes back from
``lambda = inf`` and turns) the dot-product rule would silently follow it, with every step-size test satisfied and
``lambda`` still increasing. With the determinant's orientation such a landing shows as a tangent pointing back
(``t_new . t < 0``): the step is rejected and halved. A genuine bifurcation point (``J`` rank deficient, only in
degenerate systems) also flips the sign, for every step that crosses it; a flip that persists down to a step of
:data:`FLIP_STEP` (or to the rounding floor) is taken to be one, crossed, and the orientation sign is changed there.
The landing on ``lambda_max`` passes the same tests as a step (orientation, angle, distance from the predictor).

With ``max_seconds`` the clock is also read before each corrector iteration: on large systems one iteration (an
evaluation and a QR factorisation) takes a good part of a second, a step up to ten of them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Protocol

import numpy as np
from scipy.linalg import solve_triangular

from equilibria.solvers._common import Budget

# Step-size control (Allgower & Georg's deceleration factor): a step whose first Newton correction,
# contraction rate or tangent turn exceeds twice its nominal value is rejected; otherwise the next step is
# scaled towards the nominal values.
NOMINAL_DISTANCE = 0.1
NOMINAL_CONTRACTION = 0.3
NOMINAL_ANGLE = 0.2
MAX_CORRECTOR_ITERATIONS = 10
# The corrector stops once its update is this small relative to the size of the point (lambda included).
CORRECTOR_TOL = 1e-12
# ... or once the residual is at the rounding level of its terms (tens of ulps of the point's largest entry):
# with an ill-conditioned Jacobian the updates then only bounce in the noise.
RESIDUAL_FLOOR = 1e-14
# Below this step (relative to the point's size) the path is considered lost.
MIN_STEP = 1e-13
# An orientation flip that persists for steps this short (or near the rounding floor of MIN_STEP) is a bifurcation
# point crossed, not a jump between branches: so close, the predictor lies within the corrector's tolerance of the
# branch it left.
FLIP_STEP = 1e-6


class HomotopySystem(Protocol):
    """``H(x)`` and its Jacobian; ``x = (u, lambda)`` with ``u: [size]``."""

    @property
    def size(self) -> int:
        """``N``, the number of equations (and of unknowns besides ``lambda``)."""
        ...

    def start(self) -> np.ndarray:
        """``x [N + 1]`` at ``lambda = 0`` with ``H(x) = 0``."""
        ...

    def evaluate(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``H(x): [N]`` and its Jacobian ``[N, N + 1]`` (the last column is ``dH / dlambda``)."""
        ...


def factor(jac: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """QR of ``jac.T``: ``(Q [N+1, N+1], R1 [N, N], tangent [N+1])``; None when ``jac`` is singular."""
    q, r = np.linalg.qr(jac.T, mode="complete")
    r1 = r[:-1]
    diag = np.abs(np.diag(r1))
    if diag.size and not diag.min() > 1e-14 * max(1.0, float(diag.max())):
        return None
    return q, r1, q[:, -1]


def orientation(q: np.ndarray, r1: np.ndarray) -> float:
    """The sign of ``det [J; t^T]`` for ``t = q[:, -1]`` (``J^T = Q [R1; 0]``, so ``[J^T, t] = Q diag(R1, 1)``)."""
    sign_q = np.linalg.slogdet(q)[0]
    return float(sign_q * np.prod(np.sign(np.diag(r1))))


def at_rounding_floor(residual: np.ndarray, x: np.ndarray) -> bool:
    """Whether ``H(x)`` is as small as rounding in its terms allows (``x``'s entries set its scale)."""
    return bool(np.abs(residual).max(initial=0.0) <= RESIDUAL_FLOOR * (1.0 + float(np.abs(x).max())))


# A candidate is confirmed only if the QRE point's distance to it shrank at least this much since the previous
# checkpoint (lambda has at least doubled; near a generic limit the distance is O(1 / lambda)).
GAP_SHRINK = 0.75


def confirms(gap: float, previous: tuple[bool, float, float] | None) -> bool:
    """The rule ``qre`` and ``agent_qre`` stop on: a certified candidate at distance ``gap`` from the path's
    point is confirmed when there was one at the previous checkpoint too, the distance shrank by :data:`GAP_SHRINK`,
    and both have the same support or lie within ``max(1e-6, gap)`` of each other. ``previous``: None, or
    ``(same support as the previous candidate, distance to it, the previous gap)``."""
    if previous is None:
        return False
    same_support, distance, previous_gap = previous
    return gap <= GAP_SHRINK * previous_gap and (same_support or distance <= max(1e-6, gap))


def pseudo_newton_step(q: np.ndarray, r1: np.ndarray, residual: np.ndarray) -> np.ndarray:
    """``-J^+ H`` with ``J^T = Q R``: the shortest correction that zeroes the linearised residual."""
    z = solve_triangular(r1, residual, trans="T", lower=False, check_finite=False)
    return np.asarray(-q[:, :-1] @ z)


# Why a trace ended (PathTracer.stop): see PathTracer.stopped_because for the words.
COMPLETE, ITERATIONS, SECONDS, LOST, NEGATIVE, SINGULAR_START = (
    "complete", "iterations", "seconds", "lost", "negative", "singular start")


class PathTracer:
    """Follows the branch of ``system`` from its start; :meth:`points` yields each accepted ``x [N+1]``.

    ``complete`` says whether the trace reached ``lambda_max``; ``steps`` counts accepted steps; ``stop`` says why
    the trace ended (one of the constants above; None while it runs or when the caller stopped iterating).
    """

    def __init__(self, system: HomotopySystem, *, lambda_max: float, step: float, budget: Budget,
                 max_steps: int | None) -> None:
        self.system = system
        self.lambda_max = lambda_max
        self.step = step
        self.budget = budget
        self.max_steps = max_steps
        self.steps = 0
        self.complete = False
        self.stop: str | None = None
        self.last_lambda = 0.0  # lambda at the last accepted point (the system's units)
        self.sign = 1.0  # the sign of det [J; t^T] along the branch (set at the start; flips at bifurcations)

    def stopped_because(self, scale: float = 1.0) -> str:
        """Why the trace ended, in one line; ``scale``: divides lambda into the caller's units."""
        at = f"lambda={self.last_lambda / scale:.4g}"
        if self.stop == COMPLETE:
            return f"the trace reached max_lambda={self.lambda_max / scale:g}"
        if self.stop == ITERATIONS:
            return f"max_iterations={self.max_steps} continuation steps used up at {at}"
        if self.stop == SECONDS:
            return f"max_seconds={self.budget.max_seconds:g} reached at {at}"
        if self.stop == LOST:
            return (f"the branch was lost at {at}: the step fell below rounding (a singular point the predictor "
                    "cannot step over)")
        if self.stop == NEGATIVE:
            return f"the branch was lost at {at}: lambda turned negative (the corrector jumped to another branch)"
        if self.stop == SINGULAR_START:
            return "the Jacobian is singular at the start (lambda = 0)"
        return f"stopped at {at}"

    def points(self) -> Iterator[np.ndarray]:
        x = self.system.start()
        with np.errstate(all="ignore"):
            factored = factor(self.system.evaluate(x)[1])
        if factored is None:  # the systems here have an invertible u-block at lambda = 0; kept for safety
            self.stop = SINGULAR_START
            return
        q, r1, tangent = factored
        # The branch leaves lambda = 0 upwards; its orientation sign is that of det [J; t^T] for this tangent.
        direction = 1.0 if tangent[-1] > 0 else -1.0
        tangent = direction * tangent
        self.sign = direction * orientation(q, r1)
        yield x
        h = self.step
        while not self._out_of_budget():
            if h < MIN_STEP * (1.0 + np.abs(x).max()):
                self.stop = LOST  # a singular point the predictor cannot step over
                return
            landing = tangent[-1] > 0 and x[-1] + h * tangent[-1] >= self.lambda_max
            if landing:
                outcome = self._land(x, tangent)
                if outcome is not None:
                    self.steps += 1
                    self.complete, self.stop, self.last_lambda = True, COMPLETE, float(outcome[-1])
                    yield outcome
                    return
                h = 0.5 * (self.lambda_max - x[-1]) / tangent[-1]
                continue
            attempt = self._step(x, tangent, h)
            if attempt is None:
                h *= 0.5
                continue
            x_new, tangent_new, deceleration, flipped = attempt
            if deceleration > 2.0:
                h *= 0.5
                continue
            if flipped:
                if h > max(FLIP_STEP, 4 * MIN_STEP * (1.0 + np.abs(x).max())):
                    h *= 0.5  # most likely landed on a neighbouring branch: retry closer (module docstring)
                    continue
                self.sign = -self.sign  # a bifurcation point crossed: the orientation changes sign there
            x, tangent = x_new, tangent_new
            self.steps += 1
            self.last_lambda = float(x[-1])
            yield x
            if x[-1] < 0:  # numerically jumped onto another branch back towards lambda = 0: give up
                self.stop = NEGATIVE
                return
            h /= max(deceleration, 0.5)

    def _out_of_budget(self) -> bool:
        if self.max_steps is not None and self.steps >= self.max_steps:
            self.stop = ITERATIONS
            return True
        if self._out_of_time():
            self.stop = SECONDS
            return True
        return False

    def _out_of_time(self) -> bool:
        return self.budget.max_seconds is not None and self.budget.elapsed() >= self.budget.max_seconds

    def _oriented(self, q: np.ndarray, r1: np.ndarray, tangent: np.ndarray) -> tuple[np.ndarray, bool, float]:
        """The new tangent in the branch's orientation, whether that points back against ``tangent`` (then the
        new tangent is returned turned forward), and the angle between the two."""
        new_tangent = q[:, -1] * (self.sign * orientation(q, r1))
        flipped = float(new_tangent @ tangent) < 0
        if flipped:
            new_tangent = -new_tangent
        return new_tangent, flipped, math.acos(min(1.0, float(new_tangent @ tangent)))

    def _step(self, x: np.ndarray, tangent: np.ndarray,
              h: float) -> tuple[np.ndarray, np.ndarray, float, bool] | None:
        """One predictor-corrector step: ``(point, tangent, deceleration, orientation flipped)``; None if the
        corrector fails."""
        y = x + h * tangent
        first = previous = None
        contraction = 0.0
        with np.errstate(all="ignore"):
            for _ in range(MAX_CORRECTOR_ITERATIONS):
                if self._out_of_time():
                    return None  # points() then stops on the budget
                residual, jac = self.system.evaluate(y)
                if not (np.all(np.isfinite(residual)) and np.all(np.isfinite(jac))):
                    return None
                factored = factor(jac)
                if factored is None:
                    return None
                q, r1, _ = factored
                if at_rounding_floor(residual, y):
                    break
                delta = pseudo_newton_step(q, r1, residual)
                size = float(np.linalg.norm(delta))
                if not math.isfinite(size):
                    return None
                y = y + delta
                converged = size <= CORRECTOR_TOL * (1.0 + float(np.abs(y).max()))
                if first is None:
                    first = size
                elif previous is not None and previous > 0 and not converged:
                    contraction = max(contraction, size / previous)
                    if contraction > 2 * NOMINAL_CONTRACTION:
                        return None
                previous = size
                if converged:
                    break
            else:
                return None
            new_tangent, flipped, angle = self._oriented(q, r1, tangent)
        deceleration = max(math.sqrt((first or 0.0) / NOMINAL_DISTANCE),
                           math.sqrt(contraction / NOMINAL_CONTRACTION),
                           angle / NOMINAL_ANGLE)
        return y, new_tangent, deceleration, flipped

    def _land(self, x: np.ndarray, tangent: np.ndarray) -> np.ndarray | None:
        """The point at exactly ``lambda_max``: tangent predictor, then Newton at fixed lambda. None when Newton
        fails or the point fails a step's tests (orientation, tangent angle, distance from the predictor), which
        would mean Newton reached another branch."""
        predictor = x + (self.lambda_max - x[-1]) / tangent[-1] * tangent
        predictor[-1] = self.lambda_max
        y = predictor.copy()
        size = self.system.size
        with np.errstate(all="ignore"):
            for _ in range(MAX_CORRECTOR_ITERATIONS):
                if self._out_of_time():
                    return None
                residual, jac = self.system.evaluate(y)
                try:
                    delta = np.linalg.solve(jac[:, :size], -residual)
                except np.linalg.LinAlgError:
                    return None
                if not np.all(np.isfinite(delta)) or np.abs(delta).max() > NOMINAL_DISTANCE * 2:
                    return None
                y[:size] += delta
                if np.linalg.norm(delta) <= CORRECTOR_TOL * (1.0 + float(np.abs(y).max())):
                    break
                if at_rounding_floor(self.system.evaluate(y)[0], y):
                    break
            else:
                return None
            factored = factor(self.system.evaluate(y)[1])
            if factored is None:
                return None
            _, flipped, angle = self._oriented(factored[0], factored[1], tangent)
        distance = float(np.linalg.norm(y - predictor))
        if flipped or max(math.sqrt(distance / NOMINAL_DISTANCE), angle / NOMINAL_ANGLE) > 2.0:
            return None
        return y


__all__ = ["COMPLETE", "HomotopySystem", "PathTracer", "at_rounding_floor", "factor", "orientation",
           "pseudo_newton_step"]
