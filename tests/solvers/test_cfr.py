"""The CFR family: OpenSpiel's figures on Kuhn and Leduc poker, convergence of every variant, unbiased Monte Carlo
estimates, the sequence-form LP value on random imperfect-information trees, budgets and bad input."""

import zlib
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from equilibria import GameError, NormalFormGame
from equilibria.games.extensive_form import Chance, Decision, ExtensiveFormGame, Terminal
from equilibria.games.zoo.extensive_form import get
from equilibria.metrics.exploitability import exploitability
from equilibria.solvers.cfr import (
    VARIANTS,
    CFRState,
    CFRVariant,
    average_policy,
    cfr_init,
    cfr_solve,
    cfr_update,
    current_policy,
)

KUHN_VALUE = -1 / 18
FULL_WIDTH = ("cfr", "cfr+", "linear", "dcfr", "pcfr+")


@pytest.fixture(scope="module")
def kuhn() -> ExtensiveFormGame:
    return get("kuhn-poker")


@pytest.fixture(scope="module")
def leduc() -> ExtensiveFormGame:
    return get("leduc-poker")


def run(game: ExtensiveFormGame, variant: str | CFRVariant, iterations: int, **options: object) -> CFRState:
    state = cfr_init(game, variant, **options)
    for _ in range(iterations):
        state = cfr_update(game, state)
    return state


# -- OpenSpiel's figures (open_spiel 2.0.2, pyspiel's C++ solvers and the Python ones agree) --------------------
def test_leduc_vanilla_cfr_matches_openspiel(leduc):
    """Alternating vanilla CFR, uniform start, average weighted by own reach: OpenSpiel's exploitability after 100
    iterations to round-off, and its 1000-iteration figure 0.0118178 to 1e-6 (round-off differences in summation
    order are amplified over the iterations: perturbing the payoffs by 1e-15 moves that figure by about 1e-6)."""
    state = run(leduc, "cfr", 100)
    assert exploitability(leduc, average_policy(state)) == pytest.approx(0.09571635300459762, abs=1e-11)
    for _ in range(900):
        state = cfr_update(leduc, state)
    assert abs(exploitability(leduc, average_policy(state)) - 0.0118178) <= 1e-6


def test_leduc_cfr_plus_matches_openspiel(leduc):
    state = run(leduc, "cfr+", 100)
    assert exploitability(leduc, average_policy(state)) == pytest.approx(0.013415994970897835, abs=1e-11)


@pytest.mark.parametrize(("variant", "iterations", "expected"), [
    ("dcfr", 300, 0.0006963380309517875), ("linear", 300, 0.0003764205512290786)])
def test_kuhn_discounted_variants_match_openspiel(kuhn, variant, iterations, expected):
    """OpenSpiel's DCFRSolver (1.5, 0, 2) and LCFRSolver, alternating, on Kuhn poker."""
    state = run(kuhn, variant, iterations)
    assert exploitability(kuhn, average_policy(state)) == pytest.approx(expected, abs=1e-11)


def test_kuhn_simultaneous_updates_match_openspiel(kuhn):
    """OpenSpiel's _CFRSolver with alternating_updates=False (vanilla, and RM+ with linear averaging)."""
    vanilla = run(kuhn, "cfr", 100, alternating=False)
    assert exploitability(kuhn, average_policy(vanilla)) == pytest.approx(0.02567473584694785, abs=1e-12)
    plus = run(kuhn, "cfr+", 100, alternating=False)
    assert exploitability(kuhn, average_policy(plus)) == pytest.approx(0.015742248953913962, abs=1e-12)


# -- convergence on Kuhn poker ----------------------------------------------------------------------------------
@pytest.mark.parametrize("variant", FULL_WIDTH)
def test_every_variant_converges_on_kuhn(kuhn, variant):
    result = cfr_solve(kuhn, variant=variant, max_iterations=3000, target_exploitability=1e-3)
    assert result.converged and result.certificate_name == "exploitability"
    assert result.certificate[0] <= 1e-3
    assert result.iterations % 10 == 0 and result.iterations < 3000
    # |u(pi) - v| <= NashConv = 2 * exploitability in a two-player zero-sum game
    assert abs(result.values[0][0] - KUHN_VALUE) <= 2 * result.certificate[0] + 1e-12
    assert result.values[0][0] + result.values[0][1] == pytest.approx(0.0, abs=1e-12)


