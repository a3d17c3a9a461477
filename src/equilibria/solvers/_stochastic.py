"""Shared plumbing for the stochastic-game solvers: input checks, the result (certified by
:mod:`equilibria.metrics.stochastic`), and a batched solver for the zero-sum stage games of one sweep.

Conventions are :mod:`equilibria.games.stochastic`'s. **The result** of every stochastic solver
(:func:`stochastic_result`): ``equilibria=(profile,)`` with ``profile`` a tuple of ``[n_states, max_actions[i]]``
arrays (float, or Fraction object arrays in rational mode); ``values=(v,)`` with ``v: [n_players]`` each player's
value from ``game.initial``, and ``parameters["state_values"]: [n_players, n_states]``, both from
:func:`equilibria.metrics.stochastic.profile_values` (never a solver's own iterate); ``certificate=(e,)`` with
``e`` the profile's exploitability (:func:`equilibria.metrics.stochastic.exploitability`, in payoff units, not
normalised by ``1 - discount``). ``converged`` is True only when the solver met its own stopping rule AND
``e <= tol``; otherwise ``parameters["message"]`` says why not.

**Batched stage games** (:func:`solve_stage_games`). Shapley value iteration and Hoffman-Karp policy iteration
solve one matrix game per state per sweep: thousands of tiny LPs, where a HiGHS call costs about a millisecond of
set-up. Once the values settle, each state's equilibrium keeps its supports from one sweep to the next, so a sweep
first re-solves every state on its previous supports ``(S, J)`` with ``|S| == |J|`` -- the equalising equations
``A[S, J]^T x_S = v 1, 1^T x_S = 1`` and ``A[S, J] y_J = v 1, 1^T y_J = 1`` -- in one batched ``numpy.linalg.solve``,
and verifies each answer (``x, y >= 0``, ``min_j (x^T A)_j`` and ``max_i (A y)_i`` within rounding of ``v``).
States whose old supports fail (and every state on the first sweep) go to the minimax LP of
:mod:`equilibria.solvers.zero_sum_lp` one by one. The batched answer is a verified equilibrium of the stage game,
so the result is what one LP per state would give, to rounding.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from equilibria.core.errors import GameError, NotApplicableError
from equilibria.core.result import SolveResult
from equilibria.games.stochastic import StochasticGame
from equilibria.solvers._common import Budget, small_game_interpreted
from equilibria.solvers._extensive import certificate_deadline

# A stage answer on the old supports is accepted when its guarantees are within this (relative to the stage
# game's payoff range) of its value: rounding level for the small, well-conditioned systems of a sweep.
_STAGE_RTOL = 1e-11
# Stage games up to this many entries go to the dense simplex first (HiGHS beyond, or when it fails).
_SIMPLEX_MAX_ENTRIES = 400
# Zero-sum check: rewards adding up to one constant within this, relative to the reward scale.
ZERO_SUM_RTOL = 1e-9


def require_stochastic(game: Any, caller: str, *, zero_sum: bool | None = None) -> StochasticGame:
    """``game`` if it is a :class:`StochasticGame` the caller can solve; else a one-line error naming the fix.

    ``zero_sum=True``: the caller needs two players whose rewards add up to one constant everywhere.
    """
    if not isinstance(game, StochasticGame):
        raise GameError(f"{caller}: expected a StochasticGame, got {type(game).__name__} (build one with "
                        "StochasticGame(...) or StochasticGame.from_dense(...))")
    if zero_sum and game.n_players != 2:
        raise NotApplicableError(f"{caller}: needs a two-player zero-sum game, got {game.n_players} players; use "
                                 "stochastic_value_iteration_solve (a heuristic) instead")
    if zero_sum and not game.is_zero_sum(ZERO_SUM_RTOL):
        raise NotApplicableError(f"{caller}: not zero-sum (the rewards do not add up to one constant); use "
                                 "stochastic_value_iteration_solve (a heuristic) instead")
    return game


def check_tol(tol: Any, caller: str) -> float:
    """``tol`` as a positive finite float, else a GameError naming ``caller``."""
    if isinstance(tol, bool) or not isinstance(tol, int | float | np.integer | np.floating) or not (
            0 < float(tol) < math.inf):
        raise GameError(f"{caller}: tol must be a positive number, got {tol!r}")
    return float(tol)


def stochastic_result(game: StochasticGame, method: str, profiles: Sequence[Sequence[Any]], *,
                      parameters: Mapping[str, Any], iterations: int, budget: Budget, converged: bool, tol: float,
                      rational: bool = False) -> SolveResult:
    """The SolveResult of a stochastic solver (module docstring), each profile certified by the metrics layer.

    ``rational=True``: the profiles are Fraction object arrays; values and exploitability are then computed
    exactly (:mod:`equilibria.solvers._stochastic_exact`) and are Fractions. A profile without a value (in a
    stopping game, one that may never stop) gets an infinite certificate and NaN values.
    """
    from equilibria.metrics import stochastic as metrics

    params = dict(parameters)
    equilibria, values, certificate = [], [], []
    notes = [params["message"]] if "message" in params else []
    for profile in profiles:
        gap: Any
        if rational:
            from equilibria.solvers import _stochastic_exact as exact

            pi = exact.check_exact_profile(game, profile, method)
            try:
                state_values, gap = exact.certificate(game, pi)
            except GameError as exc:
                state_values = np.full((game.n_players, game.n_states), np.nan, dtype=object)
                gap = math.inf
                notes.append(str(exc))
            initial = exact.fractions(game.initial)
            values.append(np.array([sum((a * b for a, b in zip(row, initial, strict=True)), Fraction(0))
                                    for row in state_values], dtype=object))
        else:
            pi = game.check_policy(profile, method)
            state_values = np.full((game.n_players, game.n_states), np.nan)
            try:
                state_values = metrics.profile_values(game, pi, checked=True)
                gap = float(metrics.regrets(game, pi, checked=True, deadline=certificate_deadline(budget)).max())
            except GameError as exc:  # a stopping game's profile that need not stop has no value
                gap = math.inf
                notes.append(str(exc))
            except TimeoutError as exc:  # the certificate counts against max_seconds (as on game trees)
                gap = math.inf
                notes.append(f"certificate not computed within 1.5 x max_seconds + 1 s: {exc}")
            values.append(state_values @ game.initial)
        equilibria.append(pi)
        certificate.append(gap)
        params.setdefault("state_values", state_values)
    certified = bool(certificate) and all(gap <= tol for gap in certificate)
    if converged and not certified:
        worst = max(certificate, default=math.inf)
        notes.append(f"the stopping rule was met but the exploitability {float(worst):.3g} exceeds tol={tol:g}"
                     if certificate else "no profile to certify")
    if notes:
        params["message"] = "; ".join(dict.fromkeys(notes))
    return SolveResult(game, method, tuple(equilibria), tuple(values), tuple(certificate), "exploitability",
                       params, iterations, budget.elapsed(), converged and certified, rational, None)


# -- the zero-sum stage games of a sweep ---------------------------------------------------------------------


def row_continuation(game: StochasticGame, values: np.ndarray) -> np.ndarray:
    """``[n_states, *max_actions]``: player 0's ``Q(s, a) = r_0(s, a) + discount E[values(s')]`` for ``values:
    [n_states]`` (the row player's continuation values only: what a zero-sum sweep needs)."""
    expected = np.einsum("...k,...k->...", game.probabilities, values[game.successors])
    return game.rewards[0] + game.discount * expected


@dataclass
class StageSolution:
    """Minimax strategies of every state's stage game (padding 0).

    Attributes:
      x: ``[n_states, m]`` the row player's (maximiser's) strategies.
      y: ``[n_states, n]`` the column player's (minimiser's).
      value: ``[n_states]`` the stage games' values.
      lp_calls: states that needed an LP (the others were re-solved on their previous supports).
    """

    x: np.ndarray
    y: np.ndarray
    value: np.ndarray
    lp_calls: int


def solve_stage_games(q: np.ndarray, rows: np.ndarray, columns: np.ndarray,
                      previous: StageSolution | None) -> StageSolution:
    """Minimax strategies of the matrix games ``q[s, :rows[s], :columns[s]]`` (row player maximises).

    ``q: [n_states, m, n]`` (entries beyond a state's actions are ignored); ``previous``: the last sweep's
    solution, whose supports are tried first (module docstring).
    """
    n_states, m, n = q.shape
    x, y = np.zeros((n_states, m)), np.zeros((n_states, n))
    value = np.zeros(n_states)
    solved = np.zeros(n_states, dtype=bool)
    row_ok = np.arange(m)[None, :] < rows[:, None]
    column_ok = np.arange(n)[None, :] < columns[:, None]
    if previous is not None:
        support_x, support_y = previous.x > 0, previous.y > 0
        candidates = np.flatnonzero(support_x.sum(axis=1) == support_y.sum(axis=1))
        if candidates.size:
            found = _on_supports(q[candidates], support_x[candidates], support_y[candidates],
                                 row_ok[candidates], column_ok[candidates])
            good = found[3]
            index = candidates[good]
            x[index], y[index], value[index] = found[0][good], found[1][good], found[2][good]
            solved[index] = True
    missing = np.flatnonzero(~solved)
    for s in missing:
        x[s, :rows[s]], y[s, :columns[s]], value[s] = _stage_lp(q[s, :rows[s], :columns[s]])
    return StageSolution(x, y, value, int(missing.size))


def _on_supports(q: np.ndarray, support_x: np.ndarray, support_y: np.ndarray, row_ok: np.ndarray,
                 column_ok: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(x, y, v, ok)`` for a batch ``q: [b, m, n]``: the equalising strategies on the given square supports
    (``[b, m]``, ``[b, n]`` bool) and whether each is a verified equilibrium of its stage game."""
    b, m, n = q.shape
    x, v_x, ok_x = _equalise(np.swapaxes(q, 1, 2), support_x, support_y)
    y, v_y, ok_y = _equalise(q, support_y, support_x)
    masked = np.where(row_ok[:, :, None] & column_ok[:, None, :], q, np.nan)
    spread = np.nanmax(masked.reshape(b, -1), axis=1) - np.nanmin(masked.reshape(b, -1), axis=1)
    slack = _STAGE_RTOL * np.maximum(spread, 1.0)
    x, y = np.clip(x, 0.0, None), np.clip(y, 0.0, None)
    floor = np.min(np.where(column_ok, np.einsum("bm,bmn->bn", x, q), np.inf), axis=1)
    ceiling = np.max(np.where(row_ok, np.einsum("bmn,bn->bm", q, y), -np.inf), axis=1)
    ok = ok_x & ok_y & (floor >= v_x - slack) & (ceiling <= v_x + slack) & (np.abs(v_x - v_y) <= slack)
    return x, y, v_x, ok


def _equalise(a: np.ndarray, support: np.ndarray, tight: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For ``a: [b, n, m]`` (the *columns'* payoffs as rows: ``a[:, j, i]`` is the payoff of row ``i`` against
    column ``j``), the strategy ``s`` on ``support`` ``[b, m]`` making every ``tight`` column ``[b, n]`` pay the same
    ``v``: ``(s [b, m], v [b], ok [b])`` (ok: a non-negative solution of a non-singular system)."""
    b, n, m = a.shape
    # Candidate equations (rows of a [n + m + 1, m + 1] system in (s, v)); the m + 1 that apply are picked below.
    full = np.zeros((b, n + m + 1, m + 1))
    full[:, :n, :m] = a
    full[:, :n, m] = -1.0
    full[:, n:n + m, :m] = np.eye(m)
    full[:, n + m, :m] = 1.0
    use = np.concatenate([tight, ~support, np.ones((b, 1), dtype=bool)], axis=1)
    order = np.argsort(~use, axis=1, kind="stable")[:, :m + 1]
    system = np.take_along_axis(full, order[:, :, None], axis=1)
    rhs = np.zeros((b, m + 1))
    rhs[np.arange(b), use.sum(axis=1) - 1] = 1.0  # the sum row is the last one used
    ok = np.ones(b, dtype=bool)
    try:
        solution = np.linalg.solve(system, rhs[..., None])[..., 0]
    except np.linalg.LinAlgError:  # one singular system spoils the batch: solve one by one
        solution = np.zeros((b, m + 1))
        for k in range(b):
            try:
                solution[k] = np.linalg.solve(system[k], rhs[k])
            except np.linalg.LinAlgError:
                ok[k] = False
    s = solution[:, :m]
    ok &= np.all(np.isfinite(solution), axis=1) & np.all(s >= -_STAGE_RTOL, axis=1)
    return np.where(support, s, 0.0), solution[:, m], ok


def _stage_lp(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """``(x, y, value)`` of one matrix game by :mod:`equilibria.solvers.zero_sum_lp`'s LP (polished)."""
    from equilibria.solvers import zero_sum_lp

    if a.shape == (1, 1):
        return np.ones(1), np.ones(1), float(a[0, 0])
    # The dense simplex (compiled, or interpreted while numba is not loaded: a stage game is tiny) takes
    # microseconds where a HiGHS call costs milliseconds of set-up; HiGHS is the fallback.
    with small_game_interpreted(*a.shape):
        simplex = zero_sum_lp._dense_simplex_solution(a) if a.size <= _SIMPLEX_MAX_ENTRIES else None
    if simplex is not None:
        x, y = zero_sum_lp._polish(a, simplex[0], simplex[1])
    else:
        found = zero_sum_lp._solve_lp(a, Budget())
        if isinstance(found, str):
            raise GameError(f"a stage game's minimax LP failed: {found}")
        x, y, _ = found
    return x, y, 0.5 * (float((x @ a).min()) + float((a @ y).max()))


__all__ = ["StageSolution", "check_tol", "require_stochastic", "row_continuation", "solve_stage_games",
           "stochastic_result"]
