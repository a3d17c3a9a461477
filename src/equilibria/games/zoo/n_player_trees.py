"""Classic game trees with three players whose Nash equilibria are known, each with its source.

Behaviour profiles here are flat ``[n_infoset_actions]`` arrays (:mod:`equilibria.games.extensive_form`); every
tree has one information set per player, labelled ``"P1"``, ``"P2"``, ``"P3"``, so ``profile[2 * i + a]`` is the
probability of the ``a``-th action of player ``i`` (players numbered from 0).

- **Selten's horse** (Selten 1975, "Reexamination of the perfectness concept for equilibrium points in extensive
  games", IJGT 4, Figure 1; also Gambit's ``catalog/journals/ijgt/selten1975/fig1.efg``). Player 1 plays
  ``across`` (to player 2) or ``down``; player 2 plays ``across`` (ending the game with (1, 1, 1)) or ``down``;
  player 3, not knowing whether player 1 or player 2 went down, plays ``left`` or ``right``: after player 1's
  ``down`` they give (3, 2, 2) and (0, 0, 0), after player 2's ``down`` (4, 4, 0) and (0, 0, 1). With ``q`` the
  probability of ``left`` and ``r`` that of player 2's ``down``, the Nash equilibria form two components
  (derived in :func:`selten_horse_equilibrium`): **A** = (across, across, ``q <= 1/4``) and **B** = (down,
  ``r <= 2/3``, left). The points of A are sequential and perfect with suitable beliefs of player 3; no point of B
  is (player 2's ``across`` is not optimal against ``left``: a tremble of player 1 would reach player 2, whose
  ``down`` then earns 4 > 1), which is the game's point: subgame perfection cannot rule B out, because the game
  has no proper subgame.
- **Jordan's three-player matching pennies** (Jordan 1993, "Three problems in learning mixed-strategy Nash
  equilibria", GEB 5): each player shows heads or tails without seeing the others (information sets make the
  moves simultaneous); player 1 scores 1 by matching player 2, player 2 by matching player 3, player 3 by
  *mismatching* player 1 (0 otherwise). The unique Nash equilibrium is uniform: a player who plays purely makes
  the previous player round the cycle (3 -> 2 -> 1 -> 3) reply purely, and going once round the cycle, with one
  mismatcher, contradicts the first choice; so every player mixes, and each is made indifferent only by the next
  player mixing half-half.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from equilibria.core.errors import GameError
from equilibria.games.extensive_form import Decision, ExtensiveFormGame, Terminal

__all__ = ["jordan_pennies", "selten_horse", "selten_horse_equilibrium"]

_ACROSS, _DOWN = "across", "down"


def selten_horse() -> ExtensiveFormGame:
    """Selten's horse (see the module docstring): 3 players, 9 nodes, 3 information sets, no proper subgame."""
    def player_3(after: str, left: tuple[int, int, int], right: tuple[int, int, int]) -> Decision:
        return Decision(2, "P3", [("left", Terminal(left, f"{after}, left")),
                                  ("right", Terminal(right, f"{after}, right"))])

    player_2 = Decision(1, "P2", [(_ACROSS, Terminal((1, 1, 1), "across, across")),
                                  (_DOWN, player_3("across, down", (4, 4, 0), (0, 0, 1)))])
    root = Decision(0, "P1", [(_ACROSS, player_2), (_DOWN, player_3("down", (3, 2, 2), (0, 0, 0)))])
    return ExtensiveFormGame.from_tree(root, n_players=3, name="selten-horse",
                                       player_labels=("Player 1", "Player 2", "Player 3"))


def selten_horse_equilibrium(component: str, t: Fraction | float) -> np.ndarray:
    """``[6]`` the point with parameter ``0 <= t <= 1`` of a component of Selten's horse's Nash equilibria.

    ``component="A"``: (across, across, ``left`` with probability ``q = t / 4``). Player 2 is reached and its
    ``across`` (1) must beat ``down`` (``4 q``): ``q <= 1/4``; then player 1's ``across`` (1) beats ``down``
    (``3 q <= 3/4``); player 3 is not reached, so any ``q`` is a best reply.

    ``component="B"``: (down, player 2 ``down`` with probability ``r = 2 t / 3``, left). Player 3 is reached at
    player 1's ``down`` only, where ``left`` earns 2 > 0; player 1's ``down`` (3) must beat ``across``
    (``1 - r + 4 r``): ``r <= 2/3``; player 2 is not reached. Mixed play by player 1 is no equilibrium (both of its
    actions reach player 3, whose reply then forces a contradiction), so A and B are all of them.

    Entries are Fractions (an object array) when ``t`` is a Fraction or an int.
    """
    if component not in ("A", "B"):
        raise GameError(f"selten_horse_equilibrium(component): expected 'A' or 'B', got {component!r}")
    exact = isinstance(t, Fraction | int) and not isinstance(t, bool)
    value = Fraction(t) if exact else float(t)
    if not 0 <= value <= 1:
        raise GameError(f"selten_horse_equilibrium(t): must be in [0, 1], got {t!r}")
    one, zero = (Fraction(1), Fraction(0)) if exact else (1.0, 0.0)
    if component == "A":
        q = value / 4
        entries = [one, zero, one, zero, q, one - q]
    else:
        r = 2 * value / 3
        entries = [zero, one, one - r, r, one, zero]
    return np.array(entries, dtype=object if exact else float)


def jordan_pennies() -> ExtensiveFormGame:
    """Jordan's three-player matching pennies as a tree with simultaneous moves (see the module docstring)."""
    coins = ("heads", "tails")

    def leaf(a: int, b: int, c: int) -> Terminal:
        return Terminal((float(a == b), float(b == c), float(c != a)), f"{coins[a]}, {coins[b]}, {coins[c]}")

    def player_3(a: int, b: int) -> Decision:
        return Decision(2, "P3", [(coins[c], leaf(a, b, c)) for c in range(2)])

    def player_2(a: int) -> Decision:
        return Decision(1, "P2", [(coins[b], player_3(a, b)) for b in range(2)])

    root = Decision(0, "P1", [(coins[a], player_2(a)) for a in range(2)])
    return ExtensiveFormGame.from_tree(root, n_players=3, name="jordan-pennies")
