"""Bounces: recognising delivery status notifications, recording them, and the clocks after a bounce."""

from __future__ import annotations

from datetime import date
from email.message import EmailMessage
from types import SimpleNamespace

from sqlalchemy import select

from foia.clocks.service import ledger_for
from foia.mail import list_outbox, read_outbox
from foia.mailroom.bounces import detect_bounce
from foia.models import AuditLog, Delivery, Event
from foia.requests.service import log_event
from tests.conftest import NOW
from tests.mailroom.conftest import ORIGINAL, dsn, make_delivery, reply_eml


def gmail_style(message_id: str = ORIGINAL) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Mail Delivery Subsystem <mailer-daemon@googlemail.com>"
    msg["To"] = "clerk@lacity.example"
    msg["Subject"] = "Delivery Status Notification (Failure)"
    msg.set_content("Address not found\n\nYour message wasn't delivered to foia@ice.example because the address "
                    "couldn't be found.\n\nThe response was:\n550 5.1.1 The email account that you tried to reach "
                    f"does not exist.\n\n----- Original message -----\n\nMessage-ID: {message_id}\n"
                    "Subject: Public records request\n")
    return bytes(msg)


def test_rfc3464_failure_is_a_bounce_with_its_reason_and_original():
    b = detect_bounce(dsn())
    assert b is not None and b.message_ids == ["letter-9@lacity.example"]
    assert "5.1.1" in b.reason and "User unknown" in b.reason and "foia@ice.example" in b.reason


def test_delay_report_and_ordinary_replies_are_not_bounces():
    assert detect_bounce(dsn(action="delayed", status="4.4.1")) is None
    assert detect_bounce(reply_eml("Undelivered Mail Returned to Sender", "from a person")) is None
    assert detect_bounce(reply_eml("Re: FT-2026-0001", "Thanks")) is None


def test_non_standard_bounce_is_recognised_from_the_body():
    b = detect_bounce(gmail_style())
    assert b is not None and b.message_ids == ["letter-9@lacity.example"]
    assert b.reason.startswith("550 5.1.1")
    exim = EmailMessage()
    exim["From"] = "Mail Delivery System <Mailer-Daemon@mx.example>"
    exim["Subject"] = "Mail delivery failed: returning message to sender"
    exim.set_content(f"  foia@ice.example\n    mailbox is full\n\n------ This is a copy of the message\n"
                     f"Message-ID: {ORIGINAL}\n")
    assert detect_bounce(bytes(exim)).message_ids == ["letter-9@lacity.example"]


def _ev(i, kind, on, data=None):
    return SimpleNamespace(id=i, kind=kind, occurred_on=on, occurred_at=None, data=data or {})


def test_ledger_ignores_a_sent_event_named_by_delivery_failed():
    sent = _ev(1, "sent", date(2026, 1, 15))
    assert [e.kind for e in ledger_for([sent])] == ["received"]
    failed = _ev(2, "delivery_failed", date(2026, 1, 16), {"event_id": 1, "delivery_id": 1})
    assert ledger_for([sent, failed]) == []
    resent = _ev(3, "sent", date(2026, 1, 20))
    [received] = ledger_for([sent, failed, resent])
    assert (received.kind, received.on) == ("received", date(2026, 1, 20))


