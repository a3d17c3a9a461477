"""The web lab (``equilibria lab``): a small ASGI app over the library, one JSON API and vendored static pages.

Pages: the minimax/alpha-beta stepper, the dynamics playground, the solver, the reproduction reports. The lab is a
shell: every number it shows comes from the library through :mod:`equilibria.lab.api` (no maths here), every
request is bounded by :class:`equilibria.lab.limits.Limits`, and the lab writes no file (reports are served
read-only). Importing this package imports neither Starlette, uvicorn nor JAX: :func:`equilibria.lab.app.create_app`
and :func:`equilibria.lab.server.serve` import them when the lab starts.
"""

from __future__ import annotations

from equilibria.lab.limits import Limits

__all__ = ["Limits"]
