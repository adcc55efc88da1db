"""The litigation ledger of a request: complaint filed (court, case number), court dates, the end of the case.

Each step is a ledger event (audited, through ``foia.requests.service.log_event``). Filing the complaint moves the
request to "In litigation" (``QUIET_STATUSES``: no follow-up reminders, no digest lines; the reminders planned
for it are dropped by the re-plan that the status change runs); the end of the case puts back the status it had.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from foia.core.audit import audit
from foia.core.errors import ValidationError
from foia.fees.service import can_manage_fees
from foia.models import STATUSES, Event, Request, User
from foia.requests.service import log_event, update_request

LITIGATION_STEPS: dict[str, str] = {
    "litigation_filed": "Complaint filed",
    "court_date": "Court date (hearing, deadline, ruling)",
    "litigation_closed": "Case ended",
}


@dataclass
class LitigationInput:
    step: str
    on: date | None
    court: str = ""
    case_number: str = ""
    what: str = ""
    outcome: str = ""
    notes: str = ""


def _text(value: str, limit: int, name: str, label: str, errors: dict[str, str], *, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        errors[name] = f"Give the {label}."
    elif len(value) > limit:
        errors[name] = f"Keep the {label} under {limit} characters."
    return value


def record_litigation_step(session: Session, *, actor: User, now: datetime, req: Request, data: LitigationInput,
                           today: date) -> Event:
    if not can_manage_fees(actor, req):  # the same people: the organization's, who may edit the request
        raise PermissionError("Only people of the request's organization who may edit it record litigation.")
    errors: dict[str, str] = {}
    if data.step not in LITIGATION_STEPS:
        errors["step"] = "Choose what happened in the case."
    if data.on is None:
        errors["on"] = "Give the date."
    elif data.on > today and data.step != "court_date":
        errors["on"] = "A filing or the end of a case is something that happened: the date cannot be in the future."
    filed = current_case(session, req)
    if data.step == "litigation_filed" and filed is not None:
        errors["step"] = f"A complaint is already recorded ({filed.data.get('case_number', '')}); record court dates."
    if data.step in ("court_date", "litigation_closed") and filed is None:
        errors["step"] = "Record the complaint first."
    payload: dict[str, Any] = {}
    payload["court"] = _text(data.court, 200, "court", "court", errors, required=data.step == "litigation_filed")
    payload["case_number"] = _text(data.case_number, 100, "case_number", "case number", errors,
                                   required=data.step == "litigation_filed")
    payload["what"] = _text(data.what, 200, "what", "description of the court date", errors,
                            required=data.step == "court_date")
    payload["outcome"] = _text(data.outcome, 500, "outcome", "outcome", errors, required=data.step == "litigation_closed")
    notes = _text(data.notes, 2000, "notes", "note", errors, required=False)
    if errors:
        raise ValidationError(errors)
    assert data.on is not None
    payload = {k: v for k, v in payload.items() if v}
    if data.step == "litigation_filed":
        payload["status_before"] = req.status
    event = log_event(session, actor=actor, now=now, req=req, kind=data.step, occurred_on=data.on, notes=notes,
                      data=payload)
    audit(session, actor=actor, now=now, action=f"litigation:{data.step}", entity=req,
          after={"event_id": event.id, **payload})
    if data.step == "litigation_filed" and req.status != "in_litigation":
        update_request(session, actor=actor, now=now, req=req, status="in_litigation")
    elif data.step == "litigation_closed" and filed is not None and req.status == "in_litigation":
        before = str(filed.data.get("status_before") or "processing")
        update_request(session, actor=actor, now=now, req=req,
                       status=before if before in STATUSES and before != "in_litigation" else "processing")
    return event


def litigation_events(session: Session, req: Request) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.request_id == req.id, Event.kind.in_(LITIGATION_STEPS),
                                                    Event.voided_at.is_(None))
                                .order_by(Event.occurred_on, Event.id)))


def current_case(session: Session, req: Request) -> Event | None:
    """The complaint of the case still open (filed and not ended), if any."""
    case: Event | None = None
    for e in litigation_events(session, req):
        if e.kind == "litigation_filed":
            case = e
        elif e.kind == "litigation_closed":
            case = None
    return case
