"""The attacker's side: FGSM, PGD (L-inf and L2, random restarts), the Square attack, and the linear closed form.

Conventions, shared by every attack:

- An attack takes ``apply(params, x) -> logits`` (one example ``x: [d] -> [K]``, e.g. ``model.logits``; a static
  argument of the compiled attack: pass the same function object again to reuse the compilation) and ``params``,
  clean inputs ``x: [n, d]``, labels ``y: [n]``, ``eps`` (the radius, in the data's units), ``norm`` (``"linf"`` or
  ``"l2"``), the input box ``lower``/``upper`` (floats, possibly infinite) and a ``key``; it returns
  :class:`Attack`: the attacked inputs ``x_adv: [n, d]`` and their margins. Same key, same result (all randomness
  comes from ``key``).
- Feasible set: ``{x' : ||x' - x|| <= eps} intersected with [lower, upper]^d``. For L-inf the projection onto it is
  exact (a box); for L2 the step projects onto the ball (``core.sets.Ball``) then clips to the box
  (``core.sets.Box``): clipping moves each coordinate toward ``x`` (which lies in the box), so the point stays in
  the ball. That is feasible, not the Euclidean projection onto the intersection (foolbox and advertorch do the same).
- Margin ``z_y - max_{j != y} z_j`` (:func:`~equilibria.applications.adversarial.models.margins`): an example is
  robust under an attack iff its margin stays > 0. Gradient attacks ascend ``loss`` (``"ce"`` cross-entropy or
  ``"margin"``, the negative margin, Carlini-Wagner's); per example, the point of lowest margin over the iterates
  and restarts is kept ("the worst per example"), the clean point included, so attacked accuracy <= clean accuracy.
- Step sizes: L-inf steps move ``step_size * sign(grad)``, L2 steps ``step_size * grad / ||grad||`` (per example).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from equilibria.applications.adversarial.models import cross_entropy, margins
from equilibria.core.checks import positive_int, positive_number
from equilibria.core.errors import GameError
from equilibria.core.sets import Ball, Box

LogitsFn = Callable[[jax.Array], jax.Array]
Apply = Callable[[Any, jax.Array], jax.Array]
NORMS = ("linf", "l2")
LOSSES = ("ce", "margin")


class Attack(NamedTuple):
    """``x_adv: [n, d]`` the attacked inputs (feasible), ``margins: [n]`` their margins."""

    x_adv: jax.Array
    margins: jax.Array


def check_eps(eps: float, caller: str) -> float:
    if isinstance(eps, bool) or not isinstance(eps, int | float) or not math.isfinite(eps) or eps < 0:
        raise GameError(f"{caller}: eps must be a finite number >= 0, got {eps!r}")
    return float(eps)


def check_norm(norm: str, caller: str) -> str:
    if norm not in NORMS:
        raise GameError(f"{caller}: norm must be one of {', '.join(NORMS)}, got {norm!r}")
    return norm


def check_settings(eps: float, norm: str, step_size: float | None, caller: str, step_size_name: str) -> None:
    """The attack settings a training configuration carries: ``eps``, ``norm`` and an optional step size."""
    check_eps(eps, caller)
    check_norm(norm, caller)
    if step_size is not None:
        positive_number(step_size, step_size_name, caller)


def madry_step_size(eps: float, steps: int, step_size: float | None = None) -> float:
    """``step_size`` when given, else Madry et al.'s rule ``2.5 * eps / steps`` (the iterates can cross the ball)."""
    return 2.5 * eps / steps if step_size is None else step_size


def project(x_adv: jax.Array, x: jax.Array, eps: Any, norm: str, lower: float, upper: float) -> jax.Array:
    """``x_adv: [n, d]`` moved into the feasible set around ``x: [n, d]`` (see the module docstring).

    ``eps`` may be traced (one compiled attack serves every radius): the step scales ``delta`` to the unit ball,
    projects with ``core.sets.Box(-1, 1)`` (L-inf) or ``core.sets.Ball(1)`` per row (L2), and scales back, which is
    the projection onto the eps-ball (``eps = 0`` gives ``delta = 0``).
    """
    scale = jnp.maximum(eps, 1e-30)
    unit = (x_adv - x) / scale
    unit = Box(-1.0, 1.0).project(unit) if norm == "linf" else jax.vmap(Ball(1.0).project)(unit)
    return Box(lower, upper).project(x + eps * unit)


