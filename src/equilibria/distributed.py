"""Where sweeps run: one executor abstraction, in-process by default, Ray when a sweep outgrows one machine.

A *sweep* is a list of cells and one function. A cell is a JSON-serialisable dict of parameters (``{"alpha": 0.15,
"beta": 4e-6, "sessions": 100, "seed": 0}``); the function is a top-level (picklable) ``fn(cell) -> dict`` whose
result is JSON-serialisable. :func:`run_cells` hands the cells to an :class:`Executor`, collects the results in the
order of the cells and, given a ``checkpoint_dir``, writes each result to its own file the moment it arrives:

    checkpoint_dir/<key>.json   {"cell": {...}, "stamp": {...}, "result": {...}}

``key`` is 16 hex digits of the SHA-256 of the cell's canonical JSON, or of the cell and the ``stamp`` together when
a stamp is given. The stamp says what the cell belongs to beyond its own parameters (the reproductions pass their
experiment's name, configuration fingerprint and package version), so a checkpoint written under another
configuration is never read back as this one's. Files are written atomically (temporary file, then ``os.replace``),
so a killed sweep leaves only whole cells behind, and running the same sweep again computes only the cells that have
no file. A file that does not parse, or whose recorded cell or stamp differs from the one being asked for, is
ignored and the cell recomputed.

Executors:

- :class:`LocalExecutor` runs cells one after another in this process. It is the default because the kernels the
  sweeps call (numba ``prange``, XLA) already use every local core.
- :class:`RayExecutor` runs one Ray task per cell on a running cluster (``address``) or on a local Ray instance
  started for the sweep (``address=None``), and yields results as tasks finish. Each task reserves
  ``threads_per_task`` CPUs and its numba/OpenMP/BLAS thread pools are sized to match (environment variables set
  through the task's runtime environment), so a node runs as many cells side by side as it has cores instead of
  every cell's kernel spawning one thread per core. Ray is the optional ``ray`` extra.
"""

from __future__ import annotations

import hashlib
import json
import socket
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from equilibria.core.errors import GameError
from equilibria.core.files import write_atomic

Cell = Mapping[str, Any]
CellFunction = Callable[[Any], Mapping[str, Any]]
Progress = Callable[[Iterable[Any], str], Iterable[Any]]

BACKENDS = ("local", "ray")


class Executor(Protocol):
    """Runs ``fn`` on each cell; yields ``(index, result)`` pairs in any order, one per cell."""

    name: str

    def map_unordered(self, fn: CellFunction, cells: Sequence[Cell]) -> Iterator[tuple[int, Mapping[str, Any]]]: ...

    def close(self) -> None: ...


class LocalExecutor:
    """Runs cells one after another in this process."""

    name = "local"

    def map_unordered(self, fn: CellFunction, cells: Sequence[Cell]) -> Iterator[tuple[int, Mapping[str, Any]]]:
        for index, cell in enumerate(cells):
            yield index, fn(cell)

    def close(self) -> None:
        pass


