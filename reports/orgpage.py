"""Organisation pages: one manager's whole subtree, and nobody outside it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

import polars as pl

from reports import chronic, history, kpis, org, page, phases, tables
from reports.frames import with_unscheduled_call_hours
from reports.meta import ReportMeta

UP = "../"
TABLE_ROWS = 500  # rows an organisation page's tables carry; the CSV exports have all


@dataclass(frozen=True)
class Subtree:
    """What one organisation page may show: its managers, people, lines and history."""

    root: str
    managers: list[str]  # the root first, then everyone managing below them
    people: set[str]  # the root and every direct and indirect report
    pairs: pl.DataFrame
    history: pl.DataFrame  # the root's rows of org_rollups_history
    tree: org.Hierarchy


def subtrees(frames: Mapping[str, pl.DataFrame], roots: list[str]) -> Iterator[Subtree]:
    """One Subtree per root, cut from the org-wide tables (each split once, not per page)."""
    pairs = frames["pair_metrics"]
    tree = org.hierarchy(frames["org_rollups"])
    past = frames["org_rollups_history"]
    by_root = {str(k[0]): v for k, v in past.partition_by("manager_email", as_dict=True).items()}
    for root in roots:
        managers = tree.subtree(root)
        lines = pairs.filter(pl.col("manager_email").is_in(managers))
        people = {root, *lines.get_column("report_email").to_list()}
        yield Subtree(root, managers, people, lines, by_root.get(root, past.clear()), tree)


def meta_within(people: set[str], sync_state: pl.DataFrame, meta: ReportMeta) -> ReportMeta:
    """The report context with calendars counted (and failures named) among `people` only."""
    ours = sync_state.filter(pl.col("calendar_email").is_in(sorted(people)))
    failed = ours.filter(pl.col("status") == "failed").get_column("calendar_email").to_list()
    return replace(meta, calendars_total=ours.height, calendars_failed=sorted(failed))


def subtree_meta(sub: Subtree, sync_state: pl.DataFrame, meta: ReportMeta) -> ReportMeta:
    """The report context with calendars counted (and failures named) inside the subtree."""
    return meta_within(sub.people, sync_state, meta)


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
    return kpis.org_tiles(kpis.totals_from_rollup(row), chronic_here, sub.history, meta)


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
    tree = sub.tree
    here = org.relative({m: links[m] for m in sub.managers if m in links}, UP)
    teams = org.relative({m: manager_pages[m] for m in sub.managers if m in manager_pages}, UP)
    parent = tree.parent.get(sub.root)
    up = UP + links[parent] if parent is not None and parent in links else None
    meta = subtree_meta(sub, frames["sync_state"], meta)
    rollups = _within(frames["org_rollups"], "manager_email", sub.managers)
    reports = sub.people - {sub.root}
    cancelers = _within(frames["cancelers"], "person_email", reports)
    neglected = _within(frames["neglected_reports"], "manager_email", sub.managers)
    managers = with_unscheduled_call_hours(
        _within(frames["manager_metrics"], "manager_email", sub.managers), sub.pairs
    )
    parent = tree.parent.get(sub.root)
    treemap = org.treemap_figure(rollups, names, titles, here, sub.root)
    figures = {
        "hierarchy": page.slot("hierarchy", treemap),
        "chronic": page.slot("chronic", chronic.chronic_figure(cancelers, names, meta)),
        "history": page.slot("history", history.history_figure(sub.history, meta.as_of)),
    }  # fmt: skip
    return page.render(
        "org.html.j2", meta,
        plotly_src=UP + page.PLOTLY_ASSET,
        root_name=names.get(sub.root, sub.root),
        up=up,
        own_team=teams.get(sub.root),
        below=org.org_list(rollups, names, here, tree.children.get(sub.root, []), depth=0),
        tiles=subtree_tiles(sub, frames, meta),
        figures=figures,
        phase_counts=phases.phase_counts(sub.pairs),
        behind=phases.phase_table(sub.pairs, names, teams, meta.window_days, TABLE_ROWS),
        neglected=tables.neglected_table(neglected, teams, meta, TABLE_ROWS),
        managers=tables.manager_index(managers, names, teams, TABLE_ROWS),
    )  # fmt: skip


def titles(people: pl.DataFrame) -> dict[str, str]:
    """Email → job title, for people whose roster entry has one."""
    rows: list[Any] = people.select("email", "title").rows()
    return {email: title for email, title in rows if title}
