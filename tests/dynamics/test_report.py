"""The verdict on one run (rest points, convergence against an unstable linearisation) and typed or seeded starts."""

from __future__ import annotations

from collections.abc import Iterator

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria.core.errors import GameError
from equilibria.dynamics.analysis import spectral_radius
from equilibria.dynamics.gradient import extragradient, gda
from equilibria.dynamics.no_regret import hedge
from equilibria.dynamics.report import PERTURBATION, parse_profile, random_start, run_verdict
from equilibria.dynamics.run import distance_to, run
from equilibria.games import zoo as normal_form_zoo
from equilibria.games.zoo import differentiable as differentiable_zoo

JORDAN = normal_form_zoo.get("three-player-matching-pennies").mixed_extension()
TEMPLATE = tuple(np.asarray([1 / 3, 2 / 3]) for _ in range(3))


def uniform() -> tuple[jax.Array, ...]:
    """Jordan's equilibrium, in the precision of the context it is built in (float64 under the x64 fixture)."""
    return tuple(jnp.full(2, 0.5) for _ in range(3))


@pytest.fixture
def x64() -> Iterator[None]:
    with jax.enable_x64(True):
        yield


def _verdict(dynamics, game, start, equilibrium, *, steps=200, radius=None):  # type: ignore[no-untyped-def]
    state = dynamics.init(game, start)
    metrics = {"distance": distance_to(equilibrium)}
    trajectory = run(dynamics, game, state, steps=steps, record_every=10, metrics=metrics)
    return run_verdict(dynamics, game, state, trajectory, metric="distance", metrics=metrics, linear_radius=radius,
                       record_every=10, key=jax.random.key(1))


def test_a_start_at_an_unstable_rest_point_is_named_and_a_perturbed_start_diverges(x64: None) -> None:
    dynamics = gda(0.1)
    radius = spectral_radius(dynamics, JORDAN, dynamics.init(JORDAN, uniform()))
    verdict = _verdict(dynamics, JORDAN, uniform(), uniform(), radius=radius)
    assert verdict.outcome == "at rest" and verdict.started_at_rest_point
    check = verdict.perturbation
    assert check is not None and check.response == "grows"
    assert check.start_separation == pytest.approx(PERTURBATION, rel=1e-9)
    # 1e-6 grown by the unstable modulus sqrt(1.24) per step until the boundary stops it
    assert check.last_separation is not None and check.last_separation > 0.1
    assert verdict.note is not None and verdict.note.startswith("started at a rest point")
    assert "the linearisation is unstable (spectral radius 1.11355)" in verdict.note and "diverges" in verdict.note


def test_convergence_on_the_stable_subspace_of_an_unstable_equilibrium_is_not_left_unqualified(x64: None) -> None:
    # The command line's default start for this game, (1/3, 2/3), (2/3, 1/3), (1/3, 2/3), is the Jacobian's real
    # eigenvector: GDA converges from it although the equilibrium is unstable.
    dynamics = gda(0.1)
    start = (jnp.asarray([1 / 3, 2 / 3]), jnp.asarray([2 / 3, 1 / 3]), jnp.asarray([1 / 3, 2 / 3]))
    radius = spectral_radius(dynamics, JORDAN, dynamics.init(JORDAN, uniform()))
    verdict = _verdict(dynamics, JORDAN, start, uniform(), radius=radius)
    assert verdict.outcome == "converged" and not verdict.started_at_rest_point
    assert verdict.perturbation is not None and verdict.perturbation.response == "grows"
    assert verdict.note is not None and verdict.note.startswith("converged although the linearisation is unstable")


def test_a_stable_rest_point_pulls_a_perturbed_start_back(x64: None) -> None:
    game = differentiable_zoo.get("bilinear")
    origin = (jnp.zeros(()), jnp.zeros(()))
    dynamics = extragradient(0.5)
    radius = spectral_radius(dynamics, game, dynamics.init(game, origin))
    verdict = _verdict(dynamics, game, origin, origin, steps=500, radius=radius)
    assert verdict.outcome == "at rest"
    assert verdict.perturbation is not None and verdict.perturbation.response == "decays"
    assert verdict.note is not None and "converges back" in verdict.note


