"""Generators of normal-form games: random families for experiments and structured families for tests.

Every random generator takes a keyword ``seed`` (an ``int`` or a ``numpy.random.Generator``; no global
RNG) and returns a :class:`NormalFormGame` with payoffs ``[n_players, *n_actions]``; the number of players
is ``len(n_actions)``.

- :func:`random_game`: i.i.d. uniform payoffs on ``[low, high)`` (nondegenerate with probability one).
- :func:`random_integer_game`: i.i.d. uniform integers on ``[low, high]``; ties are common, so these games are
  often degenerate, which is what solver tests need.
- :func:`covariance_game`: GAMUT's covariance games (Nudelman, Wortman, Shoham & Leyton-Brown 2004, after
  Rinott & Scarsini 2000): at every pure profile the payoff vector is drawn from a multivariate normal with
  mean 0, unit variances and correlation ``rho`` between every two players.
- :func:`coordination_game`: the ``n x n`` game with identity payoffs for both players; exactly ``2^n - 1``
  Nash equilibria, one per non-empty support.
- :func:`savani_von_stengel_game`: ``d x d`` games on which every Lemke-Howson path is exponentially long in
  ``d`` (Savani & von Stengel 2006, 2016; Morris 1994).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from equilibria.core.errors import GameError
from equilibria.games.normal_form import NormalFormGame

__all__ = [
    "coordination_game",
    "covariance_game",
    "morris_labels",
    "random_game",
    "random_integer_game",
    "savani_von_stengel_game",
]

Seed = int | np.random.Generator

# Largest dimension whose integer payoffs (up to 3 * lcm(1, ..., 2d - 1)) are exact in float64.
_MAX_SVS_DIMENSION = 18


def random_game(
    n_actions: Sequence[int], *, seed: Seed, low: float = 0.0, high: float = 1.0
) -> NormalFormGame:
    """Payoffs drawn i.i.d. uniformly from ``[low, high)``; ``n_actions[i]`` actions for player ``i``."""
    shape = _shape(n_actions, "random_game")
    low, high = _finite_interval(low, high, "random_game")
    rng = _rng(seed, "random_game")
    payoffs = rng.uniform(low, high, size=(len(shape), *shape))
    return NormalFormGame(payoffs, name=f"random game {_dims(shape)}")


def random_integer_game(
    n_actions: Sequence[int], *, seed: Seed, low: int = -5, high: int = 5
) -> NormalFormGame:
    """Integer payoffs drawn i.i.d. uniformly from ``{low, ..., high}`` (both ends included)."""
    shape = _shape(n_actions, "random_integer_game")
    integers = all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in (low, high))
    if not integers or low > high:
        raise GameError(f"random_integer_game: low and high must be integers with low <= high, got "
                        f"low={low!r}, high={high!r}")
    rng = _rng(seed, "random_integer_game")
    payoffs = rng.integers(int(low), int(high), size=(len(shape), *shape), endpoint=True)
    return NormalFormGame(payoffs.astype(float), name=f"random integer game {_dims(shape)}")


def covariance_game(n_actions: Sequence[int], *, rho: float, seed: Seed) -> NormalFormGame:
    """GAMUT's covariance game: each profile's payoffs ~ N(0, Sigma), ``Sigma = (1 - rho) I + rho 11^T``.

    ``rho`` must lie in ``[-1/(n-1), 1]`` (where ``Sigma`` is positive semi-definite; ``n >= 2`` players).
    ``rho = 1`` gives a common-payoff game (identical payoffs, exactly); ``rho = -1/(n-1)`` gives a zero-sum
    game (payoffs sum to zero exactly); ``rho = 0`` gives independent standard normal payoffs.

    The draw uses the eigen-decomposition of ``Sigma`` explicitly: with ``z ~ N(0, I_n)`` and ``zbar`` its
    mean, ``x = sqrt(1 + (n-1) rho) * zbar + sqrt(1 - rho) * (z - zbar)``, whose covariance is ``Sigma`` (the
    first term lives on the all-ones eigenvector with eigenvalue ``1 + (n-1) rho``, the second on its
    orthogonal complement with eigenvalue ``1 - rho``). Both boundary cases are then exact, not up to
    round-off. Payoffs are not rescaled (GAMUT optionally normalises them to an interval).
    """
    shape = _shape(n_actions, "covariance_game")
    n = len(shape)
    if n < 2:
        raise GameError(f"covariance_game: needs at least 2 players (rho correlates players), got n_actions="
                        f"{list(shape)}")
    lowest = -1.0 / (n - 1)
    if isinstance(rho, bool) or not isinstance(rho, int | float | np.floating | np.integer):
        raise GameError(f"covariance_game: rho must be a number, got {rho!r}")
    rho = float(rho)
    # A tolerance of a few ulps so that e.g. rho = -1/3 typed by a user counts as the boundary.
    if not (lowest - 1e-12 <= rho <= 1.0):
        raise GameError(f"covariance_game: rho must lie in [-1/(n-1), 1] = [{lowest:.6g}, 1] for {n} "
                        f"players, got {rho}")
    at_lower_bound = rho <= lowest + 1e-12
    rng = _rng(seed, "covariance_game")
    z = rng.standard_normal(size=(n, *shape))
    mean = z.mean(axis=0)
    deviation = z - mean
    if at_lower_bound:
        # The payoffs sum to zero in exact arithmetic; making the last player's the negated sum of the
        # others' makes the game exactly zero-sum in floating point too.
        payoffs = math.sqrt(1.0 - lowest) * deviation
        payoffs[-1] = -payoffs[:-1].sum(axis=0)
    else:
        common = math.sqrt(1.0 + (n - 1) * rho) * mean
        payoffs = common + math.sqrt(1.0 - rho) * deviation
    return NormalFormGame(payoffs, name=f"covariance game {_dims(shape)} rho={rho:g}")


def coordination_game(n: int) -> NormalFormGame:
    """The ``n x n`` coordination game: both players get 1 when they pick the same action, else 0.

    It is nondegenerate and has exactly ``2^n - 1`` Nash equilibria: for every non-empty set ``S`` of
    actions, both players mixing uniformly on ``S`` (payoff ``1/|S|`` each).
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise GameError(f"coordination_game: n must be a positive integer, got {n!r}")
    identity = np.eye(int(n))
    return NormalFormGame(np.stack([identity, identity]), name=f"coordination {n}x{n}")


