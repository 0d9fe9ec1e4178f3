"""Calendars exported as .ics files (Google Calendar, Outlook) read as calendar sources."""

from connectors.ics.source import IcsCalendarSource, calendar_owner

__all__ = ["IcsCalendarSource", "calendar_owner"]
