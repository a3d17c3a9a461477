"""Joint-action Q-learners that solve a stage game at every step: minimax-Q, foe-Q, Nash-Q and correlated-Q.

Each follows the :class:`~equilibria.applications.marl.base.Learner` protocol (module docstring of
:mod:`equilibria.applications.marl.base`). Conventions shared by the four (written once, here):

- **State** (:class:`StageQState`): ``q: [n_players, n_states, *max_actions]``, every agent's Q over joint actions
  (each agent's own rewards); ``values: [n_players, n_states]``, each agent's value of the last stage solution per
  state; ``joint: [n_states, *max_actions]``, that solution's joint distribution (what is played when not
  exploring); ``policies``: per player ``[n_states, max_actions[i]]``, the stationary profile :func:`policy`
  returns; the learning rate ``alpha`` and the step count.
- **Update** (one observed transition ``(s, a, r, s', done)``): ``Q_i(s, a) <- (1 - alpha) Q_i(s, a) + alpha (r_i
  + discount V_i(s'))`` with ``V_i(s') = 0`` when ``done`` (no bootstrapping through a terminal state); then the
  stage game ``(Q_0(s), ..., Q_{n-1}(s))`` on ``s``'s available actions is solved and ``values[:, s]``, ``joint[s]``
  and ``policies[i][s]`` are replaced. ``V(s')`` is therefore the stage solution of ``Q(s')`` as of ``s'``'s last
  update, which equals re-solving ``Q(s')`` now (``Q(s')`` changes only when ``s'`` is updated): Littman's
  (1994) bookkeeping, and Hu and Wellman's (2003) ``NashQ(s')``. ``alpha`` decays per step by the factor
  ``decay`` (Littman 1994: ``alpha`` from 1 with ``decay = 10**(log10(0.01) / 10**6)`` over a million steps).
- **Exploration**: each agent independently, with probability ``epsilon``, takes an action uniformly among the
  state's available ones; otherwise the joint action is drawn from ``joint[s]`` (for minimax-Q and Nash-Q a
  product of the agents' mixed strategies; for correlated-Q the correlated distribution itself, one shared draw:
  the learners' common random device).
- **Initial state**: ``Q = initial_q`` everywhere (Littman 1994 uses 1), ``values = initial_q``, policies uniform
  over the available actions (a stage game of constant payoffs has every profile as a solution). Padding entries
  of ``q`` (actions a state does not offer) stay at ``initial_q``: they are never played, and every stage solver
  masks them out; ``policies`` and ``joint`` are 0 there.
- **Precision**: float32, as :class:`~equilibria.applications.marl.base.MarkovEnv`.

The learners:

- :func:`minimax_q` (Littman 1994), two-player zero-sum: the stage game is the matrix game ``Q_0(s)`` (player 0
  maximises), solved by the simplex of :mod:`~equilibria.applications.marl._jax_lp`; ``V_0(s)`` is its value and
  ``V_1(s) = -V_0(s)``; player 0's policy is the maximin strategy and player 1's the minimax strategy of the same
  game (one LP gives both). ``Q_1`` is kept (each agent's own rewards) but not used.
- :func:`foe_q` (Littman 2001): for two players, the same learner as minimax-Q under its own name (foe-Q's
  "opponent minimises my payoff" is minimax-Q's stage game). The general-sum variant in which each agent solves its
  own ``Q_i`` as a zero-sum game is not offered.
- :func:`nash_q` (Hu and Wellman 2003), two players: the stage bimatrix game ``(Q_0(s), Q_1(s))`` is solved by
  :func:`stage_nash` (support enumeration in JAX; its docstring gives the selection rule and the fallback).
- :func:`correlated_q` (Greenwald and Hall 2003, utilitarian uCE-Q), any number of players: the stage game's
  correlated equilibrium maximising the sum of the agents' Q-values (:func:`~equilibria.applications.marl._jax_lp.
  correlated_equilibrium`). The agents play the correlated distribution, but the stationary profile :func:`policy`
  returns (and the exploitability certificate evaluates) is the **product of its marginals**: an approximation of
  the correlated policy, exact only when the equilibrium is a product distribution (e.g. a pure one).

These are heuristics outside two-player zero-sum games (Nash-Q's convergence needs every stage game visited to
have a global optimum or a saddle point, selected consistently; Zinkevich, Greenwald and Littman 2005 show
Q-value-based Nash/CE learners cycle in NoSDE games): judge them by the exploitability of :func:`policy`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from functools import cache, lru_cache
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from equilibria.applications.marl._jax_lp import correlated_equilibrium, matrix_game_value
from equilibria.applications.marl.base import Learner, MarkovEnv, Transition, masked_uniform, sample_actions
from equilibria.core.errors import GameError

# Littman (1994): alpha decays from 1 to 0.01 over a million steps.
LITTMAN_DECAY = 10.0 ** (np.log10(0.01) / 1e6)
# A support-enumeration candidate is an equilibrium when no agent gains more than this (times the epsilon of the
# dtype and the payoff scale) by a pure deviation, and its probabilities are above minus as much.
_NASH_EPS = 256.0

StageSolver = Callable[[jax.Array, tuple[jax.Array, ...]], tuple[jax.Array, jax.Array, tuple[jax.Array, ...]]]


class StageQState(NamedTuple):
    """A stage-game Q-learner's state (module docstring): ``q``, ``values``, ``joint``, ``policies``, ``alpha``,
    ``steps``."""

    q: jax.Array
    values: jax.Array
    joint: jax.Array
    policies: tuple[jax.Array, ...]
    alpha: jax.Array
    steps: jax.Array


class StageNash(NamedTuple):
    """:func:`stage_nash`'s answer: ``row: [m]``, ``column: [n]``, ``values: [2]`` (each player's payoff) and
    ``found`` (bool: an exact equilibrium among the candidates; False means the fallback was used)."""

    row: jax.Array
    column: jax.Array
    values: jax.Array
    found: jax.Array


def _product(policies: tuple[jax.Array, ...]) -> jax.Array:
    """``[*widths]``, the product distribution of one strategy per player."""
    joint = policies[0]
    for policy in policies[1:]:
        joint = joint[..., None] * policy
    return joint


@cache
def _support_pairs(m: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All pairs of equal-size supports, ordered by size, then lexicographically (rows, then columns):
    ``rows [P, K]``, ``columns [P, K]`` (padded with 0) and ``used [P, K]`` with ``K = min(m, n)``."""
    size = min(m, n)
    rows, columns, used = [], [], []
    for k in range(1, size + 1):
        for support_rows in itertools.combinations(range(m), k):
            for support_columns in itertools.combinations(range(n), k):
                rows.append(list(support_rows) + [0] * (size - k))
                columns.append(list(support_columns) + [0] * (size - k))
                used.append([True] * k + [False] * (size - k))
    return np.array(rows), np.array(columns), np.array(used)


