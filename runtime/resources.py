"""Build the roster and calendar connectors a run needs, live or from the sandbox."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from connectors.google.calendar import GoogleCalendarSource
from connectors.google.client import CALENDAR_SCOPE, load_credentials
from connectors.google.directory import GoogleDirectoryRoster, RosterIssue
from connectors.google.meet import GoogleMeetSource
from connectors.microsoft.calendar import MicrosoftCalendarSource
from connectors.microsoft.calls import MicrosoftCallSource
from connectors.microsoft.directory import MicrosoftDirectoryRoster
from connectors.model import CalendarSource, CallSource, Person, Provider
from connectors.roster import CsvRoster
from connectors.settings import (
    GoogleSettings,
    HttpSettings,
    MicrosoftSettings,
    Secret,
    SyncWindow,
)
from core.errors import BadInputError
from runtime.config import Config
from runtime.secrets import resolve_secret
from runtime.terminal import plain

if TYPE_CHECKING:
    from rich.console import Console

    from connectors.sandbox.app import Sandbox

T = TypeVar("T")

__all__ = ["Sources", "check_inputs", "open_sources", "serve_sandbox", "sync_window"]


def _now(as_of: date) -> datetime:
    return datetime.now(UTC)


def _sandbox_clock(as_of: date) -> datetime:
    """The sandbox lives on its anchor day: a sync sees it at this time of that day."""
    return datetime.combine(as_of, datetime.now(UTC).time(), tzinfo=UTC)


@dataclass
class Sources:
    """The roster read for this run and one calendar connector per provider in use.

    `resumable`: stored cursors can be replayed (not for the embedded sandbox, a new
    server with new tokens every run, so its calendars always sync in full).
    `clock(as_of)`: when a sync sees the data. `calls`: a call-record reader per
    provider in use, only with `[attendance] enabled`.
    """

    people: list[Person]
    calendars: dict[Provider, CalendarSource]
    sandbox: Sandbox | None = field(default=None, repr=False)
    calls: dict[Provider, CallSource] = field(default_factory=dict)  # attendance enabled
    resumable: bool = True
    clock: Callable[[date], datetime] = _now
    # One manager's own calendar (a sign-in or a calendar file): the only one synced.
    manager: str | None = None

    @property
    def synced_people(self) -> list[Person]:
        """Whose calendars a sync reads: everyone's, or the one manager's."""
        if self.manager is None:
            return self.people
        return [p for p in self.people if p.email == self.manager]


def sync_window(config: Config, as_of: date) -> SyncWindow:
    """The reach of a full sync around `as_of` (history before, horizon after)."""
    midnight = datetime.combine(as_of, time(), tzinfo=UTC)
    return SyncWindow(
        midnight - timedelta(days=config.sync.history_days),
        midnight + timedelta(days=config.sync.horizon_days),
    )


def check_inputs(config: Config) -> None:
    """Read the local inputs a run depends on (key and certificate files, secrets, a CSV
    roster), so that bad input stops the run before the warehouse is opened."""
    if config.roster.one_manager:
        _check_one_manager(config)
    if config.uses_sandbox or config.roster.one_manager:
        return
    google, microsoft = _google_settings(config), _microsoft_settings(config)
    if google is not None:
        load_credentials(google, [CALENDAR_SCOPE])
    if config.roster.source == "csv":
        assert config.roster.path is not None  # checked when the config was loaded
        providers = {p.provider for p in CsvRoster(config.roster.path).people()}
        for provider, settings in (("google", google), ("microsoft", microsoft)):
            if provider in providers:
                _required(settings, provider)


def _check_one_manager(config: Config) -> None:
    """A calendar file is read whole (a malformed one names its line); a Google sign-in's
    client file is checked."""
    if config.roster.source == "ics":
        from runtime.one_manager import file_team

        file_team(config, sync_window(config, datetime.now(UTC).date()))
    elif config.roster.provider == "google":
        from connectors.google.oauth import read_client
        from runtime.one_manager import google_signin

        read_client(google_signin(config).client_file)


@contextmanager
def open_sources(config: Config, as_of: date) -> Iterator[Sources]:
    """Connectors for `config`; for the sandbox, a running sandbox anchored on `as_of`."""
    window = sync_window(config, as_of)
    with ExitStack() as stack:
        if config.uses_sandbox:
            sources = _sandbox_sources(config, stack, as_of, window)
        elif config.roster.one_manager:
            sources = _one_manager_sources(config, window)
        else:
            sources = _live_sources(config, window)
        for calendar in [*sources.calendars.values(), *sources.calls.values()]:
            close = getattr(calendar, "close", None)
            if close is not None:
                stack.callback(close)
        yield sources


def serve_sandbox(directory: Path, port: int, size: int, seed: int, out: Console) -> None:
    """`oneonone sandbox`: serve the sandbox org until Ctrl-C (connectors.sandbox.embedded)."""
    from connectors.sandbox.embedded import serve_sandbox as serve

    serve(directory, port, size, seed, out)


def _sandbox_sources(config: Config, stack: ExitStack, as_of: date, window: SyncWindow) -> Sources:
    # The sandbox loads only for a run that uses it.
    from connectors.sandbox.embedded import embedded_sandbox

    sandbox, roster = stack.enter_context(embedded_sandbox(as_of))
    people = CsvRoster(roster).people()
    # The configured limits apply to the sandbox too (its Graph side enforces Graph's).
    google = replace(sandbox.google, limits=config.google.limits())
    microsoft = replace(sandbox.microsoft, limits=config.microsoft.limits())
    calendars = _calendars(people, google, microsoft, sandbox.http, window)
    calls = _calls(config, people, google, microsoft, sandbox.http)
    return Sources(people, calendars, sandbox, resumable=False, clock=_sandbox_clock, calls=calls)


def _one_manager_sources(config: Config, window: SyncWindow) -> Sources:
    from runtime.one_manager import file_team, signed_in_team

    team = signed_in_team if config.roster.source == "self" else file_team
    people, calendars, manager = team(config, window)
    return Sources(people, calendars, manager=manager)


def _live_sources(config: Config, window: SyncWindow) -> Sources:
    http = HttpSettings(config.http.ca_bundle, config.http.timeout_s, config.http.max_concurrency)
    google = _google_settings(config)
    microsoft = _microsoft_settings(config)
    people = _read_roster(config, google, microsoft, http)
    calendars = _calendars(people, google, microsoft, http, window)
    return Sources(people, calendars, calls=_calls(config, people, google, microsoft, http))


def _read_roster(
    config: Config,
    google: GoogleSettings | None,
    microsoft: MicrosoftSettings | None,
    http: HttpSettings,
) -> list[Person]:
    source = config.roster.source
    if source == "csv":
        assert config.roster.path is not None  # checked when the config was loaded
        return CsvRoster(config.roster.path).people()
    if source == "google":
        google_directory = GoogleDirectoryRoster(_required(google, "google"), http)
        people, issues = google_directory.people_with_issues()
        _log_issues(issues, config.privacy.pseudonymize)
        return people
    with closing(MicrosoftDirectoryRoster(_required(microsoft, "microsoft"), http)) as directory:
        return directory.people()


def _log_issues(issues: list[RosterIssue], pseudonymize: bool) -> None:
    """Directory entries whose manager did not resolve (kept without a manager, so no
    report is attached to the wrong person); only their number in a pseudonymised run."""
    from runtime.engine import log  # Prefect's logger when orchestrated; loads Prefect

    if issues and pseudonymize:
        log().warning("%d directory users kept without a manager (unresolved)", len(issues))
        return
    for issue in issues:
        log().warning(
            "directory user %s kept without a manager: %s", plain(issue.email), plain(issue.message)
        )


def _calendars(
    people: list[Person],
    google: GoogleSettings | None,
    microsoft: MicrosoftSettings | None,
    http: HttpSettings,
    window: SyncWindow,
) -> dict[Provider, CalendarSource]:
    roster = frozenset(p.email for p in people)
    in_use = {p.provider for p in people}
    calendars: dict[Provider, CalendarSource] = {}
    if "google" in in_use:
        calendars["google"] = GoogleCalendarSource(
            _required(google, "google"), http, roster, window
        )
    if "microsoft" in in_use:
        settings = _required(microsoft, "microsoft")
        calendars["microsoft"] = MicrosoftCalendarSource(settings, http, roster, window)
    return calendars


def _calls(
    config: Config,
    people: list[Person],
    google: GoogleSettings | None,
    microsoft: MicrosoftSettings | None,
    http: HttpSettings,
) -> dict[Provider, CallSource]:
    """A call-record reader per provider in use; none unless attendance is enabled."""
    if not config.attendance.enabled:
        return {}
    roster = frozenset(p.email for p in people)
    in_use = {p.provider for p in people}
    calls: dict[Provider, CallSource] = {}
    if "google" in in_use:
        calls["google"] = GoogleMeetSource(_required(google, "google"), http, roster)
    if "microsoft" in in_use:
        settings = _required(microsoft, "microsoft")
        calls["microsoft"] = MicrosoftCallSource(settings, http, roster)
    return calls


def _google_settings(config: Config) -> GoogleSettings | None:
    section = config.google
    if section.service_account_file is None:
        return None
    if not section.service_account_file.is_file():
        raise BadInputError(
            f"google.service_account_file: {section.service_account_file} does not exist"
        )
    return GoogleSettings(
        section.service_account_file,
        section.admin_subject,
        section.api_endpoint,
        limits=section.limits(),
        reports_admin_subject=section.reports_admin_subject,
    )


def _microsoft_settings(config: Config) -> MicrosoftSettings | None:
    section = config.microsoft
    secret, certificate = section.client_secret, section.client_certificate_file
    if not (section.tenant_id and section.client_id and (secret or certificate)):
        return None
    return MicrosoftSettings(
        section.tenant_id,
        section.client_id,
        resolve_secret(secret, "microsoft.client_secret") if secret else None,
        section.authority,
        section.graph_endpoint,
        client_certificate=_certificate(certificate) if certificate else None,
        client_certificate_thumbprint=section.client_certificate_thumbprint,
        limits=section.limits(),
    )


def _certificate(path: Path) -> Secret:
    try:
        return Secret(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise BadInputError(
            f"microsoft.client_certificate_file: cannot read {path} ({error.strerror})"
        ) from None


def _required(settings: T | None, provider: str) -> T:
    if settings is None:
        keys = {
            "google": "google.service_account_file",
            "microsoft": "microsoft.tenant_id, microsoft.client_id and a client secret or"
            " certificate",
        }[provider]
        raise BadInputError(f"the roster has {provider} people but {keys} is not configured")
    return settings
