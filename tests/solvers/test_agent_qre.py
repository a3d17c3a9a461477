"""Agent logit QRE tracing on game trees (McKelvey & Palfrey 1998; Turocy 2010) and its refinement to Nash."""

from __future__ import annotations

import dataclasses
import math
import os
import tempfile
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria import GameError
from equilibria.core.errors import NotApplicableError
from equilibria.games.extensive_form import Chance, Decision, ExtensiveFormGame, Terminal
from equilibria.games.generators import random_game
from equilibria.games.io import dumps_efg, loads_efg
from equilibria.games.normal_form import NormalFormGame
from equilibria.games.sequence_form import reduced_normal_form
from equilibria.games.zoo.extensive_form import kuhn_poker
from equilibria.games.zoo.n_player_trees import jordan_pennies, selten_horse, selten_horse_equilibrium
from equilibria.metrics.exploitability import exploitability, nash_conv
from equilibria.solvers import agent_qre
from equilibria.solvers.agent_qre import agent_qre_path, agent_qre_solve
from equilibria.solvers.qre import qre_solve

TOL = 1e-9

# -- Gambit's example trees (data from the Gambit repository: contrib/games/{g1,e05}.efg, catalog/journals/ijgt/
# selten1975/fig3.efg, catalog/conf/itcs/jakobsen2016/fig3.efg; titles shortened) ------------------------------
G1 = """EFG 2 R "van der Laan et al. 2 x 2 x 2 example with no pure Nash" { "Player 1" "Player 2" "Player 3" }
""
p "" 1 1 "(1,1)" { "1" "2" } 0
p "" 2 1 "(2,1)" { "1" "2" } 0
p "" 3 1 "(3,1)" { "1" "2" } 0
t "" 1 "Outcome 1" { -1, -4, -4 }
t "" 2 "Outcome 2" { -2, -2, -8 }
p "" 3 1 "(3,1)" { "1" "2" } 0
t "" 3 "Outcome 3" { -8, -2, -1 }
t "" 4 "Outcome 4" { -5, -6, -8 }
p "" 2 1 "(2,1)" { "1" "2" } 0
p "" 3 1 "(3,1)" { "1" "2" } 0
t "" 5 "Outcome 5" { -8, -2, -4 }
t "" 6 "Outcome 6" { -8, -1, -2 }
p "" 3 1 "(3,1)" { "1" "2" } 0
t "" 7 "Outcome 7" { -2, -1, -2 }
t "" 8 "Outcome 8" { -2, -3, -1 }
"""
KREPS_WILSON = """EFG 2 R "Kreps, Wilson (Econometrica, 85), Figure 8" { "Player 1" "Player 2" "Player 3" }
""
c "" 1 "(0,1)" { "A" 1/2 "B" 1/2 } 0
p "" 3 1 "(3,1)" { "R" "L" } 0
p "" 2 1 "(2,1)" { "R" "L" } 0
p "" 1 1 "(1,1)" { "R" "L" } 0
t "" 1 "Outcome 1" { 2, 1, 2 }
t "" 1 "Outcome 1" { 2, 1, 2 }
t "" 2 "Outcome 2" { 2, 0, 0 }
t "" 3 "Outcome 3" { 1, 2, 1 }
p "" 1 1 "(1,1)" { "R" "L" } 0
p "" 2 1 "(2,1)" { "R" "L" } 0
p "" 3 1 "(3,1)" { "R" "L" } 0
t "" 1 "Outcome 1" { 2, 1, 2 }
t "" 1 "Outcome 1" { 2, 1, 2 }
t "" 4 "Outcome 4" { 0, 0, 2 }
t "" 3 "Outcome 3" { 1, 2, 1 }
"""
SELTEN_FIG3 = """EFG 2 R "Selten (IJGT 1975) Figure 3" { "Player 1" "Player 2" "Player 3" }
""
p "" 1 1 "" { "R" "L" } 0
p "" 3 1 "" { "R" "L" } 0
t "" 1 "Outcome 1" { 3, 0, 3 }
t "" 2 "Outcome 2" { 0, 0, 0 }
p "" 2 1 "" { "R" "L" } 0
p "" 1 2 "" { "R" "L" } 0
p "" 3 1 "" { "R" "L" } 0
t "" 3 "Outcome 3" { 4, 4, 0 }
t "" 4 "Outcome 4" { 0, 0, 5 }
t "" 5 "Outcome 5" { 2, 0, 0 }
t "" 6 "Outcome 6" { 1, 3, 0 }
"""
ONION_ROUTING = """EFG 2 R "Jakobsen, Sorensen, Conitzer (2016) Figure 3" { "P1" "P2" "P3" "P4" }
""
c "" 1 "" { "0" 1/4 "1" 1/4 "2" 1/4 "3" 1/4 } 0
p "" 2 1 "" { "1" "2" } 0
t "" 1 "Outcome 1" { 0, 0, 0, 0 }
p "" 1 1 "" { "1" "2" } 0
t "" 2 "Outcome 2" { 0, 0, 0, 0 }
t "" 3 "Outcome 3" { 1.01, -1, 0, 0 }
p "" 3 1 "" { "1" "2" } 0
t "" 4 "Outcome 4" { 0, 0, 0, 0 }
p "" 2 1 "" { "1" "2" } 0
t "" 5 "Outcome 5" { 0, 0, 0, 0 }
t "" 6 "Outcome 6" { 0, 1.01, -1, 0 }
p "" 4 1 "" { "1" "2" } 0
t "" 7 "Outcome 7" { 0, 0, 0, 0 }
p "" 3 1 "" { "1" "2" } 0
t "" 8 "Outcome 8" { 0, 0, 0, 0 }
t "" 9 "Outcome 9" { 0, 0, 1.01, -1 }
p "" 1 1 "" { "1" "2" } 0
t "" 10 "Outcome 10" { 0, 0, 0, 0 }
p "" 4 1 "" { "1" "2" } 0
t "" 11 "Outcome 11" { 0, 0, 0, 0 }
t "" 12 "Outcome 12" { -1, 0, 0, 1.01 }
"""
GAMBIT_TREES = {"g1": G1, "kreps-wilson": KREPS_WILSON, "selten-fig3": SELTEN_FIG3, "onion-routing": ONION_ROUTING}


