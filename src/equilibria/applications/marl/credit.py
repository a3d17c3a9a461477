"""Credit assignment in cooperative games: multi-agent policy gradient with four gradient estimators, their exact
moments, and the link between difference rewards and the VCG (Clarke pivot) externality.

Conventions (written once, here; the games are :mod:`.cooperative`'s):

- **Policies** are independent softmax policies, one per agent: ``logits: [n_agents, n_actions]`` in one-shot games,
  ``[n_agents, n_states, n_actions]`` in the stochastic game; ``pi = softmax(logits, axis=-1)``.
- **The estimators** of agent ``i``'s policy gradient ``d J / d logits_i`` from one sampled joint action ``u`` (one
  episode in the stochastic game) are all ``A^i * (onehot(u_i) - pi_i)`` (the softmax score) with the advantage
  ``A^i`` (``ESTIMATORS``):

  - ``"reinforce"``: the team reward ``r(u)`` (the return ``G_t`` in the stochastic game);
  - ``"value"``: ``r(u) - V``, a state-value baseline (exact ``V = J(pi)`` in the exact analysis; a running average
    of the rewards, ``baseline_rate``, in the learners; in the stochastic game a learned ``V_t(s)``);
  - ``"difference"``: ``r(u) - r(u_-i, c)``, the reward with agent ``i``'s action replaced by the game's default
    action ``c`` (Wolpert and Tumer); in the stochastic game each step's reward is replaced so, and ``A^i_t`` is the
    discounted sum of these differences from ``t`` on;
  - ``"coma"``: ``Q(s, u) - sum_v pi_i(v | s) Q(s, (u_-i, v))`` (Foerster et al. 2018), with ``Q = r`` exact on
    one-shot games; in the stochastic game the exact finite-horizon ``Q_t`` in the analysis and a learned critic
    ``Q_t(s, u)`` in the learner, indexed by the step ``t`` as the exact one is (over a finite horizon the value of
    a joint action depends on the steps left): a running average of the Monte Carlo returns from ``(t, s, u)``
    (rate ``critic_rate``), which at a fixed policy tends to the exact ``Q_t`` (tested).

  In one-shot games the subtracted terms of ``"value"``, ``"difference"`` and ``"coma"`` do not depend on ``u_i``, so
  all four are unbiased; in the stochastic game the counterfactual rewards of later steps depend on agent ``i``'s
  earlier actions through the state, so ``"difference"`` is biased there (:func:`episodic_moments` measures it).
- **Moments** (:class:`Moments`) are of the one-sample estimator at a fixed policy: ``mean`` (per agent, the expected
  estimate), ``variance`` (per agent, the trace of its covariance, ``E ||g_i - E g_i||^2``), ``gradient`` (the exact
  ``d J / d logits``), and ``bias = mean - gradient``. Exact where the game is small (enumeration), exact for
  :class:`~.cooperative.CountTeamGame` of any size (the number of other participants is Poisson-binomial), Monte
  Carlo with standard errors otherwise (:func:`sampled_moments`). Computed in float64 NumPy.
- **Learners** are pure ``init(game, key) -> state`` / ``update(game, state, key) -> state`` pairs (one stream; seeds
  are ``jax.vmap``-ed outside, by :func:`train`), ``policy(game, state) -> pi``. Every number reported about a run
  (success, value) is computed from the returned policies, never from a learner's running averages: success is the
  *greedy* joint action (each agent's most likely action) reaching the game's optimum.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from equilibria.applications.marl._vcg import VCGOutcome, abstention_outcomes, clarke_pivot
from equilibria.applications.marl.base import MarkovEnv, reset, step
from equilibria.applications.marl.cooperative import CountTeamGame, MatrixTeamGame, TeamGame, is_optimal
from equilibria.core.errors import GameError
from equilibria.dynamics.base import state_dataclass
from equilibria.games.stochastic import StochasticGame

ESTIMATORS = ("reinforce", "value", "difference", "coma")


def check_estimator(estimator: str) -> str:
    if estimator not in ESTIMATORS:
        raise GameError(f"estimator: expected one of {', '.join(ESTIMATORS)}, got {estimator!r}")
    return estimator


def advantages(estimator: str, reward: Any, counterfactual: Any, pi: Any, default: Any, baseline: Any = 0.0) -> Any:
    """``A^i`` (module docstring) from ``reward: [...]``, ``counterfactual: [..., n_agents, n_actions]`` (rewards with
    agent ``i``'s action replaced; COMA's critic values in place of rewards), ``pi: [n_agents, n_actions]``:
    ``[..., n_agents]``. Works on NumPy and JAX arrays alike (operators only)."""
    r = reward[..., None]
    if estimator == "reinforce":
        return r + 0.0 * counterfactual[..., 0]
    if estimator == "value":
        return r - baseline + 0.0 * counterfactual[..., 0]
    if estimator == "difference":
        return r - counterfactual[..., default]
    return r - (pi * counterfactual).sum(axis=-1)


def selected_advantages(index: jax.Array, reward: jax.Array, counterfactual: jax.Array, pi: jax.Array,
                        default: jax.Array, baseline: jax.Array | float = 0.0) -> jax.Array:
    """:func:`advantages` of ``ESTIMATORS[index]`` with ``index`` a traced int32 (every estimator is computed, one
    kept: the four share one compiled program, so a sweep over estimators compiles once)."""
    return jnp.stack([advantages(e, reward, counterfactual, pi, default, baseline) for e in ESTIMATORS])[index]


class Moments(NamedTuple):
    """An estimator's moments at one policy (module docstring): ``mean``, ``gradient``: ``[n_agents, ...]``;
    ``variance``: ``[n_agents]``; ``variance_se``, ``mean_se``: standard errors (zeros when exact)."""

    mean: np.ndarray
    variance: np.ndarray
    gradient: np.ndarray
    variance_se: np.ndarray
    mean_se: np.ndarray

    @property
    def bias(self) -> np.ndarray:
        return self.mean - self.gradient


def softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def _checked_policies(game: TeamGame, policies: Any) -> np.ndarray:
    pi = np.asarray(policies, dtype=np.float64)
    if pi.shape != (game.n_agents, game.n_actions) or not np.all(pi >= 0) or not np.allclose(pi.sum(-1), 1.0):
        raise GameError(f"policies: expected distributions [n_agents, n_actions] = {(game.n_agents, game.n_actions)}, "
                        f"got shape {pi.shape}")
    return pi


# ------------------------------------------------------------------------------------------------------------
# One-shot games: exact and sampled moments
# ------------------------------------------------------------------------------------------------------------


def exact_moments(game: TeamGame, policies: Any, estimator: str) -> Moments:
    """The exact moments of ``estimator`` at ``policies: [n_agents, n_actions]`` (module docstring): by enumerating
    the joint actions of a :class:`MatrixTeamGame`, by the Poisson-binomial count of the other participants in a
    :class:`CountTeamGame` (any number of agents)."""
    check_estimator(estimator)
    pi = _checked_policies(game, policies)
    if isinstance(game, CountTeamGame):
        return _count_moments(np.asarray(game.values, np.float64), pi, estimator, int(game.default))
    n, m = game.n_agents, game.n_actions
    if m**n > 2**20:
        raise GameError(f"game: {m}^{n} joint actions are too many to enumerate; use sampled_moments")
    table = game.table()
    joint = np.indices(table.shape).reshape(n, -1).T  # [U, n]
    prob = np.prod(pi[np.arange(n), joint], axis=1)  # [U]
    reward = table[tuple(joint.T)]
    counterfactual = np.stack([np.moveaxis(table, i, -1)[tuple(np.delete(joint, i, axis=1).T)] for i in range(n)],
                              axis=1)  # [U, n, m]
    value = prob @ reward
    adv = advantages(estimator, reward, counterfactual, pi, int(game.default), value)  # [U, n]
    g = adv[..., None] * (np.eye(m)[joint] - pi)  # [U, n, m]
    mean = np.einsum("u,uim->im", prob, g)
    second = np.einsum("u,uim->i", prob, g**2)
    q = np.einsum("u,uim,ui->im", prob, np.eye(m)[joint], np.broadcast_to(reward[:, None], (len(reward), n)))
    gradient = q - pi * value  # pi_i(v) (Q_i(v) - J), Q_i(v) pi_i(v) = E[r 1{u_i = v}]
    zeros = np.zeros(n)
    return Moments(mean, second - (mean**2).sum(-1), gradient, zeros, np.zeros_like(mean))


def others_count(p: np.ndarray) -> np.ndarray:
    """``[n_agents, n_agents]``: row ``i`` the distribution of the number of agents ``j != i`` playing 1, when agent
    ``j`` plays 1 with probability ``p[j]`` independently (Poisson-binomial, by dynamic programming)."""
    n = len(p)
    out = np.zeros((n, n))
    for i in range(n):
        dist = np.zeros(n)
        dist[0] = 1.0
        for j in np.delete(np.arange(n), i):
            dist[1:] = dist[1:] * (1 - p[j]) + dist[:-1] * p[j]
            dist[0] *= 1 - p[j]
        out[i] = dist
    return out


def _count_moments(values: np.ndarray, pi: np.ndarray, estimator: str, default: int) -> Moments:
    n = len(pi)
    q_others = others_count(pi[:, 1])  # [n, k = 0..n-1]
    k = np.arange(n)
    # Everything depends on (u_i, k_-i): reward[u, k] = values[k + u]; counterfactual over agent i's actions.
    reward = np.stack([values[k], values[k + 1]])  # [2 (u_i), n (k)]
    counterfactual = np.broadcast_to(np.stack([values[k], values[k + 1]], axis=-1), (2, n, 2))  # [u, k, v]
    prob = pi.T[:, :, None] * q_others[None]  # [u, i, k]
    value = float(np.einsum("uik,uk->", prob[:, :1], reward))  # J: the same for every i
    mean, second, gradient = np.zeros((n, 2)), np.zeros(n), np.zeros((n, 2))
    for i in range(n):
        # One agent (i) on the agent axis: [u, k, 1, v].
        adv = advantages(estimator, reward, counterfactual[:, :, None], pi[i][None], default, value)[..., 0]
        score = np.eye(2)[:, None, :] - pi[i]  # [u, 1, v]
        g = adv[..., None] * score  # [u, k, v]
        mean[i] = np.einsum("uk,ukv->v", prob[:, i], g)
        second[i] = np.einsum("uk,ukv->", prob[:, i], g**2)
        gradient[i] = pi[i] * (np.einsum("uk,uk->u", prob[:, i], reward) / np.maximum(pi[i], 1e-300) - value)
    return Moments(mean, second - (mean**2).sum(-1), gradient, np.zeros(n), np.zeros((n, 2)))


@functools.partial(jax.jit, static_argnames=("samples",))
def _sample(game: TeamGame, logits: jax.Array, key: jax.Array, samples: int) -> tuple[jax.Array, ...]:
    actions = jax.random.categorical(key, logits, axis=-1, shape=(samples, logits.shape[0]))
    return actions, jax.vmap(game.reward)(actions), jax.vmap(game.counterfactuals)(actions)


def sampled_moments(game: TeamGame, policies: Any, estimator: str, key: jax.Array, samples: int = 10_000,
                    baseline: float | None = None) -> Moments:
    """Monte Carlo moments of ``estimator`` from ``samples`` joint actions (module docstring), with standard errors;
    ``gradient`` is the REINFORCE sample mean (an unbiased estimate of the exact gradient). ``baseline``: the
    ``"value"`` estimator's ``V`` (default: the sample mean reward)."""
    check_estimator(estimator)
    pi = _checked_policies(game, policies)
    actions, reward, counterfactual = (np.asarray(x) for x in _sample(game, jnp.log(jnp.asarray(pi, jnp.float32)),
                                                                       key, samples))
    reward, counterfactual = reward.astype(np.float64), counterfactual.astype(np.float64)
    v = float(reward.mean()) if baseline is None else baseline
    score = np.eye(game.n_actions)[np.asarray(actions)] - pi  # [S, n, m]
    g = advantages(estimator, reward, counterfactual, pi, int(game.default), v)[..., None] * score
    plain = reward[:, None, None] * score
    mean = g.mean(0)
    deviation = ((g - mean) ** 2).sum(-1)  # [S, n]
    return Moments(mean, deviation.mean(0) * samples / (samples - 1), plain.mean(0),
                   deviation.std(0, ddof=1) / np.sqrt(samples), g.std(0, ddof=1) / np.sqrt(samples))


