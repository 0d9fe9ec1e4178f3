"""Graph's `@odata.nextLink` paging, for one collection alone or inside `$batch`.

A `NextLinkPaginator` holds where one collection read is: its state is updated from
each page (`update_state`, loop guard included: connectors/paging.py) and the next
request derives from it (`url`, `params`, or `relative` inside a `$batch`), so
`GraphClient.pages` and the batched delta rounds (connectors/microsoft/batch.py) page
the same way."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from connectors.paging import Page, Paginator
from core.errors import FatalSourceError


def relative_url(link: str, endpoint: str) -> str | None:
    """`link` relative to the Graph `endpoint` (`/users/…`), or None if elsewhere."""
    root = endpoint.rstrip("/")
    return link[len(root) :] if link.startswith(root + "/") else None


@dataclass
class NextLinkPaginator(Paginator):
    """Where one collection read is: the next page's URL, or done.

    `url` (absolute) and `params` (the first request's only: a nextLink carries its
    own query) make the next request. With `delta=True` the last page must carry an
    `@odata.deltaLink`, kept in `delta_link`. With `endpoint` set (always, in the
    connector) a nextLink elsewhere is an error; inside a `$batch` the next request is
    relative to it.
    `subject` names the read for messages ("mailbox alice@example.com").
    """

    subject: str
    url: str
    params: Mapping[str, str] | None = None
    delta: bool = field(default=False, kw_only=True)
    endpoint: str | None = field(default=None, kw_only=True)
    delta_link: str | None = field(default=None, init=False)

    def relative(self) -> str:
        """The next page's URL relative to `endpoint` (what a `$batch` carries)."""
        return self._relative(self.url)

    def next_token(self, page: Page) -> str | None:
        """The page's `@odata.nextLink`."""
        link = page.get("@odata.nextLink")
        return str(link) if link else None

    def follow(self, token: str) -> None:
        """Ask for the nextLink `token` next, verbatim (it carries its own query).

        A link off the Graph endpoint is refused before anything is sent to it: it
        would carry the app's bearer token to another host.
        """
        if self.endpoint is not None:
            self._relative(token)
        self.url, self.params = token, None

    def last_page(self, page: Page) -> None:
        """Keep the round's `@odata.deltaLink` (required with `delta`)."""
        if not self.delta:
            return
        self.delta_link = str(page.get("@odata.deltaLink") or "") or None
        if self.delta_link is None:
            message = f"Graph ended a delta round without a deltaLink for {self.subject}"
            raise FatalSourceError(message)

    def repeated(self) -> str:
        """The loop error's message."""
        return f"Graph repeated a page link for {self.subject}"

    def _relative(self, link: str) -> str:
        found = relative_url(link, self.endpoint or "")
        if found is None:
            raise FatalSourceError(f"Graph sent a nextLink outside its endpoint for {self.subject}")
        return found
