"""Sync → build → mutate the sandbox → incremental sync → build, for both providers.

One org, one warehouse file: every mutation goes to its own quiet pair, so each test
checks one mutation's rows and one test checks that nothing else moved.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import polars as pl
import pytest
from mutation_plan import (
    Key,
    ManagerChange,
    PairPicker,
    Target,
    cancel,
    cancel_cross,
    decline,
    delete,
    move,
    reassign,
    split,
)
from sync_world import all_tables, build_context, differing_tables, open_world, sync_once

from connectors.sandbox.org import generate_org
from warehouse import Warehouse, explain_pair
from warehouse.params import BuildContext

ANCHOR = date(2026, 11, 16)
FIRST_SYNC = datetime.combine(ANCHOR - timedelta(days=1), time(12), tzinfo=UTC)
MUTATED_AT = datetime.combine(ANCHOR, time(9, 15), tzinfo=UTC)
SECOND_SYNC = datetime.combine(ANCHOR, time(12), tzinfo=UTC)
PROVIDERS = ("google", "microsoft")
CHANGED_EARLIER = ANCHOR - timedelta(days=3)  # a change the second run learns of late


@dataclass
class Round:
    """The warehouse before and after the mutations, and what was mutated."""

    before: dict[str, pl.DataFrame]
    repeated: dict[str, pl.DataFrame]  # after a second sync + build with no change
    after: dict[str, pl.DataFrame]
    targets: dict[tuple[str, str], Target]  # (provider, mutation) -> target
    splits: dict[str, str]  # provider -> series id before the split
    changes: dict[str, ManagerChange]  # provider (or "learned late") -> manager change
    warehouse: Path
    ctx: BuildContext

    def occurrence(self, key: Key, when: str = "after") -> dict[str, object]:
        frame = getattr(self, when)["occurrences"]
        a, b, slot = key
        rows = frame.filter(
            pl.col("person_a") == a, pl.col("person_b") == b, pl.col("scheduled_start") == slot
        )
        assert rows.height == 1, f"{rows.height} occurrences for {key} ({when})"
        return rows.row(0, named=True)


@pytest.fixture(scope="module")
def mutated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Round]:
    root = tmp_path_factory.mktemp("mutations")
    org = generate_org(seed=7, size=60, anchor=ANCHOR)
    path = root / "w.duckdb"
    with open_world(root / "sandbox", org) as world, Warehouse(path) as wh:
        ctx = build_context(ANCHOR)
        sync_once(world, wh, ANCHOR - timedelta(days=1), FIRST_SYNC)
        wh.build(ctx)
        before = all_tables(wh)
        sync_once(world, wh, ANCHOR - timedelta(days=1), FIRST_SYNC + timedelta(hours=1))
        wh.build(ctx)
        repeated = all_tables(wh)
        targets: dict[tuple[str, str], Target] = {}
        splits: dict[str, str] = {}
        changes: dict[str, ManagerChange] = {}
        for provider in PROVIDERS:
            picker = PairPicker(org, provider)
            targets[provider, "cancel"] = cancel(picker, ANCHOR, MUTATED_AT)
            targets[provider, "decline"] = decline(picker, ANCHOR, MUTATED_AT)
            targets[provider, "move"] = move(picker, ANCHOR, MUTATED_AT)
            targets[provider, "delete"] = delete(picker, MUTATED_AT)
            if provider == "google":  # "this and following" ids (`_R…`) are Google's
                targets[provider, "split"], splits[provider] = split(picker, ANCHOR, MUTATED_AT)
            changes[provider] = reassign(picker, ANCHOR)
        changes["learned late"] = reassign(PairPicker(org, "google"), CHANGED_EARLIER)
        targets["cross", "cancel"] = cancel_cross(org, ANCHOR, MUTATED_AT)
        sync_once(world, wh, ANCHOR, SECOND_SYNC)
        wh.build(ctx)
        after = all_tables(wh)
    yield Round(before, repeated, after, targets, splits, changes, path, ctx)


def hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def known_change_time(provider: str) -> datetime:
    """When the warehouse can know an organizer's cancellation happened: Graph's
    attendee copy carries its time; a Google cancelled instance is a bare stub, so
    the first sync that saw it cancelled (an earlier one saw it live) stands in."""
    return MUTATED_AT if provider == "microsoft" else SECOND_SYNC


def affected_keys(r: Round) -> set[Key]:
    keys = {k for t in r.targets.values() for k in (t.key, *t.rebooked)}
    for change in r.changes.values():
        keys |= set(change.dropped)
    return keys


def keyed(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(key=pl.concat_list(pl.col("person_a", "person_b").cast(pl.String)))


@pytest.mark.parametrize("provider", PROVIDERS)
def test_organizer_cancel_is_attributed_to_the_organizer_with_its_lead_time(
    mutated: Round, provider: str
) -> None:
    t = mutated.targets[provider, "cancel"]
    assert mutated.occurrence(t.key, "before")["status"] == "upcoming"
    row = mutated.occurrence(t.key)
    assert (row["status"], row["canceled_by"]) == ("cancelled", t.organizer)
    assert row["cancel_lead_hours"] == hours(t.key[2] - known_change_time(provider))
    assert row["start"] == t.key[2] and not row["rescheduled"]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_attendee_decline_is_attributed_to_the_attendee_at_the_time_they_declined(
    mutated: Round, provider: str
) -> None:
    t = mutated.targets[provider, "decline"]
    row = mutated.occurrence(t.key)
    assert (row["status"], row["canceled_by"]) == ("declined", t.attendee)
    assert row["cancel_lead_hours"] == hours(t.key[2] - MUTATED_AT), (
        "the decline time is known: Graph's response time, Google's declined copy's `updated`"
    )


@pytest.mark.parametrize("provider", PROVIDERS)
def test_moved_instance_keeps_its_slot_and_is_flagged_rescheduled(
    mutated: Round, provider: str
) -> None:
    t = mutated.targets[provider, "move"]
    row = mutated.occurrence(t.key)
    assert (row["start"], row["scheduled_start"]) == (t.new_start, t.key[2])
    assert row["status"] == "upcoming" and row["rescheduled"] and row["canceled_by"] is None
    assert row["end"] - row["start"] == timedelta(minutes=row["minutes"])


@pytest.mark.parametrize("provider", PROVIDERS)
def test_deleted_one_off_is_cancelled_by_its_organizer_at_the_time_its_provider_knows(
    mutated: Round, provider: str
) -> None:
    t = mutated.targets[provider, "delete"]
    assert mutated.occurrence(t.key, "before")["status"] in ("held", "upcoming")
    row = mutated.occurrence(t.key)
    assert (row["status"], row["canceled_by"]) == ("cancelled", t.organizer)
    # Google keeps the deleted event, stamped by `updated`, on the organizer's calendar;
    # Graph drops it from every mailbox, so the sync bracket is all there is.
    known = MUTATED_AT if provider == "google" else SECOND_SYNC
    assert row["cancel_lead_hours"] == hours(t.key[2] - known)
    assert not row["recurring"]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_deleting_a_rebooked_one_off_turns_what_it_replaced_back_into_a_loss(
    mutated: Round, provider: str
) -> None:
    t = mutated.targets[provider, "delete"]
    for key in t.rebooked:
        before, after = mutated.occurrence(key, "before"), mutated.occurrence(key)
        if before["status"] == "replaced":
            assert after["status"] in ("cancelled", "declined")
            assert after["canceled_by"] == before["canceled_by"] is not None
        else:
            assert after == before


def test_google_series_split_keeps_every_occurrence_and_its_series_key(mutated: Round) -> None:
    t = mutated.targets["google", "split"]
    old = mutated.occurrence(t.key, "before")["series_key"]
    assert old and mutated.splits["google"]
    before = mutated.before["occurrences"].filter(pl.col("series_key") == old)
    after = mutated.after["occurrences"].filter(pl.col("series_key") == old)
    assert before.height > 1 and t.key[2] in before["scheduled_start"].to_list()
    assert after.equals(before), "a split with unchanged times is no cancellation or decline"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_manager_change_closes_the_old_line_and_opens_the_new_one_on_the_snapshot_date(
    mutated: Round, provider: str
) -> None:
    change = mutated.changes[provider]
    lines = mutated.after["reporting_lines"].filter(pl.col("report_email") == change.report)
    old, new = (
        lines.filter(pl.col("manager_email") == m).select("valid_from", "valid_to").rows()
        for m in (change.old_manager, change.new_manager)
    )
    before = mutated.before["reporting_lines"].filter(pl.col("report_email") == change.report)
    assert old == [(before["valid_from"][0], ANCHOR)] and new == [(ANCHOR, None)]
    people = mutated.after["people"].filter(pl.col("email") == change.report)
    assert people["manager_email"].to_list() == [change.new_manager]


def test_manager_change_learned_late_is_dated_by_the_rosters_start_date(mutated: Round) -> None:
    change = mutated.changes["learned late"]
    lines = mutated.after["reporting_lines"].filter(pl.col("report_email") == change.report)
    dated = {m: (f, t) for _, m, f, t in lines.rows()}
    assert dated[change.old_manager][1] == CHANGED_EARLIER == dated[change.new_manager][0]
    assert dated[change.new_manager][1] is None
    pairs = mutated.after["pair_metrics"].filter(pl.col("report_email") == change.report)
    assert pairs.select("manager_email", "valid_from").rows() == [
        (change.new_manager, CHANGED_EARLIER)
    ]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_manager_change_ends_the_old_series_from_the_change_date(
    mutated: Round, provider: str
) -> None:
    change = mutated.changes[provider]
    assert change.dropped
    rows = [mutated.occurrence(key) for key in change.dropped]
    assert {r["status"] for r in rows} == {"cancelled"}
    assert {r["relation"] for r in rows} == {"other"}, "no line links them after the change"


def test_every_occurrence_not_mutated_is_unchanged(mutated: Round) -> None:
    touched = affected_keys(mutated)
    columns = ["person_a", "person_b", "scheduled_start"]

    def untouched(frame: pl.DataFrame) -> pl.DataFrame:
        keys = pl.DataFrame(list(touched), schema=columns, orient="row").cast(
            {"scheduled_start": frame.schema["scheduled_start"]}
        )
        return frame.join(keys, on=columns, how="anti").sort("occurrence_id")

    before, after = (
        untouched(mutated.before["occurrences"]),
        untouched(mutated.after["occurrences"]),
    )
    assert before.height == mutated.before["occurrences"].height - len(touched)
    assert after.equals(before)


def test_sync_and_build_twice_without_change_leave_every_table_identical(mutated: Round) -> None:
    assert differing_tables(mutated.before, mutated.repeated) == []


def test_cross_provider_pair_is_one_occurrence_per_meeting_from_both_providers(
    mutated: Round,
) -> None:
    t = mutated.targets["cross", "cancel"]
    a, b, _ = t.key
    pair = mutated.before["occurrences"].filter(pl.col("person_a") == a, pl.col("person_b") == b)
    assert pair.height > 10
    assert pair["scheduled_start"].is_unique().all()
    assert set(pair["providers"]) == {"google,microsoft"}


def test_cross_provider_cancel_by_the_organizer_is_one_cancelled_occurrence(
    mutated: Round,
) -> None:
    t = mutated.targets["cross", "cancel"]
    row = mutated.occurrence(t.key)
    assert (row["status"], row["canceled_by"], row["providers"]) == (
        "cancelled",
        t.organizer,
        "google,microsoft",
    )
    organizer_provider = "google" if t.organizer in _google_people(mutated) else "microsoft"
    other = "microsoft" if organizer_provider == "google" else "google"
    # The organizer's copy is a bare stub (Google) or gone (Graph); the attendee's
    # copy on the other provider may carry the time (Graph) or not (Google).
    assert row["cancel_lead_hours"] == hours(t.key[2] - known_change_time(other))


def _google_people(r: Round) -> set[str]:
    people = r.after["people"]
    return set(people.filter(pl.col("provider") == "google")["email"])


def test_cross_provider_reporting_line_survives_the_directory_roster(mutated: Round) -> None:
    t = mutated.targets["cross", "cancel"]
    lines = mutated.after["reporting_lines"].select("report_email", "manager_email").rows()
    assert (t.attendee, t.organizer) in lines or (t.organizer, t.attendee) in lines, (
        "a report whose manager is on the other provider must keep the line: the "
        "manager in the sandbox directory roster (Google people_from_users drops a manager "
        "who is not a Google user; Graph has no manager outside the tenant), so the line "
        "and its occurrences' relation (manager_report) are lost"
    )


def test_explain_names_the_chronic_cancelers_occurrences_and_matches_pair_metrics(
    mutated: Round,
) -> None:
    with Warehouse(mutated.warehouse, read_only=True) as wh:
        org_truth = generate_org(seed=7, size=60, anchor=ANCHOR).truth
        chronic_manager = next(
            e
            for e in org_truth.chronic_cancelers
            if e in set(mutated.after["people"]["manager_email"])
        )
        pairs = mutated.after["pair_metrics"].filter(pl.col("manager_email") == chronic_manager)
        pair = pairs.sort("report_email").row(0, named=True)
        text = explain_pair(wh, pair["report_email"], mutated.ctx)
    assert f"{pair['report_email']} reports to {chronic_manager}" in text
    assert text.count(f"cancelled  by {chronic_manager}") == pair["cancelled"] > 0
    assert f"= {pair['scheduled']} (replaced" in text
    lost = pair["cancelled"] + pair["declined"]
    assert f"cancel_rate = {lost} / {pair['scheduled']} = {pair['cancel_rate']}" in text
    assert "coverage = " in text and f"= {pair['coverage']}; leverage" in text
    assert f"= {pair['leverage_hours']} h; ratio to held hours = {pair['leverage_ratio']}" in text


def test_explain_shows_the_dated_manager_change(mutated: Round) -> None:
    from typer.testing import CliRunner

    from cli.app import app

    change = mutated.changes["learned late"]
    env = {"ONEONONE_WAREHOUSE__PATH": str(mutated.warehouse), "COLUMNS": "200"}
    args = ["explain", change.report, "--as-of", ANCHOR.isoformat()]
    result = CliRunner(env=env).invoke(app, args)
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert f"{change.report} reports to {change.new_manager} since {CHANGED_EARLIER}" in text
    assert f"  {change.old_manager}: from " in text
    assert f" to {CHANGED_EARLIER}\n  {change.new_manager}: from {CHANGED_EARLIER} to now" in text
