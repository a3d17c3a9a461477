"""equilibria.distributed: cell sweeps on the local and Ray executors, checkpointed cell by cell."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path
from typing import Any

import pytest

from equilibria.cli import main
from equilibria.core.errors import GameError
from equilibria.distributed import LocalExecutor, RayExecutor, cell_key, make_executor, run_cells
from equilibria.experiments.base import Context
from tests.conftest import RAY_FORK_WARNING

pytestmark = pytest.mark.filterwarnings(RAY_FORK_WARNING)


def square(cell: dict[str, Any]) -> dict[str, Any]:
    """A cell function that also leaves a trace file per call, so tests can count calls across processes."""
    trace = Path(cell["trace"])
    trace.mkdir(parents=True, exist_ok=True)
    (trace / f"{cell['x']}-{len(list(trace.iterdir()))}").touch()
    if cell["x"] == cell.get("fail_at"):
        raise RuntimeError(f"cell {cell['x']} was killed")
    return {"square": cell["x"] ** 2}


def calls(trace: Path) -> list[int]:
    return sorted(int(p.name.split("-")[0]) for p in trace.iterdir()) if trace.exists() else []


def grid(trace: Path, n: int = 5, fail_at: int | None = None) -> list[dict[str, Any]]:
    return [{"x": x, "trace": str(trace), "fail_at": fail_at} for x in range(n)]


def without_failure(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**c, "fail_at": None} for c in cells]


def test_local_results_come_back_in_cell_order(tmp_path: Path) -> None:
    results = run_cells(square, grid(tmp_path / "trace"))
    assert [r["square"] for r in results] == [0, 1, 4, 9, 16]
    assert calls(tmp_path / "trace") == [0, 1, 2, 3, 4]


def test_a_rerun_reads_every_cell_back_from_the_checkpoint(tmp_path: Path) -> None:
    cells = grid(tmp_path / "trace")
    first = run_cells(square, cells, checkpoint_dir=tmp_path / "cells")
    second = run_cells(square, cells, checkpoint_dir=tmp_path / "cells")
    assert first == second
    assert calls(tmp_path / "trace") == [0, 1, 2, 3, 4]  # nothing recomputed
    saved = json.loads((tmp_path / "cells" / f"{cell_key(cells[2])}.json").read_text())
    assert saved == {"cell": cells[2], "result": {"square": 4}}


def test_a_killed_sweep_resumes_with_only_the_missing_cells(tmp_path: Path) -> None:
    trace = tmp_path / "trace"
    # The cell dicts differ by fail_at, so the resumed sweep must use the same cells: put the failure in the trace.
    cells = grid(trace)

    def killed_at_three(cell: dict[str, Any]) -> dict[str, Any]:
        return square({**cell, "fail_at": 3})

    with pytest.raises(RuntimeError, match="cell 3 was killed"):
        run_cells(killed_at_three, cells, checkpoint_dir=tmp_path / "cells")
    assert calls(trace) == [0, 1, 2, 3]
    resumed = run_cells(square, cells, checkpoint_dir=tmp_path / "cells")
    assert calls(trace) == [0, 1, 2, 3, 3, 4]  # only cells 3 and 4 ran again
    assert resumed == run_cells(square, cells)


def test_a_damaged_or_foreign_checkpoint_file_is_recomputed(tmp_path: Path) -> None:
    cells = grid(tmp_path / "trace", n=3)
    run_cells(square, cells, checkpoint_dir=tmp_path / "cells")
    (tmp_path / "cells" / f"{cell_key(cells[0])}.json").write_text("{not json")
    (tmp_path / "cells" / f"{cell_key(cells[1])}.json").write_text(json.dumps({"cell": {"x": 99}, "result": {}}))
    results = run_cells(square, cells, checkpoint_dir=tmp_path / "cells")
    assert [r["square"] for r in results] == [0, 1, 4]
    assert calls(tmp_path / "trace") == [0, 0, 1, 1, 2]


def test_reuse_false_recomputes_and_overwrites(tmp_path: Path) -> None:
    cells = grid(tmp_path / "trace", n=2)
    run_cells(square, cells, checkpoint_dir=tmp_path / "cells")
    run_cells(square, cells, checkpoint_dir=tmp_path / "cells", reuse=False)
    assert calls(tmp_path / "trace") == [0, 0, 1, 1]
    assert sorted(p.name for p in (tmp_path / "cells").iterdir()) == sorted(f"{cell_key(c)}.json" for c in cells)


def test_progress_sees_every_completion_and_the_resumed_cells(tmp_path: Path) -> None:
    seen: list[tuple[str, int]] = []
    counted: list[tuple[int, int]] = []

    def progress(items: Any, description: str) -> Any:
        seen.append((description, len(items)))  # sized: a progress bar knows how many cells are left
        return items

    cells = grid(tmp_path / "trace", n=3)
    run_cells(square, cells, progress=progress, description="squares", checkpoint_dir=tmp_path / "cells",
              on_resume=lambda resumed, total: counted.append((resumed, total)))
    (tmp_path / "cells" / f"{cell_key(cells[1])}.json").unlink()
    run_cells(square, cells, progress=progress, description="squares", checkpoint_dir=tmp_path / "cells",
              on_resume=lambda resumed, total: counted.append((resumed, total)))
    assert seen == [("squares (0 of 3 from checkpoint)", 3), ("squares (2 of 3 from checkpoint)", 1)]
    assert counted == [(0, 3), (2, 3)]
    assert calls(tmp_path / "trace") == [0, 1, 1, 2]


def test_a_stamp_keeps_checkpoints_of_other_configurations_apart(tmp_path: Path) -> None:
    """A cell checkpointed under one stamp (configuration) is not read back under another; both coexist."""
    trace = tmp_path / "trace"
    cells = grid(trace, n=2)
    first = run_cells(square, cells, checkpoint_dir=tmp_path / "cells", stamp={"config": "a"})
    assert calls(trace) == [0, 1]
    run_cells(square, cells, checkpoint_dir=tmp_path / "cells", stamp={"config": "b"})
    assert calls(trace) == [0, 0, 1, 1]  # another configuration: recomputed
    again = run_cells(square, cells, checkpoint_dir=tmp_path / "cells", stamp={"config": "a"})
    assert again == first and calls(trace) == [0, 0, 1, 1]  # both configurations' cells were kept
    run_cells(square, cells, checkpoint_dir=tmp_path / "cells")
    assert calls(trace) == [0, 0, 0, 1, 1, 1]  # no stamp is a configuration of its own too
    saved = json.loads((tmp_path / "cells" / f"{cell_key(cells[0], {'config': 'a'})}.json").read_text())
    assert saved == {"cell": cells[0], "stamp": {"config": "a"}, "result": {"square": 0}}
    assert cell_key(cells[0], {"config": "a"}) != cell_key(cells[0], {"config": "b"}) != cell_key(cells[0])
    with pytest.raises(GameError, match="run_cells.stamp: not JSON-serialisable"):
        run_cells(square, cells, stamp={"config": object()})


def test_a_fresh_result_is_what_a_resumed_run_reads_back(tmp_path: Path) -> None:
    """With a checkpoint, a computed cell's result is the JSON that was written (tuples become lists), so an
    uninterrupted run and a resumed one return equal results."""
    def pair(cell: dict[str, Any]) -> dict[str, Any]:
        return {"pair": (cell["x"], 0.1 * cell["x"])}

    cells = [{"x": x} for x in range(3)]
    fresh = run_cells(pair, cells, checkpoint_dir=tmp_path / "cells")
    resumed = run_cells(pair, cells, checkpoint_dir=tmp_path / "cells")
    assert fresh == resumed == [{"pair": [x, 0.1 * x]} for x in range(3)]


def test_context_sweep_checkpoints_under_the_experiment_directory(tmp_path: Path) -> None:
    cells = grid(tmp_path / "trace", n=2)
    Context(tmp_path / "experiment").sweep(square, cells, "squares")
    context = Context(tmp_path / "experiment")
    context.sweep(square, cells, "squares")
    assert calls(tmp_path / "trace") == [0, 1]
    assert (context.units_resumed, context.units_total) == (2, 2)
    Context(tmp_path / "experiment", resume=False).sweep(square, cells, "squares")  # --fresh
    assert calls(tmp_path / "trace") == [0, 0, 1, 1]
    assert len(list((tmp_path / "experiment" / "cells").iterdir())) == 2
    stamped = Context(tmp_path / "experiment", stamp={"config": "other"})
    stamped.sweep(square, cells, "squares")  # another configuration's cells are not resumed
    assert calls(tmp_path / "trace") == [0, 0, 0, 1, 1, 1] and stamped.units_resumed == 0


@pytest.mark.parametrize(("cells", "message"), [
    ([3], r"run_cells.cells\[0\]: expected a dict"),
    ([{"x": float("nan")}], r"run_cells.cells\[0\]: not JSON-serialisable"),
    ([{"x": object()}], r"run_cells.cells\[0\]: not JSON-serialisable"),
    ([{"x": 1}, {"x": 1}], "two cells are identical"),
])
def test_bad_cells_are_named(cells: list[Any], message: str) -> None:
    with pytest.raises(GameError, match=message):
        run_cells(square, cells)


def test_a_result_that_is_not_json_is_named(tmp_path: Path) -> None:
    with pytest.raises(GameError, match="run_cells.fn: its result .* is not JSON-serialisable"):
        run_cells(lambda cell: {"value": object()}, [{"x": 1}], checkpoint_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []  # no partial file


def test_make_executor_rejects_bad_arguments() -> None:
    assert isinstance(make_executor("local"), LocalExecutor)
    with pytest.raises(GameError, match="unknown backend 'dask'; choose one of local, ray"):
        make_executor("dask")
    with pytest.raises(GameError, match="address is only used by backend 'ray'"):
        make_executor("local", address="auto")
    with pytest.raises(GameError, match="is not 'host:port'"):
        make_executor("ray", address="nowhere")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_ray_address_fails_fast_with_one_line() -> None:
    pytest.importorskip("ray")
    with pytest.raises(GameError, match=r"cannot reach the Ray cluster at '127\.0\.0\.1:\d+'"):
        RayExecutor(f"127.0.0.1:{_closed_port()}", connect_timeout=1.0)


@pytest.mark.parametrize(("arguments", "message"), [
    (["--backend", "dask"], "reproduce --backend: unknown backend 'dask'"),
    (["--ray-address", "auto"], "reproduce --ray-address: only used with --backend ray"),
    (["--backend", "ray", "--ray-address", "127.0.0.1:{port}"], "cannot reach the Ray cluster"),
])
def test_cli_backend_errors_exit_2_with_one_line(arguments: list[str], message: str, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("ray")
    arguments = [a.format(port=_closed_port()) for a in arguments]
    assert main(["reproduce", "zoo-atlas", "--quick", "--out", str(tmp_path), *arguments]) == 2
    error = capsys.readouterr().err.strip()
    assert message in error and len(error.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []  # nothing written


@pytest.fixture(scope="module")
def ray_executor(ray_instance: Any) -> Any:
    # Test functions live in this module, which Ray's workers cannot import: ship them by value.
    ray_instance.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    return RayExecutor(None)  # joins the running instance


def test_ray_gives_the_local_results_and_resumes_a_killed_sweep(ray_executor: Any, tmp_path: Path) -> None:
    trace = tmp_path / "trace"
    cells = grid(trace, n=6)
    expected = run_cells(square, grid(tmp_path / "local-trace", n=6))

    def killed_at_four(cell: dict[str, Any]) -> dict[str, Any]:
        return square({**cell, "fail_at": 4})

    with pytest.raises(Exception, match="cell 4 was killed"):
        run_cells(killed_at_four, cells, executor=ray_executor, checkpoint_dir=tmp_path / "cells")
    finished = {c["x"] for c in cells if (tmp_path / "cells" / f"{cell_key(c)}.json").exists()}
    assert 4 not in finished
    before = set(trace.iterdir())
    resumed = run_cells(square, cells, executor=ray_executor, checkpoint_dir=tmp_path / "cells")
    assert [r["square"] for r in resumed] == [r["square"] for r in expected]
    # Only the missing cells ran again. Compared as sets: a task of the failed sweep that was being cancelled may
    # still leave its trace late, but it is a missing cell too.
    rerun = {int(p.name.split("-")[0]) for p in set(trace.iterdir()) - before}
    assert rerun == {c["x"] for c in cells} - finished


def thread_pools(cell: dict[str, Any]) -> dict[str, Any]:
    import os

    return {"numba": os.environ.get("NUMBA_NUM_THREADS"), "blas": os.environ.get("OPENBLAS_NUM_THREADS"),
            "x": cell["x"]}


def test_ray_tasks_get_thread_pools_of_their_reserved_size(ray_executor: Any) -> None:
    results = run_cells(thread_pools, [{"x": 0}, {"x": 1}], executor=ray_executor)
    assert [r["numba"] for r in results] == ["1", "1"] and [r["blas"] for r in results] == ["1", "1"]
    with pytest.raises(GameError, match="threads_per_task: expected a positive integer"):
        RayExecutor(None, threads_per_task=0)


def test_a_process_already_connected_still_rejects_a_bad_address(ray_executor: Any) -> None:
    """Ray being initialised (by this session's fixture) must not hide an unreachable or malformed address."""
    with pytest.raises(GameError, match="cannot reach the Ray cluster"):
        RayExecutor(f"127.0.0.1:{_closed_port()}", connect_timeout=1.0)
    with pytest.raises(GameError, match="is not 'host:port'"):
        make_executor("ray", address="nowhere")
