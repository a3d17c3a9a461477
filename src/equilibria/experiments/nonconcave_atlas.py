"""An atlas of non-concave games: where equilibria fail to exist, which local notions hold, what dynamics do.

For each example of :mod:`equilibria.games.zoo.nonconcave` (and the bilinear game ``(x - 1/2)(y - 1/2)`` on
``[0, 1]^2``) the experiment runs GDA, extragradient and optimistic GDA, follows STay-ON-the-Ridge (Daskalakis,
Golowich, Skoulakis and Zampetakis 2023) on a box, runs every player's projected gradient descent and certifies
the uniform distribution over its iterates as a local coarse correlated equilibrium (Cai, Daskalakis, Luo, Wei and
Zheng 2024), and classifies the known critical points to second order. It checks the statements of the issue:

- ``(x_0 - x_1)^2`` on ``[-1, 1]^2``: max-min 0 < min-max 1 (no pure equilibrium); double oracle finds the mixed
  equilibrium's value 1; a diagonal point is an ``(eps, delta)``-local Nash equilibrium iff ``eps >= delta^2``;
- the ridge function: the origin is a strict local minimax and not a local Nash equilibrium;
- Forsaken: GDA, EG and OGDA at step 0.05 from ``(0.5, 0.5)`` do not reach its critical point (whose Hessian makes
  it a strict local *maximin* of ``min_x max_y``, not a local Nash point: see the zoo's docstring);
- bilinear on ``[0, 1]^2``: STay-ON-the-Ridge returns ``(1/2, 1/2)``;
- guess-the-larger-number: the truncations' gap to the infinite game does not close;
- the local-CCE certificate shrinks with the number of iterates ``T``, and each deviation family's measured gain
  stays below its bound (:mod:`equilibria.solvers.local`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from equilibria.core.sets import Box  # noqa: E402
from equilibria.dynamics.gradient import extragradient, gda, optimistic_gda  # noqa: E402
from equilibria.dynamics.run import Trajectory, run  # noqa: E402
from equilibria.experiments.base import Check, Context, Experiment, ExperimentResult, Table, register  # noqa: E402
from equilibria.games.differentiable import DifferentiableGame  # noqa: E402
from equilibria.games.zoo import nonconcave as zoo  # noqa: E402
from equilibria.metrics.residuals import (  # noqa: E402
    classify_stationary_point,
    first_order_residual,
    local_deviation_gains,
)
from equilibria.solvers.continuous import double_oracle_solve, guess_the_larger_number_table  # noqa: E402
from equilibria.solvers.local import local_cce_solve  # noqa: E402
from equilibria.solvers.ridge import ridge_solve  # noqa: E402

# Zero for the critical points: the second-order classification's threshold and STay-ON-the-Ridge's tolerance, so
# the table prints residuals below it as 0.
ZERO_TOLERANCE = 1e-6


@dataclass(frozen=True)
class AtlasConfig:
    """Step size and horizons: gradient dynamics, the local-CCE runs (several ``T``), the guess-the-number sizes."""

    learning_rate: float = 0.05
    dynamics_steps: int = 2000
    cce_steps: tuple[int, ...] = (100, 400, 1600)
    delta: float = 0.01
    guess_sizes: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64)


def _bilinear_objective(_: Any, x: jax.Array, y: jax.Array) -> jax.Array:
    return (x - 0.5) * (y - 0.5)


def _bilinear_box() -> DifferentiableGame:
    return DifferentiableGame.zero_sum(_bilinear_objective, jnp.zeros(()), (Box(0.0, 1.0), Box(0.0, 1.0)),
                                       name="bilinear-box")


@dataclass(frozen=True)
class _Example:
    name: str
    game: DifferentiableGame
    ridge_game: DifferentiableGame  # the same objective on a box (STay-ON-the-Ridge needs one)
    start: tuple[jax.Array, jax.Array]
    point: tuple[jax.Array, jax.Array] | None  # the critical point the atlas classifies


def _scalars(x: float, y: float) -> tuple[jax.Array, jax.Array]:
    return (jnp.asarray(x), jnp.asarray(y))


def _examples() -> list[_Example]:
    ridge_box = DifferentiableGame.zero_sum(
        lambda d, x, y: zoo._ridge_objective(d, x, y), jnp.zeros(()), (Box(-1.0, 1.0), Box(-2.0, 2.0)),
        name="ridge-minimax on [-1,1]x[-2,2]")
    forsaken_box = zoo.forsaken(bound=1.5)
    return [
        _Example("squared-distance", zoo.squared_distance(), zoo.squared_distance(), _scalars(0.5, -0.3),
                 _scalars(0.25, 0.25)),
        _Example("ridge-minimax", zoo.ridge_minimax(), ridge_box, _scalars(0.5, 0.5), _scalars(0.0, 0.0)),
        _Example("forsaken", zoo.forsaken(), forsaken_box, _scalars(0.5, 0.5), _scalars(*zoo.FORSAKEN_CRITICAL)),
        _Example("bilinear-box", _bilinear_box(), _bilinear_box(), _scalars(0.9, 0.2), _scalars(0.5, 0.5)),
    ]


_DYNAMICS = (("GDA", gda), ("EG", extragradient), ("OGDA", optimistic_gda))


def _trajectories(example: _Example, config: AtlasConfig) -> dict[str, Trajectory]:
    runs = _dynamics_runs(example.game, example.start, config.learning_rate, config.dynamics_steps,
                          max(1, config.dynamics_steps // 400))
    return dict(zip((name for name, _ in _DYNAMICS), runs, strict=True))


@partial(jax.jit, static_argnames=("steps", "record_every"))
def _dynamics_runs(game: DifferentiableGame, start: tuple[jax.Array, jax.Array], learning_rate: float,
                   steps: int, record_every: int) -> tuple[Trajectory, ...]:
    """GDA, EG and OGDA from ``start`` (in ``_DYNAMICS``'s order): one compiled program per game, where three
    eager ``run`` calls would each dispatch and compile their set-up operations one by one."""
    return tuple(run(make(learning_rate), game, make(learning_rate).init(game, start), steps=steps,
                     record_every=record_every) for _, make in _DYNAMICS)


def _distance(trajectory: Trajectory, point: tuple[jax.Array, jax.Array]) -> float:
    x, y = (np.asarray(p)[-1] for p in trajectory.params)
    return float(np.hypot(x - float(point[0]), y - float(point[1])))


def _panel(ax: Any, example: _Example, trajectories: dict[str, Trajectory], ridge_path: np.ndarray,
           support: Any) -> None:
    for name, trajectory in trajectories.items():
        ax.plot(np.asarray(trajectory.params[0]), np.asarray(trajectory.params[1]), lw=0.8, label=name)
    if ridge_path.size:
        ax.plot(ridge_path[:, 0], ridge_path[:, 1], color="k", lw=1.4, ls="--", label="STay-ON-the-Ridge")
    ax.scatter(np.ravel(support[0]), np.ravel(support[1]), s=2, color="0.6", alpha=0.4, label="local-CCE support")
    if example.point is not None:
        ax.plot(float(example.point[0]), float(example.point[1]), "*", color="C3", ms=10, label="critical point")
    ax.set_title(example.name, fontsize=9)
    ax.set_xlabel("x (player 0)")
    ax.set_ylabel("y (player 1)")


def _squared_distance_checks(config: AtlasConfig) -> list[Check]:
    game = zoo.squared_distance()
    grid = np.linspace(-1, 1, 401)
    payoff = (grid[:, None] - grid[None, :]) ** 2  # player 0's utility, x0 on rows
    maxmin, minmax = float(payoff.min(axis=1).max()), float(payoff.max(axis=0).min())
    oracle = double_oracle_solve(game, tol=1e-6)
    value = float(oracle.values[0][0])
    delta = 0.1
    gains = local_deviation_gains(game, _scalars(0.25, 0.25), delta)
    return [
        Check("(x0-x1)^2 on [-1,1]^2: no pure equilibrium", "max-min 0 < min-max 1",
              f"max-min {maxmin:g}, min-max {minmax:g}", maxmin == 0.0 and minmax == 1.0),
        Check("(x0-x1)^2: double oracle converges to the mixed value", "1",
              f"{value:.6f} (certificate {oracle.certificate[0]:.1e})", abs(value - 1) <= 1e-6),
        Check("(x0-x1)^2: a diagonal point is (eps, delta)-local Nash iff eps >= delta^2",
              f"largest gain = delta^2 = {delta**2:g}", f"{float(np.max(gains)):.6g}",
              abs(float(np.max(gains)) - delta**2) <= 1e-6),
    ]


def run_experiment(config: AtlasConfig, context: Context) -> ExperimentResult:
    with jax.enable_x64(True):
        checks = _squared_distance_checks(config)
        rows, cce_rows = [], []
        examples = _examples()
        fig, axes = plt.subplots(1, len(examples), figsize=(4 * len(examples), 3.8))
        for ax, example in zip(axes, context.track(examples, "non-concave examples"), strict=True):
            trajectories = _trajectories(example, config)
            ridge = ridge_solve(example.ridge_game, tolerance=ZERO_TOLERANCE)
            ridge_point = tuple(float(np.asarray(p)) for p in ridge.equilibria[0])
            cce = [local_cce_solve(example.ridge_game, example.start, steps=t, delta=config.delta, seed=0)
                   for t in config.cce_steps]
            for t, result in zip(config.cce_steps, cce, strict=True):
                p = result.parameters
                cce_rows.append((example.name, t, f"{max(p['interpolation_gains']):.2e}",
                                 f"{max(p['interpolation_bounds']):.2e}", f"{max(p['projection_gains']):.2e}",
                                 f"{max(p['projection_bounds']):.2e}"))
            classification = (classify_stationary_point(example.game, example.point, tol=ZERO_TOLERANCE).label
                              if example.point is not None else "-")
            residual = (first_order_residual(example.game, example.point) if example.point is not None
                        else float("nan"))
            distances = {n: _distance(t, example.point) for n, t in trajectories.items()} if example.point else {}
            rows.append((example.name, classification, f"{residual:.1e}",
                         ", ".join(f"{n} {d:.3f}" for n, d in distances.items()),
                         f"({ridge_point[0]:.4f}, {ridge_point[1]:.4f}) residual {ridge.certificate[0]:.1e}"
                         + ("" if ridge.converged else f" [{ridge.parameters.get('stopped_because', '')}]"),
                         f"gap {cce[-1].certificate[0]:.1e}, bound {cce[-1].parameters['bound']:.1e}"))
            _panel(ax, example, trajectories, np.asarray(ridge.parameters["path"]), cce[-1].equilibria[0])
            checks += _example_checks(example, classification, distances, ridge, ridge_point, cce)
        axes[0].legend(fontsize=6)
        fig.tight_layout()
        figure = context.save_figure(fig, "atlas.png", "GDA, extragradient and optimistic GDA trajectories, the "
                                     "STay-ON-the-Ridge path (dashed) and the local-CCE support (grey dots) on each "
                                     "example; the star is the critical point the table classifies.")
        guess = guess_the_larger_number_table(config.guess_sizes)
        checks.append(Check("guess-the-larger-number: the truncation gap does not close", "gap 2 for every N",
                            ", ".join(f"N={r.n}: {r.gap:g}" for r in guess), all(r.gap == 2 for r in guess)))
    tables = (
        Table("Critical points, dynamics and STay-ON-the-Ridge", ("game", "classification at the point",
              "first-order residual", "final distance to the point", "STay-ON-the-Ridge end", "local-CCE gap"),
              tuple(rows), zero_below={"first-order residual": ZERO_TOLERANCE,
                                       "STay-ON-the-Ridge end": ZERO_TOLERANCE}),
        Table(f"Local CCE certificate vs T (delta = {config.delta:g}); largest gain over players per family",
              ("game", "T", "Phi_Int gain", "Phi_Int bound", "Phi_Proj gain", "Phi_Proj bound"), tuple(cce_rows)),
        Table("Guess the larger number on {1..N}", ("N", "value", "guaranteed (infinite game)", "conceded", "gap"),
              tuple((r.n, f"{r.value:g}", f"{r.guaranteed:g}", f"{r.conceded:g}", f"{r.gap:g}") for r in guess)),
    )
    summary = {"rows": [list(map(str, r)) for r in rows], "cce": [list(map(str, r)) for r in cce_rows]}
    return ExperimentResult(summary, tuple(checks), tables, (figure,))


def _example_checks(example: _Example, classification: str, distances: dict[str, float], ridge: Any,
                    ridge_point: tuple[float, ...], cce: list[Any]) -> list[Check]:
    checks = []
    if example.name == "ridge-minimax":
        checks.append(Check("ridge function: the origin is a strict local minimax, not a local Nash point",
                            "strict local minimax", classification, classification == "strict local minimax"))
    if example.name == "forsaken":
        checks.append(Check("Forsaken: GDA, EG and OGDA (step 0.05, from (0.5, 0.5)) do not reach the critical point",
                            "final distance > 0.05 for all three",
                            ", ".join(f"{n} {d:.3f}" for n, d in distances.items()),
                            all(d > 0.05 for d in distances.values())))
    if example.name == "bilinear-box":
        checks.append(Check("(x-1/2)(y-1/2) on [0,1]^2: STay-ON-the-Ridge returns (1/2, 1/2)", "(0.5, 0.5)",
                            f"({ridge_point[0]:.6f}, {ridge_point[1]:.6f})",
                            bool(ridge.converged) and max(abs(v - 0.5) for v in ridge_point) <= 1e-6))
    gaps = [float(r.certificate[0]) for r in cce]
    checks.append(Check(f"{example.name}: the local-CCE certificate shrinks with T", "decreasing from first to last T",
                        " -> ".join(f"{g:.1e}" for g in gaps), gaps[-1] < gaps[0]))
    within = [_gains_within_bounds(r.parameters) for r in cce]
    checks.append(Check(f"{example.name}: every measured deviation gain is below its family's bound",
                        "Phi_Int and Phi_Proj gains <= bounds at every T",
                        ", ".join(f"T={r.parameters['T']}: {'yes' if ok else 'NO'}" for r, ok in zip(cce, within,
                                                                                                 strict=True)),
                        all(within)))
    return checks


def _gains_within_bounds(parameters: dict[str, Any]) -> bool:
    pairs = [*zip(parameters["interpolation_gains"], parameters["interpolation_bounds"], strict=True),
             *zip(parameters["projection_gains"], parameters["projection_bounds"], strict=True)]
    return all(gain <= bound for gain, bound in pairs)


EXPERIMENT = register(Experiment(
    name="nonconcave-atlas",
    title="Non-concave games: missing equilibria, local notions, dynamics, STay-ON-the-Ridge, local CCE",
    description="Squared distance, the ridge function, Forsaken and a bilinear box game: GDA/EG/OGDA trajectories, "
                "the STay-ON-the-Ridge path, the local-CCE support and certificate, second-order classification.",
    full=AtlasConfig(),
    quick=AtlasConfig(dynamics_steps=400, cce_steps=(100, 400), guess_sizes=(1, 2, 4, 8)),
    run=run_experiment,
))
