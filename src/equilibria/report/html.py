"""Render the experiments of ``results.json`` as one self-contained ``index.html`` (figures are linked PNGs beside it).

Navigation: a table of contents at the top (one row per experiment: verdict, checks passed, mode, and links to the
section's checks, tables and figures); every section heading carries its own anchor link and every section ends with
a "back to top" link. Anchors: ``#<experiment>``, ``#<experiment>--checks``, ``#<experiment>--table-<k>`` (from 1),
``#<experiment>--figures``; ``#top`` is the page's heading.

Numbers: a check or a table column with ``zero_below`` (the tolerance under which its numbers are round-off of 0, see
:class:`equilibria.experiments.base.Check`) prints each number of smaller magnitude as ``0``; the text as measured
stays in the cell's tooltip and in ``results.json``. Numbers at or above the tolerance are printed as measured.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from equilibria import __version__

_STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } .pass { color: #137333; font-weight: 600; } .fail { color: #b3261e; font-weight: 600; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 13px; color: #555; } .meta { color: #666; font-size: 13px; }
code { background: #f4f4f4; padding: 0 3px; }
a.anchor { color: #aaa; text-decoration: none; margin-left: 0.3em; font-weight: normal; }
a.anchor:hover { color: #222; } .top { font-size: 13px; } td.zeroed { text-decoration: underline dotted #999; }
"""

# A decimal number standing on its own (not the digit of a name such as ``x0`` or ``3x2``'s ``2``).
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")


def _e(x: Any) -> str:
    return html.escape(str(x))


def _anchor(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", name)


def format_below(text: str, tolerance: float | None) -> str:
    """``text`` with every number whose magnitude is below ``tolerance`` written as ``0`` (unchanged when None)."""
    if tolerance is None:
        return text

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        return "0" if abs(float(token)) < tolerance else token

    return _NUMBER.sub(replace, text)


def _cell(value: Any, tolerance: float | None, css: str = "") -> str:
    text = str(value)
    shown = format_below(text, tolerance)
    classes = " ".join(c for c in (css, "zeroed" if shown != text else "") if c)
    attributes = f' class="{classes}"' if classes else ""
    if shown != text:
        attributes += f' title="{_e(f"as measured: {text} (numbers below {tolerance:g} are printed as 0)")}"'
    return f"<td{attributes}>{_e(shown)}</td>"


def _table(heading: str, anchor: str, columns: Sequence[str], rows: Sequence[Sequence[Any]],
           zero_below: Mapping[str, float]) -> str:
    tolerances = [zero_below.get(c) for c in columns]
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(_cell(x, t) for x, t in zip(row, tolerances, strict=False)) + "</tr>"
                   for row in rows)
    return f'<h3 id="{anchor}">{_e(heading)}</h3><table><tr>{head}</tr>{body}</table>'


def _checks(anchor: str, checks: Sequence[Mapping[str, Any]]) -> str:
    rows = []
    for c in checks:
        verdict = '<td class="pass">pass</td>' if c.get("passed") else '<td class="fail">FAIL</td>'
        rows.append(f"<tr><td>{_e(c.get('claim', ''))}</td><td>{_e(c.get('expected', ''))}</td>"
                    f"{_cell(c.get('measured', ''), c.get('zero_below'))}{verdict}</tr>")
    head = "".join(f"<th>{h}</th>" for h in ("claim", "expected", "measured", ""))
    return f'<h3 id="{anchor}">Checks against the literature</h3><table><tr>{head}</tr>{"".join(rows)}</table>'


def _mode(entry: Mapping[str, Any]) -> str:
    return ("quick" if entry.get("quick") else "full") + (" (overridden)" if entry.get("overrides") else "")


