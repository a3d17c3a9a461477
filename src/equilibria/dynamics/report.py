"""What one run of a dynamic showed, stated so that it cannot silently contradict the linear analysis.

A run's last iterate and the linearised update at the equilibrium answer different questions (where did *this*
start go; what do *nearby* starts do), and they disagree in two honest situations that a report must name:

- the start is a **rest point** (one update does not move it, :func:`~equilibria.dynamics.analysis.is_rest_point`):
  the run never moves, so "converged" there says nothing about stability;
- the run **converged although the linearisation is unstable** (spectral radius above 1): the start lies on the
  stable subspace of an unstable equilibrium (three-player matching pennies has one: the Jacobian's real
  eigenvalue), and almost every nearby start leaves.

:func:`run_verdict` settles both with a second run from the start moved by ``1e-6``
(:func:`~equilibria.dynamics.analysis.perturbed_start`) and says whether the perturbation grew or decayed.
Starts come from :func:`parse_profile` (the command line's ``--start``: ``"0.2,0.8;0.5,0.5"``, players separated
by ``;``, a player's numbers by ``,``) or :func:`random_start` (``--seed``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

import jax
import jax.numpy as jnp
import numpy as np

from equilibria.core.errors import GameError
from equilibria.core.sets import Simplex
from equilibria.dynamics.analysis import is_rest_point, perturbed_start, run_outcome
from equilibria.dynamics.base import Dynamics
from equilibria.dynamics.run import Metric, Trajectory, run
from equilibria.games.differentiable import DifferentiableGame, Params

MAX_STEPS = 2**31 - 1  # states count their steps in int32
PERTURBATION = 1e-6  # the size of the move that tests a rest point or a suspicious convergence
_SUM_TOL = 1e-6  # a typed mixed strategy may miss 1 by this much (it is then renormalised)
# A number in a typed profile: ASCII decimal (optional exponent) or an exact fraction p/q.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,4})?|[+-]?\d{1,400}/\d{1,400}")
Response = Literal["grows", "decays", "persists"]


@dataclass(frozen=True)
class PerturbationCheck:
    """A second run from the start moved by about :data:`PERTURBATION`, set against the first run.

    Attributes:
      start_separation: the distance between the two starts (the whole profile, Euclidean).
      last_separation: the distance between the two runs' last iterates (None: the perturbed run overflowed).
      response: ``"grows"`` (more than tenfold, or an overflow), ``"decays"`` (below a tenth), else
        ``"persists"``: whether nearby starts leave this run or follow it.
      steps: the step at which the runs were compared (the perturbed run's last; None: the first run's last).
    """

    start_separation: float
    last_separation: float | None
    response: Response
    steps: int | None = None


@dataclass(frozen=True)
class RunVerdict:
    """What a run did, for reports.

    Attributes:
      outcome: ``"at rest"`` (started at a rest point and never moved), ``"overflowed"`` (a non-finite step
        stopped the run), ``"not run"`` (a time limit stopped it before its first step), or
        :data:`~equilibria.dynamics.analysis.Outcome` of the metric.
      metric: the metric judged (0 exactly at the target: a distance to the equilibrium, NashConv, a residual).
      start_value, last_value: the metric at the start and at the last record (None: not finite).
      started_at_rest_point: one update does not move the start.
      perturbation: the perturbed run, when the verdict needed one (module docstring), else None.
      note: one sentence reconciling the run with the linear analysis, or None when nothing needs saying.
    """

    outcome: str
    metric: str
    start_value: float | None
    last_value: float | None
    started_at_rest_point: bool
    perturbation: PerturbationCheck | None
    note: str | None

    def as_dict(self) -> dict[str, Any]:
        check = self.perturbation
        return {"last_iterate": self.outcome, "metric": self.metric, "start_value": self.start_value,
                "last_value": self.last_value, "started_at_rest_point": self.started_at_rest_point,
                "perturbed_start": None if check is None else {
                    "start_separation": check.start_separation, "last_separation": check.last_separation,
                    "response": check.response},
                "note": self.note}


def _finite(x: Any) -> float | None:
    value = float(x)
    return value if math.isfinite(value) else None


def _response(first: float, last: float | None) -> Response:
    if last is None or last > 10 * first:
        return "grows"
    return "decays" if last < first / 10 else "persists"


def run_verdict(dynamics: Dynamics, game: DifferentiableGame, state: Any, trajectory: Trajectory, *, metric: str,
                metrics: Mapping[str, Metric], linear_radius: float | None, record_every: int,
                key: jax.Array, max_seconds: float | None = None, stopped_because: str | None = None) -> RunVerdict:
    """The verdict on ``trajectory``, the run of ``dynamics`` from ``state`` (module docstring).

    Args:
      dynamics, game, state: what was run, from where (``dynamics.init``'s state).
      trajectory: the run, recorded every ``record_every`` steps with ``metrics``.
      metric: the name, in ``metrics``, of the metric to judge (0 exactly at the target).
      metrics: the run's metrics (the perturbed run records the same).
      linear_radius: the spectral radius of the linearised update at the equilibrium, or None when not computed.
      record_every: the run's recording interval (the perturbed run uses the same, and as many steps).
      key: a ``jax.random`` key for the perturbation's direction.
      max_seconds: a time limit for the perturbed run (:func:`~equilibria.dynamics.run.run`); if it stops that
        run early, the two runs are compared at the perturbed run's last record.
      stopped_because: why ``trajectory`` ran fewer steps than asked (a time limit), or None: the note then says
        that the outcome is about the steps run only.
    """
    if metric not in trajectory.metrics:
        raise GameError(f"run_verdict: the trajectory has no metric {metric!r}")
    values = np.asarray(trajectory.metrics[metric], dtype=np.float64)
    at_rest = is_rest_point(dynamics, game, state)
    overflowed = bool(trajectory.diverged)
    if overflowed:
        outcome = "overflowed"
    elif len(values) < 2:  # a time limit stopped the run before its first step: nothing to judge
        outcome = "not run"
    elif at_rest:
        outcome = "at rest"
    else:
        outcome = run_outcome(values)
    unstable = linear_radius is not None and linear_radius > 1 + 1e-6
    suspicious = at_rest or (unstable and outcome in ("converged", "converging"))
    check = None
    if suspicious and not overflowed:
        start = perturbed_start(game, state.params, key=key, scale=PERTURBATION)
        steps = int(np.asarray(trajectory.steps)[-1] - np.asarray(trajectory.steps)[0])
        if steps > 0:
            moved = run(dynamics, game, dynamics.init(game, start), steps=steps, record_every=record_every,
                        metrics=metrics, max_seconds=max_seconds)
            records = int(np.asarray(moved.steps).shape[0])  # fewer than the trajectory's when time ran out
            if records > 1:
                first = _distance(start, state.params)
                last = None if bool(moved.diverged) else _distance(_last(moved.params),
                                                                   _at(trajectory.params, records - 1))
                check = PerturbationCheck(first, last, _response(first, last), int(np.asarray(moved.steps)[-1]))
    note = _note(outcome, at_rest, unstable, linear_radius, check, steps_run=int(np.asarray(trajectory.steps)[-1]))
    if stopped_because:
        note = f"{stopped_because}: the outcome is over the steps run only" + (f"; {note}" if note else "")
    return RunVerdict(outcome, metric, _finite(values[0]), _finite(values[-1]), at_rest, check, note)


def _last(params: Params) -> Params:
    return tuple(np.asarray(p)[-1] for p in params)


def _at(params: Params, record: int) -> Params:
    return tuple(np.asarray(p)[record] for p in params)


def _distance(a: Params, b: Params) -> float:
    return float(np.sqrt(sum(np.sum((np.asarray(x, dtype=np.float64) - np.asarray(y, dtype=np.float64)) ** 2)
                             for x, y in zip(a, b, strict=True))))


def _note(outcome: str, at_rest: bool, unstable: bool, radius: float | None, check: PerturbationCheck | None,
          steps_run: int) -> str | None:
    linear = f"the linearisation is unstable (spectral radius {radius:.6g})" if unstable else None
    moved = None
    if check is not None:
        verb = {"grows": "diverges", "decays": "converges back",
                "persists": "neither converges back nor diverges"}[check.response]
        compared = steps_run if check.steps is None else check.steps
        where = ("overflowed" if check.last_separation is None
                 else f"ends {check.last_separation:.3g} away from this run after {compared} steps")
        moved = f"a start perturbed by {check.start_separation:.2g} {verb} (it {where})"
    if at_rest:
        head = "started at a rest point: the update does not move it, so this run shows nothing about stability"
        return "; ".join(p for p in (head, linear, moved) if p)
    if check is not None:  # converged although the linearisation is unstable
        return (f"{outcome} although {linear}: this start lies on (or near) the stable subspace of an unstable "
                f"equilibrium; {moved}")
    if radius is not None and not unstable and outcome == "diverging" and radius < 1 - 1e-6:
        return (f"the linearisation is stable (spectral radius {radius:.6g}) but this start lies outside the region "
                f"where it governs: the run is diverging")
    return None


# -- starts ------------------------------------------------------------------------------------------------------
def _parse_number(text: str, where: str) -> float:
    token = text.strip()
    if not token.isascii() or not _NUMBER.fullmatch(token):
        raise GameError(f"{where}: {token!r} is not a number (write e.g. 0.25, 1e-3 or 1/3)")
    try:
        value = float(Fraction(token)) if "/" in token else float(token)
    except (ZeroDivisionError, OverflowError):
        value = math.inf
    if not math.isfinite(value):
        raise GameError(f"{where}: {token!r} is not a finite number")
    return value


def parse_profile(text: str, game: DifferentiableGame, template: Params) -> Params:
    """The profile written in ``text``: players separated by ``;``, each player's numbers by ``,`` (as many as
    the player's parameters in ``template``, reshaped like them). A player on a simplex writes a mixed strategy
    (non-negative, summing to the simplex's total within 1e-6; renormalised exactly); any other player's point
    must lie in its constraint set."""
    if not isinstance(text, str) or not text.strip():
        raise GameError("profile: empty; write e.g. '0.2,0.8;0.5,0.5' (players separated by ';')")
    parts = text.split(";")
    if len(parts) != game.n_players:
        raise GameError(f"profile: {len(parts)} player(s) given, the game has {game.n_players} (separate players "
                        f"with ';')")
    profile = []
    for i, (part, like, constraint) in enumerate(zip(parts, template, game.constraints, strict=True)):
        shape = np.shape(like)
        size = int(np.prod(shape))
        entries = part.split(",")
        if len(entries) != size:
            raise GameError(f"profile: player {i + 1} has {len(entries)} number(s), its parameters hold {size}")
        values = np.array([_parse_number(e, f"profile: player {i + 1}") for e in entries]).reshape(shape)
        if isinstance(constraint, Simplex):
            if np.any(values < 0) or abs(values.sum() - constraint.total) > _SUM_TOL * max(1.0, constraint.total):
                raise GameError(f"profile: player {i + 1}'s probabilities must be >= 0 and sum to "
                                f"{constraint.total:g}, got sum {values.sum():.6g}")
            values = values * (constraint.total / values.sum()) if values.sum() > 0 else values
        elif not constraint.contains(values, tol=1e-9):
            raise GameError(f"profile: player {i + 1}'s point lies outside its set {type(constraint).__name__}")
        profile.append(jnp.asarray(values, dtype=jnp.asarray(like).dtype))
    return tuple(profile)


def random_start(game: DifferentiableGame, template: Params, *, key: jax.Array) -> Params:
    """A random profile shaped like ``template``, a function of ``key`` alone: on a simplex uniform (Dirichlet with
    all parameters 1, scaled to the simplex's total); elsewhere ``template`` plus a standard normal step, projected
    onto the player's set."""
    keys = jax.random.split(key, game.n_players)
    profile = []
    for like, constraint, k in zip(template, game.constraints, keys, strict=True):
        like = jnp.asarray(like)
        if isinstance(constraint, Simplex):
            point = constraint.total * jax.random.dirichlet(k, jnp.ones(like.shape, dtype=like.dtype))
        else:
            point = constraint.project(like + jax.random.normal(k, like.shape, dtype=like.dtype))
        profile.append(point)
    return tuple(profile)
