"""Parts 1 and 5 of the normal-form benchmark: one equilibrium of random uniform ``n x n`` games by Lemke-Howson.

Part 1 runs each library as it is used by default: equilibria races the paths from every starting label (first to
end wins); quantecon, pygambit (``lcp_solve``) and nashpy follow one path. Part 5 compares like with like: the
path from ONE given label, label 0 (the row player's first action dropped), for equilibria and quantecon, which
number labels alike (``i < m``: the row player's action ``i``; ``m + j``: the column player's action ``j``). On a
nondegenerate game that path is unique, so both must end at the same equilibrium; the table counts the games on
which they do. A single path can be very long (at n = 500 some take minutes where the race of part 1 ends in
milliseconds), so in part 5 both get the same per-call cap, the peers' one: equilibria through ``max_seconds``,
quantecon in a forked child killed at the cap (its compiled loop cannot be interrupted otherwise; it is compiled
by the warm-up in this process first, so the children inherit the machine code, and each child calls once untimed
before it times, since a first call there pays for touching the parent's pages). Both parts use the same seeded
games at a size; answers are judged by max regret (:mod:`benchmarks._profiles`), timings as in
:func:`benchmarks._nf_common.time_at_size`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from benchmarks._harness import LibraryStats, cubic_growth, failure_note, paired_ratio, ratio_text
from benchmarks._nf_common import Config, Target, cap_for, game_rng, size_gate, status, time_at_size, uniform_bimatrix
from benchmarks._profiles import FloatProfile, converged_profiles, float_profile, gambit_profile, is_valid, same_profile
from benchmarks._publish import fmt_seconds, table
from equilibria.games.normal_form import NormalFormGame

LH_LIBRARIES = ("equilibria", "quantecon", "pygambit", "nashpy")
LH_DESCRIPTION = {
    "equilibria": "`lemke_howson_solve(game)` (default: every starting label raced, first path to end wins)",
    "quantecon": "`game_theory.lemke_howson(g, init_pivot=0)` (numba; compile time excluded by the warm-up)",
    "pygambit": "`nash.lcp_solve(Game.from_arrays(A, B), rational=False, stop_after=1)` (one equilibrium)",
    "nashpy": "`Game(A, B).lemke_howson(initial_dropped_label=0)`",
}
LABEL_LIBRARIES = ("equilibria", "quantecon")
LABEL_DESCRIPTION = {
    "equilibria": "`lemke_howson_solve(game, initial_label=0)` (the one path from label 0, no race)",
    "quantecon": "`game_theory.lemke_howson(g, init_pivot=0)` (numba, compiled by the warm-up; each game in a "
    "forked child killed at the cap, called once untimed there, then timed inside the child)",
}

Solver = Callable[[str, np.ndarray, np.ndarray, float], Callable[[], list[FloatProfile]]]


def lh_solver(library: str, a: np.ndarray, b: np.ndarray, cap: float) -> Callable[[], list[FloatProfile]]:
    """A zero-argument call returning ``[profile]``; the game object is built here, outside the timer."""
    if library == "equilibria":
        from equilibria.solvers.lemke_howson import lemke_howson_solve

        game = NormalFormGame.bimatrix(a, b)

        def solve_equilibria() -> list[FloatProfile]:
            return converged_profiles(lemke_howson_solve(game, max_seconds=cap))[:1]

        return solve_equilibria
    if library == "quantecon":
        import quantecon.game_theory as gt

        qgame = gt.NormalFormGame((gt.Player(a), gt.Player(b.T)))
        return lambda: [float_profile(*gt.lemke_howson(qgame, init_pivot=0))]
    if library == "pygambit":
        import pygambit as gbt

        ggame = gbt.Game.from_arrays(a, b)

        def solve_gambit() -> list[FloatProfile]:
            found = gbt.nash.lcp_solve(ggame, rational=False, stop_after=1).equilibria
            return [gambit_profile(ggame, eq) for eq in found[:1]]

        return solve_gambit
    if library == "nashpy":
        import nashpy

        ngame = nashpy.Game(a, b)
        return lambda: [float_profile(*ngame.lemke_howson(initial_dropped_label=0))]
    raise ValueError(f"lh_solver: unknown library {library!r}")


def label_solver(library: str, a: np.ndarray, b: np.ndarray, cap: float) -> Callable[[], list[FloatProfile]]:
    """Part 5's call: the path from label 0 (quantecon's is part 1's call, which already starts there)."""
    if library == "equilibria":
        from equilibria.solvers.lemke_howson import lemke_howson_solve

        game = NormalFormGame.bimatrix(a, b)

        def solve_from_label() -> list[FloatProfile]:
            return converged_profiles(lemke_howson_solve(game, initial_label=0, max_seconds=cap))[:1]

        return solve_from_label
    return lh_solver(library, a, b, cap)


