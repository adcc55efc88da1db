"""Hostile files (security review M5): text extraction runs as a background job, in a child process limited
in CPU time, memory, pages, output and wall time, with no database transaction open; a file that hits a
limit is kept and shown as "Text not extracted (limit)"; jobs are claimed like reminders and shown to
administrators, who can retry them."""

from __future__ import annotations

import io
import shutil
import time
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
import weasyprint
from sqlalchemy import func, select, update

from foia.core.clock import utcnow
from foia.core.paths import blob_root
from foia.documents import jobs as jobs_module
from foia.documents.jobs import (
    MAX_ATTEMPTS,
    JobPass,
    database_now,
    job_settings,
    run_jobs,
    run_one,
)
from foia.documents.sandbox import ExtractionLimits, extract_in_sandbox
from foia.documents.service import add_document
from foia.extensions import db
from foia.models import AuditLog, Document, Job, SearchEntry
from tests.conftest import NOW, csrf_token

PDFTOTEXT = shutil.which("pdftotext") or ""


def tool(name: str) -> str:
    """The extractor to test: "" for pypdfium2 in the child, "pdftotext" for poppler's. A missing pdftotext fails the test (as a
    missing Dovecot fails the mail tests): production uses it, so its limits must be tested, not skipped."""
    if name and not PDFTOTEXT:
        pytest.fail("pdftotext is not installed: these tests read PDFs with poppler's pdftotext "
                    "(apt-get install poppler-utils; .ci/run does it)")
    return PDFTOTEXT if name else ""


EXTRACTORS = [pytest.param("pdftotext", id="pdftotext"), pytest.param("", id="pdfium")]
PDF = "application/pdf"


def content_stream_bomb(pages: int = 6, megabytes: int = 8) -> bytes:
    """The review's M5 file: a few KB of PDF whose pages all share one FlateDecode content stream of
    ``megabytes`` MB of ``q Q`` operators (after one line of text, so extractors must parse it)."""
    ops = b"BT /F1 12 Tf 72 700 Td (bomb) Tj ET " + b"q Q " * (megabytes * (1 << 20) // 4)
    stream = zlib.compress(ops, 9)
    font = 4 + pages
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % (4 + i) for i in range(pages)), pages),
               b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(stream), stream)]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R "
                b"/Resources << /Font << /F1 %d 0 R >> >> >>" % font] * pages
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return content_stream_bomb()


@pytest.fixture(scope="module")
def big_bomb() -> bytes:
    """Eight times the review's bomb: enough to keep PDFium, which reads the 8 MB one in a second, busy."""
    return content_stream_bomb(megabytes=64)


@pytest.fixture(scope="module")
def two_pages() -> bytes:
    return weasyprint.HTML(string="<p>Detainees were moved to Adelanto</p>"
                                  "<p style='page-break-before: always'>Quillfeather ledger</p>").write_pdf()


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------------------- the sandbox itself


def test_the_bomb_is_small(bomb):
    assert len(bomb) < 12_000  # 9-10 KB on disk for 48 MB of operators to parse


@pytest.mark.parametrize("pdftotext", EXTRACTORS)
def test_an_ordinary_pdf_gives_its_text_and_pages(tmp_path, two_pages, pdftotext):
    result = extract_in_sandbox(write(tmp_path, "a.pdf", two_pages), PDF, ExtractionLimits(pdftotext=tool(pdftotext)))
    assert result.error == ""
    assert result.pages == 2
    first, second = result.text.split("\f")
    assert "Detainees were moved to Adelanto" in first and "Quillfeather ledger" in second


def test_the_bomb_hits_the_cpu_limit_in_pdftotext(tmp_path, bomb):
    started = time.monotonic()
    result = extract_in_sandbox(write(tmp_path, "bomb.pdf", bomb), PDF,
                                ExtractionLimits(cpu_seconds=1, pdftotext=tool("pdftotext")))
    assert (result.error, result.text) == ("CPU time limit", "")
    assert result.pages == 6  # counted before pdftotext started
    assert time.monotonic() - started < 10


