"""Where a signed-in person's tokens are kept: the OS keyring, else an owner-only file.

A refresh token lets whoever holds it read the person's calendar for months, so it is
never written where anyone but the owner can read it: in the OS keyring (macOS
Keychain, Windows Credential Locker, the Secret Service on a Linux desktop) when one
is available, else in a file of mode 0600 in a folder of mode 0700. A file another
user can read is refused, as ssh refuses such a key.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from core.errors import BadInputError

StoreKind = Literal["auto", "keyring", "file"]
KEYRING_SERVICE = "oneonone"


def default_directory() -> Path:
    """`$XDG_CONFIG_HOME/oneonone`, else `~/.config/oneonone`."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "oneonone"


def keyring_available() -> bool:
    """Whether an OS keyring backend is usable here (a headless server has none)."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:  # pragma: no cover - keyring is a dependency
        return False
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        return False
    return float(getattr(backend, "priority", 0)) > 0


@dataclass(frozen=True)
class TokenStore:
    """One sign-in's token text (a JSON document the connector writes), owner-only.

    `name` identifies the sign-in (provider and app: "google-<client id>"); `kind`
    "auto" uses the keyring when one is available, else the file
    `<directory>/<name>.json`.
    """

    name: str
    directory: Path
    kind: StoreKind = "auto"

    @property
    def uses_keyring(self) -> bool:
        if self.kind == "keyring" and not keyring_available():
            raise BadInputError(
                "login.store: 'keyring' but no OS keyring is available here;"
                " expected 'auto' or 'file'"
            )
        return self.kind == "keyring" or (self.kind == "auto" and keyring_available())

    @property
    def path(self) -> Path:
        return self.directory / f"{_safe(self.name)}.json"

    def where(self) -> str:
        """Where the tokens are kept, for messages (never the tokens themselves)."""
        return "the OS keyring" if self.uses_keyring else str(self.path)

    def load(self) -> str | None:
        """The stored text, or None when nobody has signed in."""
        if self.uses_keyring:
            import keyring

            return keyring.get_password(KEYRING_SERVICE, self.name)
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return None
        if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise BadInputError(
                f"{self.path}: holds sign-in tokens but others may read it"
                f" (mode {stat.S_IMODE(info.st_mode):o}); expected mode 600 (chmod 600 {self.path})"
            )
        return self.path.read_text(encoding="utf-8")

    def save(self, text: str) -> None:
        """Keep `text`, replacing what was there (a crash leaves the old or the new)."""
        if self.uses_keyring:
            import keyring

            keyring.set_password(KEYRING_SERVICE, self.name, text)
            return
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".partial")
        partial.unlink(missing_ok=True)
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, self.path)

    def delete(self) -> bool:
        """Forget the tokens; whether there were any."""
        if self.uses_keyring:
            import keyring
            from keyring.errors import PasswordDeleteError

            try:
                keyring.delete_password(KEYRING_SERVICE, self.name)
            except PasswordDeleteError:
                return False
            return True
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        return True


def _safe(name: str) -> str:
    """A file name from a sign-in name (client ids are GUIDs or `…apps.googleusercontent.com`)."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
