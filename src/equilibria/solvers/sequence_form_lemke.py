"""Nash equilibria of two-player extensive-form games (general-sum, chance allowed) by Lemke's algorithm on the
sequence form, started from a prior: the tracing procedure of von Stengel, van den Elzen and Talman (2002).

Maths. With realization plans ``x`` (player 0, ``E x = e``, ``x >= 0``) and ``y`` (player 1, ``F y = f``) and
payoffs ``x^T A y``, ``x^T B y`` over sequences (:mod:`equilibria.games.sequence_form`), ``(x, y)`` is a Nash
equilibrium exactly when, for some ``u, v`` (the players' best-response values, one per constraint row),

    E^T u - A y >= 0  complementary to  x >= 0,        F^T v - B^T x >= 0  complementary to  y >= 0,

the linear complementarity problem of Koller, Megiddo and von Stengel (1996), of size linear in the tree. Lemke's
algorithm solves it along a path whose start is fixed by a **prior** ``(x0, y0)``, a pair of completely mixed
realization plans (default: those of the uniform behaviour profile). Von Stengel, van den Elzen and Talman
(2002, Econometrica 70) add a variable ``z0`` and follow, from ``z0 = 1`` down to ``z0 = 0``, the solutions of

    E x + e z0 = e,   F y + f z0 = f,
    a = E^T u - A y - (A y0) z0 >= 0  _|_  x >= 0,      b = F^T v - B^T x - (B^T x0) z0 >= 0  _|_  y >= 0.

Along the path ``y + z0 y0`` is a realization plan (the opponent's current plan ``y / (1 - z0)`` and the prior
mixed in proportions ``1 - z0 : z0``) and ``x / (1 - z0)`` is a best response to it, and likewise for ``y``:
Harsanyi and Selten's linear tracing procedure. At ``z0 = 0`` it is an equilibrium, for a generic prior a
normal-form perfect one. The path starts at ``z0 = 1``, ``x = y = 0``, with the pure best responses ``xbar`` to
``y0`` and ``ybar`` to ``x0``, and leaves along ``x = (1 - z0) xbar``, ``y = (1 - z0) ybar``. Written with
``t = 1 - z0`` (entering first) and ``z0`` as the slack of ``t <= 1`` (the path ends when ``z0`` leaves), the
starting basis holds ``u``, ``v`` (free), ``z0``, the sequences of ``xbar`` and ``ybar`` (at every information
set, reached or not, its best action: one basic sequence per constraint row) and the slacks ``a``, ``b`` of every
other sequence. It is feasible because ``xbar`` and ``ybar`` are best responses at every information set; the path
has no other unbounded edge (the plans are bounded, and so are ``u``, ``v`` once ``z0 < 1``), so Lemke's
algorithm ends at an equilibrium.

Degenerate games (ties in payoffs, including the prior's best responses) are handled by the lexicographic
minimum-ratio test of :mod:`equilibria.solvers._lemke_lcp`, relative to the starting basis: no basis repeats. When
``z0`` ties for leaving it leaves: ``z0 = 0`` there, so the path has reached an equilibrium (on symmetric games
such as Goofspiel the lexicographic rule would otherwise pivot on for hundreds of steps at that very point).

Numerics. Exact mode (``rational=True``) on systems of up to ``_EXACT_PATH_ROWS`` rows (trees of a few hundred
nodes) pivots in exact integer arithmetic from the start (:func:`~equilibria.solvers._lemke_lcp.lemke_exact`,
Bareiss' fraction-free update, over ``sequence_payoffs(game, exact=True)`` and the prior as fractions: the
simplest that round to each float probability, renormalised exactly per information set, or as given in
Fractions). Otherwise the path is followed in floating point (payoffs divided by their largest magnitude; a
factorised basis with eta updates, :func:`~equilibria.solvers._lemke_lcp.lemke_float`, the same lexicographic
rule with relative tolerances). Systems of up to ``_DENSE_ROWS`` rows (trees of up to some 500 nodes, where fixed
costs dominate) follow the same path on a dense tableau instead
(:func:`~equilibria.solvers._lemke_lcp.lemke_dense`, compiled), set up from the game's sequence form as dense
arrays prepared once per game; the end's behaviour profile is checked with the metrics layer's own evaluation
(:func:`equilibria.metrics.exploitability.payoffs_and_best_responses`), which is handed over as the certificate
rather than computed twice, and an end that is not an equilibrium up to 1e-9 goes to the factorised engine. That
engine reads the equilibrium off the final basis (solved afresh with iterative refinement when the values as
pivoted are not accurate enough) and checks it against the game's best responses over sequences: a NashConv up to
1e-9 is returned as it is. Exact mode on larger systems, and float mode when that
check fails, solve the final basis in exact arithmetic (sparse elimination in fractions): nonnegative values of
this almost complementary basis with ``z0`` nonbasic are an exact solution of the LCP, so an exact equilibrium.
Only when that fails too, because round-off led the float path astray (as with payoffs of 10^19 beside payoffs of
size 1), is the path followed again exactly from the start. Every exact answer is verified independently by its
NashConv computed exactly from best responses over sequences (``parameters["exact_nash_conv"]``, 0).
``parameters["engine"]`` says what ran: ``"exact"``, ``"float"`` or ``"float path, exact basis"``.

Realization plans become behaviour strategies with :func:`~equilibria.games.sequence_form.behaviour_from_realization`
(uniform at information sets their player's own moves never reach, where any choice is part of an equilibrium).
The certificate is the profile's exploitability (:func:`equilibria.solvers._extensive.behaviour_result`).
``iterations`` counts the float path's pivots, plus the exact path's when that had to be followed (not the pivots
that set up its starting basis).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from equilibria.core.caches import per_game
from equilibria.core.errors import GameError, NotApplicableError
from equilibria.core.result import SolveResult
from equilibria.games.extensive_form import CHANCE, ExtensiveFormGame, _path_products
from equilibria.games.sequence_form import (
    SequencePayoffs,
    behaviour_from_realization,
    exact_probability,
    payoff_contributions,
    realization_plan,
    sequence_payoffs,
    sequence_values,
)
from equilibria.metrics.exploitability import payoffs_and_best_responses
from equilibria.solvers._common import Budget
from equilibria.solvers._extensive import behaviour_result, require_extensive_form
from equilibria.solvers._lemke_lcp import (
    BUDGET,
    SOLVED,
    LCPSystem,
    NotCompiled,
    PathEnd,
    dense_engine_calls,
    lemke_dense,
    lemke_exact,
    lemke_float,
    require_compiled,
    resolve_basis,
    solve_basis_exact,
)

_METHOD = "sequence_form_lemke"
_CALLER = "sequence_form_lemke_solve"
# Float mode: realization weights at or below this read as 0 (the plans are at most 1); prior best responses within
# this (relative) of the best count as tied (the lowest action is taken, as in exact mode).
_REACH_TOL = 1e-12
_TIE_TOL = 1e-12
# Float mode: a NashConv up to _ABSOLUTE_TOL is accepted; above it, the final basis is solved exactly, and where that
# fails the path is followed exactly (always when the NashConv relative to the payoff range exceeds _CHECK_TOL,
# otherwise only on systems of at most _EXACT_PATH_ROWS rows). Exact mode pivots exactly from the start on systems
# of at most _EXACT_PATH_ROWS rows (trees of some 250 nodes; tens of milliseconds): Bareiss' integers grow with the
# basis by the payoffs' denominators (3-decimal payoffs: seconds at 500 rows), while the float path and one exact
# solve of its final basis take a fraction of a second on trees of thousands of nodes.
_ABSOLUTE_TOL = 1e-9
_CHECK_TOL = 1e-10
_EXACT_PATH_ROWS = 300
_REFINE_BELOW = 1e-13  # the values as pivoted are kept when their NashConv (relative) is at most this
_PRIOR_TOL = 1e-9  # a prior's probabilities must sum to 1 within this at every information set
_DENSE_ROWS = 600  # float mode: systems up to this many rows take the dense engine (trees of up to ~500 nodes)


def sequence_form_lemke_solve(game: Any, *, rational: bool = False, prior: Any = None,
                              max_iterations: int | None = None, max_seconds: float | None = None) -> SolveResult:
    """One Nash equilibrium of a two-player extensive-form game (general-sum or not) by sequence-form Lemke tracing.

    Args:
      game: a two-player ExtensiveFormGame (perfect recall, chance allowed).
      rational: return an exact equilibrium (Fractions) verified exactly (module docstring).
      prior: the starting profile of the tracing procedure: None or ``"uniform"`` (every information set uniform),
        or a completely mixed behaviour profile ``[n_infoset_actions]`` (every probability > 0, summing to 1 per
        information set; Fractions kept in exact mode).
      max_iterations: most path pivots.
      max_seconds: time limit.

    Returns:
      A SolveResult with one behaviour profile ``[n_infoset_actions]`` certified by its exploitability (NashConv /
      2). ``parameters``: ``rational``, ``prior`` (``"uniform"`` or as given), ``max_iterations``,
      ``max_seconds``, ``n_sequences``, ``pivots``, ``engine`` (module docstring) and, when the answer was
      verified exactly, ``exact_nash_conv`` (a Fraction). When the budget stops the path, ``converged=False`` and
      the profile is the mixture ``x + z0 x0``, ``y + z0 y0`` reached so far (an equilibrium of the game perturbed
      towards the prior), or there is none if even that could not be read off in time.

    Raises:
      NotApplicableError: not a two-player game.
      GameError: bad arguments.
    """
    budget = Budget.checked(max_iterations, max_seconds, _CALLER)
    game = require_extensive_form(game, f"{_CALLER}(game)")
    if game.n_players != 2:
        raise NotApplicableError(
            f"{_CALLER}(game): the sequence-form LCP is for two-player games, got {game.n_players} players; for "
            f"trees with more players use agent_qre_solve (a Nash equilibrium by agent QRE tracing)")
    if not isinstance(rational, bool):
        raise GameError(f"{_CALLER}(rational): expected True or False, got {rational!r}")
    policy, prior_label = _prior_policy(game, prior, rational)
    parameters: dict[str, Any] = {"rational": rational, "prior": prior_label, "max_iterations": max_iterations,
                                  "max_seconds": max_seconds, "n_sequences": game.n_sequences}
    try:
        answer = _solve(game, policy, budget, rational)
    except NotCompiled as stopped:  # only with a time limit: the compiled loops were not ready within it
        answer = _Answer(None, 0, False, "float", reason=str(stopped))
    parameters.update(pivots=answer.pivots, engine=answer.engine)
    if not answer.converged:
        parameters["stopped_because"] = answer.reason or _stop_reason(budget, answer.pivots)
    if answer.exact_nash_conv is not None:
        parameters["exact_nash_conv"] = answer.exact_nash_conv
    profiles = [] if answer.policy is None else [answer.policy]
    return behaviour_result(game, _METHOD, profiles, parameters=parameters, iterations=answer.pivots, budget=budget,
                            converged=answer.converged, rational=rational and answer.policy is not None,
                            evaluations=[answer.evaluation] if profiles else None)


def _stop_reason(budget: Budget, pivots: int) -> str:
    reason = budget.stop_reason(pivots)
    if budget.max_seconds is not None and budget.elapsed() >= budget.max_seconds or "max_iterations" in reason:
        return reason
    return "round-off: neither the float path nor its exact check ended at an equilibrium"


# -- the prior ----------------------------------------------------------------------------------------------------


def _prior_policy(game: ExtensiveFormGame, prior: Any, exact: bool) -> tuple[np.ndarray, Any]:
    """``(policy, label)``: the prior as a behaviour profile (Fractions when ``exact``) and how to report it."""
    caller = f"{_CALLER}(prior)"
    if prior is None or (isinstance(prior, str) and prior == "uniform"):
        if exact:
            widths = game.infoset_n_actions[game.action_infoset]
            return np.array([Fraction(1, int(w)) for w in widths], dtype=object), "uniform"
        return game.uniform_policy(), "uniform"
    if isinstance(prior, str):
        raise GameError(f"{caller}: expected None, 'uniform' or a behaviour profile, got {prior!r}")
    try:
        raw = np.array(prior)
        as_float = np.asarray(raw, dtype=float)
    except (TypeError, ValueError):
        raise GameError(f"{caller}: expected a behaviour profile of numbers, got {type(prior).__name__}") from None
    if raw.dtype == bool or as_float.shape != (game.n_infoset_actions,):
        raise GameError(f"{caller}: expected a behaviour profile of shape ({game.n_infoset_actions},) (one "
                        f"probability per infoset-action), got shape {as_float.shape}" +
                        (" of booleans" if raw.dtype == bool else ""))
    if not np.all(np.isfinite(as_float)):
        raise GameError(f"{caller}: probabilities must be finite")
    if game.n_infosets:
        low = np.minimum.reduceat(as_float, game.infoset_action_offset[:-1])
        if np.any(low <= 0):
            label = game.infoset_labels[int(np.flatnonzero(low <= 0)[0])]
            raise GameError(f"{caller}: the prior must be completely mixed (every probability > 0); information set "
                            f"{label!r} has a probability {float(low[low <= 0][0]):.6g}")
        totals = np.add.reduceat(as_float, game.infoset_action_offset[:-1])
        bad = np.flatnonzero(np.abs(totals - 1) > _PRIOR_TOL)
        if bad.size:
            raise GameError(f"{caller}: probabilities at information set {game.infoset_labels[int(bad[0])]!r} sum to "
                            f"{totals[int(bad[0])]:.12g}, not 1")
    if exact:
        values = np.array([v if isinstance(v, Fraction | int) and not isinstance(v, bool) else
                           exact_probability(float(v)) for v in raw.tolist()], dtype=object)
        values = np.array([Fraction(v) for v in values], dtype=object)
    else:
        values = as_float.copy()
    if game.n_infosets:  # renormalise (exactly in exact mode) so that the prior is a behaviour profile
        totals = np.add.reduceat(values, game.infoset_action_offset[:-1])
        values = values / totals[game.action_infoset]
    return values, raw.copy()


# -- the system -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    """Where each block of variables sits in the system's columns (see the module docstring)."""

    n0: int
    n1: int
    x: int
    y: int
    a: int
    b: int
    u: int
    v: int
    t: int
    z0: int
    n_vars: int


