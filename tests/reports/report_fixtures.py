"""A small literal organisation in the metric-table shape the warehouse produces.

zoe manages alice and erin; alice manages bob, carol and dan; erin manages frank and
grace (a new hire not yet met); dan, promoted on 2026-01-05, manages hugo (started
2026-02-16, met once) and ivy (started 2026-02-23, not met yet). Four levels: zoe and
alice have indirect reports, so they have organisation pages; erin and dan do not.
Neglected: carol (45 days) and grace (never met). Chronic cancelers: alice (a manager)
and frank (a report). erin cancels at a high rate but has too little exposure to be
chronic. Phases (window 90 days, expected every 7/7/14 days): grace, hugo and ivy get
to know their manager (grace and ivy behind), dan shares context after his new title,
the rest maintain; everyone but hugo is behind their phase.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import polars as pl

from reports.meta import ReportMeta
from warehouse.org import ORG_KPI_SCHEMA, ORG_ROLLUP_SCHEMA

AS_OF = date(2026, 3, 2)
TZ = "Europe/Berlin"
D = "@example.com"

NAMES = {
    "zoe": "Zoe Chief",
    "alice": "Alice Archer",
    "erin": "Erin Ember",
    "bob": "Bob Baker",
    "carol": "Carol Cruz",
    "dan": "Dan Dorn",
    "frank": "Frank Fox",
    "grace": "Grace Gill",
    "hugo": "Hugo Hale",
    "ivy": "Ivy Irons",
}
TITLES = {
    "zoe": "Chief Executive",
    "alice": "VP Engineering",
    "erin": "VP Sales",
    "bob": "Engineer",
    "carol": "Engineer",
    "dan": "Engineering Manager",
    "frank": "Account Executive",
    "grace": "Account Executive",
    "hugo": "Engineer",
    "ivy": "Engineer",
}
MANAGER_OF = {
    "alice": "zoe",
    "erin": "zoe",
    "bob": "alice",
    "carol": "alice",
    "dan": "alice",
    "frank": "erin",
    "grace": "erin",
    "hugo": "dan",
    "ivy": "dan",
}
STARTED = {"grace": date(2026, 1, 20), "hugo": date(2026, 2, 16), "ivy": date(2026, 2, 23)}
NEGLECTED = {"carol", "grace"}
CHRONIC = {"alice", "frank"}
ALICE_TEAM = {"bob", "carol", "dan"}
ALICE_ORG = ALICE_TEAM | {"hugo", "ivy"}  # alice's direct and indirect reports
BEHIND_ORDER = ["grace", "ivy", "erin", "dan", "alice", "carol", "frank", "bob"]


def e(who: str) -> str:
    """The fixture email of a short name."""
    return who + D


def ts(text: str) -> datetime:
    """A UTC timestamp from 'YYYY-MM-DD HH:MM'."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


TSZ = pl.Datetime("us", "UTC")


def people() -> pl.DataFrame:
    rows = [
        (e(k), v, e(MANAGER_OF[k]) if k in MANAGER_OF else None, "google", TITLES[k])
        for k, v in NAMES.items()
    ]
    schema = ["email", "name", "manager_email", "provider", "title"]
    return pl.DataFrame(rows, schema=schema, orient="row")


def reporting_lines() -> pl.DataFrame:
    rows = [(e(r), e(m), STARTED.get(r), None) for r, m in MANAGER_OF.items()]
    return pl.DataFrame(
        rows,
        schema={
            "report_email": pl.String,
            "manager_email": pl.String,
            "valid_from": pl.Date,
            "valid_to": pl.Date,
        },
        orient="row",
    )


OCC_SCHEMA = {
    "occurrence_id": pl.String,
    "manager_email": pl.String,
    "report_email": pl.String,
    "relation": pl.String,
    "person_a": pl.String,
    "person_b": pl.String,
    "organizer_email": pl.String,
    "scheduled_start": TSZ,
    "start": TSZ,
    "end": TSZ,
    "local_date": pl.Date,
    "minutes": pl.Int64,
    "status": pl.String,
    "rescheduled": pl.Boolean,
    "canceled_by": pl.String,
    "cancel_lead_hours": pl.Float64,
    "recurring": pl.Boolean,
    "series_key": pl.String,
    "has_agenda": pl.Boolean,
    "providers": pl.String,
    "attendance": pl.String,
    "attended_minutes": pl.Float64,
}
# Call evidence: who joined which held 1:1 (the rest are unknown: in person or no record).
ATTENDED = {1, 4, 9, 11}
NO_SHOWS = {8, 13}  # alice–dan on 20 Feb, dan–hugo on 18 Feb: one of the two never joined


