"""Roster snapshots → `people` (latest snapshot) and effective-dated `reporting_lines`.

Pure functions of the snapshot frame (SNAPSHOT_SCHEMA), so the history is always
rebuilt from every snapshot kept rather than patched in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl

from connectors.model import Person
from warehouse.frames import SNAPSHOT_SCHEMA

LINES_SCHEMA: dict[str, pl.DataType] = {
    "report_email": pl.String(),
    "manager_email": pl.String(),
    "valid_from": pl.Date(),
    "valid_to": pl.Date(),
}

PEOPLE_COLUMNS = ("email", "name", "manager_email", "provider")


def snapshot_frame(people: Sequence[Person], taken_on: date) -> pl.DataFrame:
    """One snapshot as rows of SNAPSHOT_SCHEMA; a repeated email keeps its last row."""
    rows = [
        (taken_on, p.email.lower(), p.name, _lower(p.manager_email), p.provider, p.start_date)
        for p in people
    ]
    frame = pl.DataFrame(rows, schema=SNAPSHOT_SCHEMA, orient="row")
    return frame.unique("email", keep="last", maintain_order=True)


def _lower(email: str | None) -> str | None:
    return None if email is None else email.lower()


def people_table(snapshots: pl.DataFrame) -> pl.DataFrame:
    """The latest snapshot's people."""
    if snapshots.is_empty():
        return snapshots.select(PEOPLE_COLUMNS)
    latest = snapshots.get_column("taken_on").max()
    return snapshots.filter(pl.col("taken_on") == latest).select(PEOPLE_COLUMNS).sort("email")


def reporting_lines(snapshots: pl.DataFrame) -> pl.DataFrame:
    """Effective-dated lines: one row per unbroken run of a (report, manager) pair.

    A run present in the first snapshot starts on the roster's start_date (else null);
    a later run starts on its first snapshot's date, or its start_date when later. A
    run ends (valid_to) on the date of the first snapshot without it.
    """
    dates = snapshots.select(pl.col("taken_on").unique().sort()).with_row_index("k")
    if dates.is_empty():
        return pl.DataFrame(schema=LINES_SCHEMA)
    last_k = dates.height - 1
    present = (
        snapshots.filter(pl.col("manager_email").is_not_null())
        .join(dates, on="taken_on")
        .sort("email", "manager_email", "k")
    )
    # Gaps and islands: consecutive snapshot indexes share k - rank within the pair.
    runs = (
        present.with_columns(
            run=pl.col("k").cast(pl.Int64) - pl.int_range(pl.len()).over("email", "manager_email")
        )
        .group_by("email", "manager_email", "run")
        .agg(
            first_k=pl.col("k").min(),
            last_k=pl.col("k").max(),
            start_date=pl.col("start_date").sort_by("k").first(),
            first_date=pl.col("taken_on").min(),
        )
    )
    next_dates = dates.select(last_k=pl.col("k") - 1, valid_to=pl.col("taken_on"))
    return (
        runs.join(next_dates, on="last_k", how="left")
        .with_columns(
            valid_from=pl.when(pl.col("first_k") == 0)
            .then(pl.col("start_date"))
            .otherwise(pl.max_horizontal("first_date", "start_date"))
        )
        .with_columns(valid_to=pl.when(pl.col("last_k") == last_k).then(None).otherwise("valid_to"))
        .select(
            report_email="email",
            manager_email="manager_email",
            valid_from="valid_from",
            valid_to="valid_to",
        )
        .cast(LINES_SCHEMA)  # type: ignore[arg-type]
        .sort("report_email", pl.col("valid_from"), nulls_last=False)
    )


def active_on(day: pl.Expr) -> pl.Expr:
    """Whether a line (valid_from, valid_to columns) is active on `day`."""
    return (pl.col("valid_from").is_null() | (pl.col("valid_from") <= day)) & (
        pl.col("valid_to").is_null() | (day < pl.col("valid_to"))
    )
