"""`oneonone doctor`: check what a run needs, without writing anything, and say what is missing."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial

from rich.console import Console
from rich.text import Text

from connectors.model import Provider
from core.errors import OneOnOneError
from runtime.config import Config
from runtime.resources import Sources, open_sources
from runtime.terminal import text


def run_checks(config: Config, as_of: date, out: Console) -> bool:
    """Print one line per check; True when everything a run needs is in place."""
    results = [_check(out, "output folders are writable", lambda: _writable(config))]
    try:
        with open_sources(config, as_of) as sources:
            results.append(_report(out, "roster read", f"{len(sources.people)} people"))
            for provider in sorted(sources.calendars):
                label = f"{provider} calendars readable"
                results.append(_check(out, label, partial(_probe, sources, provider)))
            for provider in sorted(sources.calls):
                label = f"{provider} call records readable"
                results.append(_check(out, label, partial(_probe_calls, sources, provider)))
    except OneOnOneError as error:
        results.append(_report(out, "roster and credentials", str(error), ok=False))
    return all(results)


def _probe(sources: Sources, provider: str) -> str:
    person = next(p for p in sources.synced_people if p.provider == provider)
    batch = sources.calendars[provider].sync_calendar(person.email, None)  # type: ignore[index]
    return f"{person.email}: {batch.events_read} events read, nothing stored"


def _probe_calls(sources: Sources, provider: Provider) -> str:
    until = datetime.now(UTC)
    batch = sources.calls[provider].read_calls(until - timedelta(days=1), until)
    return f"{len(batch.presences)} presences in the last day, nothing stored"


def _writable(config: Config) -> str:
    for folder in (config.warehouse.path.parent, config.report.out_dir):
        target = folder if folder.exists() else folder.parent
        if not os.access(target, os.W_OK):
            raise PermissionError(f"{target} is not writable")
    return f"{config.warehouse.path}, {config.report.out_dir}"


def _check(out: Console, label: str, probe: Callable[[], str]) -> bool:
    try:
        detail = probe()
    except (OneOnOneError, OSError) as error:
        return _report(out, label, str(error), ok=False)
    return _report(out, label, detail)


def _report(out: Console, label: str, detail: str, ok: bool = True) -> bool:
    mark = ("ok  ", "green") if ok else ("FAIL", "red")
    out.print(Text.assemble(mark, f" {label}: ", text(detail)), highlight=False)
    return ok
