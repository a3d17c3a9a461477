"""Emergent compositional communication: a two-attribute Lewis game, learners in JAX, and exact measures of the code.

Conventions (written once, here):

- **The game** (:class:`CompositionalGame`): a state is a pair of attributes ``(a_0, a_1)``, each in ``range(V)``,
  indexed ``s = a_0 * V + a_1`` (``S = V^2`` states, uniform prior); a message is a pair of symbols ``(c_0, c_1)``
  from an alphabet of ``K >= V`` symbols, indexed ``m = c_0 * K + c_1`` (``M = K^2`` messages). The sender sees the
  state and sends a message; the receiver sees only the message and guesses both attributes. The reward, shared, is
  **1/2 per attribute guessed** (so in ``{0, 1/2, 1}``): a receiver that ignores the message earns ``1/V``, chance.
- **Policies** (what every measure reads): ``sender: [S, M]``, rows distributions over whole messages;
  ``receiver: [2, M, V]``, ``receiver[k, m]`` the distribution of the guess of attribute ``k`` after message ``m``
  (the two guesses are drawn independently given the message).
- **Sender parametrisations** (``sender=``): ``"joint"``: one softmax (or urn) over the ``K^2`` messages per state;
  ``"factored"``: the two symbols are drawn independently given the state, each from its own softmax over ``K``
  symbols conditioned on the *whole* state (so nothing ties symbol ``j`` to attribute ``j``: compositionality is not
  built in). Both represent every deterministic code.
- **Learners** (:class:`SignalingLearner`): pure ``init(game, key) -> state``, ``update(game, state, key) -> state``
  (one minibatch of ``batch`` games, states drawn uniformly), ``policies(game, state) -> (sender, receiver)``.
  :func:`reinforce`: REINFORCE on softmax tables (plain gradient ascent, running-average baselines); :func:`roth_erev`:
  Roth-Erev urns (weights grow by the reward of the choice). :func:`train` runs ``seeds`` of them (``jax.vmap``;
  seed ``k`` uses ``jax.random.fold_in(key, k)``) with one ``lax.scan``, recording the policies at checkpoints.
- **Measures** (float64 NumPy, computed from the policies, never from a learner's bookkeeping):
  :func:`expected_success` (exact, by enumeration over states and messages); :func:`mutual_information` ``I(S; M)``
  in nats (exact from the sender; ``log S`` for a bijective code, 0 for a constant one);
  :func:`topographic_similarity` (Brighton and Kirby 2006; Lazaridou et al. 2018) of the sender's *greedy code*
  (:func:`greedy_code`: the most probable message per state, ties to the lowest index): the Spearman correlation,
  over all pairs of states, of the Hamming distance between states (attributes) and between their messages (for
  two-symbol messages the edit distance equals the Hamming distance: one edit that keeps the length is one
  substitution); :func:`permutation_test`: the same statistic after random permutations of which state gets which
  message, a one-sided p-value ``(1 + #{null >= observed}) / (1 + n_permutations)``;
  :func:`positional_disentanglement` (Chaabouni et al. 2020), exact from the sender: per symbol position ``j``,
  ``(I(c_j; a_top) - I(c_j; a_other)) / H(c_j)``, averaged over positions whose symbol is not constant.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from equilibria.core.errors import GameError
from equilibria.dynamics.base import state_dataclass

SENDERS = ("joint", "factored")


def _positive_int(name: str, value: Any, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise GameError(f"{name}: expected an integer >= {low}, got {value!r}")
    return int(value)


def _number(name: str, value: Any, low: float, *, low_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or not (
            value > low if low_open else value >= low):
        raise GameError(f"{name}: expected a finite number {'>' if low_open else '>='} {low:g}, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class CompositionalGame:
    """The two-attribute Lewis game (module docstring): ``n_values = V`` values per attribute, ``alphabet = K >= V``
    symbols per message position. Hashable: ``jax.jit`` takes it as a static argument."""

    n_values: int
    alphabet: int

    def __post_init__(self) -> None:
        _positive_int("n_values", self.n_values, 2)
        if _positive_int("alphabet", self.alphabet, 1) < self.n_values:
            raise GameError(f"alphabet: expected at least n_values = {self.n_values} symbols, got {self.alphabet}")

    @property
    def n_states(self) -> int:
        return self.n_values**2

    @property
    def n_messages(self) -> int:
        return self.alphabet**2

    @property
    def chance(self) -> float:
        """The success of a receiver that ignores the message (guesses uniformly or always the same value)."""
        return 1.0 / self.n_values

    def attributes(self) -> np.ndarray:
        """``int [S, 2]``: the attributes of every state."""
        s = np.arange(self.n_states)
        return np.stack([s // self.n_values, s % self.n_values], axis=1)

    def symbols(self) -> np.ndarray:
        """``int [M, 2]``: the symbols of every message."""
        m = np.arange(self.n_messages)
        return np.stack([m // self.alphabet, m % self.alphabet], axis=1)


def compositional_game(n_values: int, alphabet: int | None = None) -> CompositionalGame:
    """The game with ``n_values`` values per attribute and ``alphabet`` symbols (default ``n_values``)."""
    return CompositionalGame(n_values, n_values if alphabet is None else alphabet)


# -- measures (exact, float64) -----------------------------------------------------------------------------------

def _check_sender(game: CompositionalGame, sender: Any) -> np.ndarray:
    p = np.asarray(sender, dtype=np.float64)
    if p.shape != (game.n_states, game.n_messages):
        raise GameError(f"sender: expected shape {(game.n_states, game.n_messages)}, got {p.shape}")
    if not (np.all(p >= -1e-6) and np.allclose(p.sum(axis=1), 1.0, atol=1e-5)):
        raise GameError("sender: expected rows that are probability distributions")
    p = np.clip(p, 0.0, None)
    return p / p.sum(axis=1, keepdims=True)


def _check_receiver(game: CompositionalGame, receiver: Any) -> np.ndarray:
    q = np.asarray(receiver, dtype=np.float64)
    if q.shape != (2, game.n_messages, game.n_values):
        raise GameError(f"receiver: expected shape {(2, game.n_messages, game.n_values)}, got {q.shape}")
    if not (np.all(q >= -1e-6) and np.allclose(q.sum(axis=2), 1.0, atol=1e-5)):
        raise GameError("receiver: expected rows that are probability distributions")
    q = np.clip(q, 0.0, None)
    return q / q.sum(axis=2, keepdims=True)


def expected_success(game: CompositionalGame, sender: Any, receiver: Any) -> float:
    """The expected reward ``(1/S) sum_s sum_m sender[s, m] (receiver[0, m, a_0(s)] + receiver[1, m, a_1(s)]) / 2``:
    ``sender: [S, M]``, ``receiver: [2, M, V]``."""
    p, q = _check_sender(game, sender), _check_receiver(game, receiver)
    a = game.attributes()
    right = 0.5 * (q[0][:, a[:, 0]] + q[1][:, a[:, 1]])  # [M, S]: expected reward of message m in state s
    return float(np.einsum("sm,ms->", p, right) / game.n_states)


def _entropy(p: np.ndarray, axis: int = -1) -> np.ndarray:
    return -np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0), axis=axis)


def mutual_information(game: CompositionalGame, sender: Any) -> float:
    """``I(S; M) = H(M) - H(M | S)`` in nats under the uniform prior, exact from ``sender: [S, M]``."""
    p = _check_sender(game, sender)
    return float(max(_entropy(p.mean(axis=0)) - _entropy(p).mean(), 0.0))


def greedy_code(sender: Any) -> np.ndarray:
    """``int [S]``: the most probable message of every state (ties to the lowest index)."""
    return np.asarray(np.argmax(np.asarray(sender), axis=-1), dtype=np.int64)


def _pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.triu_indices(n, k=1)


def _ranks(d: np.ndarray, top: int) -> np.ndarray:
    """Average ranks (1-based, ties averaged) along the last axis of integer distances ``d`` in ``0..top``."""
    counts = np.stack([(d == v).sum(axis=-1) for v in range(top + 1)], axis=-1)  # [..., top + 1]
    below = np.cumsum(counts, axis=-1) - counts
    rank_of = below + (counts + 1) / 2.0
    return np.take_along_axis(rank_of, d, axis=-1)


def _spearman_rows(x_ranks: np.ndarray, y_ranks: np.ndarray) -> np.ndarray:
    """Pearson correlation of rank rows: ``x_ranks: [n]``, ``y_ranks: [..., n]`` -> ``[...]`` (0 where constant)."""
    x = x_ranks - x_ranks.mean()
    y = y_ranks - y_ranks.mean(axis=-1, keepdims=True)
    norm = math.sqrt(float(x @ x)) * np.sqrt(np.sum(y * y, axis=-1))
    return np.where(norm > 1e-12, (y @ x) / np.where(norm > 1e-12, norm, 1.0), 0.0)


def _meaning_ranks(game: CompositionalGame) -> np.ndarray:
    a = game.attributes()
    i, j = _pairs(game.n_states)
    return _ranks((a[i] != a[j]).sum(axis=1), 2)


def _message_distances(game: CompositionalGame, codes: np.ndarray) -> np.ndarray:
    """``codes: int [..., S]`` -> Hamming distances ``[..., n_pairs]`` between the messages of every pair."""
    c = game.symbols()[codes]  # [..., S, 2]
    i, j = _pairs(game.n_states)
    return (c[..., i, :] != c[..., j, :]).sum(axis=-1)


def _check_code(game: CompositionalGame, code: Any) -> np.ndarray:
    c = np.asarray(code)
    if c.shape != (game.n_states,) or not np.issubdtype(c.dtype, np.integer) or c.min() < 0 or \
            c.max() >= game.n_messages:
        raise GameError(f"code: expected {game.n_states} message indices in range({game.n_messages}), got {c!r}")
    return c.astype(np.int64)


def topographic_similarity(game: CompositionalGame, code: Any) -> float:
    """Spearman correlation between the Hamming distances of all pairs of states and of their messages.

    ``code: int [S]`` (e.g. :func:`greedy_code`). 0 where the message distances are all equal (a constant code:
    the correlation is undefined and there is no structure to find). Perfectly compositional codes score 1.
    """
    c = _check_code(game, code)
    return float(_spearman_rows(_meaning_ranks(game), _ranks(_message_distances(game, c), 2)))


class PermutationTest(NamedTuple):
    """``statistic``: the code's topographic similarity; ``null``: ``[n_permutations]`` the statistic of the code
    with its messages randomly reassigned to states; ``p_value``: ``(1 + #{null >= statistic}) / (1 +
    n_permutations)`` (one-sided: more compositional than chance)."""

    statistic: float
    null: np.ndarray
    p_value: float

    @property
    def null_mean(self) -> float:
        return float(self.null.mean())

    @property
    def null_std(self) -> float:
        return float(self.null.std(ddof=1)) if self.null.size > 1 else 0.0


def permutation_test(game: CompositionalGame, code: Any, *, n_permutations: int = 999,
                     seed: int | np.random.Generator = 0) -> PermutationTest:
    """Topographic similarity of ``code: int [S]`` against the same code with its messages permuted across states.

    The null keeps the code's messages (their multiset) and breaks only their assignment to states, so it asks
    whether *which state gets which message* carries structure beyond chance.
    """
    c = _check_code(game, code)
    n = _positive_int("n_permutations", n_permutations)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    meaning = _meaning_ranks(game)
    observed = float(_spearman_rows(meaning, _ranks(_message_distances(game, c), 2)))
    shuffled = np.stack([c[rng.permutation(game.n_states)] for _ in range(n)])
    null = _spearman_rows(meaning, _ranks(_message_distances(game, shuffled), 2))
    p_value = (1 + int(np.sum(null >= observed - 1e-12))) / (1 + n)
    return PermutationTest(observed, null, p_value)


def positional_disentanglement(game: CompositionalGame, sender: Any) -> float:
    """Positional disentanglement (Chaabouni et al. 2020), exact from ``sender: [S, M]`` (module docstring); 0 when
    both symbol positions are constant."""
    p = _check_sender(game, sender).reshape(game.n_states, game.alphabet, game.alphabet)
    a = game.attributes()
    scores = []
    for j in range(2):
        symbol = p.sum(axis=2 - j)  # [S, K]: the distribution of symbol j given the state
        h = float(_entropy(symbol.mean(axis=0)))
        if h < 1e-9:
            continue
        info = []
        for k in range(2):
            joint = np.zeros((game.n_values, game.alphabet))
            np.add.at(joint, a[:, k], symbol / game.n_states)
            marginal_a, marginal_c = joint.sum(axis=1), joint.sum(axis=0)
            info.append(float(_entropy(marginal_a) + _entropy(marginal_c) - _entropy(joint.ravel())))
        scores.append((max(info) - min(info)) / h)
    return float(np.mean(scores)) if scores else 0.0


def code_measures(game: CompositionalGame, sender: Any, receiver: Any) -> dict[str, float]:
    """Every measure of one profile: ``success``, ``mutual_information``, ``topographic_similarity`` (of the greedy
    code) and ``positional_disentanglement``."""
    return {"success": expected_success(game, sender, receiver),
            "mutual_information": mutual_information(game, sender),
            "topographic_similarity": topographic_similarity(game, greedy_code(sender)),
            "positional_disentanglement": positional_disentanglement(game, sender)}


# -- learners ----------------------------------------------------------------------------------------------------

class SignalingLearner(NamedTuple):
    """A sender-receiver learner (module docstring): pure functions and a recipe (hashable, static under jit).

    Attributes:
      init: ``init(game, key) -> state``.
      update: ``update(game, state, key) -> state`` (one minibatch).
      policies: ``policies(game, state) -> (sender [S, M], receiver [2, M, V])``.
      name, hyperparameters: recorded with results.
    """

    init: Callable[[CompositionalGame, jax.Array], Any]
    update: Callable[[CompositionalGame, Any, jax.Array], Any]
    policies: Callable[[CompositionalGame, Any], tuple[jax.Array, jax.Array]]
    name: str
    hyperparameters: tuple[tuple[str, Any], ...] = ()


def _sender_shape(game: CompositionalGame, sender: str) -> tuple[int, ...]:
    return (game.n_states, game.n_messages) if sender == "joint" else (2, game.n_states, game.alphabet)


def _sender_rows(game: CompositionalGame, probabilities: jax.Array, sender: str) -> jax.Array:
    """Per-symbol (``[2, S, K]``) or joint (``[S, M]``) probabilities -> the sender policy ``[S, M]``."""
    if sender == "joint":
        return probabilities
    return (probabilities[0][:, :, None] * probabilities[1][:, None, :]).reshape(game.n_states, game.n_messages)


def _inverse_cdf(p: jax.Array, u: jax.Array) -> jax.Array:
    """Indices drawn from rows ``p: [..., W]`` with uniforms ``u: [...]`` (``#{w : cdf_w <= u}``, clipped)."""
    cdf = jnp.cumsum(p, axis=-1)
    return jnp.minimum(jnp.sum(cdf <= u[..., None] * cdf[..., -1:], axis=-1), p.shape[-1] - 1).astype(jnp.int32)


def _play(game: CompositionalGame, sender_p: jax.Array, receiver_p: jax.Array, sender: str, batch: int,
          key: jax.Array) -> tuple[jax.Array, ...]:
    """One minibatch of games: states ``[B]``, sender choices (``[B]`` messages or ``[2, B]`` symbols), messages
    ``[B]``, guesses ``[2, B]``, per-attribute rewards ``[2, B]`` (1 if right)."""
    # one uniform draw per choice, sampled by inverse CDF (a single random-bits call compiles faster than several)
    u = jax.random.uniform(key, (5, batch))
    s = jnp.minimum((u[0] * game.n_states).astype(jnp.int32), game.n_states - 1)
    if sender == "joint":
        choice = _inverse_cdf(sender_p[s], u[1])
        message = choice
    else:
        choice = _inverse_cdf(sender_p[:, s], u[1:3])  # [2, B]
        message = choice[0] * game.alphabet + choice[1]
    guesses = _inverse_cdf(receiver_p[:, message], u[3:5])  # [2, B]
    truth = jnp.stack([s // game.n_values, s % game.n_values])
    return s, choice, message, guesses, (guesses == truth).astype(jnp.float32)


def _ascend(logits: jax.Array, rows: jax.Array, choices: jax.Array, advantages: jax.Array, entropy: float,
            scale: float) -> jax.Array:
    """One REINFORCE step on a softmax table ``logits: [R, W]`` from ``B`` samples (``rows``, ``choices``,
    ``advantages``: ``[B]``): ``logits[r] += scale * sum_b [r_b = r] (adv_b (e_{choice_b} - p_r) + entropy *
    dH(p_r)/dlogits)``, the gradient of ``sum_b adv_b log p_{r_b}(choice_b) + entropy * H(p_{r_b})`` (written out:
    written out, it compiles much faster than ``jax.grad`` through the gathers)."""
    log_p = jax.nn.log_softmax(logits[rows], axis=-1)  # [B, W]
    p = jnp.exp(log_p)
    h = -jnp.sum(p * log_p, axis=-1, keepdims=True)
    step = advantages[:, None] * (jax.nn.one_hot(choices, logits.shape[-1]) - p) - entropy * p * (log_p + h)
    # the sum over samples as a product with one-hot rows: a dense product compiles faster than a scatter under vmap
    return logits + scale * (jax.nn.one_hot(rows, logits.shape[0]).T @ step)


@state_dataclass
class ReinforceState:
    """``sender``: logits ``[S, M]`` (joint) or ``[2, S, K]`` (factored); ``receiver``: logits ``[2, M, V]``;
    ``baseline``: ``[3]`` running averages of the team reward (sender) and of each attribute's reward (receiver
    heads); ``t``: minibatches seen."""

    sender: jax.Array
    receiver: jax.Array
    baseline: jax.Array
    t: jax.Array


@functools.lru_cache(maxsize=64)
def reinforce(*, sender: str = "factored", sender_rate: float = 1.0, receiver_rate: float = 1.0,
              entropy: float = 0.0, baseline_rate: float = 0.05, batch: int = 32, init_scale: float = 0.0
              ) -> SignalingLearner:
    """REINFORCE sender and receiver on softmax tables, plain gradient ascent on the minibatch mean.

    The sender's score is weighted by the team reward minus its baseline; receiver head ``k``'s by attribute
    ``k``'s reward minus its baseline (the other attribute's reward does not depend on head ``k``'s guess given the
    message, so this is the same expected gradient with less variance). ``entropy >= 0`` adds that multiple of the
    policies' mean entropy to the objective; ``init_scale``: the standard deviation of the initial logits (0:
    uniform policies).
    """
    if sender not in SENDERS:
        raise GameError(f"sender: expected one of {', '.join(SENDERS)}, got {sender!r}")
    for name, value in (("sender_rate", sender_rate), ("receiver_rate", receiver_rate)):
        _number(name, value, 0.0, low_open=True)
    _number("entropy", entropy, 0.0)
    if not 0.0 < _number("baseline_rate", baseline_rate, 0.0, low_open=True) <= 1.0:
        raise GameError(f"baseline_rate: expected a number in (0, 1], got {baseline_rate!r}")
    _positive_int("batch", batch)
    _number("init_scale", init_scale, 0.0)

    def init(game: CompositionalGame, key: jax.Array) -> ReinforceState:
        k_s, k_r = jax.random.split(key)
        return ReinforceState(init_scale * jax.random.normal(k_s, _sender_shape(game, sender)),
                              init_scale * jax.random.normal(k_r, (2, game.n_messages, game.n_values)),
                              jnp.zeros(3, jnp.float32), jnp.zeros((), jnp.int32))

    def update(game: CompositionalGame, state: ReinforceState, key: jax.Array) -> ReinforceState:
        sender_p, receiver_p = policies(game, state, rows=False)
        s, choice, message, guesses, right = _play(game, sender_p, receiver_p, sender, batch, key)
        team = right.mean(axis=0)  # [B]: the shared reward, 1/2 per attribute
        advantage = team - state.baseline[0]
        if sender == "joint":
            new_sender = _ascend(state.sender, s, choice, advantage, entropy, sender_rate / batch)
        else:
            new_sender = jnp.stack([_ascend(state.sender[j], s, choice[j], advantage, entropy, sender_rate / batch)
                                    for j in range(2)])
        new_receiver = jnp.stack([_ascend(state.receiver[k], message, guesses[k], right[k] - state.baseline[1 + k],
                                          entropy, receiver_rate / batch) for k in range(2)])
        observed = jnp.concatenate([team.mean()[None], right.mean(axis=1)])
        return ReinforceState(new_sender, new_receiver, state.baseline + baseline_rate * (observed - state.baseline),
                              state.t + 1)

    def policies(game: CompositionalGame, state: ReinforceState, rows: bool = True
                 ) -> tuple[jax.Array, jax.Array]:
        sender_p = jax.nn.softmax(state.sender, axis=-1)
        return (_sender_rows(game, sender_p, sender) if rows else sender_p), jax.nn.softmax(state.receiver, axis=-1)

    return SignalingLearner(init, update, policies, f"reinforce-{sender}",
                            (("sender", sender), ("sender_rate", sender_rate), ("receiver_rate", receiver_rate),
                             ("entropy", entropy), ("baseline_rate", baseline_rate), ("batch", batch),
                             ("init_scale", init_scale)))


@state_dataclass
class UrnState:
    """Roth-Erev urns: ``sender``: weights ``[S, M]`` (joint) or ``[2, S, K]`` (factored); ``receiver``: weights
    ``[2, M, V]``; ``t``: minibatches seen."""

    sender: jax.Array
    receiver: jax.Array
    t: jax.Array


@functools.lru_cache(maxsize=64)
def roth_erev(*, sender: str = "joint", initial: float = 1.0, batch: int = 1) -> SignalingLearner:
    """Roth-Erev reinforcement: every urn starts with ``initial`` balls per choice; after each game the sender's
    chosen message (or each chosen symbol) gains the team reward, receiver head ``k``'s chosen guess gains attribute
    ``k``'s reward (1 if right). Choice probabilities are the weights normalised."""
    if sender not in SENDERS:
        raise GameError(f"sender: expected one of {', '.join(SENDERS)}, got {sender!r}")
    _number("initial", initial, 0.0, low_open=True)
    _positive_int("batch", batch)

    def init(game: CompositionalGame, key: jax.Array) -> UrnState:
        del key
        return UrnState(jnp.full(_sender_shape(game, sender), initial, jnp.float32),
                        jnp.full((2, game.n_messages, game.n_values), initial, jnp.float32), jnp.zeros((), jnp.int32))

    def update(game: CompositionalGame, state: UrnState, key: jax.Array) -> UrnState:
        sender_p = state.sender / state.sender.sum(axis=-1, keepdims=True)
        receiver_p = state.receiver / state.receiver.sum(axis=-1, keepdims=True)
        s, choice, message, guesses, right = _play(game, sender_p, receiver_p, sender, batch, key)
        team = right.mean(axis=0)
        if sender == "joint":
            new_sender = state.sender.at[s, choice].add(team)
        else:
            new_sender = state.sender.at[jnp.arange(2)[:, None], s[None, :], choice].add(team[None, :])
        new_receiver = state.receiver.at[jnp.arange(2)[:, None], message[None, :], guesses].add(right)
        return UrnState(new_sender, new_receiver, state.t + 1)

    def policies(game: CompositionalGame, state: UrnState) -> tuple[jax.Array, jax.Array]:
        sender_p = state.sender / state.sender.sum(axis=-1, keepdims=True)
        return _sender_rows(game, sender_p, sender), state.receiver / state.receiver.sum(axis=-1, keepdims=True)

    return SignalingLearner(init, update, policies, f"roth-erev-{sender}",
                            (("sender", sender), ("initial", initial), ("batch", batch)))


# -- training ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class EmergentRun:
    """A learner's run over seeds, its policies recorded at checkpoints.

    Attributes:
      game, learner, hyperparameters: what ran.
      steps: ``int64 [C + 1]`` minibatches done at each checkpoint (the first is 0: the initial policies).
      sender: ``[n_seeds, C + 1, S, M]``; receiver: ``[n_seeds, C + 1, 2, M, V]`` (float64, rows renormalised).
      seconds: wall time, compilation included.
    """

    game: CompositionalGame
    learner: str
    hyperparameters: tuple[tuple[str, Any], ...]
    steps: np.ndarray
    sender: np.ndarray
    receiver: np.ndarray
    seconds: float

    @property
    def seeds(self) -> int:
        return int(self.sender.shape[0])

    def measures(self) -> dict[str, np.ndarray]:
        """Every :func:`code_measures` entry as ``[n_seeds, C + 1]``."""
        table = [[code_measures(self.game, self.sender[k, c], self.receiver[k, c])
                  for c in range(self.steps.size)] for k in range(self.seeds)]
        return {name: np.array([[row[name] for row in seed] for seed in table]) for name in table[0][0]}


# XLA's CPU backend at optimisation level 2 instead of the default 3: compiles in about half the time (about 2 s
# instead of 4-5 s per learner recipe, measured on 2 cores) and ran as fast on these small tables.
@functools.partial(jax.jit, static_argnames=("game", "learner", "seeds", "checkpoints", "chunk"),
                   compiler_options={"xla_backend_optimization_level": 2})
def _train(game: CompositionalGame, learner: SignalingLearner, key: jax.Array, seeds: int, checkpoints: int,
           chunk: int) -> tuple[jax.Array, jax.Array]:
    def one_seed(k: jax.Array) -> tuple[jax.Array, jax.Array]:
        k_init, k_run = jax.random.split(jax.random.fold_in(key, k))
        state = learner.init(game, k_init)

        def segment(state: Any, k_segment: jax.Array) -> tuple[Any, tuple[jax.Array, jax.Array]]:
            def one_step(state: Any, k_step: jax.Array) -> tuple[Any, None]:
                return learner.update(game, state, k_step), None

            state, _ = jax.lax.scan(one_step, state, jax.random.split(k_segment, chunk))
            return state, learner.policies(game, state)

        _, (senders, receivers) = jax.lax.scan(segment, state, jax.random.split(k_run, checkpoints))
        first = learner.policies(game, state)
        return (jnp.concatenate([first[0][None], senders]), jnp.concatenate([first[1][None], receivers]))

    return jax.vmap(one_seed)(jnp.arange(seeds))


def train(game: CompositionalGame, learner: SignalingLearner, *, steps: int, seeds: int = 1,
          key: int | jax.Array = 0, checkpoints: int = 10) -> EmergentRun:
    """Run ``seeds`` independent copies of ``learner`` for ``steps`` minibatches each (a multiple of
    ``checkpoints``), recording the policies at ``checkpoints`` evenly spaced points (and at the start)."""
    if not isinstance(game, CompositionalGame):
        raise GameError(f"game: expected a CompositionalGame, got {type(game).__name__}")
    if not isinstance(learner, SignalingLearner):
        raise GameError(f"learner: expected a SignalingLearner (reinforce or roth_erev), got {type(learner).__name__}")
    steps, seeds, checkpoints = (_positive_int("steps", steps), _positive_int("seeds", seeds),
                                 _positive_int("checkpoints", checkpoints))
    if steps % checkpoints:
        raise GameError(f"steps: expected a multiple of checkpoints = {checkpoints}, got {steps}")
    if isinstance(key, int | np.integer) and not isinstance(key, bool):
        key = jax.random.key(int(key))
    start = time.perf_counter()
    senders, receivers = jax.block_until_ready(_train(game, learner, key, seeds, checkpoints, steps // checkpoints))
    sender = np.asarray(senders, dtype=np.float64)
    receiver = np.asarray(receivers, dtype=np.float64)
    sender /= sender.sum(axis=-1, keepdims=True)  # float32 rows sum to 1 within ~1e-7
    receiver /= receiver.sum(axis=-1, keepdims=True)
    return EmergentRun(game, learner.name, learner.hyperparameters,
                       np.arange(checkpoints + 1, dtype=np.int64) * (steps // checkpoints), sender, receiver,
                       time.perf_counter() - start)


# -- hand-built codes (test beds for the measures) -----------------------------------------------------------------

def compositional_code(game: CompositionalGame) -> np.ndarray:
    """``int [S]``: the code that sends symbol ``a_k`` in position ``k`` (``m = a_0 K + a_1``)."""
    a = game.attributes()
    return a[:, 0] * game.alphabet + a[:, 1]


def code_sender(game: CompositionalGame, code: Any) -> np.ndarray:
    """``[S, M]``: the deterministic sender of ``code: int [S]``."""
    c = _check_code(game, code)
    return np.eye(game.n_messages)[c]


def decoding_receiver(game: CompositionalGame, code: Any) -> np.ndarray:
    """``[2, M, V]``: the receiver that reads ``code`` back: after a message sent in some states it guesses each
    attribute's most frequent value among those states; after an unused message, uniformly."""
    c = _check_code(game, code)
    a = game.attributes()
    receiver = np.full((2, game.n_messages, game.n_values), 1.0 / game.n_values)
    for m in np.unique(c):
        for k in range(2):
            counts = np.bincount(a[c == m, k], minlength=game.n_values)
            receiver[k, m] = np.eye(game.n_values)[np.argmax(counts)]
    return receiver


__all__ = ["SENDERS", "CompositionalGame", "EmergentRun", "PermutationTest", "ReinforceState", "SignalingLearner",
           "UrnState", "code_measures", "code_sender", "compositional_code", "compositional_game",
           "decoding_receiver", "expected_success", "greedy_code", "mutual_information", "permutation_test",
           "positional_disentanglement", "reinforce", "roth_erev", "topographic_similarity", "train"]
