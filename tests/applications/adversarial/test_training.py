"""Training: robust methods raise robust accuracy on two-moons; the game view runs through the dynamics engine."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from equilibria.applications.adversarial import attacks, data, game, training
from equilibria.applications.adversarial.models import Architecture, Model
from equilibria.core.errors import GameError
from equilibria.core.sets import Box

EPS = 0.25
NET = Architecture("mlp", width=16, depth=2)


@pytest.fixture(scope="module")
def moons():
    return data.load("moons", n_moons=400)


def _robust(run, moons) -> float:
    params = training.seed_params(run.result, 0)
    found = attacks.pgd(run.model, params, moons.x_test, moons.y_test, eps=EPS, steps=10, restarts=2,
                        key=jax.random.PRNGKey(0))
    return float((found.margins > 0).mean())


def test_robust_training_raises_robust_accuracy_on_two_moons(moons):
    common = dict(architecture=NET, eps=EPS, epochs=25, batch_size=50, learning_rate=1e-2, attack_steps=3)
    standard = training.train(training.TrainConfig(method="standard", **common), moons, [0])
    robust = training.train(training.TrainConfig(method="pgd", **common), moons, [0])
    played = game.train_game(game.GameConfig(method="alternating_gda", architecture=NET, eps=EPS, epochs=25,
                                             batch_size=50, learning_rate=1e-2, attacker_steps=3), moons, [0])
    for run in (standard, robust, played):
        assert run.completed and run.epochs_run == 25 and not bool(run.result.diverged[0])
        assert float(run.result.losses[0, -1]) < float(run.result.losses[0, 0])  # the learner's loss fell
    base, pgd_trained, game_trained = _robust(standard, moons), _robust(robust, moons), _robust(played, moons)
    assert pgd_trained > base + 0.05 and game_trained > base + 0.05, (base, pgd_trained, game_trained)


def test_the_game_keeps_the_attacker_in_the_ball_and_moves_both_players(moons):
    model = Model.build(NET, 2, 2)
    x, y = jnp.asarray(moons.x_train[:8]), jnp.asarray(moons.y_train[:8])
    batch = game.GameBatch(x, y, jnp.asarray(1.0))
    the_game = game.adversarial_game(model, batch, eps=0.1, norm="linf")
    assert the_game.constraints[0] == Box(-0.1, 0.1) and the_game.n_players == 2
    params = (game.Perturbation(jnp.zeros((8, 2))), model.init(jax.random.PRNGKey(0)))
    losses = the_game.losses(params)
    assert np.isclose(losses[0], -losses[1])  # zero-sum when the learner moves
    config = game.GameConfig(method="gda", eps=0.1, attacker_step_size=0.3, learning_rate=1e-2)
    dynamics = game.build_dynamics(config)
    state = dynamics.init(the_game, params)
    step = jax.jit(dynamics.update)  # one compilation serves both games (same structure, other data)
    moved = step(the_game, state)
    delta = np.asarray(moved.params[0].delta)
    assert np.all(np.abs(delta) <= 0.1 + 1e-7) and np.abs(delta).max() == pytest.approx(0.1)  # clipped steps
    assert moved.params[0].delta.shape == (8, 2)
    changed = jax.tree_util.tree_map(lambda a, b: bool(jnp.any(a != b)), moved.params[1], params[1])
    assert any(jax.tree_util.tree_leaves(changed))
    # a step with learner weight 0 leaves the learner (and its Adam state) where it was
    idle = game.adversarial_game(model, game.GameBatch(x, y, jnp.asarray(0.0)), eps=0.1, norm="linf")
    still = step(idle, state)
    same = jax.tree_util.tree_map(lambda a, b: bool(jnp.all(a == b)), still.params[1], params[1])
    assert all(jax.tree_util.tree_leaves(same))


def test_budgets_and_bad_configurations(moons):
    config = training.TrainConfig(method="fgsm", architecture=Architecture("linear"), eps=EPS, epochs=50,
                                  batch_size=50)
    run = training.train(config, moons, [0, 1], max_seconds=1e-6)
    assert not run.completed and run.epochs_run == 0 and "max_seconds" in run.stopped_because
    assert run.result.losses.shape == (2, 1)
    for make, text in ((lambda: training.TrainConfig(method="free"), "method"),
                       (lambda: training.TrainConfig(eps=-0.1), "eps"),
                       (lambda: training.TrainConfig(epochs=0), "epochs"),
                       (lambda: game.GameConfig(method="cgd"), "method"),
                       (lambda: data.load("mnist"), "data set"),
                       (lambda: training.train(config, moons, []), "seeds"),
                       (lambda: Model.build(Architecture("cnn"), 30, 2), "image_shape")):
        with pytest.raises(GameError, match=text) as info:
            make()
        assert "\n" not in str(info.value)
