"""Checks of a configuration, and errors naming where a bad value came from.

An error names the file or the `ONEONONE_…` variable that set the key, the key and
what is expected; it never shows the value of a key that may hold a secret.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from core.errors import BadInputError

if TYPE_CHECKING:
    from runtime.config import Config

# Errors of a value given where a table (a section or report.email) is expected.
TABLE_ERRORS = frozenset({"model_type", "model_attributes_type", "dict_type"})


class Origin:
    """Where a key's value came from: its `ONEONONE_…` variable, else the file."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.variables: dict[str, str] = {}  # "section.key" → variable name

    def of(self, key: str) -> str:
        """The variable that set `key`, a key inside it or a key under it; else the file."""
        for applied, variable in self.variables.items():
            if key == applied or key.startswith(applied + ".") or applied.startswith(key + "."):
                return variable
        return self.source


def describe(error: ValidationError, origin: Origin) -> str:
    """One line per invalid key: where it was set, the key, what is expected."""
    lines = []
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"])
        lines.append(f"{origin.of(key)}: {key}: {_problem(item)}")
    return "invalid configuration:\n  " + "\n  ".join(lines)


def _problem(item: ErrorDetails) -> str:
    """What is wrong with a value and what is expected; the value itself only when it
    cannot be a secret (not a whole table, not a secret-bearing key)."""
    key = ".".join(str(part) for part in item["loc"])
    if item["type"] == "extra_forbidden":
        return "unknown key"
    if item["type"] in TABLE_ERRORS:
        return f"expected a table ([{key}] with its keys), not a single value"
    message = item["msg"].removeprefix("Value error, ")
    secret = any(word in key for word in ("secret", "password")) or key.endswith(".key")
    if secret or isinstance(item["input"], dict | list | tuple):
        return message
    return f"{message} (got {item['input']!r})"


def check_consistency(config: Config, origin: Origin) -> None:
    """Keys that are valid alone but not together; the error names the variable that
    set one of them, else the file."""

    def fail(key: str, because: str, *others: str) -> None:
        keys = (key, *others)
        where = next((w for w in map(origin.of, keys) if w != origin.source), origin.source)
        raise BadInputError(f"{where}: {key}: {because}")

    if config.privacy.pseudonymize and config.privacy.key is None:
        fail("privacy.key", "required when privacy.pseudonymize is true", "privacy.pseudonymize")
    if config.roster.source == "csv" and config.roster.path is None:
        fail("roster.path", "required when roster.source = 'csv'", "roster.source")
    _check_one_manager(config, fail)
    if config.metrics.min_minutes > config.metrics.max_minutes:
        fail("metrics.min_minutes", "must not exceed metrics.max_minutes", "metrics.max_minutes")


def _check_one_manager(config: Config, fail: Callable[..., None]) -> None:
    """The keys one manager's own run needs (roster.source "self" or "ics")."""
    roster = config.roster
    if roster.source == "self" and roster.provider is None:
        fail("roster.provider", "required when roster.source = 'self' ('google' or 'microsoft')")
    if roster.source == "self" and roster.provider == "google":
        if config.google.oauth_client_file is None:
            fail("google.oauth_client_file", "required to sign in with Google", "roster.source")
        if not roster.reports and roster.path is None:
            fail(
                "roster.reports",
                "a Google sign-in cannot read who reports to you: list your reports'"
                " addresses, or give them in a CSV (roster.path)",
                "roster.source",
            )
    if (
        roster.source == "self"
        and roster.provider == "microsoft"
        and not config.microsoft.client_id
    ):
        fail("microsoft.client_id", "required to sign in with Microsoft", "roster.source")
    if roster.one_manager and config.attendance.enabled:
        fail(
            "attendance.enabled",
            "call records need an administrator's permissions (the Meet audit log, Teams"
            " callRecords); expected false with roster.source 'self' or 'ics'",
            "roster.source",
        )
    if roster.source == "ics" and roster.calendar_file is None:
        fail("roster.calendar_file", "required when roster.source = 'ics'", "roster.source")
    if roster.source == "ics" and not roster.reports and roster.path is None:
        fail(
            "roster.reports",
            "list your reports' addresses, or give them in a CSV (roster.path)",
            "roster.source",
        )


def check_ca_bundle(path: Path | None, origin: Origin) -> None:
    """The CA file every client will load: a readable PEM file, checked before any write."""
    if path is None:
        return
    import ssl  # here, not at the top: most commands start without a CA bundle to check

    where = f"{origin.of('http.ca_bundle')}: http.ca_bundle"
    if not path.is_file():
        raise BadInputError(
            f"{where}: {path} is not a file; expected a PEM file of CA certificates"
        )
    try:
        ssl.create_default_context(cafile=str(path))
    except (OSError, ssl.SSLError, ValueError):
        raise BadInputError(f"{where}: {path}: expected a PEM file of CA certificates") from None
