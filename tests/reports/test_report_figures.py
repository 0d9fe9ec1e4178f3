"""Figure builders: frames in, Plotly figure dicts out (validated by plotly itself)."""

from __future__ import annotations

from datetime import date
from typing import Any

import plotly.graph_objects as go
import polars as pl
import report_fixtures as fx

from reports.activity import (
    cadence_heatmap,
    leverage_figure,
    leverage_groups,
    weekly_trends,
    window_weeks,
)
from reports.chronic import CHRONIC_TRACE, OTHER_TRACE, chronic_figure
from reports.figure import (
    CIVIDIS_STOPS,
    MAX_LABEL_MARGIN,
    Figure,
    label_margin,
    scale_colour,
)
from reports.frames import with_unscheduled_call_hours
from reports.timeline import NO_SHOW_LABEL, timeline_figure, timeline_rows

NAMES = fx.names_by_email()


def trace(fig: Figure, name: str) -> Any:
    return next(t for t in fig["data"] if t["name"] == name)


def emails(t: Any) -> set[str]:
    return {row[0] for row in t["customdata"]}


def test_chronic_trace_holds_exactly_the_chronic_cancelers() -> None:
    fig = chronic_figure(fx.cancelers(), NAMES, fx.meta())
    assert emails(trace(fig, CHRONIC_TRACE)) == {fx.e(w) for w in fx.CHRONIC}
    go.Figure(fig)  # raises on any property plotly does not know


def test_high_rate_without_enough_exposure_is_not_labelled_chronic() -> None:
    fig = chronic_figure(fx.cancelers(), NAMES, fx.meta())
    other = trace(fig, OTHER_TRACE)
    assert fx.e("erin") in emails(other)
    assert all("chronic" not in text for text in other["text"])
    assert all("chronic" in text for text in trace(fig, CHRONIC_TRACE)["text"])


def test_people_never_scheduled_are_left_out_of_the_cancel_chart() -> None:
    fig = chronic_figure(fx.cancelers(), NAMES, fx.meta())
    shown = emails(trace(fig, CHRONIC_TRACE)) | emails(trace(fig, OTHER_TRACE))
    assert fx.e("grace") not in shown
    assert len(shown) == 6


def test_chronic_chart_draws_threshold_line_and_keeps_top_n() -> None:
    fig = chronic_figure(fx.cancelers(), NAMES, fx.meta(), top_n=3)
    line = fig["layout"]["shapes"][0]
    assert line["x0"] == line["x1"] == 0.25
    shown = emails(trace(fig, CHRONIC_TRACE)) | emails(trace(fig, OTHER_TRACE))
    assert shown == {fx.e("alice"), fx.e("frank"), fx.e("erin")}
    assert "Showing 3 of 6" in fig["layout"]["title"]["subtitle"]["text"]


def test_chronic_hover_carries_role_counts_and_late_cancellations() -> None:
    fig = chronic_figure(fx.cancelers(), NAMES, fx.meta())
    alice = next(r for r in trace(fig, CHRONIC_TRACE)["customdata"] if r[0] == fx.e("alice"))
    assert list(alice) == [fx.e("alice"), "both", 2, 7, 2]


def test_window_weeks_cover_the_window_in_iso_weeks() -> None:
    weeks = window_weeks(fx.meta())
    assert weeks[0] == date(2025, 12, 1)  # Monday of the week holding as_of - 90 days
    assert weeks[-1] == date(2026, 2, 23)
    assert all(w.weekday() == 0 for w in weeks)


def test_heatmap_shows_held_per_report_per_week() -> None:
    fig = cadence_heatmap(fx.weekly_activity(), fx.manager_metrics(), NAMES, fx.meta())
    heat = fig["data"][0]
    row = heat["y"].index("Alice Archer")
    column = heat["x"].index("2026-W08")
    assert heat["z"][row][column] == round(2 / 3, 3)  # bob and dan held, of 3 reports
    go.Figure(fig)


def test_heatmap_keeps_the_largest_teams_and_says_so() -> None:
    fig = cadence_heatmap(fx.weekly_activity(), fx.manager_metrics(), NAMES, fx.meta(), top_n=1)
    assert fig["data"][0]["y"] == ["Alice Archer"]
    assert "1 largest of 4 teams" in fig["layout"]["title"]["subtitle"]["text"]


