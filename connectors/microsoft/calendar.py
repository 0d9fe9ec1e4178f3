"""Microsoft 365 calendars through Graph `calendarView/delta`.

A first sync opens a delta round over the sync window; every `@odata.nextLink` is
followed verbatim until the `@odata.deltaLink`, which becomes the cursor. A later sync
replays that deltaLink verbatim and gets only the changes, `@removed` entries
included. An expired delta token (410) raises CursorExpiredError: resync in full.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import quote

import httpx

from connectors.errors import FatalSourceError
from connectors.microsoft.auth import TokenProvider
from connectors.microsoft.client import GraphClient, JsonObject, Tally, make_http_client
from connectors.microsoft.normalise import normalise_event
from connectors.model import CalendarBatch, Observation
from connectors.retry import RetryPolicy
from connectors.settings import HttpSettings, MicrosoftSettings, SyncWindow


def graph_instant(moment: datetime) -> str:
    """An aware datetime as the UTC `...Z` string Graph query parameters take."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class DeltaRound:
    """What one delta round returned, in order: later entries win over earlier ones."""

    events: dict[str, JsonObject] = field(default_factory=dict)
    removed: dict[str, None] = field(default_factory=dict)  # ordered set of ids
    delta_link: str | None = None
    events_read: int = 0

    def add(self, entry: JsonObject) -> None:
        """Record one `value` entry: a changed event or an `@removed` id."""
        event_id = str(entry.get("id", ""))
        if "@removed" in entry:
            self.events.pop(event_id, None)
            self.removed[event_id] = None
        else:
            self.removed.pop(event_id, None)
            self.events[event_id] = entry
        self.events_read += 1


class MicrosoftCalendarSource:
    """`CalendarSource` for Microsoft 365 mailboxes. Thread-safe: one per run."""

    provider: Literal["microsoft"] = "microsoft"

    def __init__(
        self,
        settings: MicrosoftSettings,
        http: HttpSettings,
        roster: frozenset[str],
        window: SyncWindow,
        retry: RetryPolicy | None = None,
        *,
        client: httpx.Client | None = None,
        page_size: int = 100,
        timezone: str = "UTC",
    ) -> None:
        self._owns_client = client is None
        self._client = client or make_http_client(http)
        tokens = TokenProvider(settings, self._client)
        self.graph = GraphClient(settings.graph_endpoint, self._client, tokens, retry)
        self._roster = frozenset(email.lower() for email in roster)
        self._window = window
        # Graph renders start/end in this zone; UTC unless a caller asks otherwise.
        self._prefer = f'outlook.timezone="{timezone}", odata.maxpagesize={page_size}'

    def sync_calendar(self, email: str, cursor: str | None) -> CalendarBatch:
        """Read one mailbox: replay `cursor` (a deltaLink), or a full round when None."""
        tally = Tally()
        delta = self._read_round(email, cursor, tally)
        return CalendarBatch(
            provider="microsoft",
            calendar_email=email.lower(),
            observations=self._observations(delta, email),
            cursor=delta.delta_link,
            full=cursor is None,
            removed_ids=tuple(delta.removed),
            events_read=delta.events_read,
            requests=tally.requests,
        )

    def _read_round(self, email: str, cursor: str | None, tally: Tally) -> DeltaRound:
        url, params = cursor, None
        if url is None:
            url = self.graph.url(f"/users/{quote(email)}/calendarView/delta")
            params = {
                "startDateTime": graph_instant(self._window.start),
                "endDateTime": graph_instant(self._window.end),
            }
        delta = DeltaRound()
        headers = {"Prefer": self._prefer}
        for page in self.graph.pages(url, f"mailbox {email}", tally, params, headers):
            for entry in page.get("value") or ():
                delta.add(entry)
            delta.delta_link = _optional_str(page.get("@odata.deltaLink"))
        if delta.delta_link is None:
            raise FatalSourceError(f"Graph ended a delta round without a deltaLink for {email}")
        return delta

    def _observations(self, delta: DeltaRound, email: str) -> list[Observation]:
        found = (normalise_event(event, email, self._roster) for event in delta.events.values())
        return [observation for observation in found if observation is not None]

    def close(self) -> None:
        """Close the HTTP client if this source created it (an injected one is the caller's)."""
        if self._owns_client:
            self._client.close()


def _optional_str(value: Any) -> str | None:
    return str(value) if value else None
