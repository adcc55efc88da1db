"""Editing a request's details (everything before sending; only title, visibility and tracking number after),
deleting a never-sent draft, and the request's History page and CLI."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from foia.communications.service import log_communication
from foia.core.errors import ValidationError
from foia.models import AuditLog, Reminder, Request, SearchEntry
from foia.requests.corrections import delete_draft, edit_request
from foia.requests.history import history_for
from foia.requests.service import log_event
from tests.conftest import NOW, csrf_token


def _send(session, req, user, day=date(2026, 1, 5)):
    log_event(session, actor=user, now=NOW, req=req, kind="sent", occurred_on=day,
              occurred_at=datetime(day.year, day.month, day.day, 17, tzinfo=UTC))
    session.commit()


def test_before_sending_every_detail_may_change_and_clocks_follow(world, session):
    req = world["requests"][("staff", "private")]
    staff = world["users"]["staff"]
    changed = edit_request(session, actor=staff, now=NOW, req=req, values={
        "title": "Detention contracts", "records_sought": "All contracts for detention beds, 2025.",
        "agency": "lasd", "expedited": True, "expedited_justification": "Imminent threat to safety.",
        "fee_ceiling": "25"})
    session.commit()
    assert req.agency.slug == "lasd" and req.law == "ca-cpra" and req.expedited
    assert set(changed) >= {"title", "records_sought", "agency_id", "law", "expedited", "fee_ceiling"}
    audit = session.scalars(select(AuditLog).where(AuditLog.action == "update")).all()[-1]
    assert audit.before["title"] == "staff private request" and audit.after["title"] == "Detention contracts"
    # invalid input: nothing written
    with pytest.raises(ValidationError) as exc:
        edit_request(session, actor=staff, now=NOW, req=req, values={"records_sought": "short", "agency": "nope"})
    assert set(exc.value.errors) == {"records_sought", "agency"}
    session.rollback()
    assert session.get(Request, req.id).records_sought == "All contracts for detention beds, 2025."


def test_after_sending_what_the_agency_received_is_locked(world, session):
    req = world["requests"][("staff", "private")]
    staff = world["users"]["staff"]
    _send(session, req, staff)
    due = req.response_due
    with pytest.raises(ValidationError) as exc:
        edit_request(session, actor=staff, now=NOW, req=req, values={"records_sought": "Something else entirely.",
                                                                     "expedited": True, "title": "New"})
    assert set(exc.value.errors) == {"records_sought", "expedited"}
    assert "letter of Jan 5, 2026" in exc.value.errors["records_sought"]
    assert "write a follow-up letter" in exc.value.errors["records_sought"]
    session.rollback()
    edit_request(session, actor=staff, now=NOW, req=req, values={
        "title": "New title", "visibility": "public", "tracking_number": "2026-ICFO-1",
        "records_sought": req.records_sought})  # an unchanged locked value is no attempt
    session.commit()
    assert (req.title, req.visibility, req.tracking_number, req.response_due) == (
        "New title", "public", "2026-ICFO-1", due)


def test_edit_page_before_and_after_sending(world, session, login_as):
    req = world["requests"][("staff", "private")]
    client = login_as("staff")
    body = client.get(f"/requests/{req.ref}/edit").get_data(as_text=True)
    assert 'name="records_sought"' in body and "Delete this draft" in body
    token = csrf_token(client, f"/requests/{req.ref}/edit")
    form = {"csrf_token": token, "title": "Edited", "agency": "dhs-ice", "law": "",
            "records_sought": req.records_sought, "fee_category": "news_media", "visibility": "private",
            "tracking_number": ""}
    assert client.post(f"/requests/{req.ref}/edit", data=dict(form, csrf_token="")).status_code == 400
    resp = client.post(f"/requests/{req.ref}/edit", data=form)
    assert resp.status_code == 302
    session.expire_all()
    assert req.title == "Edited" and req.fee_category == "news_media"
    resp = client.post(f"/requests/{req.ref}/edit", data=dict(form, records_sought="short"))
    assert resp.status_code == 400 and "usa-alert--error" in resp.get_data(as_text=True)

    _send(session, req, world["users"]["staff"])
    body = client.get(f"/requests/{req.ref}/edit").get_data(as_text=True)
    assert 'name="records_sought"' not in body and "Delete this draft" not in body
    assert "The agency received these in your letter of Jan 5, 2026" in body
    assert "write a follow-up letter" in body
    resp = client.post(f"/requests/{req.ref}/edit", data=dict(form, title="After sending",
                                                               records_sought="Changed after sending, sneakily."))
    assert resp.status_code == 302
    session.expire_all()
    assert req.title == "After sending" and req.records_sought != "Changed after sending, sneakily."


def test_delete_a_never_sent_draft(world, session, login_as):
    req = world["requests"][("staff", "private")]
    staff = world["users"]["staff"]
    assert session.scalar(select(SearchEntry).where(SearchEntry.request_id == req.id)) is not None
    client = login_as("staff")
    token = csrf_token(client, f"/requests/{req.ref}")
    assert client.post(f"/requests/{req.ref}/delete").status_code == 400  # CSRF
    resp = client.post(f"/requests/{req.ref}/delete", data={"csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/requests")
    session.expire_all()
    assert req.deleted_at is not None
    assert session.scalar(select(SearchEntry).where(SearchEntry.request_id == req.id)) is None
    assert client.get(f"/requests/{req.ref}").status_code == 404
    assert req.ref not in client.get("/requests").get_data(as_text=True)
    audit = session.scalar(select(AuditLog).where(AuditLog.action == "delete", AuditLog.request_id == req.id))
    assert audit.before["title"] == "staff private request" and audit.actor_id == staff.id


def test_a_sent_request_cannot_be_deleted(world, session):
    req = world["requests"][("staff", "private")]
    staff = world["users"]["staff"]
    _send(session, req, staff)
    assert session.scalar(select(Reminder).where(Reminder.request_id == req.id)) is not None
    with pytest.raises(ValidationError, match=r"sent on Jan 5, 2026.*withdraw it instead"):
        delete_draft(session, actor=staff, now=NOW, req=req)
    session.rollback()
    assert session.get(Request, req.id).deleted_at is None


def test_routes_are_404_across_organizations(world, session, login_as):
    req = world["requests"][("staff", "private")]
    client = login_as("outsider")
    token = csrf_token(client, "/requests")
    assert client.get(f"/requests/{req.ref}/edit").status_code == 404
    assert client.post(f"/requests/{req.ref}/edit", data={"csrf_token": token, "title": "x"}).status_code == 404
    assert client.post(f"/requests/{req.ref}/delete", data={"csrf_token": token}).status_code == 404
    assert client.get(f"/requests/{req.ref}/history").status_code == 404
    session.expire_all()
    assert req.deleted_at is None and req.title == "staff private request"


def test_history_page_and_cli(world, session, login_as, cli):
    req = world["requests"][("staff", "private")]
    staff = world["users"]["staff"]
    _send(session, req, staff)
    log_communication(session, actor=staff, now=NOW + timedelta(minutes=5), req=req, direction="incoming",
                      kind="acknowledgment", occurred_on=date(2026, 1, 6), tracking_number="2026-ICFO-9")
    session.commit()
    rows = history_for(session, req)
    assert rows[0].what == "Created the request" and rows[0].who == "Clerk"
    assert "Logged an acknowledgment of Jan 6, 2026" in [r.what for r in rows]
    status = next(r for r in rows if any(c.field == "Status" for c in r.changes))
    assert [(c.before, c.after) for c in status.changes if c.field == "Status"] == [("Submitted", "Acknowledged")] \
        or [(c.before, c.after) for c in status.changes if c.field == "Status"] == [("Draft", "Acknowledged")]
    client = login_as("reporter")  # anyone who can see it: make it public first
    assert client.get(f"/requests/{req.ref}/history").status_code == 404
    edit_request(session, actor=staff, now=NOW, req=req, values={"visibility": "public"})
    session.commit()
    body = client.get(f"/requests/{req.ref}/history").get_data(as_text=True)
    assert "<caption>" in body and "Created the request" in body and "Changed who can see it" in body
    assert "Private (me and my organization&#39;s staff)" in body and "Public (every signed-in user)" in body
    result = cli.invoke(args=["foia", "history", req.ref, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data[0]["what"] == "Created the request" and data[0]["who"] == "Clerk"
    result = cli.invoke(args=["foia", "history", req.ref])
    assert "Logged an acknowledgment" in result.output
    assert cli.invoke(args=["foia", "history", "FT-1999-0001"]).exit_code == 1
