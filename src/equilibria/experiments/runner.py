"""Run registered experiments with progress bars and checkpoints, then write the report.

Layout of ``out/``::

    out/index.html            the report (equilibria.report), every experiment ever run into ``out``
    out/results.json          those experiments' results, checks and figure paths
    out/<name>/result.json    one experiment's checkpoint: config fingerprint + results
    out/<name>/cells/*.json   its finished units of work (long reproductions; see equilibria.distributed)
    out/<name>/*.png          its figures

An experiment whose ``result.json`` matches its config fingerprint and package version is not run again, so a killed
``equilibria reproduce --all`` resumes where it stopped; inside a long experiment, every finished unit of work
(:meth:`~equilibria.experiments.base.Context.sweep`) is checkpointed with the same fingerprint, so a killed
experiment resumes with the units it had not finished. ``resume=False`` (``--fresh``) ignores both. Files are written
atomically (temp file + ``os.replace``), so a kill never leaves a half-written result.

Running some experiments into a folder that already holds a report merges them into it: the other experiments'
sections and results stay, a rerun experiment replaces its own. :func:`check_output_dir` refuses a folder that cannot
be written before any work starts.

The environment variable ``EQUILIBRIA_REPRODUCE_OVERRIDES`` (JSON, ``{"experiment": {"field": value}}``) replaces
fields of the chosen configuration (nested dataclasses take nested objects; lists become tuples). It exists for tests
that must run the full configuration's code path on a small problem; a run with overrides is marked so in the report.

Time limit (``max_seconds``, ``reproduce --max-seconds``): the experiments then run in a child process (started with
"spawn": JAX and numba's thread pools are not fork-safe once initialised; the start costs ~0.1 s plus the experiment
module's imports, all inside the budget) which is killed (SIGKILL) at the deadline. The kill is safe because every
result and unit is written atomically, as above, so the next run resumes from them. The parent then writes the
report: experiments that finished are reported as usual; the one cut off and those not started are reported as
stopped (``"complete": false`` and ``"stopped_because": "stopped at max_seconds=S: k of n units checkpointed; rerun
to resume"`` in their ``results.json`` entries, a failed "ran to the end" check, so they never pass). ``k`` counts
the unit files on disk under this configuration, ``n`` the units of the sweeps the experiment had begun (without a
sweep begun: "k units checkpointed"). Progress bars still reach the user: the child writes to the inherited stderr.
Without a time limit everything runs in this process, as before. As with any "spawn" child, a script that calls
:func:`run_all` with a time limit needs the ``if __name__ == "__main__":`` guard.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import multiprocessing
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

from equilibria import __version__
from equilibria.core.errors import GameError
from equilibria.core.files import write_atomic
from equilibria.distributed import Executor, LocalExecutor
from equilibria.experiments.base import Check, Context, Experiment, ExperimentResult, config_fingerprint

OVERRIDES_VARIABLE = "EQUILIBRIA_REPRODUCE_OVERRIDES"


@dataclass(frozen=True)
class Outcome:
    """One experiment's run: its result, seconds spent, whether it came from the checkpoint, how many of its units
    of work were read back from their checkpoints (``units = (resumed, total)``, ``(0, 0)`` without sweeps) and the
    configuration overrides it ran with."""

    experiment: Experiment
    quick: bool
    result: ExperimentResult
    seconds: float
    cached: bool
    units: tuple[int, int] = (0, 0)
    overrides: Mapping[str, Any] = field(default_factory=dict)
    stopped_because: str | None = None  # set when a time limit stopped it; ``units`` = (checkpointed, begun) then

    @property
    def complete(self) -> bool:
        """False when a time limit stopped the experiment before it finished (its result then says so)."""
        return self.stopped_because is None


def check_output_dir(path: str | os.PathLike[str]) -> Path:
    """Make sure ``path`` can hold a report before any work starts: create it (with its parents) when missing and
    write and remove a probe file in it. A file at ``path``, a folder that cannot be created or written (read-only,
    ``/proc``): one-line :class:`GameError` naming ``--out``; folders this check created are removed again then."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise GameError(f"reproduce --out: {out} exists and is not a directory")
    created = []
    parent = out
    while not parent.exists() and parent != parent.parent:
        created.append(parent)
        parent = parent.parent
    try:
        out.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(prefix=".equilibria-probe-", dir=out)
        os.close(handle)
        os.unlink(probe)
    except OSError as error:
        for folder in created:  # deepest first
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise GameError(f"reproduce --out: cannot write to {out} ({error.strerror or error})") from None
    return out


