"""Google's `nextPageToken` paging, for one listing alone or inside batch requests.

A `PageTokenPaginator` holds where one listing is: its state is updated from each page
(`update_state`, loop guard included: connectors/paging.py) and the next request's
parameters derive from it (`update_request`), so the one-listing loop (`pages`) and
the batched listings (connectors/google/batch.py) page the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from connectors.paging import Page, Paginator
from core.errors import FatalSourceError


@dataclass
class PageTokenPaginator(Paginator):
    """Where one listing is: the next page token, or done.

    With `sync=True` (events.list) the last page must carry a `nextSyncToken`, kept in
    `sync_token`: a listing without one leaves nothing to sync from next time.
    `what` names the listing for messages ("the calendar of alice@example.com").
    """

    what: str
    sync: bool = field(default=False, kw_only=True)
    page_token: str | None = field(default=None, init=False)
    sync_token: str | None = field(default=None, init=False)

    def update_request(self, params: dict[str, Any]) -> dict[str, Any]:
        """`params` of the next page's request (the client drops a None `pageToken`)."""
        return {**params, "pageToken": self.page_token}

    def next_token(self, page: Page) -> str | None:
        """The page's `nextPageToken`."""
        return str(page["nextPageToken"]) if page.get("nextPageToken") else None

    def follow(self, token: str) -> None:
        """Ask for `token`'s page next."""
        self.page_token = token

    def last_page(self, page: Page) -> None:
        """Keep the listing's `nextSyncToken` (required with `sync`)."""
        self.page_token = None
        if not self.sync:
            return
        sync_token = page.get("nextSyncToken")
        if not sync_token:
            raise FatalSourceError(f"Google sent no nextSyncToken for {self.what}")
        self.sync_token = str(sync_token)

    def repeated(self) -> str:
        """The loop error's message."""
        return f"Google repeated a page token while reading {self.what}"


def pages(paginator: PageTokenPaginator, fetch: Callable[[], dict[str, Any]]) -> Iterator[Page]:
    """Every page of one listing; `fetch` reads the page `paginator` points at."""
    while paginator.has_next_page:
        page = fetch()
        paginator.update_state(page)
        yield page
