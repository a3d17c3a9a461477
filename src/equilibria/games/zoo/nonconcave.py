"""Named non-concave games: where pure equilibria fail to exist, where local notions differ, where dynamics fail.

Every entry records the facts a test or a reproduction checks (as :class:`NonconcaveZooEntry.facts` and named
points). Conventions are those of :mod:`equilibria.games.differentiable` (losses to minimise; player 0 first).

- ``squared-distance``: player 0 *maximises* ``u_0 = (x_0 - x_1)^2``, player 1 minimises it (``u_1 = -u_0``),
  both on ``[-1, 1]``. No pure equilibrium: ``max_{x_0} min_{x_1} u_0 = 0`` (copy the opponent) but
  ``min_{x_1} max_{x_0} u_0 = 1`` (at ``x_1 = 0``). The mixed equilibrium (Glicksberg 1952 guarantees one) is
  ``x_0`` uniform on ``{-1, 1}``, ``x_1 = 0``, value 1. The first-order stationary set is the diagonal
  ``x_0 = x_1`` (both gradients ``+-2 (x_0 - x_1)`` vanish there, also on the corners, where the projected
  residual vanishes too); a diagonal point is an ``(eps, delta)``-local Nash equilibrium iff ``eps >= delta^2``
  (player 0 gains exactly ``delta^2`` by stepping ``delta`` away, player 1 gains nothing).
- ``ridge-minimax``: ``min_x max_y f``, ``f = (4 x^2 - (y - 3 x + x^3 / 20)^2 - y^4 / 10) exp(-(x^2 + y^2) / 100)``
  on the reals, the toy function of Wang, Zhang and Ba (2020, "On solving minimax optimization locally: a
  follow-the-ridge approach"). The origin is a critical point with Hessian of ``f`` equal to
  ``[[-10, 6], [6, -2]]`` (second-order part ``-5 x^2 + 6 x y - y^2``): ``f_yy = -2 < 0`` and the Schur complement
  ``f_xx - f_xy^2 / f_yy = 8 > 0``, so it is a strict local minimax (Jin, Netrapalli and Jordan 2020), but
  ``f_xx = -10 < 0``: the minimiser would move, so it is not a local Nash equilibrium.
- ``forsaken``: ``min_x max_y f``, ``f = x (y - 0.45) + phi(x) - phi(y)``, ``phi(z) = z^2/4 - z^4/2 + z^6/6``
  (Hsieh, Mertikopoulos and Cevher 2021, "The limits of min-max optimization algorithms: convergence to spurious
  non-critical sets"), on the reals. Its critical point ``(0.0780267, 0.4119339)`` has ``f_xx = 0.4637 > 0``
  but ``f_yy = +0.3742 > 0``: the *maximiser* sits at a local minimum of ``f`` in ``y``, so the point is neither
  a local Nash equilibrium nor a local minimax of ``min_x max_y``. It is a strict local *maximin* (the order
  ``max_y min_x``: ``f_xx > 0`` and ``f_yy - f_xy^2 / f_xx = 0.3742 - 2.157 < 0``). GDA, extragradient and
  optimistic GDA with step 0.05 from ``(0.5, 0.5)`` are attracted to a spurious limit cycle instead.
- ``two-layer-gan``: a tiny generator-discriminator game (zero-sum; the generator minimises). The generator is a
  two-layer network ``g(z) = w_2 . tanh(w_1 z + b_1)`` (hidden width 4; parameters ``(w_1: [4], b_1: [4], w_2: [4])``,
  each leaf in the ball of radius 2); the discriminator is linear in its parameters, ``D(x) = a x + b x^2`` with
  ``(a, b)`` in the unit ball. ``f = mean_real D - mean_fake D``: the discriminator compares the first two moments
  of fixed real samples (quantiles of ``N(1, 0.5^2)``) and of the generator's outputs on fixed latent quantiles of
  ``N(0, 1)``. Non-convex in the generator, linear in the discriminator.

Also here: :func:`guess_the_larger_number`, the ``N x N`` truncation of Wald's game without a value, whose
truncation gap table is :func:`equilibria.solvers.continuous.guess_the_larger_number_table`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from equilibria.core.errors import GameError
from equilibria.core.sets import Ball, Box
from equilibria.games.differentiable import DifferentiableGame, Params
from equilibria.games.normal_form import NormalFormGame
from equilibria.games.zoo._lookup import find


@dataclass(frozen=True)
class NonconcaveZooEntry:
    """A named non-concave game and what is known about it.

    Attributes:
      name: the zoo key (kebab-case).
      description: one line for listings.
      build: returns the game.
      start: a default starting profile for dynamics.
      points: named profiles with known properties (``"critical"``, ``"mixed-support"``...).
      facts: ``name -> value`` pairs a test or report checks (values, Hessians, classifications).
      reference: where the facts come from.
    """

    name: str
    description: str
    build: Callable[[], DifferentiableGame]
    start: Callable[[], Params]
    points: dict[str, Callable[[], Params]] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    reference: str = ""

    def game(self) -> DifferentiableGame:
        return self.build()


# -- squared distance ------------------------------------------------------------------------------------------
def _squared_distance_utilities(_: Any, params: Params) -> jax.Array:
    gain = (params[0] - params[1]) ** 2
    return jnp.stack([gain, -gain])


def squared_distance() -> DifferentiableGame:
    """Player 0 maximises ``(x_0 - x_1)^2``, player 1 minimises it; both on ``[-1, 1]`` (scalars)."""
    return DifferentiableGame.from_utilities(_squared_distance_utilities, jnp.zeros(()), (Box(-1.0, 1.0),) * 2,
                                             name="squared-distance")


# -- Wang-Zhang-Ba ridge function -------------------------------------------------------------------------------
def _ridge_objective(_: Any, x: jax.Array, y: jax.Array) -> jax.Array:
    bracket = 4 * x**2 - (y - 3 * x + x**3 / 20) ** 2 - y**4 / 10
    return bracket * jnp.exp(-(x**2 + y**2) / 100)


def ridge_minimax() -> DifferentiableGame:
    """``min_x max_y (4x^2 - (y - 3x + x^3/20)^2 - y^4/10) exp(-(x^2 + y^2)/100)`` on the reals."""
    return DifferentiableGame.zero_sum(_ridge_objective, jnp.zeros(()), name="ridge-minimax")


# -- Forsaken ----------------------------------------------------------------------------------------------------
def _forsaken_phi(z: jax.Array) -> jax.Array:
    return z**2 / 4 - z**4 / 2 + z**6 / 6


def _forsaken_objective(_: Any, x: jax.Array, y: jax.Array) -> jax.Array:
    return x * (y - 0.45) + _forsaken_phi(x) - _forsaken_phi(y)


def forsaken(bound: float | None = None) -> DifferentiableGame:
    """Hsieh et al.'s Forsaken game ``min_x max_y x (y - 0.45) + phi(x) - phi(y)``.

    Args:
      bound: restrict both players to ``[-bound, bound]`` (None: the reals, as in the paper). Local CCE needs a
        compact set; ``bound=1.5`` contains the critical point and the limit cycle.
    """
    if bound is None:
        return DifferentiableGame.zero_sum(_forsaken_objective, jnp.zeros(()), name="forsaken")
    if not (np.isfinite(bound) and bound > 0):
        raise GameError(f"forsaken(bound): must be a positive finite number or None, got {bound!r}")
    box = Box(-float(bound), float(bound))
    return DifferentiableGame.zero_sum(_forsaken_objective, jnp.zeros(()), (box, box), name="forsaken")


# The critical point, solved to float64 precision (Newton on the gradient; see tests/games/test_zoo_nonconcave.py).
FORSAKEN_CRITICAL = (0.07802666873846009, 0.41193385136581984)


# -- two-layer GAN -----------------------------------------------------------------------------------------------
GAN_HIDDEN = 4
GAN_SAMPLES = 16


def _normal_quantiles(n: int) -> np.ndarray:
    from scipy.stats import norm

    return np.asarray(norm.ppf((np.arange(n) + 0.5) / n))


def _generator(theta: Any, z: jax.Array) -> jax.Array:
    w1, b1, w2 = theta
    return jnp.tanh(z[:, None] * w1[None, :] + b1[None, :]) @ w2


def _discriminator(weights: jax.Array, x: jax.Array) -> jax.Array:
    return weights[0] * x + weights[1] * x**2


def _gan_objective(data: Any, theta: Any, weights: jax.Array) -> jax.Array:
    real, latent = data
    return jnp.mean(_discriminator(weights, real)) - jnp.mean(_discriminator(weights, _generator(theta, latent)))


def two_layer_gan(samples: int = GAN_SAMPLES, generator_radius: float = 2.0,
                  discriminator_radius: float = 1.0) -> DifferentiableGame:
    """A two-layer generator (player 0, minimises) against a linear-in-parameters discriminator (player 1).

    See the module docstring; ``samples`` real points and latent points (deterministic quantiles).
    """
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 2:
        raise GameError(f"two_layer_gan(samples): must be an integer >= 2, got {samples!r}")
    real = 1.0 + 0.5 * _normal_quantiles(samples)
    latent = _normal_quantiles(samples)
    data = (jnp.asarray(real), jnp.asarray(latent))
    return DifferentiableGame.zero_sum(_gan_objective, data, (Ball(generator_radius), Ball(discriminator_radius)),
                                       name="two-layer-gan")


def two_layer_gan_start(seed: int = 0) -> Params:
    """A small random generator and a zero discriminator (seeded, NumPy)."""
    rng = np.random.default_rng(seed)
    theta = tuple(jnp.asarray(0.5 * rng.standard_normal(GAN_HIDDEN)) for _ in range(3))
    return (theta, jnp.zeros(2))


# -- guess the larger number ----------------------------------------------------------------------------------------
def guess_the_larger_number(n: int) -> NormalFormGame:
    """Both players pick a number in ``{1, ..., n}``; the larger number wins 1 from the other, a tie pays 0.

    ``payoffs[0, i, j] = sign(i - j)`` (zero-sum, symmetric). Every truncation has the pure equilibrium
    ``(n, n)`` and value 0; the game on all of ``{1, 2, ...}`` has none (see
    :func:`equilibria.solvers.continuous.guess_the_larger_number_table`).
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise GameError(f"guess_the_larger_number(n): must be a positive integer, got {n!r}")
    numbers = np.arange(1, int(n) + 1)
    return NormalFormGame.zero_sum(np.sign(numbers[:, None] - numbers[None, :]).astype(float),
                                   name=f"guess-the-larger-number-{n}")


