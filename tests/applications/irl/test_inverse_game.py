"""Inverse game theory: payoffs recovered from logit-QRE play (exact and sampled), the two estimators agreeing, the
three non-identified directions detected, Gambit's estimate on Ochs's data (McKelvey and Palfrey 1995), bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria.applications.irl import inverse_game as ig
from equilibria.core.errors import GameError, NotApplicableError
from equilibria.games.normal_form import NormalFormGame
from equilibria.solvers.qre import logit_qre_path

THETA = np.array([0.8, -0.5, 0.3])
LAM = 1.2


def _model(seed: int = 3, n_actions: tuple[int, ...] = (3, 3), k: int = 3) -> ig.LinearPayoffModel:
    rng = np.random.default_rng(seed)
    shape = (len(n_actions), *n_actions)
    return ig.linear_payoff_model(rng.normal(size=shape), rng.normal(size=(k, *shape)))


def _exact_counts(model: ig.LinearPayoffModel, theta: np.ndarray, lam: float, n: float = 1000.0) -> list[np.ndarray]:
    return [n * s for s in ig.logit_qre(model.payoffs(theta), lam)]


def _in_span(vector: np.ndarray, rows: np.ndarray) -> float:
    """Norm of the part of ``vector`` (normalised) outside the span of the orthonormal ``rows``."""
    v = vector / np.linalg.norm(vector)
    return float(np.linalg.norm(v - rows.T @ (rows @ v)))


# ---------------------------------------------------------------- recovery from exact frequencies

@pytest.mark.parametrize("estimate_lambda", [False, True])
def test_exact_frequencies_recover_theta_and_estimators_agree(estimate_lambda: bool) -> None:
    model = _model()
    counts = _exact_counts(model, THETA, LAM)
    two = ig.two_step_estimate(model, counts, lam=LAM if not estimate_lambda else 0.5, estimate_lambda=estimate_lambda)
    full = ig.qre_maximum_likelihood(model, counts, lam=LAM if not estimate_lambda else 0.5,
                                     estimate_lambda=estimate_lambda)
    for result in (two, full):
        assert result.converged and result.identified and result.unidentified.shape[0] == 0
        np.testing.assert_allclose(result.theta, THETA, atol=1e-6)
        assert abs(result.lam - LAM) <= 1e-6
        assert np.all(np.isfinite(result.standard_errors)) and np.all(result.standard_errors > 0)
    np.testing.assert_allclose(two.theta, full.theta, atol=1e-6)
    # At exact QRE frequencies the logit responses reproduce the data: both likelihoods are sum n log s*.
    best = sum(c @ np.log(c / c.sum()) for c in counts)
    assert abs(two.log_likelihood - best) <= 1e-9 * abs(best)
    assert abs(full.log_likelihood - best) <= 1e-9 * abs(best)
    assert full.parameters["principal_branch"] is True
    if estimate_lambda:
        assert two.lambda_standard_error is not None and two.lambda_standard_error > 0
    else:
        assert two.lambda_standard_error is None


def test_three_players_exact_recovery() -> None:
    model = _model(seed=5, n_actions=(2, 2, 2), k=2)
    theta = np.array([1.0, -0.7])
    counts = _exact_counts(model, theta, 2.0)
    for estimate in (ig.two_step_estimate, ig.qre_maximum_likelihood):
        result = estimate(model, counts, lam=2.0)
        assert result.converged
        np.testing.assert_allclose(result.theta, theta, atol=1e-6)


def test_ml_standard_errors_are_the_inverse_fisher_information_of_the_qre_model() -> None:
    # A one-parameter model: the SE is 1 / sqrt(N * Var_s(dw/dtheta)), with dw/dtheta by central differences.
    model = _model(seed=8, k=1)
    theta, n = np.array([0.6]), 500.0
    counts = _exact_counts(model, theta, LAM, n)
    result = ig.qre_maximum_likelihood(model, counts, lam=LAM)
    h = 1e-5
    up = ig.logit_qre(model.payoffs(theta + h), LAM)
    down = ig.logit_qre(model.payoffs(theta - h), LAM)
    base = ig.logit_qre(model.payoffs(theta), LAM)
    info = 0.0
    for s, a, b in zip(base, up, down, strict=True):
        d = (np.log(a) - np.log(b)) / (2 * h)
        info += n * (s @ d ** 2 - (s @ d) ** 2)
    assert result.standard_errors[0] == pytest.approx(1 / np.sqrt(info), rel=1e-5)


# ---------------------------------------------------------------- sampled data

def test_sampled_estimates_within_four_standard_errors() -> None:
    model = _model()
    payoffs = model.payoffs(THETA)
    for seed in range(4):
        counts = ig.sample_counts(payoffs, LAM, 20_000, seed=seed)
        for estimate in (ig.two_step_estimate, ig.qre_maximum_likelihood):
            result = estimate(model, counts, lam=LAM)
            assert result.converged
            assert np.all(np.abs(result.theta - THETA) <= 4 * result.standard_errors), (seed, result.method)


def test_two_step_sandwich_standard_errors_match_the_sampling_spread() -> None:
    # 60 replications: the spread of the estimates against the mean reported SE (the sandwich accounts for the
    # plugged-in frequencies being estimates; the naive inverse Hessian would be too small here).
    model = _model()
    payoffs = model.payoffs(THETA)
    rng = np.random.default_rng(11)
    estimates, errors = [], []
    for _ in range(60):
        result = ig.two_step_estimate(model, ig.sample_counts(payoffs, LAM, 50_000, seed=rng), lam=LAM)
        estimates.append(result.theta)
        errors.append(result.standard_errors)
    ratio = np.std(estimates, axis=0, ddof=1) / np.mean(errors, axis=0)
    # The sample SD of 60 normals is within 25% of the truth with probability > 0.99.
    assert np.all((ratio > 0.75) & (ratio < 1.3)), ratio


# ---------------------------------------------------------------- identifiability

def _opponent_only(rng: np.random.Generator, n_actions: tuple[int, ...], player: int) -> np.ndarray:
    """A payoff tensor ``[n_players, *n_actions]``: a function of the others' actions added to ``player``'s payoffs."""
    term = np.zeros((len(n_actions), *n_actions))
    shape = tuple(1 if j == player else m for j, m in enumerate(n_actions))
    term[player] = np.broadcast_to(rng.normal(size=shape), n_actions)
    return term


@settings(max_examples=12, deadline=None)
@given(st.integers(0, 2 ** 31), st.lists(st.integers(2, 3), min_size=2, max_size=3), st.floats(0.1, 3.0))
def test_opponent_only_terms_leave_both_likelihoods_unchanged(seed: int, n_actions: list[int], lam: float) -> None:
    rng = np.random.default_rng(seed)
    actions = tuple(n_actions)
    payoffs = rng.normal(size=(len(actions), *actions))
    counts = [rng.integers(0, 20, size=m).astype(float) + 1 for m in actions]
    shifted = payoffs + 5.0 * _opponent_only(rng, actions, int(rng.integers(len(actions))))
    for likelihood in (ig.qre_log_likelihood, ig.logit_response_log_likelihood):
        assert abs(likelihood(shifted, counts, lam) - likelihood(payoffs, counts, lam)) <= 1e-9


def test_principal_branch_where_two_branches_pass_close() -> None:
    # Found by the invariance property above: on this game the arclength tracer (solvers.qre.logit_qre_path, default
    # steps) used to land on a neighbouring branch, and an opponent-only term changed which one; logit_qre now reuses
    # that tracer (fixed). The principal QRE is the one followed from lambda = 0 in 400 small precision steps, each
    # from the previous QRE.
    rng = np.random.default_rng(121)
    actions = tuple(int(m) for m in rng.integers(2, 4, size=rng.integers(2, 4)))
    lam = rng.uniform(0.1, 3)
    payoffs = rng.normal(size=(len(actions), *actions))
    rng.integers(0, 20, size=3), rng.integers(0, 20, size=2), rng.integers(2)  # the property test's other draws
    shifted = payoffs + 5.0 * _opponent_only(rng, actions, 0)
    profile: list[np.ndarray] = [np.full(m, 1.0 / m) for m in actions]
    for t in np.linspace(0.0, lam, 401)[1:]:
        profile = list(ig.logit_qre(payoffs, t, start=profile))
    for game in (payoffs, shifted):
        for got, want in zip(ig.logit_qre(game, lam), profile, strict=True):
            np.testing.assert_allclose(got, want, atol=1e-9)



def test_principal_qre_is_the_qre_solvers_through_turning_points() -> None:
    # A 2x4x2 game whose principal branch turns back in lambda (tests/solvers/test_qre.py): lambda cannot be the
    # continuation parameter there, the QRE solver's arclength tracer can. logit_qre reuses it and polishes by Newton.
    game = NormalFormGame(np.array([
        [[[-4, 9], [-7, 2], [-3, -1], [8, -6]], [[6, 5], [-9, 8], [-6, -3], [-4, 9]]],
        [[[8, -4], [-2, 3], [-6, -2], [7, -9]], [[8, -7], [-4, -4], [-3, -1], [5, 3]]],
        [[[-4, 1], [5, 9], [-1, 5], [3, 9]], [[8, 9], [-9, 5], [-3, -9], [5, -2]]],
    ], dtype=float))
    lam = 3.0
    path = logit_qre_path(game, max_lambda=lam)
    assert path.complete and np.any(np.diff(path.lambdas) < 0)  # a turning point before lam
    got = ig.logit_qre(game, lam)
    for s, want in zip(got, path.profiles[-1], strict=True):
        np.testing.assert_allclose(s, want, atol=1e-9)
    for i in range(game.n_players):  # a logit QRE to rounding: s_i = softmax(lam * v_i(s))
        z = lam * game.action_values(got, i)
        np.testing.assert_allclose(got[i], np.exp(z - z.max()) / np.exp(z - z.max()).sum(), atol=1e-12)

@settings(max_examples=8, deadline=None)
@given(st.integers(0, 2 ** 31), st.sampled_from([(2, 2), (3, 2), (2, 2, 2)]))
def test_an_opponent_only_basis_element_is_reported(seed: int, actions: tuple[int, ...]) -> None:
    rng = np.random.default_rng(seed)
    shape = (len(actions), *actions)
    basis = np.stack([rng.normal(size=shape), _opponent_only(rng, actions, 0)])
    model = ig.linear_payoff_model(rng.normal(size=shape), basis, names=["a", "ghost"])
    counts = _exact_counts(model, np.array([0.5, 0.0]), 1.0)
    for estimate in (ig.two_step_estimate, ig.qre_maximum_likelihood):
        with pytest.raises(NotApplicableError, match="not identified along 1 direction.*ghost"):
            estimate(model, counts)
        result = estimate(model, counts, on_unidentified="report")
        assert not result.identified and result.unidentified.shape == (1, 2)
        assert _in_span(np.array([0.0, 1.0]), result.unidentified) < 1e-9
        assert np.isnan(result.standard_errors[1]) and np.isfinite(result.standard_errors[0])
        # The identified coordinate is still recovered, the other left where it started.
        assert result.theta[0] == pytest.approx(0.5, abs=1e-6) and result.theta[1] == 0.0


def test_lambda_and_payoff_scale_are_not_separately_identified() -> None:
    model0 = _model(k=0)
    base = model0.base
    model = ig.linear_payoff_model(base, [base], names=["scale"])  # payoffs = (1 + scale) * base
    counts = _exact_counts(model0, np.zeros(0), 1.5)
    for estimate in (ig.two_step_estimate, ig.qre_maximum_likelihood):
        with pytest.raises(NotApplicableError, match="lambda.*scale"):
            estimate(model, counts, estimate_lambda=True)
        result = estimate(model, counts, estimate_lambda=True, on_unidentified="report")
        assert result.lam * (1 + result.theta[0]) == pytest.approx(1.5, abs=1e-6)  # only the product is pinned
        # The unidentified direction keeps lambda * (1 + scale) fixed: (lambda, -(1 + scale)).
        expected = np.array([result.lam, -(1 + result.theta[0])])
        assert _in_span(expected, result.unidentified) < 1e-6
        # With lambda fixed, the scale is identified and recovered.
        fixed = estimate(model, counts, lam=1.0)
        assert fixed.identified and fixed.theta[0] == pytest.approx(0.5, abs=1e-6)
    # Only lambda with known payoffs is identified.
    only = ig.two_step_estimate(model0, counts, estimate_lambda=True)
    assert only.identified and only.lam == pytest.approx(1.5, abs=1e-6)


@pytest.mark.parametrize("actions", [(2, 2), (3, 3), (2, 3, 2)])
def test_one_profile_identifies_sum_of_actions_minus_one_directions(actions: tuple[int, ...]) -> None:
    rng = np.random.default_rng(1)
    truth = rng.normal(size=(len(actions), *actions))
    model = ig.unknown_payoffs_model(actions)
    counts = [100.0 * s for s in ig.logit_qre(truth, 1.0)]
    equations = sum(m - 1 for m in actions)
    for estimate in (ig.two_step_estimate, ig.qre_maximum_likelihood):
        with pytest.raises(NotApplicableError, match="not identified"):
            estimate(model, counts)
        result = estimate(model, counts, on_unidentified="report")
        assert result.unidentified.shape == (model.n_parameters - equations, model.n_parameters)
        np.testing.assert_allclose(np.abs(result.unidentified @ result.unidentified.T),
                                   np.eye(model.n_parameters - equations), atol=1e-9)
        # The estimate reproduces the data exactly (all that is identified).
        for s, c in zip(result.predicted, counts, strict=True):
            np.testing.assert_allclose(s, c / c.sum(), atol=1e-8)
    if actions == (2, 2):
        # (c) beyond (a): changing player 0's payoff differences d(b) = u0[1, b] - u0[0, b] by (p1(1), -p1(0))
        # leaves its logit index at the observed p1 unchanged; this direction is not an opponent-only term.
        p1 = counts[1] / counts[1].sum()
        direction = np.zeros(8)
        direction[2], direction[3] = p1[1], -p1[0]  # theta indices of u0[1, 0], u0[1, 1]
        assert _in_span(direction, result.unidentified) < 1e-9


# ---------------------------------------------------------------- a known estimate: Ochs (1995) in McKelvey-Palfrey

OCHS_PAYOFFS = np.array([[[1.1141, 0.0], [0.0, 0.2785]], [[0.0, 1.1141], [1.1141, 0.0]]])
OCHS_COUNTS = [np.array([128 * 0.527, 128 * 0.473]), np.array([128 * 0.366, 128 * 0.634])]


def test_ochs_lambda_estimate_matches_gambit() -> None:
    # Gambit's tutorial (doc/tutorials/advanced_tutorials/quantal_response.ipynb) fits this block of Ochs's data as
    # McKelvey and Palfrey (1995) did and says it replicates their estimate; we compare with Gambit's fit.
    gbt = pytest.importorskip("pygambit")
    game = gbt.Game.from_arrays(*(row.tolist() for row in OCHS_PAYOFFS))
    data = game.mixed_strategy_profile([c.tolist() for c in OCHS_COUNTS])
    fit = gbt.qre.logit_estimate(data)
    model = ig.linear_payoff_model(OCHS_PAYOFFS, [])
    result = ig.qre_maximum_likelihood(model, OCHS_COUNTS, estimate_lambda=True)
    assert result.converged and result.parameters["principal_branch"] is True
    assert result.lam == pytest.approx(float(fit.lam), rel=1e-6)
    assert result.log_likelihood == pytest.approx(float(fit.log_like), rel=1e-9)
    for i in range(2):
        expected = [float(fit.profile[s]) for s in list(game.players)[i].strategies]
        np.testing.assert_allclose(result.predicted[i], expected, atol=1e-7)


def test_ochs_lambda_is_positive_and_two_step_differs() -> None:
    model = ig.linear_payoff_model(OCHS_PAYOFFS, [])
    full = ig.qre_maximum_likelihood(model, OCHS_COUNTS, estimate_lambda=True)
    two = ig.two_step_estimate(model, OCHS_COUNTS, estimate_lambda=True)
    assert full.lam > 0 and two.lam > 0
    # Misspecified data (not exactly QRE frequencies): the estimators differ, each within a few SEs of the other.
    assert abs(full.lam - two.lam) <= 3 * two.lambda_standard_error
    assert full.lambda_standard_error is not None and 0 < full.lambda_standard_error < full.lam


# ---------------------------------------------------------------- data forms, budgets and bad input

def test_joint_counts_give_the_same_estimate_as_their_marginals() -> None:
    model = _model(k=2)
    joint = np.arange(1, 10, dtype=float).reshape(3, 3)
    marginals = ig.marginal_counts(joint)
    np.testing.assert_allclose(marginals[0], joint.sum(axis=1))
    np.testing.assert_allclose(marginals[1], joint.sum(axis=0))
    with pytest.raises(GameError, match="marginal_counts"):
        ig.two_step_estimate(model, joint)
    assert ig.two_step_estimate(model, marginals).theta == pytest.approx(
        ig.two_step_estimate(model, [joint.sum(axis=1), joint.sum(axis=0)]).theta)


def test_budget_stops_with_what_it_has() -> None:
    model = _model()
    counts = ig.sample_counts(model.payoffs(THETA), LAM, 500, seed=0)
    result = ig.qre_maximum_likelihood(model, counts, lam=LAM, start=np.zeros(3), max_iterations=1)
    assert not result.converged and "max_iterations=1" in result.parameters["stopped_because"]
    assert result.iterations == 1 and np.all(np.isfinite(result.theta))


def test_maximum_at_infinity_is_not_converged() -> None:
    # Player 0 never plays action 1 and theta scales exactly that action's payoff: the likelihood rises forever.
    base = np.zeros((2, 2, 2))
    basis = np.zeros((1, 2, 2, 2))
    basis[0, 0, 0, :] = 1.0
    model = ig.linear_payoff_model(base, basis)
    result = ig.two_step_estimate(model, [np.array([10.0, 0.0]), np.array([5.0, 5.0])], max_iterations=30)
    assert not result.converged and result.theta[0] > 5


@pytest.mark.parametrize(("call", "message"), [
    (lambda m: ig.two_step_estimate(m, [np.ones(3)]), "one array per player"),
    (lambda m: ig.two_step_estimate(m, [np.ones(3), np.ones(2)]), r"counts\[1\] must have shape"),
    (lambda m: ig.two_step_estimate(m, [np.ones(3), -np.ones(3)]), "non-negative"),
    (lambda m: ig.two_step_estimate(m, [np.ones(3), np.zeros(3)]), "sums to 0"),
    (lambda m: ig.two_step_estimate(m, [np.ones(3)] * 2, lam=0.0), "lam must be a positive"),
    (lambda m: ig.two_step_estimate(m, [np.ones(3)] * 2, on_unidentified="warn"), "on_unidentified"),
    (lambda m: ig.two_step_estimate(m, [np.ones(3)] * 2, tol=2.0), "tol"),
    (lambda m: ig.two_step_estimate(m, [np.ones(3)] * 2, max_iterations=0), "max_iterations"),
    (lambda m: ig.qre_maximum_likelihood(m, [np.ones(3)] * 2, start=[1.0]), "start must be 3"),
    (lambda m: ig.two_step_estimate(m.payoffs(THETA), [np.ones(3)] * 2), "LinearPayoffModel"),
    (lambda m: ig.linear_payoff_model(m.base, np.ones((2, 2, 3))), "basis must have shape"),
    (lambda m: ig.linear_payoff_model(m.base, m.basis, names=["x"]), "names must have 3"),
    (lambda m: ig.sample_counts(m.base, 1.0, 0), "n must be a positive integer"),
])
def test_bad_input_raises_one_line_game_error(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(GameError, match=message) as info:
        call(_model())
    assert "\n" not in str(info.value)


def test_play_at_a_qre_off_the_principal_branch() -> None:
    # A coordination game: at lambda = 6 the principal branch is near (A, A); the data come from the QRE near (B, B).
    payoffs = np.array([[[2.0, 0.0], [0.0, 1.0]], [[2.0, 0.0], [0.0, 1.0]]])
    model = ig.linear_payoff_model(payoffs, [])
    lam = 6.0
    near_b = [np.array([0.01, 0.99]), np.array([0.01, 0.99])]
    off_branch = [1000.0 * s for s in ig.logit_qre(payoffs, lam, start=near_b)]
    principal = ig.logit_qre(payoffs, lam)
    assert principal[0][0] > 0.9 and off_branch[0][1] > 900  # two different QREs at the same lambda
    result = ig.qre_maximum_likelihood(model, off_branch, estimate_lambda=True, start=[5.0],
                                       start_profile=[c / c.sum() for c in off_branch])
    assert result.converged and result.lam == pytest.approx(lam, abs=1e-6)
    assert result.parameters["principal_branch"] is False  # said, not hidden
