"""Counterfactual regret minimisation (CFR) and its variants for extensive-form games.

Every information set ``I`` of player ``p`` runs its own regret minimiser over ``I``'s actions, fed with the
**counterfactual values** ``v(I, a)`` (the utility of playing ``a`` at ``I`` and following the current profile
afterwards, weighted by the probability that chance and the other players reach ``I``). The instantaneous regret is
``r(I, a) = v(I, a) - sum_b pi(I, b) v(I, b)``; the **average policy** weights each iteration's policy at ``I`` by
``p``'s own probability of reaching ``I`` (and by an iteration weight ``w_t``). In two-player zero-sum games the
average policy's exploitability goes to 0 (Zinkevich et al. 2007), so it converges to the Nash equilibria. In
general-sum or n-player games CFR still runs and every player's regret still vanishes, but that only makes the
empirical distribution of *joint* play approach the coarse correlated equilibria (a CCE-like set); the returned
average behaviour profile need not be a Nash equilibrium, and its certificate (NashConv / n_players) says how far it
is.

Variants (``variant=``, or a :class:`CFRVariant` of one's own):

- ``"cfr"``: vanilla CFR with regret matching, uniform averaging (Zinkevich, Johanson, Bowling and Piccione 2007).
  With alternating updates it is the algorithm of OpenSpiel's ``CFRSolver`` (uniform initial policy, average
  weighted by the player's own reach) and reproduces its figures: on Leduc poker the exploitability after 100
  iterations to 1e-14 and after 1000 iterations (0.0118178) to 1e-6 (the two sum in different orders, and
  regret matching amplifies round-off over the iterations: perturbing the payoffs by 1e-15 moves that figure by
  about 1e-6). CFR+, linear CFR and DCFR reproduce OpenSpiel's solvers in the same way.
- ``"cfr+"``: regret matching+ (cumulative regrets floored at 0), linear averaging ``w_t = max(t - d, 0)`` with
  delay ``d`` (default 0), alternating updates (Tammelin 2014; Tammelin, Burch, Johanson and Bowling 2015).
- ``"linear"``: linear CFR, iteration ``t``'s regrets and policy weighted by ``t`` (Brown and Sandholm 2019).
- ``"dcfr"``: discounted CFR(alpha=1.5, beta=0, gamma=2): after iteration ``t`` the positive cumulative regrets are
  multiplied by ``t^alpha / (t^alpha + 1)``, the negative ones by ``t^beta / (t^beta + 1)``, and the average weights
  iteration ``t`` by ``t^gamma`` (Brown and Sandholm 2019).
- ``"pcfr+"``: predictive CFR+ (Farina, Kroer and Sandholm 2021): predictive regret matching+ at every set, which
  predicts the next instantaneous regret by the last one ``r`` and plays ``[R + r]^+`` normalised (``R`` the
  cumulative regret floored at 0), with quadratic averaging ``w_t = t^2``.
- ``"mccfr-external"``, ``"mccfr-outcome"``: Monte Carlo CFR (Lanctot, Waugh, Zinkevich and Bowling 2009) with
  regret matching. External sampling draws one pure strategy for chance and every player but the updating one per
  iteration (one action per information set, one outcome per chance node), so the sampled counterfactual values are
  unbiased; the average is accumulated exactly (own-reach weighted, as in CFR) since the sweep has every realization
  plan at hand. Outcome sampling draws one terminal history per update, the updating player exploring with
  probability ``exploration`` (default 0.6), and uses stochastically weighted averaging at the updating player's
  information sets on the sampled path. Randomness: iteration ``t`` draws from
  ``numpy.random.default_rng([seed, t])``, so a run is reproducible from its seed and independent of how the loop is
  driven.

Updates are **alternating** by default (player 0's regrets and policy are updated, then player 1's against player
0's new policy, ..., as OpenSpiel's solvers do) or simultaneous (``alternating=False``: every player against the same
profile).

The building blocks are pure functions over an explicit state, in the style of optax: ``state = cfr_init(game)``,
``state = cfr_update(game, state)`` repeatedly, then :func:`average_policy` / :func:`current_policy` (flat
``[n_infoset_actions]`` behaviour profiles, see :mod:`equilibria.games.extensive_form`). :func:`cfr_solve` runs that
loop under an iteration/time budget and certifies the average policy by its exploitability. The time budget
includes the certificate: before the loop, :func:`cfr_solve` times one evaluation of a profile (the certificate's
work, linear in the tree) and stops iterating when the next iteration (as long as the last one) would leave less
than twice that (see :mod:`equilibria.solvers._extensive` for the certificate's own time limit).

Each iteration is vectorised (no per-node recursion): counterfactual values come from one ``bincount`` over the
terminals and one bottom-up sweep per own depth of the player's sequence tree (see
:mod:`equilibria.solvers._cfr_tree`). The full-width variants run that iteration as one compiled call where it
reproduces those array operations bit for bit (:mod:`equilibria.solvers._cfr_fast`: every tree whose sets have at
most 8 actions, e.g. Kuhn and Leduc poker), which on small trees removes the per-call cost of some 60 numpy calls;
:func:`cfr_solve` under ``max_seconds`` uses it only once its compiled code is loaded, never waiting for it.
"""

