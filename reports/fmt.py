"""Formatting of numbers, dates and names for display (pure functions)."""

from __future__ import annotations

import hashlib
import html
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

DASH = "—"
# Relationship phases in the order a line goes through them, with their display names.
PHASES = (
    ("get_to_know", "Get to know"),
    ("share_context", "Share context"),
    ("maintain", "Maintain"),
)


def pct(value: float | None, digits: int = 0) -> str:
    """A share in [0, 1] as a percentage, or a dash when unknown."""
    if value is None:
        return DASH
    return f"{value * 100:.{digits}f}%"


def hours(value: float | None) -> str:
    """Hours with one decimal below 10 and none above, or a dash."""
    if value is None:
        return DASH
    return f"{value:.1f} h" if abs(value) < 10 else f"{value:,.0f} h"


def number(value: float | None, digits: int = 0) -> str:
    """A plain number with thousands separators, or a dash."""
    if value is None:
        return DASH
    return f"{value:,.{digits}f}"


def local_dt(value: datetime | None, tz: str) -> str:
    """A timestamp shown in the org time zone (naive values are taken as UTC)."""
    if value is None:
        return DASH
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M %Z")


def day(value: date | None) -> str:
    """A local date as ISO text, or a dash."""
    return DASH if value is None else value.isoformat()


def phase(value: str | None) -> str:
    """A phase's display name (unknown values shown as they are)."""
    return dict(PHASES).get(value or "", value or DASH)


def slug(email: str) -> str:
    """A file-name-safe, collision-free name for a manager page.

    The readable part alone could collide (``a.b@x`` and ``a-b@x``), so a short hash
    of the full address is appended.
    """
    readable = re.sub(r"[^a-z0-9]+", "-", email.lower().split("@")[0]).strip("-")[:40]
    digest = hashlib.sha256(email.lower().encode()).hexdigest()[:10]
    return f"{readable or 'manager'}-{digest}"


def label(text: str | None) -> str:
    """Text safe to put in a Plotly label or hover (Plotly renders a little HTML)."""
    return html.escape(text or "", quote=False)
