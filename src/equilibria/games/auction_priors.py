"""Value distributions of auction bidders (independent private values), each on a bounded interval ``[low, high]``.

A :class:`Prior` is frozen data: ``kind``, ``low``, ``high``, the kind's numbers ``params`` and, for tabulated kinds,
a quantile table. ``cdf``, ``pdf`` and ``quantile`` take NumPy or JAX arrays and return the same kind (JAX only when
given JAX: importing this module imports neither JAX nor SciPy). Sampling is the quantile of uniforms, with an
explicit JAX ``key`` (:meth:`Prior.sample`) or NumPy ``Generator`` (:meth:`Prior.sample_numpy`): no global RNG.

Kinds (the text form :func:`parse_prior` reads is in brackets; :attr:`Prior.text` writes it back):

- ``uniform`` [``uniform:LOW:HIGH``]: ``F(v) = (v - low) / (high - low)``.
- ``power`` [``power:A``, on ``[0, 1]``; ``power:A:LOW:HIGH`` scaled]: ``F(v) = ((v - low) / (high - low))**A``.
- ``truncated_normal`` [``normal:MEAN:SD:LOW:HIGH``]: a normal conditioned on ``[low, high]``.
- ``tabulated`` (:func:`from_scipy`): a SciPy frozen distribution conditioned on ``[low, high]`` and stored as a
  table of its quantile function on a grid of probabilities (denser near 0 and 1), linearly interpolated. This is
  an approximation of the distribution (a piecewise-uniform density), exact at the table's points.
- ``empirical`` (:func:`from_samples`): the samples' order statistics at probabilities ``k / (m - 1)``, linearly
  interpolated: a continuous version of the empirical distribution (its mean is the trapezoid mean of the table).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from equilibria.core.errors import GameError

Array = Any

KINDS = ("uniform", "power", "truncated_normal", "empirical", "tabulated")
_TABLE_POINTS = 4097


def _is_jax(x: Any) -> bool:
    return type(x).__module__.startswith("jax")


def _xp(x: Any) -> tuple[Any, Array]:
    if _is_jax(x):
        import jax.numpy as jnp

        return jnp, (x if jnp.issubdtype(x.dtype, jnp.floating) else x.astype(jnp.result_type(float)))
    return np, np.asarray(x, dtype=float)


def _special(xp: Any) -> Any:
    """``ndtr``/``ndtri`` from jax.scipy.special or scipy.special (imported when a normal prior is evaluated)."""
    if xp is np:
        import scipy.special

        return scipy.special
    import jax.scipy.special

    return jax.scipy.special


def _normal_cdf(x: float) -> float:
    """The standard normal cdf of a Python float (constants: computed without JAX, so they stay concrete in jit)."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _number_text(x: float) -> str:
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


