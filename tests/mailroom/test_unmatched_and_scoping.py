"""Message-IDs are per organization, importers learn nothing about requests they cannot see, and
unmatched mail can be read, assigned by search and discarded."""

from __future__ import annotations

from sqlalchemy import select

from foia.core.paths import blob_root
from foia.mailroom.imports import import_eml
from foia.models import AuditLog, Communication, UnmatchedMail
from tests.conftest import NOW, csrf_token
from tests.mailroom.test_mailimport import _eml, _import, _pdf

MAX = 10 * 1024 * 1024


def _imp(session, app, user, data):
    return import_eml(session, actor=user, now=NOW, data=data, storage_root=blob_root(app.config), max_bytes=MAX)


def test_an_outsider_can_neither_block_an_import_nor_learn_the_request(app, world, session):
    req = world["requests"][("staff", "private")]
    outsider, staff = world["users"]["outsider"], world["users"]["staff"]
    data = _eml(f"RE: {req.ref}", message_id="<squat@ice.example>")
    first = _imp(session, app, outsider, data)  # the outsider gets there first with the same Message-ID
    assert first.status == "unmatched" and req.ref not in first.message
    logged = _imp(session, app, staff, data)  # the real import is not blocked
    assert logged.status == "logged" and logged.ref == req.ref
    again = _imp(session, app, outsider, data)
    assert again.status == "duplicate" and again.ref is None and req.ref not in again.message
    assert session.scalar(select(Communication.request_id).where(Communication.message_id == "squat@ice.example")) == req.id


def test_a_colleague_who_cannot_see_the_request_is_not_told_which_it_is(app, world, session):
    req = world["requests"][("reporter", "private")]  # the reporter's own; the colleague cannot see it
    data = _eml(f"RE: {req.ref}", message_id="<private@lasd.example>")
    assert _imp(session, app, world["users"]["reporter"], data).status == "logged"
    seen = _imp(session, app, world["users"]["colleague"], data)
    # Already in their organization (on a request they cannot see): a duplicate, with no reference given.
    assert seen.status == "duplicate" and seen.ref is None and req.ref not in seen.message
    again = _imp(session, app, world["users"]["news_staff"], data)  # staff of the same organization may see it
    assert again.status == "duplicate" and again.ref == req.ref


def test_open_an_unmatched_message_find_its_request_and_assign_it(login_as, world, session):
    req = world["requests"][("staff", "private")]
    client = login_as("staff")
    data = _eml("Your records request (no reference)", body="<script>alert(1)</script> Records attached.",
                message_id="<lost@ice.example>", attachment=("ledger.pdf", _pdf("ledger")))
    assert _import(client, ("lost.eml", data)).status_code == 200
    row = session.scalar(select(UnmatchedMail).where(UnmatchedMail.message_id == "lost@ice.example"))
    page = client.get(f"/mail/unmatched/{row.id}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "ice-foia@ice.example" in body and "ledger.pdf" in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert(1)" not in body  # text, never HTML
    found = client.get(f"/mail/unmatched/{row.id}?q={req.title.split()[0]}").get_data(as_text=True)
    assert req.ref in found
    other_org = world["requests"][("reporter", "private")]
    assert other_org.ref not in client.get(f"/mail/unmatched/{row.id}?q=request").get_data(as_text=True)
    resp = client.post(f"/mail/unmatched/{row.id}/assign", data={
        "csrf_token": csrf_token(client, f"/mail/unmatched/{row.id}"), "ref": req.ref, "kind": "note"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/requests/{req.ref}")
    session.expire_all()
    assert session.get(UnmatchedMail, row.id).assigned_at is not None


def test_discard_is_audited_and_refused_without_a_reason(login_as, world, session):
    client = login_as("staff")
    _import(client, ("spam.eml", _eml("Win a prize", message_id="<spam@x.example>")))
    row = session.scalar(select(UnmatchedMail).where(UnmatchedMail.message_id == "spam@x.example"))
    token = csrf_token(client, f"/mail/unmatched/{row.id}")
    refused = client.post(f"/mail/unmatched/{row.id}/discard", data={"csrf_token": token, "reason": "  "})
    assert refused.status_code == 400 and "Say why" in refused.get_data(as_text=True)
    session.expire_all()
    assert session.get(UnmatchedMail, row.id).discarded_at is None
    resp = client.post(f"/mail/unmatched/{row.id}/discard", data={"csrf_token": token, "reason": "spam"})
    assert resp.status_code == 302
    session.expire_all()
    assert session.get(UnmatchedMail, row.id).discard_reason == "spam"
    assert "Win a prize" not in client.get("/mail/unmatched").get_data(as_text=True)
    assert session.scalar(select(AuditLog).where(AuditLog.action == "discard", AuditLog.entity_id == str(row.id)))


def test_unmatched_messages_of_another_organization_are_404(app, login_as, world, session):
    _imp(session, app, world["users"]["outsider"], _eml("Hello", message_id="<theirs@x.example>"))
    row = session.scalar(select(UnmatchedMail).where(UnmatchedMail.message_id == "theirs@x.example"))
    client = login_as("staff")
    assert client.get(f"/mail/unmatched/{row.id}").status_code == 404
    token = csrf_token(client, "/mail/unmatched")
    assert client.post(f"/mail/unmatched/{row.id}/discard", data={"csrf_token": token, "reason": "x"}).status_code == 404
    assert client.post(f"/mail/unmatched/{row.id}/assign", data={"csrf_token": token, "ref": "FT-2026-0001"}).status_code == 404


def test_assign_search_is_not_a_way_into_other_requests(login_as, world, session):
    """The request search on a message page lists only requests the person can change."""
    client = login_as("reporter")
    _import(client, ("y.eml", _eml("Anything", message_id="<mine@x.example>")))
    row = session.scalar(select(UnmatchedMail).where(UnmatchedMail.message_id == "mine@x.example"))
    body = client.get(f"/mail/unmatched/{row.id}?q=request").get_data(as_text=True)
    assert world["requests"][("reporter", "private")].ref in body
    for key in [("staff", "private"), ("staff", "public")]:
        assert world["requests"][key].ref not in body  # visible (public) or not, it is not theirs to change
