"""Reward hacking measured: Goodhart curves of best-of-n and KL-regularised optimisation (Gao et al. 2022).

Gao, Schulman and Hilton (2022), "Scaling Laws for Reward Model Overoptimization": optimising a policy against a
proxy reward model raises the gold (true) reward at first and lowers it later while the proxy keeps rising; against
the distance ``d = sqrt(KL(pi || base))`` the gold gain follows ``d (alpha - beta d)`` for best-of-n and
``d (alpha - beta log d)`` for RL. This reproduction measures those curves with
:mod:`equilibria.applications.rlhf.reward_hacking`:

- The analytic check: gold ~ N(0, 1), proxy = gold + N(0, 1). Best-of-n's expected gold is ``E[max of n N(0,1)] /
  sqrt(2)`` (quadrature) and its KL from the base ``log n - (n-1)/n``, here estimated from the kept proxy's rank; the
  simulations must lie within ``sigmas`` standard errors of both, for every ``n``.
- The misspecified proxy: a linear reward model fitted by Bradley-Terry to ``n_pairs`` Boltzmann-rational labels on
  base responses, while the gold reward satiates and turns down in feature 0 (``satiating_gold``). Per seed (one
  checkpointed unit each): best-of-n against it (continuous responses, simulated), and the softmax policy over a
  pool of ``pool_size`` base responses trained by Adam on ``E_pi[proxy] - train_beta KL`` (d read along the run),
  plus the exact KL-regularised optima ``pi ∝ base exp(proxy / beta)`` over a sweep of ``beta`` (checked against
  Adam-trained ones). Gold and proxy on the pool are exact expectations.
- Both forms are fitted by least squares to each seed's curves (gains over the base policy's exact gold), the pool
  curves on ``d <= d_cap = sqrt(log(K / min_ess) / 2)`` (``K``: ``pool_size`` for the Adam run, the larger
  ``optima_pool_size`` for the closed-form optima, which need no training). The pool stands in for the Gaussian
  base; a policy tilted by a linear proxy to distance ``d`` (``pi ∝ exp(mu . x)``, ``|mu|^2 = 2 d^2``) puts its
  weight on an effective ``K exp(-2 d^2)`` of the ``K`` responses, so beyond ``d_cap`` fewer than ``min_ess``
  responses carry it and the curve is the gold of the pool's few top-proxy responses (luck of the draw), not a
  property of the optimisation (with a uniform base ``KL = log K - H(pi)``, and ``d`` stops at ``sqrt(log K)``).

Checks: the analytic agreement (within ``sigmas`` standard errors); for every seed's reward model, gold peaks at an
interior ``d`` and ends below its peak while the proxy rises throughout (best-of-n: by more than ``sigmas``
standard errors; the pool's KL-regularised optima, exact: by more than ``min_drop`` at ``d_cap``; the Adam run,
exact: lower at ``d_cap`` than at its peak); the best-of-n form's R^2 above ``r2_best_of_n`` on best-of-n, and above
``r2_rl`` on the pool policy's training curve (see the check's text: this policy class's continuous limit predicts
that form; Gao et al.'s RL form is fitted and reported beside it); trained optima match the closed form (total
variation below ``optimum_tv``).

Full run measured 2026-12-06 (``equilibria reproduce reward-hacking``, 2 cores shared with other jobs at load ~16:
1,753 s wall, 285 CPU s): 8/8 checks pass. Analytic best-of-n, n = 1..2048 (16,384 draws each): largest |z| 2.42 for
the gold, 2.76 for the KL (at n = 2048: 6.6327 against log n - (n-1)/n = 6.6251). Against the misspecified reward
model, 8 seeds: best-of-n's gold peaks at n* = 8..32 and falls by 18..53 standard errors; the KL-regularised optima
peak at d = 1.06..1.37 and drop 0.147..1.074 by d_cap = 2.23; the Adam-trained pool policy peaks at d = 1.14..1.55
and drops 0.078..0.524 by 1.98. Fits (mean +- sd over seeds): best-of-n d (alpha - beta d): alpha 1.692 +- 0.067,
beta 0.617 +- 0.089, R^2 0.9965..0.9989; RL training d (alpha - beta d): alpha 1.500 +- 0.054, beta 0.552 +- 0.096,
R^2 0.9892..0.9976 (Gao's RL form d (alpha - beta log d): R^2 0.8470..0.9656); KL-regularised optima d (alpha - beta
d): alpha 1.537 +- 0.034, beta 0.635 +- 0.098 against the continuous limit's 1.540 +- 0.028 and 0.636 +- 0.089;
trained optima within total variation 6.4e-4 of the closed form.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from equilibria.experiments.base import Check, Context, Experiment, ExperimentResult, Table, register  # noqa: E402


@dataclass(frozen=True)
class RewardHackingConfig:
    """Sizes of the simulations and thresholds of the checks.

    ``ns``: best-of-n's ``n``; ``draws`` x ``bon_seeds`` (vmapped) best-of-n draws per unit; ``analytic_units``
    units of the analytic check; ``seeds``: misspecified-proxy units (each fits its own reward model). Reward model:
    ``n_features``, ``curvature`` of the gold, ``n_items`` base responses and ``n_pairs`` labels at evaluator
    ``temperature``. Pool policy: ``pool_size`` responses, Adam at ``learning_rate`` for ``steps`` (recorded every
    ``record_every``) at ``train_beta``; ``betas`` the KL-regularised sweep (closed form), every ``sweep_every``-th
    of them also trained (Adam at ``sweep_learning_rate`` for ``sweep_steps``) to compare with the closed form;
    ``min_ess`` sets the pool curves' range ``d_cap`` (module docstring). Checks: ``sigmas`` standard errors,
    ``min_drop``, ``r2_best_of_n``, ``r2_rl``, ``optimum_tv``.
    """

    ns: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048)
    draws: int = 2048
    bon_seeds: int = 2
    analytic_units: int = 4
    seeds: int = 8
    seed: int = 0
    n_features: int = 4
    curvature: float = 0.5
    n_items: int = 200
    n_pairs: int = 300
    temperature: float = 0.5
    l2: float = 1e-3
    pool_size: int = 2**18
    optima_pool_size: int = 2**21
    learning_rate: float = 0.01
    steps: int = 800
    record_every: int = 10
    train_beta: float = 0.0
    betas: tuple[float, ...] = tuple(float(b) for b in np.geomspace(20.0, 0.1, 32))
    sweep_learning_rate: float = 0.1
    sweep_steps: int = 1000
    sweep_every: int = 8
    min_ess: float = 100.0
    sigmas: float = 4.0
    min_drop: float = 0.1
    r2_best_of_n: float = 0.98
    r2_rl: float = 0.9
    optimum_tv: float = 0.02


def _analytic_sample(params: Any, key: Any, shape: tuple[int, ...]) -> tuple[Any, Any]:
    import jax

    k_gold, k_noise = jax.random.split(key)
    gold = jax.random.normal(k_gold, shape)
    return gold, gold + jax.random.normal(k_noise, shape)


def _analytic_cdf(proxy: Any) -> Any:
    import jax.numpy as jnp
    from jax.scipy.stats import norm

    return norm.cdf(proxy / jnp.sqrt(2.0))  # proxy ~ N(0, 2) under the base


def _analytic(cell: Mapping[str, Any]) -> dict[str, Any]:
    import jax

    from equilibria.applications.rlhf.reward_hacking import best_of_n

    curve = best_of_n(_analytic_sample, cell["ns"], jax.random.key(int(cell["key"])), draws=int(cell["draws"]),
                      seeds=int(cell["bon_seeds"]), proxy_cdf=_analytic_cdf)
    return {"kind": "analytic", "n": curve.draws, **{name: np.asarray(getattr(curve, name)).tolist() for name in
                                                    ("ns", "gold", "gold_se", "kl_estimate", "kl_se")}}


def _misspecified(cell: Mapping[str, Any]) -> dict[str, Any]:
    import jax
    import jax.numpy as jnp

    from equilibria.applications.rlhf import reward_hacking as rh

    k_fit, k_bon, k_pool, k_large = jax.random.split(jax.random.key(int(cell["key"])), 4)
    curvature = float(cell["curvature"])
    theta = rh.fit_linear_proxy(k_fit, n_features=int(cell["n_features"]), curvature=curvature,
                                n_items=int(cell["n_items"]), n_pairs=int(cell["n_pairs"]),
                                temperature=float(cell["temperature"]), l2=float(cell["l2"]))
    bon = rh.best_of_n(rh.linear_proxy_sample, cell["ns"], k_bon, draws=int(cell["draws"]),
                       seeds=int(cell["bon_seeds"]), params=(jnp.asarray(theta), jnp.asarray(curvature)))
    size = int(cell["pool_size"])
    features = jax.random.normal(k_pool, (size, int(cell["n_features"])))
    gold, proxy = rh.satiating_gold(features, curvature), features @ jnp.asarray(theta, features.dtype)
    base = jnp.full(size, 1.0 / size)
    run = rh.train_pool_policy(proxy, gold, base, beta=float(cell["train_beta"]),
                               learning_rate=float(cell["learning_rate"]), steps=int(cell["steps"]),
                               record_every=int(cell["record_every"]))
    every = int(cell["sweep_every"])
    checked = np.asarray(cell["betas"])[::every]
    trained = rh.train_pool_policy(proxy, gold, base, beta=checked, learning_rate=float(cell["sweep_learning_rate"]),
                                   steps=int(cell["sweep_steps"]), record_every=int(cell["sweep_steps"]))
    closed = jax.vmap(lambda b: rh.kl_regularised_optimum(proxy, base, b))(jnp.asarray(checked, features.dtype))
    tv = 0.5 * np.abs(np.asarray(closed) - trained.policy).sum(axis=1)
    # The closed-form optima need no training: on a larger pool they stay faithful to larger d (module docstring).
    large = int(cell["optima_pool_size"])
    features = jax.random.normal(k_large, (large, int(cell["n_features"])))
    gold_large = rh.satiating_gold(features, curvature)
    proxy_large = features @ jnp.asarray(theta, features.dtype)
    base_large = jnp.full(large, 1.0 / large)
    optima = jax.vmap(lambda b: rh.kl_regularised_optimum(proxy_large, base_large, b))(
        jnp.asarray(cell["betas"], dtype=features.dtype))
    return {"kind": "misspecified", "theta": np.asarray(theta).tolist(), "base_gold_pool": float(gold.mean()),
            "bon": {"ns": bon.ns.tolist(), "d": bon.d.tolist(), "gold": bon.gold.tolist(),
                    "gold_se": bon.gold_se.tolist(), "proxy": bon.proxy.tolist(), "n": bon.draws},
            "rl": {"steps": run.steps.tolist(), "d": run.d.tolist(), "gold": run.gold.tolist(),
                   "proxy": run.proxy.tolist()},
            "sweep": {"betas": list(cell["betas"]), "base_gold": float(gold_large.mean()),
                      "d": np.sqrt(np.maximum(np.asarray(rh.kl_categorical(optima, base_large)), 0)).tolist(),
                      "gold": np.asarray(optima @ gold_large).tolist(),
                      "proxy": np.asarray(optima @ proxy_large).tolist(), "trained_betas": checked.tolist(),
                      "trained_tv": tv.tolist()}}


def unit(cell: Mapping[str, Any]) -> dict[str, Any]:
    """One unit of work: ``{"kind": "analytic" | "misspecified", ...}`` (see :func:`_cells`)."""
    return _analytic(cell) if cell["kind"] == "analytic" else _misspecified(cell)


def _cells(config: RewardHackingConfig) -> list[dict[str, Any]]:
    common = {"ns": list(config.ns), "draws": config.draws, "bon_seeds": config.bon_seeds}
    cells: list[dict[str, Any]] = [{"kind": "analytic", "key": config.seed * 1000 + u, **common}
                                   for u in range(config.analytic_units)]
    keys = ("n_features", "curvature", "n_items", "n_pairs", "temperature", "l2", "pool_size", "learning_rate",
            "steps", "record_every", "train_beta", "sweep_learning_rate", "sweep_steps", "sweep_every",
            "optima_pool_size")
    cells += [{"kind": "misspecified", "key": config.seed * 1000 + 500 + s, "betas": list(config.betas), **common,
               **{k: getattr(config, k) for k in keys}} for s in range(config.seeds)]
    return cells


def _pooled_mean(values: list[list[float]],
                 errors: list[list[float]] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Mean over units (equal draws each) and its standard error: from the units' own errors when given, else the
    spread between units."""
    a = np.asarray(values, dtype=float)
    mean = a.mean(axis=0)
    if errors is not None:
        se = np.sqrt(np.sum(np.asarray(errors, dtype=float) ** 2, axis=0)) / a.shape[0]
    else:
        se = a.std(axis=0, ddof=1) / math.sqrt(a.shape[0]) if a.shape[0] > 1 else np.full(a.shape[1:], np.nan)
    return mean, se


