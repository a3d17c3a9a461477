"""Fixtures of the web lab's tests: an app over a small reports folder, a live server, a headless Chromium.

The browser is Debian's Chromium driven by Playwright (never a downloaded browser: ``playwright install`` is not
needed). Without Playwright or Chromium the browser tests are skipped with a reason that says how to fix it, and
``make test``'s summary repeats it (``pytest_terminal_summary`` in ``tests/conftest.py``).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from equilibria.lab.limits import Limits

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
BROWSER_SKIP_PREFIX = "browser tests skipped:"


def make_reports(root: Path) -> Path:
    """A reports folder as ``equilibria reproduce`` writes it (index.html, results.json, a figure), plus a secret
    file beside it and a symbolic link out of it, for the traversal tests."""
    reports = root / "report"
    (reports / "figures").mkdir(parents=True)
    (reports / "index.html").write_text("<!doctype html><title>report</title><h1>Reproduction report</h1>"
                                        "<p>minimax-stepper: passed</p>", encoding="utf-8")
    (reports / "results.json").write_text(json.dumps({"version": "test", "experiments": {
        "minimax-stepper": {"title": "Minimax and alpha-beta on the lesson tree", "passed": True, "complete": True,
                            "quick": True}}}), encoding="utf-8")
    (reports / "figures" / "tree.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>', encoding="utf-8")
    (root / "secret.txt").write_text("outside the reports folder", encoding="utf-8")
    (reports / "escape").symlink_to(root / "secret.txt")
    return reports


@pytest.fixture(scope="module")
def reports_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_reports(tmp_path_factory.mktemp("lab"))


@pytest.fixture(scope="module")
def limits() -> Limits:
    # Small bounds so the oversized-input tests stay small; the dynamics budget leaves room for JAX's compile.
    return Limits(max_body_bytes=64 * 1024, max_payoff_entries=400, max_tree_nodes=200, max_steps=2000,
                  max_methods=3, max_seconds=5.0, dynamics_seconds=60.0)


@pytest.fixture(scope="module")
def live_server(reports_dir: Path, limits: Limits) -> Iterator[str]:
    """The lab served by uvicorn in a background thread on a free port; yields its base URL."""
    import uvicorn

    from equilibria.lab.app import create_app
    from equilibria.lab.server import bind

    sock = bind("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(create_app(reports=reports_dir, limits=limits), log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=5)
    sock.close()


def chromium_path() -> str | None:
    for candidate in (os.environ.get("EQUILIBRIA_CHROMIUM"), *CHROMIUM_CANDIDATES, shutil.which("chromium")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module (Playwright driving the system's Chromium)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip(f"{BROWSER_SKIP_PREFIX} Playwright is not installed (pip install playwright; it drives the "
                    "system's Chromium, no `playwright install` needed)")
    executable = chromium_path()
    if executable is None:
        pytest.skip(f"{BROWSER_SKIP_PREFIX} Chromium is not installed (apt-get install chromium, or set "
                    "EQUILIBRIA_CHROMIUM to a Chromium binary)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, headless=True,
                                     args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        yield chromium
        chromium.close()
