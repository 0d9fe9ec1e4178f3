"""The sandbox's HTTPS server: one port on 127.0.0.1 speaking Google and Microsoft APIs.

Each API module contributes routes (`method`, path regex, handler). A handler takes a
`Request` and returns a `Reply`. Tests can queue faults that replace the next matching
replies (throttling, 5xx, malformed bodies, dropped connections, a body cut short).
A handler may dispatch inner requests (a batch endpoint) through `Request.inner`:
faults apply to them too, and they are recorded in `inner_requests`, not `requests`
(which counts what came over the wire).
"""

from __future__ import annotations

import json
import re
import ssl
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from connectors.sandbox.tls import TlsFiles, make_tls_files


@dataclass
class Request:
    method: str
    path: str  # without the query string
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    match: re.Match[str] | None = None
    inner: Callable[[Request], Reply] | None = None  # dispatch of an inner request

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    @property
    def bearer(self) -> str | None:
        auth = self.headers.get("authorization", "")
        return auth[7:] if auth.lower().startswith("bearer ") else None


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering
    cut_after: int | None = None  # send this many body bytes, then close (mid-body drop)

    @classmethod
    def json(cls, payload: Any, status: int = 200, **headers: str) -> Reply:
        body = json.dumps(payload, separators=(",", ":")).encode()
        return cls(status, body, {"Content-Type": "application/json; charset=UTF-8", **headers})


Handler = Callable[[Request], Reply]
Route = tuple[str, str, Handler]


@dataclass
class Fault:
    """Replace the next `times` replies whose path matches `path_regex`."""

    path_regex: str
    reply: Reply
    times: int = 1


class SandboxHTTPServer:
    """Serves routes over HTTPS on 127.0.0.1 in a background thread."""

    def __init__(self, routes: Iterable[Route], tls: TlsFiles, port: int = 0) -> None:
        self.routes = [(m, re.compile(p), h) for m, p, h in routes]
        self.tls = tls
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request
        self.inner_requests: list[tuple[str, str]] = []  # inner requests of batches
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", port), _make_handler(self))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls.cert_file, tls.key_file)
        # The handshake happens in each connection's own thread, not the accept loop.
        self._httpd.socket = context.wrap_socket(
            self._httpd.socket, server_side=True, do_handshake_on_connect=False
        )
        self._thread: threading.Thread | None = None

    @property
    def root(self) -> str:
        """Base URL with a trailing slash, e.g. https://127.0.0.1:8443/."""
        return f"https://127.0.0.1:{self._httpd.server_address[1]}/"

    def add_routes(self, routes: Iterable[Route]) -> None:
        """Register more routes (e.g. once the root URL, known after binding, is used)."""
        compiled = [(m, re.compile(p), h) for m, p, h in routes]
        with self._lock:
            self.routes.extend(compiled)

    def add_fault(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def start(self) -> SandboxHTTPServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def dispatch(self, request: Request, inner: bool = False) -> Reply:
        """The reply to `request`: a queued fault matching its path, else its route's."""
        request.inner = lambda sub: self.dispatch(sub, inner=True)
        with self._lock:
            (self.inner_requests if inner else self.requests).append((request.method, request.path))
            fault = next((f for f in self.faults if re.search(f.path_regex, request.path)), None)
            if fault is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault.reply
        for method, pattern, handler in self.routes:
            match = pattern.fullmatch(request.path)
            if match and method == request.method:
                request.match = match
                return handler(request)
        return Reply.json({"error": {"code": 404, "message": f"no route {request.path}"}}, 404)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # many clients connect at once (one pool per sync thread)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up mid-request (faults, killed syncs) are expected here."""
        error = sys.exc_info()[1]
        if not isinstance(error, (ConnectionError, ssl.SSLError, TimeoutError)):
            super().handle_error(request, client_address)


def _make_handler(server: SandboxHTTPServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out as separate writes

        def _handle(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(
                method=self.command,
                path=url.path,
                query=parse_qs(url.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            reply = server.dispatch(request)
            if reply.drop:
                self.close_connection = True
                self.connection.close()
                return
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if reply.cut_after is not None:
                self.wfile.write(reply.body[: reply.cut_after])
                self.wfile.flush()
                self.close_connection = True
                self.connection.close()
                return
            self.wfile.write(reply.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet: tests and the demo read `server.requests` instead

    return _Handler


def serve(routes: Iterable[Route], state_dir: Path, port: int = 0) -> SandboxHTTPServer:
    """Start an HTTPS server for `routes` with a fresh CA written under `state_dir`."""
    return SandboxHTTPServer(routes, make_tls_files(state_dir / "tls"), port).start()
