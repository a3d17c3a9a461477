"""Minimax and alpha-beta on the lesson's tree, one event at a time.

The tree of the course (zoo ``minimax-lesson``): MAX moves at the root and at depth 2, MIN at depth 1, 12 leaves at
depth 3. Minimax visits every node; alpha-beta (Knuth and Moore 1975) searches left to right and cuts a branch once
``alpha >= beta``, so it returns the same value after evaluating fewer leaves. The experiment runs both searches
with their event traces (visit, value backed up, cutoff), checks the value, the principal variation and the pruned
leaves against the facts recorded in the zoo, and draws the tree with every node's backed-up value and the pruned
branches greyed out.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from equilibria.experiments.base import Check, Context, Experiment, ExperimentResult, Table, register  # noqa: E402
from equilibria.games.extensive_form import ExtensiveFormGame  # noqa: E402
from equilibria.games.zoo import extensive_form as zoo  # noqa: E402
from equilibria.solvers.tree_search import Backup, Cutoff, Visit, alphabeta_solve, format_trace, minimax_solve  # noqa: E402


@dataclass(frozen=True)
class StepperConfig:
    """Which zoo tree to step through and how many trace lines go into the report."""

    game: str = "minimax-lesson"
    trace_lines: int = 80


def _label(game: ExtensiveFormGame, node: int) -> str:
    return game.node_labels[node] if game.node_labels and game.node_labels[node] else str(node)


def _tree_positions(game: ExtensiveFormGame) -> np.ndarray:
    """``[n_nodes, 2]`` leaves spread evenly left to right, inner nodes centred over their children."""
    xy = np.zeros((game.n_nodes, 2))
    leaves = [k for k in range(game.n_nodes) if game.n_children[k] == 0]
    order = sorted(leaves, key=lambda k: _path(game, k))
    for position, k in enumerate(order):
        xy[k] = (position, -game.depth[k])
    for level in reversed(game.levels[:-1]):
        for k in level:
            if game.n_children[k]:
                children = game.first_child[k] + np.arange(game.n_children[k])
                xy[k] = (xy[children, 0].mean(), -game.depth[k])
    return xy


def _path(game: ExtensiveFormGame, k: int) -> tuple[int, ...]:
    steps = []
    while k > 0:
        steps.append(int(game.parent_action[k]))
        k = int(game.parent[k])
    return tuple(reversed(steps))


def _figure(game: ExtensiveFormGame, events: list, pruned: set[int]) -> plt.Figure:
    xy = _tree_positions(game)
    values = {e.node: e.value[0] for e in events if isinstance(e, Backup)}
    fig, ax = plt.subplots(figsize=(9, 4.2))
    for k in range(1, game.n_nodes):
        skipped = k in pruned or game.parent[k] in pruned
        ax.plot(*zip(xy[game.parent[k]], xy[k], strict=True), color="0.8" if skipped else "0.3", lw=1,
                ls=":" if skipped else "-", zorder=1)
    for k in range(game.n_nodes):
        mover = game.player[k]
        marker = "^" if mover == 0 else ("v" if mover == 1 else "s")
        searched = k in values
        ax.scatter(xy[k, 0], xy[k, 1], marker=marker, s=260, color="C0" if searched else "0.85", edgecolor="k",
                   zorder=2)
        text = f"{values[k]:g}" if searched else ""
        ax.annotate(text, xy[k], ha="center", va="center", fontsize=8, color="white", zorder=3)
        ax.annotate(_label(game, k), xy[k], textcoords="offset points", xytext=(0, -17), ha="center", fontsize=7)
    ax.set_title("alpha-beta on the lesson tree: backed-up values; grey = never searched (pruned)", fontsize=9)
    ax.axis("off")
    fig.tight_layout()
    return fig


def run_experiment(config: StepperConfig, context: Context) -> ExperimentResult:
    entry = zoo.entry(config.game)
    facts = entry.search
    if facts is None:
        raise ValueError(f"zoo entry {config.game!r} has no search facts")
    game = entry.build()
    full = minimax_solve(game, trace=True)
    pruned_search = alphabeta_solve(game, ordering="none", trace=True)
    events = list(pruned_search.parameters["trace"])
    minimax_events = list(full.parameters["trace"])
    leaves = {k for k in range(game.n_nodes) if game.n_children[k] == 0}
    evaluated = {e.node for e in events if isinstance(e, Visit) and e.node in leaves}
    skipped = leaves - evaluated
    pruned_labels = sorted(_label(game, k) for k in skipped)
    value = float(pruned_search.parameters["value"][0])
    principal, node = [], 0
    policy = pruned_search.equilibria[0]
    while game.n_children[node]:
        lo = game.infoset_action_offset[game.infoset[node]]
        action = int(np.argmax(policy[lo:lo + game.n_children[node]]))
        principal.append(game.action_labels[game.infoset[node]][action])
        node = int(game.first_child[node] + action)
    visits = {name: sum(isinstance(e, Visit) for e in trace) for name, trace in
              (("minimax", minimax_events), ("alphabeta", events))}
    checks = (
        Check("minimax value of the lesson tree", f"{float(facts.value):g}",
              f"minimax {float(full.parameters['value'][0]):g}, alpha-beta {value:g}",
              value == float(facts.value) == float(full.parameters["value"][0])),
        Check("principal variation", " -> ".join(facts.principal_variation), " -> ".join(principal),
              tuple(principal) == facts.principal_variation),
        Check("leaves alpha-beta never evaluates (left-to-right order)", ", ".join(sorted(facts.pruned_leaves)),
              ", ".join(pruned_labels), tuple(pruned_labels) == tuple(sorted(facts.pruned_leaves))),
        Check("alpha-beta visits no more nodes than minimax", f"<= {visits['minimax']}", str(visits["alphabeta"]),
              visits["alphabeta"] <= visits["minimax"]),
        Check("the strategy returned is a minimax strategy (exploitability 0)", "0",
              f"{pruned_search.certificate[0]:.1e}", pruned_search.certificate[0] <= 1e-12, zero_below=1e-12),
    )
    lines = format_trace(events, game)
    trace_table = Table("alpha-beta event trace (one event per row)", ("step", "event"),
                        tuple((i + 1, line) for i, line in enumerate(lines[:config.trace_lines])))
    counts = Table("events", ("search", "visits", "backups", "cutoffs"), tuple(
        (name, sum(isinstance(e, Visit) for e in trace), sum(isinstance(e, Backup) for e in trace),
         sum(isinstance(e, Cutoff) for e in trace)) for name, trace in (("minimax", minimax_events),
                                                                        ("alpha-beta", events))))
    figure = context.save_figure(_figure(game, events, skipped), "lesson_tree.png",
                                 "The lesson tree after alpha-beta: triangles up = MAX, down = MIN, squares = leaves; "
                                 "numbers are backed-up values; grey nodes and dotted edges were pruned.")
    trace = [{k: (str(v) if isinstance(v, float) and not np.isfinite(v) else v) for k, v in e.as_dict().items()}
             for e in events]  # JSON has no infinity: the initial window (-inf, +inf) is written as text
    summary = {"value": value, "principal_variation": principal, "pruned_leaves": pruned_labels,
               "visits": visits, "trace": trace}
    return ExperimentResult(summary, checks, (counts, trace_table), (figure,))


EXPERIMENT = register(Experiment(
    name="minimax-stepper",
    title="Minimax and alpha-beta on the lesson tree, event by event",
    description="The course's 3-level tree searched by minimax and by alpha-beta with a full event trace: same value, "
                "fewer leaves, and the pruned branches drawn.",
    full=StepperConfig(),
    quick=StepperConfig(),
    run=run_experiment,
))