# -- helpers ---------------------------------------------------------------------------------------------------
def random_tree(seed: int, n_players: int = 3, max_depth: int = 4, *, integer: bool = False) -> ExtensiveFormGame:
    """Chance and decisions of ``n_players`` with 2-3 actions; a player's information set is what it has seen (its
    own moves, the chance outcomes shown to it, moves made in public), so recall is perfect and histories that
    differ in what a player did not see share its sets. Payoffs uniform on [-5, 5] (generic) or integers there."""
    rng = np.random.default_rng(seed)
    widths: dict[tuple[int, tuple[str, ...]], int] = {}

    def node(depth: int, seen: tuple[tuple[str, ...], ...]) -> object:
        r = rng.random()
        if depth >= max_depth or (depth > 0 and r < 0.15):
            values = rng.integers(-5, 6, n_players) if integer else rng.uniform(-5, 5, n_players)
            return Terminal(tuple(float(v) for v in values))
        if r < 0.35:
            k = int(rng.integers(2, 4))
            shown = rng.random(n_players) < 0.5
            return Chance([(float(p), f"c{i}", node(depth + 1, tuple(s + (f"c{depth}={i}",) if shown[q] else s
                                                                      for q, s in enumerate(seen))))
                           for i, p in enumerate(rng.dirichlet(np.ones(k)))])
        mover = int(rng.integers(n_players))
        key = seen[mover]
        width = widths.setdefault((mover, key), int(rng.integers(2, 4)))
        public = rng.random() < 0.4
        moves = []
        for a in range(width):
            item = f"{mover}:{'|'.join(key)}->{a}"
            moves.append((f"a{a}", node(depth + 1, tuple(s + (item,) if q == mover or public else s
                                                          for q, s in enumerate(seen)))))
        return Decision(mover, f"{mover}/" + "/".join(key), moves)

    return ExtensiveFormGame.from_tree(node(0, ((),) * n_players), n_players=n_players)


