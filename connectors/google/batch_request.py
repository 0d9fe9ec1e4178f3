"""google-api-python-client's batch request, writing plain inner requests directly.

The library writes every inner request of a batch as a MIME message through the
`email` package, whose header folding cost about 0.2 ms of CPU per calendar: a fifth
of an unchanged calendar's cost in a weekly run. `BatchRequest` writes the same text
itself for the requests a sync sends (no body, header values of printable ASCII with
single spaces, which the email package writes as they are) and leaves any other
request to the library. tests/google/test_google_batch_request.py holds the two
writers to the same output.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

from googleapiclient import _auth
from googleapiclient.http import BatchHttpRequest

# What the email package writes unchanged: no line break, no leading, trailing or
# repeated whitespace, nothing outside printable ASCII (and no colon in a name).
_NAME = re.compile(r"[!-9;-~]+")
_VALUE = re.compile(r"[!-~]+(?: [!-~]+)*")


class BatchRequest(BatchHttpRequest):
    """A `BatchHttpRequest` whose plain inner requests skip the email package."""

    def _serialize_request(self, request: Any) -> str:
        if request.body is not None:
            return str(super()._serialize_request(request))
        headers = dict(request.headers)
        credentials = _auth.get_credentials_from_http(request.http)
        if credentials is not None:
            _auth.apply_credentials(credentials, headers)
        kind = headers.pop("content-type", "application/json")
        parsed = urllib.parse.urlparse(request.uri)
        fields = [("Content-Type", kind), ("MIME-Version", "1.0"), *headers.items()]
        fields.append(("Host", parsed.netloc))
        if kind.count("/") != 1 or not all(_plain(name, value) for name, value in fields):
            return str(super()._serialize_request(request))
        target = urllib.parse.urlunparse(("", "", parsed.path, parsed.params, parsed.query, ""))
        lines = [f"{request.method} {target} HTTP/1.1"]
        lines.extend(f"{name}: {value}" for name, value in fields)
        return "\n".join(lines) + "\n\n"


def _plain(name: object, value: object) -> bool:
    return (
        isinstance(name, str)
        and isinstance(value, str)
        and _NAME.fullmatch(name) is not None
        and _VALUE.fullmatch(value) is not None
    )
