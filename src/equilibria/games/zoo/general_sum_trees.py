"""Classic two-player general-sum game trees whose Nash equilibria are known, each with its source.

Every entry is a :class:`GeneralSumEntry`: a builder returning an :class:`ExtensiveFormGame` and the known
equilibria as :class:`KnownEquilibrium` records (the players' expected payoffs, exactly, and one representative
behaviour profile per equilibrium or connected set of equilibria), with ``complete=True`` when the list covers
every Nash equilibrium of the game. Player 0 moves first; payoffs are utilities to maximise.

- **entry-deterrence** (Selten 1978, the chain-store stage game): an entrant (player 0) stays ``out`` (0, 2)
  or goes ``in``; the incumbent (player 1) then ``fight``\\ s (-1, -1) or ``accommodate``\\ s (1, 1). Nash
  equilibria: the subgame-perfect (in, accommodate), payoffs (1, 1), and the component (out, fight with
  probability at least 1/2), payoffs (0, 2), sustained by a threat that is not credible. Fighting is weakly
  dominated, so only (in, accommodate) is (normal-form) perfect.
- **centipede** (Rosenthal 1981; the four-move version of McKelvey and Palfrey 1992): players alternate
  ``take``/``pass`` over a pot that doubles, player 0 at moves 1 and 3. Taking at moves 1-4 pays (0.40, 0.10),
  (0.20, 0.80), (1.60, 0.40), (0.80, 3.20); passing throughout (6.40, 1.60). In every Nash equilibrium player 0
  takes at once: payoffs (0.40, 0.10) (player 1 must take at move 2 with probability at least 6/7 for player 0 not
  to pass, more if it might pass at move 4).
- **beer-quiche** (Cho and Kreps 1987): chance makes player 0 ``wimp`` (1/10) or ``surly`` (9/10); player 0, who
  knows its type, has ``beer`` or ``quiche`` for breakfast; player 1 sees the breakfast only and chooses ``duel`` or
  ``don't``. Player 0 gets 1 for its preferred breakfast (quiche for a wimp, beer for a surly type) plus 2 if there
  is no duel; player 1 gets 1 for dueling a wimp or not dueling a surly type. Nash equilibria: two pooling
  components and no separating equilibrium (nor any other): both types drink beer, player 1 does not duel after
  beer and duels after quiche with probability at least 1/2, payoffs (29/10, 9/10); or both eat quiche, no duel
  after quiche, duel after beer with probability at least 1/2, payoffs (21/10, 9/10) (the one that fails Cho and
  Kreps' intuitive criterion). Gambit ships the same game as ``contrib/games/e17.efg``.
- **job-market-signalling**: a discrete version of Spence's (1973) signalling model. Chance makes the worker
  (player 0) ``high`` (2/3) or ``low`` (1/3); the worker chooses ``educate`` or ``none``; the employer (player 1)
  sees the education only and hires as ``manager`` (wage 3) or ``clerk`` (wage 1). Education costs 1 to a high
  type and 3 to a low one; the employer gets 1 for a manager of high type or a clerk of low type, else 0.
  Derived here (a low type never educates: it earns at most 0 that way and at least 1 without; the high type's
  education probability ``a`` then leaves three cases): the **separating** equilibrium (``a = 1``; educated:
  manager, uneducated: clerk), payoffs (5/3, 1); the **pooling** component (``a = 0``; uneducated: manager,
  educated: anything), payoffs (3, 2/3); and a **hybrid** (``a = 1/2``; educated: manager, uneducated: manager
  with probability 1/2), payoffs (2, 2/3). These are all of its Nash equilibria.
- **two-stage-prisoners-dilemma**: the prisoner's dilemma (``C``/``D``; (C,C) = (3,3), (C,D) = (0,4), (D,C) =
  (4,0), (D,D) = (1,1)) played twice, the first round observed, payoffs added, as Gambit's ``contrib/games/
  e13.efg``. In every Nash equilibrium both defect in both rounds on the path of play (the last round by
  dominance; a first-round defection gains 1 and no punishment can push a player below its minmax payoff 1),
  payoffs (2, 2).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction as F
from typing import TYPE_CHECKING

import numpy as np

from equilibria.games.extensive_form import Chance, Decision, ExtensiveFormGame, Terminal
from equilibria.games.zoo._lookup import find

if TYPE_CHECKING:
    from equilibria.games.zoo.extensive_form import ExtensiveZooEntry

__all__ = [
    "ENTRIES",
    "GeneralSumEntry",
    "KnownEquilibrium",
    "beer_quiche",
    "centipede",
    "entry",
    "entry_deterrence",
    "get",
    "job_market_signalling",
    "names",
    "two_stage_prisoners_dilemma",
]

Profile = tuple[tuple[str, tuple[F, ...]], ...]


@dataclass(frozen=True)
class KnownEquilibrium:
    """One Nash equilibrium, or one connected set of them with the same payoffs.

    Attributes:
      description: what the players do, in words (the whole set where it is one).
      payoffs: the players' expected payoffs ``(player 0, player 1)``, exact.
      profile: a representative behaviour profile as ``(information set label, probabilities)`` pairs (see
        :func:`equilibria.games.zoo.extensive_form.known_policy`).
      perfect: whether the set contains a normal-form perfect equilibrium (None: not recorded).
    """

    description: str
    payoffs: tuple[F, F]
    profile: Profile
    perfect: bool | None = None


@dataclass(frozen=True)
class GeneralSumEntry:
    """A named two-player general-sum tree and its known equilibria.

    Attributes:
      name: the zoo key (kebab-case).
      description: one line.
      build: returns the game.
      equilibria: the known equilibria (or sets of them).
      complete: True when ``equilibria`` covers every Nash equilibrium of the game.
      reference: where the game and the facts come from.
    """

    name: str
    description: str
    build: Callable[[], ExtensiveFormGame]
    equilibria: tuple[KnownEquilibrium, ...]
    complete: bool
    reference: str

    def game(self) -> ExtensiveFormGame:
        return self.build()

    def policies(self) -> tuple[np.ndarray, ...]:
        """``[n_infoset_actions]`` the representative profile of each known equilibrium, as floats."""
        from equilibria.games.zoo.extensive_form import known_policy  # that module lists these games too

        game = self.build()
        return tuple(known_policy(game, eq.profile) for eq in self.equilibria)

    def payoff_set(self) -> frozenset[tuple[F, F]]:
        """The known equilibrium payoff vectors."""
        return frozenset(eq.payoffs for eq in self.equilibria)

    def zoo_entry(self) -> ExtensiveZooEntry:
        """This game as an entry of :mod:`equilibria.games.zoo.extensive_form` (known equilibrium: the first
        perfect one listed, else the first)."""
        from equilibria.games.zoo.extensive_form import ExtensiveZooEntry  # that module lists these games too

        game = self.build()
        chosen = next((eq for eq in self.equilibria if eq.perfect), self.equilibria[0])
        return ExtensiveZooEntry(name=self.name, description=self.description, build=self.build,
                                 known_equilibrium=chosen.profile, n_nodes=game.n_nodes, n_infosets=game.n_infosets,
                                 reference=self.reference)


def _pair(first: float | F, second: float | F) -> Terminal:
    return Terminal((float(first), float(second)))


# -- the games ---------------------------------------------------------------------------------------------------


def entry_deterrence() -> ExtensiveFormGame:
    """Selten's chain-store stage game (module docstring): sets ``"entrant"``, ``"incumbent"``."""
    root = Decision(0, "entrant", [
        ("out", _pair(0, 2)),
        ("in", Decision(1, "incumbent", [("fight", _pair(-1, -1)), ("accommodate", _pair(1, 1))])),
    ])
    return ExtensiveFormGame.from_tree(root, n_players=2, name="entry-deterrence",
                                       player_labels=("entrant", "incumbent"))


