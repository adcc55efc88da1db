"""Validating a communication before it is logged: every field checked, errors by field in plain words."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from foia.communications.effects import (
    APPEAL_OUTCOMES,
    CLOSING_KINDS,
    EXEMPTION_KINDS,
    FEE_WAIVER_DECISIONS,
)
from foia.communications.exemptions import exemptions_for, resolve
from foia.core.parse import parse_usd
from foia.deadlines import load_law
from foia.models import (
    COMMUNICATION_KINDS,
    DIRECTIONS,
    Communication,
    Event,
    Request,
)

MAX_SUBJECT = 500

# Which kinds each kind-specific field belongs to: the one table the validator checks and the form renders
# into data-kinds attributes (templates/communications/new.html, static/communication-form.js).
FIELD_KINDS: dict[str, frozenset[str]] = {
    "exemptions": frozenset(EXEMPTION_KINDS),
    "days": frozenset({"extension_notice"}),
    "estimated_completion": frozenset(COMMUNICATION_KINDS) - CLOSING_KINDS,
    "agreed_date": frozenset(COMMUNICATION_KINDS) - CLOSING_KINDS,
    "outcome": frozenset({"appeal_decision"}),
    "amount": frozenset({"fee_estimate", "payment"}),
    "decision": frozenset({"fee_waiver_decision"}),
}


MAX_BODY = 1_000_000


MAX_TRACKING = 100


def _has_control(text: str, allow_newlines: bool) -> bool:
    allowed = "\t\n\r" if allow_newlines else "\t"
    return any((ord(ch) < 32 and ch not in allowed) or ord(ch) == 127 for ch in text)


def _iso_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value).strip())


def open_clarification(session: Session, req: Request) -> date | None:
    """The date of the clarification request still waiting for an answer, or None."""
    open_on: date | None = None
    for kind, on in session.execute(
            select(Event.kind, Event.occurred_on).where(Event.request_id == req.id,
                                                        Event.kind.in_(("toll_start", "toll_end")),
                                                        Event.voided_at.is_(None))
            .order_by(Event.occurred_on, Event.id)):
        if kind == "toll_start":
            open_on = open_on or on
        else:
            open_on = None
    return open_on


def validate_communication(session: Session, *, now: datetime, req: Request, direction: str, kind: str, occurred_on: Any,
              subject: str, body: str, tracking_number: str, exemptions: Any, data: dict[str, Any],
              message_id: str | None) -> tuple[dict[str, str], dict[str, Any]]:
    """Errors by field, and the cleaned values."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {"data": {}}
    law = load_law(req.law).for_agency(req.agency.slug)

    if kind not in COMMUNICATION_KINDS:
        errors["kind"] = "Choose what kind of communication this is from the list."
    if direction not in DIRECTIONS:
        errors["direction"] = ("Say whether this came from the agency or went to it: a note has no usual "
                               "direction, so choose one." if kind == "note"
                               else "Say whether this came from the agency or went to it.")

    on: date | None = None
    if occurred_on in (None, ""):
        errors["occurred_on"] = "Enter the date of the communication."
    else:
        try:
            on = _iso_date(occurred_on)
        except ValueError:
            errors["occurred_on"] = "Enter the date as YYYY-MM-DD, e.g. 2025-07-01."
        else:
            if on > now.date() + timedelta(days=1):
                errors["occurred_on"] = "The date is in the future. Enter the date the communication was sent or received."
            elif on.year < 1967:
                errors["occurred_on"] = "Enter a date after 1966 (the year the FOIA took effect)."
    clean["occurred_on"] = on

    subject = subject or ""
    if "\x00" in subject or _has_control(subject, allow_newlines=False):
        errors["subject"] = "The subject contains a control character (such as NUL or a line break); remove it."
    elif len(subject.strip()) > MAX_SUBJECT:
        errors["subject"] = f"Keep the subject under {MAX_SUBJECT} characters (it has {len(subject.strip()):,})."
    clean["subject"] = subject.strip()

    body = body or ""
    if "\x00" in body:
        errors["body"] = "The text contains a NUL character, which cannot be saved. Remove it and try again."
    elif len(body) > MAX_BODY:
        errors["body"] = f"The text is {len(body):,} characters long; the limit is {MAX_BODY:,}. Attach long texts as a document."
    clean["body"] = body.replace("\r\n", "\n")

    tracking = (tracking_number or "").strip()
    if len(tracking) > MAX_TRACKING:
        errors["tracking_number"] = f"Keep the tracking number under {MAX_TRACKING} characters."
    elif tracking and not tracking.isprintable():
        errors["tracking_number"] = "The tracking number contains characters that cannot be printed; type it as the agency shows it."
    clean["tracking_number"] = tracking

    if isinstance(exemptions, str):
        exemptions = [exemptions]
    codes: list[str] = []
    unknown: list[str] = []
    for given in exemptions or ():
        code = resolve(req.law, str(given))
        if code is None:
            unknown.append(str(given))
        elif code not in codes:
            codes.append(code)
    if unknown:
        known = ", ".join(c for c, _ in exemptions_for(req.law)[:6])
        errors["exemptions"] = (f"{', '.join(repr(u) for u in unknown)} {'is' if len(unknown) == 1 else 'are'} not "
                                f"{'an exemption' if len(unknown) == 1 else 'exemptions'} under the {law.name}. "
                                f"Choose from the list (e.g. {known}).")
    elif codes and kind in COMMUNICATION_KINDS and kind not in FIELD_KINDS["exemptions"]:
        errors["exemptions"] = "Exemptions belong to releases, denials and appeal decisions; choose one of those kinds."
    order = {c: i for i, (c, _) in enumerate(exemptions_for(req.law))}
    clean["exemptions"] = sorted(codes, key=lambda c: order.get(c, 0))

    data = dict(data or {})
    days = data.pop("days", None)
    if days not in (None, ""):
        ext = law.response.extension
        try:
            days_n = int(str(days).strip())
        except ValueError:
            days_n = None
        if kind in COMMUNICATION_KINDS and kind not in FIELD_KINDS["days"]:
            errors["days"] = "Extension days belong to an extension notice."
        elif days_n is None or days_n <= 0:
            errors["days"] = "Enter the extension as a positive whole number of days, e.g. 10."
        elif ext is None:
            errors["days"] = f"The {law.name} provides no statutory extension; leave the days empty."
        elif days_n > ext.length:
            unit = "working days" if ext.unit == "business_days" else "calendar days"
            errors["days"] = f"The {law.name} allows at most {ext.length} {unit} of extension ({ext.citation})."
        else:
            clean["data"]["days"] = days_n

    for key, label in (("estimated_completion", "estimated completion date"), ("agreed_date", "agreed date")):
        value = data.pop(key, None)
        if value in (None, ""):
            continue
        try:
            d = _iso_date(value)
        except ValueError:
            errors[key] = f"Enter the {label} as YYYY-MM-DD, e.g. 2025-09-30."
            continue
        if kind in COMMUNICATION_KINDS and kind not in FIELD_KINDS[key]:
            errors[key] = f"A {COMMUNICATION_KINDS[kind].lower()} ends the response period; leave the {label} empty."
        elif on is not None and d < on:
            errors[key] = f"The {label} must be on or after the date of the communication."
        else:
            clean["data"][key] = d.isoformat()

    outcome = (data.pop("outcome", None) or "").strip()
    if kind in FIELD_KINDS["outcome"]:
        if outcome not in APPEAL_OUTCOMES:
            errors["outcome"] = "Choose the appeal's outcome: granted, partly granted or denied."
        else:
            clean["data"]["outcome"] = outcome
    elif outcome:
        errors["outcome"] = "An outcome belongs to an appeal decision."

    amount = data.pop("amount", None)
    if amount not in (None, ""):
        try:
            value = parse_usd(amount)
        except ValueError:
            errors["amount"] = "Enter the amount in dollars, e.g. 125 or 125.50."
        else:
            if kind not in FIELD_KINDS["amount"]:
                errors["amount"] = "An amount belongs to a fee estimate or a payment."
            else:
                clean["data"]["amount"] = str(value)

    decision = (data.pop("decision", None) or "").strip()
    if decision:
        if kind not in FIELD_KINDS["decision"]:
            errors["decision"] = "A decision belongs to a fee-waiver decision."
        elif decision not in FEE_WAIVER_DECISIONS:
            errors["decision"] = "Choose the fee-waiver decision: granted, partly granted or denied."
        else:
            clean["data"]["decision"] = decision
    # Anything else the caller passed is kept as given (e.g. import details), if JSON can hold it.
    for key, value in data.items():
        if isinstance(value, (str, int, float, bool, type(None), list, dict)):
            clean["data"][key] = value

    if kind in ("clarification_request", "clarification_reply") and on is not None:
        pending = open_clarification(session, req)
        if kind == "clarification_reply":
            if pending is None:
                errors["kind"] = ("There is no open clarification request to answer. Log the agency's "
                                  "clarification request first, or choose another kind.")
            elif on < pending:
                errors["occurred_on"] = (f"The reply cannot be dated before the clarification request "
                                         f"({pending.isoformat()}).")
        elif pending is not None:
            errors["kind"] = (f"A clarification request from {pending.isoformat()} is still open. Log your reply "
                              f"to it first (a further question can be logged as a note).")

    if message_id and session.scalar(select(Communication.id).where(
            Communication.organization_id == req.organization_id, Communication.message_id == message_id)):
        errors["message_id"] = "This email has already been logged."
    return errors, clean
