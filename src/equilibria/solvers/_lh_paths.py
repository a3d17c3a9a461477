"""Lemke-Howson paths: one resumable interface over the three engines (dense and revised float, exact), the
budgeted loop that follows one, and the game's payoffs in the forms the engines take.

A path drops one label at the artificial vertex and pivots until the variable that leaves carries that label; its
end, each vector normalised to sum 1, is an equilibrium ``(x: [m], y: [n])``. Pivots are counted per path (and
against ``max_iterations`` over every path a solve follows). Float paths on games with at most
``_DENSE_MAX_ENTRIES`` payoff entries run on the dense tableau, larger ones on the revised form.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from equilibria.games.normal_form import NormalFormGame
from equilibria.metrics.regret import KERNEL_MAX_ENTRIES
from equilibria.solvers._common import Budget
from equilibria.solvers._lh_common import (
    _DONE,
    _GROW,
    _POLISH,
    _STOPPED,
    _STUCK,
    _interpreted,
    _positive_floats,
)
from equilibria.solvers._lh_dense import _dense_views, _layout
from equilibria.solvers._lh_exact import _IntegerTableau, _positive_integers
from equilibria.solvers._lh_float_path import _POLISH_TOL, _VERTEX_TOL, _dense_solve, _float_strategy, _walk_revised
from equilibria.solvers._lh_revised import _REFACTOR_EVERY, _grown, _new_polytope, _refactorise

_TIME_CHECK_EVERY = 256  # pivots between wall-clock checks when max_seconds is set
_DENSE_MAX_ENTRIES = 128 * 128  # games with at most this many payoff entries use the dense tableau
_EVALUATE_MAX_ENTRIES = KERNEL_MAX_ENTRIES  # dense paths certify in the compiled call up to this many entries


class _Path:
    """A Lemke-Howson path in progress: ``advance`` pivots on, ``pivots`` counts, ``profile`` is set when it ends.

    ``advance(allowed)`` makes at most ``allowed`` pivots and returns ``"done"`` (``profile`` is the equilibrium),
    ``"stopped"`` (resumable) or ``"numerical"`` (round-off stopped a float path: no pivot row, a cycle, or a
    final vertex that misses its system). ``check_every`` is how many pivots to make between clock checks.
    """

    __slots__ = ("label", "pivots", "profile", "evaluation")
    check_every = _TIME_CHECK_EVERY

    def __init__(self, label: int) -> None:
        self.label = label
        self.pivots = 0
        self.profile: tuple[np.ndarray, np.ndarray] | None = None
        # The metrics layer's evaluation of ``profile``, when the path made one along with it: (payoffs, max regret)
        self.evaluation: tuple[np.ndarray, np.float64] | None = None

    def advance(self, allowed: int) -> str:  # pragma: no cover - every engine overrides it
        raise NotImplementedError


def _dense_buffers(m: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(work, keys, out)`` for a dense path of an ``m x n`` game (see :func:`_dense_solve`)."""
    work_size, keys, out_size = _dense_setup(m, n)
    return np.empty(work_size), keys, np.empty(out_size)


@functools.lru_cache(maxsize=64)
def _dense_setup(m: int, n: int) -> tuple[int, np.ndarray, int]:
    """``(work buffer length, Zobrist keys, out length)`` of an ``m x n`` game's dense paths, computed once.

    ``out`` has room for the metrics layer's numbers where its compiled loops apply (up to
    ``_EVALUATE_MAX_ENTRIES`` entries).
    """
    return _layout(m, n)[1], _zobrist_keys(m + n), m + n + 5 if m * n <= _EVALUATE_MAX_ENTRIES else m + n


def _dense_end(out: np.ndarray, m: int, n: int
               ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.float64] | None]:
    """``((x, y), evaluation)`` as :func:`_dense_solve` left them in ``out`` after ``_DONE``.

    The strategies are views of the path's own small buffer, which the result keeps; the evaluation
    ``(payoffs [2], max regret)`` is None where the call made none.
    """
    return (out[:m], out[m: m + n]), ((out[m + n: m + n + 2], out[m + n + 4]) if out.size > m + n else None)


