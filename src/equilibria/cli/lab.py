"""``equilibria lab``: serve the web lab (:mod:`equilibria.lab`) on 127.0.0.1 until Ctrl-C.

Starlette and uvicorn are imported when the command runs, not when the parser is built. Another host than the
loopback one is served only when asked with ``--host``, and a warning says that anyone who can reach it can use
the lab's CPU.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from equilibria.cli._common import EXIT_OK
from equilibria.core.errors import GameError


def cmd_lab(args: argparse.Namespace) -> int:
    from equilibria.lab.limits import Limits
    from equilibria.lab.server import LOCAL_HOSTS, bind, serve, url_of

    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise GameError(f"lab: {exc.name} is not installed; `pip install equilibria` installs starlette and "
                        "uvicorn") from None
    if not 0 <= args.port <= 65535:
        raise GameError(f"lab --port: expected a port in [0, 65535], got {args.port}")
    if args.host not in LOCAL_HOSTS:
        print(f"equilibria lab: WARNING: serving on {args.host}, not only this machine: anyone who can reach it "
              "can run solvers on it (there is no login)", file=sys.stderr)
    reports = Path(args.reports)
    sock = bind(args.host, args.port)
    print(f"equilibria lab: serving on {url_of(sock, args.host)} (reports from {reports}"
          f"{'' if reports.is_dir() else ', which does not exist yet'}); Ctrl-C stops it", flush=True)
    serve(sock, reports=reports, limits=Limits())
    return EXIT_OK
