"""The communications log: every message or fact exchanged with the agency, and what it does to
the request's ledger, clocks and status.

`log_communication(...)` validates the input, stores a Communication, writes the ledger event(s)
through `foia.requests.service.log_event` (which recomputes the clocks and reminders), moves the status
through `foia.requests.service.update_request`, links `communication.event_id` to the main event, keeps the
agency's tracking number on the request, writes a search entry and an audit row.

What each kind does (ledger event kind → request status):

=======================  ===========================================  ==================================
kind                     ledger event(s)                              status
=======================  ===========================================  ==================================
acknowledgment           acknowledged (+ estimated_completion when    acknowledged, only from draft or
                         data["estimated_completion"] is given)       submitted (never moves backwards)
extension_notice         extension (data["days"] optional, ≤ the      processing
                         law's maximum; default: the law's length)
clarification_request    toll_start (the response clock pauses)       awaiting_requester
clarification_reply      toll_end (counting resumes the next day);    processing
                         only while a clarification request is open
fee_estimate             fee_estimate (data: amount; foia.fees)       unchanged
fee_waiver_decision      fee_waiver_decided (data: decision)          unchanged
payment                  fee_paid (data: amount)                      unchanged
interim_release          note (data: release = "interim")             partially_released
final_release            closed (closes every clock)                  released
partial_denial           determination (response clock met, appeal    partially_denied
                         window opens; data: exemptions)
full_denial              determination                                denied
no_records               determination (an adverse determination:     no_records (an open status: the
                         the appeal window opens)                     appeal clock keeps running)
appeal_filed             appeal_filed (appeal-decision clock starts)  appealing
appeal_decision          appeal_decided (data: outcome)               granted → released,
                                                                      partly_granted → partially_released,
                                                                      denied → denied
withdrawal               closed                                       withdrawn
note                     note                                         unchanged
=======================  ===========================================  ==================================

Any kind that is not closing may also carry data["estimated_completion"] (an "estimated_completion"
event) and data["agreed_date"] (an "agreed_date" event, which replaces the response deadline).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from foia.communications.effects import (
    APPEAL_OUTCOMES,
    EFFECTS,
    EXEMPTION_KINDS,
    status_after,
)
from foia.communications.exemptions import label_for
from foia.communications.validation import (
    open_clarification,
    validate_communication,
)
from foia.core.audit import audit
from foia.core.errors import ValidationError
from foia.documents.service import add_document, cleanup_blobs
from foia.documents.stores import open_store
from foia.models import (
    COMMUNICATION_KINDS,
    Communication,
    Event,
    Request,
    SearchEntry,
    User,
)
from foia.requests.service import lock_request, log_event, update_request


def log_communication(session: Session, *, actor: User | None, now: datetime, req: Request, direction: str,
                      kind: str, occurred_on: date | str, occurred_at: datetime | None = None, subject: str = "",
                      body: str = "", tracking_number: str = "", exemptions: Any = (),
                      data: dict[str, Any] | None = None, message_id: str | None = None, from_addr: str = "",
                      to_addrs: str = "", headers: list[Any] | None = None,
                      raw_sha256: str | None = None, review_status: str | None = None,
                      suggested_kind: str | None = None) -> Communication:
    """Log one communication (see the module docstring for what each kind does). Raises
    ValidationError with messages by field; nothing is written then.

    The request is locked first (`requests.service.lock_request`), so the status, the open clarification and
    the ledger this reads are the latest committed, and a communication logged at the same moment waits for
    this one: the status ends where the ledger says (an acknowledgment then a denial: Denied)."""
    lock_request(session, req)
    errors, clean = validate_communication(session, now=now, req=req, direction=direction, kind=kind, occurred_on=occurred_on,
                              subject=subject, body=body, tracking_number=tracking_number, exemptions=exemptions,
                              data=data or {}, message_id=message_id)
    if errors:
        raise ValidationError(errors)
    on: date = clean["occurred_on"]
    cdata: dict[str, Any] = clean["data"]

    comm = Communication(
        request_id=req.id, organization_id=req.organization_id, direction=direction, kind=kind, occurred_on=on,
        occurred_at=occurred_at,
        subject=clean["subject"], body=clean["body"], tracking_number=clean["tracking_number"],
        exemptions=clean["exemptions"], data=cdata, message_id=message_id or None, from_addr=from_addr or "",
        to_addrs=to_addrs or "", headers=headers, raw_sha256=raw_sha256, review_status=review_status,
        suggested_kind=suggested_kind, created_by_id=actor.id if actor is not None else None, created_at=now,
    )
    session.add(comm)
    session.flush()

    event = _apply_effect(session, actor=actor, now=now, req=req, comm=comm, kind=kind, clean=clean)

    session.add(SearchEntry.of(req, source_type="communication", source_id=comm.id,
                               title=clean["subject"], body=clean["body"]))
    audit(session, actor=actor, now=now, action="create", entity=comm, after={
        "request": req.ref, "kind": kind, "direction": direction, "occurred_on": on.isoformat(),
        "subject": clean["subject"], "tracking_number": clean["tracking_number"],
        "exemptions": clean["exemptions"], "data": cdata, "event_id": event.id,
        "status": req.status, **({"review_status": review_status, "suggested_kind": suggested_kind}
                                 if review_status else {}),
    })
    session.flush()
    return comm


def log_communication_with_files(session: Session, *, actor: User, now: datetime, req: Request,
                                 files: Sequence[tuple[str | None, IO[bytes]]], storage_root: str | Path,
                                 max_bytes: int, **fields: Any) -> Communication:
    """Log a communication (`fields` as for `log_communication`) together with the agency's files, each stored as
    a document of it through the documents service (its size cap and type check), in one transaction.

    A refused file undoes everything: the session is rolled back, the blobs this call stored and nothing else
    uses are removed, and ValidationError({"attachments": ...}) names the file. Invalid fields raise
    ValidationError before anything is stored (the caller rolls back)."""
    comm = log_communication(session, actor=actor, now=now, req=req, **fields)
    written: list[str] = []
    for name, stream in files:
        try:
            doc = add_document(session, actor=actor, now=now, req=req, stream=stream, filename=name,
                               storage_root=storage_root, max_bytes=max_bytes, communication=comm)
        except ValidationError as exc:
            session.rollback()
            cleanup_blobs(session, open_store(storage_root), written)
            raise ValidationError({"attachments": f"{name or '(no name)'}: " + " ".join(exc.errors.values())
                                                  + " Nothing was saved; choose the files again."}) from exc
        written.append(doc.sha256)
    return comm


TO_CLASSIFY = "to_classify"


def classify_communication(session: Session, *, actor: User | None, now: datetime, comm: Communication, kind: str,
                           **details: Any) -> Communication:
    """Confirm what a reply fetched from the mailbox ("to classify", logged as a note) is, and apply that
    kind's effect exactly as `log_communication` would have: the same validation (extension days,
    exemptions, outcome...), ledger events dated the day the reply came, status and clocks. `details` are
    the kind's fields: `exemptions`, `tracking_number`, and the data keys (`days`, `estimated_completion`,
    `agreed_date`, `outcome`, `amount`, `decision`). The reply's first "note" event stays in the ledger as
    the record of its arrival. Raises ValidationError; nothing is written then."""
    if comm.review_status != TO_CLASSIFY:
        raise ValidationError({"kind": "This reply has already been classified."})
    req = lock_request(session, session.get_one(Request, comm.request_id))
    session.refresh(comm)  # as committed: another person may have classified it while we waited
    if comm.review_status != TO_CLASSIFY:
        raise ValidationError({"kind": "This reply has already been classified."})
    exemptions = details.pop("exemptions", ())
    tracking = details.pop("tracking_number", "") or comm.tracking_number
    data = {k: v for k, v in details.items() if v not in (None, "")}
    errors, clean = validate_communication(
        session, now=now, req=req, direction=comm.direction, kind=kind, occurred_on=comm.occurred_on,
        subject=comm.subject, body=comm.body, tracking_number=tracking, exemptions=exemptions, data=data,
        message_id=None)
    if errors:
        raise ValidationError(errors)
    before = {"kind": comm.kind, "review_status": comm.review_status, "event_id": comm.event_id}
    comm.kind, comm.exemptions, comm.data = kind, clean["exemptions"], clean["data"]
    comm.tracking_number = clean["tracking_number"]
    comm.review_status = None
    event = _apply_effect(session, actor=actor, now=now, req=req, comm=comm, kind=kind, clean=clean)
    comm.event_id = event.id
    audit(session, actor=actor, now=now, action="classify", entity=comm, before=before, after={
        "request": req.ref, "kind": kind, "review_status": None, "suggested_kind": comm.suggested_kind,
        "exemptions": clean["exemptions"], "data": clean["data"], "event_id": event.id, "status": req.status,
    })
    session.flush()
    return comm


def _apply_effect(session: Session, *, actor: User | None, now: datetime, req: Request, comm: Communication,
                  kind: str, clean: dict[str, Any]) -> Event:
    """What a communication of `kind` does: its ledger event(s), the request's status and tracking number.
    Returns the main event (linked from `comm.event_id`)."""
    on: date = clean["occurred_on"]
    cdata: dict[str, Any] = clean["data"]
    effect = EFFECTS[kind]
    occurred_at = comm.occurred_at
    # The ledger. The engine reads data["days"] on an extension and data["date"] on estimated/agreed dates.
    notes = COMMUNICATION_KINDS[kind] + (f": {clean['subject']}" if clean["subject"] else "")
    event_data: dict[str, Any] = {"communication_id": comm.id, "communication_kind": kind}
    if kind == "extension_notice" and "days" in cdata:
        event_data["days"] = cdata["days"]
    if clean["exemptions"]:
        event_data["exemptions"] = clean["exemptions"]
    for key in ("amount", "decision", "outcome"):
        if key in cdata:
            event_data[key] = cdata[key]
    if kind == "interim_release":
        event_data["release"] = "interim"
    elif kind == "final_release":
        event_data["release"] = "final"
    event = log_event(session, actor=actor, now=now, req=req, kind=effect.event, occurred_on=on,
                      occurred_at=occurred_at, notes=notes, data=event_data)
    comm.event_id = event.id
    if "estimated_completion" in cdata:
        log_event(session, actor=actor, now=now, req=req, kind="estimated_completion", occurred_on=on,
                  notes=f"Agency's estimated completion date: {cdata['estimated_completion']}",
                  data={"date": cdata["estimated_completion"], "communication_id": comm.id})
    if "agreed_date" in cdata:
        log_event(session, actor=actor, now=now, req=req, kind="agreed_date", occurred_on=on,
                  notes=f"Date agreed with the agency: {cdata['agreed_date']}",
                  data={"date": cdata["agreed_date"], "communication_id": comm.id})

    # The request: status and the agency's tracking number.
    changes: dict[str, Any] = {}
    status = status_after(kind, req.status, cdata)  # the same rule a correction replays (effects.status_after)
    if status != req.status:
        changes["status"] = status
    if clean["tracking_number"] and clean["tracking_number"] != req.tracking_number:
        changes["tracking_number"] = clean["tracking_number"]
    if changes:
        update_request(session, actor=actor, now=now, req=req, **changes)

    return event


def communications_for(session: Session, req: Request) -> list[Communication]:
    """The request's communications, newest first."""
    return list(session.scalars(
        select(Communication).where(Communication.request_id == req.id)
        .order_by(Communication.occurred_on.desc(), Communication.id.desc())))


def communication_as_dict(comm: Communication) -> dict[str, Any]:
    return {
        "kind": comm.kind, "direction": comm.direction, "date": comm.occurred_on.isoformat(),
        "at": comm.occurred_at.isoformat() if comm.occurred_at else None,
        "subject": comm.subject, "body": comm.body, "tracking_number": comm.tracking_number or None,
        "exemptions": list(comm.exemptions or []), "data": dict(comm.data or {}),
        "message_id": comm.message_id, "from": comm.from_addr or None,
        "review_status": comm.review_status, "suggested_kind": comm.suggested_kind,
    }


__all__ = [
    "APPEAL_OUTCOMES",
    "EFFECTS",
    "EXEMPTION_KINDS",
    "classify_communication",
    "communication_as_dict",
    "communications_for",
    "label_for",
    "log_communication",
    "log_communication_with_files",
    "open_clarification",
]
