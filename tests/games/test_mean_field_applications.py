"""The mean-field application environments: validation, the literature's answers, and the peers side by side.

Known answers: Braess (equilibrium travel time 3.75, social optimum 3.5, the optimum's exploitability 0.75, from
OpenSpiel's dynamic-routing test), Pigou (equilibrium cost 1, optimum 3/4, price of anarchy 4/3), SIS (two steps of
the flow by hand). Peers: mfglib's tables and exploitabilities (importorskip), OpenSpiel's rewards, transitions,
values and NashConv (importorskip).
"""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria.core.errors import GameError
from equilibria.games.mean_field import dense_kernel, evaluate, flow, uniform_policy, validate
from equilibria.games.zoo import mean_field_applications as apps
from equilibria.games.zoo import mean_field_routing as routing
from equilibria.metrics.mean_field import exploitability, exploitability_jax, social_welfare

ENVIRONMENTS = {**apps.MEAN_FIELD_APPLICATIONS, **routing.MEAN_FIELD_ROUTING}


@pytest.fixture(scope="module")
def games():
    return {name: factory() for name, factory in ENVIRONMENTS.items()}


_jit_flow = jax.jit(flow)  # games of one environment share their functions, hence one compilation


def _flow64(game, policy):
    with jax.enable_x64(True):
        return np.asarray(_jit_flow(game, jnp.asarray(policy, jnp.float64)))


def _tables(game, t, mu):
    """(transition [S, A, S], reward [S, A]) in float64 at time t and state distribution mu."""
    with jax.enable_x64(True):
        params = {k: jnp.asarray(v) for k, v in game.params.items()}
        t, mu = jnp.asarray(t), jnp.asarray(mu, jnp.float64)
        kernel = dense_kernel(game.transition(params, t, mu), game.n_states, mu.dtype)
        return np.asarray(kernel), np.asarray(game.reward(params, t, mu))


# -- every environment -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(ENVIRONMENTS))
def test_every_environment_validates_and_conserves_mass(games, name):
    game = games[name]
    assert game.name == name and validate(game) is game
    assert game.description and ENVIRONMENTS[name].__doc__
    assert len(game.state_names) == game.n_states and len(game.action_names) == game.n_actions
    mu = _flow64(game, uniform_policy(game))
    assert mu.shape == (game.horizon + 1, game.n_states)
    assert np.all(mu >= -1e-15) and np.allclose(mu.sum(axis=1), 1.0, atol=1e-12)


@pytest.mark.parametrize(("factory", "kwargs", "match"), [
    (apps.susceptible_infected, {"initial_infected": 1.5}, r"initial_infected"),
    (apps.susceptible_infected, {"horizon": -1}, r"horizon"),
    (apps.crowd_motion, {"size": 0}, r"size"),
    (apps.crowd_motion, {"initial": [1.0, 0.0]}, r"initial"),
    (apps.building_evacuation, {"log_eps": 0.0}, r"log_eps"),
    (apps.equilibrium_price, {"c": (1.0, 2.0)}, r"\(c\)"),
    (routing.braess, {"capacity": (0.0,) * 7}, r"capacity"),
    (routing.braess, {"time_step_length": float("nan")}, r"time_step_length"),
    (routing.pigou, {"degree": 0}, r"degree"),
])
def test_bad_arguments_raise_one_line_game_errors(factory, kwargs, match):
    with pytest.raises(GameError, match=match) as info:
        factory(**kwargs)
    assert "\n" not in str(info.value)


# -- susceptible-infected ----------------------------------------------------------------------------------------
def test_sis_flow_matches_a_hand_computation_of_two_steps(games):
    game = games["susceptible-infected"]
    assert game.horizon == 51 and np.allclose(game.initial, [0.4, 0.6])
    out = np.zeros((game.horizon, 2, 2))
    out[..., 0] = 1.0
    stay = out[..., ::-1].copy()
    infected_out, infected_stay = _flow64(game, out)[:3, 1], _flow64(game, stay)[:3, 1]
    i1 = 0.6 * 0.7 + 0.4 * 0.81 * 0.6  # infected who stay infected + susceptible who go out and catch it
    i2 = i1 * 0.7 + (1 - i1) * 0.81 * i1
    assert infected_out == pytest.approx([0.6, i1, i2], abs=1e-14)
    assert infected_stay == pytest.approx([0.6, 0.42, 0.294], abs=1e-14)
    _, reward = _tables(game, 0, game.initial)
    assert reward == pytest.approx(np.array([[0.0, -0.5], [-1.0, -1.5]]))


