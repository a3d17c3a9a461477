"""Section 4 of benchmarks/extensive_form.py: the sequence-form LP, equilibria's against pygambit's, per game in
floats and exactly, side by side (see that module's docstring for the method)."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from benchmarks._harness import Outcome, library_available, measure, measure_in_child
from equilibria.games.extensive_form import ExtensiveFormGame
from equilibria.games.zoo.extensive_form import entry
from equilibria.metrics.exploitability import exploitability
from equilibria.solvers.sequence_form_lp import sequence_form_lp_solve


@dataclass(frozen=True)
class LPRow:
    game: str
    implementation: str
    seconds: float | None
    value: float | None  # player 0's value of the returned profile
    exploitability: float | None  # by equilibria's checker
    note: str = ""


def gambit_policy(game: ExtensiveFormGame, gambit_game: Any, profile: Any) -> np.ndarray:
    """``[n_infoset_actions]`` a pygambit behaviour profile on our tree (matched by player and set/action label)."""
    index = {(int(game.infoset_player[s]), label): s for s, label in enumerate(game.infoset_labels)}
    policy = np.zeros(game.n_infoset_actions)
    for p, player in enumerate(gambit_game.players):
        for infoset in player.infosets:
            s = index[(p, infoset.label)]
            actions = game.action_labels[s]
            for action in infoset.actions:
                policy[game.infoset_action_offset[s] + actions.index(action.label)] = float(profile[action])
    return policy


def player0_value(game: ExtensiveFormGame, policy: np.ndarray) -> float:
    return float(game.reach_probabilities(policy) @ game.payoffs[:, 0])


def ours_lp(game: ExtensiveFormGame, name: str, rational: bool, repeats: int, cap: float) -> LPRow:
    sequence_form_lp_solve(game, rational=rational)  # warm-up: loads compiled code (as measure's repeats would)
    outcome = measure(lambda: [sequence_form_lp_solve(game, rational=rational)], repeats, cap)
    implementation = f"equilibria sequence_form_lp_solve(rational={rational})"
    if not outcome.profiles:
        return LPRow(name, implementation, None, None, None, outcome.error or "no answer")
    result = outcome.profiles[0]
    if not result.equilibria:
        return LPRow(name, implementation, None, None, None, "no equilibrium returned")
    value = result.parameters["value"]
    note = ""
    if rational:
        exact = Fraction(value)
        shown = str(exact) if len(str(exact)) <= 20 else f"a Fraction of {len(str(abs(exact.numerator)))}-digit " \
                                                         f"and {len(str(exact.denominator))}-digit integers"
        note = f"exact value: {shown}; exact exploitability {result.parameters['exact_exploitability']}"
    policy = np.asarray(result.equilibria[0], dtype=float)
    engine = f"LP by {result.parameters['lp_engine']}"
    return LPRow(name, implementation, outcome.seconds, float(value), exploitability(game, policy),
                 f"{engine}; {note}" if note else engine)


def gambit_lp(game: ExtensiveFormGame, name: str, rational: bool, repeats: int, cap: float) -> LPRow:
    import pygambit

    from equilibria.games.io.efg import dumps_efg

    gambit_game = pygambit.read_efg(io.StringIO(dumps_efg(game)))  # built before the timer and the fork

    def solve() -> list[Any]:
        return list(pygambit.nash.lp_solve(gambit_game, rational=rational).equilibria[:1])

    def convert(found: list[Any]) -> list[np.ndarray]:  # in the child, off the clock (pygambit's objects)
        return [gambit_policy(game, gambit_game, eq) for eq in found]

    outcome: Outcome = measure_in_child(solve, repeats, cap, convert=convert)
    implementation = f"pygambit nash.lp_solve(rational={rational})"
    if outcome.timed_out:
        return LPRow(name, implementation, None, None, None, f"not finished in {cap:g} s")
    if not outcome.profiles:
        return LPRow(name, implementation, None, None, None, outcome.error or "no equilibrium returned")
    policy = outcome.profiles[0]
    return LPRow(name, implementation, outcome.seconds, player0_value(game, policy), exploitability(game, policy))


def run_lp(games: dict[str, ExtensiveFormGame], lp_games: Sequence[str], repeats: int, cap: float,
           log: Callable[[str], None]) -> list[LPRow]:
    """Per game in ``lp_games`` (built unless in ``games``): ours in floats, pygambit in floats, ours exactly,
    pygambit exactly (side by side); ``repeats`` and ``cap`` as in :func:`benchmarks._harness.measure`."""
    rows = []
    for name in lp_games:
        game = games.get(name) or entry(name).build()
        for rational in (False, True):
            log(f"LP on {name}: equilibria rational={rational}")
            rows.append(ours_lp(game, name, rational, repeats, cap))
            implementation = f"pygambit nash.lp_solve(rational={rational})"
            if not library_available("pygambit"):
                rows.append(LPRow(name, implementation, None, None, None, "pygambit not installed: skipped"))
            elif rational and rows[-2].seconds is None:
                rows.append(LPRow(name, implementation, None, None, None,
                                  "not run: the float solve did not finish either"))
            else:
                log(f"LP on {name}: pygambit rational={rational}")
                rows.append(gambit_lp(game, name, rational, repeats, cap))
    return rows


