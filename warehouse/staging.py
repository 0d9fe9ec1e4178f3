"""Staged batches: what sync tasks hand to the one writer, as Parquet files.

A sync task (a thread, or a worker process on a Dask cluster) writes the calendars it
synced as one staged file: the observations as rows, and in the file's key-value
metadata each calendar's new cursor, whether the batch is full, the ids reported
removed and when the data was seen. The file appears under its final name only once
it is complete (written aside, then renamed), so the writer never reads half a batch;
it merges many staged files per transaction (`warehouse.raw.merge`) and deletes them
once committed. A file left by a killed run is merged by the next run before it
syncs, and merging a file twice changes nothing.

The staging directory holds people's data: it is created owner-only.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from connectors.model import CalendarBatch, Observation
from core.errors import BadInputError
from warehouse.columns import as_utc, observations_table
from warehouse.files import owner_only

SUFFIX = ".staged.parquet"
_PARTIAL = ".partial"
_META_KEY = b"oneonone.calendars"
FORMAT = 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

CALENDARS_SCHEMA = pa.schema(
    [
        ("provider", pa.string()),
        ("calendar_email", pa.string()),
        ("cursor", pa.string()),
        ("full", pa.bool_()),
        ("removed_ids", pa.list_(pa.string())),
        ("observed_at", pa.timestamp("us", tz="UTC")),
    ]
)


@dataclass(frozen=True)
class StagedFile:
    """A complete staged batch on disk and what it holds."""

    path: Path
    calendars: tuple[tuple[str, str], ...]  # (provider, calendar_email)
    rows: int
    # What the file's metadata and schema say, kept by whoever wrote or read them, so the
    # writer need not open each file again: its calendars (CALENDARS_SCHEMA) and the
    # names of its row columns. None: read from the file when merged.
    table: pa.Table | None = field(default=None, compare=False)
    columns: frozenset[str] | None = None

    def calendars_table(self) -> pa.Table:
        """The calendars this file holds, as a CALENDARS_SCHEMA table."""
        return self.table if self.table is not None else read_calendars(self.path)

    def column_names(self) -> frozenset[str]:
        """The names of the row columns this file holds."""
        return (
            self.columns if self.columns is not None else frozenset(pq.read_schema(self.path).names)
        )


def staging_directory(path: Path) -> Path:
    """Create `path` owner-only if needed and drop partial files a killed task left."""
    with owner_only():
        path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    for partial in path.glob(f"*{_PARTIAL}"):
        partial.unlink(missing_ok=True)
    return path


@contextmanager
def staging_area(path: Path) -> Iterator[Path]:
    """`staging_directory(path)` for the while; removed after if left empty."""
    yield staging_directory(path)
    with suppress(OSError):  # not empty: files someone else put there stay
        path.rmdir()


def batch_rows(batches: Sequence[CalendarBatch]) -> pa.Table:
    """Every batch's observations as rows, the last copy of an id per calendar kept
    (a later page of the same sync supersedes an earlier one), in the order last seen."""
    latest: dict[tuple[str, str, str], Observation] = {}
    for batch in batches:
        for obs in batch.observations:
            key = (obs.provider, obs.calendar_email, obs.event_id)
            latest.pop(key, None)
            latest[key] = obs
    return observations_table(list(latest.values()))


def calendars_table(batches: Sequence[CalendarBatch], observed_at: datetime) -> pa.Table:
    """One row per batch: its calendar, new cursor, fullness, removed ids, time seen."""
    seen = as_utc(observed_at, "observed_at")
    for batch in batches:
        _check_batch(batch)
    keys = [(b.provider, b.calendar_email) for b in batches]
    if len(set(keys)) != len(keys):
        raise BadInputError("a staged batch holds the same calendar twice")
    return _calendars_from_columns(
        {
            "provider": [b.provider for b in batches],
            "calendar_email": [b.calendar_email for b in batches],
            "cursor": [b.cursor for b in batches],
            "full": [b.full for b in batches],
            "removed_ids": [list(b.removed_ids) for b in batches],
            "observed_at": [seen] * len(batches),
        }
    )


def _calendars_from_columns(columns: dict[str, list[Any]]) -> pa.Table:
    """A CALENDARS_SCHEMA table, column by column (a row at a time costs far more)."""
    arrays = [pa.array(columns[f.name], type=f.type) for f in CALENDARS_SCHEMA]
    return pa.Table.from_arrays(arrays, schema=CALENDARS_SCHEMA)


def _check_batch(batch: CalendarBatch) -> None:
    for obs in batch.observations:
        if (obs.provider, obs.calendar_email) != (batch.provider, batch.calendar_email):
            raise BadInputError(
                f"observation {obs.event_id} belongs to {obs.provider}:{obs.calendar_email}, "
                f"not to the batch's calendar {batch.provider}:{batch.calendar_email}"
            )


def stage(directory: Path, batches: Sequence[CalendarBatch], observed_at: datetime) -> StagedFile:
    """Write `batches` as one staged file in `directory` (created by staging_directory)."""
    return write_staged(directory, batch_rows(batches), calendars_table(batches, observed_at))


def write_staged(directory: Path, rows: pa.Table, calendars: pa.Table) -> StagedFile:
    """Write staged `rows` (OBSERVATION_ARROW_SCHEMA) of `calendars` (CALENDARS_SCHEMA): aside
    first, then renamed, so that a complete file is all the writer ever sees."""
    meta = {"format": FORMAT, "calendars": _encode(calendars)}
    table = rows.replace_schema_metadata({_META_KEY: json.dumps(meta).encode()})
    final = directory / f"{uuid.uuid4().hex}{SUFFIX}"
    write_aside(table, final)
    columns = frozenset(rows.column_names)
    return StagedFile(final, calendar_keys(calendars), rows.num_rows, calendars, columns)


def write_aside(table: pa.Table, final: Path) -> None:
    """Write `table` as a Parquet file `final` (owner-only): aside first, then renamed,
    so that a reader finds the complete file or none."""
    partial = final.with_name(final.name + _PARTIAL)
    with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as sink:
        pq.write_table(table, sink, compression="zstd")
        sink.flush()
        os.fsync(sink.fileno())
    os.replace(partial, final)


def calendar_keys(calendars: pa.Table) -> tuple[tuple[str, str], ...]:
    """(provider, calendar_email) of each calendar in a CALENDARS_SCHEMA table."""
    providers = calendars["provider"].to_pylist()
    return tuple(zip(providers, calendars["calendar_email"].to_pylist(), strict=True))


def _encode(calendars: pa.Table) -> list[dict[str, object]]:
    columns = calendars.drop_columns(["observed_at"]).to_pydict()
    # A view, not a cast: a cast loads pyarrow.compute (about 50 ms) in every sync.
    stamps = calendars["observed_at"].chunks
    micros = [m for chunk in stamps for m in chunk.view(pa.int64()).to_pylist()]
    text = {m: (_EPOCH + timedelta(microseconds=m)).isoformat() for m in set(micros)}
    columns["observed_at"] = [text[m] for m in micros]
    return [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def read_calendars(path: Path) -> pa.Table:
    """The calendars a staged file holds (its metadata), as a CALENDARS_SCHEMA table."""
    try:
        metadata = pq.read_schema(path).metadata or {}
        meta = json.loads(metadata[_META_KEY])
    except (OSError, KeyError, ValueError, pa.ArrowException) as error:
        raise BadInputError(
            f"{path} is not a staged batch oneonone can read ({error}); move it out of the"
            " staging directory"
        ) from None
    if meta.get("format") != FORMAT:
        raise BadInputError(f"{path}: staged with format {meta.get('format')}, expected {FORMAT}")
    rows = meta["calendars"]
    columns = {f.name: [row[f.name] for row in rows] for f in CALENDARS_SCHEMA}
    stamps = {text: datetime.fromisoformat(text) for text in set(columns["observed_at"])}
    columns["observed_at"] = [stamps[text] for text in columns["observed_at"]]
    return _calendars_from_columns(columns)


def staged_files(directory: Path) -> list[StagedFile]:
    """Complete staged files left in `directory`, oldest first."""
    if not directory.is_dir():
        return []
    found = []
    for path in sorted(directory.glob(f"*{SUFFIX}"), key=lambda p: p.stat().st_mtime_ns):
        calendars = read_calendars(path)
        rows = pq.read_metadata(path).num_rows
        found.append(StagedFile(path, calendar_keys(calendars), rows, calendars))
    return found


def merge_groups(files: Iterable[StagedFile], max_rows: int) -> list[list[StagedFile]]:
    """Consecutive groups to merge in one transaction each: at most about `max_rows`
    rows, and no calendar twice in a group (a later staged file of a calendar is
    merged after the earlier one, never beside it)."""
    groups: list[list[StagedFile]] = []
    current: list[StagedFile] = []
    seen: set[tuple[str, str]] = set()
    rows = 0
    for staged in files:
        clash = not seen.isdisjoint(staged.calendars)
        if current and (clash or rows + staged.rows > max_rows):
            groups.append(current)
            current, seen, rows = [], set(), 0
        current.append(staged)
        seen.update(staged.calendars)
        rows += staged.rows
    if current:
        groups.append(current)
    return groups
