"""Attendance evidence: each provider's call records read after the calendars.

Part of the sync flow when `[attendance] enabled`. Each provider's records are read
from where its last read stopped, minus `attendance.overlap_hours` (records arrive
late), up to the sync's clock; the first read reaches back as far as the calendars'
history. Storing is idempotent, so the overlap never counts a call twice. A provider
whose records cannot be read (a missing permission, say) is recorded and named in the
log; the calendars already synced are kept, and every 1:1 of that provider stays
`unknown`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from connectors.model import CallBatch
from core.errors import SourceError
from runtime.config import Config
from runtime.engine import log
from runtime.privacy import PlainIngest, Pseudonymizer
from runtime.resources import Sources, sync_window
from runtime.terminal import plain
from warehouse import Warehouse


@dataclass
class CallsSummary:
    """What the call-record reads did: presences read, providers that failed and why."""

    presences: int = 0
    requests: int = 0
    failed: dict[str, str] = field(default_factory=dict)


def sync_calls(
    config: Config,
    as_of: date,
    sources: Sources,
    warehouse: Warehouse,
    ingest: Pseudonymizer | PlainIngest,
) -> CallsSummary:
    """Read and store every provider's new call records (nothing when none is set up)."""
    summary = CallsSummary()
    until = sources.clock(as_of)
    first = sync_window(config, as_of).start
    overlap = timedelta(hours=config.attendance.overlap_hours)
    for provider, source in sorted(sources.calls.items()):
        stored = warehouse.calls_read_until(provider)
        since = min(stored - overlap, until) if stored is not None else first
        try:
            batch = source.read_calls(since, until)
        except SourceError as error:
            reason = _scrubbed(str(error), sources, ingest)
            log().warning("call records of %s not read: %s", provider, plain(reason))
            warehouse.record_call_failure(provider, reason, until)
            summary.failed[provider] = reason
            continue
        warehouse.store_calls(_ingested(batch, ingest), until)
        summary.presences += len(batch.presences)
        summary.requests += batch.requests
    if sources.calls:
        log().info("read %d call presences", summary.presences)
    return summary


def _scrubbed(text: str, sources: Sources, ingest: Pseudonymizer | PlainIngest) -> str:
    """An error message as the warehouse and the log may keep it: in a pseudonymised run
    every roster address in it replaced by its pseudonym."""
    for person in sources.people:
        text = ingest.text(text, person.email)
    return text


def _ingested(batch: CallBatch, ingest: Pseudonymizer | PlainIngest) -> CallBatch:
    """The batch with each email as the warehouse keeps it (pseudonymised or not)."""
    presences = [replace(p, email=ingest.email(p.email)) for p in batch.presences]
    return replace(batch, presences=presences)
