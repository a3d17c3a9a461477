"""Reward hacking measured: best-of-n and KL-regularised optimisation against a proxy reward (Gao et al. 2022).

Gao, Schulman and Hilton (2022), "Scaling Laws for Reward Model Overoptimization": a policy optimised against a
*proxy* reward (a learned reward model) gains *gold* (true) reward at first and loses it later, while the proxy keeps
rising (Goodhart's law). They measure optimisation by the distance ``d = sqrt(KL(pi || base))`` from the base policy
and fit ``gold(d) - gold(0) = d (alpha - beta d)`` for best-of-n sampling and ``d (alpha - beta log d)`` for RL.

Conventions (written once here):

- A *response* is a feature vector ``x: [F]``. The base policy either draws ``x ~ N(0, I_F)`` (a *continuous
  world*, used by best-of-n: ``sample(params, key, shape) -> (gold, proxy)``, both ``shape``; ``params`` a pytree,
  traced) or is a distribution ``base: [K]`` over a finite *pool* of ``K`` candidate responses (gold ``[K]``, proxy
  ``[K]``), where every expectation and KL is exact.
- ``gold``: the true reward, ``proxy``: what the optimiser sees. KL is in nats; ``d = sqrt(KL)``.
- The functional forms describe *gains* over the base policy: pass ``gold - gold_at_base`` to :func:`fit_goodhart`.

Best-of-n draws ``n`` responses from the base and keeps the one of highest proxy. When the proxy is continuous, the
kept response's proxy has CDF ``F^n`` (``F``: the proxy's CDF under the base), so its KL from the base is
``E[log(n F^(n-1))] = log n - (n-1)/n`` (Stiennon et al. 2020; Gao et al. 2022): :func:`best_of_n_kl`. On a finite
pool the kept item's distribution is exact (:func:`best_of_n_pool`) and its KL is at most that formula (Beirami et al.
2024), approaching it as the pool grows. With ``gold ~ N(0, 1)`` and ``proxy = gold + N(0, 1)``,
``E[gold | proxy] = proxy / 2``, so best-of-n's expected gold is ``E[max of n N(0, 2)] / 2 = E[max of n N(0, 1)] /
sqrt(2)`` (:func:`expected_max_normal`, by quadrature).

KL-regularised optimisation uses the *softmax policy over a finite pool*: ``pi = softmax(log base + z)`` with free
logits ``z: [K]`` (``z = 0`` is the base), trained by an optax optimiser on ``E_pi[proxy] - beta KL(pi || base)``
(exact expectation and exact gradient: no sampling noise), with the closed-form optimum ``pi ∝ base exp(proxy /
beta)`` (:func:`kl_regularised_optimum`). The class can express every distribution on the pool, so it optimises the
proxy as hard as the KL budget lets it: as ``beta`` falls (or training goes on) it moves its mass to the responses of
top proxy, and where the proxy's top responses are not the gold's (a misspecified reward model) gold rises and then
falls while the proxy rises. That is overoptimisation with nothing in the way of it: no sampling noise, no limited
capacity, only the proxy's error. ``d`` is bounded by ``sqrt(log K)`` for a uniform base.

:func:`fit_goodhart` fits either form by least squares (both are linear in ``alpha, beta``: closed form). State is
explicit (:class:`PoolPolicyState`); :func:`pool_init` and :func:`pool_update` are pure (optax style) and
:func:`train_pool_policy` scans them with ``lax.scan``; ``beta`` may be an array (then the runs are vmapped), and
best-of-n vmaps over seeds. Keys are explicit.

The misspecified proxy where overoptimisation shows (:func:`fit_linear_proxy`): the gold reward
:func:`satiating_gold` has diminishing and then negative returns to feature 0 (some of it is good, a lot is bad:
length, assertiveness, flattery), ``x_0 + x_1 / 2 - curvature x_0^2``; a *linear* reward model is fitted by
Bradley-Terry maximum likelihood to a limited number of labels from a Boltzmann-rational evaluator on base-policy
responses. Under the base, ``x_0^2`` is uncorrelated with every linear function, so the model learns "more ``x_0``
is better", right near the base and wrong far from it: optimising it raises gold until ``x_0`` passes
``1 / (2 curvature)`` and lowers it after, while the proxy keeps rising. The curves are measured, not drawn.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from equilibria.applications.rlhf.preferences import ItemSet, boltzmann_evaluator, label
from equilibria.applications.rlhf.reward_models import fit_reward_model
from equilibria.core.checks import positive_int, positive_number
from equilibria.core.errors import GameError
from equilibria.dynamics.base import state_dataclass

__all__ = [
    "BestOfNCurve", "GoodhartFit", "PoolPolicyState", "PoolTrajectory", "best_of_n", "best_of_n_kl",
    "best_of_n_pool", "expected_max_normal", "fit_goodhart", "goodhart_form", "kl_categorical",
    "kl_regularised_optimum", "fit_linear_proxy", "linear_proxy_sample", "pool_init", "pool_objective",
    "pool_policy", "pool_update", "satiating_gold", "train_pool_policy",
]

Array = jax.Array
Sampler = Callable[[Any, Array, tuple[int, ...]], tuple[Array, Array]]
FORMS = ("best_of_n", "rl")


# --------------------------------------------------------------------------------------------------- analytic facts

def best_of_n_kl(n: Any) -> np.ndarray:
    """``log n - (n - 1) / n``: the KL (nats) of best-of-n from the base policy for a continuous proxy; ``n``: int or
    array of ints >= 1 (same shape out)."""
    n_arr = np.asarray(n, dtype=float)
    if np.any(~np.isfinite(n_arr)) or np.any(n_arr < 1):
        raise GameError(f"best_of_n_kl: n must be >= 1, got {n!r}")
    return np.log(n_arr) - (n_arr - 1.0) / n_arr


def expected_max_normal(n: int) -> float:
    """``E[max of n independent N(0, 1)]`` by adaptive quadrature of ``n x phi(x) Phi(x)^(n-1)`` (not simulation).

    Known values: 0 (n = 1), ``1/sqrt(pi)`` (2), ``3/(2 sqrt(pi))`` (3). Accurate to about 1e-10 for n up to 1e6.
    """
    from scipy import integrate, special

    positive_int(n, "n", "expected_max_normal")

    def integrand(x: float) -> float:
        # Phi^(n-1) in log space: for large n it underflows long before the product does.
        return float(n * x * math.exp(-0.5 * x * x + (n - 1) * special.log_ndtr(x)) / math.sqrt(2 * math.pi))

    mode = math.sqrt(2 * math.log(n)) if n > 1 else 0.0  # where the mass is; tells quad where to look
    total = 0.0
    for low, high in ((-40.0, mode - 2.0), (mode - 2.0, mode + 2.0), (mode + 2.0, 40.0)):
        value, _ = integrate.quad(integrand, low, high, epsabs=1e-13, epsrel=1e-12, limit=200)
        total += value
    return total


def kl_categorical(p: Array, q: Array) -> Array:
    """``KL(p || q) = sum p log(p / q)`` over the last axis, with ``0 log 0 = 0``; ``p, q: [..., K]``."""
    p, q = jnp.asarray(p), jnp.asarray(q)
    safe_p = jnp.where(p > 0, p, 1.0)
    return jnp.sum(jnp.where(p > 0, p * (jnp.log(safe_p) - jnp.log(jnp.where(p > 0, q, 1.0))), 0.0), axis=-1)


def best_of_n_pool(proxy: Array, base: Array, n: int) -> Array:
    """The exact distribution ``[K]`` of the item best-of-n keeps on a finite pool: ``n`` i.i.d. draws from ``base``,
    keep the highest proxy (ties: the higher index wins). Items sorted by proxy with cumulative base mass ``F_j`` are
    kept with probability ``F_j^n - F_(j-1)^n``."""
    positive_int(n, "n", "best_of_n_pool")
    proxy, base = jnp.asarray(proxy), jnp.asarray(base)
    order = jnp.lexsort((jnp.arange(proxy.shape[0]), proxy))  # ascending proxy, then index
    cumulative = jnp.cumsum(base[order])
    cumulative = cumulative / cumulative[-1]
    previous = jnp.concatenate([jnp.zeros(1, cumulative.dtype), cumulative[:-1]])
    kept_sorted = cumulative**n - previous**n
    return jnp.zeros_like(base).at[order].set(kept_sorted)


# --------------------------------------------------------------------------------------------------- best-of-n

class BestOfNCurve(NamedTuple):
    """Best-of-n's kept response, per ``n`` (``[N]`` arrays over ``ns``), averaged over ``seeds x draws`` draws.

    ``kl``: the analytic ``log n - (n-1)/n``; ``d = sqrt(kl)``. ``kl_estimate``/``kl_se``: the KL estimated from the
    kept proxy's rank ``U = F(proxy)`` under the base (``mean log(n U^(n-1))``), when ``proxy_cdf`` was given; else
    NaN. Standard errors are of the mean over all draws.
    """

    ns: np.ndarray
    kl: np.ndarray
    d: np.ndarray
    gold: np.ndarray
    gold_se: np.ndarray
    proxy: np.ndarray
    proxy_se: np.ndarray
    kl_estimate: np.ndarray
    kl_se: np.ndarray
    draws: int


def _best_of_n_draws(sample: Sampler, ns: tuple[int, ...], params: Any, key: Array, draws: int,
                     proxy_cdf: Callable[[Array], Array] | None) -> tuple[Array, Array, Array]:
    """One seed: ``[N, draws]`` gold, proxy and ``log(n U^(n-1))`` of the kept response. The ``n`` responses of a
    smaller ``n`` are the first ones of the largest ``n`` (nested draws: the curve is smooth in ``n``)."""
    gold, proxy = sample(params, key, (draws, ns[-1]))
    rows = jnp.arange(draws)
    kept_gold, kept_proxy, log_density = [], [], []
    for n in ns:
        index = jnp.argmax(proxy[:, :n], axis=1)
        kept_gold.append(gold[rows, index])
        kept_proxy.append(proxy[rows, index])
        if proxy_cdf is not None:
            rank = jnp.clip(proxy_cdf(kept_proxy[-1]), 1e-300, 1.0)
            log_density.append(math.log(n) + (n - 1) * jnp.log(rank))
        else:
            log_density.append(jnp.full(draws, jnp.nan))
    return jnp.stack(kept_gold), jnp.stack(kept_proxy), jnp.stack(log_density)


@functools.partial(jax.jit, static_argnums=(0, 1, 4, 5))
def _best_of_n_seeds(sample: Sampler, ns: tuple[int, ...], params: Any, keys: Array, draws: int,
                     proxy_cdf: Callable[[Array], Array] | None) -> tuple[Array, Array, Array]:
    # One compiled program per (sampler, ns, draws, cdf); params are traced, so new ones do not compile again.
    return jax.vmap(lambda k: _best_of_n_draws(sample, ns, params, k, draws, proxy_cdf))(keys)


def best_of_n(sample: Sampler, ns: Any, key: Array, *, draws: int, seeds: int = 1, params: Any = None,
              proxy_cdf: Callable[[Array], Array] | None = None) -> BestOfNCurve:
    """Best-of-n against a proxy, simulated: for each ``n`` in ``ns``, ``seeds x draws`` times draw ``n`` responses
    from the base (``sample(params, key, shape) -> (gold, proxy)``, each ``shape``; a module-level function, so
    that its compiled program is reused) and keep the one of highest proxy.

    ``key``: a JAX key, split into ``seeds`` keys that are vmapped. ``params``: a pytree of arrays handed to
    ``sample`` (the proxy's parameters: traced, not compiled in). ``proxy_cdf``: the proxy's CDF under the base
    (a JAX function), for the KL estimate from the kept sample's rank. Memory: ``draws x max(ns)`` responses per seed.
    """
    ns_tuple = tuple(sorted({positive_int(int(n), "ns", "best_of_n") for n in np.atleast_1d(ns)}))
    positive_int(draws, "draws", "best_of_n")
    positive_int(seeds, "seeds", "best_of_n")
    keys = jax.random.split(key, seeds)
    gold, proxy, log_density = _best_of_n_seeds(sample, ns_tuple, params, keys, draws, proxy_cdf)
    # [seeds, N, draws] -> [N, seeds * draws]
    gold, proxy, log_density = (np.asarray(jnp.moveaxis(a, 1, 0).reshape(len(ns_tuple), -1), dtype=float)
                                for a in (gold, proxy, log_density))
    total = seeds * draws

    def mean_se(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        se = a.std(axis=1, ddof=1) / math.sqrt(total) if total > 1 else np.full(a.shape[0], np.nan)
        return a.mean(axis=1), se

    kl = best_of_n_kl(np.array(ns_tuple))
    (g, g_se), (p, p_se), (k, k_se) = mean_se(gold), mean_se(proxy), mean_se(log_density)
    return BestOfNCurve(np.array(ns_tuple), kl, np.sqrt(kl), g, g_se, p, p_se, k, k_se, total)


# --------------------------------------------------------------------------------------------------- the pool policy

@state_dataclass
class PoolPolicyState:
    """Softmax policy over a pool: ``logits: [K]`` (``pi = softmax(log base + logits)``), the optimiser's state and
    the step count."""

    logits: Array
    opt_state: Any
    step: Array


def pool_policy(logits: Array, base: Array) -> Array:
    """``softmax(log base + logits)``: ``[K]`` (zero-mass base items stay at zero)."""
    return jax.nn.softmax(jnp.log(base) + logits, axis=-1)


def pool_objective(logits: Array, proxy: Array, base: Array, beta: Any) -> Array:
    """``E_pi[proxy] - beta KL(pi || base)``, exact, for ``pi = pool_policy(logits, base)``."""
    pi = pool_policy(logits, base)
    return jnp.sum(pi * proxy) - beta * kl_categorical(pi, base)


def kl_regularised_optimum(proxy: Array, base: Array, beta: Any) -> Array:
    """The maximiser of ``E_pi[proxy] - beta KL(pi || base)`` over all distributions on the pool:
    ``pi ∝ base exp(proxy / beta)``, ``[K]`` (``beta > 0``)."""
    return jax.nn.softmax(jnp.log(jnp.asarray(base)) + jnp.asarray(proxy) / beta, axis=-1)


def pool_init(base: Array, optimizer: optax.GradientTransformation) -> PoolPolicyState:
    """The base policy (logits 0) and a fresh optimiser state."""
    logits = jnp.zeros_like(jnp.asarray(base))
    return PoolPolicyState(logits, optimizer.init(logits), jnp.asarray(0))


def pool_update(state: PoolPolicyState, proxy: Array, base: Array, beta: Any,
                optimizer: optax.GradientTransformation) -> PoolPolicyState:
    """One step of gradient ascent on :func:`pool_objective` (the exact gradient)."""
    gradient = jax.grad(pool_objective)(state.logits, proxy, base, beta)
    updates, opt_state = optimizer.update(-gradient, state.opt_state, state.logits)  # optax minimises
    return PoolPolicyState(optax.apply_updates(state.logits, updates), opt_state, state.step + 1)


class PoolTrajectory(NamedTuple):
    """A pool policy's training run, recorded every ``record_every`` steps (step 0, the base, first).

    ``steps: [R]``; ``d, gold, proxy, objective: [..., R]`` (exact expectations under the policy; a leading axis
    over ``beta`` when ``beta`` was an array); ``policy: [..., K]`` the final policy.
    """

    steps: np.ndarray
    d: np.ndarray
    gold: np.ndarray
    proxy: np.ndarray
    objective: np.ndarray
    policy: np.ndarray


@functools.partial(jax.jit, static_argnames=("learning_rate", "steps", "record_every", "optimizer_name"))
def _train(proxy: Array, gold: Array, base: Array, beta: Array, *, learning_rate: float, steps: int,
           record_every: int, optimizer_name: str) -> tuple[Array, ...]:
    optimizer = optax.adam(learning_rate) if optimizer_name == "adam" else optax.sgd(learning_rate)

    def measure(logits: Array) -> Array:
        pi = pool_policy(logits, base)
        kl = kl_categorical(pi, base)
        return jnp.stack([jnp.sqrt(jnp.maximum(kl, 0.0)), pi @ gold, pi @ proxy, pi @ proxy - beta * kl])

    def chunk(state: PoolPolicyState, _: None) -> tuple[PoolPolicyState, Array]:
        state = jax.lax.fori_loop(0, record_every, lambda _, s: pool_update(s, proxy, base, beta, optimizer), state)
        return state, measure(state.logits)

    state = pool_init(base, optimizer)
    state, records = jax.lax.scan(chunk, state, None, length=steps // record_every)
    records = jnp.concatenate([measure(state.logits * 0)[None], records])  # step 0: the base policy
    return records.T, pool_policy(state.logits, base)


def train_pool_policy(proxy: Any, gold: Any, base: Any, *, beta: Any, learning_rate: float = 0.05,
                      steps: int = 2000, record_every: int = 20, optimizer: str = "adam") -> PoolTrajectory:
    """Train the softmax pool policy on ``E_pi[proxy] - beta KL(pi || base)`` from the base, recording ``d``, gold
    and proxy (exact) along the run. ``proxy, gold, base: [K]``; ``beta``: a number >= 0 or an array of them (the
    runs are vmapped); ``optimizer``: ``"adam"`` or ``"sgd"`` (optax, at ``learning_rate``); ``steps`` a multiple of
    ``record_every``. A fixed number of steps: it cannot hang."""
    proxy, gold, base = (jnp.asarray(a, dtype=jnp.result_type(float)) for a in (proxy, gold, base))
    if proxy.ndim != 1 or gold.shape != proxy.shape or base.shape != proxy.shape:
        raise GameError(f"train_pool_policy: proxy, gold and base must be [K] arrays of one length, got shapes "
                        f"{proxy.shape}, {gold.shape}, {base.shape}")
    if not bool(jnp.all(base >= 0)) or abs(float(base.sum()) - 1.0) > 1e-6:
        raise GameError("train_pool_policy: base must be a probability distribution (non-negative, sums to 1)")
    betas = np.asarray(beta, dtype=float)
    if np.any(~np.isfinite(betas)) or np.any(betas < 0):
        raise GameError(f"train_pool_policy: beta must be finite and >= 0, got {beta!r}")
    positive_number(learning_rate, "learning_rate", "train_pool_policy")
    positive_int(steps, "steps", "train_pool_policy")
    positive_int(record_every, "record_every", "train_pool_policy")
    if steps % record_every:
        raise GameError(f"train_pool_policy: steps ({steps}) must be a multiple of record_every ({record_every})")
    if optimizer not in ("adam", "sgd"):
        raise GameError(f"train_pool_policy: optimizer must be 'adam' or 'sgd', got {optimizer!r}")
    run = functools.partial(_train, proxy, gold, base, learning_rate=float(learning_rate), steps=steps,
                            record_every=record_every, optimizer_name=optimizer)
    beta_j = jnp.asarray(betas, dtype=proxy.dtype)
    records, policy = run(beta_j) if betas.ndim == 0 else jax.vmap(run)(beta_j)
    records = np.asarray(records, dtype=float)
    return PoolTrajectory(np.arange(0, steps + 1, record_every), records[..., 0, :], records[..., 1, :],
                          records[..., 2, :], records[..., 3, :], np.asarray(policy, dtype=float))


# --------------------------------------------------------------------------------------------------- the forms

class GoodhartFit(NamedTuple):
    """A least-squares fit of ``gain(d) = d (alpha - beta d)`` (``form="best_of_n"``) or ``d (alpha - beta log d)``
    (``"rl"``); ``r2 = 1 - SS_res / SS_tot`` (about the mean of the gains); ``points`` fitted."""

    form: str
    alpha: float
    beta: float
    r2: float
    points: int


def _basis(d: np.ndarray, form: str) -> np.ndarray:
    if form == "best_of_n":
        return np.stack([d, -d * d], axis=1)
    # d log d -> 0 as d -> 0: the RL form is 0 at the base policy
    safe = np.where(d > 0, d, 1.0)
    return np.stack([d, -np.where(d > 0, d * np.log(safe), 0.0)], axis=1)


def goodhart_form(d: Any, alpha: float, beta: float, form: str) -> np.ndarray:
    """Gao et al.'s gold gain at distances ``d``: ``d (alpha - beta d)`` or ``d (alpha - beta log d)``."""
    if form not in FORMS:
        raise GameError(f"goodhart_form: form must be one of {FORMS}, got {form!r}")
    d_arr = np.atleast_1d(np.asarray(d, dtype=float))
    return _basis(d_arr, form) @ np.array([alpha, beta])


def fit_goodhart(d: Any, gain: Any, form: str) -> GoodhartFit:
    """Fit ``alpha, beta`` of a Goodhart form to gold gains ``gain: [P]`` (gold minus the base policy's gold) at
    distances ``d: [P]`` (>= 0) by least squares: the forms are linear in ``alpha, beta``, so this is the normal
    equations' solution (NumPy's ``lstsq``). Needs two points with ``d > 0`` (of distinct ``d``)."""
    if form not in FORMS:
        raise GameError(f"fit_goodhart: form must be one of {FORMS}, got {form!r}")
    d_arr, y = np.asarray(d, dtype=float).ravel(), np.asarray(gain, dtype=float).ravel()
    if d_arr.shape != y.shape:
        raise GameError(f"fit_goodhart: d and gain must have one length, got {d_arr.size} and {y.size}")
    if not (np.all(np.isfinite(d_arr)) and np.all(np.isfinite(y))) or np.any(d_arr < 0):
        raise GameError("fit_goodhart: d must be finite and >= 0 and gain finite")
    if np.unique(d_arr[d_arr > 0]).size < 2:
        raise GameError("fit_goodhart: d needs at least two distinct positive values")
    basis = _basis(d_arr, form)
    (alpha, beta), *_ = np.linalg.lstsq(basis, y, rcond=None)
    residual = y - basis @ np.array([alpha, beta])
    total = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(residual @ residual) / total if total > 0 else float("nan")
    return GoodhartFit(form, float(alpha), float(beta), r2, int(y.size))


# ------------------------------------------------------------------------------------------------- a misspecified proxy

def satiating_gold(features: Array, curvature: Any = 0.5) -> Array:
    """``x_0 + x_1 / 2 - curvature x_0^2`` for ``features: [..., F]`` (``F >= 2``; other features carry no gold):
    gold rises with ``x_0`` up to ``1 / (2 curvature)`` and falls after. Returns ``[...]``."""
    x = jnp.asarray(features)
    return x[..., 0] + 0.5 * x[..., 1] - curvature * x[..., 0] ** 2


def fit_linear_proxy(key: Array, *, n_features: int = 4, curvature: float = 0.5, n_items: int = 200,
                     n_pairs: int = 300, temperature: float = 0.5, l2: float = 1e-3) -> np.ndarray:
    """A linear reward model ``theta: [n_features]`` fitted by Bradley-Terry maximum likelihood
    (:func:`~equilibria.applications.rlhf.reward_models.fit_reward_model`, penalised by ``l2 / 2 |theta|^2`` per
    comparison) to ``n_pairs`` labels from a Boltzmann-rational evaluator (``temperature``) on ``n_items`` base
    responses ``x ~ N(0, I)`` whose gold is :func:`satiating_gold`. Its scale is ``gold / temperature``'s, roughly."""
    positive_int(n_items, "n_items", "fit_linear_proxy")
    if isinstance(n_features, bool) or not isinstance(n_features, int) or n_features < 2:
        raise GameError(f"fit_linear_proxy: n_features must be an integer >= 2, got {n_features!r}")
    k_items, k_labels = jax.random.split(key)
    features = jax.random.normal(k_items, (n_items, n_features))
    items = ItemSet(features, satiating_gold(features, curvature))
    comparisons = label(items, boltzmann_evaluator(temperature), k_labels, n_pairs)
    model = fit_reward_model(items, comparisons, model="linear", l2=l2)
    return np.asarray(model.params, dtype=float)


def linear_proxy_sample(params: tuple[Array, Array], key: Array, shape: tuple[int, ...]) -> tuple[Array, Array]:
    """The best-of-n sampler of the misspecified world (a :data:`Sampler`): base responses ``x ~ N(0, I_F)``,
    gold :func:`satiating_gold`, proxy ``x @ theta``; ``params = (theta [F], curvature)``."""
    theta, curvature = params
    x = jax.random.normal(key, (*shape, theta.shape[0]))
    return satiating_gold(x, curvature), x @ theta.astype(x.dtype)
