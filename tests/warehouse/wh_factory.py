"""Small builders of observations, batches and rosters for warehouse tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import polars as pl

from connectors.model import CalendarBatch, Observation, Person, Provider
from warehouse.columns import snapshot_table
from warehouse.db import Warehouse
from warehouse.params import BuildContext

M, R, R2, BOSS = "m@x.org", "r@x.org", "r2@x.org", "boss@x.org"
SYNC = datetime(2030, 1, 1, tzinfo=UTC)


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """Aware UTC datetime on `day` at hour:minute."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def obs(
    start: datetime,
    *,
    calendar: str = M,
    organizer: str | None = M,
    pair: tuple[str, str] = (M, R),
    minutes: int = 30,
    state: str = "live",
    event_id: str | None = None,
    provider: Provider = "google",
    series: str | None = "s1",
    original_start: datetime | None = None,
    declined_by: tuple[str, ...] = (),
    recurring: bool = True,
    **extra: object,
) -> Observation:
    """One copy of a 1:1 on `calendar`."""
    slot = original_start or start
    return Observation(
        provider=provider,
        calendar_email=calendar,
        event_id=event_id or f"{series or 'one'}_{slot:%Y%m%dT%H%M}",
        series_key=series,
        organizer_email=organizer,
        participants=tuple(sorted(pair)),
        declined_by=declined_by,
        state=state,  # type: ignore[arg-type]
        start=start,
        end=start + timedelta(minutes=minutes),
        original_start=original_start,
        recurring=recurring,
        has_agenda=bool(extra.pop("has_agenda", False)),
        **extra,  # type: ignore[arg-type]
    )


def stub(of: Observation) -> Observation:
    """A Google cancelled-instance stub of `of`: id, series and original slot only."""
    return replace(
        of,
        organizer_email=None,
        participants=(),
        declined_by=(),
        state="cancelled",
        start=None,
        end=None,
        original_start=of.original_start or of.start,
        has_agenda=False,
    )


def copy_on(o: Observation, calendar: str, **changes: object) -> Observation:
    """The same event as seen on another calendar."""
    return replace(o, calendar_email=calendar, **changes)  # type: ignore[arg-type]


def batch(
    observations: Sequence[Observation],
    *,
    calendar: str = M,
    provider: Provider = "google",
    full: bool = True,
    cursor: str | None = "c1",
    removed: Sequence[str] = (),
) -> CalendarBatch:
    """A batch of one calendar."""
    return CalendarBatch(
        provider=provider,
        calendar_email=calendar,
        observations=tuple(observations),
        cursor=cursor,
        full=full,
        removed_ids=tuple(removed),
    )


def roster(
    manager_of: dict[str, str | None], start_dates: dict[str, date] | None = None
) -> list[Person]:
    """People from a report → manager map."""
    starts = start_dates or {}
    return [
        Person(email, email.split("@")[0].upper(), manager, "google", starts.get(email))
        for email, manager in manager_of.items()
    ]


BASIC_ROSTER = {BOSS: None, M: BOSS, R: M, R2: M}


def build(
    calendars: Sequence[Sequence[Observation]],
    as_of: date,
    *,
    snapshots: Sequence[tuple[date, dict[str, str | None]]] = ((date(2020, 1, 1), BASIC_ROSTER),),
    start_dates: dict[str, date] | None = None,
    **ctx_args: object,
) -> Warehouse:
    """An in-memory warehouse with each list stored as one calendar's full batch, built."""
    wh = Warehouse(":memory:")
    for taken_on, managers in snapshots:
        wh.snapshot_roster(roster(managers, start_dates), taken_on)
    for observations in calendars:
        first = observations[0]
        wh.store_calendar(
            batch(observations, calendar=first.calendar_email, provider=first.provider), SYNC
        )
    wh.build(BuildContext(as_of=as_of, **ctx_args))  # type: ignore[arg-type]
    return wh


def pair_row(wh: Warehouse, report: str = R) -> dict[str, object]:
    """The pair_metrics row of `report`."""
    rows = wh.table("pair_metrics").filter(pl.col("report_email") == report)
    assert rows.height == 1
    return rows.row(0, named=True)


def weekly(first: date, weeks: int, **kwargs: object) -> list[Observation]:
    """A weekly series on `first`'s weekday at 10:00 UTC."""
    return [obs(at(first + timedelta(days=7 * i)), **kwargs) for i in range(weeks)]  # type: ignore[arg-type]


def snapshot_frame(people: Sequence[Person], taken_on: date) -> pl.DataFrame:
    """One roster snapshot as the build reads it (SNAPSHOT_SCHEMA rows)."""
    frame = pl.from_arrow(snapshot_table(people, taken_on))
    assert isinstance(frame, pl.DataFrame)
    return frame
