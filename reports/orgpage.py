"""Organisation pages: one manager's whole subtree, and nobody outside it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

import polars as pl

from reports import chronic, history, kpis, org, page, phases, tables
from reports.meta import ReportMeta

UP = "../"


@dataclass(frozen=True)
class Subtree:
    """What one organisation page may show: its managers, people and lines."""

    root: str
    managers: list[str]  # the root first, then everyone managing below them
    people: set[str]  # the root and every direct and indirect report
    pairs: pl.DataFrame


def subtrees(
    frames: Mapping[str, pl.DataFrame], tree: org.Hierarchy, roots: list[str]
) -> Iterator[Subtree]:
    """One Subtree per root, its lines cut from pair_metrics."""
    pairs = frames["pair_metrics"]
    for root in roots:
        managers = tree.subtree(root)
        lines = pairs.filter(pl.col("manager_email").is_in(managers))
        people = {root, *lines.get_column("report_email").to_list()}
        yield Subtree(root, managers, people, lines)


def subtree_meta(sub: Subtree, sync_state: pl.DataFrame, meta: ReportMeta) -> ReportMeta:
    """The report context with calendars counted (and failures named) inside the subtree."""
    ours = sync_state.filter(pl.col("calendar_email").is_in(sorted(sub.people)))
    failed = ours.filter(pl.col("status") == "failed").get_column("calendar_email").to_list()
    return replace(meta, calendars_total=ours.height, calendars_failed=sorted(failed))


def _within(frame: pl.DataFrame, column: str, members: set[str] | list[str]) -> pl.DataFrame:
    return frame.filter(pl.col(column).is_in(sorted(members)))


def subtree_tiles(
    sub: Subtree, frames: Mapping[str, pl.DataFrame], meta: ReportMeta
) -> list[kpis.Kpi]:
    """The main page's tiles for this subtree: its org_rollups row, its history's trends."""
    rollups = frames["org_rollups"]
    row = rollups.filter(pl.col("manager_email") == sub.root).row(0, named=True)
    reports = sub.people - {sub.root}  # the roll-up counts the reports' chronic cancelers
    chronic_here = _within(frames["chronic_cancelers"], "person_email", reports)
    past = frames["org_rollups_history"].filter(pl.col("manager_email") == sub.root)
    return kpis.org_tiles(kpis.totals_from_rollup(row), chronic_here, past, meta)


def org_html(
    sub: Subtree,
    frames: Mapping[str, pl.DataFrame],
    names: Mapping[str, str],
    titles: Mapping[str, str],
    links: Mapping[str, str],
    manager_pages: Mapping[str, str],
    meta: ReportMeta,
) -> str:
    """A subtree's page; `links` and `manager_pages` are out-dir-relative paths."""
    tree = org.hierarchy(frames["org_rollups"])
    here = org.relative(links, UP)
    teams = org.relative(manager_pages, UP)
    meta = subtree_meta(sub, frames["sync_state"], meta)
    rollups = _within(frames["org_rollups"], "manager_email", sub.managers)
    reports = sub.people - {sub.root}
    cancelers = _within(frames["cancelers"], "person_email", reports)
    past = frames["org_rollups_history"].filter(pl.col("manager_email") == sub.root)
    neglected = _within(frames["neglected_reports"], "manager_email", sub.managers)
    managers = _within(frames["manager_metrics"], "manager_email", sub.managers)
    parent = tree.parent.get(sub.root)
    treemap = org.treemap_figure(rollups, names, titles, here, sub.root)
    figures = {
        "hierarchy": page.slot("hierarchy", treemap),
        "chronic": page.slot("chronic", chronic.chronic_figure(cancelers, names, meta)),
        "history": page.slot("history", history.history_figure(past, meta.as_of)),
    }  # fmt: skip
    return page.render(
        "org.html.j2", meta,
        plotly_src=UP + page.PLOTLY_ASSET,
        root_name=names.get(sub.root, sub.root),
        up=here.get(parent) if parent else None,
        own_team=teams.get(sub.root),
        below=org.org_list(rollups, names, here, tree.children.get(sub.root, []), depth=0),
        tiles=subtree_tiles(sub, frames, meta),
        figures=figures,
        phase_counts=phases.phase_counts(sub.pairs),
        behind=phases.phase_table(sub.pairs, names, teams, meta.window_days),
        neglected=tables.neglected_table(neglected, teams, meta),
        managers=tables.manager_index(managers, names, teams),
    )  # fmt: skip


def titles(people: pl.DataFrame) -> dict[str, str]:
    """Email → job title, for people whose roster entry has one."""
    rows: list[Any] = people.select("email", "title").rows()
    return {email: title for email, title in rows if title}
