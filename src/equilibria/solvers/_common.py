"""Shared plumbing for solvers: certificates from :mod:`equilibria.metrics`, time and iteration budgets,
deduplication of profiles, and the memory limit.

Solvers never compute their own certificate: they hand the profiles they found to :func:`nash_result` (or
:func:`correlated_result`), which evaluates them against the game with the metrics layer. One exception in form,
not in substance: a compiled solver may run the metrics layer's compiled kernel
(:func:`equilibria.metrics.regret.bimatrix_evaluation`) on the very buffer it returns, in the same compiled call,
and hand over that evaluation with the profile (:func:`evaluated_result`, ``nash_result(evaluations=...)``). The
numbers are still the metrics layer's, from the game's payoffs and the returned arrays alone; what is saved is a
second compiled call, a fifth of a small game's solve.

**Certificate tolerance (the convention every normal-form result follows).** A returned profile is *certified*
when every player's regret is at most ``max(atol, rtol * scale_i)``, where ``scale_i = max |u_i|`` is the size of
player ``i``'s payoffs (regrets are in payoff units, and float arithmetic on numbers of size ``S`` resolves no
less than about ``eps * S``, so a tolerance must scale with the payoffs: a ``1e15``-scale game cannot meet an
absolute ``1e-9``, and a ``1e-12``-scale game would meet it with any profile). ``rtol`` is the solver's: by default
:data:`DEFAULT_RTOL` (``1e-9``, for solvers that state no tolerance of their own); methods that are exact up to
rounding pass :func:`rounding_rtol` (:data:`ROUNDING_RTOL` per action of the game, about ``2e-13`` on a 2 x 2
game), so a regret of 1 beside payoffs of ``1e12`` is a failure, not rounding. ``atol`` (default 0) is for
solvers whose own tolerance is in payoff units. Exact (Fraction) certificates are held to the same rule.
A result never says ``converged=True`` beside a profile that fails: :func:`nash_result` either keeps such profiles
flagged (the default: ``converged=False``, ``parameters["uncertified"]`` counts them) or, with
``drop_uncertified=True`` (what enumerations do), drops them (``converged=False``, ``complete=False``,
``parameters["uncertified_dropped"]`` counts them); either way ``parameters["message"]`` says what happened.

**Budgets and the finishing allowance.** A search stops when its :class:`Budget` is exhausted; what it found is
then paired up, deduplicated and certified within :meth:`Budget.overtime`'s allowance (a quarter of
``max_seconds`` plus half a second). Work still left then is dropped, never returned unchecked, and the result is
``converged=False``, ``complete=False``: a budget of ``T`` seconds returns within about ``1.25 T + 0.5`` seconds.

**Deduplication** (:func:`deduplicate`, :func:`distinct_indices`) keeps the first of profiles within ``tol`` of
each other in max norm, in expected linear time: each float profile is hashed by its cell in a grid of side
``4096 tol``; two profiles within ``tol`` differ by at most one cell per coordinate, and only in coordinates where
they lie within ``tol`` of a cell boundary, so a profile is compared exactly only with the kept profiles of its
own cell and of the cells across those boundaries. Exact (Fraction) profiles are hashed as they are.

**Correlated results** (:func:`correlated_result`) follow the same rule with the CE or CCE gap and
``DEFAULT_RTOL`` times the largest payoff scale.

**Memory limit.** Solvers whose working memory grows with the game estimate it before allocating anything and
refuse (:func:`require_memory`, a one-line :class:`~equilibria.core.errors.GameError` naming the estimate and the
limit) when it exceeds :func:`memory_limit`: :data:`MEMORY_LIMIT_BYTES` when set, else half of the machine's
physical memory (8 GiB where that cannot be read).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from equilibria.core.compiled import interpreted_if
from equilibria.core.errors import GameError
from equilibria.core.result import SolveResult
from equilibria.games.normal_form import NormalFormGame
from equilibria.metrics import regret as metrics
from equilibria.metrics.regret import certified_bimatrix_profile

# Certificate tolerances, relative to each player's payoff scale max |u_i| (see the module docstring).
DEFAULT_RTOL = 1e-9
ROUNDING_RTOL = 2.0 ** -44  # about 5.7e-14, per action of the game: rounding in solves and regret sums grows with size
# Payoff differences below this many pivoting tolerances (relative to the range) may be ties to a float solve.
RESOLUTION_TOLS = 16.0
# A budget's finishing allowance: a quarter of max_seconds plus this many seconds (see the module docstring).
_GRACE_SECONDS = 0.5
# Profiles certified between two checks of the finishing allowance.
_CHECK_EVERY = 256
_MAX_INT64 = 2**63 - 1
# None: half of the physical memory (see memory_limit).
MEMORY_LIMIT_BYTES: int | None = None
_FALLBACK_MEMORY_LIMIT = 8 * 2**30


_INTEGER_TYPES = (int, np.integer)
_NUMBER_TYPES = (int, float)


class Budget:
    """Stops a long computation: ``exhausted(iterations)`` is True once either limit is reached.

    ``started``: the clock (``time.perf_counter``) at the start; now by default.
    """

    __slots__ = ("max_iterations", "max_seconds", "started")

    def __init__(self, max_iterations: int | None = None, max_seconds: float | None = None,
                 started: float | None = None) -> None:
        if max_iterations is not None and max_iterations < 1:
            raise GameError(f"max_iterations must be a positive integer, got {max_iterations!r}")
        if max_seconds is not None and not max_seconds > 0:
            raise GameError(f"max_seconds must be a positive number, got {max_seconds!r}")
        self.max_iterations, self.max_seconds = max_iterations, max_seconds
        self.started = time.perf_counter() if started is None else started

    @classmethod
    def checked(cls, max_iterations: Any, max_seconds: Any, caller: str) -> Budget:
        """A budget from a solver's arguments, after checking their types: errors name ``caller``.

        ``max_iterations``: None or a positive integer (not a bool); ``max_seconds``: None or a positive number.
        """
        # The usual types first, by exact type (a solve of a small game takes microseconds; bool is not int here).
        if max_iterations is not None and not (type(max_iterations) is int and max_iterations >= 1) and (
                isinstance(max_iterations, bool) or not isinstance(max_iterations, _INTEGER_TYPES)
                or max_iterations < 1):
            raise GameError(f"{caller}: max_iterations must be a positive integer or None, got {max_iterations!r}")
        if max_seconds is not None and not (type(max_seconds) is float and max_seconds > 0) and (
                isinstance(max_seconds, bool) or not isinstance(max_seconds, _NUMBER_TYPES) or not max_seconds > 0):
            raise GameError(f"{caller}: max_seconds must be a positive number or None, got {max_seconds!r}")
        # Compiled loops count in int64: a larger cap is unreachable anyway, so it is held at the largest int64.
        return cls(None if max_iterations is None else min(int(max_iterations), _MAX_INT64), max_seconds)

    def exhausted(self, iterations: int) -> bool:
        if self.max_iterations is not None and iterations >= self.max_iterations:
            return True
        return self.max_seconds is not None and self.elapsed() >= self.max_seconds

    def overtime(self) -> bool:
        """True once the finishing allowance after ``max_seconds`` is spent too (never without ``max_seconds``).

        Pairing, deduplicating and certifying what a stopped search found may run past ``max_seconds`` by a
        quarter of it plus half a second; whatever is left then is dropped (the result is marked incomplete).
        """
        if self.max_seconds is None:
            return False
        return self.elapsed() >= 1.25 * self.max_seconds + _GRACE_SECONDS

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def stop_reason(self, iterations: int) -> str:
        """Which limit stopped a computation that had done ``iterations`` (for ``parameters["stopped_because"]``)."""
        if self.max_iterations is not None and iterations >= self.max_iterations:
            return f"max_iterations={self.max_iterations} reached"
        if self.max_seconds is not None and self.elapsed() >= self.max_seconds:
            return f"max_seconds={self.max_seconds:g} reached"
        return "stopped before finishing"


# -- certificates ----------------------------------------------------------------------------------------------


# Two-player games with at most this many payoff entries per player are solved interpreted while numba is not
# loaded yet: a Lemke-Howson path or an enumeration of a 5 x 5 game takes a millisecond or two as Python, loading
# numba and the compiled code half a second (equilibria.core.compiled.prefer_interpreted).
SMALL_GAME_ENTRIES = 25


def small_game_interpreted(m: int, n: int) -> contextlib.AbstractContextManager[None]:
    """Run an ``m x n`` game's kernels interpreted when it is small and numba is not loaded (see
    :data:`SMALL_GAME_ENTRIES`); a block without effect otherwise."""
    return interpreted_if(m * n <= SMALL_GAME_ENTRIES)


def payoff_scales(game: NormalFormGame) -> np.ndarray:
    """``[n_players]``: ``max |u_i|`` over the game, the scale certificate tolerances are relative to.

    Computed once per game and kept on it (as ``fraction_payoffs`` keeps its Fractions): compiled solvers hand
    over results in microseconds, and the reduction costs a few on small games.
    """
    cached = game.__dict__.get("_certificate_scales")
    if cached is None:
        payoffs = game.payoffs
        cached = np.abs(payoffs).reshape(payoffs.shape[0], -1).max(axis=1) if payoffs.size else np.zeros(
            payoffs.shape[0])
        cached.setflags(write=False)
        object.__setattr__(game, "_certificate_scales", cached)
    return cached


def rounding_rtol(game: NormalFormGame) -> float:
    """The certificate tolerance (relative to :func:`payoff_scales`) of a method exact up to rounding:
    :data:`ROUNDING_RTOL` per action of the game."""
    return ROUNDING_RTOL * float(sum(game.payoffs.shape[1:]))


def certificate_tolerances(game: NormalFormGame, *, rtol: float | None = None, atol: float = 0.0) -> np.ndarray:
    """``[n_players]``: the largest regret each player's certificate may show, ``max(atol, rtol * scale_i)``
    (``rtol`` None: :data:`DEFAULT_RTOL`)."""
    return np.maximum(float(atol), (DEFAULT_RTOL if rtol is None else float(rtol)) * payoff_scales(game))


def is_certified(game: NormalFormGame, strategies: Sequence[Any], regret: Any, tolerances: np.ndarray) -> bool:
    """Whether the profile's regrets are within ``tolerances`` (``[n_players]``), given its max ``regret``.

    The max regret decides alone unless it lies between the smallest and the largest tolerance; then each
    player's regret is computed by the metrics layer.
    """
    if regret <= tolerances.min():
        return True
    if not regret <= tolerances.max():  # NaN fails
        return False
    _, gains = metrics.payoffs_and_regrets(game, strategies)
    return all(gain <= tolerance for gain, tolerance in zip(gains, tolerances, strict=True))


def nash_result(
    game: NormalFormGame,
    method: str,
    profiles: Sequence[Sequence[Any]],
    *,
    parameters: Mapping[str, Any],
    iterations: int,
    budget: Budget,
    converged: bool = True,
    rational: bool = False,
    evaluations: Sequence[tuple[np.ndarray, Any] | None] | None = None,
    complete: bool | None = None,
    rtol: float | None = None,
    atol: float = 0.0,
    drop_uncertified: bool = False,
) -> SolveResult:
    """A SolveResult for mixed Nash profiles, each certified by its max regret.

    ``complete``: what an enumeration established (:class:`SolveResult`); None for single-equilibrium methods.

    The values and regrets come from one evaluation of each checked profile against the game
    (:func:`equilibria.metrics.regret.payoffs_and_regrets`, or its compiled quick route for small float bimatrix
    profiles): the certificate is ``metrics.max_regret`` bit for bit, the values ``game.expected_payoffs`` up to
    the order of summation. The result holds its own copies of the profiles.

    ``evaluations``: per profile, None or ``(payoffs [2], max regret)``: the metrics layer's evaluation of exactly
    those arrays, as :func:`equilibria.metrics.regret.bimatrix_evaluation` wrote it (``out[:2]``, ``out[4]``). A
    compiled solver that runs that kernel on the buffer it returns, in the same call, saves a second compiled call
    on small games; the profile's arrays are then taken as they are (the solver hands over a buffer of its own). A
    NaN regret (the kernel's verdict on an invalid profile) is ignored.

    ``rtol``, ``atol``: the certificate tolerance (module docstring). A profile beyond it makes the result
    ``converged=False`` (and ``complete=False`` when ``complete`` was given); it is kept and counted in
    ``parameters["uncertified"]``, or dropped and counted in ``parameters["uncertified_dropped"]`` with
    ``drop_uncertified=True``. Profiles left when ``budget`` runs past its finishing allowance
    (:meth:`Budget.overtime`) are dropped uncertified (``parameters["unchecked_dropped"]``).
    """
    # A pass over the payoffs: skipped when there is nothing to certify (a budget spent before any equilibrium).
    tolerances = certificate_tolerances(game, rtol=rtol, atol=atol) if len(profiles) else np.zeros(game.n_players)
    checked: list[tuple[np.ndarray, ...]] = []
    values, certificate = [], []
    flagged = dropped = unchecked = evaluated = 0
    for index, (profile, evaluation) in enumerate(zip(profiles, evaluations or (None,) * len(profiles),
                                                      strict=True)):
        if evaluation is not None and evaluation[1] == evaluation[1]:  # NaN: the kernel found no valid profile
            strategies, (payoffs, regret) = tuple(profile), evaluation
        else:
            if evaluated and not evaluated % _CHECK_EVERY and budget.overtime():
                unchecked = len(profiles) - index
                break
            evaluated += 1
            strategies, payoffs, regret = evaluate_profile(game, profile, method, rational)
        if not is_certified(game, strategies, regret, tolerances):
            if drop_uncertified:
                dropped += 1
                continue
            flagged += 1
        checked.append(strategies)
        values.append(payoffs)
        certificate.append(regret)
    if flagged or dropped or unchecked:
        parameters = _failure_notes(parameters, flagged, dropped, unchecked, tolerances)
        converged = False
        if complete is not None:
            complete = False
            parameters.setdefault("incomplete_reason", parameters["message"])
    # Positional: keyword passing costs a third of the construction, a visible share of a small game's solve.
    return SolveResult(game, method, tuple(checked), tuple(values), tuple(certificate), "max_regret", dict(parameters),
                       int(iterations), budget.elapsed(), converged, rational, complete)


def evaluate_profile(game: NormalFormGame, profile: Sequence[Any], method: str,
                     rational: bool = False) -> tuple[tuple[np.ndarray, ...], Any, Any]:
    """``(strategies, payoffs [n_players], max regret)`` of one profile, by the metrics layer: its compiled
    quick route for small float bimatrix profiles, else checked (errors name ``method``) and evaluated."""
    if not rational and (quick := certified_bimatrix_profile(game, profile)) is not None:
        return quick
    strategies = metrics.checked_profile(game, profile, f"{method}: returned profile")
    payoffs, gains = metrics.payoffs_and_regrets(game, strategies, checked=True)
    return strategies, payoffs, max(gains)


def _failure_notes(parameters: Mapping[str, Any], flagged: int, dropped: int, unchecked: int,
                   tolerances: np.ndarray) -> dict[str, Any]:
    """``parameters`` with the counts of profiles that failed their certificate or were left unchecked, and
    ``"message"``: one line saying so."""
    notes = dict(parameters)
    parts = []
    limit = ", ".join(f"{t:.3g}" for t in tolerances)
    if flagged:
        notes["uncertified"] = flagged
        parts.append(f"{flagged} returned profile(s) fail the certificate tolerance (max regret per player "
                     f"<= {limit})")
    if dropped:
        notes["uncertified_dropped"] = dropped
        parts.append(f"{dropped} profile(s) failing the certificate tolerance (max regret per player <= {limit}) "
                     "were dropped")
    if unchecked:
        notes["unchecked_dropped"] = unchecked
        parts.append(f"{unchecked} profile(s) left uncertified when the time budget ran out were dropped")
    notes["message"] = "; ".join(([str(notes["message"])] if "message" in notes else []) + parts)
    return notes


def evaluated_result(game: NormalFormGame, method: str, profile: tuple[np.ndarray, np.ndarray],
                     evaluation: tuple[np.ndarray, Any] | None, parameters: dict[str, Any], iterations: int,
                     budget: Budget) -> SolveResult:
    """``nash_result(game, method, [profile], evaluations=[evaluation], ...)`` for one converged float profile.

    The same result, built without the general loop: for a compiled solver's usual end on a small game, where
    that loop is a tenth of the whole solve. ``parameters`` becomes the result's own (pass a fresh dict). A
    profile beyond the default certificate tolerance takes the general route (which marks it).
    """
    if evaluation is None:
        return nash_result(game, method, [profile], parameters=parameters, iterations=iterations, budget=budget)
    # |u_i(profile)| <= max |u_i|: a regret within the tolerance of the smaller value is within the tolerance,
    # decided without a pass over the payoffs (a third of a small game's solve); NaN fails every comparison.
    first, second = evaluation[0][0], evaluation[0][1]
    regret = evaluation[1]
    if not (regret <= DEFAULT_RTOL * min(abs(first), abs(second))
            or regret <= DEFAULT_RTOL * payoff_scales(game).min()):
        return nash_result(game, method, [profile], parameters=parameters, iterations=iterations, budget=budget,
                           evaluations=[evaluation])
    return SolveResult(game, method, (profile,), (evaluation[0],), (evaluation[1],), "max_regret", parameters,
                       iterations, budget.elapsed(), True, False)


def correlated_result(
    game: NormalFormGame,
    method: str,
    joints: Sequence[np.ndarray],
    *,
    coarse: bool,
    parameters: Mapping[str, Any],
    iterations: int,
    budget: Budget,
    converged: bool = True,
) -> SolveResult:
    """A SolveResult for joint distributions, certified by the CE or CCE gap (clipped below at 0).

    A gap above ``DEFAULT_RTOL * max_i max |u_i|`` (the gap is in payoff units) makes the result
    ``converged=False``, with ``parameters["uncertified"]`` and ``parameters["message"]``.
    """
    gap = metrics.cce_gap if coarse else metrics.ce_gap
    certificate = tuple(max(0.0, float(gap(game, j))) for j in joints)
    limit = DEFAULT_RTOL * float(payoff_scales(game).max(initial=0.0))
    failed = sum(not c <= limit for c in certificate)
    notes = dict(parameters)
    if failed:
        converged = False
        notes["uncertified"] = failed
        notes["message"] = f"the {'CCE' if coarse else 'CE'} gap exceeds the certificate tolerance {limit:.3g}"
    return SolveResult(
        game=game,
        method=method,
        equilibria=tuple(joints),
        values=tuple(metrics.joint_expected_payoffs(game, j) for j in joints),
        certificate=certificate,
        certificate_name="cce_gap" if coarse else "ce_gap",
        parameters=notes,
        iterations=int(iterations),
        seconds=budget.elapsed(),
        converged=converged,
    )


def require_normal_form(game: Any, caller: str, *, players: int | None = None) -> NormalFormGame:
    """Check the solver's input is a NormalFormGame (with ``players`` players when given)."""
    if not isinstance(game, NormalFormGame):
        raise GameError(f"{caller}: expected a NormalFormGame, got {type(game).__name__}")
    if players is not None and game.payoffs.shape[0] != players:
        game.require_players(players, caller)  # raises
    return game


# -- float resolution and exact repair of bimatrix profiles ------------------------------------------------------


def float_resolves(game: NormalFormGame, tol: float) -> bool:
    """Whether a float solve pivoting with ``tol`` (relative to each payoff range) can tell apart every two payoffs
    of a bimatrix game that a player compares: two entries of one column of ``A`` (the row player's alternatives)
    or of one row of ``B`` are equal or at least ``RESOLUTION_TOLS * tol`` times that matrix's range apart.
    Closer ones (1 and 0 beside 1e12) may be ties to the float pivots, hence spurious or missed equilibria whose
    regrets lie below what a float certificate can see (a regret of 1e-3 beside payoffs of 1e12); only an exact
    solve tells them apart. Uniformly random m x n payoffs fail it by chance from about m^2 n = 6e7."""
    for matrix, axis in ((game.payoffs[0], 0), (game.payoffs[1], 1)):
        span = float(np.ptp(matrix)) if matrix.size else 0.0
        if span == 0.0 or matrix.shape[axis] < 2:
            continue
        gaps = np.diff(np.sort(matrix, axis=axis), axis=axis)
        positive = gaps[gaps > 0]
        if positive.size and float(positive.min()) < RESOLUTION_TOLS * tol * span:
            return False
    return True


def exact_support_profile(game: NormalFormGame, profile: Sequence[np.ndarray],
                          threshold: float = 1e-9) -> tuple[np.ndarray, np.ndarray] | None:
    """The exact equilibrium (object arrays of Fractions) on the supports of a float bimatrix ``profile``
    (entries above ``threshold``), or None when the supports differ in size, an indifference system is singular,
    or its solution is no equilibrium (a negative probability or a better action outside the support).

    Solves ``A[I, J] y_J = v 1, 1^T y_J = 1`` and ``x_I^T B[I, J] = u 1^T, 1^T x_I = 1`` in Fractions on the game's
    exact payoffs and checks every action: a float profile that fails its certificate only through rounding is
    repaired; a spurious one is told apart."""
    rows = [int(i) for i in np.flatnonzero(np.asarray(profile[0], dtype=float) > threshold)]
    columns = [int(j) for j in np.flatnonzero(np.asarray(profile[1], dtype=float) > threshold)]
    if len(rows) != len(columns) or not rows:
        return None
    a, b = game.fraction_payoffs()
    y = _indifferent_mixture([[a[i, j] for j in columns] for i in rows])
    x = _indifferent_mixture([[b[i, j] for i in rows] for j in columns])
    if x is None or y is None:
        return None
    strategies = []
    for support, mixture, size in ((rows, x, a.shape[0]), (columns, y, a.shape[1])):
        full = np.array([Fraction(0)] * size, dtype=object)
        full[support] = mixture
        strategies.append(full)
    row_values = [sum((a[i, j] * strategies[1][j] for j in columns), Fraction(0)) for i in range(a.shape[0])]
    column_values = [sum((strategies[0][i] * b[i, j] for i in rows), Fraction(0)) for j in range(a.shape[1])]
    if max(row_values) != row_values[rows[0]] or max(column_values) != column_values[columns[0]]:
        return None
    return strategies[0], strategies[1]


def _indifferent_mixture(payoff: list[list[Fraction]]) -> list[Fraction] | None:
    """The mixture ``z`` (over the columns of the square ``payoff``) making every row equally good, exactly:
    ``payoff z = v 1, sum z = 1``; None when singular or a probability is negative (Gauss-Jordan)."""
    size = len(payoff)
    system = [[Fraction(v) for v in row] + [Fraction(-1), Fraction(0)] for row in payoff]
    system.append([Fraction(1)] * size + [Fraction(0), Fraction(1)])
    for c in range(size + 1):
        pivot = next((r for r in range(c, size + 1) if system[r][c] != 0), None)
        if pivot is None:
            return None
        system[c], system[pivot] = system[pivot], system[c]
        for r in range(size + 1):
            if r != c and system[r][c] != 0:
                factor = system[r][c] / system[c][c]
                system[r] = [v - factor * w for v, w in zip(system[r], system[c], strict=True)]
    z = [system[c][size + 1] / system[c][c] for c in range(size)]
    return None if min(z) < 0 else z


# -- deduplication -------------------------------------------------------------------------------------------


def deduplicate(profiles: Sequence[Sequence[np.ndarray]], tol: float = 1e-9) -> list[tuple[np.ndarray, ...]]:
    """Drop profiles equal (within ``tol`` in max norm, or exactly for Fractions) to an earlier one."""
    return [tuple(profiles[i]) for i in distinct_indices(profiles, tol)]


def distinct_indices(profiles: Sequence[Sequence[np.ndarray]], tol: float = 1e-9) -> list[int]:
    """The indices of the profiles :func:`deduplicate` keeps, in order (expected linear time)."""
    return distinct_indices_within(profiles, tol)[0]


def distinct_indices_within(profiles: Sequence[Sequence[np.ndarray]], tol: float = 1e-9,
                            budget: Budget | None = None) -> tuple[list[int], bool]:
    """:func:`distinct_indices`, stopping when ``budget`` runs past its finishing allowance.

    Returns the kept indices among the profiles examined and whether every profile was examined. A profile is a
    duplicate when it is within ``tol`` (max norm) of a kept float profile, or equal to a kept exact one; float
    and exact profiles are never compared with each other.

    Float profiles are hashed by their cell in a grid of side ``_CELLS_PER_TOL * tol`` (shifted by half a cell).
    Two profiles within ``tol`` of each other differ by at most one cell in each coordinate, and only where the
    first lies within ``tol`` of a cell boundary: so a profile is compared with the kept profiles of its own cell
    and of the cells across the boundaries it is that close to (rare: one coordinate in a few thousand).
    """
    count = len(profiles)
    flats = [np.concatenate([np.asarray(s).ravel() for s in p]) if len(p) else np.zeros(0) for p in profiles]
    side = max(float(tol), 1e-300) * _CELLS_PER_TOL
    cells: dict[tuple[int, bytes], list[int]] = {}
    seen_exact: set[tuple[Any, ...]] = set()
    kept: list[int] = []
    exact = [flat.dtype == object for flat in flats]
    floats = [i for i in range(count) if not exact[i]]
    where = [-1] * count
    grid: dict[int, tuple[np.ndarray, np.ndarray, list[bytes], Any]] = {}
    for length in {len(flats[i]) for i in floats}:
        members = [i for i in floats if len(flats[i]) == length]
        # Half a cell's shift puts 0 and the simple fractions equilibria are made of in the middle of cells.
        scaled = np.array([flats[i] for i in members], dtype=float).reshape(len(members), length) / side + 0.5
        base = np.floor(scaled)
        offset = (scaled - base) * side
        for row, i in enumerate(members):
            where[i] = row
        # -1 / +1: within tol of the lower / upper boundary of the cell in that coordinate.
        near = (np.where(offset <= tol, -1, 0) + np.where(side - offset <= tol, 1, 0)).astype(np.int8)
        base = np.ascontiguousarray(base.astype(np.int64))
        keys = [row.tobytes() for row in base]
        grid[length] = (base, near, keys, near.any(axis=1).tolist())
    for index in range(count):
        if index and not index % 4096 and budget is not None and budget.overtime():
            return kept, False
        flat = flats[index]
        if exact[index]:
            key = tuple(flat.tolist())
            if key not in seen_exact:
                seen_exact.add(key)
                kept.append(index)
            continue
        base, near, keys, anywhere_near = grid[len(flat)]
        row = where[index]
        own = (len(flat), keys[row])
        if anywhere_near[row]:
            if _has_near_copy(flat, own, base[row], near[row], cells, flats, tol):
                continue
        elif (same := cells.get(own)) is not None and any(
                float(np.max(np.abs(flat - flats[j]))) <= tol for j in same):
            continue
        cells.setdefault(own, []).append(index)
        kept.append(index)
    return kept, True


_CELLS_PER_TOL = 4096.0


def _has_near_copy(flat: np.ndarray, own: tuple[int, bytes], base: np.ndarray, near: np.ndarray,
                   cells: dict[tuple[int, bytes], list[int]], flats: list[np.ndarray], tol: float) -> bool:
    """Whether a kept profile in ``flat``'s cell, or in a cell across a boundary ``flat`` is near, lies within
    ``tol`` of it. Past 12 near boundaries (never, short of adversarial input) every kept profile is compared."""
    keys = [own]
    shifts = np.flatnonzero(near)
    if len(shifts) > 12:
        keys = [key for key in cells if key[0] == own[0]]
    elif len(shifts):
        for chosen in range(1, 1 << len(shifts)):
            moved = base.copy()
            for bit, coordinate in enumerate(shifts):
                if chosen >> bit & 1:
                    moved[coordinate] += near[coordinate]
            keys.append((own[0], moved.tobytes()))
    return any(float(np.max(np.abs(flat - flats[j]))) <= tol for key in keys for j in cells.get(key, ()))


# -- memory ----------------------------------------------------------------------------------------------------


def memory_limit() -> int:
    """The most bytes a solver may plan to use: :data:`MEMORY_LIMIT_BYTES`, else half the physical memory."""
    if MEMORY_LIMIT_BYTES is not None:
        return int(MEMORY_LIMIT_BYTES)
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")) // 2
    except (AttributeError, ValueError, OSError):
        return _FALLBACK_MEMORY_LIMIT


def format_bytes(count: float) -> str:
    """``count`` bytes in binary units, e.g. ``"7.3 TiB"``."""
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if value < 1024 or unit == "PiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def require_memory(caller: str, what: str, needed_bytes: float) -> None:
    """Raise a one-line GameError when ``needed_bytes`` exceed :func:`memory_limit`.

    ``what`` describes the size, e.g. ``"the LP has 2,000,000 variables and ~2e+12 constraint entries"``.
    """
    limit = memory_limit()
    if needed_bytes > limit:
        raise GameError(f"{caller}: {what}, about {format_bytes(needed_bytes)} of memory; the limit is "
                        f"{format_bytes(limit)} (equilibria.solvers._common.MEMORY_LIMIT_BYTES, by default half "
                        "the physical memory); use a smaller game")


# -- HiGHS's set-up time ---------------------------------------------------------------------------------------------

# HiGHS (through scipy's linprog) reads the LP, presolves it and builds its first basis before it first looks at its
# time limit: measured 0.45-0.9 us per constraint entry (or per row, column and non-zero), whatever limit it is
# given, so a short budget is overrun by the whole set-up. A little above the largest measured, so that the estimate
# errs towards not starting; a per-machine calibration, not a guarantee.
HIGHS_START_SECONDS_PER_UNIT = 1e-6
# The share of max_seconds the estimated set-up may take for HiGHS to be started: the overrun past HiGHS's own limit
# was 25-70% of the set-up, so 0.7 keeps a call within about 1.5x max_seconds.
HIGHS_START_SHARE = 0.7


def highs_would_overrun(units: int, what: str, budget: Budget, max_seconds: float | None) -> str | None:
    """Why HiGHS must not be started on an LP of ``units`` (entries; ``what`` names them), or None when it may.

    A heuristic (see :data:`HIGHS_START_SECONDS_PER_UNIT`): the estimated set-up plus the time already spent must fit
    in :data:`HIGHS_START_SHARE` of ``max_seconds``.
    """
    if max_seconds is None:
        return None
    set_up = units * HIGHS_START_SECONDS_PER_UNIT
    if budget.elapsed() + set_up <= HIGHS_START_SHARE * max_seconds:
        return None
    return (f"max_seconds={max_seconds:g} is too short for this LP: setting up its {units:,} {what} takes HiGHS "
            f"about {set_up:.2g} s before it can check the time, and it would overrun")