from __future__ import annotations

import math
import numbers
import time
import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from equilibria.core.errors import GameError
from equilibria.core.result import SolveResult
from equilibria.metrics.exploitability import ensure_evaluation_compiled, payoffs_and_best_responses
from equilibria.solvers import _cfr_fast as fast
from equilibria.solvers import _cfr_tree as kernels
from equilibria.solvers._cfr_sampling import outcome_sampling_regrets
from equilibria.solvers._common import Budget
from equilibria.solvers._extensive import behaviour_result, require_extensive_form

DEFAULT_ITERATIONS = 1000
# Time kept for the certificate: twice a timed evaluation of a profile, plus this (the result's assembly).
_RESERVE_FLOOR = 2e-3
_SAMPLING = (None, "external", "outcome")


@dataclass(frozen=True)
class CFRVariant:
    """The rules that tell the CFR variants apart (the named ones are in :data:`VARIANTS`).

    Attributes:
      name: a label, recorded in results.
      regret_floor: regret matching+: cumulative regrets are floored at 0 after every update.
      discount: ``(alpha, beta)``: after iteration ``t`` multiply positive cumulative regrets by
        ``t^alpha / (t^alpha + 1)`` and negative ones by ``t^beta / (t^beta + 1)`` (DCFR; ``(1, 1)`` is linear CFR).
      average_power, average_delay: iteration ``t``'s policy enters the average with weight
        ``(t - delay)^power`` for ``t > delay`` and 0 before.
      predictive: predictive regret matching(+), predicting the next instantaneous regrets by the last (PCFR+).
      sampling: ``None`` (full-width CFR), ``"external"`` or ``"outcome"`` (Monte Carlo CFR).
      exploration: outcome sampling's probability of exploring uniformly at the updating player's sets.
    """

    name: str
    regret_floor: bool = False
    discount: tuple[float, float] | None = None
    average_power: float = 0.0
    average_delay: int = 0
    predictive: bool = False
    sampling: str | None = None
    exploration: float = 0.6

    def __post_init__(self) -> None:
        if self.sampling not in _SAMPLING:
            raise GameError(f"CFRVariant(sampling): expected one of {_SAMPLING}, got {self.sampling!r}")
        if not (math.isfinite(self.average_power) and self.average_power >= 0):
            raise GameError(f"CFRVariant(average_power): must be finite and >= 0, got {self.average_power!r}")
        if not isinstance(self.average_delay, numbers.Integral) or self.average_delay < 0:
            raise GameError(f"CFRVariant(average_delay): must be an integer >= 0, got {self.average_delay!r}")
        if not 0 < self.exploration <= 1:
            raise GameError(f"CFRVariant(exploration): must be in (0, 1], got {self.exploration!r}")
        if self.discount is not None and (len(self.discount) != 2
                                          or not all(math.isfinite(d) for d in self.discount)):
            raise GameError(f"CFRVariant(discount): expected (alpha, beta) finite, got {self.discount!r}")

    def average_weight(self, t: int) -> float:
        """The weight of iteration ``t``'s policy (1-based) in the average."""
        return 0.0 if t <= self.average_delay else float(t - self.average_delay) ** self.average_power