def team_objective(game: TeamGame, logits: jax.typing.ArrayLike) -> jax.Array:
    """``J(logits) = E[r(u)]`` under the softmax policies, in JAX (differentiable: ``jax.grad`` gives the exact policy
    gradient, a check on :func:`exact_moments` that shares none of its code)."""
    pi = jax.nn.softmax(logits, axis=-1)
    if isinstance(game, CountTeamGame):
        def add(dist: jax.Array, p: jax.Array) -> tuple[jax.Array, None]:
            return dist * (1 - p) + jnp.concatenate([jnp.zeros(1, dist.dtype), dist[:-1]]) * p, None

        start = jnp.zeros(game.n_agents + 1, pi.dtype).at[0].set(1.0)
        dist, _ = jax.lax.scan(add, start, pi[:, 1])
        return dist @ game.values.astype(pi.dtype)
    value = game.payoff.astype(pi.dtype)
    for row in reversed(list(pi)):  # contract the last axis first
        value = value @ row
    return value


# ------------------------------------------------------------------------------------------------------------
# One-shot games: the learners
# ------------------------------------------------------------------------------------------------------------


@state_dataclass
class OneShotState:
    """``logits: [n_agents, n_actions]``; ``baseline``: running average of the team reward (the ``"value"``
    estimator's ``V``); ``estimator``: int32, the index in ``ESTIMATORS``; ``t``: updates done."""

    logits: jax.Array
    baseline: jax.Array
    estimator: jax.Array
    t: jax.Array


