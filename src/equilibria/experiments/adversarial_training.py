"""Adversarial training as a zero-sum game: naive models are manipulated, robust training buys robustness with accuracy.

What is measured (:mod:`equilibria.applications.adversarial`):

- for every training method (standard, FGSM with a random start, PGD (Madry et al. 2018), TRADES (Zhang et al.
  2019)) on scikit-learn's 8x8 digits (eps in pixel intensity, pixels in [0, 1]) and the breast-cancer data (eps in
  training standard deviations per feature): clean accuracy and robust accuracy against eps, bracketed per eps
  between the IBP-certified lower bound and the attacked upper bound (per example the worst of PGD with
  cross-entropy and margin restarts and the gradient-free Square attack, which guards against gradient masking);
- the accuracy-robustness trade-off: clean against robust accuracy at the training eps;
- the turtle lesson in small (Athalye et al. 2018): a standard model's digits accuracy under PGD at eps = 0.1 per
  pixel (1.6 of the original images' 16 grey levels: the digit stays plainly the same to a reader), with the
  perturbed images shown;
- two-moons: decision boundaries of standard, PGD-trained and game-view (alternating GDA) models, and the game view's
  robust accuracy for simultaneous and alternating updates and 1 or several attacker steps per learner step.

Units (``cells/``): one per (data set, method), one for two-moons. Accuracies are means over seeds (vmapped).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from equilibria.experiments.base import Check, Context, Experiment, ExperimentResult, Table, register  # noqa: E402

LABELS = {"standard": "standard", "fgsm": "FGSM (random start)", "pgd": "PGD (Madry)", "trades": "TRADES"}


@dataclass(frozen=True)
class AdversarialConfig:
    """``methods`` trained on each of ``datasets`` with ``seeds`` (vmapped), ``epochs``, an MLP of ``width``;
    training radii ``train_eps`` and evaluation grids ``eps_grid`` per data set (same order as ``datasets``);
    ``learning_rate`` (Adam) and ``attack_steps`` inside training; the evaluation budget ``pgd_steps``,
    ``pgd_restarts``, ``square_iterations``;
    ``turtle_eps``: the digits radius of the turtle lesson; ``moons_*``: the two-moons unit (its trained methods,
    ``standard`` first, and its game-view runs: ``game_runs`` as ``(method, attacker steps)``)."""

    datasets: tuple[str, ...] = ("digits", "breast_cancer")
    methods: tuple[str, ...] = ("standard", "fgsm", "pgd", "trades")
    seeds: int = 3
    epochs: int = 30
    width: int = 64
    train_eps: tuple[float, ...] = (0.1, 0.25)
    eps_grid: tuple[tuple[float, ...], ...] = ((0.0, 0.025, 0.05, 0.1, 0.15, 0.2), (0.0, 0.1, 0.25, 0.5, 1.0))
    learning_rate: float = 3e-3
    attack_steps: int = 7
    trades_beta: float = 6.0
    pgd_steps: int = 50
    pgd_restarts: int = 2
    square_iterations: int = 1000
    turtle_eps: float = 0.1
    moons_eps: float = 0.2
    moons_epochs: int = 60
    moons_methods: tuple[str, ...] = ("standard", "pgd")
    game_runs: tuple[tuple[str, int], ...] = (("gda", 1), ("alternating_gda", 1), ("gda", 5), ("alternating_gda", 5),
                                              ("extragradient", 1))
    seed: int = 0


def _evaluate(model: Any, params: Any, dataset: Any, eps_grid: Sequence[float], config: AdversarialConfig,
              key_seed: int) -> list[Any]:
    import jax

    from equilibria.applications.adversarial import certify

    budget = certify.AttackBudget(config.pgd_steps, config.pgd_restarts, config.square_iterations)
    return [certify.robust_accuracy(model, params, dataset.x_test, dataset.y_test, eps=float(eps),
                                    lower=dataset.lower, upper=dataset.upper, budget=budget,
                                    image_shape=dataset.image_shape, key=jax.random.PRNGKey(key_seed + i))
            for i, eps in enumerate(eps_grid)]


def _dataset_unit(cell: Mapping[str, Any], config: AdversarialConfig) -> dict[str, Any]:
    import jax

    from equilibria.applications.adversarial import attacks, data, training
    from equilibria.applications.adversarial.models import Architecture

    dataset = data.load(cell["dataset"], seed=config.seed)
    train_config = training.TrainConfig(
        method=cell["method"], architecture=Architecture("mlp", width=config.width), eps=float(cell["train_eps"]),
        epochs=config.epochs, batch_size=64, learning_rate=config.learning_rate, attack_steps=config.attack_steps,
        beta=config.trades_beta)
    run = training.train(train_config, dataset, list(range(config.seeds)))
    grid = [float(e) for e in cell["eps_grid"]]
    per_seed = [_evaluate(run.model, training.seed_params(run.result, s), dataset, grid, config, 100 * s)
                for s in range(config.seeds)]
    out: dict[str, Any] = {
        "dataset": cell["dataset"], "method": cell["method"], "eps": grid, "train_eps": float(cell["train_eps"]),
        "units": dataset.eps_units, "train_seconds": run.seconds, "diverged": int(np.sum(run.result.diverged)),
        "clean": [r[0].clean for r in per_seed],
        "attacked": [[e.attacked for e in r] for r in per_seed],
        "certified": [[e.certified for e in r] for r in per_seed],
        "pgd_only": [[min(v for k, v in e.per_attack.items() if k.startswith("pgd")) for e in r] for r in per_seed],
        "square": [[e.per_attack.get("square", 1.0) for e in r] for r in per_seed],
    }
    if cell["dataset"] == "digits" and cell["method"] == "standard":
        params = training.seed_params(run.result, 0)
        found = attacks.pgd(run.model, params, dataset.x_test, dataset.y_test, eps=config.turtle_eps,
                            steps=config.pgd_steps, restarts=config.pgd_restarts, lower=dataset.lower,
                            upper=dataset.upper, key=jax.random.PRNGKey(7))
        clean_pred = np.asarray(run.model.batch_logits(params, dataset.x_test).argmax(1))
        adv_pred = np.asarray(run.model.batch_logits(params, found.x_adv).argmax(1))
        fooled = np.flatnonzero((clean_pred == dataset.y_test) & (adv_pred != dataset.y_test))[:8]
        out["turtle"] = {"eps": config.turtle_eps, "clean": float((clean_pred == dataset.y_test).mean()),
                         "attacked": float((np.asarray(found.margins) > 0).mean()),
                         "images": np.asarray(dataset.x_test[fooled]).round(4).tolist(),
                         "perturbed": np.asarray(found.x_adv[fooled]).round(4).tolist(),
                         "labels": dataset.y_test[fooled].tolist(), "predicted": adv_pred[fooled].tolist(),
                         "max_change": float(np.abs(np.asarray(found.x_adv) - dataset.x_test).max())}
    return out


def _moons_unit(config: AdversarialConfig) -> dict[str, Any]:
    import jax
    import jax.numpy as jnp

    from equilibria.applications.adversarial import attacks, data, game, training
    from equilibria.applications.adversarial.models import Architecture

    dataset = data.load("moons", seed=config.seed)
    net = Architecture("mlp", width=32, depth=2)
    eps = config.moons_eps
    runs = {}
    for method in config.moons_methods:
        runs[method] = training.train(training.TrainConfig(
            method=method, architecture=net, eps=eps, epochs=config.moons_epochs, batch_size=32, learning_rate=1e-2,
            attack_steps=5), dataset, list(range(config.seeds)))
    for method, k in config.game_runs:
        runs[f"game:{method}:{k}"] = game.train_game(game.GameConfig(
            method=method, architecture=net, eps=eps, attacker_steps=k, epochs=config.moons_epochs, batch_size=32,
            learning_rate=1e-2), dataset, list(range(config.seeds)))
    xs = np.linspace(-1.6, 2.6, 70)
    ys = np.linspace(-1.2, 1.7, 50)
    grid = jnp.asarray(np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2), jnp.float32)
    out: dict[str, Any] = {"eps": eps, "x_grid": xs.tolist(), "y_grid": ys.tolist(), "runs": {}}
    for name, run in runs.items():
        clean, robust = [], []
        for s in range(config.seeds):
            params = training.seed_params(run.result, s)
            found = attacks.pgd(run.model, params, dataset.x_test, dataset.y_test, eps=eps, steps=config.pgd_steps,
                                restarts=config.pgd_restarts, key=jax.random.PRNGKey(s))
            clean.append(float((run.model.batch_logits(params, dataset.x_test).argmax(1) == dataset.y_test).mean()))
            robust.append(float((found.margins > 0).mean()))
        params = training.seed_params(run.result, 0)
        probability = jax.nn.softmax(run.model.batch_logits(params, grid))[:, 1]
        out["runs"][name] = {"clean": clean, "robust": robust, "seconds": run.seconds,
                             "diverged": int(np.sum(run.result.diverged)),
                             "boundary": np.asarray(probability).reshape(len(ys), len(xs)).round(3).tolist()}
    out["points"] = {"x": dataset.x_test.round(3).tolist(), "y": dataset.y_test.tolist()}
    return out


def unit(cell: Mapping[str, Any]) -> dict[str, Any]:
    """One checkpointed unit: ``{"kind": "dataset", "dataset", "method", ...}`` or ``{"kind": "moons", ...}``."""
    import time

    started = time.perf_counter()
    config = AdversarialConfig(**{k: _tuples(v) for k, v in cell["config"].items()})
    out = _dataset_unit(cell, config) if cell["kind"] == "dataset" else _moons_unit(config)
    out["seconds"] = time.perf_counter() - started
    return out


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, list | tuple) else value


def _cells(config: AdversarialConfig) -> list[dict[str, Any]]:
    import dataclasses

    fields = dataclasses.asdict(config)
    cells: list[dict[str, Any]] = [
        {"kind": "dataset", "dataset": name, "method": method, "train_eps": config.train_eps[i],
         "eps_grid": list(config.eps_grid[i]), "config": fields}
        for i, name in enumerate(config.datasets) for method in config.methods]
    cells.append({"kind": "moons", "config": fields})
    return cells


def _mean(values: Sequence[Any]) -> np.ndarray:
    return np.mean(np.asarray(values, dtype=float), axis=0)


def _at(unit_out: Mapping[str, Any], key: str, eps: float) -> float:
    return float(_mean(unit_out[key])[unit_out["eps"].index(eps)])


def _test_size(name: str, seed: int) -> int:
    from equilibria.applications.adversarial import data

    return int(data.load(name, seed=seed).y_test.size)


def _robust_gain_check(name: str, train_eps: float, standard: Mapping[str, Any], pgd: Mapping[str, Any],
                       n_test: int) -> Check:
    """PGD training raises attacked accuracy at the training eps, seed by seed, by more than two binomial standard
    errors of the standard model's accuracy on the ``n_test`` test points: a gain the test split resolves (the
    breast-cancer split has 143 points, one standard error about 0.035, so a fixed margin would not mean the same
    on both data sets)."""
    k = standard["eps"].index(train_eps)
    base = np.asarray([row[k] for row in standard["attacked"]], dtype=float)
    robust = np.asarray([row[k] for row in pgd["attacked"]], dtype=float)
    resolution = 2.0 * np.sqrt(base * (1.0 - base) / n_test)
    return Check(
        f"{name}: PGD adversarial training raises robust accuracy at the training eps = {train_eps:g}",
        f"in every seed, attacked accuracy of the PGD model > the standard model's + 2 binomial standard errors "
        f"({n_test} test points)",
        "per seed " + ", ".join(f"{r:.3f} vs {b:.3f} (needs > {b + e:.3f})"
                                for r, b, e in zip(robust, base, resolution, strict=True)),
        bool(np.all(robust > base + resolution)))


def _checks(config: AdversarialConfig, units: Mapping[tuple[str, str], Mapping[str, Any]],
            moons: Mapping[str, Any]) -> list[Check]:
    checks = []
    turtle = units[("digits", "standard")]["turtle"]
    checks.append(Check(
        f"the turtle lesson in small: a standard digits model is fooled at eps = {turtle['eps']:g} per pixel "
        f"({16 * turtle['eps']:.2g} of the original 16 grey levels)",
        "clean accuracy >= 0.9 and accuracy under PGD < 0.5",
        f"clean {turtle['clean']:.3f}, under PGD {turtle['attacked']:.3f}",
        turtle["clean"] >= 0.9 and turtle["attacked"] < 0.5))
    for name, train_eps in zip(config.datasets, config.train_eps, strict=True):
        if "pgd" not in config.methods:
            continue
        standard, pgd = units[(name, "standard")], units[(name, "pgd")]
        checks.append(_robust_gain_check(name, train_eps, standard, pgd, _test_size(name, config.seed)))
    digits_std, digits_pgd = units[("digits", "standard")], units[("digits", "pgd")]
    checks.append(Check(
        "digits: robustness costs clean accuracy (the accuracy-robustness trade-off)",
        "clean accuracy of the PGD model <= the standard model's + 0.005",
        f"{float(_mean(digits_pgd['clean'])):.3f} vs {float(_mean(digits_std['clean'])):.3f}",
        float(_mean(digits_pgd["clean"])) <= float(_mean(digits_std["clean"])) + 0.005))
    violations = 0
    for u in units.values():
        for s in range(len(u["clean"])):
            for c, a in zip(u["certified"][s], u["attacked"][s], strict=True):
                violations += int(not (c <= a <= u["clean"][s]))
    checks.append(Check("the bracket holds: IBP-certified <= attacked <= clean, every model, seed and eps",
                        "0 violations", f"{violations} violations", violations == 0))
    gap = max(float(np.max(_mean(u["pgd_only"]) - _mean(u["attacked"]))) for u in units.values())
    checks.append(Check(
        "no gradient masking: adding the gradient-free Square attack to PGD lowers robust accuracy by little",
        "max over models and eps of (PGD-only - all attacks) <= 0.05", f"{gap:.3f}", gap <= 0.05))
    runs = moons["runs"]
    base = float(np.mean(runs["standard"]["robust"]))
    games = {k: float(np.mean(v["robust"])) for k, v in runs.items() if k.startswith("game:")}
    robust = games | {k: float(np.mean(v["robust"])) for k, v in runs.items() if k not in games and k != "standard"}
    checks.append(Check(
        f"two-moons: robust training ({', '.join(k for k in runs if k != 'standard')}; game: the dynamics engine on "
        f"the learner-attacker game) raises robust accuracy at eps = {moons['eps']:g} over standard training",
        "robust accuracy > standard's + 0.03, every run",
        f"standard {base:.3f}, " + ", ".join(f"{k} {v:.3f}" for k, v in robust.items()),
        all(v > base + 0.03 for v in robust.values())))
    return checks


def _accuracy_figure(config: AdversarialConfig, units: Mapping[tuple[str, str], Mapping[str, Any]]) -> plt.Figure:
    fig, axes = plt.subplots(1, len(config.datasets), figsize=(6 * len(config.datasets), 4.2), squeeze=False)
    for ax, name in zip(axes[0], config.datasets, strict=True):
        for i, method in enumerate(config.methods):
            u = units[(name, method)]
            color = f"C{i}"
            ax.plot(u["eps"], _mean(u["attacked"]), "o-", color=color, label=f"{LABELS[method]}: attacked")
            ax.plot(u["eps"], _mean(u["certified"]), "s--", color=color, alpha=0.6, label=f"{LABELS[method]}: IBP")
        ax.set(xlabel=f"eps ({units[(name, config.methods[0])]['units']})", ylabel="accuracy", ylim=(-0.02, 1.02),
               title=f"{name}: robust accuracy, attacked (upper) and certified (lower)")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def _tradeoff_figure(config: AdversarialConfig, units: Mapping[tuple[str, str], Mapping[str, Any]]) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(6, 4.2))
    for d, (name, eps) in enumerate(zip(config.datasets, config.train_eps, strict=True)):
        for i, method in enumerate(config.methods):
            u = units[(name, method)]
            ax.scatter(_at(u, "attacked", eps), float(_mean(u["clean"])), color=f"C{i}", marker="os"[d % 2],
                       label=f"{name}, {LABELS[method]}")
    ax.set(xlabel="robust accuracy at the training eps (attacked)", ylabel="clean accuracy",
           title="The accuracy-robustness trade-off")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def _turtle_figure(turtle: Mapping[str, Any]) -> plt.Figure:
    images = turtle["images"]
    fig, axes = plt.subplots(2, max(len(images), 1), figsize=(1.4 * max(len(images), 1), 3.6), squeeze=False)
    for j, (clean, bad) in enumerate(zip(images, turtle["perturbed"], strict=True)):
        for row, picture, title in ((0, clean, f"{turtle['labels'][j]}"), (1, bad, f"-> {turtle['predicted'][j]}")):
            axes[row, j].imshow(np.asarray(picture).reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
            axes[row, j].set_title(title, fontsize=9)
    for ax in axes.ravel():
        ax.axis("off")
    fig.suptitle(f"Clean digits (top, true label) and PGD at eps = {turtle['eps']:g} (bottom, predicted)", fontsize=9)
    fig.tight_layout(h_pad=1.2)  # room for the bottom row's titles under the top row's pictures
    return fig


def _moons_figure(moons: Mapping[str, Any]) -> plt.Figure:
    names = [k for k in ("standard", "pgd") if k in moons["runs"]] + [
        k for k in moons["runs"] if k.startswith("game:alternating_gda")][-1:]
    fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 3.4), squeeze=False)
    points, labels = np.asarray(moons["points"]["x"]), np.asarray(moons["points"]["y"])
    for ax, name in zip(axes[0], names, strict=True):
        run = moons["runs"][name]
        ax.contourf(moons["x_grid"], moons["y_grid"], run["boundary"], levels=[0, 0.5, 1], colors=["C0", "C1"],
                    alpha=0.25)
        ax.contour(moons["x_grid"], moons["y_grid"], run["boundary"], levels=[0.5], colors="k")
        ax.scatter(points[:, 0], points[:, 1], c=labels, cmap="coolwarm", s=6)
        ax.set_title(f"{name}: robust {np.mean(run['robust']):.2f}, clean {np.mean(run['clean']):.2f}", fontsize=9)
    fig.tight_layout()
    return fig


def run_experiment(config: AdversarialConfig, context: Context) -> ExperimentResult:
    results = context.sweep(unit, _cells(config), "adversarial training")
    units = {(r["dataset"], r["method"]): r for r in results[:-1]}
    moons = results[-1]
    checks = _checks(config, units, moons)
    rows = []
    for name in config.datasets:
        for method in config.methods:
            u = units[(name, method)]
            for i, eps in enumerate(u["eps"]):
                rows.append((name, LABELS[method], eps, f"{float(_mean(u['clean'])):.3f}",
                             f"{float(_mean(u['certified'])[i]):.3f}", f"{float(_mean(u['attacked'])[i]):.3f}",
                             f"{float(_mean(u['pgd_only'])[i]):.3f}", f"{float(_mean(u['square'])[i]):.3f}"))
    game_rows = tuple((k, f"{np.mean(v['clean']):.3f}", f"{np.mean(v['robust']):.3f}", f"{v['seconds']:.1f}")
                      for k, v in moons["runs"].items())
    tables = (
        Table(f"Accuracy against eps, mean of {config.seeds} seeds (MLP width {config.width}, {config.epochs} epochs): "
              "certified (IBP) <= attacked (worst of PGD restarts and Square) <= clean",
              ("data", "method", "eps", "clean", "certified", "attacked", "PGD only", "Square only"), tuple(rows)),
        Table(f"Two-moons at eps = {moons['eps']:g}: trained models and the game view (method:attacker steps)",
              ("run", "clean", "robust (PGD)", "seconds"), game_rows),
    )
    turtle = units[("digits", "standard")]["turtle"]
    figures = (
        context.save_figure(_accuracy_figure(config, units), "accuracy_vs_eps.png",
                            "Robust accuracy against eps: attacked (solid, an upper bound) and IBP-certified (dashed, "
                            "a lower bound) for every training method."),
        context.save_figure(_tradeoff_figure(config, units), "tradeoff.png",
                            "Clean against robust accuracy at the training eps: robustness costs clean accuracy."),
        context.save_figure(_turtle_figure(turtle), "turtle.png",
                            f"A standard digits model fooled by changes of at most {turtle['eps']:g} per pixel (one "
                            "grey level of the original images is 1/16 = 0.0625); the digits stay readable."),
        context.save_figure(_moons_figure(moons), "moons_boundaries.png",
                            "Two-moons decision boundaries: standard, PGD-trained and the game view."),
    )
    summary = {
        "turtle": {k: turtle[k] for k in ("eps", "clean", "attacked", "max_change")},
        "accuracy": {f"{d}/{m}": {"eps": units[(d, m)]["eps"], "clean": float(_mean(units[(d, m)]["clean"])),
                                  "attacked": _mean(units[(d, m)]["attacked"]).tolist(),
                                  "certified": _mean(units[(d, m)]["certified"]).tolist()}
                     for d in config.datasets for m in config.methods},
        "moons": {k: {"clean": float(np.mean(v["clean"])), "robust": float(np.mean(v["robust"]))}
                  for k, v in moons["runs"].items()},
    }
    return ExperimentResult(summary, tuple(checks), tables, figures)


EXPERIMENT = register(Experiment(
    name="adversarial-training",
    title="Adversarial training as a zero-sum game: manipulated models, min-max training, certified brackets",
    description="Standard, FGSM, PGD (Madry et al. 2018) and TRADES (Zhang et al. 2019) training on scikit-learn's "
                "digits and breast-cancer data: clean and robust accuracy against eps between an IBP-certified "
                "lower bound and the worst of PGD and the Square attack (Andriushchenko et al. 2020); the "
                "accuracy-robustness trade-off; a standard model fooled below one grey level (Athalye et al. "
                "2018's turtle, in small); two-moons boundaries and the learner-attacker game under GDA.",
    full=AdversarialConfig(),
    # quick: digits only (breast cancer, FGSM, TRADES, more game runs and seeds in the full run); its time is mostly
    # XLA compiling the five training and attack programs
    quick=AdversarialConfig(datasets=("digits",), methods=("standard", "pgd"), seeds=1, epochs=15, width=32,
                            learning_rate=1e-2, train_eps=(0.1,), eps_grid=((0.0, 0.05, 0.1, 0.2),), attack_steps=5,
                            pgd_steps=20, pgd_restarts=1, square_iterations=200, moons_epochs=25,
                            moons_methods=("standard",), game_runs=(("alternating_gda", 3),)),
    run=run_experiment,
))
