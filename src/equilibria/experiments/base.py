"""Named reproductions: a typed config in, results, checks and figures out.

An :class:`Experiment` is data: a name, a title, two configs (``full`` and ``quick``, both frozen dataclasses) and a
``run(config, context) -> ExperimentResult`` function. It does no I/O of its own beyond writing figures into
``context.directory``; the runner (:mod:`equilibria.experiments.runner`) owns caching, progress and the report.

Every reproduction states what the literature says and what was measured as :class:`Check` rows, so a report reader
sees at a glance whether the result reproduced. A check (or a table column) whose numbers are certificates or
differences that are 0 up to round-off names that tolerance as ``zero_below``: the report prints a number of smaller
magnitude as 0 (``results.json`` keeps the text as measured).

Long reproductions split their work into *units* (a sweep's cells: an optimizer on a data set with its seeds, a chunk
of sessions, a CFR variant) and run them through :meth:`Context.sweep`, which checkpoints every finished unit, so a
killed run started again computes only the units it had not finished.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from equilibria.core.files import atomic_path
from equilibria.distributed import CellFunction, Executor, LocalExecutor, run_cells

T = TypeVar("T")


@dataclass(frozen=True)
class Check:
    """One claim from the literature and what this run measured.

    ``zero_below``: the tolerance under which a number in ``measured`` is round-off of 0 (the check's own
    tolerance for a quantity that is 0 in exact arithmetic: a certificate, a value of 0); None when no number in
    ``measured`` is meant to be 0.
    """

    claim: str
    expected: str
    measured: str
    passed: bool
    zero_below: float | None = None

    def __post_init__(self) -> None:
        # Checks are often numpy comparisons: a numpy bool would not be written to results.json.
        object.__setattr__(self, "passed", bool(self.passed))


@dataclass(frozen=True)
class Table:
    """A table for the report: ``rows[r][c]`` under ``columns[c]`` (cells are rendered with ``str``).

    ``zero_below`` maps a column's name to the tolerance under which its numbers are round-off of 0 (see
    :class:`Check`).
    """

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    zero_below: Mapping[str, float] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        unknown = [c for c in self.zero_below if c not in self.columns]
        if unknown:
            raise ValueError(f"Table({self.title!r}).zero_below: no column named {unknown[0]!r}")


@dataclass(frozen=True)
class Figure:
    """A figure file (relative to the experiment's directory) and its caption."""

    path: str
    caption: str


@dataclass(frozen=True)
class ExperimentResult:
    """What an experiment produced; ``summary`` must be JSON-serialisable."""

    summary: Mapping[str, Any]
    checks: tuple[Check, ...] = ()
    tables: tuple[Table, ...] = ()
    figures: tuple[Figure, ...] = ()

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        return {
            "summary": dict(self.summary),
            "checks": [dataclasses.asdict(c) for c in self.checks],
            "tables": [{"title": t.title, "columns": list(t.columns), "rows": [[_cell(x) for x in r] for r in t.rows],
                        "zero_below": dict(t.zero_below)} for t in self.tables],
            "figures": [dataclasses.asdict(f) for f in self.figures],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ExperimentResult:
        return cls(
            summary=data["summary"],
            checks=tuple(Check(**c) for c in data["checks"]),
            tables=tuple(Table(t["title"], tuple(t["columns"]), tuple(tuple(r) for r in t["rows"]),
                               dict(t.get("zero_below", {}))) for t in data["tables"]),
            figures=tuple(Figure(**f) for f in data["figures"]),
        )


def _cell(x: Any) -> Any:
    return x if isinstance(x, int | float | str | bool) or x is None else str(x)


@dataclass
class Context:
    """What a running experiment may use: its output directory, a progress-bar factory and an executor for sweeps.

    ``progress(items, description)`` wraps an iterable with the runner's progress bar (a no-op when quiet).
    ``executor`` runs the cells of a sweep (:meth:`sweep`): in-process by default, Ray with ``--backend ray``.
    ``resume`` is false under ``--fresh``: checkpointed sweep cells are then computed again.
    ``stamp`` is recorded in every cell's checkpoint and must match for the cell to be read back (the runner passes
    the experiment's name, configuration fingerprint and package version, so a changed configuration recomputes its
    cells). ``units_resumed`` / ``units_total`` count the cells of every sweep so far: read back / all.
    ``on_units(resumed, total)`` is told of each sweep as it starts (the runner's time limit reports it).
    """

    directory: Path
    progress: Callable[[Iterable[Any], str], Iterable[Any]] = field(default=lambda items, description: items)
    executor: Executor = field(default_factory=LocalExecutor)
    resume: bool = True
    stamp: Mapping[str, Any] | None = None
    units_resumed: int = 0
    units_total: int = 0
    on_units: Callable[[int, int], None] | None = None

    def track(self, items: Iterable[T], description: str) -> Iterator[T]:
        yield from self.progress(items, description)

    def sweep(self, fn: CellFunction, cells: Sequence[Mapping[str, Any]], description: str,
              *, folder: str = "cells") -> list[Mapping[str, Any]]:
        """Run ``fn`` on every cell with the context's executor, checkpointing each cell under ``directory/folder``.

        A killed run started again computes only the cells it had not finished (see :mod:`equilibria.distributed`).
        """
        return run_cells(fn, cells, executor=self.executor, checkpoint_dir=self.directory / folder,
                         reuse=self.resume, progress=self.progress, description=description, stamp=self.stamp,
                         on_resume=self._count_units)

    def _count_units(self, resumed: int, total: int) -> None:
        self.units_resumed += resumed
        self.units_total += total
        if self.on_units is not None:
            self.on_units(resumed, total)

    def save_figure(self, figure: Any, filename: str, caption: str) -> Figure:
        """Save a matplotlib figure atomically into the experiment's directory, close it, and describe it."""
        import matplotlib.pyplot as plt

        try:
            with atomic_path(self.directory / filename, parents=True) as partial:
                figure.savefig(partial, dpi=110, bbox_inches="tight")
        finally:
            plt.close(figure)
        return Figure(filename, caption)


@dataclass(frozen=True)
class Experiment:
    """A registered reproduction.

    Attributes:
      name: the registry key used on the command line (kebab-case).
      title: the heading in the report.
      description: what is reproduced and from which paper.
      full: the configuration of the full run.
      quick: the configuration of ``--quick`` (seconds, for the demo and CI).
      run: ``run(config, context) -> ExperimentResult``.
    """

    name: str
    title: str
    description: str
    full: Any
    quick: Any
    run: Callable[[Any, Context], ExperimentResult]

    def config(self, *, quick: bool) -> Any:
        return self.quick if quick else self.full


def config_fingerprint(config: Any) -> str:
    """A stable JSON fingerprint of a dataclass config (used to decide whether a checkpoint can be reused)."""
    return json.dumps(dataclasses.asdict(config), sort_keys=True, default=str)


_REGISTRY: dict[str, Experiment] = {}


def register(experiment: Experiment) -> Experiment:
    if experiment.name in _REGISTRY:
        raise ValueError(f"experiment {experiment.name!r} is registered twice")
    _REGISTRY[experiment.name] = experiment
    return experiment


def registry() -> Mapping[str, Experiment]:
    _load_builtin()
    return dict(_REGISTRY)


def _load_builtin() -> None:
    # Importing the modules registers their experiments; done lazily to keep `import equilibria` light.
    from equilibria.experiments import (  # noqa: F401
        adversarial_training,
        bayes_nash,
        big_match,
        calvano,
        calvano_heatmap,
        credit_assignment,
        elicitation,
        emergent_language,
        gan_mixtures,
        grid_games,
        independent_learners,
        kuhn_value,
        learning_bidders,
        leduc_convergence,
        lemke_howson_paths,
        lewis_signaling,
        markov_soccer,
        maxent_irl,
        mean_field_approximation,
        mean_field_epidemics,
        mean_field_routing,
        mean_field_solvers,
        minimax_stepper,
        nonconcave_atlas,
        optimal_auctions,
        position_auctions,
        reward_hacking,
        rlhf_evaluators,
        rps_cycling,
        zoo_atlas,
    )


def resolve(names: Sequence[str]) -> list[Experiment]:
    """The experiments called ``names`` (any case, hyphens or underscores), in the given order; a one-line
    GameError suggesting the closest registered names for an unknown one."""
    from equilibria.core.names import resolve as resolve_name

    known = registry()
    return [known[resolve_name(n, known, kind="experiment")] for n in names]
