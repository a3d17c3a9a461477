"""The JSON format of stochastic games (documented in docs/formats.md, section "Stochastic games (JSON)").

One JSON object; ``type``, ``discount``, ``rewards`` and the transitions (dense or sparse) are required::

    {"type": "stochastic", "version": 1, "name": "big-match", "discount": 0.9,
     "n_actions": [[2, 2], [1, 1], [1, 1]],
     "rewards": [player][state][a_1]...[a_n],
     "transitions": [state][a_1]...[a_n][next_state]}

- ``rewards[i][s][a_1]...[a_n]``: player ``i``'s reward for the joint action in state ``s`` (utilities).
- Transitions, one of two forms: **dense** ``transitions[s][a_1]...[a_n][t]`` = ``P(t | s, a)``; or **sparse**
  ``successors[s][a_1]...[a_n]`` = a list of next states and ``probabilities[s][a_1]...[a_n]`` = their
  probabilities (lists of equal length per joint action; lengths may differ between joint actions).
- ``n_actions[s][i]`` (optional): player ``i``'s action count in state ``s`` (default: every state has all the
  actions of ``rewards``). Each state's block (``rewards[i][s]``, ``transitions[s]``, ...) is either padded to
  the largest counts (entries outside the state's actions are ignored) or has the state's own shape.
- Optional: ``terminal`` (one boolean per state; absorbing states with reward 0, needed for ``discount`` 1),
  ``initial`` (the first state's distribution, default state 0), ``name``, ``states`` (one name per state),
  ``actions`` (``[state][player][action]`` names), ``version`` (1).
- Numbers are JSON numbers or strings holding an exact number (``"1/3"``); NaN and infinities are errors.
  Probabilities must lie in [0, 1] and each (state, joint action) row sum to 1 within ``PROBABILITY_TOL`` times the
  row length. Other keys are errors (a misspelt key does not pass silently).

Every problem is a one-line :class:`~equilibria.core.errors.GameError` that names the source and the key (with its
index). The writer emits integral numbers as JSON integers and floats with ``repr``, so write-then-read gives the
same rewards and transition probabilities; it chooses the sparse form for games of more than 10 states whose rows
have few successors.
"""

from __future__ import annotations

import json
import math
import os
import re
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np

from equilibria.core.errors import GameError
from equilibria.core.files import write_atomic
from equilibria.games.io._gambit_text import NUMBER, exact_number, shown
from equilibria.games.io.nfg import read_text_file
from equilibria.games.stochastic import PROBABILITY_TOL, StochasticGame

__all__ = ["FORMAT_TYPE", "declares_stochastic", "dumps_stochastic_json", "loads_stochastic_json",
           "read_stochastic_json", "write_stochastic_json"]

FORMAT_TYPE = "stochastic"
FORMAT_VERSION = 1
_REQUIRED = ("type", "discount", "rewards")
_OPTIONAL = ("version", "name", "n_actions", "terminal", "initial", "states", "actions", "transitions",
             "successors", "probabilities")
_MAX_FLOAT_DIGITS = 309
_BOOLEAN_TOKEN = re.compile(r"(?<![\w\"])(?:true|false)(?![\w\"])")


