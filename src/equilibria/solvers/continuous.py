"""Mixed equilibria of two-player zero-sum games over intervals (continuous games), by discretisation or double oracle.

Maths. Player 0 picks ``x in [a_0, b_0]`` and maximises ``u_0(x, y) = -loss_0``; player 1 picks ``y in [a_1, b_1]``
and minimises it (``loss_1 = -loss_0``). When ``u_0`` is continuous, Glicksberg's theorem (1952) gives a mixed
equilibrium (a pair of probability measures) and a value ``v = max_mu min_y E_mu u_0 = min_nu max_x E_nu u_0``,
even where no pure equilibrium exists (``(x_0 - x_1)^2`` on ``[-1, 1]^2``: pure max-min 0, min-max 1, value 1).

- :func:`discretized_zero_sum_solve`: restrict both players to ``grid_size`` equally spaced points and solve the
  matrix game with :func:`equilibria.solvers.zero_sum_lp.zero_sum_lp_solve`; the grid game's value converges to
  ``v`` as the grid refines (uniform continuity).
- :func:`double_oracle_solve` (McMahan, Gordon and Blum 2003; for continuous games Adam et al. 2021, "Double
  oracle algorithm for computing equilibria in continuous games"): keep finite supports, solve the restricted
  matrix game by LP, add each player's pure best response to the other's restricted mixture (found over the
  whole interval by :func:`equilibria.metrics.residuals.interval_best_response`, a grid with refinement). The
  best-response values bracket the value, ``lower <= v <= upper``; stop when ``upper - lower <= tol``.

Both return a :class:`~equilibria.core.result.SolveResult` whose profile is ``(MixedStrategy, MixedStrategy)``
(points and weights, zero weights dropped), ``values = (v, -v)`` (the profile's expected payoffs) and
certificate ``"duality_gap"`` ``upper - lower`` from :func:`equilibria.metrics.residuals.continuous_duality_gap`.
Games are evaluated in float64.

:func:`guess_the_larger_number_table` shows the opposite case, a game without a value: Wald's "guess the larger
number" on the positive integers (see its docstring).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from equilibria.core.errors import GameError, NotApplicableError
from equilibria.core.result import SolveResult
from equilibria.games.differentiable import DifferentiableGame
from equilibria.games.normal_form import NormalFormGame
from equilibria.games.zoo.nonconcave import guess_the_larger_number
from equilibria.metrics.residuals import (
    MixedStrategy,
    continuous_duality_gap,
    interval,
    interval_best_response,
    row_payoff,
)
from equilibria.solvers._common import Budget
from equilibria.solvers.zero_sum_lp import zero_sum_lp_solve

_ZERO_SUM_TOL = 1e-9
_SAME_POINT = 1e-12


def _check_game(game: Any, caller: str) -> tuple[DifferentiableGame, list[tuple[float, float]]]:
    if not isinstance(game, DifferentiableGame):
        raise GameError(f"{caller}(game): expected a two-player DifferentiableGame over intervals, got "
                        f"{type(game).__name__}")
    if game.n_players != 2:
        raise NotApplicableError(f"{caller}(game): needs a two-player zero-sum game, got {game.n_players} players")
    bounds = [interval(c, f"{caller}(game)", i) for i, c in enumerate(game.constraints)]
    game.check_params((jnp.asarray(bounds[0][0]), jnp.asarray(bounds[1][0])), f"{caller}(game) at scalar strategies")
    xs = jnp.linspace(*bounds[0], 5)
    ys = jnp.linspace(*bounds[1], 5)
    losses = np.asarray(jax.vmap(lambda x: jax.vmap(lambda y: game.losses((x, y)))(ys))(xs), dtype=float)
    if np.max(np.abs(losses[..., 0] + losses[..., 1])) > _ZERO_SUM_TOL * (1 + np.max(np.abs(losses))):
        raise NotApplicableError(f"{caller}(game): the losses do not add up to zero (not a zero-sum game)")
    return game, bounds


def _check_count(value: Any, caller: str, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise GameError(f"{caller}({name}): must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _restricted_solve(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    result = zero_sum_lp_solve(NormalFormGame.zero_sum(matrix))
    x, y = result.equilibrium
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def _strategy(points: np.ndarray, weights: np.ndarray) -> MixedStrategy:
    keep = weights > 1e-12
    w = weights[keep]
    return MixedStrategy(points[keep], w / w.sum())


def _result(game: DifferentiableGame, method: str, strategies: tuple[MixedStrategy, MixedStrategy],
            parameters: dict[str, Any], iterations: int, budget: Budget, grid_size: int,
            tol: float | None) -> SolveResult:
    lower, upper = continuous_duality_gap(game, strategies, grid_size=grid_size)
    with jax.enable_x64(True):
        matrix = row_payoff(game)(strategies[0].points, strategies[1].points)
    value = float(strategies[0].weights @ matrix @ strategies[1].weights)
    gap = max(0.0, upper - lower)
    parameters = dict(parameters, lower=lower, upper=upper)
    return SolveResult(game=game, method=method, equilibria=(strategies,), values=(np.array([value, -value]),),
                       certificate=(gap,), certificate_name="duality_gap", parameters=parameters,
                       iterations=iterations, seconds=budget.elapsed(),
                       converged=True if tol is None else gap <= tol)


def discretized_zero_sum_solve(game: DifferentiableGame, *, grid_size: int = 101,
                               certificate_grid_size: int = 2001) -> SolveResult:
    """The minimax equilibrium of the ``grid_size x grid_size`` grid game (both ends of each interval included).

    Args:
      game: two-player zero-sum game with scalar strategies on bounded intervals (Box or Ball constraints).
      grid_size: points per player.
      certificate_grid_size: first-grid size of the best-response search behind the certificate.
    """
    caller = "discretized_zero_sum_solve"
    budget = Budget()
    game, bounds = _check_game(game, caller)
    grid_size = _check_count(grid_size, caller, "grid_size", 2)
    certificate_grid_size = _check_count(certificate_grid_size, caller, "certificate_grid_size", 2)
    with jax.enable_x64(True):
        xs, ys = np.linspace(*bounds[0], grid_size), np.linspace(*bounds[1], grid_size)
        matrix = row_payoff(game)(xs, ys)
    x, y = _restricted_solve(matrix)
    strategies = (_strategy(xs, x), _strategy(ys, y))
    return _result(game, "discretized_zero_sum", strategies, {"grid_size": grid_size}, 1, budget,
                   certificate_grid_size, None)


def _mixed_row(payoff: Callable[[Any, Any], np.ndarray], ys: np.ndarray, y: np.ndarray,
               grid: np.ndarray) -> np.ndarray:
    """``E_y u_0(x, y)`` for every ``x`` in ``grid``."""
    return payoff(grid, ys) @ y


def _mixed_column(payoff: Callable[[Any, Any], np.ndarray], xs: np.ndarray, x: np.ndarray,
                  grid: np.ndarray) -> np.ndarray:
    """``E_x u_0(x, y)`` for every ``y`` in ``grid``."""
    return x @ payoff(xs, grid)


def _add_point(points: np.ndarray, point: float) -> np.ndarray:
    if np.min(np.abs(points - point)) <= _SAME_POINT:
        return points
    return np.append(points, point)


def double_oracle_solve(game: DifferentiableGame, *, tol: float = 1e-6, grid_size: int = 2001,
                        max_iterations: int = 200, max_seconds: float | None = None) -> SolveResult:
    """A mixed equilibrium by double oracle: restricted LP plus best responses over the whole intervals.

    Args:
      game: two-player zero-sum game with scalar strategies on bounded intervals (Box or Ball constraints).
      tol: stop when the best-response bounds satisfy ``upper - lower <= tol``.
      grid_size: first-grid size of the best-response oracle (then three refinements).
      max_iterations, max_seconds: budget (iterations = restricted games solved); on exhaustion the current
        restricted equilibrium is returned with ``converged=False`` (``parameters["stopped_because"]`` says why,
        as it does when the oracle's grid is too coarse to meet ``tol``).

    Returns:
      SolveResult with one profile ``(MixedStrategy, MixedStrategy)``; ``parameters`` records ``lower``/``upper``.
    """
    caller = "double_oracle_solve"
    budget = Budget(max_iterations=_check_count(max_iterations, caller, "max_iterations", 1), max_seconds=max_seconds)
    game, bounds = _check_game(game, caller)
    if not (isinstance(tol, int | float) and np.isfinite(tol) and tol > 0):
        raise GameError(f"{caller}(tol): must be a positive number, got {tol!r}")
    grid_size = _check_count(grid_size, caller, "grid_size", 2)
    xs = np.array([0.5 * (bounds[0][0] + bounds[0][1])])
    ys = np.array([0.5 * (bounds[1][0] + bounds[1][1])])
    iterations = 0
    reason = ""
    with jax.enable_x64(True):
        payoff = row_payoff(game)
        while True:
            matrix = payoff(xs, ys)
            x, y = _restricted_solve(matrix)
            iterations += 1
            best_x, upper = interval_best_response(partial(_mixed_row, payoff, ys, y), *bounds[0],
                                                   grid_size=grid_size, maximise=True)
            best_y, lower = interval_best_response(partial(_mixed_column, payoff, xs, x), *bounds[1],
                                                   grid_size=grid_size, maximise=False)
            if upper - lower <= tol:
                break
            if budget.exhausted(iterations):
                reason = (f"max_iterations={max_iterations} restricted games solved" if iterations >= max_iterations
                          else f"max_seconds={max_seconds:g} reached after {iterations} restricted games")
                break
            grown_x, grown_y = _add_point(xs, best_x), _add_point(ys, best_y)
            if grown_x.size == xs.size and grown_y.size == ys.size:
                reason = (f"the best-response oracle found no new strategy: the bounds are as tight as its grid "
                          f"(grid_size={grid_size}) allows")
                break
            xs, ys = grown_x, grown_y
    strategies = (_strategy(xs, x), _strategy(ys, y))
    parameters = {"tol": tol, "grid_size": grid_size, "max_iterations": max_iterations, "max_seconds": max_seconds}
    result = _result(game, "double_oracle", strategies, parameters, iterations, budget, grid_size, tol)
    if result.converged:
        return result
    # The final gap comes from a finer oracle than the loop's, so it can miss tol where the loop's bounds met it.
    return dataclasses.replace(result, parameters={**result.parameters, "stopped_because": reason or (
        f"the loop's bounds met tol={tol:g} but the certified duality gap is {result.certificate[0]:.3g}")})


# -- a game without a value ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GuessRow:
    """One truncation ``{1..n}`` of guess-the-larger-number.

    Attributes:
      n: the largest number allowed.
      value: the value of the ``n x n`` game (LP).
      support: the numbers player 0's equilibrium strategy plays.
      guaranteed: what that strategy guarantees player 0 in the game on all positive integers (``min_y``).
      conceded: what player 1's equilibrium strategy concedes there (``max_x``).
      gap: ``conceded - guaranteed``.
    """

    n: int
    value: float
    support: tuple[int, ...]
    guaranteed: float
    conceded: float
    gap: float


def guess_the_larger_number_table(sizes: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64)) -> list[GuessRow]:
    """Guess-the-larger-number: the truncations have a value, the limit game does not, and the gap never closes.

    The game: both players pick a positive integer; the larger wins 1 from the other; a tie pays 0
    (:func:`equilibria.games.zoo.nonconcave.guess_the_larger_number` is the ``n``-truncation). Every truncation
    ``{1..n}`` has value 0 (it is symmetric) and the pure equilibrium ``(n, n)``. On all positive integers no
    equilibrium exists: any finitely supported mixture loses for sure to a number above its support, so
    ``sup_x inf_y = -1`` and ``inf_y sup_x = +1``. The checkable statement, per ``n``: the ``n``-game's
    equilibrium guarantees ``-1`` and concedes ``+1`` in the full game (evaluating against ``n + 1`` suffices:
    a larger number beats every number of the support), a gap of 2 that does not shrink as ``n`` grows.
    """
    if not sizes or any(isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1 for n in sizes):
        raise GameError(f"guess_the_larger_number_table(sizes): expected positive integers, got {sizes!r}")
    rows = []
    for n in sizes:
        result = zero_sum_lp_solve(guess_the_larger_number(int(n)))
        x, y = (np.asarray(s, dtype=float) for s in result.equilibrium)
        extended = guess_the_larger_number(int(n) + 1).payoffs[0]
        guaranteed = float(np.min(np.append(x, 0.0) @ extended))
        conceded = float(np.max(extended @ np.append(y, 0.0)))
        support = tuple(int(k) + 1 for k in np.flatnonzero(x > 1e-9))
        rows.append(GuessRow(int(n), float(result.values[0][0]), support, guaranteed, conceded,
                             conceded - guaranteed))
    return rows
