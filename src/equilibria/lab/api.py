"""The lab's JSON API: thin endpoints, each reading its request, calling the library and returning plain JSON.

| path | method | request | response |
| --- | --- | --- | --- |
| ``/api/limits`` | GET | | the request bounds (:class:`~equilibria.lab.limits.Limits`) |
| ``/api/minimax`` | POST | ``{"tree": "lesson"/"random"/"custom", ...}`` | tree, traces, values (:mod:`.minimax`) |
| ``/api/dynamics/options`` | GET | | games and methods of the playground |
| ``/api/dynamics`` | POST | ``{"game", "methods": [{"name", "step_size"}], "steps"}`` | runs (:mod:`.playground`) |
| ``/api/solve/options`` | GET | | solvers by game kind |
| ``/api/solve`` | POST | ``{"input", "row"/"column" or "text", "method", "all"}`` | solve document (:mod:`.solving`) |
| ``/api/reports`` | GET | | the reports folder's experiments and files (:mod:`.reports`) |

Errors are ``{"error": "one line"}`` with a 4xx status (413 for a body over the limit, 404 for an unknown path,
400 for everything else a request gets wrong, the library's own message when it refuses); an unexpected failure is a
500 with one line, and the server goes on. CPU-bound work runs in Starlette's thread pool, so the server keeps
answering while a solver runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from equilibria.core.errors import GameError, one_line
from equilibria.lab._requests import LabError, read_json_body
from equilibria.lab.limits import Limits
from equilibria.lab.reports import report_file, report_listing

Handler = Callable[[dict[str, Any], Limits], dict[str, Any]]


def error(message: str, status: int) -> JSONResponse:
    """The lab's error document: one line, a 4xx (or 500) status."""
    return JSONResponse({"error": one_line(message)}, status_code=status)


async def _guarded(work: Callable[[], Awaitable[Response]]) -> Response:
    try:
        return await work()
    except LabError as exc:
        return error(str(exc), exc.status)
    except GameError as exc:  # the library refused the request (unknown name, a method that does not apply, ...)
        return error(str(exc), 400)
    except Exception as exc:  # noqa: BLE001 - the server answers and goes on
        return error(f"internal error: {type(exc).__name__}: {exc}", 500)


def post_endpoint(handler: Handler, limits: Limits) -> Callable[[Request], Awaitable[Response]]:
    """A POST endpoint: the size-bounded JSON body to ``handler`` in the thread pool, its dict back as JSON."""

    async def endpoint(request: Request) -> Response:
        async def work() -> Response:
            body = await read_json_body(dict(request.headers), request.stream(), limits.max_body_bytes)
            return JSONResponse(await run_in_threadpool(handler, body, limits))

        return await _guarded(work)

    return endpoint


def get_endpoint(produce: Callable[[], dict[str, Any]]) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        async def work() -> Response:
            return JSONResponse(await run_in_threadpool(produce))

        return await _guarded(work)

    return endpoint


def limits_document(limits: Limits) -> dict[str, Any]:
    return asdict(limits)


def solve_options() -> dict[str, Any]:
    """The solvers the solve page offers: normal-form and extensive-form ones, by name with descriptions."""
    from equilibria.solvers import SOLVERS

    return {kind: [{"name": s.name, "description": s.description, "finds_all": s.finds_all}
                   for s in SOLVERS.values() if s.game_kind == kind] for kind in ("normal_form", "extensive_form")}


def reports_file_endpoint(root: Path | None) -> Callable[[Request], Awaitable[Response]]:
    """``GET /reports/{path}``: a file of the reports folder, read-only (``reports.report_file``)."""
    from starlette.responses import FileResponse

    async def endpoint(request: Request) -> Response:
        async def work() -> Response:
            path = report_file(root, str(request.path_params.get("path", "")))
            return FileResponse(path, headers={"X-Content-Type-Options": "nosniff"})

        return await _guarded(work)

    return endpoint


def reports_listing_endpoint(root: Path | None) -> Callable[[Request], Awaitable[Response]]:
    return get_endpoint(lambda: report_listing(root))