VARIANTS: Mapping[str, CFRVariant] = {
    "cfr": CFRVariant("cfr"),
    "cfr+": CFRVariant("cfr+", regret_floor=True, average_power=1.0),
    "linear": CFRVariant("linear", discount=(1.0, 1.0), average_power=1.0),
    "dcfr": CFRVariant("dcfr", discount=(1.5, 0.0), average_power=2.0),
    "pcfr+": CFRVariant("pcfr+", regret_floor=True, predictive=True, average_power=2.0),
    "mccfr-external": CFRVariant("mccfr-external", sampling="external"),
    "mccfr-outcome": CFRVariant("mccfr-outcome", sampling="outcome"),
}
# SolveResult.method of each named variant (the solver table's names); "cfr" for variants of one's own
_METHODS = {"cfr": "cfr", "cfr+": "cfr+", "linear": "linear_cfr", "dcfr": "dcfr", "pcfr+": "pcfr+",
            "mccfr-external": "mccfr_external", "mccfr-outcome": "mccfr_outcome"}


@dataclass(frozen=True, eq=False)
class CFRState:
    """Everything a CFR run carries between iterations (arrays are flat ``[n_infoset_actions]``).

    Attributes:
      variant: the update rules.
      alternating: alternating (True) or simultaneous updates.
      iteration: iterations done so far.
      regrets: cumulative (floored / discounted) counterfactual regrets.
      policy_sum: the weighted sum of own-reach times policy that :func:`average_policy` normalises.
      policy: the current policy, the one the next iteration plays.
      prediction: PCFR+'s prediction, the last instantaneous regrets (zeros for the other variants).
      seed: the sampling variants' seed (iteration ``t`` uses ``default_rng([seed, t])``).
    """

    variant: CFRVariant
    alternating: bool
    iteration: int
    regrets: np.ndarray
    policy_sum: np.ndarray
    policy: np.ndarray
    prediction: np.ndarray
    seed: int
    tree: kernels.SequenceTree = field(repr=False)


def cfr_init(game: Any, variant: str | CFRVariant = "cfr+", *, alternating: bool = True,
             seed: int | None = None) -> CFRState:
    """The state before the first iteration: zero regrets, uniform current policy.

    Args:
      game: an ExtensiveFormGame (any number of players, zero-sum or not).
      variant: a name from :data:`VARIANTS` or a :class:`CFRVariant`.
      alternating: alternating (default) or simultaneous updates.
      seed: for the sampling variants; ``None`` draws fresh entropy from the operating system.
    """
    game = require_extensive_form(game, "cfr_init(game)")
    rules = _variant(variant, "cfr_init(variant)")
    n = game.n_infoset_actions
    return CFRState(variant=rules, alternating=_flag(alternating, "cfr_init(alternating)"), iteration=0,
                    regrets=np.zeros(n),
                    policy_sum=np.zeros(n), policy=game.uniform_policy(), prediction=np.zeros(n),
                    seed=_seed(seed, "cfr_init(seed)"), tree=kernels.sequence_tree(game))


def cfr_update(game: Any, state: CFRState) -> CFRState:
    """One CFR iteration (one update of every player); returns a new state, ``state`` is left unchanged."""
    return _update(_checked_tree(game, state, "cfr_update"), state, compiled=True)


