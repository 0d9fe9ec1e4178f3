"""The columns of what a sync stores, as Arrow schemas (the one statement of them: the
Polars schemas of warehouse.frames are read from these), and the Arrow tables a sync
builds. Polars is not needed here, so a sync does not load it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from operator import attrgetter

import pyarrow as pa

from connectors.model import CallPresence, Observation, Person
from core.errors import BadInputError

TEXT = pa.large_string()
UTC_TIME = pa.timestamp("us", tz="UTC")

OBSERVATION_ARROW_SCHEMA = pa.schema(
    [
        ("provider", TEXT),
        ("calendar_email", TEXT),
        ("event_id", TEXT),
        ("series_key", TEXT),
        ("organizer_email", TEXT),
        ("participants", pa.large_list(TEXT)),
        ("declined_by", pa.large_list(TEXT)),
        ("state", TEXT),
        ("start", UTC_TIME),
        ("end", UTC_TIME),
        ("original_start", UTC_TIME),
        ("recurring", pa.bool_()),
        ("has_agenda", pa.bool_()),
        ("created_at", UTC_TIME),
        ("updated_at", UTC_TIME),
        ("response_at", UTC_TIME),
        ("meeting_key", TEXT),
    ]
)

# What raw_observations keeps of each event besides the observation itself.
HISTORY_ARROW_SCHEMA = pa.schema(
    [
        ("first_seen_at", UTC_TIME),
        ("last_seen_at", UTC_TIME),
        ("live_seen_at", UTC_TIME),
        ("cancel_seen_at", UTC_TIME),
        ("first_start", UTC_TIME),
    ]
)

RAW_ARROW_SCHEMA = pa.unify_schemas([OBSERVATION_ARROW_SCHEMA, HISTORY_ARROW_SCHEMA])

# One person's time in one call (connectors.model.CallPresence), as raw_calls keeps it
# besides `first_seen_at`.
CALL_ARROW_SCHEMA = pa.schema(
    [
        ("provider", TEXT),
        ("call_id", TEXT),
        ("meeting_key", TEXT),
        ("email", TEXT),
        ("joined_at", UTC_TIME),
        ("left_at", UTC_TIME),
    ]
)

SNAPSHOT_ARROW_SCHEMA = pa.schema(
    [
        ("taken_on", pa.date32()),
        ("email", TEXT),
        ("name", TEXT),
        ("manager_email", TEXT),
        ("provider", TEXT),
        ("start_date", pa.date32()),
        ("title", TEXT),
    ]
)


def as_utc(value: datetime, what: str) -> datetime:
    """`value` in UTC; a naive datetime is a caller bug, reported as bad input."""
    if value.tzinfo is None:
        raise BadInputError(f"{what} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


def observations_table(observations: Sequence[Observation]) -> pa.Table:
    """The observations as an Arrow table of OBSERVATION_ARROW_SCHEMA (one row each, in
    order). Arrow converts each column in one call: this runs for every event synced."""
    columns = []
    for field in OBSERVATION_ARROW_SCHEMA:
        values = list(map(attrgetter(field.name), observations))
        if pa.types.is_timestamp(field.type):
            _check_aware(values, field.name, observations)
        columns.append(pa.array(values, type=field.type))
    return pa.Table.from_arrays(columns, schema=OBSERVATION_ARROW_SCHEMA)


def presences_table(presences: Sequence[CallPresence]) -> pa.Table:
    """The presences as an Arrow table of CALL_ARROW_SCHEMA (one row each, in order); a
    naive time, or a presence that ends before it starts, is refused as bad input."""
    for presence in presences:
        joined = as_utc(presence.joined_at, f"joined_at of call {presence.call_id}")
        left = as_utc(presence.left_at, f"left_at of call {presence.call_id}")
        if left < joined:
            raise BadInputError(
                f"call {presence.call_id}: {presence.email} left at {left.isoformat()}, before"
                f" joining at {joined.isoformat()}; expected left_at >= joined_at"
            )
    columns = [
        pa.array(list(map(attrgetter(field.name), presences)), type=field.type)
        for field in CALL_ARROW_SCHEMA
    ]
    return pa.Table.from_arrays(columns, schema=CALL_ARROW_SCHEMA)


def snapshot_table(people: Sequence[Person], taken_on: date) -> pa.Table:
    """One roster snapshot as a table of SNAPSHOT_ARROW_SCHEMA, in roster order; a
    repeated email (any case) keeps its last row."""
    rows: dict[str, tuple[object, ...]] = {}
    for p in people:
        email = p.email.lower()
        rows.pop(email, None)
        rows[email] = (taken_on, email, p.name, _lower(p.manager_email), p.provider,
                       p.start_date, p.title or None)  # fmt: skip
    columns = zip(*rows.values(), strict=True) if rows else [[] for _ in SNAPSHOT_ARROW_SCHEMA]
    arrays = [
        pa.array(list(values), type=field.type)
        for field, values in zip(SNAPSHOT_ARROW_SCHEMA, columns, strict=True)
    ]
    return pa.Table.from_arrays(arrays, schema=SNAPSHOT_ARROW_SCHEMA)


def _lower(email: str | None) -> str | None:
    return None if email is None else email.lower()


def _check_aware(
    values: Sequence[datetime | None], name: str, observations: Sequence[Observation]
) -> None:
    """Arrow would read a naive datetime as UTC: a caller bug, reported as bad input."""
    for value, obs in zip(values, observations, strict=True):
        if value is not None and value.tzinfo is None:
            as_utc(value, f"{name} of event {obs.event_id}")
