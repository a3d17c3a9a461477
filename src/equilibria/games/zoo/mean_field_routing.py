"""Traffic routing as mean-field games: Braess's network (OpenSpiel's dynamic routing, and the static route choice)
and Pigou's two roads.

Each entry of :data:`MEAN_FIELD_ROUTING` is a factory with keyword parameters returning a
:class:`~equilibria.games.mean_field.MeanFieldGame` (conventions there): ``braess``, OpenSpiel's
``python_mfg_dynamic_routing`` on Braess's network, encoded exactly (its states, volume-delay functions and clock);
``braess-static``, Braess's original route choice (smooth in the policy: the social optimum is reachable by
gradient); ``pigou``, Pigou's two roads. Where a reward depends on the population's *actions* (the road shares in
``pigou``) the state records the decision just taken and the reward is paid one step later from the next
distribution (the convention of :mod:`equilibria.games.zoo.mean_field_applications`). JAX is imported inside the
functions, so importing this module stays light.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from equilibria.core.errors import GameError
from equilibria.games.mean_field import MeanFieldGame, SparseTransition
from equilibria.games.zoo.mean_field_applications import _deterministic, _number, _one_hot_next, _positive_int

__all__ = ["MEAN_FIELD_ROUTING", "braess", "braess_policy", "braess_static", "pigou", "pigou_social_optimum"]


# -- braess (OpenSpiel's mean-field dynamic routing) ------------------------------------------------------------
_BRAESS_LINKS = ("O->A", "A->B", "A->C", "B->C", "B->D", "C->D", "D->E")
# Successor links in OpenSpiel's action order (action 0 = first successor); a lone successor fills both slots.
_BRAESS_SUCCESSORS = ((1, 2), (3, 4), (5, 5), (5, 5), (6, 6), (6, 6), (6, 6))
_BRAESS_DESTINATION = 6
_BRAESS_DEFAULTS = {  # OpenSpiel's dynamic_routing_data.BRAESS_NETWORK, link by link
    "free_flow_travel_time": (0.0, 1.0, 2.0, 0.25, 2.0, 1.0, 0.0),
    "bpr_a": (0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0),
    "bpr_b": (1.0,) * 7,
    "capacity": (5.0,) * 7,
}
_STEP_TOLERANCE = 1e-4  # travel times within this many steps below a whole step count as reaching it


def _link_travel_time(params: Any, volume: Any) -> Any:
    """OpenSpiel's volume-delay (BPR) function ``t0 * (1 + a * (v / capacity) ** b)``, per link."""
    return params["free_flow_travel_time"] * (
        1.0 + params["bpr_a"] * (volume / params["capacity"]) ** params["bpr_b"])


def _braess_dynamics(params: Any, mu: Any, *, n_wait: int, time_step: float) -> tuple[Any, Any]:
    """(successor ``[S, A]``, arrives-now ``[S, A]``) at the distribution ``mu``."""
    import jax.numpy as jnp

    n_links, slots = len(_BRAESS_LINKS), n_wait + 1
    arrived = n_links * slots
    link = np.repeat(np.arange(n_links), slots)  # [S - 1]
    slot = np.tile(np.arange(slots), n_links)  # 0 = waiting time not yet assigned, k = waiting time k - 1
    density = mu[:-1].reshape(n_links, slots).sum(axis=1)
    steps = jnp.floor(_link_travel_time(params, params["num_vehicles"] * density) / time_step + _STEP_TOLERANCE)
    assigned = jnp.clip(steps.astype(jnp.int32) - 1, 0, n_wait)[link]  # OpenSpiel: int(tt / dt) - 1, at least 0
    moving = jnp.where(slot == 0, assigned == 0, jnp.asarray(slot == 1))  # [S - 1]
    wait_next = jnp.where(slot == 0, link * slots + assigned, link * slots + slot - 1)
    successor_link = np.asarray(_BRAESS_SUCCESSORS)[link]  # [S - 1, A]
    at_destination = successor_link == _BRAESS_DESTINATION
    move_next = np.where(at_destination, arrived, successor_link * slots)
    nxt = jnp.where(moving[:, None], jnp.asarray(move_next, jnp.int32), wait_next[:, None].astype(jnp.int32))
    arrives = moving[:, None] & jnp.asarray(at_destination)
    nxt = jnp.concatenate([nxt, jnp.full((1, 2), arrived, jnp.int32)])
    arrives = jnp.concatenate([arrives, jnp.zeros((1, 2), bool)])
    return nxt, arrives


def _braess_transition(params: Any, t: Any, mu: Any, *, n_wait: int, time_step: float) -> SparseTransition:
    nxt, _ = _braess_dynamics(params, mu, n_wait=n_wait, time_step=time_step)
    return _deterministic(nxt, mu.dtype)


