"""Named normal-form games whose equilibria are known, each with its source and known answer.

Every entry is a :class:`ZooEntry`: a constructor plus the facts a test or a report can check (``known_equilibria``,
exact fractions where the literature gives them). ``known_complete`` says whether the listed equilibria are all of the
game's (extreme) equilibria.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction as F

import numpy as np

from equilibria.games.normal_form import NormalFormGame
from equilibria.games.zoo._lookup import find

KnownProfile = tuple[tuple[F, ...], ...]


@dataclass(frozen=True)
class ZooEntry:
    """A named game and what is known about it.

    Attributes:
      name: the zoo key (kebab-case), used on the command line.
      description: one line for ``equilibria games``.
      build: returns the game.
      known_equilibria: profiles known from the literature (extreme equilibria for degenerate games).
      known_complete: True when ``known_equilibria`` are all the extreme Nash equilibria.
      value: the row player's value, for zero-sum games.
      reference: where the facts come from.
    """

    name: str
    description: str
    build: Callable[[], NormalFormGame]
    known_equilibria: tuple[KnownProfile, ...] = ()
    known_complete: bool = False
    value: F | None = None
    reference: str = ""

    def game(self) -> NormalFormGame:
        return self.build()


def _bimatrix(name: str, a: list[list[float]], b: list[list[float]], rows: tuple[str, ...],
              columns: tuple[str, ...]) -> Callable[[], NormalFormGame]:
    return lambda: NormalFormGame.bimatrix(a, b, name=name, action_labels=(rows, columns))


def _zero_sum(name: str, a: list[list[float]], rows: tuple[str, ...],
              columns: tuple[str, ...]) -> Callable[[], NormalFormGame]:
    return lambda: NormalFormGame.zero_sum(a, name=name, action_labels=(rows, columns))


def _p(*strategies: tuple[float | F, ...]) -> KnownProfile:
    return tuple(tuple(F(x) for x in s) for s in strategies)


_THIRD = F(1, 3)
RPS = ("rock", "paper", "scissors")


def _three_player_matching_pennies() -> NormalFormGame:
    """Jordan's (1993) three-player matching pennies: 1 wants to match 2, 2 wants to match 3, 3 wants to mismatch 1.

    Each player gets +1 or -1; the unique Nash equilibrium is everyone mixing (1/2, 1/2).
    """

    def payoff(actions: tuple[int, ...]) -> list[float]:
        a, b, c = actions
        return [1.0 if a == b else -1.0, 1.0 if b == c else -1.0, 1.0 if c != a else -1.0]

    return NormalFormGame.from_function(payoff, (2, 2, 2), name="three-player-matching-pennies")


def _public_goods() -> NormalFormGame:
    """Three-player public goods game: contributing costs 1 and adds 0.6 to everybody's payoff (including one's own)."""

    def payoff(actions: tuple[int, ...]) -> list[float]:
        pot = 0.6 * sum(actions)
        return [pot - a for a in actions]

    game = NormalFormGame.from_function(payoff, (2, 2, 2), name="public-goods-3")
    return NormalFormGame(game.payoffs, name=game.name, action_labels=(("keep", "give"),) * 3)


ENTRIES: tuple[ZooEntry, ...] = (
    ZooEntry("matching-pennies", "zero-sum 2x2, unique mixed equilibrium (1/2,1/2)",
             _zero_sum("matching-pennies", [[1, -1], [-1, 1]], ("heads", "tails"), ("heads", "tails")),
             (_p((F(1, 2), F(1, 2)), (F(1, 2), F(1, 2))),), True, F(0), "textbook"),
    ZooEntry("rock-paper-scissors", "zero-sum 3x3, unique equilibrium uniform; GDA cycles here",
             _zero_sum("rock-paper-scissors", [[0, -1, 1], [1, 0, -1], [-1, 1, 0]], RPS, RPS),
             (_p((_THIRD,) * 3, (_THIRD,) * 3),), True, F(0), "textbook"),
    ZooEntry("prisoners-dilemma", "2x2, unique equilibrium (defect, defect) by strict dominance",
             _bimatrix("prisoners-dilemma", [[3, 0], [5, 1]], [[3, 5], [0, 1]], ("cooperate", "defect"),
                       ("cooperate", "defect")),
             (_p((0, 1), (0, 1)),), True, None, "Axelrod payoffs T=5, R=3, P=1, S=0"),
    ZooEntry("stag-hunt", "2x2 coordination: two pure equilibria and one mixed",
             _bimatrix("stag-hunt", [[4, 0], [3, 3]], [[4, 3], [0, 3]], ("stag", "hare"), ("stag", "hare")),
             (_p((1, 0), (1, 0)), _p((F(3, 4), F(1, 4)), (F(3, 4), F(1, 4))), _p((0, 1), (0, 1))), True, None,
             "Skyrms (2004)"),
    ZooEntry("battle-of-the-sexes", "2x2: two pure equilibria and one mixed",
             _bimatrix("battle-of-the-sexes", [[3, 0], [0, 2]], [[2, 0], [0, 3]], ("opera", "football"),
                       ("opera", "football")),
             (_p((1, 0), (1, 0)), _p((F(3, 5), F(2, 5)), (F(2, 5), F(3, 5))), _p((0, 1), (0, 1))), True, None,
             "textbook"),
    ZooEntry("chicken", "2x2 anti-coordination; Aumann's correlated equilibrium beats every Nash in welfare",
             _bimatrix("chicken", [[6, 2], [7, 0]], [[6, 7], [2, 0]], ("swerve", "straight"),
                       ("swerve", "straight")),
             (_p((0, 1), (1, 0)), _p((F(2, 3), F(1, 3)), (F(2, 3), F(1, 3))), _p((1, 0), (0, 1))), True, None,
             "Aumann (1974)"),
    ZooEntry("shapley", "Shapley's 3x3 game: fictitious play cycles; unique equilibrium uniform",
             _bimatrix("shapley", [[1, 0, 0], [0, 1, 0], [0, 0, 1]], [[0, 1, 0], [0, 0, 1], [1, 0, 0]],
                       ("a", "b", "c"), ("a", "b", "c")),
             (_p((_THIRD,) * 3, (_THIRD,) * 3),), True, None, "Shapley (1964)"),
    ZooEntry("von-stengel-3x2", "von Stengel's 3x2 game: exactly three equilibria",
             _bimatrix("von-stengel-3x2", [[3, 3], [2, 5], [0, 6]], [[3, 2], [2, 6], [3, 1]], ("T", "M", "B"),
                       ("l", "r")),
             (_p((1, 0, 0), (1, 0)), _p((F(4, 5), F(1, 5), 0), (F(2, 3), F(1, 3))),
              _p((0, _THIRD, 2 * _THIRD), (_THIRD, 2 * _THIRD))), True, None,
             "von Stengel (2007), Algorithmic Game Theory ch. 3, Fig. 3.1"),
    ZooEntry("von-stengel-3x2-degenerate", "degenerate variant of von Stengel's 3x2 game: three extreme equilibria",
             _bimatrix("von-stengel-3x2-degenerate", [[3, 3], [2, 5], [0, 6]], [[3, 3], [2, 6], [3, 1]],
                       ("T", "M", "B"), ("l", "r")),
             (_p((1, 0, 0), (1, 0)), _p((1, 0, 0), (F(2, 3), F(1, 3))),
              _p((0, _THIRD, 2 * _THIRD), (_THIRD, 2 * _THIRD))), True, None,
             "von Stengel (2007), Algorithmic Game Theory ch. 3, Fig. 3.3"),
    ZooEntry("continuum", "3x2 game whose equilibria form a continuum (a segment): extreme points listed",
             _bimatrix("continuum", [[1, -1], [-1, 1], [0, 0]], [[1, 0], [0, 0], [0, 0]], ("a", "b", "c"),
                       ("l", "r")),
             (_p((1, 0, 0), (1, 0)), _p((0, 1, 0), (0, 1)), _p((0, 1, 0), (F(1, 2), F(1, 2))),
              _p((0, 0, 1), (F(1, 2), F(1, 2)))), True, None,
             "degenerate: player 2 is indifferent unless player 1 plays a; components {(a, l)} and "
             "{(0, q, 1-q)} x {(1/2, 1/2)} joined to {b} x {(y, 1-y): y <= 1/2}"),
    ZooEntry("zero-sum-2x2", "zero-sum A=[[2,-1],[-1,1]]: x=y=(0.4,0.6), value 0.2",
             _zero_sum("zero-sum-2x2", [[2, -1], [-1, 1]], ("a", "b"), ("a", "b")),
             (_p((F(2, 5), F(3, 5)), (F(2, 5), F(3, 5))),), True, F(1, 5), "textbook"),
    ZooEntry("bilinear-2x2", "mixed extension of f(x,y) = x*y on [-1,1]^2 as a 2x2 zero-sum game; value 0",
             _zero_sum("bilinear-2x2", [[1, -1], [-1, 1]], ("x=+1", "x=-1"), ("y=+1", "y=-1")),
             (_p((F(1, 2), F(1, 2)), (F(1, 2), F(1, 2))),), True, F(0),
             "x = 2p - 1 for the row player's probability p of +1"),
    ZooEntry("three-player-matching-pennies", "Jordan's 3-player matching pennies: unique equilibrium, all mix 1/2",
             _three_player_matching_pennies,
             (_p((F(1, 2), F(1, 2)), (F(1, 2), F(1, 2)), (F(1, 2), F(1, 2))),), True, None, "Jordan (1993)"),
    ZooEntry("public-goods-3", "3-player public goods: keeping is strictly dominant; unique equilibrium all keep",
             _public_goods, (_p((1, 0), (1, 0), (1, 0)),), True, None, "textbook"),
)

_BY_NAME = {entry.name: entry for entry in ENTRIES}


def names() -> tuple[str, ...]:
    return tuple(_BY_NAME)


def entry(name: str) -> ZooEntry:
    """The zoo entry called ``name``; ``KeyError`` lists close names when unknown."""
    return find(_BY_NAME, name, "zoo")


def get(name: str) -> NormalFormGame:
    """Build the zoo game called ``name``."""
    return entry(name).game()


def known_profiles_as_arrays(known: KnownProfile) -> tuple[np.ndarray, ...]:
    """A known profile as float arrays."""
    return tuple(np.array([float(x) for x in s]) for s in known)