def simultaneous_tree(game: NormalFormGame) -> ExtensiveFormGame:
    """A normal-form game as a tree: player i moves at depth i without seeing the earlier moves."""
    def node(player: int, actions: tuple[int, ...]) -> object:
        if player == game.n_players:
            return Terminal(tuple(float(game.payoffs[(i, *actions)]) for i in range(game.n_players)))
        return Decision(player, f"P{player}", [(f"a{a}", node(player + 1, actions + (a,)))
                                               for a in range(game.n_actions[player])])

    return ExtensiveFormGame.from_tree(node(0, ()), n_players=game.n_players)


def conditional_values(game: ExtensiveFormGame, policy: np.ndarray) -> np.ndarray:
    """``[n_infoset_actions]`` by recursion over the tree: each action's expected payoff to the set's player given
    the set is reached, with Bayes beliefs over its nodes (the agent QRE's values, computed independently)."""
    def value(k: int) -> np.ndarray:
        if game.player[k] == -2:
            return game.payoffs[k]
        children = range(game.first_child[k], game.first_child[k] + game.n_children[k])
        edge = [game.chance_prob[c] if game.player[k] == -1 else policy[game.edge_action[c]] for c in children]
        return sum(p * value(c) for p, c in zip(edge, children, strict=True))

    def others_reach(k: int, player: int) -> float:
        reach = 1.0
        while k > 0:
            up = game.parent[k]
            if game.player[up] == -1:
                reach *= game.chance_prob[k]
            elif game.player[up] != player:
                reach *= policy[game.edge_action[k]]
            k = up
        return reach

    weighted = np.zeros(game.n_infoset_actions)
    mass = np.zeros(game.n_infosets)
    for k in np.flatnonzero(game.player >= 0):
        p, s = game.player[k], game.infoset[k]
        reach = others_reach(int(k), int(p))
        mass[s] += reach
        for a in range(game.n_children[k]):
            weighted[game.infoset_action_offset[s] + a] += reach * value(int(game.first_child[k] + a))[p]
    return weighted / mass[game.action_infoset]


def logit_residual(game: ExtensiveFormGame, precision: float, policy: np.ndarray) -> float:
    """max |pi - softmax(precision v_I)| over the information sets: zero exactly at an agent logit QRE."""
    values = conditional_values(game, policy)
    worst = 0.0
    for s in range(game.n_infosets):
        lo, hi = game.infoset_action_offset[s], game.infoset_action_offset[s + 1]
        z = precision * values[lo:hi]
        response = np.exp(z - z.max())
        worst = max(worst, float(np.abs(response / response.sum() - policy[lo:hi]).max()))
    return worst


# -- known answers -----------------------------------------------------------------------------------------------
def test_selten_horse_gives_the_perfect_component() -> None:
    game = selten_horse()
    result = agent_qre_solve(game)
    assert result.method == "agent_qre" and result.converged
    assert result.certificate[0] <= TOL
    policy = result.equilibrium
    # component A: player 1 and player 2 across, player 3 left with probability q <= 1/4 (its set is unreached)
    assert policy[0] == pytest.approx(1.0, abs=1e-12) and policy[2] == pytest.approx(1.0, abs=1e-12)
    assert policy[4] <= 0.25 + 1e-12
    assert exploitability(game, selten_horse_equilibrium("A", 4 * policy[4])) <= 1e-12


