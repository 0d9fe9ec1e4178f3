"""The DuckDB warehouse: connection, recorded migrations, transactions, public methods."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from connectors.model import CalendarBatch, CallBatch, Person, Provider
from core.errors import BadInputError
from warehouse import calls, raw, staging
from warehouse.columns import RAW_ARROW_SCHEMA, SNAPSHOT_ARROW_SCHEMA, snapshot_table
from warehouse.files import connect, is_damage, owner_only, unreadable
from warehouse.params import BuildContext
from warehouse.schema import DERIVED_TABLES, HISTORY_TABLES, MIGRATIONS, STORED_TABLES

if TYPE_CHECKING:  # the build's modules (Polars among them) load with the first build,
    # not with every command: a sync does not need them
    import polars as pl

    from warehouse.rebuild import PartitionMapper

OUTCOMES = ("complete", "partial", "failed", "aborted")  # aborted: killed, noticed by the next run
RUN_COUNTS = ("calendars_synced", "calendars_failed", "events_read", "occurrences")


class Warehouse:
    """One DuckDB file (or ":memory:") holding raw data, history and derived tables."""

    def __init__(self, path: Path | str, read_only: bool = False) -> None:
        """Open the warehouse (checked: see warehouse.files.connect); a writable one gets
        any migrations not yet recorded."""
        self.path = str(path)
        self.read_only = read_only
        with ExitStack() as stack:
            if self.path == ":memory:":
                self._con = duckdb.connect(self.path)
            else:
                if not read_only:  # DuckDB creates the .wal itself whenever it writes
                    stack.enter_context(owner_only())
                self._con = connect(Path(self.path), read_only)
            stack.callback(self._con.close)
            self._con.execute("SET TimeZone = 'UTC'")
            if not read_only:
                self._migrate()
            self._open = stack.pop_all()

    def close(self) -> None:
        """Close the connection (and end its owner-only scope)."""
        self._open.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Commit everything done inside, or nothing at all."""
        self._con.begin()
        try:
            yield self._con
        except BaseException:
            self._con.rollback()
            raise
        self._con.commit()

    def _migrate(self) -> None:
        self._con.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
        )
        done = {
            row[0] for row in self._con.execute("SELECT version FROM schema_migrations").fetchall()
        }
        for version, name, statements in MIGRATIONS:
            if version in done:
                continue
            with self._transaction() as con:  # the DDL and its record commit together
                for statement in statements:
                    con.execute(statement)
                con.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                    [version, name, datetime.now(UTC)],
                )

    def cursor_for(self, provider: str, calendar_email: str) -> str | None:
        """The stored sync cursor of a calendar, None before its first sync."""
        rows = self._con.execute(
            "SELECT cursor FROM sync_state WHERE provider = ? AND calendar_email = ?",
            [provider, calendar_email],
        ).fetchall()
        return rows[0][0] if rows else None

    def cursors(self) -> dict[tuple[str, str], str | None]:
        """Every stored sync cursor, by (provider, calendar_email)."""
        rows = self._con.execute(
            "SELECT provider, calendar_email, cursor FROM sync_state"
        ).fetchall()
        return {(provider, email): cursor for provider, email, cursor in rows}

    def store_calendar(self, batch: CalendarBatch, observed_at: datetime) -> None:
        """Store a calendar's batch and its cursor in one transaction (idempotent)."""
        rows = staging.batch_rows([batch])
        calendars = staging.calendars_table([batch], observed_at)
        with self._transaction() as con:
            raw.merge(con, rows, calendars)

    def merge_staged(self, files: Sequence[staging.StagedFile]) -> int:
        """Merge staged files in one transaction, then delete them; rows merged.

        Each calendar may appear once among `files` (see staging.merge_groups).
        """
        if not files:
            return 0
        calendars = pa.concat_tables([f.calendars_table() for f in files])
        with self._transaction() as con:
            merged = raw.merge(con, files, calendars)
        for staged in files:
            staged.path.unlink(missing_ok=True)
        return merged

    def record_failure(
        self, provider: str, calendar_email: str, reason: str, observed_at: datetime
    ) -> None:
        """Mark a calendar's sync failed; its old cursor and data stay."""
        with self._transaction() as con:
            raw.record_failure(con, provider, calendar_email, reason, observed_at)

    def store_calls(self, batch: CallBatch, observed_at: datetime) -> int:
        """Store a provider's call presences and advance its read_until to the batch's,
        in one transaction (idempotent: see warehouse.calls); presences new to it."""
        with self._transaction() as con:
            return calls.merge_calls(con, batch, observed_at)

    def calls_read_until(self, provider: Provider) -> datetime | None:
        """Up to when the provider's call records were read, None before the first read."""
        rows = self._con.execute(
            "SELECT read_until FROM call_sync_state WHERE provider = ?", [provider]
        ).fetchall()
        return rows[0][0] if rows else None

    def record_call_failure(self, provider: Provider, reason: str, observed_at: datetime) -> None:
        """Mark a provider's call read failed; its read_until and stored calls stay."""
        with self._transaction() as con:
            calls.record_call_failure(con, provider, reason, observed_at)

    def call_evidence(self) -> pl.DataFrame | None:
        """The call presences that count (warehouse.calls.read_evidence), None when no
        provider's calls were ever read."""
        return calls.read_evidence(self._con)

    def snapshot_roster(self, people: Sequence[Person], taken_on: date) -> None:
        """Keep the roster as of `taken_on` (replacing an earlier snapshot of that day)."""
        snapshot = snapshot_table(people, taken_on)
        with self._transaction() as con:
            con.execute("DELETE FROM roster_snapshots WHERE taken_on = ?", [taken_on])
            con.register("_snapshot", snapshot)
            try:
                con.execute("INSERT INTO roster_snapshots BY NAME SELECT * FROM _snapshot")
            finally:
                con.unregister("_snapshot")

    def start_run(self, as_of: date, sandbox: bool) -> str:
        """Record the start of a run and return its id.

        The caller holds the warehouse lock, so no other run is going: a row still
        without an outcome is a run that was killed, and is marked `aborted` now.
        """
        run_id = uuid.uuid4().hex
        now = datetime.now(UTC)
        with self._transaction() as con:
            con.execute(
                "UPDATE runs SET outcome = 'aborted', aborted_seen_at = ? WHERE outcome IS NULL",
                [now],
            )
            con.execute(
                "INSERT INTO runs (run_id, started_at, as_of, sandbox) VALUES (?, ?, ?, ?)",
                [run_id, now, as_of, sandbox],
            )
        return run_id

    def finish_run(self, run_id: str, outcome: str, counts: Mapping[str, int]) -> None:
        """Record a run's outcome and counts (keys among RUN_COUNTS)."""
        if outcome not in OUTCOMES:
            raise BadInputError(
                f"run outcome must be one of {', '.join(OUTCOMES)}, got {outcome!r}"
            )
        unknown = sorted(set(counts) - set(RUN_COUNTS))
        if unknown:
            raise BadInputError(f"unknown run counts {unknown}; expected {list(RUN_COUNTS)}")
        values = [counts.get(name) for name in RUN_COUNTS]
        with self._transaction() as con:
            con.execute(
                "UPDATE runs SET finished_at = ?, outcome = ?, calendars_synced = ?, "
                "calendars_failed = ?, events_read = ?, occurrences = ? WHERE run_id = ?",
                [datetime.now(UTC), outcome, *values, run_id],
            )

    def raw_frames(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The stored raw observations and roster snapshots, as frames."""
        from warehouse.frames import RAW_SCHEMA, SNAPSHOT_SCHEMA

        observations = self._con.sql(f"SELECT {_columns(RAW_ARROW_SCHEMA)} FROM raw_observations")
        snapshots = self._con.sql(f"SELECT {_columns(SNAPSHOT_ARROW_SCHEMA)} FROM roster_snapshots")
        return observations.pl().cast(RAW_SCHEMA), snapshots.pl().cast(SNAPSHOT_SCHEMA)

    def synced_calendars(self) -> frozenset[str]:
        """Calendars that synced successfully at least once (a failed one keeps its
        last good sync's time)."""
        rows = self._con.execute(
            "SELECT calendar_email FROM sync_state WHERE last_sync IS NOT NULL"
        ).fetchall()
        return frozenset(email for (email,) in rows)

    def build(
        self,
        ctx: BuildContext,
        partitions: int | None = None,
        mapper: PartitionMapper | None = None,
        workdir: Path | None = None,
    ) -> dict[str, int]:
        """Rebuild every derived table as of ctx.as_of, and replace that date's
        snapshot in the history tables, in one transaction; row counts.

        The raw table is read and computed one partition (by pair) at a time:
        `partitions` forces their number (default: from the raw table's size). With a
        `mapper` the partitions are computed through it (on a Dask cluster, say; see
        `warehouse.rebuild`), their files in `workdir`, a folder every process the
        mapper runs on can reach (default: beside the warehouse).
        """
        from warehouse.rebuild import build_tables

        synced = self.synced_calendars()
        folder = workdir or self._workdir()
        with self._build_memory(), self._transaction() as con:
            return build_tables(con, ctx, synced, partitions, folder, mapper)

    def build_history(
        self,
        contexts: Sequence[BuildContext],
        partitions: int | None = None,
        mapper: PartitionMapper | None = None,
        workdir: Path | None = None,
    ) -> dict[date, int]:
        """Compute the metrics as of each context's date into the HISTORY_TABLES
        (`as_of`, then the table's columns), replacing rows of the same as_of in one
        transaction; the current derived tables are not touched. Partitioned as
        `build` is, `mapper` and `workdir` as for `build` (through a mapper, each
        partition as of each date is a call of its own); weekly rows per date."""
        from warehouse.rebuild import build_history_tables

        synced = self.synced_calendars()
        folder = workdir or self._workdir()
        with self._build_memory(), self._transaction() as con:
            return build_history_tables(con, contexts, synced, partitions, folder, mapper)

    def _build_memory(self) -> AbstractContextManager[None]:
        """DuckDB's memory capped while a file warehouse builds (the excess spills to
        the file); an in-memory one has nowhere to spill."""
        from warehouse.rebuild import duckdb_memory

        return nullcontext() if self.path == ":memory:" else duckdb_memory(self._con)

    def _workdir(self) -> Path | None:
        """Where a build splits the raw table: beside the warehouse file (its disk,
        not a RAM-backed /tmp), or the system's temporary folder for ":memory:"."""
        return None if self.path == ":memory:" else Path(self.path).resolve().parent

    def table(self, name: str) -> pl.DataFrame:
        """A whole table as a frame (only the warehouse's own tables)."""
        if name not in (*DERIVED_TABLES, *STORED_TABLES, *HISTORY_TABLES):
            raise BadInputError(f"no warehouse table named {name!r}")
        try:
            return self._con.sql(f'SELECT * FROM "{name}"').pl()
        except duckdb.Error as error:
            if is_damage(error):  # a reader meets damage only where it reads
                raise unreadable(Path(self.path), error) from None
            raise

    def snapshot_dates(self) -> list[date]:
        """The as_of dates kept in kpi_history, oldest first (none before a build)."""
        if not self.has_table("kpi_history"):
            return []
        rows = self._con.execute("SELECT DISTINCT as_of FROM kpi_history ORDER BY 1").fetchall()
        return [day for (day,) in rows]

    def has_table(self, name: str) -> bool:
        """Whether `name` exists yet (derived tables appear with the first build)."""
        rows = self._con.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_name = ?", [name]
        ).fetchall()
        return bool(rows)


def _columns(schema: pa.Schema) -> str:
    return ", ".join(f'"{name}"' for name in schema.names)
