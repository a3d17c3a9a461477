"""Level-k and cognitive hierarchy reasoning on normal-form games, and the p-beauty contest.

Opponent modelling's regress ("I think you think I think ...") cut at a finite depth. Conventions (written once):

- **Level-k** (Nagel 1995; Stahl and Wilson 1995): level 0 plays ``level0`` (uniform over each player's actions
  unless given); a level-k player best-responds to every other player playing level ``k - 1``. Ties are split
  uniformly among the pure best responses (within ``1e-9`` of the best, relative to the payoff scale). In an
  asymmetric game each player has its own level-k strategy: :func:`level_k` returns a profile (one strategy per
  player).
- **Cognitive hierarchy** (Camerer, Ho and Chong 2004, "A cognitive hierarchy model of games", QJE 119(3)): step
  frequencies ``f(k) = Poisson(tau)``; a step-k player (``k >= 1``) believes the others are drawn independently from
  the normalised frequencies of steps ``0..k-1``, ``g_k(h) = f(h) / sum_{l<k} f(l)``, and best-responds to that
  mixture (ties split uniformly). Levels above ``max_level`` are dropped; the population's aggregate play is the
  ``f``-weighted mixture of the levels renormalised over ``0..max_level``.
- **The p-beauty contest** (Moulin 1986; Nagel 1995). :func:`p_beauty_contest` is the finite game (each player names
  an integer in ``0..n_numbers-1``; the target is ``p`` times the mean of all the numbers; the players closest to it
  split a prize of 1): its payoff tensor has ``n_numbers ** n_players`` entries, so only small instances fit.
  :func:`beauty_contest_level_k` and :func:`beauty_contest_cognitive_hierarchy` use the large-population analysis
  of the literature instead (Nagel 1995; Camerer, Ho and Chong 2004): a player's own number does not move the mean,
  and the mean of many others drawn from a belief concentrates at the belief's mean, so the best response to a
  belief is ``p`` times its mean (a real number in ``[low, high]``). Level 0 is uniform on ``[low, high]`` (mean
  ``(low + high) / 2``, 50 for 0..100); level k names ``p^k 50``, which tends to 0, the unique Nash equilibrium.
  The two models differ: with two players the finite game's lower number always wins when ``p < 1``, so its level 1
  already names 0.

NumPy throughout (these are small, one-shot computations).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from equilibria.core.errors import GameError
from equilibria.games.normal_form import NormalFormGame

# Pure replies within this of the best (relative to the payoff scale) are tied best responses.
_TIE_TOL = 1e-9
# The largest payoff tensor p_beauty_contest builds (entries over all players).
_MAX_ENTRIES = 20_000_000


class CognitiveHierarchy(NamedTuple):
    """:func:`cognitive_hierarchy`'s answer.

    Attributes:
      levels: ``levels[k]`` the step-k profile (one strategy ``[n_actions[i]]`` per player), ``k = 0..max_level``.
      frequencies: ``[max_level + 1]`` the Poisson(tau) frequencies renormalised over the kept levels.
      aggregate: the population's profile, ``sum_k frequencies[k] levels[k]`` per player.
    """

    levels: tuple[tuple[np.ndarray, ...], ...]
    frequencies: np.ndarray
    aggregate: tuple[np.ndarray, ...]


def _checked_game(game: Any, caller: str) -> NormalFormGame:
    if not isinstance(game, NormalFormGame):
        raise GameError(f"{caller}(game): expected a NormalFormGame, got {type(game).__name__}")
    return game


def _level0(game: NormalFormGame, level0: Sequence[Any] | None, caller: str) -> tuple[np.ndarray, ...]:
    if level0 is None:
        return tuple(np.full(n, 1.0 / n) for n in game.n_actions)
    return tuple(np.asarray(s, dtype=float) for s in game.check_profile(level0, f"{caller}(level0)"))


def _uniform_best_response(game: NormalFormGame, profile: Sequence[np.ndarray], player: int) -> np.ndarray:
    """Uniform over ``player``'s pure best responses to the others in ``profile`` (ties split)."""
    best = game.best_responses(profile, player, tol=_TIE_TOL)
    strategy = np.zeros(game.n_actions[player])
    strategy[best] = 1.0 / best.size
    return strategy


