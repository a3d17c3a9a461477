"""Render experiment outcomes as one self-contained ``index.html`` (figures are linked PNGs beside it)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from equilibria import __version__

if TYPE_CHECKING:
    from equilibria.experiments.runner import Outcome

_STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } .pass { color: #137333; font-weight: 600; } .fail { color: #b3261e; font-weight: 600; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 13px; color: #555; } .meta { color: #666; font-size: 13px; }
code { background: #f4f4f4; padding: 0 3px; }
"""


def _e(x: Any) -> str:
    return html.escape(str(x))


def _table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<h3>{_e(title)}</h3><table><tr>{head}</tr>{body}</table>"


def _section(outcome: Outcome) -> str:
    result, experiment = outcome.result, outcome.experiment
    verdict = '<span class="pass">reproduced</span>' if result.passed else '<span class="fail">NOT reproduced</span>'
    timing = "from checkpoint" if outcome.cached else f"{outcome.seconds:.1f} s"
    parts = [
        f'<h2 id="{_e(experiment.name)}">{_e(experiment.title)}</h2>',
        f'<p>{_e(experiment.description)}</p>',
        f'<p class="meta">{verdict} · <code>equilibria reproduce {_e(experiment.name)}'
        f'{" --quick" if outcome.quick else ""}</code> · {timing}</p>',
    ]
    if result.checks:
        rows = [(c.claim, c.expected, c.measured, "pass" if c.passed else "FAIL") for c in result.checks]
        parts.append(_table("Checks against the literature", ("claim", "expected", "measured", ""), rows)
                     .replace("<td>pass</td>", '<td class="pass">pass</td>')
                     .replace("<td>FAIL</td>", '<td class="fail">FAIL</td>'))
    parts.extend(_table(t.title, t.columns, t.rows) for t in result.tables)
    for figure in result.figures:
        src = f"{experiment.name}/{figure.path}"
        parts.append(f'<figure><img src="{_e(src)}" alt="{_e(figure.caption)}">'
                     f"<figcaption>{_e(figure.caption)}</figcaption></figure>")
    return "\n".join(parts)


def render_report(outcomes: Sequence[Outcome]) -> str:
    """The whole report: a summary table linking to one section per experiment."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    summary = "".join(
        f'<tr><td><a href="#{_e(o.experiment.name)}">{_e(o.experiment.name)}</a></td>'
        f'<td class="{"pass" if o.result.passed else "fail"}">{"reproduced" if o.result.passed else "NOT reproduced"}'
        f"</td><td>{sum(c.passed for c in o.result.checks)}/{len(o.result.checks)}</td>"
        f'<td>{"quick" if o.quick else "full"}</td></tr>'
        for o in outcomes
    )
    body = "\n".join(_section(o) for o in outcomes)
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>equilibria reproductions</title>"
        f"<style>{_STYLE}</style></head><body><h1>equilibria — reproductions</h1>"
        f'<p class="meta">equilibria {_e(__version__)} · generated {stamp}</p>'
        f"<table><tr><th>experiment</th><th>verdict</th><th>checks</th><th>mode</th></tr>{summary}</table>"
        f"{body}</body></html>\n"
    )
