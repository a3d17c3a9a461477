"""Kuhn poker: the value -1/18, the equilibrium family, and how fast CFR+ / PCFR+ / DCFR get there.

Kuhn (1950) solved his three-card poker by hand: player 0 (who acts first) loses ``1/18`` per hand at equilibrium,
and player 0's equilibrium strategies form a one-parameter family (in the parametrisation of Hoehn et al. 2005):
bet with J with probability ``alpha`` in ``[0, 1/3]``, never bet with Q, bet with K with probability ``3 alpha``;
after checking and facing a bet, fold J, call with Q with probability ``alpha + 1/3``, call with K. Player 1 bets
K and bluffs J with probability 1/3 after a check, checks Q; facing a bet it calls K, calls Q with probability
1/3 and folds J.

The experiment

1. solves the sequence-form LP exactly (``rational=True``): the value must be ``-1/18`` as a Fraction, with exact
   exploitability 0;
2. checks the zoo's NashConv facts (OpenSpiel's conventions): the uniform profile has NashConv ``11/12``, the
   first-action profile (always check / fold) ``2``;
3. reads ``alpha`` off the LP's strategy (its probability of betting J) and checks that the whole strategy is the
   family's member at that ``alpha`` (information sets that their own player never reaches are exempt: any action
   there is optimal); every member at ``alpha = 0, 1/6, 1/3`` is checked to be an equilibrium;
4. runs CFR+, predictive CFR+ and DCFR (:mod:`equilibria.solvers.cfr`) and records, on a log-spaced grid of
   iterations, the average profile's exploitability and its value for player 0, which must approach ``-1/18``.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from equilibria.experiments.base import Check, Context, Experiment, ExperimentResult, Table, register  # noqa: E402
from equilibria.games.extensive_form import ExtensiveFormGame  # noqa: E402
from equilibria.games.sequence_form import realization_plan  # noqa: E402
from equilibria.games.zoo import extensive_form as zoo  # noqa: E402
from equilibria.metrics.exploitability import exploitability, nash_conv  # noqa: E402
from equilibria.solvers.cfr import average_policy, cfr_init, cfr_update  # noqa: E402
from equilibria.solvers.sequence_form_lp import sequence_form_lp_solve  # noqa: E402

KUHN_VALUE = Fraction(-1, 18)
ALPHA_MAX = Fraction(1, 3)
# The equilibrium family: per information set, the probability of its second action (bet / call) as
# ``constant + slope * alpha``. Labels are the zoo's (card, then the betting so far).
FAMILY: tuple[tuple[str, Fraction, int], ...] = (
    ("J", Fraction(0), 1), ("Q", Fraction(0), 0), ("K", Fraction(0), 3),
    ("J:check,bet", Fraction(0), 0), ("Q:check,bet", Fraction(1, 3), 1), ("K:check,bet", Fraction(1), 0),
    ("J:check", Fraction(1, 3), 0), ("Q:check", Fraction(0), 0), ("K:check", Fraction(1), 0),
    ("J:bet", Fraction(0), 0), ("Q:bet", Fraction(1, 3), 0), ("K:bet", Fraction(1), 0),
)
FAMILY_SAMPLES = (Fraction(0), Fraction(1, 6), Fraction(1, 3))
NASH_CONV_TOLERANCE = 1e-12


@dataclass(frozen=True)
class KuhnConfig:
    """CFR variants and horizon; the final average must be within the tolerances of equilibrium and of -1/18."""

    variants: tuple[str, ...] = ("cfr+", "pcfr+", "dcfr")
    iterations: int = 10_000
    grid_points: int = 40
    exploitability_target: float = 1e-4
    value_tolerance: float = 1e-7


@dataclass(frozen=True)
class Curve:
    """One CFR run sampled on a grid: ``iterations[k]`` done, ``seconds[k]`` spent in ``cfr_update`` so far (the
    exploitability evaluations are not timed), the average profile's ``exploitability[k]`` and player 0's
    ``value[k]`` under it."""

    variant: str
    iterations: tuple[int, ...]
    seconds: tuple[float, ...]
    exploitability: tuple[float, ...]
    value: tuple[float, ...]

    def as_dict(self) -> dict[str, list[float] | list[int]]:
        return {"iterations": list(self.iterations), "seconds": list(self.seconds),
                "exploitability": list(self.exploitability), "value": list(self.value)}

    @classmethod
    def from_dict(cls, variant: str, data: Mapping[str, Any]) -> Curve:
        return cls(variant, tuple(int(i) for i in data["iterations"]), tuple(data["seconds"]),
                   tuple(data["exploitability"]), tuple(data["value"]))


def log_grid(last: int, points: int, include: tuple[int, ...] = ()) -> tuple[int, ...]:
    """About ``points`` log-spaced iteration counts from 1 to ``last`` (both included), plus ``include``."""
    spaced = np.rint(np.logspace(0.0, np.log10(last), points)).astype(int)
    return tuple(sorted({*spaced.tolist(), *(i for i in include if 1 <= i <= last)}))


def trace_convergence(game: ExtensiveFormGame, variant: str, grid: tuple[int, ...], seed: int = 0) -> Curve:
    """Run ``variant`` (alternating updates) for ``grid[-1]`` iterations, recording the average on ``grid``."""
    state = cfr_init(game, variant, seed=seed)
    wanted = set(grid)
    spent = 0.0
    seconds, exploit, value = [], [], []
    for t in range(1, grid[-1] + 1):
        start = time.perf_counter()
        state = cfr_update(game, state)
        spent += time.perf_counter() - start
        if t in wanted:
            policy = average_policy(state)
            seconds.append(spent)
            exploit.append(exploitability(game, policy))
            value.append(float(game.reach_probabilities(policy) @ game.payoffs[:, 0]))
    return Curve(variant, grid, tuple(seconds), tuple(exploit), tuple(value))


def curve_cell(cell: Mapping[str, Any]) -> dict[str, Any]:
    """One CFR run as a sweep cell (a unit of work that is checkpointed on its own):
    ``{"game": zoo name, "variant", "grid": [iterations, ...], "seed"}`` -> ``{"variant", **Curve.as_dict()}``."""
    curve = trace_convergence(_zoo_game(str(cell["game"])), str(cell["variant"]), tuple(int(i) for i in cell["grid"]),
                              seed=int(cell["seed"]))
    return {"variant": curve.variant, **curve.as_dict()}


@functools.lru_cache(maxsize=4)
def _zoo_game(name: str) -> ExtensiveFormGame:
    return zoo.get(name)  # games are immutable: one build per process serves every cell


def first_action_policy(game: ExtensiveFormGame) -> np.ndarray:
    """``[n_infoset_actions]`` every information set plays its first action."""
    policy = np.zeros(game.n_infoset_actions)
    policy[game.infoset_action_offset[:-1]] = 1.0
    return policy


def family_member(alpha: Fraction) -> tuple[tuple[str, tuple[Fraction, Fraction]], ...]:
    """The family's profile at ``alpha`` as (information set, (first action, second action)) pairs."""
    return tuple((label, (1 - (c + s * alpha), c + s * alpha)) for label, c, s in FAMILY)


