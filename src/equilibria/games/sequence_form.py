"""The sequence form and the reduced normal form of an extensive-form game.

Koller, Megiddo and von Stengel (1996, "Efficient computation of equilibria for extensive two-person games") and
von Stengel (1996, "Efficient computation of behavior strategies") represent a player's strategy in a game with
perfect recall by its **realization plan**: one weight per sequence of the player's own moves (the index sets of
:mod:`equilibria.games.extensive_form`), the probability that the player's own moves follow the sequence when
chance and the other players allow it. For player ``p`` a realization plan ``r: [n_sequences[p]]`` satisfies

    r[0] = 1,   sum_{a in A(I)} r[seq(a)] = r[parent(I)]  for every information set I of p,   r >= 0,

written ``E r = e`` with ``E: [1 + n_infosets_p, n_sequences[p]]`` (row 0 is the empty sequence, row ``1 + i`` is
the ``i``-th information set of ``p`` in increasing index order) and ``e = (1, 0, ..., 0)``. Player 0's constraints
are ``(E, e)``, player 1's ``(F, f)``.

Conversions (both directions keep exact Fractions when given object arrays):

- behaviour -> realization: ``r[seq(a)] = r[parent(I)] * pi[a]``, information sets taken in order of their
  shallowest node (perfect recall puts a set's parent sequence at a strictly shallower set);
- realization -> behaviour: ``pi[a] = r[seq(a)] / sum_{b in A(I)} r[seq(b)]``, uniform where the set is unreached
  (the sum is 0, or at most ``tol``).

**Payoffs over sequences** fold chance in: terminal ``z`` reached with chance probability ``c(z)`` contributes
``c(z) * u_i(z)`` to the entry of the sequence tuple ``(node_sequence[z, 0], ..., node_sequence[z, n-1])``, so a
profile of realization plans earns ``u_i = sum over entries of value_i * prod_p r_p[s_p]``. For two players these
are the sparse matrices ``A, B: [n_sequences[0], n_sequences[1]]`` with ``u_0 = x^T A y`` and ``u_1 = x^T B y``.

**Best-response values** against fixed plans of the others are one backward pass over the responder's sequences:
``V(s) = c(s) + sum_{J: parent(J) = s} max_{a in A(J)} V(seq(a))`` with ``c`` the responder's payoff contributions,
and the best-response value is ``V(empty)``.

**Reduced normal form.** A reduced pure strategy chooses one action at every information set its own earlier
choices do not exclude; it is a 0/1 realization plan. Enumerating them gives a :class:`NormalFormGame` with the same
equilibria (as mixtures of reduced strategies; Kuhn 1953), labelled ``"infoset=action; ..."``; a mixed strategy
``m: [n_strategies_p]`` maps back to the realization plan ``m @ plans_p`` and from there to behaviour. Its payoffs
are kept as exact Fractions too (``NormalFormGame.exact_payoffs``) when the tree has chance nodes or exact payoffs
and the form has at most 10**5 pure profiles.

Exact mode (``exact=True``): payoffs and chance probabilities are the game's exact numbers
(:meth:`ExtensiveFormGame.fraction_payoffs`, :meth:`ExtensiveFormGame.fraction_chance_prob`: the values a file or
tree was written with, else the floats read as the fractions they most plausibly stand for).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import scipy.sparse as sp

from equilibria.core.errors import GameError, NotApplicableError
from equilibria.games.extensive_form import CHANCE, ExtensiveFormGame, _path_products, exact_probability
from equilibria.games.normal_form import NormalFormGame

# Default cap on the number of pure profiles of a reduced normal form (cells of the payoff tensor per player).
_MAX_PROFILES = 10**7
# Reduced normal forms up to this many pure profiles also keep their payoffs exactly (Fractions, for rational=True).
_MAX_EXACT_PROFILES = 10**5


# -- small shared pieces ---------------------------------------------------------------------------------------


def _require_game(game: Any, caller: str) -> ExtensiveFormGame:
    if not isinstance(game, ExtensiveFormGame):
        raise GameError(f"{caller}: expected an ExtensiveFormGame, got {type(game).__name__}")
    return game


def _require_player(game: ExtensiveFormGame, player: Any, caller: str) -> int:
    if isinstance(player, bool) or not isinstance(player, int | np.integer) or not 0 <= player < game.n_players:
        raise GameError(f"{caller}: player must be in 0..{game.n_players - 1}, got {player!r}")
    return int(player)


def infoset_min_depth(game: ExtensiveFormGame) -> np.ndarray:
    """``[n_infosets]`` the depth of each information set's shallowest node."""
    depth = np.full(game.n_infosets, np.iinfo(np.int64).max, dtype=np.int64)
    decision = np.flatnonzero(game.infoset >= 0)
    np.minimum.at(depth, game.infoset[decision], game.depth[decision])
    return depth


