"""SMTPMailer against a real aiosmtpd server on 127.0.0.1."""

from __future__ import annotations

import traceback
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser

import pytest

from foia.mail import (
    Mailer,
    MailError,
    OutboxMailer,
    SMTPMailer,
    build_message,
    mailer_from_config,
)
from tests.mail.conftest import Credentials, free_port

NOW = datetime(2026, 1, 15, 18, 0, tzinfo=UTC)
PASSWORD = "s3cret@pa:ss"  # '@' and ':' must be percent-encoded in the URL
PASSWORD_IN_URL = "s3cret%40pa%3Ass"
# aiosmtpd warns when AUTH is allowed without TLS; these tests do that on purpose (loopback only).
auth_without_tls = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def message(message_id="<m1@tracker.example.org>"):
    return build_message(
        sender="foia@tracker.example.org",
        to=["clerk@agency.example.gov", "records@agency.example.gov"],
        subject="Request FT-2026-0042",
        text="Hello clerk",
        html="<p>Hello <b>clerk</b></p>",
        message_id=message_id,
        date=NOW,
    )


def received_message(handler, index=0):
    return BytesParser(policy=policy.default).parsebytes(handler.messages[index].data)


def assert_is_our_message(handler):
    assert len(handler.messages) == 1
    envelope = handler.messages[0]
    assert envelope.mail_from == "foia@tracker.example.org"
    assert envelope.rcpt_tos == ["clerk@agency.example.gov", "records@agency.example.gov"]
    got = received_message(handler)
    assert got["Message-ID"] == "<m1@tracker.example.org>"
    assert got["Subject"] == "Request FT-2026-0042"
    assert got.get_content_type() == "multipart/alternative"
    assert got.get_body(("plain",)).get_content().strip() == "Hello clerk"
    assert got.get_body(("html",)).get_content().strip() == "<p>Hello <b>clerk</b></p>"


def test_plain_smtp_delivers_message(smtp_server):
    controller, handler = smtp_server()
    mailer = SMTPMailer.from_url(f"smtp://127.0.0.1:{controller.port}", timeout=5)
    assert isinstance(mailer, Mailer)
    assert mailer.security == "none"
    mailer.send(message())
    assert_is_our_message(handler)
    assert handler.messages[0].login is None


@auth_without_tls
def test_auth_with_percent_encoded_password(smtp_server):
    credentials = Credentials("tracker@example.org", PASSWORD)
    controller, handler = smtp_server(authenticator=credentials, auth_require_tls=False, auth_required=True)
    mailer = SMTPMailer.from_url(
        f"smtp://tracker%40example.org:{PASSWORD_IN_URL}@127.0.0.1:{controller.port}", timeout=5
    )
    assert (mailer.username, mailer.password) == ("tracker@example.org", PASSWORD)
    mailer.send(message())
    assert_is_our_message(handler)
    assert handler.messages[0].login == "tracker@example.org"
    assert credentials.attempts == [("tracker@example.org", PASSWORD)]


@auth_without_tls
def test_server_requiring_auth_rejects_anonymous_send(smtp_server):
    controller, handler = smtp_server(
        authenticator=Credentials("u", "p"), auth_require_tls=False, auth_required=True
    )
    with pytest.raises(MailError, match=f"127.0.0.1:{controller.port}"):
        SMTPMailer.from_url(f"smtp://127.0.0.1:{controller.port}", timeout=5).send(message())
    assert handler.messages == []


@auth_without_tls
def test_wrong_password_is_mail_error_without_the_password(smtp_server):
    controller, handler = smtp_server(
        authenticator=Credentials("user", "right"), auth_require_tls=False, auth_required=True
    )
    mailer = SMTPMailer.from_url(f"smtp://user:{PASSWORD_IN_URL}@127.0.0.1:{controller.port}", timeout=5)
    with pytest.raises(MailError) as info:
        mailer.send(message())
    text = str(info.value)
    assert f"127.0.0.1:{controller.port}" in text
    assert "authentication failed" in text
    assert PASSWORD not in text and PASSWORD_IN_URL not in text
    assert PASSWORD not in repr(mailer)
    assert handler.messages == []


def test_server_down_is_mail_error_with_address_and_no_password():
    port = free_port()  # nothing listens here
    mailer = SMTPMailer.from_url(f"smtp://user:{PASSWORD_IN_URL}@127.0.0.1:{port}", timeout=5)
    with pytest.raises(MailError) as info:
        mailer.send(message())
    text = str(info.value)
    assert f"127.0.0.1:{port}" in text
    assert "refused" in text.lower()
    full = "".join(traceback.format_exception(info.value))
    assert PASSWORD not in full and PASSWORD_IN_URL not in full


