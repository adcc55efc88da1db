"""The whole loop with real servers: the ICE request letter goes out through aiosmtpd, the agency's reply
(linked only by In-Reply-To) comes back through Dovecot, is polled once, classified in one click, and a
bounce of a second letter marks that delivery failed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from foia.communications.service import classify_communication
from foia.mailroom.outbound import send_letter
from foia.models import Communication, Delivery, Document, Request
from tests.conftest import NOW
from tests.mailroom.conftest import QueueingHandler, dsn, final_letter, parsed, reply_eml
from tests.mailroom.test_mailimport import _pdf as release_pdf


def test_send_reply_classify_bounce(world, session, app, settings, smtp, mailbox, fetch):
    staff, req = world["users"]["staff"], world["requests"][("staff", "private")]
    handler = QueueingHandler()
    mailer = smtp(handler)

    # 1. Send: the server's copy has the recipient, the PDF, our Reply-To and Message-ID.
    delivery = send_letter(session, actor=staff, now=NOW, version=final_letter(session, app, req, staff),
                           settings=settings, mailer=mailer)
    sent = parsed(handler.messages[0].data)
    assert handler.messages[0].rcpt_tos == [req.agency.foia_email]
    assert [a.get_content_type() for a in sent.iter_attachments()] == ["application/pdf"]
    assert sent["Reply-To"].startswith(f"records+{req.ref}.") and sent["Message-ID"] == delivery.message_id
    assert req.status == "submitted" and req.response_due is not None
    due_before = req.response_due

    # 2. The agency replies to that message only: no reference, no reply address, just In-Reply-To.
    mailbox.append(reply_eml("Re: your letter", "We acknowledge receipt. Your request number is 2026-ICFO-00042.",
                             message_id="<ack-42@ice.example>", in_reply_to=delivery.message_id,
                             attachment=("acknowledgment.pdf", release_pdf("Acknowledgment letter"))))
    first = fetch(now=NOW + timedelta(days=1))
    assert (first.fetched, first.logged, first.unmatched, first.duplicates, first.bounces) == (1, 1, 0, 0, 0)
    reply = session.scalar(select(Communication).where(Communication.message_id == "ack-42@ice.example"))
    assert reply.request_id == req.id and reply.direction == "incoming"
    assert reply.review_status == "to_classify" and reply.suggested_kind == "acknowledgment"
    docs = session.scalars(select(Document.filename).where(Document.communication_id == reply.id)).all()
    assert docs == ["acknowledgment.pdf"]
    session.refresh(req)
    assert req.status == "submitted" and req.response_due == due_before  # a reply moves no clock by itself

    # 3. Polling again finds nothing new.
    again = fetch(now=NOW + timedelta(days=1, minutes=2))
    assert (again.fetched, again.logged) == (0, 0)
    assert session.query(Communication).filter_by(message_id="ack-42@ice.example").count() == 1

    # 4. One click confirms the suggestion.
    classify_communication(session, actor=staff, now=NOW + timedelta(days=1), comm=reply, kind=reply.suggested_kind)
    session.commit()
    session.refresh(req)
    assert reply.kind == "acknowledgment" and reply.review_status is None and req.status == "acknowledged"

    # 5. A second letter (the follow-up) bounces: the report names its Message-ID.
    follow_up = send_letter(session, actor=staff, now=NOW + timedelta(days=40),
                            version=final_letter(session, app, req, staff, kind="follow-up"),
                            settings=settings, mailer=mailer)
    assert follow_up.status == "accepted" and len(handler.messages) == 2
    mailbox.append(dsn(follow_up.message_id))
    bounced = fetch(now=NOW + timedelta(days=40, hours=1))
    assert (bounced.fetched, bounced.bounces, bounced.logged) == (1, 1, 0)
    session.expire_all()
    first_delivery, second = session.get(Delivery, delivery.id), session.get(Delivery, follow_up.id)
    assert first_delivery.status == "accepted"
    assert second.status == "bounced" and "User unknown" in second.bounce_reason
    assert session.get(Request, req.id).status == "acknowledged"
