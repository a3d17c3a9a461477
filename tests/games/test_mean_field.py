"""MeanFieldGame and its core operations: the flow conserves mass, the best response is exact (checked against every
deterministic policy), evaluation agrees with a forward computation, the soft response maximises the regularised
return, validation errors are one line, float32 agrees with float64, vmap over parameters equals separate calls."""

from __future__ import annotations

import itertools
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria.core.errors import GameError
from equilibria.games.mean_field import (
    MeanFieldGame,
    SparseTransition,
    best_response,
    check_policy,
    evaluate,
    flow,
    policy_and_best_values,
    q_values,
    returns,
    softmax_response,
    uniform_policy,
    validate,
)


# -- a random tabular game whose transitions and rewards depend on the mean field ---------------------------------
def table_transition(params, t, mu):
    """``softmax(logits[t] + coupling * mu)`` over the next state: mean-field dependent, rows sum to 1."""
    return jax.nn.softmax(params["logits"][t] + params["coupling"] * mu[None, None, :], axis=-1)


def table_reward(params, t, mu):
    """``R[t] + C @ mu``: ``[S, A]``."""
    return params["R"][t] + jnp.einsum("sap,p->sa", params["C"], mu)


def table_terminal(params, mu):
    return params["g"] - params["coupling"] * mu


def random_game(seed: int, n_states: int, n_actions: int, horizon: int, *, coupling: float = 1.0,
                discount: float = 1.0, terminal: bool = True) -> MeanFieldGame:
    rng = np.random.default_rng(seed)
    S, A, T = n_states, n_actions, horizon
    return MeanFieldGame(
        name="random-table", n_states=S, n_actions=A, horizon=T, initial=rng.dirichlet(np.ones(S)),
        params={"logits": rng.normal(size=(T, S, A, S)), "R": rng.normal(size=(T, S, A)),
                "C": coupling * rng.normal(size=(S, A, S)), "g": rng.normal(size=S), "coupling": coupling},
        transition=table_transition, reward=table_reward, terminal_reward=table_terminal if terminal else None,
        discount=discount)


