"""What one delta round of one mailbox returned, accumulated page by page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from connectors.microsoft.client import JsonObject
from connectors.model import Observation

Observe = Callable[[JsonObject], Observation | None]  # an event -> its 1:1, if it is one


@dataclass
class DeltaRound:
    """What one delta round returned, in order: later entries win over earlier ones.

    Each event is normalised by `observe` as it arrives and only the result is kept:
    holding every raw page until the round ends made rounds of thousands of events
    cost far more memory and garbage-collector time than the normalising itself.
    """

    observe: Observe
    observations: dict[str, Observation | None] = field(default_factory=dict)  # by event id
    removed: dict[str, None] = field(default_factory=dict)  # ordered set of ids
    delta_link: str | None = None
    events_read: int = 0

    def add(self, entry: JsonObject) -> None:
        """Record one `value` entry: a changed event or an `@removed` id."""
        event_id = str(entry.get("id", ""))
        if "@removed" in entry:
            self.observations.pop(event_id, None)
            self.removed[event_id] = None
        else:
            self.removed.pop(event_id, None)
            self.observations[event_id] = self.observe(entry)
        self.events_read += 1

    def found(self) -> list[Observation]:
        """The round's 1:1 observations, in the order their events first came."""
        return [found for found in self.observations.values() if found is not None]
