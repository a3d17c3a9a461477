"""Exact solution of the square polynomial systems behind :mod:`equilibria.solvers.polynomial_enumeration`.

A system here is ``m`` polynomials in ``m`` unknowns with rational coefficients (sympy ring elements). Its
solutions are returned as *points*: tuples of coordinates that are either :class:`fractions.Fraction` (a rational
solution) or :class:`Algebraic` numbers (elements of ``Q[t] / (f)`` evaluated at one real root of an irreducible
``f`` of degree >= 2, held by a :class:`RealRoot` with a rational isolating interval). Both support exact
``+``, ``-``, ``*`` with integers and each other, and :func:`sign` decides signs exactly, so feasibility checks on
the points are exact.

Routes (:func:`solve_square_system`):

- no unknowns: the empty point;
- every polynomial of degree <= 1: exact Gaussian elimination over the rationals (a singular consistent system is
  reported positive-dimensional);
- otherwise a reduced Groebner basis in graded reverse lexicographic order (sympy's Buchberger algorithm), the
  zero-dimensionality test on its leading monomials, and FGLM to the lexicographic basis. When that basis is in
  *shape position*, ``{x_k - g_k(x_m) (k < m), p(x_m)}`` with ``p`` squarefree, the solutions are exactly
  ``x_m = root of p``, ``x_k = g_k(x_m)``. Otherwise the ideal is replaced by its radical (Seidenberg's lemma: add
  the squarefree part of each variable's eliminant) and the last coordinate by a linear form ``t = x_m +
  sum_k c_k x_k`` with integer ``c_k`` drawn by fixed seeds (shape lemma: a radical zero-dimensional ideal is in
  shape position for every separating linear form, all but finitely many); three forms are tried, with
  coefficients up to 10, 1000 and 10^6, before giving up (reported as ``"no shape position"``).
  ``p`` is factored over the rationals: linear factors give the rational solutions, every other factor's real
  roots are isolated exactly (sympy's ``Poly.intervals``) and refined by exact bisection.

Everything in this module is exact: no floating-point number decides anything. The only approximation is the one
a caller asks for with :meth:`RealRoot.enclosure` / :func:`approximation` (rational intervals of chosen width).
"""

from __future__ import annotations

import gc
import signal
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from equilibria.solvers._common import Budget

Number = Any  # Fraction | int | Algebraic
# Linear forms tried when the lexicographic basis is not in shape position: coefficients of x_1..x_{m-1} drawn
# from these ranges by fixed seeds (the same forms every run). Small ones keep coefficients small; larger ones
# separate the many coincident coordinates of symmetric games (coordination games).
_FORM_RANGES = (10, 1000, 10**6)


class OutOfTime(BaseException):  # noqa: N818 - a control-flow signal, like KeyboardInterrupt, not an error
    """Raised inside a computation when its ``max_seconds`` is up (a BaseException: sympy's ``except
    Exception`` clauses must not swallow it)."""


def is_out_of_time(error: BaseException) -> bool:
    """Whether ``error`` is :class:`OutOfTime`, or was caused by it (a SystemError wrapping it)."""
    while error is not None:
        if isinstance(error, OutOfTime):
            return True
        error = error.__cause__ or error.__context__  # type: ignore[assignment]
    return False


