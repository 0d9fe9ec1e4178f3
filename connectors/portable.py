"""Calendar sources that travel to worker processes (a Dask cluster) as their recipe.

A source holds connections, token caches and limiters, none of which can be pickled.
Pickled, it becomes its recipe (the arguments it was built from) and a key; unpickled
in a worker process, the source is built once per key and reused by every task that
process runs, so a worker keeps one token cache and one set of limiters: request
limits then apply per worker process.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

_built: dict[str, Any] = {}
_guard = threading.Lock()


def rebuilt(key: str, kind: type[Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The source `key` of this process, built from its recipe the first time."""
    with _guard:
        if key not in _built:
            _built[key] = kind(*args, **kwargs)
        return _built[key]


class Portable:
    """Mixin: pickles as its recipe; `remember` is called by the constructor."""

    _recipe: tuple[str, tuple[Any, ...], dict[str, Any]] | None = None

    def remember(self, *args: Any, **kwargs: Any) -> None:
        """Record the constructor's arguments (None: this source cannot travel)."""
        self._recipe = (uuid.uuid4().hex, args, kwargs)

    def __reduce__(self) -> tuple[Any, ...]:
        if self._recipe is None:
            raise TypeError(
                f"{type(self).__name__} was given a connection of the caller's and cannot"
                " be sent to another process"
            )
        key, args, kwargs = self._recipe
        return (rebuilt, (key, type(self), args, kwargs))
