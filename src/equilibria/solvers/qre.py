"""Logit quantal response equilibria (QRE) by path tracing, refined to a Nash equilibrium (n players).

Maths (McKelvey & Palfrey 1995, "Quantal response equilibria for normal form games"; Turocy 2005, "A dynamic
homotopy interpretation of the logistic quantal response equilibrium correspondence"): a logit QRE at
precision ``lambda >= 0`` is a mixed profile with ``s_i(a) ∝ exp(lambda v_i(a; s_-i))``, where
``v_i(a; s_-i)`` is player ``i``'s expected payoff of action ``a`` (:meth:`NormalFormGame.action_values`).
At ``lambda = 0`` the unique QRE is uniform; the *principal branch* that starts there is a smooth curve
which, in generic games, converges to a Nash equilibrium as ``lambda -> inf`` (the limiting logit
equilibrium).

The branch is the zero set of ``H(w, lambda)`` in log-probability coordinates ``w_i(a) = log s_i(a)``:

    H[i, 0](w, lambda) = sum_a exp(w_i(a)) - 1
    H[i, a](w, lambda) = w_i(a) - w_i(0) - lambda (v_i(a) - v_i(0))          for a = 1 .. n_actions[i] - 1

``N = sum_i n_actions[i]`` equations in the ``N + 1`` unknowns ``x = (w, lambda)``. The curve is followed by
arclength predictor-corrector continuation (Allgower & Georg, "Introduction to Numerical Continuation
Methods"; the tracer, :mod:`equilibria.solvers._continuation`, is shared with the agent QRE on game trees):
the tangent is the null vector of the Jacobian ``[N, N + 1]`` (from a QR factorisation of its transpose),
oriented by the sign of ``det [J; t^T]``, so ``lambda`` may decrease through turning points and a step that
lands on a neighbouring QRE branch (its tangent then points back) is rejected; Newton's corrector uses the
Moore-Penrose pseudo-inverse; the step shrinks when the corrector struggles (first correction, contraction
rate or tangent angle above nominal values) and grows, up to doubling, when it does not. The Jacobian is
analytic: ``d v_i(a) / d s_j(b)`` is ``payoffs[i]`` contracted with every player's strategy except ``i``'s and
``j``'s.

Payoffs are divided internally by their range, so the geometry of the path and the meaning of ``step`` do not
depend on the payoff unit; ``lambda`` is always reported in the game's own units. In ``w`` coordinates the
Jacobian's condition number grows with ``lambda``; beyond ``lambda * payoff_range ~ 1e8`` it is numerically
singular and the trace stops there (``complete=False``).

Refinement: from time to time (each time ``lambda`` doubles, and where the path ends) the support of the
current QRE point (actions with probability at least ``theta`` times the player's largest, for a few
``theta``) is used to solve the Nash indifference conditions on that support (per player: equal values of the
support actions, probabilities summing to one; a polynomial system for three or more players) by Newton's
method started at the QRE point. The result is a candidate when its probabilities are non-negative and its
max regret (:mod:`equilibria.metrics`) is at most ``tol``. A candidate is confirmed when the previous
checkpoint produced one with the same support (in a nondegenerate game: the same equilibrium; in a degenerate
one, possibly another point of the same component) or within the current QRE point's distance to it, and the
QRE point's distance to it shrank by a quarter or more (near a generic limit it is O(1 / lambda)): an early
support guess can solve to an equilibrium that the branch then turns away from, and this check catches most
of those. It is a heuristic: in degenerate games the answer may be another point of the limit's component.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from equilibria.core.errors import GameError
from equilibria.core.result import SolveResult
from equilibria.games.normal_form import MixedProfile, NormalFormGame
from equilibria.metrics.regret import max_regret
from equilibria.solvers._common import Budget, nash_result, require_normal_form
from equilibria.solvers._continuation import COMPLETE, PathTracer, confirms

# Support thresholds tried at each refinement, relative to the player's largest probability.
_SUPPORT_THRESHOLDS = (1e-2, 1e-4, 1e-8)
# Newton on the indifference system (payoffs scaled to unit range, so this is an absolute tolerance).
_REFINE_ITERATIONS = 50
_REFINE_RESIDUAL = 1e-14
# A refined probability above -this is rounding noise and is clipped to zero.
_NEGATIVE_NOISE = 1e-12


@dataclass(frozen=True)
class QREPath:
    """Points of the principal logit QRE branch, in the order traced.

    Attributes:
      lambdas: ``[k]`` precisions (game units); the first is 0. Not monotone where the branch turns back.
      profiles: ``k`` mixed profiles, ``profiles[t][i]: [n_actions[i]]``, the QRE at ``lambdas[t]``.
      complete: True when the trace reached ``max_lambda`` (False: stopped by the budget or lost the branch).
    """

    lambdas: np.ndarray
    profiles: tuple[MixedProfile, ...]
    complete: bool


class _LogitSystem:
    """``H(w, lambda)`` and its Jacobian for a game whose payoffs were scaled to unit range."""

    def __init__(self, payoffs: np.ndarray) -> None:
        self.payoffs = payoffs  # [n_players, *n_actions]
        self.n_players = payoffs.shape[0]
        self.n_actions = tuple(int(m) for m in payoffs.shape[1:])
        self.offsets = np.concatenate([[0], np.cumsum(self.n_actions)]).astype(int)
        self.size = int(self.offsets[-1])  # N

    def split(self, flat: np.ndarray) -> list[np.ndarray]:
        """Per-player slices ``[n_actions[i]]`` of a vector ``[N]`` (or longer: lambda is ignored)."""
        return [flat[self.offsets[i]:self.offsets[i + 1]] for i in range(self.n_players)]

    def pair_tables(self, profile: Sequence[np.ndarray]) -> dict[tuple[int, int], np.ndarray]:
        """``tables[i, j] = d v_i / d s_j: [n_actions[i], n_actions[j]]`` for each ordered pair ``i != j``."""
        tables: dict[tuple[int, int], np.ndarray] = {}
        n = self.n_players
        for i in range(n):
            for j in range(i + 1, n):
                table = self.payoffs[[i, j]]  # [2, *n_actions]; player k's axis is k + 1
                for k in range(n - 1, -1, -1):  # from the last axis so the earlier axis numbers stay valid
                    if k not in (i, j):
                        table = np.tensordot(table, profile[k], axes=([k + 1], [0]))
                tables[i, j] = table[0]
                tables[j, i] = table[1].T
        return tables

    def values(self, profile: Sequence[np.ndarray],
               tables: dict[tuple[int, int], np.ndarray]) -> list[np.ndarray]:
        """``v_i: [n_actions[i]]`` per player (linear in any one opponent, so one table suffices)."""
        if self.n_players == 1:
            return [self.payoffs[0]]
        return [tables[i, (i + 1) % self.n_players] @ profile[(i + 1) % self.n_players]
                for i in range(self.n_players)]

    def evaluate(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``H(x): [N]`` and its Jacobian ``[N, N + 1]`` at ``x = (w, lambda)``."""
        lam = x[-1]
        logs = self.split(x)
        profile = [np.exp(w) for w in logs]
        tables = self.pair_tables(profile)
        values = self.values(profile, tables)
        size = self.size
        residual = np.empty(size)
        jac = np.zeros((size, size + 1))
        for i, (w, s, v) in enumerate(zip(logs, profile, values, strict=True)):
            o, m = self.offsets[i], self.n_actions[i]
            residual[o] = s.sum() - 1.0
            jac[o, o:o + m] = s
            if m == 1:
                continue
            gaps = v[1:] - v[0]
            rows = slice(o + 1, o + m)
            residual[rows] = w[1:] - w[0] - lam * gaps
            jac[rows, o + 1:o + m] = np.eye(m - 1)
            jac[rows, o] = -1.0
            jac[rows, size] = -gaps
            for j in range(self.n_players):
                if j != i:
                    table = tables[i, j]
                    columns = slice(self.offsets[j], self.offsets[j + 1])
                    # d/dw_j(b) = d/ds_j(b) * s_j(b)
                    jac[rows, columns] = -lam * (table[1:] - table[0]) * profile[j]
        return residual, jac

    def start(self) -> np.ndarray:
        """The uniform profile at ``lambda = 0``."""
        return np.concatenate([np.full(m, -math.log(m)) for m in self.n_actions] + [np.zeros(1)])

    def profile(self, x: np.ndarray) -> MixedProfile:
        """The mixed profile of a point, renormalised (the corrector leaves sums within rounding of 1)."""
        out = []
        for w in self.split(x):
            s = np.exp(w - w.max())
            out.append(s / s.sum())
        return tuple(out)


