"""Correcting a request itself: edit its details, delete a draft that was never sent.

Before the request goes out every detail may change. Once the agency has the letter, only what does not rewrite
history may: our own title, who can see it, and the agency's tracking number. What the agency received (records
sought, dates, agency, law, fees, fee waiver, expedited processing, format) is locked: changing what you ask for
takes a follow-up letter. A draft that was never sent may be deleted: it is hidden everywhere (`deleted_at`),
never erased, and its audit trail keeps a snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from foia.core.audit import audit, snapshot
from foia.core.errors import ValidationError
from foia.core.parse import parse_usd
from foia.models import Agency, Delivery, Event, LetterVersion, Reminder, Request, SearchEntry, User
from foia.requests.service import REQUEST_FIELDS, RequestInput, update_request, validate_request_input

# Fields that never change after sending: the agency has them in the letter it received.
LOCKED_AFTER_SENDING = ("records_sought", "records_from", "records_to", "agency_id", "law", "fee_category",
                        "fee_ceiling", "fee_waiver", "fee_waiver_justification", "expedited",
                        "expedited_justification", "preferred_format")
# What may change after sending: our label, who sees it, the agency's number for it.
OPEN_AFTER_SENDING = ("title", "visibility", "tracking_number")
# Form names of the locked fields (the form names the agency by its slug).
LOCKED_FORM_FIELDS = tuple("agency" if f == "agency_id" else f for f in LOCKED_AFTER_SENDING)


@dataclass(frozen=True)
class Sending:
    """When and how we know the request went out."""

    on: date | None

    @property
    def phrase(self) -> str:
        return f"your letter of {self.on.strftime('%b %-d, %Y')}" if self.on else "your letter"


def sending_of(session: Session, req: Request) -> Sending | None:
    """The request's sending, or None if it was never sent: a live "sent" event, a letter marked sent, an
    email handed to the mail server, or a `sent_at` on the request."""
    first = session.scalar(select(Event.occurred_on).where(Event.request_id == req.id, Event.kind == "sent",
                                                           Event.voided_at.is_(None))
                           .order_by(Event.occurred_on, Event.id).limit(1))
    if first is not None:
        return Sending(first)
    if req.sent_at is not None:
        return Sending(req.sent_at.date())
    letter = session.scalar(select(LetterVersion.sent_at).where(LetterVersion.request_id == req.id,
                                                                LetterVersion.sent_at.is_not(None))
                            .order_by(LetterVersion.sent_at).limit(1))
    if letter is not None:
        return Sending(letter.date())
    if session.scalar(select(exists().where(Delivery.request_id == req.id, Delivery.status != "failed"))):
        return Sending(None)
    return None


def locked_reason(sending: Sending) -> str:
    return (f"The agency received these in {sending.phrase}; to change what you ask for, "
            "write a follow-up letter.")


def delete_refusal(session: Session, req: Request) -> str | None:
    """Why this request cannot be deleted (None: it can)."""
    if req.deleted_at is not None:
        return "This request was already deleted."
    sending = sending_of(session, req)
    if sending is not None:
        when = f" on {sending.on.strftime('%b %-d, %Y')}" if sending.on else ""
        return (f"This request was sent{when}, so it stays on record; you can withdraw it instead "
                "(log a Withdrawal).")
    if req.status != "draft":
        return "Only a draft can be deleted; you can withdraw this request instead (log a Withdrawal)."
    return None


def _form_value(req: Request, name: str) -> Any:
    if name == "agency":
        return req.agency.slug
    if name == "law":  # "" follows the agency's law (so changing the agency changes the law with it)
        return "" if req.law == req.agency.law else req.law
    return getattr(req, name)


def edit_request(session: Session, *, actor: User | None, now: datetime, req: Request,
                 values: dict[str, Any]) -> dict[str, Any]:
    """Change the request's details (`values` by form name: title, records_sought, records_from, records_to,
    agency (a slug), law, fee_category, fee_ceiling, fee_waiver, fee_waiver_justification, expedited,
    expedited_justification, preferred_format, visibility, tracking_number; a missing key keeps the current
    value). Before sending, everything but the status may change; after, only title, visibility and tracking
    number. Returns the changed fields (before, after); raises ValidationError with nothing written."""
    if req.deleted_at is not None:
        raise ValidationError({"request": "This request was deleted."})
    current = {name: _form_value(req, name) for name in (*LOCKED_FORM_FIELDS, *OPEN_AFTER_SENDING)}
    errors: dict[str, str] = {}
    sending = sending_of(session, req)
    may_change = OPEN_AFTER_SENDING if sending is not None else tuple(current)
    merged = {**current, **{k: v for k, v in values.items() if k in may_change}}
    if sending is not None:
        for name in LOCKED_FORM_FIELDS:
            if name in values and _differs(name, values[name], current[name]):
                errors[name] = locked_reason(sending)
    tracking = " ".join(str(merged.get("tracking_number") or "").split())
    if len(tracking) > 100:
        errors["tracking_number"] = "Keep the tracking number under 100 characters."
    data = RequestInput(
        title=str(merged["title"] or ""), records_sought=str(merged["records_sought"] or ""),
        agency_slug=str(merged["agency"] or ""), law=(merged["law"] or None),
        records_from=merged["records_from"], records_to=merged["records_to"],
        fee_category=str(merged["fee_category"] or ""),
        fee_ceiling=merged["fee_ceiling"] if merged["fee_ceiling"] not in ("",) else None,
        fee_waiver=bool(merged["fee_waiver"]), fee_waiver_justification=str(merged["fee_waiver_justification"] or ""),
        expedited=bool(merged["expedited"]), expedited_justification=str(merged["expedited_justification"] or ""),
        preferred_format=str(merged["preferred_format"] or ""), visibility=str(merged["visibility"] or ""))
    agency, ceiling, problems = validate_request_input(session, data)
    errors.update({k: v for k, v in problems.items() if k not in errors})
    if errors:
        raise ValidationError(errors)
    assert agency is not None
    changes: dict[str, Any] = {"title": data.title.strip(), "visibility": data.visibility, "tracking_number": tracking}
    if sending is None:
        changes.update(
            records_sought=data.records_sought.strip(), records_from=data.records_from, records_to=data.records_to,
            agency_id=agency.id, law=data.law or agency.law, fee_category=data.fee_category, fee_ceiling=ceiling,
            fee_waiver=data.fee_waiver,
            fee_waiver_justification=data.fee_waiver_justification.strip() if data.fee_waiver else "",
            expedited=data.expedited,
            expedited_justification=data.expedited_justification.strip() if data.expedited else "",
            preferred_format=data.preferred_format.strip())
    changes = {k: v for k, v in changes.items() if getattr(req, k) != v}
    if not changes:
        return {}
    before = snapshot(req, REQUEST_FIELDS)
    if "agency_id" in changes and "law" not in changes:
        changes["law"] = req.law  # recompute the clocks: the agency's calendar and time zone changed
    update_request(session, actor=actor, now=now, req=req, **changes)
    if "agency_id" in changes:
        session.refresh(req, ["agency"])
    after = snapshot(req, REQUEST_FIELDS)
    return {k: (before[k], after[k]) for k in after if before[k] != after[k]}


def _differs(name: str, value: Any, current: Any) -> bool:
    """Does a submitted value change a locked field? (Only what would change counts as an attempt.)"""
    if name in ("fee_waiver", "expedited"):
        return bool(value) != bool(current)
    if name == "fee_ceiling":
        if value in (None, ""):
            return current is not None
        try:
            return parse_usd(value) != current
        except ValueError:
            return True
    if name in ("records_from", "records_to"):
        return bool(value != current)
    if name == "law":
        return bool(value) and value != current
    return " ".join(str(value or "").split()) != " ".join(str(current or "").split())


def delete_draft(session: Session, *, actor: User | None, now: datetime, req: Request) -> Request:
    """Delete a draft that never went out: hidden everywhere, kept for the record (with a snapshot in its audit
    row); its pending reminders and search entries go. Raises ValidationError saying why it cannot."""
    problem = delete_refusal(session, req)
    if problem:
        raise ValidationError({"request": problem})
    req.deleted_at = now
    req.updated_at = now
    session.execute(delete(Reminder).where(Reminder.request_id == req.id, Reminder.status == "pending"))
    session.execute(delete(SearchEntry).where(SearchEntry.request_id == req.id))
    audit(session, actor=actor, now=now, action="delete", entity=req,
          before={**snapshot(req, REQUEST_FIELDS), "agency": _agency_slug(session, req.agency_id)},
          after={"deleted_at": now.isoformat()})
    session.flush()
    return req


def _agency_slug(session: Session, agency_id: int) -> str | None:
    return session.scalar(select(Agency.slug).where(Agency.id == agency_id))
