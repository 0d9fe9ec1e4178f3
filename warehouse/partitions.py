"""The raw table split by pair, read one partition at a time.

A copy's partition is a hash of its sorted pair (its two participants) modulo the
partition count, so every copy of an occurrence, every occurrence of a pair and every
figure of a reporting line fall in the same partition. A stub without participants
takes the pair its series gives it (`stub_series`, computed first from whole series,
which may hold copies of other pairs or of no pair); copies that cannot be a 1:1 (not
exactly two participants) are left out.

With more than one partition, one scan of the raw table writes every partition's rows
to a file of its own (Arrow IPC, in a private temporary directory), batch by batch, so
that neither DuckDB nor Python holds more than a batch and each partition is read back
alone; the copies of series with stubs are split the same way, by series, and the
`stub_series` of them all are written beside the partitions. Call presences go to each
partition whose copies carry their meeting key (all an occurrence's attendance needs).
One partition is the
whole table, read as it is (its stubs' series are in it), unless the partitions are
`shared`: then it too is a file, for a process that has no connection to the
warehouse (a Dask worker) to read with `read_partition`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from core.errors import BadInputError
from warehouse.calls import EVIDENCE, read_evidence
from warehouse.copies import SERIES, stub_series
from warehouse.frames import CALL_SCHEMA, RAW_SCHEMA

ROWS_PER_PARTITION = 1_000_000  # raw rows; a partition's build peaks near 1 GiB per million
_BATCH_ROWS = 200_000  # rows DuckDB hands over at a time while splitting
_SERIES_TABLE = "_build_stub_series"
_STUB_SERIES_FILE = "stub_series.arrow"  # every stub's series, beside the partitions
_KEYS = ", ".join(SERIES)
_SERIES_ON = " AND ".join(f"r.{c} = s.{c}" for c in SERIES)

# Copies of series that have a stub, keyed by a hash of the series.
_STUB_SERIES_COPIES = f"""
WITH keys AS (
    SELECT DISTINCT {_KEYS} FROM raw_observations
    WHERE (len(participants) = 0 OR organizer_email IS NULL) AND series_key IS NOT NULL
)
SELECT {_KEYS}, participants, organizer_email, start, "end", last_seen_at, event_id,
    hash({_KEYS}) % {{count}} AS _part
FROM raw_observations SEMI JOIN keys USING ({_KEYS})
"""

# Raw copies keyed by pair; a stub without participants takes its series' last ones
# (as `fill_stubs` will).
_RAW_COPIES = f"""
SELECT * EXCLUDE (_pair),
    hash(least(_pair[1], _pair[2]), greatest(_pair[1], _pair[2])) % {{count}} AS _part
