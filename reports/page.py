"""HTML assembly: Jinja templates, figures embedded as JSON, plotly.js once."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from reports import fmt
from reports.figure import CONFIG, Figure
from reports.meta import ReportMeta
from reports.tables import Cell

TEMPLATES = Path(__file__).with_name("templates")
# plotly.js cut to the trace types the pages draw (scatter, bar, heatmap, treemap): 1.4 MB
# instead of 4.8 MB, and the browser starts it in a third of the time.
# vendor/build_plotly.sh rebuilds it from plotly.js's sources.
PLOTLY_BUNDLE = Path(__file__).with_name("vendor") / "plotly-partial.min.js"
PLOTLY_ASSET = "assets/plotly.min.js"  # the one copy organisation and manager pages share


@dataclass(frozen=True)
class FigureSlot:
    """A figure ready for the page: its div id, trace count and JSON spec."""

    id: str
    traces: int
    json: Markup


def _default(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot put {type(value).__name__} in a page's JSON")


def script_json(value: object) -> Markup:
    """`value` as JSON safe inside a <script> element (no '<', '>' or '&' left)."""
    text = json.dumps(value, default=_default, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def figure_json(fig: Figure) -> Markup:
    """The figure and its config as JSON for a <script type="application/json">."""
    return script_json({**fig, "config": CONFIG})


def _cell_json(cell: Cell) -> str | dict[str, str]:
    """A plain cell as its text; one with a link or a class as {text, href?, cls?}."""
    if not cell.href and not cell.cls:
        return cell.text
    out = {"text": cell.text}
    if cell.href:
        out["href"] = cell.href
    if cell.cls:
        out["cls"] = cell.cls
    return out


def rows_json(rows: Sequence[Sequence[Cell]]) -> Markup:
    """Every row of a table as JSON, for the pager to show page by page."""
    return script_json([[_cell_json(c) for c in row] for row in rows])


def slot(div_id: str, fig: Figure) -> FigureSlot:
    """Wrap a figure for the template under a page-unique div id."""
    return FigureSlot(div_id, len(fig["data"]), figure_json(fig))


@cache
def environment() -> jinja2.Environment:
    """The template environment (autoescaping on: names come from the roster)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["rows_json"] = rows_json
    return env


@cache
def plotly_js() -> Markup:
    """The plotly.js bundle, safe to inline in a <script> (works offline)."""
    return Markup(PLOTLY_BUNDLE.read_text(encoding="utf-8").replace("</script", "<\\/script"))


def render(template: str, meta: ReportMeta, **context: Any) -> str:
    """Render a page template with the report context every page shows."""
    generated = fmt.local_dt(meta.generated_at, meta.timezone)
    return environment().get_template(template).render(meta=meta, generated=generated, **context)
