"""Lewis signaling games: the count and payoffs of signaling systems, the classification of profiles, and the
dynamics (replicator, Roth-Erev, REINFORCE) with their invariants; the known replicator result for N = 2 and 3."""

from __future__ import annotations

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria.applications.marl import signaling as sg
from equilibria.applications.marl import signaling_dynamics as sd
from equilibria.core.errors import GameError

# one batch shape per (dynamic, N) keeps the JAX compilations few: N = 3 batches have STARTS starts, N = 2 batches
# MANY; starts are drawn by NumPy (a JAX Dirichlet draw compiles its sampler once per shape, ~1.5 s each)
STARTS = 64
MANY = 1000


def _random_profile(rng: np.random.Generator, n: int, zeros: bool = False) -> tuple[np.ndarray, np.ndarray]:
    s, r = rng.dirichlet(np.ones(n), n), rng.dirichlet(np.ones(n), n)
    if zeros:  # degenerate: some rows pure, some entries exactly 0
        s[0] = np.eye(n)[rng.integers(n)]
        r[:, -1] = 0.0
        r /= r.sum(axis=1, keepdims=True)
    return s, r


# -- the game ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [2, 3, 4])
def test_there_are_n_factorial_signaling_systems_and_each_pays_1(n: int) -> None:
    prior = sg.uniform_prior(n)
    matrix = sg.pure_payoff_matrix(prior)
    assert matrix.shape == (n**n, n**n)
    assert int(np.isclose(matrix, 1.0).sum()) == math.factorial(n)  # among all N^N x N^N pure profiles
    systems = sg.signaling_systems(n)
    assert len(systems) == math.factorial(n)
    assert len({tuple(s.argmax(axis=1)) for s, _ in systems}) == math.factorial(n)
    for s, r in systems:
        assert sg.payoff(prior, s, r) == pytest.approx(1.0)
        assert sg.classify(prior, s, r) == "signaling system"
        assert max(sg.regrets(prior, s, r)) == 0.0
    # payoffs of pure profiles are multiples of 1/N: the number of states decoded right
    assert np.allclose(matrix * n, np.round(matrix * n))


def test_pure_profiles_of_the_two_state_game_classify_as_hand_derived() -> None:
    # N = 2, equiprobable: 16 pure profiles; 2 signaling systems; 4 total-pooling equilibria (the sender sends one
    # signal whatever the state and the receiver does one act whatever the signal); 10 are not equilibria
    prior = sg.uniform_prior(2)
    maps = sg.pure_strategies(2)
    eye = np.eye(2)
    labels = [sg.classify(prior, eye[f], eye[g]) for f, g in itertools.product(maps, maps)]
    assert labels.count("signaling system") == 2
    assert labels.count("total pooling") == 4
    assert labels.count("partial pooling") == 0 and labels.count("other") == 10


