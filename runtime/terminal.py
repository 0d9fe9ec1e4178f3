"""Data on its way to a terminal: shown as the characters it holds, never obeyed.

Names, addresses, queried values and error texts come from rosters, calendars and
APIs. Printed as rich markup, `[/]` crashes the printer and `[link=…]` becomes a live
hyperlink; printed raw, an ESC or OSC-8 sequence is executed by the terminal. The CLI
prints data as `rich.text.Text` (never parsed as markup) of `plain(...)` (no control
characters), and log lines pass their data through `plain` too.
"""

from __future__ import annotations

import re

from rich.text import Text

# C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides
# that reorder what a reader sees.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def plain(value: object) -> str:
    """`value` as text with every control character shown as an escape such as `\\x1b`."""
    return _CONTROL.sub(_escaped, str(value))


def _escaped(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


def text(value: object, style: str = "") -> Text:
    """`value` as a rich `Text`: printed literally, markup characters included."""
    return Text(plain(value), style=style)
