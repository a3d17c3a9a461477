"""The learned challenger (Littman's test): Q-learning against a frozen policy finds the best response where the
induced MDP is small, never beats the exact best response, and refuses bad input with one line."""

from __future__ import annotations

import numpy as np
import pytest

from equilibria.applications.marl.challenger import learned_challengers
from equilibria.core.errors import GameError
from equilibria.games.stochastic import StochasticGame
from equilibria.games.zoo.stochastic import big_match, random_stochastic_game
from equilibria.metrics.stochastic import best_response, profile_values


def test_the_challenger_learns_the_best_response_to_a_frozen_mix() -> None:
    # Repeated matching pennies (one state): against row's (0.7, 0.3) the column player's best response is to
    # mismatch heads, i.e. play tails (action 1) for sure.
    payoff = np.array([[1.0, -1.0], [-1.0, 1.0]])
    game = StochasticGame.from_dense(np.stack([payoff, -payoff])[:, None], np.ones((1, 2, 2, 1)), discount=0.5)
    frozen = np.array([[[0.7, 0.3]], [[0.3, 0.7]]])
    learned = learned_challengers(game, frozen, steps=4_000)
    assert np.array_equal(learned, np.array([[[0.0, 1.0]], [[1.0, 0.0]]]))
    for policy, challenger in zip(frozen, learned, strict=True):
        exact = best_response(game, (policy, challenger), 1).policy
        assert np.array_equal(challenger, exact)


@pytest.mark.parametrize("challenger", [0, 1])
def test_no_learned_challenger_beats_the_exact_best_response(challenger: int) -> None:
    game = random_stochastic_game(n_states=6, n_actions=3, zero_sum=True, seed=3)
    rng = np.random.default_rng(0)
    frozen = rng.dirichlet(np.ones(3), size=(4, 6))
    learned = learned_challengers(game, frozen, challenger=challenger, steps=3_000, seed=1)
    other = 1 - challenger
    for policy, response in zip(frozen, learned, strict=True):
        profile = (policy, response) if other == 0 else (response, policy)
        exact = best_response(game, profile, challenger).policy
        best = (policy, exact) if other == 0 else (exact, policy)
        assert game.initial @ profile_values(game, best)[challenger] >= \
            game.initial @ profile_values(game, profile)[challenger] - 1e-9
        assert np.allclose(response.sum(axis=1), 1.0)


def test_terminal_states_restart_play() -> None:
    # An undiscounted stopping game: state 0 pays the column player +1 for "right" and stops with probability 1/2
    # (terminal state 1); play restarts from state 0, so the challenger keeps learning that "right" pays.
    rewards = np.zeros((2, 2, 2, 2))
    rewards[1, 0, :, 1], rewards[0, 0, :, 1] = 1.0, -1.0
    transitions = np.zeros((2, 2, 2, 2))
    transitions[0, :, :, :] = 0.5
    transitions[1, :, :, 1] = 1.0
    game = StochasticGame.from_dense(rewards, transitions, discount=1.0, terminal=[False, True])
    frozen = np.full((1, 2, 2), 0.5)
    learned = learned_challengers(game, frozen, steps=2_000)
    assert np.array_equal(learned[0, 0], [0.0, 1.0])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"steps": 0}, "steps >= 1"),
    ({"epsilon": 1.5}, "epsilon in [0, 1]"),
    ({"challenger": 2}, "challenger 0 or 1"),
])
def test_bad_arguments_give_one_line(kwargs: dict, message: str) -> None:
    game = big_match(0.9)
    frozen = np.array([[[0.5, 0.5]] * game.n_states])
    with pytest.raises(GameError, match=message.replace("[", r"\[").replace("]", r"\]")) as caught:
        learned_challengers(game, frozen, **kwargs)
    assert "\n" not in str(caught.value)


def test_a_policy_of_the_wrong_shape_is_refused() -> None:
    game = big_match(0.9)
    with pytest.raises(GameError, match="policies"):
        learned_challengers(game, np.ones((1, game.n_states, 3)) / 3)
