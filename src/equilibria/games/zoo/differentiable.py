"""Named differentiable games whose equilibrium and game-Jacobian spectrum are known.

Each :class:`DifferentiableZooEntry` builds the game and records the facts a test or a report checks: the
equilibrium (a stationary point of ``xi``) and the eigenvalues of the game Jacobian there. All are zero-sum
``min_x max_y f`` games written as losses ``(f, -f)``:

- ``bilinear``: ``f(x, y) = sigma * x * y`` on the reals; equilibrium ``(0, 0)``; ``J = [[0, sigma], [-sigma, 0]]``,
  eigenvalues ``+-i sigma``. The textbook case where simultaneous GDA spirals out.
- ``matrix-bilinear``: ``f(x, y) = x^T A y`` on ``R^m x R^n``; equilibrium ``(0, 0)`` when ``A`` is nonsingular;
  eigenvalues ``+-i s_k`` for the singular values ``s_k`` of ``A`` (plus zeros when ``m != n``).
- ``dirac-gan``: Mescheder, Geiger and Nowozin (2018), "Which training methods for GANs do actually converge?":
  real data at 0, generator ``p_theta = delta_theta``, discriminator ``D(x) = psi * x``,
  ``f(theta, psi) = phi(psi * theta) + phi(0)`` with ``phi(t) = -log(1 + exp(-t))``; the generator minimises, the
  discriminator maximises. Equilibrium ``(0, 0)``; ``J = [[0, phi'(0)], [-phi'(0), 0]]``, eigenvalues ``+-i/2``.
- ``rps-mixed``: the mixed extension of rock-paper-scissors on the simplex; equilibrium uniform; ``J`` has
  eigenvalues ``+-i sqrt(3)`` (each twice) and ``0`` (twice, the directions leaving the simplex).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from equilibria.core.errors import GameError
from equilibria.games.zoo._lookup import find
from equilibria.games.zoo.normal_form import get as get_normal_form

if TYPE_CHECKING:
    import jax

    from equilibria.games.differentiable import DifferentiableGame, Params

# JAX is imported where a game is built, not here: `equilibria games` lists this zoo without loading it.


@dataclass(frozen=True)
class DifferentiableZooEntry:
    """A named differentiable game and what is known about it.

    Attributes:
      name: the zoo key (kebab-case), used on the command line.
      description: one line for ``equilibria games``.
      build: returns the game.
      equilibrium: returns the known equilibrium profile.
      start: returns a default starting profile for dynamics (away from the equilibrium).
      jacobian_eigenvalues: the game Jacobian's eigenvalues at the equilibrium.
      reference: where the facts come from.
      n_players: the number of players (known without building the game).
    """

    name: str
    description: str
    build: Callable[[], DifferentiableGame]
    equilibrium: Callable[[], Params]
    start: Callable[[], Params]
    jacobian_eigenvalues: tuple[complex, ...]
    reference: str = ""
    n_players: int = 2

    def game(self) -> DifferentiableGame:
        return self.build()


def _bilinear_objective(sigma: jax.Array, x: jax.Array, y: jax.Array) -> jax.Array:
    return sigma * x * y


def _matrix_bilinear_objective(matrix: jax.Array, x: jax.Array, y: jax.Array) -> jax.Array:
    return x @ matrix @ y


def _dirac_gan_objective(_: jax.Array, theta: jax.Array, psi: jax.Array) -> jax.Array:
    import jax
    import jax.numpy as jnp

    def phi(t: jax.Array) -> jax.Array:
        return -jax.nn.softplus(-t)  # -log(1 + exp(-t)), computed stably

    return phi(psi * theta) + phi(jnp.zeros_like(theta))


def bilinear(sigma: float | jax.Array = 1.0) -> DifferentiableGame:
    """``min_x max_y sigma * x * y`` over the reals (scalars); ``sigma`` may be traced (``jax.vmap`` over games)."""
    import jax.numpy as jnp

    from equilibria.games.differentiable import DifferentiableGame, is_concrete

    if is_concrete(sigma) and not np.isfinite(sigma):
        raise GameError(f"bilinear: sigma must be finite, got {sigma!r}")
    return DifferentiableGame.zero_sum(_bilinear_objective, jnp.asarray(sigma, dtype=float), name="bilinear")


def matrix_bilinear(matrix: object) -> DifferentiableGame:
    """``min_x max_y x^T A y`` over ``R^m x R^n``; ``matrix: [m, n]``."""
    import jax.numpy as jnp

    from equilibria.games.differentiable import DifferentiableGame

    a = np.asarray(matrix, dtype=float)
    if a.ndim != 2 or a.size == 0:
        raise GameError(f"matrix_bilinear: matrix must be a non-empty 2-D array, got shape {a.shape}")
    return DifferentiableGame.zero_sum(_matrix_bilinear_objective, jnp.asarray(a), name="matrix-bilinear")


def dirac_gan() -> DifferentiableGame:
    """Mescheder et al.'s Dirac-GAN: generator ``theta`` (player 0) against linear discriminator ``psi``."""
    import jax.numpy as jnp

    from equilibria.games.differentiable import DifferentiableGame

    return DifferentiableGame.zero_sum(_dirac_gan_objective, jnp.zeros(()), name="dirac-gan")


