"""Spectral analysis of learning dynamics: predicted rates against the literature and against measured runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from equilibria.core.errors import GameError
from equilibria.dynamics.analysis import (
    classify,
    field_eigenvalues,
    measured_rate,
    predicted_bilinear_radius,
    spectral_radius,
    update_operator,
)
from equilibria.dynamics.base import Dynamics
from equilibria.dynamics.gradient import (
    cgd,
    consensus,
    extragradient,
    gda,
    hamiltonian,
    lola,
    lookahead,
    negative_momentum,
    optimistic_gda,
    sga,
)
from equilibria.dynamics.run import distance_to, run
from equilibria.games.differentiable import stack_games
from equilibria.games.zoo import differentiable as zoo

ETA = 0.1
ORIGIN = (jnp.zeros(()), jnp.zeros(()))


@pytest.fixture
def x64() -> Iterator[None]:
    with jax.enable_x64(True):
        yield


def _start() -> tuple[jax.Array, jax.Array]:
    return jnp.asarray(1.0), jnp.asarray(0.5)


# name -> (dynamics at eta = 0.1, the literature's radius on f = x y at a = 0.1, or None, expected class)
BILINEAR: dict[str, tuple[Callable[[], Dynamics], float | None, str]] = {
    "gda": (lambda: gda(ETA), 1.004988, "diverging"),
    "alternating_gda": (lambda: gda(ETA, alternating=True), 1.0, "cycling"),
    "extragradient": (lambda: extragradient(ETA), 0.995038, "converging"),
    "optimistic_gda": (lambda: optimistic_gda(ETA), 0.994936, "converging"),
    "cgd": (lambda: cgd(ETA), 0.995037, "converging"),
    "hamiltonian": (lambda: hamiltonian(ETA), 0.9, "converging"),
    "consensus": (lambda: consensus(ETA, 1.0), 0.905539, "converging"),
    "sga": (lambda: sga(ETA), None, "converging"),
    "negative_momentum": (lambda: negative_momentum(ETA, -0.5), None, "converging"),
    "positive_momentum": (lambda: negative_momentum(ETA, 0.5), None, "diverging"),
    "lookahead": (lambda: lookahead(ETA), None, "converging"),
    "lola": (lambda: lola(ETA), None, "converging"),
}

# Methods whose iteration matrix is a polynomial in the (normal) game Jacobian, or whose non-normal part decays
# fast (OGDA's second root ~0.1): their distance to the equilibrium shrinks by exactly the radius every step.
EXACT_RATE = {"gda", "extragradient", "optimistic_gda", "cgd", "hamiltonian", "consensus", "sga", "lookahead",
              "lola"}


@pytest.mark.parametrize("name", sorted(BILINEAR))
def test_bilinear_radius_matches_the_literature_and_the_trajectory(x64: None, name: str) -> None:
    build, literature, expected = BILINEAR[name]
    dynamics, game = build(), zoo.bilinear(1.0)
    state = dynamics.init(game, _start())
    radius = spectral_radius(dynamics, game, state)
    if literature is not None:
        assert radius == pytest.approx(literature, abs=1e-6)
        assert predicted_bilinear_radius(dynamics.name, 0.1) == pytest.approx(radius, abs=1e-12)
    assert classify(radius) == expected

    trajectory = run(dynamics, game, state, steps=1000, record_every=10, metrics={"distance": distance_to(ORIGIN)})
    distances = np.asarray(trajectory.metrics["distance"])
    if name in EXACT_RATE:
        assert measured_rate(trajectory) == pytest.approx(radius, abs=1e-6)
    # the classification agrees with what the run did
    if expected == "converging":
        assert distances[-1] < 0.5 * distances[0]
    elif expected == "diverging":
        assert distances[-1] > 2 * distances[0]
    else:
        assert np.all((distances > 0.5 * distances[0]) & (distances < 2 * distances[0]))


def test_sga_lookahead_and_lola_rates_on_bilinear(x64: None) -> None:
    # On f = x y: SGA's alignment sign is +1 (<xi, grad H> = 0), so SGA is consensus with gamma = lam; LookAhead
    # with alpha = eta has direction (J + eta I) w, LOLA (J + 2 eta I) w.
    game = zoo.bilinear(1.0)

    def radius(dynamics: Dynamics) -> float:
        return spectral_radius(dynamics, game, dynamics.init(game, _start()))

    assert radius(sga(ETA, 2.0)) == pytest.approx(predicted_bilinear_radius("consensus", ETA, gamma=2.0), abs=1e-12)
    assert radius(lookahead(ETA)) == pytest.approx(np.hypot(1 - ETA ** 2, ETA), abs=1e-12)
    assert radius(lola(ETA)) == pytest.approx(np.hypot(1 - 2 * ETA ** 2, ETA), abs=1e-12)


A_GRID = np.array([0.05, 0.3, 0.45, 0.55, 0.7, 1.2, 1.9, 2.5])


@pytest.mark.parametrize("name", ["gda", "alternating_gda", "extragradient", "optimistic_gda", "cgd", "hamiltonian",
                                  "consensus"])
def test_closed_forms_on_a_grid_of_step_sizes(x64: None, name: str) -> None:
    # eta fixed, sigma = a / eta varies: one compiled operator, vmapped over a stack of games.
    build = BILINEAR[name][0]
    dynamics = consensus(ETA, 0.5) if name == "consensus" else build()
    sigmas = A_GRID / ETA
    games = stack_games([zoo.bilinear(float(s)) for s in sigmas])
    operators = jax.jit(jax.vmap(lambda g: update_operator(dynamics, g, dynamics.init(g, _start()))))(games)
    radii = np.max(np.abs(np.linalg.eigvals(np.asarray(operators))), axis=-1)
    gamma = 0.5 if name == "consensus" else 1.0
    predicted = [predicted_bilinear_radius(name, a, sigma=s, gamma=gamma) for a, s in zip(A_GRID, sigmas, strict=True)]
    np.testing.assert_allclose(radii, predicted, atol=1e-9)


def test_a_hyperparameter_sweep_is_vmap_over_building_the_dynamics(x64: None) -> None:
    game = zoo.bilinear(1.0)
    etas, gammas = jnp.asarray([0.05, 0.1, 0.3]), jnp.asarray([0.5, 1.0, 2.0])

    def operators(build: Callable[..., Dynamics], *hyper: jax.Array) -> np.ndarray:
        def one(*values: jax.Array) -> jax.Array:
            dynamics = build(*values)
            return update_operator(dynamics, game, dynamics.init(game, _start()))

        return np.asarray(jax.jit(jax.vmap(one))(*hyper))

    def radii(ops: np.ndarray) -> np.ndarray:
        return np.max(np.abs(np.linalg.eigvals(ops)), axis=-1)

    np.testing.assert_allclose(radii(operators(consensus, etas, gammas)),
                               [predicted_bilinear_radius("consensus", float(e), gamma=float(g))
                                for e, g in zip(etas, gammas, strict=True)], atol=1e-12)
    np.testing.assert_allclose(radii(operators(cgd, etas)), [predicted_bilinear_radius("cgd", float(e)) for e in etas],
                               atol=1e-12)


def test_alternating_gda_conserves_its_energy(x64: None) -> None:
    for a in (0.5, 1.5, 1.99):
        game = zoo.bilinear(a / ETA)
        dynamics = gda(ETA, alternating=True)
        trajectory = run(dynamics, game, dynamics.init(game, _start()), steps=500)
        x, y = (np.asarray(p) for p in trajectory.params)
        energy = x ** 2 + y ** 2 - a * x * y
        np.testing.assert_allclose(energy, energy[0], rtol=1e-12)
        assert predicted_bilinear_radius("alternating_gda", a) == 1.0
        assert classify(spectral_radius(dynamics, game, trajectory.final_state)) == "cycling"


@pytest.mark.parametrize(("a", "expected"), [(0.55, "converging"), (0.6, "diverging")])
def test_optimistic_gda_converges_iff_a_below_one_over_sqrt3(x64: None, a: float, expected: str) -> None:
    assert (a < 1 / np.sqrt(3)) == (expected == "converging")
    game, dynamics = zoo.bilinear(1.0), optimistic_gda(a)
    state = dynamics.init(game, _start())
    radius = spectral_radius(dynamics, game, state)
    assert radius == pytest.approx(predicted_bilinear_radius("optimistic_gda", a), abs=1e-12)
    assert classify(radius) == expected
    trajectory = run(dynamics, game, state, steps=200, record_every=200, metrics={"distance": distance_to(ORIGIN)})
    final, initial = np.asarray(trajectory.metrics["distance"])[[-1, 0]]
    assert (final < initial) == (expected == "converging")
    assert predicted_bilinear_radius("optimistic_gda", 1 / np.sqrt(3)) == pytest.approx(1.0, abs=1e-12)


def test_predicted_radius_takes_sigma_or_the_learning_rate() -> None:
    # a = eta sigma = 0.4 with eta = 0.2, sigma = 2: Hamiltonian GD contracts by |1 - eta sigma^2| = 0.2.
    assert predicted_bilinear_radius("hamiltonian", 0.4, sigma=2.0) == pytest.approx(0.2, abs=1e-15)
    assert predicted_bilinear_radius("hamiltonian", 0.4, learning_rate=0.2) == pytest.approx(0.2, abs=1e-15)
    assert predicted_bilinear_radius("hamiltonian", 0.4, sigma=2.0, learning_rate=0.2) == pytest.approx(0.2)
    assert predicted_bilinear_radius("consensus", 0.4, learning_rate=0.2, gamma=0.5) == pytest.approx(
        np.hypot(1 - 0.2 * 0.5 * 4, 0.4), abs=1e-15)


def test_rock_paper_scissors_spectrum_and_last_iterates(x64: None) -> None:
    entry = zoo.entry("rps-mixed")
    game, equilibrium = entry.build(), entry.equilibrium()
    eigenvalues = field_eigenvalues(game, equilibrium)
    np.testing.assert_allclose(eigenvalues, [-1j * np.sqrt(3)] * 2 + [0, 0] + [1j * np.sqrt(3)] * 2, atol=1e-12)

    distance = {"distance": distance_to(equilibrium)}
    results = {}
    for dynamics in (gda(ETA), optimistic_gda(ETA), extragradient(ETA)):
        trajectory = run(dynamics, game, dynamics.init(game, entry.start()), steps=300, record_every=10,
                         metrics=distance)
        results[dynamics.name] = (np.asarray(trajectory.metrics["distance"]), trajectory,
                                  spectral_radius(dynamics, game, dynamics.init(game, equilibrium)))
    spiral, _, gda_radius = results["gda"]
    assert spiral[-1] > 1.5 * spiral[0]  # simultaneous GDA spirals out towards the boundary
    assert gda_radius == pytest.approx(np.sqrt(1 + 3 * ETA ** 2), abs=1e-12)  # |1 + i eta sqrt3|
    for name in ("optimistic_gda", "extragradient"):
        distances, trajectory, radius = results[name]
        assert distances[-1] < 0.05 * distances[0]  # the last iterate converges
        assert radius < 1
        assert measured_rate(trajectory) == pytest.approx(radius, abs=1e-6)


def test_dirac_gan_spectrum(x64: None) -> None:
    entry = zoo.entry("dirac-gan")
    eigenvalues = field_eigenvalues(entry.build(), entry.equilibrium())
    np.testing.assert_allclose(eigenvalues, [-0.5j, 0.5j], atol=1e-12)
    np.testing.assert_allclose(eigenvalues, sorted(entry.jacobian_eigenvalues, key=lambda z: z.imag), atol=1e-12)


def test_the_operator_includes_memory_and_holds_counters_fixed(x64: None) -> None:
    game = zoo.bilinear(1.0)
    # OGDA: (x, y, previous gradient) -> 4 x 4; its characteristic roots on f = x y solve l^2 - (1 - 2ia) l - ia.
    ogda = optimistic_gda(ETA)
    operator = np.asarray(update_operator(ogda, game, ogda.init(game, _start())))
    assert operator.shape == (4, 4)
    roots = np.roots([1, -(1 - 2j * ETA), -1j * ETA])
    expected = np.concatenate([roots, roots.conj()])
    np.testing.assert_allclose(np.sort_complex(np.linalg.eigvals(operator)), np.sort_complex(expected), atol=1e-12)
    # Adam: params, first and second moments are linearised (6 floats); the step counts are integers.
    adam = gda(optimizer=optax.adam(1e-2))
    state = run(adam, game, adam.init(game, _start()), steps=3).final_state
    assert np.asarray(update_operator(adam, game, state)).shape == (6, 6)
    # memoryless GDA: exactly I - eta J
    plain = np.asarray(update_operator(gda(ETA), game, gda(ETA).init(game, _start())))
    np.testing.assert_allclose(plain, np.eye(2) - ETA * np.array([[0.0, 1.0], [-1.0, 0.0]]), atol=1e-15)


def test_measured_rate_reads_geometric_decay() -> None:
    distances = 3.0 * 0.9 ** np.arange(20)
    assert measured_rate(distances) == pytest.approx(0.9, rel=1e-12)
    assert measured_rate(distances, window=1) == pytest.approx(0.9, rel=1e-12)
    assert measured_rate(distances[::5], steps_between_records=5) == pytest.approx(0.9, rel=1e-12)
    assert measured_rate(np.array([1.0, 0.0])) == 0.0
    with pytest.raises(GameError, match="steps_between_records"):
        measured_rate(distances, steps_between_records=0)
    with pytest.raises(GameError, match="window"):
        measured_rate(distances, window=20)
    with pytest.raises(GameError, match="at least two"):
        measured_rate(np.array([1.0]))
    with pytest.raises(GameError, match="finite"):
        measured_rate(np.array([1.0, np.nan]))


def test_measured_rate_of_a_diverged_or_unmeasured_trajectory() -> None:
    game, dynamics = zoo.bilinear(1.0), gda(1e3)
    trajectory = run(dynamics, game, dynamics.init(game, _start()), steps=40, metrics={"distance": distance_to(ORIGIN)})
    assert bool(trajectory.diverged)
    assert measured_rate(trajectory) == float("inf")
    with pytest.raises(GameError, match="no metric 'gap'"):
        measured_rate(trajectory, metric="gap")


def test_classify_thresholds() -> None:
    assert classify(0.999) == "converging"
    assert classify(1.0 + 5e-7) == "cycling"
    assert classify(1.001) == "diverging"
    assert classify(float("inf")) == "diverging"
    assert classify(0.99, tol=0.02) == "cycling"
    with pytest.raises(GameError, match="radius"):
        classify(float("nan"))
    with pytest.raises(GameError, match="tol"):
        classify(0.5, tol=-1.0)


def test_bad_input() -> None:
    with pytest.raises(GameError, match="unknown method"):
        predicted_bilinear_radius("adam", 0.1)
    with pytest.raises(GameError, match="a must be"):
        predicted_bilinear_radius("gda", -0.1)
    with pytest.raises(GameError, match="learning_rate \\* sigma"):
        predicted_bilinear_radius("hamiltonian", 0.1, sigma=2.0, learning_rate=0.1)
    with pytest.raises(GameError, match="dynamics must be"):
        update_operator("gda", zoo.bilinear(), None)  # type: ignore[arg-type]
    with pytest.raises(GameError, match="game must be"):
        field_eigenvalues("bilinear", ORIGIN)  # type: ignore[arg-type]
    huge = zoo.bilinear(1e20)  # J^T J = 1e40 I overflows float32: the operator is not finite
    with pytest.raises(GameError, match="NaN or infinite"):
        spectral_radius(hamiltonian(ETA), huge, hamiltonian(ETA).init(huge, _start()))


# -- three-player matching pennies: closed forms, rest points, run outcomes ---------------------------------------
# Jordan's game in deviations x_i = P(first action) - 1/2: the projected loss gradient is J x with J = 2 C, C the
# cyclic matrix [[0, -1, 0], [0, 0, -1], [1, 0, 0]] (1 matches 2, 2 matches 3, 3 mismatches 1), eigenvalues
# mu = 2 and 2 exp(+-2 pi i / 3). GDA's update I - eta J has moduli 1 - 2 eta and sqrt(1 + 2 eta + 4 eta^2);
# CGD's (I + eta J)^-1 (the whole Jacobian is off-diagonal in a multilinear game) has 1 / (1 + 2 eta) and
# 1 / sqrt(1 - 2 eta + 4 eta^2). The real eigenvalue's eigenvector, (1, -1, 1) in x, is the stable subspace.
def _jordan() -> tuple[object, tuple[jax.Array, ...]]:
    from equilibria.games import zoo as normal_form_zoo

    game = normal_form_zoo.get("three-player-matching-pennies").mixed_extension()
    return game, tuple(jnp.full(2, 0.5) for _ in range(3))


@pytest.mark.parametrize("eta", [0.05, 0.1, 0.3])
def test_gda_radius_on_three_player_matching_pennies(x64: None, eta: float) -> None:
    game, equilibrium = _jordan()
    gda_radius = spectral_radius(gda(eta), game, gda(eta).init(game, equilibrium))  # type: ignore[arg-type]
    assert gda_radius == pytest.approx(np.sqrt(1 + 2 * eta + 4 * eta**2), rel=1e-9)


def test_cgd_radius_on_three_player_matching_pennies(x64: None) -> None:
    # Regression: CGD's conjugate gradients under jacfwd failed inside JAX (device_put with mismatched batch axes)
    # on every simplex game, so `equilibria dynamics ... --method cgd` ended in an internal error.
    game, equilibrium = _jordan()
    eta = 0.3
    cgd_radius = spectral_radius(cgd(eta), game, cgd(eta).init(game, equilibrium))  # type: ignore[arg-type]
    assert cgd_radius == pytest.approx(1 / np.sqrt(1 - 2 * eta + 4 * eta**2), rel=1e-7)  # CG's tolerance


@pytest.mark.parametrize("name", ["matching-pennies"])
def test_cgd_linearises_on_mixed_extensions_as_the_inverse_of_gda(x64: None, name: str) -> None:
    # In a two-player zero-sum game the eigenvalues are 1 +- i a (GDA) and 1 / (1 +- i a): the radii multiply to 1.
    from equilibria.games import zoo as normal_form_zoo

    base = normal_form_zoo.get(name)
    game = base.mixed_extension()
    equilibrium = tuple(jnp.full(n, 1.0 / n) for n in base.n_actions)
    product = (spectral_radius(gda(0.2), game, gda(0.2).init(game, equilibrium))
               * spectral_radius(cgd(0.2), game, cgd(0.2).init(game, equilibrium)))
    assert product == pytest.approx(1.0, rel=1e-7)


def test_the_stable_subspace_of_jordans_game_converges_at_the_real_eigenvalue(x64: None) -> None:
    from equilibria.dynamics.analysis import is_rest_point, run_outcome

    game, equilibrium = _jordan()
    start = (jnp.asarray([0.3, 0.7]), jnp.asarray([0.7, 0.3]), jnp.asarray([0.3, 0.7]))  # x = (-0.2, 0.2, -0.2)
    dynamics = gda(0.1)
    trajectory = run(dynamics, game, dynamics.init(game, start), steps=40,  # type: ignore[arg-type]
                     metrics={"distance": distance_to(equilibrium)})
    distances = np.asarray(trajectory.metrics["distance"])
    np.testing.assert_allclose(distances[1:11] / distances[:10], 0.8, rtol=1e-9)  # 1 - 2 eta, exactly
    assert run_outcome(distances) == "converging"
    assert is_rest_point(dynamics, game, dynamics.init(game, equilibrium))  # type: ignore[arg-type]
    assert not is_rest_point(dynamics, game, dynamics.init(game, start))  # type: ignore[arg-type]


def test_run_outcome_names_what_the_metric_did() -> None:
    from equilibria.dynamics.analysis import run_outcome

    t = np.arange(200.0)
    assert run_outcome(0.9 ** t) == "converged"  # 0.9^199 < 1e-9
    assert run_outcome(0.99 ** t) == "converging"
    assert run_outcome(1.01 ** t) == "diverging"
    assert run_outcome(1 + 0.3 * np.sin(t)) == "cycling"
    # out to the boundary, then circling there: steady, but all of it farther than the start
    assert run_outcome(np.minimum(0.3 * 1.1 ** t, 1.0) + 0.01 * np.sin(t)) == "diverging"
    assert run_outcome(np.array([1.0, np.inf])) == "diverging"
    assert run_outcome(np.array([1.0, 0.5])) == "converging" and run_outcome(np.array([1.0])) == "cycling"
    with pytest.raises(GameError, match="non-empty 1-D"):
        run_outcome(np.zeros((2, 2)))


def test_perturbed_start_stays_on_the_simplex_at_the_requested_distance(x64: None) -> None:
    from equilibria.dynamics.analysis import perturbed_start

    game, equilibrium = _jordan()
    moved = perturbed_start(game, equilibrium, key=jax.random.key(3), scale=1e-6)  # type: ignore[arg-type]
    flat = np.concatenate([np.asarray(p) for p in moved])
    assert np.linalg.norm(flat - 0.5) == pytest.approx(1e-6, rel=1e-9)
    assert all(abs(float(p.sum()) - 1.0) < 1e-15 and float(p.min()) >= 0 for p in moved)
    again = perturbed_start(game, equilibrium, key=jax.random.key(3), scale=1e-6)  # type: ignore[arg-type]
    assert all(np.array_equal(a, b) for a, b in zip(moved, again, strict=True))
    with pytest.raises(GameError, match="scale must be a positive finite number"):
        perturbed_start(game, equilibrium, key=jax.random.key(0), scale=float("nan"))  # type: ignore[arg-type]