@dataclass(frozen=True, eq=False)
class Prior:
    """A value distribution on ``[low, high]`` (module docstring). ``params``: ``()`` (uniform), ``(A,)`` (power),
    ``(mean, sd)`` (truncated normal); ``probabilities``/``quantiles``: the table ``[K]`` of tabulated kinds."""

    kind: str
    low: float
    high: float
    params: tuple[float, ...] = ()
    probabilities: np.ndarray | None = field(default=None, repr=False)
    quantiles: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise GameError(f"Prior: kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        low, high = float(self.low), float(self.high)
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise GameError(f"Prior: need finite low < high, got [{self.low!r}, {self.high!r}]")
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)
        params = tuple(float(p) for p in self.params)
        object.__setattr__(self, "params", params)
        expected = {"uniform": 0, "power": 1, "truncated_normal": 2, "empirical": 0, "tabulated": 0}[self.kind]
        if len(params) != expected or not all(math.isfinite(p) for p in params):
            raise GameError(f"Prior: {self.kind} takes {expected} finite parameters, got {list(params)}")
        if self.kind == "power" and not params[0] > 0:
            raise GameError(f"Prior: power needs an exponent A > 0, got {params[0]!r}")
        if self.kind == "truncated_normal" and not params[1] > 0:
            raise GameError(f"Prior: truncated_normal needs sd > 0, got {params[1]!r}")
        if self.kind in ("empirical", "tabulated"):
            if self.probabilities is None or self.quantiles is None:
                raise GameError(f"Prior: {self.kind} needs its probabilities and quantiles table")
            p = np.asarray(self.probabilities, dtype=float)
            q = np.asarray(self.quantiles, dtype=float)
            if p.ndim != 1 or p.shape != q.shape or p.size < 2 or p[0] != 0 or p[-1] != 1 or (np.diff(p) <= 0).any() \
                    or (np.diff(q) < 0).any() or not np.isfinite(q).all():
                raise GameError(f"Prior: {self.kind}'s table must run from probability 0 to 1 with non-decreasing "
                                "finite quantiles")
            p.setflags(write=False)
            q.setflags(write=False)
            object.__setattr__(self, "probabilities", p)
            object.__setattr__(self, "quantiles", q)

    # -- the distribution ---------------------------------------------------------------------------------------

    @property
    def text(self) -> str:
        """The text form :func:`parse_prior` reads (tabulated kinds: a description, not parseable)."""
        lo, hi = _number_text(self.low), _number_text(self.high)
        if self.kind == "uniform":
            return f"uniform:{lo}:{hi}"
        if self.kind == "power":
            a = _number_text(self.params[0])
            return f"power:{a}" if (self.low, self.high) == (0.0, 1.0) else f"power:{a}:{lo}:{hi}"
        if self.kind == "truncated_normal":
            return f"normal:{_number_text(self.params[0])}:{_number_text(self.params[1])}:{lo}:{hi}"
        return f"{self.kind}[{self.quantiles.size if self.quantiles is not None else 0} points]:{lo}:{hi}"

    def __repr__(self) -> str:
        return f"Prior({self.text!r})"

    def _normal_bounds(self) -> tuple[float, float, bool]:
        """Standardised bounds, reflected into the left tail when that is more accurate (``reflected``)."""
        mean, sd = self.params
        a, b = (self.low - mean) / sd, (self.high - mean) / sd
        if a > 0:  # the interval is in the right tail: work with -X, whose interval is in the left one
            return -b, -a, True
        return a, b, False

    def cdf(self, x: Array) -> Array:
        """``F(x)``, 0 below ``low`` and 1 above ``high``."""
        xp, x = _xp(x)
        width = self.high - self.low
        if self.kind == "uniform":
            return xp.clip((x - self.low) / width, 0.0, 1.0)
        if self.kind == "power":
            return xp.clip((x - self.low) / width, 0.0, 1.0) ** self.params[0]
        if self.kind == "truncated_normal":
            special = _special(xp)
            mean, sd = self.params
            a, b, reflected = self._normal_bounds()
            lo, z = _normal_cdf(a), _normal_cdf(b) - _normal_cdf(a)
            xc = xp.clip(x, self.low, self.high)
            if reflected:
                inner = (_normal_cdf(b) - special.ndtr(-(xc - mean) / sd)) / z
            else:
                inner = (special.ndtr((xc - mean) / sd) - lo) / z
            # exactly 0 and 1 at the ends (the constants and the array function may differ in the last bits)
            return xp.where(x <= self.low, 0.0, xp.where(x >= self.high, 1.0, xp.clip(inner, 0.0, 1.0)))
        return xp.interp(x, xp.asarray(self.quantiles, dtype=x.dtype), xp.asarray(self.probabilities, dtype=x.dtype))

    def pdf(self, x: Array) -> Array:
        """The density ``f(x)`` (0 outside ``[low, high]``; tabulated kinds: piecewise constant, atoms ignored)."""
        xp, x = _xp(x)
        inside = (x >= self.low) & (x <= self.high)
        width = self.high - self.low
        if self.kind == "uniform":
            return xp.where(inside, 1.0 / width, 0.0)
        if self.kind == "power":
            a = self.params[0]
            t = xp.clip((x - self.low) / width, 0.0, 1.0)
            # a < 1 has an infinite density at low: t**(a-1) is inf there, as it should be
            with np.errstate(divide="ignore"):
                return xp.where(inside, a * t ** (a - 1.0) / width, 0.0)
        if self.kind == "truncated_normal":
            mean, sd = self.params
            a, b, _ = self._normal_bounds()
            z = _normal_cdf(b) - _normal_cdf(a)
            u = (x - mean) / sd
            return xp.where(inside, xp.exp(-0.5 * u * u) / (math.sqrt(2 * math.pi) * sd * z), 0.0)
        p, q = np.asarray(self.probabilities), np.asarray(self.quantiles)
        widths = np.diff(q)
        slopes = np.where(widths > 0, np.diff(p) / np.where(widths > 0, widths, 1.0), 0.0)
        segment = xp.clip(xp.searchsorted(xp.asarray(q), x, side="right") - 1, 0, slopes.size - 1)
        return xp.where(inside, xp.take(xp.asarray(slopes, dtype=x.dtype), segment), 0.0)

    def quantile(self, u: Array) -> Array:
        """``F^{-1}(u)`` for ``u`` in ``[0, 1]`` (clipped there)."""
        xp, u = _xp(u)
        u = xp.clip(u, 0.0, 1.0)
        width = self.high - self.low
        if self.kind == "uniform":
            return self.low + u * width
        if self.kind == "power":
            return self.low + width * u ** (1.0 / self.params[0])
        if self.kind == "truncated_normal":
            special = _special(xp)
            mean, sd = self.params
            a, b, reflected = self._normal_bounds()
            lo, hi = _normal_cdf(a), _normal_cdf(b)
            # reflected: X = mean - sd * Y, Y standard normal on [a, b], so F_X(x) = 1 - F_Y((mean - x) / sd)
            z = -special.ndtri(hi - u * (hi - lo)) if reflected else special.ndtri(lo + u * (hi - lo))
            return xp.clip(mean + sd * z, self.low, self.high)
        return xp.interp(u, xp.asarray(self.probabilities, dtype=u.dtype), xp.asarray(self.quantiles, dtype=u.dtype))

    @property
    def mean(self) -> float:
        """The expectation."""
        if self.kind == "uniform":
            return 0.5 * (self.low + self.high)
        if self.kind == "power":
            a = self.params[0]
            return self.low + (self.high - self.low) * a / (a + 1.0)
        if self.kind == "truncated_normal":
            mean, sd = self.params
            a, b = (self.low - mean) / sd, (self.high - mean) / sd
            z = _normal_cdf(b) - _normal_cdf(a) if a <= 0 else _normal_cdf(-a) - _normal_cdf(-b)
            phi = lambda t: math.exp(-0.5 * t * t) / math.sqrt(2 * math.pi)  # noqa: E731
            return float(np.clip(mean + sd * (phi(a) - phi(b)) / z, self.low, self.high))
        p, q = np.asarray(self.probabilities), np.asarray(self.quantiles)
        # the quantile function is piecewise linear: its integral over [0, 1] is the trapezoid sum
        return float(np.sum(np.diff(p) * 0.5 * (q[1:] + q[:-1])))

    def sample(self, key: Any, shape: int | Sequence[int]) -> Any:
        """``shape`` independent values (a JAX array), the quantile of uniforms drawn with ``key``."""
        import jax

        return self.quantile(jax.random.uniform(key, (shape,) if isinstance(shape, int) else tuple(shape)))

    def sample_numpy(self, rng: np.random.Generator, shape: int | Sequence[int]) -> np.ndarray:
        """``shape`` independent values (NumPy), the quantile of uniforms drawn from ``rng``."""
        if not isinstance(rng, np.random.Generator):
            raise GameError(f"Prior.sample_numpy: rng must be a numpy.random.Generator, got {type(rng).__name__}")
        return np.asarray(self.quantile(rng.random(shape)))


