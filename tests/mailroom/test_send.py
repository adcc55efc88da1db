"""Emailing letters to agencies (mailroom/outbound.py) against a real aiosmtpd on 127.0.0.1."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pypdf
import pytest
from sqlalchemy import func, select, text

from foia.core.errors import ValidationError
from foia.documents.storage import BlobStore
from foia.extensions import db
from foia.letters.service import new_draft
from foia.mail import SMTPMailer
from foia.mailroom.outbound import SendFailed, SendSettings, deliveries_for, send_letter
from foia.models import AuditLog, Delivery, Event, LetterVersion, Request
from tests.conftest import NOW
from tests.mail.conftest import CollectingHandler
from tests.mailroom.conftest import SENDER, QueueingHandler, final_letter, free_port, parsed


class WitnessHandler(CollectingHandler):
    """Looks in the database (its own connection: only committed rows) while the message arrives."""

    def __init__(self, engine):
        super().__init__()
        self.engine, self.seen = engine, []

    async def handle_DATA(self, server, session, envelope):
        with self.engine.connect() as conn:
            self.seen = [tuple(row) for row in conn.execute(text("SELECT status, raw_sha256 FROM deliveries"))]
            self.seen_events = conn.execute(text("SELECT count(*) FROM events WHERE kind = 'sent'")).scalar()
        return await super().handle_DATA(server, session, envelope)


class RefusingHandler(CollectingHandler):
    def __init__(self, *, rcpt: str | None = None, data: str | None = None):
        super().__init__()
        self.rcpt, self.data = rcpt, data

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt:
            return self.rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        return self.data or await super().handle_DATA(server, session, envelope)


def sent_events(session, req) -> int:
    return session.scalar(select(func.count(Event.id)).where(Event.request_id == req.id, Event.kind == "sent"))


def test_send_the_ice_request_letter(world, session, app, settings, smtp):
    staff, req = world["users"]["staff"], world["requests"][("staff", "private")]
    version = final_letter(session, app, req, staff)
    handler = QueueingHandler()
    delivery = send_letter(session, actor=staff, now=NOW, version=version, settings=settings, mailer=smtp(handler))

    assert len(handler.messages) == 1
    envelope = handler.messages[0]
    assert envelope.mail_from == "foia@tracker.example.org"
    assert envelope.rcpt_tos == ["ice-foia@ice.dhs.gov"]
    msg = parsed(envelope.data)
    assert msg["To"] == "ice-foia@ice.dhs.gov"
    assert msg["From"].addresses[0].display_name == "City of Los Angeles"
    assert msg["From"].addresses[0].addr_spec == "foia@tracker.example.org"
    session.refresh(req)
    assert req.reply_token and msg["Reply-To"] == f"records+{req.ref}.{req.reply_token}@city.example"
    assert msg["Message-ID"] == delivery.message_id and delivery.message_id.endswith("@tracker.example.org>")
    assert msg["Subject"] == f"[{req.ref}] Freedom of Information Act request: {req.title}"
    text = msg.get_body(("plain",)).get_content()
    assert "Sent by email to ice-foia@ice.dhs.gov" in text and "Please send these." in text
    assert "<p" in msg.get_body(("html",)).get_content()
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"{req.ref}-request-v1.pdf"
    pdf = pypdf.PdfReader(io.BytesIO(attachment.get_content()))
    assert req.ref in " ".join(page.extract_text() for page in pdf.pages)

    # the proof: the server's answer and the exact bytes sent
    assert (delivery.status, delivery.smtp_code, delivery.queue_id) == ("accepted", 250, "4F3A2B")
    assert delivery.smtp_reply == "2.0.0 Ok: queued as 4F3A2B"
    assert delivery.sent_at == NOW and delivery.attempts == 1 and delivery.error == ""
    stored = BlobStore(settings.storage_root).path_for(delivery.raw_sha256).read_bytes()
    assert hashlib.sha256(stored).hexdigest() == delivery.raw_sha256
    assert stored.rstrip(b"\r\n") == envelope.data.rstrip(b"\r\n")
    # the ledger: "sent" (the response clock starts), the request is submitted
    event = session.get(Event, delivery.event_id)
    assert event.kind == "sent" and event.data["method"] == "email" and event.occurred_on == NOW.date()
    assert req.status == "submitted" and req.response_due is not None
    assert version.sent_method == "email"
    actions = set(session.scalars(select(AuditLog.action).where(AuditLog.entity_type == "deliveries")))
    assert {"create", "sent"} <= actions
    assert deliveries_for(session, req) == [delivery]


def test_the_delivery_is_committed_before_the_server_hears_of_it(world, session, app, settings, smtp):
    staff, req = world["users"]["staff"], world["requests"][("staff", "private")]
    version = final_letter(session, app, req, staff)
    handler = WitnessHandler(db.engine)
    delivery = send_letter(session, actor=staff, now=NOW, version=version, settings=settings, mailer=smtp(handler))
    assert handler.seen == [("sending", delivery.raw_sha256)]
    assert handler.seen_events == 0  # the "sent" event comes only with the server's acceptance
    assert sent_events(session, req) == 1

    # an accepted letter is never sent again
    with pytest.raises(ValidationError) as info:
        send_letter(session, actor=staff, now=NOW, version=version, settings=settings, mailer=smtp(handler))
    assert "never sent twice" in info.value.errors["status"]
    assert len(handler.messages) == 1 and sent_events(session, req) == 1


def assert_nothing_sent(session, req, version):
    session.expire_all()
    assert sent_events(session, req) == 0
    assert session.get(Request, req.id).status == "draft"
    assert session.get(Request, req.id).response_due is None
    assert session.get(LetterVersion, version.id).sent_at is None


def test_smtp_down_then_back_sends_once_with_the_same_message_id(world, session, app, settings, smtp):
    staff, req = world["users"]["staff"], world["requests"][("staff", "private")]
    version = final_letter(session, app, req, staff)
    port = free_port()  # nothing listens here yet
    down = SMTPMailer("127.0.0.1", port, timeout=5)
    with pytest.raises(SendFailed) as info:
        send_letter(session, actor=staff, now=NOW, version=version, settings=settings, mailer=down)
    assert f"127.0.0.1:{port}" in info.value.errors["send"] and "not sent" in info.value.errors["send"]
    failed = session.scalar(select(Delivery))
    assert failed.status == "failed" and f"127.0.0.1:{port}" in failed.error and failed.smtp_code is None
    assert failed.event_id is None and failed.sent_at is None
    assert_nothing_sent(session, req, version)
    first_id, first_sha = failed.message_id, failed.raw_sha256

    handler = CollectingHandler()
    later = NOW + timedelta(hours=1)
    delivery = send_letter(session, actor=staff, now=later, version=version, settings=settings,
                           mailer=smtp(handler, port=port))
    assert session.scalar(select(func.count(Delivery.id))) == 1
    assert delivery.id == failed.id and delivery.status == "accepted" and delivery.attempts == 2
    assert len(handler.messages) == 1
    assert parsed(handler.messages[0].data)["Message-ID"] == first_id
    assert delivery.raw_sha256 == first_sha
    stored = BlobStore(settings.storage_root).path_for(first_sha).read_bytes()
    assert stored.rstrip(b"\r\n") == handler.messages[0].data.rstrip(b"\r\n")
    assert sent_events(session, req) == 1


@pytest.mark.parametrize(("handler", "code", "words"), [
    (RefusingHandler(rcpt="550 5.1.1 <ice-foia@ice.dhs.gov>: Recipient address rejected: User unknown"), 550,
     "User unknown"),
    (RefusingHandler(data="554 5.7.1 Message rejected: policy"), 554, "Message rejected"),
])
def test_refused_letter_is_failed_then_retried_once(world, session, app, settings, smtp, handler, code, words):
    staff, req = world["users"]["staff"], world["requests"][("staff", "private")]
    version = final_letter(session, app, req, staff)
    with pytest.raises(SendFailed) as info:
        send_letter(session, actor=staff, now=NOW, version=version, settings=settings, mailer=smtp(handler))
    assert words in info.value.errors["send"]
    failed = session.scalar(select(Delivery))
    assert (failed.status, failed.smtp_code) == ("failed", code) and words in failed.smtp_reply
    assert words in failed.error
    assert_nothing_sent(session, req, version)

    good = CollectingHandler()
    delivery = send_letter(session, actor=staff, now=NOW, version=version, settings=settings, mailer=smtp(good))
    assert delivery.status == "accepted" and len(good.messages) == 1
    assert parsed(good.messages[0].data)["Message-ID"] == failed.message_id
    assert sent_events(session, req) == 1


def test_a_stale_sending_delivery_is_resent_a_fresh_one_is_not(world, session, app, settings, smtp):
    staff, req = world["users"]["staff"], world["requests"][("staff", "private")]
    version = final_letter(session, app, req, staff)
    with pytest.raises(SendFailed):
        send_letter(session, actor=staff, now=NOW, version=version, settings=settings,
                    mailer=SMTPMailer("127.0.0.1", free_port(), timeout=5))
    delivery = session.scalar(select(Delivery))
    # as a process that died after handing the message over leaves it
    delivery.status, delivery.updated_at = "sending", NOW
    session.commit()
    handler = CollectingHandler()
    mailer = smtp(handler)
    with pytest.raises(ValidationError) as info:
        send_letter(session, actor=staff, now=NOW + timedelta(minutes=2), version=version, settings=settings,
                    mailer=mailer)
    assert "being sent right now" in info.value.errors["status"] and handler.messages == []
    again = send_letter(session, actor=staff, now=NOW + timedelta(minutes=11), version=version, settings=settings,
                        mailer=mailer)
    assert again.status == "accepted" and len(handler.messages) == 1
    assert parsed(handler.messages[0].data)["Message-ID"] == delivery.message_id


def test_agency_without_email_cannot_be_emailed(world, session, app, settings, smtp):
    reporter, req = world["users"]["reporter"], world["requests"][("reporter", "private")]  # LASD: portal only
    version = final_letter(session, app, req, reporter)
    handler = CollectingHandler()
    with pytest.raises(ValidationError) as info:
        send_letter(session, actor=reporter, now=NOW, version=version, settings=settings, mailer=smtp(handler))
    message = info.value.errors["to"]
    assert "no email address" in message and "portal" in message and "mail" in message and "fax" in message
    session.rollback()
    assert session.scalar(select(func.count(Delivery.id))) == 0 and handler.messages == []
    assert session.get(Request, req.id).reply_token is None


def test_to_overrides_and_is_validated(world, session, app, settings, smtp):
    reporter, req = world["users"]["reporter"], world["requests"][("reporter", "private")]
    version = final_letter(session, app, req, reporter)
    handler = CollectingHandler()
    with pytest.raises(ValidationError) as info:
        send_letter(session, actor=reporter, now=NOW, version=version, settings=settings, mailer=smtp(handler),
                    to="not an address")
    assert "not an email address" in info.value.errors["to"]
    session.rollback()
    delivery = send_letter(session, actor=reporter, now=NOW, version=version, settings=settings,
                           mailer=smtp(handler), to="PRA@lasd.example.org")
    assert delivery.to_addr == "PRA@lasd.example.org" and handler.messages[0].rcpt_tos == ["PRA@lasd.example.org"]


def test_a_draft_cannot_be_sent(world, session, settings, smtp):
    staff, req = world["users"]["staff"], world["requests"][("staff", "private")]
    draft = new_draft(session, actor=staff, now=NOW, req=req, kind="request", custom={})
    session.commit()
    with pytest.raises(ValidationError) as info:
        send_letter(session, actor=staff, now=NOW, version=draft, settings=settings,
                    mailer=smtp(CollectingHandler()))
    assert "Finalize" in info.value.errors["status"]


def test_appeal_goes_to_the_appeal_address_without_reply_to(world, session, app, settings, smtp):
    staff, req = world["users"]["staff"], world["requests"][("staff", "private")]
    version = final_letter(session, app, req, staff, kind="appeal")
    handler = CollectingHandler()
    no_reply = SendSettings(sender=SENDER, reply_base=None, storage_root=settings.storage_root,
                            letter_cache=settings.letter_cache)
    send_letter(session, actor=staff, now=NOW, version=version, settings=no_reply, mailer=smtp(handler))
    msg = parsed(handler.messages[0].data)
    assert handler.messages[0].rcpt_tos == ["ICE-FOIA-Appeals@ice.dhs.gov"]
    assert msg["Reply-To"] is None and "appeal" in msg["Subject"]
    assert session.scalar(select(func.count(Event.id)).where(Event.request_id == req.id,
                                                             Event.kind == "appeal_filed")) == 1