def test_cfr_plus_and_pcfr_plus_are_much_faster_on_kuhn(kuhn):
    needed = {v: cfr_solve(kuhn, variant=v, max_iterations=3000, target_exploitability=1e-3).iterations
              for v in ("cfr", "cfr+", "pcfr+")}
    assert needed["cfr+"] * 3 <= needed["cfr"]
    assert needed["pcfr+"] * 3 <= needed["cfr+"]
    deep = cfr_solve(kuhn, variant="pcfr+", max_iterations=2000)
    assert deep.certificate[0] < 1e-8
    assert deep.values[0][0] == pytest.approx(KUHN_VALUE, abs=1e-8)


@pytest.mark.parametrize(("variant", "bound"), [("mccfr-external", 0.03), ("mccfr-outcome", 0.06)])
def test_monte_carlo_cfr_converges_on_kuhn(kuhn, variant, bound):
    """Averaged over three seeds, the exploitability after 3000 iterations is a fifth of that after 100 (outcome
    sampling is the noisier: one history per update)."""
    early, late = [], []
    for seed in range(3):
        state = cfr_init(kuhn, variant, seed=seed)
        for _ in range(3000):
            state = cfr_update(kuhn, state)
            if state.iteration == 100:
                early.append(exploitability(kuhn, average_policy(state)))
        late.append(exploitability(kuhn, average_policy(state)))
    assert np.mean(late) < np.mean(early) / 4 and np.mean(late) < bound
    again = run(kuhn, variant, 50, seed=0)
    other = run(kuhn, variant, 50, seed=1)
    assert np.array_equal(average_policy(again), average_policy(run(kuhn, variant, 50, seed=0)))
    assert not np.array_equal(average_policy(again), average_policy(other))


@pytest.mark.parametrize("variant", ["mccfr-external", "mccfr-outcome"])
def test_monte_carlo_regret_estimates_are_unbiased(kuhn, variant):
    """The mean of the sampled instantaneous regrets over seeds is vanilla CFR's regret (simultaneous updates,
    so every player is evaluated against the same profile), within 5 standard errors."""
    start = run(kuhn, "cfr", 7)  # a profile away from uniform
    exact = cfr_update(kuhn, replace(start, alternating=False)).regrets - start.regrets
    base = replace(start, variant=VARIANTS[variant], alternating=False)
    draws = np.array([cfr_update(kuhn, replace(base, seed=s)).regrets - start.regrets for s in range(1500)])
    error = draws.std(axis=0) / np.sqrt(draws.shape[0])
    assert np.all(np.abs(draws.mean(axis=0) - exact) <= 5 * error + 1e-12)


# -- random two-player zero-sum trees: the certificate and the sequence-form LP value --------------------------
def random_tree(seed: int, max_depth: int = 4, *, integer_payoffs: bool = True) -> ExtensiveFormGame:
    """Chance, decisions of two players with 2-3 actions and terminals. A player's information set is everything it
    has observed: its own moves (so recall is perfect), the chance outcomes shown to it and the moves made in public.
    The shape below a node depends only on the public history, so histories that differ in private information look
    alike and share information sets. Payoffs are integers in [-5, 5] (ties and degenerate equilibria) or uniform
    reals there (no ties)."""
    payoff_rng = np.random.default_rng(seed)
    widths: dict[tuple[int, tuple[str, ...]], int] = {}

    def node(depth: int, seen: tuple[tuple[str, ...], ...], public: tuple[str, ...]) -> object:
        shape = np.random.default_rng([seed, depth, zlib.crc32("/".join(public).encode())])
        r = shape.random()
        if depth >= max_depth or (depth > 0 and r < 0.2):
            u = float(payoff_rng.integers(-5, 6)) if integer_payoffs else float(payoff_rng.uniform(-5, 5))
            return Terminal((u, -u))
        if r < 0.45:
            k = int(shape.integers(2, 4))
            probs = shape.dirichlet(np.ones(k))
            shown = shape.random(2) < 0.5
            outcomes = []
            for i, pr in enumerate(probs):
                item = f"chance{depth}={i}"
                after = tuple(s + (item,) if shown[p] else s for p, s in enumerate(seen))
                outcomes.append((float(pr), f"c{i}", node(depth + 1, after, public + (item,) if all(shown) else
                                                          public)))
            return Chance(outcomes)
        mover = int(shape.integers(2))
        key = seen[mover]
        width = widths.setdefault((mover, key), int(shape.integers(2, 4)))
        in_public = bool(shape.random() < 0.5)
        moves = []
        for a in range(width):
            item = f"{mover}:{'|'.join(key)}->{a}"
            after = tuple(s + (item,) if p == mover or in_public else s for p, s in enumerate(seen))
            moves.append((f"a{a}", node(depth + 1, after, public + (item,) if in_public else public)))
        return Decision(mover, "/".join(key) or "start", moves)

    return ExtensiveFormGame.from_tree(node(0, ((), ()), ()), n_players=2)