def test_starttls_with_auth_required_over_tls(smtp_server, tls_files):
    credentials = Credentials("user", PASSWORD)
    controller, handler = smtp_server(
        tls_context=tls_files.server_context(),
        require_starttls=True,
        authenticator=credentials,
        auth_required=True,
        auth_require_tls=True,
    )
    url = f"smtp://user:{PASSWORD_IN_URL}@127.0.0.1:{controller.port}?starttls=1"
    mailer = SMTPMailer.from_url(url, timeout=5, ssl_context=tls_files.client_context())
    assert mailer.security == "starttls"
    mailer.send(message())
    assert_is_our_message(handler)
    assert credentials.attempts == [("user", PASSWORD)]


def test_starttls_refuses_untrusted_certificate(smtp_server, tls_files):
    controller, handler = smtp_server(tls_context=tls_files.server_context(), require_starttls=True)
    mailer = SMTPMailer.from_url(f"smtp://127.0.0.1:{controller.port}?starttls=1", timeout=5)  # system trust store
    with pytest.raises(MailError, match="CERTIFICATE_VERIFY_FAILED"):
        mailer.send(message())
    assert handler.messages == []


def test_starttls_requested_but_not_offered_does_not_downgrade(smtp_server):
    controller, handler = smtp_server()  # no tls_context: STARTTLS not advertised
    mailer = SMTPMailer.from_url(f"smtp://127.0.0.1:{controller.port}?starttls=1", timeout=5)
    with pytest.raises(MailError, match="STARTTLS"):
        mailer.send(message())
    assert handler.messages == []


def test_implicit_tls_smtps(smtp_server, tls_files):
    controller, handler = smtp_server(ssl_context=tls_files.server_context())
    mailer = SMTPMailer.from_url(
        f"smtps://127.0.0.1:{controller.port}", timeout=5, ssl_context=tls_files.client_context()
    )
    assert mailer.security == "tls"
    mailer.send(message())
    assert_is_our_message(handler)


# ------------------------------------------------------------------ URL parsing (no server)


@pytest.mark.parametrize(
    ("url", "host", "port", "security"),
    [
        ("smtp://mail.example.org", "mail.example.org", 25, "none"),
        ("smtp://mail.example.org:2525", "mail.example.org", 2525, "none"),
        ("smtp://mail.example.org:587", "mail.example.org", 587, "starttls"),
        ("smtp://mail.example.org:587?starttls=0", "mail.example.org", 587, "none"),
        ("smtp://mail.example.org?starttls=1", "mail.example.org", 25, "starttls"),
        ("SMTP://Mail.Example.org/", "mail.example.org", 25, "none"),
        ("smtps://mail.example.org", "mail.example.org", 465, "tls"),
        ("smtps://mail.example.org:2465", "mail.example.org", 2465, "tls"),
        ("smtp://[::1]:2525", "::1", 2525, "none"),
    ],
)
def test_from_url_parses(url, host, port, security):
    mailer = SMTPMailer.from_url(url)
    assert (mailer.host, mailer.port, mailer.security) == (host, port, security)
    assert mailer.username is None and mailer.password is None


def test_from_url_user_without_password_and_timeout():
    mailer = SMTPMailer.from_url("smtp://apikey@mail.example.org", timeout=3)
    assert (mailer.username, mailer.password, mailer.timeout) == ("apikey", None, 3)


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("", "empty"),
        ("http://mail.example.org", "scheme"),
        ("mail.example.org:25", "scheme"),
        ("smtp://", "host"),
        ("smtp://:pw@:25", "host"),
        ("smtp://mail.example.org:abc", "invalid SMTP URL"),
        ("smtp://mail.example.org:99999", "invalid SMTP URL"),
        ("smtp://mail.example.org?starttls=maybe", "starttls"),
        ("smtp://mail.example.org?tls=1", "unknown option"),
        ("smtps://mail.example.org?starttls=1", "smtps"),
        ("smtp://mail.example.org/path", "path"),
    ],
)
def test_from_url_rejects_invalid(url, fragment):
    with pytest.raises(ValueError, match=fragment):
        SMTPMailer.from_url(url)


def test_invalid_url_error_hides_password():
    with pytest.raises(ValueError) as info:
        SMTPMailer.from_url(f"smtp://user:{PASSWORD_IN_URL}@mail.example.org:notaport")
    assert PASSWORD_IN_URL not in str(info.value) and PASSWORD not in str(info.value)
    assert "***" in str(info.value)


def test_mailer_from_config(tmp_path):
    outbox = mailer_from_config(None, str(tmp_path))
    assert isinstance(outbox, OutboxMailer)
    assert isinstance(mailer_from_config("  ", str(tmp_path)), OutboxMailer)
    smtp = mailer_from_config("smtp://mail.example.org:587", str(tmp_path))
    assert isinstance(smtp, SMTPMailer) and smtp.security == "starttls"
    with pytest.raises(ValueError):
        mailer_from_config("ftp://x", str(tmp_path))
