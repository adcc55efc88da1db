"""The log-a-communication form: each kind's fields (from the validator's one table), the direction (a note is
never "From the agency" by default), and files attached in the same step, in the same transaction."""

from __future__ import annotations

import io
import re
from pathlib import Path

from sqlalchemy import func, select

from foia.communications.validation import FIELD_KINDS
from foia.models import AuditLog, Communication, Document, Event
from tests.conftest import csrf_token, extract_queued


def _url(req):
    return f"/requests/{req.ref}/communications/new"


def _count(session, model):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def test_each_kind_specific_field_names_its_kinds_from_the_validator_table(world, login_as):
    req = world["requests"][("staff", "private")]
    html = login_as("staff").get(_url(req)).get_data(as_text=True)
    ids = {"exemptions": "comm-exemptions", "days": "comm-days", "estimated_completion": "comm-estimated",
           "agreed_date": "comm-agreed", "outcome": "comm-outcome", "amount": "comm-amount",
           "decision": "comm-decision"}
    assert set(ids) == set(FIELD_KINDS)
    groups = {}  # field id -> the data-kinds of the group that holds it
    chunks = html.split('data-kinds="')[1:]
    for chunk in chunks:
        kinds, rest = chunk.split('"', 1)
        for element_id in ids.values():
            if f'id="{element_id}"' in chunk[:4000] and element_id not in groups:
                before = chunk.index(f'id="{element_id}"')
                if 'data-kinds' not in rest[:before]:
                    groups[element_id] = set(kinds.split())
    same_tag = re.search(r'id="comm-exemptions"[^>]*data-kinds="([^"]*)"', html)
    groups["comm-exemptions"] = set(same_tag.group(1).split())
    for name, element_id in ids.items():
        assert groups.get(element_id) == set(FIELD_KINDS[name]), name
    assert 'src="/static/communication-form.js"' in html and 'enctype="multipart/form-data"' in html
    assert "Applies to: Extension notice." in html  # without JavaScript, each field says which kinds use it
    assert "YYYY-MM-DD" not in html and "For example: 11/30/2026" in html


def test_validator_refuses_a_field_for_a_kind_that_does_not_use_it(world, session):
    from foia.communications.validation import validate_communication
    from tests.conftest import NOW

    req = world["requests"][("staff", "private")]
    for name, kinds in FIELD_KINDS.items():
        other = next(k for k in ("note", "final_release", "acknowledgment") if k not in kinds)
        value = {"exemptions": ["(b)(6)"], "days": "5", "estimated_completion": "2026-03-01",
                 "agreed_date": "2026-03-01", "outcome": "granted", "amount": "10", "decision": "granted"}[name]
        kw = {"exemptions": value if name == "exemptions" else [], "data": {} if name == "exemptions" else {name: value}}
        errors, _ = validate_communication(session, now=NOW, req=req, direction="incoming", kind=other,
                                           occurred_on="2026-01-10", subject="", body="", tracking_number="",
                                           message_id=None, **kw)
        assert name in errors, (name, other)


def test_a_note_has_no_default_direction_and_must_be_given_one(world, login_as, session):
    req = world["requests"][("staff", "private")]
    client = login_as("staff")
    html = client.get(_url(req) + "?kind=note").get_data(as_text=True)
    assert not re.search(r'name="direction"[^>]*checked', html)
    assert re.search(r'id="comm-direction-outgoing" value="outgoing" checked',
                     client.get(_url(req) + "?kind=payment").get_data(as_text=True))
    assert re.search(r'id="comm-direction-incoming" value="incoming" checked',
                     client.get(_url(req) + "?kind=acknowledgment").get_data(as_text=True))
    token = csrf_token(client, _url(req))
    resp = client.post(_url(req), data={"csrf_token": token, "kind": "note", "occurred_on": "2026-01-10",
                                        "body": "Phoned the FOIA office."})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "a note has no usual direction" in body
    assert 'href="#comm-direction-incoming"' in body and "Nothing was saved" in body  # error_summary macro links
    assert _count(session, Communication) == 0
    resp = client.post(_url(req), data={"csrf_token": token, "kind": "note", "direction": "outgoing",
                                        "occurred_on": "2026-01-10", "body": "Phoned the FOIA office."})
    assert resp.status_code == 302
    assert session.scalar(select(Communication.direction)) == "outgoing"


def _pdf() -> bytes:
    import weasyprint

    return weasyprint.HTML(string="<p>Acknowledgment of your request.</p>").write_pdf()


def _blobs(app) -> list[Path]:
    root = Path(app.config["FOIA_STORAGE_DIR"])
    return [p for p in root.rglob("*") if p.is_file() and "letter-cache" not in p.parts]


def test_files_attached_while_logging_are_stored_with_the_communication(world, login_as, session, ctx):
    req = world["requests"][("staff", "private")]
    client = login_as("staff")
    token = csrf_token(client, _url(req))
    resp = client.post(_url(req), content_type="multipart/form-data", data={
        "csrf_token": token, "kind": "acknowledgment", "direction": "incoming", "occurred_on": "2026-01-10",
        "attachments": [(io.BytesIO(_pdf()), "ack-letter.pdf"), (io.BytesIO(b"Tracking 2026-ICFO-1\n"), "note.txt")]})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    extract_queued(ctx, session)  # attachments queue their text extraction; run it, as the scheduler would
    comm = session.scalar(select(Communication))
    docs = session.scalars(select(Document).order_by(Document.id)).all()
    assert [(d.filename, d.communication_id, d.request_id) for d in docs] == [
        ("ack-letter.pdf", comm.id, req.id), ("note.txt", comm.id, req.id)]
    assert docs[0].mime == "application/pdf" and docs[0].pages == 1
    assert session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "document:add")) == 2
    follow = client.get(f"/requests/{req.ref}").get_data(as_text=True)
    assert "with 2 attached files" in follow and "ack-letter.pdf" in follow


def test_an_invalid_attachment_means_nothing_is_written(world, login_as, session, ctx):
    req = world["requests"][("staff", "private")]
    client = login_as("staff")
    before = (_count(session, Event), _count(session, AuditLog))
    token = csrf_token(client, _url(req))
    resp = client.post(_url(req), content_type="multipart/form-data", data={
        "csrf_token": token, "kind": "partial_denial", "direction": "incoming", "occurred_on": "2026-01-10",
        "attachments": [(io.BytesIO(_pdf()), "release.pdf"), (io.BytesIO(b"<html>not a pdf</html>"), "fake.pdf")]})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "fake.pdf" in body and "is not a PDF" in body and 'href="#comm-attachments"' in body
    assert _count(session, Communication) == 0 and _count(session, Document) == 0
    assert (_count(session, Event), _count(session, AuditLog)) == before
    session.expire_all()
    assert session.get(type(req), req.id).status == "draft"  # the denial's effect did not stay either
    assert _blobs(ctx) == []  # the good file's bytes were removed with it
