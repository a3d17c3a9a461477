"""nash_result and deduplicate: the certificate is the metrics layer's, whichever route the checks take."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria import GameError, NormalFormGame
from equilibria.metrics import max_regret
from equilibria.solvers._common import Budget, deduplicate, nash_result


def certify(game: NormalFormGame, profiles: list) -> object:
    # Random profiles, not equilibria: an infinite tolerance keeps them unflagged (the tolerance rule itself is
    # tested in test_wide_payoff_ranges.py).
    return nash_result(game, "test_solver", profiles, parameters={"p": 1}, iterations=7, budget=Budget(),
                       rtol=float("inf"))


@given(st.integers(1, 6), st.integers(1, 6), st.integers(0, 2**32 - 1), st.booleans())
@settings(max_examples=60, deadline=None)
def test_nash_result_values_and_certificates_are_the_metrics(m: int, n: int, seed: int, as_lists: bool) -> None:
    rng = np.random.default_rng(seed)
    game = NormalFormGame.bimatrix(rng.normal(size=(m, n)), rng.normal(size=(m, n)))
    profiles = [(rng.dirichlet(np.ones(m)), rng.dirichlet(np.ones(n))) for _ in range(2)]
    given_profiles = [tuple(s.tolist() for s in p) for p in profiles] if as_lists else profiles
    result = certify(game, given_profiles)
    for profile, equilibrium, values, certificate in zip(profiles, result.equilibria, result.values,
                                                          result.certificate, strict=True):
        assert all(np.array_equal(e, s) and e is not s and e.dtype == np.float64
                   for e, s in zip(equilibrium, profile, strict=True))
        assert values == pytest.approx(game.expected_payoffs(profile), rel=1e-14, abs=1e-14)  # summation order
        assert certificate == max_regret(game, profile)
    assert result.parameters == {"p": 1} and result.iterations == 7 and result.certificate_name == "max_regret"


def test_nash_result_exact_and_three_player_profiles() -> None:
    game = NormalFormGame.bimatrix([[3, 0], [5, 1]], [[3, 5], [0, 1]])
    exact = (np.array([Fraction(0), Fraction(1)], dtype=object), np.array([Fraction(0), Fraction(1)], dtype=object))
    result = certify(game, [exact])
    assert result.certificate == (0,) and list(result.values[0]) == [1, 1]
    three = NormalFormGame(np.random.default_rng(0).normal(size=(3, 2, 3, 2)))
    profile = (np.array([0.5, 0.5]), np.array([0.2, 0.3, 0.5]), np.array([1.0, 0.0]))
    result = certify(three, [profile])
    assert result.certificate[0] == max_regret(three, profile)
    assert list(result.values[0]) == list(three.expected_payoffs(profile))


def test_nash_result_rejects_what_is_not_a_profile() -> None:
    game = NormalFormGame.bimatrix(np.eye(2), np.eye(2))
    for bad in ((np.array([0.7, 0.7]), np.array([1.0, 0.0])), (np.array([np.nan, 1.0]), np.array([1.0, 0.0])),
                (np.array([1.0, 0.0]),)):
        with pytest.raises(GameError, match="test_solver: returned profile"):
            certify(game, [bad])


def test_deduplicate_keeps_the_first_of_equal_profiles() -> None:
    a = (np.array([0.5, 0.5]), np.array([1.0, 0.0]))
    b = (np.array([0.5 + 1e-12, 0.5 - 1e-12]), np.array([1.0, 0.0]))
    c = (np.array([0.0, 1.0]), np.array([1.0, 0.0]))
    kept = deduplicate([a, b, c, a])
    assert len(kept) == 2 and kept[0][0] is a[0] and kept[1][0] is c[0]
    assert deduplicate([]) == [] and len(deduplicate([a])) == 1
    half = np.array([Fraction(1, 2), Fraction(1, 2)], dtype=object)
    assert len(deduplicate([(half, half), (half.copy(), half.copy())])) == 1


def test_evaluations_are_taken_as_given_and_nan_ones_ignored() -> None:
    """A compiled solver's own evaluation of its buffer is used as it is; a NaN one goes the checked route."""
    from equilibria.metrics.regret import bimatrix_evaluation
    from equilibria.solvers._common import evaluated_result

    game = NormalFormGame.bimatrix([[3, 0], [5, 1]], [[3, 5], [0, 1]])
    out = np.array([0.25, 0.75, 0.5, 0.5, 0, 0, 0, 0, 0], dtype=float)
    x, y = out[:2], out[2:4]
    bimatrix_evaluation(game.payoffs, x, y, 1e-6, out[4:])
    evaluation = (out[4:6], out[8])
    for result in (nash_result(game, "t", [(x, y)], parameters={}, iterations=1, budget=Budget(),
                               evaluations=[evaluation]),
                   evaluated_result(game, "t", (x, y), evaluation, {}, 1, Budget())):
        assert result.equilibrium[0] is x and result.values[0] is evaluation[0]
        # (0.25, 0.75), (0.5, 0.5) is no equilibrium (max regret 0.625): never reported converged.
        assert result.certificate[0] == max_regret(game, (x, y)) and not result.converged
    spoilt = (np.full(2, np.nan), np.float64(np.nan))
    for result in (nash_result(game, "t", [(x, y)], parameters={}, iterations=1, budget=Budget(),
                               evaluations=[spoilt]),
                   evaluated_result(game, "t", (x, y), spoilt, {}, 1, Budget())):
        assert result.equilibrium[0] is not x and result.certificate[0] == max_regret(game, (x, y))
    bimatrix_evaluation(game.payoffs, np.array([0.5, 0.6]), y, 1e-6, out[4:])  # not a distribution
    assert np.isnan(out[4:]).all()


@pytest.mark.parametrize(("max_iterations", "max_seconds", "match"), [
    (0, None, "max_iterations"), (True, None, "max_iterations"), (2.5, None, "max_iterations"),
    (None, 0.0, "max_seconds"), (None, float("nan"), "max_seconds"), (None, "1", "max_seconds"),
    (None, False, "max_seconds"),
])
def test_checked_budgets_name_the_caller(max_iterations: object, max_seconds: object, match: str) -> None:
    with pytest.raises(GameError, match=f"my_solver: {match}"):
        Budget.checked(max_iterations, max_seconds, "my_solver")
    budget = Budget.checked(np.int64(3), 1, "my_solver")
    assert budget.max_iterations == 3 and not budget.exhausted(2) and budget.exhausted(3)