def test_pdfium_reads_the_review_bomb_within_the_limits(tmp_path, bomb):
    """pypdf needed ~750 MB and minutes for this file; PDFium (the default in the child) reads its six words."""
    result = extract_in_sandbox(write(tmp_path, "bomb.pdf", bomb), PDF,
                                ExtractionLimits(cpu_seconds=20, memory_bytes=400 << 20, pdftotext=""))
    assert (result.error, result.pages) == ("", 6)
    assert result.text.split("\f") == ["bomb"] * 6


@pytest.mark.parametrize("engine", ["pdfium", "pypdf"])
def test_the_bomb_hits_the_cpu_limit_in_the_child(tmp_path, bomb, big_bomb, engine):
    started = time.monotonic()
    data, cpu = (big_bomb, 1) if engine == "pdfium" else (bomb, 2)
    result = extract_in_sandbox(write(tmp_path, "bomb.pdf", data), PDF,
                                ExtractionLimits(cpu_seconds=cpu, pdftotext="", engine=engine))
    assert (result.error, result.text, result.pages) == ("CPU time limit", "", 6)
    assert time.monotonic() - started < 15


@pytest.mark.parametrize("engine", ["pdfium", "pypdf"])
def test_the_bomb_hits_the_memory_limit_in_the_child(tmp_path, bomb, big_bomb, engine):
    # pypdf needs ~750 MB to parse one 8 MB page; PDFium more than 150 MB for a 64 MB one.
    data, memory = (big_bomb, 150 << 20) if engine == "pdfium" else (bomb, 300 << 20)
    result = extract_in_sandbox(write(tmp_path, "bomb.pdf", data), PDF,
                                ExtractionLimits(memory_bytes=memory, pdftotext="", engine=engine))
    assert (result.error, result.text) == ("memory limit", "")


def test_the_wall_clock_limit_stops_a_child_that_is_still_working(tmp_path, big_bomb):
    started = time.monotonic()
    result = extract_in_sandbox(write(tmp_path, "bomb.pdf", big_bomb), PDF,
                                ExtractionLimits(wall_seconds=1, pdftotext=""))
    assert result.error == "time limit"
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("pdftotext", EXTRACTORS)
def test_too_many_pages_are_not_read_at_all(tmp_path, bomb, pdftotext):
    started = time.monotonic()
    result = extract_in_sandbox(write(tmp_path, "bomb.pdf", bomb), PDF,
                                ExtractionLimits(max_pages=5, pdftotext=tool(pdftotext)))
    assert (result.error, result.pages) == ("page limit: more than 5 pages", 6)
    assert time.monotonic() - started < 3


def test_output_over_the_cap_is_refused(tmp_path):
    path = write(tmp_path, "big.txt", b"words " * 20_000)
    assert extract_in_sandbox(path, "text/plain", ExtractionLimits(max_output_bytes=1 << 20)).error == ""
    result = extract_in_sandbox(path, "text/plain", ExtractionLimits(max_output_bytes=50_000))
    assert (result.error, result.text) == ("output size limit", "")


def test_damaged_files_are_not_a_limit(tmp_path):
    for pdftotext in (tool("pdftotext"), ""):
        result = extract_in_sandbox(write(tmp_path, "junk.pdf", b"%PDF-1.4\n" + b"\x00garbage" * 500), PDF,
                                    ExtractionLimits(pdftotext=pdftotext))
        assert (result.error, result.text) == ("", "")
    result = extract_in_sandbox(write(tmp_path, "junk.pdf", b"%PDF-1.4\n"), PDF, ExtractionLimits(pdftotext=""))
    assert (result.error, result.text) == ("", "")


def test_other_types_are_read_in_the_child_too(tmp_path):
    path = write(tmp_path, "m.eml", b"From: a@agency.example\r\nSubject: Adelanto roster\r\n\r\nThe roster.\r\n")
    result = extract_in_sandbox(path, "message/rfc822")
    assert result.error == "" and "Subject: Adelanto roster" in result.text and "The roster." in result.text


