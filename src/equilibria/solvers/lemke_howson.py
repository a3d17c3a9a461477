"""The Lemke-Howson algorithm for two-player (bimatrix) games, with lexicographic pivoting.

Maths (Lemke and Howson 1964; von Stengel, "Computing equilibria for two-person games", Handbook of Game Theory
vol. 3, 2002, sections 3 and 6). Map each player's payoffs affinely so that they are positive (equilibria do not
change under a positive affine map of one player's payoffs): ``A, B: [m, n]`` with entries in ``[1, 2]``. The
polytopes

    P = {x in R^m : x >= 0, B^T x <= 1}        Q = {y in R^n : A y <= 1, y >= 0}

carry labels ``0..m-1`` (the row player's actions) and ``m..m+n-1`` (the column player's): ``x`` has label
``i`` when ``x_i = 0`` and label ``m + j`` when ``(B^T x)_j = 1``; ``y`` has label ``i`` when ``(A y)_i = 1``
and label ``m + j`` when ``y_j = 0``. A pair ``(x, y) != (0, 0)`` that together carries every label is, once
each vector is normalised to sum 1, a Nash equilibrium. Starting from the artificial pair ``(0, 0)`` and
dropping label ``k``, complementary pivoting alternates between the two systems

    P:  B^T x + s = 1   (x_i has label i, s_j label m+j)        Q:  r + A y = 1   (r_i has label i, y_j label m+j)

entering, in one system, the variable whose label the previous pivot (in the other system) picked up, until
the variable that leaves carries label ``k``.

The leaving variable is chosen by the lexicographic minimum-ratio test on ``[B^-1 1 | B^-1]`` (ratio ties are
broken by the rows of ``B^-1``, slack columns in order). This is Lemke's perturbation ``1 + (eps, eps^2, ...)``
of the right-hand side: no basis repeats, so paths never cycle, degenerate games included.

Float mode has two engines computing the same path. Games with at most ``_DENSE_MAX_ENTRIES`` payoff entries use
the classical dense compact tableau ``B^-1 [G_N | 1]`` (Gauss-Jordan pivots, ``O(rows cols)`` each); a path's
tableaux live in one flat work buffer, so that set-up, pivoting, read-out of the equilibrium and (up to
``_EVALUATE_MAX_ENTRIES`` entries) the metrics layer's evaluation of it are one compiled call, which allocates
nothing and so runs without numba's reference counting (:mod:`equilibria.core.compiled`).
Larger games use a revised form: a basis is the set ``J`` of basic structural variables and the set ``N`` of rows
whose slack is nonbasic (``|J| = |N| = k``), ``B^-1`` is determined by ``W = M[N, J]^-1`` (``M = A`` or ``B^T``),
and a pivot updates ``W`` by a bordering, Sherman-Morrison or deletion formula in ``O(rows k + k^2)``; on random
games ``k`` (about the support size along the path) stays far below ``cols`` (its storage starts small and
doubles), while the paths run to thousands or millions of pivots. ``W`` is recomputed from the payoffs every
``_REFACTOR_EVERY`` pivots. Ratio tests use relative tolerances. At the end the vertex is re-solved from its basis
if it visibly misses its system. On badly conditioned games (e.g. Savani and von Stengel's, from ``d = 10``)
round-off can make a float path leave the exact one; when it then leaves no pivot row, cycles (detected by hashing
the bases, Brent's method) or ends at a vertex that misses its system by more than ``_VERTEX_TOL``, that path is
followed again in exact arithmetic (otherwise its end is an equilibrium up to round-off, as its certificate
shows). When numba is installed the pivoting loop is compiled (an interpreted loop costs tens of microseconds a
pivot); the few hot primitives then run as loops instead of NumPy calls, computing the same numbers.

Racing (no ``initial_label``, the default). On random games the length of one path is heavy-tailed: at 500 x 500
the path from label 0 can take millions of pivots while, among the ``m + n`` labels, some path ends within a few.
The solver therefore gives label 0 a head start of ``_RACE_HEAD_START`` pivots per label (so that on small games,
where label 0's path is short, racing is that path), then runs every label's path in rounds, in label order, each
round doubling the pivots a path may have reached (``_RACE_FIRST``, twice that, ...), and returns the end of the
first path to finish. This is deterministic and costs at most about ``4 (m + n)`` times the shortest path. On a
dense game (without an iteration budget, and with a time budget only when the head start fits between two clock
checks) the head start is that one compiled call with no path object around it: on small games it usually ends
there, and the Python around it is then most of the time spent. So is a given ``initial_label``'s path on a dense
game (its first leg, as far as the budget lets it go before the next check): the result is built from that call's
own evaluation, without the general route's bookkeeping.

Exact mode (``rational=True``) scales the payoffs to integers (common denominator) and pivots on a dense integer
tableau with Bareiss' fraction-free update: every division is exact, the tableau holds ``det(B) B^-1 [G | 1]``.

``iterations`` in the result is the total number of pivots (over every path followed).

Layout. This module is the public one (:func:`lemke_howson_solve`, :func:`lemke_howson_path_length`) and the
driver; the parts, each stating its conventions in its docstring, are ``_lh_common`` (tolerances, statuses, numba,
the ratio test's primitives), ``_lh_revised`` and ``_lh_dense`` (the two float tableaux and their pivots),
``_lh_float_path`` (the float walks and the read-out of their final vertex), ``_lh_exact`` (the integer
tableau), ``_lh_paths`` (path objects over the three engines, the budgeted loop) and ``_lh_race`` (racing the
labels). The parts' private names that tests reach are re-exported here, and assigning one of them on this module
(as tests do to shrink a tolerance or switch the engine) assigns it in every part that holds it.
"""

