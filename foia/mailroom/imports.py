"""Import agency email (.eml files) into the tracker.

import_eml() parses a message, matches it to a request by our reference (FT-YYYY-NNNN) or the
agency's tracking number in the subject or body, and logs it as an incoming communication with
its attachments stored as documents. The same Message-ID imported twice is logged once. Mail that
matches no request (or only requests the importer may not change) waits in the unmatched-mail
list for staff to assign. A malformed file, or an attachment that cannot be stored, refuses the
whole message with a clear error, and nothing is left half-stored: the database work is rolled
back and any file stored for it that nothing else uses is removed.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from foia.communications.service import log_communication
from foia.core.access import can_assign, can_edit, can_view, unmatched_clause
from foia.core.audit import audit
from foia.core.clock import zone
from foia.core.errors import ValidationError
from foia.documents.service import add_document, cleanup_blobs, stage_blob
from foia.documents.storage import UploadRejected
from foia.documents.stores import open_store
from foia.mail import EmailParseError, ParsedEmail, find_references, parse_eml
from foia.mail.inbound import EmailTooLarge
from foia.models import COMMUNICATION_KINDS, Communication, Request, UnmatchedMail, User
from foia.webhooks.service import emit

MAX_EML_BYTES = 50 * 1024 * 1024
TRACKING_TOKEN = re.compile(r"\b[A-Z0-9]{2,}(?:-[A-Z0-9]{2,}){1,5}\b")


@dataclass
class ImportResult:
    status: str  # "logged" | "duplicate" | "unmatched"
    ref: str | None = None
    communication_id: int | None = None
    attachments: int = 0
    unmatched_id: int | None = None
    message: str = ""


def _attachments(n: int) -> str:
    return "with no attachments" if n == 0 else f"with {n} attachment{'' if n == 1 else 's'}"


def _match(session: Session, actor: User, subject: str, text: str) -> tuple[Request | None, str]:
    haystack = f"{subject}\n{text}"
    refs = find_references(haystack)
    if refs:
        for req in session.scalars(select(Request).where(Request.ref.in_(refs))):
            if can_edit(actor, req):
                return req, ""
    tokens = sorted(set(TRACKING_TOKEN.findall(haystack.upper())) - set(refs))[:200]
    if tokens:
        for req in session.scalars(select(Request).where(Request.tracking_number.in_(tokens)).order_by(Request.id)):
            if can_edit(actor, req):
                return req, req.tracking_number
    return None, ""


def _already_imported(session: Session, actor: User, message_id: str | None,
                      req: Request | None) -> ImportResult | None:
    """The result to report when this Message-ID is already in the organization the message would go to
    (the matched request's, or the importer's for unmatched mail); None when it is new there.

    De-duplication is per organization, so another organization cannot block an import by taking a
    Message-ID first; and the importer is told which request holds the message only if they may see it."""
    if not message_id:
        return None
    org_id = req.organization_id if req is not None else actor.organization_id
    existing = session.scalar(select(Communication).where(Communication.organization_id == org_id,
                                                          Communication.message_id == message_id))
    if existing is not None:
        held = session.get(Request, existing.request_id)
        if held is not None and can_view(actor, held):
            return ImportResult("duplicate", ref=held.ref, communication_id=existing.id,
                                message=f"Already imported on {held.ref}.")
        return ImportResult("duplicate", message="This message was already imported.")
    if req is None:
        waiting = session.scalar(select(UnmatchedMail).where(UnmatchedMail.organization_id == org_id,
                                                             UnmatchedMail.message_id == message_id))
        if waiting is not None:
            if can_assign(actor, waiting) and waiting.assigned_at is None and waiting.discarded_at is None:
                return ImportResult("duplicate", unmatched_id=waiting.id, message="Already waiting in unmatched mail.")
            return ImportResult("duplicate", message="This message was already imported.")
    return None


def log_email(session: Session, *, actor: User | None, now: datetime, req: Request, parsed: ParsedEmail,
              message_id: str | None, raw_sha256: str, tracking: str, kind: str, storage_root: str | Path,
              max_bytes: int, new_shas: set[str], review_status: str | None = None,
              suggested_kind: str | None = None) -> Communication:
    """Log a parsed email on `req` as an incoming communication, its attachments stored as documents
    (their blobs added to `new_shas`, for cleanup if the caller rolls back). Does not commit."""
    tz = zone(req.agency.timezone)
    sent = parsed.date or now
    comm = log_communication(
        session, actor=actor, now=now, req=req, direction="incoming", kind=kind,
        occurred_on=min(sent, now).astimezone(tz).date(), occurred_at=min(sent, now),
        subject=(parsed.subject or "")[:500], body=parsed.text or "", tracking_number=tracking,
        message_id=message_id, from_addr=(parsed.from_addr or "")[:300],
        to_addrs=", ".join(parsed.to)[:2000], headers=[list(h) for h in parsed.headers], raw_sha256=raw_sha256,
        review_status=review_status, suggested_kind=suggested_kind)
    for att in parsed.attachments:
        doc = add_document(session, actor=actor, now=now, req=req, stream=io.BytesIO(att.data),
                           filename=att.filename, storage_root=storage_root, max_bytes=max_bytes,
                           communication=comm)
        new_shas.add(doc.sha256)
    emit(session, event="reply.received", request=req, now=now, key=f"reply.received:{req.ref}:{message_id or comm.id}",
         details={"communication_id": comm.id, "subject": comm.subject, "from": comm.from_addr,
                  "received_at": comm.occurred_at.isoformat() if comm.occurred_at else None,
                  "attachments": len(parsed.attachments)})
    return comm


def import_eml(session: Session, *, actor: User, now: datetime, data: bytes, storage_root: str | Path,
               max_bytes: int, kind: str = "note", req: Request | None = None) -> ImportResult:
    """Import one message. Commits on success; rolls back and raises ValidationError on failure.
    With `req`, the message is logged on that request (assigning unmatched mail) instead of matched."""
    if kind not in COMMUNICATION_KINDS:
        raise ValidationError({"kind": "Choose what kind of communication this is from the list."})
    if len(data) > MAX_EML_BYTES:
        raise ValidationError({"file": f"The email is larger than {MAX_EML_BYTES // (1024 * 1024)} MB."})
    try:
        parsed = parse_eml(data)
    except EmailTooLarge as exc:
        # Refused on the raw bytes, before parsing or storing anything (security review M6, L7).
        raise ValidationError({"file": f"This email is too large to import: {exc}. Nothing was saved."}) from exc
    except EmailParseError as exc:
        raise ValidationError({"file": f"This is not an email we can read: {exc}"}) from exc
    tracking = ""
    if req is None:
        req, tracking = _match(session, actor, parsed.subject or "", parsed.text or "")
    duplicate = _already_imported(session, actor, parsed.message_id, req)
    if duplicate is not None:
        return duplicate
    store = open_store(storage_root)
    new_shas: set[str] = set()
    try:
        raw = stage_blob(session, store, io.BytesIO(data), max_bytes=max_bytes)
        if not raw.deduplicated:
            new_shas.add(raw.sha256)
        if req is None:
            row = UnmatchedMail(organization_id=actor.organization_id, message_id=parsed.message_id,
                                subject=(parsed.subject or "")[:500], from_addr=(parsed.from_addr or "")[:300],
                                received_at=parsed.date, raw_sha256=raw.sha256, size=raw.size,
                                imported_by_id=actor.id, created_at=now)
            session.add(row)
            session.commit()
            return ImportResult("unmatched", unmatched_id=row.id,
                                message="No request matched; it waits in Unmatched mail for staff to assign.")

        comm = log_email(session, actor=actor, now=now, req=req, parsed=parsed, message_id=parsed.message_id,
                         raw_sha256=raw.sha256, tracking=tracking, kind=kind, storage_root=storage_root,
                         max_bytes=max_bytes, new_shas=new_shas)
        result = ImportResult("logged", ref=req.ref, communication_id=comm.id, attachments=len(parsed.attachments),
                              message=f"Logged on {req.ref} {_attachments(len(parsed.attachments))}.")
        session.commit()
        return result
    except IntegrityError:
        # Another import of the same message committed first (Message-ID is unique per organization).
        session.rollback()
        cleanup_blobs(session, store, new_shas)
        return ImportResult("duplicate", message="This message was already imported.")
    except (ValidationError, UploadRejected) as exc:
        session.rollback()
        cleanup_blobs(session, store, new_shas)
        if isinstance(exc, UploadRejected):
            raise ValidationError({"file": exc.message}) from exc
        raise
    except Exception:
        session.rollback()
        cleanup_blobs(session, store, new_shas)
        raise


def assign_unmatched(session: Session, *, actor: User, now: datetime, row: UnmatchedMail, req: Request,
                     kind: str, storage_root: str | Path, max_bytes: int) -> ImportResult:
    """Log a waiting message on the request staff chose."""
    if not can_edit(actor, req):
        raise ValidationError({"ref": "You cannot add to that request."})
    data = open_store(storage_root).open_blob(row.raw_sha256).read()
    row_id = row.id
    result = import_eml(session, actor=actor, now=now, data=data, storage_root=storage_root, max_bytes=max_bytes,
                        kind=kind, req=req)
    assigned = session.get_one(UnmatchedMail, row_id)  # reloaded: the import commits
    assigned.assigned_at, assigned.communication_id = now, result.communication_id
    session.commit()
    return result


def unmatched_for(session: Session, user: User) -> list[UnmatchedMail]:
    stmt = select(UnmatchedMail).where(UnmatchedMail.assigned_at.is_(None), UnmatchedMail.discarded_at.is_(None),
                                       unmatched_clause(user))
    return list(session.scalars(stmt.order_by(UnmatchedMail.id.desc()).limit(500)))


def discard_unmatched(session: Session, *, actor: User, now: datetime, row: UnmatchedMail, reason: str) -> None:
    """Take a message out of the queue (spam, misdirected). It is kept, with who discarded it and why."""
    if not can_assign(actor, row):
        raise ValidationError({"row": "You cannot discard that message."})
    if row.assigned_at is not None or row.discarded_at is not None:
        raise ValidationError({"row": "That message is no longer waiting."})
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": "Say why the message is discarded (for example: spam, not ours)."})
    if len(reason) > 300:
        raise ValidationError({"reason": "Keep the reason under 300 characters."})
    row.discarded_at, row.discarded_by_id, row.discard_reason = now, actor.id, reason
    audit(session, actor=actor, now=now, action="discard", entity=row,
          after={"subject": row.subject, "from": row.from_addr, "reason": reason})
