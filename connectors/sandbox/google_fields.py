"""The `fields` parameter of Google JSON APIs (partial responses), parsed and applied.

Syntax: a comma-separated list of selections; `a/b` selects `b` inside `a`; `a(b,c)`
selects `b` and `c` inside `a`; a selection inside an array applies to each element.
A field not selected is left out of the answer, so a connector whose mask forgets a
field it reads fails against the sandbox as it would against Google.
"""

from __future__ import annotations

import re
from typing import Any

Mask = dict[str, "Mask | None"]  # None: the whole value
_NAME = re.compile(r"[A-Za-z_@][A-Za-z0-9_@.\-]*|\*")


class FieldsError(ValueError):
    """The fields parameter does not parse."""


def parse_fields(text: str) -> Mask:
    """The mask a fields parameter selects; raises `FieldsError` when it is malformed."""
    mask, end = _selections(text.replace(" ", ""), 0)
    if end != len(text.replace(" ", "")):
        raise FieldsError(f"Invalid field selection {text}")
    return mask


def _selections(text: str, at: int) -> tuple[Mask, int]:
    mask: Mask = {}
    while True:
        at = _selection(text, at, mask)
        if at < len(text) and text[at] == ",":
            at += 1
            continue
        return mask, at


def _selection(text: str, at: int, mask: Mask) -> int:
    match = _NAME.match(text, at)
    if match is None:
        raise FieldsError(f"Invalid field selection at {at}")
    name, at = match.group(), match.end()
    if at < len(text) and text[at] in "/(":
        inner: Mask = {}
        if text[at] == "/":
            at = _selection(text, at + 1, inner)
        else:
            inner, at = _selections(text, at + 1)
            if at >= len(text) or text[at] != ")":
                raise FieldsError("Invalid field selection: unbalanced parentheses")
            at += 1
        _merge(mask, name, inner)
    else:
        mask[name] = None
    return at


def _merge(mask: Mask, name: str, inner: Mask) -> None:
    if name in mask and mask[name] is None:
        return  # already the whole value
    existing = mask.get(name)
    if existing is None:
        mask[name] = inner
        return
    for key, value in inner.items():
        if value is None:
            existing[key] = None
        else:
            _merge(existing, key, value)


def apply_mask(value: Any, mask: Mask | None) -> Any:
    """`value` with only the selected fields (arrays: each element masked)."""
    if mask is None or "*" in mask:
        return value
    if isinstance(value, list):
        return [apply_mask(item, mask) for item in value]
    if not isinstance(value, dict):
        return value
    return {key: apply_mask(value[key], sub) for key, sub in mask.items() if key in value}


def selects(mask: Mask | None, *path: str) -> bool:
    """Whether the mask keeps the field at `path` (or the whole value around it)."""
    for name in path:
        if mask is None or "*" in mask:
            return True
        if name not in mask:
            return False
        mask = mask[name]
    return True