from __future__ import annotations

import sys
import types
from typing import Any

import numpy as np

from equilibria.core.compiled import Compilation, ensure_all_compiled, interpreted, interpreting, prefer_interpreted
from equilibria.core.errors import GameError
from equilibria.core.result import SolveResult
from equilibria.games.normal_form import NormalFormGame
from equilibria.solvers import _lh_common, _lh_dense, _lh_exact, _lh_float_path, _lh_paths, _lh_race, _lh_revised
from equilibria.solvers._common import (
    DEFAULT_RTOL,
    SMALL_GAME_ENTRIES,
    Budget,
    distinct_indices,
    evaluated_result,
    nash_result,
    payoff_scales,
    require_normal_form,
)
from equilibria.solvers._lh_common import (  # noqa: F401 - re-exported for tests
    _DONE,
    _STOPPED,
    _STUCK,
    NUMBA_INSTALLED,
    _min_ratio_loops,
    _min_ratio_numpy,
    _positive_floats,
    _scale,
    _ties_loops,
    _ties_numpy,
)
from equilibria.solvers._lh_dense import (  # noqa: F401 - re-exported for tests
    _dense_pivot_loops,
    _dense_pivot_numpy,
    _dense_ratio_test_loops,
    _dense_ratio_test_numpy,
    _payoff_scales_loops,
    _payoff_scales_numpy,
)
from equilibria.solvers._lh_float_path import (  # noqa: F401 - re-exported for tests
    _POLISH_TOL,
    _VERTEX_TOL,
    _advance,
    _dense_solve,
    _sum_loops,
    _vertex_miss_loops,
    _vertex_miss_numpy,
    _walk_revised,
)
from equilibria.solvers._lh_paths import (  # noqa: F401 - re-exported for tests
    _DENSE_MAX_ENTRIES,
    _TIME_CHECK_EVERY,
    _as_floats,
    _dense_buffers,
    _dense_end,
    _dense_setup,
    _DensePath,
    _ExactPath,
    _is_dense,
    _one_path,
    _Payoffs,
    _RevisedPath,
    _zobrist_keys,
)
from equilibria.solvers._lh_race import _RACE_FIRST, _RACE_HEAD_START, _race  # noqa: F401 - re-exported for tests
from equilibria.solvers._lh_revised import (  # noqa: F401 - re-exported for tests
    _FIRST_CAPACITY,
    _columns_times,
    _columns_times_loops,
    _columns_times_numpy,
    _inverse_times_loops,
    _inverse_times_numpy,
    _new_polytope,
    _recompute_values,
    _row_times_inverse_loops,
    _row_times_inverse_numpy,
)

_PARTS = (_lh_common, _lh_revised, _lh_dense, _lh_float_path, _lh_exact, _lh_paths, _lh_race)


