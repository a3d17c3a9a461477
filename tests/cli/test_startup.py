"""The command line starts without JAX (issue 16): building the parser, --help, `games` and solving a normal-form or
tree game import none of jax, matplotlib or scipy.optimize, and solving a small game not numba either; each case
runs in a fresh interpreter.

If this fails, a module on that path imports a heavy library at module level: import it inside the function that
uses it (see core/pytrees.py for how games become pytrees once JAX is imported)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

NEVER = ("jax", "matplotlib", "scipy.optimize", "equinox", "optax")


def _loaded_after(code: str) -> list[str]:
    program = (
        "import contextlib, io, json, sys\n"
        f"{code}\n"
        f"print(json.dumps([m for m in {NEVER!r} + ('numba',) if m in sys.modules]))\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=300, check=True)
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def _main(*argv: str) -> str:
    return (f"from equilibria.cli import main\nwith contextlib.redirect_stdout(io.StringIO()):\n"
            f"    assert main({list(argv)!r}) == 0\n")


def test_the_parser_imports_nothing_heavy() -> None:
    assert _loaded_after("from equilibria.cli import build_parser\nbuild_parser()") == []


@pytest.mark.parametrize("argv", [
    ("games",), ("games", "--format", "json"),
])
def test_listing_imports_nothing_heavy(argv: tuple[str, ...]) -> None:
    assert _loaded_after(_main(*argv)) == []


def test_help_imports_nothing_heavy() -> None:
    code = ("from equilibria.cli import main\nfor argv in (['--help'], ['solve', '--help'], ['dynamics', '--help'], "
            "['reproduce', '--help']):\n    with contextlib.redirect_stdout(io.StringIO()):\n"
            "        assert main(argv) == 0\n")
    assert _loaded_after(code) == []


@pytest.mark.parametrize("argv", [
    ("solve", "battle-of-the-sexes"), ("solve", "prisoners-dilemma", "--all"), ("solve", "kuhn-poker", "-m", "cfr+",
                                                                               "--max-iterations", "50"),
    ("solve", "minimax-lesson"), ("solve", "three-player-matching-pennies"),
])
def test_solving_imports_no_jax(argv: tuple[str, ...]) -> None:
    loaded = _loaded_after(_main(*argv))
    assert not set(loaded) & {"jax", "matplotlib", "equinox", "optax"}, loaded


@pytest.mark.parametrize("argv", [
    ("solve", "battle-of-the-sexes"), ("solve", "matching-pennies"), ("solve", "prisoners-dilemma", "--all"),
    ("solve", "rock-paper-scissors", "--method", "support"), ("solve", "three-player-matching-pennies"),
    ("solve", "minimax-lesson"), ("solve", "kuhn-poker"),
])
def test_solving_a_small_game_loads_no_compiled_code(argv: tuple[str, ...]) -> None:
    """A small game is solved interpreted (equilibria.core.compiled.prefer_interpreted): loading numba and its
    compiled code, or scipy.optimize for HiGHS, would take longer than the solve."""
    assert _loaded_after(_main(*argv)) == []