def _braess_reward(params: Any, t: Any, mu: Any, *, n_wait: int, time_step: float) -> Any:
    import jax.numpy as jnp

    _, arrives = _braess_dynamics(params, mu, n_wait=n_wait, time_step=time_step)
    travelling = jnp.ones(mu.shape[0], mu.dtype).at[-1].set(0.0)[:, None] - arrives.astype(mu.dtype)
    return -time_step * travelling


def _braess_terminal(params: Any, mu: Any, *, time_step: float) -> Any:
    import jax.numpy as jnp

    # OpenSpiel gives a vehicle still travelling at T the arrival time T + 1: one more step.
    return -time_step * jnp.ones(mu.shape[0], mu.dtype).at[-1].set(0.0)


def _braess_params(caller: str, num_vehicles: Any, *links: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"num_vehicles": _number(num_vehicles, caller, "num_vehicles", 0.0)}
    for name, value in zip(("free_flow_travel_time", "bpr_a", "bpr_b", "capacity"), links, strict=True):
        arr = np.asarray(value, dtype=np.float64)
        if arr.shape != (len(_BRAESS_LINKS),) or not np.all(np.isfinite(arr)) or np.any(arr < 0) or (
                name == "capacity" and np.any(arr <= 0)):
            raise GameError(f"{caller}({name}): expected {len(_BRAESS_LINKS)} non-negative finite numbers (one per "
                            f"link {', '.join(_BRAESS_LINKS)}), got {value!r}")
        params[name] = arr
    return params


def braess(*, horizon: int = 100, time_step_length: float = 0.05, num_vehicles: float = 5.0,
           free_flow_travel_time: Sequence[float] = _BRAESS_DEFAULTS["free_flow_travel_time"],
           bpr_a: Sequence[float] = _BRAESS_DEFAULTS["bpr_a"], bpr_b: Sequence[float] = _BRAESS_DEFAULTS["bpr_b"],
           capacity: Sequence[float] = _BRAESS_DEFAULTS["capacity"]) -> MeanFieldGame:
    """Braess's paradox as mean-field dynamic routing: OpenSpiel's ``python_mfg_dynamic_routing`` on its Braess network.

    Source: Braess (1968); Cabannes et al. (2022), "Solving N-player dynamic routing games with congestion: a mean
    field approach" (AAMAS), as shipped by OpenSpiel (``open_spiel/python/mfg/games/dynamic_routing.py`` with
    ``games/dynamic_routing_data.py``). Links ``O->A, A->B, A->C, B->C, B->D, C->D, D->E``; all vehicles start on
    ``O->A`` at time 0 and go to ``D->E``. A link's travel time is ``t0 * (1 + a * (v / capacity) ** b)`` with
    ``v = num_vehicles * (share of the population on the link)``: ``A->B`` and ``C->D`` take ``1 + share``,
    ``A->C`` and ``B->D`` 2, ``B->C`` 0.25. States are OpenSpiel's: ``(link, waiting time)`` with the waiting time
    "not yet assigned" on entering, then ``max(0, int(travel time / time_step_length) - 1)`` set from the link's
    share at the next time step, counting down; plus "arrived". Actions: ``0`` = the first successor link in
    OpenSpiel's order (``A->B`` at A, ``B->C`` at B), ``1`` = the second; at other links and while waiting the
    action has no effect. Reward ``-time_step_length`` per step until the step that reaches ``D->E``; a vehicle
    still travelling at ``T`` pays one more step (OpenSpiel's arrival time ``T + 1``); so a return is minus the
    travel time. A tolerance of 1e-4 steps in ``int(.)`` makes float32 and float64 agree.

    Defaults are OpenSpiel's Braess test setting (100 steps of 0.05; its game default, 10 steps of 0.5, ends
    before the 3.75 journey does). Known (OpenSpiel's test): the equilibrium ``braess_policy(game, 0.75, 2/3)``
    has exploitability 0 and travel time 3.75; the social optimum ``braess_policy(game, 0.5, 0.0)`` travel time
    3.5 and exploitability 0.75 (a deviator takes ``A->B->C->D`` in 2.75). The number of waiting levels is fixed at
    construction from the parameters given (the longest link at full load); ``with_params`` changes that lengthen a
    link beyond it cap its waiting time there.
    """
    caller = "braess"
    horizon = _positive_int(horizon, caller, "horizon")
    time_step = _number(time_step_length, caller, "time_step_length", 0.0, open_low=True)
    params = _braess_params(caller, num_vehicles, free_flow_travel_time, bpr_a, bpr_b, capacity)
    full_load = _link_travel_time(params, params["num_vehicles"])
    longest = int(np.floor(np.max(full_load) / time_step + _STEP_TOLERANCE)) - 1
    n_wait = max(1, min(longest, horizon))
    slots = n_wait + 1
    names = tuple(f"{link} {'entering' if k == 0 else f'wait {k - 1}'}" for link in _BRAESS_LINKS
                  for k in range(slots)) + ("arrived",)
    initial = np.zeros(len(names))
    initial[1] = 1.0  # on O->A with waiting time 0 (departure time 0)
    return MeanFieldGame(name="braess", n_states=len(names), n_actions=2, horizon=horizon, initial=initial,
                         params=params,
                         transition=functools.partial(_braess_transition, n_wait=n_wait, time_step=time_step),
                         reward=functools.partial(_braess_reward, n_wait=n_wait, time_step=time_step),
                         terminal_reward=functools.partial(_braess_terminal, time_step=time_step),
                         description="Braess's network as mean-field dynamic routing: equilibrium travel time 3.75 "
                         "against 3.5 at the social optimum (OpenSpiel's game).", state_names=names,
                         action_names=("first successor", "second successor"))


