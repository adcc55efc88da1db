"""send_with_receipt / send_raw: the server's final answer (code, text, queue id) against a real aiosmtpd."""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller

from foia.mail import (
    MailError,
    OutboxMailer,
    ReceiptMailer,
    SendReceipt,
    SMTPMailer,
    build_message,
    parse_queue_id,
)
from foia.mail.receipts import message_bytes
from tests.mail.conftest import CollectingHandler, Credentials, QueueingHandler, free_port

NOW = datetime(2026, 1, 15, 18, 0, tzinfo=UTC)
PASSWORD = "hunter2-secret"


def message(message_id="<r1@tracker.example.org>"):
    return build_message(sender="City of Los Angeles <foia@tracker.example.org>", to=["clerk@agency.example.gov"],
                         subject="[FT-2026-0001] Request", text="Hello clerk", html="<p>Hello</p>",
                         message_id=message_id, date=NOW)


class Refusing(CollectingHandler):
    def __init__(self, rcpt: str | None = None, data: str | None = None):
        super().__init__()
        self.rcpt, self.data = rcpt, data

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt:
            return self.rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data:
            return self.data
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def serve():
    controllers: list[Controller] = []

    def start(handler, **kwargs):
        controller = Controller(handler, hostname="127.0.0.1", port=free_port(), ready_timeout=10, **kwargs)
        controller.start()
        controllers.append(controller)
        return controller

    yield start
    for controller in controllers:
        controller.stop()


def test_receipt_has_code_text_and_queue_id(serve):
    handler = QueueingHandler()
    controller = serve(handler)
    mailer = SMTPMailer.from_url(f"smtp://127.0.0.1:{controller.port}", timeout=5)
    assert isinstance(mailer, ReceiptMailer)
    receipt = mailer.send_with_receipt(message())
    assert receipt == SendReceipt(code=250, text="2.0.0 Ok: queued as 4F3A2B", queue_id="4F3A2B")
    assert len(handler.messages) == 1
    got = handler.messages[0]
    assert got.mail_from == "foia@tracker.example.org" and got.rcpt_tos == ["clerk@agency.example.gov"]
    parsed = BytesParser(policy=policy.default).parsebytes(got.data)
    assert parsed["Message-ID"] == "<r1@tracker.example.org>"


def test_send_raw_sends_exactly_the_given_bytes(serve):
    handler = CollectingHandler()
    controller = serve(handler)
    data = message_bytes(message())
    receipt = SMTPMailer("127.0.0.1", controller.port, timeout=5).send_raw(
        data, mail_from="foia@tracker.example.org", rcpt_to=["clerk@agency.example.gov"])
    assert (receipt.code, receipt.text, receipt.queue_id) == (250, "OK", "")
    assert handler.messages[0].data == data


@pytest.mark.parametrize(("handler", "code", "words"), [
    (Refusing(rcpt="550 5.1.1 <clerk@agency.example.gov>: Recipient address rejected: User unknown"), 550,
     "User unknown"),
    (Refusing(data="554 5.7.1 Message rejected as spam"), 554, "rejected as spam"),
])
def test_refusal_is_mail_error_with_code_and_text(serve, handler, code, words):
    controller = serve(handler)
    with pytest.raises(MailError) as info:
        SMTPMailer("127.0.0.1", controller.port, timeout=5).send_with_receipt(message())
    assert info.value.smtp_code == code
    assert words in info.value.smtp_text and words in str(info.value)
    assert f"127.0.0.1:{controller.port}" in str(info.value)
    assert handler.messages == []


def test_connection_refused_is_mail_error_without_code():
    port = free_port()
    with pytest.raises(MailError) as info:
        SMTPMailer("127.0.0.1", port, timeout=5).send_with_receipt(message())
    assert info.value.smtp_code is None and f"127.0.0.1:{port}" in str(info.value)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_wrong_password_is_redacted(serve):
    handler = CollectingHandler()
    controller = serve(handler, authenticator=Credentials("u", "other"), auth_require_tls=False, auth_required=True)
    mailer = SMTPMailer("127.0.0.1", controller.port, username="u", password=PASSWORD, timeout=5)
    with pytest.raises(MailError) as info:
        mailer.send_with_receipt(message())
    assert PASSWORD not in str(info.value) and PASSWORD not in info.value.smtp_text
    assert info.value.smtp_code == 535


def test_outbox_receipt_names_the_file(tmp_path):
    mailer = OutboxMailer(tmp_path)
    receipt = mailer.send_with_receipt(message())
    assert receipt.code == 250 and receipt.queue_id == "r1_tracker.example.org.eml"
    assert receipt.queue_id in receipt.text
    raw = message_bytes(message("<r2@tracker.example.org>"))
    again = mailer.send_raw(raw, mail_from="a@b.example", rcpt_to=["c@d.example"])
    assert (tmp_path / again.queue_id).read_bytes() == raw


@pytest.mark.parametrize(("text", "queue_id"), [
    ("2.0.0 Ok: queued as 4F3A2B", "4F3A2B"),
    ("2.0.0 OK queued as <ABC.123>", ""),
    ("Queued as 1a2B-3c.x", "1a2B-3c.x"),
    ("2.0.0 OK 1700000000 x1si.123 - gsmtp", ""),
])
def test_parse_queue_id(text, queue_id):
    assert parse_queue_id(text) == queue_id