def _best_response_profile(game: NormalFormGame, beliefs: Sequence[np.ndarray]) -> tuple[np.ndarray, ...]:
    """Each player's uniform best response to the others playing ``beliefs``."""
    return tuple(_uniform_best_response(game, beliefs, i) for i in range(game.n_players))


def _checked_level(value: Any, argument: str, caller: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise GameError(f"{caller}({argument}): expected an integer >= 0, got {value!r}")
    return int(value)


def level_k_path(game: Any, k: int, *, level0: Sequence[Any] | None = None) -> tuple[tuple[np.ndarray, ...], ...]:
    """The level-0 to level-k profiles, ``k + 1`` of them (module docstring)."""
    game = _checked_game(game, "level_k")
    k = _checked_level(k, "k", "level_k")
    path = [_level0(game, level0, "level_k")]
    for _ in range(k):
        path.append(_best_response_profile(game, path[-1]))
    return tuple(path)


def level_k(game: Any, k: int, *, level0: Sequence[Any] | None = None) -> tuple[np.ndarray, ...]:
    """The level-k profile of a normal-form game: one strategy ``[n_actions[i]]`` per player (module docstring).

    Args:
      game: a NormalFormGame (any number of players).
      k: the level, ``>= 0``.
      level0: the level-0 profile (default uniform for every player).
    """
    return level_k_path(game, k, level0=level0)[-1]


def poisson_frequencies(tau: float, max_level: int) -> np.ndarray:
    """``[max_level + 1]``: Poisson(tau) probabilities of steps ``0..max_level``, renormalised to sum to 1."""
    if isinstance(tau, bool) or not isinstance(tau, int | float) or not math.isfinite(tau) or tau <= 0:
        raise GameError(f"cognitive_hierarchy(tau): expected a number > 0, got {tau!r}")
    max_level = _checked_level(max_level, "max_level", "cognitive_hierarchy")
    steps = np.arange(max_level + 1)
    log_f = steps * math.log(tau) - tau - np.array([math.lgamma(k + 1) for k in steps])
    f = np.exp(log_f - log_f.max())
    return f / f.sum()


def cognitive_hierarchy(game: Any, tau: float, *, max_level: int,
                        level0: Sequence[Any] | None = None) -> CognitiveHierarchy:
    """Camerer, Ho and Chong's (2004) cognitive hierarchy with Poisson(``tau``) steps (module docstring).

    Args:
      game: a NormalFormGame.
      tau: the mean number of thinking steps (the paper finds about 1.5 fits many games).
      max_level: the highest step computed.
      level0: step 0's profile (default uniform).
    """
    game = _checked_game(game, "cognitive_hierarchy")
    frequencies = poisson_frequencies(tau, max_level)
    levels = [_level0(game, level0, "cognitive_hierarchy")]
    for k in range(1, max_level + 1):
        weights = frequencies[:k] / frequencies[:k].sum()
        # Each other player is believed drawn from the lower steps: its belief strategy is their weighted mixture.
        beliefs = tuple(sum(w * level[i] for w, level in zip(weights, levels, strict=True))
                        for i in range(game.n_players))
        levels.append(_best_response_profile(game, beliefs))
    aggregate = tuple(sum(f * level[i] for f, level in zip(frequencies, levels, strict=True))
                      for i in range(game.n_players))
    return CognitiveHierarchy(tuple(levels), frequencies, aggregate)


def p_beauty_contest(n_players: int, n_numbers: int, p: float) -> NormalFormGame:
    """The finite p-beauty contest (module docstring): payoffs ``[n_players, n_numbers, ..., n_numbers]``.

    Each player names an integer in ``0..n_numbers-1``; the target is ``p`` times the mean of all named numbers;
    the players whose numbers are closest to it split a prize of 1 (all tie: each gets ``1 / n_players``).

    Args:
      n_players: at least 2.
      n_numbers: at least 2; ``n_players * n_numbers ** n_players`` must stay within 2e7 entries.
      p: the multiplier, in ``(0, 1]`` usually (any number ``>= 0`` is accepted).
    """
    for argument, value in (("n_players", n_players), ("n_numbers", n_numbers)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 2:
            raise GameError(f"p_beauty_contest({argument}): expected an integer >= 2, got {value!r}")
    if isinstance(p, bool) or not isinstance(p, int | float) or not math.isfinite(p) or p < 0:
        raise GameError(f"p_beauty_contest(p): expected a number >= 0, got {p!r}")
    if n_players * float(n_numbers) ** n_players > _MAX_ENTRIES:
        raise GameError(f"p_beauty_contest(n_players, n_numbers): {n_players} players with {n_numbers} numbers need "
                        f"{n_players * n_numbers ** n_players:.3g} payoff entries (at most {_MAX_ENTRIES:.0e}); use "
                        "beauty_contest_level_k / beauty_contest_cognitive_hierarchy for the large-population model")
    grids = np.meshgrid(*([np.arange(n_numbers, dtype=float)] * n_players), indexing="ij")
    choices = np.stack(grids)  # [n_players, *shape]
    target = p * choices.mean(axis=0)
    distance = np.abs(choices - target)
    # Ties are exact in exact arithmetic; compare with a rounding margin so equal distances tie in floats too.
    closest = distance <= distance.min(axis=0) + 1e-9 * max(1.0, n_numbers)
    payoffs = closest / closest.sum(axis=0)
    return NormalFormGame(payoffs, name=f"{p:g}-beauty contest ({n_players} players, 0..{n_numbers - 1})")


def _checked_contest(p: float, low: float, high: float, caller: str) -> None:
    if isinstance(p, bool) or not isinstance(p, int | float) or not math.isfinite(p) or p < 0:
        raise GameError(f"{caller}(p): expected a number >= 0, got {p!r}")
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise GameError(f"{caller}(low, high): expected finite low < high, got {low!r}, {high!r}")


def beauty_contest_level_k(p: float, max_level: int, *, low: float = 0.0, high: float = 100.0) -> np.ndarray:
    """``[max_level + 1]``: the number each level names in the large-population p-beauty contest (module
    docstring): level 0's mean ``(low + high) / 2``, then ``guess_k = clip(p * guess_{k-1}, low, high)``."""
    _checked_contest(p, low, high, "beauty_contest_level_k")
    max_level = _checked_level(max_level, "max_level", "beauty_contest_level_k")
    guesses = np.empty(max_level + 1)
    guesses[0] = (low + high) / 2
    for k in range(1, max_level + 1):
        guesses[k] = min(max(p * guesses[k - 1], low), high)
    return guesses


def beauty_contest_cognitive_hierarchy(p: float, tau: float, max_level: int, *, low: float = 0.0,
                                       high: float = 100.0) -> tuple[np.ndarray, np.ndarray, float]:
    """The large-population p-beauty contest under cognitive hierarchy (module docstring).

    Step k (``>= 1``) names ``p`` times the mean it expects, ``sum_{h<k} g_k(h) mean_h`` with ``mean_0 = (low +
    high) / 2`` and ``mean_h`` step h's number (clipped to ``[low, high]``).

    Returns:
      ``(guesses [max_level + 1], frequencies [max_level + 1], mean)``: each step's number (step 0's is its mean),
      the renormalised Poisson(tau) frequencies, and the population's mean number.
    """
    _checked_contest(p, low, high, "beauty_contest_cognitive_hierarchy")
    frequencies = poisson_frequencies(tau, max_level)
    guesses = np.empty(max_level + 1)
    guesses[0] = (low + high) / 2
    for k in range(1, max_level + 1):
        weights = frequencies[:k] / frequencies[:k].sum()
        guesses[k] = min(max(p * float(weights @ guesses[:k]), low), high)
    return guesses, frequencies, float(frequencies @ guesses)


__all__ = ["CognitiveHierarchy", "beauty_contest_cognitive_hierarchy", "beauty_contest_level_k",
           "cognitive_hierarchy", "level_k", "level_k_path", "p_beauty_contest", "poisson_frequencies"]
