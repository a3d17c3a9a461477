"""Auctions: time to a Bayes-Nash certificate, and mechanism evaluations per second, beside plain NumPy in one run.

(a) **Time to a utility-loss certificate below ``tol``** (1e-3) for two-bidder first price (``U[0, 1]``) and LLG
    with nearest-VCG payments (locals ``U[0, 1]``, global ``U[0, 2]``):

    - ours: :func:`equilibria.solvers.bayes_nash.bayes_nash_solve` (``best_response``; ``check_every`` sweeps it
      measures the certificate and stops below ``tol``);
    - plain: the same damped best-response iteration written plainly in NumPy in this file
      (:func:`plain_best_response`): the same Latin hypercube draws and their growth, coarse grid, parabola,
      narrow window, filter and step, one sweep at a time in NumPy (its own random numbers), the mechanism
      evaluated by ``games.auctions.outcome`` on NumPy arrays.

    Both are judged by the same certificate, :func:`equilibria.metrics.auctions.utility_loss` (the in-sample
    estimate, 64 values x 256 bids x 2^14 draws), measured every ``check_every`` sweeps and counted in their time.
    The first call (ours: compilation included) and the median of ``repeats`` warm calls (new seeds) are reported.
(b) **Mechanism evaluations per second** on ``profiles`` bid profiles (uniform bids): first price with 5 bidders,
    GSP with 5 bidders and 3 slots, LLG nearest-VCG: ``games.auctions.outcome`` jitted in JAX (first call with
    compilation, then the median of warm calls) and on NumPy arrays, beside a loop-free NumPy reference written
    here (:func:`reference_outcome`); every implementation's allocations and payments must agree with the reference.
(c) **bnelearn itself, side by side** (NPGA, its ``ESPGLearner``, on neural bid functions in PyTorch), configured
    as its ``scripts/run_experiments_npga.py`` does (:func:`_bnelearn_experiment`; the batch as :class:`PeerConfig`
    says), judged every ``check_every`` epochs by the certificate of (a) with its clock stopped during the checks,
    capped at ``max_seconds``; its own utility-loss estimate is reported beside ours (:func:`bnelearn_run`).
    Published wall-clock figures: :data:`QUOTED` (none found). bnelearn is not a dependency: without it this part
    is skipped, saying why. To install it (it pins Python 3.9 and torch 1.13; on 3.11, torch 2 and NumPy 2 three
    imports need a fix: ``pkg_resources.resource_filename`` in ``util/logging.py`` -> a path beside the module,
    ``from torch.cuda import _device_t`` in ``sampler/*.py`` -> a local alias, the unused ``from numpy import
    MAXDIMS`` in ``experiment/configuration_manager.py`` -> removed)::

        git clone https://github.com/heidekrueger/bnelearn   # then the three fixes
        pip install --no-deps --ignore-requires-python -e ./bnelearn && pip install --no-deps qpth

Usage::

    python benchmarks/auctions.py [--quick] [--write BENCHMARKS.md] [--repeats R]
"""

from __future__ import annotations

import contextlib
import copy
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a script: make the sibling module importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._publish import (  # noqa: E402
    benchmark_parser,
    command_line,
    fmt_seconds,
    log_to_stderr,
    machine_line,
    met,
    publish_section,
    table,
    utc_minute,
    versions_line,
)
from equilibria.games import auctions  # noqa: E402
from equilibria.games.zoo.auctions import LLG_UTILITIES, auction_setting  # noqa: E402

MARKERS = ("<!-- auctions:begin -->", "<!-- auctions:end -->")
SETTINGS = ("first-price", "llg-nearest-vcg")
# The solver's step and sample schedule and its default grids (solvers/_bayes_nash_br.py, solvers/bayes_nash.py).
_HALF_LIFE, _MAX_REPEATS, _COARSE, _REFINE = 50, 8, 64, 17