def _occ(
    i: int,
    m: str,
    r: str,
    start: str,
    status: str,
    *,
    by: str | None = None,
    lead: float | None = None,
    moved: bool = False,
) -> tuple[object, ...]:
    s = ts(start)
    a, b = sorted([e(m), e(r)])
    attendance = "attended" if i in ATTENDED else "no_show" if i in NO_SHOWS else "unknown"
    return (
        f"o{i}",
        e(m),
        e(r),
        "manager_report",
        a,
        b,
        e(m),
        s,
        s,
        s.replace(minute=30),
        s.date(),
        30,
        status,
        moved,
        e(by) if by else None,
        lead,
        True,
        f"{m}-{r}",
        False,
        "google",
        attendance,
        28.0 if attendance == "attended" else None,
    )


def occurrences() -> pl.DataFrame:
    rows = [
        _occ(1, "alice", "bob", "2026-02-02 09:00", "held"),
        _occ(2, "alice", "bob", "2026-02-09 09:00", "cancelled", by="alice", lead=2.0),
        _occ(3, "alice", "bob", "2026-02-16 09:00", "replaced", by="alice", lead=30.0),
        _occ(4, "alice", "bob", "2026-02-17 14:00", "held", moved=True),
        _occ(5, "alice", "bob", "2026-02-23 09:00", "cancelled", by="alice", lead=1.0),
        _occ(6, "alice", "bob", "2026-03-09 09:00", "upcoming"),
        _occ(7, "alice", "carol", "2026-01-16 10:00", "held"),
        _occ(8, "alice", "dan", "2026-02-20 11:00", "held"),
        _occ(9, "erin", "frank", "2026-02-05 13:00", "held"),
        _occ(10, "erin", "frank", "2026-02-19 13:00", "declined", by="frank", lead=3.0),
        _occ(11, "zoe", "alice", "2026-02-10 08:00", "held"),
        _occ(12, "zoe", "erin", "2026-02-11 08:00", "cancelled", by="erin", lead=48.0),
        _occ(13, "dan", "hugo", "2026-02-18 09:00", "held"),
        _occ(14, "dan", "ivy", "2026-03-04 09:00", "upcoming"),
    ]
    return pl.DataFrame(rows, schema=OCC_SCHEMA, orient="row")


PAIR_COLUMNS = {
    "manager_email": pl.String,
    "report_email": pl.String,
    "valid_from": pl.Date,
    "scheduled": pl.Int64,
    "held": pl.Int64,
    "cancelled": pl.Int64,
    "declined": pl.Int64,
    "cancel_rate": pl.Float64,
    "cancelled_by_manager": pl.Int64,
    "cancelled_by_report": pl.Int64,
    "late_cancellations": pl.Int64,
    "rescheduled": pl.Int64,
    "held_hours": pl.Float64,
    "median_gap_days": pl.Float64,
    "max_gap_days": pl.Int64,
    "cadence": pl.String,
    "last_held_date": pl.Date,
    "days_since_last": pl.Int64,
    "next_scheduled_at": TSZ,
    "coverage": pl.Float64,
    "leverage_hours": pl.Float64,
    "leverage_ratio": pl.Float64,
    "agenda_rate": pl.Float64,
    "neglected": pl.Boolean,
    "intro_overdue": pl.Boolean,
    "phase": pl.String,
    "phase_since": pl.Date,
    "expected_in_window": pl.Float64,
    "adherence": pl.Float64,
    "behind_phase": pl.Boolean,
    "gap_cv": pl.Float64,
    "attended": pl.Int64,
    "no_show": pl.Int64,
    "attended_rate": pl.Float64,
    "unscheduled_call_hours": pl.Float64,
}
# report → (attended, no_show, unscheduled call hours): alice 0.75 h, zoe 1 h, others 0
CALLS = {"bob": (2, 0, 0.5), "dan": (0, 1, 0.25), "frank": (1, 0, 0.0), "alice": (1, 0, 0.0),
         "erin": (0, 0, 1.0), "hugo": (0, 1, 0.0)}  # fmt: skip