def test_normal_form_learners_get_the_rest_point_check_too(x64: None) -> None:
    verdict = _verdict(hedge(0.1), JORDAN, uniform(), uniform())
    assert verdict.outcome == "at rest" and verdict.perturbation is not None
    assert verdict.perturbation.response == "grows"  # Hedge spirals out of Jordan's equilibrium


def test_an_ordinary_run_needs_no_note(x64: None) -> None:
    game = differentiable_zoo.get("bilinear")
    origin = (jnp.zeros(()), jnp.zeros(()))
    dynamics = gda(0.1)
    radius = spectral_radius(dynamics, game, dynamics.init(game, origin))
    verdict = _verdict(dynamics, game, (jnp.asarray(1.0), jnp.asarray(1.0)), origin, radius=radius)
    assert verdict.outcome == "diverging" and verdict.perturbation is None and verdict.note is None
    document = verdict.as_dict()
    assert document["last_iterate"] == "diverging" and document["perturbed_start"] is None


# -- starts ------------------------------------------------------------------------------------------------------
def test_parse_profile_reads_decimals_and_fractions_and_renormalises() -> None:
    profile = parse_profile("0.25,0.75; 1/3, 2/3 ;1e-1,9e-1", JORDAN, TEMPLATE)
    np.testing.assert_allclose([np.asarray(p) for p in profile], [[0.25, 0.75], [1 / 3, 2 / 3], [0.1, 0.9]])
    nearly = parse_profile("0.3333333,0.6666667;0.5,0.5;0.5,0.5", JORDAN, TEMPLATE)
    assert float(nearly[0].sum()) == pytest.approx(1.0, abs=1e-15)
    scalars = parse_profile("1.5;-2", differentiable_zoo.get("bilinear"), (jnp.asarray(1.0), jnp.asarray(1.0)))
    assert [float(p) for p in scalars] == [1.5, -2.0] and scalars[0].shape == ()


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty"),
    ("0.5,0.5;0.5,0.5", "2 player(s) given, the game has 3"),
    ("0.5,0.5;0.5,0.5;1", "player 3 has 1 number(s), its parameters hold 2"),
    ("0.5,0.6;0.5,0.5;0.5,0.5", "sum to 1, got sum 1.1"),
    ("-0.5,1.5;0.5,0.5;0.5,0.5", "must be >= 0"),
    ("nan,0.5;0.5,0.5;0.5,0.5", "'nan' is not a number"),
    ("1e999,0;0.5,0.5;0.5,0.5", "'1e999' is not a finite number"),
    ("1e99999,0;0.5,0.5;0.5,0.5", "'1e99999' is not a number"),
    ("0x1,0;0.5,0.5;0.5,0.5", "'0x1' is not a number"),
    ("١,0;0.5,0.5;0.5,0.5", "is not a number"),
    ("1/0,0;0.5,0.5;0.5,0.5", "'1/0' is not a finite number"),
])
def test_parse_profile_refuses_with_one_line(text: str, message: str) -> None:
    with pytest.raises(GameError) as error:
        parse_profile(text, JORDAN, TEMPLATE)
    assert message in str(error.value) and "\n" not in str(error.value)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**63 - 1))
def test_random_start_is_a_function_of_the_seed_inside_the_sets(seed: int) -> None:
    with jax.enable_x64(True):
        first = random_start(JORDAN, TEMPLATE, key=jax.random.key(seed))
        second = random_start(JORDAN, TEMPLATE, key=jax.random.key(seed))
        other = random_start(JORDAN, TEMPLATE, key=jax.random.key(seed ^ 1))
        points = [np.asarray(p) for p in first]
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other, strict=True))
    for p in points:
        assert p.min() >= 0 and p.sum() == pytest.approx(1.0, abs=1e-12)
