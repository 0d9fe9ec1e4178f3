"""The generated organisation: determinism, people, planted cases and their truth."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from connectors.sandbox.model import SandboxOrg
from connectors.sandbox.org import generate_org
from connectors.sandbox.truth import TruthMismatchError, check_truth, reference_truth
from tests.sandbox.org_helpers import humans, is_one_on_one, line_pairs, past_one_on_ones

ANCHOR = date(2026, 11, 20)


@pytest.fixture(scope="module")
def org() -> SandboxOrg:
    return generate_org(seed=7, size=200, anchor=ANCHOR)


def test_same_arguments_give_an_identical_org(org: SandboxOrg) -> None:
    assert generate_org(seed=7, size=200, anchor=ANCHOR) == org


def test_another_seed_gives_another_org(org: SandboxOrg) -> None:
    other = generate_org(seed=8, size=200, anchor=ANCHOR)
    assert [p.email for p in other.people] != [p.email for p in org.people]


def test_anchor_defaults_to_today_utc() -> None:
    before = datetime.now(UTC).date()
    generated = generate_org(size=40, background="none")
    assert generated.anchor in {before, datetime.now(UTC).date()}
    assert generated.history_start == generated.anchor - timedelta(weeks=26)


def test_org_has_the_requested_size_and_unique_lower_case_emails(org: SandboxOrg) -> None:
    emails = [p.email for p in org.people]
    assert len(emails) == 200
    assert len(set(emails)) == 200
    assert all(re.fullmatch(r"[a-z0-9]+\.[a-z]+@example\.com", e) for e in emails)


def test_providers_split_about_half_and_half(org: SandboxOrg) -> None:
    counts = Counter(p.provider for p in org.people)
    assert set(counts) == {"google", "microsoft"}
    assert 0.4 <= counts["google"] / len(org.people) <= 0.6


def test_a_manager_and_report_sit_on_different_providers(org: SandboxOrg) -> None:
    provider = {p.email: p.provider for p in org.people}
    mixed = [p for p in org.people if p.manager_email and p.provider != provider[p.manager_email]]
    assert mixed


def test_one_ceo_managers_with_2_to_12_reports_over_several_levels(org: SandboxOrg) -> None:
    by_email = {p.email: p for p in org.people}
    assert [p for p in org.people if p.manager_email is None] == [org.people[0]]
    spans = Counter(p.manager_email for p in org.people if p.manager_email)
    assert min(spans.values()) >= 2 and max(spans.values()) <= 12

    def depth(email: str) -> int:
        manager = by_email[email].manager_email
        return 0 if manager is None else 1 + depth(manager)

    assert max(depth(p.email) for p in org.people) >= 3


def test_people_live_in_several_time_zones(org: SandboxOrg) -> None:
    zones = {p.timezone for p in org.people}
    assert {"America/Los_Angeles", "Europe/Berlin", "Asia/Kolkata", "Australia/Sydney"} <= zones


def test_all_datetimes_are_aware_utc_and_uids_unique(org: SandboxOrg) -> None:
    assert len({i.uid for i in org.instances}) == len(org.instances)
    for i in org.instances:
        for moment in (i.start, i.end, i.original_start, i.created_at, i.updated_at):
            assert moment.utcoffset() == timedelta(0)
        assert i.start < i.end
        assert i.created_at <= i.updated_at


def test_nobody_meets_before_their_hire_date(org: SandboxOrg) -> None:
    hired = {p.email: p.hired_on for p in org.people}
    early = [
        (i.uid, person)
        for i in org.instances
        for person in humans(i)
        if person in hired and i.start.date() < hired[person]
    ]
    assert early == []


def test_reference_truth_equals_the_planted_truth(org: SandboxOrg) -> None:
    reference = reference_truth(org)
    assert reference.neglected == org.truth.neglected
    assert reference.chronic_cancelers == org.truth.chronic_cancelers
    assert reference.intro_overdue == org.truth.intro_overdue
    assert reference.never_met == org.truth.never_met


def test_a_wrong_planted_truth_is_refused(org: SandboxOrg) -> None:
    wrong = replace(org.truth, neglected=org.truth.neglected - {min(org.truth.neglected)})
    with pytest.raises(TruthMismatchError, match="neglected"):
        check_truth(org.replace_truth(wrong))


@pytest.mark.parametrize("seed", range(6))
def test_planted_truth_holds_for_other_seeds_and_anchors(seed: int) -> None:
    anchor = date(2026, 3, 9) + timedelta(days=37 * seed)
    generated = generate_org(seed=seed, size=60 + 13 * seed, anchor=anchor, background="none")
    assert reference_truth(generated).chronic_cancelers == generated.truth.chronic_cancelers


def test_every_planted_case_is_present(org: SandboxOrg) -> None:
    truth = org.truth
    assert len(truth.chronic_cancelers) == 2
    assert len(truth.neglected - truth.never_met) == 3
    assert len(truth.never_met) == 3
    assert truth.manager_change is not None
    assert truth.intro_overdue <= truth.never_met


def test_chronic_manager_cancels_at_least_40_percent_over_four_reports(org: SandboxOrg) -> None:
    window = ANCHOR - timedelta(days=90)
    for person in org.truth.chronic_cancelers:
        reports = [p.email for p in org.people if p.manager_email == person]
        mine = [
            i
            for r in (reports or [_manager_of(org, person)])
            for i in past_one_on_ones(org, person, r, ANCHOR)
            if i.start.date() >= window
        ]
        initiated = [
            i
            for i in mine
            if (i.cancelled and i.organizer == person)
            or any(a.email == person and a.response == "declined" for a in i.attendees)
        ]
        assert len(initiated) / len(mine) >= 0.4
        if reports:
            assert len(reports) >= 4


def test_new_hires_are_not_yet_met(org: SandboxOrg) -> None:
    hired = {p.email: p.hired_on for p in org.people}
    ages = sorted((ANCHOR - hired[e]).days for e in org.truth.never_met)
    assert 5 <= ages[0] <= 10
    assert 16 <= ages[1] <= 25
    assert ages[2] > 365
    assert not [i for i in org.instances if is_one_on_one(i) and humans(i) & org.truth.never_met]


def test_neglected_reports_last_met_their_manager_45_to_90_days_ago(org: SandboxOrg) -> None:
    for report in org.truth.neglected - org.truth.never_met:
        met = past_one_on_ones(org, report, _manager_of(org, report), ANCHOR)
        assert 45 <= (ANCHOR - met[-1].start.date()).days <= 90


def test_manager_change_moves_1on1s_from_old_to_new_manager(org: SandboxOrg) -> None:
    assert org.truth.manager_change is not None
    report, old, new, on = org.truth.manager_change
    assert 20 <= (ANCHOR - on).days <= 40
    assert _manager_of(org, report) == new
    with_old = past_one_on_ones(org, report, old, ANCHOR)
    with_new = past_one_on_ones(org, report, new, ANCHOR)
    assert with_old and max(i.start.date() for i in with_old) < on
    assert len(with_new) >= 2 and min(i.start.date() for i in with_new) > on


def test_suspended_account_is_inactive_and_outside_the_truth(org: SandboxOrg) -> None:
    inactive = [p.email for p in org.people if not p.active]
    assert len(inactive) == 1
    truth = org.truth
    everyone = truth.neglected | truth.chronic_cancelers | truth.intro_overdue | truth.never_met
    assert not set(inactive) & everyone
    assert not [p for p in org.people if p.manager_email in inactive]


def test_a_weekly_1on1_at_2330_local_falls_on_the_next_utc_day(org: SandboxOrg) -> None:
    late = [
        i
        for i in org.instances
        if i.series_id
        and i.start.astimezone(ZoneInfo(i.timezone)).time() == time(23, 30)
        and is_one_on_one(i)
    ]
    assert late
    local = late[0].start.astimezone(ZoneInfo(late[0].timezone))
    assert local.date() != late[0].start.astimezone(UTC).date()


def test_recurring_1on1s_keep_local_time_and_shift_in_utc_across_dst(org: SandboxOrg) -> None:
    shifted = 0
    for instances in _series(org).values():
        unmoved = [i for i in instances if i.start == i.original_start]
        local = {i.start.astimezone(ZoneInfo(i.timezone)).time() for i in unmoved}
        utc = {i.start.time() for i in unmoved}
        assert len(local) == 1
        shifted += len(utc) > 1
    assert shifted > 20


def test_cadences_include_weekly_biweekly_and_four_weekly(org: SandboxOrg) -> None:
    pairs = line_pairs(org)
    gaps = set()
    for instances in _series(org).values():
        if humans(instances[0]) in pairs and len(instances) > 1:
            gaps.add((instances[1].original_start - instances[0].original_start).days)
    assert {7, 14, 28} <= gaps


def test_everyday_1on1_events_are_all_present(org: SandboxOrg) -> None:
    ones = [i for i in org.instances if is_one_on_one(i)]
    assert any(i.cancelled and i.cancelled_at and i.cancelled_at < i.start for i in ones)
    assert any(a.response == "declined" and a.responded_at for i in ones for a in i.attendees)
    assert any(i.start != i.original_start for i in ones)
    assert any(i.removed_by for i in ones)
    assert any(i.series_id is None and not i.deleted for i in ones)
    assert any(i.series_id is None and i.deleted for i in ones)
    assert any(re.search(r"https://docs\.example\.com/d/\w+", i.description) for i in ones)
    assert any(i.has_attachment for i in ones)
    assert any(a.resource for i in ones for a in i.attendees)
    manager = {p.email: p.manager_email for p in org.people}
    assert any(manager.get(i.organizer) == i.attendees[0].email for i in ones)  # report organizes
    assert any(manager.get(i.attendees[0].email) == i.organizer for i in ones)


def test_some_cancellations_are_rebooked_and_count_as_replaced(org: SandboxOrg) -> None:
    from connectors.sandbox.truth import candidates, mark_replaced
    from warehouse.params import MetricParams

    roster = {p.email for p in org.people if p.active}
    google = {p.email for p in org.people if p.provider == "google"}
    found = candidates(org.instances, roster, google, ANCHOR, MetricParams())
    statuses = Counter(o.status for o in mark_replaced(found))
    assert statuses["replaced"] >= 2
    assert statuses["held"] > 10 * statuses["cancelled"] > 0


def test_skip_level_and_peer_1on1s_exist(org: SandboxOrg) -> None:
    manager = {p.email: p.manager_email for p in org.people}
    pairs = [
        tuple(humans(i)) for i in org.instances if is_one_on_one(i) and humans(i) <= set(manager)
    ]
    skip = [
        (a, b)
        for a, b in pairs
        if b in (manager.get(manager[a] or ""), None) or a == manager.get(manager[b] or "")
    ]
    peers = [(a, b) for a, b in pairs if manager[a] and manager[a] == manager[b]]
    assert skip and peers


def _manager_of(org: SandboxOrg, email: str) -> str:
    return next(p.manager_email or "" for p in org.people if p.email == email)


def _series(org: SandboxOrg) -> dict[str, list]:
    series: dict[str, list] = {}
    for i in org.instances:
        if i.series_id and is_one_on_one(i):
            series.setdefault(i.series_id, []).append(i)
    return series
