"""Learning bidders in repeated auctions: Q-learning (Banchio and Skrzypacz 2022), Hedge, Exp3 and regret matching.

The stage game: ``n`` bidders with constant values ``values`` (Banchio and Skrzypacz: two bidders, common value 1)
bid on a grid ``bids`` (``[m]``, increasing) in every period of an infinitely repeated single-item auction. Their
payoffs come from :mod:`equilibria.games.auctions` and nowhere else: :func:`auction_tables` evaluates
``utilities(mechanism, values, profile)`` and ``revenue(outcome(mechanism, profile))`` once on all ``m^n`` bid
profiles (ties split the item, so a tied bidder's reward is the expected one: no tie-breaking draw). A period is then
a table look-up, which lets ``jax.vmap`` run thousands of seeds and ``jax.lax.scan`` millions of periods.

Conventions:
- Joint bids are flattened in mixed radix, bidder 0 most significant: ``j = sum_i a_i m^(n-1-i)``; tables are
  ``utility [n, m^n]`` and ``revenue [m^n]``.
- Feedback ``"bandit"``: a bidder sees only its own reward (asynchronous updating, the paper's baseline).
  ``"winning_bid"``: the auctioneer discloses the highest bid of the others (Google's "minimum bid to win"), so a
  bidder knows the reward every grid bid would have earned this period (synchronous updating, the paper's
  disclosure treatment). Hedge and regret matching are full-information learners and need it; Exp3 is bandit.
- Randomness: seed ``k`` runs on ``jax.random.fold_in(key, k)``, so a seed's run does not depend on how many seeds
  run beside it; every period draws one fresh key per seed.
- Time: the periods between two checkpoints are one compiled ``lax.scan``; ``max_seconds`` is checked between
  checkpoints (a run past it stops there, ``completed=False``); choose more ``checkpoints`` for finer stopping.

Q-learning (:class:`QLearning`) as Banchio and Skrzypacz set it up: each bidder keeps ``Q_i[s, a]`` over its grid
bids, plays epsilon-greedy with ``eps_t = exp(-beta t)`` (a uniform grid bid with probability ``eps_t``, else
``argmax_a Q_i[s, a]``, ties to the lowest bid), and updates
``Q_i[s, a] <- Q_i[s, a] + alpha (r + gamma max_a' Q_i[s', a'] - Q_i[s, a])``. States: ``"none"`` (stateless, their
baseline: the environment is time-independent) or ``"last_bids"`` (the last joint bid, ``m^n`` states, as in
Calvano et al.). Tables start uniform on ``[0, q_init / (1 - gamma)]`` (``"random"``), or at ``q_init / (1 -
gamma)`` (optimistic, ``"constant"``). Which of their settings this follows: their design (two bidders, common
value 1, a bid grid up to the value, stateless epsilon-greedy Q-learning with exponentially decaying exploration,
updating on the own reward only; synchronous updating of every bid when the winning bid is disclosed). The numbers
(21 bids ``0, 0.05, ..., 1``, ``alpha = 0.05``, ``gamma = 0.95``, ``beta = 2e-5``, a random start) are this
module's defaults in that design's range, not checked against the paper's tables; one difference is deliberate: a
tie pays the expected half of the item instead of a coin flip. The greedy bid at the end of a run is the "converged
bid".

The collusion measure (:func:`collusion_index`): ``1 - revenue / competitive revenue``, the competitive (Bertrand)
revenue being the second-highest value (``1`` with a common value 1): 0 when learners bid their value as in the
static Nash equilibrium of the grid game, 1 when the item is given away.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from equilibria.core.errors import GameError, NotApplicableError
from equilibria.solvers._common import Budget

FEEDBACKS = ("bandit", "winning_bid")
STATES = ("none", "last_bids")
MAX_TABLE_ENTRIES = 50_000_000  # n * S * m floats per seed: refuse a last-bids state space beyond this up front


def bid_grid(n_bids: int = 21, high: float = 1.0, low: float = 0.0) -> tuple[float, ...]:
    """``n_bids`` evenly spaced bids from ``low`` to ``high`` (the paper's grid: 21 bids ``0, 0.05, ..., 1``)."""
    if isinstance(n_bids, bool) or not isinstance(n_bids, int) or n_bids < 2:
        raise GameError(f"bid_grid(n_bids): expected an integer >= 2, got {n_bids!r}")
    if not (math.isfinite(low) and math.isfinite(high) and high > low):
        raise GameError(f"bid_grid(high): expected finite low < high, got low={low!r}, high={high!r}")
    return tuple(float(b) for b in np.round(np.linspace(low, high, n_bids), 12))


@dataclass(frozen=True)
class AuctionTables:
    """A repeated auction's stage game on a bid grid (module docstring).

    Attributes:
      bids: ``[m]`` the grid; values: ``[n]`` the bidders' constant values.
      utility: ``[n, m^n]`` each bidder's (expected, ties split) utility of every joint bid.
      revenue: ``[m^n]`` the auctioneer's revenue of every joint bid.
      competitive_revenue: the Bertrand benchmark of :func:`collusion_index` (the second-highest value).
      mechanism: the mechanism the tables were evaluated from.
    """

    bids: np.ndarray
    values: np.ndarray
    utility: np.ndarray
    revenue: np.ndarray
    competitive_revenue: float
    mechanism: Any

    @property
    def n_bidders(self) -> int:
        return int(self.values.shape[0])

    @property
    def n_bids(self) -> int:
        return int(self.bids.shape[0])


def joint_profiles(n_bidders: int, n_bids: int) -> np.ndarray:
    """``int [m^n, n]``: every joint bid index in the flattening order of the module docstring."""
    return np.array(list(itertools.product(range(n_bids), repeat=n_bidders)), dtype=np.int64).reshape(-1, n_bidders)


def auction_tables(mechanism: Any, values: Sequence[float] = (1.0, 1.0),
                   bids: Sequence[float] | None = None) -> AuctionTables:
    """Evaluate ``mechanism`` (a :class:`equilibria.games.auctions.SingleItemAuction`) on every joint grid bid.

    ``values``: ``[n]`` constant values (``n`` must be the mechanism's ``n_bidders``); ``bids``: ``[m]`` the grid
    (default :func:`bid_grid`). Utilities and revenue are :mod:`equilibria.games.auctions`'s, computed in NumPy.
    """
    from equilibria.games import auctions

    values_array = np.asarray(values, dtype=np.float64)
    if values_array.ndim != 1 or values_array.size < 1 or not np.all(np.isfinite(values_array)):
        raise GameError(f"auction_tables(values): expected a non-empty list of finite values, got {values!r}")
    grid = np.asarray(bid_grid() if bids is None else bids, dtype=np.float64)
    if grid.ndim != 1 or grid.size < 2 or not np.all(np.isfinite(grid)) or np.any(np.diff(grid) <= 0):
        raise GameError(f"auction_tables(bids): expected at least 2 finite increasing bids, got {bids!r}")
    n = int(values_array.size)
    expected_n = getattr(mechanism, "n_bidders", n)
    if expected_n != n:
        raise GameError(f"auction_tables(values): the mechanism has {expected_n} bidders, got {n} values")
    if grid.size ** n > 2_000_000:
        raise GameError(f"auction_tables(bids): {grid.size}^{n} joint bids is too many for a table (at most 2e6)")
    profiles = grid[joint_profiles(n, grid.size)]  # [m^n, n]
    utility = np.asarray(auctions.utilities(mechanism, np.broadcast_to(values_array, profiles.shape), profiles),
                         dtype=np.float64)
    revenue = np.asarray(auctions.revenue(auctions.outcome(mechanism, profiles)), dtype=np.float64)
    competitive = float(np.sort(values_array)[-2]) if n >= 2 else float(getattr(mechanism, "reserve", 0.0))
    return AuctionTables(grid, values_array, utility.T.copy(), revenue, competitive, mechanism)


def collusion_index(revenue: Any, competitive_revenue: float) -> Any:
    """``1 - revenue / competitive_revenue`` (module docstring); NumPy in, NumPy out."""
    if not competitive_revenue > 0:
        raise GameError(f"collusion_index(competitive_revenue): expected a positive number, got "
                        f"{competitive_revenue!r}")
    return 1.0 - np.asarray(revenue, dtype=np.float64) / competitive_revenue


# ----------------------------------------------------------------------------------------------------- learners


@dataclass(frozen=True)
class QLearning:
    """Epsilon-greedy Q-learning bidders (module docstring): ``alpha`` learning rate, ``discount`` (gamma),
    ``beta`` exploration decay (``eps_t = exp(-beta t)``), ``state`` in :data:`STATES`, ``feedback`` in
    :data:`FEEDBACKS`, ``init`` ``"random"`` or ``"constant"`` with scale ``q_init``."""

    alpha: float = 0.05
    discount: float = 0.95
    beta: float = 2e-5
    state: str = "none"
    feedback: str = "bandit"
    init: str = "random"
    q_init: float = 1.0

    name = "q-learning"

    def check(self) -> None:
        _unit("QLearning(alpha)", self.alpha, open_low=True)
        _unit("QLearning(discount)", self.discount, open_high=True)
        if not (math.isfinite(self.beta) and self.beta >= 0):
            raise GameError(f"QLearning(beta): expected a number >= 0, got {self.beta!r}")
        _choice("QLearning(state)", self.state, STATES)
        _choice("QLearning(feedback)", self.feedback, FEEDBACKS)
        _choice("QLearning(init)", self.init, ("random", "constant"))
        if not (math.isfinite(self.q_init) and self.q_init >= 0):
            raise GameError(f"QLearning(q_init): expected a number >= 0, got {self.q_init!r}")


@dataclass(frozen=True)
class Hedge:
    """Hedge (multiplicative weights) over the grid with full information (needs ``feedback="winning_bid"``):
    plays ``p ~ exp(eta * cumulative reward)``; no-regret."""

    learning_rate: float = 0.05
    feedback: str = "winning_bid"

    name = "hedge"

    def check(self) -> None:
        _positive("Hedge(learning_rate)", self.learning_rate)
        if self.feedback != "winning_bid":
            raise NotApplicableError("Hedge needs the reward of every bid: use feedback='winning_bid' (or Exp3 for "
                                     "bandit feedback)")


@dataclass(frozen=True)
class Exp3:
    """Exp3 (Auer et al. 2002) over the grid with bandit feedback: plays ``(1 - gamma) p + gamma / m``,
    ``p ~ exp(eta * importance-weighted cumulative reward)``; no-regret against adaptive bidders in expectation."""

    learning_rate: float = 0.005
    exploration: float = 0.01
    feedback: str = "bandit"

    name = "exp3"

    def check(self) -> None:
        _positive("Exp3(learning_rate)", self.learning_rate)
        _unit("Exp3(exploration)", self.exploration, open_low=True)
        _choice("Exp3(feedback)", self.feedback, ("bandit",))


@dataclass(frozen=True)
class RegretMatching:
    """Regret matching (Hart and Mas-Colell 2000) over the grid, full information (``feedback="winning_bid"``):
    plays proportionally to the positive part of the cumulative regrets (uniformly when none is positive);
    ``plus=True`` is regret matching+ (regrets floored at 0 each period)."""

    plus: bool = False
    feedback: str = "winning_bid"

    name = "regret-matching"

    def check(self) -> None:
        if self.feedback != "winning_bid":
            raise NotApplicableError("regret matching needs the reward of every bid: use feedback='winning_bid' "
                                     "(or Exp3 for bandit feedback)")


Learner = QLearning | Hedge | Exp3 | RegretMatching


def _unit(name: str, value: float, *, open_low: bool = False, open_high: bool = False) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and (
        (value > 0 if open_low else value >= 0) and (value < 1 if open_high else value <= 1))
    if not ok:
        low, high = "(0" if open_low else "[0", "1)" if open_high else "1]"
        raise GameError(f"{name}: expected a number in {low}, {high}, got {value!r}")


def _positive(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not (math.isfinite(value) and value > 0):
        raise GameError(f"{name}: expected a positive number, got {value!r}")


def _choice(name: str, value: str, options: Sequence[str]) -> None:
    if value not in options:
        raise GameError(f"{name}: expected one of {', '.join(options)}, got {value!r}")


def _n_states(learner: Learner, n: int, m: int) -> int:
    return m ** n if isinstance(learner, QLearning) and learner.state == "last_bids" else 1


_NUMBERS = ("alpha", "discount", "beta", "q_init", "learning_rate", "exploration")


def _structure(learner: Learner) -> Learner:
    """The learner with its numbers zeroed: what the compiled code depends on (the numbers are traced, so changing
    a learning rate or an exploration schedule does not compile again)."""
    zeros: dict[str, Any] = {f: 0.0 for f in _NUMBERS if hasattr(learner, f)}
    return dataclasses.replace(learner, **zeros)


def _numbers(learner: Learner) -> dict[str, jax.Array]:
    return {f: jnp.asarray(getattr(learner, f), jnp.float32) for f in _NUMBERS if hasattr(learner, f)}


def _init(learner: Learner, numbers: dict[str, jax.Array], n: int, m: int, key: jax.Array) -> dict[str, jax.Array]:
    """One seed's learner state (``t`` counts the periods played)."""
    k_table, k_stream = jax.random.split(key)
    state: dict[str, jax.Array] = {"key": k_stream, "t": jnp.zeros((), jnp.int32), "s": jnp.zeros((), jnp.int32)}
    if isinstance(learner, QLearning):
        scale = numbers["q_init"] / (1.0 - numbers["discount"])
        shape = (n, _n_states(learner, n, m), m)
        state["table"] = (jax.random.uniform(k_table, shape, jnp.float32, 0.0, scale) if learner.init == "random"
                          else jnp.full(shape, scale, jnp.float32))
    else:  # cumulative (weighted) rewards or regrets per bidder and bid
        state["table"] = jnp.zeros((n, m), jnp.float32)
    return state


def _mixed(learner: Learner, numbers: dict[str, jax.Array], table: jax.Array) -> jax.Array:
    """``[n, m]`` the mixed strategy of a no-regret learner's table."""
    if isinstance(learner, RegretMatching):
        positive = jnp.maximum(table, 0.0)
        total = positive.sum(axis=-1, keepdims=True)
        return jnp.where(total > 0, positive / jnp.where(total > 0, total, 1.0), 1.0 / table.shape[-1])
    p = jax.nn.softmax(numbers["learning_rate"] * table, axis=-1)
    if isinstance(learner, Exp3):
        p = (1.0 - numbers["exploration"]) * p + numbers["exploration"] / table.shape[-1]
    return p


def _radix(n: int, m: int) -> jax.Array:
    return jnp.asarray([m ** (n - 1 - i) for i in range(n)], jnp.int32)


def _period(learner: Learner, numbers: dict[str, jax.Array], utility: jax.Array, revenue: jax.Array, n: int, m: int,
            state: dict[str, jax.Array], noise: jax.Array) -> tuple[dict[str, jax.Array], tuple[jax.Array, jax.Array]]:
    """One period of one seed -> the new state and ``(bids played [n] (grid indices), revenue)``.

    ``noise``: ``[2, n]`` uniforms on [0, 1) (exploration coin and explored bid, or the mixed strategy's draw)."""
    table, t, s = state["table"], state["t"], state["s"]
    radix = _radix(n, m)
    bidders = jnp.arange(n)
    if isinstance(learner, QLearning):
        eps = jnp.exp(-numbers["beta"] * t.astype(jnp.float32))
        greedy = jnp.argmax(table[:, s, :], axis=-1)
        explored = jnp.minimum((noise[1] * m).astype(jnp.int32), m - 1)
        actions = jnp.where(noise[0] < eps, explored, greedy).astype(jnp.int32)
    else:  # inverse-CDF draw from each bidder's mixed strategy
        cdf = jnp.cumsum(_mixed(learner, numbers, table), axis=-1)
        actions = jnp.minimum(jnp.sum(cdf < noise[0][:, None] * cdf[:, -1:], axis=-1), m - 1).astype(jnp.int32)
    joint = jnp.dot(actions, radix)
    reward = utility[:, joint]  # [n]
    # Every bidder's joint bid had it bid b instead: [n, m]; the rewards the disclosed winning bid reveals.
    alternatives = joint - actions[:, None] * radix[:, None] + jnp.arange(m)[None, :] * radix[:, None]
    if isinstance(learner, QLearning):
        gamma, alpha = numbers["discount"], numbers["alpha"]
        if learner.feedback == "bandit":
            s_next = joint if learner.state == "last_bids" else jnp.zeros((), jnp.int32)
            target = reward + gamma * table[:, s_next, :].max(axis=-1)
            old = table[bidders, s, actions]
            table = table.at[bidders, s, actions].set(old + alpha * (target - old))
        else:  # synchronous: every bid's Q moves towards what it would have earned (and the state it would reach)
            counterfactual = utility[bidders[:, None], alternatives]  # [n, m]
            s_next = alternatives if learner.state == "last_bids" else jnp.zeros((n, m), jnp.int32)
            target = counterfactual + gamma * table[bidders[:, None], s_next, :].max(axis=-1)
            row = table[:, s, :]
            table = table.at[:, s, :].set(row + alpha * (target - row))
        s = joint if learner.state == "last_bids" else s
    elif isinstance(learner, Hedge):
        table = table + utility[bidders[:, None], alternatives]
    elif isinstance(learner, Exp3):
        p = _mixed(learner, numbers, table)[bidders, actions]
        table = table.at[bidders, actions].add(reward / p)
    else:  # regret matching
        table = table + utility[bidders[:, None], alternatives] - reward[:, None]
        if learner.plus:
            table = jnp.maximum(table, 0.0)
    return {"key": state["key"], "t": t + 1, "s": s, "table": table}, (actions, revenue[joint])


_BLOCK = 512  # periods whose random numbers are drawn in one call (one threefry call per period is the bottleneck)


def _block_size(length: int) -> int:
    """A divisor of ``length`` near :data:`_BLOCK` when there is one (then the scan body is traced and compiled
    once), else :data:`_BLOCK` (and a shorter last block)."""
    for size in range(_BLOCK, _BLOCK // 2, -1):
        if length % size == 0:
            return size
    return min(_BLOCK, length)


@functools.partial(jax.jit, static_argnames=("learner", "n", "m", "length"))
def _advance(learner: Learner, numbers: dict[str, jax.Array], utility: jax.Array, revenue: jax.Array, grid: jax.Array,
             states: dict[str, jax.Array], n: int, m: int,
             length: int) -> tuple[dict[str, jax.Array], jax.Array, jax.Array]:
    """``length`` periods of every seed -> states, mean bid ``[seeds, n]``, mean revenue ``[seeds]``."""

    def block(carry: tuple[dict[str, jax.Array], jax.Array, jax.Array], size: int) -> Any:
        state, bid_sum, revenue_sum = carry
        key, k_block = jax.random.split(state["key"])
        noise = jax.random.uniform(k_block, (size, 2, n))

        def body(inner: tuple[dict[str, jax.Array], jax.Array, jax.Array], u: jax.Array) -> tuple[Any, None]:
            st, bids_so_far, paid_so_far = inner
            st, (actions, paid) = _period(learner, numbers, utility, revenue, n, m, st, u)
            return (st, bids_so_far + grid[actions], paid_so_far + paid), None

        (state, bid_sum, revenue_sum), _ = jax.lax.scan(body, ({**state, "key": key}, bid_sum, revenue_sum), noise)
        return state, bid_sum, revenue_sum

    def one(state: dict[str, jax.Array]) -> tuple[dict[str, jax.Array], jax.Array, jax.Array]:
        carry = (state, jnp.zeros((n,), jnp.float32), jnp.zeros((), jnp.float32))
        size = _block_size(length)
        full, rest = divmod(length, size)
        if full:
            carry, _ = jax.lax.scan(lambda c, _: (block(c, size), None), carry, None, length=full)
        if rest:
            carry = block(carry, rest)
        state, bid_sum, revenue_sum = carry
        return state, bid_sum / length, revenue_sum / length

    return jax.vmap(one)(states)


@functools.partial(jax.jit, static_argnames=("learner", "n", "m"))
def _start(learner: Learner, numbers: dict[str, jax.Array], keys: jax.Array, n: int, m: int) -> dict[str, jax.Array]:
    return jax.vmap(lambda k: _init(learner, numbers, n, m, k))(keys)


@functools.partial(jax.jit, static_argnames=("learner",))
def _strategies(learner: Learner, numbers: dict[str, jax.Array], states: dict[str, jax.Array]) -> jax.Array:
    """``[seeds, n, m]``: each bidder's current strategy (Q-learning: the greedy bid of the current state)."""
    if isinstance(learner, QLearning):
        def greedy(state: dict[str, jax.Array]) -> jax.Array:
            row = state["table"][:, state["s"], :]
            return jax.nn.one_hot(jnp.argmax(row, axis=-1), row.shape[-1])

        return jax.vmap(greedy)(states)
    return jax.vmap(lambda state: _mixed(learner, numbers, state["table"]))(states)


@dataclass(frozen=True, eq=False)
class LearningRun:
    """Repeated auctions played by learning bidders, measured at checkpoints.

    Attributes:
      learner: the learner (its settings); tables: the stage game.
      seeds: independent runs; periods: ``int64 [C]`` periods played at each checkpoint.
      mean_bids: ``[seeds, C, n]`` the average bid played in the periods before each checkpoint.
      revenue: ``[seeds, C]`` the average revenue per period over the same periods.
      strategy_bids: ``[seeds, C, n]`` the expected bid of each bidder's strategy at the checkpoint (Q-learning:
        its greedy bid, the "converged bid" at the last checkpoint).
      strategy_revenue: ``[seeds, C]`` the expected revenue when every bidder plays that strategy (greedy bids for
        Q-learning), with no exploration.
      strategies: ``[seeds, n, m]`` the final strategies (one-hot greedy bids for Q-learning).
      seconds, completed, stopped_because: wall time (compilation included); whether every period ran; ``None``
        or ``"max_seconds"``.
    """

    learner: Learner
    tables: AuctionTables
    seeds: int
    periods: np.ndarray
    mean_bids: np.ndarray
    revenue: np.ndarray
    strategy_bids: np.ndarray
    strategy_revenue: np.ndarray
    strategies: np.ndarray
    seconds: float
    completed: bool
    stopped_because: str | None

    @property
    def final_bids(self) -> np.ndarray:
        """``[seeds, n]`` the strategies' expected bids at the last checkpoint."""
        return self.strategy_bids[:, -1]

    @property
    def final_revenue(self) -> np.ndarray:
        """``[seeds]`` the strategies' expected revenue at the last checkpoint."""
        return self.strategy_revenue[:, -1]

    @property
    def collusion(self) -> np.ndarray:
        """``[seeds]`` :func:`collusion_index` of :attr:`final_revenue`."""
        return collusion_index(self.final_revenue, self.tables.competitive_revenue)


def _expected_revenue(tables: AuctionTables, strategies: np.ndarray) -> np.ndarray:
    """``[seeds]`` revenue under independent mixed strategies ``[seeds, n, m]``."""
    seeds, n, m = strategies.shape
    joint = np.ones((seeds, 1))
    for i in range(n):  # outer product in the flattening order (bidder 0 most significant)
        joint = (joint[:, :, None] * strategies[:, i, None, :]).reshape(seeds, -1)
    return joint @ tables.revenue


def _checked_count(name: str, value: Any, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or int(value) < low:
        raise GameError(f"{name}: expected an integer >= {low}, got {value!r}")
    return int(value)


def _chunks(periods: int, checkpoints: int) -> list[int]:
    base, extra = divmod(periods, checkpoints)
    return [base + 1] * extra + [base] * (checkpoints - extra)


def run_bidders(tables: AuctionTables, learner: Learner, *, periods: int, seeds: int = 1,
                key: jax.Array | int | None = None, checkpoints: int = 10,
                max_seconds: float | None = None) -> LearningRun:
    """Every bidder of ``tables`` runs ``learner`` for ``periods`` periods, on ``seeds`` independent streams
    (``jax.vmap``), measured at ``checkpoints`` evenly spaced checkpoints (module docstring).

    ``key``: a JAX key, an int seed, or ``None`` (``PRNGKey(0)``).
    """
    if not isinstance(tables, AuctionTables):
        raise GameError(f"run_bidders(tables): expected AuctionTables (auction_tables(...)), got "
                        f"{type(tables).__name__}")
    if not isinstance(learner, QLearning | Hedge | Exp3 | RegretMatching):
        raise GameError(f"run_bidders(learner): expected QLearning, Hedge, Exp3 or RegretMatching, got "
                        f"{type(learner).__name__}")
    learner.check()
    periods = _checked_count("run_bidders(periods)", periods)
    seeds = _checked_count("run_bidders(seeds)", seeds)
    checkpoints = _checked_count("run_bidders(checkpoints)", checkpoints)
    if checkpoints > periods:
        raise GameError(f"run_bidders(checkpoints): at most periods = {periods} checkpoints, got {checkpoints}")
    if periods >= 2**31 - 1:
        raise GameError(f"run_bidders(periods): at most 2^31 - 2 periods (int32 counters), got {periods}")
    budget = Budget.checked(None, max_seconds, "run_bidders")
    n, m = tables.n_bidders, tables.n_bids
    entries = n * _n_states(learner, n, m) * m * seeds
    if entries > MAX_TABLE_ENTRIES:
        raise GameError(f"run_bidders(seeds): {seeds} seeds x {n * _n_states(learner, n, m) * m} table entries "
                        f"exceeds {MAX_TABLE_ENTRIES:,}; run fewer seeds per call")
    if key is None:
        key = jax.random.PRNGKey(0)
    elif isinstance(key, int | np.integer) and not isinstance(key, bool):
        key = jax.random.PRNGKey(int(key))
    elif not isinstance(key, jax.Array):
        raise GameError(f"run_bidders(key): expected a JAX key, an int or None, got {type(key).__name__}")

    keys = jax.vmap(jax.random.fold_in, in_axes=(None, 0))(key, jnp.arange(seeds, dtype=jnp.uint32))
    utility = jnp.asarray(tables.utility, jnp.float32)
    revenue = jnp.asarray(tables.revenue, jnp.float32)
    grid = jnp.asarray(tables.bids, jnp.float32)
    structure, numbers = _structure(learner), _numbers(learner)
    states = _start(structure, numbers, keys, n, m)
    marks: list[int] = []
    mean_bids, revenues, strategy_bids, strategy_revenue = [], [], [], []
    strategies = np.asarray(_strategies(structure, numbers, states), dtype=np.float64)
    stopped: str | None = None
    done = 0
    for length in _chunks(periods, checkpoints):
        if marks and budget.max_seconds is not None and budget.elapsed() >= budget.max_seconds:
            stopped = "max_seconds"
            break
        states, bid_mean, paid = _advance(structure, numbers, utility, revenue, grid, states, n, m, length)
        done += length
        marks.append(done)
        mean_bids.append(np.asarray(bid_mean, np.float64))
        revenues.append(np.asarray(paid, np.float64))
        strategies = np.asarray(_strategies(structure, numbers, states), dtype=np.float64)
        strategies /= strategies.sum(axis=-1, keepdims=True)
        strategy_bids.append(strategies @ tables.bids)
        strategy_revenue.append(_expected_revenue(tables, strategies))
    return LearningRun(learner, tables, seeds, np.asarray(marks, np.int64), np.stack(mean_bids, axis=1),
                       np.stack(revenues, axis=1), np.stack(strategy_bids, axis=1), np.stack(strategy_revenue, axis=1),
                       strategies, budget.elapsed(), stopped is None, stopped)


__all__ = ["FEEDBACKS", "STATES", "AuctionTables", "Exp3", "Hedge", "LearningRun", "QLearning", "RegretMatching",
           "auction_tables", "bid_grid", "collusion_index", "joint_profiles", "run_bidders"]
