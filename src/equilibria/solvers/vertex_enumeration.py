"""All extreme Nash equilibria of a bimatrix game by enumerating the vertices of its best-response polytopes.

Maths (von Stengel 2007, "Equilibrium computation for two-player games in strategic and extensive form",
Algorithmic Game Theory, ch. 3). Shift and scale each payoff matrix by a positive affine map so that every
entry lies in ``[1, 2]`` (this changes no equilibrium). For the ``m x n`` game ``(A, B)`` the best-response
polytopes are

    P = {x in R^m : x >= 0, B^T x <= 1},        Q = {y in R^n : A y <= 1, y >= 0}.

Labels ``0..m-1`` name the row player's actions, ``m..m+n-1`` the column player's. A point ``x`` of ``P`` has
label ``i`` when ``x_i = 0`` and label ``m + j`` when ``(B^T x)_j = 1`` (column ``j`` is a best response);
``y`` in ``Q`` has label ``i`` when ``(A y)_i = 1`` and ``m + j`` when ``y_j = 0``. A pair
``(x, y) != (0, 0)`` is *completely labelled* when every label ``0..m+n-1`` is a label of ``x`` or of ``y``;
then ``(x / sum(x), y / sum(y))`` is a Nash equilibrium, and the completely labelled **vertex** pairs are
exactly the extreme points of the (finitely many) maximal convex sets of equilibria. In a nondegenerate game
these are all the equilibria; in a degenerate game every equilibrium is a convex combination of the returned
ones within one such set.

Vertices: each polytope is written in equality form ``M z = 1, z >= 0`` with one variable per label (``P``:
``M = [B^T | I]``, ``Q``: ``M = [I | A]``), so a basis's nonbasic variables are ``dim`` tight constraints. A
breadth-first search over feasible bases, pivoting one nonbasic variable in at a time with the *lexicographic*
minimum-ratio test (the rows of the basis inverse break ties), walks the graph of the lexicographically
perturbed polytope ``M z = 1 + (eps, eps^2, ...)``. That polytope is simple and bounded, so its graph is
connected and the search reaches all its vertices; every vertex of the unperturbed polytope is the limit of at
least one of them, so degenerate vertices are found too. A vertex's label set is its set of zero variables
(which may include basic variables at a degenerate vertex); it identifies the vertex uniquely, so vertices are
deduplicated by it. Label sets are bitmasks and the completely labelled pairs are found with vectorised
bitwise ORs.

Float mode pivots with tolerances (ties and zeros within ``tol``; the payoffs were scaled to ``[1, 2]`` so
``tol`` is relative to the payoff range). ``rational=True`` pivots exactly with integer (fraction-free)
pivoting on the integer-scaled payoffs and returns :class:`fractions.Fraction` profiles whose max regret is
exactly 0.

**Never a wrong answer in float mode.** A float profile is returned only when its certificate on the original
game (:func:`~equilibria.solvers._common.nash_result`) is within rounding of the payoffs (``rounding_rtol``, see
:mod:`equilibria.solvers._common`). A profile that fails is first re-solved exactly on its supports; when that
does not give an equilibrium (a spurious vertex pair: ties within ``tol`` made it look completely labelled), or
when the game has distinct payoffs closer than ``16 tol`` times its range (``float_resolves``: the float pivots
may take them for ties, and a float certificate cannot see the difference), or when a finished float search
found no equilibrium at all (every game has one), the whole game is enumerated exactly and its equilibria
returned as floats (``parameters["exact_fallback"]`` says why). Should the budget stop that, the
certified profiles found are returned with ``converged=False``, ``complete=False``.

**Fast path.** Float mode first tries a compiled search (:mod:`equilibria.solvers._enumeration_fast`, numba) that
is valid only on nondegenerate games and checks that at every basis: it walks the vertices with the plain ratio
test and pairs complementary label sets, and declines at the first sign of degeneracy (a basic value within
``tol`` of zero, a tie in a ratio test), when the game is not ``float_resolves``, when numba is missing or its
code not compiled within half the time budget, or beyond 62 labels; the search above then runs as before.
``parameters["fast_path"]`` says which happened. Its profiles are certified like every other (below).

**Memory.** The tableaux of the two polytopes have ``(m + n) x (m + n + 1)`` entries; the solver refuses (a
GameError naming the size) a game whose estimate (:func:`memory_needed`) exceeds the limit of
:func:`~equilibria.solvers._common.memory_limit`. Float bases are expanded in blocks of at most ``_BLOCK``,
fewer on large games, so that a block's arrays stay within ``_WORK_BYTES``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from fractions import Fraction
from typing import Any, Protocol

import numpy as np

from equilibria.core.errors import GameError
from equilibria.core.result import SolveResult
from equilibria.games.normal_form import NormalFormGame
from equilibria.solvers._common import (
    Budget,
    certificate_tolerances,
    distinct_indices_within,
    evaluate_profile,
    exact_support_profile,
    float_resolves,
    format_bytes,
    is_certified,
    memory_limit,
    nash_result,
    require_memory,
    require_normal_form,
    rounding_rtol,
    small_game_interpreted,
)
from equilibria.solvers._vertex_exact import _bits, _ExactBasisSearch, _integer_positive

_METHOD = "vertex_enumeration"
# Pivot elements below this (after scaling payoffs to [1, 2]) are rounding noise of exact zeros.
_PIVOT_EPS = 1e-11
# Bases expanded per step of a search: large enough to amortise NumPy's per-call cost, small enough that a
# budget stop comes soon after it is due. Exact bases cost far more each (Python integers).
_BLOCK = 256
# Bytes a float block's stacked arrays may take (its tableaux, basis matrices and ratio tests).
_WORK_BYTES = 64 * 2**20
# Float profiles this close (max norm) are one equilibrium reached twice (rounding can give a vertex two label
# sets); distinct equilibria of games with wide payoff ranges can be as close as 1e-7.
_SAME = 1e-9
# Failing float profiles re-solved exactly one by one; beyond this many, the exact enumeration is cheaper.
_MAX_REPAIRS = 64


def vertex_enumeration_solve(
    game: Any,
    *,
    rational: bool = False,
    tol: float = 1e-9,
    max_seconds: float | None = None,
    max_iterations: int | None = None,
) -> SolveResult:
    """All extreme Nash equilibria of a two-player game, degenerate games included.

    ``iterations`` counts the feasible bases visited in both polytopes together (exact re-runs included). On a
    budget stop the equilibria among the vertices found so far are returned (each is a certified equilibrium)
    with ``converged=False``.

    Args:
      game: a two-player NormalFormGame with payoffs ``[2, m, n]``.
      rational: pivot exactly and return profiles as object arrays of Fractions (exact certificates).
      tol: float mode only: a variable ``<= tol`` counts as zero (a label); ratios within ``tol`` tie.
      max_seconds: wall-clock budget.
      max_iterations: budget on the number of bases visited.

    Returns:
      A SolveResult whose equilibria are profiles ``(x: [m], y: [n])``, one per extreme equilibrium.

    Raises:
      GameError: bad arguments, or a game whose tableaux would not fit the memory limit.
    """
    budget = Budget(max_iterations=max_iterations, max_seconds=max_seconds)
    game = require_normal_form(game, "vertex_enumeration_solve(game)", players=2)
    if not isinstance(rational, bool):
        raise GameError(f"vertex_enumeration_solve(rational): expected True or False, got {rational!r}")
    if not (isinstance(tol, float | int) and np.isfinite(tol) and 0 < tol < 1e-3):
        raise GameError(f"vertex_enumeration_solve(tol): expected a number in (0, 1e-3), got {tol!r}")
    m, n = game.n_actions
    require_memory("vertex_enumeration_solve", _size_text(m, n), memory_needed(m, n, rational))
    parameters: dict[str, Any] = {"rational": rational, "tol": tol, "max_seconds": max_seconds,
                                  "max_iterations": max_iterations}
    if rational:
        exact, iterations, converged = exact_extreme_equilibria(game, budget)
        if not converged:
            parameters["stopped_because"] = budget.stop_reason(iterations)
        return nash_result(game, _METHOD, exact, parameters=parameters, iterations=iterations, budget=budget,
                           converged=converged, rational=True, complete=converged, rtol=rounding_rtol(game),
                           drop_uncertified=True)
    with small_game_interpreted(m, n):
        return _float_vertex_enumeration(game, tol, budget, parameters)


def _float_vertex_enumeration(game: NormalFormGame, tol: float, budget: Budget, parameters: dict[str, Any]
                              ) -> SolveResult:
    from equilibria.solvers._enumeration_fast import fast_vertex_equilibria

    m, n = game.n_actions
    # Nondegenerate games: the compiled search; None at any sign of degeneracy (then the complete search below).
    if (fast := fast_vertex_equilibria(game, tol, budget, parameters)) is not None:
        found, evaluations, iterations, converged = fast
        if not converged:
            parameters["stopped_because"] = budget.stop_reason(iterations)
        return certified_or_exact(game, _METHOD, found, parameters=parameters, iterations=iterations,
                                  budget=budget, converged=converged, complete=converged,
                                  candidate_evaluations=evaluations)
    if not float_resolves(game, tol) and memory_needed(m, n, True) <= memory_limit():
        return certified_or_exact(game, _METHOD, [], parameters=parameters, iterations=0, budget=budget,
                                  converged=True, complete=True, unresolved=True)
    a, b = (_float_positive(game.payoffs[i]) for i in range(2))
    searches: list[_BasisSearch] = [_FloatBasisSearch(_polytope_p(b, m, n), np.arange(m, m + n), tol),
                                    _FloatBasisSearch(_polytope_q(a, m, n), np.arange(m), tol)]
    vertices, iterations, converged = _visit_alternately(searches, budget)
    if not converged:
        parameters["stopped_because"] = budget.stop_reason(iterations)
    pairs, paired = _completely_labelled_pairs(_nonzero(vertices[0], range(m)),
                                               _nonzero(vertices[1], range(m, m + n)), m, n, budget)
    profiles = _float_profiles(pairs, m)
    # Rounding near ``tol`` can give one vertex two label sets, hence two copies of one equilibrium.
    keep, deduplicated = distinct_indices_within(profiles, _SAME, budget)
    finished = converged and paired and deduplicated
    return certified_or_exact(game, _METHOD, [profiles[i] for i in keep], parameters=parameters,
                              iterations=iterations, budget=budget, converged=finished, complete=finished)


def exact_extreme_equilibria(game: NormalFormGame, budget: Budget,
                             iterations: int = 0) -> tuple[list[tuple[np.ndarray, ...]], int, bool]:
    """The extreme equilibria by exact pivoting: ``(Fraction profiles, iterations so far, finished)``."""
    m, n = game.n_actions
    a_int, b_int = (_integer_positive(game.fraction_payoffs()[i]) for i in range(2))
    searches: list[_BasisSearch] = [
        _ExactBasisSearch(_polytope_p(b_int, m, n), list(range(m, m + n))),
        _ExactBasisSearch(_polytope_q(a_int, m, n), list(range(m)))]
    vertices, iterations, converged = _visit_alternately(searches, budget, iterations)
    pairs, paired = _completely_labelled_pairs(_nonzero(vertices[0], range(m)),
                                               _nonzero(vertices[1], range(m, m + n)), m, n, budget)
    return [(_normalise(x[:m]), _normalise(y[m:])) for x, y in pairs], iterations, converged and paired


def certified_or_exact(game: NormalFormGame, method: str, candidates: Sequence[tuple[np.ndarray, ...]], *,
                       parameters: dict[str, Any], iterations: int, budget: Budget, converged: bool,
                       complete: bool, unresolved: bool = False, exact_complete: bool = True,
                       candidate_evaluations: Sequence[tuple[np.ndarray, Any]] | None = None) -> SolveResult:
    """The result of a float enumeration whose ``candidates`` are float profiles (module docstring).

    ``candidate_evaluations``: per candidate, the metrics layer's ``(payoffs [2], max regret)`` of exactly those arrays,
    computed by a compiled solver in its own call (``nash_result(evaluations=...)``); a NaN regret means the
    candidate is evaluated here as usual.

    Each candidate is certified on the original game within :func:`rounding_rtol`; one that fails is re-solved
    exactly on its supports. If any still fails, or ``unresolved`` (the game is not :func:`float_resolves`),
    the game's extreme equilibria are enumerated exactly with what is left of ``budget`` and returned as floats:
    when that finishes, they are the answer (``converged=True``, ``complete=exact_complete``); when it does not, the
    certified candidates and the exact equilibria found are returned with ``converged=False``,
    ``complete=False``. Support enumeration uses this too: its equilibria are extreme equilibria.
    """
    rtol = rounding_rtol(game)
    tolerances = certificate_tolerances(game, rtol=rtol)
    good: list[tuple[np.ndarray, ...]] = []
    evaluations: list[tuple[np.ndarray, Any]] = []
    failed = unchecked = 0
    reason = "the game has distinct payoffs too close for floats (relative to its range)" if unresolved else ""
    for index, candidate in enumerate(candidates):
        if index and not index % 256 and budget.overtime():
            converged = complete = False
            unchecked = len(candidates) - index
            break
        given = None if candidate_evaluations is None else candidate_evaluations[index]
        if given is not None and given[1] == given[1]:  # NaN: the kernel found the profile invalid
            strategies, (payoffs, regret) = tuple(candidate), given
        else:
            strategies, payoffs, regret = evaluate_profile(game, candidate, method)
        if not is_certified(game, strategies, regret, tolerances):
            failed += 1
            exact = exact_support_profile(game, strategies) if failed <= _MAX_REPAIRS else None
            if exact is None:
                reason = reason or "a float profile failed its certificate and is no equilibrium on its supports"
                continue
            strategies, payoffs, regret = evaluate_profile(game, tuple(np.array(s, dtype=float) for s in exact),
                                                           method)
        good.append(strategies)
        evaluations.append((payoffs, regret))
    parameters = dict(parameters, uncertified_float_profiles=failed)
    if unchecked:
        parameters["unchecked_dropped"] = unchecked
        parameters["message"] = f"{unchecked} profile(s) left uncertified when the time budget ran out were dropped"
    if not good and converged:
        reason = reason or "the float enumeration finished without an equilibrium (every game has one)"
    if not reason:
        return nash_result(game, method, good, parameters=parameters, iterations=iterations, budget=budget,
                           converged=converged, evaluations=evaluations, complete=complete, rtol=rtol,
                           drop_uncertified=True)
    parameters["exact_fallback"] = reason
    m, n = game.n_actions
    if memory_needed(m, n, True) > memory_limit():
        extremes: list[tuple[np.ndarray, ...]] = []
        finished = False
        parameters["message"] = (f"{reason}; the exact enumeration needs about "
                                 f"{format_bytes(memory_needed(m, n, True))}, over the memory limit")
    else:
        extremes, iterations, finished = exact_extreme_equilibria(game, budget, iterations)
        if not finished:
            parameters["stopped_because"] = budget.stop_reason(iterations)
    floats = [tuple(np.array(s, dtype=float) for s in profile) for profile in extremes]
    if finished:
        return nash_result(game, method, floats, parameters=parameters, iterations=iterations, budget=budget,
                           converged=True, complete=exact_complete, rtol=rtol, drop_uncertified=True)
    parameters.setdefault("message", f"{reason}; the exact enumeration was stopped by the budget")
    everything = good + floats
    keep, _ = distinct_indices_within(everything, _SAME, budget)
    return nash_result(game, method, [everything[i] for i in keep], parameters=parameters, iterations=iterations,
                       budget=budget, converged=False, complete=False, rtol=rtol, drop_uncertified=True)


def memory_needed(m: int, n: int, rational: bool) -> float:
    """Bytes vertex enumeration of an ``m x n`` game needs at the least: the two polytopes' tableaux (float: the
    matrix, its augmented copy and one basis's stacked work; exact: Python integers, about 64 bytes each)."""
    entries = float(m + n) * float(m + n + 1)
    if rational:
        return 64.0 * entries
    return 16.0 * entries + 32.0 * max(m, n) * float(m + n)


