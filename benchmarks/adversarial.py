"""Adversarial attacks against foolbox's on the same model, and the time of an epoch of PGD adversarial training.

One MLP (width 64, standard training) is trained on scikit-learn's digits (pixels in [0, 1]); on the whole test
split (450 images) equilibria's PGD and FGSM in L-inf (:mod:`equilibria.applications.adversarial.attacks`) and
foolbox's ``LinfPGD`` and ``FGSM`` attack the same JAX model (foolbox runs it through eagerpy) with the same budget:
the same eps, the same number of steps, the same absolute step size (``2.5 eps / steps``), one random start, the
box [0, 1]. Reported per attack and eps: robust accuracy (mean +- standard deviation over the repeats, each with
its own random start; FGSM has none) and the median warm time of a call (equilibria compiled once, untimed; its
compile time is shown apart). One difference in what is counted: equilibria keeps, per example, the point of lowest
margin over the iterates (the clean point included), foolbox the last iterate, so equilibria's robust accuracy can
only be lower (a stronger attack) for the same steps.

Then the time per epoch of PGD adversarial training (``attack_steps`` steps, batch 64, Adam) on the digits
training split (1,347 images, 21 minibatches), one seed, compiled once untimed.

Usage::

    python benchmarks/adversarial.py [--quick] [--repeats R] [--write BENCHMARKS.md]
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

if __package__ in (None, ""):  # run as a script: make the sibling modules importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._harness import distribution_version  # noqa: E402
from benchmarks._publish import (  # noqa: E402
    benchmark_parser,
    command_line,
    log_to_stderr,
    machine_line,
    publish_section,
    table,
    utc_minute,
    versions_line,
)
from equilibria.applications.adversarial import attacks, data, training  # noqa: E402
from equilibria.applications.adversarial.models import Architecture  # noqa: E402


@dataclass(frozen=True)
class Config:
    eps: tuple[float, ...] = (0.05, 0.1)
    steps: int = 20
    repeats: int = 5
    width: int = 64
    epochs: int = 15
    attack_steps: int = 7
    timed_epochs: int = 5
    test_points: int | None = None  # None: the whole test split


FULL = Config()
QUICK = Config(eps=(0.1,), repeats=3, epochs=10, timed_epochs=2)
TINY = Config(eps=(0.1,), steps=3, repeats=1, width=16, epochs=1, attack_steps=2, timed_epochs=1, test_points=32)
MARKERS = ("<!-- adversarial:begin -->", "<!-- adversarial:end -->")


@dataclass(frozen=True)
class Row:
    attack: str
    eps: float
    ours_accuracy: list[float]
    peer_accuracy: list[float]
    ours_seconds: float
    peer_seconds: float
    compile_seconds: float

    @property
    def ratio(self) -> float:
        return self.peer_seconds / self.ours_seconds


@dataclass(frozen=True)
class Report:
    rows: list[Row]
    clean: float
    epoch_seconds: float
    epoch_compile_seconds: float
    config: Config
    command: str
    started: str
    seconds: float


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    out = call()
    jax.block_until_ready(out)
    return out, time.perf_counter() - started


def _foolbox_attack(name: str, eps: float, steps: int) -> Any:
    import foolbox

    if name == "FGSM":
        return foolbox.attacks.FGSM()
    return foolbox.attacks.LinfPGD(steps=steps, abs_stepsize=2.5 * eps / steps, random_start=True)


def compare_attack(name: str, eps: float, model: Any, params: Any, x: jax.Array, y: jax.Array,
                   config: Config) -> Row:
    import foolbox

    fmodel = foolbox.JAXModel(lambda batch: model.batch_logits(params, batch), bounds=(0.0, 1.0))
    peer = _foolbox_attack(name, eps, config.steps)

    def ours(key: jax.Array) -> jax.Array:
        if name == "FGSM":
            return attacks.fgsm(model, params, x, y, eps=eps, lower=0.0, upper=1.0, key=key).margins
        return attacks.pgd(model, params, x, y, eps=eps, steps=config.steps, restarts=1, lower=0.0, upper=1.0,
                           key=key).margins

    def theirs() -> jax.Array:
        return peer(fmodel, x, y, epsilons=[eps])[2][0]  # success flags of the one eps

    _, first = _timed(lambda: ours(jax.random.PRNGKey(0)))
    theirs()  # warm foolbox's own traced pieces too
    ours_acc, peer_acc, ours_times, peer_times = [], [], [], []
    for r in range(config.repeats):
        margins, seconds = _timed(lambda r=r: ours(jax.random.PRNGKey(r + 1)))
        ours_acc.append(float((np.asarray(margins) > 0).mean()))
        ours_times.append(seconds)
        success, seconds = _timed(theirs)
        peer_acc.append(1.0 - float(np.asarray(success).mean()))
        peer_times.append(seconds)
    warm = statistics.median(ours_times)
    return Row(name, eps, ours_acc, peer_acc, warm, statistics.median(peer_times), max(0.0, first - warm))


def epoch_time(dataset: data.Dataset, config: Config) -> tuple[float, float]:
    """(seconds per epoch of PGD adversarial training, compile seconds)."""
    base = training.TrainConfig(method="pgd", architecture=Architecture("mlp", width=config.width), eps=0.1,
                                epochs=1, learning_rate=1e-2, attack_steps=config.attack_steps)
    started = time.perf_counter()
    jax.block_until_ready(training.train(base, dataset, [0]).result.params)
    first = time.perf_counter() - started
    started = time.perf_counter()
    timed = replace(base, epochs=config.timed_epochs)  # a new configuration: compiled again, so time it twice
    jax.block_until_ready(training.train(timed, dataset, [0]).result.params)
    started = time.perf_counter()
    jax.block_until_ready(training.train(timed, dataset, [0]).result.params)
    per_epoch = (time.perf_counter() - started) / config.timed_epochs
    return per_epoch, max(0.0, first - per_epoch)


def run_benchmark(config: Config, *, log: Callable[[str], None] = lambda _: None) -> tuple[list[Row], float,
                                                                                               float, float]:
    dataset = data.load("digits")
    log("training the standard model")
    train_config = training.TrainConfig(method="standard", architecture=Architecture("mlp", width=config.width),
                                        epochs=config.epochs, learning_rate=1e-2)
    run = training.train(train_config, dataset, [0])
    params = training.seed_params(run.result, 0)
    count = config.test_points or len(dataset.y_test)
    x, y = jnp.asarray(dataset.x_test[:count]), jnp.asarray(dataset.y_test[:count])
    clean = float((np.asarray(run.model.batch_logits(params, x).argmax(1)) == np.asarray(y)).mean())
    rows = []
    for eps in config.eps:
        for name in ("PGD", "FGSM"):
            log(f"{name} at eps {eps:g}")
            rows.append(compare_attack(name, eps, run.model, params, x, y, config))
    log("PGD adversarial training epochs")
    per_epoch, compile_seconds = epoch_time(dataset, config)
    return rows, clean, per_epoch, compile_seconds


def _pm(values: list[float]) -> str:
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.3f} +- {sd:.3f}"


def render(report: Report) -> str:
    config = report.config
    body = [[r.attack, f"{r.eps:g}", _pm(r.ours_accuracy), _pm(r.peer_accuracy), f"{1e3 * r.ours_seconds:.1f} ms",
             f"{1e3 * r.peer_seconds:.1f} ms", f"{r.ratio:.1f}x", f"{r.compile_seconds:.2f} s"] for r in report.rows]
    return "\n".join([
        MARKERS[0],
        "## Adversarial attacks: equilibria against foolbox on the same JAX model (benchmarks/adversarial.py)",
        "", command_line(report.command, f"digits MLP width {config.width}, clean accuracy {report.clean:.3f}; "
                         f"PGD {config.steps} steps of 2.5 eps / steps, one random start; repeats {config.repeats}",
                         report.started, report.seconds),
        machine_line(f"JAX backend {jax.default_backend()}"),
        versions_line("jax", "numpy") + f"; foolbox {distribution_version('foolbox')}, eagerpy "
        f"{distribution_version('eagerpy')}",
        "- Robust accuracy on the test split (mean +- sd over the repeats' random starts); median warm time of one "
        "attack call on all test images (equilibria compiled once, compile time apart). equilibria keeps the "
        "lowest-margin point over the iterates, foolbox the last iterate (module docstring). Ratio: foolbox time / "
        "equilibria time.", "",
        *table(["attack", "eps", "equilibria robust acc.", "foolbox robust acc.", "equilibria", "foolbox", "ratio",
                "equilibria compile"], body),
        "", f"- PGD adversarial training on digits ({config.attack_steps} attack steps, batch 64, Adam, one seed): "
        f"{report.epoch_seconds:.3f} s per epoch (21 minibatches), compile {report.epoch_compile_seconds:.1f} s.",
        "", MARKERS[1], ""])


def main(argv: list[str] | None = None) -> None:
    parser = benchmark_parser(__doc__, "adversarial", "one eps, fewer repeats and epochs")
    parser.add_argument("--repeats", type=int)
    args = parser.parse_args(argv)
    config = QUICK if args.quick else FULL
    if args.repeats is not None:
        config = replace(config, repeats=args.repeats)

    def run(command: str) -> Report:
        started, clock = utc_minute(), time.perf_counter()
        rows, clean, per_epoch, compile_seconds = run_benchmark(config, log=log_to_stderr)
        return Report(rows, clean, per_epoch, compile_seconds, config, command, started, time.perf_counter() - clock)

    publish_section("adversarial.py", argv, run, render, args.write, MARKERS)


if __name__ == "__main__":
    main()