def test_a_partial_pooling_equilibrium_of_three_states() -> None:
    # states 1 and 2 share signal 1; signal 2 is unused and the receiver's answer to it (act 0) tempts no state;
    # the receiver guesses between acts 1 and 2 on signal 1: payoff 1/3 + 1/3 = 2/3, no regret
    prior = sg.uniform_prior(3)
    sender = np.array([[1.0, 0, 0], [0, 1, 0], [0, 1, 0]])
    receiver = np.array([[1.0, 0, 0], [0, 0.3, 0.7], [1, 0, 0]])
    assert sg.payoff(prior, sender, receiver) == pytest.approx(2 / 3)
    assert max(sg.regrets(prior, sender, receiver)) == pytest.approx(0.0, abs=1e-15)
    assert sg.classify(prior, sender, receiver) == "partial pooling"
    # answering the unused signal with act 2 tempts state 2 away: not an equilibrium
    tempting = receiver.copy()
    tempting[2] = [0, 0, 1]
    assert sg.regrets(prior, sender, tempting)[0] == pytest.approx(1 / 3 * 0.3)
    assert sg.classify(prior, sender, tempting) == "other"


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 4), st.integers(0, 2**31 - 1), st.booleans())
def test_payoff_regrets_and_the_pure_form_agree_on_random_and_degenerate_profiles(n: int, seed: int,
                                                                                 zeros: bool) -> None:
    rng = np.random.default_rng(seed)
    prior = rng.dirichlet(np.ones(n)) * 0.9 + 0.1 / n
    s, r = _random_profile(rng, n, zeros)
    value = sg.payoff(prior, s, r)
    assert 0.0 <= value <= 1.0 + 1e-12
    sender_regret, receiver_regret = sg.regrets(prior, s, r)
    assert sender_regret >= 0 and receiver_regret >= 0 and value + max(sender_regret, receiver_regret) <= 1 + 1e-12
    assert sg.classify(prior, s, r, 1e-3) == sg.OUTCOMES[int(sg.classify_batch(prior, s[None], r[None], 1e-3)[0])]
    # a product population over pure strategies induces the rows it was built from, and x.A.y is the payoff
    maps = sg.pure_strategies(n)
    x = np.prod(s[np.arange(n), maps], axis=1)
    y = np.prod(r[np.arange(n), maps], axis=1)
    assert np.allclose(sg.behaviour_of(x, n), s) and np.allclose(sg.behaviour_of(y, n), r)
    assert x @ sg.pure_payoff_matrix(prior) @ y == pytest.approx(value)
    # JAX arrays give the same payoff
    assert float(sg.payoff(jnp.asarray(prior), jnp.asarray(s), jnp.asarray(r))) == pytest.approx(value, abs=1e-6)


def test_bad_input_raises_one_line_game_errors() -> None:
    for prior in ([0.5, 0.6], [1.0, 0.0], [1.0], [[0.5, 0.5]]):
        with pytest.raises(GameError, match="prior"):
            sg.check_prior(prior)
    with pytest.raises(GameError, match="n "):
        sg.uniform_prior(1)
    with pytest.raises(GameError, match="ratio"):
        sg.geometric_prior(3, 1.5)
    with pytest.raises(GameError, match="sender"):
        sg.classify(sg.uniform_prior(3), np.eye(2), np.eye(3))
    with pytest.raises(GameError, match="receiver"):
        sg.classify(sg.uniform_prior(2), np.eye(2), np.array([[0.5, 0.6], [0, 1]]))
    with pytest.raises(GameError, match="tol"):
        sg.classify(sg.uniform_prior(2), np.eye(2), np.eye(2), tol=0.7)
    with pytest.raises(GameError, match="dt"):
        sd.replicator_batch(sg.uniform_prior(2), np.full((1, 2, 2), 0.5), np.full((1, 2, 2), 0.5), 1.0, dt=1.0)
    with pytest.raises(GameError, match="n_seeds"):
        sd.roth_erev_batch(sg.uniform_prior(2), 10, 0, jax.random.PRNGKey(0))
    assert sg.geometric_prior(2, 3 / 7) == pytest.approx([0.7, 0.3])


# -- the dynamics ------------------------------------------------------------------------------------------------
def _starts(n: int, key: int = 0, k: int = STARTS) -> tuple[np.ndarray, np.ndarray]:
    """Dirichlet(1) rows (uniform on each simplex), ``[k, n, n]`` each."""
    rng = np.random.default_rng(key)
    return rng.dirichlet(np.ones(n), (k, n)), rng.dirichlet(np.ones(n), (k, n))


def _on_simplex(*rows: np.ndarray) -> None:
    for x in rows:
        assert np.all(np.asarray(x) >= 0)
        assert np.allclose(np.asarray(x).sum(axis=-1), 1.0, atol=1e-5)


def test_the_batched_step_matches_the_generic_replicator_on_the_agent_form_game() -> None:
    from equilibria.dynamics.replicator import integrate_replicator

    prior = sg.geometric_prior(3, 0.6)
    game = sd.agent_form_game(prior)
    s0, r0 = _starts(3, key=1)  # the batch shape of the other N = 3 tests; 4 starts checked against the reference
    ends = sd.replicator_batch(prior, s0, r0, 20.0, dt=0.05)
    for i in range(4):
        params = integrate_replicator(game, tuple(s0[i]) + tuple(r0[i]), 20.0, dt=0.05)
        assert np.allclose(np.stack(params[:3]), ends[0][i], atol=2e-4)
        assert np.allclose(np.stack(params[3:]), ends[1][i], atol=2e-4)


