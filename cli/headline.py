"""The few lines a leader reads at the end of a run: who is met, who is not, who cancels.

Pure: computed from the metric tables, the same ones the dashboard shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import polars as pl

HEADLINE_TABLES = ("people", "pair_metrics", "chronic_cancelers", "sync_state")
SHOWN_FAILURES = 5


def headline(tables: Mapping[str, pl.DataFrame], window_days: int) -> list[str]:
    """People and lines, met, neglected, overdue intros, chronic cancelers, failures."""
    pairs = tables["pair_metrics"]
    met = pairs.filter(pl.col("held") > 0).height
    neglected = pairs.filter(pl.col("neglected").fill_null(False)).height
    overdue = pairs.filter(pl.col("intro_overdue").fill_null(False)).height
    no_data = pairs.filter(pl.col("data") == "none").height
    lines = [
        f"{tables['people'].height:,} people, {pairs.height:,} reporting lines: "
        f"{met:,} met in the last {window_days} days, {neglected:,} neglected, "
        f"{overdue:,} new reports not yet met, "
        f"{tables['chronic_cancelers'].height:,} chronic cancelers."
    ]
    if no_data:
        lines.append(f"{no_data:,} lines have no data: neither calendar was ever read.")
    return lines + _failures(tables["sync_state"])


def _failures(sync_state: pl.DataFrame) -> list[str]:
    failed = sorted(sync_state.filter(pl.col("status") == "failed")["calendar_email"])
    if not failed:
        return []
    shown = ", ".join(failed[:SHOWN_FAILURES])
    more = len(failed) - SHOWN_FAILURES
    return [
        f"{len(failed):,} calendars failed: {shown}" + (f" and {more:,} more" if more > 0 else "")
    ]


def read_headline(warehouse: Path, window_days: int) -> list[str]:
    """The headline of the warehouse as it stands."""
    from warehouse import Warehouse

    with Warehouse(warehouse, read_only=True) as db:
        return headline({name: db.table(name) for name in HEADLINE_TABLES}, window_days)
