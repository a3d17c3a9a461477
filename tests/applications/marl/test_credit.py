"""Credit assignment's estimators, learners and the VCG link: COMA's baseline leaves the gradient unbiased (exact
expectations on matrix games), difference rewards are biased in the stochastic game, the exact moments agree with
``jax.grad`` and with Monte Carlo, and an agent's difference reward is its VCG utility under the Clarke pivot."""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria.applications.marl import cooperative, credit
from equilibria.applications.marl.base import MarkovEnv, env
from equilibria.core.errors import GameError

ESTIMATORS = credit.ESTIMATORS


_objective_gradient = jax.jit(jax.grad(credit.team_objective, argnums=1))


def _grad(game: cooperative.TeamGame, pi: np.ndarray) -> np.ndarray:
    with jax.enable_x64(True):
        wide = type(game)(jnp.asarray(np.asarray(game[0], np.float64)), game.default)
        return np.asarray(_objective_gradient(wide, jnp.log(jnp.asarray(pi))))


@pytest.mark.parametrize("game", [cooperative.climbing(), cooperative.penalty()], ids=["climbing", "penalty"])
def test_every_one_shot_estimator_is_unbiased_exactly(game: cooperative.MatrixTeamGame) -> None:
    """The exact expectation of each estimator equals dJ/dlogits from jax.grad (which shares no code with it)."""
    rng = np.random.default_rng(0)
    for pi in rng.dirichlet(np.ones(3), size=(5, 2)):
        gradient = _grad(game, pi)
        for e in ESTIMATORS:
            moments = credit.exact_moments(game, pi, e)
            assert np.abs(moments.gradient - gradient).max() < 1e-12
            assert np.abs(moments.bias).max() < 1e-12
            assert np.all(moments.variance > 0)


@settings(max_examples=12, deadline=None)
@given(st.integers(2, 3), st.integers(2, 3), st.integers(0, 2**31 - 1), st.booleans())
def test_every_estimator_is_unbiased_on_random_and_tied_games(n_agents: int, n_actions: int, seed: int,
                                                              degenerate: bool) -> None:
    """Random games, and integer-valued games full of ties at nearly pure policies: every one-shot estimator's exact
    mean is dJ/dlogits, and variances are non-negative."""
    rng = np.random.default_rng(seed)
    shape = (n_actions,) * n_agents
    payoff = rng.integers(-2, 3, shape).astype(float) if degenerate else rng.normal(size=shape)
    game = cooperative.matrix_team_game(payoff, int(rng.integers(n_actions)))
    pi = rng.dirichlet(np.full(n_actions, 0.3 if degenerate else 1.0), size=n_agents)
    pi = np.clip(pi, 1e-6, None)
    pi /= pi.sum(-1, keepdims=True)
    gradient = _grad(game, pi)
    for e in ESTIMATORS:
        moments = credit.exact_moments(game, pi, e)
        assert np.abs(moments.mean - gradient).max() < 1e-9 * (1 + np.abs(payoff).max())
        assert np.all(moments.variance >= -1e-12)


@settings(max_examples=15, deadline=None)
@given(st.integers(2, 7), st.integers(0, 2**31 - 1))
def test_the_count_game_moments_match_enumeration(n_agents: int, seed: int) -> None:
    """The Poisson-binomial moments of the N-agent game equal those by enumerating its dense table."""
    rng = np.random.default_rng(seed)
    game = cooperative.coordination(n_agents, int(rng.integers(1, n_agents + 1)))
    dense = cooperative.matrix_team_game(game.table(), 0)
    pi = rng.dirichlet(np.ones(2), size=n_agents)
    for e in ESTIMATORS:
        a, b = credit.exact_moments(game, pi, e), credit.exact_moments(dense, pi, e)
        assert np.allclose(a.mean, b.mean, atol=1e-12) and np.allclose(a.variance, b.variance, atol=1e-12)
        assert np.allclose(a.gradient, b.gradient, atol=1e-12) and np.abs(a.bias).max() < 1e-12


def test_exact_variances_agree_with_monte_carlo_at_100_agents() -> None:
    game = cooperative.coordination(100)
    pi = np.random.default_rng(1).dirichlet(np.ones(2), size=100)
    value = float(credit.team_objective(game, jnp.log(jnp.asarray(pi, jnp.float32))))
    for e in ESTIMATORS:
        exact = credit.exact_moments(game, pi, e)
        sampled = credit.sampled_moments(game, pi, e, jax.random.PRNGKey(2), 4000, baseline=value)
        assert abs(exact.variance.mean() - sampled.variance.mean()) < 4 * sampled.variance_se.mean() + 1e-6
        assert np.all(np.abs(exact.mean - sampled.mean) < 5 * sampled.mean_se + 1e-5)


