"""The dynamics playground's data: learning dynamics from :mod:`equilibria.dynamics` run on a small game, with the
distance to the equilibrium per record and each method's spectral radius at the equilibrium.

Games: ``rock-paper-scissors`` and ``shapley`` (3 actions each: drawn on two simplices), ``matching-pennies`` and a
typed 2x2 bimatrix (drawn on the square of both players' first-action probabilities), ``bilinear`` and
``dirac-gan`` (the plane), or a typed 3x3 bimatrix. Normal-form games run through their mixed extension, as
``equilibria dynamics`` does. The equilibrium is the zoo's (a unique known one) or, for a typed game, the library's
when ``solve(..., all_equilibria=True)`` proves it unique; without one the playground plots Nash-conv (the sum of
best-deviation gains, 0 exactly at an equilibrium) instead of the distance. The spectral radius of the linearised
update (:func:`equilibria.dynamics.analysis.spectral_radius`) is reported for gradient methods, as the command line
does; no-regret learners, fictitious play and replicator get null with the reason.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from equilibria.core.errors import GameError
from equilibria.core.names import resolve
from equilibria.lab._requests import LabError, integer, items, number, short, text
from equilibria.lab.limits import Limits
from equilibria.lab.matrices import bimatrix_game

GAMES = ("rock-paper-scissors", "matching-pennies", "shapley", "bilinear", "dirac-gan", "bimatrix")
GAME_ALIASES = {"rps": "rock-paper-scissors", "mp": "matching-pennies", "shapleys_game": "shapley",
                "custom": "bimatrix", "typed": "bimatrix"}
# The methods the page offers (any name of dynamics.methods.METHODS is accepted).
MENU = ("gda", "alternating_gda", "optimistic_gda", "extragradient", "consensus", "hedge", "optimistic_hedge",
        "regret_matching", "fictitious_play", "replicator")
_NO_RADIUS = ("not computed: the linearised-update analysis covers gradient methods (as in `equilibria "
              "dynamics`); this learner's state accumulates payoffs, regrets or counts, or its update is not smooth "
              "at the equilibrium")


@dataclass(frozen=True)
class Problem:
    """A playground game: the differentiable game, its drawing (``"simplex"``, ``"square"``, ``"plane"``), the
    start, the equilibrium (None when not known to be unique) and action labels."""

    game: Any
    label: str
    drawing: str
    start: tuple[Any, ...]
    equilibrium: tuple[Any, ...] | None
    action_labels: tuple[tuple[str, ...], ...] | None
    note: str = ""


def _default_start(n_actions: tuple[int, ...]) -> tuple[np.ndarray, ...]:
    """An interior, non-uniform profile (the command line's default): weights 1..n for player 1, n..1 for 2."""
    return tuple(np.arange(1.0, n + 1.0)[:: 1 if i % 2 == 0 else -1] / (n * (n + 1) / 2)
                 for i, n in enumerate(n_actions))


def _normal_form_problem(game: Any, label: str, equilibrium: Any, note: str, start: Any = None) -> Problem:
    import jax.numpy as jnp

    drawing = "simplex" if game.n_actions == (3, 3) else "square"
    start = _default_start(game.n_actions) if start is None else start
    eq = None if equilibrium is None else tuple(jnp.asarray([float(p) for p in s]) for s in equilibrium)
    return Problem(game.mixed_extension(), label, drawing, tuple(jnp.asarray(s) for s in start), eq,
                   game.action_labels or tuple(tuple(str(a + 1) for a in range(n)) for n in game.n_actions), note)


def load_problem(body: dict[str, Any], limits: Limits) -> Problem:
    """The game a request names (``game``; ``row`` and ``column`` for a typed bimatrix)."""
    name = resolve(text(body, "game", "rock-paper-scissors"), GAMES, aliases=GAME_ALIASES, kind="playground game",
                   listed_by="GET /api/dynamics/options")
    if name in ("bilinear", "dirac-gan"):
        from equilibria.games.zoo import differentiable as zoo

        entry = zoo.entry(name)
        return Problem(entry.build(), name, "plane", entry.start(), entry.equilibrium(), (("x",), ("y",)))
    if name == "rock-paper-scissors":
        from equilibria.games.zoo import differentiable as zoo
        from equilibria.games.zoo import normal_form as nf_zoo

        known = nf_zoo.entry(name)
        return _normal_form_problem(known.game(), name, known.known_equilibria[0], "",
                                    tuple(np.asarray(s) for s in zoo.entry("rps-mixed").start()))
    if name in ("matching-pennies", "shapley"):
        from equilibria.games.zoo import normal_form as nf_zoo

        known = nf_zoo.entry(name)
        return _normal_form_problem(known.game(), name, known.known_equilibria[0], "")
    game = bimatrix_game(body, limits.max_payoff_entries)
    if game.n_actions not in ((2, 2), (3, 3)):
        raise LabError(f"the playground draws 2x2 and 3x3 games; this one is {game.n_actions[0]}x{game.n_actions[1]}")
    return _normal_form_problem(game, "typed bimatrix", *_unique_equilibrium(game, limits))


def _unique_equilibrium(game: Any, limits: Limits) -> tuple[Any, str]:
    """The game's equilibrium when the library proves it unique (all equilibria enumerated), else None."""
    from equilibria.solvers import solve

    result = solve(game, all_equilibria=True, max_seconds=limits.max_seconds)
    if result.converged and result.complete and len(result.equilibria) == 1:
        return result.equilibria[0], f"equilibrium: the only one ({result.method}, complete enumeration)"
    return None, (f"{len(result.equilibria)} equilibria found ({result.method}): no single target, so the plot "
                  "shows Nash-conv (0 exactly at an equilibrium) instead of the distance")


@dataclass(frozen=True)
class MethodRequest:
    name: str
    step_size: float


def read_methods(body: dict[str, Any], limits: Limits) -> list[MethodRequest]:
    """``methods``: ``[{"name": "gda", "step_size": 0.05}, ...]`` (names in any spelling or alias)."""
    from equilibria.dynamics.methods import canonical_name

    methods = []
    for i, entry in enumerate(items(body, "methods", limits.max_methods)):
        if not isinstance(entry, dict):
            raise LabError(f"methods[{i}] must be an object {{\"name\", \"step_size\"}}, got {short(entry)}")
        name = canonical_name(text(entry, "name"))
        methods.append(MethodRequest(name, number(entry.get("step_size", 0.05), f"methods[{i}].step_size",
                                                  positive=True)))
    return methods


def _series(values: Any) -> list[float | None]:
    """JSON has no infinity or NaN: an overflowed value is null."""
    return [float(v) if math.isfinite(float(v)) else None for v in np.asarray(values, dtype=float)]


def _radius(spec: Any, dynamics: Any, problem: Problem) -> dict[str, Any]:
    if problem.equilibrium is None:
        return {"spectral_radius": None, "classification": None,
                "spectral_radius_note": "not computed: no equilibrium known to be unique"}
    if spec.family != "gradient":
        return {"spectral_radius": None, "classification": None, "spectral_radius_note": _NO_RADIUS}
    from equilibria.dynamics.analysis import classify, spectral_radius

    try:
        radius = spectral_radius(dynamics, problem.game, dynamics.init(problem.game, problem.equilibrium))
    except GameError as exc:
        return {"spectral_radius": None, "classification": None, "spectral_radius_note": f"not computed: {exc}"}
    return {"spectral_radius": radius, "classification": classify(radius),
            "spectral_radius_note": "linearised update at the equilibrium"}


def _one_run(request: MethodRequest, problem: Problem, steps: int, every: int, seconds: float) -> dict[str, Any]:
    from equilibria.dynamics.methods import METHODS
    from equilibria.dynamics.run import distance_to, nash_conv, run, steps_run

    spec = METHODS[request.name]
    if spec.family != "gradient" and problem.drawing == "plane":
        raise LabError(f"{spec.name} is a normal-form learner: it needs mixed strategies, and {problem.label} is a "
                       "game on the plane; pick a gradient method or a normal-form game")
    try:
        dynamics = spec.build(request.step_size)
    except GameError as exc:
        raise LabError(f"{spec.name} step_size: {exc}") from None
    metric = "distance" if problem.equilibrium is not None else "nash_conv"
    metrics = {"distance": distance_to(problem.equilibrium)} if problem.equilibrium is not None else {
        "nash_conv": nash_conv}
    trajectory = run(dynamics, problem.game, dynamics.init(problem.game, problem.start), steps=steps,
                     record_every=every, metrics=metrics, max_seconds=seconds)
    ran = steps_run(trajectory)
    diverged = bool(trajectory.diverged)
    stopped = None if ran == steps or diverged else (f"stopped at the lab's time limit after {ran} of {steps} "
                                                     "steps")
    params = [np.asarray(p, dtype=float).reshape(len(trajectory.steps), -1) for p in trajectory.params]
    return {"method": spec.name, "family": spec.family, "description": spec.description,
            "step_size": request.step_size if spec.uses_step_size else None,
            "steps": [int(s) for s in np.asarray(trajectory.steps)],
            "params": [[_series(row) for row in p] for p in params],
            "metric": metric, "values": _series(trajectory.metrics[metric]),
            "average_values": _series(trajectory.average_metrics[metric]),
            "steps_run": ran, "completed": stopped is None, "stopped_because": stopped, "diverged": diverged,
            "diverged_at": int(trajectory.diverged_at) if diverged else None,
            **_radius(spec, dynamics, problem)}


def playground(body: dict[str, Any], limits: Limits) -> dict[str, Any]:
    """``POST /api/dynamics``: every method's trajectory (at most ``limits.max_points`` records), metric per record
    and spectral radius; the runs share ``limits.dynamics_seconds`` (JAX compilation included)."""
    import jax

    from equilibria.dynamics.run import record_interval

    started = time.perf_counter()
    steps = integer(body, "steps", 1000, 1, limits.max_steps)
    methods = read_methods(body, limits)
    with jax.enable_x64(True):  # as the command line: trajectories and radii in float64
        problem = load_problem(body, limits)
        every = record_interval(steps, limits.max_points)
        runs = []
        for request in methods:
            left = max(1e-3, limits.dynamics_seconds - (time.perf_counter() - started))
            runs.append(_one_run(request, problem, steps, every, left))
    equilibrium = None if problem.equilibrium is None else [_series(np.ravel(s)) for s in problem.equilibrium]
    return {"game": problem.label, "drawing": problem.drawing, "action_labels": problem.action_labels,
            "start": [_series(np.ravel(s)) for s in problem.start], "equilibrium": equilibrium,
            "note": problem.note, "steps": steps, "record_every": every, "runs": runs}


def options() -> dict[str, Any]:
    """``GET /api/dynamics/options``: the games and methods the page offers, with descriptions."""
    from equilibria.dynamics.methods import METHODS

    return {"games": list(GAMES), "methods": [{"name": m, "family": METHODS[m].family,
                                               "description": METHODS[m].description,
                                               "uses_step_size": METHODS[m].uses_step_size} for m in MENU]}
