"""GoogleCalendarSource signed in as one person (`roster.source = "self"`): their own
calendar, read exactly as the service account reads it, and nobody else's."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from google_org import BOSS, MIA, RAJ, roster
from signin_kit import FakeBrowser, SignInWorld, sign_in

from connectors.google.calendar import GoogleCalendarSource
from connectors.google.oauth import login
from connectors.model import CalendarBatch
from connectors.sandbox.app import start_sandbox
from connectors.sandbox.google_consent import (
    expire_access_tokens,
    revoke_refresh_tokens,
    set_browser_user,
)
from connectors.sandbox.mutations import (
    cancel_instance,
    decline_instance,
    delete_one_off,
    move_instance,
    one_on_ones,
)
from connectors.settings import SyncWindow
from connectors.token_store import TokenStore
from core.errors import AuthError

TOKEN = ("POST", "/google/token")


def admin_source(found: SignInWorld) -> GoogleCalendarSource:
    world = found.world
    return GoogleCalendarSource(world.settings, world.http, roster(), world.window, world.retry())


def own_source(found: SignInWorld) -> GoogleCalendarSource:
    world = found.world
    return GoogleCalendarSource.signed_in(
        found.signin, found.http, found.store, roster(), world.window, world.retry()
    )


def same_reading(mine: CalendarBatch | Exception, theirs: CalendarBatch | Exception) -> bool:
    """The same batch but for the cursor (each reader has its own sync token)."""
    assert isinstance(mine, CalendarBatch) and isinstance(theirs, CalendarBatch)
    keep = ("calendar_email", "observations", "removed_ids", "full", "events_read", "requests")
    return all(getattr(mine, name) == getattr(theirs, name) for name in keep)


def test_the_own_calendar_reads_as_the_service_account_reads_it(
    signin_world: SignInWorld,
) -> None:
    sign_in(signin_world, BOSS)
    admin, me = admin_source(signin_world), own_source(signin_world)
    assert me.account == BOSS and admin.account is None
    theirs, mine = admin.sync_calendar(BOSS, None), me.sync_calendar(BOSS, None)
    assert same_reading(mine, theirs) and len(mine.observations) > 10
    org, at = signin_world.world.org, datetime.now(UTC)
    cancel_instance(org, "w6", at)
    decline_instance(org, "w7", MIA, at)
    delete_one_off(org, "agenda-doc", at)
    # The older token first: the sandbox keeps a calendar's last two snapshots only.
    changed_theirs = admin.sync_calendar(BOSS, theirs.cursor)
    changed_mine = me.sync_calendar(BOSS, mine.cursor)
    assert same_reading(changed_mine, changed_theirs)
    assert not changed_mine.full and len(changed_mine.observations) == 3
    # A batched round (sync_many) too.
    moved = move_instance(org, "w5", datetime(2025, 2, 7, 18, tzinfo=UTC), at)
    [batched_theirs] = admin.sync_many([(BOSS, changed_theirs.cursor)])
    [batched_mine] = me.sync_many([(BOSS, changed_mine.cursor)])
    assert same_reading(batched_mine, batched_theirs) and me.batch_requests == 1
    assert isinstance(batched_mine, CalendarBatch)
    [observation] = batched_mine.observations
    assert observation.start == moved.start


def test_another_persons_calendar_is_refused_without_asking_google(
    signin_world: SignInWorld,
) -> None:
    sign_in(signin_world, BOSS)
    me = own_source(signin_world)
    with pytest.raises(AuthError, match=f"signed in to Google as {BOSS}.*only their own"):
        me.sync_calendar(MIA, None)
    cursor = me.sync_calendar(BOSS, None).cursor
    before = len(signin_world.world.server.requests)
    mia, raj, boss = me.sync_many([(MIA, None), (RAJ, cursor), (BOSS, cursor)])
    assert isinstance(mia, AuthError) and isinstance(raj, AuthError)
    assert isinstance(boss, CalendarBatch) and boss.calendar_email == BOSS
    asked = signin_world.world.server.requests[before:]
    assert asked == [("POST", "/batch/calendar/v3")]


def test_expired_access_tokens_are_refreshed_silently_and_kept(
    signin_world: SignInWorld,
) -> None:
    sign_in(signin_world, BOSS)
    me = own_source(signin_world)
    full = me.sync_calendar(BOSS, None)
    kept = signin_world.store.load()
    requests = signin_world.world.server.requests
    minted = requests.count(TOKEN)
    expire_access_tokens(signin_world.world.org)
    [batched] = me.sync_many([(BOSS, full.cursor)])  # an inner 401, a refresh, sent again
    assert isinstance(batched, CalendarBatch) and requests.count(TOKEN) == minted + 1
    expire_access_tokens(signin_world.world.org)
    again = me.sync_calendar(BOSS, None)  # a 401, a refresh, the same page again
    assert same_reading(again, full) and requests.count(TOKEN) == minted + 2
    assert signin_world.store.load() != kept


def test_a_sign_in_revoked_during_a_run_fails_with_log_in_again(
    signin_world: SignInWorld,
) -> None:
    sign_in(signin_world, BOSS)
    me = own_source(signin_world)
    cursor = me.sync_calendar(BOSS, None).cursor
    revoke_refresh_tokens(signin_world.world.org, BOSS)
    with pytest.raises(AuthError, match="oneonone login google"):
        me.sync_calendar(BOSS, None)
    [batched] = me.sync_many([(BOSS, cursor)])
    assert isinstance(batched, AuthError) and "oneonone login google" in str(batched)


def test_nobody_signed_in_is_an_auth_error_and_a_source_travels_by_its_recipe(
    signin_world: SignInWorld,
) -> None:
    with pytest.raises(AuthError, match="no Google sign-in"):
        own_source(signin_world)
    sign_in(signin_world, BOSS)
    me = own_source(signin_world)
    travelled = pickle.loads(pickle.dumps(me))
    assert travelled is not me and travelled.account == BOSS
    assert same_reading(travelled.sync_calendar(BOSS, None), me.sync_calendar(BOSS, None))


def test_a_manager_of_a_generated_org_reads_their_own_calendar_as_the_admin_does(
    tmp_path: Path,
) -> None:
    """The sandbox as the product starts it, its server in a process of its own: the
    controls and mutations go through `server.mutate`."""
    with start_sandbox(tmp_path / "sandbox", size=40, background="none", process=True) as box:
        org = box.org  # this process's copy, generated alike: where to find things
        google = {p.email: p for p in org.people if p.active and p.provider == "google"}
        manager, meetings = next(
            (p.manager_email, found)
            for p in google.values()
            if p.manager_email in google and (found := one_on_ones(org, p.manager_email, p.email))
        )
        assert manager is not None
        box.server.mutate(set_browser_user, manager)
        store = TokenStore("google-self", tmp_path / "tokens", "file")
        browser = FakeBrowser(box.http)
        assert login(box.google_signin, box.http, store, open_browser=False, show=browser.show) == (
            manager
        )
        team = frozenset({manager, *(e for e, p in google.items() if p.manager_email == manager)})
        start = datetime.combine(org.history_start, time(), tzinfo=UTC)
        window = SyncWindow(start, start + timedelta(days=400))
        admin = GoogleCalendarSource(box.google, box.http, team, window)
        me = GoogleCalendarSource.signed_in(box.google_signin, box.http, store, team, window)
        theirs, mine = admin.sync_calendar(manager, None), me.sync_calendar(manager, None)
        assert same_reading(mine, theirs) and len(mine.observations) > 1
        anchor = datetime.combine(org.anchor, time(), tzinfo=UTC)
        live = next(i for i in meetings if not (i.cancelled or i.deleted) and i.start < anchor)
        box.server.mutate(cancel_instance, live.uid, datetime.now(UTC))
        changed_theirs = admin.sync_calendar(manager, theirs.cursor)  # the older token first
        changed = me.sync_calendar(manager, mine.cursor)
        assert same_reading(changed, changed_theirs)
        assert [o.state for o in changed.observations] == ["cancelled"]
