"""The Gambit example games of ``tests/data/gambit`` (see its README), loaded once and sorted by kind."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from equilibria import GameError
from equilibria.games.extensive_form import ExtensiveFormGame
from equilibria.games.io import load_game
from equilibria.games.normal_form import NormalFormGame

ROOT = Path(__file__).parent.parent / "data" / "gambit"
FILES = tuple(sorted([*ROOT.rglob("*.nfg"), *ROOT.rglob("*.efg")]))


def name(path: Path) -> str:
    return str(path.relative_to(ROOT))


@cache
def loaded() -> dict[str, NormalFormGame | ExtensiveFormGame]:
    """Every file that loads (files without perfect recall are refused; see test_gambit_corpus)."""
    games = {}
    for path in FILES:
        try:
            games[name(path)] = load_game(path)
        except GameError:
            continue
    return games


def bimatrix() -> list[str]:
    return [k for k, g in loaded().items() if isinstance(g, NormalFormGame) and g.n_players == 2]


def n_player_normal_form() -> list[str]:
    return [k for k, g in loaded().items() if isinstance(g, NormalFormGame) and g.n_players > 2]


def trees(players: int | None = None, *, zero_sum: bool | None = None, perfect: bool | None = None) -> list[str]:
    out = []
    for k, g in loaded().items():
        if not isinstance(g, ExtensiveFormGame):
            continue
        if players is not None and (g.n_players != players if players == 2 else g.n_players < 3):
            continue
        if zero_sum is not None and (g.n_players == 2 and g.is_zero_sum()) != zero_sum:
            continue
        if perfect is not None and g.is_perfect_information != perfect:
            continue
        out.append(k)
    return out
