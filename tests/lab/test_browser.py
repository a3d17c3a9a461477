"""The lab in a real headless Chromium (Playwright driving the system's Chromium): every page loads, the minimax
stepper stepped to the end shows the library's root value and cut branches, a dynamics animation plots the
library's distances, a pasted game's equilibria appear, and a bad one gets a one-sentence error.

Screenshots of each page go to pytest's temporary folder; with ``EQUILIBRIA_LAB_SCREENSHOTS=DIR`` they are also
written as ``DIR/lab-minimax.png``, ``lab-dynamics.png``, ``lab-solve.png``, ``lab-reports.png`` (the README's
pictures: ``EQUILIBRIA_LAB_SCREENSHOTS=docs/images pytest tests/lab/test_browser.py``), and the dynamics page then
runs the page's default comparison (three methods, 1000 steps) instead of the small one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from equilibria.games.zoo import extensive_form as tree_zoo
from equilibria.solvers.tree_search import Cutoff, alphabeta_solve, minimax_solve

SCREENSHOTS = os.environ.get("EQUILIBRIA_LAB_SCREENSHOTS")


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.base = live_server
    yield page
    context.close()
    assert not errors, errors  # no JavaScript error on any page


def _screenshot(page: Any, name: str, tmp_path: Path) -> None:
    page.screenshot(path=str(tmp_path / f"lab-{name}.png"), full_page=True)
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"lab-{name}.png"), full_page=True)


@pytest.mark.parametrize(("path", "heading"), [
    ("/", "equilibria lab"), ("/minimax", "Minimax and alpha-beta"), ("/dynamics", "Learning dynamics"),
    ("/solve", "Solve a game"), ("/reports", "Reproduction reports"),
])
def test_every_page_loads(page: Any, path: str, heading: str) -> None:
    page.goto(page.base + path)
    assert heading in page.inner_text("h1")


def test_the_minimax_stepper_stepped_to_the_end(page: Any, tmp_path: Path) -> None:
    page.goto(page.base + "/minimax")
    page.wait_for_selector("g.node")
    game = tree_zoo.get("minimax-lesson")
    search = alphabeta_solve(game, ordering="none", trace=True)
    shown = []
    for _ in range(4):  # the first events one at a time: root, A, A1 entered with the full window, then leaf A1a
        page.click("#forward")
        shown.append(page.inner_text("#event"))
    assert shown[0] == "1. visit root (MAX), window [α −∞, β +∞]" and shown[3].startswith("4. visit A1a (leaf)")
    page.click("#last")  # then to the end
    total = len(search.parameters["trace"])
    assert page.inner_text("#step-count") == f"step {total} of {total}" and page.is_disabled("#forward")
    assert float(page.inner_text("#root-value")) == float(minimax_solve(game).parameters["value"][0]) == 7
    cut = [game.node_labels[k] for e in search.parameters["trace"] if isinstance(e, Cutoff) for k in e.pruned]
    assert json.loads(page.get_attribute("#cut-branches", "data-cut")) == cut == ["A2b", "B2", "C2b"]
    drawn_cut = page.eval_on_selector_all("g.node[data-state=cut]", "els => els.map(e => e.dataset.label)")
    assert sorted(drawn_cut) == ["A2b", "B2", "B2a", "B2b", "C2b"]  # the cut subtrees, drawn greyed
    assert page.inner_text("#principal-variation") == "C → C1 → C1a"
    assert page.inner_text("#leaves-skipped") == "4 of 12"
    page.click("#back")
    assert page.inner_text("#root-value") == "(searching)"
    page.click("#last")
    _screenshot(page, "minimax", tmp_path)


def test_a_dynamics_animation_plots_the_library_distances(page: Any, tmp_path: Path) -> None:
    page.goto(page.base + "/dynamics")
    page.wait_for_selector("#methods .method")
    page.select_option("#game", "rock-paper-scissors")
    if not SCREENSHOTS:  # a small run: GDA, 200 steps (as in the API test, so JAX's compilation cache serves)
        page.fill("#steps", "200")
        for name in ("optimistic_gda", "extragradient"):
            page.uncheck(f".method[data-method={name}] .use")
    with page.expect_response(lambda r: r.url.endswith("/api/dynamics")) as answer:
        page.click("#run")
    data = answer.value.json()
    page.wait_for_function("document.getElementById('play').textContent.includes('play') && "
                           "+document.getElementById('frame').value === +document.getElementById('frame').max "
                           "&& +document.getElementById('frame').max > 0", timeout=60_000)
    for run in data["runs"]:
        row = f"#runs tr[data-method={run['method']}]"
        plotted = float(page.get_attribute(f"{row} .now", "data-value"))
        assert plotted == run["values"][-1]  # the animation ends on the library's last recorded distance
        assert float(page.get_attribute(f"polyline.distance[data-method={run['method']}]", "data-last")) == plotted
    gda = next(r for r in data["runs"] if r["method"] == "gda")
    assert gda["values"][-1] > gda["values"][0]  # simultaneous GDA drifts away from the uniform equilibrium
    assert "1.003743" in page.inner_text("#runs tr[data-method=gda]")  # sqrt(1 + 3 * 0.05^2)
    _screenshot(page, "dynamics", tmp_path)


def test_solving_a_pasted_game(page: Any, tmp_path: Path) -> None:
    page.goto(page.base + "/solve")
    page.fill("#row", "1 2\n3")
    page.click("#solve")
    page.wait_for_function("document.getElementById('error').textContent.length > 0")
    message = page.inner_text("#error")
    assert "rows have different lengths" in message and "\n" not in message
    page.fill("#row", "2 0\n0 1")
    page.fill("#column", "1 0\n0 2")
    page.click("#solve")
    page.wait_for_selector("tr.equilibrium")
    assert page.inner_text("#error") == ""
    rows = page.eval_on_selector_all("tr.equilibrium", "els => els.map(e => [JSON.parse(e.dataset.strategies), "
                                                       "+e.dataset.certificate])")
    found = sorted(tuple(round(p, 6) for s in strategies for p in s) for strategies, _ in rows)
    assert found == [(0, 1, 0, 1), (0.666667, 0.333333, 0.333333, 0.666667), (1, 0, 1, 0)]
    assert all(certificate <= 1e-12 for _, certificate in rows)
    assert page.locator("circle.equilibrium-dot").count() == 3  # where the best responses cross
    _screenshot(page, "solve", tmp_path)


def test_the_reports_page(page: Any, tmp_path: Path) -> None:
    page.goto(page.base + "/reports")
    page.wait_for_selector("tr.experiment")
    assert "minimax-stepper" in page.inner_text("#experiments") and "passed" in page.inner_text("#experiments")
    frame = page.frame_locator("#report")
    assert "Reproduction report" in frame.locator("h1").inner_text()
    _screenshot(page, "reports", tmp_path)
