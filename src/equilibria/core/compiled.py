"""Compiling hot loops with numba, which is optional: without it the same Python functions run interpreted.

A *leaf* is a function compiled without numba's reference counting (NRT). Every array a compiled call handles is
otherwise reference counted with atomic operations, which on small games cost more than the arithmetic. A leaf
must allocate nothing, must not return arrays to non-leaf compiled code or to Python (its views are not counted),
and may call only other leaves or inlined functions; numba refuses to compile one that allocates.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def jit_leaf(function: Callable[..., Any], *, inline: bool = False) -> Callable[..., Any]:
    """``function`` compiled as a leaf (cached on disk) when numba is installed, else ``function`` itself.

    ``inline``: compiled into each (leaf) caller instead, for the small steps of hot loops.
    """
    try:
        import numba
    except ImportError:  # pragma: no cover - depends on the environment
        return function
    # "_nrt" is numba's private switch for reference counting; numba only checks options at the first call, so
    # look first, and compile with reference counting on a numba without it (slower, same numbers).
    try:
        from numba.core.cpu import CPUTargetOptions
        options: dict[str, Any] = {"_nrt": False} if hasattr(CPUTargetOptions, "_nrt") else {}
    except ImportError:  # pragma: no cover - depends on the numba version
        options = {}
    options["inline"] = "always" if inline else "never"
    try:
        return numba.njit(cache=True, **options)(function)
    except RuntimeError:  # no writable cache directory: compile in memory instead
        return numba.njit(**options)(function)
