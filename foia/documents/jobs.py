"""Background jobs (the ``jobs`` table): extracting a document's text and OCR, apart from the reminder sweep.

An upload stores the file and queues a job (``text_status`` "pending"); the scheduler's job runner
(`run_jobs`) and ``flask foia documents extract`` run them. Each job is claimed like a reminder:
one row at a time with a claim token and a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, a
conditional UPDATE on SQLite), the lease measured on the **database's** clock so a runner whose
clock is wrong cannot steal another's job. The extraction itself runs in a limited child process
(foia/documents/sandbox.py) with **no transaction open**; the text is indexed afterwards in one
short transaction, and only by the runner that still holds the claim.

A file that hits a limit (CPU time, memory, pages, output, wall time) is kept: its document is marked
``text_status="failed"`` with ``text_error`` = the limit, shown as "Text not extracted (CPU time
limit)", and the job is "failed" with the same reason on the admin Jobs page, where it can be retried.
Other errors (the extractor could not start) are retried with a growing wait, up to MAX_ATTEMPTS.

OCR (kind ``ocr``): when the text of a PDF has pages with (almost) no text (``sparse_pages``: scanned pages,
or only a stamped Bates number), its embedded text is indexed at once and an ``ocr`` job is queued for those
pages; an uploaded PNG, JPEG or TIFF image has no text of its own, so its extraction queues OCR of it. The job runs ocrmypdf (Tesseract) in
a limited child (foia/documents/sandbox.py, ``OcrLimits``) and adds the recognised text to the same search
entry. ``Document.text_source`` says where the text came from: "embedded", "ocr" or "none" ("ocr" while
pending means waiting for OCR). Extraction jobs are claimed before OCR jobs, so a long OCR never holds up
the text of the files uploaded after it by more than one job. Without Tesseract an OCR job fails with
``OCR_MISSING`` (the apt-get line that installs it), shown on the document and on the Jobs page.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, and_, case, func, literal, or_, select, update
from sqlalchemy.orm import Session

from foia.core.audit import audit
from foia.core.errors import ValidationError
from foia.core.text import index_text
from foia.documents.extract import OCR_IMAGES, sparse_pages
from foia.documents.sandbox import (
    Extraction,
    ExtractionLimits,
    OcrLimits,
    extract_in_sandbox,
    limits_from_config,
    ocr_in_sandbox,
    ocr_limits_from_config,
)
from foia.documents.stores import open_store
from foia.models import Job, Request, User
from foia.models.communication import Document, SearchEntry

__all__ = [
    "MAX_ATTEMPTS",
    "JobPass",
    "JobRow",
    "JobSettings",
    "database_now",
    "enqueue_extract",
    "enqueue_missing",
    "enqueue_ocr",
    "job_counts",
    "job_settings",
    "list_jobs",
    "retry_job",
    "run_jobs",
    "run_one",
]

log = logging.getLogger(__name__)

EXTRACT = "extract_text"
OCR = "ocr"
KINDS = (EXTRACT, OCR)
#: A page with fewer non-blank characters than this is OCR'd (a scanned page, or one with only a stamp on it).
OCR_MIN_CHARS = 20
_JOBS = Job.__table__
MAX_ATTEMPTS = 3
RETRY_WAITS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15))


@dataclass(frozen=True)
class JobSettings:
    storage_root: str | Path
    limits: ExtractionLimits = field(default_factory=ExtractionLimits)
    #: How long a claim holds; longer than the sandbox's wall-clock limit, so a live runner never loses it.
    lease_seconds: int = 300
    ocr: OcrLimits = field(default_factory=OcrLimits)
    #: The same for an OCR job (longer than the OCR wall-clock limit): a dead runner's extraction jobs are
    #: still taken over after minutes, not after the half hour an OCR may take.
    ocr_lease_seconds: int = 1860
    #: Queue OCR for pages without text (FOIA_OCR); off: such documents simply have less (or no) text.
    ocr_enabled: bool = True


def job_settings(config: Mapping[str, Any]) -> JobSettings:
    from foia.core.paths import blob_root

    limits = limits_from_config(config)
    ocr = ocr_limits_from_config(config)
    lease = int(config.get("FOIA_JOB_LEASE_SECONDS") or 300)
    return JobSettings(storage_root=blob_root(config), limits=limits, ocr=ocr,
                       ocr_enabled=bool(config.get("FOIA_OCR", True)),
                       lease_seconds=max(lease, int(limits.wall_seconds) + 60),
                       ocr_lease_seconds=max(lease, int(ocr.wall_seconds) + 60))


@dataclass
class JobPass:
    done: int = 0
    failed: int = 0
    retrying: int = 0
    lost: int = 0  # finished after another runner took the job over (nothing written)

    @property
    def ran(self) -> int:
        return self.done + self.failed + self.retrying + self.lost


def database_now(session: Session) -> datetime:
    """The database server's clock (UTC), which every runner's lease is compared against."""
    value = session.scalar(select(func.current_timestamp()))
    if isinstance(value, str):  # pragma: no cover - drivers that hand back text
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# --------------------------------------------------------------------------- queueing


def enqueue_extract(session: Session, doc: Document, now: datetime) -> Job:
    """Queue the extraction of ``doc``'s text (the caller commits, with the document). An image has none: its
    job queues OCR (when FOIA_OCR is on), as for a PDF's pages without text."""
    if doc.id is None:
        session.flush()
    job = Job(kind=EXTRACT, document_id=doc.id, payload={}, status="queued", attempts=0, run_after=now,
              created_at=now, last_error="")
    session.add(job)
    return job