def _formula(constant: Fraction, slope: int) -> str:
    if slope == 0:
        return str(constant)
    term = "alpha" if slope == 1 else f"{slope} alpha"
    return term if constant == 0 else f"{term} + {constant}"


# -- the parts ---------------------------------------------------------------------------------------------------
def _facts_part(game: ExtensiveFormGame, entry: zoo.ExtensiveZooEntry) -> list[Check]:
    uniform = nash_conv(game, game.uniform_policy())
    first = nash_conv(game, first_action_policy(game))
    assert entry.uniform_nash_conv is not None and entry.first_action_nash_conv is not None
    return [
        Check("NashConv of the uniform profile (OpenSpiel)", f"{entry.uniform_nash_conv} (to 1e-12)",
              f"{uniform:.15g}", abs(uniform - float(entry.uniform_nash_conv)) <= NASH_CONV_TOLERANCE),
        Check("NashConv of the first-action profile (always check / fold)",
              f"{entry.first_action_nash_conv} (to 1e-12)", f"{first:.15g}",
              abs(first - float(entry.first_action_nash_conv)) <= NASH_CONV_TOLERANCE),
    ]


def _family_part(game: ExtensiveFormGame, policy: np.ndarray) -> tuple[list[Check], Table, Fraction]:
    """The LP's strategy against the family member at its own alpha; every sampled member is an equilibrium."""
    index = {label: s for s, label in enumerate(game.infoset_labels)}
    alpha = Fraction(policy[game.infoset_action_offset[index["J"]] + 1])
    plans = [realization_plan(game, policy, p) for p in range(game.n_players)]
    rows, mismatches = [], []
    for label, constant, slope in FAMILY:
        s = index[label]
        player = int(game.infoset_player[s])
        second = game.infoset_action_offset[s] + 1
        measured = Fraction(policy[second])
        known = constant + slope * alpha
        reached = plans[player][game.infoset_parent_sequence[s]] > 0
        agrees = measured == known or not reached
        if not agrees:
            mismatches.append(label)
        rows.append((label, player, game.action_labels[s][1], str(measured), _formula(constant, slope), str(known),
                     ("yes" if measured == known else "no") if reached else "unreached by its player (any action)"))
    members = {alpha_: nash_conv(game, zoo.known_policy(game, family_member(alpha_))) for alpha_ in FAMILY_SAMPLES}
    checks = [
        Check("the LP's strategy is in Kuhn's family (J bets alpha in [0, 1/3], K bets 3 alpha, Q calls "
              "alpha + 1/3; player 1's strategy fixed)", "every information set matches",
              f"alpha = {alpha}; " + (f"mismatch at {', '.join(mismatches)}" if mismatches else
                                      f"all {len(FAMILY)} sets match"),
              0 <= alpha <= ALPHA_MAX and not mismatches),
        Check("members of the family are equilibria", "NashConv 0 (to 1e-12) at alpha = 0, 1/6, 1/3",
              ", ".join(f"{a}: {v:.1e}" for a, v in members.items()),
              all(v <= NASH_CONV_TOLERANCE for v in members.values()), zero_below=NASH_CONV_TOLERANCE),
    ]
    table = Table(f"The exact LP's behaviour strategy next to Kuhn's family (alpha = {alpha}): probability of "
                  "the second action", ("information set", "player", "action", "LP (exact)", "family",
                                        f"family at alpha = {alpha}", "match"), tuple(rows))
    return checks, table, alpha