def overrides_from_environment() -> dict[str, dict[str, Any]]:
    """``{"experiment": {"field": value}}`` from ``EQUILIBRIA_REPRODUCE_OVERRIDES`` (empty when unset)."""
    text = os.environ.get(OVERRIDES_VARIABLE, "").strip()
    if not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError as error:
        raise GameError(f"{OVERRIDES_VARIABLE}: not JSON ({error})") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise GameError(f'{OVERRIDES_VARIABLE}: expected {{"experiment": {{"field": value}}}}, got {text[:80]}')
    return data


def apply_overrides(config: Any, overrides: Mapping[str, Any], *, where: str = "config") -> Any:
    """``config`` (a frozen dataclass) with the fields in ``overrides`` replaced; GameError naming a bad field."""
    fields = {f.name for f in dataclasses.fields(config)}
    changes = {}
    for name, value in overrides.items():
        if name not in fields:
            raise GameError(f"{where}: {type(config).__name__} has no field {name!r}; fields: "
                            f"{', '.join(sorted(fields))}")
        current = getattr(config, name)
        if dataclasses.is_dataclass(current) and isinstance(value, Mapping):
            changes[name] = apply_overrides(current, value, where=f"{where}.{name}")
        else:
            changes[name] = _tuples(value)
    try:
        return dataclasses.replace(config, **changes)
    except (TypeError, ValueError) as error:
        raise GameError(f"{where}: {error}") from None


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _checkpoint_key(config: Any) -> dict[str, Any]:
    return {"config": config_fingerprint(config), "version": __version__}