@settings(max_examples=12, deadline=None)
@given(infection=st.sampled_from([0.0, 1.0]) | st.floats(0.0, 1.0), recovery=st.sampled_from([0.0, 1.0]) |
       st.floats(0.0, 1.0), share=st.sampled_from([0.0, 1.0]) | st.floats(0.0, 1.0), seed=st.integers(0, 2**16))
def test_sis_flow_stays_a_distribution_and_exploitability_is_nonnegative(infection, recovery, share, seed):
    game = apps.susceptible_infected(horizon=5, initial_infected=share, infection_rate=infection,
                                     recovery_rate=recovery)
    policy = np.random.default_rng(seed).dirichlet(np.ones(2), size=(game.horizon, 2))
    mu = _flow64(game, policy)
    assert np.all(mu >= -1e-15) and np.allclose(mu.sum(axis=1), 1.0, atol=1e-12)
    assert exploitability(game, policy) >= -1e-12


def test_sis_parameters_sweep_under_vmap(games):
    game = games["susceptible-infected"]
    policy = jnp.asarray(uniform_policy(game), jnp.float32)
    rates = jnp.linspace(0.0, 0.9, 4, dtype=jnp.float32)
    final = jax.vmap(lambda r: flow(game.with_params(infection_rate=r), policy)[-1, 1])(rates)
    assert np.all(np.diff(np.asarray(final)) > 0)  # more contagion, more infected at the end


# -- mfglib side by side -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mfglib_env():
    pytest.importorskip("mfglib")
    torch = pytest.importorskip("torch")
    import mfglib.alg  # noqa: F401  (mfglib.scoring imports mfglib.alg; importing it first avoids a cycle)
    from mfglib.env import Environment
    from mfglib.scoring import exploitability_score

    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # mfglib builds its tables with the default dtype: compare in float64
    yield torch, Environment, exploitability_score
    torch.set_default_dtype(previous)


def _mfglib_tables(torch, env, t, joint):
    """mfglib's (transition [S, A, S], reward [S, A]) at a flattened joint state-action distribution [S, A]."""
    L = torch.tensor(joint).reshape(*env.S, *env.A)
    n_s, n_a = env.n_states, env.n_actions
    P = env.prob(t, L).reshape(n_s, n_s, n_a).permute(1, 2, 0).numpy()
    return P, env.reward(t, L).reshape(n_s, n_a).numpy()


@pytest.mark.parametrize(("ours", "theirs"), [
    (lambda: apps.susceptible_infected(), lambda E: E.susceptible_infected()),
    (lambda: apps.building_evacuation(n_floor=3, floor_l=4, floor_w=3),
     lambda E: E.building_evacuation(n_floor=3, floor_l=4, floor_w=3)),
], ids=["susceptible-infected", "building-evacuation"])
def test_tables_equal_mfglib_on_random_mean_fields(mfglib_env, ours, theirs):
    torch, Environment, _ = mfglib_env
    game, env = ours(), theirs(Environment)
    rng = np.random.default_rng(7)
    for t in (0, 1):
        joint = rng.dirichlet(np.full(game.n_states * game.n_actions, 0.5)).reshape(game.n_states, game.n_actions)
        joint[0] = 0.0  # an empty state: mfglib clamps log(0) at log_eps, as here
        joint /= joint.sum()
        P, r = _mfglib_tables(torch, env, t, joint)
        P_ours, r_ours = _tables(game, t, joint.sum(axis=1))
        np.testing.assert_allclose(P_ours, P, rtol=0, atol=1e-12)
        np.testing.assert_allclose(r_ours, r, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("ours", "theirs"), [
    (lambda: apps.susceptible_infected(horizon=6), lambda E: E.susceptible_infected(T=6)),
    (lambda: apps.building_evacuation(n_floor=2, floor_l=3, floor_w=3),
     lambda E: E.building_evacuation(n_floor=2, floor_l=3, floor_w=3)),
], ids=["susceptible-infected", "building-evacuation"])
def test_exploitability_equals_mfglib(mfglib_env, ours, theirs):
    torch, Environment, score = mfglib_env
    game, env = ours(), theirs(Environment)
    rng = np.random.default_rng(3)
    for _ in range(2):
        policy = rng.dirichlet(np.ones(game.n_actions), size=(game.horizon, game.n_states))
        theirs_value = score(env, torch.tensor(policy).reshape(env.T + 1, *env.S, *env.A))
        assert exploitability(game, policy) == pytest.approx(theirs_value, rel=1e-10, abs=1e-10)


