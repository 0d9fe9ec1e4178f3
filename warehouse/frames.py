"""Polars schemas of the stored and derived frames; observations and call presences →
Arrow tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from operator import attrgetter

import polars as pl
import pyarrow as pa

from connectors.model import CallPresence, Observation
from core.errors import BadInputError

UTC_TS = pl.Datetime("us", "UTC")

OBSERVATION_SCHEMA: dict[str, pl.DataType] = {
    "provider": pl.String(),
    "calendar_email": pl.String(),
    "event_id": pl.String(),
    "series_key": pl.String(),
    "organizer_email": pl.String(),
    "participants": pl.List(pl.String()),
    "declined_by": pl.List(pl.String()),
    "state": pl.String(),
    "start": UTC_TS,
    "end": UTC_TS,
    "original_start": UTC_TS,
    "recurring": pl.Boolean(),
    "has_agenda": pl.Boolean(),
    "created_at": UTC_TS,
    "updated_at": UTC_TS,
    "response_at": UTC_TS,
    "meeting_key": pl.String(),
}

OBSERVATION_ARROW_SCHEMA = pl.DataFrame(schema=OBSERVATION_SCHEMA).to_arrow().schema

HISTORY_SCHEMA: dict[str, pl.DataType] = {
    "first_seen_at": UTC_TS,
    "last_seen_at": UTC_TS,
    "live_seen_at": UTC_TS,
    "cancel_seen_at": UTC_TS,
    "first_start": UTC_TS,
}

RAW_SCHEMA: dict[str, pl.DataType] = {**OBSERVATION_SCHEMA, **HISTORY_SCHEMA}

# One person's time in one call (connectors.model.CallPresence), as raw_calls keeps it
# besides `first_seen_at`.
CALL_SCHEMA: dict[str, pl.DataType] = {
    "provider": pl.String(),
    "call_id": pl.String(),
    "meeting_key": pl.String(),
    "email": pl.String(),
    "joined_at": UTC_TS,
    "left_at": UTC_TS,
}

CALL_ARROW_SCHEMA = pl.DataFrame(schema=CALL_SCHEMA).to_arrow().schema

SNAPSHOT_SCHEMA: dict[str, pl.DataType] = {
    "taken_on": pl.Date(),
    "email": pl.String(),
    "name": pl.String(),
    "manager_email": pl.String(),
    "provider": pl.String(),
    "start_date": pl.Date(),
    "title": pl.String(),
}


def as_utc(value: datetime, what: str) -> datetime:
    """`value` in UTC; a naive datetime is a caller bug, reported as bad input."""
    if value.tzinfo is None:
        raise BadInputError(f"{what} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


def observations_table(observations: Sequence[Observation]) -> pa.Table:
    """The observations as an Arrow table of OBSERVATION_SCHEMA (one row each, in
    order). Arrow converts each column in one call: this runs for every event synced."""
    columns = []
    for name, dtype in zip(OBSERVATION_SCHEMA, OBSERVATION_ARROW_SCHEMA.types, strict=True):
        values = list(map(attrgetter(name), observations))
        if pa.types.is_timestamp(dtype):
            _check_aware(values, name, observations)
        columns.append(pa.array(values, type=dtype))
    return pa.Table.from_arrays(columns, schema=OBSERVATION_ARROW_SCHEMA)


def presences_table(presences: Sequence[CallPresence]) -> pa.Table:
    """The presences as an Arrow table of CALL_SCHEMA (one row each, in order); a naive
    time, or a presence that ends before it starts, is refused as bad input."""
    for presence in presences:
        joined = as_utc(presence.joined_at, f"joined_at of call {presence.call_id}")
        left = as_utc(presence.left_at, f"left_at of call {presence.call_id}")
        if left < joined:
            raise BadInputError(
                f"call {presence.call_id}: {presence.email} left at {left.isoformat()}, before"
                f" joining at {joined.isoformat()}; expected left_at >= joined_at"
            )
    columns = [
        pa.array(list(map(attrgetter(name), presences)), type=dtype)
        for name, dtype in zip(CALL_SCHEMA, CALL_ARROW_SCHEMA.types, strict=True)
    ]
    return pa.Table.from_arrays(columns, schema=CALL_ARROW_SCHEMA)


def _check_aware(
    values: Sequence[datetime | None], name: str, observations: Sequence[Observation]
) -> None:
    """Arrow would read a naive datetime as UTC: a caller bug, reported as bad input."""
    for value, obs in zip(values, observations, strict=True):
        if value is not None and value.tzinfo is None:
            as_utc(value, f"{name} of event {obs.event_id}")
