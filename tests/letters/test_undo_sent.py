"""Undo "recorded as sent": by hand and on the same local day only; never an email that went out."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from foia.core.errors import ValidationError
from foia.letters.corrections import undo_sent
from foia.letters.service import finalize, mark_sent, new_draft
from foia.models import AuditLog, Event, LetterVersion, Reminder
from foia.requests.history import history_for
from tests.conftest import NOW, csrf_token

SENT_ON = date(2026, 1, 15)


def _final(session, world, tmp_path):
    req = world["requests"][("staff", "private")]
    staff = world["users"]["staff"]
    version = new_draft(session, actor=staff, now=NOW, req=req, kind="request", custom={"intro": "Hello."})
    finalize(session, actor=staff, now=NOW, version=version, cache_dir=tmp_path / "cache")
    session.commit()
    return req, staff, version


def test_undo_on_the_same_day(world, session, tmp_path):
    req, staff, version = _final(session, world, tmp_path)
    mark_sent(session, actor=staff, now=NOW, version=version, method="portal", sent_on=SENT_ON)
    session.commit()
    assert req.status == "submitted" and req.sent_at is not None and req.response_due is not None
    assert session.scalar(select(Reminder).where(Reminder.request_id == req.id)) is not None
    result = undo_sent(session, actor=staff, now=NOW + timedelta(hours=2), version=version)
    session.commit()
    assert version.sent_at is None and version.sent_method is None and req.sent_at is None
    assert req.status == "draft" and req.response_due is None
    assert [m.kind for m in result.moved] == ["response"]
    event = session.scalar(select(Event).where(Event.kind == "sent"))
    assert event.voided_at is not None and event.void_reason
    assert session.scalar(select(Reminder).where(Reminder.request_id == req.id, Reminder.status == "pending")) is None
    audit = session.scalar(select(AuditLog).where(AuditLog.action == "undo_sent"))
    assert audit.before["sent_method"] == "portal" and audit.request_id == req.id
    assert any(r.what == "Undid \u201crecorded as sent\u201d on the request letter v1" for r in history_for(session, req))
    # and it can be recorded again
    mark_sent(session, actor=staff, now=NOW, version=version, method="mail", sent_on=SENT_ON)
    session.commit()
    assert req.status == "submitted"


def test_undo_refused_the_next_day_and_for_email(world, session, tmp_path):
    _req, staff, version = _final(session, world, tmp_path)
    mark_sent(session, actor=staff, now=NOW, version=version, method="fax", sent_on=SENT_ON)
    session.commit()
    with pytest.raises(ValidationError, match="only be undone on the day it was recorded"):
        undo_sent(session, actor=staff, now=NOW + timedelta(days=1), version=version)
    session.rollback()
    version.sent_method = "email"
    session.commit()
    with pytest.raises(ValidationError, match="cannot be unsent"):
        undo_sent(session, actor=staff, now=NOW, version=version)
    session.rollback()
    assert session.get(LetterVersion, version.id).sent_at is not None


def test_undo_from_the_letter_page(world, session, tmp_path, login_as):
    req, staff, version = _final(session, world, tmp_path)
    mark_sent(session, actor=staff, now=NOW, version=version, method="portal", sent_on=SENT_ON)
    session.commit()
    url = f"/requests/{req.ref}/letters/{version.id}"
    # the page is rendered at the real clock: the recording was "today" only if NOW is today, so re-date it
    from foia.core.clock import utcnow
    event = session.scalar(select(Event).where(Event.kind == "sent"))
    event.created_at = utcnow()
    session.commit()
    client = login_as("staff")
    page = client.get(url).get_data(as_text=True)
    assert "Undo \u201crecorded as sent\u201d" in page and "undo-sent" in page
    token = csrf_token(client, url)
    assert client.post(f"{url}/undo-sent").status_code == 400  # CSRF
    resp = client.post(f"{url}/undo-sent", data={"csrf_token": token})
    assert resp.status_code == 302
    session.expire_all()
    assert session.get(LetterVersion, version.id).sent_at is None
    client.post("/logout", data={"csrf_token": token})
    outsider = login_as("outsider")
    assert outsider.post(f"{url}/undo-sent", data={"csrf_token": csrf_token(outsider, "/requests")}).status_code == 404
