"""Full and incremental syncs of Microsoft mailboxes through msal + httpx + the sandbox."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from connectors.model import CalendarBatch, Observation
from core.errors import CursorExpiredError

from .graph_org import BOSS, GUS, MIA, RAJ, ROOM, GraphWorld, at


def by_start(batch: CalendarBatch) -> dict[object, Observation]:
    return {o.original_start or o.start: o for o in batch.observations}


def test_full_sync_follows_every_page_and_ends_with_a_delta_link(world: GraphWorld) -> None:
    batch = world.source(page_size=2).sync_calendar(BOSS, None)

    assert batch.full and batch.provider == "microsoft" and batch.calendar_email == BOSS
    assert batch.cursor is not None and "$deltatoken=" in batch.cursor
    # Bea's calendar holds 3 live series instances + all-day + oof + three-person = 6.
    assert batch.events_read == 6
    assert batch.requests == 3 == world.count("GET", "/calendarView/delta")
    assert len(batch.observations) == 3


def test_organizer_cancelled_occurrence_is_gone_for_organizer_and_cancelled_for_attendee(
    world: GraphWorld,
) -> None:
    source = world.source()
    boss = by_start(source.sync_calendar(BOSS, None))
    mia = by_start(source.sync_calendar(MIA, None))

    assert at(16, 16) not in boss
    assert mia[at(16, 16)].state == "cancelled"
    assert mia[at(16, 16)].updated_at == at(15, 9)
    assert mia[at(16, 16)].organizer_email == BOSS


def test_moved_occurrence_keeps_its_original_slot(world: GraphWorld) -> None:
    moved = by_start(world.source().sync_calendar(MIA, None))[at(9, 16)]

    assert moved.start == at(10, 16) and moved.end == at(10, 16, 30)
    assert moved.original_start == at(9, 16)
    assert moved.recurring and moved.series_key is not None


def test_attendee_decline_is_seen_and_dated_on_both_calendars(world: GraphWorld) -> None:
    source = world.source()
    on_boss = by_start(source.sync_calendar(BOSS, None))[at(23, 16)]
    on_mia = by_start(source.sync_calendar(MIA, None))[at(23, 16)]

    # The organizer's copy keeps the attendee's answer and its time, as Mia's own does.
    assert on_boss.declined_by == (MIA,) and on_boss.response_at == at(20, 8)
    assert on_mia.declined_by == (MIA,) and on_mia.response_at == at(20, 8)
    assert on_boss.state == on_mia.state == "live"


def test_series_key_is_the_series_master_and_differs_per_mailbox(world: GraphWorld) -> None:
    source = world.source()
    boss = source.sync_calendar(BOSS, None).observations
    mia = source.sync_calendar(MIA, None).observations

    assert len({o.series_key for o in boss}) == 1
    assert {o.series_key for o in boss}.isdisjoint({o.series_key for o in mia})
    assert all(o.event_id not in {m.event_id for m in mia} for o in boss)


def test_attendee_who_deleted_a_meeting_no_longer_has_it(world: GraphWorld) -> None:
    source = world.source()
    raj = source.sync_calendar(RAJ, None)
    mia = by_start(source.sync_calendar(MIA, None))

    assert raj.observations == [] and raj.events_read == 1  # only the three-person meeting
    assert mia[at(5, 10)].participants == (MIA, RAJ)


def test_room_is_not_a_participant_and_agenda_link_is_detected(world: GraphWorld) -> None:
    first = by_start(world.source().sync_calendar(BOSS, None))[at(2, 17)]

    assert first.participants == (BOSS, MIA)
    assert ROOM not in first.participants
    assert first.has_agenda and first.recurring and first.original_start == at(2, 17)


def test_only_one_on_ones_between_roster_members_are_kept(world: GraphWorld) -> None:
    mia = world.source().sync_calendar(MIA, None)

    starts = sorted(o.original_start or o.start for o in mia.observations)
    # Series (4, the cancelled one included), Raj's one-off, the 1:1 with Gus; not the
    # all-day, out-of-office, three-person or outsider meetings, nor the one out of window.
    assert starts == [at(2, 17), at(5, 10), at(9, 16), at(11, 15), at(16, 16), at(23, 16)]
    cross = by_start(mia)[at(11, 15)]
    assert cross.participants == (GUS, MIA) and cross.has_agenda  # an attachment


def test_named_time_zone_with_dst_gives_the_same_instants_as_utc(world: GraphWorld) -> None:
    in_utc = world.source().sync_calendar(BOSS, None)
    in_la = world.source(timezone="Pacific Standard Time").sync_calendar(BOSS, None)

    assert [(o.start, o.end) for o in in_la.observations] == [
        (o.start, o.end) for o in in_utc.observations
    ]
    assert in_la.observations[0].start == at(2, 17)  # 09:00 PST
    assert in_la.observations[-1].start == at(23, 16)  # 09:00 PDT


def test_no_subject_body_or_location_is_kept(world: GraphWorld) -> None:
    for observation in world.source().sync_calendar(MIA, None).observations:
        text = repr(observation)
        assert "1:1" not in text and "docs.example" not in text and "Agenda" not in text


def test_delta_replay_returns_only_changes_and_removals(world: GraphWorld) -> None:
    source = world.source()
    boss_cursor = source.sync_calendar(BOSS, None).cursor
    mia_cursor = source.sync_calendar(MIA, None).cursor
    last = world.instance("s1-3")
    last.cancelled, last.cancelled_at = True, at(21, 7)
    world.org.version += 1

    boss = source.sync_calendar(BOSS, boss_cursor)
    mia = source.sync_calendar(MIA, mia_cursor)

    assert not boss.full and boss.observations == [] and len(boss.removed_ids) == 1
    assert boss.cursor not in (None, boss_cursor)
    assert [o.state for o in mia.observations] == ["cancelled"]
    assert mia.observations[0].updated_at == at(21, 7) and mia.removed_ids == ()


def test_delta_replay_with_nothing_changed_is_empty(world: GraphWorld) -> None:
    source = world.source()
    cursor = source.sync_calendar(MIA, None).cursor

    again = source.sync_calendar(MIA, cursor)

    assert again.observations == [] and again.removed_ids == () and again.events_read == 0


def test_removal_by_attendee_arrives_as_removed_on_their_mailbox(world: GraphWorld) -> None:
    source = world.source()
    first = source.sync_calendar(MIA, None)
    world.instance("s1-0").removed_by.add(MIA)
    world.org.version += 1  # what every mutation does (connectors/sandbox/mutations.py)

    delta = source.sync_calendar(MIA, first.cursor)

    removed = by_start(first)[at(2, 17)].event_id
    assert delta.removed_ids == (removed,) and delta.observations == []


def test_moving_an_instance_in_delta_reports_the_new_time(world: GraphWorld) -> None:
    source = world.source()
    first = source.sync_calendar(BOSS, None)
    moving = world.instance("s1-0")
    moving.start, moving.end = moving.start + timedelta(hours=2), moving.end + timedelta(hours=2)
    world.org.version += 1

    delta = source.sync_calendar(BOSS, first.cursor)

    [moved] = delta.observations
    assert moved.start == at(2, 19) and moved.original_start == at(2, 17)


def test_unknown_delta_token_means_resync(world: GraphWorld) -> None:
    source = world.source()
    cursor = source.sync_calendar(BOSS, None).cursor
    assert cursor is not None

    with pytest.raises(CursorExpiredError):
        source.sync_calendar(BOSS, cursor.split("$deltatoken=")[0] + "$deltatoken=bogus")


def test_expired_delta_state_means_resync(world: GraphWorld) -> None:
    source = world.source()
    cursor = source.sync_calendar(BOSS, None).cursor
    world.sandbox.expire_deltas()

    with pytest.raises(CursorExpiredError):
        source.sync_calendar(BOSS, cursor)


def test_full_sync_twice_gives_the_same_observations(world: GraphWorld) -> None:
    source = world.source()

    assert (
        source.sync_calendar(MIA, None).observations == source.sync_calendar(MIA, None).observations
    )


def test_one_source_syncs_mailboxes_concurrently(world: GraphWorld) -> None:
    source = world.source(page_size=1)
    mailboxes = [BOSS, MIA, RAJ] * 3
    sequential = {m: source.sync_calendar(m, None).observations for m in set(mailboxes)}

    with ThreadPoolExecutor(max_workers=6) as pool:
        batches = list(pool.map(lambda m: source.sync_calendar(m, None), mailboxes))

    assert all(b.observations == sequential[b.calendar_email] for b in batches)
