"""Google's `nextPageToken` paging, for one listing alone or inside batch requests.

A `PageTokenPaginator` holds where one listing is: its state is updated from each page
(`update_state`) and the next request's parameters derive from it (`update_request`),
so the one-listing loop (`pages`) and the batched listings (connectors/google/batch.py)
page the same way. A token that comes back a second time is an error, not a loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from connectors.errors import FatalSourceError

Page = dict[str, Any]


class PageTokenPaginator:
    """Where one listing is: the next page token, or done.

    With `sync=True` (events.list) the last page must carry a `nextSyncToken`, kept in
    `sync_token`: a listing without one leaves nothing to sync from next time.
    `what` names the listing for messages ("the calendar of alice@example.com").
    """

    def __init__(self, what: str, *, sync: bool = False) -> None:
        self.what = what
        self.page_token: str | None = None
        self.sync_token: str | None = None
        self.has_next_page = True
        self._sync = sync
        self._seen: set[str] = set()

    def update_state(self, page: Page) -> None:
        """Advance past `page`: to its `nextPageToken`, else to the end of the listing."""
        token = page.get("nextPageToken")
        if token:
            if token in self._seen:
                raise FatalSourceError(f"Google repeated a page token while reading {self.what}")
            self._seen.add(token)
            self.page_token = str(token)
            return
        self.has_next_page = False
        self.page_token = None
        if self._sync:
            sync_token = page.get("nextSyncToken")
            if not sync_token:
                raise FatalSourceError(f"Google sent no nextSyncToken for {self.what}")
            self.sync_token = str(sync_token)

    def update_request(self, params: dict[str, Any]) -> dict[str, Any]:
        """`params` of the next page's request (the client drops a None `pageToken`)."""
        return {**params, "pageToken": self.page_token}


def pages(paginator: PageTokenPaginator, fetch: Callable[[], Page]) -> Iterator[Page]:
    """Every page of one listing; `fetch` reads the page `paginator` points at."""
    while paginator.has_next_page:
        page = fetch()
        paginator.update_state(page)
        yield page
