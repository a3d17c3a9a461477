"""The HTML report: round-off printed as 0 below each check's tolerance (never above), table of contents, anchors."""

from __future__ import annotations

import json
import math
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria.experiments import Check, ExperimentResult, Figure, Table
from equilibria.experiments.runner import run_experiment
from equilibria.report.html import format_below, render_report


class Page(HTMLParser):
    """Collects ids, links, the text of every element with an id or class, and table cells with their titles."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.links: list[tuple[str, str]] = []  # (href, text)
        self.cells: list[tuple[str, str | None]] = []  # (text, title)
        self.order: list[str] = []  # ids and section starts in document order
        self._link: list[Any] = []
        self._cell: list[Any] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(str(a["id"]))
            self.order.append(f"{tag}#{a['id']}")
        if tag == "a" and a.get("href"):
            self._link = [a["href"], ""]
        if tag == "td":
            self._cell = ["", a.get("title")]

    def handle_data(self, data: str) -> None:
        if self._link:
            self._link[1] += data
        if self._cell:
            self._cell[0] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._link:
            self.links.append((self._link[0], self._link[1]))
            self._link = []
        if tag == "td" and self._cell:
            self.cells.append((self._cell[0], self._cell[1]))
            self._cell = []


# -- numbers below a tolerance ----------------------------------------------------------------------------------------
def test_round_off_is_printed_as_zero_and_everything_else_as_measured() -> None:
    assert format_below("3.08148791e-33", 1e-9) == "0"
    assert format_below("0: -5.6e-17, 1/6: 5.6e-17, 1/3: 2e-12", 1e-12) == "0: 0, 1/6: 0, 1/3: 2e-12"
    assert format_below("(0.0780, 0.4119) residual 9.7e-17", 1e-6) == "(0.0780, 0.4119) residual 0"
    assert format_below("+2.22e-16-1.732051i", 1e-9) == "0-1.732051i"
    assert format_below("1.0e-09 and 9.9e-10", 1e-9) == "1.0e-09 and 0"  # at the tolerance: shown
    assert format_below("x0 = 1e-20 in game 3x2", 1e-9) == "x0 = 0 in game 3x2"  # digits of names are kept
    assert format_below("3.08e-33", None) == "3.08e-33"


@settings(max_examples=60, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6),
       st.sampled_from([1e-12, 1e-9, 1e-6]), st.sampled_from([".3g", ".1e", ".9g", ".4f"]))
def test_a_value_is_zeroed_exactly_when_its_printed_magnitude_is_below_the_tolerance(
        value: float, tolerance: float, spec: str) -> None:
    text = format(value, spec)
    shown = format_below(f"measured {text} here", tolerance)
    if abs(float(text)) < tolerance:
        assert shown == "measured 0 here"
    else:
        assert shown == f"measured {text} here"  # never hides a value at or above the tolerance
        assert float(shown.split()[1]) == float(text)  # the printed number itself, untouched
        assert math.isclose(float(text), value, rel_tol=0.06, abs_tol=1e-4)


def entry(title: str, checks: tuple[Check, ...], tables: tuple[Table, ...] = (), figures: tuple[Figure, ...] = (),
          **extra: Any) -> dict[str, Any]:
    result = ExperimentResult({}, checks, tables, figures)
    return {"title": title, "description": f"about {title}", "quick": False, "seconds": 1.5, "cached": False,
            "passed": result.passed, **extra, **result.to_json()}


def test_checks_and_columns_with_a_tolerance_print_round_off_as_zero_with_the_measurement_in_a_tooltip() -> None:
    checks = (Check("game value", "0", "3.08148791e-33", True, zero_below=1e-9),
              Check("CE gap", "<= 1e-9", "2e-09", False, zero_below=1e-9),
              Check("convergence", "<= 1e-4", "8.74e-05", True))  # a pass band, not a zero: printed as measured
    table = Table("solvers", ("game", "worst certificate", "ms"), (("rps", "5.6e-17", "1e-20"),),
                  zero_below={"worst certificate": 1e-9})
    page = Page(render_report({"atlas": entry("Atlas", checks, (table,))}))
    shown = [text for text, _ in page.cells]
    zeroed = [title for text, title in page.cells if text == "0" and title]  # (the expected "0" has no title)
    assert "3.08148791e-33" not in shown and "5.6e-17" not in shown
    assert len(zeroed) == 2
    assert "as measured: 3.08148791e-33" in zeroed[0] and "as measured: 5.6e-17" in zeroed[1]
    assert "2e-09" in shown and "8.74e-05" in shown  # above the tolerance / no tolerance: as measured
    assert "1e-20" in shown  # a column without a tolerance is printed as measured


def test_the_zoo_atlas_prints_its_zero_game_values_as_zero(tmp_path: Path) -> None:
    """The report's 3.08e-33 (matching pennies' LP value): 0 in the page, as measured in results.json."""
    from equilibria.experiments import registry

    outcome = run_experiment(registry()["zoo-atlas"], tmp_path, quick=True, show_progress=False)
    checks = [c for c in outcome.result.checks if c.claim == "matching-pennies: game value"]
    assert checks and checks[0].zero_below == 1e-9 and checks[0].passed
    page = Page(render_report({"zoo-atlas": entry("Zoo", outcome.result.checks, outcome.result.tables)}))
    shown = " ".join(text for text, _ in page.cells)
    assert "e-33" not in shown and "e-17" not in shown and "e-16" not in shown
    assert any(title and "3.08148791e-33" in title for _, title in page.cells)  # in the tooltip
    assert abs(float(checks[0].measured)) < 1e-9  # the measurement itself is kept
    table = outcome.result.tables[0]
    assert table.zero_below == {"worst certificate": 1e-9}
    assert json.loads(json.dumps(outcome.result.to_json()))["tables"][0]["zero_below"] == {"worst certificate": 1e-9}


# -- navigation -------------------------------------------------------------------------------------------------------
@pytest.fixture
def page() -> tuple[str, Page]:
    passing = (Check("a", "1", "1", True),)
    entries = {
        "first-experiment": entry("First", passing, (Table("T1", ("x",), ((1,),)), Table("T2", ("y",), ((2,),))),
                                  (Figure("f.png", "a figure"),), units={"resumed": 2, "total": 5}),
        "second": entry("Second", (Check("b", "1", "2", False),), quick=True),
        "third": entry("Third", passing, overrides={"steps": 20}),
    }
    text = render_report(entries)
    return text, Page(text)


def test_a_table_of_contents_at_the_top_links_every_section_and_its_parts(page: tuple[str, Page]) -> None:
    text, parsed = page
    assert parsed.order[0] == "h1#top" and parsed.order[1] == "nav#contents"
    sections = [o.split("#")[1] for o in parsed.order if o.startswith("section#")]
    assert sections == ["first-experiment", "second", "third"]
    contents = text[text.index('<nav id="contents"'):text.index("</nav>")]
    for name in sections:
        assert f'href="#{name}"' in contents
    for part in ("first-experiment--checks", "first-experiment--table-1", "first-experiment--table-2",
                 "first-experiment--figures", "second--checks"):
        assert f'href="#{part}"' in contents and part in parsed.ids
    assert "NOT reproduced" in contents and "quick" in contents and "full (overridden)" in contents


def test_every_link_lands_on_an_anchor_and_anchors_are_unique(page: tuple[str, Page]) -> None:
    _, parsed = page
    assert len(parsed.ids) == len(set(parsed.ids))
    targets = {href[1:] for href, _ in parsed.links if href.startswith("#")}
    assert targets <= set(parsed.ids)


def test_every_section_has_its_own_anchor_link_and_a_way_back_to_the_top(page: tuple[str, Page]) -> None:
    text, parsed = page
    for name in ("first-experiment", "second", "third"):
        section = text[text.index(f'<section id="{name}">'):]
        section = section[:section.index("</section>")]
        heading = section[section.index("<h2>"):section.index("</h2>")]
        assert f'href="#{name}"' in heading
        assert '<a href="#top">back to top</a>' in section
    assert sum(1 for href, label in parsed.links if href == "#top" and label == "back to top") == 3
    assert "2 of 5 units of work resumed from checkpoints" in text and "configuration overridden: steps=20" in text


def test_an_entry_of_an_older_results_file_still_renders() -> None:
    old = {"title": "Old", "quick": True, "seconds": 2.0, "cached": True, "passed": True, "summary": {},
           "checks": [{"claim": "c", "expected": "1", "measured": "1", "passed": True}],
           "tables": [{"title": "t", "columns": ["a"], "rows": [[1]]}], "figures": []}
    parsed = Page(render_report({"old": old}))
    assert "old" in parsed.ids and "old--table-1" in parsed.ids