class _PublicModule(types.ModuleType):
    """This module's type: assigning a name that parts hold assigns it in each of them too.

    A part reads its constants from its own globals, so a test that shrinks ``_VERTEX_TOL`` or switches the engine
    through ``_DENSE_MAX_ENTRIES`` here (``monkeypatch.setattr(lemke_howson, ...)``, undone the same way) must
    reach the parts that use it. Compiled code keeps what it was compiled with: numba freezes the constants it
    reads at compile time (none of the names tests assign is read by compiled code).
    """

    def __setattr__(self, name: str, value: Any) -> None:
        for part in _PARTS:
            if name in vars(part):
                setattr(part, name, value)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _PublicModule

# Engines whose compiled code is known to be loaded, by (dense engine, payoffs C-contiguous): a small solve then pays
# a set lookup instead of ensure_compiled's typing of every argument (a tenth of a 10 x 10 solve). A game's payoffs
# are read-only float64 (NormalFormGame), so their layout is all that varies.
_LOADED: set[tuple[bool, bool]] = set()
_UNLIMITED = 2**62  # pivots: a path followed without a budget
_INTEGERS = (int, np.integer)


def _compiled(game: NormalFormGame, budget: Budget) -> Compilation:
    """Load (or have compiled, within what is left of the time budget) the float engine's kernels for ``game``.

    The first compilation of the pivoting loops takes tens of seconds, which a compiled call cannot interrupt:
    :func:`equilibria.core.compiled.ensure_compiled` has another process compile them while this one waits.
    """
    payoffs = game.payoffs
    m, n = payoffs.shape[1:]
    dense = _is_dense(m, n)
    key = (dense, bool(payoffs.flags.c_contiguous))
    if key in _LOADED or not NUMBA_INSTALLED:
        return Compilation(True)
    kernels: list[tuple[Any, tuple[Any, ...]]]
    if dense:
        work, keys, out = _dense_buffers(m, n)
        kernels = [(_dense_solve, (work, keys, payoffs, 0, 1, True, _POLISH_TOL, out))]
    else:  # the walk, and what the Python around it calls (the payoffs' scaling, refactorisation)
        poly = _new_polytope(np.ones((1, 1)), 0, 1)
        kernels = [(_walk_revised, (poly, poly, np.zeros(8, dtype=np.int64), _zobrist_keys(2), 0, 1)),
                   (_scale, (0.0, 1.0)), (_recompute_values, (poly,))]
    timeout = None if budget.max_seconds is None else max(0.0, budget.max_seconds - budget.elapsed())
    compilation = ensure_all_compiled(kernels, timeout)
    if compilation.loaded:
        _LOADED.add(key)
    return compilation


def _single_dense(game: NormalFormGame, label: int, budget: Budget, parameters: dict[str, Any], accept: float
                  ) -> SolveResult | _DensePath | None:
    """The first leg of one given label's dense path (all of it without a budget) in one compiled call.

    That call sets the path up, pivots, reads the equilibrium out and (up to ``_EVALUATE_MAX_ENTRIES`` entries) has
    the metrics layer evaluate it; on a 10 x 10 game the Python of the general route would cost more than the
    path. The leg is :func:`_follow`'s first: as many pivots as it allows before it looks at ``budget`` again.
    Returns the result (as the general route's ``nash_result(..., complete=False)``) when the path ended at an
    equilibrium, the path to go on with when the leg stopped, else None (a vertex to read out again, round-off:
    the general route follows the path afresh).

    The certificate is the metrics layer's max regret of the returned arrays, as ``nash_result`` takes it.
    As :func:`equilibria.solvers._common.evaluated_result` (which has no ``complete``): a regret within the
    tolerance of the smaller payoff (``|u_i(profile)| <= max |u_i|``) is within the tolerance, so a certified
    profile needs no pass over the payoffs; anything else goes through ``nash_result``.
    """
    payoffs = game.payoffs
    _, m, n = payoffs.shape
    work_size, keys, out_size = _dense_setup(m, n)  # as _dense_buffers, one call less
    work, out = np.empty(work_size), np.empty(out_size)
    allowed = _DensePath.check_every if budget.max_seconds is not None else _UNLIMITED
    if budget.max_iterations is not None:
        allowed = min(allowed, budget.max_iterations)
    status, pivots = _dense_solve(work, keys, payoffs, label, allowed, True, accept, out)
    if status != _DONE:
        return _DensePath(payoffs, label, (work, keys, out), pivots) if status == _STOPPED else None
    profile, end = (out[:m], out[m: m + n]), m + n
    evaluation = None
    if out.size > end:  # the call evaluated the profile: (payoffs [2], max regret), see _dense_end
        first, second, _, _, regret = out[end:].tolist()  # Python floats: cheaper to compare than NumPy scalars
        if (regret <= DEFAULT_RTOL * min(abs(first), abs(second))
                or regret <= DEFAULT_RTOL * payoff_scales(game).min()):
            return SolveResult(game, "lemke_howson", (profile,), (out[end: end + 2],), (out[end + 4],), "max_regret",
                               parameters, pivots, budget.elapsed(), True, False, False)
        evaluation = (out[end: end + 2], out[end + 4])
    return nash_result(game, "lemke_howson", [profile], parameters=parameters, iterations=pivots, budget=budget,
                       evaluations=[evaluation], complete=False)