def _scalars(*values: float) -> Params:
    return _arrays(*(np.asarray(v, dtype=float) for v in values))


def _arrays(*values: object) -> Params:
    """JAX arrays of ``values`` (a profile or a start)."""
    import jax.numpy as jnp

    return tuple(jnp.asarray(v) for v in values)


_RPS_UNIFORM = np.full(3, 1 / 3)
_MATRIX_BILINEAR_DEFAULT = np.array([[2.0, 1.0], [1.0, 1.0]])  # singular values (3 +- sqrt 5) / 2

ENTRIES: tuple[DifferentiableZooEntry, ...] = (
    DifferentiableZooEntry(
        "bilinear", "min_x max_y x*y on the reals: equilibrium (0,0); Jacobian eigenvalues +-i; GDA spirals out",
        bilinear, lambda: _scalars(0.0, 0.0), lambda: _scalars(1.0, 1.0), (1j, -1j), "textbook"),
    DifferentiableZooEntry(
        "matrix-bilinear", "min_x max_y x^T A y, A=[[2,1],[1,1]]: equilibrium 0; eigenvalues +-i s_k",
        lambda: matrix_bilinear(_MATRIX_BILINEAR_DEFAULT),
        lambda: _arrays(np.zeros(2), np.zeros(2)), lambda: _arrays(np.ones(2), np.ones(2)),
        tuple(complex(0, s * sign) for s in np.linalg.svd(_MATRIX_BILINEAR_DEFAULT, compute_uv=False)
              for sign in (1, -1)), "textbook"),
    DifferentiableZooEntry(
        "dirac-gan", "Dirac-GAN (Mescheder et al. 2018): equilibrium (0,0); Jacobian eigenvalues +-i/2",
        dirac_gan, lambda: _scalars(0.0, 0.0), lambda: _scalars(1.0, 1.0), (0.5j, -0.5j),
        "Mescheder, Geiger and Nowozin (2018)"),
    DifferentiableZooEntry(
        "rps-mixed", "rock-paper-scissors mixed extension on the simplex: eigenvalues +-i sqrt3 (twice), 0 (twice)",
        lambda: get_normal_form("rock-paper-scissors").mixed_extension(),
        lambda: _arrays(_RPS_UNIFORM, _RPS_UNIFORM),
        lambda: _arrays([0.5, 0.3, 0.2], [0.2, 0.3, 0.5]),
        (1j * np.sqrt(3), 1j * np.sqrt(3), -1j * np.sqrt(3), -1j * np.sqrt(3), 0j, 0j), "textbook"),
)

_BY_NAME = {e.name: e for e in ENTRIES}


def names() -> list[str]:
    return [e.name for e in ENTRIES]


def entry(name: str) -> DifferentiableZooEntry:
    """The entry called ``name`` (any spelling, aliases); ``GameError`` names close names when unknown."""
    return find(_BY_NAME, name, "differentiable zoo", error=GameError)


def get(name: str) -> DifferentiableGame:
    return entry(name).build()
