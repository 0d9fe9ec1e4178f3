"""The sandbox speaks Graph's wire format: what a raw client sees, not our connector."""

from __future__ import annotations

from typing import Any

from connectors.microsoft.auth import TokenProvider

from .graph_org import BOSS, MIA, GraphWorld


def get(world: GraphWorld, path: str, prefer: str = "", **params: str) -> Any:
    token = TokenProvider(world.settings, world.client).token()
    headers = {"Authorization": f"Bearer {token}", "Prefer": prefer}
    url = world.settings.graph_endpoint + path
    return world.client.get(url, params=params, headers=headers)


WINDOW = {"startDateTime": "2026-03-01T00:00:00Z", "endDateTime": "2026-03-31T00:00:00Z"}


def test_times_are_wall_times_with_seven_digits_in_the_preferred_windows_zone(
    world: GraphWorld,
) -> None:
    prefer = 'outlook.timezone="Pacific Standard Time"'
    events = get(world, f"/users/{BOSS}/calendarView", prefer, **WINDOW).json()["value"]
    series = [e for e in events if e["type"] != "singleInstance"]

    assert series[0]["start"] == {
        "dateTime": "2026-03-02T09:00:00.0000000",
        "timeZone": "Pacific Standard Time",
    }
    assert series[1]["type"] == "exception"
    assert series[1]["originalStart"] == "2026-03-09T16:00:00.0000000Z"
    assert series[1]["originalStartTimeZone"] == "Pacific Standard Time"


def test_without_preference_times_are_utc_and_pages_hold_ten(world: GraphWorld) -> None:
    response = get(world, f"/users/{MIA}/calendarView", **WINDOW)
    events = response.json()["value"]

    assert response.headers["Preference-Applied"] == "odata.maxpagesize=10"
    assert {e["start"]["timeZone"] for e in events} == {"UTC"}


def test_organizer_copy_carries_attendee_responses_and_resources(world: GraphWorld) -> None:
    events = get(world, f"/users/{BOSS}/calendarView", **WINDOW).json()["value"]
    declined = next(e for e in events if e["start"]["dateTime"].startswith("2026-03-23"))

    assert declined["isOrganizer"] and declined["responseStatus"]["response"] == "organizer"
    mia, room = declined["attendees"]
    assert mia["status"] == {"response": "declined", "time": "2026-03-20T08:00:00.0000000Z"}
    assert room["type"] == "resource"


def test_calendar_view_needs_a_window(world: GraphWorld) -> None:
    response = get(world, f"/users/{BOSS}/calendarView")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "ErrorInvalidParameter"


def test_graph_refuses_requests_without_a_token(world: GraphWorld) -> None:
    response = world.client.get(world.settings.graph_endpoint + "/users")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"


def test_manager_without_select_omits_account_enabled(world: GraphWorld) -> None:
    manager = get(world, f"/users/{MIA}/manager").json()

    assert manager["mail"] == BOSS and "accountEnabled" not in manager
