"""Correlated and coarse correlated equilibria of n-player games by one sparse linear program (HiGHS).

Maths (Aumann 1974; Hannan 1957 and Moulin & Vial 1978 for the coarse notion). A distribution ``p`` over joint
actions ``[*n_actions]`` is a **correlated equilibrium** (CE) when no player gains by a swap "when told ``a``,
play ``a'``":

    for every player i and ordered pair a != a':   sum_{a_-i} p(a, a_-i) (u_i(a', a_-i) - u_i(a, a_-i)) <= 0,

and a **coarse correlated equilibrium** (CCE) when no player gains by ignoring the recommendation altogether:

    for every player i and action a':   sum_a p(a) (u_i(a', a_-i) - u_i(a)) <= 0.

Both sets are polytopes (every CE is a CCE) holding every Nash equilibrium's product distribution, so the LP

    max  c^T p   s.t.  the constraints above,  1^T p = 1,  p >= 0

is always feasible and bounded. The objective ``c`` is the welfare ``sum_i u_i`` by default, a weighted
welfare ``sum_i w_i u_i`` for weights ``[n_players]``, or any tensor ``[*n_actions]``.

Sizes: with ``N = prod(n_actions)`` joint actions the CE LP has ``sum_i n_i (n_i - 1)`` rows holding
``N * sum_i (n_i - 1)`` non-zeros and the CCE LP ``sum_i n_i`` dense rows; both are built as scipy.sparse
matrices. Payoffs are divided by their largest magnitude first so HiGHS's absolute feasibility tolerance is
relative to the payoff scale. The optimal vertex is cleaned (tiny negatives clipped, renormalised) and
certified by the CE/CCE gap computed in :mod:`equilibria.metrics`.

Memory: building the constraints and HiGHS's copies of them take about ``_BYTES_PER_ENTRY`` (192) bytes per
constraint entry (measured peaks: 145 to 190 on 100 x 100 to 200 x 200 and 20 x 20 x 20 games). A game whose LP
would need more than :func:`equilibria.solvers._common.memory_limit` is refused up front with a GameError that
names the LP's size, before anything is allocated (a 10^6 x 2 game's CE LP has 2 * 10^12 entries).

Time: HiGHS checks its time limit only once its simplex has started, and scipy's set-up plus HiGHS's own (scaling,
the initial basis) take about 1 us per constraint entry first (measured: 0.45 to 0.9 us on
the six-player, six-action LPs and the 200 x 200 CE LP, 1.4 and 16 million entries). With ``max_seconds`` the
solver estimates that set-up from the LP's size before building anything and does not start an LP it could not even
set up within 70% of the budget (``_common.highs_would_overrun``; ``converged=False``,
``parameters["stopped_because"]`` says so);
otherwise HiGHS gets what is left of the budget. Scipy's conversions before HiGHS's clock starts and the spacing of
its checks overrun that limit by 25% to 70% of the set-up (measured), so the call ends within about 1.5
``max_seconds``. The estimate is a heuristic: a slower machine may still overrun by the difference.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from equilibria.core.errors import GameError
from equilibria.core.result import SolveResult
from equilibria.games.normal_form import NormalFormGame
from equilibria.solvers._common import (
    Budget,
    correlated_result,
    highs_would_overrun,
    require_memory,
    require_normal_form,
)

if TYPE_CHECKING:
    import scipy.sparse as sp

# Bytes per constraint entry at the peak of building and solving the LP (see the module docstring).
_BYTES_PER_ENTRY = 192
# Feasibility tolerance for HiGHS on the scaled payoffs (its default, 1e-7, would allow CE gaps of that size).
_FEASIBILITY_TOL = 1e-10


def correlated_solve(
    game: Any,
    *,
    coarse: bool = False,
    objective: str | np.ndarray = "welfare",
    max_seconds: float | None = None,
) -> SolveResult:
    """One correlated (``coarse=False``) or coarse correlated equilibrium maximising ``objective``.

    ``iterations`` is HiGHS's simplex iteration count; ``method`` is ``"correlated"`` or
    ``"coarse_correlated"``.

    Args:
      game: a NormalFormGame with any number of players.
      coarse: find a coarse correlated equilibrium instead of a correlated one.
      objective: ``"welfare"`` (the sum of expected payoffs), weights ``[n_players]`` (maximise
        ``sum_i w_i E_p[u_i]``) or a tensor ``[*n_actions]`` (maximise ``sum_a p(a) objective[a]``).
      max_seconds: time budget; HiGHS gets what is left of it once the constraints are built; when it is hit, or
        when the LP is too large to be set up within it (module docstring), the result is empty with
        ``converged=False`` and ``parameters["stopped_because"]`` says which.

    Returns:
      A SolveResult with one joint distribution ``[*n_actions]``, certified by its CE or CCE gap.
    """
    budget = Budget(max_seconds=max_seconds)
    caller = "coarse_correlated_solve" if coarse else "correlated_solve"
    game = require_normal_form(game, f"{caller}(game)")
    if not isinstance(coarse, bool):
        raise GameError(f"correlated_solve(coarse): expected True or False, got {coarse!r}")
    method = "coarse_correlated" if coarse else "correlated"
    description, needed_bytes = lp_size(game.n_actions, coarse)
    require_memory(caller, description, needed_bytes)
    weights = _objective_tensor(game, objective, caller)
    parameters = {"coarse": coarse, "objective": objective if isinstance(objective, str) else "custom",
                  "max_seconds": max_seconds}
    stopped = highs_would_overrun(_lp_entries(game.n_actions, coarse), "constraint entries", budget, max_seconds)
    if stopped is not None:
        return correlated_result(game, method, [], coarse=coarse, parameters={**parameters,
                                                                               "stopped_because": stopped},
                                 iterations=0, budget=budget, converged=False)
    scale = max(float(np.abs(game.payoffs).max()), np.finfo(float).tiny)
    payoffs = game.payoffs / scale
    constraints = _cce_constraints(payoffs) if coarse else _ce_constraints(payoffs)
    # HiGHS gets what is left of the budget after building the constraints (and importing scipy.optimize, a few
    # tenths of a second, done here first), not the whole of it.
    import scipy.optimize  # noqa: F401

    remaining = None if max_seconds is None else max_seconds - budget.elapsed()
    if remaining is not None and remaining <= 0:
        stopped = f"{budget.stop_reason(0)} while building the LP"
        return correlated_result(game, method, [], coarse=coarse, parameters={**parameters,
                                                                               "stopped_because": stopped},
                                 iterations=0, budget=budget, converged=False)
    joint, iterations = _solve_lp(weights / max(float(np.abs(weights).max()), np.finfo(float).tiny),
                                  constraints, remaining)
    if joint is None:
        # CE and CCE LPs are always feasible and bounded: HiGHS stopped on its time limit.
        stopped = budget.stop_reason(iterations) if max_seconds is not None else "HiGHS stopped without a solution"
        return correlated_result(game, method, [], coarse=coarse, parameters={**parameters,
                                                                               "stopped_because": stopped},
                                 iterations=iterations, budget=budget, converged=False)
    return correlated_result(game, method, [joint.reshape(game.n_actions)], coarse=coarse,
                             parameters=parameters, iterations=iterations, budget=budget)


def coarse_correlated_solve(
    game: Any, *, objective: str | np.ndarray = "welfare", max_seconds: float | None = None
) -> SolveResult:
    """The same as ``correlated_solve(game, coarse=True, ...)``.

    Registered as the method ``"coarse_correlated"``.
    """
    return correlated_solve(game, coarse=True, objective=objective, max_seconds=max_seconds)


def lp_size(n_actions: tuple[int, ...], coarse: bool) -> tuple[str, float]:
    """``(description, bytes)``: the size of the CE (or CCE) LP of a game with ``n_actions`` and the memory it
    needs (``_BYTES_PER_ENTRY`` per constraint entry), computed from the shape alone."""
    variables = math.prod(int(n) for n in n_actions)
    entries = _lp_entries(n_actions, coarse)
    rows = sum(n_actions) if coarse else sum(n * (n - 1) for n in n_actions)
    text = (f"the {'CCE' if coarse else 'CE'} LP of a {' x '.join(f'{n:,}' for n in n_actions)} game has "
            f"{variables:,} variables, {rows:,} constraint rows and {entries:,} constraint entries")
    return text, float(entries) * _BYTES_PER_ENTRY + 64.0 * variables


def _lp_entries(n_actions: tuple[int, ...], coarse: bool) -> int:
    """The number of constraint entries of the CE (or CCE) LP (module docstring)."""
    variables = math.prod(int(n) for n in n_actions)
    return variables * (sum(int(n) for n in n_actions) if coarse else sum(int(n) - 1 for n in n_actions))


def _objective_tensor(game: NormalFormGame, objective: Any, caller: str) -> np.ndarray:
    """The objective as a tensor ``[*n_actions]`` to maximise against ``p``."""
    if isinstance(objective, str):
        if objective != "welfare":
            raise GameError(f"{caller}(objective): expected 'welfare' or an array, got {objective!r}")
        return np.asarray(game.payoffs.sum(axis=0), dtype=float)
    try:
        array = np.asarray(objective, dtype=float)
    except (TypeError, ValueError):
        raise GameError(
            f"{caller}(objective): expected 'welfare' or an array of numbers, got {objective!r}"
        ) from None
    if not np.all(np.isfinite(array)):
        raise GameError(f"{caller}(objective): must be finite")
    if array.shape == game.n_actions:
        return array
    if array.shape == (game.n_players,):
        return np.tensordot(array, game.payoffs, axes=(0, 0))
    raise GameError(
        f"{caller}(objective): expected shape ({game.n_players},) (player weights) or {game.n_actions} "
        f"(one number per joint action), got {array.shape}"
    )


def _player_view(payoffs: np.ndarray, player: int) -> tuple[np.ndarray, np.ndarray]:
    """``(u, index)``, both ``[n_i, N / n_i]``: player's payoffs and flat joint indices, own action first."""
    shape = payoffs.shape[1:]
    u = np.moveaxis(payoffs[player], player, 0).reshape(shape[player], -1)
    index = np.moveaxis(np.arange(int(np.prod(shape))).reshape(shape), player, 0).reshape(shape[player], -1)
    return u, index


