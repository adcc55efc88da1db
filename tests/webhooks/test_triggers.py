"""Each event is enqueued by its real trigger: an imported agency reply, a letter the mail server refuses,
a bounce, and clocks coming due or missed."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from foia.core.paths import blob_root
from foia.mailroom.fetch import process_message
from foia.mailroom.imports import import_eml
from foia.mailroom.outbound import SendFailed, send_letter
from foia.models.exchange import WebhookDelivery
from foia.webhooks.delivery import WebhookSettings, deliver_due
from foia.webhooks.service import sweep_deadlines
from tests.conftest import NOW
from tests.mailroom.conftest import ORIGINAL, dsn, final_letter, make_delivery, reply_eml
from tests.mailroom.test_send import RefusingHandler

SETTINGS = WebhookSettings(base_url="https://foia.lacity.example")


def deliveries(session, event=None):
    stmt = select(WebhookDelivery).order_by(WebhookDelivery.id)
    if event:
        stmt = stmt.where(WebhookDelivery.event == event)
    return list(session.scalars(stmt))


def test_an_imported_agency_reply_is_announced(app, session, world, receiver, hook_for):
    hook_for(receiver.url, events=["reply.received"])
    req = world["requests"][("staff", "private")]
    raw = reply_eml(subject=f"Re: your request {req.ref}", body="Our answer is attached.",
                    attachment=("answer.pdf", b"%PDF-1.4 not really"))
    result = import_eml(session, actor=world["users"]["staff"], now=NOW, data=raw, storage_root=blob_root(app.config),
                        max_bytes=10 * 1024 * 1024)
    assert result.status == "logged"
    import_eml(session, actor=world["users"]["staff"], now=NOW, data=raw, storage_root=blob_root(app.config),
               max_bytes=10 * 1024 * 1024)  # the same message again: a duplicate, no second event
    [row] = deliveries(session)
    assert row.event == "reply.received"
    deliver_due(session, now=NOW, settings=SETTINGS)
    body = receiver.received[0].json()
    assert body["request"]["ref"] == req.ref
    assert body["data"]["subject"] == f"Re: your request {req.ref}"
    assert body["data"]["from"] == "ice-foia@ice.example"
    assert body["data"]["communication_id"] == result.communication_id
    assert body["data"]["attachments"] in (0, 1)


def test_a_letter_refused_by_the_mail_server_is_announced(app, session, world, receiver, hook_for, settings, smtp):
    hook_for(receiver.url, events=["delivery.failed"])
    staff, req = world["users"]["staff"], world["requests"][("staff", "private")]
    version = final_letter(session, app, req, staff)
    refusing = RefusingHandler(rcpt="550 5.1.1 <ice-foia@ice.dhs.gov>: Recipient address rejected: User unknown")
    with pytest.raises(SendFailed):
        send_letter(session, actor=staff, now=NOW, version=version, settings=settings, mailer=smtp(refusing))
    [row] = deliveries(session)
    assert row.event == "delivery.failed" and row.request_id == req.id
    deliver_due(session, now=NOW, settings=SETTINGS)
    data = receiver.received[0].json()["data"]
    assert data["bounced"] is False and data["letter"] == "request"
    assert "User unknown" in data["reason"] and data["to"]


def test_a_bounce_is_announced_once(app, session, world, receiver, hook_for):
    hook_for(receiver.url, events=["delivery.failed"])
    req = world["requests"][("staff", "private")]
    letter = make_delivery(session, req, world["users"]["staff"], message_id=ORIGINAL)
    for expected in ("bounces", "duplicates"):
        outcome, _ = process_message(session, now=NOW, data=dsn(), reply_base=None,
                                     storage_root=blob_root(app.config), max_bytes=10 * 1024 * 1024)
        assert outcome == expected
    [row] = deliveries(session, "delivery.failed")
    assert row.payload["data"]["delivery_id"] == letter.id and row.payload["data"]["bounced"] is True
    assert "User unknown" in row.payload["data"]["reason"]


def test_clocks_coming_due_and_missed_fire_once_each(session, world, receiver, hook_for):
    hook_for(receiver.url, events=["deadline.approaching", "deadline.missed"])
    req = world["requests"][("staff", "private")]  # ICE, sent Thu Jan 15 2026: response due Fri Feb 13 2026
    make_delivery(session, req, world["users"]["staff"], sent_on=date(2026, 1, 15))
    assert req.response_due == date(2026, 2, 13)
    far = datetime(2026, 1, 20, 18, tzinfo=UTC)
    assert sweep_deadlines(session, now=far, tz="America/Los_Angeles") == 0

    soon = datetime(2026, 2, 10, 18, tzinfo=UTC)  # Tue Feb 10 in Los Angeles: 3 days left
    assert sweep_deadlines(session, now=soon, tz="America/Los_Angeles") == 1
    assert sweep_deadlines(session, now=soon.replace(hour=20), tz="America/Los_Angeles") == 0
    session.commit()
    [approaching] = deliveries(session, "deadline.approaching")
    assert approaching.payload["data"] == {"clock": "response", "label": approaching.payload["data"]["label"],
                                           "due": "2026-02-13", "days_left": 3}
    assert approaching.event_key == f"deadline.approaching:{req.ref}:response:2026-02-13"

    missed_at = datetime(2026, 2, 17, 18, tzinfo=UTC)
    assert sweep_deadlines(session, now=missed_at, tz="America/Los_Angeles") == 1
    assert sweep_deadlines(session, now=missed_at.replace(day=18), tz="America/Los_Angeles") == 0
    session.commit()
    [missed] = deliveries(session, "deadline.missed")
    assert missed.payload["data"]["days_left"] == -4
    deliver_due(session, now=missed_at, settings=SETTINGS)
    assert [r.json()["event"] for r in receiver.received] == ["deadline.approaching", "deadline.missed"]
    assert "4 days overdue" not in receiver.received[1].body.decode()  # JSON format: no chat text

    # long overdue clocks are not announced to a webhook added later (no flood of history)
    assert sweep_deadlines(session, now=datetime(2026, 6, 1, 18, tzinfo=UTC), tz="America/Los_Angeles") == 0