def _load_checkpoint(path: Path, key: dict[str, Any]) -> ExperimentResult | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("key") != key:
            return None
        return ExperimentResult.from_json(data["result"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _configured(experiment: Experiment, quick: bool, overrides: Mapping[str, Any]) -> Any:
    config = experiment.config(quick=quick)
    if overrides:
        config = apply_overrides(config, overrides, where=f"{OVERRIDES_VARIABLE}[{experiment.name!r}]")
    return config


def run_experiment(experiment: Experiment, out: Path, *, quick: bool, show_progress: bool = True,
                   resume: bool = True, executor: Executor | None = None,
                   overrides: Mapping[str, Any] | None = None,
                   on_units: Callable[[int, int], None] | None = None) -> Outcome:
    """Run one experiment into ``out/<name>/`` (or reuse its checkpoint); ``overrides`` replace config fields;
    ``on_units(resumed, total)`` is told of each sweep as it starts."""
    directory = out / experiment.name
    checkpoint = directory / "result.json"
    overrides = dict(overrides or {})
    config = _configured(experiment, quick, overrides)
    key = _checkpoint_key(config)
    if resume and (cached := _load_checkpoint(checkpoint, key)) is not None:
        return Outcome(experiment, quick, cached, 0.0, cached=True, overrides=overrides)

    def progress(items: Iterable[Any], description: str) -> Iterable[Any]:
        return tqdm(items, desc=f"{experiment.name}: {description}", disable=not show_progress, leave=False,
                    file=sys.stderr, dynamic_ncols=True)

    started = time.perf_counter()
    context = Context(directory, progress, executor=executor or LocalExecutor(), resume=resume,
                      stamp=_stamp(experiment, key), on_units=on_units)
    result = experiment.run(config, context)
    seconds = time.perf_counter() - started
    units = (context.units_resumed, context.units_total)
    write_atomic(checkpoint, json.dumps({"key": key, "seconds": seconds, "units": list(units),
                                         "result": result.to_json()}, indent=1), parents=True)
    return Outcome(experiment, quick, result, seconds, cached=False, units=units, overrides=overrides)


def _stamp(experiment: Experiment, key: Mapping[str, Any]) -> dict[str, Any]:
    return {"experiment": experiment.name, **key}


def run_all(experiments: Sequence[Experiment], out: Path, *, quick: bool, show_progress: bool = True,
            resume: bool = True, executor: Executor | None = None,
            max_seconds: float | None = None) -> list[Outcome]:
    """Run experiments in order (sweeps on ``executor``), then merge them into ``out/results.json`` and
    ``out/index.html`` (other experiments already there stay). ``out`` is checked first (:func:`check_output_dir`).

    With ``max_seconds`` the experiments run in a child process killed at the deadline, and the call returns within
    about ``max_seconds`` plus the time to write the report; experiments not finished by then come back with
    ``stopped_because`` set (see the module docstring). It needs the local executor (a killed child could not
    cancel remote Ray tasks).
    """
    started = time.monotonic()
    if max_seconds is not None:
        if (isinstance(max_seconds, bool) or not isinstance(max_seconds, int | float) or not math.isfinite(max_seconds)
                or max_seconds <= 0):
            raise GameError(f"reproduce --max-seconds: expected a positive number of seconds, got {max_seconds!r}")
        if executor is not None and not isinstance(executor, LocalExecutor):
            raise GameError("reproduce --max-seconds: only with --backend local (a stopped run cannot cancel the "
                            f"tasks of backend {executor.name!r})")
    out = check_output_dir(out)
    overrides = overrides_from_environment()
    if max_seconds is None:
        outcomes = []
        bar = tqdm(experiments, desc="reproduce", disable=not show_progress, file=sys.stderr, dynamic_ncols=True)
        for experiment in bar:
            bar.set_postfix_str(experiment.name)
            outcomes.append(run_experiment(experiment, out, quick=quick, show_progress=show_progress, resume=resume,
                                           executor=executor, overrides=overrides.get(experiment.name)))
    else:
        outcomes = _run_with_deadline(experiments, out, quick=quick, show_progress=show_progress, resume=resume,
                                      overrides=overrides, max_seconds=max_seconds, deadline=started + max_seconds)
    write_report(out, outcomes)
    return outcomes


def write_report(out: Path, outcomes: Sequence[Outcome]) -> None:
    """Merge ``outcomes`` into ``out/results.json`` and ``out/index.html``."""
    from equilibria.report.html import render_report

    entries = merged_entries(read_results(out), outcomes)
    write_atomic(out / "results.json", json.dumps({"version": __version__, "experiments": entries}, indent=1),
                 parents=True)
    write_atomic(out / "index.html", render_report(entries), parents=True)


def _run_with_deadline(experiments: Sequence[Experiment], out: Path, *, quick: bool, show_progress: bool,
                       resume: bool, overrides: Mapping[str, Mapping[str, Any]], max_seconds: float,
                       deadline: float) -> list[Outcome]:
    """Run the experiments in a spawned child, kill it at ``deadline`` (``time.monotonic``), collect what finished
    from the checkpoints it wrote and mark the rest stopped."""
    # Configurations are checked here, so that a bad override is a GameError of this process, not of the child.
    keys = {e.name: _checkpoint_key(_configured(e, quick, overrides.get(e.name, {}))) for e in experiments}
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child_main, name="equilibria-reproduce", daemon=True,
                            args=(list(experiments), out, quick, show_progress, resume,
                                  {k: dict(v) for k, v in overrides.items()}, sender))
    child.start()
    sender.close()  # ours: the child's end must be the only one, so that its death reads as end of file
    done: dict[str, bool] = {}  # name -> came from its checkpoint
    sweeps: dict[str, int] = {}  # name -> units of the sweeps begun
    begun: dict[str, float] = {}  # name -> when the child started it (time.monotonic)
    begun_at: dict[str, float] = {}  # name -> the same, the child's time.time()
    failure: tuple[str, str] | None = None

    def receive(timeout: float) -> bool:
        """Take one message; False at the end of the child's messages or when none came within ``timeout``."""
        nonlocal failure
        try:
            if not receiver.poll(timeout):
                return False
            message = receiver.recv()
        except (EOFError, OSError):  # the child ended (a message cut short by the kill reads as end of file too)
            return False
        kind, name = message[0], message[1]
        if kind == "start":
            begun[name], begun_at[name] = time.monotonic(), message[2]
        elif kind == "sweep":
            sweeps[name] = sweeps.get(name, 0) + message[2]
        elif kind == "done":
            done[name] = message[2]
        elif kind == "error":
            failure = (message[2], message[3])
        return True

    try:
        while (remaining := deadline - time.monotonic()) > 0 and receive(remaining):
            pass
    finally:
        killed = child.is_alive()
        if killed:
            child.kill()
        child.join()
        if killed and show_progress:  # its progress bars stopped mid-line: what follows starts on a line of its own
            print(file=sys.stderr, flush=True)
        stopped_at = time.monotonic()
        while receive(0):  # what the child sent between the last look and the kill
            pass
        receiver.close()
    if failure is not None:
        if failure[0] == "GameError":
            raise GameError(failure[1])
        raise RuntimeError(f"reproduce: {failure[0]}: {failure[1]}")
    if child.exitcode not in (0, -getattr(signal, "SIGKILL", 9)) and len(done) < len(experiments):
        raise RuntimeError(f"reproduce: the experiments' process ended with exit code {child.exitcode}")
    outcomes = []
    for experiment in experiments:
        name, key = experiment.name, keys[experiment.name]
        outcome = None
        if name in done:
            outcome = _finished_outcome(experiment, out, quick, key, overrides.get(name, {}), done[name])
        elif name in begun:  # killed between writing its result and saying so? (not an older result: --fresh)
            outcome = _finished_outcome(experiment, out, quick, key, overrides.get(name, {}), False,
                                        written_after=begun_at[name])
        if outcome is None:
            seconds = stopped_at - begun[name] if name in begun else 0.0
            outcome = _stopped_outcome(experiment, out, quick, key, overrides.get(name, {}), max_seconds,
                                       sweeps.get(name), seconds)
        outcomes.append(outcome)
    return outcomes


def _child_main(experiments: list[Experiment], out: Path, quick: bool, show_progress: bool, resume: bool,
                overrides: dict[str, dict[str, Any]], sender: Any) -> None:
    """The child of :func:`_run_with_deadline`: runs the experiments, telling the parent of sweeps and results."""
    import threading

    # tqdm's default lock is a multiprocessing semaphore; killed with it, this process would leave the parent's
    # resource tracker a "leaked semaphore" warning to print at exit. One process needs only a thread lock.
    tqdm.set_lock(threading.RLock())
    try:
        bar = tqdm(experiments, desc="reproduce", disable=not show_progress, file=sys.stderr, dynamic_ncols=True)
        for experiment in bar:
            bar.set_postfix_str(experiment.name)
            name = experiment.name
            sender.send(("start", name, time.time()))

            def on_units(resumed: int, total: int, name: str = name) -> None:
                sender.send(("sweep", name, total))

            outcome = run_experiment(experiment, out, quick=quick, show_progress=show_progress, resume=resume,
                                     overrides=overrides.get(name), on_units=on_units)
            sender.send(("done", name, outcome.cached))
    except Exception as error:  # noqa: BLE001 - handed to the parent, which raises it
        sender.send(("error", "", type(error).__name__, str(error)))
    finally:
        sender.close()


def _finished_outcome(experiment: Experiment, out: Path, quick: bool, key: dict[str, Any],
                      overrides: Mapping[str, Any], cached: bool, written_after: float | None = None
                      ) -> Outcome | None:
    path = out / experiment.name / "result.json"
    try:
        if written_after is not None and path.stat().st_mtime < written_after:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("key") != key:
            return None
        result = ExperimentResult.from_json(data["result"])
        seconds = 0.0 if cached else float(data.get("seconds", 0.0))
        resumed, total = data.get("units", (0, 0))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return Outcome(experiment, quick, result, seconds, cached=cached, units=(int(resumed), int(total)),
                   overrides=dict(overrides))


def _stopped_outcome(experiment: Experiment, out: Path, quick: bool, key: dict[str, Any],
                     overrides: Mapping[str, Any], max_seconds: float, begun: int | None, seconds: float
                     ) -> Outcome:
    saved = checkpointed_units(out / experiment.name, _stamp(experiment, key))
    units = f"{saved} of {begun} units" if begun is not None else f"{saved} units"
    reason = f"stopped at max_seconds={max_seconds:g}: {units} checkpointed; rerun to resume"
    result = ExperimentResult({"stopped_because": reason, "complete": False},
                              (Check("the reproduction ran to the end", "finished within the time limit", reason,
                                     False),))
    return Outcome(experiment, quick, result, seconds, cached=False, units=(saved, begun or 0),
                   overrides=dict(overrides), stopped_because=reason)


def checkpointed_units(directory: Path, stamp: Mapping[str, Any]) -> int:
    """How many finished unit files under ``directory``'s sweep folders carry ``stamp`` (see
    :mod:`equilibria.distributed`; temporary files start with a dot)."""
    count = 0
    for path in directory.glob("*/[!.]*.json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        count += isinstance(data, dict) and data.get("stamp") == stamp
    return count


def outcome_entry(outcome: Outcome) -> dict[str, Any]:
    """One experiment's entry in ``results.json`` (what the report renders)."""
    experiment, result = outcome.experiment, outcome.result
    resumed, total = outcome.units
    return {"title": experiment.title, "description": experiment.description, "quick": outcome.quick,
            "seconds": outcome.seconds, "cached": outcome.cached, "passed": result.passed,
            "units": {"resumed": resumed, "total": total}, "overrides": dict(outcome.overrides),
            "complete": outcome.complete, **({} if outcome.complete else {"stopped_because": outcome.stopped_because}),
            "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "version": __version__,
            **result.to_json()}


def read_results(out: Path) -> dict[str, dict[str, Any]]:
    """The experiments of ``out/results.json`` (name -> entry), in their order; empty when it is missing or does not
    parse (a damaged file is then replaced by this run's experiments)."""
    try:
        data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    experiments = data.get("experiments") if isinstance(data, dict) else None
    if not isinstance(experiments, dict):
        return {}
    return {name: entry for name, entry in experiments.items() if isinstance(entry, dict)}


def merged_entries(existing: Mapping[str, dict[str, Any]], outcomes: Sequence[Outcome]) -> dict[str, dict[str, Any]]:
    """``existing`` with each outcome's entry replacing its experiment's in place (new experiments at the end)."""
    entries = dict(existing)
    for outcome in outcomes:
        entries[outcome.experiment.name] = outcome_entry(outcome)
    return entries
