"""The sandbox's own table of Windows time-zone names, as Exchange shows them.

Deliberately apart from the client's table (`connectors/microsoft/zones.py`): the
sandbox renders Graph events with these names and the client must read them back, so
a wrong entry on either side is caught by the tests instead of cancelling out. It
covers the zones the sandbox's people live in and those the tests ask for.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WINDOWS_NAMES = {
    "America/Los_Angeles": "Pacific Standard Time",
    "America/New_York": "Eastern Standard Time",
    "Europe/London": "GMT Standard Time",
    "Europe/Berlin": "W. Europe Standard Time",
    "Asia/Kolkata": "India Standard Time",
    "Australia/Sydney": "AUS Eastern Standard Time",
    "Asia/Tokyo": "Tokyo Standard Time",
    "Etc/UTC": "UTC",
}
_IANA = {windows: iana for iana, windows in WINDOWS_NAMES.items()}


def windows_name(iana: str) -> str:
    """The Windows name of a sandbox zone (its IANA name if the table has none)."""
    return WINDOWS_NAMES.get(iana, iana)


def zone_for(name: str) -> ZoneInfo | None:
    """The zone a `Prefer: outlook.timezone` value names (Windows or IANA); None if
    unknown, which Graph answers with an error."""
    try:
        return ZoneInfo(_IANA.get(name, name))
    except (ZoneInfoNotFoundError, ValueError):
        return None