@pytest.mark.parametrize("component", ["A", "B"])
def test_selten_horse_components_are_nash_and_end_where_stated(component: str) -> None:
    game = selten_horse()
    for t in (Fraction(0), Fraction(1, 3), Fraction(1)):
        assert exploitability(game, selten_horse_equilibrium(component, t).astype(float)) <= 1e-12
    # just beyond each component's end a player gains by deviating
    beyond = selten_horse_equilibrium(component, 1.0)
    if component == "A":
        beyond[4:] = (0.26, 0.74)
    else:
        beyond[2:4] = (0.3, 0.7)
    assert exploitability(game, beyond) > 1e-3


SELTEN_HORSE_GAMBIT = """EFG 2 R "Selten's horse (Selten IJGT 1975, Figure 1)" { "Player 1" "Player 2" "Player 3" }
""
p "" 1 1 "" { "R" "L" } 0
p "" 2 1 "" { "R" "L" } 0
t "" 1 "Outcome 1" { 1, 1, 1 }
p "" 3 1 "" { "R" "L" } 0
t "" 2 "Outcome 2" { 4, 4, 0 }
t "" 3 "Outcome 3" { 0, 0, 1 }
p "" 3 1 "" { "R" "L" } 0
t "" 4 "Outcome 4" { 3, 2, 2 }
t "" 5 "Outcome 5" { 0, 0, 0 }
"""


def test_zoo_trees_facts() -> None:
    """The figures proposed for the zoo entries, and Selten's horse as in Gambit's catalog (fig1.efg: the same
    tree, with player 1's across first and player 3's 'R' being our 'left')."""
    horse, jordan = selten_horse(), jordan_pennies()
    assert (horse.n_players, horse.n_nodes, horse.n_infosets) == (3, 9, 3)
    assert (jordan.n_players, jordan.n_nodes, jordan.n_infosets) == (3, 15, 3)
    assert nash_conv(horse, horse.uniform_policy()) == pytest.approx(5 / 8, abs=1e-12)
    assert nash_conv(horse, horse.first_action_policy()) == pytest.approx(5.0, abs=1e-12)
    assert nash_conv(jordan, jordan.uniform_policy()) == pytest.approx(0.0, abs=1e-12)
    assert nash_conv(jordan, jordan.first_action_policy()) == pytest.approx(1.0, abs=1e-12)
    gambit = loads_efg(SELTEN_HORSE_GAMBIT)
    np.testing.assert_array_equal(gambit.payoffs, horse.payoffs)
    np.testing.assert_array_equal(gambit.infoset, horse.infoset)
    with pytest.raises(GameError, match="component"):
        selten_horse_equilibrium("C", 0.5)
    with pytest.raises(GameError, match="t"):
        selten_horse_equilibrium("A", 1.5)


def test_jordan_pennies_unique_uniform_equilibrium() -> None:
    result = agent_qre_solve(jordan_pennies())
    assert result.converged and result.certificate[0] <= TOL
    np.testing.assert_allclose(result.equilibrium, 0.5, atol=1e-12)


def cyclic_pennies_tree() -> ExtensiveFormGame:
    """tests/solvers/test_qre.py's cyclic pennies as a tree: unique equilibrium (2/3, 1/3), (1/4, 3/4), (2/3, 1/3)."""
    match_0, match_1, mismatch_2 = np.array([[3, 0], [0, 1]]), np.array([[1, 0], [0, 2]]), np.array([[0, 2], [1, 0]])
    payoffs = np.zeros((3, 2, 2, 2))
    for a, b, c in np.ndindex(2, 2, 2):
        payoffs[:, a, b, c] = (match_0[a, b], match_1[b, c], mismatch_2[c, a])
    return simultaneous_tree(NormalFormGame(payoffs))


def test_cyclic_pennies_known_mixed_equilibrium() -> None:
    result = agent_qre_solve(cyclic_pennies_tree())
    assert result.converged and result.certificate[0] <= TOL
    np.testing.assert_allclose(result.equilibrium, [2 / 3, 1 / 3, 1 / 4, 3 / 4, 2 / 3, 1 / 3], atol=1e-9)


def test_kuhn_poker_value() -> None:
    result = agent_qre_solve(kuhn_poker())
    assert result.converged and result.certificate[0] <= TOL
    assert result.values[0][0] == pytest.approx(-1 / 18, abs=1e-8)


