"""Raw observations + roster snapshots → every derived table, as frames.

`compute` is pure; `Warehouse.build` writes its result in one transaction.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from warehouse.metrics import pair_metrics, window_start
from warehouse.occurrences import build_occurrences
from warehouse.params import BuildContext
from warehouse.rollups import cancelers, manager_metrics, neglected_reports, weekly_activity
from warehouse.roster import people_table, reporting_lines


def history_start(ctx: BuildContext, occurrences: pl.DataFrame) -> date:
    """First day of synced history: configured, else the earliest occurrence, else W's start."""
    if ctx.history_start is not None:
        return ctx.history_start
    earliest = occurrences.get_column("local_date").min()
    return earliest if isinstance(earliest, date) else window_start(ctx)


def compute(
    raw: pl.DataFrame,
    snapshots: pl.DataFrame,
    ctx: BuildContext,
    synced: frozenset[str] | None = None,
) -> dict[str, pl.DataFrame]:
    """Every derived table, keyed by table name, from raw copies and roster snapshots.

    `synced` is the calendars that synced successfully at least once (None: every
    calendar counts as read, for frames that do not come from a sync).
    """
    people = people_table(snapshots)
    lines = reporting_lines(snapshots)
    occ = build_occurrences(raw, lines, ctx)
    pairs = pair_metrics(occ, lines, ctx, history_start(ctx, occ), synced)
    who_cancels = cancelers(occ, ctx)
    return {
        "people": people,
        "reporting_lines": lines,
        "occurrences": occ,
        "pair_metrics": pairs,
        "manager_metrics": manager_metrics(pairs, occ, who_cancels, ctx),
        "cancelers": who_cancels,
        "chronic_cancelers": who_cancels.filter("chronic"),
        "neglected_reports": neglected_reports(pairs, people),
        "weekly_activity": weekly_activity(occ, ctx),
    }
