"""Bradley-Terry reward models: the exact MLE on hand-solved counts, its likelihood equations, agreement with
choix, nonexistence detected; optax fits recover the gold direction and Bradley-Terry's temperature scaling."""

from __future__ import annotations

import math
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria.applications.rlhf import preferences as P
from equilibria.applications.rlhf.reward_models import (
    RewardModel,
    bradley_terry_scores,
    fit_reward_model,
    reward_model_quality,
)
from equilibria.core.errors import GameError, NotApplicableError


def _gradient(scores, winners, losers, l2):
    """The penalised log-likelihood's gradient, written out independently of the solver."""
    d = scores[winners] - scores[losers]
    q = 1 / (1 + np.exp(d))
    g = -l2 * scores.copy()
    np.add.at(g, winners, q)
    np.add.at(g, losers, -q)
    return g


def test_two_items_closed_form():
    # 3 wins to 1: score difference log 3, mean zero.
    r = bradley_terry_scores([0, 0, 0, 1], [1, 1, 1, 0], 2)
    assert np.allclose(r.scores, [math.log(3) / 2, -math.log(3) / 2], atol=1e-12)
    assert r.converged and r.accuracy == pytest.approx(0.75)
    assert r.log_likelihood == pytest.approx(3 * math.log(0.75) + math.log(0.25), abs=1e-12)


def test_three_items_on_a_path_hand_solved():
    # a beats b twice, b beats a once; b beats c twice, c beats b once: a tree, so each pair is fitted alone:
    # r_a - r_b = r_b - r_c = log 2, mean zero -> (log 2, 0, -log 2).
    winners = [0, 0, 1, 1, 1, 2]
    losers = [1, 1, 0, 2, 2, 1]
    r = bradley_terry_scores(winners, losers, 3)
    assert np.allclose(r.scores, [math.log(2), 0.0, -math.log(2)], atol=1e-12)
    assert r.log_likelihood == pytest.approx(2 * (2 * math.log(2 / 3) + math.log(1 / 3)), abs=1e-12)
    assert r.accuracy == pytest.approx(4 / 6)
    assert np.abs(_gradient(r.scores, np.array(winners), np.array(losers), 0.0)).max() < 1e-12


def test_condorcet_cycle_gives_equal_scores():
    r = bradley_terry_scores([0, 1, 2], [1, 2, 0], 3)
    assert np.allclose(r.scores, 0.0, atol=1e-14) and r.accuracy == 0.5


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_items=st.integers(2, 12), n=st.integers(1, 200),
       l2=st.sampled_from([1e-3, 0.1, 3.0]))
def test_likelihood_equations_hold_at_the_returned_scores(seed, n_items, n, l2):
    rng = np.random.default_rng(seed)
    winners = rng.integers(0, n_items, n)
    losers = (winners + rng.integers(1, n_items, n)) % n_items if n_items > 1 else winners
    r = bradley_terry_scores(winners, losers, n_items, l2=l2)
    assert r.converged
    assert abs(r.scores.mean()) < 1e-12
    assert np.abs(_gradient(r.scores, winners, losers, l2)).max() <= 1e-9 * max(n, 1)
    d = r.scores[winners] - r.scores[losers]
    assert r.log_likelihood == pytest.approx(-np.logaddexp(0, -d).sum(), rel=1e-12, abs=1e-12)


def test_degenerate_inputs_have_an_answer_with_l2():
    # One comparison, duplicated items never compared, all wins to one item: finite, unique with a penalty.
    r = bradley_terry_scores([0], [1], 4, l2=1.0)
    assert r.converged and r.scores[0] > 0 > r.scores[1] and r.scores[2] == pytest.approx(r.scores[3])


def test_against_choix():
    choix = pytest.importorskip("choix")
    rng = np.random.default_rng(1)
    n_items, n = 15, 600
    truth = rng.normal(size=n_items)
    first = rng.integers(0, n_items, n)
    second = (first + rng.integers(1, n_items, n)) % n_items
    first_wins = rng.random(n) < 1 / (1 + np.exp(truth[second] - truth[first]))
    winners, losers = np.where(first_wins, first, second), np.where(first_wins, second, first)
    data = list(zip(winners.tolist(), losers.tolist(), strict=True))
    # The plain MLE: choix's iterative Luce spectral ranking (tol 1e-12 in the parameters).
    ours = bradley_terry_scores(winners, losers, n_items)
    theirs = choix.ilsr_pairwise(n_items, data, alpha=0.0, tol=1e-12, max_iter=10_000)
    assert np.abs(ours.scores - (theirs - theirs.mean())).max() < 1e-6
    # Penalised: choix's alpha sum(r^2) is our l2/2 ||r||^2 with l2 = 2 alpha (Newton-CG to its tol 1e-5).
    theirs = choix.opt_pairwise(n_items, data, alpha=0.05)
    ours = bradley_terry_scores(winners, losers, n_items, l2=0.1)
    assert np.abs(ours.scores - theirs).max() < 1e-4