def random_start(key: jax.Array, x: jax.Array, eps: float, norm: str, lower: float, upper: float) -> jax.Array:
    """A uniform point of the ``eps``-ball around each row of ``x: [n, d]`` (then clipped to the box)."""
    n, d = x.shape
    if norm == "linf":
        delta = jax.random.uniform(key, x.shape, minval=-eps, maxval=eps)
    else:
        direction_key, radius_key = jax.random.split(key)
        direction = jax.random.normal(direction_key, x.shape)
        direction = direction / jnp.maximum(jnp.linalg.norm(direction, axis=1, keepdims=True), 1e-12)
        radius = eps * jax.random.uniform(radius_key, (n, 1)) ** (1.0 / d)
        delta = direction * radius
    return project(x + delta, x, eps, norm, lower, upper)


def _batch_loss(logits_fn: LogitsFn, loss: str, x: jax.Array, y: jax.Array) -> jax.Array:
    logits = jax.vmap(logits_fn)(x)
    per_example = cross_entropy(logits, y) if loss == "ce" else -margins(logits, y)
    return per_example.sum()  # examples are independent: the gradient of the sum is each example's gradient


def _ascent_direction(grad: jax.Array, norm: str) -> jax.Array:
    if norm == "linf":
        return jnp.sign(grad)
    return grad / jnp.maximum(jnp.linalg.norm(grad, axis=1, keepdims=True), 1e-12)


def _margins(logits_fn: LogitsFn, x: jax.Array, y: jax.Array) -> jax.Array:
    return margins(jax.vmap(logits_fn)(x), y)


def keep_worse(best: Attack, candidate: Attack) -> Attack:
    """Per example, the point of lower margin."""
    worse = candidate.margins < best.margins
    return Attack(jnp.where(worse[:, None], candidate.x_adv, best.x_adv), jnp.minimum(candidate.margins,
                                                                                       best.margins))


def _pgd_run(logits_fn: LogitsFn, x: jax.Array, y: jax.Array, start: jax.Array, best: Attack, eps: float, norm: str,
             steps: int, step_size: float, lower: float, upper: float, loss: str) -> Attack:
    grad_fn = jax.grad(functools.partial(_batch_loss, logits_fn, loss))

    def body(carry: tuple[jax.Array, Attack], _: None) -> tuple[tuple[jax.Array, Attack], None]:
        x_adv, kept = carry
        moved = x_adv + step_size * _ascent_direction(grad_fn(x_adv, y), norm)
        x_adv = project(moved, x, eps, norm, lower, upper)
        return (x_adv, keep_worse(kept, Attack(x_adv, _margins(logits_fn, x_adv, y)))), None

    first = keep_worse(best, Attack(start, _margins(logits_fn, start, y)))
    (_, kept), _ = jax.lax.scan(body, (start, first), None, length=steps)
    return kept


def pgd(apply: Apply, params: Any, x: ArrayLike, y: ArrayLike, *, eps: float, norm: str = "linf", steps: int = 20,
        step_size: float | None = None, restarts: int = 1, random_init: bool = True, lower: float = -math.inf,
        upper: float = math.inf, loss: str = "ce", key: jax.Array) -> Attack:
    """Projected gradient ascent (Madry et al. 2018) from ``restarts`` random starts; the worst point per example.

    Args:
      step_size: default ``2.5 * eps / steps`` (Madry et al.'s rule).
      random_init: start at a uniform point of the ball (else the first restart starts at ``x``).
      loss: ``"ce"`` or ``"margin"`` (see the module docstring).
    """
    eps = check_eps(eps, "pgd")
    check_norm(norm, "pgd")
    positive_int(steps, "steps", "pgd")
    positive_int(restarts, "restarts", "pgd")
    if loss not in LOSSES:
        raise GameError(f"pgd: loss must be one of {', '.join(LOSSES)}, got {loss!r}")
    size = madry_step_size(eps, steps, step_size)
    return _pgd_jit(apply, params, jnp.asarray(x), jnp.asarray(y), key, eps, norm, steps, float(size), restarts,
                    random_init, float(lower), float(upper), loss)


@functools.partial(jax.jit, static_argnums=(0, 6, 7, 9, 10, 11, 12, 13))
def _pgd_jit(apply: Apply, params: Any, x: jax.Array, y: jax.Array, key: jax.Array, eps: float, norm: str,
             steps: int, step_size: float, restarts: int, random_init: bool, lower: float, upper: float,
             loss: str) -> Attack:
    logits_fn = functools.partial(apply, params)
    return pgd_traced(logits_fn, x, y, key, eps, norm, steps, step_size, restarts, random_init, lower, upper, loss)


