"""`oneonone run` on the sandbox, end to end, checked against what the sandbox planted."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from browser_kit import (
    column_texts,
    drawn_figures,
    drawn_points,
    open_page,
    screenshot,
    severe,
)
from selenium import webdriver
from selenium.webdriver.common.by import By
from typer.testing import CliRunner

from cli.app import app
from connectors.model import meeting_key
from connectors.sandbox.builder import utc_midnight
from connectors.sandbox.calls import (
    ADHOC_MINUTES,
    adhoc_calls,
    instance_call,
    join_url,
    meet_code,
    meeting_code_of,
    outcome_of,
)
from connectors.sandbox.graph_calls import RETENTION
from connectors.sandbox.model import Instance, SandboxOrg
from connectors.sandbox.org import generate_org
from connectors.sandbox.truth import subtree_coverage
from reports.chronic import CHRONIC_TRACE
from reports.fmt import slug
from reports.timeline import NO_SHOW_LABEL

AS_OF = date(2026, 11, 16)
HISTORY_DAYS = 180  # the sync's default reach back (sync.history_days)
WINDOW_DAYS = 90  # the metrics' default window (metrics.window_days)


@pytest.fixture(scope="module")
def sandbox_run(
    prefect_api: None, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path, str]:
    root = tmp_path_factory.mktemp("e2e")
    env = {
        "ONEONONE_WAREHOUSE__PATH": str(root / "w.duckdb"),
        "ONEONONE_REPORT__OUT_DIR": str(root / "out"),
        "ONEONONE_ATTENDANCE__ENABLED": "true",  # call records read after the calendars
    }
    result = CliRunner(env=env).invoke(app, ["run", "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    return root / "w.duckdb", root / "out", result.output


def sql(warehouse: Path, query: str) -> list[tuple]:
    from warehouse import query_read_only

    return query_read_only(warehouse, query)[1]


def test_run_says_it_used_the_sandbox_and_where_the_dashboard_is(
    sandbox_run: tuple[Path, Path, str],
) -> None:
    _, out, output = sandbox_run
    assert "sandbox" in output.lower()
    assert (out / "dashboard.html").is_file()
    assert "dashboard.html" in output


def test_run_ends_with_a_summary_a_leader_can_read(sandbox_run: tuple[Path, Path, str]) -> None:
    truth = generate_org(anchor=AS_OF).truth
    output = " ".join(sandbox_run[2].split())  # rich wraps long lines
    assert f"{len(truth.neglected)} neglected" in output
    assert f"{len(truth.intro_overdue)} new reports not yet met" in output
    assert f"{len(truth.chronic_cancelers)} chronic cancelers" in output
    assert "{'people'" not in output, "no Python dict of table sizes"


def test_neglected_reports_are_exactly_the_planted_ones(
    sandbox_run: tuple[Path, Path, str],
) -> None:
    truth = generate_org(anchor=AS_OF).truth
    rows = sql(sandbox_run[0], "select report_email from neglected_reports")
    assert {email for (email,) in rows} == truth.neglected


def test_chronic_cancelers_are_exactly_the_planted_ones(
    sandbox_run: tuple[Path, Path, str],
) -> None:
    truth = generate_org(anchor=AS_OF).truth
    rows = sql(sandbox_run[0], "select person_email from chronic_cancelers")
    assert {email for (email,) in rows} == truth.chronic_cancelers


def test_intro_overdue_reports_are_exactly_the_planted_ones(
    sandbox_run: tuple[Path, Path, str],
) -> None:
    truth = generate_org(anchor=AS_OF).truth
    rows = sql(sandbox_run[0], "select report_email from pair_metrics where intro_overdue")
    assert {email for (email,) in rows} == truth.intro_overdue


def test_every_calendar_synced_and_the_run_recorded_complete(
    sandbox_run: tuple[Path, Path, str],
) -> None:
    org = generate_org(anchor=AS_OF)
    active = sum(1 for p in org.people if p.active)
    assert sql(sandbox_run[0], "select count(*) from sync_state where status = 'ok'") == [(active,)]
    assert sql(sandbox_run[0], "select outcome from runs") == [("complete",)]


def test_one_offs_deleted_on_google_are_cancelled_by_their_organizer_with_their_lead_time(
    sandbox_run: tuple[Path, Path, str],
) -> None:
    org = generate_org(anchor=AS_OF)
    google = {p.email for p in org.people if p.provider == "google" and p.active}
    first = datetime.combine(AS_OF - timedelta(days=180), time(), tzinfo=UTC)
    deleted = [
        i
        for i in org.instances
        if i.deleted and i.organizer in google and i.start >= first and i.cancelled_at
    ]
    assert deleted, "the sandbox should delete some one-offs organized on Google"
    for instance in deleted:
        rows = sql(
            sandbox_run[0],
            "select status, canceled_by, cancel_lead_hours from occurrences"
            f" where scheduled_start = '{instance.original_start.isoformat()}'"
            f" and '{instance.organizer}' in (person_a, person_b)",
        )
        lead = (instance.original_start - instance.cancelled_at).total_seconds() / 3600
        assert rows == [("cancelled", instance.organizer, lead)], instance.uid


def test_no_titles_descriptions_or_locations_reach_the_warehouse(
    sandbox_run: tuple[Path, Path, str],
) -> None:
    org = generate_org(anchor=AS_OF)
    private = {t for i in org.instances for t in (i.title, i.description, i.location) if t}
    columns = sql(
        sandbox_run[0],
        "select table_name, column_name from information_schema.columns"
        " where data_type = 'VARCHAR'",
    )
    stored = {
        value
        for table, column in columns
        for (value,) in sql(sandbox_run[0], f'select distinct "{column}" from "{table}"')
        if value
    }
    assert private, "the sandbox should give its meetings titles and descriptions"
    assert not private & stored


def test_sql_command_refuses_writes(sandbox_run: tuple[Path, Path, str]) -> None:
    env = {"ONEONONE_WAREHOUSE__PATH": str(sandbox_run[0])}
    result = CliRunner(env=env).invoke(app, ["sql", "delete from people"])
    assert result.exit_code != 0
    assert sql(sandbox_run[0], "select count(*) > 0 from people") == [(True,)]


@pytest.mark.browser
def test_dashboard_opens_in_chromium_with_every_figure_and_the_planted_people(
    sandbox_run: tuple[Path, Path, str], browser: webdriver.Chrome, artifacts: Path
) -> None:
    truth = generate_org(anchor=AS_OF).truth
    log = open_page(browser, sandbox_run[1] / "dashboard.html")
    assert severe(log) == []
    figures = drawn_figures(browser)
    assert set(figures) >= {"chronic", "cadence", "leverage", "trends"}
    assert all(traces > 0 for traces in figures.values())
    names = dict(sql(sandbox_run[0], "select email, name from people"))
    neglected = set(column_texts(browser, "neglected", 1))
    assert neglected == {names[email] for email in truth.neglected}
    chronic = browser.execute_script(
        "var name = arguments[0];"
        "var t = document.getElementById('chronic').data.find("
        "  function (t) { return t.name === name; });"
        "return t.customdata.map(function (r) { return r[0]; });",
        CHRONIC_TRACE,
    )
    assert set(chronic) == truth.chronic_cancelers
    screenshot(browser, artifacts, "sandbox-dashboard")


def test_relationship_phases_are_the_planted_ones(sandbox_run: tuple[Path, Path, str]) -> None:
    truth = generate_org(anchor=AS_OF).truth
    warehouse = sandbox_run[0]
    rows = sql(warehouse, "select report_email from pair_metrics where phase = 'get_to_know'")
    assert {email for (email,) in rows} == truth.get_to_know
    under = "select report_email from pair_metrics where phase = 'get_to_know' and behind_phase"
    rows = sql(warehouse, under + " and held > 0")
    assert {email for (email,) in rows} == truth.under_served
    assert truth.reset_line is not None
    report, manager, started = truth.reset_line
    line = "select manager_email, valid_from, phase, phase_since from pair_metrics"
    rows = sql(warehouse, f"{line} where report_email = '{report}'")
    assert rows == [(manager, started, "get_to_know", started)]


def test_the_falling_subtree_coverage_fell_week_over_week(
    sandbox_run: tuple[Path, Path, str],
) -> None:
    org = generate_org(anchor=AS_OF)
    root, week_before = org.truth.falling_subtree, AS_OF - timedelta(days=7)
    rows = sql(
        sandbox_run[0],
        "select mean_coverage from org_rollups_history"
        f" where manager_email = '{root}' and as_of in ('{week_before}', '{AS_OF}')"
        " order by as_of",
    )
    expected = subtree_coverage(org, root, [week_before, AS_OF])
    assert [c for (c,) in rows] == pytest.approx(expected)
    assert rows[1][0] < rows[0][0] - 0.05


def parent_of_report(warehouse: Path, report: str) -> str:
    query = f"select manager_email from pair_metrics where report_email = '{report}'"
    return str(sql(warehouse, query)[0][0])


def org_page(out: Path, email: str) -> Path:
    return out / "orgs" / f"{slug(email)}.html"


@pytest.mark.browser
def test_the_planted_leadership_cases_show_on_their_organisation_pages(
    sandbox_run: tuple[Path, Path, str], browser: webdriver.Chrome, artifacts: Path
) -> None:
    warehouse, out, _ = sandbox_run
    truth = generate_org(anchor=AS_OF).truth
    names = dict(sql(warehouse, "select email, name from people"))
    parent = dict(sql(warehouse, "select manager_email, parent_email from org_rollups"))
    pages = {p.name for p in (out / "orgs").iterdir()}

    def lowest_org_page(manager: str) -> Path:
        """The page of the lowest organisation holding `manager`'s team."""
        while org_page(out, manager).name not in pages:
            manager = parent[manager]
        return org_page(out, manager)

    # the under-served new line: in its organisation's phase panel, get-to-know first
    (under,) = truth.under_served
    (manager,) = sql(
        warehouse, f"select manager_email from pair_metrics where report_email = '{under}'"
    )[0]
    assert severe(open_page(browser, lowest_org_page(manager))) == []
    behind = column_texts(browser, "behind-phase", 1)
    phases = column_texts(browser, "behind-phase", 3)
    assert names[under] in behind
    get_to_know = [n for n, p in zip(behind, phases, strict=True) if p == "Get to know"]
    assert behind[: len(get_to_know)] == get_to_know, "under-served new lines first"
    screenshot(browser, artifacts, "sandbox-organisation")

    # the line reset by a change of manager: getting to know again on the new team page
    assert truth.reset_line is not None
    report, new_manager, _ = truth.reset_line
    assert severe(open_page(browser, out / "managers" / f"{slug(new_manager)}.html")) == []
    team = dict(
        zip(column_texts(browser, "team", 1), column_texts(browser, "team", 9), strict=True)
    )
    assert team[names[report]] == "Get to know"

    # the falling subtree: its own page's coverage tile points down
    assert severe(open_page(browser, org_page(out, truth.falling_subtree))) == []
    change = browser.find_element(By.CSS_SELECTOR, '[data-kpi="coverage"] .trend .change').text
    assert change.startswith("▼"), change


