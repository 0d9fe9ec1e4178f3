"""An organisation's figures over its weekly snapshots (kpi_history, org_rollups_history)."""

from __future__ import annotations

from datetime import date

import polars as pl

from reports.figure import (
    BLUE,
    GREEN,
    NUMBER_MARGIN,
    ORANGE,
    VERMILLION,
    Figure,
    fixed_margin_axis,
    layout,
)

# (label, share expression, colour, dash): every series is a share, on one 0–100% axis.
SERIES = (
    ("Mean coverage", pl.col("mean_coverage"), BLUE, "solid"),
    ("Reports met", pl.col("reports_met") / pl.col("lines"), GREEN, "dot"),
    ("Neglected", pl.col("neglected_reports") / pl.col("lines"), VERMILLION, "dash"),
    ("Behind their phase", pl.col("behind_phase") / pl.col("lines"), ORANGE, "dashdot"),
)


def history_figure(history: pl.DataFrame, as_of: date) -> Figure:
    """One line per share over the snapshots up to `as_of` (one row per as_of)."""
    rows = history.filter(pl.col("as_of") <= as_of).sort("as_of")
    shares = rows.select(
        pl.col("as_of").dt.strftime("%Y-%m-%d"),
        *(expr.alias(label) for label, expr, _, _ in SERIES),
    ).with_columns(pl.exclude("as_of").fill_nan(None))
    x = shares.get_column("as_of").to_list()
    data = [
        {"type": "scatter", "mode": "lines+markers", "name": label, "x": x,
         "y": shares.get_column(label).to_list(), "line": {"color": color, "dash": dash},
         "hovertemplate": f"{label}: %{{y:.0%}}<extra>%{{x}}</extra>"}
        for label, _, color, dash in SERIES
    ]  # fmt: skip
    fig_layout = layout(
        "Over time",
        "One point per weekly snapshot: mean coverage, and the shares of reporting lines "
        "met in the window, neglected, and behind their relationship phase",
        height=380,
        note="" if len(x) > 1 else "Only one snapshot so far: the backfill can add earlier weeks",
        xaxis=fixed_margin_axis("snapshot (as of)", type="date"),
        yaxis=fixed_margin_axis("share", tickformat=".0%", range=[0, 1.05]),
        margin=NUMBER_MARGIN,
        legend={"orientation": "h", "y": -0.25},
    )
    return {"data": data, "layout": fig_layout}
