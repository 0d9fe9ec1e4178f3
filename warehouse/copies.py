"""Raw copies → candidate copies keyed by occurrence (README "What it measures":
what a 1:1 is, and one occurrence per meeting).

Pure Polars: stubs are completed from their series, non-candidates dropped, and every
copy gets the occurrence's natural key (sorted pair + original slot in UTC).
"""

from __future__ import annotations

import duckdb
import polars as pl

from warehouse.params import MetricParams

KEY = ("person_a", "person_b", "scheduled_start")
SERIES = ("provider", "calendar_email", "series_key")
# The columns `stub_series` reads besides the series key.
_SERIES_FACTS = ("participants", "organizer_email", "start", "end", "last_seen_at", "event_id")


def is_stub() -> pl.Expr:
    """A copy that needs its series: no participants, or no organizer."""
    return (pl.col("participants").list.len() == 0) | pl.col("organizer_email").is_null()


def stub_series(raw: pl.DataFrame) -> pl.DataFrame:
    """What each series with a stub knows, from its other copies on the same calendar:
    the participants and organizer of its latest-seen copy and its median length.

    `raw` needs every copy of those series (any other rows are ignored), so a caller
    may pass a slice holding whole series.
    """
    needed = raw.select(*SERIES, *_SERIES_FACTS)
    stubs = needed.filter(is_stub()).select(SERIES).unique()
    known = needed.filter(~is_stub(), pl.col("series_key").is_not_null()).join(
        stubs, on=list(SERIES), how="semi"
    )
    return (
        known.sort("last_seen_at", "event_id")
        .group_by(SERIES)
        .agg(
            s_participants=pl.col("participants").last(),
            s_organizer=pl.col("organizer_email").last(),
            s_length=(pl.col("end") - pl.col("start")).median(),
        )
    )


def fill_stubs(raw: pl.DataFrame, series: pl.DataFrame) -> pl.DataFrame:
    """Give stubs (no participants/organizer) what their series knows.

    A Google cancelled instance carries only its id, series and original slot: its
    participants and organizer come from other copies of the series on the same
    calendar (`series`, from `stub_series`; rows of other series are ignored), its
    start is the original slot, and its length the series' length.
    """
    stubs = raw.filter(is_stub())
    start = pl.coalesce("start", "original_start")
    if stubs.is_empty():  # the common case: nothing to complete, skip the join
        return raw.with_columns(start=start)
    completed = (
        stubs.join(series, on=list(SERIES), how="left")
        .with_columns(
            participants=pl.when(pl.col("participants").list.len() == 0)
            .then(pl.col("s_participants"))
            .otherwise(pl.col("participants")),
            organizer_email=pl.coalesce("organizer_email", "s_organizer"),
            start=start,
            end=pl.coalesce("end", start + pl.col("s_length")),
        )
        .drop("s_participants", "s_organizer", "s_length")
    )
    return pl.concat([raw.filter(~is_stub()).with_columns(start=start), completed])


def candidates(raw: pl.DataFrame, params: MetricParams) -> pl.DataFrame:
    """Copies that can be a 1:1: two distinct participants, length within bounds."""
    first, last = pl.col("participants").list.first(), pl.col("participants").list.last()
    minutes = (pl.col("end") - pl.col("start")).dt.total_minutes()
    return (
        raw.filter(
            pl.col("participants").list.len() == 2,
            pl.col("start").is_not_null() & pl.col("end").is_not_null(),
        )
        .with_columns(
            person_a=pl.min_horizontal(first, last),
            person_b=pl.max_horizontal(first, last),
            minutes=minutes,
            scheduled_start=pl.coalesce("original_start", "start"),
        )
        .filter(
            pl.col("person_a") != pl.col("person_b"),
            pl.col("minutes").is_between(params.min_minutes, params.max_minutes),
        )
    )


def occurrence_ids(keys: pl.DataFrame) -> pl.Series:
    """A stable id per natural key (md5 of "a|b|scheduled start in epoch seconds").

    Polars' own hash may change between versions; md5 does not, and DuckDB computes
    it vectorised.
    """
    text = keys.with_row_index("i").select(
        "i",
        key=pl.concat_str(
            "person_a",
            "person_b",
            pl.col("scheduled_start").dt.epoch("s").cast(pl.String),
            separator="|",
        ),
    )
    with duckdb.connect(":memory:") as con:
        con.register("keys", text.to_arrow())
        ids = con.sql("SELECT substr(md5(key), 1, 20) AS id FROM keys ORDER BY i").pl()
    return ids.get_column("id").alias("occurrence_id")