def readme_queries() -> list[str]:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    return [block.split("```", 1)[0] for block in readme.split("```sql\n")[1:]]


def test_readme_example_queries_run_on_the_sandbox_warehouse(
    sandbox_run: tuple[Path, Path, str],
) -> None:
    queries = readme_queries()
    assert len(queries) >= 5
    for query in queries:
        columns, _ = query_read_only_cols(sandbox_run[0], query)
        assert columns, query


def query_read_only_cols(warehouse: Path, query: str) -> tuple[list[str], list[tuple]]:
    from warehouse import query_read_only

    return query_read_only(warehouse, query)


# Attendance: what the sandbox's call plan (connectors/sandbox/calls.py) says happened.
Pair = frozenset[str]


def planted_attendance(org: SandboxOrg, instance: Instance) -> str:
    """The attendance the warehouse should find for a held 1:1: from its planned call,
    as far as the providers still serve it (Graph keeps a record `RETENTION`)."""
    provider = {p.email: p.provider for p in org.people}[instance.organizer]
    call = instance_call(instance, provider, AS_OF)
    if call is None:  # in person, or nobody joined (no record)
        return "unknown"
    if provider == "microsoft" and call.start < utc_midnight(AS_OF) - RETENTION:
        return "unknown"
    return "no_show" if outcome_of(instance) == "no_show" else "attended"