def numpy_tables(game: MeanFieldGame, t: int, mu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The random game's ``(P [S, A, S], r [S, A])`` at ``(t, mu)`` in NumPy (for checks that avoid the JAX code)."""
    p = {k: np.asarray(v) for k, v in game.params.items()}
    logits = p["logits"][t] + p["coupling"] * mu[None, None, :]
    P = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return P / P.sum(axis=-1, keepdims=True), p["R"][t] + np.einsum("sap,p->sa", p["C"], mu)


def random_policy(seed: int, game: MeanFieldGame) -> np.ndarray:
    return np.random.default_rng(seed).dirichlet(np.ones(game.n_actions), size=(game.horizon, game.n_states))


# Jitted wrappers: the game's arrays become arguments, so games of one shape share one compiled program.
_flow = jax.jit(flow)
_best = jax.jit(best_response)
_returns = jax.jit(returns)
_soft = jax.jit(softmax_response)


@jax.jit
def _brute_force(game, policy, candidates):
    """Best response to the flow of ``policy`` and the values/returns of every candidate policy, in one program."""
    mu = flow(game, policy)
    best = best_response(game, mu)
    values = jax.vmap(evaluate, in_axes=(None, 0, None))(game, candidates, mu)
    all_returns = jax.vmap(returns, in_axes=(None, 0, None))(game, candidates, mu)
    return best, values, all_returns, returns(game, best.policy, mu), evaluate(game, best.policy, mu)


@jax.jit
def _q_check(game, policy):
    mu = flow(game, policy)
    return (q_values(game, policy, mu), q_values(game, None, mu), evaluate(game, policy, mu), best_response(game, mu),
            policy_and_best_values(game, policy, mu))


seeds = st.integers(0, 2**31 - 1)
small = st.tuples(seeds, st.sampled_from([(2, 2, 2), (3, 2, 3)]))


@settings(max_examples=10, deadline=None)
@given(st.tuples(seeds, st.sampled_from([(1, 1, 1), (2, 2, 2), (3, 2, 3), (2, 1, 3)])))
def test_the_flow_conserves_mass_and_stays_non_negative(case):
    seed, (S, A, T) = case
    game = random_game(seed, S, A, T)
    with jax.enable_x64(True):
        mu = np.asarray(_flow(game, jnp.asarray(random_policy(seed + 1, game))))
    assert mu.shape == (T + 1, S)
    np.testing.assert_allclose(mu[0], game.initial, atol=0)
    np.testing.assert_allclose(mu.sum(axis=1), 1.0, atol=1e-12)
    assert mu.min() >= 0


def test_the_flow_follows_its_definition_step_by_step():
    game = random_game(3, 3, 2, 3)
    pi = random_policy(4, game)
    with jax.enable_x64(True):
        mu = np.asarray(_flow(game, jnp.asarray(pi)))
    expected = [np.asarray(game.initial)]
    for t in range(game.horizon):
        P, _ = numpy_tables(game, t, expected[-1])
        expected.append(np.einsum("s,sa,sap->p", expected[-1], pi[t], P))
    np.testing.assert_allclose(mu, np.array(expected), atol=1e-14)


def _deterministic_policies(game: MeanFieldGame) -> np.ndarray:
    """Every deterministic Markov policy ``[A^(T S), T, S, A]``."""
    T, S, A = game.horizon, game.n_states, game.n_actions
    choices = np.array(list(itertools.product(range(A), repeat=T * S))).reshape(-1, T, S)
    return np.eye(A)[choices]


@settings(max_examples=8, deadline=None)
@given(small)
def test_the_best_response_beats_every_deterministic_policy_in_every_state(case):
    seed, (S, A, T) = case
    game = random_game(seed, S, A, T, discount=0.6)
    policies = _deterministic_policies(game)
    with jax.enable_x64(True):
        best, values, all_returns, best_return, own = _brute_force(
            game, jnp.asarray(random_policy(seed + 1, game)), jnp.asarray(policies))
    values, all_returns, own = np.asarray(values), np.asarray(all_returns), np.asarray(own)  # values [n, T + 1, S]
    # An optimal Markov policy is optimal from every state at every time: the brute-force maxima, state by state.
    np.testing.assert_allclose(np.asarray(best.values), values.max(axis=0), atol=1e-12)
    np.testing.assert_allclose(own, np.asarray(best.values), atol=1e-12)
    assert float(best_return) == pytest.approx(all_returns.max(), abs=1e-12)
    pol = np.asarray(best.policy)
    assert set(np.unique(pol)) <= {0.0, 1.0} and np.all(pol.sum(axis=-1) == 1)


def test_ties_go_to_the_lowest_action():
    game = random_game(0, 3, 2, 2)
    flat = game.with_params(R=np.zeros((2, 3, 2)), C=np.zeros((3, 2, 3)), logits=np.zeros((2, 3, 2, 3)))
    with jax.enable_x64(True):
        best = _best(flat, _flow(flat, jnp.asarray(uniform_policy(flat))))
    assert np.all(np.asarray(best.policy)[..., 0] == 1)


def test_q_values_agree_with_values_and_the_best_response():
    game = random_game(5, 3, 2, 3, discount=0.9)
    pi = random_policy(6, game)
    with jax.enable_x64(True):
        q_pi, q_star, v_pi, best, (v_pi_again, v_best_again) = _q_check(game, jnp.asarray(pi))
    q_pi, q_star, v_pi = np.asarray(q_pi), np.asarray(q_star), np.asarray(v_pi)
    assert q_pi.shape == q_star.shape == (3, 3, 2)
    np.testing.assert_allclose((pi * q_pi).sum(axis=-1), v_pi[:-1], atol=1e-13)
    np.testing.assert_allclose(q_star.max(axis=-1), np.asarray(best.values)[:-1], atol=1e-13)
    np.testing.assert_array_equal(np.asarray(best.policy).argmax(axis=-1), q_star.argmax(axis=-1))
    np.testing.assert_allclose(np.asarray(v_pi_again), v_pi, atol=1e-13)  # the one-pass form used by the metric
    np.testing.assert_allclose(np.asarray(v_best_again), np.asarray(best.values), atol=1e-13)


@settings(max_examples=6, deadline=None)
@given(small)
def test_returns_equal_a_forward_computation(case):
    # J(pi, mu) by pushing the agent's own state distribution forward against the fixed flow (no backward pass).
    seed, (S, A, T) = case
    discount = 0.8
    game = random_game(seed, S, A, T, discount=discount)
    pi = random_policy(seed + 1, game)
    other = random_policy(seed + 2, game)
    with jax.enable_x64(True):
        mu = np.asarray(_flow(game, jnp.asarray(other)))  # a flow that pi did not induce
        got = float(_returns(game, jnp.asarray(pi), jnp.asarray(mu)))
    d, total = np.asarray(game.initial), 0.0
    for t in range(T):
        P, r = numpy_tables(game, t, mu[t])
        total += discount**t * np.einsum("s,sa,sa->", d, pi[t], r)
        d = np.einsum("s,sa,sap->p", d, pi[t], P)
    total += discount**T * d @ (np.asarray(game.params["g"]) - np.asarray(game.params["coupling"]) * mu[T])
    assert got == pytest.approx(total, abs=1e-12)


@jax.jit
def _regularised_returns(game, policy, temperature, prior, candidates):
    """The soft response to the flow of ``policy`` and the regularised return of it and of each candidate: a policy
    is scored in the game whose rewards carry its own KL term, ``R - temperature * log(pi / prior)``."""
    mu = flow(game, policy)
    soft = softmax_response(game, mu, temperature, prior)

    def score(pi):
        kl = temperature * jnp.log(jnp.maximum(pi, 1e-300) / prior)
        return returns(game.with_params(R=game.params["R"] - kl), pi, mu)

    return soft, score(soft), jax.vmap(score)(candidates)


@settings(max_examples=6, deadline=None)
@given(small, st.sampled_from([0.05, 1.0, 20.0]))
def test_the_soft_response_maximises_the_regularised_return(case, temperature):
    # Against a fixed flow, pi_soft maximises E[sum_t r_t - temperature * KL(pi_t || prior_t)].
    seed, (S, A, T) = case
    game = random_game(seed, S, A, T, terminal=False)
    prior = random_policy(seed + 3, game)
    rng = np.random.default_rng(seed)
    with jax.enable_x64(True):
        args = (game, jnp.asarray(random_policy(seed + 1, game)), temperature, jnp.asarray(prior))
        soft = np.asarray(_regularised_returns(*args, jnp.asarray(np.repeat(prior[None], 7, axis=0)))[0])
        noisy = soft * np.exp(0.3 * rng.normal(size=(6, *soft.shape)))
        noisy /= noisy.sum(axis=-1, keepdims=True)
        # The prior itself and perturbations of the soft response score no higher.
        _, best, others = _regularised_returns(*args, jnp.asarray(np.concatenate([prior[None], noisy])))
    assert np.all(np.asarray(others) <= float(best) + 1e-10)
    np.testing.assert_allclose(soft.sum(axis=-1), 1.0, atol=1e-12)


def test_the_soft_response_tends_to_the_best_response_and_to_the_prior():
    game = random_game(11, 3, 2, 3)
    with jax.enable_x64(True):
        mu = _flow(game, jnp.asarray(uniform_policy(game)))
        hard = np.asarray(_best(game, mu).policy)
        cold = np.asarray(_soft(game, mu, 1e-4, None))
        hot = np.asarray(_soft(game, mu, 1e6, None))
    np.testing.assert_allclose(cold, hard, atol=1e-6)
    np.testing.assert_allclose(hot, 0.5, atol=1e-5)


def test_float32_agrees_with_float64():
    game = random_game(7, 3, 2, 3, discount=0.9)
    pi = random_policy(8, game)
    both = jax.jit(lambda g, p: (flow(g, p), best_response(g, flow(g, p)).values))
    with jax.enable_x64(False):
        mu32, v32 = both(game, jnp.asarray(pi, jnp.float32))
        assert mu32.dtype == jnp.float32 and v32.dtype == jnp.float32
    with jax.enable_x64(True):
        mu64, v64 = both(game, jnp.asarray(pi))
        assert mu64.dtype == jnp.float64
    np.testing.assert_allclose(np.asarray(mu32), np.asarray(mu64), atol=1e-6)
    np.testing.assert_allclose(np.asarray(v32), np.asarray(v64), atol=1e-5)


def test_vmap_over_parameters_equals_separate_calls():
    game = random_game(9, 3, 2, 3)
    pi = jnp.asarray(random_policy(10, game))
    couplings = jnp.array([0.0, 0.5, 2.0])

    def value(c):
        g = game.with_params(coupling=c)
        return returns(g, pi, flow(g, pi))

    with jax.enable_x64(True):
        batched = np.asarray(jax.jit(jax.vmap(value))(couplings))
        one = jax.jit(value)
        separate = [float(one(c)) for c in couplings]
        # vmap over the game pytree itself (its params stacked) gives the same numbers.
        stacked = jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *[game.with_params(coupling=c) for c in couplings])
        over_games = np.asarray(jax.jit(jax.vmap(lambda g: returns(g, pi, flow(g, pi))))(stacked))
    np.testing.assert_allclose(batched, separate, atol=1e-13)
    np.testing.assert_allclose(over_games, separate, atol=1e-13)
    assert len(set(np.round(separate, 8))) == 3  # the parameter matters


