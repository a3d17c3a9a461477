"""Deep trees (issue 15): best response, NashConv, expected payoffs, the ``.efg`` reader, the tree builder, backward
induction and CFR are linear in the tree's size, however deep. Each pass is checked against a definition written
independently here (a plain loop down the chain, or exact arithmetic over the sequence form), on long chains and
on random trees, including deep random trees that take the pointer-jumping passes."""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria.games.extensive_form import _LEVEL_LOOP_MAX, Chance, Decision, ExtensiveFormGame, Node, Terminal
from equilibria.games.io.efg import read_efg
from equilibria.metrics.exploitability import (
    best_response,
    exact_nash_conv,
    exploitability,
    nash_conv,
    payoffs_and_best_responses,
)
from equilibria.solvers.cfr import cfr_solve
from equilibria.solvers.tree_search import backward_induction_solve
from tests.games.test_extensive_form import random_policy, random_tree


def chain_payoffs(depth: int, seed: int) -> np.ndarray:
    """``[depth + 1, 2]`` integer payoffs: the leaf of "stop" at each level, then the end of the chain."""
    return np.random.default_rng(seed).integers(-5, 6, size=(depth + 1, 2)).astype(float)


def chain(depth: int, seed: int = 0) -> ExtensiveFormGame:
    """Players 0 and 1 alternate; at level k the mover stops (a leaf) or goes on. Built bottom-up, no recursion."""
    payoffs = chain_payoffs(depth, seed)
    node: Node = Terminal(tuple(payoffs[depth]))
    for k in range(depth - 1, -1, -1):
        node = Decision(k % 2, f"I{k}", [("stop", Terminal(tuple(payoffs[k]))), ("go", node)])
    return ExtensiveFormGame.from_tree(node, n_players=2)


def chain_efg(depth: int, seed: int = 0) -> str:
    """The same chain as Gambit text (each level's information set declared once, each leaf its own outcome)."""
    payoffs = chain_payoffs(depth, seed).astype(int)
    lines = ['EFG 2 R "chain" { "A" "B" }', '""']
    for k in range(depth):
        lines.append(f'p "" {k % 2 + 1} {k // 2 + 1} "I{k}" {{ "stop" "go" }} 0')
        lines.append(f't "" {k + 1} "" {{ {payoffs[k, 0]}, {payoffs[k, 1]} }}')
    lines.append(f't "" {depth + 1} "" {{ {payoffs[depth, 0]}, {payoffs[depth, 1]} }}')
    return "\n".join(lines) + "\n"


def chain_best_response_value(payoffs: np.ndarray, go: np.ndarray, player: int) -> float:
    """``player``'s best response to the others going on with probability ``go[k]`` at level ``k``: a loop from
    the end of the chain (the definition of backward induction on a chain)."""
    value = payoffs[-1, player]
    for k in range(len(go) - 1, -1, -1):
        stop = payoffs[k, player]
        value = max(stop, value) if k % 2 == player else (1 - go[k]) * stop + go[k] * value
    return float(value)


def chain_expected_payoffs(payoffs: np.ndarray, go: np.ndarray) -> np.ndarray:
    reach, total = 1.0, np.zeros(2)
    for k, p in enumerate(go):
        total += reach * (1 - p) * payoffs[k]
        reach *= p
    return total + reach * payoffs[-1]


def chain_subgame_perfect_value(payoffs: np.ndarray) -> np.ndarray:
    value = payoffs[-1]
    for k in range(len(payoffs) - 2, -1, -1):
        value = payoffs[k] if payoffs[k, k % 2] >= value[k % 2] else value  # ties: "stop", the lower action
    return value