def enqueue_ocr(session: Session, doc: Document, now: datetime, pages: list[int] | None = None) -> Job:
    """Queue OCR of ``pages`` (1-based; None: all) of ``doc``; its text is "pending", from "ocr"."""
    if doc.id is None:
        session.flush()
    doc.text_status, doc.text_source = "pending", "ocr"
    job = Job(kind=OCR, document_id=doc.id, payload={"pages": pages} if pages else {}, status="queued",
              attempts=0, run_after=now, created_at=now, last_error="")
    session.add(job)
    return job


def enqueue_missing(session: Session, now: datetime, limit: int = 1000) -> int:
    """Queue a job for every document still "pending" without one (documents uploaded before jobs existed)."""
    waiting = select(Job.id).where(Job.document_id == Document.id, Job.kind.in_(KINDS),
                                   Job.status.in_(("queued", "running"))).exists()
    docs = list(session.scalars(select(Document).where(Document.text_status == "pending", ~waiting)
                                .order_by(Document.id).limit(limit)))
    for doc in docs:
        if doc.text_source == "ocr":
            enqueue_ocr(session, doc, now)
        else:
            enqueue_extract(session, doc, now)
    if docs:
        session.flush()
    return len(docs)


# --------------------------------------------------------------------------- claiming and running


@dataclass(frozen=True)
class _Claimed:
    job_id: int
    token: str
    attempts: int
    document_id: int | None
    sha256: str | None
    mime: str | None
    kind: str = EXTRACT
    payload: dict[str, Any] = field(default_factory=dict)


def _claim(session: Session, now: datetime, lease_seconds: int, ocr_lease_seconds: int | None = None) -> _Claimed | None:
    """Claim one due job (queued and due at ``now``, or running with a lease expired on the database's
    clock) and commit at once. started_at and finished_at are the database's clock too: a pass shares one
    ``now``, so they would not show how long a job took."""
    token = secrets.token_hex(16)
    db_now = database_now(session)
    due = and_(Job.kind.in_(KINDS), or_(and_(Job.status == "queued", Job.run_after <= now),
                                        and_(Job.status == "running", Job.claimed_until < db_now)))
    # Text extraction first (seconds each), then OCR (minutes for a long scan).
    candidate = (select(Job.id).where(due).order_by(case((Job.kind == OCR, 1), else_=0), Job.run_after, Job.id)
                 .limit(1))
    until_type = _JOBS.c.claimed_until.type
    until = case((Job.kind == OCR, literal(db_now + timedelta(seconds=ocr_lease_seconds or lease_seconds), until_type)),
                 else_=literal(db_now + timedelta(seconds=lease_seconds), until_type))
    values = {"status": "running", "claim_token": token, "claimed_until": until,
              "started_at": db_now, "attempts": Job.attempts + 1}
    if session.get_bind().dialect.name == "postgresql":
        job_id = session.scalar(candidate.with_for_update(skip_locked=True))
        if job_id is None:
            session.commit()
            return None
        session.execute(update(Job).where(Job.id == job_id).values(**values)
                        .execution_options(synchronize_session=False))
    else:
        # SQLite has one writer at a time: the UPDATE re-checks every condition, so no job is claimed twice.
        result = cast(CursorResult[Any], session.execute(
            update(Job).where(Job.id.in_(candidate.scalar_subquery()), due).values(**values)
            .execution_options(synchronize_session=False)))
        if result.rowcount == 0:
            session.commit()
            return None
    session.commit()
    row = session.execute(select(Job.id, Job.attempts, Job.document_id, Document.sha256, Document.mime, Job.kind,
                                 Job.payload)
                          .outerjoin(Document, Document.id == Job.document_id)
                          .where(Job.claim_token == token)).one()
    session.commit()  # end the read: nothing is held while the file is parsed
    return _Claimed(job_id=row[0], token=token, attempts=row[1], document_id=row[2], sha256=row[3], mime=row[4],
                    kind=row[5], payload=dict(row[6] or {}))