def _size_text(m: int, n: int) -> str:
    return (f"the best-response polytopes of a {m:,} x {n:,} game have tableaux of up to {max(m, n):,} x "
            f"{m + n + 1:,} entries")


# -- the two polytopes in equality form ``M z = 1, z >= 0`` (variables indexed by label) ---------------------


def _polytope_p(b: np.ndarray, m: int, n: int) -> np.ndarray:
    """``[n, m + n]``: ``B^T x + s = 1`` with ``x`` (labels ``0..m-1``) then slacks ``s`` (labels ``m..``)."""
    identity = np.zeros((n, n), dtype=b.dtype)
    np.fill_diagonal(identity, 1)
    return np.hstack([b.T, identity])


def _polytope_q(a: np.ndarray, m: int, n: int) -> np.ndarray:
    """``[m, m + n]``: ``r + A y = 1`` with slacks ``r`` (labels ``0..m-1``) then ``y`` (labels ``m..``)."""
    identity = np.zeros((m, m), dtype=a.dtype)
    np.fill_diagonal(identity, 1)
    return np.hstack([identity, a])


def _float_positive(payoff: np.ndarray) -> np.ndarray:
    """The payoff matrix mapped affinely onto ``[1, 2]`` (all ones when constant)."""
    low, span = payoff.min(), np.ptp(payoff)
    return np.ones_like(payoff) if span == 0 else 1.0 + (payoff - low) / span


