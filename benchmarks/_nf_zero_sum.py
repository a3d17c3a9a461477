"""Part 4 of the normal-form benchmark: the zero-sum LP on square random games (payoffs uniform in [0, 1)).

equilibria's ``zero_sum_lp_solve`` against nashpy's ``linear_program`` and open_spiel's ``lp_solver`` (which needs
cvxopt/cvxpy and is skipped, with the reason, where it does not import). quantecon has no zero-sum solver. Every
profile is judged by max regret; the *value gap* compares each library's value ``x^T A y`` with equilibria's.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from benchmarks._harness import LibraryStats, failure_note, library_available, lp_growth, ratio_text
from benchmarks._nf_common import (
    Config,
    Target,
    cap_for,
    game_rng,
    method_library,
    size_gate,
    status,
    time_at_size,
)
from benchmarks._profiles import FloatProfile, converged_profiles, float_profile, is_valid
from benchmarks._publish import fmt_seconds, table
from equilibria.games.normal_form import NormalFormGame

ZERO_SUM_METHODS = ("equilibria zero_sum_lp_solve", "nashpy linear_program", "open_spiel lp_solver")


def open_spiel_lp_problem() -> str | None:
    """Why open_spiel's zero-sum LP cannot run here (None when it can)."""
    try:
        importlib.import_module("open_spiel.python.algorithms.lp_solver")
    except Exception as exc:  # noqa: BLE001
        return f"open_spiel `lp_solver` does not import ({type(exc).__name__}: {exc}; it needs cvxopt/cvxpy)"
    return None


def zero_sum_solver(method: str, a: np.ndarray, cap: float) -> Callable[[], list[FloatProfile]]:
    if method == "equilibria zero_sum_lp_solve":
        from equilibria.solvers.zero_sum_lp import zero_sum_lp_solve

        game = NormalFormGame.zero_sum(a)
        return lambda: converged_profiles(zero_sum_lp_solve(game, max_seconds=cap))[:1]
    if method == "nashpy linear_program":
        import nashpy

        ngame = nashpy.Game(a, -a)
        return lambda: [float_profile(*ngame.linear_program())]
    if method == "open_spiel lp_solver":
        import pyspiel
        from open_spiel.python.algorithms import lp_solver

        sgame = pyspiel.create_matrix_game(a.tolist(), (-a).tolist())

        def solve_open_spiel() -> list[FloatProfile]:
            x, y, _, _ = lp_solver.solve_zero_sum_matrix_game(sgame)
            return [float_profile(x, y)]

        return solve_open_spiel
    raise ValueError(f"zero_sum_solver: unknown method {method!r}")


@dataclass
class ZeroSumStats(LibraryStats):
    value_gap: float = 0.0  # max |value - equilibria's value| over games, relative to the payoff range


@dataclass
class ZeroSumRow:
    n: int
    planned: int
    stats: dict[str, ZeroSumStats]


def run_zero_sum(config: Config, available: dict[str, bool], log: Callable[[str], None]) -> list[ZeroSumRow]:
    methods = [m for m in ZERO_SUM_METHODS if method_library(m) in config.libraries]
    open_spiel_problem = open_spiel_lp_problem() if "open_spiel" in config.libraries else None
    gate = size_gate(config, lp_growth)
    rows = []
    for n, count in sorted(config.zero_sum_games.items()):
        rng = game_rng(config.seed, 4, n)
        matrices = [rng.random((n, n)) for _ in range(count)]
        values: dict[str, list[float | None]] = {}
        stats = {}
        for method in methods:
            stat = ZeroSumStats(method)
            stats[method] = stat
            if not available[method_library(method)]:
                stat.skipped = "not installed"
                continue
            if method == "open_spiel lp_solver" and open_spiel_problem:
                stat.skipped = "skipped: lp_solver needs cvxopt/cvxpy"
                continue
            values[method] = [None] * count
            cap = cap_for(config, method)
            makers = [partial(zero_sum_solver, method, a, cap) for a in matrices]
            for index, outcome in enumerate(time_at_size(method, n, makers, config, gate, stat)):
                if not outcome.profiles:
                    continue
                a = matrices[index]
                x, y = outcome.profiles[0]
                stat.valid += is_valid(NormalFormGame.zero_sum(a), (x, y))
                values[method][index] = float(x @ a @ y)
        reference = values.get(methods[0]) if methods else None
        for method, vals in values.items():
            gaps = [
                abs(v - r) / max(float(np.ptp(a)), 1e-300)
                for v, r, a in zip(vals, reference or [], matrices, strict=False)
                if v is not None and r is not None
            ]
            stats[method].value_gap = max(gaps) if gaps else math.nan
            log(
                f"ZERO-SUM n={n} {method}: median {fmt_seconds(stats[method].median)}, value gap "
                f"{stats[method].value_gap:.2g} {failure_note(stats[method])}"
            )
        rows.append(ZeroSumRow(n, count, stats))
    return rows


def zero_sum_target(rows: list[ZeroSumRow]) -> Target:
    claim = "Zero-sum LP: 2000 x 2000 under 2 s"
    for row in rows:
        stat = row.stats.get("equilibria zero_sum_lp_solve")
        if row.n == 2000 and stat is not None and stat.median is not None:
            return Target(
                claim,
                f"median {fmt_seconds(stat.median)}, valid {stat.valid}/{stat.games}",
                status(stat.median < 2.0 and stat.valid == stat.games),
            )
    return Target(claim, "2000 x 2000 not run", "not measured")


def zero_sum_markdown(rows: list[ZeroSumRow], config: Config) -> list[str]:
    out = [
        "### 4. Zero-sum LP on square random games (payoffs uniform in [0, 1))",
        "",
        "*value gap*: largest |value - equilibria's value| over the games, relative to the payoff range "
        "(value = x^T A y of the returned profile). quantecon has no zero-sum solver.",
        "",
    ]
    if "open_spiel" in config.libraries and library_available("open_spiel"):
        problem = open_spiel_lp_problem()
        if problem:
            out += [f"open_spiel: {problem}.", ""]
    body = []
    for row in rows:
        ours = row.stats.get("equilibria zero_sum_lp_solve")
        for method, stat in row.stats.items():
            if stat.skipped:
                body.append([str(row.n), method, "-", "-", "-", "-", stat.skipped])
                continue
            gap = "-" if math.isnan(stat.value_gap) else f"{stat.value_gap:.1e}"
            body.append([str(row.n), method, f"{stat.valid}/{stat.games}", fmt_seconds(stat.median),
                         ratio_text(stat, ours), gap, failure_note(stat)])
    return out + table(["n", "method", "valid", "median", "peer / equilibria", "value gap", "notes"], body)