UNSCHEDULED = {"alice": 0.75, "erin": 0.0, "zoe": 1.0, "dan": 0.0}  # manager → hours
MAINTAIN = 90 / 14  # expected 1:1s in the 90-day window for a line older than the history
# report → (phase, phase_since, expected_in_window, adherence)
PHASES = {
    "bob": ("maintain", None, MAINTAIN, 2 / MAINTAIN),
    "carol": ("maintain", None, MAINTAIN, 1 / MAINTAIN),
    "dan": ("share_context", date(2026, 1, 5), 90 / 7, 7 / 90),
    "frank": ("maintain", None, MAINTAIN, 1 / MAINTAIN),
    "grace": ("get_to_know", date(2026, 1, 20), 41 / 7, 0.0),
    "alice": ("maintain", None, MAINTAIN, 1 / MAINTAIN),
    "erin": ("maintain", None, MAINTAIN, 0.0),
    "hugo": ("get_to_know", date(2026, 2, 16), 2.0, 0.5),
    "ivy": ("get_to_know", date(2026, 2, 23), 1.0, 0.0),
}


def pair_metrics() -> pl.DataFrame:
    nxt = ts("2026-03-09 09:00")
    rows = [
        (
            "alice",
            "bob",
            4,
            2,
            2,
            0,
            0.5,
            2,
            0,
            2,
            1,
            1.0,
            15.0,
            15,
            "biweekly",
            date(2026, 2, 17),
            13,
            nxt,
            0.4,
            128.0,
            128.0,
            0.0,
            False,
            False,
        ),
        (
            "alice",
            "carol",
            1,
            1,
            0,
            0,
            0.0,
            0,
            0,
            0,
            0,
            0.5,
            None,
            45,
            "none",
            date(2026, 1, 16),
            45,
            None,
            0.1,
            32.0,
            64.0,
            0.0,
            True,
            False,
        ),
        (
            "alice",
            "dan",
            1,
            1,
            0,
            0,
            0.0,
            0,
            0,
            0,
            0,
            0.5,
            None,
            10,
            "none",
            date(2026, 2, 20),
            10,
            None,
            0.12,
            40.0,
            80.0,
            0.0,
            False,
            False,
        ),
        (
            "erin",
            "frank",
            2,
            1,
            0,
            1,
            0.5,
            0,
            1,
            1,
            0,
            0.5,
            None,
            25,
            "none",
            date(2026, 2, 5),
            25,
            None,
            0.15,
            48.0,
            96.0,
            0.0,
            False,
            False,
        ),
        (
            "erin",
            "grace",
            0,
            0,
            0,
            0,
            None,
            0,
            0,
            0,
            0,
            0.0,
            None,
            None,
            "none",
            None,
            None,
            None,
            0.0,
            0.0,
            None,
            None,
            True,
            True,
        ),
        (
            "zoe",
            "alice",
            1,
            1,
            0,
            0,
            0.0,
            0,
            0,
            0,
            0,
            0.5,
            None,
            20,
            "none",
            date(2026, 2, 10),
            20,
            None,
            0.15,
            48.0,
            96.0,
            0.0,
            False,
            False,
        ),
        (
            "zoe",
            "erin",
            1,
            0,
            1,
            0,
            1.0,
            0,
            1,
            0,
            0,
            0.0,
            None,
            90,
            "none",
            None,
            None,
            None,
            None,
            0.0,
            None,
            None,
            False,
            False,
        ),
        ("dan", "hugo", 1, 1, 0, 0, 0.0, 0, 0, 0, 0, 0.5, None, 12, "none",
         date(2026, 2, 18), 12, None, 0.2, 20.0, 40.0, 0.0, False, False),
        ("dan", "ivy", 0, 0, 0, 0, None, 0, 0, 0, 0, 0.0, None, None, "none",
         None, None, ts("2026-03-04 09:00"), 0.0, 0.0, None, None, False, False),
    ]  # fmt: skip
    full = [
        (e(m), e(r), STARTED.get(r), *rest, *PHASES[r], PHASES[r][3] < 0.5, None,
         *_calls(*CALLS.get(r, (0, 0, 0.0))))
        for (m, r, *rest) in rows
    ]  # fmt: skip
    frame = pl.DataFrame(full, schema=PAIR_COLUMNS, orient="row")
    last_start = pl.col("last_held_date").cast(pl.Datetime("us", "UTC")) + pl.duration(hours=9)
    columns = list(PAIR_COLUMNS)
    columns.insert(columns.index("last_held_date"), "last_held_at")
    return frame.with_columns(last_held_at=last_start, data=pl.lit("ok")).select(*columns, "data")


