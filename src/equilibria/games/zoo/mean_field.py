"""Named mean-field games, each stated exactly as the peer library that ships it, so exploitabilities compare.

Conventions are :mod:`equilibria.games.mean_field`'s: decisions at ``t = 0 .. T-1``, ``reward(params, t, mu_t)``
received at ``t``, policies ``[T, S, A]``. Two translations recur:

- **mfglib** (Guo et al., ``mfglib.env.Environment``, version 0.3.0) lets agents act and be rewarded at
  ``t = 0 .. T_mfglib`` inclusive (the last transition is never used), so its ``T`` is our ``horizon - 1``: a
  policy here and there has the same ``[horizon, S, A]`` shape and mfglib's ``exploitability_score`` equals ours.
  Its transition tensors are indexed ``[s', s, a]``; ours ``[s, a, s']``.
- **OpenSpiel** (``pyspiel.load_game("mfg_crowd_modelling")`` and its Python twin) rewards each decision node;
  see :func:`crowd_modelling` for how its value functions charge the movement cost.

The factories build tables with NumPy and import no JAX; the reward and transition functions below are pure JAX and
import it when first called. Every factory's numeric keywords that are not shapes are ``params`` (so
``game.with_params(p_still=0.9)`` and ``jax.vmap`` sweeps work); shape-changing ones (sizes, horizons, locations)
are factory arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from equilibria.core.errors import GameError
from equilibria.games.mean_field import MeanFieldGame


def _check_int(value: Any, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise GameError(f"{name}: expected an integer >= {low}, got {value!r}")
    return int(value)


def _initial(value: Sequence[float] | np.ndarray | None, n: int, name: str) -> np.ndarray:
    if value is None:
        return np.full(n, 1.0 / n)
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != (n,):
        raise GameError(f"{name}: expected {n} probabilities, got shape {list(arr.shape)}")
    return arr


# -- deterministic "go where you choose" games (left-right, rock-paper-scissors) --------------------------------
def _choice_transition(params: Any, t: Any, mu: Any) -> Any:
    """From any state, action ``a`` leads to state ``1 + a`` (state 0 is the start)."""
    import jax.numpy as jnp

    table = params["choice_table"]
    return jnp.asarray(table)


def _choice_table(n_states: int, n_actions: int) -> np.ndarray:
    table = np.zeros((n_states, n_actions, n_states))
    for a in range(n_actions):
        table[:, a, 1 + a] = 1.0
    return table


def _left_right_reward(params: Any, t: Any, mu: Any) -> Any:
    import jax.numpy as jnp

    per_state = jnp.stack([jnp.zeros_like(mu[0]), -params["left_cost"] * mu[1], -params["right_cost"] * mu[2]])
    return jnp.broadcast_to(per_state[:, None], (3, 2))


def left_right(*, left_cost: float = 1.0, right_cost: float = 2.0,
               initial: Sequence[float] | None = (1.0, 0.0, 0.0)) -> MeanFieldGame:
    """Left-right (Cui and Koeppl 2021), exactly as mfglib's ``Environment.left_right()`` (its ``T = 1``).

    States ``(center, left, right)``, actions ``(left, right)``, horizon 2. Every agent starts at the center;
    action ``a`` moves it to state ``1 + a`` from anywhere. Reward at ``t`` in state ``left``: ``-left_cost *
    mu_t(left)``; in ``right``: ``-right_cost * mu_t(right)``; at the center 0 (all independent of the action).
    mfglib's defaults: costs 1 and 2. The unique equilibrium sends ``right_cost / (left_cost + right_cost)`` (2/3) of
    the population left at ``t = 0``, where both sides cost ``left_cost * right_cost / (left_cost + right_cost)``.
    """
    return MeanFieldGame(
        name="left-right", n_states=3, n_actions=2, horizon=2,
        initial=_initial(initial, 3, "left_right.initial"),
        params={"left_cost": left_cost, "right_cost": right_cost, "choice_table": _choice_table(3, 2)},
        transition=_choice_transition, reward=_left_right_reward,
        description="Choose left or right; each side costs in proportion to its crowd, right twice as much.",
        state_names=("center", "left", "right"), action_names=("left", "right"))


def _rps_reward(params: Any, t: Any, mu: Any) -> Any:
    import jax.numpy as jnp

    w = params["weights"]  # [3]: rock, paper, scissors win weights (2, 4, 6 in mfglib)
    rock = w[0] * mu[3] - 0.5 * w[0] * mu[2]
    paper = w[1] * mu[1] - 0.5 * w[1] * mu[3]
    scissors = w[2] * mu[2] - 0.5 * w[2] * mu[1]
    per_state = jnp.stack([jnp.zeros_like(rock), rock, paper, scissors])
    return jnp.broadcast_to(per_state[:, None], (4, 3))


def rock_paper_scissors(*, weights: Sequence[float] = (2.0, 4.0, 6.0),
                        initial: Sequence[float] | None = (1.0, 0.0, 0.0, 0.0)) -> MeanFieldGame:
    """Generalised rock-paper-scissors (Shapley 1964; Cui and Koeppl 2021), exactly as mfglib's
    ``Environment.rock_paper_scissors()`` (its ``T = 1``).

    States ``(start, rock, paper, scissors)``, actions ``(rock, paper, scissors)``, horizon 2; action ``a`` moves
    to state ``1 + a``. Rewards (all independent of the action; 0 at the start), with ``w = weights``:
    rock ``w0 mu(scissors) - w0/2 mu(paper)``, paper ``w1 mu(rock) - w1/2 mu(scissors)``, scissors
    ``w2 mu(paper) - w2/2 mu(rock)`` (mfglib: ``2 mu_S - mu_P``, ``4 mu_R - 2 mu_S``, ``6 mu_P - 3 mu_R``).
    The unique equilibrium plays ``(rock, paper, scissors) = (26, 20, 31) / 77`` at ``t = 0`` with default weights
    (every choice then earns 42/77).
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (3,):
        raise GameError(f"rock_paper_scissors.weights: expected 3 numbers, got shape {list(w.shape)}")
    return MeanFieldGame(
        name="rock-paper-scissors", n_states=4, n_actions=3, horizon=2,
        initial=_initial(initial, 4, "rock_paper_scissors.initial"),
        params={"weights": w, "choice_table": _choice_table(4, 3)},
        transition=_choice_transition, reward=_rps_reward,
        description="Population rock-paper-scissors with Shapley's asymmetric weights (fictitious play cycles).",
        state_names=("start", "rock", "paper", "scissors"), action_names=("rock", "paper", "scissors"))


