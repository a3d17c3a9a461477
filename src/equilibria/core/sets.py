"""Constraint sets for players' strategies, each with an exact Euclidean projection.

``project(x)`` returns ``argmin_{z in set} ||z - x||_2``. Sets are small frozen dataclasses; ``project`` and
``contains`` work on NumPy and JAX arrays alike (they only use the array API shared by both), so a set can be used
inside ``jax.jit``.

- :class:`Simplex` ``{z >= 0, sum z = total}``: the sort-based projection (Held, Wolfe and Crowder 1974;
  Duchi et al. 2008), O(d log d).
- :class:`Box` ``{lower <= z <= upper}``: clipping.
- :class:`Ball` ``{||z - center|| <= radius}``: radial scaling.
- :class:`Reals`: the whole space (identity).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from equilibria.core.errors import GameError


def _xp(x: Any) -> Any:
    """The array namespace of ``x`` (jax.numpy for JAX arrays, NumPy otherwise)."""
    if type(x).__module__.startswith("jax"):
        import jax.numpy as jnp

        return jnp
    return np


@dataclass(frozen=True)
class Reals:
    """Unconstrained parameters."""

    def project(self, x: Any) -> Any:
        return x

    def contains(self, x: Any, tol: float = 1e-9) -> bool:
        return bool(np.all(np.isfinite(np.asarray(x))))


@dataclass(frozen=True)
class Simplex:
    """The scaled probability simplex ``{z in R^d : z >= 0, sum(z) = total}``; project along the last axis."""

    total: float = 1.0

    def __post_init__(self) -> None:
        if not (np.isfinite(self.total) and self.total > 0):
            raise GameError(f"Simplex: total must be a positive finite number, got {self.total!r}")

    def project(self, x: Any) -> Any:
        xp = _xp(x)
        x = xp.asarray(x, dtype=float) if xp is np else x
        d = x.shape[-1]
        u = -xp.sort(-x, axis=-1)  # descending
        css = xp.cumsum(u, axis=-1) - self.total
        k = xp.arange(1, d + 1, dtype=x.dtype)
        positive = u - css / k > 0
        # rho = number of coordinates kept; the condition holds for a prefix of the sorted vector.
        rho = xp.sum(positive, axis=-1, keepdims=True)
        theta = xp.take_along_axis(css, rho - 1, axis=-1) / rho.astype(x.dtype)
        return xp.maximum(x - theta, 0.0)

    def contains(self, x: Any, tol: float = 1e-9) -> bool:
        a = np.asarray(x, dtype=float)
        return bool(np.all(a >= -tol) and np.all(np.abs(a.sum(axis=-1) - self.total) <= tol))


@dataclass(frozen=True)
class Box:
    """``{lower <= z <= upper}`` elementwise (scalars broadcast)."""

    lower: float = -1.0
    upper: float = 1.0

    def __post_init__(self) -> None:
        if not (np.all(np.asarray(self.lower) <= np.asarray(self.upper))):
            raise GameError(f"Box: lower must not exceed upper, got lower={self.lower!r}, upper={self.upper!r}")

    def project(self, x: Any) -> Any:
        return _xp(x).clip(x, self.lower, self.upper)

    def contains(self, x: Any, tol: float = 1e-9) -> bool:
        a = np.asarray(x, dtype=float)
        return bool(np.all(a >= np.asarray(self.lower) - tol) and np.all(a <= np.asarray(self.upper) + tol))


@dataclass(frozen=True)
class Ball:
    """The Euclidean ball ``{||z - center||_2 <= radius}`` over the whole array."""

    radius: float = 1.0
    center: float = 0.0

    def __post_init__(self) -> None:
        if not (np.isfinite(self.radius) and self.radius >= 0):
            raise GameError(f"Ball: radius must be a finite number >= 0, got {self.radius!r}")

    def project(self, x: Any) -> Any:
        xp = _xp(x)
        offset = x - self.center
        norm = xp.sqrt(xp.sum(offset * offset))
        scale = xp.minimum(1.0, self.radius / xp.maximum(norm, 1e-300))
        return self.center + offset * scale

    def contains(self, x: Any, tol: float = 1e-9) -> bool:
        return bool(np.linalg.norm(np.asarray(x, dtype=float) - self.center) <= self.radius + tol)


ConstraintSet = Reals | Simplex | Box | Ball