@dataclass
class LHRow:
    n: int
    planned: int
    stats: dict[str, LibraryStats]
    # Per peer: (games on which its equilibrium equals equilibria's, games on which both returned one).
    same: dict[str, tuple[int, int]] = field(default_factory=dict)


def _run(config: Config, available: dict[str, bool], log: Callable[[str], None], libraries: tuple[str, ...],
         games_per_size: dict[int, int], solver: Solver, tag: str, same_cap: bool = False) -> list[LHRow]:
    """Time every library on every size's games (part 1's seeded games), check validity and agreement.

    ``same_cap``: every library gets the peers' cap, and peers run in a child killed at it (part 5).
    """
    libraries = tuple(lib for lib in libraries if lib in config.libraries)
    gate = size_gate(config, cubic_growth)
    rows = []
    for n, count in sorted(games_per_size.items()):
        rng = game_rng(config.seed, 1, n)
        games = [uniform_bimatrix(rng, n) for _ in range(count)]
        stats = {}
        answers: dict[str, list[FloatProfile | None]] = {}
        for lib in libraries:
            stat = LibraryStats(lib)
            stats[lib] = stat
            if not available[lib]:
                stat.skipped = "not installed"
                continue
            cap = config.cap_seconds if same_cap else cap_for(config, lib)
            makers = [partial(solver, lib, a, b, cap) for a, b in games]
            answers[lib] = [None] * count
            outcomes = time_at_size(lib, n, makers, config, gate, stat, cap=cap if same_cap else None,
                                    isolated=same_cap and lib != "equilibria")
            for k, ((a, b), outcome) in enumerate(zip(games, outcomes, strict=False)):
                if outcome.profiles:
                    stat.valid += is_valid(NormalFormGame.bimatrix(a, b), outcome.profiles[0])
                    answers[lib][k] = outcome.profiles[0]
            log(
                f"{tag} n={n} {lib}: {stat.valid}/{stat.games} valid, median {fmt_seconds(stat.median)} "
                f"{failure_note(stat)}"
            )
        rows.append(LHRow(n, count, stats, same_as_ours(answers)))
    return rows


def same_as_ours(answers: Mapping[str, list[FloatProfile | None]]) -> dict[str, tuple[int, int]]:
    ours = answers.get("equilibria")
    if ours is None:
        return {}
    same = {}
    for lib, theirs in answers.items():
        pairs = [(p, q) for p, q in zip(theirs, ours, strict=True) if p is not None and q is not None]
        if lib != "equilibria":
            same[lib] = (sum(same_profile(p, q) for p, q in pairs), len(pairs))
    return same


def run_lemke_howson(config: Config, available: dict[str, bool], log: Callable[[str], None]) -> list[LHRow]:
    return _run(config, available, log, LH_LIBRARIES, config.lh_games, lh_solver, "LH")


def run_lemke_howson_from_label(config: Config, available: dict[str, bool], log: Callable[[str], None]
                                ) -> list[LHRow]:
    return _run(config, available, log, LABEL_LIBRARIES, config.label_games, label_solver, "LH label 0",
                same_cap=True)


# ------------------------------------------------------------------------------------------------------------
# Targets
# ------------------------------------------------------------------------------------------------------------


def ratio_target(rows: list[LHRow], peer: str, need: float, claim: str) -> Target:
    """``claim`` is met when the paired peer/equilibria ratio is at least ``need`` at every size both ran."""
    ratios = []
    for r in rows:
        paired = paired_ratio(r.stats.get(peer), r.stats.get("equilibria"))
        if paired is not None:
            ratios.append((r.n, paired[0]))
    if not ratios:
        return Target(claim, "peer not measured", "not measured")
    text = ", ".join(f"n={n}: {ratio:.3g}x" for n, ratio in ratios)
    return Target(claim, f"peer/equilibria median time {text}", status(all(x >= need for _, x in ratios)))


