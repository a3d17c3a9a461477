"""Smoke test of benchmarks/cooperative.py: a tiny run renders its section, and the plain NumPy loop is the same
learner (the same rewards, counterfactuals and advantages as equilibria's, and it learns)."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np
import pytest

pytest.importorskip("jax")

import jax  # noqa: E402
from benchmarks import cooperative as bench  # noqa: E402

from equilibria.applications.marl import cooperative, credit  # noqa: E402
from equilibria.applications.marl import emergent_language as el  # noqa: E402
from equilibria.applications.marl import signaling as sg  # noqa: E402
from equilibria.applications.marl import signaling_dynamics as sd  # noqa: E402


def test_tiny_run_renders_the_section(monkeypatch) -> None:
    # One credit setting (the climbing game's) and the signaling and emergent-language rows: a few seconds.
    settings = [s for s in bench.settings() if s[0] == "climbing"]
    monkeypatch.setattr(bench, "settings", lambda: settings)
    rows = bench.run_benchmark(bench.TINY)
    report = bench.Report(rows, bench.TINY, "python benchmarks/cooperative.py (smoke test)", "now", 1.0)
    text = bench.render(report)
    assert text.startswith(bench.MARKERS[0]) and text.rstrip().endswith(bench.MARKERS[1])
    assert [r.game for r in rows] == ["climbing", *bench.other_settings()]
    assert all(r.ours > 0 and r.numpy > 0 and r.ratio > 0 and r.compile_seconds > 0 for r in rows)


@pytest.mark.parametrize("kind", ["roth-erev", "reinforce"])
def test_the_numpy_lewis_round_is_the_same_update(kind: str) -> None:
    """On the draws equilibria's round makes with a key, the NumPy round moves the urns (logits) and the baseline
    exactly as it does; and the NumPy loop learns the N = 2 game."""
    prior = sg.uniform_prior(3)
    jprior = jnp.asarray(prior, jnp.float32)
    rng = np.random.default_rng(1)
    state: Any
    if kind == "roth-erev":
        state = sd.RothErevState(jnp.asarray(rng.integers(1, 5, (3, 3)), jnp.float32),
                                 jnp.asarray(rng.integers(1, 5, (3, 3)), jnp.float32))
    else:
        state = sd.ReinforceState(jnp.asarray(rng.normal(size=(3, 3)), jnp.float32),
                                  jnp.asarray(rng.normal(size=(3, 3)), jnp.float32), jnp.asarray(0.3, jnp.float32))
    episode = jax.jit(sd._episode)  # one compilation each, not one per operation
    update = jax.jit(sd.roth_erev_update if kind == "roth-erev" else sd.reinforce_update)
    for k in range(6):
        key = jax.random.PRNGKey(k)
        s, r = (np.asarray(x) for x in bench.lewis_policies(kind, *(np.asarray(x, np.float64) for x in state[:2])))
        nature, signal, act = (int(x) for x in episode(key, jprior, jnp.asarray(s, jnp.float32),
                                                       jnp.asarray(r, jnp.float32)))
        if kind == "roth-erev":
            new = update(jprior, state, key)
            baseline = 0.0
        else:
            new = update(jprior, state, key, bench.LEWIS_LEARNING_RATE, bench.LEWIS_BASELINE_RATE)
            baseline = float(state.baseline)
        ours = bench.numpy_lewis_step(kind, np.array(state[0], np.float64), np.array(state[1], np.float64), baseline,
                                      nature, signal, act)
        assert np.allclose(ours[0], new[0], atol=1e-5) and np.allclose(ours[1], new[1], atol=1e-5)
        if kind == "reinforce":
            assert ours[2] == pytest.approx(float(new.baseline), abs=1e-6)
        state = new
    s, r = bench.numpy_lewis(kind, sg.uniform_prior(2), 2000, np.random.default_rng(0))
    assert sg.payoff(sg.uniform_prior(2), s, r) > 0.9


def test_the_numpy_emergent_minibatch_is_the_same_update() -> None:
    """From the uniforms equilibria's factored REINFORCE draws with a key, the NumPy minibatch gives the same logits
    and baselines (float32 against float64)."""
    game = el.compositional_game(3)
    learner = bench.emergent_learner(bench.TINY)
    state = learner.init(game, jax.random.key(0))
    rng = np.random.default_rng(2)
    state = el.ReinforceState(jnp.asarray(rng.normal(size=state.sender.shape), jnp.float32),
                              jnp.asarray(rng.normal(size=state.receiver.shape), jnp.float32),
                              jnp.asarray([0.4, 0.5, 0.3], jnp.float32), state.t)
    sender, receiver, baseline = (np.array(x, np.float64) for x in (state.sender, state.receiver, state.baseline))
    update = jax.jit(learner.update, static_argnums=0)
    for k in range(4):
        key = jax.random.key(k)
        u = np.asarray(jax.random.uniform(key, (5, bench.TINY.emergent_batch)), np.float64)
        bench.numpy_emergent_step(game, sender, receiver, baseline, u)
        state = update(game, state, key)
        assert np.allclose(sender, state.sender, atol=1e-5) and np.allclose(receiver, state.receiver, atol=1e-5)
        assert np.allclose(baseline, state.baseline, atol=1e-6)


@pytest.mark.parametrize("game", [cooperative.coordination(7, 2), cooperative.climbing()], ids=["count", "climbing"])
def test_the_numpy_loop_computes_the_same_advantages(game: cooperative.TeamGame) -> None:
    rng = np.random.default_rng(0)
    pi = rng.dirichlet(np.ones(game.n_actions), size=game.n_agents)
    for _ in range(5):
        actions = rng.integers(game.n_actions, size=game.n_agents)
        reward, cf = bench.numpy_counterfactuals(bench.numpy_table(game), actions)
        assert np.allclose(cf, np.asarray(game.counterfactuals(jnp.asarray(actions))), atol=1e-6)
        for e in credit.ESTIMATORS:
            ours = credit.advantages(e, np.array(reward), cf, pi, int(game.default), 0.3)
            assert np.allclose(bench.numpy_advantages(e, reward, cf, pi, int(game.default), 0.3), ours)


def test_the_numpy_loop_learns() -> None:
    game = cooperative.coordination(10)
    policies = np.stack([bench.numpy_one_shot(game, "difference", 20.0, 300, np.random.default_rng(k))
                         for k in range(3)])
    assert credit.success(game, policies).all()
    box = cooperative.box_lifting()
    final = bench.numpy_episodic(box, "coma", 0.2, 30, 4, np.random.default_rng(0))
    assert final.shape == (2, 3, 2) and np.allclose(final.sum(-1), 1.0)
