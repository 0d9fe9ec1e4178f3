"""Shared pieces of every figure: palette, layout with a defining subtitle, labels.

Figures are plain Plotly figure dicts (``{"data": [...], "layout": {...}}``): building
dicts is fast enough for thousands of manager pages and they embed as JSON directly.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from reports import fmt

Figure = dict[str, Any]

# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
BLACK = "#000000"
ORANGE = "#E69F00"
SKY = "#56B4E9"
GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
GREY = "#999999"

# plotly.js's "Cividis" colour scale, evenly spaced from 0 to 1 (colour-blind safe).
CIVIDIS_STOPS = ("#00224e", "#123570", "#3b496c", "#575d6d", "#707173", "#8a8678",
                 "#a59c74", "#c3b369", "#e1cc55", "#fee838")  # fmt: skip

CONFIG: dict[str, Any] = {"displaylogo": False, "responsive": True}


def layout(
    title: str,
    definition: str,
    height: int,
    note: str = "",
    margin: Mapping[str, int] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A layout whose subtitle states how the chart's numbers are defined.

    `note` (e.g. "showing 40 of 2,000") goes on a second subtitle line; `margin`
    overrides some sides of the default margins.
    """
    subtitle = fmt.label(definition) + (f"<br><i>{fmt.label(note)}</i>" if note else "")
    base: dict[str, Any] = {
        "title": {
            "text": fmt.label(title),
            "subtitle": {"text": subtitle},
            "x": 0.01,
            "xanchor": "left",
        },
        "height": height,
        "margin": {"l": 10, "r": 20, "t": 96 if note else 80, "b": 50, **(margin or {})},
        "font": {"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 12},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "hoverlabel": {"align": "left"},
    }
    base.update(extra)
    return base


def axis(title: str, **extra: Any) -> dict[str, Any]:
    """An axis with a title, light grid and automatic margins (for labels of any width)."""
    return {"title": {"text": title}, "gridcolor": "#e5e5e5", "automargin": True, **extra}


def fixed_margin_axis(title: str, **extra: Any) -> dict[str, Any]:
    """An axis without automatic margins: the figure's margin must fit its labels
    (NUMBER_MARGIN for numbers, dates and ISO weeks, label_margin for names).

    Automatic margins make plotly.js draw a figure twice (the leverage scatter of
    2,000 managers: about half a second more in Chromium).
    """
    return axis(title, **{"automargin": False, **extra})


def label_margin(labels: Iterable[str]) -> int:
    """Room left of the plot for the longest of these tick labels (12 px font).

    An overestimate (8 px a character, most are 6–7) for axes drawn without automatic
    margins; the labels are plotly text, where '&amp;' is one character.
    """
    longest = max((len(html.unescape(label)) for label in labels), default=0)
    return min(8 * longest + 36, MAX_LABEL_MARGIN)


MAX_LABEL_MARGIN = 420  # px; a longer label is cut rather than squeezing the plot away

# Room beside the plot for tick labels (up to about six characters, e.g. "12.5k" or
# "100%") and the axis title; the right side only when an axis is there.
NUMBER_MARGIN = {"l": 72, "b": 56}
RIGHT_AXIS_MARGIN = 72


def unique_labels(emails: Iterable[str], names: Mapping[str, str]) -> list[str]:
    """Display names, with the email added where two people share a name.

    Plotly merges equal category labels, so every label must be unique.
    """
    emails = list(emails)
    shown = [names.get(e, e) for e in emails]
    repeated = {n for n, c in Counter(shown).items() if c > 1}
    return [
        fmt.label(f"{n} ({e})" if n in repeated else n) for n, e in zip(shown, emails, strict=True)
    ]


def scale_colour(value: float, stops: Sequence[str] = CIVIDIS_STOPS) -> str:
    """The colour at `value` (0–1, clamped) on evenly spaced stops, as plotly.js blends it.

    Colours computed here save plotly.js mapping every point through a colour scale.
    """
    at = min(max(value, 0.0), 1.0) * (len(stops) - 1)
    low = min(int(at), len(stops) - 2)
    share = at - low
    a, b = (bytes.fromhex(stops[i][1:]) for i in (low, low + 1))
    return "#" + "".join(f"{round(x + (y - x) * share):02x}" for x, y in zip(a, b, strict=True))
