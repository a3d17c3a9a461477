"""The reports page's data: what ``equilibria reproduce`` wrote under the lab's reports folder, served read-only.

A requested path is resolved (symbolic links followed) and must stay inside the folder: ``..``, absolute paths,
drive names, NUL bytes and links that lead out are all answered 404, the same as a missing file, so a request
cannot tell what exists outside. The lab never writes there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from equilibria.lab._requests import LabError

MAX_LISTED = 500  # files listed by GET /api/reports (a large folder is cut, and says so)


def report_listing(root: Path | None) -> dict[str, Any]:
    """``GET /api/reports``: the folder, whether it holds an ``index.html``, its experiments (from
    ``results.json``: title, passed, complete) and its files."""
    if root is None or not root.is_dir():
        return {"folder": None if root is None else str(root), "exists": False, "index": False, "experiments": [],
                "files": [], "truncated": False}
    from equilibria.experiments.runner import read_results

    experiments = [{"name": name, "title": str(entry.get("title", name)), "passed": entry.get("passed"),
                    "complete": entry.get("complete"), "quick": entry.get("quick")}
                   for name, entry in read_results(root).items()]
    resolved = root.resolve()
    files: list[str] = []
    for path in sorted(root.rglob("*")):
        if len(files) >= MAX_LISTED:
            break
        if path.is_file() and _inside(path, resolved):
            files.append(path.relative_to(root).as_posix())
    return {"folder": str(root), "exists": True, "index": (root / "index.html").is_file(),
            "experiments": experiments, "files": files, "truncated": len(files) >= MAX_LISTED}


def _inside(path: Path, resolved_root: Path) -> bool:
    try:
        return path.resolve().is_relative_to(resolved_root)
    except (OSError, RuntimeError):  # a loop of links, a name the system refuses
        return False


def report_file(root: Path | None, relative: str) -> Path:
    """The file ``relative`` names inside ``root`` (``index.html`` for the folder itself), or a 404 LabError."""
    missing = LabError(f"no report file {relative[:80]!r} under the reports folder", 404)
    if root is None or "\0" in relative or "\\" in relative:
        raise missing
    parts = [p for p in relative.split("/") if p not in ("", ".")]
    if relative.startswith("/") or any(p == ".." or ":" in p for p in parts):
        raise missing
    target = root.joinpath(*parts) if parts else root / "index.html"
    try:
        resolved_root = root.resolve(strict=True)
        resolved = target.resolve(strict=True)
    except (OSError, RuntimeError):
        raise missing from None
    if not resolved.is_relative_to(resolved_root):
        raise missing
    if resolved.is_dir():
        resolved = resolved / "index.html"
    if not resolved.is_file():
        raise missing
    return resolved
