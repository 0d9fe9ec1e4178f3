"""Microsoft 365 calendars through Graph `calendarView/delta`.

A first sync opens a delta round over the sync window; every `@odata.nextLink` is
followed verbatim until the `@odata.deltaLink`, which becomes the cursor. A later sync
replays that deltaLink verbatim and gets only the changes, `@removed` entries
included. An expired delta token (410) raises CursorExpiredError: resync in full.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import quote

import httpx

from connectors.limits import RequestLimits, Waits
from connectors.microsoft.auth import BearerTokens, TokenProvider
from connectors.microsoft.batch import DeltaBatcher, DeltaJob, delta_job
from connectors.microsoft.calendar_round import DeltaRound, Observe
from connectors.microsoft.client import GraphClient, Tally, make_http_client
from connectors.microsoft.normalise import normalise_event
from connectors.microsoft.paging import NextLinkPaginator, relative_url
from connectors.model import CalendarBatch, Provider
from connectors.portable import Portable
from connectors.retry import RetryPolicy
from connectors.settings import HttpSettings, MicrosoftLimits, MicrosoftSettings, SyncWindow
from core.errors import CursorExpiredError, SourceError


def graph_instant(moment: datetime) -> str:
    """An aware datetime as the UTC `...Z` string Graph query parameters take."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Reach:
    """What a source reads: whose events count (the roster), when, in which pages."""

    roster: frozenset[str]
    window: SyncWindow
    page_size: int = 1000
    timezone: str = "UTC"


