"""The roster from the Google Workspace Directory (Admin SDK `users.list`).

Impersonates `google.admin_subject` (domain-wide delegation, read-only user scope).
Suspended users are left out. The job title is the primary organization's (users.list
returns `organizations` in its default projection). A manager comes from the user's
`relations` entry of type `manager`; one that is not itself a listed user (suspended,
outside the domain, a typo) is dropped and reported as a `RosterIssue`, so a report
is never attached to a manager the roster does not have.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from connectors.google.client import DIRECTORY_SCOPE, build_service, execute, load_credentials
from connectors.google.paging import PageTokenPaginator, pages
from connectors.model import Person
from connectors.retry import RetryPolicy
from connectors.settings import GoogleSettings, HttpSettings
from core.errors import BadInputError

User = Mapping[str, Any]


@dataclass(frozen=True)
class RosterIssue:
    """A problem with one directory entry that did not stop the roster."""

    email: str
    message: str


class GoogleDirectoryRoster:
    """`RosterSource` reading the Google Directory."""

    def __init__(
        self,
        settings: GoogleSettings,
        http: HttpSettings,
        retry: RetryPolicy | None = None,
        page_size: int = 500,
    ) -> None:
        if not settings.admin_subject:
            raise BadInputError("google.admin_subject is required to read the Google Directory")
        self._settings = settings
        self._http = http
        self._retry = retry or RetryPolicy()
        self._page_size = page_size

    def people(self) -> list[Person]:
        """Every active directory user, managers resolved."""
        return self.people_with_issues()[0]

    def people_with_issues(self) -> tuple[list[Person], list[RosterIssue]]:
        """Every active directory user, and the entries whose manager did not resolve."""
        users = [u for u in self._users() if not u.get("suspended")]
        return people_from_users(users)

    def _users(self) -> Iterator[User]:
        subject = str(self._settings.admin_subject)
        credentials = load_credentials(self._settings, [DIRECTORY_SCOPE]).with_subject(subject)
        endpoint = self._settings.api_endpoint
        with build_service("admin", "directory_v1", credentials, endpoint, self._http) as service:
            yield from self._pages(service, f"the Google Directory as {subject}")

    def _pages(self, service: Any, what: str) -> Iterator[User]:
        """Every user on every page; a repeated page token is an error."""
        paginator = PageTokenPaginator(what)

        def fetch() -> dict[str, Any]:
            params = {"customer": "my_customer", "maxResults": self._page_size}
            request = paginator.update_request(params)
            return execute(lambda: service.users().list(**request), self._retry, what)

        for page in pages(paginator, fetch):
            yield from page.get("users", ())


def people_from_users(users: list[User]) -> tuple[list[Person], list[RosterIssue]]:
    """Directory `User` resources → people, with unresolved managers as issues. Pure."""
    emails = {_email(u.get("primaryEmail")) for u in users}
    people: list[Person] = []
    issues: list[RosterIssue] = []
    for user in users:
        email = _email(user.get("primaryEmail"))
        manager = manager_of(user)
        if manager is not None and manager not in emails:
            issues.append(RosterIssue(email, f"manager {manager} is not an active user"))
            manager = None
        people.append(_person(user, email, manager))
    return sorted(people, key=lambda p: p.email), issues


def manager_of(user: User) -> str | None:
    """The normalised email of the user's `manager` relation, if any."""
    for relation in user.get("relations", ()):
        if relation.get("type") == "manager" and _email(relation.get("value")):
            return _email(relation.get("value"))
    return None


def _person(user: User, email: str, manager: str | None) -> Person:
    name = str(user.get("name", {}).get("fullName") or email)
    created = _creation_date(user.get("creationTime"))
    return Person(email, name, manager, "google", created, job_title(user))


def job_title(user: User) -> str | None:
    """The title of the user's primary organization, else of the first one with a title."""
    organizations = [o for o in user.get("organizations") or () if isinstance(o, Mapping)]
    ordered = sorted(organizations, key=lambda o: not o.get("primary"))
    titles = (str(o.get("title") or "").strip() for o in ordered)
    return next((title for title in titles if title), None)


def _creation_date(value: str | None) -> date | None:
    return datetime.fromisoformat(value).date() if value else None


def _email(value: str | None) -> str:
    return (value or "").strip().lower()