def morris_labels(d: int) -> tuple[int, ...]:
    """Morris's (1994) labels of the ``2d`` facets of the dual cyclic polytope in dimension ``d`` (even).

    Facet ``k`` (1-based, in moment-curve order) gets label ``l(k)``: ``l(k) = k`` for ``k <= d``; then
    ``l(d+1) = d``, ``l(d+k) = d-k`` for even ``k < d``, ``l(d+k) = d-k+2`` for odd ``k``, ``l(2d) = 1``. For
    ``d = 6``: ``1 2 3 4 5 6 | 6 4 5 2 3 1``.
    """
    _check_svs_dimension(d, "morris_labels")
    second = [d]
    for k in range(2, d + 1):
        if k == d:
            second.append(1)
        elif k % 2 == 0:
            second.append(d - k)
        else:
            second.append(d - k + 2)
    return (*range(1, d + 1), *second)


def savani_von_stengel_game(d: int) -> NormalFormGame:
    """A ``d x d`` bimatrix game (``d`` even) on which every Lemke-Howson path is exponentially long in ``d``.

    **Construction** (the unit-vector form, Savani & von Stengel 2016, "Unit vector games", Int. J. Econ.
    Theory 12, of the hard-to-solve games of Savani & von Stengel 2006, "Hard-to-solve bimatrix games",
    Econometrica 74(2); both rest on Morris 1994, "Lemke paths on simple polytopes", Math. Oper. Res. 19):

    - Player 2's payoffs ``B`` make the best-response polytope ``P = {x >= 0 : B^T x <= 1}`` a *dual cyclic
      polytope* with ``2d`` facets: facet ``x_i >= 0`` is the point ``t = i`` of the moment curve and facet
      ``(B^T x)_j <= 1`` the point ``t = d + j`` (1-based). Writing the homogenised moment curve
      ``(1, t, ..., t^d)`` in the basis of the Lagrange polynomials of the nodes ``1..d`` and of
      ``h(t) = prod_k (t - k)`` gives, after positive row scaling and a row shift (neither changes best
      responses), ``B[i, j] = L * (2 + (-1)^(d-i+1) / (d + j - i))`` with ``L = lcm(1, ..., 2d-1)``, integers
      in ``[L, 3L]``. Vertices of ``P`` are then the Gale-evenness bit strings of length ``2d``.
    - Player 1's payoffs are unit vectors: ``A[i, j] = 1`` iff ``i = l(d + j)`` for Morris's labels
      :func:`morris_labels` (a permutation matrix, so this is an imitation game up to column order).

    By the unit-vector-game correspondence, the Lemke-Howson path for *any* missing label (each of the ``2d``
    pure strategies of either player) projects onto Morris's Lemke path in ``P``, which is exponentially long
    for every label. The game has a **unique** Nash equilibrium: ``y`` uniform and ``x`` proportional to the
    solution of ``B^T x = 1`` (full supports; the only completely labelled Gale strings are ``1^d 0^d``, the
    artificial equilibrium, and ``0^d 1^d``).

    Measured with an exact Lemke-Howson pivot counter (pivots in both polytopes), the shortest path over all
    ``2d`` labels has 4, 8, 16, 24, 44, 64, 112 pivots for ``d = 2, 4, ..., 14`` (growth about the golden
    ratio per step of 2 in ``d``); the longest has 4, 12, 32, 80, 196, 476, 1152.

    The payoffs are large integers (``L`` is 232792560 for ``d = 10``) and the polytope is badly conditioned:
    follow these paths in exact arithmetic; a floating-point pivoting code may leave the exact path from
    about ``d = 10`` on.

    Args:
      d: the dimension, an even integer with ``2 <= d <= 18`` (beyond 18 the integer payoffs are no longer
        exactly representable as floats).
    """
    _check_svs_dimension(d, "savani_von_stengel_game")
    labels = morris_labels(d)
    scale = math.lcm(*range(1, 2 * d))
    row = np.zeros((d, d))
    column = np.zeros((d, d))
    for i in range(1, d + 1):
        sign = 1 if (d - i + 1) % 2 == 0 else -1
        for j in range(1, d + 1):
            column[i - 1, j - 1] = 2 * scale + sign * (scale // (d + j - i))
            row[i - 1, j - 1] = 1.0 if labels[d + j - 1] == i else 0.0
    return NormalFormGame(np.stack([row, column]), name=f"Savani-von Stengel d={d}")


# -- argument checks -----------------------------------------------------------------------------------------
def _check_svs_dimension(d: Any, caller: str) -> None:
    if isinstance(d, bool) or not isinstance(d, int | np.integer) or d < 2 or d % 2 or d > _MAX_SVS_DIMENSION:
        raise GameError(f"{caller}: d must be an even integer in [2, {_MAX_SVS_DIMENSION}], got {d!r}")


def _shape(n_actions: Any, caller: str) -> tuple[int, ...]:
    try:
        values = list(n_actions)
    except TypeError:
        raise GameError(f"{caller}: n_actions must be a sequence of positive integers, got "
                        f"{n_actions!r}") from None
    if not values or not all(isinstance(v, int | np.integer) and not isinstance(v, bool) and v >= 1
                             for v in values):
        raise GameError(f"{caller}: n_actions must be a non-empty sequence of positive integers, got "
                        f"{n_actions!r}")
    return tuple(int(v) for v in values)


def _finite_interval(low: Any, high: Any, caller: str) -> tuple[float, float]:
    try:
        lo, hi = float(low), float(high)
    except (TypeError, ValueError):
        raise GameError(f"{caller}: low and high must be numbers, got low={low!r}, high={high!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise GameError(f"{caller}: need finite low < high, got low={low!r}, high={high!r}")
    return lo, hi


def _rng(seed: Any, caller: str) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise GameError(f"{caller}: seed must be a non-negative int or a numpy.random.Generator, got "
                        f"{seed!r}")
    return np.random.default_rng(int(seed))


def _dims(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape))
