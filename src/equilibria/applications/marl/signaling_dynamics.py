"""Dynamics of Lewis signaling games: two-population replicator dynamics, Roth-Erev urns and REINFORCE, in JAX.

The game and its conventions (``prior: [N]``, ``sender: [N states, N signals]``, ``receiver: [N signals, N acts]``,
row-stochastic; payoff 1 for the right act) are :mod:`~equilibria.applications.marl.signaling`'s; so is the
classification of end points, which every reported number goes through. Every function here handles one start
or one seed; batches are ``vmap`` over a leading axis (the ``*_batch`` helpers jit that), with explicit keys.

**Replicator dynamics** (continuous time, classical RK4 with a fixed step ``dt`` in the shares themselves; every
stage's velocity sums to 0 on each simplex and is proportional to the shares, so iterates stay on their simplices
and faces stay invariant; a clip at 0 and a renormalisation remove rounding). Two settings, both two-population (a
sender population and a receiver population; no individual is both):

- ``"pure"`` (:func:`pure_replicator_batch`; the setting of the published 4.7%): each population is a mixed
  strategy over the ``N^N`` pure strategies (maps states -> signals, signals -> acts); the game is the two-player
  common-payoff game ``A[f, g] = sum_s prior[s] [g(f(s)) == s]`` and the dynamic the ordinary two-population
  replicator ``x' = x (A y - x.Ay)``, ``y' = y (A^T x - y.A^T x)``, started uniformly on each population simplex
  (Dirichlet(1) over the ``N^N`` pure strategies). Measured (the full ``lewis-signaling`` run, 20,000 starts, t =
  500): 4.67% +- 0.15% of starts end in partial pooling for N = 3, equiprobable states.
- ``"behaviour"`` (:func:`replicator_batch`): the agent form, one population per state for the sender and one per
  signal for the receiver (``2N`` simplices of size ``N``), each agent's fitness its payoff ``prior[s] R[m, s]``
  (sender agent ``s``) or ``prior[a] S[a, m]`` (receiver agent ``m``). It is the restriction of the pure dynamic
  to product populations (the payoff is additively separable over rows, and product populations stay products:
  tested), so the two agree from product starts; but Dirichlet(1) on every row is a different start distribution
  from Dirichlet(1) on the pure strategies, and the basins' measures differ: 5.49% +- 0.07% partial pooling for
  N = 3 (the full run, 100,000 starts, t = 500), 11 standard errors above the published 4.7%.

``dynamics/replicator.py`` (``replicator_rk4_step``, log coordinates, one mixed strategy per player of a
``DifferentiableGame``) fits both: the agent form is a ``2N``-player game over simplices (:func:`agent_form_game`)
and the pure setting a bimatrix game (:func:`bimatrix_game`). The tests use it as the reference the batched
integrators must match; the batched ones are written on the matrices directly because the generic step takes one
autodiff gradient per player and a softmax per stage (about three times slower on the behaviour form, measured),
and the pure fitness needs no ``N^N x N^N`` matrix: it depends on the other population only through its
behaviour strategy (``O(N^N N^2)`` per evaluation instead of ``O(N^(2N))``).

Integration horizon: the flow reaches a signaling system exponentially fast (a strict equilibrium), but the
partial-pooling components are made of non-hyperbolic rest points (Huttegger 2007; Pawlowitsch 2008) approached
slowly; end points are classified at ``t_final`` with the tolerance stated by the caller
(:func:`~equilibria.applications.marl.signaling.classify_batch`), and the share left ``"other"`` is reported.

**Roth-Erev reinforcement** (Roth and Erev 1995, basic urns as in Skyrms 2010, ch. 7): the sender keeps an urn of
weights per state, the receiver per signal, all starting at ``initial_weight``; each round a state is drawn from the
prior, the signal and the act in proportion to the weights, and on success (act == state) both drawn balls get
``+1``. The strategy is the normalised urns.

**REINFORCE** (Williams 1992): softmax policies over logits ``[N, N]`` for each player; each round one
state-signal-act episode; both players ascend ``(r - b) grad log pi`` with learning rate ``learning_rate``, where
``b`` is a running mean of the reward (``baseline_rate``), a baseline that leaves the gradient unbiased.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from equilibria.applications.marl.signaling import check_prior, pure_payoff_matrix, pure_strategies
from equilibria.core.checks import positive_int, positive_number
from equilibria.core.errors import GameError

__all__ = ["ReinforceState", "RothErevState", "agent_form_game", "agent_rk4_step", "bimatrix_game",
           "dirichlet_rows", "pure_replicator_batch", "pure_rk4_step", "reinforce_batch", "reinforce_init",
           "reinforce_update", "replicator_batch", "roth_erev_batch", "roth_erev_init", "roth_erev_update"]


def dirichlet_rows(key: jax.Array, n_starts: int, n_rows: int, width: int) -> jax.Array:
    """Independent Dirichlet(1) rows (uniform on each simplex), ``[n_starts, n_rows, width]`` float32."""
    return jax.random.dirichlet(key, jnp.ones(width), (n_starts, n_rows))


# -- replicator dynamics -----------------------------------------------------------------------------------------
def agent_form_game(prior: np.ndarray) -> Any:
    """The ``2N``-player agent form: players ``0..N-1`` the sender in each state, ``N..2N-1`` the receiver on each
    signal, every player's loss minus the common payoff."""
    from equilibria.core.sets import Simplex
    from equilibria.games.differentiable import DifferentiableGame

    n = prior.shape[0]

    def loss(data: jax.Array, params: tuple[jax.Array, ...]) -> jax.Array:
        sender, receiver = jnp.stack(params[:n]), jnp.stack(params[n:])
        value = (sender * receiver.T).sum(axis=-1) @ data
        return -jnp.full(2 * n, value)

    return DifferentiableGame(loss, jnp.asarray(prior, dtype=jnp.float32), (Simplex(),) * (2 * n),
                              name=f"Lewis signaling agent form (N={n})")