# ---------------------------------------------------------------------------- the job: upload, run, show


@pytest.fixture
def tight(app, monkeypatch):
    """Limits a test can hit quickly."""
    monkeypatch.setitem(app.config, "FOIA_EXTRACT_CPU_SECONDS", 1)
    monkeypatch.setitem(app.config, "FOIA_EXTRACT_WALL_SECONDS", 20)
    monkeypatch.setitem(app.config, "FOIA_OCR", False)  # the bomb's one word would queue OCR of its pages
    return app


def test_uploading_the_bomb_answers_at_once_and_the_job_marks_it_failed(tight, login_as, world, session, bomb):
    client = login_as("reporter")
    req = world["requests"][("reporter", "private")]
    token = csrf_token(client, f"/requests/{req.ref}/documents/new")
    started = time.monotonic()
    resp = client.post(f"/requests/{req.ref}/documents/new", content_type="multipart/form-data",
                       data={"csrf_token": token, "files": [(io.BytesIO(bomb), "bomb.pdf")]})
    assert resp.status_code == 303
    assert time.monotonic() - started < 3  # nothing is parsed in the request
    doc = session.scalar(select(Document).where(Document.request_id == req.id))
    assert (doc.text_status, doc.pages) == ("pending", None)
    assert "Text not searchable yet" in client.get(f"/requests/{req.ref}").get_data(as_text=True)

    started = time.monotonic()
    assert run_jobs(session, now=utcnow(), settings=job_settings(tight.config)) == JobPass(failed=1)
    assert time.monotonic() - started < 15
    session.expire_all()
    doc = session.get(Document, doc.id)
    assert (doc.text_status, doc.text_error, doc.pages) == ("failed", "CPU time limit", 6)
    job = session.scalar(select(Job).where(Job.document_id == doc.id))
    assert (job.status, job.last_error, job.claim_token) == ("failed", "CPU time limit", None)
    # The file is kept and still downloads; the list says why it is not searchable.
    page = client.get(f"/requests/{req.ref}").get_data(as_text=True)
    assert "bomb.pdf" in page and "Text not extracted (CPU time limit)" in page
    assert client.get(f"/documents/{doc.id}/download").data == bomb
    # A reporter cannot see the jobs page.
    assert client.get("/admin/jobs").status_code == 403


def test_admins_see_failed_jobs_with_reasons_and_retry_them(tight, client, login_as, world, session, bomb):
    req = world["requests"][("staff", "private")]
    doc = add_document(session, actor=None, now=NOW, req=req, stream=io.BytesIO(bomb), filename="bomb.pdf",
                       storage_root=blob_root(tight.config), max_bytes=10**6)
    waiting = add_document(session, actor=None, now=NOW, req=req, stream=io.BytesIO(b"later\n"), filename="w.txt",
                           storage_root=blob_root(tight.config), max_bytes=10**6)
    session.commit()
    session.execute(update(Job).where(Job.document_id == waiting.id).values(run_after=utcnow() + timedelta(hours=1)))
    session.commit()
    assert run_jobs(session, now=utcnow(), settings=job_settings(tight.config)) == JobPass(failed=1)

    admin = login_as("admin")
    page = admin.get("/admin/jobs").get_data(as_text=True)
    assert "Text not extracted (CPU time limit)" in page and "bomb.pdf" in page
    assert "w.txt" in page and "Queued, next try" in page
    assert "Queued: 1 · running: 0 · done: 0 · failed: 1" in page
    job = session.scalar(select(Job).where(Job.document_id == doc.id))
    token = csrf_token(admin, "/admin/jobs")
    assert admin.post(f"/admin/jobs/{job.id}/retry").status_code == 400  # no CSRF token
    resp = admin.post(f"/admin/jobs/{job.id}/retry", data={"csrf_token": token})
    assert resp.status_code == 302
    session.expire_all()
    job = session.get(Job, job.id)
    assert (job.status, job.attempts, job.last_error) == ("queued", 0, "")
    assert (session.get(Document, doc.id).text_status, session.get(Document, doc.id).text_error) == ("pending", "")
    assert session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "job:retry")) == 1
    assert admin.post(f"/admin/jobs/{job.id}/retry", data={"csrf_token": token}).status_code == 302  # not failed:
    assert "Only a failed job can be retried." in admin.get("/admin/jobs").get_data(as_text=True)
    assert admin.post("/admin/jobs/99999999999999/retry", data={"csrf_token": token}).status_code == 404

    staff = client
    staff.post("/logout", data={"csrf_token": token})
    # With room to work, the retried job extracts the (harmless) text.
    tight.config["FOIA_EXTRACT_CPU_SECONDS"] = 60
    tight.config["FOIA_EXTRACT_WALL_SECONDS"] = 120  # pdftotext needs 5 CPU seconds for it, more on a busy machine
    assert run_jobs(session, now=utcnow(), settings=job_settings(tight.config)) == JobPass(done=1)
    session.expire_all()
    doc = session.get(Document, doc.id)
    assert (doc.text_status, doc.pages) == ("done", 6)
    entry = session.scalar(select(SearchEntry).where(SearchEntry.source_type == "document",
                                                     SearchEntry.source_id == doc.id))
    assert "bomb" in entry.body


