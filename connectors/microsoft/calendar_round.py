"""What one delta round of one mailbox returned, accumulated page by page."""

from __future__ import annotations

from dataclasses import dataclass, field

from connectors.microsoft.client import JsonObject


@dataclass
class DeltaRound:
    """What one delta round returned, in order: later entries win over earlier ones."""

    events: dict[str, JsonObject] = field(default_factory=dict)
    removed: dict[str, None] = field(default_factory=dict)  # ordered set of ids
    delta_link: str | None = None
    events_read: int = 0

    def add(self, entry: JsonObject) -> None:
        """Record one `value` entry: a changed event or an `@removed` id."""
        event_id = str(entry.get("id", ""))
        if "@removed" in entry:
            self.events.pop(event_id, None)
            self.removed[event_id] = None
        else:
            self.removed.pop(event_id, None)
            self.events[event_id] = entry
        self.events_read += 1
