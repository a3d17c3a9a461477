"""Sequence form and reduced normal form: conversions, payoff matrices, best responses, known answers."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria import GameError
from equilibria.core.errors import NotApplicableError
from equilibria.games.extensive_form import Chance, Decision, ExtensiveFormGame, Terminal
from equilibria.games.sequence_form import (
    behaviour_from_realization,
    best_response_value,
    chance_reach,
    constraint_matrix,
    count_reduced_strategies,
    exact_probability,
    realization_plan,
    realization_plans,
    reduced_normal_form,
    sequence_form,
    sequence_payoffs,
)
from equilibria.metrics.exploitability import best_response

# Chance distributions whose products stay exact in floats (so reduced normal forms read back exactly).
_DYADIC = ((0.5, 0.5), (0.25, 0.75), (0.25, 0.25, 0.5))


def random_tree(seed: int, *, n_players: int = 2, zero_sum: bool = True, chance: bool = True,
                max_depth: int = 4, payoff_range: int = 5, observe: float = 0.5) -> ExtensiveFormGame:
    """A random game with imperfect information and perfect recall.

    A player's information set is keyed by everything it has seen: its own earlier (set, action) pairs and the
    moves of others and chance it happened to observe (each with probability ``observe``, drawn per edge).
    Equal keys mean equal own histories, so perfect recall holds; unobserved moves merge nodes into one set.
    """
    rng = np.random.default_rng(seed)
    arity: dict[tuple[object, ...], int] = {}

    def payoffs() -> Terminal:
        if zero_sum:
            u = float(rng.integers(-payoff_range, payoff_range + 1))
            return Terminal((u, -u))
        return Terminal(tuple(float(v) for v in rng.integers(-payoff_range, payoff_range + 1, n_players)))

    def observed(seen: tuple[tuple[object, ...], ...], event: object, mover: int | None) -> tuple:
        return tuple(s + ((event,) if p == mover or rng.random() < observe else ()) for p, s in enumerate(seen))

    def build(depth: int, seen: tuple[tuple[object, ...], ...]) -> object:
        if depth >= max_depth or (depth > 0 and rng.random() < 0.2):
            return payoffs()
        if chance and depth > 0 and rng.random() < 0.2:
            probs = _DYADIC[int(rng.integers(len(_DYADIC)))]
            return Chance([(p, f"c{i}", build(depth + 1, observed(seen, ("chance", depth, i), None)))
                           for i, p in enumerate(probs)])
        player = int(rng.integers(n_players))
        key = (player, seen[player])
        if key not in arity:
            arity[key] = int(rng.integers(2, 4))
            labels[key] = f"P{player}.{len(labels)}"
        return Decision(player, labels[key], [
            (f"a{a}", build(depth + 1, observed(seen, (labels[key], a), player))) for a in range(arity[key])])

    labels: dict[tuple[object, ...], str] = {}
    root = build(0, tuple(() for _ in range(n_players)))
    return ExtensiveFormGame.from_tree(root, n_players=n_players, name=f"random-{seed}")  # type: ignore[arg-type]


def random_policy(game: ExtensiveFormGame, seed: int, zeros: bool = False) -> np.ndarray:
    """A random behaviour profile (with some zero probabilities when ``zeros``)."""
    rng = np.random.default_rng(seed)
    raw = rng.random(game.n_infoset_actions)
    if zeros:
        raw[rng.random(game.n_infoset_actions) < 0.3] = 0.0
    starts = game.infoset_action_offset[:-1]
    empty = np.add.reduceat(raw, starts) == 0
    raw[starts[empty]] = 1.0
    return raw / np.add.reduceat(raw, starts)[game.action_infoset]


def kuhn() -> ExtensiveFormGame:
    from equilibria.games.zoo.extensive_form import get

    return get("kuhn-poker")


seeds = st.integers(0, 2**32 - 1)


# -- realization plans -----------------------------------------------------------------------------------------


def test_kuhn_uniform_realization_plan_satisfies_constraints() -> None:
    game = kuhn()
    x = realization_plan(game, game.uniform_policy(), 0)
    matrix, rhs, infosets = constraint_matrix(game, 0)
    assert x.shape == (13,) and x[0] == 1.0
    np.testing.assert_allclose(matrix @ x, rhs, atol=1e-15)
    assert infosets.shape == (6,)
    # Each card's bet has weight 1/2; after check-bet, fold and call weigh 1/4.
    assert sorted(x.tolist()) == [0.25] * 6 + [0.5] * 6 + [1.0]


def test_exact_round_trip_keeps_fractions() -> None:
    game = kuhn()
    policy = np.array([Fraction(1, 3), Fraction(2, 3)] * (game.n_infoset_actions // 2), dtype=object)
    plans = realization_plans(game, policy)
    assert all(plan.dtype == object for plan in plans)
    assert Fraction(2, 9) in set(plans[0].tolist())  # check (1/3), then call a bet (2/3)
    back = behaviour_from_realization(game, plans)
    assert back.dtype == object and list(back) == list(policy)


@settings(max_examples=40, deadline=None)
@given(seeds)
def test_round_trip_behaviour_realization_behaviour(seed: int) -> None:
    game = random_tree(seed)
    policy = random_policy(game, seed, zeros=True)
    back = behaviour_from_realization(game, realization_plans(game, policy))
    for s in range(game.n_infosets):
        lo, hi = game.infoset_action_offset[s], game.infoset_action_offset[s + 1]
        player = int(game.infoset_player[s])
        parent = realization_plan(game, policy, player)[game.infoset_parent_sequence[s]]
        expected = policy[lo:hi] if parent > 0 else np.full(hi - lo, 1.0 / (hi - lo))  # unreached: uniform
        np.testing.assert_allclose(back[lo:hi], expected, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(seeds)
def test_sequence_form_payoff_is_expected_payoff(seed: int) -> None:
    game = random_tree(seed, zero_sum=False)
    form = sequence_form(game)
    policy = random_policy(game, seed + 1)
    x, y = realization_plans(game, policy)
    expected = game.expected_payoffs(policy)
    np.testing.assert_allclose([x @ form.A @ y, x @ form.B @ y], expected, atol=1e-12)
    np.testing.assert_allclose(form.E @ x, form.e, atol=1e-12)
    np.testing.assert_allclose(form.F @ y, form.f, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(seeds, st.integers(2, 3))
def test_best_response_value_matches_the_tree_best_response(seed: int, n_players: int) -> None:
    game = random_tree(seed, n_players=n_players, zero_sum=False)
    policy = random_policy(game, seed + 2, zeros=True)
    plans = realization_plans(game, policy)
    for player in range(n_players):
        assert best_response_value(game, plans, player) == pytest.approx(
            best_response(game, policy, player).value, abs=1e-12)


def test_exact_best_response_value_in_kuhn() -> None:
    game = kuhn()
    uniform = np.array([Fraction(1, 2)] * game.n_infoset_actions, dtype=object)
    plans = realization_plans(game, uniform)
    # NashConv of the uniform profile is 11/12 (OpenSpiel); its payoffs are (1/8, -1/8).
    total = best_response_value(game, plans, 0) + best_response_value(game, plans, 1)
    assert total == Fraction(11, 12)
    assert isinstance(total, Fraction)


def test_chance_is_folded_in_exactly() -> None:
    game = kuhn()
    reach = chance_reach(game, exact=True)
    assert set(reach[game.terminals].tolist()) == {Fraction(1, 6)}
    entries = sequence_payoffs(game, exact=True)
    assert entries.exact and entries.values.shape[1] == 2
    assert sum(entries.values[:, 0]) + sum(entries.values[:, 1]) == 0
    assert exact_probability(1 / 6) == Fraction(1, 6)
    assert exact_probability(0.1) == Fraction(1, 10)
    assert exact_probability(1 / 3 + 1e-12) == Fraction(repr(1 / 3 + 1e-12))


# -- the reduced normal form -----------------------------------------------------------------------------------


def test_kuhn_reduced_normal_form_sizes_and_value() -> None:
    from equilibria.solvers.zero_sum_lp import zero_sum_lp_solve

    game = kuhn()
    reduced = reduced_normal_form(game)
    assert reduced.game.n_actions == (27, 64)
    assert count_reduced_strategies(game, 0) == 27
    assert reduced.game.action_labels is not None
    assert reduced.game.action_labels[0][0] == "J=check; J:check,bet=fold; Q=check; Q:check,bet=fold; K=check; " \
                                               "K:check,bet=fold"
    result = zero_sum_lp_solve(reduced.game)
    assert result.values[0][0] == pytest.approx(-1 / 18, abs=1e-12)
    from equilibria.metrics.exploitability import exploitability

    behaviour = reduced.behaviour(result.equilibrium, tol=1e-12)
    assert exploitability(game, behaviour) == pytest.approx(0.0, abs=1e-9)


@settings(max_examples=30, deadline=None)
@given(seeds, st.integers(2, 3))
def test_reduced_normal_form_payoffs_are_tree_payoffs(seed: int, n_players: int) -> None:
    game = random_tree(seed, n_players=n_players, zero_sum=False, max_depth=3)
    reduced = reduced_normal_form(game)
    rng = np.random.default_rng(seed)
    mixed = tuple(rng.dirichlet(np.ones(n)) for n in reduced.game.n_actions)
    behaviour = reduced.behaviour(mixed)
    np.testing.assert_allclose(reduced.game.expected_payoffs(mixed), game.expected_payoffs(behaviour), atol=1e-12)


def test_pure_strategies_are_distinct_zero_one_plans() -> None:
    reduced = reduced_normal_form(kuhn())
    for plans in reduced.plans:
        assert set(np.unique(plans).tolist()) <= {0, 1}
        assert np.unique(plans, axis=0).shape[0] == plans.shape[0]


def test_player_without_moves_has_one_empty_strategy() -> None:
    game = ExtensiveFormGame.from_tree(Decision(0, "only", [("l", Terminal((1, 0))), ("r", Terminal((0, 1)))]),
                                       n_players=2)
    reduced = reduced_normal_form(game)
    assert reduced.game.n_actions == (2, 1)
    assert reduced.game.action_labels is not None and reduced.game.action_labels[1] == ("(no move)",)


# -- bad input -------------------------------------------------------------------------------------------------


def test_bad_input_raises_one_line_game_errors() -> None:
    game = kuhn()
    cases = [
        lambda: realization_plan("kuhn", game.uniform_policy(), 0),
        lambda: realization_plan(game, game.uniform_policy(), 2),
        lambda: realization_plan(game, np.ones(3), 0),
        lambda: behaviour_from_realization(game, [np.ones(13)]),
        lambda: behaviour_from_realization(game, [np.ones(13), np.ones(5)]),
        lambda: behaviour_from_realization(game, [np.full(13, np.nan), np.ones(13)]),
        lambda: reduced_normal_form(game, max_profiles=0),
        lambda: best_response_value(game, [None, np.ones(4)], 0),
    ]
    for case in cases:
        with pytest.raises(GameError) as info:
            case()
        assert "\n" not in str(info.value)
    with pytest.raises(NotApplicableError, match="max_profiles"):
        reduced_normal_form(game, max_profiles=100)
    three = random_tree(3, n_players=3, zero_sum=False)
    with pytest.raises(NotApplicableError, match="two-player"):
        sequence_form(three)


def _constraint_matrix_by_loop(game: ExtensiveFormGame, player: int) -> np.ndarray:
    """``E`` written out set by set from the module docstring (dense)."""
    infosets = np.flatnonzero(game.infoset_player == player)
    matrix = np.zeros((1 + infosets.size, game.n_sequences[player]))
    matrix[0, 0] = 1.0
    for i, s in enumerate(infosets):
        matrix[1 + i, game.infoset_parent_sequence[s]] -= 1.0
        for a in range(game.infoset_action_offset[s], game.infoset_action_offset[s + 1]):
            matrix[1 + i, game.sequence_of_action[a]] += 1.0
    return matrix


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([2, 3]), st.sampled_from([0.0, 0.5, 1.0]))
def test_sequence_form_vectorised_constraints_match_the_definition(seed: int, n_players: int, observe: float) -> None:
    """Item 2 of issue 15: ``E`` and the payoff entries, built without loops over sets, are the definition's."""
    from equilibria.games.sequence_form import _unique_rows

    game = random_tree(seed, n_players=n_players, zero_sum=False, observe=observe)
    for player in range(n_players):
        matrix, rhs, infosets = constraint_matrix(game, player)
        np.testing.assert_array_equal(matrix.toarray(), _constraint_matrix_by_loop(game, player))
        assert rhs[0] == 1.0 and not rhs[1:].any() and infosets.size == matrix.shape[0] - 1
    rows = game.node_sequence[game.terminals]
    expected, inverse = np.unique(rows, axis=0, return_inverse=True)
    got, got_inverse = _unique_rows(rows, game.n_sequences)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(got_inverse, inverse.reshape(got_inverse.shape))
    assert got.dtype == rows.dtype


def test_sequence_form_of_tic_tac_toe_is_built_in_linear_time() -> None:
    """Tic-tac-toe's 300,000 information sets: the build took 2 s with a Python loop per set, now a fraction."""
    import time

    from equilibria.games.zoo.extensive_form import tic_tac_toe

    game = tic_tac_toe()
    started = time.perf_counter()
    form = sequence_form(game)
    assert time.perf_counter() - started < 1.5  # about 0.3 s; the loop took 2 s
    assert form.E.shape == (1 + int(np.count_nonzero(game.infoset_player == 0)), game.n_sequences[0])
    assert form.E.nnz == 1 + int(np.count_nonzero(game.infoset_player == 0)) + game.n_sequences[0] - 1
