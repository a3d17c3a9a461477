"""The mean-field zoo: every environment builds and validates; the known answers (OpenSpiel's crowd-modelling
NashConv, the left-right and rock-paper-scissors equilibria); and, side by side with the peers when installed,
exploitabilities equal to OpenSpiel's NashConv and mfglib's exploitability_score on the same policies."""

from __future__ import annotations

import ast

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from equilibria.core.errors import GameError
from equilibria.games.mean_field import MeanFieldGame, flow, q_values, uniform_policy, validate
from equilibria.games.zoo import mean_field as zoo
from equilibria.metrics.mean_field import exploitability, exploitability_jax, social_welfare

SHAPES = {"left-right": (3, 2, 2), "beach-bar": (4, 3, 3), "crowd-modelling": (10, 3, 10),
          "linear-quadratic": (11, 5, 4), "rock-paper-scissors": (4, 3, 2)}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_every_environment_builds_validates_and_states_its_source(name):
    factory = zoo.MEAN_FIELD_GAMES[name]
    game = validate(factory())
    assert isinstance(game, MeanFieldGame) and game.name == name
    assert (game.n_states, game.n_actions, game.horizon) == SHAPES[name]
    assert factory.__doc__ and ("mfglib" in factory.__doc__ or "OpenSpiel" in factory.__doc__)
    assert game.description and name in game.describe()
    assert 0 <= exploitability(game, uniform_policy(game)) < 10


def test_the_registry_lists_exactly_the_environments():
    assert set(zoo.MEAN_FIELD_GAMES) == set(SHAPES)


def test_factory_arguments_are_checked():
    with pytest.raises(GameError, match="bar_location: expected 0 .. 3"):
        zoo.beach_bar(bar_location=4)
    with pytest.raises(GameError, match="horizon: expected an integer >= 1"):
        zoo.linear_quadratic(horizon=0)
    with pytest.raises(GameError, match="expected 3 probabilities"):
        zoo.left_right(initial=(0.5, 0.5))


# -- known answers ---------------------------------------------------------------------------------------------
def test_crowd_modelling_reproduces_openspiels_uniform_nash_conv():
    # OpenSpiel's nash_conv_test: NashConv(uniform policy) = 2.8135365543870385 for mfg_crowd_modelling.
    game = zoo.crowd_modelling()
    assert exploitability(game, uniform_policy(game)) == pytest.approx(2.8135365543870385, abs=1e-9)
    # OpenSpiel's value functions charge 81 of the 90 decision nodes after t = 0 a movement cost of 1/10.
    costs = zoo.openspiel_movement_costs(10, 10)
    assert costs[0].sum() == 0 and np.count_nonzero(costs) == 81 and set(np.unique(costs)) == {0.0, 0.1}


def test_ten_mirror_descent_steps_on_crowd_modelling_reach_openspiels_number():
    # y += 0.01 Q^{pi_k}(mu^{pi_k}), pi_{k+1} = softmax(y), from uniform: OpenSpiel's munchausen_mirror_descent_test
    # asserts NashConv 2.27366 (5 places) after 10 such steps. (Its plain MirrorDescent test, 2.2730324915546056,
    # evaluates each step with a policy that reads the cumulative values while the same pass updates them; given a
    # frozen copy instead, it returns 2.2736633463512526.)
    game = zoo.crowd_modelling()

    @jax.jit
    def steps(pi):
        def step(carry, _):
            y, pi = carry
            y = y + 0.01 * q_values(game, pi, flow(game, pi))
            return (y, jax.nn.softmax(y, axis=-1)), None

        return jax.lax.scan(step, (jnp.zeros_like(pi), pi), None, length=10)[0][1]

    with jax.enable_x64(True):
        pi = np.asarray(steps(jnp.asarray(uniform_policy(game))))
    assert exploitability(game, pi) == pytest.approx(2.2736633463512526, abs=1e-9)