def _cfr_part(game: ExtensiveFormGame, config: KuhnConfig, context: Context) -> tuple[list[Check], Table,
                                                                                        list[Curve]]:
    grid = log_grid(config.iterations, config.grid_points)
    curves = [trace_convergence(game, variant, grid) for variant in context.track(config.variants, "Kuhn: CFR")]
    checks, rows = [], []
    for curve in curves:
        gap = abs(curve.value[-1] - float(KUHN_VALUE))
        checks += [
            Check(f"{curve.variant}: the average profile approaches equilibrium",
                  f"exploitability <= {config.exploitability_target:g} after {config.iterations} iterations",
                  f"{curve.exploitability[-1]:.3g}", curve.exploitability[-1] <= config.exploitability_target),
            Check(f"{curve.variant}: the average profile's value approaches -1/18",
                  f"|value + 1/18| <= {config.value_tolerance:g}", f"{gap:.3g}", gap <= config.value_tolerance),
        ]
        rows.append((curve.variant, curve.iterations[-1], f"{curve.seconds[-1]:.3f}",
                     f"{curve.exploitability[-1]:.3g}", f"{curve.value[-1]:.12f}", f"{gap:.3g}"))
    table = Table("CFR variants on Kuhn poker: the average profile at the end", (
        "variant", "iterations", "seconds", "exploitability", "value (player 0)", "|value + 1/18|"), tuple(rows))
    return checks, table, curves


def _figure(curves: list[Curve]) -> plt.Figure:
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for curve in curves:
        left.loglog(curve.iterations, np.maximum(curve.exploitability, 1e-16), label=curve.variant)
        right.loglog(curve.iterations, np.maximum(np.abs(np.asarray(curve.value) - float(KUHN_VALUE)), 1e-16),
                     label=curve.variant)
    left.set(xlabel="iterations", ylabel="exploitability of the average profile", title="Kuhn poker")
    right.set(xlabel="iterations", ylabel="|value of the average profile + 1/18|",
              title="player 0's value approaches -1/18")
    left.legend()
    fig.tight_layout()
    return fig


def run_experiment(config: KuhnConfig, context: Context) -> ExperimentResult:
    entry = zoo.entry("kuhn-poker")
    game = entry.build()
    lp = sequence_form_lp_solve(game, rational=True)
    value, exact_gap = lp.parameters["value"], lp.parameters["exact_exploitability"]
    checks = [Check("Kuhn (1950): player 0's value is -1/18 (exact sequence-form LP)", "-1/18 exactly, "
                    "exploitability 0", f"{value}, exploitability {exact_gap}",
                    value == KUHN_VALUE and exact_gap == 0)]
    checks += _facts_part(game, entry)
    family_checks, family_table, alpha = _family_part(game, lp.equilibria[0])
    cfr_checks, cfr_table, curves = _cfr_part(game, config, context)
    figure = context.save_figure(_figure(curves), "kuhn_convergence.png",
                                 "Kuhn poker: exploitability of the average profile (left) and the distance of its "
                                 "value from -1/18 (right) against CFR iterations, log-log.")
    summary = {"value": str(value), "alpha": str(alpha),
               "lp_strategy": {label: [str(p) for p in lp.equilibria[0][lo:hi]] for label, lo, hi in zip(
                   game.infoset_labels, game.infoset_action_offset[:-1], game.infoset_action_offset[1:],
                   strict=True)},
               "curves": {c.variant: c.as_dict() for c in curves}}
    return ExperimentResult(summary, tuple(checks + family_checks + cfr_checks), (family_table, cfr_table),
                            (figure,))


EXPERIMENT = register(Experiment(
    name="kuhn-value",
    title="Kuhn poker: value -1/18, the equilibrium family, and CFR+ / PCFR+ / DCFR convergence",
    description="Kuhn (1950): the exact sequence-form LP value -1/18, OpenSpiel's NashConv facts, the LP's strategy "
                "inside the one-parameter family of equilibria, and CFR variants' exploitability and value against "
                "iterations.",
    full=KuhnConfig(),
    quick=KuhnConfig(iterations=1000, grid_points=20, exploitability_target=1e-3, value_tolerance=1e-6),
    run=run_experiment,
))
