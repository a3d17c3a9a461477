"""Part 2 of the normal-form benchmark: all equilibria of random uniform ``n x n`` games.

Random games are nondegenerate with probability 1, so every complete method should return the same set; each
method's set is compared with equilibria's vertex enumeration (and that one with pygambit's ``enummixed_solve``).
The solvers here are also the ones part 3 runs on degenerate games (:func:`enum_solver`). Support enumeration
costs about ``4^n / sqrt(n)`` support pairs, so slow peers are skipped by that growth law
(:func:`benchmarks._harness.exponential_growth`) once the previous size predicts more than their cap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

import numpy as np

from benchmarks._harness import LibraryStats, exponential_growth, failure_note, paired_ratio, ratio_text
from benchmarks._nf_common import (
    Config,
    Target,
    cap_for,
    game_rng,
    games_per_size,
    method_library,
    size_gate,
    status,
    time_at_size,
    uniform_bimatrix,
)
from benchmarks._profiles import FloatProfile, converged_profiles, float_profile, gambit_profile, is_valid, same_set
from benchmarks._publish import fmt_seconds, table
from equilibria.games.normal_form import NormalFormGame

ENUM_METHODS = (
    "equilibria vertex_enumeration",
    "equilibria support_enumeration",
    "pygambit enummixed_solve",
    "nashpy support_enumeration",
    "nashpy support_enumeration(non_degenerate=True)",
    "nashpy vertex_enumeration",
    "quantecon support_enumeration",
    "quantecon vertex_enumeration",
)
REFERENCE_METHOD = "equilibria vertex_enumeration"
# The equilibria method held against each quantecon method by a target at every size.
QUANTECON_PAIRS = (
    ("equilibria vertex_enumeration", "quantecon vertex_enumeration", "vertex enumeration"),
    ("equilibria support_enumeration", "quantecon support_enumeration", "support enumeration"),
)


def enum_solver(method: str, a: np.ndarray, b: np.ndarray, cap: float) -> Callable[[], list[FloatProfile]]:
    """A zero-argument call returning every equilibrium the method finds (float profiles).

    nashpy's ``support_enumeration()`` (its default) tries every pair of supports, of any sizes;
    ``non_degenerate=True`` only pairs of equal size, like the other support enumerations.
    """
    if method == "equilibria vertex_enumeration":
        from equilibria.solvers.vertex_enumeration import vertex_enumeration_solve

        game = NormalFormGame.bimatrix(a, b)
        return lambda: converged_profiles(vertex_enumeration_solve(game, max_seconds=cap))
    if method == "equilibria support_enumeration":
        from equilibria.solvers.support_enumeration import support_enumeration_solve

        game = NormalFormGame.bimatrix(a, b)
        return lambda: converged_profiles(support_enumeration_solve(game, max_seconds=cap))
    if method == "pygambit enummixed_solve":
        import pygambit as gbt

        ggame = gbt.Game.from_arrays(a, b)
        return lambda: [gambit_profile(ggame, eq) for eq in gbt.nash.enummixed_solve(ggame, rational=False).equilibria]
    if method.startswith("nashpy"):
        import nashpy

        ngame = nashpy.Game(a, b)
        if method == "nashpy support_enumeration":
            return lambda: [float_profile(*p) for p in ngame.support_enumeration()]
        if method == "nashpy support_enumeration(non_degenerate=True)":
            return lambda: [float_profile(*p) for p in ngame.support_enumeration(non_degenerate=True)]
        return lambda: [float_profile(*p) for p in ngame.vertex_enumeration()]
    if method.startswith("quantecon"):
        import quantecon.game_theory as gt

        qgame = gt.NormalFormGame((gt.Player(a), gt.Player(b.T)))
        if method == "quantecon support_enumeration":
            return lambda: [float_profile(*p) for p in gt.support_enumeration(qgame)]
        return lambda: [float_profile(*p) for p in gt.vertex_enumeration(qgame)]
    raise ValueError(f"enum_solver: unknown method {method!r}")


@dataclass
class EnumStats(LibraryStats):
    found: int = 0
    agree: int = 0
    compared: int = 0


@dataclass
class EnumRow:
    n: int
    planned: int
    stats: dict[str, EnumStats]


def run_all_equilibria(config: Config, available: dict[str, bool], log: Callable[[str], None]) -> list[EnumRow]:
    methods = [m for m in ENUM_METHODS if method_library(m) in config.libraries]
    gate = size_gate(config, exponential_growth)
    rows = []
    for n, count in sorted(config.enum_games.items()):
        rng = game_rng(config.seed, 2, n)
        games = [uniform_bimatrix(rng, n) for _ in range(count)]
        found: dict[str, list[list[FloatProfile] | None]] = {}
        stats = {}
        for method in methods:
            stat = EnumStats(method)
            stats[method] = stat
            if not available[method_library(method)]:
                stat.skipped = "not installed"
                continue
            found[method] = [None] * count
            cap = cap_for(config, method)
            makers = [partial(enum_solver, method, a, b, cap) for a, b in games]
            outcomes = time_at_size(method, n, makers, config, gate, stat)
            for index, outcome in enumerate(outcomes):
                if outcome.seconds is None:
                    continue
                stat.found += len(outcome.profiles)
                game = NormalFormGame.bimatrix(*games[index])
                stat.valid += all(is_valid(game, p) for p in outcome.profiles)
                found[method][index] = outcome.profiles
        compare_sets(found, stats)
        for method, stat in stats.items():
            log(
                f"ALL n={n} {method}: {stat.found} eq, agree {stat.agree}/{stat.compared}, "
                f"median {fmt_seconds(stat.median)} {failure_note(stat)}"
            )
        rows.append(EnumRow(n, count, stats))
    return rows


def compare_sets(found: dict[str, list[list[FloatProfile] | None]], stats: dict[str, EnumStats]) -> None:
    """Agreement with equilibria's vertex enumeration (which itself is compared with pygambit)."""
    reference = found.get(REFERENCE_METHOD)
    if reference is None:
        return
    for method, sets in found.items():
        other = found.get("pygambit enummixed_solve") if method == REFERENCE_METHOD else reference
        if other is None:
            continue
        for mine, theirs in zip(sets, other, strict=False):
            if mine is None or theirs is None:
                continue
            stats[method].compared += 1
            stats[method].agree += same_set(theirs, mine)