def test_crowd_modelling_as_written_equals_the_game_that_remembers_the_last_move():
    # openspiel_accounting=False charges the agent's own move at the next decision. Check it against the literal
    # game on states (x, last move), where the previous move's cost is paid on arrival, as OpenSpiel's rules say.
    game = zoo.crowd_modelling(openspiel_accounting=False)
    size, horizon, shifts = 10, 10, (-1, 0, 1)
    P = np.zeros((size * 3, 3, size * 3))
    for x in range(size):
        for last in range(3):
            for a in range(3):
                for e in range(3):
                    P[x * 3 + last, a, ((x + shifts[a] + shifts[e]) % size) * 3 + a] += 1 / 3
    position = 1 - np.abs(np.arange(size) - 5) / 5
    literal = MeanFieldGame(
        name="crowd-literal", n_states=3 * size, n_actions=3, horizon=horizon,
        initial=np.kron(np.full(size, 0.1), [0.0, 1.0, 0.0]),  # everyone starts with the neutral "last move"
        params={"P": P, "position": position, "move_cost": np.abs(shifts) / size},
        transition=_literal_transition, reward=_literal_reward)
    expected = exploitability(literal, uniform_policy(literal))
    assert exploitability(game, uniform_policy(game)) == pytest.approx(expected, abs=1e-12)
    assert abs(expected - 2.8135365543870385) > 0.01  # OpenSpiel's accounting differs from the game as written


def _literal_transition(params, t, mu):
    return jnp.asarray(params["P"])


def _literal_reward(params, t, mu):
    positions = mu.reshape(-1, 3).sum(axis=1)  # the population's distribution over positions
    per_position = params["position"] - jnp.log(positions + 1e-25)
    per_state = (per_position[:, None] - params["move_cost"][None, :]).reshape(-1)
    return jnp.broadcast_to(per_state[:, None], (per_state.shape[0], 3))


def test_left_right_equilibrium_is_two_thirds_left():
    game = zoo.left_right()
    grid = np.linspace(0, 1, 31)
    values = []
    for p in grid:
        pi = uniform_policy(game)
        pi[0, 0] = [p, 1 - p]
        values.append(exploitability(game, pi))
    pi = uniform_policy(game)
    pi[0, 0] = [2 / 3, 1 / 3]
    assert exploitability(game, pi) == pytest.approx(0.0, abs=1e-14)
    assert social_welfare(game, pi) == pytest.approx(-2 / 3, abs=1e-14)  # both sides cost 1 * 2 / (1 + 2)
    assert min(values) > 0 and grid[int(np.argmin(values))] == pytest.approx(2 / 3, abs=1 / 30)


def test_rock_paper_scissors_equilibrium():
    game = zoo.rock_paper_scissors()
    pi = uniform_policy(game)
    pi[0, 0] = np.array([26, 20, 31]) / 77
    assert exploitability(game, pi) == pytest.approx(0.0, abs=1e-14)
    assert social_welfare(game, pi) == pytest.approx(42 / 77, abs=1e-14)
    pi[0, 0] = [1 / 3, 1 / 3, 1 / 3]
    assert exploitability(game, pi) > 0.1


def test_linear_quadratic_symmetric_policies_keep_the_mean_at_zero():
    # No closed form survives mfglib's rounding and clipping, but the game is symmetric under x -> -x, u -> -u
    # (round half to even is odd-symmetric): from the uniform mu_0 a symmetric policy keeps m_t = 0.
    game = zoo.linear_quadratic()
    rng = np.random.default_rng(0)
    half = rng.dirichlet(np.ones(5), size=(4, 11))
    pi = (half + half[:, ::-1, ::-1]) / 2
    with jax.enable_x64(True):
        mu = np.asarray(flow(game, jnp.asarray(pi)))
    np.testing.assert_allclose(mu, mu[:, ::-1], atol=1e-14)
    np.testing.assert_allclose(mu @ np.arange(-5, 6), 0.0, atol=1e-14)


@pytest.mark.parametrize(("factory", "name", "values"), [(zoo.beach_bar, "p_still", [0.1, 0.5, 0.9]),
                                                       (zoo.linear_quadratic, "sigma", [0.5, 1.0, 3.0])])
