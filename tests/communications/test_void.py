"""Voiding and correcting communications and ledger events: nothing is lost, the clocks, reminders and status
follow what is left, and the History says what happened (issue 13: "log an Extension notice by mistake...")."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from foia.clocks.service import compute_for
from foia.communications.corrections import correct_communication, void_communication, void_event
from foia.communications.effects import replay_status, status_after
from foia.communications.service import log_communication
from foia.core.errors import ValidationError
from foia.models import AuditLog, Communication, Event, Reminder, SearchEntry
from foia.requests.history import history_for
from foia.requests.service import log_event
from tests.conftest import NOW, csrf_token

SENT_ON = date(2026, 1, 5)  # a Monday


def _sent(session, world):
    req = world["requests"][("staff", "private")]  # federal FOIA to ICE
    staff = world["users"]["staff"]
    log_event(session, actor=staff, now=NOW, req=req, kind="sent", occurred_on=SENT_ON,
              occurred_at=datetime(2026, 1, 5, 17, 0, tzinfo=UTC))
    log_communication(session, actor=staff, now=NOW, req=req, direction="incoming", kind="acknowledgment",
                      occurred_on=date(2026, 1, 7), subject="We got it")
    session.commit()
    return req, staff


def _due(session, req):
    session.expire_all()
    return {c.kind: c.due for c in compute_for(session, req)}["response"]


def _pending_dues(session, req):
    return {r.due for r in session.scalars(select(Reminder).where(Reminder.request_id == req.id,
                                                                 Reminder.status == "pending",
                                                                 Reminder.clock_kind == "response"))}


def test_status_rules_are_one_pure_function():
    assert status_after("acknowledgment", "submitted") == "acknowledged"
    assert status_after("acknowledgment", "processing") == "processing"  # never backwards
    assert status_after("appeal_decision", "appealing", {"outcome": "partly_granted"}) == "partially_released"
    assert status_after("note", "denied") == "denied"
    assert replay_status(False, []) == "draft"
    assert replay_status(True, [("acknowledgment", None), ("extension_notice", None)]) == "processing"


def test_voiding_a_mistaken_extension_restores_the_deadline_the_reminders_and_the_status(world, session):
    req, staff = _sent(session, world)
    original = _due(session, req)
    assert req.status == "acknowledged" and _pending_dues(session, req) == {original}

    later = NOW + timedelta(hours=1)
    ext = log_communication(session, actor=staff, now=later, req=req, direction="incoming", kind="extension_notice",
                            occurred_on=date(2026, 1, 12), subject="Unusual circumstances")
    session.commit()
    extended = _due(session, req)
    cal_days = (extended - original).days
    assert 14 <= cal_days <= 16  # 10 working days later
    assert req.status == "processing" and _pending_dues(session, req) == {extended}

    result = void_communication(session, actor=staff, now=later + timedelta(hours=1), comm=ext,
                                reason="  Logged on the wrong request ")
    session.commit()
    assert _due(session, req) == original and req.response_due == original
    assert req.status == "acknowledged"
    assert _pending_dues(session, req) == {original}  # reminders follow the restored date
    assert [(m.kind, m.before, m.after) for m in result.moved] == [("response", extended, original)]
    assert "moved back from " + extended.strftime("%A, %B %-d, %Y") in result.moved[0].sentence
    # nothing lost: the communication and its event are still there, marked voided
    comm = session.get(Communication, ext.id)
    assert comm.voided_at is not None and comm.void_reason == "Logged on the wrong request"
    assert comm.voided_by_id == staff.id
    event = session.get(Event, comm.event_id)
    assert event.kind == "extension" and event.voided_at is not None
    assert session.scalar(select(SearchEntry).where(SearchEntry.source_type == "communication",
                                                    SearchEntry.source_id == comm.id)) is None
    audit = session.scalar(select(AuditLog).where(AuditLog.action == "void"))
    assert audit.request_id == req.id and audit.before["response"] == extended.isoformat()
    assert audit.after["response"] == original.isoformat()
    # history shows the logging and the voiding, with before/after
    rows = history_for(session, req)
    whats = [r.what for r in rows]
    assert "Logged an extension notice of Jan 12, 2026" in whats
    voided = next(r for r in rows if r.what.startswith("Voided the extension notice of Jan 12, 2026"))
    assert voided.what.endswith("Logged on the wrong request") and voided.who == staff.name
    changes = {c.field: (c.before, c.after) for c in voided.changes}
    assert changes["Status"] == ("Processing", "Acknowledged")
    assert changes["Determination due"] == (extended.strftime("%b %-d, %Y"), original.strftime("%b %-d, %Y"))
    # a second void is refused
    with pytest.raises(ValidationError):
        void_communication(session, actor=staff, now=later, comm=comm, reason="again")


def test_a_reason_is_required_and_bounded(world, session):
    _req, staff = _sent(session, world)
    comm = session.scalar(select(Communication))
    for bad in ("", "   ", "x" * 501):
        with pytest.raises(ValidationError) as exc:
            void_communication(session, actor=staff, now=NOW, comm=comm, reason=bad)
        assert "reason" in exc.value.errors
    session.rollback()
    assert session.get(Communication, comm.id).voided_at is None


def test_correcting_the_date_voids_and_relogs_in_one_step(world, session):
    req, staff = _sent(session, world)
    ext = log_communication(session, actor=staff, now=NOW, req=req, direction="incoming", kind="extension_notice",
                            occurred_on=date(2026, 1, 12), subject="Unusual circumstances", data={"days": 5})
    session.commit()
    result = correct_communication(session, actor=staff, now=NOW, comm=ext, reason="typed the wrong date",
                                   occurred_on=date(2026, 1, 9))
    session.commit()
    new = result.replacement
    assert new is not None and new.replaces_id == ext.id and new.occurred_on == date(2026, 1, 9)
    assert new.subject == "Unusual circumstances" and new.data == {"days": 5} and new.voided_at is None
    assert session.get(Communication, ext.id).voided_at is not None
    live = session.scalars(select(Event).where(Event.kind == "extension", Event.voided_at.is_(None))).all()
    assert [e.occurred_on for e in live] == [date(2026, 1, 9)]
    assert req.status == "processing"
    assert any(r.what.startswith("Corrected the extension notice of Jan 12, 2026 to an extension notice of Jan 9")
               for r in history_for(session, req))


def test_an_invalid_correction_writes_nothing(world, session):
    req, staff = _sent(session, world)
    ack = session.scalar(select(Communication))
    # a clarification reply needs an open clarification request: refused, and the void is undone too
    with pytest.raises(ValidationError):
        correct_communication(session, actor=staff, now=NOW, comm=ack, reason="wrong kind",
                              kind="clarification_reply")
    session.commit()
    session.expire_all()
    assert session.get(Communication, ack.id).voided_at is None
    assert session.scalar(select(Event).where(Event.kind == "acknowledged")).voided_at is None
    assert len(session.scalars(select(Communication)).all()) == 1
    assert req.status == "acknowledged"


def test_void_a_hand_logged_event(world, session):
    req, staff = _sent(session, world)
    received = log_event(session, actor=staff, now=NOW, req=req, kind="received", occurred_on=date(2026, 1, 12))
    session.commit()
    moved_due = _due(session, req)
    result = void_event(session, actor=staff, now=NOW, event=received, reason="It arrived on the 5th")
    session.commit()
    assert _due(session, req) < moved_due and result.moved
    assert session.get(Event, received.id).voided_at is not None
    created = session.scalar(select(Event).where(Event.kind == "created"))
    with pytest.raises(ValidationError, match="creation"):
        void_event(session, actor=staff, now=NOW, event=created, reason="no")
    by_comm = session.scalar(select(Event).where(Event.kind == "acknowledged"))
    with pytest.raises(ValidationError, match="void the communication instead"):
        void_event(session, actor=staff, now=NOW, event=by_comm, reason="no")


def test_voiding_the_sent_event_keeps_what_the_agency_said(world, session):
    req, staff = _sent(session, world)
    sent = session.scalar(select(Event).where(Event.kind == "sent"))
    void_event(session, actor=staff, now=NOW, event=sent, reason="not sent yet")
    session.commit()
    # the acknowledgment still stands on its own (the agency said it has it)
    assert req.status == "acknowledged"
    assert any(r.what.startswith("Voided the ledger entry \u201cSent to agency\u201d") for r in history_for(session, req))


# ----------------------------------------------------------------------------- web

def test_void_and_correct_from_the_request_page(world, session, login_as):
    req, staff = _sent(session, world)
    ext = log_communication(session, actor=staff, now=NOW, req=req, direction="incoming", kind="extension_notice",
                            occurred_on=date(2026, 1, 12))
    session.commit()
    client = login_as("staff")
    page = client.get(f"/requests/{req.ref}").get_data(as_text=True)
    assert f"/requests/{req.ref}/communications/{ext.id}/void" in page
    assert "The extension notice stops counting" in page
    token = csrf_token(client, f"/requests/{req.ref}")
    url = f"/requests/{req.ref}/communications/{ext.id}/void"
    assert client.post(url, data={"reason": "mistake"}).status_code == 400  # CSRF enforced
    resp = client.post(url, data={"csrf_token": token, "reason": ""}, follow_redirects=True)
    assert "Say why" in resp.get_data(as_text=True)
    assert session.get(Communication, ext.id).voided_at is None
    resp = client.post(url, data={"csrf_token": token, "reason": "mistake"}, follow_redirects=True)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Voided the extension notice" in body and "moved back from" in body
    assert "usa-tag" in body and "Voided" in body
    session.expire_all()
    assert session.get(Communication, ext.id).voided_at is not None

    ack = session.scalar(select(Communication).where(Communication.kind == "acknowledgment"))
    form_url = f"/requests/{req.ref}/communications/{ack.id}/correct"
    assert client.get(form_url).status_code == 200
    resp = client.post(form_url, data={"csrf_token": token, "kind": "acknowledgment", "occurred_on": "2026-01-08",
                                       "reason": "wrong day"})
    assert resp.status_code == 302
    session.expire_all()
    new = session.scalar(select(Communication).where(Communication.replaces_id == ack.id))
    assert new.occurred_on == date(2026, 1, 8)
    page = client.get(f"/requests/{req.ref}").get_data(as_text=True)
    assert "Corrects the entry of Jan 7, 2026" in page
    # events: a hand-logged one can be voided from the ledger
    received = log_event(session, actor=staff, now=NOW, req=req, kind="received", occurred_on=date(2026, 1, 6))
    session.commit()
    resp = client.post(f"/requests/{req.ref}/events/{received.id}/void", data={"csrf_token": token, "reason": "no"})
    assert resp.status_code == 302
    session.expire_all()
    assert session.get(Event, received.id).voided_at is not None


def test_other_organizations_get_404(world, session, login_as):
    req, _staff = _sent(session, world)
    comm = session.scalar(select(Communication))
    event = session.scalar(select(Event).where(Event.kind == "sent"))
    client = login_as("outsider")
    token = csrf_token(client, "/requests")
    base = f"/requests/{req.ref}"
    assert client.post(f"{base}/communications/{comm.id}/void", data={"csrf_token": token, "reason": "x"}).status_code == 404
    assert client.get(f"{base}/communications/{comm.id}/correct").status_code == 404
    assert client.post(f"{base}/events/{event.id}/void", data={"csrf_token": token, "reason": "x"}).status_code == 404
    session.expire_all()
    assert session.get(Communication, comm.id).voided_at is None


def test_a_communication_of_another_request_is_404(world, session, login_as):
    _req, _staff = _sent(session, world)
    comm = session.scalar(select(Communication))
    other = world["requests"][("staff", "public")]
    client = login_as("staff")
    token = csrf_token(client, "/requests")
    assert client.post(f"/requests/{other.ref}/communications/{comm.id}/void",
                       data={"csrf_token": token, "reason": "x"}).status_code == 404


def test_cli_void_communication(world, session, cli):
    req, staff = _sent(session, world)
    comm = session.scalar(select(Communication))
    result = cli.invoke(args=["foia", "void-communication", req.ref, str(comm.id), "--reason", "duplicate",
                              "--as", staff.email])
    assert result.exit_code == 0, result.output
    assert "Voided" in result.output
    session.expire_all()
    assert session.get(Communication, comm.id).voided_by_id == staff.id
    result = cli.invoke(args=["foia", "void-communication", req.ref, str(comm.id), "--reason", "again"])
    assert result.exit_code == 2 and "already voided" in result.output


def test_a_hand_logged_acknowledgment_survives_a_correction(world, session):
    """Demo-style data: "sent" and "acknowledged" written straight to the ledger (no communication). Voiding an
    extension logged afterwards goes back to "acknowledged", not to "submitted"."""
    req = world["requests"][("staff", "private")]
    staff = world["users"]["staff"]
    log_event(session, actor=staff, now=NOW, req=req, kind="sent", occurred_on=SENT_ON)
    log_event(session, actor=staff, now=NOW, req=req, kind="acknowledged", occurred_on=date(2026, 1, 6))
    from foia.requests.service import update_request
    update_request(session, actor=staff, now=NOW, req=req, status="acknowledged")
    ext = log_communication(session, actor=staff, now=NOW, req=req, direction="incoming", kind="extension_notice",
                            occurred_on=date(2026, 1, 12))
    session.commit()
    assert req.status == "processing"
    void_communication(session, actor=staff, now=NOW, comm=ext, reason="mistake")
    session.commit()
    assert req.status == "acknowledged"