def _payoff_scale(game: NormalFormGame) -> float:
    spread = float(np.ptp(game.payoffs, axis=tuple(range(1, game.payoffs.ndim))).max())
    return spread if spread > 0 else 1.0


def _supports(profile: MixedProfile) -> list[tuple[np.ndarray, ...]]:
    """Distinct candidate supports of a QRE point, from the loosest threshold to the strictest."""
    found: list[tuple[np.ndarray, ...]] = []
    for theta in _SUPPORT_THRESHOLDS:
        support = tuple(np.flatnonzero(s >= theta * s.max()) for s in profile)
        if not any(all(np.array_equal(a, b) for a, b in zip(support, other, strict=True)) for other in found):
            found.append(support)
    return found


def _solve_indifference(system: _LogitSystem, start: MixedProfile, support: tuple[np.ndarray, ...],
                        budget: Budget) -> MixedProfile | None:
    """Newton (least-squares steps) on the Nash indifference system restricted to ``support``.

    Unknowns: ``s_i[support[i]]`` for every player. Equations per player: ``sum s_i = 1`` and
    ``v_i(a) = v_i(support[i][0])`` for the other support actions. Returns the full profile, or None when
    Newton does not converge or the time budget runs out (one step on a game with hundreds of actions is a
    least-squares solve of that size).
    """
    n = system.n_players
    sizes = [len(k) for k in support]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    x = np.concatenate([start[i][support[i]] / start[i][support[i]].sum() for i in range(n)])

    def full(x: np.ndarray) -> list[np.ndarray]:
        profile = [np.zeros(m) for m in system.n_actions]
        for i in range(n):
            profile[i][support[i]] = x[offsets[i]:offsets[i + 1]]
        return profile

    with np.errstate(all="ignore"):
        for _ in range(_REFINE_ITERATIONS):
            if _out_of_time(budget):
                return None
            profile = full(x)
            tables = system.pair_tables(profile)
            values = system.values(profile, tables)
            residual = np.empty(offsets[-1])
            jac = np.zeros((offsets[-1], offsets[-1]))
            for i in range(n):
                o, keep = offsets[i], support[i]
                residual[o] = x[o:offsets[i + 1]].sum() - 1.0
                jac[o, o:offsets[i + 1]] = 1.0
                if len(keep) == 1:
                    continue
                residual[o + 1:offsets[i + 1]] = values[i][keep[1:]] - values[i][keep[0]]
                for j in range(n):
                    if j != i:
                        block = tables[i, j][:, support[j]]
                        columns = slice(offsets[j], offsets[j + 1])
                        jac[o + 1:offsets[i + 1], columns] = block[keep[1:]] - block[keep[0]]
            if not np.all(np.isfinite(residual)):
                return None
            if np.abs(residual).max() <= _REFINE_RESIDUAL:
                return tuple(full(x))
            try:
                delta = np.linalg.lstsq(jac, -residual, rcond=None)[0]
            except np.linalg.LinAlgError:
                return None
            x = x + delta
    return None