def _steps(t_final: Any, dt: Any, caller: str) -> tuple[jax.Array, jax.Array]:
    horizon, step = positive_number(t_final, "t_final", caller), positive_number(dt, "dt", caller)
    n_steps = max(1, int(np.ceil(horizon / step * (1 - 1e-12))))
    return jnp.asarray(horizon / n_steps, dtype=jnp.float32), jnp.asarray(n_steps)


def _velocity(prior: jax.Array, sender: jax.Array, receiver: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``x' = x (u - x.u)`` row by row: sender row ``s`` has ``u[m] = prior[s] receiver[m, s]``, receiver row
    ``m`` has ``u[a] = prior[a] sender[a, m]``."""
    u_sender = prior[:, None] * receiver.T
    u_receiver = (prior[:, None] * sender).T
    return (sender * (u_sender - jnp.sum(sender * u_sender, axis=-1, keepdims=True)),
            receiver * (u_receiver - jnp.sum(receiver * u_receiver, axis=-1, keepdims=True)))


def agent_rk4_step(prior: jax.Array, sender: jax.Array, receiver: jax.Array, dt: Any) -> tuple[jax.Array, jax.Array]:
    """One classical RK4 step of length ``dt`` of the agent-form replicator, ``[N, N]`` each.

    Integrated in the shares themselves, not in log coordinates as
    :func:`equilibria.dynamics.replicator.replicator_rk4_step` does: the vector field is a polynomial, so a step
    is multiply-adds only, about three times faster than the softmax of the log form on the batches the basin
    estimates need (measured; the tests check that both agree on end points and outcomes). Every stage's velocity
    sums to 0 on each row and is proportional to the shares, so rows stay on their simplices and faces stay
    invariant; with payoffs in ``[0, 1]`` and ``dt <= 0.5`` each stage multiplies a share by a positive factor, and
    the final clip at 0 and renormalisation only remove rounding.
    """
    k1 = _velocity(prior, sender, receiver)
    k2 = _velocity(prior, sender + dt / 2 * k1[0], receiver + dt / 2 * k1[1])
    k3 = _velocity(prior, sender + dt / 2 * k2[0], receiver + dt / 2 * k2[1])
    k4 = _velocity(prior, sender + dt * k3[0], receiver + dt * k3[1])
    out = []
    for x, i in ((sender, 0), (receiver, 1)):
        y = jnp.maximum(x + dt / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]), 0.0)
        out.append(y / jnp.sum(y, axis=-1, keepdims=True))
    return out[0], out[1]


@jax.jit
def _integrate_agent_batch(prior: jax.Array, sender: jax.Array, receiver: jax.Array, dt: jax.Array,
                           n_steps: jax.Array) -> tuple[jax.Array, jax.Array]:
    def one(s: jax.Array, r: jax.Array) -> tuple[jax.Array, jax.Array]:
        return jax.lax.fori_loop(0, n_steps, lambda _, x: agent_rk4_step(prior, x[0], x[1], dt), (s, r))

    return jax.vmap(one)(sender, receiver)


def _pure_velocity(prior: jax.Array, incidence: jax.Array, x: jax.Array, y: jax.Array
                   ) -> tuple[jax.Array, jax.Array]:
    """``x' = x (A y - x.Ay)``, ``y' = y (A^T x - y.A^T x)`` without forming ``A``: a sender map's fitness
    ``sum_s prior[s] R[f(s), s]`` depends on the receivers only through their behaviour ``R`` (the marginals),
    and a receiver map's ``sum_m prior[g(m)] S[g(m), m]`` only through ``S``; ``incidence: [N^N, N*N]`` one-hot
    of ``(row, image)``, so each evaluation costs ``O(N^N N^2)`` instead of ``O(N^(2N))``."""
    n = prior.shape[0]
    sender = (x @ incidence).reshape(n, n)  # S[s, m]
    receiver = (y @ incidence).reshape(n, n)  # R[m, a]
    u_x = incidence @ (prior[:, None] * receiver.T).reshape(-1)  # W[s, m] = prior[s] R[m, s]
    u_y = incidence @ (prior[:, None] * sender).T.reshape(-1)  # V[m, a] = prior[a] S[a, m]
    return x * (u_x - jnp.vdot(x, u_x)), y * (u_y - jnp.vdot(y, u_y))


def pure_rk4_step(prior: jax.Array, incidence: jax.Array, x: jax.Array, y: jax.Array, dt: Any
                  ) -> tuple[jax.Array, jax.Array]:
    """One RK4 step of the two-population replicator over pure strategies (shares ``[N^N]`` each), in the shares
    as :func:`agent_rk4_step` (the tests compare it with ``dynamics/replicator.py`` on the bimatrix game)."""
    k1 = _pure_velocity(prior, incidence, x, y)
    k2 = _pure_velocity(prior, incidence, x + dt / 2 * k1[0], y + dt / 2 * k1[1])
    k3 = _pure_velocity(prior, incidence, x + dt / 2 * k2[0], y + dt / 2 * k2[1])
    k4 = _pure_velocity(prior, incidence, x + dt * k3[0], y + dt * k3[1])
    out = []
    for z, i in ((x, 0), (y, 1)):
        w = jnp.maximum(z + dt / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]), 0.0)
        out.append(w / jnp.sum(w))
    return out[0], out[1]


@jax.jit
def _integrate_pure_batch(prior: jax.Array, incidence: jax.Array, x: jax.Array, y: jax.Array, dt: jax.Array,
                          n_steps: jax.Array) -> tuple[jax.Array, jax.Array]:
    def one(a: jax.Array, b: jax.Array) -> tuple[jax.Array, jax.Array]:
        return jax.lax.fori_loop(0, n_steps, lambda _, z: pure_rk4_step(prior, incidence, z[0], z[1], dt), (a, b))

    return jax.vmap(one)(x, y)


def bimatrix_game(prior: Any) -> Any:
    """The two-player common-payoff game over pure strategies as a mixed extension, for
    :mod:`equilibria.dynamics.replicator` (a reference: :func:`pure_replicator_batch` is faster)."""
    from equilibria.games.normal_form import NormalFormGame

    a = pure_payoff_matrix(check_prior(prior, "bimatrix_game"))
    return NormalFormGame(np.stack([a, a])).mixed_extension("simplex")


def replicator_batch(prior: Any, sender: Any, receiver: Any, t_final: float, *, dt: float = 0.1
                     ) -> tuple[np.ndarray, np.ndarray]:
    """The behaviour (agent-form) replicator flow at ``t_final`` from a batch of starts.

    Args:
      prior: ``[N]`` state probabilities.
      sender, receiver: the starts, ``[K, N, N]`` each, rows on the simplex (e.g. :func:`dirichlet_rows`).
      t_final: the horizon; ``dt``: the RK4 step (payoffs lie in ``[0, 1]``, so ``dt = 0.1`` keeps the step's
        error far below the classification tolerances; the tests compare with ``dt = 0.05``).

    Returns:
      ``(sender, receiver)`` at ``t_final``, ``[K, N, N]`` each (NumPy, float32).
    """
    p = check_prior(prior, "replicator_batch")
    n = p.shape[0]
    s, r = jnp.asarray(sender, dtype=jnp.float32), jnp.asarray(receiver, dtype=jnp.float32)
    if s.ndim != 3 or s.shape[1:] != (n, n) or r.shape != s.shape:
        raise GameError(f"replicator_batch: sender and receiver must be [K, {n}, {n}], got {s.shape}, {r.shape}")
    step, n_steps = _steps(t_final, dt, "replicator_batch")
    if float(step) > 0.5:
        raise GameError(f"replicator_batch: dt must be at most 0.5 (the step that keeps shares positive), got {dt!r}")
    out = _integrate_agent_batch(jnp.asarray(p, dtype=jnp.float32), s, r, step, n_steps)
    return np.asarray(out[0]), np.asarray(out[1])


def pure_replicator_batch(prior: Any, senders: Any, receivers: Any, t_final: float, *, dt: float = 0.1
                          ) -> tuple[np.ndarray, np.ndarray]:
    """The two-population replicator over pure strategies at ``t_final`` from a batch of starts.

    Args:
      prior: ``[N]``; ``senders, receivers``: populations over the ``N^N`` pure strategies
        (:func:`~equilibria.applications.marl.signaling.pure_strategies`' order), ``[K, N^N]`` each.
      t_final, dt: as :func:`replicator_batch`.

    Returns:
      The populations at ``t_final``, ``[K, N^N]`` each (NumPy, float32); ``signaling.behaviour_of`` gives the
      behaviour strategies to classify.
    """
    p = check_prior(prior, "pure_replicator_batch")
    width = len(pure_strategies(p.shape[0]))
    x, y = jnp.asarray(senders, dtype=jnp.float32), jnp.asarray(receivers, dtype=jnp.float32)
    if x.ndim != 2 or x.shape[1] != width or y.shape != x.shape:
        raise GameError(f"pure_replicator_batch: populations must be [K, {width}], got {x.shape}, {y.shape}")
    step, n_steps = _steps(t_final, dt, "pure_replicator_batch")
    if float(step) > 0.5:
        raise GameError(f"pure_replicator_batch: dt must be at most 0.5, got {dt!r}")
    n = p.shape[0]
    incidence = jnp.asarray(np.eye(n * n)[np.arange(n) * n + pure_strategies(n)].sum(axis=1), dtype=jnp.float32)
    out = _integrate_pure_batch(jnp.asarray(p, dtype=jnp.float32), incidence, x, y, step, n_steps)
    return np.asarray(out[0]), np.asarray(out[1])


# -- Roth-Erev urns ----------------------------------------------------------------------------------------------
class RothErevState(NamedTuple):
    """Urn weights: ``sender: [N states, N signals]``, ``receiver: [N signals, N acts]``."""

    sender: jax.Array
    receiver: jax.Array


def roth_erev_init(n: int, initial_weight: float = 1.0) -> RothErevState:
    """Every urn starts with ``initial_weight`` on every ball."""
    n = positive_int(n, "n", "roth_erev_init")
    w = jnp.full((n, n), positive_number(initial_weight, "initial_weight", "roth_erev_init"), dtype=jnp.float32)
    return RothErevState(w, w)


def _episode(key: jax.Array, prior: jax.Array, sender: jax.Array, receiver: jax.Array
             ) -> tuple[jax.Array, jax.Array, jax.Array]:
    """One play: ``(state, signal, act)`` drawn from the prior and the row-stochastic strategies."""
    k_state, k_signal, k_act = jax.random.split(key, 3)
    state = jax.random.choice(k_state, prior.shape[0], p=prior)
    signal = jax.random.choice(k_signal, prior.shape[0], p=sender[state])
    act = jax.random.choice(k_act, prior.shape[0], p=receiver[signal])
    return state, signal, act


def roth_erev_update(prior: jax.Array, state: RothErevState, key: jax.Array) -> RothErevState:
    """One round: draw, and on success add 1 to the sender's (state, signal) and the receiver's (signal, act)."""
    s = state.sender / state.sender.sum(axis=1, keepdims=True)
    r = state.receiver / state.receiver.sum(axis=1, keepdims=True)
    nature, signal, act = _episode(key, prior, s, r)
    reward = (act == nature).astype(state.sender.dtype)
    return RothErevState(state.sender.at[nature, signal].add(reward), state.receiver.at[signal, act].add(reward))


@functools.partial(jax.jit, static_argnums=(2, 3))
def _roth_erev_run(prior: jax.Array, keys: jax.Array, n: int, n_rounds: int) -> RothErevState:
    def one(key: jax.Array) -> RothErevState:
        def body(carry: RothErevState, k: jax.Array) -> tuple[RothErevState, None]:
            return roth_erev_update(prior, carry, k), None

        final, _ = jax.lax.scan(body, roth_erev_init(n), jax.random.split(key, n_rounds))
        return final

    return jax.vmap(one)(keys)


def roth_erev_batch(prior: Any, n_rounds: int, n_seeds: int, key: jax.Array) -> tuple[np.ndarray, np.ndarray]:
    """``n_seeds`` independent Roth-Erev runs of ``n_rounds`` rounds (seeds vmapped, rounds in ``lax.scan``).

    Returns:
      The final strategies (normalised urns), ``(sender, receiver)``, ``[n_seeds, N, N]`` each.
    """
    p = check_prior(prior, "roth_erev_batch")
    rounds = positive_int(n_rounds, "n_rounds", "roth_erev_batch")
    seeds = positive_int(n_seeds, "n_seeds", "roth_erev_batch")
    final = _roth_erev_run(jnp.asarray(p, dtype=jnp.float32), jax.random.split(key, seeds), p.shape[0], rounds)
    s, r = np.asarray(final.sender, dtype=float), np.asarray(final.receiver, dtype=float)
    return s / s.sum(axis=-1, keepdims=True), r / r.sum(axis=-1, keepdims=True)


# -- REINFORCE ---------------------------------------------------------------------------------------------------
class ReinforceState(NamedTuple):
    """Logits ``sender: [N states, N signals]``, ``receiver: [N signals, N acts]``; ``baseline``: running mean
    reward (a scalar)."""

    sender: jax.Array
    receiver: jax.Array
    baseline: jax.Array


def reinforce_init(n: int) -> ReinforceState:
    """Zero logits (uniform policies) and baseline 0."""
    n = positive_int(n, "n", "reinforce_init")
    zeros = jnp.zeros((n, n), dtype=jnp.float32)
    return ReinforceState(zeros, zeros, jnp.zeros((), dtype=jnp.float32))


def reinforce_update(prior: jax.Array, state: ReinforceState, key: jax.Array, learning_rate: Any,
                     baseline_rate: Any) -> ReinforceState:
    """One episode and one score-function step for each player: ``theta += lr (r - b) grad log pi(choice)``."""
    s, r = jax.nn.softmax(state.sender, axis=1), jax.nn.softmax(state.receiver, axis=1)
    nature, signal, act = _episode(key, prior, s, r)
    reward = (act == nature).astype(state.sender.dtype)
    advantage = reward - state.baseline
    n = prior.shape[0]
    # grad of log softmax(theta_row)[choice] w.r.t. the row is onehot(choice) - softmax(row); other rows: 0
    sender_grad = jnp.zeros_like(state.sender).at[nature].set(jax.nn.one_hot(signal, n) - s[nature])
    receiver_grad = jnp.zeros_like(state.receiver).at[signal].set(jax.nn.one_hot(act, n) - r[signal])
    return ReinforceState(state.sender + learning_rate * advantage * sender_grad,
                          state.receiver + learning_rate * advantage * receiver_grad,
                          state.baseline + baseline_rate * (reward - state.baseline))


@functools.partial(jax.jit, static_argnums=(2, 3))
def _reinforce_run(prior: jax.Array, keys: jax.Array, n: int, n_rounds: int, learning_rate: jax.Array,
                   baseline_rate: jax.Array) -> ReinforceState:
    def one(key: jax.Array) -> ReinforceState:
        def body(carry: ReinforceState, k: jax.Array) -> tuple[ReinforceState, None]:
            return reinforce_update(prior, carry, k, learning_rate, baseline_rate), None

        final, _ = jax.lax.scan(body, reinforce_init(n), jax.random.split(key, n_rounds))
        return final

    return jax.vmap(one)(keys)


def reinforce_batch(prior: Any, n_rounds: int, n_seeds: int, key: jax.Array, *, learning_rate: float = 0.5,
                    baseline_rate: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
    """``n_seeds`` independent REINFORCE runs of ``n_rounds`` episodes (seeds vmapped, episodes in ``lax.scan``).

    Returns:
      The final policies ``(softmax(sender logits), softmax(receiver logits))``, ``[n_seeds, N, N]`` each.
    """
    p = check_prior(prior, "reinforce_batch")
    rounds = positive_int(n_rounds, "n_rounds", "reinforce_batch")
    seeds = positive_int(n_seeds, "n_seeds", "reinforce_batch")
    lr = positive_number(learning_rate, "learning_rate", "reinforce_batch")
    rate = positive_number(baseline_rate, "baseline_rate", "reinforce_batch")
    if rate > 1:
        raise GameError(f"reinforce_batch: baseline_rate must lie in (0, 1], got {baseline_rate!r}")
    final = _reinforce_run(jnp.asarray(p, dtype=jnp.float32), jax.random.split(key, seeds), p.shape[0], rounds,
                           jnp.asarray(lr, dtype=jnp.float32), jnp.asarray(rate, dtype=jnp.float32))
    # softmax in float64 on the host: the reported profile is exactly row-stochastic
    s, r = np.asarray(final.sender, dtype=float), np.asarray(final.receiver, dtype=float)
    s, r = np.exp(s - s.max(axis=-1, keepdims=True)), np.exp(r - r.max(axis=-1, keepdims=True))
    return s / s.sum(axis=-1, keepdims=True), r / r.sum(axis=-1, keepdims=True)