def test_variance_falls_with_counterfactual_baselines_and_the_gap_grows_with_n() -> None:
    """At the uniform policy: COMA < difference rewards < REINFORCE; REINFORCE / COMA grows with N (measured
    factors: about 6 at N = 2, over 300 at N = 10)."""
    ratios = []
    for n in (2, 10, 100):
        v = {e: credit.exact_moments(cooperative.coordination(n), np.full((n, 2), 0.5), e).variance.mean()
             for e in ESTIMATORS}
        assert v["coma"] < v["difference"] < v["reinforce"] and v["value"] < v["reinforce"]
        ratios.append(v["reinforce"] / v["coma"])
    assert ratios[0] > 5 and ratios[1] > 300 and ratios[2] > 1e4 and ratios == sorted(ratios)


def test_difference_rewards_are_biased_in_the_stochastic_game_and_coma_is_not() -> None:
    game = cooperative.box_lifting()
    rng = np.random.default_rng(3)
    objective_gradient = jax.jit(jax.grad(lambda z: credit.episodic_objective(game, z, 4)))  # one compilation
    for _ in range(2):
        pi = rng.dirichlet(np.ones(2), size=(2, 3))
        with jax.enable_x64(True):
            gradient = np.asarray(objective_gradient(jnp.log(jnp.asarray(pi))))
        moments = {e: credit.episodic_moments(game, pi, e, 4) for e in ESTIMATORS}
        assert np.abs(moments["reinforce"].gradient - gradient).max() < 1e-12
        for e in ("reinforce", "value", "coma"):
            assert np.abs(moments[e].bias).max() < 1e-12
        assert np.abs(moments["difference"].bias).max() > 0.01
    # One step: nothing later depends on the state, so difference rewards are unbiased again.
    assert np.abs(credit.episodic_moments(game, pi, "difference", 1).bias).max() < 1e-12


