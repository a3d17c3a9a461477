"""Atlas of the zoo: every named game solved by every applicable solver, checked against its known equilibria.

For two-player games the exact vertex enumeration must return exactly the known extreme equilibria (as fractions),
Lemke-Howson from every label and support enumeration must land inside that set, and the zero-sum LP must reproduce
the known value. For n-player games QRE tracing must reach a known equilibrium and the pure solver the known pure ones.
Every game also gets a welfare-maximising correlated equilibrium, certified by its CE gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from equilibria.core.result import SolveResult  # noqa: E402
from equilibria.experiments.base import Check, Context, Experiment, ExperimentResult, Figure, Table, register  # noqa: E402
from equilibria.games import zoo  # noqa: E402
from equilibria.games.normal_form import NormalFormGame  # noqa: E402
from equilibria.solvers import SOLVERS, solve  # noqa: E402

# The atlas's zero: game values and CE gaps are checked to this, and certificates below it are round-off of 0.
TOLERANCE = 1e-9


@dataclass(frozen=True)
class AtlasConfig:
    """Which games to include (all zoo entries when empty) and how many timing repeats per solver."""

    games: tuple[str, ...] = ()
    repeats: int = 3


def _as_fractions(profile: Any) -> tuple[tuple[Fraction, ...], ...]:
    return tuple(tuple(Fraction(x) for x in s) for s in profile)


def _close(profile: Any, known: tuple[tuple[Fraction, ...], ...], tol: float = 1e-6) -> bool:
    return all(np.allclose(np.asarray(s, dtype=float), [float(x) for x in k], atol=tol)
               for s, k in zip(profile, known, strict=True))


def _timed_solve(game: NormalFormGame, method: str, repeats: int, **options: Any) -> tuple[SolveResult, float]:
    results = [solve(game, method, **options) for _ in range(repeats)]
    return results[-1], float(np.median([r.seconds for r in results]))


def _methods_for(game: NormalFormGame) -> list[tuple[str, dict[str, Any]]]:
    if game.n_players != 2:
        return [("pure", {}), ("qre", {}), ("correlated", {}), ("coarse_correlated", {})]
    methods: list[tuple[str, dict[str, Any]]] = [
        ("vertex_enumeration", {"rational": True}),
        ("lemke_howson", {"all_equilibria": True}),
        ("support_enumeration", {}),
        ("correlated", {}),
        ("coarse_correlated", {}),
    ]
    if game.is_constant_sum():
        methods.insert(0, ("zero_sum_lp", {}))
    return methods


def _check_game(entry: zoo.ZooEntry, results: dict[str, SolveResult]) -> list[Check]:
    known = entry.known_equilibria
    checks = []
    if "vertex_enumeration" in results and entry.known_complete:
        found = {_as_fractions(p) for p in results["vertex_enumeration"].equilibria}
        checks.append(Check(f"{entry.name}: exact extreme equilibria", f"{len(known)} known",
                            f"{len(found)} found, {'identical' if found == set(known) else 'DIFFERENT'}",
                            found == set(known)))
    for method in ("lemke_howson", "support_enumeration", "qre"):
        if method in results:
            result = results[method]
            inside = all(any(_close(p, k) for k in known) for p in result.equilibria) and len(result) > 0
            checks.append(Check(f"{entry.name}: {method} lands on a known equilibrium", "yes",
                                f"{len(result)} found, {'all known' if inside else 'UNKNOWN PROFILE'}", inside))
    if "zero_sum_lp" in results and entry.value is not None:
        value = float(results["zero_sum_lp"].values[0][0])
        checks.append(Check(f"{entry.name}: game value", str(entry.value), f"{value:.9g}",
                            abs(value - float(entry.value)) <= TOLERANCE, zero_below=TOLERANCE))
    if "correlated" in results:
        gap = results["correlated"].worst_certificate
        checks.append(Check(f"{entry.name}: correlated equilibrium certified", "CE gap <= 1e-9",
                            f"{gap:.2g}", gap <= TOLERANCE, zero_below=TOLERANCE))
    return checks


def _best_response_curve(gain_at_0: float, gain_at_1: float) -> tuple[list[float], list[float]] | None:
    """Best response (probability of own action 0) against the opponent's probability t of their action 0.

    ``gain(t)`` = payoff of own action 0 minus action 1 is linear in t; returns the correspondence's graph as a
    polyline ``(responses, ts)``, or None when the player is indifferent everywhere.
    """
    if gain_at_0 == 0 and gain_at_1 == 0:
        return None
    if gain_at_0 * gain_at_1 >= 0:  # no sign change inside (0, 1): one pure best response (ties at an end point)
        response = 1.0 if gain_at_0 + gain_at_1 > 0 else 0.0
        return [response, response], [0.0, 1.0]
    switch = gain_at_0 / (gain_at_0 - gain_at_1)
    before = 1.0 if gain_at_0 > 0 else 0.0
    return [before, before, 1 - before, 1 - before], [0.0, switch, switch, 1.0]


def _best_response_panel(ax: Any, game: NormalFormGame, equilibria: tuple[Any, ...]) -> None:
    """Best-response correspondences of a 2x2 game in (p, q) = (P[row plays 0], P[column plays 0])."""
    a, b = game.payoff_matrices()
    row = _best_response_curve(a[0, 1] - a[1, 1], a[0, 0] - a[1, 0])  # against q = 0 and q = 1
    column = _best_response_curve(b[1, 0] - b[1, 1], b[0, 0] - b[0, 1])  # against p = 0 and p = 1
    if row is not None:
        ax.plot(row[0], row[1], color="tab:blue", lw=2.5, label="row best response")
    if column is not None:
        ax.plot(column[1], column[0], color="tab:orange", lw=2, ls="--", label="column best response")
    for profile in equilibria:
        ax.plot(float(profile[0][0]), float(profile[1][0]), "ko", ms=7)
    ax.set(xlim=(-0.05, 1.05), ylim=(-0.05, 1.05), xlabel="p = P(row plays 0)", ylabel="q = P(column plays 0)",
           title=game.name)


def run(config: AtlasConfig, context: Context) -> ExperimentResult:
    names = config.games or zoo.names()
    rows, checks, two_by_two = [], [], []
    for name in context.track(names, "zoo games"):
        entry = zoo.entry(name)
        game = entry.game()
        results = {}
        for method, options in _methods_for(game):
            result, seconds = _timed_solve(game, method, config.repeats, **options)
            results[method] = result
            rows.append((name, "x".join(map(str, game.n_actions)), method, len(result),
                         f"{result.worst_certificate:.1e}", f"{seconds * 1e3:.2f}"))
        checks.extend(_check_game(entry, results))
        if game.n_actions == (2, 2):
            two_by_two.append((game, results["vertex_enumeration"].equilibria))
    figures: list[Figure] = []
    if two_by_two:
        columns = 4
        grid_rows = -(-len(two_by_two) // columns)
        fig, axes = plt.subplots(grid_rows, columns, figsize=(4 * columns, 3.8 * grid_rows), squeeze=False)
        for ax, (game, equilibria) in zip(axes.flat, two_by_two, strict=False):
            _best_response_panel(ax, game, equilibria)
        for ax in list(axes.flat)[len(two_by_two):]:
            ax.axis("off")
        axes.flat[0].legend(loc="lower left", fontsize=8)
        fig.tight_layout()
        figures.append(context.save_figure(fig, "best_responses.png",
                                           "2x2 zoo games: best-response correspondences (blue: row, orange: column) "
                                           "cross exactly at the equilibria found by vertex enumeration (dots)."))
    by_method: dict[str, list[float]] = {}
    for row in rows:
        by_method.setdefault(row[2], []).append(float(row[5]))
    fig, ax = plt.subplots(figsize=(7, 3.5))
    methods = [m for m in SOLVERS if m in by_method]
    ax.boxplot([by_method[m] for m in methods], tick_labels=methods, orientation="horizontal")
    ax.set(xscale="log", xlabel="median solve time per zoo game (ms)")
    fig.tight_layout()
    figures.append(context.save_figure(fig, "solve_times.png", "Solve time per method over the zoo games."))
    table = Table("Every zoo game, every applicable solver",
                  ("game", "actions", "method", "equilibria", "worst certificate", "median ms"), tuple(rows),
                  zero_below={"worst certificate": TOLERANCE})
    summary = {"games": len(names), "solver_runs": len(rows), "checks_passed": sum(c.passed for c in checks),
               "checks": len(checks)}
    return ExperimentResult(summary, tuple(checks), (table,), tuple(figures))


EXPERIMENT = register(Experiment(
    name="zoo-atlas",
    title="Atlas of the zoo: certified equilibria of every named game",
    description="Each zoo game is solved by every applicable solver; exact vertex enumeration must return exactly the "
                "literature's extreme equilibria (von Stengel 2007 for the 3x2 games), the other solvers must land on "
                "them, and every answer carries its independently computed certificate.",
    full=AtlasConfig(repeats=5),
    quick=AtlasConfig(repeats=1),
    run=run,
))
