"""Polars schemas of the stored and derived frames, and Observation → frame."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import polars as pl

from connectors.model import Observation
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
}

HISTORY_SCHEMA: dict[str, pl.DataType] = {
    "first_seen_at": UTC_TS,
    "last_seen_at": UTC_TS,
    "live_seen_at": UTC_TS,
    "cancel_seen_at": UTC_TS,
    "first_start": UTC_TS,
}

RAW_SCHEMA: dict[str, pl.DataType] = {**OBSERVATION_SCHEMA, **HISTORY_SCHEMA}

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


def _utc_or_none(value: datetime | None, what: str) -> datetime | None:
    return None if value is None else as_utc(value, what)


def observations_frame(observations: Sequence[Observation]) -> pl.DataFrame:
    """The observations as a frame of OBSERVATION_SCHEMA (one row each, in order)."""
    columns: dict[str, list[object]] = {name: [] for name in OBSERVATION_SCHEMA}
    for obs in observations:
        for name in OBSERVATION_SCHEMA:
            value = getattr(obs, name)
            if isinstance(value, datetime):
                value = _utc_or_none(value, f"{name} of event {obs.event_id}")
            elif isinstance(value, tuple):
                value = list(value)
            columns[name].append(value)
    return pl.DataFrame(columns, schema=OBSERVATION_SCHEMA)
