"""``equilibria marl``: a multi-agent learner on a stochastic game, and its exploitability curve.

The learner runs ``--seeds`` independent streams of ``--steps`` steps (vmapped in JAX); at each of ``--checkpoints``
the profile it stands for is judged exactly by :func:`equilibria.metrics.stochastic.exploitability` (best responses
by policy iteration), never by the learner's own estimates. The table gives the median and the range over seeds;
``--format json`` every seed's numbers (the contract in docs/design.md).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

from equilibria.cli._common import EXIT_OK, load_game
from equilibria.core.errors import GameError

VALUES_ARE = "discounted sums, not normalised by 1 - discount"


def cmd_marl(args: argparse.Namespace) -> int:
    from equilibria.applications.marl.registry import LEARNERS
    from equilibria.games.stochastic import StochasticGame
    from equilibria.solvers._stochastic import ZERO_SUM_RTOL

    game = load_game(args.game)
    if not isinstance(game, StochasticGame):
        raise GameError(f"marl: {args.game!r} is not a stochastic game; see `equilibria games` (stochastic games) "
                        "or give a .json file of \"type\": \"stochastic\"")
    spec = LEARNERS[args.method]
    if spec.zero_sum_only and not game.is_zero_sum(ZERO_SUM_RTOL):
        raise GameError(f"marl: {spec.name} needs a two-player zero-sum game; {args.game!r} is not one (try "
                        "independent-q, nash-q, correlated-q, wolf-phc-average or joint-action-learner)")
    from equilibria.applications.marl.run import run_learner

    run = run_learner(game, spec.build(), steps=args.steps, seeds=args.seeds, key=args.seed,
                      checkpoints=args.checkpoints, max_seconds=args.max_seconds)
    label = game.name or args.game
    if args.format == "json":
        print(json.dumps(_document(run, label), indent=1))
    else:
        print(_table(run, label))
    return EXIT_OK


def _document(run: Any, label: str) -> dict[str, Any]:
    return {
        "game": label, "method": run.learner, "hyperparameters": {k: _plain(v) for k, v in run.hyperparameters},
        "seeds": run.seeds, "steps": run.steps.tolist(), "seconds": run.seconds, "completed": run.completed,
        "stopped_because": run.stopped_because, "certificate": "exploitability",
        "exploitability": run.exploitability.tolist(),
        "median_exploitability": np.median(run.exploitability, axis=0).tolist(),
        "values": run.values.tolist(), "values_are": VALUES_ARE,
    }


def _plain(value: Any) -> Any:
    return value if isinstance(value, bool | int | float | str) or value is None else str(value)


def _table(run: Any, label: str) -> str:
    status = "" if run.completed else f"  [STOPPED: {run.stopped_because}; the checkpoints reached are shown]"
    lines = [f"{label}: {run.learner}, {run.seeds} seed{'s' if run.seeds != 1 else ''}, "
             f"{int(run.steps[-1]) if run.steps.size else 0} steps each, {run.seconds:.1f} s" + status,
             f"  {'steps':>10}  {'exploitability (median, min..max over seeds)':<46}  values from the initial "
             f"distribution (median) [{VALUES_ARE}]"]
    for k, steps in enumerate(run.steps):
        column = run.exploitability[:, k]
        values = ", ".join(f"{v:.4g}" for v in np.median(run.values[:, k], axis=0))
        spread = f"{np.median(column):.3e}  ({column.min():.2e}..{column.max():.2e})"
        lines.append(f"  {int(steps):>10}  {spread:<46}  ({values})")
    return "\n".join(lines)


__all__ = ["cmd_marl"]
