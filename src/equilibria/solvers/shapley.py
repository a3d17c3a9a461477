"""Shapley (1953) value iteration for two-player zero-sum stochastic games.

Maths. In a two-player zero-sum (constant-sum) stochastic game with discount ``beta < 1`` the row player's
(player 0's) value ``V: [n_states]`` is the unique fixed point of Shapley's operator
``(T V)(s) = val Q_s(V)``, the value of the stage matrix game ``Q_s(V)[a, b] = r_0(s, a, b) + beta E[V(s') | s, a,
b]`` (:meth:`StochasticGame.continuation_at`). ``T`` is a ``beta``-contraction in the sup norm, so iterating it from
``V = 0`` converges geometrically, and ``||V_{k+1} - V*|| <= beta / (1 - beta) ||V_{k+1} - V_k||``. Playing in
every state the stage equilibrium of ``Q_s(V)`` is a stationary equilibrium when ``V = V*`` and, in general, has
exploitability at most about ``2 beta / (1 - beta)`` times ``||V - V*||``.

Stopping rule: a sweep whose change ``D = V_{k+1} - V_k`` has span ``max D - min D`` at most ``tol (1 - beta) /
(2 beta)``. Shapley's operator is monotone and commutes with adding a constant (``T(V + c) = T V + beta c``), so
MacQueen's (1966) bounds hold, ``V_{k+1} + beta/(1 - beta) min D <= V* <= V_{k+1} + beta/(1 - beta) max D``: up to
one constant the value is within ``tol / 2``, and a constant changes no stage game's equilibria. (The constant part
of the error is the one that decays at the slow rate ``beta``; on random games the span shrinks several times
faster.) Games with terminal states use the sup norm of ``D`` instead (their values at terminal states are pinned
to 0, so a constant does not commute). The returned profile (the last sweep's stage equilibria, one LP per
state, batched on the previous supports: :mod:`equilibria.solvers._stochastic`) is then certified by
:mod:`equilibria.metrics.stochastic`. If its exploitability still exceeds ``tol`` the sweeps go on with a
threshold ten times smaller, until the certificate holds or the budget runs out. Undiscounted stopping games
(``discount == 1``, terminal states): value iteration from 0 still converges when every profile stops, but with
no contraction rate; the rule is then a change of at most ``tol / 2``, and ``max_iterations`` caps it (the
certificate decides).

Exact mode (``rational=True``, small games). Shapley values can be irrational (the data are rational, the value
is a root of a polynomial), so exact mode is a guess that is verified, never assumed:

1. the float solution gives every state's supports;
2. from exact values ``V`` (the float values read as fractions), each state's stage game ``Q_s(V)`` is solved
   exactly on those supports (the equalising equations in Fractions), and ``V`` is replaced by the exact values of
   that stationary profile; repeated until ``V`` does not change (a fixed point of both players' equalising
   policies: then ``V = T V``), at most :data:`_EXACT_ROUNDS` times, and given up once a denominator outgrows
   :data:`_EXACT_MAX_BITS` bits (the sign of an irrational value: the iterates then behave like Newton's);
3. otherwise, the float strategies are rounded to fractions with small denominators
   (``Fraction.limit_denominator``);
4. a candidate is returned only when its exact exploitability (exact values, exact best responses by policy
   iteration: :mod:`equilibria.solvers._stochastic_exact`) is exactly 0.

When no candidate verifies, the result is the float answer with ``rational=False`` and
``parameters["rational_failed"]`` saying why (the value may be irrational, or the supports degenerate).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

from equilibria.core.errors import GameError
from equilibria.core.result import SolveResult
from equilibria.games.stochastic import StochasticGame
from equilibria.solvers._common import Budget
from equilibria.solvers._stochastic import (
    StageSolution,
    check_tol,
    require_stochastic,
    row_continuation,
    solve_stage_games,
    stochastic_result,
)

_METHOD = "shapley"
# Exact mode: rounds of the exact equalising iteration, and the denominators tried when rounding floats.
_EXACT_ROUNDS = 8
_DENOMINATORS = (10, 100, 1_000, 10_000, 1_000_000)
# The exact iteration gives up once a value's denominator has more bits than this.
_EXACT_MAX_BITS = 96
# Exact mode is for small games: dense Fraction solves grow as n_states^3 with growing numbers.
_EXACT_MAX_STATES = 50
# Sweeps between two checks of a certificate that missed (the threshold shrinks tenfold each time).
_TIGHTEN = 10.0


def shapley_solve(game: StochasticGame, *, tol: float = 1e-9, rational: bool = False,
                  max_iterations: int | None = None, max_seconds: float | None = None) -> SolveResult:
    """A stationary minimax profile of a two-player zero-sum stochastic game by Shapley value iteration.

    ``iterations`` counts sweeps (one stage game per state each). ``parameters`` holds ``"state_values"`` (the
    metrics' values of the returned profile), ``"lp_calls"`` (stage games that needed an LP rather than the
    batched re-solve on their previous supports), ``"last_change"`` (the last sweep's sup-norm change) and, when
    the budget stopped it, ``"stopped_because"``.

    Args:
      game: a two-player StochasticGame whose rewards add up to one constant.
      tol: the exploitability asked for (payoff units, not normalised by ``1 - discount``).
      rational: an exact (Fraction) answer for small games, verified exactly (module docstring); when none is
        found the float answer comes back with ``rational=False`` and ``parameters["rational_failed"]``.
      max_iterations: at most this many sweeps (default: none, or 100,000 in a stopping game).
      max_seconds: time limit, checked every sweep.

    Returns:
      A SolveResult with one profile ``(x: [n_states, max_actions[0]], y: [n_states, max_actions[1]])``.

    Raises:
      NotApplicableError: not a two-player zero-sum game (use stochastic_value_iteration_solve).
      GameError: bad arguments.
    """
    caller = "shapley_solve"
    game = require_stochastic(game, f"{caller}(game)", zero_sum=True)
    tol = check_tol(tol, f"{caller}(tol)")
    if not isinstance(rational, bool):
        raise GameError(f"{caller}(rational): expected True or False, got {rational!r}")
    if max_iterations is None and game.discount == 1.0:
        max_iterations = 100_000  # no contraction: a stopping game in which some profile never stops would loop
    budget = Budget.checked(max_iterations, max_seconds, caller)
    if rational and game.n_states > _EXACT_MAX_STATES:
        raise GameError(f"{caller}(rational): exact mode is for games of at most {_EXACT_MAX_STATES} states, got "
                        f"{game.n_states}")
    parameters: dict[str, Any] = {"tol": tol, "rational": rational, "max_iterations": max_iterations,
                                  "max_seconds": max_seconds}
    run = value_iteration(game, tol, budget)
    parameters.update(lp_calls=run.lp_calls, last_change=run.last_change)
    if run.stopped_because:
        parameters["stopped_because"] = run.stopped_because
    profile = run.profile
    if rational:
        exact, reason = exact_profile(game, run)
        if exact is not None:
            return stochastic_result(game, _METHOD, [exact], parameters=parameters, iterations=run.sweeps,
                                     budget=budget, converged=True, tol=tol, rational=True)
        parameters["rational_failed"] = reason
    return stochastic_result(game, _METHOD, [profile], parameters=parameters, iterations=run.sweeps, budget=budget,
                             converged=run.stopped_because is None, tol=tol)


class _Run:
    """What value iteration ends with: the profile, the last stage solution and values, and why it stopped."""

    def __init__(self) -> None:
        self.profile: tuple[np.ndarray, np.ndarray] = (np.zeros((0, 0)), np.zeros((0, 0)))
        self.stage: StageSolution | None = None
        self.values = np.zeros(0)
        self.sweeps = 0
        self.lp_calls = 0
        self.last_change = math.inf
        self.stopped_because: str | None = None


def value_iteration(game: StochasticGame, tol: float, budget: Budget, values: np.ndarray | None = None) -> _Run:
    """Shapley sweeps from ``values`` (default 0) until the rule of the module docstring holds, certified, or the
    budget runs out."""
    from equilibria.metrics.stochastic import exploitability

    beta = game.discount
    threshold = tol * (1.0 - beta) / (2.0 * beta) if 0 < beta < 1 else tol / 2.0
    run = _Run()
    v = np.zeros(game.n_states) if values is None else np.array(values, dtype=float)
    live = ~game.terminal
    shift_equivariant = beta < 1.0 and not game.terminal.any()  # T(V + c) = T V + beta c
    rows, columns = game.n_actions[:, 0], game.n_actions[:, 1]
    while True:
        stage = solve_stage_games(row_continuation(game, v), rows, columns, run.stage)
        new = np.where(live, stage.value, 0.0)
        run.sweeps += 1
        run.lp_calls += stage.lp_calls
        delta = new - v
        run.last_change = float(np.abs(delta).max())
        # Span of the change (MacQueen's bounds) where the operator commutes with adding a constant: a constant
        # error in V changes no stage game's equilibria, and it is the part that decays at the slow rate beta.
        spread = float(np.ptp(delta)) if shift_equivariant else run.last_change
        run.stage, v = stage, new
        run.profile = _profile(game, stage)
        if spread <= threshold or beta == 0.0:
            try:
                gap = exploitability(game, run.profile, checked=True)
            except GameError:  # a stopping game's profile that need not stop: not there yet
                gap = math.inf
            if gap <= tol or beta == 0.0 or spread == 0.0:  # certified, or no sweep can change anything more
                break
            threshold /= _TIGHTEN
        if budget.exhausted(run.sweeps):
            run.stopped_because = budget.stop_reason(run.sweeps)
            break
    run.values = v
    return run


def _profile(game: StochasticGame, stage: StageSolution) -> tuple[np.ndarray, np.ndarray]:
    """The stationary profile of a sweep's stage equilibria (terminal states: the first action; rows summing to 1)."""
    x, y = stage.x.copy(), stage.y.copy()
    for policy in (x, y):
        policy /= policy.sum(axis=1, keepdims=True)
        policy[game.terminal] = 0.0
        policy[game.terminal, 0] = 1.0
    return x, y


# -- exact mode ------------------------------------------------------------------------------------------------


def exact_profile(game: StochasticGame, run: _Run) -> tuple[tuple[np.ndarray, np.ndarray] | None, str]:
    """An exact stationary equilibrium from the float run (module docstring), verified; or ``(None, why)``."""
    from equilibria.solvers import _stochastic_exact as exact

    data = exact.ExactGame(game)
    x, y = run.profile
    guess = (_rounded(game, x, 10**6), _rounded(game, y, 10**6))
    try:
        v = exact.profile_values(data, guess)[0]
    except GameError:
        v = exact.fractions(run.values)
    for _ in range(_EXACT_ROUNDS):
        candidate = _exact_stage_profile(game, data, v, x, y)
        if candidate is None:
            break
        try:
            new = exact.profile_values(data, candidate)[0]
        except GameError:
            break
        if all(new == v):
            if exact.certificate(game, candidate, data)[1] == 0:
                return candidate, ""
            break
        if max(value.denominator.bit_length() for value in new) > _EXACT_MAX_BITS:
            break  # not settling: the denominators grow as in Newton's method towards an irrational root
        v = new
    for denominator in _DENOMINATORS:
        candidate = (_rounded(game, x, denominator), _rounded(game, y, denominator))
        try:
            if exact.certificate(game, candidate, data)[1] == 0:
                return candidate, ""
        except GameError:
            continue
    return None, ("no exact stationary equilibrium verified from the float solution's supports (the value may be "
                  "irrational, or the stage games degenerate); the float answer is returned")


def _exact_stage_profile(game: StochasticGame, data: Any, v: np.ndarray, x: np.ndarray,
                         y: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Every state's stage game ``Q_s(v)`` (exact) solved exactly on the float profile's supports; None if one
    fails."""
    from equilibria.solvers import _stochastic_exact as exact

    expected = (data.probabilities * v[game.successors]).sum(axis=-1)
    q = data.rewards[0] + data.discount * expected  # [n_states, m, n] Fractions
    px = np.full(x.shape, Fraction(0), dtype=object)
    py = np.full(y.shape, Fraction(0), dtype=object)
    for s in range(game.n_states):
        if game.terminal[s]:
            px[s, 0] = py[s, 0] = Fraction(1)
            continue
        m, n = int(game.n_actions[s, 0]), int(game.n_actions[s, 1])
        a = q[s, :m, :n]
        support_x, support_y = np.flatnonzero(x[s, :m] > 0), np.flatnonzero(y[s, :n] > 0)
        found = exact.exact_minimax(a, support_x, support_y, support_y, support_x)
        if found is None:
            return None
        px[s, :m], py[s, :n] = found[0], found[1]
    return px, py


def _rounded(game: StochasticGame, policy: np.ndarray, denominator: int) -> np.ndarray:
    """``policy`` as Fractions with denominators at most ``denominator``, each row renormalised to sum to 1."""
    out = np.full(policy.shape, Fraction(0), dtype=object)
    for s in range(policy.shape[0]):
        row = [Fraction(float(p)).limit_denominator(denominator) for p in policy[s]]
        total = sum(row, Fraction(0))
        out[s] = [p / total for p in row] if total > 0 else row
    return out


__all__ = ["shapley_solve"]