def _update(seq: kernels.SequenceTree, state: CFRState, *, compiled: bool) -> CFRState:
    """:func:`cfr_update` on a checked state; ``compiled``: by the compiled whole iteration where the tree has one
    (:mod:`equilibria.solvers._cfr_fast`: the same numbers as the array sweeps, bit for bit)."""
    rules = state.variant
    t = state.iteration + 1
    regrets, policy_sum, policy = state.regrets.copy(), state.policy_sum.copy(), state.policy.copy()
    prediction = state.prediction.copy()
    if compiled and seq.fast is not None and rules.sampling is None:
        positive = negative = 1.0
        if rules.discount is not None:
            alpha, beta = (float(t) ** d for d in rules.discount)
            positive, negative = alpha / (alpha + 1), beta / (beta + 1)
        fast.iterate(seq.fast, regrets, policy_sum, policy, prediction, rules.average_weight(t),
                     rules.discount is not None, positive, negative, rules.regret_floor, rules.predictive,
                     state.alternating)
        return CFRState(rules, state.alternating, t, regrets, policy_sum, policy, prediction, state.seed, seq)
    local = [policy[tree.actions] for tree in seq.players]
    plans = [kernels.realization_plan(tree, pol) for tree, pol in zip(seq.players, local, strict=True)]
    rng = np.random.default_rng([state.seed, t]) if rules.sampling else None
    weight = rules.average_weight(t)
    pending = []
    for tree in seq.players:
        if tree.n_actions == 0:
            continue
        r = _instantaneous_regrets(seq, tree, rules, local, plans, policy, policy_sum, weight, rng)
        if state.alternating:
            _apply(tree, rules, t, r, regrets, prediction, policy, local, plans)
        else:
            pending.append((tree, r))
    for tree, r in pending:
        _apply(tree, rules, t, r, regrets, prediction, policy, local, plans)
    return replace(state, iteration=t, regrets=regrets, policy_sum=policy_sum, policy=policy, prediction=prediction)


def average_policy(state: CFRState) -> np.ndarray:
    """``[n_infoset_actions]`` the average policy (uniform at sets the player never reached)."""
    out = np.zeros_like(state.policy_sum)
    for tree in state.tree.players:
        out[tree.actions] = kernels.normalise(tree, state.policy_sum[tree.actions])
    return out


def current_policy(state: CFRState) -> np.ndarray:
    """``[n_infoset_actions]`` the current policy (regret matching of the cumulative regrets)."""
    return state.policy.copy()