_CENTIPEDE_TAKE = ((F(2, 5), F(1, 10)), (F(1, 5), F(4, 5)), (F(8, 5), F(2, 5)), (F(4, 5), F(16, 5)))
_CENTIPEDE_PASS = (F(32, 5), F(8, 5))


def centipede() -> ExtensiveFormGame:
    """McKelvey and Palfrey's four-move centipede (module docstring): sets ``"move1"`` .. ``"move4"``."""
    node: Decision | Terminal = _pair(*_CENTIPEDE_PASS)
    for move in range(4, 0, -1):
        node = Decision((move - 1) % 2, f"move{move}", [("take", _pair(*_CENTIPEDE_TAKE[move - 1])),
                                                        ("pass", node)])
    return ExtensiveFormGame.from_tree(node, n_players=2, name="centipede")


def beer_quiche() -> ExtensiveFormGame:
    """Cho and Kreps' beer-quiche game (module docstring): sets ``"wimp"``, ``"surly"`` (player 0) and
    ``"beer"``, ``"quiche"`` (player 1, who sees the breakfast)."""

    def breakfast(kind: str, food: str) -> Decision:
        preferred = 1 if (kind == "wimp") == (food == "quiche") else 0
        wimp = 1 if kind == "wimp" else 0
        return Decision(1, food, [("duel", _pair(preferred, wimp)), ("don't", _pair(preferred + 2, 1 - wimp))])

    root = Chance([(p, kind, Decision(0, kind, [(food, breakfast(kind, food)) for food in ("beer", "quiche")]))
                   for p, kind in ((0.1, "wimp"), (0.9, "surly"))])
    return ExtensiveFormGame.from_tree(root, n_players=2, name="beer-quiche", player_labels=("sender", "receiver"))


