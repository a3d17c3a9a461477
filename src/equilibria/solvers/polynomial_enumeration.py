"""All Nash equilibria of small n-player games: support enumeration with exact polynomial algebra.

Maths. A profile ``x`` with supports ``S = (S_1, ..., S_n)`` is a Nash equilibrium iff, for every player ``i``
with a reference action ``r_i = min S_i`` and action values ``u_i(a, x_{-i})`` (multilinear in the other
players' probabilities),

    u_i(a, x_{-i}) - u_i(r_i, x_{-i}) = 0    for a in S_i \\ {r_i}          (indifference),
    x_{i,a} > 0 for a in S_i,   x_{i,r_i} = 1 - sum_{a in S_i, a != r_i} x_{i,a}   (a positive distribution),
    u_i(b, x_{-i}) <= u_i(r_i, x_{-i})   for b not in S_i                    (no better action outside).

With ``x_{i,r_i}`` eliminated this is a *square* polynomial system, ``sum_i (|S_i| - 1)`` equations in as many
unknowns, each equation multilinear in the blocks of the other players, plus sign conditions. Enumerating every
support profile and keeping the real solutions that satisfy the sign conditions yields every equilibrium that is
an isolated solution of its support's system — in a generic game, every equilibrium (McKelvey and McLennan
1997: the systems of a generic game have finitely many, regular, solutions).

Order and pruning (Porter, Nudelman and Shoham 2008, "Simple search methods for finding a Nash equilibrium",
Games Econ. Behav. 63, algorithm 2): the actions of the game are first reduced by iterated removal of strictly
dominated actions (by pure actions, and by mixed strategies found by an LP whose dominating mixture is then
verified in exact arithmetic: no Nash equilibrium plays such an action); support-size profiles are visited by
increasing total size, then by increasing imbalance ``max |S_i| - min |S_i|``; within one, players' supports are
instantiated one at a time, and after each the *conditionally* strictly dominated actions (given the others'
remaining candidate actions, dominated by a pure action of the whole game) are removed; a branch stops as soon as
an instantiated support action is removed or a player has too few candidates left. Both prunings are sound: an
action in an equilibrium's support is a best response to a profile whose supports lie inside the candidates.
Before its polynomial system is solved, a support with three or more mixing players (a nonlinear system), and a
support whose system turns out positive-dimensional, is tested against a linear relaxation: the product of the
strategies is a positive distribution over the support's cells satisfying the Nash conditions multiplied by each
recommended action's probability; multipliers proving that no positive distribution does are looked for with
HiGHS and counted only once verified in exact arithmetic (:func:`_relaxation_infeasible`). For a singular linear
system, the sign conditions that are affine on its solution set are decided exactly by Fourier-Motzkin
elimination.

What is proved and what is numeric. Every decision is exact:

- payoffs are the game's own fractions (``game.fraction_payoffs()`` where the game has it, else the floats'
  shortest decimals, :func:`equilibria.core.rational.to_fraction_array`), scaled per player to integers;
- each support system is solved over the rationals (:mod:`equilibria.solvers._polynomial_systems`: Gaussian
  elimination for linear systems; otherwise a Groebner basis, the zero-dimensionality test, FGLM to a
  lexicographic basis in shape position — after passing to the radical and a linear change of coordinates where
  needed — factoring of the eliminant over Q and exact real-root isolation);
- the sign conditions are decided exactly at each real solution (rational arithmetic, or interval refinement of
  an algebraic number until the sign is certain — a nonzero algebraic value is told apart from zero exactly).

So ``complete=True`` is a theorem about the game's exact payoffs: every support profile was ruled out by an
exactly verified argument (dominance, the relaxation's multipliers, Fourier-Motzkin) or had its system solved
completely (finitely many complex solutions, every real one examined), hence the returned list holds **every**
Nash equilibrium of the game (which then has finitely many). Otherwise the supports left undecided are listed
in ``parameters["incomplete_supports"]`` with the reason (``"positive-dimensional"``: the complex solution set
is not finite and the relaxation did not rule the support out — continua of equilibria, and in degenerate games
isolated equilibria lying on such a set, may be missed there; ``"no shape position"``; ``"budget"``). The only
approximation is in the output: a rational equilibrium is returned exactly (``rational=True``: Fractions,
certificate exactly 0); an irrational one as the simplest fractions within ``precision`` of the true
probabilities (each probability of such a profile is within ``precision`` of the exact equilibrium), as floats
or, with ``rational=True``, as those Fractions — flagged in ``parameters["irrational"]``, their certificate
computed exactly on the fractions (tiny, not 0).

Costs: the number of support profiles is ``prod_i (2^{n_i} - 1)`` before pruning; pruning and the relaxation
leave few Groebner bases to compute in most games (random 3x3x3 and 2x2x2x2 games, float payoffs included, take
tenths of a second). A Groebner basis in pure Python grows quickly with the number of unknowns and the number of
solutions: a five-player full support that the relaxation cannot rule out (five unknowns, up to 44 complex
solutions) takes minutes. ``max_seconds`` interrupts even inside one Groebner basis computation where a timer
signal can be used (see :func:`equilibria.solvers._polynomial_systems.deadline`).

Equilibria come in the order of the search (support sizes as above, then supports in lexicographic order, then
increasing separating coordinate); the same game gives the same list. ``iterations`` counts the support systems
solved (after pruning); ``max_iterations`` bounds it.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Iterator, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from equilibria.core.errors import GameError, NotApplicableError
from equilibria.core.rational import to_fraction_array
from equilibria.core.result import SolveResult
from equilibria.solvers._common import Budget, distinct_indices, nash_result, require_normal_form
from equilibria.solvers._polynomial_systems import (
    Algebraic,
    OutOfTime,
    affine_infeasible,
    approximation,
    deadline,
    is_out_of_time,
    sign,
    simplest_between,
    solve_square_system,
)

_METHOD = "polynomial_enumeration"
Support = tuple[tuple[int, ...], ...]


def polynomial_enumeration_solve(
    game: Any,
    *,
    rational: bool = False,
    precision: float = 1e-12,
    max_seconds: float | None = None,
    max_iterations: int | None = None,
) -> SolveResult:
    """All Nash equilibria of a small normal-form game with any number of players (see the module docstring).

    Args:
      game: a NormalFormGame, payoffs ``[n_players, *n_actions]``.
      rational: return profiles as object arrays of Fractions (exact for rational equilibria, within
        ``precision`` for irrational ones) with exact certificates.
      precision: the largest error of any probability of an irrational equilibrium (rational ones are exact).
      max_seconds: wall-clock budget (importing sympy, on the first call, counts); when it runs out the
        equilibria found so far are returned with ``converged=False`` and ``complete=False``.
      max_iterations: budget on the number of support systems solved (likewise).

    Returns:
      A SolveResult (``method="polynomial_enumeration"``) with profiles ``tuple of [n_actions[i]]``.
      ``complete`` is True when the list is proved to hold every Nash equilibrium of the game (every support
      profile ruled out or its system solved completely, budget not exhausted). ``parameters`` adds
      ``incomplete_supports`` (``(support, reason)`` pairs: ``"positive-dimensional"``, ``"no shape
      position"``, ``"budget"``), ``irrational`` (indices of the equilibria with an irrational probability),
      ``kept_actions`` (each player's actions that survive iterated strict dominance; None when the budget ran
      out before), ``stopped_by_budget`` and, when it is True, ``stopped_because``.
    """
    budget = Budget.checked(max_iterations, max_seconds, "polynomial_enumeration_solve")
    game = require_normal_form(game, "polynomial_enumeration_solve(game)")
    if not isinstance(rational, bool):
        raise GameError(f"polynomial_enumeration_solve(rational): expected True or False, got {rational!r}")
    if isinstance(precision, bool) or not isinstance(precision, float | int) or not 0 < precision <= 1e-2:
        raise GameError(f"polynomial_enumeration_solve(precision): expected a number in (0, 0.01], "
                        f"got {precision!r}")
    try:
        import sympy  # noqa: F401 - the Groebner bases and real-root isolation
    except ImportError:
        raise NotApplicableError("polynomial_enumeration_solve: needs sympy (pip install 'sympy>=1.12'); for "
                                 "two-player games vertex_enumeration needs nothing more") from None
    n_actions = game.n_actions
    found: list[tuple[np.ndarray, ...]] = []
    irrational: list[int] = []
    incomplete: list[tuple[Support, str]] = []
    iterations, stopped = 0, False
    kept: Support | None = None
    current: Support | None = None  # the support being solved, for the report when the time budget hits
    try:
        # The set-up is inside the time budget too: on a large game the exact payoffs and the dominance LPs
        # alone take minutes (a 200 x 200 game: 40 s of LPs).
        with deadline(budget):
            payoffs = _integer_payoffs(exact_payoffs(game))
            width = Fraction(precision) / (2 * max(n_actions))
            kept = _iterated_dominance(payoffs, n_actions, budget)
            for support in _support_profiles(payoffs, kept, budget):
                if budget.exhausted(iterations):
                    stopped = True
                    break
                iterations, current = iterations + 1, support
                points, reason = _equilibria_on_support(payoffs, support, n_actions)
                if reason is not None:
                    incomplete.append((support, reason))
                for strategies in points:
                    profile, exact = _output_profile(strategies, width)
                    if not exact:
                        irrational.append(len(found))
                    found.append(profile)
                current = None
    except (OutOfTime, SystemError) as error:
        if not is_out_of_time(error):
            raise
        stopped = True
        if current is not None:
            incomplete.append((current, "budget"))
    keep = distinct_indices(found)  # distinct by construction (one support each); a guard on the rounding
    irrational_kept = [keep.index(i) for i in irrational if i in keep]
    profiles = [found[i] if rational else tuple(np.array([float(v) for v in s]) for s in found[i]) for i in keep]
    parameters: dict[str, Any] = {
        "rational": rational, "precision": precision, "max_seconds": max_seconds, "max_iterations": max_iterations,
        "kept_actions": kept, "incomplete_supports": tuple(incomplete), "irrational": tuple(irrational_kept),
        "stopped_by_budget": stopped}
    if stopped:
        parameters["stopped_because"] = (
            f"max_iterations={max_iterations} support systems solved"
            if max_iterations is not None and iterations >= max_iterations else
            f"max_seconds={max_seconds:g} reached " + ("while removing dominated actions" if kept is None else
                                                       f"after {iterations} support systems"))
    return nash_result(game, _METHOD, profiles, parameters=parameters, iterations=iterations,
                       budget=budget, converged=not stopped, rational=rational,
                       complete=not stopped and not incomplete)


def exact_payoffs(game: Any) -> np.ndarray:
    """``[n_players, *n_actions]`` object array of Fractions: ``game.fraction_payoffs()`` where the game has
    it (the file's own numbers), else the floats' shortest decimals."""
    fractions = getattr(game, "fraction_payoffs", None)
    if callable(fractions):
        return np.asarray(fractions(), dtype=object)
    return to_fraction_array(game.payoffs)


def _integer_payoffs(exact: np.ndarray) -> list[np.ndarray]:
    """Per player, the payoffs times the least common denominator: object arrays of Python ints (a positive
    scale per player changes no best response)."""
    out = []
    for player_payoffs in exact:
        flat = [Fraction(v) for v in player_payoffs.ravel()]
        scale = math.lcm(*(v.denominator for v in flat))
        ints = np.empty(len(flat), dtype=object)
        ints[:] = [int(v * scale) for v in flat]
        out.append(ints.reshape(player_payoffs.shape))
    return out


# -- pruning by strict dominance -----------------------------------------------------------------------------


def _dominated(payoff: np.ndarray, player: int, domains: Sequence[Sequence[int]]) -> np.ndarray:
    """``[len(domains[player])]``: which candidate actions are strictly dominated by some pure action of the
    game when the others play within ``domains`` (exact integer comparisons)."""
    index = [np.arange(payoff.shape[j]) if j == player else np.asarray(domains[j]) for j in range(payoff.ndim)]
    sub = np.moveaxis(payoff[np.ix_(*index)], player, 0).reshape(payoff.shape[player], -1)
    candidates = sub[list(domains[player])]
    return np.asarray((sub[None, :, :] > candidates[:, None, :]).all(axis=2).any(axis=1), dtype=bool)


def _mixed_dominated(payoff: np.ndarray, player: int, domains: Sequence[Sequence[int]], action: int) -> bool:
    """Whether ``action`` is strictly dominated by a mixture of the player's other candidate actions.

    An LP (HiGHS) proposes the mixture; it counts only once verified in exact arithmetic.
    """
    from scipy.optimize import linprog

    others = [a for a in domains[player] if a != action]
    if len(others) < 2:
        return False  # a single other action dominates purely or not at all
    index = [np.asarray(domains[j]) if j != player else np.asarray([action, *others]) for j in range(payoff.ndim)]
    sub = np.moveaxis(payoff[np.ix_(*index)], player, 0).reshape(len(others) + 1, -1)
    scale = max(1, max(abs(int(v)) for v in sub.ravel()))
    target, rows = sub[0].astype(float) / scale, sub[1:].astype(float) / scale
    k, n_columns = rows.shape
    # max eps s.t. sigma @ rows >= target + eps, sum sigma = 1, sigma >= 0.
    c = np.zeros(k + 1)
    c[-1] = -1.0
    res = linprog(c, A_ub=np.hstack([-rows.T, np.ones((n_columns, 1))]), b_ub=-target,
                  A_eq=np.hstack([np.ones((1, k)), [[0.0]]]), b_eq=[1.0],
                  bounds=[(0, None)] * k + [(None, None)], method="highs")
    if res.status != 0 or not -res.fun > 1e-9:
        return False
    sigma = [Fraction(max(v, 0.0)).limit_denominator(10**9) for v in res.x[:k]]
    total = sum(sigma, Fraction(0))
    if total == 0:
        return False
    mixed = [sum((s * int(row[col]) for s, row in zip(sigma, sub[1:], strict=True)), Fraction(0)) / total
             for col in range(n_columns)]
    return all(m > int(t) for m, t in zip(mixed, sub[0], strict=True))


def _on_time(budget: Budget) -> bool:
    """True, or raise :class:`OutOfTime` once the time budget is spent (where no timer signal interrupts, the
    set-up and the search check it themselves)."""
    if budget.max_seconds is not None and budget.elapsed() >= budget.max_seconds:
        raise OutOfTime
    return True


def _iterated_dominance(payoffs: list[np.ndarray], n_actions: Sequence[int], budget: Budget) -> Support:
    """Each player's actions that survive iterated strict dominance by pure and mixed strategies."""
    domains = [tuple(range(n)) for n in n_actions]
    changed = True
    while changed:
        changed = False
        for i, payoff in enumerate(payoffs):
            dominated = _dominated(payoff, i, domains)
            survivors = tuple(a for a, d in zip(domains[i], dominated, strict=True) if not d)
            if len(survivors) > 2:
                survivors = tuple(a for a in survivors if _on_time(budget) and not _mixed_dominated(
                    payoff, i, [*domains[:i], survivors, *domains[i + 1:]], a))
            if len(survivors) < len(domains[i]):
                domains[i], changed = survivors, True
    return tuple(domains)


def _conditionally_reduced(payoffs: list[np.ndarray], domains: list[tuple[int, ...]], fixed: int,
                           sizes: Sequence[int]) -> list[tuple[int, ...]] | None:
    """Iterated removal of conditionally dominated candidates; None when a fixed support (players below
    ``fixed``) loses an action or a free player is left with fewer than ``sizes[i]`` candidates."""
    domains = list(domains)
    changed = True
    while changed:
        changed = False
        for i, payoff in enumerate(payoffs):
            dominated = _dominated(payoff, i, domains)
            if dominated.any():
                if i < fixed:
                    return None
                domains[i] = tuple(a for a, d in zip(domains[i], dominated, strict=True) if not d)
                if len(domains[i]) < sizes[i]:
                    return None
                changed = True
    return domains


def _support_profiles(payoffs: list[np.ndarray], kept: Support, budget: Budget) -> Iterator[Support]:
    """Support profiles that survive conditional dominance, in Porter-Nudelman-Shoham order (raises
    :class:`OutOfTime` when the time budget is spent: pruning alone can take long between two supports)."""
    size_profiles = sorted(itertools.product(*(range(1, len(k) + 1) for k in kept)),
                           key=lambda s: (sum(s), max(s) - min(s), s))
    for sizes in size_profiles:
        yield from _instantiate(payoffs, list(kept), sizes, 0, budget)


def _instantiate(payoffs: list[np.ndarray], domains: list[tuple[int, ...]], sizes: Sequence[int],
                 player: int, budget: Budget) -> Iterator[Support]:
    if player == len(sizes):
        yield tuple(domains)
        return
    for support in itertools.combinations(domains[player], sizes[player]):
        _on_time(budget)
        trial = [*domains[:player], support, *domains[player + 1:]]
        reduced = _conditionally_reduced(payoffs, trial, player + 1, sizes)
        if reduced is not None:
            yield from _instantiate(payoffs, reduced, sizes, player + 1, budget)


# -- one support system --------------------------------------------------------------------------------------


@functools.cache
def _ring(n_vars: int) -> tuple[Any, ...]:
    from sympy import QQ
    from sympy.polys.orderings import grevlex
    from sympy.polys.rings import ring

    made = ring([f"x{k}" for k in range(n_vars)], QQ, grevlex)
    return made[0], tuple(made[1:])


def _object_vector(items: Sequence[Any]) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    for k, item in enumerate(items):
        out[k] = item
    return out


def _contract_others(tensor: np.ndarray, vectors: Sequence[np.ndarray], player: int) -> np.ndarray:
    """Contract every axis but ``player``'s with the others' vectors (last axis first, so numbers stay valid)."""
    for j in range(len(vectors) - 1, -1, -1):
        if j != player:
            tensor = np.tensordot(tensor, vectors[j], axes=([j], [0]))
    return np.asarray(tensor)


def _equilibria_on_support(payoffs: list[np.ndarray], support: Support, n_actions: Sequence[int]
                           ) -> tuple[list[list[np.ndarray]], str | None]:
    """The equilibria whose supports are exactly ``support`` (exact strategies: Fractions or Algebraic), and
    None or why the support's system was not solved completely."""
    nonlinear = sum(len(s) > 1 for s in support) >= 3  # a mixing player then has two mixing opponents
    if nonlinear and _relaxation_infeasible(payoffs, support, n_actions):
        return [], None
    n_vars = sum(len(s) - 1 for s in support)
    equations: list[Any] = []
    if n_vars:
        one, xs = _ring(n_vars)[0].one, _ring(n_vars)[1]
        blocks, start = [], 0
        for s in support:
            own = list(xs[start:start + len(s) - 1])
            start += len(s) - 1
            blocks.append(_object_vector([one - sum(own, 0 * one), *own]))
        for i, payoff in enumerate(payoffs):
            if len(support[i]) > 1:
                values = _contract_others(payoff[np.ix_(*support)], blocks, i)
                equations.extend(values[a] - values[0] for a in range(1, len(support[i])))
    solution = solve_square_system(equations, n_vars)
    if solution.incomplete == "positive-dimensional" and (
            (solution.affine is not None and _affine_set_infeasible(payoffs, support, *solution.affine))
            or (not nonlinear and _relaxation_infeasible(payoffs, support, n_actions))):
        return [], None
    accepted = []
    for point in solution.points:
        strategies = _strategies(point, support, n_actions)
        if strategies is not None and _best_responses(payoffs, strategies, support):
            accepted.append(strategies)
    return accepted, solution.incomplete


def _relaxation_infeasible(payoffs: list[np.ndarray], support: Support, n_actions: Sequence[int]) -> bool:
    """A proof, when one is found, that no equilibrium has exactly these supports, from a linear relaxation.

    For an equilibrium ``x`` with supports ``S``, the product ``mu = x_1 (x) ... (x) x_n`` over the cells of
    ``S_1 x ... x S_n`` is positive and satisfies, for every player ``i``, every recommended ``c in S_i`` and the
    reference ``r = min S_i``, the linear conditions (the Nash conditions times ``x_i(c) > 0``)

        sum_{a_{-i}} (u_i(a, a_{-i}) - u_i(r, a_{-i})) mu(c, a_{-i})  = 0 for a in S_i,  <= 0 for a not in S_i.

    Multipliers ``y`` (equalities) and ``z >= 0`` (inequalities) whose combination ``w`` of those rows is
    ``>= 0`` on every cell and not zero rule the support out: ``w . mu`` would be both > 0 and <= 0 (Stiemke's
    alternative). HiGHS first looks for a ``w`` positive on every cell (maximising its smallest entry), counted
    once ``w > 0`` is verified exactly; failing that (degenerate games, where some cell is only ever forced to
    0), for any ``w >= 0``, ``w != 0``, which is then looked for again with an exact simplex.
    """
    from scipy.optimize import linprog

    n_equalities, exact = _relaxation_rows(payoffs, support, n_actions)
    if not len(exact):
        return False
    scales = [max(1, max(abs(int(v)) for v in row)) for row in exact]
    scaled = np.array([[int(v) / s for v in row] for row, s in zip(exact, scales, strict=True)])
    n_rows, n_cells = scaled.shape
    free = [(-1, 1)] * n_equalities + [(0, 1)] * (n_rows - n_equalities)
    # max delta  s.t.  delta - w_k <= 0 for every cell, w = scaled^T v, v = (y in [-1, 1], z in [0, 1]).
    res = linprog(np.r_[np.zeros(n_rows), -1.0], A_ub=np.hstack([-scaled.T, np.ones((n_cells, 1))]),
                  b_ub=np.zeros(n_cells), bounds=[*free, (None, 1)], method="highs")
    if res.status == 0 and -res.fun > 1e-9:
        multipliers = []
        for k, (v, scale) in enumerate(zip(res.x[:n_rows], scales, strict=True)):
            value = Fraction(float(v)).limit_denominator(10**12)
            multipliers.append((max(value, Fraction(0)) if k >= n_equalities else value) / scale)
        w = [sum((m * int(row[cell]) for m, row in zip(multipliers, exact, strict=True)), Fraction(0))
             for cell in range(n_cells)]
        if all(v > 0 for v in w):
            return True
    # w >= 0 with sum(w) = 1: first in floating point, to skip the exact search when there is surely none.
    res = linprog(np.zeros(n_rows), A_ub=-scaled.T, b_ub=np.zeros(n_cells), A_eq=scaled.sum(axis=1)[None, :],
                  b_eq=[1.0], bounds=[(None, None)] * n_equalities + [(0, None)] * (n_rows - n_equalities),
                  method="highs")
    return res.status == 0 and _exact_weak_certificate(exact, n_equalities)


def _relaxation_rows(payoffs: list[np.ndarray], support: Support, n_actions: Sequence[int]
                     ) -> tuple[int, np.ndarray]:
    """``(number of equality rows, rows [n_rows, n_cells])`` of :func:`_relaxation_infeasible` (Python ints;
    cells in C order over ``S_1 x ... x S_n``), the equalities first."""
    shape = tuple(len(s) for s in support)
    equalities: list[np.ndarray] = []
    inequalities: list[np.ndarray] = []
    for i, payoff in enumerate(payoffs):
        index = [np.arange(payoff.shape[j]) if j == i else np.asarray(support[j]) for j in range(len(support))]
        table = np.moveaxis(payoff[np.ix_(*index)], i, 0)  # [n_actions[i], *others' supports]
        reference = support[i][0]
        for position in range(len(support[i])):
            for a in range(n_actions[i]):
                if a != reference:
                    row = np.zeros(shape, dtype=object)
                    np.moveaxis(row, i, 0)[position] = table[a] - table[reference]
                    (equalities if a in support[i] else inequalities).append(row.ravel())
    rows = np.empty((len(equalities) + len(inequalities), math.prod(shape)), dtype=object)
    for k, row in enumerate(equalities + inequalities):
        rows[k] = row
    return len(equalities), rows


def _exact_weak_certificate(rows: np.ndarray, n_equalities: int) -> bool:
    """Whether multipliers ``y`` (free), ``z >= 0`` give ``w = rows^T (y, z) >= 0`` with ``sum(w) = 1``: exact
    phase-1 simplex on ``v = (y+, y-, z) >= 0``, ``w - rows^T v = 0``, ``w >= 0``, ``sum(w) = 1``; a found ``w``
    is checked again, so a wrong answer could only lose a pruning, never make one."""
    n_rows, n_cells = rows.shape
    signed = [*range(n_equalities), *range(n_rows)]  # the row of each column: y+, y- (negated), then z
    sign = [1] * n_equalities + [-1] * n_equalities + [1] * (n_rows - n_equalities)
    # Unknowns (v, w); equations: for each cell, sum_c sign_c rows[signed_c, cell] v_c - w_cell = 0; sum w = 1.
    n_v = len(signed)
    matrix = [[Fraction(sign[c] * int(rows[signed[c], k])) for c in range(n_v)]
              + [Fraction(-int(j == k)) for j in range(n_cells)] for k in range(n_cells)]
    matrix.append([Fraction(0)] * n_v + [Fraction(1)] * n_cells)
    solution = _nonnegative_solution(matrix, [Fraction(0)] * n_cells + [Fraction(1)])
    if solution is None:
        return False
    values = solution[:n_v]
    w = [sum((sign[c] * values[c] * int(rows[signed[c], k]) for c in range(n_v)), Fraction(0))
         for k in range(n_cells)]
    return all(x >= 0 for x in values) and all(x >= 0 for x in w) and any(w)


def _nonnegative_solution(matrix: list[list[Fraction]], rhs: list[Fraction]) -> list[Fraction] | None:
    """Some ``x >= 0`` with ``matrix @ x = rhs``, or None when there is none: the phase 1 of the simplex
    method in exact arithmetic (artificial variables, Bland's rule, which cannot cycle)."""
    m, n = len(matrix), len(matrix[0])
    tableau = []
    for i, (row, b) in enumerate(zip(matrix, rhs, strict=True)):
        flip = -1 if b < 0 else 1
        tableau.append([flip * v for v in row] + [Fraction(int(j == i)) for j in range(m)] + [flip * b])
    basis = list(range(n, n + m))
    # Reduced costs of minimising the sum of the artificial variables, and that sum (last entry).
    cost = [-sum((t[j] for t in tableau), Fraction(0)) if j < n else Fraction(0) for j in range(n + m)]
    cost.append(-sum((t[-1] for t in tableau), Fraction(0)))
    while True:
        entering = next((j for j in range(n + m) if cost[j] < 0), None)
        if entering is None:
            break
        candidates = [i for i in range(m) if tableau[i][entering] > 0]
        if not candidates:  # unbounded below: impossible for a sum of nonnegative variables
            return None
        best = min(tableau[i][-1] / tableau[i][entering] for i in candidates)
        leave = min((i for i in candidates if tableau[i][-1] / tableau[i][entering] == best), key=lambda i: basis[i])
        pivot_row = tableau[leave]
        pivot = pivot_row[entering]
        tableau[leave] = pivot_row = [v / pivot for v in pivot_row]
        for i in range(m):
            factor = tableau[i][entering]
            if i != leave and factor:
                tableau[i] = [v - factor * p for v, p in zip(tableau[i], pivot_row, strict=True)]
        factor = cost[entering]
        cost = [v - factor * p for v, p in zip(cost, pivot_row, strict=True)]
        basis[leave] = entering
    if cost[-1] != 0:  # the artificial variables cannot all be 0
        return None
    x = [Fraction(0)] * n
    for i, variable in enumerate(basis):
        if variable < n:
            x[variable] = tableau[i][-1]
    return x


def _affine_set_infeasible(payoffs: list[np.ndarray], support: Support, origin: list[Fraction],
                           directions: list[list[Fraction]]) -> bool:
    """Whether no point of the solution set ``x = origin + directions @ z`` of a singular linear support system
    meets the sign conditions: decided exactly (Fourier-Motzkin) on the conditions that are affine in ``z``
    (every positivity condition is; an outside action's is when the products of free variables cancel), a
    relaxation of the others. False: undecided or feasible."""
    ring, zs = _ring(len(directions[0]))
    coordinates = [ring(o) + sum((d * z for d, z in zip(row, zs, strict=True)), ring.zero)
                   for o, row in zip(origin, directions, strict=True)]
    conditions: list[tuple[Any, bool]] = []  # (polynomial, strict): polynomial > 0 or >= 0
    blocks, start = [], 0
    for s in support:
        own = coordinates[start:start + len(s) - 1]
        start += len(s) - 1
        blocks.append(_object_vector([ring.one - sum(own, ring.zero), *own]))
        conditions.extend((p, True) for p in blocks[-1])
    for i, payoff in enumerate(payoffs):
        index = [np.arange(payoff.shape[j]) if j == i else np.asarray(support[j]) for j in range(len(support))]
        values = _contract_others(payoff[np.ix_(*index)], blocks, i)
        conditions.extend((values[support[i][0]] - values[b], False)
                          for b in range(payoff.shape[i]) if b not in support[i])
    inequalities = []
    for polynomial, strict in conditions:
        terms = {monomial: Fraction(int(c.numerator), int(c.denominator)) for monomial, c in polynomial.terms()}
        if any(sum(monomial) > 1 for monomial in terms):
            continue
        linear = [terms.get(tuple(int(k == j) for k in range(len(zs))), Fraction(0)) for j in range(len(zs))]
        inequalities.append((linear, terms.get((0,) * len(zs), Fraction(0)), strict))
    return affine_infeasible(inequalities, len(zs)) is True


def _strategies(point: Sequence[Any], support: Support, n_actions: Sequence[int]) -> list[np.ndarray] | None:
    """The profile of a solution point, or None when a support probability is not positive."""
    strategies, start = [], 0
    for s, n in zip(support, n_actions, strict=True):
        own = list(point[start:start + len(s) - 1])
        start += len(s) - 1
        probabilities = [_rational_if_constant(p) for p in [1 - sum(own, Fraction(0)), *own]]
        if any(sign(p) <= 0 for p in probabilities):
            return None
        vector = _object_vector([Fraction(0)] * n)
        for a, p in zip(s, probabilities, strict=True):
            vector[a] = p
        strategies.append(vector)
    return strategies


def _rational_if_constant(x: Any) -> Any:
    """An Algebraic number that is a constant polynomial of the root is the rational constant."""
    if isinstance(x, Algebraic) and len(x.c) <= 1:
        return x.c[0] if x.c else Fraction(0)
    return x


def _best_responses(payoffs: list[np.ndarray], strategies: list[np.ndarray], support: Support) -> bool:
    """Exactly: no action outside a player's support earns more than the support's (common) value."""
    restricted = [s[list(k)] for s, k in zip(strategies, support, strict=True)]
    for i, payoff in enumerate(payoffs):
        if len(support[i]) == payoff.shape[i]:
            continue
        index = [np.arange(payoff.shape[j]) if j == i else np.asarray(support[j]) for j in range(len(support))]
        values = _contract_others(payoff[np.ix_(*index)], restricted, i)
        reference = values[support[i][0]]
        if any(sign(reference - values[b]) < 0 for b in range(payoff.shape[i]) if b not in support[i]):
            return False
    return True


def _output_profile(strategies: list[np.ndarray], width: Fraction) -> tuple[tuple[np.ndarray, ...], bool]:
    """The profile as Fractions, and whether it is exact.

    An irrational strategy becomes the simplest fractions within ``width`` of its probabilities but the first
    support action's, which takes the rest (so the vector sums to 1 exactly and every entry is within
    ``(|support| - 1) * width`` of the exact value).
    """
    exact = True
    out = []
    for s in strategies:
        vector = _object_vector([Fraction(0)] * len(s))
        support = [a for a in range(len(s)) if not (isinstance(s[a], Fraction) and s[a] == 0)]
        if not any(isinstance(s[a], Algebraic) for a in support):
            for a in support:
                vector[a] = s[a]
        else:
            exact = False
            for a in support[1:]:
                vector[a] = simplest_between(*approximation(s[a], width))
            vector[support[0]] = 1 - sum(vector[support[1:]], Fraction(0))
        out.append(vector)
    return tuple(out), exact