# -- breadth-first search over lexicographically feasible bases ----------------------------------------------


class _BasisSearch(Protocol):
    """A search over the bases of one polytope, advanced a block of bases at a time."""

    block: int

    @property
    def done(self) -> bool: ...

    def advance(self, limit: int) -> tuple[int, list[tuple[int, Any]]]: ...


class _FloatBasisSearch:
    """Breadth-first search over the lex-feasible bases of ``matrix z = 1, z >= 0`` in floating point.

    ``initial`` are the columns forming the identity (the slack basis, vertex ``0``), so the tableau's columns
    ``initial`` are the basis inverse, used for the lexicographic tie-break. Bases are expanded a block at a
    time: the tableaux, ratio tests and label masks of a whole block are stacked NumPy operations, and only
    the bookkeeping of which bases were seen is a Python set. Queued bases wait in ``[count, k]`` blocks.
    """

    def __init__(self, matrix: np.ndarray, initial: np.ndarray, tol: float) -> None:
        self.matrix = matrix
        self.initial = np.asarray(initial, dtype=int)
        self.tol = tol
        k, n_vars = matrix.shape
        self.augmented = np.hstack([matrix, np.ones((k, 1))])
        # Bit weights of the variables when a set of them fits one machine word (else Python-int masks).
        self.weight = None
        if n_vars <= 63:
            self.weight = np.left_shift(np.uint64(1), np.arange(n_vars, dtype=np.uint64))
        # A block's stacked arrays hold about 4 k (n_vars + 1) numbers a basis (tableau, basis matrix, ratios).
        self.block = int(max(1, min(_BLOCK, _WORK_BYTES // (32 * k * (n_vars + 1)))))
        self.seen = {_bits(self.initial)}
        self.pending: deque[np.ndarray] = deque([self.initial[None, :]])
        self.n_pending = 1

    @property
    def done(self) -> bool:
        return self.n_pending == 0

    def advance(self, limit: int) -> tuple[int, list[tuple[int, Any]]]:
        """Expand up to ``limit`` queued bases: how many, and ``(label mask, z)`` of the feasible ones."""
        bases = self._take(limit)  # [F, k]
        count = len(bases)
        k, n_vars = self.matrix.shape
        # Stacked solves: tableau[f] = basis_f^-1 [M | 1], shape [F, k, n_vars + 1].
        matrices = np.transpose(self.matrix[:, bases], (1, 0, 2))
        try:
            tableaux = np.linalg.solve(matrices, self.augmented)
        except np.linalg.LinAlgError:  # a pivot on rounding noise made a basis singular: drop it
            regular = np.linalg.det(matrices) != 0
            bases = bases[regular]
            tableaux = np.linalg.solve(matrices[regular], self.augmented)
        rhs = tableaux[:, :, -1]
        feasible = rhs.min(axis=1) >= -self.tol  # rounding can (rarely) make a basis infeasible: skip it
        bases, tableaux, rhs = bases[feasible], tableaux[feasible], rhs[feasible]
        row = np.arange(len(bases))[:, None]
        values = np.zeros((len(bases), n_vars))
        values[row, bases] = np.maximum(rhs, 0.0)
        is_basic = np.zeros((len(bases), n_vars), dtype=bool)
        is_basic[row, bases] = True
        entering = np.nonzero(~is_basic)[1].reshape(len(bases), n_vars - k)  # [F, d], sorted per row
        leaving = _float_leaving_rows(tableaux, entering, self.initial, self.tol)  # [F, d], -1: unbounded
        self._enqueue_new_children(bases, is_basic, entering, leaving)
        return count, list(zip(self._masks(values <= self.tol), values, strict=True))

    def _take(self, limit: int) -> np.ndarray:
        """Dequeue up to ``limit`` bases as one ``[F, k]`` array."""
        blocks = []
        while limit > 0 and self.pending:
            block = self.pending.popleft()
            if len(block) > limit:
                self.pending.appendleft(block[limit:])
                block = block[:limit]
            blocks.append(block)
            limit -= len(block)
        bases = np.concatenate(blocks)
        self.n_pending -= len(bases)
        return bases

    def _masks(self, flags: np.ndarray) -> list[Any]:
        """Each row of a boolean ``[F, n_vars]`` matrix as an integer bitmask (bit ``j``: ``flags[f, j]``)."""
        if self.weight is not None:
            return (flags * self.weight).sum(axis=1, dtype=np.uint64).tolist()
        packed = np.packbits(flags, axis=1, bitorder="little")
        return [int.from_bytes(row.tobytes(), "little") for row in packed]

    def _enqueue_new_children(self, bases: np.ndarray, is_basic: np.ndarray, entering: np.ndarray,
                              leaving: np.ndarray) -> None:
        """Queue each unseen neighbouring basis (``entering[f, j]`` replaces row ``leaving[f, j]``)."""
        f_index, j_index = np.nonzero(leaving >= 0)
        e = entering[f_index, j_index]
        r = leaving[f_index, j_index]
        left = bases[f_index, r]
        if self.weight is not None:  # keys fit one machine word: XOR them vectorised, dedupe with np.unique
            keys = (is_basic * self.weight).sum(axis=1, dtype=np.uint64)
            child_keys = keys[f_index] ^ self.weight[e] ^ self.weight[left]
            unique_keys, first = np.unique(child_keys, return_index=True)
            new = [i for key, i in zip(unique_keys.tolist(), first.tolist(), strict=True)
                   if key not in self.seen]
            self.seen.update(unique_keys.tolist())
        else:
            new = []
            base_keys = self._masks(is_basic)
            moves = zip(f_index.tolist(), e.tolist(), left.tolist(), strict=True)
            for i, (f, in_var, out_var) in enumerate(moves):
                key = base_keys[f] ^ (1 << in_var) ^ (1 << out_var)
                if key not in self.seen:
                    self.seen.add(key)
                    new.append(i)
        if new:
            chosen = np.asarray(new, dtype=int)
            children = bases[f_index[chosen]]  # fancy indexing copies
            children[np.arange(len(chosen)), r[chosen]] = e[chosen]
            self.pending.append(children)
            self.n_pending += len(children)


def _float_leaving_rows(tableaux: np.ndarray, entering: np.ndarray, inverse_columns: np.ndarray,
                        tol: float) -> np.ndarray:
    """``[F, d]``: the lexicographic minimum-ratio row for every basis and entering column (-1: unbounded).

    The plain ratio ``rhs / column`` decides almost every column in one vectorised step; only ties (degenerate
    vertices) fall back to comparing the rows of the basis inverse, one column of it at a time.
    """
    rhs = np.maximum(tableaux[:, :, -1], 0.0)
    columns = np.take_along_axis(tableaux, entering[:, None, :], axis=2)  # [F, k, d]
    positive = columns > _PIVOT_EPS
    ratio = np.full(columns.shape, np.inf)
    np.divide(np.broadcast_to(rhs[:, :, None], columns.shape), columns, out=ratio, where=positive)
    best = ratio.min(axis=1, keepdims=True)
    tied = positive & (ratio <= best + tol * (1.0 + np.abs(best)))
    n_tied = tied.sum(axis=1)
    rows = tied.argmax(axis=1)
    rows[n_tied == 0] = -1
    for f, j in zip(*np.nonzero(n_tied > 1), strict=True):
        candidates = np.flatnonzero(tied[f, :, j])
        rows[f, j] = _lexmin_row(tableaux[f], int(entering[f, j]), candidates, inverse_columns, tol)
    return rows


def _lexmin_row(tableau: np.ndarray, e: int, rows: np.ndarray, inverse_columns: np.ndarray,
                tol: float) -> int:
    """Among ``rows`` tied on the ratio, the one whose basis-inverse row divided by the pivot is
    lexicographically smallest (rows of a nonsingular inverse are never proportional, so one row remains)."""
    for c in inverse_columns:
        ratio = tableau[rows, c] / tableau[rows, e]
        best = ratio.min()
        rows = rows[ratio <= best + tol * (1.0 + np.abs(ratio).max())]
        if len(rows) == 1:
            break
    return int(rows[0])


# -- driving both searches and matching labels ---------------------------------------------------------------


def _visit_alternately(searches: list[_BasisSearch], budget: Budget,
                       iterations: int = 0) -> tuple[list[dict[int, Any]], int, bool]:
    """Advance the searches a block of bases at a time, alternately (a budget stop leaves both partly done).

    Returns, per polytope, its vertices keyed by label mask, the number of bases visited (counting from
    ``iterations``) and whether both searches finished.
    """
    vertices: list[dict[int, Any]] = [{}, {}]
    while not all(search.done for search in searches):
        for search, found in zip(searches, vertices, strict=True):
            if search.done:
                continue
            if budget.exhausted(iterations):
                return vertices, iterations, False
            allowed = search.block if budget.max_iterations is None else min(search.block,
                                                                             budget.max_iterations - iterations)
            visited, points = search.advance(allowed)
            iterations += visited
            for mask, point in points:
                found.setdefault(mask, point)
    return vertices, iterations, True


def _nonzero(vertices: dict[int, Any], own_labels: range) -> dict[int, Any]:
    """Drop the vertex 0 (all of the player's own strategy variables are zero)."""
    zero_mask = _bits(own_labels)
    return {mask: z for mask, z in vertices.items() if mask & zero_mask != zero_mask}


def _mask_words(masks: list[int], n_labels: int) -> np.ndarray:
    """``[len(masks), words]`` uint64 words of each label bitmask (as many words as ``n_labels`` needs)."""
    n_words = (n_labels + 63) // 64
    raw = b"".join(mask.to_bytes(8 * n_words, "little") for mask in masks)
    return np.frombuffer(raw, dtype="<u8").reshape(len(masks), n_words)


def _completely_labelled_pairs(p_vertices: dict[int, Any], q_vertices: dict[int, Any], m: int, n: int,
                               budget: Budget) -> tuple[list[tuple[Any, Any]], bool]:
    """Every pair whose label sets cover all ``m + n`` labels, in order of P-vertex then Q-vertex, and whether
    every pair was examined before ``budget`` ran past its finishing allowance.

    A nondegenerate vertex of P has exactly ``m`` labels and one of Q exactly ``n``, so two nondegenerate
    vertices are completely labelled exactly when their label sets are complements: those pairs are found by
    hashing. Pairs with a degenerate vertex (more labels) are tested with bitwise ORs, in blocks.
    """
    if not p_vertices or not q_vertices:
        return [], True
    full = (1 << (m + n)) - 1
    p_masks, q_masks = list(p_vertices), list(q_vertices)
    q_index = {mask: j for j, mask in enumerate(q_masks)}
    found: list[tuple[int, int]] = []
    p_degenerate = [i for i, mask in enumerate(p_masks) if mask.bit_count() > m]
    q_degenerate = [j for j, mask in enumerate(q_masks) if mask.bit_count() > n]
    q_plain = set(range(len(q_masks))).difference(q_degenerate)
    for i, mask in enumerate(p_masks):
        j = q_index.get(full ^ mask)
        if j is not None and j in q_plain and mask.bit_count() == m:
            found.append((i, j))
    finished = True
    p_plain = [i for i, mask in enumerate(p_masks) if mask.bit_count() == m]
    for rows, columns in ((p_degenerate, list(range(len(q_masks)))), (p_plain, q_degenerate)):
        if rows and columns and not _or_pairs(p_masks, q_masks, rows, columns, m + n, budget, found):
            finished = False
            break
    found.sort()
    p_points, q_points = list(p_vertices.values()), list(q_vertices.values())
    return [(p_points[i], q_points[j]) for i, j in found], finished


def _or_pairs(p_masks: list[int], q_masks: list[int], rows: list[int], columns: list[int], n_labels: int,
              budget: Budget, found: list[tuple[int, int]]) -> bool:
    """Append to ``found`` the pairs of ``rows x columns`` whose label masks cover all ``n_labels`` labels
    (vectorised ORs of 64-bit words, a block of rows at a time); False when ``budget`` ran out first."""
    p_words = _mask_words([p_masks[i] for i in rows], n_labels)
    q_words = _mask_words([q_masks[j] for j in columns], n_labels)
    full = _mask_words([(1 << n_labels) - 1], n_labels)[0]
    block = max(1, 4_000_000 // len(columns))
    for start in range(0, len(rows), block):
        if budget.overtime():
            return False
        covered = np.ones((len(p_words[start:start + block]), len(columns)), dtype=bool)
        for w in range(len(full)):
            covered &= (p_words[start:start + block, w, None] | q_words[None, :, w]) == full[w]
        for i, j in zip(*np.nonzero(covered), strict=True):
            found.append((rows[start + int(i)], columns[int(j)]))
    return True


def _float_profiles(pairs: list[tuple[np.ndarray, np.ndarray]], m: int) -> list[tuple[np.ndarray, ...]]:
    """The profiles ``(x / sum(x), y / sum(y))`` of float vertex pairs, normalised all at once."""
    if not pairs:
        return []
    x = np.array([p[:m] for p, _ in pairs])
    y = np.array([q[m:] for _, q in pairs])
    x /= x.sum(axis=1, keepdims=True)
    y /= y.sum(axis=1, keepdims=True)
    return list(zip(x, y, strict=True))


def _normalise(z: Any) -> np.ndarray:
    if isinstance(z, list):  # exact: a list of Fractions
        total = sum(z, Fraction(0))
        return np.array([v / total for v in z], dtype=object)
    return np.asarray(z) / np.sum(z)
