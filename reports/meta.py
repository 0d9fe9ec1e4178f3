"""What a report run knows besides the metric tables, and what it wrote."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from warehouse.params import MetricParams

_METRICS = MetricParams()  # the metric defaults, declared once


@dataclass(frozen=True)
class ReportMeta:
    """Context shown on every page: the as-of date, freshness and metric parameters.

    `calendars_failed` holds the emails whose last sync failed; the dashboard names
    them so a reader knows which data is missing.
    """

    as_of: date
    timezone: str
    generated_at: datetime
    sandbox: bool
    calendars_total: int
    calendars_failed: list[str]
    last_sync_at: datetime | None
    window_days: int = _METRICS.window_days
    chronic_cancel_rate: float = _METRICS.chronic_cancel_rate
    neglect_days: int = _METRICS.neglect_days
    impact_days: int = _METRICS.impact_days


@dataclass(frozen=True)
class ReportFiles:
    """Paths written by `render_reports`.

    `managers` maps a manager's email to their page, `orgs` a manager with indirect
    reports to their organisation's page (both empty in the one-manager view, whose
    `dashboard` is the manager's team page); `csv` maps a table name to its export.
    """

    dashboard: Path
    managers: Mapping[str, Path] = field(default_factory=dict)
    orgs: Mapping[str, Path] = field(default_factory=dict)
    csv: Mapping[str, Path] = field(default_factory=dict)