class _NonFiniteError(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _NonFiniteError(f"numbers must be finite; JSON constant {name} is not allowed")


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_FLOAT_DIGITS:
        raise _NonFiniteError(f"the JSON integer {shown(text)} is not a finite number representable as a float")
    return int(text)


def _parse(text: str, source: str) -> Any:
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        raise GameError(f"{source}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    except _NonFiniteError as exc:
        raise GameError(f"{source}: {exc.args[0]}") from None
    except RecursionError:
        raise GameError(f"{source}: the JSON nests arrays deeper than this reader follows") from None


def declares_stochastic(text: str) -> bool:
    """Whether ``text`` is a JSON object whose ``"type"`` is ``"stochastic"`` (for :func:`load_game` to dispatch
    on); False for anything else, invalid JSON included (the other reader then reports it)."""
    try:
        document = json.loads(text, parse_constant=_reject_constant, parse_int=_parse_int)
    except (ValueError, RecursionError):
        return False
    return isinstance(document, dict) and document.get("type") == FORMAT_TYPE


def loads_stochastic_json(text: str, *, source: str = "<json text>") -> StochasticGame:
    """Parse the JSON text of a stochastic game; ``source`` names it in error messages."""
    if not isinstance(text, str):
        raise GameError(f"loads_stochastic_json(text): expected a str, got {type(text).__name__}")
    document = _parse(text, source)
    # JSON true/false inside a numeric array would pass NumPy's fast conversion as 1/0: when the text holds more
    # such tokens than the 'terminal' list accounts for, every array is read entry by entry (which names them).
    terminal = document.get("terminal") if isinstance(document, dict) else None
    expected = len(terminal) if isinstance(terminal, list) else 0
    careful = len(_BOOLEAN_TOKEN.findall(text)) > expected
    return _Reader(document, source, careful).game()


def read_stochastic_json(path_or_text: str | os.PathLike[str]) -> StochasticGame:
    """Read a stochastic game from a JSON file, or from JSON text (a string starting with ``{``)."""
    if isinstance(path_or_text, str) and path_or_text.lstrip().startswith("{"):
        return loads_stochastic_json(path_or_text)
    if not isinstance(path_or_text, str | os.PathLike):
        raise GameError(f"read_stochastic_json(path_or_text): expected a path or JSON text, got "
                        f"{type(path_or_text).__name__}")
    path = Path(path_or_text)
    return loads_stochastic_json(read_text_file(path, "read_stochastic_json"), source=str(path))


# -- reading --------------------------------------------------------------------------------------------------------
def _short(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (RecursionError, TypeError, ValueError):
        return type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


class _Reader:
    """One document to a game; every error names ``source`` and the key."""

    def __init__(self, document: Any, source: str, careful: bool) -> None:
        self.doc = document
        self.source = source
        self.careful = careful

    def fail(self, message: str) -> GameError:
        return GameError(f"{self.source}: {message}")

    # numbers ----------------------------------------------------------------------------------------------------
    def number(self, value: Any, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self.fail(f"{where} must be a number, got {_short(value)}")
        if isinstance(value, str):
            try:
                result = float(exact_number(value.strip()))
            except (ZeroDivisionError, ValueError, OverflowError) as exc:
                reason = str(exc) if NUMBER.fullmatch(value.strip()) and isinstance(exc, ValueError) else \
                    "is not a number (expected e.g. 2, -0.5, \"1/3\")"
                raise self.fail(f"{where} = {_short(value)} {reason}") from None
        else:
            try:
                result = float(value)
            except OverflowError:
                result = math.inf
        if not math.isfinite(result):
            raise self.fail(f"{where} = {_short(value)} is not a finite number representable as a float")
        return result

    def array(self, value: Any, where: str, shapes: list[tuple[int, ...]]) -> np.ndarray:
        """``value`` as a float array of one of ``shapes`` (checked; a one-line error names the first fault)."""
        try:
            fast = None if self.careful else np.array(value)
        except (ValueError, OverflowError):  # ragged, or an integer beyond float64
            fast = None
        if fast is not None and fast.dtype.kind in "iuf" and fast.shape in shapes:
            out = fast.astype(float)
            if np.all(np.isfinite(out)):
                return out
        shape = shapes[0]
        for candidate in shapes:  # the shape the first entries point at, for the slow walk's messages
            if isinstance(value, list) and len(value) == candidate[0]:
                shape = candidate
                break
        out = np.empty(shape)
        self._fill(value, shape, out, (), where)
        return out

    def _fill(self, node: Any, shape: tuple[int, ...], out: np.ndarray, index: tuple[int, ...], where: str) -> None:
        here = where + "".join(f"[{i}]" for i in index)
        depth = len(index)
        if depth == len(shape):
            out[index] = self.number(node, here)
            return
        if not isinstance(node, list) or len(node) != shape[depth]:
            got = f"{len(node)} entries" if isinstance(node, list) else _short(node)
            raise self.fail(f"{here} must be a list of {shape[depth]} entries (expected shape "
                            f"{list(shape[depth:])} here), got {got}")
        for k, child in enumerate(node):
            self._fill(child, shape, out, (*index, k), where)

    def integers(self, value: Any, where: str, shape: tuple[int, ...]) -> np.ndarray:
        array = self.array(value, where, [shape])
        if np.any(array != np.round(array)):
            bad = tuple(int(i) for i in np.argwhere(array != np.round(array))[0])
            raise self.fail(f"{where}{''.join(f'[{i}]' for i in bad)} must be an integer, got {array[bad]!r}")
        return array.astype(np.int64)

    # the document ------------------------------------------------------------------------------------------------
    def game(self) -> StochasticGame:
        doc = self.doc
        if not isinstance(doc, dict):
            raise self.fail(f"expected a JSON object with keys {list(_REQUIRED)} and transitions, got "
                            f"{_short(doc)}")
        unknown = sorted(set(doc) - set(_REQUIRED) - set(_OPTIONAL))
        if unknown:
            raise self.fail(f"unknown key(s) {unknown}; allowed keys are {list(_REQUIRED + _OPTIONAL)}")
        for key in _REQUIRED:
            if key not in doc:
                raise self.fail(f"missing required key '{key}'")
        if doc["type"] != FORMAT_TYPE:
            raise self.fail(f"'type' must be {json.dumps(FORMAT_TYPE)}, got {_short(doc['type'])}")
        if "version" in doc and (isinstance(doc["version"], bool) or doc["version"] != FORMAT_VERSION):
            raise self.fail(f"'version' must be {FORMAT_VERSION}, got {_short(doc['version'])}")
        dense, sparse = "transitions" in doc, ("successors" in doc, "probabilities" in doc)
        if dense and any(sparse):
            raise self.fail("give either 'transitions' (dense) or 'successors' and 'probabilities' (sparse), not "
                            "both")
        if not dense and not all(sparse):
            missing = "'transitions'" if not any(sparse) else ("'probabilities'" if sparse[0] else "'successors'")
            raise self.fail(f"missing key {missing} (the transitions: dense 'transitions', or sparse 'successors' "
                            "with 'probabilities')")
        discount = doc["discount"]
        if isinstance(discount, bool) or not isinstance(discount, int | float) or not 0 <= discount <= 1:
            raise self.fail(f"'discount' must be a number in [0, 1) (or 1 with terminal states), got "
                            f"{_short(discount)}")
        name = doc.get("name", "")
        if not isinstance(name, str):
            raise self.fail(f"'name' must be a string, got {_short(name)}")
        n_players, n_states, counts = self.sizes()
        max_actions = tuple(int(k) for k in counts.max(axis=0))
        rewards = self.rewards(n_players, n_states, counts, max_actions)
        mask = _available(counts, max_actions)
        if dense:
            transitions = self.dense(n_states, counts, max_actions, mask)
            successors, probabilities = _sparse_of(transitions)
        else:
            successors, probabilities = self.sparse(n_states, counts, max_actions, mask)
        terminal: Any = self.booleans(doc.get("terminal"), n_states)
        initial: Any = None if doc.get("initial") is None else self.array(doc["initial"], "initial", [(n_states,)])
        states = self.labels(doc.get("states"), n_states)
        actions = self.action_labels(doc.get("actions"), counts)
        try:
            return StochasticGame(rewards, successors, probabilities, float(discount), n_actions=counts,
                                  terminal=terminal, initial=initial, name=name, state_names=states,
                                  action_names=actions)
        except GameError as exc:
            raise self.fail(str(exc)) from None

    def sizes(self) -> tuple[int, int, np.ndarray]:
        rewards = self.doc["rewards"]
        if not isinstance(rewards, list) or not rewards or not isinstance(rewards[0], list) or not rewards[0]:
            raise self.fail("'rewards' must be a nested list [player][state][a_1]...[a_n] with at least one player "
                            "and one state")
        n_players, n_states = len(rewards), len(rewards[0])
        if self.doc.get("n_actions") is not None:
            counts = self.integers(self.doc["n_actions"], "n_actions", (n_states, n_players))
            if counts.min() < 1:
                raise self.fail("n_actions: every count must be at least 1")
            return n_players, n_states, counts
        shape: list[int] = []
        probe = rewards[0][0]
        while isinstance(probe, list) and probe:
            shape.append(len(probe))
            probe = probe[0]
        if len(shape) != n_players:
            raise self.fail(f"'rewards' has {n_players} player slice(s) but rewards[0][0] has {len(shape)} action "
                            f"axis/axes; expected rewards[i][s][a_1]...[a_n] with one axis per player")
        return n_players, n_states, np.tile(np.array(shape, dtype=np.int64), (n_states, 1))

    def _block_shapes(self, counts: np.ndarray, max_actions: tuple[int, ...], s: int,
                      tail: tuple[int, ...] = ()) -> list[tuple[int, ...]]:
        own = tuple(int(k) for k in counts[s])
        return [(*max_actions, *tail)] + ([(*own, *tail)] if own != max_actions else [])

    def _per_state(self, key: str, value: Any, n_states: int, where: str) -> list[Any]:
        if not isinstance(value, list) or len(value) != n_states:
            got = f"{len(value)} entries" if isinstance(value, list) else _short(value)
            raise self.fail(f"{where} must be a list with one entry per state ({n_states}), got {got}")
        return value

    def rewards(self, n_players: int, n_states: int, counts: np.ndarray, max_actions: tuple[int, ...]) -> np.ndarray:
        out = np.zeros((n_players, n_states, *max_actions))
        for i, per_player in enumerate(self.doc["rewards"]):
            for s, block in enumerate(self._per_state("rewards", per_player, n_states, f"rewards[{i}]")):
                array = self.array(block, f"rewards[{i}][{s}]", self._block_shapes(counts, max_actions, s))
                own: Any = tuple(slice(0, int(k)) for k in counts[s])
                out[(i, s, *own)] = array[own]
        return out

    def dense(self, n_states: int, counts: np.ndarray, max_actions: tuple[int, ...], mask: np.ndarray) -> np.ndarray:
        out = np.zeros((n_states, *max_actions, n_states))
        for s, block in enumerate(self._per_state("transitions", self.doc["transitions"], n_states, "transitions")):
            array = self.array(block, f"transitions[{s}]", self._block_shapes(counts, max_actions, s, (n_states,)))
            own: Any = tuple(slice(0, int(k)) for k in counts[s])
            out[(s, *own)] = array[own]
        rows = out[mask]  # checked at once; the first bad row is checked again for its message
        bad = (np.any((rows < -PROBABILITY_TOL) | (rows > 1 + PROBABILITY_TOL), axis=1)
               | (np.abs(rows.sum(axis=1) - 1.0) > PROBABILITY_TOL * max(1, n_states)))
        if bad.any():
            s, *joint = np.argwhere(mask)[int(np.argmax(bad))]
            self.row(out[(s, *joint)], f"transitions[{s}]" + "".join(f"[{a}]" for a in joint))
        out[~mask] = 0.0
        for s in range(n_states):  # padding: a self-loop
            out[s][~mask[s]] = np.eye(n_states)[s]
        return out

    def row(self, row: np.ndarray, where: str) -> None:
        if np.any(row < -PROBABILITY_TOL) or np.any(row > 1 + PROBABILITY_TOL):
            bad = int(np.argwhere((row < -PROBABILITY_TOL) | (row > 1 + PROBABILITY_TOL))[0][0])
            raise self.fail(f"{where}[{bad}] = {float(row[bad])!r} is not a probability (outside [0, 1])")
        total = float(row.sum())
        if abs(total - 1.0) > PROBABILITY_TOL * max(1, row.size):
            raise self.fail(f"{where}: the probabilities sum to {total:.12g}, not 1")

    def sparse(self, n_states: int, counts: np.ndarray, max_actions: tuple[int, ...],
               mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rows: dict[tuple[int, ...], tuple[list[int], list[float]]] = {}
        succ_all = self._per_state("successors", self.doc["successors"], n_states, "successors")
        prob_all = self._per_state("probabilities", self.doc["probabilities"], n_states, "probabilities")
        for s in range(n_states):
            own = tuple(int(k) for k in counts[s])
            for joint in product(*(range(k) for k in own)):
                index = "".join(f"[{a}]" for a in joint)
                succ = self._walk(succ_all[s], joint, max_actions, own, f"successors[{s}]")
                prob = self._walk(prob_all[s], joint, max_actions, own, f"probabilities[{s}]")
                if not isinstance(succ, list) or not isinstance(prob, list) or not succ or len(succ) != len(prob):
                    raise self.fail(f"successors[{s}]{index} and probabilities[{s}]{index} must be non-empty lists "
                                    f"of equal length, got {_short(succ)} and {_short(prob)}")
                # Plain Python on these short lists: NumPy's per-call cost would dominate a large game.
                if all(type(x) is int and 0 <= x < n_states for x in succ):
                    states = succ
                else:
                    states = self.integers(succ, f"successors[{s}]{index}", (len(succ),)).tolist()
                    if min(states) < 0 or max(states) >= n_states:
                        raise self.fail(f"successors[{s}]{index}: states are 0..{n_states - 1}, got {states}")
                p = [float(x) for x in prob] if all(type(x) in (int, float) for x in prob) else \
                    self.array(prob, f"probabilities[{s}]{index}", [(len(prob),)]).tolist()
                if (any(not (-PROBABILITY_TOL <= x <= 1 + PROBABILITY_TOL) for x in p)
                        or abs(math.fsum(p) - 1.0) > PROBABILITY_TOL * max(1, len(p))):
                    self.row(np.array(p), f"probabilities[{s}]{index}")
                rows[(s, *joint)] = (states, p)
        k = max(len(states) for states, _ in rows.values())
        successors = np.zeros((n_states, *max_actions, k), dtype=np.int64)
        probabilities = np.zeros((n_states, *max_actions, k))
        for s in range(n_states):
            successors[s, ..., 0] = s
            probabilities[s, ..., 0] = 1.0
        for key, (states, p) in rows.items():
            successors[key] = 0
            probabilities[key] = 0.0
            successors[key][: len(states)] = states
            probabilities[key][: len(p)] = p
        return successors, probabilities

    def _walk(self, block: Any, joint: tuple[int, ...], max_actions: tuple[int, ...], own: tuple[int, ...],
              where: str) -> Any:
        node = block
        for depth, a in enumerate(joint):
            if not isinstance(node, list) or len(node) not in (own[depth], max_actions[depth]):
                got = f"{len(node)} entries" if isinstance(node, list) else _short(node)
                raise self.fail(f"{where}{''.join(f'[{b}]' for b in joint[:depth])} must be a list of "
                                f"{own[depth]} entries (one per action), got {got}")
            node = node[a]
        return node

    def booleans(self, value: Any, n_states: int) -> np.ndarray | None:
        if value is None:
            return None
        if not isinstance(value, list) or len(value) != n_states or not all(isinstance(v, bool) for v in value):
            raise self.fail(f"'terminal' must be a list of {n_states} booleans, got {_short(value)}")
        return np.array(value, dtype=bool)

    def labels(self, value: Any, n_states: int) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or len(value) != n_states or not all(isinstance(v, str) for v in value):
            raise self.fail(f"'states' must be a list of {n_states} strings, got {_short(value)}")
        return tuple(value)

    def action_labels(self, value: Any, counts: np.ndarray) -> tuple[tuple[tuple[str, ...], ...], ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or len(value) != counts.shape[0]:
            raise self.fail(f"'actions' must be a list [state][player][action] with {counts.shape[0]} states, got "
                            f"{_short(value)}")
        for s, per_state in enumerate(value):
            if not isinstance(per_state, list) or len(per_state) != counts.shape[1]:
                raise self.fail(f"actions[{s}] must hold one list of names per player ({counts.shape[1]}), got "
                                f"{_short(per_state)}")
            for i, names in enumerate(per_state):
                if not isinstance(names, list) or len(names) != counts[s, i] or not all(
                        isinstance(a, str) for a in names):
                    raise self.fail(f"actions[{s}][{i}] must be {counts[s, i]} strings (n_actions[{s}][{i}]), got "
                                    f"{_short(names)}")
        return tuple(tuple(tuple(names) for names in per_state) for per_state in value)


def _available(counts: np.ndarray, max_actions: tuple[int, ...]) -> np.ndarray:
    n_states, n_players = counts.shape
    mask = np.ones((n_states, *max_actions), dtype=bool)
    for i, width in enumerate(max_actions):
        shape = [1] * (n_players + 1)
        shape[0], shape[i + 1] = n_states, width
        mask &= (np.arange(width)[None, :] < counts[:, i][:, None]).reshape(shape)
    return mask


def _sparse_of(dense: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``successors, probabilities`` of a dense ``[n_states, *max_actions, n_states]`` tensor (rows valid)."""
    n_states = dense.shape[-1]
    flat = dense.reshape(-1, n_states)
    k = max(1, int(np.count_nonzero(flat, axis=1).max()))
    order = np.argsort(flat == 0, axis=1, kind="stable")[:, :k]  # the non-zero columns first, in order
    probabilities = np.take_along_axis(flat, order, axis=1)
    successors = np.where(probabilities != 0, order, 0)
    shape = (*dense.shape[:-1], k)
    return successors.reshape(shape), probabilities.reshape(shape)


# -- writing --------------------------------------------------------------------------------------------------------
def _plain(array: np.ndarray) -> Any:
    """Nested lists of Python numbers: integral floats as ints (exact), others as floats (``repr`` round-trips)."""
    if array.dtype.kind in "iub":
        return array.tolist()
    if np.all(np.abs(array) < 2**53) and np.all(array == np.round(array)):
        return array.astype(np.int64).tolist()
    nested = array.tolist()

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(child) for child in node]
        return int(node) if float(node).is_integer() and abs(node) < 2**53 else node

    return walk(nested)


def dumps_stochastic_json(game: StochasticGame, *, sparse: bool | None = None) -> str:
    """The JSON text of ``game``: one key per line.

    ``sparse``: write ``successors``/``probabilities`` (True) or the dense ``transitions`` (False); None chooses
    dense for games of up to 10 states (the form that reads best) and otherwise sparse when every row has fewer
    than half of the states as successors (the dense form then is mostly zeros).
    Padding (actions outside a state's sets) is written as reward 0 and a self-loop.
    """
    if not isinstance(game, StochasticGame):
        raise GameError(f"dumps_stochastic_json(game): expected a StochasticGame, got {type(game).__name__}")
    if sparse is not None and not isinstance(sparse, bool):
        raise GameError(f"dumps_stochastic_json(sparse): expected True, False or None, got {sparse!r}")
    support = np.count_nonzero(game.probabilities, axis=-1).max()
    if sparse is None:
        sparse = game.n_states > 10 and 2 * int(support) < game.n_states
    doc: dict[str, Any] = {"type": FORMAT_TYPE, "version": FORMAT_VERSION, "name": game.name,
                           "discount": _plain(np.array(game.discount))}
    if np.any(game.n_actions != np.array(game.max_actions)):
        doc["n_actions"] = game.n_actions.tolist()
    if game.terminal.any():
        doc["terminal"] = game.terminal.tolist()
    default_initial = np.zeros(game.n_states)
    default_initial[0] = 1.0
    if not np.array_equal(game.initial, default_initial):
        doc["initial"] = _plain(game.initial)
    if game.state_names:
        doc["states"] = list(game.state_names)
    if game.action_names:
        doc["actions"] = [[list(names) for names in per_state] for per_state in game.action_names]
    mask = game.available_mask()
    doc["rewards"] = _plain(np.where(mask[None], game.rewards, 0.0))
    successors, probabilities = game.successors.copy(), game.probabilities.copy()
    states = np.broadcast_to(np.arange(game.n_states).reshape((-1,) + (1,) * game.n_players), mask.shape)
    successors[~mask] = 0
    probabilities[~mask] = 0.0
    successors[~mask, 0] = states[~mask]  # padding: a self-loop
    probabilities[~mask, 0] = 1.0
    if sparse:
        live = probabilities != 0
        succ = np.where(live, successors, -1)
        # Rows keep their positive-probability slots, in order (ragged lists).
        doc["successors"] = _ragged(succ, live, int_values=True)
        doc["probabilities"] = _ragged(probabilities, live, int_values=False)
    else:
        dense = np.zeros((*mask.shape, game.n_states))
        np.add.at(dense.reshape(-1, game.n_states),
                  (np.repeat(np.arange(mask.size), successors.shape[-1]), successors.reshape(-1)),
                  probabilities.reshape(-1))
        doc["transitions"] = _plain(dense)
    body = ",\n".join(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False, allow_nan=False)}"
                      for key, value in doc.items())
    return "{\n" + body + "\n}\n"


def _ragged(values: np.ndarray, live: np.ndarray, *, int_values: bool) -> Any:
    outer = values.shape[:-1]
    flat_values = values.reshape(-1, values.shape[-1])
    flat_live = live.reshape(-1, values.shape[-1])
    rows = []
    for row, keep in zip(flat_values, flat_live, strict=True):
        kept = row[keep]
        rows.append([int(x) for x in kept] if int_values else _plain(kept))
    nested: Any = rows
    for width in reversed(outer[1:]):
        nested = [nested[i:i + width] for i in range(0, len(nested), width)]
    return nested


def write_stochastic_json(game: StochasticGame, path: str | os.PathLike[str], *, sparse: bool | None = None) -> None:
    """Write ``game`` to ``path`` as JSON (:func:`dumps_stochastic_json`), atomically."""
    write_atomic(path, dumps_stochastic_json(game, sparse=sparse), caller="write_stochastic_json")
