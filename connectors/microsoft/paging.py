"""Graph's `@odata.nextLink` paging, for one collection alone or inside `$batch`.

A `NextLinkPaginator` holds where one collection read is: its state is updated from
each page (`update_state`) and the next request derives from it (`url`, `params`, or
`relative` inside a `$batch`), so `GraphClient.pages` and the batched delta rounds
(connectors/microsoft/batch.py) page the same way. A link that comes back a second
time is an error, not a loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.errors import FatalSourceError

Page = Mapping[str, Any]


def relative_url(link: str, endpoint: str) -> str | None:
    """`link` relative to the Graph `endpoint` (`/users/…`), or None if elsewhere."""
    root = endpoint.rstrip("/")
    return link[len(root) :] if link.startswith(root + "/") else None


class NextLinkPaginator:
    """Where one collection read is: the next page's URL, or done.

    `url` (absolute) and `params` (the first request's only: a nextLink carries its
    own query) make the next request. With `delta=True` the last page must carry an
    `@odata.deltaLink`, kept in `delta_link`. With `endpoint` set (inside a `$batch`,
    whose inner URLs are relative to it) a nextLink elsewhere is an error.
    `subject` names the read for messages ("mailbox alice@example.com").
    """

    def __init__(
        self,
        subject: str,
        url: str,
        params: Mapping[str, str] | None = None,
        *,
        delta: bool = False,
        endpoint: str | None = None,
    ) -> None:
        self.subject = subject
        self.url = url
        self.params = params
        self.delta_link: str | None = None
        self.has_next_page = True
        self._delta = delta
        self._endpoint = endpoint
        self._seen: set[str] = set()

    def update_state(self, page: Page) -> None:
        """Advance past `page`: to its nextLink, else to the end of the collection."""
        link = page.get("@odata.nextLink")
        if link:
            self._follow(str(link))
            return
        self.has_next_page = False
        if self._delta:
            self.delta_link = str(page.get("@odata.deltaLink") or "") or None
            if self.delta_link is None:
                message = f"Graph ended a delta round without a deltaLink for {self.subject}"
                raise FatalSourceError(message)

    def relative(self) -> str:
        """The next page's URL relative to `endpoint` (what a `$batch` carries)."""
        return self._relative(self.url)

    def _follow(self, link: str) -> None:
        if link in self._seen:
            raise FatalSourceError(f"Graph repeated a page link for {self.subject}")
        self._seen.add(link)
        if self._endpoint is not None:
            self._relative(link)  # refused now, not when the next batch is built
        self.url, self.params = link, None  # followed verbatim

    def _relative(self, link: str) -> str:
        found = relative_url(link, self._endpoint or "")
        if found is None:
            raise FatalSourceError(f"Graph sent a nextLink outside its endpoint for {self.subject}")
        return found
