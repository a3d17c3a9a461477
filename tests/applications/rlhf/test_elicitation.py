"""Incentive compatibility of elicitation: proper scoring rules (closed-form truthful losses, numerical maximisation
finds nothing better than truth), the linear rule's exact gain, median/mean manipulation against closed forms and
brute force, and peer-prediction payoffs against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from equilibria.applications.rlhf import elicitation as el
from equilibria.core.errors import GameError

PROPER = ("logarithmic", "quadratic", "spherical")


@st.composite
def beliefs(draw, min_k=2, max_k=5, zeros=True):
    k = draw(st.integers(min_k, max_k))
    # An entry is 0 or at least 0.01: a subnormal probability makes exact positive gains round to 0.
    weight = st.one_of(st.just(0.0), st.floats(0.01, 1.0)) if zeros else st.floats(0.01, 1.0)
    w = np.array(draw(st.lists(weight, min_size=k, max_size=k)))
    if w.sum() < 1e-3:
        w = np.ones(k)
    return w / w.sum()


# ------------------------------------------------------------------------------------------------ scoring rules


@settings(max_examples=8, deadline=None)
@given(beliefs())
def test_proper_rules_numerical_maximisation_finds_no_better_report_than_truth(p) -> None:
    for rule in PROPER:
        found = el.best_misreport(rule, p, numerical=True, starts=1)
        assert found.gain <= 1e-9, (rule, p, found)
        assert el.best_misreport(rule, p).gain == 0.0
        np.testing.assert_allclose(el.best_misreport(rule, p).report, p)


@settings(max_examples=50, deadline=None)
@given(beliefs(zeros=False), beliefs(zeros=False))
def test_truthful_losses_have_their_closed_forms(p, q) -> None:
    if p.size != q.size:
        q = np.full(p.size, 1.0 / p.size)
    kl = float(np.sum(p * np.log(p / q)))
    assert el.truthful_loss("log", p, q) == pytest.approx(kl, abs=1e-12)
    assert el.truthful_loss("brier", p, q) == pytest.approx(float(np.sum((p - q) ** 2)), abs=1e-12)
    spherical = np.linalg.norm(p) - p @ q / np.linalg.norm(q)
    assert el.truthful_loss("spherical", p, q) == pytest.approx(float(spherical), abs=1e-12)
    for rule in PROPER:
        assert el.truthful_loss(rule, p, q) >= -1e-12


@settings(max_examples=30, deadline=None)
@given(beliefs())
def test_linear_rule_gain_is_max_minus_norm_and_positive_unless_uniform_on_support(p) -> None:
    found = el.best_misreport("linear", p)
    assert found.gain == pytest.approx(float(p.max() - p @ p), abs=1e-12)
    assert found.report[int(np.argmax(p))] == 1.0
    support = p[p > 0]
    if np.ptp(support) == 0:  # uniform on its support (a vertex included): truth is a best report
        assert found.gain == 0.0
    else:  # the exact condition: gain = sum_k p_k (max p - p_k) >= (smallest such term) > 0
        below = support[support < support.max()]
        assert found.gain >= float(np.max(below * (support.max() - below))) > 0
    if p.size <= 3:  # the numerical maximiser agrees (kept to small K for speed)
        numerical = el.best_misreport("linear", p, numerical=True, starts=0)
        assert numerical.gain == pytest.approx(found.gain, abs=1e-9)


def test_known_values_and_a_user_rule() -> None:
    p = np.array([0.5, 0.3, 0.2])
    assert el.misreport_gain("linear", p) == pytest.approx(0.5 - 0.38)
    assert el.expected_score("brier", p, p) == pytest.approx(0.38)
    assert el.expected_score("log", [1.0, 0.0], [1.0, 0.0]) == 0.0  # 0 log 0 = 0
    assert el.expected_score("log", [0.5, 0.5], [1.0, 0.0]) == -np.inf
    # A user's rule: the cubed linear rule rewards the largest report even more: improper, found numerically.
    cubic = el.ScoringRule("cubic", lambda q: q**3)
    found = el.best_misreport(cubic, p)
    assert found.method == "numerical" and found.report[0] == pytest.approx(1.0)
    assert found.gain == pytest.approx(0.5 - p @ p**3)
    # Brier with a numerical maximiser from a far start is certified by its Frank-Wolfe gap (concave objective).
    assert el.best_misreport("brier", p, numerical=True).frank_wolfe_gap < 1e-6


def test_scoring_rule_input_errors() -> None:
    with pytest.raises(GameError, match="rule must be"):
        el.expected_score("hinge", [0.5, 0.5], [0.5, 0.5])
    with pytest.raises(GameError, match="^p must"):
        el.expected_score("log", [0.5, 0.6], [0.5, 0.5])
    with pytest.raises(GameError, match="^q must have 2"):
        el.expected_score("log", [0.5, 0.5], [0.2, 0.3, 0.5])


# ---------------------------------------------------------------------------------------- median versus mean


def _brute_force(mechanism, x, i, grid=2001):
    reports = np.linspace(0.0, 1.0, grid)
    profiles = np.repeat(x[None, :], grid, axis=0)
    profiles[:, i] = reports
    f = el._aggregator(mechanism)
    return float(np.max(-np.abs(f(profiles) - x[i])) + abs(float(f(x)) - x[i]))


profiles = st.integers(1, 9).flatmap(
    lambda n: st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n).map(np.array))


@settings(max_examples=60, deadline=None)
@given(profiles)
def test_median_lower_median_and_generalised_median_are_strategy_proof(x) -> None:
    n = x.size
    mechanisms: list[str | el.Aggregator] = ["lower_median", el.generalised_median(el.uniform_phantoms(n)),
                                            el.generalised_median([0.3] * (n + 1))]
    if n % 2 == 1:
        mechanisms.append("median")
    for mechanism in mechanisms:
        assert el.max_manipulation_gain(mechanism, x).gain <= 1e-12


def test_degenerate_profiles_ties_and_a_single_rater() -> None:
    for x in ([0.5, 0.5, 0.5], [0.0, 0.0, 1.0], [1.0], [0.0, 1.0, 1.0, 1.0, 0.0]):
        assert el.max_manipulation_gain("median", x).gain <= 1e-12
        assert el.max_manipulation_gain("lower_median", x).gain <= 1e-12
    assert el.max_manipulation_gain("mean", [0.3]).gain == 0.0  # one rater is the dictator: reports the truth


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 8).flatmap(lambda n: st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n).map(np.array)),
       st.data())
def test_mean_best_report_is_the_clipped_closed_form_and_exact_against_a_grid(x, data) -> None:
    i = data.draw(st.integers(0, x.size - 1))
    found = el.manipulation_gain("mean", x, i)
    target = el.mean_best_report(x, i)
    others = x.sum() - x[i]
    exact_gain = abs(x.mean() - x[i]) - abs((others + target) / x.size - x[i])
    assert found.gain == pytest.approx(exact_gain, abs=1e-12)
    if found.gain > 0:
        assert found.report == pytest.approx(target, abs=1e-12)
    # The enumeration of kinks is never beaten by a fine grid of reports.
    assert _brute_force("mean", x, i) <= found.gain + 1e-12
    assert _brute_force("median", x, i) <= el.manipulation_gain("median", x, i).gain + 1e-12


def test_mean_is_manipulable_and_even_median_averaging_too() -> None:
    m = el.max_manipulation_gain("mean", [0.1, 0.5, 0.9])
    # Rater 0 reports 0 (the range's end): mean 1.4/3 instead of 0.5, gain 0.5 - 1.4/3 - 0 = 1/30.
    assert (m.rater, m.report) == (0, 0.0) and m.gain == pytest.approx(1 / 30, abs=1e-15)
    assert m.outcome == pytest.approx(1.4 / 3)
    # An interior best report: the mean lands exactly on the ideal point.
    interior = el.manipulation_gain("mean", [0.4, 0.5, 0.6], 1)
    assert interior.gain == 0.0
    lopsided = el.manipulation_gain("mean", [0.2, 0.3, 0.7], 1)
    assert lopsided.report == pytest.approx(3 * 0.3 - 0.9) and lopsided.outcome == pytest.approx(0.3)
    # Averaging the two middle reports (n even): rater with ideal 0.4 reports 0.2 and moves the output to 0.4.
    even = el.max_manipulation_gain("median", [0.0, 0.4, 0.6, 1.0])
    assert even.gain == pytest.approx(0.1) and even.outcome == pytest.approx(0.4)


def test_manipulation_input_errors() -> None:
    with pytest.raises(GameError, match="^ideals must lie"):
        el.max_manipulation_gain("mean", [0.2, 1.5])
    with pytest.raises(GameError, match="^mechanism must be"):
        el.max_manipulation_gain("mode", [0.2, 0.5])
    with pytest.raises(GameError, match="^i must be"):
        el.manipulation_gain("mean", [0.2, 0.5], 2)


# -------------------------------------------------------------------------------------------- peer prediction


def test_peer_prediction_two_signal_example_by_hand() -> None:
    # P = [[0.75, 0.1], [0.1, 0.05]]: p = (0.85, 0.15); P(.|1) = (2/3, 1/3); Delta = +-0.0275.
    P = np.array([[0.75, 0.1], [0.1, 0.05]])
    oa = el.peer_prediction("output_agreement", P)
    assert oa.truthful == pytest.approx(0.80)  # trace
    assert oa.uninformative == pytest.approx((1.0, 1.0))
    # The minority-signal rater reports the majority label: 0.1 instead of 0.05.
    assert oa.best_reply == (0, 0) and oa.deviation_gain == pytest.approx(0.05)
    assert oa.uninformative_deviation_gain == 0.0 and oa.best_profile == pytest.approx(1.0)
    ca = el.peer_prediction("correlated_agreement", P)
    assert ca.truthful == pytest.approx(2 * 0.0275)  # the positive entries of Delta
    assert ca.uninformative == pytest.approx((0.0, 0.0), abs=1e-15)
    assert ca.deviation_gain == 0.0 and ca.best_reply == (0, 1)
    assert ca.best_profile == pytest.approx(ca.truthful)


def test_symmetric_binary_output_agreement_truthful_is_an_equilibrium_that_pays_less() -> None:
    P = np.array([[0.4, 0.1], [0.1, 0.4]])
    oa = el.peer_prediction("output_agreement", P)
    assert oa.truthful == pytest.approx(0.8) and oa.deviation_gain == 0.0 and min(oa.uninformative) == 1.0
    ca = el.peer_prediction("correlated_agreement", P)
    assert ca.truthful == pytest.approx(0.3)  # Delta = +-0.15
    # Every strategy pair against the truthful rater by enumeration agrees with the exact best reply.
    for s in np.ndindex(2, 2):
        assert el.peer_payoff("correlated_agreement", P, np.array(s)) <= ca.truthful + 1e-15


@settings(max_examples=25, deadline=None)
@given(beliefs(min_k=2, max_k=4, zeros=False), st.floats(0.05, 1.0))
# agreement 1 ulp below 1: truth's payoff 1 - 2^-54 rounds to 1.0, an inequality "truth pays less than 1" fails there
@example(np.array([0.5, 0.5]), float(np.nextafter(1.0, 0.0)))
def test_correlated_agreement_is_informed_truthful(prior, agreement) -> None:
    P = el.symmetric_joint(prior, agreement)
    ca = el.peer_prediction("correlated_agreement", P)
    assert ca.deviation_gain <= 1e-12
    assert max(abs(u) for u in ca.uninformative) <= 1e-12 and ca.uninformative_deviation_gain <= 1e-12
    assert ca.truthful > 0 and ca.best_profile is not None and ca.best_profile <= ca.truthful + 1e-12
    oa = el.peer_prediction("output_agreement", P)
    # Uninformative agreement pays 1; truth pays P(same signal) = a + (1 - a) p.p, less than 1 by exactly
    # (1 - a)(1 - p.p) > 0 unless the signals always agree (a = 1): every prior here has two positive entries.
    a, pp = float(agreement), float(prior @ prior)
    assert oa.truthful == pytest.approx(a + (1 - a) * pp, abs=1e-12)
    assert min(oa.uninformative) == pytest.approx(1.0, abs=1e-12)
    assert min(oa.uninformative) - oa.truthful == pytest.approx((1 - a) * (1 - pp), abs=1e-12)
    assert (1 - a) * (1 - pp) > 0 or a == 1.0
    # Output agreement's exact condition for truth: agreement >= (1 - agreement) (max prior - prior_k) for all k.
    margin = agreement - (1 - agreement) * (prior.max() - prior.min())
    assume(abs(margin) > 1e-9)  # at the boundary the deviation gain is round-off either way
    truthful_equilibrium = margin > 0
    assert (oa.deviation_gain <= 1e-12) == truthful_equilibrium


def test_peer_prediction_input_errors() -> None:
    with pytest.raises(GameError, match="^joint must be symmetric"):
        el.peer_prediction("output_agreement", [[0.5, 0.3], [0.1, 0.1]])
    with pytest.raises(GameError, match="^joint must be finite"):
        el.peer_prediction("output_agreement", [[0.5, 0.3], [0.3, 0.5]])
    with pytest.raises(GameError, match="^mechanism must be"):
        el.peer_prediction("majority", [[0.4, 0.1], [0.1, 0.4]])
    with pytest.raises(GameError, match="^strategy must be"):
        el.peer_payoff("output_agreement", [[0.4, 0.1], [0.1, 0.4]], [0, 2])
