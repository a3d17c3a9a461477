"""``equilibria dynamics``: one learning dynamic on a game, with metrics, the linear analysis, a verdict and a plot.

JAX is imported when the command runs, not when the parser is built.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from equilibria.cli._common import EXIT_OK, load_normal_form
from equilibria.core.errors import GameError
from equilibria.core.files import atomic_path


@dataclass(frozen=True)
class _DynamicsProblem:
    """A game for ``equilibria dynamics``: the differentiable game, where to start, the known equilibrium."""

    game: Any
    label: str
    start: tuple[Any, ...]
    equilibrium: tuple[Any, ...] | None
    action_labels: tuple[tuple[str, ...], ...] | None = None


def _default_start(n_actions: Sequence[int]) -> tuple[np.ndarray, ...]:
    """An interior, non-uniform profile: weights 1..n for even players, n..1 for odd ones (deterministic)."""
    start = []
    for i, n in enumerate(n_actions):
        weights = np.arange(1.0, n + 1.0)[:: 1 if i % 2 == 0 else -1]
        start.append(weights / weights.sum())
    return tuple(start)


def load_dynamics_problem(spec: str) -> _DynamicsProblem:
    """A differentiable zoo name, else a normal-form game (zoo name or file) through its mixed extension."""
    import jax.numpy as jnp

    from equilibria.games.zoo import differentiable as differentiable_zoo
    from equilibria.games.zoo import normal_form as normal_form_zoo
    from equilibria.games.zoo._lookup import canonical_name

    name = canonical_name(dict.fromkeys(differentiable_zoo.names()), spec)
    if name is not None:
        entry = differentiable_zoo.entry(name)
        return _DynamicsProblem(entry.build(), name, entry.start(), entry.equilibrium())
    game = load_normal_form(spec, "dynamics")
    equilibrium = None
    name = canonical_name(dict.fromkeys(normal_form_zoo.names()), spec)
    if name is not None:
        known = normal_form_zoo.entry(name)
        if known.known_complete and len(known.known_equilibria) == 1:
            equilibrium = tuple(jnp.asarray([float(p) for p in s]) for s in known.known_equilibria[0])
    start = tuple(jnp.asarray(s) for s in _default_start(game.n_actions))
    return _DynamicsProblem(game.mixed_extension(), game.name or spec, start, equilibrium, game.action_labels)


def _dynamics_metrics(problem: _DynamicsProblem) -> dict[str, Any]:
    from equilibria.core.sets import Reals, Simplex
    from equilibria.dynamics.run import distance_to, gradient_norm, nash_conv, projected_residual

    metrics: dict[str, Any] = {}
    if problem.equilibrium is not None:
        metrics["distance"] = distance_to(problem.equilibrium)
    if all(isinstance(c, Simplex) for c in problem.game.constraints):
        metrics["nash_conv"] = nash_conv
    elif all(isinstance(c, Reals) for c in problem.game.constraints):
        metrics["gradient_norm"] = gradient_norm
    else:
        metrics["projected_residual"] = projected_residual
    return metrics


def _linear_analysis(spec: Any, dynamics: Any, problem: _DynamicsProblem) -> dict[str, Any] | None:
    """Spectral radius of the linearised update at the known equilibrium (gradient methods only)."""
    if problem.equilibrium is None or spec.family != "gradient":
        return None
    from equilibria.dynamics.analysis import classify, spectral_radius

    radius = float(spectral_radius(dynamics, problem.game, dynamics.init(problem.game, problem.equilibrium)))
    return {"at": "known equilibrium", "spectral_radius": radius, "classification": classify(radius)}


def _finite_or_none(x: Any) -> float | None:
    """JSON has no infinity: a metric that overflowed (a diverged run) is reported as null."""
    value = float(x)
    return value if np.isfinite(value) else None


def _tolist(x: Any) -> Any:
    return np.asarray(x, dtype=float).tolist()


def cmd_dynamics(args: argparse.Namespace) -> int:

    started = time.perf_counter()  # --max-seconds counts from here: importing JAX and compiling are part of it
    import jax

    with jax.enable_x64(True):  # the command line reports figures to many digits
        return _run_dynamics(args, started)


def _dynamics_start(args: argparse.Namespace, problem: _DynamicsProblem) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The starting profile (--start, --seed or the default) and how it was chosen, for the report."""
    import jax

    from equilibria.dynamics.report import parse_profile, random_start

    if args.start is not None:
        try:
            start = parse_profile(args.start, problem.game, problem.start)
        except GameError as exc:
            raise GameError(f"dynamics --start: {exc}") from None
        return start, {"from": "--start", "seed": None}
    if args.seed is not None:
        if not 0 <= args.seed <= _MAX_DYNAMICS_SEED:
            raise GameError(f"dynamics --seed: expected an integer in [0, 2^63 - 1], got {args.seed}")
        start = random_start(problem.game, problem.start, key=jax.random.key(args.seed))
        return start, {"from": "--seed", "seed": args.seed}
    return problem.start, {"from": "default", "seed": None}


