"""Finite stochastic (Markov) games (Shapley 1953): a normal-form stage game in every state, and a move to a next state.

Conventions (written once, here; the stochastic solvers, metrics and learners follow them):

- **States** are ``0 .. n_states - 1``. In state ``s`` player ``i`` has the actions ``0 .. n_actions[s, i] - 1``
  (one action where the player does not move: turn-based games fit). Arrays over joint actions are padded to
  ``max_actions[i] = n_actions[:, i].max()``; an entry outside a state's action sets is *padding*: reward 0, a
  self-loop, never reached by a valid policy.
- **Rewards are utilities to maximise**: ``rewards: [n_players, n_states, *max_actions]``, player ``i``'s reward
  when the joint action ``a`` is played in state ``s``.
- **Transitions** are stored with a fixed number ``k`` of successors per (state, joint action):
  ``successors: int64 [n_states, *max_actions, k]`` and ``probabilities: float64 [n_states, *max_actions, k]``
  (each row sums to 1; unused slots have probability 0 and successor 0). Games are usually sparse (soccer: at most
  a few next states), and a dense ``[n_states, *max_actions, n_states]`` tensor of 1,000 states with 5 x 5 actions
  would take 200 MB. :meth:`StochasticGame.from_dense` takes the dense form; :meth:`dense_transitions` gives it back.
- **Values** are discounted sums, not normalised: ``V_i(s) = E[sum_t discount^t r_i(s_t, a_t) | s_0 = s]`` with
  ``discount`` in ``[0, 1)``. ``discount == 1`` is allowed for *stopping games* only: some states are ``terminal``
  (absorbing, reward 0), and a value exists for the profiles that reach one with probability 1 (checked where a
  value is computed, see :mod:`equilibria.metrics.stochastic`).
- **A stationary policy** of player ``i`` is ``[n_states, max_actions[i]]``, each row a probability distribution
  over that state's actions (zeros on padding); a **profile** is a tuple with one policy per player. A terminal
  state's row is the first action (nothing is played there).
- ``initial: [n_states]`` is the distribution of the first state (state 0 by default); results report each
  player's value from it as well as per state.
- **Validation** happens in the constructor: shapes, finiteness, probabilities in ``[0, 1]`` summing to 1, action
  counts at least 1; problems raise :class:`equilibria.GameError` naming the argument, in one line.

A ``StochasticGame`` is immutable; its arrays are read-only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from equilibria.core.errors import GameError
from equilibria.games.normal_form import NormalFormGame

StationaryProfile = tuple[np.ndarray, ...]

# Probabilities this close to a row sum of 1 (or to 0 below) are accepted (files written with 6 decimals, say).
PROBABILITY_TOL = 1e-9


def _real_array(values: Any, argument: str, dtype: Any = float) -> np.ndarray:
    try:
        array = np.array(values, dtype=dtype)
    except (TypeError, ValueError, OverflowError) as exc:
        raise GameError(f"{argument}: expected a rectangular array of numbers ({exc})") from None
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        raise GameError(f"{argument}: entries must be finite, found {array[index]} at index {index}")
    return array


def _read_only(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class StochasticGame:
    """A finite stochastic game (module docstring for every convention).

    Attributes:
      rewards: ``[n_players, n_states, *max_actions]`` float64.
      successors: ``[n_states, *max_actions, k]`` int64, the possible next states.
      probabilities: ``[n_states, *max_actions, k]`` float64, their probabilities (rows sum to 1).
      discount: in ``[0, 1)``, or 1 for a stopping game (needs a terminal state).
      n_actions: ``[n_states, n_players]`` int64, each player's action count per state (default: all of
        ``max_actions`` everywhere).
      terminal: ``[n_states]`` bool, absorbing states with reward 0 (default: none).
      initial: ``[n_states]`` float64, the first state's distribution (default: state 0).
      name, state_names, action_names: labels for printing (``action_names[s][i][a]``; defaults ``"s3"``,
        ``"a1"``).
    """

    rewards: np.ndarray
    successors: np.ndarray
    probabilities: np.ndarray
    discount: float
    n_actions: np.ndarray = None  # type: ignore[assignment]
    terminal: np.ndarray = None  # type: ignore[assignment]
    initial: np.ndarray = None  # type: ignore[assignment]
    name: str = ""
    state_names: tuple[str, ...] = field(default=())
    action_names: tuple[tuple[tuple[str, ...], ...], ...] = field(default=())

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: the validated, read-only arrays replace the arguments
        rewards = _real_array(self.rewards, "StochasticGame.rewards")
        if rewards.ndim < 3:
            raise GameError(f"StochasticGame.rewards: expected [n_players, n_states, *n_actions], got shape "
                            f"{rewards.shape}")
        n_players, n_states, max_actions = rewards.shape[0], rewards.shape[1], rewards.shape[2:]
        if len(max_actions) != n_players:
            raise GameError(f"StochasticGame.rewards: {n_players} players need {n_players} action axes after the "
                            f"state axis, got {len(max_actions)} (shape {rewards.shape})")
        if n_states < 1 or min(max_actions) < 1:
            raise GameError(f"StochasticGame.rewards: needs at least one state and one action per player, got shape "
                            f"{rewards.shape}")
        successors = _real_array(self.successors, "StochasticGame.successors", dtype=np.int64)
        probabilities = _real_array(self.probabilities, "StochasticGame.probabilities")
        expected = (n_states, *max_actions)
        for argument, array in (("successors", successors), ("probabilities", probabilities)):
            if array.ndim != len(expected) + 1 or array.shape[:-1] != expected or array.shape[-1] < 1:
                raise GameError(f"StochasticGame.{argument}: expected shape [{', '.join(map(str, expected))}, k], "
                                f"got {array.shape}")
        if successors.shape != probabilities.shape:
            raise GameError(f"StochasticGame: successors {successors.shape} and probabilities "
                            f"{probabilities.shape} must have the same shape")
        if successors.min() < 0 or successors.max() >= n_states:
            bad = tuple(int(i) for i in np.argwhere((successors < 0) | (successors >= n_states))[0])
            raise GameError(f"StochasticGame.successors: states are 0..{n_states - 1}, found {successors[bad]} at "
                            f"index {bad}")
        _check_distributions(probabilities, "StochasticGame.probabilities", "a (state, joint action)")
        discount = self.discount
        if isinstance(discount, bool) or not isinstance(discount, int | float | np.integer | np.floating) or not (
                0.0 <= float(discount) <= 1.0):
            raise GameError(f"StochasticGame.discount: expected a number in [0, 1), or 1 for a stopping game, got "
                            f"{discount!r}")
        n_actions = self._checked_action_counts(n_states, max_actions)
        terminal = self._checked_terminal(n_states)
        if float(discount) == 1.0 and not terminal.any():
            raise GameError("StochasticGame.discount: 1 (undiscounted) needs at least one terminal state (a stopping "
                            "game); give terminal=[...] or a discount below 1")
        initial = _checked_initial(self.initial, n_states)
        set_(self, "rewards", _read_only(rewards))
        set_(self, "successors", _read_only(successors))
        set_(self, "probabilities", _read_only(probabilities))
        set_(self, "discount", float(discount))
        set_(self, "n_actions", _read_only(n_actions))
        set_(self, "terminal", _read_only(terminal))
        set_(self, "initial", _read_only(initial))
        self._check_terminal_states()
        self._check_labels()

    # -- validation pieces -----------------------------------------------------------------------------------------

    def _checked_action_counts(self, n_states: int, max_actions: tuple[int, ...]) -> np.ndarray:
        if self.n_actions is None:
            return np.tile(np.array(max_actions, dtype=np.int64), (n_states, 1))
        counts = _real_array(self.n_actions, "StochasticGame.n_actions", dtype=np.int64)
        if counts.shape != (n_states, len(max_actions)):
            raise GameError(f"StochasticGame.n_actions: expected shape ({n_states}, {len(max_actions)}) "
                            f"[n_states, n_players], got {counts.shape}")
        if counts.min() < 1 or np.any(counts > np.array(max_actions)):
            raise GameError(f"StochasticGame.n_actions: every count must be in 1..max_actions = {max_actions}")
        if np.any(counts.max(axis=0) != np.array(max_actions)):
            raise GameError(f"StochasticGame.n_actions: the largest count per player, {tuple(counts.max(axis=0))}, "
                            f"must equal the action axes of rewards, {max_actions}")
        return counts

    def _checked_terminal(self, n_states: int) -> np.ndarray:
        if self.terminal is None:
            return np.zeros(n_states, dtype=bool)
        terminal = np.array(self.terminal)
        if terminal.dtype != bool and terminal.shape == (n_states,) and np.isin(terminal, (0, 1)).all():
            terminal = terminal.astype(bool)
        if terminal.shape != (n_states,) or terminal.dtype != bool:
            raise GameError(f"StochasticGame.terminal: expected {n_states} booleans, got {self.terminal!r}")
        return terminal

    def _check_terminal_states(self) -> None:
        for s in np.flatnonzero(self.terminal):
            if np.any(self.rewards[:, s] != 0):
                raise GameError(f"StochasticGame.rewards: terminal state {s} must have reward 0 for every player "
                                "(put a final payoff on the moves into it)")
            stays = (self.successors[s] == s) | (self.probabilities[s] == 0)
            if not stays.all():
                raise GameError(f"StochasticGame.successors: terminal state {s} must be absorbing (lead only to "
                                "itself)")

    def _check_labels(self) -> None:
        if self.state_names and len(self.state_names) != self.n_states:
            raise GameError(f"StochasticGame.state_names: expected {self.n_states} names, got "
                            f"{len(self.state_names)}")
        if self.action_names and [[len(names) for names in per_state] for per_state in self.action_names] != \
                self.n_actions.tolist():
            raise GameError("StochasticGame.action_names: expected [state][player][action] names matching n_actions")

    # -- construction ------------------------------------------------------------------------------------------

    @classmethod
    def from_dense(cls, rewards: Any, transitions: Any, discount: float, **options: Any) -> StochasticGame:
        """A game from dense ``transitions: [n_states, *max_actions, n_states]`` (``P(next | state, joint
        action)``); ``options`` are the other constructor arguments (``n_actions``, ``terminal``, ``initial``,
        names). Rows of padding may be all zeros (they become self-loops)."""
        dense = _real_array(transitions, "StochasticGame.transitions")
        rewards_array = _real_array(rewards, "StochasticGame.rewards")
        if rewards_array.ndim < 3 or dense.shape != (*rewards_array.shape[1:], rewards_array.shape[1]):
            raise GameError(f"StochasticGame.transitions: expected shape [n_states, *n_actions, n_states] = "
                            f"{(*rewards_array.shape[1:], rewards_array.shape[1])}, got {dense.shape}")
        n_states = rewards_array.shape[1]
        flat = dense.reshape(-1, n_states)
        # Padding rows (joint actions a state does not have) may be all zeros; an available one may not (the
        # constructor says so).
        empty = ~np.any(flat != 0, axis=1) & _padding_rows(options.get("n_actions"), rewards_array.shape[1:])
        if np.any(empty):  # padding rows: a self-loop on the row's own state
            flat = flat.copy()
            rows = np.flatnonzero(empty)
            flat[rows, rows // (flat.shape[0] // n_states)] = 1.0
        k = max(1, int(np.count_nonzero(flat, axis=1).max()))
        order = np.argsort(flat == 0, axis=1, kind="stable")[:, :k]  # the non-zero columns first, in order
        probabilities = np.take_along_axis(flat, order, axis=1)
        successors = np.where(probabilities != 0, order, 0)
        shape = (*dense.shape[:-1], k)
        return cls(rewards_array, successors.reshape(shape), probabilities.reshape(shape), discount, **options)

    # -- sizes and views ---------------------------------------------------------------------------------------

    @property
    def n_players(self) -> int:
        return int(self.rewards.shape[0])

    @property
    def n_states(self) -> int:
        return int(self.rewards.shape[1])

    @property
    def max_actions(self) -> tuple[int, ...]:
        return tuple(int(k) for k in self.rewards.shape[2:])

    def dense_transitions(self) -> np.ndarray:
        """``[n_states, *max_actions, n_states]``: ``P(next | state, joint action)`` (memory: mind large games)."""
        dense = np.zeros((*self.successors.shape[:-1], self.n_states))
        np.add.at(dense.reshape(-1, self.n_states),
                  (np.repeat(np.arange(dense.size // self.n_states), self.successors.shape[-1]),
                   self.successors.reshape(-1)), self.probabilities.reshape(-1))
        return dense

    def is_zero_sum(self, tol: float = 0.0) -> bool:
        """Two players whose rewards add up to one constant (the same in every state and cell, padding aside)."""
        if self.n_players != 2:
            return False
        total = (self.rewards[0] + self.rewards[1])[self.available_mask()]
        scale = max(1.0, float(np.abs(self.rewards).max()))
        return bool(np.ptp(total) <= tol * scale) if total.size else True

    def available_mask(self) -> np.ndarray:
        """``[n_states, *max_actions]`` bool: the joint actions available in each state (not padding)."""
        mask = np.ones((self.n_states, *self.max_actions), dtype=bool)
        for i, width in enumerate(self.max_actions):
            shape = [1] * (self.n_players + 1)
            shape[0], shape[i + 1] = self.n_states, width
            mask &= (np.arange(width)[None, :] < self.n_actions[:, i][:, None]).reshape(shape)
        return mask

    def continuation(self, values: np.ndarray) -> np.ndarray:
        """``Q: [n_players, n_states, *max_actions]``, ``Q_i(s, a) = r_i(s, a) + discount * E[V_i(s') | s, a]``.

        ``values: [n_players, n_states]`` (a continuation value per player and state).
        """
        expected = np.einsum("...k,i...k->i...", self.probabilities, np.asarray(values)[:, self.successors])
        return self.rewards + self.discount * expected

    def stage_game(self, state: int, values: np.ndarray) -> NormalFormGame:
        """The normal-form game played in ``state`` when continuation values are ``values: [n_players,
        n_states]``: payoffs ``Q[:, state]`` on the state's own actions (Shapley's auxiliary game)."""
        q = self.continuation_at(state, values)
        return NormalFormGame(q)

    def continuation_at(self, state: int, values: np.ndarray) -> np.ndarray:
        """``Q[:, state]`` restricted to the state's actions: ``[n_players, *n_actions[state]]``."""
        index: Any = (slice(None), state, *(slice(0, int(k)) for k in self.n_actions[state]))
        rewards = self.rewards[index]
        successors = self.successors[index[1:]]
        probabilities = self.probabilities[index[1:]]
        expected = np.einsum("...k,i...k->i...", probabilities, np.asarray(values)[:, successors])
        return rewards + self.discount * expected

    # -- policies ----------------------------------------------------------------------------------------------

    def uniform_policy(self) -> StationaryProfile:
        """Every player uniform over its actions in every state."""
        return tuple(np.where(np.arange(width)[None, :] < self.n_actions[:, i][:, None],
                              1.0 / self.n_actions[:, i][:, None], 0.0)
                     for i, width in enumerate(self.max_actions))

    def check_policy(self, profile: Sequence[Any], caller: str, tol: float = PROBABILITY_TOL) -> StationaryProfile:
        """``profile`` validated (module docstring): one ``[n_states, max_actions[i]]`` array per player, rows
        distributions over the state's actions. Returns float64 copies; raises GameError naming ``caller``."""
        if len(profile) != self.n_players:
            raise GameError(f"{caller}: expected one policy per player ({self.n_players}), got {len(profile)}")
        checked = []
        for i, policy in enumerate(profile):
            array = _real_array(policy, f"{caller}: policy of player {i}")
            if array.shape != (self.n_states, self.max_actions[i]):
                raise GameError(f"{caller}: policy of player {i} must have shape ({self.n_states}, "
                                f"{self.max_actions[i]}) [n_states, max_actions], got {array.shape}")
            outside = np.arange(self.max_actions[i])[None, :] >= self.n_actions[:, i][:, None]
            if np.any(np.abs(array[outside]) > tol):
                raise GameError(f"{caller}: policy of player {i} puts probability on an action a state does not "
                                "have")
            _check_distributions(array, f"{caller}: policy of player {i}", "a state", tol)
            checked.append(np.where(outside, 0.0, np.clip(array, 0.0, None)))
        return tuple(checked)

    def state_label(self, state: int) -> str:
        return self.state_names[state] if self.state_names else f"s{state}"

    def action_label(self, state: int, player: int, action: int) -> str:
        return self.action_names[state][player][action] if self.action_names else f"a{action + 1}"

    def __repr__(self) -> str:
        kind = "zero-sum " if self.is_zero_sum(1e-12) else ""
        return (f"StochasticGame({self.name or 'unnamed'!r}: {kind}{self.n_players} players, {self.n_states} states, "
                f"actions up to {'x'.join(map(str, self.max_actions))}, discount {self.discount:g})")


def _check_distributions(array: np.ndarray, argument: str, row: str, tol: float = PROBABILITY_TOL) -> None:
    """Every row (last axis) of ``array`` a probability distribution within ``tol``."""
    if np.any(array < -tol) or np.any(array > 1 + tol):
        index = tuple(int(i) for i in np.argwhere((array < -tol) | (array > 1 + tol))[0])
        raise GameError(f"{argument}: probabilities must lie in [0, 1], found {array[index]} at index {index}")
    sums = array.sum(axis=-1)
    off = np.abs(sums - 1.0) > tol * max(1, array.shape[-1])
    if np.any(off):
        index = tuple(int(i) for i in np.argwhere(off)[0])
        raise GameError(f"{argument}: the probabilities of {row} must sum to 1, found {sums[index]:.12g} at index "
                        f"{index}")


def _padding_rows(n_actions: Any, shape: tuple[int, ...]) -> np.ndarray:
    """``[n_states * prod(max_actions)]`` bool: the joint actions outside each state's action sets (none when
    ``n_actions`` is None or malformed: the constructor then reports it)."""
    n_states, widths = shape[0], shape[1:]
    padding = np.zeros(n_states * int(np.prod(widths)), dtype=bool)
    try:
        counts = np.asarray(n_actions, dtype=np.int64)
    except (TypeError, ValueError):
        return padding
    if n_actions is None or counts.shape != (n_states, len(widths)):
        return padding
    mask = np.ones(shape, dtype=bool)
    for i, width in enumerate(widths):
        axis_shape = [1] * (len(widths) + 1)
        axis_shape[0], axis_shape[i + 1] = n_states, width
        mask &= (np.arange(width)[None, :] < counts[:, i][:, None]).reshape(axis_shape)
    return ~mask.reshape(-1)


def _checked_initial(initial: Any, n_states: int) -> np.ndarray:
    if initial is None:
        out = np.zeros(n_states)
        out[0] = 1.0
        return out
    array = _real_array(initial, "StochasticGame.initial")
    if array.shape != (n_states,):
        raise GameError(f"StochasticGame.initial: expected {n_states} probabilities, got shape {array.shape}")
    _check_distributions(array, "StochasticGame.initial", "the initial distribution")
    return array


__all__ = ["PROBABILITY_TOL", "StationaryProfile", "StochasticGame"]
