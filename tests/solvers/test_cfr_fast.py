"""The compiled whole CFR iteration (solvers/_cfr_fast.py) gives the array sweeps' numbers bit for bit, on poker,
on random n-player general-sum trees and for every full-width rule; trees it does not cover keep the array path;
cfr_solve under a time limit never waits for its compilation."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria.games.extensive_form import Decision, ExtensiveFormGame, Terminal
from equilibria.games.zoo.extensive_form import entry
from equilibria.solvers import _cfr_fast, _cfr_tree, cfr
from equilibria.solvers.cfr import CFRVariant, cfr_init, cfr_solve, cfr_update
from tests.games.test_sequence_form import random_tree

FULL_WIDTH = ("cfr", "cfr+", "linear", "dcfr", "pcfr+")


@functools.cache
def poker(name: str) -> ExtensiveFormGame:
    """One game (and sequence tree) per module: building Leduc's takes a while."""
    return entry(name).build()
FIELDS = ("regrets", "policy_sum", "policy", "prediction")


def both_paths(game: ExtensiveFormGame, variant: str | CFRVariant, iterations: int,
               alternating: bool) -> tuple[cfr.CFRState, cfr.CFRState]:
    seq = _cfr_tree.sequence_tree(game)
    compiled = arrays = cfr_init(game, variant, alternating=alternating, seed=0)
    for _ in range(iterations):
        compiled = cfr._update(seq, compiled, compiled=True)
        arrays = cfr._update(seq, arrays, compiled=False)
    return compiled, arrays


def assert_same_bits(a: cfr.CFRState, b: cfr.CFRState) -> None:
    assert a.iteration == b.iteration
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name, strict=True)


@pytest.mark.parametrize("variant", FULL_WIDTH)
@pytest.mark.parametrize("alternating", [True, False])
def test_kuhn_and_leduc_states_are_bit_for_bit_the_array_paths(variant: str, alternating: bool) -> None:
    for name, iterations in (("kuhn-poker", 200), ("leduc-poker", 12)):
        game = poker(name)
        assert _cfr_tree.sequence_tree(game).fast is not None
        assert_same_bits(*both_paths(game, variant, iterations, alternating))


def test_a_custom_variant_with_delay_and_discount_is_bit_for_bit() -> None:
    rules = CFRVariant("mine", regret_floor=False, discount=(0.7, 2.5), average_power=1.5, average_delay=3,
                       predictive=True)
    assert_same_bits(*both_paths(entry("kuhn-poker").build(), rules, 60, True))


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10**6), players=st.sampled_from([2, 3]), zero_sum=st.booleans(),
       variant=st.sampled_from(FULL_WIDTH), alternating=st.booleans())
def test_random_n_player_trees_are_bit_for_bit(seed: int, players: int, zero_sum: bool, variant: str,
                                              alternating: bool) -> None:
    game = random_tree(seed, n_players=players, zero_sum=zero_sum and players == 2, max_depth=4)
    assert_same_bits(*both_paths(game, variant, 25, alternating))


def test_wide_sets_keep_the_array_path() -> None:
    """np.add.reduceat sums more than 8 entries pairwise, which the loops do not reproduce: such trees keep the
    array sweeps (and still solve)."""
    game = ExtensiveFormGame.from_tree(
        Decision(0, "I", [(f"a{k}", Terminal((float(k % 3), -float(k % 3)))) for k in range(9)]))
    assert _cfr_tree.sequence_tree(game).fast is None
    state = cfr_update(game, cfr_init(game, "cfr+"))
    assert state.iteration == 1 and state.policy.sum() == pytest.approx(1.0)
    result = cfr_solve(game, max_iterations=50)
    assert result.equilibrium[[2, 5, 8]].sum() > 0.999 and result.certificate[0] < 1e-3  # the actions paying 2


def test_sampling_variants_are_untouched() -> None:
    game = entry("kuhn-poker").build()
    a = cfr_init(game, "mccfr-external", seed=3)
    b = cfr_init(game, "mccfr-external", seed=3)
    seq = _cfr_tree.sequence_tree(game)
    for _ in range(20):
        a, b = cfr._update(seq, a, compiled=True), cfr._update(seq, b, compiled=False)
    assert_same_bits(a, b)


def test_time_limited_solve_without_the_loaded_kernel_uses_the_arrays_and_matches(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Under max_seconds the compiled iteration is used only once loaded; otherwise the array sweeps run, with the
    same numbers (here: forced by pretending nothing is loaded and little time is left)."""
    game = entry("kuhn-poker").build()
    reference = cfr_solve(game, max_iterations=300, max_seconds=60.0)
    monkeypatch.setattr(_cfr_fast, "_LOADED", [])
    monkeypatch.setattr(_cfr_fast, "_LOAD_SECONDS", 1e9)
    calls = []
    monkeypatch.setattr(_cfr_fast, "iterate", lambda *args: calls.append(args))  # must not be reached
    arrays = cfr_solve(game, max_iterations=300, max_seconds=60.0)
    assert not calls
    assert arrays.iterations == reference.iterations == 300
    np.testing.assert_array_equal(arrays.equilibrium, reference.equilibrium)
    assert arrays.certificate == reference.certificate


def test_prepare_answers_at_once_when_loaded_or_short_of_time(monkeypatch: pytest.MonkeyPatch) -> None:
    layout = _cfr_tree.sequence_tree(entry("kuhn-poker").build()).fast
    assert layout is not None
    monkeypatch.setattr(_cfr_fast, "_LOADED", [True])
    assert _cfr_fast.prepare(layout, 0.0)
    monkeypatch.setattr(_cfr_fast, "_LOADED", [])
    assert not _cfr_fast.prepare(layout, _cfr_fast._LOAD_SECONDS / 2)
