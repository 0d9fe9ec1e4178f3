"""A tiny SMTP server on 127.0.0.1 (EHLO, STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA) that
keeps what it received, for delivery tests."""

from __future__ import annotations

import base64
import socketserver
import ssl
import threading
from dataclasses import dataclass, field
from typing import BinaryIO


@dataclass
class Mailbox:
    messages: list[bytes] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    tls_used: list[bool] = field(default_factory=list)


class SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, tls: ssl.SSLContext | None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.tls = tls
        self.mailbox = Mailbox()

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def __enter__(self) -> SmtpServer:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


class _Handler(socketserver.StreamRequestHandler):
    server: SmtpServer

    def handle(self) -> None:
        self.secure = False
        self._say("220 test smtp ready")
        while line := self.rfile.readline():
            verb, _, arg = line.decode().rstrip("\r\n").partition(" ")
            if not self._command(verb.upper(), arg):
                return

    def finish(self) -> None:
        super().finish()
        if self.secure:  # the TLS socket replaced the one socketserver will close
            self.connection.close()

    def _command(self, verb: str, arg: str) -> bool:
        if verb == "EHLO":
            extensions = ["250-localhost", "250-AUTH PLAIN"]
            if self.server.tls and not self.secure:
                extensions.append("250-STARTTLS")
            self._say("\r\n".join([*extensions, "250 OK"]))
        elif verb == "STARTTLS" and self.server.tls:
            self._say("220 go ahead")
            self._upgrade(self.server.tls)
        elif verb == "AUTH":
            _, user, password = base64.b64decode(arg.split()[1]).decode().split("\0")
            self.server.mailbox.logins.append((user, password))
            self._say("235 accepted")
        elif verb == "RCPT":
            self.server.mailbox.recipients.append(arg.split(":", 1)[1].strip("<> "))
            self._say("250 OK")
        elif verb == "DATA":
            self._say("354 end with .")
            self.server.mailbox.messages.append(self._data())
            self.server.mailbox.tls_used.append(self.secure)
            self._say("250 queued")
        elif verb == "QUIT":
            self._say("221 bye")
            return False
        else:  # MAIL, RSET, NOOP
            self._say("250 OK")
        return True

    def _upgrade(self, context: ssl.SSLContext) -> None:
        secure = context.wrap_socket(
            self.connection, server_side=True, do_handshake_on_connect=False
        )
        self.connection = secure
        self.secure = True  # from here on `finish` closes the TLS socket
        try:
            secure.do_handshake()
        except (ssl.SSLError, OSError):  # a client that does not trust us hangs up
            return
        self.rfile: BinaryIO = self.connection.makefile("rb")  # type: ignore[assignment]
        self.wfile: BinaryIO = self.connection.makefile("wb", buffering=0)  # type: ignore[assignment]

    def _data(self) -> bytes:
        lines = []
        while (line := self.rfile.readline()) not in (b".\r\n", b""):
            lines.append(line[1:] if line.startswith(b"..") else line)
        return b"".join(lines)

    def _say(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")
