"""Self mode: a manager signed in as themselves reads their own roster and mailbox
through the real msal and httpx, and gets what the app-only source gets."""

from __future__ import annotations

import pickle
from datetime import date
from pathlib import Path

import pytest

from connectors.microsoft.client import GraphForbiddenError, Tally
from connectors.microsoft.self_mode import (
    ForeignMailboxError,
    MicrosoftSelfCalendarSource,
    MicrosoftSelfRoster,
)
from connectors.model import CalendarBatch, Person
from connectors.sandbox.mutations import decline_instance, delete_one_off, move_instance
from connectors.settings import MicrosoftSignIn
from connectors.token_store import TokenStore
from core.errors import FatalSourceError, SourceError

from .graph_org import BOSS, GUS, MIA, RAJ, ROSTER, WINDOW, GraphWorld, at
from .signin_kit import sign_in, store_in


@pytest.fixture
def mia(world: GraphWorld, signin: MicrosoftSignIn, tmp_path: Path) -> TokenStore:
    """Mia (who manages Raj, and Gus on Google) signed in; her token store."""
    store = store_in(tmp_path)
    sign_in(world, signin, store, MIA)
    return store


def own_source(world: GraphWorld, signin: MicrosoftSignIn, store: TokenStore, **kw: object):  # type: ignore[no-untyped-def]
    return MicrosoftSelfCalendarSource(
        signin, world.http, store, ROSTER, WINDOW, client=world.client, **kw
    )


def only(results: list[CalendarBatch | SourceError]) -> list[CalendarBatch]:
    assert all(isinstance(r, CalendarBatch) for r in results), results
    return [r for r in results if isinstance(r, CalendarBatch)]


def mutate(world: GraphWorld) -> None:
    """Mia's calendar changes: a 1:1 moved, one declined, a one-off deleted outright."""
    move_instance(world.org, "s1-0", at(3, 18), at(1, 9))
    decline_instance(world.org, "s1-1", MIA, at(8, 7))
    delete_one_off(world.org, "cross", at(9, 12))


def test_self_roster_is_the_manager_and_their_direct_reports(
    world: GraphWorld, signin: MicrosoftSignIn, mia: TokenStore
) -> None:
    roster = MicrosoftSelfRoster(signin, world.http, mia, client=world.client)

    people = roster.people()

    assert people == [
        Person(MIA, "Mia Lead", None, "microsoft", date(2022, 3, 1), "Engineering Manager"),
        # A report's basic profile only (User.ReadBasic.All): no hire date, no title.
        Person(GUS, "Gus Ops", MIA, "microsoft"),  # a mail contact: Gus is on Google
        Person(RAJ, "Raj Dev", MIA, "microsoft"),
    ]
    assert world.count("GET", "/me") == 1 and world.count("GET", "/me/directReports") == 1


def test_full_and_incremental_reads_equal_the_app_only_source(
    world: GraphWorld, signin: MicrosoftSignIn, mia: TokenStore
) -> None:
    app_only, own = world.source(page_size=2), own_source(world, signin, mia, page_size=2)

    theirs, ours = app_only.sync_calendar(MIA, None), own.sync_calendar(MIA, None)

    assert ours.observations == theirs.observations and len(ours.observations) == 6
    assert (ours.full, ours.events_read, ours.removed_ids) == (True, theirs.events_read, ())
    assert ours.cursor is not None and "/me/calendarView/delta?$deltatoken=" in ours.cursor
    # Paged by 2 as theirs, and from /me only.
    assert world.count("GET", "/me/calendarView/delta") == theirs.requests == ours.requests
    mutate(world)

    theirs = app_only.sync_calendar(MIA, theirs.cursor)
    ours = own.sync_calendar(MIA, ours.cursor)

    assert ours.observations == theirs.observations and len(ours.observations) == 2
    assert ours.removed_ids == theirs.removed_ids and len(ours.removed_ids) == 1
    assert not ours.full and ours.events_read == theirs.events_read == 3


def test_batched_replays_equal_the_app_only_source(
    world: GraphWorld, signin: MicrosoftSignIn, mia: TokenStore
) -> None:
    app_only, own = world.source(), own_source(world, signin, mia)
    [theirs] = only(app_only.sync_many([(MIA, None)]))
    [ours] = only(own.sync_many([(MIA, None)]))
    mutate(world)
    world.server.requests.clear()

    [theirs] = only(app_only.sync_many([(MIA, theirs.cursor)]))
    [ours] = only(own.sync_many([(MIA, ours.cursor)]))

    assert ours.observations == theirs.observations and ours.removed_ids == theirs.removed_ids
    assert len(ours.observations) == 2 and not ours.full
    assert world.count("POST", "/$batch") == 2 and own.batch_requests == 1
    assert ours.cursor is not None and "/me/calendarView/delta?$deltatoken=" in ours.cursor


def test_another_mailbox_is_refused_by_the_source_and_by_graph(
    world: GraphWorld, signin: MicrosoftSignIn, mia: TokenStore
) -> None:
    own = own_source(world, signin, mia)

    with pytest.raises(ForeignMailboxError, match=f"mailbox {BOSS}: self mode reads only"):
        own.sync_calendar(BOSS, None)
    mine, boss = own.sync_many([(MIA, None), (BOSS.upper(), None)])

    assert isinstance(mine, CalendarBatch) and isinstance(boss, ForeignMailboxError)
    assert world.count("GET", "/calendarView/delta") == 1  # Mia's own, nothing of Bea's
    # Graph itself refuses a delegated token someone else's calendar.
    url = own.graph.url(f"/users/{BOSS}/calendarView/delta")
    with pytest.raises(GraphForbiddenError, match="403 ErrorAccessDenied"):
        own.graph.get(url, "Bea's calendar", Tally(), {"startDateTime": "2026-03-01T00:00:00Z"})


def test_me_needs_a_signed_in_person(world: GraphWorld) -> None:
    app_only = world.source()

    with pytest.raises(FatalSourceError, match=r"400 BadRequest.*only valid with delegated"):
        app_only.graph.get(app_only.graph.url("/me"), "me", Tally())


def test_the_self_source_travels_as_its_recipe(
    world: GraphWorld, signin: MicrosoftSignIn, mia: TokenStore
) -> None:
    source = MicrosoftSelfCalendarSource(signin, world.http, mia, ROSTER, WINDOW)
    try:
        travelled = pickle.loads(pickle.dumps(source))
        try:
            assert travelled is not source
            batch = travelled.sync_calendar(MIA, None)
            assert batch.observations == world.source().sync_calendar(MIA, None).observations
        finally:
            travelled.close()
    finally:
        source.close()