def test_sis_default_uniform_exploitability_equals_mfglib(mfglib_env, games):
    torch, Environment, score = mfglib_env
    env = Environment.susceptible_infected()  # T = 50: decisions at t = 0 .. 50
    expected = score(env, torch.full((env.T + 1, 2, 2), 0.5))
    game = games["susceptible-infected"]
    assert exploitability(game, uniform_policy(game)) == pytest.approx(expected, rel=1e-10)
    assert expected == pytest.approx(5.4669, abs=1e-4)  # the figure quoted in the docstring


def test_equilibrium_price_equals_mfglib_through_the_delayed_reward_encoding(mfglib_env):
    torch, Environment, score = mfglib_env
    game, env = apps.equilibrium_price(), Environment.equilibrium_price()
    n_s, n_a = 4, 9
    assert (game.horizon, game.n_states, game.n_actions) == (env.T + 1, n_s + n_s * n_a, n_a)
    # the inventory each state is at now (a pending state's name records the one before its decision)
    succ = np.asarray(apps._price_tables(3, 2, 2)[0])
    now = (succ[:, 0] - n_s) // n_a
    assert now[n_s + 2 * n_a + 2 * 3 + 1] == min(2 - 2 + 1, 3)  # was at 2, produced 2, bought 1: now at 1
    rng = np.random.default_rng(11)
    for concentration in (1.0, 0.2):
        theirs = rng.dirichlet(np.full(n_a, concentration), size=(env.T + 1, n_s))  # [T+1, inventory, a]
        policy = theirs[:, now, :]
        expected = score(env, torch.tensor(theirs).reshape(env.T + 1, n_s, 3, 3))
        assert exploitability(game, policy) == pytest.approx(expected, rel=1e-10, abs=1e-10)


def test_equilibrium_price_reward_is_mfglibs_formula_at_the_aggregate_price(games):
    game = games["equilibrium-price"]
    # everyone was at inventory 2 and chose q = 2, h = 1: aggregate production 2, price d / (2 + e0) = 1/3
    mu = np.zeros(game.n_states)
    mu[game.state_names.index("inventory 2, chose q=2 h=1")] = 1.0
    _, reward = _tables(game, 1, mu)
    price = 1.0 / 3.0
    expected = (price - 1) * 2 - 2**2 - 1 - 2 * max(2 - 2, 0) - 2
    assert reward[game.state_names.index("inventory 2, chose q=2 h=1")] == pytest.approx([expected] * 9)
    assert reward[: 4] == pytest.approx(np.zeros((4, 9)))  # nothing is owed before the first decision


# -- crowd-motion against OpenSpiel ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def openspiel():
    pyspiel = pytest.importorskip("pyspiel")
    from open_spiel.python import policy as os_policy
    from open_spiel.python.mfg import games as _registered  # noqa: F401  (registers the Python mean-field games)
    from open_spiel.python.mfg.algorithms import distribution, nash_conv, policy_value

    return pyspiel, os_policy, distribution, nash_conv, policy_value


def _tabular(os_policy, game, act):
    """An OpenSpiel policy from ``act(state) -> {action: probability}`` (only the actions it names)."""

    class _Policy(os_policy.Policy):
        def __init__(self) -> None:
            super().__init__(game, [0])

        def action_probabilities(self, state, player_id=None):
            return act(state)

    return _Policy()