class _DensePath(_Path):
    """Float path on dense tableaux kept in one flat work buffer."""

    __slots__ = ("payoffs", "work", "keys", "out")

    def __init__(self, payoffs: np.ndarray, label: int,
                 buffers: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None, pivots: int = 0) -> None:
        """``payoffs``: the game's ``[2, m, n]`` float64 payoffs, as given (the path maps them itself).

        ``buffers``, ``pivots``: those of a path that :func:`_dense_solve` stopped, to go on with it.
        """
        self.label, self.pivots, self.profile, self.evaluation = label, pivots, None, None
        self.payoffs = payoffs
        self.work, self.keys, self.out = _dense_buffers(*payoffs.shape[1:]) if buffers is None else buffers

    def advance(self, allowed: int) -> str:
        status, self.pivots = _dense_solve(self.work, self.keys, self.payoffs, self.label, allowed, self.pivots == 0,
                                           min(_POLISH_TOL, _VERTEX_TOL), self.out)
        if status == _STOPPED:
            return "stopped"
        _, m, n = self.payoffs.shape
        x: np.ndarray | None
        y: np.ndarray | None
        if status == _DONE:
            (x, y), self.evaluation = _dense_end(self.out, m, n)
        elif status == _POLISH:
            a, b = _positive_floats(self.payoffs[0]), _positive_floats(self.payoffs[1])
            p, q, _, _ = _interpreted(_dense_views)(self.work, m, n)
            x, y = _float_strategy(p, b.T, m, 0), _float_strategy(q, a, 0, m)
            if x is None or y is None:
                return "numerical"
        else:
            return "numerical"
        self.profile = (x, y)
        return "done"


class _RevisedPath(_Path):
    """Float path in revised form (``a, b`` in ``[1, 2]``; ``columns``: ``(B, A^T)`` C-contiguous, shared)."""

    __slots__ = ("a", "b", "p", "q", "walk", "keys")

    def __init__(self, a: np.ndarray, b: np.ndarray, label: int, columns: tuple[np.ndarray, np.ndarray]) -> None:
        super().__init__(label)
        m = a.shape[0]
        self.a, self.b = a, b
        self.p = _new_polytope(b.T, m, 0, columns=columns[0])
        self.q = _new_polytope(a, 0, m, columns=columns[1])
        self.walk = np.array([label, 0 if label < m else 1, 0, 0, 0, -1, -1, 1], dtype=np.int64)
        self.keys = _zobrist_keys(sum(a.shape))

    def advance(self, allowed: int) -> str:
        target = self.pivots + allowed
        while True:
            status = _walk_revised(self.p, self.q, self.walk, self.keys, self.label, target - self.pivots)
            self.pivots = int(self.walk[2])
            if status == _DONE:
                m = self.a.shape[0]
                x, y = _float_strategy(self.p, self.b.T, m, 0), _float_strategy(self.q, self.a, 0, m)
                if x is None or y is None:
                    return "numerical"
                self.profile = (x, y)
                return "done"
            if status == _STUCK:
                return "numerical"
            if status == _STOPPED:
                return "stopped"
            if status == _GROW:
                side = "p" if self.walk[1] == 0 else "q"
                setattr(self, side, _grown(getattr(self, side)))
            for poly in (self.p, self.q):  # _REFACTOR
                if poly.state[3] >= _REFACTOR_EVERY:
                    _refactorise(poly)


class _ExactPath(_Path):
    """Exact path on fraction-free integer tableaux (``a, b``: Python ints >= 1)."""

    __slots__ = ("x_labels", "y_labels", "p", "q", "entering", "tableau", "other")
    check_every = 1  # an exact pivot can take long: check the clock at every one

    def __init__(self, a: np.ndarray, b: np.ndarray, label: int) -> None:
        super().__init__(label)
        m, n = a.shape
        p_values, q_values = np.empty((n, m + 1), dtype=object), np.empty((m, n + 1), dtype=object)
        p_values[:, :m], p_values[:, m] = b.T, 1
        q_values[:, :n], q_values[:, n] = a, 1
        self.x_labels, self.y_labels = range(m), range(m, m + n)
        self.p = _IntegerTableau(p_values, self.y_labels, self.x_labels)
        self.q = _IntegerTableau(q_values, self.x_labels, self.y_labels)
        self.entering = label
        self.tableau, self.other = (self.p, self.q) if label < m else (self.q, self.p)

    def advance(self, allowed: int) -> str:
        for _ in range(allowed):
            leaving = self.tableau.enter(self.entering)
            self.pivots += 1
            if leaving == self.label:
                self.profile = (self.p.structural_solution(self.x_labels), self.q.structural_solution(self.y_labels))
                return "done"
            self.entering, self.tableau, self.other = leaving, self.other, self.tableau
        return "stopped"