def test_the_game_is_a_pytree_with_static_structure():
    game = random_game(1, 2, 2, 2)
    leaves, treedef = jax.tree_util.tree_flatten(game)
    assert len(leaves) == 1 + len(game.params)
    rebuilt = jax.tree_util.tree_unflatten(treedef, leaves)
    assert rebuilt.n_states == 2 and rebuilt.transition is table_transition and rebuilt.discount == 1.0
    assert "random-table" in game.describe()


def test_with_params_replaces_and_rejects_unknown_names():
    game = random_game(1, 2, 2, 2)
    changed = game.with_params(coupling=3.0)
    assert float(changed.params["coupling"]) == 3.0 and float(game.params["coupling"]) == 1.0
    with pytest.raises(GameError, match="unknown parameter 'kappa'"):
        game.with_params(kappa=1.0)


def _bad_transition_shape(params, t, mu):
    return jnp.ones((2, 2))


def _bad_transition_rows(params, t, mu):
    return jnp.full((2, 2, 2), 0.4)


def _negative_transition(params, t, mu):
    return jnp.array([[[1.5, -0.5]] * 2] * 2)


def _nan_reward(params, t, mu):
    return jnp.full((2, 2), jnp.nan)


def _bad_reward_shape(params, t, mu):
    return jnp.zeros((2,))