def test_crowd_motion_rewards_and_noise_equal_openspiel_states(openspiel):
    pyspiel = openspiel[0]
    size = 5
    theirs = pyspiel.load_game("mfg_crowd_modelling_2d", {"size": size, "horizon": 4})
    game = apps.crowd_motion(size=size, horizon=4, openspiel_accounting=False)
    P, r = _tables(game, 1, game.initial)
    for cell in (0, 7, 12, 24):
        x, y = cell % size, cell // size  # OpenSpiel's initial chance action i is the cell (i % size, i // size)
        for action in (0, 3):
            state = theirs.new_initial_state()
            state.apply_action(cell)
            state.apply_action(action)
            outcomes = dict(state.chance_outcomes())
            state.apply_action(2)  # the neutral noise: the agent is where its action took it
            state.update_distribution([1.0 / size**2] * size**2)
            dx, dy = apps._MOVES_2D[action]
            after = ((x + dx) % size) * size + (y + dy) % size
            # the model pays the move when taken; OpenSpiel pays it at the next decision
            assert r[after, 2] + r[x * size + y, action] - r[x * size + y, 2] == pytest.approx(state.rewards()[0])
            assert P[x * size + y, action, after] == pytest.approx(outcomes[2])


def _cell_policy(os_policy, game, table, size):
    """OpenSpiel's view of our policy ``table`` ``[T, size * size, 5]`` (every action listed, zeros too)."""

    def act(state):
        x, y, t = map(int, re.match(r"\((\d+), (\d+), (\d+)\)", str(state)).groups())
        return {a: table[t, x * size + y, a] for a in range(5)}

    return _tabular(os_policy, game, act)


@pytest.mark.parametrize(("size", "horizon"), [(5, 4), (4, 6)])
def test_crowd_motion_exploitability_equals_openspiel_nashconv(openspiel, size, horizon):
    pyspiel, os_policy, _, nash_conv, _ = openspiel
    theirs = pyspiel.load_game("mfg_crowd_modelling_2d", {"size": size, "horizon": horizon})
    game = apps.crowd_motion(size=size, horizon=horizon)
    rng = np.random.default_rng(size)
    tables = [uniform_policy(game), rng.dirichlet(np.ones(5), size=(horizon, size * size)),
              np.eye(5)[rng.integers(0, 5, size=(horizon, size * size))]]
    for table in tables:
        expected = nash_conv.NashConv(theirs, _cell_policy(os_policy, theirs, table, size)).nash_conv()
        assert exploitability(game, table) == pytest.approx(expected, abs=1e-10)


def test_crowd_motion_default_uniform_nashconv_equals_openspiel(openspiel, games):
    pyspiel, os_policy, _, nash_conv, _ = openspiel
    theirs = pyspiel.load_game("mfg_crowd_modelling_2d")  # size 10, horizon 10
    expected = nash_conv.NashConv(theirs, os_policy.UniformRandomPolicy(theirs)).nash_conv()
    game = games["crowd-motion"]
    assert exploitability(game, uniform_policy(game)) == pytest.approx(expected, abs=1e-10)
    assert expected == pytest.approx(5.44285, abs=1e-5)  # the figure quoted in the docstring


def test_crowd_motion_as_written_matches_openspiel_where_its_values_are_well_defined(openspiel):
    pyspiel, os_policy, distribution, nash_conv, policy_value = openspiel
    size, horizon = 5, 4
    table = np.random.default_rng(5).dirichlet(np.ones(5), size=(horizon, size * size))
    game = apps.crowd_motion(size=size, horizon=horizon, openspiel_accounting=False)
    # (1) The crowd term only (OpenSpiel's only_distribution_reward): NashConv equals our exploitability.
    theirs = pyspiel.load_game("mfg_crowd_modelling_2d", {"size": size, "horizon": horizon,
                                                          "only_distribution_reward": True})
    expected = nash_conv.NashConv(theirs, _cell_policy(os_policy, theirs, table, size)).nash_conv()
    assert _move_free_exploitability(game, table) == pytest.approx(expected, abs=1e-10)
    # (2) The full reward and a policy that never moves, listed as {stay: 1} so that OpenSpiel's traversal only
    # reaches cells by the moves taken: its policy value equals our welfare.
    theirs = pyspiel.load_game("mfg_crowd_modelling_2d", {"size": size, "horizon": horizon})
    stay = _tabular(os_policy, theirs, lambda state: {2: 1.0})
    value = policy_value.PolicyValue(theirs, distribution.DistributionPolicy(theirs, stay), stay)
    never_move = np.zeros((horizon, size * size, 5))
    never_move[..., 2] = 1.0
    assert social_welfare(game, never_move) == pytest.approx(value.value(theirs.new_initial_state()), abs=1e-10)


