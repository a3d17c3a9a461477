"""The extensive-form zoo's facts: values (sequence-form LP, backward induction), NashConv of the uniform and
first-action profiles, known equilibria, alpha-beta facts, rule spot checks, and node-for-node equality with
OpenSpiel (when pyspiel is installed)."""

from __future__ import annotations

import sys
from fractions import Fraction

import numpy as np
import pytest
from scipy.optimize import linprog
from scipy.sparse import coo_matrix, csr_matrix, hstack

from equilibria import GameError
from equilibria.games.extensive_form import CHANCE, TERMINAL, ExtensiveFormGame
from equilibria.games.zoo import extensive_form as zoo
from equilibria.metrics.exploitability import exploitability, nash_conv

SMALL = [e for e in zoo.ENTRIES if e.name != "tic-tac-toe"]


# -- reference computations (independent of the solvers under development) ---------------------------------------
def _sequence_constraints(game: ExtensiveFormGame, player: int) -> tuple[csr_matrix, np.ndarray]:
    """``E x = e``: the empty sequence has weight 1; each set's actions split its parent sequence's weight."""
    sets = np.flatnonzero(game.infoset_player == player)
    rows, cols, vals = [0], [0], [1.0]
    for r, s in enumerate(sets, start=1):
        rows.append(r)
        cols.append(int(game.infoset_parent_sequence[s]))
        vals.append(-1.0)
        for a in range(game.infoset_action_offset[s], game.infoset_action_offset[s + 1]):
            rows.append(r)
            cols.append(int(game.sequence_of_action[a]))
            vals.append(1.0)
    rhs = np.zeros(1 + sets.size)
    rhs[0] = 1.0
    return csr_matrix(coo_matrix((vals, (rows, cols)), shape=(1 + sets.size, game.n_sequences[player]))), rhs


def sequence_form_value(game: ExtensiveFormGame) -> float:
    """Player 0's value of a two-player zero-sum game: ``max_x min_y x^T A y`` over realization plans, written as
    the LP ``max f^T q  s.t.  F^T q <= A^T x,  E x = e,  x >= 0`` (Koller, Megiddo and von Stengel 1996)."""
    leaves = game.terminals
    chance = np.ones(game.n_nodes)
    for level in game.levels[1:]:
        up = game.parent[level]
        chance[level] = chance[up] * np.where(game.player[up] == CHANCE, game.chance_prob[level], 1.0)
    seq = game.node_sequence[leaves]
    payoff = coo_matrix((chance[leaves] * game.payoffs[leaves, 0], (seq[:, 0], seq[:, 1])),
                        shape=game.n_sequences).tocsr()
    e_matrix, e = _sequence_constraints(game, 0)
    f_matrix, f = _sequence_constraints(game, 1)
    n_x, n_q = game.n_sequences[0], f_matrix.shape[0]
    result = linprog(np.concatenate([np.zeros(n_x), -f]),
                     A_ub=hstack([-payoff.T, f_matrix.T]).tocsr(), b_ub=np.zeros(game.n_sequences[1]),
                     A_eq=hstack([e_matrix, csr_matrix((e_matrix.shape[0], n_q))]).tocsr(), b_eq=e,
                     bounds=[(0, None)] * n_x + [(None, None)] * n_q, method="highs")
    assert result.status == 0, result.message
    return float(-result.fun)


def backward_induction(game: ExtensiveFormGame) -> np.ndarray:
    """``[n_nodes]`` minimax values for player 0 of a two-player zero-sum perfect-information game."""
    values = game.payoffs[:, 0].copy()
    for level, below in zip(reversed(game.levels[:-1]), reversed(game.levels[1:]), strict=True):
        inner = level[game.n_children[level] > 0]  # their children, in order, are exactly the next level
        starts = game.first_child[inner] - below[0]
        best = np.maximum.reduceat(values[below], starts)
        worst = np.minimum.reduceat(values[below], starts)
        values[inner] = np.where(game.player[inner] == 0, best, worst)
    return values


def follow(game: ExtensiveFormGame, *labels: str) -> int:
    """The node reached from the root by the moves (or chance outcomes) with these labels."""
    k = 0
    for label in labels:
        kids = range(game.first_child[k], game.first_child[k] + game.n_children[k])
        k = next(c for c in kids if game.node_labels[c] == label)
    return k


