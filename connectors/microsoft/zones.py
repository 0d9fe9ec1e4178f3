"""Windows time zone names (what Exchange and Graph speak) and IANA names.

Graph renders `start`/`end` as a local wall time plus a zone name, and the zone name
is a Windows name ("Pacific Standard Time") unless the caller asked for an IANA one.
The table covers the zones of CLDR's `windowsZones.xml` "001" territory rows that
organisations commonly use; an IANA name passes through unchanged. The sandbox uses
the reverse direction to render its members' zones the way Exchange would.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import FatalSourceError

WINDOWS_TO_IANA: dict[str, str] = {
    "UTC": "UTC",
    "Coordinated Universal Time": "UTC",
    "GMT Standard Time": "Europe/London",
    "Greenwich Standard Time": "Atlantic/Reykjavik",
    "W. Europe Standard Time": "Europe/Berlin",
    "Romance Standard Time": "Europe/Paris",
    "Central Europe Standard Time": "Europe/Budapest",
    "Central European Standard Time": "Europe/Warsaw",
    "E. Europe Standard Time": "Europe/Chisinau",
    "FLE Standard Time": "Europe/Kiev",
    "GTB Standard Time": "Europe/Bucharest",
    "Russian Standard Time": "Europe/Moscow",
    "Turkey Standard Time": "Europe/Istanbul",
    "Israel Standard Time": "Asia/Jerusalem",
    "South Africa Standard Time": "Africa/Johannesburg",
    "Arabian Standard Time": "Asia/Dubai",
    "India Standard Time": "Asia/Kolkata",
    "Singapore Standard Time": "Asia/Singapore",
    "China Standard Time": "Asia/Shanghai",
    "Tokyo Standard Time": "Asia/Tokyo",
    "Korea Standard Time": "Asia/Seoul",
    "AUS Eastern Standard Time": "Australia/Sydney",
    "E. Australia Standard Time": "Australia/Brisbane",
    "W. Australia Standard Time": "Australia/Perth",
    "New Zealand Standard Time": "Pacific/Auckland",
    "Hawaiian Standard Time": "Pacific/Honolulu",
    "Alaskan Standard Time": "America/Anchorage",
    "Pacific Standard Time": "America/Los_Angeles",
    "US Mountain Standard Time": "America/Phoenix",
    "Mountain Standard Time": "America/Denver",
    "Central Standard Time": "America/Chicago",
    "Eastern Standard Time": "America/New_York",
    "Atlantic Standard Time": "America/Halifax",
    "Newfoundland Standard Time": "America/St_Johns",
    "SA Pacific Standard Time": "America/Bogota",
    "Central Standard Time (Mexico)": "America/Mexico_City",
    "E. South America Standard Time": "America/Sao_Paulo",
    "Argentina Standard Time": "America/Buenos_Aires",
}

# Several Windows names share an IANA zone; the reverse keeps the first (canonical) one.
IANA_TO_WINDOWS: dict[str, str] = {}
for _windows, _iana in WINDOWS_TO_IANA.items():
    IANA_TO_WINDOWS.setdefault(_iana, _windows)
IANA_TO_WINDOWS.update({"Etc/UTC": "UTC", "Europe/Kyiv": "FLE Standard Time"})


def zone_for(name: str) -> ZoneInfo:
    """The zone a Graph `timeZone` value names: a Windows name or an IANA name.

    Raises FatalSourceError for a name neither table nor the IANA database knows (for
    example Exchange's `tzone://Microsoft/Custom`), rather than guessing an offset.
    """
    try:
        return ZoneInfo(WINDOWS_TO_IANA.get(name, name))
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise FatalSourceError(f"unknown time zone {name!r} in a Graph event") from error


def windows_name(iana: str) -> str:
    """The Windows name Exchange would show for an IANA zone (IANA name if unmapped)."""
    return IANA_TO_WINDOWS.get(iana, iana)