# -- beach bar ---------------------------------------------------------------------------------------------------
def _beach_bar_transition(params: Any, t: Any, mu: Any) -> Any:
    import jax.numpy as jnp

    p = params["p_still"]
    weights = jnp.stack([(1 - p) / 2, p, (1 - p) / 2])  # noise -1, 0, +1
    # moves[s, a, e, s']: the one-hot of clip(s + a - 1 + e) (a fixed table), weighted by the noise law.
    return jnp.einsum("saep,e->sap", params["moves"], weights)


def _beach_bar_reward(params: Any, t: Any, mu: Any) -> Any:
    import jax.numpy as jnp

    crowd = -jnp.log(mu + params["log_eps"])
    return params["distance_reward"][:, None] + params["action_reward"][None, :] + crowd[:, None]


def beach_bar(*, n: int = 4, bar_location: int = 2, horizon: int = 3, p_still: float = 0.5,
              log_eps: float = 1e-20, initial: Sequence[float] | None = None) -> MeanFieldGame:
    """The beach bar process (Perrin et al. 2020), exactly as mfglib's ``Environment.beach_bar()`` (its
    ``T = horizon - 1``; defaults ``T = 2, n = 4, bar_loc = 2, log_eps = 1e-20, p_still = 0.5``, uniform ``mu_0``).

    States ``0 .. n-1``, actions ``(left, stay, right)``. Moving from ``s`` with action ``a`` and noise ``e``
    (``-1, 0, +1`` with probabilities ``(1 - p_still)/2, p_still, (1 - p_still)/2``) lands on
    ``clip(s + a - 1 + e, 0, n - 1)`` (clipped at the ends, as mfglib does, although its reward measures distance
    around a ring). Reward at ``t``: ``-d(s, bar) - |a - 1| / n - log(mu_t(s) + log_eps)`` with ``d`` the distance
    to the bar on the ring ``Z_n``.
    """
    n = _check_int(n, "beach_bar.n", 1)
    horizon = _check_int(horizon, "beach_bar.horizon", 1)
    bar_location = _check_int(bar_location, "beach_bar.bar_location", 0)
    if bar_location > n - 1:
        raise GameError(f"beach_bar.bar_location: expected 0 .. {n - 1}, got {bar_location}")
    moves = np.zeros((n, 3, 3, n))
    for s in range(n):
        for a in range(3):
            for e in range(3):
                moves[s, a, e, min(max(s + a - 1 + e - 1, 0), n - 1)] = 1.0
    gap = np.abs(np.arange(n) - bar_location)
    distance = np.minimum(gap, n - gap)
    return MeanFieldGame(
        name="beach-bar", n_states=n, n_actions=3, horizon=horizon,
        initial=_initial(initial, n, "beach_bar.initial"),
        params={"p_still": p_still, "log_eps": log_eps, "distance_reward": -distance.astype(np.float64),
                "action_reward": -np.array([1.0, 0.0, 1.0]) / n, "moves": moves},
        transition=_beach_bar_transition, reward=_beach_bar_reward,
        description="Walk towards the bar on the beach, away from crowded spots.",
        action_names=("left", "stay", "right"))