# -- every entry -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("entry", SMALL, ids=lambda e: e.name)
def test_entry_facts(entry):
    game = entry.game()
    assert isinstance(game, ExtensiveFormGame) and game.name == entry.name
    assert (game.n_nodes, game.n_infosets) == (entry.n_nodes, entry.n_infosets)
    assert entry.description and entry.reference
    for policy, known in ((game.uniform_policy(), entry.uniform_nash_conv),
                          (game.first_action_policy(), entry.first_action_nash_conv)):
        if known is not None:
            assert nash_conv(game, policy) == pytest.approx(float(known), rel=1e-12, abs=1e-12)
    assert (entry.value is not None) == (game.n_players == 2 and game.is_zero_sum())  # value: zero-sum games only
    if entry.value is not None:
        assert sequence_form_value(game) == pytest.approx(float(entry.value), abs=1e-9)


@pytest.mark.parametrize("entry", [e for e in zoo.ENTRIES if e.known_equilibrium], ids=lambda e: e.name)
def test_known_equilibria(entry):
    game = entry.game()
    policy = zoo.known_policy(game, entry.known_equilibrium)
    assert nash_conv(game, policy) == pytest.approx(0, abs=1e-12)
    if entry.value is not None:
        assert game.expected_payoffs(policy)[0] == pytest.approx(float(entry.value), abs=1e-12)


def test_names_and_lookup():
    assert zoo.names()[:8] == ("kuhn-poker", "leduc-poker", "minimax-lesson", "tic-tac-toe", "goofspiel-4",
                               "matching-pennies-tree", "selten-horse", "jordan-pennies")
    assert zoo.entry("leduc-poker").openspiel == "leduc_poker"
    with pytest.raises(KeyError, match="did you mean kuhn-poker"):
        zoo.get("kuhn-pokr")


# -- Kuhn poker --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("alpha", [Fraction(0), Fraction(1, 6), Fraction(1, 3)])
def test_kuhn_equilibrium_family_has_value_minus_one_eighteenth(alpha):
    game = zoo.kuhn_poker()
    policy = zoo.known_policy(game, zoo._kuhn_equilibrium(alpha))
    assert nash_conv(game, policy) == pytest.approx(0, abs=1e-12)
    assert game.expected_payoffs(policy)[0] == pytest.approx(-1 / 18, abs=1e-15)


def test_kuhn_uniform_exploitability_is_eleven_twenty_fourths():
    game = zoo.kuhn_poker()
    assert exploitability(game, game.uniform_policy()) == pytest.approx(11 / 24, rel=1e-14)


# -- Leduc poker -------------------------------------------------------------------------------------------------
def test_leduc_betting_rules():
    game = zoo.leduc_poker()
    # Js vs Qh; raise, call (3 each); public Ks; raise (7), re-raise (11), call: no pair, Q beats J: -11.
    k = follow(game, "Js", "Qh", "raise", "call", "Ks", "raise", "raise", "call")
    assert game.player[k] == TERMINAL and game.payoffs[k].tolist() == [-11.0, 11.0]
    # The same, but the public card pairs player 0's jack.
    k = follow(game, "Js", "Qh", "raise", "call", "Jh", "raise", "raise", "call")
    assert game.payoffs[k].tolist() == [11.0, -11.0]
    # Equal ranks split the pot.
    k = follow(game, "Ks", "Kh", "call", "call", "Qs", "call", "call")
    assert game.payoffs[k].tolist() == [0.0, 0.0]
    # Folding to a raise loses one's own stake: check, raise (player 1 has 3 in), fold (player 0 loses 1).
    k = follow(game, "Qs", "Jh", "call", "raise", "fold")
    assert game.payoffs[k].tolist() == [-1.0, 1.0]
    # At most two raises per round; fold only facing a raise; call with nothing to call is a check.
    opening = follow(game, "Qs", "Jh")
    assert game.action_labels[game.infoset[opening]] == ("call", "raise")
    capped = follow(game, "Qs", "Jh", "raise", "raise")
    assert game.action_labels[game.infoset[capped]] == ("fold", "call")
    assert game.infoset_labels[game.infoset[capped]] == "Qs:rr"
    second_round = follow(game, "Qs", "Jh", "call", "call", "Kh", "raise")
    assert game.infoset_labels[game.infoset[second_round]] == "Jh:cc/Kh:r"
    assert game.player[follow(game, "Qs", "Jh", "call", "call")] == CHANCE


