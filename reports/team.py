"""Per-manager pages: only that manager's lines and their reports' 1:1s with them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date

import polars as pl

from reports import activity, kpis, page, tables, timeline
from reports.figure import Figure
from reports.meta import ReportMeta


@dataclass(frozen=True)
class Team:
    """What one manager's page may show, cut from the org-wide tables."""

    manager_email: str
    pairs: pl.DataFrame
    totals: kpis.LineTotals
    timeline_rows: pl.DataFrame
    weeks: Mapping[date, activity.WeekCounts]
    parent: str | None = None  # the manager's own manager, when they manage too


def _up(path: str | None) -> str | None:
    return "../" + path if path else None


def _split(frame: pl.DataFrame) -> dict[str, pl.DataFrame]:
    return {
        str(key[0]): part for key, part in frame.partition_by("manager_email", as_dict=True).items()
    }


def _current_lines_only(frame: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    # A former report's 1:1s stay off the page: only rows of lines active on as_of.
    lines = pairs.select("manager_email", "report_email")
    return frame.join(lines, on=["manager_email", "report_email"], how="semi")


def teams(
    frames: Mapping[str, pl.DataFrame],
    names: Mapping[str, str],
    meta: ReportMeta,
    parents: Mapping[str, str | None],
) -> Iterator[Team]:
    """One Team per manager with an active line.

    Everything is computed org-wide in a few passes and then cut per manager, so
    2,000 pages do not pay 2,000 times for the same query.
    """
    pairs = frames["pair_metrics"]
    occ = frames["occurrences"].filter(pl.col("relation") == "manager_report")
    rows = timeline.timeline_rows(_current_lines_only(occ, pairs), names, meta)
    weekly = _current_lines_only(frames["weekly_activity"], pairs)
    weeks = activity.weekly_counts_by_manager(weekly, activity.window_weeks(meta))
    totals = kpis.line_totals_by_manager(pairs)
    rows_by = _split(rows)
    for manager, lines in sorted(_split(pairs).items()):
        yield Team(
            manager, lines, totals[manager], rows_by.get(manager, rows.clear()),
            weeks.get(manager, {}), parents.get(manager),
        )  # fmt: skip


def timeline_figure(team: Team, names: Mapping[str, str], meta: ReportMeta) -> Figure:
    """Every 1:1 of the team's current reports in and after the window."""
    reports = team.pairs.get_column("report_email").to_list()
    return timeline.timeline_figure(team.timeline_rows, reports, names, meta)


def manager_html(
    team: Team, names: Mapping[str, str], org_pages: Mapping[str, str], meta: ReportMeta
) -> str:
    """A manager's page; it loads the shared plotly.js and links to the organisations.

    `org_pages` maps a manager with an organisation page to its out-dir-relative path:
    the page links to the manager's own organisation and to the one above them.
    """
    reports = team.pairs.get_column("report_email").to_list()
    trends = activity.trends_figure(team.weeks, len(reports), meta)
    return page.render(
        "manager.html.j2", meta,
        plotly_src="../" + page.PLOTLY_ASSET,
        own_org=_up(org_pages.get(team.manager_email)),
        up=_up(org_pages.get(team.parent or "")),
        manager_name=names.get(team.manager_email, team.manager_email),
        tiles=kpis.team_kpis(team.totals, meta),
        team=tables.team_table(team.pairs, names, meta),
        figures={"timeline": page.slot("timeline", timeline_figure(team, names, meta)),
                 "trends": page.slot("trends", trends)},
    )  # fmt: skip
