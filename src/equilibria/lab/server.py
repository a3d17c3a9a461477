"""Running the lab: bind the socket first (a clear error when the port is taken), print the URL, serve with
uvicorn until Ctrl-C, then stop cleanly.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

from equilibria.core.errors import GameError
from equilibria.lab.limits import Limits

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: any free port), or a one-line GameError."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise GameError(f"lab --host: cannot resolve {host!r}: {getattr(exc, 'strerror', None) or exc}") from None
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise GameError(f"lab: cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def url_of(sock: socket.socket, host: str) -> str:
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def serve(sock: socket.socket, *, reports: Path | None, limits: Limits) -> None:
    """Serve the lab on the bound ``sock`` until Ctrl-C (uvicorn shuts down gracefully; the interrupt is
    swallowed here: stopping the lab is not an error)."""
    import uvicorn

    from equilibria.lab.app import create_app

    config = uvicorn.Config(create_app(reports=reports, limits=limits), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    print("equilibria lab: stopped", file=sys.stderr)
