"""Smoke test of benchmarks/cooperative.py: a tiny run renders its section, and the plain NumPy loop is the same
learner (the same rewards, counterfactuals and advantages as equilibria's, and it learns)."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

pytest.importorskip("jax")

from benchmarks import cooperative as bench  # noqa: E402

from equilibria.applications.marl import cooperative, credit  # noqa: E402


def test_tiny_run_renders_the_section(monkeypatch) -> None:
    # Two settings (the climbing game's shapes are shared with the credit tests): a few seconds.
    settings = [s for s in bench.settings() if s[0] in ("climbing", "box lifting (episodes)")]
    monkeypatch.setattr(bench, "settings", lambda: settings)
    rows = bench.run_benchmark(bench.TINY)
    report = bench.Report(rows, bench.TINY, "python benchmarks/cooperative.py (smoke test)", "now", 1.0)
    text = bench.render(report)
    assert text.startswith(bench.MARKERS[0]) and text.rstrip().endswith(bench.MARKERS[1])
    assert [r.game for r in rows] == ["climbing", "box lifting (episodes)"]
    assert all(r.ours > 0 and r.numpy > 0 and r.ratio > 0 for r in rows)


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