# -- linear-quadratic ------------------------------------------------------------------------------------------
def _lq_mean(params: Any, mu: Any) -> Any:
    import jax.numpy as jnp

    return jnp.sum(params["positions"] * mu)


def _lq_transition(params: Any, t: Any, mu: Any) -> Any:
    import jax
    import jax.numpy as jnp

    x = params["positions"]  # [S]: -el .. el
    controls = params["controls"]  # [A]: -m .. m
    el = (x.shape[0] - 1) // 2
    sigma, delta = params["sigma"], params["delta"]
    drift = params["k"] * (_lq_mean(params, mu) - x[:, None]) + controls[None, :]
    shocks = params["shocks"] * sigma  # [7]: mfglib's noise grid e = -3 sigma .. 3 sigma, scaled by sigma again below
    target = x[:, None, None] + drift[:, :, None] * delta + sigma * shocks[None, None, :] * jnp.sqrt(delta)
    # mfglib rounds half to even (torch.round) and clips to the grid; jnp.round does the same.
    index = jnp.clip(jnp.round(target), -el, el).astype(jnp.int32) + el
    law = jnp.exp(-0.5 * shocks**2)
    law = law / jnp.sum(law)
    return jnp.einsum("saep,e->sap", jax.nn.one_hot(index, x.shape[0], dtype=law.dtype), law)


def _lq_reward(params: Any, t: Any, mu: Any) -> Any:
    import jax.numpy as jnp

    x = params["positions"][:, None]
    u = params["controls"][None, :]
    gap = _lq_mean(params, mu) - x
    running = (-0.5 * u**2 + params["q"] * u * gap - 0.5 * params["kappa"] * gap**2) * params["delta"]
    final = jnp.broadcast_to(-0.5 * params["c_term"] * gap**2, running.shape)
    return jnp.where(params["is_final"][t] > 0, final, running)


