"""The multi-agent learners by name, as plain data: the command line lists them without importing JAX.

Each entry names the constructor (module and function, imported when the learner is built), fixed keyword
arguments, the games it applies to and one line for help texts. :func:`build` returns the
:class:`~equilibria.applications.marl.base.Learner`; :func:`canonical_learner` resolves what a user typed (any case,
hyphens or underscores, the aliases below) with the closest names suggested for a typo.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from equilibria.core.names import resolve

if TYPE_CHECKING:
    from equilibria.applications.marl.base import Learner


@dataclass(frozen=True)
class LearnerSpec:
    """How to build one learner.

    Attributes:
      name: the canonical name (the learner's own ``name``).
      module, function: the constructor.
      options: fixed keyword arguments of the constructor.
      zero_sum_only: the learner needs a two-player zero-sum game.
      description: one line for help texts.
    """

    name: str
    module: str
    function: str
    options: tuple[tuple[str, Any], ...]
    zero_sum_only: bool
    description: str

    def build(self) -> Learner:
        constructor = getattr(importlib.import_module(self.module), self.function)
        learner: Learner = constructor(**dict(self.options))
        return learner


_INDEPENDENT = "equilibria.applications.marl.independent"
_STAGE = "equilibria.applications.marl.stage_q"
LEARNERS: dict[str, LearnerSpec] = {spec.name: spec for spec in (
    LearnerSpec("independent-q", _INDEPENDENT, "independent_q", (), False,
                "independent Q-learning: each agent learns Q over its own actions (epsilon-greedy)"),
    LearnerSpec("minimax-q", _STAGE, "minimax_q", (), True,
                "minimax-Q (Littman 1994): Q over joint actions, the stage matrix game's value (two-player zero-sum)"),
    LearnerSpec("foe-q", _STAGE, "foe_q", (), True, "foe-Q (Littman 2001): minimax-Q under its other name"),
    LearnerSpec("friend-q", _INDEPENDENT, "friend_q", (), False,
                "friend-Q (Littman 2001): every agent backs up the best joint action"),
    LearnerSpec("nash-q", _STAGE, "nash_q", (), False,
                "Nash-Q (Hu and Wellman 2003), two players: each stage bimatrix game's Nash equilibrium (utilitarian)"),
    LearnerSpec("correlated-q", _STAGE, "correlated_q", (), False,
                "utilitarian correlated-Q (Greenwald and Hall 2003); evaluated as the product of its marginals"),
    LearnerSpec("wolf-phc", _INDEPENDENT, "wolf_phc", (), False,
                "WoLF policy hill climbing (Bowling and Veloso 2002), its current policy evaluated"),
    LearnerSpec("wolf-phc-average", _INDEPENDENT, "wolf_phc", (("average", True),), False,
                "WoLF policy hill climbing, its average policy evaluated (the one that converges)"),
    LearnerSpec("joint-action-learner", "equilibria.applications.marl.joint_action", "joint_action_learner", (),
                False, "joint-action learners with fictitious-play opponent models (Claus and Boutilier 1998)"),
    LearnerSpec("independent-pg", "equilibria.applications.marl.policy_gradient", "independent_pg",
                (("average", False),), True,
                "two-timescale independent policy gradient (Daskalakis, Foster and Golowich 2020), current policies"),
    LearnerSpec("independent-pg-average", "equilibria.applications.marl.policy_gradient", "independent_pg", (),
                True, "two-timescale independent policy gradient, averaged policies (the ones that converge)"),
)}

ALIASES = {
    "iql": "independent-q", "q": "independent-q", "q-learning": "independent-q", "minimax": "minimax-q",
    "foe": "foe-q", "friend": "friend-q", "nash": "nash-q", "ce-q": "correlated-q", "ceq": "correlated-q",
    "uceq": "correlated-q", "wolf": "wolf-phc", "jal": "joint-action-learner", "joint-action": "joint-action-learner",
    "ipg": "independent-pg", "policy-gradient": "independent-pg",
}


def canonical_learner(name: str) -> str:
    """The registry's name for what a user typed; a GameError suggesting the closest names otherwise."""
    return resolve(name, LEARNERS, aliases=ALIASES, kind="learner", listed_by="`equilibria marl --help`")


def help_text() -> str:
    """Every learner as ``name [aliases]: description``, for ``equilibria marl --help``."""
    from equilibria.core.names import with_aliases

    return "; ".join(f"{with_aliases(spec.name, ALIASES)}: {spec.description}" for spec in LEARNERS.values())


__all__ = ["ALIASES", "LEARNERS", "LearnerSpec", "canonical_learner", "help_text"]
