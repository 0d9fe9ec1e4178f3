"""Shared pieces of every figure: palette, layout with a defining subtitle, labels.

Figures are plain Plotly figure dicts (``{"data": [...], "layout": {...}}``): building
dicts is fast enough for thousands of manager pages and they embed as JSON directly.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
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

CONFIG: dict[str, Any] = {"displaylogo": False, "responsive": True}


def layout(
    title: str, definition: str, height: int, note: str = "", **extra: Any
) -> dict[str, Any]:
    """A layout whose subtitle states how the chart's numbers are defined.

    `note` (e.g. "showing 40 of 2,000") goes on a second subtitle line.
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
        "margin": {"l": 10, "r": 20, "t": 96 if note else 80, "b": 50},
        "font": {"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 12},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "hoverlabel": {"align": "left"},
    }
    base.update(extra)
    return base


def axis(title: str, **extra: Any) -> dict[str, Any]:
    """An axis with a title, light grid and automatic margins."""
    return {"title": {"text": title}, "gridcolor": "#e5e5e5", "automargin": True, **extra}


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