def _ce_constraints(payoffs: np.ndarray) -> sp.csr_array:
    """CE rows ``[sum_i n_i (n_i - 1), N]``: the gain of each player's swap ``a -> a'`` (``a != a'``)."""
    import scipy.sparse as sp  # here, not at import: importing equilibria stays light

    size = int(np.prod(payoffs.shape[1:]))
    columns, values, lengths = [], [], []
    for player in range(payoffs.shape[0]):
        u, index = _player_view(payoffs, player)
        n = u.shape[0]
        told, play = np.nonzero(~np.eye(n, dtype=bool))  # every ordered pair, told-major
        # Row (told, play) touches the joint actions where player plays ``told``, with gain u[play] - u[told].
        values.append((u[play] - u[told]).ravel())  # [n (n - 1) * N / n]
        columns.append(index[told].ravel())
        lengths.append(np.full(told.size, u.shape[1]))
    # Each row's entries are already together and in row order: the CSR arrays directly, no COO sort.
    indptr = np.concatenate([[0], np.cumsum(np.concatenate(lengths))])
    return sp.csr_array((np.concatenate(values), np.concatenate(columns), indptr), shape=(indptr.size - 1, size))


def _cce_constraints(payoffs: np.ndarray) -> sp.csr_array:
    """CCE rows ``[sum_i n_i, N]``: the gain of always playing ``a'`` instead of following ``p``."""
    import scipy.sparse as sp

    blocks = []
    for player in range(payoffs.shape[0]):
        u, index = _player_view(payoffs, player)
        # gain[a', a_i, a_-i] = u[a', a_-i] - u[a_i, a_-i], placed at the flat index of (a_i, a_-i).
        gain = u[:, None, :] - u[None, :, :]
        row = np.empty((u.shape[0], index.size))
        row[:, index.ravel()] = gain.reshape(u.shape[0], -1)
        blocks.append(row)
    return sp.csr_array(np.vstack(blocks))


def _solve_lp(
    objective: np.ndarray, constraints: sp.csr_array, max_seconds: float | None
) -> tuple[np.ndarray | None, int]:
    """``(p, iterations)`` with ``p`` maximising ``objective . p`` subject to ``constraints @ p <= 0``."""
    import scipy.sparse as sp
    from scipy.optimize import linprog

    size = objective.size
    options: dict[str, Any] = {"primal_feasibility_tolerance": _FEASIBILITY_TOL,
                               "dual_feasibility_tolerance": _FEASIBILITY_TOL}
    if max_seconds is not None:
        options["time_limit"] = float(max_seconds)
    res = linprog(-objective.ravel(), A_ub=constraints, b_ub=np.zeros(constraints.shape[0]),
                  A_eq=sp.csr_array(np.ones((1, size))), b_eq=[1.0], bounds=(0, None), method="highs-ds",
                  options=options)
    iterations = int(getattr(res, "nit", 0) or 0)
    if res.status != 0 or res.x is None:
        return None, iterations
    joint = np.maximum(res.x, 0.0)  # HiGHS may leave -1e-17 on a variable at its bound
    return joint / joint.sum(), iterations
