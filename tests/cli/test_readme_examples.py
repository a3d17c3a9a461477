"""The README's command lines run as printed, on the example files that ship with the repository (issue 15: the
README used `game.nfg`, which did not ship)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from equilibria.cli import main

ROOT = Path(__file__).resolve().parents[2]


def readme_commands() -> list[list[str]]:
    """Every ``equilibria solve``/``games``/``rlhf`` line of the README's shell blocks (the fast ones), as argument
    lists."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if words[:1] == ["equilibria"] and words[1:2] in (["solve"], ["games"], ["rlhf"]):
                commands.append(words[1:])
    return commands


def test_readme_example_files_ship() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    paths = set(re.findall(r"\bexamples/[\w./-]+\.(?:nfg|efg|json|csv)\b", text))
    assert paths, "the README names no example file"
    assert all((ROOT / p).is_file() for p in paths), sorted(p for p in paths if not (ROOT / p).is_file())


@pytest.mark.parametrize("argv", readme_commands(), ids=" ".join)
def test_readme_command_runs_as_printed(argv: list[str], monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(ROOT)
    assert main(argv) == 0, capsys.readouterr().err
    assert capsys.readouterr().out.strip()