def test_dsn_marks_the_delivery_bounced_notifies_the_sender_and_takes_the_clock_back(
        ctx, world, session, mailbox, fetch):
    req = world["requests"][("staff", "private")]  # ICE: federal FOIA, 20 working days
    staff = world["users"]["staff"]
    delivery = make_delivery(session, req, staff, message_id=ORIGINAL, sent_on=date(2026, 1, 15))
    # Hand-checked: sent (so received) Thu Jan 15 2026; day 1 is Fri Jan 16, then Tue Jan 20 (weekend and
    # Martin Luther King Jr. Day, Mon Jan 19, skipped) ... the 20th working day is Fri Feb 13 2026.
    assert req.response_due == date(2026, 2, 13)

    mailbox.append(dsn())
    res = fetch()
    assert (res.fetched, res.bounces, res.logged, res.unmatched, res.errors) == (1, 1, 0, 0, [])
    session.refresh(delivery)
    assert (delivery.status, delivery.bounced_at) == ("bounced", NOW)
    assert "User unknown" in delivery.bounce_reason
    assert session.scalar(select(AuditLog.action).where(AuditLog.action == "bounce"))
    failed = session.scalar(select(Event).where(Event.kind == "delivery_failed"))
    assert failed.data == {"event_id": delivery.event_id, "delivery_id": delivery.id}
    assert req.response_due is None  # as if it had never been sent

    [notice] = list_outbox(ctx.config["FOIA_OUTBOX_DIR"])
    assert notice.to == [staff.email] and req.ref in notice.subject
    body = read_outbox(ctx.config["FOIA_OUTBOX_DIR"], notice.filename).get_body().get_content()
    assert "User unknown" in body and "foia@ice.example" in body

    # the same bounce again (e.g. copied back into the folder): nothing new
    mailbox.append(dsn())
    res = fetch()
    assert (res.bounces, res.duplicates) == (0, 1)
    assert len(list_outbox(ctx.config["FOIA_OUTBOX_DIR"])) == 1

    # a successful resend on Tue Jan 20 starts the clock then: day 1 Wed Jan 21 ... day 20 Wed Feb 18
    # (Presidents' Day, Mon Feb 16, skipped)
    log_event(session, actor=staff, now=NOW, req=req, kind="sent", occurred_on=date(2026, 1, 20))
    session.commit()
    assert req.response_due == date(2026, 2, 18)


def test_non_standard_bounce_through_the_mailbox(world, session, mailbox, fetch):
    req = world["requests"][("staff", "private")]
    delivery = make_delivery(session, req, world["users"]["staff"], message_id=ORIGINAL)
    mailbox.append(gmail_style())
    assert fetch().bounces == 1
    assert session.get(Delivery, delivery.id).status == "bounced"


def test_bounce_of_an_unknown_message_is_kept_unmatched(world, session, mailbox, fetch):
    mailbox.append(dsn("<never-sent@elsewhere.example>"))
    res = fetch()
    assert (res.bounces, res.unmatched) == (0, 1)


def test_a_notice_that_could_not_be_sent_is_sent_at_the_next_poll(ctx, world, session, mailbox, fetch, monkeypatch):
    from foia.mailroom.bounces import BounceNotifier

    req, staff = world["requests"][("staff", "private")], world["users"]["staff"]
    delivery = make_delivery(session, req, staff, message_id=ORIGINAL)
    mailbox.append(dsn())
    real = BounceNotifier.__call__

    def down_once(self, *args, **kwargs):
        monkeypatch.setattr(BounceNotifier, "__call__", real)
        raise OSError("SMTP server down")

    monkeypatch.setattr(BounceNotifier, "__call__", down_once)
    res = fetch()
    assert res.bounces == 1 and len(res.errors) == 1
    session.refresh(delivery)
    assert delivery.status == "bounced" and delivery.bounce_notified_at is None
    assert list_outbox(ctx.config["FOIA_OUTBOX_DIR"]) == []
    res = fetch()  # the bounce is seen again: no second bounce, but the notice goes out now
    assert (res.bounces, res.duplicates, res.errors) == (0, 1, [])
    assert len(list_outbox(ctx.config["FOIA_OUTBOX_DIR"])) == 1
    session.refresh(delivery)
    assert delivery.bounce_notified_at is not None
    assert (fetch().fetched, len(list_outbox(ctx.config["FOIA_OUTBOX_DIR"]))) == (0, 1)


def test_the_request_page_says_delivery_failed_with_the_reason(login_as, world, session, mailbox, fetch):
    req, staff = world["requests"][("staff", "private")], world["users"]["staff"]
    make_delivery(session, req, staff, message_id=ORIGINAL)
    client = login_as("staff")
    page = client.get(f"/requests/{req.ref}").get_data(as_text=True)
    assert "Delivery failed" not in page
    mailbox.append(dsn())
    fetch()
    page = client.get(f"/requests/{req.ref}").get_data(as_text=True)
    assert "Delivery failed: request letter to ice-foia@ice.example" in page
    assert "User unknown" in page and "Its deadlines no longer count from that email." in page