def braess_policy(game: MeanFieldGame, to_b: float, b_to_c: float) -> np.ndarray:
    """A stationary route split on :func:`braess` or :func:`braess_static`: ``[T, S, A]`` float64.

    At ``A`` take ``A->B`` with probability ``to_b`` (else ``A->C``); at ``B`` take ``B->C`` with probability
    ``b_to_c`` (else ``B->D``). The equilibrium is ``(0.75, 2/3)`` (routes ``ABD``, ``ACD``, ``ABCD`` in shares
    1/4, 1/4, 1/2), the social optimum ``(0.5, 0)``.
    """
    for name, p in (("to_b", to_b), ("b_to_c", b_to_c)):
        _number(p, "braess_policy", name, 0.0, 1.0)
    if game.name == "braess-static":
        at_a, at_b = slice(0, 1), slice(1, 2)
    elif game.name == "braess":
        slots = (game.n_states - 1) // len(_BRAESS_LINKS)
        at_a, at_b = slice(0, slots), slice(slots, 2 * slots)  # on O->A: the choice at A; on A->B: at B
    else:
        raise GameError(f"braess_policy(game): expected a braess or braess-static game, got {game.name!r}")
    policy = np.zeros((game.horizon, game.n_states, 2))
    policy[..., 0] = 1.0
    policy[:, at_a] = (to_b, 1.0 - to_b)
    policy[:, at_b] = (b_to_c, 1.0 - b_to_c)
    return policy


# -- braess-static (Braess's original, one route choice) --------------------------------------------------------
# States: 0 at A, 1 at B (came by A->B), 2 at C (came by A->C), then the route taken: 3 ABD, 4 ABCD, 5 ACD.
_ROUTE_LINKS = np.array([[1, 1, 0, 0, 1, 0, 1], [1, 1, 0, 1, 0, 1, 1], [1, 0, 1, 0, 0, 1, 1]], dtype=np.float64)


def _braess_static_transition(params: Any, t: Any, mu: Any) -> Any:
    import jax.numpy as jnp

    return _one_hot_next(jnp.asarray([[1, 2], [4, 3], [5, 5], [3, 3], [4, 4], [5, 5]], jnp.int32), 6, mu.dtype)


def _braess_static_reward(params: Any, t: Any, mu: Any) -> Any:
    import jax.numpy as jnp

    return jnp.zeros((6, 2), mu.dtype)


def _braess_static_terminal(params: Any, mu: Any) -> Any:
    import jax.numpy as jnp

    routes = jnp.asarray(_ROUTE_LINKS, mu.dtype)  # [route, link]
    share = mu[3:] @ routes  # the population share on each link
    cost = routes @ _link_travel_time(params, params["num_vehicles"] * share)
    return -jnp.concatenate([jnp.zeros(3, mu.dtype), cost])