# (c) What bnelearn publishes about itself. Its installation page (docs/usage/installation.rst) states the hardware
# its configurations assume; the LLG utilities are its high-precision estimates, as recorded in
# equilibria.games.zoo.auctions.LLG_UTILITIES. Its readme, docs, run scripts and configurations (commit 958e4c2,
# 2023-03-17) state no wall-clock figure, and none of the paper's was found, so none is quoted.
QUOTED = (
    "bnelearn's installation page (docs/usage/installation.rst): 'Current parameter settings assume that you are "
    "running on a Unix system with a cuda-enabled Nvidia GPU with at least 11GB GPU-RAM ... On a system without a "
    "GPU (but at least 11GB of available RAM), everything should work, but you will experience significantly longer "
    "runtimes.'",
    "bnelearn's high-precision BNE utilities in LLG (independent values, 2^34 draws): " + "; ".join(
        f"{rule.replace('_', '-')}: locals {u[0]:.6f}, global {u[2]:.6f}" for rule, u in LLG_UTILITIES.items()) + ".",
    "No wall-clock figure is stated in bnelearn's readme, docs, run scripts or configurations (commit 958e4c2), and "
    "none from its papers (Bichler et al. 2021; Kohring et al.) was located: not quoted.",
)


@dataclass(frozen=True)
class PeerConfig:
    """Part (c): bnelearn's NPGA as its run script sets it, but for ``batch_size`` (the script's is 2^17)."""

    batch_size: int
    repeats: int
    max_seconds: float = 120.0
    check_every: int = 10  # epochs
    pretrain_iters: int = 500
    max_epochs: int = 1000
    torch_threads: int = 1  # 2 threads on a loaded 2-core machine made a small backward pass 10-500x slower
    own_observations: int = 2**7  # bnelearn's own utility-loss estimate: its script's 2^12 x 2^12 x 2^10 would take
    own_opponents: int = 2**9  # hours on this CPU (measured ~2 s per observation), so these reduced sizes
    own_grid: int = 2**8


@dataclass(frozen=True)
class Config:
    label: str
    repeats: int
    profiles: int
    max_iterations: int
    check_every: int = 10
    tol: float = 1e-3
    n_samples: int = 2048
    grid: int = 17
    damping: float = 0.3
    certificate_samples: int = 2**14
    seed: int = 0
    peer: PeerConfig | None = None  # part (c): bnelearn run side by side; None: skipped


FULL = Config("full", repeats=3, profiles=10**6, max_iterations=300,
              peer=PeerConfig(batch_size=2**12, repeats=1))
QUICK = Config("quick", repeats=1, profiles=10**6, max_iterations=200)
TINY = Config("tiny", repeats=0, profiles=10**4, max_iterations=4, check_every=2, n_samples=256,
              certificate_samples=2**10)


@dataclass
class Race:
    """One implementation on one setting in part (a)."""

    setting: str
    implementation: str
    first_seconds: float
    warm_seconds: list[float] = field(default_factory=list)
    sweeps: list[int] = field(default_factory=list)
    certificates: list[float] = field(default_factory=list)

    @property
    def warm(self) -> float | None:
        return statistics.median(self.warm_seconds) if self.warm_seconds else None

    @property
    def reached(self) -> int:
        return sum(1 for c in self.certificates if c < self._tol)

    _tol: float = 1e-3


@dataclass
class PeerRace:
    """bnelearn on one setting in part (c): per run its training seconds (checks excluded), epochs, our best
    certificate, bnelearn's own estimate of the utility loss at that point, and whether it got below ``tol``."""

    setting: str
    seconds: list[float] = field(default_factory=list)
    epochs: list[int] = field(default_factory=list)
    certificates: list[float] = field(default_factory=list)
    own_estimates: list[float] = field(default_factory=list)
    reached: list[bool] = field(default_factory=list)

    @property
    def warm(self) -> float | None:
        return statistics.median(self.seconds[1:]) if len(self.seconds) > 1 else None


@dataclass
class Throughput:
    mechanism: str
    implementation: str
    first_seconds: float
    warm_seconds: float
    profiles: int
    max_difference: float


@dataclass
class Report:
    config: Config
    command: str
    started: str
    seconds: float = 0.0
    races: list[Race] = field(default_factory=list)
    throughput: list[Throughput] = field(default_factory=list)
    peer: list[PeerRace] = field(default_factory=list)
    peer_note: str = ""


