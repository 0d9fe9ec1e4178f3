"""HTML assembly: Jinja templates, figures embedded as JSON, plotly.js once."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from plotly.offline import get_plotlyjs

from reports import fmt
from reports.figure import CONFIG, Figure
from reports.meta import ReportMeta

TEMPLATES = Path(__file__).with_name("templates")
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
    raise TypeError(f"cannot put {type(value).__name__} in a figure")


def figure_json(fig: Figure) -> Markup:
    """The figure as JSON safe inside a <script> element (no '<', '>' or '&' left)."""
    text = json.dumps({**fig, "config": CONFIG}, default=_default, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def slot(div_id: str, fig: Figure) -> FigureSlot:
    """Wrap a figure for the template under a page-unique div id."""
    return FigureSlot(div_id, len(fig["data"]), figure_json(fig))


@cache
def environment() -> jinja2.Environment:
    """The template environment (autoescaping on: names come from the roster)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def plotly_js() -> Markup:
    """The plotly.js bundle shipped with the plotly package (works offline)."""
    return Markup(get_plotlyjs())


def render(template: str, meta: ReportMeta, **context: Any) -> str:
    """Render a page template with the report context every page shows."""
    generated = fmt.local_dt(meta.generated_at, meta.timezone)
    return environment().get_template(template).render(meta=meta, generated=generated, **context)
