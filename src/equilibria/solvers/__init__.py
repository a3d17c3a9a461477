"""Equilibrium solvers: ``<method>_solve(game, *, ...) -> SolveResult``, one module per algorithm.

Normal-form solvers:

=====================  =============  ==================================================================
method                 games          finds
=====================  =============  ==================================================================
zero_sum_lp            2-player, c-s  one minimax equilibrium (HiGHS LP), game value
lemke_howson           2-player       one equilibrium per starting label (lexicographic pivoting)
support_enumeration    2-player       all equilibria of nondegenerate games
vertex_enumeration     2-player       all extreme equilibria, degenerate games included
pure                   n-player       all pure equilibria
qre                    n-player       the limiting logit equilibrium (QRE path tracing, refined)
correlated             n-player       a welfare-maximising (or user-objective) correlated equilibrium
coarse_correlated      n-player       likewise, coarse correlated
=====================  =============  ==================================================================

:func:`solve` picks a method from the game's properties when none is given and checks a named method applies.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from equilibria.core.errors import GameError, NotApplicableError
from equilibria.core.result import SolveResult
from equilibria.games.normal_form import NormalFormGame


@dataclass(frozen=True)
class SolverSpec:
    """How to reach one solver and what it needs.

    Attributes:
      name: canonical method name (also ``SolveResult.method``).
      module, function: where the ``*_solve`` function lives (imported on first use).
      two_player_only: the solver needs a bimatrix game.
      finds_all: the solver enumerates all (extreme) equilibria of its class.
      exact: the solver accepts ``rational=True``.
      description: one line for help texts.
    """

    name: str
    module: str
    function: str
    two_player_only: bool
    finds_all: bool
    exact: bool
    description: str

    def load(self) -> Callable[..., SolveResult]:
        solver: Callable[..., SolveResult] = getattr(importlib.import_module(self.module), self.function)
        return solver


SOLVERS: dict[str, SolverSpec] = {
    spec.name: spec
    for spec in (
        SolverSpec("zero_sum_lp", "equilibria.solvers.zero_sum_lp", "zero_sum_lp_solve", True, False, True,
                   "minimax LP for two-player zero-sum (constant-sum) games"),
        SolverSpec("lemke_howson", "equilibria.solvers.lemke_howson", "lemke_howson_solve", True, False, True,
                   "Lemke-Howson pivoting from one (or every) starting label"),
        SolverSpec("support_enumeration", "equilibria.solvers.support_enumeration", "support_enumeration_solve",
                   True, True, False, "all equilibria of nondegenerate bimatrix games"),
        SolverSpec("vertex_enumeration", "equilibria.solvers.vertex_enumeration", "vertex_enumeration_solve",
                   True, True, True, "all extreme equilibria of any bimatrix game"),
        SolverSpec("pure", "equilibria.solvers.pure", "pure_solve", False, True, False,
                   "all pure-strategy equilibria, any number of players"),
        SolverSpec("qre", "equilibria.solvers.qre", "qre_solve", False, False, False,
                   "logit QRE path tracing refined to a Nash equilibrium, any number of players"),
        SolverSpec("correlated", "equilibria.solvers.correlated_lp", "correlated_solve", False, False, False,
                   "welfare-maximising correlated equilibrium LP"),
        SolverSpec("coarse_correlated", "equilibria.solvers.correlated_lp", "coarse_correlated_solve", False,
                   False, False, "welfare-maximising coarse correlated equilibrium LP"),
    )
}

ALIASES = {
    "lp": "zero_sum_lp", "minimax": "zero_sum_lp", "lh": "lemke_howson", "support": "support_enumeration",
    "vertex": "vertex_enumeration", "enummixed": "vertex_enumeration", "ce": "correlated",
    "cce": "coarse_correlated", "logit": "qre",
}


def canonical_method(method: str) -> str:
    """The canonical solver name for ``method`` (hyphens or underscores, aliases such as ``lh``, ``lp``, ``ce``)."""
    key = method.strip().lower().replace("-", "_")
    key = ALIASES.get(key, key)
    if key not in SOLVERS:
        raise GameError(f"unknown method {method!r}; choose one of: {', '.join(SOLVERS)}")
    return key


def choose_method(game: NormalFormGame, *, all_equilibria: bool = False) -> str:
    """The default method for a game: complete enumeration for ``all_equilibria``, else the fastest exact one."""
    if game.n_players == 2:
        if all_equilibria:
            return "vertex_enumeration"
        return "zero_sum_lp" if game.is_constant_sum() else "lemke_howson"
    if all_equilibria:
        raise GameError(
            f"all equilibria: enumeration needs a two-player game, this one has {game.n_players} players; "
            "use method 'pure' for all pure equilibria or 'qre' for one mixed equilibrium"
        )
    return "qre"


def solve(game: Any, method: str | None = None, *, all_equilibria: bool = False, rational: bool = False,
          max_seconds: float | None = None) -> SolveResult:
    """Solve a normal-form game with ``method`` (chosen by :func:`choose_method` when None).

    Raises:
      GameError: unknown method, or a method that does not apply to this game (the message says which does).
    """
    if not isinstance(game, NormalFormGame):
        raise GameError(f"solve(game): expected a NormalFormGame, got {type(game).__name__}")
    name = choose_method(game, all_equilibria=all_equilibria) if method is None else canonical_method(method)
    spec = SOLVERS[name]
    if spec.two_player_only and game.n_players != 2:
        raise NotApplicableError(
            f"method {name!r} needs a two-player game, this one has {game.n_players} players; "
            "use 'qre', 'pure', 'correlated' or 'coarse_correlated'"
        )
    if all_equilibria and not spec.finds_all and name != "lemke_howson":
        raise NotApplicableError(
            f"method {name!r} finds one equilibrium; for all of them use 'vertex_enumeration' (two players) "
            "or 'pure' (pure equilibria of any game)"
        )
    if rational and not spec.exact:
        raise NotApplicableError(
            f"method {name!r} has no exact mode; exact solvers: "
            + ", ".join(s.name for s in SOLVERS.values() if s.exact)
        )
    options: dict[str, Any] = {}
    if rational:
        options["rational"] = True
    if name == "lemke_howson" and all_equilibria:
        options["all_labels"] = True
    if max_seconds is not None and name != "pure":  # enumerating pure profiles is one vectorised pass
        options["max_seconds"] = max_seconds
    return spec.load()(game, **options)


__all__ = ["ALIASES", "SOLVERS", "SolverSpec", "canonical_method", "choose_method", "solve"]