def _indifference(sub: jax.Array, used: jax.Array) -> jax.Array:
    """Solve ``sub[:k, :k] z = v 1, 1^T z = 1`` for ``(z, v)`` padded to ``K + 1`` (identity on unused rows)."""
    size = sub.shape[0]
    both = used[:, None] & used[None, :]
    block = jnp.where(both, sub, jnp.eye(size, dtype=sub.dtype))
    matrix = jnp.zeros((size + 1, size + 1), sub.dtype)
    matrix = matrix.at[:size, :size].set(block).at[:size, size].set(jnp.where(used, -1.0, 0.0))
    matrix = matrix.at[size, :size].set(jnp.where(used, 1.0, 0.0))
    rhs = jnp.zeros(size + 1, sub.dtype).at[size].set(1.0)
    return _small_solve(matrix, rhs)


def _small_solve(matrix: jax.Array, rhs: jax.Array) -> jax.Array:
    """``matrix^-1 rhs`` by Gauss-Jordan elimination with partial pivoting, unrolled (sizes up to about 6).

    Not ``jnp.linalg.solve``: its LAPACK call, batched over 1,000 seeds times every support pair inside the
    learners' ``scan``, hung on CPU (measured: 300 seeds ran, 1,000 never returned). A singular system gives
    non-finite entries, which :func:`stage_nash` rejects."""
    size = matrix.shape[0]
    augmented = jnp.concatenate([matrix, rhs[:, None]], axis=1)
    for k in range(size):
        pivot = k + jnp.argmax(jnp.abs(augmented[k:, k]))
        row_k, row_p = augmented[k], augmented[pivot]
        augmented = augmented.at[pivot].set(row_k).at[k].set(row_p)
        normalised = augmented[k] / augmented[k, k]
        augmented = augmented - augmented[:, k:k + 1] * normalised[None, :]
        augmented = augmented.at[k].set(normalised)
    return augmented[:, -1]


