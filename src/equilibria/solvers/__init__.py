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
polynomial_enumeration n-player       all isolated equilibria of small games (supports x polynomial systems), exact
simplicial_subdivision n-player       one equilibrium (simplicial subdivision with restarts, refined)
qre                    n-player       the limiting logit equilibrium (QRE path tracing, refined)
correlated             n-player       a welfare-maximising (or user-objective) correlated equilibrium
coarse_correlated      n-player       likewise, coarse correlated
=====================  =============  ==================================================================

Extensive-form solvers (certificate: exploitability):

=====================  =============  ==================================================================
backward_induction     perfect info   a subgame-perfect equilibrium, n players, chance allowed
minimax                perfect info   two-player zero-sum minimax (``expectiminimax`` with chance nodes)
alphabeta              perfect info   the minimax value and strategy, pruning (``trace=True`` for events)
sequence_form_lp       2-player z-s   a Nash equilibrium and the value (HiGHS LP over sequences), exact mode
sequence_form_lemke    2-player       a Nash equilibrium of a general-sum tree (Lemke on the sequence-form LCP), exact
agent_qre              n-player       a Nash equilibrium (agent logit QRE tracing in behaviour strategies, refined)
cfr, cfr+, linear_cfr, any            approximate: the average strategy of a CFR variant (Nash in 2-player zero-sum,
dcfr, pcfr+, mccfr_*                  only a coarse correlated equilibrium otherwise)
=====================  =============  ==================================================================

Stochastic-game solvers (certificate: exploitability, the largest best-response gain over players and states):

=====================  =============  ==================================================================
shapley                2-player z-s   Shapley value iteration: a stationary minimax profile and the values, exact mode
hoffman_karp           2-player z-s   Hoffman-Karp policy iteration: the same
nash_value_iteration   n-player       HEURISTIC: value iteration with a Nash selector per stage game
ce_value_iteration     n-player       HEURISTIC: value iteration with a correlated-equilibrium selector
=====================  =============  ==================================================================

:func:`solve` picks a method from the game's properties when none is given and checks a named method applies.

**One vocabulary.** ``solve(game, method, all_equilibria=..., rational=..., max_iterations=..., max_seconds=...)``
uses the keyword names the solvers use, and the command line spells them the same way (``--all-equilibria``,
``--rational``, ``--max-iterations``, ``--max-seconds``; ``--all`` stays as an alias). ``max_iterations`` is a
budget in the method's own unit (Lemke-Howson and Lemke: pivots; support and polynomial enumeration: supports;
vertex enumeration: bases; simplicial subdivision: label evaluations; QRE tracing: path steps; CFR: iterations;
stochastic games: value-iteration sweeps or policy improvements).
Methods without an iterative budget (the LPs, pure-profile enumeration, tree search) refuse it with a
:class:`NotApplicableError` naming the methods that take it, rather than ignore a limit the caller relies on;
``max_seconds`` applies to every method.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from equilibria.core.errors import GameError, NotApplicableError
from equilibria.core.names import closest, lookup_table, name_key
from equilibria.core.result import SolveResult
from equilibria.games.normal_form import NormalFormGame

if TYPE_CHECKING:  # imported where a tree is solved: listing the solvers (--help) need not load the tree module
    from equilibria.games.extensive_form import ExtensiveFormGame
    from equilibria.games.mean_field import MeanFieldGame
    from equilibria.games.mean_field_stationary import StationaryMeanFieldGame
    from equilibria.games.stochastic import StochasticGame