@pytest.mark.parametrize("name", list(GAMBIT_TREES))
def test_gambit_example_trees_are_certified(name: str) -> None:
    game = loads_efg(GAMBIT_TREES[name], source=f"{name}.efg")
    result = agent_qre_solve(game)
    assert result.converged and result.certificate[0] <= TOL
    game.check_policy(result.equilibrium)  # every set, reached or not, has a distribution


@pytest.mark.parametrize("name", ["g1", "kreps-wilson", "selten-fig3"])
def test_same_limit_as_gambit_logit_solve(name: str) -> None:
    gbt = pytest.importorskip("pygambit")
    game = loads_efg(GAMBIT_TREES[name], source=f"{name}.efg")
    theirs_game = _gambit(gbt, game)
    profile = gbt.nash.logit_solve(theirs_game).equilibria[0]
    theirs = np.zeros(game.n_infoset_actions)
    for player in theirs_game.players:
        for infoset in player.infosets:
            k = int(infoset.label[1:])
            for a, action in enumerate(infoset.actions):
                theirs[game.infoset_action_offset[k] + a] = float(profile[action])
    ours = agent_qre_solve(game).equilibrium
    np.testing.assert_allclose(ours, theirs, atol=1e-5)  # Gambit stops at regret 1e-8 x payoff range


def _gambit(gbt: object, game: ExtensiveFormGame) -> object:
    """``game`` in pygambit, with information sets labelled ``I<k>`` (k: ours) and plain labels elsewhere."""
    plain = dataclasses.replace(game, node_labels=(), name="", player_labels=None,
                                infoset_labels=tuple(f"I{k}" for k in range(game.n_infosets)),
                                action_labels=tuple(tuple(f"a{j}" for j in range(len(a))) for a in game.action_labels))
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "game.efg")
        with open(path, "w") as handle:
            handle.write(dumps_efg(plain))
        return gbt.read_efg(path)  # type: ignore[attr-defined]


# -- the path: an agent logit QRE at every point (checked by recursion, independently of the sweeps) ---------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_path_points_are_agent_logit_equilibria(seed: int) -> None:
    game = random_tree(seed, n_players=3)
    path = agent_qre_path(game, max_lambda=5.0)
    assert path.complete and path.lambdas[0] == 0 and path.lambdas[-1] == pytest.approx(5.0)
    assert path.profiles.shape == (len(path.lambdas), game.n_infoset_actions)
    for precision, policy in zip(path.lambdas[::3], path.profiles[::3], strict=True):
        assert logit_residual(game, precision, policy) <= 1e-9


def test_one_shot_tree_path_is_the_normal_form_logit_path() -> None:
    """With one information set per player and simultaneous moves the agent QRE is the normal-form QRE."""
    normal = random_game((2, 3, 2), seed=7)
    tree = simultaneous_tree(normal)
    path = agent_qre_path(tree, max_lambda=3.0)
    for precision, policy in zip(path.lambdas[::2], path.profiles[::2], strict=True):
        profile = (policy[:2], policy[2:5], policy[5:])
        for i, s in enumerate(profile):
            z = precision * normal.action_values(profile, i)
            assert np.abs(np.exp(z - z.max()) / np.exp(z - z.max()).sum() - s).max() <= 1e-9


@settings(max_examples=4, deadline=None)
@given(st.integers(0, 10**6), st.sampled_from([(2, 3), (3, 3), (2, 2, 2)]))
def test_one_shot_trees_agree_with_normal_form_qre(seed: int, shape: tuple[int, ...]) -> None:
    normal = random_game(shape, seed=seed)
    tree = simultaneous_tree(normal)
    ours = agent_qre_solve(tree)
    reduced = reduced_normal_form(tree)
    theirs = qre_solve(reduced.game)
    assert ours.certificate[0] <= TOL and theirs.certificate[0] <= TOL  # both certified
    if ours.converged and theirs.converged:  # generic: the same branch, so the same limiting logit equilibrium
        np.testing.assert_allclose(ours.equilibrium, reduced.behaviour(theirs.equilibrium), atol=1e-7)


