"""Mutations between syncs: each changes the model, stamps `updated_at`, bumps `version`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from connectors.sandbox.model import Instance, SandboxOrg
from connectors.sandbox.mutations import (
    cancel_instance,
    change_manager,
    decline_instance,
    delete_one_off,
    move_instance,
    one_on_ones,
    split_series,
)
from connectors.sandbox.org import generate_org
from connectors.sandbox.truth import reference_truth
from tests.sandbox.org_helpers import humans

ANCHOR = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


@pytest.fixture
def org() -> SandboxOrg:
    return generate_org(seed=11, size=60, anchor=ANCHOR, background="none")


def _a_line(org: SandboxOrg) -> tuple[str, str]:
    quiet = org.truth.neglected | org.truth.chronic_cancelers | org.truth.never_met
    report = next(
        p
        for p in org.people
        if p.manager_email
        and p.active
        and p.email not in quiet
        and org.truth.manager_change
        and p.email != org.truth.manager_change[0]
    )
    return report.email, report.manager_email or ""


def _upcoming(org: SandboxOrg) -> Instance:
    report, manager = _a_line(org)
    return next(i for i in one_on_ones(org, report, manager) if i.start > NOW and i.series_id)


def test_one_on_ones_lists_only_the_pair_in_slot_order(org: SandboxOrg) -> None:
    report, manager = _a_line(org)
    found = one_on_ones(org, report, manager)
    assert found and all(humans(i) == {report, manager} for i in found)
    assert [i.original_start for i in found] == sorted(i.original_start for i in found)
    assert one_on_ones(org, manager, report) == found


def test_cancel_instance_marks_it_cancelled_by_the_organizer(org: SandboxOrg) -> None:
    target = _upcoming(org)
    cancel_instance(org, target.uid, NOW)
    assert target.cancelled and target.cancelled_at == NOW and target.updated_at == NOW
    assert org.version == 1


def test_decline_instance_records_the_response_and_its_time(org: SandboxOrg) -> None:
    target = _upcoming(org)
    guest = target.attendees[0].email
    decline_instance(org, target.uid, guest, NOW)
    assert target.attendees[0].response == "declined"
    assert target.attendees[0].responded_at == NOW
    assert target.updated_at == NOW and org.version == 1


def test_decline_by_someone_not_invited_is_refused(org: SandboxOrg) -> None:
    with pytest.raises(KeyError):
        decline_instance(org, _upcoming(org).uid, "nobody@example.com", NOW)


def test_move_instance_keeps_duration_and_original_slot(org: SandboxOrg) -> None:
    target = _upcoming(org)
    slot, length = target.original_start, target.end - target.start
    move_instance(org, target.uid, target.start + timedelta(days=1, hours=2), at=NOW)
    assert target.original_start == slot and target.end - target.start == length
    assert target.start == slot + timedelta(days=1, hours=2)
    assert target.updated_at == NOW and org.version == 1


def test_delete_one_off_removes_it_but_refuses_a_series_instance(org: SandboxOrg) -> None:
    one_off = next(i for i in org.instances if i.series_id is None and not i.deleted)
    delete_one_off(org, one_off.uid, at=NOW)
    assert one_off.deleted and org.version == 1
    with pytest.raises(ValueError, match="series"):
        delete_one_off(org, _upcoming(org).uid)


def test_split_series_moves_following_instances_to_an_r_series(org: SandboxOrg) -> None:
    target = _upcoming(org)
    old = target.series_id or ""
    before = [i for i in org.instances if i.series_id == old]
    new = split_series(org, old, target.original_start, at=NOW)
    assert new == f"{old}_R{target.original_start:%Y%m%dT%H%M%S}"
    assert all(i.series_id == old for i in before if i.original_start < target.original_start)
    moved = [i for i in before if i.series_id == new]
    assert moved and all(i.uid.startswith(new + "_") for i in moved)
    assert len(moved) + sum(i.series_id == old for i in org.instances) == len(before)
    assert org.version == 1


def test_change_manager_moves_the_line_and_ends_the_old_series(org: SandboxOrg) -> None:
    report, old = _a_line(org)
    new = next(
        p.email
        for p in org.people
        if p.email not in (old, report) and any(q.manager_email == p.email for q in org.people)
    )
    on = ANCHOR - timedelta(days=45)
    change_manager(org, report, new, on)
    assert next(p.manager_email for p in org.people if p.email == report) == new
    left = [i for i in one_on_ones(org, report, old) if i.series_id]
    assert left and all(i.original_start.date() < on for i in left)
    assert org.version == 1
    # Never met the new manager since the change, 45 days ago (the line's start):
    # neglected, an overdue intro, and still getting to know each other.
    truth = reference_truth(org)
    assert report in truth.neglected and report in truth.intro_overdue
    assert report in truth.get_to_know


def test_cancelling_every_recent_1on1_makes_a_report_neglected(org: SandboxOrg) -> None:
    report, manager = _a_line(org)
    recent = [
        i
        for i in one_on_ones(org, report, manager)
        if ANCHOR - timedelta(days=40) <= i.start.date() < ANCHOR
    ]
    for instance in recent:
        cancel_instance(org, instance.uid, instance.start - timedelta(hours=1))
    assert report in reference_truth(org).neglected
    assert org.version == len(recent)