def _bad_terminal(params, mu):
    return jnp.zeros((3,))


def _failing_reward(params, t, mu):
    return params["missing"]


def _uniform_transition(params, t, mu):
    return jnp.full((2, 2, 2), 0.5)


def _zero_reward(params, t, mu):
    return jnp.zeros((2, 2))


def _game(**changes):
    fields = dict(name="bad", n_states=2, n_actions=2, horizon=2, initial=[0.5, 0.5], params={},
                  transition=_uniform_transition, reward=_zero_reward)
    fields.update(changes)
    return MeanFieldGame(**fields)


@pytest.mark.parametrize(("changes", "match"), [
    ({"n_states": 0}, "n_states: expected an integer >= 1"),
    ({"n_actions": True}, "n_actions: expected an integer >= 1"),
    ({"horizon": 1.5}, "horizon: expected an integer >= 1"),
    ({"initial": [0.5, 0.6]}, "initial: probabilities must sum to 1"),
    ({"initial": [1.5, -0.5]}, "initial: probabilities must be non-negative"),
    ({"initial": [np.nan, 1.0]}, "initial: contains NaN"),
    ({"initial": [1.0]}, r"initial: expected shape \[2\]"),
    ({"discount": 0.0}, r"discount: expected a number in \(0, 1\]"),
    ({"discount": 1.5}, r"discount: expected a number in \(0, 1\]"),
    ({"transition": "P"}, "transition: expected a function"),
    ({"terminal_reward": 3}, "terminal_reward: expected None or a function"),
    ({"params": [1, 2]}, "params: expected a mapping"),
    ({"params": {"x": np.inf}}, r"params\['x'\]: contains NaN"),
    ({"params": {"x": "abc"}}, r"params\['x'\]: expected a number"),
    ({"action_names": ("a",)}, "action_names: expected 2 strings"),
])
def test_construction_errors_are_one_line(changes, match):
    with pytest.raises(GameError, match=match) as info:
        _game(**changes)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("changes", "match"), [
    ({"transition": _bad_transition_shape}, r"transition at t = 0: expected shape \[2, 2, 2\]"),
    ({"transition": _bad_transition_rows}, "rows P\\(. \\| s, a\\) must sum to 1"),
    ({"transition": _negative_transition}, "probabilities must be non-negative"),
    ({"reward": _nan_reward}, "reward at t = 0: contains NaN"),
    ({"reward": _bad_reward_shape}, r"reward at t = 0: expected shape \[2, 2\]"),
    ({"terminal_reward": _bad_terminal}, r"terminal_reward: expected shape \[2\]"),
    ({"reward": _failing_reward}, "evaluating transition/reward at mu_0 failed"),
])
def test_validation_errors_are_one_line(changes, match):
    with pytest.raises(GameError, match=match) as info:
        validate(_game(**changes))
    assert "\n" not in str(info.value)
    assert validate(_game()) is not None


