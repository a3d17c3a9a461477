"""The project's JSON format for normal-form games (documented in docs/formats.md).

One JSON object::

    {"format": "equilibria.normal_form", "version": 1, "name": "Prisoner's dilemma",
     "players": ["Row", "Column"],
     "actions": [["C", "D"], ["C", "D"]],
     "payoffs": [[[3, 0], [5, 1]], [[3, 5], [0, 1]]]}

``payoffs`` is the tensor ``[n_players, *n_actions]`` of :class:`NormalFormGame` as nested lists:
``payoffs[i][a_1]...[a_n]`` is player ``i``'s utility. Entries are JSON numbers or strings holding an
exact number (``"3/2"``, ``"0.1"``, ``"-2"``); every value must be finite. ``format``, ``version`` and
``payoffs`` are required; ``name`` (default ``""``), ``players`` and ``actions`` (default: unlabelled) are
optional; other keys are an error, so a misspelt key does not pass silently.

Hostile input is refused with a one-line :class:`GameError`, never a crash: an integer of more digits than any
float holds (Python would refuse to convert a 5000-digit integer at all), nesting deeper than the parser's
recursion allows, a string number whose exact value needs more than ``MAX_EXACT_DIGITS`` digits
(``"1e-999999999"``), and payoff lists that claim more entries than the text could hold.

The writer emits integral payoffs as JSON integers and other floats with ``repr`` (the shortest text that
reads back to the same float), so write-then-read gives an identical game. Writes are atomic (temporary file
in the same directory, then ``os.replace``).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from equilibria.core.errors import GameError
from equilibria.core.files import write_atomic
from equilibria.games.io._gambit_text import NUMBER, exact_number, shown
from equilibria.games.io.nfg import read_text_file
from equilibria.games.normal_form import NormalFormGame

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "dumps_json_game", "loads_json_game", "read_json_game",
           "write_json_game"]

FORMAT_NAME = "equilibria.normal_form"
FORMAT_VERSION = 1
_KEYS = ("format", "version", "name", "players", "actions", "payoffs")
_MAX_FLOAT_DIGITS = 309  # the largest float, about 1.8e308, has 309 digits before the point


def loads_json_game(text: str, *, source: str = "<json text>") -> NormalFormGame:
    """Parse the JSON text of a game; ``source`` names it in error messages."""
    if not isinstance(text, str):
        raise GameError(f"loads_json_game(text): expected a str, got {type(text).__name__}")
    try:
        document = json.loads(text, parse_constant=_reject_constant, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        raise GameError(f"{source}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    except _NonFiniteError as exc:
        raise GameError(f"{source}: {exc.args[0]}") from None
    except RecursionError:  # the decoder recurses once per level of nesting
        raise GameError(f"{source}: the JSON nests arrays or objects deeper than this reader follows (a game's "
                        f"payoffs nest one level per player, plus one)") from None
    return _game_from_document(document, source, len(text))


def read_json_game(path: str | os.PathLike[str]) -> NormalFormGame:
    """Read a game from a JSON file in the format above."""
    if not isinstance(path, str | os.PathLike):
        raise GameError(f"read_json_game(path): expected a path, got {type(path).__name__}")
    path = Path(path)
    return loads_json_game(read_text_file(path, "read_json_game"), source=str(path))


def dumps_json_game(game: NormalFormGame) -> str:
    """The JSON text of ``game``: one key per line, the payoff tensor compact on its line."""
    if not isinstance(game, NormalFormGame):
        raise GameError(f"dumps_json_game(game): expected a NormalFormGame, got {type(game).__name__}")
    document: dict[str, Any] = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "name": game.name}
    if game.player_labels is not None:
        document["players"] = list(game.player_labels)
    if game.action_labels is not None:
        document["actions"] = [list(actions) for actions in game.action_labels]
    document["payoffs"] = _to_nested(game.payoffs)
    body = ",\n".join(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False, allow_nan=False)}"
                      for key, value in document.items())
    return "{\n" + body + "\n}\n"


def write_json_game(game: NormalFormGame, path: str | os.PathLike[str]) -> None:
    """Write ``game`` to ``path`` as JSON, atomically."""
    text = dumps_json_game(game)
    write_atomic(path, text, caller="write_json_game")


# -- reading helpers -----------------------------------------------------------------------------------------
class _NonFiniteError(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _NonFiniteError(f"payoffs must be finite numbers; JSON constant {name} is not allowed")


def _parse_int(text: str) -> int:
    # More digits than any float holds can only be an error (and Python refuses to convert more than 4300).
    if len(text.lstrip("-")) > _MAX_FLOAT_DIGITS:
        raise _NonFiniteError(f"the JSON integer {shown(text)} is not a finite number representable as a float")
    return int(text)


def _game_from_document(document: Any, source: str, text_length: int) -> NormalFormGame:
    def fail(message: str) -> GameError:
        return GameError(f"{source}: {message}")

    if not isinstance(document, dict):
        raise fail(f"expected a JSON object with keys {list(_KEYS)}, got a JSON {_json_type(document)}")
    unknown = sorted(set(document) - set(_KEYS))
    if unknown:
        raise fail(f"unknown key(s) {unknown}; allowed keys are {list(_KEYS)}")
    for key in ("format", "version", "payoffs"):
        if key not in document:
            raise fail(f"missing required key '{key}'")
    if document["format"] != FORMAT_NAME:
        raise fail(f"'format' must be {json.dumps(FORMAT_NAME)}, got {json.dumps(document['format'])}")
    version = document["version"]
    if isinstance(version, bool) or version != FORMAT_VERSION:
        raise fail(f"'version' must be {FORMAT_VERSION} (the only version this reader knows), got "
                   f"{json.dumps(version)}")
    name = document.get("name", "")
    if not isinstance(name, str):
        raise fail(f"'name' must be a string, got a JSON {_json_type(name)}")
    payoffs = _payoff_tensor(document["payoffs"], fail, text_length)
    n_players, n_actions = payoffs.shape[0], payoffs.shape[1:]
    players = _players(document.get("players"), n_players, fail)
    actions = _actions(document.get("actions"), n_actions, fail)
    return NormalFormGame(payoffs, name=name, player_labels=players, action_labels=actions)


def _payoff_tensor(nested: Any, fail: Any, text_length: int) -> np.ndarray:
    """Check the nested list is a rectangular ``[n_players, *n_actions]`` array of finite numbers.

    ``text_length``: the document's length in characters. The shape is read off the first entries; a rectangular
    array of that shape needs at least two characters per number, so a shape the text cannot hold is ragged, and
    is refused before an array that size is allocated.
    """
    shape: list[int] = []
    probe = nested
    while isinstance(probe, list):
        if not probe:
            where = "payoffs" + ("[0]" * len(shape) if len(shape) <= 12 else f"[0]...[0] ({len(shape)} levels deep)")
            raise fail(f"{where} is an empty list; every player needs at least one action")
        shape.append(len(probe))
        probe = probe[0]
    if not shape:
        raise fail(f"'payoffs' must be a nested list [n_players][n_actions_1]...[n_actions_n], got a JSON "
                   f"{_json_type(nested)}")
    if shape[0] != len(shape) - 1:
        shown_shape = str(shape) if len(shape) <= 12 else f"[{', '.join(map(str, shape[:12]))}, ...]"
        raise fail(f"'payoffs' has {shape[0]} player slice(s) but {len(shape) - 1} action axis/axes (shape "
                   f"{shown_shape}); expected payoffs[i][a_1]...[a_n] with one slice per player and one axis per "
                   f"player")
    if 2 * math.prod(shape) - 1 > text_length:
        raise fail(f"'payoffs' is ragged: its first entries give the shape {shape}, {math.prod(shape)} numbers, "
                   f"more than the {text_length} characters of the text can hold")
    fast = _plain_numbers(nested, shape)
    if fast is not None:
        return fast
    out = np.empty(shape)
    _fill(nested, shape, out, (), fail)
    return out


def _plain_numbers(nested: Any, shape: list[int]) -> np.ndarray | None:
    """The tensor when every entry is a finite JSON int or float and the lists are rectangular, else None.

    One NumPy conversion instead of a Python call per entry (a 46,656-profile game reads in milliseconds, not half
    a second); anything else (strings like "3/2", bools, ragged lists, huge integers, non-finite values) is left to
    :func:`_fill`, which names the offending entry.
    """
    try:
        table = np.array(nested, dtype=object)
    except ValueError:
        return None
    if table.shape != tuple(shape) or not {type(v) for v in table.flat} <= {int, float}:
        return None
    try:
        out = table.astype(float)
    except OverflowError:
        return None
    return out if np.isfinite(out).all() else None


def _fill(node: Any, shape: list[int], out: np.ndarray, index: tuple[int, ...], fail: Any) -> None:
    where = "payoffs" + "".join(f"[{i}]" for i in index)
    depth = len(index)
    if depth == len(shape):
        out[index] = _number(node, where, fail)
        return
    if not isinstance(node, list):
        raise fail(f"{where} must be a list of {shape[depth]} entries (the array is ragged), got "
                   f"{_short(node)}")
    if len(node) != shape[depth]:
        raise fail(f"{where} has {len(node)} entries but payoffs{'[0]' * depth} has {shape[depth]}; the "
                   f"nested lists must be rectangular")
    for k, child in enumerate(node):
        _fill(child, shape, out, (*index, k), fail)


def _number(value: Any, where: str, fail: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise fail(f"{where} must be a number or a string like \"3/2\", got {_short(value)}")
    if isinstance(value, str):
        try:
            exact = exact_number(value.strip())
        except (ZeroDivisionError, ValueError) as exc:
            if NUMBER.fullmatch(value.strip()) and not isinstance(exc, ZeroDivisionError):
                raise fail(f"{where} = {_short(value)} {exc}") from None
            raise fail(f"{where} = {_short(value)} is not a number (expected e.g. 2, -0.5, "
                       f"\"3/2\")") from None
        try:
            result = float(exact)
        except OverflowError:
            result = math.inf
    else:
        try:
            result = float(value)
        except OverflowError:  # a huge JSON integer
            result = math.inf
    if not math.isfinite(result):
        raise fail(f"{where} = {_short(value)} is not a finite number representable as a float")
    return result


def _players(value: Any, n_players: int, fail: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise fail(f"'players' must be a list of {n_players} strings, got {_short(value)}")
    if len(value) != n_players:
        raise fail(f"'players' names {len(value)} player(s) but 'payoffs' has {n_players}")
    return tuple(value)


def _actions(value: Any, n_actions: tuple[int, ...], fail: Any) -> tuple[tuple[str, ...], ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != len(n_actions):
        raise fail(f"'actions' must be a list with one list of names per player ({len(n_actions)}), got "
                   f"{_short(value)}")
    for i, (names, n) in enumerate(zip(value, n_actions, strict=True)):
        if not isinstance(names, list) or not all(isinstance(a, str) for a in names):
            raise fail(f"actions[{i}] must be a list of strings, got {_short(names)}")
        if len(names) != n:
            raise fail(f"actions[{i}] names {len(names)} action(s) but player {i} has {n} in 'payoffs'")
    return tuple(tuple(names) for names in value)


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def _short(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except RecursionError:  # nested nearly as deep as the decoder allows
        return f"a deeply nested JSON {_json_type(value)}"
    return text if len(text) <= 40 else text[:37] + "..."


# -- writing helpers -----------------------------------------------------------------------------------------
def _to_nested(payoffs: np.ndarray) -> Any:
    """Nested lists of Python numbers: integral values as ints, others as floats (exact via repr)."""
    def convert(value: float) -> int | float:
        return int(value) if value.is_integer() and abs(value) < 2**53 else value

    nested = payoffs.tolist()

    def walk(node: Any) -> Any:
        return [walk(child) for child in node] if isinstance(node, list) else convert(float(node))

    return walk(nested)
