"""Parameters of the occurrence rules and metrics (README "What it measures")."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class OrgCalendar:
    timezone: str = "UTC"  # IANA; dates, ISO weeks and workdays are local to it
    workdays: tuple[int, ...] = (1, 2, 3, 4, 5)  # ISO weekday numbers, Monday = 1
    work_hours_per_day: float = 8.0


@dataclass(frozen=True)
class MetricParams:
    window_days: int = 90
    impact_days: int = 14
    late_cancel_hours: float = 24.0
    neglect_days: int = 30
    intro_grace_days: int = 14
    chronic_cancel_rate: float = 0.25
    chronic_min_scheduled: int = 4
    min_minutes: int = 10
    max_minutes: int = 180
    # A held 1:1 with call evidence that one of the two never joined (a no-show) is not
    # held for gaps, neglect, coverage and leverage (warehouse.metrics.counts_as_held).
    require_attendance: bool = False


@dataclass(frozen=True)
class PhaseParams:
    """Relationship phases: get to know → share context → maintain."""

    get_to_know_held: int = 3  # held 1:1s on a line that end get_to_know
    share_context_days: int = 120  # share_context lasts until this long after the line's start
    expected_days: tuple[int, int, int] = (7, 7, 14)  # a 1:1 expected every … days, per phase
    behind_below: float = 0.5  # a line whose adherence is below this is behind its phase


@dataclass(frozen=True)
class BuildContext:
    """Everything a build needs besides the data."""

    as_of: date
    org: OrgCalendar = field(default_factory=OrgCalendar)
    params: MetricParams = field(default_factory=MetricParams)
    phases: PhaseParams = field(default_factory=PhaseParams)
    history_start: date | None = None  # first day of synced history (neglect fallback)