# -- construction ---------------------------------------------------------------------------------------------------


def _parse_numbers(text: str, parts: list[str], usage: str) -> list[float]:
    numbers = []
    for part in parts:
        try:
            number = float(part)
        except ValueError:
            raise GameError(f"prior {text!r}: {part!r} is not a number (expected {usage})") from None
        if not math.isfinite(number):
            raise GameError(f"prior {text!r}: {part!r} is not a finite number (expected {usage})")
        numbers.append(number)
    return numbers


_USAGE = {"uniform": "uniform:LOW:HIGH", "power": "power:A or power:A:LOW:HIGH",
          "normal": "normal:MEAN:SD:LOW:HIGH"}


def parse_prior(text: str) -> Prior:
    """The prior written as ``uniform:LOW:HIGH``, ``power:A`` (``F(v) = v**A`` on ``[0, 1]``; ``power:A:LOW:HIGH``
    scaled to ``[LOW, HIGH]``) or ``normal:MEAN:SD:LOW:HIGH`` (truncated). Errors are one line naming the text."""
    if not isinstance(text, str):
        raise GameError(f"prior must be text such as 'uniform:0:1', got {text!r}")
    kind, *parts = [p.strip() for p in text.strip().split(":")]
    kind = kind.lower()
    if kind not in _USAGE:
        raise GameError(f"prior {text!r}: unknown kind {kind!r} (expected {', '.join(_USAGE.values())})")
    usage = _USAGE[kind]
    allowed = {"uniform": (2,), "power": (1, 3), "normal": (4,)}[kind]
    if len(parts) not in allowed:
        raise GameError(f"prior {text!r}: expected {usage}")
    numbers = _parse_numbers(text, parts, usage)
    try:
        if kind == "uniform":
            return Prior("uniform", numbers[0], numbers[1])
        if kind == "power":
            low, high = (numbers[1], numbers[2]) if len(numbers) == 3 else (0.0, 1.0)
            return Prior("power", low, high, (numbers[0],))
        return Prior("truncated_normal", numbers[2], numbers[3], (numbers[0], numbers[1]))
    except GameError as error:
        raise GameError(f"prior {text!r}: {str(error).removeprefix('Prior: ')} (expected {usage})") from None