def test_leduc_sizes():
    game = zoo.leduc_poker()
    assert game.terminals.size == 5520
    assert np.bincount(game.infoset_player).tolist() == [468, 468]
    assert game.n_sequences == (1093, 1093)  # 1 + 1092 infoset-actions each (2 or 3 per set)


# -- the minimax lesson ------------------------------------------------------------------------------------------
def alpha_beta(game: ExtensiveFormGame, k: int, alpha: float, beta: float, visited: list[str]) -> float:
    """Textbook fail-hard alpha-beta, children left to right, recording the leaves it evaluates."""
    if game.player[k] == TERMINAL:
        visited.append(game.node_labels[k])
        return float(game.payoffs[k, 0])
    kids = range(game.first_child[k], game.first_child[k] + game.n_children[k])
    if game.player[k] == 0:
        value = -np.inf
        for c in kids:
            value = max(value, alpha_beta(game, c, alpha, beta, visited))
            alpha = max(alpha, value)
            if alpha >= beta:
                break
        return value
    value = np.inf
    for c in kids:
        value = min(value, alpha_beta(game, c, alpha, beta, visited))
        beta = min(beta, value)
        if alpha >= beta:
            break
    return value


def test_minimax_lesson_search_facts():
    entry = zoo.entry("minimax-lesson")
    game, facts = entry.game(), entry.search
    assert facts is not None
    assert [set(game.player[level].tolist()) for level in game.levels] == [{0}, {1}, {0}, {TERMINAL}]
    assert game.is_perfect_information and not game.has_chance
    assert game.player_labels == ("MAX", "MIN")
    values = backward_induction(game)
    assert values[0] == facts.value == entry.value
    line, k = [], 0
    while game.player[k] != TERMINAL:  # the principal variation: the first child achieving the value
        kids = np.arange(game.first_child[k], game.first_child[k] + game.n_children[k])
        k = int(kids[np.flatnonzero(values[kids] == values[k])[0]])
        line.append(game.node_labels[k])
    assert tuple(line) == facts.principal_variation
    visited: list[str] = []
    assert alpha_beta(game, 0, -np.inf, np.inf, visited) == facts.value
    leaves = [game.node_labels[k] for k in game.terminals]
    assert len(visited) == facts.evaluated_leaves
    assert tuple(label for label in leaves if label not in visited) == facts.pruned_leaves


# -- tic-tac-toe -------------------------------------------------------------------------------------------------
def test_tic_tac_toe_counts_and_value():
    entry = zoo.entry("tic-tac-toe")
    game = entry.game()
    assert zoo.get("tic-tac-toe") is game  # built once, cached
    assert (game.n_nodes, game.n_infosets) == (entry.n_nodes, entry.n_infosets) == (549946, 294778)
    assert game.is_perfect_information and game.is_zero_sum() and not game.has_chance
    leaves = game.payoffs[game.terminals, 0]
    assert (leaves.size, np.sum(leaves == 1), np.sum(leaves == -1), np.sum(leaves == 0)) == (255168, 131184, 77904,
                                                                                             46080)
    assert backward_induction(game)[0] == entry.value == 0
    # Games ending after 5, 6, 7, 8 and 9 moves.
    assert np.bincount(game.depth[game.terminals]).tolist()[5:] == [1440, 5328, 47952, 72576, 127872]
    with pytest.raises(ValueError, match="read-only"):
        game.payoffs[0, 0] = 1.0
    assert game.infoset_labels[:3] == ("start", "0", "1") and game.action_labels[1] == tuple("12345678")


# -- Goofspiel and matching pennies ------------------------------------------------------------------------------
def test_goofspiel_rules():
    game = zoo.goofspiel(4)
    assert game.player[0] == CHANCE and game.node_labels[1:5] == ("prize 1", "prize 2", "prize 3", "prize 4")
    # Player 1 bids without seeing player 0's bid: one information set across player 0's four bids.
    second = [follow(game, "prize 4", f"bid {b}") for b in range(1, 5)]
    assert len({int(game.infoset[k]) for k in second}) == 1
    # Prizes 4, 3, 2 (then 1); bids 4-1 (P0 wins 4), 1-4 (P1 wins 3), 2-2 (tie, discarded), then 3-3: 4 > 3.
    k = follow(game, "prize 4", "bid 4", "bid 1", "prize 3", "bid 1", "bid 4", "prize 2", "bid 2", "bid 2")
    assert game.player[k] == TERMINAL and game.payoffs[k].tolist() == [1.0, -1.0]
    after_two = follow(game, "prize 4", "bid 4", "bid 1", "prize 3", "bid 1", "bid 4", "prize 2")
    assert game.infoset_labels[game.infoset[after_two]] == "P0 prizes=4,3,2 bids=4,1 wins=0,1"
    with pytest.raises(GameError, match=r"goofspiel\(num_cards\): expected an integer from 2 to 6"):
        zoo.goofspiel(9)


