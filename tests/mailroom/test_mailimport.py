"""Importing agency email and exporting the evidence bundle."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from foia.models import Communication, Document, UnmatchedMail
from tests.conftest import NOW, csrf_token, extract_queued


def _pdf(text: str) -> bytes:
    import weasyprint

    return weasyprint.HTML(string=f"<p>{text}</p>").write_pdf()


def _eml(subject: str, body: str | None = "Please find our response attached.", *, message_id: str = "<r1@ice.example>",
         attachment: tuple[str, bytes] | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = "ICE FOIA Office <ice-foia@ice.example>"
    msg["To"] = "clerk@lacity.example"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime(2026, 1, 14, 17, 30, tzinfo=UTC))
    msg["Message-ID"] = message_id
    if body is not None:
        msg.set_content(body)
    if attachment:
        name, data = attachment
        msg.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return bytes(msg)


def _blob_count(ctx) -> int:
    root = Path(ctx.config["FOIA_STORAGE_DIR"]) / "blobs"
    return sum(1 for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")) if root.exists() else 0


def _import(client, *files: tuple[str, bytes], kind: str = "note"):
    token = csrf_token(client, "/mail/import")
    return client.post("/mail/import", data={"csrf_token": token, "kind": kind,
                                            "files": [(io.BytesIO(data), name) for name, data in files]},
                       content_type="multipart/form-data")


def test_email_with_our_reference_is_logged_with_its_attachment(ctx, login_as, world, session):
    req = world["requests"][("staff", "private")]
    client = login_as("staff")
    data = _eml(f"RE: FOIA request {req.ref}", attachment=("release-1.pdf", _pdf("Transfers to Adelanto")))
    resp = _import(client, ("reply.eml", data))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and f"Logged on {req.ref} with 1 attachment." in page
    comm = session.scalar(select(Communication))
    # the result links to the logged communication on its request (review Minor 12)
    assert f'href="/requests/{req.ref}#communication-{comm.id}">Open it on the request' in page
    assert comm.request_id == req.id and comm.direction == "incoming" and comm.message_id == "r1@ice.example"
    assert comm.from_addr == "ice-foia@ice.example" and "Please find our response" in comm.body
    extract_queued(ctx, session)  # attachments queue their text extraction; run it, as the scheduler would
    doc = session.scalar(select(Document))
    assert doc.communication_id == comm.id and doc.filename == "release-1.pdf" and doc.pages == 1
    # the word in the attachment is searchable
    from foia.search.service import search

    hits = search(session, world["users"]["staff"], "Adelanto")
    assert any(h.ref == req.ref for h in hits)
    # importing the same message again logs nothing new
    again = _import(client, ("reply.eml", data))
    assert "Already imported" in again.get_data(as_text=True)
    assert session.scalar(select(func.count(Communication.id))) == 1
    assert session.scalar(select(func.count(Document.id))) == 1


def test_tracking_number_matches_when_our_reference_is_missing(cli, world, session):
    req = world["requests"][("staff", "private")]
    req.tracking_number = "2025-ICFO-41231"
    session.commit()
    path = Path(cli.app.instance_path) / "tracking.eml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_eml("Your FOIA request 2025-ICFO-41231: acknowledgment", message_id="<ack@ice.example>"))
    result = cli.invoke(args=["foia", "import-eml", str(path), "--kind", "acknowledgment"])
    assert result.exit_code == 0, result.output
    assert f"logged: Logged on {req.ref}" in result.output
    session.expire_all()
    assert req.status == "acknowledged"


def test_unmatched_mail_waits_and_can_be_assigned(login_as, world, session):
    req = world["requests"][("staff", "organization")]
    client = login_as("staff")
    resp = _import(client, ("mystery.eml", _eml("A response about your records", message_id="<m@x.example>")))
    assert "No request matched" in resp.get_data(as_text=True)
    row = session.scalar(select(UnmatchedMail))
    assert row.subject == "A response about your records" and row.assigned_at is None
    assert f'href="/mail/unmatched/{row.id}">Open it in Unmatched mail' in resp.get_data(as_text=True)
    page = client.get("/mail/unmatched").get_data(as_text=True)
    assert "A response about your records" in page
    token = csrf_token(client, "/mail/unmatched")
    bad = client.post(f"/mail/unmatched/{row.id}/assign", data={"csrf_token": token, "ref": "FT-1999-0001", "kind": "note"})
    assert bad.status_code == 303
    resp = client.post(f"/mail/unmatched/{row.id}/assign", data={"csrf_token": token, "ref": req.ref, "kind": "note"})
    assert resp.status_code == 302
    session.expire_all()
    assert row.assigned_at is not None
    comm = session.get(Communication, row.communication_id)
    assert comm.request_id == req.id and comm.subject == "A response about your records"
    assert "A response about your records" not in client.get("/mail/unmatched").get_data(as_text=True)


def test_mail_about_a_request_you_cannot_change_is_not_attached_to_it(login_as, world, session):
    private = world["requests"][("staff", "private")]
    client = login_as("outsider")
    resp = _import(client, ("reply.eml", _eml(f"About {private.ref}")))
    assert "No request matched" in resp.get_data(as_text=True)
    assert session.scalar(select(func.count(Communication.id))) == 0


@pytest.mark.parametrize("name, data, message", [
    ("empty.eml", b"", "not an email we can read"),
    ("noise.eml", bytes(range(256)) * 20, "not an email we can read"),
    ("broken.eml", b"From: a@b.example\r\nSubject: x\r\nContent-Type: multipart/mixed\r\n\r\n--\r\ngarbage\r\n",
     "not an email we can read"),
])
def test_malformed_files_are_refused_and_nothing_is_stored(ctx, login_as, world, session, name, data, message):
    client = login_as("staff")
    resp = _import(client, (name, data))
    assert resp.status_code == 400 and message in resp.get_data(as_text=True)
    assert session.scalar(select(func.count(Communication.id))) == 0
    assert session.scalar(select(func.count(UnmatchedMail.id))) == 0
    assert _blob_count(ctx) == 0


def test_a_bad_attachment_refuses_the_whole_message(ctx, login_as, world, session):
    req = world["requests"][("staff", "private")]
    client = login_as("staff")
    fake_pdf = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
    resp = _import(client, ("reply.eml", _eml(f"RE: {req.ref}", attachment=("release.pdf", fake_pdf))))
    assert resp.status_code == 400 and "is not a PDF" in resp.get_data(as_text=True)
    assert session.scalar(select(func.count(Communication.id))) == 0
    assert session.scalar(select(func.count(Document.id))) == 0
    assert _blob_count(ctx) == 0  # the raw .eml stored first was removed again


def test_an_email_with_no_body_is_still_logged(login_as, world, session):
    req = world["requests"][("staff", "private")]
    resp = _import(login_as("staff"), ("empty-body.eml", _eml(f"{req.ref}", body=None)))
    assert resp.status_code == 200 and session.scalar(select(Communication)).body == ""


def test_evidence_bundle_has_everything_with_a_checksum_manifest(ctx, cli, login_as, world, session, tmp_path):
    from foia.letters.service import finalize, new_draft

    req = world["requests"][("staff", "private")]
    staff = world["users"]["staff"]
    original = _eml(f"RE: {req.ref}", attachment=("release-1.pdf", _pdf("Transfers to Adelanto")))
    client = login_as("staff")
    _import(client, ("reply.eml", original))
    version = new_draft(session, actor=staff, now=NOW, req=req, kind="request", custom={"intro": "Hello."})
    finalize(session, actor=staff, now=NOW, version=version, cache_dir=Path(ctx.config["FOIA_STORAGE_DIR"]) / "letter-cache")
    session.commit()
    out = tmp_path / "bundle.zip"
    result = cli.invoke(args=["foia", "export", req.ref, "-o", str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        manifest = json.loads(zf.read("manifest.json"))
        for entry in manifest["files"]:
            assert hashlib.sha256(zf.read(entry["path"])).hexdigest() == entry["sha256"], entry["path"]
        assert {f["path"] for f in manifest["files"]} == set(names) - {"manifest.json", "manifest.sha256"}
        eml = next(n for n in names if n.startswith("communications/"))
        assert zf.read(eml) == original  # the original message, headers and all
        pdf = next(n for n in names if n.startswith("documents/"))
        assert "Adelanto" in PdfReader(io.BytesIO(zf.read(pdf))).pages[0].extract_text()
        letter = next(n for n in names if n.startswith("letters/"))
        assert req.ref in PdfReader(io.BytesIO(zf.read(letter))).pages[0].extract_text()
        assert "timeline.html" in names and zf.read("timeline.pdf").startswith(b"%PDF")
        assert req.ref in zf.read("timeline.html").decode()
    # the download button gives the same bundle to people who may see the request, and to no one else
    resp = client.get(f"/requests/{req.ref}/export")
    assert resp.status_code == 200 and resp.headers["Content-Disposition"].startswith("attachment")
    assert zipfile.ZipFile(io.BytesIO(resp.data)).namelist() == names


def test_export_is_404_for_people_who_cannot_see_the_request(login_as, world):
    assert login_as("outsider").get(f"/requests/{world['requests'][('staff', 'private')].ref}/export").status_code == 404


def test_bundle_timeline_is_in_time_order_and_lists_each_communication_once(ctx, cli, world, session, tmp_path):
    """One busy day: the request is sent, acknowledged, partly denied and appealed. The timeline follows
    the order things happened (not the alphabet), and a logged communication is one row, not two."""
    import re
    from datetime import date, timedelta

    from foia.communications.service import log_communication
    from foia.requests.service import log_event

    req = world["requests"][("staff", "private")]
    staff = world["users"]["staff"]
    day = date(2026, 1, 14)
    steps = [("sent", None), ("acknowledgment", "Acknowledged 2026-ICFO-1"), ("partial_denial", "Partly withheld"),
             ("appeal_filed", "Appeal filed")]
    for minutes, (kind, subject) in enumerate(steps):
        now = NOW + timedelta(minutes=minutes)
        if kind == "sent":
            log_event(session, actor=staff, now=now, req=req, kind="sent", occurred_on=day, notes="Emailed")
        else:
            log_communication(session, actor=staff, now=now, req=req,
                              direction="outgoing" if kind == "appeal_filed" else "incoming", kind=kind,
                              occurred_on=day, subject=subject,
                              exemptions=["(b)(6)"] if kind == "partial_denial" else ())
    session.commit()
    out = tmp_path / "bundle.zip"
    assert cli.invoke(args=["foia", "export", req.ref, "-o", str(out)]).exit_code == 0
    html = zipfile.ZipFile(out).read("timeline.html").decode()
    rows = [re.sub(r"<[^>]+>", "|", r) for r in re.findall(r"<tr><td>2026-01-14</td>.*?</tr>", html)]
    whats = [r.split("|")[4] for r in rows]
    assert whats == ["Sent to agency", "Acknowledgment (incoming)", "Partial denial (incoming)",
                     "Appeal filed (outgoing)"], whats


def test_bundle_history_csv_neutralises_formula_text():
    """A title typed as a formula ('=HYPERLINK(...)') is written to history.csv as plain text, never a formula."""
    import csv as _csv

    from foia.mailroom.export import _history_csv
    from foia.requests.history import Change, HistoryRow

    row = HistoryRow(at=datetime(2026, 1, 5, 12, tzinfo=UTC), who="@attacker", what="Edited the request",
                     changes=[Change(field="Title", before="Old", after='=HYPERLINK("http://x","y")')])
    lines = list(_csv.reader(io.StringIO(_history_csv([row]).decode())))
    assert lines[1][1] == "'@attacker"
    assert lines[1][5] == "'=HYPERLINK(\"http://x\",\"y\")" and lines[1][4] == "Old"