def linear_quadratic(*, horizon: int = 4, el: int = 5, m: int = 2, sigma: float = 3.0, delta: float = 0.1,
                     k: float = 1.0, q: float = 0.01, kappa: float = 0.5, c_term: float = 1.0,
                     initial: Sequence[float] | None = None) -> MeanFieldGame:
    """The discretised linear-quadratic game (Perrin et al. 2020), exactly as mfglib's
    ``Environment.linear_quadratic()`` (its ``T = horizon - 1``; defaults ``T = 3, el = 5, m = 2, sigma = 3,
    delta = 0.1, k = 1, q = 0.01, kappa = 0.5, c_term = 1``, uniform ``mu_0``).

    Positions ``x = -el .. el``, controls ``u = -m .. m``, ``m_t = sum_x x mu_t(x)``. From ``x`` with ``u`` the
    next position is ``clip(round(x + (k (m_t - x) + u) delta + sigma e sqrt(delta)), -el, el)`` (round half to
    even) where ``e = sigma * j`` for ``j = -3 .. 3`` with probabilities proportional to ``exp(-e^2 / 2)`` (mfglib
    scales the grid by sigma twice; kept). Reward at ``t < horizon - 1``: ``delta (-u^2/2 + q u (m_t - x) -
    kappa/2 (m_t - x)^2)``; at ``t = horizon - 1`` (mfglib's ``T``): ``-c_term/2 (m_t - x)^2``, whatever the
    action. Rounding makes the transition piecewise constant in ``m_t`` (no gradient through it).
    """
    horizon = _check_int(horizon, "linear_quadratic.horizon", 1)
    el = _check_int(el, "linear_quadratic.el", 0)
    m = _check_int(m, "linear_quadratic.m", 0)
    n_states = 2 * el + 1
    return MeanFieldGame(
        name="linear-quadratic", n_states=n_states, n_actions=2 * m + 1, horizon=horizon,
        initial=_initial(initial, n_states, "linear_quadratic.initial"),
        params={"sigma": sigma, "delta": delta, "k": k, "q": q, "kappa": kappa, "c_term": c_term,
                "positions": np.arange(-el, el + 1, dtype=np.float64),
                "controls": np.arange(-m, m + 1, dtype=np.float64),
                "shocks": np.arange(-3, 4, dtype=np.float64), "is_final": np.eye(1, horizon, horizon - 1)[0]},
        transition=_lq_transition, reward=_lq_reward,
        description="Discretised linear-quadratic mean-field game: track the population mean at a quadratic cost.",
        state_names=tuple(str(x) for x in range(-el, el + 1)),
        action_names=tuple(f"{u:+d}" if u else "0" for u in range(-m, m + 1)))


# -- crowd modelling (OpenSpiel) ----------------------------------------------------------------------------------
def _crowd_transition(params: Any, t: Any, mu: Any) -> Any:
    import jax.numpy as jnp

    return jnp.asarray(params["moves"])


def _crowd_reward(params: Any, t: Any, mu: Any) -> Any:
    import jax.numpy as jnp

    state = params["position_reward"] - params["crowd_aversion"] * jnp.log(mu + params["log_eps"])
    state = state - params["state_cost"][t]
    # The honest movement cost of an action at t is paid at the next decision, t + 1, so not for t = T - 1.
    paid = (t < params["state_cost"].shape[0] - 1).astype(mu.dtype)
    return state[:, None] - paid * params["action_cost"][None, :]


def openspiel_movement_costs(size: int, horizon: int) -> np.ndarray:
    """``[horizon, size]``: the movement cost OpenSpiel's value functions charge at each decision node ``(x, t)``.

    OpenSpiel's crowd modelling pays ``-|move of the previous action| / size`` at a decision node, but its
    ``PolicyValue``/``BestResponse`` cache node values by the observation string ``"(x, t)"``, which does not
    contain the previous action: every later visit reuses the value computed on the first visit of a depth-first
    traversal (initial states in order, actions 0, 1, 2, chance outcomes 0, 1, 2). So the cost charged at ``(x, t)``
    is that of the move on the path that first reached it, whatever the agent actually did, and movement is free for
    its best responses. This replays that traversal (iteratively: the same preorder) to read off those costs.
    """
    moves = (-1, 0, 1)
    first_move = np.zeros((horizon, size), dtype=np.int64)
    seen_decision = np.zeros((horizon, size), dtype=bool)
    seen_chance = np.zeros((horizon, size), dtype=bool)
    # Stack items: (True, x, t, move that led here) for decision nodes, (False, z, t, action) for chance nodes.
    stack: list[tuple[bool, int, int, int]] = [(True, x, 0, 0) for x in reversed(range(size))]
    while stack:
        is_decision, x, t, move = stack.pop()
        if is_decision:
            if seen_decision[t, x]:
                continue
            seen_decision[t, x] = True
            first_move[t, x] = move
            stack.extend((False, (x + moves[a]) % size, t, moves[a]) for a in reversed(range(3)))
        else:
            if seen_chance[t, x]:
                continue
            seen_chance[t, x] = True
            if t + 1 < horizon:
                stack.extend((True, (x + moves[e]) % size, t + 1, move) for e in reversed(range(3)))
    return np.abs(first_move).astype(np.float64) / size


