"""Mean-field games: one representative agent against a population distribution, finite horizon.

Conventions (written once, here):

- **The game.** ``S`` states, ``A`` actions, horizon ``T``. Decisions are taken at ``t = 0 .. T-1``; the population
  flow has ``T + 1`` distributions ``mu_0 .. mu_T`` (``mu_0 = initial``). At time ``t`` an agent in state ``s``
  taking action ``a`` receives ``reward(params, t, mu_t)[s, a]`` and moves to ``s'`` with probability
  ``transition(params, t, mu_t)[s, a, s']``; at ``T`` it receives ``terminal_reward(params, mu_T)[s]`` (zero when
  ``None``). Returns are ``sum_{t<T} discount**t r_t + discount**T terminal``. Rewards are utilities to maximise.
- **Shapes.** A policy is ``[T, S, A]`` (time-dependent Markov: ``policy[t, s, a] = pi_t(a | s)``); a flow is
  ``[T + 1, S]``; values are ``[T + 1, S]`` (``values[T]`` is the terminal reward); Q-values ``[T, S, A]``.
- **Pure JAX.** ``transition``, ``reward`` and ``terminal_reward`` are pure JAX functions of the numeric
  ``params`` (a mapping of names to float arrays), the time ``t`` (a traced int scalar) and the distribution
  ``mu_t``: no Python control flow on traced values, so every operation below is jit-, vmap- and grad-safe. They
  must be module-level functions (or ``functools.partial`` of them) because they are static pytree data.
- **Sparse kernels.** ``transition`` may return a :class:`SparseTransition` (successor states ``[S, A, K]`` and
  their probabilities) instead of the dense ``[S, A, S]`` table: games whose moves reach a few states (grids,
  networks, buildings) then cost ``O(S A K)`` a step instead of ``O(S^2 A)``. Every operation accepts either form;
  :func:`dense_kernel` turns one into the other.
- **Pytree.** :class:`MeanFieldGame` is a JAX pytree whose leaves are ``initial`` and ``params``; everything else
  is static. Sweeps over parameters are ``jax.vmap`` over ``game.with_params(...)`` (or over the game itself).
- **Compiled once per structure.** Each operation is a ``jax.jit`` of the game (an argument) and the arrays, so a
  Python loop of eager calls compiles once per game structure and shape; inside a caller's jit/vmap it is inlined.
- **Precision** follows the inputs (float32 by default in JAX); the metrics compute in float64 under
  ``jax.enable_x64(True)``.
- **Import cost.** This module imports JAX inside its functions only, so the zoo (and the command line listing
  it) can build games without importing JAX; the class becomes a pytree when JAX is imported
  (:mod:`equilibria.core.pytrees`).

The core operations are :func:`flow` (the distribution a policy induces), :func:`q_values` and
:func:`best_response` (backward induction against a fixed flow), :func:`evaluate` and :func:`returns` (a policy's
values against a fixed flow) and :func:`softmax_response` (the entropy/KL-regularised best response). The
certificate, exploitability, lives in :mod:`equilibria.metrics.mean_field`.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from equilibria.core.errors import GameError
from equilibria.core.pytrees import register_pytree_when_jax_loads

Array = Any  # a NumPy or JAX array (JAX is not imported at module level)

_PROBABILITY_TOL = 1e-9  # how far the initial distribution may sum from 1
_ROW_TOL = 1e-6  # transition rows (float32 environments included) must sum to 1 within this


def _is_tracer(x: Any) -> bool:
    jax = sys.modules.get("jax")
    return jax is not None and isinstance(x, jax.core.Tracer)


def _concrete(x: Any) -> bool:
    """Whether ``x`` holds values (validation reads values only outside JAX transformations)."""
    jax = sys.modules.get("jax")
    if jax is None:
        return True
    return not any(_is_tracer(leaf) for leaf in jax.tree_util.tree_leaves(x))


def _as_leaf(value: Any, where: str) -> Any:
    """A parameter or initial distribution as stored: JAX arrays and tracers as given, anything else float64."""
    if _is_tracer(value) or type(value).__module__.startswith("jax"):
        return value
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise GameError(f"{where}: expected a number or an array of numbers, got {type(value).__name__}") from None
    return arr


def _check_data_fields(game: Any, where: str) -> None:
    """Validate (and normalise in place) the fields both kinds of mean-field game share: ``params`` (names to
    finite numbers, made leaves), ``initial`` (a probability vector ``[S]``), ``state_names``/``action_names``."""
    if not isinstance(game.params, Mapping):
        raise GameError(f"{where}.params: expected a mapping of names to numbers, got "
                        f"{type(game.params).__name__}")
    params = {}
    for key, value in game.params.items():
        if not isinstance(key, str):
            raise GameError(f"{where}.params: names must be strings, got {key!r}")
        leaf = _as_leaf(value, f"{where}.params[{key!r}]")
        if _concrete(leaf):
            arr = np.asarray(leaf)
            if arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
                raise GameError(f"{where}.params[{key!r}]: contains NaN or infinite values")
        params[key] = leaf
    object.__setattr__(game, "params", params)
    initial = _as_leaf(game.initial, f"{where}.initial")
    object.__setattr__(game, "initial", initial)
    if tuple(np.shape(initial)) != (game.n_states,):
        raise GameError(f"{where}.initial: expected shape [{game.n_states}] (one probability per state), "
                        f"got {list(np.shape(initial))}")
    if _concrete(initial):
        arr = np.asarray(initial, dtype=np.float64)
        if not np.all(np.isfinite(arr)):
            raise GameError(f"{where}.initial: contains NaN or infinite values")
        if np.any(arr < 0):
            raise GameError(f"{where}.initial: probabilities must be non-negative, got min {arr.min():g}")
        if abs(arr.sum() - 1.0) > _PROBABILITY_TOL:
            raise GameError(f"{where}.initial: probabilities must sum to 1, got {arr.sum():.12g}")
    for field_name, count in (("state_names", game.n_states), ("action_names", game.n_actions)):
        names = getattr(game, field_name)
        if names is None:
            continue
        names = tuple(names)
        if len(names) != count or not all(isinstance(n, str) for n in names):
            raise GameError(f"{where}.{field_name}: expected {count} strings, got {len(names)} items")
        object.__setattr__(game, field_name, names)


class _MeanFieldData:
    """What both kinds of mean-field game share beyond validation: the pytree protocol (``initial`` and ``params``
    the leaves, the fields named in the class's ``_STATIC`` static) and ``with_params``."""

    _STATIC: tuple[str, ...] = ()
    initial: Any
    params: Mapping[str, Any]
    name: str

    def tree_flatten(self) -> tuple[tuple[Any, Any], tuple[Any, ...]]:
        return (self.initial, self.params), tuple(getattr(self, f) for f in self._STATIC)

    @classmethod
    def tree_unflatten(cls, aux: tuple[Any, ...], children: tuple[Any, Any]) -> Any:
        # No validation: inside transformations the leaves are tracers or placeholders (vmap's in_axes specs).
        game = object.__new__(cls)
        for field_name, value in zip(cls._STATIC, aux, strict=True):
            object.__setattr__(game, field_name, value)
        object.__setattr__(game, "initial", children[0])
        object.__setattr__(game, "params", children[1])
        return game

    def with_params(self, **changes: Any) -> Any:
        """A copy with some parameters replaced (``--param NAME=VALUE``, sweeps); unknown names are an error."""
        unknown = sorted(set(changes) - set(self.params))
        if unknown:
            known = ", ".join(sorted(self.params)) or "none"
            raise GameError(f"{self.name or type(self).__name__}.with_params: unknown parameter {unknown[0]!r} "
                            f"(parameters: {known})")
        return dataclasses.replace(self, params={**self.params, **changes})  # type: ignore[type-var]


@register_pytree_when_jax_loads
@dataclass(frozen=True, eq=False)
class MeanFieldGame(_MeanFieldData):
    """A finite mean-field game with horizon ``T`` (conventions in the module docstring).

    Args:
      name: a label (the zoo name for zoo games).
      n_states: ``S >= 1``.
      n_actions: ``A >= 1``.
      horizon: ``T >= 1``, the number of decision times.
      initial: ``[S]``, ``mu_0``, a probability vector.
      params: the environment's numeric parameters, name -> float scalar/array (the pytree leaves, vmappable).
      transition: ``transition(params, t, mu) -> [S, A, S]``, ``P(s' | s, a, mu_t)``.
      reward: ``reward(params, t, mu) -> [S, A]``, ``r(s, a, mu_t)`` received at time ``t``.
      terminal_reward: ``terminal_reward(params, mu_T) -> [S]`` received at ``T``; ``None`` for zero.
      discount: per-step discount in ``(0, 1]``.
      description: one paragraph for listings.
      state_names, action_names: labels for printing (``S`` and ``A`` of them).
    """

    name: str
    n_states: int
    n_actions: int
    horizon: int
    initial: Array
    params: Mapping[str, Array]
    transition: Callable[..., Any]
    reward: Callable[..., Any]
    terminal_reward: Callable[..., Any] | None = None
    discount: float = 1.0
    description: str = ""
    state_names: tuple[str, ...] | None = None
    action_names: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        where = f"MeanFieldGame({self.name!r})" if isinstance(self.name, str) and self.name else "MeanFieldGame"
        if not isinstance(self.name, str):
            raise GameError(f"MeanFieldGame.name: expected a string, got {type(self.name).__name__}")
        for field_name in ("n_states", "n_actions", "horizon"):
            value = getattr(self, field_name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise GameError(f"{where}.{field_name}: expected an integer >= 1, got {value!r}")
            object.__setattr__(self, field_name, int(value))
        for field_name in ("transition", "reward"):
            if not callable(getattr(self, field_name)):
                raise GameError(f"{where}.{field_name}: expected a function (params, t, mu) -> array, "
                                f"got {type(getattr(self, field_name)).__name__}")
        if self.terminal_reward is not None and not callable(self.terminal_reward):
            raise GameError(f"{where}.terminal_reward: expected None or a function (params, mu) -> [S], "
                            f"got {type(self.terminal_reward).__name__}")
        discount = self.discount
        if isinstance(discount, bool) or not isinstance(discount, numbers.Real) or not 0 < float(discount) <= 1:
            raise GameError(f"{where}.discount: expected a number in (0, 1], got {discount!r}")
        object.__setattr__(self, "discount", float(discount))
        _check_data_fields(self, where)

    # -- pytree protocol (_MeanFieldData): these fields are static, initial and params the leaves ----------
    _STATIC = ("name", "n_states", "n_actions", "horizon", "transition", "reward", "terminal_reward", "discount",
               "description", "state_names", "action_names")

    def describe(self) -> str:
        label = f"{self.name}: " if self.name else ""
        return (f"{label}mean-field game, {self.n_states} states, {self.n_actions} actions, horizon {self.horizon}"
                + (f", discount {self.discount:g}" if self.discount != 1.0 else ""))


class BestResponse(NamedTuple):
    """A best response to a fixed flow: ``policy`` ``[T, S, A]`` (deterministic, ties to the lowest action index)
    and its ``values`` ``[T + 1, S]`` (the optimal values; ``values[T]`` the terminal reward)."""

    policy: Array
    values: Array


class SparseTransition(NamedTuple):
    """A transition kernel by successors (module docstring): ``next_states`` int ``[S, A, K]``, ``probabilities``
    ``[S, A, K]`` (each row summing to 1; a successor may repeat, its probabilities add)."""

    next_states: Array
    probabilities: Array


def dense_kernel(kernel: Array | SparseTransition, n_states: int, dtype: Any) -> Array:
    """``[S, A, S]``: ``kernel`` as the dense table (an out-of-range successor contributes nothing, so validation
    reports its row as not summing to 1)."""
    import jax
    import jax.numpy as jnp

    if isinstance(kernel, SparseTransition):
        one_hot = jax.nn.one_hot(kernel.next_states, n_states, dtype=dtype)  # [S, A, K, S]
        return jnp.einsum("sak,sakp->sap", jnp.asarray(kernel.probabilities, dtype), one_hot)
    return jnp.asarray(kernel, dtype)


def _as_kernel(kernel: Array | SparseTransition, dtype: Any) -> Array | SparseTransition:
    import jax.numpy as jnp

    if isinstance(kernel, SparseTransition):
        return SparseTransition(jnp.asarray(kernel.next_states, jnp.int32), jnp.asarray(kernel.probabilities, dtype))
    return jnp.asarray(kernel, dtype)


def _push(kernel: Array | SparseTransition, mass: Array) -> Array:
    """``[S]``: where ``mass`` ``[S, A]`` (on state-action pairs) goes in one step."""
    import jax.numpy as jnp

    if isinstance(kernel, SparseTransition):
        return jnp.zeros(mass.shape[0], mass.dtype).at[kernel.next_states].add(
            mass[..., None] * kernel.probabilities)
    # A matrix-vector product over (state, action) pairs: XLA runs it ~10x faster than a three-way einsum.
    return mass.reshape(-1) @ kernel.reshape(-1, kernel.shape[-1])


def _expect(kernel: Array | SparseTransition, values: Array) -> Array:
    """``[S, A]``: the expected next value ``sum_s' P(s' | s, a) values[s']``."""
    if isinstance(kernel, SparseTransition):
        return (kernel.probabilities * values[kernel.next_states]).sum(axis=-1)
    return (kernel.reshape(-1, kernel.shape[-1]) @ values).reshape(kernel.shape[:2])


# -- validation ------------------------------------------------------------------------------------------------
def _first_and_last_step(game: MeanFieldGame) -> dict[str, Any]:
    """The game's functions at ``mu_0`` and ``t = 0`` and ``t = T - 1`` (one jitted program: validation is cheap)."""
    import jax.numpy as jnp

    dtype = _dtype(game.initial, game.params)
    mu = jnp.asarray(game.initial, dtype)
    params = _params(game, dtype)
    out = {}
    for label, t in (("t = 0", 0), (f"t = {game.horizon - 1}", game.horizon - 1)):
        time = jnp.asarray(t, dtype=jnp.int32)
        out[f"transition at {label}"] = dense_kernel(game.transition(params, time, mu), game.n_states, dtype)
        out[f"reward at {label}"] = game.reward(params, time, mu)
    if game.terminal_reward is not None:
        out["terminal_reward"] = game.terminal_reward(params, mu)
    return out


def validate(game: MeanFieldGame) -> MeanFieldGame:
    """Evaluate the game's functions at ``mu_0`` (``t = 0`` and ``T - 1``) and check them; returns ``game``.

    Checks: ``transition`` ``[S, A, S]``, non-negative, rows summing to 1 (within 1e-6); ``reward`` ``[S, A]``;
    ``terminal_reward`` ``[S]``; all finite. Raises :class:`GameError` (one line) otherwise. Skipped inside JAX
    transformations (when the leaves are tracers). Runs in float64.
    """
    if not isinstance(game, MeanFieldGame):
        raise GameError(f"game: expected a MeanFieldGame, got {type(game).__name__}")
    if not (_concrete(game.initial) and _concrete(game.params)):
        return game
    _check_step_outputs(game, _evaluated_at_initial(game, _jitted_first_and_last_step()))
    return game


def _evaluated_at_initial(game: Any, evaluate: Callable[[Any], Any]) -> Any:
    """``evaluate(game)`` in float64 (the game's functions at ``mu_0``); a failure of the user's functions becomes
    one GameError line saying where."""
    import jax

    try:
        with jax.enable_x64(True):
            return evaluate(game)
    except GameError:
        raise
    except Exception as exc:  # the user's function failed: say where, on one line
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise GameError(f"{game.name or type(game).__name__}: evaluating transition/reward at mu_0 failed: "
                        f"{message}") from exc


def _check_step_outputs(game: MeanFieldGame, outputs: Mapping[str, Any]) -> None:
    """Raise a one-line GameError when ``_first_and_last_step``'s outputs have wrong shapes or values."""
    S, A = game.n_states, game.n_actions
    where = game.name or "MeanFieldGame"
    for key, raw in outputs.items():
        value = np.asarray(raw, dtype=np.float64)
        field_name = key.split(" ")[0]
        shape = {"transition": (S, A, S), "reward": (S, A), "terminal_reward": (S,)}[field_name]
        if value.shape != shape:
            raise GameError(f"{where}.{key}: expected shape {list(shape)}, got {list(value.shape)}")
        if not np.all(np.isfinite(value)):
            raise GameError(f"{where}.{key}: contains NaN or infinite values")
        if field_name == "transition":
            if np.any(value < 0):
                raise GameError(f"{where}.{key}: probabilities must be non-negative, got min {value.min():g}")
            worst = float(np.max(np.abs(value.sum(axis=-1) - 1.0)))
            if worst > _ROW_TOL:
                raise GameError(f"{where}.{key}: rows P(. | s, a) must sum to 1, off by {worst:.3g}")


@functools.cache
def _jitted_first_and_last_step() -> Any:
    import jax

    return jax.jit(_first_and_last_step)


def check_policy(game: MeanFieldGame, policy: Any, caller: str = "policy") -> np.ndarray:
    """A policy as a float64 NumPy ``[T, S, A]`` array of probabilities, or a one-line :class:`GameError`."""
    return _checked_policy(policy, (game.horizon, game.n_states, game.n_actions), "[T, S, A]", "pi_t(. | s)",
                           caller)


def _checked_policy(policy: Any, shape: tuple[int, ...], layout: str, row: str, caller: str) -> np.ndarray:
    """``policy`` as float64 probabilities of ``shape`` (printed as ``layout``), each ``row`` summing to 1; both
    kinds of mean-field game check their policies here."""
    article = "an" if layout.startswith("[S") else "a"
    try:
        arr = np.asarray(policy, dtype=np.float64)
    except (TypeError, ValueError):
        raise GameError(f"{caller}: expected {article} {layout} array of probabilities, got "
                        f"{type(policy).__name__}") from None
    if arr.shape != shape:
        raise GameError(f"{caller}: expected shape {layout} = {list(shape)}, got {list(arr.shape)}")
    if not np.all(np.isfinite(arr)):
        raise GameError(f"{caller}: contains NaN or infinite values")
    if np.any(arr < 0):
        raise GameError(f"{caller}: probabilities must be non-negative, got min {arr.min():g}")
    worst = float(np.max(np.abs(arr.sum(axis=-1) - 1.0)))
    if worst > _ROW_TOL:
        raise GameError(f"{caller}: each {row} must sum to 1, off by {worst:.3g}")
    return arr


def uniform_policy(game: MeanFieldGame) -> np.ndarray:
    """The uniform policy ``[T, S, A]`` (float64 NumPy)."""
    return np.full((game.horizon, game.n_states, game.n_actions), 1.0 / game.n_actions)


# -- core operations (pure JAX) ---------------------------------------------------------------------------------
def _dtype(*arrays: Any) -> Any:
    import jax
    import jax.numpy as jnp

    return jnp.result_type(jnp.float32, *jax.tree_util.tree_leaves(arrays))


def _params(game: MeanFieldGame, dtype: Any) -> dict[str, Array]:
    """The parameters as JAX arrays of the working precision (floats cast, integers kept).

    Converted before the scan bodies close over them: a NumPy constant captured by a scan under
    ``jax.enable_x64(True)`` is cached on the device as float64 and then fed to later float32 programs (a JAX
    bug seen in 0.10), which fail.
    """
    import jax.numpy as jnp

    out = {}
    for key, value in game.params.items():
        arr = jnp.asarray(value)
        out[key] = arr.astype(dtype) if jnp.issubdtype(arr.dtype, jnp.floating) else arr
    return out


@functools.cache
def _compiled(name: str) -> Any:
    """The jitted form of ``_flow`` / ``_backward``: the game is an argument (its arrays traced, the rest static), so
    eager calls in a Python loop reuse one compiled program per game structure instead of recompiling the scans;
    inside a caller's jit/vmap they are inlined."""
    import jax

    if name == "flow":
        return jax.jit(_flow)
    if name == "both":
        return jax.jit(_policy_and_best)
    return jax.jit(_backward)


def flow(game: MeanFieldGame, policy: Array) -> Array:
    """The mean-field flow ``[T + 1, S]`` a policy ``[T, S, A]`` induces from ``mu_0``.

    ``mu_{t+1}(s') = sum_{s, a} mu_t(s) pi_t(a | s) P(s' | s, a, mu_t)``.
    """
    return _compiled("flow")(game, policy)


def _flow(game: MeanFieldGame, policy: Array) -> Array:
    import jax
    import jax.numpy as jnp

    dtype = _dtype(game.initial, game.params, policy)
    policy = jnp.asarray(policy, dtype)
    mu0 = jnp.asarray(game.initial, dtype)
    params = _params(game, dtype)

    def step(mu: Array, xs: tuple[Array, Array]) -> tuple[Array, Array]:
        t, pi_t = xs
        nxt = _push(_as_kernel(game.transition(params, t, mu), dtype), mu[:, None] * pi_t)
        return nxt, nxt

    _, rest = jax.lax.scan(step, mu0, (jnp.arange(game.horizon), policy))
    return jnp.concatenate([mu0[None], rest], axis=0)


def _terminal_values(game: MeanFieldGame, params: Mapping[str, Array], final: Array, dtype: Any) -> Array:
    """``[S]``: the terminal reward at the final distribution (zero when the game has none)."""
    import jax.numpy as jnp

    if game.terminal_reward is None:
        return jnp.zeros((game.n_states,), dtype)
    return jnp.asarray(game.terminal_reward(params, final), dtype)


def _backward(game: MeanFieldGame, flow_: Array, policy: Array | None, temperature: Array | None = None,
              prior: Array | None = None) -> tuple[Array, Array, Array]:
    """Backward induction against a fixed flow: (Q ``[T, S, A]``, values ``[T + 1, S]``, policy ``[T, S, A]``).

    ``policy`` given: its evaluation. ``None`` and no temperature: the hard best response (ties to the lowest
    action). A temperature: the soft (KL to ``prior``, uniform when ``None``) best response.
    """
    import jax
    import jax.numpy as jnp

    S, A, T = game.n_states, game.n_actions, game.horizon
    dtype = _dtype(game.initial, game.params, flow_, policy, temperature, prior)
    flow_ = jnp.asarray(flow_, dtype)
    params = _params(game, dtype)
    v_final = _terminal_values(game, params, flow_[T], dtype)
    pol = jnp.zeros((T, S, A), dtype) if policy is None else jnp.asarray(policy, dtype)
    if prior is None:
        log_prior = jnp.full((T, S, A), -math.log(A), dtype)
    else:
        prior = jnp.asarray(prior, dtype)
        # log 0 = -inf excludes an action; where() keeps the gradient finite.
        log_prior = jnp.where(prior > 0, jnp.log(jnp.where(prior > 0, prior, 1.0)), -jnp.inf)
    discount = jnp.asarray(game.discount, dtype)

    def step(v_next: Array, xs: tuple[Array, Array, Array, Array]) -> tuple[Array, tuple[Array, Array, Array]]:
        t, mu, pi_t, lp_t = xs
        P = _as_kernel(game.transition(params, t, mu), dtype)
        r = jnp.asarray(game.reward(params, t, mu), dtype)
        q = r + discount * _expect(P, v_next)
        if policy is not None:
            choice = pi_t
            v = jnp.sum(pi_t * q, axis=-1)
        elif temperature is None:
            choice = jax.nn.one_hot(first_best(q), A, dtype=dtype)
            v = jnp.max(q, axis=-1)
        else:
            tau = jnp.asarray(temperature, dtype)
            logits = q / tau + lp_t
            choice = jax.nn.softmax(logits, axis=-1)
            v = tau * jax.nn.logsumexp(logits, axis=-1)
        return v, (q, v, choice)

    xs = (jnp.arange(T), flow_[:T], pol, log_prior)
    _, (q, v, choice) = jax.lax.scan(step, v_final, xs, reverse=True)
    values = jnp.concatenate([v, v_final[None]], axis=0)
    return q, values, choice


def first_best(q: Array) -> Array:
    """The lowest action whose Q-value is the row's maximum up to rounding (a few ulps of its size), ``[..., A]`` ->
    ``[...]``: ties broken by index whatever order the sums were taken in (exact ties are common: symmetric
    buildings, rings and networks)."""
    import jax.numpy as jnp

    top = jnp.max(q, axis=-1, keepdims=True)
    slack = 64 * jnp.finfo(q.dtype).eps * (1 + jnp.abs(top))
    return jnp.argmax(q >= top - slack, axis=-1)


def _policy_and_best(game: MeanFieldGame, flow_: Array, policy: Array) -> tuple[Array, Array]:
    """One backward pass for both the values of ``policy`` and the optimal values (each ``[T + 1, S]``): the game's
    functions are evaluated once per step, and the certificate compiles one scan instead of two."""
    import jax
    import jax.numpy as jnp

    T = game.horizon
    dtype = _dtype(game.initial, game.params, flow_, policy)
    flow_ = jnp.asarray(flow_, dtype)
    params = _params(game, dtype)
    v_final = _terminal_values(game, params, flow_[T], dtype)
    discount = jnp.asarray(game.discount, dtype)

    def step(carry: tuple[Array, Array], xs: tuple[Array, Array, Array]) -> tuple[Any, Any]:
        v_pi, v_best = carry
        t, mu, pi_t = xs
        P = _as_kernel(game.transition(params, t, mu), dtype)
        r = jnp.asarray(game.reward(params, t, mu), dtype)
        both = r[None] + discount * jnp.stack([_expect(P, v_pi), _expect(P, v_best)])
        new = (jnp.sum(pi_t * both[0], axis=-1), jnp.max(both[1], axis=-1))
        return new, new

    xs = (jnp.arange(T), flow_[:T], jnp.asarray(policy, dtype))
    _, (v_pi, v_best) = jax.lax.scan(step, (v_final, v_final), xs, reverse=True)
    return (jnp.concatenate([v_pi, v_final[None]], axis=0), jnp.concatenate([v_best, v_final[None]], axis=0))


def policy_and_best_values(game: MeanFieldGame, policy: Array, flow: Array) -> tuple[Array, Array]:
    """``(evaluate(game, policy, flow), best_response(game, flow).values)``, each ``[T + 1, S]``, in one backward
    pass (what the exploitability needs)."""
    return _compiled("both")(game, flow, policy)


def q_values(game: MeanFieldGame, policy: Array | None, flow: Array) -> Array:
    """Q-values ``[T, S, A]`` of ``policy`` ``[T, S, A]`` against the fixed flow ``[T + 1, S]`` (of the best
    response when ``policy`` is ``None``): ``Q_t(s, a) = r_t(s, a) + discount * sum_s' P(s' | s, a) V_{t+1}(s')``."""
    return _compiled("backward")(game, flow, policy)[0]


def best_response(game: MeanFieldGame, flow: Array) -> BestResponse:
    """The exact best response to the fixed flow ``[T + 1, S]`` by backward induction (deterministic, ties to the
    lowest action index) and its values ``[T + 1, S]``."""
    _, values, policy = _compiled("backward")(game, flow, None)
    return BestResponse(policy, values)


def evaluate(game: MeanFieldGame, policy: Array, flow: Array) -> Array:
    """The values ``[T + 1, S]`` of ``policy`` ``[T, S, A]`` against the fixed flow ``[T + 1, S]``."""
    return _compiled("backward")(game, flow, policy)[1]


def softmax_response(game: MeanFieldGame, flow: Array, temperature: Array, prior: Array | None = None) -> Array:
    """The regularised best response ``[T, S, A]`` to the fixed flow ``[T + 1, S]`` (soft backward induction).

    It maximises ``E[sum_t discount**t (r_t - temperature * KL(pi_t(. | s_t) || prior_t(. | s_t)))]`` (entropy
    regularisation when ``prior`` is ``None``, i.e. uniform): ``pi_t(a | s) ∝ prior_t(a | s) exp(Q_t(s, a) /
    temperature)`` with the soft values ``V_t = temperature * log sum_a prior_t(a | s) exp(Q_t(s, a) / temperature)``.
    ``prior`` is ``[T, S, A]``; ``temperature > 0`` (a traced scalar is fine).
    """
    return _compiled("backward")(game, flow, None, temperature, prior)[2]


def returns(game: MeanFieldGame, policy: Array, flow: Array) -> Array:
    """``J(pi, mu) = sum_s mu_0(s) V_0^pi(s)``: the expected return of ``policy`` against the fixed flow (scalar)."""
    import jax.numpy as jnp

    values = evaluate(game, policy, flow)
    return jnp.dot(jnp.asarray(game.initial, values.dtype), values[0])


__all__ = [
    "BestResponse",
    "MeanFieldGame",
    "SparseTransition",
    "best_response",
    "check_policy",
    "dense_kernel",
    "evaluate",
    "first_best",
    "flow",
    "policy_and_best_values",
    "q_values",
    "returns",
    "softmax_response",
    "uniform_policy",
    "validate",
]