def cfr_solve(game: Any, *, variant: str | CFRVariant = "cfr+", max_iterations: int | None = None,
              max_seconds: float | None = None, target_exploitability: float | None = None,
              alternating: bool = True, check_every: int = 10, seed: int | None = None,
              iterations: int | None = None) -> SolveResult:
    """Run a CFR variant and return its average policy, certified by its exploitability.

    Args:
      game: an ExtensiveFormGame. Two-player zero-sum: the average converges to a Nash equilibrium. Otherwise CFR
        still runs (see the module docstring: only a CCE-like guarantee on joint play).
      variant: a name from :data:`VARIANTS` (default ``"cfr+"``) or a :class:`CFRVariant`.
      max_iterations: at most this many iterations (default 1000 when ``max_seconds`` is not given either).
      max_seconds: wall-clock budget, the certificate included (module docstring); at least one iteration runs.
      target_exploitability: stop as soon as the average policy's exploitability (NashConv / n_players) is at most
        this; checked every ``check_every`` iterations (a check costs about one iteration) and at the end.
      alternating: alternating (default) or simultaneous updates.
      check_every: iterations between exploitability checks.
      seed: for the sampling variants.
      iterations: deprecated name of ``max_iterations`` (a DeprecationWarning).

    Returns:
      A SolveResult with one equilibrium, the average policy (flat ``[n_infoset_actions]``); ``method`` is the
      solver table's name of the variant (``"cfr+"``, ``"linear_cfr"``, ``"mccfr_external"``, ...; ``"cfr"`` for a
      CFRVariant of one's own); ``iterations`` counts CFR iterations; ``converged`` is True exactly when
      ``target_exploitability`` was given and met (and the certificate was computed in time).
    """
    budget = Budget()
    if iterations is not None:
        warnings.warn("cfr_solve(iterations=...) is deprecated; use max_iterations=...", DeprecationWarning,
                      stacklevel=2)
        if max_iterations is not None:
            raise GameError("cfr_solve(iterations): give max_iterations only (iterations is its deprecated name)")
        max_iterations = iterations
    game = require_extensive_form(game, "cfr_solve(game)")
    rules = _variant(variant, "cfr_solve(variant)")
    max_iterations = _positive_int(max_iterations, "cfr_solve(max_iterations)")
    every = _positive_int(check_every, "cfr_solve(check_every)")
    if every is None:
        raise GameError("cfr_solve(check_every): expected a positive integer, got None")
    max_seconds = _positive_number(max_seconds, "cfr_solve(max_seconds)", allow_zero=False)
    target = _positive_number(target_exploitability, "cfr_solve(target_exploitability)", allow_zero=True)
    alternating = _flag(alternating, "cfr_solve(alternating)")
    seed = _seed(seed, "cfr_solve(seed)")
    if max_iterations is None and max_seconds is None:
        max_iterations = DEFAULT_ITERATIONS
    budget = Budget(max_iterations=max_iterations, max_seconds=max_seconds, started=budget.started)
    parameters = {"variant": rules.name, "rules": asdict(rules), "alternating": alternating,
                  "max_iterations": max_iterations, "max_seconds": max_seconds, "target_exploitability": target,
                  "check_every": every, "seed": seed}
    method = _METHODS.get(rules.name, "cfr") if VARIANTS.get(rules.name) == rules else "cfr"
    if max_seconds is not None:  # the first compilations take seconds: within the budget (other processes)
        compilation = kernels.ensure_kernels(kernels.sequence_tree(game), max(0.0, max_seconds - budget.elapsed()))
        if compilation.ready:  # the certificate's, which _certificate_seconds times
            compilation = ensure_evaluation_compiled(game, budget.started + max_seconds)
        if not compilation.ready:
            parameters["stopped_because"] = f"max_seconds={max_seconds:g} reached while compiling: {compilation.note}"
            return behaviour_result(game, method, [], parameters=parameters, iterations=0, budget=budget,
                                    converged=False)
    state = cfr_init(game, rules, alternating=alternating, seed=seed)
    # Under a time limit the compiled iteration is used only once loaded (never waiting for its compilation; the
    # array sweeps give the same numbers meanwhile).
    compiled = max_seconds is None or (
        state.tree.fast is not None and rules.sampling is None
        and fast.prepare(state.tree.fast, max_seconds - budget.elapsed()))
    reserve = 0.0 if max_seconds is None else _certificate_seconds(game, state.policy)
    converged, last, early = False, 0.0, False
    while state.iteration == 0 or not budget.exhausted(state.iteration):  # at least one iteration (docstring)
        if max_seconds is not None and state.iteration and budget.elapsed() + last + reserve > max_seconds:
            early = True  # the next iteration would eat into the certificate's time
            break
        clock = time.perf_counter()
        state = _update(state.tree, state, compiled=compiled)
        if target is not None and state.iteration % every == 0 and _exploitability(state) <= target:
            converged = True
            break
        last = time.perf_counter() - clock
    if target is not None and not converged:
        converged = _exploitability(state) <= target
    parameters.update(alternating=state.alternating, seed=state.seed)
    if not converged:
        if early:
            parameters["stopped_because"] = (f"max_seconds={max_seconds:g}: no time left for another iteration and "
                                             "the certificate")
        elif target is None:
            parameters["stopped_because"] = (f"{budget.stop_reason(state.iteration)} (no target_exploitability "
                                             "given: CFR converges only in the limit)")
        elif budget.exhausted(state.iteration):
            parameters["stopped_because"] = (f"{budget.stop_reason(state.iteration)} before exploitability "
                                             f"{target:g}")
        else:
            parameters["stopped_because"] = f"exploitability above target_exploitability={target:g}"
    return behaviour_result(game, method, [average_policy(state)], parameters=parameters,
                            iterations=state.iteration, budget=budget, converged=converged)


def _certificate_seconds(game: Any, policy: np.ndarray) -> float:
    """The time to keep for the certificate: twice one evaluation of ``policy`` (timed again if the first one
    loaded the evaluation's kernels), plus :data:`_RESERVE_FLOOR`."""
    seconds = 0.0
    for _ in range(2):
        clock = time.perf_counter()
        payoffs_and_best_responses(game, policy, checked=True)
        seconds = time.perf_counter() - clock
        if seconds <= _RESERVE_FLOOR:
            break
    return 2 * seconds + _RESERVE_FLOOR