def test_goofspiel_is_symmetric_in_value():
    game = zoo.goofspiel(3)
    assert sequence_form_value(game) == pytest.approx(0, abs=1e-9)


@pytest.mark.parametrize(
    ("by_label", "message"),
    [
        ((("P0", (0.5, 0.5)),), "no probabilities for information set 'P1'"),
        ((("P0", (0.5, 0.5)), ("P1", (1.0,))), "'P1' has 2 actions, got 1"),
        ((("P0", (0.5, 0.5)), ("P9", (0.5, 0.5))), "no information set 'P9'"),
        ((("P0", (0.9, 0.5)), ("P1", (0.5, 0.5))), "'P0' sum to 1.4"),
    ],
)
def test_known_policy_errors(by_label, message):
    with pytest.raises(GameError, match=message):
        zoo.known_policy(zoo.matching_pennies_tree(), by_label)


# -- OpenSpiel: the same trees, node for node --------------------------------------------------------------------
ARRAYS = ("parent", "player", "first_child", "n_children", "chance_prob", "infoset", "payoffs", "infoset_player")


@pytest.mark.parametrize("entry", [e for e in SMALL if e.openspiel], ids=lambda e: e.name)
def test_entries_equal_openspiel_node_for_node(entry):
    pytest.importorskip("pyspiel")
    from equilibria.games.io.openspiel import from_openspiel

    ours, theirs = entry.game(), from_openspiel(entry.openspiel)
    for name in ARRAYS:
        assert np.array_equal(getattr(ours, name), getattr(theirs, name)), name
    assert [len(a) for a in ours.action_labels] == [len(a) for a in theirs.action_labels]
    for policy in ("uniform_policy", "first_action_policy"):
        assert nash_conv(theirs, getattr(theirs, policy)()) == nash_conv(ours, getattr(ours, policy)())


def test_openspiel_nash_conv_matches_openspiel_itself():
    pyspiel = pytest.importorskip("pyspiel")
    from open_spiel.python import policy as openspiel_policy
    from open_spiel.python.algorithms import exploitability as openspiel_exploitability

    from equilibria.games.io.openspiel import from_openspiel

    for name in ("kuhn_poker", "leduc_poker"):
        game = pyspiel.load_game(name)
        theirs = openspiel_exploitability.nash_conv(game, openspiel_policy.UniformRandomPolicy(game))
        imported = from_openspiel(game)
        assert nash_conv(imported, imported.uniform_policy()) == pytest.approx(theirs, rel=1e-12)
        assert imported.infoset_labels[0].startswith("[Observer: 0]" if name == "leduc_poker" else "0")


def test_openspiel_import_options_and_errors():
    pytest.importorskip("pyspiel")
    from equilibria.games.io.openspiel import from_openspiel

    game = from_openspiel("goofspiel", {"num_cards": 3, "imp_info": True}, name="g3")
    assert game.name == "g3" and game.n_infosets == zoo.goofspiel(3).n_infosets
    with pytest.raises(GameError, match="has more than 100 nodes"):
        from_openspiel("leduc_poker", max_nodes=100)
    with pytest.raises(GameError, match=r"OpenSpiel cannot load 'no_such_game'"):
        from_openspiel("no_such_game")
    with pytest.raises(GameError, match="expected a pyspiel.Game or a game name, got int"):
        from_openspiel(3)


def test_from_openspiel_without_pyspiel_says_what_to_install(monkeypatch):
    from equilibria.games.io.openspiel import from_openspiel

    monkeypatch.setitem(sys.modules, "pyspiel", None)  # makes `import pyspiel` raise ImportError
    with pytest.raises(GameError, match=r"OpenSpiel is not installed; install the bench extra"):
        from_openspiel("kuhn_poker")
