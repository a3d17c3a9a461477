"""The one lookup every zoo module shares: an entry by name as users type it, or a one-line message naming close names.

Names match in any case and with hyphens, underscores or blanks (``prisoners_dilemma``); :data:`GAME_ALIASES` are
the abbreviations users of the field type. The rule is :mod:`equilibria.core.names`'.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from equilibria.core.errors import GameError
from equilibria.core.names import lookup_table, name_key, resolve

T = TypeVar("T")

# Abbreviation -> zoo name, across every zoo (an alias of a game another zoo holds is ignored by this one).
GAME_ALIASES: Mapping[str, str] = {
    "rps": "rock-paper-scissors", "roshambo": "rock-paper-scissors",
    "mp": "matching-pennies", "pennies": "matching-pennies",
    "pd": "prisoners-dilemma", "prisoner's dilemma": "prisoners-dilemma", "prisoners": "prisoners-dilemma",
    "bos": "battle-of-the-sexes", "stag": "stag-hunt", "hawk-dove": "chicken",
    "kuhn": "kuhn-poker", "leduc": "leduc-poker", "ttt": "tic-tac-toe", "goofspiel": "goofspiel-4",
    "horse": "selten-horse", "dirac": "dirac-gan", "deterrence": "entry-deterrence",
    "beer-and-quiche": "beer-quiche", "spence": "job-market-signalling",
    "job-market-signaling": "job-market-signalling",
    "soccer": "markov-soccer", "littman-soccer": "markov-soccer", "gillette": "big-match",
    "hu-wellman-1": "grid-game-1", "hu-wellman-2": "grid-game-2",
}


def canonical_name(entries: Mapping[str, object], name: str) -> str | None:
    """The key of ``entries`` that ``name`` means (another spelling or an alias of it), or None."""
    return lookup_table(entries, GAME_ALIASES).get(name_key(name))


def find(entries: Mapping[str, T], name: str, kind: str, error: type[Exception] = KeyError) -> T:
    """``entries[name]`` for any spelling or alias of a key; else ``error("unknown <kind> game 'x'; did you mean
    ...?")`` (KeyError by default, as a mapping would raise)."""
    try:
        return entries[resolve(name, entries, aliases=GAME_ALIASES, kind=f"{kind} game",
                               listed_by="`equilibria games`")]
    except GameError as exc:
        raise error(str(exc)) from None