def test_parameters_sweep_under_vmap_like_separate_calls(factory, name, values):
    game = factory()
    pi = uniform_policy(game)
    with jax.enable_x64(True):
        sweep = jax.jit(jax.vmap(lambda v: exploitability_jax(game.with_params(**{name: v}), jnp.asarray(pi))))
        batch = np.asarray(sweep(jnp.asarray(values)))
    separate = [exploitability(game.with_params(**{name: v}), pi) for v in values]
    np.testing.assert_allclose(batch, separate, atol=1e-12)
    assert len(set(np.round(separate, 8))) == 3


def test_float32_agrees_with_float64_on_crowd_modelling():
    game = zoo.crowd_modelling()
    with jax.enable_x64(False):
        x32 = float(jax.jit(exploitability_jax)(game, jnp.asarray(uniform_policy(game), jnp.float32)))
    assert x32 == pytest.approx(2.8135365543870385, abs=1e-4)


# -- side by side with the peers (bench extra) -----------------------------------------------------------------
def _policies(game, seed):
    rng = np.random.default_rng(seed)
    shape = (game.horizon, game.n_states)
    return [uniform_policy(game), rng.dirichlet(np.ones(game.n_actions), size=shape),
            np.eye(game.n_actions)[rng.integers(0, game.n_actions, size=shape)]]


@pytest.mark.parametrize(("size", "horizon"), [(10, 10), (7, 5)])
def test_crowd_modelling_equals_openspiels_nash_conv(size, horizon):
    pyspiel = pytest.importorskip("pyspiel")
    from open_spiel.python import policy as policy_std
    from open_spiel.python.mfg.algorithms import nash_conv

    class ArrayPolicy(policy_std.Policy):
        def __init__(self, game, table):
            super().__init__(game, [0])
            self.table = table

        def action_probabilities(self, state, player_id=None):
            x, t = ast.literal_eval(str(state))  # decision nodes print as "(x, t)"
            return {a: float(self.table[t, x, a]) for a in state.legal_actions()}

    theirs = pyspiel.load_game("mfg_crowd_modelling", {"size": size, "horizon": horizon})
    ours = zoo.crowd_modelling(size=size, horizon=horizon)
    for pi in _policies(ours, size):
        expected = nash_conv.NashConv(theirs, ArrayPolicy(theirs, pi)).nash_conv()
        assert exploitability(ours, pi) == pytest.approx(expected, abs=1e-12)


def test_mfglib_environments_equal_ours():
    torch = pytest.importorskip("torch")
    pytest.importorskip("mfglib")
    import mfglib.alg  # noqa: F401  (mfglib.scoring imports mfglib.alg, which imports it back: load alg first)
    from mfglib.env import Environment
    from mfglib.scoring import exploitability_score

    previous, threads = torch.get_default_dtype(), torch.get_num_threads()
    torch.set_default_dtype(torch.float64)  # mfglib builds its tables in the default dtype
    torch.set_num_threads(1)  # tiny tensors: threads only contend
    try:
        pairs = [(Environment.left_right(), zoo.left_right()),
                 (Environment.beach_bar(), zoo.beach_bar()),
                 (Environment.beach_bar(T=4, n=7, bar_loc=1, p_still=0.3),
                  zoo.beach_bar(horizon=5, n=7, bar_location=1, p_still=0.3)),
                 (Environment.linear_quadratic(), zoo.linear_quadratic()),
                 (Environment.linear_quadratic(T=4, el=4, m=3, sigma=1.0, k=0.7),
                  zoo.linear_quadratic(horizon=5, el=4, m=3, sigma=1.0, k=0.7)),
                 (Environment.rock_paper_scissors(), zoo.rock_paper_scissors())]
        for env, game in pairs:
            # mfglib builds the linear-quadratic transitions in Python loops: two policies there, three elsewhere.
            for pi in _policies(game, 3)[game.name == "linear-quadratic":]:
                expected = exploitability_score(env, torch.tensor(pi))
                assert exploitability(game, pi) == pytest.approx(expected, abs=1e-12), game.name
    finally:
        torch.set_default_dtype(previous)
        torch.set_num_threads(threads)
