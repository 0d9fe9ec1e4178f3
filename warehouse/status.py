"""Candidate copies → one row per occurrence with status signals (rules 3–5).

Each occurrence's copies are folded into flags about the organizer's copy and the
other participant's copy; status, canceller and lead time follow from those flags.
"""

from __future__ import annotations

import polars as pl

from warehouse.copies import KEY

_LIVE = pl.col("state") == "live"
_GONE = pl.col("state") != "live"
_CANCELLED = pl.col("state") == "cancelled"


def _with_roles(copies: pl.DataFrame) -> pl.DataFrame:
    """Tag each copy as the organizer's or the other participant's."""
    # Copies of one meeting name the same organizer (stubs got theirs from the series),
    # so each copy's own organizer is used: a window over the key costs seconds at 1M.
    org_raw = pl.col("organizer_email")
    in_pair = (org_raw == pl.col("person_a")) | (org_raw == pl.col("person_b"))
    return (
        copies.with_columns(org=pl.when(in_pair).then(org_raw))
        .with_columns(
            other=pl.when(pl.col("org") == pl.col("person_a"))
            .then(pl.col("person_b"))
            .when(pl.col("org") == pl.col("person_b"))
            .then(pl.col("person_a"))
        )
        .with_columns(
            is_org=(pl.col("calendar_email") == pl.col("org")).fill_null(False),
            is_other=(pl.col("calendar_email") == pl.col("other")).fill_null(False),
            # The sync bracket counts only when an earlier sync saw the copy live.
            bracket=pl.when(pl.col("live_seen_at") < pl.col("cancel_seen_at")).then(
                pl.col("cancel_seen_at")
            ),
        )
        .with_columns(
            priority=pl.when(pl.col("is_org") & _LIVE).then(0).when(_LIVE).then(1).otherwise(2)
        )
    )


def _flag_columns(copies: pl.DataFrame) -> pl.DataFrame:
    """Per-copy flags and masked timestamps, so the fold is only plain any/min/first."""
    org, other = pl.col("is_org"), pl.col("is_other")
    declines = pl.col("declined_by")
    some_decline = declines.list.len() > 0
    own_decline = some_decline & declines.list.contains(pl.col("calendar_email"))

    def masked(name: str, condition: pl.Expr) -> pl.Expr:
        return pl.when(condition).then(pl.col(name))

    return copies.with_columns(
        org_live=org & _LIVE,
        org_gone=org & _GONE,
        other_gone=other & _GONE,
        other_live=other & _LIVE,
        any_cancelled=_CANCELLED,
        other_declined=some_decline & declines.list.contains(pl.col("other")).fill_null(False),
        a_declined=some_decline & declines.list.contains(pl.col("person_a")),
        b_declined=some_decline & declines.list.contains(pl.col("person_b")),
        org_cancel_ts=masked("updated_at", org & _CANCELLED),
        any_cancel_ts=masked("updated_at", _CANCELLED),
        org_bracket=masked("bracket", org),
        # Google has no response time: the decliner's own copy changed when they declined.
        # Without the other's copy (one side read), the organizer's copy's record of the
        # other's response (Graph) dates their decline.
        other_ts=pl.coalesce(
            masked("response_at", other),
            masked("updated_at", other & _CANCELLED),
            masked("updated_at", other & own_decline),
            masked("response_at", org & declines.list.contains(pl.col("other")).fill_null(False)),
        ),
        other_bracket=masked("bracket", other),
        moved=(pl.col("first_start") != pl.col("start")).fill_null(False),
        in_google=pl.col("provider") == "google",
        in_microsoft=pl.col("provider") == "microsoft",
    )


_ANY = ("org_live", "org_gone", "other_gone", "other_live", "any_cancelled", "other_declined",
        "a_declined", "b_declined", "recurring", "has_agenda", "moved", "in_google",
        "in_microsoft")  # fmt: skip
_MIN = ("org_cancel_ts", "any_cancel_ts", "org_bracket", "other_ts", "other_bracket",
        "created_at", "series_key")  # fmt: skip
# Copies are sorted best first (organizer's live copy), so `first` picks the best copy.
_FIRST = ("org", "other", "organizer_email", "start", "end", "minutes")


def _fold(copies: pl.DataFrame) -> pl.DataFrame:
    # The event id breaks ties, so the fold never depends on the order copies were read.
    ranked = _flag_columns(copies).sort("priority", "provider", "calendar_email", "event_id")
    return (
        ranked.group_by(KEY)
        .agg(
            *[pl.col(c).any() for c in _ANY],
            *[pl.col(c).min() for c in _MIN],
            *[pl.col(c).first() for c in _FIRST],
            any_bracket=pl.col("bracket").min(),
            # The organizer's copy's online meeting when it has one, else any copy's:
            # the organizer's provider hosts the call.
            meeting_key=pl.col("meeting_key").drop_nulls().first(),
        )
        .with_columns(
            providers=pl.when(pl.col("in_google") & pl.col("in_microsoft"))
            .then(pl.lit("google,microsoft"))
            .when(pl.col("in_google"))
            .then(pl.lit("google"))
            .otherwise(pl.lit("microsoft"))
        )
    )


def fold_copies(copies: pl.DataFrame) -> pl.DataFrame:
    """One row per natural key with status, canceled_by and cancel_lead_hours."""
    folded = _fold(_with_roles(copies))
    return _status(folded).select(
        *KEY,
        "organizer_email",
        "start",
        "end",
        "minutes",
        "created_at",
        "series_key",
        "recurring",
        "has_agenda",
        "providers",
        "meeting_key",
        "status",
        "canceled_by",
        "cancel_lead_hours",
        rescheduled=(pl.col("start") != pl.col("scheduled_start")) | pl.col("moved"),
    )


def _status(folded: pl.DataFrame) -> pl.DataFrame:
    cancelled = (pl.col("org_gone") | pl.col("any_cancelled")) & ~pl.col("org_live")
    # A copy gone from the other's calendar is a decline only if no live copy of theirs
    # remains: a "this and following" split replaces every copy's id on both calendars.
    removed_by_other = pl.col("org_live") & pl.col("other_gone") & ~pl.col("other_live")
    declined_other = pl.col("other_declined") | removed_by_other
    # Without a known organizer in the pair, a decline names whoever declined.
    decliner = (
        pl.when(pl.col("org").is_not_null())
        .then(pl.when(declined_other).then(pl.col("other")))
        .when(pl.col("a_declined"))
        .then(pl.col("person_a"))
        .when(pl.col("b_declined"))
        .then(pl.col("person_b"))
    )
    cancel_time = pl.coalesce("org_cancel_ts", "any_cancel_ts", "org_bracket", "any_bracket")
    decline_time = pl.coalesce("other_ts", "other_bracket")
    return (
        folded.with_columns(decliner=decliner, is_cancelled=cancelled)
        .with_columns(
            status=pl.when("is_cancelled")
            .then(pl.lit("cancelled"))
            .when(pl.col("decliner").is_not_null())
            .then(pl.lit("declined")),
            canceled_by=pl.when("is_cancelled").then("org").otherwise("decliner"),
            when_cancelled=pl.when("is_cancelled").then(cancel_time).otherwise(decline_time),
        )
        .with_columns(
            cancel_lead_hours=pl.when(pl.col("status").is_not_null()).then(
                (pl.col("scheduled_start") - pl.col("when_cancelled")).dt.total_microseconds()
                / 3.6e9
            )
        )
    )