def test_the_pure_strategy_flow_from_product_starts_is_the_behaviour_flow() -> None:
    # separable payoffs keep product populations products: the two settings agree from product starts
    prior = sg.uniform_prior(2)
    s0, r0 = _starts(2, key=2, k=MANY)
    maps = sg.pure_strategies(2)
    x0 = np.prod(s0[:, np.arange(2), maps], axis=2)
    y0 = np.prod(r0[:, np.arange(2), maps], axis=2)
    x, y = sd.pure_replicator_batch(prior, x0, y0, 15.0, dt=0.1)
    s, r = sd.replicator_batch(prior, s0, r0, 15.0, dt=0.1)
    assert np.allclose(sg.behaviour_of(x, 2), s, atol=1e-4) and np.allclose(sg.behaviour_of(y, 2), r, atol=1e-4)
    _on_simplex(x, y)


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_replicator_stays_on_the_simplex_and_keeps_faces(seed: int) -> None:
    rng = np.random.default_rng(seed)
    pairs = [_random_profile(rng, 3, zeros=True) for _ in range(STARTS)]
    s0, r0 = np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])
    prior = sg.uniform_prior(3)
    s, r = sd.replicator_batch(prior, s0, r0, 50.0, dt=0.5)
    _on_simplex(s, r)
    assert np.all(s[s0 == 0] == 0) and np.all(r[r0 == 0] == 0)  # an extinct strategy never reappears
    # payoff never decreases along a common-interest replicator flow (it is a Lyapunov function)
    assert np.all(sg.payoff(prior, s, r) >= sg.payoff(prior, s0, r0) - 1e-5)


