"""Differential test against quantecon's Lemke-Howson (issue 16): the same label means the same path.

quantecon's ``lemke_howson(g, init_pivot=k)`` drops label ``k`` in ``range(m + n)`` with our convention (``k < m``:
the row player's action ``k``; ``m + j``: the column player's action ``j``) and breaks ratio ties
lexicographically as we do, so on nondegenerate games both follow the same path: the same pivots and the same
equilibrium, up to rounding. Our certificate (max regret from the metrics layer) must hold on its end too.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria import NormalFormGame
from equilibria.metrics import max_regret
from equilibria.solvers.lemke_howson import lemke_howson_solve

gt = pytest.importorskip("quantecon.game_theory")


def both(a: np.ndarray, b: np.ndarray, label: int) -> tuple[object, tuple[np.ndarray, np.ndarray], int]:
    """Our result and quantecon's ``(profile, pivots)`` for the path dropping ``label``."""
    ours = lemke_howson_solve(NormalFormGame.bimatrix(a, b), initial_label=label)
    # quantecon's player j holds its own payoffs with its own actions first: the column player's is B^T.
    profile, info = gt.lemke_howson(gt.NormalFormGame((gt.Player(a), gt.Player(b.T))), init_pivot=label,
                                    full_output=True)
    return ours, profile, info.num_iter


@pytest.mark.parametrize(("m", "n", "seed"), [(3, 3, 0), (5, 7, 1), (7, 5, 2), (12, 12, 3), (40, 40, 4),
                                              (140, 130, 5)])
def test_every_label_follows_quantecons_path(m: int, n: int, seed: int) -> None:
    """Random uniform games (nondegenerate with probability 1), dense engine and, at 140 x 130, the revised one."""
    rng = np.random.default_rng(seed)
    a, b = rng.random((m, n)), rng.random((m, n))
    labels = range(m + n) if m + n <= 80 else (0, 1, m - 1, m, m + n - 1)
    for label in labels:
        ours, (x, y), pivots = both(a, b, label)
        assert ours.converged and ours.iterations == pivots, label
        np.testing.assert_allclose(ours.equilibrium[0], x, rtol=0, atol=1e-10)
        np.testing.assert_allclose(ours.equilibrium[1], y, rtol=0, atol=1e-10)
        assert ours.certificate[0] == max_regret(ours.game, ours.equilibrium) <= 1e-9


@given(st.integers(1, 9), st.integers(1, 9), st.integers(0, 2**32 - 1), st.data())
@settings(max_examples=30, deadline=None)
def test_random_shapes_and_labels_agree(m: int, n: int, seed: int, data: st.DataObject) -> None:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(m, n)), rng.normal(size=(m, n))
    label = data.draw(st.integers(0, m + n - 1))
    ours, (x, y), pivots = both(a, b, label)
    assert ours.iterations == pivots
    np.testing.assert_allclose(np.concatenate(ours.equilibrium), np.concatenate((x, y)), rtol=0, atol=1e-10)
