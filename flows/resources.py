"""Build the roster and calendar connectors a run needs, live or from the sandbox."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TypeVar

from connectors.errors import BadInputError
from connectors.google.calendar import GoogleCalendarSource
from connectors.google.client import CALENDAR_SCOPE, load_credentials
from connectors.google.directory import GoogleDirectoryRoster, RosterIssue
from connectors.microsoft.calendar import MicrosoftCalendarSource
from connectors.microsoft.directory import MicrosoftDirectoryRoster
from connectors.model import CalendarSource, Person, Provider
from connectors.roster import CsvRoster
from connectors.sandbox.app import Sandbox, start_sandbox
from connectors.sandbox.server import Fault, Reply
from connectors.settings import (
    GoogleSettings,
    HttpSettings,
    MicrosoftSettings,
    Secret,
    SyncWindow,
)
from flows.config import Config
from flows.engine import log
from flows.sandbox_cli import write_roster_csv
from flows.secrets import resolve_secret
from flows.terminal import plain

T = TypeVar("T")

# Sandbox-only testing knob: comma-separated mailboxes whose calendar always answers
# 404 (no mailbox), to exercise partial runs end to end, deployments included.
SANDBOX_FAIL_ENV = "ONEONONE_SANDBOX_FAIL"
# Sandbox-only knob: people in the synthetic organisation (default 200); tests that
# run whole deployments use a smaller one.
SANDBOX_SIZE_ENV = "ONEONONE_SANDBOX_SIZE"


@dataclass
class Sources:
    """The roster read for this run and one calendar connector per provider in use."""

    people: list[Person]
    calendars: dict[Provider, CalendarSource]
    sandbox: Sandbox | None = field(default=None, repr=False)


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
    if config.uses_sandbox:
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


@contextmanager
def open_sources(config: Config, as_of: date) -> Iterator[Sources]:
    """Connectors for `config`; for the sandbox, a running sandbox anchored on `as_of`."""
    window = sync_window(config, as_of)
    with ExitStack() as stack:
        if config.uses_sandbox:
            sources = _sandbox_sources(stack, as_of, window)
        else:
            sources = _live_sources(config, window)
        for calendar in sources.calendars.values():
            close = getattr(calendar, "close", None)
            if close is not None:
                stack.callback(close)
        yield sources


def _sandbox_sources(stack: ExitStack, as_of: date, window: SyncWindow) -> Sources:
    """The sandbox roster comes as a CSV file: no single directory can say that a
    Microsoft report's manager is on Google Workspace (the merger case)."""
    state = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="oneonone-sandbox-")))
    size = int(os.environ.get(SANDBOX_SIZE_ENV) or 200)
    sandbox = stack.enter_context(start_sandbox(state, anchor=as_of, size=size))
    for email in _listed(os.environ.get(SANDBOX_FAIL_ENV, "")):
        fail_mailbox(sandbox, email)
    people = CsvRoster(write_roster_csv(sandbox, state / "roster.csv")).people()
    calendars = _calendars(people, sandbox.google, sandbox.microsoft, sandbox.http, window)
    return Sources(people, calendars, sandbox)


def _live_sources(config: Config, window: SyncWindow) -> Sources:
    http = HttpSettings(config.http.ca_bundle, config.http.timeout_s, config.http.max_concurrency)
    google = _google_settings(config)
    microsoft = _microsoft_settings(config)
    people = _read_roster(config, google, microsoft, http)
    return Sources(people, _calendars(people, google, microsoft, http, window))


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


def _google_settings(config: Config) -> GoogleSettings | None:
    section = config.google
    if section.service_account_file is None:
        return None
    if not section.service_account_file.is_file():
        raise BadInputError(
            f"google.service_account_file: {section.service_account_file} does not exist"
        )
    return GoogleSettings(section.service_account_file, section.admin_subject, section.api_endpoint)


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


def _listed(text: str) -> list[str]:
    return [item.strip().lower() for item in text.split(",") if item.strip()]


def fail_mailbox(sandbox: Sandbox, email: str) -> None:
    """Make the sandbox answer 404 to every calendar request for `email`, for good."""
    local, _, domain = email.partition("@")
    who = re.escape(local) + "(@|%40)" + re.escape(domain)
    forever = 1 << 62
    google = {"error": {"code": 404, "message": "Not Found", "errors": [{"reason": "notFound"}]}}
    graph = {"error": {"code": "MailboxNotEnabledForRESTAPI", "message": "no mailbox"}}
    sandbox.server.add_fault(Fault(f"/calendars/{who}/events", Reply.json(google, 404), forever))
    sandbox.server.add_fault(Fault(f"/users/{who}/calendarView", Reply.json(graph, 404), forever))