def _infoset_groups(game: ExtensiveFormGame, player: int) -> list[np.ndarray]:
    """``player``'s information sets grouped by the depth of their shallowest node, shallowest group first.

    Perfect recall puts the information set of a set's parent sequence in a strictly shallower group, so a forward
    pass over the groups sees every parent sequence before its children and a backward pass every child first.
    """
    mine = np.flatnonzero(game.infoset_player == player)
    if mine.size == 0:
        return []
    depth = infoset_min_depth(game)[mine]
    order = np.argsort(depth, kind="stable")  # one sort, then split: linear in the number of groups
    cuts = 1 + np.flatnonzero(np.diff(depth[order]))
    return np.split(mine[order], cuts)


def _actions_of(game: ExtensiveFormGame, sets: np.ndarray) -> np.ndarray:
    """The infoset-actions of ``sets``, set by set in order."""
    offsets = game.infoset_action_offset
    return np.concatenate([np.arange(offsets[s], offsets[s + 1]) for s in sets]) if sets.size else np.zeros(0, int)


def _zeros(n: int, exact: bool) -> np.ndarray:
    return np.array([Fraction(0)] * n, dtype=object) if exact else np.zeros(n)


def _checked_policy(game: ExtensiveFormGame, policy: Any, caller: str) -> np.ndarray:
    """The policy as given when it holds Fractions (validated in floats), else as a float array."""
    raw = np.asarray(policy)
    checked = game.check_policy(np.asarray(raw, dtype=float) if raw.dtype == object else raw, caller)
    return raw if raw.dtype == object else checked


# -- realization plans -----------------------------------------------------------------------------------------


def realization_plan(game: ExtensiveFormGame, policy: Any, player: int) -> np.ndarray:
    """``[n_sequences[player]]`` the realization plan of ``player``'s part of the behaviour profile ``policy``.

    ``policy: [n_infoset_actions]`` floats or Fractions (an object array stays exact).
    """
    caller = "realization_plan"
    game = _require_game(game, f"{caller}(game)")
    player = _require_player(game, player, f"{caller}(player)")
    pi = _checked_policy(game, policy, f"{caller}(policy)")
    exact = pi.dtype == object
    plan = _zeros(game.n_sequences[player], exact)
    plan[0] = Fraction(1) if exact else 1.0
    for group in _infoset_groups(game, player):
        actions = _actions_of(game, group)
        parents = game.infoset_parent_sequence[game.action_infoset[actions]]
        plan[game.sequence_of_action[actions]] = plan[parents] * pi[actions]
    return plan


def realization_plans(game: ExtensiveFormGame, policy: Any) -> tuple[np.ndarray, ...]:
    """Every player's realization plan of the behaviour profile ``policy`` (``[n_sequences[p]]`` each)."""
    game = _require_game(game, "realization_plans(game)")
    return tuple(realization_plan(game, policy, p) for p in range(game.n_players))


