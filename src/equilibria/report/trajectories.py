"""Figures of learning-dynamics trajectories (matplotlib; no file I/O here, callers save the figure).

The picture is chosen from the game's shape:

- every player has 3 actions (mixed strategies): each player's path on the probability simplex, drawn as a
  triangle in barycentric coordinates (one panel per player, at most 3);
- two players with one scalar each, or with 2 actions each: the phase plane ``(x, y)`` (for 2 actions, the
  probability of each player's first action);
- otherwise no path panel.

A last panel plots the recorded metrics against the step (log scale when they are positive), so the figure
shows both *where* the dynamic went and *whether* it converged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from equilibria.core.sets import Simplex
from equilibria.games.differentiable import DifferentiableGame

_SQRT3_2 = np.sqrt(3) / 2
_TRIANGLE = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, _SQRT3_2]])


def _numpy_params(trajectory: Any) -> list[np.ndarray]:
    """Per player ``[R, d_i]`` (scalars become ``[R, 1]``)."""
    return [np.asarray(p, dtype=float).reshape(np.shape(p)[0], -1) for p in trajectory.params]


def path_kind(game: DifferentiableGame, params: Sequence[np.ndarray]) -> str:
    """``"simplex"``, ``"phase"`` or ``"none"`` (see the module docstring)."""
    dims = [p.shape[1] for p in params]
    on_simplex = all(isinstance(c, Simplex) for c in game.constraints)
    if on_simplex and all(d == 3 for d in dims) and len(dims) <= 3:
        return "simplex"
    if len(dims) == 2 and (dims == [1, 1] or (on_simplex and dims == [2, 2])):
        return "phase"
    return "none"


def _barycentric(points: np.ndarray) -> np.ndarray:
    return points @ _TRIANGLE


def _simplex_panel(ax: Any, path: np.ndarray, average: np.ndarray, player: int, labels: Sequence[str]) -> None:
    ax.plot(*np.vstack([_TRIANGLE, _TRIANGLE[:1]]).T, color="0.6", lw=0.8)
    for corner, label in zip(_TRIANGLE, labels, strict=True):
        ax.annotate(label, corner, textcoords="offset points", xytext=(0, -12 if corner[1] == 0 else 4),
                    ha="center", fontsize=8)
    xy, avg = _barycentric(path), _barycentric(average)
    ax.plot(*xy.T, lw=0.8, label="last iterate")
    ax.plot(*avg.T, lw=1.2, ls="--", label="time average")
    ax.plot(*xy[0], "o", color="k", ms=3)
    ax.set_title(f"player {player}", fontsize=9)
    ax.set_aspect("equal")
    ax.axis("off")


def _phase_panel(ax: Any, params: Sequence[np.ndarray], averages: Sequence[np.ndarray], equilibrium: Any) -> None:
    x, y = params[0][:, 0], params[1][:, 0]
    ax.plot(x, y, lw=0.8, label="last iterate")
    ax.plot(averages[0][:, 0], averages[1][:, 0], lw=1.2, ls="--", label="time average")
    ax.plot(x[0], y[0], "o", color="k", ms=3)
    if equilibrium is not None:
        ax.plot(*(float(np.ravel(np.asarray(p))[0]) for p in equilibrium), "*", color="C3", ms=9, label="equilibrium")
    ax.set_xlabel("player 0")
    ax.set_ylabel("player 1")
    ax.legend(fontsize=7)


def _metrics_panel(ax: Any, trajectory: Any) -> None:
    steps = np.asarray(trajectory.steps)
    drawn = False
    for name, values in trajectory.metrics.items():
        ax.plot(steps, np.asarray(values), label=f"{name} (last)")
        drawn = True
    for name, values in trajectory.average_metrics.items():
        ax.plot(steps, np.asarray(values), ls="--", label=f"{name} (average)")
    all_values = [np.asarray(v) for v in (*trajectory.metrics.values(), *trajectory.average_metrics.values())]
    if all_values and all(np.all(v > 0) for v in all_values):
        ax.set_yscale("log")
    ax.set_xlabel("step")
    if drawn:
        ax.legend(fontsize=7)
    if bool(np.asarray(trajectory.diverged)):
        ax.axvline(int(np.asarray(trajectory.diverged_at)), color="C3", lw=0.8, ls=":")


def plot_trajectory(trajectory: Any, game: DifferentiableGame, *, title: str = "", equilibrium: Any = None,
                    action_labels: Sequence[Sequence[str]] | None = None) -> Any:
    """A matplotlib figure of ``trajectory`` (from :func:`equilibria.dynamics.run.run`) on ``game``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    params = _numpy_params(trajectory)
    averages = [np.asarray(a, dtype=float).reshape(np.shape(a)[0], -1) for a in trajectory.average]
    kind = path_kind(game, params)
    n_path = len(params) if kind == "simplex" else (1 if kind == "phase" else 0)
    figure, axes = plt.subplots(1, n_path + 1, figsize=(3.4 * (n_path + 1), 3.2), squeeze=False)
    for i in range(n_path if kind == "simplex" else 0):
        labels = action_labels[i] if action_labels else ("0", "1", "2")
        _simplex_panel(axes[0, i], params[i], averages[i], i, labels)
    if kind == "simplex":
        axes[0, 0].legend(fontsize=7, loc="upper left")
    if kind == "phase":
        _phase_panel(axes[0, 0], params, averages, equilibrium)
    _metrics_panel(axes[0, -1], trajectory)
    if title:
        figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    return figure