def _player_actions(game: ExtensiveFormGame, player: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(sets, actions, starts)``: ``player``'s information sets in index order, their infoset-actions set by set,
    and where each set's block of actions starts."""
    sets = np.flatnonzero(game.infoset_player == player)
    actions = np.flatnonzero(game.action_player == player)  # numbered set by set, so already in set order
    starts = np.concatenate([[0], np.cumsum(game.infoset_n_actions[sets])[:-1]]).astype(np.int64)
    return sets, actions, starts


def _constraints(game: ExtensiveFormGame, player: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """``(rows, cols, values, n_rows)``: ``player``'s realization-plan constraints ``E r = e`` as triplets, rows as
    in :func:`equilibria.games.sequence_form.constraint_matrix` (row 0 the empty sequence, row ``1 + i`` the
    ``i``-th information set)."""
    sets, actions, _ = _player_actions(game, player)
    set_rows = 1 + np.arange(sets.size)
    rows = np.concatenate([[0], set_rows, 1 + np.searchsorted(sets, game.action_infoset[actions])])
    cols = np.concatenate([[0], game.infoset_parent_sequence[sets], game.sequence_of_action[actions]])
    values = np.concatenate([[1], -np.ones(sets.size, dtype=np.int64), np.ones(actions.size, dtype=np.int64)])
    return rows.astype(np.int64), cols.astype(np.int64), values.astype(np.int64), 1 + int(sets.size)


def _pure_best_response(game: ExtensiveFormGame, contributions: np.ndarray, player: int, tol: Any) -> np.ndarray:
    """``player``'s sequences of a pure best response against ``contributions``, choosing at *every* information
    set (reached or not) its best action, the lowest within ``tol`` of the best: the empty sequence plus one
    sequence per information set."""
    values = sequence_values(game, contributions, player)
    sets, actions, starts = _player_actions(game, player)
    if sets.size == 0:
        return np.zeros(1, dtype=np.int64)
    widths = game.infoset_n_actions[sets]
    action_values = values[game.sequence_of_action[actions]]
    best = np.maximum.reduceat(action_values, starts)
    good = np.asarray(action_values >= np.repeat(best, widths) - tol, dtype=bool)
    position = np.where(good, np.arange(actions.size), np.iinfo(np.int64).max)
    chosen = actions[np.minimum.reduceat(position, starts)]
    return np.concatenate([[0], game.sequence_of_action[chosen]])


def _system(game: ExtensiveFormGame, payoffs: SequencePayoffs, policy: np.ndarray,
            exact: bool) -> tuple[LCPSystem, _Layout, tuple[np.ndarray, np.ndarray]]:
    """The tracing LCP of the module docstring in equality form, its layout and the prior's plans ``(x0, y0)``.

    Rows: ``a - E^T u + A y - (A y0) t = -A y0`` (n0), ``b - F^T v + B^T x - (B^T x0) t = -B^T x0`` (n1),
    ``E x - e t = 0``, ``F y - f t = 0``, ``z0 + t = 1``.
    """
    n0, n1 = game.n_sequences
    e_rows, e_cols, e_values, m0 = _constraints(game, 0)  # m0, m1: 1 + number of information sets
    f_rows, f_cols, f_values, m1 = _constraints(game, 1)
    lay = _Layout(n0, n1, x=0, y=n0, a=n0 + n1, b=2 * n0 + n1, u=2 * n0 + 2 * n1, v=2 * n0 + 2 * n1 + m0,
                  t=2 * n0 + 2 * n1 + m0 + m1, z0=2 * n0 + 2 * n1 + m0 + m1 + 1,
                  n_vars=2 * n0 + 2 * n1 + m0 + m1 + 2)
    r2, r3, r4, r5 = n0, n0 + n1, n0 + n1 + m0, n0 + n1 + m0 + m1
    n_rows = r5 + 1
    x0, y0 = realization_plan(game, policy, 0), realization_plan(game, policy, 1)
    ay0 = payoff_contributions(game, [None, y0], 0, payoffs)  # A y0: [n0]
    bx0 = payoff_contributions(game, [x0, None], 1, payoffs)  # B^T x0: [n1]
    kind = object if exact else float

    def numbers(values: np.ndarray) -> np.ndarray:  # the constraints' integers in the system's number type
        return np.array([Fraction(int(v)) for v in values], dtype=object) if exact else values.astype(float)

    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []

    def add(r: Any, c: Any, v: Any) -> None:
        r_arr = np.atleast_1d(np.asarray(r, dtype=np.int64))
        rows.append(r_arr)
        cols.append(np.broadcast_to(np.asarray(c, dtype=np.int64), r_arr.shape).copy())
        vals.append(np.broadcast_to(np.asarray(v, dtype=kind), r_arr.shape).copy())

    seq0, seq1 = payoffs.sequences[:, 0], payoffs.sequences[:, 1]
    a_values, b_values = payoffs.values[:, 0], payoffs.values[:, 1]
    nz_a, nz_b = np.flatnonzero(a_values != 0), np.flatnonzero(b_values != 0)
    e_data, f_data = numbers(e_values), numbers(f_values)
    one = Fraction(1) if exact else 1.0
    # a - E^T u + A y - (A y0) t = -A y0
    add(np.arange(n0), lay.a + np.arange(n0), one)
    add(e_cols, lay.u + e_rows, -e_data)
    add(seq0[nz_a], lay.y + seq1[nz_a], a_values[nz_a])
    nz = np.flatnonzero(ay0 != 0)
    add(nz, lay.t, -ay0[nz])
    # b - F^T v + B^T x - (B^T x0) t = -B^T x0
    add(r2 + np.arange(n1), lay.b + np.arange(n1), one)
    add(r2 + f_cols, lay.v + f_rows, -f_data)
    add(r2 + seq1[nz_b], lay.x + seq0[nz_b], b_values[nz_b])
    nz = np.flatnonzero(bx0 != 0)
    add(r2 + nz, lay.t, -bx0[nz])
    # E x - e t = 0 and F y - f t = 0 (e, f: 1 on the empty sequence's row), z0 + t = 1
    add(r3 + e_rows, lay.x + e_cols, e_data)
    add(r3, lay.t, -one)
    add(r4 + f_rows, lay.y + f_cols, f_data)
    add(r4, lay.t, -one)
    add(r5, lay.t, one)
    add(r5, lay.z0, one)
    zeros = np.array([Fraction(0)] * (m0 + m1), dtype=object) if exact else np.zeros(m0 + m1)
    rhs = np.concatenate([-ay0, -bx0, zeros, np.array([one], dtype=kind)])
    tol = 0 if exact else _TIE_TOL * max(1.0, float(np.abs(np.asarray(ay0, dtype=float)).max(initial=0.0)),
                                         float(np.abs(np.asarray(bx0, dtype=float)).max(initial=0.0)))
    best_x = _pure_best_response(game, ay0, 0, tol)
    best_y = _pure_best_response(game, bx0, 1, tol)
    in_x, in_y = np.zeros(n0, dtype=bool), np.zeros(n1, dtype=bool)
    in_x[best_x], in_y[best_y] = True, True
    basis = np.concatenate([
        lay.x + np.flatnonzero(in_x), lay.a + np.flatnonzero(~in_x),
        lay.y + np.flatnonzero(in_y), lay.b + np.flatnonzero(~in_y),
        np.arange(lay.u, lay.t), [lay.z0]]).astype(np.int64)
    complement = np.full(lay.n_vars, -1, dtype=np.int64)
    complement[lay.x:lay.x + n0], complement[lay.a:lay.a + n0] = lay.a + np.arange(n0), lay.x + np.arange(n0)
    complement[lay.y:lay.y + n1], complement[lay.b:lay.b + n1] = lay.b + np.arange(n1), lay.y + np.arange(n1)
    complement[lay.t], complement[lay.z0] = lay.z0, lay.t
    free = np.zeros(lay.n_vars, dtype=bool)
    free[lay.u:lay.t] = True
    system = LCPSystem(rows=np.concatenate(rows), cols=np.concatenate(cols), values=np.concatenate(vals),
                       shape=(n_rows, lay.n_vars), rhs=rhs, complement=complement, free=free, basis=basis,
                       entering=lay.t, stop=lay.z0)
    return system, lay, (x0, y0)


# -- running and reading the path ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Answer:
    policy: np.ndarray | None
    pivots: int
    converged: bool
    engine: str
    exact_nash_conv: Fraction | None = None
    evaluation: tuple[np.ndarray, np.ndarray] | None = None  # metrics' (values, best responses) of policy
    reason: str = ""  # when not converged, why, where the budget does not say it (see _stop_reason)


def _solve(game: ExtensiveFormGame, policy: np.ndarray, budget: Budget, rational: bool) -> _Answer:
    """Exact mode on small systems: follow the path exactly. Otherwise follow it in floats (the dense engine on
    small systems), read its end in floats (checked) or exactly, and follow it exactly if that fails (module
    docstring)."""
    n_rows = sum(game.n_sequences) + game.n_infosets + 3
    if not rational and n_rows <= _DENSE_ROWS:
        _require_dense_loops(budget)
        answer = _dense_answer(game, np.asarray(policy, dtype=float), budget)
        if answer is not None:
            return answer
    if rational and n_rows <= _EXACT_PATH_ROWS:
        payoffs = sequence_payoffs(game, exact=True)
        exact_system, lay, exact_prior_plans = _system(game, payoffs, policy, exact=True)
        return _exact_answer(game, lemke_exact(exact_system, budget), lay, exact_prior_plans, payoffs, "exact")
    raw = sequence_payoffs(game)
    scale = float(np.abs(game.payoffs).max(initial=0.0)) or 1.0
    scaled = SequencePayoffs(sequences=raw.sequences, values=raw.values / scale)
    system, lay, prior_plans = _system(game, scaled, np.asarray(policy, dtype=float), exact=False)
    end = lemke_float(system, budget)
    fallback = None  # a float answer that is an equilibrium up to round-off relative to the payoffs
    if not rational and end.status == BUDGET:
        return _Answer(_float_answer(game, system, end, lay, prior_plans, scaled)[0], end.pivots, False, "float")
    if not rational and end.status == SOLVED:
        behaviour, conv = _float_answer(game, system, end, lay, prior_plans, scaled,
                                        min(_REFINE_BELOW, _ABSOLUTE_TOL / scale))
        if conv * scale <= _ABSOLUTE_TOL:
            return _Answer(behaviour, end.pivots, True, "float")
        if conv <= _CHECK_TOL:
            fallback = _Answer(behaviour, end.pivots, True, "float")
    payoffs = sequence_payoffs(game, exact=True)
    exact_policy = policy if rational else _exact_prior(policy, game)
    exact_system, _, exact_prior_plans = _system(game, payoffs, exact_policy, exact=True)
    if end.status in (SOLVED, BUDGET):
        values = solve_basis_exact(exact_system, end.basis, budget)
        if values is not None and all(v >= 0 for v in values[~exact_system.free[end.basis]]):
            answer = _exact_answer(game, PathEnd(end.status, end.basis, values, end.pivots), lay, exact_prior_plans,
                                   payoffs, "float path, exact basis")
            if answer.converged or end.status == BUDGET:
                return _as_requested(answer, rational)
        if end.status == BUDGET:
            return _Answer(None, end.pivots, False, "float path, exact basis")
    # Round-off spoilt the float path (payoffs of very different magnitudes): follow it exactly, with what is left
    # of the budget; with a float answer at hand, only on systems small enough for that to be quick.
    left = None if budget.max_iterations is None else budget.max_iterations - end.pivots
    if (left is not None and left < 1) or budget.exhausted(0) or (
            fallback is not None and system.shape[0] > _EXACT_PATH_ROWS):
        return fallback or _Answer(None, end.pivots, False, "float")
    exact_end = lemke_exact(exact_system, Budget(left, budget.max_seconds, started=budget.started))
    answer = _exact_answer(game, exact_end, lay, exact_prior_plans, payoffs, "exact", end.pivots)
    if not answer.converged and fallback is not None:
        return fallback
    return _as_requested(answer, rational)


# -- the dense path (small systems, float mode) ------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Sets:
    """One player's information sets for the dense path's loops, in index order (the constraint rows' order):
    ``parent`` sequence, ``first`` sequence (of the first action; a set's actions have consecutive sequences),
    ``width``, ``offset`` (its first infoset-action in the game's flat layout) and ``order`` (the sets with each
    one's parent set first: by first node)."""

    parent: np.ndarray
    first: np.ndarray
    width: np.ndarray
    offset: np.ndarray
    order: np.ndarray


@dataclass(frozen=True, eq=False)
class _DenseForm:
    """A game's tracing system for :func:`equilibria.solvers._lemke_lcp.lemke_dense`, prepared once per game.

    ``template``: the tableau ``[M | q]`` (``[n_rows, n_vars + 1]``) with the prior's column ``t`` and right-hand
    side left at 0 (the rest does not depend on the prior); ``a``, ``bt``: ``A`` and ``B^T`` over their largest
    payoff ``scale``; ``complement``, ``free`` as in :class:`LCPSystem`.
    """

    lay: _Layout
    sets: tuple[_Sets, _Sets]
    a: np.ndarray
    bt: np.ndarray
    scale: float
    template: np.ndarray
    complement: np.ndarray
    free: np.ndarray


@per_game
def _dense_form(game: ExtensiveFormGame) -> _DenseForm:
    n0, n1 = game.n_sequences
    first_node = np.full(game.n_infosets, game.n_nodes, dtype=np.int64)
    decision = np.flatnonzero(game.infoset >= 0)
    first_node[game.infoset[decision][::-1]] = decision[::-1]  # repeated indices: the last write (the first node)
    sets = []
    for p in (0, 1):
        mine = np.flatnonzero(game.infoset_player == p)
        width = game.infoset_n_actions[mine]
        sets.append(_Sets(parent=game.infoset_parent_sequence[mine], first=1 + np.cumsum(width) - width,
                          width=width, offset=game.infoset_action_offset[mine],
                          order=np.argsort(first_node[mine], kind="stable")))
    m0, m1 = 1 + sets[0].parent.shape[0], 1 + sets[1].parent.shape[0]
    lay = _Layout(n0, n1, x=0, y=n0, a=n0 + n1, b=2 * n0 + n1, u=2 * n0 + 2 * n1, v=2 * n0 + 2 * n1 + m0,
                  t=2 * n0 + 2 * n1 + m0 + m1, z0=2 * n0 + 2 * n1 + m0 + m1 + 1, n_vars=2 * n0 + 2 * n1 + m0 + m1 + 2)
    scale = float(np.abs(game.payoffs).max(initial=0.0)) or 1.0
    terminals = game.terminals
    below_chance = np.zeros(game.n_nodes, dtype=bool)
    below_chance[1:] = game.player[game.parent[1:]] == CHANCE
    weight = _path_products(game, np.where(below_chance, game.chance_prob, 1.0))[terminals] / scale
    cells = game.node_sequence[terminals, 0] * n1 + game.node_sequence[terminals, 1]
    a = np.bincount(cells, weight * game.payoffs[terminals, 0], minlength=n0 * n1).reshape(n0, n1)
    bt = np.bincount(cells, weight * game.payoffs[terminals, 1], minlength=n0 * n1).reshape(n0, n1).T.copy()
    template = np.zeros((n0 + n1 + m0 + m1 + 1, lay.n_vars + 1))
    complement = np.full(lay.n_vars, -1, dtype=np.int64)
    _dense_loops()[3](template, complement, a, bt, sets[0].parent, sets[0].width, sets[1].parent, sets[1].width)
    free = np.zeros(lay.n_vars, dtype=bool)
    free[lay.u:lay.t] = True
    return _DenseForm(lay, (sets[0], sets[1]), a, bt, scale, template, complement, free)


def _template_loops(template: np.ndarray, complement: np.ndarray, a: np.ndarray, bt: np.ndarray,
                    parent0: np.ndarray, width0: np.ndarray, parent1: np.ndarray, width1: np.ndarray) -> None:
    """The rows of :func:`_system` that do not depend on the prior, into the zero tableau ``template``, in the
    columns of :class:`_Layout`; ``complement`` (all -1) gets the complementary pairs."""
    n0, n1 = a.shape
    m0, m1 = 1 + parent0.shape[0], 1 + parent1.shape[0]
    t = 2 * n0 + 2 * n1 + m0 + m1
    for p in range(2):
        n_own, n_other = (n0, n1) if p == 0 else (n1, n0)
        own = 0 if p == 0 else n0  # the player's plan x (y), its first rows, slacks and multipliers
        other = n0 if p == 0 else 0
        first_row = 0 if p == 0 else n0
        slack = n0 + n1 if p == 0 else 2 * n0 + n1
        multiplier = 2 * n0 + 2 * n1 if p == 0 else 2 * n0 + 2 * n1 + m0
        constraint = n0 + n1 if p == 0 else n0 + n1 + m0
        parent, width = (parent0, width0) if p == 0 else (parent1, width1)
        for j in range(n_own):
            template[first_row + j, slack + j] = 1.0  # a - E^T u + A y ... (b - F^T v + B^T x ...)
            complement[own + j], complement[slack + j] = slack + j, own + j
            for k in range(n_other):
                template[first_row + j, other + k] = a[j, k] if p == 0 else bt[j, k]
        template[first_row, multiplier] = -1.0  # -E^T u: E's row 0 is the empty sequence, row 1 + i the i-th set
        template[constraint, own] = 1.0  # E x - e t = 0 (F y - f t = 0)
        template[constraint, t] = -1.0
        sequence = 1
        for i in range(parent.shape[0]):
            template[first_row + parent[i], multiplier + 1 + i] = 1.0
            template[constraint + 1 + i, own + parent[i]] = -1.0
            for _ in range(width[i]):
                template[first_row + sequence, multiplier + 1 + i] = -1.0
                template[constraint + 1 + i, own + sequence] = 1.0
                sequence += 1
    last = template.shape[0] - 1  # z0 + t = 1
    template[last, t] = template[last, t + 1] = template[last, template.shape[1] - 1] = 1.0
    complement[t], complement[t + 1] = t + 1, t


def _dense_answer(game: ExtensiveFormGame, policy: np.ndarray, budget: Budget) -> _Answer | None:
    """The float path by the dense engine, read and checked: None when it could not be followed or its end is not
    an equilibrium up to ``_ABSOLUTE_TOL`` (the general engines then take over)."""
    form = _dense_form(game)
    lay = form.lay
    plan, best, behaviour, _ = _dense_loops()
    x0, y0 = np.empty(lay.n0), np.empty(lay.n1)
    plan(*_sets_args(form.sets[0]), policy, x0)
    plan(*_sets_args(form.sets[1]), policy, y0)
    ay0, bx0 = form.a @ y0, form.bt @ x0
    tol = _TIE_TOL * max(1.0, float(np.abs(ay0).max(initial=0.0)), float(np.abs(bx0).max(initial=0.0)))
    in_x, in_y = np.zeros(lay.n0, dtype=np.bool_), np.zeros(lay.n1, dtype=np.bool_)
    best(*_sets_args(form.sets[0]), ay0.copy(), tol, in_x)
    best(*_sets_args(form.sets[1]), bx0.copy(), tol, in_y)
    tableau = form.template.copy()
    tableau[:lay.n0, lay.t] = tableau[:lay.n0, -1] = -ay0
    tableau[lay.n0:lay.n0 + lay.n1, lay.t] = tableau[lay.n0:lay.n0 + lay.n1, -1] = -bx0
    start = np.concatenate([lay.x + np.flatnonzero(in_x), lay.a + np.flatnonzero(~in_x),
                            lay.y + np.flatnonzero(in_y), lay.b + np.flatnonzero(~in_y),
                            np.arange(lay.u, lay.t), [lay.z0]]).astype(np.int64)
    end = lemke_dense(tableau, start, form.complement, form.free, lay.t, lay.z0, budget)
    if end.status not in (SOLVED, BUDGET):
        return None
    solution = np.zeros(lay.n_vars)
    solution[end.basis] = end.values
    z0 = solution[lay.z0]
    x = solution[lay.x:lay.x + lay.n0] + z0 * x0
    y = solution[lay.y:lay.y + lay.n1] + z0 * y0
    profile = np.empty(game.n_infoset_actions)
    behaviour(*_sets_args(form.sets[0]), x, _REACH_TOL, profile)
    behaviour(*_sets_args(form.sets[1]), y, _REACH_TOL, profile)
    if end.status == BUDGET:
        return _Answer(profile, end.pivots, False, "float")
    values, best_values = payoffs_and_best_responses(game, profile, checked=True)  # type: ignore[misc]
    if float(np.sum(best_values - values)) > _ABSOLUTE_TOL:
        return None
    return _Answer(profile, end.pivots, True, "float", evaluation=(values, best_values))


def _sets_args(sets: _Sets) -> tuple[np.ndarray, ...]:
    return sets.parent, sets.first, sets.width, sets.offset, sets.order


def _plan_loops(parent: np.ndarray, first: np.ndarray, width: np.ndarray, offset: np.ndarray, order: np.ndarray,
                policy: np.ndarray, plan: np.ndarray) -> None:
    """``plan``: the player's realization plan of ``policy`` (the flat behaviour profile), parents first."""
    plan[0] = 1.0
    for i in order:
        for a in range(width[i]):
            plan[first[i] + a] = plan[parent[i]] * policy[offset[i] + a]


def _best_loops(parent: np.ndarray, first: np.ndarray, width: np.ndarray, offset: np.ndarray, order: np.ndarray,
                values: np.ndarray, tol: float, chosen: np.ndarray) -> None:
    """:func:`_pure_best_response` on contributions ``values`` (overwritten by the sequences' values ``V``):
    ``chosen`` marks the empty sequence and, at every set, the lowest action within ``tol`` of the best."""
    chosen[0] = True
    for k in range(order.shape[0] - 1, -1, -1):
        i = order[k]
        best = values[first[i]]
        for a in range(1, width[i]):
            best = max(best, values[first[i] + a])
        for a in range(width[i]):
            if values[first[i] + a] >= best - tol:
                chosen[first[i] + a] = True
                break
        values[parent[i]] += best


def _behaviour_loops(parent: np.ndarray, first: np.ndarray, width: np.ndarray, offset: np.ndarray,
                     order: np.ndarray, plan: np.ndarray, tol: float, policy: np.ndarray) -> None:
    """The behaviour of a realization plan at the player's sets, as :func:`behaviour_from_realization` with weights
    up to ``tol`` read as 0 (and ``tol`` as its reach tolerance): uniform where the set's weights sum to at most
    ``tol``."""
    for i in range(first.shape[0]):
        total = 0.0
        for a in range(width[i]):
            weight = plan[first[i] + a]
            if weight > tol:
                total += weight
        for a in range(width[i]):
            weight = plan[first[i] + a]
            if total > tol:
                policy[offset[i] + a] = weight / total if weight > tol else 0.0
            else:
                policy[offset[i] + a] = 1.0 / width[i]


def _require_dense_loops(budget: Budget) -> None:
    """Load :func:`_dense_loops` before their first call, or have them compiled within the time budget
    (:func:`equilibria.solvers._lemke_lcp.require_compiled`, which raises ``NotCompiled`` when they are not ready).
    The arguments have the types of every call: the game's index arrays are int64 copies, the rest our buffers."""
    # lemke_dense's kernels too, so that a cold cache has every compilation started at once.
    require_compiled("sequence-form dense loops", budget, lambda: _dense_loop_calls() + dense_engine_calls())


def _dense_loop_calls() -> list[tuple[Any, tuple[Any, ...]]]:
    plan, best, behaviour, template = _dense_loops()
    ints, floats, flags = np.zeros(1, dtype=np.int64), np.zeros(1), np.zeros(1, dtype=np.bool_)
    sets = (ints,) * 5
    square = np.zeros((1, 1))
    return [(plan, (*sets, floats, floats)), (best, (*sets, floats, 0.0, flags)),
            (behaviour, (*sets, floats, 0.0, floats)),
            (template, (square, ints, square, square, ints, ints, ints, ints))]


@functools.cache
def _dense_loops() -> tuple[Any, Any, Any, Any]:
    """The dense path's loops over information sets, compiled as leaves (cached on disk), built on first use."""
    from equilibria.core.compiled import jit_leaf

    return jit_leaf(_plan_loops), jit_leaf(_best_loops), jit_leaf(_behaviour_loops), jit_leaf(_template_loops)


def _plans(end: PathEnd, lay: _Layout, prior_plans: tuple[np.ndarray, np.ndarray],
           values: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The realization plans ``x + z0 x0`` and ``y + z0 y0`` of a path's end (``z0 = 0`` once it is solved);
    ``values`` replaces the end's basic values."""
    solution = PathEnd(end.status, end.basis, end.values if values is None else values, end.pivots).solution(
        lay.n_vars)
    z0 = solution[lay.z0]
    x = solution[lay.x:lay.x + lay.n0] + z0 * prior_plans[0]
    y = solution[lay.y:lay.y + lay.n1] + z0 * prior_plans[1]
    if x.dtype != object:  # round-off: weights of order 1e-16 where the exact ones are 0
        x, y = np.where(x > _REACH_TOL, x, 0.0), np.where(y > _REACH_TOL, y, 0.0)
    return x, y


def _nash_conv(game: ExtensiveFormGame, plans: tuple[np.ndarray, np.ndarray], payoffs: SequencePayoffs) -> Any:
    """``sum_p (BR_p - u_p)`` over sequences (exact with Fraction plans and exact payoffs)."""
    total: Any = 0
    for p in (0, 1):
        contributions = payoff_contributions(game, list(plans), p, payoffs)
        total += sequence_values(game, contributions, p)[0] - contributions @ plans[p]
    return total


def _float_answer(game: ExtensiveFormGame, system: LCPSystem, end: PathEnd, lay: _Layout,
                  prior_plans: tuple[np.ndarray, np.ndarray], scaled: SequencePayoffs,
                  enough: float = 0.0) -> tuple[np.ndarray, float]:
    """The behaviour profile of a float path's end and its NashConv relative to the payoff range: at a solved end,
    of the final basis as pivoted, or solved afresh (iterative refinement) when that NashConv exceeds ``enough``."""
    if end.status != SOLVED:
        return behaviour_from_realization(game, _plans(end, lay, prior_plans), tol=_REACH_TOL), float("inf")
    best: tuple[np.ndarray, float] | None = None
    for attempt in range(2):
        values = end.values if attempt == 0 else resolve_basis(system, end.basis)
        if values is None:
            break
        behaviour = behaviour_from_realization(game, _plans(end, lay, prior_plans, values), tol=_REACH_TOL)
        plans = (realization_plan(game, behaviour, 0), realization_plan(game, behaviour, 1))
        conv = max(0.0, float(_nash_conv(game, plans, scaled)))
        if best is None or conv < best[1]:
            best = (behaviour, conv)
        if conv <= enough:
            break
    assert best is not None
    return best


def _exact_answer(game: ExtensiveFormGame, end: PathEnd, lay: _Layout, prior_plans: tuple[np.ndarray, np.ndarray],
                  payoffs: SequencePayoffs, engine: str, spent: int = 0) -> _Answer:
    """The exact behaviour profile of an end with exact values, and its NashConv computed exactly."""
    if end.status not in (SOLVED, BUDGET):
        return _Answer(None, spent + end.pivots, False, engine)
    behaviour = behaviour_from_realization(game, _plans(end, lay, prior_plans))
    plans = (realization_plan(game, behaviour, 0), realization_plan(game, behaviour, 1))
    conv = Fraction(_nash_conv(game, plans, payoffs))
    return _Answer(behaviour, spent + end.pivots, end.status == SOLVED and conv == 0, engine, conv)


def _as_requested(answer: _Answer, rational: bool) -> _Answer:
    """Exact answers as floats for a float solve (the exact NashConv stays reported)."""
    if rational or answer.policy is None:
        return answer
    return _Answer(np.asarray(answer.policy, dtype=float), answer.pivots, answer.converged, answer.engine,
                   answer.exact_nash_conv)


def _exact_prior(policy: np.ndarray, game: ExtensiveFormGame) -> np.ndarray:
    """A float prior as fractions (simplest that round to each probability), renormalised exactly per set."""
    values = np.array([exact_probability(float(p)) for p in policy], dtype=object)
    if game.n_infosets:
        totals = np.add.reduceat(values, game.infoset_action_offset[:-1])
        values = values / totals[game.action_infoset]
    return values


__all__ = ["sequence_form_lemke_solve"]
