"""A readable account of one report's 1:1s and how each metric was reached."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl

from core.errors import BadInputError
from warehouse.build import compute
from warehouse.db import Warehouse
from warehouse.metrics import window_start
from warehouse.params import BuildContext
from warehouse.phases import PHASES
from warehouse.roster import title_changes


def explain_pair(wh: Warehouse, report_email: str, ctx: BuildContext) -> str:
    """The report's line, its occurrences in the window, and each metric's derivation."""
    raw, snapshots = wh.raw_frames()
    frames = compute(raw, snapshots, ctx, wh.synced_calendars(), wh.call_evidence())
    email = report_email.lower()
    pairs = frames["pair_metrics"].filter(pl.col("report_email") == email)
    if pairs.is_empty():
        raise BadInputError(f"{report_email} has no reporting line active on {ctx.as_of}")
    pair = pairs.row(0, named=True)
    occ = frames["occurrences"].filter(
        pl.col("report_email") == email,
        pl.col("manager_email") == pair["manager_email"],
        pl.col("local_date") >= window_start(ctx),
    )
    history = frames["reporting_lines"].filter(pl.col("report_email") == email)
    lines = [_header(pair, ctx), *_line_history(history), ""]
    lines.append("Occurrences (local date, status, by, lead hours):")
    lines += [_occurrence_line(row) for row in occ.sort("scheduled_start").iter_rows(named=True)]
    if occ.is_empty():
        lines.append("  (none in the window)")
    changes = title_changes(snapshots, ctx.as_of).filter(pl.col("report_email") == email)
    retitled = changes["title_changed_on"].max()
    held_on_line = _held_on_line(frames["occurrences"], pair)
    phase = _phase_lines(pair, ctx, held_on_line, retitled if isinstance(retitled, date) else None)
    return "\n".join([*lines, "", *_derivations(pair, ctx), *phase])


def _held_on_line(occurrences: pl.DataFrame, pair: dict[str, Any]) -> int:
    """Held 1:1s of the line since it started (every one when its start is unknown)."""
    since = pair["valid_from"]
    return occurrences.filter(
        pl.col("manager_email") == pair["manager_email"],
        pl.col("report_email") == pair["report_email"],
        pl.col("relation") == "manager_report",
        pl.col("status") == "held",
        pl.lit(True) if since is None else pl.col("local_date") >= since,
    ).height


def _phase_lines(
    p: dict[str, Any], ctx: BuildContext, held_on_line: int, retitled: date | None
) -> list[str]:
    """The line's phase and why, then its expected against held 1:1s in the window."""
    prm = ctx.phases
    phase, since, start = p["phase"], p["phase_since"], p["valid_from"]
    on_line = retitled if retitled is not None and (start is None or retitled >= start) else None
    share = timedelta(days=prm.share_context_days)
    if phase == "get_to_know":
        why = (
            f"get_to_know: {held_on_line} of {prm.get_to_know_held} held 1:1s since the "
            f"line started on {start}"
        )
    elif phase == "share_context" and on_line is not None and since == on_line:
        why = f"share_context: title changed on {on_line}; until {on_line + share}"
    elif phase == "share_context":
        ends = max(start, on_line or start) + share
        title = f", title changed on {on_line}" if on_line else ""
        why = (
            f"share_context since {since} (held 1:1 number {prm.get_to_know_held}) until "
            f"{ends} ({prm.share_context_days} days after the line started on {start}{title})"
        )
    elif since is None:
        why = "maintain: the line predates the synced history"
    else:
        why = f"maintain since {since} ({held_on_line} held 1:1s since the line started)"
    expected_days = dict(zip(PHASES, prm.expected_days, strict=True))
    return [
        f"phase = {why}",
        f"expected_in_window = calendar days of the window on the line / "
        f"{expected_days[phase]} (a 1:1 every {expected_days[phase]} days in {phase}) = "
        f"{_number(p['expected_in_window'])}; held {p['held']}",
        f"adherence = min(1, held / expected) = {_number(p['adherence'])}; behind_phase = "
        f"{p['behind_phase']} (adherence below {prm.behind_below} once at least one 1:1 "
        f"was expected)",
        f"gap_cv = sample standard deviation / mean of the gaps in the window = "
        f"{_number(p['gap_cv'])} (null under three gaps)",
    ]


def _number(value: float | None) -> str:
    return "null" if value is None else f"{value:.2f}"


def _header(pair: dict[str, Any], ctx: BuildContext) -> str:
    since = pair["valid_from"] or "before the synced history"
    return (
        f"{pair['report_email']} reports to {pair['manager_email']} since {since}; "
        f"window {window_start(ctx)} to {ctx.as_of} (exclusive), timezone {ctx.org.timezone}"
    )


def _line_history(history: pl.DataFrame) -> list[str]:
    """Every reporting line of the report, dated, when there was more than one."""
    if history.height < 2:
        return []
    rows = history.sort("valid_from", nulls_last=False).iter_rows(named=True)
    return ["Reporting lines:"] + [
        f"  {r['manager_email']}: from {r['valid_from'] or 'before the synced history'}"
        f" to {r['valid_to'] or 'now'}"
        for r in rows
    ]


def _occurrence_line(row: dict[str, Any]) -> str:
    lead = row["cancel_lead_hours"]
    extras = [
        f"by {row['canceled_by']}" if row["canceled_by"] else "",
        f"lead {lead:.1f} h" if lead is not None else "",
        "rescheduled" if row["rescheduled"] else "",
        "" if row["recurring"] else "one-off",
        f"{row['minutes']} min",
        f"via {row['providers']}",
    ]
    return f"  {row['local_date']}  {row['status']:<9}  " + ", ".join(e for e in extras if e)


def _derivations(p: dict[str, Any], ctx: BuildContext) -> list[str]:
    prm, org = ctx.params, ctx.org
    return [
        f"scheduled = held {p['held']} + cancelled {p['cancelled']} + declined "
        f"{p['declined']} = {p['scheduled']} (replaced and upcoming not counted)",
        f"cancel_rate = {p['cancelled'] + p['declined']} / {p['scheduled']} = {p['cancel_rate']}",
        f"cancelled by manager {p['cancelled_by_manager']}, by report "
        f"{p['cancelled_by_report']}; late (lead < {prm.late_cancel_hours} h) "
        f"{p['late_cancellations']}; rescheduled {p['rescheduled']}",
        f"held_hours = {p['held_hours']}; gaps: median {p['median_gap_days']} days, "
        f"max {p['max_gap_days']} days (open gap to as_of included) → cadence {p['cadence']}",
        f"last held {p['last_held_date']} ({p['days_since_last']} days ago); next scheduled "
        f"{p['next_scheduled_at']}",
        f"coverage = workdays within {prm.impact_days} days after a held 1:1 / eligible "
        f"workdays = {p['coverage']}; leverage = covered days × {org.work_hours_per_day} h "
        f"= {p['leverage_hours']} h; ratio to held hours = {p['leverage_ratio']}",
        f"agenda_rate = {p['agenda_rate']}",
        f"neglected = {p['neglected']} (more than {prm.neglect_days} days since the last "
        f"held 1:1, else since the line started or the history began)",
        f"intro_overdue = {p['intro_overdue']} (line start known, not met since, more than "
        f"{prm.intro_grace_days} days ago)",
    ]
