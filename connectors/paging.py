"""What every provider's paginator shares: the paging step and its loop guard.

Each provider pages its own way (Google: `nextPageToken`, connectors/google/paging.py;
Graph: `@odata.nextLink`, connectors/microsoft/paging.py), both after dlt's
rest_client paginators: the state is updated from each page (`update_state`) and the
next request derives from that state (the provider's own method). A server that hands
back a token or link already followed would page forever; `update_state` makes that
an error for the one listing, here and only here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.errors import FatalSourceError

Page = Mapping[str, Any]


@dataclass
class Paginator(ABC):
    """Whether a page is left, and the tokens (or links) already followed.

    A provider's paginator says where a page points next (`next_token`), moves there
    (`follow`), checks the last page (`last_page`) and words the loop error
    (`repeated`).
    """

    has_next_page: bool = field(default=True, init=False)
    _followed: set[str] = field(default_factory=set, init=False, repr=False)

    def update_state(self, page: Page) -> None:
        """Advance past `page`: to the page it points at, else to the end."""
        token = self.next_token(page)
        if token is None:
            self.has_next_page = False
            self.last_page(page)
            return
        if token in self._followed:
            raise FatalSourceError(self.repeated())
        self._followed.add(token)
        self.follow(token)

    @abstractmethod
    def next_token(self, page: Page) -> str | None:
        """The token or link of the page after `page`, None on the last page."""

    @abstractmethod
    def follow(self, token: str) -> None:
        """Point the next request at `token`'s page."""

    def last_page(self, page: Page) -> None:  # noqa: B027 (a hook: most providers need none)
        """Check what the last page must carry (nothing, unless a provider says)."""

    @abstractmethod
    def repeated(self) -> str:
        """The message of the error for a token or link that came back."""