@pytest.mark.parametrize(("winners", "losers", "n_items", "named"), [
    ([0, 0, 1], [1, 2, 2], 3, "0 never lose"),            # item 0 never loses
    ([0, 1, 2, 0], [1, 2, 0, 3], 4, "3 never win"),       # item 3 never wins
    ([0, 1], [1, 0], 3, "never compared: 2"),
    ([0, 1, 2, 3, 0], [1, 0, 3, 2, 2], 4, "never lose to the other items"),  # {0, 1} beats {2, 3}, never back
])
def test_nonexistence_is_detected_and_named(winners, losers, n_items, named):
    with pytest.raises(GameError, match=named) as info:
        bradley_terry_scores(winners, losers, n_items)
    assert "l2" in str(info.value) and "\n" not in str(info.value)
    r = bradley_terry_scores(winners, losers, n_items, l2=0.5)
    assert r.converged and np.all(np.isfinite(r.scores))


def test_nonexistence_names_items_by_name():
    with pytest.raises(GameError, match="'?alpha'? never lose"):
        bradley_terry_scores([0, 0], [1, 2], 3, names=["alpha", "beta", "gamma"])


@pytest.mark.parametrize(("args", "message"), [
    (([0], [0], 2), "same winner and loser"),
    (([0], [5], 2), "indices"),
    (([0, 1], [1], 2), "one length"),
    (([0], [1], 0), "n_items"),
    (([0.5], [1], 2), "integer"),
])
def test_bad_input(args, message):
    with pytest.raises(GameError, match=message):
        bradley_terry_scores(*args)
    with pytest.raises(GameError, match="l2"):
        bradley_terry_scores([0], [1], 2, l2=-1.0)