def test_staff_cannot_see_or_retry_jobs(login_as, world):
    staff = login_as("staff")
    assert staff.get("/admin/jobs").status_code == 403
    assert staff.post("/admin/jobs/1/retry", data={"csrf_token": csrf_token(staff, "/dashboard")}).status_code == 403


# ---------------------------------------------------------------------------- claims, transactions


def _queue_text(app, session, world, name: str = "a.txt", body: bytes = b"Adelanto roster\n") -> Document:
    doc = add_document(session, actor=None, now=NOW, req=world["requests"][("staff", "private")],
                       stream=io.BytesIO(body), filename=name, storage_root=blob_root(app.config), max_bytes=10**6)
    session.commit()
    return doc


def test_no_transaction_is_open_while_the_child_runs(app, world, session, monkeypatch):
    doc = _queue_text(app, session, world)
    seen = []
    real = jobs_module.extract_in_sandbox

    def watching(path, mime, limits):
        seen.append(db.session().in_transaction())
        # Another writer can commit meanwhile (on SQLite: nobody holds the write lock).
        with db.engine.connect() as other:
            other.execute(update(Document).where(Document.id == doc.id).values(filename="renamed.txt"))
            other.commit()
        return real(path, mime, limits)

    monkeypatch.setattr(jobs_module, "extract_in_sandbox", watching)
    assert run_jobs(session, now=utcnow(), settings=job_settings(app.config)) == JobPass(done=1)
    assert seen == [False]
    session.expire_all()
    assert (session.get(Document, doc.id).filename, session.get(Document, doc.id).text_status) == ("renamed.txt", "done")


def test_a_claimed_job_is_not_run_twice_even_by_a_runner_whose_clock_is_ahead(app, world, session, monkeypatch):
    doc = _queue_text(app, session, world)
    settings = job_settings(app.config)
    inner: list[str | None] = []

    def second_runner(path, mime, limits):
        # While the first runner's child works, a second runner (clock two hours ahead) finds nothing to do:
        # the lease is compared against the database's clock, not the runner's.
        inner.append(run_one(db.session(), now=utcnow() + timedelta(hours=2), settings=settings))
        return extract_in_sandbox(path, mime, limits)

    monkeypatch.setattr(jobs_module, "extract_in_sandbox", second_runner)
    assert run_one(session, now=utcnow(), settings=settings) == "done"
    assert inner == [None]
    session.expire_all()
    assert session.get(Document, doc.id).text_status == "done"
    assert session.scalar(select(Job.attempts).where(Job.document_id == doc.id)) == 1