@pytest.mark.parametrize(("policy", "match"), [
    (np.full((2, 2, 3), 1 / 3), r"expected shape \[T, S, A\] = \[2, 2, 2\]"),
    (np.full((2, 2, 2), 0.6), "must sum to 1"),
    (np.array([[[1.5, -0.5]] * 2] * 2), "non-negative"),
    (np.full((2, 2, 2), np.nan), "NaN"),
    ("uniform", "expected a \\[T, S, A\\] array"),
])
def test_policy_errors_are_one_line(policy, match):
    with pytest.raises(GameError, match=match) as info:
        check_policy(_game(), policy)
    assert "\n" not in str(info.value)
    assert check_policy(_game(), uniform_policy(_game())).dtype == np.float64


def test_importing_the_zoo_and_the_game_module_does_not_import_jax():
    code = ("import sys, equilibria, equilibria.games.mean_field, equilibria.games.zoo.mean_field as z; "
            "g = z.MEAN_FIELD_GAMES['crowd-modelling'](); print('jax' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- sparse kernels -----------------------------------------------------------------------------------------------


def _sparse_transition(params, t, mu):
    return SparseTransition(params["next"].astype(jnp.int32), params["prob"])


def _dense_transition(params, t, mu):
    return params["dense"]


def _crowd_reward(params, t, mu):
    return params["base"] - jnp.log(mu + 1e-3)[:, None]


def _pair(seed: int) -> tuple[MeanFieldGame, MeanFieldGame]:
    """The same random game (5 states, 3 actions, 2 successors each, crowd-averse rewards) with its kernel given by
    successors and as the dense table."""
    rng = np.random.default_rng(seed)
    nxt = rng.integers(0, 5, size=(5, 3, 2))
    prob = rng.dirichlet(np.ones(2), size=(5, 3))
    dense = np.zeros((5, 3, 5))
    for s, a, k in itertools.product(range(5), range(3), range(2)):
        dense[s, a, nxt[s, a, k]] += prob[s, a, k]
    base = rng.normal(size=(5, 3))
    common = dict(name="random", n_states=5, n_actions=3, horizon=4, initial=rng.dirichlet(np.ones(5)),
                  reward=_crowd_reward)
    sparse = MeanFieldGame(**common, params={"next": nxt.astype(float), "prob": prob, "base": base},
                           transition=_sparse_transition)
    return sparse, MeanFieldGame(**common, params={"dense": dense, "base": base}, transition=_dense_transition)


@pytest.mark.parametrize("seed", [0, 1])
def test_a_kernel_by_successors_equals_its_dense_table(seed: int) -> None:
    from equilibria.metrics.mean_field import exploitability, social_welfare

    sparse, dense = _pair(seed)
    validate(sparse)
    policy = np.random.default_rng(seed + 10).dirichlet(np.ones(3), size=(4, 5))
    with jax.enable_x64(True):
        np.testing.assert_allclose(flow(sparse, policy), flow(dense, policy), atol=1e-14)
        mu = flow(dense, policy)
        np.testing.assert_allclose(best_response(sparse, mu).values, best_response(dense, mu).values, atol=1e-12)
        np.testing.assert_allclose(evaluate(sparse, policy, mu), evaluate(dense, policy, mu), atol=1e-12)
    assert exploitability(sparse, policy) == pytest.approx(exploitability(dense, policy), abs=1e-12)
    assert social_welfare(sparse, policy) == pytest.approx(social_welfare(dense, policy), abs=1e-12)


def test_a_kernel_by_successors_is_validated() -> None:
    sparse, _ = _pair(0)
    bad = sparse.with_params(prob=np.full((5, 3, 2), 0.4))  # rows sum to 0.8
    with pytest.raises(GameError, match="transition") as caught:
        validate(bad)
    assert "\n" not in str(caught.value)
