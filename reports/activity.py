"""Cadence heatmap, weekly trends and leverage per manager (pure figure builders)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import polars as pl

from reports import fmt
from reports.figure import (
    BLACK,
    BLUE,
    CIVIDIS_STOPS,
    GREEN,
    NUMBER_MARGIN,
    ORANGE,
    PURPLE,
    RIGHT_AXIS_MARGIN,
    VERMILLION,
    Figure,
    fixed_margin_axis,
    label_margin,
    layout,
    scale_colour,
    unique_labels,
)
from reports.meta import ReportMeta

# ColorBrewer Blues, light = few 1:1s: sequential in lightness, so it reads without hue.
BLUES = [
    [0.0, "#f7fbff"],
    [0.25, "#c6dbef"],
    [0.5, "#6baed6"],
    [0.75, "#2171b5"],
    [1.0, "#08306b"],
]


def window_weeks(meta: ReportMeta) -> list[date]:
    """Mondays of every ISO week touching the window [as_of − window_days, as_of)."""
    first = meta.as_of - timedelta(days=meta.window_days)
    monday = first - timedelta(days=first.weekday())
    last = meta.as_of - timedelta(days=1)
    weeks = []
    while monday <= last:
        weeks.append(monday)
        monday += timedelta(days=7)
    return weeks


def iso_week(monday: date) -> str:
    """'YYYY-Www' of a date, as in weekly_activity.week."""
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def heatmap_rows(
    weekly: pl.DataFrame, managers: pl.DataFrame, weeks: list[date], top_n: int
) -> tuple[list[str], list[list[float]]]:
    """The top N managers by team size and their held 1:1s per report in each week."""
    top = (
        managers.filter(pl.col("reports") > 0)
        .sort(["reports", "manager_email"], descending=[True, False])
        .head(top_n)
        .select("manager_email", "reports")
    )
    held = (
        weekly.filter(pl.col("week_start").is_in(weeks))
        .group_by("manager_email", "week_start")
        .agg(pl.col("held").sum())
    )
    lookup = {(m, w): h for m, w, h in held.iter_rows()}
    emails = top.get_column("manager_email").to_list()
    z = [
        [round(lookup.get((m, w), 0) / n, 3) for w in weeks]
        for m, n in zip(emails, top.get_column("reports").to_list(), strict=True)
    ]
    return emails, z


def cadence_heatmap(
    weekly: pl.DataFrame,
    managers: pl.DataFrame,
    names: Mapping[str, str],
    meta: ReportMeta,
    top_n: int = 40,
) -> Figure:
    """Managers × ISO weeks, coloured by held 1:1s per report (1.0 = everyone weekly)."""
    weeks = window_weeks(meta)
    emails, z = heatmap_rows(weekly, managers, weeks, top_n)
    labels = unique_labels(emails, names)
    total = managers.filter(pl.col("reports") > 0).height
    trace = {
        "type": "heatmap",
        "name": "held per report",
        "z": z,
        "x": [iso_week(w) for w in weeks],
        "y": labels,
        "colorscale": BLUES,
        "zmin": 0,
        "zmax": 1,
        "colorbar": {"title": {"text": "held / report"}, "tickformat": ".1f"},
        "xgap": 1,
        "ygap": 1,
        "hovertemplate": "%{y}<br>%{x}: %{z:.2f} held 1:1s per report<extra></extra>",
    }
    fig_layout = layout(
        "Cadence by manager and week",
        "Held manager–report 1:1s in the ISO week ÷ the manager's current reports "
        "(1.0 = every report met that week)",
        height=170 + 20 * max(len(emails), 1),
        xaxis=fixed_margin_axis("ISO week", type="category"),
        yaxis=fixed_margin_axis("", autorange="reversed"),
        margin={**NUMBER_MARGIN, "l": label_margin(labels)},
        note=f"Showing the {len(emails):,} largest of {total:,} teams; every team is on "
        "its manager's page",
    )
    return {"data": [trace], "layout": fig_layout}


WeekCounts = tuple[int, int, int, int, int]  # scheduled, held, cancelled, declined, met
COUNTS = ("scheduled", "held", "cancelled", "declined", "met")


def _week_aggregations() -> list[pl.Expr]:
    return [
        *(pl.col(c).fill_null(0).sum() for c in COUNTS[:4]),
        pl.col("report_email").filter(pl.col("held") > 0).n_unique().alias("met"),
    ]


def weekly_counts(weekly: pl.DataFrame, weeks: list[date]) -> dict[date, WeekCounts]:
    """Totals per week start over every row of `weekly`, for the given weeks."""
    sums = weekly.filter(pl.col("week_start").is_in(weeks)).group_by("week_start")
    return {
        r[0]: r[1:] for r in sums.agg(_week_aggregations()).select("week_start", *COUNTS).rows()
    }


def weekly_counts_by_manager(
    weekly: pl.DataFrame, weeks: list[date]
) -> dict[str, dict[date, WeekCounts]]:
    """The same totals per manager, in one pass over the org's rows."""
    sums = (
        weekly.filter(pl.col("week_start").is_in(weeks))
        .group_by("manager_email", "week_start")
        .agg(_week_aggregations())
        .select("manager_email", "week_start", *COUNTS)
    )
    out: dict[str, dict[date, WeekCounts]] = {}
    for row in sums.rows():
        out.setdefault(row[0], {})[row[1]] = row[2:]
    return out