def one_on_one(org: SandboxOrg, instance: Instance) -> bool:
    """The instance is a 1:1 of two roster people that neither cancelled nor declined
    (one who deleted their copy may still have declined it: the warehouse says)."""
    roster = {p.email for p in org.people}
    others = [a for a in instance.attendees if not a.resource and not a.group]
    return (
        len(others) == 1
        and {instance.organizer, others[0].email} <= roster
        and others[0].response != "declined"
        and not (instance.cancelled or instance.deleted or instance.all_day)
    )


def instance_key(org: SandboxOrg, instance: Instance) -> str | None:
    """The meeting key the warehouse keeps for the instance's online meeting."""
    code = meeting_code_of(instance)
    if code is None:
        return None
    if {p.email: p.provider for p in org.people}[instance.organizer] == "google":
        return meeting_key("google", meet_code(code))
    return meeting_key("microsoft", join_url(code))


def planted_no_shows(org: SandboxOrg) -> dict[tuple[Pair, datetime], Instance]:
    """(the two people, start) → instance, for every planted no-show the run could read."""
    first = utc_midnight(AS_OF) - timedelta(days=HISTORY_DAYS)
    return {
        (frozenset({i.organizer, i.attendees[0].email}), i.start): i
        for i in org.instances
        if i.start >= first and one_on_one(org, i) and planted_attendance(org, i) == "no_show"
    }


