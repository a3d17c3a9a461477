"""``equilibria reproduce``: run registered reproductions (checkpointed, resumable) and write the HTML report."""

from __future__ import annotations

import argparse
import sys
import time

from equilibria.cli._common import EXIT_INTERNAL, EXIT_OK
from equilibria.core.errors import GameError


def reproduce_help() -> str:
    """The command's description: what it does, and each reproduction's estimated time."""
    from equilibria.experiments.catalogue import help_text

    return ("Runs the named reproductions (default: all) and writes an HTML report; each experiment's finished units "
            "are checkpointed, so a stopped run resumes where it was. " + help_text())


def cmd_reproduce(args: argparse.Namespace) -> int:
    started = time.perf_counter()  # --max-seconds counts from here: loading the experiments is part of it
    from equilibria.distributed import BACKENDS, make_executor
    from equilibria.experiments import registry, resolve
    from equilibria.experiments.runner import check_output_dir, run_all

    if args.all and args.names:
        raise GameError("reproduce: give experiment names or --all, not both")
    names = sorted(registry()) if args.all or not args.names else args.names
    experiments = resolve(names)
    out = check_output_dir(args.out)
    if args.backend not in BACKENDS:
        raise GameError(f"reproduce --backend: unknown backend {args.backend!r}; choose one of {', '.join(BACKENDS)}")
    if args.ray_address is not None and args.backend != "ray":
        raise GameError("reproduce --ray-address: only used with --backend ray")
    executor = make_executor(args.backend, address=args.ray_address)
    from equilibria.experiments.catalogue import plan_text

    # Once the arguments are known good and before any work: what is about to run and how long it should take
    # (the full calvano-heatmap is days on one machine).
    print(f"equilibria: reproducing {plan_text([e.name for e in experiments], quick=args.quick)}", file=sys.stderr)
    left = None if args.max_seconds is None else max(1e-3, started + args.max_seconds - time.perf_counter())
    try:
        outcomes = run_all(experiments, out, quick=args.quick, show_progress=not args.no_progress,
                           resume=not args.fresh, executor=executor, max_seconds=left)
    finally:
        executor.close()
    for o in outcomes:
        if o.stopped_because is not None:  # a time limit is not a failure: said so, and exit 0 if nothing else failed
            print(f"{o.experiment.name}: {o.stopped_because}")
            continue
        verdict = "reproduced" if o.result.passed else "NOT reproduced"
        timing = "checkpoint" if o.cached else f"{o.seconds:.1f} s"
        print(f"{o.experiment.name}: {verdict} ({sum(c.passed for c in o.result.checks)}/"
              f"{len(o.result.checks)} checks, {timing})")
    print(f"report: {(out / 'index.html').resolve()}")
    return EXIT_OK if all(o.result.passed for o in outcomes if o.complete) else EXIT_INTERNAL