SERIES = (
    ("Scheduled", BLACK, "circle", "solid"),
    ("Held", GREEN, "diamond", "solid"),
    ("Cancelled", VERMILLION, "x", "dash"),
    ("Declined", ORANGE, "triangle-up", "dot"),
)


def weekly_trends(weekly: pl.DataFrame, active_reports: int, meta: ReportMeta) -> Figure:
    """Weekly counts of scheduled/held/cancelled/declined 1:1s and the share of reports met."""
    return trends_figure(weekly_counts(weekly, window_weeks(meta)), active_reports, meta)


def trends_figure(
    counts: Mapping[date, WeekCounts], active_reports: int, meta: ReportMeta
) -> Figure:
    """The weekly trends chart from per-week totals; quiet weeks show zero."""
    weeks = window_weeks(meta)
    x = [iso_week(w) for w in weeks]
    columns = list(zip(*(counts.get(w, (0, 0, 0, 0, 0)) for w in weeks), strict=True))
    data = [
        {"type": "scatter", "mode": "lines+markers", "name": name, "x": x, "y": list(ys),
         "line": {"color": color, "dash": dash}, "marker": {"symbol": symbol, "size": 7},
         "hovertemplate": f"{name}: %{{y:,}}<extra>%{{x}}</extra>"}
        for (name, color, symbol, dash), ys in zip(SERIES, columns[:4], strict=True)
    ]  # fmt: skip
    met = [m / active_reports if active_reports else 0 for m in columns[4]]
    data.append({
        "type": "scatter", "mode": "lines", "name": "Reports met that week (right axis)",
        "x": x, "y": met, "yaxis": "y2", "line": {"color": BLUE, "width": 3},
        "hovertemplate": "%{y:.0%} of reports met<extra>%{x}</extra>",
    })  # fmt: skip
    return {"data": data, "layout": _trends_layout()}


def _trends_layout() -> dict[str, object]:
    return layout(
        "Weekly 1:1 activity",
        "Manager–report 1:1s per ISO week in the window; right axis: share of current "
        "reports with a held 1:1 that week",
        height=420, xaxis=fixed_margin_axis("ISO week", type="category"),
        yaxis=fixed_margin_axis("1:1s", rangemode="tozero"),
        yaxis2=fixed_margin_axis("reports met", overlaying="y", side="right", tickformat=".0%",
                           range=[0, 1.05], showgrid=False),
        margin={**NUMBER_MARGIN, "r": RIGHT_AXIS_MARGIN},
        legend={"orientation": "h", "y": -0.2},
    )  # fmt: skip


# Above this many managers the leverage chart groups managers with similar hours into
# one point on a GROUPS_X × GROUPS_Y grid: 2,000 SVG markers cost plotly.js most of a
# second, and overlap into one blot anyway.
LEVERAGE_MAX_POINTS = 500
GROUPS_X, GROUPS_Y = 60, 40
NAMES_IN_HOVER = 3


def leverage_figure(
    managers: pl.DataFrame,
    names: Mapping[str, str],
    meta: ReportMeta,
    max_points: int = LEVERAGE_MAX_POINTS,
) -> Figure:
    """Hours in 1:1s vs covered work hours per manager, coloured by coverage.

    Up to `max_points` managers, one point each (its hover adds the hours of unscheduled
    calls with their reports when `managers` has `unscheduled_call_hours`, see
    `frames.with_unscheduled_call_hours`); above, one point per group of managers with
    similar hours, sized by how many. A second trace without points shows the colour
    bar (the points carry their colours).
    """
    rows = managers.filter(pl.col("reports") > 0).sort("manager_email")
    held = rows.get_column("held_hours").fill_null(0).to_list()
    lev = rows.get_column("leverage_hours").fill_null(0).to_list()
    cov = rows.get_column("mean_coverage").to_list()
    labels = unique_labels(rows.get_column("manager_email").to_list(), names)
    if rows.height <= max_points:
        points, note = _manager_points(rows, held, lev, cov, labels), ""
    else:
        points = _grouped_points(held, lev, cov, labels)
        note = (
            f"{rows.height:,} managers: those with similar hours share a point, sized by how "
            "many and coloured by their mean coverage; each is in the Managers table"
        )
    fig_layout = layout(
        "Leverage per manager (Grove)",
        f"Work hours of reports within {meta.impact_days} days after a held 1:1 vs hours "
        f"spent in 1:1s, last {meta.window_days} days; colour: mean coverage",
        height=460,
        note=note,
        xaxis=fixed_margin_axis("hours in 1:1s", rangemode="tozero"),
        yaxis=fixed_margin_axis("covered work hours", rangemode="tozero"),
        margin=NUMBER_MARGIN,
        showlegend=False,
    )
    return {"data": [points, coverage_colour_bar()], "layout": fig_layout}


