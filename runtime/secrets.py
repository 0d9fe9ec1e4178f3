"""Resolve secret references (`env:NAME`, `prefect:block-name`) to `Secret` values."""

from __future__ import annotations

import os

from connectors.settings import Secret
from core.errors import BadInputError


def resolve_secret(reference: str, key: str) -> Secret:
    """Look up the secret a config `key` refers to; never echo the value."""
    kind, _, name = reference.partition(":")
    if kind == "env":
        value = os.environ.get(name)
        if not value:
            raise BadInputError(f"{key}: environment variable {name} is not set")
        return Secret(value)
    if kind == "prefect":
        return Secret(_prefect_secret(name, key))
    raise BadInputError(f"{key}: expected 'env:VARIABLE' or 'prefect:secret-block-name'")


def check_secret_references(references: dict[str, str | None]) -> None:
    """Resolve every configured reference once, so a missing secret stops a run
    before anything is written (key → reference; None means not configured)."""
    for key, reference in references.items():
        if reference is not None:
            resolve_secret(reference, key)


def _prefect_secret(name: str, key: str) -> str:
    from prefect.blocks.system import Secret as SecretBlock

    try:
        block: SecretBlock = SecretBlock.load(name)  # type: ignore[assignment]
    except ValueError:
        raise BadInputError(f"{key}: no Prefect Secret block named {name!r}") from None
    return str(block.get())