def _scalars(*values: float) -> Params:
    return tuple(jnp.asarray(v, dtype=float) for v in values)


ENTRIES: tuple[NonconcaveZooEntry, ...] = (
    NonconcaveZooEntry(
        "squared-distance",
        "player 0 maximises (x0-x1)^2 on [-1,1]^2: no pure equilibrium; mixed: x0 uniform on {-1,1}, x1=0, value 1",
        squared_distance, lambda: _scalars(0.5, -0.3),
        points={"diagonal": lambda: _scalars(0.25, 0.25), "pure-minmax": lambda: _scalars(1.0, 0.0)},
        facts={"maxmin": 0.0, "minmax": 1.0, "value": 1.0, "mixed_equilibrium": (((-1.0, 1.0), (0.5, 0.5)),
                                                                                ((0.0,), (1.0,))),
               "stationary_set": "diagonal x0 = x1", "local_nash_gain": "delta^2 on the diagonal"},
        reference="textbook (Glicksberg 1952 for existence of the mixed equilibrium)"),
    NonconcaveZooEntry(
        "ridge-minimax",
        "min_x max_y (4x^2-(y-3x+x^3/20)^2-y^4/10)exp(-(x^2+y^2)/100): origin strict local minimax, not local Nash",
        ridge_minimax, lambda: _scalars(1.0, 1.0),
        points={"critical": lambda: _scalars(0.0, 0.0)},
        facts={"hessian_f": ((-10.0, 6.0), (6.0, -2.0)), "schur_complement": 8.0,
               "classification": "strict local minimax"},
        reference="Wang, Zhang and Ba (2020); Jin, Netrapalli and Jordan (2020) for local minimax"),
    NonconcaveZooEntry(
        "forsaken",
        "Forsaken game (Hsieh et al. 2021): critical point (0.078, 0.412) is a strict local maximin; GDA/EG/OGDA cycle",
        forsaken, lambda: _scalars(0.5, 0.5),
        points={"critical": lambda: _scalars(*FORSAKEN_CRITICAL)},
        facts={"critical": FORSAKEN_CRITICAL, "classification": "strict local maximin",
               "learning_rate": 0.05},
        reference="Hsieh, Mertikopoulos and Cevher (2021)"),
    NonconcaveZooEntry(
        "two-layer-gan",
        "two-layer tanh generator vs moment discriminator D(x)=ax+bx^2, both in balls: a small non-concave GAN game",
        two_layer_gan, two_layer_gan_start, reference="this library"),
)

_BY_NAME = {e.name: e for e in ENTRIES}


def names() -> list[str]:
    return [e.name for e in ENTRIES]


def entry(name: str) -> NonconcaveZooEntry:
    """The entry called ``name`` (any spelling); ``GameError`` names close names when unknown."""
    return find(_BY_NAME, name, "non-concave zoo", error=GameError)


def get(name: str) -> DifferentiableGame:
    return entry(name).build()
