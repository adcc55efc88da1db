"""Removing a document from a request: a person says why, and the document is hidden from the request's page,
search and downloads. The row and the bytes stay (nothing in evidence is erased): the evidence bundle still holds
the file, listed as removed with who, when and why, so its manifest keeps matching what was exported before."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from foia.core.audit import audit
from foia.core.errors import ValidationError
from foia.models import User
from foia.models.communication import Document, SearchEntry

MAX_REASON = 500

# How a file type reads to people (the MIME type is for machines).
MIME_LABELS = {
    "application/pdf": "PDF",
    "text/plain": "Text",
    "text/csv": "CSV spreadsheet",
    "text/html": "Web page (HTML)",
    "message/rfc822": "Email message",
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "image/gif": "GIF image",
    "image/tiff": "TIFF image",
    "application/zip": "ZIP archive",
    "application/msword": "Word document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document",
    "application/vnd.ms-excel": "Excel spreadsheet",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel spreadsheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint presentation",
    "application/octet-stream": "Other file",
}


def mime_label(mime: str | None) -> str:
    """A readable name for a MIME type: "application/pdf" → "PDF"; unknown types by their family."""
    base = (mime or "").split(";", 1)[0].strip().lower()
    if base in MIME_LABELS:
        return MIME_LABELS[base]
    family, _, sub = base.partition("/")
    if family == "image":
        return f"{sub.upper()} image" if sub else "Image"
    if family == "text":
        return "Text"
    if family == "audio":
        return "Audio"
    if family == "video":
        return "Video"
    return "Other file"


def remove_document(session: Session, *, actor: User | None, now: datetime, doc: Document, reason: str) -> Document:
    """Remove a document with a reason (required): hidden from the request, its search entry deleted, downloads
    refused; the row and the bytes stay. Raises ValidationError; nothing is written then."""
    text = " ".join((reason or "").split())
    if doc.removed_at is not None:
        raise ValidationError({"document": "This document was already removed."})
    if not text:
        raise ValidationError({"reason": "Say why the document is removed (for the record)."})
    if len(text) > MAX_REASON:
        raise ValidationError({"reason": f"Keep the reason under {MAX_REASON} characters (it has {len(text)})."})
    doc.removed_at, doc.removed_by_id, doc.remove_reason = now, actor.id if actor is not None else None, text
    session.execute(delete(SearchEntry).where(SearchEntry.source_type == "document", SearchEntry.source_id == doc.id))
    audit(session, actor=actor, now=now, action="remove", entity=doc, before={"removed_at": None},
          after={"filename": doc.filename, "sha256": doc.sha256, "reason": text})
    session.flush()
    return doc