def _move_free_exploitability(game, policy):
    """Exploitability with the move and positional terms removed (OpenSpiel's only_distribution_reward)."""
    import dataclasses

    def reward(params, t, mu):
        return jnp.broadcast_to((-params["crowd_aversion"] * jnp.log(mu + 1e-25))[:, None], (mu.shape[0], 5))

    return exploitability(dataclasses.replace(game, reward=reward), policy)


# -- braess ------------------------------------------------------------------------------------------------------
def test_braess_equilibrium_375_and_social_optimum_35(games):
    game = games["braess"]
    equilibrium, optimum = routing.braess_policy(game, 0.75, 2 / 3), routing.braess_policy(game, 0.5, 0.0)
    assert exploitability(game, equilibrium) == pytest.approx(0.0, abs=1e-12)
    assert -social_welfare(game, equilibrium) == pytest.approx(3.75, abs=1e-12)
    assert -social_welfare(game, optimum) == pytest.approx(3.5, abs=1e-12)
    assert exploitability(game, optimum) == pytest.approx(0.75, abs=1e-12)  # A->B->C->D against it takes 2.75
    # every vehicle has arrived by t = 76 under the equilibrium (3.75 / 0.05 = 75 steps)
    assert _flow64(game, equilibrium)[76, -1] == pytest.approx(1.0, abs=1e-12)


def test_braess_float32_agrees_with_float64():
    game = routing.braess(horizon=20, time_step_length=0.25)  # the same journeys in 15 steps of 0.25
    policy = jnp.asarray(routing.braess_policy(game, 0.75, 2 / 3), jnp.float32)
    mu = flow(game, policy)
    assert mu.dtype == jnp.float32
    travel = -float(jnp.dot(game.initial.astype(np.float32), evaluate(game, policy, mu)[0]))
    assert travel == pytest.approx(3.75, abs=1e-5)
    assert float(jax.jit(exploitability_jax)(game, policy)) == pytest.approx(0.0, abs=1e-5)


def test_braess_without_congestion_everyone_takes_the_shortcut():
    # Degenerate demand: free-flow times only, so A->B->C->D (1 + 0.25 + 1) beats both two-link routes (3).
    game = routing.braess(horizon=20, time_step_length=0.25, num_vehicles=0.0)
    shortcut = routing.braess_policy(game, 1.0, 1.0)
    assert exploitability(game, shortcut) == pytest.approx(0.0, abs=1e-12)
    assert -social_welfare(game, shortcut) == pytest.approx(2.25, abs=1e-12)
    assert exploitability(game, routing.braess_policy(game, 0.5, 0.0)) == pytest.approx(0.75, abs=1e-12)


def test_braess_equals_openspiel_dynamic_routing(openspiel):
    pyspiel, os_policy, distribution, nash_conv, policy_value = openspiel
    theirs = pyspiel.load_game("python_mfg_dynamic_routing", {"max_num_time_step": 20, "time_step_length": 0.25})
    game = routing.braess(horizon=20, time_step_length=0.25)
    for to_b, b_to_c in ((0.75, 2 / 3), (0.5, 0.0), (0.9, 0.2)):
        def act(state, to_b=to_b, b_to_c=b_to_c):
            legal = state.legal_actions()
            if legal == [1, 2]:  # at node A: A->B or A->C
                return {1: to_b, 2: 1.0 - to_b}
            if legal == [3, 4]:  # at node B: B->C or B->D
                return {3: b_to_c, 4: 1.0 - b_to_c}
            return {legal[0]: 1.0}

        policy = _tabular(os_policy, theirs, act)
        ours = routing.braess_policy(game, to_b, b_to_c)
        value = policy_value.PolicyValue(theirs, distribution.DistributionPolicy(theirs, policy), policy)
        assert social_welfare(game, ours) == pytest.approx(value.value(theirs.new_initial_state()), abs=1e-12)
        assert exploitability(game, ours) == pytest.approx(nash_conv.NashConv(theirs, policy).nash_conv(),
                                                           abs=1e-12)