# -- the analytic Jacobians ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [3, 4])
def test_jacobians_match_finite_differences(seed: int) -> None:
    game = random_tree(seed, n_players=3, max_depth=4)
    tree = agent_qre._Tree(game, game.payoffs.copy())
    system = agent_qre._AgentLogitSystem(tree)
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(size=tree.size), [0.7]])
    residual, jac = system.evaluate(x)
    eps = 1e-6
    numeric = np.column_stack([(system.evaluate(x + eps * e)[0] - system.evaluate(x - eps * e)[0]) / (2 * eps)
                               for e in np.eye(tree.size + 1)])
    np.testing.assert_allclose(jac, numeric, atol=1e-7)
    policy = agent_qre._normalised(tree, x[:-1])
    cv, dcv = agent_qre._counterfactual(tree, policy)
    numeric = np.column_stack([(agent_qre._counterfactual(tree, policy + eps * e)[0]
                                - agent_qre._counterfactual(tree, policy - eps * e)[0]) / (2 * eps)
                               for e in np.eye(tree.size)])
    np.testing.assert_allclose(dcv, numeric, atol=1e-7)
    v = conditional_values(game, policy)
    np.testing.assert_allclose(system.values(np.log(policy))[0], v, atol=1e-12)


# -- random trees --------------------------------------------------------------------------------------------------
@settings(max_examples=5, deadline=None)
@given(st.integers(0, 10**6), st.sampled_from([2, 3]), st.booleans())
def test_random_trees_certified(seed: int, n_players: int, integer: bool) -> None:
    game = random_tree(seed, n_players=n_players, integer=integer)
    result = agent_qre_solve(game, max_seconds=20.0)
    policy = game.check_policy(result.equilibrium)
    assert result.certificate[0] == pytest.approx(max(0.0, exploitability(game, policy)), abs=1e-15)
    if result.converged:
        assert result.certificate[0] <= TOL


def test_random_trees_converge_on_most() -> None:
    outcomes = []
    for seed in range(8):
        game = random_tree(1000 + seed, n_players=3 if seed % 2 else 2)
        result = agent_qre_solve(game, max_seconds=20.0)
        outcomes.append(result.converged and result.certificate[0] <= TOL)
    assert sum(outcomes) >= 7


# -- degenerate trees ----------------------------------------------------------------------------------------------
def test_tree_without_decisions() -> None:
    game = ExtensiveFormGame.from_tree(Chance([(0.5, "a", Terminal((1.0, 2.0, 3.0))),
                                               (0.5, "b", Terminal((0.0, 0.0, 0.0)))]), n_players=3)
    result = agent_qre_solve(game)
    assert result.converged and result.equilibrium.shape == (0,) and result.certificate == (0.0,)
    np.testing.assert_allclose(result.values[0], [0.5, 1.0, 1.5])


def test_one_player_decision_problem_picks_the_best_plan() -> None:
    root = Chance([(0.3, "x", Decision(0, "after x", [("a", Terminal((1.0,))), ("b", Terminal((2.0,)))])),
                   (0.7, "y", Decision(0, "after y", [("a", Terminal((5.0,))), ("b", Terminal((4.0,)))]))])
    result = agent_qre_solve(ExtensiveFormGame.from_tree(root, n_players=1))
    assert result.converged
    np.testing.assert_allclose(result.equilibrium, [0, 1, 1, 0], atol=1e-12)


