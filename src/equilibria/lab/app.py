"""The lab's ASGI application: the pages (vendored HTML, CSS, plain JavaScript; no CDN, no build step) and the API.

:func:`create_app` imports Starlette; importing :mod:`equilibria.lab` does not. The app writes nothing: the
reports folder is served read-only and uploaded games are parsed from their text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from equilibria.lab import api
from equilibria.lab.limits import Limits
from equilibria.lab.minimax import stepper
from equilibria.lab.playground import options as dynamics_options
from equilibria.lab.playground import playground
from equilibria.lab.solving import solve_request

STATIC = Path(__file__).resolve().parent / "static"
PAGES = {"/": "index.html", "/minimax": "minimax.html", "/dynamics": "dynamics.html", "/solve": "solve.html",
         "/reports": "reports.html"}


def _page(file: str) -> Any:
    async def endpoint(request: Request) -> Response:
        return FileResponse(STATIC / file, media_type="text/html")

    return endpoint


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (unknown path, wrong method) as the lab's one-line JSON."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    message = {404: f"no such page or endpoint: {request.url.path[:80]}",
               405: f"{request.method} is not allowed on {request.url.path[:80]}"}.get(
        status, exc.detail if isinstance(exc, HTTPException) else "internal error")
    return JSONResponse({"error": message}, status_code=status)


def create_app(*, reports: Path | None, limits: Limits) -> Starlette:
    """The lab: pages at ``/``, ``/minimax``, ``/dynamics``, ``/solve``, ``/reports``; the API under ``/api``
    (:mod:`equilibria.lab.api`); ``reports``' files under ``/reports/`` (None: no reports folder)."""
    routes: list[BaseRoute] = [Route(path, _page(file)) for path, file in PAGES.items()]
    routes += [
        Route("/api/limits", api.get_endpoint(lambda: api.limits_document(limits))),
        Route("/api/minimax", api.post_endpoint(stepper, limits), methods=["POST"]),
        Route("/api/dynamics/options", api.get_endpoint(dynamics_options)),
        Route("/api/dynamics", api.post_endpoint(playground, limits), methods=["POST"]),
        Route("/api/solve/options", api.get_endpoint(api.solve_options)),
        Route("/api/solve", api.post_endpoint(solve_request, limits), methods=["POST"]),
        Route("/api/reports", api.reports_listing_endpoint(reports)),
        Route("/reports/{path:path}", api.reports_file_endpoint(reports)),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return Starlette(routes=routes, exception_handlers={HTTPException: _http_error})
