"""`oneonone run` on the sandbox, end to end, checked against what the sandbox planted."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from browser_kit import column_texts, drawn_figures, open_page, screenshot, severe
from selenium import webdriver
from selenium.webdriver.common.by import By
from typer.testing import CliRunner

from cli.app import app
from connectors.sandbox.org import generate_org
from connectors.sandbox.truth import subtree_coverage
from reports.chronic import CHRONIC_TRACE
from reports.fmt import slug

AS_OF = date(2026, 11, 16)


@pytest.fixture(scope="module")
def sandbox_run(
    prefect_api: None, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path, str]:
    root = tmp_path_factory.mktemp("e2e")
    env = {
        "ONEONONE_WAREHOUSE__PATH": str(root / "w.duckdb"),
        "ONEONONE_REPORT__OUT_DIR": str(root / "out"),
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
