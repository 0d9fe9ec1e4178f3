"""Sources for one manager's own team: their signed-in calendar, or a calendar file.

In these modes only the manager's calendar is read (`Sources.owners`): every 1:1 with
a report is on it. The roster is the manager and their direct reports.
"""

from __future__ import annotations

from contextlib import closing
from dataclasses import replace

from connectors.model import CalendarSource, Person, Provider
from connectors.settings import GoogleSignIn, HttpSettings, MicrosoftSignIn, SyncWindow
from connectors.team import team_roster, with_details
from connectors.token_store import TokenStore, default_directory
from core.errors import BadInputError
from runtime.config import Config


def token_store(config: Config, provider: Provider) -> TokenStore:
    """Where `oneonone login <provider>` keeps the tokens for this configuration."""
    directory = config.login.directory or default_directory()
    return TokenStore(f"{provider}-signin", directory, config.login.store)


def google_signin(config: Config) -> GoogleSignIn:
    section = config.google
    if section.oauth_client_file is None:
        raise BadInputError(
            "google.oauth_client_file: not configured; expected the JSON of a Desktop-app"
            " OAuth client, as the Google Cloud console downloads it"
        )
    return GoogleSignIn(section.oauth_client_file, section.api_endpoint, section.limits())


def microsoft_signin(config: Config) -> MicrosoftSignIn:
    section = config.microsoft
    if not section.client_id:
        raise BadInputError(
            "microsoft.client_id: not configured; expected the application (client) id of"
            " an app registration that allows public client flows"
        )
    return MicrosoftSignIn(
        section.client_id,
        section.tenant_id or "organizations",
        section.authority,
        section.graph_endpoint,
        section.limits(),
    )


def http_settings(config: Config) -> HttpSettings:
    return HttpSettings(config.http.ca_bundle, config.http.timeout_s, config.http.max_concurrency)


def signed_in_team(
    config: Config, window: SyncWindow
) -> tuple[list[Person], dict[Provider, CalendarSource], str]:
    """The signed-in manager's team, the source of their own calendar, and their address."""
    http = http_settings(config)
    if config.roster.provider == "google":
        from connectors.google.calendar import GoogleCalendarSource
        from connectors.google.oauth import signed_in_email

        signin, store = google_signin(config), token_store(config, "google")
        owner = signed_in_email(signin, http, store)
        people = team_roster(owner, "google", config.roster.reports, config.roster.path)
        roster = frozenset(p.email for p in people)
        source = GoogleCalendarSource.signed_in(signin, http, store, roster, window)
        return people, {"google": source}, owner
    from connectors.microsoft.self_mode import MicrosoftSelfCalendarSource, MicrosoftSelfRoster

    ms_signin, ms_store = microsoft_signin(config), token_store(config, "microsoft")
    with closing(MicrosoftSelfRoster(ms_signin, http, ms_store)) as directory:
        people = directory.people()
    if config.roster.path is not None:  # start dates and titles Graph does not give
        people = with_details(people, config.roster.path)
    owner = next(p.email for p in people if p.manager_email is None)
    roster = frozenset(p.email for p in people)
    ms_source = MicrosoftSelfCalendarSource(ms_signin, http, ms_store, roster, window)
    return people, {"microsoft": ms_source}, owner


def file_team(
    config: Config, window: SyncWindow
) -> tuple[list[Person], dict[Provider, CalendarSource], str]:
    """The team of the manager whose calendar file is configured, and its source (the
    file is read here: a malformed one stops the run before anything is written)."""
    from connectors.ics import IcsCalendarSource, calendar_owner

    path = config.roster.calendar_file
    assert path is not None  # checked when the config was loaded
    owner = config.roster.owner or calendar_owner(path)
    if owner is None:
        raise BadInputError(
            f"roster.owner: {path} does not say whose calendar it is (Outlook's exports"
            " do not); expected your address in roster.owner (or oneonone import --owner)"
        )
    team = team_roster(owner, "google", config.roster.reports, config.roster.path)
    roster = frozenset(p.email for p in team)
    source = IcsCalendarSource(
        path, owner, roster, window, config.roster.provider, config.org.timezone
    )
    people = [replace(person, provider=source.provider) for person in team]
    return people, {source.provider: source}, owner