def sequence_form_value(game: ExtensiveFormGame) -> float:
    """Player 0's equilibrium value from the sequence-form LP (von Stengel 1996), built from the game's own
    sequence arrays:  max f^T q  s.t.  F^T q <= A^T x,  E x = e,  x >= 0."""
    n0, n1 = game.n_sequences
    chance = game.reach_probabilities(np.ones(game.n_infoset_actions))  # decision edges weigh 1: chance reach
    a = np.zeros((n0, n1))
    z = game.terminals
    np.add.at(a, (game.node_sequence[z, 0], game.node_sequence[z, 1]), chance[z] * game.payoffs[z, 0])

    def constraints(player: int) -> np.ndarray:
        sets = np.flatnonzero(game.infoset_player == player)
        rows = np.zeros((1 + sets.shape[0], game.n_sequences[player]))
        rows[0, 0] = 1.0
        for r, s in enumerate(sets, start=1):
            rows[r, game.infoset_parent_sequence[s]] -= 1.0
            lo, hi = game.infoset_action_offset[s], game.infoset_action_offset[s + 1]
            rows[r, game.sequence_of_action[lo:hi]] += 1.0
        return rows

    e, f = constraints(0), constraints(1)
    cost = np.r_[np.zeros(n0), -1.0, np.zeros(f.shape[0] - 1)]
    res = linprog(cost, A_ub=np.hstack([-a.T, f.T]), b_ub=np.zeros(n1),
                  A_eq=np.hstack([e, np.zeros((e.shape[0], f.shape[0]))]), b_eq=np.eye(e.shape[0])[0],
                  bounds=[(0, None)] * n0 + [(None, None)] * f.shape[0], method="highs")
    assert res.status == 0
    return float(-res.fun)


