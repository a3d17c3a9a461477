"""Games too large for a method's memory are refused up front, never with a raw MemoryError (issue 15, item 3).

Before: on a 10^6 x 2 game, ``--all`` (vertex enumeration) asked NumPy for 7.28 TiB, support enumeration for
244 GiB, the CE LP for 931 GiB and the CCE LP for 14.6 TiB, each ending in a MemoryError; so did ``pure`` (an
identity matrix per pure profile). Now the estimate is made from the shape alone, before any allocation, and
compared with ``_common.memory_limit()``; methods whose working memory does not grow with the game's square
(support enumeration, pure) size their work instead and run.
"""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from equilibria import GameError, NormalFormGame
from equilibria.cli import main
from equilibria.games.io import save_game
from equilibria.solvers import _common
from equilibria.solvers.correlated_lp import coarse_correlated_solve, correlated_solve
from equilibria.solvers.pure import pure_solve
from equilibria.solvers.support_enumeration import support_enumeration_solve
from equilibria.solvers.vertex_enumeration import vertex_enumeration_solve

ROWS = 10**6


@pytest.fixture(scope="module")
def tall_game() -> NormalFormGame:
    """A 10^6 x 2 game (32 MB of payoffs) with one pure equilibrium: row 0 against column 0 pays both players 2."""
    payoffs = np.random.default_rng(0).random((2, ROWS, 2))
    payoffs[:, 0, 0] = 2.0
    return NormalFormGame(payoffs)


@pytest.mark.parametrize(("solve", "words"), [
    (vertex_enumeration_solve, ("vertex_enumeration_solve", "1,000,000 x 2 game", "1,000,000 x 1,000,003", "TiB")),
    (lambda game: vertex_enumeration_solve(game, rational=True), ("vertex_enumeration_solve", "TiB")),
    (correlated_solve, ("correlated_solve", "CE LP", "2,000,000 variables", "2,000,000,000,000 constraint entries",
                        "TiB")),
    (coarse_correlated_solve, ("coarse_correlated_solve", "CCE LP", "2,000,000 variables", "1,000,002 constraint rows",
                               "TiB")),
], ids=["vertex", "vertex-rational", "correlated", "coarse_correlated"])
def test_refused_up_front_with_the_size_and_the_limit(tall_game: NormalFormGame, solve, words) -> None:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(GameError) as error:
            solve(tall_game)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    message = str(error.value)
    assert "\n" not in message and "the limit is" in message and _common.format_bytes(_common.memory_limit()) in message
    assert all(word in message for word in words), message
    assert peak < 2**26 and time.perf_counter() - started < 2.0  # nothing of the estimated size was allocated


def test_support_enumeration_and_pure_size_their_work_instead(tall_game: NormalFormGame) -> None:
    """Their memory is linear in the game: they run (within the budget) rather than refuse."""
    result = support_enumeration_solve(tall_game, max_seconds=0.5)
    assert not result.converged and result.complete is False and all(c <= 1e-9 for c in result.certificate)
    pure = pure_solve(tall_game)
    assert pure.converged and any(s[0][0] == 1.0 and s[1][0] == 1.0 for s in pure.equilibria)
    assert all(c == 0.0 for c in pure.certificate)


def test_memory_limit_is_half_the_machine_or_the_documented_constant(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert _common.memory_limit() == physical // 2
    monkeypatch.setattr(_common, "MEMORY_LIMIT_BYTES", 10**6)
    assert _common.memory_limit() == 10**6
    assert _common.format_bytes(7.28 * 2**40) == "7.3 TiB" and _common.format_bytes(512) == "512 B"
    small = NormalFormGame(np.random.default_rng(1).random((2, 300, 2)))
    with pytest.raises(GameError, match="correlated_solve: the CE LP of a 300 x 2 game .* the limit is 976.6 KiB"):
        correlated_solve(small)
    assert vertex_enumeration_solve(NormalFormGame(np.random.default_rng(1).random((2, 30, 2)))).converged


@pytest.mark.parametrize("options", [["--all"], ["--method", "correlated"], ["--method", "coarse_correlated"],
                                     ["--all", "--rational"]])
def test_the_cli_refuses_with_exit_code_2_and_one_line(options: list[str], tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """Through ``equilibria solve``: a game file whose method would exceed the limit (lowered here so that the file
    stays small: reading a 10^6 x 2 file takes longer than the refusal)."""
    path = tmp_path / "tall.nfg"
    save_game(NormalFormGame(np.random.default_rng(2).integers(0, 9, (2, 2000, 2)).astype(float)), path)
    monkeypatch.setattr(_common, "MEMORY_LIMIT_BYTES", 2**24)
    assert main(["solve", str(path), *options]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert captured.out == "" and len(lines) == 1 and lines[0].startswith("equilibria: error: ")
    assert "2,000 x 2 game" in lines[0] and "the limit is 16.0 MiB" in lines[0]
