"""The leadership-view cases the sandbox plants: a three-level organisation, an
under-served new line, a line reset by a change of manager and a subtree whose
coverage falls week over week — at the default size and at the smallest."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from connectors.sandbox.model import Member, SandboxOrg
from connectors.sandbox.org import MIN_SIZE, generate_org
from connectors.sandbox.truth import TruthMismatchError, check_truth, subtree, subtree_coverage
from tests.sandbox.org_helpers import past_one_on_ones, stayed_scheduled

ANCHOR = date(2026, 11, 16)
WEEK = timedelta(days=7)


@pytest.fixture(
    scope="module",
    params=[(7, 200, "normal"), (5, MIN_SIZE, "none")],
    ids=["default-size", "smallest-size"],
)
def org(request: pytest.FixtureRequest) -> SandboxOrg:
    seed, size, background = request.param
    return generate_org(seed=seed, size=size, anchor=ANCHOR, background=background)


def test_a_director_with_managers_below_them_sits_below_the_root(org: SandboxOrg) -> None:
    director = _member(org, org.truth.falling_subtree or "")
    managers = {p.manager_email for p in org.people if p.manager_email}
    below = [p for p in org.people if p.manager_email == director.email]
    assert director.manager_email is not None
    assert [p for p in below if p.email in managers], "a manager of managers"
    assert director.email in subtree(org.people, org.people[0].email), "below the root"


@pytest.mark.parametrize("seed", range(4))
def test_every_small_org_holds_the_three_cases(seed: int) -> None:
    small = generate_org(seed=seed, size=MIN_SIZE, anchor=ANCHOR, background="none")
    truth = small.truth
    assert len(truth.under_served) == 1 and truth.reset_line is not None
    assert truth.falling_subtree is not None
    assert {p.manager_email for p in small.people} & subtree(small.people, truth.falling_subtree)


def test_the_under_served_report_met_twice_in_about_two_months(org: SandboxOrg) -> None:
    (report,) = org.truth.under_served
    member = _member(org, report)
    assert 55 <= (ANCHOR - member.hired_on).days <= 65
    met = [
        i.start.date()
        for i in past_one_on_ones(org, report, member.manager_email or "", ANCHOR)
        if stayed_scheduled(i)
    ]
    assert len(met) == 2 and min(met) >= member.hired_on
    assert (ANCHOR - max(met)).days <= 30, "not neglected: a case of its own"
    truth = org.truth
    assert report in truth.get_to_know
    assert report not in truth.neglected | truth.intro_overdue | truth.never_met


def test_the_change_of_manager_starts_a_new_line_still_getting_to_know(org: SandboxOrg) -> None:
    assert org.truth.reset_line is not None and org.truth.manager_change is not None
    report, new, started = org.truth.reset_line
    old = org.truth.manager_change[1]
    member = _member(org, report)
    assert (member.manager_email, member.reports_since) == (new, started)
    with_new = [i for i in past_one_on_ones(org, report, new, ANCHOR) if stayed_scheduled(i)]
    with_old = past_one_on_ones(org, report, old, ANCHOR)
    assert len(with_new) == 2 and min(i.start.date() for i in with_new) > started
    assert with_old and max(i.start.date() for i in with_old) < started
    assert report in org.truth.get_to_know and report not in org.truth.under_served


def test_the_falling_subtree_skips_its_recent_1on1s(org: SandboxOrg) -> None:
    root = org.truth.falling_subtree or ""
    below = subtree(org.people, root)
    truth = org.truth
    planted = truth.neglected | truth.chronic_cancelers | truth.get_to_know | truth.never_met
    assert below and not below & planted
    lines = [(p.email, p.manager_email or "") for p in org.people if p.email in below]
    recent = earlier = 0
    for report, manager in lines:
        met = [
            i.start.date()
            for i in past_one_on_ones(org, report, manager, ANCHOR)
            if stayed_scheduled(i)
        ]
        recent += sum(d >= ANCHOR - 3 * WEEK for d in met)
        earlier += sum(ANCHOR - 6 * WEEK <= d < ANCHOR - 3 * WEEK for d in met)
        assert (ANCHOR - max(met)).days <= 30, f"{report} is not neglected"
    assert recent < earlier


def test_the_falling_subtree_loses_coverage_week_over_week(org: SandboxOrg) -> None:
    root = org.truth.falling_subtree or ""
    week_before, now = subtree_coverage(org, root, [ANCHOR - WEEK, ANCHOR])
    assert week_before is not None and now is not None
    assert now <= week_before - 0.05


def test_a_subtree_that_does_not_fall_is_refused_as_the_falling_one(org: SandboxOrg) -> None:
    whole = replace(org.truth, falling_subtree=org.people[0].email)
    with pytest.raises(TruthMismatchError, match="falling_subtree"):
        check_truth(org.replace_truth(whole))


def test_a_wrong_under_served_line_is_refused(org: SandboxOrg) -> None:
    wrong = replace(org.truth, under_served=set())
    with pytest.raises(TruthMismatchError, match="under_served"):
        check_truth(org.replace_truth(wrong))


def _member(org: SandboxOrg, email: str) -> Member:
    return next(p for p in org.people if p.email == email)