def crowd_modelling(*, size: int = 10, horizon: int = 10, openspiel_accounting: bool = True,
                    crowd_aversion: float = 1.0, log_eps: float = 1e-25) -> MeanFieldGame:
    """Crowd modelling on a ring (Perrin et al. 2020, section 4.2), as OpenSpiel's ``mfg_crowd_modelling``
    (defaults: ring of ``size = 10``, ``horizon = 10``, uniform ``mu_0``).

    Positions ``0 .. size-1`` on a ring, actions ``(-1, 0, +1)``: the agent moves by its action, then by a uniform
    noise in ``{-1, 0, +1}`` (mod ``size``). Reward at each decision ``t``: ``1 - |x - size//2| / (size//2)
    - crowd_aversion * log(mu_t(x) + log_eps)`` minus a movement cost of ``|move| / size``, which OpenSpiel
    attaches to the *previous* move and pays at the next decision node (never for the last move).

    ``openspiel_accounting=True`` (default) reproduces the numbers OpenSpiel computes (uniform-policy NashConv
    2.8135365543870385): its value functions charge each node ``(x, t)`` the movement cost of the path that first
    reached it (:func:`openspiel_movement_costs`), a state cost ``state_cost[t, x]`` whatever the action. With
    ``False`` the cost follows the agent's own move (``action_cost[a]`` paid for ``t < horizon - 1``), the game as
    written; its uniform-policy exploitability is 2.7866824162983...
    """
    size = _check_int(size, "crowd_modelling.size", 2)
    horizon = _check_int(horizon, "crowd_modelling.horizon", 1)
    shifts = (-1, 0, 1)
    moves = np.zeros((size, 3, size))
    for x in range(size):
        for a in range(3):
            for e in range(3):
                moves[x, a, (x + shifts[a] + shifts[e]) % size] += 1.0 / 3.0
    half = size // 2
    position_reward = 1.0 - np.abs(np.arange(size) - half) / half
    move_cost = np.array([1.0, 0.0, 1.0]) / size
    if openspiel_accounting:
        state_cost, action_cost = openspiel_movement_costs(size, horizon), np.zeros(3)
    else:
        state_cost, action_cost = np.zeros((horizon, size)), move_cost
    return MeanFieldGame(
        name="crowd-modelling", n_states=size, n_actions=3, horizon=horizon, initial=np.full(size, 1.0 / size),
        params={"crowd_aversion": crowd_aversion, "log_eps": log_eps, "position_reward": position_reward,
                "state_cost": state_cost, "action_cost": action_cost, "moves": moves},
        transition=_crowd_transition, reward=_crowd_reward,
        description="Crowd modelling on a ring: go to the middle, avoid the crowd (OpenSpiel's mfg_crowd_modelling).",
        action_names=("-1", "0", "+1"))


MEAN_FIELD_GAMES: dict[str, Callable[..., MeanFieldGame]] = {
    "left-right": left_right,
    "beach-bar": beach_bar,
    "crowd-modelling": crowd_modelling,
    "linear-quadratic": linear_quadratic,
    "rock-paper-scissors": rock_paper_scissors,
}
"""The environments by zoo name (hyphens); each factory's keywords are its documented defaults."""

__all__ = ["MEAN_FIELD_GAMES", "beach_bar", "crowd_modelling", "left_right", "linear_quadratic",
           "openspiel_movement_costs", "rock_paper_scissors"]