def test_braess_static_has_braess_answers_and_a_deviation_gain_of_025_at_the_optimum(games):
    game = games["braess-static"]
    equilibrium, optimum = routing.braess_policy(game, 0.75, 2 / 3), routing.braess_policy(game, 0.5, 0.0)
    assert exploitability(game, equilibrium) == pytest.approx(0.0, abs=1e-12)
    assert -social_welfare(game, equilibrium) == pytest.approx(3.75, abs=1e-12)
    assert -social_welfare(game, optimum) == pytest.approx(3.5, abs=1e-12)
    # without a clock the deviator's A->B->C->D meets the optimum's load on C->D: 1.5 + 0.25 + 1.5 = 3.25
    assert exploitability(game, optimum) == pytest.approx(0.25, abs=1e-12)
    with pytest.raises(GameError, match="braess_policy"):
        routing.braess_policy(games["pigou"], 0.5, 0.5)


@settings(max_examples=15, deadline=None)
@given(to_b=st.floats(0.0, 1.0), b_to_c=st.floats(0.0, 1.0))
def test_braess_static_exploitability_is_average_minus_shortest_route_time(games, to_b, b_to_c):
    shares = np.array([to_b * (1 - b_to_c), to_b * b_to_c, 1 - to_b])  # ABD, ABCD, ACD
    on_ab, on_cd = to_b, to_b * b_to_c + 1 - to_b
    times = np.array([1 + on_ab + 2, 1 + on_ab + 0.25 + 1 + on_cd, 2 + 1 + on_cd])
    game = games["braess-static"]
    policy = routing.braess_policy(game, to_b, b_to_c)
    assert -social_welfare(game, policy) == pytest.approx(shares @ times, abs=1e-12)
    assert exploitability(game, policy) == pytest.approx(shares @ times - times.min(), abs=1e-12)


# -- pigou -------------------------------------------------------------------------------------------------------
def _pigou_policy(share):
    return np.array([[[1.0 - share, share], [1.0, 0.0], [1.0, 0.0]]])


def test_pigou_equilibrium_optimum_and_price_of_anarchy(games):
    game = games["pigou"]
    assert exploitability(game, _pigou_policy(1.0)) == pytest.approx(0.0, abs=1e-15)
    equilibrium_cost = -social_welfare(game, _pigou_policy(1.0))
    optimum_cost = -social_welfare(game, _pigou_policy(0.5))
    assert (equilibrium_cost, optimum_cost) == pytest.approx((1.0, 0.75))
    assert equilibrium_cost / optimum_cost == pytest.approx(4 / 3)
    shares = np.linspace(0.0, 1.0, 201)
    costs = [-social_welfare(game, _pigou_policy(x)) for x in shares[::20]]
    assert min(costs) == pytest.approx(0.75)  # no split on the grid beats the half/half optimum


@settings(max_examples=15, deadline=None)
@given(share=st.floats(0.0, 1.0), degree=st.sampled_from([1.0, 2.0, 4.0]))
def test_pigou_exploitability_is_the_closed_form_and_vanishes_only_at_the_equilibrium(share, degree):
    game = _pigou_games(degree)
    expected = (1.0 - share) * (1.0 - share**degree)  # the constant road's users could take the variable one
    assert exploitability(game, _pigou_policy(share)) == pytest.approx(expected, abs=1e-12)


_PIGOU_CACHE: dict[float, object] = {}


def _pigou_games(degree):
    if degree not in _PIGOU_CACHE:  # one game (one compilation) per degree
        _PIGOU_CACHE[degree] = routing.pigou(degree=degree)
    return _PIGOU_CACHE[degree]


def test_pigou_social_optimum_closed_form_matches_the_game():
    for degree in (1.0, 2.0, 4.0):
        share, cost = routing.pigou_social_optimum(degree)
        game = _pigou_games(degree)
        assert -social_welfare(game, _pigou_policy(share)) == pytest.approx(cost, abs=1e-12)
        for other in (share - 0.01, share + 0.01):
            assert -social_welfare(game, _pigou_policy(other)) > cost
    assert routing.pigou_social_optimum(1.0) == pytest.approx((0.5, 0.75))
    # the price of anarchy grows with the degree (Roughgarden: (1 - p (p + 1) ** (-(p + 1) / p)) ** -1)
    poa = [1.0 / routing.pigou_social_optimum(p)[1] for p in (1.0, 2.0, 4.0)]
    assert poa[0] == pytest.approx(4 / 3) and poa[0] < poa[1] < poa[2]