def _exact_return_moments(game, pi: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Backward induction written here for two agents (independent of credit's): ``E[G_t | s_t, u_t]`` and
    ``E[G_t^2 | s_t, u_t]``, ``[horizon, n_states, m, m]`` each (an episode stops at a terminal state)."""
    reward = np.asarray(game.rewards[0], np.float64)
    nxt, prob, gamma = np.asarray(game.successors), np.asarray(game.probabilities), game.discount
    alive = ~np.asarray(game.terminal)
    first, second = np.zeros((horizon, *reward.shape)), np.zeros((horizon, *reward.shape))
    v, w = np.zeros(reward.shape[0]), np.zeros(reward.shape[0])  # E[G_{t+1} | s], E[G_{t+1}^2 | s]
    for t in reversed(range(horizon)):
        ev, ew = (prob * v[nxt]).sum(-1), (prob * w[nxt]).sum(-1)
        first[t] = reward + gamma * ev
        second[t] = reward**2 + 2 * gamma * reward * ev + gamma**2 * ew
        joint = pi[0][:, :, None] * pi[1][:, None, :]
        v = np.where(alive, (joint * first[t]).sum((1, 2)), 0.0)
        w = np.where(alive, (joint * second[t]).sum((1, 2)), 0.0)
    return first, second


@functools.partial(jax.jit, static_argnames=("learner",))
def _episodes(environment: MarkovEnv, learner: credit.CreditLearner, keys: jax.Array, episodes: jax.Array,
              freeze: jax.Array) -> credit.EpisodicState:
    """Final states of ``keys: [4, seeds]`` streams (row ``e``: estimator ``ESTIMATORS[e]``) after ``episodes``
    updates; ``freeze``: restore the logits after every update (a fixed policy; the critics still learn). Both are
    traced, so the learning run and the frozen one share this one compiled program."""
    def one(key: jax.Array, estimator: jax.Array) -> credit.EpisodicState:
        def body(i: jax.Array, state: credit.EpisodicState) -> credit.EpisodicState:
            new = learner.update(environment, state, jax.random.fold_in(key, i))
            return dataclasses.replace(new, logits=jnp.where(freeze, state.logits, new.logits))

        start = dataclasses.replace(learner.init(environment, key), estimator=estimator)
        return jax.lax.fori_loop(0, episodes, body, start)

    estimators = jnp.arange(len(ESTIMATORS))
    return jax.vmap(lambda row, e: jax.vmap(lambda k: one(k, e))(row))(keys, estimators)


def test_episodic_learners_learn_on_the_simplex_and_comas_critic_tends_to_the_exact_time_indexed_q() -> None:
    """Box lifting, 4 estimators x 32 seeds in one compiled program. Learning (300 episodes, step 0.2): policies on
    the simplex, REINFORCE reaches the optimum in some seed. Frozen at the uniform policy (3,000 episodes, all 128
    streams): the critic ``Q_t(s, u)`` matches the exact finite-horizon ``Q_t``. It is a running average (rate
    ``a``) of i.i.d. returns, so after ``n`` visits its mean is ``Q (1 - (1 - a)^n)`` and its variance at most
    ``a / (2 - a) Var(G_t | s, u)``: checked where the expected visits make the first term negligible
    (``a p E >= 15``), within 5 standard deviations of the streams' mean (from the exact conditional variance)."""
    game, horizon, rate, episodes = cooperative.box_lifting(), 4, 0.1, 3000
    learner = credit.episodic_policy_gradient("reinforce", horizon=horizon, learning_rate=0.2, critic_rate=rate)
    environment = env(game)
    keys = jax.random.split(jax.random.PRNGKey(7), (len(ESTIMATORS), 32))
    learned_policies = np.asarray(jax.nn.softmax(_episodes(environment, learner, keys, 300, False).logits), np.float64)
    for policies in learned_policies:
        assert policies.shape == (32, 2, 3, 2) and np.allclose(policies.sum(-1), 1.0) and np.all(policies >= 0)
    assert credit.greedy_success(game, learned_policies[0], horizon).any()

    states = _episodes(environment, learner, keys, episodes, True)
    assert np.all(np.asarray(states.logits) == 0.0)  # the policy stayed uniform
    seeds = keys.shape[0] * keys.shape[1]
    pi = np.full((2, 3, 2), 0.5)
    q, second = _exact_return_moments(game, pi, horizon)
    library_q, _ = credit._finite_horizon(game, pi, horizon)
    assert np.allclose(q, library_q, atol=1e-12)
    reach = np.zeros((horizon, game.n_states))  # P(s_t = s, episode alive)
    reach[0] = game.initial
    moves = (pi[0][:, :, None, None, None] * pi[1][:, None, :, None, None] * np.eye(game.n_states)[game.successors]
             * game.probabilities[..., None]).sum((1, 2, 3))  # [s, s']
    for t in range(1, horizon):
        reach[t] = (reach[t - 1] * ~game.terminal) @ moves
    visits = rate * episodes * reach[..., None, None] * 0.25  # a p E per (t, s, u)
    checked = np.broadcast_to((visits >= 15) & ~game.terminal[None, :, None, None], q.shape)
    assert checked[:, 0].all() and checked[:, 1].any()  # every step of the start state and of the lifted box
    learned = np.asarray(states.q, np.float64).reshape(seeds, *q.shape).mean(0)
    sd = np.sqrt(rate / (2 - rate) * np.maximum(second - q**2, 0.0) / seeds)
    assert np.all(np.abs(learned - q)[checked] <= 5 * sd[checked] + 1e-4), np.abs(learned - q)[checked]
    assert np.abs(learned - q)[checked].max() > 0  # a real estimate, not a copy
    # The step index matters: the same (s, u) is worth more with more steps left, far beyond the tolerance.
    assert np.abs(q[0] - q[-1])[checked[0] & checked[-1]].max() > 3 * 5 * sd.max()


def test_box_lifting_optimum_by_enumerating_deterministic_policies() -> None:
    game = cooperative.box_lifting()
    values = []
    for code in range(2**6):
        bits = np.array([(code >> b) & 1 for b in range(6)]).reshape(2, 3)
        values.append(credit.episode_value(game, np.eye(2)[bits], 4))
    assert max(values) == pytest.approx(cooperative.box_lifting_optimum(game)) == pytest.approx(1.9)
    lift_carry = np.eye(2)[np.ones((2, 3), int)]
    assert credit.greedy_success(game, lift_carry[None], 4).tolist() == [True]
    assert credit.greedy_success(game, np.eye(2)[np.zeros((1, 2, 3), int)], 4).tolist() == [False]


@settings(max_examples=15, deadline=None)
@given(st.integers(2, 4), st.integers(2, 3), st.integers(0, 2**31 - 1))
def test_difference_reward_equals_the_vcg_externality(n_agents: int, n_actions: int, seed: int) -> None:
    """Random welfare games (agent j values each joint action at v_j, 0 when it abstains; team reward = welfare):
    with the others' actions held, agent i's VCG utility under the Clarke pivot is its difference reward; when the
    mechanism re-optimises the others, at the welfare maximiser the utility is at most the difference reward, and
    equal to it for every agent whose re-optimised pivot is the held one."""
    rng = np.random.default_rng(seed)
    shape = (n_actions,) * n_agents
    joint = np.indices(shape).reshape(n_agents, -1)
    valuations = np.where(joint == 0, 0.0, rng.normal(size=(n_agents, joint.shape[1])))  # action 0: abstain
    table = cooperative.matrix_team_game(valuations.sum(0).reshape(shape), 0).table()  # float32-stored: 1e-6

    def difference_rewards(actions: np.ndarray) -> np.ndarray:  # r(u) - r(u_-i, abstain), from the team reward
        return np.array([table[tuple(actions)] - table[tuple(np.where(np.arange(n_agents) == i, 0, actions))]
                         for i in range(n_agents)])

    for outcome in rng.choice(joint.shape[1], size=3):
        actions = joint[:, outcome]
        difference = difference_rewards(actions)
        held = credit.clarke_pivot(valuations, credit.abstention_outcomes(n_agents, n_actions, 0, actions), outcome)
        assert held.outcome == outcome and np.allclose(held.utilities, difference, atol=1e-6)
    vcg = credit.clarke_pivot(valuations, credit.abstention_outcomes(n_agents, n_actions, 0))
    at_optimum = difference_rewards(joint[:, vcg.outcome])
    assert np.all(vcg.utilities <= at_optimum + 1e-6)
    # Equality wherever re-optimising the others without agent i finds nothing better than holding u*_-i.
    held = credit.clarke_pivot(valuations, credit.abstention_outcomes(n_agents, n_actions, 0, joint[:, vcg.outcome]),
                               vcg.outcome)
    same_pivot = np.isclose(vcg.payments, held.payments, rtol=0.0, atol=1e-12)
    assert np.allclose(vcg.utilities[same_pivot], at_optimum[same_pivot], atol=1e-6)


def test_re_optimised_pivot_is_strictly_below_the_difference_reward_in_the_count_game() -> None:
    """Four agents, two optimal participants: a participant's difference reward is r(2) - r(1) > 0, but without it
    an abstainer would join, so its Clarke-pivot utility is 0."""
    values = cooperative.bar_reward(4, 2)
    joint = np.indices((2,) * 4).reshape(4, -1)
    valuations = np.where(joint == 1, values[joint.sum(0)] / np.maximum(joint.sum(0), 1), 0.0)  # equal shares
    vcg = credit.clarke_pivot(valuations, credit.abstention_outcomes(4, 2, 0))
    participants = joint[:, vcg.outcome] == 1
    assert participants.sum() == 2
    assert np.allclose(vcg.utilities[participants], 0.0, atol=1e-12)
    assert values[2] - values[1] > 0.1


def test_learners_coordinate_ten_agents_with_counterfactual_credit() -> None:
    game = cooperative.coordination(10)
    # The shapes of the reproduction's quick run (one compilation serves both).
    runs = credit.train_estimators(game, credit.policy_gradient("reinforce", learning_rate=20.0), 0, seeds=32,
                                   steps=1000)
    for policies in runs.values():
        assert policies.shape == (32, 10, 2) and np.allclose(policies.sum(-1), 1.0) and np.all(policies >= 0)
    share = {e: credit.success(game, p).mean() for e, p in runs.items()}
    assert share["difference"] == share["coma"] == 1.0 and share["reinforce"] < 0.5
    climbing = cooperative.climbing()
    few = credit.train_estimators(climbing, credit.policy_gradient("reinforce", learning_rate=0.1), 0, seeds=4,
                                  steps=50, estimators=("coma",))
    single = credit.train(climbing, credit.policy_gradient("coma", learning_rate=0.1), 0, seeds=4, steps=50)
    assert np.allclose(single, few["coma"], atol=1e-6)  # the same seed keys, the same arithmetic


def test_bad_input_is_a_one_line_game_error() -> None:
    game = cooperative.climbing()
    for call in (lambda: credit.exact_moments(game, np.full((2, 3), 1 / 3), "vcg"),
                 lambda: credit.exact_moments(game, np.full((2, 2), 0.5), "coma"),
                 lambda: credit.policy_gradient("coma", learning_rate=0.0),
                 lambda: credit.episodic_policy_gradient("coma", horizon=0),
                 lambda: credit.train(game, credit.policy_gradient("coma"), 0, seeds=0, steps=1),
                 lambda: credit.clarke_pivot(np.zeros((2, 3)), np.zeros((2, 3), bool))):
        with pytest.raises(GameError) as error:
            call()
        assert "\n" not in str(error.value)
