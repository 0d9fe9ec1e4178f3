"""Roster snapshots → `people` (latest snapshot) and effective-dated `reporting_lines`.

Pure functions of the snapshot frame (SNAPSHOT_SCHEMA), so the history is always
rebuilt from every snapshot kept rather than patched in place.
"""

from __future__ import annotations

from datetime import date

import polars as pl

LINES_SCHEMA: dict[str, pl.DataType] = {
    "report_email": pl.String(),
    "manager_email": pl.String(),
    "valid_from": pl.Date(),
    "valid_to": pl.Date(),
}

PEOPLE_COLUMNS = ("email", "name", "manager_email", "provider", "title")
TITLE_CHANGES_SCHEMA: dict[str, pl.DataType] = {
    "report_email": pl.String(),
    "title_changed_on": pl.Date(),
}


def people_table(snapshots: pl.DataFrame) -> pl.DataFrame:
    """The latest snapshot's people."""
    if snapshots.is_empty():
        return snapshots.select(PEOPLE_COLUMNS)
    latest = snapshots.get_column("taken_on").max()
    return snapshots.filter(pl.col("taken_on") == latest).select(PEOPLE_COLUMNS).sort("email")


def team_manager(people: pl.DataFrame) -> str | None:
    """The manager of a one-manager roster (a manager and their reports): the one person
    without a manager; None when there is not exactly one."""
    tops = people.filter(pl.col("manager_email").is_null())["email"].to_list()
    return str(tops[0]) if len(tops) == 1 else None


def title_changes(snapshots: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Per report whose title ever changed by `as_of`: `title_changed_on`, the date of
    the last snapshot whose title differs from the previous snapshot's non-null title.

    A title appearing for the first time (or a snapshot without one) is no change.
    """
    titled = snapshots.filter(pl.col("title").is_not_null(), pl.col("taken_on") <= as_of)
    return (
        titled.sort("email", "taken_on")
        .filter(pl.col("title") != pl.col("title").shift(1).over("email"))
        .group_by("email")
        .agg(title_changed_on=pl.col("taken_on").max())
        .select(report_email="email", title_changed_on="title_changed_on")
        .cast(TITLE_CHANGES_SCHEMA)  # type: ignore[arg-type]
        .sort("report_email")
    )


def reporting_lines(snapshots: pl.DataFrame) -> pl.DataFrame:
    """Effective-dated lines: one row per unbroken run of a (report, manager) pair.

    A run present in the first snapshot starts on the roster's start_date (else null).
    A later run starts on its start_date when the roster gives a new one (a date other
    than the report's start_date in the snapshot before: a directory's unchanged hire
    date says nothing about a change of manager), else on its first snapshot's date;
    never before the report's previous line started. A run ends where the report's
    next line starts when that line follows it directly (so a change dated back to
    `start_date`, or announced ahead of it, moves the boundary), else on the date of
    the first snapshot without it.
    """
    dates = snapshots.select(pl.col("taken_on").unique().sort()).with_row_index("k")
    if dates.is_empty():
        return pl.DataFrame(schema=LINES_SCHEMA)
    indexed = snapshots.join(dates, on="taken_on")
    runs = _runs(indexed.filter(pl.col("manager_email").is_not_null()))
    before = indexed.select("email", first_k=pl.col("k") + 1, previous_start=pl.col("start_date"))
    next_dates = dates.select(last_k=pl.col("k") - 1, gone_on=pl.col("taken_on"))
    lines = (
        runs.join(before, on=["email", "first_k"], how="left")
        .join(next_dates, on="last_k", how="left")
        .sort("email", "first_k")
        .with_columns(valid_from=_run_start())
        .with_columns(
            valid_from=pl.max_horizontal("valid_from", pl.col("valid_from").shift(1).over("email"))
        )
        .with_columns(valid_to=_run_end(last_k=dates.height - 1))
    )
    return (
        lines.select(
            report_email="email",
            manager_email="manager_email",
            valid_from="valid_from",
            valid_to="valid_to",
        )
        .cast(LINES_SCHEMA)  # type: ignore[arg-type]
        .sort("report_email", pl.col("valid_from"), nulls_last=False)
    )


def _runs(present: pl.DataFrame) -> pl.DataFrame:
    """Gaps and islands: consecutive snapshot indexes share k - rank within the pair."""
    return (
        present.sort("email", "manager_email", "k")
        .with_columns(
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


def _run_start() -> pl.Expr:
    dated = pl.col("start_date").is_not_null() & pl.col("start_date").ne_missing(
        pl.col("previous_start")
    )
    return (
        pl.when(pl.col("first_k") == 0)
        .then(pl.col("start_date"))
        .when(dated)
        .then(pl.col("start_date"))
        .otherwise(pl.col("first_date"))
    )


def _run_end(last_k: int) -> pl.Expr:
    follows = pl.col("first_k").shift(-1).over("email") == pl.col("last_k") + 1
    return (
        pl.when(pl.col("last_k") == last_k)
        .then(None)
        .when(follows.fill_null(False))
        .then(pl.col("valid_from").shift(-1).over("email"))
        .otherwise(pl.col("gone_on"))
    )


def active_on(day: pl.Expr) -> pl.Expr:
    """Whether a line (valid_from, valid_to columns) is active on `day`."""
    return (pl.col("valid_from").is_null() | (pl.col("valid_from") <= day)) & (
        pl.col("valid_to").is_null() | (day < pl.col("valid_to"))
    )