def _d_cap(config: RewardHackingConfig, size: int) -> float:
    """The largest ``d`` at which a tilted policy on a pool of ``size`` still spreads over ``min_ess`` responses
    (module docstring)."""
    return math.sqrt(math.log(size / config.min_ess) / 2)


def _seed_fits(config: RewardHackingConfig, u: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Both forms fitted to one seed's three curves (gains over the base policy's exact gold)."""
    from equilibria.applications.rlhf.reward_hacking import fit_goodhart

    curves = {"best-of-n": (np.asarray(u["bon"]["d"]), np.asarray(u["bon"]["gold"]) + config.curvature, np.inf),
              "RL (training)": (np.asarray(u["rl"]["d"]), np.asarray(u["rl"]["gold"]) - u["base_gold_pool"],
                                _d_cap(config, config.pool_size)),
              "KL-regularised optima": (np.asarray(u["sweep"]["d"]),
                                        np.asarray(u["sweep"]["gold"]) - u["sweep"]["base_gold"],
                                        _d_cap(config, config.optima_pool_size))}
    out = {}
    for name, (d, gain, cap) in curves.items():
        keep = d <= cap
        for form in ("best_of_n", "rl"):
            out[f"{name} / {form}"] = fit_goodhart(d[keep], gain[keep], form)._asdict()
    return out


def _peak(gold: np.ndarray) -> tuple[int, float]:
    """The index of the largest gold and how far the last value lies below it."""
    peak = int(np.argmax(gold))
    return peak, float(gold[peak] - gold[-1])


def _checks_and_fits(config: RewardHackingConfig, analytic: list[Mapping[str, Any]],
                     missp: list[Mapping[str, Any]]) -> tuple[list[Check], list[tuple[Any, ...]], dict[str, Any]]:
    from equilibria.applications.rlhf.reward_hacking import best_of_n_kl, expected_max_normal, fit_goodhart

    ns = np.asarray(analytic[0]["ns"])
    exact_gold = np.array([expected_max_normal(int(n)) for n in ns]) / math.sqrt(2)
    exact_kl = best_of_n_kl(ns)
    gold, gold_se = _pooled_mean([u["gold"] for u in analytic], [u["gold_se"] for u in analytic])
    kl, kl_se = _pooled_mean([u["kl_estimate"] for u in analytic], [u["kl_se"] for u in analytic])
    s = config.sigmas
    gold_z = np.abs(gold - exact_gold) / gold_se
    # n = 1 keeps a uniform rank U and log(1 U^0) = 0 exactly: no error to divide by, the estimate must be 0
    kl_z = np.where(ns > 1, np.abs(kl - exact_kl) / np.where(ns > 1, kl_se, 1.0), np.where(kl == 0, 0.0, np.inf))
    draws = sum(int(u["n"]) for u in analytic)
    checks = [
        Check("best-of-n with gold ~ N(0,1), proxy = gold + N(0,1): expected gold = E[max of n N(0,1)] / sqrt 2",
              f"every n in {ns.min()}..{ns.max()} within {s:g} standard errors ({draws} draws each)",
              f"largest |z| = {gold_z.max():.2f} (n = {ns[int(np.argmax(gold_z))]})", bool(np.all(gold_z <= s))),
        Check("best-of-n's KL from the base (estimated from the kept proxy's rank) = log n - (n-1)/n",
              f"every n within {s:g} standard errors", f"largest |z| = {kl_z.max():.2f} "
              f"(n = {ns[int(np.argmax(kl_z))]}; at n = {ns.max()}: {kl[-1]:.4f} vs {exact_kl[-1]:.4f})",
              bool(np.all(kl_z <= s))),
    ]

    # Goodhart, seed by seed: every seed has its own reward model, hence its own curve.
    bon_ok, bon_text = [], []
    for u in missp:
        g, se, p = (np.asarray(u["bon"][k]) for k in ("gold", "gold_se", "proxy"))
        peak, drop = _peak(g)
        drop_se = math.hypot(se[peak], se[-1])
        bon_ok.append(0 < peak < len(g) - 1 and drop > s * drop_se and bool(np.all(np.diff(p) > 0)))
        bon_text.append(f"n* = {u['bon']['ns'][peak]}, drop {drop:.3f} ({drop / drop_se:.0f} se)")
    checks.append(Check(
        "best-of-n against the misspecified reward model: gold peaks at an interior n and then falls while the "
        "proxy keeps rising (Goodhart), for every seed's reward model",
        f"peak before the last n, last below the peak by > {s:g} se, proxy increasing in n",
        "; ".join(bon_text), all(bon_ok)))
    d_cap = _d_cap(config, config.pool_size)
    for curve, claim, margin in (
            ("sweep", "the KL-regularised optima pi ∝ base exp(proxy / beta) against the misspecified reward model: "
                      "as beta falls, gold (exact) peaks and then falls while the proxy rises, for every seed",
             config.min_drop),
            ("rl", "the softmax pool policy trained by Adam (beta = train_beta) against the misspecified reward model: "
                   "gold (exact) peaks and then falls along training while the proxy rises, for every seed", 0.0)):
        ok, text = [], []
        cap = _d_cap(config, config.optima_pool_size if curve == "sweep" else config.pool_size)
        for u in missp:
            g, p, d = (np.asarray(u[curve][k]) for k in ("gold", "proxy", "d"))
            g, p, d = g[d <= cap], p[d <= cap], d[d <= cap]
            peak, drop = _peak(g)
            ok.append(0 < peak < len(g) - 1 and drop > margin and bool(np.all(np.diff(p) > 0)))
            text.append(f"peak {g[peak]:.3f} at d = {d[peak]:.2f}, drop {drop:.3f}")
        checks.append(Check(f"{claim} (on d <= {cap:.2f}, where the policy still spreads over many responses)",
                            f"peak before d = {cap:.2f}, gold there below the peak by > {margin:g}, proxy "
                            "increasing", "; ".join(text), all(ok)))

    fits = [_seed_fits(config, u) for u in missp]
    names = list(fits[0])
    rows = []
    spread = (lambda a: f" +- {a.std(ddof=1):.3f}") if len(fits) > 1 else (lambda a: "")
    for name in names:
        alpha, beta, r2 = (np.array([f[name][k] for f in fits]) for k in ("alpha", "beta", "r2"))
        curve, form = name.split(" / ")
        rows.append((curve, "d (alpha - beta d)" if form == "best_of_n" else "d (alpha - beta log d)",
                     f"{alpha.mean():.3f}{spread(alpha)}", f"{beta.mean():.3f}{spread(beta)}",
                     f"{r2.min():.4f}", f"{r2.mean():.4f}", len(fits)))
    # The continuous limit of the KL-regularised optimum: base N(0, I), proxy theta . x, so pi_beta = N(theta / beta,
    # I), d = |theta| / (beta sqrt 2) and the gold gain is d (alpha - beta d) with these coefficients.
    thetas = np.array([u["theta"] for u in missp])
    norms = np.linalg.norm(thetas, axis=1)
    limit_alpha = math.sqrt(2) * (thetas[:, 0] + thetas[:, 1] / 2) / norms
    limit_beta = 2 * config.curvature * thetas[:, 0] ** 2 / norms**2
    rows.append(("continuous limit of the KL-regularised optimum (closed form)", "d (alpha - beta d)",
                 f"{limit_alpha.mean():.3f}{spread(limit_alpha)}", f"{limit_beta.mean():.3f}{spread(limit_beta)}",
                 "1 (exact)", "1 (exact)", len(fits)))
    analytic_fits = {form: fit_goodhart(np.sqrt(exact_kl), gold, form) for form in ("best_of_n", "rl")}
    for form, fit in analytic_fits.items():
        rows.append(("analytic best-of-n (gold = proxy - noise)",
                     "d (alpha - beta d)" if form == "best_of_n" else "d (alpha - beta log d)",
                     f"{fit.alpha:.3f}", f"{fit.beta:.3f}", f"{fit.r2:.4f}", f"{fit.r2:.4f}", 1))

    def r2_of(name: str) -> np.ndarray:
        return np.array([f[name]["r2"] for f in fits])

    bon_r2, bon_beta = r2_of("best-of-n / best_of_n"), np.array([f["best-of-n / best_of_n"]["beta"] for f in fits])
    checks.append(Check("Gao et al.'s best-of-n form d (alpha - beta d) fits best-of-n's gold gain, every seed",
                        f"R^2 > {config.r2_best_of_n:g} and beta > 0 (overoptimisation)",
                        f"R^2 {bon_r2.min():.4f} .. {bon_r2.max():.4f}; beta {bon_beta.min():.3f} .. "
                        f"{bon_beta.max():.3f}", bool(np.all(bon_r2 > config.r2_best_of_n) and np.all(bon_beta > 0))))
    rl_quadratic, rl_log = r2_of("RL (training) / best_of_n"), r2_of("RL (training) / rl")
    checks.append(Check(
        "RL on this policy class follows d (alpha - beta d), as its continuous limit predicts (a KL-regularised "
        "optimum against a linear proxy on a Gaussian base is a mean shift, whose gold gain is quadratic in d); "
        f"Gao et al.'s RL form d (alpha - beta log d), found for PPO on language models, is reported beside it "
        f"(fits on d <= {d_cap:.2f})",
        f"R^2 of d (alpha - beta d) > {config.r2_rl:g} for every seed",
        f"d (alpha - beta d): R^2 {rl_quadratic.min():.4f} .. {rl_quadratic.max():.4f}; "
        f"d (alpha - beta log d): R^2 {rl_log.min():.4f} .. {rl_log.max():.4f}",
        bool(np.all(rl_quadratic > config.r2_rl))))
    tv = np.asarray([u["sweep"]["trained_tv"] for u in missp])
    worst_beta = config.betas[int(np.argmax(tv.max(axis=0)))]
    checks.append(Check("the pool policy trained by Adam on E[proxy] - beta KL reaches the closed-form optimum "
                        "pi ∝ base exp(proxy / beta)", f"total variation < {config.optimum_tv:g} for every beta "
                        "and seed", f"largest {tv.max():.2e} (beta = {worst_beta:.3g})",
                        bool(tv.max() < config.optimum_tv)))
    bon_gold, bon_se = _pooled_mean([u["bon"]["gold"] for u in missp])
    bon_proxy, _ = _pooled_mean([u["bon"]["proxy"] for u in missp])
    rl_gold, _ = _pooled_mean([u["rl"]["gold"] for u in missp])
    rl_proxy, _ = _pooled_mean([u["rl"]["proxy"] for u in missp])
    rl_d, _ = _pooled_mean([u["rl"]["d"] for u in missp])
    curves_out = {"analytic": {"ns": ns.tolist(), "gold": gold.tolist(), "gold_se": gold_se.tolist(),
                               "exact_gold": exact_gold.tolist(), "kl": kl.tolist(), "kl_se": kl_se.tolist(),
                               "exact_kl": exact_kl.tolist(),
                               "fits": {form: fit._asdict() for form, fit in analytic_fits.items()}},
                  "best_of_n": {"ns": list(missp[0]["bon"]["ns"]), "d": list(missp[0]["bon"]["d"]),
                                "gold": bon_gold.tolist(), "gold_se_between_seeds": bon_se.tolist(),
                                "proxy": bon_proxy.tolist(), "base_gold": -config.curvature},
                  "rl": {"d": rl_d.tolist(), "gold": rl_gold.tolist(), "proxy": rl_proxy.tolist()},
                  "fits_per_seed": fits, "rl_fit_d_cap": d_cap}
    return checks, rows, curves_out


def _figure(config: RewardHackingConfig, curves: Mapping[str, Any], missp: list[Mapping[str, Any]]) -> plt.Figure:
    from equilibria.applications.rlhf.reward_hacking import goodhart_form

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.3))
    fits = curves["fits_per_seed"]
    ax_bon, ax_rl, ax_a = axes
    for i, (u, f) in enumerate(zip(missp, fits, strict=True)):
        colour = f"C{i % 10}"
        first = i == 0
        d = np.asarray(u["bon"]["d"])
        ax_bon.errorbar(d, np.asarray(u["bon"]["gold"]) + config.curvature, yerr=u["bon"]["gold_se"], fmt="o",
                        ms=3, color=colour, label="gold gain (per seed)" if first else None)
        grid = np.linspace(0, d.max(), 100)
        fit = f["best-of-n / best_of_n"]
        ax_bon.plot(grid, goodhart_form(grid, fit["alpha"], fit["beta"], "best_of_n"), "-", color=colour, lw=0.8,
                    label="fit d (alpha - beta d)" if first else None)
        ax_bon.plot(d, np.asarray(u["bon"]["proxy"]) - u["bon"]["proxy"][0], ":", color=colour,
                    label="proxy gain" if first else None)
        base = u["base_gold_pool"]
        ax_rl.plot(u["rl"]["d"], np.asarray(u["rl"]["gold"]) - base, "-", color=colour,
                   label="gold gain along training" if first else None)
        ax_rl.plot(u["sweep"]["d"], np.asarray(u["sweep"]["gold"]) - base, "x", color=colour, ms=4,
                   label="gold gain at KL-regularised optima" if first else None)
        ax_rl.plot(u["rl"]["d"], np.asarray(u["rl"]["proxy"]) - u["rl"]["proxy"][0], ":", color=colour,
                   label="proxy gain" if first else None)
        grid = np.linspace(0, curves["rl_fit_d_cap"], 100)
        for form, style in (("best_of_n", "--"), ("rl", "-.")):
            fit = f[f"RL (training) / {form}"]
            ax_rl.plot(grid, goodhart_form(grid, fit["alpha"], fit["beta"], form), style, color=colour, lw=0.8,
                       label=("fit d (alpha - beta d)" if form == "best_of_n" else "fit d (alpha - beta log d)")
                       if first else None)
    ax_bon.set(xlabel="d = sqrt(KL)", ylabel="gain over the base policy", ylim=(-2, None),
               title="best-of-n, misspecified reward model")
    ax_rl.axvline(curves["rl_fit_d_cap"], color="grey", lw=0.8, ls=":")
    ax_rl.set(xlabel="d = sqrt(KL)", ylim=(-3, None), title="softmax pool policy (Adam), misspecified reward model")
    for ax in (ax_bon, ax_rl):
        ax.axhline(0, color="black", lw=0.5)
        ax.legend(fontsize=7)
    a = curves["analytic"]
    ns = np.asarray(a["ns"])
    ax_a.errorbar(ns, a["gold"], yerr=np.asarray(a["gold_se"]) * 4, fmt="o", label="simulated gold (+- 4 se)")
    ax_a.plot(ns, a["exact_gold"], "-", label="E[max of n N(0,1)] / sqrt 2 (quadrature)")
    ax_a.plot(ns, a["kl"], "s", label="KL from the kept sample's rank")
    ax_a.plot(ns, a["exact_kl"], "--", label="log n - (n-1)/n")
    ax_a.set(xscale="log", xlabel="n", title="best-of-n, proxy = gold + N(0,1)")
    ax_a.legend(fontsize=7)
    fig.tight_layout()
    return fig


def run_experiment(config: RewardHackingConfig, context: Context) -> ExperimentResult:
    results = context.sweep(unit, _cells(config), "reward hacking")
    analytic = [r for r in results if r["kind"] == "analytic"]
    missp = [r for r in results if r["kind"] == "misspecified"]
    checks, rows, curves = _checks_and_fits(config, analytic, missp)
    a = curves["analytic"]
    analytic_rows = tuple((n, f"{g:.4f} +- {se:.4f}", f"{e:.4f}", f"{k:.4f} +- {kse:.4f}", f"{ke:.4f}")
                          for n, g, se, e, k, kse, ke in zip(a["ns"], a["gold"], a["gold_se"], a["exact_gold"],
                                                             a["kl"], a["kl_se"], a["exact_kl"], strict=True))
    tables = (
        Table(f"Gao et al.'s forms fitted per seed (gold gain over the base policy; mean +- sd over seeds; RL "
              f"curves on d <= {curves['rl_fit_d_cap']:.2f})",
              ("curve", "form", "alpha", "beta", "R^2 (lowest)", "R^2 (mean)", "seeds"), tuple(rows)),
        Table("Best-of-n with gold ~ N(0,1), proxy = gold + N(0,1): simulation against the analytic values",
              ("n", "gold (simulated)", "E[max_n] / sqrt 2", "KL (from ranks)", "log n - (n-1)/n"), analytic_rows),
    )
    figures = (context.save_figure(_figure(config, curves, missp), "goodhart_curves.png",
                                   "Gold and proxy gains against d = sqrt(KL): best-of-n and the softmax pool policy "
                                   "against a misspecified linear reward model, with Gao et al.'s forms fitted; "
                                   "right: best-of-n against the analytic values."),)
    summary = {"curves": curves, "thetas": [u["theta"] for u in missp], "seeds": config.seeds}
    return ExperimentResult(summary, tuple(checks), tables, figures)


EXPERIMENT = register(Experiment(
    name="reward-hacking",
    title="Reward hacking measured: Goodhart curves of best-of-n and KL-regularised optimisation (Gao et al. 2022)",
    description="Gold and proxy reward against d = sqrt(KL) for best-of-n sampling and a softmax policy trained "
                "against a misspecified Bradley-Terry reward model; Gao, Schulman and Hilton's functional forms "
                "fitted; best-of-n checked against E[max of n normals] / sqrt 2 and log n - (n-1)/n.",
    full=RewardHackingConfig(),
    quick=RewardHackingConfig(ns=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512), draws=1024, bon_seeds=2,
                              analytic_units=1, seeds=2, pool_size=2**16, optima_pool_size=2**20,
                              steps=600, sweep_steps=500),
    run=run_experiment,
))