class CreditLearner(NamedTuple):
    """Pure ``init(game, key)``, ``update(game, state, key)`` and ``policy(game, state)`` (module docstring), a name
    and its hyperparameters; hashable, so ``jax.jit`` takes it as a static argument."""

    init: Callable[[Any, jax.Array], Any]
    update: Callable[[Any, Any, jax.Array], Any]
    policy: Callable[[Any, Any], jax.Array]
    name: str
    hyperparameters: tuple[tuple[str, Any], ...] = ()


def _positive(name: str, value: float, high: float = float("inf")) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= high:
        raise GameError(f"{name}: expected a number in (0, {high:g}], got {value!r}")


@functools.lru_cache(maxsize=64)
def policy_gradient(estimator: str, *, learning_rate: float = 0.5, batch: int = 1,
                    baseline_rate: float = 0.05) -> CreditLearner:
    """Independent softmax policy gradient on a one-shot team game with ``estimator``'s advantages: each update
    samples ``batch`` joint actions from the current policies and ascends the mean estimate by ``learning_rate``."""
    check_estimator(estimator)
    _positive("learning_rate", learning_rate)
    _positive("baseline_rate", baseline_rate, 1.0)
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise GameError(f"batch: expected an integer >= 1, got {batch!r}")

    def init(game: TeamGame, key: jax.Array) -> OneShotState:
        del key  # uniform policies: every seed starts alike, the sampled actions differ
        return OneShotState(jnp.zeros((game.n_agents, game.n_actions), jnp.float32), jnp.zeros((), jnp.float32),
                            jnp.asarray(ESTIMATORS.index(estimator), jnp.int32), jnp.zeros((), jnp.int32))

    def update(game: TeamGame, state: OneShotState, key: jax.Array) -> OneShotState:
        pi = jax.nn.softmax(state.logits, axis=-1)
        actions = jax.random.categorical(key, state.logits, axis=-1, shape=(batch, game.n_agents))
        reward = jax.vmap(game.reward)(actions)
        counterfactual = jax.vmap(game.counterfactuals)(actions)
        adv = selected_advantages(state.estimator, reward, counterfactual, pi, game.default, state.baseline)
        score = jax.nn.one_hot(actions, game.n_actions) - pi
        step_ = learning_rate * (adv[..., None] * score).mean(0)
        return OneShotState(state.logits + step_, state.baseline + baseline_rate * (reward.mean() - state.baseline),
                            state.estimator, state.t + 1)

    def policy(game: TeamGame, state: OneShotState) -> jax.Array:
        return jax.nn.softmax(state.logits, axis=-1)

    return CreditLearner(init, update, policy, f"pg-{estimator}",
                         (("estimator", estimator), ("learning_rate", learning_rate), ("batch", batch),
                          ("baseline_rate", baseline_rate)))


