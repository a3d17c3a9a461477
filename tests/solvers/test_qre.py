"""Logit QRE path tracing (McKelvey & Palfrey 1995; Turocy 2005) and its refinement to a Nash equilibrium."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from equilibria import GameError, NormalFormGame
from equilibria.metrics.regret import max_regret
from equilibria.solvers import solve
from equilibria.solvers.qre import QREPath, _LogitSystem, logit_qre_path, qre_solve

MATCHING_PENNIES = NormalFormGame.zero_sum([[1, -1], [-1, 1]])
RPS = NormalFormGame.zero_sum([[0, -1, 1], [1, 0, -1], [-1, 1, 0]])
PRISONERS_DILEMMA = NormalFormGame.bimatrix([[3, 0], [5, 1]], [[3, 5], [0, 1]])  # action 1 = defect
# von Stengel (2002), "Computing equilibria for two-person games", the 3x2 example with three equilibria.
VON_STENGEL = NormalFormGame.bimatrix([[3, 3], [2, 5], [0, 6]], [[3, 2], [2, 6], [3, 1]])
VON_STENGEL_EQUILIBRIA = (
    ((1, 0, 0), (1, 0)),
    ((Fraction(4, 5), Fraction(1, 5), 0), (Fraction(2, 3), Fraction(1, 3))),
    ((0, Fraction(1, 3), Fraction(2, 3)), (Fraction(1, 3), Fraction(2, 3))),
)


def cyclic_pennies() -> NormalFormGame:
    """A three-player 2x2x2 game whose unique equilibrium is fully mixed and not uniform.

    Player 0's payoff depends on (a0, a1) only and rewards matching player 1: 3 for (0, 0), 1 for (1, 1),
    else 0, so player 0 is indifferent iff player 1 plays 0 with probability 1/4. Player 1 matches player 2
    (1 for (0, 0), 2 for (1, 1)): indifferent iff player 2 plays 0 w.p. 2/3. Player 2 mismatches player 0
    (2 for (0, 1), 1 for (1, 0)): indifferent iff player 0 plays 0 w.p. 2/3. Uniqueness: a player who plays
    purely forces the previous one round the cycle (2 -> 1 -> 0 -> 2) to reply purely, and going round the
    cycle contradicts the first choice (an odd number of mismatchers), so everyone mixes and each is pinned by
    the next player's indifference.
    """
    match_0 = np.array([[3, 0], [0, 1]])  # [a0, a1]
    match_1 = np.array([[1, 0], [0, 2]])  # [a1, a2]
    mismatch_2 = np.array([[0, 2], [1, 0]])  # [a2, a0]
    ones = np.ones((2, 2, 2))
    payoffs = np.stack([
        match_0[:, :, None] * ones,
        match_1[None, :, :] * ones,
        mismatch_2.T[:, None, :] * ones,  # payoffs[2][a0, a1, a2] = mismatch_2[a2, a0]
    ])
    return NormalFormGame(payoffs, name="cyclic pennies")


CYCLIC_EQUILIBRIUM = ((Fraction(2, 3), Fraction(1, 3)), (Fraction(1, 4), Fraction(3, 4)),
                      (Fraction(2, 3), Fraction(1, 3)))


def exact(profile: tuple[tuple[Fraction | int, ...], ...]) -> tuple[np.ndarray, ...]:
    return tuple(np.array([Fraction(p) for p in s], dtype=object) for s in profile)


def distance(profile: tuple[np.ndarray, ...], target: tuple[tuple[Fraction | int, ...], ...]) -> float:
    return max(float(np.max(np.abs(np.asarray(s, dtype=float) - np.array(t, dtype=float))))
               for s, t in zip(profile, target, strict=True))


def logit_residual(game: NormalFormGame, precision: float, profile: tuple[np.ndarray, ...]) -> float:
    """max_i |s_i - softmax(precision * v_i(s))|: zero exactly at a logit QRE."""
    worst = 0.0
    for i in range(game.n_players):
        z = precision * game.action_values(profile, i)
        response = np.exp(z - z.max())
        worst = max(worst, float(np.max(np.abs(response / response.sum() - profile[i]))))
    return worst


# -- known answers -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("game", [MATCHING_PENNIES, RPS], ids=["matching pennies", "rps"])
def test_symmetric_zero_sum_games_give_uniform(game: NormalFormGame) -> None:
    result = qre_solve(game)
    assert result.method == "qre"
    assert result.converged
    for s in result.equilibrium:
        np.testing.assert_allclose(s, np.full(s.shape, 1 / s.size), atol=1e-12)
    assert result.certificate[0] <= 1e-12
    # The QRE is uniform at every precision in these games.
    path = logit_qre_path(game, max_lambda=100.0)
    assert path.complete
    for profile in path.profiles:
        for s in profile:
            np.testing.assert_allclose(s, np.full(s.shape, 1 / s.size), atol=1e-12)


def test_prisoners_dilemma_gives_defect() -> None:
    result = qre_solve(PRISONERS_DILEMMA)
    assert result.converged
    for s in result.equilibrium:
        np.testing.assert_array_equal(s, [0.0, 1.0])
    assert result.certificate[0] == 0.0


def test_prisoners_dilemma_defection_grows_along_the_path() -> None:
    path = logit_qre_path(PRISONERS_DILEMMA, max_lambda=50.0)
    defect = np.array([p[0][1] for p in path.profiles])
    assert np.all(np.diff(path.lambdas) > 0)
    assert np.all(np.diff(defect) > 0)
    assert defect[0] == pytest.approx(0.5) and defect[-1] > 1 - 1e-12


def test_von_stengel_3x2_reaches_one_of_its_equilibria() -> None:
    result = qre_solve(VON_STENGEL)
    assert result.converged
    assert result.certificate[0] <= 1e-9
    assert min(distance(result.equilibrium, eq) for eq in VON_STENGEL_EQUILIBRIA) <= 1e-9
    for eq in VON_STENGEL_EQUILIBRIA:  # the listed answers really are equilibria
        assert max_regret(VON_STENGEL, exact(eq)) == 0


def test_three_player_game_with_unique_fully_mixed_equilibrium() -> None:
    game = cyclic_pennies()
    assert max_regret(game, exact(CYCLIC_EQUILIBRIUM)) == 0
    assert game.pure_nash() == []
    result = qre_solve(game)
    assert result.converged
    assert result.certificate[0] <= 1e-9
    assert distance(result.equilibrium, CYCLIC_EQUILIBRIUM) <= 1e-9


def test_solve_reaches_qre_by_name_on_three_player_games() -> None:
    result = solve(cyclic_pennies(), method="qre")
    assert result.method == "qre"
    assert distance(result.equilibrium, CYCLIC_EQUILIBRIUM) <= 1e-9


@pytest.mark.parametrize("seed", range(6))
def test_random_three_and_four_player_games(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 3 + seed % 2
    shape = tuple(int(m) for m in rng.integers(2, 4, size=n))
    game = NormalFormGame(rng.normal(size=(n, *shape)))
    result = qre_solve(game, tol=1e-9, max_seconds=10.0)
    assert result.converged
    assert result.certificate[0] <= 1e-9
    assert float(max_regret(game, result.equilibrium)) <= 1e-9


def test_early_support_guess_is_not_taken_for_the_limit() -> None:
    # At lambda * range ~ 12 the QRE point's support solves to the equilibrium ((.62, .38), (.80, .20),
    # (0, .53, 0, .47)), but the branch turns away from it and converges to the one below.
    game = NormalFormGame(np.array([
        [[[0, 2, 2, 4], [-9, 0, -7, -2]], [[8, 1, -8, 1], [-7, 5, 9, 9]]],
        [[[2, 7, -2, -7], [0, -1, 3, 9]], [[-4, 7, -7, -3], [5, -5, 3, -1]]],
        [[[0, 8, 6, 6], [1, 9, 9, -7]], [[-6, -4, 1, 6], [0, 9, -3, 8]]],
    ], dtype=float))
    limit = ((0, 1), (Fraction(1, 11), Fraction(10, 11)), (0, Fraction(1, 7), 0, Fraction(6, 7)))
    assert max_regret(game, exact(limit)) == 0
    path = logit_qre_path(game, max_lambda=1e4)
    assert distance(path.profiles[-1], limit) <= 1e-3
    result = qre_solve(game)
    assert result.converged
    assert distance(result.equilibrium, limit) <= 1e-9


def test_path_through_turning_points() -> None:
    # A 2x4x2 game whose principal branch turns back in lambda several times before converging.
    game = NormalFormGame(np.array([
        [[[-4, 9], [-7, 2], [-3, -1], [8, -6]], [[6, 5], [-9, 8], [-6, -3], [-4, 9]]],
        [[[8, -4], [-2, 3], [-6, -2], [7, -9]], [[8, -7], [-4, -4], [-3, -1], [5, 3]]],
        [[[-4, 1], [5, 9], [-1, 5], [3, 9]], [[8, 9], [-9, 5], [-3, -9], [5, -2]]],
    ], dtype=float))
    path = logit_qre_path(game, max_lambda=100.0)
    assert path.complete
    assert np.any(np.diff(path.lambdas) < 0)
    for precision, profile in zip(path.lambdas, path.profiles, strict=True):
        assert logit_residual(game, float(precision), profile) <= 1e-8
    result = qre_solve(game)
    assert result.converged and result.certificate[0] <= 1e-9


def test_answer_does_not_depend_on_payoff_unit() -> None:
    rng = np.random.default_rng(11)
    game = NormalFormGame(rng.normal(size=(3, 3, 2, 3)))
    rescaled = NormalFormGame(1000.0 * game.payoffs - 7.0)
    first, second = qre_solve(game), qre_solve(rescaled, tol=1e-6)
    assert first.converged and second.converged
    assert distance(first.equilibrium, tuple(tuple(s) for s in second.equilibrium)) <= 1e-9


def test_parameters_and_iterations_are_recorded() -> None:
    result = qre_solve(VON_STENGEL, tol=1e-10, max_lambda=1e5, step=0.05)
    params = result.parameters
    assert (params["tol"], params["max_lambda"], params["step"]) == (1e-10, 1e5, 0.05)
    assert 0 < params["final_lambda"] <= 1e5
    assert result.iterations > 0


# -- the path ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("game", [
    VON_STENGEL,
    cyclic_pennies(),
    NormalFormGame(np.random.default_rng(3).normal(size=(3, 3, 3, 2))),
    NormalFormGame(np.random.default_rng(4).integers(-5, 6, size=(4, 2, 3, 2, 2)).astype(float)),
], ids=["von stengel", "cyclic pennies", "random 3x3x2", "random integer 2x3x2x2"])
def test_path_points_are_logit_qre(game: NormalFormGame) -> None:
    path = logit_qre_path(game, max_lambda=1e4)
    assert isinstance(path, QREPath)
    assert path.complete
    assert len(path.lambdas) == len(path.profiles) > 2
    assert path.lambdas[0] == 0.0 and path.lambdas[-1] == pytest.approx(1e4, rel=1e-12)
    for s, m in zip(path.profiles[0], game.n_actions, strict=True):
        np.testing.assert_allclose(s, np.full(m, 1 / m), atol=1e-15)
    for precision, profile in zip(path.lambdas, path.profiles, strict=True):
        assert logit_residual(game, float(precision), profile) <= 1e-8


def test_path_budget_stops_early() -> None:
    path = logit_qre_path(VON_STENGEL, max_lambda=1e6, max_iterations=3)
    assert not path.complete
    assert len(path.lambdas) == 4  # the start and three steps


def test_unfinished_trace_is_not_converged() -> None:
    # At tiny precision the QRE is nearly uniform and no support refines to an equilibrium.
    result = qre_solve(PRISONERS_DILEMMA, max_lambda=1e-3)
    assert not result.converged
    assert result.parameters["final_lambda"] == pytest.approx(1e-3, rel=1e-12)
    assert result.certificate[0] > 1e-9 and len(result.equilibria) == 1
    stopped = qre_solve(VON_STENGEL, max_iterations=1)
    assert not stopped.converged and stopped.iterations == 1


def test_degenerate_shapes() -> None:
    single = NormalFormGame(np.array([[1.0, 3.0, 2.0]]))  # one player: picks the best action
    np.testing.assert_array_equal(qre_solve(single).equilibrium[0], [0.0, 1.0, 0.0])
    forced = NormalFormGame.bimatrix([[1.0, 2.0]], [[0.0, 1.0]])  # the row player has one action
    result = qre_solve(forced)
    assert result.converged
    np.testing.assert_array_equal(result.equilibrium[1], [0.0, 1.0])
    constant = NormalFormGame(np.zeros((3, 2, 2, 2)))  # every profile is an equilibrium
    assert qre_solve(constant).converged


# -- bad input -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("options", [
    {"max_lambda": -1.0}, {"max_lambda": 0.0}, {"max_lambda": float("inf")}, {"tol": 0.0}, {"tol": -1e-9},
    {"tol": float("nan")}, {"step": 0.0}, {"max_iterations": 0}, {"max_seconds": -1.0},
])
def test_bad_parameters_raise(options: dict[str, float]) -> None:
    with pytest.raises(GameError, match="qre_solve"):
        qre_solve(VON_STENGEL, **options)  # type: ignore[arg-type]


def test_bad_input_raises() -> None:
    with pytest.raises(GameError, match="logit_qre_path"):
        logit_qre_path(VON_STENGEL, max_lambda=-5.0)
    with pytest.raises(GameError, match="qre_solve"):
        qre_solve([[1, 2], [3, 4]])


# -- properties ----------------------------------------------------------------------------------------------

@st.composite
def small_games(draw: st.DrawFn) -> NormalFormGame:
    n = draw(st.integers(2, 3))
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=n, max_size=n)))
    payoffs = draw(arrays(np.int64, (n, *shape), elements=st.integers(-3, 3)))  # integers: many ties
    return NormalFormGame(payoffs.astype(float))


@settings(max_examples=60, deadline=None)
@given(small_games())
def test_random_small_games_converge_or_say_so(game: NormalFormGame) -> None:
    result = qre_solve(game, max_seconds=1.0)
    assert len(result.equilibria) == 1
    if result.converged:
        assert result.certificate[0] <= 1e-9
    else:
        assert result.certificate[0] > 1e-9
    assert result.seconds < 5.0


# -- staying on the branch -------------------------------------------------------------------------------------

def fine_reference(game: NormalFormGame, precision: float) -> tuple[np.ndarray, ...] | None:
    """The principal QRE at ``precision`` by natural continuation in lambda: Newton at each precision from the
    previous point, steps halved until no probability moves by more than 0.01 (so between two accepted points the
    trace cannot change branch). None at a turning point (lambda cannot be the parameter there)."""
    scale = float(np.ptp(game.payoffs, axis=tuple(range(1, game.payoffs.ndim))).max()) or 1.0
    system = _LogitSystem(game.payoffs / scale)
    x, size, target, dt = system.start(), system.size, precision * scale, 0.01
    while x[-1] < target:
        y = x.copy()
        y[-1] = min(x[-1] + dt, target)
        with np.errstate(all="ignore"):  # a diverging Newton run is rejected below
            for _ in range(30):
                residual, jac = system.evaluate(y)
                if not np.all(np.isfinite(jac)) or np.linalg.cond(jac[:, :size]) > 1e12:
                    break
                delta = np.linalg.solve(jac[:, :size], -residual)
                y[:size] += delta
                if not np.abs(delta).max() > 1e-15:
                    break
            moved = np.abs(np.exp(y[:size]) - np.exp(x[:size])).max()
            accepted = bool(np.abs(system.evaluate(y)[0]).max() <= 1e-13 and moved <= 0.01)
        if accepted:
            x, dt = y, 1.5 * dt
        else:
            dt /= 2
            if dt < 1e-9:
                return None
    return system.profile(x)


def issue_game(seed: int) -> tuple[NormalFormGame, float]:
    """The generator that found the branch jump: 2 or 3 players, 2 or 3 actions, normal payoffs, lambda in [0.1, 3]."""
    rng = np.random.default_rng(seed)
    actions = tuple(int(m) for m in rng.integers(2, 4, size=rng.integers(2, 4)))
    precision = float(rng.uniform(0.1, 3))
    return NormalFormGame(rng.normal(size=(len(actions), *actions))), precision


def test_no_jump_to_a_neighbouring_branch() -> None:
    # Seed 121: a (3, 2) game where the branch bends sharply near lambda * range = 4 and another QRE branch passes
    # close; large steps (the default) used to land on it, with lambda still increasing and every step-size test
    # passed: player 2 ended at [0.5676, 0.4324] instead of [0.9913, 0.0087].
    game, precision = issue_game(121)
    assert game.n_actions == (3, 2)
    reference = fine_reference(game, precision)
    assert reference is not None and reference[1][0] > 0.99
    # An opponent-only term (player 0's payoff shifted by a function of player 1's action) changes no QRE.
    shifted = NormalFormGame(game.payoffs + np.array([[[0.0, 5.0]] * 3, [[0.0, 0.0]] * 3]))
    for candidate in (game, shifted):
        for step in (0.001, 0.01, 0.05, 0.1, 0.5, 2.0):
            path = logit_qre_path(candidate, max_lambda=precision, step=step)
            assert path.complete and np.all(np.diff(path.lambdas) > 0)
            assert distance(path.profiles[-1], reference) <= 1e-6, (step, path.profiles[-1])
            assert logit_residual(game, precision, path.profiles[-1]) <= 1e-12


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2 ** 32 - 1))
@example(121)
def test_end_point_is_the_fine_step_trace_and_does_not_depend_on_step(seed: int) -> None:
    game, precision = issue_game(seed)
    ends = []
    for step in (0.01, 0.1, 1.0):
        path = logit_qre_path(game, max_lambda=precision, step=step)
        assert path.complete
        assert logit_residual(game, precision, path.profiles[-1]) <= 1e-10
        ends.append(path.profiles[-1])
    for other in ends[1:]:
        assert distance(other, ends[0]) <= 1e-6
    reference = fine_reference(game, precision)
    if reference is not None:  # else a turning point before ``precision``: the steps must still agree (above)
        assert distance(ends[0], reference) <= 1e-6



@pytest.mark.parametrize("step", [0.1, 1.0])
def test_path_crosses_a_bifurcation_point(step: float) -> None:
    # Pure coordination: the uniform profile is a QRE at every lambda and two asymmetric branches split off it at
    # lambda = 2 (a pitchfork: the Jacobian is singular there and the orientation determinant changes sign). The
    # trace must go straight through, not take the sign change for a jump and stall.
    game = NormalFormGame.bimatrix([[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]])
    path = logit_qre_path(game, max_lambda=10.0, step=step)
    assert path.complete and path.lambdas[-1] == pytest.approx(10.0, rel=1e-12)
    assert np.any(path.lambdas < 2.0) and np.any(path.lambdas > 2.0)
    for profile in path.profiles:
        assert distance(profile, ((0.5, 0.5), (0.5, 0.5))) <= 1e-12