_MAX_DYNAMICS_SEED = 2**63 - 1  # jax.random.key takes a 64-bit signed seed (with x64 enabled)


# With --max-seconds, the share of the time left that the run itself may take: the verdict after it may repeat it
# from a perturbed start (run_verdict) and needs its own compile.
_DYNAMICS_RUN_SHARE = 0.5


def _run_dynamics(args: argparse.Namespace, started: float) -> int:

    import jax

    from equilibria.dynamics.methods import method
    from equilibria.dynamics.report import run_verdict
    from equilibria.dynamics.run import run, steps_run

    plot = _plot_target(args.plot) if args.plot else None  # refuse an unwritable target before the run
    problem = load_dynamics_problem(args.game)
    spec = method(args.method)
    try:
        dynamics = spec.build(args.lr)
    except GameError as exc:  # a step size outside the method's range (best response needs (0, 1])
        raise GameError(f"dynamics --lr: {exc}") from None
    start, start_info = _dynamics_start(args, problem)
    state = dynamics.init(problem.game, start)
    from equilibria.dynamics.run import record_interval

    record_every = record_interval(args.steps, 500)
    metrics = _dynamics_metrics(problem)
    deadline = None if args.max_seconds is None else started + args.max_seconds

    def left(share: float = 1.0) -> float | None:
        return None if deadline is None else max(1e-3, share * (deadline - time.perf_counter()))

    analysis = _linear_analysis(spec, dynamics, problem)  # before the run, which gets a share of what is left
    trajectory = run(dynamics, problem.game, state, steps=args.steps, record_every=record_every, metrics=metrics,
                     max_seconds=left(_DYNAMICS_RUN_SHARE))
    ran = steps_run(trajectory)
    # A diverged run's state stops counting at the overflow: fewer steps then is the divergence, reported as such.
    stopped = (None if ran == args.steps or args.max_seconds is None or bool(trajectory.diverged)
               else f"stopped at max_seconds={args.max_seconds:g} after {ran} of {args.steps} steps")
    judged = "distance" if "distance" in metrics else next(iter(metrics))
    key = jax.random.fold_in(jax.random.key(0 if args.seed is None else args.seed), 1)
    verdict = run_verdict(dynamics, problem.game, state, trajectory, metric=judged, metrics=metrics,
                          linear_radius=None if analysis is None else analysis["spectral_radius"],
                          record_every=record_every, key=key, max_seconds=left(), stopped_because=stopped)
    if plot is not None:
        _save_plot(plot, trajectory, problem, f"{spec.name} on {problem.label}")
    report = {
        "game": problem.label,
        "method": spec.name,
        "hyperparameters": {k: v for k, v in dynamics.hyperparameters if isinstance(v, int | float | str | bool)},
        "steps": args.steps,
        "steps_run": ran,
        # Whether every step ran (false: --max-seconds stopped the run; "stopped_because" says where).
        "completed": stopped is None,
        "stopped_because": stopped,
        "start": {**start_info, "profile": [_tolist(p) for p in start]},
        # diverged: a step overflowed (not finite) and the run stopped there; "outcome" says what the run did.
        "diverged": bool(trajectory.diverged),
        "diverged_at": int(trajectory.diverged_at) if bool(trajectory.diverged) else None,
        "outcome": verdict.as_dict(),
        "final": {"last_iterate": [_tolist(p[-1]) for p in trajectory.params],
                  "time_average": [_tolist(a[-1]) for a in trajectory.average]},
        "metrics": {name: {"start": _finite_or_none(values[0]), "last_iterate": _finite_or_none(values[-1]),
                           "time_average": _finite_or_none(trajectory.average_metrics[name][-1])}
                    for name, values in trajectory.metrics.items()},
        "linear_analysis": analysis,
        "trajectory": {"steps": _tolist(trajectory.steps), "params": [_tolist(p) for p in trajectory.params]},
    }
    if args.format == "json":
        print(json.dumps(report, indent=1))
    else:
        print(_dynamics_table(report))
    return EXIT_OK


