"""Tabular MDP generators: gridworld and objectworld (Levine, Popovic and Koltun 2011), a cliff world, and the
``imitation`` library's 5-state test MDP. NumPy inside; each returns a validated
:class:`~equilibria.applications.irl.mdp.TabularMDP`.

Grid conventions: cell ``(row, col)`` is state ``row * width + col``, row 0 at the top. Grid actions move one cell;
a move into a wall stays put. With probability ``slip`` the action taken is replaced by one drawn uniformly from all
the actions (the intended one included), so ``T(. | s, a) = (1 - slip) * move(s, a) + slip * mean_b move(s, b)``.
Random worlds take ``seed``: an int or a ``numpy.random.Generator``.
"""

from __future__ import annotations

import numpy as np

from equilibria.applications.irl.mdp import TabularMDP, make_mdp
from equilibria.core.errors import GameError

# (d_row, d_col) of the actions of gridworld and objectworld: stay, up, down, left, right
_FIVE_MOVES = ((0, 0), (-1, 0), (1, 0), (0, -1), (0, 1))
# cliff world: up, down, left, right
_FOUR_MOVES = _FIVE_MOVES[1:]


def _check_int(value: object, name: str, where: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise GameError(f"{where}: {name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def _check_slip(slip: float, where: str) -> float:
    if not 0.0 <= float(slip) <= 1.0:
        raise GameError(f"{where}: slip must be in [0, 1], got {slip!r}")
    return float(slip)


def _grid_transitions(height: int, width: int, moves: tuple[tuple[int, int], ...], slip: float) -> np.ndarray:
    """[S, A, S] for a grid with walls at the border and uniform slipping (module docstring)."""
    n = height * width
    move = np.zeros((n, len(moves), n))
    for row in range(height):
        for col in range(width):
            for a, (dr, dc) in enumerate(moves):
                r, c = row + dr, col + dc
                if not (0 <= r < height and 0 <= c < width):
                    r, c = row, col
                move[row * width + col, a, r * width + c] = 1.0
    return (1.0 - slip) * move + slip * move.mean(axis=1, keepdims=True)


def gridworld(
    size: int,
    *,
    slip: float = 0.3,
    horizon: int | None = None,
    discount: float = 0.9,
    macro_block: int | None = None,
    seed: int | np.random.Generator = 0,
) -> TabularMDP:
    """A ``size x size`` grid, 5 actions (stay, up, down, left, right), reward constant on macro blocks.

    The reward of each ``macro_block x macro_block`` block (default ``max(1, size // 4)``; the last row and column of
    blocks are cut short when it does not divide ``size``) is drawn uniformly from [0, 1), as in Levine et al.
    (2011)'s gridworld benchmark (the distribution is our choice). Features: one-hot state indicators [S, S] (a
    linear reward can represent any state reward). Initial state: uniform over the cells.
    """
    where = "gridworld"
    size = _check_int(size, "size", where, 1)
    slip = _check_slip(slip, where)
    block = max(1, size // 4) if macro_block is None else _check_int(macro_block, "macro_block", where, 1)
    rng = np.random.default_rng(seed)
    n_blocks = -(-size // block)
    block_reward = rng.uniform(0.0, 1.0, size=(n_blocks, n_blocks))
    rows, cols = np.divmod(np.arange(size * size), size)
    reward = block_reward[rows // block, cols // block]
    n = size * size
    return make_mdp(
        _grid_transitions(size, size, _FIVE_MOVES, slip),
        np.eye(n),
        reward,
        np.full(n, 1.0 / n),
        horizon=horizon,
        discount=discount,
    )


def objectworld(
    size: int,
    *,
    n_colours: int = 2,
    n_objects: int | None = None,
    slip: float = 0.3,
    horizon: int | None = None,
    discount: float = 0.9,
    continuous_features: bool = False,
    seed: int | np.random.Generator = 0,
) -> TabularMDP:
    """Levine, Popovic and Koltun (2011)'s objectworld on a ``size x size`` grid with gridworld's 5 actions.

    ``n_objects`` objects (default ``max(2, round(0.15 * size**2))``) sit on distinct random cells, each with an
    inner and an outer colour in ``0 .. n_colours - 1``. Distances are Euclidean between cells; "within distance
    d of colour c" means an object of *outer* colour c at distance <= d. Reward: +1 within distance 3 of colour 0
    and distance 2 of colour 1, -1 within distance 3 of colour 0 only, 0 otherwise. Our choices where the paper
    leaves freedom: the first two objects get outer colours 0 and 1 (so that the reward is not trivially zero),
    the other colours are uniform; the initial state is uniform over the cells.

    Features [S, F]: ``continuous_features=False``: binary indicators "an object of outer colour c within distance
    d", then the same for inner colours, for c = 0 .. n_colours-1 and d = 1 .. size (F = 2 * n_colours * size);
    ``True``: the distances to the nearest object of each outer colour, then of each inner colour (F =
    2 * n_colours; a colour absent from the grid reads ``size * sqrt(2)``, beyond any distance on the grid).
    """
    where = "objectworld"
    size = _check_int(size, "size", where, 1)
    n_colours = _check_int(n_colours, "n_colours", where, 2)
    slip = _check_slip(slip, where)
    count = max(2, round(0.15 * size * size)) if n_objects is None else _check_int(n_objects, "n_objects", where, 2)
    if count > size * size:
        raise GameError(f"{where}: n_objects must be <= size**2 = {size * size}, got {count}")
    rng = np.random.default_rng(seed)
    cells = rng.choice(size * size, size=count, replace=False)
    outer = rng.integers(0, n_colours, size=count)
    outer[:2] = (0, 1)
    inner = rng.integers(0, n_colours, size=count)
    n = size * size
    rows, cols = np.divmod(np.arange(n), size)
    obj_rows, obj_cols = np.divmod(cells, size)
    # [S, n_objects] Euclidean distances between cells
    distance = np.hypot(rows[:, None] - obj_rows[None, :], cols[:, None] - obj_cols[None, :])
    absent = size * np.sqrt(2.0)

    def nearest(colours: np.ndarray) -> np.ndarray:  # [S, n_colours]
        out = np.full((n, n_colours), absent)
        for c in range(n_colours):
            if np.any(colours == c):
                out[:, c] = distance[:, colours == c].min(axis=1)
        return out

    near_outer, near_inner = nearest(outer), nearest(inner)
    near0, near1 = near_outer[:, 0] <= 3, near_outer[:, 1] <= 2
    reward = np.where(near0 & near1, 1.0, np.where(near0, -1.0, 0.0))
    if continuous_features:
        features = np.concatenate([near_outer, near_inner], axis=1)
    else:
        radii = np.arange(1, size + 1)
        features = np.concatenate(
            [(near[:, :, None] <= radii).reshape(n, -1) for near in (near_outer, near_inner)], axis=1
        ).astype(np.float64)
    return make_mdp(
        _grid_transitions(size, size, _FIVE_MOVES, slip),
        features,
        reward,
        np.full(n, 1.0 / n),
        horizon=horizon,
        discount=discount,
    )


def cliff_world(
    width: int = 7, height: int = 4, *, horizon: int = 9, discount: float = 1.0, slip: float = 0.0
) -> TabularMDP:
    """A grid with a cliff along the bottom edge: start at the bottom-left cell, goal at the bottom-right, the cells
    between them are the cliff. 4 actions (up, down, left, right). Rewards (those of ``seals``' CliffWorld):
    +10 at the goal, -10 on the cliff, -1 elsewhere; no cell is absorbing (falling costs, it does not end the
    episode). Features: one-hot state indicators. Initial state: the start cell.
    """
    where = "cliff_world"
    width = _check_int(width, "width", where, 3)
    height = _check_int(height, "height", where, 2)
    slip = _check_slip(slip, where)
    n = width * height
    bottom = (height - 1) * width
    reward = np.full(n, -1.0)
    reward[bottom + 1 : bottom + width - 1] = -10.0
    reward[bottom + width - 1] = 10.0
    initial = np.zeros(n)
    initial[bottom] = 1.0
    return make_mdp(
        _grid_transitions(height, width, _FOUR_MOVES, slip),
        np.eye(n),
        reward,
        initial,
        horizon=horizon,
        discount=discount,
    )


def reasonable_pomdp(*, discount: float = 1.0) -> TabularMDP:
    """The ``imitation`` library's 5-state, 3-action test MDP (its ``ReasonablePOMDP``; data from its tests), with
    its 8-column observation matrix as features, horizon 20 and start in state 0 or 4 with probability 1/2 each.

    States: 0 start; 1 and 2 equivalent (reward 2); 3 a trap (reward -20) leading to 4; 4 good (reward 3), all of
    whose actions return to 0. From 0, actions 0/2 lead mostly to 1/2 and action 1 to 3; from 1 and 2, action 2
    reaches 4 surely, action 0 with probability 0.95 (else 3), action 1 goes to 3.
    """
    features = np.array(
        [
            [3, -5, -1, -1, -4, 5, 3, 0],
            [4, -4, 2, 2, -4, -1, -2, -2],
            [3, -1, 5, -1, 0, 2, -5, 2],
            [-5, -1, 4, 1, 4, 1, 5, 3],
            [2, -5, 1, -5, 1, 4, 4, -3],
        ],
        dtype=np.float64,
    )
    from_1_or_2 = [[0, 0, 0, 0.05, 0.95], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1]]
    transitions = np.array(
        [
            [[0, 0.9, 0.1, 0, 0], [0, 0, 0, 1, 0], [0, 0.1, 0.9, 0, 0]],
            from_1_or_2,
            from_1_or_2,
            [[0, 0, 0, 0, 1]] * 3,
            [[1, 0, 0, 0, 0]] * 3,
        ],
        dtype=np.float64,
    )
    reward = np.array([1.0, 2.0, 2.0, -20.0, 3.0])
    initial = np.array([0.5, 0.0, 0.0, 0.0, 0.5])
    return make_mdp(transitions, features, reward, initial, horizon=20, discount=discount)