def ascend(loss_fn: Callable[[jax.Array], jax.Array], x: jax.Array, start: jax.Array, *, eps: float, norm: str,
           steps: int, step_size: float, lower: float, upper: float) -> jax.Array:
    """The last iterate of ``steps`` projected ascent steps on ``loss_fn(x_adv: [n, d]) -> scalar`` (a sum of
    per-example losses) from ``start``; the lean inner loop of adversarial training (no worst-point tracking)."""
    grad_fn = jax.grad(loss_fn)

    def body(x_adv: jax.Array, _: None) -> tuple[jax.Array, None]:
        moved = x_adv + step_size * _ascent_direction(grad_fn(x_adv), norm)
        return project(moved, x, eps, norm, lower, upper), None

    x_adv, _ = jax.lax.scan(body, start, None, length=steps)
    return x_adv


def batch_cross_entropy(logits_fn: LogitsFn, y: jax.Array) -> Callable[[jax.Array], jax.Array]:
    """``x_adv: [n, d] -> sum of the per-example cross-entropies`` (the attacker's objective in PGD training)."""
    return functools.partial(_batch_loss_at, logits_fn, y)


def _batch_loss_at(logits_fn: LogitsFn, y: jax.Array, x_adv: jax.Array) -> jax.Array:
    return _batch_loss(logits_fn, "ce", x_adv, y)


def pgd_traced(logits_fn: LogitsFn, x: jax.Array, y: jax.Array, key: jax.Array, eps: float, norm: str, steps: int,
               step_size: float, restarts: int, random_init: bool, lower: float, upper: float,
               loss: str = "ce") -> Attack:
    """:func:`pgd` without argument checks, for use inside traced code (training steps)."""
    best = Attack(x, _margins(logits_fn, x, y))

    def restart(kept: Attack, rk: tuple[jax.Array, jax.Array]) -> tuple[Attack, None]:
        r, restart_key = rk
        start = random_start(restart_key, x, eps, norm, lower, upper)
        if not random_init:  # the first restart starts at x itself
            start = jnp.where(r == 0, x, start)
        return _pgd_run(logits_fn, x, y, start, kept, eps, norm, steps, step_size, lower, upper, loss), None

    # one scan over restarts: the compiled program does not grow with their number
    best, _ = jax.lax.scan(restart, best, (jnp.arange(restarts), jax.random.split(key, restarts)))
    return best


def fgsm(apply: Apply, params: Any, x: ArrayLike, y: ArrayLike, *, eps: float, norm: str = "linf",
         lower: float = -math.inf, upper: float = math.inf, key: jax.Array) -> Attack:
    """The fast gradient (sign) method (Goodfellow et al. 2015): one step of size ``eps`` from ``x`` along the
    loss's sign gradient (L2: normalised gradient). Deterministic; ``key`` is taken for the common signature."""
    eps = check_eps(eps, "fgsm")
    check_norm(norm, "fgsm")
    del key
    return _pgd_jit(apply, params, jnp.asarray(x), jnp.asarray(y), jax.random.PRNGKey(0), eps, norm, 1, eps, 1, False,
                    float(lower), float(upper), "ce")


def _square_fraction(i: jax.Array, iterations: int, p_init: float) -> jax.Array:
    """The paper's schedule: the window's share of the input halves at iterations 10, 50, 200, 500, 1000, 2000,
    4000, 6000, 8000 (rescaled to ``iterations / 10,000``)."""
    marks = jnp.asarray([10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000]) * iterations / 10_000
    return p_init / 2.0 ** jnp.sum(i >= marks)


def square(apply: Apply, params: Any, x: ArrayLike, y: ArrayLike, *, eps: float, iterations: int = 1000,
           p_init: float = 0.1, lower: float = -math.inf, upper: float = math.inf,
           image_shape: tuple[int, int] | None = None, key: jax.Array) -> Attack:
    """The Square attack in L-inf (Andriushchenko et al. 2020): a score-based random search, the black-box check.

    It queries logits only (no gradients), so a robust accuracy it cannot lower is not an artefact of gradient
    masking. Start: every coordinate at ``x +- eps`` (vertical stripes on images: one sign per column). Each
    iteration draws a window (a square of side ``round(sqrt(p h w))`` on images, a run of ``round(p d)``
    coordinates on flat inputs; ``p`` on the paper's schedule from ``p_init``) and a sign, moves the window's
    coordinates to ``x +- eps``, clips to the box, and keeps the move for each example whose margin fell. One
    forward pass per iteration, all examples at once.
    """
    eps = check_eps(eps, "square")
    positive_int(iterations, "iterations", "square")
    if not (isinstance(p_init, float) and 0.0 < p_init <= 1.0):
        raise GameError(f"square: p_init must be a float in (0, 1], got {p_init!r}")
    x = jnp.asarray(x)
    if image_shape is not None and image_shape[0] * image_shape[1] != x.shape[1]:
        raise GameError(f"square: image_shape {image_shape} does not hold d = {x.shape[1]} inputs")
    shape = image_shape if image_shape is not None else (1, int(x.shape[1]))
    return _square_jit(apply, params, x, jnp.asarray(y), key, eps, iterations, float(p_init), float(lower),
                       float(upper), tuple(shape), image_shape is not None)


