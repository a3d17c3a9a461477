"""Tests of equilibria.applications.irl.mdp and .worlds: validation, the pytree, the generators' structure."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from equilibria.applications.irl import soft_values as sv
from equilibria.applications.irl.mdp import TabularMDP, make_mdp
from equilibria.applications.irl.worlds import cliff_world, gridworld, objectworld, reasonable_pomdp
from equilibria.core.errors import GameError


def _parts(n_states: int = 3, n_actions: int = 2) -> dict:
    rng = np.random.default_rng(0)
    return {
        "transitions": rng.dirichlet(np.ones(n_states), size=(n_states, n_actions)),
        "features": np.eye(n_states),
        "reward": rng.normal(size=n_states),
        "initial": np.full(n_states, 1.0 / n_states),
    }


def _build(horizon: int | None = 4, discount: float = 0.9, **changes: object) -> TabularMDP:
    parts = {**_parts(), **changes}
    return make_mdp(**parts, horizon=horizon, discount=discount)  # type: ignore[arg-type]


def test_make_mdp_stores_float64_and_sizes() -> None:
    mdp = _build()
    assert (mdp.n_states, mdp.n_actions, mdp.n_features) == (3, 2, 3)
    assert mdp.transitions.dtype == np.float64 and mdp.finite
    assert not _build(horizon=None).finite


def _bad_transitions() -> np.ndarray:
    t = _parts()["transitions"].copy()
    t[1, 0, 0] += 0.01
    return t


def _negative_transitions() -> np.ndarray:
    t = np.zeros((3, 2, 3))
    t[..., 0] = 1.2
    t[..., 1] = -0.2
    return t


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"transitions": _bad_transitions()}, "transitions must sum to 1"),
        ({"transitions": _negative_transitions()}, "transitions has a negative probability"),
        ({"transitions": np.full((3, 2, 3), np.nan)}, "transitions contains NaN or inf"),
        ({"transitions": np.ones((3, 2, 2)) / 2}, r"transitions must have shape \[S, A, S\]"),
        ({"transitions": np.ones((3, 3)) / 3}, "transitions must have 3 dimensions"),
        ({"features": np.eye(4)}, "features has 4 states"),
        ({"reward": np.zeros(2)}, "reward has 2 states"),
        ({"reward": np.array([0.0, np.inf, 0.0])}, "reward contains NaN or inf"),
        ({"initial": np.array([0.5, 0.5, 0.5])}, "initial must sum to 1"),
        ({"initial": np.array([1.5, -0.5, 0.0])}, "initial has a negative probability"),
        ({"features": "abc"}, "features must be a numeric array"),
        ({"horizon": -1}, "horizon must be >= 0"),
        ({"horizon": 2.5}, "horizon must be an int or None"),
        ({"discount": 1.5}, r"discount must be in \[0, 1\]"),
        ({"discount": -0.1}, r"discount must be in \[0, 1\]"),
        ({"horizon": None, "discount": 1.0}, "discount must be < 1 with an infinite horizon"),
    ],
)
def test_make_mdp_rejects_bad_input_in_one_line(changes: dict, match: str) -> None:
    horizon = changes.pop("horizon", 4)
    discount = changes.pop("discount", 0.9)
    with pytest.raises(GameError, match=match) as info:
        _build(horizon=horizon, discount=discount, **changes)  # type: ignore[arg-type]
    assert "\n" not in str(info.value) and str(info.value).startswith("make_mdp:")


def test_replace_validates_again() -> None:
    mdp = _build()
    assert mdp.replace(discount=0.5).discount == 0.5
    with pytest.raises(GameError, match="discount must be < 1"):
        mdp.replace(horizon=None, discount=1.0)


def test_pytree_roundtrip_keeps_static_data_and_vmaps() -> None:
    mdp = _build(horizon=3, discount=0.8)
    leaves, tree = jax.tree_util.tree_flatten(mdp)
    assert len(leaves) == 4
    again = jax.tree_util.tree_unflatten(tree, leaves)
    assert (again.horizon, again.discount) == (3, 0.8)
    # two MDPs of one shape stack and batch under vmap
    other = make_mdp(**{**_parts(), "reward": np.arange(3.0)}, horizon=3, discount=0.8)
    stacked = jax.tree_util.tree_map(lambda a, b: jnp.stack([a, b]), mdp, other)
    values = jax.vmap(lambda m: sv.soft_value_iteration(m, m.reward).v)(stacked)
    assert values.shape == (2, 4, 3)
    single = sv.soft_value_iteration(other, other.reward).v
    np.testing.assert_allclose(values[1], single, rtol=1e-5)


def _check_grid_transitions(mdp: TabularMDP) -> None:
    np.testing.assert_allclose(mdp.transitions.sum(-1), 1.0, atol=1e-12)
    assert np.all(mdp.transitions >= 0)


def test_gridworld_moves_slip_and_macro_blocks() -> None:
    mdp = gridworld(4, slip=0.0, macro_block=2, seed=3)
    _check_grid_transitions(mdp)
    assert mdp.n_states == 16 and mdp.n_actions == 5
    np.testing.assert_array_equal(mdp.features, np.eye(16))
    # from (1, 1) = state 5: stay, up -> 1, down -> 9, left -> 4, right -> 6
    assert [int(np.argmax(mdp.transitions[5, a])) for a in range(5)] == [5, 1, 9, 4, 6]
    # walls: up from the top-left corner stays
    assert mdp.transitions[0, 1, 0] == 1.0
    # the reward is constant on each 2 x 2 block
    grid = mdp.reward.reshape(4, 4)
    for br in range(2):
        for bc in range(2):
            block = grid[2 * br : 2 * br + 2, 2 * bc : 2 * bc + 2]
            assert np.ptp(block) == 0.0
    slippery = gridworld(4, slip=0.5, macro_block=2, seed=3)
    # intended move with prob 1 - slip + slip / 5; each other distinct target with prob slip / 5
    assert slippery.transitions[5, 4, 6] == pytest.approx(0.5 + 0.1)
    assert slippery.transitions[5, 4, 1] == pytest.approx(0.1)
    np.testing.assert_array_equal(slippery.reward, mdp.reward)  # same seed, same reward
    assert not np.array_equal(gridworld(4, seed=4).reward, gridworld(4, seed=3).reward)
    assert np.array_equal(gridworld(4, seed=np.random.default_rng(7)).reward, gridworld(4, seed=7).reward)


def test_objectworld_reward_follows_the_rule_and_features() -> None:
    size = 8
    mdp = objectworld(size, n_colours=3, seed=5)
    _check_grid_transitions(mdp)
    assert mdp.n_features == 2 * 3 * size
    assert set(np.unique(mdp.reward)) <= {-1.0, 0.0, 1.0}
    cont = objectworld(size, n_colours=3, continuous_features=True, seed=5)
    assert cont.n_features == 6
    np.testing.assert_array_equal(cont.reward, mdp.reward)
    outer0, outer1 = cont.features[:, 0], cont.features[:, 1]
    expected = np.where((outer0 <= 3) & (outer1 <= 2), 1.0, np.where(outer0 <= 3, -1.0, 0.0))
    np.testing.assert_array_equal(mdp.reward, expected)
    # binary feature (outer colour c, radius d) is [distance to colour c <= d]
    radii = np.arange(1, size + 1)
    for c in range(3):
        np.testing.assert_array_equal(mdp.features[:, c * size : (c + 1) * size], cont.features[:, [c]] <= radii)
    # an object sits at distance 0 of itself: the colour-0 and colour-1 objects exist
    assert outer0.min() == 0.0 and outer1.min() == 0.0
    assert np.any(mdp.reward == -1.0)


def test_cliff_world_layout() -> None:
    mdp = cliff_world(5, 3, horizon=6)
    _check_grid_transitions(mdp)
    np.testing.assert_array_equal(
        mdp.reward.reshape(3, 5), [[-1] * 5, [-1] * 5, [-1, -10, -10, -10, 10]]
    )
    assert mdp.initial[10] == 1.0 and mdp.horizon == 6 and mdp.n_actions == 4
    # the optimal route climbs over the cliff: the start cell's greedy action is "up" (action 0)
    policy = np.asarray(sv.optimal_policy(mdp, mdp.reward))
    assert policy[0, 10, 0] == 1.0


def test_reasonable_pomdp_is_imitations_test_mdp() -> None:
    mdp = reasonable_pomdp()
    assert (mdp.n_states, mdp.n_actions, mdp.n_features, mdp.horizon, mdp.discount) == (5, 3, 8, 20, 1.0)
    np.testing.assert_array_equal(mdp.reward, [1, 2, 2, -20, 3])
    np.testing.assert_array_equal(mdp.initial, [0.5, 0, 0, 0, 0.5])
    assert reasonable_pomdp(discount=0.5).discount == 0.5


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: gridworld(0), "gridworld: size must be an int >= 1"),
        (lambda: gridworld(3, slip=1.5), r"gridworld: slip must be in \[0, 1\]"),
        (lambda: gridworld(3, macro_block=0), "gridworld: macro_block must be an int >= 1"),
        (lambda: objectworld(3, n_colours=1), "objectworld: n_colours must be an int >= 2"),
        (lambda: objectworld(2, n_objects=5), "objectworld: n_objects must be <= size"),
        (lambda: cliff_world(2, 3), "cliff_world: width must be an int >= 3"),
        (lambda: gridworld(3, discount=2.0), r"make_mdp: discount must be in \[0, 1\]"),
    ],
)
def test_world_generators_reject_bad_arguments(call, match: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(GameError, match=match) as info:
        call()
    assert "\n" not in str(info.value)
