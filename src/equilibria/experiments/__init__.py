"""Registry of named reproductions (``equilibria reproduce``): typed config -> results, checks and figures.

The package imports its members on first use, so that ``equilibria.experiments.catalogue`` (read by the command
line's parser) does not load the registry's machinery.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["Check", "Context", "Experiment", "ExperimentResult", "Figure", "Table", "register", "registry", "resolve"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'equilibria.experiments' has no attribute {name!r}")
    from equilibria.experiments import base

    value = getattr(base, name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from equilibria.experiments.base import (
        Check,
        Context,
        Experiment,
        ExperimentResult,
        Figure,
        Table,
        register,
        registry,
        resolve,
    )