def _manager_points(
    rows: pl.DataFrame,
    held: list[float],
    lev: list[float],
    cov: list[float | None],
    labels: list[str],
) -> dict[str, object]:
    reports = rows.get_column("reports").to_list()
    calls = (
        rows.get_column("unscheduled_call_hours").to_list()
        if "unscheduled_call_hours" in rows.columns
        else [None] * rows.height
    )
    return {
        "type": "scatter", "mode": "markers", "name": "manager", "x": held, "y": lev,
        "marker": {"color": [scale_colour(c or 0.0) for c in cov], "size": 9,
                   "line": {"width": 1, "color": PURPLE}},
        "text": labels,
        "customdata": [
            [fmt.pct(c), r, f"{v / h:,.0f}×" if h else fmt.DASH, _unscheduled_line(u)]
            for c, r, v, h, u in zip(cov, reports, lev, held, calls, strict=True)
        ],
        "hovertemplate": "%{text}<br>%{customdata[1]} reports<br>1:1s: %{x:,.1f} h<br>"
        "covered: %{y:,.0f} h (%{customdata[2]})<br>coverage: "
        "%{customdata[0]}%{customdata[3]}<extra></extra>",
    }  # fmt: skip


def _unscheduled_line(hours: float | None) -> str:
    """The hover's line of unscheduled call hours ("" without call records)."""
    return "" if hours is None else f"<br>unscheduled calls: {fmt.hours(hours)}"


def leverage_groups(held: list[float], lev: list[float]) -> list[list[int]]:
    """Indexes of the managers in each non-empty cell of a GROUPS_X × GROUPS_Y grid
    over [0, max] of both axes, cells in order."""
    x_top, y_top = max(held, default=0.0) or 1.0, max(lev, default=0.0) or 1.0
    cells: dict[tuple[int, int], list[int]] = {}
    for i, (x, y) in enumerate(zip(held, lev, strict=True)):
        cell = (min(int(x / x_top * GROUPS_X), GROUPS_X - 1),
                min(int(y / y_top * GROUPS_Y), GROUPS_Y - 1))  # fmt: skip
        cells.setdefault(cell, []).append(i)
    return [cells[c] for c in sorted(cells)]


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _grouped_points(
    held: list[float], lev: list[float], cov: list[float | None], labels: list[str]
) -> dict[str, object]:
    groups = leverage_groups(held, lev)
    coverage = [_mean([c for i in g if (c := cov[i]) is not None]) for g in groups]
    shown = [", ".join(labels[i] for i in g[:NAMES_IN_HOVER]) for g in groups]
    more = [f" and {len(g) - NAMES_IN_HOVER:,} more" if len(g) > NAMES_IN_HOVER else ""
            for g in groups]  # fmt: skip
    return {
        "type": "scatter", "mode": "markers", "name": "managers",
        "x": [_mean([held[i] for i in g]) for g in groups],
        "y": [_mean([lev[i] for i in g]) for g in groups],
        "marker": {"color": [scale_colour(c or 0.0) for c in coverage],
                   "size": [round(min(8 + 3 * (len(g) - 1) ** 0.5, 30), 1) for g in groups],
                   "line": {"width": 1, "color": PURPLE}},
        "text": [s + m for s, m in zip(shown, more, strict=True)],
        "customdata": [[len(g), fmt.pct(c)] for g, c in zip(groups, coverage, strict=True)],
        "hovertemplate": "%{text}<br>%{customdata[0]:,} managers<br>1:1s: %{x:,.1f} h "
        "(mean)<br>covered: %{y:,.0f} h (mean)<br>mean coverage: %{customdata[1]}"
        "<extra></extra>",
    }  # fmt: skip


def coverage_colour_bar() -> dict[str, object]:
    """A trace without points whose only use is the coverage colour bar."""
    scale = [[i / (len(CIVIDIS_STOPS) - 1), c] for i, c in enumerate(CIVIDIS_STOPS)]
    return {
        "type": "scatter", "mode": "markers", "name": "coverage scale",
        "x": [None], "y": [None], "hoverinfo": "skip",
        "marker": {"color": [0.0], "colorscale": scale, "cmin": 0, "cmax": 1,
                   "showscale": True,
                   "colorbar": {"title": {"text": "coverage"}, "tickformat": ".0%"}},
    }  # fmt: skip
