"""Named stationary discounted mean-field games (:mod:`equilibria.games.mean_field_stationary`'s conventions).

- ``stationary-beach-bar``: the beach bar process (Perrin et al. 2020) on a ring, stationary and discounted.
- ``stationary-susceptible-infected``: mfglib's SIS epidemic (Cui and Koeppl 2021) with the same one-step data,
  stationary and discounted.

Each factory's numeric keywords that are not shapes are ``params`` (``with_params``, ``jax.vmap`` sweeps); sizes
and locations are factory arguments. The factories build tables with NumPy and import no JAX; the reward and
transition functions are pure JAX and import it when first called.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from equilibria.core.errors import GameError
from equilibria.games.mean_field_stationary import StationaryMeanFieldGame
from equilibria.games.zoo.mean_field_applications import sis_kernel, sis_rewards


def _integer(value: Any, caller: str, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise GameError(f"{caller}({name}): expected an integer >= {low}, got {value!r}")
    return int(value)


def _number(value: Any, caller: str, name: str, low: float, high: float, *, open_low: bool = False,
            open_high: bool = False) -> float:
    ok = not isinstance(value, bool) and isinstance(value, int | float | np.integer | np.floating)
    if ok:
        v = float(value)
        ok = math.isfinite(v) and (v > low if open_low else v >= low) and (v < high if open_high else v <= high)
    if not ok:
        left, right = "(" if open_low else "[", ")" if open_high else "]"
        raise GameError(f"{caller}({name}): expected a number in {left}{low:g}, {high:g}{right}, got {value!r}")
    return float(value)


def _distribution(value: Sequence[float] | np.ndarray | None, n: int, caller: str) -> np.ndarray:
    if value is None:
        return np.full(n, 1.0 / n)
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != (n,) or not np.all(np.isfinite(arr)) or np.any(arr < 0) or abs(arr.sum() - 1.0) > 1e-9:
        raise GameError(f"{caller}(initial): expected {n} non-negative probabilities summing to 1, got {value!r}")
    return arr


# -- beach bar on a ring ----------------------------------------------------------------------------------------
def _beach_bar_transition(params: Any, mu: Any) -> Any:
    import jax.numpy as jnp

    p = params["p_still"]
    weights = jnp.stack([(1 - p) / 2, p, (1 - p) / 2])  # noise -1, 0, +1
    # moves[s, a, e, s']: the one-hot of (s + a - 1 + e - 1) mod n, a fixed table, weighted by the noise law.
    return jnp.einsum("saep,e->sap", params["moves"], weights)


def _beach_bar_reward(params: Any, mu: Any) -> Any:
    import jax.numpy as jnp

    crowd = -params["crowd_aversion"] * jnp.log(mu + params["log_eps"])
    return params["distance_reward"][:, None] + params["action_reward"][None, :] + crowd[:, None]


def stationary_beach_bar(*, n: int = 10, bar_location: int = 5, discount: float = 0.9, p_still: float = 0.5,
                         crowd_aversion: float = 1.0, log_eps: float = 1e-20,
                         initial: Sequence[float] | None = None) -> StationaryMeanFieldGame:
    """The beach bar process (Perrin et al. 2020) on a ring of ``n`` spots, stationary and discounted.

    States ``0 .. n-1`` on the ring ``Z_n``, actions ``(left, stay, right)``. From ``s`` with action ``a`` and a
    noise ``e`` (``-1, 0, +1`` with probabilities ``(1 - p_still)/2, p_still, (1 - p_still)/2``) the agent lands
    on ``(s + a - 1 + e) mod n``. Reward: ``-d(s, bar) - |a - 1| / n - crowd_aversion * log(mu(s) + log_eps)``,
    ``d`` the distance on the ring (the finite-horizon ``beach-bar`` clips at the ends as mfglib does; the ring
    keeps the reflection symmetry used below).

    Known: the crowd term ``-log mu(s)`` is strictly monotone in the sense of Lasry and Lions
    (``sum_s (r(s, mu) - r(s, mu')) (mu(s) - mu'(s)) < 0`` for ``mu != mu'``) and the transitions do not depend on
    ``mu``: a monotone game, where fictitious play and online mirror descent are the methods with guarantees
    (Perrin et al. 2020, Perolat et al. 2022). Every state is reached under every policy when ``p_still < 1``
    (the noise alone walks the ring), so each policy has one stationary distribution. The game is symmetric under
    the reflection ``s -> 2 bar - s``; so is its equilibrium distribution (tested), which peaks at the bar and
    flattens as ``crowd_aversion`` grows; with ``crowd_aversion = 0`` the best response walks to the bar and stays.
    """
    caller = "stationary_beach_bar"
    n = _integer(n, caller, "n", 1)
    bar_location = _integer(bar_location, caller, "bar_location", 0)
    if bar_location > n - 1:
        raise GameError(f"{caller}(bar_location): expected 0 .. {n - 1}, got {bar_location}")
    params: dict[str, Any] = {"p_still": _number(p_still, caller, "p_still", 0.0, 1.0),
              "crowd_aversion": _number(crowd_aversion, caller, "crowd_aversion", 0.0, math.inf, open_high=True),
              "log_eps": _number(log_eps, caller, "log_eps", 0.0, math.inf, open_low=True, open_high=True)}
    discount = _number(discount, caller, "discount", 0.0, 1.0, open_low=True, open_high=True)
    moves = np.zeros((n, 3, 3, n))
    for s in range(n):
        for a in range(3):
            for e in range(3):
                moves[s, a, e, (s + a - 1 + e - 1) % n] = 1.0
    gap = np.abs(np.arange(n) - bar_location)
    distance = np.minimum(gap, n - gap)
    params.update(distance_reward=-distance.astype(np.float64), action_reward=-np.array([1.0, 0.0, 1.0]) / n,
                  moves=moves)
    return StationaryMeanFieldGame(
        name="stationary-beach-bar", n_states=n, n_actions=3, initial=_distribution(initial, n, caller),
        params=params, transition=_beach_bar_transition, reward=_beach_bar_reward, discount=discount,
        description="Walk towards the bar on a ring-shaped beach, away from crowded spots (stationary, discounted).",
        action_names=("left", "stay", "right"))


# -- susceptible-infected ----------------------------------------------------------------------------------------
# The finite-horizon game's kernel and rewards (time-invariant): the same data, discounted.
def stationary_susceptible_infected(*, discount: float = 0.9, initial_infected: float = 0.6,
                                    infection_rate: float = 0.81, recovery_rate: float = 0.3,
                                    distancing_cost: float = 0.5,
                                    infection_cost: float = 1.0) -> StationaryMeanFieldGame:
    """SIS epidemics with a choice of social distancing, stationary and discounted: the one-step data of mfglib's
    ``Environment.susceptible_infected`` (Cui and Koeppl 2021; the finite-horizon ``susceptible-infected``).

    States ``0 = susceptible``, ``1 = infected``; actions ``0 = go out``, ``1 = social distancing``. With ``I`` the
    infected share, a susceptible agent going out is infected with probability ``infection_rate * I``; one
    distancing stays susceptible; an infected agent recovers with probability ``recovery_rate``. Rewards
    ``-distancing_cost`` (susceptible, distancing), ``-infection_cost`` (infected, out), ``-(infection_cost +
    distancing_cost)`` (infected, distancing): ``-0.5 / -1 / -1.5``. ``initial = (1 - initial_infected,
    initial_infected)``.

    Known: the transitions depend on the mean field, so a policy may have several stationary distributions: when
    everybody goes out, both ``I = 0`` (disease-free) and ``I = 1 - recovery_rate / infection_rate`` (endemic,
    ``0.6296...`` by default) are fixed points, and the iteration from ``initial_infected > 0`` finds the endemic
    one. The stationary equilibrium has a closed form: infected agents go out (distancing costs and changes
    nothing for them); susceptible agents are indifferent, so ``V(S) = -distancing_cost / (1 - gamma)``,
    ``V(I) = (-infection_cost + gamma r V(S)) / (1 - gamma (1 - r))`` and the infected share is ``I* =
    distancing_cost / (gamma beta (V(S) - V(I)))``; they go out with probability ``p* = r / (beta (1 - I*))``
    (``r = recovery_rate``, ``beta = infection_rate``; by default ``I* = 0.50754...``, ``p* = 0.75209...``,
    certified to 1e-13, and it is unique among endemic states reached from ``initial_infected > 0``: at a lower
    ``I`` everybody goes out, at a higher one nobody does). With ``initial_infected = 0`` the disease-free state
    where everybody goes out is an equilibrium too. Because ``p*`` is interior, the best-response iteration jumps
    across it and cycles (damped or not); mirror descent converges to it; Boltzmann iteration at a fixed
    temperature settles on a regularised equilibrium, annealed and damped closer (tested). The finite-horizon
    game with the same data and a long horizon, started at a stationary distribution, keeps it and its
    exploitability tends to the stationary one (tested).
    """
    caller = "stationary_susceptible_infected"
    share = _number(initial_infected, caller, "initial_infected", 0.0, 1.0)
    params = {"infection_rate": _number(infection_rate, caller, "infection_rate", 0.0, 1.0),
              "recovery_rate": _number(recovery_rate, caller, "recovery_rate", 0.0, 1.0),
              "distancing_cost": _number(distancing_cost, caller, "distancing_cost", -math.inf, math.inf,
                                         open_low=True, open_high=True),
              "infection_cost": _number(infection_cost, caller, "infection_cost", -math.inf, math.inf,
                                        open_low=True, open_high=True)}
    discount = _number(discount, caller, "discount", 0.0, 1.0, open_low=True, open_high=True)
    return StationaryMeanFieldGame(
        name="stationary-susceptible-infected", n_states=2, n_actions=2, initial=np.array([1.0 - share, share]),
        params=params, transition=sis_kernel, reward=sis_rewards, discount=discount,
        description="SIS epidemics, stationary and discounted: go out or distance against the infection rate.",
        state_names=("susceptible", "infected"), action_names=("go out", "distance"))


MEAN_FIELD_STATIONARY: dict[str, Callable[..., StationaryMeanFieldGame]] = {
    "stationary-beach-bar": stationary_beach_bar,
    "stationary-susceptible-infected": stationary_susceptible_infected,
}
"""The stationary environments by zoo name (hyphens); each factory's keywords are its documented defaults."""

__all__ = ["MEAN_FIELD_STATIONARY", "stationary_beach_bar", "stationary_susceptible_infected"]