def lh_targets(rows: list[LHRow], biggest: int) -> list[Target]:
    """Part 1's targets; ``biggest``: the largest n of the full configuration (validity must reach it)."""
    ours = [(r.n, r.stats["equilibria"]) for r in rows if "equilibria" in r.stats]
    covered = bool(ours) and max(n for n, _ in ours) >= biggest
    all_valid = all(s.games > 0 and s.valid == s.games for _, s in ours)
    shares = ", ".join(f"n={n}: {s.valid}/{s.games}" for n, s in ours)
    claim = f"Lemke-Howson: 100% valid through n={biggest}"
    if not ours:
        validity = Target(claim, "-", "not measured")
    elif not all_valid:
        validity = Target(claim, shares, "not met")
    else:
        validity = Target(claim, shares, "met" if covered else f"not measured (largest n run: {ours[-1][0]})")
    return [
        validity,
        ratio_target(rows, "quantecon", 1.0, "Lemke-Howson: median no slower than quantecon at every n"),
        ratio_target(rows, "pygambit", 10.0, "Lemke-Howson: >= 10x faster than pygambit lcp_solve at every n"),
    ]


def label_target(rows: list[LHRow]) -> Target:
    return ratio_target(rows, "quantecon", 1.0, "Lemke-Howson from one label: median no slower than quantecon at "
                        "every n")


# ------------------------------------------------------------------------------------------------------------
# Markdown
# ------------------------------------------------------------------------------------------------------------


def lh_markdown(rows: list[LHRow]) -> list[str]:
    out = ["### 1. Lemke-Howson: one equilibrium of random uniform n x n games", ""]
    out += [f"- {lib}: {desc}" for lib, desc in LH_DESCRIPTION.items()]
    out += [
        "- valid: max regret (equilibria's `metrics.max_regret`) <= 1e-6 x payoff range; a timeout or error "
        "counts as not valid. Median over the calls that returned. Ratio (here and below): peer median / "
        "equilibria median over the games on which both returned (above 1: equilibria is faster).",
        "",
    ]
    body = []
    for row in rows:
        ours = row.stats.get("equilibria")
        for lib, stat in row.stats.items():
            if stat.skipped:
                body.append([str(row.n), lib, "-", "-", "-", stat.skipped])
                continue
            ratio = ratio_text(stat, ours)
            body.append([str(row.n), lib, f"{stat.valid}/{stat.games}", fmt_seconds(stat.median), ratio,
                         failure_note(stat)])
    return out + table(["n", "library", "valid", "median", "peer / equilibria", "notes"], body)


def label_markdown(rows: list[LHRow], cap: float) -> list[str]:
    out = ["### 5. Lemke-Howson from one given label: the path from label 0, random uniform n x n games", ""]
    out += [f"- {lib}: {desc}" for lib, desc in LABEL_DESCRIPTION.items()]
    out += [
        "- The games of part 1 (same seed and sizes); valid, median and ratio as there. Both libraries number "
        "labels alike (label 0: the row player's first action) and a random game is nondegenerate, so both "
        "follow the same path: *same equilibrium* counts the games on which the peer's answer equals "
        "equilibria's (within 1e-6), over the games on which both returned one.",
        f"- One path can be very long (part 1's race avoids them), so here both get the same per-call cap, {cap:g} s "
        "(equilibria as `max_seconds`); a path that outlives it counts as a failure for either.",
        "",
    ]
    body = []
    for row in rows:
        ours = row.stats.get("equilibria")
        for lib, stat in row.stats.items():
            if stat.skipped:
                body.append([str(row.n), lib, "-", "-", "-", "-", stat.skipped])
                continue
            same = row.same.get(lib)
            same_text = f"{same[0]}/{same[1]}" if same is not None and same[1] else "-"
            body.append([str(row.n), lib, f"{stat.valid}/{stat.games}", fmt_seconds(stat.median),
                         ratio_text(stat, ours), same_text, failure_note(stat)])
    return out + table(["n", "library", "valid", "median", "peer / equilibria", "same equilibrium", "notes"], body)
