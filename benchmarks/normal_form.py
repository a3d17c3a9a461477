"""Side-by-side benchmark of equilibria's normal-form Nash solvers against peer libraries.

One process runs every library on the same seeded games (payoffs drawn with ``np.random.default_rng``) and
judges every answer with ONE checker, :func:`equilibria.metrics.regret.max_regret`:

1. **Lemke-Howson**, one equilibrium of random uniform ``n x n`` games: equilibria, quantecon, pygambit
   (``lcp_solve``), nashpy. Share of valid answers, median seconds, peer time / equilibria time.
2. **All equilibria** of random uniform ``n x n`` games: equilibria's vertex and support enumeration,
   pygambit ``enummixed_solve``, nashpy and quantecon support (and vertex) enumeration.
3. **Degenerate games** on which support enumeration misses equilibria: how many of the extreme equilibria
   (from equilibria's exact vertex enumeration, cross-checked with pygambit's exact ``enummixed_solve``) each
   library finds.
4. **Zero-sum LP** on square random games up to 2000 x 2000.
5. **Lemke-Howson from one given label** (label 0) on part 1's games: equilibria against quantecon, the same path.

This module assembles the parts (one module each: ``_nf_lemke_howson`` for 1 and 5, ``_nf_enumeration``,
``_nf_degenerate``, ``_nf_zero_sum``; shared pieces in ``_nf_common``, ``_profiles``, ``_harness``, ``_publish``)
into the ``normal_form`` section of ``BENCHMARKS.md``. Peers that are not installed are skipped (and the output
says so), so the module imports and runs with equilibria alone. Usage::

    python benchmarks/normal_form.py [--quick] [--write BENCHMARKS.md] [--seed S] [--repeats R] [--cap S] [--only L]

Timing rules (also printed with the results): only the solve call is timed (game objects are built outside the
timer); each library gets one untimed warm-up call per part, and per size for the numba-compiled ones
(quantecon, and equilibria when numba is installed), so JIT compile time is excluded; each call is repeated
up to ``R`` times and the fastest run kept (fewer repeats once a run exceeds 0.5 s; calls under 1 ms repeat
until they have run 10 ms in all, at most 200 times, as timeit's autorange does); the clock runs inside the
timeout and warning guards. A peer is skipped at a size when its median at the previous size, scaled by a
growth law, predicts more than ``--cap`` seconds per call (or its own cap, where the configuration gives one);
pure-Python calls are interrupted at the cap with ``SIGALRM`` and pygambit's run in a forked child that is
killed at the cap (both counted as failures).
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the sibling modules importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._harness import (  # noqa: E402
    LIBRARY_MODULES,
    LONG_RUN_SECONDS,
    SHORT_RUN_MAX_REPEATS,
    SHORT_RUN_SECONDS,
    SHORT_RUN_TOTAL_SECONDS,
    distribution_version,
    library_available,
)
from benchmarks._nf_common import FULL, QUICK, Config, Target  # noqa: E402
from benchmarks._nf_degenerate import DegenerateResult, degenerate_markdown, degenerate_target, run_degenerate  # noqa: E402
from benchmarks._nf_enumeration import (  # noqa: E402
    EnumRow,
    enum_markdown,
    enumeration_speed_target,
    quantecon_targets,
    run_all_equilibria,
)
from benchmarks._nf_lemke_howson import (  # noqa: E402
    LHRow,
    label_markdown,
    label_target,
    lh_markdown,
    lh_targets,
    run_lemke_howson,
    run_lemke_howson_from_label,
)
from benchmarks._nf_zero_sum import ZeroSumRow, run_zero_sum, zero_sum_markdown, zero_sum_target  # noqa: E402
from benchmarks._publish import (  # noqa: E402
    blas_name,
    command_line,
    log_to_stderr,
    machine_line,
    publish_section,
    table,
    utc_minute,
    versions_line,
)

BEGIN_MARKER = "<!-- normal_form:begin -->"
END_MARKER = "<!-- normal_form:end -->"
MARKERS = (BEGIN_MARKER, END_MARKER)
PEERS = ("quantecon", "pygambit", "nashpy", "open_spiel")


@dataclass
class Report:
    config: Config
    command: str
    started: datetime.datetime
    seconds: float
    available: dict[str, bool]
    lh: list[LHRow]
    enum: list[EnumRow]
    degenerate: list[DegenerateResult]
    zero_sum: list[ZeroSumRow]
    label: list[LHRow]


def run(config: Config, command: str, log: Callable[[str], None] = lambda _: None) -> Report:
    started = datetime.datetime.now(datetime.UTC)
    clock = time.perf_counter()
    available = {lib: library_available(lib) for lib in config.libraries}
    for lib, ok in available.items():
        if not ok:
            log(f"{lib} is not installed: skipped")
    lh = run_lemke_howson(config, available, log)
    label = run_lemke_howson_from_label(config, available, log)
    enum = run_all_equilibria(config, available, log)
    degenerate = run_degenerate(config, available, log)
    zero_sum = run_zero_sum(config, available, log)
    return Report(config, command, started, time.perf_counter() - clock, available, lh, enum, degenerate, zero_sum,
                  label)


# ------------------------------------------------------------------------------------------------------------
# Markdown
# ------------------------------------------------------------------------------------------------------------


def evaluate_targets(report: Report) -> list[Target]:
    """The targets table, in the order of the parts; sizes a target must reach are the full configuration's."""
    return [
        *lh_targets(report.lh, max(FULL.lh_games)),
        label_target(report.label),
        enumeration_speed_target(report.enum),
        *quantecon_targets(report.enum, tuple(sorted(FULL.enum_games))),
        degenerate_target(report.degenerate),
        zero_sum_target(report.zero_sum),
    ]


