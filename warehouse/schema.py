"""The warehouse's recorded migrations: raw storage, roster history, sync state, runs,
call evidence.

Derived tables (occurrences, metric tables) are not migrated: `build` replaces them
whole in one transaction from the frames the transforms return.
"""

from __future__ import annotations

from typing import Final

# The columns of raw_observations (migration 1 created them with a primary-key index,
# migration 3 rebuilt the table without it).
_RAW_COLUMNS = """\
                provider VARCHAR NOT NULL,
                calendar_email VARCHAR NOT NULL,
                event_id VARCHAR NOT NULL,
                series_key VARCHAR,
                organizer_email VARCHAR,
                participants VARCHAR[] NOT NULL,
                declined_by VARCHAR[] NOT NULL,
                state VARCHAR NOT NULL,
                start TIMESTAMPTZ,
                "end" TIMESTAMPTZ,
                original_start TIMESTAMPTZ,
                recurring BOOLEAN NOT NULL,
                has_agenda BOOLEAN NOT NULL,
                created_at TIMESTAMPTZ,
                updated_at TIMESTAMPTZ,
                response_at TIMESTAMPTZ,
                first_seen_at TIMESTAMPTZ NOT NULL,
                last_seen_at TIMESTAMPTZ NOT NULL,
                live_seen_at TIMESTAMPTZ,
                cancel_seen_at TIMESTAMPTZ,
                first_start TIMESTAMPTZ"""

# Migration 5 puts meeting_key among the observation's columns, before the history ones,
# as warehouse.columns.RAW_ARROW_SCHEMA orders them (DuckDB adds a column only at the end).
_RAW_COLUMNS_V5 = _RAW_COLUMNS.replace(
    "response_at TIMESTAMPTZ,", "response_at TIMESTAMPTZ,\n                meeting_key VARCHAR,"
)

MIGRATIONS: Final[tuple[tuple[int, str, tuple[str, ...]], ...]] = (
    (
        1,
        "raw observations, sync state, roster snapshots, runs",
        (
            f"""CREATE TABLE raw_observations (
{_RAW_COLUMNS},
                PRIMARY KEY (provider, calendar_email, event_id)
            )""",
            """CREATE TABLE sync_state (
                provider VARCHAR NOT NULL,
                calendar_email VARCHAR NOT NULL,
                cursor VARCHAR,
                last_full_sync TIMESTAMPTZ,
                last_sync TIMESTAMPTZ,
                status VARCHAR NOT NULL,
                error VARCHAR,
                events BIGINT NOT NULL,
                PRIMARY KEY (provider, calendar_email)
            )""",
            """CREATE TABLE roster_snapshots (
                taken_on DATE NOT NULL,
                email VARCHAR NOT NULL,
                name VARCHAR NOT NULL,
                manager_email VARCHAR,
                provider VARCHAR NOT NULL,
                start_date DATE,
                PRIMARY KEY (taken_on, email)
            )""",
            """CREATE TABLE runs (
                run_id VARCHAR PRIMARY KEY,
                started_at TIMESTAMPTZ NOT NULL,
                finished_at TIMESTAMPTZ,
                as_of DATE NOT NULL,
                outcome VARCHAR,
                calendars_synced BIGINT,
                calendars_failed BIGINT,
                events_read BIGINT,
                occurrences BIGINT,
                sandbox BOOLEAN NOT NULL
            )""",
        ),
    ),
    (
        2,
        "runs.aborted_seen_at: when the next run found a killed run",
        ("ALTER TABLE runs ADD COLUMN aborted_seen_at TIMESTAMPTZ",),
    ),
    (
        3,
        "raw_observations without its primary-key index: bulk merges join instead",
        (
            f"""CREATE TABLE _raw_observations_v3 (
{_RAW_COLUMNS}
            )""",
            "INSERT INTO _raw_observations_v3 SELECT * FROM raw_observations",
            "DROP TABLE raw_observations",
            "ALTER TABLE _raw_observations_v3 RENAME TO raw_observations",
        ),
    ),
    (
        4,
        "roster_snapshots.title: the job title, whose changes date a change of role",
        ("ALTER TABLE roster_snapshots ADD COLUMN title VARCHAR",),
    ),
    (
        5,
        "call evidence: raw_observations.meeting_key, raw_calls, call_sync_state",
        (
            f"""CREATE TABLE _raw_observations_v5 (
{_RAW_COLUMNS_V5}
            )""",
            "INSERT INTO _raw_observations_v5 BY NAME SELECT * FROM raw_observations",
            "DROP TABLE raw_observations",
            "ALTER TABLE _raw_observations_v5 RENAME TO raw_observations",
            """CREATE TABLE raw_calls (
                provider VARCHAR NOT NULL,
                call_id VARCHAR NOT NULL,
                meeting_key VARCHAR,
                email VARCHAR NOT NULL,
                joined_at TIMESTAMPTZ NOT NULL,
                left_at TIMESTAMPTZ NOT NULL,
                first_seen_at TIMESTAMPTZ NOT NULL,
                PRIMARY KEY (provider, call_id, email, joined_at)
            )""",
            """CREATE TABLE call_sync_state (
                provider VARCHAR PRIMARY KEY,
                read_until TIMESTAMPTZ,
                last_sync TIMESTAMPTZ,
                status VARCHAR NOT NULL,
                error VARCHAR
            )""",
        ),
    ),
)

DERIVED_TABLES: Final[tuple[str, ...]] = (
    "people",
    "reporting_lines",
    "occurrences",
    "pair_metrics",
    "manager_metrics",
    "cancelers",
    "chronic_cancelers",
    "neglected_reports",
    "weekly_activity",
    "org_rollups",
    "org_kpis",
)

STORED_TABLES: Final[tuple[str, ...]] = (
    "raw_observations",
    "sync_state",
    "raw_calls",
    "call_sync_state",
    "roster_snapshots",
    "runs",
    "schema_migrations",
)

# History table → the derived table it keeps one snapshot of per as_of (as_of first,
# then the table's columns). Every build writes its own date's snapshot of the
# SNAPSHOT_HISTORY ones; the backfill writes all of them for a range of dates.
HISTORY_TABLES: Final[dict[str, str]] = {
    "kpi_history": "org_kpis",
    "manager_metrics_history": "manager_metrics",
    "org_rollups_history": "org_rollups",
    "weekly_activity_history": "weekly_activity",
}
SNAPSHOT_HISTORY: Final = ("kpi_history", "manager_metrics_history", "org_rollups_history")