def stage_nash(a: jax.Array, b: jax.Array, row_mask: jax.Array, column_mask: jax.Array, *,
               selection: str = "utilitarian") -> StageNash:
    """A Nash equilibrium of the bimatrix game ``(a, b)``, ``[m, n]`` each, on the masked actions, by support
    enumeration (a heuristic selection; traceable, ``vmap``-able).

    Every pair of equal-size supports ``(S, T)`` of the padded game is a candidate (ordered by size, then
    lexicographically): the indifference systems ``a[S, T] y_T = v 1, 1^T y_T = 1`` and ``b[S, T]^T x_S = u 1,
    1^T x_S = 1`` are solved (Gauss-Jordan with partial pivoting, :func:`_small_solve`); a candidate is an
    equilibrium when both solutions are finite probability vectors (up to rounding), its supports hold only
    available actions, and no agent gains by a pure deviation among its available actions (up to ``256 eps`` times
    the payoff scale). Such candidates include every equilibrium of a nondegenerate game (Lemke-Howson's and the
    pure ones).

    Selection: ``"utilitarian"`` (default) takes the equilibrium candidate with the largest sum of the two payoffs,
    ties to the earliest in the order; ``"first"`` takes the earliest (so a pure equilibrium, lowest row, then
    column, whenever one exists). Fallback (a degenerate game whose equilibria all have unequal supports or singular
    indifference systems, which the enumeration misses): the candidate with the smallest largest gain from a pure
    deviation (an approximate equilibrium; pure profiles are always candidates), with ``found`` False.
    """
    if selection not in ("utilitarian", "first"):
        raise GameError(f"stage_nash(selection): expected 'utilitarian' or 'first', got {selection!r}")
    m, n = a.shape
    rows, columns, used = (jnp.asarray(array) for array in _support_pairs(m, n))
    eps = jnp.finfo(a.dtype).eps
    cell = row_mask[:, None] & column_mask[None, :]
    scale = 1.0 + jnp.max(jnp.where(cell, jnp.maximum(jnp.abs(a), jnp.abs(b)), 0.0))
    tol = _NASH_EPS * eps * scale

    def candidate(rows_k: jax.Array, columns_k: jax.Array, used_k: jax.Array) -> tuple:
        sub_a = a[rows_k[:, None], columns_k[None, :]]
        sub_b = b[rows_k[:, None], columns_k[None, :]]
        y_k = _indifference(sub_a, used_k)[:-1]
        x_k = _indifference(sub_b.T, used_k)[:-1]
        finite = jnp.all(jnp.isfinite(x_k)) & jnp.all(jnp.isfinite(y_k))
        nonnegative = jnp.all(jnp.where(used_k, x_k, 0.0) >= -tol) & jnp.all(jnp.where(used_k, y_k, 0.0) >= -tol)
        inside = jnp.all(row_mask[rows_k] | ~used_k) & jnp.all(column_mask[columns_k] | ~used_k)
        x = jnp.zeros(m, a.dtype).at[rows_k].add(jnp.where(used_k & finite, jnp.maximum(x_k, 0.0), 0.0))
        y = jnp.zeros(n, a.dtype).at[columns_k].add(jnp.where(used_k & finite, jnp.maximum(y_k, 0.0), 0.0))
        x = x / jnp.where(x.sum() > 0, x.sum(), 1.0)
        y = y / jnp.where(y.sum() > 0, y.sum(), 1.0)
        row_values = a @ y
        column_values = x @ b
        payoffs = jnp.stack([x @ row_values, column_values @ y])
        gain = jnp.maximum(jnp.max(jnp.where(row_mask, row_values, -jnp.inf)) - payoffs[0],
                           jnp.max(jnp.where(column_mask, column_values, -jnp.inf)) - payoffs[1])
        gain = jnp.where(finite & inside & (x.sum() > 0) & (y.sum() > 0), gain, jnp.inf)
        return x, y, payoffs, gain, finite & nonnegative & inside & (gain <= tol)

    xs, ys, payoffs, gains, valid = jax.vmap(candidate)(rows, columns, used)
    order = jnp.arange(valid.shape[0])
    if selection == "utilitarian":
        score = jnp.where(valid, payoffs.sum(axis=1), -jnp.inf)
    else:
        score = jnp.where(valid, -order.astype(a.dtype), -jnp.inf)
    found = jnp.any(valid)
    pick = jnp.where(found, jnp.argmax(score), jnp.argmin(jnp.where(jnp.isnan(gains), jnp.inf, gains)))
    return StageNash(xs[pick], ys[pick], payoffs[pick], found)