def _check_label(label: Any, n_labels: int, caller: str) -> int:
    if type(label) is int and 0 <= label < n_labels:  # the usual case, first: a solve on a small game is microseconds
        return label
    if isinstance(label, bool) or not isinstance(label, _INTEGERS) or not 0 <= label < n_labels:
        raise GameError(f"{caller}: initial_label must be an integer in range({n_labels}), got {label!r}")
    return int(label)


def lemke_howson_solve(
    game: Any,
    *,
    initial_label: int | None = None,
    all_labels: bool = False,
    rational: bool = False,
    max_iterations: int | None = None,
    max_seconds: float | None = None,
) -> SolveResult:
    """One Nash equilibrium of a bimatrix game per Lemke-Howson path (lexicographic pivoting, never cycles).

    Args:
      game: a two-player NormalFormGame with ``m`` row and ``n`` column actions.
      initial_label: the label dropped at the start, in ``range(m + n)``: ``i < m`` is the row player's action
        ``i``, ``m + j`` the column player's action ``j``. None (the default): race the paths from every label and
        return the end of the first to finish (label 0 gets a head start, see :func:`_race`); the result's
        ``parameters["winning_label"]`` says which label it was. Ignored with ``all_labels``.
      all_labels: follow the path from every label (``m + n`` paths) and return the distinct equilibria found.
      rational: exact integer pivoting; profiles are Fractions and certificates exact.
      max_iterations: budget on the total number of pivots (over all paths).
      max_seconds: wall-clock budget.

    Returns:
      A SolveResult (method ``"lemke_howson"``, ``iterations`` = total pivots, profiles ``(x: [m], y: [n])``).
      When the budget runs out the path in progress is abandoned: the equilibria of the paths already completed
      are returned, with ``converged=False``. A float path that round-off stops is redone in exact arithmetic
      (racing: it drops out, and only when every path has, the race is run exactly; see the module docstring);
      for badly conditioned games prefer ``rational=True``.
    """
    caller = "lemke_howson_solve"
    game = require_normal_form(game, "lemke_howson_solve(game)", players=2)
    payoff_array = game.payoffs
    _, m, n = payoff_array.shape
    n_labels = m + n
    labels = None if initial_label is None else [_check_label(initial_label, n_labels, caller)]
    if all_labels:
        labels = list(range(n_labels))
    # Budget.checked checks the types of the limits; without any, the plain constructor does the same.
    budget = Budget() if max_iterations is None and max_seconds is None else Budget.checked(max_iterations,
                                                                                            max_seconds, caller)
    parameters: dict[str, Any] = {"initial_label": initial_label, "all_labels": all_labels, "rational": rational,
                                  "max_iterations": max_iterations, "max_seconds": max_seconds}
    dense = _is_dense(m, n)
    if not rational and (dense, payoff_array.flags.c_contiguous) not in _LOADED and not interpreting():
        if m * n <= SMALL_GAME_ENTRIES and prefer_interpreted():
            with interpreted():  # a small game's path is quicker interpreted than loading the compiled loops
                return lemke_howson_solve(game, initial_label=initial_label, all_labels=all_labels,
                                          max_iterations=max_iterations, max_seconds=max_seconds)
        compilation = _compiled(game, budget)
        if not compilation.ready:  # only with a time budget: the compiled loops are not ready within it
            parameters["stopped_because"] = f"max_seconds={max_seconds:g} reached while compiling: {compilation.note}"
            return nash_result(game, "lemke_howson", [], parameters=parameters, iterations=0, budget=budget,
                               converged=False, rational=rational, complete=False if all_labels else None)
    first: _DensePath | None = None
    accept = min(_POLISH_TOL, _VERTEX_TOL)  # _dense_solve's: a vertex missing its system by more is read out again
    # One given label on a small game: the whole path, certificate included, is usually one compiled call. (With
    # a budget already spent, the general route says so.)
    if dense and not rational and labels is not None and not all_labels and not budget.exhausted(0):
        single = _single_dense(game, labels[0], budget, parameters, accept)
        if isinstance(single, SolveResult):
            return single
        first = single
    if (labels is None and not rational and max_iterations is None and dense
            and (max_seconds is None or _RACE_HEAD_START * n_labels <= _TIME_CHECK_EVERY)):
        # The usual end on small games: label 0's head start reaches an equilibrium, in one compiled call as above.
        # With a time budget, only when the head start is no longer than the pivots between clock checks. A stopped
        # head start goes on in the race; one that round-off spoilt is left to the race (which follows label 0
        # again and drops or redoes it exactly).
        work, keys, out = buffers = _dense_buffers(m, n)
        status, pivots = _dense_solve(work, keys, payoff_array, 0, _RACE_HEAD_START * n_labels, True, accept, out)
        if status == _DONE:
            parameters["winning_label"] = 0
            return evaluated_result(game, "lemke_howson", *_dense_end(out, m, n), parameters, pivots, budget)
        if status == _STOPPED:
            first = _DensePath(payoff_array, 0, buffers, pivots)
    payoffs = _Payoffs(game)
    if labels is None:
        _, pivots, winner = _race(payoffs, budget, rational, first=first)
        parameters["winning_label"] = None if winner is None else winner.label
        if winner is None or winner.profile is None:
            parameters["stopped_because"] = budget.stop_reason(pivots)
            return nash_result(game, "lemke_howson", [], parameters=parameters, iterations=pivots, budget=budget,
                               converged=False, rational=rational)
        end = winner.profile
        if isinstance(winner, _ExactPath) and not rational:
            end = _as_floats(end)
        return nash_result(game, "lemke_howson", [end], parameters=parameters, iterations=pivots, budget=budget,
                           rational=rational, evaluations=[winner.evaluation])
    found: list[tuple[np.ndarray, np.ndarray]] = []
    evaluations: list[tuple[np.ndarray, np.float64] | None] = []
    pivots, converged = 0, True
    for label in labels:
        path_end = _one_path(payoffs, label, budget, pivots, rational, first=first)
        first = None
        pivots += path_end.pivots
        if path_end.profile is not None:
            found.append(path_end.profile)
            evaluations.append(path_end.evaluation)
            continue
        converged = False
        if path_end.status == "budget":
            parameters["stopped_because"] = budget.stop_reason(pivots)
            break
        parameters["stopped_because"] = f"the path from label {label} ended without an equilibrium (round-off)"
    distinct = distinct_indices(found) if len(found) > 1 else list(range(len(found)))
    return nash_result(game, "lemke_howson", [found[i] for i in distinct], parameters=parameters, iterations=pivots,
                       budget=budget, converged=converged, rational=rational,
                       evaluations=[evaluations[i] for i in distinct], complete=False)


def lemke_howson_path_length(game: Any, initial_label: int, *, rational: bool = False) -> int:
    """The number of pivots of the Lemke-Howson path that drops ``initial_label`` (as in lemke_howson_solve).

    In float mode a path that round-off stops (no pivot row, or a cycle) is counted in exact arithmetic; on badly
    conditioned games (e.g. Savani-von Stengel's, ``d >= 10``) the float path can also leave the exact path and
    end early or late, so count those with ``rational=True``.

    Raises:
      GameError: not a two-player game, or a label outside ``range(m + n)``.
    """
    caller = "lemke_howson_path_length"
    game = require_normal_form(game, f"{caller}(game)", players=2)
    label = _check_label(initial_label, sum(game.n_actions), caller)
    payoffs = _Payoffs(game)
    end = _one_path(payoffs, label, Budget(), 0, rational, fallback=False)
    if end.status == "numerical":  # float round-off stopped the path: count it in exact arithmetic
        end = _one_path(payoffs, label, Budget(), 0, True)
    return end.pivots