@contextmanager
def deadline(budget: Budget) -> Iterator[None]:
    """Interrupt the body with :class:`OutOfTime` when ``budget.max_seconds`` is up.

    A Groebner basis computation cannot stop itself part-way, so an interval timer (``SIGALRM``) raises inside
    it. Used only where that is safe and available: a time budget is set, this is the main thread, the platform
    has ``setitimer``, no other interval timer is running and nobody else handles ``SIGALRM``. Elsewhere the
    caller's checks between support systems are the only stops (one system may then overrun the budget).
    Where the signal lands inside a C-level callback, Python reports it as a ``SystemError`` caused by
    :class:`OutOfTime`: :func:`is_out_of_time` recognises both.
    """
    usable = (budget.max_seconds is not None and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread()
              and signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.SIG_IGN)
              and signal.getitimer(signal.ITIMER_REAL)[0] == 0)
    if not usable:
        yield
        return
    assert budget.max_seconds is not None

    armed = [True]

    def expire(signum: int, frame: Any) -> None:
        # Inside a garbage-collector callback (JAX installs one) the exception would be printed and dropped:
        # leave it to the next tick of the repeating timer.
        if not armed[0] or (frame is not None and any(getattr(callback, "__code__", None) is frame.f_code
                                                      for callback in gc.callbacks)):
            return
        raise OutOfTime

    previous = signal.signal(signal.SIGALRM, expire)
    try:
        # Repeating: an exception raised where Python cannot pass it on (a __del__) is lost; the next one is not.
        signal.setitimer(signal.ITIMER_REAL, max(budget.max_seconds - budget.elapsed(), 1e-4), 0.05)
        yield
    finally:
        # Disarmed first, by a plain store: Python runs a pending signal handler at calls and backward jumps, so
        # none runs before it. A tick that raised here, before the timer is stopped, would leave it running for
        # good, raising OutOfTime every 50 ms in whatever the process does next.
        armed[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# -- univariate polynomials: lists of Fractions, ascending powers -------------------------------------------


def _trim(c: list[Fraction]) -> list[Fraction]:
    while c and c[-1] == 0:
        c.pop()
    return c


def _reduce(c: list[Fraction], f: Sequence[Fraction]) -> list[Fraction]:
    """``c mod f`` for a monic ``f``."""
    c, d = list(c), len(f) - 1
    for k in range(len(c) - 1, d - 1, -1):
        lead = c[k]
        if lead:
            for j in range(d + 1):
                c[k - d + j] -= lead * f[j]
    return _trim(c[:d])


def _evaluate(c: Sequence[Fraction], x: Fraction) -> Fraction:
    value = Fraction(0)
    for coefficient in reversed(c):
        value = value * x + coefficient
    return value


def _interval_evaluate(c: Sequence[Fraction], lo: Fraction, hi: Fraction) -> tuple[Fraction, Fraction]:
    """An enclosure of ``{c(x) : lo <= x <= hi}`` (Horner's scheme in interval arithmetic)."""
    a = b = Fraction(0)
    for coefficient in reversed(c):
        products = (a * lo, a * hi, b * lo, b * hi)
        a, b = min(products) + coefficient, max(products) + coefficient
    return a, b


class RealRoot:
    """One real root of an irreducible polynomial ``f`` (monic, rational, degree >= 2), by an isolating interval.

    ``f`` has no rational root, so an interval endpoint is never the root and bisection never hits it.
    """

    __slots__ = ("f", "hi", "lo", "sign_lo")

    def __init__(self, f: Sequence[Fraction], lo: Fraction, hi: Fraction) -> None:
        self.f, self.lo, self.hi = tuple(f), lo, hi
        self.sign_lo = _evaluate(self.f, lo) > 0

    def bisect(self) -> None:
        mid = (self.lo + self.hi) / 2
        if (_evaluate(self.f, mid) > 0) == self.sign_lo:
            self.lo = mid
        else:
            self.hi = mid

    def enclosure(self, c: Sequence[Fraction], width: Fraction | None = None) -> tuple[Fraction, Fraction]:
        """An enclosure of ``c(root)``, of width <= ``width`` when given (the root's interval is refined)."""
        while True:
            lo, hi = _interval_evaluate(c, self.lo, self.hi)
            if width is None or hi - lo <= width:
                return lo, hi
            self.bisect()

    def sign(self, c: Sequence[Fraction]) -> int:
        """The exact sign of ``c(root)`` for ``c`` reduced modulo ``f`` (so zero only when ``c`` is zero)."""
        if not c:
            return 0
        while True:  # terminates: c(root) != 0 because f is the minimal polynomial and deg c < deg f
            lo, hi = _interval_evaluate(c, self.lo, self.hi)
            if lo > 0:
                return 1
            if hi < 0:
                return -1
            self.bisect()

    def approximate(self) -> float:
        return float((self.lo + self.hi) / 2)


class Algebraic:
    """``c(root)``: an element of ``Q[t] / (f)`` (coefficients ``c``, ascending) at one real root of ``f``."""

    __slots__ = ("c", "root")

    def __init__(self, c: Sequence[Fraction], root: RealRoot) -> None:
        self.c, self.root = _reduce(list(c), root.f), root

    def _coefficients(self, other: Any) -> list[Fraction] | None:
        if isinstance(other, Algebraic):
            return list(other.c)
        if isinstance(other, int | Fraction):
            return [Fraction(other)]
        return None

    def __add__(self, other: Any) -> Algebraic:
        c = self._coefficients(other)
        if c is None:
            return NotImplemented
        n = max(len(c), len(self.c))
        zero = Fraction(0)
        return Algebraic([(self.c[k] if k < len(self.c) else zero) + (c[k] if k < len(c) else zero)
                          for k in range(n)], self.root)

    __radd__ = __add__

    def __neg__(self) -> Algebraic:
        return Algebraic([-v for v in self.c], self.root)

    def __sub__(self, other: Any) -> Algebraic:
        return self + (-other)

    def __rsub__(self, other: Any) -> Algebraic:
        return (-self) + other

    def __mul__(self, other: Any) -> Algebraic:
        c = self._coefficients(other)
        if c is None:
            return NotImplemented
        if not c or not self.c:
            return Algebraic([], self.root)
        out = [Fraction(0)] * (len(c) + len(self.c) - 1)
        for i, a in enumerate(self.c):
            if a:
                for j, b in enumerate(c):
                    out[i + j] += a * b
        return Algebraic(out, self.root)

    __rmul__ = __mul__

    def __repr__(self) -> str:
        return f"Algebraic(~{float(sum(self.root.enclosure(self.c, Fraction(1, 10**9)))) / 2:.9g})"


def sign(x: Number) -> int:
    """The exact sign of a Fraction, int or :class:`Algebraic`."""
    if isinstance(x, Algebraic):
        return x.root.sign(x.c)
    return (x > 0) - (x < 0)


def approximation(x: Number, width: Fraction) -> tuple[Fraction, Fraction]:
    """A rational enclosure ``[lo, hi]`` of ``x`` with ``hi - lo <= width`` (``lo == hi == x`` when rational)."""
    if isinstance(x, Algebraic):
        return x.root.enclosure(x.c, width)
    return Fraction(x), Fraction(x)


# -- square systems ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SystemSolution:
    """The real solutions of a square system (``points``), and None or why they may not be all of them.

    ``affine``: for a consistent singular linear system, its solution set ``x = origin + directions @ z``
    (``origin: [m]``, ``directions: [m][d]``, ``z`` in ``Q^d``), so that a caller can decide its sign conditions.
    """

    points: list[tuple[Number, ...]]
    incomplete: str | None = None
    affine: tuple[list[Fraction], list[list[Fraction]]] | None = None


def solve_square_system(equations: Sequence[Any], n_vars: int) -> SystemSolution:
    """Every real isolated solution of ``equations`` (sympy ring elements over QQ in ``n_vars`` unknowns).

    ``incomplete`` is ``"positive-dimensional"`` when the complex solution set is not finite (its isolated
    points, if any, are not returned) and ``"no shape position"`` when no tried linear form separated the
    solutions; the points are then empty. Points come in increasing order of the separating coordinate.
    """
    equations = [p for p in equations if p]
    if any(p.is_ground for p in equations):
        return SystemSolution([])  # a nonzero constant equation: no solution
    if n_vars == 0:
        return SystemSolution([()])
    if all(max(sum(m) for m in p.itermonoms()) <= 1 for p in equations):
        return _solve_linear(equations, n_vars)
    return _solve_groebner(equations, n_vars)


def _solve_linear(equations: Sequence[Any], n_vars: int) -> SystemSolution:
    """Gaussian elimination over Q on ``sum_k a_k x_k + b = 0``."""
    rows = []
    for p in equations:
        row = [Fraction(0)] * (n_vars + 1)
        for monomial, coefficient in p.terms():
            value = Fraction(int(coefficient.numerator), int(coefficient.denominator))
            k = next((k for k, e in enumerate(monomial) if e), None)
            if k is None:
                row[n_vars] = -value  # constant term to the right-hand side
            else:
                row[k] = value
        rows.append(row)
    rank, pivots = 0, []
    for column in range(n_vars):
        pivot = next((r for r in range(rank, len(rows)) if rows[r][column] != 0), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        lead = rows[rank][column]
        rows[rank] = [v / lead for v in rows[rank]]
        for r in range(len(rows)):
            if r != rank and rows[r][column] != 0:
                factor = rows[r][column]
                rows[r] = [v - factor * w for v, w in zip(rows[r], rows[rank], strict=True)]
        pivots.append(column)
        rank += 1
    if any(all(v == 0 for v in row[:n_vars]) and row[n_vars] != 0 for row in rows):
        return SystemSolution([])
    solution = [Fraction(0)] * n_vars
    for r, column in enumerate(pivots):
        solution[column] = rows[r][n_vars]
    if rank == n_vars:
        return SystemSolution([tuple(solution)])
    # Free variables z: x_free = z, x_pivot = rhs - sum_free row[free] z (reduced row echelon form).
    free = [k for k in range(n_vars) if k not in pivots]
    directions = [[Fraction(int(k == f)) for f in free] for k in range(n_vars)]
    for r, column in enumerate(pivots):
        directions[column] = [-rows[r][f] for f in free]
    return SystemSolution([], "positive-dimensional", (solution, directions))


def _fraction(c: Any) -> Fraction:
    return Fraction(int(c.p), int(c.q))


def _groebner(exprs: Sequence[Any], gens: Sequence[Any]) -> Any:
    import sympy

    return sympy.groebner(list(exprs), *gens, order="grevlex", method="buchberger")


def _univariate(g: Any, var: Any) -> list[Fraction]:
    """Coefficients (ascending) of a sympy Poly that involves only ``var``, as Fractions."""
    import sympy

    c = [_fraction(v) for v in reversed(sympy.Poly(g.as_expr(), var).all_coeffs())]
    return _trim(c)


def _monic(c: list[Fraction]) -> list[Fraction]:
    return [v / c[-1] for v in c]


def _shape(lex: Any, gens: Sequence[Any]) -> tuple[list[Fraction], list[list[Fraction]]] | None:
    """``(p, [g_1, ..., g_{m-1}])`` when the lexicographic basis is ``{x_k - g_k(x_m), p(x_m)}`` (up to
    constant factors) with ``p`` squarefree; None otherwise."""
    import sympy

    m, last = len(gens), gens[-1]
    if len(lex.exprs) != m:
        return None
    univariate, parts = None, {}
    for g in lex.exprs:
        poly = sympy.Poly(g, *gens)
        if g.free_symbols <= {last}:
            univariate = poly
            continue
        leading = poly.monoms()[0]  # lex order: the leading monomial first
        k = next((k for k, e in enumerate(leading) if e), m)
        if k >= m - 1 or sum(leading) != 1 or k in parts:
            return None
        rest = (g - poly.coeffs()[0] * gens[k]) / poly.coeffs()[0]  # x_k + rest = 0
        if not rest.free_symbols <= {last}:
            return None
        parts[k] = _univariate(-rest, last)
    if univariate is None or len(parts) != m - 1:
        return None
    p = sympy.Poly(univariate.as_expr(), last)
    if p.degree() < 1 or sympy.gcd(p, p.diff(last)).degree() > 0:
        return None
    return _monic(_univariate(univariate.as_expr(), last)), [parts[k] for k in range(m - 1)]


def _solve_groebner(equations: Sequence[Any], n_vars: int) -> SystemSolution:
    import sympy

    gens = equations[0].ring.symbols
    exprs = [p.as_expr() for p in equations]
    basis = _groebner(exprs, gens)
    if basis.exprs == [1]:
        return SystemSolution([])
    if not basis.is_zero_dimensional:
        return SystemSolution([], "positive-dimensional")
    shape = _shape(basis.fglm("lex"), gens)
    if shape is not None:
        return SystemSolution(_points(shape, [Fraction(0)] * (n_vars - 1)))
    exprs = exprs + _squarefree_eliminants(exprs, gens)
    t = sympy.Symbol("t")
    for seed, bound in enumerate(_FORM_RANGES):
        draws = np.random.default_rng(seed).integers(-bound, bound + 1, size=n_vars - 1)
        c = [Fraction(int(v) or 1) for v in draws]
        # x_{m-1} = t - sum_k c_k x_k: t is the linear form x_{m-1} + sum_k c_k x_k.
        substitution = t - sum((int(v) * x for v, x in zip(c, gens, strict=False)), sympy.Integer(0))
        moved = [sympy.expand(e.subs(gens[-1], substitution)) for e in exprs]
        new_gens = (*gens[:-1], t)
        shape = _shape(_groebner(moved, new_gens).fglm("lex"), new_gens)
        if shape is not None:
            return SystemSolution(_points(shape, c))
    return SystemSolution([], "no shape position")


def _squarefree_eliminants(exprs: Sequence[Any], gens: Sequence[Any]) -> list[Any]:
    """Seidenberg's lemma: the squarefree parts of the univariate polynomials of the ideal in each variable;
    adding them to a zero-dimensional ideal gives its radical."""
    import sympy

    added = []
    for k, var in enumerate(gens):
        order = (*gens[:k], *gens[k + 1:], var)
        lex = _groebner(exprs, order).fglm("lex")
        eliminant = next(g for g in lex.exprs if g.free_symbols <= {var})
        poly = sympy.Poly(eliminant, var)
        part = sympy.sqf_part(poly)
        if part.degree() < poly.degree():
            added.append(part.as_expr())
    return added


def _points(shape: tuple[list[Fraction], list[list[Fraction]]], form: list[Fraction]) -> list[tuple[Number, ...]]:
    """The real solutions ``x_k = g_k(t)``, ``x_{m-1} = t - sum_k form_k g_k(t)`` over the real roots ``t`` of
    ``p``, in increasing order of ``t``."""
    import sympy

    p, parts = shape
    t = sympy.Symbol("t")
    poly = sympy.Poly([sympy.Rational(v.numerator, v.denominator) for v in reversed(p)], t)
    found: list[tuple[float, tuple[Number, ...]]] = []
    for factor, _ in poly.factor_list()[1]:
        f = _monic([_fraction(v) for v in reversed(factor.all_coeffs())])
        if len(f) == 2:
            root = -f[0]
            xs = [_evaluate(g, root) for g in parts]
            last = root - sum((c * x for c, x in zip(form, xs, strict=True)), Fraction(0))
            found.append((float(root), (*xs, last)))
            continue
        for (lo, hi), _ in factor.intervals():
            real = RealRoot(f, _fraction(sympy.Rational(lo)), _fraction(sympy.Rational(hi)))
            xs_alg = [Algebraic(g, real) for g in parts]
            last_alg = Algebraic([Fraction(0), Fraction(1)], real)
            for c, x in zip(form, xs_alg, strict=True):
                last_alg = last_alg - c * x
            found.append((real.approximate(), (*xs_alg, last_alg)))
    found.sort(key=lambda item: item[0])
    return [point for _, point in found]


def simplest_between(lo: Fraction, hi: Fraction) -> Fraction:
    """The fraction with the smallest denominator in ``[lo, hi]``, for ``0 <= lo <= hi`` (continued fractions)."""
    floor = lo.numerator // lo.denominator
    if floor == lo:
        return lo
    if floor + 1 <= hi:
        return Fraction(floor + 1)
    # lo and hi share the integer part: the simplest fraction between the reciprocals of the fractional parts.
    return floor + 1 / simplest_between(1 / (hi - floor), 1 / (lo - floor))


Inequality = tuple[list[Fraction], Fraction, bool]  # (a, b, strict): a @ z + b > 0 (strict) or >= 0
_FOURIER_MOTZKIN_LIMIT = 4000  # inequalities; past that the elimination gives up (undecided)


def affine_infeasible(inequalities: Sequence[Inequality], n_vars: int) -> bool | None:
    """Whether the system of affine inequalities has no solution ``z`` in ``Q^d``, by exact Fourier-Motzkin
    elimination (strict inequalities stay strict when combined with any other); None when it grows too big."""
    rows = [(list(a), b, strict) for a, b, strict in inequalities]
    for k in range(n_vars):
        positive = [r for r in rows if r[0][k] > 0]
        negative = [r for r in rows if r[0][k] < 0]
        rows = [r for r in rows if r[0][k] == 0]
        for a, b, strict in positive:
            for c, d, other in negative:
                # (-c_k) * (a z + b) + a_k * (c z + d): the z_k terms cancel.
                rows.append(([-c[k] * u + a[k] * v for u, v in zip(a, c, strict=True)], -c[k] * b + a[k] * d,
                             strict or other))
        rows = _distinct_rows(rows)
        if len(rows) > _FOURIER_MOTZKIN_LIMIT:
            return None
    return any(b < 0 or (strict and b == 0) for _, b, strict in rows)


def _distinct_rows(rows: list[Inequality]) -> list[Inequality]:
    """Rows scaled to a unit first nonzero |coefficient| (or |constant|), duplicates dropped."""
    seen: dict[tuple[tuple[Fraction, ...], Fraction], bool] = {}
    for a, b, strict in rows:
        lead = next((abs(v) for v in a if v), abs(b)) or Fraction(1)
        key = (tuple(v / lead for v in a), b / lead)
        seen[key] = seen.get(key, False) or strict
    return [(list(a), b, strict) for (a, b), strict in seen.items()]