NORMAL_FORM, EXTENSIVE_FORM, STOCHASTIC, MEAN_FIELD = "normal_form", "extensive_form", "stochastic", "mean_field"
MEAN_FIELD_STATIONARY = "mean_field_stationary"
# agent_qre.MAX_INFOSET_ACTIONS, written here so that choosing a method does not import the solver.
_AGENT_QRE_MAX_ACTIONS = 2000


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
      game_kind: ``"normal_form"`` or ``"extensive_form"``.
      options: fixed keyword arguments (a CFR variant's name).
      traces: the solver accepts ``trace=True`` (search events).
      iterative: the solver takes a ``max_iterations`` budget.
    """

    name: str
    module: str
    function: str
    two_player_only: bool
    finds_all: bool
    exact: bool
    description: str
    game_kind: str = NORMAL_FORM
    options: tuple[tuple[str, Any], ...] = ()
    traces: bool = False
    iterative: bool = False

    def load(self) -> Callable[..., SolveResult]:
        solver: Callable[..., SolveResult] = getattr(importlib.import_module(self.module), self.function)
        return solver


SOLVERS: dict[str, SolverSpec] = {
    spec.name: spec
    for spec in (
        SolverSpec("zero_sum_lp", "equilibria.solvers.zero_sum_lp", "zero_sum_lp_solve", True, False, True,
                   "minimax LP for two-player zero-sum (constant-sum) games"),
        SolverSpec("lemke_howson", "equilibria.solvers.lemke_howson", "lemke_howson_solve", True, False, True,
                   "Lemke-Howson pivoting from one (or every) starting label", iterative=True),
        SolverSpec("support_enumeration", "equilibria.solvers.support_enumeration", "support_enumeration_solve",
                   True, True, False, "all equilibria of nondegenerate bimatrix games", iterative=True),
        SolverSpec("vertex_enumeration", "equilibria.solvers.vertex_enumeration", "vertex_enumeration_solve",
                   True, True, True, "all extreme equilibria of any bimatrix game", iterative=True),
        SolverSpec("pure", "equilibria.solvers.pure", "pure_solve", False, True, False,
                   "all pure-strategy equilibria, any number of players"),
        SolverSpec("polynomial_enumeration", "equilibria.solvers.polynomial_enumeration",
                   "polynomial_enumeration_solve", False, True, True,
                   "all isolated equilibria of small n-player games (support enumeration with polynomial systems)",
                   iterative=True),
        SolverSpec("simplicial_subdivision", "equilibria.solvers.simplicial_subdivision",
                   "simplicial_subdivision_solve", False, False, False,
                   "one equilibrium of any game: simplicial subdivision with restarts, refined on its support",
                   iterative=True),
        SolverSpec("qre", "equilibria.solvers.qre", "qre_solve", False, False, False,
                   "logit QRE path tracing refined to a Nash equilibrium, any number of players", iterative=True),
        SolverSpec("correlated", "equilibria.solvers.correlated_lp", "correlated_solve", False, False, False,
                   "welfare-maximising correlated equilibrium LP"),
        SolverSpec("coarse_correlated", "equilibria.solvers.correlated_lp", "coarse_correlated_solve", False,
                   False, False, "welfare-maximising coarse correlated equilibrium LP"),
        SolverSpec("backward_induction", "equilibria.solvers.tree_search", "backward_induction_solve", False, False,
                   False, "subgame-perfect equilibrium of a perfect-information tree", EXTENSIVE_FORM, traces=True),
        SolverSpec("minimax", "equilibria.solvers.tree_search", "minimax_solve", True, False, False,
                   "minimax of a two-player zero-sum perfect-information tree without chance", EXTENSIVE_FORM,
                   traces=True),
        SolverSpec("expectiminimax", "equilibria.solvers.tree_search", "expectiminimax_solve", True, False, False,
                   "expectiminimax: minimax with chance nodes averaged", EXTENSIVE_FORM, traces=True),
        SolverSpec("alphabeta", "equilibria.solvers.tree_search", "alphabeta_solve", True, False, False,
                   "alpha-beta search with move ordering, two-player zero-sum perfect information", EXTENSIVE_FORM,
                   traces=True),
        SolverSpec("sequence_form_lp", "equilibria.solvers.sequence_form_lp", "sequence_form_lp_solve", True,
                   False, True, "sequence-form LP of a two-player zero-sum game (HiGHS)", EXTENSIVE_FORM),
        SolverSpec("sequence_form_lemke", "equilibria.solvers.sequence_form_lemke", "sequence_form_lemke_solve",
                   True, False, True, "Lemke's algorithm on the sequence form: a Nash equilibrium of any two-player "
                   "tree (general-sum)", EXTENSIVE_FORM, iterative=True),
        SolverSpec("agent_qre", "equilibria.solvers.agent_qre", "agent_qre_solve", False, False, False,
                   "agent logit QRE tracing refined to a Nash equilibrium, any number of players", EXTENSIVE_FORM,
                   iterative=True),
        *(SolverSpec(name, "equilibria.solvers.cfr", "cfr_solve", False, False, False, description, EXTENSIVE_FORM,
                     (("variant", variant),), iterative=True)
          for name, variant, description in (
              ("cfr", "cfr", "approximate: vanilla counterfactual regret minimisation (average strategy; Nash in "
                             "two-player zero-sum games, a coarse correlated equilibrium otherwise)"),
              ("cfr+", "cfr+", "CFR+ (regret matching+, linear averaging, alternating updates)"),
              ("linear_cfr", "linear", "linear CFR"),
              ("dcfr", "dcfr", "discounted CFR (alpha=1.5, beta=0, gamma=2)"),
              ("pcfr+", "pcfr+", "predictive CFR+"),
              ("mccfr_external", "mccfr-external", "Monte Carlo CFR, external sampling"),
              ("mccfr_outcome", "mccfr-outcome", "Monte Carlo CFR, outcome sampling"),
          )),
        SolverSpec("shapley", "equilibria.solvers.shapley", "shapley_solve", True, False, True,
                   "Shapley value iteration: a stationary minimax profile of a two-player zero-sum stochastic game",
                   STOCHASTIC, iterative=True),
        SolverSpec("hoffman_karp", "equilibria.solvers.stochastic_policy_iteration", "hoffman_karp_solve", True,
                   False, False, "Hoffman-Karp policy iteration, two-player zero-sum stochastic games", STOCHASTIC,
                   iterative=True),
        SolverSpec("nash_value_iteration", "equilibria.solvers.stochastic_general_sum",
                   "stochastic_value_iteration_solve", False, False, False,
                   "heuristic: value iteration with a Nash equilibrium of each stage game (general-sum; certified, "
                   "may cycle)", STOCHASTIC, (("selector", "nash"),), iterative=True),
        SolverSpec("ce_value_iteration", "equilibria.solvers.stochastic_general_sum",
                   "stochastic_value_iteration_solve", False, False, False,
                   "heuristic: value iteration with a correlated equilibrium of each stage game", STOCHASTIC,
                   (("selector", "correlated"),), iterative=True),
        SolverSpec("online_mirror_descent", "equilibria.solvers.mean_field_mirror_descent",
                   "online_mirror_descent_solve", False, False, False,
                   "online mirror descent (Perolat et al. 2022): softmax of cumulative Q-values, last iterate; "
                   "converges on monotone mean-field games", MEAN_FIELD, iterative=True),
        SolverSpec("fictitious_play", "equilibria.solvers.mean_field_fictitious_play",
                   "mean_field_fictitious_play_solve", False, False, False,
                   "fictitious play (Perrin et al. 2020): flow-weighted average of best responses; converges on "
                   "monotone mean-field games", MEAN_FIELD, iterative=True),
        SolverSpec("fixed_point", "equilibria.solvers.mean_field_fixed_point", "mean_field_fixed_point_solve",
                   False, False, False, "heuristic: damped best-response iteration (cycles on rock-paper-scissors)",
                   MEAN_FIELD, iterative=True),
        SolverSpec("boltzmann_iteration", "equilibria.solvers.mean_field_fixed_point", "boltzmann_iteration_solve",
                   False, False, False, "heuristic: Boltzmann iteration softmax(Q*/temperature), damped and "
                   "annealed (Cui and Koeppl 2021)", MEAN_FIELD, iterative=True),
        SolverSpec("boltzmann_iteration_regularised", "equilibria.solvers.mean_field_fixed_point",
                   "boltzmann_iteration_solve", False, False, False,
                   "heuristic: entropy-regularised fixed point (soft best response), damped and annealed",
                   MEAN_FIELD, (("regularised", True),), iterative=True),
        SolverSpec("prior_descent", "equilibria.solvers.mean_field_fixed_point", "prior_descent_solve", False,
                   False, False, "heuristic: prior descent (Cui and Koeppl 2021; mfglib's schedule)", MEAN_FIELD,
                   iterative=True),
        SolverSpec("mean_field_control", "equilibria.solvers.mean_field_control", "mean_field_control_solve",
                   False, False, False, "the social optimum (mean-field control): policy mirror ascent through "
                   "the flow, a first-order stationary point", MEAN_FIELD, iterative=True),
        SolverSpec("stationary_online_mirror_descent", "equilibria.solvers.mean_field_stationary",
                   "stationary_online_mirror_descent_solve", False, False, False,
                   "online mirror descent on a stationary discounted mean-field game (stationary policy, its "
                   "stationary distribution); converges on monotone games", MEAN_FIELD_STATIONARY, iterative=True),
        SolverSpec("stationary_fictitious_play", "equilibria.solvers.mean_field_stationary",
                   "stationary_fictitious_play_solve", False, False, False,
                   "fictitious play on a stationary discounted mean-field game", MEAN_FIELD_STATIONARY,
                   iterative=True),
        SolverSpec("stationary_fixed_point", "equilibria.solvers.mean_field_stationary",
                   "stationary_fixed_point_solve", False, False, False,
                   "heuristic: damped best-response iteration on a stationary game (cycles on SIS)",
                   MEAN_FIELD_STATIONARY, iterative=True),
        SolverSpec("stationary_boltzmann_iteration", "equilibria.solvers.mean_field_stationary",
                   "stationary_boltzmann_iteration_solve", False, False, False,
                   "heuristic: Boltzmann iteration on a stationary game, damped and annealed",
                   MEAN_FIELD_STATIONARY, iterative=True),
        SolverSpec("stationary_boltzmann_iteration_regularised", "equilibria.solvers.mean_field_stationary",
                   "stationary_boltzmann_iteration_solve", False, False, False,
                   "heuristic: entropy-regularised fixed point on a stationary game", MEAN_FIELD_STATIONARY,
                   (("regularised", True),), iterative=True),
    )
}

ALIASES = {
    "lp": "zero_sum_lp", "minimax": "zero_sum_lp", "lh": "lemke_howson", "support": "support_enumeration",
    "vertex": "vertex_enumeration", "enummixed": "vertex_enumeration", "ce": "correlated",
    "cce": "coarse_correlated", "logit": "qre", "enumpoly": "polynomial_enumeration",
    "polynomial": "polynomial_enumeration", "simpdiv": "simplicial_subdivision", "simplicial": "simplicial_subdivision",
    "ve": "vertex_enumeration", "se": "support_enumeration", "lemke": "lemke_howson", "pure_nash": "pure",
}
# Names that mean something else on a game tree ("minimax" is tree search there, not the matrix-game LP).
TREE_ALIASES = {
    "lp": "sequence_form_lp", "sequence_form": "sequence_form_lp", "alpha_beta": "alphabeta",
    "spe": "backward_induction", "cfrplus": "cfr+", "cfr_plus": "cfr+",
    "pcfr": "pcfr+", "predictive_cfr+": "pcfr+", "linear": "linear_cfr", "discounted_cfr": "dcfr",
    "mccfr": "mccfr_external", "lemke": "sequence_form_lemke", "lcp": "sequence_form_lemke",
    "qre": "agent_qre", "logit": "agent_qre", "agent_logit": "agent_qre",
}


# On stochastic games.
STOCHASTIC_ALIASES = {
    "vi": "shapley", "value_iteration": "shapley", "shapley_vi": "shapley", "minimax": "shapley",
    "pi": "hoffman_karp", "policy_iteration": "hoffman_karp", "hk": "hoffman_karp",
    "nash_vi": "nash_value_iteration", "nash": "nash_value_iteration",
    "ce_vi": "ce_value_iteration", "correlated_vi": "ce_value_iteration", "ce": "ce_value_iteration",
}
# On mean-field games.
MEAN_FIELD_ALIASES = {
    "omd": "online_mirror_descent", "mirror_descent": "online_mirror_descent", "md": "online_mirror_descent",
    "fp": "fictitious_play", "damped_fixed_point": "fixed_point", "boltzmann": "boltzmann_iteration",
    "entropy_regularised": "boltzmann_iteration_regularised", "entropy_regularized": "boltzmann_iteration_regularised",
    "pd": "prior_descent", "mfc": "mean_field_control", "social_optimum": "mean_field_control",
    "control": "mean_field_control",
}
# On stationary discounted mean-field games: the finite-horizon names mean the stationary solvers there.
STATIONARY_MEAN_FIELD_ALIASES = {
    "omd": "stationary_online_mirror_descent", "online_mirror_descent": "stationary_online_mirror_descent",
    "mirror_descent": "stationary_online_mirror_descent", "md": "stationary_online_mirror_descent",
    "fp": "stationary_fictitious_play", "fictitious_play": "stationary_fictitious_play",
    "fixed_point": "stationary_fixed_point", "damped_fixed_point": "stationary_fixed_point",
    "boltzmann": "stationary_boltzmann_iteration", "boltzmann_iteration": "stationary_boltzmann_iteration",
    "boltzmann_iteration_regularised": "stationary_boltzmann_iteration_regularised",
    "entropy_regularised": "stationary_boltzmann_iteration_regularised",
    "entropy_regularized": "stationary_boltzmann_iteration_regularised",
}
ALIASES_BY_KIND = {NORMAL_FORM: ALIASES, EXTENSIVE_FORM: TREE_ALIASES, STOCHASTIC: STOCHASTIC_ALIASES,
                   MEAN_FIELD: MEAN_FIELD_ALIASES, MEAN_FIELD_STATIONARY: STATIONARY_MEAN_FIELD_ALIASES}
DEFAULT_METHOD = {MEAN_FIELD: "online_mirror_descent", MEAN_FIELD_STATIONARY: "stationary_online_mirror_descent"}


def canonical_method(method: str, game_kind: str = NORMAL_FORM) -> str:
    """The canonical solver name for ``method`` on a game of ``game_kind`` (any case, hyphens or underscores,
    aliases such as ``lh``, ``lp``, ``ce``; on trees ``minimax`` is tree search and ``lp`` the sequence-form LP, on
    stochastic games ``vi`` is Shapley's value iteration); an unknown name's error suggests the closest ones
    (:mod:`equilibria.core.names`)."""
    known = [name for name, spec in SOLVERS.items() if spec.game_kind == game_kind]
    table = lookup_table(known, ALIASES_BY_KIND[game_kind])
    if name_key(method) in table:
        return table[name_key(method)]
    for other_kind, other_aliases in ALIASES_BY_KIND.items():
        other = [name for name, spec in SOLVERS.items() if spec.game_kind == other_kind]
        if other_kind != game_kind and name_key(method) in lookup_table(other, other_aliases):
            raise GameError(f"unknown method {method!r} for {game_kind.replace('_', '-')} games ({method!r} is a "
                            f"method for {other_kind.replace('_', '-')} games); choose one of: {', '.join(known)}")
    close = closest(method, table)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    raise GameError(f"unknown method {method!r}{hint} (choose one of: {', '.join(known)})")


def choose_tree_method(game: ExtensiveFormGame) -> str:
    """The default method for a game tree, always one that reaches Nash: backward induction with perfect
    information, the sequence-form LP for two-player zero-sum games, sequence-form Lemke for other two-player
    games, agent QRE tracing for three or more players. CFR, which only reaches a coarse correlated equilibrium
    there, is the default only for n-player trees too large for agent QRE's dense Jacobian, and says so: its
    result is certified by its exploitability like any other."""
    if game.is_perfect_information:
        return "backward_induction"
    if game.n_players == 2:
        return "sequence_form_lp" if game.is_zero_sum() else "sequence_form_lemke"
    return "agent_qre" if game.n_infoset_actions <= _AGENT_QRE_MAX_ACTIONS else "cfr+"


def choose_method(game: NormalFormGame, *, all_equilibria: bool = False) -> str:
    """The default method for a game: complete enumeration for ``all_equilibria``, else the fastest exact one."""
    if game.n_players == 2:
        if all_equilibria:
            return "vertex_enumeration"
        return "zero_sum_lp" if game.is_constant_sum() else "lemke_howson"
    if all_equilibria:
        return "polynomial_enumeration"
    return "simplicial_subdivision"


MAX_ITERATIONS = 2**63 - 1  # compiled solvers count pivots in int64


def solve(game: Any, method: str | None = None, *, all_equilibria: bool = False, rational: bool = False,
          max_iterations: int | None = None, max_seconds: float | None = None, trace: bool = False) -> SolveResult:
    """Solve a normal-form or extensive-form game with ``method`` (chosen from the game when None).

    Args:
      game: a :class:`NormalFormGame` or :class:`ExtensiveFormGame`.
      method: a method name or alias (module docstring); None chooses from the game.
      all_equilibria: every equilibrium (every extreme one) the method's class allows; normal form only.
      rational: exact fractions (exact methods only).
      max_iterations: a budget in the method's own unit (module docstring), passed to methods that take one;
        a method without one refuses it (:class:`NotApplicableError`). None: the method's default.
      max_seconds: a wall-clock budget, every method.
      trace: the search's events (tree search only).

    Raises:
      GameError: unknown method, a bad budget, or a method that does not apply to this game or option (the message
        says which does).
    """
    if max_iterations is not None and (isinstance(max_iterations, bool) or not isinstance(max_iterations, int)
                                       or not 1 <= max_iterations <= MAX_ITERATIONS):
        raise GameError(f"solve: max_iterations must be an integer in [1, 2^63 - 1] or None, got {max_iterations!r}")
    from equilibria.games.extensive_form import ExtensiveFormGame
    from equilibria.games.stochastic import StochasticGame

    if isinstance(game, ExtensiveFormGame):
        return _solve_tree(game, method, all_equilibria=all_equilibria, rational=rational,
                           max_iterations=max_iterations, max_seconds=max_seconds, trace=trace)
    from equilibria.games.mean_field import MeanFieldGame
    from equilibria.games.mean_field_stationary import StationaryMeanFieldGame

    if isinstance(game, MeanFieldGame | StationaryMeanFieldGame):
        return _solve_mean_field(game, method, all_equilibria=all_equilibria, rational=rational,
                                 max_iterations=max_iterations, max_seconds=max_seconds, trace=trace)
    if isinstance(game, StochasticGame):
        return _solve_stochastic(game, method, all_equilibria=all_equilibria, rational=rational,
                                 max_iterations=max_iterations, max_seconds=max_seconds, trace=trace)
    if not isinstance(game, NormalFormGame):
        raise GameError(f"solve(game): expected a NormalFormGame, ExtensiveFormGame, StochasticGame or "
                        f"MeanFieldGame, got {type(game).__name__}")
    if trace:
        raise NotApplicableError("solve: trace is for tree search (alphabeta, minimax, backward_induction) on "
                                 "extensive-form games")
    name = choose_method(game, all_equilibria=all_equilibria) if method is None else canonical_method(method)
    spec = SOLVERS[name]
    if spec.two_player_only and game.n_players != 2:
        raise NotApplicableError(
            f"method {name!r} needs a two-player game, this one has {game.n_players} players; use "
            "'simplicial_subdivision' or 'qre' (one equilibrium), 'polynomial_enumeration' (all), 'pure', "
            "'correlated' or 'coarse_correlated'"
        )
    if all_equilibria and not spec.finds_all and name != "lemke_howson":
        raise NotApplicableError(
            f"method {name!r} finds one equilibrium; for all of them use 'vertex_enumeration' (two players), "
            "'polynomial_enumeration' (any number of players) or 'pure' (pure equilibria of any game)"
        )
    _check_exact(spec, rational)
    _check_iterative(spec, max_iterations, chosen=method is None)
    options: dict[str, Any] = {}
    if rational:
        options["rational"] = True
    if name == "lemke_howson" and all_equilibria:
        options["all_labels"] = True
    if max_iterations is not None:
        options["max_iterations"] = max_iterations
    if max_seconds is not None and name != "pure":  # enumerating pure profiles is one vectorised pass
        options["max_seconds"] = max_seconds
    return spec.load()(game, **options)


def _check_exact(spec: SolverSpec, rational: bool) -> None:
    if rational and not spec.exact:
        raise NotApplicableError(
            f"method {spec.name!r} has no exact mode; exact solvers: "
            + ", ".join(s.name for s in SOLVERS.values() if s.exact and s.game_kind == spec.game_kind)
        )


def _check_iterative(spec: SolverSpec, max_iterations: int | None, *, chosen: bool) -> None:
    if max_iterations is None or spec.iterative:
        return
    which = f"the default method for this game, {spec.name!r}," if chosen else f"method {spec.name!r}"
    raise NotApplicableError(
        f"{which} has no iteration budget (max_iterations); use max_seconds, or a method that takes one: "
        + ", ".join(s.name for s in SOLVERS.values() if s.iterative and s.game_kind == spec.game_kind)
    )


def _solve_tree(game: ExtensiveFormGame, method: str | None, *, all_equilibria: bool, rational: bool,
                max_iterations: int | None, max_seconds: float | None, trace: bool) -> SolveResult:
    name = choose_tree_method(game) if method is None else canonical_method(method, EXTENSIVE_FORM)
    spec = SOLVERS[name]
    if all_equilibria:
        raise NotApplicableError("all equilibria: not available for game trees; convert with "
                                 "equilibria.games.sequence_form.reduced_normal_form and use vertex_enumeration")
    _check_exact(spec, rational)
    if trace and not spec.traces:
        raise NotApplicableError(f"method {name!r} has no trace; tracing methods: "
                                 + ", ".join(s.name for s in SOLVERS.values() if s.traces))
    _check_iterative(spec, max_iterations, chosen=method is None)
    options: dict[str, Any] = dict(spec.options)
    if rational:
        options["rational"] = True
    if trace:
        options["trace"] = True
    if max_iterations is not None:  # cfr_solve's budget is max_iterations too (its old name iterations is deprecated)
        options["max_iterations"] = max_iterations
    if max_seconds is not None:
        options["max_seconds"] = max_seconds
    return spec.load()(game, **options)


def choose_stochastic_method(game: StochasticGame) -> str:
    """The default method for a stochastic game: Shapley's value iteration for two-player zero-sum games (exact
    values, certified); otherwise the Nash value-iteration heuristic, whose result is exactly as good as its
    certificate (stationary equilibria of general-sum games are hard to compute, and value iteration can cycle)."""
    from equilibria.solvers._stochastic import ZERO_SUM_RTOL

    return "shapley" if game.is_zero_sum(ZERO_SUM_RTOL) else "nash_value_iteration"


def _solve_stochastic(game: StochasticGame, method: str | None, *, all_equilibria: bool, rational: bool,
                      max_iterations: int | None, max_seconds: float | None, trace: bool) -> SolveResult:
    name = choose_stochastic_method(game) if method is None else canonical_method(method, STOCHASTIC)
    spec = SOLVERS[name]
    if all_equilibria:
        raise NotApplicableError("all equilibria: not available for stochastic games (the solvers find one "
                                 "stationary equilibrium)")
    if trace:
        raise NotApplicableError("solve: trace is for tree search on extensive-form games")
    from equilibria.solvers._stochastic import ZERO_SUM_RTOL

    if spec.two_player_only and not game.is_zero_sum(ZERO_SUM_RTOL):
        raise NotApplicableError(f"method {name!r} needs a two-player zero-sum stochastic game; for general-sum "
                                 "games use 'nash_value_iteration' or 'ce_value_iteration' (heuristics)")
    _check_exact(spec, rational)
    _check_iterative(spec, max_iterations, chosen=method is None)
    options: dict[str, Any] = dict(spec.options)
    if rational:
        options["rational"] = True
    if max_iterations is not None:
        options["max_iterations"] = max_iterations
    if max_seconds is not None:
        options["max_seconds"] = max_seconds
    return spec.load()(game, **options)


def mean_field_kind(game: Any) -> str:
    """``MEAN_FIELD`` (finite horizon) or ``MEAN_FIELD_STATIONARY`` (stationary discounted) for a mean-field game."""
    from equilibria.games.mean_field_stationary import StationaryMeanFieldGame

    return MEAN_FIELD_STATIONARY if isinstance(game, StationaryMeanFieldGame) else MEAN_FIELD


def _solve_mean_field(game: MeanFieldGame | StationaryMeanFieldGame, method: str | None, *, all_equilibria: bool,
                      rational: bool, max_iterations: int | None, max_seconds: float | None,
                      trace: bool) -> SolveResult:
    """Online mirror descent by default: it converges on monotone games and its last iterate is the answer."""
    kind = mean_field_kind(game)
    name = DEFAULT_METHOD[kind] if method is None else canonical_method(method, kind)
    spec = SOLVERS[name]
    if all_equilibria or rational or trace:
        which = "all_equilibria" if all_equilibria else "rational" if rational else "trace"
        raise NotApplicableError(f"solve: {which} is not available for mean-field games (the solvers find one "
                                 "equilibrium, in floating point, certified by its exploitability)")
    options: dict[str, Any] = dict(spec.options)
    if max_iterations is not None:
        options["max_iterations"] = max_iterations
    if max_seconds is not None:
        options["max_seconds"] = max_seconds
    return spec.load()(game, **options)


__all__ = ["ALIASES", "MAX_ITERATIONS", "MEAN_FIELD", "MEAN_FIELD_ALIASES", "MEAN_FIELD_STATIONARY", "SOLVERS",
           "STATIONARY_MEAN_FIELD_ALIASES", "STOCHASTIC_ALIASES",
           "TREE_ALIASES", "SolverSpec", "canonical_method", "choose_method", "choose_stochastic_method",
           "choose_tree_method", "mean_field_kind", "solve"]
