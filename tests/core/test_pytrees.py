"""Importing equilibria does not import JAX (issue 16), yet games are JAX pytrees once a program imports JAX."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

HEAVY = ("jax", "numba", "matplotlib", "scipy.optimize")


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return done.stdout.strip()


def test_import_equilibria_imports_no_heavy_library() -> None:
    out = _run(f"import sys, equilibria; print([m for m in {HEAVY!r} if m in sys.modules])")
    assert out == "[]", f"import equilibria imported {out}"


def test_a_game_made_before_jax_is_imported_is_a_pytree_after() -> None:
    out = _run(
        "import numpy as np\n"
        "from equilibria import NormalFormGame\n"
        "game = NormalFormGame(np.arange(8.0).reshape(2, 2, 2))\n"
        "import jax\n"
        "leaves = jax.tree_util.tree_leaves(game)\n"
        "total = jax.jit(lambda g: g.payoffs.sum())(game)\n"
        "import importlib.resources\n"
        "assert type(jax.__spec__.loader).__name__ == 'SourceFileLoader', jax.__spec__.loader\n"
        "assert importlib.resources.files('jax').joinpath('__init__.py').is_file()\n"
        "print(len(leaves), float(total))\n"
    )
    assert out == "1 28.0", out  # one leaf: the payoffs


def test_a_game_is_a_pytree_when_jax_came_first() -> None:
    import jax

    from equilibria import NormalFormGame

    game = NormalFormGame(np.arange(8.0).reshape(2, 2, 2))
    doubled = jax.tree_util.tree_map(lambda x: 2 * x, game)
    assert isinstance(doubled, NormalFormGame)
    np.testing.assert_array_equal(np.asarray(doubled.payoffs), 2 * np.arange(8.0).reshape(2, 2, 2))
