"""Exponentially long Lemke-Howson paths (Savani and von Stengel 2006; Morris 1994).

On the ``d x d`` games of :func:`equilibria.games.generators.savani_von_stengel_game` every Lemke-Howson path, from
every one of the ``2d`` starting labels, is exponentially long in ``d``, while on random games of the same size the
paths stay short. The experiment follows every path in exact arithmetic, checks each ends at the game's unique
equilibrium with max regret exactly 0, fits the growth rate of the shortest path, and compares with random games.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from equilibria.experiments.base import Check, Context, Experiment, ExperimentResult, Table, register  # noqa: E402
from equilibria.games.generators import random_game, savani_von_stengel_game  # noqa: E402
from equilibria.solvers.lemke_howson import lemke_howson_path_length, lemke_howson_solve  # noqa: E402


@dataclass(frozen=True)
class PathsConfig:
    """Even dimensions ``d`` of the hard games, and how many random ``d x d`` games to compare with per ``d``."""

    dimensions: tuple[int, ...] = (2, 4, 6, 8, 10, 12, 14)
    random_games: int = 20
    seed: int = 0


def _random_path_lengths(d: int, count: int, seed: int) -> list[int]:
    rng = np.random.default_rng([seed, d])
    lengths: list[int] = []
    for _ in range(count):
        game = random_game((d, d), seed=rng)
        lengths.extend(lemke_howson_path_length(game, label) for label in range(2 * d))
    return lengths


def run(config: PathsConfig, context: Context) -> ExperimentResult:
    rows, checks = [], []
    shortest, median, longest, random_mean = [], [], [], []
    for d in context.track(config.dimensions, "dimensions"):
        game = savani_von_stengel_game(d)
        lengths = [lemke_howson_path_length(game, label, rational=True) for label in range(2 * d)]
        every_label = lemke_howson_solve(game, all_labels=True, rational=True)
        unique_exact = len(every_label) == 1 and every_label.certificate[0] == 0
        checks.append(Check(f"d={d}: all {2 * d} paths end at the unique equilibrium", "1 equilibrium, regret 0",
                            f"{len(every_label)} found, regret {every_label.worst_certificate:g}", unique_exact))
        baseline = _random_path_lengths(d, config.random_games, config.seed)
        shortest.append(min(lengths))
        median.append(float(np.median(lengths)))
        longest.append(max(lengths))
        random_mean.append(float(np.mean(baseline)))
        rows.append((d, min(lengths), int(np.median(lengths)), max(lengths), f"{np.mean(baseline):.1f}"))
    dims = np.asarray(config.dimensions, dtype=float)
    growth = float(np.exp(np.polyfit(dims, np.log(shortest), 1)[0])) if len(dims) > 1 else float("nan")
    checks.append(Check("shortest path over all labels grows exponentially in d",
                        "growth factor per dimension > 1.15", f"{growth:.3f} (least-squares fit of log length)",
                        growth > 1.15))
    ratio = np.asarray(median) / np.asarray(random_mean)
    widening = bool(np.all(np.diff(ratio) > 0) and ratio[-1] > 5)
    checks.append(Check("the gap to random games widens with d (median hard path / mean random path)",
                        "increasing in d, > 5 at the largest d", ", ".join(f"{r:.1f}" for r in ratio), widening))

    fig, ax = plt.subplots(figsize=(6.5, 4))
    ax.semilogy(dims, longest, "o-", label="Savani-von Stengel: longest path")
    ax.semilogy(dims, median, "d-", label="Savani-von Stengel: median path")
    ax.semilogy(dims, shortest, "s-", label="Savani-von Stengel: shortest path")
    ax.semilogy(dims, random_mean, "^--", color="gray", label=f"random games: mean of {config.random_games}")
    ax.set(xlabel="d (game is d x d)", ylabel="pivots", title="Lemke-Howson path lengths, every starting label")
    ax.legend(fontsize=8)
    fig.tight_layout()
    figure = context.save_figure(fig, "path_lengths.png",
                                 f"Pivots from every label, exact arithmetic; shortest path grows ~{growth:.2f}x per "
                                 "dimension on the hard games and stays flat on random games.")
    table = Table("Lemke-Howson pivots per starting label",
                  ("d", "shortest", "median", "longest", "random: mean"), tuple(rows))
    summary = {"growth_per_dimension": growth, "dimensions": list(config.dimensions), "shortest": shortest,
               "longest": longest}
    return ExperimentResult(summary, tuple(checks), (table,), (figure,))


EXPERIMENT = register(Experiment(
    name="lemke-howson-paths",
    title="Exponentially long Lemke-Howson paths (Savani & von Stengel 2006)",
    description="Every Lemke-Howson path on the Savani-von Stengel games is exponentially long in the dimension, "
                "while random games of the same size are solved in a few pivots; all paths followed exactly.",
    full=PathsConfig(),
    quick=PathsConfig(dimensions=(2, 4, 6, 8, 10), random_games=5),
    run=run,
))