def targets_markdown(targets: list[Target]) -> list[str]:
    return [
        "### Targets",
        "",
        *table(["target", "measured", "status"], [[t.claim, t.measured, f"**{t.status}**"] for t in targets]),
    ]


def machine_info(config: Config, available: dict[str, bool]) -> list[str]:
    peers = [
        f"{lib} {distribution_version(LIBRARY_MODULES[lib][1])}" if available.get(lib)
        else f"{lib}: not installed, skipped"
        for lib in PEERS
        if lib in config.libraries
    ]
    return [
        machine_line(),
        versions_line(
            f"numpy {distribution_version('numpy')} ({blas_name()})",
            "scipy",
            *peers,
            # equilibria's Lemke-Howson compiles its pivoting loop with numba when numba is importable.
            f"numba {distribution_version('numba')} (used by quantecon, and by equilibria when present)",
        ),
    ]


def render(report: Report) -> str:
    config = report.config
    missing = [lib for lib in config.libraries if not report.available.get(lib)]
    lines = [
        BEGIN_MARKER,
        "## Normal-form Nash solvers: equilibria vs peer libraries",
        "",
        command_line(report.command, f"{config.label} configuration, seed {config.seed}, repeats {config.repeats}, "
                     f"per-call cap {config.cap_seconds:g} s for peers, {config.own_cap_seconds:g} s for equilibria"
                     + "".join(f", {cap:g} s for {method}" for method, cap in config.peer_caps.items()),
                     utc_minute(report.started), report.seconds),
        *machine_info(config, report.available),
        "- Timing: one process, same seeded games for every library; only the solve call is timed (game "
        "objects built outside the timer); one untimed warm-up call per library and part, and per size for "
        "the numba-compiled ones (quantecon; equilibria's Lemke-Howson when numba is installed), so JIT "
        "compile time is excluded; best of up to `repeats` runs per game (a single run once one exceeds "
        f"{LONG_RUN_SECONDS:g} s; calls under {SHORT_RUN_SECONDS * 1e3:g} ms repeat until they have run "
        f"{SHORT_RUN_TOTAL_SECONDS * 1e3:g} ms in all, at most {SHORT_RUN_MAX_REPEATS} times), the clock started "
        "inside the timeout and warning guards; medians over games. A peer is skipped at a size when its median at the "
        "previous size, scaled by n^3 (Lemke-Howson), 4^n (enumeration) or n^2.5 (LP), predicts more than "
        "the "
        "cap; pure-Python calls are interrupted at the cap (SIGALRM) and pygambit's run in a forked child "
        "that is killed at the cap (timed inside the child); both count as failures. equilibria is never "
        "skipped: it runs with `max_seconds` = its own cap and a `converged=False` result counts as a failure.",
    ]
    if missing:
        lines.append(f"- Not installed, skipped: {', '.join(missing)}")
    lines += [
        "",
        *targets_markdown(evaluate_targets(report)),
        "",
        *lh_markdown(report.lh),
        "",
        *enum_markdown(report.enum, config),
        "",
        *degenerate_markdown(report.degenerate),
        "",
        *zero_sum_markdown(report.zero_sum, config),
        "",
        *label_markdown(report.label, config.cap_seconds),
        "",
        END_MARKER,
    ]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------------------------
# Command line
# ------------------------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer sizes and games, shorter cap (about a minute)")
    parser.add_argument("--write", type=Path, help="replace the normal_form section of this markdown file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, help="runs per call, fastest kept (default 3, quick 1)")
    parser.add_argument("--cap", type=float, help="seconds per call before a peer is cut off or skipped")
    parser.add_argument("--only", help="comma-separated libraries to run (default: all installed)")
    return parser.parse_args(argv)


def config_from_args(args: argparse.Namespace) -> Config:
    config = QUICK if args.quick else FULL
    config = replace(config, seed=args.seed)
    if args.repeats is not None:
        config = replace(config, repeats=args.repeats)
    if args.cap is not None:
        config = replace(config, cap_seconds=args.cap)
    if args.only:
        wanted = tuple(lib.strip() for lib in args.only.split(","))
        unknown = [lib for lib in wanted if lib not in LIBRARY_MODULES]
        if unknown:
            raise SystemExit(
                f"normal_form.py: --only: unknown libraries {unknown}; choose from {list(LIBRARY_MODULES)}"
            )
        config = replace(config, libraries=tuple(dict.fromkeys(("equilibria", *wanted))))
    return config


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    config = config_from_args(args)
    publish_section("normal_form.py", argv, lambda command: run(config, command, log=log_to_stderr), render,
                    args.write, MARKERS)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
