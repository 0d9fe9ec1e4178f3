"""Render the dashboard for a large synthetic org and time it, file sizes included.

    uv run python benchmarks/report_benchmark.py --managers 2000 --reports 15000

The org is a hierarchy: a chief executive, ten VPs, ten directors under each, and the
other managers under the directors; `--reports` counts every reporting line (managers
reporting to their manager included). The history tables hold 12 weekly snapshots.
Targets: every page rendered in ≤ 20 s, main page ≤ 8 MB, loaded and drawn in
Chromium ≤ 4 s, one shared plotly.js beside the self-contained main page.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

from reports import ReportMeta, render_reports

AS_OF = date(2026, 3, 2)
VPS, DIRECTORS_PER_VP, SNAPSHOTS = 10, 10, 12
LOADS = 5
PHASE_NAMES = np.array(["get_to_know", "share_context", "maintain"])
EXPECTED_DAYS = {"get_to_know": 7, "share_context": 7, "maintain": 14}
PLOTLY_BANNER = b"* plotly.js v"
STATUSES = np.array(["held", "held", "held", "held", "cancelled", "declined", "replaced"])
ATTENDANCE = np.array(["attended", "no_show", "unknown"])
CADENCES = np.array(["weekly", "biweekly", "monthly", "sporadic", "none"])


def manager_parents(managers: int, rng: np.random.Generator) -> np.ndarray:
    """Each manager's manager (-1 for the top): CEO → VPs → directors → managers."""
    vps = np.arange(1, VPS + 1)
    directors = np.arange(VPS + 1, VPS + 1 + VPS * DIRECTORS_PER_VP)
    parent = np.full(managers, -1)
    parent[vps] = 0
    parent[directors] = np.repeat(vps, DIRECTORS_PER_VP)
    rest = np.arange(directors[-1] + 1, managers)
    parent[rest] = rng.choice(directors, rest.size)
    return parent


def email(prefix: str, numbers: np.ndarray) -> list[str]:
    return [f"{prefix}{i:06d}@example.com" for i in numbers]


def lines(managers: int, reports: int, rng: np.random.Generator) -> pl.DataFrame:
    """Managers reporting to their managers, and individual contributors spread over the
    front-line managers (every one has at least one)."""
    parent = manager_parents(managers, rng)
    front = np.arange(VPS + 1 + VPS * DIRECTORS_PER_VP, managers)
    contributors = reports - (managers - 1)
    owner = np.concatenate([front, rng.choice(front, contributors - front.size)])
    return pl.DataFrame({
        "manager_email": email("m", parent[1:]) + email("m", owner),
        "report_email": email("m", np.arange(1, managers)) + email("r", np.arange(contributors)),
    })  # fmt: skip


def people(pairs: pl.DataFrame) -> pl.DataFrame:
    reports = pairs.select(pl.col("report_email").alias("manager_email")).unique()
    top = pairs.join(reports, on="manager_email", how="anti")
    frame = pl.concat([
        top.select(pl.col("manager_email").unique().alias("email"),
                   pl.lit(None, pl.String).alias("manager_email")),
        pairs.select(pl.col("report_email").alias("email"), "manager_email"),
    ])  # fmt: skip
    name = pl.col("email").str.split("@").list.first().str.to_uppercase()
    return frame.with_columns(
        name.alias("name"), pl.lit("google").alias("provider"),
        pl.when(pl.col("email").str.starts_with("m")).then(pl.lit("Manager"))
        .otherwise(pl.lit("Engineer")).alias("title"),
    )  # fmt: skip


def occurrences(pairs: pl.DataFrame, rng: np.random.Generator, per_pair: int) -> pl.DataFrame:
    """About `per_pair` weekly-ish 1:1s per line over the window, statuses mixed."""
    n = pairs.height * per_pair
    idx = np.repeat(np.arange(pairs.height), per_pair)
    offset = np.tile(np.arange(per_pair) * 7, pairs.height) + rng.integers(0, 5, n)
    first = datetime.combine(AS_OF - timedelta(days=90), datetime.min.time(), UTC)
    start = [first + timedelta(days=int(d), hours=9) for d in offset]
    status = rng.choice(STATUSES, n)
    status = np.where(np.array([s.date() >= AS_OF for s in start]), "upcoming", status)
    m = pairs.get_column("manager_email").to_numpy()[idx]
    r = pairs.get_column("report_email").to_numpy()[idx]
    by = np.where(status == "declined", r, np.where(np.isin(status, ["cancelled"]), m, None))
    return pl.DataFrame({
        "occurrence_id": [f"o{i}" for i in range(n)], "manager_email": m, "report_email": r,
        "relation": "manager_report", "start": start, "status": status,
        "rescheduled": rng.random(n) < 0.1, "canceled_by": pl.Series(by.tolist(), dtype=pl.String),
        "cancel_lead_hours": rng.random(n) * 72, "minutes": 30,
        "attendance": np.where(status == "held",
                               rng.choice(ATTENDANCE, n, p=[0.7, 0.05, 0.25]), "unknown"),
    })  # fmt: skip