def _as_nash_candidate(game: NormalFormGame, profile: Sequence[np.ndarray]) -> MixedProfile | None:
    """Clip rounding-level negatives and renormalise; None when a probability is genuinely negative."""
    out = []
    for s in profile:
        if not np.all(np.isfinite(s)) or s.min() < -_NEGATIVE_NOISE:
            return None
        s = np.clip(s, 0.0, None)
        total = s.sum()
        if not total > 0:
            return None
        out.append(s / total)
    return tuple(out)


def _out_of_time(budget: Budget) -> bool:
    return budget.max_seconds is not None and budget.elapsed() >= budget.max_seconds


def _refine(game: NormalFormGame, system: _LogitSystem, point: MixedProfile, tol: float,
            budget: Budget) -> tuple[MixedProfile | None, float]:
    """The best Nash candidate from the supports of a QRE point: ``(profile, max regret)``."""
    best: MixedProfile | None = None
    best_regret = math.inf
    for support in _supports(point):
        solved = _solve_indifference(system, point, support, budget)
        candidate = None if solved is None else _as_nash_candidate(game, solved)
        if candidate is None:
            continue
        regret = float(max_regret(game, candidate))
        if regret < best_regret:
            best, best_regret = candidate, regret
        if regret <= tol:
            break
    return best, best_regret


