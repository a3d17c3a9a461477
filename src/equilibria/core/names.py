"""Names as users type them: one rule for every table of names (solvers, learning dynamics, zoo games, reproductions).

A name matches regardless of case and of the separator used: ``rock-paper-scissors``, ``rock_paper_scissors`` and
``Rock Paper Scissors`` are one name (:func:`name_key`). A table may also have aliases, the abbreviations users of
the field type (``rps``, ``ogda``, ``rm+``); an alias resolves to exactly one canonical name. An unknown name is a
:class:`~equilibria.core.errors.GameError` whose one line suggests the closest known names (difflib's ratio on the
keys, aliases included) and says where the full list is.

This module is imported by the command line's parser, so it imports nothing beyond the standard library.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping

from equilibria.core.errors import GameError

_SEPARATORS = re.compile(r"[\s_-]+")


def name_key(name: str) -> str:
    """The form two names are compared in: lower case, runs of blanks, hyphens and underscores as one ``_``."""
    return _SEPARATORS.sub("_", name.strip().lower()).strip("_")


def resolve(name: str, known: Iterable[str], *, aliases: Mapping[str, str] | None = None, kind: str,
            listed_by: str | None = None) -> str:
    """The canonical name in ``known`` that ``name`` means (itself, another spelling of it, or an alias).

    Args:
      name: what the user typed.
      known: the canonical names.
      aliases: alias -> canonical name (each canonical name must be in ``known``; aliases of names not in
        ``known`` are ignored, so one alias table can serve several tables).
      kind: what a name names, for the message ("method", "game", ...).
      listed_by: where the full list is (e.g. "`equilibria games`"); None lists the known names in the message.

    Raises:
      GameError: one line: the unknown name, the closest names, and where the list is.
    """
    table = lookup_table(known, aliases)
    key = name_key(name)
    if key in table:
        return table[key]
    close = closest(name, table)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    where = f" (see {listed_by})" if listed_by else f" (known: {', '.join(sorted(set(table.values())))})"
    raise GameError(f"unknown {kind} {name!r}{hint}{where}")


def lookup_table(known: Iterable[str], aliases: Mapping[str, str] | None = None) -> dict[str, str]:
    """key -> canonical name, for the canonical names and the aliases that point at one of them."""
    canonical = list(known)
    table = {name_key(n): n for n in canonical}
    names = set(canonical)
    for alias, target in (aliases or {}).items():
        if target in names:
            table.setdefault(name_key(alias), target)
    return table


def closest(name: str, table: Mapping[str, str], n: int = 3) -> list[str]:
    """Up to ``n`` canonical names whose keys (or aliases' keys) are closest to ``name``'s, best first."""
    found: list[str] = []
    for key in difflib.get_close_matches(name_key(name), table, n=2 * n, cutoff=0.6):
        if table[key] not in found:
            found.append(table[key])
    return found[:n]


def aliases_of(canonical: str, aliases: Mapping[str, str]) -> list[str]:
    """The aliases of one canonical name, in table order (for help texts)."""
    return [alias for alias, target in aliases.items() if target == canonical]


def with_aliases(canonical: str, aliases: Mapping[str, str]) -> str:
    """``name [alias, alias]`` (just ``name`` without aliases), as help texts list a table's names."""
    also = aliases_of(canonical, aliases)
    return f"{canonical} [{', '.join(also)}]" if also else canonical