def textbook_cfr(game: ExtensiveFormGame, iterations: int, *, plus: bool,
                 alternating: bool) -> tuple[np.ndarray, np.ndarray]:
    """Regrets and average-policy sums of CFR (Zinkevich et al. 2007) or CFR+ (RM+, weights t) computed the
    textbook way, recursing over histories with per-player reach probabilities (chance's last). The average is
    accumulated once per history, so each set's sum is divided by its number of histories (the player's reach is
    the same at all of them: perfect recall)."""
    offsets = game.infoset_action_offset
    histories = np.bincount(game.infoset[game.infoset >= 0], minlength=game.n_infosets)
    regrets, sums = np.zeros(game.n_infoset_actions), np.zeros(game.n_infoset_actions)

    def policy_table() -> list[np.ndarray]:
        table = []
        for s in range(game.n_infosets):
            positive = np.maximum(regrets[offsets[s]:offsets[s + 1]], 0.0)
            size = positive.shape[0]
            table.append(positive / positive.sum() if positive.sum() > 0 else np.full(size, 1.0 / size))
        return table

    def walk(node: int, reach: np.ndarray, player: int, table: list[np.ndarray], weight: float) -> float:
        mover, first, count = game.player[node], game.first_child[node], game.n_children[node]
        if count == 0:
            return float(game.payoffs[node, player])
        children = range(first, first + count)
        if mover < 0:
            return sum(game.chance_prob[c] * walk(c, reach * np.r_[np.ones(game.n_players), game.chance_prob[c]],
                                                  player, table, weight) for c in children)
        s = game.infoset[node]
        sigma = table[s]
        values = np.array([walk(c, reach * np.r_[np.eye(game.n_players)[mover] * (sigma[a] - 1) + 1, 1.0],
                                player, table, weight) for a, c in enumerate(children)])
        value = float(sigma @ values)
        if mover == player:
            others = np.prod(np.delete(reach, mover))
            regrets[offsets[s]:offsets[s + 1]] += others * (values - value)
            sums[offsets[s]:offsets[s + 1]] += weight * reach[mover] * sigma / histories[s]
        return value

    for t in range(1, iterations + 1):
        table = policy_table()
        for p in range(game.n_players):
            walk(0, np.ones(game.n_players + 1), p, table, float(t) if plus else 1.0)
            if plus:
                np.maximum(regrets, 0.0, out=regrets)
            if alternating:
                table = policy_table()
    return regrets, sums


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(["cfr", "cfr+"]), st.booleans())
def test_sweeps_equal_the_textbook_recursion(seed, variant, alternating):
    """Real-valued payoffs: with ties, round-off decides the sign of a zero regret and regret matching jumps."""
    game = random_tree(seed, integer_payoffs=False)
    state = run(game, variant, 6, alternating=alternating)
    regrets, sums = textbook_cfr(game, 6, plus=variant == "cfr+", alternating=alternating)
    np.testing.assert_allclose(state.regrets, regrets, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(state.policy_sum, sums, rtol=1e-10, atol=1e-10)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_cfr_plus_solves_random_imperfect_information_trees(seed):
    """Payoffs lie in [-5, 5]; after 2000 iterations CFR+ is within 5e-3 of an equilibrium (the slowest of 400
    sampled trees, a 2 x 2 matrix game in disguise, was at 2.1e-3: CFR+ only guarantees O(1/sqrt(T)))."""
    game = random_tree(seed)
    result = cfr_solve(game, variant="cfr+", max_iterations=2000, target_exploitability=1e-6)
    assert result.certificate[0] <= 5e-3
    assert result.converged == (result.certificate[0] <= 1e-6)
    assert abs(result.values[0][0] - sequence_form_value(game)) <= 2 * result.certificate[0] + 1e-7


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(FULL_WIDTH), st.booleans())
def test_stopping_test_agrees_with_the_certificate(seed, variant, alternating):
    """cfr_solve stops on its own sweep-based exploitability; the certificate comes from metrics.exploitability."""
    game = random_tree(seed, max_depth=3)
    loose = cfr_solve(game, variant=variant, alternating=alternating, max_iterations=40, target_exploitability=1e-2,
                      check_every=1)
    assert loose.converged == (loose.certificate[0] <= 1e-2)
    if loose.converged:
        assert exploitability(game, loose.equilibrium) <= 1e-2


# -- general-sum and n-player games -----------------------------------------------------------------------------
def prisoners_dilemma_tree() -> ExtensiveFormGame:
    payoffs = {("c", "c"): (3, 3), ("c", "d"): (0, 5), ("d", "c"): (5, 0), ("d", "d"): (1, 1)}
    return ExtensiveFormGame.from_tree(Decision(0, "row", [(a, Decision(1, "column", [
        (b, Terminal(payoffs[a, b])) for b in "cd"])) for a in "cd"]))


def three_player_tree() -> ExtensiveFormGame:
    """Each player moves once without seeing the others; 'safe' pays its player 1 more than 'risky' whatever the
    others do (so 'safe' is dominant), and every player gains 2 from each other player's 'risky' (general-sum)."""
    def leaf(moves: str) -> Terminal:
        base = [2.0 * (moves.count("r") - (m == "r")) - i for i, m in enumerate(moves)]
        return Terminal(tuple(b + (1.0 if m == "s" else 0.0) for b, m in zip(base, moves, strict=True)))
    return ExtensiveFormGame.from_tree(Decision(0, "p0", [(a, Decision(1, "p1", [(b, Decision(2, "p2", [
        (c, leaf(a + b + c)) for c in "sr"])) for b in "sr"])) for a in "sr"]))


@pytest.mark.parametrize("build", [prisoners_dilemma_tree, three_player_tree])
def test_general_sum_and_n_player_games_run_to_the_dominant_profile(build):
    game = build()
    result = cfr_solve(game, variant="cfr", max_iterations=200)
    assert not result.converged  # no target: nothing to meet
    assert result.certificate[0] < 0.05  # every player's dominant action takes over the average
    dominant = np.array([label in ("d", "s") for labels in game.action_labels for label in labels], dtype=float)
    assert np.max(np.abs(result.equilibrium - dominant)) < 0.05


def test_leduc_reaches_low_exploitability_quickly(leduc):
    result = cfr_solve(leduc, variant="dcfr", max_iterations=400, target_exploitability=1e-2)
    assert result.converged and result.certificate[0] <= 1e-2