def _check_positive(value: Any, caller: str, argument: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise GameError(f"{caller}: {argument} must be a positive number, got {value!r}") from None
    if not (number > 0 and math.isfinite(number)):
        raise GameError(f"{caller}: {argument} must be a positive finite number, got {value!r}")
    return number


class _Trace(NamedTuple):
    """A validated game, its payoff scale, the logit system and a path tracer ready to run."""

    game: NormalFormGame
    scale: float
    system: _LogitSystem
    tracer: PathTracer
    budget: Budget
    max_lambda: float
    step: float


def _start_trace(game: Any, caller: str, *, max_lambda: float, step: float, max_iterations: int | None,
                 max_seconds: float | None) -> _Trace:
    """Validate the shared arguments of :func:`logit_qre_path` and :func:`qre_solve` and set up the trace."""
    game = require_normal_form(game, f"{caller}(game)")
    max_lambda = _check_positive(max_lambda, caller, "max_lambda")
    step = _check_positive(step, caller, "step")
    budget = Budget.checked(max_iterations, max_seconds, caller)
    scale = _payoff_scale(game)
    system = _LogitSystem(game.payoffs / scale)
    tracer = PathTracer(system, lambda_max=max_lambda * scale, step=step, budget=budget, max_steps=max_iterations)
    return _Trace(game, scale, system, tracer, budget, max_lambda, step)


def logit_qre_path(game: Any, *, max_lambda: float, step: float = 0.1, max_iterations: int | None = None,
                   max_seconds: float | None = None) -> QREPath:
    """The principal branch of logit QREs from ``lambda = 0`` to ``max_lambda`` (every accepted point).

    Args:
      game: a NormalFormGame with any number of players.
      max_lambda: precision (game units) at which the trace stops; the last point is at exactly this value
        when the trace completes.
      step: initial arclength step in ``(w, lambda * payoff_range)`` coordinates; adapted as the trace goes.
      max_iterations: cap on accepted steps; ``max_seconds``: wall-clock cap. Either ends the trace early,
        with ``complete=False``.
    """
    trace = _start_trace(game, "logit_qre_path", max_lambda=max_lambda, step=step, max_iterations=max_iterations,
                         max_seconds=max_seconds)
    scale, system, tracer = trace.scale, trace.system, trace.tracer
    lambdas, profiles = [], []
    for x in tracer.points():
        lambdas.append(x[-1] / scale)
        profiles.append(system.profile(x))
    return QREPath(lambdas=np.array(lambdas), profiles=tuple(profiles), complete=tracer.complete)


def _distance(first: Sequence[np.ndarray], second: Sequence[np.ndarray]) -> float:
    return max(float(np.abs(a - b).max()) for a, b in zip(first, second, strict=True))


def _same_support(first: Sequence[np.ndarray], second: Sequence[np.ndarray]) -> bool:
    return all(np.array_equal(a > 0, b > 0) for a, b in zip(first, second, strict=True))


@dataclass
class _Refinements:
    """Refinement checkpoints along the path (see the module docstring for when a candidate is confirmed).

    ``best``: the lowest-regret profile seen; ``latest``: the latest candidate (max regret <= ``tol``);
    ``previous``: the candidate of the previous checkpoint and its distance to that checkpoint's QRE point.
    """

    game: NormalFormGame
    system: _LogitSystem
    tol: float
    budget: Budget
    best: MixedProfile
    best_regret: float
    latest: MixedProfile | None = None
    previous: tuple[MixedProfile, float] | None = None

    def check(self, point: np.ndarray) -> bool:
        """Refine at a path point ``x``; True when a candidate is confirmed."""
        qre_point = self.system.profile(point)
        refined, refined_regret = _refine(self.game, self.system, qre_point, self.tol, self.budget)
        qre_regret = float(max_regret(self.game, qre_point))
        for profile, regret in ((refined, refined_regret), (qre_point, qre_regret)):
            if profile is not None and regret < self.best_regret:
                self.best, self.best_regret = profile, regret
        candidate = refined if refined is not None and refined_regret <= self.tol else None
        if candidate is None and qre_regret <= self.tol:
            candidate = qre_point
        if candidate is None:
            self.previous = None
            return False
        gap = _distance(candidate, qre_point)
        confirmed = confirms(gap, None if self.previous is None else (
            _same_support(candidate, self.previous[0]), _distance(candidate, self.previous[0]), self.previous[1]))
        self.latest, self.previous = candidate, (candidate, gap)
        return confirmed


def qre_solve(game: Any, *, tol: float = 1e-9, max_lambda: float = 1e6, step: float = 0.1,
              max_iterations: int | None = 100_000, max_seconds: float | None = 60.0) -> SolveResult:
    """An approximate Nash equilibrium (max regret <= ``tol``) at the end of the principal logit QRE branch.

    The branch is traced from ``lambda = 0``; each time ``lambda * payoff_range`` has doubled since the last
    checkpoint (from 1 on), and where the trace ends, the QRE point's support is refined to a Nash equilibrium
    (see the module docstring); the refined profile, or the QRE point itself, is a candidate when its max
    regret is <= ``tol``. The trace stops once two consecutive checkpoints agree on a candidate that the QRE
    point is approaching. When the trace ends otherwise (``max_lambda``,
    the budget, or a lost branch) the latest candidate is returned if there is one (``converged=True``: its
    regret is within ``tol``), else the lowest-regret profile seen, with ``converged=False``.

    ``iterations`` is the number of accepted continuation steps. ``parameters`` records ``tol``,
    ``max_lambda``, ``step``, ``max_iterations``, ``max_seconds``, ``final_lambda`` (game units: where the
    trace stopped) and, when ``converged`` is False, ``stopped_because`` (the budget, ``max_lambda`` reached
    without a profile within ``tol``, or a lost branch).

    Args:
      game: a NormalFormGame with any number of players.
      tol: max-regret tolerance (game units) for accepting a profile.
      max_lambda: the largest precision traced (game units).
      step: initial arclength step (see :func:`logit_qre_path`).
      max_iterations, max_seconds: budget; see above for what is returned when it runs out.
    """
    tol = _check_positive(tol, "qre_solve", "tol")
    trace = _start_trace(game, "qre_solve", max_lambda=max_lambda, step=step, max_iterations=max_iterations,
                         max_seconds=max_seconds)
    game, scale, system, tracer, budget = trace.game, trace.scale, trace.system, trace.tracer, trace.budget
    max_lambda, step = trace.max_lambda, trace.step
    x = system.start()
    uniform = system.profile(x)
    refinements = _Refinements(game, system, tol, budget, best=uniform, best_regret=float(max_regret(game, uniform)))
    if refinements.best_regret <= tol:
        # Every action has the same value at the uniform profile, so it is the QRE at every lambda.
        refinements.latest = uniform
    else:
        next_check = 1.0
        for x in tracer.points():
            if x[-1] >= next_check:
                next_check = 2.0 * x[-1]
                if refinements.check(x):
                    break
        else:
            refinements.check(x)
    answer = refinements.latest if refinements.latest is not None else refinements.best
    parameters: dict[str, Any] = {"tol": tol, "max_lambda": max_lambda, "step": step,
                                  "max_iterations": max_iterations, "max_seconds": max_seconds,
                                  "final_lambda": float(x[-1]) / scale}
    converged = refinements.latest is not None
    if not converged:
        parameters["stopped_because"] = _stopped_because(tracer, scale, refinements.best_regret, tol)
    return nash_result(game, "qre", [answer], parameters=parameters, iterations=tracer.steps, budget=budget,
                       converged=converged)


def _stopped_because(tracer: PathTracer, scale: float, best: float, tol: float) -> str:
    """Why the trace ended without a candidate within ``tol`` (``best``: the lowest max regret seen)."""
    if tracer.stop is None and _out_of_time(tracer.budget):  # the refinement's time ran out, not the trace's
        return f"max_seconds={tracer.budget.max_seconds:g} reached while refining"
    if tracer.stop in (COMPLETE, None):
        return f"{tracer.stopped_because(scale)} without a profile within tol={tol:g} (best max regret {best:.3g})"
    return tracer.stopped_because(scale)


__all__ = ["QREPath", "logit_qre_path", "qre_solve"]