def _population_starts(n: int, key: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Uniform (Dirichlet(1)) populations over the ``N^N`` pure strategies, ``[k, N^N]`` each."""
    rng = np.random.default_rng(key)
    return rng.dirichlet(np.ones(n**n), k), rng.dirichlet(np.ones(n**n), k)


def test_the_batched_pure_strategy_step_matches_the_generic_replicator_on_the_bimatrix_game() -> None:
    from equilibria.dynamics.replicator import integrate_replicator

    prior = sg.uniform_prior(3)
    game = sd.bimatrix_game(prior)
    x0, y0 = _population_starts(3, key=8, k=3)
    ends = sd.pure_replicator_batch(prior, x0, y0, 10.0, dt=0.05)
    for i in range(3):
        params = integrate_replicator(game, (x0[i], y0[i]), 10.0, dt=0.05)
        assert np.allclose(params[0], ends[0][i], atol=2e-4) and np.allclose(params[1], ends[1][i], atol=2e-4)


def test_two_states_with_equiprobable_states_always_reach_a_signaling_system() -> None:
    prior = sg.uniform_prior(2)
    s, r = sd.replicator_batch(prior, *_starts(2, key=3, k=MANY), 500.0, dt=0.5)
    assert np.all(sg.classify_batch(prior, s, r, 1e-2) == 0)
    x, y = sd.pure_replicator_batch(prior, *_population_starts(2, key=3, k=MANY), 500.0, dt=0.5)
    assert np.all(sg.classify_batch(prior, sg.behaviour_of(x, 2), sg.behaviour_of(y, 2), 1e-2) == 0)


def test_three_states_end_in_partial_pooling_in_about_4_7_percent_of_uniform_population_starts() -> None:
    # Huttegger, Skyrms, Smead and Zollman (2010); Skyrms (2010): 4.7% for N = 3, equiprobable states, under the
    # two-population replicator over pure strategies from uniform starts on each population simplex. 10,000
    # starts, t = 500: the measured share must lie within the 99% binomial interval of the published figure
    # (half-width 2.58 sqrt(0.047 * 0.953 / 10,000) = 0.0055)
    #
    # The flow is integrated to t = 100, then only the starts not yet at a signaling system go on to t = 500: the
    # payoff never decreases along a common-interest replicator flow (checked below on the starts that go on), and
    # "signaling system" means payoff >= 1 - tol, so a start classified so at t = 100 is classified so at t = 500
    # (measured on 10,000 starts: the same code for every start as integrating all of them to t = 500, at a third
    # of the cost; 91% are settled by t = 100)
    prior = sg.uniform_prior(3)
    k, tol = 10_000, 1e-2
    x, y = sd.pure_replicator_batch(prior, *_population_starts(3, key=4, k=k), 100.0, dt=0.5)
    codes = sg.classify_batch(prior, sg.behaviour_of(x, 3), sg.behaviour_of(y, 3), tol)
    going = np.flatnonzero(codes != 0)
    assert 0 < going.size < k // 5
    x_end, y_end = sd.pure_replicator_batch(prior, x[going], y[going], 400.0, dt=0.5)
    _on_simplex(x, y, x_end, y_end)
    s, r = sg.behaviour_of(x_end, 3), sg.behaviour_of(y_end, 3)
    before = sg.payoff(prior, sg.behaviour_of(x[going], 3), sg.behaviour_of(y[going], 3))
    assert np.all(sg.payoff(prior, s, r) >= before - 1e-5)
    codes[going] = sg.classify_batch(prior, s, r, tol)
    shares = np.bincount(codes, minlength=4) / k
    half_width = 2.58 * math.sqrt(0.047 * 0.953 / k)
    assert abs(shares[1] - 0.047) <= half_width, shares
    assert shares[0] + shares[1] >= 0.995 and shares[2] == 0.0  # settled; no total pooling


def test_roth_erev_urns_learn_and_stay_on_the_simplex() -> None:
    prior = sg.uniform_prior(2)
    s, r = sd.roth_erev_batch(prior, 3000, STARTS, jax.random.PRNGKey(5))
    _on_simplex(s, r)
    # N = 2 with equiprobable states: urns converge to a signaling system with probability 1 (Argiento, Pemantle,
    # Skyrms and Volkov 2009), but slowly: a seed that locks in early on one signal stays near pooling for a long
    # time (measured: one of 64 seeds still at payoff 0.52 after 30,000 rounds). So: the payoff rises from 1/2
    # and the share of seeds at a signaling system grows with the rounds
    assert sg.payoff(prior, s, r).mean() > 0.9
    longer = sd.roth_erev_batch(prior, 30_000, STARTS, jax.random.PRNGKey(5))
    early = np.mean(sg.classify_batch(prior, s, r, 0.1) == 0)
    late = np.mean(sg.classify_batch(prior, *longer, 0.1) == 0)
    assert 0.8 < early < late
    again = sd.roth_erev_batch(prior, 3000, STARTS, jax.random.PRNGKey(5))
    assert np.array_equal(again[0], s)  # explicit keys: reproducible


def test_reinforce_agents_learn_and_stay_on_the_simplex() -> None:
    prior = sg.uniform_prior(2)
    s, r = sd.reinforce_batch(prior, 3000, STARTS, jax.random.PRNGKey(6))
    _on_simplex(s, r)
    assert np.mean(sg.classify_batch(prior, s, r, 0.1) == 0) > 0.9
    # one update moves only the rows of the state and signal that were played
    state = sd.reinforce_init(3)
    new = jax.jit(sd.reinforce_update)(jnp.asarray(sg.uniform_prior(3), dtype=jnp.float32), state,
                                       jax.random.PRNGKey(0), 0.5, 0.1)  # one compilation, not one per operation
    assert int((np.abs(np.asarray(new.sender)).sum(axis=1) > 0).sum()) <= 1
    assert int((np.abs(np.asarray(new.receiver)).sum(axis=1) > 0).sum()) <= 1


def test_dirichlet_rows_are_uniform_on_each_simplex() -> None:
    starts = np.asarray(sd.dirichlet_rows(jax.random.key(0), 2000, 2, 2))
    assert starts.shape == (2000, 2, 2) and np.all(starts >= 0) and np.allclose(starts.sum(-1), 1.0, atol=1e-6)
    # Dirichlet(1, 1) is uniform on [0, 1] for the first coordinate: mean 1/2, variance 1/12 (4 standard errors)
    assert abs(starts[..., 0].mean() - 0.5) < 4 * math.sqrt(1 / 12 / starts[..., 0].size)
