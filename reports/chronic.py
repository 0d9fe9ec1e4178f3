"""Chronic cancelers chart: initiated cancellation rate per person (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from reports import fmt
from reports.figure import (
    NUMBER_MARGIN,
    SKY,
    VERMILLION,
    Figure,
    fixed_margin_axis,
    label_margin,
    layout,
    unique_labels,
)
from reports.meta import ReportMeta

CHRONIC_TRACE = "Chronic canceler"
OTHER_TRACE = "Not chronic"
HOVER = (
    "%{customdata[0]}<br>role: %{customdata[1]}<br>"
    "initiated %{customdata[2]} of %{customdata[3]} scheduled (%{x:.0%})<br>"
    "late cancellations: %{customdata[4]}<extra>%{fullData.name}</extra>"
)


def ranked_cancelers(cancelers: pl.DataFrame, top_n: int) -> pl.DataFrame:
    """People with exposure ≥ 1, chronic first, then by initiated rate; the top N."""
    return (
        cancelers.filter(pl.col("exposure").fill_null(0) >= 1)
        .with_columns(pl.col("chronic").fill_null(False), pl.col("initiated_rate").fill_null(0.0))
        .sort(
            ["chronic", "initiated_rate", "initiated", "person_email"],
            descending=[True, True, True, False],
        )
        .head(top_n)
    )


def _bar(rows: pl.DataFrame, labels: list[str], chronic: bool) -> dict[str, Any]:
    picked = [i for i, c in enumerate(rows.get_column("chronic").to_list()) if c == chronic]
    sub = rows[picked]
    rates = sub.get_column("initiated_rate").to_list()
    suffix = " · chronic" if chronic else ""
    return {
        "type": "bar",
        "orientation": "h",
        "name": CHRONIC_TRACE if chronic else OTHER_TRACE,
        "x": rates,
        "y": [labels[i] for i in picked],
        "text": [f"{fmt.pct(r)}{suffix}" for r in rates],
        "textposition": "outside",
        "cliponaxis": False,
        "marker": {
            "color": VERMILLION if chronic else SKY,
            "pattern": {"shape": "/" if chronic else ""},
        },
        "customdata": sub.select("person_email", "role", "initiated", "exposure", "late").rows(),
        "hovertemplate": HOVER,
    }


def chronic_figure(
    cancelers: pl.DataFrame, names: Mapping[str, str], meta: ReportMeta, top_n: int = 30
) -> Figure:
    """Horizontal bars of initiated cancellation rate with the chronic threshold line.

    Always two traces (chronic, below the bar) so the chart's shape does not depend on
    the data; the chronic ones are labelled in text as well as by colour and pattern.
    """
    rows = ranked_cancelers(cancelers, top_n)
    emails = rows.get_column("person_email").to_list()
    roles = rows.get_column("role").to_list()
    labels = [f"{n} · {r}" for n, r in zip(unique_labels(emails, names), roles, strict=True)]
    exposed = cancelers.filter(pl.col("exposure").fill_null(0) >= 1).height
    title = "Who cancels 1:1s"
    definition = (
        f"Cancelled or declined ÷ scheduled manager–report 1:1s they were in, last "
        f"{meta.window_days} days; chronic = at or above {fmt.pct(meta.chronic_cancel_rate)} "
        "with enough 1:1s scheduled"
    )
    threshold = meta.chronic_cancel_rate
    fig_layout = layout(
        title,
        definition,
        height=170 + 26 * max(len(emails), 1),
        note=f"Showing {len(emails):,} of {exposed:,} people with 1:1s scheduled",
        xaxis=fixed_margin_axis("initiated cancellation rate", tickformat=".0%", range=[0, 1.15]),
        yaxis=fixed_margin_axis("", autorange="reversed", type="category"),
        margin={**NUMBER_MARGIN, "l": label_margin(labels)},
        barmode="overlay",
        legend={"orientation": "h", "y": -0.12},
        shapes=[
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": threshold,
                "x1": threshold,
                "y0": 0,
                "y1": 1,
                "line": {"dash": "dash", "width": 2},
            }
        ],
        annotations=[
            {
                "text": f"chronic at {fmt.pct(threshold)}",
                "x": threshold,
                "xref": "x",
                "y": 1,
                "yref": "paper",
                "yanchor": "bottom",
                "showarrow": False,
                "xanchor": "left",
            },
        ],
    )
    data = [_bar(rows, labels, chronic=True), _bar(rows, labels, chronic=False)]
    return {"data": data, "layout": fig_layout}
