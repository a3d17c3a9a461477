"""Game files: Gambit's ``.nfg`` and ``.efg`` formats and the project's JSON format (see docs/formats.md).

:func:`load_game` and :func:`save_game` choose the format from the file suffix (case-insensitive):
``.nfg`` for Gambit's strategic-game format, ``.json`` for the JSON format (a normal-form game, or a stochastic
game when its ``"type"`` is ``"stochastic"``), ``.efg`` for Gambit's extensive-game format
(:class:`ExtensiveFormGame`). Errors are :class:`equilibria.GameError` with one-line messages that name the file
and, for syntax errors, the line and
column. Writers are atomic: a failed write leaves any existing file untouched.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from equilibria.core.errors import GameError
from equilibria.games.extensive_form import ExtensiveFormGame
from equilibria.games.io.efg import dumps_efg, loads_efg, read_efg, write_efg
from equilibria.games.io.json_format import (
    dumps_json_game,
    loads_json_game,
    read_json_game,
    write_json_game,
)
from equilibria.games.io.nfg import dumps_nfg, loads_nfg, read_nfg, read_text_file, write_nfg
from equilibria.games.io.stochastic_json import (
    declares_stochastic,
    dumps_stochastic_json,
    loads_stochastic_json,
    read_stochastic_json,
    write_stochastic_json,
)
from equilibria.games.normal_form import NormalFormGame
from equilibria.games.stochastic import StochasticGame

__all__ = [
    "SUFFIXES",
    "dumps_efg",
    "dumps_json_game",
    "dumps_nfg",
    "dumps_stochastic_json",
    "load_game",
    "loads_efg",
    "loads_json_game",
    "loads_nfg",
    "loads_stochastic_json",
    "read_efg",
    "read_json_game",
    "read_nfg",
    "read_stochastic_json",
    "save_game",
    "write_efg",
    "write_json_game",
    "write_nfg",
    "write_stochastic_json",
]

AnyGame = NormalFormGame | ExtensiveFormGame | StochasticGame


def _read_json(path: Path) -> NormalFormGame | StochasticGame:
    """A ``.json`` file: a stochastic game when it says ``"type": "stochastic"``, else a normal-form game."""
    text = read_text_file(path, "load_game")
    if declares_stochastic(text):
        return loads_stochastic_json(text, source=str(path))
    return loads_json_game(text, source=str(path))


_READERS: dict[str, Callable[[Path], AnyGame]] = {".nfg": read_nfg, ".json": _read_json, ".efg": read_efg}
_WRITERS: dict[str, Callable[[NormalFormGame, Path], None]] = {".nfg": write_nfg, ".json": write_json_game}
SUFFIXES = tuple(_READERS)


def load_game(path: str | os.PathLike[str]) -> AnyGame:
    """Read the game in ``path``: a normal-form game from ``.nfg`` or ``.json``, a stochastic game from a ``.json``
    file of ``"type": "stochastic"``, an extensive-form game from ``.efg``."""
    file = _checked_path(path, "load_game")
    try:
        exists, is_dir, is_file = file.exists(), file.is_dir(), file.is_file()
    except (OSError, ValueError) as exc:  # a name the file system refuses (too long, a NUL byte)
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise GameError(f"load_game(path): cannot access '{file}': {reason}") from None
    if not exists:
        raise GameError(f"load_game(path): no such file '{file}'")
    if is_dir:
        raise GameError(f"load_game(path): '{file}' is a directory, not a game file")
    if not is_file:  # a named pipe or a device would block the read, or never end
        raise GameError(f"load_game(path): '{file}' is not a regular file")
    return _READERS[file.suffix.lower()](file)


def save_game(game: AnyGame, path: str | os.PathLike[str]) -> None:
    """Write ``game`` to ``path`` in the format its suffix names (``.nfg``, ``.json`` or ``.efg``), atomically."""
    if isinstance(game, StochasticGame):
        file = _checked_path(path, "save_game")
        if file.suffix.lower() != ".json":
            raise GameError(f"save_game(path): a StochasticGame is written as .json, got '{file}'")
        write_stochastic_json(game, file)
        return
    if isinstance(game, ExtensiveFormGame):
        file = _checked_path(path, "save_game")
        if file.suffix.lower() != ".efg":
            raise GameError(f"save_game(path): unknown file type for an ExtensiveFormGame: '{file}' (a "
                            f"normal-form format); expected .efg")
        write_efg(game, file)
        return
    if not isinstance(game, NormalFormGame):
        raise GameError(f"save_game(game): expected a NormalFormGame, got {type(game).__name__}")
    file = _checked_path(path, "save_game")
    if file.suffix.lower() == ".efg":
        raise GameError(f"save_game(path): unknown file type for a NormalFormGame: '{file}' ('.efg' holds "
                        f"extensive-form games); expected .nfg or .json")
    _WRITERS[file.suffix.lower()](game, file)


def _checked_path(path: str | os.PathLike[str], caller: str) -> Path:
    if not isinstance(path, str | os.PathLike):
        raise GameError(f"{caller}(path): expected a file path, got {type(path).__name__}")
    file = Path(path)
    if file.suffix.lower() not in _READERS:
        shown = f"'{file.suffix}'" if file.suffix else "no suffix"
        raise GameError(f"{caller}(path): unknown game file type ({shown}) for '{file}'; expected one of "
                        f"{', '.join(SUFFIXES)}")
    return file