def _meta(name: str, entry: Mapping[str, Any]) -> str:
    verdict = ('<span class="pass">reproduced</span>' if entry.get("passed")
               else '<span class="fail">NOT reproduced</span>')
    parts = [verdict, f'<code>equilibria reproduce {_e(name)}{" --quick" if entry.get("quick") else ""}</code>',
             "from checkpoint" if entry.get("cached") else f"{float(entry.get('seconds', 0.0)):.1f} s"]
    units = entry.get("units") or {}
    if units.get("total"):
        parts.append(f"{units.get('resumed')} of {units['total']} units of work resumed from checkpoints"
                     if units.get("resumed") else f"{units['total']} units of work")
    if entry.get("overrides"):
        parts.append("configuration overridden: " + ", ".join(f"{k}={v}" for k, v in entry["overrides"].items()))
    if entry.get("generated"):
        parts.append(f"run {entry['generated']}")
    return f'<p class="meta">{" · ".join(parts)}</p>'


def _section(name: str, entry: Mapping[str, Any]) -> str:
    anchor = _anchor(name)
    parts = [
        f'<section id="{anchor}">',
        f'<h2>{_e(entry.get("title", name))}<a class="anchor" href="#{anchor}" title="link to this section">#</a>'
        f"</h2>",
        f'<p>{_e(entry.get("description", ""))}</p>',
        _meta(name, entry),
    ]
    if entry.get("checks"):
        parts.append(_checks(f"{anchor}--checks", entry["checks"]))
    for k, t in enumerate(entry.get("tables", ()), start=1):
        parts.append(_table(t.get("title", ""), f"{anchor}--table-{k}", t.get("columns", ()), t.get("rows", ()),
                            t.get("zero_below") or {}))
    if entry.get("figures"):
        parts.append(f'<h3 id="{anchor}--figures">Figures</h3>')
    for figure in entry.get("figures", ()):
        src, caption = f"{name}/{figure.get('path', '')}", figure.get("caption", "")
        parts.append(f'<figure><img src="{_e(src)}" alt="{_e(caption)}"><figcaption>{_e(caption)}</figcaption>'
                     "</figure>")
    parts.append('<p class="top"><a href="#top">back to top</a></p></section>')
    return "\n".join(parts)


def _contents(entries: Mapping[str, Mapping[str, Any]]) -> str:
    rows = []
    for name, entry in entries.items():
        anchor = _anchor(name)
        jumps = []
        if entry.get("checks"):
            jumps.append(f'<a href="#{anchor}--checks">checks</a>')
        jumps += [f'<a href="#{anchor}--table-{k}" title="{_e(t.get("title", ""))}">table {k}</a>'
                  for k, t in enumerate(entry.get("tables", ()), start=1)]
        if entry.get("figures"):
            jumps.append(f'<a href="#{anchor}--figures">figures</a>')
        checks = entry.get("checks", ())
        passed = bool(entry.get("passed"))
        rows.append(f'<tr><td><a href="#{anchor}">{_e(name)}</a></td><td>{_e(entry.get("title", ""))}</td>'
                    f'<td class="{"pass" if passed else "fail"}">{"reproduced" if passed else "NOT reproduced"}</td>'
                    f"<td>{sum(bool(c.get('passed')) for c in checks)}/{len(checks)}</td><td>{_mode(entry)}</td>"
                    f"<td>{' · '.join(jumps)}</td></tr>")
    head = "".join(f"<th>{h}</th>" for h in ("experiment", "title", "verdict", "checks", "mode", "jump to"))
    return (f'<nav id="contents" aria-label="Table of contents"><h2>Contents</h2>'
            f"<table><tr>{head}</tr>{''.join(rows)}</table></nav>")


def render_report(entries: Mapping[str, Mapping[str, Any]]) -> str:
    """The whole report from ``results.json``'s ``"experiments"`` (name -> entry), sections in that order."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = "\n".join(_section(name, entry) for name, entry in entries.items())
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>equilibria reproductions</title>"
        f"<style>{_STYLE}</style></head><body><h1 id=\"top\">equilibria — reproductions</h1>"
        f'<p class="meta">equilibria {_e(__version__)} · generated {stamp}</p>'
        f"{_contents(entries)}\n{body}</body></html>\n"
    )
