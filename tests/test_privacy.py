"""Pseudonymisation: stable, keyed, complete, and cursors that still replay."""

from __future__ import annotations

from datetime import UTC, datetime

from connectors.model import CalendarBatch, Observation, Person
from connectors.settings import Secret
from runtime.privacy import Pseudonymizer, hide_mailbox, restore_mailbox

ANA, BOB = "ana@example.com", "bob@example.com"


def observation() -> Observation:
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    return Observation(
        provider="microsoft",
        calendar_email=ANA,
        event_id="AAMk1",
        series_key="S1",
        organizer_email=ANA,
        participants=(ANA, BOB),
        declined_by=(BOB,),
        state="live",
        start=start,
        end=start.replace(hour=10),
        original_start=start,
        recurring=True,
        has_agenda=False,
    )


def test_same_key_gives_the_same_pseudonym_and_another_key_another() -> None:
    first, again = Pseudonymizer(Secret("k1")), Pseudonymizer(Secret("k1"))
    assert first.email(ANA) == again.email("Ana@Example.com")
    assert first.email(ANA) != Pseudonymizer(Secret("k2")).email(ANA)
    assert first.email(ANA).endswith("@pseudonymized.invalid")


def test_no_email_or_name_survives_in_people_or_batches() -> None:
    p = Pseudonymizer(Secret("key"))
    person = p.person(Person(BOB, "Bob Stone", ANA, "google"))
    link = "https://graph.example/v1.0/users/ana%40example.com/calendarView/delta?$deltatoken=x"
    batch = p.batch(CalendarBatch("microsoft", ANA, [observation()], link, full=True))
    text = repr(person) + repr(batch)
    assert "example.com" not in text and "Bob Stone" not in text
    assert batch.observations[0].participants == tuple(sorted([p.email(ANA), p.email(BOB)]))


def test_a_title_is_hidden_but_its_change_still_shows() -> None:
    p = Pseudonymizer(Secret("key"))
    before = p.person(Person(BOB, "Bob Stone", ANA, "google", title="Chief Data Officer"))
    same = p.person(Person(BOB, "Bob Stone", ANA, "google", title="Chief Data Officer"))
    after = p.person(Person(BOB, "Bob Stone", ANA, "google", title="Chief Risk Officer"))
    assert before.title is not None and "Chief" not in before.title
    assert before.title == same.title != after.title
    assert p.person(Person(BOB, "Bob Stone", ANA, "google")).title is None


def test_a_hidden_mailbox_is_restored_for_replay() -> None:
    link = "https://graph.example/v1.0/users/ana@example.com/calendarView/delta?$deltatoken=x"
    hidden = hide_mailbox(link, ANA)
    assert hidden is not None and ANA not in hidden
    assert restore_mailbox(hidden, ANA) == link
