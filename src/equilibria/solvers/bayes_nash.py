"""Numerical Bayes-Nash equilibria of auctions with independent private values: best responses and learning.

``bayes_nash_solve(mechanism, priors, *, method, ...)`` computes one bid function per bidder for a mechanism of
:mod:`equilibria.games.auctions` (single-item, position, LLG) and value priors of
:mod:`equilibria.games.auction_priors`, by one of two methods:

- ``best_response`` (:mod:`._bayes_nash_br`): damped best-response iteration on a value grid x bid grid, interim
  utilities by Monte Carlo over Latin-hypercube samples with common random numbers (no exact quadrature).
- ``gradient`` (:mod:`._bayes_nash_es`): neural pseudo-gradient ascent (bnelearn's NPGA: evolution-strategy
  gradients, Adam) on monotone piecewise-linear bid functions.

Both are HEURISTICS: neither is proved to converge (best-response dynamics and simultaneous gradient ascent can
cycle); what a result is worth is its certificate. The certificate is never the method's own numbers: it is
:func:`equilibria.metrics.auctions.utility_loss` of the returned :class:`~equilibria.games.auctions.BidFunction`
profile (bnelearn's ex-interim utility loss ``L``, per bidder, against a best response on a fine bid grid, with its
standard error), and ``converged`` is True only when its largest entry is below ``tol``.

Which estimator. The certificate and ``converged`` use the *in-sample* loss (bnelearn's ``L``: the best grid bid
chosen and measured on the same draws), not the held-out one: its upward bias (a few standard errors of a utility
difference, 2e-4 to 6e-4 on the exact first-price and all-pay equilibria at 2^14 draws) errs on the safe side,
while ``held_out`` estimates a number between 0 and the true loss, so a certificate built on it could pass a
profile whose true loss is above ``tol``. Both are reported: ``parameters["utility_loss"]``/``["stderr"]`` and
``["utility_loss_held_out"]``/``["held_out_stderr"]`` (per bidder; their difference shows the bias).

Result (:class:`~equilibria.core.result.SolveResult`): ``game`` the mechanism; ``equilibria = (bid_functions,)``
with one ``BidFunction`` per bidder (``values``, ``bids``: ``[grid]``); ``values = (ex-ante utility per bidder
[n],)`` and ``parameters["revenue"]``/``["revenue_stderr"]`` by simulation
(:func:`~equilibria.metrics.auctions.ex_ante_utilities`, :func:`~equilibria.metrics.auctions.expected_revenue`);
``certificate = (max_i loss_i,)``, ``certificate_name = "utility_loss"``; ``parameters`` holds the options, the
priors' text (where they have one), ``"utility_loss"`` and ``"stderr"`` per bidder, ``"stopped_because"`` (None when
converged) and, when the caller passes ``known_equilibrium``, ``"l2_to_analytic"`` per bidder
(:func:`~equilibria.metrics.auctions.l2_distance`). The solver never looks a closed form up itself.

Averaging: both methods return the mean of their iterates from ``average_from`` (default half) of the iteration cap
on (Polyak-Ruppert), the iterate itself before that (a run stopped early by ``check_every`` or ``max_seconds``
returns what it has). Best responses in all-pay auctions keep oscillating around the equilibrium, and NPGA's Adam
steps keep jittering where the utility is flat; the mean of the last iterates cancels both.

Budgets: ``max_iterations`` counts iterations (best-response sweeps, or gradient steps), ``max_seconds`` wall
time from the call on, compilation included; the certificate is measured every ``check_every`` iterations (a check
is skipped when its measured duration no longer fits) and at the end, and the iterations stop early enough to leave
time for the final one (its duration, measured by an earlier solve of the same setting in this process, counts in
the budget). Where the time left cannot pay for the final certificate (its measured duration is above it, or it was
never measured and the budget is already spent) it is measured at a fixed modest size instead:
``BUDGET_CERTIFICATE_SAMPLES`` draws on the same grids, by the NumPy backend (nothing to compile; about 1 CPU s on
two bidders at 64 x 256); ``parameters["certificate_samples"]`` and ``["certificate_backend"]`` say which, and the
stderr is that size's. What cannot be interrupted: the first compilation of an iteration (one per setting, sizes and
process: 8 to 9 CPU s for a best-response sweep of two bidders) and of the full-size certificate; a budget shorter
than them is overrun by them, and ``stopped_because`` names the first sweep's time when it alone spent the budget.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from equilibria.core.errors import GameError
from equilibria.core.result import SolveResult
from equilibria.solvers._common import Budget

METHODS = ("best_response", "gradient")
METHOD_ALIASES = {"br": "best_response", "npga": "gradient", "es": "gradient"}


def canonical_method(method: str) -> str:
    """The method's name for what a user typed (any case, hyphens or underscores, ``br``, ``npga``, ``es``)."""
    if method in METHODS:
        return method
    from equilibria.core.names import resolve

    return resolve(method, METHODS, aliases=METHOD_ALIASES, kind="Bayes-Nash method")