def braess_static(*, num_vehicles: float = 5.0,
                  free_flow_travel_time: Sequence[float] = _BRAESS_DEFAULTS["free_flow_travel_time"],
                  bpr_a: Sequence[float] = _BRAESS_DEFAULTS["bpr_a"],
                  bpr_b: Sequence[float] = _BRAESS_DEFAULTS["bpr_b"],
                  capacity: Sequence[float] = _BRAESS_DEFAULTS["capacity"]) -> MeanFieldGame:
    """Braess's paradox as a static route choice (Braess 1968): OpenSpiel's network and volume-delay functions,
    no clock.

    Two decisions: at ``A`` (state 0) take ``A->B`` (action 0) or ``A->C``; at ``B`` (state 1) take ``B->C``
    (action 0) or ``B->D``; from ``C`` (state 2) the only road ``C->D``. Each route's travel time is the sum of its
    links' ``t0 * (1 + a * (v / capacity) ** b)`` with ``v = num_vehicles * (share using the link)`` over the whole
    journey, paid as ``terminal_reward(mu_2)`` on the route states (3 ``ABD``, 4 ``ABCD``, 5 ``ACD``). Known: the
    equilibrium ``braess_policy(game, 0.75, 2/3)``: travel time 3.75, exploitability 0; the social optimum
    ``(0.5, 0)``: 3.5, exploitability 0.25 (``ABCD`` against it takes 3.25); price of anarchy 15/14. Unlike
    :func:`braess`, the welfare is smooth in the policy, so gradient-based mean-field control finds the optimum.
    """
    caller = "braess_static"
    params = _braess_params(caller, num_vehicles, free_flow_travel_time, bpr_a, bpr_b, capacity)
    return MeanFieldGame(name="braess-static", n_states=6, n_actions=2, horizon=2, initial=np.eye(6)[0],
                         params=params,
                         transition=_braess_static_transition, reward=_braess_static_reward,
                         terminal_reward=_braess_static_terminal,
                         description="Braess's network as a static route choice: equilibrium 3.75, optimum 3.5.",
                         state_names=("at A", "at B", "at C", "route A-B-D", "route A-B-C-D", "route A-C-D"),
                         action_names=("first successor", "second successor"))


# -- pigou ------------------------------------------------------------------------------------------------------
def _pigou_transition(params: Any, t: Any, mu: Any) -> Any:
    import jax.numpy as jnp

    return _one_hot_next(jnp.asarray([[1, 2], [1, 1], [2, 2]], jnp.int32), 3, mu.dtype)


def _pigou_reward(params: Any, t: Any, mu: Any) -> Any:
    import jax.numpy as jnp

    return jnp.zeros((3, 2), mu.dtype)


def _pigou_terminal(params: Any, mu: Any) -> Any:
    import jax.numpy as jnp

    zero = jnp.zeros((), mu.dtype)
    return -jnp.stack([zero, params["constant_cost"] + zero, mu[2] ** params["degree"]])


def pigou(*, degree: float = 1.0, constant_cost: float = 1.0) -> MeanFieldGame:
    """Pigou's network: one road of constant cost, one whose cost is its flow share (to the power ``degree``).

    Source: Pigou (1920), "The Economics of Welfare"; the price of anarchy 4/3 of Roughgarden and Tardos (2002),
    "How bad is selfish routing?" (J. ACM). One decision: from the origin (state 0) take road 0 (cost
    ``constant_cost = 1``, state 1) or road 1 (cost ``x ** degree`` with ``x`` the share taking it, state 2). The
    cost depends on the population's choice, so it is paid as ``terminal_reward(mu_1) = -(0, 1, x ** degree)``
    after the move (horizon 1). Known (degree 1): everyone on road 1 is the unique equilibrium, cost 1,
    exploitability 0; the half/half split is the social optimum, cost 3/4; price of anarchy 4/3. For degree ``p``:
    equilibrium cost 1, optimum at ``x = (p + 1) ** (-1 / p)`` (:func:`pigou_social_optimum`).
    """
    caller = "pigou"
    params = {"degree": _number(degree, caller, "degree", 0.0, open_low=True),
              "constant_cost": _number(constant_cost, caller, "constant_cost", 0.0)}
    return MeanFieldGame(name="pigou", n_states=3, n_actions=2, horizon=1, initial=np.array([1.0, 0.0, 0.0]),
                         params=params, transition=_pigou_transition, reward=_pigou_reward,
                         terminal_reward=_pigou_terminal,
                         description="Pigou's network: a constant road and a congestible one; price of anarchy 4/3.",
                         state_names=("origin", "constant road", "variable road"),
                         action_names=("constant road", "variable road"))


def pigou_social_optimum(degree: float = 1.0) -> tuple[float, float]:
    """``(share on the variable road, average cost)`` minimising ``(1 - x) + x ** (p + 1)`` (constant cost 1):
    ``x = (p + 1) ** (-1 / p)``, cost ``1 - p * (p + 1) ** (-(p + 1) / p)``; ``(1/2, 3/4)`` for ``p = 1``."""
    p = _number(degree, "pigou_social_optimum", "degree", 0.0, open_low=True)
    return (p + 1.0) ** (-1.0 / p), 1.0 - p * (p + 1.0) ** (-(p + 1.0) / p)


MEAN_FIELD_ROUTING: dict[str, Callable[..., MeanFieldGame]] = {
    "braess": braess,
    "braess-static": braess_static,
    "pigou": pigou,
}
