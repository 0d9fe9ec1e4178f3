"""The one-manager main page: a manager's own team as the dashboard (frames → HTML text).

A manager running oneonone on their own team only has no organisation to show: the
main page is their team page, with the main page's freshness and data sections and the
panels that make sense for one team (neglected reports, who cancels, leverage per
report, the team's history). Everything is cut to the manager and their reports, so
other people in the tables never reach the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from reports import (
    activity,
    chronic,
    fmt,
    history,
    kpis,
    org,
    orgpage,
    page,
    tables,
    team,
    timeline,
)
from reports.figure import (
    NUMBER_MARGIN,
    PURPLE,
    Figure,
    fixed_margin_axis,
    layout,
    scale_colour,
    unique_labels,
)
from reports.meta import ReportMeta


@dataclass(frozen=True)
class OneTeam:
    """The manager's slice of the metric tables."""

    manager: str
    people: set[str]  # the manager and their current reports
    frames: dict[str, pl.DataFrame]  # the tables team.teams reads, cut to the manager
    history: pl.DataFrame | None  # the team's snapshots; None when they describe more


def _lines_of(frame: pl.DataFrame, manager: str) -> pl.DataFrame:
    return frame.filter(pl.col("manager_email") == manager)


def cut(frames: Mapping[str, pl.DataFrame], manager: str) -> OneTeam:
    """The manager's lines, their reports, and their history when it is their team's.

    org_rollups_history rows of a manager count their whole subtree: they are the team's
    history only when the manager has no manager under them (always so in one-manager
    mode); otherwise the page shows no trends rather than another population's.
    """
    pairs = _lines_of(frames["pair_metrics"], manager)
    people = {manager, *pairs.get_column("report_email").to_list()}
    cut_frames = {
        "pair_metrics": pairs,
        "occurrences": _lines_of(frames["occurrences"], manager),
        "weekly_activity": _lines_of(frames["weekly_activity"], manager),
    }
    past = None
    if not org.hierarchy(frames["org_rollups"]).has_org(manager):
        past = _lines_of(frames["org_rollups_history"], manager)
    return OneTeam(manager, people, cut_frames, past)


def _team(one: OneTeam, names: Mapping[str, str], meta: ReportMeta) -> team.Team:
    found = next(team.teams(one.frames, names, meta, {}), None)
    if found is not None:
        return found
    # A manager without active lines yet: an empty team, shown with dashes and "None.".
    pairs = one.frames["pair_metrics"]
    rows = timeline.timeline_rows(one.frames["occurrences"].clear(), names, meta)
    return team.Team(one.manager, pairs, kpis.line_totals(pairs), rows, {})


def tiles(
    totals: kpis.LineTotals, one: OneTeam, frames: Mapping[str, pl.DataFrame], meta: ReportMeta
) -> list[kpis.Kpi]:
    """The team page's tiles and the freshness tile, with trends from the team's history.

    `meta` counts the team's calendars only (`orgpage.meta_within`).
    """
    shown = [*kpis.team_kpis(totals, meta), kpis.freshness_kpi(meta)]
    if one.history is None:
        return shown
    # The history counts the reports' chronic cancelers (not the manager), as here.
    reports = one.people - {one.manager}
    chronic_reports = frames["chronic_cancelers"].filter(
        pl.col("person_email").is_in(sorted(reports))
    )
    current = kpis.snapshot_values(totals, chronic_reports.height)
    return kpis.with_trends(shown, current, one.history, meta.as_of)


def leverage_by_report(pairs: pl.DataFrame, names: Mapping[str, str], meta: ReportMeta) -> Figure:
    """Hours in 1:1s vs covered work hours per report, coloured by the line's coverage."""
    rows = pairs.sort("report_email")
    held = rows.get_column("held_hours").fill_null(0).to_list()
    covered = rows.get_column("leverage_hours").fill_null(0).to_list()
    coverage = rows.get_column("coverage").to_list()
    points = {
        "type": "scatter", "mode": "markers", "name": "report", "x": held, "y": covered,
        "marker": {"color": [scale_colour(c or 0.0) for c in coverage], "size": 11,
                   "line": {"width": 1, "color": PURPLE}},
        "text": unique_labels(rows.get_column("report_email").to_list(), names),
        "customdata": [[fmt.pct(c), f"{v / h:,.0f}×" if h else fmt.DASH]
                       for c, v, h in zip(coverage, covered, held, strict=True)],
        "hovertemplate": "%{text}<br>1:1s: %{x:,.1f} h<br>covered: %{y:,.0f} h "
        "(%{customdata[1]})<br>coverage: %{customdata[0]}<extra></extra>",
    }  # fmt: skip
    fig_layout = layout(
        "Leverage per report (Grove)",
        f"Work hours of the report within {meta.impact_days} days after a held 1:1 vs hours "
        f"spent in 1:1s with them, last {meta.window_days} days; colour: coverage",
        height=440,
        xaxis=fixed_margin_axis("hours in 1:1s", rangemode="tozero"),
        yaxis=fixed_margin_axis("covered work hours", rangemode="tozero"),
        margin=NUMBER_MARGIN,
        showlegend=False,
    )
    return {"data": [points, activity.coverage_colour_bar()], "layout": fig_layout}


def _figures(
    t: team.Team, one: OneTeam, frames: Mapping[str, pl.DataFrame], names: Mapping[str, str],
    meta: ReportMeta,
) -> dict[str, page.FigureSlot]:  # fmt: skip
    reports = t.pairs.get_column("report_email").to_list()
    cancelers = frames["cancelers"].filter(pl.col("person_email").is_in(sorted(one.people)))
    figures = {
        "timeline": team.timeline_figure(t, names, meta),
        "chronic": chronic.chronic_figure(cancelers, names, meta),
        "leverage": leverage_by_report(t.pairs, names, meta),
        "trends": activity.trends_figure(t.weeks, len(reports), meta),
    }
    if one.history is not None:
        figures["history"] = history.history_figure(one.history, meta.as_of)
    return {key: page.slot(key, fig) for key, fig in figures.items()}


def one_manager_html(
    frames: Mapping[str, pl.DataFrame],
    names: Mapping[str, str],
    manager: str,
    csv_links: list[tuple[str, str]],
    meta: ReportMeta,
) -> str:
    """The self-contained main page of one manager's team (plotly.js inlined).

    It links only to its own sections and the CSV exports in `csv_links`.
    """
    one = cut(frames, manager)
    t = _team(one, names, meta)
    meta = orgpage.meta_within(one.people, frames["sync_state"], meta)
    team_sync = frames["sync_state"].filter(pl.col("calendar_email").is_in(sorted(one.people)))
    neglected = _lines_of(frames["neglected_reports"], manager)
    figures = _figures(t, one, frames, names, meta)
    shown = tiles(t.totals, one, frames, meta)
    return page.render(
        "one_manager.html.j2", meta,
        plotlyjs=page.plotly_js(),
        manager_name=names.get(manager, manager),
        tiles=shown,
        freshness=next(k for k in shown if k.key == "freshness"),
        team=tables.team_table(t.pairs, names, meta),
        neglected=tables.neglected_table(neglected, {}, meta, with_manager=False),
        figures=figures,
        history=figures.get("history"),
        failures=tables.sync_failures(team_sync, meta),
        csv_links=csv_links,
    )  # fmt: skip
