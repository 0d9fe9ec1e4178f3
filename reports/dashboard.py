"""The organisation dashboard page (frames → HTML text)."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from reports import activity, chronic, history, kpis, org, page, phases, tables
from reports.frames import with_unscheduled_call_hours
from reports.meta import ReportMeta


def figures(
    frames: Mapping[str, pl.DataFrame],
    names: Mapping[str, str],
    titles: Mapping[str, str],
    links: Mapping[str, str],
    meta: ReportMeta,
) -> dict[str, page.FigureSlot]:
    """Every chart of the main page, keyed by its place in the template."""
    managers = with_unscheduled_call_hours(frames["manager_metrics"], frames["pair_metrics"])
    weekly = frames["weekly_activity"]
    active = frames["pair_metrics"].height
    treemap = org.treemap_figure(frames["org_rollups"], names, titles, links)
    return {
        "hierarchy": page.slot("hierarchy", treemap),
        "history": page.slot("history", history.history_figure(frames["kpi_history"], meta.as_of)),
        "chronic": page.slot("chronic", chronic.chronic_figure(frames["cancelers"], names, meta)),
        "cadence": page.slot("cadence", activity.cadence_heatmap(weekly, managers, names, meta)),
        "leverage": page.slot("leverage", activity.leverage_figure(managers, names, meta)),
        "trends": page.slot("trends", activity.weekly_trends(weekly, active, meta)),
    }


def dashboard_html(
    frames: Mapping[str, pl.DataFrame],
    names: Mapping[str, str],
    titles: Mapping[str, str],
    links: Mapping[str, str],
    pages: Mapping[str, str],
    csv_links: list[tuple[str, str]],
    meta: ReportMeta,
) -> str:
    """The self-contained main page.

    `pages` maps a manager's email to their team page, `links` to the page a click on
    them in the hierarchy opens (their organisation's, else their team's); both relative.
    """
    tiles = kpis.org_kpis(frames, meta)
    tops = org.hierarchy(frames["org_rollups"]).tops
    pairs = frames["pair_metrics"]
    return page.render(
        "dashboard.html.j2",
        meta,
        plotlyjs=page.plotly_js(),
        tiles=tiles,
        freshness=next(t for t in tiles if t.key == "freshness"),
        figures=figures(frames, names, titles, links, meta),
        top_orgs=org.org_list(frames["org_rollups"], names, links, tops, depth=1),
        phase_counts=phases.phase_counts(pairs),
        behind=phases.phase_table(pairs, names, pages, meta.window_days),
        neglected=tables.neglected_table(frames["neglected_reports"], pages, meta),
        managers=tables.manager_index(
            with_unscheduled_call_hours(frames["manager_metrics"], pairs), names, pages
        ),
        failures=tables.sync_failures(frames["sync_state"], meta),
        csv_links=csv_links,
    )