@functools.partial(jax.jit, static_argnames=("learner", "steps"))
def _train(game: Any, learner: CreditLearner, keys: jax.Array, steps: int, estimators: jax.Array) -> jax.Array:
    def one(key: jax.Array, estimator: jax.Array) -> jax.Array:
        first, rest = jax.random.split(key)
        state = dataclasses.replace(learner.init(game, first), estimator=estimator)
        state, _ = jax.lax.scan(lambda s, k: (learner.update(game, s, k), None), state, jax.random.split(rest, steps))
        return learner.policy(game, state)

    return jax.vmap(lambda e: jax.vmap(lambda k: one(k, e))(keys))(estimators)


def _seed_keys(key: jax.Array | int, seeds: int, steps: int) -> jax.Array:
    for name, value in (("seeds", seeds), ("steps", steps)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise GameError(f"{name}: expected an integer >= 1, got {value!r}")
    key = jax.random.PRNGKey(key) if isinstance(key, int) else key
    return jax.vmap(lambda k: jax.random.fold_in(key, k))(jnp.arange(seeds))


def train(game: Any, learner: CreditLearner, key: jax.Array | int, *, seeds: int, steps: int) -> np.ndarray:
    """Run ``learner`` for ``steps`` updates on ``seeds`` independent streams (seed ``k``: ``fold_in(key, k)``):
    the final policies, float64 ``[seeds, *policy shape]``. One compilation per game shape, seed count and step
    count."""
    own = learner.init(game, jax.random.PRNGKey(0)).estimator
    return np.asarray(_train(game, learner, _seed_keys(key, seeds, steps), steps, own[None]), np.float64)[0]


def train_estimators(game: Any, learner: CreditLearner, key: jax.Array | int, *, seeds: int, steps: int,
                     estimators: tuple[str, ...] = ESTIMATORS) -> dict[str, np.ndarray]:
    """:func:`train` with ``learner``'s hyperparameters and each of ``estimators`` in its place, in one compiled
    program (the same seed keys for every estimator): ``{estimator: [seeds, *policy shape]}``."""
    index = jnp.asarray([ESTIMATORS.index(check_estimator(e)) for e in estimators], jnp.int32)
    out = np.asarray(_train(game, learner, _seed_keys(key, seeds, steps), steps, index), np.float64)
    return dict(zip(estimators, out, strict=True))


def success(game: TeamGame, policies: np.ndarray) -> np.ndarray:
    """``[seeds]`` bool: each seed's greedy joint action (``policies: [seeds, n_agents, n_actions]``) is optimal."""
    return is_optimal(game, np.asarray(policies).argmax(axis=-1))


def share_with_se(hits: np.ndarray) -> tuple[float, float]:
    """The share of true entries and its binomial standard error."""
    p = float(np.mean(hits))
    return p, float(np.sqrt(p * (1 - p) / len(hits)))


# ------------------------------------------------------------------------------------------------------------
# The cooperative stochastic game: episodes of a fixed horizon
# ------------------------------------------------------------------------------------------------------------
# An episode starts from the game's initial distribution and lasts ``horizon`` steps or until a terminal state;
# the objective is ``J = E[sum_{t < horizon} discount^t r_t]``, and agent ``i``'s estimate is
# ``sum_t discount^t A^i_t (onehot(u_i,t) - pi_i(s_t))`` over the steps before the terminal state.


def _joint_counterfactuals(table: jax.Array, actions: jax.Array) -> jax.Array:
    """``table: [n_actions] * n_agents`` (one state's rewards or critic values) -> ``[n_agents, n_actions]``."""
    return MatrixTeamGame(table, jnp.zeros((), jnp.int32)).counterfactuals(actions)


def _discounted_from(values: jax.Array, discount: jax.Array) -> jax.Array:
    """``out[t] = sum_{t' >= t} discount^(t' - t) values[t']`` along the first axis."""
    def back(carry: jax.Array, x: jax.Array) -> tuple[jax.Array, jax.Array]:
        carry = x + discount * carry
        return carry, carry

    _, out = jax.lax.scan(back, jnp.zeros_like(values[0]), values, reverse=True)
    return out


@state_dataclass
class EpisodicState:
    """``logits: [n_agents, n_states, n_actions]``; the critics ``q: [horizon, n_states, *n_actions]`` (joint-action
    values with ``t`` steps done, COMA's) and ``v: [horizon, n_states]`` (the ``"value"`` baseline), both running
    averages of Monte Carlo returns; ``estimator``: int32, the index in ``ESTIMATORS``; ``t``: episodes."""

    logits: jax.Array
    q: jax.Array
    v: jax.Array
    estimator: jax.Array
    t: jax.Array


@functools.lru_cache(maxsize=64)
def episodic_policy_gradient(estimator: str, *, horizon: int = 4, learning_rate: float = 0.5,
                             critic_rate: float = 0.1, default: int = 0) -> CreditLearner:
    """Independent softmax policy gradient on a cooperative stochastic game (a
    :class:`~equilibria.applications.marl.base.MarkovEnv` with equal rewards; rewards of player 0 are the team's):
    one episode of ``horizon`` steps per update (simulated by :func:`~equilibria.applications.marl.base.step`),
    ``estimator``'s advantages (module docstring; COMA and ``"value"`` with learned critics, rate ``critic_rate``),
    ``default`` the difference rewards' default action."""
    check_estimator(estimator)
    _positive("learning_rate", learning_rate)
    _positive("critic_rate", critic_rate, 1.0)
    for name, value, low in (("horizon", horizon, 1), ("default", default, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise GameError(f"{name}: expected an integer >= {low}, got {value!r}")

    def init(environment: MarkovEnv, key: jax.Array) -> EpisodicState:
        del key
        n, s, m = environment.n_players, environment.n_states, environment.max_actions[0]
        return EpisodicState(jnp.zeros((n, s, m), jnp.float32),
                             jnp.zeros((horizon, s, *environment.max_actions), jnp.float32),
                             jnp.zeros((horizon, s), jnp.float32), jnp.asarray(ESTIMATORS.index(estimator), jnp.int32),
                             jnp.zeros((), jnp.int32))

    def update(environment: MarkovEnv, state: EpisodicState, key: jax.Array) -> EpisodicState:
        first, rest = jax.random.split(key)
        s0 = reset(environment, first)

        def play(carry: tuple[jax.Array, jax.Array], k: jax.Array) -> tuple[Any, Any]:
            s, alive = carry
            pick, move = jax.random.split(k)
            u = jax.random.categorical(pick, state.logits[:, s], axis=-1).astype(jnp.int32)
            transition = step(environment, s, u, move)
            reward = jnp.where(alive, transition.rewards[0], 0.0)
            return (transition.next_state, alive & ~transition.done), (s, u, reward, alive)

        _, (states, actions, rewards, alive) = jax.lax.scan(play, (s0, ~environment.terminal[s0]),
                                                             jax.random.split(rest, horizon))
        pi = jax.nn.softmax(state.logits, axis=-1)
        pi_t = jnp.swapaxes(pi[:, states], 0, 1)  # [H, n, m]
        returns = _discounted_from(rewards, environment.discount)  # [H]
        # Every estimator's advantages [H, n], the state's one kept (so one program serves the four).
        cf = jax.vmap(_joint_counterfactuals)(environment.rewards[0][states], actions)  # [H, n, m]
        diff = jnp.where(alive[:, None], rewards[:, None] - cf[..., default], 0.0)
        steps = jnp.arange(horizon)
        q_now = state.q[steps, states]  # [H, *n_actions]: Q_t(s_t, .)
        cf_q = jax.vmap(_joint_counterfactuals)(q_now, actions)
        q_taken = jax.vmap(lambda table, u: table[tuple(u)])(q_now, actions)
        v_now = state.v[steps, states]
        plain = returns[:, None] + jnp.zeros_like(pi_t[..., 0])
        adv = jnp.stack([plain, plain - v_now[:, None], _discounted_from(diff, environment.discount),
                         advantages("coma", q_taken, cf_q, pi_t, default)])[state.estimator]
        weight = alive * environment.discount ** steps
        score = jax.nn.one_hot(actions, pi.shape[-1]) - pi_t
        grad = jnp.einsum("t,ti,tim,ts->ism", weight, adv, score, jax.nn.one_hot(states, environment.n_states))
        index = (steps, states, *actions.T)  # each (t, s_t, u_t) once per episode: no colliding updates
        q = state.q.at[index].add(jnp.where(alive, critic_rate * (returns - q_taken), 0.0))
        v = state.v.at[steps, states].add(jnp.where(alive, critic_rate * (returns - v_now), 0.0))
        return EpisodicState(state.logits + learning_rate * grad, q, v, state.estimator, state.t + 1)

    def policy(environment: MarkovEnv, state: EpisodicState) -> jax.Array:
        return jax.nn.softmax(state.logits, axis=-1)

    return CreditLearner(init, update, policy, f"episodic-pg-{estimator}",
                         (("estimator", estimator), ("horizon", horizon), ("learning_rate", learning_rate),
                          ("critic_rate", critic_rate), ("default", default)))


def _finite_horizon(game: StochasticGame, pi: np.ndarray | None, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Backward induction: ``Q: [horizon, n_states, *n_actions]`` and ``V: [horizon + 1, n_states]`` with ``t`` steps
    done (terminal states worth 0); ``pi`` None: the team optimum (max over joint actions)."""
    reward = np.asarray(game.rewards[0], np.float64)
    n_states = reward.shape[0]
    q_all = np.zeros((horizon, *reward.shape))
    v_all = np.zeros((horizon + 1, n_states))
    terminal = np.asarray(game.terminal)
    for t in reversed(range(horizon)):
        q = reward + game.discount * (game.probabilities * v_all[t + 1][game.successors]).sum(-1)
        q_all[t] = q
        if pi is None:
            value = q.reshape(n_states, -1).max(axis=1)
        else:
            value = q
            for i in reversed(range(len(pi))):
                value = (value * pi[i].reshape(n_states, *(1,) * i, -1)).sum(-1)
        v_all[t] = np.where(terminal, 0.0, value)
    return q_all, v_all


def episode_value(game: StochasticGame, policies: Any, horizon: int) -> float:
    """The exact ``J`` of ``policies: [n_agents, n_states, n_actions]`` over ``horizon`` steps (float64)."""
    _, v = _finite_horizon(game, np.asarray(policies, np.float64), horizon)
    return float(np.asarray(game.initial) @ v[0])


def greedy_success(game: StochasticGame, policies: np.ndarray, horizon: int) -> np.ndarray:
    """``[seeds]`` bool: each seed's greedy policies (``policies: [seeds, n_agents, n_states, n_actions]``) reach the
    team optimum over ``horizon`` steps (exact values, float64)."""
    _, best = _finite_horizon(game, None, horizon)
    optimum = float(np.asarray(game.initial) @ best[0])
    pure = np.eye(np.asarray(policies).shape[-1])[np.asarray(policies).argmax(-1)]
    return np.array([episode_value(game, p, horizon) >= optimum - 1e-9 for p in pure])


def episodic_objective(game: StochasticGame, logits: jax.typing.ArrayLike, horizon: int) -> jax.Array:
    """``J(logits)`` over ``horizon`` steps in JAX (differentiable; a check on :func:`episodic_moments` sharing none
    of its code). ``logits: [n_agents, n_states, n_actions]``."""
    pi = jax.nn.softmax(logits, axis=-1)
    reward = jnp.asarray(game.rewards[0], pi.dtype)
    successors = jnp.asarray(game.successors)
    probabilities = jnp.asarray(game.probabilities, pi.dtype)
    value = jnp.zeros(reward.shape[0], pi.dtype)
    for _ in range(horizon):
        q = reward + game.discount * (probabilities * value[successors]).sum(-1)
        for i in reversed(range(pi.shape[0])):
            q = (q * pi[i].reshape(reward.shape[0], *(1,) * i, -1)).sum(-1)
        value = jnp.where(jnp.asarray(game.terminal), 0.0, q)
    return jnp.asarray(game.initial, pi.dtype) @ value


def episodic_moments(game: StochasticGame, policies: Any, estimator: str, horizon: int, default: int = 0) -> Moments:
    """The exact moments of ``estimator`` in a cooperative stochastic game at ``policies: [n_agents, n_states,
    n_actions]`` by enumerating every episode of ``horizon`` steps (exact ``V_t``, ``Q_t``; module docstring).
    ``gradient`` is REINFORCE's exact mean (unbiased by the policy-gradient theorem)."""
    check_estimator(estimator)
    pi = np.asarray(policies, np.float64)
    q_all, v_all = _finite_horizon(game, pi, horizon)
    reward = np.asarray(game.rewards[0], np.float64)
    n, n_states, m = pi.shape
    joint = [tuple(u) for u in np.indices((m,) * n).reshape(n, -1).T]
    Episode = tuple[float, list[int], list[tuple[int, tuple[int, ...]]]]
    episodes: list[Episode] = [(float(p), [s], []) for s, p in enumerate(np.asarray(game.initial)) if p > 0]
    finished: list[tuple[float, list[tuple[int, tuple[int, ...]]]]] = []
    for _ in range(horizon):
        grown = []
        for prob, states, steps in episodes:
            s = states[-1]
            if game.terminal[s]:
                finished.append((prob, steps))
                continue
            for u in joint:
                pu = prob * np.prod([pi[i, s, u[i]] for i in range(n)])
                for nxt, pn in zip(game.successors[(s, *u)], game.probabilities[(s, *u)], strict=True):
                    if pu * pn > 0:
                        grown.append((pu * pn, [*states, int(nxt)], [*steps, (s, u)]))
        episodes = grown
    finished += [(prob, steps) for prob, _, steps in episodes]
    mean, second, plain = np.zeros((n, n_states, m)), np.zeros(n), np.zeros((n, n_states, m))
    gamma = game.discount
    for prob, steps in finished:
        rewards = np.array([reward[(s, *u)] for s, u in steps])
        g, g_plain = np.zeros_like(mean), np.zeros_like(mean)
        for t, (s, u) in enumerate(steps):
            tail = gamma ** np.arange(len(steps) - t)
            ret = tail @ rewards[t:]
            for i in range(n):
                swapped = [tuple(v if j == i else u[j] for j in range(n)) for v in range(m)]
                if estimator == "difference":
                    cf = np.array([reward[(s2, *(default if j == i else u2[j] for j in range(n)))]
                                   for s2, u2 in steps[t:]])
                    a = tail @ (rewards[t:] - cf)
                elif estimator == "coma":
                    a = q_all[t][(s, *u)] - sum(pi[i, s, v] * q_all[t][(s, *swapped[v])] for v in range(m))
                else:
                    a = ret - (v_all[t, s] if estimator == "value" else 0.0)
                score = np.eye(m)[u[i]] - pi[i, s]
                g[i, s] += gamma**t * a * score
                g_plain[i, s] += gamma**t * ret * score
        mean += prob * g
        second += prob * (g**2).sum(axis=(1, 2))
        plain += prob * g_plain
    zeros = np.zeros(n)
    return Moments(mean, second - (mean**2).sum(axis=(1, 2)), plain, zeros, np.zeros_like(mean))


__all__ = ["ESTIMATORS", "CreditLearner", "EpisodicState", "Moments", "OneShotState", "VCGOutcome",
           "abstention_outcomes", "advantages", "check_estimator", "clarke_pivot", "episode_value",
           "episodic_moments", "episodic_objective", "episodic_policy_gradient", "exact_moments", "greedy_success",
           "others_count", "policy_gradient", "sampled_moments", "share_with_se", "softmax", "success",
           "selected_advantages", "team_objective", "train", "train_estimators"]