def test_importing_reward_models_imports_no_jax():
    code = ("import sys, equilibria.applications.rlhf.reward_models as m; "
            "m.bradley_terry_scores([0, 1], [1, 0], 2); print('jax' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


# -- optax fits ------------------------------------------------------------------------------------------------------

ITEMS = P.random_items(jax.random.key(0), 300, 5)
THETA = np.linalg.lstsq(np.asarray(ITEMS.features), np.asarray(ITEMS.gold), rcond=None)[0]


def _cosine(a, b):
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_linear_fit_recovers_the_gold_direction_and_temperature_scale():
    norms = {}
    for t in (0.5, 1.0):
        c = P.label(ITEMS, P.boltzmann_evaluator(t), jax.random.key(1), 20_000)
        m = fit_reward_model(ITEMS, c, l2=0.0, tol=1e-5)
        assert m.converged and m.kind == "linear"
        theta = np.asarray(m.params)
        assert _cosine(theta, THETA) > 0.99
        norms[t] = np.linalg.norm(theta)
    # Bradley-Terry at temperature T estimates gold / T: the weights' norm is 1/T (within the sampling error,
    # about 2% at 20,000 labels), so halving T doubles it.
    assert norms[0.5] == pytest.approx(2.0, rel=0.08)
    assert norms[1.0] == pytest.approx(1.0, rel=0.08)


def test_tabular_fit_is_the_exact_mle():
    c = P.label(ITEMS, P.boltzmann_evaluator(1.0), jax.random.key(2), 3000)
    m = fit_reward_model(ITEMS, c, model="tabular", l2=1e-3, tol=1e-7)
    # The mean objective with l2 is the total one with l2 * M.
    exact = bradley_terry_scores(np.asarray(c.winners), np.asarray(c.losers), 300, l2=1e-3 * 3000)
    assert m.converged
    assert np.abs(m.scores - exact.scores).max() < 2e-3
    assert m.log_likelihood == pytest.approx(exact.log_likelihood, rel=1e-4)
    with pytest.raises(NotApplicableError, match="tabular"):
        m.predict(ITEMS.features)
    # Weight 0 leaves comparisons out: the first 2,000 alone, on the same compiled shapes.
    weights = (np.arange(3000) < 2000).astype(float)
    m = fit_reward_model(ITEMS, c, model="tabular", l2=1e-3, tol=1e-7, weights=weights)
    exact = bradley_terry_scores(np.asarray(c.winners)[:2000], np.asarray(c.losers)[:2000], 300, l2=1e-3 * 2000)
    assert m.converged and np.abs(m.scores - exact.scores).max() < 2e-3
    assert m.log_likelihood == pytest.approx(exact.log_likelihood, rel=1e-4)
    with pytest.raises(GameError, match="weights"):
        fit_reward_model(ITEMS, c, model="tabular", weights=-weights)


def test_mlp_fits_a_nonlinear_gold_reward():
    items = P.random_items(jax.random.key(5), 200, 3, gold="nonlinear", with_length=False)
    c = P.label(items, P.boltzmann_evaluator(0.3), jax.random.key(6), 6000)
    held = P.label(items, P.boltzmann_evaluator(0.3), jax.random.key(7), 2000)
    mlp = fit_reward_model(items, c, model="mlp", hidden=(16,), l2=1e-4, learning_rate=3e-2, max_iterations=600,
                           key=jax.random.key(8))
    # The best linear reward (least squares on gold itself, which no reward model sees) as the bar to clear.
    x, gold = np.asarray(items.features), np.asarray(items.gold)
    oracle = RewardModel("linear", jnp.asarray(np.linalg.lstsq(x, gold, rcond=None)[0]), gold, 0.0, True, 0, 0.0, 0.0)
    q_mlp, q_linear = reward_model_quality(mlp, items, held), reward_model_quality(oracle, items, held)
    assert mlp.predict(items.features).shape == (200,)
    assert mlp.predict(items.features[:6].reshape(2, 3, 3)).shape == (2, 3)
    assert q_mlp["pearson"] > 0.9
    assert q_mlp["gold_accuracy"] > q_linear["gold_accuracy"] + 0.1


def test_budget_stops_honestly():
    c = P.label(ITEMS, P.boltzmann_evaluator(1.0), jax.random.key(3), 20_000)  # the shapes compiled above
    m = fit_reward_model(ITEMS, c, l2=0.0, max_iterations=1)
    assert m.iterations == 1 and not m.converged and m.gradient_norm > 1e-5
    m = fit_reward_model(ITEMS, c, l2=0.0, max_seconds=1e-9)  # the first chunk always runs, then it stops
    assert m.iterations >= 1 and (m.converged == (m.gradient_norm <= 1e-5))


def test_quality_of_exact_and_negated_rewards():
    c = P.label(ITEMS, P.boltzmann_evaluator(1.0), jax.random.key(4), 500)
    exact = RewardModel("linear", jnp.asarray(THETA * 3.0), np.zeros(300), 0.0, True, 0, 0.0, 0.0)
    q = reward_model_quality(exact, ITEMS, c)
    assert q["gold_accuracy"] == 1.0 and q["pearson"] == pytest.approx(1.0, abs=1e-5)
    assert q["spearman"] == pytest.approx(1.0) and q["epic"] < 3e-3
    negated = RewardModel("linear", jnp.asarray(-THETA), np.zeros(300), 0.0, True, 0, 0.0, 0.0)
    q = reward_model_quality(negated, ITEMS, c)
    assert q["gold_accuracy"] == 0.0 and q["epic"] == pytest.approx(1.0, abs=1e-5)
    # Agreement with noisy labels: the Bradley-Terry probability of the gold-better item, on average.
    gold = np.asarray(ITEMS.gold)
    d = np.abs(gold[np.asarray(c.first)] - gold[np.asarray(c.second)])
    expected = np.mean(1 / (1 + np.exp(-d)))
    assert abs(reward_model_quality(exact, ITEMS, c)["accuracy"] - expected) < 4 * 0.5 / math.sqrt(500)


def test_fit_bad_input():
    c = P.label(ITEMS, P.boltzmann_evaluator(1.0), jax.random.key(3), 10)
    with pytest.raises(GameError, match="model"):
        fit_reward_model(ITEMS, c, model="forest")
    with pytest.raises(GameError, match="l2"):
        fit_reward_model(ITEMS, c, l2=-1.0)
    with pytest.raises(GameError, match="indices"):
        fit_reward_model(ITEMS.features[:5], c)
    with pytest.raises(GameError, match="hidden"):
        fit_reward_model(ITEMS, c, model="mlp", hidden=())
    with pytest.raises(GameError, match="max_iterations"):
        fit_reward_model(ITEMS, c, max_iterations=0)
    with pytest.raises(GameError, match="Comparisons"):
        fit_reward_model(ITEMS, ([0], [1]))


@pytest.mark.parametrize("l2", [0.0, 0.7])
def test_sparse_newton_path_matches_the_dense_one(monkeypatch, l2):
    import equilibria.applications.rlhf.reward_models as module

    rng = np.random.default_rng(3)
    n_items, n = 60, 2000
    winners = rng.integers(0, n_items, n)
    losers = (winners + rng.integers(1, n_items, n)) % n_items
    dense = bradley_terry_scores(winners, losers, n_items, l2=l2)
    monkeypatch.setattr(module, "_DENSE_ITEMS", 10)  # beyond 10 items: conjugate gradients
    sparse = bradley_terry_scores(winners, losers, n_items, l2=l2)
    assert dense.converged and sparse.converged
    assert np.abs(dense.scores - sparse.scores).max() < 1e-9
