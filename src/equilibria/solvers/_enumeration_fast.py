"""The compiled fast paths of vertex and support enumeration, as the solvers call them.

:func:`fast_vertex_equilibria` and :func:`fast_support_equilibria` run a kernel of
:mod:`equilibria.solvers._enumeration_kernels` on a two-player game and return its float profiles, or None when
the solver must take its complete path: numba is not installed, its code is not compiled within the budget's
allowance, the game is too large for one-word label masks, the kernel saw a sign of degeneracy (or, for vertices,
ran out of queue memory), or the game is not :func:`~equilibria.solvers._common.float_resolves` (the solvers'
exact route). ``parameters["fast_path"]`` says which: ``"compiled"`` (the fast path's answer), ``"degenerate"``,
``"memory"``, ``"unresolved"``, ``"size"`` or ``"not compiled"``. Bases or support pairs the kernel visited
before it declined are not counted in the solver's ``iterations``.

The profiles are candidates, not answers: the solvers hand them, with the metrics layer's evaluation of each
(computed in the kernel's call, see :mod:`equilibria.solvers._enumeration_kernels`), to
:func:`equilibria.solvers.vertex_enumeration.certified_or_exact`, which certifies each on the original game and
repairs or replaces any that fails, as for the NumPy paths.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from equilibria.games.normal_form import NormalFormGame
from equilibria.solvers._common import Budget, memory_limit

# Labels are bits of one int64 word (the sign bit unused).
_MAX_LABELS = 62
# A basic value or pivot within this many ``tol`` of zero, or a tie within it, is a sign of degeneracy: the kernels
# stop and the complete path decides. ``tol`` is where the complete float path starts treating values as zero
# (labels) and ratios as ties, so what the fast path accepts, the complete path would read the same way.
_DEGENERACY_TOLS = 1.0
# Kernels whose compiled code is known to be loaded in this process (the readiness check costs microseconds).
_READY: set[tuple[str, bool]] = set()
# Why a kernel declined, by status from DEGENERATE on (see _enumeration_kernels).
_WHY = ("degenerate", "memory", "unresolved")

# (profiles, their evaluations by the metrics layer, bases or support pairs visited, finished)
FastAnswer = tuple[list[tuple[np.ndarray, np.ndarray]], list[tuple[np.ndarray, Any]], int, bool]


def fast_vertex_equilibria(game: NormalFormGame, tol: float, budget: Budget,
                           parameters: dict[str, Any]) -> FastAnswer | None:
    """The equilibria of a nondegenerate game by the compiled vertex search, or None (module docstring;
    ``parameters["fast_path"]`` says why)."""
    m, n = game.n_actions
    if m + n > _MAX_LABELS:
        parameters["fast_path"] = "size"
        return None
    from equilibria.solvers import _enumeration_kernels as kernels

    payoffs = np.ascontiguousarray(game.payoffs, dtype=np.float64)
    deg_tol = _DEGENERACY_TOLS * tol
    max_bytes = memory_limit() / 4
    if not _ready(kernels, "vertex_pairs", (payoffs, tol, deg_tol, 1, 0, max_bytes), budget, parameters):
        return None
    # The search pairs the vertices only once it has walked both polytopes, so one stopped by the clock has found
    # nothing: under a time limit it gets half of what is left, and the complete search (which returns what it
    # finds as it goes) the rest.
    max_steps, deadline = _limits(kernels, budget, share=_VERTEX_TIME_SHARE)
    status, x, y, evaluations, visited = kernels.vertex_pairs(payoffs, tol, deg_tol, max_steps, deadline, max_bytes)
    if status == kernels.STOPPED and budget.max_seconds is not None and not budget.exhausted(visited):
        parameters["fast_path"] = "stopped at its share of max_seconds"
        return None
    return _answer(kernels, status, x, y, evaluations, visited, parameters)


def fast_support_equilibria(game: NormalFormGame, tol: float, budget: Budget,
                            parameters: dict[str, Any]) -> FastAnswer | None:
    """The equilibria of a nondegenerate game by the compiled support enumeration, or None (module docstring)."""
    from equilibria.solvers import _enumeration_kernels as kernels

    payoffs = np.ascontiguousarray(game.payoffs, dtype=np.float64)
    deg_tol = _DEGENERACY_TOLS * tol
    if not _ready(kernels, "support_equilibria", (payoffs, tol, deg_tol, 1, 0), budget, parameters):
        return None
    max_steps, deadline = _limits(kernels, budget)
    status, x, y, evaluations, pairs = kernels.support_equilibria(payoffs, tol, deg_tol, max_steps, deadline)
    return _answer(kernels, status, x, y, evaluations, pairs, parameters)


def _answer(kernels: Any, status: int, x: np.ndarray, y: np.ndarray, evaluations: np.ndarray, steps: int,
            parameters: dict[str, Any]) -> FastAnswer | None:
    if status not in (kernels.DONE, kernels.STOPPED):
        parameters["fast_path"] = _WHY[status - kernels.DEGENERATE]
        return None
    parameters["fast_path"] = "compiled"
    values = evaluations[:, :2]
    return (list(zip(x, y, strict=True)), list(zip(values, evaluations[:, 4].tolist(), strict=True)), int(steps),
            status == kernels.DONE)


# A first compilation of the kernels takes 30-90 s on two cores: a shorter budget is better spent on the complete path.
_WAIT_FOR_COMPILE_FROM = 120.0


def _ready(kernels: Any, name: str, args: tuple[Any, ...], budget: Budget, parameters: dict[str, Any]) -> bool:
    """Whether kernel ``name`` runs without compiling. A first compilation (in another process, see
    :func:`equilibria.core.compiled.ensure_compiled`) is waited for without a time budget, and with one only when
    at least :data:`_WAIT_FOR_COMPILE_FROM` seconds are left (then at most half of them); otherwise it goes on in
    the background and the complete path answers with the whole budget."""
    key = (name, bool(args[0].flags.writeable))  # numba compiles read-only and writeable arrays apart
    if key in _READY:
        return True
    if not kernels.AVAILABLE:
        parameters["fast_path"] = "not compiled"
        return False
    from equilibria.core.compiled import ensure_compiled, interpreting

    if interpreting():  # a small game before numba is loaded: the NumPy path is quicker than loading the kernels
        parameters["fast_path"] = "not loaded (a small game)"
        return False

    left = None if budget.max_seconds is None else max(0.0, budget.max_seconds - budget.elapsed())
    timeout = None if left is None else 0.5 * left if left >= _WAIT_FOR_COMPILE_FROM else 0.0
    if not ensure_compiled(getattr(kernels, name), *args, timeout=timeout).ready:
        parameters["fast_path"] = "not compiled"
        return False
    _READY.add(key)
    return True


_VERTEX_TIME_SHARE = 0.5


def _limits(kernels: Any, budget: Budget, share: float = 1.0) -> tuple[int, int]:
    """``(max_steps, deadline_ns)`` for a kernel: what is left of ``budget`` (deadline 0: none), ``share`` of the
    time."""
    max_steps = np.iinfo(np.int64).max if budget.max_iterations is None else max(0, budget.max_iterations)
    if budget.max_seconds is None:
        return int(max_steps), 0
    left = max(0.0, budget.max_seconds - budget.elapsed())
    return int(max_steps), int(kernels._clock()) + max(1, int(share * left * 1e9))
