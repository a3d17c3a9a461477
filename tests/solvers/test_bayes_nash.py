"""Numerical Bayes-Nash solvers: known closed forms (Vickrey's first price, all-pay, Plum's asymmetric bidders, the
LLG nearest-VCG locals), the utility-loss certificate, budgets and bad input.

Tolerances. The certificate (``metrics.auctions.utility_loss`` with 2^14 draws) reads 2e-4 (first price) to 6e-4
(all-pay) on the exact closed forms: its maximum over a bid grid is taken on the draws themselves, so it carries an
upward bias of a few standard errors. ``tol = 1e-3`` sits above that floor. The L2 bound 0.02 on the learned first-
price bid function: a bid function off by ``d`` everywhere loses about ``d^2`` of utility per value (the interim
utility's curvature is of order 1), so a utility loss below 1e-3 allows ``d ~ 0.03``; 0.02 is the tighter claim.
"""

from __future__ import annotations

import functools
import time
from typing import Any

import numpy as np
import pytest

jax = pytest.importorskip("jax")

from equilibria.core.errors import GameError, NotApplicableError  # noqa: E402
from equilibria.games import auctions  # noqa: E402
from equilibria.games.zoo.auctions import auction_setting  # noqa: E402
from equilibria.solvers.bayes_nash import bayes_nash_solve  # noqa: E402
from tests.timing import first_within  # noqa: E402

L2_BOUND = 0.02
TOL = 1e-3


@functools.cache
def _solve(name: str, method: str, iterations: int, seed: int = 0, n_bidders: int | None = None, **options):
    """One solve per argument list for the whole module (several tests read the same result)."""
    s = auction_setting(name, **({} if n_bidders is None else {"n_bidders": n_bidders}))
    result = bayes_nash_solve(s.mechanism, s.priors, method=method, max_iterations=iterations,
                              key=jax.random.key(seed), known_equilibrium=s.strategies, tol=TOL, **options)
    return s, result


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_gradient_first_price_learns_vickrey(n: int) -> None:
    s, r = _solve("first-price", "gradient", 400, n_bidders=n, grid=17, batch=1024, learning_rate=0.03)
    assert r.certificate_name == "utility_loss"
    assert len(r.equilibria[0]) == n and all(isinstance(b, auctions.BidFunction) for b in r.equilibria[0])
    assert max(r.parameters["l2_to_analytic"]) < L2_BOUND
    assert r.certificate[0] < TOL and r.converged
    # revenue (n - 1) / (n + 1), within four standard errors and the bid error
    assert abs(r.parameters["revenue"] - s.revenue) < 4 * r.parameters["revenue_stderr"] + L2_BOUND


# Per setting: sweeps, value grid, first step (all-pay's best responses jump between bidding nothing and bidding
# high, and the common top bid of all-pay and Plum's bidders can only fall: both need the smaller default step of
# 0.1 and a finer grid; Plum gets the default cap of 200 sweeps (a 100-sweep run, averaged over its last 50, read
# 1.0e-3 to 1.1e-3) and half the default samples, which halves its time: run to the cap, seeds 0, 1, 2 read 4.7e-4,
# 8.0e-4, 9.1e-4, at the defaults seeds 0, 1 8.7e-4, 7.7e-4. It is certified every 25 sweeps and stops once below
# tol: the checks draw no numbers from the sweeps' key, so a run that stops early is the capped run cut short and one
# that does not is the capped run itself; seed 0 stops at sweep 100, its iterate (the tail average starts after it)
# reading 6.6e-4 and L2 0.0035, at half the CPU time of the 200 sweeps).
BEST_RESPONSE = {
    "first-price": dict(iterations=30, grid=17, n_samples=2048, damping=0.3),
    "all-pay": dict(iterations=60, grid=33, n_samples=2048, damping=0.1, certificate_values=32,
                    certificate_bids=128),
    "asymmetric-first-price": dict(iterations=200, grid=33, n_samples=1024, damping=0.1, certificate_values=32,
                                   certificate_bids=128, check_every=25),
    "llg-nearest-vcg": dict(iterations=20, grid=17, n_samples=1024, damping=0.3),
}


def _best_response(name: str):
    return _solve(name, "best_response", **BEST_RESPONSE[name])


