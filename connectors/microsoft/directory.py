"""The roster from the Microsoft Entra directory through Graph.

Enabled users only; email = `mail`, else the UPN, lower-cased; the manager from
`$expand=manager` on the user list (one paged read), or from `/users/{id}/manager`
per user where `$expand` is unavailable (404 means no manager). A manager outside
this tenant (for example on Google Workspace) is not a Graph manager: the merged
roster fills it from the other provider or the CSV.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import quote

import httpx

from connectors.microsoft.auth import TokenProvider
from connectors.microsoft.client import (
    GraphClient,
    GraphNotFoundError,
    JsonObject,
    Tally,
    make_http_client,
)
from connectors.microsoft.paging import NextLinkPaginator
from connectors.model import Person
from connectors.retry import RetryPolicy
from connectors.settings import HttpSettings, MicrosoftSettings

USER_FIELDS = "id,displayName,mail,userPrincipalName,accountEnabled,employeeHireDate,jobTitle"
MANAGER_FIELDS = "mail,userPrincipalName"
_USER_TYPE = "#microsoft.graph.user"


def user_email(user: Mapping[str, Any]) -> str | None:
    """`mail`, else the UPN, lower-cased; None when the object has neither."""
    email = user.get("mail") or user.get("userPrincipalName")
    return str(email).strip().lower() if email else None


def hire_date(user: Mapping[str, Any]) -> date | None:
    """The date part of `employeeHireDate` (`2024-01-15T00:00:00Z`), if set."""
    value = user.get("employeeHireDate")
    return date.fromisoformat(str(value)[:10]) if value else None


def person_from_user(user: Mapping[str, Any], manager_email: str | None) -> Person | None:
    """A roster Person from a Graph user, or None for a disabled or address-less one."""
    email = user_email(user)
    if not email or user.get("accountEnabled") is False:
        return None
    return Person(
        email=email,
        name=str(user.get("displayName") or email),
        manager_email=manager_email,
        provider="microsoft",
        start_date=hire_date(user),
        title=str(user.get("jobTitle") or "").strip() or None,
    )


def is_user(entry: Mapping[str, Any]) -> bool:
    """Whether a directory object is a user (directReports also hold contacts, devices)."""
    return entry.get("@odata.type", _USER_TYPE) == _USER_TYPE


class MicrosoftDirectoryRoster:
    """`RosterSource` over the tenant's users."""

    def __init__(
        self,
        settings: MicrosoftSettings,
        http: HttpSettings,
        retry: RetryPolicy | None = None,
        *,
        client: httpx.Client | None = None,
        client_certificate: Mapping[str, str] | None = None,
        expand_manager: bool = True,
        page_size: int = 999,
    ) -> None:
        self._owns_client = client is None
        self._client = client or make_http_client(http)
        tokens = TokenProvider(settings, self._client, client_certificate)
        self.graph = GraphClient(settings.graph_endpoint, self._client, tokens, retry)
        self._expand = expand_manager
        self._page_size = page_size
        self.tally = Tally()

    def people(self) -> list[Person]:
        """Every enabled user of the tenant with their manager and hire date."""
        found = []
        for user in self._users():
            manager = self._expanded_manager(user) if self._expand else self.manager_of(user)
            person = person_from_user(user, manager)
            if person is not None:
                found.append(person)
        return sorted(found, key=lambda person: person.email)

    def _users(self) -> list[JsonObject]:
        params = {"$select": USER_FIELDS, "$top": str(self._page_size)}
        if self._expand:
            params["$expand"] = f"manager($select={MANAGER_FIELDS})"
        paginator = NextLinkPaginator(
            "the user list", self.graph.url("/users"), params, endpoint=self.graph.endpoint
        )
        pages = self.graph.pages(paginator, self.tally)
        return [user for page in pages for user in page.get("value") or ()]

    @staticmethod
    def _expanded_manager(user: Mapping[str, Any]) -> str | None:
        manager = user.get("manager")
        return user_email(manager) if isinstance(manager, Mapping) else None

    def manager_of(self, user: Mapping[str, Any]) -> str | None:
        """The manager's email from `/users/{id}/manager`; None when Graph has none (404)."""
        key = quote(str(user.get("id") or user_email(user)))
        url = self.graph.url(f"/users/{key}/manager")
        params = {"$select": MANAGER_FIELDS}
        try:
            return user_email(self.graph.get(url, f"the manager of {key}", self.tally, params))
        except GraphNotFoundError:
            return None

    def direct_reports(self, email: str) -> list[str]:
        """Emails of the users reporting to `email`; contacts and devices skipped."""
        url = self.graph.url(f"/users/{quote(email)}/directReports")
        paginator = NextLinkPaginator(f"the reports of {email}", url, endpoint=self.graph.endpoint)
        pages = self.graph.pages(paginator, self.tally)
        entries = [entry for page in pages for entry in page.get("value") or ()]
        return sorted(e for entry in entries if is_user(entry) and (e := user_email(entry)))

    def close(self) -> None:
        """Close the HTTP client if this roster created it."""
        if self._owns_client:
            self._client.close()