class MicrosoftCalendarSource(Portable):
    """`CalendarSource` for Microsoft 365 mailboxes. Thread-safe: one per run.

    Every Graph request about a mailbox, inside `$batch` too, goes through `limits`
    (`microsoft.concurrent_per_mailbox`, `microsoft.requests_per_10_minutes_per_mailbox`);
    `waits` sums the seconds spent waiting on them and on retries.
    """

    provider: Provider = "microsoft"

    def __init__(
        self,
        settings: MicrosoftSettings,
        http: HttpSettings,
        roster: frozenset[str],
        window: SyncWindow,
        retry: RetryPolicy | None = None,
        *,
        client: httpx.Client | None = None,
        client_certificate: Mapping[str, str] | None = None,
        page_size: int = 1000,
        timezone: str = "UTC",
    ) -> None:
        if client is None:  # an injected client stays with its caller: no recipe
            self.remember(
                settings,
                http,
                roster,
                window,
                retry,
                client_certificate=client_certificate,
                page_size=page_size,
                timezone=timezone,
            )
        self._owns_client = client is None
        self._client = client or make_http_client(http)
        tokens = TokenProvider(settings, self._client, client_certificate)
        reach = Reach(roster, window, page_size, timezone)
        self._connect(settings.graph_endpoint, settings.limits, tokens, http, retry, reach)

    def _connect(
        self,
        endpoint: str,
        limits: MicrosoftLimits,
        tokens: BearerTokens,
        http: HttpSettings,
        retry: RetryPolicy | None,
        reach: Reach,
    ) -> None:
        """The Graph client, limits and waits, on `self._client` with `tokens`."""
        self._roster = frozenset(email.lower() for email in reach.roster)
        self._window = reach.window
        # Graph renders start/end in this zone; UTC unless a caller asks otherwise.
        self._prefer = f'outlook.timezone="{reach.timezone}", odata.maxpagesize={reach.page_size}'
        self.waits = Waits()
        self._retry = replace(retry or RetryPolicy(), waits=self.waits)
        self.limits = RequestLimits(limits.quota, self.waits)
        self._batch_size = limits.batch_size
        self.graph = GraphClient(endpoint, self._client, tokens, self._retry, self.limits)
        self.batch_requests = 0  # POST /$batch requests made by sync_many, retries included
        self._workers = max(1, http.max_concurrency)

    def sync_calendar(self, email: str, cursor: str | None) -> CalendarBatch:
        """Read one mailbox: replay `cursor` (a deltaLink), or a full round when None."""
        tally = Tally()
        delta = self._read_round(email, cursor, tally)
        return self._batch(email, delta, full=cursor is None, requests=tally.requests)

    def sync_many(
        self, requests: Sequence[tuple[str, str | None]]
    ) -> list[CalendarBatch | SourceError]:
        """Sync many mailboxes, `(email, cursor)` each; results in the same order.

        Delta replays go through JSON `$batch` (`microsoft.batch_size` per request); a
        mailbox without a cursor, or whose cursor expired, is synced in full; one whose
        deltaLink is not under the Graph endpoint is replayed alone. Each result is that
        mailbox's batch or its error: one failing mailbox never fails the others. A
        batched mailbox's `requests` counts its inner requests (they share the `$batch`
        round trips, counted in `batch_requests`).
        """
        jobs: dict[int, DeltaJob] = {}
        alone: dict[int, tuple[str, str | None]] = {}
        for n, (email, cursor) in enumerate(requests):
            if cursor is None or relative_url(cursor, self.graph.endpoint) is None:
                alone[n] = (email, cursor)
            else:
                round_ = DeltaRound(self._observer(email))
                jobs[n] = delta_job(email, cursor, self.graph.endpoint, round_)
        headers = {"Prefer": self._prefer}
        batcher = DeltaBatcher(self.graph, self._retry, headers, self.limits, self._batch_size)
        batcher.run(list(jobs.values()))
        self.batch_requests += batcher.batches.requests
        results: dict[int, CalendarBatch | SourceError] = {}
        for n, job in jobs.items():
            if isinstance(job.error, CursorExpiredError):
                alone[n] = (job.email, None)
            else:
                results[n] = job.error or self._finished(job)
        results.update(self._each(alone))
        return [results[n] for n in range(len(requests))]

    def _finished(self, job: DeltaJob) -> CalendarBatch:
        return self._batch(job.email, job.round, full=False, requests=job.tally.requests)

    def _each(
        self, requests: dict[int, tuple[str, str | None]]
    ) -> dict[int, CalendarBatch | SourceError]:
        """Mailboxes synced one by one, concurrently (full syncs and foreign links)."""
        if not requests:
            return {}
        with ThreadPoolExecutor(max_workers=self._workers) as pool:
            found = pool.map(lambda item: self._one(*item), requests.values())
            return dict(zip(requests, found, strict=True))

    def _one(self, email: str, cursor: str | None) -> CalendarBatch | SourceError:
        try:
            try:
                return self.sync_calendar(email, cursor)
            except CursorExpiredError:
                return self.sync_calendar(email, None)
        except SourceError as error:
            return error

    def _batch(self, email: str, delta: DeltaRound, full: bool, requests: int) -> CalendarBatch:
        return CalendarBatch(
            provider="microsoft",
            calendar_email=email.lower(),
            observations=delta.found(),
            cursor=delta.delta_link,
            full=full,
            removed_ids=tuple(delta.removed),
            events_read=delta.events_read,
            requests=requests,
        )

    def _read_round(self, email: str, cursor: str | None, tally: Tally) -> DeltaRound:
        url, params = cursor, None
        if url is None:
            url = self._delta_url(email)
            params = {
                "startDateTime": graph_instant(self._window.start),
                "endDateTime": graph_instant(self._window.end),
            }
        delta = DeltaRound(self._observer(email))
        paginator = NextLinkPaginator(
            f"mailbox {email}", url, params, delta=True, endpoint=self.graph.endpoint
        )
        for page in self.graph.pages(paginator, tally, {"Prefer": self._prefer}, email):
            for entry in page.get("value") or ():
                delta.add(entry)
        delta.delta_link = paginator.delta_link
        return delta

    def _delta_url(self, email: str) -> str:
        """Where a full delta round of `email`'s mailbox starts."""
        return self.graph.url(f"/users/{quote(email)}/calendarView/delta")

    def _observer(self, email: str) -> Observe:
        """Normalises `email`'s events as they arrive (normalise_event is pure)."""
        roster = self._roster
        return lambda event: normalise_event(event, email, roster)

    def close(self) -> None:
        """Close the HTTP client if this source created it (an injected one is the caller's)."""
        if self._owns_client:
            self._client.close()