FROM (
    SELECT {", ".join(f'r."{name}"' for name in RAW_SCHEMA)},
        CASE WHEN len(r.participants) = 0 THEN s.s_participants ELSE r.participants END
            AS _pair
    FROM raw_observations r
    LEFT JOIN {_SERIES_TABLE} s ON len(r.participants) = 0 AND {_SERIES_ON}
)
WHERE len(_pair) = 2
"""


# The presences that count, to each partition whose copies have their meeting key.
_CALL_PRESENCES = f"""
WITH keys AS (
    SELECT DISTINCT meeting_key, _part FROM ({_RAW_COPIES}) WHERE meeting_key IS NOT NULL
)
SELECT c.*, k._part FROM ({EVIDENCE}) c JOIN keys k USING (meeting_key)
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

    With more than one partition, or `shared`, entering computes `stub_series` (slice
    by slice) and splits the raw table into files in a private folder (owner-only)
    under `workdir` (None: the system's temporary directory); leaving removes it. One
    partition not `shared` is simply the whole table.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        count: int,
        workdir: Path | None,
        shared: bool = False,
    ) -> None:
        self.con = con
        self.count = count
        self.series = stub_series(pl.DataFrame(schema=RAW_SCHEMA))
        self._workdir = workdir
        self._shared = shared
        self._files: tempfile.TemporaryDirectory[str] | None = None

    @property
    def folder(self) -> Path:
        """The folder of the partitions' files (only once split)."""
        if self._files is None:
            raise RuntimeError("the raw table was not split into files")
        return Path(self._files.name)

    def __enter__(self) -> RawPartitions:
        if self.count == 1 and not self._shared:
            return self
        self._files = tempfile.TemporaryDirectory(prefix="oneonone-build-", dir=self._workdir)
        try:
            folder = self._folder("series")
            _split(self.con, _STUB_SERIES_COPIES.format(count=self.count), folder)
            found = [stub_series(_cast(copies)) for copies in _parts(folder, self.count)]
            self.series = pl.concat([self.series, *found])
            self.series.write_ipc(self.folder / _STUB_SERIES_FILE, compression="lz4")
            keyed = self.series.select(*SERIES, "s_participants")
            self.con.from_arrow(keyed.to_arrow()).create(_SERIES_TABLE)
            _split(self.con, _RAW_COPIES.format(count=self.count), self._folder("raw"))
            _split(self.con, _CALL_PRESENCES.format(count=self.count), self._folder("calls"))
        except BaseException:
            self._files.cleanup()  # the caller's rollback drops the table
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._files is None:
            return
        self._files.cleanup()
        if kind is None:  # after an error, the caller's rollback drops it
            self.con.execute(f"DROP TABLE {_SERIES_TABLE}")

    def _folder(self, name: str) -> Path:
        folder = self.folder / name
        folder.mkdir()
        return folder

    def read(self, index: int) -> tuple[pl.DataFrame, pl.DataFrame | None, pl.DataFrame | None]:
        """Partition `index`'s raw copies (RAW_SCHEMA), the `stub_series` rows of its
        stubs (None: the copies are the whole table, which holds its series) and the
        call presences with its copies' meeting keys (CALL_SCHEMA; None: no evidence)."""
        if self._files is None:
            columns = ", ".join(f'"{name}"' for name in RAW_SCHEMA)
            raw = _cast(self.con.sql(f"SELECT {columns} FROM raw_observations").pl())
            return raw, None, read_evidence(self.con)
        raw = _read_raw(self.folder, index)
        return raw, _series_of(raw, self.series), _read_calls(self.folder, index)


def read_partition(folder: Path, index: int) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """What `RawPartitions.read` gives for partition `index`, from the `folder` of
    partitions that were split into files (`shared`), without the warehouse."""
    raw = _read_raw(folder, index)
    series = _series_of(raw, pl.read_ipc(folder / _STUB_SERIES_FILE))
    return raw, series, _read_calls(folder, index)


def _read_calls(folder: Path, index: int) -> pl.DataFrame:
    calls = _read(folder / "calls", index)
    return calls.cast(CALL_SCHEMA) if calls.width else pl.DataFrame(schema=CALL_SCHEMA)  # type: ignore[arg-type]


def _read_raw(folder: Path, index: int) -> pl.DataFrame:
    raw = _read(folder / "raw", index)
    return _cast(raw) if raw.width else pl.DataFrame(schema=RAW_SCHEMA)


def _series_of(raw: pl.DataFrame, series: pl.DataFrame) -> pl.DataFrame:
    """The `stub_series` rows of the series `raw`'s copies belong to."""
    return series.join(raw.select(SERIES).unique(), on=list(SERIES), how="semi")


def _cast(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.cast({name: RAW_SCHEMA[name] for name in frame.columns})


def _split(con: duckdb.DuckDBPyConnection, query: str, folder: Path) -> None:
    """Run `query` once and write each `_part`'s rows (without it) to `<part>.arrow`."""
    writers: dict[int, pa.ipc.RecordBatchFileWriter] = {}
    try:
        for batch in con.sql(query).to_arrow_reader(batch_size=_BATCH_ROWS):
            parts = batch.column("_part")
            for part in pc.unique(parts).to_pylist():
                rows = batch.filter(pc.equal(parts, part)).drop_columns(["_part"])
                if part not in writers:
                    options = pa.ipc.IpcWriteOptions(compression="lz4")
                    sink = str(folder / f"{part}.arrow")
                    writers[part] = pa.ipc.new_file(sink, rows.schema, options=options)
                writers[part].write_batch(rows)
    finally:
        for writer in writers.values():
            writer.close()


def _parts(folder: Path, count: int) -> Iterator[pl.DataFrame]:
    """The parts written to `folder` that hold rows, one frame at a time."""
    for part in range(count):
        frame = _read(folder, part)
        if frame.width:
            yield frame


def _read(folder: Path, part: int) -> pl.DataFrame:
    """One part's rows; a part no row went to is an empty frame (no columns)."""
    path = folder / f"{part}.arrow"
    return pl.read_ipc(path) if path.exists() else pl.DataFrame()