def test_unreachable_set_behind_zero_probability_chance_gets_a_sequentially_rational_reply() -> None:
    """Player 1's set lies behind a chance move of probability 0: beliefs conditional on that move still make its
    agent respond (it prefers 'b'), and the profile is a certified Nash equilibrium."""
    hidden = Decision(1, "hidden", [("a", Terminal((0.0, 0.0))), ("b", Terminal((0.0, 1.0)))])
    root = Decision(0, "start", [("l", Terminal((1.0, 0.0))),
                                 ("r", Chance([(1.0, "on", Terminal((0.0, 0.0))), (0.0, "off", hidden)]))])
    result = agent_qre_solve(ExtensiveFormGame.from_tree(root, n_players=2))
    assert result.converged and result.certificate[0] <= TOL
    np.testing.assert_allclose(result.equilibrium, [1, 0, 0, 1], atol=1e-9)


def test_perfect_information_gives_the_subgame_perfect_play() -> None:
    """Entry game: the entrant enters, the incumbent accommodates (fighting is an incredible threat)."""
    incumbent = Decision(1, "incumbent", [("fight", Terminal((-1.0, -1.0))), ("accommodate", Terminal((1.0, 1.0)))])
    game = ExtensiveFormGame.from_tree(Decision(0, "entrant", [("out", Terminal((0.0, 2.0))), ("in", incumbent)]),
                                       n_players=2)
    result = agent_qre_solve(game)
    assert result.converged
    np.testing.assert_allclose(result.equilibrium, [0, 1, 0, 1], atol=1e-9)


# -- budgets and parameters ----------------------------------------------------------------------------------------
def test_budget_returns_the_best_profile_so_far() -> None:
    game = random_tree(0, max_depth=5)
    result = agent_qre_solve(game, max_iterations=2)
    assert not result.converged and result.iterations == 2
    game.check_policy(result.equilibrium)
    assert result.parameters["complete"] is False and result.parameters["final_lambda"] > 0
    assert result.certificate[0] == pytest.approx(max(0.0, exploitability(game, result.equilibrium)))
    quick = agent_qre_solve(random_tree(5, max_depth=6), max_seconds=1e-3)
    assert quick.seconds < 5.0


def test_parameters_are_recorded() -> None:
    result = agent_qre_solve(selten_horse(), tol=1e-8, max_lambda=1e5, step=0.05)
    params = result.parameters
    assert (params["tol"], params["max_lambda"], params["step"]) == (1e-8, 1e5, 0.05)
    assert params["max_seconds"] == 60.0 and params["max_iterations"] == 100_000
    assert 0 < params["final_lambda"] <= 1e5 and math.isfinite(params["final_lambda"])


def test_short_trace_ends_at_max_lambda() -> None:
    path = agent_qre_path(selten_horse(), max_lambda=2.0)
    assert path.complete and path.lambdas[-1] == pytest.approx(2.0)
    incomplete = agent_qre_path(selten_horse(), max_lambda=1e6, max_iterations=3)
    assert not incomplete.complete and len(incomplete.lambdas) == 4


# -- bad input -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [{"tol": 0}, {"tol": -1.0}, {"max_lambda": float("nan")}, {"step": "big"},
                                    {"max_iterations": 0}, {"max_iterations": True}, {"max_seconds": -1}])
def test_bad_arguments(kwargs: dict[str, object]) -> None:
    with pytest.raises(GameError, match="agent_qre_solve"):
        agent_qre_solve(selten_horse(), **kwargs)  # type: ignore[arg-type]


def test_bad_game() -> None:
    with pytest.raises(GameError, match="ExtensiveFormGame"):
        agent_qre_solve(NormalFormGame.zero_sum([[1, -1], [-1, 1]]))
    with pytest.raises(GameError, match="agent_qre_path"):
        agent_qre_path("kuhn", max_lambda=1.0)


def test_too_large_tree_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(agent_qre, "MAX_INFOSET_ACTIONS", 10)
    with pytest.raises(NotApplicableError, match="cfr"):
        agent_qre_solve(kuhn_poker())


def test_default_method_size_guard_matches_the_solver() -> None:
    from equilibria import solvers
    from equilibria.solvers.agent_qre import MAX_INFOSET_ACTIONS

    assert solvers._AGENT_QRE_MAX_ACTIONS == MAX_INFOSET_ACTIONS