# ------------------------------------------------------------------------------------------------------------
# Targets
# ------------------------------------------------------------------------------------------------------------


def enumeration_speed_target(rows: list[EnumRow]) -> Target:
    speed = Target("All equilibria at n=10: no slower than pygambit enummixed_solve", "n=10 not run", "not measured")
    for row in rows:
        if row.n != 10:
            continue
        ours, theirs = row.stats.get(REFERENCE_METHOD), row.stats.get("pygambit enummixed_solve")
        paired = paired_ratio(theirs, ours)
        if ours and theirs and paired is not None:
            se = row.stats.get("equilibria support_enumeration")
            se_text = (
                f"; support_enumeration {fmt_seconds(se.median)}" if se is not None and se.median is not None else ""
            )
            speed = replace(
                speed,
                measured=f"vertex_enumeration {fmt_seconds(ours.median)} vs pygambit "
                f"{fmt_seconds(theirs.median)} (pygambit/equilibria {paired[0]:.3g}x){se_text}",
                status=status(paired[0] >= 1.0),
            )
    return speed


def quantecon_targets(rows: list[EnumRow], sizes: tuple[int, ...]) -> list[Target]:
    """Per enumeration method: no slower than quantecon's at every size of ``sizes`` (the full configuration's).

    Met when the paired ratio is at least 1 at every size both ran and every size of ``sizes`` ran; where
    quantecon was skipped (predicted past its cap) or a size did not run, the measured text says so and a status
    without a miss reads "met where measured".
    """
    span = f"{min(sizes)}..{max(sizes)}" if sizes else "-"
    targets = []
    for ours_method, peer_method, name in QUANTECON_PAIRS:
        claim = f"{name} no slower than quantecon {peer_method.split()[1]} at every n ({span})"
        ratios, missing, unmeasured = [], [], []
        for row in rows:
            paired = paired_ratio(row.stats.get(peer_method), row.stats.get(ours_method))
            if paired is None:
                peer = row.stats.get(peer_method)
                missing.append(f"n={row.n}: {peer.skipped or 'no common games'}" if peer else f"n={row.n}: not run")
                unmeasured.append(row.n)
            else:
                ratios.append((row.n, paired[0]))
        ran = {row.n for row in rows}
        missing += [f"n={n}: not run" for n in sizes if n not in ran]
        unmeasured += [n for n in sizes if n not in ran]
        if not ratios:
            targets.append(Target(claim, "quantecon not measured", "not measured"))
            continue
        text = "quantecon/equilibria median time " + ", ".join(f"n={n}: {x:.3g}x" for n, x in ratios)
        if missing:
            text += "; " + ", ".join(missing)
        if not all(x >= 1.0 for _, x in ratios):
            verdict = "not met"
        elif unmeasured:
            verdict = f"met where measured (not at n={', '.join(map(str, sorted(unmeasured)))})"
        else:
            verdict = "met"
        targets.append(Target(claim, text, verdict))
    return targets


# ------------------------------------------------------------------------------------------------------------
# Markdown
# ------------------------------------------------------------------------------------------------------------


def enum_markdown(rows: list[EnumRow], config: Config) -> list[str]:
    caps = "".join(f" {method} gets a per-call cap of {cap:g} s (the peer of a target at every n)."
                   for method, cap in config.peer_caps.items() if method in ENUM_METHODS)
    out = [
        "### 2. All equilibria of random uniform n x n games",
        "",
        "Random games are nondegenerate with probability 1, so every complete method should return the same "
        "set. *agree*: games on which the method's set equals equilibria's vertex enumeration (within 1e-6); "
        "for equilibria's vertex enumeration itself, equals pygambit's `enummixed_solve`. nashpy's "
        "`support_enumeration()` (default) tries all pairs of supports of any sizes; with "
        "`non_degenerate=True` only equal sizes, like the others (and then its tolerance is forced to 0). "
        "pygambit uses `rational=False`. *valid*: games on which every returned profile is valid. "
        f"Games per size: {games_per_size(config.enum_games)} (support enumeration grows about 4^n).{caps}",
        "",
    ]
    body = []
    for row in rows:
        ours = row.stats.get(REFERENCE_METHOD)
        for method, stat in row.stats.items():
            if stat.skipped:
                body.append([str(row.n), method, "-", "-", "-", "-", "-", stat.skipped])
                continue
            agree = f"{stat.agree}/{stat.compared}" if stat.compared else "-"
            body.append([str(row.n), method, fmt_seconds(stat.median), ratio_text(stat, ours), str(stat.found),
                         agree, f"{stat.valid}/{stat.games}", failure_note(stat)])
    return out + table(
        ["n", "method", "median", "/ equilibria VE", "equilibria found (all games)", "agree", "valid", "notes"], body
    )
