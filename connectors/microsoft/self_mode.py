"""Self mode on Microsoft 365: a manager signed in as themselves (`roster.source = "self"`).

The roster is the signed-in manager (`/me`) and their direct reports
(`/me/directReports`); the only calendar read is the manager's own, through
`/me/calendarView/delta`, with the same cursors, paging, `$batch` replays, limits,
retries and normalisation as the organisation mode: for that mailbox both modes
produce the same observations.

With delegated `User.ReadBasic.All` Graph shows a report's basic profile only: no
job title, no hire date, no `accountEnabled` (a disabled report is listed). Reports
on another provider appear as mail contacts; they are listed too (they are 1:1
partners all the same), with provider "microsoft" since nothing says otherwise.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from connectors.microsoft.calendar import MicrosoftCalendarSource, Reach
from connectors.microsoft.client import GraphClient, JsonObject, Tally, make_http_client
from connectors.microsoft.delegated import DelegatedTokens
from connectors.microsoft.directory import USER_FIELDS, is_user, person_from_user, user_email
from connectors.microsoft.paging import NextLinkPaginator
from connectors.model import CalendarBatch, Person
from connectors.retry import RetryPolicy
from connectors.roster import validate_roster
from connectors.settings import HttpSettings, MicrosoftSignIn, SyncWindow
from connectors.token_store import TokenStore
from core.errors import FatalSourceError, SourceError

_ME_ADDRESSES = "mail,userPrincipalName"


class ForeignMailboxError(FatalSourceError):
    """Self mode was asked for a mailbox other than the signed-in person's own."""


class MicrosoftSelfRoster:
    """`RosterSource` of the signed-in manager and their direct reports."""

    def __init__(
        self,
        signin: MicrosoftSignIn,
        http: HttpSettings,
        store: TokenStore,
        retry: RetryPolicy | None = None,
        *,
        client: httpx.Client | None = None,
    ) -> None:
        self._owns_client = client is None
        self._client = client or make_http_client(http)
        self.tokens = DelegatedTokens(signin, self._client, store)
        self.graph = GraphClient(signin.graph_endpoint, self._client, self.tokens, retry)
        self.tally = Tally()

    def people(self) -> list[Person]:
        """The manager (no manager of their own here), then their reports by email."""
        me = self.graph.get(
            self.graph.url("/me"), "the signed-in user", self.tally, {"$select": USER_FIELDS}
        )
        manager = person_from_user(me, None)
        if manager is None:
            raise FatalSourceError("Graph sent the signed-in user without an address")
        reports = [_report(entry, manager.email) for entry in self._reports()]
        found = sorted(filter(None, reports), key=lambda person: person.email)
        return validate_roster([manager, *found], f"the Microsoft sign-in of {manager.email}")

    def _reports(self) -> list[JsonObject]:
        url = self.graph.url("/me/directReports")
        paginator = NextLinkPaginator("your direct reports", url, endpoint=self.graph.endpoint)
        pages = self.graph.pages(paginator, self.tally)
        return [entry for page in pages for entry in page.get("value") or ()]

    def close(self) -> None:
        """Close the HTTP client if this roster created it."""
        if self._owns_client:
            self._client.close()


def _report(entry: Mapping[str, Any], manager: str) -> Person | None:
    """A direct report: a user of the tenant, or a mail contact (a report elsewhere)."""
    if is_user(entry):
        return person_from_user(entry, manager)
    email = user_email(entry)
    if email is None:  # a device or a group: not a person
        return None
    name = str(entry.get("displayName") or email)
    return Person(email=email, name=name, manager_email=manager, provider="microsoft")


class MicrosoftSelfCalendarSource(MicrosoftCalendarSource):
    """`CalendarSource` of the signed-in person's own mailbox only. Thread-safe.

    Pickled, it travels as its recipe like the organisation-mode source: a worker
    process reads the sign-in from `store` again (connectors/portable.py).
    """

    def __init__(
        self,
        signin: MicrosoftSignIn,
        http: HttpSettings,
        store: TokenStore,
        roster: frozenset[str],
        window: SyncWindow,
        retry: RetryPolicy | None = None,
        *,
        client: httpx.Client | None = None,
        page_size: int = 1000,
        timezone: str = "UTC",
    ) -> None:
        if client is None:  # an injected client stays with its caller: no recipe
            self.remember(
                signin, http, store, roster, window, retry, page_size=page_size, timezone=timezone
            )
        self._owns_client = client is None
        self._client = client or make_http_client(http)
        self.tokens = DelegatedTokens(signin, self._client, store)
        reach = Reach(roster, window, page_size, timezone)
        self._connect(signin.graph_endpoint, signin.limits, self.tokens, http, retry, reach)
        self._own: frozenset[str] | None = None  # the mailbox's addresses, once read
        self._own_lock = threading.Lock()

    def sync_calendar(self, email: str, cursor: str | None) -> CalendarBatch:
        """Read the signed-in mailbox (`email` must be its address): replay `cursor`,
        or a full round when None. Another address raises ForeignMailboxError."""
        refused = self._refusal(email)
        if refused is not None:
            raise refused
        return super().sync_calendar(email, cursor)

    def sync_many(
        self, requests: Sequence[tuple[str, str | None]]
    ) -> list[CalendarBatch | SourceError]:
        """As the organisation mode (replays through `$batch`); another mailbox than the
        signed-in one gets a ForeignMailboxError as its result."""
        refusals = {n: self._refusal(email) for n, (email, _) in enumerate(requests)}
        allowed = [n for n, refused in refusals.items() if refused is None]
        found = iter(super().sync_many([requests[n] for n in allowed]))
        return [next(found) if refused is None else refused for refused in refusals.values()]

    def _refusal(self, email: str) -> ForeignMailboxError | None:
        own = self._addresses()
        if email.lower() in own:
            return None
        return ForeignMailboxError(
            f"mailbox {email}: self mode reads only the signed-in mailbox"
            f" ({', '.join(sorted(own))}); only its owner can sign in to read it"
        )

    def _addresses(self) -> frozenset[str]:
        """The signed-in mailbox's addresses (`mail` and UPN), from `/me` once."""
        with self._own_lock:
            if self._own is None:
                url, params = self.graph.url("/me"), {"$select": _ME_ADDRESSES}
                me = self.graph.get(url, "the signed-in user", Tally(), params)
                addresses = (me.get("mail"), me.get("userPrincipalName"))
                self._own = frozenset(str(a).lower() for a in addresses if a)
            return self._own

    def _delta_url(self, email: str) -> str:
        return self.graph.url("/me/calendarView/delta")
