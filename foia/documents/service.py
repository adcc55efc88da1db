"""Documents attached to a request: store the bytes, check the type, extract text for search.

The bytes go to content-addressed storage (foia/storage.py) by streaming, never whole into
memory; the same content attached twice is stored once on disk and gets two Document rows.
The type comes from the content (foia/extract.py), never from the name, and a name that
promises a type the content is not (a ".pdf" that is HTML) is refused with nothing left behind.

Text extraction feeds search (foia/search.py). It never runs in the upload's request or
transaction (security review M5: a 9 KB PDF kept a worker and the SQLite write lock busy for
minutes): the upload queues a job (foia/documents/jobs.py) and leaves ``text_status="pending"``;
the scheduler's job runner and ``flask foia documents extract`` read the file in a limited child
process and index the text afterwards. The page count of a PDF comes from that child too.

Like every service, functions take the session, actor and ``now`` as arguments and never commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from foia.core.access import visible_clause
from foia.core.audit import audit
from foia.core.errors import ValidationError
from foia.documents.extract import (
    DOCX,
    PPTX,
    XLSX,
    check_declared,
    may_render_inline,
    sniff,
)
from foia.documents.jobs import enqueue_extract
from foia.documents.storage import BlobStore, UploadRejected
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
]

log = logging.getLogger(__name__)

# Types with text extract_text can read; anything else is searchable by its file name only.
_EXTRACTABLE = frozenset({"application/pdf", "text/plain", "text/csv", "message/rfc822", "text/html"})
# Types served under their own name (always as an attachment); everything else is octet-stream.
_SERVED_AS_IS = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif", "text/plain", "text/csv",
                           "application/zip", "message/rfc822", DOCX, XLSX, PPTX})
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


def cleanup_blobs(session: Session, store: BlobStore, shas: set[str] | list[str]) -> None:
    """After a rollback, remove the blobs a failed operation stored that nothing references (content that
    another row already used stays)."""
    for sha in shas:
        if not blob_referenced(session, sha):
            try:
                store.path_for(sha).unlink(missing_ok=True)
            except ValueError:
                pass


def _discard_new_blob(session: Session, store: BlobStore, sha256: str, ignore_document_id: int | None) -> None:
    """Remove a blob this upload created, unless something else already points at it."""
    if blob_referenced(session, sha256, ignore_document_id=ignore_document_id):
        return
    try:
        store.path_for(sha256).unlink()
    except FileNotFoundError:
        pass


def add_document(session: Session, *, actor: User | None, now: datetime, req: Request, stream: IO[bytes],
                 filename: str | None, storage_root: str | Path, max_bytes: int,
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
    store = BlobStore(storage_root)
    try:
        blob = store.put_stream(stream, max_bytes=max_bytes)
    except UploadRejected as exc:
        raise ValidationError({"file": exc.message}) from exc
    doc: Document | None = None
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
        session.add(SearchEntry(request_id=req.id, source_type="document", source_id=doc.id,
                                title=name, body=""))
        audit(session, actor=actor, now=now, action="document:add", entity=doc,
              after={"request": req.ref, **{f: getattr(doc, f) for f in DOCUMENT_FIELDS}})
        session.flush()
    except BaseException:
        if not blob.deduplicated:
            # The caller rolls back this session's changes; other sessions only see committed rows.
            try:
                _discard_new_blob(session, store, blob.sha256, doc.id if doc is not None else None)
            except Exception:
                log.warning("could not clean up blob %s", blob.sha256, exc_info=True)
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
