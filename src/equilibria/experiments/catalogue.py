"""How long each registered reproduction takes, known before anything is imported or run.

``equilibria reproduce --help`` lists these, and the command says the estimate of what it is about to run before it
starts, so that nobody starts the full ``calvano-heatmap`` by accident. The figures were measured on the reference
machine (:data:`MEASURED_ON`); the full runs of the sweeps are extrapolated from the units of work one run finished
in a fixed time (each estimate's ``how`` says which). This module imports only the standard library: the parser
reads it without importing the experiments (which import JAX). ``tests/experiments/test_catalogue.py`` checks that
it names exactly the registered experiments.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

MEASURED_ON = "2 cores (Intel Xeon), the CI machine's kind"


@dataclass(frozen=True)
class Estimate:
    """Wall-clock estimates of one reproduction on :data:`MEASURED_ON`.

    Attributes:
      quick_seconds: ``--quick`` (measured).
      full_seconds: the full configuration, one machine, ``--backend local`` (measured, or extrapolated).
      how: how ``full_seconds`` was obtained.
    """

    quick_seconds: float
    full_seconds: float
    how: str


# Measured 2026-12-05 on the reference machine: --quick by `make demo` on a fresh clone (3 min 11 s in all); the full
# runs in CPU seconds where other work shared the machine (the wall time of an idle one for single-threaded work);
# the pricing sessions run on both cores (numba prange), JAX's ops too.
ESTIMATES: Mapping[str, Estimate] = {
    "adversarial-training": Estimate(55, 200, "measured: quick 55 CPU s (mostly XLA compiling), full 192 s wall "
                                     "(9 units) with the machine shared"),
    "bayes-nash": Estimate(24, 335, "measured: quick 6 units, full 11 units"),
    "big-match": Estimate(8, 20, "measured"),
    "grid-games": Estimate(18, 100, "measured: its 4 units"),
    "independent-learners": Estimate(15, 65, "measured: its 8 units, 1,000 seeds each"),
    "markov-soccer": Estimate(16, 240, "quick measured; full: its 2 units, 300,000 steps x 8 seeds each, 85 s "
                              "before the learned challengers (100,000 steps x 8 each) were added: extrapolated"),
    "maxent-irl": Estimate(8, 25, "measured: its 14 units, 192 fits"),
    "mean-field-approximation": Estimate(5, 50, "measured: 49 CPU seconds over its 3 units (9 sizes x 2,000 "
                                         "repetitions each) on a shared machine"),
    "mean-field-epidemics": Estimate(5, 10, "measured"),
    "mean-field-routing": Estimate(7, 20, "measured"),
    "mean-field-solvers": Estimate(5, 245, "measured: its 12 units (one per environment), 236 CPU seconds"),
    "calvano": Estimate(10, 90, "measured: 133 core-seconds over its 32 units, on 2 cores"),
    "calvano-heatmap": Estimate(2, 60 * 3600, "extrapolated: 10^7 sessions, 1.8 million periods each on average "
                                "at 26 ns a period (21 timed grid points), 120 core-hours on 2 cores"),
    "credit-assignment": Estimate(11, 60, "measured in CPU seconds: quick and full, its units one per N"),
    "elicitation": Estimate(5, 190, "measured in CPU seconds: its 3 units"),
    "emergent-language": Estimate(8, 40, "measured: quick 2 units (6.6 CPU seconds), full 4 units (23 CPU seconds)"),
    "gan-mixtures": Estimate(30, 20 * 60, "extrapolated: compile plus 20,000 steps timed for each of its 12 cells "
                             "(1,250 CPU seconds)"),
    "kuhn-value": Estimate(4, 10, "measured"),
    "learning-bidders": Estimate(18, 5600, "quick measured; full extrapolated: 100 of its 1,000 seeds per treatment "
                                 "(13 treatments x 1,000,000 periods) ran in 555 CPU seconds"),
    "leduc-convergence": Estimate(2, 100, "measured: its 7 units, 100 CPU seconds"),
    "lewis-signaling": Estimate(20, 1400, "quick measured; full run untimed, so estimated from cells (pure-strategy "
                               "N = 4, agent-form N = 5, 1,000 learner seeds x 10,000 rounds)"),
    "lemke-howson-paths": Estimate(8, 9, "measured"),
    "minimax-stepper": Estimate(1, 6, "measured"),
    "nonconcave-atlas": Estimate(26, 85, "measured"),
    "optimal-auctions": Estimate(18, 100, "measured: RochetNet 3 seeds, RegretNet's full run 2 seeds"),
    "position-auctions": Estimate(5, 20, "measured: its 8 units"),
    "reward-hacking": Estimate(25, 300, "measured under load (509 s wall while other work ran): an upper bound"),
    "rlhf-evaluators": Estimate(15, 90, "measured: its 8 units, 85 s wall under load"),
    "rps-cycling": Estimate(9, 25, "measured"),
    "zoo-atlas": Estimate(11, 15, "measured"),
}


def duration_text(seconds: float) -> str:
    """A duration as people say it: ``~20 s``, ``~4 min``, ``~3 h``, ``~12 days``."""
    if seconds < 90:
        return f"~{max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"~{round(seconds / 60)} min"
    if seconds < 96 * 3600:
        return f"~{round(seconds / 3600)} h"
    return f"~{round(seconds / 86400)} days"


def estimate_of(name: str, *, quick: bool) -> float | None:
    """The estimated seconds of one reproduction (None for one registered later without an estimate)."""
    estimate = ESTIMATES.get(name)
    if estimate is None:
        return None
    return estimate.quick_seconds if quick else estimate.full_seconds


def plan_text(names: Iterable[str], *, quick: bool) -> str:
    """One line for the start of a run: the total estimate and the reproductions that dominate it."""
    names = list(names)
    known = {n: s for n in names if (s := estimate_of(n, quick=quick)) is not None}
    total = sum(known.values())
    config = "--quick configurations" if quick else "full configurations"
    text = (f"{len(names)} reproduction{'s' if len(names) != 1 else ''} ({config}), estimated "
            f"{duration_text(total)} on {MEASURED_ON}")
    long_ones = sorted((s, n) for n, s in known.items() if s >= 0.2 * total and s >= 600)
    if long_ones:
        text += "; " + ", ".join(f"{n} alone {duration_text(s)}" for s, n in reversed(long_ones))
    if not quick and total >= 3600:
        text += ("; finished units are checkpointed, so a stopped run resumes (--quick runs every reproduction in "
                 f"{duration_text(sum(e.quick_seconds for e in ESTIMATES.values()))})")
    return text


def help_text() -> str:
    """Every reproduction with its estimates, for ``equilibria reproduce --help``."""
    rows = [f"{name} ({duration_text(e.quick_seconds)} with --quick, {duration_text(e.full_seconds)} full)"
            for name, e in ESTIMATES.items()]
    return f"Reproductions, with their estimated time on {MEASURED_ON}: " + "; ".join(rows) + "."
