"""The two-attribute Lewis game: exact measures on hand-built codes (against brute force and scipy), the permutation
test, and the learners (probabilities on the simplex, a trained pair above chance)."""

from __future__ import annotations

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria.applications.marl import emergent_language as el
from equilibria.applications.marl.emergent_language import (
    code_measures,
    code_sender,
    compositional_code,
    compositional_game,
    decoding_receiver,
    expected_success,
    greedy_code,
    mutual_information,
    permutation_test,
    positional_disentanglement,
    reinforce,
    roth_erev,
    topographic_similarity,
    train,
)
from equilibria.core.errors import GameError

GAME = compositional_game(3)  # 9 states, 9 messages: the shape every training test shares (one compilation each)


def _random_policies(game: el.CompositionalGame, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (rng.dirichlet(np.ones(game.n_messages) * 0.5, size=game.n_states),
            rng.dirichlet(np.ones(game.n_values), size=(2, game.n_messages)))


def test_a_perfectly_compositional_code_scores_one_on_every_measure() -> None:
    for game in (compositional_game(4), compositional_game(3, alphabet=5)):
        code = compositional_code(game)
        measures = code_measures(game, code_sender(game, code), decoding_receiver(game, code))
        assert measures["success"] == pytest.approx(1.0, abs=1e-12)
        assert measures["mutual_information"] == pytest.approx(math.log(game.n_states), abs=1e-12)
        assert measures["topographic_similarity"] == pytest.approx(1.0, abs=1e-12)
        assert measures["positional_disentanglement"] == pytest.approx(1.0, abs=1e-12)
    # relabelling the symbols of each position and swapping the positions keeps the code compositional
    game = compositional_game(4, alphabet=6)
    a = game.attributes()
    relabel = np.random.default_rng(3).permutation(6)
    swapped = relabel[a[:, 1]] * game.alphabet + relabel[::-1][a[:, 0]]
    assert topographic_similarity(game, swapped) == pytest.approx(1.0, abs=1e-12)
    assert positional_disentanglement(game, code_sender(game, swapped)) == pytest.approx(1.0, abs=1e-12)


def test_a_holistic_random_bijection_communicates_perfectly_but_is_not_compositional() -> None:
    game = compositional_game(4)
    rng = np.random.default_rng(0)
    for _ in range(5):
        code = rng.permutation(game.n_messages)
        measures = code_measures(game, code_sender(game, code), decoding_receiver(game, code))
        assert measures["success"] == pytest.approx(1.0, abs=1e-12)
        assert measures["mutual_information"] == pytest.approx(math.log(16), abs=1e-12)
        assert measures["topographic_similarity"] < 0.6 and measures["positional_disentanglement"] < 0.6


def test_a_constant_code_carries_nothing() -> None:
    game = compositional_game(3)
    code = np.full(game.n_states, 4)
    measures = code_measures(game, code_sender(game, code), decoding_receiver(game, code))
    assert measures == {"success": pytest.approx(game.chance, abs=1e-12), "mutual_information": 0.0,
                        "topographic_similarity": 0.0, "positional_disentanglement": 0.0}
    test = permutation_test(game, code, n_permutations=50)
    assert test.statistic == 0.0 and np.all(test.null == 0.0) and test.p_value == 1.0


def test_permutation_test_ranks_the_compositional_code_above_every_permutation() -> None:
    game = compositional_game(4)
    test = permutation_test(game, compositional_code(game), n_permutations=199, seed=1)
    assert test.statistic == pytest.approx(1.0) and test.null.max() < 0.9
    assert test.p_value == pytest.approx(1 / 200)  # 2 * 24^2 of the 16! assignments are isometries: none drawn
    assert abs(test.null_mean) < 4 * test.null_std / math.sqrt(199)
    # the null keeps the code's messages: a code with repeated messages keeps them repeated
    rng = np.random.default_rng(2)
    code = rng.integers(0, 4, size=game.n_states)
    again = permutation_test(game, code, n_permutations=20, seed=5)
    assert again.statistic == pytest.approx(topographic_similarity(game, code))
    assert np.all(again.null >= -1 - 1e-12) and np.all(again.null <= 1 + 1e-12)


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 4), st.integers(0, 2), st.integers(0, 2**31))
def test_topographic_similarity_is_spearmans_rho_of_hamming_distances(values: int, extra: int, seed: int) -> None:
    scipy_stats = pytest.importorskip("scipy.stats")
    game = compositional_game(values, alphabet=values + extra)
    rng = np.random.default_rng(seed)
    code = rng.integers(0, rng.integers(1, game.n_messages + 1), size=game.n_states)  # degenerate codes too
    a, c = game.attributes(), game.symbols()[code]
    i, j = np.triu_indices(game.n_states, k=1)
    meaning, message = (a[i] != a[j]).sum(axis=1), (c[i] != c[j]).sum(axis=1)
    expected = 0.0 if np.all(message == message[0]) else scipy_stats.spearmanr(meaning, message)[0]
    assert topographic_similarity(game, code) == pytest.approx(expected, abs=1e-12)
    measures = code_measures(game, code_sender(game, code), decoding_receiver(game, code))
    assert game.chance - 1e-12 <= measures["success"] <= 1 + 1e-12  # the decoding receiver never does worse
    assert -1e-12 <= measures["mutual_information"] <= math.log(game.n_states) + 1e-12
    assert -1e-12 <= measures["positional_disentanglement"] <= 1 + 1e-12


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**31))
def test_success_and_information_of_mixed_policies_match_brute_force(seed: int) -> None:
    game = compositional_game(2, alphabet=3)
    sender, receiver = _random_policies(game, seed)
    a = game.attributes()
    success = 0.0
    for s, m, g0, g1 in itertools.product(range(game.n_states), range(game.n_messages), range(2), range(2)):
        reward = 0.5 * (int(g0 == a[s, 0]) + int(g1 == a[s, 1]))
        success += sender[s, m] * receiver[0, m, g0] * receiver[1, m, g1] * reward / game.n_states
    assert expected_success(game, sender, receiver) == pytest.approx(success, abs=1e-12)
    joint = sender / game.n_states  # I(S;M) = H(S) - H(S|M)
    posterior = joint / joint.sum(axis=0, keepdims=True)
    h_s_given_m = -np.sum(joint * np.log(posterior))
    assert mutual_information(game, sender) == pytest.approx(math.log(game.n_states) - h_s_given_m, abs=1e-12)
    assert greedy_code(sender).tolist() == [int(np.argmax(row)) for row in sender]


