"""Documents attached to a request: store the bytes, check the type, extract text for search.

The bytes go to content-addressed storage (foia/documents/storage.py: a folder or an S3 bucket) by
streaming, never whole into memory; the same content attached twice is stored once on disk and gets two Document rows.
The type comes from the content (foia/extract.py), never from the name, and a name that
promises a type the content is not (a ".pdf" that is HTML) is refused with nothing left behind.

Text extraction feeds search (foia/search.py). It never runs in the upload's request or
transaction (security review M5: a 9 KB PDF kept a worker and the SQLite write lock busy for
minutes): the upload queues a job (foia/documents/jobs.py) and leaves ``text_status="pending"``;
the scheduler's job runner and ``flask foia documents extract`` read the file in a limited child
process and index the text afterwards. The page count of a PDF comes from that child too.

Like every service, functions take the session, actor and ``now`` as arguments and never commit.

Blobs are staged, then promoted when their transaction commits (``stage_blob``): a refused or rolled-back
upload removes only its own temp file and never a stored blob, which another upload of the same bytes may be
committing right now (review F3). What a crash leaves behind is removed by ``sweep_orphans``, which the
scheduler runs every hour.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Column, event, exists, select
from sqlalchemy.orm import Session, SessionTransaction

from foia.core.access import visible_clause
from foia.core.audit import audit
from foia.core.errors import ValidationError
from foia.documents.extract import (
    DOCX,
    OCR_IMAGES,
    PPTX,
    XLSX,
    check_declared,
    may_render_inline,
    sniff,
)
from foia.documents.jobs import enqueue_extract
from foia.documents.storage import (
    DEFAULT_GRACE_SECONDS,
    BlobStorage,
    StoredBlob,
    SweepResult,
    UploadRejected,
)
from foia.documents.stores import open_store
from foia.mail import safe_filename
from foia.models import Request, User
from foia.models.communication import (
    Communication,
    Document,
    SearchEntry,
    UnmatchedMail,
)

__all__ = [
    "DocumentRow",
    "add_document",
    "blob_referenced",
    "cleanup_blobs",
    "documents_for",
    "download_mimetype",
    "get_visible_document",
    "stage_blob",
    "sweep_orphans",
    "unreferenced_blobs",
]

log = logging.getLogger(__name__)

# Types with text extract_text can read, or OCR (scanned images); anything else is searchable by its file name only.
_EXTRACTABLE = frozenset({"application/pdf", "text/plain", "text/csv", "message/rfc822", "text/html"}) | OCR_IMAGES
# Types served under their own name (always as an attachment); everything else is octet-stream.
_SERVED_AS_IS = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif", "image/tiff", "text/plain",
                           "text/csv", "application/zip", "message/rfc822", DOCX, XLSX, PPTX})
DOCUMENT_FIELDS = ("filename", "sha256", "size", "mime", "pages", "text_status", "communication_id")


def download_mimetype(mime: str) -> str:
    """The Content-Type a document is served with. HTML (and anything unknown) is octet-stream."""
    base = (mime or "").split(";", 1)[0].strip().lower()
    if base in _SERVED_AS_IS or may_render_inline(base):
        return base
    return "application/octet-stream"


def blob_referenced(session: Session, sha256: str, *, ignore_document_id: int | None = None) -> bool:
    """Does any document, communication or unmatched message (other than that document) point at
    this blob? Only an unreferenced blob may be removed."""
    return bool(session.scalar(select(
        exists().where(Document.sha256 == sha256, Document.id != (ignore_document_id or 0))
        | exists().where(Communication.raw_sha256 == sha256)
        | exists().where(UnmatchedMail.raw_sha256 == sha256))))


def _sha_columns() -> list[Column[Any]]:
    """Every column that names a blob: any ``*sha256`` column of any table (documents, communications' and
    unmatched mail's raw messages, deliveries' sent mail, letter PDFs, and whatever a later table adds)."""
    return [column for table in Document.metadata.sorted_tables for column in table.columns
            if column.name.endswith("sha256")]


def unreferenced_blobs(session: Session, shas: Iterable[str]) -> set[str]:
    """Which of ``shas`` no row of any table points at (a removed document counts: its bytes are kept as
    evidence). Over-protecting is harmless; a missed column would lose a blob, hence every ``*sha256``."""
    wanted = set(shas)
    if not wanted:
        return set()
    used: set[str] = set()
    for column in _sha_columns():
        used.update(session.scalars(select(column).where(column.in_(wanted)).distinct()))
    return wanted - used


def cleanup_blobs(session: Session, store: BlobStorage | None, shas: set[str] | list[str]) -> None:
    """Kept for callers that stored blobs themselves and rolled back: it deliberately removes nothing.

    Deleting an unreferenced blob at once is unsafe: another transaction may be committing a row that uses the
    same bytes (review F3). Blobs staged with ``stage_blob`` are discarded by the rollback itself; blobs
    written directly are removed by ``sweep_orphans`` after the grace period."""
    del session, store, shas


# ---------------------------------------------------------------------------- staged blobs

_STAGED = "foia_staged_blobs"
_PROMOTED = "foia_promoted_blobs"


def stage_blob(session: Session, store: BlobStorage, stream: IO[bytes], *, max_bytes: int) -> StoredBlob:
    """Write ``stream`` to a temp file of its own (raises UploadRejected as ``put_stream``) and tie it to
    ``session``: it is promoted into the store when the session's transaction commits and removed when it
    rolls back. Check the content at ``blob.path``; ``unstage`` it when refusing it."""
    blob = store.put_stream(stream, max_bytes=max_bytes, stage=True)
    session.info.setdefault(_STAGED, []).append((store, blob))
    return blob


def unstage(session: Session, blob: StoredBlob) -> None:
    """Remove a staged blob now (its temp file only; the store is untouched)."""
    staged = session.info.get(_STAGED) or []
    for i, (store, held) in enumerate(staged):
        if held is blob:
            del staged[i]
            store.discard(held)
            return


@event.listens_for(Session, "before_commit")
def _promote_staged(session: Session) -> None:
    """Promote before the COMMIT, never after: a crash in between leaves an orphan blob (swept later), never a
    committed row whose blob is missing. before_commit also fires when a savepoint is released; wait for the
    outermost commit."""
    if session.get_nested_transaction() is not None:
        return
    staged = session.info.pop(_STAGED, None)
    promoted = session.info.setdefault(_PROMOTED, [])
    while staged:
        store, blob = staged.pop(0)
        try:
            promoted.append((store, store.promote(blob)))
        except BaseException:
            # S3 unreachable (StorageUnavailable) or a full disk: the commit fails, so no row is written.
            for other_store, other in [(store, blob), *staged]:
                other_store.discard(other)
            raise


@event.listens_for(Session, "after_commit")
def _confirm_promoted(session: Session) -> None:
    """The rows committed: let each store check its promoted blobs are still there and drop staged copies
    (on S3 an object a concurrent sweep removed is uploaded again from the staged file)."""
    for store, blob in session.info.pop(_PROMOTED, None) or []:
        try:
            store.confirm(blob)
        except Exception:
            log.error("blob %s: could not confirm it after commit", blob.sha256, exc_info=True)


@event.listens_for(Session, "after_transaction_end")
def _discard_staged(session: Session, transaction: SessionTransaction) -> None:
    """The outermost transaction ended without promoting (a rollback, or close): drop what it staged."""
    if transaction.parent is not None or transaction.nested:
        return
    for store, blob in (session.info.pop(_STAGED, None) or []) + (session.info.pop(_PROMOTED, None) or []):
        try:
            store.discard(blob)
        except OSError:
            log.warning("could not remove staged file %s", blob.path, exc_info=True)


def sweep_orphans(session: Session, storage_root: str | Path | BlobStorage, *,
                  grace_seconds: float = DEFAULT_GRACE_SECONDS) -> SweepResult:
    """Remove blobs no row references and temp files of killed uploads, once older than ``grace_seconds``
    (review F9). Reads only; the caller need not commit."""
    store = open_store(storage_root)

    def fresh_look(shas: Iterable[str]) -> set[str]:
        # A new read transaction for every look: the sweep's second look must see rows committed since the
        # first (a SQLite read transaction keeps one snapshot; S3 has no atomic move-aside to fall back on).
        session.rollback()
        return unreferenced_blobs(session, shas)

    result = store.sweep(fresh_look, grace_seconds=grace_seconds)
    session.rollback()  # end the read transaction
    return result


def add_document(session: Session, *, actor: User | None, now: datetime, req: Request, stream: IO[bytes],
                 filename: str | None, storage_root: str | Path | BlobStorage, max_bytes: int,
                 communication: Communication | None = None) -> Document:
    """Store ``stream`` as a document of ``req`` (optionally of one of its communications).

    Raises ValidationError({"file": message}) for a file that cannot be accepted: no usable name,
    empty, larger than ``max_bytes``, or named as a type it is not. Nothing is left behind then:
    no row, and no blob unless another row already used the same content.
    """
    name = safe_filename(filename, "")
    if not name:
        raise ValidationError({"file": "The file has no usable name."})
    if communication is not None and communication.request_id != req.id:
        raise ValidationError({"communication": "Choose a communication of this request."})
    store = open_store(storage_root)
    try:
        blob = stage_blob(session, store, stream, max_bytes=max_bytes)
    except UploadRejected as exc:
        raise ValidationError({"file": exc.message}) from exc
    try:
        problem = check_declared(blob.path, name)
        if problem:
            raise ValidationError({"file": problem})
        mime = sniff(blob.path)
        doc = Document(request_id=req.id, communication_id=communication.id if communication else None,
                       sha256=blob.sha256, filename=name, size=blob.size, mime=mime, pages=None,
                       text_status="pending" if mime in _EXTRACTABLE else "none",
                       uploaded_by_id=actor.id if actor is not None else None, created_at=now)
        session.add(doc)
        session.flush()
        if doc.text_status == "pending":
            enqueue_extract(session, doc, now)  # read later, in a limited process, outside this transaction
        session.add(SearchEntry.of(req, source_type="document", source_id=doc.id, title=name, body=""))
        audit(session, actor=actor, now=now, action="document:add", entity=doc,
              after={"request": req.ref, **{f: getattr(doc, f) for f in DOCUMENT_FIELDS}})
        session.flush()
    except BaseException:
        # Only this upload's own temp file goes; a stored blob with the same bytes is never touched (F3).
        try:
            unstage(session, blob)
        except Exception:
            log.warning("could not remove staged file %s", blob.path, exc_info=True)
        raise
    return doc


@dataclass(frozen=True)
class DocumentRow:
    document: Document
    communication: Communication | None


def documents_for(session: Session, req: Request) -> list[DocumentRow]:
    """The request's documents (not those removed), oldest first, each with its communication (one query)."""
    rows = session.execute(
        select(Document, Communication).outerjoin(Communication, Communication.id == Document.communication_id)
        .where(Document.request_id == req.id, Document.removed_at.is_(None)).order_by(Document.id))
    return [DocumentRow(doc, comm) for doc, comm in rows]


def get_visible_document(session: Session, user: User, document_id: int) -> Document | None:
    """The document if ``user`` may see its request; None for a hidden, missing or removed one alike."""

    return session.scalar(select(Document).join(Request, Request.id == Document.request_id)
                          .where(Document.id == document_id, Document.removed_at.is_(None), visible_clause(user)))
