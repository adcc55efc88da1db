"""Documents: upload through the web form and the CLI, content-addressed storage, refusals that leave
nothing behind, downloads that are always attachments, visibility, and deferred text extraction."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from pathlib import Path

import pytest
import weasyprint
from sqlalchemy import func, select

from foia.core.clock import utcnow
from foia.core.errors import ValidationError
from foia.core.paths import blob_root
from foia.documents.jobs import JobPass, job_settings, run_jobs
from foia.documents.service import add_document
from foia.models import AuditLog, Communication, Document, Job, SearchEntry
from tests.conftest import NOW, csrf_token

HTML_PAGE = b"<!doctype html><html><body><script>alert(document.cookie)</script><p>hello</p></body></html>"


@pytest.fixture(scope="module")
def adelanto_pdf() -> bytes:
    return weasyprint.HTML(string="<p>Detainees were moved to Adelanto</p>").write_pdf()


def blobs(app) -> list[Path]:
    root = Path(blob_root(app.config))
    return sorted(p for p in root.rglob("*") if p.is_file() and re.fullmatch(r"[0-9a-f]{64}", p.name))


def upload(client, ref: str, files: list[tuple[bytes, str]], **extra):
    token = csrf_token(client, f"/requests/{ref}/documents/new")
    data = {"csrf_token": token, "files": [(io.BytesIO(content), name) for content, name in files], **extra}
    return client.post(f"/requests/{ref}/documents/new", data=data, content_type="multipart/form-data")


def run_queued(app, session) -> JobPass:
    """Run the queued text-extraction jobs, as the scheduler does."""
    result = run_jobs(session, now=utcnow(), settings=job_settings(app.config))
    session.expire_all()
    return result


def docs_of(session, req) -> list[Document]:
    session.expire_all()
    return list(session.scalars(select(Document).where(Document.request_id == req.id).order_by(Document.id)))


# ---------------------------------------------------------------------------- the whole flow

def test_upload_pdf_download_search_and_dedupe(login_as, world, session, app, adelanto_pdf):
    client = login_as("staff")
    req = world["requests"][("staff", "private")]

    form = client.get(f"/requests/{req.ref}/documents/new")
    html = form.get_data(as_text=True)
    assert form.status_code == 200
    assert 'type="file"' in html and "multiple" in html and '<label class="usa-label" for="upload-files">' in html
    assert "200 MB" in html  # the size limit is stated

    resp = upload(client, req.ref, [(adelanto_pdf, "adelanto.pdf")])
    assert resp.status_code == 303, resp.get_data(as_text=True)
    [doc] = docs_of(session, req)
    assert doc.sha256 == __import__("hashlib").sha256(adelanto_pdf).hexdigest()
    # The upload only queues the extraction: the file is read later, by the job runner, in a limited process.
    assert (doc.pages, doc.text_status) == (None, "pending")
    assert session.scalar(select(Job.status).where(Job.document_id == doc.id)) == "queued"
    assert "Text not searchable yet" in client.get(f"/requests/{req.ref}").get_data(as_text=True)
    assert run_queued(app, session) == JobPass(done=1)
    [doc] = docs_of(session, req)
    assert (doc.pages, doc.mime, doc.filename, doc.size) == (1, "application/pdf", "adelanto.pdf", len(adelanto_pdf))
    assert (doc.text_status, doc.text_error) == ("done", "")
    assert session.scalar(select(Job.status).where(Job.document_id == doc.id)) == "done"
    assert doc.uploaded_by_id == world["users"]["staff"].id
    entry = session.scalar(select(SearchEntry).where(SearchEntry.source_type == "document",
                                                     SearchEntry.source_id == doc.id))
    assert "Adelanto" in entry.body
    assert session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "document:add")) == 1
    assert len(blobs(app)) == 1

    page = client.get(f"/requests/{req.ref}").get_data(as_text=True)
    assert f"/documents/{doc.id}/download" in page and "adelanto.pdf" in page and "Upload documents" in page

    dl = client.get(f"/documents/{doc.id}/download")
    assert dl.status_code == 200
    assert dl.data == adelanto_pdf
    assert dl.headers["Content-Disposition"].startswith("attachment")
    assert "adelanto.pdf" in dl.headers["Content-Disposition"]
    assert dl.headers["X-Content-Type-Options"] == "nosniff"
    assert dl.mimetype == "application/pdf"

    found = client.get("/search", query_string={"q": "Adelanto"}).get_data(as_text=True)
    assert "adelanto.pdf" in found
    assert "<mark>Adelanto</mark>" in found
    assert f"/documents/{doc.id}/download" in found

    again = upload(client, req.ref, [(adelanto_pdf, "copy of adelanto.pdf")])
    assert again.status_code == 303
    assert len(docs_of(session, req)) == 2
    assert len(blobs(app)) == 1  # same content, stored once


def test_upload_many_files_keeps_good_ones_and_names_the_bad(login_as, world, session, app, adelanto_pdf):
    client = login_as("staff")
    req = world["requests"][("staff", "private")]
    resp = upload(client, req.ref, [(adelanto_pdf, "good.pdf"), (HTML_PAGE, "fake.pdf"), (b"", "empty.txt"),
                                    (b"plain notes about Adelanto\n", "notes.txt")])
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200, body
    assert re.search(r"<strong>fake\.pdf</strong>: The file is named \.pdf but is not a PDF\.", body)
    assert re.search(r"<strong>empty\.txt</strong>: The file is empty\.", body)
    assert [d.filename for d in docs_of(session, req)] == ["good.pdf", "notes.txt"]
    assert len(blobs(app)) == 2  # the fake PDF left nothing behind


def test_upload_to_a_communication_of_the_request(login_as, world, session, app):
    req = world["requests"][("staff", "private")]
    other = world["requests"][("staff", "public")]
    comm = Communication(request_id=req.id, organization_id=req.organization_id, direction="incoming", kind="final_release", occurred_on=date(2026, 1, 10),
                         subject="Final release", created_at=NOW)
    foreign = Communication(request_id=other.id, organization_id=other.organization_id, direction="incoming", kind="note", occurred_on=date(2026, 1, 10),
                            subject="Other", created_at=NOW)
    session.add_all([comm, foreign])
    session.commit()
    client = login_as("staff")
    form = client.get(f"/requests/{req.ref}/documents/new").get_data(as_text=True)
    assert f'<option value="{comm.id}"' in form and f'<option value="{foreign.id}"' not in form

    bad = upload(client, req.ref, [(b"release text\n", "release.txt")], communication_id=str(foreign.id))
    assert bad.status_code == 400 and docs_of(session, req) == []

    ok = upload(client, req.ref, [(b"release text\n", "release.txt")], communication_id=str(comm.id))
    assert ok.status_code == 303
    [doc] = docs_of(session, req)
    assert doc.communication_id == comm.id
    page = client.get(f"/requests/{req.ref}").get_data(as_text=True)
    assert "Final release" in page and "release.txt" in page


# ---------------------------------------------------------------------------- bad input

def test_zero_byte_and_oversize_files_are_refused(login_as, world, session, app):
    client = login_as("staff")
    req = world["requests"][("staff", "private")]
    resp = upload(client, req.ref, [(b"", "empty.pdf")])
    assert resp.status_code == 400 and "The file is empty." in resp.get_data(as_text=True)

    saved = app.config["FOIA_MAX_UPLOAD_BYTES"]
    app.config["FOIA_MAX_UPLOAD_BYTES"] = 1000
    try:
        resp = upload(client, req.ref, [(b"x" * 1001, "big.txt"), (b"y" * 1000, "just-fits.txt")])
    finally:
        app.config["FOIA_MAX_UPLOAD_BYTES"] = saved
    body = resp.get_data(as_text=True)
    assert "<strong>big.txt</strong>: The file is larger than the 1000 bytes limit." in body
    assert [d.filename for d in docs_of(session, req)] == ["just-fits.txt"]
    assert len(blobs(app)) == 1


def test_request_body_over_max_content_length_gets_the_413_page(login_as, world, session, app):
    client = login_as("staff")
    req = world["requests"][("staff", "private")]
    token = csrf_token(client, f"/requests/{req.ref}/documents/new")
    saved = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    try:
        resp = client.post(f"/requests/{req.ref}/documents/new", content_type="multipart/form-data",
                           data={"csrf_token": token, "files": [(io.BytesIO(b"z" * 20_000), "big.txt")]})
    finally:
        app.config["MAX_CONTENT_LENGTH"] = saved
    assert resp.status_code == 413
    assert "Upload too large" in resp.get_data(as_text=True)
    assert docs_of(session, req) == []


def test_config_raises_max_content_length_with_the_upload_limit(tmp_path):
    from foia.config import load_config

    default = load_config(str(tmp_path), {"FOIA_SECRET_KEY": "k"})
    assert default["FOIA_MAX_UPLOAD_BYTES"] == 200 * 1024 * 1024
    assert default["MAX_CONTENT_LENGTH"] > default["FOIA_MAX_UPLOAD_BYTES"]
    small = load_config(str(tmp_path), {"FOIA_SECRET_KEY": "k", "FOIA_MAX_UPLOAD_BYTES": "1000"})
    assert small["FOIA_MAX_UPLOAD_BYTES"] == 1000 and small["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024


HOSTILE_NAMES = [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("a\\b.txt", "b.txt"),
    ("evil\x00.txt", "evil.txt"),
    ("\r\nX: y.txt", "X_ y.txt"),
]


def raw_upload(client, ref: str, content: bytes, filename: str):
    """POST a multipart body by hand, naming the file with RFC 2231 ``filename*`` so the server receives
    the exact characters (CR, LF, NUL, backslash) a hostile client can send."""
    from urllib.parse import quote

    token = csrf_token(client, f"/requests/{ref}/documents/new")
    boundary = "----foiatestboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; "
            f"filename*=UTF-8''{quote(filename, safe='')}\r\nContent-Type: application/octet-stream\r\n\r\n"
            ).encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return client.post(f"/requests/{ref}/documents/new", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


@pytest.mark.parametrize(("name", "stored_as"), HOSTILE_NAMES)
def test_hostile_file_names_are_stored_safely(login_as, world, session, app, adelanto_pdf, name, stored_as):
    client = login_as("staff")
    req = world["requests"][("staff", "private")]
    content = adelanto_pdf if name.endswith(".pdf") else b"some text\n"
    resp = raw_upload(client, req.ref, content, name)
    assert resp.status_code == 303, resp.get_data(as_text=True)
    [doc] = docs_of(session, req)
    assert doc.filename == stored_as
    dl = client.get(f"/documents/{doc.id}/download")
    assert dl.status_code == 200 and dl.data == content
    disposition = dl.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert not any(ch in disposition for ch in "\r\n\x00/\\")
    assert "X" not in dl.headers  # no header was injected
    assert list(Path(app.config["FOIA_STORAGE_DIR"]).rglob("passwd*")) == []  # stored by digest only


@pytest.mark.parametrize(("name", "stored_as"), HOSTILE_NAMES)
def test_service_cleans_hostile_names(session, world, app, adelanto_pdf, name, stored_as):
    req = world["requests"][("staff", "private")]
    content = adelanto_pdf if name.endswith(".pdf") else b"some text\n"
    doc = add_document(session, actor=None, now=NOW, req=req, stream=io.BytesIO(content), filename=name,
                       storage_root=blob_root(app.config), max_bytes=10**6)
    assert doc.filename == stored_as


def test_names_empty_after_cleaning_are_refused(session, world, app):
    req = world["requests"][("staff", "private")]
    for name in ("", "..", "../", "\x00\r\n"):
        with pytest.raises(ValidationError, match="no usable name"):
            add_document(session, actor=world["users"]["staff"], now=NOW, req=req, stream=io.BytesIO(b"abc"),
                         filename=name, storage_root=blob_root(app.config), max_bytes=1000)
    assert blobs(app) == []


def test_pdf_named_file_that_is_html_is_refused_and_leaves_nothing(login_as, world, session, app):
    client = login_as("staff")
    req = world["requests"][("staff", "private")]
    resp = upload(client, req.ref, [(HTML_PAGE, "report.pdf")])
    assert resp.status_code == 400
    assert "is not a PDF" in resp.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Document)) == 0
    assert session.scalar(select(func.count()).select_from(SearchEntry).where(SearchEntry.source_type == "document")) == 0
    assert blobs(app) == []
    # The service says the same, and leaves nothing either.
    with pytest.raises(ValidationError, match="is not a PDF"):
        add_document(session, actor=None, now=NOW, req=req, stream=io.BytesIO(HTML_PAGE), filename="x.pdf",
                     storage_root=blob_root(app.config), max_bytes=10_000)
    assert blobs(app) == []


def test_refusal_keeps_a_blob_another_document_uses(session, world, app):
    req = world["requests"][("staff", "private")]
    root = blob_root(app.config)
    add_document(session, actor=None, now=NOW, req=req, stream=io.BytesIO(HTML_PAGE), filename="page.html",
                 storage_root=root, max_bytes=10_000)
    session.commit()
    with pytest.raises(ValidationError, match="is not a PDF"):
        add_document(session, actor=None, now=NOW, req=req, stream=io.BytesIO(HTML_PAGE), filename="page.pdf",
                     storage_root=root, max_bytes=10_000)
    session.rollback()
    assert len(blobs(app)) == 1


def test_html_file_is_served_as_octet_stream_attachment(login_as, world, session, app):
    client = login_as("staff")
    req = world["requests"][("staff", "private")]
    assert upload(client, req.ref, [(HTML_PAGE, "page.html")]).status_code == 303
    [doc] = docs_of(session, req)
    assert doc.mime == "text/html"
    dl = client.get(f"/documents/{doc.id}/download")
    assert dl.status_code == 200 and dl.data == HTML_PAGE
    assert dl.headers["Content-Type"] == "application/octet-stream"
    assert dl.headers["Content-Disposition"].startswith("attachment")
    assert dl.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in dl.headers["Content-Security-Policy"]


# ---------------------------------------------------------------------------- who may do what

def test_upload_needs_an_editor_and_a_csrf_token(login_as, world, session, app):
    private = world["requests"][("staff", "private")]
    public = world["requests"][("staff", "public")]
    client = login_as("reporter")
    assert client.get(f"/requests/{private.ref}/documents/new").status_code == 404  # not visible
    assert client.get(f"/requests/{public.ref}/documents/new").status_code == 403  # visible, not editable
    own = world["requests"][("reporter", "private")]
    no_token = client.post(f"/requests/{own.ref}/documents/new", content_type="multipart/form-data",
                           data={"files": [(io.BytesIO(b"text\n"), "a.txt")]})
    assert no_token.status_code == 400
    assert docs_of(session, own) == []
    page = client.get(f"/requests/{public.ref}").get_data(as_text=True)
    assert "Upload documents" not in page


def test_download_follows_request_visibility(client, world, session, app, adelanto_pdf):
    from tests.conftest import login

    root = blob_root(app.config)
    private = world["requests"][("reporter", "private")]
    public = world["requests"][("reporter", "public")]
    secret = add_document(session, actor=None, now=NOW, req=private, stream=io.BytesIO(adelanto_pdf),
                          filename="secret.pdf", storage_root=root, max_bytes=10**6)
    open_doc = add_document(session, actor=None, now=NOW, req=public, stream=io.BytesIO(b"public notes\n"),
                            filename="public.txt", storage_root=root, max_bytes=10**6)
    session.commit()
    assert client.get(f"/documents/{secret.id}/download").status_code == 302  # sign in first
    login(client, world["users"]["outsider"].email)
    assert client.get(f"/documents/{secret.id}/download").status_code == 404
    assert client.get(f"/documents/{secret.id + open_doc.id + 100}/download").status_code == 404
    dl = client.get(f"/documents/{open_doc.id}/download")
    assert dl.status_code == 200 and dl.data == b"public notes\n"


# ---------------------------------------------------------------------------- big files, extraction later

def test_uploads_wait_for_the_extract_job(session, world, app, cli, adelanto_pdf):
    req = world["requests"][("staff", "private")]
    root = blob_root(app.config)
    doc = add_document(session, actor=None, now=NOW, req=req, stream=io.BytesIO(adelanto_pdf), filename="big.pdf",
                       storage_root=root, max_bytes=10**6)
    # A GIF has no text and is not OCR'd (PNG, JPEG and TIFF scans are: tests/documents/test_ocr.py).
    image = add_document(session, actor=None, now=NOW, req=req, stream=io.BytesIO(b"GIF89a" + b"0" * 50),
                         filename="logo.gif", storage_root=root, max_bytes=10**6)
    session.commit()
    assert (doc.text_status, image.text_status) == ("pending", "none")
    entry = session.scalar(select(SearchEntry).where(SearchEntry.source_type == "document",
                                                     SearchEntry.source_id == doc.id))
    assert entry.body == "" and entry.title == "big.pdf"
    result = cli.invoke(args=["foia", "documents", "extract"])
    assert result.exit_code == 0, result.output
    assert "Extracted text from 1 document(s); 0 not extracted" in result.output
    session.expire_all()
    assert session.get(Document, doc.id).text_status == "done"
    assert "Adelanto" in session.get(SearchEntry, entry.id).body
    assert session.scalar(select(func.count(Job.id)).where(Job.document_id == image.id)) == 0  # nothing to read
    assert run_queued(app, session) == JobPass()


def test_extract_job_marks_missing_blobs_failed(session, world, app):
    req = world["requests"][("staff", "private")]
    root = blob_root(app.config)
    doc = add_document(session, actor=None, now=NOW, req=req, stream=io.BytesIO(b"words\n"), filename="a.txt",
                       storage_root=root, max_bytes=1000)
    session.commit()
    for path in blobs(app):
        path.unlink()
    assert run_queued(app, session) == JobPass(failed=1)
    doc = session.get(Document, doc.id)
    assert (doc.text_status, doc.text_error) == ("failed", "the file is missing from storage")


# ---------------------------------------------------------------------------- CLI

def test_cli_attach_search_and_show_json(cli, world, session, app, tmp_path, adelanto_pdf):
    req = world["requests"][("reporter", "private")]
    pdf = tmp_path / "release.pdf"
    pdf.write_bytes(adelanto_pdf)
    txt = tmp_path / "memo.txt"
    txt.write_text("Memo about the Adelanto transfer schedule.\n")
    result = cli.invoke(args=["foia", "attach", req.ref, str(pdf), str(txt), "--kind", "final_release"])
    assert result.exit_code == 0, result.output
    assert "Attached release.pdf" in result.output and "text pending" in result.output
    assert "[kind: final_release]" in result.output
    extracted = cli.invoke(args=["foia", "documents", "extract"])
    assert extracted.exit_code == 0 and "Extracted text from 2 document(s)" in extracted.output, extracted.output

    shown = json.loads(cli.invoke(args=["foia", "show", req.ref, "--json"]).output)
    assert [(d["filename"], d["pages"], d["size"]) for d in shown["documents"]] == [
        ("release.pdf", 1, len(adelanto_pdf)), ("memo.txt", None, txt.stat().st_size)]
    assert shown["documents"][0]["sha256"] == __import__("hashlib").sha256(adelanto_pdf).hexdigest()
    assert [(d["text_status"], d["text_source"]) for d in shown["documents"]] == [("done", "embedded")] * 2

    found = json.loads(cli.invoke(args=["foia", "search", "adelanto", "--json"]).output)
    assert {m["document"] for m in found} == {"release.pdf", "memo.txt"}
    assert all(m["ref"] == req.ref and "[" in m["snippet"] for m in found)
    transfer = json.loads(cli.invoke(args=["foia", "search", "transfer schedule", "--json"]).output)
    assert [m["document"] for m in transfer] == ["memo.txt"]
    request_hit = json.loads(cli.invoke(args=["foia", "search", "thing", "--json"]).output)
    assert request_hit and all(m["document"] is None for m in request_hit)

    bad = tmp_path / "bad.pdf"
    bad.write_bytes(HTML_PAGE)
    refused = cli.invoke(args=["foia", "attach", req.ref, str(bad)])
    assert refused.exit_code == 2 and "is not a PDF" in refused.output
    missing = cli.invoke(args=["foia", "attach", "FT-2026-9999", str(txt)])
    assert missing.exit_code == 1


def test_the_schedulers_job_runner_extracts_text_apart_from_the_sweep(app, world, session):
    """Files are stored at upload with text_status 'pending'; the scheduler's background-jobs job (not the
    reminder sweep) extracts their text so they become searchable."""
    import io

    import weasyprint

    from foia.core.paths import blob_root
    from foia.documents.service import add_document
    from foia.scheduler import background_jobs, sweep
    from foia.search.service import search
    from tests.conftest import NOW

    req = world["requests"][("staff", "private")]
    pdf = weasyprint.HTML(string="<p>Quillfeather transfer ledger</p>").write_pdf()
    doc = add_document(session, actor=world["users"]["staff"], now=NOW, req=req, stream=io.BytesIO(pdf),
                       filename="big.pdf", storage_root=blob_root(app.config), max_bytes=10_000_000)
    session.commit()
    assert doc.text_status == "pending"
    assert not search(session, world["users"]["staff"], "Quillfeather")
    app.config["FOIA_SMTP_URL"] = None
    sweep(app)  # the reminder sweep no longer extracts anything: a hostile file cannot hold it up
    session.expire_all()
    assert session.get(type(doc), doc.id).text_status == "pending"
    assert background_jobs(app) == JobPass(done=1)
    session.expire_all()
    assert session.get(type(doc), doc.id).text_status == "done"
    assert any(h.ref == req.ref for h in search(session, world["users"]["staff"], "Quillfeather"))
