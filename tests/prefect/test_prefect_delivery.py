"""Email delivery of the run summary against a local SMTP server on 127.0.0.1."""

from __future__ import annotations

import email
import email.policy
import ssl
from collections.abc import Iterator
from datetime import date
from email.message import EmailMessage
from pathlib import Path

import pytest
from smtp_server import SmtpServer

from connectors.sandbox.tls import TlsFiles, make_tls_files
from core.errors import FatalSourceError
from runtime.artifacts import RunReport, run_markdown
from runtime.config import EmailConfig, load_config
from runtime.delivery import send_summary, summary_message

PASSWORD = "s3cret-smtp-password"


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_tls_files(tmp_path_factory.mktemp("smtp-tls"))


@pytest.fixture
def smtp(tls: TlsFiles) -> Iterator[SmtpServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls.cert_file, tls.key_file)
    with SmtpServer(context) as server:
        yield server


def email_config(port: int, **extra: object) -> EmailConfig:
    values = {
        "host": "127.0.0.1",
        "port": port,
        "from": "oneonone@example.com",
        "to": ["cto@example.com", "vp@example.com"],
        "username": "oneonone",
        "password": "env:TEST_SMTP_PASSWORD",
        **extra,
    }
    return EmailConfig.model_validate(values)


def report(dashboard: Path, failed: list[str]) -> RunReport:
    return RunReport(date(2026, 11, 16), "partial" if failed else "complete", True, 10,
                     failed, 120, 40, dashboard)  # fmt: skip


def received(server: SmtpServer) -> EmailMessage:
    (raw,) = server.mailbox.messages
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_summary_is_sent_over_starttls_with_the_dashboard_attached(
    smtp: SmtpServer, tls: TlsFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_SMTP_PASSWORD", PASSWORD)
    dashboard = tmp_path / "dashboard.html"
    dashboard.write_text("<html>dashboard</html>")
    config = email_config(smtp.port)
    body = run_markdown(report(dashboard, ["gone@example.com"]))
    send_summary(config, summary_message(config, "1:1 report", body, dashboard), tls.ca_file)
    message = received(smtp)
    assert smtp.mailbox.tls_used == [True]
    assert smtp.mailbox.logins == [("oneonone", PASSWORD)]
    assert smtp.mailbox.recipients == ["cto@example.com", "vp@example.com"]
    assert message["Subject"] == "1:1 report"
    text, attachment = [part for part in message.walk() if not part.is_multipart()]
    assert "gone@example.com" in text.get_content()
    assert attachment.get_filename() == "dashboard.html"
    assert attachment.get_payload(decode=True) == b"<html>dashboard</html>"


def test_summary_can_link_the_dashboard_instead_of_attaching_it(
    smtp: SmtpServer, tls: TlsFiles, tmp_path: Path
) -> None:
    config = email_config(smtp.port, attach=False, link="https://intranet/1on1/", username=None)
    body = run_markdown(report(tmp_path / "dashboard.html", []))
    send_summary(
        config, summary_message(config, "s", body, tmp_path / "dashboard.html"), tls.ca_file
    )
    sent = received(smtp)
    assert not sent.is_multipart()
    assert "https://intranet/1on1/" in sent.get_content()
    assert smtp.mailbox.logins == []


def test_untrusted_server_certificate_fails_without_revealing_the_password(
    smtp: SmtpServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_SMTP_PASSWORD", PASSWORD)
    config = email_config(smtp.port)
    message = summary_message(config, "s", "body", None)
    with pytest.raises(FatalSourceError) as caught:
        send_summary(config, message, ca_bundle=None)  # the test CA is not trusted
    assert f"127.0.0.1:{smtp.port}" in str(caught.value)
    assert PASSWORD not in str(caught.value)
    assert smtp.mailbox.messages == []


def test_email_password_must_be_a_reference_and_is_never_echoed() -> None:
    from core.errors import BadInputError

    inline = '{host="h", from="a@example.com", to=["b@example.com"], password="hunter2"}'
    with pytest.raises(BadInputError) as caught:
        load_config(None, {"ONEONONE_REPORT__EMAIL": inline})
    assert "report.email.password" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_email_section_is_read_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "oneonone.toml"
    path.write_text(
        '[report.email]\nhost = "smtp.example.com"\nfrom = "a@example.com"\n'
        'to = ["b@example.com"]\nstarttls = true\npassword = "env:SMTP_PASSWORD"\n'
    )
    config = load_config(path, {})
    assert config.report.email is not None
    assert config.report.email.port == 587
    assert config.report.email.to == ("b@example.com",)
