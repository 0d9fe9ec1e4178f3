"""Pseudonymisation at ingest: every email replaced by a keyed HMAC-SHA256 pseudonym.

The key stays outside the warehouse (environment or a Prefect Secret block), so the
warehouse alone cannot be joined back to people; whoever holds the key can compute a
person's pseudonym to look them up.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import replace
from urllib.parse import quote

from connectors.model import CalendarBatch, Observation, Person
from connectors.settings import Secret
from core.errors import BadInputError

DOMAIN = "pseudonymized.invalid"
MAILBOX = "{mailbox}"


class Pseudonymizer:
    """Maps emails to stable pseudonyms like `p-3f9a…@pseudonymized.invalid`."""

    def __init__(self, key: Secret) -> None:
        self._key = key.reveal().encode()

    def email(self, email: str) -> str:
        digest = hmac.new(self._key, email.lower().encode(), hashlib.sha256).hexdigest()
        return f"p-{digest[:20]}@{DOMAIN}"

    def _optional(self, email: str | None) -> str | None:
        return None if email is None else self.email(email)

    def person(self, person: Person) -> Person:
        """Emails and name as pseudonyms; the job title as a keyed digest (a rare title
        names its holder; a change of title stays a change)."""
        pseudonym = self.email(person.email)
        return replace(
            person,
            email=pseudonym,
            name=pseudonym.split("@", 1)[0],
            manager_email=self._optional(person.manager_email),
            title=None if person.title is None else self._title(person.title),
        )

    def _title(self, title: str) -> str:
        digest = hmac.new(self._key, b"title:" + title.encode(), hashlib.sha256).hexdigest()
        return f"t-{digest[:12]}"

    def observation(self, observation: Observation) -> Observation:
        return replace(
            observation,
            calendar_email=self.email(observation.calendar_email),
            organizer_email=self._optional(observation.organizer_email),
            participants=tuple(sorted(self.email(e) for e in observation.participants)),
            declined_by=tuple(sorted(self.email(e) for e in observation.declined_by)),
        )

    def batch(self, batch: CalendarBatch) -> CalendarBatch:
        return replace(
            batch,
            calendar_email=self.email(batch.calendar_email),
            observations=[self.observation(o) for o in batch.observations],
            cursor=hide_mailbox(batch.cursor, batch.calendar_email),
        )

    def text(self, text: str, email: str) -> str:
        """An error message about `email`, with the address replaced by its pseudonym.

        APIs echo the address as given or URL-encoded (in a path or a query), in any case.
        """
        forms = sorted({email, quote(email, safe=""), quote(email, safe="@")}, key=len)
        pattern = "|".join(re.escape(form) for form in reversed(forms))
        return re.sub(pattern, self.email(email), text, flags=re.IGNORECASE)

    def replay_cursor(self, cursor: str | None, email: str) -> str | None:
        return restore_mailbox(cursor, email)


class PlainIngest:
    """Stores what it is given (pseudonymisation off)."""

    def email(self, email: str) -> str:
        return email

    def person(self, person: Person) -> Person:
        return person

    def batch(self, batch: CalendarBatch) -> CalendarBatch:
        return batch

    def text(self, text: str, email: str) -> str:
        return text

    def replay_cursor(self, cursor: str | None, email: str) -> str | None:
        return cursor


def ingest_for(pseudonymize: bool, key: Secret | None) -> Pseudonymizer | PlainIngest:
    """What happens to identities on their way into the warehouse."""
    if not pseudonymize:
        return PlainIngest()
    if key is None:
        raise BadInputError("privacy.key: required when privacy.pseudonymize is true")
    return Pseudonymizer(key)


def hide_mailbox(cursor: str | None, email: str) -> str | None:
    """A cursor with the mailbox address taken out (Graph delta links name it)."""
    if cursor is None:
        return None
    for form in (quote(email, safe=""), quote(email, safe="@"), email):
        cursor = cursor.replace(form, MAILBOX)
    return cursor


def restore_mailbox(cursor: str | None, email: str) -> str | None:
    """The stored cursor with the mailbox address put back, ready to replay."""
    return None if cursor is None else cursor.replace(MAILBOX, quote(email, safe="@"))
