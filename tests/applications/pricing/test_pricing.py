"""Calvano et al. (2020) pricing: market facts, the grid, initial Q, the convergence rule, the compiled kernel against
two plain implementations on the same random streams, seeded determinism, analysis of learned strategies, the heat
map's cells and bad input."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria import GameError
from equilibria.applications.pricing import (
    OUTCOMES,
    LearningParameters,
    LogitDemand,
    analyse_sessions,
    classify,
    cycle_profit_gain,
    heatmap_cell,
    impulse_response,
    initial_q,
    limit_cycle,
    paper_grid,
    price_grid,
    pricing_market,
    profit_gain_heatmap,
    profit_table,
    python_sessions,
    reference_sessions,
    run_sessions,
    static_best_response,
)

BASELINE = pricing_market()


# -- the market --------------------------------------------------------------------------------------------------


def test_baseline_prices_and_profits_match_the_paper() -> None:
    assert np.round(BASELINE.nash_prices, 4).tolist() == [1.4729, 1.4729]
    assert np.round(BASELINE.monopoly_prices, 4).tolist() == [1.9250, 1.9250]
    assert np.round(BASELINE.nash_profits, 4).tolist() == [0.2229, 0.2229]
    assert np.round(BASELINE.monopoly_profits, 4).tolist() == [0.3375, 0.3375]


def _numeric_gradient(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    return np.array([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(len(x))])


@pytest.mark.parametrize("demand", [LogitDemand.symmetric(), LogitDemand.symmetric(3),
                                    LogitDemand((2.0, 2.4), (1.0, 1.3), outside=0.2, mu=0.3)])
def test_nash_and_monopoly_prices_satisfy_their_first_order_conditions(demand: LogitDemand) -> None:
    nash = demand.nash_prices()
    for i in range(demand.n_firms):  # own-price derivative of own profit vanishes at Nash
        def own(p_i: float, i: int = i) -> float:
            p = nash.copy()
            p[i] = p_i
            return float(demand.profits(p)[i])
        assert abs((own(nash[i] + 1e-6) - own(nash[i] - 1e-6)) / 2e-6) < 1e-7
    monopoly = demand.monopoly_prices()
    gradient = _numeric_gradient(lambda p: float(demand.profits(p).sum()), monopoly)
    assert np.max(np.abs(gradient)) < 1e-7
    assert demand.profits(monopoly).sum() > demand.profits(nash).sum()


def test_price_grid_spans_nash_and_monopoly_with_the_margin_xi() -> None:
    grid = price_grid(LogitDemand.symmetric(), 15, 0.1)
    pn, pm = BASELINE.nash_prices[0], BASELINE.monopoly_prices[0]
    assert grid.shape == (2, 15)
    np.testing.assert_allclose(grid[0, [0, -1]], [pn - 0.1 * (pm - pn), pm + 0.1 * (pm - pn)], rtol=0, atol=1e-14)
    np.testing.assert_allclose(np.diff(grid[0]), (pm - pn) * 1.2 / 14, rtol=0, atol=1e-14)
    np.testing.assert_array_equal(grid[0], grid[1])


def test_profit_table_is_indexed_by_joint_action_firm_0_first() -> None:
    market = pricing_market(LogitDemand((2.0, 2.2, 1.9), (1.0, 1.1, 0.9)), n_prices=4)
    assert market.profits.shape == (3, 64)
    for actions in itertools.product(range(4), repeat=3):
        joint = market.joint_index(actions)
        assert market.actions_of(joint) == actions
        prices = market.grid[np.arange(3), list(actions)]
        np.testing.assert_allclose(market.profits[:, joint], market.demand.profits(prices), rtol=0, atol=0)


def test_initial_q_is_the_discounted_payoff_against_a_uniform_rival() -> None:
    q = initial_q(BASELINE, 0.95)
    table = BASELINE.profits.reshape(2, 15, 15)
    expected0 = np.array([sum(table[0, a, b] for b in range(15)) / (0.05 * 15) for a in range(15)])
    expected1 = np.array([sum(table[1, b, a] for b in range(15)) / (0.05 * 15) for a in range(15)])
    np.testing.assert_allclose(q, [expected0, expected1], rtol=1e-14)
    market = pricing_market(LogitDemand.symmetric(3), n_prices=3)
    t3 = market.profits.reshape(3, 3, 3, 3)
    assert np.isclose(initial_q(market, 0.5)[2, 1], t3[2, :, :, 1].sum() / (0.5 * 9), rtol=1e-14)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(2, 4), quality=st.floats(0.5, 3), cost=st.floats(0, 1.5), mu=st.floats(0.1, 1),
       data=st.data())
def test_profits_permute_with_the_firms(n: int, quality: float, cost: float, mu: float, data: st.DataObject) -> None:
    qualities = data.draw(st.lists(st.floats(quality - 0.3, quality + 0.3), min_size=n, max_size=n))
    costs = data.draw(st.lists(st.floats(cost, cost + 0.5), min_size=n, max_size=n))
    prices = np.array(data.draw(st.lists(st.floats(0, 4), min_size=n, max_size=n)))
    permutation = np.array(data.draw(st.permutations(range(n))))
    demand = LogitDemand(tuple(qualities), tuple(costs), mu=mu)
    permuted = LogitDemand(tuple(np.array(qualities)[permutation]), tuple(np.array(costs)[permutation]), mu=mu)
    np.testing.assert_allclose(permuted.profits(prices[permutation]), demand.profits(prices)[permutation],
                               rtol=1e-12, atol=1e-15)
    symmetric = LogitDemand.symmetric(n, quality=quality, cost=cost, mu=mu)
    np.testing.assert_allclose(symmetric.profits(prices[permutation]), symmetric.profits(prices)[permutation],
                               rtol=1e-12, atol=1e-15)


# -- the sessions -------------------------------------------------------------------------------------------------


def test_kernel_equals_the_plain_reference_loop_on_baseline_sessions() -> None:
    parameters = LearningParameters(convergence_window=2_000, max_periods=300_000)
    fast = run_sessions(BASELINE, parameters, sessions=3, seed=7)
    plain = reference_sessions(BASELINE, parameters, sessions=3, seed=7)
    for field in ("converged", "periods", "greedy", "final_state"):
        np.testing.assert_array_equal(getattr(fast, field), getattr(plain, field))
    assert fast.periods.max() > 2_000  # greedy strategies did change before the window ran out


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 3), m=st.integers(2, 4), memory=st.integers(1, 2), alpha=st.floats(0.05, 1),
       beta=st.floats(2e-4, 5e-3), delta=st.floats(0, 0.95), window=st.integers(1, 300),
       seed=st.integers(0, 2**40))
def test_kernel_equals_plain_python_on_small_configs(n: int, m: int, memory: int, alpha: float, beta: float,
                                                     delta: float, window: int, seed: int) -> None:
    if n == 3 and memory == 2 and m > 3:
        memory = 1  # keep the plain-Python oracle small
    market = pricing_market(LogitDemand.symmetric(n), n_prices=m)
    parameters = LearningParameters(alpha=alpha, beta=beta, delta=delta, memory=memory, convergence_window=window,
                                    max_periods=20_000)
    fast = run_sessions(market, parameters, sessions=2, seed=seed)
    python = python_sessions(market, parameters, sessions=2, seed=seed)
    for field in ("converged", "periods", "greedy", "final_state"):
        np.testing.assert_array_equal(getattr(fast, field), getattr(python, field))


def test_convergence_rule_when_no_greedy_action_ever_changes() -> None:
    # With alpha = 1e-9 no Q value moves far enough to reorder a row, so the greedy strategies are stable from the
    # first period and the session stops exactly when the window is full.
    parameters = LearningParameters(alpha=1e-9, convergence_window=777)
    sessions = run_sessions(BASELINE, parameters, sessions=4, seed=3)
    assert sessions.converged.all() and sessions.periods.tolist() == [777] * 4
    start = np.argmax(initial_q(BASELINE, 0.95), axis=1)
    assert (sessions.greedy == start[None, :, None]).all()


def test_cap_stops_a_session_that_has_not_converged() -> None:
    parameters = LearningParameters(convergence_window=100_000, max_periods=5_000)
    sessions = run_sessions(BASELINE, parameters, sessions=2, seed=0)
    assert not sessions.converged.any() and sessions.periods.tolist() == [5_000, 5_000]


def test_seeded_sessions_are_deterministic_across_chunks_and_threads() -> None:
    parameters = LearningParameters(beta=5e-5, convergence_window=5_000)
    whole = run_sessions(BASELINE, parameters, sessions=6, seed=11)
    again = run_sessions(BASELINE, parameters, sessions=6, seed=11)
    tail = run_sessions(BASELINE, parameters, sessions=2, seed=11, first_session=4)
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        single = run_sessions(BASELINE, parameters, sessions=6, seed=11)
    finally:
        numba.set_num_threads(threads)
    other = run_sessions(BASELINE, parameters, sessions=6, seed=12)
    for field in ("converged", "periods", "greedy", "final_state"):
        np.testing.assert_array_equal(getattr(whole, field), getattr(again, field))
        np.testing.assert_array_equal(getattr(whole, field)[4:], getattr(tail, field))
        np.testing.assert_array_equal(getattr(whole, field), getattr(single, field))
    assert not np.array_equal(whole.periods, other.periods)
    assert len(set(whole.periods.tolist())) > 1  # sessions differ from each other


# -- analysis -----------------------------------------------------------------------------------------------------


def _strategies(market, rule) -> np.ndarray:
    """Greedy arrays (n, S) from ``rule(actions) -> joint actions`` for memory 1."""
    n, m = market.n_firms, market.n_prices
    greedy = np.zeros((n, m**n), dtype=np.int16)
    for state in range(m**n):
        greedy[:, state] = rule(market.actions_of(state))
    return greedy


def test_limit_cycles_outcomes_and_profit_gains_of_hand_made_strategies() -> None:
    market = pricing_market(n_prices=3)
    constant = _strategies(market, lambda last: (2, 2))
    assert limit_cycle(constant, 0, 3) == (market.joint_index((2, 2)),)
    assert classify(market, limit_cycle(constant, 0, 3)) == "constant symmetric"
    asymmetric = _strategies(market, lambda last: (2, 1))
    assert classify(market, limit_cycle(asymmetric, 5, 3)) == "constant asymmetric"
    alternate = _strategies(market, lambda last: (2, 0) if last == (0, 2) else (0, 2))
    assert limit_cycle(alternate, market.joint_index((0, 2)), 3) == (market.joint_index((2, 0)),
                                                                     market.joint_index((0, 2)))
    assert classify(market, limit_cycle(alternate, 0, 3)) == "2-cycle"
    rotate = _strategies(market, lambda last: ((last[0] + 1) % 3, (last[1] + 1) % 3))
    assert len(limit_cycle(rotate, 0, 3)) == 3 and classify(market, limit_cycle(rotate, 0, 3)) == "longer cycle"
    pn = market.nash_profits
    assert market.profit_gain(pn).tolist() == [0.0, 0.0]
    np.testing.assert_allclose(market.profit_gain(market.monopoly_profits), [1.0, 1.0])
    joint = market.joint_index((2, 2))
    expected = float(np.mean(market.profit_gain(market.profits[:, joint])))
    assert cycle_profit_gain(market, (joint,)) == expected


def test_impulse_response_of_a_one_period_punishment() -> None:
    market = pricing_market(n_prices=3)
    high, low = 2, 0
    # Stay high after (high, high) and after the punishment (low, low); punish anything else with one low period.
    rule = _strategies(market, lambda last: (high, high) if last in ((high, high), (low, low)) else (low, low))
    best = static_best_response(market, 0, market.joint_index((high, high)))
    assert best != high
    response = impulse_response(market, rule, market.joint_index((1, 1)), horizon=5)
    grid = market.grid[0]
    expected = [(high, high), (best, high), (low, low), (high, high), (high, high), (high, high)]
    np.testing.assert_array_equal(response.prices, [[grid[a], grid[b]] for a, b in expected])
    assert response.return_period == 3
    grim = _strategies(market, lambda last: (high, high) if last == (high, high) else (low, low))
    assert impulse_response(market, grim, market.joint_index((high, high)), horizon=4).return_period is None


def test_best_response_maximises_the_one_period_profit() -> None:
    for rival in range(BASELINE.n_prices):
        joint = BASELINE.joint_index((0, rival))
        best = static_best_response(BASELINE, 0, joint)
        profits = [BASELINE.profits[0, BASELINE.joint_index((a, rival))] for a in range(BASELINE.n_prices)]
        assert profits[best] == max(profits)


def test_analysis_of_learned_sessions_is_consistent() -> None:
    parameters = LearningParameters(beta=1e-4, convergence_window=2_000)
    sessions = run_sessions(BASELINE, parameters, sessions=8, seed=2)
    analysis = analyse_sessions(sessions, horizon=6)
    assert analysis.impulse_prices.shape == (8, 7, 2)
    assert sum(analysis.outcome_shares().values()) == pytest.approx(1.0)
    lengths = analysis.cycle_length
    assert ((analysis.outcome >= 2) == (lengths >= 2)).all()
    assert set(OUTCOMES[k] for k in analysis.outcome) <= set(OUTCOMES)
    assert (analysis.return_period != 0).all() and (analysis.return_period != 1).all()


# -- the heat map ---------------------------------------------------------------------------------------------


def test_heatmap_cells_are_checkpointed_and_reused(tmp_path) -> None:
    extra = {"n_prices": 5, "convergence_window": 500}
    heat = profit_gain_heatmap([0.1, 0.2], [1e-3], sessions=3, seed=1, checkpoint_dir=tmp_path, extra=extra)
    assert heat.delta_mean.shape == (2, 1) and (heat.converged_share == 1.0).all()
    assert len(list(tmp_path.glob("*.json"))) == 2
    again = profit_gain_heatmap([0.1, 0.2], [1e-3], sessions=3, seed=1, checkpoint_dir=tmp_path, extra=extra)
    np.testing.assert_array_equal(heat.delta_mean, again.delta_mean)
    cell = {"alpha": 0.1, "beta": 1e-3, "sessions": 3, "seed": 1, **extra}
    result = heatmap_cell(cell)
    json.dumps(result)
    assert result["delta_mean"] == heat.delta_mean[0, 0]
    alphas, betas = paper_grid()
    assert alphas.shape == betas.shape == (100,) and alphas[0] == 0.025 and betas[-1] == 2e-5 and betas[0] > 0


# -- bad input ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("call, message", [
    (lambda: BASELINE.demand.profits([-1.0, 1.5]), "prices must be finite and >= 0"),
    (lambda: BASELINE.demand.profits([1.0, 1.5, 2.0]), "last axis of 2 firms"),
    (lambda: pricing_market(n_prices=1), "n_prices must be an integer >= 2"),
    (lambda: pricing_market(xi=-0.1), "xi must be finite and >= 0"),
    (lambda: LearningParameters(beta=0.0), "beta must be > 0"),
    (lambda: LearningParameters(beta=-1e-6), "beta must be > 0"),
    (lambda: LearningParameters(alpha=0.0), "alpha must be in (0, 1]"),
    (lambda: LearningParameters(delta=1.0), "delta must be in [0, 1)"),
    (lambda: LearningParameters(memory=0), "memory must be an integer >= 1"),
    (lambda: LearningParameters(convergence_window=0), "convergence_window must be an integer >= 1"),
    (lambda: run_sessions(BASELINE, sessions=0), "sessions must be an integer >= 1"),
    (lambda: LogitDemand.symmetric(1), "n must be >= 2"),
    (lambda: LogitDemand((2.0, 2.0), (1.0,)), "cost has 1 entries"),
    (lambda: LogitDemand.symmetric(mu=0.0), "mu must be > 0"),
    (lambda: LogitDemand.symmetric(cost=-1.0), "cost must be >= 0"),
    (lambda: profit_table(LogitDemand.symmetric(), np.ones((2, 1))), "grid must have shape"),
    (lambda: run_sessions(pricing_market(LogitDemand.symmetric(3)), LearningParameters(memory=2)), "Q entries"),
    (lambda: heatmap_cell({"alpha": 0.1}), "cell lacks beta, sessions, seed"),
])
def test_bad_input_raises_a_one_line_game_error(call, message: str) -> None:
    with pytest.raises(GameError, match=None) as error:
        call()
    assert message in str(error.value) and "\n" not in str(error.value)


# -- issue 15: a time limit ------------------------------------------------------------------------------------------
def test_run_sessions_max_seconds_ample_gives_the_same_sessions() -> None:
    market = pricing_market(n_prices=5)
    parameters = LearningParameters(beta=2e-4, convergence_window=500)
    plain = run_sessions(market, parameters, sessions=6, seed=3)
    timed = run_sessions(market, parameters, sessions=6, seed=3, max_seconds=600.0)
    assert plain.finished is None and plain.stopped_because is None and plain.n_finished == 6
    assert timed.finished is not None and timed.finished.all() and timed.stopped_because is None
    for name in ("converged", "periods", "greedy", "final_state"):
        np.testing.assert_array_equal(getattr(plain, name), getattr(timed, name))
    assert timed.finished_only() is timed


def test_run_sessions_max_seconds_stops_long_sessions_and_keeps_the_finished_ones_exact() -> None:
    import time

    from equilibria.applications.pricing import run_sessions_in_chunks

    parameters = LearningParameters(beta=4e-6)  # the baseline: a session takes millions of periods
    run_sessions(BASELINE, parameters, sessions=1, max_seconds=5.0)  # compilation (or the disk cache)
    started = time.perf_counter()
    timed = run_sessions_in_chunks(BASELINE, parameters, sessions=50_000, chunks=20, max_seconds=0.5)
    assert time.perf_counter() - started <= 1.5 * 0.5 + 1.0
    assert timed.finished is not None
    k = timed.n_finished
    assert 0 <= k < 50_000 and timed.stopped_because == f"stopped at max_seconds=0.5: {k} of 50000 sessions finished"
    done = timed.finished_only()
    assert done.n_sessions == k and bool(done.finished.all())  # type: ignore[union-attr]
    if k:  # the sessions that finished are those of an unlimited run
        first = int(np.flatnonzero(timed.finished)[0])
        again = run_sessions(BASELINE, parameters, sessions=1, first_session=first)
        assert again.periods[0] == timed.periods[first] and again.converged[0] == timed.converged[first]
        np.testing.assert_array_equal(again.greedy[0], timed.greedy[first])


def test_run_sessions_max_seconds_must_be_positive() -> None:
    with pytest.raises(GameError, match="max_seconds must be a positive number"):
        run_sessions(pricing_market(n_prices=5), sessions=1, max_seconds=0.0)


def test_the_sessions_compile_on_a_cold_cache(tmp_path) -> None:
    """A fresh process with an empty numba cache compiles the session kernels (with the compiled clock inlined) and
    runs them; with and without a time limit (ensure_compiled's path). Regression: the clock failed to inline when
    compiling was activated in the middle of typing a session."""
    for run, extra in enumerate(([], ["--max-seconds", "120"])):
        env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / f"empty-cache-{run}"), OPENBLAS_NUM_THREADS="1")
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        command = [sys.executable, "-m", "equilibria", "pricing", "--prices", "5", "--beta", "2e-4", "--window",
                   "200", "--sessions", "2", "--no-progress", *extra]
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == 0, done.stderr
        assert "2 converged" in done.stdout