def test_an_expired_lease_is_taken_over_and_the_late_runner_writes_nothing(app, world, session, monkeypatch):
    doc = _queue_text(app, session, world)
    settings = job_settings(app.config)
    takeovers: list[str | None] = []

    def slow_runner(path, mime, limits):
        # This runner's lease runs out (on the database's clock) while it works; another takes the job over.
        db.session().execute(update(Job).where(Job.document_id == doc.id)
                             .values(claimed_until=database_now(db.session()) - timedelta(seconds=1)))
        db.session().commit()
        monkeypatch.setattr(jobs_module, "extract_in_sandbox", extract_in_sandbox)
        takeovers.append(run_one(db.session(), now=utcnow(), settings=settings))
        return extract_in_sandbox(path, mime, limits)

    monkeypatch.setattr(jobs_module, "extract_in_sandbox", slow_runner)
    assert run_one(session, now=utcnow(), settings=settings) == "lost"
    assert takeovers == ["done"]
    session.expire_all()
    job = session.scalar(select(Job).where(Job.document_id == doc.id))
    assert (job.status, job.attempts) == ("done", 2)


def test_a_job_whose_runners_keep_dying_gives_up(app, world, session):
    doc = _queue_text(app, session, world)
    session.execute(update(Job).where(Job.document_id == doc.id).values(
        status="running", attempts=MAX_ATTEMPTS, claim_token="dead", claimed_until=NOW))
    session.commit()
    assert run_jobs(session, now=utcnow(), settings=job_settings(app.config)) == JobPass(failed=1)
    session.expire_all()
    assert session.get(Document, doc.id).text_error == f"gave up after {MAX_ATTEMPTS} attempts that never finished"


def test_an_extractor_that_cannot_start_is_retried_later(app, world, session, monkeypatch):
    doc = _queue_text(app, session, world)

    def broken(path, mime, limits):
        raise OSError("no such interpreter")

    monkeypatch.setattr(jobs_module, "extract_in_sandbox", broken)
    assert run_jobs(session, now=utcnow(), settings=job_settings(app.config)) == JobPass(retrying=1)
    session.expire_all()
    job = session.scalar(select(Job).where(Job.document_id == doc.id))
    assert job.status == "queued" and "no such interpreter" in job.last_error and job.run_after > utcnow()
    assert session.get(Document, doc.id).text_status == "pending"
    assert run_jobs(session, now=utcnow(), settings=job_settings(app.config)) == JobPass()  # not due yet


def test_documents_pending_from_before_jobs_get_a_job(app, world, session):
    doc = _queue_text(app, session, world)
    session.execute(Job.__table__.delete())
    session.commit()
    assert run_jobs(session, now=utcnow(), settings=job_settings(app.config)) == JobPass(done=1)
    session.expire_all()
    assert session.get(Document, doc.id).text_status == "done"


def test_the_cli_runs_a_pass_and_fails_when_a_file_hit_a_limit(tight, cli, world, session, bomb):
    _queue_text(tight, session, world)
    add_document(session, actor=None, now=NOW, req=world["requests"][("staff", "private")], stream=io.BytesIO(bomb),
                 filename="bomb.pdf", storage_root=blob_root(tight.config), max_bytes=10**6)
    session.commit()
    result = cli.invoke(args=["foia", "documents", "extract"])
    assert result.exit_code == 1
    assert "Extracted text from 1 document(s); 1 not extracted" in result.output


def test_the_scheduler_runs_jobs_as_a_job_of_their_own(app, monkeypatch):
    """Extraction is not a step of the reminder sweep: a hostile file can never make a sweep wait."""
    import foia.scheduler as scheduler_module

    started = {}

    def fake_start(self):
        started.update({job.id: job for job in self.get_jobs()})

    monkeypatch.setattr(scheduler_module.BlockingScheduler, "start", fake_start)
    monkeypatch.setattr(scheduler_module.signal, "signal", lambda *args: None)
    monkeypatch.setattr(scheduler_module.logging, "basicConfig", lambda **kwargs: None)
    scheduler_module.run_scheduler(app, interval=60)
    assert started["background-jobs"].func is scheduler_module.background_jobs
    assert started["reminder-sweep"].func is scheduler_module.sweep