def _minimax_solver(max_iterations: int | None) -> StageSolver:
    def solve(q: jax.Array, masks: tuple[jax.Array, ...]) -> tuple:
        value, row, column = matrix_game_value(q[0], masks[0], masks[1], max_iterations=max_iterations)
        return jnp.stack([value, -value]), _product((row, column)), (row, column)
    return solve


def _nash_solver(selection: str) -> StageSolver:
    def solve(q: jax.Array, masks: tuple[jax.Array, ...]) -> tuple:
        answer = stage_nash(q[0], q[1], masks[0], masks[1], selection=selection)
        return answer.values, _product((answer.row, answer.column)), (answer.row, answer.column)
    return solve


def _correlated_solver(max_iterations: int | None) -> StageSolver:
    def solve(q: jax.Array, masks: tuple[jax.Array, ...]) -> tuple:
        joint = correlated_equilibrium(q, masks, max_iterations=max_iterations)
        values = jnp.tensordot(q, joint, axes=joint.ndim)
        n = joint.ndim
        marginals = tuple(joint.sum(axis=tuple(j for j in range(n) if j != i)) for i in range(n))
        return values, joint, marginals
    return solve


def _check_hyperparameters(name: str, epsilon: float, alpha: float, decay: float) -> None:
    for argument, value, low, high in (("epsilon", epsilon, 0.0, 1.0), ("alpha", alpha, 0.0, 1.0),
                                       ("decay", decay, 0.0, 1.0)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise GameError(f"{name}({argument}): expected a number in [{low}, {high}], got {value!r}")


def _stage_q_learner(name: str, solver: StageSolver, players: int | None, epsilon: float, alpha: float,
                     decay: float, initial_q: float, extra: tuple[tuple[str, Any], ...]) -> Learner:
    """The shared learner of the module docstring around one stage solver."""
    _check_hyperparameters(name.replace("-", "_"), epsilon, alpha, decay)

    def check(environment: MarkovEnv) -> None:
        if players is not None and environment.n_players != players:
            raise GameError(f"{name}: needs a {players}-player game, got {environment.n_players} players")

    def init(environment: MarkovEnv, key: jax.Array) -> StageQState:
        del key  # deterministic start (module docstring)
        check(environment)
        shape = (environment.n_players, environment.n_states, *environment.max_actions)
        policies = tuple(masked_uniform(mask) for mask in environment.available)
        joint = jax.vmap(_product)(policies)
        return StageQState(jnp.full(shape, initial_q, jnp.float32),
                           jnp.full(shape[:2], initial_q, jnp.float32), joint, policies,
                           jnp.asarray(alpha, jnp.float32), jnp.asarray(0, jnp.int32))

    def act(environment: MarkovEnv, state: StageQState, s: jax.Array, key: jax.Array) -> jax.Array:
        draw, explore_key, random_key = jax.random.split(key, 3)
        joint = state.joint[s]
        flat = jax.random.choice(draw, joint.size, p=joint.reshape(-1))
        chosen = jnp.stack(jnp.unravel_index(flat, joint.shape)).astype(jnp.int32)
        explore = jax.random.uniform(explore_key, (environment.n_players,)) < epsilon
        uniform = sample_actions(tuple(masked_uniform(mask) for mask in environment.available), s, random_key)
        return jnp.where(explore, uniform, chosen).astype(jnp.int32)

    def update(environment: MarkovEnv, state: StageQState, transition: Transition) -> StageQState:
        s = transition.state
        cell = (slice(None), s, *transition.actions)
        bootstrap = jnp.where(transition.done, 0.0, state.values[:, transition.next_state])
        target = transition.rewards + environment.discount * bootstrap
        q = state.q.at[cell].set((1.0 - state.alpha) * state.q[cell] + state.alpha * target)
        values, joint, policies = solver(q[:, s], tuple(mask[s] for mask in environment.available))
        return StageQState(q, state.values.at[:, s].set(values), state.joint.at[s].set(joint),
                           tuple(old.at[s].set(new) for old, new in zip(state.policies, policies, strict=True)),
                           state.alpha * decay, state.steps + 1)

    def policy(environment: MarkovEnv, state: StageQState) -> tuple[jax.Array, ...]:
        del environment
        return state.policies

    hyperparameters = (("epsilon", epsilon), ("alpha", alpha), ("decay", decay), ("initial_q", initial_q), *extra)
    return Learner(init, act, update, policy, name, hyperparameters)


def minimax_q(*, epsilon: float = 0.2, alpha: float = 1.0, decay: float = LITTMAN_DECAY, initial_q: float = 0.0,
              max_iterations: int | None = None) -> Learner:
    """Minimax-Q (Littman 1994) for two-player zero-sum stochastic games (module docstring).

    The same arguments return the same :class:`Learner` (cached), so ``jax.jit`` compiles it once.

    Args:
      epsilon: each agent's exploration probability (Littman: 0.2).
      alpha: the first learning rate; decay: its factor per step.
      initial_q: the Q-tables' and values' starting point.
      max_iterations: the stage LP's pivot cap (default: the simplex's).
    """
    return _cached_minimax_q(epsilon, alpha, decay, initial_q, max_iterations)


@lru_cache(maxsize=64)
def _cached_minimax_q(epsilon: float, alpha: float, decay: float, initial_q: float,
                      max_iterations: int | None) -> Learner:
    return _stage_q_learner("minimax-q", _minimax_solver(max_iterations), 2, epsilon, alpha, decay, initial_q,
                            (("max_iterations", max_iterations),))


def foe_q(*, epsilon: float = 0.2, alpha: float = 1.0, decay: float = LITTMAN_DECAY, initial_q: float = 0.0,
          max_iterations: int | None = None) -> Learner:
    """Foe-Q (Littman 2001): for two players :func:`minimax_q` itself (the same functions) named ``"foe-q"``."""
    learner = minimax_q(epsilon=epsilon, alpha=alpha, decay=decay, initial_q=initial_q,
                        max_iterations=max_iterations)
    return learner._replace(name="foe-q")


def nash_q(*, selection: str = "utilitarian", epsilon: float = 0.2, alpha: float = 1.0,
           decay: float = LITTMAN_DECAY, initial_q: float = 0.0) -> Learner:
    """Nash-Q (Hu and Wellman 2003) for two-player general-sum stochastic games (module docstring; a heuristic).

    Args:
      selection: the stage equilibrium rule of :func:`stage_nash` (``"utilitarian"`` or ``"first"``).
      epsilon, alpha, decay, initial_q: as :func:`minimax_q`.
    """
    if selection not in ("utilitarian", "first"):
        raise GameError(f"nash_q(selection): expected 'utilitarian' or 'first', got {selection!r}")
    return _stage_q_learner("nash-q", _nash_solver(selection), 2, epsilon, alpha, decay, initial_q,
                            (("selection", selection),))


def correlated_q(*, epsilon: float = 0.2, alpha: float = 1.0, decay: float = LITTMAN_DECAY, initial_q: float = 0.0,
                 max_iterations: int | None = None) -> Learner:
    """Utilitarian correlated-Q (uCE-Q; Greenwald and Hall 2003) for n-player stochastic games (module docstring;
    a heuristic; :func:`policy` is the product of the correlated equilibria's marginals).

    Args:
      epsilon, alpha, decay, initial_q, max_iterations: as :func:`minimax_q`.
    """
    return _stage_q_learner("correlated-q", _correlated_solver(max_iterations), None, epsilon, alpha, decay,
                            initial_q, (("objective", "utilitarian"), ("max_iterations", max_iterations)))


__all__ = ["LITTMAN_DECAY", "StageNash", "StageQState", "correlated_q", "foe_q", "minimax_q", "nash_q",
           "stage_nash"]