def test_weekly_trends_fill_quiet_weeks_with_zero() -> None:
    fig = weekly_trends(fx.weekly_activity(), 7, fx.meta())
    held = trace(fig, "Held")
    assert len(held["x"]) == len(window_weeks(fx.meta()))
    assert held["y"][held["x"].index("2025-W50")] == 0
    assert held["y"][held["x"].index("2026-W08")] == 3  # bob, dan and hugo
    assert len(fig["data"]) == 5
    go.Figure(fig)


def test_weekly_trends_share_of_reports_met_counts_distinct_reports() -> None:
    fig = weekly_trends(fx.weekly_activity(), 9, fx.meta())
    met = fig["data"][-1]
    assert met["y"][met["x"].index("2026-W08")] == 3 / 9


def test_leverage_has_a_point_per_manager_coloured_by_coverage_and_a_colour_bar() -> None:
    managers = fx.manager_metrics()
    fig = leverage_figure(managers, NAMES, fx.meta())
    points, scale = fig["data"]
    assert points["text"] == ["Alice Archer", "Dan Dorn", "Erin Ember", "Zoe Chief"]
    coverage = dict(managers.select("manager_email", "mean_coverage").rows())
    expected = [scale_colour(coverage[fx.e(w)] or 0.0) for w in ("alice", "dan", "erin", "zoe")]
    assert points["marker"]["color"] == expected
    assert scale["x"] == [None] and scale["marker"]["showscale"] is True
    assert scale["marker"]["colorscale"][0] == [0.0, CIVIDIS_STOPS[0]]
    assert scale["marker"]["colorscale"][-1] == [1.0, CIVIDIS_STOPS[-1]]
    go.Figure(fig)


def test_leverage_above_its_point_limit_groups_managers_and_counts_each_once() -> None:
    managers = fx.manager_metrics()
    fig = leverage_figure(managers, NAMES, fx.meta(), max_points=3)
    points, scale = fig["data"]
    counts = [count for count, _ in points["customdata"]]
    assert sum(counts) == managers.height and len(counts) < managers.height
    held = dict(zip(managers["manager_email"], managers["held_hours"], strict=True))
    (shared,) = [i for i, count in enumerate(counts) if count > 1]  # erin and zoe: 0.5 h
    assert points["x"][shared] == held[fx.e("erin")] == held[fx.e("zoe")]
    assert "Erin Ember" in points["text"][shared] and "Zoe Chief" in points["text"][shared]
    assert "share a point" in fig["layout"]["title"]["subtitle"]["text"]
    assert scale["marker"]["showscale"] is True
    go.Figure(fig)


def test_leverage_groups_put_every_manager_in_exactly_one_cell() -> None:
    held, lev = [0.0, 0.1, 10.0, 10.0, 5.0], [0.0, 0.1, 100.0, 99.9, 50.0]
    groups = leverage_groups(held, lev)
    assert sorted(i for g in groups for i in g) == [0, 1, 2, 3, 4]
    assert [0, 1] in groups and [2, 3] in groups and [4] in groups


def test_scale_colour_blends_between_stops_and_clamps() -> None:
    stops = ("#000000", "#ff0000", "#ffffff")
    assert [scale_colour(v, stops) for v in (-1, 0, 0.25, 0.5, 0.75, 1, 2)] == [
        "#000000", "#000000", "#800000", "#ff0000", "#ff8080", "#ffffff", "#ffffff",
    ]  # fmt: skip


def pair_timeline(occ: pl.DataFrame, reports: list[str]) -> Figure:
    """A team's timeline as the manager pages build it: rows first, then the figure."""
    return timeline_figure(timeline_rows(occ, NAMES, fx.meta()), reports, NAMES, fx.meta())


def alice_timeline() -> Figure:
    occ = fx.occurrences().filter(pl.col("manager_email") == fx.e("alice"))
    return pair_timeline(occ, [fx.e(w) for w in ("bob", "carol", "dan")])


def test_timeline_has_one_trace_per_status_whatever_the_team_size() -> None:
    fig = alice_timeline()
    names = [t["name"] for t in fig["data"]]
    assert names == [
        "Held", "No-show: scheduled, not both joined", "Held, moved", "Upcoming", "Cancelled",
        "Declined", "Rescheduled (replaced)",
    ]  # fmt: skip
    go.Figure(fig)