def job_market_signalling() -> ExtensiveFormGame:
    """The discrete Spence signalling game (module docstring): sets ``"high"``, ``"low"`` (worker) and
    ``"educated"``, ``"uneducated"`` (employer)."""
    wage = {"manager": 3, "clerk": 1}
    cost = {"high": 1, "low": 3}

    def hire(kind: str, educated: bool) -> Decision:
        label = "educated" if educated else "uneducated"
        return Decision(1, label, [
            (job, _pair(wage[job] - (cost[kind] if educated else 0),
                        1 if (job == "manager") == (kind == "high") else 0)) for job in ("manager", "clerk")])

    root = Chance([(p, kind, Decision(0, kind, [("educate", hire(kind, True)), ("none", hire(kind, False))]))
                   for p, kind in ((2 / 3, "high"), (1 / 3, "low"))])
    return ExtensiveFormGame.from_tree(root, n_players=2, name="job-market-signalling",
                                       player_labels=("worker", "employer"))


_PD = {("C", "C"): (3, 3), ("C", "D"): (0, 4), ("D", "C"): (4, 0), ("D", "D"): (1, 1)}


def two_stage_prisoners_dilemma() -> ExtensiveFormGame:
    """The prisoner's dilemma played twice (module docstring): sets ``"round1"`` of each player and
    ``"round2 after XY"`` (``XY``: the first round's moves of players 0 and 1)."""

    def round2(first: tuple[str, str]) -> Decision:
        seen = f"round2 after {first[0]}{first[1]}"
        return Decision(0, f"0: {seen}", [(a, Decision(1, f"1: {seen}", [
            (b, _pair(_PD[first][0] + _PD[a, b][0], _PD[first][1] + _PD[a, b][1])) for b in "CD"])) for a in "CD"])

    root = Decision(0, "0: round1", [(a, Decision(1, "1: round1", [(b, round2((a, b))) for b in "CD"]))
                                     for a in "CD"])
    return ExtensiveFormGame.from_tree(root, n_players=2, name="two-stage-prisoners-dilemma")


def _pure(*choices: tuple[str, int, int]) -> Profile:
    """``(label, chosen action, number of actions)`` triples as a profile of pure choices."""
    return tuple((label, tuple(F(int(a == chosen)) for a in range(width))) for label, chosen, width in choices)


_TWO_STAGE_DEFECT = _pure(("0: round1", 1, 2), ("1: round1", 1, 2),
                          *((f"{p}: round2 after {a}{b}", 1, 2) for a in "CD" for b in "CD" for p in (0, 1)))

