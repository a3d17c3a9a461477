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


def test_progress_sees_every_completion(tmp_path: Path) -> None:
    seen: list[str] = []

    def progress(items: Any, description: str) -> Any:
        seen.append(description)
        return items

    run_cells(square, grid(tmp_path / "trace", n=2), progress=progress, description="squares")
    assert seen == ["squares (0 from checkpoint)"]


def test_context_sweep_checkpoints_under_the_experiment_directory(tmp_path: Path) -> None:
    cells = grid(tmp_path / "trace", n=2)
    Context(tmp_path / "experiment").sweep(square, cells, "squares")
    Context(tmp_path / "experiment").sweep(square, cells, "squares")
    assert calls(tmp_path / "trace") == [0, 1]
    Context(tmp_path / "experiment", resume=False).sweep(square, cells, "squares")  # --fresh
    assert calls(tmp_path / "trace") == [0, 0, 1, 1]
    assert len(list((tmp_path / "experiment" / "cells").iterdir())) == 2


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