def test_bad_input_raises_one_line_game_errors() -> None:
    for call in (lambda: compositional_game(1), lambda: compositional_game(3, alphabet=2),
                 lambda: reinforce(sender="tree"), lambda: reinforce(batch=0), lambda: roth_erev(initial=0.0),
                 lambda: train(GAME, reinforce(), steps=10, checkpoints=3),
                 lambda: topographic_similarity(GAME, np.zeros(4, int)),
                 lambda: expected_success(GAME, np.ones((9, 9)), np.full((2, 9, 3), 1 / 3)),
                 lambda: mutual_information(GAME, np.ones((9, 4)) / 4)):
        with pytest.raises(GameError) as error:
            call()
        assert "\n" not in str(error.value)


def test_ascend_is_the_gradient_of_the_reinforce_objective() -> None:
    key = jax.random.key(0)
    logits = jax.random.normal(key, (5, 4))
    rows, choices = jnp.array([0, 3, 3, 1, 4, 0]), jnp.array([1, 2, 0, 3, 3, 1])
    advantages = jnp.array([0.5, -0.25, 1.0, 0.0, -1.0, 0.75])

    def objective(z: jax.Array) -> jax.Array:
        log_p = jax.nn.log_softmax(z[rows], axis=-1)
        entropy = -jnp.sum(jnp.exp(log_p) * log_p, axis=-1)
        return jnp.sum(advantages * log_p[jnp.arange(6), choices]) + 0.3 * jnp.sum(entropy)

    # one compilation for both sides (eager JAX would compile every small operation)
    step, gradient = jax.jit(lambda z: (el._ascend(z, rows, choices, advantages, 0.3, 0.1) - z,
                                        0.1 * jax.grad(objective)(z)))(logits)
    np.testing.assert_allclose(step, gradient, atol=1e-6)


def test_learners_keep_probabilities_on_the_simplex_and_a_trained_pair_beats_chance() -> None:
    for learner in (reinforce(sender="factored", sender_rate=1.0, receiver_rate=1.0, batch=16),
                    roth_erev(sender="joint", batch=16)):
        run = train(GAME, learner, steps=600, seeds=4, key=0, checkpoints=3)
        assert run.sender.shape == (4, 4, 9, 9) and run.receiver.shape == (4, 4, 2, 9, 3)
        assert run.steps.tolist() == [0, 200, 400, 600]
        for policy in (run.sender, run.receiver):
            assert np.all(policy >= 0) and np.allclose(policy.sum(axis=-1), 1.0, atol=1e-12)
        measures = run.measures()
        assert np.allclose(measures["success"][:, 0], GAME.chance, atol=1e-6)  # uniform start
        assert np.allclose(measures["mutual_information"][:, 0], 0.0, atol=1e-6)
        final = measures["success"][:, -1]
        se = final.std(ddof=1) / 2
        assert final.mean() - GAME.chance > max(0.2, 3 * se), (learner.name, final)
        # every seed's own stream: different seeds learn different codes
        codes = {tuple(greedy_code(run.sender[k, -1])) for k in range(4)}
        assert len(codes) > 1
