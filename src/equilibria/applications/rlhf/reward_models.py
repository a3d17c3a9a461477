"""Reward models fitted to pairwise preferences by Bradley-Terry maximum likelihood, and their quality.

The Bradley-Terry model: item ``i`` is preferred to ``j`` with probability ``sigmoid(r_i - r_j)``; only
differences of ``r`` are identified (a constant shift is the model's one invariance; the scale is
``1 / temperature`` of a Boltzmann evaluator).

- :func:`bradley_terry_scores`: the exact maximum-likelihood scores of ``n_items`` items from ``winners``/``losers``
  in plain NumPy (no JAX: the command line starts instantly). Newton's method on the concave log-likelihood with
  the mean-zero gauge (the Hessian is a weighted graph Laplacian, singular along the constant vector; adding
  ``J / K`` fixes the gauge without changing the step orthogonal to it; conjugate gradients beyond 1,000 items), with a
  backtracking line search.
  ``converged`` when the largest entry of the gradient of the *mean* (per-comparison) penalised log-likelihood is
  at most ``tol``. Without a penalty (``l2 = 0``) the MLE exists exactly when the comparison digraph (an arc from
  each winner to its loser) is strongly connected (Zermelo 1929; Ford 1957); otherwise a one-line GameError names
  a group that never loses (or never wins) against the others and suggests ``l2 > 0`` (``--l2``). With
  ``l2 > 0`` the objective ``sum log sigmoid(r_w - r_l) - l2/2 ||r||^2`` is strictly concave: a unique maximiser,
  mean zero.
- :func:`fit_reward_model`: a reward over item *features* (``"linear"``: ``features @ theta``; ``"mlp"``: an
  equinox MLP; ``"tabular"``: one free score per item) fitted with optax on the objective
  ``mean_m -log sigmoid(r_w - r_l) + l2/2 ||params||^2`` (full batch). The iteration is a pure ``init``/``update``
  pair over an explicit state (:func:`trainer`), run in jitted chunks between which the budget is checked; it
  stops when the objective's gradient (infinity norm) is at most ``tol``, which is what ``converged`` reports.
  ``learning_rate=None`` uses L-BFGS with a zoom line search (deterministic, fast on these smooth objectives); a
  number uses Adam at that rate.
- :func:`reward_model_quality`: held-out label accuracy, accuracy against the gold ordering, Pearson and Spearman
  correlation with gold, and the EPIC-style Pearson distance ``sqrt((1 - rho) / 2)`` (0 for rewards equal up to a
  shift and positive scale, 1 for the negation; on items compared in pairs, shifts are the only potential shaping).
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from equilibria.core.errors import GameError, NotApplicableError

if TYPE_CHECKING:
    from equilibria.applications.rlhf.preferences import Comparisons, ItemSet

MODELS = ("linear", "mlp", "tabular")
_CHUNK = 50  # optimizer steps per jitted call between budget checks


# -- exact Bradley-Terry in NumPy ------------------------------------------------------------------------------------


class BradleyTerryResult(NamedTuple):
    """``scores [K]`` (mean zero), the total ``log_likelihood`` of the comparisons at them (no penalty term),
    ``accuracy`` (share of comparisons whose winner scores higher; ties count 1/2), ``converged``, ``iterations``
    (Newton steps), ``gradient_norm`` (largest entry of the mean penalised log-likelihood's gradient)."""

    scores: np.ndarray
    log_likelihood: float
    accuracy: float
    converged: bool
    iterations: int
    gradient_norm: float


def _index_array(value: Any, name: str, caller: str) -> np.ndarray:
    array = np.asarray(value)
    if array.ndim != 1:
        raise GameError(f"{caller}: {name} must be a 1-d integer array, got shape {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer) and (
            not np.all(np.isfinite(array)) or np.any(array != np.round(array))):
        raise GameError(f"{caller}: {name} must hold integer item indices")
    return array.astype(np.int64)


def _names_text(indices: np.ndarray, names: Sequence[str] | None, limit: int = 5) -> str:
    shown = [str(names[i]) if names is not None else str(int(i)) for i in indices[:limit]]
    more = f" and {len(indices) - limit} more" if len(indices) > limit else ""
    return ", ".join(shown) + more


def _reach(n: int, source: np.ndarray, target: np.ndarray, start: int) -> np.ndarray:
    """Boolean ``[n]``: the nodes reachable from ``start`` along arcs ``source -> target``."""
    order = np.argsort(source, kind="stable")
    heads = target[order]
    offsets = np.searchsorted(source[order], np.arange(n + 1))
    seen = np.zeros(n, dtype=bool)
    seen[start] = True
    stack = [start]
    while stack:
        node = stack.pop()
        for nxt in heads[offsets[node]:offsets[node + 1]]:
            if not seen[nxt]:
                seen[nxt] = True
                stack.append(int(nxt))
    return seen


def _check_existence(winners: np.ndarray, losers: np.ndarray, n_items: int, names: Sequence[str] | None,
                     caller: str) -> None:
    """A one-line GameError when the unpenalised MLE does not exist (the digraph is not strongly connected)."""
    hint = "; set l2 > 0 (--l2) to regularise"
    compared = np.bincount(winners, minlength=n_items) + np.bincount(losers, minlength=n_items)
    if np.any(compared == 0):
        idle = np.flatnonzero(compared == 0)
        raise GameError(f"{caller}: the maximum-likelihood scores do not exist: never compared: "
                        f"{_names_text(idle, names)}{hint}")
    if n_items == 1:
        return
    # Those who beat item 0, transitively (arcs loser -> winner): nobody outside that group beats anyone in it.
    above = _reach(n_items, losers, winners, 0)
    below = _reach(n_items, winners, losers, 0)
    if above.all() and below.all():
        return
    wins, losses = np.bincount(winners, minlength=n_items), np.bincount(losers, minlength=n_items)
    if np.any(losses == 0):
        group, verb = np.flatnonzero(losses == 0), "never lose"
    elif np.any(wins == 0):
        group, verb = np.flatnonzero(wins == 0), "never win"
    elif not above.all():
        group, verb = np.flatnonzero(above), "never lose to the other items"
    else:
        group, verb = np.flatnonzero(below), "never win against the other items"
    raise GameError(f"{caller}: the maximum-likelihood scores do not exist (the comparison graph is not strongly "
                    f"connected): {_names_text(group, names)} {verb}{hint}")


def _log_sigmoid(x: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0.0, -x)


def _penalised(scores: np.ndarray, winners: np.ndarray, losers: np.ndarray, l2: float) -> float:
    return float(_log_sigmoid(scores[winners] - scores[losers]).sum() - 0.5 * l2 * scores @ scores)


_DENSE_ITEMS = 1000  # up to this many items the Newton system is solved dense; beyond, sparse (conjugate gradients)


def _newton_step(winners: np.ndarray, losers: np.ndarray, h: np.ndarray, gradient: np.ndarray, n_items: int,
                 l2: float) -> np.ndarray:
    """Solve ``(L + l2 I) step = gradient`` orthogonally to the constant vector (``gradient`` sums to zero at a
    mean-zero point): ``L`` the Laplacian of the comparison graph weighted by ``h = p (1 - p)``."""
    if n_items <= _DENSE_ITEMS:
        weights = np.bincount(winners * n_items + losers, h, n_items * n_items).reshape(n_items, n_items)
        weights = weights + weights.T
        # + J / K: nonsingular, and the step orthogonal to the constant vector is unchanged.
        dense = np.diag(weights.sum(axis=1)) - weights + l2 * np.eye(n_items) + 1.0 / n_items
        return np.asarray(np.linalg.solve(dense, gradient))
    import scipy.sparse
    import scipy.sparse.linalg

    rows = np.concatenate((winners, losers, winners, losers))
    cols = np.concatenate((losers, winners, winners, losers))
    values = np.concatenate((-h, -h, h, h))
    system = scipy.sparse.csr_matrix((values, (rows, cols)), shape=(n_items, n_items))
    system = system + l2 * scipy.sparse.identity(n_items, format="csr")
    # Conjugate gradients with a Jacobi preconditioner: comparison graphs are usually expanders, where direct
    # sparse factorisations fill in. With l2 = 0 the Laplacian is singular: item 0's step is fixed at 0 (the
    # reduced Laplacian of a connected graph is positive definite), then the step is centred.
    keep = slice(1, None) if l2 == 0 else slice(None)
    reduced = system[keep, keep]
    diagonal = reduced.diagonal()
    size = reduced.shape[0]
    preconditioner = scipy.sparse.linalg.LinearOperator((size, size), matvec=lambda x: x / diagonal)
    solution, _ = scipy.sparse.linalg.cg(reduced, gradient[keep], rtol=1e-13, atol=0.0, maxiter=10 * n_items,
                                         M=preconditioner)
    step = np.zeros(n_items)
    step[keep] = solution
    return step - step.mean()


def bradley_terry_scores(winners: Any, losers: Any, n_items: int, *, l2: float = 0.0, tol: float = 1e-10,
                         max_iterations: int = 100, names: Sequence[str] | None = None) -> BradleyTerryResult:
    """Exact Bradley-Terry maximum-likelihood scores from ``winners [M]`` and ``losers [M]`` (item indices in
    ``[0, n_items)``), normalised to mean zero; ``l2``: a ridge penalty ``l2/2 ||r||^2`` on the total
    log-likelihood (then the maximiser always exists). ``names`` (``[n_items]``) name items in error messages."""
    caller = "bradley_terry_scores"
    if isinstance(n_items, bool) or not isinstance(n_items, int | np.integer) or n_items < 1:
        raise GameError(f"{caller}: n_items must be a positive integer, got {n_items!r}")
    n_items = int(n_items)
    if isinstance(l2, bool) or not isinstance(l2, int | float) or not math.isfinite(l2) or l2 < 0:
        raise GameError(f"{caller}: l2 must be a finite number >= 0, got {l2!r}")
    if isinstance(tol, bool) or not isinstance(tol, int | float) or not tol > 0:
        raise GameError(f"{caller}: tol must be a positive number, got {tol!r}")
    if isinstance(max_iterations, bool) or not isinstance(max_iterations, int) or max_iterations < 1:
        raise GameError(f"{caller}: max_iterations must be a positive integer, got {max_iterations!r}")
    w, lo = _index_array(winners, "winners", caller), _index_array(losers, "losers", caller)
    if w.shape != lo.shape:
        raise GameError(f"{caller}: winners and losers must have one length, got {w.size} and {lo.size}")
    if w.size and (min(w.min(), lo.min()) < 0 or max(w.max(), lo.max()) >= n_items):
        raise GameError(f"{caller}: item indices must lie in [0, {n_items - 1}]")
    if np.any(w == lo):
        row = int(np.flatnonzero(w == lo)[0])
        raise GameError(f"{caller}: comparison {row} has the same winner and loser")
    if names is not None and len(names) != n_items:
        raise GameError(f"{caller}: names has {len(names)} entries for {n_items} items")
    if l2 == 0:
        _check_existence(w, lo, n_items, names, caller)
    m = max(w.size, 1)
    scores = np.zeros(n_items)
    objective = _penalised(scores, w, lo, l2)
    iterations, gradient_norm = 0, math.inf
    while True:
        d = scores[w] - scores[lo]
        p_win = 0.5 * (1.0 + np.tanh(0.5 * d))  # sigmoid without overflow
        q = 1.0 - p_win
        gradient = np.bincount(w, q, n_items) - np.bincount(lo, q, n_items) - l2 * scores
        gradient_norm = float(np.abs(gradient).max()) / m
        if gradient_norm <= tol or iterations >= max_iterations:
            break
        step = _newton_step(w, lo, p_win * q, gradient, n_items, l2)
        # Backtracking (Armijo) on the concave objective: plain Newton can overshoot far from the optimum. Near it
        # (a small Newton decrement) the full step is taken: the gain is then below the objective's round-off.
        t, slope = 1.0, float(gradient @ step)
        candidate = scores + step
        if slope > 1e-6:
            while True:
                value = _penalised(candidate, w, lo, l2)
                if value >= objective + 1e-4 * t * slope:
                    break
                t *= 0.5
                if t < 1e-12:  # no ascent left in floating point: the gradient test decides
                    break
                candidate = scores + t * step
        iterations += 1
        if t < 1e-12:
            break
        scores = candidate - candidate.mean()
        objective = _penalised(scores, w, lo, l2)
    return BradleyTerryResult(scores=scores, log_likelihood=float(_log_sigmoid(scores[w] - scores[lo]).sum()),
                              accuracy=_accuracy(scores, w, lo), converged=gradient_norm <= tol,
                              iterations=iterations, gradient_norm=gradient_norm)


def _accuracy(scores: np.ndarray, winners: np.ndarray, losers: np.ndarray) -> float:
    if winners.size == 0:
        return math.nan
    d = scores[winners] - scores[losers]
    return float(np.mean(np.where(d > 0, 1.0, np.where(d == 0, 0.5, 0.0))))


# -- reward models with optax ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RewardModel:
    """A fitted reward. ``kind``: "linear" | "mlp" | "tabular"; ``params``: ``theta [F]`` (linear), the MLP's
    arrays, or ``scores [K]`` (tabular); ``scores [K]`` the reward of the fitted items; ``log_likelihood`` the total
    Bradley-Terry log-likelihood of the comparisons (no penalty); ``converged`` (the objective's gradient at most
    ``tol`` in the infinity norm), ``iterations``, ``gradient_norm``, ``seconds``."""

    kind: str
    params: Any
    scores: np.ndarray
    log_likelihood: float
    converged: bool
    iterations: int
    gradient_norm: float
    seconds: float
    static: Any = field(default=None, repr=False)  # the MLP's non-array parts (equinox partition)

    def predict(self, features: Any) -> Any:
        """The reward of items ``features [..., F]`` -> ``[...]`` (linear and MLP models)."""
        import jax
        import jax.numpy as jnp

        if self.kind == "tabular":
            raise NotApplicableError("RewardModel.predict: a tabular reward model scores only its fitted items: "
                                     "use .scores, or fit model='linear' or 'mlp'")
        x = jnp.asarray(features)
        if self.kind == "linear":
            return x @ self.params
        import equinox as eqx

        net = eqx.combine(self.params, self.static)
        flat = x.reshape(-1, x.shape[-1])
        return jax.vmap(net)(flat).reshape(x.shape[:-1])


class TrainState(NamedTuple):
    """The explicit state of :func:`trainer`: ``params``, the optimizer's state, ``iteration`` and the gradient's
    infinity norm at ``params`` before the last step (``inf`` before the first)."""

    params: Any
    opt_state: Any
    iteration: Any
    gradient_norm: Any


@functools.lru_cache(maxsize=1)
def _mlp_class() -> Any:
    """The MLP module class, made once (its static part must compare equal across fits: a jit cache key)."""
    import equinox as eqx
    import jax

    class BradleyTerryMLP(eqx.Module):
        """``x [F] -> scalar``: tanh hidden layers, a linear output."""

        layers: tuple[Any, ...]

        def __call__(self, x: Any) -> Any:
            for layer in self.layers[:-1]:
                x = jax.nn.tanh(layer(x))
            return self.layers[-1](x)[0]

    return BradleyTerryMLP


def _mlp(key: Any, n_features: int, hidden: tuple[int, ...]) -> Any:
    import equinox as eqx
    import jax

    sizes = (n_features, *hidden, 1)
    keys = jax.random.split(key, len(sizes) - 1)
    return _mlp_class()(tuple(eqx.nn.Linear(a, b, key=k)
                              for a, b, k in zip(sizes[:-1], sizes[1:], keys, strict=True)))


def bradley_terry_loss(reward: Any, params: Any, batch: tuple[Any, Any, Any, Any], l2: float) -> Any:
    """The objective ``mean -log sigmoid(r_w - r_l) + l2/2 ||params||^2``; ``reward(params, features) -> [K]``;
    ``batch = (features [K, F], winners [M], losers [M], weights [M])``: the mean is weighted (weight 0 marks the
    padding that keeps the compiled shapes few)."""
    import jax
    import jax.numpy as jnp

    features, winners, losers, weights = batch
    r = reward(params, features)
    penalty = sum(jnp.sum(leaf**2) for leaf in jax.tree_util.tree_leaves(params))
    nll = -jax.nn.log_sigmoid(r[winners] - r[losers])
    return jnp.sum(weights * nll) / jnp.sum(weights) + 0.5 * l2 * penalty


def trainer(reward: Any, l2: Any, optimizer: Any) -> tuple[Any, Any]:
    """The pure pair ``init(params) -> TrainState`` and ``update(state, batch) -> TrainState`` (one optimizer step on
    :func:`bradley_terry_loss`); jit- and vmap-able (e.g. over seeds or data sets)."""
    import jax
    import jax.numpy as jnp
    import optax

    # Plain transformations (Adam) ignore the line search's extra arguments; L-BFGS uses them.
    optimizer = optax.with_extra_args_support(optimizer)

    def loss(params: Any, batch: Any) -> Any:
        return bradley_terry_loss(reward, params, batch, l2)

    def init(params: Any) -> TrainState:
        return TrainState(params, optimizer.init(params), jnp.asarray(0), jnp.asarray(jnp.inf))

    def update(state: TrainState, batch: Any) -> TrainState:
        value, grad = jax.value_and_grad(loss)(state.params, batch)
        updates, opt_state = optimizer.update(grad, state.opt_state, state.params, value=value, grad=grad,
                                              value_fn=lambda p: loss(p, batch))
        norm = optax.tree_utils.tree_max(jax.tree_util.tree_map(jnp.abs, grad))
        return TrainState(optax.apply_updates(state.params, updates), opt_state, state.iteration + 1, norm)

    return init, update


def _reward_function(kind: str) -> Any:
    """``reward(params, features [K, F], static) -> [K]``."""
    if kind == "linear":
        return lambda params, features, static: features @ params
    if kind == "tabular":
        return lambda params, features, static: params
    import equinox as eqx
    import jax

    return lambda params, features, static: jax.vmap(eqx.combine(params, static))(features)


def fit_reward_model(items_or_features: Any, comparisons: Comparisons, *, model: str = "linear", l2: float = 1e-3,
                     hidden: tuple[int, ...] = (32,), key: Any = None, learning_rate: float | None = None,
                     max_iterations: int = 2000, max_seconds: float | None = None, tol: float = 1e-5,
                     weights: Any = None) -> RewardModel:
    """Bradley-Terry maximum likelihood (penalised by ``l2``) of a reward over ``items_or_features`` (an
    :class:`ItemSet`, whose gold is never read, or ``features [K, F]``) from ``comparisons`` (indices into the
    ``K`` items). ``key``: the MLP's initialisation (``jax.random.key(0)`` when None). ``weights [M]``: optional
    non-negative weights of the comparisons (counts of repeated comparisons; 0 leaves one out: a smaller label
    budget on the same compiled shapes); the mean in the objective and ``log_likelihood`` are weighted. Never
    raises on a budget: it returns the last iterate, ``converged=False``."""
    import jax
    import jax.numpy as jnp

    from equilibria.applications.rlhf.preferences import ItemSet
    from equilibria.solvers._common import Budget

    caller = "fit_reward_model"
    features_in = items_or_features.features if isinstance(items_or_features, ItemSet) else items_or_features
    features_np = np.asarray(features_in, dtype=float)
    if features_np.ndim != 2 or not np.all(np.isfinite(features_np)):
        raise GameError(f"{caller}: features must be a finite [K, F] array, got shape {features_np.shape}")
    if model not in MODELS:
        raise GameError(f"{caller}: model must be one of {', '.join(MODELS)}, got {model!r}")
    if isinstance(l2, bool) or not isinstance(l2, int | float) or not math.isfinite(l2) or l2 < 0:
        raise GameError(f"{caller}: l2 must be a finite number >= 0, got {l2!r}")
    if isinstance(tol, bool) or not isinstance(tol, int | float) or not tol > 0:
        raise GameError(f"{caller}: tol must be a positive number, got {tol!r}")
    if learning_rate is not None and (isinstance(learning_rate, bool) or not isinstance(learning_rate, int | float)
                                      or not math.isfinite(learning_rate) or learning_rate <= 0):
        raise GameError(f"{caller}: learning_rate must be a positive number or None, got {learning_rate!r}")
    if model == "mlp" and (not isinstance(hidden, tuple | list) or not hidden
                           or any(isinstance(h, bool) or not isinstance(h, int) or h < 1 for h in hidden)):
        raise GameError(f"{caller}: hidden must be a non-empty tuple of positive layer widths, got {hidden!r}")
    budget = Budget.checked(max_iterations, max_seconds, caller)
    n_items = features_np.shape[0]
    if not all(hasattr(comparisons, name) for name in ("first", "second", "first_preferred")):
        raise GameError(f"{caller}: comparisons must be a Comparisons, got {type(comparisons).__name__}")
    winners = _index_array(comparisons.winners, "comparisons", caller)
    losers = _index_array(comparisons.losers, "comparisons", caller)
    if winners.size == 0:
        raise GameError(f"{caller}: comparisons must hold at least one comparison")
    if min(winners.min(), losers.min()) < 0 or max(winners.max(), losers.max()) >= n_items:
        raise GameError(f"{caller}: comparison indices must lie in [0, {n_items - 1}]")
    if weights is None:
        weight = np.ones(winners.size)
    else:
        weight = np.asarray(weights, dtype=float)
        if weight.shape != winners.shape or not np.all(np.isfinite(weight)) or np.any(weight < 0) or not weight.any():
            raise GameError(f"{caller}: weights must be {winners.size} finite numbers >= 0, not all 0")

    started = time.perf_counter()
    features = jnp.asarray(features_np, dtype=jnp.asarray(0.0).dtype)
    static = None
    if model == "linear":
        params: Any = jnp.zeros(features.shape[1], features.dtype)
    elif model == "tabular":
        params = jnp.zeros(n_items, features.dtype)
    else:
        import equinox as eqx

        net = _mlp(jax.random.key(0) if key is None else key, features.shape[1], tuple(hidden))
        params, static = eqx.partition(net, eqx.is_inexact_array)
    init, chunk, gradient = _compiled(model, None if learning_rate is None else float(learning_rate))
    l2_value, tol_value = jnp.asarray(float(l2), features.dtype), jnp.asarray(float(tol), features.dtype)
    # Comparisons padded with weight 0 to a power of two: a new label budget rarely means a new compilation.
    size = 1 << max(0, int(winners.size - 1).bit_length())
    pad = size - winners.size
    batch = (features, jnp.asarray(np.concatenate((winners, np.zeros(pad, np.int64)))),
             jnp.asarray(np.concatenate((losers, np.zeros(pad, np.int64)))),
             jnp.asarray(np.concatenate((weight, np.zeros(pad))), dtype=features.dtype))
    state = init(params)
    while True:
        done = int(state.iteration)
        limit = budget.max_iterations if budget.max_iterations is not None else done + _CHUNK
        state = chunk(state, batch, jnp.asarray(min(done + _CHUNK, limit)), l2_value, tol_value, static)
        if float(state.gradient_norm) <= tol or budget.exhausted(int(state.iteration)):
            break
    # The certificate is re-measured at the returned parameters, never taken from the loop's bookkeeping: in
    # float64 NumPy for the linear and tabular models (the gradient written out), by autodiff for the MLP.
    scores = np.asarray(_reward_function(model)(state.params, features, static), dtype=float)
    if model == "mlp":
        gradient_norm = float(gradient(state.params, batch, l2_value, static))
    else:
        q = weight * (1.0 - 0.5 * (1.0 + np.tanh(0.5 * (scores[winners] - scores[losers])))) / weight.sum()
        per_item = np.bincount(losers, q, n_items) - np.bincount(winners, q, n_items)  # d loss / d score
        params_np = np.asarray(state.params, dtype=float)
        grad_np = (features_np.T @ per_item if model == "linear" else per_item) + l2 * params_np
        gradient_norm = float(np.abs(grad_np).max())
    log_likelihood = float(weight @ _log_sigmoid(scores[winners] - scores[losers]))
    return RewardModel(kind=model, params=state.params, scores=scores, log_likelihood=log_likelihood,
                       converged=bool(np.isfinite(gradient_norm) and gradient_norm <= tol),
                       iterations=int(state.iteration), gradient_norm=gradient_norm,
                       seconds=time.perf_counter() - started, static=static)


@functools.lru_cache(maxsize=16)
def _compiled(model: str, learning_rate: float | None) -> tuple[Any, Any, Any]:
    """``(init, chunk, gradient_norm)`` made once per model kind and optimizer: ``l2`` and ``tol`` are traced
    arguments, so jit compiles once per shape (and MLP structure), not once per setting."""
    import jax
    import jax.numpy as jnp
    import optax

    optimizer = (optax.lbfgs(linesearch=optax.scale_by_zoom_linesearch(max_linesearch_steps=30))
                 if learning_rate is None else optax.adam(learning_rate))
    reward_of = _reward_function(model)

    def pieces(static: Any, l2: Any) -> tuple[Any, Any]:
        def reward(params: Any, features: Any) -> Any:
            return reward_of(params, features, static)

        return reward, trainer(reward, l2, optimizer)

    def init(params: Any) -> TrainState:
        return pieces(None, 0.0)[1][0](params)

    @functools.partial(jax.jit, static_argnums=5)
    def chunk(state: TrainState, batch: Any, steps: Any, l2: Any, tol: Any, static: Any) -> TrainState:
        update = pieces(static, l2)[1][1]

        def cond(s: TrainState) -> Any:
            return (s.iteration < steps) & (s.gradient_norm > tol)

        return jax.lax.while_loop(cond, lambda s: update(s, batch), state)

    @functools.partial(jax.jit, static_argnums=3)
    def gradient(params: Any, batch: Any, l2: Any, static: Any) -> Any:
        reward = pieces(static, l2)[0]
        grad = jax.grad(lambda p: bradley_terry_loss(reward, p, batch, l2))(params)
        return optax.tree_utils.tree_max(jax.tree_util.tree_map(jnp.abs, grad))

    return init, chunk, gradient


# -- quality ---------------------------------------------------------------------------------------------------------


def _ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks (ties share their mean rank)."""
    order = np.argsort(x, kind="stable")
    sorted_x = x[order]
    ranks = np.empty(x.size)
    boundaries = np.flatnonzero(np.diff(sorted_x) != 0) + 1
    starts = np.concatenate(([0], boundaries))
    ends = np.concatenate((boundaries, [x.size]))
    for a, b in zip(starts, ends, strict=True):
        ranks[order[a:b]] = 0.5 * (a + b - 1)
    return ranks


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    denominator = math.sqrt(float(a @ a) * float(b @ b))
    return float(a @ b / denominator) if denominator > 0 else math.nan


def reward_model_quality(model: RewardModel, items: ItemSet, held_out: Comparisons) -> dict[str, float]:
    """Quality of ``model`` on ``items`` (the fitted ones or fresh ones; tabular models: the fitted ones) and
    ``held_out`` comparisons among them: ``{"accuracy"`` (agreement with the held-out labels), ``"gold_accuracy"``
    (agreement with the gold ordering of the held-out pairs, pairs with equal gold left out), ``"pearson"``,
    ``"spearman"`` (correlations of the reward with gold over the items), ``"epic"`` (``sqrt((1 - pearson)/2)``)``}``.
    """
    caller = "reward_model_quality"
    gold = np.asarray(items.gold, dtype=float)
    if model.kind == "tabular":
        if model.scores.shape[0] != gold.shape[0]:
            raise GameError(f"{caller}: a tabular model scores its {model.scores.shape[0]} fitted items, got "
                            f"{gold.shape[0]} items")
        reward = np.asarray(model.scores, dtype=float)
    else:
        reward = np.asarray(model.predict(items.features), dtype=float)
    first, second = np.asarray(held_out.first), np.asarray(held_out.second)
    labels = np.asarray(held_out.first_preferred, dtype=bool)
    if first.size == 0:
        raise GameError(f"{caller}: held_out must hold at least one comparison")
    if max(first.max(), second.max()) >= gold.shape[0] or min(first.min(), second.min()) < 0:
        raise GameError(f"{caller}: held_out indices must lie in [0, {gold.shape[0] - 1}]")
    d = reward[first] - reward[second]
    predicted = np.where(d > 0, 1.0, np.where(d == 0, 0.5, 0.0))
    accuracy = float(np.mean(np.where(labels, predicted, 1.0 - predicted)))
    gold_d = gold[first] - gold[second]
    decided = gold_d != 0
    gold_accuracy = (float(np.mean(np.where(gold_d[decided] > 0, predicted[decided], 1.0 - predicted[decided])))
                     if decided.any() else math.nan)
    pearson = _pearson(reward, gold)
    spearman = _pearson(_ranks(reward), _ranks(gold))
    epic = math.sqrt(max(0.0, (1.0 - pearson) / 2.0)) if math.isfinite(pearson) else math.nan
    return {"accuracy": accuracy, "gold_accuracy": gold_accuracy, "pearson": pearson, "spearman": spearman,
            "epic": epic}