def test_the_no_shows_in_the_warehouse_are_exactly_the_planted_ones(
    sandbox_run: tuple[Path, Path, str],
) -> None:
    planted = planted_no_shows(generate_org(anchor=AS_OF))
    rows = sql(
        sandbox_run[0], "select person_a, person_b, start, status, attendance from occurrences"
    )
    status = {(frozenset({a, b}), start): seen for a, b, start, seen, _ in rows}
    found = {(frozenset({a, b}), start) for a, b, start, _, seen in rows if seen == "no_show"}
    assert len(planted) > 20, "the sandbox plants no-shows on both providers"
    assert set(planted) <= set(status)
    # Where the other person deleted their copy the 1:1 is declined: no attendance.
    declined = {slot for slot in planted if status[slot] != "held"}
    assert {status[slot] for slot in declined} <= {"declined"}
    assert all(planted[slot].removed_by for slot in declined)
    assert found == set(planted) - declined


def held_in_window(warehouse: Path) -> list[tuple]:
    """The window's held 1:1s of active lines: the ones the tiles count."""
    return sql(
        warehouse,
        "select o.manager_email, o.person_a, o.person_b, o.start, o.meeting_key, o.attendance"
        " from occurrences o join pair_metrics p using (manager_email, report_email)"
        f" where o.status = 'held' and o.local_date >= date '{AS_OF}' - {WINDOW_DAYS}",
    )


