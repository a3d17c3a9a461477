"""Q-learning pricing sessions run to convergence, compiled with numba (Calvano et al., AER 2020, Section II).

Each of ``n`` firms keeps a table ``Q_i[s, a]`` over states ``s`` (the last ``k`` joint actions, ``m^(n k)`` states)
and its own grid actions ``a``. In period ``t`` every firm independently explores with probability
``eps_t = exp(-beta t)`` (a uniform grid action) and otherwise plays its greedy action ``argmax_a Q_i[s, a]``. With the
joint action ``a`` and the new state ``s'`` every firm updates

    Q_i[s, a_i] <- (1 - alpha) Q_i[s, a_i] + alpha (pi_i(a) + delta max_a' Q_i[s', a'])

(computed as ``Q + alpha (target - Q)``). Tables start at the discounted payoff against uniformly random rivals,
``Q_0[s, a_i] = sum_{a_-i} pi_i(a_i, a_-i) / ((1 - delta) m^(n-1))`` in every state; the first state is uniform. A
session has converged when no firm's greedy action has changed in any state for ``convergence_window`` consecutive
periods (the paper: 100,000), and stops at ``max_periods`` otherwise (the paper: 10^9).

Conventions:
- States: ``s' = (s m^n + joint) mod m^(n k)``, so for ``k = 1`` the state is the last joint action (mixed radix, firm
  0 most significant, as in :mod:`equilibria.applications.pricing.demand`).
- Ties in ``argmax`` go to the lowest grid index (as ``numpy.argmax``).
- Randomness: every session owns a SplitMix64 stream seeded from ``(seed, session index)``, so results do not depend
  on the number of threads or on which other sessions run. Each firm draws one 64-bit word per period: the high 32
  bits decide exploration (``u < eps_t`` with ``u`` on a 2^-32 lattice), the low 32 bits pick the explored action
  (``(low * m) >> 32``, bias below ``m / 2^32``). The first word of a session draws the initial state.
- Speed: per (firm, state) the kernel keeps the greedy action and the row maximum; a row is rescanned only when its
  greedy entry went down (about a quarter of the updates in the baseline), and convergence is a counter of periods
  since the last greedy change, so a period costs O(n) besides those rescans. (Tracking the runner-up too, to avoid
  the rescans, measured about 10% slower; interleaving two sessions per thread, slower still.) Sessions run in
  parallel (``prange``). :func:`reference_sessions` is the straightforward loop (full ``argmax`` every period, one
  thread) on the same random streams and :func:`python_sessions` the same in plain Python: all three return
  identical results, which the tests check.
- Time limit: with ``max_seconds`` a session reads a compiled monotonic clock
  (:func:`equilibria.core.compiled.leaf_clock`) every ``_CLOCK_EVERY`` periods and stops at the deadline, unfinished
  (``Sessions.finished`` is False; its other entries are then those of a session cut short). The sessions that
  finished are exactly those of an unlimited run. A first compilation of the kernel happens in another process
  within the limit (:func:`equilibria.core.compiled.ensure_compiled`); if it is not ready in time no session runs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import numba
import numpy as np
from numba import prange

from equilibria.applications.pricing.demand import ParameterError, PricingMarket
from equilibria.core.compiled import activate, ensure_compiled, leaf_clock
from equilibria.core.errors import GameError

MAX_Q_ENTRIES = 20_000_000  # n * m^(n k) * m floats per running session
# The most memory a run of sessions may hold (sessions_memory): results that need more are refused up front with
# the estimate (a billion sessions would need terabytes), never attempted until the allocation fails.
MAX_SESSIONS_BYTES = 4 * 2**30
MAX_INT64 = 2**63 - 1  # periods and counters are int64 in the compiled kernels
MAX_SEED = 2**64 - 1  # seeds are uint64

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_LOW32 = np.uint64(0xFFFFFFFF)
_S30, _S27, _S31, _S32 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(32)
_TWO_TO_MINUS_32 = 2.0**-32
_CLOCK_EVERY = 1024  # periods between two readings of the clock under a time limit (a reading costs ~30 ns)

Integer = int | np.integer[Any]  # what the compiled kernels' integers are to mypy


@dataclass(frozen=True)
class LearningParameters:
    """Q-learning and session parameters; the defaults are the paper's baseline."""

    alpha: float = 0.15
    beta: float = 4e-6
    delta: float = 0.95
    memory: int = 1
    convergence_window: int = 100_000
    max_periods: int = 1_000_000_000

    def __post_init__(self) -> None:
        for name in ("alpha", "beta", "delta"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
                raise ParameterError(name, f"LearningParameters: {name} must be a number, got {value!r}")
        if not (math.isfinite(self.alpha) and 0 < self.alpha <= 1):
            raise ParameterError("alpha", f"LearningParameters: alpha must be in (0, 1], got {self.alpha!r}")
        if not (math.isfinite(self.beta) and self.beta > 0):
            raise ParameterError("beta", f"LearningParameters: beta must be > 0, got {self.beta!r}")
        if math.exp(-self.beta) == 1.0:  # the kernels decay eps by the factor exp(-beta) each period
            raise ParameterError("beta", f"LearningParameters: beta = {self.beta!r} is so small that exp(-beta) "
                                         f"rounds to 1: exploration would never decay (beta must be at least "
                                         f"about 1.2e-16)")
        if not (math.isfinite(self.delta) and 0 <= self.delta < 1):
            raise ParameterError("delta", f"LearningParameters: delta must be in [0, 1), got {self.delta!r}")
        for name in ("memory", "convergence_window", "max_periods"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise ParameterError(name, f"LearningParameters: {name} must be an integer >= 1, got {value!r}")
            if value > MAX_INT64:
                raise ParameterError(name, f"LearningParameters: {name} must be at most 2^63 - 1 (an int64), "
                                           f"got {value!r}")


@dataclass(frozen=True)
class Sessions:
    """Outcome of independent learning sessions (index ``r`` = session ``first_session + r``).

    Attributes:
      converged: ``(R,)`` bool, the greedy strategies were stable for ``convergence_window`` periods.
      periods: ``(R,)`` int64, periods run (at convergence, or ``max_periods``).
      greedy: ``(R, n, n_states)`` int16, each firm's final greedy grid index in every state.
      final_state: ``(R,)`` int64, the state after the last period.
      seconds: wall-clock time of the run.
      finished: ``(R,)`` bool, the session ran to convergence or ``max_periods``; False: a time limit stopped it
        (or it never started). None: every session finished (no time limit was given).
      stopped_because: why some sessions did not finish (one line), else None.
    """

    market: PricingMarket
    parameters: LearningParameters
    seed: int
    first_session: int
    converged: np.ndarray = field(repr=False)
    periods: np.ndarray = field(repr=False)
    greedy: np.ndarray = field(repr=False)
    final_state: np.ndarray = field(repr=False)
    seconds: float = 0.0
    finished: np.ndarray | None = field(default=None, repr=False)
    stopped_because: str | None = None

    @property
    def n_sessions(self) -> int:
        return int(self.converged.shape[0])

    @property
    def n_finished(self) -> int:
        return self.n_sessions if self.finished is None else int(self.finished.sum())

    def finished_only(self) -> Sessions:
        """The sessions that finished (all of them when none was stopped), in order."""
        if self.finished is None or self.finished.all():
            return self
        keep = self.finished
        return replace(self, converged=self.converged[keep], periods=self.periods[keep], greedy=self.greedy[keep],
                       final_state=self.final_state[keep], finished=self.finished[keep])

    @property
    def n_states(self) -> int:
        return int(self.greedy.shape[2])


def check_table_sizes(n_firms: int, n_prices: int, memory: int, where: str) -> int:
    """The number of states ``m^(n k)``, after checking that one session's Q tables (``n * m^(n k) * m`` entries)
    fit ``MAX_Q_ENTRIES``; the check runs on logarithms, so a huge ``k`` never builds a huge integer."""
    limit = math.log10(MAX_Q_ENTRIES) + 1e-9
    entries_log = math.log10(n_firms) + (n_firms * memory + 1) * math.log10(n_prices)
    if entries_log > limit:
        one_period_log = math.log10(n_firms) + (n_firms + 1) * math.log10(n_prices)  # the tables at memory 1
        blame = "memory" if one_period_log <= limit else ("n_prices" if n_firms == 2 else "n_firms")
        raise ParameterError(blame, f"{where}: n * m^(n k) * m = {n_firms} * {n_prices}^({n_firms} * {memory}) * "
                                    f"{n_prices} Q entries (about 10^{entries_log:.1f}) exceed {MAX_Q_ENTRIES}")
    return int(n_prices ** (n_firms * memory))


def sessions_memory(n_firms: int, n_prices: int, memory: int, sessions: int, *, threads: int | None = None,
                    analysis_horizon: int | None = None) -> int:
    """Bytes a run of ``sessions`` sessions holds at its peak (an estimate from the array sizes).

    Per session: the final greedy strategies (``n * m^(n k)`` int16), the flags, periods and final states, held
    twice while :func:`run_sessions_in_chunks` joins its chunks; with ``analysis_horizon`` also what
    :func:`~equilibria.applications.pricing.analysis.analyse_sessions` keeps (the impulse prices, ``(h + 1) * n``
    floats, and about 600 bytes of per-session Python objects). Per thread: one session's working tables (Q,
    ``n * m^(n k) * m`` floats; greedy actions and row maxima, ``n * m^(n k)`` each).
    """
    n_states = check_table_sizes(n_firms, n_prices, memory, "sessions_memory")
    threads = numba.get_num_threads() if threads is None else threads
    per_session = 2 * (n_firms * n_states * 2 + 1 + 8 + 8)
    if analysis_horizon is not None:
        per_session += (analysis_horizon + 1) * n_firms * 8 + 600
    return sessions * per_session + threads * n_firms * n_states * (n_prices * 8 + 16)


def check_sessions_memory(n_firms: int, n_prices: int, memory: int, sessions: int, where: str, *,
                          analysis_horizon: int | None = None) -> None:
    """Refuse (naming ``sessions``, with the estimate and the limit) a run that :func:`sessions_memory` puts above
    ``MAX_SESSIONS_BYTES``. ``where`` prefixes the message (nothing when empty)."""
    needed = sessions_memory(n_firms, n_prices, memory, sessions, analysis_horizon=analysis_horizon)
    if needed > MAX_SESSIONS_BYTES:
        prefix = f"{where}: " if where else ""
        raise ParameterError("sessions", f"{prefix}{sessions:,} sessions would need about {_gib(needed)} of memory "
                                         f"(n * m^(n k) greedy actions each), more than the limit of "
                                         f"{_gib(MAX_SESSIONS_BYTES)}; run fewer sessions per call (every session "
                                         f"owns its random stream, so runs in pieces give the same sessions)")


def _gib(n_bytes: int) -> str:
    return f"{n_bytes / 2**30:,.1f} GiB"


def _check_count(value: Any, name: str, low: int, high: int, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ParameterError(name, f"{where}: {name} must be an integer >= {low}, got {value!r}")
    if value > high:
        bound = f"2^{high.bit_length()} - 1" if high in (MAX_INT64, MAX_SEED) else f"{high:,}"
        raise ParameterError(name, f"{where}: {name} must be at most {bound}, got {value!r}")


def initial_q(market: PricingMarket, delta: float) -> np.ndarray:
    """``(n, m)``: ``Q_0[a_i] = mean over rivals' actions of pi_i(a_i, a_-i) / (1 - delta)`` in every state."""
    n, m = market.n_firms, market.n_prices
    table = market.profits.reshape((n,) + (m,) * n)
    q = np.empty((n, m))
    for i in range(n):
        rivals = tuple(j for j in range(n) if j != i)
        q[i] = table[i].mean(axis=rivals) / (1.0 - delta)  # table[i]'s axes are the firms' actions
    return q


def run_sessions(market: PricingMarket, parameters: LearningParameters | None = None, *, sessions: int = 1000,
                 seed: int = 0, first_session: int = 0, max_seconds: float | None = None) -> Sessions:
    """Run ``sessions`` independent sessions to convergence (or ``max_periods``) on all cores.

    ``max_seconds``: stop every session still running then (module docstring, "Time limit"); see
    ``Sessions.finished`` and :meth:`Sessions.finished_only`.
    """
    _check_seconds(max_seconds, "run_sessions")
    deadline = None if max_seconds is None else time.perf_counter() + max_seconds
    return _run(market, parameters, sessions, seed, first_session, reference=False, deadline=deadline,
                max_seconds=max_seconds)


def run_sessions_in_chunks(market: PricingMarket, parameters: LearningParameters | None = None, *, sessions: int,
                           seed: int = 0, chunks: int = 10,
                           progress: Callable[[Iterable[Any], str], Iterable[Any]] | None = None,
                           max_seconds: float | None = None) -> Sessions:
    """:func:`run_sessions` in ``chunks`` calls, so that ``progress`` (a progress-bar wrapper) can show it moving.

    The result is identical to one call: every session owns its random stream. ``max_seconds``: one time limit for
    all the chunks (chunks after it are not started; their sessions are not finished).
    """
    _check_seconds(max_seconds, "run_sessions_in_chunks")
    deadline = None if max_seconds is None else time.perf_counter() + max_seconds
    if isinstance(chunks, bool) or not isinstance(chunks, int) or chunks < 1:
        raise GameError(f"run_sessions_in_chunks: chunks must be an integer >= 1, got {chunks!r}")
    _check_count(sessions, "sessions", 1, MAX_INT64, "run_sessions_in_chunks")
    _check_count(seed, "seed", 0, MAX_SEED, "run_sessions_in_chunks")
    parameters = LearningParameters() if parameters is None else parameters
    check_sessions_memory(market.n_firms, market.n_prices, parameters.memory, int(sessions), "run_sessions_in_chunks")
    bounds = np.linspace(0, sessions, min(chunks, sessions) + 1).astype(int)
    pieces: Iterable[tuple[int, int]] = list(zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True))
    if progress is not None:
        pieces = progress(pieces, "Q-learning sessions")
    parts = [_run(market, parameters, hi - lo, seed, lo, reference=False, deadline=deadline, max_seconds=max_seconds)
             for lo, hi in pieces]
    finished = None if deadline is None else np.concatenate([p.finished for p in parts if p.finished is not None])
    n = int(sessions)
    stopped = None
    if finished is not None and not finished.all():
        note = next((p.stopped_because.partition(" (")[2][:-1] for p in parts
                     if p.stopped_because and p.stopped_because.endswith(")")), "")
        stopped = _stopped(max_seconds, int(finished.sum()), n, note)
    return Sessions(market, parts[0].parameters, int(seed), 0, np.concatenate([p.converged for p in parts]),
                    np.concatenate([p.periods for p in parts]), np.concatenate([p.greedy for p in parts]),
                    np.concatenate([p.final_state for p in parts]), sum(p.seconds for p in parts), finished, stopped)


def _stopped(max_seconds: float | None, finished: int, sessions: int, note: str) -> str:
    """The one-line reason a timed run gives when some sessions did not finish (``note``: why, in brackets)."""
    return (f"stopped at max_seconds={max_seconds:g}: {finished} of {sessions} sessions finished"
            + (f" ({note})" if note else ""))


def _check_seconds(max_seconds: Any, where: str) -> None:
    if max_seconds is None:
        return
    if (isinstance(max_seconds, bool) or not isinstance(max_seconds, int | float | np.integer | np.floating)
            or not math.isfinite(max_seconds) or max_seconds <= 0):
        raise ParameterError("max_seconds", f"{where}: max_seconds must be a positive number, got {max_seconds!r}")


def reference_sessions(market: PricingMarket, parameters: LearningParameters | None = None, *, sessions: int = 1,
                       seed: int = 0, first_session: int = 0) -> Sessions:
    """The same sessions through the plain loop (full argmax every period, one thread): the correctness oracle."""
    return _run(market, parameters, sessions, seed, first_session, reference=True)


def python_sessions(market: PricingMarket, parameters: LearningParameters | None = None, *, sessions: int = 1,
                    seed: int = 0, first_session: int = 0) -> Sessions:
    """The same sessions in plain Python (NumPy Q tables): the benchmark's per-step baseline and a third oracle."""
    parameters = LearningParameters() if parameters is None else parameters
    n, m, k = market.n_firms, market.n_prices, parameters.memory
    n_joint, n_states = m**n, m ** (n * k)
    started = time.perf_counter()
    results = [_python_session(market.profits.tolist(), initial_q(market, parameters.delta), n, m, n_joint, n_states,
                               parameters, _python_stream(seed, first_session + r)) for r in range(sessions)]
    return Sessions(market, parameters, int(seed), int(first_session), np.array([r[0] for r in results]),
                    np.array([r[1] for r in results], dtype=np.int64),
                    np.array([r[2] for r in results], dtype=np.int16).reshape(sessions, n, n_states),
                    np.array([r[3] for r in results], dtype=np.int64), time.perf_counter() - started)


_MASK64 = (1 << 64) - 1


def _python_mix(z: int) -> int:
    z = ((z ^ (z >> 30)) * int(_MIX1)) & _MASK64
    z = ((z ^ (z >> 27)) * int(_MIX2)) & _MASK64
    return z ^ (z >> 31)


def _python_stream(seed: int, session: int) -> int:
    return _python_mix(_python_mix((seed + int(_GOLDEN)) & _MASK64) ^ ((session * int(_MIX2)) & _MASK64))


def _python_session(profits: list[list[float]], q_init: np.ndarray, n: int, m: int, n_joint: int, n_states: int,
                    parameters: LearningParameters, rng: int) -> tuple[bool, int, list[list[int]], int]:
    q = np.repeat(q_init[:, None, :], n_states, axis=1)  # (n, S, m)
    alpha, delta, decay = parameters.alpha, parameters.delta, math.exp(-parameters.beta)
    rng = (rng + int(_GOLDEN)) & _MASK64
    state = ((_python_mix(rng) >> 32) * n_states) >> 32
    eps, stable, t = 1.0, 0, 0
    while t < parameters.max_periods:
        actions = []
        for i in range(n):
            rng = (rng + int(_GOLDEN)) & _MASK64
            word = _python_mix(rng)
            explore = (word >> 32) * _TWO_TO_MINUS_32 < eps
            actions.append(((word & 0xFFFFFFFF) * m) >> 32 if explore else int(np.argmax(q[i, state])))
        joint = 0
        for a in actions:
            joint = joint * m + a
        new_state = (state * n_joint + joint) % n_states
        changed = False
        for i, a in enumerate(actions):
            before = int(np.argmax(q[i, state]))
            target = profits[i][joint] + delta * float(np.max(q[i, new_state]))
            q[i, state, a] = q[i, state, a] + alpha * (target - q[i, state, a])
            changed = changed or int(np.argmax(q[i, state])) != before
        state, t, eps = new_state, t + 1, eps * decay
        stable = 0 if changed else stable + 1
        if stable >= parameters.convergence_window:
            break
    return stable >= parameters.convergence_window, t, np.argmax(q, axis=2).tolist(), int(state)


def _run(market: PricingMarket, parameters: LearningParameters | None, sessions: int, seed: int, first_session: int,
         *, reference: bool, deadline: float | None = None, max_seconds: float | None = None) -> Sessions:
    """The sessions; ``deadline`` (``time.perf_counter``, the fast kernel only): stop them then."""
    where = "reference_sessions" if reference else "run_sessions"
    parameters = LearningParameters() if parameters is None else parameters
    _check_count(sessions, "sessions", 1, MAX_INT64, where)
    _check_count(seed, "seed", 0, MAX_SEED, where)
    _check_count(first_session, "first_session", 0, MAX_INT64 - int(sessions), where)
    n, m = market.n_firms, market.n_prices
    n_states = check_table_sizes(n, m, parameters.memory, where)
    check_sessions_memory(n, m, parameters.memory, int(sessions), where)
    converged = np.zeros(sessions, dtype=np.bool_)
    periods = np.zeros(sessions, dtype=np.int64)
    greedy = np.zeros((sessions, n, n_states), dtype=np.int16)
    final_state = np.zeros(sessions, dtype=np.int64)
    started = time.perf_counter()
    arguments = (np.ascontiguousarray(market.profits, dtype=np.float64), initial_q(market, parameters.delta), n, m,
                 parameters.memory, parameters.alpha, parameters.delta, math.exp(-parameters.beta),
                 parameters.convergence_window, parameters.max_periods, np.uint64(seed), first_session,
                 converged, periods, greedy, final_state)
    if reference:
        _reference_sessions(*arguments)
        return Sessions(market, parameters, int(seed), int(first_session), converged, periods, greedy, final_state,
                        time.perf_counter() - started)
    finished = np.ones(sessions, dtype=np.bool_)
    stop_at: Any = np.int64(0)  # the kernel's deadline on the compiled clock; 0: none, it never reads the clock
    if deadline is not None and time.perf_counter() >= deadline:  # a later chunk (run_sessions_in_chunks)
        finished[:] = False
        return Sessions(market, parameters, int(seed), int(first_session), converged, periods, greedy, final_state,
                        0.0, finished, _stopped(max_seconds, 0, sessions, ""))
    elif deadline is not None:
        compilation = ensure_compiled(_parallel_sessions, *arguments, np.int64(1), finished,
                                      timeout=max(0.0, deadline - time.perf_counter()))
        if not compilation.ready:
            finished[:] = False
            return Sessions(market, parameters, int(seed), int(first_session), converged, periods, greedy,
                            final_state, time.perf_counter() - started, finished,
                            _stopped(max_seconds, 0, sessions, compilation.note))
        # The compiled clock's deadline, in its own units (only differences of its readings mean anything).
        left = deadline - time.perf_counter()
        stop_at = np.int64(max(1, _clock() + int(left * 1e9))) if left > 0 else np.int64(1)
    # Hand out sessions one at a time: on a shared machine a thread that gets less CPU then simply takes fewer.
    with numba.parallel_chunksize(1):
        _parallel_sessions(*arguments, stop_at, finished)
    stopped = None
    if deadline is not None and not finished.all():
        stopped = _stopped(max_seconds, int(finished.sum()), sessions, "")
    return Sessions(market, parameters, int(seed), int(first_session), converged, periods, greedy, final_state,
                    time.perf_counter() - started, None if deadline is None else finished, stopped)


# -- compiled kernels ----------------------------------------------------------------------------------------------


@numba.njit(cache=True, inline="always")
def _mix64(z: np.uint64) -> np.uint64:
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@numba.njit(cache=True, inline="always")
def _next(state: np.uint64) -> tuple[np.uint64, np.uint64]:
    """SplitMix64: the new state and one 64-bit output."""
    state = state + _GOLDEN
    return state, _mix64(state)


@numba.njit(cache=True)
def _session_stream(seed: np.uint64, session: int) -> np.uint64:
    return _mix64(_mix64(seed + _GOLDEN) ^ (np.uint64(session) * _MIX2))


@numba.njit(cache=True, inline="always")
def _choose(word: np.uint64, eps: float, m: int, greedy_action: Integer) -> Integer:
    if np.float64(word >> _S32) * _TWO_TO_MINUS_32 < eps:
        return np.int64(((word & _LOW32) * np.uint64(m)) >> _S32)
    return np.int64(greedy_action)


@numba.njit(cache=True, inline="always")
def _row_argmax(q: np.ndarray, start: int, m: int) -> tuple[int, float]:
    best, top = 0, q[start]
    for a in range(1, m):
        if q[start + a] > top:
            best, top = a, q[start + a]
    return best, top


@numba.njit(cache=True, inline="always")
def _beats(value: float, action: Integer, other_value: float, other_action: Integer) -> bool | np.bool_:
    """The greedy order: larger Q first, then the lower grid index (so greedy = numpy.argmax)."""
    return value > other_value or (value == other_value and action < other_action)


# This module compiles with numba itself (parallel sessions), so compiling is active from its import on: numba
# must find the clock's dispatcher in this module's globals, not a waiting Kernel (one activated in the middle of
# typing a session failed to inline with a cold cache: "name '_monotonic_ns' is not defined").
activate()
_clock = leaf_clock()


@numba.njit(cache=True)
def _fast_session(profits: np.ndarray, q_init: np.ndarray, n: int, m: int, memory: int, alpha: float, delta: float,
                  decay: float, window: int, max_periods: int, rng: np.uint64, greedy_out: np.ndarray,
                  deadline: int) -> tuple[bool, int, Integer, bool]:
    """One session; ``deadline``: a reading of ``_clock`` to stop at (0: none). Returns (converged, periods,
    final state, finished)."""
    if deadline != 0 and _clock() > deadline:  # not started: spare the tables' set-up
        return False, 0, np.int64(0), False
    n_joint = m**n
    n_states = n_joint**memory
    q = np.empty(n * n_states * m)
    # Per row (firm i, state s) at i * n_states + s: the greedy action (first argmax) and the row maximum.
    greedy = np.empty(n * n_states, dtype=np.int64)
    top = np.empty(n * n_states)
    for i in range(n):
        best, value = _row_argmax(q_init[i], 0, m)
        for s in range(n_states):
            row = i * n_states + s
            q[row * m:(row + 1) * m] = q_init[i]
            greedy[row], top[row] = best, value
    rng, word = _next(rng)
    state: Integer = np.int64(((word >> _S32) * np.uint64(n_states)) >> _S32)
    actions = np.empty(n, dtype=np.int64)
    eps, stable, t = 1.0, 0, 0
    finished = True
    while t < max_periods:
        if deadline != 0 and t % _CLOCK_EVERY == 0 and _clock() > deadline:
            finished = False
            break
        # word >> 32 < ceil(eps 2^32) is exactly (word >> 32) 2^-32 < eps, the reference's test.
        threshold = np.uint64(math.ceil(eps * 4294967296.0))
        joint = 0
        for i in range(n):
            rng, word = _next(rng)
            explored = np.int64(((word & _LOW32) * np.uint64(m)) >> _S32)
            a: Integer = explored if (word >> _S32) < threshold else greedy[i * n_states + state]
            actions[i] = a
            joint = joint * m + a
        new_state = joint if memory == 1 else (state * n_joint + joint) % n_states
        changed = False
        for i in range(n):
            row = i * n_states + state
            a = actions[i]
            target = profits[i, joint] + delta * top[i * n_states + new_state]
            index = row * m + a
            value = q[index] + alpha * (target - q[index])
            q[index] = value
            g = greedy[row]
            if a == g:
                if value >= top[row]:
                    top[row] = value
                else:  # the greedy entry went down: only now can another action overtake it
                    best, best_value = _row_argmax(q, row * m, m)
                    top[row] = best_value
                    if best != g:
                        greedy[row] = best
                        changed = True
            elif _beats(value, a, top[row], g):
                greedy[row], top[row] = a, value
                changed = True
        state = new_state
        t += 1
        eps *= decay
        if changed:
            stable = 0
        else:
            stable += 1
            if stable >= window:
                break
    for i in range(n):
        for s in range(n_states):
            greedy_out[i, s] = greedy[i * n_states + s]
    return stable >= window, t, state, finished


@numba.njit(cache=True, parallel=True)
def _parallel_sessions(profits: np.ndarray, q_init: np.ndarray, n: int, m: int, memory: int, alpha: float,
                       delta: float, decay: float, window: int, max_periods: int, seed: np.uint64, first_session: int,
                       converged: np.ndarray, periods: np.ndarray, greedy: np.ndarray,
                       final_state: np.ndarray, deadline: int, finished: np.ndarray) -> None:
    for r in prange(converged.shape[0]):
        rng = _session_stream(seed, first_session + r)
        done, t, state, complete = _fast_session(profits, q_init, n, m, memory, alpha, delta, decay, window,
                                                 max_periods, rng, greedy[r], deadline)
        converged[r], periods[r], final_state[r], finished[r] = done, t, state, complete


@numba.njit(cache=True)
def _reference_session(profits: np.ndarray, q_init: np.ndarray, n: int, m: int, memory: int, alpha: float,
                       delta: float, decay: float, window: int, max_periods: int, rng: np.uint64,
                       greedy_out: np.ndarray) -> tuple[bool, int, Integer]:
    n_joint = m**n
    n_states = n_joint**memory
    q = np.empty((n, n_states, m))
    for i in range(n):
        for s in range(n_states):
            q[i, s] = q_init[i]
    rng, word = _next(rng)
    state: Integer = np.int64(((word >> _S32) * np.uint64(n_states)) >> _S32)
    actions = np.empty(n, dtype=np.int64)
    eps, stable, t = 1.0, 0, 0
    while t < max_periods:
        joint = 0
        for i in range(n):
            rng, word = _next(rng)
            a = _choose(word, eps, m, np.argmax(q[i, state]))
            actions[i] = a
            joint = joint * m + a
        new_state = joint if memory == 1 else (state * n_joint + joint) % n_states
        changed = False
        for i in range(n):
            before = np.argmax(q[i, state])
            target = profits[i, joint] + delta * np.max(q[i, new_state])
            q[i, state, actions[i]] = q[i, state, actions[i]] + alpha * (target - q[i, state, actions[i]])
            changed = changed or np.argmax(q[i, state]) != before
        state = new_state
        t += 1
        eps *= decay
        stable = 0 if changed else stable + 1
        if stable >= window:
            break
    for i in range(n):
        for s in range(n_states):
            greedy_out[i, s] = np.argmax(q[i, s])
    return stable >= window, t, state


@numba.njit(cache=True)
def _reference_sessions(profits: np.ndarray, q_init: np.ndarray, n: int, m: int, memory: int, alpha: float,
                        delta: float, decay: float, window: int, max_periods: int, seed: np.uint64, first_session: int,
                        converged: np.ndarray, periods: np.ndarray, greedy: np.ndarray,
                        final_state: np.ndarray) -> None:
    for r in range(converged.shape[0]):
        rng = _session_stream(seed, first_session + r)
        done, t, state = _reference_session(profits, q_init, n, m, memory, alpha, delta, decay, window, max_periods,
                                            rng, greedy[r])
        converged[r], periods[r], final_state[r] = done, t, state
