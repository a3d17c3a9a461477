"""Part 3 of the normal-form benchmark: degenerate games, on which support enumeration misses equilibria.

The reference is the set of extreme equilibria from equilibria's exact vertex enumeration
(``vertex_enumeration_solve(rational=True)``), cross-checked with pygambit's exact ``enummixed_solve`` where
pygambit runs. Every method of part 2 (:func:`benchmarks._nf_enumeration.enum_solver`) runs once per game; a cell
counts the extreme equilibria it found, the other valid profiles it returned (points of a continuum, repeats) and
the invalid ones. Games: two textbook ones, coordination games made degenerate by ties, and random games with
payoffs in ``{0, 1, 2}``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from benchmarks._harness import Outcome
from benchmarks._nf_common import Config, Target, cap_for, game_rng, measure_method, method_library, status
from benchmarks._nf_enumeration import REFERENCE_METHOD, enum_solver
from benchmarks._profiles import FloatProfile, count_matches, gambit_profile, is_valid, same_profile
from benchmarks._publish import table
from equilibria.games.normal_form import NormalFormGame

DEGENERATE_METHODS = (
    "equilibria vertex_enumeration",
    "equilibria support_enumeration",
    "pygambit enummixed_solve",
    "nashpy support_enumeration",
    "nashpy vertex_enumeration",
    "quantecon support_enumeration",
    "quantecon vertex_enumeration",
)


@dataclass(frozen=True)
class NamedGame:
    name: str
    family: str
    a: np.ndarray
    b: np.ndarray


def degenerate_games(config: Config) -> list[NamedGame]:
    games = [
        NamedGame(
            "von Stengel degenerate 3x2",
            "von Stengel degenerate 3x2",
            np.array([[3, 3], [2, 5], [0, 6]]),
            np.array([[3, 3], [2, 6], [3, 1]]),
        ),
        NamedGame(
            "continuum 3x2",
            "continuum 3x2",
            np.array([[1, -1], [-1, 1], [0, 0]]),
            np.array([[1, 0], [0, 0], [0, 0]]),
        ),
    ]
    for n in config.tie_sizes:
        games.extend(coordination_with_ties(n))
    for n in config.integer_sizes:
        rng = game_rng(config.seed, 3, n)
        for k in range(config.integer_games_per_size):
            a, b = rng.integers(0, 3, size=(n, n)), rng.integers(0, 3, size=(n, n))
            games.append(NamedGame(f"integer {n}x{n} #{k}", f"random payoffs in {{0,1,2}}, {n}x{n}", a, b))
    return games


def coordination_with_ties(n: int) -> list[NamedGame]:
    """Common-payoff coordination games made degenerate by ties.

    ``duplicate``: identity payoffs with the last action of each player a copy of the first (a line of
    equilibria between the copies). ``tied``: identity payoffs where the pair (0, 1) also pays 1, so action 0
    of the row player has two best replies.
    """
    eye = np.eye(n, dtype=int)
    duplicate = eye.copy()
    duplicate[-1, :] = duplicate[0, :]
    duplicate[:, -1] = duplicate[:, 0]
    tied = eye.copy()
    tied[0, 1] = 1
    family = "coordination with ties"
    return [
        NamedGame(f"coordination {n}x{n}, duplicated action", family, duplicate, duplicate.copy()),
        NamedGame(f"coordination {n}x{n}, tied pair", family, tied, tied.copy()),
    ]


def exact_vertex_enumeration(a: np.ndarray, b: np.ndarray) -> list[tuple[Fraction, ...]]:
    from equilibria.solvers.vertex_enumeration import vertex_enumeration_solve

    result = vertex_enumeration_solve(NormalFormGame.bimatrix(a, b), rational=True)
    return sorted(tuple(Fraction(v) for v in np.concatenate(p)) for p in result.equilibria)


def exact_gambit_enummixed(a: np.ndarray, b: np.ndarray) -> list[tuple[Fraction, ...]]:
    import pygambit as gbt

    ggame = gbt.Game.from_arrays(a.astype(int).tolist(), b.astype(int).tolist())
    out = []
    for eq in gbt.nash.enummixed_solve(ggame, rational=True).equilibria:
        x, y = gambit_profile(ggame, eq, exact=True)
        out.append(tuple(np.concatenate([x, y])))
    return sorted(out)


@dataclass
class DegenerateResult:
    game: NamedGame
    reference: list[FloatProfile]
    outcomes: dict[str, Outcome | str]  # str: why the method did not run
    gambit_exact: list[tuple[Fraction, ...]] | None
    equilibria_exact: list[tuple[Fraction, ...]]

    @property
    def gambit_agrees(self) -> bool:
        """Whether pygambit's exact set equals equilibria's (as sets: pygambit may list a profile twice)."""
        return self.gambit_exact is not None and set(self.gambit_exact) == set(self.equilibria_exact)

    def counts(self, method: str) -> tuple[int, int, int] | None:
        """``(extreme equilibria found, other valid profiles, invalid ones)``; None when it did not run."""
        outcome = self.outcomes[method]
        if isinstance(outcome, str) or outcome.seconds is None:
            return None
        hits, _ = count_matches(self.reference, outcome.profiles)
        game = NormalFormGame.bimatrix(self.game.a, self.game.b)
        others = [p for p in outcome.profiles if not any(same_profile(p, r) for r in self.reference)]
        valid_others = sum(is_valid(game, p) for p in others)
        return hits, valid_others, len(others) - valid_others


def run_degenerate(config: Config, available: dict[str, bool], log: Callable[[str], None]) -> list[DegenerateResult]:
    methods = [m for m in DEGENERATE_METHODS if method_library(m) in config.libraries]
    results = []
    for named in degenerate_games(config):
        exact = exact_vertex_enumeration(named.a, named.b)
        reference = [
            (np.array(p[: len(named.a)], dtype=float), np.array(p[len(named.a) :], dtype=float)) for p in exact
        ]
        gambit_exact = None
        if "pygambit" in config.libraries and available["pygambit"]:
            gambit_exact = exact_gambit_enummixed(named.a, named.b)
        outcomes: dict[str, Outcome | str] = {}
        for method in methods:
            if not available[method_library(method)]:
                outcomes[method] = "not installed"
                continue
            a, b = named.a.astype(float), named.b.astype(float)
            cap = cap_for(config, method)
            outcomes[method] = measure_method(method, enum_solver(method, a, b, cap), 1, cap)
        result = DegenerateResult(named, reference, outcomes, gambit_exact, exact)
        log(f"DEGENERATE {named.name}: {len(exact)} extreme; " + ", ".join(f"{m}={result.counts(m)}" for m in methods))
        results.append(result)
    return results


def degenerate_target(degenerate: list[DegenerateResult]) -> Target:
    """Complete (and equal to pygambit's exact set) on every game where a peer's support enumeration misses."""
    missed = [
        d
        for d in degenerate
        if any(
            (c := d.counts(m)) is not None and c[0] < len(d.reference)
            for m in ("nashpy support_enumeration", "quantecon support_enumeration")
            if m in d.outcomes
        )
    ]
    complete = [d for d in missed if (c := d.counts(REFERENCE_METHOD)) is not None and c[0] == len(d.reference)]
    agree_gambit = [d for d in missed if d.gambit_exact is None or d.gambit_agrees]
    if missed:
        measured = (
            f"vertex_enumeration complete on {len(complete)}/{len(missed)} games where a peer's support "
            f"enumeration misses equilibria; exact set equals pygambit's on {len(agree_gambit)}/{len(missed)}"
        )
        ok: bool | None = len(complete) == len(missed) and len(agree_gambit) == len(missed)
    else:
        measured, ok = "no peer support enumeration ran (or none missed an equilibrium)", None
    return Target(
        "All equilibria: complete on degenerate games where nashpy's/quantecon's support enumeration miss equilibria",
        measured,
        status(ok),
    )


# ------------------------------------------------------------------------------------------------------------
# Markdown
# ------------------------------------------------------------------------------------------------------------


def degenerate_markdown(results: list[DegenerateResult]) -> list[str]:
    methods = list(results[0].outcomes) if results else []
    out = [
        "### 3. Degenerate games (support enumeration is not complete there)",
        "",
        "Reference: the extreme equilibria from equilibria's exact "
        "`vertex_enumeration_solve(rational=True)`. A cell `k/K` says the method returned k of the K extreme "
        "equilibria (within 1e-6); `+v` counts other "
        "valid profiles it returned (non-extreme points of a continuum, or duplicates), `!i` invalid ones; "
        "✓ = complete. Peers run in their degenerate-capable mode where they have one (nashpy "
        "`support_enumeration()` with its default `non_degenerate=False`: all support pairs, any sizes).",
        "",
    ]
    body = []
    families: dict[str, list[DegenerateResult]] = {}
    for res in results:
        families.setdefault(res.game.family, []).append(res)
    for family, members in families.items():
        if len(members) == 1:
            res = members[0]
            body.append([res.game.name, str(len(res.reference)), *[degenerate_cell(res, m) for m in methods]])
            continue
        body.append([f"{family} ({len(members)} games)", str(sum(len(r.reference) for r in members)),
                     *[family_cell(members, m) for m in methods]])
    out += table(["game", "extreme eq.", *methods], body)
    out += ["", *gambit_cross_check(results)]
    return out


def degenerate_cell(res: DegenerateResult, method: str) -> str:
    outcome = res.outcomes[method]
    if isinstance(outcome, str):
        return outcome
    counts = res.counts(method)
    if counts is None:
        return f"error: {outcome.error}"
    hits, valid_other, invalid = counts
    text = f"{hits}/{len(res.reference)}" + (" ✓" if hits == len(res.reference) else "")
    if valid_other:
        text += f" +{valid_other}"
    if invalid:
        text += f" !{invalid}"
    return text


def family_cell(members: list[DegenerateResult], method: str) -> str:
    first = members[0].outcomes[method]
    if isinstance(first, str):
        return first
    counts = [m.counts(method) for m in members]
    ran = [(c, m) for c, m in zip(counts, members, strict=True) if c is not None]
    errors = len(members) - len(ran)
    hits = sum(c[0] for c, _ in ran)
    total = sum(len(m.reference) for m in members)
    complete = sum(c[0] == len(m.reference) for c, m in ran)
    text = f"{hits}/{total}, complete in {complete}/{len(members)}"
    valid_other = sum(c[1] for c, _ in ran)
    invalid = sum(c[2] for c, _ in ran)
    if valid_other:
        text += f" +{valid_other}"
    if invalid:
        text += f" !{invalid}"
    if errors:
        text += f", {errors} errors"
    return text


def gambit_cross_check(results: list[DegenerateResult]) -> list[str]:
    checked = [r for r in results if r.gambit_exact is not None]
    if not checked:
        return [
            "Cross-check with pygambit's exact `enummixed_solve`: not run (pygambit not installed or not selected)."
        ]
    differ = [r for r in checked if not r.gambit_agrees]
    repeated = [r for r in checked if len(set(r.gambit_exact or [])) < len(r.gambit_exact or [])]
    lines = [
        f"Cross-check: equilibria's exact vertex enumeration and pygambit's exact `enummixed_solve"
        f"(rational=True)` return identical sets of extreme equilibria on {len(checked) - len(differ)}/"
        f"{len(checked)} games."
    ]
    if repeated:
        lines[0] += (
            f" (pygambit lists some extreme equilibria more than once on {len(repeated)} games: "
            + ", ".join(r.game.name for r in repeated)
            + "; the sets are compared without the repeats.)"
        )
    for r in differ:
        only_ours = [p for p in r.equilibria_exact if p not in (r.gambit_exact or [])]
        only_gambit = [p for p in (r.gambit_exact or []) if p not in r.equilibria_exact]
        lines.append(
            f"- **{r.game.name}** differs: only equilibria {fractions_text(only_ours)}; "
            f"only pygambit {fractions_text(only_gambit)}"
        )
    return lines


def fractions_text(profiles: list[tuple[Fraction, ...]]) -> str:
    if not profiles:
        return "none"
    return "; ".join("(" + ", ".join(str(v) for v in p) + ")" for p in profiles)
