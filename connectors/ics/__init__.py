"""Calendars exported as .ics files (Google Calendar, Outlook) read as calendar sources."""