def from_scipy(frozen: Any, *, low: float | None = None, high: float | None = None,
               n_points: int = _TABLE_POINTS) -> Prior:
    """A ``tabulated`` prior from a SciPy frozen distribution conditioned on ``[low, high]``.

    ``low``/``high`` default to the distribution's support; an infinite end is replaced by the ``1e-6`` (resp.
    ``1 - 1e-6``) quantile. This is an approximation: the quantile function on ``n_points`` probabilities (denser
    near 0 and 1), linearly interpolated.
    """
    if not (hasattr(frozen, "ppf") and hasattr(frozen, "cdf")):
        raise GameError(f"from_scipy: expected a SciPy frozen distribution (with cdf and ppf), got "
                        f"{type(frozen).__name__}")
    if isinstance(n_points, bool) or not isinstance(n_points, int) or n_points < 3:
        raise GameError(f"from_scipy: n_points must be an integer >= 3, got {n_points!r}")
    support_low, support_high = (float(s) for s in frozen.support())
    low = (float(frozen.ppf(1e-6)) if not math.isfinite(support_low) else support_low) if low is None else float(low)
    high = (float(frozen.ppf(1 - 1e-6)) if not math.isfinite(support_high) else support_high) if high is None \
        else float(high)
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise GameError(f"from_scipy: need finite low < high, got [{low!r}, {high!r}]")
    f_low, f_high = float(frozen.cdf(low)), float(frozen.cdf(high))
    if not f_high > f_low:
        raise GameError(f"from_scipy: the distribution puts no mass on [{low!r}, {high!r}]")
    # probabilities clustered near 0 and 1, where the quantile function bends most
    probabilities = 0.5 - 0.5 * np.cos(np.linspace(0.0, math.pi, n_points))
    probabilities[0], probabilities[-1] = 0.0, 1.0
    quantiles = np.asarray(frozen.ppf(f_low + probabilities * (f_high - f_low)), dtype=float)
    quantiles[0], quantiles[-1] = low, high
    quantiles = np.clip(np.maximum.accumulate(np.nan_to_num(quantiles, nan=low)), low, high)
    return Prior("tabulated", low, high, probabilities=probabilities, quantiles=quantiles)


def from_samples(samples: Any) -> Prior:
    """An ``empirical`` prior from ``samples: [m]`` (m >= 2, finite, not all equal): order statistics at
    probabilities ``k / (m - 1)``, linearly interpolated (module docstring)."""
    values = np.sort(np.asarray(samples, dtype=float).reshape(-1))
    if values.size < 2 or not np.isfinite(values).all() or values[0] == values[-1]:
        raise GameError(f"from_samples: need at least 2 finite samples, not all equal, got {values.size}")
    probabilities = np.linspace(0.0, 1.0, values.size)
    return Prior("empirical", float(values[0]), float(values[-1]), probabilities=probabilities, quantiles=values)


def sample_values(priors: Sequence[Prior], key: Any, n_samples: int) -> Any:
    """``[n_samples, n_bidders]`` (JAX): independent values, bidder ``i``'s drawn from ``priors[i]``."""
    import jax
    import jax.numpy as jnp

    if not priors or not all(isinstance(p, Prior) for p in priors):
        raise GameError("sample_values: priors must be a non-empty sequence of Prior")
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise GameError(f"sample_values: n_samples must be a positive integer, got {n_samples!r}")
    keys = jax.random.split(key, len(priors))
    return jnp.stack([p.sample(k, (int(n_samples),)) for p, k in zip(priors, keys, strict=True)], axis=-1)