@pytest.mark.parametrize("name", ["first-price", "all-pay", "asymmetric-first-price"])
def test_best_response_near_closed_form(name: str) -> None:
    s, r = _best_response(name)
    assert max(r.parameters["l2_to_analytic"]) < L2_BOUND
    assert r.parameters["monotone_correction"] < 0.01  # the iterate is monotone up to sampling noise
    for f in r.equilibria[0]:
        assert np.all(np.diff(f.bids) >= 0)  # the returned function is monotone
    # the certificate agrees with the L2 distance: below 1e-2 everywhere, below tol on first price (next test)
    assert r.certificate[0] < 10 * TOL
    assert r.converged == (r.certificate[0] < TOL)
    # the held-out estimate is reported beside the in-sample certificate, which is biased upwards only
    held, held_se = np.array(r.parameters["utility_loss_held_out"]), np.array(r.parameters["held_out_stderr"])
    assert np.all(held <= np.array(r.parameters["utility_loss"]) + 4 * held_se)


def test_best_response_first_price_certified() -> None:
    _, r = _best_response("first-price")
    assert r.certificate[0] < TOL and r.converged and r.parameters["stopped_because"] is None


@pytest.mark.parametrize("name", ["all-pay", "asymmetric-first-price"])
def test_best_response_certified_below_tol(name: str) -> None:
    _, r = _best_response(name)
    assert r.certificate[0] < TOL and r.converged and r.parameters["stopped_because"] is None
    # the held-out estimate, unbiased for a number between 0 and the true loss, is below tol as well
    held, held_se = np.array(r.parameters["utility_loss_held_out"]), np.array(r.parameters["held_out_stderr"])
    assert np.all(held < TOL + 2 * held_se)


def test_best_response_llg_nearest_vcg() -> None:
    s, r = _best_response("llg-nearest-vcg")
    l2 = r.parameters["l2_to_analytic"]
    assert max(l2[:2]) < L2_BOUND  # the locals' max(0, v - (3 - sqrt 8))
    # The global bidder's truthful bid is weakly dominant only: above the locals' largest sum (2 * 0.83) every bid
    # wins at the same price, so its bid function is not pinned there (no L2 claim), but its loss is nil.
    assert r.parameters["utility_loss"][2] < 1e-4
    assert r.certificate[0] < TOL and r.converged


def test_gradient_risk_averse_first_price() -> None:
    """CRRA bidders ``u(x) = x**0.5``: ``b(v) = (n - 1) / (n - 1 + rho) v = 2/3 v`` (Riley and Samuelson 1981)."""
    s = auction_setting("risk-averse-first-price")
    r = bayes_nash_solve(s.mechanism, s.priors, method="gradient", max_iterations=400, key=jax.random.key(0),
                         known_equilibrium=s.strategies, risk=s.risk, grid=17, batch=1024, learning_rate=0.05)
    assert r.parameters["risk"] == 0.5
    assert max(r.parameters["l2_to_analytic"]) < L2_BOUND
    assert r.certificate[0] < TOL


def test_symmetric_bidders_share_one_strategy() -> None:
    _, r = _solve("first-price", "gradient", 400, n_bidders=3, grid=17, batch=1024, learning_rate=0.03)
    bids = [f.bids for f in r.equilibria[0]]
    assert r.parameters["groups"] == ((0, 1, 2),)
    assert all(np.array_equal(bids[0], b) for b in bids[1:])
    assert len(set(r.parameters["utility_loss"])) == 1


def test_budget_returns_promptly_unconverged() -> None:
    s, _ = _solve("first-price", "gradient", 400, n_bidders=2, grid=17, batch=1024, learning_rate=0.03)

    def budgeted() -> Any:
        return bayes_nash_solve(s.mechanism, s.priors, method="gradient", max_seconds=0.5, key=jax.random.key(1),
                                tol=1e-9, grid=17, batch=1024, learning_rate=0.03)

    # The unbudgeted solve above does not compile what a budgeted one runs (its first budgeted call took 1.9 s, the
    # next 0.4 s, under load): a first identical call compiles it, which no time limit can interrupt.
    budgeted()
    wall, r = first_within(1.5 * 0.5 + 1.0, budgeted)
    assert wall <= 1.5 * 0.5 + 1.0
    assert not r.converged and "max_seconds" in r.parameters["stopped_because"]
    assert 0 < r.iterations < 10**6 and r.certificate[0] >= 0