@functools.partial(jax.jit, static_argnums=(0, 6, 7, 8, 9, 10, 11))
def _square_jit(apply: Apply, params: Any, x: jax.Array, y: jax.Array, key: jax.Array, eps: float, iterations: int,
                p_init: float, lower: float, upper: float, shape: tuple[int, int], square_window: bool) -> Attack:
    logits_fn = functools.partial(apply, params)
    n = x.shape[0]
    h, w = shape
    init_key, loop_key = jax.random.split(key)
    columns = jax.random.choice(init_key, jnp.asarray([-eps, eps]), (n, 1, w))
    start = project(x + jnp.broadcast_to(columns, (n, h, w)).reshape(n, -1), x, eps, "linf", lower, upper)
    best = keep_worse(Attack(x, _margins(logits_fn, x, y)), Attack(start, _margins(logits_fn, start, y)))
    rows, cols = jnp.arange(h)[:, None], jnp.arange(w)[None, :]

    def body(kept: Attack, i: jax.Array) -> tuple[Attack, None]:
        p = _square_fraction(i, iterations, p_init)
        if square_window:
            side = jnp.clip(jnp.round(jnp.sqrt(p * h * w)), 1, min(h, w)).astype(jnp.int32)
            side_r = side_c = side
        else:
            side_r, side_c = jnp.asarray(1), jnp.clip(jnp.round(p * w), 1, w).astype(jnp.int32)
        k_r, k_c, k_s = jax.random.split(jax.random.fold_in(loop_key, i), 3)
        top = jax.random.randint(k_r, (n, 1, 1), 0, h - side_r + 1)
        left = jax.random.randint(k_c, (n, 1, 1), 0, w - side_c + 1)
        window = ((rows >= top) & (rows < top + side_r) & (cols >= left) & (cols < left + side_c)).reshape(n, -1)
        sign = jax.random.choice(k_s, jnp.asarray([-eps, eps]), (n, 1))
        candidate = project(jnp.where(window, x + sign, kept.x_adv), x, eps, "linf", lower, upper)
        return keep_worse(kept, Attack(candidate, _margins(logits_fn, candidate, y))), None

    kept, _ = jax.lax.scan(body, best, jnp.arange(iterations))
    return kept


def linear_worst_case_margin(weight: Any, bias: Any, x: Any, y: Any, *, eps: float, norm: str = "linf") -> jax.Array:
    """``[n]``: the exact worst-case margin of a linear classifier ``z = W x + b`` over the eps-ball (no box).

    For two classes with ``w = W_1 - W_0``, ``b = b_1 - b_0`` and ``s = +1`` for label 1, ``-1`` for label 0 this
    is ``s (w.x + b) - eps ||w||_dual``; for ``K`` classes it is ``min_{j != y} (W_y - W_j).x + b_y - b_j -
    eps ||W_y - W_j||_dual`` (exact: the minimum over ``delta`` and the minimum over ``j`` commute, and each
    ``min_delta (W_y - W_j).delta = -eps ||W_y - W_j||_dual``). Dual norms: L1 for L-inf, L2 for L2.

    Args:
      weight: ``[K, d]``; bias: ``[K]``; x: ``[n, d]``; y: ``[n]``.
    """
    eps = check_eps(eps, "linear_worst_case_margin")
    check_norm(norm, "linear_worst_case_margin")
    weight, bias, x, y = (jnp.asarray(a) for a in (weight, bias, x, y))
    diff_w = weight[y][:, None, :] - weight[None, :, :]  # [n, K, d]: W_y - W_j
    diff_b = bias[y][:, None] - bias[None, :]
    dual = jnp.abs(diff_w).sum(-1) if norm == "linf" else jnp.linalg.norm(diff_w, axis=-1)
    worst = jnp.einsum("nkd,nd->nk", diff_w, x) + diff_b - eps * dual
    worst = jnp.where(jax.nn.one_hot(y, weight.shape[0], dtype=bool), jnp.inf, worst)
    return worst.min(axis=1)