# -- the building blocks -----------------------------------------------------------------------------------------
def test_init_and_update_are_pure(kuhn):
    state = cfr_init(kuhn, "pcfr+")
    assert state.iteration == 0 and np.array_equal(current_policy(state), kuhn.uniform_policy())
    assert np.array_equal(average_policy(state), kuhn.uniform_policy())
    snapshot = (state.regrets.copy(), state.policy_sum.copy(), state.policy.copy())
    one = cfr_update(kuhn, state)
    two = cfr_update(kuhn, state)
    assert all(np.array_equal(a, b) for a, b in zip(snapshot, (state.regrets, state.policy_sum, state.policy),
                                                     strict=True))
    assert one.iteration == 1 and np.array_equal(one.policy, two.policy)
    kuhn.check_policy(current_policy(one))
    kuhn.check_policy(average_policy(one))


def test_custom_variant_with_averaging_delay(kuhn):
    delayed = CFRVariant("cfr+ delay 50", regret_floor=True, average_power=1.0, average_delay=50)
    state = run(kuhn, delayed, 50)
    assert np.all(state.policy_sum == 0) and np.array_equal(average_policy(state), kuhn.uniform_policy())
    result = cfr_solve(kuhn, variant=delayed, max_iterations=1000)
    assert result.parameters["variant"] == "cfr+ delay 50" and result.certificate[0] < 1e-3
    assert result.method == "cfr"
    assert cfr_solve(kuhn, variant="linear", max_iterations=1).method == "linear_cfr"


def test_budgets(kuhn):
    timed = cfr_solve(kuhn, variant="cfr", max_seconds=0.05)
    assert not timed.converged and timed.iterations >= 1
    capped = cfr_solve(kuhn, variant="cfr", max_iterations=7, target_exploitability=1e-9)
    assert capped.iterations == 7 and not capped.converged
    default = cfr_solve(kuhn, variant="cfr+")
    assert default.iterations == 1000 and default.parameters["max_iterations"] == 1000


def test_iterations_is_a_deprecated_name_of_max_iterations(kuhn):
    with pytest.warns(DeprecationWarning, match="max_iterations"):
        old = cfr_solve(kuhn, variant="cfr", iterations=7, seed=0)
    new = cfr_solve(kuhn, variant="cfr", max_iterations=7, seed=0)
    assert old.iterations == new.iterations == 7 and old.parameters["max_iterations"] == 7
    np.testing.assert_array_equal(old.equilibrium, new.equilibrium)
    with pytest.warns(DeprecationWarning), pytest.raises(GameError, match="max_iterations only"):
        cfr_solve(kuhn, iterations=7, max_iterations=7)


# -- bad input -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [
    {"variant": "cfr++"}, {"variant": 3}, {"max_iterations": 0}, {"max_iterations": 2.5}, {"max_iterations": True},
    {"max_seconds": 0}, {"max_seconds": float("nan")}, {"target_exploitability": -1e-3},
    {"target_exploitability": "small"}, {"check_every": 0}, {"seed": -1}, {"seed": 1.5}, {"alternating": "yes"}])
def test_bad_arguments_raise_one_line_game_errors(kuhn, kwargs):
    with pytest.raises(GameError) as info:
        cfr_solve(kuhn, **kwargs)
    message = str(info.value)
    assert "\n" not in message and message.startswith("cfr_solve(")


def test_bad_games_and_states(kuhn):
    with pytest.raises(GameError, match=r"cfr_solve\(game\)"):
        cfr_solve(NormalFormGame(np.zeros((2, 2, 2))))
    with pytest.raises(GameError, match=r"cfr_init\(game\)"):
        cfr_init("kuhn")
    with pytest.raises(GameError, match=r"cfr_init\(variant\): unknown CFR variant 'CFR'"):
        cfr_init(kuhn, "CFR")
    with pytest.raises(GameError, match=r"cfr_update\(state\).*different game"):
        cfr_update(prisoners_dilemma_tree(), cfr_init(kuhn))
    with pytest.raises(GameError, match=r"cfr_update\(state\)"):
        cfr_update(kuhn, {"regrets": []})
    with pytest.raises(GameError, match=r"CFRVariant\(sampling\)"):
        CFRVariant("bad", sampling="chance")
    with pytest.raises(GameError, match=r"CFRVariant\(exploration\)"):
        CFRVariant("bad", sampling="outcome", exploration=0.0)
