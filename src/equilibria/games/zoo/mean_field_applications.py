"""Mean-field application environments: epidemics, crowds, evacuation and pricing (traffic routing:
:mod:`equilibria.games.zoo.mean_field_routing`).

Each entry of :data:`MEAN_FIELD_APPLICATIONS` is a factory with keyword parameters whose defaults are the peer's
specification, returning a :class:`~equilibria.games.mean_field.MeanFieldGame` (conventions there). Where a peer
ships the environment the encoding reproduces it exactly, so that exploitabilities are comparable:

- ``susceptible-infected``: mfglib's SIS; ``crowd-motion``: OpenSpiel's ``mfg_crowd_modelling_2d`` (its computed
  NashConv by default, see the factory); ``building-evacuation`` and ``equilibrium-price``: mfglib's.

Two encodings recur (each factory's docstring gives the details):

- **mfglib's clock.** mfglib's horizon ``T`` means decisions at ``t = 0 .. T`` with a reward at each of them; the
  game here therefore has ``horizon + 1`` decision times (and a final distribution nobody is paid on).
- **Rewards that depend on actions of the population.** The API's reward sees the state distribution ``mu_t`` only.
  Where a peer's reward depends on the population's *actions* (the aggregate production in ``equilibrium-price``,
  the road shares in ``pigou``) the state records the decision just taken and the reward is paid one step later from
  the next distribution, which is exactly the peer's state-action distribution (``terminal_reward`` pays the last).

Static structure (grid sizes, link tables, horizons) enters the JAX functions as ``functools.partial`` keywords or
as shapes; the numeric parameters are in ``game.params`` (vmappable, ``with_params``). JAX is imported inside the
functions, so importing this module stays light.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from equilibria.core.errors import GameError
from equilibria.games.mean_field import MeanFieldGame, SparseTransition  # imports JAX lazily itself

__all__ = ["MEAN_FIELD_APPLICATIONS", "building_evacuation", "crowd_motion", "equilibrium_price",
           "openspiel_movement_costs_2d", "susceptible_infected"]


def _positive_int(value: Any, caller: str, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise GameError(f"{caller}({name}): expected an integer >= {minimum}, got {value!r}")
    return int(value)


def _number(value: Any, caller: str, name: str, low: float = -math.inf, high: float = math.inf,
            open_low: bool = False) -> float:
    ok = not isinstance(value, bool) and isinstance(value, int | float | np.integer | np.floating)
    if ok:
        v = float(value)
        ok = math.isfinite(v) and (v > low if open_low else v >= low) and v <= high
    if not ok:
        bound = f"{'>' if open_low else '>='} {low:g}" + (f" and <= {high:g}" if high < math.inf else "")
        raise GameError(f"{caller}({name}): expected a finite number {bound}, got {value!r}")
    return float(value)


def _distribution(value: Any, n: int, caller: str) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != (n,) or not np.all(np.isfinite(arr)) or np.any(arr < 0) or abs(arr.sum() - 1.0) > 1e-9:
        raise GameError(f"{caller}(initial): expected {n} non-negative probabilities summing to 1, got {value!r}")
    return arr


def _one_hot_next(next_state: Any, n_states: int, dtype: Any) -> Any:
    """``[S, A, S]`` deterministic transition from a ``[S, A]`` table of successor indices."""
    import jax

    return jax.nn.one_hot(next_state, n_states, dtype=dtype)


def _deterministic(next_state: Any, dtype: Any) -> SparseTransition:
    """The deterministic kernel of a ``[S, A]`` table of successor indices, by successors (one each)."""
    import jax.numpy as jnp

    successors = jnp.asarray(next_state, jnp.int32)[..., None]
    return SparseTransition(successors, jnp.ones(successors.shape, dtype))


# -- susceptible-infected (mfglib) ------------------------------------------------------------------------------
def sis_kernel(params: Any, mu: Any) -> Any:
    """SIS transitions ``[S, A, S]`` (states susceptible, infected; actions go out, distance) at the infected share
    ``mu[1]``; time-invariant, so the stationary SIS game uses it too."""
    import jax.numpy as jnp

    p_infect = params["infection_rate"] * mu[1]  # only going out (a = 0) exposes a susceptible agent
    one, zero = jnp.ones_like(p_infect), jnp.zeros_like(p_infect)
    recover = params["recovery_rate"] * one
    rows = [[[1.0 - p_infect, p_infect], [one, zero]],
            [[recover, 1.0 - recover], [recover, 1.0 - recover]]]
    return jnp.stack([jnp.stack([jnp.stack(row) for row in state]) for state in rows])


def sis_rewards(params: Any, mu: Any) -> Any:
    """SIS rewards ``[S, A]``: minus the distancing cost and minus the cost of being infected."""
    import jax.numpy as jnp

    d, c = params["distancing_cost"], params["infection_cost"]
    zero = jnp.zeros_like(d)
    return -jnp.stack([jnp.stack([zero, d]), jnp.stack([c, c + d])])


def _sis_transition(params: Any, t: Any, mu: Any) -> Any:
    return sis_kernel(params, mu)


def _sis_reward(params: Any, t: Any, mu: Any) -> Any:
    return sis_rewards(params, mu)


def susceptible_infected(*, horizon: int = 50, initial_infected: float = 0.6, infection_rate: float = 0.81,
                         recovery_rate: float = 0.3, distancing_cost: float = 0.5,
                         infection_cost: float = 1.0) -> MeanFieldGame:
    """SIS epidemics with a choice of social distancing: mfglib's ``Environment.susceptible_infected`` exactly.

    Source: Cui and Koeppl (2021), "Approximately solving mean field games via entropy-regularized deep
    reinforcement learning" (AISTATS), as shipped by mfglib (``mfglib/env/examples/susceptible_infected.py``).
    States ``0 = susceptible``, ``1 = infected``; actions ``0 = go out``, ``1 = social distancing``. With ``I_t`` the
    infected share: a susceptible agent going out is infected with probability ``infection_rate * I_t``
    (``0.81 = 0.9**2``), one distancing stays susceptible; an infected agent recovers with probability
    ``recovery_rate`` whatever it does. Rewards (constant): ``-distancing_cost`` (susceptible, distancing),
    ``-infection_cost`` (infected, out), ``-(infection_cost + distancing_cost)`` (infected, distancing), i.e.
    ``-0.5 / -1 / -1.5``. ``mu_0 = (1 - initial_infected, initial_infected) = (0.4, 0.6)``.

    ``horizon`` is mfglib's ``T = 50``: decisions at ``t = 0 .. 50``, so ``game.horizon == horizon + 1``. Known:
    mfglib's tables equal these (tested side by side); the game is hard for plain fictitious play and mirror
    descent, which stall (Cui and Koeppl); the uniform policy's exploitability is about 5.4669 (mfglib, float32).
    """
    caller = "susceptible_infected"
    horizon = _positive_int(horizon, caller, "horizon", 0)
    share = _number(initial_infected, caller, "initial_infected", 0.0, 1.0)
    params = {"infection_rate": _number(infection_rate, caller, "infection_rate", 0.0, 1.0),
              "recovery_rate": _number(recovery_rate, caller, "recovery_rate", 0.0, 1.0),
              "distancing_cost": _number(distancing_cost, caller, "distancing_cost"),
              "infection_cost": _number(infection_cost, caller, "infection_cost")}
    return MeanFieldGame(name="susceptible-infected", n_states=2, n_actions=2, horizon=horizon + 1,
                         initial=np.array([1.0 - share, share]), params=params, transition=_sis_transition,
                         reward=_sis_reward, description="SIS epidemics: go out or distance against the infection rate "
                         "(mfglib's environment).", state_names=("susceptible", "infected"),
                         action_names=("go out", "distance"))


# -- crowd-motion (OpenSpiel's mfg_crowd_modelling_2d) -------------------------------------------------------------
_MOVES_2D = ((0, -1), (-1, 0), (0, 0), (1, 0), (0, 1))  # OpenSpiel's kActionToMoveX/Y: down, left, stay, right, up


@functools.lru_cache(maxsize=16)
def _torus_successors(size: int) -> np.ndarray:
    """``[S, A, A]`` index of the cell reached from cell ``x * size + y`` by move ``a`` then noise move ``n``."""
    x, y = np.divmod(np.arange(size * size), size)
    moves = np.array(_MOVES_2D)
    nx = (x[:, None, None] + moves[None, :, None, 0] + moves[None, None, :, 0]) % size
    ny = (y[:, None, None] + moves[None, :, None, 1] + moves[None, None, :, 1]) % size
    out = (nx * size + ny).astype(np.int32)
    out.setflags(write=False)
    return out


def _crowd_transition(params: Any, t: Any, mu: Any) -> Any:
    import jax
    import jax.numpy as jnp

    size = math.isqrt(mu.shape[0])
    noise = params["noise_intensity"]
    # OpenSpiel's chance node: each of the 5 moves with noise/5, the neutral one with 1 - noise + noise/5.
    weights = jnp.full((5,), 1.0, mu.dtype) * noise / 5.0
    weights = weights.at[2].add(1.0 - noise)
    hit = jax.nn.one_hot(jnp.asarray(_torus_successors(size)), size * size, dtype=mu.dtype)  # [S, A, N, S]
    return jnp.einsum("n,sanp->sap", weights, hit)


@functools.lru_cache(maxsize=16)
def openspiel_movement_costs_2d(size: int, horizon: int) -> np.ndarray:
    """``[horizon, size * size]``: the movement cost OpenSpiel's value functions charge at each decision node.

    OpenSpiel's ``mfg_crowd_modelling_2d`` pays the cost of the *previous* move at a decision node, but its
    ``PolicyValue`` / ``BestResponse`` (hence ``NashConv``) cache node values by the observation string
    ``"(x, y, t)"``, which omits that move: every later visit reuses the value of the first visit in a depth-first
    traversal (initial cells in chance order ``i -> (i % size, i // size)``, actions 0..4, noise outcomes 0..4;
    chance nodes are cached the same way). So the cost charged at ``(x, y, t)`` is that of the move on the path
    that first reached it, whatever the agent did. This replays that traversal (iteratively, the same preorder).
    """
    first_move = np.full((horizon, size * size), 2, dtype=np.int64)  # 2: the neutral move (no cost)
    seen_decision = np.zeros((horizon, size * size), dtype=bool)
    seen_chance = np.zeros((horizon, size * size), dtype=bool)

    def cell(x: int, y: int, a: int) -> int:
        return ((x + _MOVES_2D[a][0]) % size) * size + (y + _MOVES_2D[a][1]) % size

    # (is a decision node, cell index x * size + y, t, the move that led here)
    stack = [(True, (i % size) * size + i // size, 0, 2) for i in reversed(range(size * size))]
    while stack:
        is_decision, index, t, move = stack.pop()
        x, y = divmod(index, size)
        if is_decision:
            if not seen_decision[t, index]:
                seen_decision[t, index] = True
                first_move[t, index] = move
                stack.extend((False, cell(x, y, a), t, a) for a in reversed(range(5)))
        elif not seen_chance[t, index]:
            seen_chance[t, index] = True
            if t + 1 < horizon:
                stack.extend((True, cell(x, y, n), t + 1, move) for n in reversed(range(5)))
    costs = np.array([abs(dx) + abs(dy) for dx, dy in _MOVES_2D], dtype=np.float64)[first_move] / size
    costs.setflags(write=False)
    return costs


def _crowd_reward(params: Any, t: Any, mu: Any, *, horizon: int, openspiel_accounting: bool) -> Any:
    import jax.numpy as jnp

    size = math.isqrt(mu.shape[0])
    x, y = np.divmod(np.arange(size * size), size)
    centre = size // 2
    slope = 2.0 * params["positional_reward"] / size
    position = (1.0 - slope * jnp.asarray(np.abs(x - centre), mu.dtype)) + (
        1.0 - slope * jnp.asarray(np.abs(y - centre), mu.dtype))
    state = position - params["crowd_aversion"] * jnp.log(mu + 1e-25)
    if openspiel_accounting:  # the cost OpenSpiel's cached values charge at (x, y, t), whatever the action
        state = state - jnp.asarray(openspiel_movement_costs_2d(size, horizon), mu.dtype)[t]
        return jnp.broadcast_to(state[:, None], (mu.shape[0], 5))
    # The model: a move's cost, which OpenSpiel pays at the next decision, paid when taken; the last move is free.
    move = jnp.asarray([-(abs(dx) + abs(dy)) / size for dx, dy in _MOVES_2D], mu.dtype)
    move = jnp.where(t < horizon - 1, move, jnp.zeros_like(move))
    return state[:, None] + move[None, :]


def crowd_motion(*, size: int = 10, horizon: int = 10, openspiel_accounting: bool = True,
                 noise_intensity: float = 1.0, crowd_aversion: float = 1.0, positional_reward: float = 1.0,
                 initial: Sequence[float] | None = None) -> MeanFieldGame:
    """2-D crowd modelling on a torus: OpenSpiel's ``mfg_crowd_modelling_2d`` (C++) with its default parameters.

    Source: Perrin et al. (2020), "Fictitious play for mean field games: continuous time analysis and
    applications", section 4.2 (the 2-D beach bar), as shipped by OpenSpiel. States are the cells of a
    ``size x size`` torus, index ``x * size + y`` (OpenSpiel's distribution order); actions are OpenSpiel's
    ``0..4`` = moves ``(0,-1), (-1,0), (0,0), (1,0), (0,1)``. After the agent's move a chance move is drawn:
    each of the five with probability ``noise_intensity / 5``, plus ``1 - noise_intensity`` on staying. Reward at
    cell ``(x, y)`` and time ``t``: ``r_x + r_y - crowd_aversion * log(mu_t(x, y) + 1e-25) - |move| / size``
    with ``r_x = 1 - 2 * positional_reward * |x - size // 2| / size`` (the bar at the centre). Uniform ``mu_0``
    by default.

    The move cost, two accountings (as ``crowd-modelling``, the 1-D ring): ``openspiel_accounting=True``
    (default) reproduces the numbers OpenSpiel computes: its value functions cache node values by ``"(x, y, t)"``,
    so each cell is charged the move of the path that first reached it in their traversal
    (:func:`openspiel_movement_costs_2d`); the uniform policy's NashConv is then OpenSpiel's 5.442853323264...
    (size 10, horizon 10; tested side by side on random policies). ``False`` is the game as written: OpenSpiel pays
    a move's cost at the next decision, so the last move is free; here it is paid when taken, except at
    ``t = T - 1`` (the same return for every policy); OpenSpiel's policy values agree wherever its traversal
    reaches a cell by the move actually taken (tested on the policy that never moves). Not reproduced: OpenSpiel's
    forbidden cells and congestion option; for a non-uniform ``initial`` OpenSpiel's crowd term at ``t = 0``
    still reads the uniform vector, here it reads ``mu_0``.
    """
    caller = "crowd_motion"
    size = _positive_int(size, caller, "size")
    horizon = _positive_int(horizon, caller, "horizon")
    n = size * size
    mu0 = np.full(n, 1.0 / n) if initial is None else _distribution(initial, n, caller)
    params = {"noise_intensity": _number(noise_intensity, caller, "noise_intensity", 0.0, 1.0),
              "crowd_aversion": _number(crowd_aversion, caller, "crowd_aversion"),
              "positional_reward": _number(positional_reward, caller, "positional_reward")}
    return MeanFieldGame(name="crowd-motion", n_states=n, n_actions=5, horizon=horizon, initial=mu0, params=params,
                         transition=_crowd_transition, reward=functools.partial(
                             _crowd_reward, horizon=horizon, openspiel_accounting=bool(openspiel_accounting)),
                         description="2-D crowd modelling on a torus: go to the bar, avoid the crowd (OpenSpiel's "
                         "mfg_crowd_modelling_2d).", state_names=tuple(f"({x}, {y})" for x in range(size)
                                                                       for y in range(size)),
                         action_names=("down", "left", "stay", "right", "up"))


# -- building-evacuation (mfglib) -------------------------------------------------------------------------------
@functools.lru_cache(maxsize=16)
def _building_successors(n_floor: int, floor_l: int, floor_w: int) -> np.ndarray:
    """``[S, 6]`` successor index, state ``(f, l, w)`` at ``(f * floor_l + l) * floor_w + w`` (mfglib's order)."""
    f, l_, w = np.unravel_index(np.arange(n_floor * floor_l * floor_w), (n_floor, floor_l, floor_w))
    corner_down = (l_ == 0) & (w == 0)
    corner_up = (l_ == floor_l - 1) & (w == floor_w - 1)
    moves = [(f, np.minimum(l_ + 1, floor_l - 1), w), (f, np.maximum(l_ - 1, 0), w),
             (f, l_, np.maximum(w - 1, 0)), (f, l_, np.minimum(w + 1, floor_w - 1)),
             (np.where(corner_down, np.maximum(f - 1, 0), f), l_, w),
             (np.where(corner_up, np.minimum(f + 1, n_floor - 1), f), l_, w)]
    out = np.stack([np.ravel_multi_index(m, (n_floor, floor_l, floor_w)) for m in moves], axis=1).astype(np.int32)
    out.setflags(write=False)
    return out


def _building_transition(params: Any, t: Any, mu: Any, *, dims: tuple[int, int, int]) -> SparseTransition:
    return _deterministic(_building_successors(*dims), mu.dtype)


def _building_reward(params: Any, t: Any, mu: Any, *, dims: tuple[int, int, int]) -> Any:
    import jax.numpy as jnp

    ground = jnp.asarray((np.arange(mu.shape[0]) < dims[1] * dims[2]).astype(np.float64), mu.dtype)
    r = -params["eta"] * jnp.log(jnp.maximum(mu, params["log_eps"])) + params["evac_r"] * ground
    return jnp.broadcast_to(r[:, None], (mu.shape[0], 6))


def building_evacuation(*, horizon: int = 3, n_floor: int = 5, floor_l: int = 10, floor_w: int = 10,
                        eta: float = 1.0, evac_r: float = 10.0, log_eps: float = 1e-20,
                        initial: Sequence[float] | None = None) -> MeanFieldGame:
    """A multi-storey building to leave while keeping apart: mfglib's ``Environment.building_evacuation`` exactly.

    Source: Perolat et al. (2022), "Scaling up mean field games with online mirror descent" (the building
    evacuation experiment), as shipped by mfglib (``mfglib/env/examples/building_evacuation.py``). States
    ``(floor, l, w)`` flattened as ``(floor * floor_l + l) * floor_w + w``; actions ``0..5`` = ``l + 1``,
    ``l - 1``, ``w - 1``, ``w + 1`` (clipped at the walls), downstairs (only at the corner ``l = w = 0``: to
    ``floor - 1``, floor 0 stays), upstairs (only at ``l = floor_l - 1, w = floor_w - 1``). Deterministic moves.
    Reward (every action): ``-eta * log(max(mu_t(s), log_eps)) + evac_r * [floor 0]``. Uniform ``mu_0``.
    ``horizon`` is mfglib's ``T = 3`` (decisions at ``t = 0 .. 3``: ``game.horizon == horizon + 1``).
    Known: mfglib's tables equal these (tested side by side); no closed-form equilibrium.
    """
    caller = "building_evacuation"
    horizon = _positive_int(horizon, caller, "horizon", 0)
    dims = (_positive_int(n_floor, caller, "n_floor"), _positive_int(floor_l, caller, "floor_l"),
            _positive_int(floor_w, caller, "floor_w"))
    n = dims[0] * dims[1] * dims[2]
    mu0 = np.full(n, 1.0 / n) if initial is None else _distribution(initial, n, caller)
    params = {"eta": _number(eta, caller, "eta"), "evac_r": _number(evac_r, caller, "evac_r"),
              "log_eps": _number(log_eps, caller, "log_eps", 0.0, open_low=True)}
    names = tuple(f"floor {f} ({i}, {j})" for f in range(dims[0]) for i in range(dims[1]) for j in range(dims[2]))
    return MeanFieldGame(name="building-evacuation", n_states=n, n_actions=6, horizon=horizon + 1, initial=mu0,
                         params=params, transition=functools.partial(_building_transition, dims=dims),
                         reward=functools.partial(_building_reward, dims=dims),
                         description="Building evacuation: reach the ground floor by the staircases, avoid crowds "
                         "(mfglib's environment).", state_names=names,
                         action_names=("l+1", "l-1", "w-1", "w+1", "downstairs", "upstairs"))


# -- equilibrium-price (mfglib) ---------------------------------------------------------------------------------
@functools.lru_cache(maxsize=16)
def _price_tables(s_inv: int, q_max: int, h_max: int) -> tuple[np.ndarray, ...]:
    """(successor ``[S, A]``, previous inventory ``[S]``, previous production ``[S]``, previous purchase ``[S]``,
    pending mask ``[S]``) for the delayed-reward encoding (states: ``s`` at start, then ``n_s + s * A + a``)."""
    n_s, n_a = s_inv + 1, (q_max + 1) * (h_max + 1)
    q_of, h_of = np.divmod(np.arange(n_a), h_max + 1)  # mfglib's action (q, h) flattened row-major
    prev_s = np.concatenate([np.arange(n_s), np.repeat(np.arange(n_s), n_a)])
    prev_q = np.concatenate([np.zeros(n_s, np.int64), np.tile(q_of, n_s)])
    prev_h = np.concatenate([np.zeros(n_s, np.int64), np.tile(h_of, n_s)])
    pending = np.concatenate([np.zeros(n_s), np.ones(n_s * n_a)])
    inventory = np.where(pending > 0, np.minimum(prev_s - np.minimum(prev_q, prev_s) + prev_h, s_inv), prev_s)
    successor = (n_s + inventory[:, None] * n_a + np.arange(n_a)[None, :]).astype(np.int32)
    tables = (successor, prev_s.astype(np.float64), prev_q.astype(np.float64), prev_h.astype(np.float64), pending)
    for table in tables:
        table.setflags(write=False)
    return tables


def _price_transition(params: Any, t: Any, mu: Any, *, dims: tuple[int, int, int]) -> Any:
    import jax.numpy as jnp

    return _one_hot_next(jnp.asarray(_price_tables(*dims)[0]), mu.shape[0], mu.dtype)


def _price_state_reward(params: Any, mu: Any, *, dims: tuple[int, int, int]) -> Any:
    """``[S]``: mfglib's reward of the decision each pending state records, at the price that the population's
    decisions (``mu`` = mfglib's state-action distribution ``L``) set; 0 in the start states."""
    import jax.numpy as jnp

    s, q, h, pending = (jnp.asarray(a, mu.dtype) for a in _price_tables(*dims)[1:])
    c = params["c"]
    price = (params["d"] / (jnp.dot(mu, q) + params["e0"])) ** (1.0 / params["sigma"])
    r = ((price - c[0]) * q - c[1] * q**2 - c[2] * h - (c[2] + c[3]) * jnp.maximum(q - s, 0.0) - c[4] * s)
    return r * pending


def _price_reward(params: Any, t: Any, mu: Any, *, dims: tuple[int, int, int]) -> Any:
    import jax.numpy as jnp

    r = _price_state_reward(params, mu, dims=dims)
    n_a = (dims[1] + 1) * (dims[2] + 1)
    return jnp.broadcast_to(r[:, None], (mu.shape[0], n_a))


def equilibrium_price(*, horizon: int = 4, s_inv: int = 3, Q: int = 2, H: int = 2, d: float = 1.0,  # noqa: N803
                      e0: float = 1.0, sigma: float = 1.0, c: Sequence[float] = (1.0, 1.0, 1.0, 1.0, 1.0),
                      initial: Sequence[float] | None = None) -> MeanFieldGame:
    """Firms best-responding to the market price they make together: mfglib's ``equilibrium_price`` exactly.

    Source: Guo, Hu, Xu and Zhang (2022), "MF-OMO: an optimization formulation of mean-field games", as shipped
    by mfglib (``mfglib/env/examples/equilibrium_price.py``). A firm holds inventory ``s in 0..s_inv`` and chooses
    to produce ``q in 0..Q`` and buy ``h in 0..H`` (action ``q * (H + 1) + h``, mfglib's order); the inventory
    becomes ``min(s - min(q, s) + h, s_inv)``. With ``P_t = (d / (E_{L_t}[q] + e0)) ** (1 / sigma)`` the price set
    by the population's production (``L_t`` the state-action distribution), the reward is
    ``(P_t - c0) q - c1 q**2 - c2 h - (c2 + c3) max(q - s, 0) - c4 s``. Uniform ``mu_0`` over inventories.

    Encoding: the price depends on the population's *actions*, which the API's ``mu_t`` does not show, so a state
    records the decision just taken: states ``0..s_inv`` are the starting inventories (``t = 0`` only), state
    ``s_inv + 1 + s * A + a`` is "was at inventory ``s``, chose ``a``" (its current inventory follows). The
    reward of the decision at ``t`` is paid at ``t + 1`` from ``mu_{t+1}`` (= mfglib's ``L_t``), the last one by
    ``terminal_reward``. ``horizon`` is mfglib's ``T``: decisions at ``t = 0 .. T``, ``game.horizon == T + 1``.
    Returns, best responses and exploitability equal mfglib's for every policy of the inventory (tested side by
    side, a policy here is one of mfglib's read at the current inventory). No closed-form equilibrium is known.
    """
    caller = "equilibrium_price"
    horizon = _positive_int(horizon, caller, "horizon", 0)
    dims = (_positive_int(s_inv, caller, "s_inv", 0), _positive_int(Q, caller, "Q", 0),
            _positive_int(H, caller, "H", 0))
    n_s, n_a = dims[0] + 1, (dims[1] + 1) * (dims[2] + 1)
    coefficients = np.asarray(c, dtype=np.float64)
    if coefficients.shape != (5,) or not np.all(np.isfinite(coefficients)):
        raise GameError(f"{caller}(c): expected 5 finite cost coefficients (c0..c4), got {c!r}")
    start = np.full(n_s, 1.0 / n_s) if initial is None else _distribution(initial, n_s, caller)
    params = {"d": _number(d, caller, "d", 0.0), "e0": _number(e0, caller, "e0", 0.0, open_low=True),
              "sigma": _number(sigma, caller, "sigma", 0.0, open_low=True), "c": coefficients}
    names = tuple(f"inventory {s}" for s in range(n_s)) + tuple(
        f"inventory {s}, chose q={a // (dims[2] + 1)} h={a % (dims[2] + 1)}" for s in range(n_s) for a in range(n_a))
    return MeanFieldGame(name="equilibrium-price", n_states=n_s + n_s * n_a, n_actions=n_a, horizon=horizon + 1,
                         initial=np.concatenate([start, np.zeros(n_s * n_a)]), params=params,
                         transition=functools.partial(_price_transition, dims=dims),
                         reward=functools.partial(_price_reward, dims=dims),
                         terminal_reward=functools.partial(_price_state_reward, dims=dims),
                         description="Equilibrium price: firms choose production and restocking against the aggregate "
                         "price (mfglib's environment).", state_names=names,
                         action_names=tuple(f"q={a // (dims[2] + 1)} h={a % (dims[2] + 1)}" for a in range(n_a)))


MEAN_FIELD_APPLICATIONS: dict[str, Callable[..., MeanFieldGame]] = {
    "susceptible-infected": susceptible_infected,
    "crowd-motion": crowd_motion,
    "building-evacuation": building_evacuation,
    "equilibrium-price": equilibrium_price,
}