def _calls(attended: int, no_show: int, hours: float) -> tuple[object, ...]:
    rate = attended / (attended + no_show) if attended + no_show else None
    return attended, no_show, rate, hours


def manager_metrics() -> pl.DataFrame:
    rows = [
        (e("alice"), 3, 3, 1, 0, 0.2067, 2.0, 200.0, 0.333, 3, True),
        (e("erin"), 2, 1, 1, 1, 0.075, 0.5, 48.0, 0.5, 0, False),
        (e("zoe"), 2, 1, 0, 0, 0.15, 0.5, 48.0, 0.5, 0, False),
        (e("dan"), 2, 1, 0, 0, 0.1, 0.5, 20.0, 0.0, 0, False),
    ]
    schema = {
        "manager_email": pl.String,
        "reports": pl.Int64,
        "reports_met": pl.Int64,
        "neglected_reports": pl.Int64,
        "intro_overdue_reports": pl.Int64,
        "mean_coverage": pl.Float64,
        "held_hours": pl.Float64,
        "leverage_hours": pl.Float64,
        "cancel_rate": pl.Float64,
        "initiated_cancellations": pl.Int64,
        "chronic_canceler": pl.Boolean,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


CANCELER_SCHEMA = {
    "person_email": pl.String,
    "role": pl.String,
    "exposure": pl.Int64,
    "initiated": pl.Int64,
    "initiated_rate": pl.Float64,
    "late": pl.Int64,
    "chronic": pl.Boolean,
}


def cancelers() -> pl.DataFrame:
    rows = [
        (e("alice"), "both", 7, 2, 0.2857, 2, True),
        (e("frank"), "report", 4, 1, 0.25, 1, True),
        (e("erin"), "both", 3, 1, 0.3333, 0, False),
        (e("bob"), "report", 4, 0, 0.0, 0, False),
        (e("dan"), "report", 1, 0, 0.0, 0, False),
        (e("grace"), "report", 0, 0, None, 0, False),
        (e("hugo"), "report", 1, 0, 0.0, 0, False),
    ]
    return pl.DataFrame(rows, schema=CANCELER_SCHEMA, orient="row")


def weekly_activity() -> pl.DataFrame:
    rows = [
        ("2026-W06", date(2026, 2, 2), "alice", "bob", 1, 1, 0, 0, 0.5),
        ("2026-W07", date(2026, 2, 9), "alice", "bob", 1, 0, 1, 0, 0.0),
        ("2026-W08", date(2026, 2, 16), "alice", "bob", 1, 1, 0, 0, 0.5),
        ("2026-W09", date(2026, 2, 23), "alice", "bob", 1, 0, 1, 0, 0.0),
        ("2026-W03", date(2026, 1, 12), "alice", "carol", 1, 1, 0, 0, 0.5),
        ("2026-W08", date(2026, 2, 16), "alice", "dan", 1, 1, 0, 0, 0.5),
        ("2026-W06", date(2026, 2, 2), "erin", "frank", 1, 1, 0, 0, 0.5),
        ("2026-W08", date(2026, 2, 16), "erin", "frank", 1, 0, 0, 1, 0.0),
        ("2026-W07", date(2026, 2, 9), "zoe", "alice", 1, 1, 0, 0, 0.5),
        ("2026-W07", date(2026, 2, 9), "zoe", "erin", 1, 0, 1, 0, 0.0),
        ("2026-W08", date(2026, 2, 16), "dan", "hugo", 1, 1, 0, 0, 0.5),
    ]
    full = [(w, s, e(m), e(r), *rest) for (w, s, m, r, *rest) in rows]
    schema = {
        "week": pl.String,
        "week_start": pl.Date,
        "manager_email": pl.String,
        "report_email": pl.String,
        "scheduled": pl.Int64,
        "held": pl.Int64,
        "cancelled": pl.Int64,
        "declined": pl.Int64,
        "held_hours": pl.Float64,
    }
    return pl.DataFrame(full, schema=schema, orient="row")


def neglected_reports() -> pl.DataFrame:
    pm = pair_metrics().filter(pl.col("neglected"))
    who = names_by_email()
    return (
        pm.with_columns(
            pl.col("report_email").replace_strict(who).alias("report_name"),
            pl.col("manager_email").replace_strict(who).alias("manager_name"),
        )
        .select(
            "report_email",
            "report_name",
            "manager_email",
            "manager_name",
            "days_since_last",
            "last_held_at",
            "last_held_date",
            "cadence",
            "next_scheduled_at",
            "valid_from",
            "intro_overdue",
        )
        .sort("days_since_last", descending=True, nulls_last=False)
    )


def sync_state() -> pl.DataFrame:
    at = ts("2026-03-01 22:00")
    rows = [("google", e(k), "c", at, at, "ok", None, 3) for k in NAMES if k != "frank"] + [
        ("microsoft", e("frank"), None, None, at, "failed", "no mailbox", 0)
    ]
    schema = {
        "provider": pl.String,
        "calendar_email": pl.String,
        "cursor": pl.String,
        "last_full_sync": TSZ,
        "last_sync": TSZ,
        "status": pl.String,
        "error": pl.String,
        "events": pl.Int64,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


ROLLUP_SCHEMA = ORG_ROLLUP_SCHEMA  # the warehouse's columns, in its order
# Each subtree over its lines: zoe all nine; alice bob, carol, dan, hugo, ivy; erin frank,
# grace; dan hugo, ivy. Chronic cancelers count the subtree's reports only (not alice
# in her own organisation).
# Last: attended, no_show, attended_rate (zoe's organisation: 4 of 6 verified).
ROLLUPS = [
    ("zoe", None, 0, 2, 9, 9, 6, 2, 1, 0, 2, 8, 11, 4, 4 / 11, 1.12 / 8, 3.5, 316.0, 4, 2, 4 / 6),
    ("alice", "zoe", 1, 3, 5, 5, 4, 1, 0, 0, 0, 4, 7, 2, 2 / 7, 0.82 / 5, 2.5, 220.0, 2, 2, 0.5),
    ("erin", "zoe", 1, 2, 2, 2, 1, 1, 1, 0, 1, 2, 2, 1, 0.5, 0.075, 0.5, 48.0, 1, 0, 1.0),
    ("dan", "alice", 2, 2, 2, 2, 1, 0, 0, 0, 0, 1, 1, 0, 0.0, 0.1, 0.5, 20.0, 0, 1, 0.0),
]

# Earlier snapshots: as_of → manager → (people, lines, met, neglected, intro, chronic,
# behind, scheduled, lost, coverage, held hours, leverage hours).
PREVIOUS = date(2026, 2, 23)
EARLIER = date(2026, 2, 16)
# Call evidence in earlier snapshots: (as_of, manager) → (attended, no_show); the others
# predate it (null, as a history written before attendance keeps it).
ATTENDANCE_HISTORY = {(PREVIOUS, "zoe"): (3, 3)}
ROLLUP_HISTORY = {
    PREVIOUS: {
        "zoe": (8, 8, 5, 3, 1, 2, 7, 10, 4, 0.12, 3.0, 285.0),
        "alice": (4, 4, 3, 1, 0, 0, 3, 6, 2, 0.18, 2.0, 200.0),
        "erin": (2, 2, 1, 1, 1, 1, 2, 2, 1, 0.075, 0.5, 48.0),
        "dan": (1, 1, 0, 0, 0, 0, 0, 0, 0, None, 0.0, 0.0),
    },
    EARLIER: {
        "zoe": (7, 7, 5, 2, 1, 1, 6, 9, 3, 0.13, 3.0, 280.0),
        "alice": (3, 3, 3, 1, 0, 0, 3, 6, 2, 0.2, 2.0, 190.0),
        "erin": (2, 2, 1, 1, 1, 1, 2, 2, 1, 0.08, 0.5, 45.0),
    },
}


def org_rollups() -> pl.DataFrame:
    rows = [(e(m), e(p) if p else None, *rest) for (m, p, *rest) in ROLLUPS]
    return pl.DataFrame(rows, schema=ROLLUP_SCHEMA, orient="row")


def _history_row(as_of: date, manager: str, values: tuple[Any, ...]) -> tuple[object, ...]:
    _, parent, depth, direct, *_ = next(r for r in ROLLUPS if r[0] == manager)
    people, lines, met, neglected, intro, chronic, behind, scheduled, lost, *rest = values
    rate = lost / scheduled if scheduled else None
    attended, no_show = ATTENDANCE_HISTORY.get((as_of, manager), (None, None))
    known = attended is not None and no_show is not None and attended + no_show > 0
    verified = attended / (attended + no_show) if known else None
    return (as_of, e(manager), e(parent) if parent else None, depth, direct, people, lines,
            met, neglected, intro, 0, chronic, behind, scheduled, lost, rate, *rest,
            attended, no_show, verified)  # fmt: skip


def org_rollups_history() -> pl.DataFrame:
    """Every manager's roll-up on two earlier Mondays (dan's line began in between) and today."""
    earlier = [
        _history_row(as_of, manager, values)
        for as_of, managers in ROLLUP_HISTORY.items()
        for manager, values in managers.items()
    ]
    current = [(AS_OF, *row) for row in org_rollups().rows()]
    schema = {"as_of": pl.Date, **ROLLUP_SCHEMA}
    return pl.DataFrame(earlier + current, schema=schema, orient="row").sort(
        "as_of", "manager_email"
    )


KPI_SCHEMA = ORG_KPI_SCHEMA


def _kpis_of(rollup: pl.DataFrame) -> pl.DataFrame:
    ratio = pl.col("leverage_hours") / pl.col("held_hours")
    return rollup.with_columns(leverage_ratio=ratio).select(list(KPI_SCHEMA))


def org_kpis() -> pl.DataFrame:
    """The organisation's figures: zoe's subtree is the whole organisation."""
    return _kpis_of(org_rollups().filter(pl.col("manager_email") == e("zoe")))


def kpi_history() -> pl.DataFrame:
    """Three weekly snapshots of the organisation (its top's roll-up), the last today's."""
    top = org_rollups_history().filter(pl.col("manager_email") == e("zoe"))
    return pl.concat([top.select("as_of"), _kpis_of(top)], how="horizontal")


def names_by_email() -> dict[str, str]:
    return {e(k): v for k, v in NAMES.items()}


def tables() -> dict[str, pl.DataFrame]:
    """Every metric table of the fixture organisation."""
    return {
        "people": people(),
        "reporting_lines": reporting_lines(),
        "occurrences": occurrences(),
        "pair_metrics": pair_metrics(),
        "manager_metrics": manager_metrics(),
        "cancelers": cancelers(),
        "chronic_cancelers": cancelers().filter(pl.col("chronic")),
        "neglected_reports": neglected_reports(),
        "weekly_activity": weekly_activity(),
        "sync_state": sync_state(),
        "org_rollups": org_rollups(),
        "org_kpis": org_kpis(),
        "kpi_history": kpi_history(),
        "org_rollups_history": org_rollups_history(),
    }


def meta(*, sandbox: bool = True) -> ReportMeta:
    """Report context of the fixture: one of ten calendars failed."""
    return ReportMeta(
        as_of=AS_OF,
        timezone=TZ,
        generated_at=ts("2026-03-02 06:00"),
        sandbox=sandbox,
        calendars_total=len(NAMES),
        calendars_failed=[e("frank")],
        last_sync_at=ts("2026-03-01 22:00"),
    )


def one_team(manager: str) -> dict[str, pl.DataFrame]:
    """The tables a one-manager install of `manager` holds (roster: them and their direct
    reports; only their calendar read): every table cut to their lines and people."""
    full = tables()
    boss = e(manager)
    team = {boss, *(e(r) for r, m in MANAGER_OF.items() if m == manager)}
    mine = pl.col("manager_email") == boss

    def members(column: str) -> pl.Expr:
        return pl.col(column).is_in(sorted(team))

    no_parent = {"parent_email": pl.lit(None, pl.String)}
    past = full["org_rollups_history"].filter(mine).with_columns(**no_parent)
    return {
        **{name: full[name].filter(mine) for name in
           ("reporting_lines", "occurrences", "pair_metrics", "manager_metrics",
            "neglected_reports", "weekly_activity")},
        "people": full["people"].filter(members("email")),
        "cancelers": full["cancelers"].filter(members("person_email")),
        "chronic_cancelers": full["chronic_cancelers"].filter(members("person_email")),
        "sync_state": full["sync_state"].filter(pl.col("calendar_email") == boss),
        "org_rollups": full["org_rollups"].filter(mine).with_columns(**no_parent),
        "org_kpis": _kpis_of(full["org_rollups"].filter(mine)),
        "kpi_history": pl.concat([past.select("as_of"), _kpis_of(past)], how="horizontal"),
        "org_rollups_history": past,
    }  # fmt: skip