def _checked_plans(game: ExtensiveFormGame, plans: Sequence[Any], caller: str,
                   skip: int | None = None) -> list[np.ndarray | None]:
    if not isinstance(plans, Sequence) or len(plans) != game.n_players:
        raise GameError(f"{caller}: expected one realization plan per player ({game.n_players}), got "
                        f"{len(plans) if isinstance(plans, Sequence) else type(plans).__name__}")
    out: list[np.ndarray | None] = []
    for p, plan in enumerate(plans):
        if p == skip:
            out.append(None)
            continue
        arr = np.asarray(plan)
        if arr.dtype != object:
            arr = np.asarray(arr, dtype=float)
        if arr.shape != (game.n_sequences[p],):
            raise GameError(f"{caller}: player {p}'s plan must have shape ({game.n_sequences[p]},) (one weight per "
                            f"sequence), got {arr.shape}")
        as_float = np.asarray(arr, dtype=float)
        if not np.all(np.isfinite(as_float)):
            raise GameError(f"{caller}: player {p}'s plan contains NaN or infinite weights")
        out.append(arr)
    return out


def behaviour_from_realization(game: ExtensiveFormGame, plans: Sequence[Any], *, tol: float = 0.0) -> np.ndarray:
    """``[n_infoset_actions]`` the behaviour profile of one realization plan per player.

    ``pi[a] = r[seq(a)] / sum_{b in A(I)} r[seq(b)]`` (negative float weights count as 0); information sets whose
    weights sum to at most ``tol`` are unreached by their player and play uniformly. Fractions in, Fractions out.
    """
    caller = "behaviour_from_realization(plans)"
    game = _require_game(game, "behaviour_from_realization(game)")
    checked = _checked_plans(game, plans, caller)
    exact = all(plan is not None and plan.dtype == object for plan in checked)
    weights = _zeros(game.n_infoset_actions, exact)
    for p, plan in enumerate(checked):
        assert plan is not None
        mine = np.flatnonzero(game.action_player == p)
        values = plan[game.sequence_of_action[mine]]
        weights[mine] = values if exact else np.maximum(np.asarray(values, dtype=float), 0.0)
    if game.n_infosets == 0:
        return weights
    starts = game.infoset_action_offset[:-1]
    totals = np.add.reduceat(weights, starts)
    widths = game.infoset_n_actions
    if exact:
        uniform = np.array([Fraction(1, int(w)) for w in widths[game.action_infoset]], dtype=object)
    else:
        uniform = 1.0 / widths[game.action_infoset]
    reached = np.asarray(totals > tol, dtype=bool)[game.action_infoset]
    safe_totals = np.where(np.asarray(totals > tol, dtype=bool), totals, 1)
    return np.where(reached, weights / np.repeat(safe_totals, widths), uniform)


# -- the sequence form -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SequencePayoffs:
    """Every player's payoff over sequence tuples, chance folded in (see the module docstring).

    Attributes:
      sequences: ``[n_entries, n_players]`` one sequence per player; each tuple appears once.
      values: ``[n_entries, n_players]`` the summed ``c(z) * u_i(z)`` of the terminals with those sequences
        (Fractions in an object array when exact).
    """

    sequences: np.ndarray
    values: np.ndarray

    @property
    def exact(self) -> bool:
        return bool(self.values.dtype == object)


def chance_reach(game: ExtensiveFormGame, *, exact: bool = False) -> np.ndarray:
    """``[n_nodes]`` the product of the chance probabilities on the path to each node (Fractions when exact)."""
    game = _require_game(game, "chance_reach(game)")
    edge = game.fraction_chance_prob() if exact else game.chance_prob
    below_chance = np.zeros(game.n_nodes, dtype=bool)
    below_chance[1:] = game.player[game.parent[1:]] == CHANCE
    edge = np.where(below_chance, edge, 1)  # only chance edges carry probabilities
    return _path_products(game, edge)


def sequence_payoffs(game: ExtensiveFormGame, *, exact: bool = False) -> SequencePayoffs:
    """The game's payoffs over sequence tuples (``exact=True``: Fractions, see the module docstring)."""
    game = _require_game(game, "sequence_payoffs(game)")
    terminals = game.terminals
    reach = chance_reach(game, exact=exact)[terminals]
    payoffs = game.fraction_payoffs()[terminals] if exact else game.payoffs[terminals]
    weighted = reach[:, None] * payoffs
    sequences, inverse = _unique_rows(game.node_sequence[terminals], game.n_sequences)
    values = (np.array([[Fraction(0)] * game.n_players for _ in range(sequences.shape[0])], dtype=object)
              if exact else np.zeros((sequences.shape[0], game.n_players)))
    np.add.at(values, inverse.reshape(-1), weighted)
    return SequencePayoffs(sequences=sequences, values=values)


