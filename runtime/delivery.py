"""Optional email delivery of the run summary (report.email), over SMTP with STARTTLS.

`summary_message` is pure; `send_summary` resolves the password reference, connects
and sends. The password is only ever handed to `smtplib.login`; errors say which
server refused, never with what.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path

from core.errors import FatalSourceError
from runtime.config import EmailConfig
from runtime.secrets import resolve_secret

TIMEOUT_S = 30.0


def summary_message(
    email: EmailConfig, subject: str, body: str, dashboard: Path | None
) -> EmailMessage:
    """The message: the summary as text, the dashboard attached or linked."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = email.from_address
    message["To"] = ", ".join(email.to)
    if email.link:
        body += f"\nOpen the dashboard: {email.link}\n"
    message.set_content(body)
    if email.attach and dashboard is not None:
        message.add_attachment(
            dashboard.read_bytes(), maintype="text", subtype="html", filename=dashboard.name
        )
    return message


def send_summary(email: EmailConfig, message: EmailMessage, ca_bundle: Path | None = None) -> None:
    """Send `message` through the configured server; STARTTLS verified against the
    system CAs plus http.ca_bundle."""
    try:
        with smtplib.SMTP(email.host, email.port, timeout=TIMEOUT_S) as smtp:
            if email.starttls:
                smtp.starttls(context=_tls_context(ca_bundle))
            if email.username and email.password:
                password = resolve_secret(email.password, "report.email.password")
                smtp.login(email.username, password.reveal())
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as error:
        raise FatalSourceError(
            f"report.email: sending through {email.host}:{email.port} failed"
            f" ({type(error).__name__})"
        ) from None


def _tls_context(ca_bundle: Path | None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if ca_bundle is not None:
        context.load_verify_locations(cafile=str(ca_bundle))
    return context
