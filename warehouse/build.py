"""Raw observations + roster snapshots + call presences → every derived table, as frames.

Pure functions, in two steps so the raw table can be split by pair (see
`warehouse.partitions`): `compute_partition` turns the copies of some pairs into their
occurrences, weekly activity and a small `PartitionSummary`; `combine` turns the
summaries of every partition into the tables that need the whole organisation.
`compute` is both steps over the whole raw table at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from warehouse.attendance import copy_keys
from warehouse.frames import RAW_SCHEMA
from warehouse.metrics import (
    PAIR,
    active_lines,
    finish_pair_metrics,
    pair_figures,
    reporting_occurrences,
    window_start,
    with_unscheduled,
)
from warehouse.occurrences import build_occurrences
from warehouse.org import org_kpis, org_rollups
from warehouse.params import BuildContext
from warehouse.rollups import (
    canceler_counts,
    cancelers,
    manager_cancellations,
    manager_metrics,
    neglected_reports,
    weekly_activity,
)
from warehouse.roster import people_table, reporting_lines, title_changes
from warehouse.schema import DERIVED_TABLES


@dataclass(frozen=True)
class PartitionSummary:
    """What the org-wide tables need from one partition (rows per line or person)."""

    pair_figures: pl.DataFrame  # `pair_figures` of the active lines met in the partition
    canceler_counts: pl.DataFrame
    manager_cancellations: pl.DataFrame
    earliest: date | None  # the first local date among the partition's occurrences
    meeting_keys: pl.DataFrame  # `copy_keys` of the partition's raw copies


@dataclass(frozen=True)
class PartitionResult:
    """One partition's tables (written out as they come) and its summary."""

    occurrences: pl.DataFrame
    weekly_activity: pl.DataFrame
    summary: PartitionSummary


def compute_partition(
    raw: pl.DataFrame,
    series: pl.DataFrame | None,
    lines: pl.DataFrame,
    ctx: BuildContext,
    synced: frozenset[str] | None = None,
    calls: pl.DataFrame | None = None,
) -> PartitionResult:
    """Occurrences and pair-level figures of the pairs whose copies `raw` holds.

    `raw` must hold every copy of each of its pairs (stubs included); `series` is
    `stub_series` of the whole raw table (at least the series of `raw`'s stubs; None
    when `raw` is the whole table);
    `lines` is every reporting line, for who managed whom. `synced` is the calendars
    that synced successfully at least once (None: every calendar counts as read).
    `calls` holds at least every call presence with the meeting key of one of `raw`'s
    copies (None: no call evidence).
    """
    occ = build_occurrences(raw, lines, ctx, series, calls)
    met = reporting_occurrences(occ).select(PAIR).unique()
    active = active_lines(lines, ctx.as_of).join(met, on=list(PAIR), how="semi")
    earliest = occ.get_column("local_date").min()
    summary = PartitionSummary(
        pair_figures=pair_figures(occ, active, ctx, synced),
        canceler_counts=canceler_counts(occ, ctx),
        manager_cancellations=manager_cancellations(occ, ctx),
        earliest=earliest if isinstance(earliest, date) else None,
        meeting_keys=copy_keys(raw),
    )
    return PartitionResult(occ, weekly_activity(occ, ctx), summary)


def history_start(ctx: BuildContext, summaries: Sequence[PartitionSummary]) -> date:
    """First day of synced history: configured, else the earliest occurrence, else W's start."""
    if ctx.history_start is not None:
        return ctx.history_start
    earliest = [s.earliest for s in summaries if s.earliest is not None]
    return min(earliest) if earliest else window_start(ctx)


def combine(
    summaries: Sequence[PartitionSummary],
    snapshots: pl.DataFrame,
    ctx: BuildContext,
    synced: frozenset[str] | None = None,
    calls: pl.DataFrame | None = None,
) -> dict[str, pl.DataFrame]:
    """The tables that need the whole organisation, from every partition's summary:
    people, reporting_lines, pair_metrics, manager_metrics, (chronic_)cancelers,
    neglected_reports, org_rollups and org_kpis. `calls` is every call presence (None:
    no call evidence): a line's unscheduled calls need no occurrence of it."""
    people = people_table(snapshots)
    lines = reporting_lines(snapshots)
    keys = pl.concat([s.meeting_keys for s in summaries]).unique()
    pairs = finish_pair_metrics(
        with_unscheduled(_all_pair_figures(summaries, lines, ctx, synced), calls, keys, ctx),
        ctx,
        history_start(ctx, summaries),
        title_changes(snapshots, ctx.as_of),
    )
    who_cancels = cancelers(pl.concat([s.canceler_counts for s in summaries]), ctx)
    cancellations = pl.concat([s.manager_cancellations for s in summaries])
    return {
        "people": people,
        "reporting_lines": lines,
        "pair_metrics": pairs,
        "manager_metrics": manager_metrics(pairs, cancellations, who_cancels, ctx),
        "cancelers": who_cancels,
        "chronic_cancelers": who_cancels.filter("chronic"),
        "neglected_reports": neglected_reports(pairs, people),
        "org_rollups": org_rollups(pairs, who_cancels),
        "org_kpis": org_kpis(pairs, who_cancels),
    }


def _all_pair_figures(
    summaries: Sequence[PartitionSummary],
    lines: pl.DataFrame,
    ctx: BuildContext,
    synced: frozenset[str] | None,
) -> pl.DataFrame:
    """The partitions' figures plus those of active lines no partition met (no
    manager–report occurrence at all), computed from no occurrences."""
    found = pl.concat([s.pair_figures for s in summaries])
    unmet = active_lines(lines, ctx.as_of).join(found.select(PAIR), on=list(PAIR), how="anti")
    none = build_occurrences(pl.DataFrame(schema=RAW_SCHEMA), lines, ctx)
    return pl.concat([found, pair_figures(none, unmet, ctx, synced)])


def compute(
    raw: pl.DataFrame,
    snapshots: pl.DataFrame,
    ctx: BuildContext,
    synced: frozenset[str] | None = None,
    calls: pl.DataFrame | None = None,
) -> dict[str, pl.DataFrame]:
    """Every derived table, keyed by table name, from raw copies, roster snapshots and
    call presences, in one partition.

    `synced` is the calendars that synced successfully at least once (None: every
    calendar counts as read, for frames that do not come from a sync); `calls` the
    call presences (CALL_SCHEMA; None: no call evidence).
    """
    part = compute_partition(raw, None, reporting_lines(snapshots), ctx, synced, calls)
    tables = combine([part.summary], snapshots, ctx, synced, calls)
    tables |= {"occurrences": part.occurrences, "weekly_activity": part.weekly_activity}
    return {name: tables[name] for name in DERIVED_TABLES}