def test_timeline_shows_times_in_the_org_time_zone() -> None:
    held = trace(alice_timeline(), "Held")
    assert "2026-02-02 10:00" in held["x"]  # 09:00 UTC in Berlin


def test_timeline_marks_moves_replacements_and_who_cancelled() -> None:
    fig = alice_timeline()
    assert trace(fig, "Held, moved")["x"] == ["2026-02-17 15:00"]
    assert trace(fig, "Rescheduled (replaced)")["x"] == ["2026-02-16 10:00"]
    cancelled = trace(fig, "Cancelled")["customdata"]
    assert cancelled[0][1] == " by Alice Archer, 2 h ahead"


def test_timeline_lists_every_report_even_one_never_met() -> None:
    occ = fx.occurrences().filter(pl.col("manager_email") == fx.e("erin"))
    fig = pair_timeline(occ, [fx.e("frank"), fx.e("grace")])
    assert fig["layout"]["yaxis"]["categoryarray"] == ["Frank Fox", "Grace Gill"]


def test_label_margin_grows_with_the_longest_label_and_has_a_ceiling() -> None:
    short, longer = label_margin(["Ana"]), label_margin(["Ana", "Ada Lovelace · manager"])
    assert 36 < short < longer < MAX_LABEL_MARGIN
    assert label_margin(["R &amp; D"]) == label_margin(["R & D"])
    assert label_margin(["x" * 500]) == MAX_LABEL_MARGIN


def test_a_no_show_is_drawn_as_its_own_category_with_a_marker_of_its_own() -> None:
    fig = alice_timeline()
    no_show = trace(fig, NO_SHOW_LABEL)
    assert no_show["x"] == ["2026-02-20 12:00"]  # alice–dan, 11:00 UTC: held, dan never joined
    assert no_show["y"] == ["Dan Dorn"]
    assert "2026-02-20 12:00" not in trace(fig, "Held")["x"]
    # held: bob's attended 1:1 and carol's without call records (met in person)
    assert set(trace(fig, "Held")["x"]) == {"2026-02-02 10:00", "2026-01-16 11:00"}
    others = [t for t in fig["data"] if t["name"] != NO_SHOW_LABEL]
    assert no_show["marker"]["symbol"] not in {t["marker"]["symbol"] for t in others}
    assert no_show["marker"]["color"] not in {t["marker"]["color"] for t in others}
    assert no_show["customdata"] == [["Fri 20 Feb 2026 12:00",
                                      " (call records: only one of the two joined)"]]  # fmt: skip
    assert "%{fullData.name}" in no_show["hovertemplate"]  # the hover names the category
    assert "no-show" in fig["layout"]["title"]["subtitle"]["text"]
    go.Figure(fig)


def test_without_call_records_nothing_is_drawn_as_a_no_show() -> None:
    occ = fx.occurrences().with_columns(attendance=pl.lit("unknown"))
    fig = pair_timeline(occ.filter(pl.col("manager_email") == fx.e("alice")),
                        [fx.e(w) for w in ("bob", "carol", "dan")])  # fmt: skip
    assert trace(fig, NO_SHOW_LABEL)["x"] == []
    assert "2026-02-20 12:00" in trace(fig, "Held")["x"]


def test_the_leverage_hover_gives_each_managers_unscheduled_call_hours() -> None:
    managers = with_unscheduled_call_hours(fx.manager_metrics(), fx.pair_metrics())
    points = leverage_figure(managers, NAMES, fx.meta())["data"][0]
    hover = dict(zip(points["text"], (row[3] for row in points["customdata"]), strict=True))
    assert hover["Zoe Chief"] == "<br>unscheduled calls: 1.0 h"
    assert hover["Erin Ember"] == "<br>unscheduled calls: 0.0 h"
    assert "%{customdata[3]}" in points["hovertemplate"]
    unread = fx.pair_metrics().with_columns(unscheduled_call_hours=pl.lit(None, pl.Float64))
    managers = with_unscheduled_call_hours(fx.manager_metrics(), unread)
    points = leverage_figure(managers, NAMES, fx.meta())["data"][0]
    assert {row[3] for row in points["customdata"]} == {""}  # no call records: no line
