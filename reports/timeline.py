"""Per-pair timelines for a manager page: every 1:1 occurrence by status (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import polars as pl

from reports import fmt
from reports.figure import (
    BLACK,
    BLUE,
    GREEN,
    GREY,
    ORANGE,
    PURPLE,
    VERMILLION,
    Figure,
    axis,
    layout,
    unique_labels,
)
from reports.frames import to_local
from reports.meta import ReportMeta

# (category, label, colour, symbol): symbol and colour both differ, so neither is needed
# alone to tell statuses apart. A no-show is a held 1:1 (it stayed scheduled) whose call
# records show only one of the two joining.
NO_SHOW_LABEL = "No-show: scheduled, not both joined"
CATEGORIES = (
    ("held", "Held", GREEN, "circle"),
    ("no_show", NO_SHOW_LABEL, BLACK, "hourglass"),
    ("moved", "Held, moved", BLUE, "diamond"),
    ("upcoming", "Upcoming", GREY, "circle-open"),
    ("cancelled", "Cancelled", VERMILLION, "x-thin-open"),
    ("declined", "Declined", ORANGE, "triangle-down"),
    ("replaced", "Rescheduled (replaced)", PURPLE, "square-open"),
)
HOVER = "%{y}<br>%{customdata[0]}<br>%{fullData.name}%{customdata[1]}<extra></extra>"
Trace = dict[str, Any]
Point = tuple[str, str, str, str]  # x, report label, when, who


def timeline_rows(
    occurrences: pl.DataFrame, names: Mapping[str, str], meta: ReportMeta
) -> pl.DataFrame:
    """Occurrences in or after the window with display columns, for any number of teams.

    Columns: manager_email, report_email, category (the status, with held instances that
    moved, and held ones that were no-shows, told apart), x (local time), when and who
    (hover texts).
    """
    start = meta.as_of - timedelta(days=meta.window_days)
    occ = to_local(occurrences, "start", meta.timezone).filter(pl.col("start").dt.date() >= start)
    held = pl.col("status") == "held"
    moved = pl.col("rescheduled").fill_null(False) & held
    no_show = held & (pl.col("attendance") == "no_show").fill_null(False)
    by = pl.col("canceled_by").replace_strict(dict(names), default=pl.col("canceled_by"))
    lead = pl.format(", {} h ahead", pl.col("cancel_lead_hours").round(0).cast(pl.Int64))
    who = pl.concat_str(pl.lit(" by "), by, lead.fill_null(""))
    missed = pl.lit(" (call records: only one of the two joined)")
    category = (
        pl.when(no_show).then(pl.lit("no_show"))
        .when(moved).then(pl.lit("moved"))
        .otherwise(pl.col("status"))
    )  # fmt: skip
    return occ.select(
        "manager_email", "report_email",
        category.alias("category"),
        pl.col("start").dt.strftime("%Y-%m-%d %H:%M").alias("x"),
        pl.col("start").dt.strftime("%a %d %b %Y %H:%M").alias("when"),
        pl.when(no_show).then(missed).otherwise(who.fill_null("")).alias("who"),
    )  # fmt: skip


def _trace(points: list[Point], spec: tuple[str, str, str, str]) -> Trace:
    _, name, color, symbol = spec
    return {
        "type": "scatter", "mode": "markers", "name": name,
        "x": [p[0] for p in points], "y": [p[1] for p in points],
        "marker": {"color": color, "symbol": symbol, "size": 11,
                   "line": {"width": 2, "color": color}},
        "customdata": [[fmt.label(p[2]), fmt.label(p[3])] for p in points],
        "hovertemplate": HOVER,
    }  # fmt: skip


def _x_range(points: list[Point], meta: ReportMeta) -> list[str]:
    start = meta.as_of - timedelta(days=meta.window_days)
    end = (meta.as_of + timedelta(days=16)).isoformat()
    return [start.isoformat(), max([end, *(p[0] for p in points)])]


def timeline_figure(
    rows: pl.DataFrame, reports: Sequence[str], names: Mapping[str, str], meta: ReportMeta
) -> Figure:
    """The timeline from `timeline_rows` output (one team's rows, or more: others dropped)."""
    labels = unique_labels(reports, names)
    label_of = dict(zip(reports, labels, strict=True))
    buckets: dict[str, list[Point]] = {c[0]: [] for c in CATEGORIES}
    columns = ("report_email", "category", "x", "when", "who")
    for report, category, x, when, who in rows.select(columns).rows():
        if report in label_of and category in buckets:
            buckets[category].append((x, label_of[report], when, who))
    points = [p for bucket in buckets.values() for p in bucket]
    data = [_trace(buckets[spec[0]], spec) for spec in CATEGORIES]
    return {"data": data, "layout": _layout(labels, points, meta)}


def _layout(labels: list[str], points: list[Point], meta: ReportMeta) -> Trace:
    start = meta.as_of - timedelta(days=meta.window_days)
    return layout(
        "Every 1:1 by report",
        f"Manager–report 1:1s from {start.isoformat()} on, by status (a no-show stayed "
        f"scheduled, but call records show only one of the two joined); times in "
        f"{meta.timezone}",
        height=190 + 34 * max(len(labels), 1),
        xaxis=axis("", type="date", range=_x_range(points, meta)),
        yaxis=axis("", type="category", categoryorder="array", categoryarray=labels,
                   autorange="reversed", range=[-0.5, max(len(labels), 1) - 0.5]),
        legend={"orientation": "h", "y": -0.25},
        shapes=[{"type": "line", "xref": "x", "yref": "paper", "x0": meta.as_of.isoformat(),
                 "x1": meta.as_of.isoformat(), "y0": 0, "y1": 1,
                 "line": {"dash": "dot", "color": GREY}}],
    )  # fmt: skip