def test_best_response_budget_counts_from_the_call() -> None:
    """A 2 s budget, warmed up: the sweep and the full-size certificate were compiled (and the certificate timed,
    compilation included) by the first-price solve above, since the first compilation of a sweep cannot be
    interrupted (module docstring). The call returns within 2 s plus 4 s of slack (generous: a 2-core machine
    shared with other work), stopped by the budget, with the full-size certificate where its measured time fitted
    and the budget-size one where it did not; a budget of 1 ms, already spent when the first sweep ends, still
    returns a certificate, at the fixed budget size by the NumPy backend, saying so."""
    s, _ = _best_response("first-price")
    options = {k: v for k, v in BEST_RESPONSE["first-price"].items() if k != "iterations"}
    start = time.perf_counter()
    r = bayes_nash_solve(s.mechanism, s.priors, method="best_response", max_seconds=2.0, key=jax.random.key(1),
                         tol=1e-9, **options)
    assert time.perf_counter() - start < 2.0 + 4.0
    assert not r.converged and "max_seconds=2" in r.parameters["stopped_because"]
    assert (r.parameters["certificate_backend"], r.parameters["certificate_samples"]) in (("jax", 2**14),
                                                                                          ("numpy", 2**11))
    assert r.iterations >= 1 and r.certificate[0] == max(r.parameters["utility_loss"]) >= 0
    r = bayes_nash_solve(s.mechanism, s.priors, method="best_response", max_seconds=1e-3, key=jax.random.key(1),
                         tol=1e-9, **options)
    assert r.iterations == 1 and "max_seconds=0.001" in r.parameters["stopped_because"]
    assert "by the first iteration alone" in r.parameters["stopped_because"]
    assert r.parameters["certificate_backend"] == "numpy" and r.parameters["certificate_samples"] == 2**11
    assert np.all(np.isfinite(r.parameters["stderr"])) and r.certificate[0] >= 0


def test_interim_utilities_are_the_mechanisms() -> None:
    """The risk-neutral shortcut v A(b) - P(b) equals the mean of ``auctions.utilities`` (position auction: values
    per click, allocation in clicks)."""
    import jax.numpy as jnp

    from equilibria.games.auction_priors import parse_prior
    from equilibria.solvers._bayes_nash_br import _interim
    from equilibria.solvers._bayes_nash_setup import interpolate_bids, latin_hypercube, make_setup

    mechanism = auctions.PositionAuction("gsp", (1.0, 0.5), 3, quality=(1.0, 0.8, 1.2))
    priors = tuple(parse_prior(t) for t in ("uniform:0:1", "uniform:0:2", "uniform:0:1"))
    setup = make_setup(mechanism, priors, 5, share=False)
    knots = jnp.asarray(setup.knots)
    others = latin_hypercube(priors, jax.random.key(0), 64)
    other_bids = interpolate_bids(knots, 0.7 * knots, others)
    candidates = jnp.linspace(0.0, 1.0, 7)
    fast = np.asarray(_interim(setup, 1, knots[1], candidates, others, other_bids, 1.0))
    direct = np.empty_like(fast)
    for g, v in enumerate(np.asarray(knots[1])):
        for c, b in enumerate(np.asarray(candidates)):
            values = np.asarray(others).copy()
            values[:, 1] = v
            bids = np.asarray(other_bids).copy()
            bids[:, 1] = b
            direct[g, c] = auctions.utilities(mechanism, values, bids)[:, 1].mean()
    np.testing.assert_allclose(fast, direct, atol=1e-5)


def test_bad_input_is_one_line() -> None:
    s = auction_setting("first-price")
    with pytest.raises(GameError, match="key"):
        bayes_nash_solve(s.mechanism, s.priors)
    with pytest.raises(GameError, match="priors"):
        bayes_nash_solve(s.mechanism, ["uniform:0:1"] * 3, key=jax.random.key(0))
    with pytest.raises(GameError, match="method"):
        bayes_nash_solve(s.mechanism, s.priors, method="simplex", key=jax.random.key(0))
    with pytest.raises(GameError, match="average_from"):
        bayes_nash_solve(s.mechanism, s.priors, average_from=1.5, key=jax.random.key(0))
    with pytest.raises(GameError, match="max_seconds"):
        bayes_nash_solve(s.mechanism, s.priors, max_seconds=-1, key=jax.random.key(0))
    with pytest.raises(NotApplicableError, match="risk"):
        bayes_nash_solve(auctions.LLGAuction("nearest_vcg"), s.priors[:1], risk=0.5, key=jax.random.key(0))
