"""The organisation dashboard page (frames → HTML text)."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from reports import activity, chronic, kpis, page, tables
from reports.meta import ReportMeta


def figures(
    frames: Mapping[str, pl.DataFrame], names: Mapping[str, str], meta: ReportMeta
) -> dict[str, page.FigureSlot]:
    """Every chart of the main page, keyed by its place in the template."""
    managers = frames["manager_metrics"]
    weekly = frames["weekly_activity"]
    active = frames["pair_metrics"].height
    return {
        "chronic": page.slot("chronic", chronic.chronic_figure(frames["cancelers"], names, meta)),
        "cadence": page.slot("cadence", activity.cadence_heatmap(weekly, managers, names, meta)),
        "leverage": page.slot("leverage", activity.leverage_figure(managers, names, meta)),
        "trends": page.slot("trends", activity.weekly_trends(weekly, active, meta)),
    }


def dashboard_html(
    frames: Mapping[str, pl.DataFrame],
    names: Mapping[str, str],
    pages: Mapping[str, str],
    csv_links: list[tuple[str, str]],
    meta: ReportMeta,
) -> str:
    """The self-contained main page; `pages` maps manager email → relative link."""
    tiles = kpis.org_kpis(frames, meta)
    return page.render(
        "dashboard.html.j2",
        meta,
        plotlyjs=page.plotly_js(),
        tiles=tiles,
        freshness=tiles[-1],
        figures=figures(frames, names, meta),
        neglected=tables.neglected_table(frames["neglected_reports"], pages, meta),
        managers=tables.manager_index(frames["manager_metrics"], names, pages),
        failures=tables.sync_failures(frames["sync_state"], meta),
        csv_links=csv_links,
    )
