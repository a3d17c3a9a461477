"""A dense interior-point method for large matrix games that works on a shrinking subgame.

The LP (see :mod:`equilibria.solvers.zero_sum_lp`): with row payoffs mapped to ``P: [m, n]``, entries in ``[1, 2]``,
solve ``min 1^T u  s.t.  P^T u - s = 1, u, s >= 0`` and its dual ``max 1^T w  s.t.  P w + z = 1, w, z >= 0``; then
``x = u / 1^T u`` and ``y = w / 1^T w``. Complementary pairs are ``(u_i, z_i)`` for rows and ``(w_j, s_j)`` for
columns: at the solution a row in the support of ``x`` has ``z_i = 0`` and any other row has ``u_i = 0``.

Iteration. Mehrotra's (1992) predictor-corrector on the normal equations ``(P^T diag(u / z) P + diag(s / w)) dw = r``
(the side with fewer strategies is ``n``), plus one Gondzio (1996) centrality corrector, kept only when it lengthens
the step. The normal matrix is formed by a BLAS rank-k update and factored in float32 (twice as fast as float64; the
iterate, the residuals and everything else stay float64), each float32 solve gets one step of iterative refinement,
and float64 takes over for good once the refinement's correction shows a forward error above
``_FLOAT32_FORWARD_ERROR`` or the float32 factorisation fails: as the iterate nears the boundary, float32 directions
go wrong long before the factorisation fails, and a wrong enough one steers the iteration to a wrong face. The
start ``u = 1.05 / (m min_j mean_i P_ij)``, ``w = 0.95 / (n max_i mean_j P_ij)`` is strictly feasible and close to
the value, which saves a step or two over a looser one.

Shrinking. A random ``n x n`` game has supports of about ``n / 2``, and the complementary pairs tell early which
strategies are heading out. With the balanced log-ratios ``r_i = log10(m (u_i / 1^T u) / (z_i / 1^T w))`` (a row's
probability over its regret, in units where a uniform strategy scores 0; columns alike), every strategy with
``r < min(_DROP_LEVEL, median(r) - _DROP_BELOW_MEDIAN)`` is dropped from the working subgame (the median term keeps
everything while the ratios have not spread yet). Later steps factor a much smaller normal matrix. Dropping is a guess,
so every step checks the dropped strategies against the full game: a dropped row with ``1 - (P w)_i < 0`` (it beats
the current dual guarantee) is restored and never dropped again (likewise a column with ``(P^T u)_j < 1``). Restored
early, a pair is inserted near the central path; restored after ``mu`` fell below ``_LATE_RATIO`` times its starting
value, the iterate is too close to the boundary to absorb it, so the iteration resumes from the last snapshot (taken
at each shrink) that was still above that level. After ``_MAX_RESTARTS`` such restarts the working set becomes the
full game and shrinking stops, which is the plain interior point.

Crossover. Whenever the supports the iterate predicts (``u_i > z_i``, ``w_j > s_j``; when their sizes differ by one,
the top ``k`` of each side by ratio) change, both strategies are re-derived from the equalities on them: one LU
factorisation of ``P[S, J]`` gives ``P[S, J]^T u_S = 1`` and ``P[S, J] w_J = 1``, with two steps of iterative
refinement. The pair is returned only if it is a pair of distributions whose duality gap on the FULL game is at
rounding level, so the answer never depends on the guesses above. Degenerate games (supports of different sizes)
never pass and return None, as does a stall or the budget; the caller then uses HiGHS.

Measured (one core, ``OPENBLAS_NUM_THREADS=1``, uniform random ``n x n`` games from the benchmark's seeds, CPU
seconds, median of three games). n = 2000: 1.25 s in 14-15 steps; the same iteration without shrinking takes 2.7 s,
and the previous full-size float64 interior point took 21 steps of 0.2 s, after which its crossover was rejected (a
gap of 1.2e-13 with the old acceptance test, no refinement) and HiGHS solved the game: 43 s in all. Three full-size
float32 steps take about 0.45 s, then the working set falls to about 1.15 n / 2 per side within five steps; without
float32 the run takes 1.5 s, without the Gondzio corrector it takes 16-18 steps. n = 1000: 0.22 s (0.39 s without
shrinking, 0.6 s before); n = 500: 0.036 s (0.058 s, 0.09 s). Out of 110 uniform games of sizes 100-1500 and 60
rectangular, normal and exponential ones, none was left to HiGHS; games whose payoffs are heavy-tailed (Cauchy),
nearly low-rank or duplicated are. Tried and dropped: a more aggressive shrinking rule (``_DROP_LEVEL = 1.5``) restored
800-1000 strategies per 2000x2000 game and took longer; inserting late restores in place stalled the iteration
(steps of 0.003) and left 2 of 30 800x800 games to HiGHS; crossing over only when the predicted supports have equal
sizes left a 400x400 game with a support weight of 3e-8 to HiGHS, and stopping at ``mu = 1e-15`` a 600x600 one.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import linalg

from equilibria.solvers._common import Budget

# Steps over all restarts; a converging run takes 10-25.
_MAX_STEPS = 100
# Below this average complementarity (P has entries in [1, 2]) the iteration stops. A support weight of 5e-4 may need
# mu near 1e-16 before its pair separates; doubles carry the iteration that far.
_MIN_MU = 1e-18
# The uniform start guarantees 1 + _START_MARGIN (rows) and 1 - _START_MARGIN (columns) of the scaled value.
_START_MARGIN = 0.05
# Fraction of the way to the boundary of the positive orthant taken in each step.
_STEP_TO_BOUNDARY = 0.99
# A duality gap, relative to the payoff range, at rounding level: the crossover is accepted below it.
_ROUNDING_GAP = 1e-13
# Largest estimated forward error (relative) of a float32 solve of the normal equations before float64 takes over.
_FLOAT32_FORWARD_ERROR = 1e-2
# Shrinking rule (decades of the balanced ratio, see the module docstring), tuned on random games: looser rules
# keep more of the game for longer, tighter ones restore strategies (and restart) more often.
_DROP_LEVEL = 1.0
_DROP_BELOW_MEDIAN = 1.0
# Shrink only when it removes at least this fraction of the working set (each shrink copies the subgame).
_MIN_DROP_FRACTION = 0.02
# Subgames with a side smaller than this are not shrunk: nothing to gain, and a wrong guess costs a restart.
_MIN_SHRINK_SIZE = 48
# Restoring a strategy after mu fell below this fraction of its start resumes from a snapshot instead.
_LATE_RATIO = 1e-5
_MAX_RESTARTS = 3
# Gondzio's corrector: target step lengths, the band of complementarity products around the centre it aims at,
# and the improvement in step length it must bring to be kept.
_GONDZIO_STEP_FACTOR, _GONDZIO_STEP_EXTRA = 1.5, 0.1
_GONDZIO_BAND = (0.1, 10.0)
_GONDZIO_MIN_GAIN = 1.01

_Direction = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # (du, ds, dw, dz)


@dataclass(frozen=True)
class MatrixGameSolution:
    """A minimax pair of the full game and how the interior point got there.

    ``x: [m]``, ``y: [n]`` (probability vectors); ``iterations`` counts interior-point steps over all restarts;
    ``smallest_subgame`` is the smallest working set ``(rows, columns)`` a step was taken on; ``restored`` counts
    strategies dropped by mistake and restored; ``restarts`` counts resumptions from a snapshot.
    """

    x: np.ndarray
    y: np.ndarray
    iterations: int
    smallest_subgame: tuple[int, int]
    restored: int
    restarts: int


def solve_matrix_game(a: np.ndarray, budget: Budget, *, shrink: bool = True) -> MatrixGameSolution | None:
    """The maximin ``x`` and minimax ``y`` of the row payoffs ``a: [m, n]``, or None (then use HiGHS).

    ``shrink=False`` keeps the full game throughout (the plain interior point). Returns None for a degenerate
    game, a stall, or when ``budget`` runs out.
    """
    if np.ptp(a) == 0:  # every pair is minimax
        m, n = a.shape
        return MatrixGameSolution(np.full(m, 1.0 / m), np.full(n, 1.0 / n), 0, (m, n), 0, 0)
    if a.shape[1] > a.shape[0]:  # the normal matrix is built on the smaller side
        found = solve_matrix_game(-a.T, budget, shrink=shrink)
        if found is None:
            return None
        rows, columns = found.smallest_subgame
        return MatrixGameSolution(found.y, found.x, found.iterations, (columns, rows), found.restored, found.restarts)
    return _ShrinkingInteriorPoint(a, budget, shrink).run()


@dataclass
class _Point:
    """A primal-dual point ``(u, z)`` over rows and ``(w, s)`` over columns of the full game, all positive.

    Only the entries on the working set ``rows`` x ``columns`` (sorted indices) take part in the iteration; the
    others keep the value they had when dropped.
    """

    u: np.ndarray
    z: np.ndarray
    w: np.ndarray
    s: np.ndarray
    rows: np.ndarray
    columns: np.ndarray
    mu: float = field(default=0.0)

    def copy(self) -> _Point:
        return _Point(self.u.copy(), self.z.copy(), self.w.copy(), self.s.copy(), self.rows, self.columns, self.mu)

    def active(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(u, z, w, s)`` on the working set."""
        return self.u[self.rows], self.z[self.rows], self.w[self.columns], self.s[self.columns]

    def complementarity(self) -> float:
        u, z, w, s = self.active()
        return float(u @ z + s @ w) / (len(u) + len(w))