def chain_policy(depth: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    go = np.random.default_rng(seed).uniform(0.05, 0.95, size=depth)
    return go, np.stack([1 - go, go], axis=1).ravel()  # infoset k's actions are (stop, go)


@pytest.fixture(scope="module", autouse=True)
def compiled() -> None:
    """Compile (or load) the kernels first: the timings below are of the passes, not of numba's first call."""
    game = chain(3)
    exploitability(game, game.uniform_policy())
    backward_induction_solve(game)
    cfr_solve(chain(80), variant="cfr+", max_iterations=2)


# -- the regression tests of the issue --------------------------------------------------------------------------
def test_deep_trees_best_response_of_a_1000_deep_chain_is_quick() -> None:
    game = chain(1000, seed=1)
    go, policy = chain_policy(1000, seed=2)
    payoffs = chain_payoffs(1000, 1)
    clock = time.perf_counter()
    responses = [best_response(game, policy, p) for p in (0, 1)]
    conv = nash_conv(game, policy)
    seconds = time.perf_counter() - clock
    assert seconds < 0.1  # was 11 s for one best response (a sweep of the whole tree per own depth)
    for p, response in enumerate(responses):
        assert response.value == pytest.approx(chain_best_response_value(payoffs, go, p), abs=1e-12)
    on_policy = chain_expected_payoffs(payoffs, go)
    np.testing.assert_allclose(game.expected_payoffs(policy), on_policy, atol=1e-12)
    assert conv == pytest.approx(sum(r.value for r in responses) - on_policy.sum(), abs=1e-12)


def test_deep_trees_100k_deep_efg_is_read_and_certified_in_seconds(tmp_path) -> None:
    depth = 100_000
    path = tmp_path / "chain.efg"
    path.write_text(chain_efg(depth, seed=3), encoding="utf-8")
    clock = time.process_time()  # CPU time: other processes on the machine do not count
    game = read_efg(path)
    result = backward_induction_solve(game)
    uniform = exploitability(game, game.uniform_policy())
    seconds = time.process_time() - clock
    # Reading alone took 15 s before and the certificate never finished. Now 5.0-5.5 CPU s on the CI machine's kind
    # (reading 5.0 of it; two fresh-clone runs in Dec 2026 measured 5.4 and 5.5 against the first bound, 5.0): the
    # bound guards against that regression, not the parser's speed, which wants a benchmark (and a faster tokenizer).
    assert seconds < 8.0
    assert game.n_nodes == 2 * depth + 1 and len(game.levels) == depth + 1
    assert result.converged and result.certificate == (0.0,)  # subgame perfect: nobody gains by deviating
    payoffs = chain_payoffs(depth, 3)
    np.testing.assert_array_equal(result.values[0], chain_subgame_perfect_value(payoffs))
    go = np.full(depth, 0.5)
    expected = sum(chain_best_response_value(payoffs, go, p) for p in (0, 1)) - chain_expected_payoffs(
        payoffs, go).sum()
    assert uniform == pytest.approx(expected / 2, abs=1e-9)


def test_deep_trees_cfr_with_a_one_second_budget_returns_in_time() -> None:
    game = chain(1000, seed=4)
    clock = time.perf_counter()
    result = cfr_solve(game, variant="cfr+", max_seconds=1.0)
    seconds = time.perf_counter() - clock
    assert seconds < 2.5  # was 12.4 s: the certificate alone took 11 s, outside the budget
    assert result.iterations >= 1 and result.seconds < 2.5 and "message" not in result.parameters
    assert result.certificate[0] == pytest.approx(exploitability(game, result.equilibrium), abs=1e-12)


# -- the passes against definitions ---------------------------------------------------------------------------------
def exact_profile(game: ExtensiveFormGame, policy: np.ndarray) -> np.ndarray:
    """``policy`` as Fractions summing to exactly 1 per information set (each float read exactly)."""
    exact = np.array([Fraction(float(v)) for v in policy], dtype=object)
    if game.n_infosets:
        exact = exact / np.add.reduceat(exact, game.infoset_action_offset[:-1])[game.action_infoset]
    return exact


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 3), st.integers(1, 6))
def test_deep_trees_nash_conv_equals_the_exact_sequence_form_one(seed: int, n_players: int, depth: int) -> None:
    game = ExtensiveFormGame.from_tree(random_tree(seed, n_players, max_depth=depth))
    exact = exact_profile(game, random_policy(game, seed))
    policy = np.asarray(exact, dtype=float)
    values, best = payoffs_and_best_responses(game, policy)  # type: ignore[misc]
    assert float(np.sum(best - values)) == pytest.approx(float(exact_nash_conv(game, exact)), abs=1e-9)
    assert nash_conv(game, policy) == pytest.approx(float(np.sum(best - values)), abs=1e-12)
    np.testing.assert_allclose(values, game.reach_probabilities(policy) @ game.payoffs, atol=1e-12)
    for p in range(n_players):
        response = best_response(game, policy, p)
        assert response.value == best[p]
        # The response is a pure strategy of p, and it earns its value against the others' policy.
        mine = game.action_player == p
        assert set(np.unique(response.policy[mine]).tolist()) <= {0.0, 1.0}
        np.testing.assert_array_equal(response.policy[~mine], policy[~mine])
        assert game.expected_payoffs(response.policy)[p] == pytest.approx(response.value, abs=1e-9)


def caterpillar(seed: int, depth: int) -> ExtensiveFormGame:
    """A deep random tree: a spine of ``depth`` chance and decision nodes (of three players, two or three
    branches), every branch but one a leaf; built bottom-up."""
    rng = np.random.default_rng(seed)
    node: Node = Terminal(tuple(rng.integers(-9, 10, size=3) / 3))
    for k in range(depth - 1, -1, -1):
        width = int(rng.integers(2, 4))
        spine = int(rng.integers(width))
        branches = [node if b == spine else Terminal(tuple(rng.integers(-9, 10, size=3) / 3)) for b in range(width)]
        if rng.random() < 0.3:
            node = Chance([(p, f"c{b}", child) for b, (p, child) in enumerate(
                zip(rng.dirichlet(np.ones(width)), branches, strict=True))])
        else:
            node = Decision(int(rng.integers(3)), f"I{k}", [(f"a{b}", child) for b, child in enumerate(branches)])
    return ExtensiveFormGame.from_tree(node, n_players=3)


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(_LEVEL_LOOP_MAX + 1, 300))
def test_deep_trees_pointer_jumping_passes_agree_with_the_definitions(seed: int, depth: int) -> None:
    game = caterpillar(seed, depth)
    assert len(game.levels) > _LEVEL_LOOP_MAX  # the pointer-jumping passes
    policy = random_policy(game, seed)
    # Reach and sequences node by node, parents first (the definition).
    edge = game.edge_probabilities(policy)
    reach = np.ones(game.n_nodes)
    sequences = np.zeros((game.n_nodes, 3), dtype=np.int64)
    depths = np.zeros(game.n_nodes, dtype=np.int64)
    for k in range(1, game.n_nodes):
        up = game.parent[k]
        reach[k] = reach[up] * edge[k]
        depths[k] = depths[up] + 1
        sequences[k] = sequences[up]
        if game.player[up] >= 0:
            sequences[k, game.player[up]] = game.sequence_of_action[game.edge_action[k]]
    np.testing.assert_allclose(game.reach_probabilities(policy), reach, rtol=1e-12, atol=1e-300)
    np.testing.assert_array_equal(game.node_sequence, sequences)
    np.testing.assert_array_equal(game.depth, depths)
    assert len(game.levels) == depth + 1 and depths.max() == depth
    exact = exact_profile(game, policy)
    assert nash_conv(game, np.asarray(exact, dtype=float)) == pytest.approx(float(exact_nash_conv(game, exact)),
                                                                            abs=1e-9)