@functools.lru_cache(maxsize=16)
def _zobrist_keys(n_labels: int) -> np.ndarray:
    """``[2, n_labels]`` fixed pseudo-random keys hashing a basis pair (see :func:`_advance`); read-only, shared.

    SplitMix64's outputs 1 to ``2 n_labels`` (Steele, Lea and Flood 2014): well mixed 64-bit keys without importing
    ``numpy.random`` (a hundredth of a second of a small solve's start-up). Unsigned arrays wrap silently."""
    z = np.arange(1, 2 * n_labels + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    keys = (z ^ (z >> np.uint64(31))).view(np.int64).reshape(2, n_labels)
    keys.setflags(write=False)
    return keys


def _follow(path: _Path, budget: Budget, spent: int, target: int | None = None) -> str:
    """Advance ``path`` until it ends or has ``target`` pivots (``"stopped"``) or ``budget`` runs out (``"budget"``).

    ``spent``: the pivots of other paths, which count against ``max_iterations`` too.
    """
    if budget.max_iterations is None and budget.max_seconds is None and target is not None:  # one call
        return path.advance(target - path.pivots) if path.pivots < target else "stopped"
    chunk = path.check_every if budget.max_seconds is not None else 2**62
    while target is None or path.pivots < target:
        if budget.exhausted(spent + path.pivots):
            return "budget"
        allowed = chunk if target is None else min(chunk, target - path.pivots)
        if budget.max_iterations is not None:
            allowed = min(allowed, budget.max_iterations - spent - path.pivots)
        status = path.advance(allowed)
        if status != "stopped":
            return status
    return "stopped"



class _Payoffs:
    """A game's payoff matrices made positive, each form computed on first use and kept for later paths."""

    __slots__ = ("game", "shape", "_floats", "_integers", "_columns")

    def __init__(self, game: NormalFormGame) -> None:
        self.game = game
        self.shape: tuple[int, int] = game.payoffs.shape[1:]
        self._floats: tuple[np.ndarray, np.ndarray] | None = None
        self._integers: tuple[np.ndarray, np.ndarray] | None = None
        self._columns: tuple[np.ndarray, np.ndarray] | None = None

    def floats(self) -> tuple[np.ndarray, np.ndarray]:
        """``(A, B)`` in ``[1, 2]``."""
        if self._floats is None:
            self._floats = (_positive_floats(self.game.payoffs[0]), _positive_floats(self.game.payoffs[1]))
        return self._floats

    def integers(self) -> tuple[np.ndarray, np.ndarray]:
        """``(A, B)`` as Python ints >= 1 (exact mode)."""
        if self._integers is None:
            exact = self.game.fraction_payoffs()
            self._integers = (_positive_integers(exact[0]), _positive_integers(exact[1]))
        return self._integers

    def new_path(self, label: int, rational: bool) -> _Path:
        """The path dropping ``label`` at its start, on the engine that suits the game."""
        if rational:
            return _ExactPath(*self.integers(), label)
        if _is_dense(*self.shape):
            return _DensePath(self.game.payoffs, label)
        a, b = self.floats()
        if self._columns is None:  # M^T of P and Q, shared by every revised path of this game
            self._columns = (np.ascontiguousarray(b), np.ascontiguousarray(a.T))
        return _RevisedPath(a, b, label, self._columns)


def _is_dense(m: int, n: int) -> bool:
    """Whether float paths of an ``m x n`` game run on the dense tableau rather than the revised form."""
    return m * n <= _DENSE_MAX_ENTRIES


def _as_floats(profile: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(profile[0], dtype=float), np.asarray(profile[1], dtype=float)


class _PathEnd(NamedTuple):
    """How one followed path (with its exact fallback) ended."""

    status: str  # as _follow's
    pivots: int  # over both attempts
    profile: tuple[np.ndarray, np.ndarray] | None  # the equilibrium, floats unless exact was asked for
    evaluation: tuple[np.ndarray, np.float64] | None  # see _Path.evaluation


def _one_path(payoffs: _Payoffs, label: int, budget: Budget, spent: int, rational: bool, *, fallback: bool = True,
              first: _Path | None = None) -> _PathEnd:
    """Follow the path that drops ``label``.

    With ``fallback``, a float path stopped by round-off is followed again in exact arithmetic (its pivots are
    added, its profile converted to floats). ``first``: that path, when it was already started (and stopped).
    """
    path = payoffs.new_path(label, rational) if first is None else first
    status = _follow(path, budget, spent)
    if status != "numerical" or not fallback:
        return _PathEnd(status, path.pivots, path.profile, path.evaluation)
    exact = payoffs.new_path(label, True)
    status = _follow(exact, budget, spent + path.pivots)
    profile = None if exact.profile is None else _as_floats(exact.profile)
    return _PathEnd(status, path.pivots + exact.pivots, profile, None)

