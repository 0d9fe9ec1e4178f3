"""The raw table split by pair, read from DuckDB one partition at a time.

A copy's partition is a hash of its sorted pair (its two participants) modulo the
partition count, so every copy of an occurrence, every occurrence of a pair and every
figure of a reporting line fall in the same partition. A stub without participants
takes the pair its series gives it (`stub_series`, computed first from whole series,
which may hold copies of other pairs or of no pair); copies that cannot be a 1:1 (not
exactly two participants) are left out.
"""

from __future__ import annotations

from types import TracebackType

import duckdb
import polars as pl

from core.errors import BadInputError
from warehouse.copies import SERIES, stub_series
from warehouse.frames import RAW_SCHEMA

ROWS_PER_PARTITION = 2_000_000  # raw rows; a partition's build peaks near 1 GiB per million
_SERIES_TABLE = "_build_stub_series"
_RAW_COLUMNS = ", ".join(f'r."{name}"' for name in RAW_SCHEMA)
_SERIES_ON = " AND ".join(f"r.{c} = s.{c}" for c in SERIES)
_KEYS = ", ".join(SERIES)

# Copies of series that have a stub, one slice of series (by a hash of the key) at a time.
_STUB_SERIES_COPIES = f"""
WITH keys AS (
    SELECT DISTINCT {_KEYS} FROM raw_observations
    WHERE (len(participants) = 0 OR organizer_email IS NULL) AND series_key IS NOT NULL
        AND hash({_KEYS}) % {{count}} = {{index}}
)
SELECT {_KEYS}, participants, organizer_email, start, "end", last_seen_at, event_id
FROM raw_observations SEMI JOIN keys USING ({_KEYS})
"""

# A stub without participants takes its series' last ones (as `fill_stubs` will).
_PARTITION = f"""
SELECT * EXCLUDE (_pair) FROM (
    SELECT {_RAW_COLUMNS},
        CASE WHEN len(r.participants) = 0 THEN s.s_participants ELSE r.participants END
            AS _pair
    FROM raw_observations r
    LEFT JOIN {_SERIES_TABLE} s ON len(r.participants) = 0 AND {_SERIES_ON}
)
WHERE len(_pair) = 2
    AND hash(least(_pair[1], _pair[2]), greatest(_pair[1], _pair[2])) % {{count}} = {{index}}
"""


def partition_count(raw_rows: int, requested: int | None = None) -> int:
    """`requested` when given, else one partition per ROWS_PER_PARTITION raw rows."""
    if requested is None:
        return max(1, -(-raw_rows // ROWS_PER_PARTITION))
    if isinstance(requested, bool) or not isinstance(requested, int) or requested < 1:
        raise BadInputError(f"partitions must be a whole number of at least 1, got {requested!r}")
    return requested


class RawPartitions:
    """Reads `raw_observations` partition by partition, inside the caller's transaction.

    Entering computes `stub_series` slice by slice and registers it for the
    partitions' queries; leaving unregisters it.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, count: int) -> None:
        self.con = con
        self.count = count
        self.series = stub_series(pl.DataFrame(schema=RAW_SCHEMA))

    def __enter__(self) -> RawPartitions:
        slices = [self._stub_series(index) for index in range(self.count)]
        self.series = pl.concat(slices)
        keyed = self.series.select(*SERIES, "s_participants")
        self.con.register(_SERIES_TABLE, keyed.to_arrow())
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.con.unregister(_SERIES_TABLE)

    def _stub_series(self, index: int) -> pl.DataFrame:
        query = _STUB_SERIES_COPIES.format(count=self.count, index=index)
        copies = self.con.sql(query).pl()
        return stub_series(copies.cast({c: RAW_SCHEMA[c] for c in copies.columns}))

    def read(self, index: int) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Partition `index`'s raw copies (RAW_SCHEMA) and the `stub_series` rows of
        its stubs."""
        query = _PARTITION.format(count=self.count, index=index)
        raw = self.con.sql(query).pl().cast(RAW_SCHEMA)
        series = self.series.join(raw.select(SERIES).unique(), on=list(SERIES), how="semi")
        return raw, series