# Seconds the last certificate and simulation took, per mechanism, priors and certificate sizes: the iterations stop
# early enough to leave that much of max_seconds (the first solve of a setting can only guess 0).
_FINISH_SECONDS: dict[Any, float] = {}
_CALLER = "bayes_nash_solve"
# The final certificate's draws when the budget cannot pay for the full-size one (module docstring, Budgets).
BUDGET_CERTIFICATE_SAMPLES = 2**11


def _positive_int(value: Any, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise GameError(f"{_CALLER}({name}): must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _positive_float(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating) or not (
            np.isfinite(value) and value > 0):
        raise GameError(f"{_CALLER}({name}): must be a positive number, got {value!r}")
    return float(value)


def _prior_text(prior: Any) -> str | None:
    text = getattr(prior, "text", None)
    return text if isinstance(text, str) else None


def bayes_nash_solve(mechanism: Any, priors: Any, *, method: str = "best_response", grid: int | None = None,
                     max_iterations: int | None = None, max_seconds: float | None = None, tol: float = 1e-3,
                     key: Any = None, risk: float = 1.0, share_symmetric: bool = True,
                     known_equilibrium: Sequence[Callable[[Any], Any] | None] | None = None,
                     n_samples: int = 2048, n_bids: int = 64, refine: int = 17, damping: float = 0.1,
                     learning_rate: float = 0.02, population: int = 32, sigma: float = 0.05, batch: int = 2048,
                     average_from: float = 0.5, check_every: int | None = None, certificate_values: int = 64,
                     certificate_bids: int = 256, certificate_samples: int = 2**14) -> SolveResult:
    """A Bayes-Nash equilibrium of ``mechanism`` with value ``priors``, certified by the utility loss (module
    docstring). HEURISTIC: the certificate says how close the answer is.

    Args:
      mechanism: a ``SingleItemAuction``, ``PositionAuction`` or ``LLGAuction``.
      priors: one ``Prior`` (or its text, ``"uniform:0:1"``) per bidder, or one for all; bounded supports.
      method: ``"best_response"`` or ``"gradient"``.
      grid: value-grid points per bidder (the returned ``BidFunction``'s length); default 33 for
        ``best_response``, 17 for ``gradient`` (its parameters are the increments between knots, each bid a
        cumulative sum of them: more knots make the ES pseudo-gradient noisier per increment and the sum worse
        conditioned; first price, n = 2, 2000 steps: 33 knots left a loss of 1.1e-3, 17 knots 8.6e-4).
      max_iterations: best-response sweeps or gradient steps (default 200 and 2000); max_seconds: wall time.
      tol: ``converged`` when the certificate (the largest per-bidder utility loss) is below it.
      key: a JAX PRNG key (``jax.random.key(seed)``); required.
      risk: CRRA exponent of the bidders' utility (1: risk-neutral; else single-item auctions only).
      share_symmetric: one strategy for bidders the mechanism treats alike with equal priors.
      known_equilibrium: the closed-form equilibrium strategy per bidder (None entries where unknown), e.g.
        ``equilibria.games.zoo.auctions.auction_setting(name).strategies``: adds ``"l2_to_analytic"``.
      n_samples, n_bids, refine, damping: ``best_response``'s samples per iteration, coarse bid grid, refined
        window and first step size (:mod:`._bayes_nash_br`).
      learning_rate, population, sigma, batch: ``gradient``'s Adam step, ES perturbations (even), ES scale and
        value profiles per step (:mod:`._bayes_nash_es`).
      average_from: the returned strategy is the mean of the iterates (bids on the knots) from this fraction of
        the iteration cap on (Polyak-Ruppert tail averaging; 1 returns the last iterate); before that, the iterate.
      check_every: iterations between certificate checks (stops early when below ``tol``); None: only at the end.
      certificate_values, certificate_bids, certificate_samples: the certificate's grids and draws.
    """
    import jax

    from equilibria.games import auctions
    from equilibria.solvers import _bayes_nash_setup as setup_module

    started = time.perf_counter()
    budget = Budget.checked(max_iterations, max_seconds, _CALLER)
    method = canonical_method(method)
    if key is None:
        raise GameError(f"{_CALLER}(key): a JAX PRNG key is required (jax.random.key(seed))")
    n = setup_module.n_bidders(mechanism, _CALLER)
    prior_tuple = setup_module.check_priors(priors, n, _CALLER)
    grid = _positive_int((33 if method == "best_response" else 17) if grid is None else grid, "grid", 3)
    tol = _positive_float(tol, "tol")
    risk = _positive_float(risk, "risk")
    if risk != 1.0 and not isinstance(mechanism, auctions.SingleItemAuction):
        from equilibria.core.errors import NotApplicableError

        raise NotApplicableError(f"{_CALLER}(risk): risk={risk:g} is defined for single-item auctions only; use "
                                 f"risk=1.0")
    if known_equilibrium is not None and len(known_equilibrium) != n:
        raise GameError(f"{_CALLER}(known_equilibrium): expected {n} strategies (None where unknown), got "
                        f"{len(known_equilibrium)}")
    check = None if check_every is None else _positive_int(check_every, "check_every")
    if isinstance(average_from, bool) or not isinstance(average_from, int | float) or not 0 <= average_from <= 1:
        raise GameError(f"{_CALLER}(average_from): must be a number in [0, 1], got {average_from!r}")
    iterations_cap = budget.max_iterations or (200 if method == "best_response" else 2000)
    setup = setup_module.make_setup(mechanism, prior_tuple, grid, share=bool(share_symmetric))
    run_key, certificate_key, simulation_key = jax.random.split(key, 3)

    options: dict[str, Any] = {"method": method, "grid": grid, "tol": tol, "risk": risk,
                               "share_symmetric": bool(share_symmetric), "max_iterations": max_iterations,
                               "max_seconds": max_seconds, "check_every": check, "average_from": float(average_from)}
    runner: _BestResponseRunner | _GradientRunner
    if method == "best_response":
        runner = _BestResponseRunner(setup, _positive_int(n_samples, "n_samples", 2),
                                     _positive_int(n_bids, "n_bids", 3), _positive_int(refine, "refine", 3),
                                     _positive_float(damping, "damping"), risk, run_key,
                                     int(np.ceil(average_from * iterations_cap)))
        options.update(n_samples=n_samples, n_bids=n_bids, refine=refine, damping=damping)
    else:
        runner = _GradientRunner(setup, _positive_float(learning_rate, "learning_rate"),
                                 _positive_int(population, "population", 2) // 2 * 2, _positive_float(sigma, "sigma"),
                                 _positive_int(batch, "batch", 2), risk, run_key, iterations_cap, float(average_from))
        options.update(learning_rate=learning_rate, population=population, sigma=sigma, batch=batch)

    def certify(profile: tuple[Any, ...], samples: int = certificate_samples, backend: str = "jax") -> Any:
        from equilibria.metrics.auctions import utility_loss

        bidders = None if not share_symmetric else list(setup.representatives)
        loss = utility_loss(mechanism, prior_tuple, profile, n_values=certificate_values, n_bids=certificate_bids,
                            n_samples=samples, key=certificate_key, risk=risk, bidders=bidders, backend=backend)
        arrays = [np.asarray(a, dtype=float) for a in (loss.per_bidder, loss.stderr, loss.held_out,
                                                          loss.held_out_stderr)]
        for g, members in enumerate(setup.groups):  # a shared strategy's loss is its representative's
            for a in arrays:
                a[list(members)] = a[setup.representatives[g]]
        held_out[:] = arrays[2:]
        return arrays[0], arrays[1]

    finish_key = setup_module.cached_key("finish", mechanism, prior_tuple, certificate_values, certificate_bids,
                                         certificate_samples, risk, bool(share_symmetric))
    finish_seconds = _FINISH_SECONDS.get(finish_key, 0.0) if finish_key is not None else 0.0
    iterations, certified_at, certificate_seconds = 0, -1, 0.0
    loss, stderr = None, None
    held_out: list[Any] = [None, None]  # the last certificate's held-out estimate and its stderr
    stopped_because: str | None = None

    def fits(seconds: float) -> bool:
        return budget.max_seconds is None or budget.elapsed() + seconds < budget.max_seconds

    first_sweep_seconds, advances = 0.0, 0
    while True:
        todo = min(runner.chunk, iterations_cap - iterations)
        runner.advance(todo)
        iterations += todo
        advances += 1
        first_sweep_seconds = runner.last_seconds if advances == 1 else first_sweep_seconds
        if (check is not None and iterations % check < todo and iterations < iterations_cap
                and fits(max(certificate_seconds, finish_seconds))):
            tick = time.perf_counter()
            loss, stderr = certify(runner.profile())
            certificate_seconds, certified_at = time.perf_counter() - tick, iterations
            if float(loss.max()) < tol:
                break
        if iterations >= iterations_cap:
            stopped_because = f"max_iterations={iterations_cap} reached"
            break
        if budget.max_seconds is not None and (
                budget.elapsed() + max(certificate_seconds, finish_seconds) + runner.last_seconds
                >= budget.max_seconds):
            stopped_because = f"max_seconds={budget.max_seconds:g} reached"
            break
    finishing = time.perf_counter()
    profile = runner.profile()
    samples_used, backend_used = certificate_samples, "jax"
    if loss is None or stderr is None or certified_at != iterations:
        full_cost = finish_seconds or certificate_seconds  # 0: never measured in this process
        if budget.max_seconds is not None and not fits(full_cost):
            samples_used, backend_used = min(certificate_samples, BUDGET_CERTIFICATE_SAMPLES), "numpy"
        loss, stderr = certify(profile, samples_used, backend_used)
    certificate = float(np.max(loss))
    converged = certificate < tol
    if converged:
        stopped_because = None
    elif stopped_because is not None and advances == 1 and budget.max_seconds is not None and (
            first_sweep_seconds >= budget.max_seconds):
        first = "first iteration" if runner.chunk == 1 else f"first {runner.chunk} iterations"
        stopped_because += (f" by the {first} alone ({first_sweep_seconds:.1f} s, compilation included, which "
                            f"cannot be interrupted)")
    elif stopped_because is None:
        stopped_because = f"the utility loss {certificate:.3g} is not below tol={tol:g}"
    elif max_iterations is None and budget.max_seconds is None:
        stopped_because = f"default iteration cap {iterations_cap} reached; the utility loss {certificate:.3g} " \
                          f"is not below tol={tol:g}"

    from equilibria.metrics.auctions import ex_ante_utilities, expected_revenue, l2_distance

    utilities, _ = ex_ante_utilities(mechanism, prior_tuple, profile, n_samples=certificate_samples,
                                     key=simulation_key, risk=risk)
    revenue, revenue_stderr = expected_revenue(mechanism, prior_tuple, profile, n_samples=certificate_samples,
                                               key=simulation_key)
    if finish_key is not None and backend_used == "jax":
        # The first finish of a setting includes compiling the certificate: a later, shorter one replaces it.
        measured = time.perf_counter() - finishing
        _FINISH_SECONDS[finish_key] = min(measured, _FINISH_SECONDS.get(finish_key, measured))
    parameters: dict[str, Any] = dict(options)
    texts = [_prior_text(p) for p in prior_tuple]
    parameters["priors"] = tuple(t if t is not None else repr(p) for t, p in zip(texts, prior_tuple, strict=True))
    parameters.update(utility_loss=tuple(float(x) for x in loss), stderr=tuple(float(x) for x in stderr),
                      utility_loss_held_out=tuple(float(x) for x in held_out[0]),
                      held_out_stderr=tuple(float(x) for x in held_out[1]),
                      revenue=float(revenue), revenue_stderr=float(revenue_stderr), stopped_because=stopped_because,
                      groups=setup.groups, certificate_samples=samples_used, certificate_backend=backend_used)
    if isinstance(runner, _BestResponseRunner):
        parameters["monotone_correction"] = runner.monotone_correction
    if known_equilibrium is not None:
        parameters["l2_to_analytic"] = tuple(
            None if reference is None else l2_distance(strategy, reference, prior)
            for strategy, reference, prior in zip(profile, known_equilibrium, prior_tuple, strict=True))
    return SolveResult(mechanism, method, (profile,), (np.asarray(utilities, dtype=float),), (certificate,),
                       certificate_name="utility_loss", parameters=parameters, iterations=iterations,
                       seconds=time.perf_counter() - started, converged=converged)


class _BestResponseRunner:
    """Damped best-response sweeps, one jitted call each; the profile is the tail average of the sweeps."""

    chunk = 1

    def __init__(self, setup: Any, n_samples: int, n_bids: int, refine: int, damping: float, risk: float,
                 key: Any, average_start: int) -> None:
        import jax.numpy as jnp

        from equilibria.solvers._bayes_nash_br import best_response_step, truthful_start

        self.setup, self.damping, self.key = setup, jnp.float32(damping), key
        self.step = best_response_step(setup, n_bids=n_bids, refine=refine, n_samples=n_samples, risk=risk)
        self.bids = jnp.asarray(truthful_start(setup))
        self.done, self.last_seconds, self.monotone_correction = 0, 0.0, 0.0
        # Tail average of the sweeps from average_start on: each sweep's best response carries the sampling noise
        # of its own draws, and in all-pay auctions the iterate keeps oscillating around the equilibrium.
        self.average_start, self.average, self.count = average_start, self.bids, 0

    def advance(self, count: int) -> None:
        import jax
        import jax.numpy as jnp

        tick = time.perf_counter()
        for _ in range(count):
            self.key, sub = jax.random.split(self.key)
            self.bids, _ = self.step(self.bids, sub, jnp.float32(self.done), self.damping)
            self.done += 1
            if self.done > self.average_start:
                self.count += 1
                self.average = self.average + (self.bids - self.average) / self.count
        self.bids.block_until_ready()
        self.last_seconds = time.perf_counter() - tick

    def profile(self) -> tuple[Any, ...]:
        from equilibria.games.auctions import BidFunction

        bids = np.asarray(self.average if self.count else self.bids, dtype=float)
        monotone = np.maximum.accumulate(bids, axis=1)
        self.monotone_correction = float(np.max(monotone - bids))
        return tuple(BidFunction(self.setup.knots[i], monotone[i]) for i in range(self.setup.n))


class _GradientRunner:
    """NPGA in chunks of ``chunk`` steps, one jitted ``lax.scan`` each."""

    chunk = 50

    def __init__(self, setup: Any, learning_rate: float, population: int, sigma: float, batch: int, risk: float,
                 key: Any, horizon: int, average_from: float) -> None:
        import jax.numpy as jnp

        from equilibria.solvers._bayes_nash_es import npga_chunk, truthful_parameters

        self.setup = setup
        optimizer, self.run = npga_chunk(setup, learning_rate=learning_rate, batch=batch, population=population,
                                         sigma=sigma, risk=risk, length=self.chunk)
        theta = jnp.asarray(truthful_parameters(setup))
        average = jnp.zeros(setup.knots.shape, dtype=theta.dtype)
        self.state = (theta, optimizer.init(theta), key, jnp.float32(0.0), average, jnp.float32(0.0))
        self.horizon, self.average_from = jnp.float32(horizon), jnp.float32(average_from)
        self.last_seconds = 0.0

    def advance(self, count: int) -> None:
        import jax.numpy as jnp

        tick = time.perf_counter()
        self.state, utilities = self.run(self.state, jnp.int32(count), self.horizon, self.average_from)
        utilities.block_until_ready()
        self.last_seconds = time.perf_counter() - tick

    def profile(self) -> tuple[Any, ...]:
        from equilibria.games.auctions import BidFunction
        from equilibria.solvers._bayes_nash_es import knot_bids

        averaged = float(self.state[5]) > 0
        bids = np.asarray(self.state[4] if averaged else knot_bids(self.setup, self.state[0]), dtype=float)
        return tuple(BidFunction(self.setup.knots[i], bids[i]) for i in range(self.setup.n))