def test_every_held_one_on_one_in_the_window_has_its_planted_attendance(
    sandbox_run: tuple[Path, Path, str],
) -> None:
    org = generate_org(anchor=AS_OF)
    by_slot = {
        (frozenset({i.organizer, i.attendees[0].email}), i.start, instance_key(org, i)): i
        for i in org.instances
        if one_on_one(org, i)
    }
    held = held_in_window(sandbox_run[0])
    got = {(frozenset({a, b}), start, key): seen for _, a, b, start, key, seen in held}
    assert set(got) <= set(by_slot)
    planted = {slot: planted_attendance(org, by_slot[slot]) for slot in got}
    assert got == planted
    in_person = [slot for slot in got if slot[2] is None]
    assert in_person, "some 1:1s are met in person"
    assert {got[slot] for slot in in_person} == {"unknown"}
    assert {"attended", "no_show", "unknown"} == set(got.values())


def test_planted_ad_hoc_calls_are_unscheduled_call_hours_on_their_line(
    sandbox_run: tuple[Path, Path, str],
) -> None:
    org = generate_org(anchor=AS_OF)
    midnight, first = utc_midnight(AS_OF), utc_midnight(AS_OF - timedelta(days=WINDOW_DAYS))
    served = [
        c
        for c in adhoc_calls(org.people, org.history_start, AS_OF)
        if c.start >= first and (c.provider == "google" or c.start >= midnight - RETENTION)
    ]
    calls: dict[tuple[str, str], int] = {}
    for call in served:
        line = (call.presences[0].email, call.presences[1].email)  # manager, report
        calls[line] = calls.get(line, 0) + 1
    assert calls, "the sandbox plants ad-hoc calls in the window"
    hours = dict(
        ((m, r), h)
        for m, r, h in sql(
            sandbox_run[0],
            "select manager_email, report_email, unscheduled_call_hours from pair_metrics",
        )
    )
    for line, count in calls.items():
        # Both were in each call for its ADHOC_MINUTES, less the half minute the report
        # joined late where the provider records each person's own join time.
        low, high = count * (ADHOC_MINUTES - 0.5) / 60, count * ADHOC_MINUTES / 60
        assert low - 1e-9 <= hours[line] <= high + 1e-9, line
    # Every other line had no unscheduled call: not even a duplicate booking of a 1:1
    # (folded into the other occurrence) makes its call unscheduled.
    others = {line: h for line, h in hours.items() if line not in calls and h}
    assert others == {}


def verified_share(warehouse: Path) -> tuple[int, int]:
    """(attended, with evidence) over the window's held 1:1s of active lines, planted."""
    org = generate_org(anchor=AS_OF)
    by_slot = {
        (frozenset({i.organizer, i.attendees[0].email}), i.start, instance_key(org, i)): i
        for i in org.instances
        if one_on_one(org, i)
    }
    planted = [
        planted_attendance(org, by_slot[(frozenset({a, b}), start, key)])
        for _, a, b, start, key, _ in held_in_window(warehouse)
    ]
    attended, no_show = planted.count("attended"), planted.count("no_show")
    return attended, attended + no_show


@pytest.mark.browser
def test_the_verified_tile_and_a_planted_no_show_show_in_chromium(
    sandbox_run: tuple[Path, Path, str], browser: webdriver.Chrome, artifacts: Path
) -> None:
    warehouse, out, _ = sandbox_run
    attended, evidence = verified_share(warehouse)
    assert severe(open_page(browser, out / "dashboard.html")) == []
    tile = browser.find_element(By.CSS_SELECTOR, "[data-kpi=verified]").text
    assert f"{attended / evidence * 100:.0f}%" in tile
    assert f"{attended:,} of {evidence:,} held online 1:1s" in tile
    # The manager with the most planted no-shows in the window: each drawn as one.
    no_shows = [row[0] for row in held_in_window(warehouse) if row[5] == "no_show"]
    manager = max(sorted(set(no_shows)), key=no_shows.count)
    page = out / "managers" / f"{slug(manager)}.html"
    assert severe(open_page(browser, page)) == []
    drawn = drawn_points(browser, "timeline", NO_SHOW_LABEL)
    assert len(drawn) == no_shows.count(manager) > 0
    assert {p["symbol"] for p in drawn} == {"hourglass"}
    screenshot(browser, artifacts, "sandbox-manager-no-show")