# -- (a) -----------------------------------------------------------------------------------------------------------


def _certificate(mechanism: Any, priors: Sequence[Any], profile: Sequence[Any], config: Config, seed: int) -> float:
    import jax

    from equilibria.metrics.auctions import utility_loss

    loss = utility_loss(mechanism, priors, profile, n_samples=config.certificate_samples, key=jax.random.key(seed))
    return float(np.nanmax(loss.per_bidder))


def _interim(mechanism: Any, bidder: int, values: np.ndarray, candidates: np.ndarray,
             other_bids: np.ndarray) -> np.ndarray:
    """``[G, C]`` interim utility ``v A(b) - P(b)`` of ``bidder`` at ``values [G]`` and bids ``candidates [C]`` or
    ``[G, C]`` (risk-neutral), the others bidding ``other_bids [M, n]``."""
    flat = candidates.reshape(-1)
    profile = np.repeat(other_bids[None], flat.size, axis=0)  # [C, M, n]
    profile[:, :, bidder] = flat[:, None]
    outcome = auctions.outcome(mechanism, profile)
    allocation = outcome.allocation[..., bidder].mean(axis=1).reshape(candidates.shape)
    payment = outcome.payments[..., bidder].mean(axis=1).reshape(candidates.shape)
    return values[:, None] * allocation - payment


def _largest_argmax(utility: np.ndarray) -> np.ndarray:
    return utility.shape[1] - 1 - np.argmax(utility[:, ::-1], axis=1)


def _vertex(bids: np.ndarray, utility: np.ndarray) -> np.ndarray:
    """The least-squares parabola's vertex per row where it is concave and inside the window, else the largest
    grid maximiser."""
    centre = bids.mean(axis=1, keepdims=True)
    width = np.maximum(bids[:, -1:] - bids[:, :1], 1e-12)
    x = (bids - centre) / width
    design = np.stack([np.ones_like(x), x, x * x], axis=-1)  # [G, R, 3]
    coefficients = np.linalg.solve(design.transpose(0, 2, 1) @ design,
                                   (design.transpose(0, 2, 1) @ utility[..., None]))[..., 0]
    c1, c2 = coefficients[:, 1], coefficients[:, 2]
    vertex = centre[:, 0] - width[:, 0] * c1 / np.where(c2 < 0, 2.0 * c2, -1.0)
    grid_best = bids[np.arange(len(bids)), _largest_argmax(utility)]
    inside = (c2 < 0) & (vertex >= bids[:, 0]) & (vertex <= bids[:, -1])
    return np.where(inside, vertex, grid_best)


