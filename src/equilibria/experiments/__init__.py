"""Registry of named reproductions (``equilibria reproduce``): typed config -> results, checks and figures."""

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

__all__ = [
    "Check",
    "Context",
    "Experiment",
    "ExperimentResult",
    "Figure",
    "Table",
    "register",
    "registry",
    "resolve",
]
