"""Imports point down the layers (docs/design.md), checked on every import statement of the package, those inside
functions included: the report does not import the experiments (issue 16), an application never imports another."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "equilibria"
# Lower numbers are lower layers (the lab sits below the command line, which starts it); a module may import its own
# region and regions of a strictly lower rank.
RANK = {"core": 0, "distributed": 1, "games": 1, "metrics": 2, "solvers": 3, "dynamics": 4, "applications": 5,
        "report": 5, "experiments": 6, "lab": 6.5, "cli": 7, "__init__": 7, "__main__": 8}
# Known upward imports, each with its reason (keep this list short and true).
EXCEPTIONS = {
    ("solvers/local.py", "dynamics"): "local CCE and STON'R are computed by running projected gradient dynamics",
}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return [name for name in found if name.startswith("equilibria.")]


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down(path: Path) -> None:
    relative = path.relative_to(PACKAGE)
    region = relative.parts[0].removesuffix(".py")
    wrong = []
    for name in _imports(path):
        target = name.split(".")[1]
        if target == region:
            if region == "applications" and len(relative.parts) > 2 and len(name.split(".")) > 2:
                own, other = relative.parts[1], name.split(".")[2]
                if other != own and other != "__init__":
                    wrong.append(f"{name} (an application imports another)")
            continue
        if RANK[target] >= RANK[region] and (str(relative), target) not in EXCEPTIONS:
            wrong.append(name)
    assert not wrong, f"{relative} ({region}) imports up the layers: {wrong}"


def test_the_exceptions_are_still_needed() -> None:
    for (module, target), _reason in EXCEPTIONS.items():
        assert any(name.split(".")[1] == target for name in _imports(PACKAGE / module)), (module, target)
