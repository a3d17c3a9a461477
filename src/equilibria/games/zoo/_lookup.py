"""The one lookup every zoo module shares: an entry by name, or a one-line message naming close names."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import TypeVar

T = TypeVar("T")


def find(entries: Mapping[str, T], name: str, kind: str) -> T:
    """``entries[name]``, or ``KeyError("unknown <kind> game 'x'; did you mean ...?")``."""
    try:
        return entries[name]
    except KeyError:
        close = difflib.get_close_matches(name, entries, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; run `equilibria games` for the list"
        raise KeyError(f"unknown {kind} game {name!r}{hint}") from None
