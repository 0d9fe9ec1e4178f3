"""Who managed whom on an occurrence's date: manager_report, skip_level or other."""

from __future__ import annotations

import polars as pl

from warehouse.roster import active_on


def manager_on(frame: pl.DataFrame, person: str, day: str, lines: pl.DataFrame) -> pl.Series:
    """The manager of `frame[person]` on `frame[day]`, aligned to the frame's rows."""
    keys = frame.select(pl.col(person).alias("report_email"), pl.col(day).alias("_day"))
    uniq = keys.unique()
    found = (
        uniq.join(lines, on="report_email")
        .filter(active_on(pl.col("_day")))
        .group_by("report_email", "_day")
        .agg(pl.col("manager_email").min())
    )
    return keys.join(found, on=["report_email", "_day"], how="left", maintain_order="left")[
        "manager_email"
    ]


def assign_relation(occ: pl.DataFrame, lines: pl.DataFrame) -> pl.DataFrame:
    """Add relation, manager_email and report_email as of each occurrence's local date."""
    mgr_a = manager_on(occ, "person_a", "local_date", lines)
    mgr_b = manager_on(occ, "person_b", "local_date", lines)
    with_mgrs = occ.with_columns(_mgr_a=mgr_a, _mgr_b=mgr_b)
    skip_a = manager_on(with_mgrs, "_mgr_a", "local_date", lines)
    skip_b = manager_on(with_mgrs, "_mgr_b", "local_date", lines)
    a_reports = pl.col("_mgr_a") == pl.col("person_b")
    b_reports = pl.col("_mgr_b") == pl.col("person_a")
    skip = (pl.col("_skip_a") == pl.col("person_b")) | (pl.col("_skip_b") == pl.col("person_a"))
    return (
        with_mgrs.with_columns(_skip_a=skip_a, _skip_b=skip_b)
        .with_columns(
            relation=pl.when(a_reports.fill_null(False) | b_reports.fill_null(False))
            .then(pl.lit("manager_report"))
            .when(skip.fill_null(False))
            .then(pl.lit("skip_level"))
            .otherwise(pl.lit("other")),
            manager_email=pl.when(a_reports).then("person_b").when(b_reports).then("person_a"),
            report_email=pl.when(a_reports).then("person_a").when(b_reports).then("person_b"),
        )
        .drop("_mgr_a", "_mgr_b", "_skip_a", "_skip_b")
    )