def _dynamics_table(report: dict[str, Any]) -> str:
    hyper = ", ".join(f"{k}={v}" for k, v in report["hyperparameters"].items())
    lines = [f"{report['method']} on {report['game']}, {report['steps']} steps ({hyper})"]
    start = report["start"]
    how = {"default": "default", "--start": "given", "--seed": f"random, seed {start['seed']}"}[start["from"]]
    lines.append(f"  {'start':<14} {_profile_text(start['profile'])} ({how})")
    if report["stopped_because"]:
        lines.append(f"NOT COMPLETED: {report['stopped_because']}")
    if report["diverged"]:
        lines.append(f"DIVERGED: the update at step {report['diverged_at']} overflowed (not finite); stopped there")
    for name, values in report["metrics"].items():
        first, last, average = (_format_metric(values[k]) for k in ("start", "last_iterate", "time_average"))
        lines.append(f"  {name:<14} start {first}  last iterate {last}  time average {average}")
    for key, label in (("last_iterate", "last iterate"), ("time_average", "time average")):
        lines.append(f"  {label:<14} {_profile_text(report['final'][key])}")
    if report["linear_analysis"]:
        a = report["linear_analysis"]
        lines.append(f"  linearised update at the equilibrium: spectral radius {a['spectral_radius']:.6f} "
                     f"(predicts {a['classification']})")
    outcome = report["outcome"]
    values = f"{outcome['metric']} {_format_metric(outcome['start_value'])} -> {_format_metric(outcome['last_value'])}"
    lines.append(f"  {'outcome':<14} last iterate {outcome['last_iterate']} ({values})")
    if outcome["note"]:
        lines.append(f"  NOTE: {outcome['note']}")
    return "\n".join(lines)


def _profile_text(profile: Any) -> str:
    return "; ".join(", ".join(f"{v:.4g}" for v in np.ravel(p)) for p in profile)


def _format_metric(value: float | None) -> str:
    return "overflow" if value is None else f"{value:.6g}"


def _plot_target(path_text: str) -> Path:
    """The --plot file, checked before the run: a known image suffix, an existing directory we can write in (a
    probe file is created there and removed: permissions, read-only and virtual file systems all show), and not a
    directory itself."""
    import tempfile

    path = Path(path_text)
    if path.suffix.lower() not in {".png", ".pdf", ".svg"}:
        raise GameError(f"dynamics --plot: expected a .png, .pdf or .svg file name, got {path_text!r}")
    try:
        if not path.parent.is_dir():
            raise GameError(f"dynamics --plot: directory {path.parent} does not exist")
        if path.is_dir():
            raise GameError(f"dynamics --plot: {path} is a directory")
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".equilibria-probe-", suffix=path.suffix):
            pass
    except OSError as exc:
        raise GameError(f"dynamics --plot: cannot write in {path.parent}: {exc.strerror or exc}") from None
    return path


def _save_plot(path: Path, trajectory: Any, problem: _DynamicsProblem, title: str) -> None:
    """Write the figure atomically (a temporary file beside the target, then a rename)."""
    from equilibria.report.trajectories import plot_trajectory

    figure = plot_trajectory(trajectory, problem.game, title=title, equilibrium=problem.equilibrium,
                             action_labels=problem.action_labels)
    try:
        with atomic_path(path, caller="dynamics --plot") as partial:
            figure.savefig(partial, dpi=120)
    finally:
        import matplotlib.pyplot as plt

        plt.close(figure)