def _release(session: Session, claimed: _Claimed, now: datetime, **values: Any) -> bool:
    """Record the job's outcome if this runner still holds its claim; False (and nothing written) if not."""
    result = session.connection().execute(
        _JOBS.update().where(_JOBS.c.id == claimed.job_id, _JOBS.c.claim_token == claimed.token)
        .values(claim_token=None, claimed_until=None, **values))
    if result.rowcount != 1:
        session.rollback()
        log.warning("job %s: claim lost to another runner; its result is discarded", claimed.job_id)
        return False
    return True


def _entry(session: Session, doc: Document) -> SearchEntry | None:
    return session.scalar(select(SearchEntry).where(SearchEntry.source_type == "document",
                                                    SearchEntry.source_id == doc.id))


def _index(session: Session, doc: Document, text: str) -> None:
    entry = _entry(session, doc)
    if entry is None:
        session.add(SearchEntry.of(session.get(Request, doc.request_id), source_type="document", source_id=doc.id,
                                   title=doc.filename, body=text))
    else:
        entry.body = text


def _fail(session: Session, claimed: _Claimed, now: datetime, reason: str, pages: int | None = None) -> bool:
    """Give up: the job is failed and its document's text "not extracted (reason)"; one short transaction."""
    if not _release(session, claimed, now, status="failed", last_error=reason[:2000], finished_at=database_now(session)):
        return False
    doc = session.get(Document, claimed.document_id) if claimed.document_id is not None else None
    if doc is not None:
        doc.text_status, doc.text_error = "failed", reason[:300]
        if pages is not None and doc.pages is None:  # counted before the limit was hit
            doc.pages = pages
        if claimed.kind == OCR:
            # OCR failed: the embedded text of the pages that had some (indexed by the extraction) stays searchable.
            entry = _entry(session, doc)
            doc.text_source = "embedded" if entry is not None and entry.body.strip() else "none"
        else:
            doc.text_source = "none"
            _index(session, doc, "")
    session.commit()
    log.warning("job %s (document %s): text not extracted (%s)", claimed.job_id, claimed.document_id, reason)
    return True


def _succeed(session: Session, claimed: _Claimed, now: datetime, result: Extraction,
             settings: JobSettings) -> bool:
    if not _release(session, claimed, now, status="done", last_error="", finished_at=database_now(session)):
        return False
    doc = session.get(Document, claimed.document_id) if claimed.document_id is not None else None
    if doc is not None:
        doc.text_status, doc.text_error = "done", ""
        if result.pages is not None:
            doc.pages = result.pages
        text = index_text(result.text)
        _index(session, doc, text)
        doc.text_source = "embedded" if text.strip() else "none"
        mime = (doc.mime or "").split(";", 1)[0].strip().lower()
        if settings.ocr_enabled and (mime == "application/pdf" or mime in OCR_IMAGES):
            sparse = sparse_pages(text, result.pages, min_chars=OCR_MIN_CHARS)
            if sparse:
                # Scanned pages: their text comes from OCR, a job of its own; the rest is searchable meanwhile.
                enqueue_ocr(session, doc, now, None if mime in OCR_IMAGES else sparse)
    session.commit()
    return True


def _succeed_ocr(session: Session, claimed: _Claimed, now: datetime, result: Extraction) -> bool:
    if not _release(session, claimed, now, status="done", last_error="", finished_at=database_now(session)):
        return False
    doc = session.get(Document, claimed.document_id) if claimed.document_id is not None else None
    if doc is not None:
        entry = _entry(session, doc)
        embedded = entry.body if entry is not None else ""
        recognised = index_text(result.text).strip()
        doc.text_status, doc.text_error = "done", ""
        if doc.pages is None and result.pages is not None:
            doc.pages = result.pages
        if recognised:
            # The same search entry: the embedded text of the pages that had some, then what OCR read on the others.
            _index(session, doc, f"{embedded}\n\f{recognised}" if embedded.strip() else recognised)
            doc.text_source = "ocr"
        else:
            doc.text_source = "embedded" if embedded.strip() else "none"
    session.commit()
    return True