class _ShrinkingInteriorPoint:
    """The iteration of the module docstring on ``a: [m, n]`` with ``m >= n``."""

    def __init__(self, a: np.ndarray, budget: Budget, shrink: bool) -> None:
        m, n = a.shape
        self.budget, self.shrinking = budget, shrink
        self.p = (a - a.min()) / np.ptp(a) + 1.0
        u = np.full(m, (1.0 + _START_MARGIN) / (m * self.p.mean(axis=0).min()))
        w = np.full(n, (1.0 - _START_MARGIN) / (n * self.p.mean(axis=1).max()))
        self.point = _Point(u, 1.0 - self.p @ w, w, self.p.T @ u - 1.0, np.arange(m), np.arange(n))
        self.start_mu = self.point.mu = self.point.complementarity()
        self.kept_rows, self.kept_columns = np.zeros(m, bool), np.zeros(n, bool)  # restored: never dropped again
        self.snapshots: list[_Point] = []
        self.single_precision = True
        self.tried = b""
        self.smallest = (m, n)
        self.restarts = 0
        self._set_subgame()

    def run(self) -> MatrixGameSolution | None:
        for step in range(_MAX_STEPS):
            found = self._crossover()
            if found is not None:
                restored = int(self.kept_rows.sum() + self.kept_columns.sum())
                return MatrixGameSolution(*found, step, self.smallest, restored, self.restarts)
            self._restore_violated()
            if self.point.mu < _MIN_MU or self.budget.exhausted(step):
                return None
            if self.shrinking:
                self._shrink()
            if not self._step():
                return None
        return None

    # -- working set ------------------------------------------------------------------------------------------

    def _set_subgame(self) -> None:
        rows, columns = self.point.rows, self.point.columns
        whole = len(rows) == self.p.shape[0] and len(columns) == self.p.shape[1]
        self.sub = self.p if whole else self.p[np.ix_(rows, columns)]
        self.sub32 = self.sub.astype(np.float32) if self.single_precision else None
        self.smallest = min(self.smallest, (len(rows), len(columns)), key=lambda size: size[0] * size[1])

    def _shrink(self) -> None:
        """Drop the strategies whose balanced ratio says they are leaving the support (module docstring)."""
        point = self.point
        if min(len(point.rows), len(point.columns)) < _MIN_SHRINK_SIZE:
            return
        u, z, w, s = point.active()
        keep_rows = _keep(self.p.shape[0] * (u / z) * (w.sum() / u.sum()), u > z) | self.kept_rows[point.rows]
        keep_columns = _keep(self.p.shape[1] * (w / s) * (u.sum() / w.sum()), w > s) | self.kept_columns[point.columns]
        dropped = (~keep_rows).sum() + (~keep_columns).sum()
        if dropped <= _MIN_DROP_FRACTION * (len(u) + len(w)) or not keep_rows.any() or not keep_columns.any():
            return
        self.snapshots.append(point.copy())
        point.rows, point.columns = point.rows[keep_rows], point.columns[keep_columns]
        point.mu = point.complementarity()
        self._set_subgame()

    def _restore_violated(self) -> None:
        """Bring back dropped strategies that the full game needs (module docstring)."""
        point = self.point
        if len(point.rows) == self.p.shape[0] and len(point.columns) == self.p.shape[1]:
            return
        row_slack, column_slack = self._full_slacks()
        rows = np.setdiff1d(np.flatnonzero(row_slack < 0), point.rows, assume_unique=True)
        columns = np.setdiff1d(np.flatnonzero(column_slack < 0), point.columns, assume_unique=True)
        if len(rows) == 0 and len(columns) == 0:
            return
        self.kept_rows[rows], self.kept_columns[columns] = True, True
        if point.mu < _LATE_RATIO * self.start_mu and self.snapshots:
            self._resume_from_snapshot()
            point = self.point
            row_slack, column_slack = self._full_slacks()
            # Everything restored so far comes back, also what was restored after the snapshot was taken.
            rows = np.setdiff1d(np.flatnonzero(self.kept_rows), point.rows, assume_unique=True)
            columns = np.setdiff1d(np.flatnonzero(self.kept_columns), point.columns, assume_unique=True)
        # Near the central path: the slack keeps its size (made positive, at least sqrt(mu)), its partner makes
        # the product mu; a violated slack leaves a residual that the next steps remove.
        root = np.sqrt(point.mu)
        point.z[rows] = np.maximum(np.abs(row_slack[rows]), root)
        point.u[rows] = point.mu / point.z[rows]
        point.s[columns] = np.maximum(np.abs(column_slack[columns]), root)
        point.w[columns] = point.mu / point.s[columns]
        point.rows, point.columns = np.union1d(point.rows, rows), np.union1d(point.columns, columns)
        point.mu = point.complementarity()
        self._set_subgame()

    def _full_slacks(self) -> tuple[np.ndarray, np.ndarray]:
        """``1 - P w: [m]`` and ``P^T u - 1: [n]`` on the full game, with the dropped strategies' weights at 0."""
        point = self.point
        w, u = np.zeros(self.p.shape[1]), np.zeros(self.p.shape[0])
        w[point.columns], u[point.rows] = point.w[point.columns], point.u[point.rows]
        return 1.0 - self.p @ w, u @ self.p - 1.0

    def _resume_from_snapshot(self) -> None:
        """Go back to the last snapshot still well inside the orthant; after too many, to the full game."""
        self.restarts += 1
        level = _LATE_RATIO * self.start_mu
        if self.restarts > _MAX_RESTARTS:
            self.point = self.snapshots[0].copy()
            self.point.rows, self.point.columns = np.arange(self.p.shape[0]), np.arange(self.p.shape[1])
            self.point.mu = self.point.complementarity()
            self.shrinking = False
        else:
            self.point = next((s for s in reversed(self.snapshots) if s.mu >= level), self.snapshots[0]).copy()
        self.tried = b""

    # -- crossover --------------------------------------------------------------------------------------------

    def _crossover(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The verified pair from the supports the iterate predicts, if they are new and it passes."""
        point = self.point
        u, z, w, s = point.active()
        rows, columns = point.rows[u > z], point.columns[w > s]
        if abs(len(rows) - len(columns)) == 1:  # one strategy is undecided: rank both sides to the larger size
            k = max(len(rows), len(columns))
            rows = np.sort(point.rows[np.argsort(z / u)[:k]])
            columns = np.sort(point.columns[np.argsort(s / w)[:k]])
        key = rows.tobytes() + b"|" + columns.tobytes()
        if key == self.tried or len(rows) != len(columns) or len(rows) == 0:
            return None
        self.tried = key
        found = equalising_pair(self.p, rows, columns)
        if found is None:
            return None
        x, y = found
        # The gap on P is the gap on A over its range, without the rounding of a large offset in A.
        return found if (self.p @ y).max() - (x @ self.p).min() <= _ROUNDING_GAP else None

    # -- one predictor-corrector step -------------------------------------------------------------------------

    def _step(self) -> bool:
        """One step on the working set; False when the normal matrix cannot be factored."""
        point = self.point
        u, z, w, s = point.active()
        while True:
            factor = self._factor_normal_matrix(u, z, w, s)
            if factor is None:
                return False
            equations = _NormalEquations(self.sub, factor, u / z, s / w)
            (du, ds, dw, dz), primal_step, dual_step = _mehrotra_direction(self.sub, equations, u, z, w, s, point.mu)
            if equations.accurate:
                break
            self.single_precision, self.sub32 = False, None  # float32 has run out of digits: float64 from now on
        rows, columns = point.rows, point.columns
        point.u[rows], point.s[columns] = u + primal_step * du, s + primal_step * ds
        point.w[columns], point.z[rows] = w + dual_step * dw, z + dual_step * dz
        point.mu = point.complementarity()
        return True

    def _factor_normal_matrix(
        self, u: np.ndarray, z: np.ndarray, w: np.ndarray, s: np.ndarray
    ) -> tuple[np.ndarray, bool] | None:
        """Cholesky factor of ``P^T diag(u / z) P + diag(s / w)`` on the working set (float32 while it exists)."""
        if self.single_precision and self.sub32 is not None:
            weighted = np.sqrt(u / z).astype(np.float32)[:, None] * self.sub32
            factor = _cholesky(linalg.blas.ssyrk(1.0, weighted.T, trans=0, lower=0), (s / w).astype(np.float32))
            if factor is not None:
                return factor
            self.single_precision, self.sub32 = False, None
        weighted64 = np.sqrt(u / z)[:, None] * self.sub
        return _cholesky(linalg.blas.dsyrk(1.0, weighted64.T, trans=0, lower=0), s / w)


def _keep(ratio: np.ndarray, predicted_in: np.ndarray) -> np.ndarray:
    """Which strategies stay, from their balanced ratios (module docstring); predicted support always stays."""
    level = np.log10(ratio)
    return (level >= min(_DROP_LEVEL, float(np.median(level)) - _DROP_BELOW_MEDIAN)) | predicted_in


def _cholesky(normal: np.ndarray, diagonal: np.ndarray) -> tuple[np.ndarray, bool] | None:
    """Upper Cholesky factor of ``normal + diag(diagonal)`` (upper triangle of ``normal`` used), or None."""
    normal[np.diag_indices_from(normal)] += diagonal
    try:
        factor = linalg.cho_factor(normal, lower=False, overwrite_a=True, check_finite=False)
    except np.linalg.LinAlgError:
        return None
    # An overflow (float32) can leave infinities that LAPACK factors without complaint.
    return factor if np.all(np.isfinite(np.diag(factor[0]))) else None


class _NormalEquations:
    """Solves ``(P^T diag(row_weights) P + diag(column_diagonal)) dw = rhs`` with a Cholesky factor of that matrix.

    A float32 factor solves with a small residual (backward stable) but, as the iterate nears the boundary and the
    weights spread over many decades, with a large forward error, long before its factorisation fails; a direction
    wrong enough steers the iteration to a wrong face. So every float32 solve takes one step of iterative refinement
    (residual in float64), and ``accurate`` turns False when the first solve's correction, an estimate of its
    forward error, exceeds ``_FLOAT32_FORWARD_ERROR`` of the solution.
    """

    def __init__(
        self, p: np.ndarray, factor: tuple[np.ndarray, bool], row_weights: np.ndarray, column_diagonal: np.ndarray
    ) -> None:
        self.p, self.factor, self.row_weights, self.column_diagonal = p, factor, row_weights, column_diagonal
        self.single = factor[0].dtype == np.float32
        self.accurate, self.checked = True, False

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        dw = self._factor_solve(rhs)
        if self.single:
            residual = rhs - (self.p.T @ (self.row_weights * (self.p @ dw)) + self.column_diagonal * dw)
            correction = self._factor_solve(residual)
            if not self.checked:
                self.checked = True
                self.accurate = bool(np.abs(correction).max() <= _FLOAT32_FORWARD_ERROR * np.abs(dw).max())
            dw += correction
        return dw

    def _factor_solve(self, rhs: np.ndarray) -> np.ndarray:
        return linalg.cho_solve(self.factor, rhs.astype(self.factor[0].dtype), check_finite=False).astype(float)


def _mehrotra_direction(
    p: np.ndarray,
    equations: _NormalEquations,
    u: np.ndarray,
    z: np.ndarray,
    w: np.ndarray,
    s: np.ndarray,
    mu: float,
) -> tuple[_Direction, float, float]:
    """Mehrotra's direction ``(du, ds, dw, dz)`` with one Gondzio corrector, and the primal and dual steps to take."""
    primal, dual = 1.0 - (p.T @ u - s), 1.0 - p @ w - z  # residuals: rounding drift and dropped strategies

    def newton(target_uz: np.ndarray, target_sw: np.ndarray) -> _Direction:
        """The step moving ``u z`` by ``target_uz`` and ``s w`` by ``target_sw`` (and removing the residuals)."""
        rhs = primal - p.T @ ((target_uz - u * dual) / z) + target_sw / w
        dw = equations.solve(rhs)
        dz = dual - p @ dw
        return (target_uz - u * dz) / z, (target_sw - s * dw) / w, dw, dz

    def steps(direction: _Direction) -> tuple[float, float]:
        du, ds, dw, dz = direction
        return _max_step((u, du), (s, ds)), _max_step((w, dw), (z, dz))

    # Predictor: the affine-scaling direction (all products to 0).
    du, ds, dw, dz = newton(-u * z, -s * w)
    primal_step, dual_step = steps((du, ds, dw, dz))
    mu_affine = float((u + primal_step * du) @ (z + dual_step * dz) + (s + primal_step * ds) @ (w + dual_step * dw)) / (
        len(u) + len(w)
    )
    centre = (mu_affine / mu) ** 3 * mu  # Mehrotra's centring heuristic
    # Corrector: aim at the centre and cancel the predictor's second-order term.
    target_uz, target_sw = centre - u * z - du * dz, centre - s * w - ds * dw
    direction = newton(target_uz, target_sw)
    primal_step, dual_step = steps(direction)
    # Gondzio: push the products that a longer step would leave far from the centre back into a band around it.
    du, ds, dw, dz = direction
    trial_primal = min(1.0, _GONDZIO_STEP_FACTOR * primal_step + _GONDZIO_STEP_EXTRA)
    trial_dual = min(1.0, _GONDZIO_STEP_FACTOR * dual_step + _GONDZIO_STEP_EXTRA)
    low, high = _GONDZIO_BAND[0] * centre, _GONDZIO_BAND[1] * centre
    products_uz = (u + trial_primal * du) * (z + trial_dual * dz)
    products_sw = (s + trial_primal * ds) * (w + trial_dual * dw)
    corrected = newton(target_uz + _into_band(products_uz, low, high), target_sw + _into_band(products_sw, low, high))
    corrected_steps = steps(corrected)
    if sum(corrected_steps) >= _GONDZIO_MIN_GAIN * (primal_step + dual_step):
        direction, (primal_step, dual_step) = corrected, corrected_steps
    return direction, _STEP_TO_BOUNDARY * primal_step, _STEP_TO_BOUNDARY * dual_step


def _into_band(products: np.ndarray, low: float, high: float) -> np.ndarray:
    """The change that brings each product into ``[low, high]`` (capped at ``-high`` for the large ones)."""
    return np.clip(low - products, 0.0, None) - np.clip(products - high, 0.0, high)


def _max_step(*pairs: tuple[np.ndarray, np.ndarray]) -> float:
    """The largest ``t <= 1`` keeping every ``v + t dv`` non-negative."""
    step = 1.0
    for v, dv in pairs:
        falling = dv < 0
        if falling.any():
            step = min(step, float((-v[falling] / dv[falling]).min()))
    return step


def equalising_pair(p: np.ndarray, rows: np.ndarray, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Strategies on ``rows`` x ``columns`` (equal sizes) that make the other side indifferent, if distributions.

    ``p: [m, n]`` has positive entries (so the value is positive): solves ``P[S, J]^T u = 1`` and ``P[S, J] w = 1``
    with one LU factorisation and two steps of iterative refinement, and returns ``(u / 1^T u, w / 1^T w)`` padded
    with zeros to ``[m]`` and ``[n]``; None when the block is singular or a weight is negative.
    """
    block = p[np.ix_(rows, columns)]
    ones = np.ones(len(rows))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        lu = linalg.lu_factor(block, check_finite=False)
        u = linalg.lu_solve(lu, ones, trans=1, check_finite=False)
        w = linalg.lu_solve(lu, ones, trans=0, check_finite=False)
        for _ in range(2):
            u += linalg.lu_solve(lu, ones - block.T @ u, trans=1, check_finite=False)
            w += linalg.lu_solve(lu, ones - block @ w, trans=0, check_finite=False)
    if not (np.all(np.isfinite(u)) and np.all(np.isfinite(w))) or u.min() < 0 or w.min() < 0:
        return None
    x, y = np.zeros(p.shape[0]), np.zeros(p.shape[1])
    x[rows], y[columns] = u / u.sum(), w / w.sum()
    return x, y
