"""An independent, deliberately simple reference computation of the planted truth.

It reads the instances straight from the model and applies the metric rules (README
"What it measures") as plainly as possible (no shared code with the warehouse), with
the org time zone UTC.
The roster is the active members; the start date of each reporting line is the
report's `reports_since` (a change of manager), else `hired_on` (what the sandbox's
roster gives as start_date), and there is one roster snapshot, so a line's history is
credited only to the current manager.
It can be restricted to a part of the org (`within`): the lines whose report is in
it, read from its people's calendars, and the sets cut down to its people.

Relationship phases use the default phase parameters (`PhaseParams`): a line that
started within the generated history is getting to know each other until
`get_to_know_held` held 1:1s since it started, expected every `expected_days[0]` days
meanwhile, and behind below `behind_below` of that.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from connectors.sandbox.model import Instance, Member, SandboxOrg, Truth
from warehouse.params import MetricParams, OrgCalendar, PhaseParams

PHASES = PhaseParams()
FALLING_BY = 0.05  # the falling subtree's least drop in mean coverage over a week
CHECKED_SETS = (
    "neglected",
    "chronic_cancelers",
    "intro_overdue",
    "never_met",
    "get_to_know",
    "under_served",
)


class TruthMismatchError(AssertionError):
    """The generator planted something other than what the metric rules compute."""


@dataclass(frozen=True)
class Occurrence:
    """One candidate 1:1 instance and its status under the metric rules."""

    pair: frozenset[str]
    start: datetime
    original_start: datetime
    created_at: datetime
    one_off: bool
    status: str  # held, upcoming, cancelled, declined, replaced
    by: str | None  # who cancelled or declined

    @property
    def day(self) -> date:
        return self.start.date()


def reference_truth(
    org: SandboxOrg, params: MetricParams | None = None, within: set[str] | None = None
) -> Truth:
    """Neglected reports, chronic cancelers, overdue intros, never-met reports and the
    lines still getting to know each other (of the people `within`, when given)."""
    params = params or MetricParams()
    lines = line_starts(org.people, within)
    by_pair, occurrences = _occurrences(org, org.anchor, params, within)
    truth = Truth()
    window_start = org.anchor - timedelta(days=params.window_days)
    for (report, manager), valid_from in lines.items():
        line_occurrences = [o for o in by_pair[frozenset((report, manager))] if o.day >= valid_from]
        held = [o.day for o in line_occurrences if o.status == "held"]
        if (org.anchor - max(held, default=valid_from)).days > params.neglect_days:
            truth.neglected.add(report)
        if not held and (org.anchor - valid_from).days > params.intro_grace_days:
            truth.intro_overdue.add(report)
        if valid_from >= org.history_start and len(held) < PHASES.get_to_know_held:
            truth.get_to_know.add(report)
            eligible = (org.anchor - max(window_start, valid_from)).days
            expected = eligible / PHASES.expected_days[0]
            in_window = sum(day >= window_start for day in held)
            if held and expected >= 1 and in_window / expected < PHASES.behind_below:
                truth.under_served.add(report)
    cancelers = chronic(by_pair, lines, org.anchor, params)
    truth.chronic_cancelers = cancelers if within is None else cancelers & within
    met = {person for o in occurrences if o.status == "held" for person in o.pair}
    truth.never_met = {report for report, _ in lines} - met
    return truth


def line_starts(
    people: list[Member], within: set[str] | None = None
) -> dict[tuple[str, str], date]:
    """(report, manager) → start date of every active line (whose report is `within`)."""
    roster = {p.email for p in people if p.active}
    return {
        (p.email, p.manager_email): p.reports_since or p.hired_on
        for p in people
        if p.active and p.manager_email in roster and (within is None or p.email in within)
    }


def _occurrences(
    org: SandboxOrg,
    as_of: date,
    params: MetricParams,
    within: set[str] | None,
    instances: list[Instance] | None = None,
    people: list[Member] | None = None,
) -> tuple[dict[frozenset[str], list[Occurrence]], list[Occurrence]]:
    """The 1:1 occurrences on the calendars of the people `within` (default: everyone;
    or among `instances`, between `people`), with their status as of `as_of`, by pair
    and all together."""
    people = org.people if people is None else people
    roster = {p.email for p in people if p.active}
    google = {p.email for p in people if p.provider == "google"}
    if instances is None:
        everyone = {p.email for p in people}
        instances = org.calendars.gather(everyone if within is None else within)
    occurrences = mark_replaced(candidates(instances, roster, google, as_of, params))
    by_pair: dict[frozenset[str], list[Occurrence]] = defaultdict(list)
    for occurrence in occurrences:
        by_pair[occurrence.pair].append(occurrence)
    return by_pair, occurrences


def subtree_coverage(
    org: SandboxOrg,
    root: str,
    as_ofs: list[date],
    params: MetricParams | None = None,
    calendar: OrgCalendar | None = None,
    people: list[Member] | None = None,
) -> list[float | None]:
    """For each of `as_ofs`, the mean coverage over the lines of `root`'s subtree (the
    lines whose manager is `root` or below it) active on that day; None without one.
    `people`: the roster to read (default: the org's; any part holding the subtree)."""
    params, calendar = params or MetricParams(), calendar or OrgCalendar()
    people = org.people if people is None else people
    below = subtree(people, root)
    people = [p for p in people if p.email in below or p.email == root]
    starts = line_starts(people, below)
    instances = org.calendars.gather(below | {root})
    means: list[float | None] = []
    for as_of in as_ofs:
        by_pair, _ = _occurrences(org, as_of, params, None, instances, people)
        coverages = [
            line_coverage(
                [o.day for o in by_pair[frozenset(pair)] if o.status == "held" and o.day >= start],
                start,
                as_of,
                params,
                calendar,
            )
            for pair, start in starts.items()
            if start <= as_of
        ]
        known = [c for c in coverages if c is not None]
        means.append(sum(known) / len(known) if known else None)
    return means


def line_coverage(
    held: list[date], start: date, as_of: date, params: MetricParams, calendar: OrgCalendar
) -> float | None:
    """Share of the line's workdays in the window (from its start) that fall within
    `impact_days` after a held 1:1; None without such a workday."""
    first = max(as_of - timedelta(days=params.window_days), start)
    days = [first + timedelta(days=n) for n in range((as_of - first).days)]
    workdays = [day for day in days if day.isoweekday() in calendar.workdays]
    impact = timedelta(days=params.impact_days)
    covered = [day for day in workdays if any(h <= day < h + impact for h in held)]
    return len(covered) / len(workdays) if workdays else None


def subtree(people: list[Member], root: str) -> set[str]:
    """Everyone below `root` in the roster, directly or not."""
    reports: dict[str, list[str]] = defaultdict(list)
    for person in people:
        if person.manager_email:
            reports[person.manager_email].append(person.email)
    found: set[str] = set()
    below = [root]
    while below:
        for report in reports[below.pop()]:
            found.add(report)
            below.append(report)
    return found


def unseen(instance: Instance, google: set[str]) -> bool:
    """A one-off cancelled or deleted so that no calendar shows it with its data.

    Google keeps a deleted event with its data on the organizer's calendar (an
    attendee's keeps only its id); on Microsoft a cancelled meeting stays, marked
    cancelled, on the attendee's calendar until they delete it, and a deleted one is
    gone everywhere.
    """
    if instance.series_id is not None or not (instance.cancelled or instance.deleted):
        return False
    if instance.organizer in google:
        return False
    others = {a.email for a in instance.attendees}
    return instance.deleted or bool(others & google) or bool(others & instance.removed_by)


def candidates(
    instances: list[Instance],
    roster: set[str],
    google: set[str],
    anchor: date,
    params: MetricParams,
) -> list[Occurrence]:
    """The instances that are 1:1s between two roster members, with their status.

    `google` is the people whose calendars are on Google (see `unseen`).
    """
    as_of = datetime(anchor.year, anchor.month, anchor.day, tzinfo=UTC)
    found = []
    for instance in instances:
        if instance.all_day or instance.kind != "default" or unseen(instance, google):
            continue
        if any(a.group for a in instance.attendees):
            continue
        others = [a for a in instance.attendees if not a.resource]
        minutes = (instance.end - instance.start).total_seconds() / 60
        if len(others) != 1 or not params.min_minutes <= minutes <= params.max_minutes:
            continue
        other = others[0]
        if other.email == instance.organizer or {other.email, instance.organizer} - roster:
            continue
        if instance.cancelled or instance.deleted:
            status, by = "cancelled", instance.organizer
        elif other.response == "declined" or other.email in instance.removed_by:
            status, by = "declined", other.email
        else:
            status, by = ("held" if instance.end <= as_of else "upcoming"), None
        pair = frozenset((instance.organizer, other.email))
        found.append(
            Occurrence(
                pair,
                instance.start,
                instance.original_start,
                instance.created_at,
                instance.series_id is None,
                status,
                by,
            )
        )
    return found


def mark_replaced(occurrences: list[Occurrence]) -> list[Occurrence]:
    """Cancelled/declined occurrences the pair rebooked as a one-off become `replaced`."""
    one_offs: dict[frozenset[str], list[Occurrence]] = defaultdict(list)
    for o in occurrences:
        if o.one_off:
            one_offs[o.pair].append(o)
    result = []
    for o in occurrences:
        if o.status in ("cancelled", "declined") and any(
            r.status in ("held", "upcoming")
            and o.original_start - timedelta(days=2)
            <= r.start
            <= o.original_start + timedelta(days=7)
            and r.created_at >= o.original_start - timedelta(days=14)
            for r in one_offs[o.pair]
        ):
            o = Occurrence(
                o.pair, o.start, o.original_start, o.created_at, o.one_off, "replaced", o.by
            )
        result.append(o)
    return result


def chronic(
    by_pair: dict[frozenset[str], list[Occurrence]],
    lines: dict[tuple[str, str], date],
    anchor: date,
    params: MetricParams,
) -> set[str]:
    """People whose initiated rate over their manager–report occurrences is chronic."""
    first = anchor - timedelta(days=params.window_days)
    exposure: dict[str, int] = defaultdict(int)
    initiated: dict[str, int] = defaultdict(int)
    for (report, manager), valid_from in lines.items():
        for o in by_pair[frozenset((report, manager))]:
            if o.day < max(first, valid_from) or o.day >= anchor:
                continue
            if o.status not in ("held", "cancelled", "declined"):
                continue
            for person in (report, manager):
                exposure[person] += 1
            if o.by is not None:
                initiated[o.by] += 1
    return {
        person
        for person, count in exposure.items()
        if count >= params.chronic_min_scheduled
        and initiated[person] / count >= params.chronic_cancel_rate
    }


def check_truth(org: SandboxOrg, within: set[str] | None = None) -> None:
    """Raise `TruthMismatchError` unless the reference computation (over the people
    `within`, when given) equals `org.truth`."""
    reference = reference_truth(org, within=within)
    for name in CHECKED_SETS:
        planted, computed = getattr(org.truth, name), getattr(reference, name)
        if planted != computed:
            raise TruthMismatchError(
                f"{name}: planted only {sorted(planted - computed)}, "
                f"computed only {sorted(computed - planted)}"
            )
    if org.truth.falling_subtree is not None:
        part = org.people if within is None else [p for p in org.people if p.email in within]
        _check_falling(org, org.truth.falling_subtree, part)


def _check_falling(org: SandboxOrg, root: str, people: list[Member]) -> None:
    as_ofs = [org.anchor - timedelta(days=7), org.anchor]
    week_before, now = subtree_coverage(org, root, as_ofs, people=people)
    if week_before is None or now is None or now > week_before - FALLING_BY:
        raise TruthMismatchError(
            f"falling_subtree: {root}'s mean coverage went from {week_before} to {now}"
        )