def _unique_rows(rows: np.ndarray, sizes: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(rows, axis=0, return_inverse=True)`` for rows of indices below ``sizes``: each row becomes one
    integer (its flat index, which sorts the rows lexicographically), a sort of integers being several times faster
    than one of rows (a third of a second on tic-tac-toe's 255,168 terminals)."""
    if rows.shape[0] == 0 or math.prod(int(n) for n in sizes) >= 2**62:
        return np.unique(rows, axis=0, return_inverse=True)
    keys = np.ravel_multi_index(tuple(rows.T), tuple(int(n) for n in sizes))
    unique, inverse = np.unique(keys, return_inverse=True)
    return np.stack(np.unravel_index(unique, tuple(int(n) for n in sizes)), axis=1).astype(rows.dtype), inverse


def constraint_matrix(game: ExtensiveFormGame, player: int) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """``(E, e, infosets)``: ``player``'s realization-plan constraints ``E r = e`` (see the module docstring).

    ``E: [1 + m, n_sequences[player]]`` sparse, ``e: [1 + m]``, ``infosets: [m]`` the information set of row
    ``1 + i``.
    """
    game = _require_game(game, "constraint_matrix(game)")
    player = _require_player(game, player, "constraint_matrix(player)")
    infosets = np.flatnonzero(game.infoset_player == player)
    # Row 1 + i holds -1 at its set's parent sequence, then +1 at each of its actions' sequences, in that order
    # (built without a Python loop over sets: tic-tac-toe has 300,000 of them).
    offsets = game.infoset_action_offset
    widths = offsets[infosets + 1] - offsets[infosets]  # [m] actions per set
    row_of = np.repeat(np.arange(infosets.size), widths + 1)  # each set's entries: its parent, then its actions
    first = np.concatenate([[0], np.cumsum(widths + 1)[:-1]]).astype(np.int64)  # position of each parent entry
    position = np.arange(row_of.size) - first[row_of]  # 0 at the parent, 1 + k at the set's k-th action
    is_parent = position == 0
    action = offsets[infosets][row_of] + position - 1  # meaningful where not is_parent
    cols = np.where(is_parent, game.infoset_parent_sequence[infosets][row_of],
                    game.sequence_of_action[np.where(is_parent, 0, action)] if action.size else action)
    rows = np.concatenate([[0], 1 + row_of])
    cols = np.concatenate([[0], cols])
    vals = np.concatenate([[1.0], np.where(is_parent, -1.0, 1.0)])
    shape = (1 + infosets.size, game.n_sequences[player])
    matrix = sp.csr_matrix((vals, (rows, cols)), shape=shape)
    rhs = np.zeros(shape[0])
    rhs[0] = 1.0
    return matrix, rhs, infosets


@dataclass(frozen=True)
class SequenceForm:
    """The sequence form of a two-player game: ``max/min x^T A y`` over ``E x = e, F y = f, x, y >= 0``.

    Attributes:
      E, e: player 0's constraints, ``[1 + m0, n0]`` (sparse) and ``[1 + m0]``.
      F, f: player 1's constraints, ``[1 + m1, n1]`` (sparse) and ``[1 + m1]``.
      A, B: the players' payoffs over sequence pairs, ``[n0, n1]`` (sparse, chance folded in).
      infosets: per player, the information set of each constraint row after the first.
    """

    E: sp.csr_matrix
    e: np.ndarray
    F: sp.csr_matrix
    f: np.ndarray
    A: sp.csr_matrix
    B: sp.csr_matrix
    infosets: tuple[np.ndarray, np.ndarray]


def sequence_form(game: ExtensiveFormGame) -> SequenceForm:
    """The sequence form (constraints and payoff matrices) of a two-player extensive-form game."""
    game = _require_game(game, "sequence_form(game)")
    if game.n_players != 2:
        raise NotApplicableError(f"sequence_form(game): the matrices are for two-player games, got "
                                 f"{game.n_players} players; use sequence_payoffs for any number of players")
    e_matrix, e_rhs, sets0 = constraint_matrix(game, 0)
    f_matrix, f_rhs, sets1 = constraint_matrix(game, 1)
    entries = sequence_payoffs(game)
    shape = game.n_sequences
    rows, cols = entries.sequences[:, 0], entries.sequences[:, 1]
    a = sp.csr_matrix((entries.values[:, 0], (rows, cols)), shape=shape)
    b = sp.csr_matrix((entries.values[:, 1], (rows, cols)), shape=shape)
    return SequenceForm(E=e_matrix, e=e_rhs, F=f_matrix, f=f_rhs, A=a, B=b, infosets=(sets0, sets1))


# -- best responses over sequences -----------------------------------------------------------------------------


def payoff_contributions(game: ExtensiveFormGame, plans: Sequence[Any], player: int,
                         payoffs: SequencePayoffs | None = None) -> np.ndarray:
    """``[n_sequences[player]]`` ``c(s)``: ``player``'s payoff from the entries ending in its sequence ``s``,
    weighted by the other players' plans (``plans[player]`` is ignored and may be None)."""
    caller = "payoff_contributions"
    game = _require_game(game, f"{caller}(game)")
    player = _require_player(game, player, f"{caller}(player)")
    checked = _checked_plans(game, plans, f"{caller}(plans)", skip=player)
    exact = all(plan is not None and plan.dtype == object for plan in checked if plan is not None)
    if payoffs is None:
        payoffs = sequence_payoffs(game, exact=exact)
    weight = payoffs.values[:, player].copy()
    for p, plan in enumerate(checked):
        if plan is not None:
            weight = weight * plan[payoffs.sequences[:, p]]
    out = _zeros(game.n_sequences[player], payoffs.exact or exact)
    np.add.at(out, payoffs.sequences[:, player], weight)
    return out


def sequence_values(game: ExtensiveFormGame, contributions: np.ndarray, player: int) -> np.ndarray:
    """``[n_sequences[player]]`` ``V(s)``: the payoff of sequence ``s`` when ``player`` responds optimally after it.

    ``V(s) = c(s) + sum_{J: parent(J) = s} max_{a in A(J)} V(seq(a))``; ``V[0]`` is the best-response value. An
    action ``a`` of set ``J`` is a best response there exactly when ``V(seq(a)) = max_{b in A(J)} V(seq(b))``.
    """
    values = np.array(contributions, copy=True)
    if values.shape != (game.n_sequences[player],):
        raise GameError(f"sequence_values(contributions): expected shape ({game.n_sequences[player]},), got "
                        f"{values.shape}")
    for group in reversed(_infoset_groups(game, player)):
        actions = _actions_of(game, group)
        starts = np.concatenate([[0], np.cumsum(game.infoset_n_actions[group])[:-1]])
        best = np.maximum.reduceat(values[game.sequence_of_action[actions]], starts)
        np.add.at(values, game.infoset_parent_sequence[group], best)
    return values


def best_response_value(game: ExtensiveFormGame, plans: Sequence[Any], player: int,
                        payoffs: SequencePayoffs | None = None) -> Any:
    """``player``'s best-response value against the other players' realization plans (``plans[player]`` is
    ignored). Exact (a Fraction) when the plans hold Fractions or ``payoffs`` is exact."""
    contributions = payoff_contributions(game, plans, player, payoffs)
    return sequence_values(game, contributions, player)[0]


# -- the reduced normal form -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReducedNormalForm:
    """The reduced normal form of an extensive-form game.

    Attributes:
      tree: the extensive-form game.
      game: the normal-form game over reduced pure strategies (labels ``"infoset=action; ..."``).
      plans: per player ``[n_strategies_p, n_sequences[p]]``, the 0/1 realization plan of each pure strategy.
    """

    tree: ExtensiveFormGame
    game: NormalFormGame
    plans: tuple[np.ndarray, ...]

    def realization_plans(self, profile: Sequence[Any]) -> tuple[np.ndarray, ...]:
        """The realization plan ``m_p @ plans_p`` of each mixed strategy ``m_p: [n_strategies_p]``."""
        if not isinstance(profile, Sequence) or len(profile) != self.tree.n_players:
            raise GameError(f"ReducedNormalForm.behaviour(profile): expected one mixed strategy per player "
                            f"({self.tree.n_players})")
        out = []
        for p, (mixed, plans) in enumerate(zip(profile, self.plans, strict=True)):
            arr = np.asarray(mixed)
            if arr.shape != (plans.shape[0],):
                raise GameError(f"ReducedNormalForm.behaviour(profile): player {p}'s strategy must have shape "
                                f"({plans.shape[0]},), got {arr.shape}")
            out.append(arr @ plans.astype(object if arr.dtype == object else float))
        return tuple(out)

    def behaviour(self, profile: Sequence[Any], *, tol: float = 0.0) -> np.ndarray:
        """``[n_infoset_actions]`` the behaviour profile equivalent to a mixed profile of reduced strategies."""
        return behaviour_from_realization(self.tree, self.realization_plans(profile), tol=tol)


def _children_infosets(game: ExtensiveFormGame, player: int) -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for s in np.flatnonzero(game.infoset_player == player):
        children.setdefault(int(game.infoset_parent_sequence[s]), []).append(int(s))
    return children


def count_reduced_strategies(game: ExtensiveFormGame, player: int) -> int:
    """The number of ``player``'s reduced pure strategies (a product over sets below each sequence)."""
    game = _require_game(game, "count_reduced_strategies(game)")
    player = _require_player(game, player, "count_reduced_strategies(player)")
    children = _children_infosets(game, player)
    counts: dict[int, int] = {}
    for group in reversed(_infoset_groups(game, player)):  # children before parents
        for s in group:
            counts[int(s)] = sum(
                math.prod(counts[j] for j in children.get(int(game.sequence_of_action[a]), []))
                for a in range(game.infoset_action_offset[s], game.infoset_action_offset[s + 1]))
    return math.prod(counts[j] for j in children.get(0, []))


def _reduced_strategies(game: ExtensiveFormGame, player: int) -> list[tuple[int, ...]]:
    """Each reduced pure strategy as the tuple of infoset-actions it plays (information sets in index order).

    Below a sequence, the strategies are every combination of one strategy per information set it leads to (sets
    in index order); at a set, the strategies of each action in turn, followed by those below its sequence. Sets
    are taken children first (by decreasing own depth), so deep trees need no recursion.
    """
    children = _children_infosets(game, player)
    at_infoset: dict[int, list[tuple[int, ...]]] = {}

    def below_sequence(sequence: int) -> list[tuple[int, ...]]:
        options: list[tuple[int, ...]] = [()]
        for s in children.get(sequence, []):
            below = at_infoset.pop(s)  # each set's strategies are used once, by its parent sequence
            options = [chosen + more for chosen in options for more in below]
        return options

    for group in reversed(_infoset_groups(game, player)):
        for s in group.tolist():
            out: list[tuple[int, ...]] = []
            for a in range(int(game.infoset_action_offset[s]), int(game.infoset_action_offset[s + 1])):
                out.extend((a, *rest) for rest in below_sequence(int(game.sequence_of_action[a])))
            at_infoset[s] = out
    return below_sequence(0)


def _strategy_label(game: ExtensiveFormGame, actions: tuple[int, ...]) -> str:
    if not actions:
        return "(no move)"
    parts = []
    for a in actions:
        s = int(game.action_infoset[a])
        parts.append(f"{game.infoset_labels[s]}={game.action_labels[s][a - game.infoset_action_offset[s]]}")
    return "; ".join(parts)


def reduced_normal_form(game: ExtensiveFormGame, *, max_profiles: int = _MAX_PROFILES) -> ReducedNormalForm:
    """The reduced normal form: one pure strategy per reduced plan, payoffs with chance folded in.

    ``payoffs[i, s_0, ..., s_{n-1}] = sum_z c(z) u_i(z)`` over the terminals ``z`` all of whose sequences the
    strategies play. Raises :class:`NotApplicableError` when it has more than ``max_profiles`` pure profiles.
    """
    game = _require_game(game, "reduced_normal_form(game)")
    if isinstance(max_profiles, bool) or not isinstance(max_profiles, int) or max_profiles < 1:
        raise GameError(f"reduced_normal_form(max_profiles): expected a positive integer, got {max_profiles!r}")
    counts = [count_reduced_strategies(game, p) for p in range(game.n_players)]
    if math.prod(counts) > max_profiles:
        raise NotApplicableError(
            f"reduced_normal_form(game): {' x '.join(map(str, counts))} reduced pure strategies exceed "
            f"max_profiles={max_profiles}; solve the tree directly (sequence_form_lp_solve or cfr_solve)")
    strategies = [_reduced_strategies(game, p) for p in range(game.n_players)]
    plans = []
    for p, chosen in enumerate(strategies):
        plan = np.zeros((len(chosen), game.n_sequences[p]), dtype=np.int8)
        plan[:, 0] = 1
        for k, actions in enumerate(chosen):
            plan[k, game.sequence_of_action[list(actions)]] = 1
        plans.append(plan)
    tensor = _reduced_payoffs(game, plans)
    exact = _exact_reduced_payoffs(game, plans) if math.prod(counts) <= _MAX_EXACT_PROFILES else None
    labels = tuple(tuple(_strategy_label(game, a) for a in chosen) for chosen in strategies)
    normal = NormalFormGame(np.asarray(exact, dtype=float) if exact is not None else tensor,
                            name=f"{game.name} (reduced normal form)" if game.name else "",
                            action_labels=labels, player_labels=game.player_labels, exact_payoffs=exact)
    return ReducedNormalForm(tree=game, game=normal, plans=tuple(plans))


def _reduced_payoffs(game: ExtensiveFormGame, plans: list[np.ndarray]) -> np.ndarray:
    """``[n_players, *n_strategies]``: each sequence-payoff entry adds to every profile that plays its sequences."""
    entries = sequence_payoffs(game)
    shape = tuple(plan.shape[0] for plan in plans)
    if game.n_players == 2:  # x^T A y for every pair of pure plans at once
        rows, cols = entries.sequences[:, 0], entries.sequences[:, 1]
        out = np.empty((2, *shape))
        for i in range(2):
            matrix = sp.csr_matrix((entries.values[:, i], (rows, cols)), shape=game.n_sequences)
            out[i] = plans[0] @ (matrix @ plans[1].T.astype(float))
        return out
    return _accumulate(entries, plans, np.zeros((game.n_players, *shape)))


def _exact_reduced_payoffs(game: ExtensiveFormGame, plans: list[np.ndarray]) -> np.ndarray | None:
    """``[n_players, *n_strategies]`` the reduced payoffs in Fractions when the float sums may not carry them (a
    chance probability such as 1/6, or payoffs kept exactly), else None (the floats' shortest decimals are exact)."""
    if not game.has_chance and game.exact_payoffs is None:
        return None
    entries = sequence_payoffs(game, exact=True)
    shape = tuple(plan.shape[0] for plan in plans)
    zeros = np.empty((game.n_players, *shape), dtype=object)
    zeros[...] = Fraction(0)
    return _accumulate(entries, plans, zeros)


def _accumulate(entries: SequencePayoffs, plans: list[np.ndarray], tensor: np.ndarray) -> np.ndarray:
    """Add each sequence-payoff entry to every profile whose plans play its sequences (floats or Fractions)."""
    for sequences, value in zip(entries.sequences, entries.values, strict=True):
        playing = [np.flatnonzero(plan[:, s]) for plan, s in zip(plans, sequences, strict=True)]
        for i in range(tensor.shape[0]):
            tensor[i][np.ix_(*playing)] += value[i]
    return tensor


__all__ = [
    "ReducedNormalForm", "SequenceForm", "SequencePayoffs", "behaviour_from_realization", "best_response_value",
    "chance_reach", "constraint_matrix", "count_reduced_strategies", "exact_probability", "infoset_min_depth",
    "payoff_contributions", "realization_plan", "realization_plans", "reduced_normal_form", "sequence_form",
    "sequence_payoffs", "sequence_values",
]
