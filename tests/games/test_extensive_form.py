"""The flat extensive-form representation: breadth-first layout, reach probabilities, sequences, perfect recall and
validation messages, on hand-built trees, zoo games and random trees with perfect recall by construction."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria import GameError
from equilibria.games.extensive_form import CHANCE, TERMINAL, Chance, Decision, ExtensiveFormGame, Node, Terminal
from equilibria.games.zoo import extensive_form as zoo

AWKWARD = ['a "quoted" name', "back\\slash\\", "{brace}", "ünïcødé ☃", "two\nlines", "plain", "# hash", "x, y", ""]


def random_tree(seed: int, n_players: int = 2, max_depth: int = 4, awkward: bool = False) -> Node:
    """A random tree with chance, several players, and perfect recall by construction.

    Each player's information set is labelled by everything it has observed: its own moves (with the set they were
    made in) and, at random, chance outcomes and other players' moves. Nodes with equal observations share a set,
    and since a player observes all its own moves, every node of a set follows the same own moves. The number of
    actions is drawn once per set, so the nodes of a set agree on it.
    """
    rng = np.random.default_rng(seed)
    actions_of: dict[str, tuple[str, ...]] = {}

    def word(i: int) -> str:
        return f"{AWKWARD[int(rng.integers(len(AWKWARD)))]}{i}" if awkward else f"m{i}"

    def payoffs() -> tuple[float, ...]:
        kind = rng.integers(3)
        if kind == 0:
            return tuple(float(v) for v in rng.integers(-5, 6, size=n_players))
        if kind == 1:
            return tuple(float(v) for v in rng.normal(size=n_players))
        return tuple(float(v) / 3 for v in rng.integers(-9, 10, size=n_players))

    def build(depth: int, seen: tuple[tuple[str, ...], ...]) -> Node:
        if depth >= max_depth or (depth > 0 and rng.random() < 0.25):
            return Terminal(payoffs())
        watchers = rng.random(n_players) < 0.5  # who observes this node's outcome
        if rng.random() < 0.3:
            k = int(rng.integers(1, 4))
            probabilities = rng.dirichlet(np.ones(k))
            outcomes = []
            for i in range(k):
                label = word(i)
                after = tuple((*s, f"chance {label}") if watchers[p] else s for p, s in enumerate(seen))
                outcomes.append((float(probabilities[i]), label, build(depth + 1, after)))
            return Chance(outcomes)
        player = int(rng.integers(n_players))
        infoset = f"P{player} " + " / ".join(seen[player])
        if infoset not in actions_of:
            actions_of[infoset] = tuple(word(i) for i in range(int(rng.integers(1, 4))))
        moves = []
        for a, label in enumerate(actions_of[infoset]):
            after = tuple((*s, f"own {infoset} -> {a}") if p == player else (*s, f"P{player} played {a}")
                          if watchers[p] else s for p, s in enumerate(seen))
            moves.append((label, build(depth + 1, after)))
        return Decision(player, infoset, moves)

    return build(0, ((),) * n_players)


def reference_value(node: Node, game: ExtensiveFormGame, policy: np.ndarray) -> np.ndarray:
    """Expected payoffs by plain recursion over the nested tree (the definition, no arrays)."""
    if isinstance(node, Terminal):
        return np.asarray(node.payoffs, dtype=float)
    if isinstance(node, Chance):
        return sum((p * reference_value(child, game, policy) for p, _, child in node.outcomes),
                   np.zeros(game.n_players))
    index = next(i for i, (label, player) in enumerate(zip(game.infoset_labels, game.infoset_player, strict=True))
                 if label == node.infoset and player == node.player)
    offset = game.infoset_action_offset[index]
    return sum((policy[offset + a] * reference_value(child, game, policy) for a, (_, child) in enumerate(node.moves)),
               np.zeros(game.n_players))


def random_policy(game: ExtensiveFormGame, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    policy = rng.random(game.n_infoset_actions) + 0.01
    totals = np.add.reduceat(policy, game.infoset_action_offset[:-1]) if game.n_infosets else np.zeros(0)
    return policy / totals[game.action_infoset]


def children(game: ExtensiveFormGame, k: int) -> np.ndarray:
    return np.arange(game.first_child[k], game.first_child[k] + game.n_children[k])


def kuhn() -> ExtensiveFormGame:
    return zoo.get("kuhn-poker")


# -- layout ------------------------------------------------------------------------------------------------------
def assert_breadth_first(game: ExtensiveFormGame) -> None:
    n = game.n_nodes
    assert game.parent[0] == -1 and np.all(game.parent[1:] < np.arange(1, n))
    assert np.all(np.diff(game.depth) >= 0), "breadth-first: depth never decreases"
    for k in range(n):
        kids = children(game, k)
        assert np.all(game.parent[kids] == k)
        assert (game.player[k] == TERMINAL) == (kids.size == 0)
    assert np.array_equal(np.bincount(game.parent[1:], minlength=n), game.n_children)
    assert np.array_equal(np.concatenate(game.levels), np.arange(n))
    for d, level in enumerate(game.levels):
        assert np.all(game.depth[level] == d)


def test_kuhn_layout_matches_the_rules():
    game = kuhn()
    assert_breadth_first(game)
    assert game.n_nodes == 58 and game.n_infosets == 12 and game.n_infoset_actions == 24
    assert game.player[0] == CHANCE and np.all(game.player[1:4] == CHANCE) and np.all(game.player[4:10] == 0)
    assert game.node_labels[1:4] == ("J", "Q", "K")
    assert game.infoset_labels[:3] == ("J", "Q", "K")
    assert game.action_labels[0] == ("check", "bet")
    assert game.terminals.size == 30
    assert game.is_zero_sum() and game.has_chance and not game.is_perfect_information
    assert set(np.unique(game.payoffs[game.terminals, 0])) == {-2.0, -1.0, 1.0, 2.0}
    assert np.all(game.payoffs[game.player != TERMINAL] == 0)


@given(seed=st.integers(0, 2**32 - 1), n_players=st.integers(1, 3))
@settings(max_examples=60, deadline=None)
def test_random_trees_are_laid_out_breadth_first(seed, n_players):
    game = ExtensiveFormGame.from_tree(random_tree(seed, n_players), n_players=n_players)
    assert_breadth_first(game)
    decision = np.flatnonzero(game.player >= 0)
    assert np.array_equal(game.infoset_n_actions[game.infoset[decision]], game.n_children[decision])
    # Information sets are numbered in breadth-first order of their first node.
    first_nodes = [int(np.flatnonzero(game.infoset == s)[0]) for s in range(game.n_infosets)]
    assert first_nodes == sorted(first_nodes)


# -- reach probabilities and expected payoffs --------------------------------------------------------------------
def test_kuhn_uniform_reach_probabilities():
    game = kuhn()
    reach = game.reach_probabilities(game.uniform_policy())
    assert reach[0] == 1
    assert np.allclose(reach[1:4], 1 / 3) and np.allclose(reach[4:10], 1 / 6)
    assert reach[game.terminals].sum() == pytest.approx(1, abs=1e-15)
    # A leaf after check, check: 1/6 (deal) x 1/2 x 1/2.
    check_check = [k for k in game.terminals if game.node_labels[game.parent[k]] == "check"
                   and game.node_labels[k] == "check"]
    assert len(check_check) == 6 and np.allclose(reach[check_check], 1 / 24)
    assert np.allclose(game.expected_payoffs(game.uniform_policy()), [1 / 8, -1 / 8])


@given(seed=st.integers(0, 2**32 - 1), n_players=st.integers(1, 3))
@settings(max_examples=60, deadline=None)
def test_reach_and_expected_payoffs_agree_with_recursion(seed, n_players):
    tree = random_tree(seed, n_players)
    game = ExtensiveFormGame.from_tree(tree, n_players=n_players)
    policy = random_policy(game, seed)
    reach = game.reach_probabilities(policy)
    inner = np.flatnonzero(game.n_children > 0)
    sums = np.array([reach[children(game, k)].sum() for k in inner])
    assert np.allclose(sums, reach[inner], rtol=0, atol=1e-12)  # outgoing probabilities sum to 1 everywhere
    assert reach[game.terminals].sum() == pytest.approx(1, abs=1e-12)
    assert np.allclose(game.expected_payoffs(policy), reference_value(tree, game, policy), rtol=0, atol=1e-12)
    for name in ("uniform_policy", "first_action_policy"):
        profile = game.check_policy(getattr(game, name)())  # sums to 1 at every information set
        assert np.allclose(game.expected_payoffs(profile), reference_value(tree, game, profile), rtol=0, atol=1e-12)


# -- sequences ---------------------------------------------------------------------------------------------------
def test_kuhn_sequences():
    game = kuhn()
    assert game.n_sequences == (13, 13)
    parent_of = dict(zip(game.infoset_labels, game.infoset_parent_sequence.tolist(), strict=True))
    for card in "JQK":
        assert parent_of[card] == 0 and parent_of[f"{card}:bet"] == 0 and parent_of[f"{card}:check"] == 0
        opening = game.infoset_labels.index(card)
        check = game.infoset_action_offset[opening]  # the opening infoset's first action
        assert parent_of[f"{card}:check,bet"] == game.sequence_of_action[check]
    # Sequences of each player are 1..n in infoset-action order.
    for p in range(2):
        mine = game.action_player == p
        assert np.array_equal(game.sequence_of_action[mine], np.arange(1, mine.sum() + 1))


@given(seed=st.integers(0, 2**32 - 1), n_players=st.integers(1, 3))
@settings(max_examples=60, deadline=None)
def test_node_sequences_follow_each_players_own_moves(seed, n_players):
    game = ExtensiveFormGame.from_tree(random_tree(seed, n_players), n_players=n_players)
    sequences = game.node_sequence
    assert np.all(sequences[0] == 0)
    for c in range(1, game.n_nodes):
        up, mover = game.parent[c], game.player[game.parent[c]]
        expected = sequences[up].copy()
        if mover >= 0:
            expected[mover] = game.sequence_of_action[game.infoset_action_offset[game.infoset[up]] + c
                                                      - game.first_child[up]]
        assert np.array_equal(sequences[c], expected)
    decision = np.flatnonzero(game.player >= 0)
    assert np.array_equal(sequences[decision, game.player[decision]],
                          game.infoset_parent_sequence[game.infoset[decision]])
    assert game.n_sequences == tuple(1 + int(np.sum(game.action_player == p)) for p in range(n_players))


# -- perfect recall ----------------------------------------------------------------------------------------------
def test_forgetting_ones_own_move_violates_perfect_recall():
    forgetful = Decision(0, "first", [
        ("left", Decision(0, "second", [("a", Terminal((1.0,))), ("b", Terminal((0.0,)))])),
        ("right", Decision(0, "second", [("a", Terminal((0.0,))), ("b", Terminal((1.0,)))])),
    ])
    with pytest.raises(GameError, match=r"information set 'second' violates perfect recall: nodes 1 \('left'\) and "
                                        r"2 \('right'\) .* player 0's own moves") as info:
        ExtensiveFormGame.from_tree(forgetful)
    assert "\n" not in str(info.value)


def test_absent_minded_driver_violates_perfect_recall():
    driver = Decision(0, "junction", [("exit", Terminal((0.0,))),
                                      ("continue", Decision(0, "junction", [("exit", Terminal((4.0,))),
                                                                            ("continue", Terminal((1.0,)))]))])
    with pytest.raises(GameError, match="'junction' violates perfect recall"):
        ExtensiveFormGame.from_tree(driver)


def test_forgetting_what_chance_did_is_allowed():
    # Perfect recall concerns a player's own moves: not seeing chance (or the opponent) is imperfect information.
    game = zoo.get("matching-pennies-tree")
    assert game.n_infosets == 2 and game.infoset_nodes(1).tolist() == [1, 2]


# -- validation messages -----------------------------------------------------------------------------------------
LEAF = Terminal((0.0, 0.0))


@pytest.mark.parametrize(
    ("tree", "message"),
    [
        (Chance([(0.5, "a", LEAF), (0.4, "b", LEAF)], label="deal"),
         r"chance probabilities at node 0 \('deal'\) are \[0\.5, 0\.4\].*sum to 0\.9\b"),
        (Chance([(1.5, "a", LEAF), (-0.5, "b", LEAF)]), "must be nonnegative"),
        (Chance([]), "chance node 0 has no outcomes"),
        (Chance([(1.0, LEAF)]), r"outcomes must be \(probability, label, subtree\)"),
        (Decision(0, "I", []), "decision node 0 has no moves"),
        (Decision(-1, "I", [("a", LEAF)]), "player must be an integer >= 0, got -1"),
        (Decision(0, "I", [("a", "not a node")]), "node 1 .* is a str; expected Terminal, Chance or Decision"),
        (Decision(0, "I", [("a", Decision(1, "J", [("x", LEAF)])), ("b", Decision(1, "J", [("y", LEAF)]))]),
         r"information set 'J' has actions \('x',\) at one node and \('y',\) at node 'b'"),
        (Decision(0, "I", [("a", Terminal((1.0, 2.0, 3.0))), ("b", LEAF)]), "terminal 'a' has 3 payoffs, expected 2"),
        (Decision(0, "I", [("a", Terminal((np.inf, 0.0))), ("b", LEAF)]), "terminal 'a' has a NaN or infinite"),
    ],
)
def test_tree_validation_messages(tree, message):
    with pytest.raises(GameError, match=message) as info:
        ExtensiveFormGame.from_tree(tree, n_players=2)
    assert "\n" not in str(info.value)
    assert str(info.value).startswith("ExtensiveFormGame")


def flat_arrays(**changes: object) -> dict[str, object]:
    """The arrays of a root decision of player 0 with two leaves; ``changes`` replaces some."""
    arrays: dict[str, object] = dict(
        n_players=2, parent=np.array([-1, 0, 0]), player=np.array([0, TERMINAL, TERMINAL]),
        first_child=np.array([1, -1, -1]), n_children=np.array([2, 0, 0]), chance_prob=np.ones(3),
        infoset=np.array([0, -1, -1]), payoffs=np.array([[0.0, 0.0], [1.0, -1.0], [-1.0, 1.0]]),
        infoset_player=np.array([0]), infoset_labels=("root",), action_labels=(("l", "r"),))
    arrays.update(changes)
    return arrays


def test_flat_arrays_are_accepted_when_consistent():
    game = ExtensiveFormGame(**flat_arrays())
    assert game.expected_payoffs([0.25, 0.75]).tolist() == [-0.5, 0.5]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"player": np.array([0, TERMINAL])}, r"ExtensiveFormGame\.player: expected shape \(3,\), got \(2,\)"),
        ({"payoffs": np.zeros((3, 3))}, r"ExtensiveFormGame\.payoffs: expected shape \(3, 2\)"),
        ({"payoffs": np.array([[0, 0], [np.nan, 0], [0, 0]])}, "payoffs: contains NaN"),
        ({"parent": np.array([-1, 0, 2])}, "root is 0 and parent"),
        ({"player": np.array([2, TERMINAL, TERMINAL])}, "node 0 has player 2, but the game has 2 players"),
        ({"infoset": np.array([-1, -1, -1])}, "every decision node needs an information set index"),
        ({"infoset_player": np.array([1])}, r"information set 'root' mixes players \(node 0 belongs to player 0\)"),
        ({"action_labels": (("l", "m", "r"),)}, "node 0 has 2 actions but its information set 'root' has 3"),
        ({"player": np.array([CHANCE, TERMINAL, TERMINAL]), "infoset": np.array([-1, -1, -1]),
          "chance_prob": np.array([1.0, 0.5, 0.25])}, "chance probabilities at node 0 sum to 0.75"),
    ],
)
def test_flat_array_validation_messages(changes, message):
    with pytest.raises(GameError, match=message) as info:
        ExtensiveFormGame(**flat_arrays(**changes))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        (np.ones(3) / 3, r"expected a behaviour profile of shape \(24,\).*got \(3,\)"),
        (np.full(24, np.nan), "must be finite and nonnegative"),
        (np.r_[-0.5, 1.5, np.full(22, 0.5)], "must be finite and nonnegative"),
        (np.r_[0.7, 0.7, np.full(22, 0.5)], "probabilities at information set 'J' sum to 1.4, not 1"),
    ],
)
def test_policy_validation_messages(policy, message):
    with pytest.raises(GameError, match=message) as info:
        kuhn().expected_payoffs(policy)
    assert "\n" not in str(info.value)


def test_single_leaf_game():
    game = ExtensiveFormGame.from_tree(Terminal((1.0, -1.0)), name="leaf")
    assert game.n_nodes == 1 and game.n_infosets == 0 and game.n_sequences == (1, 1)
    assert game.expected_payoffs(game.uniform_policy()).tolist() == [1.0, -1.0]
    assert game.describe() == "leaf: 2-player tree, 1 nodes, 0 information sets"


def _raw_game(**changes: object) -> ExtensiveFormGame:
    """A one-player tree root -> (a -> {u, v}, leaf) numbered breadth-first, with ``changes`` applied."""
    arrays: dict[str, object] = dict(
        n_players=1, parent=np.array([-1, 0, 0, 1, 1]), player=np.array([0, 0, -2, -2, -2]),
        first_child=np.array([1, 3, -1, -1, -1]), n_children=np.array([2, 2, 0, 0, 0]), chance_prob=np.ones(5),
        infoset=np.array([0, 1, -1, -1, -1]), payoffs=np.array([[0.0], [0.0], [3.0], [1.0], [2.0]]),
        infoset_player=np.array([0, 0]), infoset_labels=("r", "a"), action_labels=(("x", "y"), ("u", "v")))
    arrays.update(changes)
    return ExtensiveFormGame(**arrays)  # type: ignore[arg-type]


def test_raw_arrays_in_breadth_first_order_are_accepted() -> None:
    game = _raw_game()
    assert game.n_nodes == 5 and [list(level) for level in game.levels] == [[0], [1, 2], [3, 4]]


@pytest.mark.parametrize(("changes", "message"), [
    # depth-first numbering of the same tree
    ({"parent": np.array([-1, 0, 1, 1, 0]), "first_child": np.array([1, 2, -1, -1, -1]),
      "player": np.array([0, 0, -2, -2, -2]), "infoset": np.array([0, 1, -1, -1, -1])}, "first_child|breadth-first"),
    ({"payoffs": np.array([[5.0], [0.0], [3.0], [1.0], [2.0]])}, "inner node 0 has nonzero payoffs"),
    ({"action_labels": (("x", "y"),)}, "2 information sets but 1 action label"),
    ({"node_labels": ("a", "b")}, "node_labels"),
    ({"n_children": np.array([2, 2, 1, 0, 0])}, "terminal with children"),
])
def test_malformed_arrays_are_one_line_errors(changes: dict, message: str) -> None:
    with pytest.raises(GameError, match=message):
        _raw_game(**changes)


@pytest.mark.parametrize(("tree", "message"), [
    (Decision(0, "r", [Terminal((1.0,)), Terminal((2.0,))]), "moves must be"),
    (Chance([("a", "x", Terminal((1.0,)))]), "probability 'a' is not a number"),
    (Terminal(("a",)), "payoffs must be numbers"),
    (Terminal(1.0), "one number per player"),  # type: ignore[arg-type]
])
def test_malformed_trees_name_the_node(tree: object, message: str) -> None:
    with pytest.raises(GameError, match=message):
        ExtensiveFormGame.from_tree(tree)  # type: ignore[arg-type]