def pair_metrics(pairs: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    n = pairs.height
    scheduled = rng.integers(0, 13, n)
    held = (scheduled * rng.uniform(0.5, 1, n)).astype(int)
    days = np.where(held > 0, rng.integers(0, 40, n), -1)
    return pairs.with_columns(
        pl.Series("scheduled", scheduled), pl.Series("held", held),
        pl.Series("cancelled", (scheduled - held) // 2),
        pl.Series("declined", scheduled - held - (scheduled - held) // 2),
        pl.Series("held_hours", held * 0.5), pl.Series("cadence", rng.choice(CADENCES, n)),
        pl.Series("days_since_last", days).replace(-1, None),
        pl.Series("coverage", rng.uniform(0, 1, n)),
        pl.Series("leverage_hours", rng.uniform(0, 500, n)),
        pl.Series("intro_overdue", rng.random(n) < 0.02),
        pl.Series("phase", rng.choice(PHASE_NAMES, n, p=[0.1, 0.2, 0.7])),
    ).with_columns(
        pl.when(pl.col("phase") == "maintain").then(None)
        .otherwise(pl.lit(AS_OF) - pl.duration(days=60)).cast(pl.Date).alias("phase_since"),
        (90 / pl.col("phase").replace_strict(EXPECTED_DAYS)).alias("expected_in_window"),
    ).with_columns(
        pl.min_horizontal(pl.lit(1.0), pl.col("held") / pl.col("expected_in_window"))
        .alias("adherence"),
    ).with_columns(
        (pl.col("adherence") < 0.5).alias("behind_phase"),
        ((pl.col("cancelled") + pl.col("declined")) / pl.col("scheduled")).alias("cancel_rate"),
        (pl.lit(AS_OF) - pl.duration(days=pl.col("days_since_last"))).cast(pl.Date)
        .alias("last_held_date"),
        pl.lit(None, pl.Datetime("us", "UTC")).alias("next_scheduled_at"),
        (pl.col("days_since_last").fill_null(999) > 30).alias("neglected"),
    ).with_columns(
        last_held_at=pl.col("last_held_date").cast(pl.Datetime("us", "UTC")), data=pl.lit("ok"),
        no_show=pl.Series((held * rng.uniform(0, 0.1, n)).astype(int)),
        unscheduled_call_hours=pl.Series(rng.choice([0.0, 0.0, 0.0, 0.25, 1.0], n)),
    ).with_columns(
        attended=((pl.col("held") - pl.col("no_show")) * 0.8).cast(pl.Int64),
    ).with_columns(
        attended_rate=pl.col("attended") / (pl.col("attended") + pl.col("no_show")),
    )  # fmt: skip


def manager_metrics(pm: pl.DataFrame) -> pl.DataFrame:
    return pm.group_by("manager_email").agg(
        pl.len().alias("reports"), (pl.col("held") > 0).sum().alias("reports_met"),
        pl.col("neglected").sum().alias("neglected_reports"),
        pl.col("intro_overdue").sum().alias("intro_overdue_reports"),
        pl.col("coverage").mean().alias("mean_coverage"), pl.col("held_hours").sum(),
        pl.col("leverage_hours").sum(), pl.col("cancel_rate").mean(),
        pl.col("cancelled").sum().alias("initiated_cancellations"),
        (pl.col("cancel_rate").mean() > 0.25).alias("chronic_canceler"),
    )  # fmt: skip


def cancelers(pm: pl.DataFrame) -> pl.DataFrame:
    frame = pm.select(
        pl.col("report_email").alias("person_email"), pl.lit("report").alias("role"),
        pl.col("scheduled").alias("exposure"), pl.col("declined").alias("initiated"),
    ).with_columns(
        (pl.col("initiated") / pl.col("exposure")).alias("initiated_rate"),
        (pl.col("initiated") // 2).alias("late"),
    )  # fmt: skip
    chronic = (pl.col("exposure") >= 4) & (pl.col("initiated_rate") >= 0.25)
    return frame.with_columns(chronic.fill_null(False).alias("chronic"))


def weekly(occ: pl.DataFrame) -> pl.DataFrame:
    week_start = pl.col("start").dt.date() - pl.duration(days=pl.col("start").dt.weekday() - 1)
    return (
        occ.filter(pl.col("status") != "upcoming")
        .with_columns(week_start.cast(pl.Date).alias("week_start"))
        .group_by("week_start", "manager_email", "report_email")
        .agg(
            pl.len().alias("scheduled"), (pl.col("status") == "held").sum().alias("held"),
            (pl.col("status") == "cancelled").sum().alias("cancelled"),
            (pl.col("status") == "declined").sum().alias("declined"),
        )
        .with_columns(pl.col("week_start").dt.strftime("%G-W%V").alias("week"),
                      (pl.col("held") * 0.5).alias("held_hours"))
    )  # fmt: skip


def neglected(pm: pl.DataFrame) -> pl.DataFrame:
    return pm.filter("neglected").select(
        "report_email", pl.col("report_email").alias("report_name"), "manager_email",
        pl.col("manager_email").alias("manager_name"), "days_since_last", "last_held_at",
        "last_held_date", "cadence", "next_scheduled_at", pl.lit(None, pl.Date).alias("valid_from"),
        "intro_overdue",
    )  # fmt: skip


ROLLUP_SUMS = ("lines", "reports_met", "neglected_reports", "intro_overdue_reports",
               "no_data_reports", "behind_phase", "scheduled", "lost", "held_hours",
               "leverage_hours")  # fmt: skip


def org_rollups(pm: pl.DataFrame, chronic: pl.DataFrame) -> pl.DataFrame:
    """Every manager's subtree figures: each line counted for its manager and above."""
    parent = dict(pm.select("report_email", "manager_email").rows())
    managers = sorted(set(pm.get_column("manager_email")))
    chains = [(m, a) for m in managers for a in [m, *_above(m, parent)]]
    up = pl.DataFrame(chains, schema=["manager_email", "root"], orient="row")
    is_chronic = pl.col("report_email").is_in(chronic.get_column("person_email").implode())
    sums = pm.join(up, on="manager_email").group_by("root").agg(
        pl.len().alias("lines"), pl.col("report_email").n_unique().alias("people"),
        (pl.col("held") > 0).sum().alias("reports_met"),
        pl.col("neglected").sum().alias("neglected_reports"),
        pl.col("intro_overdue").sum().alias("intro_overdue_reports"),
        (pl.col("data") == "none").sum().alias("no_data_reports"),
        is_chronic.sum().alias("chronic_cancelers"), pl.col("behind_phase").sum(),
        pl.col("scheduled").sum(), (pl.col("cancelled") + pl.col("declined")).sum().alias("lost"),
        pl.col("coverage").mean().alias("mean_coverage"), pl.col("held_hours").sum(),
        pl.col("leverage_hours").sum(), pl.col("attended").sum(), pl.col("no_show").sum(),
    )  # fmt: skip
    direct = pm.group_by("manager_email").agg(pl.len().alias("direct_reports"))
    depth = {m: len(_above(m, parent)) for m in managers}
    return sums.rename({"root": "manager_email"}).join(direct, on="manager_email").with_columns(
        pl.col("manager_email").replace_strict(parent, default=None).alias("parent_email"),
        pl.col("manager_email").replace_strict(depth).alias("depth"),
        (pl.col("lost") / pl.col("scheduled")).alias("cancel_rate"),
        (pl.col("attended") / (pl.col("attended") + pl.col("no_show"))).alias("attended_rate"),
    ).select("manager_email", "parent_email", "depth", "direct_reports", "people", "lines",
             "reports_met", "neglected_reports", "intro_overdue_reports", "no_data_reports",
             "chronic_cancelers", "behind_phase", "scheduled", "lost", "cancel_rate",
             "mean_coverage", "held_hours", "leverage_hours", "attended", "no_show",
             "attended_rate")  # fmt: skip


def _above(manager: str, parent: dict[str, str]) -> list[str]:
    out = []
    while manager in parent:
        manager = parent[manager]
        out.append(manager)
    return out


def history(current: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """SNAPSHOTS weekly copies of `current` (the last is today's), figures jittered."""
    weeks = []
    for back in range(SNAPSHOTS - 1, -1, -1):
        factor = 1 + (rng.uniform(-0.1, 0.1, current.height) if back else np.zeros(current.height))
        jitter = [(pl.col(c) * pl.Series(factor)).round(0).cast(pl.Int64).alias(c)
                  for c in ("reports_met", "neglected_reports", "behind_phase")]  # fmt: skip
        weeks.append(current.with_columns(*jitter,
            (pl.col("mean_coverage") * pl.Series(factor)).alias("mean_coverage"),
        ).select(pl.lit(AS_OF - timedelta(weeks=back)).alias("as_of"), pl.all()))  # fmt: skip
    return pl.concat(weeks)


def kpis_of(rollups: pl.DataFrame) -> pl.DataFrame:
    return rollups.filter(pl.col("depth") == 0).select(
        "lines", "reports_met", "neglected_reports", "intro_overdue_reports", "no_data_reports",
        "chronic_cancelers", "behind_phase", "scheduled", "lost", "cancel_rate",
        "mean_coverage", "held_hours", "leverage_hours", "attended", "no_show", "attended_rate",
        (pl.col("leverage_hours") / pl.col("held_hours")).alias("leverage_ratio"),
    )  # fmt: skip


def synthesise(managers: int, reports: int, seed: int = 7) -> dict[str, pl.DataFrame]:
    """Metric tables shaped like the warehouse's for an org of the given size."""
    rng = np.random.default_rng(seed)
    pairs = lines(managers, reports, rng)
    pm = pair_metrics(pairs, rng)
    occ = occurrences(pairs, rng, per_pair=14)
    cx = cancelers(pm)
    rl = pairs.with_columns(pl.lit(None, pl.Date).alias("valid_from"),
                            pl.lit(None, pl.Date).alias("valid_to"))  # fmt: skip
    sync = people(pairs).select(
        pl.lit("google").alias("provider"), pl.col("email").alias("calendar_email"),
        pl.lit("ok").alias("status"),
    )  # fmt: skip
    rollups = org_rollups(pm, cx.filter("chronic"))
    past = history(rollups, rng)
    kpi_history = pl.concat(
        [pl.DataFrame({"as_of": [d]}).hstack(kpis_of(part))
         for (d,), part in past.partition_by("as_of", as_dict=True).items()]
    ).sort("as_of")  # fmt: skip
    return {
        "people": people(pairs), "reporting_lines": rl, "occurrences": occ,
        "pair_metrics": pm, "manager_metrics": manager_metrics(pm), "cancelers": cx,
        "chronic_cancelers": cx.filter("chronic"), "neglected_reports": neglected(pm),
        "weekly_activity": weekly(occ), "sync_state": sync, "org_rollups": rollups,
        "org_kpis": kpis_of(rollups), "kpi_history": kpi_history,
        "org_rollups_history": past,
    }  # fmt: skip


def browser_seconds(page: Path) -> float:
    """Seconds from navigation until every figure on the page is drawn, in a new browser
    with an empty profile (nothing cached)."""
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1000", f"--user-data-dir={tempfile.mkdtemp()}"):  # fmt: skip
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        begun = time.perf_counter()
        driver.get(page.as_uri())
        WebDriverWait(driver, 60).until(
            lambda d: d.execute_script("return document.body.dataset.drawn") == "true"
        )
        return time.perf_counter() - begun
    finally:
        driver.quit()


def main() -> None:
    """Synthesise, render, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--managers", type=int, default=2000)
    parser.add_argument("--reports", type=int, default=15000)
    args = parser.parse_args()
    tables = synthesise(args.managers, args.reports)
    print(f"occurrences: {tables['occurrences'].height:,} rows; "
          f"{tables['org_rollups'].height:,} managers, {tables['pair_metrics'].height:,} lines, "
          f"{tables['org_rollups_history'].get_column('as_of').n_unique()} snapshots")  # fmt: skip
    meta = ReportMeta(
        as_of=AS_OF, timezone="Europe/Berlin", generated_at=datetime.now(UTC), sandbox=True,
        calendars_total=args.managers + args.reports, calendars_failed=[],
        last_sync_at=datetime.now(UTC),
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as out:
        begun = time.perf_counter()
        files = render_reports(tables, meta, Path(out))
        print(f"render: {time.perf_counter() - begun:.2f} s")
        pages = [p.stat().st_size for p in files.managers.values()]
        orgs = [p.stat().st_size for p in files.orgs.values()]
        copies = sum(PLOTLY_BANNER in p.read_bytes() for p in Path(out).rglob("*.*js*"))
        copies += sum(PLOTLY_BANNER in p.read_bytes() for p in Path(out).rglob("*.html"))
        print(f"dashboard.html: {files.dashboard.stat().st_size / 1e6:.2f} MB")
        print(f"manager pages: {len(pages):,}, median {np.median(pages) / 1e3:.0f} kB")
        print(f"organisation pages: {len(orgs):,}, median {np.median(orgs) / 1e3:.0f} kB, "
              f"largest {max(orgs) / 1e6:.2f} MB")  # fmt: skip
        print(f"plotly.js copies written: {copies} (the main page's own, one shared file)")
        draws = sorted(browser_seconds(files.dashboard) for _ in range(LOADS))
        print(f"chromium load + draw, {LOADS} cold loads: median {np.median(draws):.2f} s "
              f"({draws[0]:.2f}–{draws[-1]:.2f})")  # fmt: skip


if __name__ == "__main__":
    main()