def _retry_later(session: Session, claimed: _Claimed, now: datetime, reason: str) -> bool:
    wait = RETRY_WAITS[min(claimed.attempts, len(RETRY_WAITS)) - 1]
    if not _release(session, claimed, now, status="queued", last_error=reason[:2000], run_after=now + wait):
        return False
    session.commit()
    log.warning("job %s: %s; retrying after %s", claimed.job_id, reason, wait)
    return True


def run_one(session: Session, *, now: datetime, settings: JobSettings) -> str | None:
    """Claim and run one due job; its outcome ("done", "failed", "retrying", "lost"), or None if none is due."""
    claimed = _claim(session, now, settings.lease_seconds, settings.ocr_lease_seconds)
    if claimed is None:
        return None
    if claimed.document_id is None or claimed.sha256 is None or claimed.mime is None:
        return "failed" if _fail(session, claimed, now, "the document no longer exists") else "lost"
    if claimed.attempts > MAX_ATTEMPTS:
        # Its earlier runners died mid-job (the lease ran out each time): do not try it forever.
        reason = f"gave up after {claimed.attempts - 1} attempts that never finished"
        return "failed" if _fail(session, claimed, now, reason) else "lost"
    try:
        try:
            with open_store(settings.storage_root).local_copy(claimed.sha256) as path:  # S3: a temp download
                if claimed.kind == OCR:  # no transaction is open here
                    pages = [int(n) for n in claimed.payload.get("pages") or []] or None
                    result = ocr_in_sandbox(path, claimed.mime, pages, settings.ocr)
                else:
                    result = extract_in_sandbox(path, claimed.mime, settings.limits)
        except FileNotFoundError:
            return "failed" if _fail(session, claimed, now, "the file is missing from storage") else "lost"
    except Exception as exc:
        log.exception("job %s: the extractor could not run", claimed.job_id)
        session.rollback()
        reason = f"the extractor could not run: {type(exc).__name__}: {exc}"
        if claimed.attempts >= MAX_ATTEMPTS:
            return "failed" if _fail(session, claimed, now, reason) else "lost"
        return "retrying" if _retry_later(session, claimed, now, reason) else "lost"
    if result.error:
        return "failed" if _fail(session, claimed, now, result.error, result.pages) else "lost"
    if claimed.kind == OCR:
        return "done" if _succeed_ocr(session, claimed, now, result) else "lost"
    return "done" if _succeed(session, claimed, now, result, settings) else "lost"


def run_jobs(session: Session, *, now: datetime, settings: JobSettings, limit: int | None = None) -> JobPass:
    """Run due jobs one at a time until none is due (or ``limit`` have run). Commits as it goes."""
    if enqueue_missing(session, now):
        session.commit()
    outcome = JobPass()
    while limit is None or outcome.ran < limit:
        result = run_one(session, now=now, settings=settings)
        if result is None:
            break
        setattr(outcome, result, getattr(outcome, result) + 1)
    return outcome


# --------------------------------------------------------------------------- the admin page


@dataclass(frozen=True)
class JobRow:
    job: Job
    filename: str | None
    ref: str | None


def job_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(Job.status, func.count(Job.id)).group_by(Job.status)).all()
    return {status: int(n) for status, n in rows}


def list_jobs(session: Session, statuses: tuple[str, ...], limit: int = 200) -> list[JobRow]:
    """Jobs in ``statuses``, newest first, each with its document's name and request's reference (one query)."""
    rows = session.execute(
        select(Job, Document.filename, Request.ref)
        .outerjoin(Document, Document.id == Job.document_id).outerjoin(Request, Request.id == Document.request_id)
        .where(Job.status.in_(statuses)).order_by(Job.id.desc()).limit(limit))
    return [JobRow(job, filename, ref) for job, filename, ref in rows]


def retry_job(session: Session, *, actor: User | None, job: Job, now: datetime) -> None:
    """Queue a failed job again (from scratch); its document's text is "pending" again. Audited."""
    if job.status != "failed":
        raise ValidationError({"job": "Only a failed job can be retried."})
    before = {"status": job.status, "attempts": job.attempts, "last_error": job.last_error}
    job.status, job.attempts, job.run_after, job.last_error = "queued", 0, now, ""
    job.claim_token, job.claimed_until, job.started_at, job.finished_at = None, None, None, None
    doc = session.get(Document, job.document_id) if job.document_id is not None else None
    if doc is not None and doc.text_status == "failed":
        doc.text_status, doc.text_error = "pending", ""
        if job.kind == OCR:
            doc.text_source = "ocr"
    audit(session, actor=actor, now=now, action="job:retry", entity=job, before=before,
          after={"status": "queued", "document": job.document_id},
          request_id=doc.request_id if doc is not None else None)