ENTRIES: tuple[GeneralSumEntry, ...] = (
    GeneralSumEntry(
        "entry-deterrence", "Selten's chain-store stage game: enter, then fight or accommodate",
        entry_deterrence,
        (KnownEquilibrium("in, accommodate (subgame perfect)", (F(1), F(1)),
                          _pure(("entrant", 1, 2), ("incumbent", 1, 2)), perfect=True),
         KnownEquilibrium("out, fight with probability >= 1/2", (F(0), F(2)),
                          _pure(("entrant", 0, 2), ("incumbent", 0, 2)), perfect=False)),
        complete=True,
        reference="R. Selten (1978), The chain store paradox, Theory and Decision 9: 127-159"),
    GeneralSumEntry(
        "centipede", "McKelvey-Palfrey four-move centipede: every Nash equilibrium takes at once",
        centipede,
        (KnownEquilibrium("player 0 takes at move 1 (player 1 takes at move 2 with probability >= 6/7)",
                          _CENTIPEDE_TAKE[0], _pure(("move1", 0, 2), ("move2", 0, 2), ("move3", 0, 2),
                                                    ("move4", 0, 2)), perfect=True),),
        complete=True,
        reference="R. W. Rosenthal (1981), J. Econ. Theory 25: 92-100; R. D. McKelvey and T. R. Palfrey (1992), "
                  "An experimental study of the centipede game, Econometrica 60: 803-836"),
    GeneralSumEntry(
        "beer-quiche", "Cho-Kreps signalling game: two pooling equilibrium components, no separating one",
        beer_quiche,
        (KnownEquilibrium("pool on beer; after quiche duel with probability >= 1/2", (F(29, 10), F(9, 10)),
                          (("wimp", (F(1), F(0))), ("surly", (F(1), F(0))), ("beer", (F(0), F(1))),
                           ("quiche", (F(1), F(0))))),
         KnownEquilibrium("pool on quiche; after beer duel with probability >= 1/2", (F(21, 10), F(9, 10)),
                          (("wimp", (F(0), F(1))), ("surly", (F(0), F(1))), ("beer", (F(1), F(0))),
                           ("quiche", (F(0), F(1)))))),
        complete=True,
        reference="I.-K. Cho and D. M. Kreps (1987), Signaling games and stable equilibria, Q. J. Econ. 102: "
                  "179-221, Figure I (Gambit: contrib/games/e17.efg)"),
    GeneralSumEntry(
        "job-market-signalling", "discrete Spence signalling: separating, pooling and hybrid equilibria",
        job_market_signalling,
        (KnownEquilibrium("separating: high educates, low does not; educated hired as manager", (F(5, 3), F(1)),
                          (("high", (F(1), F(0))), ("low", (F(0), F(1))), ("educated", (F(1), F(0))),
                           ("uneducated", (F(0), F(1)))), perfect=True),
         KnownEquilibrium("pooling on no education, hired as manager; any reply to education", (F(3), F(2, 3)),
                          (("high", (F(0), F(1))), ("low", (F(0), F(1))), ("educated", (F(0), F(1))),
                           ("uneducated", (F(1), F(0))))),
         KnownEquilibrium("hybrid: high educates with probability 1/2; uneducated manager with probability 1/2",
                          (F(2), F(2, 3)),
                          (("high", (F(1, 2), F(1, 2))), ("low", (F(0), F(1))), ("educated", (F(1), F(0))),
                           ("uneducated", (F(1, 2), F(1, 2)))))),
        complete=True,
        reference="M. Spence (1973), Job market signaling, Q. J. Econ. 87: 355-374 (this discrete version and its "
                  "equilibria are derived in the module docstring)"),
    GeneralSumEntry(
        "two-stage-prisoners-dilemma", "prisoner's dilemma played twice: defection throughout in every equilibrium",
        two_stage_prisoners_dilemma,
        (KnownEquilibrium("both defect in both rounds (on the path of play)", (F(2), F(2)), _TWO_STAGE_DEFECT,
                          perfect=True),),
        complete=True,
        reference="R. D. Luce and H. Raiffa (1957), Games and Decisions, ch. 5 (finitely repeated prisoner's "
                  "dilemma); Gambit: contrib/games/e13.efg"),
)


_BY_NAME = {e.name: e for e in ENTRIES}


def names() -> tuple[str, ...]:
    return tuple(_BY_NAME)


def entry(name: str) -> GeneralSumEntry:
    """The entry called ``name``; ``KeyError`` lists close names when unknown."""
    return find(_BY_NAME, name, "general-sum tree")


def get(name: str) -> ExtensiveFormGame:
    """Build the general-sum tree called ``name``."""
    return entry(name).game()
