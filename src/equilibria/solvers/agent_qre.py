"""Agent logit quantal response equilibria of game trees by path tracing, refined to a Nash equilibrium.

Maths (McKelvey & Palfrey 1998, "Quantal response equilibria for extensive form games"; Turocy 2010, "Computing
sequential equilibria using agent quantal response equilibria"). Each information set ``I`` is an *agent* who
responds to its **conditional action values** ``v_I(a) = sum_{h in I} mu(h) Q_p(h, a)``: ``Q_p(h, a)`` is the
expected payoff of ``I``'s player ``p`` after playing ``a`` at node ``h`` (everyone, chance included, following the
profile below), and ``mu(h) = rho_{-p}(h) / sum_{h' in I} rho_{-p}(h')`` is the belief Bayes' rule gives, with
``rho_{-p}(h)`` the probability that chance and the other players lead to ``h``. A logit agent QRE at precision
``lambda >= 0`` is a behaviour profile with ``pi(a | I) ∝ exp(lambda v_I(a))`` at every set. Every such profile is
interior, so every set is reached and its beliefs are defined (a set behind a zero-probability chance move gets the
beliefs conditional on that move: lexicographic reach, see below) -- this is why the conditional values, not the
counterfactual ones ``rho_{-p}(I) v_I(a)``, make the homotopy well posed: with the latter the effective precision
at ``I`` is ``lambda rho_{-p}(I)``, which stalls where the limit leaves ``I`` unreached. The principal branch from
the uniform profile at ``lambda = 0`` converges, in generic games, to a sequential (so Nash) equilibrium as
``lambda -> inf``; this is also the branch Gambit's ``logit_solve`` follows in behaviour strategies.

The branch is the zero set of ``H(w, lambda)`` in log-probability coordinates ``w(a) = log pi(a | I)`` (flat
``[n_infoset_actions]`` as every behaviour profile, :mod:`equilibria.games.extensive_form`):

    H[I, 0] = sum_a exp(w_I(a)) - 1
    H[I, a] = w_I(a) - w_I(0) - lambda (v_I(a) - v_I(0))            a = 1 .. n_actions(I) - 1

followed by the arclength continuation of :mod:`equilibria.solvers._continuation` (as the normal-form tracer,
:mod:`equilibria.solvers.qre`). Payoffs are divided by their range; ``lambda`` is reported in game units.

Values and the analytic Jacobian come from array sweeps over the tree's levels: log reaches excluding each player
(forward), subtree values ``V[node, player]`` (backward), beliefs by segment softmax. The Jacobian
``dv_x / dw_y`` has two parts, summed over pairs ``(h, g)`` of decision nodes with ``h`` a strict ancestor of ``g``
(enumerated once, by depth offset): with ``x`` the action at ``h`` towards ``g`` and ``y = b`` an action at ``g``,
the *downstream* term ``mu(h) B(h a -> g) pi(b) V_p(g b)`` (``B`` the probability of the path from ``h a`` to
``g``); with ``y`` the action at ``h`` (of another player than ``g``'s) and ``x = a'`` an action at ``g``, the
*belief* term ``mu(g) (Q(g, a') - v_{I(g)}(a'))`` (the derivative of Bayes' rule). A dense ``[N, N]`` matrix: trees
up to :data:`MAX_INFOSET_ACTIONS` infoset-actions (larger ones raise :class:`NotApplicableError`).

Refinement to Nash (as :mod:`equilibria.solvers.qre`): at checkpoints (each time ``lambda`` doubles, and where the
trace ends) the support of the QRE point at each information set (actions with probability at least ``theta``
times the set's largest, a few ``theta``) defines a polynomial system in the behaviour probabilities on that
support: per set, the probabilities sum to one and the *counterfactual* values ``cv_I(a) = sum_{h in I}
rho_{-p}(h) Q_p(h, a)`` of the support actions are equal (counterfactual here, so a set that the support leaves
unreached gives the empty equation ``0 = 0`` instead of undefined beliefs). It is solved by Newton's method with
least-squares steps from the QRE point; the result is a candidate when its probabilities are non-negative and its
exploitability (:mod:`equilibria.metrics.exploitability`) is at most ``tol``. A candidate is confirmed when the
previous checkpoint gave one with the same support (or one within the QRE point's distance of it) and the QRE
point's distance to it shrank by a quarter. Heuristic parts: the support thresholds and this confirmation rule;
in degenerate games (common in trees: whole components of equilibria) the answer may be another point of the
limit's component -- in particular a set that the answer leaves unreached keeps (about) the QRE point's behaviour
at the confirming checkpoint, a Nash best reply but not necessarily the limit's sequentially rational one. The
certificate is always the exploitability of the returned profile. The refinement respects ``max_seconds``: once the
time is spent only the QRE point itself is certified.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from equilibria.core.errors import GameError, NotApplicableError
from equilibria.core.result import SolveResult
from equilibria.games.extensive_form import ExtensiveFormGame
from equilibria.metrics.exploitability import exploitability
from equilibria.solvers._common import Budget
from equilibria.solvers._continuation import COMPLETE, PathTracer, confirms
from equilibria.solvers._extensive import behaviour_result, require_extensive_form

# The Jacobian is dense [N, N + 1]: at 2000 infoset-actions one QR takes about 2 s (one core), so a step can take
# 10 s or more; larger trees are refused (CFR or the sequence-form LP scale to them).
MAX_INFOSET_ACTIONS = 2000
_SUPPORT_THRESHOLDS = (1e-2, 1e-4, 1e-8)
_REFINE_ITERATIONS = 50
_REFINE_RESIDUAL = 1e-14  # payoffs scaled to unit range: an absolute tolerance
# Newton stops after this many steps without halving its residual; the point is kept if the residual is this small
# (then the exploitability decides), else the support has no solution. It also stops when a probability leaves
# [-range, range]: started at a QRE point near a solution, Newton does not wander that far.
_REFINE_PATIENCE = 3
_REFINE_ROUNDED = 1e-10
_REFINE_RANGE = 10.0
_NEGATIVE_NOISE = 1e-12


# -- the tree as index arrays ----------------------------------------------------------------------------------
class _Tree:
    """Index arrays for the sweeps (built once per game; see the module docstring for the quantities).

    Nodes ``k``: ``owner[k]`` is the player whose move is the edge into ``k`` (-1: chance or the root);
    ``blocked[k]`` counts zero-probability chance moves on the path to ``k`` (beliefs are lexicographic: the nodes
    of a set with the fewest such moves carry the belief).
    """

    def __init__(self, game: ExtensiveFormGame, payoffs: np.ndarray) -> None:
        self.game = game
        self.payoffs = payoffs  # [n_nodes, n_players], scaled
        self.n_players = game.n_players
        self.size = game.n_infoset_actions
        self.offsets = game.infoset_action_offset
        parent, player, n = game.parent, game.player, game.n_nodes
        self.edge_x = game.edge_action  # [n_nodes] infoset-action into k, -1 for chance edges and the root
        self.decided = np.flatnonzero(self.edge_x >= 0)
        self.owner = np.full(n, -1, dtype=np.int64)
        self.owner[self.decided] = player[parent[self.decided]]
        chance_edge = (self.edge_x < 0) & (np.arange(n) > 0)
        zero = chance_edge & (game.chance_prob <= 0)
        self.log_chance = np.zeros(n)
        self.log_chance[chance_edge & ~zero] = np.log(game.chance_prob[chance_edge & ~zero])
        self.blocked = np.zeros(n, dtype=np.int64)
        self.levels = game.levels
        for level in self.levels[1:]:
            self.blocked[level] = self.blocked[parent[level]] + zero[level]
        # not_mine[k, p] = 1 where the edge into k is not player p's (it enters p's "others' reach")
        self.not_mine = (self.owner[:, None] != np.arange(self.n_players)[None, :]).astype(float)
        # backward sweep: the inner nodes of each level and where their children start in the next level
        self.backward = []
        for depth in range(len(self.levels) - 1):
            level, below = self.levels[depth], self.levels[depth + 1]
            inner = level[game.n_children[level] > 0]
            self.backward.append((inner, game.first_child[inner] - below[0], below))
        # node-actions: the edges out of decision nodes (child, its node, its infoset-action, the mover)
        self.na_child = self.decided
        self.na_node = parent[self.decided]
        self.na_x = self.edge_x[self.decided]
        self.na_player = player[self.na_node]
        # decision nodes grouped by information set, for segment softmax (beliefs)
        decision = np.flatnonzero(player >= 0)
        self.by_set = decision[np.argsort(game.infoset[decision], kind="stable")]
        self.set_starts = np.searchsorted(game.infoset[self.by_set], np.arange(game.n_infosets))
        self.set_counts = np.diff(np.r_[self.set_starts, decision.size])
        fewest = np.minimum.reduceat(self.blocked[self.by_set], self.set_starts) if decision.size else np.zeros(0)
        self.believed = self.blocked[self.by_set] == np.repeat(fewest, self.set_counts)
        self._pairs(game, decision)
        # H's rows: the first action of each set carries its sum equation, the others an indifference equation
        first = self.offsets[:-1]
        self.first_of = np.repeat(first, game.infoset_n_actions)  # [N] the first action of x's set
        self.rest = np.flatnonzero(np.arange(self.size) != self.first_of)

    def _pairs(self, game: ExtensiveFormGame, decision: np.ndarray) -> None:
        """Every (strict ancestor decision node h, decision node g), by depth offset, and its actions at ``g``."""
        parent, player = game.parent, game.player
        self.steps: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (positions in decision, via, kept)
        position, via = np.arange(decision.size), decision.copy()
        chunks: list[tuple[np.ndarray, np.ndarray]] = []
        while position.size:
            alive = via > 0
            position, via = position[alive], via[alive]
            if not position.size:
                break
            kept = player[parent[via]] >= 0
            self.steps.append((position, via, kept))
            chunks.append((decision[position[kept]], via[kept]))
            via = parent[via]
        g = np.concatenate([c[0] for c in chunks]) if chunks else np.zeros(0, dtype=np.int64)
        via = np.concatenate([c[1] for c in chunks]) if chunks else np.zeros(0, dtype=np.int64)
        h = parent[via]
        self.n_decision = decision.size
        self.decision_player = player[decision]
        width = game.n_children[g]
        pair = np.repeat(np.arange(g.size), width)
        b = np.arange(pair.size) - np.repeat(np.cumsum(width) - width, width)
        self.pa_pair = pair
        self.pa_h, self.pa_g = h[pair], g[pair]
        self.pa_child = game.first_child[g][pair] + b  # g's child by action b
        self.pa_gx = self.offsets[game.infoset[g]][pair] + b  # the infoset-action b at g
        self.pa_hx = self.edge_x[via][pair]  # h's action towards g
        self.pa_hp, self.pa_gp = player[h][pair], player[g][pair]
        self.pa_up = np.flatnonzero(self.pa_hp != self.pa_gp)  # h's move changes the beliefs at g
        size = self.size
        self.down_index = self.pa_hx * size + self.pa_gx
        self.up_index = self.pa_gx[self.pa_up] * size + self.pa_hx[self.pa_up]

    # -- sweeps --------------------------------------------------------------------------------------------------
    def edge_probabilities(self, policy: np.ndarray) -> np.ndarray:
        prob = self.game.chance_prob.copy()
        prob[self.decided] = policy[self.na_x]
        return prob

    def subtree_values(self, edge_prob: np.ndarray) -> np.ndarray:
        """``V [n_nodes, n_players]``: expected (scaled) payoffs below each node."""
        values = self.payoffs.copy()
        for inner, starts, below in reversed(self.backward):
            weighted = edge_prob[below, None] * values[below]
            values[inner] = np.add.reduceat(weighted, starts, axis=0)
        return values

    def path_products(self, edge_prob: np.ndarray, exclude_mover: bool) -> np.ndarray:
        """``[n_pairs]`` product of the edge probabilities strictly below ``h``'s child towards ``g``, down to ``g``
        (``exclude_mover``: the edges of ``g``'s player count as 1)."""
        cumulative = np.ones(self.n_decision)
        out = []
        g_player = self.decision_player
        for position, via, kept in self.steps:
            out.append(cumulative[position[kept]])
            factor = edge_prob[via]
            if exclude_mover:
                factor = np.where(self.owner[via] == g_player[position], 1.0, factor)
            cumulative[position] *= factor
        return np.concatenate(out) if out else np.zeros(0)

    def beliefs(self, log_edge: np.ndarray) -> np.ndarray:
        """``mu [n_nodes]`` (0 off decision nodes) from log edge probabilities (chance ones lexicographic)."""
        n = self.game.n_nodes
        logs = np.zeros((n, self.n_players))
        parent = self.game.parent
        for level in self.levels[1:]:
            logs[level] = logs[parent[level]] + log_edge[level, None] * self.not_mine[level]
        mu = np.zeros(n)
        nodes = self.by_set
        if not nodes.size:
            return mu
        own = logs[nodes, self.game.player[nodes]]
        own = np.where(self.believed, own, -np.inf)
        top = np.maximum.reduceat(own, self.set_starts)
        counts = self.set_counts
        weight = np.exp(own - np.repeat(top, counts))
        total = np.add.reduceat(weight, self.set_starts)
        mu[nodes] = weight / np.repeat(total, counts)
        return mu

    def others_reach(self, edge_prob: np.ndarray) -> np.ndarray:
        """``[n_nodes, n_players]``: the probability that chance and the players other than ``p`` lead to the node."""
        reach = np.ones((self.game.n_nodes, self.n_players))
        parent = self.game.parent
        for level in self.levels[1:]:
            factor = np.where(self.not_mine[level] > 0, edge_prob[level, None], 1.0)
            reach[level] = reach[parent[level]] * factor
        return reach


def _normalised(tree: _Tree, logs: np.ndarray) -> np.ndarray:
    """The behaviour profile ``[N]`` of log-probabilities ``[N]``, renormalised within each set."""
    starts = tree.offsets[:-1]
    if not starts.size:
        return np.zeros(0)
    top = np.maximum.reduceat(logs, starts)
    p = np.exp(logs - top[tree.game.action_infoset])
    return p / np.add.reduceat(p, starts)[tree.game.action_infoset]


# -- the homotopy ----------------------------------------------------------------------------------------------
class _Values(NamedTuple):
    """``v [N]`` conditional action values, ``pi [N]`` action probabilities, ``mu [n_nodes]`` beliefs (0 off decision
    nodes), ``subtree [n_nodes, n_players]`` values below each node, ``edge_prob [n_nodes]`` the edge into each."""

    v: np.ndarray
    pi: np.ndarray
    mu: np.ndarray
    subtree: np.ndarray
    edge_prob: np.ndarray


class _AgentLogitSystem:
    """``H(w, lambda)`` of the module docstring and its Jacobian ``[N, N + 1]``."""

    def __init__(self, tree: _Tree) -> None:
        self.tree = tree
        self.size = tree.size

    def start(self) -> np.ndarray:
        m = self.tree.game.infoset_n_actions[self.tree.game.action_infoset]
        return np.concatenate([-np.log(m.astype(float)), np.zeros(1)])

    def values(self, w: np.ndarray) -> _Values:
        """The conditional action values and what they are made of, at log-probabilities ``w``."""
        t = self.tree
        pi = np.exp(w)
        edge_prob = t.edge_probabilities(pi)
        log_edge = t.log_chance.copy()
        log_edge[t.decided] = w[t.na_x]
        mu = t.beliefs(log_edge)
        subtree = t.subtree_values(edge_prob)
        q = subtree[t.na_child, t.na_player]
        v = np.bincount(t.na_x, weights=mu[t.na_node] * q, minlength=t.size)
        return _Values(v, pi, mu, subtree, edge_prob)

    def evaluate(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        t, size = self.tree, self.size
        w, lam = x[:-1], x[-1]
        v, pi, mu, subtree, edge_prob = self.values(w)
        between = t.path_products(edge_prob, exclude_mover=False)
        down = mu[t.pa_h] * between[t.pa_pair] * pi[t.pa_gx] * subtree[t.pa_child, t.pa_hp]
        up = t.pa_up
        belief = mu[t.pa_g[up]] * (subtree[t.pa_child[up], t.pa_gp[up]] - v[t.pa_gx[up]])
        dv = np.bincount(np.concatenate([t.down_index, t.up_index]), weights=np.concatenate([down, belief]),
                         minlength=size * size).reshape(size, size)
        residual = np.empty(size)
        jac = np.zeros((size, size + 1))
        rest, first = t.rest, t.first_of[t.rest]
        residual[rest] = w[rest] - w[first] - lam * (v[rest] - v[first])
        jac[rest, :size] = -lam * (dv[rest] - dv[first])
        jac[rest, rest] += 1.0
        jac[rest, first] -= 1.0
        jac[rest, size] = -(v[rest] - v[first])
        starts = t.offsets[:-1]
        residual[starts] = np.add.reduceat(pi, starts) - 1.0 if starts.size else 0.0
        jac[t.first_of, np.arange(size)] = pi
        return residual, jac


# -- refinement: counterfactual indifference on a support --------------------------------------------------------
def _counterfactual(tree: _Tree, policy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``cv [N]`` (counterfactual action values, scaled) and ``dcv / dpi [N, N]`` at a behaviour profile."""
    t, size = tree, tree.size
    edge_prob = t.edge_probabilities(policy)
    reach = t.others_reach(edge_prob)
    subtree = t.subtree_values(edge_prob)
    cv = np.bincount(t.na_x, weights=reach[t.na_node, t.na_player] * subtree[t.na_child, t.na_player],
                     minlength=size)
    between = t.path_products(edge_prob, exclude_mover=False)
    down = reach[t.pa_h, t.pa_hp] * between[t.pa_pair] * subtree[t.pa_child, t.pa_hp]
    up = t.pa_up
    others = t.path_products(edge_prob, exclude_mover=True)
    belief = reach[t.pa_h[up], t.pa_gp[up]] * others[t.pa_pair[up]] * subtree[t.pa_child[up], t.pa_gp[up]]
    dcv = np.bincount(np.concatenate([t.down_index, t.up_index]), weights=np.concatenate([down, belief]),
                      minlength=size * size).reshape(size, size)
    return cv, dcv


def _supports(tree: _Tree, policy: np.ndarray) -> list[np.ndarray]:
    """Distinct candidate supports (boolean ``[N]``) of a QRE point, loosest threshold first."""
    top = np.maximum.reduceat(policy, tree.offsets[:-1])[tree.game.action_infoset]
    found: list[np.ndarray] = []
    for theta in _SUPPORT_THRESHOLDS:
        support = policy >= theta * top
        if not any(np.array_equal(support, other) for other in found):
            found.append(support)
    return found


def _solve_indifference(tree: _Tree, start: np.ndarray, support: np.ndarray, budget: Budget) -> np.ndarray | None:
    """Newton (least-squares steps) on the counterfactual indifference system restricted to ``support``; None when
    it finds no solution (or the time budget runs out)."""
    keep = np.flatnonzero(support)
    action_set = tree.game.action_infoset
    first = np.full(tree.game.n_infosets, -1, dtype=np.int64)
    first[action_set[keep][::-1]] = keep[::-1]  # the first support action of each set
    sum_rows = first[action_set[keep]] == keep
    lead = first[action_set[keep]]
    policy = np.where(support, start, 0.0)
    policy /= np.add.reduceat(policy, tree.offsets[:-1])[action_set]
    best, stalled = math.inf, 0
    with np.errstate(all="ignore"):
        for _ in range(_REFINE_ITERATIONS):
            if budget.exhausted(0):
                return None
            cv, dcv = _counterfactual(tree, policy)
            residual = np.where(sum_rows, 0.0, cv[keep] - cv[lead])
            totals = np.bincount(action_set[keep], weights=policy[keep], minlength=tree.game.n_infosets)
            residual[sum_rows] = totals[action_set[keep[sum_rows]]] - 1.0
            size = float(np.abs(residual).max(initial=0.0))
            if not math.isfinite(size):
                return None
            if size <= _REFINE_RESIDUAL:
                return policy
            # No progress for a few steps: solved up to rounding, or no solution on this support.
            best, stalled = (size, 0) if size < 0.5 * best else (best, stalled + 1)
            if stalled >= _REFINE_PATIENCE:
                return policy if best <= _REFINE_ROUNDED else None
            jac = dcv[np.ix_(keep, keep)] - dcv[np.ix_(lead, keep)]
            jac[sum_rows] = (action_set[keep][None, :] == action_set[keep[sum_rows]][:, None]).astype(float)
            try:
                delta = np.linalg.lstsq(jac, -residual, rcond=None)[0]
            except np.linalg.LinAlgError:
                return None
            policy[keep] += delta
            if np.abs(policy).max() > _REFINE_RANGE:  # Newton has left the simplices: a wrong support
                return None
    return None


def _as_candidate(tree: _Tree, policy: np.ndarray | None) -> np.ndarray | None:
    """Clip rounding-level negatives and renormalise per set; None when a probability is genuinely negative."""
    if policy is None or not np.all(np.isfinite(policy)) or policy.min(initial=0.0) < -_NEGATIVE_NOISE:
        return None
    clipped = np.clip(policy, 0.0, None)
    totals = np.add.reduceat(clipped, tree.offsets[:-1])
    if not np.all(totals > 0):
        return None
    return clipped / totals[tree.game.action_infoset]


def _certificate(game: ExtensiveFormGame, policy: np.ndarray) -> float:
    return max(0.0, float(exploitability(game, policy)))


@dataclass
class _Refinements:
    """Refinement checkpoints along the path (when a candidate is confirmed: see the module docstring)."""

    tree: _Tree
    tol: float
    budget: Budget
    best: np.ndarray
    best_certificate: float
    latest: np.ndarray | None = None
    previous: tuple[np.ndarray, float] | None = None

    def refine(self, point: np.ndarray) -> tuple[np.ndarray | None, float]:
        best, best_value = None, math.inf
        for support in _supports(self.tree, point):
            candidate = _as_candidate(self.tree, _solve_indifference(self.tree, point, support, self.budget))
            if candidate is None:
                continue
            value = _certificate(self.tree.game, candidate)
            if value < best_value:
                best, best_value = candidate, value
            if value <= self.tol:
                break
        return best, best_value

    def check(self, point: np.ndarray) -> bool:
        """Refine at a QRE point (a behaviour profile); True when a candidate is confirmed."""
        refined, refined_value = self.refine(point)
        # The QRE point itself is interior: worth certifying only when the refinement found nothing acceptable.
        point_value = _certificate(self.tree.game, point) if refined_value > self.tol else math.inf
        for profile, value in ((refined, refined_value), (point, point_value)):
            if profile is not None and value < self.best_certificate:
                self.best, self.best_certificate = profile, value
        candidate = refined if refined is not None and refined_value <= self.tol else None
        if candidate is None and point_value <= self.tol:
            candidate = point
        if candidate is None:
            self.previous = None
            return False
        gap = float(np.abs(candidate - point).max(initial=0.0))
        confirmed = confirms(gap, None if self.previous is None else (
            np.array_equal(candidate > 0, self.previous[0] > 0), float(np.abs(candidate - self.previous[0]).max()),
            self.previous[1]))
        self.latest, self.previous = candidate, (candidate, gap)
        return confirmed


# -- public API --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AgentQREPath:
    """Points of the principal agent logit QRE branch, in the order traced.

    Attributes:
      lambdas: ``[k]`` precisions (game units); the first is 0. Not monotone where the branch turns back.
      profiles: ``[k, n_infoset_actions]`` behaviour profiles, the agent QRE at ``lambdas[t]``.
      complete: True when the trace reached ``max_lambda`` (False: stopped by the budget or lost the branch).
    """

    lambdas: np.ndarray
    profiles: np.ndarray
    complete: bool


def _check_positive(value: Any, caller: str, argument: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise GameError(f"{caller}: {argument} must be a positive number, got {value!r}") from None
    if not (number > 0 and math.isfinite(number)):
        raise GameError(f"{caller}: {argument} must be a positive finite number, got {value!r}")
    return number


def _setup(game: Any, caller: str, max_lambda: Any, step: Any, max_iterations: Any,
           max_seconds: Any) -> tuple[ExtensiveFormGame, float, _Tree, PathTracer, Budget, float, float]:
    game = require_extensive_form(game, f"{caller}(game)")
    max_lambda = _check_positive(max_lambda, caller, "max_lambda")
    step = _check_positive(step, caller, "step")
    budget = Budget.checked(max_iterations, max_seconds, caller)
    if game.n_infoset_actions > MAX_INFOSET_ACTIONS:
        raise NotApplicableError(f"{caller}: the tree has {game.n_infoset_actions} infoset-actions, more than the "
                                 f"dense path tracer handles ({MAX_INFOSET_ACTIONS}); use 'cfr+' (or "
                                 f"'sequence_form_lp' for two-player zero-sum games)")
    leaves = game.payoffs[game.terminals]
    spread = float(np.ptp(leaves, axis=0).max()) if leaves.size else 0.0
    scale = spread if spread > 0 else 1.0
    tree = _Tree(game, game.payoffs / scale)
    tracer = PathTracer(_AgentLogitSystem(tree), lambda_max=max_lambda * scale, step=step, budget=budget,
                        max_steps=max_iterations)
    return game, scale, tree, tracer, budget, max_lambda, step


def agent_qre_path(game: Any, *, max_lambda: float, step: float = 0.1, max_iterations: int | None = None,
                   max_seconds: float | None = None) -> AgentQREPath:
    """The principal branch of agent logit QREs from ``lambda = 0`` to ``max_lambda`` (every accepted point).

    Args:
      game: an ExtensiveFormGame (any number of players, chance, imperfect information with perfect recall).
      max_lambda: precision (game units) where the trace stops; the last point is there when it completes.
      step: initial arclength step in ``(w, lambda * payoff_range)`` coordinates; adapted as the trace goes.
      max_iterations: cap on accepted steps; ``max_seconds``: wall-clock cap (either: ``complete=False``).
    """
    game, scale, tree, tracer, _, _, _ = _setup(game, "agent_qre_path", max_lambda, step, max_iterations,
                                                max_seconds)
    lambdas, profiles = [], []
    if tree.size == 0:
        return AgentQREPath(np.zeros(1), np.zeros((1, 0)), True)
    for x in tracer.points():
        lambdas.append(x[-1] / scale)
        profiles.append(_normalised(tree, x[:-1]))
    return AgentQREPath(np.array(lambdas), np.array(profiles).reshape(len(profiles), tree.size), tracer.complete)


def agent_qre_solve(game: Any, *, tol: float = 1e-9, max_lambda: float = 1e6, step: float = 0.1,
                    max_iterations: int | None = 100_000, max_seconds: float | None = 60.0) -> SolveResult:
    """A Nash equilibrium (exploitability <= ``tol``) of a game tree at the end of the principal agent QRE branch.

    The branch is traced from ``lambda = 0``; each time ``lambda * payoff_range`` has doubled since the last
    checkpoint (from 1 on), and where the trace ends, the QRE point is refined on its support (module docstring);
    the refined profile, or the QRE point itself, is a candidate when its exploitability is <= ``tol``. The trace
    stops once two consecutive checkpoints agree on a candidate that the QRE point approaches. When it ends
    otherwise (``max_lambda``, the budget, a lost branch) the latest candidate is returned if there is one
    (``converged=True``), else the least exploitable profile seen (``converged=False``). Every information set,
    reached or not, gets a distribution. Heuristic in its confirmation rule (see the module docstring); the
    certificate is the returned profile's exploitability (NashConv / n_players, :mod:`equilibria.metrics`).

    ``iterations``: accepted continuation steps. ``parameters``: ``tol``, ``max_lambda``, ``step``,
    ``max_iterations``, ``max_seconds``, ``final_lambda`` (game units, where the trace stopped), ``complete``
    (the trace reached ``max_lambda``) and, when ``converged`` is False, ``stopped_because`` (the budget,
    ``max_lambda`` reached without a profile within ``tol``, or a lost branch).

    Args:
      game: an ExtensiveFormGame with any number of players, chance and imperfect information (perfect recall).
      tol: exploitability tolerance (game units) for accepting a profile.
      max_lambda: the largest precision traced (game units).
      step: initial arclength step (see :func:`agent_qre_path`).
      max_iterations, max_seconds: budget; see above for what is returned when it runs out.
    """
    tol = _check_positive(tol, "agent_qre_solve", "tol")
    game, scale, tree, tracer, budget, max_lambda, step = _setup(game, "agent_qre_solve", max_lambda, step,
                                                                 max_iterations, max_seconds)
    system = tracer.system
    x = system.start()
    uniform = _normalised(tree, x[:-1])
    refinements = _Refinements(tree, tol, budget, best=uniform, best_certificate=_certificate(game, uniform))
    if refinements.best_certificate <= tol:
        refinements.latest = uniform  # every action is as good as any other: the QRE at every lambda
    else:
        next_check = 1.0
        for x in tracer.points():
            if x[-1] >= next_check:
                next_check = 2.0 * x[-1]
                if refinements.check(_normalised(tree, x[:-1])):
                    break
        else:
            refinements.check(_normalised(tree, x[:-1]))
    answer = refinements.latest if refinements.latest is not None else refinements.best
    parameters: dict[str, Any] = {"tol": tol, "max_lambda": max_lambda, "step": step,
                                  "max_iterations": max_iterations, "max_seconds": max_seconds,
                                  "final_lambda": float(x[-1]) / scale, "complete": tracer.complete}
    converged = refinements.latest is not None
    if not converged:
        if tracer.stop is None and max_seconds is not None:  # the refinement stopped on the time, the trace did not
            parameters["stopped_because"] = f"max_seconds={max_seconds:g} reached while refining"
        elif tracer.stop in (COMPLETE, None):
            parameters["stopped_because"] = (f"{tracer.stopped_because(scale)} without a profile within tol={tol:g} "
                                             f"(least exploitability {refinements.best_certificate:.3g})")
        else:
            parameters["stopped_because"] = tracer.stopped_because(scale)
    return behaviour_result(game, "agent_qre", [answer], parameters=parameters, iterations=tracer.steps,
                            budget=budget, converged=converged)


__all__ = ["MAX_INFOSET_ACTIONS", "AgentQREPath", "agent_qre_path", "agent_qre_solve"]