# -- one iteration's pieces ------------------------------------------------------------------------------------
def _instantaneous_regrets(seq: kernels.SequenceTree, tree: kernels.PlayerTree, rules: CFRVariant,
                           local: list[np.ndarray], plans: list[np.ndarray], policy: np.ndarray,
                           policy_sum: np.ndarray, weight: float, rng: np.random.Generator | None) -> np.ndarray:
    """``[m]`` the updating player's (sampled) instantaneous regrets, level-order layout; accumulates the
    average policy on the way."""
    p = tree.player
    if rules.sampling == "outcome":
        assert rng is not None
        return outcome_sampling_regrets(seq, p, policy, policy_sum, weight, rules.exploration, rng)
    if rules.sampling == "external":
        assert rng is not None
        sampled = [plan if q == p else kernels.realization_plan(other, kernels.sample_pure(
            other, local[q], rng.random((other.n_sets,)))) for q, (other, plan) in enumerate(zip(seq.players, plans,
                                                                                                strict=True))]
        chance = kernels.sample_chance(seq, rng.random((seq.chance_padded.shape[0],)))
        leaves = kernels.leaf_values(seq, p, sampled, chance * seq.payoff[p])
    else:
        leaves = kernels.leaf_values(seq, p, plans)
    w, values = kernels.counterfactual_values(tree, local[p], leaves)
    if weight:
        policy_sum[tree.actions] += weight * plans[p][tree.action_parent] * local[p]
    return w[1:] - values[tree.action_set]


def _apply(tree: kernels.PlayerTree, rules: CFRVariant, t: int, r: np.ndarray, regrets: np.ndarray,
           prediction: np.ndarray, policy: np.ndarray, local: list[np.ndarray], plans: list[np.ndarray]) -> None:
    """Add the instantaneous regrets ``r`` under the variant's rules and move the player to its next policy."""
    cumulative = regrets[tree.actions] + r
    if rules.discount is not None:
        alpha, beta = (float(t) ** d for d in rules.discount)
        cumulative *= np.where(cumulative > 0, alpha / (alpha + 1), beta / (beta + 1))
    if rules.regret_floor:
        np.maximum(cumulative, 0.0, out=cumulative)
    regrets[tree.actions] = cumulative
    if rules.predictive:
        prediction[tree.actions] = r
    nxt = kernels.regret_matching(tree, cumulative + r if rules.predictive else cumulative)
    policy[tree.actions] = nxt
    local[tree.player] = nxt
    plans[tree.player] = kernels.realization_plan(tree, nxt)


def _exploitability(state: CFRState) -> float:
    """The average policy's NashConv / n_players by the sequence-tree sweeps (the stopping test)."""
    seq = state.tree
    policies = [kernels.normalise(tree, state.policy_sum[tree.actions]) for tree in seq.players]
    return kernels.nash_conv(seq, policies) / seq.game.n_players


# -- argument checks -------------------------------------------------------------------------------------------
def _checked_tree(game: Any, state: Any, caller: str) -> kernels.SequenceTree:
    game = require_extensive_form(game, f"{caller}(game)")
    if not isinstance(state, CFRState):
        raise GameError(f"{caller}(state): expected a CFRState from cfr_init, got {type(state).__name__}")
    if state.tree.game is not game:
        raise GameError(f"{caller}(state): the state was made by cfr_init for a different game")
    return state.tree


def _variant(variant: Any, caller: str) -> CFRVariant:
    if isinstance(variant, CFRVariant):
        return variant
    if isinstance(variant, str) and variant in VARIANTS:
        return VARIANTS[variant]
    raise GameError(f"{caller}: unknown CFR variant {variant!r}; expected one of {sorted(VARIANTS)} or a CFRVariant")


def _flag(value: Any, caller: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise GameError(f"{caller}: expected True or False, got {value!r}")
    return bool(value)


def _seed(seed: Any, caller: str) -> int:
    if seed is None:
        entropy = np.random.SeedSequence().entropy  # fresh entropy from the OS, not a global RNG
        return int(entropy) % (2**63) if isinstance(entropy, int) else 0
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise GameError(f"{caller}: expected a nonnegative integer or None, got {seed!r}")
    return int(seed)


def _positive_int(value: Any, caller: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise GameError(f"{caller}: expected a positive integer, got {value!r}")
    return int(value)


def _positive_number(value: Any, caller: str, *, allow_zero: bool) -> float | None:
    if value is None:
        return None
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(float(value))
    if not ok or float(value) < 0 or (float(value) == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise GameError(f"{caller}: expected a finite number {bound}, got {value!r}")
    return float(value)
