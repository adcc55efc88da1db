"""OCR of scanned releases (issue 18): a PDF page with no text layer, or a PNG/JPEG/TIFF scan, is read by
ocrmypdf (Tesseract) in a limited background job and found by search; each document says where its text
came from (embedded / OCR / none). Text PDFs are read by pypdfium2 in the sandboxed child. Nothing is read
in the upload request. Tesseract missing fails the job with the install line (and fails these tests, which
need it, with the same hint: they are never skipped)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
import weasyprint
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader, PdfWriter
from sqlalchemy import select, text

from foia.core.clock import utcnow
from foia.documents import jobs as jobs_module
from foia.documents import sandbox as sandbox_module
from foia.documents.extract import check_declared, sniff, sparse_pages
from foia.documents.jobs import OCR, JobPass, job_settings, run_jobs
from foia.documents.sandbox import OCR_MISSING, OcrLimits, ocr_in_sandbox
from foia.models import Document, Job, SearchEntry
from foia.search.service import search
from tests.conftest import csrf_token

INSTALL_HINT = "apt-get install tesseract-ocr tesseract-ocr-eng ghostscript"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
SCAN_WORD = "Zanzibarite"  # on the scanned page only, in no text layer


@pytest.fixture(scope="module", autouse=True)
def tesseract_installed():
    """These tests need the real OCR tools: a missing one fails them with the install line (never a skip)."""
    missing = [tool for tool in ("tesseract", "gs") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not installed: OCR needs tesseract-ocr: {INSTALL_HINT} (.ci/run does it)")


def page_image(*lines: str) -> Image.Image:
    """A letter-width strip of a page scanned at 300 dpi: black 40 px text on white, no text layer anywhere."""
    font = ImageFont.truetype(str(DEJAVU), 40) if DEJAVU.is_file() else ImageFont.load_default(size=40)
    image = Image.new("L", (2550, 200 + 110 * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((150, 120 + 110 * i), line, font=font, fill=0)
    return image


@pytest.fixture(scope="module")
def scan_png() -> bytes:
    out = io.BytesIO()
    page_image(f"{SCAN_WORD} detention roster", "Released under the Freedom of Information Act").save(
        out, format="PNG", dpi=(300, 300))
    return out.getvalue()


@pytest.fixture(scope="module")
def mixed_pdf() -> bytes:
    """Page 1 has a text layer (a cover letter); page 2 is a scan with none: only page 2 needs OCR."""
    cover = weasyprint.HTML(string="<p>Cover letter: the Quillfeather records you asked for are enclosed.</p>"
                                   "<p>Sincerely, the FOIA office of the agency.</p>").write_pdf()
    scanned = io.BytesIO()
    page_image(f"{SCAN_WORD} detention roster", "Transfers to the Adelanto facility").save(
        scanned, format="PDF", resolution=300)
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(cover)))
    writer.append(PdfReader(io.BytesIO(scanned.getvalue())))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def upload(client, ref: str, files: list[tuple[bytes, str]]):
    token = csrf_token(client, f"/requests/{ref}/documents/new")
    return client.post(f"/requests/{ref}/documents/new", content_type="multipart/form-data",
                       data={"csrf_token": token, "files": [(io.BytesIO(data), name) for data, name in files]})


def run_queued(app, session) -> JobPass:
    result = run_jobs(session, now=utcnow(), settings=job_settings(app.config))
    session.expire_all()
    return result


def doc_named(session, name: str) -> Document:
    session.expire_all()
    return session.scalars(select(Document).where(Document.filename == name)).one()


def body_of(session, doc: Document) -> str:
    return session.scalar(select(SearchEntry.body).where(SearchEntry.source_type == "document",
                                                          SearchEntry.source_id == doc.id)) or ""


# ---------------------------------------------------------------------------- the whole flow


def test_a_scanned_release_is_found_by_a_word_on_its_page(app, login_as, world, session, mixed_pdf, scan_png):
    client = login_as("staff")
    staff = world["users"]["staff"]
    req = world["requests"][("staff", "private")]
    resp = upload(client, req.ref, [(mixed_pdf, "ice-release-scanned.pdf"), (scan_png, "roster-scan.png")])
    assert resp.status_code == 303, resp.get_data(as_text=True)
    pdf, png = doc_named(session, "ice-release-scanned.pdf"), doc_named(session, "roster-scan.png")
    assert [(d.text_status, d.text_source) for d in (pdf, png)] == [("pending", "none")] * 2
    assert search(session, staff, SCAN_WORD) == []

    # One pass, as the scheduler runs it: both extractions first, then the two OCR jobs they queued.
    assert run_queued(app, session) == JobPass(done=4)
    jobs = session.execute(select(Job.document_id, Job.kind, Job.payload, Job.status).order_by(Job.id)).all()
    assert [(j.kind, j.status) for j in jobs] == [("extract_text", "done")] * 2 + [(OCR, "done")] * 2
    assert {j.document_id: j.payload for j in jobs if j.kind == OCR} == {pdf.id: {"pages": [2]}, png.id: {}}

    pdf, png = doc_named(session, "ice-release-scanned.pdf"), doc_named(session, "roster-scan.png")
    assert (pdf.text_status, pdf.text_source, pdf.pages) == ("done", "ocr", 2)
    assert (png.text_status, png.text_source) == ("done", "ocr")
    body = body_of(session, pdf)
    assert "Quillfeather" in body and SCAN_WORD in body and "Adelanto" in body  # embedded page 1 + OCR of page 2
    assert SCAN_WORD in body_of(session, png)

    # Search finds both by the word that exists only as pixels, in the app's search page too.
    assert sorted(h.filename for h in search(session, staff, SCAN_WORD.lower())) == [
        "ice-release-scanned.pdf", "roster-scan.png"]
    results = client.get(f"/search?q={SCAN_WORD}").get_data(as_text=True)
    assert "ice-release-scanned.pdf" in results and "roster-scan.png" in results
    # Someone who cannot see the request does not find it.
    assert search(session, world["users"]["outsider"], SCAN_WORD) == []

    # The request page says where each document's text came from, in words.
    page = client.get(f"/requests/{req.ref}").get_data(as_text=True)
    assert page.count("OCR (read from the scan)") == 2 and "Text source" in page


def test_a_text_pdf_is_read_by_pdfium_and_is_embedded(app, login_as, world, session, monkeypatch):
    monkeypatch.setitem(app.config, "FOIA_PDFTOTEXT", "")  # pypdfium2 in the child, even where poppler is installed
    seen: list[str] = []
    real = sandbox_module._run_child

    def watching(job, env, **kwargs):
        seen.append(f"{job['mode']}:{job['engine']}:{job['pdftotext']}")
        return real(job, env, **kwargs)

    monkeypatch.setattr(sandbox_module, "_run_child", watching)
    client = login_as("staff")
    req = world["requests"][("staff", "private")]
    memo = weasyprint.HTML(string="<p>The Marigoldshire memo on detention transfers.</p>"
                                  "<p style='page-break-before: always'>Second page of the memo.</p>").write_pdf()
    assert upload(client, req.ref, [(memo, "memo.pdf")]).status_code == 303
    assert run_queued(app, session) == JobPass(done=1)  # text on every page: no OCR job
    assert seen == ["text:pdfium:"]
    doc = doc_named(session, "memo.pdf")
    assert (doc.text_status, doc.text_source, doc.pages) == ("done", "embedded", 2)
    assert session.scalar(select(Job.kind).where(Job.document_id == doc.id, Job.kind == OCR)) is None
    assert [h.filename for h in search(session, world["users"]["staff"], "Marigoldshire")] == ["memo.pdf"]
    assert "Embedded text" in client.get(f"/requests/{req.ref}").get_data(as_text=True)


def test_the_upload_request_reads_nothing(app, login_as, world, session, monkeypatch, mixed_pdf, scan_png):
    started: list[str] = []
    monkeypatch.setattr(sandbox_module.subprocess, "Popen", lambda *a, **k: started.append("child") or 1 / 0)
    monkeypatch.setattr(jobs_module, "extract_in_sandbox", lambda *a, **k: started.append("extract") or 1 / 0)
    monkeypatch.setattr(jobs_module, "ocr_in_sandbox", lambda *a, **k: started.append("ocr") or 1 / 0)
    client = login_as("staff")
    req = world["requests"][("staff", "private")]
    assert upload(client, req.ref, [(mixed_pdf, "a.pdf"), (scan_png, "b.png")]).status_code == 303
    assert started == []
    session.expire_all()
    docs = session.scalars(select(Document).where(Document.request_id == req.id)).all()
    assert sorted((d.filename, d.text_status, d.pages) for d in docs) == [("a.pdf", "pending", None),
                                                                         ("b.png", "pending", None)]
    assert session.execute(select(Job.kind, Job.status)).all() == [("extract_text", "queued")] * 2
    page = client.get(f"/requests/{req.ref}").get_data(as_text=True)
    assert page.count("Text not searchable yet") == 2


# ---------------------------------------------------------------------------- failures, settings


def test_without_tesseract_the_job_records_how_to_install_it(app, login_as, world, session, monkeypatch, scan_png):
    monkeypatch.setitem(app.config, "FOIA_TESSERACT", "/nonexistent/bin/tesseract")
    client = login_as("staff")
    req = world["requests"][("staff", "private")]
    assert upload(client, req.ref, [(scan_png, "scan.png")]).status_code == 303
    assert run_queued(app, session) == JobPass(done=1, failed=1)
    doc = doc_named(session, "scan.png")
    assert (doc.text_status, doc.text_source, doc.text_error) == ("failed", "none", OCR_MISSING)
    assert f"OCR needs tesseract-ocr: {INSTALL_HINT}" == OCR_MISSING
    job = session.scalar(select(Job).where(Job.document_id == doc.id, Job.kind == OCR))
    assert (job.status, job.last_error) == ("failed", OCR_MISSING)
    assert f"Text not extracted ({OCR_MISSING})" in client.get(f"/requests/{req.ref}").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")})
    admin = login_as("admin")
    jobs_page = admin.get("/admin/jobs").get_data(as_text=True)
    assert f"{job.id} (OCR)" in jobs_page and OCR_MISSING in jobs_page

    # Installed again (the real one), a retry reads it.
    monkeypatch.delitem(app.config, "FOIA_TESSERACT")
    token = csrf_token(admin, "/admin/jobs")
    assert admin.post(f"/admin/jobs/{job.id}/retry", data={"csrf_token": token}).status_code == 302
    doc = doc_named(session, "scan.png")
    assert (doc.text_status, doc.text_source) == ("pending", "ocr")
    assert "waiting for OCR" in admin.get(f"/requests/{req.ref}").get_data(as_text=True)
    assert run_queued(app, session) == JobPass(done=1)
    doc = doc_named(session, "scan.png")
    assert (doc.text_status, doc.text_source) == ("done", "ocr") and SCAN_WORD in body_of(session, doc)


def dense_scan_pdf() -> bytes:
    """A text page, then a full page of small scanned text: about 4 CPU seconds of Tesseract on a quiet machine,
    so a 1-second CPU limit stops it whatever the load (the short strips of `mixed_pdf` can fit in a second)."""
    cover = weasyprint.HTML(string="<p>Cover letter: the Quillfeather records you asked for are enclosed.</p>"
                                   "<p>Sincerely, the FOIA office of the agency.</p>").write_pdf()
    font = ImageFont.truetype(str(DEJAVU), 30) if DEJAVU.is_file() else ImageFont.load_default(size=30)
    image = Image.new("L", (2550, 3300), 255)
    draw = ImageDraw.Draw(image)
    for i in range(60):
        draw.text((100, 100 + 52 * i), f"{i} {SCAN_WORD} roster: transfers to the Adelanto facility, Victorville "
                                        f"and Lompoc records {i * 7}", font=font, fill=0)
    scanned = io.BytesIO()
    image.save(scanned, format="PDF", resolution=300)
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(cover)))
    writer.append(PdfReader(io.BytesIO(scanned.getvalue())))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_corrupt_scan_fails_safely_and_the_embedded_text_stays(app, world, session, login_as, monkeypatch):
    mixed_pdf = dense_scan_pdf()
    client = login_as("staff")
    req = world["requests"][("staff", "private")]
    broken = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\xff" * 400
    blank = weasyprint.HTML(string="<p>Pelicanburg cover letter with enough words to count as text.</p>"
                                   "<p style='page-break-before: always'></p>").write_pdf()
    # The broken image runs under the default limits: Tesseract refuses it, whatever the machine's load.
    assert upload(client, req.ref, [(broken, "broken.png")]).status_code == 303
    result = run_queued(app, session)
    assert (result.done, result.failed) == (1, 1)  # its extraction (no text layer), then its OCR, which fails
    png = doc_named(session, "broken.png")
    assert (png.text_status, png.text_source) == ("failed", "none") and png.text_error.startswith("OCR failed")
    assert upload(client, req.ref, [(mixed_pdf, "scanned.pdf"), (blank, "blank-page.pdf")]).status_code == 303
    monkeypatch.setitem(app.config, "FOIA_OCR_CPU_SECONDS", 1)  # too little for ocrmypdf to read a page
    result = run_queued(app, session)
    assert (result.done, result.failed) == (3, 1)  # two extractions and the blank page's OCR; the scan's OCR failed
    pdf = doc_named(session, "scanned.pdf")
    # The limit stops ocrmypdf itself ("CPU time limit") or the Tesseract it runs, which ocrmypdf then reports.
    assert (pdf.text_status, pdf.text_source) == ("failed", "embedded")
    assert pdf.text_error == "CPU time limit" or pdf.text_error.startswith("OCR failed (ocrmypdf exit"), pdf.text_error
    assert "Quillfeather" in body_of(session, pdf)  # what the text layer had stays searchable
    assert [h.filename for h in search(session, world["users"]["staff"], "Quillfeather")] == ["scanned.pdf"]
    # A blank page queues OCR, which finds no image on it and runs no Tesseract: the text is the embedded text.
    blank_doc = doc_named(session, "blank-page.pdf")
    assert (blank_doc.text_status, blank_doc.text_source) == ("done", "embedded")
    assert "Pelicanburg" in body_of(session, blank_doc)
    page = client.get(f"/requests/{req.ref}").get_data(as_text=True)
    assert f"Text not extracted ({pdf.text_error})" in page and "Embedded text only" in page


def test_ocr_can_be_turned_off(app, world, session, login_as, monkeypatch, scan_png):
    monkeypatch.setitem(app.config, "FOIA_OCR", False)
    client = login_as("staff")
    req = world["requests"][("staff", "private")]
    assert upload(client, req.ref, [(scan_png, "scan.png")]).status_code == 303
    assert run_queued(app, session) == JobPass(done=1)
    doc = doc_named(session, "scan.png")
    assert (doc.text_status, doc.text_source) == ("done", "none")
    assert session.scalar(select(Job.id).where(Job.kind == OCR)) is None
    assert "No text" in client.get(f"/requests/{req.ref}").get_data(as_text=True)


def test_ocr_in_the_sandbox_keeps_its_limits(tmp_path, scan_png):
    path = tmp_path / "scan.png"
    path.write_bytes(scan_png)
    assert SCAN_WORD in ocr_in_sandbox(path, "image/png").text
    assert ocr_in_sandbox(path, "image/png", limits=OcrLimits(wall_seconds=0.5)).error == "time limit"
    assert ocr_in_sandbox(path, "image/png", limits=OcrLimits(tesseract=str(tmp_path / "none"))).error == OCR_MISSING
    # The private temp directory is gone afterwards, even after a kill.
    assert not list(Path(sandbox_module.tempfile.gettempdir()).glob("foia-ocr-*"))


# ---------------------------------------------------------------------------- pieces


def test_tiff_scans_are_recognised_and_named_correctly(tmp_path):
    path = tmp_path / "scan.tif"
    page_image("TIFF").save(path, format="TIFF", dpi=(300, 300))
    assert sniff(path) == "image/tiff"
    assert check_declared(path, "scan.tiff") is None and check_declared(path, "scan.TIF") is None
    png = tmp_path / "x.png"
    page_image("PNG").save(png, format="PNG")
    assert check_declared(png, "scan.tif") == "The file is named .tif but is not a TIFF image."


def test_sparse_pages():
    words = "twenty-five characters of real text here"
    assert sparse_pages(f"{words}\f{words}", 2) == []
    assert sparse_pages(f"{words}\f  \n\fICE-2019-00012\f{words}", 4) == [2, 3]  # blank, and a Bates stamp
    assert sparse_pages(f"{words}", 3) == [2, 3]  # trailing empty pages are trimmed from the text
    assert sparse_pages("", 2) == [1, 2] and sparse_pages("", None) == [1]
    assert sparse_pages("", None, min_chars=1) == [1] and sparse_pages("ab", None, min_chars=2) == []


def test_the_migration_backfills_where_text_came_from(app, world, session):
    from flask_migrate import downgrade, upgrade

    req = world["requests"][("staff", "private")]
    for i, body in enumerate(["Adelanto roster", ""]):
        doc = Document(request_id=req.id, sha256=f"{i:064x}", filename=f"{i}.txt", size=1, mime="text/plain",
                       text_status="done", text_source="ocr", created_at=utcnow())
        session.add(doc)
        session.flush()
        session.add(SearchEntry(request_id=req.id, source_type="document", source_id=doc.id, title=doc.filename,
                                body=body))
    session.commit()
    session.close()
    downgrade(revision="0022_maintained_counts")
    upgrade()
    rows = session.execute(text("SELECT filename, text_source FROM documents ORDER BY filename")).all()
    assert [tuple(r) for r in rows] == [("0.txt", "embedded"), ("1.txt", "none")]


def test_an_ocr_job_holds_its_claim_longer_than_an_extraction(app, world, session, monkeypatch, scan_png):
    """A dead runner's extraction job is taken over after minutes, its OCR job only after the OCR time limit."""
    from foia.core.paths import blob_root
    from foia.documents.jobs import database_now
    from foia.documents.sandbox import Extraction
    from foia.documents.service import add_document
    from foia.extensions import db

    leases: dict[str, float] = {}

    def looking(*args, **kwargs):
        row = db.session().execute(select(Job.kind, Job.claimed_until).where(Job.status == "running")).one()
        leases[row.kind] = (row.claimed_until - database_now(db.session())).total_seconds()
        db.session().rollback()
        return Extraction(text="", pages=None, error="", seconds=0.0)

    monkeypatch.setattr(jobs_module, "extract_in_sandbox", looking)
    monkeypatch.setattr(jobs_module, "ocr_in_sandbox", looking)
    add_document(session, actor=None, now=utcnow(), req=world["requests"][("staff", "private")],
                 stream=io.BytesIO(scan_png), filename="scan.png", storage_root=blob_root(app.config), max_bytes=10**6)
    session.commit()
    assert run_queued(app, session) == JobPass(done=2)
    settings = job_settings(app.config)
    assert (settings.lease_seconds, settings.ocr_lease_seconds) == (300, 1860)
    assert settings.lease_seconds - 60 < leases["extract_text"] <= settings.lease_seconds
    assert settings.ocr_lease_seconds - 60 < leases[OCR] <= settings.ocr_lease_seconds