def plain_best_response(mechanism: Any, priors: Sequence[Any], config: Config, seed: int) -> tuple[int, float]:
    """The solver's damped best-response iteration written plainly in NumPy (module docstring): Latin hypercube
    draws, a coarse bid grid, a refined window with a fitted parabola, the largest maximiser on a narrow window
    around it, the (1/4, 1/2, 1/4) filter, the damped step; symmetric bidders share one strategy. Returns (sweeps,
    certificate)."""
    from equilibria.solvers._bayes_nash_setup import symmetry_groups

    rng = np.random.default_rng(seed)
    n = len(priors)
    groups = symmetry_groups(mechanism, priors)
    knots = np.stack([np.linspace(p.low, p.high, config.grid) for p in priors])  # [n, G]
    bids = knots.copy()  # truthful start
    fractions = np.linspace(0.0, 1.0, _REFINE)
    certificate = np.inf
    for t in range(config.max_iterations):
        draws = config.n_samples * min(1 + t // _HALF_LIFE, _MAX_REPEATS)
        levels = (np.stack([rng.permutation(draws) for _ in range(n)]) + rng.random((n, draws))) / draws
        values = np.stack([p.quantile(levels[j]) for j, p in enumerate(priors)], axis=-1)  # [M, n]
        other_bids = np.stack([np.interp(values[:, j], knots[j], bids[j]) for j in range(n)], axis=-1)
        rate = config.damping / (1.0 + t / _HALF_LIFE)
        new = bids.copy()
        for group in groups:
            i = group[0]
            high = float(priors[i].high)
            grid = np.linspace(0.0, high, _COARSE)
            best = _largest_argmax(_interim(mechanism, i, knots[i], grid, other_bids))
            low, top = grid[np.maximum(best - 2, 0)], grid[np.minimum(best + 2, _COARSE - 1)]
            fine = low[:, None] + (top - low)[:, None] * fractions  # [G, R]
            first = _vertex(fine, _interim(mechanism, i, knots[i], fine, other_bids))
            narrow = np.clip(first[:, None] + high / (_COARSE - 1) * (fractions - 0.5), 0.0, high)
            choice = _largest_argmax(_interim(mechanism, i, knots[i], narrow, other_bids))
            response = narrow[np.arange(config.grid), choice]
            response[1:-1] = 0.25 * response[:-2] + 0.5 * response[1:-1] + 0.25 * response[2:]
            for j in group:
                new[j] = (1.0 - rate) * bids[i] + rate * response
        bids = new
        if (t + 1) % config.check_every == 0 or t + 1 == config.max_iterations:
            monotone = np.maximum.accumulate(bids, axis=1)
            profile_functions = [auctions.BidFunction(knots[i], monotone[i]) for i in range(n)]
            certificate = _certificate(mechanism, priors, profile_functions, config, seed + 1)
            if certificate < config.tol:
                return t + 1, certificate
    return config.max_iterations, certificate


def _ours(mechanism: Any, priors: Sequence[Any], config: Config, seed: int) -> tuple[int, float]:
    import jax

    from equilibria.solvers.bayes_nash import bayes_nash_solve

    result = bayes_nash_solve(mechanism, priors, method="best_response", grid=config.grid,
                              n_samples=config.n_samples, damping=config.damping, tol=config.tol,
                              max_iterations=config.max_iterations, check_every=config.check_every,
                              certificate_samples=config.certificate_samples, key=jax.random.key(seed))
    return int(result.iterations), float(result.certificate[0])


def race(name: str, implementation: str, solve: Callable[..., tuple[int, float]], config: Config,
         log: Callable[[str], None]) -> Race:
    s = auction_setting(name)
    tick = time.perf_counter()
    sweeps, certificate = solve(s.mechanism, s.priors, config, config.seed)
    entry = Race(name, implementation, time.perf_counter() - tick, _tol=config.tol)
    entry.sweeps.append(sweeps)
    entry.certificates.append(certificate)
    for r in range(config.repeats):
        tick = time.perf_counter()
        sweeps, certificate = solve(s.mechanism, s.priors, config, config.seed + 10 * (r + 1))
        entry.warm_seconds.append(time.perf_counter() - tick)
        entry.sweeps.append(sweeps)
        entry.certificates.append(certificate)
    log(f"  {name} {implementation}: first {entry.first_seconds:.2f} s, warm {entry.warm_seconds}, sweeps "
        f"{entry.sweeps}, certificates {[f'{c:.2e}' for c in entry.certificates]}")
    return entry


# -- (b) -----------------------------------------------------------------------------------------------------------

MECHANISMS: dict[str, Any] = {
    "first price, 5 bidders": auctions.SingleItemAuction("first_price", 5),
    "GSP, 5 bidders, 3 slots": auctions.PositionAuction("gsp", (1.0, 0.6, 0.3), 5),
    "LLG nearest-VCG": auctions.LLGAuction("nearest_vcg"),
}


def reference_outcome(mechanism: Any, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Allocations and payments ``[P, n]`` of the three benchmarked mechanisms, loop-free NumPy written plainly."""
    if isinstance(mechanism, auctions.SingleItemAuction):  # first price, no reserve: ties split the item
        winners = b == b.max(axis=1, keepdims=True)
        allocation = winners / winners.sum(axis=1, keepdims=True)
        return allocation, allocation * b
    if isinstance(mechanism, auctions.PositionAuction):  # GSP: rank by bid (lower index first), pay the next bid
        n, slots = b.shape[1], len(mechanism.ctr)
        order = np.argsort(-b, axis=1, kind="stable")
        ranked = np.take_along_axis(b, order, axis=1)
        next_bid = np.concatenate([ranked[:, 1:], np.zeros((len(b), 1))], axis=1)
        ctr = np.zeros(n)
        ctr[:slots] = mechanism.ctr
        clicks_by_rank = np.broadcast_to(ctr, b.shape)
        allocation, payments = np.zeros_like(b), np.zeros_like(b)
        np.put_along_axis(allocation, order, clicks_by_rank, axis=1)
        np.put_along_axis(payments, order, clicks_by_rank * next_bid, axis=1)
        return allocation, payments
    b0, b1, bg = b[:, 0], b[:, 1], b[:, 2]  # LLG nearest-VCG
    locals_win = b0 + b1 > bg
    p0, p1 = np.maximum(bg - b1, 0.0), np.maximum(bg - b0, 0.0)
    deficit = 0.5 * (bg - p0 - p1)
    allocation = np.stack([locals_win, locals_win, ~locals_win], axis=1).astype(float)
    payments = allocation * np.stack([p0 + deficit, p1 + deficit, b0 + b1], axis=1)
    return allocation, payments


def _timed(call: Callable[[], Any], repeats: int) -> tuple[float, float, Any]:
    tick = time.perf_counter()
    out = call()
    first = time.perf_counter() - tick
    warm = []
    for _ in range(max(repeats, 1)):
        tick = time.perf_counter()
        out = call()
        warm.append(time.perf_counter() - tick)
    return first, statistics.median(warm), out


def _implementations(label: str, mechanism: Any, bids: np.ndarray, repeats: int) -> list[Throughput]:
    """The reference, our NumPy path and our jitted JAX path on the same bids."""
    import jax
    import jax.numpy as jnp

    profiles = len(bids)
    first, warm, expected = _timed(lambda: reference_outcome(mechanism, bids), repeats)
    rows = [Throughput(label, "plain NumPy reference (this file)", first, warm, profiles, 0.0)]

    def difference(out: Any) -> float:
        return max(float(np.max(np.abs(np.asarray(out[0], dtype=float) - expected[0]))),
                   float(np.max(np.abs(np.asarray(out[1], dtype=float) - expected[1]))))

    first, warm, out = _timed(lambda: auctions.outcome(mechanism, bids), repeats)
    rows.append(Throughput(label, "equilibria, NumPy arrays", first, warm, profiles, difference(out)))
    with jax.enable_x64(True):
        device_bids = jnp.asarray(bids)
        jitted = jax.jit(lambda b: tuple(auctions.outcome(mechanism, b)))
        first, warm, out = _timed(lambda: jax.block_until_ready(jitted(device_bids)), repeats)
    rows.append(Throughput(label, f"equilibria, jitted JAX ({jax.default_backend()}, float64)", first, warm,
                           profiles, difference(out)))
    return rows


def throughput(config: Config, log: Callable[[str], None]) -> list[Throughput]:
    rows = []
    rng = np.random.default_rng(config.seed)
    for label, mechanism in MECHANISMS.items():
        n = 3 if isinstance(mechanism, auctions.LLGAuction) else mechanism.n_bidders
        rows += _implementations(label, mechanism, rng.random((config.profiles, n)), config.repeats)
        log(f"  {label}: " + ", ".join(f"{r.implementation} {r.profiles / r.warm_seconds:.3g}/s" for r in rows[-3:]))
    return rows


# -- (c) -----------------------------------------------------------------------------------------------------------

# bnelearn's experiment type and setting for each of ours (its bidder order is ours: locals first, then the global).
_BNELEARN_SETTINGS: dict[str, tuple[str, dict[str, Any]]] = {
    "first-price": ("single_item_uniform_symmetric", {"payment_rule": "first_price", "n_players": 2, "risk": 1.0}),
    "llg-nearest-vcg": ("llg", {"payment_rule": "nearest_vcg", "gamma": 0.0, "risk": 1.0}),
}


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """bnelearn prints progress to stdout (where the section goes) and warns about its own settings: silence both."""
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def bnelearn_missing() -> str:
    """Why bnelearn cannot be used here (one line), or ``""`` when it imports."""
    try:
        with _quiet():
            from bnelearn.experiment.configuration_manager import ConfigurationManager  # noqa: F401
    except Exception as error:  # any failure to import the optional peer skips part (c), said why
        return f"bnelearn not importable ({type(error).__name__}: {error}); install it as the module docstring says"
    return ""


def _bnelearn_experiment(name: str, peer: PeerConfig, seed: int) -> Any:
    """bnelearn's experiment for setting ``name``, configured as its NPGA run script does (module docstring)."""
    import torch
    from bnelearn.experiment.configuration_manager import ConfigurationManager

    kind, setting = _BNELEARN_SETTINGS[name]
    config, experiment_class = (
        ConfigurationManager(experiment_type=kind, n_runs=1, n_epochs=peer.max_epochs, seeds=[seed])
        .set_setting(**setting)
        .set_learning(batch_size=peer.batch_size, pretrain_iters=peer.pretrain_iters, model_sharing=False)
        # no disk logging; its "opt" metric is off, so the evaluation batch only sizes a BNE utility it samples once
        .set_logging(enable_logging=False, eval_batch_size=2**16, util_loss_batch_size=peer.own_observations,
                     util_loss_opponent_batch_size=peer.own_opponents, util_loss_grid_size=peer.own_grid,
                     log_metrics={"opt": False, "util_loss": True, "efficiency": False, "revenue": False})
        .set_hardware(cuda=torch.cuda.is_available())
        .get_config())
    return experiment_class(config)


def _torch_bid_function(model: Any, device: str) -> Callable[[np.ndarray], np.ndarray]:
    """A bnelearn bid network as a strategy of ours: NumPy values in, float64 bids of the same shape out."""
    import torch

    def bid(values: np.ndarray) -> np.ndarray:
        v = np.asarray(values, dtype=float)
        with torch.no_grad():
            out = model.play(torch.as_tensor(v.reshape(-1, 1), dtype=torch.float32, device=device))
        return np.asarray(out.reshape(v.shape).double().cpu().numpy())

    return bid


def bnelearn_run(name: str, config: Config, seed: int) -> tuple[float, int, float, float, bool]:
    """One bnelearn NPGA run on setting ``name``, checked every ``peer.check_every`` epochs by our certificate.
    Returns (seconds of its setup, pretraining and epochs, checks excluded; epochs; certificate, the best seen;
    bnelearn's own ex-ante utility loss, the largest over its models, at that point; reached ``tol``)."""
    import torch

    peer = config.peer
    assert peer is not None
    s = auction_setting(name)
    torch.set_num_threads(peer.torch_threads)
    with _quiet():
        experiment = _bnelearn_experiment(name, peer, seed)
        device = experiment.hardware.device
        torch.manual_seed(seed)  # as bnelearn's Experiment.run seeds a run
        np.random.seed(seed)  # noqa: NPY002 - bnelearn's own seeding of the global RNG, which it uses
        tick = time.perf_counter()
        experiment._init_new_run()  # models, pretraining, environment, learners
        seconds = time.perf_counter() - tick
        best, best_state, best_epochs, best_seconds, epochs = np.inf, None, 0, seconds, 0
        while epochs < peer.max_epochs and seconds < peer.max_seconds:
            tick = time.perf_counter()
            for _ in range(min(peer.check_every, peer.max_epochs - epochs)):
                experiment._training_loop()
                experiment.epoch += 1
                epochs += 1
            seconds += time.perf_counter() - tick
            profile = [_torch_bid_function(experiment.models[m], device) for m in experiment._bidder2model]
            certificate = _certificate(s.mechanism, s.priors, profile, config, seed + 1)
            if certificate < best:
                best, best_epochs, best_seconds = certificate, epochs, seconds
                best_state = [copy.deepcopy(m.state_dict()) for m in experiment.models]
            if certificate < config.tol:
                break
        reached = best < config.tol
        if best_state is not None:  # bnelearn's own estimate of the same bid functions
            for model, state in zip(experiment.models, best_state, strict=True):
                model.load_state_dict(state)
        own = max(float(x) for x in experiment._calculate_metrics_util_loss(create_plot_output=False)[0])
    if reached:
        return best_seconds, best_epochs, float(best), own, True
    return seconds, epochs, float(best), own, False


def bnelearn_race(name: str, config: Config, log: Callable[[str], None]) -> PeerRace:
    assert config.peer is not None
    entry = PeerRace(name)
    for r in range(1 + config.peer.repeats):
        seconds, epochs, certificate, own, reached = bnelearn_run(name, config, config.seed + 10 * r)
        entry.seconds.append(seconds)
        entry.epochs.append(epochs)
        entry.certificates.append(certificate)
        entry.own_estimates.append(own)
        entry.reached.append(reached)
    log(f"  {name} bnelearn: seconds {[f'{x:.1f}' for x in entry.seconds]}, epochs {entry.epochs}, certificates "
        f"{[f'{c:.2e}' for c in entry.certificates]}, its own {[f'{c:.2e}' for c in entry.own_estimates]}")
    return entry


# -- the run and its section ----------------------------------------------------------------------------------------


def run_benchmark(config: Config, command: str, log: Callable[[str], None] = lambda _: None) -> Report:
    report = Report(config, command, utc_minute())
    tick = time.perf_counter()
    log("(a) time to a certificate below tol")
    for name in SETTINGS:
        report.races.append(race(name, "equilibria best_response (JAX)", _ours, config, log))
        report.races.append(race(name, "plain NumPy best response (this file)", plain_best_response, config, log))
    log("(b) mechanism evaluations per second")
    report.throughput = throughput(config, log)
    if config.peer is None:
        report.peer_note = f"not run in the {config.label} configuration"
    else:
        report.peer_note = bnelearn_missing()
        log("(c) bnelearn, side by side" + (f": skipped, {report.peer_note}" if report.peer_note else ""))
        if not report.peer_note:
            report.peer = [bnelearn_race(name, config, log) for name in SETTINGS]
    report.seconds = time.perf_counter() - tick
    return report


def _render_peer(report: Report) -> list[str]:
    import importlib.metadata

    c, peer = report.config, report.config.peer
    if peer is None or report.peer_note:
        return [f"- Skipped: {report.peer_note}."]
    torch_version = importlib.metadata.version("torch")
    lines = [
        f"- bnelearn {importlib.metadata.version('bnelearn')} (github.com/heidekrueger/bnelearn at 958e4c2, three "
        f"one-line import fixes for Python 3.11 / torch 2 / NumPy 2), torch {torch_version} on the CPU with "
        f"{peer.torch_threads} thread(s): its NPGA (ESPGLearner) with its run script's settings (population 64, "
        f"sigma 1 scaled by model size, Adam lr 1e-3, 2 x 10 SELU, {peer.pretrain_iters} pretraining steps to "
        f"truthful, no model sharing, at most {peer.max_epochs} epochs) except the batch: {peer.batch_size} "
        f"(the script's 2^17 took ~11 s an epoch and ~70 s of pretraining on this machine under load, measured "
        f"once). Our certificate (as in (a), "
        f"{c.certificate_samples} draws) every {peer.check_every} epochs; the clock covers its setup, pretraining "
        f"and epochs and stops during the checks (unlike (a)); cap {peer.max_seconds:g} s (checked every "
        f"{peer.check_every} epochs). Not reached: the time is the whole run and the certificate the best seen. "
        f"bnelearn's own estimate: its ex-ante utility loss at the same point ({peer.own_observations} "
        f"observations x {peer.own_opponents} opponent draws x a {peer.own_grid}-bid grid, the largest over its "
        f"models). First run, then the median of {peer.repeats} more with new seeds.",
        "",
    ]
    rows = []
    for r in report.peer:
        done = sum(r.reached)
        rows.append([r.setting, fmt_seconds(r.seconds[0]), fmt_seconds(r.warm), ", ".join(map(str, r.epochs)),
                     ", ".join(f"{x:.2e}" for x in r.certificates), ", ".join(f"{x:.2e}" for x in r.own_estimates),
                     f"{done}/{len(r.reached)}" + ("" if done else f" (not reached in {max(r.seconds):.0f} s)")])
    return lines + table(["setting", "first run", "more runs (median)", "epochs", "certificate (ours)",
                          "bnelearn's own estimate", "below tol"], rows)


def render(report: Report) -> str:
    import jax

    c = report.config
    lines = [
        MARKERS[0],
        "## Auctions: time to a Bayes-Nash certificate, mechanism evaluations per second",
        "",
        command_line(report.command, f"{c.label} configuration, seed {c.seed}, repeats {c.repeats}", report.started,
                     report.seconds),
        machine_line(f"JAX backend {jax.default_backend()}"),
        versions_line("jax", "numpy"),
        f"- (a) Two-bidder first price U[0, 1] and LLG nearest-VCG (locals U[0, 1], global U[0, 2]): damped best "
        f"responses from truthful bidding, value grid {c.grid}, {c.n_samples} draws per sweep growing to "
        f"{_MAX_REPEATS}x, first step {c.damping}, at most {c.max_iterations} sweeps; the certificate (in-sample "
        f"utility loss, metrics.auctions.utility_loss, 64 values x 256 bids x {c.certificate_samples} draws) every "
        f"{c.check_every} sweeps, its time included; target below {c.tol:g}. Ours refines each best response "
        f"(coarse grid, parabola, narrow window) and shares symmetric bidders' strategies; the plain NumPy version "
        f"is the same iteration, one sweep at a time in NumPy. First call: ours compiles; warm: "
        f"median of {c.repeats} calls with new seeds.",
        "",
        "### Targets",
        "",
    ]
    targets = []
    for name in SETTINGS:
        ours = next(r for r in report.races if r.setting == name and r.implementation.startswith("equilibria"))
        targets.append([f"{name}: certificate below {c.tol:g} (ours)",
                        f"{ours.reached}/{len(ours.certificates)} runs, certificates "
                        + ", ".join(f"{x:.2e}" for x in ours.certificates),
                        met(ours.reached == len(ours.certificates))])
    lines += table(["target", "measured", "status"], targets)
    lines += ["", "### (a) Time to a utility loss below tol", ""]
    rows = []
    for r in report.races:
        rows.append([r.setting, r.implementation, fmt_seconds(r.first_seconds), fmt_seconds(r.warm),
                     ", ".join(str(s) for s in r.sweeps), ", ".join(f"{x:.2e}" for x in r.certificates),
                     f"{r.reached}/{len(r.certificates)}"])
    lines += table(["setting", "implementation", "first call", "warm (median)", "sweeps", "certificates",
                    "below tol"], rows)
    lines += ["", f"### (b) Mechanism evaluations, {c.profiles:,} profiles", ""]
    rows = []
    for t in report.throughput:
        rows.append([t.mechanism, t.implementation, fmt_seconds(t.first_seconds), fmt_seconds(t.warm_seconds),
                     f"{t.profiles / t.warm_seconds:,.3g}", f"{t.max_difference:.1e}"])
    lines += table(["mechanism", "implementation", "first call", "warm (median)", "profiles per second (warm)",
                    "max difference to the reference"], rows)
    lines += ["", "### (c) bnelearn run side by side (NPGA), judged by the same certificate", ""]
    lines += _render_peer(report)
    lines += [""] + [f"- {q}" for q in QUOTED]
    lines += ["", MARKERS[1], ""]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = benchmark_parser(__doc__, "auctions", "one warm repeat, at most 200 sweeps")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args(argv)
    config = QUICK if args.quick else FULL
    if args.repeats is not None:
        config = replace(config, repeats=args.repeats)
    publish_section("auctions.py", argv, lambda command: run_benchmark(config, command, log=log_to_stderr),
                    render, args.write, MARKERS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