class RayExecutor:
    """Runs one Ray task per cell.

    Args:
      address: a running cluster (``"host:port"``, ``"ray://host:port"`` or ``"auto"``), or ``None`` to start a
        local Ray instance for this executor (shut down again by :meth:`close`).
      threads_per_task: CPUs reserved per task, and the size of its numba/OpenMP/BLAS thread pools.
      connect_timeout: seconds to wait for a ``host:port`` address to accept a connection before giving up.
    """

    name = "ray"

    def __init__(self, address: str | None = None, *, threads_per_task: int = 1, connect_timeout: float = 5.0) -> None:
        try:
            import ray
        except ImportError:
            raise GameError("make_executor: backend 'ray' needs Ray; install it with "
                            "`pip install 'equilibria[ray]'`") from None
        if isinstance(threads_per_task, bool) or not isinstance(threads_per_task, int) or threads_per_task < 1:
            raise GameError(f"RayExecutor.threads_per_task: expected a positive integer, got {threads_per_task!r}")
        self._ray = ray
        self._threads = threads_per_task
        self._owns_instance = False
        if address is not None:  # first: a process already connected (a test session, a notebook) hides a bad one
            _require_reachable(address, connect_timeout)
        if ray.is_initialized():
            return
        try:
            ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
        except (ConnectionError, RuntimeError, ValueError) as error:
            raise GameError(f"make_executor: cannot connect to Ray at {address!r}: {_first_line(error)}") from None
        self._owns_instance = address is None

    def map_unordered(self, fn: CellFunction, cells: Sequence[Cell]) -> Iterator[tuple[int, Mapping[str, Any]]]:
        ray = self._ray
        threads = str(self._threads)
        pools = {name: threads for name in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
        task = ray.remote(num_cpus=self._threads, runtime_env={"env_vars": pools})(fn)
        pending = {task.remote(dict(cell)): index for index, cell in enumerate(cells)}
        try:
            while pending:
                finished, _ = ray.wait(list(pending), num_returns=1)
                for reference in finished:
                    yield pending.pop(reference), ray.get(reference)
        finally:
            for reference in pending:  # a consumer that stops early (or an error) must not leave tasks running
                ray.cancel(reference, force=True)

    def close(self) -> None:
        if self._owns_instance and self._ray.is_initialized():
            self._ray.shutdown()
            self._owns_instance = False


def make_executor(backend: str = "local", *, address: str | None = None, threads_per_task: int = 1) -> Executor:
    """The executor called ``backend`` (``"local"`` or ``"ray"``); ``address`` and ``threads_per_task`` are Ray's."""
    if backend == "local":
        if address is not None:
            raise GameError("make_executor: address is only used by backend 'ray'")
        return LocalExecutor()
    if backend == "ray":
        return RayExecutor(address, threads_per_task=threads_per_task)
    raise GameError(f"make_executor: unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")


def cell_key(cell: Cell, stamp: Mapping[str, Any] | None = None) -> str:
    """A stable name for a cell: 16 hex digits of the SHA-256 of its canonical JSON (with ``stamp``, of both)."""
    text = _canonical(cell) if stamp is None else _canonical({"cell": cell, "stamp": stamp})
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_cells(fn: CellFunction, cells: Sequence[Cell], *, executor: Executor | None = None,
              checkpoint_dir: str | Path | None = None, reuse: bool = True, progress: Progress | None = None,
              description: str = "cells", stamp: Mapping[str, Any] | None = None,
              on_resume: Callable[[int, int], None] | None = None) -> list[Mapping[str, Any]]:
    """``[fn(cell) for cell in cells]``, run by ``executor``, checkpointed cell by cell into ``checkpoint_dir``.

    Cells already in ``checkpoint_dir`` under the same ``stamp`` are read back, not recomputed (``reuse=False``
    recomputes them all and overwrites their files). ``on_resume(read_back, total)`` is called once, before any cell
    is computed; the progress bar's description says how many cells came from the checkpoint. Results are returned
    in the order of ``cells``.
    """
    cells = [_check_cell(cell, index) for index, cell in enumerate(cells)]
    if stamp is not None:
        stamp = _check_stamp(stamp)
    if len({cell_key(c) for c in cells}) != len(cells):
        raise GameError("run_cells.cells: two cells are identical; each cell must differ (add a seed)")
    directory = Path(checkpoint_dir) if checkpoint_dir is not None else None
    results: list[Mapping[str, Any] | None] = [
        _load_cell(directory, cell, stamp) if directory is not None and reuse else None for cell in cells]
    missing = [index for index, result in enumerate(results) if result is None]
    resumed = len(cells) - len(missing)
    if on_resume is not None:
        on_resume(resumed, len(cells))
    executor = executor if executor is not None else LocalExecutor()
    completions: Iterable[tuple[int, Mapping[str, Any]]] = _Sized(
        executor.map_unordered(fn, [cells[i] for i in missing]), len(missing))
    if progress is not None:
        completions = progress(completions, f"{description} ({resumed} of {len(cells)} from checkpoint)")
    for position, result in completions:
        index = missing[position]
        if directory is not None:
            # what was written, read back: a finished run and a resumed one then hold the very same values
            result = _save_cell(directory, cells[index], result, stamp)
        results[index] = result
    return [r for r in results if r is not None]


class _Sized:
    """An iterator with a length, so that a progress bar knows how many completions to expect."""

    def __init__(self, items: Iterator[tuple[int, Mapping[str, Any]]], length: int) -> None:
        self._items, self._length = items, length

    def __iter__(self) -> Iterator[tuple[int, Mapping[str, Any]]]:
        return self._items

    def __len__(self) -> int:
        return self._length


def _check_stamp(stamp: Any) -> dict[str, Any]:
    if not isinstance(stamp, Mapping):
        raise GameError(f"run_cells.stamp: expected a dict, got {type(stamp).__name__}")
    try:
        return dict(json.loads(_canonical(stamp)))
    except (TypeError, ValueError) as error:
        raise GameError(f"run_cells.stamp: not JSON-serialisable ({error})") from None


def _check_cell(cell: Any, index: int) -> dict[str, Any]:
    if not isinstance(cell, Mapping):
        raise GameError(f"run_cells.cells[{index}]: expected a dict of parameters, got {type(cell).__name__}")
    try:
        _canonical(cell)
    except (TypeError, ValueError) as error:
        raise GameError(f"run_cells.cells[{index}]: not JSON-serialisable ({error})") from None
    return dict(cell)


def _canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _load_cell(directory: Path, cell: Cell, stamp: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    try:
        data = json.loads((directory / f"{cell_key(cell, stamp)}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (not isinstance(data, dict) or data.get("cell") != json.loads(_canonical(cell))
            or data.get("stamp") != stamp):
        return None
    result = data.get("result")
    return result if isinstance(result, dict) else None


def _save_cell(directory: Path, cell: Cell, result: Mapping[str, Any], stamp: Mapping[str, Any] | None
               ) -> Mapping[str, Any]:
    record = {"cell": cell, "result": result} if stamp is None else {"cell": cell, "stamp": stamp, "result": result}
    try:
        text = json.dumps(record, sort_keys=True, indent=1, allow_nan=True)
    except (TypeError, ValueError) as error:
        raise GameError(f"run_cells.fn: its result for cell {dict(cell)} is not JSON-serialisable ({error})") from None
    write_atomic(directory / f"{cell_key(cell, stamp)}.json", text, parents=True)
    return dict(json.loads(text)["result"])


def _require_reachable(address: str, timeout: float) -> None:
    """Fail fast on a ``host:port`` nobody listens on (Ray itself retries for about a minute)."""
    if address == "auto":
        return
    host_port = address.removeprefix("ray://")
    host, _, port = host_port.rpartition(":")
    if not host or not port.isdigit():
        raise GameError(f"make_executor: Ray address {address!r} is not 'host:port', 'ray://host:port' or 'auto'")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as error:
        raise GameError(f"make_executor: cannot reach the Ray cluster at {address!r} ({error.strerror or error})") \
            from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
