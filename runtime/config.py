"""The one configuration object: a TOML file, then `ONEONONE_<SECTION>__<KEY>` overrides.

Every key is optional. A bad file or value raises `BadInputError` naming the file, the
key and what is expected, before anything is written.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from connectors.settings import (
    GOOGLE_API_ENDPOINT,
    GOOGLE_MAX_BATCH,
    GRAPH_ENDPOINT,
    GRAPH_MAX_BATCH,
    MICROSOFT_AUTHORITY,
    GoogleLimits,
    HttpSettings,
    MicrosoftLimits,
)
from core.errors import BadInputError
from runtime.config_checks import Origin, check_ca_bundle, check_consistency, describe
from warehouse.params import MetricParams, OrgCalendar, PhaseParams

ENV_PREFIX = "ONEONONE_"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SECRET_REFERENCE = re.compile(r"^(env:[A-Za-z_][A-Za-z0-9_]*|prefect:[a-z0-9][a-z0-9-]*)$")


def _secret_reference(value: str) -> str:
    if not SECRET_REFERENCE.match(value):
        raise ValueError(
            "expected 'env:VARIABLE' or 'prefect:secret-block-name' (never the secret itself)"
        )
    return value


# Where a secret goes: a reference to it, never the value.
SecretReference = Annotated[str, AfterValidator(_secret_reference)]
_METRICS, _ORG, _HTTP, _PHASES = MetricParams(), OrgCalendar(), HttpSettings(), PhaseParams()
_GOOGLE, _MICROSOFT = GoogleLimits(), MicrosoftLimits()


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OrgConfig(Section):
    timezone: str = "UTC"
    workdays: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    work_hours_per_day: float = Field(_ORG.work_hours_per_day, gt=0, le=24)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("expected an IANA time zone such as 'Europe/Berlin'") from None
        return value

    @field_validator("workdays")
    @classmethod
    def _weekday_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        days = tuple(day.strip().lower()[:3] for day in value)
        if not days or any(day not in WEEKDAYS for day in days):
            raise ValueError("expected a non-empty list of weekday names such as ['Mon', 'Tue']")
        return days

    def calendar(self) -> OrgCalendar:
        iso = tuple(sorted(WEEKDAYS.index(day) + 1 for day in set(self.workdays)))
        return OrgCalendar(self.timezone, iso, self.work_hours_per_day)


class RosterConfig(Section):
    """Who is in the organisation: a CSV, a directory, the sandbox; or one manager and
    their reports ("self": the signed-in manager's own calendar; "ics": a calendar file)."""

    source: Literal["csv", "google", "microsoft", "sandbox", "self", "ics"] = "sandbox"
    path: Path | None = None  # csv: the roster; self and ics: the reports, as a CSV
    provider: Literal["google", "microsoft"] | None = None  # self: whose sign-in
    reports: tuple[str, ...] = ()  # self (Google) and ics: the direct reports' addresses
    calendar_file: Path | None = None  # ics: the exported calendar (.ics)
    owner: str | None = None  # ics: whose calendar the file is (default: from the file)

    @field_validator("reports")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for address in value:
            if "@" not in address:
                raise ValueError(f"expected email addresses, got {address!r}")
        return tuple(address.strip().lower() for address in value)

    @field_validator("owner")
    @classmethod
    def _owner_address(cls, value: str | None) -> str | None:
        if value is not None and "@" not in value:
            raise ValueError(f"expected an email address, got {value!r}")
        return value.strip().lower() if value else value

    @property
    def one_manager(self) -> bool:
        """One manager's own calendar, not the organisation's."""
        return self.source in ("self", "ics")


# The documented quotas are the defaults; a project granted more may raise them.
_QUOTA_CEILING = 10_000_000


class GoogleConfig(Section):
    service_account_file: Path | None = None
    oauth_client_file: Path | None = None  # roster.source = "self": a Desktop-app client
    admin_subject: str | None = None
    reports_admin_subject: str | None = None  # reads the Meet audit log; None: admin_subject
    api_endpoint: str = GOOGLE_API_ENDPOINT
    requests_per_minute: int = Field(_GOOGLE.requests_per_minute, ge=1, le=_QUOTA_CEILING)
    requests_per_minute_per_calendar: int = Field(
        _GOOGLE.requests_per_minute_per_calendar, ge=1, le=_QUOTA_CEILING
    )
    batch_size: int = Field(_GOOGLE.batch_size, ge=1, le=GOOGLE_MAX_BATCH)

    def limits(self) -> GoogleLimits:
        return GoogleLimits(
            self.requests_per_minute, self.requests_per_minute_per_calendar, self.batch_size
        )

    @field_validator("api_endpoint")
    @classmethod
    def _root_url(cls, value: str) -> str:
        if not value.startswith("https://"):
            raise ValueError("expected an https:// URL")
        return value if value.endswith("/") else value + "/"


class MicrosoftConfig(Section):
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret: SecretReference | None = Field(None, repr=False)
    client_certificate_file: Path | None = None
    client_certificate_thumbprint: str | None = None
    authority: str = MICROSOFT_AUTHORITY
    graph_endpoint: str = GRAPH_ENDPOINT
    concurrent_per_mailbox: int = Field(_MICROSOFT.concurrent_per_mailbox, ge=1, le=64)
    requests_per_10_minutes_per_mailbox: int = Field(
        _MICROSOFT.requests_per_10_minutes_per_mailbox, ge=1, le=_QUOTA_CEILING
    )
    batch_size: int = Field(_MICROSOFT.batch_size, ge=1, le=GRAPH_MAX_BATCH)

    def limits(self) -> MicrosoftLimits:
        return MicrosoftLimits(
            self.concurrent_per_mailbox, self.requests_per_10_minutes_per_mailbox, self.batch_size
        )

    @field_validator("authority", "graph_endpoint")
    @classmethod
    def _https(cls, value: str) -> str:
        if not value.startswith("https://"):
            raise ValueError("expected an https:// URL (msal and Graph require TLS)")
        return value.rstrip("/")


class LoginConfig(Section):
    """Where `oneonone login` keeps a manager's tokens (owner-only)."""

    store: Literal["auto", "keyring", "file"] = "auto"  # auto: the OS keyring if any
    directory: Path | None = None  # None: $XDG_CONFIG_HOME/oneonone or ~/.config/oneonone


class HttpConfig(Section):
    ca_bundle: Path | None = None
    timeout_s: float = Field(_HTTP.timeout_s, gt=0, le=3600)
    max_concurrency: int = Field(_HTTP.max_concurrency, ge=1, le=64)


class SyncConfig(Section):
    history_days: int = Field(180, ge=1, le=3660)
    horizon_days: int = Field(28, ge=0, le=366)


class MetricsConfig(Section):
    window_days: int = Field(_METRICS.window_days, ge=1, le=3660)
    impact_days: int = Field(_METRICS.impact_days, ge=1, le=366)
    late_cancel_hours: float = Field(_METRICS.late_cancel_hours, ge=0, le=8784)
    neglect_days: int = Field(_METRICS.neglect_days, ge=1, le=3660)
    intro_grace_days: int = Field(_METRICS.intro_grace_days, ge=0, le=3660)
    chronic_cancel_rate: float = Field(_METRICS.chronic_cancel_rate, gt=0, le=1)
    chronic_min_scheduled: int = Field(_METRICS.chronic_min_scheduled, ge=1)
    min_minutes: int = Field(_METRICS.min_minutes, ge=1, le=1440)
    max_minutes: int = Field(_METRICS.max_minutes, ge=1, le=1440)
    require_attendance: bool = _METRICS.require_attendance

    def params(self) -> MetricParams:
        return MetricParams(**self.model_dump())


class PhasesConfig(Section):
    """Relationship phases (get_to_know, share_context, maintain) and their cadences."""

    get_to_know_held: int = Field(_PHASES.get_to_know_held, ge=1, le=1000)
    share_context_days: int = Field(_PHASES.share_context_days, ge=0, le=3660)
    expected_days: tuple[int, ...] = _PHASES.expected_days
    behind_below: float = Field(_PHASES.behind_below, gt=0, le=1)

    @field_validator("expected_days")
    @classmethod
    def _three_cadences(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if len(value) != 3 or any(days < 1 or days > 3660 for days in value):
            raise ValueError(
                "expected three whole numbers of days (1–3660), for get_to_know,"
                " share_context and maintain, such as [7, 7, 14]"
            )
        return value

    def params(self) -> PhaseParams:
        get_to_know, share_context, maintain = self.expected_days
        return PhaseParams(
            self.get_to_know_held,
            self.share_context_days,
            (get_to_know, share_context, maintain),
            self.behind_below,
        )


class AttendanceConfig(Section):
    """Call records as evidence that 1:1s happened (off: no call API is touched)."""

    enabled: bool = False
    # Each run reads again from this long before where the last one stopped: Google's
    # Meet log fills in hours late.
    overlap_hours: int = Field(48, ge=0, le=24 * 30)


class WarehouseConfig(Section):
    path: Path = Path("oneonone.duckdb")


class EmailConfig(Section):
    """SMTP delivery of the run summary after each scheduled run (report.email)."""

    host: str
    port: int = Field(587, ge=1, le=65535)
    starttls: bool = True
    from_address: str = Field(alias="from")
    to: tuple[str, ...] = Field(min_length=1)
    username: str | None = None
    password: SecretReference | None = Field(None, repr=False)
    attach: bool = True  # attach dashboard.html; else only link to it
    link: str | None = None  # where readers open the dashboard (an intranet URL)

    @field_validator("from_address", "to")
    @classmethod
    def _addresses(cls, value: str | tuple[str, ...]) -> str | tuple[str, ...]:
        for address in (value,) if isinstance(value, str) else value:
            if "@" not in address:
                raise ValueError(f"expected an email address, got {address!r}")
        return value


class ReportConfig(Section):
    out_dir: Path = Path("out")
    email: EmailConfig | None = None


class RunConfig(Section):
    """How a run executes: on local threads, or on a Dask cluster past one machine."""

    executor: Literal["threads", "dask"] = "threads"
    dask_address: str | None = None  # an existing scheduler; None starts a local cluster
    staging_dir: Path | None = None  # None: <warehouse.path>.staging beside the warehouse
    build_partitions: int | None = Field(None, ge=1, le=4096)  # None: from the raw size
    # Weekly snapshots a first run leaves in the history tables (its own and the weeks
    # before it, backfilled); 0 backfills nothing. At most ten years of weeks.
    history_weeks: int = Field(12, ge=0, le=520)

    def staging_for(self, warehouse: Path) -> Path:
        """Where sync tasks stage their batches for the writer."""
        return self.staging_dir or warehouse.with_name(warehouse.name + ".staging")


class PrivacyConfig(Section):
    pseudonymize: bool = False
    key: SecretReference | None = Field(None, repr=False)


class Config(Section):
    """Everything a run needs, validated once at start-up."""

    org: OrgConfig = OrgConfig()
    roster: RosterConfig = RosterConfig()
    google: GoogleConfig = GoogleConfig()
    microsoft: MicrosoftConfig = MicrosoftConfig()
    http: HttpConfig = HttpConfig()
    login: LoginConfig = LoginConfig()
    sync: SyncConfig = SyncConfig()
    metrics: MetricsConfig = MetricsConfig()
    phases: PhasesConfig = PhasesConfig()
    attendance: AttendanceConfig = AttendanceConfig()
    warehouse: WarehouseConfig = WarehouseConfig()
    report: ReportConfig = ReportConfig()
    privacy: PrivacyConfig = PrivacyConfig()
    run: RunConfig = RunConfig()

    @property
    def uses_sandbox(self) -> bool:
        return self.roster.source == "sandbox"


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Read `path` (if given), apply environment overrides, validate, resolve paths."""
    raw = _read_toml(path) if path else {}
    origin = Origin(str(path) if path else "configuration")
    origin.variables = _apply_env(raw, os.environ if environ is None else environ)
    try:
        config = Config.model_validate(raw)
    except ValidationError as error:
        raise BadInputError(describe(error, origin)) from None
    check_consistency(config, origin)
    config = _resolve_paths(config, path.parent if path else Path.cwd())
    check_ca_bundle(config.http.ca_bundle, origin)
    return config


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BadInputError(f"{path}: no such configuration file") from None
    except IsADirectoryError:
        raise BadInputError(f"{path}: is a directory; expected a TOML configuration file") from None
    except OSError as error:
        raise BadInputError(f"{path}: cannot read the configuration ({error.strerror})") from None
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise BadInputError(f"{path}: line {line}: not UTF-8; expected a UTF-8 TOML file") from None
    except tomllib.TOMLDecodeError as error:
        raise BadInputError(f"{path}: not valid TOML: {error}") from None


def _apply_env(raw: dict[str, Any], environ: Mapping[str, str]) -> dict[str, str]:
    """Merge ONEONONE_SECTION__KEY variables into `raw`; return key → variable name."""
    applied: dict[str, str] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        section, _, key = name[len(ENV_PREFIX) :].lower().partition("__")
        target = raw.setdefault(section, {})
        if isinstance(target, dict):
            target[key] = _env_value(value)
            applied[f"{section}.{key}"] = name
    return applied


def _env_value(text: str) -> Any:
    """Environment values are TOML literals when they parse as one, else strings."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _resolve_paths(config: Config, base: Path) -> Config:
    def resolve(value: Path | None) -> Path | None:
        return value if value is None or value.is_absolute() else base / value

    return config.model_copy(
        update={
            "roster": config.roster.model_copy(
                update={
                    "path": resolve(config.roster.path),
                    "calendar_file": resolve(config.roster.calendar_file),
                }
            ),
            "google": config.google.model_copy(
                update={
                    "service_account_file": resolve(config.google.service_account_file),
                    "oauth_client_file": resolve(config.google.oauth_client_file),
                }
            ),
            "login": config.login.model_copy(update={"directory": resolve(config.login.directory)}),
            "microsoft": config.microsoft.model_copy(
                update={
                    "client_certificate_file": resolve(config.microsoft.client_certificate_file)
                }
            ),
            "http": config.http.model_copy(update={"ca_bundle": resolve(config.http.ca_bundle)}),
            "warehouse": config.warehouse.model_copy(
                update={"path": resolve(config.warehouse.path)}
            ),
            "report": config.report.model_copy(update={"out_dir": resolve(config.report.out_dir)}),
            "run": config.run.model_copy(update={"staging_dir": resolve(config.run.staging_dir)}),
        }
    )


def today_in(timezone: str) -> date:
    """Today's date in the org time zone (the default as_of)."""
    from datetime import datetime

    return datetime.now(ZoneInfo(timezone)).date()
